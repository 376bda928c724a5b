package core

import (
	"context"
	"strings"
	"testing"

	"github.com/jwtgate/jwtgate/core/jwttest"
)

func TestCognitoPoolDerivesTheRegionFromThePoolID(t *testing.T) {
	for _, tc := range []struct{ pool, region string }{
		{"eu-west-1_AbC123xyz", "eu-west-1"},
		{"us-gov-west-1_Ab12", "us-gov-west-1"},
		{"ap-southeast-2_x", "ap-southeast-2"},
		{"us-isob-east-1_Z9", "us-isob-east-1"},
	} {
		iss, err := CognitoPool(tc.pool)
		if err != nil {
			t.Errorf("CognitoPool(%q): %v", tc.pool, err)
			continue
		}
		if want := Cognito(tc.region, tc.pool); iss.URL != want.URL || iss.JWKSURL != want.JWKSURL || !iss.Cognito {
			t.Errorf("CognitoPool(%q) = %+v; want %+v", tc.pool, iss, want)
		}
	}
}

func TestCognitoPoolRefusesMalformedPoolIDs(t *testing.T) {
	for _, tc := range []struct{ pool, want string }{
		{"", "is empty"},
		{"eu-west-1", "is a region, not a user pool id"},
		{"AbC123", "has no underscore"},
		{"_AbC123", `starts with "", which is not an AWS region`},
		{"EU-WEST-1_AbC", "not an AWS region"},
		{"euwest1_AbC", "not an AWS region"},
		{"eu-west_AbC", "not an AWS region"},
		{"eu-west-1_", "not only letters and digits"},
		{"eu-west-1_Ab-C", "not only letters and digits"},
		{"eu-west-1_Ab_C", "not only letters and digits"},
		{"eu-west-1_" + strings.Repeat("a", 50), "longer than 55"},
	} {
		iss, err := CognitoPool(tc.pool)
		if err == nil {
			t.Errorf("CognitoPool(%q) = %+v, nil; want an error", tc.pool, iss)
			continue
		}
		if !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "user pool id") {
			t.Errorf("CognitoPool(%q): got %q; want it to say %q", tc.pool, err, tc.want)
		}
		if strings.Count(err.Error(), "jwtgate:") != 1 {
			t.Errorf("CognitoPool(%q): got %q; want one jwtgate: prefix", tc.pool, err)
		}
	}
}

// cognitoConfig is a Config with one issuer, keys from a static JWK Set, and
// TokenUse "access".
func cognitoConfig(iss Issuer) Config {
	cfg := vtConfig(vtKey("RS256"))
	iss.JWKSURL, iss.JWKS = "", cfg.Issuers[0].JWKS
	cfg.Issuers = []Issuer{iss}
	cfg.TokenUse = "access"
	return cfg
}

// C13: New refuses Cognito user pool URLs that no token could carry.
func TestNewRefusesMalformedOrMismatchedCognitoSettings(t *testing.T) {
	for _, tc := range []struct {
		name string
		iss  Issuer
		want string
	}{
		{"empty region", Cognito("", "eu-west-1_AbC123"), "empty region"},
		{"swapped arguments", Cognito("eu-west-1_AbC123", "eu-west-1"), "swapped"},
		{"region not the pool's", Cognito("us-east-1", "eu-west-1_AbC123"), `region "us-east-1" does not match`},
		{"malformed pool id", Cognito("eu-west-1", "eu-west-1_AbC-123"), "not only letters and digits"},
		{"empty pool id", Cognito("eu-west-1", ""), "is empty"},
		{"pool id without region", Cognito("eu-west-1", "AbC123"), "has no underscore"},
		{"malformed region", Cognito("eu west 1", "eu-west-1_AbC123"), "URL"},
		{"trailing slash", Issuer{URL: "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC123/", Cognito: true}, "not only letters and digits"},
		{"plain http", Issuer{URL: "http://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC123", Cognito: true}, "not https"},
		{"user pool without Cognito rules", Issuer{URL: "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC123"}, "Cognito is false"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v, err := New(context.Background(), cognitoConfig(tc.iss))
			if err == nil {
				v.Close()
				t.Fatalf("New: got nil error; want one saying %q", tc.want)
			}
			msg := err.Error()
			if !strings.Contains(msg, "Config.Issuers[0]") || !strings.Contains(msg, tc.want) {
				t.Errorf("New: got %q; want it to name Config.Issuers[0] and say %q", msg, tc.want)
			}
		})
	}
}

// C13: Cognito signs with RS256 only, so New refuses a user pool issuer
// whose allowlist lacks RS256, naming Config.Algorithms; an allowlist with
// RS256, the default one, and an emulator with Cognito rules elsewhere are
// accepted.
func TestNewRefusesACognitoPoolWithoutRS256(t *testing.T) {
	pool := Cognito("eu-west-1", "eu-west-1_AbC123")
	emulator := Issuer{URL: "http://127.0.0.1:9229/local_4oWnMx1Q", Cognito: true}
	for _, tc := range []struct {
		name string
		iss  Issuer
		algs []string
		want bool // New refuses
	}{
		{"ES256 only", pool, []string{"ES256"}, true},
		{"RS384 and RS512", pool, []string{"RS384", "RS512"}, true},
		{"HS256 only", pool, []string{"HS256"}, true},
		{"RS256 among others", pool, []string{"ES256", "RS256"}, false},
		{"default allowlist", pool, nil, false},
		{"emulator, ES256 only", emulator, []string{"ES256"}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := cognitoConfig(tc.iss)
			cfg.Algorithms = tc.algs
			if !tc.want {
				// A key the allowlist can use, so that a static set loads.
				cfg.Issuers[0].JWKS = jwttest.JWKS(vtKey("RS256"), vtKey("ES256"))
			}
			v, err := New(context.Background(), cfg)
			if v != nil {
				v.Close()
			}
			switch {
			case !tc.want && err != nil:
				t.Errorf("New: got %v; want success", err)
			case tc.want && (err == nil || !strings.Contains(err.Error(), "Config.Issuers[0]") ||
				!strings.Contains(err.Error(), "Config.Algorithms") || !strings.Contains(err.Error(), "RS256 only")):
				t.Errorf("New: got %v; want an error naming Config.Issuers[0] and Config.Algorithms and saying Cognito signs RS256 only", err)
			}
		})
	}
}

func TestNewAcceptsWellFormedCognitoPoolsAndEmulators(t *testing.T) {
	pool, err := CognitoPool("eu-west-1_AbC123")
	if err != nil {
		t.Fatal(err)
	}
	for _, iss := range []Issuer{
		pool,
		Cognito("us-gov-west-1", "us-gov-west-1_Xy9"),
		{URL: "http://127.0.0.1:9229/local_4oWnMx1Q", Cognito: true}, // cognito-local
		{URL: "https://cognito.example.com/eu-west-1", Cognito: true},
	} {
		v, err := New(context.Background(), cognitoConfig(iss))
		if err != nil {
			t.Errorf("New with %q: %v", iss.URL, err)
			continue
		}
		v.Close()
	}
}

// C13: a Cognito issuer needs a TokenUse or an explicit AnyTokenUse.
func TestNewRefusesACognitoIssuerWithoutTokenUse(t *testing.T) {
	iss := Issuer{URL: "http://127.0.0.1:9229/local_x", Cognito: true}
	cfg := cognitoConfig(iss)
	cfg.TokenUse = ""
	_, err := New(context.Background(), cfg)
	if err == nil || !strings.Contains(err.Error(), "Config.Issuers[0]") ||
		!strings.Contains(err.Error(), "TokenUse") || !strings.Contains(err.Error(), "AnyTokenUse") {
		t.Fatalf("New without TokenUse: got %v; want an error naming TokenUse and AnyTokenUse", err)
	}

	for _, tc := range []struct {
		name string
		edit func(*Config)
		ok   bool
		want string
	}{
		{"Config.TokenUse", func(c *Config) { c.TokenUse = "access" }, true, ""},
		{"Issuer.TokenUse", func(c *Config) { c.Issuers[0].TokenUse = "id" }, true, ""},
		{"Config.AnyTokenUse", func(c *Config) { c.AnyTokenUse = true }, true, ""},
		{"Issuer.AnyTokenUse", func(c *Config) { c.Issuers[0].AnyTokenUse = true }, true, ""},
		{"Config.TokenUse and Config.AnyTokenUse", func(c *Config) { c.TokenUse, c.AnyTokenUse = "id", true }, false, "Config.TokenUse and Config.AnyTokenUse"},
		{"Issuer.TokenUse and Issuer.AnyTokenUse", func(c *Config) { c.Issuers[0].TokenUse, c.Issuers[0].AnyTokenUse = "id", true }, false, "TokenUse and AnyTokenUse are both set"},
		{"Issuer.TokenUse refresh", func(c *Config) { c.Issuers[0].TokenUse = "refresh" }, false, `Config.Issuers[0]: TokenUse "refresh"`},
		{"AnyTokenUse without Cognito", func(c *Config) { c.Issuers[0].Cognito, c.Issuers[0].AnyTokenUse = false, true }, false, "without Cognito rules"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := cognitoConfig(iss)
			cfg.TokenUse = ""
			tc.edit(&cfg)
			v, err := New(context.Background(), cfg)
			switch {
			case tc.ok && err != nil:
				t.Errorf("New: %v; want success", err)
			case !tc.ok && err == nil:
				t.Errorf("New: got nil error; want one saying %q", tc.want)
			case !tc.ok && !strings.Contains(err.Error(), tc.want):
				t.Errorf("New: got %q; want it to say %q", err, tc.want)
			}
			if v != nil {
				v.Close()
			}
		})
	}
}

func TestIssuerAudienceAndTokenUseReplaceTheConfigDefaults(t *testing.T) {
	k := vtKey("RS256")
	jwks := jwttest.JWKS(k)
	const poolA, poolB, plain = "http://127.0.0.1:9229/pool_a", "http://127.0.0.1:9229/pool_b", "https://plain.test"
	cfg := vtConfig(k)
	cfg.Audience = []string{"default-client"}
	cfg.TokenUse = "access"
	cfg.Issuers = []Issuer{
		{URL: poolA, JWKS: jwks, Cognito: true, Audience: []string{"client-a"}, TokenUse: "id"},
		{URL: poolB, JWKS: jwks, Cognito: true, AnyTokenUse: true},
		{URL: plain, JWKS: jwks},
	}
	v := vtNew(t, cfg)
	id := func(iss, aud string) string {
		return k.Sign(vtClaims("iss", iss, "aud", aud, "token_use", "id"))
	}
	access := func(iss, client string) string {
		return k.Sign(vtClaims("iss", iss, "aud", vtDel, "client_id", client, "token_use", "access"))
	}
	vtRun(t, v, []vtCase{
		{"A: its own client, ID token", id(poolA, "client-a"), nil},
		{"A: the default client", id(poolA, "default-client"), ErrInvalidAudience},
		{"A: access token", access(poolA, "client-a"), ErrInvalidTokenUse},
		{"B: default client, ID token", id(poolB, "default-client"), nil},
		{"B: default client, access token", access(poolB, "default-client"), nil},
		{"B: token_use still id or access", k.Sign(vtClaims("iss", poolB, "aud", "default-client", "token_use", "refresh")), ErrInvalidTokenUse},
		{"B: client-a", id(poolB, "client-a"), ErrInvalidAudience},
		{"plain: Config.TokenUse applies", id(plain, "default-client"), ErrInvalidTokenUse},
		{"plain: access token", access(plain, "default-client"), nil},
	})
}

func TestNewChecksIssuerAudiences(t *testing.T) {
	k := vtKey("RS256")
	for _, tc := range []struct {
		name string
		edit func(*Config)
		want string // "" means New succeeds
	}{
		{"every issuer has its own", func(c *Config) { c.Audience = nil; c.Issuers[0].Audience = []string{"a"} }, ""},
		{"none at all", func(c *Config) { c.Audience = nil }, "Config.Issuers[0]: no audience"},
		{"an empty one", func(c *Config) { c.Issuers[0].Audience = []string{""} }, "Config.Issuers[0]: Audience[0] is empty"},
		{"with SkipAudienceCheck", func(c *Config) {
			c.Audience, c.SkipAudienceCheck, c.Issuers[0].Audience = nil, true, []string{"a"}
		}, "Config.Issuers[0]: Audience is set together with Config.SkipAudienceCheck"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := vtConfig(k)
			tc.edit(&cfg)
			v, err := New(context.Background(), cfg)
			if v != nil {
				v.Close()
			}
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("New: %v; want success", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Errorf("New: got %v; want an error saying %q", err, tc.want)
			}
		})
	}
}

func TestNewRefusesAnAllowlistNoKeySourceCanServe(t *testing.T) {
	rsa, es, hs := vtKey("RS256"), vtKey("ES256"), jwttest.NewKey("HS256", "h1")
	for _, tc := range []struct {
		name string
		iss  Issuer
		algs []string
		want string // "" means New succeeds
	}{
		{"HS only, keys from a URL", Issuer{URL: "https://issuer.test", JWKSURL: "https://issuer.test/jwks.json"}, []string{"HS256"}, "HS algorithms only"},
		{"HS only, keys discovered", Issuer{URL: "https://issuer.test"}, []string{"HS256", "HS512"}, "HS algorithms only"},
		{"HS and RS, keys from a URL", Issuer{URL: "https://issuer.test", JWKSURL: "https://issuer.test/jwks.json"}, []string{"HS256", "RS256"}, ""},
		{"HS only, static oct key", Issuer{URL: vtIss, JWKS: jwttest.JWKS(hs)}, []string{"HS256"}, ""},
		{"ES only, static RSA key", Issuer{URL: vtIss, JWKS: jwttest.JWKS(rsa)}, []string{"ES256"}, "no key serves an algorithm of the allowlist (ES256)"},
		{"ES only, static RSA and EC keys", Issuer{URL: vtIss, JWKS: jwttest.JWKS(rsa, es)}, []string{"ES256"}, ""},
		{"HS only, static RSA key", Issuer{URL: vtIss, JWKS: jwttest.JWKS(rsa)}, []string{"HS256"}, "no key serves"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := vtConfig()
			cfg.Issuers = []Issuer{tc.iss}
			cfg.Algorithms = tc.algs
			v, err := New(context.Background(), cfg)
			if v != nil {
				v.Close()
			}
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("New: %v; want success", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "Config.Issuers[0]")):
				t.Errorf("New: got %v; want an error naming Config.Issuers[0] and saying %q", err, tc.want)
			}
		})
	}
}
