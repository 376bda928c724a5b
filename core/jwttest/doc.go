// Package jwttest is a test kit for code that verifies JSON Web Tokens: key
// pairs for every JWS algorithm jwtgate knows, a signer that also makes
// deliberately broken tokens, a JWKS + OpenID Connect discovery server with
// key rotation, and a small issuer with an OAuth 2.0 token endpoint
// (password and refresh_token grants, refresh-token rotation with reuse
// detection). It is also the embedded issuer of jwtgate's demo.
//
// jwttest is for tests and demos only, NEVER for production: its keys live
// in memory, its servers listen on 127.0.0.1 over plain HTTP (or HTTPS with
// httptest's self-signed certificate), its issuer accepts any password
// unless told otherwise, and its constructors panic instead of returning
// errors, as test helpers do.
//
// # Quick start
//
//	key := jwttest.NewKey("RS256", "key-1")
//	srv := jwttest.NewServer(key) // JWKS at srv.JWKSURL(), issuer srv.URL
//	defer srv.Close()
//	token := key.Sign(map[string]any{
//		"iss": srv.URL, "sub": "alice", "aud": "my-api",
//		"exp": time.Now().Add(time.Hour).Unix(),
//	})
//	// … configure the verifier under test with issuer srv.URL and
//	// srv.JWKSURL(), and send "Authorization: Bearer " + token.
//
// For refresh flows, NewIssuer adds a token endpoint at TokenURL:
//
//	iss := jwttest.NewIssuer(jwttest.IssuerConfig{Rotate: true, Cognito: true})
//	defer iss.Close()
//	access, id, refresh := iss.Tokens("alice")
//
// Mint makes one token per call, shaped as the issuer's tokens are and
// changed as a Claims says (groups, scopes, token_use, client, audience,
// lifetime, any extra or overriding claim):
//
//	token, err := iss.Mint("alice", jwttest.Claims{Groups: []string{"admin"}, TTL: time.Minute})
//
// Package coretest builds a core.Verifier for an Issuer, for handler tests.
//
// # Broken tokens
//
// Sign writes the header {"alg","kid","typ":"JWT"}; SignWithHeader signs
// any header as given (its alg may lie: the key's Alg always decides how to
// sign); SignBytes signs exact header and payload bytes (duplicate members,
// invalid UTF-8, odd types). Signature, B64, Unsigned and SignDER give the
// pieces to assemble anything else: re-encoded segments, alg "none", DER
// ECDSA signatures. NewKeyFrom wraps chosen material (short HMAC secrets,
// an ES256 key on the wrong curve).
//
// # Concurrency
//
// Server and Issuer methods are safe for concurrent use, also while
// requests are served. A Key is safe for concurrent use while its Kid and
// Alg are not being changed.
package jwttest
