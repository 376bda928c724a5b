package fiberjwt_test

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

	"github.com/gofiber/fiber/v2"

	"github.com/jwtgate/jwtgate/core"
	"github.com/jwtgate/jwtgate/core/jwttest"
	"github.com/jwtgate/jwtgate/fiberjwt"
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
func exampleHello(c *fiber.Ctx) error {
	claims, _ := fiberjwt.Claims(c)
	return c.SendString("hello " + claims.Subject)
}

// exampleServe sends req to app and prints the answer.
func exampleServe(app *fiber.App, req *http.Request) {
	resp, err := app.Test(req, -1)
	if err != nil {
		log.Fatal(err)
	}
	defer resp.Body.Close()
	exampleShow(resp)
}

// WithSkip lets a health check through without a token.
func ExampleWithSkip() {
	iss, v := exampleVerifier()
	defer iss.Close()
	defer v.Close()

	r := fiber.New(fiber.Config{DisableStartupMessage: true})
	r.Use(fiberjwt.New(v, fiberjwt.WithSkip(func(c *fiber.Ctx) bool {
		return c.Path() == "/healthz"
	})))
	r.Get("/healthz", func(c *fiber.Ctx) error { return c.SendString("ok") })
	r.Get("/me", exampleHello)

	for _, path := range []string{"/healthz", "/me"} {
		exampleServe(r, httptest.NewRequest("GET", path, nil))
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

	r := fiber.New(fiber.Config{DisableStartupMessage: true})
	r.Use(fiberjwt.New(v, fiberjwt.WithErrorHandler(func(c *fiber.Ctx, err error) error {
		if errors.Is(err, core.ErrMissingToken) {
			return c.Redirect("/login", fiber.StatusFound)
		}
		return fiberjwt.WriteError(c, err, "")
	})))
	r.Get("/me", exampleHello)

	expired := exampleMint(iss, jwttest.Claims{TTL: -time.Minute})
	for _, authorization := range []string{"", "Bearer " + expired} {
		req := httptest.NewRequest("GET", "/me", nil)
		if authorization != "" {
			req.Header.Set("Authorization", authorization)
		}
		exampleServe(r, req)
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

	r := fiber.New(fiber.Config{DisableStartupMessage: true})
	r.Use(fiberjwt.New(v, fiberjwt.WithCookie("access_token")))
	r.Get("/me", exampleHello)

	token := exampleMint(iss, jwttest.Claims{})
	for _, header := range []bool{false, true} {
		req := httptest.NewRequest("GET", "/me", nil)
		req.AddCookie(&http.Cookie{Name: "access_token", Value: token})
		if header {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		exampleServe(r, req)
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

	profile := func(c *fiber.Ctx) error {
		claims, _ := fiberjwt.Claims(c)
		var attrs struct {
			Email string `json:"email"`
			Tier  string `json:"custom:tier"`
		}
		if err := claims.Decode(&attrs); err != nil {
			return fiber.NewError(fiber.StatusInternalServerError, "unexpected claims")
		}
		return c.SendString(fmt.Sprintf("%s <%s> %s", claims.Subject, attrs.Email, attrs.Tier))
	}
	r := fiber.New(fiber.Config{DisableStartupMessage: true})
	r.Get("/profile", fiberjwt.New(v), profile)

	token := exampleMint(iss, jwttest.Claims{Extra: map[string]any{"email": "alice@example.com", "custom:tier": "gold"}})
	req := httptest.NewRequest("GET", "/profile", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	exampleServe(r, req)
	// Output:
	// 200 alice <alice@example.com> gold
}

// Require with core.RequireGroups keeps a route for the admin group.
func ExampleRequire() {
	iss, v := exampleVerifier()
	defer iss.Close()
	defer v.Close()

	r := fiber.New(fiber.Config{DisableStartupMessage: true})
	r.Use(fiberjwt.New(v))
	r.Delete("/users/:id", fiberjwt.Require(core.RequireGroups("admin")), exampleHello)

	for _, groups := range [][]string{{"staff", "admin"}, {"staff"}} {
		req := httptest.NewRequest("DELETE", "/users/42", nil)
		req.Header.Set("Authorization", "Bearer "+exampleMint(iss, jwttest.Claims{Groups: groups}))
		exampleServe(r, req)
	}
	// Output:
	// 200 hello alice
	// 403 WWW-Authenticate: Bearer realm="api", error="insufficient_scope" {"error":"insufficient_scope","error_description":"the token does not grant access to this resource"}
}
