#!/usr/bin/env bash
# build.sh: release binaries for the boards, into dist/<target>/.
#
# Each target gets edge-agent (full: RawSocket over TCP, TLS and Unix sockets, serial, authentication;
# build tags AGENT_TAGS), edge-agent-minimal (RawSocket and serial only: MINIMAL_TAGS, which add
# edgewamp_notls and edgewamp_noauth), both compiled without inlining (AGENT_GCFLAGS), and
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
# The agent's build tags take out what a binary that never needs it would link, without taking a
# feature away (ARMv7 savings measured on the full agent):
#   edgewamp_termios    serial ports opened with termios ioctls instead of go.bug.st/serial, whose
#                       port-name filter links regexp (217 KB); same behaviour, same pty tests
#   edgewamp_nomarshal  wamp does not fall back to encoding/json or the msgpack library for Go types
#                       outside its value model (the agent only sends values parsed from JSON)
#   edgewamp_noslog     no log/slog: the same text and JSON lines from internal/logline (log/slog's
#                       init links its handlers and encoding/json; with nomarshal, 479 KB together)
# The minimal agent adds edgewamp_notls (no rss://, no crypto) and edgewamp_noauth.
# The tests build the agents as this script does: internal/buildscript reads AGENT_TAGS, MINIMAL_TAGS,
# AGENT_GCFLAGS and target_rquantum's cases from here, so keep them in this form.
AGENT_TAGS="edgewamp_termios,edgewamp_nomarshal,edgewamp_noslog"
MINIMAL_TAGS="edgewamp_notls,edgewamp_noauth,$AGENT_TAGS"
# Both agents are compiled without inlining (-l) except in package runtime (whose allocator, scheduler
# and GC keep theirs): on ARMv7 that saves 262,144 bytes of the minimal agent and 459 KB of the full
# one, for a slower encode/decode path (a WAMP PUBLISH decodes in about 1.3-1.5x the time: ~310 ->
# ~420 ns on amd64) and TLS (a handshake in 1.3x the time: 65 -> 85 ms under qemu-arm), which a device
# publishing readings over one long-lived connection does not notice. Empty AGENT_GCFLAGS builds them
# with inlining.
AGENT_GCFLAGS="${AGENT_GCFLAGS-all=-l runtime=}"

if [ -z "${VERSION:-}" ]; then
  VERSION="$(git describe --tags --always --dirty 2>/dev/null || echo dev)"
fi

# target_rquantum prints the linker's segment alignment (-ldflags -R) for a target. Go aligns ELF
# segments to 64 KiB on arm and mips, which pads each binary by up to 64 KiB per segment. A 32-bit ARM
# Linux kernel always uses 4 KiB pages, so 4096 is safe there (saves 82 KB on the minimal ARMv7 agent);
# MIPS kernels use 4 KiB (OpenWrt) or 16 KiB pages (some Debian/Loongson), so 16384 loads on both (saves
# 98 KB on mips). arm64 keeps Go's 64 KiB (Raspberry Pi 5 kernels use 16 KiB pages, some 64 KiB), and
# amd64 its 4 KiB default.
target_rquantum() {
  case "$1" in
    linux-armv6 | linux-armv7) echo 4096 ;;
    linux-mips | linux-mipsle) echo 16384 ;;
    *) echo "" ;;
  esac
}

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
  rq="$(target_rquantum "$t")"
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
