package redisstore_test

import (
	"log"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/mcpauth/mcpauth/dpop"
	"github.com/mcpauth/mcpauth/dpop/redisstore"
)

// ExampleNew shares DPoP replay detection between the replicas of one
// resource: each replica builds the same store, namespaced by the resource
// URL, and gives it to its dpop.Verifier (then middleware.WithDPoP or
// resource.Config.DPoP).
func ExampleNew() {
	opts, err := redisstore.ClientOptions("redis://redis.internal:6379/0", 500*time.Millisecond)
	if err != nil {
		log.Fatal(err)
	}
	client := redis.NewClient(opts)
	defer client.Close()
	store, err := redisstore.New(client, redisstore.Options{
		Namespace: "https://mcp.example.com/mcp",
		Timeout:   500 * time.Millisecond,
		// Fallback: dpop.NewMemoryStore(0, nil) would keep answering while
		// Redis is down, at the cost of replays across replicas.
	})
	if err != nil {
		log.Fatal(err)
	}
	v, err := dpop.NewVerifier(dpop.Config{Mode: dpop.Require, ReplayStore: store})
	if err != nil {
		log.Fatal(err)
	}
	_ = v
}
