// Package core verifies JSON Web Tokens (JWS compact serialization) for HTTP
// services: Amazon Cognito user pool tokens (ID and access tokens) and the
// tokens of any OpenID Connect or OAuth 2.0 issuer. It decides everything the
// adapters (nethttp, ginjwt, fiberjwt, echojwt) answer: Bearer extraction,
// key sets per issuer, signature and claim checks, Cognito rules, policies,
// the verified-token cache, and the RFC 6750 answer for each error.
//
// # Quick start
//
// Build one Verifier at start-up and share it; it is safe for concurrent use.
//
//	v, err := core.New(ctx, core.Config{
//		Issuers:  []core.Issuer{core.Cognito("eu-west-1", "eu-west-1_AbC123")},
//		Audience: []string{"<app client id>"},
//		TokenUse: "access",
//	})
//	if err != nil {
//		return err // New validates the configuration and never panics
//	}
//	defer v.Close()
//
//	claims, err := v.Verify(r.Context(), token)
//	if err != nil {
//		status, challenge := core.Challenge(err, "api") // 401, 403 or 503
//		…
//	}
//	if claims.HasScope("orders/read") { … }
//
// Any issuer works the same way: Issuer{URL: "https://idp.example"} finds
// its JWK Set through OpenID Connect discovery; JWKSURL names it directly;
// JWKS gives a static set. The core/jwttest package provides keys, a JWKS
// server and a token issuer for tests.
//
// # What Verify checks, in order
//
//  1. The token is at most 8 KiB; it has exactly three non-empty segments
//     of base64url characters ([A-Za-z0-9_-], no padding, no white space),
//     decoded strictly (canonical trailing bits); the signature is not
//     empty.
//  2. The verified-token cache (below).
//  3. The header is one JSON object, valid UTF-8, without duplicate names
//     (names compare case-sensitively). alg must be on the allowlist before
//     any key is looked up: by default RS256/384/512, PS256/384/512,
//     ES256/384/512 and EdDSA; never "none"; HS256/384/512 only when listed
//     in Config.Algorithms, and only with keys of a static set at least as
//     long as the hash. crit is refused whatever it lists (jwtgate
//     understands no extension). typ may be absent, "JWT", "at+jwt" or
//     "application/at+jwt" (case-insensitive); any other typ is refused.
//     cty "JWT" (a nested token) and the JWE parameters enc and zip are
//     refused. jku, x5u, jwk, x5c and x5t are never used: keys come from the
//     issuer's configured set only. kid is a string of at most 256 bytes.
//  4. The payload is one JSON object, valid UTF-8, without duplicate claim
//     names, decoded case-sensitively into typed claims: exp, nbf and iat
//     are JSON numbers in [0, 253402300799] (fractions allowed); iss, sub,
//     jti, token_use, client_id, username, cognito:username and scope are
//     strings; aud is a non-empty string or an array of non-empty strings;
//     cognito:groups is an array of strings (without it, another issuer's
//     groups fills Claims.Groups when it is an array of strings). Nesting is
//     limited to 32 levels.
//  5. iss must equal one Issuer.URL exactly (code points; no trailing-slash
//     or case folding) and selects that issuer's key set only.
//  6. kid selects the key; without kid, the set must hold exactly one key.
//     The key must fit alg: a JWK alg binds it to that algorithm, its type
//     and curve to that family (an RSA key without alg serves RS* and PS*).
//  7. The signature is checked by golang-jwt's signing methods
//     (SigningMethod.Verify), with method values built for each Verifier;
//     golang-jwt's global registry is neither used nor changed. PS* require
//     salt length = hash length; ES* require raw r||s of exactly twice the
//     coordinate size.
//  8. exp is required: the token is valid while now < exp + Leeway; nbf, if
//     present, must satisfy now >= nbf - Leeway; iat, if present, must not
//     be after now + Leeway. Leeway is at most 5 minutes. With
//     Issuer.Cognito, token_use must be "id" or "access"; with
//     Config.TokenUse, token_use must equal it. The audience check matches
//     aud against Config.Audience (any of them); a token without aud whose
//     token_use is "access" (a Cognito access token) is matched on
//     client_id; a token with neither fails.
//  9. Config.Policies run (through Authorize); a refusal wraps
//     ErrInsufficientScope (403).
//
// Every token failure matches ErrInvalidToken and one narrower sentinel
// (ErrTokenExpired, ErrInvalidSignature, …) with errors.Is, and also the
// golang-jwt error of the same meaning (jwt.ErrTokenExpired,
// jwt.ErrTokenMalformed, jwt.ErrTokenSignatureInvalid, …). Error text is
// fixed: it never contains token bytes or claim values.
//
// # The verified-token cache
//
// Verify remembers tokens that passed every check, so that a client that
// reuses its access token (the common case) costs under a microsecond after
// the first request instead of a signature check. The cache is on by default
// with room for 8192 tokens (about 10–25 MB with typical 1–2 KB tokens);
// Config.CacheSize sets another bound, and a negative CacheSize turns it off.
// Whatever CacheSize is, the entries' bytes (token, payload, claims and a
// fixed overhead each) are held within a budget of 32 MiB: the worst case,
// many distinct valid tokens of the maximal 8 KiB, holds about 2,300 of
// them in about 35 MB of heap. It is keyed by the exact token string and
// split into shards; a hit takes no lock (the same hot token scales with
// cores), insertions take their shard's lock, and full shards evict with
// CLOCK (second chance), taking expired entries first. A hit re-checks exp, nbf and iat against Config.Now and
// re-runs Config.Policies; an entry is never used after its token expires;
// a key set refresh that removes a key drops the entries that key verified;
// a token verified without kid through a set's single key (H04) is checked
// again once the set no longer holds exactly that key; failures are never
// cached. Verify returns a copy of the claims of the caller's own; the
// adapters (AuthenticateContext) hand every request with the same token one
// shared copy, which handlers read and do not change: should one change it,
// the next hit notices and hands out a fresh copy. Caching is observable
// only as speed.
//
// # Requests and answers on the wire
//
// An adapter hands each request to Verifier.AuthenticateContext (which is
// AuthenticateCredentials, plus a context carrying the claims): BearerToken reads
// the Authorization header (RFC 6750 §2.1), CookieValue the configured
// cookie, and a token in both places is ErrInvalidRequest. Every error then
// becomes one answer through Respond (Challenge gives its status and
// WWW-Authenticate alone), so all frameworks answer byte for byte alike
// (RFC 6750 §3): 401 without an error attribute for no credentials, 400
// invalid_request, 401 invalid_token with a fixed error_description, 403
// insufficient_scope, and 503 with Retry-After when no key set could be
// loaded. The body is {"error":"…","error_description":"…"} as
// application/json; no token bytes and no internal error text reach the
// client. Respond's documentation has the full table.
//
// # Observability
//
// Config.Logger (slog.Default() if nil) receives key set events and, at
// debug level, every refusal of Verify and Authenticate, policy refusals
// included: the answer class and reason, the error's fixed text, the
// configured issuer the token named, its kid, and for an issuer or audience
// refusal the received iss, aud or client_id next to the configured values.
// Those token-supplied strings are cut to 64 bytes and escaped; the token
// and its signature are never logged. With debug off, a refusal only asks
// the logger whether debug is enabled.
//
// Config.OnResult, if set, receives one Result per Verify or Authenticate
// call: its Class (ClassOK, ClassMissing, ClassInvalidRequest,
// ClassInvalidToken, ClassInsufficientScope, ClassUnavailable), Reason
// (ReasonExpired, ReasonSignature, …), the configured Issuer, and Cache
// (CacheHit, CacheMiss). Every value is bounded by the configuration, so
// all of them are safe metric labels. A nil OnResult costs one nil check.
// Policies a route adds with an adapter's Require run after Authenticate
// reported the request: their refusals are logged at debug level (through
// the Verifier's Config.Logger, with route=true) but not reported.
//
// # Key sets
//
// Each issuer's key set is fetched, filtered and refreshed in the background
// (Config.KeySet tunes the timings within safe bounds). Verifier.Ready
// reports whether every set has loaded, for a readiness probe;
// Verifier.KeySetStatus reports each set's fetches, failures and kids.
// Key-set events (loaded, refresh failed, key dropped, unknown-kid fetch)
// go to Config.Logger with the issuer and kid, never a token, and with key
// server URLs redacted.
//
// # Security caveats
//
//   - Verify does NOT revoke tokens. A JWT stays valid until it expires:
//     signing out, Cognito's RevokeToken or a disabled user do not reach a
//     stateless verifier (nor its cache). Keep access tokens short-lived, and
//     where revocation matters add a Policy that checks the token's jti
//     (Claims.ID) against a deny list; do not key a deny list by the raw
//     token string.
//   - Verify does NOT require sub, client_id or jti, or a maximum token age:
//     express such profile rules (RFC 9068) as Policies.
//   - Claims.Decode reads custom claims with the same strictness (duplicate
//     names refused at every level, names matched case-sensitively);
//     encoding/json alone would match names case-insensitively.
//   - Symmetric algorithms (HS*) are off by default; enabling them makes
//     anyone who holds the secret an issuer. Never enable them with a
//     password-like secret: use at least hash-length random keys.
//   - The context given to New bounds background key set refreshes only;
//     Close stops them.
//
// # Performance
//
// A cache miss costs one signature check plus a few microseconds of
// parsing: the header and payload are read by a small strict JSON scanner
// that decodes only the claims jwtgate needs, into stack buffers, and the
// signature is checked with golang-jwt's SigningMethod.Verify directly, not
// through a jwt.Parser. That is a quarter to a third of the allocations of a
// golang-jwt jwt.Parser with keyfunc (RS256: 16 against 66). A cache hit
// costs one allocation (the returned Claims, with room for up to 8
// audience, group and scope strings) and well under two microseconds.
package core
