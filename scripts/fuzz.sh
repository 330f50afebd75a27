#!/usr/bin/env bash
# fuzz.sh: runs every fuzz target of the module, one after another, and keeps the corpus they grow.
#
# Each `func FuzzXxx` in a *_test.go file runs for FUZZTIME (default 60s) with one fuzz worker
# (-parallel 1), so that it takes one core and leaves the rest of the machine alone; the 20 targets of
# today take about 22 minutes. The inputs a run finds interesting (new coverage) go from Go's fuzz cache
# ($GOCACHE/fuzz/PKG/FuzzXxx) into the package's testdata/fuzz/FuzzXxx/, where `go test` replays them
# as ordinary tests and git keeps them. When a target finds more than FUZZKEEP (default 64) new inputs,
# only the FUZZKEEP smallest are kept: a small, reviewable corpus rather than thousands of files.
# Each new input is minimized for at most FUZZMINIMIZETIME (default 5s): with go test's default of 60s,
# minimizing the first interesting input of a slow target (agent's FuzzParse, 1.7 KB seeds) took the
# whole minute, and the target ran 6 inputs.
# A crash (a failing input) is written by go test itself into testdata/fuzz/FuzzXxx/; it is a bug:
# fix it and commit the input as a seed.
#
# Not part of scripts/test.sh (which replays the committed corpus only).
#
# usage: scripts/fuzz.sh [REGEXP]   REGEXP (optional) picks targets by name, e.g. scripts/fuzz.sh 'MsgPack'
# environment: FUZZTIME=60s  FUZZKEEP=64  FUZZMINIMIZETIME=5s  EDGEWAMP_FUZZ_OUT=dir for logs (default bin/fuzz)
# exit status: 1 when any target failed (crash, or did not build), else 0.
set -uo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
FUZZTIME="${FUZZTIME:-60s}"
FUZZKEEP="${FUZZKEEP:-64}"
FUZZMINIMIZETIME="${FUZZMINIMIZETIME:-5s}"
PICK="${1:-.}"
OUT="${EDGEWAMP_FUZZ_OUT:-$ROOT/bin/fuzz}"
mkdir -p "$OUT"
command -v go >/dev/null || { echo "fuzz.sh: go is not installed" >&2; exit 1; }
CACHE="$(go env GOCACHE)/fuzz"
MODULE="$(go list -m)"

# targets: "dir name" for every fuzz function of the module.
mapfile -t TARGETS < <(grep -rn --include='*_test.go' '^func Fuzz[A-Za-z0-9_]*(' . |
  sed -E 's#^\./(.*)/[^/]*_test\.go:[0-9]+:func (Fuzz[A-Za-z0-9_]*)\(.*#\1 \2#' | sort -u | awk -v pick="$PICK" '$2 ~ pick')
[ "${#TARGETS[@]}" -gt 0 ] || { echo "fuzz.sh: no fuzz target matches $PICK" >&2; exit 1; }

declare -a SUMMARY=()
failed=0
for target in "${TARGETS[@]}"; do
  dir=${target% *}
  name=${target#* }
  pkg="$MODULE/$dir"
  cached="$CACHE/$pkg/$name"
  corpus="$dir/testdata/fuzz/$name"
  log="$OUT/${dir//\//_}-$name.log"
  mkdir -p "$cached"
  before="$(mktemp)"
  ls "$cached" | sort >"$before"
  echo "==== $pkg $name ($FUZZTIME)"
  go test -run '^$' -fuzz "^${name}\$" -fuzztime "$FUZZTIME" -fuzzminimizetime "$FUZZMINIMIZETIME" -parallel 1 "./$dir" >"$log" 2>&1
  rc=$?
  tail -n 3 "$log"
  # the new interesting inputs, smallest first, at most FUZZKEEP of them
  mapfile -t fresh < <(ls "$cached" | sort | comm -13 "$before" - |
    while read -r f; do [ -e "$corpus/$f" ] || echo "$(stat -c %s "$cached/$f") $f"; done | sort -n | head -n "$FUZZKEEP" | cut -d' ' -f2)
  total=$(ls "$cached" | sort | comm -13 "$before" - | wc -l)
  rm -f "$before"
  if [ "${#fresh[@]}" -gt 0 ]; then
    mkdir -p "$corpus"
    for f in "${fresh[@]}"; do cp "$cached/$f" "$corpus/$f"; done
  fi
  line="$dir $name: ${#fresh[@]} of $total new inputs kept in $corpus"
  if [ "$rc" != 0 ]; then
    line="$line; FAILED (exit $rc), see $log"
    grep -E 'Failing input written to|--- FAIL' "$log" | head -n 5
    failed=1
  fi
  echo "$line"
  SUMMARY+=("$line")
done

echo
echo "==================== fuzz summary ($FUZZTIME per target) ===================="
printf '%s\n' "${SUMMARY[@]}"
exit $failed
