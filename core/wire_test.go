package core

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
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

// TestChallenge checks the status and WWW-Authenticate of every class.
func TestChallenge(t *testing.T) {
	const tok = `Bearer realm="api", error="invalid_token", error_description=`
	tests := []struct {
		name   string
		err    error
		status int
		www    string
	}{
		{"B04 missing", ErrMissingToken, 401, `Bearer realm="api"`},
		{"B05 invalid request", ErrInvalidRequest, 400, `Bearer realm="api", error="invalid_request"`},
		{"B06 generic", ErrInvalidToken, 401, tok + `"the token is invalid"`},
		{"B06 expired", ErrTokenExpired, 401, tok + `"the token has expired"`},
		{"B06 not yet valid", ErrTokenNotYetValid, 401, tok + `"the token is not valid yet"`},
		{"B06 signature", ErrInvalidSignature, 401, tok + `"the token signature is invalid"`},
		{"B06 unknown key", ErrUnknownKey, 401, tok + `"the token signing key is unknown"`},
		{"B06 issuer", ErrInvalidIssuer, 401, tok + `"the token issuer is not accepted"`},
		{"B06 audience", ErrInvalidAudience, 401, tok + `"the token audience is not accepted"`},
		{"B06 token use", ErrInvalidTokenUse, 401, tok + `"the token use is not accepted"`},
		{"B06 wrapped expired", fmt.Errorf("verify: %w", ErrTokenExpired), 401, tok + `"the token has expired"`},
		{"B06 unknown error fails closed", errors.New("boom \"\\ secret"), 401, tok + `"the token is invalid"`},
		{"B06 nil fails closed", nil, 401, tok + `"the token is invalid"`},
		{"B07 scope", &ScopeError{Scopes: []string{"read", "write"}}, 403, `Bearer realm="api", error="insufficient_scope", scope="read write"`},
		{"B07 wrapped scope", fmt.Errorf("route: %w", &ScopeError{Scopes: []string{"admin"}}), 403, `Bearer realm="api", error="insufficient_scope", scope="admin"`},
		{"B07 scope without names", &ScopeError{}, 403, `Bearer realm="api", error="insufficient_scope"`},
		{"B07 bad scope names dropped", &ScopeError{Scopes: []string{"a\"b", "ok", "x y", "", "c\\d", "é"}}, 403, `Bearer realm="api", error="insufficient_scope", scope="ok"`},
		{"B07 bare sentinel", ErrInsufficientScope, 403, `Bearer realm="api", error="insufficient_scope"`},
		{"B07 groups policy", RequireGroups("admin")(context.Background(), &Claims{}), 403, `Bearer realm="api", error="insufficient_scope"`},
		{"keys unavailable", ErrKeysUnavailable, 503, ""},
		{"keys unavailable wrapped", fmt.Errorf("%w: %w", ErrKeysUnavailable, ErrUnknownKey), 503, ""},
		{"canceled", context.Canceled, 503, ""},
		{"deadline", fmt.Errorf("fetch: %w", context.DeadlineExceeded), 503, ""},
		{"invalid request wins", errors.Join(ErrInvalidRequest, ErrInvalidToken), 400, `Bearer realm="api", error="invalid_request"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, www := Challenge(tt.err, "")
			if status != tt.status || www != tt.www {
				t.Errorf("Challenge(%v) = %d, %q; want %d, %q", tt.err, status, www, tt.status, tt.www)
			}
			if status2, www2 := Challenge(tt.err, "api"); status2 != status || www2 != www {
				t.Errorf("realm api: got %d, %q; want %d, %q", status2, www2, status, www)
			}
		})
	}
}

// TestB08Realm checks that realms are reduced to the safe charset.
func TestB08Realm(t *testing.T) {
	tests := []struct{ realm, want string }{
		{"", `Bearer realm="api"`},
		{"orders", `Bearer realm="orders"`},
		{"my api!", `Bearer realm="my api!"`},
		{`ev"il\`, `Bearer realm="evil"`},
		{"a\r\nb\x00\tc\u00e9", `Bearer realm="abc"`},
		{"\"\\", `Bearer realm="api"`},
	}
	for _, tt := range tests {
		_, www := Challenge(ErrMissingToken, tt.realm)
		if www != tt.want {
			t.Errorf("Challenge(missing, %q) = %q; want %q", tt.realm, www, tt.want)
		}
	}
	_, www := Challenge(ErrTokenExpired, "orders")
	if want := `Bearer realm="orders", error="invalid_token", error_description="the token has expired"`; www != want {
		t.Errorf("custom realm expired = %q; want %q", www, want)
	}
	_, www = Challenge(&ScopeError{Scopes: []string{"a"}}, "orders")
	if want := `Bearer realm="orders", error="insufficient_scope", scope="a"`; www != want {
		t.Errorf("custom realm scope = %q; want %q", www, want)
	}
	if _, www = Challenge(ErrKeysUnavailable, "orders"); www != "" {
		t.Errorf("custom realm 503 = %q; want none", www)
	}
}

// allClasses lists one error per class.
var allClasses = []error{
	nil, ErrMissingToken, ErrInvalidRequest, ErrInvalidToken, ErrTokenExpired, ErrTokenNotYetValid,
	ErrInvalidSignature, ErrUnknownKey, ErrInvalidIssuer, ErrInvalidAudience, ErrInvalidTokenUse,
	ErrInsufficientScope, ErrKeysUnavailable, context.Canceled,
}

// TestB08Vocabulary checks that every description and code is within the
// allowed charset, and that the constant strings agree with their parts.
func TestB08Vocabulary(t *testing.T) {
	for _, err := range allClasses {
		c := classify(err)
		for _, s := range []string{c.code(), c.description()} {
			for i := 0; i < len(s); i++ {
				if !isQdtextSafe(s[i]) {
					t.Errorf("%v: %q has byte %#x outside %%x20-21 / %%x23-5B / %%x5D-7E", err, s, s[i])
				}
			}
		}
		if want := `{"error":"` + c.code() + `","error_description":"` + c.description() + `"}`; c.body() != want {
			t.Errorf("%v: body %s; want %s", err, c.body(), want)
		}
		tail, ok := c.challengeTail()
		want := ""
		if ok {
			want = `Bearer realm="api"` + tail
		}
		if got := c.defaultChallenge(); got != want {
			t.Errorf("%v: default challenge %q; want %q", err, got, want)
		}
	}
}

// TestRespond checks the full answer of every class.
func TestRespond(t *testing.T) {
	tests := []struct {
		err        error
		status     int
		www, retry string
		body       string
	}{
		{ErrMissingToken, 401, `Bearer realm="api"`, "", `{"error":"unauthorized","error_description":"a bearer token is required"}`},
		{ErrInvalidRequest, 400, `Bearer realm="api", error="invalid_request"`, "", `{"error":"invalid_request","error_description":"the bearer credentials are malformed or sent more than once"}`},
		{ErrTokenExpired, 401, `Bearer realm="api", error="invalid_token", error_description="the token has expired"`, "", `{"error":"invalid_token","error_description":"the token has expired"}`},
		{errors.New("internal detail"), 401, `Bearer realm="api", error="invalid_token", error_description="the token is invalid"`, "", `{"error":"invalid_token","error_description":"the token is invalid"}`},
		{&ScopeError{Scopes: []string{"read"}}, 403, `Bearer realm="api", error="insufficient_scope", scope="read"`, "", `{"error":"insufficient_scope","error_description":"the token does not grant access to this resource"}`},
		{ErrKeysUnavailable, 503, "", "5", `{"error":"temporarily_unavailable","error_description":"the signing keys are unavailable, retry later"}`},
		{context.DeadlineExceeded, 503, "", "5", `{"error":"temporarily_unavailable","error_description":"the token could not be verified in time, retry later"}`},
	}
	for _, tt := range tests {
		r := Respond(tt.err, "")
		if r.Status != tt.status || r.WWWAuthenticate != tt.www || r.RetryAfter != tt.retry || string(r.Body) != tt.body {
			t.Errorf("Respond(%v) = %d, %q, %q, %s; want %d, %q, %q, %s", tt.err, r.Status, r.WWWAuthenticate, r.RetryAfter, r.Body, tt.status, tt.www, tt.retry, tt.body)
		}
	}
	for _, err := range allClasses {
		r := Respond(err, "")
		var m map[string]string
		if e := json.Unmarshal(r.Body, &m); e != nil || len(m) != 2 || m["error"] == "" || m["error_description"] == "" {
			t.Errorf("Respond(%v) body %s: not {error, error_description}: %v", err, r.Body, e)
		}
		if status, www := Challenge(err, ""); status != r.Status || www != r.WWWAuthenticate {
			t.Errorf("Respond(%v) disagrees with Challenge: %d %q vs %d %q", err, r.Status, r.WWWAuthenticate, status, www)
		}
	}
}

// TestB09NoTokenInAnswer checks that error text never reaches the answer.
func TestB09NoTokenInAnswer(t *testing.T) {
	secret := "eyJsecret.eyJpayload.signature"
	for _, base := range allClasses {
		err := fmt.Errorf("token %s: %w", secret, base)
		r := Respond(err, "")
		for _, s := range []string{r.WWWAuthenticate, string(r.Body)} {
			if strings.Contains(s, "secret") || strings.Contains(s, "eyJ") {
				t.Errorf("Respond(%v) leaks error text: %q", base, s)
			}
		}
	}
}

func TestRespondAllocs(t *testing.T) {
	n := testing.AllocsPerRun(100, func() {
		_ = Respond(ErrTokenExpired, "")
		_, _ = Challenge(ErrMissingToken, "api")
	})
	if n > 1 {
		t.Errorf("Respond allocations = %v; want at most 1 (the body)", n)
	}
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

// TestAuthenticateSources checks the token-source rules of Authenticate that
// are decided before Verify. A nil Verifier stands in for Verify: reaching it
// gives errNoVerifier.
func TestAuthenticateSources(t *testing.T) {
	var v *Verifier
	hdr := []string{"Bearer " + jwtShape}
	tests := []struct {
		name      string
		auth      []string
		cookie    string
		hasCookie bool
		optional  bool
		want      error // nil with wantNil: (nil, nil)
		verified  bool  // reached Verify
	}{
		{"B04 nothing", nil, "", false, false, ErrMissingToken, false},
		{"B04 other scheme", []string{"Basic x"}, "", false, false, ErrMissingToken, false},
		{"optional nothing", nil, "", false, true, nil, false},
		{"optional other scheme", []string{"Basic x"}, "", false, true, nil, false},
		{"optional malformed still refused", []string{"Bearer"}, "", false, true, ErrInvalidRequest, false},
		{"B03 two headers", []string{"Bearer a", "Bearer b"}, "", false, false, ErrInvalidRequest, false},
		{"header", hdr, "", false, false, nil, true},
		{"cookie", nil, jwtShape, true, false, nil, true},
		{"cookie with other scheme header", []string{"Basic x"}, jwtShape, true, false, nil, true},
		{"empty cookie is no cookie", nil, "", true, false, ErrMissingToken, false},
		{"empty cookie optional", nil, "", true, true, nil, false},
		{"B03 header and cookie", hdr, jwtShape, true, false, ErrInvalidRequest, false},
		{"B03 header and cookie optional", hdr, jwtShape, true, true, ErrInvalidRequest, false},
		{"B03 repeated cookie", nil, jwtShape + "," + jwtShape, true, false, ErrInvalidRequest, false},
		{"cookie bad charset", nil, "a b", true, false, ErrInvalidRequest, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := v.Authenticate(context.Background(), tt.auth, tt.cookie, tt.hasCookie, tt.optional)
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

func BenchmarkRespond(b *testing.B) {
	b.Run("default realm", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if r := Respond(ErrTokenExpired, ""); r.Status != 401 {
				b.Fatal(r.Status)
			}
		}
	})
	b.Run("custom realm", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if r := Respond(ErrTokenExpired, "orders"); r.Status != 401 {
				b.Fatal(r.Status)
			}
		}
	})
	b.Run("scope", func(b *testing.B) {
		err := error(&ScopeError{Scopes: []string{"orders:read", "orders:write"}})
		b.ReportAllocs()
		for b.Loop() {
			if r := Respond(err, ""); r.Status != 403 {
				b.Fatal(r.Status)
			}
		}
	})
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
