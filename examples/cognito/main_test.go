package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"
)

// get calls url with token as a Bearer credential ("" for none) and returns
// the status, the WWW-Authenticate value and the JSON body.
func get(t *testing.T, url, token string) (int, string, map[string]any) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	var body map[string]any
	if resp.StatusCode == http.StatusOK {
		if err := json.Unmarshal(raw, &body); err != nil {
			t.Fatalf("GET %s: body %q: %v", url, raw, err)
		}
	}
	return resp.StatusCode, resp.Header.Get("WWW-Authenticate"), body
}

// TestAPI runs the routes against the embedded Cognito-shaped issuer.
func TestAPI(t *testing.T) {
	emb := startEmbedded(time.Hour)
	defer emb.Close()
	api, closeAPI, err := newAPI(t.Context(), apiConfig{Pool: emb.Pool, ClientID: emb.ClientID, Scope: "reports/read", Group: "admin"})
	if err != nil {
		t.Fatalf("newAPI: %v", err)
	}
	defer closeAPI()
	srv := httptest.NewServer(api)
	defer srv.Close()

	alice, bob := emb.Users[0], emb.Users[1]
	now := time.Now()
	numericDept := signCognito(emb.idKey, map[string]any{
		"sub": "s-1", "iss": emb.URL, "aud": emb.ClientID, "token_use": "id", "cognito:username": "eve",
		"custom:department": 42, "iat": now.Unix(), "exp": now.Add(time.Hour).Unix(),
	})
	expired := signCognito(emb.accessKey, map[string]any{
		"sub": "s-2", "iss": emb.URL, "client_id": emb.ClientID, "token_use": "access", "username": "old",
		"scope": "reports/read", "iat": now.Add(-2 * time.Hour).Unix(), "exp": now.Add(-time.Hour).Unix(),
	})
	otherClient := signCognito(emb.accessKey, map[string]any{
		"sub": "s-3", "iss": emb.URL, "client_id": "another-app", "token_use": "access", "username": "mallory",
		"scope": "reports/read", "iat": now.Unix(), "exp": now.Add(time.Hour).Unix(),
	})

	tests := []struct {
		name   string
		path   string
		token  string
		status int
		www    string         // substring of WWW-Authenticate; "" means none expected
		body   map[string]any // subset of the JSON answer
	}{
		{"profile: ID token, custom attributes decoded", "/profile", alice.ID, 200, "", map[string]any{
			"sub": "7c1b2f3e-0a4d-4e5f-9a6b-alice0000001", "username": "alice", "email": "alice@example.com",
			"name": "Alice", "department": "engineering", "cost_center": "4711"}},
		{"profile: absent custom attribute is empty", "/profile", bob.ID, 200, "", map[string]any{
			"username": "bob", "department": "sales", "cost_center": ""}},
		{"profile: access token refused", "/profile", alice.Access, 401, `error="invalid_token"`, nil},
		{"profile: custom attribute of the wrong type", "/profile", numericDept, 422, "", nil},
		{"profile: no token", "/profile", "", 401, `Bearer realm="api"`, nil},

		{"me: access token", "/me", alice.Access, 200, "", map[string]any{
			"sub": "7c1b2f3e-0a4d-4e5f-9a6b-alice0000001", "username": "alice", "client_id": emb.ClientID,
			"token_use": "access", "scopes": []any{"openid", "email", "reports/read"}, "groups": []any{"admin"}}},
		{"me: user without groups", "/me", bob.Access, 200, "", map[string]any{"username": "bob", "groups": []any{}}},
		{"me: ID token refused", "/me", alice.ID, 401, `error="invalid_token"`, nil},
		{"me: expired", "/me", expired, 401, `error="invalid_token"`, nil},
		{"me: token of another app client", "/me", otherClient, 401, `error="invalid_token"`, nil},
		{"me: no token", "/me", "", 401, `Bearer realm="api"`, nil},

		{"admin: member of the group", "/admin", alice.Access, 200, "", map[string]any{"groups": []any{"admin"}}},
		{"admin: not a member", "/admin", bob.Access, 403, `error="insufficient_scope"`, nil},
		{"admin: ID token of a member refused", "/admin", alice.ID, 401, `error="invalid_token"`, nil},

		{"reports: scope granted", "/reports", alice.Access, 200, "", map[string]any{"reports": []any{"2026-q3", "2026-q4"}}},
		{"reports: scope missing", "/reports", bob.Access, 403, `error="insufficient_scope"`, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, www, body := get(t, srv.URL+tt.path, tt.token)
			if status != tt.status {
				t.Errorf("status = %d; want %d", status, tt.status)
			}
			if tt.www == "" && www != "" || !strings.Contains(www, tt.www) {
				t.Errorf("WWW-Authenticate = %q; want %q", www, tt.www)
			}
			for k, want := range tt.body {
				if got := body[k]; !reflect.DeepEqual(got, want) {
					t.Errorf("body[%q] = %#v; want %#v", k, got, want)
				}
			}
		})
	}

	// The embedded issuer's own Cognito-shaped tokens (IssuerConfig.Cognito)
	// are accepted on the same routes.
	access, id, _ := emb.Tokens("carol")
	if status, _, body := get(t, srv.URL+"/me", access); status != 200 || body["token_use"] != "access" {
		t.Errorf("issuer access token on /me: %d %v; want 200, token_use access", status, body)
	}
	if status, _, _ := get(t, srv.URL+"/profile", id); status != 200 {
		t.Errorf("issuer ID token on /profile: %d; want 200", status)
	}
}

// syncBuffer is an io.Writer the test can read while run writes to it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestRun runs the command as main does, with no configuration: it must
// serve on its own embedded issuer, print usable tokens and stop cleanly.
func TestRun(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	var out syncBuffer
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"-addr", "127.0.0.1:0"}, func(string) string { return "" }, &out, io.Discard)
	}()

	var base string
	exports := map[string]string{}
	for deadline := time.Now().Add(10 * time.Second); base == ""; time.Sleep(10 * time.Millisecond) {
		select {
		case err := <-done:
			t.Fatalf("run returned early: %v\n%s", err, out.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("run did not start listening; output:\n%s", out.String())
		}
		sc := bufio.NewScanner(strings.NewReader(out.String()))
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			line := sc.Text()
			if name, value, ok := strings.Cut(strings.TrimPrefix(line, "export "), "="); ok && strings.HasPrefix(line, "export ") {
				exports[name] = value
			}
			if rest, ok := strings.CutPrefix(line, "listening on "); ok {
				base, _, _ = strings.Cut(rest, " ")
			}
		}
	}
	for _, name := range []string{"ALICE_ACCESS", "ALICE_ID", "BOB_ACCESS", "BOB_ID"} {
		if exports[name] == "" {
			t.Fatalf("no export line for %s; output:\n%s", name, out.String())
		}
	}

	if status, _, body := get(t, base+"/profile", exports["ALICE_ID"]); status != 200 || body["department"] != "engineering" {
		t.Errorf("GET /profile as alice: %d %v; want 200 with department engineering", status, body)
	}
	if status, _, _ := get(t, base+"/reports", exports["ALICE_ACCESS"]); status != 200 {
		t.Errorf("GET /reports as alice: %d; want 200", status)
	}
	if status, www, _ := get(t, base+"/admin", exports["BOB_ACCESS"]); status != 403 || !strings.Contains(www, "insufficient_scope") {
		t.Errorf("GET /admin as bob: %d %q; want 403 insufficient_scope", status, www)
	}

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("run after cancel: %v; want nil", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("run did not stop after its context was cancelled")
	}
}

func TestParseOptions(t *testing.T) {
	type env map[string]string
	tests := []struct {
		name    string
		args    []string
		env     env
		want    options
		wantErr string
	}{
		{"nothing: embedded issuer", nil, env{}, options{Addr: "127.0.0.1:8080", Scope: "reports/read", Group: "admin"}, ""},
		{"environment, region from the pool id", nil, env{"COGNITO_POOL_ID": "eu-west-1_AbC123", "COGNITO_CLIENT_ID": "c1", "AWS_REGION": "us-east-1"},
			options{Addr: "127.0.0.1:8080", Region: "eu-west-1", Pool: "eu-west-1_AbC123", ClientID: "c1", Scope: "reports/read", Group: "admin"}, ""},
		{"flags win over the environment", []string{"-pool", "us-east-2_Zz9", "-client-id", "c2", "-region", "us-east-2", "-addr", ":9000", "-scope", "orders/read", "-group", "ops"},
			env{"COGNITO_POOL_ID": "eu-west-1_AbC123", "COGNITO_CLIENT_ID": "c1"},
			options{Addr: ":9000", Region: "us-east-2", Pool: "us-east-2_Zz9", ClientID: "c2", Scope: "orders/read", Group: "ops"}, ""},
		{"pool id without region, AWS_REGION set", nil, env{"COGNITO_POOL_ID": "AbC123", "COGNITO_CLIENT_ID": "c1", "AWS_REGION": "ap-south-1"},
			options{}, "COGNITO_POOL_ID"},
		{"pool id without region, -region given", []string{"-pool", "AbC123", "-client-id", "c1", "-region", "ap-south-1"}, env{},
			options{}, "COGNITO_POOL_ID"},
		{"-region that is not the pool's", []string{"-pool", "eu-west-1_AbC123", "-client-id", "c1", "-region", "us-east-1"}, env{},
			options{}, "-region"},
		{"malformed pool id", nil, env{"COGNITO_POOL_ID": "local_AbC123", "COGNITO_CLIENT_ID": "c1"}, options{}, "COGNITO_POOL_ID"},
		{"pool without client", []string{"-pool", "eu-west-1_A"}, env{}, options{}, "-client-id"},
		{"client without pool", nil, env{"COGNITO_CLIENT_ID": "c1"}, options{}, "-pool"},
		{"stray argument", []string{"serve"}, env{}, options{}, "unexpected"},
		{"unknown flag", []string{"-bogus"}, env{}, options{}, "bogus"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseOptions(tt.args, func(k string) string { return tt.env[k] }, io.Discard)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Errorf("err = %v; want one mentioning %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("parseOptions: %v", err)
			}
			if got != tt.want {
				t.Errorf("parseOptions = %+v; want %+v", got, tt.want)
			}
		})
	}
	if _, err := parseOptions([]string{"-h"}, func(string) string { return "" }, io.Discard); !errors.Is(err, flag.ErrHelp) {
		t.Errorf("-h: err = %v; want flag.ErrHelp", err)
	}
}
