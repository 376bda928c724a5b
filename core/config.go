package core

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Config configures a Verifier. The zero value of every optional field is safe.
type Config struct {
	// Issuers lists the accepted issuers, each with its own key source. Required.
	Issuers []Issuer

	// Audience lists the accepted audiences (any of them). A token's aud must
	// contain one; a token without aud whose token_use is "access" (a Cognito
	// access token) is matched on its client_id. An Issuer's own Audience
	// replaces it for that issuer's tokens. Required (here or on every
	// Issuer) unless SkipAudienceCheck is set.
	Audience []string

	// SkipAudienceCheck turns the audience check off. It must be set explicitly.
	SkipAudienceCheck bool

	// Algorithms is the allowlist of JWS algorithms. If empty, the asymmetric
	// algorithms RS256, RS384, RS512, PS256, PS384, PS512, ES256, ES384, ES512
	// and EdDSA are accepted. "none" is never accepted; HS256/384/512 only with
	// a static key of at least the hash length.
	//
	// Each key serves exactly one algorithm: the alg of its JWK; or, for a JWK
	// without alg, the algorithm of its curve (ES256, ES384, ES512, EdDSA),
	// for an RSA key the first RSA algorithm (RS* or PS*) of this list, in
	// its order — RS256 when the list is empty — and for a static oct key
	// the first HS algorithm of this list, in its order, whose minimum key
	// length it reaches (32 bytes for HS256, 48 for HS384, 64 for HS512).
	Algorithms []string

	// TokenUse, if not empty, is the token_use every token must carry ("access"
	// or "id"). An Issuer's own TokenUse replaces it for that issuer's tokens.
	// A Cognito issuer needs a TokenUse (here or on the Issuer) or
	// AnyTokenUse: New refuses it otherwise.
	TokenUse string

	// AnyTokenUse lets every Cognito issuer without a TokenUse of its own
	// accept both ID and access tokens (token_use must still be "id" or
	// "access"). It must be set explicitly, and not together with TokenUse:
	// an API usually wants access tokens only, and an ID token reaching it by
	// accident is what this opt-out allows.
	AnyTokenUse bool

	// Leeway is the clock skew allowed for exp, nbf and iat. If zero, none.
	// At most 5 minutes.
	Leeway time.Duration

	// Policies run on every verified token, in order, before the route's own.
	Policies []Policy

	// CacheSize is the number of verified tokens kept (see the package doc).
	// If zero, 8192 are kept (about 10–25 MB with 1–2 KB tokens); if
	// negative, the cache is off. At any size the cache also keeps the
	// bytes of its entries (token, payload and claims, plus about 512
	// bytes each) within 32 MiB, so the worst case, distinct valid tokens
	// of the maximal 8 KiB, holds about 35 MB of heap.
	CacheSize int

	// Now returns the current time: the clock of exp, nbf and iat and of the
	// times KeySetStatus reports (key-set refresh timing runs on the
	// monotonic clock). If nil, time.Now is used.
	Now func() time.Time

	// HTTPClient lends its transport (TLS, proxies) to key set and discovery
	// fetches; jwtgate's own timeout, body cap and redirect rule still apply.
	// If nil, a client of jwtgate's own is used (never http.DefaultClient).
	HTTPClient *http.Client

	// KeySet tunes the fetching and refreshing of remote key sets (refresh
	// interval, minimum interval between fetches caused by requests, fetch
	// timeout, request wait). The zero value is the safe default; see
	// KeySetConfig for each field's default and bounds.
	KeySet KeySetConfig

	// Logger receives key set events and verification failures (never a token).
	// If nil, slog.Default() is used.
	Logger *slog.Logger

	// OnResult, if not nil, is called once for every call of Verify,
	// Authenticate, AuthenticateCredentials or AuthenticateContext (so once
	// per request through an adapter), on the caller's goroutine before the call returns, with the
	// outcome (see Result). It must be safe for concurrent use and quick:
	// it runs on the request path. If nil, nothing is reported and nothing
	// is spent.
	OnResult func(ctx context.Context, r Result)
}

// Issuer binds an exact iss value to its own key source.
type Issuer struct {
	// URL is the exact iss value, compared code point by code point.
	URL string

	// JWKSURL is the JWK Set URL. If empty and JWKS is empty, it is discovered
	// from URL + "/.well-known/openid-configuration".
	JWKSURL string

	// JWKS is a static JWK Set used instead of a URL.
	JWKS []byte

	// Cognito applies Amazon Cognito's rules: token_use must be "id" or
	// "access"; the client id is read from aud (ID tokens) or client_id
	// (access tokens). A Cognito issuer needs an effective TokenUse (its own
	// or Config.TokenUse) or AnyTokenUse (its own or Config's). Set it by
	// hand for an emulator such as cognito-local, whose URL may be anything;
	// an issuer whose URL is a cognito-idp.<region>.amazonaws.com user pool
	// must set it.
	Cognito bool

	// Audience, if not empty, replaces Config.Audience for this issuer's
	// tokens (a user pool's own app client ids, for instance). It must be
	// empty when Config.SkipAudienceCheck is set.
	Audience []string

	// TokenUse, if not empty, replaces Config.TokenUse for this issuer's
	// tokens: "access" or "id".
	TokenUse string

	// AnyTokenUse lets this Cognito issuer accept both ID and access tokens,
	// whatever Config.TokenUse says (token_use must still be "id" or
	// "access"). It must be set explicitly, not together with TokenUse, and
	// only on a Cognito issuer.
	AnyTokenUse bool
}

// Cognito returns the Issuer of an Amazon Cognito user pool:
// URL https://cognito-idp.<region>.amazonaws.com/<userPoolID>, its JWKS at
// URL + "/.well-known/jwks.json", and Cognito rules on. A caller may
// override JWKSURL, and should set TokenUse (or AnyTokenUse).
//
// Cognito checks nothing (it cannot return an error); New does: an empty or
// malformed region, a malformed pool id, swapped arguments, or a region
// other than the pool id's prefix make New fail. CognitoPool checks at once
// and needs the pool id only.
func Cognito(region, userPoolID string) Issuer {
	u := "https://cognito-idp." + region + ".amazonaws.com/" + userPoolID
	return Issuer{URL: u, JWKSURL: u + "/.well-known/jwks.json", Cognito: true}
}

// CognitoPool returns the Issuer of the Amazon Cognito user pool poolID, as
// Cognito does, with the region taken from the pool id. poolID must have the
// form AWS documents, <region>_<id>: a region such as eu-west-1 or
// us-gov-west-1, an underscore, and letters and digits, such as
// "eu-west-1_AbC123xyz". Anything else is an error that says what is wrong.
func CognitoPool(poolID string) (Issuer, error) {
	region, err := cognitoPoolRegion(poolID)
	if err != nil {
		return Issuer{}, fmt.Errorf("jwtgate: Cognito user pool id %q: %s", poolID, err)
	}
	return Cognito(region, poolID), nil
}

// cognitoPoolRegion returns the region of a well-formed user pool id, or an
// error that says what is wrong with it.
func cognitoPoolRegion(poolID string) (string, error) {
	region, id, ok := strings.Cut(poolID, "_")
	switch {
	case poolID == "":
		return "", errors.New("is empty; want <region>_<id>, such as eu-west-1_AbC123xyz")
	case !ok:
		if isAWSRegion(poolID) {
			return "", errors.New("is a region, not a user pool id; want <region>_<id>, such as eu-west-1_AbC123xyz")
		}
		return "", errors.New("has no underscore; want <region>_<id>, such as eu-west-1_AbC123xyz")
	case !isAWSRegion(region):
		return "", fmt.Errorf("starts with %q, which is not an AWS region such as eu-west-1", region)
	case !isAlnum(id):
		return "", errors.New("has an id part that is not only letters and digits; want <region>_<id>, such as eu-west-1_AbC123xyz")
	case len(poolID) > 55:
		return "", errors.New("is longer than 55 characters")
	}
	return region, nil
}

// isAWSRegion reports whether s has the form of an AWS region: a lower-case
// partition prefix, then dash-separated lower-case words and a number, as in
// eu-west-1, us-gov-west-1 or ap-southeast-2.
func isAWSRegion(s string) bool {
	parts := strings.Split(s, "-")
	if len(parts) < 3 {
		return false
	}
	for i, p := range parts {
		if p == "" {
			return false
		}
		last := i == len(parts)-1
		for j := 0; j < len(p); j++ {
			c := p[j]
			if last && !('0' <= c && c <= '9') || !last && !('a' <= c && c <= 'z') {
				return false
			}
		}
	}
	return len(parts[0]) >= 2
}

// isAlnum reports whether s is non-empty and only ASCII letters and digits.
func isAlnum(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9') {
			return false
		}
	}
	return true
}

// cognitoHostPrefix and cognitoHostSuffix frame the host of a user pool's
// issuer URL, cognito-idp.<region>.amazonaws.com.
const (
	cognitoHostPrefix = "cognito-idp."
	cognitoHostSuffix = ".amazonaws.com"
)

// checkCognitoURL checks an issuer URL whose host is a Cognito user pool's
// (cognito-idp.<region>.amazonaws.com): the region must be well-formed, the
// path must be /<pool id>, and the pool id's region must be the host's. It
// returns nil for any other URL (cognito-local and other emulators), and
// says whether the URL is a user pool's.
func checkCognitoURL(raw string) (pool bool, err error) {
	_, rest, _ := strings.Cut(raw, "://")
	host, _, _ := strings.Cut(rest, "/")
	if i := strings.LastIndexByte(host, '@'); i >= 0 {
		host = host[i+1:]
	}
	host = strings.ToLower(host)
	if h, _, ok := strings.Cut(host, ":"); ok {
		host = h
	}
	if !strings.HasPrefix(host, cognitoHostPrefix) || !strings.HasSuffix(host, cognitoHostSuffix) ||
		len(host) < len(cognitoHostPrefix)+len(cognitoHostSuffix) {
		return false, nil
	}
	u, perr := url.Parse(raw)
	if perr != nil {
		return true, errors.New("is a Cognito user pool URL that does not parse; want https://cognito-idp.<region>.amazonaws.com/<pool id>")
	}
	region := host[len(cognitoHostPrefix) : len(host)-len(cognitoHostSuffix)]
	poolID := strings.TrimPrefix(u.EscapedPath(), "/")
	switch {
	case u.Scheme != "https":
		return true, errors.New("is a Cognito user pool URL but not https")
	case region == "":
		return true, errors.New("is a Cognito user pool URL with an empty region (core.Cognito(region, pool) with region \"\"?); use core.CognitoPool(pool)")
	case strings.Contains(region, "_") && !strings.Contains(poolID, "_"):
		return true, fmt.Errorf("is a Cognito user pool URL whose region %q looks like a user pool id and whose pool %q like a region: are the arguments of core.Cognito(region, pool) swapped? core.CognitoPool(pool) needs the pool id only", region, poolID)
	case !isAWSRegion(region):
		return true, fmt.Errorf("is a Cognito user pool URL whose region %q is not an AWS region such as eu-west-1", region)
	case u.RawQuery != "" || u.Fragment != "" || u.User != nil || u.Port() != "":
		return true, errors.New("is a Cognito user pool URL with a port, user, query or fragment; want https://cognito-idp.<region>.amazonaws.com/<pool id>")
	}
	poolRegion, err := cognitoPoolRegion(poolID)
	if err != nil {
		return true, fmt.Errorf("is a Cognito user pool URL whose user pool id %q %s", poolID, err)
	}
	if poolRegion != region {
		return true, fmt.Errorf("is a Cognito user pool URL whose region %q does not match its user pool id %q (region %q)", region, poolID, poolRegion)
	}
	return true, nil
}
