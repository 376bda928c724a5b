// Command demo shows jwtgate end to end on one machine, with nothing to set up.
//
// It starts the embedded issuer of core/jwttest (JWKS, OIDC discovery and a
// token endpoint with refresh-token rotation), serves the same small API
// behind all four adapters (net/http, Gin, Fiber, Echo) on loopback ports,
// and runs a client built on package refresh against each of them: a valid
// token, no token, an expired token, a tampered token, a token that lacks a
// scope. Then it lets the access token expire and sends concurrent calls,
// which share one refresh. It prints what every answer was and exits 0 when
// each was the expected one.
//
//	go run ./examples/demo                 # the table, then exit
//	go run ./examples/demo -serve          # keep the servers up for curl
//	go run ./examples/demo -pool us-east-1_AbC123 -client-id 1example23456789
//	                                       # verify a real Cognito pool's access tokens (implies -serve)
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/gofiber/fiber/v2"
	"github.com/labstack/echo/v4"
	"golang.org/x/oauth2"

	"github.com/jwtgate/jwtgate/core"
	"github.com/jwtgate/jwtgate/core/jwttest"
	"github.com/jwtgate/jwtgate/echojwt"
	"github.com/jwtgate/jwtgate/fiberjwt"
	"github.com/jwtgate/jwtgate/ginjwt"
	"github.com/jwtgate/jwtgate/nethttp"
	"github.com/jwtgate/jwtgate/refresh"
)

const (
	clientID   = "demo-client"
	user       = "alice"
	password   = "wonderland"
	accessTTL  = 2 * time.Second
	concurrent = 8
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout))
}

// run is the whole program; it returns the exit code.
func run(ctx context.Context, args []string, out io.Writer) int {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	fs.SetOutput(out)
	serve := fs.Bool("serve", false, "keep the servers running for curl after the checks (Ctrl-C stops)")
	region := fs.String("region", "", "AWS region of a real Cognito user pool (default: the pool id's prefix)")
	pool := fs.String("pool", "", "Cognito user pool id, such as us-east-1_AbC123 (with -client-id: verify that pool's access tokens)")
	client := fs.String("client-id", "", "Cognito app client id")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	gin.SetMode(gin.ReleaseMode)
	quiet := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))

	if *pool != "" {
		if *client == "" {
			fmt.Fprintln(out, "demo: -pool needs -client-id")
			return 2
		}
		iss, err := core.CognitoPool(*pool) // checks the pool id and takes its region
		if err != nil {
			fmt.Fprintf(out, "demo: -pool: %v\n", err)
			return 2
		}
		if prefix, _, _ := strings.Cut(*pool, "_"); *region != "" && *region != prefix {
			fmt.Fprintf(out, "demo: -region %q is not the region of -pool %q\n", *region, *pool)
			return 2
		}
		return serveCognito(ctx, out, iss, *client)
	}

	iss := jwttest.NewIssuer(jwttest.IssuerConfig{
		ClientID:  clientID,
		Key:       jwttest.NewKey("RS256", "demo-key-1"),
		AccessTTL: accessTTL,
		Scopes:    []string{"read"},
		Groups:    []string{"staff"},
		Rotate:    true,
		Users:     map[string]string{user: password},
	})
	defer iss.Close()

	v, err := core.New(ctx, core.Config{
		Issuers:  []core.Issuer{{URL: iss.URL}}, // JWKS found through OIDC discovery
		Audience: []string{clientID},
		Logger:   quiet,
	})
	if err != nil {
		fmt.Fprintf(out, "demo: %v\n", err)
		return 1
	}
	defer v.Close()

	apis, err := startAPIs(v)
	if err != nil {
		fmt.Fprintf(out, "demo: %v\n", err)
		return 1
	}
	defer func() {
		for _, a := range apis {
			a.stop()
		}
	}()

	// Sign in with the password grant, then hand the tokens to a refresh.Source.
	oc := &oauth2.Config{ClientID: clientID, Endpoint: oauth2.Endpoint{TokenURL: iss.TokenURL(), AuthStyle: oauth2.AuthStyleInParams}}
	tok, err := oc.PasswordCredentialsToken(ctx, user, password)
	if err != nil {
		fmt.Fprintf(out, "demo: sign-in: %v\n", err)
		return 1
	}
	idToken, _ := tok.Extra("id_token").(string)
	src := refresh.NewSource(refresh.NewOAuth2Exchanger(oc), &refresh.Tokens{
		AccessToken: tok.AccessToken, IDToken: idToken, RefreshToken: tok.RefreshToken,
		TokenType: tok.TokenType, Expiry: tok.Expiry,
	}, refresh.WithExpiryDelta(200*time.Millisecond))
	defer src.Close()
	api := &http.Client{Transport: src.Transport(nil), Timeout: 10 * time.Second}
	plain := &http.Client{Timeout: 10 * time.Second}

	key := iss.Config().Key
	now := time.Now()
	expired := key.Sign(map[string]any{
		"iss": iss.URL, "sub": user, "aud": clientID, "scope": "read",
		"iat": now.Add(-2 * time.Hour).Unix(), "exp": now.Add(-time.Hour).Unix(),
	})
	tampered := tamper(tok.AccessToken)

	type check struct {
		name   string
		client *http.Client
		path   string
		token  string // sent by hand when client is plain
		status int
		errc   string // expected error attribute of WWW-Authenticate
	}
	checks := []check{
		{"valid token", api, "/hello", "", http.StatusOK, ""},
		{"no token", plain, "/hello", "", http.StatusUnauthorized, ""},
		{"expired token", plain, "/hello", expired, http.StatusUnauthorized, "invalid_token"},
		{"tampered token", plain, "/hello", tampered, http.StatusUnauthorized, "invalid_token"},
		{"missing scope", api, "/admin", "", http.StatusForbidden, "insufficient_scope"},
	}

	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "FRAMEWORK\tCASE\tSTATUS\tWWW-AUTHENTICATE ERROR\tRESULT")
	var total, failed int
	record := func(fw, name string, got, want int, gotErr, wantErr string) {
		total++
		res := "ok"
		if got != want || gotErr != wantErr {
			res = fmt.Sprintf("FAIL (want %d %s)", want, dash(wantErr))
			failed++
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\n", fw, name, got, dash(gotErr), res)
	}
	for _, a := range apis {
		for _, c := range checks {
			status, errc, err := call(ctx, c.client, a.url+c.path, c.token)
			if err != nil {
				fmt.Fprintf(out, "demo: %s %s: %v\n", a.name, c.name, err)
				return 1
			}
			record(a.name, c.name, status, c.status, errc, c.errc)
		}
	}

	// Let the access token expire, then call every API at once: the Source
	// refreshes once for all of them, and the issuer rotates the refresh token.
	before := iss.TokenRequests()
	select {
	case <-time.After(accessTTL + 300*time.Millisecond):
	case <-ctx.Done():
		return 1
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	okCalls := 0
	for i := 0; i < concurrent; i++ {
		a := apis[i%len(apis)]
		wg.Add(1)
		go func() {
			defer wg.Done()
			status, _, err := call(ctx, api, a.url+"/hello", "")
			if err == nil && status == http.StatusOK {
				mu.Lock()
				okCalls++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	refreshes := iss.TokenRequests() - before
	total++
	res := "ok"
	if refreshes != 1 || okCalls != concurrent {
		res = "FAIL (want 1 refresh, all 200)"
		failed++
	}
	fmt.Fprintf(tw, "all\t%d calls after expiry\t%d×200\t%d refresh\t%s\n", concurrent, okCalls, refreshes, res)
	tw.Flush()

	fmt.Fprintf(out, "\n%d checks: %d passed, %d failed\n", total, total-failed, failed)
	if *serve {
		// The client's tokens live two seconds; curl gets one that lasts an hour.
		now := time.Now()
		long := key.Sign(map[string]any{
			"iss": iss.URL, "sub": user, "aud": clientID, "client_id": clientID, "scope": "read",
			"iat": now.Unix(), "exp": now.Add(time.Hour).Unix(),
		})
		fmt.Fprintf(out, "\nexport TOKEN=%s\n", long)
		printCurl(out, apis)
		<-ctx.Done()
	}
	if failed > 0 {
		return 1
	}
	return 0
}

// serveCognito runs the four APIs in front of a real Cognito user pool until
// ctx ends; requests need that pool's access tokens.
func serveCognito(ctx context.Context, out io.Writer, pool core.Issuer, client string) int {
	v, err := core.New(ctx, core.Config{
		Issuers:  []core.Issuer{pool},
		Audience: []string{client},
		TokenUse: "access",
	})
	if err != nil {
		fmt.Fprintf(out, "demo: %v\n", err)
		return 1
	}
	defer v.Close()
	apis, err := startAPIs(v)
	if err != nil {
		fmt.Fprintf(out, "demo: %v\n", err)
		return 1
	}
	defer func() {
		for _, a := range apis {
			a.stop()
		}
	}()
	fmt.Fprintln(out, "\nexport TOKEN=<an access token of the pool>")
	printCurl(out, apis)
	<-ctx.Done()
	return 0
}

func printCurl(out io.Writer, apis []*server) {
	fmt.Fprintln(out, "servers are up; Ctrl-C stops them:")
	for _, a := range apis {
		fmt.Fprintf(out, "  %-8s curl -i -H \"Authorization: Bearer $TOKEN\" %s/hello\n", a.name, a.url)
	}
}

// call sends GET url (with token, when not empty) and returns the status and
// the error attribute of WWW-Authenticate.
func call(ctx context.Context, c *http.Client, url, token string) (int, string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return 0, "", err
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := c.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, resp.Body)
	return resp.StatusCode, errorAttr(resp.Header.Get("WWW-Authenticate")), nil
}

// errorAttr returns the error="…" attribute of a Bearer challenge.
func errorAttr(h string) string {
	_, rest, ok := strings.Cut(h, `error="`)
	if !ok {
		return ""
	}
	v, _, _ := strings.Cut(rest, `"`)
	return v
}

// tamper changes one character of the payload, so the signature no longer matches.
func tamper(tok string) string {
	parts := strings.SplitN(tok, ".", 3)
	if len(parts) != 3 || len(parts[1]) < 2 {
		return tok
	}
	p := []byte(parts[1])
	i := len(p) / 2
	if p[i] == 'A' {
		p[i] = 'B'
	} else {
		p[i] = 'A'
	}
	return parts[0] + "." + string(p) + "." + parts[2]
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

type server struct {
	name string
	url  string
	stop func()
}

// startAPIs serves GET /hello (any valid token) and GET /admin (scope admin)
// behind each adapter on a loopback port.
func startAPIs(v *core.Verifier) ([]*server, error) {
	admin := core.RequireScopes("admin")
	hello := func(c *core.Claims) string { return "hello " + c.Subject + "\n" }

	var apis []*server
	listen := func(name string) (net.Listener, error) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		return ln, nil
	}
	httpServe := func(name string, ln net.Listener, h http.Handler) {
		srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}
		go srv.Serve(ln)
		apis = append(apis, &server{name: name, url: "http://" + ln.Addr().String(), stop: func() { srv.Close() }})
	}

	// net/http
	ln, err := listen("net/http")
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /hello", func(w http.ResponseWriter, r *http.Request) {
		c, _ := nethttp.Claims(r)
		io.WriteString(w, hello(c))
	})
	mux.Handle("GET /admin", nethttp.Require(admin)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "admin\n")
	})))
	httpServe("net/http", ln, nethttp.New(v).Handler(mux))

	// Gin
	if ln, err = listen("gin"); err != nil {
		return nil, err
	}
	g := gin.New()
	g.Use(ginjwt.New(v))
	g.GET("/hello", func(c *gin.Context) {
		cl, _ := ginjwt.Claims(c)
		c.String(http.StatusOK, hello(cl))
	})
	g.GET("/admin", ginjwt.Require(admin), func(c *gin.Context) { c.String(http.StatusOK, "admin\n") })
	httpServe("gin", ln, g)

	// Echo
	if ln, err = listen("echo"); err != nil {
		return nil, err
	}
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.Use(echojwt.New(v))
	e.GET("/hello", func(c echo.Context) error {
		cl, _ := echojwt.Claims(c)
		return c.String(http.StatusOK, hello(cl))
	})
	e.GET("/admin", func(c echo.Context) error { return c.String(http.StatusOK, "admin\n") }, echojwt.Require(admin))
	httpServe("echo", ln, e)

	// Fiber
	if ln, err = listen("fiber"); err != nil {
		return nil, err
	}
	app := fiber.New(fiber.Config{DisableStartupMessage: true})
	app.Use(fiberjwt.New(v))
	app.Get("/hello", func(c *fiber.Ctx) error {
		cl, _ := fiberjwt.Claims(c)
		return c.SendString(hello(cl))
	})
	app.Get("/admin", fiberjwt.Require(admin), func(c *fiber.Ctx) error { return c.SendString("admin\n") })
	go app.Listener(ln)
	apis = append(apis, &server{name: "fiber", url: "http://" + ln.Addr().String(), stop: func() { app.Shutdown() }})

	return apis, nil
}
