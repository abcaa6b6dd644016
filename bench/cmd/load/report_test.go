package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestMedian(t *testing.T) {
	for _, c := range []struct {
		in   []float64
		want float64
	}{
		{[]float64{3, 1, 2}, 2},
		{[]float64{4, 1, 3, 2}, 2.5},
		{[]float64{7}, 7},
		{nil, 0},
	} {
		if got := median(c.in); got != c.want {
			t.Errorf("median(%v) = %v, want %v", c.in, got, c.want)
		}
	}
}

// results writes wrk result lines: rounds of plain at 1000 req/s and the
// others at the given multiples.
func results(t *testing.T, lines ...string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "results")
	if err := os.WriteFile(p, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestReportWritesSectionAndKeepsTheRest(t *testing.T) {
	in := results(t,
		"RESULT plain 1 1000 500 900 8000 0",
		"RESULT plain-buffered 1 1000 500 900 8000 0 100",
		"RESULT plain-buffered 2 1000 500 900 8000 0 90",
		"RESULT plain-buffered 3 1000 500 900 8000 0 110",
		"RESULT mcpauth-cache 1 950 520 1000 7600 0 104",
		"RESULT mcpauth-nocache 1 800 600 1200 6400 0",
		"RESULT oauth2-proxy 1 400 1500 3000 3200 0",
		"RESULT plain 2 1100 480 950 8800 0",
		"RESULT mcpauth-cache 2 1000 500 990 8000 0 96",
		"RESULT mcpauth-nocache 2 700 650 1300 5600 0",
		"RESULT oauth2-proxy 2 450 1400 2900 3600 0",
		"RESULT plain 3 900 510 1000 7200 0",
		"RESULT mcpauth-cache 3 850 530 1010 6800 0 105",
		"RESULT mcpauth-nocache 3 750 620 1250 6000 0",
		"RESULT oauth2-proxy 3 420 1450 3100 3360 0",
		"noise that is not a result line",
	)
	out := filepath.Join(t.TempDir(), "RESULTS.md")
	if err := os.WriteFile(out, []byte("# Benchmark results\n\nmicro-benchmarks\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for range 2 { // the second run replaces the section
		if err := runReport(in, out, "make bench-load", "wrk", "quiet"); err != nil {
			t.Fatal(err)
		}
	}
	b, _ := os.ReadFile(out)
	s := string(b)
	if !strings.HasPrefix(s, "# Benchmark results\n\nmicro-benchmarks\n") || strings.Count(s, sectionBegin) != 1 || strings.Count(s, sectionEnd) != 1 {
		t.Fatalf("the file's other content or the one section is wrong:\n%s", s)
	}
	for _, want := range []string{
		"median of 3 interleaved rounds",
		// medians: plain 1000, cache 950, nocache 750, oauth2-proxy 420
		"PASS  mcpauth-nocache ≥ 1.5 × oauth2-proxy req/s",
		"×1.79 (rounds 1.56-2.00)",
		"PASS  mcpauth-cache ≥ 2 × oauth2-proxy req/s",
		"PASS  mcpauth-cache ≥ 0.9 × plain req/s",
		"×0.95 (rounds 0.91-0.95)",
		"PASS  mcpauth-cache p99 ≤ 1.2 × plain p99",
		"Noise: quiet",
		"100 µs  1000", // plain-buffered: median CPU/req, first round's req/s
		"info  mcpauth-cache / plain-buffered req/s",
		"+4 µs (104 vs 100 µs)", // mcpauth-cache − plain-buffered CPU/req
	} {
		if !strings.Contains(s, want) {
			t.Errorf("missing %q in:\n%s", want, s)
		}
	}
}

func TestReportMissesAndRefusesErrors(t *testing.T) {
	in := results(t,
		"RESULT plain 1 1000 500 900 8000 0",
		"RESULT mcpauth-cache 1 800 520 2000 6400 0",
	)
	out := filepath.Join(t.TempDir(), "RESULTS.md")
	if err := runReport(in, out, "c", "", ""); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(out)
	for _, want := range []string{"MISS  mcpauth-cache ≥ 0.9 × plain req/s", "MISS  mcpauth-cache p99 ≤ 1.2 × plain p99", "n/a   mcpauth-cache ≥ 2 × oauth2-proxy req/s"} {
		if !strings.Contains(string(b), want) {
			t.Errorf("missing %q in:\n%s", want, b)
		}
	}
	// No CPU comparison with a configuration that did not run.
	if strings.Contains(string(b), "plain-buffered CPU/req") {
		t.Errorf("a CPU comparison without plain-buffered:\n%s", b)
	}
	// A run with error answers is not a result.
	bad := results(t, "RESULT plain 1 1000 500 900 8000 3")
	if err := runReport(bad, "", "c", "", ""); err == nil || !strings.Contains(err.Error(), "plain had 3 error") {
		t.Errorf("error answers: %v", err)
	}
}
