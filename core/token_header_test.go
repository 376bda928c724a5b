package core

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/jwtgate/jwtgate/core/jwttest"
)

// docs/SECURITY.md, "Header parameters (H)".

// H01.
func TestRejectsCrit(t *testing.T) {
	k := vtKey("ES256")
	v := vtNew(t, vtConfig(k))
	payload := vtJSON(t, vtClaims())
	hdr := func(kv ...any) []byte { return vtJSON(t, vtHeader(k, kv...)) }
	vtRun(t, v, []vtCase{
		{"no crit", k.SignBytes(hdr(), payload), nil},
		{"not an array", k.SignBytes(hdr("crit", "exp"), payload), ErrInvalidToken},
		{"null", k.SignBytes([]byte(`{"alg":"ES256","kid":"k-es256","crit":null}`), payload), ErrInvalidToken},
		{"empty", k.SignBytes(hdr("crit", []string{}), payload), ErrInvalidToken},
		{"registered name", k.SignBytes(hdr("crit", []string{"alg"}), payload), ErrInvalidToken},
		{"absent name", k.SignBytes(hdr("crit", []string{"x-ext"}), payload), ErrInvalidToken},
		{"present but not understood", k.SignBytes(hdr("crit", []string{"x-ext"}, "x-ext", true), payload), ErrInvalidToken},
		{"b64 extension", k.SignBytes(hdr("crit", []string{"b64"}, "b64", true), payload), ErrInvalidToken},
		{"not strings", k.SignBytes(hdr("crit", []any{1}, "x", 1), payload), ErrInvalidToken},
		{"empty name", k.SignBytes(hdr("crit", []string{""}), payload), ErrInvalidToken},
	})
	// The messages say which rule broke, without naming the token's values.
	for _, c := range []struct {
		crit any
		want string
	}{
		{"exp", "not an array"},
		{[]string{}, "empty"},
		{[]string{"alg"}, "registered"},
		{[]string{"x-ext"}, "absent"},
		{[]any{1}, "not an array of strings"},
	} {
		err := verifyErr(v, k.SignBytes(hdr("crit", c.crit), payload))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("crit %v: got %v; want a message with %q", c.crit, err, c.want)
		}
	}
}

// H02.
func TestNeverUsesKeysNamedInTheHeader(t *testing.T) {
	real := vtKey("RS256")
	attacker := jwttest.NewKeyFrom("RS256", real.Kid, vtKey("RS384").Private())
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.Header().Set("Content-Type", "application/json")
		w.Write(jwttest.JWKS(attacker))
	}))
	defer srv.Close()
	v := vtNew(t, vtConfig(real))
	payload := vtJSON(t, vtClaims())
	hdr := func(kv ...any) []byte { return vtJSON(t, vtHeader(attacker, kv...)) }
	jwk := attacker.JWK()
	vtRun(t, v, []vtCase{
		{"jku", attacker.SignBytes(hdr("jku", srv.URL), payload), ErrInvalidSignature},
		{"x5u", attacker.SignBytes(hdr("x5u", srv.URL), payload), ErrInvalidSignature},
		{"jwk", attacker.SignBytes(hdr("jwk", jwk), payload), ErrInvalidSignature},
		{"jwk without kid", attacker.SignBytes(hdr("jwk", jwk, "kid", nil), payload), ErrInvalidSignature},
		{"x5c", attacker.SignBytes(hdr("x5c", []string{"MIIB"}), payload), ErrInvalidSignature},
		{"x5t", attacker.SignBytes(hdr("x5t", "abc", "x5t#S256", "def"), payload), ErrInvalidSignature},
		{"real key with jku", real.SignBytes(vtJSON(t, vtHeader(real, "jku", srv.URL)), payload), nil},
	})
	if n := hits.Load(); n != 0 {
		t.Errorf("requests to URLs named in tokens: got %d; want 0", n)
	}
}

// H03.
func TestKidMustBeAShortString(t *testing.T) {
	k := vtKey("ES256")
	v := vtNew(t, vtConfig(k, vtKey("RS256")))
	payload := vtJSON(t, vtClaims())
	hdr := func(kid any) []byte { return vtJSON(t, vtHeader(k, "kid", kid)) }
	vtRun(t, v, []vtCase{
		{"257 bytes", k.SignBytes(hdr(strings.Repeat("k", 257)), payload), ErrInvalidToken},
		{"256 bytes, unknown", k.SignBytes(hdr(strings.Repeat("k", 256)), payload), ErrUnknownKey},
		{"number", k.SignBytes(hdr(7), payload), ErrInvalidToken},
		{"array", k.SignBytes(hdr([]string{k.Kid}), payload), ErrInvalidToken},
		{"null", k.SignBytes([]byte(`{"alg":"ES256","kid":null}`), payload), ErrInvalidToken},
		{"path", k.SignBytes(hdr("../../../../etc/passwd"), payload), ErrUnknownKey},
		{"format verbs", k.SignBytes(hdr("%s%n%x"), payload), ErrUnknownKey},
		{"escaped kid", k.SignBytes([]byte(`{"alg":"ES256","kid":"k-es\u0032\u00356"}`), payload), nil},
	})
	err := verifyErr(v, k.SignBytes(hdr("%s-SECRET-KID"), payload))
	if err == nil || strings.Contains(err.Error(), "SECRET-KID") {
		t.Errorf("unknown kid: got %v; want an error that does not repeat the kid", err)
	}
}

// H04.
func TestRequiresKidWhenTheSetHoldsSeveralKeys(t *testing.T) {
	one := vtKey("ES256")
	two := vtKey("EdDSA")
	payload := vtJSON(t, vtClaims())
	single := vtNew(t, vtConfig(one))
	several := vtNew(t, vtConfig(one, two))
	noKid := one.SignBytes(vtJSON(t, vtHeader(one, "kid", nil)), payload)
	vtRun(t, single, []vtCase{{"one key, no kid", noKid, nil}})
	vtRun(t, several, []vtCase{
		{"two keys, no kid", noKid, ErrUnknownKey},
		{"two keys, kid", one.SignBytes(vtJSON(t, vtHeader(one)), payload), nil},
	})
}

// H04: a kid that is present must name a key; "" names none, even when the
// set holds a single key (only an absent kid may use it), in Verify and in
// Keyfunc.
func TestEmptyKidDoesNotGetTheSingleKeyRule(t *testing.T) {
	k := vtKey("ES256")
	v := vtNew(t, vtConfig(k))
	payload := vtJSON(t, vtClaims())
	emptyKid := k.SignBytes(vtJSON(t, vtHeader(k, "kid", "")), payload)
	noKid := k.SignBytes(vtJSON(t, vtHeader(k, "kid", nil)), payload)
	vtRun(t, v, []vtCase{
		{"kid absent", noKid, nil},
		{"kid empty", emptyKid, ErrUnknownKey},
		{"kid empty, alg outside the allowlist", k.SignBytes([]byte(`{"alg":"none","kid":""}`), payload), ErrInvalidToken},
	})
	// A key whose JWK has no kid is not named by "" either.
	kidless := jwttest.NewKeyFrom("ES256", "", k.Private())
	cfg := vtConfig()
	cfg.Issuers[0].JWKS = jwttest.JWKS(kidless, vtKey("EdDSA"))
	several := vtNew(t, cfg)
	vtRun(t, several, []vtCase{{"kid empty, kid-less JWK in a set of two", emptyKid, ErrUnknownKey}})

	kf, err := v.Keyfunc(t.Context(), vtIss)
	if err != nil {
		t.Fatal(err)
	}
	p := jwt.NewParser(jwt.WithTimeFunc(func() time.Time { return vtNow }))
	if _, err := p.Parse(noKid, kf); err != nil {
		t.Errorf("Keyfunc, kid absent: got %v; want the token valid", err)
	}
	if _, err := p.Parse(emptyKid, kf); !errors.Is(err, ErrUnknownKey) {
		t.Errorf("Keyfunc, kid empty: got %v; want ErrUnknownKey", err)
	}
}

// H05.
func TestAcceptsOnlyJWTTyps(t *testing.T) {
	k := vtKey("EdDSA")
	v := vtNew(t, vtConfig(k))
	payload := vtJSON(t, vtClaims())
	var cases []vtCase
	for _, typ := range []any{nil, "JWT", "jwt", "at+jwt", "AT+JWT", "application/at+jwt", "Application/AT+JWT"} {
		name := "absent"
		if typ != nil {
			name = typ.(string)
		}
		cases = append(cases, vtCase{name, k.SignBytes(vtJSON(t, vtHeader(k, "typ", typ)), payload), nil})
	}
	for _, typ := range []any{"JOSE", "dpop+jwt", "secevent+jwt", "application/jwt", "", "JWT ", 1, false} {
		cases = append(cases, vtCase{"refused " + strings.TrimSpace(strings.ReplaceAll(fmtAny(typ), "/", "_")), k.SignBytes(vtJSON(t, vtHeader(k, "typ", typ)), payload), ErrInvalidToken})
	}
	vtRun(t, v, cases)
}

// H06.
func TestRejectsNestedJWTsAndJWE(t *testing.T) {
	k := vtKey("EdDSA")
	v := vtNew(t, vtConfig(k))
	payload := vtJSON(t, vtClaims())
	hdr := func(kv ...any) []byte { return vtJSON(t, vtHeader(k, kv...)) }
	vtRun(t, v, []vtCase{
		{"cty JWT", k.SignBytes(hdr("cty", "JWT"), payload), ErrInvalidToken},
		{"cty jwt", k.SignBytes(hdr("cty", "jwt"), payload), ErrInvalidToken},
		{"cty not a string", k.SignBytes(hdr("cty", 1), payload), ErrInvalidToken},
		{"enc", k.SignBytes(hdr("enc", "A256GCM"), payload), ErrInvalidToken},
		{"zip", k.SignBytes(hdr("zip", "DEF"), payload), ErrInvalidToken},
		{"cty json is ignored", k.SignBytes(hdr("cty", "json"), payload), nil},
	})
}

// H07.
func TestIgnoresUnknownHeaderParameters(t *testing.T) {
	k := vtKey("EdDSA")
	v := vtNew(t, vtConfig(k))
	payload := vtJSON(t, vtClaims())
	vtRun(t, v, []vtCase{
		{"unknown members", k.SignBytes(vtJSON(t, vtHeader(k, "x-foo", map[string]any{"a": []any{1, "b", nil}}, "y", true)), payload), nil},
		{"b64 without crit", k.SignBytes(vtJSON(t, vtHeader(k, "b64", false)), payload), nil},
	})
}

func fmtAny(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
