package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	if len(os.Args) < 2 {
		usage()
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	cmd, args := os.Args[1], os.Args[2:]
	fs := flag.NewFlagSet(cmd, flag.ExitOnError)
	var err error
	switch cmd {
	case "upstream":
		addr := fs.String("addr", "127.0.0.1:0", "listen address")
		fs.Parse(args)
		err = runUpstream(ctx, *addr)
	case "plain":
		addr := fs.String("addr", "127.0.0.1:0", "listen address")
		upstream := fs.String("upstream", "", "upstream URL")
		buffer := fs.Bool("buffer-bodies", false, "read request bodies up to 64 KiB whole before forwarding, as mcpauth proxy does")
		fs.Parse(args)
		err = runPlain(ctx, *addr, *upstream, *buffer)
	case "issuer":
		addr := fs.String("addr", "127.0.0.1:0", "listen address")
		aud := fs.String("aud", "", "audience of the tokens")
		n := fs.Int("tokens", 64, "number of tokens (one per client)")
		out := fs.String("out", "", "file to write the tokens to, one a line")
		fs.Parse(args)
		err = runIssuer(ctx, *addr, *aud, *n, *out)
	case "report":
		in := fs.String("in", "", "file of result lines written by the wrk script")
		out := fs.String("out", "", "Markdown file whose load section is replaced (default: none)")
		command := fs.String("cmd", "make bench-load", "the command, for the results file")
		settings := fs.String("settings", "", "the load settings, for the results file")
		noise := fs.String("noise", "", "a note on the machine's load during the run")
		fs.Parse(args)
		err = runReport(*in, *out, *command, *settings, *noise)
	default:
		usage()
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "load %s: %v\n", cmd, err)
		os.Exit(1)
	}
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: load upstream|plain|issuer|report [flags]")
	os.Exit(2)
}
