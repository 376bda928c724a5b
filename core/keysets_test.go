package core

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jwtgate/jwtgate/core/jwttest"
	"github.com/jwtgate/jwtgate/internal/testsrv"
)

// K02, K08, K10: New refuses key-set tuning outside its bounds, naming the
// field; zero (the default) and values within the bounds are accepted.
func TestKeySetConfigOutOfBoundsIsRefused(t *testing.T) {
	for _, c := range []struct {
		name  string
		ks    KeySetConfig
		field string // "" when accepted
	}{
		{"zero", KeySetConfig{}, ""},
		{"all at their lower bounds", KeySetConfig{RefreshInterval: time.Minute, MinRefreshInterval: time.Second,
			FetchTimeout: 100 * time.Millisecond, RequestWait: time.Millisecond}, ""},
		{"all at their upper bounds", KeySetConfig{RefreshInterval: 24 * time.Hour, MinRefreshInterval: 5 * time.Minute,
			FetchTimeout: time.Minute, RequestWait: time.Minute}, ""},
		{"RefreshInterval too short", KeySetConfig{RefreshInterval: time.Second}, "RefreshInterval"},
		{"RefreshInterval too long", KeySetConfig{RefreshInterval: 25 * time.Hour}, "RefreshInterval"},
		{"RefreshInterval negative", KeySetConfig{RefreshInterval: -time.Minute}, "RefreshInterval"},
		{"MinRefreshInterval too short", KeySetConfig{MinRefreshInterval: time.Millisecond}, "MinRefreshInterval"},
		{"MinRefreshInterval too long", KeySetConfig{MinRefreshInterval: 10 * time.Minute}, "MinRefreshInterval"},
		{"MinRefreshInterval above RefreshInterval", KeySetConfig{RefreshInterval: time.Minute, MinRefreshInterval: 2 * time.Minute}, "MinRefreshInterval"},
		{"FetchTimeout too short", KeySetConfig{FetchTimeout: time.Millisecond}, "FetchTimeout"},
		{"FetchTimeout too long", KeySetConfig{FetchTimeout: time.Hour}, "FetchTimeout"},
		{"RequestWait negative", KeySetConfig{RequestWait: -1}, "RequestWait"},
		{"RequestWait above the default FetchTimeout", KeySetConfig{RequestWait: 6 * time.Second}, "RequestWait"},
		{"RequestWait above FetchTimeout", KeySetConfig{FetchTimeout: time.Second, RequestWait: 2 * time.Second}, "RequestWait"},
	} {
		t.Run(c.name, func(t *testing.T) {
			cfg := vtConfig()
			cfg.KeySet = c.ks
			v, err := New(t.Context(), cfg)
			if c.field == "" {
				if err != nil {
					t.Fatalf("got %v; want no error", err)
				}
				v.Close()
				return
			}
			if err == nil || !strings.Contains(err.Error(), "Config.KeySet."+c.field+" ") {
				t.Errorf("got %v; want an error naming Config.KeySet.%s", err, c.field)
			}
		})
	}
}

// Config.KeySet reaches the key sets: with a FetchTimeout of 100 ms a
// hanging key server fails the fetch long before the 5 s default would.
func TestKeySetConfigReachesTheKeySets(t *testing.T) {
	release := make(chan struct{})
	s := testsrv.New(t, func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	})
	t.Cleanup(func() { close(release) })
	v := vtNew(t, Config{Issuers: []Issuer{{URL: "https://issuer.test", JWKSURL: s.URL}}, Audience: []string{"api"},
		Logger: slog.New(slog.DiscardHandler), KeySet: KeySetConfig{FetchTimeout: 100 * time.Millisecond}})
	vtEventually(t, "a fetch to time out", func() bool { return v.KeySetStatus()[0].FetchFailures > 0 })
}

// K11: Ready is nil once every issuer's set has loaded; before, it names
// the issuers not loaded and matches ErrKeysUnavailable. It does not wait.
func TestReadyNamesTheIssuersNotLoaded(t *testing.T) {
	k := jwttest.NewKey("ES256", "k1")
	s := testsrv.New(t, testsrv.Status(http.StatusServiceUnavailable))
	v := vtNew(t, Config{
		Issuers: []Issuer{
			{URL: "https://static.test", JWKS: jwttest.JWKS(k)},
			{URL: "https://remote.test", JWKSURL: s.URL + "/jwks?api_key=secret"},
		},
		Audience: []string{"api"},
		Logger:   slog.New(slog.DiscardHandler),
	})
	vtEventually(t, "a failed fetch", func() bool { return v.KeySetStatus()[1].FetchFailures > 0 })
	err := v.Ready(t.Context())
	if !errors.Is(err, ErrKeysUnavailable) || !strings.Contains(err.Error(), "https://remote.test") ||
		strings.Contains(err.Error(), "https://static.test") {
		t.Errorf("remote set down: got %v; want ErrKeysUnavailable naming https://remote.test only", err)
	}
	st := v.KeySetStatus()
	if len(st) != 2 || st[0].Issuer != "https://static.test" || !st[0].Loaded || !st[0].Static ||
		st[1].Issuer != "https://remote.test" || st[1].Loaded || st[1].JWKSURL != s.URL+"/jwks?REDACTED" ||
		!strings.Contains(st[1].LastError, "status 503") || st[1].LastFailure.IsZero() {
		t.Errorf("KeySetStatus while down: got %+v", st)
	}

	s.Set(testsrv.JSON(jwttest.JWKS(k)))
	vtEventually(t, "the background retry to load the set", func() bool { return v.Ready(t.Context()) == nil })
	st = v.KeySetStatus()
	if !st[1].Loaded || st[1].Keys != 1 || !slices.Equal(st[1].KIDs, []string{"k1"}) || st[1].LastSuccess.IsZero() ||
		st[1].FetchFailures == 0 || st[1].ConsecutiveFailures != 0 || strings.Contains(st[1].LastError, "secret") {
		t.Errorf("KeySetStatus once loaded: got %+v", st[1])
	}

	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if err := v.Ready(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("ended context: got %v; want context.Canceled", err)
	}
	var nilV *Verifier
	if err := nilV.Ready(t.Context()); !errors.Is(err, ErrKeysUnavailable) {
		t.Errorf("nil Verifier: got %v; want ErrKeysUnavailable", err)
	}
	if st := nilV.KeySetStatus(); st != nil {
		t.Errorf("nil Verifier status: got %v; want nil", st)
	}
}

// KeySetStatus reports its times by the Verifier's clock (Config.Now), as
// every other time jwtgate reports: a static set's load, a remote set's
// failed and successful fetches.
func TestKeySetStatusTimesComeFromConfigNow(t *testing.T) {
	k := jwttest.NewKey("ES256", "k1")
	s := testsrv.New(t, testsrv.Status(http.StatusServiceUnavailable))
	cfg := vtConfig(k)
	cfg.Issuers = append(cfg.Issuers, Issuer{URL: "https://remote.test", JWKSURL: s.URL})
	v := vtNew(t, cfg) // cfg.Now is fixed at vtNow
	vtEventually(t, "a failed fetch", func() bool { return v.KeySetStatus()[1].FetchFailures > 0 })
	st := v.KeySetStatus()
	if got := st[0].LastSuccess; !got.Equal(vtNow) {
		t.Errorf("static set, LastSuccess: got %v; want %v", got, vtNow)
	}
	if got := st[1].LastFailure; !got.Equal(vtNow) {
		t.Errorf("remote set, LastFailure: got %v; want %v", got, vtNow)
	}

	s.Set(testsrv.JSON(jwttest.JWKS(k)))
	vtEventually(t, "the background retry to load the set", func() bool { return v.KeySetStatus()[1].Loaded })
	if got := v.KeySetStatus()[1].LastSuccess; !got.Equal(vtNow) {
		t.Errorf("remote set, LastSuccess: got %v; want %v", got, vtNow)
	}
}

// TestVerifyAfterClose: after Close a Verifier answers from the keys it
// holds (a request in flight during shutdown is still served), never
// fetches again (an unknown kid stays unknown, though the server now has
// the key), and a second Close is harmless.
func TestVerifyAfterClose(t *testing.T) {
	a, b := vtKey("ES256"), vtKey("EdDSA")
	srv := testsrv.New(t, testsrv.JSON(jwttest.JWKS(a)))
	cfg := vtConfig()
	cfg.Issuers = []Issuer{{URL: vtIss, JWKSURL: srv.URL}}
	v := vtNew(t, cfg)
	ctx := context.Background()
	if _, err := v.Verify(ctx, a.Sign(vtClaims())); err != nil {
		t.Fatal(err)
	}
	if err := v.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := v.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if c, err := v.Verify(ctx, a.Sign(vtClaims("sub", "after-close"))); err != nil || c.Subject != "after-close" {
		t.Errorf("a held key after Close: got %+v, %v; want the claims", c, err)
	}
	srv.Set(testsrv.JSON(jwttest.JWKS(a, b)))
	if _, err := v.Verify(ctx, b.Sign(vtClaims())); !errors.Is(err, ErrKeysUnavailable) {
		t.Errorf("a key published after Close: got %v; want ErrKeysUnavailable (no fetch can run)", err)
	}

	// A set that never loaded answers ErrKeysUnavailable after Close.
	down := testsrv.New(t, func(w http.ResponseWriter, r *http.Request) { http.Error(w, "down", http.StatusInternalServerError) })
	cfg.Issuers = []Issuer{{URL: vtIss, JWKSURL: down.URL}}
	v2 := vtNew(t, cfg)
	v2.Close()
	if _, err := v2.Verify(ctx, a.Sign(vtClaims())); !errors.Is(err, ErrKeysUnavailable) {
		t.Errorf("a set never loaded, after Close: got %v; want ErrKeysUnavailable", err)
	}
}
