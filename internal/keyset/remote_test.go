package keyset

import (
	"context"
	"crypto/rsa"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jwtgate/jwtgate/internal/alg"
	"github.com/jwtgate/jwtgate/internal/testsrv"
)

// Remote key sets against httptest servers that produce each fault of
// docs/SECURITY.md "JWKS endpoint faults" (J01–J25).

// J01: down at startup: New does not fail, keys are unavailable (503), the
// background retry loads the set once the endpoint recovers.
func TestStartsWhileTheJWKSIsDown(t *testing.T) {
	good := ksSet(ksRSAJWK(ksRSAPub("rsaA"), "a"))
	t.Run("500", func(t *testing.T) {
		var log ksLog
		s := testsrv.New(t, testsrv.Status(http.StatusInternalServerError))
		ks := ksRemote(t, s.URL, ksOpts(&log))
		ksEventually(t, "a failed fetch", func() bool { return s.Fetches.Load() >= 1 && strings.Contains(log.String(), "refresh failed") })
		if ks.Ready() {
			t.Fatalf("ready() = true; want false")
		}
		_, err := ks.Key(t.Context(), "a", alg.RS256)
		if !errors.Is(err, ErrUnavailable) || errors.Is(err, ErrUnknownKey) {
			t.Fatalf("got %v; want ErrUnavailable", err)
		}
		s.Set(testsrv.JSON(good))
		ksWaitReady(t, ks) // background retry with backoff, no request needed
		ksMustKey(t, ks, "a", "RS256")
		if n := s.Fetches.Load(); n < 2 {
			t.Errorf("fetches = %d; want >= 2 (retried)", n)
		}
	})
	t.Run("connection refused", func(t *testing.T) {
		s := httptest.NewServer(http.NotFoundHandler())
		url := s.URL
		s.Close()
		ks := ksRemote(t, url+"/jwks", ksOpts(nil))
		_, err := ks.Key(t.Context(), "a", alg.RS256)
		if !errors.Is(err, ErrUnavailable) {
			t.Fatalf("got %v; want ErrUnavailable", err)
		}
		if ks.Ready() {
			t.Errorf("ready() = true; want false")
		}
	})
	t.Run("first request waits for the first load", func(t *testing.T) {
		s := testsrv.New(t, testsrv.JSON(good))
		ks := ksRemote(t, s.URL, ksOpts(nil))
		ksMustKey(t, ks, "a", "RS256") // no sleep: joins the load started by the constructor
	})
}

// J02: a hanging or dripping endpoint: the request waits at most RequestWait,
// the fetch at most FetchTimeout.
func TestBoundsWaitsOnAHangingJWKS(t *testing.T) {
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	var active atomic.Int64
	hang := func(w http.ResponseWriter, r *http.Request) {
		active.Add(1)
		defer active.Add(-1)
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}
	drip := func(w http.ResponseWriter, r *http.Request) {
		active.Add(1)
		defer active.Add(-1)
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"keys":[`))
		for {
			w.(http.Flusher).Flush()
			select {
			case <-r.Context().Done():
				return
			case <-release:
				return
			case <-time.After(20 * time.Millisecond):
				w.Write([]byte(" "))
			}
		}
	}
	for name, h := range map[string]http.HandlerFunc{"hang": hang, "drip": drip} {
		t.Run(name, func(t *testing.T) {
			s := testsrv.New(t, h)
			o := ksOpts(nil)
			o.FetchTimeout = 300 * time.Millisecond
			o.RequestWait = 50 * time.Millisecond
			o.retryMin = 10 * time.Millisecond
			o.retryMax = 10 * time.Millisecond
			ks := ksRemote(t, s.URL, o)
			ksEventually(t, "the server to be hit", func() bool { return active.Load() > 0 })
			_, err := ks.Key(t.Context(), "a", alg.RS256)
			if !errors.Is(err, ErrUnavailable) {
				t.Fatalf("got %v; want ErrUnavailable", err)
			}
			// The request came back while the server was still holding the fetch.
			if active.Load() == 0 {
				t.Errorf("the fetch ended before the request: the request was not bounded by RequestWait")
			}
			// The fetch itself is abandoned at FetchTimeout and retried.
			ksEventually(t, "a retried fetch", func() bool { return s.Fetches.Load() >= 2 })
			if ks.Ready() {
				t.Errorf("ready() = true; want false")
			}
		})
	}
}

// J03: 500 on periodic refresh keeps the last good set, with backoff.
func TestKeepsTheLastGoodSetOnRefreshErrors(t *testing.T) {
	var log ksLog
	s := testsrv.New(t, testsrv.JSON(ksSet(ksRSAJWK(ksRSAPub("rsaA"), "a"))))
	o := ksOpts(&log)
	o.RefreshInterval = 20 * time.Millisecond
	o.retryMin = 10 * time.Millisecond
	o.retryMax = 40 * time.Millisecond
	ks := ksRemote(t, s.URL, o)
	ksWaitReady(t, ks)
	vk := ksMustKey(t, ks, "a", "RS256")
	for _, code := range []int{500, 502, 503, 404} {
		n := s.Fetches.Load()
		s.Set(testsrv.Status(code))
		ksEventually(t, fmt.Sprintf("3 failed refreshes with %d", code), func() bool { return s.Fetches.Load() >= n+3 })
		if got := ksMustKey(t, ks, "a", "RS256"); got != vk || got.removed.Load() {
			t.Fatalf("status %d: the last good key was not kept", code)
		}
	}
	if !strings.Contains(log.String(), "level=ERROR") || !strings.Contains(log.String(), "failures=3") {
		t.Errorf("log %q; want an error after repeated failures", log.String())
	}
}

// J04: 429/503 with Retry-After: no fetch before it, on-demand ones included.
func TestHonoursRetryAfter(t *testing.T) {
	for _, code := range []int{http.StatusTooManyRequests, http.StatusServiceUnavailable} {
		t.Run(fmt.Sprint(code), func(t *testing.T) {
			s := testsrv.New(t, testsrv.JSON(ksSet(ksRSAJWK(ksRSAPub("rsaA"), "a"))))
			o := ksOpts(nil)
			o.RefreshInterval = 10 * time.Millisecond
			o.retryMin = 5 * time.Millisecond
			o.retryMax = 5 * time.Millisecond
			o.MinRefreshInterval = time.Millisecond
			o.retryAfterMax = 400 * time.Millisecond // Retry-After: 3600 is bounded to this
			ks := ksRemote(t, s.URL, o)
			ksWaitReady(t, ks)
			s.Set(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Retry-After", "3600")
				w.WriteHeader(code)
			})
			n := s.Fetches.Load()
			ksEventually(t, "the throttled fetch", func() bool { return s.Fetches.Load() > n })
			n = s.Fetches.Load()
			time.Sleep(100 * time.Millisecond)
			// An unknown kid must not fetch either while Retry-After holds.
			if _, err := ks.Key(t.Context(), "new", alg.RS256); !errors.Is(err, ErrUnknownKey) {
				t.Errorf("got %v; want ErrUnknownKey", err)
			}
			if got := s.Fetches.Load(); got != n {
				t.Errorf("fetches during Retry-After: %d; want 0", got-n)
			}
			ksMustKey(t, ks, "a", "RS256") // last good set kept
			// Bounded: fetching resumes after retryAfterMax.
			ksEventually(t, "fetching to resume", func() bool { return s.Fetches.Load() > n })
		})
	}
}

// J05: a body that is not JSON, or is served as HTML or text, fails.
func TestRequiresAJSONContentType(t *testing.T) {
	good := ksSet(ksRSAJWK(ksRSAPub("rsaA"), "a"))
	serveAs := func(ct string, body []byte) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", ct)
			w.Write(body)
		}
	}
	for _, c := range []struct {
		name string
		h    http.HandlerFunc
		ok   bool
	}{
		{"application/json", serveAs("application/json", good), true},
		{"application/json; charset=utf-8", serveAs("application/json; charset=utf-8", good), true},
		{"application/jwk-set+json", serveAs("application/jwk-set+json", good), true},
		{"no content type", func(w http.ResponseWriter, r *http.Request) { w.Header()["Content-Type"] = nil; w.Write(good) }, true},
		{"text/html page", serveAs("text/html", []byte("<html><body>login</body></html>")), false},
		{"text/html with JSON", serveAs("text/html; charset=utf-8", good), false},
		{"text/plain with JSON", serveAs("text/plain", good), false},
		{"HTML as application/json", serveAs("application/json", []byte("<html></html>")), false},
		{"bad media type", serveAs("application/json; =", good), false},
	} {
		t.Run(c.name, func(t *testing.T) {
			s := testsrv.New(t, c.h)
			o := ksOpts(nil)
			o.retryMin, o.retryMax = time.Hour, time.Hour
			ks := ksRemote(t, s.URL, o)
			_, err := ks.Key(t.Context(), "a", alg.RS256)
			if c.ok && err != nil {
				t.Errorf("got %v; want the key", err)
			}
			if !c.ok && !errors.Is(err, ErrUnavailable) {
				t.Errorf("got %v; want ErrUnavailable", err)
			}
		})
	}
}

// ksForceRefresh makes ks fetch once more through the unknown-kid path and
// waits for that fetch to be over.
func ksForceRefresh(t *testing.T, ks *Set, s *testsrv.Server) {
	t.Helper()
	n := s.Fetches.Load()
	ksEventually(t, "an on-demand refresh", func() bool {
		ks.Key(t.Context(), fmt.Sprintf("force-%d", time.Now().UnixNano()), alg.RS256)
		return s.Fetches.Load() > n
	})
	ks.mu.Lock()
	f := ks.remote.cur
	ks.mu.Unlock()
	if f != nil {
		<-f.done
	}
}

// J06, J09, J10: malformed, empty or oversized answers keep the last good set.
func TestKeepsTheLastGoodSetOnBadAnswers(t *testing.T) {
	big64 := func(withLength bool) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			if withLength {
				w.Header().Set("Content-Length", fmt.Sprint(64<<20))
			}
			w.Write([]byte(`{"keys":[`))
			chunk := []byte(strings.Repeat(" ", 64<<10))
			for i := 0; i < 1024; i++ {
				if _, err := w.Write(chunk); err != nil {
					return
				}
			}
		}
	}
	for _, c := range []struct {
		name string
		h    http.HandlerFunc
	}{
		{"J06 truncated JSON", testsrv.JSON([]byte(`{"keys":[{"kty":"RSA","kid":"a","n":"`))},
		{"J06 not JSON", testsrv.JSON([]byte(`garbage`))},
		{"J06 trailing garbage", testsrv.JSON(append(ksSet(ksRSAJWK(ksRSAPub("rsaB"), "b")), []byte("xx")...))},
		{"J09 empty keys", testsrv.JSON([]byte(`{"keys":[]}`))},
		{"J09 empty object", testsrv.JSON([]byte(`{}`))},
		{"J09 null", testsrv.JSON([]byte(`null`))},
		{"J09 only unusable keys", testsrv.JSON(ksSet(ksWith(ksRSAJWK(ksRSAPub("rsaB"), "b"), "use", "enc")))},
		{"J10 64 MiB chunked", big64(false)},
		{"J10 64 MiB with Content-Length", big64(true)},
		{"status 204", testsrv.Status(http.StatusNoContent)},
	} {
		t.Run(c.name, func(t *testing.T) {
			var log ksLog
			s := testsrv.New(t, testsrv.JSON(ksSet(ksRSAJWK(ksRSAPub("rsaA"), "a"))))
			o := ksOpts(&log)
			o.MinRefreshInterval = time.Millisecond
			ks := ksRemote(t, s.URL, o)
			ksWaitReady(t, ks)
			vk := ksMustKey(t, ks, "a", "RS256")
			s.Set(c.h)
			ksForceRefresh(t, ks, s)
			if got := ksMustKey(t, ks, "a", "RS256"); got != vk || vk.removed.Load() {
				t.Errorf("the last good key was not kept")
			}
			if !strings.Contains(log.String(), "keeping the last good set") {
				t.Errorf("log %q; want the failure logged", log.String())
			}
		})
	}
}

// J10: the body cap is exact.
func TestCapsTheJWKSBody(t *testing.T) {
	body := ksSet(ksRSAJWK(ksRSAPub("rsaA"), "a"))
	for _, c := range []struct {
		cap int64
		ok  bool
	}{{int64(len(body)), true}, {int64(len(body)) - 1, false}} {
		s := testsrv.New(t, testsrv.JSON(body))
		o := ksOpts(nil)
		o.maxBody = c.cap
		o.retryMin, o.retryMax = time.Hour, time.Hour
		ks := ksRemote(t, s.URL, o)
		if _, err := ks.Key(t.Context(), "a", alg.RS256); (err == nil) != c.ok {
			t.Errorf("cap %d for a %d-byte body: got %v; want ok=%v", c.cap, len(body), err, c.ok)
		}
	}
}

// J11: no redirect is followed, whatever the borrowed client says.
func TestFollowsNoRedirect(t *testing.T) {
	other := testsrv.New(t, testsrv.JSON(ksSet(ksRSAJWK(ksRSAPub("rsaB"), "a"))))
	for _, code := range []int{http.StatusFound, http.StatusMovedPermanently, http.StatusTemporaryRedirect, http.StatusPermanentRedirect} {
		s := testsrv.New(t, func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, other.URL+"/jwks", code)
		})
		o := ksOpts(nil)
		o.HTTPClient = &http.Client{
			Transport:     http.DefaultTransport,
			CheckRedirect: func(*http.Request, []*http.Request) error { return nil }, // would follow
		}
		ks := ksRemote(t, s.URL, o)
		if _, err := ks.Key(t.Context(), "a", alg.RS256); !errors.Is(err, ErrUnavailable) {
			t.Errorf("%d: got %v; want ErrUnavailable", code, err)
		}
	}
	if n := other.Fetches.Load(); n != 0 {
		t.Errorf("the redirect target was fetched %d times; want 0", n)
	}
}

// J12, K01: https only, except loopback; TLS verification stays on.
func TestRequiresHTTPSExceptForLoopback(t *testing.T) {
	for _, c := range []struct {
		url string
		ok  bool
	}{
		{"https://idp.example/jwks", true},
		{"http://127.0.0.1:1/jwks", true},
		{"http://127.1.2.3:1/jwks", true},
		{"http://[::1]:1/jwks", true},
		{"http://localhost:1/jwks", true},
		{"http://LOCALHOST:1/jwks", true},
		{"http://idp.example/jwks", false},
		{"http://10.0.0.1/jwks", false},
		{"http://[::ffff:10.0.0.1]/jwks", false},
		{"http://localhost.idp.example/jwks", false},
		{"ftp://idp.example/jwks", false},
		{"file:///etc/jwks", false},
		{"https://user:pw@idp.example/jwks", false},
		{"/jwks", false},
		{"https:///jwks", false},
		{"::", false},
	} {
		if err := checkFetchURL(c.url, false); (err == nil) != c.ok {
			t.Errorf("checkFetchURL(%q) = %v; want ok=%v", c.url, err, c.ok)
		}
	}
	if err := checkFetchURL("http://idp.example/jwks", true); err != nil {
		t.Errorf("insecureHTTP: got %v; want nil", err)
	}
	// Constructor: refused before any network access.
	_, err := ksNew(t.Context(), ksIssuer{URL: "https://i", JWKSURL: "http://idp.example/jwks"}, ksOpts(nil))
	if err == nil {
		t.Errorf("http JWKSURL to a non-loopback host: got nil error")
	}
	_, err = ksNew(t.Context(), ksIssuer{URL: "http://idp.example"}, ksOpts(nil))
	if err == nil {
		t.Errorf("discovery from an http non-loopback issuer: got nil error")
	}

	// A self-signed certificate fails with jwtgate's own client, works when
	// the caller lends a Transport that trusts it.
	body := ksSet(ksRSAJWK(ksRSAPub("rsaA"), "a"))
	tlsSrv := httptest.NewUnstartedServer(testsrv.JSON(body))
	tlsSrv.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshake is expected
	tlsSrv.StartTLS()
	t.Cleanup(tlsSrv.Close)
	ks := ksRemote(t, tlsSrv.URL, ksOpts(nil))
	if _, err := ks.Key(t.Context(), "a", alg.RS256); !errors.Is(err, ErrUnavailable) {
		t.Errorf("self-signed TLS: got %v; want ErrUnavailable", err)
	}
	o := ksOpts(nil)
	o.HTTPClient = tlsSrv.Client()
	o.HTTPClient.Timeout = time.Hour // jwtgate's own timeout applies anyway
	ks = ksRemote(t, tlsSrv.URL, o)
	ksMustKey(t, ks, "a", "RS256")
	if ks.remote.client.Timeout != o.FetchTimeout {
		t.Errorf("client timeout %v; want %v", ks.remote.client.Timeout, o.FetchTimeout)
	}
}

// J13: a new kid is usable at once through one on-demand refresh.
func TestANewKidIsUsableAtOnce(t *testing.T) {
	s := testsrv.New(t, testsrv.JSON(ksSet(ksRSAJWK(ksRSAPub("rsaA"), "a"))))
	ks := ksRemote(t, s.URL, ksOpts(nil))
	ksWaitReady(t, ks)
	n := s.Fetches.Load()
	s.Set(testsrv.JSON(ksSet(ksRSAJWK(ksRSAPub("rsaA"), "a"), ksRSAJWK(ksRSAPub("rsaB"), "b"))))
	vk := ksMustKey(t, ks, "b", "RS256")
	if !vk.Public.(*rsa.PublicKey).Equal(ksRSAPub("rsaB")) {
		t.Errorf("got another key for b")
	}
	if got := s.Fetches.Load() - n; got != 1 {
		t.Errorf("fetches = %d; want 1", got)
	}
}

// J14: a removed kid stops working after the refresh that removes it, and
// its Key is marked removed; a kid whose material changed gets a new
// Key; an unchanged one keeps its own.
func TestARemovedKidStopsWorking(t *testing.T) {
	var log ksLog
	s := testsrv.New(t, testsrv.JSON(ksSet(ksRSAJWK(ksRSAPub("rsaA"), "a"), ksRSAJWK(ksRSAPub("rsaB"), "b"), ksECJWK(ksECPub("p256"), "c"))))
	o := ksOpts(&log)
	o.MinRefreshInterval = time.Millisecond
	ks := ksRemote(t, s.URL, o)
	ksWaitReady(t, ks)
	a := ksMustKey(t, ks, "a", "RS256")
	b := ksMustKey(t, ks, "b", "RS256")
	c := ksMustKey(t, ks, "c", "ES256")

	// a removed, b re-keyed under the same kid, c unchanged.
	s.Set(testsrv.JSON(ksSet(ksRSAJWK(ksRSAPub("rsaC"), "b"), ksECJWK(ksECPub("p256"), "c"))))
	ksForceRefresh(t, ks, s)

	if !a.removed.Load() {
		t.Errorf("a.removed = false; want true")
	}
	ksWantErr(t, ks, "a", "RS256", ErrUnknownKey)
	if !b.removed.Load() {
		t.Errorf("old b.removed = false; want true (material changed)")
	}
	if nb := ksMustKey(t, ks, "b", "RS256"); nb == b || !nb.Public.(*rsa.PublicKey).Equal(ksRSAPub("rsaC")) || nb.removed.Load() {
		t.Errorf("b: want a new, live Key holding rsaC")
	}
	if nc := ksMustKey(t, ks, "c", "ES256"); nc != c || c.removed.Load() {
		t.Errorf("c: want the same, live Key")
	}
	if !strings.Contains(log.String(), "removed from key set") || !strings.Contains(log.String(), "kid=a") {
		t.Errorf("log %q; want the removal logged", log.String())
	}
}

// J14 by the periodic refresh alone: no request needed for a removal to land.
func TestPeriodicRefreshRemovesKeys(t *testing.T) {
	s := testsrv.New(t, testsrv.JSON(ksSet(ksRSAJWK(ksRSAPub("rsaA"), "a"), ksRSAJWK(ksRSAPub("rsaB"), "b"))))
	o := ksOpts(nil)
	o.RefreshInterval = 10 * time.Millisecond
	ks := ksRemote(t, s.URL, o)
	ksWaitReady(t, ks)
	a := ksMustKey(t, ks, "a", "RS256")
	s.Set(testsrv.JSON(ksSet(ksRSAJWK(ksRSAPub("rsaB"), "b"))))
	ksEventually(t, "the periodic refresh to remove a", a.removed.Load)
	ksWantErr(t, ks, "a", "RS256", ErrUnknownKey)
	ksMustKey(t, ks, "b", "RS256")
}

// J15, J16, K08, K09, F10: a flood of random kids causes at most one fetch per
// minimum interval and fails fast; a kid that really rotated in meanwhile is
// accepted within the interval.
func TestUnknownKidFloodCausesOneFetchPerInterval(t *testing.T) {
	s := testsrv.New(t, testsrv.JSON(ksSet(ksRSAJWK(ksRSAPub("rsaA"), "a"))))
	o := ksOpts(nil)
	o.MinRefreshInterval = 150 * time.Millisecond
	ks := ksRemote(t, s.URL, o)
	ksWaitReady(t, ks)
	base := s.Fetches.Load()
	start := time.Now()

	// 10,000 random kids from 50 goroutines.
	var wg sync.WaitGroup
	var wrong atomic.Int64
	var rotatedOK atomic.Bool
	var served atomic.Int64
	for g := 0; g < 50; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 200; i++ {
				_, err := ks.Key(context.Background(), fmt.Sprintf("random-%d-%d", g, i), alg.RS256)
				if !errors.Is(err, ErrUnknownKey) {
					wrong.Add(1)
				}
				served.Add(1)
				time.Sleep(2 * time.Millisecond)
			}
		}()
	}
	// The IdP rotates in "r" while the flood runs.
	ksEventually(t, "the flood to start", func() bool { return served.Load() > 1000 })
	s.Set(testsrv.JSON(ksSet(ksRSAJWK(ksRSAPub("rsaA"), "a"), ksRSAJWK(ksRSAPub("rsaB"), "r"))))
	rotatedAt := time.Now()
	var rotatedAfter time.Duration
	for !rotatedOK.Load() {
		if _, err := ks.Key(context.Background(), "r", alg.RS256); err == nil {
			rotatedOK.Store(true)
			rotatedAfter = time.Since(rotatedAt)
		} else if time.Since(rotatedAt) > 5*time.Second {
			break
		}
		time.Sleep(time.Millisecond)
	}
	wg.Wait()
	elapsed := time.Since(start)

	if !rotatedOK.Load() {
		t.Fatalf("the rotated kid was never accepted during the flood")
	}
	if n := wrong.Load(); n != 0 {
		t.Errorf("%d random-kid requests did not fail with ErrUnknownKey", n)
	}
	fetches := s.Fetches.Load() - base
	limit := int64(elapsed/o.MinRefreshInterval) + 1
	if fetches > limit || fetches < 1 {
		t.Errorf("fetches during a %v flood = %d; want 1..%d (one per %v)", elapsed, fetches, limit, o.MinRefreshInterval)
	}
	t.Logf("10000 random kids in %v: %d fetches; rotated kid accepted after %v", elapsed, fetches, rotatedAfter)
}

// K08: concurrent requests for one unknown kid share one fetch, and a kid
// seen missing after a fresh fetch fails fast without another fetch.
func TestSharesOneFetchAndCachesMissingKids(t *testing.T) {
	gate := make(chan struct{})
	body := ksSet(ksRSAJWK(ksRSAPub("rsaA"), "a"))
	s := testsrv.New(t, testsrv.JSON(body))
	o := ksOpts(nil)
	o.MinRefreshInterval = time.Hour
	ks := ksRemote(t, s.URL, o)
	ksWaitReady(t, ks)
	s.Set(func(w http.ResponseWriter, r *http.Request) {
		<-gate
		testsrv.JSON(body)(w, r)
	})
	base := s.Fetches.Load()
	var wg sync.WaitGroup
	errs := make(chan error, 100)
	for i := 0; i < 100; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := ks.Key(context.Background(), "missing", alg.RS256)
			errs <- err
		}()
	}
	ksEventually(t, "the shared fetch", func() bool { return s.Fetches.Load() > base })
	time.Sleep(20 * time.Millisecond)
	close(gate)
	wg.Wait()
	close(errs)
	for err := range errs {
		if !errors.Is(err, ErrUnknownKey) {
			t.Errorf("got %v; want ErrUnknownKey", err)
		}
	}
	if n := s.Fetches.Load() - base; n != 1 {
		t.Errorf("fetches for 100 concurrent requests = %d; want 1", n)
	}
	n := s.Fetches.Load()
	if _, err := ks.Key(t.Context(), "missing", alg.RS256); !errors.Is(err, errKidRecentMiss) {
		t.Errorf("got %v; want the negative-cache error", err)
	}
	if s.Fetches.Load() != n {
		t.Errorf("a negatively cached kid caused a fetch")
	}
}

// K08, K09 (issue: the negative cache outlived the refresh window): a kid
// probed before the issuer publishes it is remembered as missing for the
// minimum interval at most; once that has passed, the kid triggers a fetch
// and the rotated-in key is accepted.
func TestProbedFutureKidIsAcceptedOnceTheMinimumIntervalHasPassed(t *testing.T) {
	s := testsrv.New(t, testsrv.JSON(ksSet(ksRSAJWK(ksRSAPub("rsaA"), "a"))))
	o := ksOpts(nil)
	o.MinRefreshInterval = 100 * time.Millisecond
	ks := ksRemote(t, s.URL, o)
	ksWaitReady(t, ks)
	ksWantErr(t, ks, "future", "RS256", ErrUnknownKey) // the probe: one fetch, "future" is missing
	ksWantErr(t, ks, "future", "RS256", errKidRecentMiss)

	s.Set(testsrv.JSON(ksSet(ksRSAJWK(ksRSAPub("rsaA"), "a"), ksRSAJWK(ksRSAPub("rsaB"), "future"))))
	ksEventually(t, "the rotated-in kid to be accepted", func() bool {
		_, err := ks.Key(t.Context(), "future", alg.RS256)
		return err == nil
	})
}

// K08: every new snapshot forgets the kids remembered as missing, so a
// refresh (periodic here) lets a probed kid trigger a fetch of its own again
// as soon as the on-demand budget allows.
func TestNewSnapshotForgetsMissingKids(t *testing.T) {
	s := testsrv.New(t, testsrv.JSON(ksSet(ksRSAJWK(ksRSAPub("rsaA"), "a"))))
	o := ksOpts(nil)
	o.MinRefreshInterval = time.Hour
	ks := ksRemote(t, s.URL, o)
	ksWaitReady(t, ks)
	ksWantErr(t, ks, "future", "RS256", ErrUnknownKey)
	ksWantErr(t, ks, "future", "RS256", errKidRecentMiss)

	before := ks.snap.Load()
	ks.mu.Lock()
	f := ks.startLocked() // what the periodic refresh does
	ks.mu.Unlock()
	<-f.done
	if ks.snap.Load() == before {
		t.Fatalf("the refresh installed no new snapshot")
	}
	k, err := ks.Key(t.Context(), "future", alg.RS256)
	if errors.Is(err, errKidRecentMiss) {
		t.Errorf("after a new snapshot: got (%v, %v); want the kid no longer remembered as missing", k, err)
	}
}

// A cancelled or expired request context surfaces as context.Canceled /
// context.DeadlineExceeded while waiting for a fetch.
func TestKeySetContext(t *testing.T) {
	release := make(chan struct{})
	s := testsrv.New(t, func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	})
	t.Cleanup(func() { close(release) })
	o := ksOpts(nil)
	o.RequestWait = time.Minute
	o.FetchTimeout = time.Minute
	ks := ksRemote(t, s.URL, o)

	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err := ks.Key(ctx, "a", alg.RS256)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: got %v; want context.Canceled", err)
	}
	ctx, cancel = context.WithTimeout(t.Context(), 30*time.Millisecond)
	defer cancel()
	_, err = ks.Key(ctx, "a", alg.RS256)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("expired: got %v; want context.DeadlineExceeded", err)
	}
	// The waiter leaving did not cancel the shared fetch.
	ks.mu.Lock()
	inFlight := ks.remote.cur != nil
	ks.mu.Unlock()
	if !inFlight {
		t.Errorf("the shared fetch ended with its waiter; want it to go on")
	}
}

// J24, C08: two issuers, same kid, different keys: never crossed.
func TestNeverCrossesIssuers(t *testing.T) {
	s1 := testsrv.New(t, testsrv.JSON(ksSet(ksRSAJWK(ksRSAPub("rsaA"), "k"))))
	s2 := testsrv.New(t, testsrv.JSON(ksSet(ksRSAJWK(ksRSAPub("rsaB"), "k"), ksRSAJWK(ksRSAPub("rsaC"), "only2"))))
	ks1 := ksRemote(t, s1.URL, ksOpts(nil))
	ks2 := ksRemote(t, s2.URL, ksOpts(nil))
	if !ksMustKey(t, ks1, "k", "RS256").Public.(*rsa.PublicKey).Equal(ksRSAPub("rsaA")) {
		t.Errorf("issuer 1 got issuer 2's key")
	}
	if !ksMustKey(t, ks2, "k", "RS256").Public.(*rsa.PublicKey).Equal(ksRSAPub("rsaB")) {
		t.Errorf("issuer 2 got issuer 1's key")
	}
	ksWantErr(t, ks1, "only2", "RS256", ErrUnknownKey)
}

// J25, H02: key lookups never fetch anything but the configured URL, whatever
// the kid says.
func TestFetchesOnlyTheConfiguredURL(t *testing.T) {
	evil := testsrv.New(t, testsrv.JSON(ksSet(ksRSAJWK(ksRSAPub("rsaB"), "x"))))
	s := testsrv.New(t, testsrv.JSON(ksSet(ksRSAJWK(ksRSAPub("rsaA"), "a"))))
	ks := ksRemote(t, s.URL, ksOpts(nil))
	ksWaitReady(t, ks)
	ksWantErr(t, ks, evil.URL+"/jwks", "RS256", ErrUnknownKey)
	if n := evil.Fetches.Load(); n != 0 {
		t.Errorf("a URL in the kid was fetched %d times", n)
	}
}

// Discovery: issuer must match exactly; jwks_uri obeys the URL rules.
func TestDiscovery(t *testing.T) {
	jwks := ksSet(ksRSAJWK(ksRSAPub("rsaA"), "a"))
	var issuerInDoc, jwksURI atomic.Pointer[string]
	var srv *testsrv.Server
	srv = testsrv.New(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/.well-known/openid-configuration":
			w.Header().Set("Content-Type", "application/json")
			fmt.Fprintf(w, `{"issuer":%q,"jwks_uri":%q}`, *issuerInDoc.Load(), *jwksURI.Load())
		case "/keys":
			testsrv.JSON(jwks)(w, r)
		default:
			http.NotFound(w, r)
		}
	})
	set := func(iss, uri string) { issuerInDoc.Store(&iss); jwksURI.Store(&uri) }
	newDisc := func(iss string) *Set {
		o := ksOpts(nil)
		o.retryMin, o.retryMax = time.Hour, time.Hour
		src, err := ksNew(t.Context(), ksIssuer{URL: iss}, o)
		if err != nil {
			t.Fatalf("newKeySource: %v", err)
		}
		t.Cleanup(src.Close)
		return src
	}

	set(srv.URL, srv.URL+"/keys")
	ksMustKey(t, newDisc(srv.URL), "a", "RS256")

	// A trailing slash on the issuer is dropped for the discovery path only;
	// the document's issuer must still match it exactly.
	set(srv.URL+"/", srv.URL+"/keys")
	ksMustKey(t, newDisc(srv.URL+"/"), "a", "RS256")

	for _, c := range []struct{ name, iss, docIss, uri string }{
		{"issuer mismatch", srv.URL, "https://evil.example", srv.URL + "/keys"},
		{"issuer trailing slash", srv.URL, srv.URL + "/", srv.URL + "/keys"},
		{"issuer case", srv.URL, strings.ToUpper(srv.URL), srv.URL + "/keys"},
		{"jwks_uri missing", srv.URL, srv.URL, ""},
		{"jwks_uri http non-loopback", srv.URL, srv.URL, "http://idp.example/keys"},
		{"jwks_uri 404", srv.URL, srv.URL, srv.URL + "/nope"},
	} {
		t.Run(c.name, func(t *testing.T) {
			set(c.docIss, c.uri)
			ks := newDisc(c.iss)
			if _, err := ks.Key(t.Context(), "a", alg.RS256); !errors.Is(err, ErrUnavailable) {
				t.Errorf("got %v; want ErrUnavailable", err)
			}
		})
	}
}

// K10: Cache-Control max-age sets the refresh interval, clamped to its bounds.
func TestRefreshesAtTheClampedMaxAge(t *testing.T) {
	body := ksSet(ksRSAJWK(ksRSAPub("rsaA"), "a"))
	s := testsrv.New(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=0")
		testsrv.JSON(body)(w, r)
	})
	o := ksOpts(nil)
	o.RefreshInterval = time.Hour
	o.minMaxAge = 20 * time.Millisecond // max-age=0 is raised to this
	ks := ksRemote(t, s.URL, o)
	ksWaitReady(t, ks)
	ksEventually(t, "refreshes at the clamped max-age", func() bool { return s.Fetches.Load() >= 4 })

	s2 := testsrv.New(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "max-age=86400")
		testsrv.JSON(body)(w, r)
	})
	o.minMaxAge = time.Millisecond
	o.maxMaxAge = 20 * time.Millisecond // max-age=86400 is lowered to this
	ks2 := ksRemote(t, s2.URL, o)
	ksWaitReady(t, ks2)
	ksEventually(t, "refreshes at the clamped max-age", func() bool { return s2.Fetches.Load() >= 4 })
}

// Close, and the context given to the constructor, stop the background
// refresh; no goroutine outlives them.
func TestKeySetCloseStopsGoroutines(t *testing.T) {
	before := runtime.NumGoroutine()
	body := ksSet(ksRSAJWK(ksRSAPub("rsaA"), "a"))
	var fetches atomic.Int64
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fetches.Add(1)
		testsrv.JSON(body)(w, r)
	}))
	o := ksOpts(nil)
	o.RefreshInterval = 5 * time.Millisecond

	// Stopped by close.
	src, err := ksNew(context.Background(), ksIssuer{URL: "https://i", JWKSURL: s.URL}, o)
	if err != nil {
		t.Fatal(err)
	}
	ksEventually(t, "periodic refreshes", func() bool { return fetches.Load() >= 3 })
	src.Close()
	src.Close() // idempotent
	// A request the closed client had already sent may still reach the
	// server just after Close returns; count from after that.
	time.Sleep(20 * time.Millisecond)
	n := fetches.Load()
	time.Sleep(30 * time.Millisecond)
	if got := fetches.Load(); got != n {
		t.Errorf("fetches after close: %d; want 0", got-n)
	}
	ks := src
	ksMustKey(t, ks, "a", "RS256") // loaded keys stay usable
	if _, err := ks.Key(t.Context(), "zzz", alg.RS256); !errors.Is(err, ErrUnavailable) {
		t.Errorf("unknown kid after close: got %v; want the closed error", err)
	}

	// Stopped by the constructor's context.
	ctx, cancel := context.WithCancel(context.Background())
	src2, err := ksNew(ctx, ksIssuer{URL: "https://i", JWKSURL: s.URL}, o)
	if err != nil {
		t.Fatal(err)
	}
	ksEventually(t, "periodic refreshes", func() bool { return fetches.Load() >= n+3 })
	cancel()
	time.Sleep(20 * time.Millisecond)
	n = fetches.Load()
	time.Sleep(30 * time.Millisecond)
	if got := fetches.Load(); got != n {
		t.Errorf("fetches after the context ended: %d; want 0", got-n)
	}
	src2.Close()

	// Closed while a fetch hangs: close does not wait for the fetch timeout.
	hang := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() }))
	o.FetchTimeout = time.Minute
	src3, err := ksNew(context.Background(), ksIssuer{URL: "https://i", JWKSURL: hang.URL}, o)
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(20 * time.Millisecond)
	done := make(chan struct{})
	go func() { src3.Close(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatalf("close blocked on a hanging fetch")
	}

	s.Close()
	hang.Close()
	ksEventually(t, "goroutines to end", func() bool { return runtime.NumGoroutine() <= before })
}

// K01: the discovery document's names are case-sensitive and may not
// repeat: "ISSUER" is not "issuer", and a second "issuer" does not replace
// the first; either way the set does not load.
func TestDiscoveryNamesAreCaseSensitiveAndUnique(t *testing.T) {
	jwks := ksSet(ksRSAJWK(ksRSAPub("rsaA"), "a"))
	var doc atomic.Pointer[string]
	var srv *testsrv.Server
	srv = testsrv.New(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/.well-known/openid-configuration":
			w.Header().Set("Content-Type", "application/json")
			fmt.Fprintf(w, *doc.Load(), srv.URL, srv.URL+"/keys")
		case "/keys":
			testsrv.JSON(jwks)(w, r)
		default:
			http.NotFound(w, r)
		}
	})
	for _, c := range []struct {
		name, doc string
		ok        bool
	}{
		{"exact names", `{"issuer":%q,"jwks_uri":%q}`, true},
		{"capitals", `{"ISSUER":%q,"JWKS_URI":%q}`, false},
		{"issuer twice", `{"issuer":%q,"jwks_uri":%q,"issuer":"https://other.example"}`, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			d := c.doc
			doc.Store(&d)
			o := ksOpts(nil)
			o.retryMin, o.retryMax = time.Hour, time.Hour
			ks, err := ksNew(t.Context(), ksIssuer{URL: srv.URL}, o)
			if err != nil {
				t.Fatal(err)
			}
			defer ks.Close()
			_, err = ks.Key(t.Context(), "a", alg.RS256)
			if c.ok && err != nil {
				t.Errorf("got %v; want the key", err)
			}
			if !c.ok && !errors.Is(err, ErrUnavailable) {
				t.Errorf("got %v; want ErrUnavailable", err)
			}
		})
	}
}
