package idp

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"time"
)

// startTimeout bounds how long a server may take to answer after start.
const startTimeout = 90 * time.Second

// proc is one server process started by the harness.
type proc struct {
	name  string
	cmd   *exec.Cmd
	stdin io.WriteCloser // held open: the server exits when it closes
	dir   string         // removed after the process is gone
	log   *ringBuffer
	done  chan struct{} // closed when the process has exited
	err   error         // the Wait result, set before done closes

	stopOnce sync.Once
}

// startProc starts node with args in dir, in its own process group, and
// tracks it for StopAll. ready, if not nil, receives stdout lines until it
// returns true or stdout ends.
func startProc(name, dir string, env []string, args []string, ready func(line string) bool) (*proc, <-chan struct{}, error) {
	node, err := exec.LookPath("node")
	if err != nil {
		return nil, nil, &unavailableError{"node is not on PATH"}
	}
	cmd := exec.Command(node, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	if dir != "" {
		// The servers remove it themselves when they exit (see watchdog.cjs).
		cmd.Env = append(cmd.Env, "JWTGATE_IDP_RUNDIR="+dir)
	}
	ownGroup(cmd)
	p := &proc{name: name, cmd: cmd, dir: dir, log: &ringBuffer{max: 16 << 10}, done: make(chan struct{})}
	cmd.Stderr = p.log
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, nil, err
	}
	if p.stdin, err = cmd.StdinPipe(); err != nil {
		return nil, nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, nil, fmt.Errorf("start %s: %w", name, err)
	}
	track(p)
	readyc := make(chan struct{})
	copied := make(chan struct{})
	go func() {
		defer close(copied)
		sc := bufio.NewScanner(stdout)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		signalled := ready == nil
		if signalled {
			close(readyc)
		}
		for sc.Scan() {
			line := sc.Text()
			fmt.Fprintln(p.log, line)
			if !signalled && ready(line) {
				signalled = true
				close(readyc)
			}
		}
		_, _ = io.Copy(p.log, stdout)
	}()
	go func() {
		<-copied // Wait closes stdout; read it all first
		p.err = cmd.Wait()
		close(p.done)
	}()
	return p, readyc, nil
}

// stop ends the process group: SIGTERM, then SIGKILL after two seconds.
// It closes stdin first, which the servers take as a signal to exit.
func (p *proc) stop() {
	p.stopOnce.Do(func() {
		_ = p.stdin.Close()
		signalGroup(p.cmd, false)
		select {
		case <-p.done:
		case <-time.After(2 * time.Second):
			signalGroup(p.cmd, true)
			select {
			case <-p.done:
			case <-time.After(5 * time.Second):
			}
		}
		// Anything left in the group (there should be nothing) goes too.
		signalGroup(p.cmd, true)
		if p.dir != "" {
			_ = os.RemoveAll(p.dir)
		}
	})
}

// failure describes a start failure with the tail of the server's output
// (start-up output only: no tokens exist yet).
func (p *proc) failure(format string, args ...any) error {
	return fmt.Errorf("%s: %s\n--- %s output (tail) ---\n%s", p.name, fmt.Sprintf(format, args...), p.name, p.log.String())
}

// waitHTTP polls url with GET until it answers 200, the process exits, or
// startTimeout passes.
func (p *proc) waitHTTP(url string) error {
	deadline := time.Now().Add(startTimeout)
	client := &http.Client{Timeout: time.Second}
	for {
		resp, err := client.Get(url)
		if err == nil {
			_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-p.done:
			return p.failure("exited before answering %s: %v", url, p.err)
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return p.failure("no answer from %s within %s", url, startTimeout)
		}
	}
}

// waitReady waits for the ready channel, the process's exit or the timeout.
func (p *proc) waitReady(ready <-chan struct{}) error {
	select {
	case <-ready:
		return nil
	case <-p.done:
		return p.failure("exited before it was ready: %v", p.err)
	case <-time.After(startTimeout):
		return p.failure("not ready within %s", startTimeout)
	}
}

// freePort returns a loopback TCP port that was free a moment ago. The
// caller passes it to a server that cannot listen on port 0 itself, and
// retries when the server then fails to start.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	_, port, err := net.SplitHostPort(l.Addr().String())
	if err != nil {
		return 0, err
	}
	return strconv.Atoi(port)
}

// ringBuffer keeps the last max bytes written to it.
type ringBuffer struct {
	mu  sync.Mutex
	max int
	b   []byte
}

func (r *ringBuffer) Write(p []byte) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.b = append(r.b, p...)
	if len(r.b) > r.max {
		r.b = append(r.b[:0:0], r.b[len(r.b)-r.max:]...)
	}
	return len(p), nil
}

func (r *ringBuffer) String() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return strings.TrimRight(string(r.b), "\n")
}

// httpClient is the client the harness uses for its own calls.
var httpClient = &http.Client{Timeout: 10 * time.Second}
