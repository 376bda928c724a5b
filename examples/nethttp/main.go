// Command nethttp is a small net/http API behind jwtgate:
//
//	GET /public   no token needed
//	GET /me       any valid access token; answers the verified claims
//	GET /orders   an access token with the scope -scope (default orders/read)
//	GET /admin    an access token of a member of the group "admin"
//	GET /readyz   readiness: 200 once the issuer's key set has loaded, else 503
//
// Without flags it starts an embedded test issuer (core/jwttest) on a
// loopback port and prints curl lines with a token:
//
//	go run ./examples/nethttp
//
// Against a real Amazon Cognito user pool (no AWS credentials needed):
//
//	go run ./examples/nethttp -pool eu-west-1_AbC123xyz -client-id 1example23456789
//
// or with COGNITO_POOL_ID and COGNITO_CLIENT_ID in the environment. The pool
// id has the form <region>_<id>; the region is its prefix.
package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"

	"github.com/jwtgate/jwtgate/core"
	"github.com/jwtgate/jwtgate/examples/internal/exampleenv"
	"github.com/jwtgate/jwtgate/nethttp"
)

func main() { exampleenv.Main("nethttp", run) }

// run serves the API until ctx ends.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	env, err := exampleenv.Parse("nethttp", args, getenv, stderr)
	if err != nil {
		return err
	}
	defer env.Close()

	v, err := core.New(ctx, core.Config{
		Issuers:  []core.Issuer{env.Issuer},
		Audience: []string{env.ClientID},
		TokenUse: "access",
	})
	if err != nil {
		return err
	}
	defer v.Close()

	return env.ServeHTTP(ctx, stdout, newAPI(v, env.Scope))
}

// newAPI returns the routes, with v in front of all but /public.
func newAPI(v *core.Verifier, scope string) http.Handler {
	auth := nethttp.New(v)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /public", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, map[string]any{"message": "public"})
	})
	// Readiness: route traffic here only once the keys have loaded (until
	// then every token would get 503). Ready does not wait or fetch.
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		if err := v.Ready(r.Context()); err != nil {
			w.WriteHeader(http.StatusServiceUnavailable)
			writeJSON(w, map[string]any{"ready": false})
			return
		}
		writeJSON(w, map[string]any{"ready": true})
	})
	mux.Handle("GET /me", auth.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, _ := core.FromContext(r.Context())
		writeJSON(w, map[string]any{"sub": c.Subject, "username": c.Username, "scopes": c.Scopes, "groups": c.Groups})
	})))
	mux.Handle("GET /orders", auth.Handler(nethttp.Require(core.RequireScopes(scope))(
		http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			writeJSON(w, map[string]any{"orders": []string{}})
		}))))
	mux.Handle("GET /admin", auth.Handler(nethttp.Require(core.RequireGroups("admin"))(
		http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			writeJSON(w, map[string]any{"message": "welcome, admin"})
		}))))
	return mux
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}
