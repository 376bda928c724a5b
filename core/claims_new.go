package core

import (
	"encoding/json"
	"fmt"
)

// NewClaims returns the Claims that Verify would fill from a token whose
// payload is payload: the typed fields are read by the same decoding as
// Verify's (string claims must be strings, aud a string or an array of
// strings, exp/nbf/iat numbers, groups and scope as Verify reads them, and
// ClientID is the single aud of an ID token without client_id), and the
// payload is kept so that Decode works. A nil payload gives empty Claims
// that still decode.
//
// NewClaims verifies nothing: there is no token, no signature, and no check
// of issuer, audience, expiry, token_use, Cognito rules or policies. The
// Claims it returns are indistinguishable from verified ones to everything
// that reads them (Authorize, Requirement, every Policy, a handler), so
// they are exactly as trustworthy as payload. Use it only in tests (a
// handler test puts the result in a context with NewContext) and in code
// that has ALREADY verified the token with another verifier (such as behind
// an API Gateway authorizer that hands over the claims it verified). Never
// feed it unverified input: claims built from a token or a request that no
// verifier checked grant whatever they say.
//
// NewClaims returns an error wrapping ErrInvalidToken when Verify would
// refuse the payload's shape (a claim of the wrong type, a time out of
// range), and an error when payload cannot be encoded as JSON.
func NewClaims(payload map[string]any) (*Claims, error) {
	if payload == nil {
		payload = map[string]any{}
	}
	p, err := json.Marshal(payload)
	if err != nil {
		return nil, fmt.Errorf("jwtgate: NewClaims: the payload cannot be encoded as JSON: %w", err)
	}
	c := new(Claims)
	ps := string(p)
	c.raw = ps
	if _, err := parsePayload(p, ps, c, nil); err != nil {
		return nil, err
	}
	c.fillClientID() // as Verify does
	return c, nil
}
