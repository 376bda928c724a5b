package jwttest

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/MicahParks/jwkset"
	"github.com/golang-jwt/jwt/v5"
)

func get(t *testing.T, c *http.Client, url string) (*http.Response, []byte) {
	t.Helper()
	if c == nil {
		c = http.DefaultClient
	}
	resp, err := c.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read %s: %v", url, err)
	}
	return resp, b
}

func kids(t *testing.T, body []byte) []string {
	t.Helper()
	var set jwkset.JWKSMarshal
	if err := json.Unmarshal(body, &set); err != nil {
		t.Fatalf("JWKS %s: %v", body, err)
	}
	jwks, err := set.JWKSlice()
	if err != nil {
		t.Fatalf("jwkset rejected the set: %v", err)
	}
	var out []string
	for _, j := range jwks {
		out = append(out, j.Marshal().KID)
	}
	return out
}

func TestServerDiscoveryAndJWKS(t *testing.T) {
	a, b := NewKey("RS256", "a"), NewKey("ES256", "b")
	s := NewServer(a, b)
	defer s.Close()

	if !strings.HasPrefix(s.URL, "http://127.0.0.1:") {
		t.Errorf("URL got %s; want http://127.0.0.1:port", s.URL)
	}
	resp, body := get(t, nil, s.DiscoveryURL())
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("discovery Content-Type got %q; want application/json", ct)
	}
	var doc map[string]any
	if err := json.Unmarshal(body, &doc); err != nil {
		t.Fatal(err)
	}
	if doc["issuer"] != s.URL || doc["jwks_uri"] != s.JWKSURL() {
		t.Errorf("discovery got issuer %v jwks_uri %v; want %s, %s", doc["issuer"], doc["jwks_uri"], s.URL, s.JWKSURL())
	}
	if _, ok := doc["token_endpoint"]; ok {
		t.Errorf("plain Server advertises a token endpoint")
	}
	if got, _ := json.Marshal(doc["id_token_signing_alg_values_supported"]); string(got) != `["RS256","ES256"]` {
		t.Errorf("algs got %s; want [\"RS256\",\"ES256\"]", got)
	}

	resp, body = get(t, nil, s.JWKSURL())
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("JWKS Content-Type got %q; want application/json", ct)
	}
	if got := strings.Join(kids(t, body), ","); got != "a,b" {
		t.Errorf("kids got %s; want a,b", got)
	}
	if got := s.Fetches(); got != 1 {
		t.Errorf("Fetches got %d; want 1", got)
	}
	if got := s.Discoveries(); got != 1 {
		t.Errorf("Discoveries got %d; want 1", got)
	}

	// A token signed by a served key verifies with the served JWK.
	var set jwkset.JWKSMarshal
	json.Unmarshal(body, &set)
	store, err := set.ToStorage()
	if err != nil {
		t.Fatal(err)
	}
	tok := b.Sign(map[string]any{"iss": s.URL, "exp": 4102444800})
	_, err = jwt.Parse(tok, func(tk *jwt.Token) (any, error) {
		j, err := store.KeyRead(t.Context(), tk.Header["kid"].(string))
		return j.Key(), err
	}, jwt.WithValidMethods([]string{"ES256"}))
	if err != nil {
		t.Errorf("token did not verify with the served key: %v", err)
	}
}

func TestServerRotationAndOverrides(t *testing.T) {
	a, b := NewKey("EdDSA", "a"), NewKey("EdDSA", "b")
	s := NewServer(a)
	defer s.Close()

	s.SetKeys(a, b)
	if _, body := get(t, nil, s.JWKSURL()); strings.Join(kids(t, body), ",") != "a,b" {
		t.Errorf("after SetKeys(a,b) got %s", body)
	}
	s.SetKeys(b)
	if _, body := get(t, nil, s.JWKSURL()); strings.Join(kids(t, body), ",") != "b" {
		t.Errorf("after SetKeys(b) got %s", body)
	}
	s.SetJWKS([]byte(`{"keys":[{"kty":"RSA","n":"!"}]}`))
	if _, body := get(t, nil, s.JWKSURL()); string(body) != `{"keys":[{"kty":"RSA","n":"!"}]}` {
		t.Errorf("after SetJWKS got %s", body)
	}
	s.SetHandler(JWKSPath, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "down", http.StatusServiceUnavailable)
	}))
	if resp, _ := get(t, nil, s.JWKSURL()); resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("override status got %d; want 503", resp.StatusCode)
	}
	s.SetHandler(JWKSPath, nil)
	s.SetKeys(a)
	if _, body := get(t, nil, s.JWKSURL()); strings.Join(kids(t, body), ",") != "a" {
		t.Errorf("after restore got %s", body)
	}
	if got := s.Fetches(); got != 5 {
		t.Errorf("Fetches got %d; want 5 (overridden requests count too)", got)
	}

	s.SetHandler("/other", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "x") }))
	if resp, body := get(t, nil, s.URL+"/other"); resp.StatusCode != 200 || string(body) != "x" {
		t.Errorf("extra path got %d %s", resp.StatusCode, body)
	}
	if resp, _ := get(t, nil, s.URL+"/nope"); resp.StatusCode != http.StatusNotFound {
		t.Errorf("unknown path got %d; want 404", resp.StatusCode)
	}
	if resp, _ := get(t, nil, s.URL+TokenPath); resp.StatusCode != http.StatusNotFound {
		t.Errorf("token path on plain Server got %d; want 404", resp.StatusCode)
	}
	resp, err := http.Post(s.JWKSURL(), "text/plain", strings.NewReader("x"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST JWKS got %d; want 405", resp.StatusCode)
	}
}

func TestTLSServer(t *testing.T) {
	s := NewTLSServer(NewKey("ES384", "t"))
	defer s.Close()
	if !strings.HasPrefix(s.URL, "https://127.0.0.1:") {
		t.Errorf("URL got %s; want https://127.0.0.1:port", s.URL)
	}
	if _, body := get(t, s.Client(), s.JWKSURL()); strings.Join(kids(t, body), ",") != "t" {
		t.Errorf("got %s", body)
	}
	if _, err := http.Get(s.JWKSURL()); err == nil {
		t.Errorf("default client trusted the test certificate")
	}
}

func TestServerConcurrentRotation(t *testing.T) {
	keys := []*Key{NewKey("HS256", "1"), NewKey("HS256", "2"), NewKey("HS256", "3")}
	s := NewServer(keys[0])
	defer s.Close()
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for n := range 20 {
				if g == 0 {
					s.SetKeys(keys[n%3])
					continue
				}
				resp, err := http.Get(s.JWKSURL())
				if err != nil {
					t.Errorf("GET: %v", err)
					return
				}
				var set struct{ Keys []map[string]any }
				err = json.NewDecoder(resp.Body).Decode(&set)
				resp.Body.Close()
				if err != nil || len(set.Keys) != 1 {
					t.Errorf("got %v keys, err %v; want 1", len(set.Keys), err)
				}
			}
		})
	}
	wg.Wait()
	if got := s.Fetches(); got != 7*20 {
		t.Errorf("Fetches got %d; want %d", got, 7*20)
	}
}
