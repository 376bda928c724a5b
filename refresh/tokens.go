package refresh

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"golang.org/x/oauth2"
)

// Tokens is what a sign-in or a refresh yields. A Source never changes a
// Tokens value it has handed out or been given: it stores copies.
//
// Tokens holds secrets. Printing it with the fmt package (any verb, value or
// pointer) or logging it with log/slog shows which tokens are present, the
// type and the expiry, never the token values. JSON is the one encoding
// that carries the token values: FileStore needs them to save and reload a
// sign-in, so treat the output of json.Marshal as a secret too.
//
// A nil *Tokens prints as "<nil>" with fmt. Logged with log/slog it does
// not panic the caller, but slog records the attribute as "LogValue
// panicked" with a stack trace (the methods have value receivers, so that a
// Tokens value is redacted too); check for nil before logging a pointer
// that may be nil.
type Tokens struct {
	// AccessToken is sent as "Authorization: Bearer …".
	AccessToken string `json:"access_token"`
	// IDToken is the OpenID Connect ID token, if the issuer sent one.
	IDToken string `json:"id_token,omitempty"`
	// RefreshToken is swapped for new tokens at the token endpoint only.
	RefreshToken string `json:"refresh_token,omitempty"`
	// TokenType is "Bearer". If empty, "Bearer" is assumed.
	TokenType string `json:"token_type,omitempty"`
	// Expiry is when the access token expires, on the local clock. If zero,
	// the expiry is unknown: the access token is used until a server answers
	// 401 (Source.Transport then refreshes it).
	Expiry time.Time `json:"expiry,omitzero"`
}

// FromOAuth2Token converts a token from golang.org/x/oauth2 (for example
// the answer of Config.PasswordCredentialsToken or Config.Exchange at
// sign-in) into Tokens: the ID token comes from Extra("id_token"). It
// returns nil for a nil token.
func FromOAuth2Token(t *oauth2.Token) *Tokens {
	if t == nil {
		return nil
	}
	id, _ := t.Extra("id_token").(string)
	return &Tokens{
		AccessToken:  t.AccessToken,
		IDToken:      id,
		RefreshToken: t.RefreshToken,
		TokenType:    t.TokenType,
		Expiry:       t.Expiry,
	}
}

// String describes t without its token values, e.g.
// "refresh.Tokens{AccessToken:<redacted> IDToken:\"\" RefreshToken:<redacted>
// TokenType:Bearer Expiry:2026-01-02T03:04:05Z}".
func (t Tokens) String() string {
	expiry := "unknown"
	if !t.Expiry.IsZero() {
		expiry = t.Expiry.Format(time.RFC3339)
	}
	return "refresh.Tokens{AccessToken:" + redacted(t.AccessToken) +
		" IDToken:" + redacted(t.IDToken) + " RefreshToken:" + redacted(t.RefreshToken) +
		" TokenType:" + strconv.Quote(sanitizeCode(t.TokenType)) + " Expiry:" + expiry + "}"
}

// GoString is String, so that %#v hides the token values too.
func (t Tokens) GoString() string { return t.String() }

// Format implements fmt.Formatter: every verb (%v, %+v, %#v, %s, %q, %x,
// %d, …) prints String, so no verb reaches the token values.
func (t Tokens) Format(f fmt.State, verb rune) {
	io.WriteString(f, t.String())
}

// LogValue implements slog.LogValuer: a group with the kinds of token
// present, the token type and the expiry, never a token value.
func (t Tokens) LogValue() slog.Value {
	attrs := make([]slog.Attr, 0, 6)
	attrs = append(attrs,
		slog.Bool("access_token", t.AccessToken != ""),
		slog.Bool("id_token", t.IDToken != ""),
		slog.Bool("refresh_token", t.RefreshToken != ""))
	if t.TokenType != "" {
		attrs = append(attrs, slog.String("token_type", sanitizeCode(t.TokenType)))
	}
	if !t.Expiry.IsZero() {
		attrs = append(attrs, slog.Time("expiry", t.Expiry))
	}
	return slog.GroupValue(attrs...)
}

func redacted(s string) string {
	if s == "" {
		return `""`
	}
	return "<redacted>"
}

func (t *Tokens) clone() *Tokens {
	if t == nil {
		return nil
	}
	c := *t
	return &c
}

// jwtClaims are the few claims a Source reads from an access token it
// holds. They are NOT verified: they only steer when to refresh and which
// user name Cognito's SECRET_HASH needs. Never base an authorization
// decision on them.
type jwtClaims struct {
	Exp             json.Number `json:"exp"`
	Iat             json.Number `json:"iat"`
	Username        string      `json:"username"`
	CognitoUsername string      `json:"cognito:username"`
}

// unverifiedClaims decodes the payload of a compact JWS without checking
// anything. ok is false when tok is not shaped like one.
func unverifiedClaims(tok string) (c jwtClaims, ok bool) {
	if len(tok) > 64<<10 {
		return c, false
	}
	first := strings.IndexByte(tok, '.')
	if first < 0 {
		return c, false
	}
	rest := tok[first+1:]
	second := strings.IndexByte(rest, '.')
	if second < 0 || strings.IndexByte(rest[second+1:], '.') >= 0 {
		return c, false
	}
	payload := strings.TrimRight(rest[:second], "=")
	b, err := base64.RawURLEncoding.DecodeString(payload)
	if err != nil {
		return c, false
	}
	if json.Unmarshal(b, &c) != nil {
		return jwtClaims{}, false
	}
	return c, true
}

func numSeconds(n json.Number) int64 {
	if n == "" {
		return 0
	}
	if i, err := n.Int64(); err == nil {
		return i
	}
	if f, err := n.Float64(); err == nil && f > 0 && f < 1e11 {
		return int64(f)
	}
	return 0
}

// expiryFromJWT derives an expiry from the access token's exp. When received
// is set (the token just arrived) and the token also has iat, the lifetime
// exp−iat is measured from received, which makes the result immune to clock
// skew between client and issuer; otherwise exp is taken as is.
func expiryFromJWT(accessToken string, received time.Time) time.Time {
	c, ok := unverifiedClaims(accessToken)
	if !ok {
		return time.Time{}
	}
	exp, iat := numSeconds(c.Exp), numSeconds(c.Iat)
	if exp <= 0 {
		return time.Time{}
	}
	if !received.IsZero() && iat > 0 && exp > iat {
		return received.Add(time.Duration(exp-iat) * time.Second)
	}
	return time.Unix(exp, 0)
}

// expiryFromSeconds turns an expires_in value, read at received, into an
// expiry: 0 means unknown (zero time); a negative value means already
// expired; huge values are capped here at ten years and clamped further by
// the Source's maximum lifetime.
func expiryFromSeconds(sec int64, received time.Time) time.Time {
	switch {
	case sec == 0:
		return time.Time{}
	case sec < 0:
		return received
	case sec > 10*365*86400:
		sec = 10 * 365 * 86400
	}
	return received.Add(time.Duration(sec) * time.Second)
}
