package jwttest

import (
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// fakeClock is a settable clock for IssuerConfig.Now.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

type tokenAnswer struct {
	status int
	header http.Header
	body   map[string]any
	raw    string
}

// post sends form to the token endpoint; basic, when not nil, is
// {client_id, client_secret} for HTTP Basic.
func post(t *testing.T, i *Issuer, form url.Values, basic []string) tokenAnswer {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, i.TokenURL(), strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if basic != nil {
		req.SetBasicAuth(url.QueryEscape(basic[0]), url.QueryEscape(basic[1]))
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("POST: %v", err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	a := tokenAnswer{status: resp.StatusCode, header: resp.Header, raw: string(raw)}
	if strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		if err := json.Unmarshal(raw, &a.body); err != nil {
			t.Fatalf("answer %s: %v", raw, err)
		}
	}
	return a
}

func form(kv ...string) url.Values {
	v := url.Values{}
	for n := 0; n+1 < len(kv); n += 2 {
		v.Add(kv[n], kv[n+1])
	}
	return v
}

func claimsOf(t *testing.T, i *Issuer, tok string, now time.Time) (jwt.MapClaims, map[string]any) {
	t.Helper()
	c := i.Config()
	keys := map[string]*Key{c.Key.Kid: c.Key, c.IDKey.Kid: c.IDKey}
	var header map[string]any
	claims := jwt.MapClaims{}
	parsed, err := jwt.ParseWithClaims(tok, claims, func(tk *jwt.Token) (any, error) {
		header = tk.Header
		return keys[tk.Header["kid"].(string)].Public(), nil
	}, jwt.WithValidMethods(Algorithms()), jwt.WithTimeFunc(func() time.Time { return now }),
		jwt.WithIssuer(i.URL), jwt.WithExpirationRequired())
	if err != nil || !parsed.Valid {
		t.Fatalf("token does not verify: %v", err)
	}
	return claims, header
}

func TestIssuerPasswordGrantShapes(t *testing.T) {
	clock := &fakeClock{t: time.Unix(1_800_000_000, 0)}
	cases := []struct {
		name string
		cfg  IssuerConfig
		// want claims (subset) and absent claims
		access, id             map[string]any
		accessAbsent, idAbsent []string
		typ                    any
	}{
		{
			name: "generic",
			cfg:  IssuerConfig{ClientID: "app", Scopes: []string{"read", "write"}, Groups: []string{"admin"}, Now: clock.Now},
			access: map[string]any{"sub": "alice", "aud": "app", "client_id": "app", "scope": "read write",
				"iat": 1_800_000_000.0, "nbf": 1_800_000_000.0, "exp": 1_800_003_600.0, "groups": []any{"admin"}},
			id:           map[string]any{"sub": "alice", "aud": "app", "email": "alice@example.com", "exp": 1_800_003_600.0},
			accessAbsent: []string{"token_use", "username", "cognito:groups"},
			idAbsent:     []string{"token_use", "cognito:username"},
			typ:          "JWT",
		},
		{
			name: "cognito",
			cfg: IssuerConfig{ClientID: "app", ClientSecret: "s3cret", Groups: []string{"admin"}, Cognito: true,
				Now: clock.Now, AccessTTL: 5 * time.Minute, IDKey: NewKey("RS256", "id-key")},
			access: map[string]any{"sub": "alice", "client_id": "app", "token_use": "access", "username": "alice",
				"scope": DefaultCognitoScope, "cognito:groups": []any{"admin"}, "exp": 1_800_000_300.0, "version": 2.0},
			id: map[string]any{"sub": "alice", "aud": "app", "token_use": "id", "cognito:username": "alice",
				"cognito:groups": []any{"admin"}, "email_verified": true},
			accessAbsent: []string{"aud", "nbf", "groups"},
			idAbsent:     []string{"username", "groups"},
			typ:          nil,
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			i := NewIssuer(c.cfg)
			defer i.Close()
			f := form("grant_type", "password", "username", "alice", "password", "pw")
			var basic []string
			if c.cfg.ClientSecret != "" {
				basic = []string{c.cfg.ClientID, c.cfg.ClientSecret}
			} else {
				f.Set("client_id", c.cfg.ClientID)
			}
			a := post(t, i, f, basic)
			if a.status != 200 {
				t.Fatalf("status got %d (%s); want 200", a.status, a.raw)
			}
			if got := a.header.Get("Cache-Control"); got != "no-store" {
				t.Errorf("Cache-Control got %q; want no-store", got)
			}
			if a.body["token_type"] != "Bearer" || a.body["expires_in"] != i.Config().AccessTTL.Seconds() {
				t.Errorf("token_type/expires_in got %v/%v", a.body["token_type"], a.body["expires_in"])
			}
			if s, _ := a.body["refresh_token"].(string); s == "" {
				t.Errorf("password grant answered no refresh_token")
			}
			for _, tc := range []struct {
				kind   string
				want   map[string]any
				absent []string
			}{{"access_token", c.access, c.accessAbsent}, {"id_token", c.id, c.idAbsent}} {
				claims, header := claimsOf(t, i, a.body[tc.kind].(string), clock.Now())
				for k, v := range tc.want {
					g, _ := json.Marshal(claims[k])
					w, _ := json.Marshal(v)
					if string(g) != string(w) {
						t.Errorf("%s %s got %s; want %s", tc.kind, k, g, w)
					}
				}
				for _, k := range tc.absent {
					if _, ok := claims[k]; ok {
						t.Errorf("%s has %s; want absent", tc.kind, k)
					}
				}
				if claims["jti"] == nil || claims["iss"] != i.URL {
					t.Errorf("%s jti/iss got %v/%v", tc.kind, claims["jti"], claims["iss"])
				}
				if header["typ"] != c.typ {
					t.Errorf("%s typ got %v; want %v", tc.kind, header["typ"], c.typ)
				}
				wantKid := i.Config().Key.Kid
				if tc.kind == "id_token" {
					wantKid = i.Config().IDKey.Kid
				}
				if header["kid"] != wantKid {
					t.Errorf("%s kid got %v; want %v", tc.kind, header["kid"], wantKid)
				}
			}
		})
	}
}

func TestIssuerDiscoveryAndKeys(t *testing.T) {
	i := NewIssuer(IssuerConfig{Key: NewKey("ES256", "a"), IDKey: NewKey("RS256", "i")})
	defer i.Close()
	_, body := get(t, nil, i.DiscoveryURL())
	var doc map[string]any
	json.Unmarshal(body, &doc)
	if doc["token_endpoint"] != i.TokenURL() {
		t.Errorf("token_endpoint got %v; want %s", doc["token_endpoint"], i.TokenURL())
	}
	if _, body := get(t, nil, i.JWKSURL()); strings.Join(kids(t, body), ",") != "a,i" {
		t.Errorf("JWKS got %s; want kids a,i", body)
	}
}

func TestIssuerClientAuthentication(t *testing.T) {
	conf := NewIssuer(IssuerConfig{ClientID: "app", ClientSecret: "s:3 cret"})
	defer conf.Close()
	pub := NewIssuer(IssuerConfig{ClientID: "spa"})
	defer pub.Close()
	pw := func(kv ...string) url.Values {
		return form(append([]string{"grant_type", "password", "username", "bob", "password", "x"}, kv...)...)
	}
	cases := []struct {
		name   string
		i      *Issuer
		form   url.Values
		basic  []string
		status int
		err    string
	}{
		{"basic ok", conf, pw(), []string{"app", "s:3 cret"}, 200, ""},
		{"basic with matching body client_id", conf, pw("client_id", "app"), []string{"app", "s:3 cret"}, 200, ""},
		{"post ok", conf, pw("client_id", "app", "client_secret", "s:3 cret"), nil, 200, ""},
		{"basic wrong secret", conf, pw(), []string{"app", "nope"}, 401, "invalid_client"},
		{"basic wrong id", conf, pw(), []string{"other", "s:3 cret"}, 401, "invalid_client"},
		{"basic and body secret", conf, pw("client_secret", "s:3 cret"), []string{"app", "s:3 cret"}, 401, "invalid_client"},
		{"basic and other body client_id", conf, pw("client_id", "x"), []string{"app", "s:3 cret"}, 401, "invalid_client"},
		{"post wrong secret", conf, pw("client_id", "app", "client_secret", "nope"), nil, 401, "invalid_client"},
		{"post missing secret", conf, pw("client_id", "app"), nil, 401, "invalid_client"},
		{"no client", conf, pw(), nil, 401, "invalid_client"},
		{"public ok", pub, pw("client_id", "spa"), nil, 200, ""},
		{"public wrong id", pub, pw("client_id", "app"), nil, 401, "invalid_client"},
		{"public with a secret", pub, pw("client_id", "spa", "client_secret", "x"), nil, 401, "invalid_client"},
		{"public missing id", pub, pw(), nil, 401, "invalid_client"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			a := post(t, c.i, c.form, c.basic)
			if a.status != c.status {
				t.Fatalf("status got %d (%s); want %d", a.status, a.raw, c.status)
			}
			if c.err != "" && a.body["error"] != c.err {
				t.Errorf("error got %v; want %s", a.body["error"], c.err)
			}
			if c.basic != nil && c.status == 401 && a.header.Get("WWW-Authenticate") == "" {
				t.Errorf("401 after Basic has no WWW-Authenticate")
			}
		})
	}
}

func TestIssuerRequestErrors(t *testing.T) {
	i := NewIssuer(IssuerConfig{ClientID: "c", Users: map[string]string{"carol": "right"}})
	defer i.Close()
	cases := []struct {
		name   string
		form   url.Values
		status int
		err    string
	}{
		{"good user", form("client_id", "c", "grant_type", "password", "username", "carol", "password", "right"), 200, ""},
		{"wrong password", form("client_id", "c", "grant_type", "password", "username", "carol", "password", "wrong"), 400, "invalid_grant"},
		{"unknown user", form("client_id", "c", "grant_type", "password", "username", "dave", "password", "right"), 400, "invalid_grant"},
		{"empty password", form("client_id", "c", "grant_type", "password", "username", "carol", "password", ""), 400, "invalid_request"},
		{"no grant_type", form("client_id", "c"), 400, "invalid_request"},
		{"other grant", form("client_id", "c", "grant_type", "client_credentials"), 400, "unsupported_grant_type"},
		{"no refresh_token", form("client_id", "c", "grant_type", "refresh_token"), 400, "invalid_request"},
		{"unknown refresh_token", form("client_id", "c", "grant_type", "refresh_token", "refresh_token", "nope"), 400, "invalid_grant"},
		{"repeated parameter", form("client_id", "c", "grant_type", "password", "grant_type", "password"), 400, "invalid_request"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			a := post(t, i, c.form, nil)
			if a.status != c.status || (c.err != "" && a.body["error"] != c.err) {
				t.Errorf("got %d %s; want %d %s", a.status, a.raw, c.status, c.err)
			}
			if c.err != "" && a.header.Get("Cache-Control") != "no-store" {
				t.Errorf("error answer Cache-Control got %q; want no-store", a.header.Get("Cache-Control"))
			}
		})
	}
	// Wrong content type and method.
	resp, err := http.Post(i.TokenURL(), "application/json", strings.NewReader(`{"grant_type":"password"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 400 {
		t.Errorf("JSON body got %d; want 400", resp.StatusCode)
	}
	if resp, _ := get(t, nil, i.TokenURL()); resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("GET got %d; want 405", resp.StatusCode)
	}
	if got := i.TokenRequests(); got != int64(len(cases)+2) {
		t.Errorf("TokenRequests got %d; want %d", got, len(cases)+2)
	}
}

func refreshForm(rt string) url.Values {
	return form("grant_type", "refresh_token", "refresh_token", rt, "client_id", DefaultClientID)
}

func TestIssuerRefreshWithoutRotation(t *testing.T) {
	clock := &fakeClock{t: time.Unix(1_800_000_000, 0)}
	i := NewIssuer(IssuerConfig{Now: clock.Now, RefreshTTL: time.Hour})
	defer i.Close()
	_, _, rt := i.Tokens("alice")
	for n := range 3 {
		clock.Add(10 * time.Minute)
		a := post(t, i, refreshForm(rt), nil)
		if a.status != 200 {
			t.Fatalf("refresh %d got %d %s; want 200", n, a.status, a.raw)
		}
		if _, ok := a.body["refresh_token"]; ok {
			t.Errorf("answer without rotation carries refresh_token")
		}
		claims, _ := claimsOf(t, i, a.body["access_token"].(string), clock.Now())
		if claims["iat"] != float64(clock.Now().Unix()) || claims["auth_time"] != 1_800_000_000.0 {
			t.Errorf("iat/auth_time got %v/%v; want %d/1800000000", claims["iat"], claims["auth_time"], clock.Now().Unix())
		}
	}
	clock.Add(30 * time.Minute) // 60 min after issue: expired
	if a := post(t, i, refreshForm(rt), nil); a.status != 400 || a.body["error"] != "invalid_grant" {
		t.Errorf("expired refresh token got %d %s; want 400 invalid_grant", a.status, a.raw)
	}
	if i.ReuseDetected() != 0 {
		t.Errorf("ReuseDetected got %d; want 0", i.ReuseDetected())
	}
}

func TestIssuerRefreshRotationReuse(t *testing.T) {
	i := NewIssuer(IssuerConfig{Rotate: true})
	defer i.Close()
	_, _, rt1 := i.Tokens("alice")
	a := post(t, i, refreshForm(rt1), nil)
	rt2, _ := a.body["refresh_token"].(string)
	if a.status != 200 || rt2 == "" || rt2 == rt1 {
		t.Fatalf("first refresh got %d %s; want 200 with a new refresh_token", a.status, a.raw)
	}
	a = post(t, i, refreshForm(rt2), nil)
	rt3, _ := a.body["refresh_token"].(string)
	if a.status != 200 || rt3 == "" {
		t.Fatalf("second refresh got %d %s; want 200", a.status, a.raw)
	}
	// Reuse of rt1 → invalid_grant, and the family (rt3 too) is revoked.
	if a := post(t, i, refreshForm(rt1), nil); a.status != 400 || a.body["error"] != "invalid_grant" {
		t.Errorf("reuse got %d %s; want 400 invalid_grant", a.status, a.raw)
	}
	if a := post(t, i, refreshForm(rt3), nil); a.status != 400 || a.body["error"] != "invalid_grant" {
		t.Errorf("family member after reuse got %d %s; want 400 invalid_grant", a.status, a.raw)
	}
	if got := i.ReuseDetected(); got != 1 {
		t.Errorf("ReuseDetected got %d; want 1", got)
	}
	// Another family is unaffected.
	_, _, other := i.Tokens("bob")
	if a := post(t, i, refreshForm(other), nil); a.status != 200 {
		t.Errorf("other family got %d %s; want 200", a.status, a.raw)
	}
}

func TestIssuerRevokeAndFailNext(t *testing.T) {
	i := NewIssuer(IssuerConfig{})
	defer i.Close()
	_, _, rt := i.Tokens("alice")
	i.FailNext(503, "busy")
	i.FailNext(400, `{"error":"invalid_scope"}`)
	a := post(t, i, refreshForm(rt), nil)
	if a.status != 503 || a.raw != "busy" || !strings.HasPrefix(a.header.Get("Content-Type"), "text/plain") {
		t.Errorf("first failure got %d %q %q", a.status, a.raw, a.header.Get("Content-Type"))
	}
	a = post(t, i, refreshForm(rt), nil)
	if a.status != 400 || a.body["error"] != "invalid_scope" {
		t.Errorf("second failure got %d %s", a.status, a.raw)
	}
	if a := post(t, i, refreshForm(rt), nil); a.status != 200 {
		t.Errorf("after failures got %d %s; want 200", a.status, a.raw)
	}
	if !i.Revoke(rt) || i.Revoke("unknown") {
		t.Errorf("Revoke results wrong")
	}
	if a := post(t, i, refreshForm(rt), nil); a.status != 400 || a.body["error"] != "invalid_grant" {
		t.Errorf("revoked got %d %s; want 400 invalid_grant", a.status, a.raw)
	}
	if got := i.TokenRequests(); got != 4 {
		t.Errorf("TokenRequests got %d; want 4", got)
	}
}

func TestIssuerTokenHandlerWrap(t *testing.T) {
	i := NewIssuer(IssuerConfig{})
	defer i.Close()
	var seen sync.Map
	inner := i.TokenHandler()
	i.SetHandler(TokenPath, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		seen.Store(r.PostForm.Get("grant_type"), true)
		inner.ServeHTTP(w, r)
	}))
	_, _, rt := i.Tokens("alice")
	if a := post(t, i, refreshForm(rt), nil); a.status != 200 {
		t.Errorf("wrapped got %d %s; want 200", a.status, a.raw)
	}
	if _, ok := seen.Load("refresh_token"); !ok {
		t.Errorf("wrapper did not see the request")
	}
	if got := i.TokenRequests(); got != 1 {
		t.Errorf("TokenRequests got %d; want 1", got)
	}
}

// TestIssuerConcurrentRotation sends one refresh token from many goroutines:
// exactly one wins; the rest are reuse, which revokes the family.
func TestIssuerConcurrentRotation(t *testing.T) {
	i := NewIssuer(IssuerConfig{Rotate: true, Key: NewKey("ES256", "k")})
	defer i.Close()
	_, _, rt := i.Tokens("alice")
	const n = 16
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		ok, fail int
		winner   string
	)
	for range n {
		wg.Go(func() {
			req, _ := http.NewRequest(http.MethodPost, i.TokenURL(), strings.NewReader(refreshForm(rt).Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Errorf("POST: %v", err)
				return
			}
			var body map[string]any
			json.NewDecoder(resp.Body).Decode(&body)
			resp.Body.Close()
			mu.Lock()
			defer mu.Unlock()
			switch {
			case resp.StatusCode == 200:
				ok++
				winner, _ = body["refresh_token"].(string)
			case body["error"] == "invalid_grant":
				fail++
			default:
				t.Errorf("unexpected answer %d %v", resp.StatusCode, body)
			}
		})
	}
	wg.Wait()
	if ok != 1 || fail != n-1 {
		t.Fatalf("ok/fail got %d/%d; want 1/%d", ok, fail, n-1)
	}
	if got := i.ReuseDetected(); got != n-1 {
		t.Errorf("ReuseDetected got %d; want %d", got, n-1)
	}
	if a := post(t, i, refreshForm(winner), nil); a.status != 400 {
		t.Errorf("winner's token after family revocation got %d; want 400", a.status)
	}
	if got := i.TokenRequests(); got != n+1 {
		t.Errorf("TokenRequests got %d; want %d", got, n+1)
	}
}

func TestIssuerBasicFormEncoding(t *testing.T) {
	// RFC 6749 §2.3.1: a client that does not form-encode a plain secret
	// still authenticates (no reserved characters).
	i := NewIssuer(IssuerConfig{ClientID: "app", ClientSecret: "plain"})
	defer i.Close()
	req, _ := http.NewRequest(http.MethodPost, i.TokenURL(), strings.NewReader("grant_type=password&username=u&password=p"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	req.Header.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte("app:plain")))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("got %d; want 200", resp.StatusCode)
	}
}
