// Package keyset keeps one issuer's JSON Web Key Set for the verifier: a
// static set, or a remote one fetched (over OpenID Connect discovery when no
// URL is given) with a timeout, a body cap, no redirects, refreshed in the
// background at Cache-Control max-age and on demand for an unknown kid
// (rate-limited, single-flight, with a negative cache), keeping the last good
// set through outages. Every member is filtered (private material, key use,
// weak or malformed keys, ROCA) and bound to the algorithms it may be used
// with (internal/alg). The request path reads an immutable snapshot without
// locks or allocations. Set.Keyfunc lends the same filtered set to
// golang-jwt code through keyfunc v3.
package keyset

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jwtgate/jwtgate/internal/alg"
)

// Defaults of Config's timing (docs/SECURITY.md K02, K08, K10).
const (
	defaultFetchTimeout    = 5 * time.Second
	defaultMaxBody         = 1 << 20
	defaultRefreshInterval = 15 * time.Minute
	defaultMinMaxAge       = time.Minute
	defaultMaxMaxAge       = time.Hour
	defaultMinInterval     = 30 * time.Second
	defaultWaitMax         = 2 * time.Second
	defaultRetryMin        = time.Second
	defaultRetryMax        = time.Minute
	defaultRetryAfterMax   = 10 * time.Minute
	maxNegativeKids        = 4096
	failuresBeforeError    = 3
)

// Bounds of Config's exported timing fields, which CheckTiming enforces
// (docs/SECURITY.md K02, K08, K10).
const (
	minRefreshInterval    = time.Minute
	maxRefreshInterval    = 24 * time.Hour
	minMinRefreshInterval = time.Second
	maxMinRefreshInterval = 5 * time.Minute
	minFetchTimeout       = 100 * time.Millisecond
	maxFetchTimeout       = time.Minute
	minRequestWait        = time.Millisecond
)

// Config configures New. Timing fields default when zero; the unexported
// ones only tests shorten. Refresh timing runs on the
// monotonic clock, so that a fixed test clock cannot freeze key rotation.
type Config struct {
	Issuer  string // the exact iss value: logs, and the discovery document must name it
	JWKSURL string // the JWK Set URL; if empty (and JWKS is empty), discovered from Issuer
	JWKS    []byte // a static JWK Set; the caller makes sure JWKSURL is then empty

	// Algorithms is the verifier's allowlist. Symmetric (kty "oct") keys are
	// kept, in static sets only, when it holds an HS algorithm; New then
	// refuses a static set with a secret too short (checkStaticHMAC).
	Algorithms alg.Set

	// Order is the allowlist in the verifier's order. An RSA or oct JWK
	// without alg serves one algorithm (A05): the first of Order that its
	// type and size fit; an RSA key RS256 when Order has no RSA algorithm.
	// If empty, Algorithms in the table's order.
	Order []alg.ID

	// Now is the clock of the times Status reports. If nil, time.Now.
	// Refresh timing does not read it: it runs on the monotonic clock.
	Now func() time.Time

	HTTPClient *http.Client // lends its Transport; nil: a client of our own, never http.DefaultClient
	Logger     *slog.Logger // nil: slog.Default()

	// The tuning the verifier exports (core.KeySetConfig); CheckTiming
	// enforces their bounds. Zero means the default.
	FetchTimeout       time.Duration // total timeout of one fetch; default 5 s
	RefreshInterval    time.Duration // periodic refresh without Cache-Control max-age; default 15 min
	MinRefreshInterval time.Duration // at most one on-demand (unknown kid) fetch per this; default 30 s
	RequestWait        time.Duration // a request waits at most this for an on-demand fetch; default 2 s, at most FetchTimeout

	// Fixed bounds; only tests change them.
	maxBody       int64         // response body cap; default 1 MiB
	minMaxAge     time.Duration // lower clamp of max-age; default 1 min
	maxMaxAge     time.Duration // upper clamp of max-age; default 1 h
	retryMin      time.Duration // first backoff after a failed fetch; default 1 s
	retryMax      time.Duration // backoff cap; default 1 min
	retryAfterMax time.Duration // Retry-After is honoured up to this; default 10 min
	insecureHTTP  bool          // allow http:// to non-loopback hosts (tests only)
}

func (c *Config) defaults() {
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&c.FetchTimeout, defaultFetchTimeout)
	def(&c.RefreshInterval, defaultRefreshInterval)
	def(&c.minMaxAge, defaultMinMaxAge)
	def(&c.maxMaxAge, defaultMaxMaxAge)
	def(&c.MinRefreshInterval, defaultMinInterval)
	def(&c.RequestWait, min(defaultWaitMax, c.FetchTimeout))
	def(&c.retryMin, defaultRetryMin)
	def(&c.retryMax, defaultRetryMax)
	def(&c.retryAfterMax, defaultRetryAfterMax)
	if c.maxBody <= 0 {
		c.maxBody = defaultMaxBody
	}
	if len(c.Order) == 0 {
		for _, a := range alg.All() {
			if c.Algorithms.Has(a) {
				c.Order = append(c.Order, a)
			}
		}
	}
	if c.Now == nil {
		c.Now = time.Now
	}
}

// CheckTiming refuses an exported timing field (RefreshInterval,
// MinRefreshInterval, FetchTimeout, RequestWait) outside its bounds; zero
// means the default. MinRefreshInterval may not exceed RefreshInterval, nor
// RequestWait FetchTimeout (each as defaulted). The error text starts with
// the field's name, so that a caller can put its own path in front.
func (c Config) CheckTiming() error {
	bound := func(name string, d, lo, hi time.Duration) error {
		if d != 0 && (d < lo || d > hi) {
			return fmt.Errorf("%s %v is outside [%v, %v] (zero means the default)", name, d, lo, hi)
		}
		return nil
	}
	fetch := c.FetchTimeout
	if fetch == 0 {
		fetch = defaultFetchTimeout
	}
	refresh := c.RefreshInterval
	if refresh == 0 {
		refresh = defaultRefreshInterval
	}
	for _, err := range []error{
		bound("RefreshInterval", c.RefreshInterval, minRefreshInterval, maxRefreshInterval),
		bound("MinRefreshInterval", c.MinRefreshInterval, minMinRefreshInterval, min(maxMinRefreshInterval, refresh)),
		bound("FetchTimeout", c.FetchTimeout, minFetchTimeout, maxFetchTimeout),
		bound("RequestWait", c.RequestWait, minRequestWait, fetch),
	} {
		if err != nil {
			return err
		}
	}
	return nil
}

// allowOct reports whether symmetric keys may be kept.
func (c *Config) allowOct() bool {
	return c.Algorithms.Has(alg.HS256) || c.Algorithms.Has(alg.HS384) || c.Algorithms.Has(alg.HS512)
}

// Key is one usable verification key of a set, after filtering.
type Key struct {
	// Public is *rsa.PublicKey, *ecdsa.PublicKey, ed25519.PublicKey, or the
	// []byte secret of an oct key (static sets only).
	Public any

	kid     string
	alg     string      // the JWK's alg, or "" when it has none
	removed atomic.Bool // a refresh dropped or changed the key
}

// Removed reports whether a refresh has dropped this key (or changed its
// material or alg) since it was handed out. Verifications that used it must
// not be reused.
func (k *Key) Removed() bool { return k.removed.Load() }

// New returns the key set of c.Issuer: static when c.JWKS is set, otherwise
// remote (c.JWKSURL, or OIDC discovery from c.Issuer). It fails only on
// configuration errors: a bad or non-https URL (http is allowed for loopback
// hosts), a static set with no usable key, or with an oct key shorter than 32
// bytes, than its alg needs, or (without alg) than every allowed HS algorithm
// needs. A remote set that cannot be fetched yet is logged and retried in the
// background; Key answers ErrUnavailable until a set has loaded once. ctx
// bounds that background refresh; Close stops it too.
func New(ctx context.Context, c Config) (*Set, error) {
	c.defaults()
	log := c.Logger.With("issuer", c.Issuer)
	ks := &Set{issuer: c.Issuer, opts: c, log: log}

	if len(c.JWKS) > 0 {
		var dropped []droppedKey
		keys, err := parseJWKS(c.JWKS, parseRules{allowOct: c.allowOct(), order: c.Order}, collect(&dropped))
		ks.logDropped(dropped)
		if err != nil {
			return nil, fmt.Errorf("static JWKS: %w", err)
		}
		if err := checkStaticHMAC(keys, dropped, c.Algorithms); err != nil {
			return nil, err
		}
		if err := checkStaticServes(keys, c.Algorithms); err != nil {
			return nil, err
		}
		ks.install(keys)
		ks.loadedAt = c.Now() // not logged: New's success says it
		return ks, nil
	}

	r := &remoteSet{}
	if c.JWKSURL != "" {
		if err := checkFetchURL(c.JWKSURL, c.insecureHTTP); err != nil {
			return nil, fmt.Errorf("JWKSURL: %w", err)
		}
		r.jwksURL = c.JWKSURL
	} else if err := checkFetchURL(c.Issuer, c.insecureHTTP); err != nil {
		return nil, fmt.Errorf("discovery needs an https issuer URL: %w", err)
	} else if strings.ContainsAny(c.Issuer, "?#") {
		return nil, errors.New("discovery needs an issuer URL without query or fragment (OpenID Connect Discovery §3)")
	}
	r.firstURL = r.jwksURL
	if r.firstURL == "" {
		r.firstURL = discoveryURL(c.Issuer)
	}
	r.client, r.ownTransport = fetchClient(c.HTTPClient, c.FetchTimeout)
	r.negative = make(map[string]time.Time)
	if ctx == nil {
		ctx = context.Background()
	}
	// Fetches are shared by many callers: none of them may cancel one. Only
	// Close does; each fetch has its own timeout.
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

// checkStaticHMAC refuses a static set with an HMAC secret too short
// (docs/SECURITY.md A05, A13; RFC 7518 §3.2): one that parseJWK dropped as
// shorter than 32 bytes or than its alg needs (a weakSecret reason), or an
// oct key without alg that no allowed HS algorithm fits, which parseJWK bound
// to none.
func checkStaticHMAC(keys map[string]keyEntry, dropped []droppedKey, allowed alg.Set) error {
	for _, d := range dropped {
		if strings.HasPrefix(d.reason, weakSecret) {
			return fmt.Errorf("static JWKS: key %q: %s: an HMAC secret must be at least as long as its hash output (RFC 7518 §3.2)", d.kid, d.reason)
		}
	}
	for _, e := range keys {
		secret, ok := e.key.Public.([]byte)
		if !ok || e.algs != 0 {
			continue
		}
		for _, a := range []alg.ID{alg.HS256, alg.HS384, alg.HS512} { // shortest need first
			if in := a.Info(); allowed.Has(a) {
				return fmt.Errorf("static oct key %q has no alg and is shorter than every allowed HS algorithm needs (%d bytes; %s needs %d)",
					e.key.kid, len(secret), in.Name, in.MinKeyBits/8)
			}
		}
	}
	return nil
}

// checkStaticServes refuses a static set none of whose keys may be used with
// an allowed algorithm: no token could ever verify against it. An empty
// allowed (a Config without Algorithms) is not checked.
func checkStaticServes(keys map[string]keyEntry, allowed alg.Set) error {
	var serves alg.Set
	for _, e := range keys {
		serves |= e.algs
	}
	if allowed == 0 || serves&allowed != 0 {
		return nil
	}
	var can, want []string
	for _, a := range alg.All() {
		if serves.Has(a) {
			can = append(can, a.String())
		}
		if allowed.Has(a) {
			want = append(want, a.String())
		}
	}
	return fmt.Errorf("static JWKS: no key serves an algorithm of the allowlist (%s); its keys serve %s",
		strings.Join(want, ", "), strings.Join(can, ", "))
}

// keySnapshot is an immutable view of one issuer's usable keys. The request
// path reads it through an atomic pointer, without locks.
type keySnapshot struct {
	keys map[string]keyEntry
	only keyEntry // the single key when len(keys) == 1; a token without kid may use it (H04)
}

// Set is one issuer's key set, static or remote. It is safe for
// concurrent use.
//
// Revocation trade-off (docs/SECURITY.md J09): a fetch that yields no usable key
// ({"keys":[]}, {}, only bad members) is a failure and the last good set is
// kept, so an issuer cannot revoke every key by publishing an empty set; a
// key stops verifying only when a set that still holds other usable keys
// drops it. Keys dropped that way are marked removed at once.
type Set struct {
	issuer   string
	opts     Config
	log      *slog.Logger
	snap     atomic.Pointer[keySnapshot]
	remote   *remoteSet // nil for a static set
	loadedAt time.Time  // a static set: when New loaded it

	mu      sync.Mutex              // guards remote's mutable state, install and dropped
	dropped map[droppedKey]struct{} // members the last parse dropped, each logged once
}

// remoteSet is the fetching half of a remote Set. Fields below mu are
// guarded by Set.mu.
type remoteSet struct {
	jwksURL      string // set at construction, or by discovery inside a flight
	firstURL     string // JWKSURL, or the discovery URL, as configured
	client       *http.Client
	ownTransport *http.Transport // closed on close; nil when borrowed

	fetchCtx  context.Context // parent of every fetch; cancelled by close only
	stopFetch context.CancelFunc
	stopLoop  context.CancelFunc
	wg        sync.WaitGroup // the loop and every flight goroutine

	// guarded by Set.mu
	closed          bool
	cur             *keyFlight           // the fetch in progress, if any
	lastOnDemand    time.Time            // start of the last fetch an unknown kid caused
	lastLoadAttempt time.Time            // start of the last fetch a request caused before the first load
	notBefore       time.Time            // Retry-After: no on-demand fetch before this
	negative        map[string]time.Time // kid -> fail fast until (K08); cleared by every new snapshot
	failures        int                  // consecutive failed fetches
	totalFailures   int                  // failed fetches since New
	lastSuccess     time.Time            // end of the last successful fetch
	lastFailure     time.Time            // end of the last failed fetch
	lastErr         string               // its error, URLs redacted
	shownURL        string               // the JWKS URL last fetched (or discovery's), redacted
}

// keyFlight is one fetch shared by every caller that waits for it.
type keyFlight struct {
	started    time.Time // when the fetch started
	done       chan struct{}
	err        error         // set before done is closed
	maxAge     time.Duration // from Cache-Control, or -1
	retryAfter time.Duration // from Retry-After on 429/503, or 0
}

// ErrUnknownKey and ErrUnavailable are the kinds of Key's errors (besides
// the caller's context error): no usable key of the set fits the kid and alg,
// or no set has loaded yet (or the set is closed).
var (
	ErrUnknownKey  = errors.New("unknown signing key")
	ErrUnavailable = errors.New("key set unavailable")
)

// Errors of the request path, built once so a failing lookup does not allocate.
var (
	errKidRequired   = fmt.Errorf("%w: token has no kid and the key set holds several keys", ErrUnknownKey)
	errAlgMismatch   = fmt.Errorf("%w: key is not usable with the token's alg", ErrUnknownKey)
	errKidNotFound   = fmt.Errorf("%w: kid not in the key set", ErrUnknownKey)
	errKidEmpty      = fmt.Errorf("%w: kid is empty (a kid that is present must name a key)", ErrUnknownKey)
	errKidRecentMiss = fmt.Errorf("%w: kid not in the key set (recently refreshed)", ErrUnknownKey)
	errNotLoaded     = fmt.Errorf("%w: not loaded yet", ErrUnavailable)
	errClosed        = fmt.Errorf("%w: closed", ErrUnavailable)
)

// Key returns the key for kid that may be used with a (a is already on the
// verifier's allowlist). kid "" means the token has no kid, and is allowed
// only when the set holds exactly one key (docs/SECURITY.md H04); the caller
// refuses a kid that is present but empty before asking. Errors wrap ErrUnknownKey, ErrUnavailable
// when no set was ever loaded, or the caller's context error.
//
// A hit on the current snapshot takes no lock and makes no allocation; a miss
// on a remote set may wait (bounded) for a shared, rate-limited refresh.
func (ks *Set) Key(ctx context.Context, kid string, a alg.ID) (*Key, error) {
	if s := ks.snap.Load(); s != nil {
		if k, found, err := s.lookup(kid, a); found {
			return k, err
		}
	}
	if ks.remote == nil {
		return nil, errKidNotFound
	}
	return ks.slow(ctx, kid, a)
}

// lookup finds kid in s. found is false when a refresh might help: the kid is
// absent (a kid-less token on a set of several keys is final, not absent).
func (s *keySnapshot) lookup(kid string, a alg.ID) (k *Key, found bool, err error) {
	var e keyEntry
	if kid == "" {
		if s.only.key == nil {
			return nil, true, errKidRequired
		}
		e = s.only
	} else {
		var ok bool
		if e, ok = s.keys[kid]; !ok {
			return nil, false, nil
		}
	}
	if !e.algs.Has(a) {
		return nil, true, errAlgMismatch
	}
	return e.key, true, nil
}

// slow handles a miss on a remote set: it joins the fetch in progress or
// starts one (at most one per MinRefreshInterval), and waits at most RequestWait and
// never past ctx.
func (ks *Set) slow(ctx context.Context, kid string, a alg.ID) (*Key, error) {
	r := ks.remote
	miss := func() error {
		if ks.snap.Load() == nil {
			return errNotLoaded
		}
		return errKidNotFound
	}

	// A caller that has already gone neither waits nor spends the refresh budget.
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("waiting for the key set: %w", err)
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
		if now.Before(r.notBefore) || (!last.IsZero() && now.Sub(*last) < ks.opts.MinRefreshInterval) {
			ks.mu.Unlock()
			return nil, miss()
		}
		*last = now
		f = ks.startLocked()
		ks.mu.Unlock()
		if loaded {
			ks.log.Info("jwtgate: fetching the key set for an unknown kid", "kid", logKid(kid))
		} else {
			ks.log.Info("jwtgate: fetching the key set on request; not loaded yet", "kid", logKid(kid))
		}
	} else {
		ks.mu.Unlock()
	}

	t := time.NewTimer(ks.opts.RequestWait)
	defer t.Stop()
	select {
	case <-f.done:
	case <-ctx.Done():
		return nil, fmt.Errorf("waiting for the key set: %w", ctx.Err())
	case <-t.C:
		return nil, miss()
	}

	s := ks.snap.Load()
	if s == nil {
		return nil, errNotLoaded
	}
	if k, found, err := s.lookup(kid, a); found {
		return k, err
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

// addNegativeLocked remembers that kid was missing after a fresh fetch, for
// MinRefreshInterval at most: by then the kid may trigger a fetch again, so that a
// kid probed before its issuer published it is not blocked for longer than
// any other new kid (K08, K09). Every new snapshot forgets them all.
// The cache is bounded: when full, expired entries go; if none, kid is not
// remembered (the per-issuer MinRefreshInterval still bounds fetches).
func (ks *Set) addNegativeLocked(kid string, now time.Time) {
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
	r.negative[kid] = now.Add(ks.opts.MinRefreshInterval)
}

// install makes keys the current snapshot. Keys that left the set, or whose
// material or alg changed, are marked removed so cached verifications that
// used them die; unchanged keys keep their *Key.
func (ks *Set) install(keys map[string]keyEntry) {
	ks.mu.Lock()
	defer ks.mu.Unlock()
	if ks.remote != nil {
		// A kid missing from the last set may be in this one, or may be
		// published before the next: each snapshot starts afresh (K08).
		clear(ks.remote.negative)
	}
	next := &keySnapshot{keys: keys}
	if old := ks.snap.Load(); old != nil {
		for kid, oe := range old.keys {
			if ne, ok := keys[kid]; ok && sameKey(oe.key, ne.key) {
				ne.key = oe.key
				keys[kid] = ne
				continue
			}
			oe.key.removed.Store(true)
			ks.log.Info("jwtgate: signing key removed from key set", "kid", logKid(kid))
		}
		for kid, ne := range keys {
			if oe, ok := old.keys[kid]; !ok || oe.key != ne.key {
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

// collect returns a parseJWKS callback that appends to *list.
func collect(list *[]droppedKey) func(droppedKey) {
	return func(d droppedKey) { *list = append(*list, d) }
}

// logDropped logs the members a parse dropped, each distinct kid and reason
// once: not again on every refresh while the same member stays in the set,
// but again if it leaves and comes back.
func (ks *Set) logDropped(list []droppedKey) {
	ks.mu.Lock()
	prev := ks.dropped
	ks.dropped = make(map[droppedKey]struct{}, len(list))
	var fresh []droppedKey
	for _, d := range list {
		if _, ok := ks.dropped[d]; ok {
			continue
		}
		ks.dropped[d] = struct{}{}
		if _, ok := prev[d]; !ok {
			fresh = append(fresh, d)
		}
	}
	ks.mu.Unlock()
	for _, d := range fresh {
		ks.log.Warn("jwtgate: JWK dropped from key set", "kid", logKid(d.kid), "reason", d.reason)
	}
}

// logKid bounds a kid before it is logged.
func logKid(kid string) string {
	if len(kid) > 128 {
		return kid[:128] + "…"
	}
	return kid
}

// Ready reports whether a usable key set has loaded at least once (K11).
func (ks *Set) Ready() bool { return ks.snap.Load() != nil }

// Close stops the background refresh and any fetch in progress, and waits
// for their goroutines to end. Keys already loaded stay usable. It is safe
// to call more than once.
func (ks *Set) Close() {
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
