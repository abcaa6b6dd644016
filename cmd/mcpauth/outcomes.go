package main

// outcomes.go counts authentication outcomes (accepted, or the rejection
// reason) and logs them.

import (
	"context"
	"log/slog"
	"maps"
	"net/http"
	"slices"
	"sync"

	"github.com/mcpauth/mcpauth/middleware"
)

// outcomeCounter counts authentication outcomes by result ("accepted" or
// the rejection reason), the hook a deployment would feed to Prometheus or
// OpenTelemetry. Each outcome is logged at debug, the totals at shutdown.
type outcomeCounter struct {
	logger *slog.Logger
	mu     sync.Mutex
	counts map[string]int64
}

func newOutcomeCounter(l *slog.Logger) *outcomeCounter {
	return &outcomeCounter{logger: l, counts: make(map[string]int64)}
}

// observe is the middleware.WithObserver hook.
func (c *outcomeCounter) observe(r *http.Request, o middleware.Outcome) {
	key := "accepted"
	if !o.Accepted {
		key = string(o.Reason)
	}
	c.mu.Lock()
	c.counts[key]++
	n := c.counts[key]
	c.mu.Unlock()
	c.logger.LogAttrs(r.Context(), slog.LevelDebug, "mcpauth: authentication outcome",
		slog.String("outcome", key), slog.Int("status", o.Status),
		slog.String("client_id", o.ClientID), slog.Duration("latency", o.Duration),
		slog.Int64("count", n))
}

// snapshot returns a copy of the counts.
func (c *outcomeCounter) snapshot() map[string]int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make(map[string]int64, len(c.counts))
	for k, v := range c.counts {
		out[k] = v
	}
	return out
}

// logSummary logs the totals at info.
func (c *outcomeCounter) logSummary(l *slog.Logger) {
	counts := c.snapshot()
	attrs := make([]slog.Attr, 0, len(counts))
	for _, k := range slices.Sorted(maps.Keys(counts)) {
		attrs = append(attrs, slog.Int64(k, counts[k]))
	}
	l.LogAttrs(context.Background(), slog.LevelInfo, "mcpauth: authentication outcomes", attrs...)
}
