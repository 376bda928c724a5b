package core

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jwtgate/jwtgate/core/jwttest"
	"github.com/jwtgate/jwtgate/internal/keyset"
)

// recorder collects the Results of Config.OnResult.
type recorder struct {
	mu      sync.Mutex
	results []Result
}

func (r *recorder) record(_ context.Context, res Result) {
	r.mu.Lock()
	r.results = append(r.results, res)
	r.mu.Unlock()
}

// take returns the Results recorded since the last call.
func (r *recorder) take() []Result {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := r.results
	r.results = nil
	return out
}

// obCase is one request and the one Result it must be reported with.
type obCase struct {
	name   string
	auth   []string // Authorization values
	cookie string
	keys   error // if set, the issuer's key lookup fails with it
	want   Result
}

// obCases covers every class and reason. Every case runs on a fresh
// Verifier, so that the first request with a token is a cache miss.
func obCases() []obCase {
	k := vtKey("ES256")
	other := jwttest.NewKey("ES256", k.Kid)
	ok := vtClaims("token_use", "access", "scope", "admin")
	with := func(kv ...any) map[string]any {
		return vtClaims(append([]any{"token_use", "access", "scope", "admin"}, kv...)...)
	}
	bearer := func(tok string) []string { return []string{"Bearer " + tok} }
	return []obCase{
		{"ok", bearer(k.Sign(ok)), "", nil,
			Result{Class: ClassOK, Issuer: vtIss, Cache: CacheMiss}},
		{"ok from the cookie", nil, k.Sign(ok), nil,
			Result{Class: ClassOK, Issuer: vtIss, Cache: CacheMiss}},
		{"missing", nil, "", nil,
			Result{Class: ClassMissing}},
		{"other scheme", []string{"Basic dXNlcjpwdw=="}, "", nil,
			Result{Class: ClassMissing}},
		{"two headers", []string{"Bearer a", "Bearer b"}, "", nil,
			Result{Class: ClassInvalidRequest}},
		{"header and cookie", bearer(k.Sign(ok)), k.Sign(ok), nil,
			Result{Class: ClassInvalidRequest}},
		{"not a b64token", []string{"Bearer a\"b"}, "", nil,
			Result{Class: ClassInvalidRequest}},
		{"malformed", bearer("a.b"), "", nil,
			Result{Class: ClassInvalidToken, Reason: ReasonMalformed, Cache: CacheMiss}},
		// Refused on its header, before iss is read: no issuer.
		{"algorithm off the allowlist", bearer(jwttest.NewKey("HS256", k.Kid).Sign(ok)), "", nil,
			Result{Class: ClassInvalidToken, Reason: ReasonMalformed, Cache: CacheMiss}},
		{"claim of the wrong type", bearer(k.Sign(with("exp", "soon"))), "", nil,
			Result{Class: ClassInvalidToken, Reason: ReasonMalformed, Cache: CacheMiss}},
		{"no exp", bearer(k.Sign(with("exp", nil))), "", nil,
			Result{Class: ClassInvalidToken, Reason: ReasonMalformed, Issuer: vtIss, Cache: CacheMiss}},
		{"expired", bearer(k.Sign(with("exp", vtNow.Unix()-1))), "", nil,
			Result{Class: ClassInvalidToken, Reason: ReasonExpired, Issuer: vtIss, Cache: CacheMiss}},
		{"not yet valid", bearer(k.Sign(with("nbf", vtNow.Unix()+600))), "", nil,
			Result{Class: ClassInvalidToken, Reason: ReasonNotYetValid, Issuer: vtIss, Cache: CacheMiss}},
		{"signature", bearer(other.Sign(ok)), "", nil,
			Result{Class: ClassInvalidToken, Reason: ReasonSignature, Issuer: vtIss, Cache: CacheMiss}},
		{"unknown key", bearer(k.SignWithHeader(vtHeader(k, "kid", "nope"), ok)), "", nil,
			Result{Class: ClassInvalidToken, Reason: ReasonUnknownKey, Issuer: vtIss, Cache: CacheMiss}},
		{"issuer", bearer(k.Sign(with("iss", "https://unknown.test"))), "", nil,
			Result{Class: ClassInvalidToken, Reason: ReasonIssuer, Cache: CacheMiss}},
		{"audience", bearer(k.Sign(with("aud", "other"))), "", nil,
			Result{Class: ClassInvalidToken, Reason: ReasonAudience, Issuer: vtIss, Cache: CacheMiss}},
		{"token use", bearer(k.Sign(with("token_use", "id"))), "", nil,
			Result{Class: ClassInvalidToken, Reason: ReasonTokenUse, Issuer: vtIss, Cache: CacheMiss}},
		{"insufficient scope", bearer(k.Sign(with("scope", "read"))), "", nil,
			Result{Class: ClassInsufficientScope, Issuer: vtIss, Cache: CacheMiss}},
		{"keys unavailable", bearer(k.Sign(ok)), "", fmt.Errorf("%w: not loaded yet", keyset.ErrUnavailable),
			Result{Class: ClassUnavailable, Reason: ReasonKeys, Issuer: vtIss, Cache: CacheMiss}},
		{"interrupted", bearer(k.Sign(ok)), "", fmt.Errorf("waiting for the key set: %w", context.Canceled),
			Result{Class: ClassUnavailable, Reason: ReasonInterrupted, Issuer: vtIss, Cache: CacheMiss}},
	}
}

// obVerifier returns a Verifier for obCases that reports to rec.
func obVerifier(t *testing.T, rec *recorder, keysErr error) *Verifier {
	cfg := vtConfig(vtKey("ES256"))
	cfg.TokenUse = "access"
	cfg.Policies = []Policy{RequireScopes("admin")}
	cfg.OnResult = rec.record
	v := vtNew(t, cfg)
	if keysErr != nil {
		v.issuers[vtIss].key = vtStubKeys(keysErr)
	}
	return v
}

// checkResults checks that got is exactly want, and that Err is the error
// the call returned.
func checkResults(t *testing.T, got []Result, want Result, err error) {
	t.Helper()
	if len(got) != 1 {
		t.Fatalf("got %d results %+v; want exactly one", len(got), got)
	}
	g := got[0]
	if g.Err != err {
		t.Errorf("Result.Err: got %v; want the returned error %v", g.Err, err)
	}
	g.Err = nil
	if g != want {
		t.Errorf("got %+v; want %+v", g, want)
	}
}

// TestOnResultReportsEveryClassOnce checks that Authenticate reports each
// request exactly once with its class, reason, configured issuer and cache
// use, and that a second request with the same accepted token is a hit.
func TestOnResultReportsEveryClassOnce(t *testing.T) {
	for _, tc := range obCases() {
		t.Run(tc.name, func(t *testing.T) {
			rec := &recorder{}
			v := obVerifier(t, rec, tc.keys)
			_, err := v.Authenticate(context.Background(), tc.auth, tc.cookie)
			checkResults(t, rec.take(), tc.want, err)
			if tc.want.Class != ClassOK {
				return
			}
			_, err = v.Authenticate(context.Background(), tc.auth, tc.cookie)
			hit := tc.want
			hit.Cache = CacheHit
			checkResults(t, rec.take(), hit, err)
		})
	}
}

// TestOnResultThroughVerify checks that Verify reports once per call too.
func TestOnResultThroughVerify(t *testing.T) {
	for _, tc := range obCases() {
		token, ok := strings.CutPrefix(strings.Join(tc.auth, ""), "Bearer ")
		if !ok || len(tc.auth) != 1 || tc.cookie != "" || strings.Contains(token, "\"") {
			continue // a request-level case
		}
		t.Run(tc.name, func(t *testing.T) {
			rec := &recorder{}
			v := obVerifier(t, rec, tc.keys)
			_, err := v.Verify(context.Background(), token)
			checkResults(t, rec.take(), tc.want, err)
		})
	}
}

// TestOnResultCacheOff checks that Result.Cache is empty without a cache,
// and that a cached token refused on a hit (expired since) reports a hit.
func TestOnResultCacheOff(t *testing.T) {
	k := vtKey("ES256")
	tok := k.Sign(vtClaims())
	rec := &recorder{}
	cfg := vtConfig(k)
	cfg.CacheSize = -1
	cfg.OnResult = rec.record
	v := vtNew(t, cfg)
	_, err := v.Verify(context.Background(), tok)
	checkResults(t, rec.take(), Result{Class: ClassOK, Issuer: vtIss}, err)

	now := vtNow
	cfg = vtConfig(k)
	cfg.Now = func() time.Time { return now }
	cfg.OnResult = rec.record
	v = vtNew(t, cfg)
	if _, err := v.Verify(context.Background(), tok); err != nil {
		t.Fatal(err)
	}
	rec.take()
	now = now.Add(2 * time.Hour)
	_, err = v.Verify(context.Background(), tok)
	checkResults(t, rec.take(), Result{Class: ClassInvalidToken, Reason: ReasonExpired, Issuer: vtIss, Cache: CacheHit}, err)
}

// TestOnResultNilHookAllocatesNothing checks that reporting costs no
// allocation: the warm and cold paths, and a refusal, allocate as much with
// a hook as without one (so the nil hook adds nothing either), and a refusal
// with a logger at INFO allocates as much as with a discarding one.
func TestOnResultNilHookAllocatesNothing(t *testing.T) {
	k := vtKey("ES256")
	tok := k.Sign(vtClaims())
	auth := []string{"Bearer " + tok}
	bad := []string{"Bearer " + k.Sign(vtClaims("aud", "other"))}
	var n int
	hook := func(context.Context, Result) { n++ }

	counting := &countingHandler{level: slog.LevelInfo}
	allocs := func(cfg Config, auth []string) float64 {
		v := vtNew(t, cfg)
		counting.handled.Store(0) // key set events at start do not count
		v.Authenticate(context.Background(), auth, "")
		return testing.AllocsPerRun(200, func() {
			v.Authenticate(context.Background(), auth, "")
		})
	}
	for _, size := range []int{0, -1} { // warm (cache hit) and cold
		cfg := vtConfig(k)
		cfg.CacheSize = size
		without := allocs(cfg, auth)
		cfg.OnResult = hook
		with := allocs(cfg, auth)
		if with != without {
			t.Errorf("CacheSize %d: got %v allocations with OnResult; want %v, as without", size, with, without)
		}
	}
	if n == 0 {
		t.Errorf("got no call of the hook; want one per request")
	}

	cfg := vtConfig(k)
	discard := allocs(cfg, bad)
	cfg.OnResult = hook
	if with := allocs(cfg, bad); with != discard {
		t.Errorf("refusal: got %v allocations with OnResult; want %v, as without", with, discard)
	}
	cfg.OnResult = nil
	cfg.Logger = slog.New(counting)
	info := allocs(cfg, bad)
	if info != discard {
		t.Errorf("refusal: got %v allocations with an INFO logger; want %v, as with a discarding one", info, discard)
	}
	if n := counting.handled.Load(); n != 0 {
		t.Errorf("got %d records at INFO; want none", n)
	}
	if counting.asked.Load() == 0 {
		t.Errorf("got no Enabled call; want the logger asked before anything is built")
	}
}

// countingHandler counts Enabled and Handle calls; it enables level and up.
type countingHandler struct {
	level          slog.Level
	asked, handled atomic.Int64
}

func (h *countingHandler) Enabled(_ context.Context, l slog.Level) bool {
	h.asked.Add(1)
	return l >= h.level
}
func (h *countingHandler) Handle(context.Context, slog.Record) error { h.handled.Add(1); return nil }
func (h *countingHandler) WithAttrs([]slog.Attr) slog.Handler        { return h }
func (h *countingHandler) WithGroup(string) slog.Handler             { return h }

// TestRefusalDebugLog checks the debug record of each refusal (B09): the issuer,
// kid and received-versus-configured iss and aud, escaped and capped, and
// nothing else of the token.
func TestRefusalDebugLog(t *testing.T) {
	k := vtKey("ES256")
	evilKid := "k\n\"x\"" + strings.Repeat("é", 100)
	cases := []struct {
		name  string
		token string
		want  []string // substrings of the JSON record
		not   []string
	}{
		{"issuer", k.Sign(vtClaims("iss", "https://evil.test/\x1b[31m")),
			[]string{`"answer":"invalid_token"`, `"reason":"issuer"`, `"kid":"k-es256"`,
				`"iss":"https://evil.test/\\x1b[31m"`, `"issuers":["` + vtIss + `"]`},
			[]string{`"issuer":`}},
		{"audience", k.Sign(vtClaims("aud", []string{"a1", "a2", "a3", "a4", "a5"})),
			[]string{`"reason":"audience"`, `"issuer":"` + vtIss + `"`, `"aud":["a1","a2","a3","a4","…"]`, `"audience":["` + vtAud + `"]`},
			[]string{"a5"}},
		{"client_id", k.Sign(vtClaims("aud", vtDel, "token_use", "access", "client_id", "c1")),
			[]string{`"reason":"audience"`, `"client_id":"c1"`, `"audience":["` + vtAud + `"]`},
			nil},
		{"kid escaped and capped", k.SignWithHeader(vtHeader(k, "kid", evilKid), vtClaims()),
			[]string{`"reason":"unknown_key"`, `"kid":"k\\n\\\"x\\\"\\u00e9`, `…"`},
			[]string{`"iss":`, `"aud":`}},
		{"policy", k.Sign(vtClaims("scope", "read")),
			[]string{`"msg":"jwtgate: policy refused the token"`, `"answer":"insufficient_scope"`, "requires scope admin"},
			nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			cfg := vtConfig(k)
			cfg.Policies = []Policy{RequireScopes("admin")}
			cfg.Logger = slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
			v := vtNew(t, cfg)
			buf.Reset() // key set events at start
			if _, err := v.Authenticate(context.Background(), []string{"Bearer " + tc.token}, ""); err == nil {
				t.Fatal("got success; want a refusal")
			}
			out := buf.String()
			if strings.Count(out, "\n") != 1 {
				t.Errorf("got %d records:\n%s\nwant one", strings.Count(out, "\n"), out)
			}
			for _, w := range tc.want {
				if !strings.Contains(out, w) {
					t.Errorf("got %s; want it to contain %s", out, w)
				}
			}
			_, p, s := vtSegments(tc.token)
			for _, n := range append(tc.not, p[:20], s[:20], "user-1", "alice") {
				if strings.Contains(out, n) {
					t.Errorf("got %s; want no %q", out, n)
				}
			}
		})
	}

	// Requests without a token log their answer only.
	var buf bytes.Buffer
	cfg := vtConfig(k)
	cfg.Logger = slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	v := vtNew(t, cfg)
	buf.Reset()
	v.Authenticate(context.Background(), []string{"Bearer a", "Bearer b"}, "")
	if out := buf.String(); !strings.Contains(out, `"answer":"invalid_request"`) || strings.Contains(out, `"kid"`) {
		t.Errorf("got %s; want an invalid_request record without token facts", out)
	}
}

func TestLogSafe(t *testing.T) {
	long := strings.Repeat("a", maxLoggedLen-1) + "é" // the cut falls inside é
	for _, tc := range []struct{ in, want string }{
		{"kid-1", "kid-1"},
		{"a\nb", `a\nb`},
		{`q"\`, `q\"\\`},
		{"\xff", `\xff`},
		{"ünï", `\u00fcn\u00ef`},
		{long, strings.Repeat("a", maxLoggedLen-1) + "…"},
	} {
		if got := logSafe(tc.in); got != tc.want {
			t.Errorf("logSafe(%q): got %q; want %q", tc.in, got, tc.want)
		}
	}
}

// BenchmarkOnResult measures a warm Authenticate without a hook and with
// one that counts.
func BenchmarkOnResult(b *testing.B) {
	k := vtKey("RS256")
	values := []string{"Bearer " + benchToken(k)}
	ctx := context.Background()
	var n atomic.Int64
	for _, bc := range []struct {
		name string
		hook func(context.Context, Result)
	}{
		{"nil", nil},
		{"counting", func(context.Context, Result) { n.Add(1) }},
	} {
		cfg := vtConfig(k)
		cfg.OnResult = bc.hook
		v := vtNew(b, cfg)
		if _, err := v.Authenticate(ctx, values, ""); err != nil {
			b.Fatal(err)
		}
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := v.Authenticate(ctx, values, ""); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
