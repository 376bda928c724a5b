// Command cognito is a net/http API that accepts the tokens of an Amazon
// Cognito user pool: ID tokens on one route, access tokens on the others, a
// route for members of a group, one for holders of a scope, and custom
// attributes (custom:department) read with Claims.Decode. See newAPI for
// the routes and why ID and access tokens get a verifier each.
//
// # Against a real user pool
//
//	go run ./examples/cognito -pool eu-west-1_AbC123xyz -client-id 1example23456789
//
// or with the environment: COGNITO_POOL_ID, COGNITO_CLIENT_ID. The pool id
// has the form <region>_<id> and the region is its prefix; -region, if
// given, must be that region. Flags win over the environment. -scope (default reports/read) and -group
// (default admin) name what GET /reports and GET /admin require; Cognito
// resource-server scopes look like <resource-server-id>/<scope>. Sign in
// with any Cognito client, then:
//
//	curl -H "Authorization: Bearer $ACCESS_TOKEN" http://127.0.0.1:8080/me
//	curl -H "Authorization: Bearer $ID_TOKEN" http://127.0.0.1:8080/profile
//
// The pool's JWKS is fetched over HTTPS from
// https://cognito-idp.<region>.amazonaws.com/<pool>/.well-known/jwks.json;
// no AWS credentials are needed to verify tokens.
//
// # Without a pool
//
//	go run ./examples/cognito
//
// starts an embedded issuer (core/jwttest) on a loopback port that signs
// tokens shaped like Cognito's, and prints ready-to-use tokens for two users
// as shell export lines: alice (group admin, scope reports/read,
// custom:department engineering) and bob (neither). Paste them into a shell
// and call the API with curl as above.
package main

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
	"strings"
	"syscall"
	"time"

	"github.com/jwtgate/jwtgate/core"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return
		}
		fmt.Fprintln(os.Stderr, "cognito:", err)
		os.Exit(1)
	}
}

// options are the command's settings, from flags and the environment.
type options struct {
	Addr     string
	Region   string
	Pool     string // empty: embedded issuer
	ClientID string
	Scope    string
	Group    string
}

func parseOptions(args []string, getenv func(string) string, stderr io.Writer) (options, error) {
	var o options
	fs := flag.NewFlagSet("cognito", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.Addr, "addr", "127.0.0.1:8080", "listen address")
	fs.StringVar(&o.Region, "region", "", "user pool region (default: the pool id's prefix, which it must match)")
	fs.StringVar(&o.Pool, "pool", getenv("COGNITO_POOL_ID"), "user pool id, e.g. eu-west-1_AbC123xyz (env COGNITO_POOL_ID; empty: embedded issuer)")
	fs.StringVar(&o.ClientID, "client-id", getenv("COGNITO_CLIENT_ID"), "app client id (env COGNITO_CLIENT_ID)")
	fs.StringVar(&o.Scope, "scope", "reports/read", "scope required by GET /reports")
	fs.StringVar(&o.Group, "group", "admin", "group required by GET /admin")
	if err := fs.Parse(args); err != nil {
		return options{}, err
	}
	if fs.NArg() > 0 {
		return options{}, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	switch {
	case o.Pool == "" && o.ClientID != "":
		return options{}, errors.New("-client-id given without -pool (COGNITO_POOL_ID)")
	case o.Pool == "":
		return o, nil // embedded issuer
	case o.ClientID == "":
		return options{}, errors.New("-pool given without -client-id (COGNITO_CLIENT_ID)")
	}
	// Pool ids are <region>_<id>: CognitoPool checks the form and reads the
	// region, so an id without a region is refused here rather than by
	// core.New.
	if _, err := core.CognitoPool(o.Pool); err != nil {
		return options{}, fmt.Errorf("-pool (COGNITO_POOL_ID): %w", err)
	}
	region, _, _ := strings.Cut(o.Pool, "_")
	if o.Region != "" && o.Region != region {
		return options{}, fmt.Errorf("-region %q is not the region of pool %q (%q)", o.Region, o.Pool, region)
	}
	o.Region = region
	return o, nil
}

// run is main without the process around it: it serves the API until ctx
// is done, then shuts down.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	o, err := parseOptions(args, getenv, stderr)
	if err != nil {
		return err
	}
	cfg := apiConfig{ClientID: o.ClientID, Scope: o.Scope, Group: o.Group}
	var users []sampleUser
	if o.Pool != "" {
		cfg.Pool = core.Cognito(o.Region, o.Pool)
	} else {
		emb := startEmbedded(time.Hour)
		defer emb.Close()
		cfg.Pool, cfg.ClientID, users = emb.Pool, emb.ClientID, emb.Users
	}

	api, closeAPI, err := newAPI(ctx, cfg)
	if err != nil {
		return err
	}
	defer closeAPI()

	l, err := net.Listen("tcp", o.Addr)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	base := "http://" + l.Addr().String()
	if users != nil {
		fmt.Fprintf(stdout, "embedded Cognito-shaped issuer at %s (client id %s); tokens valid 1h:\n", cfg.Pool.URL, cfg.ClientID)
		for _, u := range users {
			fmt.Fprintf(stdout, "export %s_ACCESS=%s\nexport %s_ID=%s\n", strings.ToUpper(u.Name), u.Access, strings.ToUpper(u.Name), u.ID)
		}
		fmt.Fprintf(stdout, "try: curl -H \"Authorization: Bearer $ALICE_ID\" %s/profile\n", base)
	} else {
		fmt.Fprintf(stdout, "user pool %s, client id %s\n", cfg.Pool.URL, cfg.ClientID)
	}
	fmt.Fprintf(stdout, "listening on %s (GET /profile with an ID token; /me, /admin, /reports with an access token)\n", base)

	srv := &http.Server{Handler: api, ReadHeaderTimeout: 10 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(l) }()
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdown); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	return nil
}
