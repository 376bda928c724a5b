package core

import (
	"context"
	"time"
)

// Claims holds the verified values of a token.
type Claims struct {
	Issuer    string
	Subject   string
	ID        string
	Audience  []string
	ExpiresAt time.Time
	NotBefore time.Time
	IssuedAt  time.Time
	TokenUse  string
	ClientID  string // client_id, or aud for a Cognito ID token
	Username  string // username or cognito:username
	Groups    []string
	Scopes    []string

	raw []byte // the decoded payload, for Decode
}

// HasScope reports whether s is one of the token's scopes.
func (c *Claims) HasScope(s string) bool {
	for _, x := range c.Scopes {
		if x == s {
			return true
		}
	}
	return false
}

type claimsKey struct{}

// NewContext returns a copy of ctx that carries c.
func NewContext(ctx context.Context, c *Claims) context.Context {
	return context.WithValue(ctx, claimsKey{}, c)
}

// FromContext returns the verified claims in ctx, if any.
func FromContext(ctx context.Context) (*Claims, bool) {
	c, ok := ctx.Value(claimsKey{}).(*Claims)
	return c, ok && c != nil
}

// Decode decodes the token's verified payload into v (a pointer to a struct
// or map), with the same strict rules as the registered claims.
func (c *Claims) Decode(v any) error { panic("todo") }
