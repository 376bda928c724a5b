package core_test

import (
	"context"
	"fmt"
	"log"
	"log/slog"
	"time"

	"github.com/jwtgate/jwtgate/core"
)

// ExampleVerifier_AuthenticateContext is the heart of a middleware for a
// framework jwtgate has no adapter for: the values of the Authorization
// header in, the claims and a context carrying them out, or the answer to
// send.
func ExampleVerifier_AuthenticateContext() {
	key, idp := exampleIssuer()
	defer idp.Close()
	v, err := core.New(context.Background(), core.Config{
		Issuers:  []core.Issuer{{URL: idp.URL}},
		Audience: []string{"orders-api"},
		Now:      func() time.Time { return exampleNow },
		Logger:   slog.New(slog.DiscardHandler),
	})
	if err != nil {
		log.Fatal(err)
	}
	defer v.Close()

	token := exampleToken(key, idp.URL, exampleNow.Add(time.Hour), "orders:read")
	for _, authorization := range [][]string{{"Bearer " + token}, nil, {"Bearer not-a-token"}} {
		ctx, claims, err := v.AuthenticateContext(context.Background(), core.Credentials{Authorization: authorization})
		if err != nil {
			resp := core.Respond(err, "api")
			fmt.Println(resp.Status, resp.WWWAuthenticate)
			continue
		}
		// The handler gets ctx; FromContext finds the same claims there.
		inHandler, _ := core.FromContext(ctx)
		fmt.Println(claims.Subject, inHandler == claims)
	}
	// Output:
	// alice true
	// 401 Bearer realm="api"
	// 401 Bearer realm="api", error="invalid_token", error_description="the token is invalid"
}

// ExampleClaims_Clone: the claims a middleware hands a handler are shared by
// every request with the same token, so a handler that needs to change them
// changes a Clone.
func ExampleClaims_Clone() {
	shared, err := core.NewClaims(map[string]any{"sub": "alice", "scope": "orders:read"})
	if err != nil {
		log.Fatal(err)
	}
	own := shared.Clone()
	own.Scopes = append(own.Scopes, "orders:audit")
	fmt.Println(shared.Scopes, own.Scopes)
	// Output: [orders:read] [orders:read orders:audit]
}
