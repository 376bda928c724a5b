package main

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jwtgate/jwtgate/refresh"
)

// TestRunSurvivesExpiry runs the demo across three access-token lifetimes:
// every call must succeed, with refreshes in between.
func TestRunSurvivesExpiry(t *testing.T) {
	ctx := context.Background()
	cfg := config{Calls: 5, Interval: 1200 * time.Millisecond, TokensFile: filepath.Join(t.TempDir(), "tokens.json")}
	shutdown, err := startDemo(ctx, &cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer shutdown()
	var out, logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	if err := run(ctx, cfg, &out, log); err != nil {
		t.Fatalf("run: %v\n%s", err, out.String())
	}
	want := "signed in as alice\ncall 1: 200 hello alice\ncall 2: 200 hello alice\ncall 3: 200 hello alice\ncall 4: 200 hello alice\ncall 5: 200 hello alice\n"
	if out.String() != want {
		t.Errorf("output:\n%s\nwant:\n%s", out.String(), want)
	}
	if n := strings.Count(logs.String(), "tokens refreshed"); n < 2 {
		t.Errorf("%d refreshes; want at least 2 across 4.8 s of 2 s tokens\n%s", n, logs.String())
	}
	// The file holds the latest, rotated tokens; a second run starts from it
	// without signing in.
	saved, err := refresh.NewFileStore(cfg.TokensFile).Load(ctx)
	if err != nil || saved == nil || saved.RefreshToken == "" {
		t.Fatalf("token file: %v, %v", saved, err)
	}
	fi, _ := os.Stat(cfg.TokensFile)
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("token file mode %v", fi.Mode().Perm())
	}
	out.Reset()
	cfg.Calls, cfg.Password = 1, ""
	if err := run(ctx, cfg, &out, nil); err != nil || out.String() != "call 1: 200 hello alice\n" {
		t.Errorf("second run: %v\n%s", err, out.String())
	}
	if strings.Contains(logs.String(), saved.RefreshToken) || strings.Contains(logs.String(), saved.AccessToken) {
		t.Errorf("a token appears in the logs")
	}
}
