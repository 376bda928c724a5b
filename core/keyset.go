package core

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// Defaults of keySetOptions (SECURITY.md K02, K08, K10).
const (
	defaultFetchTimeout    = 5 * time.Second
	defaultMaxBody         = 1 << 20
	defaultRefreshInterval = 15 * time.Minute
	defaultMinMaxAge       = time.Minute
	defaultMaxMaxAge       = time.Hour
	defaultMinInterval     = 30 * time.Second
	defaultNegativeTTL     = 5 * time.Minute
	defaultWaitMax         = 2 * time.Second
	defaultRetryMin        = time.Second
	defaultRetryMax        = time.Minute
	defaultRetryAfterMax   = 10 * time.Minute
	maxNegativeKids        = 4096
	failuresBeforeError    = 3
)

// keySetOptions configures newKeySource. The exported fields come from
// Config; the unexported durations default when zero so tests can shorten them.
type keySetOptions struct {
	HTTPClient *http.Client // lends its Transport; nil: jwtgate's own client, never http.DefaultClient
	Logger     *slog.Logger // nil: slog.Default()

	// Now is accepted for symmetry with Config but not used for refresh
	// timing: rate limits and backoff run on the monotonic clock, so a fixed
	// test clock cannot freeze key rotation.
	Now func() time.Time

	allowOct bool // an HS* algorithm is allowed: kty "oct" keys are kept in static sets only

	fetchTimeout    time.Duration // total timeout of one fetch; default 5 s
	maxBody         int64         // response body cap; default 1 MiB
	refreshInterval time.Duration // periodic refresh without Cache-Control max-age; default 15 min
	minMaxAge       time.Duration // lower clamp of max-age; default 1 min
	maxMaxAge       time.Duration // upper clamp of max-age; default 1 h
	minInterval     time.Duration // at most one on-demand (unknown kid) fetch per this; default 30 s
	negativeTTL     time.Duration // a kid missing after a fresh fetch fails fast this long; default 5 min
	waitMax         time.Duration // a request waits at most this for an on-demand fetch; default 2 s
	retryMin        time.Duration // first backoff after a failed fetch; default 1 s
	retryMax        time.Duration // backoff cap; default 1 min
	retryAfterMax   time.Duration // Retry-After is honoured up to this; default 10 min
	insecureHTTP    bool          // allow http:// to non-loopback hosts (tests only)
}

func (o *keySetOptions) defaults() {
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&o.fetchTimeout, defaultFetchTimeout)
	def(&o.refreshInterval, defaultRefreshInterval)
	def(&o.minMaxAge, defaultMinMaxAge)
	def(&o.maxMaxAge, defaultMaxMaxAge)
	def(&o.minInterval, defaultMinInterval)
	def(&o.negativeTTL, defaultNegativeTTL)
	def(&o.waitMax, defaultWaitMax)
	def(&o.retryMin, defaultRetryMin)
	def(&o.retryMax, defaultRetryMax)
	def(&o.retryAfterMax, defaultRetryAfterMax)
	if o.maxBody <= 0 {
		o.maxBody = defaultMaxBody
	}
}

// newKeySource returns iss's key source: static when iss.JWKS is set,
// otherwise remote (iss.JWKSURL, or OIDC discovery from iss.URL). It fails
// only on configuration errors; a remote set that cannot be fetched yet is
// logged and retried in the background. ctx bounds that background refresh;
// close stops it too. The source also implements keySetReadiness.
func newKeySource(ctx context.Context, iss Issuer, o keySetOptions) (keySource, error) {
	o.defaults()
	log := o.Logger.With("issuer", iss.URL)
	ks := &keySet{issuer: iss.URL, opts: o, log: log}

	if len(iss.JWKS) > 0 {
		if iss.JWKSURL != "" {
			return nil, fmt.Errorf("jwtgate: issuer %q: set JWKS or JWKSURL, not both", iss.URL)
		}
		keys, err := parseJWKS(iss.JWKS, false, o.allowOct, ks.logDropped)
		if err != nil {
			return nil, fmt.Errorf("jwtgate: issuer %q: static JWKS: %w", iss.URL, err)
		}
		ks.install(keys)
		return ks, nil
	}

	r := &remoteSet{}
	if iss.JWKSURL != "" {
		if err := checkFetchURL(iss.JWKSURL, o.insecureHTTP); err != nil {
			return nil, fmt.Errorf("jwtgate: issuer %q: JWKSURL: %w", iss.URL, err)
		}
		r.jwksURL = iss.JWKSURL
	} else if err := checkFetchURL(iss.URL, o.insecureHTTP); err != nil {
		return nil, fmt.Errorf("jwtgate: issuer %q: discovery needs an https issuer URL: %w", iss.URL, err)
	}
	r.client, r.ownTransport = fetchClient(o.HTTPClient, o.fetchTimeout)
	r.negative = make(map[string]time.Time)
	if ctx == nil {
		ctx = context.Background()
	}
	// Fetches are shared by many callers: none of them may cancel one. Only
	// close does; each fetch has its own timeout.
	r.fetchCtx, r.stopFetch = context.WithCancel(context.WithoutCancel(ctx))
	var bg context.Context
	bg, r.stopLoop = context.WithCancel(ctx)
	ks.remote = r

	ks.mu.Lock()
	first := ks.startLocked()
	r.wg.Add(1)
	ks.mu.Unlock()
	go ks.loop(bg, first)
	return ks, nil
}

// keySnapshot is an immutable view of one issuer's usable keys. The request
// path reads it through an atomic pointer, without locks.
type keySnapshot struct {
	keys map[string]keyEntry
	only keyEntry // the single key when len(keys) == 1; a token without kid may use it (H04)
}

// keySet is one issuer's key set, static or remote. It is safe for
// concurrent use.
//
// Revocation trade-off (SECURITY.md J09): a fetch that yields no usable key
// ({"keys":[]}, {}, only bad members) is a failure and the last good set is
// kept, so an issuer cannot revoke every key by publishing an empty set; a
// key stops verifying only when a set that still holds other usable keys
// drops it. Keys dropped that way are marked removed at once.
type keySet struct {
	issuer string
	opts   keySetOptions
	log    *slog.Logger
	snap   atomic.Pointer[keySnapshot]
	remote *remoteSet // nil for a static set

	mu sync.Mutex // guards remote's mutable state and install
}

// remoteSet is the fetching half of a remote keySet. Fields below mu are
// guarded by keySet.mu.
type remoteSet struct {
	jwksURL      string // set at construction, or by discovery inside a flight
	client       *http.Client
	ownTransport *http.Transport // closed on close; nil when borrowed

	fetchCtx  context.Context // parent of every fetch; cancelled by close only
	stopFetch context.CancelFunc
	stopLoop  context.CancelFunc
	wg        sync.WaitGroup // the loop and every flight goroutine

	// guarded by keySet.mu
	closed          bool
	cur             *keyFlight           // the fetch in progress, if any
	lastOnDemand    time.Time            // start of the last fetch an unknown kid caused
	lastLoadAttempt time.Time            // start of the last fetch a request caused before the first load
	notBefore       time.Time            // Retry-After: no on-demand fetch before this
	negative        map[string]time.Time // kid -> fail fast until (K08)
	failures        int                  // consecutive failed fetches
}

// keyFlight is one fetch shared by every caller that waits for it.
type keyFlight struct {
	started    time.Time // when the fetch started
	done       chan struct{}
	err        error         // set before done is closed
	maxAge     time.Duration // from Cache-Control, or -1
	retryAfter time.Duration // from Retry-After on 429/503, or 0
}

// Errors of the request path, built once so a failing lookup does not allocate.
var (
	errKidRequired   = fmt.Errorf("%w: token has no kid and the key set holds several keys", ErrUnknownKey)
	errAlgMismatch   = fmt.Errorf("%w: key is not usable with the token's alg", ErrUnknownKey)
	errKidNotFound   = fmt.Errorf("%w: kid not in the key set", ErrUnknownKey)
	errKidRecentMiss = fmt.Errorf("%w: kid not in the key set (recently refreshed)", ErrUnknownKey)
	errNotLoaded     = fmt.Errorf("%w: key set not loaded yet", ErrKeysUnavailable)
	errClosed        = fmt.Errorf("%w: verifier closed", ErrKeysUnavailable)
)

// key implements keySource. A hit on the current snapshot takes no lock and
// makes no allocation; a miss on a remote set may wait (bounded) for a
// shared, rate-limited refresh.
func (ks *keySet) key(ctx context.Context, kid, alg string) (*verifyKey, error) {
	if s := ks.snap.Load(); s != nil {
		if vk, found, err := s.lookup(kid, alg); found {
			return vk, err
		}
	}
	if ks.remote == nil {
		return nil, errKidNotFound
	}
	return ks.slow(ctx, kid, alg)
}

// lookup finds kid in s. found is false when a refresh might help: the kid is
// absent (a kid-less token on a set of several keys is final, not absent).
func (s *keySnapshot) lookup(kid, alg string) (vk *verifyKey, found bool, err error) {
	var e keyEntry
	if kid == "" {
		if s.only.vk == nil {
			return nil, true, errKidRequired
		}
		e = s.only
	} else {
		var ok bool
		if e, ok = s.keys[kid]; !ok {
			return nil, false, nil
		}
	}
	if e.algs&keyAlgBit(alg) == 0 {
		return nil, true, errAlgMismatch
	}
	return e.vk, true, nil
}

// slow handles a miss on a remote set: it joins the fetch in progress or
// starts one (at most one per minInterval), and waits at most waitMax and
// never past ctx.
func (ks *keySet) slow(ctx context.Context, kid, alg string) (*verifyKey, error) {
	r := ks.remote
	miss := func() error {
		if ks.snap.Load() == nil {
			return errNotLoaded
		}
		return errKidNotFound
	}

	// A caller that has already gone neither waits nor spends the refresh budget.
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("jwtgate: waiting for the key set: %w", err)
	}
	ks.mu.Lock()
	if r.closed {
		ks.mu.Unlock()
		return nil, errClosed
	}
	now := time.Now()
	loaded := ks.snap.Load() != nil
	if loaded {
		if until, ok := r.negative[kid]; ok {
			if now.Before(until) {
				ks.mu.Unlock()
				return nil, errKidRecentMiss
			}
			delete(r.negative, kid)
		}
	}
	f := r.cur
	if f == nil {
		// Load attempts before the first load and unknown-kid refreshes after
		// it are limited separately, so that retries during an outage do not
		// delay the first rotation after it.
		last := &r.lastOnDemand
		if !loaded {
			last = &r.lastLoadAttempt
		}
		if now.Before(r.notBefore) || (!last.IsZero() && now.Sub(*last) < ks.opts.minInterval) {
			ks.mu.Unlock()
			return nil, miss()
		}
		*last = now
		f = ks.startLocked()
	}
	ks.mu.Unlock()

	t := time.NewTimer(ks.opts.waitMax)
	defer t.Stop()
	select {
	case <-f.done:
	case <-ctx.Done():
		return nil, fmt.Errorf("jwtgate: waiting for the key set: %w", ctx.Err())
	case <-t.C:
		return nil, miss()
	}

	s := ks.snap.Load()
	if s == nil {
		return nil, errNotLoaded
	}
	if vk, found, err := s.lookup(kid, alg); found {
		return vk, err
	}
	// Only a fetch that started after this request asked proves the kid is
	// missing; one already running may predate the IdP publishing it.
	if f.err == nil && !f.started.Before(now) {
		ks.mu.Lock()
		ks.addNegativeLocked(kid, time.Now())
		ks.mu.Unlock()
	}
	return nil, errKidNotFound
}

// addNegativeLocked remembers that kid was missing after a fresh fetch.
// The cache is bounded: when full, expired entries go; if none, kid is not
// remembered (the per-issuer minInterval still bounds fetches).
func (ks *keySet) addNegativeLocked(kid string, now time.Time) {
	r := ks.remote
	if len(r.negative) >= maxNegativeKids {
		for k, until := range r.negative {
			if !now.Before(until) {
				delete(r.negative, k)
			}
		}
		if len(r.negative) >= maxNegativeKids {
			return
		}
	}
	r.negative[kid] = now.Add(ks.opts.negativeTTL)
}

// install makes keys the current snapshot. Keys that left the set, or whose
// material or alg changed, are marked removed so cached verifications that
// used them die; unchanged keys keep their *verifyKey.
func (ks *keySet) install(keys map[string]keyEntry) {
	ks.mu.Lock()
	defer ks.mu.Unlock()
	next := &keySnapshot{keys: keys}
	if old := ks.snap.Load(); old != nil {
		for kid, oe := range old.keys {
			if ne, ok := keys[kid]; ok && sameKey(oe.vk, ne.vk) {
				ne.vk = oe.vk
				keys[kid] = ne
				continue
			}
			oe.vk.removed.Store(true)
			ks.log.Info("jwtgate: signing key removed from key set", "kid", logKid(kid))
		}
		for kid, ne := range keys {
			if oe, ok := old.keys[kid]; !ok || oe.vk != ne.vk {
				ks.log.Info("jwtgate: signing key added to key set", "kid", logKid(kid))
			}
		}
	}
	if len(keys) == 1 {
		for _, e := range keys {
			next.only = e
		}
	}
	ks.snap.Store(next)
}

// logDropped logs one JWK that was not taken into the set.
func (ks *keySet) logDropped(d droppedKey) {
	ks.log.Warn("jwtgate: JWK dropped from key set", "kid", logKid(d.kid), "reason", d.reason)
}

// logKid bounds a kid before it is logged.
func logKid(kid string) string {
	if len(kid) > 128 {
		return kid[:128] + "…"
	}
	return kid
}

// ready reports whether a usable key set has loaded at least once (K11).
func (ks *keySet) ready() bool { return ks.snap.Load() != nil }

// close stops the background refresh and any fetch in progress, and waits
// for their goroutines to end. It is safe to call more than once.
func (ks *keySet) close() {
	r := ks.remote
	if r == nil {
		return
	}
	ks.mu.Lock()
	if r.closed {
		ks.mu.Unlock()
		return
	}
	r.closed = true
	ks.mu.Unlock()
	r.stopLoop()
	r.stopFetch()
	r.wg.Wait()
	if r.ownTransport != nil {
		r.ownTransport.CloseIdleConnections()
	}
}
