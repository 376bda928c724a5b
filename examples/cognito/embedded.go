package main

import (
	"time"

	"github.com/jwtgate/jwtgate/core"
	"github.com/jwtgate/jwtgate/core/jwttest"
)

// This file is scaffolding for running the example without AWS: nothing in
// it belongs in a real service.

// embedded is a local stand-in for a user pool.
type embedded struct {
	*jwttest.Issuer
	Pool     core.Issuer // what the API trusts: the issuer's URL and JWKS, Cognito rules on
	ClientID string
	Users    []sampleUser

	accessKey, idKey *jwttest.Key // the issuer's signing keys, for tests
}

// sampleUser holds one user's tokens.
type sampleUser struct {
	Name       string
	Access, ID string
}

const embeddedClientID = "jwtgate-example-client"

// startEmbedded starts a jwttest issuer (JWKS, discovery and a token
// endpoint on 127.0.0.1) and signs, with its keys, tokens for alice and bob
// in the shapes real Cognito uses (header alg and kid only; ID token: aud,
// cognito:username, attributes; access token: client_id and no aud,
// username, scope), valid for ttl.
func startEmbedded(ttl time.Duration) *embedded {
	// Cognito signs access and ID tokens with different keys of the pool.
	accessKey := jwttest.NewKey("RS256", "example-access-key")
	idKey := jwttest.NewKey("RS256", "example-id-key")
	iss := jwttest.NewIssuer(jwttest.IssuerConfig{
		ClientID:  embeddedClientID,
		Key:       accessKey,
		IDKey:     idKey,
		AccessTTL: ttl,
		IDTTL:     ttl,
		Scopes:    []string{"openid", "email", "reports/read"},
		Groups:    []string{"admin"},
		Cognito:   true,
	})
	e := &embedded{
		Issuer:    iss,
		Pool:      core.Issuer{URL: iss.URL, JWKSURL: iss.JWKSURL(), Cognito: true},
		ClientID:  embeddedClientID,
		accessKey: accessKey,
		idKey:     idKey,
	}
	now := time.Now()
	user := func(name, sub, scope string, groups []string, attrs map[string]any) sampleUser {
		common := func(use string) map[string]any {
			c := map[string]any{
				"sub": sub, "iss": iss.URL, "token_use": use,
				"auth_time": now.Unix(), "iat": now.Unix(), "exp": now.Add(ttl).Unix(),
			}
			if groups != nil {
				c["cognito:groups"] = groups
			}
			return c
		}
		access := common("access")
		access["client_id"] = embeddedClientID
		access["username"] = name
		access["scope"] = scope
		id := common("id")
		id["aud"] = embeddedClientID
		id["cognito:username"] = name
		for k, v := range attrs {
			id[k] = v
		}
		return sampleUser{Name: name, Access: signCognito(accessKey, access), ID: signCognito(idKey, id)}
	}
	e.Users = []sampleUser{
		user("alice", "7c1b2f3e-0a4d-4e5f-9a6b-alice0000001", "openid email reports/read", []string{"admin"}, map[string]any{
			"email": "alice@example.com", "email_verified": true, "name": "Alice",
			"custom:department": "engineering", "custom:cost_center": "4711",
		}),
		user("bob", "9d8e7f6a-5b4c-4d3e-8f2a-bob000000002", "openid email", nil, map[string]any{
			"email": "bob@example.com", "email_verified": true, "name": "Bob",
			"custom:department": "sales",
		}),
	}
	return e
}

// signCognito signs claims with a header like Cognito's: alg and kid, no typ.
func signCognito(k *jwttest.Key, claims map[string]any) string {
	return k.SignWithHeader(map[string]any{"alg": k.Alg, "kid": k.Kid}, claims)
}
