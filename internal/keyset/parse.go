package keyset

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/MicahParks/jwkset"

	"github.com/jwtgate/jwtgate/internal/alg"
	"github.com/jwtgate/jwtgate/internal/strictjson"
)

// Limits applied to every JWK, static or remote, besides each algorithm's
// own minimum key size (docs/SECURITY.md A07, A08, A13).
const (
	jwkMaxRSABits = 8192
	jwkMinOctLen  = 32 // HS256's hash length; a shorter secret fits no algorithm
)

// keyEntry is one usable key in a snapshot: the key handed to the verifier,
// the algorithms it may be used with (A05/A06), and its jwkset form for the
// keyfunc storage adapter.
type keyEntry struct {
	key  *Key
	algs alg.Set
	jwk  jwkset.JWK
}

// errEmptyKeySet is returned for a JWK Set document that yields no usable key.
var errEmptyKeySet = errors.New("JWK set holds no usable key")

// weakSecret begins the reason a symmetric key too short for HMAC is dropped
// with: shorter than 32 bytes, or than its alg's hash output. New refuses a
// static set that holds one (docs/SECURITY.md A13) instead of dropping it.
const weakSecret = "symmetric key shorter than "

// droppedKey reports one JWK that was not taken into a set, and why. It
// carries the kid and the reason only, never key material.
type droppedKey struct {
	kid    string
	reason string
}

// parseRules are the rules a JWK Set is parsed by.
type parseRules struct {
	fetched  bool     // a fetched set: no kty "oct" ever
	allowOct bool     // (static sets only) kty "oct" keys of at least 32 bytes are kept
	order    []alg.ID // the allowlist in its order: picks the algorithm of a key without alg (A05)
}

// parseJWKS parses a JWK Set document and keeps every usable verification
// key. Bad members are skipped one by one (K04) and reported through dropped.
// A document that is not a JSON object with a "keys" array, or whose usable
// keys are none, is an error.
func parseJWKS(body []byte, rules parseRules, dropped func(droppedKey)) (map[string]keyEntry, error) {
	// Member names are case-sensitive (RFC 7517 §4) and may not repeat: the
	// set is one object whose "keys" (exactly so) appears once, and each JWK
	// is decoded strictly on its own (parseJWK), so that a JWK with a
	// repeated name ({"use":"enc","use":"sig"}) is dropped alone (K04).
	if !utf8.Valid(body) {
		return nil, errors.New("JWK set is not valid UTF-8")
	}
	ms, err := strictjson.ScanObject(body, nil)
	if err != nil {
		return nil, fmt.Errorf("JWK set is not one JSON object with unique member names: %w", err)
	}
	var members []json.RawMessage
	for i := range ms {
		if string(ms[i].Name(body)) == "keys" {
			if err := json.Unmarshal(body[ms[i].Start:ms[i].End], &members); err != nil {
				return nil, fmt.Errorf("JWK set's keys is not an array: %w", err)
			}
		}
	}
	if len(members) == 0 {
		return nil, fmt.Errorf("%w: no keys", errEmptyKeySet)
	}

	keys := make(map[string]keyEntry, len(members))
	dup := make(map[string]bool)
	for _, raw := range members {
		e, kid, reason := parseJWK(raw, rules)
		if reason != "" {
			dropped(droppedKey{kid: kid, reason: reason})
			continue
		}
		if _, seen := keys[kid]; seen {
			dup[kid] = true
		}
		keys[kid] = e
	}
	// K07: a kid that names two usable keys is ambiguous; both are refused.
	for kid := range dup {
		delete(keys, kid)
		dropped(droppedKey{kid: kid, reason: "duplicate kid: ambiguous, all keys with it refused"})
	}
	if len(keys) == 0 {
		return nil, errEmptyKeySet
	}
	return keys, nil
}

// parseJWK checks one member. It returns the entry, the member's kid (for
// logs) and, when the member is not usable, a reason.
func parseJWK(raw json.RawMessage, rules parseRules) (keyEntry, string, string) {
	var m jwkset.JWKMarshal
	if err := strictjson.Unmarshal(raw, &m); err != nil {
		return keyEntry{}, "", "malformed JWK member"
	}
	kid := m.KID

	if reason := usableForVerify(&m); reason != "" {
		return keyEntry{}, kid, reason
	}
	algs, private, reason := keyAlgs(&m, rules.fetched, rules.allowOct)
	if reason != "" {
		return keyEntry{}, kid, reason
	}

	// A05/A06: a JWK alg binds the key to exactly that algorithm, which must
	// fit the key type. An RSA or oct key without alg serves one algorithm
	// too: the first of the allowlist, in its order, that the key fits. An
	// EC or Ed25519 key serves the one algorithm of its curve.
	jwkAlg := string(m.ALG)
	if m.ALG == "" && (m.KTY == jwkset.KtyEC || m.KTY == jwkset.KtyOKP) {
		// The jwkset form names it, so that keyfunc binds it as well:
		// golang-jwt's ECDSA methods do not check the key's curve, so a P-256
		// key would otherwise verify an ES384 signature of the same key.
		for _, a := range alg.All() {
			if algs.Has(a) {
				m.ALG = jwkset.ALG(a.String())
				break
			}
		}
	}
	if m.ALG == "" && (m.KTY == jwkset.KtyRSA || m.KTY == jwkset.KtyOct) {
		a := firstFit(rules.order, algs)
		if a == alg.Unknown && m.KTY == jwkset.KtyRSA {
			// No RSA algorithm is allowed (every RSA key that is kept fits
			// them all): RS256, which no token may then use.
			a = alg.RS256
		}
		// An oct key no allowed HS algorithm fits serves none (Unknown):
		// New refuses the static set that holds it (checkStaticHMAC), as it
		// does one with a key dropped for a weakSecret reason.
		algs = alg.Set(0).With(a)
		// The jwkset form names it too, so that keyfunc binds it as well.
		m.ALG = jwkset.ALG(a.String())
	}
	if m.ALG != "" {
		a := alg.Lookup(string(m.ALG))
		if !algs.Has(a) {
			if m.KTY == jwkset.KtyOct && a.Info().KeyType == alg.KeyTypeOct {
				return keyEntry{}, kid, fmt.Sprintf("%s%s needs (%d bytes)", weakSecret, a, a.Info().MinKeyBits/8)
			}
			return keyEntry{}, kid, "alg does not fit the key"
		}
		algs = alg.Set(0).With(a)
	}

	// jwkset decodes the key, checks EC points are on the curve, and checks
	// an x5c certificate holds the same key (J22, J23).
	jwk, err := jwkset.NewJWKFromMarshal(m, jwkset.JWKMarshalOptions{Private: private}, jwkset.JWKValidateOptions{})
	if err != nil {
		return keyEntry{}, kid, "invalid key (decoding or validation failed)"
	}
	var pub any
	switch k := jwk.Key().(type) {
	case *rsa.PublicKey:
		pub = k
	case *ecdsa.PublicKey:
		pub = k
	case ed25519.PublicKey:
		pub = k
	case []byte:
		pub = k
	default:
		return keyEntry{}, kid, "unsupported key"
	}
	return keyEntry{
		key:  &Key{kid: kid, alg: jwkAlg, Public: pub},
		algs: algs,
		jwk:  jwk,
	}, kid, ""
}

// firstFit returns the algorithm a key without alg serves (A05): the first of
// order that the key fits (fits, from keyAlgs, holds only algorithms of the
// key's type that its size reaches), or Unknown when none is.
func firstFit(order []alg.ID, fits alg.Set) alg.ID {
	for _, a := range order {
		if fits.Has(a) {
			return a
		}
	}
	return alg.Unknown
}

// usableForVerify returns why m may not verify signatures, or "": it holds
// private material (K05), or its use or key_ops exclude verification (K06).
func usableForVerify(m *jwkset.JWKMarshal) string {
	// K05: private material never belongs in a verification key set.
	if m.D != "" || m.P != "" || m.Q != "" || m.DP != "" || m.DQ != "" || m.QI != "" || len(m.OTH) > 0 {
		return "private key material"
	}
	// K06: only signature keys that may verify.
	if m.USE != "" && m.USE != jwkset.UseSig {
		return "use is not sig"
	}
	if len(m.KEYOPS) > 0 {
		verify := false
		for _, op := range m.KEYOPS {
			if op == jwkset.KeyOpsVerify {
				verify = true
			}
		}
		if !verify {
			return "key_ops does not include verify"
		}
	}
	return ""
}

// keyAlgs checks the key material of m by its type and returns the
// algorithms it may be used with, whether it is a secret (kty "oct"), or why
// it is refused. fetched and allowOct are parseJWK's.
func keyAlgs(m *jwkset.JWKMarshal, fetched, allowOct bool) (algs alg.Set, private bool, reason string) {
	switch m.KTY {
	case jwkset.KtyRSA:
		n, errN := jwkB64(m.N)
		e, errE := jwkB64(m.E)
		if errN != nil || errE != nil || len(n) == 0 || len(e) == 0 {
			return 0, false, "RSA key with bad n or e"
		}
		bits := jwkBitLen(n)
		algs = alg.ForKey(alg.KeyTypeRSA, "", bits)
		if algs == 0 {
			return 0, false, "RSA key shorter than 2048 bits"
		}
		if bits > jwkMaxRSABits {
			return 0, false, "RSA key longer than 8192 bits"
		}
		if len(bytes.TrimLeft(e, "\x00")) > 4 {
			return 0, false, "RSA exponent out of range"
		}
		var ev uint64
		for _, c := range e {
			ev = ev<<8 | uint64(c)
		}
		if ev < 3 || ev%2 == 0 || ev > 1<<31-1 {
			return 0, false, "RSA exponent is not an odd value of at least 3"
		}
		if rocaFingerprint(n) {
			return 0, false, "RSA key has the ROCA fingerprint (CVE-2017-15361)"
		}
	case jwkset.KtyEC:
		bits := alg.CurveBits(string(m.CRV))
		algs = alg.ForKey(alg.KeyTypeEC, string(m.CRV), bits)
		if algs == 0 {
			return 0, false, "EC key on an unsupported curve"
		}
		size := (bits + 7) / 8
		x, errX := jwkB64(m.X)
		y, errY := jwkB64(m.Y)
		if errX != nil || errY != nil || len(x) != size || len(y) != size {
			return 0, false, "EC key coordinates are not of full length"
		}
		// On-curve is checked by jwkset below.
	case jwkset.KtyOKP:
		if algs = alg.ForKey(alg.KeyTypeOKP, string(m.CRV), alg.CurveBits(string(m.CRV))); algs == 0 {
			return 0, false, "OKP key is not Ed25519"
		}
	case jwkset.KtyOct:
		if fetched {
			return 0, false, "symmetric key in a remote key set"
		}
		if !allowOct {
			return 0, false, "symmetric key while no HS algorithm is allowed"
		}
		k, err := jwkB64(m.K)
		if err != nil || len(k) < jwkMinOctLen {
			return 0, false, weakSecret + "32 bytes"
		}
		algs = alg.ForKey(alg.KeyTypeOct, "", len(k)*8)
		private = true
	default:
		return 0, false, "unsupported kty"
	}
	return algs, private, ""
}

// rocaFingerprint reports whether the RSA modulus n (big-endian) has the
// structure of keys from the Infineon library broken by ROCA (CVE-2017-15361,
// docs/SECURITY.md J20): such primes are k·M + (65537^a mod M) for M the product
// of the first primes, so n mod p lies in the subgroup generated by 65537 for
// every small prime p of M. The 38 odd primes up to 167 divide M for every
// affected key size (Nemec et al., CCS 2017). A random modulus passes
// all 38 tests with probability about 4e-9, so a sound key is almost never
// refused (and the refusal is logged).
func rocaFingerprint(n []byte) bool {
	primes := [...]uint32{3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41, 43, 47, 53, 59, 61, 67, 71, 73,
		79, 83, 89, 97, 101, 103, 107, 109, 113, 127, 131, 137, 139, 149, 151, 157, 163, 167}
	for _, p := range primes {
		var r uint32
		for _, b := range n { // n mod p, byte by byte
			r = (r<<8 | uint32(b)) % p
		}
		in := false
		for x, i := uint32(1), uint32(0); i < p; i++ {
			if x == r {
				in = true
				break
			}
			x = x * (65537 % p) % p
		}
		if !in {
			return false
		}
	}
	return true
}

// jwkB64 decodes a base64url JWK member; trailing "=" is tolerated as jwkset does.
func jwkB64(s string) ([]byte, error) {
	return base64.RawURLEncoding.DecodeString(strings.TrimRight(s, "="))
}

// jwkBitLen is the bit length of the big-endian unsigned integer b.
func jwkBitLen(b []byte) int {
	b = bytes.TrimLeft(b, "\x00")
	if len(b) == 0 {
		return 0
	}
	n := (len(b) - 1) * 8
	for c := b[0]; c != 0; c >>= 1 {
		n++
	}
	return n
}

// sameKey reports whether a and b hold the same key material and alg, so a
// refresh can keep the old *Key (and the verifications cached for it).
func sameKey(a, b *Key) bool {
	if a.kid != b.kid || a.alg != b.alg {
		return false
	}
	switch ka := a.Public.(type) {
	case *rsa.PublicKey:
		kb, ok := b.Public.(*rsa.PublicKey)
		return ok && ka.Equal(kb)
	case *ecdsa.PublicKey:
		kb, ok := b.Public.(*ecdsa.PublicKey)
		return ok && ka.Curve == kb.Curve && ka.Equal(kb)
	case ed25519.PublicKey:
		kb, ok := b.Public.(ed25519.PublicKey)
		return ok && ka.Equal(kb)
	case []byte:
		kb, ok := b.Public.([]byte)
		return ok && hmac.Equal(ka, kb)
	}
	return false
}
