#!/usr/bin/env bash
# test.sh: THE test command of edgewamp. Runs, from the repository root:
#   1. scripts/install-peers.sh   the independent WAMP peers of the interop matrix (quick when present)
#      examples/arduino-yun/install-deps.sh   avr-gcc, the Arduino core and simavr for the Yun sketch
#   2. gofmt -l                   every Go file formatted
#   3. go vet ./...
#   4. go test -race -count=1 ./...   with EDGEWAMP_INTEROP=1, so the interop matrix cannot skip
#      and the allocation tests again without -race (race instrumentation allocates, so they skip under it)
#   5. cross builds               CGO_ENABLED=0 linux/arm (GOARM=7 and 6), arm64, mips and mipsle (softfloat)
# and prints a summary with each step's result and time, and the interop matrix. Every step runs even
# when an earlier one failed (except that nothing runs without Go); the exit status is 1 when any failed.
#
# usage: scripts/test.sh            (environment: EDGEWAMP_TEST_OUT=dir for logs, default bin/test)
# No fuzzing here: fuzz targets' seeds run as ordinary tests. Bounded: go test has -timeout 15m.
set -uo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
OUT="${EDGEWAMP_TEST_OUT:-$ROOT/bin/test}"
mkdir -p "$OUT"
rm -f "$OUT"/*.log "$OUT/interop-matrix.txt"

command -v go >/dev/null || { echo "test.sh: go is not installed" >&2; exit 1; }

declare -a NAMES=() RESULTS=() TIMES=()
failed=0

# step NAME CMD...: runs CMD with its output shown and kept in $OUT/NAME.log, and records the result.
step() {
  local name=$1
  shift
  echo
  echo "==== $name: $*"
  local t0=$SECONDS rc
  "$@" 2>&1 | tee "$OUT/$name.log"
  rc=${PIPESTATUS[0]}
  NAMES+=("$name")
  TIMES+=("$((SECONDS - t0))s")
  if [ "$rc" = 0 ]; then
    RESULTS+=("ok")
  else
    RESULTS+=("FAIL (exit $rc)")
    failed=1
  fi
}

gofmt_check() {
  local files
  files="$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go' -not -path './interop/node/*'))"
  if [ -n "$files" ]; then
    echo "not gofmt-ed:"
    echo "$files"
    return 1
  fi
  echo "all Go files gofmt-ed"
}

# go_test runs every package's tests verbosely into $OUT/go-test-v.log and shows the package lines and
# each failure (with the lines logged under it); the counts of the summary come from that log.
go_test() {
  local rc
  EDGEWAMP_INTEROP=1 EDGEWAMP_INTEROP_REPORT="$OUT/interop-matrix.txt" \
    go test -race -count=1 -timeout 15m -v ./... >"$OUT/go-test-v.log" 2>&1
  rc=$?
  awk '
    # The t.Log and t.Error lines of a test come under its "=== RUN/CONT/NAME" line, before its "--- FAIL": they are
    # kept per test (bounded) and shown with the failure.
    /^=== (RUN|CONT|NAME|PAUSE) / { cur = $3; show = 0; next }
    /^(ok|FAIL|\?)[ \t]/ || /^FAIL$/ { print; show = 0; next }
    /^panic: / { print; show = 0; pn = 40; next }
    pn > 0 { print; pn--; next }
    /^ *--- FAIL: / { print; printf "%s", logs[$3]; delete logs[$3]; show = 1; next }
    /^ *--- (PASS|SKIP): / { delete logs[$3]; show = 0; next }
    /^(PASS|ok)$/ { show = 0; next }
    show { print; next }
    /^[ \t]+[^ \t]*_test\.go:[0-9]+: / && cur != "" && length(logs[cur]) < 4000 { logs[cur] = logs[cur] $0 "\n" }
  ' "$OUT/go-test-v.log" | tee "$OUT/go-test-failures.log"
  return $rc
}

cross_build() {
  local rc=0 target
  for target in "arm GOARM=7" "arm GOARM=6" "arm64" "mips GOMIPS=softfloat" "mipsle GOMIPS=softfloat"; do
    set -- $target
    local arch=$1
    shift
    echo "-- GOOS=linux GOARCH=$arch $* CGO_ENABLED=0 go build ./..."
    if ! env CGO_ENABLED=0 GOOS=linux GOARCH="$arch" "$@" go build ./...; then
      echo "   FAILED"
      rc=1
    fi
  done
  # the edge-agents with their tags from scripts/agent-build.conf (full, and minimal: no TLS, no auth)
  local tags full extra
  full="$(sed -n 's/^full_tags=//p' scripts/agent-build.conf)"
  extra="$(sed -n 's/^minimal_extra_tags=//p' scripts/agent-build.conf)"
  for tags in "$full" "$extra,$full"; do
    echo "-- GOOS=linux GOARCH=arm GOARM=7 CGO_ENABLED=0 go build -tags $tags ./cmd/edge-agent"
    if ! env CGO_ENABLED=0 GOOS=linux GOARCH=arm GOARM=7 go build -o /dev/null -tags "$tags" ./cmd/edge-agent; then
      echo "   FAILED"
      rc=1
    fi
  done
  return $rc
}

T0=$SECONDS
step install-peers ./scripts/install-peers.sh
step install-avr sh ./examples/arduino-yun/install-deps.sh
step gofmt gofmt_check
step vet go vet ./...
step test go_test
step allocs go test -count=1 -run 'Allocs$|AllocatesNothing|NoAlloc' -v ./wamp ./device ./serialtransport ./rawsocket
step cross-build cross_build

echo
echo "==================== summary ===================="
if [ -f "$OUT/interop-matrix.txt" ]; then
  cat "$OUT/interop-matrix.txt"
  echo
else
  echo "interop matrix: no report (the interop test did not run to its end; see $OUT/go-test-v.log)"
  echo
fi
for i in "${!NAMES[@]}"; do
  printf '  %-14s %-16s %s\n' "${NAMES[$i]}" "${RESULTS[$i]}" "${TIMES[$i]}"
done
echo "total: $((SECONDS - T0))s; logs in $OUT"
if [ -f "$OUT/go-test-failures.log" ] && grep -q -E '^ *--- FAIL|^panic: ' "$OUT/go-test-failures.log"; then
  # repeated here, at the end, so that a CI report's tail shows why
  echo "failures (first 60 lines; all in $OUT/go-test-v.log):"
  grep -v -E '^(ok|\?)[[:space:]]' "$OUT/go-test-failures.log" | head -60 | sed 's/^/  | /'
fi
if [ "$failed" != 0 ]; then
  echo "test.sh: FAILED"
else
  echo "test.sh: all steps passed"
fi
if [ -f "$OUT/go-test-v.log" ]; then
  # tests and subtests, from go test -v
  pass=$(grep -c -E '^ *--- PASS' "$OUT/go-test-v.log")
  fail=$(grep -c -E '^ *--- FAIL' "$OUT/go-test-v.log")
  skip=$(grep -c -E '^ *--- SKIP' "$OUT/go-test-v.log")
  echo "go packages: $(grep -c -E '^ok[[:space:]]' "$OUT/go-test-v.log") ok, $(grep -c -E '^FAIL[[:space:]]' "$OUT/go-test-v.log") failed"
  echo "tests: $pass passed, $fail failed, $skip skipped"
fi
exit "$failed"
