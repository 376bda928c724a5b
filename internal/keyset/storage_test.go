package keyset

import (
	"errors"
	"testing"
	"time"

	"github.com/MicahParks/jwkset"
	"github.com/golang-jwt/jwt/v5"
	"github.com/jwtgate/jwtgate/internal/testsrv"
)

// keyfunc v3 over keySetStorage selects the same filtered keys as key().
func TestKeySetKeyfunc(t *testing.T) {
	s := testsrv.New(t, testsrv.JSON(ksSet(ksRSAJWK(ksRSAPub("rsaA"), "a"), ksRSAJWK(ksRSAPub("rsaB"), "b"),
		ksWith(ksRSAJWK(ksRSAPub("rsaC"), "enc"), "use", "enc"))))
	o := ksOpts(nil)
	o.MinRefreshInterval = time.Millisecond
	ks := ksRemote(t, s.URL, o)
	kf, err := ks.Keyfunc(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	sign := func(kid string) string {
		tok := jwt.NewWithClaims(jwt.SigningMethodRS256, jwt.MapClaims{"sub": "x", "exp": time.Now().Add(time.Hour).Unix()})
		if kid != "" {
			tok.Header["kid"] = kid
		}
		raw, err := tok.SignedString(ksRSA("rsaA"))
		if err != nil {
			t.Fatal(err)
		}
		return raw
	}
	parse := func(raw string) error {
		_, err := jwt.Parse(raw, kf.KeyfuncCtx(t.Context()), jwt.WithValidMethods([]string{"RS256"}))
		return err
	}
	if err := parse(sign("a")); err != nil {
		t.Errorf("kid a: got %v; want a valid token", err)
	}
	if err := parse(sign("b")); !errors.Is(err, jwt.ErrTokenSignatureInvalid) {
		t.Errorf("kid b (another key): got %v; want a signature error", err)
	}
	if err := parse(sign("enc")); !errors.Is(err, ErrUnknownKey) {
		t.Errorf("dropped kid: got %v; want ErrUnknownKey", err)
	}
	if err := parse(sign("zzz")); !errors.Is(err, ErrUnknownKey) || !errors.Is(err, jwkset.ErrKeyNotFound) {
		t.Errorf("unknown kid: got %v; want ErrUnknownKey and jwkset.ErrKeyNotFound", err)
	}
	// F11/H04: no kid with several keys: keyfunc gets no key to try.
	if err := parse(sign("")); !errors.Is(err, ErrUnknownKey) {
		t.Errorf("no kid, several keys: got %v; want ErrUnknownKey", err)
	}

	st := keySetStorage{ks: ks}
	if err := st.KeyWrite(t.Context(), jwkset.JWK{}); !errors.Is(err, errReadOnlyStorage) {
		t.Errorf("KeyWrite: got %v; want read-only", err)
	}
	m, err := st.Marshal(t.Context())
	if err != nil || len(m.Keys) != 2 {
		t.Errorf("Marshal: got %d keys, %v; want 2", len(m.Keys), err)
	}
	for _, k := range m.Keys {
		if k.D != "" {
			t.Errorf("Marshal exported private material")
		}
	}
	if raw, err := st.JSONPublic(t.Context()); err != nil || len(raw) == 0 {
		t.Errorf("JSONPublic: %v", err)
	}
}
