package keyset

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"errors"
	"math/big"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jwtgate/jwtgate/internal/alg"
)

// Static key sets and the member filtering shared with remote sets
// (docs/SECURITY.md K04–K07, A05–A09, A13, H04; JWKS rows J07, J08, J17–J23).

func TestKeySetFilter(t *testing.T) {
	good := ksRSAJWK(ksRSAPub("rsaA"), "good")
	rsa1024, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	p256 := ksECPub("p256")
	offCurve := ksECJWK(p256, "off")
	offCurve["y"] = ksB64Int(new(big.Int).Add(p256.Y, big.NewInt(1)), 32)
	short := ksECJWK(p256, "short")
	short["x"] = ksB64(p256.X.Bytes()[:31]) // a coordinate that is not full length
	huge := make([]byte, 1025)
	huge[0] = 0xff
	huge[1024] = 1

	cases := []struct {
		name   string
		member map[string]any
		reason string // "" means the member is kept
	}{
		{"good RSA", good, ""},
		{"good P-256", ksECJWK(p256, "k"), ""},
		{"good P-384", ksECJWK(ksECPub("p384"), "k"), ""},
		{"good P-521", ksECJWK(ksECPub("p521"), "k"), ""},
		{"good Ed25519", ksEdJWK(ksEdPub(), "k"), ""},
		{"RSA without alg or use", ksWith(good, "alg", nil, "use", nil), ""},
		{"key_ops verify", ksWith(good, "key_ops", []string{"verify"}), ""},
		{"J07 bad base64 n", ksWith(good, "n", "***not base64***"), "RSA key with bad n or e"},
		{"J07 n is a number", ksWith(good, "n", 12345), "malformed JWK member"},
		{"J07 member is a string", nil, "malformed JWK member"},
		{"K04 missing e", ksWith(good, "e", nil), "RSA key with bad n or e"},
		{"J08 unknown kty", ksM("kty", "XYZ", "kid", "k"), "unsupported kty"},
		{"J08 secp256k1", ksWith(ksECJWK(p256, "k"), "crv", "secp256k1", "alg", nil), "EC key on an unsupported curve"},
		{"J08 X25519", ksM("kty", "OKP", "kid", "k", "crv", "X25519", "x", ksB64(make([]byte, 32))), "OKP key is not Ed25519"},
		{"J08 Ed448", ksM("kty", "OKP", "kid", "k", "crv", "Ed448", "x", ksB64(make([]byte, 57))), "OKP key is not Ed25519"},
		{"J17 RSA private d", ksWith(good, "d", ksB64(ksRSA("rsaA").D.Bytes())), "private key material"},
		{"J17 RSA private p q", ksWith(good, "p", "AQAB", "q", "AQAB"), "private key material"},
		{"J17 EC private d", ksWith(ksECJWK(p256, "k"), "d", ksB64Int(ksEC("p256").D, 32)), "private key material"},
		{"J17 RSA oth", ksWith(good, "oth", []map[string]string{{"r": "AQAB"}}), "private key material"},
		{"J18 oct in remote set", ksM("kty", "oct", "kid", "k", "k", ksB64(make([]byte, 32))), "symmetric key in a remote key set"},
		{"J19 use enc", ksWith(good, "use", "enc"), "use is not sig"},
		{"J19 key_ops encrypt", ksWith(good, "key_ops", []string{"encrypt"}), "key_ops does not include verify"},
		{"J19 key_ops sign only", ksWith(good, "key_ops", []string{"sign"}), "key_ops does not include verify"},
		{"J20 RSA-1024", ksRSAJWK(&rsa1024.PublicKey, "k"), "RSA key shorter than 2048 bits"},
		{"J20 e=1", ksWith(good, "e", "AQ"), "RSA exponent is not an odd value of at least 3"},
		{"J20 e=2", ksWith(good, "e", "Ag"), "RSA exponent is not an odd value of at least 3"},
		{"J20 e=65536", ksWith(good, "e", "AQAA"), "RSA exponent is not an odd value of at least 3"},
		{"J20 e of 9 bytes", ksWith(good, "e", ksB64([]byte{1, 0, 0, 0, 0, 0, 0, 0, 1})), "RSA exponent out of range"},
		{"A08 modulus over 8192 bits", ksWith(good, "n", ksB64(huge)), "RSA key longer than 8192 bits"},
		{"J20 ROCA fingerprint", ksWith(good, "n", ksB64(ksROCAModulus(2048))), "RSA key has the ROCA fingerprint (CVE-2017-15361)"},
		{"J22 EC point not on curve", offCurve, "invalid key (decoding or validation failed)"},
		{"J22 EC coordinate not full length", short, "EC key coordinates are not of full length"},
		{"J22 wrong curve name", ksWith(ksECJWK(p256, "k"), "crv", "P-384", "alg", nil), "EC key coordinates are not of full length"},
		{"J22 wrong kty", ksWith(ksECJWK(p256, "k"), "kty", "RSA", "alg", nil), "RSA key with bad n or e"},
		{"A05 alg does not fit kty", ksWith(good, "alg", "ES256"), "alg does not fit the key"},
		{"A05 alg does not fit curve", ksWith(ksECJWK(p256, "k"), "alg", "ES384"), "alg does not fit the key"},
		{"A05 encryption alg", ksWith(good, "alg", "RSA-OAEP", "use", nil), "alg does not fit the key"},
		{"A02 alg none", ksWith(good, "alg", "none"), "alg does not fit the key"},
		{"unknown key_ops value", ksWith(good, "key_ops", []string{"verify", "frobnicate"}), "invalid key (decoding or validation failed)"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var raw []byte
			if c.member == nil {
				raw = []byte(`{"keys":["just a string"]}`)
			} else {
				raw = ksSet(c.member)
			}
			var dropped []droppedKey
			keys, err := parseJWKS(raw, parseRules{fetched: true}, func(d droppedKey) { dropped = append(dropped, d) })
			if c.reason == "" {
				if err != nil || len(keys) != 1 || len(dropped) != 0 {
					t.Fatalf("got keys %d, err %v, dropped %v; want the member kept", len(keys), err, dropped)
				}
				return
			}
			if !errors.Is(err, errEmptyKeySet) {
				t.Errorf("got err %v; want errEmptyKeySet", err)
			}
			if len(dropped) != 1 || dropped[0].reason != c.reason {
				t.Errorf("got dropped %v; want one with reason %q", dropped, c.reason)
			}
		})
	}
}

// J07, K04: one bad member next to a good one: the good one stays.
func TestKeepsGoodMembersNextToBadOnes(t *testing.T) {
	var log ksLog
	jwks := ksSet(ksWith(ksRSAJWK(ksRSAPub("rsaB"), "bad"), "n", "!!"), ksRSAJWK(ksRSAPub("rsaA"), "good"))
	ks, err := ksStatic(t, jwks, ksOpts(&log))
	if err != nil {
		t.Fatalf("got %v; want the good key loaded", err)
	}
	if vk := ksMustKey(t, ks, "good", "RS256"); !vk.Public.(*rsa.PublicKey).Equal(ksRSAPub("rsaA")) {
		t.Errorf("got another key; want rsaA")
	}
	ksWantErr(t, ks, "bad", "RS256", ErrUnknownKey)
	out := log.String()
	if !strings.Contains(out, "kid=bad") || !strings.Contains(out, "issuer=https://issuer.test") {
		t.Errorf("log %q; want the dropped kid and the issuer", out)
	}
}

// J21, K07: a duplicate kid is ambiguous; every key with it is refused.
func TestRefusesEveryKeyOfADuplicateKid(t *testing.T) {
	var log ksLog
	jwks := ksSet(ksRSAJWK(ksRSAPub("rsaA"), "dup"), ksRSAJWK(ksRSAPub("rsaB"), "dup"), ksRSAJWK(ksRSAPub("rsaC"), "other"))
	ks, err := ksStatic(t, jwks, ksOpts(&log))
	if err != nil {
		t.Fatal(err)
	}
	ksWantErr(t, ks, "dup", "RS256", ErrUnknownKey)
	ksMustKey(t, ks, "other", "RS256")
	if !strings.Contains(log.String(), "duplicate kid") {
		t.Errorf("log %q; want the duplicate reported", log.String())
	}
	// Only duplicates: nothing usable.
	if _, err := ksStatic(t, ksSet(ksRSAJWK(ksRSAPub("rsaA"), "dup"), ksRSAJWK(ksRSAPub("rsaA"), "dup")), ksOpts(nil)); !errors.Is(err, errEmptyKeySet) {
		t.Errorf("got %v; want errEmptyKeySet", err)
	}
	// A duplicate that is not usable anyway (use enc) does not make the kid ambiguous.
	ks2, err := ksStatic(t, ksSet(ksWith(ksRSAJWK(ksRSAPub("rsaB"), "k"), "use", "enc", "alg", nil), ksRSAJWK(ksRSAPub("rsaA"), "k")), ksOpts(nil))
	if err != nil {
		t.Fatal(err)
	}
	if vk := ksMustKey(t, ks2, "k", "RS256"); !vk.Public.(*rsa.PublicKey).Equal(ksRSAPub("rsaA")) {
		t.Errorf("got the enc key; want the sig key")
	}
}

// J17: private material is dropped, reported, and never logged.
func TestDropsPrivateKeysWithoutLoggingThem(t *testing.T) {
	var log ksLog
	d := ksB64(ksRSA("rsaA").D.Bytes())
	jwks := ksSet(ksWith(ksRSAJWK(ksRSAPub("rsaA"), "priv"), "d", d), ksRSAJWK(ksRSAPub("rsaB"), "pub"))
	ks, err := ksStatic(t, jwks, ksOpts(&log))
	if err != nil {
		t.Fatal(err)
	}
	ksWantErr(t, ks, "priv", "RS256", ErrUnknownKey)
	out := log.String()
	if !strings.Contains(out, "private key material") || !strings.Contains(out, "kid=priv") {
		t.Errorf("log %q; want the private key reported", out)
	}
	if strings.Contains(out, d[:16]) || strings.Contains(out, ksB64(ksRSAPub("rsaB").N.Bytes())[:16]) {
		t.Errorf("log holds key material: %q", out)
	}
}

// J18, A13: kty oct only in static sets, only when HS* is allowed, only with
// at least 32 bytes, and usable only with the HS algorithm its alg names or,
// without one, the first allowed HS algorithm its length reaches (A05).
func TestKeepsOctKeysOnlyInStaticSetsForHS(t *testing.T) {
	k32 := ksM("kty", "oct", "kid", "h32", "k", ksB64(make32(32)))
	k64 := ksM("kty", "oct", "kid", "h64", "k", ksB64(make32(64)))
	k16 := ksM("kty", "oct", "kid", "h16", "k", ksB64(make32(16)))
	rsaKey := ksRSAJWK(ksRSAPub("rsaA"), "rsa")

	// HS not allowed: oct dropped, the RSA key stays.
	ks, err := ksStatic(t, ksSet(k32, rsaKey), ksOpts(nil))
	if err != nil {
		t.Fatal(err)
	}
	ksWantErr(t, ks, "h32", "HS256", ErrUnknownKey)
	// HS not allowed and only oct keys: configuration error.
	if _, err := ksStatic(t, ksSet(k32), ksOpts(nil)); !errors.Is(err, errEmptyKeySet) {
		t.Errorf("got %v; want errEmptyKeySet", err)
	}

	o := ksOpts(nil)
	o.Algorithms = alg.Set(0).With(alg.HS256).With(alg.HS512)
	o.Order = []alg.ID{alg.HS512, alg.HS256}
	ks, err = ksStatic(t, ksSet(k32, k64, ksWith(k64, "kid", "h64-384", "alg", "HS384")), o)
	if err != nil {
		t.Fatal(err)
	}
	if vk := ksMustKey(t, ks, "h32", "HS256"); len(vk.Public.([]byte)) != 32 {
		t.Errorf("got %d bytes; want 32", len(vk.Public.([]byte)))
	}
	ksWantErr(t, ks, "h32", "HS384", ErrUnknownKey) // 32 bytes are too short for HS384
	ksWantErr(t, ks, "h32", "RS256", ErrUnknownKey) // never for an asymmetric alg
	ksMustKey(t, ks, "h64", "HS512")
	ksWantErr(t, ks, "h64", "HS256", ErrUnknownKey) // HS512 comes first in Order
	ksMustKey(t, ks, "h64-384", "HS384")
	ksWantErr(t, ks, "h64-384", "HS512", ErrUnknownKey) // JWK alg binds the key

	// A13: a static oct key without alg that no allowed HS algorithm fits is
	// a configuration error; a key bound by its alg to HS256 is not, though
	// HS384 is allowed.
	o = ksOpts(nil)
	o.Algorithms = alg.Set(0).With(alg.HS384).With(alg.HS512)
	if _, err := ksStatic(t, ksSet(k64, k32), o); err == nil ||
		!strings.Contains(err.Error(), `"h32" has no alg`) || !strings.Contains(err.Error(), "HS384 needs 48") {
		t.Errorf("32-byte key without alg, HS384 and HS512 allowed: got %v; want a configuration error", err)
	}
	if _, err := ksStatic(t, ksSet(k64, ksWith(k32, "alg", "HS256")), o); err != nil {
		t.Errorf("32-byte key bound to HS256, HS384 allowed: got %v; want it accepted", err)
	}
	// A13: a static secret too short for HMAC at all, or for the alg it
	// names, is a configuration error, not a key quietly dropped, even when
	// the set holds other usable keys.
	o = ksOpts(nil)
	o.Algorithms = alg.Set(0).With(alg.HS256).With(alg.HS512)
	for name, c := range map[string]struct {
		jwk  map[string]any
		want string
	}{
		"16 bytes, no alg": {k16, `key "h16": symmetric key shorter than 32 bytes`},
		"16 bytes, HS256":  {ksWith(k16, "alg", "HS256"), `key "h16": symmetric key shorter than 32 bytes`},
		"32 bytes, HS512":  {ksWith(k32, "alg", "HS512"), `key "h32": symmetric key shorter than HS512 needs (64 bytes)`},
		"48 bytes, HS512":  {ksM("kty", "oct", "kid", "h48", "alg", "HS512", "k", ksB64(make32(48))), `key "h48": symmetric key shorter than HS512 needs (64 bytes)`},
	} {
		if _, err := ksStatic(t, ksSet(k64, c.jwk), o); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got %v; want a configuration error naming %q", name, err, c.want)
		}
	}

	// Remote sets never hold oct keys, whatever the allowlist says.
	keys, err := parseJWKS(ksSet(k32), parseRules{fetched: true, allowOct: true, order: []alg.ID{alg.HS256}}, func(droppedKey) {})
	if keys != nil || !errors.Is(err, errEmptyKeySet) {
		t.Errorf("got %v, %v; want the oct key dropped from a remote set", keys, err)
	}
}

func make32(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i + 1)
	}
	return b
}

// J23: an x5c certificate must hold the JWK's key.
func TestX5CMustHoldTheJWKKey(t *testing.T) {
	cert := func(signer *ecdsa.PrivateKey, pub any) string {
		tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "jwks"},
			NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, pub, signer)
		if err != nil {
			t.Fatal(err)
		}
		return base64.StdEncoding.EncodeToString(der)
	}
	k := ksEC("p256")
	other, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	match := ksWith(ksECJWK(&k.PublicKey, "match"), "x5c", []string{cert(k, &k.PublicKey)})
	mismatch := ksWith(ksECJWK(&k.PublicKey, "mismatch"), "x5c", []string{cert(other, &other.PublicKey)})
	garbage := ksWith(ksECJWK(&k.PublicKey, "garbage"), "x5c", []string{"bm90IGEgY2VydA=="})
	ks, err := ksStatic(t, ksSet(match, mismatch, garbage), ksOpts(nil))
	if err != nil {
		t.Fatal(err)
	}
	ksMustKey(t, ks, "match", "ES256")
	ksWantErr(t, ks, "mismatch", "ES256", ErrUnknownKey)
	ksWantErr(t, ks, "garbage", "ES256", ErrUnknownKey)
}

// A05/A06: the token alg must fit the key; a JWK alg binds it to one alg.
func TestKeySetAlgBinding(t *testing.T) {
	jwks := ksSet(
		ksWith(ksRSAJWK(ksRSAPub("rsaA"), "rsa-any"), "alg", nil),
		ksWith(ksRSAJWK(ksRSAPub("rsaB"), "rsa-ps"), "alg", "PS256"),
		ksWith(ksECJWK(ksECPub("p384"), "ec384"), "alg", nil),
		ksWith(ksEdJWK(ksEdPub(), "ed"), "alg", nil),
	)
	ks, err := ksStatic(t, jwks, ksOpts(nil))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		kid, alg string
		ok       bool
	}{
		{"rsa-any", "RS256", true}, {"rsa-any", "PS256", false}, {"rsa-any", "PS512", false}, {"rsa-any", "RS384", false},
		{"rsa-any", "ES256", false}, {"rsa-any", "HS256", false},
		{"rsa-ps", "PS256", true}, {"rsa-ps", "RS256", false},
		{"ec384", "ES384", true}, {"ec384", "ES256", false}, {"ec384", "ES512", false},
		{"ed", "EdDSA", true}, {"ed", "ES256", false},
		{"rsa-any", "none", false}, {"rsa-any", "", false},
	} {
		k, err := ks.Key(t.Context(), c.kid, alg.Lookup(c.alg))
		if c.ok != (err == nil) || (!c.ok && !errors.Is(err, ErrUnknownKey)) {
			t.Errorf("Key(%q, %q) = %v, %v; want ok=%v", c.kid, c.alg, k, err, c.ok)
		}
	}
}

// A05: an RSA or oct JWK without alg serves exactly one algorithm, the first
// of Order (Algorithms in the table's order when empty) that the key fits,
// and an EC or Ed25519 JWK the algorithm of its curve, in the set and in the
// JWK that Keyfunc hands to golang-jwt.
func TestKeyWithoutAlgServesTheFirstAlgorithmItFits(t *testing.T) {
	rsaKey := ksWith(ksRSAJWK(ksRSAPub("rsaA"), "k"), "alg", nil)
	oct := func(n int) map[string]any { return ksM("kty", "oct", "kid", "k", "k", ksB64(make32(n))) }
	hs := alg.Set(0).With(alg.HS256).With(alg.HS384).With(alg.HS512)
	for _, c := range []struct {
		name      string
		jwk       map[string]any
		allowed   alg.Set
		order     []alg.ID
		ok, notOK string
	}{
		{"RSA, no Order", rsaKey, 0, nil, "RS256", "PS256"},
		{"RSA, RS256 first", rsaKey, 0, []alg.ID{alg.ES256, alg.RS256, alg.PS256}, "RS256", "PS256"},
		{"RSA, PS256 first", rsaKey, 0, []alg.ID{alg.PS256, alg.RS256}, "PS256", "RS256"},
		{"RSA, RS512 first", rsaKey, 0, []alg.ID{alg.RS512, alg.RS256}, "RS512", "RS256"},
		{"RSA, no RSA algorithm", rsaKey, 0, []alg.ID{alg.ES256}, "RS256", "PS256"},
		{"oct 64, table order", oct(64), hs, nil, "HS256", "HS512"},
		{"oct 64, HS512 first", oct(64), hs, []alg.ID{alg.HS512, alg.HS256}, "HS512", "HS256"},
		{"oct 64, HS256 first", oct(64), hs, []alg.ID{alg.HS256, alg.HS512}, "HS256", "HS512"},
		{"oct 64, HS384 after an RSA one", oct(64), hs, []alg.ID{alg.RS256, alg.HS384, alg.HS256}, "HS384", "HS256"},
		{"oct 32, HS512 first", oct(32), hs, []alg.ID{alg.HS512, alg.HS256}, "HS256", "HS512"},
		{"oct 48, HS512 first", oct(48), hs, []alg.ID{alg.HS512, alg.HS384, alg.HS256}, "HS384", "HS256"},
		{"EC P-384", ksWith(ksECJWK(ksECPub("p384"), "k"), "alg", nil), 0, nil, "ES384", "ES256"},
		{"Ed25519", ksWith(ksEdJWK(ksEdPub(), "k"), "alg", nil), 0, nil, "EdDSA", "ES256"},
	} {
		o := ksOpts(nil)
		o.Algorithms, o.Order = c.allowed, c.order
		ks, err := ksStatic(t, ksSet(c.jwk), o)
		if err != nil {
			t.Errorf("%s: got %v; want the set", c.name, err)
			continue
		}
		ksMustKey(t, ks, "k", c.ok)
		ksWantErr(t, ks, "k", c.notOK, ErrUnknownKey)
		jwk, err := keySetStorage{ks: ks}.KeyRead(t.Context(), "k")
		if err != nil {
			t.Fatal(err)
		}
		if got := string(jwk.Marshal().ALG); got != c.ok {
			t.Errorf("%s: keyfunc JWK alg: got %q; want %q", c.name, got, c.ok)
		}
	}
}

// H04/F11: a token without kid may use the set only when it holds one key.
func TestRequiresKidWhenTheSetHoldsSeveralKeys(t *testing.T) {
	one, err := ksStatic(t, ksSet(ksRSAJWK(ksRSAPub("rsaA"), "a")), ksOpts(nil))
	if err != nil {
		t.Fatal(err)
	}
	ksMustKey(t, one, "", "RS256")
	two, err := ksStatic(t, ksSet(ksRSAJWK(ksRSAPub("rsaA"), "a"), ksRSAJWK(ksRSAPub("rsaB"), "b")), ksOpts(nil))
	if err != nil {
		t.Fatal(err)
	}
	ksWantErr(t, two, "", "RS256", ErrUnknownKey)
	// A JWK without kid is found by a token without kid when it is alone.
	nokid, err := ksStatic(t, ksSet(ksWith(ksRSAJWK(ksRSAPub("rsaA"), ""), "kid", nil)), ksOpts(nil))
	if err != nil {
		t.Fatal(err)
	}
	ksMustKey(t, nokid, "", "RS256")
	ksWantErr(t, nokid, "x", "RS256", ErrUnknownKey)
}

// J09: an empty set, a set without "keys", or not a set is a configuration error.
func TestRefusesAStaticSetWithoutUsableKeys(t *testing.T) {
	for _, body := range []string{`{"keys":[]}`, `{}`, `null`, `[]`, `{"keys":null}`, `{"keys":[{}]}`, `{"keys":[]} x`} {
		if _, err := ksStatic(t, []byte(body), ksOpts(nil)); err == nil {
			t.Errorf("static JWKS %q: got nil error; want a configuration error", body)
		}
	}
}

// A static set answers unknown kids at once, never as "unavailable".
func TestStaticUnknownKid(t *testing.T) {
	ks, err := ksStatic(t, ksSet(ksRSAJWK(ksRSAPub("rsaA"), "a")), ksOpts(nil))
	if err != nil {
		t.Fatal(err)
	}
	if !ks.Ready() {
		t.Errorf("ready() = false; want true for a static set")
	}
	_, err = ks.Key(t.Context(), "nope", alg.RS256)
	if !errors.Is(err, ErrUnknownKey) || errors.Is(err, ErrUnavailable) {
		t.Errorf("got %v; want ErrUnknownKey", err)
	}
	ks.Close() // no-op, must not block
}

func TestKeySetHelpers(t *testing.T) {
	if got := jwkBitLen([]byte{0, 0x01, 0}); got != 9 {
		t.Errorf("jwkBitLen = %d; want 9", got)
	}
	for _, c := range []struct {
		v    []string
		want time.Duration
	}{
		{nil, -1}, {[]string{"no-store"}, -1}, {[]string{"public, max-age=300"}, 300 * time.Second},
		{[]string{"public", "Max-Age=60"}, time.Minute}, {[]string{"max-age=x"}, -1}, {[]string{"max-age=0"}, 0},
	} {
		if got := parseMaxAge(c.v); got != c.want {
			t.Errorf("parseMaxAge(%q) = %v; want %v", c.v, got, c.want)
		}
	}
}

// The defaults are the documented ones (K02, K08, K10).
func TestKeySetDefaults(t *testing.T) {
	var o Config
	o.defaults()
	for _, c := range []struct {
		name      string
		got, want time.Duration
	}{
		{"fetch timeout (K02)", o.FetchTimeout, 5 * time.Second},
		{"refresh interval (K10)", o.RefreshInterval, 15 * time.Minute},
		{"max-age low clamp", o.minMaxAge, time.Minute},
		{"max-age high clamp", o.maxMaxAge, time.Hour},
		{"unknown-kid min interval (K08)", o.MinRefreshInterval, 30 * time.Second},
		{"request wait bound (K08, J02)", o.RequestWait, 2 * time.Second},
		{"first backoff", o.retryMin, time.Second},
		{"backoff cap", o.retryMax, time.Minute},
	} {
		if c.got != c.want {
			t.Errorf("%s: got %v; want %v", c.name, c.got, c.want)
		}
	}
	if o.maxBody != 1<<20 {
		t.Errorf("body cap: got %d; want 1 MiB", o.maxBody)
	}
	if o.Logger == nil {
		t.Errorf("Logger: got nil; want slog.Default()")
	}
	c, own := fetchClient(nil, o.FetchTimeout)
	if c == http.DefaultClient || own == nil || c.Transport != own || c.CheckRedirect == nil {
		t.Errorf("default client: want a client and Transport of jwtgate's own, refusing redirects")
	}
}

// ksROCAModulus builds a 2048-bit number with the ROCA fingerprint:
// 65537^c mod M plus a multiple of M, M the product of the odd primes to 167.
func ksROCAModulus(bits int) []byte {
	m := big.NewInt(1)
	for _, p := range []int64{3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41, 43, 47, 53, 59, 61, 67, 71, 73,
		79, 83, 89, 97, 101, 103, 107, 109, 113, 127, 131, 137, 139, 149, 151, 157, 163, 167} {
		m.Mul(m, big.NewInt(p))
	}
	r := new(big.Int).Exp(big.NewInt(65537), big.NewInt(123457), m)
	t := new(big.Int).Lsh(big.NewInt(1), uint(bits-1))
	t.Div(t, m)
	t.Add(t, big.NewInt(12345))
	n := new(big.Int).Add(r, t.Mul(t, m))
	if n.Bit(0) == 0 {
		n.Add(n, m) // m is odd: keeps the residues, makes n odd
	}
	return n.Bytes()
}

// J20: the ROCA test refuses fingerprinted moduli and passes sound keys.
func TestDetectsTheROCAFingerprint(t *testing.T) {
	n := ksROCAModulus(2048)
	if got := jwkBitLen(n); got != 2048 {
		t.Fatalf("test modulus has %d bits; want 2048", got)
	}
	if !rocaFingerprint(n) {
		t.Errorf("rocaFingerprint(fingerprinted) = false; want true")
	}
	for _, name := range []string{"rsaA", "rsaB", "rsaC"} {
		if rocaFingerprint(ksRSAPub(name).N.Bytes()) {
			t.Errorf("rocaFingerprint(%s) = true; want false for a sound key", name)
		}
	}
}

// K02, K08, K10: the defaults New fills in lie within the bounds that
// CheckTiming enforces, and an error starts with the field's name.
func TestCheckTimingAcceptsTheDefaults(t *testing.T) {
	var c Config
	c.defaults()
	tuned := Config{FetchTimeout: c.FetchTimeout, RefreshInterval: c.RefreshInterval,
		MinRefreshInterval: c.MinRefreshInterval, RequestWait: c.RequestWait}
	if err := tuned.CheckTiming(); err != nil {
		t.Errorf("got %v for the defaults %+v; want nil", err, tuned)
	}
	if err := (Config{}).CheckTiming(); err != nil {
		t.Errorf("got %v for the zero Config; want nil", err)
	}
	err := Config{RequestWait: c.FetchTimeout + time.Millisecond}.CheckTiming()
	if err == nil || !strings.HasPrefix(err.Error(), "RequestWait ") {
		t.Errorf("got %v; want an error starting with RequestWait", err)
	}
}

// K04, J17: a JWK Set's member names are case-sensitive and may not repeat
// (RFC 7517 §4). "KEYS" is not "keys"; a JWK whose "USE" says sig beside a
// "use" of enc is an encryption key, dropped; a name given twice in one JWK
// drops that member, the others load.
func TestJWKSetNamesAreCaseSensitiveAndUnique(t *testing.T) {
	good := ksRSAJWK(ksRSAPub("rsaA"), "good")
	goodJSON, err := json.Marshal(good)
	if err != nil {
		t.Fatal(err)
	}
	ecNoUse := ksECJWK(ksECPub("p256"), "ec")
	delete(ecNoUse, "use")
	ecJSON, err := json.Marshal(ecNoUse)
	if err != nil {
		t.Fatal(err)
	}
	ec := string(ecJSON)
	for _, c := range []struct {
		name    string
		body    string
		wantErr bool     // the whole set refused
		kept    []string // otherwise, the kids that load
	}{
		{"KEYS in capitals", `{"KEYS":[` + string(goodJSON) + `]}`, true, nil},
		{"keys twice", `{"keys":[` + string(goodJSON) + `],"keys":[` + ec + `]}`, true, nil},
		{"trailing data", `{"keys":[` + string(goodJSON) + `]} {}`, true, nil},
		{"the EC key alone", `{"keys":[` + string(goodJSON) + `,` + ec + `]}`, false, []string{"ec", "good"}},
		{"USE beside use", `{"keys":[` + string(goodJSON) + `,` + ec[:len(ec)-1] + `,"use":"enc","USE":"sig"}]}`, false, []string{"good"}},
		{"use twice", `{"keys":[` + string(goodJSON) + `,` + ec[:len(ec)-1] + `,"use":"sig","use":"sig"}]}`, false, []string{"good"}},
		{"kid twice in one JWK", `{"keys":[` + string(goodJSON) + `,` + ec[:len(ec)-1] + `,"kid":"ec2"}]}`, false, []string{"good"}},
		{"KTY in capitals only", `{"keys":[` + string(goodJSON) + `,{"KTY":"EC","kid":"x"}]}`, false, []string{"good"}},
	} {
		keys, err := parseJWKS([]byte(c.body), parseRules{}, func(droppedKey) {})
		if c.wantErr {
			if err == nil {
				t.Errorf("%s: got %d keys; want the set refused", c.name, len(keys))
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: got %v; want the set loaded", c.name, err)
			continue
		}
		var got []string
		for kid := range keys {
			got = append(got, kid)
		}
		slices.Sort(got)
		if !slices.Equal(got, c.kept) {
			t.Errorf("%s: got kids %v; want %v", c.name, got, c.kept)
		}
	}
}
