package core

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/golang-jwt/jwt/v5"
	"github.com/jwtgate/jwtgate/core/jwttest"
)

// docs/SECURITY.md, "Token syntax and decoding (S)".

// S01.
func TestAcceptsOnlyTheCompactSerialization(t *testing.T) {
	k := vtKey("RS256")
	v := vtNew(t, vtConfig(k))
	tok := k.Sign(vtClaims())
	h, p, s := vtSegments(tok)
	vtRun(t, v, []vtCase{
		{"valid", tok, nil},
		{"one segment", h, ErrInvalidToken},
		{"two segments", h + "." + p, ErrInvalidToken},
		{"four segments", tok + "." + s, ErrInvalidToken},
		{"JWE five segments", h + "." + p + "." + s + "." + s + "." + s, ErrInvalidToken},
		{"JSON serialization", `{"payload":"` + p + `","protected":"` + h + `","signature":"` + s + `"}`, ErrInvalidToken},
		{"empty", "", ErrInvalidToken},
		{"dots only", "..", ErrInvalidToken},
		{"empty header", "." + p + "." + s, ErrInvalidToken},
		{"empty payload", h + ".." + s, ErrInvalidToken},
	})
}

// S02.
func TestRejectsCharactersOutsideBase64url(t *testing.T) {
	k := vtKey("RS256")
	v := vtNew(t, vtConfig(k))
	tok := k.Sign(vtClaims())
	h, p, s := vtSegments(tok)
	mid := len(s) / 2
	cases := []vtCase{{"valid", tok, nil}}
	for _, c := range []struct{ name, ins string }{
		{"LF", "\n"}, {"CR", "\r"}, {"CRLF", "\r\n"}, {"space", " "}, {"tab", "\t"},
		{"padding", "="}, {"plus", "+"}, {"slash", "/"}, {"NUL", "\x00"}, {"non-ASCII", "é"},
	} {
		cases = append(cases,
			vtCase{c.name + " in signature", h + "." + p + "." + s[:mid] + c.ins + s[mid:], ErrInvalidToken},
			vtCase{c.name + " in header", h[:4] + c.ins + h[4:] + "." + p + "." + s, ErrInvalidToken},
			vtCase{c.name + " at end", tok + c.ins, ErrInvalidToken},
		)
	}
	cases = append(cases, vtCase{"padded signature", tok + "==", ErrInvalidToken})
	vtRun(t, v, cases)
}

// flipUnusedBits changes the last character of a base64url segment whose
// length leaves unused bits, keeping the decoded bytes the same.
func flipUnusedBits(t *testing.T, seg string) string {
	t.Helper()
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	if len(seg)%4 == 0 {
		t.Fatalf("segment of length %d has no unused bits", len(seg))
	}
	last := strings.IndexByte(alphabet, seg[len(seg)-1])
	return seg[:len(seg)-1] + string(alphabet[last^1])
}

// S03.
func TestRequiresCanonicalBase64url(t *testing.T) {
	k := vtKey("RS256") // 256-byte signature: 342 characters, 4 unused bits
	v := vtNew(t, vtConfig(k))
	tok := k.Sign(vtClaims())
	h, p, s := vtSegments(tok)
	// A payload whose length is not a multiple of 3, signed over the
	// non-canonical form, so that only the encoding is wrong.
	payload := vtJSON(t, vtClaims("x", "ab"))
	for len(payload)%3 == 0 {
		payload = vtJSON(t, vtClaims("x", "ab"+strings.Repeat("c", len(payload)%7+1)))
	}
	hdr := jwttest.B64(vtJSON(t, vtHeader(k)))
	badP := flipUnusedBits(t, jwttest.B64(payload))
	in := hdr + "." + badP
	badPayloadTok := in + "." + jwttest.B64(k.Signature(in))
	vtRun(t, v, []vtCase{
		{"valid", tok, nil},
		{"signature trailing bits", h + "." + p + "." + flipUnusedBits(t, s), ErrInvalidToken},
		{"payload trailing bits, validly signed", badPayloadTok, ErrInvalidToken},
	})
}

// S04.
func TestRejectsAnEmptySignature(t *testing.T) {
	cfg := vtConfig(append(vtAsym(), vtKey("HS256"))...)
	cfg.Algorithms = []string{"RS256", "PS256", "ES256", "EdDSA", "HS256"}
	v := vtNew(t, cfg)
	var cases []vtCase
	for _, alg := range cfg.Algorithms {
		k := vtKey(alg)
		tok := k.Sign(vtClaims())
		h, p, _ := vtSegments(tok)
		cases = append(cases, vtCase{alg, h + "." + p + ".", ErrInvalidToken})
	}
	cases = append(cases, vtCase{"alg none", jwttest.Unsigned([]byte(`{"alg":"none"}`), vtJSON(t, vtClaims())), ErrInvalidToken})
	vtRun(t, v, cases)
}

// S05.
func TestCapsTokenLength(t *testing.T) {
	k := vtKey("RS256")
	v := vtNew(t, vtConfig(k))
	big := k.Sign(vtClaims("pad", strings.Repeat("x", 8<<10)))
	dots := strings.Repeat(".", 1<<20)
	vtRun(t, v, []vtCase{
		{"over 8 KiB, validly signed", big, ErrInvalidToken},
		{"1 MiB of dots", dots, ErrInvalidToken},
		{"1 MiB of base64url", strings.Repeat("A", 1<<20), ErrInvalidToken},
	})
	// O(1) memory before decoding: the refusal of 1 MiB costs one error.
	allocs := testing.AllocsPerRun(20, func() { v.Verify(context.Background(), dots) })
	if allocs > 2 {
		t.Errorf("1 MiB of dots: got %v allocations; want at most 2", allocs)
	}
	// Just under the cap is still parsed (and here verified).
	pad := 8<<10 - len(k.Sign(vtClaims("pad", "")))
	under := k.Sign(vtClaims("pad", strings.Repeat("x", pad*3/4-8)))
	if len(under) > maxTokenLen {
		t.Fatalf("test token of %d bytes is over the cap", len(under))
	}
	if _, err := v.Verify(context.Background(), under); err != nil {
		t.Errorf("token of %d bytes: got %v; want success", len(under), err)
	}
}

// S06.
func TestRequiresValidUTF8(t *testing.T) {
	k := vtKey("ES256")
	v := vtNew(t, vtConfig(k))
	hdr := vtJSON(t, vtHeader(k))
	good := vtJSON(t, vtClaims())
	badPayload := []byte(strings.Replace(string(good), `"user-1"`, "\"user-\xff\"", 1))
	badHeader := []byte(strings.Replace(string(hdr), `"JWT"`, "\"JW\xc3\"", 1))
	lone := []byte(strings.Replace(string(good), `"user-1"`, `"user-\ud800"`, 1))
	loneLow := []byte(strings.Replace(string(good), `"user-1"`, `"user-\udc00x"`, 1))
	pair := []byte(strings.Replace(string(good), `"user-1"`, `"user-\ud83d\ude00"`, 1))
	vtRun(t, v, []vtCase{
		{"valid", k.SignBytes(hdr, good), nil},
		{"invalid UTF-8 in payload", k.SignBytes(hdr, badPayload), ErrInvalidToken},
		{"invalid UTF-8 in header", k.SignBytes(badHeader, good), ErrInvalidToken},
		{"lone high surrogate escape", k.SignBytes(hdr, lone), ErrInvalidToken},
		{"lone low surrogate escape", k.SignBytes(hdr, loneLow), ErrInvalidToken},
		{"surrogate pair escape", k.SignBytes(hdr, pair), nil},
	})
	c, err := v.Verify(context.Background(), k.SignBytes(hdr, pair))
	if err != nil || c.Subject != "user-😀" {
		t.Errorf("surrogate pair: got %q, %v; want %q", c.Subject, err, "user-😀")
	}
}

// S07.
func TestRequiresASingleJSONObject(t *testing.T) {
	k := vtKey("EdDSA")
	v := vtNew(t, vtConfig(k))
	hdr := vtJSON(t, vtHeader(k))
	good := vtJSON(t, vtClaims())
	var cases []vtCase
	for _, c := range []struct{ name, body string }{
		{"array", `[` + string(good) + `]`},
		{"string", `"x"`},
		{"number", `1`},
		{"null", `null`},
		{"true", `true`},
		{"trailing data", string(good) + `x`},
		{"two objects", string(good) + string(good)},
		{"BOM", "\ufeff" + string(good)},
		{"trailing comma", strings.TrimSuffix(string(good), "}") + `,}`},
		{"unterminated", strings.TrimSuffix(string(good), "}")},
		{"single quotes", `{'iss':'x'}`},
		{"NaN", strings.TrimSuffix(string(good), "}") + `,"x":NaN}`},
		{"leading zero", strings.TrimSuffix(string(good), "}") + `,"x":01}`},
		{"control char in string", strings.TrimSuffix(string(good), "}") + ",\"x\":\"a\x01\"}"},
		{"bad escape", strings.TrimSuffix(string(good), "}") + `,"x":"\q"}`},
	} {
		cases = append(cases,
			vtCase{"payload " + c.name, k.SignBytes(hdr, []byte(c.body)), ErrInvalidToken},
			vtCase{"header " + c.name, k.SignBytes([]byte(strings.Replace(c.body, string(good), string(hdr), 1)), good), ErrInvalidToken},
		)
	}
	cases = append(cases,
		vtCase{"surrounding white space", k.SignBytes([]byte(" \t\r\n"+string(hdr)+"\n"), []byte("\n"+string(good)+" ")), nil},
	)
	vtRun(t, v, cases)
}

// S08.
func TestRejectsDuplicateNames(t *testing.T) {
	k := vtKey("ES256")
	v := vtNew(t, vtConfig(k))
	hdr := `{"alg":"ES256","kid":"k-es256"`
	claims := `"iss":"` + vtIss + `","aud":"` + vtAud + `","exp":1700003600`
	vtRun(t, v, []vtCase{
		{"valid", k.SignBytes([]byte(hdr+`}`), []byte(`{`+claims+`}`)), nil},
		{"duplicate alg", k.SignBytes([]byte(hdr+`,"alg":"ES256"}`), []byte(`{`+claims+`}`)), ErrInvalidToken},
		{"duplicate kid", k.SignBytes([]byte(hdr+`,"kid":"k-es256"}`), []byte(`{`+claims+`}`)), ErrInvalidToken},
		{"duplicate iss", k.SignBytes([]byte(hdr+`}`), []byte(`{`+claims+`,"iss":"`+vtIss+`"}`)), ErrInvalidToken},
		{"duplicate exp", k.SignBytes([]byte(hdr+`}`), []byte(`{`+claims+`,"exp":1800000000}`)), ErrInvalidToken},
		{"duplicate unknown claim", k.SignBytes([]byte(hdr+`}`), []byte(`{`+claims+`,"x":1,"x":2}`)), ErrInvalidToken},
		{"duplicate through an escape", k.SignBytes([]byte(hdr+`}`), []byte(`{`+claims+`,"\u0069ss":"`+vtIss+`"}`)), ErrInvalidToken},
		{"nested duplicate is not top level", k.SignBytes([]byte(hdr+`}`), []byte(`{`+claims+`,"x":{"a":1,"a":2}}`)), nil},
	})
}

// S09.
func TestMatchesClaimNamesCaseSensitively(t *testing.T) {
	k := vtKey("ES256")
	v := vtNew(t, vtConfig(k))
	hdr := []byte(`{"alg":"ES256","kid":"k-es256"}`)
	vtRun(t, v, []vtCase{
		{"ISS", k.SignBytes(hdr, []byte(`{"ISS":"`+vtIss+`","aud":"`+vtAud+`","exp":1700003600}`)), ErrInvalidIssuer},
		{"Exp", k.SignBytes(hdr, []byte(`{"iss":"`+vtIss+`","aud":"`+vtAud+`","Exp":1700003600}`)), ErrInvalidToken},
		{"AUD", k.SignBytes(hdr, []byte(`{"iss":"`+vtIss+`","AUD":"`+vtAud+`","exp":1700003600}`)), ErrInvalidAudience},
		{"ALG", k.SignBytes([]byte(`{"ALG":"ES256","kid":"k-es256"}`), []byte(`{"iss":"`+vtIss+`","aud":"`+vtAud+`","exp":1700003600}`)), ErrInvalidToken},
		{"alg value es256", k.SignBytes([]byte(`{"alg":"es256","kid":"k-es256"}`), []byte(`{"iss":"`+vtIss+`","aud":"`+vtAud+`","exp":1700003600}`)), ErrInvalidToken},
	})
	// Exp is not exp: the missing exp is what fails.
	_, err := v.Verify(context.Background(), k.SignBytes(hdr, []byte(`{"iss":"`+vtIss+`","aud":"`+vtAud+`","Exp":1700003600}`)))
	if !errors.Is(err, jwt.ErrTokenRequiredClaimMissing) {
		t.Errorf("Exp: got %v; want jwt.ErrTokenRequiredClaimMissing", err)
	}
}

// S10.
func TestBoundsNestingDepth(t *testing.T) {
	k := vtKey("EdDSA")
	v := vtNew(t, vtConfig(k))
	hdr := vtJSON(t, vtHeader(k))
	base := strings.TrimSuffix(string(vtJSON(t, vtClaims())), "}")
	deep := base + `,"x":` + strings.Repeat("[", 100) + strings.Repeat("]", 100) + `}`
	deepObj := base + `,"x":` + strings.Repeat(`{"a":`, 40) + `1` + strings.Repeat("}", 40) + `}`
	ok := base + `,"x":` + strings.Repeat("[", 20) + strings.Repeat("]", 20) + `}`
	var many strings.Builder
	many.WriteString(base)
	for i := 0; i < 300; i++ {
		many.WriteString(`,"m` + strings.Repeat("a", i%5) + string(rune('a'+i%26)) + string(rune('a'+i/26)) + `":0`)
	}
	many.WriteString("}")
	vtRun(t, v, []vtCase{
		{"nesting 100", k.SignBytes(hdr, []byte(deep)), ErrInvalidToken},
		{"nesting 40 objects", k.SignBytes(hdr, []byte(deepObj)), ErrInvalidToken},
		{"nesting 20", k.SignBytes(hdr, []byte(ok)), nil},
		{"300 members", k.SignBytes(hdr, []byte(many.String())), nil},
	})
}
