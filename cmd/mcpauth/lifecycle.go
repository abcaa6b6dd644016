package main

// lifecycle.go runs the HTTP server: listen, serve until the context ends,
// shut down gracefully, and the server's limits.

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/mcpauth/mcpauth"
	"github.com/mcpauth/mcpauth/verify"
)

// HTTP server limits.
// (The read and idle timeouts are in reads.go.)
const (
	// minMaxHeaderBytes bounds request headers; a larger Authorization
	// header is answered 431 by net/http before any handler runs.
	minMaxHeaderBytes = 64 << 10
	shutdownGrace     = 10 * time.Second
)

// runServer is the body of "mcpauth serve" and "mcpauth proxy".
func runServer(command string, args []string, e env) int {
	cfg, code, done := parseServerConfig(command, args, e)
	if done {
		return code
	}
	setServerGC(e.environ)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := serve(ctx, cfg, nil); err != nil {
		if errors.Is(err, errConfig) || errors.Is(err, mcpauth.ErrInvalidConfig) {
			return e.failf(exitUsage, "%s", strings.TrimPrefix(err.Error(), errConfig.Error()+": "))
		}
		return e.failf(exitInternal, "%v", err)
	}
	return exitOK
}

// serve listens on cfg.addr, sends the listen URL (http://host:port) on
// ready (if non-nil) once requests are answered, and serves until ctx ends;
// it then shuts down gracefully and returns nil. Errors wrapping errConfig
// or mcpauth.ErrInvalidConfig are configuration mistakes.
func serve(ctx context.Context, cfg *serverConfig, ready chan<- string) error {
	logger := cfg.logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	ln, err := net.Listen("tcp", cfg.addr)
	if err != nil {
		return fmt.Errorf("listening on %s: %w", cfg.addr, err)
	}
	defer ln.Close()

	// The verifier's background work outlives ctx until the server has
	// drained, so that requests in flight at shutdown are still answered.
	vctx, vcancel := context.WithCancel(context.WithoutCancel(ctx))
	defer vcancel()
	st, err := newSite(vctx, cfg, logger, "http://"+dialableAddr(ln.Addr()))
	if err != nil {
		return err
	}
	defer st.closeFn()
	var metrics *metricsServer
	if st.obs.metrics != nil {
		if metrics, err = startMetrics(cfg, st.obs.metrics, logger); err != nil {
			return err
		}
	}

	srv := &http.Server{
		Handler:        boundReads(st.handler),
		MaxHeaderBytes: maxHeaderBytes(cfg.settings.MaxTokenBytes),
		ErrorLog:       slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
		// No WriteTimeout: it would cut SSE streams.
	}
	setReadTimeouts(srv, cfg.readTimeouts)
	if st.h2c {
		srv.Protocols = new(http.Protocols)
		srv.Protocols.SetHTTP1(true)
		srv.Protocols.SetUnencryptedHTTP2(true)
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()

	if st.demo != nil {
		if err := st.demo.selfCheck(ctx, st.verifier); err != nil {
			srv.Close()
			metrics.close()
			if ctx.Err() != nil {
				return nil // stopped while starting
			}
			return err
		}
		st.demo.printBanner(cfg.stdout, st)
	}
	logger.Info("mcpauth: listening",
		slog.String("command", cfg.command), slog.String("url", st.listenURL),
		slog.String("resource", st.resource), slog.String("verifier", cfg.mode.String()))
	if ready != nil {
		select {
		case ready <- st.listenURL:
		case <-ctx.Done():
		}
	}

	var merrc <-chan error
	if metrics != nil {
		merrc = metrics.errc
	}
	select {
	case err := <-errc:
		metrics.close()
		return fmt.Errorf("serving: %w", err)
	case err := <-merrc:
		srv.Close()
		return fmt.Errorf("serving %s: %w", envMetricsAddr, err)
	case <-ctx.Done():
	}
	logger.Info("mcpauth: shutting down")
	grace := cfg.shutdownTimeout
	if grace <= 0 {
		grace = shutdownGrace
	}
	sctx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		logger.Warn("mcpauth: connections still open after the shutdown grace period; closing them", slog.Duration("grace", grace))
		srv.Close()
	}
	// Scrapes keep working while the requests drain.
	metrics.shutdown(sctx)
	st.outcomes.logSummary(logger)
	return nil
}

// maxHeaderBytes allows the configured token size plus room for the other
// headers, and at least minMaxHeaderBytes.
func maxHeaderBytes(maxToken int) int {
	if maxToken <= 0 {
		maxToken = verify.DefaultMaxTokenBytes
	}
	return max(minMaxHeaderBytes, maxToken+32<<10)
}
