package refresh

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/oauth2"
)

func TestOAuth2ClientAuthStyles(t *testing.T) {
	cases := []struct {
		name       string
		secret     string
		style      oauth2.AuthStyle
		wantBasic  bool
		wantIDBody bool
		wantSecret bool
	}{
		{"public: client_id in body", "", oauth2.AuthStyleAutoDetect, false, true, false},
		{"confidential: basic", "s3cret-basic", oauth2.AuthStyleAutoDetect, true, false, false},
		{"confidential: post", "s3cret-post", oauth2.AuthStyleInParams, false, true, true},
		{"confidential: explicit header", "s3cret-hdr", oauth2.AuthStyleInHeader, true, false, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			p := newIDP(t, e)
			p.clientID = "my-client"
			p.secret = tc.secret
			if tc.secret != "" {
				e.sec.add(tc.secret)
			}
			x := NewOAuth2Exchanger(&oauth2.Config{ClientID: "my-client", ClientSecret: tc.secret,
				Endpoint: oauth2.Endpoint{TokenURL: p.srv.URL + "/token", AuthStyle: tc.style}})
			if _, err := x.Exchange(context.Background(), p.refreshToken("RT-style")); e.err(err) != nil {
				t.Fatal(err)
			}
			p.mu.Lock()
			auth, form := p.lastAuth, p.lastForm
			p.mu.Unlock()
			if got := strings.HasPrefix(auth, "Basic "); got != tc.wantBasic {
				t.Errorf("Basic auth = %v; want %v", got, tc.wantBasic)
			}
			if tc.wantBasic {
				b, _ := base64.StdEncoding.DecodeString(strings.TrimPrefix(auth, "Basic "))
				if string(b) != "my-client:"+tc.secret {
					t.Errorf("Basic credentials wrong")
				}
			}
			if got := form["client_id"] != nil; got != tc.wantIDBody {
				t.Errorf("client_id in body = %v; want %v", got, tc.wantIDBody)
			}
			if got := form["client_secret"] != nil; got != tc.wantSecret {
				t.Errorf("client_secret in body = %v; want %v", got, tc.wantSecret)
			}
			if p.calls.Load() != 1 {
				t.Errorf("calls = %d; want 1 (no auth-style probing: it would send the refresh token twice)", p.calls.Load())
			}
		})
	}
}

func TestOAuth2ErrorMapping(t *testing.T) {
	cases := []struct {
		status int
		body   string
		retry  string
		want   error
	}{
		{400, `{"error":"invalid_grant"}`, "", ErrReauthenticate},
		{400, `{"error":"invalid_request"}`, "", ErrMisconfigured},
		{400, `{"error":"unsupported_grant_type"}`, "", ErrMisconfigured},
		{404, `not found`, "", ErrMisconfigured},
		{429, ``, "7", ErrUnavailable},
		{503, `{"error":"temporarily_unavailable"}`, "", ErrUnavailable},
		{500, `{"error":"server_error"}`, "", ErrUnavailable},
		{200, `{"error":"invalid_grant"}`, "", ErrReauthenticate},
	}
	for _, tc := range cases {
		t.Run(fmt.Sprintf("%d %s", tc.status, tc.body), func(t *testing.T) {
			e := newEnv(t)
			p := newIDP(t, e)
			p.fault = func(w http.ResponseWriter, r *http.Request, call int64) bool {
				w.Header().Set("Content-Type", "application/json")
				if tc.retry != "" {
					w.Header().Set("Retry-After", tc.retry)
				}
				w.WriteHeader(tc.status)
				io.WriteString(w, tc.body)
				return true
			}
			_, err := p.exchanger().Exchange(context.Background(), p.refreshToken("RT-map"))
			if !errors.Is(e.err(err), tc.want) {
				t.Errorf("err = %v; want %v", err, tc.want)
			}
			var xe *ExchangeError
			if !errors.As(err, &xe) || xe.StatusCode != tc.status {
				t.Errorf("ExchangeError %v; want status %d", err, tc.status)
			}
			if tc.retry != "" && xe.RetryAfter != 7*time.Second {
				t.Errorf("RetryAfter = %v; want 7s", xe.RetryAfter)
			}
		})
	}
}

// TestRetryAfterDateIsReadOnTheSourceClock: an HTTP-date Retry-After is
// measured from the Source's clock, not the wall clock (R12).
func TestRetryAfterDateIsReadOnTheSourceClock(t *testing.T) {
	e := newEnv(t)
	p := newIDP(t, e)
	p.fault = func(w http.ResponseWriter, r *http.Request, call int64) bool {
		w.Header().Set("Retry-After", e.clock.Now().Add(30*time.Second).UTC().Format(http.TimeFormat))
		w.WriteHeader(http.StatusServiceUnavailable)
		return true
	}
	src := e.source(p.exchanger(), p.initialTokens(e.clock.Now()))
	_, err := src.Token(context.Background())
	var xe *ExchangeError
	if !errors.As(e.err(err), &xe) || xe.RetryAfter != 30*time.Second {
		t.Errorf("err = %v; want an ExchangeError with RetryAfter 30s", err)
	}
}

// fakeCognito is a cognito-idp JSON 1.1 endpoint.
type fakeCognito struct {
	srv     *httptest.Server
	calls   atomic.Int64
	lastOp  atomic.Value // string
	lastIn  atomic.Value // map[string]any
	respond func(op string, in map[string]any) (status int, body string, hdr map[string]string)
}

func newFakeCognito(t *testing.T, respond func(op string, in map[string]any) (int, string, map[string]string)) *fakeCognito {
	f := &fakeCognito{respond: respond}
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.calls.Add(1)
		op := r.Header.Get("X-Amz-Target")
		op = op[strings.LastIndexByte(op, '.')+1:]
		var in map[string]any
		json.NewDecoder(r.Body).Decode(&in)
		f.lastOp.Store(op)
		f.lastIn.Store(in)
		if r.Header.Get("Authorization") != "" {
			t.Errorf("request carries Authorization: InitiateAuth/GetTokensFromRefreshToken are unsigned")
		}
		status, body, hdr := f.respond(op, in)
		for k, v := range hdr {
			w.Header().Set(k, v)
		}
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		w.WriteHeader(status)
		io.WriteString(w, body)
	}))
	t.Cleanup(f.srv.Close)
	return f
}

func cognitoError(code, msg string) string {
	return fmt.Sprintf(`{"__type":%q,"message":%q}`, code, msg)
}

func TestCognitoInitiateAuthSecretHash(t *testing.T) {
	e := newEnv(t)
	at := e.sec.add(fakeJWT(map[string]any{"username": "user-uuid-1", "iat": 1000, "exp": 4600}))
	newAT := e.sec.add(fakeJWT(map[string]any{"username": "user-uuid-1", "iat": 2000, "exp": 5600}))
	f := newFakeCognito(t, func(op string, in map[string]any) (int, string, map[string]string) {
		return 200, fmt.Sprintf(`{"AuthenticationResult":{"AccessToken":%q,"IdToken":"id","ExpiresIn":3600,"TokenType":"Bearer"},"ChallengeParameters":{}}`, newAT), nil
	})
	secret := e.sec.add("cognito-client-secret")
	x, err := NewCognitoExchanger(CognitoConfig{Endpoint: f.srv.URL, ClientID: "client-1", ClientSecret: secret})
	if err != nil {
		t.Fatal(err)
	}
	rt := e.sec.add("RT-cognito-1")
	src := e.source(x, &Tokens{AccessToken: at, RefreshToken: rt, Expiry: e.clock.Now()})
	tk, err := src.Token(context.Background())
	if e.err(err) != nil {
		t.Fatal(err)
	}
	if tk.AccessToken != newAT || tk.RefreshToken != rt || !tk.Expiry.Equal(e.clock.Now().Add(time.Hour)) {
		t.Errorf("tokens %v; want new AT, old RT, expiry now+1h", tk)
	}
	in := f.lastIn.Load().(map[string]any)
	params := in["AuthParameters"].(map[string]any)
	if f.lastOp.Load() != "InitiateAuth" || in["AuthFlow"] != "REFRESH_TOKEN_AUTH" || in["ClientId"] != "client-1" {
		t.Errorf("request %v", in)
	}
	if params["REFRESH_TOKEN"] != rt || params["SECRET_HASH"] != SecretHash("user-uuid-1", "client-1", secret) {
		t.Errorf("AuthParameters wrong")
	}
	// Known answer (HMAC-SHA256 keyed with the secret over username+clientID).
	if got := SecretHash("alice", "client", "secret"); got != "RTsve+FQ659UKyESgvLg9GYmZEL+QjzQsW/OjL77/b0=" {
		t.Errorf("SecretHash = %s", got)
	}
	// Explicit Username wins over the claim.
	x2, _ := NewCognitoExchanger(CognitoConfig{Endpoint: f.srv.URL, ClientID: "client-1", ClientSecret: secret, Username: "explicit"})
	x2.ExchangeRequest(context.Background(), Request{Current: &Tokens{AccessToken: at, RefreshToken: rt}, Now: e.clock.Now})
	params = f.lastIn.Load().(map[string]any)["AuthParameters"].(map[string]any)
	if params["SECRET_HASH"] != SecretHash("explicit", "client-1", secret) {
		t.Errorf("explicit Username not used")
	}
	// No username anywhere: configuration error, nothing sent.
	n := f.calls.Load()
	_, err = x.Exchange(context.Background(), rt)
	if !errors.Is(e.err(err), ErrMisconfigured) || f.calls.Load() != n {
		t.Errorf("no username: %v", err)
	}
}

func TestCognitoGetTokensFromRefreshToken(t *testing.T) {
	e := newEnv(t)
	secret := e.sec.add("gtfrt-secret")
	f := newFakeCognito(t, func(op string, in map[string]any) (int, string, map[string]string) {
		if op != "GetTokensFromRefreshToken" {
			return 400, cognitoError("InvalidParameterException", "wrong op"), nil
		}
		return 200, `{"AuthenticationResult":{"AccessToken":"AT-g2","IdToken":"ID-g2","RefreshToken":"RT-g2","ExpiresIn":300,"TokenType":"Bearer"}}`, nil
	})
	e.sec.add("AT-g2")
	e.sec.add("RT-g2")
	x, err := NewCognitoExchanger(CognitoConfig{Region: "eu-west-1", Endpoint: f.srv.URL, ClientID: "c2", ClientSecret: secret,
		UseGetTokensFromRefreshToken: true, DeviceKey: "dev-1"})
	if err != nil {
		t.Fatal(err)
	}
	st := &MemoryStore{}
	src := e.source(x, &Tokens{AccessToken: e.sec.add("AT-g1"), RefreshToken: e.sec.add("RT-g1"), Expiry: e.clock.Now()}, WithStore(st))
	tk, err := src.Token(context.Background())
	if e.err(err) != nil {
		t.Fatal(err)
	}
	if tk.RefreshToken != "RT-g2" || tk.IDToken != "ID-g2" {
		t.Errorf("rotation not applied: %v", tk)
	}
	if saved, _ := st.Load(context.Background()); saved == nil || saved.RefreshToken != "RT-g2" {
		t.Errorf("rotated token not saved")
	}
	in := f.lastIn.Load().(map[string]any)
	if in["ClientSecret"] != secret || in["RefreshToken"] != "RT-g1" || in["ClientId"] != "c2" || in["DeviceKey"] != "dev-1" {
		t.Errorf("request %v", in)
	}
}

func TestCognitoErrorClassification(t *testing.T) {
	cases := []struct {
		status int
		body   string
		hdr    map[string]string
		want   error
		code   string
	}{
		{400, cognitoError("NotAuthorizedException", "Invalid Refresh Token."), nil, ErrReauthenticate, "NotAuthorizedException"},
		{400, cognitoError("RefreshTokenReuseException", "reused"), nil, ErrReauthenticate, "RefreshTokenReuseException"},
		{400, cognitoError("UserNotFoundException", "x"), nil, ErrReauthenticate, "UserNotFoundException"},
		{400, cognitoError("PasswordResetRequiredException", "x"), nil, ErrReauthenticate, "PasswordResetRequiredException"},
		{400, cognitoError("UserNotConfirmedException", "x"), nil, ErrReauthenticate, "UserNotConfirmedException"},
		{400, cognitoError("com.amazonaws#NotAuthorizedException:http://x", "x"), nil, ErrReauthenticate, "NotAuthorizedException"},
		{400, cognitoError("TooManyRequestsException", "slow down"), map[string]string{"Retry-After": "3"}, ErrUnavailable, "TooManyRequestsException"},
		{500, cognitoError("InternalErrorException", "x"), nil, ErrUnavailable, "InternalErrorException"},
		{503, ``, nil, ErrUnavailable, ""},
		{400, cognitoError("InvalidParameterException", "x"), nil, ErrMisconfigured, "InvalidParameterException"},
		{400, cognitoError("ResourceNotFoundException", "App Client X not found"), nil, ErrMisconfigured, "ResourceNotFoundException"},
		{400, cognitoError("UnsupportedOperationException", "x"), nil, ErrMisconfigured, "UnsupportedOperationException"},
		{400, cognitoError("OperationNotEnabledException", "x"), nil, ErrMisconfigured, "OperationNotEnabledException"},
		{500, cognitoError("CognitoLocal#Unsupported", "x"), nil, ErrMisconfigured, "Unsupported"},
		// A wrong or missing client secret is also NotAuthorizedException.
		{400, cognitoError("NotAuthorizedException", "Unable to verify secret hash for client c"), nil, ErrMisconfigured, "NotAuthorizedException"},
		{400, cognitoError("NotAuthorizedException", "Client c is configured for secret but secret was not received"), nil, ErrMisconfigured, "NotAuthorizedException"},
	}
	for _, tc := range cases {
		t.Run(tc.code+fmt.Sprint(tc.status), func(t *testing.T) {
			e := newEnv(t)
			rt := e.sec.add("RT-class-" + tc.code)
			f := newFakeCognito(t, func(op string, in map[string]any) (int, string, map[string]string) {
				return tc.status, tc.body, tc.hdr
			})
			x, _ := NewCognitoExchanger(CognitoConfig{Endpoint: f.srv.URL, ClientID: "c"})
			_, err := x.Exchange(context.Background(), rt)
			if !errors.Is(e.err(err), tc.want) {
				t.Errorf("err = %v; want %v", err, tc.want)
			}
			var xe *ExchangeError
			if !errors.As(err, &xe) || xe.Code != tc.code {
				t.Errorf("code = %q; want %q", xe.Code, tc.code)
			}
			if tc.hdr != nil && xe.RetryAfter != 3*time.Second {
				t.Errorf("RetryAfter = %v; want 3s", xe.RetryAfter)
			}
			if f.calls.Load() != 1 {
				t.Errorf("calls = %d; want 1 (SDK retries off)", f.calls.Load())
			}
		})
	}
	t.Run("network", func(t *testing.T) {
		x, _ := NewCognitoExchanger(CognitoConfig{Endpoint: "http://127.0.0.1:1", ClientID: "c"})
		if _, err := x.Exchange(context.Background(), "RT-net"); !errors.Is(err, ErrUnavailable) {
			t.Errorf("err = %v; want ErrUnavailable", err)
		}
	})
}

// TestCognitoSecretErrorsKeepTheTokens: Cognito's NotAuthorizedException
// about the client secret is a configuration error, not a dead refresh
// token: no retry, and the tokens stay in memory and in the Store (R09).
func TestCognitoSecretErrorsKeepTheTokens(t *testing.T) {
	e := newEnv(t)
	f := newFakeCognito(t, func(op string, in map[string]any) (int, string, map[string]string) {
		return 400, cognitoError("NotAuthorizedException", "SecretHash does not match for the client: c"), nil
	})
	x, _ := NewCognitoExchanger(CognitoConfig{Endpoint: f.srv.URL, ClientID: "c", ClientSecret: e.sec.add("wrong-secret"), Username: "u"})
	old := &Tokens{AccessToken: e.sec.add("AT-secret-err"), RefreshToken: e.sec.add("RT-secret-err"), Expiry: e.clock.Now()}
	st := &MemoryStore{}
	st.Save(context.Background(), old)
	src := e.source(x, old, WithStore(st))
	_, err := src.Token(context.Background())
	if !errors.Is(e.err(err), ErrMisconfigured) || errors.Is(err, ErrReauthenticate) {
		t.Errorf("err = %v; want ErrMisconfigured, not ErrReauthenticate", err)
	}
	if got, _ := st.Load(context.Background()); got == nil || got.RefreshToken != old.RefreshToken {
		t.Errorf("stored tokens %v; want the old ones kept", got)
	}
	if f.calls.Load() != 1 {
		t.Errorf("calls = %d; want 1", f.calls.Load())
	}
}

// TestCognitoUnusableAnswersAreInvalid: a success answer from the Cognito API
// that cannot be read (HTML, cut-off JSON) or is over 1 MiB is
// ErrInvalidResponse, tried once and not retried at once, like the OAuth 2.0
// exchanger's (R16, R17).
func TestCognitoUnusableAnswersAreInvalid(t *testing.T) {
	big := `{"AuthenticationResult":{"AccessToken":"` + strings.Repeat("a", 1<<20) + `","TokenType":"Bearer"}}`
	for _, tc := range []struct{ name, body string }{
		{"html", `<html><body>maintenance</body></html>`},
		{"cut-off JSON", `{"AuthenticationResult":{"AccessToken":"AT-cut`},
		{"over 1 MiB", big},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			f := newFakeCognito(t, func(op string, in map[string]any) (int, string, map[string]string) {
				return 200, tc.body, nil
			})
			x, _ := NewCognitoExchanger(CognitoConfig{Endpoint: f.srv.URL, ClientID: "c", UseGetTokensFromRefreshToken: true})
			old := &Tokens{AccessToken: e.sec.add("AT-unusable"), RefreshToken: e.sec.add("RT-unusable"), Expiry: e.clock.Now()}
			src := e.source(x, old)
			_, err := src.Token(context.Background())
			if !errors.Is(e.err(err), ErrInvalidResponse) {
				t.Errorf("err = %v; want ErrInvalidResponse", err)
			}
			if f.calls.Load() != 1 {
				t.Errorf("calls = %d; want 1 (not retried)", f.calls.Load())
			}
		})
	}
}

// TestOAuth2TokenURLMustBeHTTPS: the refresh token and the client secret go
// over TLS, or to a loopback host; any other token URL is a configuration
// error and nothing is sent (R24).
func TestOAuth2TokenURLMustBeHTTPS(t *testing.T) {
	for _, tc := range []struct {
		url  string
		sent bool
	}{
		{"http://idp.example.com/oauth2/token", false},
		{"HTTP://idp.example.com:8080/token", false},
		{"ftp://idp.example.com/token", false},
		{"/oauth2/token", false},
		{"https://idp.example.com/oauth2/token", true},
		{"http://127.0.0.1:9229/oauth2/token", true},
		{"http://localhost/token", true},
		{"http://[::1]:8080/token", true},
	} {
		t.Run(tc.url, func(t *testing.T) {
			e := newEnv(t)
			var calls atomic.Int64
			hc := &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
				calls.Add(1)
				return &http.Response{StatusCode: 200, Header: http.Header{"Content-Type": {"application/json"}},
					Body: io.NopCloser(strings.NewReader(`{"access_token":"AT-new","token_type":"Bearer"}`)), Request: r}, nil
			})}
			x := NewOAuth2Exchanger(&oauth2.Config{ClientID: "c", ClientSecret: e.sec.add("tls-secret"), Endpoint: oauth2.Endpoint{TokenURL: tc.url}})
			src := e.source(x, &Tokens{AccessToken: "AT-old", RefreshToken: e.sec.add("RT-tls"), Expiry: e.clock.Now()}, WithHTTPClient(hc))
			_, err := src.Token(context.Background())
			e.err(err)
			if got := calls.Load() > 0; got != tc.sent {
				t.Errorf("sent = %v; want %v", got, tc.sent)
			}
			if !tc.sent && !errors.Is(err, ErrMisconfigured) {
				t.Errorf("err = %v; want ErrMisconfigured", err)
			}
			if tc.sent && err != nil {
				t.Errorf("err = %v; want nil", err)
			}
		})
	}
}

func TestCognitoConfigValidation(t *testing.T) {
	bad := []CognitoConfig{
		{},
		{ClientID: "c"},
		{ClientID: "c", Endpoint: "http://cognito.example.com"},
		{ClientID: "c", Endpoint: "::not a url"},
	}
	for _, cfg := range bad {
		if _, err := NewCognitoExchanger(cfg); !errors.Is(err, ErrMisconfigured) {
			t.Errorf("NewCognitoExchanger(%+v) = %v; want ErrMisconfigured", cfg, err)
		}
	}
	good := []CognitoConfig{
		{ClientID: "c", Region: "eu-west-1"},
		{ClientID: "c", Endpoint: "http://127.0.0.1:9229"},
		{ClientID: "c", Endpoint: "http://localhost:9229"},
		{ClientID: "c", Endpoint: "https://cognito.example.com"},
	}
	for _, cfg := range good {
		if _, err := NewCognitoExchanger(cfg); err != nil {
			t.Errorf("NewCognitoExchanger(%+v) = %v", cfg, err)
		}
	}
}

func TestFileStore(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "tokens.json")
	fs := NewFileStore(path)
	ctx := context.Background()
	if tk, err := fs.Load(ctx); tk != nil || err != nil {
		t.Fatalf("Load of a missing file = %v, %v; want nil, nil", tk, err)
	}
	exp := time.Date(2026, 5, 6, 7, 8, 9, 0, time.UTC)
	want := &Tokens{AccessToken: "a", IDToken: "i", RefreshToken: "r", TokenType: "Bearer", Expiry: exp}
	for range 3 {
		if err := fs.Save(ctx, want); err != nil {
			t.Fatal(err)
		}
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("mode = %v; want 0600", fi.Mode().Perm())
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("directory holds %d entries; want only the token file (temp files renamed)", len(entries))
	}
	got, err := fs.Load(ctx)
	if err != nil || got == nil || !got.Expiry.Equal(exp) || got.AccessToken != "a" || got.RefreshToken != "r" || got.IDToken != "i" {
		t.Errorf("Load = %v, %v; want %v", got, err, want)
	}
	// A corrupt file is an error that does not quote its content.
	os.WriteFile(path, []byte(`{"refresh_token": "RT-in-file`), 0o600)
	if _, err := fs.Load(ctx); err == nil || strings.Contains(err.Error(), "RT-in-file") {
		t.Errorf("corrupt file: %v", err)
	}
	if err := fs.Save(ctx, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Errorf("Save(nil) left the file")
	}
	if err := fs.Save(ctx, nil); err != nil {
		t.Errorf("Save(nil) twice: %v", err)
	}
	// Into a missing directory: an error, not a panic.
	if err := NewFileStore(filepath.Join(dir, "no", "such", "f.json")).Save(ctx, want); err == nil {
		t.Errorf("Save into a missing directory succeeded")
	}
}

func TestSourceLoadsFromStore(t *testing.T) {
	e := newEnv(t)
	p := newIDP(t, e)
	p.rotate = true
	path := filepath.Join(t.TempDir(), "t.json")
	fs := NewFileStore(path)
	fs.Save(context.Background(), p.initialTokens(e.clock.Now().Add(time.Hour)))
	src := e.source(p.exchanger(), nil, WithStore(fs))
	tk, err := src.Token(context.Background())
	if e.err(err) != nil || tk.AccessToken != "AT-0-initial" || p.calls.Load() != 0 {
		t.Fatalf("loaded = %v, %v, calls %d", tk, err, p.calls.Load())
	}
	// Expired in the file: load, then refresh, then the file holds the new set.
	fs.Save(context.Background(), &Tokens{AccessToken: "AT-0-initial", RefreshToken: "RT-0-initial", Expiry: e.clock.Now()})
	src2 := e.source(p.exchanger(), nil, WithStore(fs))
	tk, err = src2.Token(context.Background())
	if e.err(err) != nil || tk.AccessToken != p.lastIssued() {
		t.Fatalf("refreshed = %v, %v", tk, err)
	}
	saved, _ := fs.Load(context.Background())
	if saved.RefreshToken != tk.RefreshToken || saved.AccessToken != tk.AccessToken {
		t.Errorf("file not updated with the rotated tokens")
	}
	// Empty store: sign-in required.
	src3 := e.source(p.exchanger(), nil, WithStore(&MemoryStore{}))
	if _, err := src3.Token(context.Background()); !errors.Is(e.err(err), ErrReauthenticate) {
		t.Errorf("empty store: %v; want ErrReauthenticate", err)
	}
	// No store, no tokens.
	src4 := e.source(p.exchanger(), nil)
	if _, err := src4.Token(context.Background()); !errors.Is(e.err(err), ErrReauthenticate) {
		t.Errorf("no tokens: %v; want ErrReauthenticate", err)
	}
}

func TestSaveFailureKeepsNewTokensInMemory(t *testing.T) {
	e := newEnv(t)
	p := newIDP(t, e)
	p.rotate = true
	st := &countingStore{fail: errors.New("disk full")}
	src := e.source(p.exchanger(), p.initialTokens(e.clock.Now()), WithStore(st))
	tk, err := src.Token(context.Background())
	if e.err(err) != nil || tk.AccessToken != p.lastIssued() || tk.RefreshToken == "RT-0-initial" {
		t.Fatalf("got %v, %v; want the new tokens", tk, err)
	}
	if !strings.Contains(e.logs.String(), "saving refreshed tokens failed") {
		t.Errorf("save failure not logged")
	}
	if err := src.SetTokens(context.Background(), p.initialTokens(e.clock.Now().Add(time.Hour))); !errors.Is(err, st.fail) {
		t.Errorf("SetTokens: %v; want the store error", err)
	}
	if tk, _ := src.Token(context.Background()); tk == nil || tk.AccessToken != "AT-0-initial" {
		t.Errorf("SetTokens did not install the tokens despite the store error")
	}
}

func TestSetTokensDuringRefreshWins(t *testing.T) {
	e := newEnv(t)
	p := newIDP(t, e)
	p.rotate = true
	p.block = make(chan struct{})
	st := &MemoryStore{}
	src := e.source(p.exchanger(), p.initialTokens(e.clock.Now()), WithStore(st))
	done := make(chan *Tokens)
	go func() {
		tk, err := src.Token(context.Background())
		e.err(err)
		done <- tk
	}()
	for p.calls.Load() < 1 {
		time.Sleep(time.Millisecond)
	}
	fresh := &Tokens{AccessToken: e.sec.add("AT-relogin"), RefreshToken: e.sec.add("RT-relogin"), Expiry: e.clock.Now().Add(time.Hour)}
	if err := src.SetTokens(context.Background(), fresh); err != nil {
		t.Fatal(err)
	}
	p.mu.Lock()
	close(p.block)
	p.block = nil
	p.mu.Unlock()
	if tk := <-done; tk == nil || tk.AccessToken != "AT-relogin" {
		t.Errorf("waiter got %v; want the re-login tokens", tk)
	}
	if saved, _ := st.Load(context.Background()); saved == nil || saved.RefreshToken != "RT-relogin" {
		t.Errorf("store holds %v; want the re-login tokens", saved)
	}
	if tk, _ := src.Token(context.Background()); tk.AccessToken != "AT-relogin" {
		t.Errorf("current = %v", tk)
	}
}

func TestTokenSourceAdapter(t *testing.T) {
	e := newEnv(t)
	p := newIDP(t, e)
	src := e.source(p.exchanger(), p.initialTokens(e.clock.Now()))
	ts := src.TokenSource()
	ot, err := ts.Token()
	if e.err(err) != nil {
		t.Fatal(err)
	}
	if ot.AccessToken != p.lastIssued() || ot.RefreshToken != "" || ot.Type() != "Bearer" {
		t.Errorf("oauth2 token: %q %q %q", ot.AccessToken, ot.RefreshToken, ot.Type())
	}
	if id, _ := ot.Extra("id_token").(string); !strings.HasPrefix(id, "ID-") {
		t.Errorf("id_token extra = %q", id)
	}
	// Works in x/oauth2's own transport.
	a := newAPI(t, acceptLatest(p))
	c := oauth2.NewClient(context.Background(), ts)
	if code, _ := get(t, e, c, a.srv.URL); code != 200 {
		t.Errorf("oauth2.NewClient status %d", code)
	}
}

func TestProactiveRefreshOnlyAfterExpiryMinusDelta(t *testing.T) {
	e := newEnv(t)
	p := newIDP(t, e)
	src := e.source(p.exchanger(), p.initialTokens(e.clock.Now().Add(time.Minute)), WithExpiryDelta(10*time.Second))
	src.Token(context.Background())
	e.clock.Advance(49 * time.Second)
	src.Token(context.Background())
	if p.calls.Load() != 0 {
		t.Errorf("refreshed before expiry − delta")
	}
	e.clock.Advance(time.Second)
	tk, _ := src.Token(context.Background())
	if p.calls.Load() != 1 || tk.AccessToken == "AT-0-initial" {
		t.Errorf("not refreshed at expiry − delta")
	}
	// The next token (expires_in 3600) is refreshed at its own expiry − delta.
	e.clock.Advance(3589 * time.Second)
	src.Token(context.Background())
	if p.calls.Load() != 1 {
		t.Errorf("refreshed early")
	}
	e.clock.Advance(time.Second)
	src.Token(context.Background())
	if p.calls.Load() != 2 {
		t.Errorf("calls = %d; want 2", p.calls.Load())
	}
}

func TestNilExchangerNoPanic(t *testing.T) {
	e := newEnv(t)
	src := e.source(nil, &Tokens{AccessToken: "a", RefreshToken: "r", Expiry: e.clock.Now()})
	if _, err := src.Token(context.Background()); !errors.Is(err, ErrMisconfigured) {
		t.Errorf("err = %v; want ErrMisconfigured", err)
	}
}

func TestInitialExpiryFromJWT(t *testing.T) {
	e := newEnv(t)
	exp := e.clock.Now().Add(time.Hour).Truncate(time.Second)
	at := fakeJWT(map[string]any{"exp": exp.Unix()})
	src := e.source(nil, &Tokens{AccessToken: at, RefreshToken: "r"})
	tk, err := src.Token(context.Background())
	if err != nil || !tk.Expiry.Equal(exp) {
		t.Errorf("expiry = %v, %v; want %v from exp", tk.Expiry, err, exp)
	}
}

func TestNoRefreshToken(t *testing.T) {
	e := newEnv(t)
	p := newIDP(t, e)
	src := e.source(p.exchanger(), &Tokens{AccessToken: "only-access", Expiry: e.clock.Now()})
	if _, err := src.Token(context.Background()); !errors.Is(e.err(err), ErrReauthenticate) || p.calls.Load() != 0 {
		t.Errorf("err %v, calls %d; want ErrReauthenticate without a call", err, p.calls.Load())
	}
}

func TestParseChallenges(t *testing.T) {
	got := parseChallenges(`Newauth realm="apps", type=1, title="Login to \"apps\"", Basic realm="simple", Bearer error="invalid_token", error_description="a, b"`)
	if len(got) != 3 {
		t.Fatalf("got %d challenges: %+v", len(got), got)
	}
	if got[0].scheme != "Newauth" || got[0].params["title"] != `Login to "apps"` || got[0].params["type"] != "1" {
		t.Errorf("first: %+v", got[0])
	}
	if got[2].scheme != "Bearer" || got[2].params["error"] != "invalid_token" || got[2].params["error_description"] != "a, b" {
		t.Errorf("third: %+v", got[2])
	}
	if got := parseChallenges(`Negotiate abc==, Bearer`); len(got) != 2 || got[1].scheme != "Bearer" {
		t.Errorf("token68: %+v", got)
	}
}

func TestSingleFlight100CallersOnExpiredToken(t *testing.T) {
	e := newEnv(t)
	p := newIDP(t, e)
	p.delay = 100 * time.Millisecond
	src := e.source(p.exchanger(), p.initialTokens(e.clock.Now().Add(-time.Minute)))
	const n = 100
	start := make(chan struct{})
	got := make(chan string, n)
	for range n {
		go func() {
			<-start
			tk, err := src.Token(context.Background())
			if e.err(err) != nil {
				got <- "error"
				return
			}
			got <- tk.AccessToken
		}()
	}
	close(start)
	for range n {
		if at := <-got; at != p.lastIssued() {
			t.Errorf("caller got %q; want the refreshed token", at)
		}
	}
	if c := p.calls.Load(); c != 1 {
		t.Errorf("exchanges = %d; want 1", c)
	}
}

// TestRetriesBackOffExponentiallyWithJitter: each wait between attempts
// lies in [d/2, d] for d = base·2ⁿ capped at max (R10).
func TestRetriesBackOffExponentiallyWithJitter(t *testing.T) {
	e := newEnv(t)
	p := newIDP(t, e)
	p.fault = func(w http.ResponseWriter, r *http.Request, call int64) bool {
		w.WriteHeader(http.StatusBadGateway)
		return true
	}
	src := e.source(p.exchanger(), p.initialTokens(e.clock.Now()), WithRetries(8), WithBackoff(time.Minute, 10*time.Minute))
	if _, err := src.Token(context.Background()); !errors.Is(e.err(err), ErrUnavailable) {
		t.Fatalf("err = %v; want ErrUnavailable", err)
	}
	sleeps := e.recordedSleeps()
	if len(sleeps) != 8 {
		t.Fatalf("%d waits; want 8 (one before each retry)", len(sleeps))
	}
	for n, d := range sleeps {
		hi := min(time.Minute<<n, 10*time.Minute)
		if d < hi/2 || d > hi {
			t.Errorf("wait %d = %v; want in [%v, %v]", n, d, hi/2, hi)
		}
	}
}

func TestRealBackoffSleep(t *testing.T) {
	e := newEnv(t)
	p := newIDP(t, e)
	p.fault = func(w http.ResponseWriter, r *http.Request, call int64) bool {
		if call == 1 {
			w.WriteHeader(http.StatusBadGateway)
			return true
		}
		return false
	}
	// Not e.source: the real timer-based sleep is used.
	src := NewSource(p.exchanger(), p.initialTokens(time.Now()), WithBackoff(time.Millisecond, 2*time.Millisecond), WithLogger(e.log))
	defer src.Close()
	tk, err := src.Token(context.Background())
	if e.err(err) != nil || tk.AccessToken != p.lastIssued() || p.calls.Load() != 2 {
		t.Errorf("got %v, %v after %d calls; want success on the retry", tk, err, p.calls.Load())
	}
	// Close during a backoff sleep aborts it.
	p.mu.Lock()
	p.fault = func(w http.ResponseWriter, r *http.Request, call int64) bool {
		w.WriteHeader(http.StatusBadGateway)
		return true
	}
	p.mu.Unlock()
	src2 := NewSource(p.exchanger(), p.initialTokens(time.Now()), WithBackoff(time.Hour, time.Hour), WithLogger(e.log))
	go func() {
		for p.calls.Load() < 3 {
			time.Sleep(time.Millisecond)
		}
		src2.Close()
	}()
	if _, err := src2.Token(context.Background()); !errors.Is(e.err(err), ErrClosed) {
		t.Errorf("err = %v; want ErrClosed", err)
	}
}

func TestWithMaxLifetime(t *testing.T) {
	e := newEnv(t)
	p := newIDP(t, e)
	p.expiresIn = 7200
	src := e.source(p.exchanger(), p.initialTokens(e.clock.Now().Add(48*time.Hour)), WithMaxLifetime(time.Hour))
	tk, _ := src.Token(context.Background())
	if want := e.clock.Now().Add(time.Hour); !tk.Expiry.Equal(want) || p.calls.Load() != 0 {
		t.Errorf("initial expiry %v; want clamped to %v", tk.Expiry, want)
	}
	e.clock.Advance(time.Hour)
	tk, _ = src.Token(context.Background())
	if want := e.clock.Now().Add(time.Hour); !tk.Expiry.Equal(want) || p.calls.Load() != 1 {
		t.Errorf("refreshed expiry %v; want clamped to %v", tk.Expiry, want)
	}
}
