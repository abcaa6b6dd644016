// Command report reads the output of the bench module's benchmarks (one or
// more rounds of `go test -bench`, as benchstat reads them), takes the median
// of every metric, and prints one table of ns/op, B/op and allocs/op with the
// ratios to the crypto floor and to each peer, followed by the targets of the
// performance issue, each PASS or FAIL, computed as ratios from the same run.
//
// Usage:
//
//	report -in bench.out [-out RESULTS.md] [-gomod go.mod] [-cmd "make bench"]
//
// With -out it also writes a Markdown file with the machine (CPU count and
// model), the Go version, the module versions read from -gomod and the same
// table. It exits 1 when a target fails and -strict is set.
package main
