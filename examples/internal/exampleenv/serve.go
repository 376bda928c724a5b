package exampleenv

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
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
