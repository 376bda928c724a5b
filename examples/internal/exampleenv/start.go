package exampleenv

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// RunFunc is the shape of each example's run function.
type RunFunc func(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error

// Start runs run in the background against the embedded issuer on a free
// loopback port, and returns the API's base URL and the printed token. The
// run is stopped, and must return nil, when the test ends.
func Start(t *testing.T, run RunFunc) (baseURL, token string) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		err := run(ctx, []string{"-addr", "127.0.0.1:0"}, func(string) string { return "" }, pw, io.Discard)
		pw.CloseWithError(io.EOF)
		done <- err
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("run: %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Errorf("run did not stop")
		}
	})
	sc := bufio.NewScanner(pr)
	sc.Buffer(make([]byte, 64<<10), 64<<10)
	for sc.Scan() {
		line := sc.Text()
		if u, ok := strings.CutPrefix(line, "listening: "); ok {
			baseURL = u
		}
		if rest, ok := strings.CutPrefix(line, `curl -H "Authorization: Bearer `); ok && strings.HasSuffix(rest, "/me") {
			token, _, _ = strings.Cut(rest, `"`)
			break
		}
	}
	go func() { _, _ = io.Copy(io.Discard, pr) }()
	if baseURL == "" || token == "" {
		t.Fatalf("run printed no base URL or token (scan: %v)", sc.Err())
	}
	return baseURL, token
}

// Get sends GET baseURL+path with token (if not empty) and returns the
// status, the WWW-Authenticate header and the body.
func Get(t *testing.T, baseURL, path, token string) (status int, www, body string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, baseURL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	return resp.StatusCode, resp.Header.Get("WWW-Authenticate"), string(b)
}

// CheckAPI calls every route of the example API and checks the answers.
func CheckAPI(t *testing.T, baseURL, token string) {
	t.Helper()
	tests := []struct {
		path, token string
		status      int
		www, body   string // body: a substring
	}{
		{"/public", "", 200, "", "public"},
		{"/me", "", 401, `Bearer realm="api"`, `"error":"unauthorized"`},
		{"/me", "not.a.jwt", 401, `Bearer realm="api", error="invalid_token", error_description="the token is invalid"`, `"error":"invalid_token"`},
		{"/me", token, 200, "", `"sub":"alice"`},
		{"/orders", token, 200, "", `"orders":[]`},
		{"/admin", token, 403, `Bearer realm="api", error="insufficient_scope"`, `"error":"insufficient_scope"`},
	}
	for _, tt := range tests {
		status, www, body := Get(t, baseURL, tt.path, tt.token)
		if status != tt.status || www != tt.www || !strings.Contains(body, tt.body) {
			t.Errorf("GET %s: %d %q %q; want %d %q, body with %q", tt.path, status, www, body, tt.status, tt.www, tt.body)
		}
	}
}
