package core

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// maxLeeway is the largest Config.Leeway New accepts (C06).
const maxLeeway = 5 * time.Minute

// Verifier verifies tokens. It is safe for concurrent use; build one per
// configuration and share it. Close stops its background work.
type Verifier struct {
	issuers  map[string]*issuerState // exact iss -> its key source
	sources  []keySource
	allowed  [numAlgs]bool
	methods  [numAlgs]jwt.SigningMethod
	audience []string
	skipAud  bool
	tokenUse string
	leeway   time.Duration
	policies []Policy
	now      func() time.Time
	logger   *slog.Logger
	cache    *tokenCache // nil when Config.CacheSize < 0
	b64      *base64.Encoding

	closeOnce sync.Once
}

type issuerState struct {
	url     string
	cognito bool
	keys    keySource
}

// defaultAlgorithms is the allowlist when Config.Algorithms is empty.
func defaultAlgorithms() []algID {
	return []algID{algRS256, algRS384, algRS512, algPS256, algPS384, algPS512, algES256, algES384, algES512, algEdDSA}
}

// New validates cfg and returns a Verifier. It never panics on a bad
// configuration: it returns an error that names the field. cfg is copied and
// its slices cloned, so later changes to cfg do not reach the Verifier.
//
// ctx bounds background key set refreshes only (not any Verify call); when
// it ends, remote key sets stop refreshing. Close stops them too.
//
// New refuses: no issuers; an issuer with an empty or repeated URL, or with
// both JWKS and JWKSURL; an unknown algorithm or "none"; HS256/384/512 while a
// static oct key is shorter than the hash of an algorithm it may be used with;
// an empty Audience without SkipAudienceCheck (and Audience together with
// SkipAudienceCheck); a TokenUse other than "", "id" or "access"; a negative
// Leeway or one above 5 minutes; a nil Policy.
func New(ctx context.Context, cfg Config) (*Verifier, error) {
	if ctx == nil {
		ctx = context.Background()
	}
	v := &Verifier{
		issuers:  make(map[string]*issuerState, len(cfg.Issuers)),
		audience: cloneStrings(cfg.Audience),
		skipAud:  cfg.SkipAudienceCheck,
		tokenUse: cfg.TokenUse,
		leeway:   cfg.Leeway,
		policies: append([]Policy(nil), cfg.Policies...),
		now:      cfg.Now,
		logger:   cfg.Logger,
		b64:      base64.RawURLEncoding.Strict(), // canonical trailing bits only (S03)
	}
	if v.now == nil {
		v.now = time.Now
	}
	if v.logger == nil {
		v.logger = slog.Default()
	}

	if err := v.checkConfig(cfg); err != nil {
		return nil, err
	}
	hs := false
	if len(cfg.Algorithms) == 0 {
		for _, a := range defaultAlgorithms() {
			v.allowed[a] = true
		}
	}
	for i, name := range cfg.Algorithms {
		a := lookupAlg([]byte(name))
		if a == algUnknown {
			if strings.EqualFold(name, "none") {
				return nil, fmt.Errorf("jwtgate: Config.Algorithms[%d]: \"none\" is never accepted", i)
			}
			return nil, fmt.Errorf("jwtgate: Config.Algorithms[%d]: unknown algorithm %q", i, name)
		}
		v.allowed[a] = true
		hs = hs || a.info().family == famHMAC
	}
	for a := algID(1); a < numAlgs; a++ {
		if v.allowed[a] {
			v.methods[a] = a.signingMethod()
		}
	}

	ko := keySetOptions{HTTPClient: cfg.HTTPClient, Logger: v.logger, Now: cfg.Now, allowOct: hs}
	for i, iss := range cfg.Issuers {
		ks, err := newKeySource(ctx, cloneIssuer(iss), ko)
		if err != nil {
			v.closeSources()
			return nil, fmt.Errorf("jwtgate: Config.Issuers[%d]: %w", i, err)
		}
		v.sources = append(v.sources, ks)
		if hs && len(iss.JWKS) > 0 {
			if err := v.checkStaticHMAC(ks); err != nil {
				v.closeSources()
				return nil, fmt.Errorf("jwtgate: Config.Issuers[%d]: %w", i, err)
			}
		}
		v.issuers[iss.URL] = &issuerState{url: iss.URL, cognito: iss.Cognito, keys: ks}
	}

	switch {
	case cfg.CacheSize == 0:
		v.cache = newTokenCache(defaultCacheSize)
	case cfg.CacheSize > 0:
		v.cache = newTokenCache(cfg.CacheSize)
	}
	return v, nil
}

// checkConfig validates everything in cfg that needs no key source.
func (v *Verifier) checkConfig(cfg Config) error {
	if len(cfg.Issuers) == 0 {
		return errors.New("jwtgate: Config.Issuers is empty")
	}
	seen := make(map[string]bool, len(cfg.Issuers))
	for i, iss := range cfg.Issuers {
		switch {
		case iss.URL == "":
			return fmt.Errorf("jwtgate: Config.Issuers[%d]: URL is empty", i)
		case seen[iss.URL]:
			return fmt.Errorf("jwtgate: Config.Issuers[%d]: URL %q is repeated", i, iss.URL)
		case len(iss.JWKS) > 0 && iss.JWKSURL != "":
			return fmt.Errorf("jwtgate: Config.Issuers[%d]: set JWKS or JWKSURL, not both", i)
		}
		seen[iss.URL] = true
	}
	if !cfg.SkipAudienceCheck && len(cfg.Audience) == 0 {
		return errors.New("jwtgate: Config.Audience is empty (set SkipAudienceCheck to turn the audience check off)")
	}
	if cfg.SkipAudienceCheck && len(cfg.Audience) > 0 {
		return errors.New("jwtgate: Config.Audience is set together with SkipAudienceCheck")
	}
	for i, a := range cfg.Audience {
		if a == "" {
			return fmt.Errorf("jwtgate: Config.Audience[%d] is empty", i)
		}
	}
	switch cfg.TokenUse {
	case "", "id", "access":
	default:
		return fmt.Errorf("jwtgate: Config.TokenUse %q is not \"\", \"id\" or \"access\"", cfg.TokenUse)
	}
	if cfg.Leeway < 0 || cfg.Leeway > maxLeeway {
		return fmt.Errorf("jwtgate: Config.Leeway %v is outside [0, %v]", cfg.Leeway, maxLeeway)
	}
	for i, p := range cfg.Policies {
		if p == nil {
			return fmt.Errorf("jwtgate: Config.Policies[%d] is nil", i)
		}
	}
	return nil
}

// checkStaticHMAC refuses a static set holding an oct key shorter than the
// hash of an enabled HS algorithm it may be used with (A13, RFC 7518 §3.2).
// (The key set itself drops oct keys below 32 bytes and binds each key to
// the algorithms its length allows.)
func (v *Verifier) checkStaticHMAC(src keySource) error {
	ks, ok := src.(*keySet)
	if !ok {
		return nil
	}
	snap := ks.snap.Load()
	if snap == nil {
		return nil
	}
	for _, e := range snap.keys {
		secret, ok := e.vk.public.([]byte)
		if !ok {
			continue
		}
		for _, a := range []algID{algHS256, algHS384, algHS512} {
			if !v.allowed[a] || (e.vk.alg != "" && e.vk.alg != a.info().name) {
				continue
			}
			if len(secret) < a.info().hash.Size() {
				return fmt.Errorf("jwtgate: static oct key %q is shorter than %s needs (%d bytes)",
					e.vk.kid, a.info().name, a.info().hash.Size())
			}
		}
	}
	return nil
}

func cloneStrings(s []string) []string {
	if s == nil {
		return nil
	}
	return append([]string(nil), s...)
}

func cloneIssuer(iss Issuer) Issuer {
	if iss.JWKS != nil {
		iss.JWKS = append([]byte(nil), iss.JWKS...)
	}
	return iss
}

// Verify checks token and returns its verified claims, or an error that
// matches ErrInvalidToken and the narrower sentinel of errors.go (and the
// golang-jwt error of the same meaning, such as jwt.ErrTokenExpired), or a
// policy's refusal (ErrInsufficientScope), or ErrKeysUnavailable, or the
// error of ctx when it ends during a key set refresh.
//
// The steps, in order: length cap (8 KiB); the verified-token cache; three
// base64url segments; the header (alg on the allowlist, crit, typ, cty, kid);
// the payload, decoded strictly; iss, which selects that issuer's key set
// only; the key for kid; the signature; exp, nbf, iat; aud (or client_id);
// token_use; then Config.Policies. Each call returns a Claims of its own.
// Verify keeps no reference to token: the cache stores a copy of its own.
func (v *Verifier) Verify(ctx context.Context, token string) (*Claims, error) {
	if v == nil {
		return nil, &verifyError{kind: ErrKeysUnavailable, msg: "no verifier"}
	}
	return v.verifyEntry(ctx, token, v.lookup(token))
}

// lookup returns the verified-token cache's entry of token, or nil.
func (v *Verifier) lookup(token string) *cacheEntry {
	if v == nil || v.cache == nil || len(token) > maxTokenLen {
		return nil
	}
	return v.cache.get(token)
}

// verifyEntry is Verify once token has been looked up in the cache: e is its
// entry, or nil. Authenticate calls it too, so that a request looks the token
// up once.
func (v *Verifier) verifyEntry(ctx context.Context, token string, e *cacheEntry) (*Claims, error) {
	if len(token) > maxTokenLen {
		return nil, v.fail(ctx, tokenErr(ErrInvalidToken, jwt.ErrTokenMalformed, "token is longer than 8 KiB"))
	}
	now := v.now()
	if e != nil {
		if !e.key.removed.Load() {
			if err := v.checkTimes(e.claims, now); err != nil {
				v.cache.remove(token, e)
				return nil, v.fail(ctx, err)
			}
			c := e.claims.clone()
			if err := v.authorize(ctx, c); err != nil {
				return nil, err
			}
			return c, nil
		}
		v.cache.remove(token, e)
	}
	c, key, err := v.verify(ctx, token, now)
	if err != nil {
		return nil, v.fail(ctx, err)
	}
	var ne *cacheEntry
	if v.cache != nil {
		// The cache keeps a template of its own, copied before any policy
		// sees c; c is the caller's.
		ne = &cacheEntry{claims: c.clone(), key: key, until: c.ExpiresAt.Add(v.leeway)}
	}
	if err := v.authorize(ctx, c); err != nil {
		return nil, err
	}
	if ne != nil {
		v.cache.put(token, ne, now)
	}
	return c, nil
}

func (v *Verifier) authorize(ctx context.Context, c *Claims) error {
	if len(v.policies) == 0 {
		return nil
	}
	return Authorize(ctx, c, v.policies...)
}

// fail logs a verification failure at debug level (never the token) and
// returns err.
func (v *Verifier) fail(ctx context.Context, err error) error {
	if v.logger.Enabled(ctx, slog.LevelDebug) {
		v.logger.LogAttrs(ctx, slog.LevelDebug, "jwtgate: token refused", slog.String("error", err.Error()))
	}
	return err
}

// verify is the full check of a token not found in the cache.
func (v *Verifier) verify(ctx context.Context, token string, now time.Time) (*Claims, *verifyKey, error) {
	d1, d2, err := splitToken(token)
	if err != nil {
		return nil, nil, err
	}
	src := []byte(token)
	enc := v.b64

	// Header.
	var hbuf [512]byte
	hb := hbuf[:0]
	if n := enc.DecodedLen(d1); n <= len(hbuf) {
		hb = hbuf[:n]
	} else {
		hb = make([]byte, n)
	}
	n, err := enc.Decode(hb, src[:d1])
	if err != nil {
		return nil, nil, tokenErrCause(ErrInvalidToken, jwt.ErrTokenMalformed, "header is not canonical base64url", err)
	}
	h, err := v.parseHeader(hb[:n])
	if err != nil {
		return nil, nil, err
	}

	// Payload: decoded once into p, kept as one string ps whose sub-strings
	// become the claims' strings.
	var pbuf [2048]byte
	p := pbuf[:0]
	if n := enc.DecodedLen(d2 - d1 - 1); n <= len(pbuf) {
		p = pbuf[:n]
	} else {
		p = make([]byte, n)
	}
	n, err = enc.Decode(p, src[d1+1:d2])
	if err != nil {
		return nil, nil, tokenErrCause(ErrInvalidToken, jwt.ErrTokenMalformed, "payload is not canonical base64url", err)
	}
	p = p[:n]
	ps := string(p)
	box := new(claimsBox) // the claims and room for their strings, one allocation
	c := &box.c
	c.raw = ps
	pl, err := parsePayload(p, ps, c, box.strs[:])
	if err != nil {
		return nil, nil, err
	}

	// Issuer: an exact match selects that issuer's keys only (C07, C08).
	is := v.issuers[c.Issuer]
	if is == nil {
		return nil, nil, tokenErr(ErrInvalidIssuer, jwt.ErrTokenInvalidIssuer, "")
	}

	// Key.
	key, err := is.keys.key(ctx, h.kid, h.alg.info().name)
	if err != nil {
		return nil, nil, keyError(err)
	}
	if key == nil || !checkKey(h.alg, key) {
		return nil, nil, tokenErr(ErrUnknownKey, jwt.ErrTokenUnverifiable, "key is not usable with the token's alg")
	}

	// Signature.
	sig := make([]byte, enc.DecodedLen(len(token)-d2-1))
	n, err = enc.Decode(sig, src[d2+1:])
	if err != nil {
		return nil, nil, tokenErrCause(ErrInvalidToken, jwt.ErrTokenMalformed, "signature is not canonical base64url", err)
	}
	if err := v.methods[h.alg].Verify(token[:d2], sig[:n], key.public); err != nil {
		return nil, nil, tokenErrCause(ErrInvalidSignature, jwt.ErrTokenSignatureInvalid, "", err)
	}

	// Claims.
	if !pl.hasExp {
		return nil, nil, tokenErr(ErrInvalidToken, jwt.ErrTokenRequiredClaimMissing, "exp is required")
	}
	if err := v.checkTimes(c, now); err != nil {
		return nil, nil, err
	}
	if is.cognito && c.TokenUse != "id" && c.TokenUse != "access" {
		return nil, nil, tokenErr(ErrInvalidTokenUse, jwt.ErrTokenInvalidClaims, "token_use must be id or access")
	}
	if v.tokenUse != "" && c.TokenUse != v.tokenUse {
		return nil, nil, tokenErr(ErrInvalidTokenUse, jwt.ErrTokenInvalidClaims, "token_use is not the one required")
	}
	if c.ClientID == "" && c.TokenUse == "id" && len(c.Audience) == 1 {
		c.ClientID = c.Audience[0] // a Cognito ID token names its client in aud
	}
	if !v.skipAud && !v.audienceOK(c, pl.hasAud) {
		return nil, nil, tokenErr(ErrInvalidAudience, jwt.ErrTokenInvalidAudience, "")
	}
	return c, key, nil
}

// keyError turns a key source error into Verify's: unknown keys are token
// failures; ErrKeysUnavailable and context errors are passed on as they are.
func keyError(err error) error {
	switch {
	case errors.Is(err, ErrKeysUnavailable):
		return err
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return fmt.Errorf("jwtgate: waiting for the key set: %w", err)
	}
	return tokenErrCause(ErrUnknownKey, jwt.ErrTokenUnverifiable, "", err)
}

// checkTimes applies exp (C02), nbf (C03) and iat (C04) with the leeway.
func (v *Verifier) checkTimes(c *Claims, now time.Time) error {
	if !now.Before(c.ExpiresAt.Add(v.leeway)) {
		return tokenErr(ErrTokenExpired, jwt.ErrTokenExpired, "")
	}
	if !c.NotBefore.IsZero() && now.Before(c.NotBefore.Add(-v.leeway)) {
		return tokenErr(ErrTokenNotYetValid, jwt.ErrTokenNotValidYet, "")
	}
	if !c.IssuedAt.IsZero() && c.IssuedAt.After(now.Add(v.leeway)) {
		return tokenErr(ErrTokenNotYetValid, jwt.ErrTokenUsedBeforeIssued, "iat is in the future")
	}
	return nil
}

// audienceOK matches aud (any of Config.Audience), or for a token without
// aud whose token_use is "access" its client_id.
func (v *Verifier) audienceOK(c *Claims, hasAud bool) bool {
	if hasAud {
		for _, a := range c.Audience {
			for _, want := range v.audience {
				if a == want {
					return true
				}
			}
		}
		return false
	}
	if c.TokenUse == "access" && c.ClientID != "" {
		for _, want := range v.audience {
			if c.ClientID == want {
				return true
			}
		}
	}
	return false
}

// Close stops background work (remote key set refreshes). It is idempotent
// and always returns nil. Verify should not be called after Close: a remote
// key set no longer refreshes then.
func (v *Verifier) Close() error {
	if v == nil {
		return nil
	}
	v.closeOnce.Do(v.closeSources)
	return nil
}

func (v *Verifier) closeSources() {
	for _, s := range v.sources {
		s.close()
	}
}
