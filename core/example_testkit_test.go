package core_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/jwtgate/jwtgate/core"
	"github.com/jwtgate/jwtgate/core/jwttest"
)

// ExampleCognito configures a Cognito user pool and, as a test would, points
// its JWKS URL at a local issuer that signs Cognito-shaped tokens. The API
// takes access tokens only.
func ExampleCognito() {
	// Stands in for the pool: its keys on 127.0.0.1, tokens shaped as
	// Cognito's (token_use, client_id, cognito:groups).
	idp := jwttest.NewIssuer(jwttest.IssuerConfig{
		ClientID: "app-client-1",
		Cognito:  true,
		Now:      func() time.Time { return exampleNow },
	})
	defer idp.Close()

	pool := core.Cognito("eu-west-1", "eu-west-1_Example")
	pool.JWKSURL = idp.JWKSURL() // production: leave Cognito's own

	v, err := core.New(context.Background(), core.Config{
		Issuers:  []core.Issuer{pool},
		Audience: []string{"app-client-1"},
		TokenUse: "access",
		Now:      func() time.Time { return exampleNow },
		Logger:   slog.New(slog.DiscardHandler),
	})
	if err != nil {
		log.Fatal(err)
	}
	defer v.Close()

	// The local issuer signs with the pool's iss, as Cognito would.
	asPool := map[string]any{"iss": pool.URL}
	access, _ := idp.Mint("alice", jwttest.Claims{Groups: []string{"staff"}, Extra: asPool})
	id, _ := idp.Mint("alice", jwttest.Claims{TokenUse: "id", Extra: asPool})

	c, err := v.Verify(context.Background(), access)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(c.Issuer)
	fmt.Println(c.Username, c.ClientID, c.TokenUse, c.Groups, c.ExpiresAt)

	_, err = v.Verify(context.Background(), id)
	fmt.Println("ID token:", errors.Is(err, core.ErrInvalidTokenUse))
	// Output:
	// https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Example
	// alice app-client-1 access [staff] 2026-01-02 16:04:05 +0000 UTC
	// ID token: true
}

// ExampleRequireGroups lets members of any of the groups through; others
// get 403.
func ExampleRequireGroups() {
	admins := core.RequireGroups("admin", "ops")
	for _, groups := range [][]string{{"staff", "ops"}, {"staff"}, {}} {
		claims, err := core.NewClaims(map[string]any{"sub": "alice", "cognito:groups": groups})
		if err != nil {
			log.Fatal(err)
		}
		err = core.Authorize(context.Background(), claims, admins)
		if err == nil {
			fmt.Println(groups, "allowed")
			continue
		}
		status, www := core.Challenge(err, "api")
		fmt.Println(groups, status, www, errors.Is(err, core.ErrInsufficientScope))
	}
	// Output:
	// [staff ops] allowed
	// [staff] 403 Bearer realm="api", error="insufficient_scope" true
	// [] 403 Bearer realm="api", error="insufficient_scope" true
}

// ExampleNewClaims tests a handler that reads claims with Decode, without a
// token: NewClaims fills the claims as Verify would and NewContext puts them
// where the middleware would.
func ExampleNewClaims() {
	// The handler under test.
	profile := func(w http.ResponseWriter, r *http.Request) {
		claims, ok := core.FromContext(r.Context())
		if !ok {
			http.Error(w, "no claims", http.StatusUnauthorized)
			return
		}
		var attrs struct {
			Email string `json:"email"`
			Tier  string `json:"custom:tier"`
		}
		if err := claims.Decode(&attrs); err != nil {
			http.Error(w, "unexpected claims", http.StatusInternalServerError)
			return
		}
		fmt.Fprintf(w, "%s <%s> %s %v", claims.Username, attrs.Email, attrs.Tier, claims.Groups)
	}

	// The test.
	claims, err := core.NewClaims(map[string]any{
		"sub":              "5f1c0e2a-user",
		"cognito:username": "alice",
		"cognito:groups":   []string{"staff"},
		"email":            "alice@example.com",
		"custom:tier":      "gold",
	})
	if err != nil {
		log.Fatal(err)
	}
	req := httptest.NewRequest("GET", "/profile", nil)
	req = req.WithContext(core.NewContext(req.Context(), claims))
	rec := httptest.NewRecorder()
	profile(rec, req)
	fmt.Println(rec.Code, rec.Body)
	// Output:
	// 200 alice <alice@example.com> gold [staff]
}
