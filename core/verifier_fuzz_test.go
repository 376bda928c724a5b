package core

import (
	"context"
	"errors"
	"strings"
	"testing"
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
