// Package exampleenv is the scaffolding the framework examples share: flags
// and environment for a real Cognito user pool, or an embedded jwttest
// issuer when none is given. Nothing in it belongs in a real service; the
// part worth copying (core.New, the middleware, the routes) is in each
// example's main.go.
package exampleenv

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/jwtgate/jwtgate/core"
	"github.com/jwtgate/jwtgate/core/jwttest"
)

// EmbeddedClientID is the app client id of the embedded issuer.
const EmbeddedClientID = "jwtgate-example-client"

// Env is what an example runs with.
type Env struct {
	Addr     string      // listen address
	Issuer   core.Issuer // the trusted issuer
	ClientID string      // the accepted app client id
	Scope    string      // the scope GET /orders requires
	// Token is an access token for user "alice" carrying Scope, when the
	// issuer is embedded; empty for a real pool.
	Token string

	issuer *jwttest.Issuer
}

// Parse reads flags (-addr, -region, -pool, -client-id, -scope) and the
// environment (COGNITO_POOL_ID, COGNITO_CLIENT_ID); flags win. The pool id
// carries its region (<region>_<id>), so AWS_REGION, which names the
// default region of AWS API calls rather than the pool's, is not read;
// -region, if given, must be the pool id's prefix.
// Without a pool it starts an embedded issuer on 127.0.0.1 that signs
// Cognito-shaped tokens. Close the Env when done.
func Parse(name string, args []string, getenv func(string) string, stderr io.Writer) (*Env, error) {
	e := &Env{}
	var region, pool string
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&e.Addr, "addr", "127.0.0.1:8080", "listen address")
	fs.StringVar(&region, "region", "", "user pool region (default: the pool id's prefix, which it must match)")
	fs.StringVar(&pool, "pool", getenv("COGNITO_POOL_ID"), "Cognito user pool id, e.g. eu-west-1_AbC123 (env COGNITO_POOL_ID); empty: embedded issuer")
	fs.StringVar(&e.ClientID, "client-id", getenv("COGNITO_CLIENT_ID"), "app client id (env COGNITO_CLIENT_ID)")
	fs.StringVar(&e.Scope, "scope", "orders/read", "scope that GET /orders requires")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected arguments: %q", fs.Args())
	}
	if pool == "" {
		e.startEmbedded()
		return e, nil
	}
	if e.ClientID == "" {
		return nil, errors.New("-client-id (or COGNITO_CLIENT_ID) is required with -pool")
	}
	iss, err := core.CognitoPool(pool) // checks the pool id and takes its region
	if err != nil {
		return nil, err
	}
	if prefix, _, _ := strings.Cut(pool, "_"); region != "" && region != prefix {
		return nil, fmt.Errorf("-region %q is not the region of pool %q", region, pool)
	}
	e.Issuer = iss
	return e, nil
}

func (e *Env) startEmbedded() {
	e.ClientID = EmbeddedClientID
	e.issuer = jwttest.NewIssuer(jwttest.IssuerConfig{
		ClientID: EmbeddedClientID,
		Scopes:   []string{"openid", e.Scope},
		Groups:   []string{"staff"},
		Cognito:  true,
	})
	e.Issuer = core.Issuer{URL: e.issuer.URL, JWKSURL: e.issuer.JWKSURL(), Cognito: true}
	e.Token, _, _ = e.issuer.Tokens("alice")
}

// Announce prints where the API listens and, with an embedded issuer, curl
// lines that call it with a token.
func (e *Env) Announce(w io.Writer, baseURL string) {
	fmt.Fprintf(w, "issuer: %s\n", e.Issuer.URL)
	fmt.Fprintf(w, "listening: %s\n", baseURL)
	fmt.Fprintf(w, "curl %s/public\n", baseURL)
	fmt.Fprintf(w, "curl -i %s/me\n", baseURL)
	if e.Token == "" {
		fmt.Fprintf(w, "curl -H \"Authorization: Bearer $ACCESS_TOKEN\" %s/me\n", baseURL)
		return
	}
	fmt.Fprintf(w, "curl -H \"Authorization: Bearer %s\" %s/me\n", e.Token, baseURL)
	fmt.Fprintf(w, "curl -H \"Authorization: Bearer %s\" %s/orders\n", e.Token, baseURL)
}

// Close stops the embedded issuer, if any.
func (e *Env) Close() {
	if e != nil && e.issuer != nil {
		e.issuer.Close()
	}
}
