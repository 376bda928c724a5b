// Command prometheus is a net/http API behind jwtgate that exports jwtgate's
// metrics for Prometheus on GET /metrics:
//
//	GET /me       any valid access token; answers the subject
//	GET /orders   an access token with the scope -scope (default orders/read)
//	GET /metrics  the metrics (no token: keep it on an internal port in production)
//
// Metrics: jwtgate_requests_total{class,reason,issuer} and
// jwtgate_cache_requests_total{result} are counted by the
// core.Config.OnResult hook (metrics.go); jwtgate_keyset_* are read from
// Verifier.KeySetStatus at scrape time (keysets.go).
//
// Without flags it starts an embedded test issuer (core/jwttest) on a
// loopback port and prints curl lines with a token:
//
//	cd examples/prometheus && go run .
//
// It is a module of its own, so that the jwtgate module does not require
// the Prometheus client.
package main

import (
	"context"
	"io"
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/jwtgate/jwtgate/core"
	"github.com/jwtgate/jwtgate/examples/internal/exampleenv"
	"github.com/jwtgate/jwtgate/nethttp"
)

func main() { exampleenv.Main("prometheus", run) }

// run serves the API until ctx ends.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	env, err := exampleenv.Parse("prometheus", args, getenv, stderr)
	if err != nil {
		return err
	}
	defer env.Close()

	reg := prometheus.NewRegistry()
	m, err := NewMetrics(reg)
	if err != nil {
		return err
	}
	v, err := core.New(ctx, core.Config{
		Issuers:  []core.Issuer{env.Issuer},
		Audience: []string{env.ClientID},
		TokenUse: "access",
		OnResult: m.OnResult, // one call per request; nil costs nothing
	})
	if err != nil {
		return err
	}
	defer v.Close()
	if err := reg.Register(NewKeySetCollector(v)); err != nil {
		return err
	}

	return env.ServeHTTP(ctx, stdout, newAPI(v, reg, env.Scope))
}

// newAPI returns the routes: /me and /orders behind v, and /metrics for
// what reg gathers.
func newAPI(v *core.Verifier, reg *prometheus.Registry, scope string) http.Handler {
	auth := nethttp.New(v)
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	mux.Handle("GET /me", auth.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, _ := nethttp.Claims(r)
		_, _ = io.WriteString(w, c.Subject)
	})))
	mux.Handle("GET /orders", auth.Handler(nethttp.Require(core.RequireScopes(scope))(
		http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			_, _ = io.WriteString(w, "orders")
		}))))
	return mux
}
