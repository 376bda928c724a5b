package jwttest

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// Claims chooses what a token made by Issuer.Mint says, on top of the
// issuer's own shape (see IssuerConfig.Cognito). The zero value asks for the
// issuer's usual access token.
type Claims struct {
	// TokenUse picks the kind of token. "id" makes an ID token (aud is the
	// client, signed with IDKey); anything else an access token. With a
	// Cognito-shaped issuer, token_use is "access" when TokenUse is empty,
	// and TokenUse otherwise, even a value Cognito never issues (for
	// negative tests). With a generic issuer, token_use is written only when
	// TokenUse is set.
	TokenUse string

	// Groups go into cognito:groups (Cognito) or groups (generic). If nil,
	// IssuerConfig.Groups are used; an empty, non-nil slice writes none.
	Groups []string

	// Scopes go into scope, space-separated. If nil, IssuerConfig.Scopes
	// are used (access tokens only); an empty, non-nil slice writes none.
	Scopes []string

	// ClientID is the app client the token was issued to: client_id of an
	// access token, aud of an ID token. If empty, IssuerConfig.ClientID.
	ClientID string

	// Audience replaces aud: one element is written as a string, more as
	// an array, an empty, non-nil slice removes aud. If nil, aud is what the
	// issuer's shape gives (the client ID, or none for a Cognito access
	// token).
	Audience []string

	// TTL is the token's lifetime from the issuer's clock: exp = now + TTL.
	// If zero, IssuerConfig.AccessTTL (ID tokens: IDTTL), one hour by
	// default. A negative TTL makes a token that has already expired.
	TTL time.Duration

	// Extra claims are written last and win over everything above,
	// registered claims included ("iss", "exp", …), so that a test can make
	// any token it needs. A nil value removes the claim. Values are encoded
	// with encoding/json.
	Extra map[string]any
}

// Mint returns a signed token for subject (its sub; "" writes no sub),
// shaped as the issuer's access and ID tokens are and changed as c says:
// the kit's way to make the exact token a handler test needs. The issuer's
// keys, client ID and clock (IssuerConfig.Now) apply; no refresh token is
// made and no token request is counted. Mint fails only when an Extra value
// cannot be encoded as JSON.
func (i *Issuer) Mint(subject string, c Claims) (string, error) {
	cfg := &i.cfg
	now := cfg.Now()
	idToken := c.TokenUse == "id"
	ttl := c.TTL
	if ttl == 0 {
		ttl = cfg.AccessTTL
		if idToken {
			ttl = cfg.IDTTL
		}
	}
	p := i.payload(subject, idToken, now, now, now.Add(ttl), newUUID(), newUUID())
	if subject == "" {
		delete(p, "sub")
		delete(p, "username")
		delete(p, "cognito:username")
		delete(p, "preferred_username")
		delete(p, "email")
		delete(p, "email_verified")
	}
	if c.TokenUse != "" {
		p["token_use"] = c.TokenUse
	}
	if c.ClientID != "" {
		for _, name := range []string{"client_id", "aud"} {
			if _, ok := p[name]; ok {
				p[name] = c.ClientID
			}
		}
	}
	if c.Audience != nil {
		switch len(c.Audience) {
		case 0:
			delete(p, "aud")
		case 1:
			p["aud"] = c.Audience[0]
		default:
			p["aud"] = c.Audience
		}
	}
	if c.Groups != nil {
		name := "groups"
		if cfg.Cognito {
			name = "cognito:groups"
		}
		delete(p, name)
		if len(c.Groups) > 0 {
			p[name] = c.Groups
		}
	}
	if c.Scopes != nil {
		delete(p, "scope")
		if len(c.Scopes) > 0 {
			p["scope"] = strings.Join(c.Scopes, " ")
		}
	}
	for name, v := range c.Extra {
		if v == nil {
			delete(p, name)
		} else {
			p[name] = v
		}
	}

	body, err := json.Marshal(p)
	if err != nil {
		return "", fmt.Errorf("jwttest: Mint: a claim cannot be encoded as JSON: %w", err)
	}
	key := cfg.Key
	if idToken {
		key = cfg.IDKey
	}
	header := map[string]any{"alg": key.Alg, "typ": "JWT"}
	if cfg.Cognito {
		header = cognitoHeader(key)
	} else if key.Kid != "" {
		header["kid"] = key.Kid
	}
	return key.SignBytes(mustJSON(header), body), nil
}
