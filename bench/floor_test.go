package bench

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"math/big"
	"strings"
	"testing"
)

// rawVerify is the least any verifier must do for one compact JWS: split it,
// base64url-decode the signature, hash the signing input and check the
// signature with the standard library. No header or claims parsing at all.
func rawVerify(alg, token string, pub crypto.PublicKey) error {
	dot := strings.LastIndexByte(token, '.')
	if dot < 0 {
		return errors.New("no signature")
	}
	input, sig64 := token[:dot], token[dot+1:]
	sig, err := base64.RawURLEncoding.DecodeString(sig64)
	if err != nil {
		return err
	}
	switch alg {
	case "RS256":
		h := sha256.Sum256([]byte(input))
		return rsa.VerifyPKCS1v15(pub.(*rsa.PublicKey), crypto.SHA256, h[:], sig)
	case "ES256":
		if len(sig) != 64 {
			return errors.New("bad ES256 signature length")
		}
		h := sha256.Sum256([]byte(input))
		r, s := new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:])
		if !ecdsa.Verify(pub.(*ecdsa.PublicKey), h[:], r, s) {
			return errors.New("bad ES256 signature")
		}
		return nil
	case "EdDSA":
		if !ed25519.Verify(pub.(ed25519.PublicKey), []byte(input), sig) {
			return errors.New("bad EdDSA signature")
		}
		return nil
	case "HS256":
		m := hmac.New(sha256.New, pub.([]byte))
		m.Write([]byte(input))
		if !hmac.Equal(m.Sum(nil), sig) {
			return errors.New("bad HS256 signature")
		}
		return nil
	}
	return errors.New("unknown alg " + alg)
}

// BenchmarkFloor is the raw crypto floor per algorithm: base64 decode +
// hash + the standard library's verify. Every other row is quoted as a
// multiple of the floor of its algorithm.
func BenchmarkFloor(b *testing.B) {
	for _, alg := range []string{"RS256", "ES256", "EdDSA", "HS256"} {
		b.Run(alg, func(b *testing.B) {
			tok, pub := fx.tokens[alg], fx.pubs[alg]
			measure(b, func() error { return rawVerify(alg, tok, pub) })
		})
	}
}
