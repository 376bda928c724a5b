package main

import (
	"strings"
	"testing"
)

func TestParseMedians(t *testing.T) {
	in := `goos: linux
cpu: Test CPU
BenchmarkFloor/RS256-2   	 100	     30000 ns/op	    1856 B/op	      11 allocs/op
BenchmarkFloor/RS256-2   	 100	     10000 ns/op	    1856 B/op	      11 allocs/op
BenchmarkFloor/RS256-2   	 100	     20000 ns/op	    1856 B/op	      11 allocs/op
BenchmarkJwtgate/warm/RS256-2         	 1000	       204.2 ns/op	     304 B/op	       2 allocs/op
BenchmarkFiber/noauth   	 1000	       66.39 ns/op	       0 B/op	       0 allocs/op
PASS
`
	order, rows, header, err := parse(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := strings.Join(order, ","), "Floor/RS256,Jwtgate/warm/RS256,Fiber/noauth"; got != want {
		t.Errorf("order: got %s; want %s", got, want)
	}
	r := rows["Floor/RS256"]
	if r == nil || r.ns != 20000 || r.nsMin != 10000 || r.nsMax != 30000 || r.allocs != 11 || r.count != 3 {
		t.Errorf("Floor/RS256: got %+v; want median 20000, min 10000, max 30000, 11 allocs, 3 runs", r)
	}
	if r := rows["Fiber/noauth"]; r == nil || r.ns != 66.39 || r.allocs != 0 {
		t.Errorf("Fiber/noauth: got %+v; want 66.39 ns, 0 allocs", r)
	}
	if len(header) != 2 {
		t.Errorf("header: got %q; want goos and cpu lines", header)
	}
}

func TestAlgAndFramework(t *testing.T) {
	for _, tc := range []struct{ name, alg, fw string }{
		{"Floor/ES256", "ES256", ""},
		{"GolangJWT/ParserOnce-Struct/EdDSA", "EdDSA", ""},
		{"Gin/jwtgate-warm", "RS256", "Gin"},
		{"NetHTTP/noauth", "RS256", "NetHTTP"},
	} {
		if got := algOf(tc.name); got != tc.alg {
			t.Errorf("algOf(%s): got %s; want %s", tc.name, got, tc.alg)
		}
		if got := framework(tc.name); got != tc.fw {
			t.Errorf("framework(%s): got %q; want %q", tc.name, got, tc.fw)
		}
	}
}

func TestMedianEven(t *testing.T) {
	if got := median([]float64{4, 1, 3, 2}); got != 2.5 {
		t.Errorf("got %v; want 2.5", got)
	}
	if got := median(nil); got != 0 {
		t.Errorf("got %v; want 0", got)
	}
}
