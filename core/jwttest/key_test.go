package jwttest

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/asn1"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"strings"
	"testing"

	"github.com/MicahParks/jwkset"
	"github.com/golang-jwt/jwt/v5"
)

func parseWith(t *testing.T, tok string, k *Key) (*jwt.Token, error) {
	t.Helper()
	return jwt.Parse(tok, func(*jwt.Token) (any, error) { return k.Public(), nil },
		jwt.WithValidMethods([]string{k.Alg}), jwt.WithExpirationRequired())
}

func TestSignVerifiesWithGolangJWT(t *testing.T) {
	for _, alg := range Algorithms() {
		t.Run(alg, func(t *testing.T) {
			k := NewKey(alg, "kid-"+alg)
			tok := k.Sign(map[string]any{"sub": "alice", "exp": 4102444800})
			parsed, err := parseWith(t, tok, k)
			if err != nil {
				t.Fatalf("golang-jwt rejected %s token: %v", alg, err)
			}
			if got := parsed.Header["kid"]; got != "kid-"+alg {
				t.Errorf("kid got %v; want %v", got, "kid-"+alg)
			}
			if got := parsed.Header["typ"]; got != "JWT" {
				t.Errorf("typ got %v; want JWT", got)
			}
			// A token signed by another key of the same alg must not verify.
			other := NewKey(alg, "other")
			if _, err := parseWith(t, other.Sign(map[string]any{"exp": 4102444800}), k); err == nil {
				t.Errorf("token of another key verified")
			}
		})
	}
}

func TestKeySizes(t *testing.T) {
	cases := []struct {
		alg  string
		size int // RSA modulus bits, EC field bits, HS secret bytes, Ed25519 public bytes
	}{
		{"RS256", 2048}, {"RS384", 2048}, {"RS512", 2048},
		{"PS256", 2048}, {"PS384", 2048}, {"PS512", 2048},
		{"ES256", 256}, {"ES384", 384}, {"ES512", 521},
		{"EdDSA", 32},
		{"HS256", 32}, {"HS384", 48}, {"HS512", 64},
	}
	for _, c := range cases {
		t.Run(c.alg, func(t *testing.T) {
			var got int
			switch p := NewKey(c.alg, "k").Public().(type) {
			case *rsa.PublicKey:
				got = p.N.BitLen()
			case *ecdsa.PublicKey:
				got = p.Curve.Params().BitSize
			case ed25519.PublicKey:
				got = len(p)
			case []byte:
				got = len(p)
			default:
				t.Fatalf("Public() type %T", p)
			}
			if got != c.size {
				t.Errorf("size got %d; want %d", got, c.size)
			}
		})
	}
}

func TestSignatureLengthAndPSSSalt(t *testing.T) {
	for alg, want := range map[string]int{"ES256": 64, "ES384": 96, "ES512": 132, "EdDSA": 64, "RS256": 256} {
		k := NewKey(alg, "")
		if got := len(k.Signature("a.b")); got != want {
			t.Errorf("%s signature length got %d; want %d", alg, got, want)
		}
	}
	// PS256 must verify with the strict salt length (= hash length).
	k := NewKey("PS256", "")
	sig := k.Signature("a.b")
	d := sha256.Sum256([]byte("a.b"))
	if err := rsa.VerifyPSS(k.Public().(*rsa.PublicKey), 5, d[:], sig, &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash}); err != nil {
		t.Errorf("PS256 strict salt verify: %v", err)
	}
}

func TestNewRSAKey(t *testing.T) {
	k := NewRSAKey(1024, "RS256", "small")
	if got := k.Public().(*rsa.PublicKey).N.BitLen(); got != 1024 {
		t.Errorf("bits got %d; want 1024", got)
	}
	if _, err := parseWith(t, k.Sign(map[string]any{"exp": 4102444800}), k); err != nil {
		t.Errorf("1024-bit token: %v", err)
	}
}

func TestNewKeyPanics(t *testing.T) {
	cases := map[string]func(){
		"unknown alg":      func() { NewKey("none", "k") },
		"RSA with ES alg":  func() { NewRSAKey(2048, "ES256", "k") },
		"EC material RS":   func() { NewKeyFrom("RS256", "k", mustEC(t, elliptic.P256())) },
		"HS material Ed":   func() { NewKeyFrom("EdDSA", "k", []byte("x")) },
		"nil material":     func() { NewKeyFrom("HS256", "k", nil) },
		"DER with RSA key": func() { NewKey("RS256", "k").SignDER([]byte("{}"), []byte("{}")) },
	}
	for name, f := range cases {
		t.Run(name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Errorf("no panic")
				}
			}()
			f()
		})
	}
}

func mustEC(t *testing.T, c elliptic.Curve) *ecdsa.PrivateKey {
	t.Helper()
	p, err := ecdsa.GenerateKey(c, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestNewKeyFromMismatchedCurve(t *testing.T) {
	// ES256 alg on a P-384 key: SHA-256 digest, 96-byte signature.
	k := NewKeyFrom("ES256", "k", mustEC(t, elliptic.P384()))
	if got := len(k.Signature("a.b")); got != 96 {
		t.Errorf("signature length got %d; want 96", got)
	}
	if got := k.JWK()["crv"]; got != "P-384" {
		t.Errorf("crv got %v; want P-384", got)
	}
	// A short HS secret is allowed and signs.
	hs := NewKeyFrom("HS256", "k", []byte("short"))
	if _, err := parseWith(t, hs.Sign(map[string]any{"exp": 4102444800}), hs); err != nil {
		t.Errorf("short secret token: %v", err)
	}
}

func TestSignBytesExact(t *testing.T) {
	k := NewKey("ES256", "k1")
	header := []byte(`{"alg":"ES256","alg":"none"}`)
	payload := []byte("{\"sub\":\"\xff\"}")
	tok := k.SignBytes(header, payload)
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		t.Fatalf("segments got %d; want 3", len(parts))
	}
	for i, want := range [][]byte{header, payload} {
		got, err := base64.RawURLEncoding.DecodeString(parts[i])
		if err != nil || string(got) != string(want) {
			t.Errorf("segment %d got %q (%v); want %q", i, got, err, want)
		}
	}
	sig, _ := base64.RawURLEncoding.DecodeString(parts[2])
	d := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	r, s := new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:])
	if !ecdsa.Verify(k.Public().(*ecdsa.PublicKey), d[:], r, s) {
		t.Errorf("SignBytes signature does not verify over the exact bytes")
	}
}

func TestSignWithHeaderKeepsHeader(t *testing.T) {
	k := NewKey("RS256", "k1")
	tok := k.SignWithHeader(map[string]any{"alg": "HS256", "crit": []string{"x"}}, map[string]any{"a": 1})
	seg, _ := base64.RawURLEncoding.DecodeString(strings.Split(tok, ".")[0])
	if got, want := string(seg), `{"alg":"HS256","crit":["x"]}`; got != want {
		t.Errorf("header got %s; want %s", got, want)
	}
}

func TestSignDER(t *testing.T) {
	k := NewKey("ES256", "k")
	tok := k.SignDER([]byte(`{"alg":"ES256"}`), []byte(`{}`))
	parts := strings.Split(tok, ".")
	sig, _ := base64.RawURLEncoding.DecodeString(parts[2])
	var rs struct{ R, S *big.Int }
	if _, err := asn1.Unmarshal(sig, &rs); err != nil {
		t.Fatalf("not DER: %v", err)
	}
	d := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	if !ecdsa.Verify(k.Public().(*ecdsa.PublicKey), d[:], rs.R, rs.S) {
		t.Errorf("DER signature does not verify")
	}
	if _, err := parseWith(t, tok, k); err == nil {
		t.Errorf("golang-jwt accepted a DER signature")
	}
}

func TestUnsigned(t *testing.T) {
	if got, want := Unsigned([]byte(`{"alg":"none"}`), []byte(`{}`)), "eyJhbGciOiJub25lIn0.e30."; got != want {
		t.Errorf("got %s; want %s", got, want)
	}
}

func TestJWKRoundTripJwkset(t *testing.T) {
	for _, alg := range Algorithms() {
		t.Run(alg, func(t *testing.T) {
			k := NewKey(alg, "kid-"+alg)
			raw, err := json.Marshal(k.JWK())
			if err != nil {
				t.Fatal(err)
			}
			j, err := jwkset.NewJWKFromRawJSON(raw, jwkset.JWKMarshalOptions{Private: true}, jwkset.JWKValidateOptions{})
			if err != nil {
				t.Fatalf("jwkset rejected %s: %v", raw, err)
			}
			m := j.Marshal()
			if m.KID != k.Kid || string(m.ALG) != alg || string(m.USE) != "sig" {
				t.Errorf("kid/alg/use got %q/%q/%q", m.KID, m.ALG, m.USE)
			}
			if m.D != "" || m.P != "" {
				t.Errorf("public JWK carries private members")
			}
			switch want := k.Public().(type) {
			case *rsa.PublicKey:
				got, ok := j.Key().(*rsa.PublicKey)
				if !ok || !got.Equal(want) {
					t.Errorf("key got %T; want equal RSA key", j.Key())
				}
			case *ecdsa.PublicKey:
				got, ok := j.Key().(*ecdsa.PublicKey)
				if !ok || !got.Equal(want) {
					t.Errorf("key got %T; want equal EC key", j.Key())
				}
				size := (want.Curve.Params().BitSize + 7) / 8
				for _, c := range []string{"x", "y"} {
					b, _ := base64.RawURLEncoding.DecodeString(k.JWK()[c].(string))
					if len(b) != size {
						t.Errorf("%s length got %d; want %d", c, len(b), size)
					}
				}
			case ed25519.PublicKey:
				got, ok := j.Key().(ed25519.PublicKey)
				if !ok || !got.Equal(want) {
					t.Errorf("key got %T; want equal Ed25519 key", j.Key())
				}
			case []byte:
				got, ok := j.Key().([]byte)
				if !ok || string(got) != string(want) || m.KTY != "oct" {
					t.Errorf("key got %T kty %q; want equal oct secret", j.Key(), m.KTY)
				}
			}
		})
	}
}

func TestPrivateJWKRoundTrip(t *testing.T) {
	for _, alg := range []string{"RS256", "ES384", "EdDSA"} {
		k := NewKey(alg, "p")
		raw, _ := json.Marshal(k.PrivateJWK())
		j, err := jwkset.NewJWKFromRawJSON(raw, jwkset.JWKMarshalOptions{Private: true}, jwkset.JWKValidateOptions{})
		if err != nil {
			t.Errorf("%s: jwkset rejected private JWK: %v", alg, err)
			continue
		}
		type equaler interface {
			Equal(x crypto.PrivateKey) bool
		}
		if e, ok := j.Key().(equaler); !ok || !e.Equal(k.Private()) {
			t.Errorf("%s: private key got %T; want equal to Private()", alg, j.Key())
		}
	}
}

func TestJWKS(t *testing.T) {
	a, b := NewKey("RS256", "a"), NewKey("EdDSA", "")
	var set struct {
		Keys []map[string]any `json:"keys"`
	}
	if err := json.Unmarshal(JWKS(a, b), &set); err != nil {
		t.Fatal(err)
	}
	if len(set.Keys) != 2 || set.Keys[0]["kid"] != "a" {
		t.Fatalf("got %v", set.Keys)
	}
	if _, ok := set.Keys[1]["kid"]; ok {
		t.Errorf("empty kid was written")
	}
	if got := string(JWKS()); got != `{"keys":[]}` {
		t.Errorf("empty set got %s; want {\"keys\":[]}", got)
	}
}
