package exampleenv

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"
)

// Serve listens on Addr, announces the URL on stdout, and runs serve on the
// listener until ctx ends, when it calls shutdown (bounded by 5 s).
func (e *Env) Serve(ctx context.Context, stdout io.Writer, serve func(net.Listener) error, shutdown func(context.Context) error) error {
	ln, err := net.Listen("tcp", e.Addr)
	if err != nil {
		return err
	}
	e.Announce(stdout, "http://"+ln.Addr().String())
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		_ = shutdown(sctx)
	}()
	if err := serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// ServeHTTP is Serve for an http.Handler.
func (e *Env) ServeHTTP(ctx context.Context, stdout io.Writer, h http.Handler) error {
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	return e.Serve(ctx, stdout, srv.Serve, srv.Shutdown)
}

// Main runs an example's run function with the process's arguments,
// environment and output until SIGINT or SIGTERM, and exits 1 on error.
func Main(name string, run func(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error) {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr); err != nil && !errors.Is(err, flag.ErrHelp) {
		fmt.Fprintln(os.Stderr, name+":", err)
		stop()
		os.Exit(1)
	}
}
