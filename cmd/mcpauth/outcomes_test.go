package main

import (
	"context"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/mcpauth/mcpauth/testkeys/testkeystest"
)

func TestServeOutcomeSummaryAtShutdown(t *testing.T) {
	kp := testkeystest.SharedRSAKeyPair(t)
	cfg, err := configFromEnv("serve", pemVars(kp), "127.0.0.1:0", "")
	if err != nil {
		t.Fatal(err)
	}
	logs := &syncBuffer{}
	cfg.logger = slog.New(slog.NewTextHandler(logs, nil))
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	errc := make(chan error, 1)
	go func() { errc <- serve(ctx, cfg, ready) }()
	url := <-ready
	do(t, http.MethodPost, url+mcpPath, "", whoamiBody)
	do(t, http.MethodPost, url+mcpPath, "bad", whoamiBody)
	cancel()
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(logs.String(), `msg="mcpauth: authentication outcomes" malformed=1 no_credentials=1`) {
		t.Errorf("no outcome summary at shutdown:\n%s", logs)
	}
	// Shut down: the port is closed.
	if _, err := http.Get(url + "/healthz"); err == nil {
		t.Error("the server still answers after shutdown")
	}
}
