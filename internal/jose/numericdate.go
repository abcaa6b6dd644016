package jose

import (
	"encoding/json"
	"errors"
	"math"
	"strconv"
	"time"
)

// MaxNumericDate is 9999-12-31T23:59:59Z; later NumericDates are refused
// rather than allowed to overflow.
const MaxNumericDate = 253402300799

// NumericDate reads a JWT NumericDate (RFC 7519 §2): a JSON number (a
// json.Number from the strict parser, never a string) of seconds since the
// epoch, between 0 and [MaxNumericDate], fractions allowed.
func NumericDate(v any) (time.Time, error) {
	n, ok := v.(json.Number)
	if !ok {
		return time.Time{}, errors.New("not a JSON number")
	}
	return NumericDateText(string(n))
}

// NumericDateText is [NumericDate] for the text of a JSON number that the
// strict parser read.
func NumericDateText(n string) (time.Time, error) {
	// The usual whole number of seconds, read without ParseFloat: at most
	// 12 digits (MaxNumericDate has 12), which a float64 holds exactly.
	if len(n) > 0 && len(n) <= 12 && (n[0] != '0' || len(n) == 1) {
		var sec int64
		digits := true
		for i := 0; i < len(n) && digits; i++ {
			c := n[i]
			digits = '0' <= c && c <= '9'
			sec = sec*10 + int64(c-'0')
		}
		if digits {
			if sec > MaxNumericDate {
				return time.Time{}, errors.New("out of range")
			}
			return time.Unix(sec, 0).UTC(), nil
		}
	}
	f, err := strconv.ParseFloat(n, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) || f < 0 || f > MaxNumericDate {
		return time.Time{}, errors.New("out of range")
	}
	sec, frac := math.Modf(f)
	return time.Unix(int64(sec), int64(frac*1e9)).UTC(), nil
}
