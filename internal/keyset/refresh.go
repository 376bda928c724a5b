package keyset

import (
	"context"
	"math/rand/v2"
	"time"

	"github.com/jwtgate/jwtgate/internal/httpx"
)

// startLocked starts a shared fetch and makes it the one in progress.
// ks.mu must be held and the set must not be closed.
func (ks *Set) startLocked() *keyFlight {
	r := ks.remote
	f := &keyFlight{started: time.Now(), done: make(chan struct{}), maxAge: -1}
	r.cur = f
	r.wg.Add(1)
	go ks.run(f)
	return f
}

// run performs f: one fetch on its own timeout, not cancelled by any caller
// (only by close), then installs the result or keeps the last good set.
func (ks *Set) run(f *keyFlight) {
	r := ks.remote
	defer r.wg.Done()
	ctx, cancel := context.WithTimeout(r.fetchCtx, ks.opts.FetchTimeout)
	res := ks.fetch(ctx)
	cancel()
	wasLoaded := ks.snap.Load() != nil
	if res.err == nil {
		ks.install(res.keys)
	}
	now := ks.opts.Now() // what Status reports; the caller's clock, read outside the lock

	ks.mu.Lock()
	f.err, f.maxAge, f.retryAfter = res.err, res.maxAge, res.retryAfter
	if res.retryAfter > 0 {
		if nb := time.Now().Add(res.retryAfter); nb.After(r.notBefore) {
			r.notBefore = nb
		}
	}
	r.shownURL = res.url
	if res.err != nil {
		r.failures++
		r.totalFailures++
		r.lastFailure, r.lastErr = now, res.err.Error()
	} else {
		r.failures = 0
		r.lastSuccess = now
	}
	failures := r.failures
	r.cur = nil
	ks.mu.Unlock()
	// Logged before waiters wake, so what they see is already on record.
	defer close(f.done)

	switch {
	case res.err != nil && r.fetchCtx.Err() != nil:
		// closing: not worth a log line
	case res.err != nil && failures >= failuresBeforeError:
		ks.log.Error("jwtgate: key set refresh failing; keeping the last good set",
			"url", res.url, "consecutive_failures", failures, "loaded", ks.snap.Load() != nil, "error", res.err)
	case res.err != nil:
		ks.log.Warn("jwtgate: key set refresh failed; keeping the last good set",
			"url", res.url, "consecutive_failures", failures, "loaded", ks.snap.Load() != nil, "error", res.err)
	case !wasLoaded:
		ks.log.Info("jwtgate: key set loaded", "url", res.url, "keys", len(res.keys))
	}
}

// loop refreshes the set in the background until ctx ends or close: at the
// Cache-Control max-age (clamped) or the refresh interval after a success,
// with jittered exponential backoff after failures, never before a
// Retry-After.
func (ks *Set) loop(ctx context.Context, f *keyFlight) {
	r := ks.remote
	defer r.wg.Done()
	failures := 0
	for {
		select {
		case <-f.done:
		case <-ctx.Done():
			return
		}
		var d time.Duration
		if f.err == nil {
			failures = 0
			d = ks.opts.RefreshInterval
			if f.maxAge >= 0 {
				d = min(max(f.maxAge, ks.opts.minMaxAge), ks.opts.maxMaxAge)
			}
			d -= rand.N(d/10 + 1) // up to 10% early, so a fleet does not refresh in step
		} else {
			failures++
			d = httpx.Backoff(failures-1, ks.opts.retryMin, ks.opts.retryMax)
			d = max(d, f.retryAfter)
		}
		t := time.NewTimer(d)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return
		}
		ks.mu.Lock()
		if r.closed {
			ks.mu.Unlock()
			return
		}
		if f = r.cur; f == nil {
			f = ks.startLocked()
		}
		ks.mu.Unlock()
	}
}
