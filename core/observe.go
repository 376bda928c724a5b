package core

// This file reports what the Verifier decided: Config.OnResult receives one
// Result per Verify or Authenticate call, and refusals are logged at debug
// level through Config.Logger. Neither costs anything on the request path
// when unused: one nil check for OnResult, and a refusal asks the logger
// whether debug is enabled before it builds anything.

import (
	"context"
	"encoding/base64"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/jwtgate/jwtgate/internal/strictjson"
)

// Result is the outcome of one Verify or Authenticate call, as
// Config.OnResult receives it. Class, Reason and Cache take their values from
// the fixed sets of constants below and Issuer is one of the configured
// Issuer.URL values or "", so all four are safe as metric labels: their
// cardinality is bounded by the configuration, never by what clients send.
type Result struct {
	// Class is the class of the answer: ClassOK, ClassMissing,
	// ClassInvalidRequest, ClassInvalidToken, ClassInsufficientScope or
	// ClassUnavailable.
	Class string

	// Reason narrows ClassInvalidToken (ReasonExpired, ReasonNotYetValid,
	// ReasonSignature, ReasonUnknownKey, ReasonIssuer, ReasonAudience,
	// ReasonTokenUse, ReasonMalformed) and ClassUnavailable (ReasonKeys,
	// ReasonInterrupted). It is "" for the other classes.
	Reason string

	// Issuer is the URL of the configured Issuer that the token's iss named,
	// or "" when it named none (ReasonIssuer), when the token was refused
	// before its payload was read (a malformed token, a refused header such
	// as an algorithm off the allowlist, a payload that does not decode), or
	// when there was no token. It is the configured string, never one read
	// from a token.
	Issuer string

	// Cache is CacheHit when the verified-token cache answered, CacheMiss
	// when the token was not in it, or "" when the cache is off
	// (Config.CacheSize < 0) or the request carried no token to look up.
	Cache string

	// Err is the error that Verify or Authenticate returned; nil for
	// ClassOK. Its text is fixed by jwtgate and holds no token bytes.
	Err error
}

// The classes of Result.Class, one per kind of answer (see Respond).
const (
	// ClassOK means the token was accepted (and Config.Policies allowed it).
	ClassOK = "ok"
	// ClassMissing means the request carried no Bearer credentials
	// (ErrMissingToken, 401). An adapter with optional credentials lets such
	// a request through; it is reported all the same.
	ClassMissing = "missing"
	// ClassInvalidRequest means the credentials were malformed or sent more
	// than once (ErrInvalidRequest, 400).
	ClassInvalidRequest = "invalid_request"
	// ClassInvalidToken means the token was refused (ErrInvalidToken, 401);
	// Result.Reason says why.
	ClassInvalidToken = "invalid_token"
	// ClassInsufficientScope means a policy of Config.Policies refused a
	// valid token (ErrInsufficientScope, 403).
	ClassInsufficientScope = "insufficient_scope"
	// ClassUnavailable means the token could not be verified
	// (ErrKeysUnavailable or the end of the request's context, 503);
	// Result.Reason says which.
	ClassUnavailable = "unavailable"
)

// The reasons of Result.Reason.
const (
	// ReasonExpired: exp has passed (ErrTokenExpired).
	ReasonExpired = "expired"
	// ReasonNotYetValid: nbf or iat lies in the future (ErrTokenNotYetValid).
	ReasonNotYetValid = "not_yet_valid"
	// ReasonSignature: the signature did not verify with the issuer's key
	// (ErrInvalidSignature).
	ReasonSignature = "signature"
	// ReasonUnknownKey: no key of the issuer matches the token's kid and alg
	// (ErrUnknownKey).
	ReasonUnknownKey = "unknown_key"
	// ReasonIssuer: iss is missing or not a configured issuer
	// (ErrInvalidIssuer).
	ReasonIssuer = "issuer"
	// ReasonAudience: neither aud nor client_id matched (ErrInvalidAudience).
	ReasonAudience = "audience"
	// ReasonTokenUse: token_use is missing, unknown or not the one required
	// (ErrInvalidTokenUse).
	ReasonTokenUse = "token_use"
	// ReasonMalformed: the token is malformed or broke a rule that has no
	// narrower reason (a refused header, an algorithm off the allowlist, no
	// exp, a claim of the wrong type, a policy error that does not wrap
	// ErrInsufficientScope).
	ReasonMalformed = "malformed"
	// ReasonKeys: the issuer's key set has never loaded (ErrKeysUnavailable).
	ReasonKeys = "keys"
	// ReasonInterrupted: the request's context ended while the key set was
	// being fetched (context.Canceled or context.DeadlineExceeded).
	ReasonInterrupted = "interrupted"
)

// The values of Result.Cache.
const (
	// CacheHit means the verified-token cache answered.
	CacheHit = "hit"
	// CacheMiss means the token was not in the cache.
	CacheMiss = "miss"
)

// results gives each class of answer its Result.Class and Result.Reason.
var results = [numClasses]struct{ class, reason string }{
	classGeneric:        {ClassInvalidToken, ReasonMalformed},
	classMissing:        {ClassMissing, ""},
	classInvalidRequest: {ClassInvalidRequest, ""},
	classExpired:        {ClassInvalidToken, ReasonExpired},
	classNotYetValid:    {ClassInvalidToken, ReasonNotYetValid},
	classSignature:      {ClassInvalidToken, ReasonSignature},
	classUnknownKey:     {ClassInvalidToken, ReasonUnknownKey},
	classIssuer:         {ClassInvalidToken, ReasonIssuer},
	classAudience:       {ClassInvalidToken, ReasonAudience},
	classTokenUse:       {ClassInvalidToken, ReasonTokenUse},
	classScope:          {ClassInsufficientScope, ""},
	classUnavailable:    {ClassUnavailable, ReasonKeys},
	classInterrupted:    {ClassUnavailable, ReasonInterrupted},
}

// cacheState is Result.Cache for a token that went to verification.
func (v *Verifier) cacheState(hit bool) string {
	switch {
	case v.cache == nil:
		return ""
	case hit:
		return CacheHit
	}
	return CacheMiss
}

// accepted reports an accepted token to Config.OnResult. The caller has
// checked that v.onResult is set.
func (v *Verifier) accepted(ctx context.Context, c *Claims, hit bool) {
	issuer := ""
	if is := v.issuers[c.Issuer]; is != nil {
		issuer = is.url
	}
	v.onResult(ctx, Result{Class: ClassOK, Issuer: issuer, Cache: v.cacheState(hit)})
}

// refused reports and logs the refusal err of token ("" when the request
// carried none) and returns err. cache is Result.Cache; is is the configured
// issuer that verification found the token's iss to name, or nil. Without
// OnResult and with debug logging off it only asks the logger; only the
// debug log reads the token again (for its kid, iss and aud).
func (v *Verifier) refused(ctx context.Context, token, cache string, is *issuerState, err error) error {
	if v == nil {
		return err
	}
	debug := v.logger.Enabled(ctx, slog.LevelDebug)
	if v.onResult == nil && !debug {
		return err
	}
	c := classify(err)
	if v.onResult != nil {
		r := results[c]
		issuer := ""
		if is != nil {
			issuer = is.url
		}
		v.onResult(ctx, Result{Class: r.class, Reason: r.reason, Issuer: issuer, Cache: cache, Err: err})
	}
	if debug {
		var f tokenFacts
		if token != "" {
			readFacts(token, &f)
		}
		v.logRefusal(ctx, c, err, is, &f)
	}
	return err
}

// tokenFacts are what the debug log of a refusal shows of the token, read
// from it without checking anything: never the token, its signature, or any
// claim other than iss, aud and client_id. Attacker-controlled.
type tokenFacts struct {
	kid, iss, clientID       string
	hasKid, hasIss, hasAud   bool
	aud                      []string
	audTruncated, readFailed bool
}

// maxLoggedLen caps each token-supplied string in a log record; maxLoggedAud
// caps the number of audiences logged.
const (
	maxLoggedLen = 64
	maxLoggedAud = 4
)

// readFacts reads the kid, iss, aud and client_id of token into f without
// checking anything. What cannot be read stays empty.
func readFacts(token string, f *tokenFacts) {
	if len(token) > maxTokenLen {
		return
	}
	head, rest, ok := strings.Cut(token, ".")
	if !ok {
		return
	}
	body, _, _ := strings.Cut(rest, ".")
	enc := base64.RawURLEncoding
	var hbuf [512]byte
	if h, ok := decodeSegment(enc, head, hbuf[:]); ok {
		var ms [12]strictjson.Member
		if members, err := strictjson.ScanObject(h, ms[:0]); err == nil {
			for i := range members {
				m := &members[i]
				if string(m.Name(h)) == "kid" {
					if b, ok := strictjson.Unquote(h[m.Start:m.End]); ok {
						f.kid, f.hasKid = string(b), true
					}
				}
			}
		}
	}
	var buf [2048]byte
	p, ok := decodeSegment(enc, body, buf[:])
	if !ok {
		return
	}
	var ms [32]strictjson.Member
	members, err := strictjson.ScanObject(p, ms[:0])
	if err != nil {
		return
	}
	for i := range members {
		m := &members[i]
		raw := p[m.Start:m.End]
		switch string(m.Name(p)) {
		case "iss":
			if b, ok := strictjson.Unquote(raw); ok {
				f.iss, f.hasIss = string(b), true
			}
		case "aud":
			f.hasAud = true
			f.aud, f.audTruncated = readAud(raw)
		case "client_id":
			if b, ok := strictjson.Unquote(raw); ok {
				f.clientID = string(b)
			}
		}
	}
}

// decodeSegment decodes a base64url segment into buf, or into a new slice
// when buf is too small.
func decodeSegment(enc *base64.Encoding, seg string, buf []byte) ([]byte, bool) {
	if n := enc.DecodedLen(len(seg)); n > len(buf) {
		buf = make([]byte, n)
	}
	n, err := enc.Decode(buf, []byte(seg))
	if err != nil {
		return nil, false
	}
	return buf[:n], true
}

// readAud returns up to maxLoggedAud strings of an aud value (a string or an
// array of strings), and whether some were left out.
func readAud(raw []byte) ([]string, bool) {
	if b, ok := strictjson.Unquote(raw); ok {
		return []string{string(b)}, false
	}
	arr, ok := strictjson.NewArray(raw)
	if !ok {
		return nil, false
	}
	var out []string
	for {
		start, end, ok := arr.Next()
		if !ok {
			return out, false
		}
		if len(out) == maxLoggedAud {
			return out, true
		}
		if b, ok := strictjson.Unquote(raw[start:end]); ok {
			out = append(out, string(b))
		}
	}
}

// logRefusal logs err at debug level with what helps to find its cause: the
// configured issuer is (nil: none), the kid, and for an issuer or audience
// refusal the received values next to the configured ones. Token-supplied
// strings are capped and escaped (logSafe; docs/SECURITY.md B09).
func (v *Verifier) logRefusal(ctx context.Context, c class, err error, is *issuerState, f *tokenFacts) {
	r := results[c]
	attrs := make([]slog.Attr, 0, 8)
	attrs = append(attrs, slog.String("answer", r.class))
	if r.reason != "" {
		attrs = append(attrs, slog.String("reason", r.reason))
	}
	attrs = append(attrs, slog.String("error", err.Error()))
	if is != nil {
		attrs = append(attrs, slog.String("issuer", is.url))
	}
	if f.hasKid {
		attrs = append(attrs, slog.String("kid", logSafe(f.kid)))
	}
	switch c {
	case classIssuer:
		if f.hasIss {
			attrs = append(attrs, slog.String("iss", logSafe(f.iss)))
		}
		urls := make([]string, 0, len(v.issuers))
		for u := range v.issuers {
			urls = append(urls, u)
		}
		slices.Sort(urls)
		attrs = append(attrs, slog.Any("issuers", urls))
	case classAudience:
		if f.hasAud {
			aud := make([]string, len(f.aud), len(f.aud)+1)
			for i, a := range f.aud {
				aud[i] = logSafe(a)
			}
			if f.audTruncated {
				aud = append(aud, "…")
			}
			attrs = append(attrs, slog.Any("aud", aud))
		} else if f.clientID != "" {
			attrs = append(attrs, slog.String("client_id", logSafe(f.clientID)))
		}
		if is != nil {
			attrs = append(attrs, slog.Any("audience", is.audience))
		}
	}
	msg := "jwtgate: token refused"
	switch c {
	case classScope:
		msg = "jwtgate: policy refused the token"
	case classMissing, classInvalidRequest:
		msg = "jwtgate: request refused"
	}
	v.logger.LogAttrs(ctx, slog.LevelDebug, msg, attrs...)
}

// logSafe makes an attacker-controlled string safe for any log handler: at
// most maxLoggedLen bytes (cut on a character boundary, "…" marking the
// cut), with quotes, backslashes, control characters, invalid UTF-8 and
// everything outside printable ASCII escaped as in a Go string literal,
// without the surrounding quotes.
func logSafe(s string) string {
	cut := false
	if len(s) > maxLoggedLen {
		i := maxLoggedLen
		for i > 0 && !utf8.RuneStart(s[i]) {
			i--
		}
		s, cut = s[:i], true
	}
	q := strconv.QuoteToASCII(s)
	q = q[1 : len(q)-1]
	if cut {
		q += "…"
	}
	return q
}

// routeRefused logs at debug level the refusal err of claims c, which v
// verified, by a route's Requirement: the answer, the error's fixed text
// (naming the required scopes or groups) and the configured issuer. It is
// not reported to OnResult: the request was reported when it was
// authenticated.
func (v *Verifier) routeRefused(ctx context.Context, c *Claims, err error) {
	if !v.logger.Enabled(ctx, slog.LevelDebug) {
		return
	}
	r := results[classify(err)]
	attrs := make([]slog.Attr, 0, 5)
	attrs = append(attrs, slog.String("answer", r.class))
	if r.reason != "" {
		attrs = append(attrs, slog.String("reason", r.reason))
	}
	attrs = append(attrs, slog.String("error", err.Error()), slog.Bool("route", true))
	if is := v.issuers[c.Issuer]; is != nil {
		attrs = append(attrs, slog.String("issuer", is.url))
	}
	v.logger.LogAttrs(ctx, slog.LevelDebug, "jwtgate: policy refused the token", attrs...)
}
