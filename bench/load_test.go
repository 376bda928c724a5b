package bench

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/gofiber/fiber/v2"
)

// The loopback load test: each framework serves GET / on 127.0.0.1 with no
// auth, with jwtgate (warm cache) and with its popular peer, and a load
// generator sends the same token on every request over 50 kept-alive
// connections for a bounded time (and, with the Go client, a bounded count).
// It runs only with JWTGATE_LOAD=1 so that `go test` in bench/ stays quick.
//
//	JWTGATE_LOAD=1            run it
//	JWTGATE_LOAD_DURATION=3s  time per server and round (default 3s)
//	JWTGATE_LOAD_ROUNDS=3     rounds; the servers of a framework take turns
//	JWTGATE_LOAD_MAX=2000000  request cap per server for the Go client
//	JWTGATE_LOAD_CLIENT=go    use the Go client even when wrk is installed
//	JWTGATE_LOAD_PIN=1        run wrk with `taskset -c 1` (run.sh pins this
//	                          process to CPU 0 with GOMAXPROCS=1)
const loadConns = 50

// loadTarget is one server to put under load.
type loadTarget struct {
	framework, mode string
	start           func(t *testing.T) (url string, stop func())
}

// startHTTP serves h on a fresh 127.0.0.1 port.
func startHTTP(t *testing.T, h http.Handler) (string, func()) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	done := make(chan struct{})
	go func() { srv.Serve(ln); close(done) }()
	return "http://" + ln.Addr().String() + "/", func() { srv.Close(); <-done }
}

// startFiber serves app on a fresh 127.0.0.1 port.
func startFiber(t *testing.T, app *fiber.App) (string, func()) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { app.Listener(ln); close(done) }()
	return "http://" + ln.Addr().String() + "/", func() { app.Shutdown(); <-done }
}

// peerLoadTargets are the no-auth servers and the peers.
func peerLoadTargets() []loadTarget {
	return []loadTarget{
		{"NetHTTP", "noauth", func(t *testing.T) (string, func()) { return startHTTP(t, http.HandlerFunc(okHTTP)) }},
		{"NetHTTP", "auth0", func(t *testing.T) (string, func()) {
			return startHTTP(t, auth0Middleware(t)(http.HandlerFunc(auth0OK)))
		}},
		{"Gin", "noauth", func(t *testing.T) (string, func()) { return startHTTP(t, newGin()) }},
		{"Gin", "gin-jwt", func(t *testing.T) (string, func()) {
			gin.SetMode(gin.ReleaseMode)
			e := gin.New()
			e.GET("/", ginJWTPeer(t), ginJWTPeerOK)
			return startHTTP(t, e)
		}},
		{"Echo", "noauth", func(t *testing.T) (string, func()) { return startHTTP(t, newEcho(okEcho)) }},
		{"Echo", "echo-jwt", func(t *testing.T) (string, func()) {
			return startHTTP(t, newEcho(echoJWTPeerOK, echoJWTPeer(t)))
		}},
		{"Fiber", "noauth", func(t *testing.T) (string, func()) { return startFiber(t, newFiber(okFiber)) }},
		{"Fiber", "contrib-jwt", func(t *testing.T) (string, func()) {
			return startFiber(t, newFiber(fiberContribPeerOK, fiberContribPeer()))
		}},
	}
}

// loadResult is one load run against one server.
type loadResult struct {
	reqs    int64
	elapsed time.Duration
	rps     float64
	bad     int64 // non-200 answers and socket errors
}

func TestLoad(t *testing.T) {
	if os.Getenv("JWTGATE_LOAD") == "" {
		t.Skip("loopback load test: set JWTGATE_LOAD=1 to run it (see run.sh)")
	}
	dur := 3 * time.Second
	if s := os.Getenv("JWTGATE_LOAD_DURATION"); s != "" {
		d, err := time.ParseDuration(s)
		if err != nil {
			t.Fatal(err)
		}
		dur = d
	}
	rounds := 3
	if s := os.Getenv("JWTGATE_LOAD_ROUNDS"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			t.Fatalf("JWTGATE_LOAD_ROUNDS=%q: want a positive integer", s)
		}
		rounds = n
	}
	maxReqs := int64(2_000_000)
	if s := os.Getenv("JWTGATE_LOAD_MAX"); s != "" {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			t.Fatal(err)
		}
		maxReqs = n
	}
	wrk, _ := exec.LookPath("wrk")
	if os.Getenv("JWTGATE_LOAD_CLIENT") == "go" {
		wrk = ""
	}
	pin := os.Getenv("JWTGATE_LOAD_PIN") != ""
	client := "Go client (in process)"
	if wrk != "" {
		client = "wrk -t1"
		if pin {
			client += " pinned to CPU 1, server pinned to CPU 0 (GOMAXPROCS=1)"
		}
	}
	auth := fx.bearer(frameworkAlg)

	// Per framework: no auth first, then jwtgate, then the peer; the three
	// servers take turns for several rounds so that a change in the
	// machine's background load hits all of them alike. Medians are quoted.
	rank := func(mode string) int {
		switch mode {
		case "noauth":
			return 0
		case "jwtgate-warm":
			return 1
		}
		return 2
	}
	all := append(peerLoadTargets(), jwtgateLoadTargets()...)
	var frameworks []string
	byFW := map[string][]loadTarget{}
	for _, tg := range all {
		if _, ok := byFW[tg.framework]; !ok {
			frameworks = append(frameworks, tg.framework)
		}
		byFW[tg.framework] = append(byFW[tg.framework], tg)
	}
	type result struct {
		rps  []float64
		reqs int64
	}
	results := map[string]*result{}
	for _, fw := range frameworks {
		tgs := byFW[fw]
		sort.SliceStable(tgs, func(i, j int) bool { return rank(tgs[i].mode) < rank(tgs[j].mode) })
		urls := make([]string, len(tgs))
		for i, tg := range tgs {
			url, stop := tg.start(t)
			defer stop()
			// Warm (and fill the token cache) and check once before measuring.
			if err := getOnce(url, auth); err != nil {
				t.Fatalf("%s/%s: %v", tg.framework, tg.mode, err)
			}
			urls[i] = url
			results[fw+"/"+tg.mode] = &result{}
		}
		for range rounds {
			for i, tg := range tgs {
				var r loadResult
				var err error
				if wrk != "" {
					r, err = runWrk(wrk, pin, urls[i], auth, dur)
				} else {
					r, err = runGoClient(urls[i], auth, dur, maxReqs)
				}
				if err != nil {
					t.Fatalf("%s/%s: %v", tg.framework, tg.mode, err)
				}
				if r.bad != 0 {
					t.Errorf("%s/%s: %d failed requests; want 0", tg.framework, tg.mode, r.bad)
				}
				res := results[fw+"/"+tg.mode]
				res.rps = append(res.rps, r.rps)
				res.reqs += r.reqs
			}
		}
	}

	fmt.Printf("\nLoopback load: %s, %d connections, %d rounds × %v per server (servers take turns), same %s token on every request\n\n",
		client, loadConns, rounds, dur, frameworkAlg)
	fmt.Println("| framework | server | requests | req/s (median) | req/s (min–max) | × no-auth |")
	fmt.Println("|---|---|---:|---:|---:|---:|")
	for _, fw := range frameworks {
		base := median(results[fw+"/noauth"].rps)
		for _, tg := range byFW[fw] {
			r := results[fw+"/"+tg.mode]
			m := median(r.rps)
			lo, hi := r.rps[0], r.rps[0]
			for _, v := range r.rps {
				lo, hi = min(lo, v), max(hi, v)
			}
			ratio := "–"
			if tg.mode != "noauth" && base > 0 {
				ratio = fmt.Sprintf("%.0f%%", 100*m/base)
				if tg.mode == "jwtgate-warm" {
					if m/base >= 0.8 {
						ratio += " (target ≥ 80%: met)"
					} else {
						ratio += " (target ≥ 80%: **not met**)"
					}
				}
			}
			fmt.Printf("| %s | %s | %d | %.0f | %.0f–%.0f | %s |\n", fw, tg.mode, r.reqs, m, lo, hi, ratio)
		}
	}
}

// median of v (v is reordered).
func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	sort.Float64s(v)
	if len(v)%2 == 1 {
		return v[len(v)/2]
	}
	return (v[len(v)/2-1] + v[len(v)/2]) / 2
}

// getOnce sends one request and wants 200 "ok".
func getOnce(url, auth string) error {
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", auth)
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || string(body) != "ok" {
		return fmt.Errorf("got %d %q; want 200 ok", resp.StatusCode, body)
	}
	return nil
}

var (
	wrkRPS    = regexp.MustCompile(`Requests/sec:\s+([\d.]+)`)
	wrkTotal  = regexp.MustCompile(`(\d+) requests in ([\d.]+)(\w+)`)
	wrkNon2xx = regexp.MustCompile(`Non-2xx or 3xx responses: (\d+)`)
	wrkSock   = regexp.MustCompile(`Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)`)
)

// runWrk runs wrk against url for dur and parses its summary.
func runWrk(wrk string, pin bool, url, auth string, dur time.Duration) (loadResult, error) {
	args := []string{"-t1", "-c" + strconv.Itoa(loadConns), "-d" + strconv.Itoa(max(1, int(dur.Seconds()))) + "s", "-H", "Authorization: " + auth, url}
	name := wrk
	if pin {
		name, args = "taskset", append([]string{"-c", "1", wrk}, args...)
	}
	ctx, cancel := context.WithTimeout(context.Background(), dur+30*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, name, args...).CombinedOutput()
	if err != nil {
		return loadResult{}, fmt.Errorf("wrk: %w: %s", err, out)
	}
	s := string(out)
	m := wrkRPS.FindStringSubmatch(s)
	if m == nil {
		return loadResult{}, errors.New("wrk: no Requests/sec in output: " + s)
	}
	var r loadResult
	r.rps, _ = strconv.ParseFloat(m[1], 64)
	if m := wrkTotal.FindStringSubmatch(s); m != nil {
		r.reqs, _ = strconv.ParseInt(m[1], 10, 64)
	}
	if m := wrkNon2xx.FindStringSubmatch(s); m != nil {
		n, _ := strconv.ParseInt(m[1], 10, 64)
		r.bad += n
	}
	if m := wrkSock.FindStringSubmatch(s); m != nil {
		for _, v := range m[1:] {
			n, _ := strconv.ParseInt(v, 10, 64)
			r.bad += n
		}
	}
	r.elapsed = dur
	return r, nil
}

// runGoClient is a lean HTTP/1.1 client: loadConns goroutines, each with one
// kept-alive connection, sending the same request until dur has passed or
// maxReqs requests have been answered.
func runGoClient(url, auth string, dur time.Duration, maxReqs int64) (loadResult, error) {
	host := strings.TrimSuffix(strings.TrimPrefix(url, "http://"), "/")
	raw := []byte("GET / HTTP/1.1\r\nHost: " + host + "\r\nAuthorization: " + auth + "\r\n\r\n")
	var done, bad atomic.Int64
	var firstErr error
	var once sync.Once
	deadline := time.Now().Add(dur)
	start := time.Now()
	var wg sync.WaitGroup
	for range loadConns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			conn, err := net.Dial("tcp", host)
			if err != nil {
				once.Do(func() { firstErr = err })
				return
			}
			defer conn.Close()
			br := bufio.NewReader(conn)
			for time.Now().Before(deadline) && done.Load() < maxReqs {
				if _, err := conn.Write(raw); err != nil {
					once.Do(func() { firstErr = err })
					return
				}
				resp, err := http.ReadResponse(br, nil)
				if err != nil {
					once.Do(func() { firstErr = err })
					return
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					bad.Add(1)
				}
				done.Add(1)
			}
		}()
	}
	wg.Wait()
	el := time.Since(start)
	if firstErr != nil {
		return loadResult{}, firstErr
	}
	n := done.Load()
	return loadResult{reqs: n, elapsed: el, rps: float64(n) / el.Seconds(), bad: bad.Load()}, nil
}
