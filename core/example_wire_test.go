package core_test

import (
	"context"
	"fmt"

	"github.com/jwtgate/jwtgate/core"
)

// ExampleChallenge shows the WWW-Authenticate answer of each error class.
func ExampleChallenge() {
	for _, err := range []error{
		core.ErrMissingToken,
		core.ErrInvalidRequest,
		core.ErrTokenExpired,
		&core.ScopeError{Scopes: []string{"orders:write"}},
		core.ErrKeysUnavailable,
	} {
		status, www := core.Challenge(err, "")
		fmt.Println(status, www)
	}
	// Output:
	// 401 Bearer realm="api"
	// 400 Bearer realm="api", error="invalid_request"
	// 401 Bearer realm="api", error="invalid_token", error_description="the token has expired"
	// 403 Bearer realm="api", error="insufficient_scope", scope="orders:write"
	// 503
}

// ExampleBearerToken shows which Authorization values carry a token.
func ExampleBearerToken() {
	for _, values := range [][]string{
		{"Bearer eyJhbGciOi.eyJzdWIi.c2ln"},
		{"bearer eyJhbGciOi.eyJzdWIi.c2ln"},
		{"Basic dXNlcjpwYXNz"},
		{"Bearer a", "Bearer b"},
	} {
		token, err := core.BearerToken(values)
		fmt.Printf("%q %v\n", token, err)
	}
	// Output:
	// "eyJhbGciOi.eyJzdWIi.c2ln" <nil>
	// "eyJhbGciOi.eyJzdWIi.c2ln" <nil>
	// "" jwtgate: no bearer token
	// "" jwtgate: malformed request
}

// ExampleRespond shows the complete answer an adapter writes.
func ExampleRespond() {
	r := core.Respond(core.ErrTokenExpired, "orders")
	fmt.Println(r.Status)
	fmt.Println("WWW-Authenticate:", r.WWWAuthenticate)
	fmt.Println("Content-Type:", core.ContentType)
	fmt.Println(string(r.Body))

	r = core.Respond(core.ErrKeysUnavailable, "orders")
	fmt.Println(r.Status, "Retry-After:", r.RetryAfter)
	fmt.Println(string(r.Body))
	// Output:
	// 401
	// WWW-Authenticate: Bearer realm="orders", error="invalid_token", error_description="the token has expired"
	// Content-Type: application/json
	// {"error":"invalid_token","error_description":"the token has expired"}
	// 503 Retry-After: 5
	// {"error":"temporarily_unavailable","error_description":"the signing keys are unavailable, retry later"}
}

// ExampleRequireScopes shows a policy refusing verified claims, and the 403
// answer it leads to.
func ExampleRequireScopes() {
	// Claims as Verify returns them for a token with scope "orders:read".
	claims := &core.Claims{Subject: "alice", Scopes: []string{"orders:read"}}

	read := core.RequireScopes("orders:read")
	write := core.RequireScopes("orders:read", "orders:write")
	staff := core.RequireGroups("staff")

	fmt.Println(core.Authorize(context.Background(), claims, read))
	err := core.Authorize(context.Background(), claims, write)
	fmt.Println(err)
	fmt.Println(core.Challenge(err, ""))
	err = core.Authorize(context.Background(), claims, read, staff)
	fmt.Println(core.Challenge(err, ""))
	// Output:
	// <nil>
	// jwtgate: insufficient scope: requires scope orders:read orders:write
	// 403 Bearer realm="api", error="insufficient_scope", scope="orders:read orders:write"
	// 403 Bearer realm="api", error="insufficient_scope"
}
