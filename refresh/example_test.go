package refresh_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync/atomic"
	"time"

	"golang.org/x/oauth2"

	"github.com/jwtgate/jwtgate/refresh"
)

// tokenEndpoint is a stand-in OAuth 2.0 token endpoint that rotates
// refresh tokens: rt-1 → rt-2 → …, and refuses any other refresh token.
func tokenEndpoint() (*httptest.Server, *atomic.Int64) {
	var n atomic.Int64
	n.Store(1)
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		cur := n.Load()
		if r.PostFormValue("refresh_token") != fmt.Sprintf("rt-%d", cur) {
			w.WriteHeader(http.StatusBadRequest)
			io.WriteString(w, `{"error":"invalid_grant"}`)
			return
		}
		n.Add(1)
		fmt.Fprintf(w, `{"access_token":"at-%d","refresh_token":"rt-%d","token_type":"Bearer","expires_in":3600}`, cur+1, cur+1)
	})), &n
}

// The usual set-up: an exchanger for the issuer's token endpoint, a Source
// started from the tokens of a sign-in, and an http.Client whose Transport
// adds the access token and refreshes it when needed.
func Example() {
	idp, _ := tokenEndpoint()
	defer idp.Close()
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer at-2" {
			w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		io.WriteString(w, "hello")
	}))
	defer api.Close()

	x := refresh.NewOAuth2Exchanger(&oauth2.Config{
		ClientID: "my-public-client",
		Endpoint: oauth2.Endpoint{TokenURL: idp.URL},
	})
	// at-1 expires in a minute, but the API already refuses it.
	src := refresh.NewSource(x, &refresh.Tokens{
		AccessToken: "at-1", RefreshToken: "rt-1", Expiry: time.Now().Add(time.Minute),
	})
	defer src.Close()

	client := &http.Client{Transport: src.Transport(nil)}
	resp, err := client.Get(api.URL)
	if err != nil {
		fmt.Println(err)
		return
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	tok, _ := src.Token(context.Background())
	fmt.Println(resp.StatusCode, string(body))
	fmt.Println("now using", tok.AccessToken, "and", tok.RefreshToken)
	// Output:
	// 200 hello
	// now using at-2 and rt-2
}

// A refresh token that the issuer refuses (expired, revoked, reused) ends the
// session: every caller gets ErrReauthenticate, without further requests to
// the token endpoint, until the application signs the user in again and
// calls SetTokens.
func Example_reauthenticate() {
	idp, _ := tokenEndpoint()
	defer idp.Close()
	x := refresh.NewOAuth2Exchanger(&oauth2.Config{ClientID: "c", Endpoint: oauth2.Endpoint{TokenURL: idp.URL}})
	src := refresh.NewSource(x, &refresh.Tokens{AccessToken: "old", RefreshToken: "revoked", Expiry: time.Now()})
	defer src.Close()

	_, err := src.Token(context.Background())
	fmt.Println(errors.Is(err, refresh.ErrReauthenticate))
	var xe *refresh.ExchangeError
	if errors.As(err, &xe) {
		fmt.Println(xe.Code, xe.StatusCode)
	}

	// After a new sign-in:
	_ = src.SetTokens(context.Background(), &refresh.Tokens{AccessToken: "at-1", RefreshToken: "rt-1", Expiry: time.Now()})
	tok, err := src.Token(context.Background())
	fmt.Println(tok.AccessToken, err)
	// Output:
	// true
	// invalid_grant 400
	// at-2 <nil>
}

// A token endpoint that is down makes Token fail with ErrUnavailable once
// the access token has expired, after a few retries; the refresh token is
// kept for the next attempt.
func Example_unavailable() {
	down := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "30")
		w.WriteHeader(http.StatusServiceUnavailable)
	}))
	defer down.Close()
	x := refresh.NewOAuth2Exchanger(&oauth2.Config{ClientID: "c", Endpoint: oauth2.Endpoint{TokenURL: down.URL}})
	src := refresh.NewSource(x, &refresh.Tokens{AccessToken: "at", RefreshToken: "rt", Expiry: time.Now().Add(-time.Second)})
	defer src.Close()

	_, err := src.Token(context.Background())
	fmt.Println(errors.Is(err, refresh.ErrUnavailable))
	fmt.Println(err)
	// Output:
	// true
	// refresh: the token endpoint is unavailable (HTTP 503, retry after 30s)
}

// NewCognitoExchanger talks to the Cognito user pool API. Endpoint points it
// at cognito-local here; leave it empty for AWS.
func ExampleNewCognitoExchanger() {
	cognito := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// X-Amz-Target: AWSCognitoIdentityProviderService.InitiateAuth
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		io.WriteString(w, `{"AuthenticationResult":{"AccessToken":"new-access","IdToken":"new-id","ExpiresIn":3600,"TokenType":"Bearer"}}`)
	}))
	defer cognito.Close()

	x, err := refresh.NewCognitoExchanger(refresh.CognitoConfig{
		Region:   "eu-west-1",
		Endpoint: cognito.URL,
		ClientID: "1example23456789",
		// ClientSecret: "…", Username: "…" for a client with a secret
		// (SECRET_HASH); UseGetTokensFromRefreshToken: true for rotation.
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	src := refresh.NewSource(x, &refresh.Tokens{AccessToken: "old", RefreshToken: "cognito-rt", Expiry: time.Now()})
	defer src.Close()
	tok, err := src.Token(context.Background())
	if err != nil {
		fmt.Println(err)
		return
	}
	// InitiateAuth never returns a refresh token: the old one is kept.
	fmt.Println(tok.AccessToken, tok.IDToken, tok.RefreshToken, tok.TokenType)
	// Output: new-access new-id cognito-rt Bearer
}

// SecretHash is what Cognito wants from clients that have a secret.
func ExampleSecretHash() {
	fmt.Println(refresh.SecretHash("alice", "client", "secret"))
	// Output: RTsve+FQ659UKyESgvLg9GYmZEL+QjzQsW/OjL77/b0=
}

// With a FileStore, rotated tokens survive a restart: the Source saves every
// new set before using it, and a Source created without initial tokens
// loads them.
func ExampleFileStore() {
	idp, _ := tokenEndpoint()
	defer idp.Close()
	dir, _ := os.MkdirTemp("", "tokens")
	defer os.RemoveAll(dir)
	store := refresh.NewFileStore(filepath.Join(dir, "tokens.json"))
	x := refresh.NewOAuth2Exchanger(&oauth2.Config{ClientID: "c", Endpoint: oauth2.Endpoint{TokenURL: idp.URL}})

	first := refresh.NewSource(x, nil, refresh.WithStore(store))
	_ = first.SetTokens(context.Background(), &refresh.Tokens{AccessToken: "at-1", RefreshToken: "rt-1", Expiry: time.Now()})
	tok, _ := first.Token(context.Background()) // expired: refreshes, saves
	fmt.Println("first run:", tok.AccessToken)
	first.Close()

	second := refresh.NewSource(x, nil, refresh.WithStore(store))
	defer second.Close()
	tok, _ = second.Token(context.Background()) // loaded from the file
	fmt.Println("second run:", tok.AccessToken, tok.RefreshToken)
	// Output:
	// first run: at-2
	// second run: at-2 rt-2
}

// TokenSource hands the Source to code written for golang.org/x/oauth2.
func ExampleSource_TokenSource() {
	idp, _ := tokenEndpoint()
	defer idp.Close()
	x := refresh.NewOAuth2Exchanger(&oauth2.Config{ClientID: "c", Endpoint: oauth2.Endpoint{TokenURL: idp.URL}})
	src := refresh.NewSource(x, &refresh.Tokens{AccessToken: "at-1", RefreshToken: "rt-1", Expiry: time.Now()})
	defer src.Close()

	client := oauth2.NewClient(context.Background(), src.TokenSource())
	_ = client // use it like any *http.Client
	t, _ := src.TokenSource().Token()
	fmt.Println(t.AccessToken, t.Type(), t.RefreshToken == "")
	// Output: at-2 Bearer true
}
