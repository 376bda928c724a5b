// Package idp runs real, independently written identity providers for
// jwtgate's tests: cognito-local (Amazon Cognito's JSON API, JWKS and
// /oauth2/token) and oidc-provider (an OpenID Certified provider), both from
// npm. It is test-only code.
//
// # Quick start
//
//	func TestMain(m *testing.M) {
//		idp.Prestart(idp.ServerCognitoLocal, idp.ServerOIDC) // optional: start them concurrently
//		idp.Main(m)                                          // runs the tests, then stops the servers
//	}
//
//	func TestCognito(t *testing.T) {
//		c := idp.CognitoLocal(t) // started and seeded once per test process
//		access, id, _ := c.Login(t)
//		v, err := core.New(ctx, core.Config{
//			Issuers:  []core.Issuer{{URL: c.Issuer(), JWKSURL: c.JWKSURL(), Cognito: true}},
//			Audience: []string{c.PublicClientID},
//			TokenUse: "access",
//		})
//		…
//	}
//
// # What runs
//
//   - CognitoLocal: cognito-local 5.3.0, issuer http://127.0.0.1:PORT/<pool>.
//     One pool (custom attribute "tenant"), a public and a confidential app
//     client, user "alice" (email verified, custom:tenant "acme", group
//     "admins", permanent password). Tokens via Login / LoginClient
//     (InitiateAuth USER_PASSWORD_AUTH), Refresh (REFRESH_TOKEN_AUTH), the
//     raw JSON API via Call, more clients via CreateClient. Its tokens are
//     RS256 with kid "CognitoLocal", a key that ships inside the npm package
//     and is the same for every pool and instance. Unlike real Cognito it
//     never checks client secrets or SECRET_HASH, its access-token scope is
//     always "aws.cognito.signin.user.admin", tokens live 24 h, refresh
//     answers carry no ExpiresIn, and ID and access tokens share one key.
//   - CognitoAWS: a second cognito-local whose issuer is exactly
//     https://cognito-idp.us-east-1.amazonaws.com/us-east-1_AbCdEf123, so
//     core.Cognito(idp.AWSRegion, idp.AWSPoolID) is tested as users write it,
//     with only JWKSURL pointed at loopback. Same seed as CognitoLocal.
//   - OIDCProvider: oidc-provider 9.13 running testdata/oidc-server.mjs,
//     issuer http://127.0.0.1:PORT. JWT access tokens (typ at+jwt, RFC 9068)
//     for resource indicators Resource (RS256, the default) and ESResource
//     (ES256), aud = the resource; ID tokens RS256 with aud = client id;
//     rotating refresh tokens for the public client; client_credentials for
//     the machine client; an authorization code + PKCE flow that Login
//     completes over plain HTTP (the interaction approves at once).
//
// Every server listens on 127.0.0.1 on a free port and is started the first
// time a test asks for it, once per test process (go test runs one process
// per package), then shared by all tests of that process. Tests must treat
// the seeded data as read-only; a test that needs its own client creates
// one (Cognito.CreateClient).
//
// # Install and cache
//
// The npm packages are pinned by testdata/package.json and
// testdata/package-lock.json (which records no registry host). The harness
// runs `npm ci --ignore-scripts` once into
// <user cache dir>/jwtgate-idp/<hash of those two files> ($JWTGATE_IDP_CACHE
// overrides the root), under a file lock so that parallel test processes
// install once, and reuses it while the lockfile does not change. The
// servers run from fresh temporary directories (cognito-local keeps its
// data in ./.cognito) that are removed when they stop.
//
// # When node or npm are missing
//
// Outside CI (the CI environment variable unset or false), a test that asks
// for a server is skipped, with the reason, when node >= 20.12 or npm is not
// on PATH or the first npm ci fails (no registry). (oidc-provider 9 calls
// crypto.hash, new in Node 20.12; Debian 12's own nodejs package is 18, so
// install Node from nodesource or nodejs.org there.) With CI=true those are
// failures: the real-IdP tests never skip silently in CI. A server that
// installs but does not start or seed is a failure everywhere.
//
// # Stopping
//
// Main (or StopAll) stops every started process: stdin closed, SIGTERM to
// its process group, SIGKILL after two seconds. The servers also exit on
// their own when their stdin closes, and remove their temporary run
// directory as they go, so they never outlive a test process that dies
// without running Main (a panic, a -timeout) nor leave files behind.
//
// Stats reports what start-up cost in this process (npm ci, each server).
//
// The table of integration cases (tokens from all three servers, the config
// that must accept or refuse each, the expected core error) is in package
// internal/idptest, for core's and the adapters' tests alike.
package idp
