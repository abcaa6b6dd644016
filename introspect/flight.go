package introspect

import (
	"context"
	"sync"

	"github.com/mcpauth/mcpauth"
	"github.com/mcpauth/mcpauth/internal/tokencache"
)

// result is the outcome of one introspection: a token or a refusal.
type result struct {
	at  *mcpauth.AccessToken
	err error
}

// flight lets concurrent requests for one token share one introspection
// call. The call runs detached from the callers' cancellation (bounded by
// Config.Timeout), so a caller that gives up neither cancels it for the
// others nor wastes it: the result still reaches the cache.
type flight struct {
	mu     sync.Mutex
	calls  map[tokencache.Key]*call
	joined func() // test hook: a caller joined a call in flight
	ended  func() // test hook: a call ended and left the map
}

// call is one introspection in flight.
type call struct {
	done chan struct{} // closed when r is set
	r    result
}

// do returns the result of fn for k, starting fn unless a call for k is in
// flight. A caller whose ctx ends first gets an error matching
// mcpauth.ErrKeySourceUnavailable.
func (f *flight) do(ctx context.Context, k *tokencache.Key, fn func(context.Context) result) result {
	f.mu.Lock()
	c, joined := f.calls[*k]
	if !joined {
		c = &call{done: make(chan struct{})}
		if f.calls == nil {
			f.calls = make(map[tokencache.Key]*call)
		}
		f.calls[*k] = c
		key := *k
		go func() {
			c.r = fn(context.WithoutCancel(ctx))
			f.mu.Lock()
			delete(f.calls, key)
			f.mu.Unlock()
			close(c.done)
			if f.ended != nil {
				f.ended()
			}
		}()
	}
	f.mu.Unlock()
	if joined && f.joined != nil {
		f.joined()
	}
	select {
	case <-c.done:
		return c.r
	case <-ctx.Done():
		return result{err: unavailable("the request ended before the introspection answer: %v", ctx.Err())}
	}
}
