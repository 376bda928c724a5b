package core

// This file splits a compact JWS (RFC 7515 §7.1) and reads its header
// (RFC 7515 §4): the shape of the token, and the algorithm and key it names.

import (
	"bytes"
	"unicode/utf8"

	"github.com/golang-jwt/jwt/v5"

	"github.com/jwtgate/jwtgate/internal/alg"
	"github.com/jwtgate/jwtgate/internal/strictjson"
)

const (
	// maxTokenLen caps the raw token before anything else is done (S05, F14).
	maxTokenLen = 8 << 10
	// maxKidLen caps the kid header parameter (H03).
	maxKidLen = 256
)

// b64urlLo and b64urlHi hold the base64url alphabet [A-Za-z0-9_-] as a
// 128-bit set (bit c of Lo for c < 64, bit c-64 of Hi for c < 128).
const (
	b64urlLo uint64 = 0x03ff200000000000 // '-' (45), '0'-'9' (48-57)
	b64urlHi uint64 = 0x07fffffe87fffffe // 'A'-'Z' (65-90), '_' (95), 'a'-'z' (97-122), as bit c-64
)

// splitToken checks the compact serialization: exactly three non-empty
// segments of base64url characters (S01, S02, S04; F2). It returns the
// positions of the two dots.
func splitToken(token string) (d1, d2 int, err error) {
	d1, d2, why := compactDots(token)
	if why != "" {
		return 0, 0, tokenErr(ErrInvalidToken, jwt.ErrTokenMalformed, why)
	}
	return d1, d2, nil
}

// compactDots is splitToken without the error value: the positions of the
// two dots of a token in the compact serialization, or why it is not one.
// It does not allocate.
func compactDots(token string) (d1, d2 int, why string) {
	d1, d2 = -1, -1
	for i := 0; i < len(token); i++ {
		c := token[i]
		switch {
		case c < 64:
			if b64urlLo&(1<<c) != 0 {
				continue
			}
		case c < 128:
			if b64urlHi&(1<<(c-64)) != 0 {
				continue
			}
		}
		if c != '.' {
			return 0, 0, "character outside the base64url alphabet"
		}
		switch {
		case d1 < 0:
			d1 = i
		case d2 < 0:
			d2 = i
		default:
			return 0, 0, "not three segments"
		}
	}
	switch {
	case d2 < 0:
		return 0, 0, "not three segments"
	case d2 == len(token)-1:
		return 0, 0, "empty signature"
	case d1 == 0 || d2 == d1+1:
		return 0, 0, "empty segment"
	}
	return d1, d2, ""
}

// header is what the verifier takes from a JWS header.
type header struct {
	alg alg.ID
	kid string
}

// parseHeader decodes the JWS header strictly (S06–S09, H01–H07) and checks
// alg against the allowlist (A01, A02, A04).
func (v *Verifier) parseHeader(h []byte) (header, error) {
	var out header
	if !utf8.Valid(h) {
		return out, tokenErr(ErrInvalidToken, jwt.ErrTokenMalformed, "header is not valid UTF-8")
	}
	var buf [12]strictjson.Member
	ms, err := strictjson.ScanObject(h, buf[:0])
	if err != nil {
		return out, tokenErrCause(ErrInvalidToken, jwt.ErrTokenMalformed, "header: "+err.Error(), err)
	}
	algSeen, kidEmpty := false, false
	for i := range ms {
		m := &ms[i]
		raw := h[m.Start:m.End]
		switch string(m.Name(h)) {
		case "alg":
			b, ok := strictjson.Unquote(raw)
			if !ok {
				return out, tokenErr(ErrInvalidToken, jwt.ErrTokenMalformed, "header alg is not a string")
			}
			out.alg, algSeen = alg.LookupBytes(b), true
		case "kid":
			b, ok := strictjson.Unquote(raw)
			if !ok {
				return out, tokenErr(ErrInvalidToken, jwt.ErrTokenMalformed, "header kid is not a string")
			}
			if len(b) > maxKidLen {
				return out, tokenErr(ErrInvalidToken, jwt.ErrTokenMalformed, "header kid is too long")
			}
			kidEmpty = len(b) == 0
			out.kid = string(b)
		case "typ":
			b, ok := strictjson.Unquote(raw)
			if !ok {
				return out, tokenErr(ErrInvalidToken, jwt.ErrTokenMalformed, "header typ is not a string")
			}
			if !acceptedTyp(b) {
				return out, tokenErr(ErrInvalidToken, jwt.ErrTokenMalformed, "header typ is not accepted")
			}
		case "cty":
			b, ok := strictjson.Unquote(raw)
			if !ok {
				return out, tokenErr(ErrInvalidToken, jwt.ErrTokenMalformed, "header cty is not a string")
			}
			if bytes.EqualFold(b, []byte("JWT")) {
				return out, tokenErr(ErrInvalidToken, jwt.ErrTokenMalformed, "nested JWT (cty JWT) is not accepted")
			}
		case "enc", "zip":
			return out, tokenErr(ErrInvalidToken, jwt.ErrTokenMalformed, "JWE header parameters are not accepted")
		case "crit":
			return out, critError(h, raw, ms)
		}
		// jku, x5u, jwk, x5c, x5t, x5t#S256 and every other parameter are
		// ignored: keys come from the issuer's configured set only (H02, H07).
	}
	if !algSeen {
		return out, tokenErr(ErrInvalidToken, jwt.ErrTokenMalformed, "header has no alg")
	}
	if !v.allowed.Has(out.alg) {
		return out, tokenErr(ErrInvalidToken, jwt.ErrTokenSignatureInvalid, "algorithm is not accepted")
	}
	if kidEmpty {
		// A kid that is present must name a key, and "" names none; only an
		// absent kid may use the single key of a one-key set (H04).
		return out, tokenErr(ErrUnknownKey, jwt.ErrTokenUnverifiable, "header kid is empty")
	}
	return out, nil
}

// acceptedTyp reports whether typ is one of the accepted media types: "JWT",
// "at+jwt" or "application/at+jwt", compared case-insensitively (H05).
func acceptedTyp(b []byte) bool {
	return bytes.EqualFold(b, []byte("JWT")) || bytes.EqualFold(b, []byte("at+jwt")) ||
		bytes.EqualFold(b, []byte("application/at+jwt"))
}

// registeredHeader lists the header parameters RFC 7515/7516/7797 define,
// which crit must not list.
func registeredHeader(name string) bool {
	switch name {
	case "alg", "jku", "jwk", "kid", "x5u", "x5c", "x5t", "x5t#S256", "typ", "cty", "crit",
		"enc", "zip", "epk", "apu", "apv", "iv", "tag", "p2s", "p2c":
		return true
	}
	return false
}

// critError explains why crit is refused (H01). jwtgate understands no
// extension, so every crit is refused; the message names the first rule
// it breaks.
func critError(h, raw []byte, ms []strictjson.Member) error {
	fail := func(msg string) error {
		return tokenErr(ErrInvalidToken, jwt.ErrTokenMalformed, "header crit: "+msg)
	}
	arr, ok := strictjson.NewArray(raw)
	if !ok {
		return fail("not an array")
	}
	// Ranges, not slices of raw: a slice kept here would let the header's
	// stack buffer escape to the heap on every request.
	var elems [8][2]int
	names := elems[:0]
	for {
		start, end, ok := arr.Next()
		if !ok {
			break
		}
		if _, ok := strictjson.Unquote(raw[start:end]); !ok {
			return fail("not an array of strings")
		}
		names = append(names, [2]int{start, end})
	}
	if len(names) == 0 {
		return fail("empty")
	}
	for _, n := range names {
		b, _ := strictjson.Unquote(raw[n[0]:n[1]])
		if len(b) == 0 {
			return fail("lists an empty name")
		}
		if registeredHeader(string(b)) {
			return fail("lists a registered parameter")
		}
		found := false
		for i := range ms {
			if bytes.Equal(ms[i].Name(h), b) {
				found = true
				break
			}
		}
		if !found {
			return fail("lists a parameter absent from the header")
		}
	}
	return fail("lists an extension that is not understood")
}
