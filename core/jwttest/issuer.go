package jwttest

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Default values of IssuerConfig.
const (
	// DefaultClientID is the client ID when IssuerConfig.ClientID is empty.
	DefaultClientID = "jwttest-client"
	// DefaultCognitoScope is the access token scope of a Cognito-shaped
	// issuer when IssuerConfig.Scopes is nil, as Cognito's API sign-in gives.
	DefaultCognitoScope = "aws.cognito.signin.user.admin"
)

// IssuerConfig configures NewIssuer. The zero value is a usable public
// client with RS256 tokens of the generic OpenID Connect shape.
type IssuerConfig struct {
	// ClientID is the one client the token endpoint serves, and the aud of
	// ID tokens (and of generic access tokens). If empty, DefaultClientID.
	ClientID string
	// ClientSecret is the client's secret (client_secret_basic or
	// client_secret_post). If empty, the client is public: it sends
	// client_id in the body and no secret.
	ClientSecret string

	// Key signs access tokens, and ID tokens unless IDKey is set. If nil, a
	// fresh RS256 key with kid "access-key" is used.
	Key *Key
	// IDKey signs ID tokens, as Cognito signs the two kinds with different
	// keys. If nil, Key signs them too. Both keys are published.
	IDKey *Key

	// AccessTTL is the lifetime of access tokens and the expires_in answer.
	// If zero, one hour.
	AccessTTL time.Duration
	// IDTTL is the lifetime of ID tokens. If zero, one hour.
	IDTTL time.Duration
	// RefreshTTL is the lifetime of each refresh token, counted from its
	// issue. If zero, 30 days.
	RefreshTTL time.Duration

	// Scopes go into the access token's scope claim, space-separated. If
	// nil, there is no scope claim, or DefaultCognitoScope when Cognito is
	// set. The scope request parameter is ignored.
	Scopes []string
	// Groups go into cognito:groups (Cognito) or groups (generic) of both
	// tokens. If nil, the claim is absent.
	Groups []string

	// Rotate turns on refresh-token rotation: each refresh_token grant
	// answers a new refresh token and marks the presented one used; a used
	// token presented again revokes its whole family (every token rotated
	// from the same sign-in) and gets invalid_grant. If false, refresh
	// answers carry no refresh_token and the token stays valid.
	Rotate bool

	// Now is the issuer's clock for iat, exp and refresh-token expiry. If
	// nil, time.Now.
	Now func() time.Time

	// Cognito shapes tokens as an Amazon Cognito user pool does: no typ in
	// the header; access tokens with token_use "access", client_id,
	// username, scope and no aud; ID tokens with token_use "id", aud,
	// cognito:username and email. If false, both tokens carry aud and typ
	// "JWT" and no token_use.
	Cognito bool

	// Users maps user names to passwords for the password grant. If nil,
	// any user name with any non-empty password signs in.
	Users map[string]string
}

// Issuer is a Server with an OAuth 2.0 token endpoint at URL + TokenPath,
// for one client: grant_type=password and grant_type=refresh_token, client
// authentication by HTTP Basic or in the body. Access and ID tokens are JWTs
// signed with the configured keys, refresh tokens are opaque random strings
// held in memory. The subject (sub) of a token is the user name. All
// methods are safe for concurrent use.
//
// Errors are answered as RFC 6749 §5.2 JSON {"error","error_description"}:
// 401 invalid_client for failed client authentication, 400 invalid_request
// for a missing, repeated or malformed parameter, 400 invalid_grant for a
// wrong password or an unknown, expired, revoked or reused refresh token,
// 400 unsupported_grant_type for other grants.
type Issuer struct {
	*Server

	cfg IssuerConfig

	mu       sync.Mutex
	grants   map[string]*refreshGrant
	families map[string]bool // family ID → revoked
	fail     []failure

	reuses atomic.Int64
}

type refreshGrant struct {
	subject  string
	family   string
	authTime time.Time
	expires  time.Time
	used     bool
}

type failure struct {
	status int
	body   string
}

// NewIssuer starts an Issuer on 127.0.0.1. Close it when done.
func NewIssuer(cfg IssuerConfig) *Issuer {
	if cfg.ClientID == "" {
		cfg.ClientID = DefaultClientID
	}
	if cfg.Key == nil {
		cfg.Key = NewKey("RS256", "access-key")
	}
	if cfg.IDKey == nil {
		cfg.IDKey = cfg.Key
	}
	if cfg.AccessTTL == 0 {
		cfg.AccessTTL = time.Hour
	}
	if cfg.IDTTL == 0 {
		cfg.IDTTL = time.Hour
	}
	if cfg.RefreshTTL == 0 {
		cfg.RefreshTTL = 30 * 24 * time.Hour
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Scopes == nil && cfg.Cognito {
		cfg.Scopes = []string{DefaultCognitoScope}
	}
	cfg.Scopes = slices.Clone(cfg.Scopes)
	cfg.Groups = slices.Clone(cfg.Groups)
	if cfg.Users != nil {
		users := make(map[string]string, len(cfg.Users))
		for u, p := range cfg.Users {
			users[u] = p
		}
		cfg.Users = users
	}
	i := &Issuer{cfg: cfg, grants: map[string]*refreshGrant{}, families: map[string]bool{}}
	keys := []*Key{cfg.Key}
	if cfg.IDKey != cfg.Key {
		keys = append(keys, cfg.IDKey)
	}
	i.Server = newServer(false, http.HandlerFunc(i.serveToken), keys)
	i.Server.start()
	return i
}

// Config returns the issuer's configuration with defaults filled in (its
// ClientID, Key and IDKey, TTLs, …).
func (i *Issuer) Config() IssuerConfig {
	c := i.cfg
	c.Scopes = slices.Clone(c.Scopes)
	c.Groups = slices.Clone(c.Groups)
	return c
}

// TokenURL returns URL + TokenPath.
func (i *Issuer) TokenURL() string { return i.URL + TokenPath }

// TokenRequests returns the number of requests for TokenPath so far,
// whatever their outcome.
func (i *Issuer) TokenRequests() int64 { return i.tokenReqs.Load() }

// ReuseDetected returns how many times a used (rotated) refresh token was
// presented again, each of which revoked its family.
func (i *Issuer) ReuseDetected() int64 { return i.reuses.Load() }

// Tokens issues an access token, an ID token and a refresh token for
// subject directly, as a password sign-in would, without HTTP and without
// counting a token request. The refresh token starts a new family.
func (i *Issuer) Tokens(subject string) (access, id, refresh string) {
	now := i.cfg.Now()
	access, id = i.sign(subject, now, now)
	refresh = i.newGrant(subject, newID(), now, now)
	return access, id, refresh
}

// Revoke revokes refresh and every token of its family, as a sign-out or
// the revoke endpoint would. It reports whether refresh was known.
func (i *Issuer) Revoke(refresh string) bool {
	i.mu.Lock()
	defer i.mu.Unlock()
	g, ok := i.grants[refresh]
	if ok {
		i.families[g.family] = true
	}
	return ok
}

// FailNext queues one failure: the next token request (after those already
// queued) is answered with status and body instead of being processed, with
// Content-Type application/json when body starts with "{" and text/plain
// otherwise. Call it k times to fail k requests.
func (i *Issuer) FailNext(status int, body string) {
	i.mu.Lock()
	i.fail = append(i.fail, failure{status, body})
	i.mu.Unlock()
}

// TokenHandler returns the built-in token endpoint, so that a test can
// wrap it (with a delay, say) and install the wrapper with
// SetHandler(TokenPath, …).
func (i *Issuer) TokenHandler() http.Handler { return http.HandlerFunc(i.serveToken) }

// tokenResponse is the token endpoint's success answer.
type tokenResponse struct {
	AccessToken  string `json:"access_token"`
	IDToken      string `json:"id_token"`
	RefreshToken string `json:"refresh_token,omitempty"`
	TokenType    string `json:"token_type"`
	ExpiresIn    int64  `json:"expires_in"`
}

func (i *Issuer) serveToken(w http.ResponseWriter, r *http.Request) {
	i.mu.Lock()
	var f *failure
	if len(i.fail) > 0 {
		f = &i.fail[0]
		i.fail = i.fail[1:]
	}
	i.mu.Unlock()
	if f != nil {
		ct := "text/plain; charset=utf-8"
		if strings.HasPrefix(f.body, "{") {
			ct = "application/json"
		}
		w.Header().Set("Content-Type", ct)
		w.Header().Set("Cache-Control", "no-store")
		w.WriteHeader(f.status)
		w.Write([]byte(f.body))
		return
	}

	if r.Method != http.MethodPost {
		w.Header().Set("Allow", "POST")
		oauthError(w, http.StatusMethodNotAllowed, "invalid_request", "the token endpoint takes POST")
		return
	}
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/x-www-form-urlencoded" {
		oauthError(w, http.StatusBadRequest, "invalid_request", "the body must be application/x-www-form-urlencoded")
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 1<<20)
	if err := r.ParseForm(); err != nil {
		oauthError(w, http.StatusBadRequest, "invalid_request", "the body is malformed")
		return
	}
	form := r.PostForm
	for _, vs := range form {
		if len(vs) > 1 {
			oauthError(w, http.StatusBadRequest, "invalid_request", "a parameter is repeated")
			return
		}
	}
	if !i.authenticateClient(w, r, form) {
		return
	}

	now := i.cfg.Now()
	switch form.Get("grant_type") {
	case "password":
		user, pass := form.Get("username"), form.Get("password")
		if user == "" || pass == "" {
			oauthError(w, http.StatusBadRequest, "invalid_request", "username and password are required")
			return
		}
		if i.cfg.Users != nil {
			want, ok := i.cfg.Users[user]
			if !ok || subtle.ConstantTimeCompare([]byte(want), []byte(pass)) != 1 {
				oauthError(w, http.StatusBadRequest, "invalid_grant", "incorrect username or password")
				return
			}
		}
		access, id := i.sign(user, now, now)
		refresh := i.newGrant(user, newID(), now, now)
		i.answer(w, tokenResponse{AccessToken: access, IDToken: id, RefreshToken: refresh})
	case "refresh_token":
		rt := form.Get("refresh_token")
		if rt == "" {
			oauthError(w, http.StatusBadRequest, "invalid_request", "refresh_token is required")
			return
		}
		g, next, ok := i.useGrant(rt, now)
		if !ok {
			oauthError(w, http.StatusBadRequest, "invalid_grant", "the refresh token is invalid, expired, revoked or already used")
			return
		}
		access, id := i.sign(g.subject, g.authTime, now)
		i.answer(w, tokenResponse{AccessToken: access, IDToken: id, RefreshToken: next})
	case "":
		oauthError(w, http.StatusBadRequest, "invalid_request", "grant_type is required")
	default:
		oauthError(w, http.StatusBadRequest, "unsupported_grant_type", "the grant type is not supported")
	}
}

// authenticateClient checks client_secret_basic, client_secret_post or a
// public client's client_id, and answers invalid_client on failure.
func (i *Issuer) authenticateClient(w http.ResponseWriter, r *http.Request, form url.Values) bool {
	authz := r.Header.Get("Authorization") != ""
	ok := false
	if id, secret, basic := r.BasicAuth(); basic {
		// RFC 6749 §2.3.1: both are form-encoded before Basic encoding. A
		// secret in the body as well, or another client_id there, fails.
		uid, err1 := url.QueryUnescape(id)
		usecret, err2 := url.QueryUnescape(secret)
		ok = err1 == nil && err2 == nil && !form.Has("client_secret") &&
			(!form.Has("client_id") || form.Get("client_id") == uid) &&
			i.clientMatches(uid, usecret)
	} else if !authz {
		ok = i.clientMatches(form.Get("client_id"), form.Get("client_secret"))
	}
	if ok {
		return true
	}
	if authz {
		w.Header().Set("WWW-Authenticate", `Basic realm="jwttest"`)
	}
	oauthError(w, http.StatusUnauthorized, "invalid_client", "client authentication failed")
	return false
}

func (i *Issuer) clientMatches(id, secret string) bool {
	return id == i.cfg.ClientID && subtle.ConstantTimeCompare([]byte(secret), []byte(i.cfg.ClientSecret)) == 1
}

// useGrant checks refresh and, with rotation, replaces it by a new token of
// the same family. next is the new refresh token, or "" without rotation.
func (i *Issuer) useGrant(refresh string, now time.Time) (g refreshGrant, next string, ok bool) {
	i.mu.Lock()
	defer i.mu.Unlock()
	cur, found := i.grants[refresh]
	switch {
	case !found:
		return g, "", false
	case cur.used:
		// RFC 9700 §4.14.2: reuse of a rotated token revokes the family.
		i.families[cur.family] = true
		i.reuses.Add(1)
		return g, "", false
	case i.families[cur.family], !now.Before(cur.expires):
		return g, "", false
	}
	if i.cfg.Rotate {
		cur.used = true
		next = i.newGrantLocked(cur.subject, cur.family, cur.authTime, now)
	}
	return *cur, next, true
}

func (i *Issuer) newGrant(subject, family string, authTime, now time.Time) string {
	i.mu.Lock()
	defer i.mu.Unlock()
	return i.newGrantLocked(subject, family, authTime, now)
}

func (i *Issuer) newGrantLocked(subject, family string, authTime, now time.Time) string {
	rt := B64(randomBytes(32))
	i.grants[rt] = &refreshGrant{subject: subject, family: family, authTime: authTime, expires: now.Add(i.cfg.RefreshTTL)}
	return rt
}

func (i *Issuer) answer(w http.ResponseWriter, t tokenResponse) {
	t.TokenType = "Bearer"
	t.ExpiresIn = int64(i.cfg.AccessTTL / time.Second)
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Pragma", "no-cache")
	json.NewEncoder(w).Encode(t)
}

// sign makes the access and ID token of subject.
func (i *Issuer) sign(subject string, authTime, now time.Time) (access, id string) {
	c := &i.cfg
	eventID, origin := newUUID(), newUUID()
	at := i.payload(subject, false, authTime, now, now.Add(c.AccessTTL), eventID, origin)
	it := i.payload(subject, true, authTime, now, now.Add(c.IDTTL), eventID, origin)
	if c.Cognito {
		return c.Key.SignWithHeader(cognitoHeader(c.Key), at), c.IDKey.SignWithHeader(cognitoHeader(c.IDKey), it)
	}
	return c.Key.Sign(at), c.IDKey.Sign(it)
}

// payload returns the claims of an access token (idToken false) or an ID
// token of subject, shaped as the issuer's tokens are (Cognito or generic).
// eventID and origin tie an access token to the ID token of the same
// sign-in (Cognito's event_id and origin_jti).
func (i *Issuer) payload(subject string, idToken bool, authTime, now, exp time.Time, eventID, origin string) map[string]any {
	c := &i.cfg
	p := map[string]any{
		"iss":       i.URL,
		"sub":       subject,
		"iat":       now.Unix(),
		"exp":       exp.Unix(),
		"auth_time": authTime.Unix(),
		"jti":       newUUID(),
	}
	if idToken {
		p["aud"] = c.ClientID
		p["email"] = emailOf(subject)
		p["email_verified"] = true
	} else {
		p["client_id"] = c.ClientID
		if len(c.Scopes) > 0 {
			p["scope"] = strings.Join(c.Scopes, " ")
		}
	}
	groups := "groups"
	switch {
	case c.Cognito && idToken:
		p["token_use"] = "id"
		p["cognito:username"] = subject
		p["origin_jti"] = origin
		p["event_id"] = eventID
		groups = "cognito:groups"
	case c.Cognito:
		p["token_use"] = "access"
		p["username"] = subject
		p["origin_jti"] = origin
		p["event_id"] = eventID
		p["version"] = 2
		groups = "cognito:groups"
	case idToken:
		p["preferred_username"] = subject
	default:
		p["aud"] = c.ClientID
		p["nbf"] = now.Unix()
	}
	if len(c.Groups) > 0 {
		p[groups] = c.Groups
	}
	return p
}

func cognitoHeader(k *Key) map[string]any {
	h := map[string]any{"alg": k.Alg}
	if k.Kid != "" {
		h["kid"] = k.Kid
	}
	return h
}

func emailOf(subject string) string {
	if strings.Contains(subject, "@") {
		return subject
	}
	return subject + "@example.com"
}

func oauthError(w http.ResponseWriter, status int, code, desc string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Pragma", "no-cache")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]string{"error": code, "error_description": desc})
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	rand.Read(b) // never fails (crypto/rand, Go ≥ 1.24)
	return b
}

func newID() string { return hex.EncodeToString(randomBytes(16)) }

// newUUID returns a random (version 4) UUID string.
func newUUID() string {
	b := randomBytes(16)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b)
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}
