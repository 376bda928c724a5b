package core

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/jwtgate/jwtgate/core/jwttest"
	"github.com/jwtgate/jwtgate/internal/keyset"
)

// checkOnePrefix reports err unless its message starts with "jwtgate: " and
// carries that prefix once only.
func checkOnePrefix(t *testing.T, err error) {
	t.Helper()
	if err == nil {
		t.Errorf("got nil; want an error")
		return
	}
	msg := err.Error()
	if !strings.HasPrefix(msg, "jwtgate: ") || strings.Count(msg, "jwtgate:") != 1 {
		t.Errorf("got %q; want one \"jwtgate: \" prefix and no other", msg)
	}
}

// TestNewErrorsHaveOnePrefix covers New's refusals, including those that
// wrap a key set's error.
func TestNewErrorsHaveOnePrefix(t *testing.T) {
	k := vtKey("ES256")
	with := func(f func(*Config)) Config {
		cfg := vtConfig(k)
		f(&cfg)
		return cfg
	}
	cases := []struct {
		name string
		cfg  Config
	}{
		{"no issuers", with(func(c *Config) { c.Issuers = nil })},
		{"empty URL", with(func(c *Config) { c.Issuers[0].URL = "" })},
		{"repeated URL", with(func(c *Config) { c.Issuers = append(c.Issuers, c.Issuers[0]) })},
		{"JWKS and JWKSURL", with(func(c *Config) { c.Issuers[0].JWKSURL = "https://idp.test/jwks" })},
		{"JWKS not JSON", with(func(c *Config) { c.Issuers[0].JWKS = []byte("{") })},
		{"JWKS trailing data", with(func(c *Config) { c.Issuers[0].JWKS = []byte(`{"keys":[]} x`) })},
		{"JWKS without keys", with(func(c *Config) { c.Issuers[0].JWKS = []byte(`{"keys":[]}`) })},
		{"JWKSURL not https", with(func(c *Config) { c.Issuers[0] = Issuer{URL: vtIss, JWKSURL: "http://idp.test/jwks"} })},
		{"JWKSURL with credentials", with(func(c *Config) { c.Issuers[0] = Issuer{URL: vtIss, JWKSURL: "https://u:p@idp.test/jwks"} })},
		{"JWKSURL unparsable", with(func(c *Config) { c.Issuers[0] = Issuer{URL: vtIss, JWKSURL: "https://idp.test/%zz"} })},
		{"discovery not https", with(func(c *Config) { c.Issuers[0] = Issuer{URL: "http://idp.test"} })},
		{"short HMAC key", with(func(c *Config) {
			c.Issuers[0].JWKS = []byte(`{"keys":[{"kty":"oct","kid":"s","k":"c2hvcnQ"}]}`)
			c.Algorithms = []string{"HS256"}
		})},
		{"no audience", with(func(c *Config) { c.Audience = nil })},
		{"audience and skip", with(func(c *Config) { c.SkipAudienceCheck = true })},
		{"empty audience", with(func(c *Config) { c.Audience = []string{""} })},
		{"unknown algorithm", with(func(c *Config) { c.Algorithms = []string{"XS256"} })},
		{"none", with(func(c *Config) { c.Algorithms = []string{"none"} })},
		{"token use", with(func(c *Config) { c.TokenUse = "refresh" })},
		{"leeway", with(func(c *Config) { c.Leeway = -1 })},
		{"nil policy", with(func(c *Config) { c.Policies = []Policy{nil} })},
		{"cognito without token use", with(func(c *Config) { c.Issuers[0] = Cognito("eu-west-1", "eu-west-1_abc") })},
		{"cognito region mismatch", with(func(c *Config) {
			c.Issuers[0] = Cognito("eu-west-1", "us-east-1_abc")
			c.TokenUse = "access"
		})},
		{"HS only with a remote set", with(func(c *Config) {
			c.Issuers[0] = Issuer{URL: "https://idp.test"}
			c.Algorithms = []string{"HS256"}
		})},
		{"issuer token use", with(func(c *Config) { c.Issuers[0].TokenUse = "refresh" })},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			v, err := New(context.Background(), tc.cfg)
			if err == nil {
				v.Close()
			}
			checkOnePrefix(t, err)
		})
	}
}

// TestVerifyErrorsHaveOnePrefix covers Verify's and Authenticate's
// refusals, including key set failures and policy refusals.
func TestVerifyErrorsHaveOnePrefix(t *testing.T) {
	k := vtKey("ES256")
	other := jwttest.NewKey("ES256", "k-es256")
	cfg := vtConfig(k)
	cfg.TokenUse = "access"
	cfg.Policies = []Policy{RequireScopes("admin")}
	v := vtNew(t, cfg)
	ok := vtClaims("token_use", "access", "scope", "admin")
	cases := []struct {
		name  string
		token string
	}{
		{"malformed", "x.y"},
		{"bad base64", "a.b.c"},
		{"too long", strings.Repeat("a", 9000)},
		{"expired", k.Sign(vtClaims("token_use", "access", "scope", "admin", "exp", vtNow.Unix()-1))},
		{"not yet valid", k.Sign(vtClaims("token_use", "access", "scope", "admin", "nbf", vtNow.Unix()+600))},
		{"issuer", k.Sign(vtClaims("token_use", "access", "iss", "https://jwtgate: other"))},
		{"audience", k.Sign(vtClaims("token_use", "access", "aud", "other"))},
		{"token use", k.Sign(vtClaims("token_use", "id"))},
		{"signature", other.Sign(ok)},
		{"unknown kid", k.SignWithHeader(vtHeader(k, "kid", "nope"), ok)},
		{"scope", k.Sign(vtClaims("token_use", "access"))},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := v.Verify(context.Background(), tc.token)
			checkOnePrefix(t, err)
		})
	}

	for name, auth := range map[string][]string{
		"missing":         nil,
		"invalid request": {"Bearer a b"},
		"twice":           {"Bearer a", "Bearer b"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := v.Authenticate(context.Background(), auth, "")
			checkOnePrefix(t, err)
		})
	}

	keyErrs := map[string]error{
		"keys unavailable": fmt.Errorf("%w: not loaded yet", keyset.ErrUnavailable),
		"cancelled":        fmt.Errorf("waiting for the key set: %w", context.Canceled),
	}
	for name, kerr := range keyErrs {
		t.Run(name, func(t *testing.T) {
			v := vtNew(t, vtConfig(k))
			v.issuers[vtIss].key = vtStubKeys(kerr)
			_, err := v.Verify(context.Background(), k.Sign(vtClaims()))
			checkOnePrefix(t, err)
		})
	}

	var nilV *Verifier
	_, err := nilV.Authenticate(context.Background(), []string{"Bearer a.b.c"}, "")
	checkOnePrefix(t, err)
	if !errors.Is(err, ErrKeysUnavailable) {
		t.Errorf("got %v; want ErrKeysUnavailable", err)
	}
}
