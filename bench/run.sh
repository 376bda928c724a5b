#!/usr/bin/env bash
# run.sh: jwtgate's benchmarks against the raw floors and the peers: one
# test binary run COUNT times over every row (rounds, so that the rows of a
# ratio are measured minutes apart at most, never one after all samples of
# the other), then the ratio table of the medians, the loopback load test
# and CPU/alloc profiles of jwtgate's cold and warm paths.
#
#   ./run.sh                 everything (about 8 minutes on 2 cores)
#   COUNT=10 ./run.sh        more rounds, one sample per row each (default 5)
#   BENCH='Jwtgate|Floor'    only some rows (a -bench regexp; default .)
#   LOAD=0 PROFILE=0         skip the load test / the profiles
#   BENCHSTAT=1              also print benchstat's view of the same file
#   OUT=dir                  where raw output goes (default $TMPDIR/jwtgate-bench)
set -euo pipefail
cd "$(dirname "$0")"

COUNT=${COUNT:-5}
BENCH=${BENCH:-.}
BENCHTIME=${BENCHTIME:-1s}
OUT=${OUT:-${TMPDIR:-/tmp}/jwtgate-bench}
mkdir -p "$OUT"

echo "machine: nproc=$(nproc), $(go version | cut -d' ' -f3-), GOMAXPROCS=${GOMAXPROCS:-$(nproc)}"
echo "command: go test -c, then $COUNT rounds of: bench.test -test.run '^\$' -test.bench '$BENCH' -test.benchmem -test.count=1 -test.benchtime=$BENCHTIME"
echo

# 1. Every row once per round, COUNT rounds of one binary; the raw output is
#    kept for benchstat or a re-read. On a shared machine the speed drifts
#    by 2x within minutes; -count=N would take all N samples of one row
#    before the next row, so a ratio would compare rows from different
#    minutes. Rounds spread each row's samples over the whole run.
go test -c -o "$OUT/bench.test" .
: >"$OUT/bench.txt"
for i in $(seq "$COUNT"); do
	"$OUT/bench.test" -test.run '^$' -test.bench "$BENCH" -test.benchmem -test.count=1 \
		-test.benchtime="$BENCHTIME" -test.timeout 60m >>"$OUT/bench.txt"
done
go run ./cmd/benchtable "$OUT/bench.txt" | tee "$OUT/table.md"
if [ -n "${BENCHSTAT:-}" ]; then
	go run golang.org/x/perf/cmd/benchstat@latest "$OUT/bench.txt"
fi

# 2. Loopback load test. With wrk and two or more CPUs the server gets CPU 0
#    (GOMAXPROCS=1) and wrk CPU 1; otherwise an in-process Go client.
if [ "${LOAD:-1}" != 0 ]; then
	if command -v wrk >/dev/null && command -v taskset >/dev/null && [ "$(nproc)" -ge 2 ]; then
		JWTGATE_LOAD=1 JWTGATE_LOAD_PIN=1 GOMAXPROCS=1 taskset -c 0 \
			"$OUT/bench.test" -test.run '^TestLoad$' -test.v | grep -v '^=== RUN\|^--- PASS\|^PASS$'
	else
		JWTGATE_LOAD=1 "$OUT/bench.test" -test.run '^TestLoad$' -test.v | grep -v '^=== RUN\|^--- PASS\|^PASS$'
	fi
fi

# 3. Where jwtgate's time and allocations go: core cold (cache off) and warm,
#    and the warm path through the net/http and Fiber adapters, RS256.
if [ "${PROFILE:-1}" != 0 ]; then
	for p in 'Jwtgate/cold/RS256' 'Jwtgate/warm/RS256' 'NetHTTP/jwtgate-warm' 'Fiber/jwtgate-warm'; do
		f=$(echo "$p" | tr '/' '-')
		re="^Benchmark${p%%/*}\$/^$(echo "${p#*/}" | sed 's|/|$/^|g')\$"
		go test -run '^$' -bench "$re" -benchtime=3s -o "$OUT/bench.test" -cpuprofile "$OUT/$f.cpu" . | grep '^Benchmark'
		go test -run '^$' -bench "$re" -benchtime=3s -o "$OUT/bench.test" -memprofile "$OUT/$f.mem" . >/dev/null
		echo "--- $p: CPU, by cumulative time (top 25)"
		go tool pprof -top -cum -nodecount=25 "$OUT/bench.test" "$OUT/$f.cpu" 2>/dev/null | tail -n +6
		echo "--- $p: allocations, objects (top 10)"
		go tool pprof -top -nodecount=10 -sample_index=alloc_objects "$OUT/bench.test" "$OUT/$f.mem" 2>/dev/null | tail -n +6
	done
fi
