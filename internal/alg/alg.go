// Package alg is the one table of the JWS algorithms jwtgate knows (RFC 7518
// §3, RFC 8037 §3.1): for each, its name, the JWK key type and curve it
// needs, its hash and the smallest key it may be used with. The verifier's
// header checks, the key sets' alg/key binding and the test kit's signer all
// read it. "none" is deliberately not in it.
package alg

import (
	"crypto"
	"crypto/rsa"
	_ "crypto/sha256" // SHA-256 for the *256 algorithms
	_ "crypto/sha512" // SHA-384 and SHA-512 for the *384 and *512 algorithms

	"github.com/golang-jwt/jwt/v5"
)

// ID names one algorithm of the table. The zero ID, Unknown, is every other
// alg value, "none" included.
type ID uint8

// The algorithms, in the table's order.
const (
	Unknown ID = iota
	RS256
	RS384
	RS512
	PS256
	PS384
	PS512
	ES256
	ES384
	ES512
	EdDSA
	HS256
	HS384
	HS512
	count
)

// Count is one more than the largest ID: arrays indexed by ID have this length.
const Count = int(count)

// Scheme is how an algorithm signs.
type Scheme uint8

// The signature schemes.
const (
	RSAPKCS1v15 Scheme = iota + 1 // RSASSA-PKCS1-v1_5 (RS*)
	RSAPSS                        // RSASSA-PSS, salt length = hash length (PS*)
	ECDSA                         // ECDSA, signature r||s at the field length (ES*)
	Ed25519                       // EdDSA over Ed25519
	HMAC                          // HMAC (HS*)
)

// JWK key types (RFC 7518 §6.1, RFC 8037 §2).
const (
	KeyTypeRSA = "RSA"
	KeyTypeEC  = "EC"
	KeyTypeOKP = "OKP"
	KeyTypeOct = "oct"
)

// Info describes one algorithm.
type Info struct {
	Name    string      // the alg value, compared case-sensitively (RFC 7515 §4.1.1)
	Scheme  Scheme      // how it signs
	KeyType string      // the JWK kty of its keys
	Curve   string      // the JWK crv of its keys (ES*, EdDSA), else ""
	Hash    crypto.Hash // its hash; 0 for EdDSA, which hashes internally
	// MinKeyBits is the smallest key it may be used with: the RSA modulus
	// (RFC 7518 §3.3, §3.5), the curve's field size, or the HMAC secret,
	// which must be at least as long as the hash (RFC 7518 §3.2).
	MinKeyBits int
}

var table = [count]Info{
	RS256: {"RS256", RSAPKCS1v15, KeyTypeRSA, "", crypto.SHA256, 2048},
	RS384: {"RS384", RSAPKCS1v15, KeyTypeRSA, "", crypto.SHA384, 2048},
	RS512: {"RS512", RSAPKCS1v15, KeyTypeRSA, "", crypto.SHA512, 2048},
	PS256: {"PS256", RSAPSS, KeyTypeRSA, "", crypto.SHA256, 2048},
	PS384: {"PS384", RSAPSS, KeyTypeRSA, "", crypto.SHA384, 2048},
	PS512: {"PS512", RSAPSS, KeyTypeRSA, "", crypto.SHA512, 2048},
	ES256: {"ES256", ECDSA, KeyTypeEC, "P-256", crypto.SHA256, 256},
	ES384: {"ES384", ECDSA, KeyTypeEC, "P-384", crypto.SHA384, 384},
	ES512: {"ES512", ECDSA, KeyTypeEC, "P-521", crypto.SHA512, 521},
	EdDSA: {"EdDSA", Ed25519, KeyTypeOKP, "Ed25519", 0, 256},
	HS256: {"HS256", HMAC, KeyTypeOct, "", crypto.SHA256, 256},
	HS384: {"HS384", HMAC, KeyTypeOct, "", crypto.SHA384, 384},
	HS512: {"HS512", HMAC, KeyTypeOct, "", crypto.SHA512, 512},
}

// Info returns the table's row of id; the zero Info for Unknown.
func (id ID) Info() Info {
	if id >= count {
		return Info{}
	}
	return table[id]
}

// String returns the alg value of id, or "" for Unknown.
func (id ID) String() string { return id.Info().Name }

// All returns every ID of the table, in order.
func All() []ID {
	ids := make([]ID, 0, count-1)
	for id := Unknown + 1; id < count; id++ {
		ids = append(ids, id)
	}
	return ids
}

// Lookup returns the ID of an alg value, compared case-sensitively; Unknown
// for anything else ("none" in any case included).
func Lookup(name string) ID {
	for id := Unknown + 1; id < count; id++ {
		if table[id].Name == name {
			return id
		}
	}
	return Unknown
}

// LookupBytes is Lookup for a value still in its buffer; it does not allocate.
func LookupBytes(name []byte) ID {
	for id := Unknown + 1; id < count; id++ {
		if table[id].Name == string(name) {
			return id
		}
	}
	return Unknown
}

// Set is a set of IDs.
type Set uint16

// Has reports whether id is in s.
func (s Set) Has(id ID) bool { return id != Unknown && id < count && s&(1<<id) != 0 }

// With returns s with id added.
func (s Set) With(id ID) Set {
	if id == Unknown || id >= count {
		return s
	}
	return s | 1<<id
}

// ForKey returns the algorithms a key of JWK type kty, curve crv ("" when the
// type has none) and size bits may be used with: those of the same key type
// and curve whose MinKeyBits it meets.
func ForKey(kty, crv string, bits int) Set {
	var s Set
	for id := Unknown + 1; id < count; id++ {
		in := &table[id]
		if in.KeyType == kty && in.Curve == crv && bits >= in.MinKeyBits {
			s = s.With(id)
		}
	}
	return s
}

// SigningMethod returns a golang-jwt method that verifies id, built for the
// caller (golang-jwt's global registry is neither read nor changed), or nil
// for Unknown. PS* verify with salt length = hash length, where golang-jwt's
// registered PS* methods accept any salt length.
func (id ID) SigningMethod() jwt.SigningMethod {
	in := id.Info()
	switch in.Scheme {
	case RSAPKCS1v15:
		return &jwt.SigningMethodRSA{Name: in.Name, Hash: in.Hash}
	case RSAPSS:
		return &jwt.SigningMethodRSAPSS{
			SigningMethodRSA: &jwt.SigningMethodRSA{Name: in.Name, Hash: in.Hash},
			Options:          &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash, Hash: in.Hash},
		}
	case ECDSA:
		return &jwt.SigningMethodECDSA{Name: in.Name, Hash: in.Hash, KeySize: (in.MinKeyBits + 7) / 8, CurveBits: in.MinKeyBits}
	case Ed25519:
		return &jwt.SigningMethodEd25519{}
	case HMAC:
		return &jwt.SigningMethodHMAC{Name: in.Name, Hash: in.Hash}
	}
	return nil
}

// CurveBits returns the field size in bits of a JWK curve the table knows
// ("P-256", "P-384", "P-521", "Ed25519"), or 0 for any other curve.
func CurveBits(crv string) int {
	if crv == "" {
		return 0
	}
	for id := Unknown + 1; id < count; id++ {
		if table[id].Curve == crv {
			return table[id].MinKeyBits
		}
	}
	return 0
}
