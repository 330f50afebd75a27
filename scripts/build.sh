#!/usr/bin/env bash
# build.sh: release binaries for the boards, into dist/<target>/.
#
# Each target gets edge-agent (full: RawSocket over TCP, TLS and Unix sockets, serial, authentication;
# its full_tags), edge-agent-minimal (RawSocket and serial only: adding minimal_extra_tags, no TLS and no
# authentication), both with the gcflags and segment alignment of scripts/agent-build.conf, and
# sensorbridge (default build), all static (CGO_ENABLED=0), stripped (-s -w) and -trimpath, with the version stamped
# through -ldflags -X main.version (what -version prints). A SHA256SUMS file is written per target, and
# the deployment kit (deploy/: install.sh, systemd units, OpenWrt init scripts, starting configurations)
# is copied next to the binaries, so that dist/<target>/ is the bundle to copy to a board.
#
#   target         GOOS/GOARCH            for
#   linux-armv6    arm, GOARM=6           Raspberry Pi Zero/1
#   linux-armv7    arm, GOARM=7           Raspberry Pi 2/3 (32-bit OS), BeagleBone
#   linux-arm64    arm64                  Raspberry Pi 3/4/5 (64-bit OS)
#   linux-mips     mips, softfloat        OpenWrt on big-endian MIPS (Arduino Yun, AR71xx/ath79)
#   linux-mipsle   mipsle, softfloat      OpenWrt on little-endian MIPS (MT7621/MT7628 routers)
#   linux-amd64    amd64                  gateways and PCs
#
# usage: scripts/build.sh [TARGET...]        (default: all of them)
#        VERSION=v1.2.3 scripts/build.sh    (default: git describe --tags --always --dirty, else "dev")
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"

ALL_TARGETS=(linux-armv6 linux-armv7 linux-arm64 linux-mips linux-mipsle linux-amd64)
# The agents' tags, gcflags and per-target segment alignment live in scripts/agent-build.conf, which the
# tests read too. AGENT_GCFLAGS in the environment overrides its gcflags (empty: build with inlining).
CONF=scripts/agent-build.conf
# setting prints the value of key $1 in $CONF (nothing when absent).
setting() { awk -v k="$1" 'index($0, k "=") == 1 { print substr($0, length(k) + 2); exit }' "$CONF"; }
AGENT_TAGS="$(setting full_tags)"
MINIMAL_TAGS="$(setting minimal_extra_tags),$AGENT_TAGS"
AGENT_GCFLAGS="${AGENT_GCFLAGS-$(setting gcflags)}"
[ -n "$AGENT_TAGS" ] && [ "$MINIMAL_TAGS" != ",$AGENT_TAGS" ] ||
  { echo "build.sh: $CONF lacks full_tags or minimal_extra_tags" >&2; exit 2; }

if [ -z "${VERSION:-}" ]; then
  VERSION="$(git describe --tags --always --dirty 2>/dev/null || echo dev)"
fi

# target_env prints the GOOS/GOARCH/GOARM/GOMIPS settings of a target.
target_env() {
  case "$1" in
    linux-armv6) echo "GOOS=linux GOARCH=arm GOARM=6" ;;
    linux-armv7) echo "GOOS=linux GOARCH=arm GOARM=7" ;;
    linux-arm64) echo "GOOS=linux GOARCH=arm64" ;;
    linux-mips) echo "GOOS=linux GOARCH=mips GOMIPS=softfloat" ;;
    linux-mipsle) echo "GOOS=linux GOARCH=mipsle GOMIPS=softfloat" ;;
    linux-amd64) echo "GOOS=linux GOARCH=amd64" ;;
    *) return 1 ;;
  esac
}

targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=("${ALL_TARGETS[@]}")
for t in "${targets[@]}"; do
  target_env "$t" >/dev/null || { echo "build.sh: unknown target $t (want: ${ALL_TARGETS[*]})" >&2; exit 2; }
done

for t in "${targets[@]}"; do
  ldflags="-s -w -X main.version=$VERSION"
  rq="$(setting "align.$t")"
  [ -z "$rq" ] || ldflags="$ldflags -R $rq"
  out="dist/$t"
  mkdir -p "$out"
  # shellcheck disable=SC2046 # target_env's words are separate VAR=value assignments
  set -- $(target_env "$t")
  echo "build.sh: $t ($*) version $VERSION"
  gcflags=()
  for g in $AGENT_GCFLAGS; do gcflags+=(-gcflags "$g"); done
  env CGO_ENABLED=0 "$@" go build -trimpath -ldflags "$ldflags" -tags "$AGENT_TAGS" "${gcflags[@]}" \
    -o "$out/edge-agent" ./cmd/edge-agent
  env CGO_ENABLED=0 "$@" go build -trimpath -ldflags "$ldflags" -tags "$MINIMAL_TAGS" "${gcflags[@]}" \
    -o "$out/edge-agent-minimal" ./cmd/edge-agent
  env CGO_ENABLED=0 "$@" go build -trimpath -ldflags "$ldflags" -o "$out/sensorbridge" ./cmd/sensorbridge
  (cd "$out" && sha256sum edge-agent edge-agent-minimal sensorbridge >SHA256SUMS)
  cp -R deploy/install.sh deploy/edge-agent.json deploy/sensorbridge.json deploy/systemd deploy/openwrt "$out/"
done

echo
printf '%-14s %14s %20s %14s\n' target edge-agent edge-agent-minimal sensorbridge
for t in "${targets[@]}"; do
  printf '%-14s %14s %20s %14s\n' "$t" \
    "$(stat -c %s "dist/$t/edge-agent")" "$(stat -c %s "dist/$t/edge-agent-minimal")" "$(stat -c %s "dist/$t/sensorbridge")"
done
