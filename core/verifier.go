package core

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/jwtgate/jwtgate/internal/alg"
	"github.com/jwtgate/jwtgate/internal/keyset"
)

// maxLeeway is the largest Config.Leeway New accepts (C06).
const maxLeeway = 5 * time.Minute

// Verifier verifies tokens. It is safe for concurrent use; build one per
// configuration and share it. Close stops its background work.
type Verifier struct {
	issuers  map[string]*issuerState // exact iss -> its key set
	sets     []*keyset.Set
	allowed  alg.Set
	methods  [alg.Count]jwt.SigningMethod
	skipAud  bool
	leeway   time.Duration
	policies []Policy
	now      func() time.Time
	logger   *slog.Logger
	onResult func(context.Context, Result) // nil: nothing is reported
	cache    *tokenCache                   // nil when Config.CacheSize < 0
	b64      *base64.Encoding

	closeOnce sync.Once
}

type issuerState struct {
	url      string
	cognito  bool
	audience []string // the issuer's Audience, or Config.Audience
	tokenUse string   // "" (any), "id" or "access"
	keys     *keyset.Set
	// key is keys.Key; tests replace it to count or fail lookups.
	key func(ctx context.Context, kid string, a alg.ID) (*keyset.Key, error)
}

// New validates cfg and returns a Verifier. It never panics on a bad
// configuration: it returns an error that names the field. cfg is copied and
// its slices cloned, so later changes to cfg do not reach the Verifier.
//
// ctx bounds background key set refreshes only (not any Verify call); when
// it ends, remote key sets stop refreshing. Close stops them too.
//
// New refuses: no issuers; an issuer with an empty or repeated URL, or with
// both JWKS and JWKSURL; an unknown algorithm or "none"; a static oct key
// without alg that is shorter than every listed HS algorithm needs;
// an issuer without an audience (its own or Config.Audience) unless
// SkipAudienceCheck is set (and an audience together with
// SkipAudienceCheck); a TokenUse other than "", "id" or "access"; TokenUse
// together with AnyTokenUse; a negative Leeway or one above 5 minutes; a nil
// Policy; a Config.KeySet field outside its bounds (see KeySetConfig); an
// issuer URL with a query or fragment when its JWKS is found by discovery.
//
// For Amazon Cognito, New refuses: an issuer URL on
// cognito-idp.<region>.amazonaws.com while Config.Algorithms lacks RS256
// (Cognito signs with RS256 only), or whose region is empty or malformed,
// whose path is not a well-formed user pool id (see CognitoPool), whose
// region differs from the pool id's prefix (or whose region and pool are
// swapped, as core.Cognito(pool, region) gives), or whose Cognito field is
// false; a Cognito issuer with no TokenUse (its own or Config's) unless
// AnyTokenUse is set (on it or on Config), so that ID tokens do not reach an
// API by accident; AnyTokenUse on an issuer without Cognito rules. An issuer
// with Cognito rules at any other URL (cognito-local) is accepted.
func New(ctx context.Context, cfg Config) (*Verifier, error) {
	if ctx == nil {
		ctx = context.Background()
	}
	v := &Verifier{
		issuers:  make(map[string]*issuerState, len(cfg.Issuers)),
		skipAud:  cfg.SkipAudienceCheck,
		leeway:   cfg.Leeway,
		policies: append([]Policy(nil), cfg.Policies...),
		now:      cfg.Now,
		logger:   cfg.Logger,
		onResult: cfg.OnResult,
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
	// order is the allowlist in its order: an RSA or oct key without alg
	// serves the first algorithm of it that the key fits (A05). For the
	// default list it stays nil: the key sets take the table's order (RS256
	// first).
	var order []alg.ID
	if len(cfg.Algorithms) == 0 {
		// The default: every asymmetric algorithm.
		for _, a := range alg.All() {
			if a.Info().Scheme != alg.HMAC {
				v.allowed = v.allowed.With(a)
			}
		}
	}
	for i, name := range cfg.Algorithms {
		a := alg.Lookup(name)
		if a == alg.Unknown {
			if strings.EqualFold(name, "none") {
				return nil, fmt.Errorf("jwtgate: Config.Algorithms[%d]: \"none\" is never accepted", i)
			}
			return nil, fmt.Errorf("jwtgate: Config.Algorithms[%d]: unknown algorithm %q", i, name)
		}
		v.allowed = v.allowed.With(a)
		order = append(order, a)
	}
	for _, a := range alg.All() {
		if v.allowed.Has(a) {
			v.methods[a] = a.SigningMethod()
		}
	}

	if err := checkCanVerify(cfg, v.allowed); err != nil {
		return nil, err
	}
	for i, iss := range cfg.Issuers {
		kc := keyset.Config{
			Issuer:     iss.URL,
			JWKSURL:    iss.JWKSURL,
			JWKS:       bytes.Clone(iss.JWKS),
			Algorithms: v.allowed,
			Order:      order,
			Now:        v.now,
			HTTPClient: cfg.HTTPClient,
			Logger:     v.logger,
		}
		cfg.KeySet.apply(&kc)
		ks, err := keyset.New(ctx, kc)
		if err != nil {
			v.closeSets()
			return nil, fmt.Errorf("jwtgate: Config.Issuers[%d]: issuer %q: %w", i, iss.URL, err)
		}
		v.sets = append(v.sets, ks)
		is := &issuerState{url: iss.URL, cognito: iss.Cognito, keys: ks, key: ks.Key,
			audience: cloneStrings(cfg.Audience), tokenUse: cfg.TokenUse}
		if len(iss.Audience) > 0 {
			is.audience = cloneStrings(iss.Audience)
		}
		switch {
		case iss.TokenUse != "":
			is.tokenUse = iss.TokenUse
		case iss.AnyTokenUse:
			is.tokenUse = ""
		}
		v.issuers[iss.URL] = is
	}

	switch {
	case cfg.CacheSize == 0:
		v.cache = newTokenCache(defaultCacheSize, cacheBudget)
	case cfg.CacheSize > 0:
		v.cache = newTokenCache(cfg.CacheSize, cacheBudget)
	}
	return v, nil
}

// checkConfig validates everything in cfg that needs no key source.
func (v *Verifier) checkConfig(cfg Config) error {
	if len(cfg.Issuers) == 0 {
		return errors.New("jwtgate: Config.Issuers is empty")
	}
	if err := checkTokenUse("Config.TokenUse", cfg.TokenUse); err != nil {
		return fmt.Errorf("jwtgate: %w", err)
	}
	if cfg.TokenUse != "" && cfg.AnyTokenUse {
		return errors.New("jwtgate: Config.TokenUse and Config.AnyTokenUse are both set (AnyTokenUse accepts both kinds of token; TokenUse pins one)")
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
		if err := checkIssuer(cfg, iss); err != nil {
			return fmt.Errorf("jwtgate: Config.Issuers[%d]: %w", i, err)
		}
	}
	if cfg.SkipAudienceCheck && len(cfg.Audience) > 0 {
		return errors.New("jwtgate: Config.Audience is set together with SkipAudienceCheck")
	}
	for i, a := range cfg.Audience {
		if a == "" {
			return fmt.Errorf("jwtgate: Config.Audience[%d] is empty", i)
		}
	}
	if cfg.Leeway < 0 || cfg.Leeway > maxLeeway {
		return fmt.Errorf("jwtgate: Config.Leeway %v is outside [0, %v]", cfg.Leeway, maxLeeway)
	}
	if err := cfg.KeySet.check(); err != nil {
		return err
	}
	for i, p := range cfg.Policies {
		if p == nil {
			return fmt.Errorf("jwtgate: Config.Policies[%d] is nil", i)
		}
	}
	return nil
}

// checkIssuer checks one issuer's own fields against cfg: a Cognito user
// pool URL, its Audience and its token use. Its errors name the field but
// not the issuer's index, which the caller adds.
func checkIssuer(cfg Config, iss Issuer) error {
	pool, err := checkCognitoURL(iss.URL)
	if err != nil {
		return fmt.Errorf("URL %q %w", iss.URL, err)
	}
	if pool && !iss.Cognito {
		return fmt.Errorf("URL %q is a Cognito user pool but Cognito is false (build the issuer with core.CognitoPool or core.Cognito)", iss.URL)
	}
	switch {
	case cfg.SkipAudienceCheck && len(iss.Audience) > 0:
		return errors.New("Audience is set together with Config.SkipAudienceCheck")
	case !cfg.SkipAudienceCheck && len(iss.Audience) == 0 && len(cfg.Audience) == 0:
		return errors.New("no audience: Config.Audience and the issuer's Audience are empty (set SkipAudienceCheck to turn the audience check off)")
	}
	for j, a := range iss.Audience {
		if a == "" {
			return fmt.Errorf("Audience[%d] is empty", j)
		}
	}
	if err := checkTokenUse("TokenUse", iss.TokenUse); err != nil {
		return err
	}
	switch {
	case iss.TokenUse != "" && iss.AnyTokenUse:
		return errors.New("TokenUse and AnyTokenUse are both set (AnyTokenUse accepts both kinds of token; TokenUse pins one)")
	case iss.AnyTokenUse && !iss.Cognito:
		return errors.New("AnyTokenUse is set on an issuer without Cognito rules (it only opts a Cognito issuer out of pinning TokenUse)")
	case iss.Cognito && iss.TokenUse == "" && !iss.AnyTokenUse && cfg.TokenUse == "" && !cfg.AnyTokenUse:
		return fmt.Errorf("Cognito issuer %q has no TokenUse: set TokenUse to \"access\" (APIs) or \"id\" on the Issuer or the Config, or AnyTokenUse to accept both kinds of token", iss.URL)
	}
	return nil
}

// checkCanVerify refuses settings under which no token of an issuer could
// ever verify, where that is plain from the configuration alone:
//   - an Amazon Cognito user pool issuer (its URL on
//     cognito-idp.<region>.amazonaws.com) while the allowlist lacks RS256,
//     the one algorithm Cognito signs with;
//   - an issuer whose keys come from a URL while the allowlist holds HS
//     algorithms only: a fetched key set never holds a symmetric (oct) key.
//
// (A static set none of whose keys serves an allowed algorithm is refused
// by the key set.) checkConfig has already checked the URLs.
func checkCanVerify(cfg Config, allowed alg.Set) error {
	if !allowed.Has(alg.RS256) {
		for i, iss := range cfg.Issuers {
			if pool, _ := checkCognitoURL(iss.URL); pool {
				return fmt.Errorf("jwtgate: Config.Issuers[%d]: issuer %q is an Amazon Cognito user pool, which signs with RS256 only, "+
					"but Config.Algorithms %v does not allow RS256: no token could verify (add \"RS256\" to Config.Algorithms, or leave it empty)",
					i, iss.URL, cfg.Algorithms)
			}
		}
	}
	asymmetric := false
	for _, a := range alg.All() {
		if allowed.Has(a) && a.Info().Scheme != alg.HMAC {
			asymmetric = true
		}
	}
	if asymmetric {
		return nil
	}
	for i, iss := range cfg.Issuers {
		if len(iss.JWKS) == 0 {
			return fmt.Errorf("jwtgate: Config.Issuers[%d]: issuer %q fetches its keys from a URL, which never holds a symmetric (oct) key, "+
				"but Config.Algorithms allows HS algorithms only: no token could verify (give it a static JWKS, or allow an asymmetric algorithm)", i, iss.URL)
		}
	}
	return nil
}

// checkTokenUse checks the token use field named field.
func checkTokenUse(field, use string) error {
	switch use {
	case "", "id", "access":
		return nil
	}
	return fmt.Errorf("%s %q is not \"\", \"id\" or \"access\"", field, use)
}

func cloneStrings(s []string) []string {
	if s == nil {
		return nil
	}
	return append([]string(nil), s...)
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
// token_use; then Config.Policies. Each call returns a Claims of its own
// (AuthenticateContext, for middleware, returns shared ones instead).
// Verify keeps no reference to token: the cache stores a copy of its own.
func (v *Verifier) Verify(ctx context.Context, token string) (*Claims, error) {
	if v == nil {
		return nil, tokenErr(ErrKeysUnavailable, nil, "no verifier")
	}
	_, c, info, err := v.verifyEntry(ctx, token, v.lookup(token), false, nil)
	if err != nil {
		return nil, v.refused(ctx, token, v.cacheState(info.hit), info.issuer, err)
	}
	if v.onResult != nil {
		v.accepted(ctx, c, info.hit)
	}
	return c, nil
}

// lookup returns the verified-token cache's entry of token, or nil.
func (v *Verifier) lookup(token string) *cacheEntry {
	if v == nil || v.cache == nil || len(token) > maxTokenLen {
		return nil
	}
	return v.cache.get(token)
}

// verifyInfo is what verifyEntry learnt about a token besides its claims,
// for OnResult and the debug log of a refusal, so that a refusal need not
// read the token again.
type verifyInfo struct {
	hit    bool         // the verified-token cache answered
	issuer *issuerState // the configured issuer that iss named; nil when it named none, or the token was refused before its payload was read
}

// verifyEntry is Verify once token has been looked up in the cache: e is its
// entry, or nil. Authenticate calls it too, so that a request looks the token
// up once. info says whether the answer came from the cache, and which
// configured issuer the token named. With carry, it also returns ctx
// carrying the claims and the middleware's value mw, and a hit answers with
// the entry's shared copy of the claims (cacheEntry.shared), so that the
// context node is its one allocation; without carry, a hit answers with a
// copy of the caller's own. On an error it returns ctx as it is.
func (v *Verifier) verifyEntry(ctx context.Context, token string, e *cacheEntry, carry bool, mw any) (out context.Context, c *Claims, info verifyInfo, err error) {
	if len(token) > maxTokenLen {
		return ctx, nil, info, tokenErr(ErrInvalidToken, jwt.ErrTokenMalformed, "token is longer than 8 KiB")
	}
	now := v.now()
	if e != nil {
		if !e.stale(ctx) {
			info.hit = true
			if !e.timely(now) {
				if err := v.checkTimes(e.claims, now); err != nil {
					v.cache.remove(token, e)
					info.issuer = v.issuers[e.claims.Issuer]
					return ctx, nil, info, err
				}
			}
			if carry {
				c = e.shared()
			} else {
				c = e.claims.clone()
			}
			if err := v.authorize(ctx, c); err != nil {
				info.issuer = v.issuers[e.claims.Issuer]
				return ctx, nil, info, err
			}
			return v.handOn(ctx, c, carry, mw), c, info, nil
		}
		v.cache.remove(token, e)
	}
	c, used, is, err := v.verify(ctx, token, now)
	info.issuer = is
	if err != nil {
		return ctx, nil, info, err
	}
	var ne *cacheEntry
	if v.cache != nil {
		// The cache keeps a template of its own, copied before any policy
		// sees c; c is the caller's.
		ne = newCacheEntry(c.clone(), used, v.leeway)
	}
	if err := v.authorize(ctx, c); err != nil {
		return ctx, nil, info, err
	}
	if ne != nil {
		v.cache.put(token, ne, now)
	}
	return v.handOn(ctx, c, carry, mw), c, info, nil
}

// handOn returns, with carry, ctx carrying the claims c verified by v and
// the middleware's value mw (the context node is the one allocation);
// otherwise ctx itself.
func (v *Verifier) handOn(ctx context.Context, c *Claims, carry bool, mw any) context.Context {
	if !carry {
		return ctx
	}
	return &claimsContext{Context: ctx, c: c, v: v, mw: mw}
}

func (v *Verifier) authorize(ctx context.Context, c *Claims) error {
	if len(v.policies) == 0 {
		return nil
	}
	return Authorize(ctx, c, v.policies...)
}

// keyUse is how a token was verified: the key, and for a token without kid
// (which only a set of one key accepts) that key's set and the token's alg,
// so that a cache hit can ask the set again.
type keyUse struct {
	key    *keyset.Key
	single *keyset.Set
	alg    alg.ID
}

// verify is the full check of a token not found in the cache. It returns
// the configured issuer that the token's iss named once that is known, even
// with an error.
func (v *Verifier) verify(ctx context.Context, token string, now time.Time) (*Claims, keyUse, *issuerState, error) {
	d1, d2, err := splitToken(token)
	if err != nil {
		return nil, keyUse{}, nil, err
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
		return nil, keyUse{}, nil, tokenErrCause(ErrInvalidToken, jwt.ErrTokenMalformed, "header is not canonical base64url", err)
	}
	h, err := v.parseHeader(hb[:n])
	if err != nil {
		return nil, keyUse{}, nil, err
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
		return nil, keyUse{}, nil, tokenErrCause(ErrInvalidToken, jwt.ErrTokenMalformed, "payload is not canonical base64url", err)
	}
	p = p[:n]
	ps := string(p)
	box := new(claimsBox) // the claims and room for their strings, one allocation
	c := &box.c
	c.raw = ps
	pl, err := parsePayload(p, ps, c, box.strs[:])
	if err != nil {
		return nil, keyUse{}, nil, err
	}

	// Issuer: an exact match selects that issuer's keys only (C07, C08).
	is := v.issuers[c.Issuer]
	if is == nil {
		return nil, keyUse{}, nil, tokenErr(ErrInvalidIssuer, jwt.ErrTokenInvalidIssuer, "")
	}

	// Key: the set hands out only a key bound to h.alg (A05, A06, A07, A13).
	key, err := is.key(ctx, h.kid, h.alg)
	if err != nil {
		return nil, keyUse{}, is, keyError(err)
	}

	// Signature.
	sig := make([]byte, enc.DecodedLen(len(token)-d2-1))
	n, err = enc.Decode(sig, src[d2+1:])
	if err != nil {
		return nil, keyUse{}, is, tokenErrCause(ErrInvalidToken, jwt.ErrTokenMalformed, "signature is not canonical base64url", err)
	}
	if err := v.methods[h.alg].Verify(token[:d2], sig[:n], key.Public); err != nil {
		return nil, keyUse{}, is, tokenErrCause(ErrInvalidSignature, jwt.ErrTokenSignatureInvalid, "", err)
	}

	if err := v.checkClaims(c, pl, is, now); err != nil {
		return nil, keyUse{}, is, err
	}
	used := keyUse{key: key}
	if h.kid == "" {
		used.single, used.alg = is.keys, h.alg
	}
	return c, used, is, nil
}

// checkClaims applies the claim rules to the claims of a token whose
// signature verified: exp required, the times, token_use, and the audience.
// It fills ClientID from aud for an ID token that has no client_id.
func (v *Verifier) checkClaims(c *Claims, pl payload, is *issuerState, now time.Time) error {
	if !pl.hasExp {
		return tokenErr(ErrInvalidToken, jwt.ErrTokenRequiredClaimMissing, "exp is required")
	}
	if err := v.checkTimes(c, now); err != nil {
		return err
	}
	if is.cognito && c.TokenUse != "id" && c.TokenUse != "access" {
		return tokenErr(ErrInvalidTokenUse, jwt.ErrTokenInvalidClaims, "token_use must be id or access")
	}
	if is.tokenUse != "" && c.TokenUse != is.tokenUse {
		return tokenErr(ErrInvalidTokenUse, jwt.ErrTokenInvalidClaims, "token_use is not the one required")
	}
	c.fillClientID()
	if !v.skipAud && !audienceOK(is.audience, c, pl.hasAud) {
		return tokenErr(ErrInvalidAudience, jwt.ErrTokenInvalidAudience, "")
	}
	return nil
}

// keyError turns a key set error into Verify's: an unavailable set is
// ErrKeysUnavailable, a context error stays itself, anything else is an
// unknown key (a token failure).
func keyError(err error) error {
	switch {
	case errors.Is(err, keyset.ErrUnavailable):
		return tokenErrCause(ErrKeysUnavailable, nil, err.Error(), err)
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return fmt.Errorf("jwtgate: %w", err)
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

// audienceOK matches aud (any of audience, the issuer's), or for a token
// without aud whose token_use is "access" its client_id.
func audienceOK(audience []string, c *Claims, hasAud bool) bool {
	if hasAud {
		for _, a := range c.Audience {
			for _, want := range audience {
				if a == want {
					return true
				}
			}
		}
		return false
	}
	if c.TokenUse == "access" && c.ClientID != "" {
		for _, want := range audience {
			if c.ClientID == want {
				return true
			}
		}
	}
	return false
}

// Close stops background work (remote key set refreshes). It is idempotent
// and always returns nil. Requests still in flight when it is called (or
// made after it) are answered from the keys the sets hold at that moment:
// a key set never refreshes again, so a token whose kid the set does not
// hold, or any token of a set that had not loaded yet, is refused with
// ErrKeysUnavailable (503). Close a Verifier
// once the server that uses it has shut down.
func (v *Verifier) Close() error {
	if v == nil {
		return nil
	}
	v.closeOnce.Do(v.closeSets)
	return nil
}

func (v *Verifier) closeSets() {
	for _, s := range v.sets {
		s.Close()
	}
}
