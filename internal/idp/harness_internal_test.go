package idp

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

// fakeTB records Skip and Fatalf and ends its goroutine like testing.T does.
type fakeTB struct {
	testing.TB
	skipped, failed string
}

func (f *fakeTB) Helper()       {}
func (f *fakeTB) Skip(a ...any) { f.skipped = fmt.Sprint(a...); runtime.Goexit() }
func (f *fakeTB) Fatalf(format string, a ...any) {
	f.failed = fmt.Sprintf(format, a...)
	runtime.Goexit()
}

func runGet(start func() (int, error)) *fakeTB {
	var o once[int]
	f := &fakeTB{}
	done := make(chan struct{})
	go func() {
		defer close(done)
		o.get(f, start)
	}()
	<-done
	return f
}

// TestAvailabilityPolicy: missing tools skip outside CI and fail in CI; a
// server that cannot start fails everywhere.
func TestAvailabilityPolicy(t *testing.T) {
	missing := func() (int, error) { return 0, &unavailableError{"node is not on PATH"} }
	broken := func() (int, error) { return 0, errors.New("cognito-local: exited before answering") }
	for _, tc := range []struct {
		name, ci   string
		start      func() (int, error)
		unavail    bool
		skip, fail bool
	}{
		{"missing, CI unset", "", missing, true, true, false},
		{"missing, CI=false", "false", missing, true, true, false},
		{"missing, CI=true", "true", missing, true, false, true},
		{"missing, CI=1", "1", missing, true, false, true},
		{"broken, CI unset", "", broken, false, false, true},
		{"broken, CI=true", "true", broken, false, false, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("CI", tc.ci)
			f := runGet(tc.start)
			if (f.skipped != "") != tc.skip || (f.failed != "") != tc.fail {
				t.Fatalf("skipped %q, failed %q; want skip %v, fail %v", f.skipped, f.failed, tc.skip, tc.fail)
			}
			msg := f.skipped + f.failed
			if tc.unavail && !strings.Contains(msg, "node (>= 20.12") {
				t.Errorf("message %q does not say how to enable the tests", msg)
			}
			if tc.fail && tc.unavail && !strings.Contains(msg, "CI is set") {
				t.Errorf("CI failure %q does not say why it is not a skip", msg)
			}
		})
	}
}

func TestToolsMissing(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	_, _, err := tools()
	var u *unavailableError
	if !errors.As(err, &u) {
		t.Fatalf("tools() with an empty PATH: %v; want *unavailableError", err)
	}
}

// TestProcStop: stop ends a server that ignores SIGTERM, and the watchdog
// ends one whose parent only closed its stdin.
func TestProcStop(t *testing.T) {
	if _, _, err := tools(); err != nil {
		if inCI() {
			t.Fatalf("%v", err)
		}
		t.Skipf("%v", err)
	}
	dir := t.TempDir()
	b, err := files.ReadFile("testdata/watchdog.cjs")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "watchdog.cjs"), b, 0o644); err != nil {
		t.Fatal(err)
	}

	stubborn, _, err := startProc("stubborn", "", nil,
		[]string{"-e", "process.on('SIGTERM', () => {}); setInterval(() => {}, 1000); console.log('up')"},
		nil)
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Now()
	stubborn.stop()
	select {
	case <-stubborn.done:
	default:
		t.Fatalf("process still running after stop (%s)", time.Since(t0))
	}

	watched, ready, err := startProc("watched", dir, nil,
		[]string{"--require", "./watchdog.cjs", "-e", "setInterval(() => {}, 1000); console.log('up')"},
		func(line string) bool { return line == "up" })
	if err != nil {
		t.Fatal(err)
	}
	defer watched.stop()
	if err := watched.waitReady(ready); err != nil {
		t.Fatal(err)
	}
	watched.stdin.Close()
	select {
	case <-watched.done:
	case <-time.After(10 * time.Second):
		t.Fatalf("process did not exit after its stdin closed")
	}
}
