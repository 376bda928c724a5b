package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/jwtgate/jwtgate/core"
	"github.com/jwtgate/jwtgate/nethttp"
)

// apiConfig is what the API needs to know about the user pool.
type apiConfig struct {
	Pool     core.Issuer // core.Cognito(region, poolID) for a real pool
	ClientID string      // the app client id: aud of ID tokens, client_id of access tokens
	Scope    string      // required by GET /reports
	Group    string      // required by GET /admin
}

// newAPI returns the example's routes and a func that releases the
// verifiers:
//
//	GET /profile   ID token      the user's profile, custom attributes included
//	GET /me        access token  who is calling, with which client, scopes, groups
//	GET /admin     access token  and membership of cfg.Group (cognito:groups)
//	GET /reports   access token  and the scope cfg.Scope
//
// Cognito issues two JWTs at sign-in. The access token is the one meant for
// APIs: it names the app client (client_id, no aud), the scopes and the
// groups. The ID token describes the user for the app: its aud is the app
// client, and it carries the user's attributes (email, custom:…), which the
// access token never does. An API that needs those attributes accepts the
// ID token on the routes that need them, and on no other.
//
// The example uses two verifiers, one per token_use, rather than one
// verifier with core.RequireTokenUse on each route. The kind of token is
// part of what makes a token valid for a route: with Config.TokenUse a token
// of the wrong kind is refused as 401 invalid_token, like any other invalid
// token, before any policy runs. With a RequireTokenUse policy it would be
// 403 insufficient_scope, which tells the client to ask for more scopes when
// it should send the other token. Both verifiers check the same Audience:
// jwtgate matches it against aud in ID tokens and client_id in access
// tokens. Each keeps its own copy of the pool's JWKS (one fetch each).
func newAPI(ctx context.Context, cfg apiConfig) (http.Handler, func(), error) {
	verifier := func(use string) (*core.Verifier, error) {
		return core.New(ctx, core.Config{
			Issuers:  []core.Issuer{cfg.Pool},
			Audience: []string{cfg.ClientID},
			TokenUse: use,
		})
	}
	idTokens, err := verifier("id")
	if err != nil {
		return nil, nil, fmt.Errorf("ID token verifier: %w", err)
	}
	accessTokens, err := verifier("access")
	if err != nil {
		idTokens.Close()
		return nil, nil, fmt.Errorf("access token verifier: %w", err)
	}
	withID := nethttp.New(idTokens).Handler
	withAccess := nethttp.New(accessTokens).Handler
	inGroup := nethttp.Require(core.RequireGroups(cfg.Group))
	hasScope := nethttp.Require(core.RequireScopes(cfg.Scope))

	mux := http.NewServeMux()
	mux.Handle("GET /profile", withID(http.HandlerFunc(profile)))
	mux.Handle("GET /me", withAccess(http.HandlerFunc(me)))
	mux.Handle("GET /admin", withAccess(inGroup(http.HandlerFunc(admin))))
	mux.Handle("GET /reports", withAccess(hasScope(http.HandlerFunc(reports))))
	closeAll := func() {
		idTokens.Close()
		accessTokens.Close()
	}
	return mux, closeAll, nil
}

// userProfile is the part of an ID token this API reads beyond the
// registered claims. Cognito custom attributes appear as "custom:<name>" and
// are always strings, whatever type the pool declares for them.
type userProfile struct {
	Email      string `json:"email"`
	Name       string `json:"name"`
	Department string `json:"custom:department"`
	CostCenter string `json:"custom:cost_center"`
}

func profile(w http.ResponseWriter, r *http.Request) {
	c, _ := core.FromContext(r.Context()) // always there behind the middleware
	var p userProfile
	if err := c.Decode(&p); err != nil {
		// The token is valid but its attributes are not what this API
		// expects (e.g. a custom attribute that is not a string).
		http.Error(w, "cannot read the user's attributes", http.StatusUnprocessableEntity)
		return
	}
	writeJSON(w, map[string]any{
		"sub":         c.Subject,
		"username":    c.Username, // cognito:username
		"email":       p.Email,
		"name":        p.Name,
		"department":  p.Department,
		"cost_center": p.CostCenter,
	})
}

func me(w http.ResponseWriter, r *http.Request) {
	c, _ := core.FromContext(r.Context())
	writeJSON(w, map[string]any{
		"sub":       c.Subject,
		"username":  c.Username, // username
		"client_id": c.ClientID,
		"token_use": c.TokenUse,
		"scopes":    nonNil(c.Scopes),
		"groups":    nonNil(c.Groups),
	})
}

func admin(w http.ResponseWriter, r *http.Request) {
	c, _ := core.FromContext(r.Context())
	writeJSON(w, map[string]any{"message": "welcome, administrator " + c.Username, "groups": nonNil(c.Groups)})
}

func reports(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, map[string]any{"reports": []string{"2026-q3", "2026-q4"}})
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
