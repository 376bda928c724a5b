package core

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/jwtgate/jwtgate/core/jwttest"
)

// docs/SECURITY.md, "Claims (C)".

// C01.
func TestRequiresExp(t *testing.T) {
	k := vtKey("ES256")
	v := vtNew(t, vtConfig(k))
	vtRun(t, v, []vtCase{
		{"present", k.Sign(vtClaims()), nil},
		{"absent", k.Sign(vtClaims("exp", vtDel)), jwt.ErrTokenRequiredClaimMissing},
		{"string", k.Sign(vtClaims("exp", "1999999999")), jwt.ErrTokenInvalidClaims},
		{"null", k.Sign(vtClaims("exp", vtNullJSON{})), jwt.ErrTokenInvalidClaims},
		{"bool", k.Sign(vtClaims("exp", true)), jwt.ErrTokenInvalidClaims},
		{"object", k.Sign(vtClaims("exp", map[string]any{})), jwt.ErrTokenInvalidClaims},
		{"zero", k.Sign(vtClaims("exp", 0)), ErrTokenExpired},
	})
}

// vtNullJSON marshals as JSON null (a nil value would delete the claim).
type vtNullJSON struct{}

func (vtNullJSON) MarshalJSON() ([]byte, error) { return []byte("null"), nil }

// vtAt returns a verifier whose clock reads at, with leeway.
func vtAt(t *testing.T, k *jwttest.Key, at time.Time, leeway time.Duration) *Verifier {
	cfg := vtConfig(k)
	cfg.Now = func() time.Time { return at }
	cfg.Leeway = leeway
	cfg.CacheSize = -1
	return vtNew(t, cfg)
}

// C02.
func TestRejectsExpiredTokens(t *testing.T) {
	k := vtKey("EdDSA")
	exp := vtNow.Unix() + 100
	tok := k.Sign(vtClaims("exp", exp))
	at := func(d time.Duration) time.Time { return time.Unix(exp, 0).Add(d) }
	for _, c := range []struct {
		name   string
		now    time.Time
		leeway time.Duration
		want   error
	}{
		{"1 ns before exp", at(-1), 0, nil},
		{"at exp", at(0), 0, ErrTokenExpired},
		{"after exp", at(time.Hour), 0, ErrTokenExpired},
		{"leeway: 1 ns before exp+leeway", at(30*time.Second - 1), 30 * time.Second, nil},
		{"leeway: at exp+leeway", at(30 * time.Second), 30 * time.Second, ErrTokenExpired},
	} {
		t.Run(c.name, func(t *testing.T) {
			cl, err := vtAt(t, k, c.now, c.leeway).Verify(context.Background(), tok)
			vtCheck(t, cl, err, c.want)
			if c.want != nil && !errors.Is(err, jwt.ErrTokenExpired) {
				t.Errorf("got %v; want it to match jwt.ErrTokenExpired", err)
			}
		})
	}
	// Fractional exp keeps its fraction.
	frac := k.Sign(vtClaims("exp", float64(exp)+0.5))
	if _, err := vtAt(t, k, at(400*time.Millisecond), 0).Verify(context.Background(), frac); err != nil {
		t.Errorf("exp+0.5 at exp+0.4: got %v; want success", err)
	}
	if _, err := vtAt(t, k, at(500*time.Millisecond), 0).Verify(context.Background(), frac); !errors.Is(err, ErrTokenExpired) {
		t.Errorf("exp+0.5 at exp+0.5: got %v; want ErrTokenExpired", err)
	}
}

// C03.
func TestRejectsTokensBeforeNbf(t *testing.T) {
	k := vtKey("EdDSA")
	nbf := vtNow.Unix() + 100
	tok := k.Sign(vtClaims("nbf", nbf, "exp", nbf+3600))
	at := func(d time.Duration) time.Time { return time.Unix(nbf, 0).Add(d) }
	for _, c := range []struct {
		name   string
		now    time.Time
		leeway time.Duration
		want   error
	}{
		{"at nbf", at(0), 0, nil},
		{"1 ns before nbf", at(-1), 0, ErrTokenNotYetValid},
		{"leeway: at nbf-leeway", at(-time.Minute), time.Minute, nil},
		{"leeway: before nbf-leeway", at(-time.Minute - 1), time.Minute, ErrTokenNotYetValid},
	} {
		t.Run(c.name, func(t *testing.T) {
			cl, err := vtAt(t, k, c.now, c.leeway).Verify(context.Background(), tok)
			vtCheck(t, cl, err, c.want)
			if c.want != nil && !errors.Is(err, jwt.ErrTokenNotValidYet) {
				t.Errorf("got %v; want it to match jwt.ErrTokenNotValidYet", err)
			}
		})
	}
	v := vtNew(t, vtConfig(k))
	vtRun(t, v, []vtCase{{"nbf a string", k.Sign(vtClaims("nbf", "0")), jwt.ErrTokenInvalidClaims}})
}

// C04.
func TestRejectsIatInTheFuture(t *testing.T) {
	k := vtKey("EdDSA")
	iat := vtNow.Unix()
	tok := k.Sign(vtClaims("iat", iat))
	at := func(d time.Duration) time.Time { return time.Unix(iat, 0).Add(d) }
	for _, c := range []struct {
		name   string
		now    time.Time
		leeway time.Duration
		want   error
	}{
		{"at iat", at(0), 0, nil},
		{"iat 1 ns in the future", at(-1), 0, ErrTokenNotYetValid},
		{"leeway covers it", at(-time.Minute), time.Minute, nil},
		{"beyond leeway", at(-time.Minute - 1), time.Minute, ErrTokenNotYetValid},
	} {
		t.Run(c.name, func(t *testing.T) {
			cl, err := vtAt(t, k, c.now, c.leeway).Verify(context.Background(), tok)
			vtCheck(t, cl, err, c.want)
			if c.want != nil && !errors.Is(err, jwt.ErrTokenUsedBeforeIssued) {
				t.Errorf("got %v; want it to match jwt.ErrTokenUsedBeforeIssued", err)
			}
		})
	}
	v := vtNew(t, vtConfig(k))
	vtRun(t, v, []vtCase{
		{"absent", k.Sign(vtClaims("iat", vtDel)), nil},
		{"a string", k.Sign(vtClaims("iat", "0")), jwt.ErrTokenInvalidClaims},
	})
}

// C05.
func TestNumericDatesAreNumbersInRange(t *testing.T) {
	k := vtKey("ES256")
	cfg := vtConfig(k)
	cfg.Now = func() time.Time { return time.Unix(0, 0) }
	v := vtNew(t, cfg)
	hdr := vtJSON(t, vtHeader(k))
	raw := func(exp string) string {
		return k.SignBytes(hdr, []byte(`{"iss":"`+vtIss+`","aud":"`+vtAud+`","exp":`+exp+`}`))
	}
	vtRun(t, v, []vtCase{
		{"integer", raw("1700000000"), nil},
		{"fraction", raw("1700000000.25"), nil},
		{"exponent", raw("1.7e9"), nil},
		{"upper bound", raw("253402300799"), nil},
		{"over upper bound", raw("253402300800"), jwt.ErrTokenInvalidClaims},
		{"negative", raw("-1"), jwt.ErrTokenInvalidClaims},
		{"1e300", raw("1e300"), jwt.ErrTokenInvalidClaims},
		{"1e400 (infinite)", raw("1e400"), jwt.ErrTokenInvalidClaims},
		{"-1e400", raw("-1e400"), jwt.ErrTokenInvalidClaims},
		{"huge integer", raw("99999999999999999999999"), jwt.ErrTokenInvalidClaims},
		{"string", raw(`"1700000000"`), jwt.ErrTokenInvalidClaims},
		{"array", raw(`[1700000000]`), jwt.ErrTokenInvalidClaims},
		{"null", raw(`null`), jwt.ErrTokenInvalidClaims},
	})
	c, err := v.Verify(context.Background(), raw("1700000000.25"))
	if err != nil || !c.ExpiresAt.Equal(time.Unix(1700000000, 250_000_000)) {
		t.Errorf("fractional exp: got %v, %v; want %v", c.ExpiresAt, err, time.Unix(1700000000, 250_000_000).UTC())
	}
	for _, in := range []string{"0", "1", "253402300799", "1.5", "1e3", "0.999999999", "12.0000000001"} {
		sec, nsec, ok := numericDate([]byte(in))
		if !ok || nsec < 0 || nsec >= 1e9 {
			t.Errorf("numericDate(%s): got %d, %d, %v", in, sec, nsec, ok)
		}
	}
}

// C06.
func TestNewBoundsLeeway(t *testing.T) {
	for _, c := range []struct {
		leeway time.Duration
		ok     bool
	}{{0, true}, {time.Minute, true}, {5 * time.Minute, true}, {5*time.Minute + 1, false}, {-time.Second, false}} {
		cfg := vtConfig(vtKey("ES256"))
		cfg.Leeway = c.leeway
		v, err := New(context.Background(), cfg)
		if (err == nil) != c.ok {
			t.Errorf("Leeway %v: got %v; want ok=%v", c.leeway, err, c.ok)
		}
		if v != nil {
			v.Close()
		}
	}
}

// C07.
func TestIssuerMustMatchExactly(t *testing.T) {
	k := vtKey("ES256")
	v := vtNew(t, vtConfig(k))
	n := vtCount(v, vtIss)
	vtRun(t, v, []vtCase{
		{"exact", k.Sign(vtClaims()), nil},
		{"trailing slash", k.Sign(vtClaims("iss", vtIss+"/")), ErrInvalidIssuer},
		{"upper case", k.Sign(vtClaims("iss", strings.ToUpper(vtIss))), ErrInvalidIssuer},
		{"missing", k.Sign(vtClaims("iss", vtDel)), ErrInvalidIssuer},
		{"empty", k.Sign(vtClaims("iss", "")), ErrInvalidIssuer},
		{"prefix", k.Sign(vtClaims("iss", "https://issuer.tes")), ErrInvalidIssuer},
		{"fullwidth", k.Sign(vtClaims("iss", "https://issuer.ｔest")), ErrInvalidIssuer},
		{"number", k.Sign(vtClaims("iss", 1)), jwt.ErrTokenInvalidClaims},
		{"array", k.Sign(vtClaims("iss", []string{vtIss})), jwt.ErrTokenInvalidClaims},
	})
	if got := n.n.Load(); got != 1 {
		t.Errorf("key lookups: got %d; want 1 (only the exact issuer)", got)
	}
}

// C08.
func TestKeysAreBoundToTheirIssuer(t *testing.T) {
	a, b := vtKey("ES256"), vtKey("ES384")
	bSameKid := jwttest.NewKeyFrom("ES256", a.Kid, vtKey("ES256").Private())
	other := jwttest.NewKeyFrom("ES256", a.Kid, mustECKey(t))
	cfg := vtConfig()
	cfg.Issuers = []Issuer{
		{URL: "https://a.test", JWKS: jwttest.JWKS(a)},
		{URL: "https://b.test", JWKS: jwttest.JWKS(b, jwttest.NewKeyFrom("ES256", "b-256", other.Private()))},
	}
	v := vtNew(t, cfg)
	vtRun(t, v, []vtCase{
		{"A's token", a.Sign(vtClaims("iss", "https://a.test")), nil},
		{"B's token", b.Sign(vtClaims("iss", "https://b.test")), nil},
		{"A's key, iss B", a.Sign(vtClaims("iss", "https://b.test")), ErrUnknownKey},
		{"B's key, iss A", b.Sign(vtClaims("iss", "https://a.test")), ErrUnknownKey},
		{"B's key under A's kid, iss A", other.Sign(vtClaims("iss", "https://a.test")), ErrInvalidSignature},
		{"A's key, iss B, B's kid", jwttest.NewKeyFrom("ES256", "b-256", bSameKid.Private()).Sign(vtClaims("iss", "https://b.test")), ErrInvalidSignature},
	})
}

// C09.
func TestChecksAudience(t *testing.T) {
	k := vtKey("ES256")
	cfg := vtConfig(k)
	cfg.Audience = []string{vtAud, "second"}
	v := vtNew(t, cfg)
	vtRun(t, v, []vtCase{
		{"string", k.Sign(vtClaims()), nil},
		{"second audience", k.Sign(vtClaims("aud", "second")), nil},
		{"array with a match", k.Sign(vtClaims("aud", []string{"other", vtAud})), nil},
		{"other", k.Sign(vtClaims("aud", "other")), ErrInvalidAudience},
		{"array without a match", k.Sign(vtClaims("aud", []string{"a", "b"})), ErrInvalidAudience},
		{"case differs", k.Sign(vtClaims("aud", strings.ToUpper(vtAud))), ErrInvalidAudience},
		{"absent", k.Sign(vtClaims("aud", vtDel)), ErrInvalidAudience},
		{"absent, client_id matches but not an access token", k.Sign(vtClaims("aud", vtDel, "client_id", vtAud)), ErrInvalidAudience},
		{"empty array", k.Sign(vtClaims("aud", []string{})), jwt.ErrTokenInvalidClaims},
		{"empty string in array", k.Sign(vtClaims("aud", []string{""})), jwt.ErrTokenInvalidClaims},
		{"empty string", k.Sign(vtClaims("aud", "")), jwt.ErrTokenInvalidClaims},
		{"number in array", k.Sign(vtClaims("aud", []any{vtAud, 1})), jwt.ErrTokenInvalidClaims},
		{"number", k.Sign(vtClaims("aud", 1)), jwt.ErrTokenInvalidClaims},
		{"null", k.Sign(vtClaims("aud", vtNullJSON{})), jwt.ErrTokenInvalidClaims},
		{"access token, client_id", k.Sign(vtClaims("aud", vtDel, "token_use", "access", "client_id", "second")), nil},
		{"access token, other client_id", k.Sign(vtClaims("aud", vtDel, "token_use", "access", "client_id", "x")), ErrInvalidAudience},
		{"access token with aud: aud decides", k.Sign(vtClaims("aud", "x", "token_use", "access", "client_id", vtAud)), ErrInvalidAudience},
	})
	c, err := v.Verify(context.Background(), k.Sign(vtClaims("aud", []string{"a", vtAud})))
	if err != nil || !slices.Equal(c.Audience, []string{"a", vtAud}) {
		t.Errorf("Audience: got %q, %v", c.Audience, err)
	}

	skip := vtConfig(k)
	skip.Audience, skip.SkipAudienceCheck = nil, true
	vtRun(t, vtNew(t, skip), []vtCase{
		{"skip: absent", k.Sign(vtClaims("aud", vtDel)), nil},
		{"skip: other", k.Sign(vtClaims("aud", "other")), nil},
		{"skip: still typed", k.Sign(vtClaims("aud", 1)), jwt.ErrTokenInvalidClaims},
	})
	for _, c := range []struct {
		name string
		aud  []string
		skip bool
	}{{"no audience", nil, false}, {"empty audience", []string{""}, false}, {"audience and skip", []string{"a"}, true}} {
		cfg := vtConfig(k)
		cfg.Audience, cfg.SkipAudienceCheck = c.aud, c.skip
		if _, err := New(context.Background(), cfg); err == nil {
			t.Errorf("New with %s: got nil error; want one", c.name)
		}
	}
}

// C10.
func TestProfileClaimsAreLeftToPolicies(t *testing.T) {
	// sub, client_id and jti are exposed and typed; requiring them (RFC 9068)
	// is a policy.
	k := vtKey("ES256")
	cfg := vtConfig(k)
	cfg.Policies = []Policy{func(_ context.Context, c *Claims) error {
		if c.Subject == "" || c.ClientID == "" || c.ID == "" {
			return fmt.Errorf("%w: RFC 9068 claims missing", ErrInsufficientScope)
		}
		return nil
	}}
	v := vtNew(t, cfg)
	full := vtClaims("client_id", "c1", "jti", "j1")
	vtRun(t, v, []vtCase{
		{"all present", k.Sign(full), nil},
		{"no jti", k.Sign(vtClaims("client_id", "c1")), ErrInsufficientScope},
		{"sub a number", k.Sign(vtClaims("client_id", "c1", "jti", "j1", "sub", 5)), jwt.ErrTokenInvalidClaims},
		{"jti a number", k.Sign(vtClaims("client_id", "c1", "jti", 5)), jwt.ErrTokenInvalidClaims},
		{"client_id an array", k.Sign(vtClaims("client_id", []string{"c1"}, "jti", "j1")), jwt.ErrTokenInvalidClaims},
	})
	c, err := v.Verify(context.Background(), k.Sign(full))
	if err != nil || c.Subject != "user-1" || c.ClientID != "c1" || c.ID != "j1" {
		t.Errorf("got %+v, %v", c, err)
	}
}

// C11.
func TestSplitsScopeOnSpaces(t *testing.T) {
	k := vtKey("ES256")
	v := vtNew(t, vtConfig(k))
	for _, c := range []struct {
		scope any
		want  []string
	}{
		{"read write", []string{"read", "write"}},
		{"  read   write  ", []string{"read", "write"}},
		{"a/b:c https://x/y", []string{"a/b:c", "https://x/y"}},
		{"", nil},
		{vtDel, nil},
	} {
		cl, err := v.Verify(context.Background(), k.Sign(vtClaims("scope", c.scope)))
		if err != nil || !slices.Equal(cl.Scopes, c.want) {
			t.Errorf("scope %q: got %q, %v; want %q", c.scope, cl.Scopes, err, c.want)
		}
	}
	cl, err := v.Verify(context.Background(), k.Sign(vtClaims("scope", "read:all write")))
	if err != nil {
		t.Fatal(err)
	}
	for s, want := range map[string]bool{"read:all": true, "write": true, "read": false, "writ": false, "Write": false, "read:all write": false} {
		if got := cl.HasScope(s); got != want {
			t.Errorf("HasScope(%q): got %v; want %v", s, got, want)
		}
	}
}

// C12.
func TestRejectsScopeThatIsNotAString(t *testing.T) {
	k := vtKey("ES256")
	v := vtNew(t, vtConfig(k))
	vtRun(t, v, []vtCase{
		{"array", k.Sign(vtClaims("scope", []string{"read"})), jwt.ErrTokenInvalidClaims},
		{"number", k.Sign(vtClaims("scope", 1)), jwt.ErrTokenInvalidClaims},
		{"scp ignored", k.Sign(vtClaims("scope", vtDel, "scp", []string{"read"})), nil},
	})
	cl, _ := v.Verify(context.Background(), k.Sign(vtClaims("scope", vtDel, "scp", []string{"read"})))
	if cl == nil || cl.HasScope("read") {
		t.Errorf("scp: got %+v; want no scopes", cl)
	}
}

// cognitoClaims returns Cognito-shaped claims: an ID token (aud = client)
// or an access token (client_id, no aud).
func cognitoClaims(use string, kv ...any) map[string]any {
	base := []any{"token_use", use, "cognito:groups", []string{"admins", "dev"}}
	if use == "id" {
		base = append(base, "aud", "client-1", "cognito:username", "alice", "scope", vtDel)
	} else {
		base = append(base, "aud", vtDel, "client_id", "client-1", "username", "alice",
			"scope", "aws.cognito.signin.user.admin openid")
	}
	return vtClaims(append(base, kv...)...)
}

func vtCognito(t *testing.T, k *jwttest.Key, use string) *Verifier {
	cfg := vtConfig(k)
	cfg.Issuers[0].Cognito = true
	cfg.Audience = []string{"client-1"}
	cfg.TokenUse = use
	cfg.AnyTokenUse = use == ""
	return vtNew(t, cfg)
}

// C13.
func TestAppliesCognitoTokenUseAndClientRules(t *testing.T) {
	k := vtKey("RS256")
	v := vtCognito(t, k, "")
	vtRun(t, v, []vtCase{
		{"ID token", k.Sign(cognitoClaims("id")), nil},
		{"access token", k.Sign(cognitoClaims("access")), nil},
		{"token_use missing", k.Sign(cognitoClaims("id", "token_use", vtDel)), ErrInvalidTokenUse},
		{"token_use refresh", k.Sign(cognitoClaims("id", "token_use", "refresh")), ErrInvalidTokenUse},
		{"token_use ID", k.Sign(cognitoClaims("id", "token_use", "ID")), ErrInvalidTokenUse},
		{"token_use a number", k.Sign(cognitoClaims("id", "token_use", 1)), jwt.ErrTokenInvalidClaims},
		{"ID token, other aud", k.Sign(cognitoClaims("id", "aud", "client-2")), ErrInvalidAudience},
		{"access token, other client_id", k.Sign(cognitoClaims("access", "client_id", "client-2")), ErrInvalidAudience},
		{"access token, no client_id", k.Sign(cognitoClaims("access", "client_id", vtDel)), ErrInvalidAudience},
		{"groups not an array", k.Sign(cognitoClaims("id", "cognito:groups", "admins")), jwt.ErrTokenInvalidClaims},
		{"groups with a number", k.Sign(cognitoClaims("id", "cognito:groups", []any{"a", 1})), jwt.ErrTokenInvalidClaims},
	})
	id, err := v.Verify(context.Background(), k.Sign(cognitoClaims("id")))
	if err != nil || id.ClientID != "client-1" || id.Username != "alice" || id.TokenUse != "id" ||
		!slices.Equal(id.Groups, []string{"admins", "dev"}) || id.Scopes != nil {
		t.Errorf("ID token claims: got %+v, %v", id, err)
	}
	ac, err := v.Verify(context.Background(), k.Sign(cognitoClaims("access")))
	if err != nil || ac.ClientID != "client-1" || ac.Username != "alice" || ac.Audience != nil ||
		!slices.Equal(ac.Scopes, []string{"aws.cognito.signin.user.admin", "openid"}) {
		t.Errorf("access token claims: got %+v, %v", ac, err)
	}
	// Without Issuer.Cognito, token_use is not required.
	plain := vtNew(t, vtConfig(k))
	vtRun(t, plain, []vtCase{{"non-Cognito issuer, no token_use", k.Sign(vtClaims()), nil}})
	// TokenUse is validated by New.
	cfg := vtConfig(k)
	cfg.TokenUse = "refresh"
	if _, err := New(context.Background(), cfg); err == nil {
		t.Error("New with TokenUse refresh: got nil error; want one")
	}
}

// C14.
func TestTokenUseSeparatesIDAndAccessTokens(t *testing.T) {
	k := vtKey("RS256")
	access := vtCognito(t, k, "access")
	id := vtCognito(t, k, "id")
	vtRun(t, access, []vtCase{
		{"access policy, access token", k.Sign(cognitoClaims("access")), nil},
		{"access policy, ID token", k.Sign(cognitoClaims("id")), ErrInvalidTokenUse},
	})
	vtRun(t, id, []vtCase{
		{"ID policy, ID token", k.Sign(cognitoClaims("id")), nil},
		{"ID policy, access token", k.Sign(cognitoClaims("access")), ErrInvalidTokenUse},
	})
	// Config.TokenUse applies to non-Cognito issuers too.
	cfg := vtConfig(k)
	cfg.TokenUse = "access"
	vtRun(t, vtNew(t, cfg), []vtCase{
		{"TokenUse set, token_use absent", k.Sign(vtClaims()), ErrInvalidTokenUse},
		{"TokenUse set, token_use access", k.Sign(vtClaims("token_use", "access")), nil},
	})
}

// C15.
func TestPoliciesSeeOnlyVerifiedClaims(t *testing.T) {
	k := vtKey("ES256")
	other := jwttest.NewKeyFrom("ES256", k.Kid, mustECKey(t))
	var seen []string
	cfg := vtConfig(k)
	cfg.Policies = []Policy{func(_ context.Context, c *Claims) error {
		seen = append(seen, c.Subject)
		return nil
	}}
	v := vtNew(t, cfg)
	for _, tok := range []string{
		other.Sign(vtClaims("sub", "forged")),
		k.Sign(vtClaims("sub", "expired", "exp", vtNow.Unix()-1)),
		k.Sign(vtClaims("sub", "wrong-aud", "aud", "x")),
	} {
		c, err := v.Verify(context.Background(), tok)
		if err == nil || c != nil {
			t.Errorf("got %+v, %v; want nil claims and an error", c, err)
		}
		if err != nil && (strings.Contains(err.Error(), "forged") || strings.Contains(err.Error(), "wrong-aud")) {
			t.Errorf("error %q repeats a claim value", err)
		}
	}
	if len(seen) != 0 {
		t.Errorf("policies saw unverified claims: %q", seen)
	}
	if _, err := v.Verify(context.Background(), k.Sign(vtClaims())); err != nil || !slices.Equal(seen, []string{"user-1"}) {
		t.Errorf("valid token: got %v, policies saw %q", err, seen)
	}
}

func TestIssuerAndConfigValidation(t *testing.T) {
	k := vtKey("ES256")
	jwks := jwttest.JWKS(k)
	for _, c := range []struct {
		name string
		edit func(*Config)
	}{
		{"no issuers", func(c *Config) { c.Issuers = nil }},
		{"empty URL", func(c *Config) { c.Issuers[0].URL = "" }},
		{"repeated URL", func(c *Config) { c.Issuers = append(c.Issuers, Issuer{URL: vtIss, JWKS: jwks}) }},
		{"JWKS and JWKSURL", func(c *Config) { c.Issuers[0].JWKSURL = "https://x.test/jwks" }},
		{"static set without keys", func(c *Config) { c.Issuers[0].JWKS = []byte(`{"keys":[]}`) }},
		{"static set not JSON", func(c *Config) { c.Issuers[0].JWKS = []byte(`{`) }},
		{"plain http JWKSURL", func(c *Config) { c.Issuers[0] = Issuer{URL: vtIss, JWKSURL: "http://example.com/jwks"} }},
		{"nil policy", func(c *Config) { c.Policies = []Policy{nil} }},
		{"TokenUse", func(c *Config) { c.TokenUse = "Access" }},
	} {
		cfg := vtConfig(k)
		c.edit(&cfg)
		v, err := New(context.Background(), cfg)
		if err == nil {
			v.Close()
			t.Errorf("%s: New: got nil error; want one", c.name)
		}
	}
	// New copies the configuration.
	cfg := vtConfig(k)
	v := vtNew(t, cfg)
	cfg.Audience[0] = "changed"
	cfg.Issuers[0].URL = "changed"
	if _, err := v.Verify(context.Background(), k.Sign(vtClaims())); err != nil {
		t.Errorf("after changing cfg: got %v; want success", err)
	}
	// Close is idempotent.
	if err := v.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	if err := v.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

func mustECKey(t *testing.T) *ecdsa.PrivateKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// B07: a Config.Policies refusal with a plain error of its own is 403
// insufficient_scope, on a cache miss and on a hit alike.
func TestConfigPolicyPlainErrorIsInsufficientScope(t *testing.T) {
	k := vtKey("ES256")
	denied := errors.New("tenant suspended")
	cfg := vtConfig(k)
	cfg.Policies = []Policy{func(_ context.Context, c *Claims) error {
		if c.Subject == "suspended" {
			return denied
		}
		return nil
	}}
	v := vtNew(t, cfg)
	tok := k.Sign(vtClaims("sub", "suspended"))
	for _, round := range []string{"miss", "hit"} {
		c, err := v.Verify(context.Background(), tok)
		if c != nil || !errors.Is(err, ErrInsufficientScope) || !errors.Is(err, denied) || errors.Is(err, ErrInvalidToken) {
			t.Errorf("%s: got %v, %v; want no claims and an error matching ErrInsufficientScope and the policy's own", round, c, err)
		}
		if status, _ := Challenge(err, ""); status != 403 {
			t.Errorf("%s: status %d; want %d", round, status, 403)
		}
	}
	if _, err := v.Verify(context.Background(), k.Sign(vtClaims())); err != nil {
		t.Errorf("another subject: got %v; want nil", err)
	}
}
