package refresh

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/jwtgate/jwtgate/internal/httpx"
)

// Exchanger swaps a refresh token for new tokens at an issuer. Exchange must
// honour ctx (a Source gives each attempt its own timeout) and should return
// an *ExchangeError to classify failures; an unclassified error counts as
// ErrUnavailable and is retried.
//
// An answer without a refresh token is fine: the Source keeps the one it
// sent. An answer whose Expiry is zero gets its expiry from the access
// token's exp claim, if it is a JWT.
//
// An Exchanger that also needs the tokens being replaced or the Source's
// clock implements RequestExchanger as well.
type Exchanger interface {
	Exchange(ctx context.Context, refreshToken string) (*Tokens, error)
}

// RequestExchanger is an Exchanger that wants to know more than the refresh
// token: a Source that holds one calls ExchangeRequest instead of Exchange.
// The exchangers of this package implement it.
type RequestExchanger interface {
	Exchanger
	// ExchangeRequest swaps r.Current.RefreshToken for new tokens, under
	// the same rules as Exchange.
	ExchangeRequest(ctx context.Context, r Request) (*Tokens, error)
}

// Request is one exchange as a Source asks for it.
type Request struct {
	// Current is a copy of the tokens being replaced; Current.RefreshToken
	// is the refresh token to swap. Never nil when a Source calls.
	Current *Tokens
	// Now is the Source's clock (see WithClock). An exchanger reads it when
	// the answer arrives and measures expires_in from there. A Source
	// always sets it; the built-in exchangers use time.Now when it is nil.
	Now func() time.Time
	// HTTPClient is the client set with WithHTTPClient, nil if none. An
	// Exchanger that speaks HTTP should send through its Transport.
	HTTPClient *http.Client
}

// Store persists tokens across restarts. A Source calls Save with the new
// tokens before any caller sees them, and Save(ctx, nil) when the tokens
// must be forgotten (the refresh token was revoked). Load returns (nil, nil)
// when nothing is stored.
//
// Implementations must be safe for concurrent use.
type Store interface {
	Load(ctx context.Context) (*Tokens, error)
	Save(ctx context.Context, t *Tokens) error
}

// Option configures a Source.
type Option func(*Source)

// WithStore makes the Source persist every new set of tokens through st
// (see Store). When NewSource is given no initial tokens, the Source loads
// them from st on first use. If nil, tokens live in memory only.
func WithStore(st Store) Option { return func(s *Source) { s.store = st } }

// WithExpiryDelta sets how long before the access token's expiry the Source
// refreshes it. If zero or negative, 30 seconds.
func WithExpiryDelta(d time.Duration) Option { return func(s *Source) { s.delta = d } }

// WithTimeout bounds each exchange attempt (and each Store call). It is
// independent of any caller's context. If zero or negative, 10 seconds.
func WithTimeout(d time.Duration) Option { return func(s *Source) { s.timeout = d } }

// WithRetries sets how many times one refresh retries an ErrUnavailable
// failure before it gives up. If negative, 0; the default is 2 (three
// attempts).
func WithRetries(n int) Option {
	return func(s *Source) { s.retries = max(n, 0) }
}

// WithBackoff sets the exponential backoff between attempts (base, doubled
// per attempt, with jitter, capped at max) and the bound on a server's
// Retry-After. If zero, base is 500 ms and max 30 s.
func WithBackoff(base, max time.Duration) Option {
	return func(s *Source) { s.backoffBase, s.backoffMax = base, max }
}

// WithMaxLifetime caps the lifetime a Source believes a new access token
// has, whatever expires_in or exp claim (protection against absurd
// values). If zero or negative, 24 hours.
func WithMaxLifetime(d time.Duration) Option { return func(s *Source) { s.maxLifetime = d } }

// WithClock sets the clock the Source reads expiries and backoffs from (for
// tests). If nil, time.Now.
func WithClock(now func() time.Time) Option { return func(s *Source) { s.now = now } }

// now reads r's clock, or time.Now if it has none.
func (r Request) now() time.Time {
	if r.Now == nil {
		return time.Now()
	}
	return r.Now()
}

// WithHosts lists the origins that Source.Transport sends the access token
// to. An entry is one of:
//
//   - "host" or a bare IP address: https on port 443 only;
//   - "host:port" or "[v6]:port": https on that port;
//   - "https://host[:port]": https on that port, or 443;
//   - "http://host[:port]": plain http on that port, or 80 — the only way
//     the token goes over plain http to a host that is not loopback.
//
// A loopback host (localhost, 127.0.0.0/8, ::1) named without a port
// matches any port, over http or https; with a port, that port only.
// Without WithHosts, the origin of the first request sent through a
// Transport of the Source is the only one (any port, for a loopback host).
// An entry that is not one of these makes every Transport request fail with
// an error matching ErrMisconfigured. A later WithHosts replaces an earlier
// one.
func WithHosts(hosts ...string) Option {
	return func(s *Source) { s.hostList = append([]string{}, hosts...) }
}

// WithHTTPClient lends hc's Transport (TLS settings, proxies) to the
// exchanges the Source runs: the built-in exchangers send their requests to
// the token endpoint or the Cognito API through it. Whatever hc says,
// redirects are not followed (a 307 would re-send the refresh token and the
// client secret to another host), answers are capped at 1 MiB and timeouts
// come from WithTimeout. It does not affect Transport, which has its own
// base. If nil, http.DefaultTransport is used.
func WithHTTPClient(hc *http.Client) Option { return func(s *Source) { s.httpClient = hc } }

// WithLogger sets the logger for refresh events. Records never contain a
// token or a secret. If nil, nothing is logged.
func WithLogger(l *slog.Logger) Option { return func(s *Source) { s.log = l } }

// WithContext ties the Source's life to ctx: when ctx is done, a refresh in
// flight is aborted and the Source behaves as if closed. Only ctx's
// cancellation is used, never its values. If nil, only Close ends it.
func WithContext(ctx context.Context) Option { return func(s *Source) { s.parent = ctx } }

// Source hands out fresh tokens: it refreshes them shortly before they
// expire (see WithExpiryDelta) and when a server rejects them (see
// Transport).
//
// One refresh runs at a time for all callers (single-flight). It runs on a
// context of its own, detached from the callers' cancellation, with a
// per-attempt timeout (WithTimeout); each caller waits on its own context and
// may leave without cancelling the refresh. No lock is held while the
// exchange or the Store runs.
//
// A Source is safe for concurrent use. Use one Source per refresh token:
// two Sources (or two processes) sharing a rotating refresh token will
// revoke each other (see the package documentation).
type Source struct {
	x      Exchanger
	store  Store
	log    *slog.Logger
	now    func() time.Time
	sleep  func(ctx context.Context, d time.Duration) error
	parent context.Context

	httpClient *http.Client
	hostList   []string // WithHosts; nil: pin the first request's origin
	hosts      *hostSet // where Transport sends the access token

	delta, timeout, maxLifetime time.Duration
	backoffBase, backoffMax     time.Duration
	minInterval                 time.Duration
	retries                     int

	root       context.Context
	cancelRoot context.CancelFunc
	running    sync.WaitGroup // refresh goroutines; Close waits for them

	// saveMu orders writers of the tokens (a finishing refresh, SetTokens)
	// so that the Store always ends with the tokens the Source uses. Only
	// writers take it; Token never does.
	saveMu sync.Mutex

	mu       sync.Mutex
	cur      *Tokens   // never mutated once stored
	obtained time.Time // local time cur arrived from a refresh, if it arrived stale; zero otherwise
	needLoad bool      // load from store on first use
	gen      uint64    // bumped whenever tokens are replaced from outside a refresh
	sticky   error     // ErrReauthenticate / ErrMisconfigured state
	retryAt  time.Time // no new refresh before this
	lastErr  error     // why retryAt is set
	failures int       // consecutive failed refreshes
	fl       *flight
}

// flight is one shared refresh.
type flight struct {
	done     chan struct{}
	tok      *Tokens // result; nil on error
	err      error
	fallback *Tokens // the tokens in use when the refresh failed softly
}

// NewSource returns a Source that refreshes initial with x. If initial is
// nil, the tokens are loaded from the Store on first use (see WithStore);
// without a store the Source has no tokens and Token returns an error
// matching ErrReauthenticate until SetTokens is called. initial is not
// written to the Store; SetTokens is.
//
// If initial.Expiry is zero, it is taken from the access token's exp claim
// when the access token is a JWT.
func NewSource(x Exchanger, initial *Tokens, opts ...Option) *Source {
	s := &Source{x: x, retries: 2}
	for _, o := range opts {
		if o != nil {
			o(s)
		}
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.delta <= 0 {
		s.delta = 30 * time.Second
	}
	if s.timeout <= 0 {
		s.timeout = 10 * time.Second
	}
	if s.backoffBase <= 0 {
		s.backoffBase = 500 * time.Millisecond
	}
	if s.backoffMax <= 0 {
		s.backoffMax = 30 * time.Second
	}
	s.backoffMax = max(s.backoffMax, s.backoffBase)
	if s.maxLifetime <= 0 {
		s.maxLifetime = 24 * time.Hour
	}
	s.minInterval = min(5*time.Second, s.maxLifetime)
	if s.sleep == nil {
		s.sleep = sleepCtx
	}
	parent := s.parent
	if parent == nil {
		parent = context.Background()
	}
	s.parent = nil
	s.hosts = newHostSet(s.hostList)
	s.root, s.cancelRoot = context.WithCancel(parent)
	if initial != nil {
		s.cur = s.normalizeGiven(initial)
	} else if s.store != nil {
		s.needLoad = true
	}
	return s
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Close aborts a refresh in flight, waits until it has stopped (so nothing
// is logged or stored after Close returns), and makes later calls return
// ErrClosed. It does not touch the Store. Do not call it from an Exchanger
// or a Store.
func (s *Source) Close() error {
	s.mu.Lock()
	s.cancelRoot() // under mu: no refresh can start after this
	s.mu.Unlock()
	s.running.Wait()
	return nil
}

// normalizeGiven prepares tokens that come from outside a refresh (initial,
// SetTokens, Load): their expiry, if unknown, is the access token's exp.
func (s *Source) normalizeGiven(t *Tokens) *Tokens {
	c := t.clone()
	if strings.EqualFold(c.TokenType, "bearer") {
		c.TokenType = "Bearer"
	}
	if c.Expiry.IsZero() {
		c.Expiry = expiryFromJWT(c.AccessToken, time.Time{})
	}
	if now := s.now(); !c.Expiry.IsZero() && c.Expiry.Sub(now) > s.maxLifetime {
		c.Expiry = now.Add(s.maxLifetime)
	}
	return c
}

// fresh reports whether cur can be handed out without a refresh.
func (s *Source) fresh(t *Tokens, obtained, now time.Time) bool {
	if t.Expiry.IsZero() || now.Before(t.Expiry.Add(-s.delta)) {
		return true
	}
	// The token arrived already due for a refresh (lifetime at most the
	// delta, a negative expires_in, a skewed exp): do not refresh in a tight
	// loop; use it for a while, and let a 401 drive the next refresh.
	return !obtained.IsZero() && now.Sub(obtained) < s.minInterval
}

// usable reports whether t's access token has not expired yet.
func usable(t *Tokens, now time.Time) bool {
	return t != nil && t.AccessToken != "" && (t.Expiry.IsZero() || now.Before(t.Expiry))
}

// Token returns tokens whose access token is valid for at least the expiry
// delta, refreshing them first if needed. Concurrent callers share one
// refresh; ctx only bounds this caller's wait.
//
// When a refresh fails with ErrUnavailable or ErrInvalidResponse but the
// current access token has not expired yet, Token returns it (and the
// failure is logged). An error matching ErrReauthenticate means the user
// must sign in again (then call SetTokens).
func (s *Source) Token(ctx context.Context) (*Tokens, error) {
	return s.token(ctx, "", false)
}

// tokenAfterReject is Token for a request whose access token (sent) was
// rejected with 401: it refreshes only if sent is still the current access
// token, and otherwise returns the current tokens.
func (s *Source) tokenAfterReject(ctx context.Context, sent string) (*Tokens, error) {
	return s.token(ctx, sent, true)
}

func (s *Source) token(ctx context.Context, rejected string, force bool) (*Tokens, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	if s.root.Err() != nil {
		s.mu.Unlock()
		return nil, errClosed
	}
	if s.sticky != nil {
		err := s.sticky
		s.mu.Unlock()
		return nil, err
	}
	now := s.now()
	if !s.needLoad {
		if s.cur == nil {
			s.mu.Unlock()
			return nil, errNoTokens
		}
		if (force && s.cur.AccessToken != rejected) || (!force && s.fresh(s.cur, s.obtained, now)) {
			t := s.cur.clone()
			s.mu.Unlock()
			return t, nil
		}
	}
	f := s.fl
	if f == nil {
		if !s.needLoad && now.Before(s.retryAt) {
			// Backing off: fail fast.
			cur, lastErr, until := s.cur, s.lastErr, s.retryAt
			s.mu.Unlock()
			if !force && usable(cur, now) {
				return cur.clone(), nil
			}
			return nil, fmt.Errorf("refresh: not retrying for %s: %w", until.Sub(now).Round(time.Millisecond), lastErr)
		}
		f = s.startLocked(ctx)
	}
	s.mu.Unlock()

	select {
	case <-f.done:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	if f.err != nil {
		if !force && f.fallback != nil && usable(f.fallback, s.now()) {
			return f.fallback.clone(), nil
		}
		return nil, f.err
	}
	return f.tok.clone(), nil
}

// startLocked starts a refresh; s.mu is held.
func (s *Source) startLocked(ctx context.Context) *flight {
	f := &flight{done: make(chan struct{})}
	s.fl = f
	// Detached from the caller's cancellation (keeps its values), bound to
	// the Source's life.
	fctx, cancel := context.WithCancelCause(context.WithoutCancel(ctx))
	stop := context.AfterFunc(s.root, func() { cancel(ErrClosed) })
	s.running.Add(1)
	go func(base *Tokens, gen uint64, load bool) {
		defer s.running.Done()
		s.run(fctx, func() { stop(); cancel(nil) }, f, base, gen, load)
	}(s.cur, s.gen, s.needLoad)
	return f
}

// run performs one refresh: optionally load from the store, then exchange
// with bounded retries, then publish.
func (s *Source) run(ctx context.Context, release func(), f *flight, base *Tokens, gen uint64, load bool) {
	defer release()
	if load {
		lctx, cancel := context.WithTimeout(ctx, s.timeout)
		t, err := s.store.Load(lctx)
		cancel()
		if err != nil {
			s.log.LogAttrs(ctx, slog.LevelWarn, "refresh: loading stored tokens failed", slog.Any("error", err))
			s.finish(f, nil, fmt.Errorf("refresh: load stored tokens: %w", err), nil)
			return
		}
		s.mu.Lock()
		if s.gen == gen && s.needLoad {
			s.needLoad = false
			if t != nil && t.AccessToken != "" {
				s.cur = s.normalizeGiven(t)
			}
		}
		base, gen = s.cur, s.gen
		s.mu.Unlock()
		if base == nil {
			s.finish(f, nil, errNoTokens, nil)
			return
		}
		if s.fresh(base, time.Time{}, s.now()) {
			s.finish(f, base, nil, nil)
			return
		}
	}
	if base == nil {
		s.finish(f, nil, errNoTokens, nil)
		return
	}
	if base.RefreshToken == "" {
		s.finish(f, nil, errNoRefreshToken, base)
		return
	}

	var (
		nt  *Tokens
		err error
	)
	for attempt := 0; ; attempt++ {
		nt, err = s.exchangeOnce(ctx, base)
		if err == nil {
			break
		}
		if ctx.Err() != nil {
			err = closedErr(ctx)
			break
		}
		if classify(err) != kindUnavailable || attempt >= s.retries || retryAfterOf(err) > 0 {
			// Terminal, not worth an immediate retry, out of attempts, or the
			// server named a time: give up now; callers fail fast until then.
			break
		}
		wait := httpx.Backoff(attempt, s.backoffBase, s.backoffMax)
		s.log.LogAttrs(ctx, slog.LevelWarn, "refresh: attempt failed, retrying",
			slog.Int("attempt", attempt+1), slog.Duration("wait", wait), slog.Any("error", err))
		if s.sleep(ctx, wait) != nil {
			err = closedErr(ctx)
			break
		}
	}
	if err == nil {
		s.succeed(ctx, f, nt, base, gen)
		return
	}
	s.fail(ctx, f, err, base, gen)
}

func closedErr(ctx context.Context) error {
	cause := context.Cause(ctx)
	if errors.Is(cause, ErrClosed) {
		// The Source's context ended: report its error too.
		return errClosed
	}
	return fmt.Errorf("refresh aborted: %w", cause)
}

// exchangeOnce runs one attempt with its own timeout and checks the answer.
func (s *Source) exchangeOnce(ctx context.Context, base *Tokens) (*Tokens, error) {
	actx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	var (
		nt  *Tokens
		err error
	)
	switch x := s.x.(type) {
	case nil:
		return nil, &ExchangeError{Kind: ErrMisconfigured, Err: errors.New("the Source has no Exchanger")}
	case RequestExchanger:
		nt, err = x.ExchangeRequest(actx, Request{Current: base.clone(), Now: s.now, HTTPClient: s.httpClient})
	default:
		nt, err = x.Exchange(actx, base.RefreshToken)
	}
	if err != nil {
		var xe *ExchangeError
		if errors.As(err, &xe) {
			return nil, err
		}
		return nil, &ExchangeError{Kind: ErrUnavailable, Err: err}
	}
	if nt == nil || nt.AccessToken == "" {
		return nil, &ExchangeError{Kind: ErrInvalidResponse, Err: errors.New("no access_token")}
	}
	nt = nt.clone()
	switch {
	case nt.TokenType == "" || strings.EqualFold(nt.TokenType, "bearer"):
		nt.TokenType = "Bearer"
	default:
		return nil, &ExchangeError{Kind: ErrInvalidResponse, Err: errors.New("token_type is not Bearer")}
	}
	received := s.now()
	if nt.RefreshToken == "" {
		nt.RefreshToken = base.RefreshToken // RFC 6749 §6: keep the old one
	}
	if nt.Expiry.IsZero() {
		nt.Expiry = expiryFromJWT(nt.AccessToken, received)
	}
	if !nt.Expiry.IsZero() && nt.Expiry.Sub(received) > s.maxLifetime {
		nt.Expiry = received.Add(s.maxLifetime)
	}
	return nt, nil
}

// succeed stores and publishes new tokens.
func (s *Source) succeed(ctx context.Context, f *flight, nt, base *Tokens, gen uint64) {
	s.saveMu.Lock()
	defer s.saveMu.Unlock()
	s.mu.Lock()
	superseded := s.gen != gen
	s.mu.Unlock()
	if superseded {
		// SetTokens replaced the session while we refreshed the old one.
		s.mu.Lock()
		f.tok = s.cur
		if f.tok == nil {
			f.err = errNoTokens
		}
		s.finishLocked(f)
		s.mu.Unlock()
		return
	}
	if s.store != nil {
		sctx, cancel := context.WithTimeout(ctx, s.timeout)
		err := s.store.Save(sctx, nt)
		cancel()
		if err != nil {
			// The new tokens are used anyway: the old refresh token may
			// already be void (rotation), so falling back to it helps no one.
			s.log.LogAttrs(ctx, slog.LevelError, "refresh: saving refreshed tokens failed; using them in memory only", slog.Any("error", err))
		}
	}
	var obtained time.Time // set only for a token that is stale on arrival
	if now := s.now(); !nt.Expiry.IsZero() && !now.Before(nt.Expiry.Add(-s.delta)) {
		obtained = now
	}
	s.mu.Lock()
	s.cur, s.obtained = nt, obtained
	s.failures, s.retryAt, s.lastErr = 0, time.Time{}, nil
	f.tok = nt
	s.finishLocked(f)
	s.mu.Unlock()
	s.log.LogAttrs(ctx, slog.LevelDebug, "refresh: tokens refreshed",
		slog.Time("expiry", nt.Expiry), slog.Bool("rotated", nt.RefreshToken != base.RefreshToken))
}

// fail publishes a failed refresh.
func (s *Source) fail(ctx context.Context, f *flight, err error, base *Tokens, gen uint64) {
	kind := classify(err)
	s.saveMu.Lock()
	defer s.saveMu.Unlock()
	s.mu.Lock()
	superseded := s.gen != gen
	s.mu.Unlock()
	if superseded {
		s.mu.Lock()
		f.tok = s.cur
		if f.tok == nil {
			f.err = errNoTokens
		}
		s.finishLocked(f)
		s.mu.Unlock()
		return
	}
	switch kind {
	case kindReauth:
		s.log.LogAttrs(ctx, slog.LevelWarn, "refresh: refresh token rejected; sign-in required", slog.Any("error", err))
		if s.store != nil {
			sctx, cancel := context.WithTimeout(ctx, s.timeout)
			if serr := s.store.Save(sctx, nil); serr != nil {
				s.log.LogAttrs(ctx, slog.LevelError, "refresh: clearing stored tokens failed", slog.Any("error", serr))
			}
			cancel()
		}
		s.mu.Lock()
		s.cur, s.obtained, s.sticky = nil, time.Time{}, err
		f.err = err
		s.finishLocked(f)
		s.mu.Unlock()
	case kindConfig:
		s.log.LogAttrs(ctx, slog.LevelError, "refresh: client configuration rejected", slog.Any("error", err))
		s.mu.Lock()
		s.sticky = err
		f.err = err
		s.finishLocked(f)
		s.mu.Unlock()
	case kindClosed:
		s.mu.Lock()
		f.err = err
		s.finishLocked(f)
		s.mu.Unlock()
	default:
		now := s.now()
		s.mu.Lock()
		s.failures++
		// Continue the sequence the in-flight retries started.
		wait := httpx.Backoff(s.failures-1+s.retries, s.backoffBase, s.backoffMax)
		if ra := retryAfterOf(err); ra > 0 {
			wait = min(ra, s.backoffMax)
		}
		s.retryAt, s.lastErr = now.Add(wait), err
		f.err, f.fallback = err, base
		s.finishLocked(f)
		s.mu.Unlock()
		s.log.LogAttrs(ctx, slog.LevelWarn, "refresh: failed; backing off",
			slog.Duration("wait", wait), slog.Any("error", err))
	}
}

// finish publishes a flight result that needs no store work.
func (s *Source) finish(f *flight, t *Tokens, err error, fallback *Tokens) {
	s.mu.Lock()
	f.tok, f.err, f.fallback = t, err, fallback
	s.finishLocked(f)
	s.mu.Unlock()
}

func (s *Source) finishLocked(f *flight) {
	if s.fl == f {
		s.fl = nil
	}
	close(f.done)
}

// SetTokens installs new tokens, typically after the user signed in again:
// it saves them through the Store first, then clears any
// ErrReauthenticate / ErrMisconfigured state and any backoff. A refresh in
// flight for the old tokens is discarded. If the Store fails, the tokens are
// used in memory anyway and the error is returned. t must hold an access
// token.
func (s *Source) SetTokens(ctx context.Context, t *Tokens) error {
	if t == nil || t.AccessToken == "" {
		return fmt.Errorf("refresh: SetTokens: %w", ErrInvalidResponse)
	}
	nt := s.normalizeGiven(t)
	s.saveMu.Lock()
	defer s.saveMu.Unlock()
	var err error
	if s.store != nil {
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.timeout)
		if e := s.store.Save(sctx, nt); e != nil {
			err = fmt.Errorf("refresh: SetTokens: save: %w", e)
		}
		cancel()
	}
	s.mu.Lock()
	s.cur, s.obtained, s.needLoad = nt, time.Time{}, false
	s.gen++
	s.sticky, s.lastErr, s.retryAt, s.failures = nil, nil, time.Time{}, 0
	s.mu.Unlock()
	return err
}
