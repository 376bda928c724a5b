// Package refresh keeps a client's access token fresh: it swaps the refresh
// token for new tokens shortly before the access token expires, and again
// when an API answers 401 invalid_token. It is the client-side half of
// jwtgate, for Go services and CLIs that call APIs protected by Bearer
// tokens issued by Amazon Cognito or any OAuth 2.0 / OpenID Connect issuer.
//
// # Quick start
//
//	oc := &oauth2.Config{
//		ClientID: "my-client",
//		Endpoint: oauth2.Endpoint{TokenURL: "https://auth.example.com/oauth2/token"},
//	}
//	src := refresh.NewSource(refresh.NewOAuth2Exchanger(oc), nil, // nil: load from the store
//		refresh.WithStore(refresh.NewFileStore(filepath.Join(dir, "tokens.json"))),
//		refresh.WithHosts("api.example.com"))
//	defer src.Close()
//	api := &http.Client{Transport: src.Transport(nil)}
//	resp, err := api.Get("https://api.example.com/things")
//	if errors.Is(err, refresh.ErrReauthenticate) {
//		// The first run (ErrNoToken: nothing saved yet) or a dead refresh
//		// token: sign in, e.g. tok, err := oc.Exchange(ctx, code), then
//		// src.SetTokens(ctx, refresh.FromOAuth2Token(tok)) and try again.
//	}
//
// For Cognito's own API use NewCognitoExchanger (InitiateAuth
// REFRESH_TOKEN_AUTH, with SECRET_HASH for clients with a secret, or
// GetTokensFromRefreshToken for app clients with refresh-token rotation).
// Cognito's /oauth2/token endpoint works with NewOAuth2Exchanger. Code that
// speaks golang.org/x/oauth2 can use Source.TokenSource, and
// FromOAuth2Token converts the tokens of a sign-in done with it.
//
// # Configuration
//
// An exchanger is built from the description of the issuer and client
// (an oauth2.Config, a CognitoConfig) and nothing else; everything about how
// refreshes run is an Option of the Source: the Store, timeouts, retries,
// the clock, the logger and the HTTP client for the token endpoint
// (WithHTTPClient). The Source hands what an exchange needs to the exchanger
// as arguments: a RequestExchanger receives a Request with the tokens being
// replaced, the Source's clock and the HTTP client. A custom
// Exchanger that only implements Exchange gets the refresh token alone.
//
// Transport sends the access token only to the origins named with
// WithHosts; without that option, only to the origin (scheme, host, port)
// of its first request. A bare "api.example.com" means https on port 443;
// plain http carries the token only to loopback hosts or to an origin
// listed as "http://host:port". Loopback hosts match on any port unless an
// entry gives one, so one Source can call several local APIs.
//
// # What a Source does
//
//   - One refresh at a time (single-flight): a hundred goroutines that find
//     the token expired cause one exchange. The refresh runs detached from
//     the callers' contexts with its own timeout per attempt; each caller
//     waits on its own context and may leave early without cancelling it.
//     No lock is held during network or Store I/O.
//   - Expiry is measured on the local clock from expires_in when the token
//     arrives, so clock skew between client and issuer does not matter. When
//     the answer has no expires_in (cognito-local), the access token's
//     exp − iat is used from the moment of receipt, else exp. These claims are
//     read WITHOUT verification, only to schedule refreshes. Lifetimes are
//     clamped (WithMaxLifetime); a token that arrives already expired is used
//     rather than refreshed again in a loop, and a 401 drives the next refresh.
//   - Rotation: a refresh token in the answer replaces the old one together
//     with the access token, ID token and expiry, and is saved through the
//     Store before any caller sees it; the old one is never sent again. An
//     answer without a refresh token keeps the old one (RFC 6749 §6).
//   - invalid_grant (or Cognito NotAuthorizedException,
//     RefreshTokenReuseException, UserNotFoundException, …) is final: no
//     retry, the tokens are dropped from memory and from the Store, and every
//     waiter and every later call gets ErrReauthenticate until SetTokens.
//     invalid_client and friends give ErrMisconfigured, also without retry,
//     and keep the tokens; so does a Cognito NotAuthorizedException about
//     the client secret ("Unable to verify secret hash …").
//   - 5xx, 429, timeouts and connection errors are retried a few times with
//     exponential backoff and jitter; a Retry-After ends the attempt at once
//     and no new attempt is made before it (bounded by WithBackoff's max).
//     Meanwhile callers fail fast — or get the current access token if it has
//     not actually expired yet. The refresh token is kept.
//   - If the Store fails to save refreshed tokens, they are used in memory
//     anyway (after a rotation the old refresh token may be void, so falling
//     back to it would not help) and the failure is logged at error level.
//
// # Several processes, one refresh token
//
// Do not share one refresh token between processes, pods or Sources that
// may refresh at the same time. With refresh-token rotation (oidc-provider,
// Okta, Auth0, Cognito with rotation, RFC 9700 §4.14) the second process to
// refresh presents a refresh token the first one already rotated; the issuer
// takes this as token theft and revokes the whole token family, signing out
// both. Give every instance its own sign-in (its own refresh token), or
// serialise refreshes through an external lock and a shared Store that every
// instance reloads before refreshing. A FileStore is safe for one process at a
// time.
//
// Retries and rotation: a retry after a timeout or a 5xx re-sends the same
// refresh token, and the issuer may already have rotated it before the
// answer was lost. Issuers allow for this with a grace period (Cognito's
// RetryGracePeriodSeconds, similar settings in Okta and Auth0); with a grace
// period of zero such a retry is answered invalid_grant and the user must
// sign in again. WithRetries(0) avoids in-flight retries altogether.
//
// Refresh on 401: Transport refreshes when the answer is 401 with a Bearer
// challenge whose error is invalid_token or absent, and also for a bare 401
// without WWW-Authenticate (common in APIs); never for 403, for other
// Bearer errors (invalid_request, insufficient_scope) or for other schemes.
//
// # Security
//
// Tokens, client secrets and Authorization values never appear in log
// records or error strings produced by this package, and a Tokens value
// printed with fmt or logged with log/slog shows only which tokens it holds,
// their type and expiry. Server error
// descriptions are kept in ExchangeError.Description, out of Error, and token
// response bodies are never quoted. The refresh token is sent only in the
// body of a POST to the token endpoint (or the Cognito API), never in a URL
// and never to the APIs that Transport talks to. Transport sends the access
// token only to its origins (WithHosts, or else the origin of the first
// request), never over plain http to a host that is not loopback unless
// WithHosts names that http:// origin, and never across a redirect to
// another origin (another host, port or scheme: https to http loses it).
// JSON is the one encoding of Tokens that carries the token values (for
// FileStore). The token endpoint (and the Cognito endpoint) must be https,
// except on loopback hosts. Token endpoint redirects are
// not followed, since a 307 would re-send the refresh token and the client
// secret to another host, and answers are capped at 1 MiB (the Cognito API's
// too).
//
// A Source does NOT verify the tokens it receives: the API that accepts them
// does (see package core).
package refresh
