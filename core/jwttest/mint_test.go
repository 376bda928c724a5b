package jwttest

import (
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func TestMint(t *testing.T) {
	clock := &fakeClock{t: time.Unix(1_800_000_000, 0)}
	generic := NewIssuer(IssuerConfig{ClientID: "app", Scopes: []string{"read"}, Groups: []string{"staff"}, Now: clock.Now})
	defer generic.Close()
	cognito := NewIssuer(IssuerConfig{ClientID: "app", Cognito: true, Now: clock.Now, IDKey: NewKey("ES256", "id-key")})
	defer cognito.Close()

	cases := []struct {
		name    string
		iss     *Issuer
		subject string
		c       Claims
		want    map[string]any // claims that must be present with these values
		absent  []string
		kid     string
		typ     any
	}{
		{
			name: "generic default", iss: generic, subject: "alice",
			want: map[string]any{"sub": "alice", "aud": "app", "client_id": "app", "scope": "read",
				"groups": []any{"staff"}, "iat": 1_800_000_000.0, "exp": 1_800_003_600.0},
			absent: []string{"token_use"}, kid: "access-key", typ: "JWT",
		},
		{
			name: "generic claims", iss: generic, subject: "bob",
			c: Claims{Groups: []string{"admin", "ops"}, Scopes: []string{"orders:read", "orders:write"},
				TokenUse: "access", ClientID: "other-client", TTL: time.Minute,
				Extra: map[string]any{"email": "bob@example.com", "tier": 3}},
			want: map[string]any{"sub": "bob", "aud": "other-client", "client_id": "other-client",
				"scope": "orders:read orders:write", "groups": []any{"admin", "ops"}, "token_use": "access",
				"exp": 1_800_000_060.0, "email": "bob@example.com", "tier": 3.0},
			kid: "access-key", typ: "JWT",
		},
		{
			name: "generic empty slices remove", iss: generic, subject: "carol",
			c:      Claims{Groups: []string{}, Scopes: []string{}, Audience: []string{}},
			absent: []string{"groups", "scope", "aud"}, kid: "access-key", typ: "JWT",
		},
		{
			name: "generic audience list", iss: generic, subject: "dave",
			c:    Claims{Audience: []string{"api-1", "api-2"}},
			want: map[string]any{"aud": []any{"api-1", "api-2"}, "client_id": "app"}, kid: "access-key", typ: "JWT",
		},
		{
			name: "generic id token", iss: generic, subject: "erin", c: Claims{TokenUse: "id"},
			want:   map[string]any{"aud": "app", "token_use": "id", "preferred_username": "erin", "groups": []any{"staff"}},
			absent: []string{"client_id", "scope"}, kid: "access-key", typ: "JWT",
		},
		{
			name: "cognito access default", iss: cognito, subject: "alice",
			want: map[string]any{"sub": "alice", "client_id": "app", "token_use": "access", "username": "alice",
				"scope": DefaultCognitoScope},
			absent: []string{"aud", "cognito:groups", "groups"}, kid: "access-key", typ: nil,
		},
		{
			name: "cognito access groups", iss: cognito, subject: "alice",
			c:      Claims{Groups: []string{"admin"}, Scopes: []string{"orders/read"}, ClientID: "c2"},
			want:   map[string]any{"cognito:groups": []any{"admin"}, "scope": "orders/read", "client_id": "c2"},
			absent: []string{"aud", "groups"}, kid: "access-key", typ: nil,
		},
		{
			name: "cognito id token", iss: cognito, subject: "alice",
			c: Claims{TokenUse: "id", Groups: []string{"admin"}, TTL: 2 * time.Hour, Extra: map[string]any{"custom:tier": "gold"}},
			want: map[string]any{"aud": "app", "token_use": "id", "cognito:username": "alice", "cognito:groups": []any{"admin"},
				"custom:tier": "gold", "exp": 1_800_007_200.0, "email": "alice@example.com"},
			absent: []string{"client_id", "scope", "username"}, kid: "id-key", typ: nil,
		},
		{
			name: "cognito odd token_use", iss: cognito, subject: "alice", c: Claims{TokenUse: "refresh"},
			want: map[string]any{"token_use": "refresh", "client_id": "app"}, kid: "access-key", typ: nil,
		},
		{
			name: "extra overrides and removes", iss: cognito, subject: "alice",
			c:      Claims{Extra: map[string]any{"iss": "https://other.example", "username": nil}},
			want:   map[string]any{"iss": "https://other.example"},
			absent: []string{"username"}, kid: "access-key", typ: nil,
		},
		{
			name: "no subject", iss: generic, subject: "",
			absent: []string{"sub", "preferred_username"}, want: map[string]any{"client_id": "app"}, kid: "access-key", typ: "JWT",
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tok, err := c.iss.Mint(c.subject, c.c)
			if err != nil {
				t.Fatalf("Mint: %v", err)
			}
			header, claims := parts(t, tok)
			if header["kid"] != c.kid || header["typ"] != c.typ {
				t.Errorf("kid/typ got %v/%v; want %v/%v", header["kid"], header["typ"], c.kid, c.typ)
			}
			if _, ok := c.c.Extra["iss"]; !ok && claims["iss"] != c.iss.URL {
				t.Errorf("iss got %v; want %s", claims["iss"], c.iss.URL)
			}
			for k, v := range c.want {
				g, _ := json.Marshal(claims[k])
				w, _ := json.Marshal(v)
				if string(g) != string(w) {
					t.Errorf("%s got %s; want %s", k, g, w)
				}
			}
			for _, k := range c.absent {
				if v, ok := claims[k]; ok {
					t.Errorf("%s got %v; want absent", k, v)
				}
			}
			if c.c.Extra["iss"] == nil {
				claimsOf(t, c.iss, tok, clock.Now()) // the signature verifies with the published key
			}
		})
	}
}

func TestMintExpired(t *testing.T) {
	clock := &fakeClock{t: time.Unix(1_800_000_000, 0)}
	i := NewIssuer(IssuerConfig{Now: clock.Now})
	defer i.Close()
	tok, err := i.Mint("alice", Claims{TTL: -time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	_, claims := parts(t, tok)
	if claims["exp"] != 1_799_999_940.0 {
		t.Errorf("exp got %v; want 1799999940", claims["exp"])
	}
}

func TestMintBadExtra(t *testing.T) {
	i := NewIssuer(IssuerConfig{})
	defer i.Close()
	tok, err := i.Mint("alice", Claims{Extra: map[string]any{"bad": func() {}}})
	if err == nil || tok != "" {
		t.Fatalf("got %q, %v; want an error", tok, err)
	}
	if !strings.HasPrefix(err.Error(), "jwttest: Mint: ") {
		t.Errorf("error got %q; want the jwttest: Mint: prefix", err)
	}
}

func TestMintDoesNotCountTokenRequests(t *testing.T) {
	i := NewIssuer(IssuerConfig{})
	defer i.Close()
	if _, err := i.Mint("alice", Claims{}); err != nil {
		t.Fatal(err)
	}
	if got := i.TokenRequests(); got != 0 {
		t.Errorf("TokenRequests got %d; want 0", got)
	}
}

// parts decodes the header and payload of tok without verifying it.
func parts(t *testing.T, tok string) (header, claims map[string]any) {
	t.Helper()
	seg := strings.Split(tok, ".")
	if len(seg) != 3 {
		t.Fatalf("token has %d segments; want 3", len(seg))
	}
	for n, dst := range []*map[string]any{&header, &claims} {
		raw, err := base64.RawURLEncoding.DecodeString(seg[n])
		if err != nil {
			t.Fatalf("segment %d: %v", n, err)
		}
		if err := json.Unmarshal(raw, dst); err != nil {
			t.Fatalf("segment %d: %v", n, err)
		}
	}
	return header, claims
}
