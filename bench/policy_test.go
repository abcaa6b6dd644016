package bench

import (
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mcpauth/mcpauth/middleware"
	"github.com/mcpauth/mcpauth/policy"
	"github.com/mcpauth/mcpauth/static"
)

// toolCall is a tools/call request of typical size (about 330 bytes): a
// tool name and a few string and number arguments, as MCP clients send.
const toolCall = `{"jsonrpc":"2.0","id":42,"method":"tools/call","params":{"name":"search_notes",` +
	`"arguments":{"query":"quarterly planning meeting","folder":"work/2026","limit":20,"include_archived":false,` +
	`"tags":["planning","q3","team"],"sort":{"field":"modified","order":"desc"}},` +
	`"_meta":{"progressToken":"b7e1c2d4-5f60-4a1b-9c3d-2e8f7a6b5c4d"}}}`

// notesPolicy is a policy of realistic size.
var notesPolicy = policy.Config{
	Tools: map[string][]string{
		"delete_notes": {"notes:write"}, "update_note": {"notes:write"}, "create_note": {"notes:write"},
		"share_note": {"notes:admin"}, policy.Any: {"notes:read"},
	},
	Resources: map[string][]string{"notes://private/*": {"notes:admin"}, "notes://public/*": {}},
	Prompts:   map[string][]string{"summarize": {"notes:read"}},
	Methods:   map[string][]string{"tools/list": {"notes:read"}},
	Implies:   map[string][]string{"notes:admin": {"notes:write"}, "notes:write": {"notes:read"}},
}

// readBody is the protected handler: it reads the body, as an MCP server
// does, so both stacks pay for reading it once.
var readBody = http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
	io.Copy(io.Discard, r.Body)
})

// policyStacks returns the middleware alone and with the policy, both over
// a static verifier (the cheapest token check, so that the difference is
// the policy's).
func policyStacks(tb testing.TB) (plain, withPolicy http.Handler, token string) {
	tb.Helper()
	token = "bench-token-reader"
	v, err := static.NewTokenVerifier(map[string]static.Token{token: {ClientID: "bench", Scopes: []string{"notes:write"}}})
	if err != nil {
		tb.Fatal(err)
	}
	p, err := policy.New(notesPolicy)
	if err != nil {
		tb.Fatal(err)
	}
	plain = middleware.New(v)(readBody)
	withPolicy = middleware.New(v, middleware.WithPolicy(p))(readBody)
	return plain, withPolicy, token
}

// postCall sends the tools/call body through h.
func postCall(h http.Handler, token, body string) int {
	req := httptest.NewRequest(http.MethodPost, "/mcp", strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec.Code
}

// BenchmarkPolicy measures the operation policy side by side: the same
// tools/call through the middleware alone and with WithPolicy, and the
// decision alone. cmd/report checks the difference against the target.
func BenchmarkPolicy(b *testing.B) {
	plain, withPolicy, token := policyStacks(b)
	for _, s := range []struct {
		name string
		h    http.Handler
	}{{"middleware", plain}, {"middleware+policy", withPolicy}} {
		b.Run(s.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(toolCall)))
			for b.Loop() {
				if code := postCall(s.h, token, toolCall); code != http.StatusOK {
					b.Fatalf("status %d", code)
				}
			}
		})
	}
	// paired sends the call through both stacks in every iteration, in
	// alternating order, and reports the median of the per-iteration
	// differences as added-ns/op: a pause of the shared machine falls into
	// one pair and moves the median little, where it moves a whole
	// sub-benchmark's mean. ns/op is the time of one pair.
	b.Run("paired", func(b *testing.B) {
		b.ReportAllocs()
		var diffs []float64
		for i := 0; b.Loop(); i++ {
			first, second := plain, withPolicy
			if i%2 == 1 {
				first, second = withPolicy, plain
			}
			t0 := time.Now()
			c1 := postCall(first, token, toolCall)
			t1 := time.Now()
			c2 := postCall(second, token, toolCall)
			t2 := time.Now()
			if c1 != http.StatusOK || c2 != http.StatusOK {
				b.Fatalf("status %d, %d", c1, c2)
			}
			d := float64(t2.Sub(t1) - t1.Sub(t0)) // second minus first
			if i%2 == 1 {
				d = -d
			}
			diffs = append(diffs, d)
		}
		b.ReportMetric(median(diffs), "added-ns/op")
	})
	b.Run("check", func(b *testing.B) {
		p := policy.MustNew(notesPolicy)
		body := []byte(toolCall)
		granted := []string{"notes:write"}
		b.ReportAllocs()
		b.SetBytes(int64(len(body)))
		for b.Loop() {
			if d := p.Check(body, nil, granted); !d.Allowed() {
				b.Fatal(d.Err)
			}
		}
	})
}

// median returns the median of v (which it sorts), or 0 when v is empty.
func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	slices.Sort(v)
	if len(v)%2 == 1 {
		return v[len(v)/2]
	}
	return (v[len(v)/2-1] + v[len(v)/2]) / 2
}

// TestPolicyStacksAgree checks that the benchmarked stacks work: the call
// passes both, and a call the policy forbids is refused only with it.
func TestPolicyStacksAgree(t *testing.T) {
	plain, withPolicy, token := policyStacks(t)
	if len(toolCall) < 250 || len(toolCall) > 600 {
		t.Fatalf("the typical tools/call is %d bytes", len(toolCall))
	}
	for name, h := range map[string]http.Handler{"middleware": plain, "middleware+policy": withPolicy} {
		if code := postCall(h, token, toolCall); code != http.StatusOK {
			t.Errorf("%s: status %d", name, code)
		}
	}
	forbidden := strings.Replace(toolCall, "search_notes", "share_note", 1)
	if code := postCall(withPolicy, token, forbidden); code != http.StatusForbidden {
		t.Errorf("share_note with notes:write through the policy: %d, want 403", code)
	}
	if code := postCall(plain, token, forbidden); code != http.StatusOK {
		t.Errorf("share_note without the policy: %d, want 200", code)
	}
}
