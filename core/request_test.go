package core

import (
	"context"
	"errors"
	"strings"
	"testing"
)

const jwtShape = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln"

func TestBearerToken(t *testing.T) {
	tests := []struct {
		name   string
		values []string
		token  string
		err    error
	}{
		{"B04 no header", nil, "", ErrMissingToken},
		{"B04 empty slice", []string{}, "", ErrMissingToken},
		{"B04 empty value", []string{""}, "", ErrMissingToken},
		{"B04 whitespace value", []string{" \t "}, "", ErrMissingToken},
		{"B04 all values empty", []string{"", ""}, "", ErrMissingToken},
		{"B04 basic scheme", []string{"Basic dXNlcjpwYXNz"}, "", ErrMissingToken},
		{"B04 digest scheme with commas", []string{`Digest username="a", realm="b"`}, "", ErrMissingToken},
		{"B04 longer scheme name", []string{"Bearerx abc"}, "", ErrMissingToken},
		{"B04 scheme prefix only", []string{"Bear abc"}, "", ErrMissingToken},
		{"B04 token without scheme", []string{jwtShape}, "", ErrMissingToken},
		{"B02 canonical", []string{"Bearer " + jwtShape}, jwtShape, nil},
		{"B02 lowercase scheme", []string{"bearer " + jwtShape}, jwtShape, nil},
		{"B02 uppercase scheme", []string{"BEARER " + jwtShape}, jwtShape, nil},
		{"B02 mixed case scheme", []string{"bEaReR " + jwtShape}, jwtShape, nil},
		{"B02 several spaces", []string{"Bearer    " + jwtShape}, jwtShape, nil},
		{"B02 surrounding OWS ignored", []string{" \tBearer " + jwtShape + " \t"}, jwtShape, nil},
		{"B02 b64token charset", []string{"Bearer aZ09-._~+/"}, "aZ09-._~+/", nil},
		{"B02 b64token padding", []string{"Bearer abc=="}, "abc==", nil},
		{"B02 padding only", []string{"Bearer =="}, "", ErrInvalidRequest},
		{"B02 padding in the middle", []string{"Bearer ab=c"}, "", ErrInvalidRequest},
		{"B05 scheme alone", []string{"Bearer"}, "", ErrInvalidRequest},
		{"B05 scheme and spaces", []string{"Bearer   "}, "", ErrInvalidRequest},
		{"B02 tab after scheme", []string{"Bearer\t" + jwtShape}, "", ErrInvalidRequest},
		{"B02 space then tab", []string{"Bearer \t" + jwtShape}, "", ErrInvalidRequest},
		{"B02 comma after scheme", []string{"Bearer," + jwtShape}, "", ErrInvalidRequest},
		{"B02 trailing junk", []string{"Bearer " + jwtShape + " x"}, "", ErrInvalidRequest},
		{"B02 inner space", []string{"Bearer abc def"}, "", ErrInvalidRequest},
		{"B02 quoted token", []string{`Bearer "abc"`}, "", ErrInvalidRequest},
		{"B02 non-ASCII", []string{"Bearer abc\u00e9"}, "", ErrInvalidRequest},
		{"B02 NUL", []string{"Bearer abc\x00"}, "", ErrInvalidRequest},
		{"B02 CRLF", []string{"Bearer abc\r\nX-Evil: 1"}, "", ErrInvalidRequest},
		{"B02 auth-param form", []string{"Bearer token=abc"}, "", ErrInvalidRequest},
		{"B03 comma list", []string{"Bearer abc, Bearer def"}, "", ErrInvalidRequest},
		{"B03 comma list no space", []string{"Bearer abc,def"}, "", ErrInvalidRequest},
		{"B03 F13 two headers", []string{"Bearer abc", "Bearer def"}, "", ErrInvalidRequest},
		{"B03 F13 two equal headers", []string{"Bearer abc", "Bearer abc"}, "", ErrInvalidRequest},
		{"B03 F13 bearer and basic", []string{"Basic dXNlcjpwYXNz", "Bearer abc"}, "", ErrInvalidRequest},
		{"B03 F13 bearer and empty", []string{"Bearer abc", ""}, "", ErrInvalidRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			token, err := BearerToken(tt.values)
			if token != tt.token || err != tt.err {
				t.Errorf("BearerToken(%q) = %q, %v; want %q, %v", tt.values, token, err, tt.token, tt.err)
			}
		})
	}
}

func TestBearerTokenAllocs(t *testing.T) {
	values := []string{"Bearer " + jwtShape}
	bad := []string{"Bearer a", "Bearer b"}
	n := testing.AllocsPerRun(100, func() {
		if _, err := BearerToken(values); err != nil {
			t.Fatal(err)
		}
		if _, err := BearerToken(bad); err == nil {
			t.Fatal("two headers accepted")
		}
	})
	if n != 0 {
		t.Errorf("BearerToken allocations = %v; want 0", n)
	}
}

func FuzzBearerToken(f *testing.F) {
	for _, s := range []string{
		"", "Bearer", "Bearer ", "Bearer " + jwtShape, "bearer abc==", "Basic dXNlcjpwYXNz",
		"Bearer\tabc", "Bearer abc def", "Bearer abc, Bearer def", " Bearer abc ", "Bearerabc",
		"Bearer a=b", "Bearer \"abc\"", "Bearer ~+/-._", "BEARER  x",
	} {
		f.Add(s, "")
		f.Add(s, "Bearer x")
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		if got, want := isB64Token(a), refB64Token(a); got != want {
			t.Fatalf("isB64Token(%q) = %v; want %v", a, got, want)
		}
		for _, values := range [][]string{{a}, {a, b}} {
			token, err := BearerToken(values)
			switch {
			case err == nil:
				if !isB64Token(token) {
					t.Fatalf("BearerToken(%q) = %q: not a b64token", values, token)
				}
				if len(values) != 1 || !strings.HasSuffix(trimOWS(values[0]), token) {
					t.Fatalf("BearerToken(%q) = %q: not the tail of the only value", values, token)
				}
				if v := trimOWS(values[0]); len(v) < 7 || !strings.EqualFold(v[:6], "bearer") || v[6] != ' ' {
					t.Fatalf("BearerToken(%q) = %q: scheme is not Bearer SP", values, token)
				}
			case err != ErrMissingToken && err != ErrInvalidRequest:
				t.Fatalf("BearerToken(%q) error %v; want a sentinel", values, err)
			}
			if len(values) == 2 && trimOWS(a)+trimOWS(b) != "" && err != ErrInvalidRequest {
				t.Fatalf("BearerToken(%q) = %v; want ErrInvalidRequest for two values", values, err)
			}
		}
	})
}

func TestCookieValue(t *testing.T) {
	tests := []struct {
		name    string
		headers []string
		value   string
		ok      bool
	}{
		{"none", nil, "", false},
		{"other cookie", []string{"a=1; b=2"}, "", false},
		{"only", []string{"token=abc"}, "abc", true},
		{"among others", []string{"a=1; token=abc; b=2"}, "abc", true},
		{"OWS", []string{"a=1;  token = abc ;b=2"}, "abc", true},
		{"quoted", []string{`token="abc"`}, "abc", true},
		{"empty", []string{"token="}, "", true},
		{"name is case-sensitive", []string{"Token=abc"}, "", false},
		{"prefix name", []string{"tokenx=abc; xtoken=def"}, "", false},
		{"split over fields", []string{"a=1", "token=abc"}, "abc", true},
		{"repeated", []string{"token=abc; token=def"}, "abc,def", true},
		{"repeated over fields", []string{"token=abc", "token=def"}, "abc,def", true},
		{"no equals", []string{"token; a=1"}, "", false},
	}
	for _, tt := range tests {
		value, ok := CookieValue(tt.headers, "token")
		if value != tt.value || ok != tt.ok {
			t.Errorf("%s: CookieValue(%q) = %q, %v; want %q, %v", tt.name, tt.headers, value, ok, tt.value, tt.ok)
		}
	}
	if _, ok := CookieValue([]string{"=abc"}, ""); ok {
		t.Errorf("empty name found a cookie")
	}
	n := testing.AllocsPerRun(100, func() { CookieValue([]string{"a=1; token=abc; b=2"}, "token") })
	if n != 0 {
		t.Errorf("CookieValue allocations = %v; want 0", n)
	}
}

// TestAuthenticatePicksOneTokenSource checks the token-source rules of
// Authenticate that are decided before Verify. A nil Verifier stands in for
// Verify: reaching it gives errNoVerifier. What optional credentials mean is
// the adapters' to decide (internal/conformance tests it).
func TestAuthenticatePicksOneTokenSource(t *testing.T) {
	var v *Verifier
	hdr := []string{"Bearer " + jwtShape}
	tests := []struct {
		name     string
		auth     []string
		cookie   string
		want     error
		verified bool // reached Verify
	}{
		{"B04 nothing", nil, "", ErrMissingToken, false},
		{"B04 other scheme", []string{"Basic x"}, "", ErrMissingToken, false},
		{"malformed header", []string{"Bearer"}, "", ErrInvalidRequest, false},
		{"B03 two headers", []string{"Bearer a", "Bearer b"}, "", ErrInvalidRequest, false},
		{"header", hdr, "", nil, true},
		{"cookie", nil, jwtShape, nil, true},
		{"cookie with other scheme header", []string{"Basic x"}, jwtShape, nil, true},
		{"B03 header and cookie", hdr, jwtShape, ErrInvalidRequest, false},
		{"B03 repeated cookie", nil, jwtShape + "," + jwtShape, ErrInvalidRequest, false},
		{"cookie bad charset", nil, "a b", ErrInvalidRequest, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := v.Authenticate(context.Background(), tt.auth, tt.cookie)
			if c != nil {
				t.Errorf("claims %v; want nil", c)
			}
			if tt.verified {
				if !errors.Is(err, errNoVerifier) || !errors.Is(err, ErrKeysUnavailable) {
					t.Errorf("got %v; want Verify to be reached", err)
				}
				return
			}
			if err != tt.want {
				t.Errorf("got %v; want %v", err, tt.want)
			}
		})
	}
}

func BenchmarkBearerToken(b *testing.B) {
	values := []string{"Bearer " + strings.Repeat("eyJhbGciOiJSUzI1NiJ9", 40) + "." + jwtShape}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := BearerToken(values); err != nil {
			b.Fatal(err)
		}
	}
}

func TestIsB64Char(t *testing.T) {
	for c := 0; c < 256; c++ {
		b := byte(c)
		want := 'A' <= b && b <= 'Z' || 'a' <= b && b <= 'z' || '0' <= b && b <= '9' ||
			b == '-' || b == '.' || b == '_' || b == '~' || b == '+' || b == '/'
		if got := isB64Char(b); got != want {
			t.Errorf("isB64Char(%#x) = %v; want %v", c, got, want)
		}
	}
}

// TestIsB64Token compares the word-at-a-time check with a byte-by-byte
// reference: every byte value at every position of a word, and random
// strings around the word boundaries.
func TestIsB64Token(t *testing.T) {
	ref := refB64Token
	for c := 0; c < 256; c++ {
		for n := 1; n <= 17; n++ {
			for pos := 0; pos < n; pos++ {
				b := []byte(strings.Repeat("aZ09-._~+/", 2)[:n])
				b[pos] = byte(c)
				if got, want := isB64Token(string(b)), ref(string(b)); got != want {
					t.Fatalf("isB64Token(%q) = %v; want %v", b, got, want)
				}
			}
		}
	}
	for _, s := range []string{"", "=", "a", "abcdefgh", "abcdefgh=", "abcdefg=h", "abcdefghabcdefgh==", "abcdefgh\x80bcdefgh", "abcdefgh \x00"} {
		if got, want := isB64Token(s), ref(s); got != want {
			t.Errorf("isB64Token(%q) = %v; want %v", s, got, want)
		}
	}
}

// refB64Token is the byte-by-byte reference of isB64Token.
func refB64Token(s string) bool {
	i := 0
	for i < len(s) && isB64Char(s[i]) {
		i++
	}
	if i == 0 {
		return false
	}
	for i < len(s) && s[i] == '=' {
		i++
	}
	return i == len(s)
}
