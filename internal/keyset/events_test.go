package keyset

import (
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jwtgate/jwtgate/internal/alg"
	"github.com/jwtgate/jwtgate/internal/testsrv"
)

// K04: a member dropped from a fetched set is logged once with its kid and
// the reason, not again on every refresh while it stays in the set; if it
// leaves and comes back it is logged again.
func TestDroppedKeyIsLoggedOncePerKidAndReason(t *testing.T) {
	good := ksRSAJWK(ksRSAPub("rsaA"), "a")
	bad := ksWith(ksRSAJWK(ksRSAPub("rsaB"), "weak"), "use", "enc")
	s := testsrv.New(t, testsrv.JSON(ksSet(good, bad)))
	log := &ksLog{}
	ks := ksRemote(t, s.URL, ksOpts(log))
	ksWaitReady(t, ks)
	refresh := func() {
		ks.mu.Lock()
		f := ks.startLocked()
		ks.mu.Unlock()
		<-f.done
	}
	count := func() int { return strings.Count(log.String(), "JWK dropped from key set") }

	refresh()
	refresh()
	if n := count(); n != 1 {
		t.Errorf("after three fetches with the same bad member: got %d drop lines; want 1\n%s", n, log.String())
	}
	if out := log.String(); !strings.Contains(out, "kid=weak") || !strings.Contains(out, `reason="use is not sig"`) ||
		!strings.Contains(out, "issuer=https://issuer.test") {
		t.Errorf("log %q; want the issuer, kid and reason of the dropped member", out)
	}
	s.Set(testsrv.JSON(ksSet(good)))
	refresh()
	s.Set(testsrv.JSON(ksSet(good, bad)))
	refresh()
	if n := count(); n != 2 {
		t.Errorf("after the member left and came back: got %d drop lines; want 2", n)
	}
}

// Key-set events carry the issuer: loaded (with the number of keys), refresh
// failed (with the URL and the count of consecutive failures), and a fetch on
// behalf of an unknown kid (with the kid).
func TestKeySetEventsAreLogged(t *testing.T) {
	s := testsrv.New(t, testsrv.JSON(ksSet(ksRSAJWK(ksRSAPub("rsaA"), "a"), ksRSAJWK(ksRSAPub("rsaB"), "b"))))
	log := &ksLog{}
	o := ksOpts(log)
	o.MinRefreshInterval = time.Millisecond
	ks := ksRemote(t, s.URL, o)
	ksWaitReady(t, ks)
	lineWith := func(msg string) string {
		for _, l := range strings.Split(log.String(), "\n") {
			if strings.Contains(l, msg) {
				return l
			}
		}
		return ""
	}
	if l := lineWith("key set loaded"); !strings.Contains(l, "issuer=https://issuer.test") || !strings.Contains(l, "keys=2") {
		t.Errorf("loaded: got %q; want the issuer and keys=2", l)
	}

	ksWantErr(t, ks, "rotated", "RS256", ErrUnknownKey)
	if l := lineWith("unknown kid"); !strings.Contains(l, "issuer=https://issuer.test") || !strings.Contains(l, "kid=rotated") {
		t.Errorf("unknown-kid fetch: got %q; want the issuer and kid", l)
	}

	s.Set(testsrv.Status(http.StatusBadGateway))
	time.Sleep(2 * time.Millisecond) // past MinRefreshInterval
	ksWantErr(t, ks, "rotated2", "RS256", ErrUnknownKey)
	if l := lineWith("refresh failed"); !strings.Contains(l, "issuer=https://issuer.test") ||
		!strings.Contains(l, "consecutive_failures=1") || !strings.Contains(l, "url="+s.URL) || !strings.Contains(l, "status 502") {
		t.Errorf("refresh failed: got %q; want the issuer, URL, error and consecutive_failures=1", l)
	}
}

// Status reports what an operator needs: loaded, the last success and
// failure with its error, failure counts, and the kids.
func TestStatusReportsFetchesAndKeys(t *testing.T) {
	s := testsrv.New(t, testsrv.Status(http.StatusServiceUnavailable))
	o := ksOpts(nil)
	o.MinRefreshInterval = time.Millisecond
	ks := ksRemote(t, s.URL+"/jwks?key=secret", o)
	ksEventually(t, "two failed fetches", func() bool { return ks.Status().FetchFailures >= 2 })
	st := ks.Status()
	if st.Loaded || st.Static || st.Keys != 0 || !st.LastSuccess.IsZero() || st.LastFailure.IsZero() ||
		st.ConsecutiveFailures < 2 || !strings.Contains(st.LastError, "status 503") ||
		st.JWKSURL != s.URL+"/jwks?REDACTED" || st.Issuer != "https://issuer.test" {
		t.Errorf("while down: got %+v", st)
	}

	s.Set(testsrv.JSON(ksSet(ksRSAJWK(ksRSAPub("rsaB"), "b"), ksRSAJWK(ksRSAPub("rsaA"), "a"))))
	ksEventually(t, "the set to load", func() bool {
		_, err := ks.Key(t.Context(), "a", alg.RS256)
		return err == nil
	})
	st = ks.Status()
	if !st.Loaded || st.Keys != 2 || !slices.Equal(st.KIDs, []string{"a", "b"}) || st.LastSuccess.IsZero() ||
		st.ConsecutiveFailures != 0 || st.FetchFailures < 2 {
		t.Errorf("once loaded: got %+v", st)
	}

	static, err := ksStatic(t, ksSet(ksRSAJWK(ksRSAPub("rsaA"), "a")), ksOpts(nil))
	if err != nil {
		t.Fatal(err)
	}
	if st := static.Status(); !st.Loaded || !st.Static || st.Keys != 1 || st.JWKSURL != "" || st.LastSuccess.IsZero() {
		t.Errorf("static: got %+v", st)
	}
}

// Status reports its times by Config.Now, not by the wall clock.
func TestStatusTimesComeFromConfigNow(t *testing.T) {
	fixed := time.Date(2001, 2, 3, 4, 5, 6, 0, time.UTC)
	o := ksOpts(nil)
	o.Now = func() time.Time { return fixed }
	static, err := ksStatic(t, ksSet(ksRSAJWK(ksRSAPub("rsaA"), "a")), o)
	if err != nil {
		t.Fatal(err)
	}
	if got := static.Status().LastSuccess; !got.Equal(fixed) {
		t.Errorf("static, LastSuccess: got %v; want %v", got, fixed)
	}

	s := testsrv.New(t, testsrv.Status(http.StatusServiceUnavailable))
	ks := ksRemote(t, s.URL, o)
	ksEventually(t, "a failed fetch", func() bool { return ks.Status().FetchFailures > 0 })
	if got := ks.Status().LastFailure; !got.Equal(fixed) {
		t.Errorf("remote, LastFailure: got %v; want %v", got, fixed)
	}
	s.Set(testsrv.JSON(ksSet(ksRSAJWK(ksRSAPub("rsaA"), "a"))))
	ksEventually(t, "the set to load", ks.Ready)
	if got := ks.Status().LastSuccess; !got.Equal(fixed) {
		t.Errorf("remote, LastSuccess: got %v; want %v", got, fixed)
	}
}
