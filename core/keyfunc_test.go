package core

import (
	"context"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/sha512"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/jwtgate/jwtgate/core/jwttest"
)

func TestVerifierKeyfunc(t *testing.T) {
	rs := jwttest.NewKey("RS256", "rs")
	es := jwttest.NewKey("ES256", "es")
	srv := jwttest.NewServer(rs, es)
	defer srv.Close()
	ctx := context.Background()
	v, err := New(ctx, Config{
		Issuers:    []Issuer{{URL: srv.URL, JWKSURL: srv.JWKSURL()}},
		Audience:   []string{"api"},
		Algorithms: []string{"RS256"},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	kf, err := v.Keyfunc(ctx, srv.URL)
	if err != nil {
		t.Fatalf("Keyfunc: %v", err)
	}
	claims := map[string]any{"iss": srv.URL, "aud": "api", "exp": time.Now().Add(time.Minute).Unix()}
	p := jwt.NewParser(jwt.WithValidMethods([]string{"RS256", "ES256"}))

	if _, err := p.Parse(rs.Sign(claims), kf); err != nil {
		t.Errorf("RS256 token: %v; want it valid", err)
	}
	if _, err := p.Parse(es.Sign(claims), kf); err == nil {
		t.Errorf("ES256 token (alg outside Config.Algorithms) verified; want an error")
	}
	if _, err := p.Parse(jwttest.NewKey("RS256", "other").Sign(claims), kf); err == nil {
		t.Errorf("token of an unknown key verified; want an error")
	}
	if _, err := v.Keyfunc(ctx, srv.URL+"/"); !errors.Is(err, ErrInvalidIssuer) {
		t.Errorf("Keyfunc(unknown issuer) error = %v; want ErrInvalidIssuer", err)
	}
}

// A05, A06: through Keyfunc, an EC key without alg serves the one algorithm
// of its curve, as in Verify: golang-jwt's ECDSA methods do not check the
// key's curve, so a P-256 key must not verify an ES384 signature made with it.
func TestKeyfuncBindsAnECKeyWithoutAlgToItsCurve(t *testing.T) {
	key := jwttest.NewKey("ES256", "ec")
	jwk := key.JWK()
	delete(jwk, "alg")
	body, err := json.Marshal(map[string]any{"keys": []any{jwk}})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	v, err := New(ctx, Config{Issuers: []Issuer{{URL: "https://issuer.example", JWKS: body}}, Audience: []string{"api"}})
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	kf, err := v.Keyfunc(ctx, "https://issuer.example")
	if err != nil {
		t.Fatal(err)
	}
	claims := map[string]any{"iss": "https://issuer.example", "aud": "api", "exp": time.Now().Add(time.Minute).Unix()}
	if _, err := jwt.Parse(key.Sign(claims), kf); err != nil {
		t.Errorf("ES256 token: got %v; want it valid", err)
	}

	// ES384 over the same key: SHA-384, r and s padded to 48 bytes each.
	header, _ := json.Marshal(map[string]any{"alg": "ES384", "kid": "ec"})
	payload, _ := json.Marshal(claims)
	input := jwttest.B64(header) + "." + jwttest.B64(payload)
	sum := sha512.Sum384([]byte(input))
	r, s, err := ecdsa.Sign(rand.Reader, key.Private().(*ecdsa.PrivateKey), sum[:])
	if err != nil {
		t.Fatal(err)
	}
	sig := make([]byte, 96)
	r.FillBytes(sig[:48])
	s.FillBytes(sig[48:])
	token := input + "." + jwttest.B64(sig)
	if _, err := jwt.Parse(token, kf); !errors.Is(err, ErrUnknownKey) {
		t.Errorf("ES384 token of a P-256 key through Keyfunc: got %v; want ErrUnknownKey", err)
	}
	if _, err := v.Verify(ctx, token); !errors.Is(err, ErrUnknownKey) {
		t.Errorf("ES384 token of a P-256 key through Verify: got %v; want ErrUnknownKey", err)
	}
}

// H04: through Keyfunc, a token without kid on a set of several keys fails
// as an unknown key, as in Verify; and so does one whose alg the set's only
// key does not serve.
func TestKeyfuncRefusesATokenWithoutKidAsAnUnknownKey(t *testing.T) {
	rs := jwttest.NewKey("RS256", "rs")
	other := jwttest.NewKey("RS256", "other")
	ctx := context.Background()
	claims := map[string]any{"iss": "https://issuer.example", "aud": "api", "exp": time.Now().Add(time.Minute).Unix()}
	noKid := map[string]any{"alg": "RS256"}
	for _, c := range []struct {
		name  string
		keys  []*jwttest.Key
		token string
	}{
		{"several keys", []*jwttest.Key{rs, other}, rs.SignWithHeader(noKid, claims)},
		{"one key of another alg", []*jwttest.Key{rs}, jwttest.NewKeyFrom("PS256", "", rs.Private()).SignWithHeader(map[string]any{"alg": "PS256"}, claims)},
	} {
		v, err := New(ctx, Config{Issuers: []Issuer{{URL: "https://issuer.example", JWKS: jwttest.JWKS(c.keys...)}},
			Audience: []string{"api"}, Algorithms: []string{"RS256", "PS256"}})
		if err != nil {
			t.Fatal(err)
		}
		kf, err := v.Keyfunc(ctx, "https://issuer.example")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := jwt.Parse(c.token, kf); !errors.Is(err, ErrUnknownKey) {
			t.Errorf("%s: got %v; want ErrUnknownKey", c.name, err)
		}
		if _, err := v.Verify(ctx, c.token); !errors.Is(err, ErrUnknownKey) {
			t.Errorf("%s, Verify: got %v; want ErrUnknownKey", c.name, err)
		}
		v.Close()
	}
}
