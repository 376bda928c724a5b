// Package bench holds jwtgate's side-by-side benchmarks against the raw
// crypto floors and the popular Go JWT middlewares, and a loopback load test.
//
// It is its own module (github.com/jwtgate/jwtgate/bench, with a replace to
// the root module) so that the peers it measures never enter jwtgate's go.mod.
// Everything lives in _test.go files; run ./run.sh for the ratio table. See
// README.md.
package bench
