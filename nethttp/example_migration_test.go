package nethttp_test

import (
	"net/http"
	"net/http/httptest"

	"github.com/jwtgate/jwtgate/core/jwttest"
	"github.com/jwtgate/jwtgate/nethttp"
)

// WithQueryToken reads the token of a WebSocket handshake from the query,
// where the browser WebSocket API cannot set a header; a token in both the
// header and the query is refused.
func ExampleWithQueryToken() {
	iss, v := exampleVerifier()
	defer iss.Close()
	defer v.Close()

	h := nethttp.New(v, nethttp.WithQueryToken("access_token")).Handler(http.HandlerFunc(exampleHello))

	token := exampleMint(iss, jwttest.Claims{})
	for _, header := range []bool{false, true} {
		req := httptest.NewRequest("GET", "/me?access_token="+token, nil)
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

// WithBareToken accepts a token sent without the "Bearer" scheme, as API
// Gateway does; "Bearer <token>" keeps working.
func ExampleWithBareToken() {
	iss, v := exampleVerifier()
	defer iss.Close()
	defer v.Close()

	h := nethttp.New(v, nethttp.WithBareToken()).Handler(http.HandlerFunc(exampleHello))

	token := exampleMint(iss, jwttest.Claims{})
	for _, authorization := range []string{token, "Bearer " + token} {
		req := httptest.NewRequest("GET", "/me", nil)
		req.Header.Set("Authorization", authorization)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		exampleShow(rec.Result())
	}
	// Output:
	// 200 hello alice
	// 200 hello alice
}
