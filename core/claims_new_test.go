package core_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/jwtgate/jwtgate/core"
	"github.com/jwtgate/jwtgate/core/coretest"
	"github.com/jwtgate/jwtgate/core/jwttest"
)

// payloadOf returns the decoded payload of a compact JWS.
func payloadOf(t *testing.T, token string) map[string]any {
	t.Helper()
	raw, err := base64.RawURLEncoding.DecodeString(strings.Split(token, ".")[1])
	if err != nil {
		t.Fatal(err)
	}
	var p map[string]any
	if err := json.Unmarshal(raw, &p); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestNewClaimsAsVerify checks that NewClaims fills the same Claims as Verify
// for the payloads of real tokens, and that Decode sees the same payload.
func TestNewClaimsAsVerify(t *testing.T) {
	generic := coretest.NewIssuer(t, jwttest.IssuerConfig{ClientID: "app", Scopes: []string{"read"}})
	cognito := coretest.NewIssuer(t, jwttest.IssuerConfig{ClientID: "app", Cognito: true})
	cases := []struct {
		name string
		iss  *coretest.Issuer
		c    jwttest.Claims
	}{
		{"generic access", generic, jwttest.Claims{Groups: []string{"staff"}, Extra: map[string]any{"email": "a@example.com"}}},
		{"generic audiences", generic, jwttest.Claims{Audience: []string{"app", "other"}, Scopes: []string{"a", "b", "c"}}},
		{"generic id", generic, jwttest.Claims{TokenUse: "id"}},
		{"cognito access", cognito, jwttest.Claims{Groups: []string{"admin", "staff"}, Scopes: []string{"orders/read"}}},
		{"cognito id", cognito, jwttest.Claims{TokenUse: "id", Extra: map[string]any{"custom:tier": "gold", "nested": map[string]any{"a": []any{1, "x"}}}}},
		{"escaped strings", generic, jwttest.Claims{Extra: map[string]any{"sub": "a<b>&\u00e9\"\\", "jti": "x\ny"}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			v := c.iss.Verifier(t, core.Config{CacheSize: -1, AnyTokenUse: c.iss == cognito})
			token, err := c.iss.Mint("alice", c.c)
			if err != nil {
				t.Fatal(err)
			}
			want, err := v.Verify(context.Background(), token)
			if err != nil {
				t.Fatalf("Verify: %v", err)
			}
			got, err := core.NewClaims(payloadOf(t, token))
			if err != nil {
				t.Fatalf("NewClaims: %v", err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("got %+v; want %+v", got, want)
			}
			var gotMap, wantMap map[string]any
			if err := got.Decode(&gotMap); err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if err := want.Decode(&wantMap); err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if !reflect.DeepEqual(gotMap, wantMap) {
				t.Errorf("Decode got %v; want %v", gotMap, wantMap)
			}
		})
	}
}

func TestNewClaims(t *testing.T) {
	c, err := core.NewClaims(map[string]any{
		"sub": "alice", "token_use": "id", "aud": "app", "cognito:username": "alice1",
		"exp": 1_800_000_000, "nbf": 1_799_999_000.5, "cognito:groups": []string{"admin"},
		"scope": "a  b", "custom:tier": "gold",
	})
	if err != nil {
		t.Fatal(err)
	}
	if c.Subject != "alice" || c.ClientID != "app" || c.Username != "alice1" || c.TokenUse != "id" {
		t.Errorf("sub/client/username/use got %q/%q/%q/%q; want alice/app/alice1/id", c.Subject, c.ClientID, c.Username, c.TokenUse)
	}
	if want := time.Unix(1_800_000_000, 0).UTC(); !c.ExpiresAt.Equal(want) || c.ExpiresAt.Location() != time.UTC {
		t.Errorf("ExpiresAt got %v; want %v", c.ExpiresAt, want)
	}
	if want := time.Unix(1_799_999_000, 5e8); !c.NotBefore.Equal(want) {
		t.Errorf("NotBefore got %v; want %v", c.NotBefore, want)
	}
	if !reflect.DeepEqual(c.Groups, []string{"admin"}) || !reflect.DeepEqual(c.Scopes, []string{"a", "b"}) || !reflect.DeepEqual(c.Audience, []string{"app"}) {
		t.Errorf("groups/scopes/aud got %v/%v/%v; want [admin]/[a b]/[app]", c.Groups, c.Scopes, c.Audience)
	}
	var custom struct {
		Tier string `json:"custom:tier"`
	}
	if err := c.Decode(&custom); err != nil || custom.Tier != "gold" {
		t.Errorf("Decode got %+v, %v; want gold, nil", custom, err)
	}

	// In a context, as a handler reads it.
	got, ok := core.FromContext(core.NewContext(context.Background(), c))
	if !ok || got != c {
		t.Errorf("FromContext got %v, %v; want the claims", got, ok)
	}
}

func TestNewClaimsEmpty(t *testing.T) {
	for _, p := range []map[string]any{nil, {}} {
		c, err := core.NewClaims(p)
		if err != nil {
			t.Fatalf("NewClaims(%v): %v", p, err)
		}
		if c.Issuer != "" || c.Subject != "" || c.Audience != nil || !c.ExpiresAt.IsZero() || c.TokenUse != "" ||
			c.ClientID != "" || c.Username != "" || c.Groups != nil || c.Scopes != nil {
			t.Errorf("got %+v; want empty claims", c)
		}
		var m map[string]any
		if err := c.Decode(&m); err != nil || len(m) != 0 {
			t.Errorf("Decode got %v, %v; want an empty map", m, err)
		}
	}
}

func TestNewClaimsErrors(t *testing.T) {
	for _, tc := range []struct {
		name    string
		payload map[string]any
		invalid bool // wraps ErrInvalidToken
	}{
		{"sub not a string", map[string]any{"sub": 5}, true},
		{"aud of numbers", map[string]any{"aud": []int{1}}, true},
		{"exp a string", map[string]any{"exp": "tomorrow"}, true},
		{"exp out of range", map[string]any{"exp": 1e300}, true},
		{"cognito:groups a string", map[string]any{"cognito:groups": "admin"}, true},
		{"scope an array", map[string]any{"scope": []string{"a"}}, true},
		{"not JSON", map[string]any{"f": func() {}}, false},
		{"NaN", map[string]any{"n": math.NaN()}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := core.NewClaims(tc.payload)
			if err == nil || c != nil {
				t.Fatalf("got %+v, %v; want an error", c, err)
			}
			if got := errors.Is(err, core.ErrInvalidToken); got != tc.invalid {
				t.Errorf("errors.Is(err, ErrInvalidToken) got %v; want %v (%v)", got, tc.invalid, err)
			}
			if !strings.HasPrefix(err.Error(), "jwtgate: ") || strings.Count(err.Error(), "jwtgate:") != 1 {
				t.Errorf("error got %q; want one jwtgate: prefix", err)
			}
		})
	}
}
