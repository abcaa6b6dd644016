package jose

import (
	"encoding/json"
	"math"
	"strconv"
	"testing"
	"time"
)

// numericDateFloat is NumericDateText without its whole-number fast path.
func numericDateFloat(n string) (time.Time, bool) {
	f, err := strconv.ParseFloat(n, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) || f < 0 || f > MaxNumericDate {
		return time.Time{}, false
	}
	sec, frac := math.Modf(f)
	return time.Unix(int64(sec), int64(frac*1e9)).UTC(), true
}

// TestNumericDateText: the whole-number fast path decides as ParseFloat
// does, at the range's ends and beside them.
func TestNumericDateText(t *testing.T) {
	for _, n := range []string{
		"0", "1", "9", "1800000000", "253402300799", "253402300800", "999999999999", "1000000000000",
		"-1", "-0", "1.5", "1e9", "1E9", "1800000000.25", "0.0", "12345678901234567890", "253402300799.5",
	} {
		got, err := NumericDateText(n)
		want, ok := numericDateFloat(n)
		if (err == nil) != ok || !got.Equal(want) {
			t.Errorf("%s: %v, %v; want %v, ok %v", n, got, err, want, ok)
		}
		if got2, err2 := NumericDate(json.Number(n)); (err2 == nil) != ok || !got2.Equal(want) {
			t.Errorf("NumericDate(%s): %v, %v", n, got2, err2)
		}
	}
	if _, err := NumericDate("1800000000"); err == nil {
		t.Error("a Go string (a JSON string claim) is not a NumericDate")
	}
}
