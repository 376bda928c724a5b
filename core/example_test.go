package core_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/jwtgate/jwtgate/core"
	"github.com/jwtgate/jwtgate/core/jwttest"
)

// A fixed clock keeps the examples' output stable.
var exampleNow = time.Date(2026, 1, 2, 15, 4, 5, 0, time.UTC)

// exampleIssuer is a test issuer: a key and its public JWK Set served on
// 127.0.0.1, as a real OpenID Connect provider would serve it.
func exampleIssuer() (*jwttest.Key, *jwttest.Server) {
	key := jwttest.NewKey("ES256", "key-1")
	return key, jwttest.NewServer(key)
}

func exampleToken(key *jwttest.Key, iss string, exp time.Time, scope string) string {
	return key.Sign(map[string]any{
		"iss":   iss,
		"sub":   "alice",
		"aud":   "orders-api",
		"exp":   exp.Unix(),
		"iat":   exampleNow.Add(-time.Minute).Unix(),
		"scope": scope,
	})
}

// ExampleNew builds a Verifier for one issuer whose JWK Set is fetched from
// its OpenID Connect discovery document, and verifies a token.
func ExampleNew() {
	key, idp := exampleIssuer()
	defer idp.Close()

	v, err := core.New(context.Background(), core.Config{
		Issuers:  []core.Issuer{{URL: idp.URL}}, // JWKS URL from discovery
		Audience: []string{"orders-api"},
		Now:      func() time.Time { return exampleNow },
	})
	if err != nil {
		log.Fatal(err)
	}
	defer v.Close()

	token := exampleToken(key, idp.URL, exampleNow.Add(time.Hour), "orders:read")
	claims, err := v.Verify(context.Background(), token)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(claims.Subject, claims.Audience, claims.Scopes, claims.ExpiresAt)
	// Output:
	// alice [orders-api] [orders:read] 2026-01-02 16:04:05 +0000 UTC
}

// ExampleVerifier_Verify shows a Cognito issuer configured with a static
// JWK Set, an access token, and the claims Verify fills.
func ExampleVerifier_Verify() {
	key := jwttest.NewKey("RS256", "cognito-key")
	iss := core.Cognito("eu-west-1", "eu-west-1_Example")
	iss.JWKSURL, iss.JWKS = "", jwttest.JWKS(key) // a static set instead of a fetch

	v, err := core.New(context.Background(), core.Config{
		Issuers:  []core.Issuer{iss},
		Audience: []string{"app-client-1"}, // an access token's client_id
		TokenUse: "access",
		Now:      func() time.Time { return exampleNow },
	})
	if err != nil {
		log.Fatal(err)
	}
	defer v.Close()

	token := key.Sign(map[string]any{
		"iss":            iss.URL,
		"sub":            "5f1c0e2a-user",
		"client_id":      "app-client-1",
		"token_use":      "access",
		"username":       "alice",
		"scope":          "aws.cognito.signin.user.admin orders/read",
		"cognito:groups": []string{"staff"},
		"exp":            exampleNow.Add(time.Hour).Unix(),
		"iat":            exampleNow.Unix(),
	})
	c, err := v.Verify(context.Background(), token)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("issuer:", c.Issuer)
	fmt.Println("user:", c.Username, c.Subject)
	fmt.Println("client:", c.ClientID, "use:", c.TokenUse)
	fmt.Println("groups:", c.Groups, "scopes:", c.Scopes)
	fmt.Println("orders/read:", c.HasScope("orders/read"))
	// Output:
	// issuer: https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Example
	// user: alice 5f1c0e2a-user
	// client: app-client-1 use: access
	// groups: [staff] scopes: [aws.cognito.signin.user.admin orders/read]
	// orders/read: true
}

// ExampleVerifier_Verify_expired shows the error of an expired token and how
// to test for it.
func ExampleVerifier_Verify_expired() {
	key, idp := exampleIssuer()
	defer idp.Close()
	v, err := core.New(context.Background(), core.Config{
		Issuers:  []core.Issuer{{URL: idp.URL, JWKSURL: idp.JWKSURL()}},
		Audience: []string{"orders-api"},
		Leeway:   30 * time.Second,
		Now:      func() time.Time { return exampleNow },
	})
	if err != nil {
		log.Fatal(err)
	}
	defer v.Close()

	token := exampleToken(key, idp.URL, exampleNow.Add(-time.Minute), "orders:read")
	claims, err := v.Verify(context.Background(), token)
	fmt.Println(claims)
	fmt.Println(err)
	fmt.Println(errors.Is(err, core.ErrTokenExpired), errors.Is(err, core.ErrInvalidToken), errors.Is(err, jwt.ErrTokenExpired))
	// Output:
	// <nil>
	// jwtgate: token has expired
	// true true true
}

// ExampleConfig_policies shows Config.Policies, which Verify runs through
// core.Authorize on every verified token, and a route's own policy checked
// with core.Authorize after Verify.
func ExampleConfig_policies() {
	key := jwttest.NewKey("ES256", "key-1")
	const issuer = "https://idp.example"
	v, err := core.New(context.Background(), core.Config{
		Issuers:  []core.Issuer{{URL: issuer, JWKS: jwttest.JWKS(key)}}, // a static JWK Set
		Audience: []string{"orders-api"},
		Policies: []core.Policy{core.RequireAnyScope("orders:read", "orders:write")},
		Now:      func() time.Time { return exampleNow },
	})
	if err != nil {
		log.Fatal(err)
	}
	defer v.Close()
	ctx := context.Background()

	reader := exampleToken(key, issuer, exampleNow.Add(time.Hour), "orders:read")
	claims, err := v.Verify(ctx, reader)
	fmt.Println("reader:", err)
	// The route that changes orders also needs orders:write.
	err = core.Authorize(ctx, claims, core.RequireScopes("orders:write"))
	fmt.Println("reader writes:", errors.Is(err, core.ErrInsufficientScope))

	other := exampleToken(key, issuer, exampleNow.Add(time.Hour), "profile")
	_, err = v.Verify(ctx, other)
	fmt.Println("other:", errors.Is(err, core.ErrInsufficientScope), errors.Is(err, core.ErrInvalidToken))
	// Output:
	// reader: <nil>
	// reader writes: true
	// other: true false
}

// ExampleChallenge_verify maps Verify's errors to the HTTP answer of RFC 6750.
func ExampleChallenge_verify() {
	key := jwttest.NewKey("ES256", "key-1")
	const issuer = "https://idp.example"
	v, err := core.New(context.Background(), core.Config{
		Issuers:  []core.Issuer{{URL: issuer, JWKS: jwttest.JWKS(key)}},
		Audience: []string{"orders-api"},
		Policies: []core.Policy{core.RequireScopes("orders:read")},
		Now:      func() time.Time { return exampleNow },
	})
	if err != nil {
		log.Fatal(err)
	}
	defer v.Close()

	for _, token := range []string{
		exampleToken(key, issuer, exampleNow.Add(time.Hour), "orders:read"),
		exampleToken(key, issuer, exampleNow.Add(-time.Hour), "orders:read"),
		exampleToken(key, "https://evil.example", exampleNow.Add(time.Hour), "orders:read"),
		exampleToken(key, issuer, exampleNow.Add(time.Hour), "profile"),
		"not-a-token",
	} {
		_, err := v.Verify(context.Background(), token)
		if err == nil {
			fmt.Println("200")
			continue
		}
		status, www := core.Challenge(err, "orders")
		fmt.Println(status, www)
	}
	// Output:
	// 200
	// 401 Bearer realm="orders", error="invalid_token", error_description="the token has expired"
	// 401 Bearer realm="orders", error="invalid_token", error_description="the token issuer is not accepted"
	// 403 Bearer realm="orders", error="insufficient_scope", scope="orders:read"
	// 401 Bearer realm="orders", error="invalid_token", error_description="the token is invalid"
}

// ExampleClaims_Decode reads custom claims into a struct. Names match
// case-sensitively.
func ExampleClaims_Decode() {
	key := jwttest.NewKey("EdDSA", "k1")
	v, err := core.New(context.Background(), core.Config{
		Issuers:  []core.Issuer{{URL: "https://idp.example", JWKS: jwttest.JWKS(key)}},
		Audience: []string{"orders-api"},
		Now:      func() time.Time { return exampleNow },
	})
	if err != nil {
		log.Fatal(err)
	}
	defer v.Close()
	token := key.Sign(map[string]any{
		"iss": "https://idp.example", "aud": "orders-api", "exp": exampleNow.Add(time.Hour).Unix(),
		"email": "alice@example.com", "custom:tier": "gold", "EMAIL_VERIFIED": true,
	})
	claims, err := v.Verify(context.Background(), token)
	if err != nil {
		log.Fatal(err)
	}
	var custom struct {
		Email    string `json:"email"`
		Tier     string `json:"custom:tier"`
		Verified bool   `json:"email_verified"`
	}
	if err := claims.Decode(&custom); err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%+v\n", custom)
	// Output:
	// {Email:alice@example.com Tier:gold Verified:false}
}
