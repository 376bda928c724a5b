// Command benchtable reads `go test -bench -benchmem` output (from a file
// argument or standard input) and prints, as Markdown, the median of every
// row, each row as a multiple of its algorithm's raw crypto floor, and the
// ratios behind the targets of docs/PERFORMANCE.md. All ratios are between rows of the
// same run.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"os"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

type samples struct {
	ns, cpu, bytes, allocs []float64
}

type row struct {
	name                   string
	ns, cpu, bytes, allocs float64 // medians; cpu is 0 when the run has no cpu-ns/op
	nsMin, nsMax           float64
	count                  int
}

var (
	lineRE   = regexp.MustCompile(`^(Benchmark\S+?)(?:-\d+)?\s+\d+\s+(.*)$`)
	metricRE = regexp.MustCompile(`([\d.]+) (\S+)`)
)

func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func parse(r io.Reader) ([]string, map[string]*row, []string, error) {
	var order []string
	data := map[string]*samples{}
	var header []string
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		for _, p := range []string{"goos:", "goarch:", "cpu:"} {
			if strings.HasPrefix(line, p) && !contains(header, line) {
				header = append(header, line)
			}
		}
		m := lineRE.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		name := strings.TrimPrefix(m[1], "Benchmark")
		s, ok := data[name]
		if !ok {
			s = &samples{}
			data[name] = s
			order = append(order, name)
		}
		metrics := map[string]float64{}
		for _, mm := range metricRE.FindAllStringSubmatch(m[2], -1) {
			metrics[mm[2]], _ = strconv.ParseFloat(mm[1], 64)
		}
		s.ns, s.bytes, s.allocs = append(s.ns, metrics["ns/op"]), append(s.bytes, metrics["B/op"]), append(s.allocs, metrics["allocs/op"])
		if v, ok := metrics["cpu-ns/op"]; ok {
			s.cpu = append(s.cpu, v)
		}
	}
	rows := map[string]*row{}
	for name, s := range data {
		r := &row{name: name, ns: median(s.ns), cpu: median(s.cpu), bytes: median(s.bytes), allocs: median(s.allocs), count: len(s.ns)}
		r.nsMin, r.nsMax = s.ns[0], s.ns[0]
		for _, v := range s.ns {
			r.nsMin, r.nsMax = min(r.nsMin, v), max(r.nsMax, v)
		}
		rows[name] = r
	}
	return order, rows, header, sc.Err()
}

func contains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// algOf is the algorithm a row runs: its last path element for library rows,
// RS256 for framework rows.
func algOf(name string) string {
	for _, a := range []string{"RS256", "ES256", "EdDSA", "HS256"} {
		if strings.HasSuffix(name, "/"+a) {
			return a
		}
	}
	return "RS256"
}

// framework is the framework prefix of a framework row, or "".
func framework(name string) string {
	for _, f := range []string{"NetHTTP", "Gin", "Echo", "Fiber"} {
		if strings.HasPrefix(name, f+"/") {
			return f
		}
	}
	return ""
}

func us(ns float64) string {
	if ns < 10000 {
		return strconv.FormatFloat(ns/1000, 'f', 3, 64)
	}
	return strconv.FormatFloat(ns/1000, 'f', 1, 64)
}

func x(v float64) string { return strconv.FormatFloat(v, 'f', 2, 64) + "×" }

func verdict(ok bool) string {
	if ok {
		return "met"
	}
	return "**not met**"
}

func main() {
	wall := flag.Bool("wall", false, "compute ratios on wall time (ns/op) even when cpu-ns/op is present")
	flag.Usage = func() {
		fmt.Fprintln(os.Stderr, "usage: benchtable [-wall] [go-test-bench-output-file]")
		flag.PrintDefaults()
	}
	flag.Parse()
	in := io.Reader(os.Stdin)
	if flag.NArg() > 0 {
		f, err := os.Open(flag.Arg(0))
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		defer f.Close()
		in = f
	}
	order, rows, header, err := parse(in)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if len(rows) == 0 {
		fmt.Fprintln(os.Stderr, "benchtable: no benchmark lines")
		os.Exit(1)
	}
	useCPU := !*wall
	for _, r := range rows {
		if r.cpu == 0 {
			useCPU = false
		}
	}
	cost := func(r *row) float64 { return r.ns }
	basis := "wall time (ns/op)"
	if useCPU {
		cost = func(r *row) float64 { return r.cpu }
		basis = "CPU time (cpu-ns/op: process user+system time per op, GC included)"
	}

	// Group rows: floors, library level, then framework by framework; run
	// order within a group.
	groups := []string{"Floor/", "Jwtgate/", "JwtgateParallel/", "GolangJWT/", "GoOIDC/", "JWX/", "NetHTTP/", "Gin/", "Echo/", "Fiber/"}
	group := func(n string) int {
		for i, g := range groups {
			if strings.HasPrefix(n, g) {
				return i
			}
		}
		return len(groups)
	}
	sort.SliceStable(order, func(i, j int) bool { return group(order[i]) < group(order[j]) })
	for _, h := range header {
		fmt.Println("    " + h)
	}
	fmt.Println()
	fmt.Println("Medians of every row; ratios on " + basis + ".")
	fmt.Println()
	fmt.Println("| row | wall µs/op | wall min–max | CPU µs/op | allocs/op | B/op | × raw floor | runs |")
	fmt.Println("|---|---:|---:|---:|---:|---:|---:|---:|")
	for _, name := range order {
		r := rows[name]
		floor := "–"
		if f, ok := rows["Floor/"+algOf(name)]; ok && cost(f) > 0 && !strings.HasSuffix(name, "/noauth") && !strings.HasSuffix(name, "/context-only") {
			floor = x(cost(r) / cost(f))
		}
		cpu := "–"
		if r.cpu > 0 {
			cpu = us(r.cpu)
		}
		fmt.Printf("| %s | %s | %s–%s | %s | %.0f | %.0f | %s | %d |\n", name, us(r.ns), us(r.nsMin), us(r.nsMax), cpu, r.allocs, r.bytes, floor, r.count)
	}
	targets(rows, cost)
}

func targets(rows map[string]*row, cost func(*row) float64) {
	get := func(n string) *row { return rows[n] }
	fmt.Println()
	fmt.Println("Targets ([docs/PERFORMANCE.md](../docs/PERFORMANCE.md#targets)), ratios between rows of this run:")
	fmt.Println()
	fmt.Println("| target | measured | verdict |")
	fmt.Println("|---|---|---|")

	// 1a: warm Verify cost and speed-up over every peer's per-request cost.
	for _, alg := range []string{"RS256", "ES256", "EdDSA"} {
		w := get("Jwtgate/warm/" + alg)
		if w == nil {
			continue
		}
		fmt.Printf("| 1. warm `Verify` %s ≤ 1.5 µs, ≤ 4 allocs | %s µs, %.0f allocs | %s |\n",
			alg, us(cost(w)), w.allocs, verdict(cost(w) <= 1500 && w.allocs <= 4))
		worst, worstName := 0.0, ""
		for name, p := range rows {
			var c float64
			switch {
			case algOf(name) != alg:
				continue
			case strings.HasPrefix(name, "GolangJWT/"), strings.HasPrefix(name, "JWX/"), strings.HasPrefix(name, "GoOIDC/"):
				c = cost(p)
			case framework(name) != "" && !strings.Contains(name, "jwtgate") && !strings.HasSuffix(name, "/noauth") &&
				!strings.HasSuffix(name, "/context-only"):
				fl := get(framework(name) + "/noauth")
				if fl == nil {
					continue
				}
				c = cost(p) - cost(fl) // the peer's cost above its framework's floor
			default:
				continue
			}
			if sp := c / cost(w); worstName == "" || sp < worst {
				worst, worstName = sp, name
			}
		}
		if worstName != "" {
			fmt.Printf("| 1. warm `Verify` %s ≥ 20× faster than every peer | slowest speed-up %s (vs %s) | %s |\n",
				alg, x(worst), worstName, verdict(worst >= 20))
		}
	}
	// 1b: adapters warm vs the framework's no-auth request.
	for _, f := range []string{"NetHTTP", "Gin", "Echo", "Fiber"} {
		w, n := get(f+"/jwtgate-warm"), get(f+"/noauth")
		if w == nil || n == nil {
			continue
		}
		floor := ""
		if c := get(f + "/context-only"); c != nil {
			floor = fmt.Sprintf("; context-only middleware %s, jwtgate's own work +%s µs, +%.0f allocs over it",
				x(cost(c)/cost(n)), us(cost(w)-cost(c)), w.allocs-c.allocs)
		}
		fmt.Printf("| 1. %s + jwtgate (warm) ≤ 1.5× no-auth | %s µs / %s µs = %s (+%s µs, +%.0f allocs%s) | %s |\n",
			f, us(cost(w)), us(cost(n)), x(cost(w)/cost(n)), us(cost(w)-cost(n)), w.allocs-n.allocs, floor, verdict(cost(w)/cost(n) <= 1.5))
	}
	// 3: cold vs the hand-written golang-jwt + keyfunc middleware.
	for _, alg := range []string{"RS256", "ES256", "EdDSA"} {
		c, h := get("Jwtgate/cold/"+alg), get("GolangJWT/ParserOnce-Struct/"+alg)
		if c == nil || h == nil {
			continue
		}
		fmt.Printf("| 3. cold `Verify` %s ≤ 1.10× golang-jwt parser-once + keyfunc, allocs ≤ | %s (%s vs %s µs), %.0f vs %.0f allocs | %s |\n",
			alg, x(cost(c)/cost(h)), us(cost(c)), us(cost(h)), c.allocs, h.allocs, verdict(cost(c)/cost(h) <= 1.10 && c.allocs <= h.allocs))
	}
	if c, h := get("NetHTTP/jwtgate-cold"), get("NetHTTP/handwritten-golang-jwt"); c != nil && h != nil {
		fmt.Printf("| 3. net/http + jwtgate (cold) ≤ 1.10× hand-written net/http middleware, allocs ≤ | %s (%s vs %s µs), %.0f vs %.0f allocs | %s |\n",
			x(cost(c)/cost(h)), us(cost(c)), us(cost(h)), c.allocs, h.allocs, verdict(cost(c)/cost(h) <= 1.10 && c.allocs <= h.allocs))
	}
	// Context: each framework's peer against jwtgate through the same framework.
	peers := map[string]string{"NetHTTP": "auth0", "Gin": "gin-jwt", "Echo": "echo-jwt", "Fiber": "contrib-jwt"}
	for _, f := range []string{"NetHTTP", "Gin", "Echo", "Fiber"} {
		c, w, p := get(f+"/jwtgate-cold"), get(f+"/jwtgate-warm"), get(f+"/"+peers[f])
		if p == nil || c == nil || w == nil {
			continue
		}
		fmt.Printf("| (context) %s: peer %s ÷ jwtgate | cold %s, warm %s | – |\n", f, peers[f], x(cost(p)/cost(c)), x(cost(p)/cost(w)))
	}
}
