package idp

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"time"
)

//go:embed testdata/package.json testdata/package-lock.json testdata/oidc-server.mjs testdata/watchdog.cjs
var files embed.FS

// installTimeout bounds one npm ci.
const installTimeout = 5 * time.Minute

// nodeModules returns the node_modules directory of the install, running
// install once per process.
func nodeModules() (string, error) {
	h.install.o.Do(func() { h.install.dir, h.install.err = install() })
	return h.install.dir, h.install.err
}

// install returns the node_modules directory of an installed copy of
// testdata/package-lock.json, running npm ci first if no copy exists yet.
// Copies live under cacheRoot()/<hash of package.json and lockfile>, so a
// changed lockfile installs afresh; parallel test processes take a file lock
// around the check-and-install, so only one of them installs.
func install() (string, error) {
	_, npm, err := tools()
	if err != nil {
		return "", err
	}
	pkg, err := files.ReadFile("testdata/package.json")
	if err != nil {
		return "", err
	}
	lock, err := files.ReadFile("testdata/package-lock.json")
	if err != nil {
		return "", err
	}
	sum := sha256.New()
	sum.Write(pkg)
	sum.Write([]byte{0})
	sum.Write(lock)
	key := hex.EncodeToString(sum.Sum(nil))[:16]

	root, err := cacheRoot()
	if err != nil {
		return "", err
	}
	if err := os.MkdirAll(root, 0o755); err != nil {
		return "", fmt.Errorf("create npm cache dir: %w", err)
	}
	dir := filepath.Join(root, key)
	modules := filepath.Join(dir, "node_modules")
	if installed(dir) {
		record("npm ci: already installed in %s", dir)
		return modules, nil
	}

	unlock, err := lockFile(filepath.Join(root, ".lock"))
	if err != nil {
		return "", fmt.Errorf("lock %s: %w", root, err)
	}
	defer unlock()
	if installed(dir) { // another process installed it while we waited
		record("npm ci: installed by another test process in %s", dir)
		return modules, nil
	}
	_ = os.RemoveAll(dir) // a leftover without the marker

	var rnd [6]byte
	_, _ = rand.Read(rnd[:])
	stage := filepath.Join(root, "stage-"+hex.EncodeToString(rnd[:]))
	if err := os.MkdirAll(stage, 0o755); err != nil {
		return "", fmt.Errorf("create %s: %w", stage, err)
	}
	defer os.RemoveAll(stage)
	if err := os.WriteFile(filepath.Join(stage, "package.json"), pkg, 0o644); err != nil {
		return "", err
	}
	if err := os.WriteFile(filepath.Join(stage, "package-lock.json"), lock, 0o644); err != nil {
		return "", err
	}

	t0 := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), installTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, npm, "ci", "--ignore-scripts", "--no-audit", "--no-fund", "--loglevel=error")
	cmd.Dir = stage
	cmd.Env = append(os.Environ(), "npm_config_update_notifier=false")
	var out bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = &out
	if err := cmd.Run(); err != nil {
		// Most often the registry cannot be reached: treat as unavailable
		// (skips outside CI, fails in CI).
		return "", &unavailableError{fmt.Sprintf("npm ci in %s failed after %s: %v\n%s", stage, since(t0), err, tail(out.Bytes(), 2000))}
	}
	if err := os.WriteFile(filepath.Join(stage, ".installed"), []byte(time.Now().UTC().Format(time.RFC3339)+"\n"), 0o644); err != nil {
		return "", err
	}
	if err := os.Rename(stage, dir); err != nil {
		return "", fmt.Errorf("move install into place: %w", err)
	}
	record("npm ci: %s (cold install into %s)", since(t0), dir)
	return modules, nil
}

func installed(dir string) bool {
	_, err := os.Stat(filepath.Join(dir, ".installed"))
	return err == nil
}

// cacheRoot is $JWTGATE_IDP_CACHE, or <user cache dir>/jwtgate-idp, or
// <temp dir>/jwtgate-idp when there is no user cache dir.
func cacheRoot() (string, error) {
	if d := os.Getenv("JWTGATE_IDP_CACHE"); d != "" {
		return filepath.Abs(d)
	}
	if d, err := os.UserCacheDir(); err == nil {
		return filepath.Join(d, "jwtgate-idp"), nil
	}
	return filepath.Join(os.TempDir(), "jwtgate-idp"), nil
}

// runDir makes a fresh temporary directory for one server, holding a
// node_modules symlink to the shared install and the named embedded files.
// The caller removes it.
func runDir(prefix, modules string, names ...string) (string, error) {
	removeStale(prefix)
	dir, err := os.MkdirTemp("", prefix)
	if err != nil {
		return "", err
	}
	if err := os.Symlink(modules, filepath.Join(dir, "node_modules")); err != nil {
		os.RemoveAll(dir)
		return "", fmt.Errorf("link node_modules: %w", err)
	}
	for _, n := range names {
		b, err := files.ReadFile("testdata/" + n)
		if err == nil {
			err = os.WriteFile(filepath.Join(dir, n), b, 0o644)
		}
		if err != nil {
			os.RemoveAll(dir)
			return "", errors.Join(fmt.Errorf("write %s", n), err)
		}
	}
	return dir, nil
}

// tail returns at most the last n bytes of b.
func tail(b []byte, n int) string {
	if len(b) > n {
		b = b[len(b)-n:]
	}
	return string(b)
}

// removeStale removes run directories left behind by test processes that
// died without stopping their servers (a panic, a -timeout), once they are
// a day old.
func removeStale(prefix string) {
	old, _ := filepath.Glob(filepath.Join(os.TempDir(), prefix+"*"))
	for _, d := range old {
		if fi, err := os.Lstat(d); err == nil && fi.IsDir() && time.Since(fi.ModTime()) > 24*time.Hour {
			_ = os.RemoveAll(d)
		}
	}
}

// Install installs the pinned npm packages (node ≥ 20.12 and npm must be on
// PATH) and returns their node_modules directory. `make test` calls it
// through ./internal/idp/cmd/install, so that a fresh machine installs the
// real issuers before the tests run; the tests reuse the same copy.
func Install() (string, error) { return nodeModules() }
