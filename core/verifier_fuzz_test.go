package core

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzVerify feeds arbitrary strings to Verify. Whatever the input: no
// panic; claims and error exclusive; every failure a token failure (the set
// is static, no policy); success only for tokens signed by the key.
func FuzzVerify(f *testing.F) {
	k := vtKey("ES256")
	ed := vtKey("EdDSA")
	valid := k.Sign(vtClaims())
	f.Add(valid)
	f.Add(ed.Sign(vtClaims("aud", []string{"x", vtAud}, "cognito:groups", []string{"g"})))
	f.Add(k.SignBytes([]byte(`{"alg":"ES256","crit":["x"],"x":1}`), vtJSON(f, vtClaims())))
	f.Add(k.SignBytes([]byte(`{"alg":"ES256"}`), []byte(`{"iss":"`+vtIss+`","exp":1e400}`)))
	f.Add(k.SignBytes([]byte(`{"alg":"ES256","kid":"k-es256"}`), []byte(`{"iss":"`+vtIss+`","iss":"x"}`)))
	f.Add(k.SignBytes([]byte(`{"alg":"ES256"}`), []byte(`{"a":[[[[{"b":"\ud83d\ude00"}]]]],"exp":1.5}`)))
	f.Add(strings.Replace(valid, ".", "\n.", 1))
	f.Add(valid + "=")
	f.Add("")
	f.Add("..")
	f.Add("a.b.c")
	f.Add("eyJhbGciOiJub25lIn0.e30.")
	h, p, _ := vtSegments(valid)
	f.Add(h + "." + p + ".AAAA")

	cfg := vtConfig(k, ed)
	v := vtNew(f, cfg)
	f.Fuzz(func(t *testing.T, tok string) {
		c, err := v.Verify(context.Background(), tok)
		if (c == nil) == (err == nil) {
			t.Fatalf("got claims %v and error %v", c, err)
		}
		if err != nil {
			if !errors.Is(err, ErrInvalidToken) {
				t.Fatalf("got %v; want a token failure", err)
			}
			return
		}
		if c.Issuer != vtIss || c.ExpiresAt.IsZero() {
			t.Fatalf("accepted claims %+v", c)
		}
	})
}

// FuzzScanObject checks the strict scanner against encoding/json: what the
// scanner accepts is a valid JSON object without duplicate top-level names,
// and the value ranges it reports are valid JSON values.
func FuzzScanObject(f *testing.F) {
	for _, s := range []string{
		`{}`, `{"a":1}`, ` {"a":[1,2,{"b":null}],"c":"\u00e9\ud83d\ude00"} `, `{"a":1,"a":2}`,
		`{"a":"\ud800"}`, `{"a":01}`, `{"a":-0.5e+3}`, `[]`, `{"a":1}x`, "{\"a\":\"\x01\"}", `{"a":tru}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if !utf8.Valid(data) {
			return
		}
		ms, err := scanObject(data, nil, false)
		if err != nil {
			return
		}
		if !json.Valid(data) {
			t.Fatalf("scanner accepted invalid JSON %q", data)
		}
		var m map[string]json.RawMessage
		if err := json.Unmarshal(data, &m); err != nil {
			t.Fatalf("scanner accepted %q, which is not an object: %v", data, err)
		}
		if len(m) != len(ms) {
			t.Fatalf("%q: %d members, encoding/json sees %d names", data, len(ms), len(m))
		}
		for _, mb := range ms {
			name := mb.name(data)
			raw, ok := m[string(name)]
			if !ok {
				t.Fatalf("%q: member %q unknown to encoding/json", data, name)
			}
			if !bytes.Equal(bytes.TrimSpace(raw), data[mb.start:mb.end]) {
				t.Fatalf("%q: member %q value %q; encoding/json %q", data, name, data[mb.start:mb.end], raw)
			}
		}
	})
}
