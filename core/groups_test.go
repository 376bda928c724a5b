package core

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/jwtgate/jwtgate/core/jwttest"
)

// TestGroupsClaim: cognito:groups fills Claims.Groups; other issuers'
// "groups" does when cognito:groups is absent and it is an array of strings.
func TestGroupsClaim(t *testing.T) {
	k := jwttest.NewKey("ES256", "g1")
	now := time.Unix(1_800_000_000, 0)
	v, err := New(context.Background(), Config{
		Issuers:  []Issuer{{URL: "https://issuer.example", JWKS: jwttest.JWKS(k)}},
		Audience: []string{"api"},
		Now:      func() time.Time { return now },
	})
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	tests := []struct {
		name    string
		claims  map[string]any
		want    []string
		wantErr bool
	}{
		{"cognito:groups", map[string]any{"cognito:groups": []string{"a", "b"}}, []string{"a", "b"}, false},
		{"groups", map[string]any{"groups": []string{"x"}}, []string{"x"}, false},
		{"cognito:groups wins", map[string]any{"cognito:groups": []string{"a"}, "groups": []string{"x"}}, []string{"a"}, false},
		{"groups not strings ignored", map[string]any{"groups": []any{1, 2}}, nil, false},
		{"groups object ignored", map[string]any{"groups": map[string]any{"a": true}}, nil, false},
		{"cognito:groups wrong type", map[string]any{"cognito:groups": "a"}, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := map[string]any{"iss": "https://issuer.example", "aud": "api", "sub": "s", "exp": now.Unix() + 60}
			for k, v := range tt.claims {
				c[k] = v
			}
			got, err := v.Verify(context.Background(), k.Sign(c))
			if tt.wantErr {
				if err == nil {
					t.Fatalf("Verify = nil error; want one")
				}
				return
			}
			if err != nil {
				t.Fatalf("Verify: %v", err)
			}
			if !slices.Equal(got.Groups, tt.want) {
				t.Errorf("Groups = %q; want %q", got.Groups, tt.want)
			}
			if tt.want != nil && RequireGroups(tt.want[0])(context.Background(), got) != nil {
				t.Errorf("RequireGroups(%q) refused %q", tt.want[0], got.Groups)
			}
		})
	}
}
