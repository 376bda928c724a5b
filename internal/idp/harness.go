package idp

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"
)

// harness is the state shared by all tests of one test process: the npm
// install and the servers, each started at most once, and the processes to
// stop at the end. It is the one piece of package-level state here: a test
// harness that pays the start-up cost once per process needs it.
type harness struct {
	install struct {
		o   sync.Once
		dir string
		err error
	}
	cognito   once[*Cognito]
	cognitoAW once[*Cognito]
	oidc      once[*OIDC]

	mu    sync.Mutex
	procs []*proc
	stats []string
}

var h harness

// once runs a start function at most once and remembers its outcome: a
// value, a reason to skip, or a failure.
type once[T any] struct {
	o       sync.Once
	v       T
	skip    string
	err     error
	unavail bool // err is an unavailableError (and CI is set)
}

// start runs start unless it ran already, and waits for it.
func (o *once[T]) start(start func() (T, error)) {
	o.o.Do(func() {
		v, err := start()
		if err != nil {
			if u, ok := err.(*unavailableError); ok {
				if !inCI() {
					o.skip = u.Error() + " (" + enableHint + ")"
					return
				}
				o.unavail = true
			}
			o.err = err
			return
		}
		o.v = v
	})
}

func (o *once[T]) get(t testing.TB, start func() (T, error)) T {
	t.Helper()
	o.start(start)
	if o.skip != "" {
		t.Skip("idp: " + o.skip)
	}
	if o.err != nil {
		if o.unavail {
			t.Fatalf("idp: %v (CI is set, so the real-IdP tests may not be skipped; %s)", o.err, enableHint)
		}
		t.Fatalf("idp: %v", o.err)
	}
	return o.v
}

const enableHint = "the real-IdP tests need node (>= 20.12; 22 LTS recommended) and npm on PATH, " +
	"and the npm registry for one `npm ci`, which the harness runs itself into the user cache " +
	"directory (override with JWTGATE_IDP_CACHE)"

// unavailableError means the machine lacks what the servers need (node,
// npm, or the registry for the first install). Outside CI that skips the
// tests; in CI it fails them.
type unavailableError struct{ msg string }

func (e *unavailableError) Error() string { return e.msg }

// inCI reports whether the CI environment variable is set to a true value.
func inCI() bool {
	v := strings.ToLower(strings.TrimSpace(os.Getenv("CI")))
	return v != "" && v != "0" && v != "false" && v != "no"
}

// tools finds node and npm and checks node's major version.
func tools() (node, npm string, err error) {
	node, err = exec.LookPath("node")
	if err != nil {
		return "", "", &unavailableError{"node is not on PATH"}
	}
	npm, err = exec.LookPath("npm")
	if err != nil {
		return "", "", &unavailableError{"npm is not on PATH"}
	}
	out, err := exec.Command(node, "--version").Output()
	if err != nil {
		return "", "", &unavailableError{fmt.Sprintf("node --version: %v", err)}
	}
	// oidc-provider 9 calls crypto.hash (Node 20.12 / 21.7); Debian 12's
	// own nodejs package is 18.
	var major, minor int
	v := strings.TrimSpace(string(out))
	if _, err := fmt.Sscanf(v, "v%d.%d", &major, &minor); err != nil || major < 20 || major == 20 && minor < 12 {
		return "", "", &unavailableError{fmt.Sprintf("node %s is too old (need >= 20.12)", v)}
	}
	return node, npm, nil
}

// Main runs the tests of a package that uses this harness and then stops
// every server the harness started, before the process exits:
//
//	func TestMain(m *testing.M) { idp.Main(m) }
//
// Without it the servers still exit with the test process (they watch
// their stdin), but Main stops them in order and in time.
//
// With -v it also prints Stats.
func Main(m *testing.M) {
	code := m.Run()
	StopAll()
	if testing.Verbose() {
		for _, s := range Stats() {
			fmt.Println("idp:", s)
		}
	}
	os.Exit(code)
}

// StopAll stops every process the harness started in this test process.
// Servers are not restarted afterwards: later calls to CognitoLocal and
// friends return the stopped values. Main calls it.
func StopAll() {
	h.mu.Lock()
	procs := h.procs
	h.procs = nil
	h.mu.Unlock()
	var wg sync.WaitGroup
	for _, p := range procs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p.stop()
		}()
	}
	wg.Wait()
}

// Stats returns what the harness measured in this process, one line each:
// the npm install (or that it was already there) and each server's start.
func Stats() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]string(nil), h.stats...)
}

func record(format string, args ...any) {
	h.mu.Lock()
	h.stats = append(h.stats, fmt.Sprintf(format, args...))
	h.mu.Unlock()
}

func track(p *proc) {
	h.mu.Lock()
	h.procs = append(h.procs, p)
	h.mu.Unlock()
}

// since rounds a duration for the stats lines.
func since(t0 time.Time) time.Duration { return time.Since(t0).Round(time.Millisecond) }

// Server names one of the harness's servers, for Prestart.
type Server int

// The servers Prestart can start.
const (
	ServerCognitoLocal Server = iota + 1 // CognitoLocal
	ServerCognitoAWS                     // CognitoAWS
	ServerOIDC                           // OIDCProvider
)

// Prestart starts the given servers in the background, concurrently, so
// that a package using several of them waits for the slowest only. Call it
// from TestMain before Main; the first test that asks for a server then
// waits for its start (and skips or fails as usual). Errors surface there.
func Prestart(servers ...Server) {
	for _, s := range servers {
		switch s {
		case ServerCognitoLocal:
			go h.cognito.start(func() (*Cognito, error) { return startCognito(false) })
		case ServerCognitoAWS:
			go h.cognitoAW.start(func() (*Cognito, error) { return startCognito(true) })
		case ServerOIDC:
			go h.oidc.start(startOIDC)
		}
	}
}
