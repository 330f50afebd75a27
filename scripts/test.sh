#!/usr/bin/env bash
# test.sh: THE test command of edgewamp. Runs, from the repository root:
#   1. scripts/install-peers.sh   the independent WAMP peers of the interop matrix (quick when present)
#   2. gofmt -l                   every Go file formatted
#   3. go vet ./...
#   4. go test -race -count=1 ./...   with EDGEWAMP_INTEROP=1, so the interop matrix cannot skip
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

go_test() {
  EDGEWAMP_INTEROP=1 EDGEWAMP_INTEROP_REPORT="$OUT/interop-matrix.txt" \
    go test -race -count=1 -timeout 15m ./...
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
  return $rc
}

T0=$SECONDS
step install-peers ./scripts/install-peers.sh
step gofmt gofmt_check
step vet go vet ./...
step test go_test
step cross-build cross_build

echo
echo "==================== summary ===================="
if [ -f "$OUT/interop-matrix.txt" ]; then
  cat "$OUT/interop-matrix.txt"
  echo
else
  echo "interop matrix: no report (the interop test did not run to its end; see $OUT/test.log)"
  echo
fi
if [ -f "$OUT/test.log" ]; then
  echo "go test packages: $(grep -c '^ok' "$OUT/test.log") ok, $(grep -c '^FAIL' "$OUT/test.log") FAIL lines, $(grep -c '^?' "$OUT/test.log") without tests"
  grep '^FAIL\|^--- FAIL' "$OUT/test.log" | head -40
fi
for i in "${!NAMES[@]}"; do
  printf '  %-14s %-16s %s\n' "${NAMES[$i]}" "${RESULTS[$i]}" "${TIMES[$i]}"
done
echo "total: $((SECONDS - T0))s; logs in $OUT"
if [ "$failed" != 0 ]; then
  echo "test.sh: FAILED"
  exit 1
fi
echo "test.sh: all steps passed"
