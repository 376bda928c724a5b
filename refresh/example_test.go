package refresh_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
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

// The first run has no tokens yet: Token (and every request through the
// Transport) fails with ErrNoToken until the user signs in. Tokens from a
// golang.org/x/oauth2 sign-in go in with FromOAuth2Token.
func ExampleErrNoToken() {
	idp, _ := tokenEndpoint()
	defer idp.Close()
	x := refresh.NewOAuth2Exchanger(&oauth2.Config{ClientID: "c", Endpoint: oauth2.Endpoint{TokenURL: idp.URL}})
	src := refresh.NewSource(x, nil) // nothing saved yet
	defer src.Close()

	_, err := src.Token(context.Background())
	fmt.Println(err)
	fmt.Println(errors.Is(err, refresh.ErrNoToken), errors.Is(err, refresh.ErrReauthenticate))

	// Sign in (here: the tokens an oauth2.Config would return), then go on.
	signedIn := (&oauth2.Token{AccessToken: "at-1", RefreshToken: "rt-1", TokenType: "Bearer"}).
		WithExtra(map[string]any{"id_token": "id-1"})
	_ = src.SetTokens(context.Background(), refresh.FromOAuth2Token(signedIn))
	tok, err := src.Token(context.Background())
	fmt.Println(tok.AccessToken, tok.IDToken, err)
	// Output:
	// refresh: no tokens yet: sign in first
	// true true
	// at-1 id-1 <nil>
}

// FromOAuth2Token converts the answer of an x/oauth2 sign-in, ID token
// included.
func ExampleFromOAuth2Token() {
	ot := (&oauth2.Token{AccessToken: "at", RefreshToken: "rt", TokenType: "Bearer"}).
		WithExtra(map[string]any{"id_token": "id"})
	t := refresh.FromOAuth2Token(ot)
	fmt.Println(t.AccessToken, t.IDToken, t.RefreshToken, t.TokenType)
	// Output: at id rt Bearer
}

// Printed or logged, Tokens shows which tokens it holds, never their values.
func ExampleTokens_String() {
	t := refresh.Tokens{AccessToken: "secret-at", RefreshToken: "secret-rt", TokenType: "Bearer",
		Expiry: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	fmt.Println(t)
	fmt.Printf("%#v\n", &t)
	// Output:
	// refresh.Tokens{AccessToken:<redacted> IDToken:"" RefreshToken:<redacted> TokenType:"Bearer" Expiry:2026-01-02T03:04:05Z}
	// refresh.Tokens{AccessToken:<redacted> IDToken:"" RefreshToken:<redacted> TokenType:"Bearer" Expiry:2026-01-02T03:04:05Z}
}

// With log/slog, Tokens logs as a group without token values.
func ExampleTokens_LogValue() {
	t := refresh.Tokens{AccessToken: "secret-at", RefreshToken: "secret-rt", TokenType: "Bearer",
		Expiry: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	log := slog.New(slog.NewJSONHandler(os.Stdout, &slog.HandlerOptions{
		ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
			if len(groups) == 0 && a.Key == slog.TimeKey {
				return slog.Attr{} // a stable output for this example
			}
			return a
		},
	}))
	log.Info("signed in", "tokens", t)
	// Output:
	// {"level":"INFO","msg":"signed in","tokens":{"access_token":true,"id_token":false,"refresh_token":true,"token_type":"Bearer","expiry":"2026-01-02T03:04:05Z"}}
}

// WithHosts names the origins that get the access token; a request to any
// other origin, or a redirect to one, goes out without it. Without WithHosts
// the origin of the first request is the only one. A loopback host listed
// without a port, as here, matches any port, over plain http too; any other
// host needs https unless listed as "http://host:port".
func ExampleWithHosts() {
	seen := make(chan string, 2)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen <- strings.TrimSpace(r.Host + " " + r.Header.Get("Authorization"))
	}))
	defer srv.Close()
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())

	src := refresh.NewSource(nil, &refresh.Tokens{AccessToken: "at", Expiry: time.Now().Add(time.Hour)},
		refresh.WithHosts("127.0.0.1"))
	defer src.Close()
	client := &http.Client{Transport: src.Transport(nil)}
	for _, host := range []string{"127.0.0.1", "localhost"} { // the same server under two names
		resp, err := client.Get("http://" + net.JoinHostPort(host, port) + "/")
		if err != nil {
			fmt.Println(err)
			return
		}
		resp.Body.Close()
		fmt.Println(strings.Replace(<-seen, port, "PORT", 1))
	}
	// Output:
	// 127.0.0.1:PORT Bearer at
	// localhost:PORT
}

// An Exchanger of your own that needs the tokens being replaced or the
// Source's clock implements RequestExchanger: the Source then calls
// ExchangeRequest with a Request.
type myExchanger struct{}

// Exchange is what a Source without RequestExchanger support would call.
func (myExchanger) Exchange(ctx context.Context, refreshToken string) (*refresh.Tokens, error) {
	return myExchanger{}.ExchangeRequest(ctx, refresh.Request{Current: &refresh.Tokens{RefreshToken: refreshToken}, Now: time.Now})
}

// ExchangeRequest sees the current tokens and the Source's clock.
func (myExchanger) ExchangeRequest(ctx context.Context, r refresh.Request) (*refresh.Tokens, error) {
	now := r.Now()
	fmt.Println("replacing", r.Current.AccessToken, "at", now.Format(time.Kitchen))
	return &refresh.Tokens{AccessToken: r.Current.AccessToken + "+1", Expiry: now.Add(time.Hour)}, nil
}

func ExampleRequestExchanger() {
	clock := func() time.Time { return time.Date(2026, 1, 2, 15, 4, 0, 0, time.UTC) }
	src := refresh.NewSource(myExchanger{}, &refresh.Tokens{AccessToken: "at", RefreshToken: "rt", Expiry: clock()},
		refresh.WithClock(clock))
	defer src.Close()
	tok, _ := src.Token(context.Background())
	fmt.Println(tok.AccessToken, tok.Expiry.Format(time.Kitchen))
	// Output:
	// replacing at at 3:04PM
	// at+1 4:04PM
}
