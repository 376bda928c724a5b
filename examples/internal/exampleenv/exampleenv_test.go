package exampleenv

import (
	"io"
	"strings"
	"testing"

	"github.com/jwtgate/jwtgate/core"
)

// TestParsePoolRegion: the region comes from the pool id; AWS_REGION (the
// default region of AWS API calls) neither refuses a pool of another region
// nor stands in for a pool id without one; -region must match the pool's.
func TestParsePoolRegion(t *testing.T) {
	type env map[string]string
	tests := []struct {
		name    string
		args    []string
		env     env
		wantErr string
	}{
		{"AWS_REGION of another region", nil, env{"COGNITO_POOL_ID": "eu-west-1_AbC123", "COGNITO_CLIENT_ID": "c1", "AWS_REGION": "us-east-1"}, ""},
		{"-region of the pool", []string{"-pool", "eu-west-1_AbC123", "-client-id", "c1", "-region", "eu-west-1"}, env{}, ""},
		{"-region of another region", []string{"-pool", "eu-west-1_AbC123", "-client-id", "c1", "-region", "us-east-1"}, env{}, "-region"},
		{"pool id without region, AWS_REGION set", nil, env{"COGNITO_POOL_ID": "AbC123", "COGNITO_CLIENT_ID": "c1", "AWS_REGION": "eu-west-1"}, "AbC123"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, err := Parse("test", tt.args, func(k string) string { return tt.env[k] }, io.Discard)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Errorf("err = %v; want one mentioning %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			want := core.Cognito("eu-west-1", "eu-west-1_AbC123")
			if e.Issuer.URL != want.URL || e.Issuer.JWKSURL != want.JWKSURL || !e.Issuer.Cognito {
				t.Errorf("Issuer = %+v; want %+v", e.Issuer, want)
			}
		})
	}
}
