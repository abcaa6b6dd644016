package main

// report.go: the table of bench/load.sh. It reads the lines the wrk
// script prints after each run, takes the median of every configuration's
// rounds, checks the targets of the performance issue and replaces the
// load section of bench/RESULTS.md.

import (
	"bufio"
	"fmt"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Configurations, in the order of the table.
var configs = []struct{ name, desc string }{
	{"upstream", "the upstream alone (no proxy)"},
	{"plain", "httputil.ReverseProxy, no auth"},
	{"plain-buffered", "the same, request bodies read whole first"},
	{"mcpauth-cache", "mcpauth proxy, token cache on"},
	{"mcpauth-nocache", "mcpauth proxy, token cache off"},
	{"oauth2-proxy", "oauth2-proxy v7.15.6, JWT bearer"},
	{"nginx-plain", "nginx, no auth"},
	{"nginx-authz", "nginx auth_request -> mcpauth authz (cache on)"},
	{"nginx-authz-nocache", "nginx auth_request -> mcpauth authz (cache off)"},
}

// Markers of the load section in RESULTS.md; bench/cmd/report keeps what
// is between them when it rewrites the file.
const (
	sectionBegin = "<!-- load.sh: begin -->"
	sectionEnd   = "<!-- load.sh: end -->"
)

// run is one wrk run of one configuration.
type run struct {
	rps              float64
	p50, p99         float64 // microseconds
	requests, errors int64
	cpu              float64 // CPU time of the configuration's processes per request, µs; -1 unknown
}

// parseResults reads lines "RESULT name round rps p50_us p99_us requests
// errors [cpu_us_per_request]".
func parseResults(path string) (map[string][]run, int, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, 0, err
	}
	defer f.Close()
	res := map[string][]run{}
	rounds := 0
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 8 || len(fields) > 9 || fields[0] != "RESULT" {
			continue
		}
		round, err := strconv.Atoi(fields[2])
		if err != nil {
			return nil, 0, fmt.Errorf("bad round in %q", sc.Text())
		}
		rounds = max(rounds, round)
		nums := [6]float64{5: -1}
		for i := range len(fields) - 3 {
			if nums[i], err = strconv.ParseFloat(fields[3+i], 64); err != nil {
				return nil, 0, fmt.Errorf("bad number in %q", sc.Text())
			}
		}
		res[fields[1]] = append(res[fields[1]], run{nums[0], nums[1], nums[2], int64(nums[3]), int64(nums[4]), nums[5]})
	}
	return res, rounds, sc.Err()
}

func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

type summary struct {
	rps, p50, p99 float64
	cpu           float64   // -1 unknown
	all           []float64 // req/s of every round, in order
	errors        int64
}

func summarize(runs []run) summary {
	var s summary
	var p50, p99, cpu []float64
	for _, r := range runs {
		if r.cpu >= 0 {
			cpu = append(cpu, r.cpu)
		}
		s.all = append(s.all, r.rps)
		p50 = append(p50, r.p50)
		p99 = append(p99, r.p99)
		s.errors += r.errors
	}
	s.rps, s.p50, s.p99 = median(s.all), median(p50), median(p99)
	s.cpu = -1
	if len(cpu) == len(runs) {
		s.cpu = median(cpu)
	}
	return s
}

func fmtLatency(us float64) string {
	if us >= 1000 {
		return fmt.Sprintf("%.2f ms", us/1000)
	}
	return fmt.Sprintf("%.0f µs", us)
}

// target is one line of the targets block.
type target struct {
	ok, measured bool
	text         string
}

func runReport(in, out, command, settings, noise string) error {
	res, rounds, err := parseResults(in)
	if err != nil {
		return err
	}
	sum := map[string]summary{}
	var b strings.Builder
	fmt.Fprintf(&b, "%-20s %-48s %10s %10s %10s %9s  %s\n", "config", "", "req/s", "p50", "p99", "CPU/req", "req/s per round")
	for _, c := range configs {
		runs, ok := res[c.name]
		if !ok {
			continue
		}
		s := summarize(runs)
		sum[c.name] = s
		var per []string
		for _, v := range s.all {
			per = append(per, fmt.Sprintf("%.0f", v))
		}
		cpu := "-"
		if s.cpu >= 0 {
			cpu = fmt.Sprintf("%.0f µs", s.cpu)
		}
		fmt.Fprintf(&b, "%-20s %-48s %10.0f %10s %10s %9s  %s\n", c.name, c.desc, s.rps, fmtLatency(s.p50), fmtLatency(s.p99), cpu, strings.Join(per, " "))
		if s.errors != 0 {
			return fmt.Errorf("%s had %d error responses or socket errors: its numbers are not comparable", c.name, s.errors)
		}
	}
	table := b.String()

	// ratio of two configurations' medians, and the range of the per-round
	// ratios (the noise).
	ratio := func(a, bname string) (float64, string) {
		sa, sb := sum[a], sum[bname]
		if sb.rps == 0 || sa.rps == 0 {
			return 0, "missing"
		}
		var per []float64
		for i := range min(len(sa.all), len(sb.all)) {
			per = append(per, sa.all[i]/sb.all[i])
		}
		return sa.rps / sb.rps, fmt.Sprintf("rounds %.2f-%.2f", slices.Min(per), slices.Max(per))
	}
	var targets []target
	check := func(a, bname string, want float64) {
		r, spread := ratio(a, bname)
		targets = append(targets, target{r >= want, r > 0, fmt.Sprintf("%-58s ×%.2f (%s)", fmt.Sprintf("%s ≥ %.2g × %s req/s", a, want, bname), r, spread)})
	}
	check("mcpauth-nocache", "oauth2-proxy", 1.5)
	check("mcpauth-cache", "oauth2-proxy", 2)
	check("mcpauth-cache", "plain", 0.9)
	if p, m := sum["plain"], sum["mcpauth-cache"]; p.p99 > 0 && m.p99 > 0 {
		targets = append(targets, target{m.p99 <= 1.2*p.p99, true, fmt.Sprintf("%-58s ×%.2f (%s vs %s)", "mcpauth-cache p99 ≤ 1.2 × plain p99", m.p99/p.p99, fmtLatency(m.p99), fmtLatency(p.p99))})
	}
	var info []string
	for _, pair := range [][2]string{{"mcpauth-cache", "plain-buffered"}, {"mcpauth-nocache", "plain"}, {"nginx-authz", "nginx-plain"}, {"nginx-authz-nocache", "nginx-plain"}, {"oauth2-proxy", "plain"}} {
		if r, spread := ratio(pair[0], pair[1]); r > 0 {
			info = append(info, fmt.Sprintf("%-58s ×%.2f (%s)", pair[0]+" / "+pair[1]+" req/s", r, spread))
		}
	}
	for _, pair := range [][2]string{{"mcpauth-cache", "plain-buffered"}, {"mcpauth-nocache", "plain-buffered"}} {
		a, okA := sum[pair[0]]
		b, okB := sum[pair[1]]
		if okA && okB && a.cpu >= 0 && b.cpu > 0 {
			info = append(info, fmt.Sprintf("%-58s %+.0f µs (%.0f vs %.0f µs)", pair[0]+" − "+pair[1]+" CPU/req", a.cpu-b.cpu, a.cpu, b.cpu))
		}
	}
	var tb strings.Builder
	for _, t := range targets {
		status := "PASS"
		switch {
		case !t.measured:
			status = "n/a "
		case !t.ok:
			status = "MISS"
		}
		fmt.Fprintf(&tb, "%s  %s\n", status, t.text)
	}
	for _, s := range info {
		fmt.Fprintf(&tb, "info  %s\n", s)
	}
	fmt.Print(table, "\n", tb.String())
	if out == "" {
		return nil
	}

	var sec strings.Builder
	sec.WriteString(sectionBegin + "\n## Load: proxies side by side (bench/load.sh)\n\n")
	fmt.Fprintf(&sec, "Generated by `%s` (bench/load.sh); every number is the median of %d interleaved rounds (every configuration once per round, in turn), and every ratio compares medians of the same run. Machine: %d CPUs, %s, %s, %s; date %s.\n\n",
		command, rounds, runtime.NumCPU(), cpuModel(), runtime.GOOS+"/"+runtime.GOARCH, runtime.Version(), time.Now().UTC().Format("2006-01-02 15:04 UTC"))
	if settings != "" {
		sec.WriteString("Settings: " + settings + "\n\n")
	}
	if noise != "" {
		sec.WriteString("Noise: " + noise + "\n\n")
	}
	sec.WriteString("```\n" + table + "```\n\n```\n" + tb.String() + "```\n\n")
	sec.WriteString(loadLegend)
	sec.WriteString(sectionEnd + "\n")
	return replaceSection(out, sec.String())
}

// replaceSection replaces the load section of the file at path (or
// appends one).
func replaceSection(path, section string) error {
	old, err := os.ReadFile(path)
	if err != nil && !os.IsNotExist(err) {
		return err
	}
	s := string(old)
	i, j := strings.Index(s, sectionBegin), strings.Index(s, sectionEnd)
	if i >= 0 && j > i {
		s = s[:i] + section + strings.TrimPrefix(s[j+len(sectionEnd):], "\n")
	} else {
		if s != "" && !strings.HasSuffix(s, "\n\n") {
			s = strings.TrimRight(s, "\n") + "\n\n"
		}
		s += section
	}
	return os.WriteFile(path, []byte(s), 0o644)
}

// cpuModel reads the model name from /proc/cpuinfo, if there is one.
func cpuModel() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return "unknown CPU"
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return "unknown CPU"
}

const loadLegend = `Every configuration forwards the same request (POST /mcp, a JSON-RPC
tools/call of about 100 bytes, keep-alive) to the same upstream (a Go
server answering a fixed 130-byte JSON result), with wrk's fixed number of
connections; every authenticating configuration gets RS256 tokens from the
same loopback issuer, one token per client (wrk rotates the tokens over
the connections), and verifies them against its JWK Set (oauth2-proxy
discovers the issuer; --skip-jwt-bearer-tokens; it runs with its defaults,
whose upstream transport keeps net/http's 2 idle connections per host, for
which it has no setting). Every run must have only
2xx answers, or the report fails. plain is the reference: an
httputil.ReverseProxy with mcpauth proxy's transport settings (1024 idle
upstream connections), buffer pool and flushing, and no authentication,
run with GOGC=400 like mcpauth's servers (cmd/mcpauth/gc.go; a plain
proxy's heap is mostly pointer-free buffers, so the setting hardly moves
it, while mcpauth's pointer-dense registries made Go's default collect
and re-scan them every couple of hundred requests);
plain-buffered also reads request bodies up to 64 KiB whole before
forwarding, as mcpauth proxy does (one write per upstream request instead
of two), so mcpauth-cache / plain-buffered is the cost of authentication
alone. The nginx rows use keep-alive to the upstream and to authz alike.
CPU/req is the CPU time (user + system, from /proc) that the
configuration's own processes spent per request during its runs: the
proxy; nginx's workers, plus authz for the authz rows; not the upstream's
or wrk's (except the upstream row, the upstream alone). It depends far less
on the machine's other load than req/s does.
`
