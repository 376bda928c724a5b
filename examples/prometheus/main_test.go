package main

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/jwtgate/jwtgate/core"
	"github.com/jwtgate/jwtgate/core/jwttest"
	"github.com/jwtgate/jwtgate/examples/internal/exampleenv"
)

func TestRunEmbedded(t *testing.T) {
	base, token := exampleenv.Start(t, run)
	if status, _, body := exampleenv.Get(t, base, "/me", token); status != http.StatusOK || body != "alice" {
		t.Errorf("GET /me: got %d %q; want 200 alice", status, body)
	}
	if status, _, body := exampleenv.Get(t, base, "/metrics", ""); status != http.StatusOK || !strings.Contains(body, "jwtgate_requests_total") {
		t.Errorf("GET /metrics: got %d %q; want 200 with jwtgate_requests_total", status, body)
	}
}

// TestMetricsAfterRequests sends a few requests through the API and checks
// the counters scraped from /metrics.
func TestMetricsAfterRequests(t *testing.T) {
	const (
		iss = "https://idp.example"
		aud = "orders-api"
	)
	now := time.Unix(1_700_000_000, 0)
	key := jwttest.NewKey("ES256", "k1")
	reg := prometheus.NewRegistry()
	m, err := NewMetrics(reg)
	if err != nil {
		t.Fatal(err)
	}
	v, err := core.New(context.Background(), core.Config{
		Issuers:  []core.Issuer{{URL: iss, JWKS: jwttest.JWKS(key)}},
		Audience: []string{aud},
		Now:      func() time.Time { return now },
		OnResult: m.OnResult,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	srv := httptest.NewServer(newAPI(v, reg, "orders/read"))
	defer srv.Close()

	token := func(exp time.Time) string {
		return key.Sign(map[string]any{"iss": iss, "aud": aud, "sub": "alice", "scope": "orders/read", "exp": exp.Unix()})
	}
	good, expired := token(now.Add(time.Hour)), token(now.Add(-time.Hour))
	for _, r := range []struct {
		path, token string
		status      int
	}{
		{"/me", good, 200},     // miss
		{"/me", good, 200},     // hit
		{"/orders", good, 200}, // hit
		{"/me", expired, 401},
		{"/me", "", 401},
		{"/me", "not.a.token", 401},
	} {
		if status, _, _ := exampleenv.Get(t, srv.URL, r.path, r.token); status != r.status {
			t.Errorf("GET %s: got %d; want %d", r.path, status, r.status)
		}
	}

	got := scrape(t, srv.URL+"/metrics")
	for series, want := range map[string]float64{
		`jwtgate_requests_total{class="ok",issuer="` + iss + `",reason=""}`:                   3,
		`jwtgate_requests_total{class="invalid_token",issuer="` + iss + `",reason="expired"}`: 1,
		`jwtgate_requests_total{class="invalid_token",issuer="",reason="malformed"}`:          1,
		`jwtgate_requests_total{class="missing",issuer="",reason=""}`:                         1,
		`jwtgate_cache_requests_total{result="hit"}`:                                          2,
		`jwtgate_cache_requests_total{result="miss"}`:                                         3,
	} {
		if g, ok := got[series]; !ok || g != want {
			t.Errorf("%s: got %v (present: %v); want %v", series, g, ok, want)
		}
	}
}

// scrape gets url and returns each sample line's series (name and labels as
// written) and value.
func scrape(t *testing.T, url string) map[string]float64 {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("GET /metrics: got %d %s; want 200", resp.StatusCode, b)
	}
	out := map[string]float64{}
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		f, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			t.Fatalf("line %q: %v", line, err)
		}
		out[line[:i]] = f
	}
	return out
}

// TestKeySetCollector scrapes the key-set metrics of a remote issuer that
// loaded and of one whose key server fails.
func TestKeySetCollector(t *testing.T) {
	key := jwttest.NewKey("ES256", "k1")
	idp := jwttest.NewServer(key)
	defer idp.Close()
	down := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusInternalServerError)
	}))
	defer down.Close()
	const downIss = "https://down.example"

	v, err := core.New(context.Background(), core.Config{
		Issuers: []core.Issuer{
			{URL: idp.URL, JWKSURL: idp.JWKSURL()},
			{URL: downIss, JWKSURL: down.URL},
		},
		Audience: []string{"orders-api"},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	deadline := time.Now().Add(5 * time.Second)
	for {
		st := v.KeySetStatus()
		if st[0].Loaded && st[1].FetchFailures > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("key sets did not settle: %+v", st)
		}
		time.Sleep(10 * time.Millisecond)
	}

	reg := prometheus.NewRegistry()
	c := NewKeySetCollector(v)
	last := v.KeySetStatus()[0].LastSuccess
	c.now = func() time.Time { return last.Add(42 * time.Second) }
	reg.MustRegister(c)
	srv := httptest.NewServer(newAPI(v, reg, "orders/read"))
	defer srv.Close()

	got := scrape(t, srv.URL+"/metrics")
	up, dn := `{issuer="`+idp.URL+`"}`, `{issuer="`+downIss+`"}`
	for series, want := range map[string]float64{
		"jwtgate_keyset_loaded" + up:               1,
		"jwtgate_keyset_keys" + up:                 1,
		"jwtgate_keyset_age_seconds" + up:          42,
		"jwtgate_keyset_consecutive_failures" + up: 0,
		"jwtgate_keyset_fetch_failures_total" + up: 0,
		"jwtgate_keyset_loaded" + dn:               0,
		"jwtgate_keyset_keys" + dn:                 0,
	} {
		if g, ok := got[series]; !ok || g != want {
			t.Errorf("%s: got %v (present: %v); want %v", series, g, ok, want)
		}
	}
	for _, series := range []string{"jwtgate_keyset_consecutive_failures" + dn, "jwtgate_keyset_fetch_failures_total" + dn} {
		if g := got[series]; g < 1 {
			t.Errorf("%s: got %v; want at least 1", series, g)
		}
	}
	if _, ok := got["jwtgate_keyset_age_seconds"+dn]; ok {
		t.Errorf("got an age for a set that never loaded; want none")
	}
}
