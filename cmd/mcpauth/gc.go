package main

// gc.go decides how often the servers (serve, proxy, authz) collect
// garbage when the operator has not said.

import (
	"runtime/debug"
	"strings"
)

// serverGCPercent is the GOGC the servers run with when the environment
// sets neither GOGC nor GOMEMLIMIT.
//
// Why: the command links gRPC, Envoy's ext_authz protobuf types,
// OpenTelemetry and Prometheus, whose registries make a live heap of a few
// MiB that is dense with pointers, while each proxied request allocates
// about 10 KiB of short-lived garbage. With Go's default (GOGC=100, heap
// goal twice the live heap) the collector then runs every couple of
// hundred requests and re-scans that whole heap each time. In interleaved
// wrk runs on a 2-core machine GOGC=400 saved 3 to 14 µs of CPU per
// proxied request (of about 20 µs that mcpauth proxy costs over a plain
// reverse proxy, which gains nothing from the same setting, its heap being
// mostly pointer-free buffers). At 400 the heap goal is five times the
// live heap: for the servers' usual live heap (keys, token cache,
// registries: under 10 MiB) that is tens of MiB. An operator who sets GOGC or GOMEMLIMIT decides
// instead (a large token cache grows the live heap, and with it the
// goal).
const serverGCPercent = 400

// setServerGC applies serverGCPercent unless environ sets GOGC or
// GOMEMLIMIT (the Go runtime has read those already). It returns whether
// it changed the setting.
func setServerGC(environ []string) bool {
	for _, kv := range environ {
		if strings.HasPrefix(kv, "GOGC=") || strings.HasPrefix(kv, "GOMEMLIMIT=") {
			return false
		}
	}
	debug.SetGCPercent(serverGCPercent)
	return true
}
