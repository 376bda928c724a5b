package echojwt_test

import (
	"net/http"
	"net/http/httptest"

	"github.com/labstack/echo/v4"

	"github.com/jwtgate/jwtgate/core"
	"github.com/jwtgate/jwtgate/core/jwttest"
	"github.com/jwtgate/jwtgate/echojwt"
)

// WithQueryToken reads the token of a WebSocket handshake from the query,
// where the browser WebSocket API cannot set a header; a token in both the
// header and the query is refused.
func ExampleWithQueryToken() {
	iss, v := exampleVerifier()
	defer iss.Close()
	defer v.Close()

	r := echo.New()
	r.Use(echojwt.New(v, echojwt.WithQueryToken("access_token")))
	r.GET("/me", exampleHello)

	token := exampleMint(iss, jwttest.Claims{})
	for _, header := range []bool{false, true} {
		req := httptest.NewRequest("GET", "/me?access_token="+token, nil)
		if header {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		exampleServe(r, req)
	}
	// Output:
	// 200 hello alice
	// 400 WWW-Authenticate: Bearer realm="api", error="invalid_request" {"error":"invalid_request","error_description":"the bearer credentials are malformed or sent more than once"}
}

// WithBareToken accepts a token sent without the "Bearer" scheme, as API
// Gateway does; "Bearer <token>" keeps working.
func ExampleWithBareToken() {
	iss, v := exampleVerifier()
	defer iss.Close()
	defer v.Close()

	r := echo.New()
	r.Use(echojwt.New(v, echojwt.WithBareToken()))
	r.GET("/me", exampleHello)

	token := exampleMint(iss, jwttest.Claims{})
	for _, authorization := range []string{token, "Bearer " + token} {
		req := httptest.NewRequest("GET", "/me", nil)
		req.Header.Set("Authorization", authorization)
		exampleServe(r, req)
	}
	// Output:
	// 200 hello alice
	// 200 hello alice
}

// WithContextKey also stores the claims under "user", where handlers
// written for other JWT middleware look.
func ExampleWithContextKey() {
	iss, v := exampleVerifier()
	defer iss.Close()
	defer v.Close()

	r := echo.New()
	r.Use(echojwt.New(v, echojwt.WithContextKey("user")))
	r.GET("/me", func(c echo.Context) error {
		claims := c.Get("user").(*core.Claims) // as handlers of other Echo JWT middleware read it
		return c.String(http.StatusOK, "hello "+claims.Subject)
	})

	req := httptest.NewRequest("GET", "/me", nil)
	req.Header.Set("Authorization", "Bearer "+exampleMint(iss, jwttest.Claims{}))
	exampleServe(r, req)
	// Output:
	// 200 hello alice
}
