package nethttp_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/jwtgate/jwtgate/core"
	"github.com/jwtgate/jwtgate/core/jwttest"
	"github.com/jwtgate/jwtgate/nethttp"
)

// exampleVerifier starts a test issuer whose tokens are for the client
// "my-api", and returns it with a Verifier that accepts them.
func exampleVerifier() (*jwttest.Issuer, *core.Verifier) {
	iss := jwttest.NewIssuer(jwttest.IssuerConfig{ClientID: "my-api"})
	v, err := core.New(context.Background(), core.Config{
		Issuers:  []core.Issuer{{URL: iss.URL, JWKSURL: iss.JWKSURL()}},
		Audience: []string{"my-api"},
		Logger:   slog.New(slog.DiscardHandler),
	})
	if err != nil {
		log.Fatal(err)
	}
	return iss, v
}

// exampleMint returns a token of iss for alice.
func exampleMint(iss *jwttest.Issuer, c jwttest.Claims) string {
	token, err := iss.Mint("alice", c)
	if err != nil {
		log.Fatal(err)
	}
	return token
}

// exampleShow prints the status, Location and WWW-Authenticate when set,
// and the body of anything but a redirect.
func exampleShow(resp *http.Response) {
	body, _ := io.ReadAll(resp.Body)
	line := fmt.Sprint(resp.StatusCode)
	for _, h := range []string{"Location", "WWW-Authenticate"} {
		if v := resp.Header.Get(h); v != "" {
			line += " " + h + ": " + v
		}
	}
	if resp.StatusCode/100 != 3 {
		line += " " + strings.TrimSpace(string(body))
	}
	fmt.Println(line)
}

// exampleHello answers "hello" and the subject of the verified token.
func exampleHello(w http.ResponseWriter, r *http.Request) {
	claims, _ := nethttp.Claims(r)
	fmt.Fprintf(w, "hello %s", claims.Subject)
}

// WithSkip lets a health check through without a token.
func ExampleWithSkip() {
	iss, v := exampleVerifier()
	defer iss.Close()
	defer v.Close()

	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") })
	mux.HandleFunc("GET /me", exampleHello)
	h := nethttp.New(v, nethttp.WithSkip(func(r *http.Request) bool {
		return r.URL.Path == "/healthz"
	})).Handler(mux)

	for _, path := range []string{"/healthz", "/me"} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
		exampleShow(rec.Result())
	}
	// Output:
	// 200 ok
	// 401 WWW-Authenticate: Bearer realm="api" {"error":"unauthorized","error_description":"a bearer token is required"}
}

// WithErrorHandler sends a browser without a token to the sign-in page and
// leaves every other refusal to the default answer.
func ExampleWithErrorHandler() {
	iss, v := exampleVerifier()
	defer iss.Close()
	defer v.Close()

	h := nethttp.New(v, nethttp.WithErrorHandler(func(w http.ResponseWriter, r *http.Request, err error) {
		if errors.Is(err, core.ErrMissingToken) {
			http.Redirect(w, r, "/login", http.StatusFound)
			return
		}
		nethttp.WriteError(w, err, "")
	})).Handler(http.HandlerFunc(exampleHello))

	expired := exampleMint(iss, jwttest.Claims{TTL: -time.Minute})
	for _, authorization := range []string{"", "Bearer " + expired} {
		req := httptest.NewRequest("GET", "/me", nil)
		if authorization != "" {
			req.Header.Set("Authorization", authorization)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		exampleShow(rec.Result())
	}
	// Output:
	// 302 Location: /login
	// 401 WWW-Authenticate: Bearer realm="api", error="invalid_token", error_description="the token has expired" {"error":"invalid_token","error_description":"the token has expired"}
}

// WithCookie reads the token from a cookie too; a token in both places is
// refused.
func ExampleWithCookie() {
	iss, v := exampleVerifier()
	defer iss.Close()
	defer v.Close()

	h := nethttp.New(v, nethttp.WithCookie("access_token")).Handler(http.HandlerFunc(exampleHello))

	token := exampleMint(iss, jwttest.Claims{})
	for _, header := range []bool{false, true} {
		req := httptest.NewRequest("GET", "/me", nil)
		req.AddCookie(&http.Cookie{Name: "access_token", Value: token})
		if header {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		exampleShow(rec.Result())
	}
	// Output:
	// 200 hello alice
	// 400 WWW-Authenticate: Bearer realm="api", error="invalid_request" {"error":"invalid_request","error_description":"the bearer credentials are malformed or sent more than once"}
}

// A handler reads custom claims with Decode.
func ExampleClaims() {
	iss, v := exampleVerifier()
	defer iss.Close()
	defer v.Close()

	profile := func(w http.ResponseWriter, r *http.Request) {
		claims, _ := nethttp.Claims(r)
		var attrs struct {
			Email string `json:"email"`
			Tier  string `json:"custom:tier"`
		}
		if err := claims.Decode(&attrs); err != nil {
			http.Error(w, "unexpected claims", http.StatusInternalServerError)
			return
		}
		fmt.Fprintf(w, "%s <%s> %s", claims.Subject, attrs.Email, attrs.Tier)
	}
	h := nethttp.New(v).Handler(http.HandlerFunc(profile))

	token := exampleMint(iss, jwttest.Claims{Extra: map[string]any{"email": "alice@example.com", "custom:tier": "gold"}})
	req := httptest.NewRequest("GET", "/profile", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	exampleShow(rec.Result())
	// Output:
	// 200 alice <alice@example.com> gold
}

// Require with core.RequireGroups keeps a route for the admin group.
func ExampleRequire() {
	iss, v := exampleVerifier()
	defer iss.Close()
	defer v.Close()

	h := nethttp.New(v).Handler(nethttp.Require(core.RequireGroups("admin"))(http.HandlerFunc(exampleHello)))

	for _, groups := range [][]string{{"staff", "admin"}, {"staff"}} {
		req := httptest.NewRequest("DELETE", "/users/42", nil)
		req.Header.Set("Authorization", "Bearer "+exampleMint(iss, jwttest.Claims{Groups: groups}))
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		exampleShow(rec.Result())
	}
	// Output:
	// 200 hello alice
	// 403 WWW-Authenticate: Bearer realm="api", error="insufficient_scope" {"error":"insufficient_scope","error_description":"the token does not grant access to this resource"}
}
