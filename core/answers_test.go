package core

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
)

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

// TestChallengeRealmKeepsOnlySafeCharacters checks that realms are reduced to the safe charset. (B08)
func TestChallengeRealmKeepsOnlySafeCharacters(t *testing.T) {
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

// TestAnswerTextsComeFromASafeFixedVocabulary checks that every code and description of the table of
// answers is within the allowed charset, and that the derived strings agree
// with their parts. (B08)
func TestAnswerTextsComeFromASafeFixedVocabulary(t *testing.T) {
	for c := range numClasses {
		a := answers[c]
		for _, s := range []string{a.code, a.description} {
			for i := 0; i < len(s); i++ {
				if !isQdtextSafe(s[i]) {
					t.Errorf("class %d: %q has byte %#x outside %%x20-21 / %%x23-5B / %%x5D-7E", c, s, s[i])
				}
			}
		}
		if want := `{"error":"` + a.code + `","error_description":"` + a.description + `"}`; a.body != want {
			t.Errorf("class %d: body %s; want %s", c, a.body, want)
		}
		if a.challenge == noChallenge && a.defaultChallenge != "" {
			t.Errorf("class %d: default challenge %q; want none", c, a.defaultChallenge)
		}
		if a.challenge != noChallenge && !strings.HasPrefix(a.defaultChallenge, `Bearer realm="api"`) {
			t.Errorf("class %d: default challenge %q; want it to start with the default realm", c, a.defaultChallenge)
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

// TestAnswersNeverCarryErrorText checks that error text never reaches the answer. (B09)
func TestAnswersNeverCarryErrorText(t *testing.T) {
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
