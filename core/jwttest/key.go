package jwttest

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	_ "crypto/sha256" // SHA-256 for RS256, PS256, ES256, HS256
	_ "crypto/sha512" // SHA-384 and SHA-512 for the *384 and *512 algorithms
	"encoding/asn1"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/big"

	"github.com/jwtgate/jwtgate/internal/alg"
)

// Key is a signing key of one JWS algorithm together with the key ID that
// tokens and the JWK carry. Kid and Alg may be changed between uses (for
// example to sign with one alg and publish another); a Key that is not being
// changed is safe for concurrent use.
type Key struct {
	// Kid is the key ID written into token headers by Sign and into the JWK.
	// If empty, both omit kid.
	Kid string
	// Alg is the JWS algorithm ("RS256", "ES384", "EdDSA", "HS512", …) used
	// to sign, and the alg member of the JWK.
	Alg string

	private any // *rsa.PrivateKey, *ecdsa.PrivateKey, ed25519.PrivateKey or []byte
}

// Algorithms lists every algorithm NewKey accepts, in a stable order.
func Algorithms() []string {
	var names []string
	for _, a := range alg.All() {
		names = append(names, a.String())
	}
	return names
}

// NewKey returns a fresh random key for alg with key ID kid: RSA-2048 for
// RS* and PS*, P-256/P-384/P-521 for ES256/ES384/ES512, Ed25519 for EdDSA,
// and a random secret of the hash length (32, 48 or 64 bytes) for HS*.
// NewKey panics on an unknown alg: it is meant for tests.
func NewKey(name, kid string) *Key {
	var (
		priv any
		err  error
	)
	in := alg.Lookup(name).Info()
	switch in.KeyType {
	case alg.KeyTypeRSA:
		priv, err = rsa.GenerateKey(rand.Reader, in.MinKeyBits)
	case alg.KeyTypeEC:
		priv, err = ecdsa.GenerateKey(curve(in.Curve), rand.Reader)
	case alg.KeyTypeOKP:
		_, priv, err = ed25519.GenerateKey(rand.Reader)
	case alg.KeyTypeOct:
		secret := make([]byte, in.Hash.Size())
		_, err = rand.Read(secret)
		priv = secret
	default:
		panic(fmt.Sprintf("jwttest: NewKey: unsupported alg %q", name))
	}
	if err != nil {
		panic(fmt.Sprintf("jwttest: NewKey(%q): %v", name, err))
	}
	return &Key{Kid: kid, Alg: name, private: priv}
}

// NewRSAKey returns a fresh RSA key of the given size for alg (RS* or PS*).
// Go refuses to generate or use RSA keys under 1024 bits unless
// GODEBUG=rsa1024min=0 is set. NewRSAKey panics on a non-RSA alg or a
// failed generation.
func NewRSAKey(bits int, name, kid string) *Key {
	if alg.Lookup(name).Info().KeyType != alg.KeyTypeRSA {
		panic(fmt.Sprintf("jwttest: NewRSAKey: alg %q is not RS* or PS*", name))
	}
	priv, err := rsa.GenerateKey(rand.Reader, bits)
	if err != nil {
		panic(fmt.Sprintf("jwttest: NewRSAKey(%d): %v", bits, err))
	}
	return &Key{Kid: kid, Alg: name, private: priv}
}

// NewKeyFrom wraps existing key material: *rsa.PrivateKey for RS*/PS*,
// *ecdsa.PrivateKey for ES* (any curve: an ES256 key on P-384 signs with
// SHA-256 and a P-384 sized signature, useful for alg/curve binding tests),
// ed25519.PrivateKey for EdDSA, and []byte for HS* (any length, also short
// secrets or a public key's bytes for algorithm-confusion tests).
// NewKeyFrom panics when the material does not fit the alg's family.
func NewKeyFrom(name, kid string, private any) *Key {
	ok := false
	kty := alg.Lookup(name).Info().KeyType
	switch p := private.(type) {
	case *rsa.PrivateKey:
		ok = kty == alg.KeyTypeRSA
	case *ecdsa.PrivateKey:
		ok = kty == alg.KeyTypeEC
	case ed25519.PrivateKey:
		ok = kty == alg.KeyTypeOKP && len(p) == ed25519.PrivateKeySize
	case []byte:
		ok = kty == alg.KeyTypeOct
	}
	if !ok {
		panic(fmt.Sprintf("jwttest: NewKeyFrom: %T does not fit alg %q", private, name))
	}
	return &Key{Kid: kid, Alg: name, private: private}
}

// Private returns the signing material: *rsa.PrivateKey, *ecdsa.PrivateKey,
// ed25519.PrivateKey, or the []byte secret for HS*.
func (k *Key) Private() any { return k.private }

// Public returns the verification key: *rsa.PublicKey, *ecdsa.PublicKey,
// ed25519.PublicKey, or the []byte secret for HS*. It is what golang-jwt's
// Keyfunc should return for tokens of this key.
func (k *Key) Public() crypto.PublicKey {
	switch p := k.private.(type) {
	case *rsa.PrivateKey:
		return &p.PublicKey
	case *ecdsa.PrivateKey:
		return &p.PublicKey
	case ed25519.PrivateKey:
		return p.Public()
	case []byte:
		return p
	}
	return nil
}

// JWK returns the public JWK of the key (RFC 7517/7518/8037): kty, kid (when
// not empty), alg, use "sig" and the public members, base64url without
// padding, EC coordinates at the full field length. HS* keys give kty "oct"
// with k, which is secret: such a JWK belongs in a static key set only. The
// map is fresh on each call, so tests may edit it to build broken members.
func (k *Key) JWK() map[string]any {
	m := map[string]any{"alg": k.Alg, "use": "sig"}
	if k.Kid != "" {
		m["kid"] = k.Kid
	}
	switch p := k.private.(type) {
	case *rsa.PrivateKey:
		m["kty"] = "RSA"
		m["n"] = B64(p.N.Bytes())
		m["e"] = B64(big.NewInt(int64(p.E)).Bytes())
	case *ecdsa.PrivateKey:
		m["kty"] = "EC"
		m["crv"] = p.Curve.Params().Name
		pt, err := p.PublicKey.Bytes() // 0x04 || X || Y, each at the field length
		if err != nil {
			panic(fmt.Sprintf("jwttest: JWK: %v", err))
		}
		size := (len(pt) - 1) / 2
		m["x"] = B64(pt[1 : 1+size])
		m["y"] = B64(pt[1+size:])
	case ed25519.PrivateKey:
		m["kty"] = "OKP"
		m["crv"] = "Ed25519"
		m["x"] = B64(p.Public().(ed25519.PublicKey))
	case []byte:
		m["kty"] = "oct"
		m["k"] = B64(p)
	}
	return m
}

// PrivateJWK returns JWK with the private members added (RSA d, p, q, dp,
// dq, qi; EC and OKP d), for tests of key sets that must drop private keys.
func (k *Key) PrivateJWK() map[string]any {
	m := k.JWK()
	switch p := k.private.(type) {
	case *rsa.PrivateKey:
		m["d"] = B64(p.D.Bytes())
		if len(p.Primes) == 2 {
			m["p"] = B64(p.Primes[0].Bytes())
			m["q"] = B64(p.Primes[1].Bytes())
			m["dp"] = B64(p.Precomputed.Dp.Bytes())
			m["dq"] = B64(p.Precomputed.Dq.Bytes())
			m["qi"] = B64(p.Precomputed.Qinv.Bytes())
		}
	case *ecdsa.PrivateKey:
		d, err := p.Bytes()
		if err != nil {
			panic(fmt.Sprintf("jwttest: PrivateJWK: %v", err))
		}
		m["d"] = B64(d)
	case ed25519.PrivateKey:
		m["d"] = B64(p.Seed())
	}
	return m
}

// JWKS returns the JSON of a JWK Set holding the public JWK of each key, in
// order: {"keys":[…]}.
func JWKS(keys ...*Key) []byte {
	set := make([]map[string]any, 0, len(keys))
	for _, k := range keys {
		set = append(set, k.JWK())
	}
	b, err := json.Marshal(map[string]any{"keys": set})
	if err != nil {
		panic(fmt.Sprintf("jwttest: JWKS: %v", err))
	}
	return b
}

// Sign returns a compact JWS of claims with the header
// {"alg":k.Alg,"kid":k.Kid,"typ":"JWT"} (kid omitted when empty).
// Claims are encoded with encoding/json. Sign panics when claims cannot be
// encoded.
func (k *Key) Sign(claims map[string]any) string {
	h := map[string]any{"alg": k.Alg, "typ": "JWT"}
	if k.Kid != "" {
		h["kid"] = k.Kid
	}
	return k.SignWithHeader(h, claims)
}

// SignWithHeader returns a compact JWS whose header is exactly header (no
// member added or changed, so the header's alg may lie) and whose payload is
// claims, signed with k.Alg. It panics when either cannot be encoded.
func (k *Key) SignWithHeader(header, claims map[string]any) string {
	return k.SignBytes(mustJSON(header), mustJSON(claims))
}

// SignBytes returns B64(header) + "." + B64(payload) + "." + signature, with
// header and payload taken byte for byte, so tests can sign duplicate
// members, invalid UTF-8, odd whitespace or wrongly typed values.
func (k *Key) SignBytes(header, payload []byte) string {
	in := B64(header) + "." + B64(payload)
	return in + "." + B64(k.Signature(in))
}

// Signature returns the raw JWS signature of signingInput with k.Alg:
// PKCS #1 v1.5 for RS*, PSS with salt length = hash length for PS*, raw
// r||s at the curve's field length for ES*, Ed25519 for EdDSA, HMAC for HS*.
// With it and B64 tests can assemble any token. It panics if signing fails.
func (k *Key) Signature(signingInput string) []byte {
	sig, err := k.sign(signingInput, false)
	if err != nil {
		panic(fmt.Sprintf("jwttest: sign %s: %v", k.Alg, err))
	}
	return sig
}

// SignDER is SignBytes for ES* keys, but with the ECDSA signature in ASN.1
// DER form as X.509 uses it, which JWS forbids (RFC 7518 §3.4). It panics
// for keys that are not ECDSA.
func (k *Key) SignDER(header, payload []byte) string {
	in := B64(header) + "." + B64(payload)
	sig, err := k.sign(in, true)
	if err != nil {
		panic(fmt.Sprintf("jwttest: SignDER %s: %v", k.Alg, err))
	}
	return in + "." + B64(sig)
}

// Unsigned returns B64(header) + "." + B64(payload) + "." — the shape of an
// alg "none" token.
func Unsigned(header, payload []byte) string {
	return B64(header) + "." + B64(payload) + "."
}

// B64 encodes b as base64url without padding, as JWS segments and JWK
// members are encoded.
func B64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

func (k *Key) sign(in string, der bool) ([]byte, error) {
	info := alg.Lookup(k.Alg).Info()
	if info.Scheme == 0 {
		return nil, fmt.Errorf("unsupported alg %q", k.Alg)
	}
	h := info.Hash
	var digest []byte
	if h != 0 {
		d := h.New()
		d.Write([]byte(in))
		digest = d.Sum(nil)
	}
	if der {
		if _, ok := k.private.(*ecdsa.PrivateKey); !ok {
			return nil, fmt.Errorf("DER signatures need an ECDSA key, have %T", k.private)
		}
	}
	switch p := k.private.(type) {
	case *rsa.PrivateKey:
		switch info.Scheme {
		case alg.RSAPKCS1v15:
			return rsa.SignPKCS1v15(rand.Reader, p, h, digest)
		case alg.RSAPSS:
			return rsa.SignPSS(rand.Reader, p, h, digest, &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash})
		}
	case *ecdsa.PrivateKey:
		if info.Scheme != alg.ECDSA {
			break
		}
		r, s, err := ecdsa.Sign(rand.Reader, p, digest)
		if err != nil {
			return nil, err
		}
		if der {
			return asn1.Marshal(struct{ R, S *big.Int }{r, s})
		}
		size := (p.Curve.Params().BitSize + 7) / 8
		out := make([]byte, 2*size)
		r.FillBytes(out[:size])
		s.FillBytes(out[size:])
		return out, nil
	case ed25519.PrivateKey:
		if info.Scheme == alg.Ed25519 {
			return ed25519.Sign(p, []byte(in)), nil
		}
	case []byte:
		if info.Scheme == alg.HMAC {
			m := hmac.New(h.New, p)
			m.Write([]byte(in))
			return m.Sum(nil), nil
		}
	}
	return nil, fmt.Errorf("key %T cannot sign alg %q", k.private, k.Alg)
}

// curve returns the crypto/elliptic curve of a JWK crv name (P-256 for any
// other name).
func curve(crv string) elliptic.Curve {
	switch crv {
	case elliptic.P384().Params().Name:
		return elliptic.P384()
	case elliptic.P521().Params().Name:
		return elliptic.P521()
	}
	return elliptic.P256()
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("jwttest: encode JSON: %v", err))
	}
	return b
}
