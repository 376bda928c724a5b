// Command client calls an API protected by jwtgate with tokens that refresh
// themselves: it signs in once with the password grant (or reads tokens
// saved by an earlier run), then calls the API through refresh.Source's
// Transport, which refreshes the access token before it expires and again
// when the API answers 401.
//
// Without -api it runs on its own: it starts the embedded test issuer
// (core/jwttest, access tokens that live two seconds) and a protected API
// (nethttp), and calls it across several token lifetimes.
//
//	go run ./examples/client                       # self-contained demo
//	go run ./examples/client -token-url https://idp.example.com/oauth2/token \
//	    -client-id my-client -user alice -password '…' \
//	    -api https://api.example.com/hello -tokens ~/.config/myapp/tokens.json
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/signal"
	"strings"
	"time"

	"golang.org/x/oauth2"

	"github.com/jwtgate/jwtgate/core"
	"github.com/jwtgate/jwtgate/core/jwttest"
	"github.com/jwtgate/jwtgate/nethttp"
	"github.com/jwtgate/jwtgate/refresh"
)

// config is what main reads from flags.
type config struct {
	TokenURL     string        // token endpoint (password and refresh_token grants)
	ClientID     string        // OAuth 2.0 client
	ClientSecret string        // empty for a public client
	Username     string        // for the password grant
	Password     string        // for the password grant
	TokensFile   string        // if set, tokens are kept there (refresh.FileStore)
	API          string        // URL of the protected API
	Calls        int           // how many calls to make
	Interval     time.Duration // pause between calls
	ExpiryDelta  time.Duration // refresh this long before expiry
}

func main() {
	var cfg config
	flag.StringVar(&cfg.TokenURL, "token-url", "", "token endpoint URL (empty: start the embedded demo issuer and API)")
	flag.StringVar(&cfg.ClientID, "client-id", "", "OAuth 2.0 client id")
	flag.StringVar(&cfg.ClientSecret, "client-secret", os.Getenv("CLIENT_SECRET"), "client secret (default $CLIENT_SECRET; empty for a public client)")
	flag.StringVar(&cfg.Username, "user", "alice", "user name for the password grant")
	flag.StringVar(&cfg.Password, "password", os.Getenv("PASSWORD"), "password for the password grant (default $PASSWORD)")
	flag.StringVar(&cfg.TokensFile, "tokens", "", "file to keep tokens in between runs (0600)")
	flag.StringVar(&cfg.API, "api", "", "protected API URL to call")
	flag.IntVar(&cfg.Calls, "calls", 5, "number of API calls")
	flag.DurationVar(&cfg.Interval, "interval", time.Second, "pause between calls")
	flag.DurationVar(&cfg.ExpiryDelta, "expiry-delta", 0, "refresh this long before expiry (0: the refresh package default, 30s)")
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if cfg.TokenURL == "" {
		shutdown, err := startDemo(ctx, &cfg)
		if err != nil {
			fmt.Fprintln(os.Stderr, "client:", err)
			os.Exit(1)
		}
		defer shutdown()
	}
	if err := run(ctx, cfg, os.Stdout, nil); err != nil {
		fmt.Fprintln(os.Stderr, "client:", err)
		os.Exit(1)
	}
}

// startDemo starts the embedded issuer (two-second access tokens, rotating
// refresh tokens) and a protected API, and points cfg at them.
func startDemo(ctx context.Context, cfg *config) (shutdown func(), err error) {
	iss := jwttest.NewIssuer(jwttest.IssuerConfig{
		ClientID:  "demo-client",
		AccessTTL: 2 * time.Second,
		Rotate:    true,
		Users:     map[string]string{"alice": "wonderland"},
	})
	v, err := core.New(ctx, core.Config{
		Issuers:  []core.Issuer{{URL: iss.URL, JWKSURL: iss.JWKSURL()}},
		Audience: []string{"demo-client"},
		Logger:   slog.New(slog.DiscardHandler),
	})
	if err != nil {
		iss.Close()
		return nil, err
	}
	api := httptest.NewServer(nethttp.New(v).Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, _ := core.FromContext(r.Context())
		fmt.Fprintf(w, "hello %s", c.Subject)
	})))
	cfg.TokenURL, cfg.ClientID, cfg.Username, cfg.Password = iss.TokenURL(), "demo-client", "alice", "wonderland"
	cfg.API = api.URL + "/hello"
	if cfg.ExpiryDelta == 0 {
		cfg.ExpiryDelta = 500 * time.Millisecond
	}
	return func() { api.Close(); v.Close(); iss.Close() }, nil
}

// run signs in (unless the token file already holds tokens) and calls the
// API cfg.Calls times, printing each answer to out. If a refresh token is
// rejected (expired, revoked, reused) it signs in again with the password.
// log may be nil.
func run(ctx context.Context, cfg config, out io.Writer, log *slog.Logger) error {
	oc := &oauth2.Config{
		ClientID:     cfg.ClientID,
		ClientSecret: cfg.ClientSecret,
		Endpoint:     oauth2.Endpoint{TokenURL: cfg.TokenURL},
	}
	if cfg.ClientSecret == "" {
		oc.Endpoint.AuthStyle = oauth2.AuthStyleInParams // public client: client_id in the body
	} else {
		oc.Endpoint.AuthStyle = oauth2.AuthStyleInHeader
	}
	opts := []refresh.Option{refresh.WithExpiryDelta(cfg.ExpiryDelta), refresh.WithLogger(log)}
	if cfg.TokensFile != "" {
		opts = append(opts, refresh.WithStore(refresh.NewFileStore(cfg.TokensFile)))
	}
	// initial nil: with a token file, the Source loads it on first use;
	// without one it has no tokens and asks for a sign-in.
	src := refresh.NewSource(refresh.NewOAuth2Exchanger(oc), nil, opts...)
	defer src.Close()

	signIn := func() error {
		if cfg.Password == "" {
			return errors.New("no saved tokens and no password to sign in with")
		}
		t, err := oc.PasswordCredentialsToken(ctx, cfg.Username, cfg.Password)
		if err != nil {
			return fmt.Errorf("sign in: %w", err)
		}
		fmt.Fprintf(out, "signed in as %s\n", cfg.Username)
		return src.SetTokens(ctx, refresh.FromOAuth2Token(t))
	}

	api := &http.Client{Transport: src.Transport(nil), Timeout: 30 * time.Second}
	for i := 1; i <= cfg.Calls; i++ {
		if i > 1 {
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(cfg.Interval):
			}
		}
		status, body, err := call(ctx, api, cfg.API)
		// ErrReauthenticate: the refresh token is dead, or this is the first
		// run and nothing is saved yet (refresh.ErrNoToken, which matches it).
		if errors.Is(err, refresh.ErrReauthenticate) {
			if err := signIn(); err != nil {
				return err
			}
			status, body, err = call(ctx, api, cfg.API)
		}
		if err != nil {
			return fmt.Errorf("call %d: %w", i, err)
		}
		fmt.Fprintf(out, "call %d: %d %s\n", i, status, body)
	}
	return nil
}

func call(ctx context.Context, c *http.Client, url string) (int, string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return 0, "", err
	}
	resp, err := c.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 4<<10))
	return resp.StatusCode, strings.TrimSpace(string(b)), err
}
