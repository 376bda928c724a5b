package core

import (
	"log/slog"
	"net/http"
	"time"
)

// Config configures a Verifier. The zero value of every optional field is safe.
type Config struct {
	// Issuers lists the accepted issuers, each with its own key source. Required.
	Issuers []Issuer

	// Audience lists the accepted audiences (any of them). A token's aud must
	// contain one; a token without aud whose token_use is "access" (a Cognito
	// access token) is matched on its client_id. Required unless
	// SkipAudienceCheck is set.
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
	// and for an RSA key the first RSA algorithm (RS* or PS*) of this list,
	// in its order — RS256 when the list is empty.
	Algorithms []string

	// TokenUse, if not empty, is the token_use every token must carry ("access"
	// or "id").
	TokenUse string

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

	// Now returns the current time. If nil, time.Now is used.
	Now func() time.Time

	// HTTPClient lends its transport (TLS, proxies) to key set and discovery
	// fetches; jwtgate's own timeout, body cap and redirect rule still apply.
	// If nil, a client of jwtgate's own is used (never http.DefaultClient).
	HTTPClient *http.Client

	// Logger receives key set events and verification failures (never a token).
	// If nil, slog.Default() is used.
	Logger *slog.Logger
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
	// (access tokens).
	Cognito bool
}

// Cognito returns the Issuer of an Amazon Cognito user pool:
// URL https://cognito-idp.<region>.amazonaws.com/<userPoolID>, its JWKS at
// URL + "/.well-known/jwks.json", and Cognito rules on. A caller may
// override JWKSURL.
func Cognito(region, userPoolID string) Issuer {
	u := "https://cognito-idp." + region + ".amazonaws.com/" + userPoolID
	return Issuer{URL: u, JWKSURL: u + "/.well-known/jwks.json", Cognito: true}
}
