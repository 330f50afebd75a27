#!/usr/bin/env bash
# footprint.sh: the footprint figures of the ARMv7 build, as a Markdown table.
#
#   - stripped size (and xz -9e size, as squashfs/OTA would ship it) of edge-agent, edge-agent-minimal
#     and sensorbridge, built by scripts/build.sh linux-armv7 (and linux-amd64 for the native run);
#   - idle resident memory of edge-agent -demo connected to a router (a native sensorbridge on
#     127.0.0.1), after it has joined and answered agent.status, then SETTLE seconds more:
#       * under qemu-arm: the guest's own RSS, i.e. the Rss of the mappings inside the guest address
#         window (qemu runs with a fixed guest base, -B), which leaves out qemu itself (its TCG cache
#         and libraries, about 20 MB); "anon" is the part that is not file-backed (heap, stacks);
#       * natively on amd64: VmRSS from /proc/PID/status, and its anonymous part (RssAnon).
#     The rest of the RSS is clean file-backed pages of the binary, which the kernel can drop.
#
# usage: scripts/footprint.sh            (SETTLE=5 by default; needs qemu-arm and python3 for the ARM rows)
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
SETTLE="${SETTLE:-5}"
GUEST_BASE=0x4000000000

log() { echo "footprint: $*" >&2; }

scripts/build.sh linux-armv7 linux-amd64 >&2
arm=dist/linux-armv7
amd=dist/linux-amd64

work="$(mktemp -d)"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

mib() { awk -v b="$1" 'BEGIN { printf "%.2f MiB (%.2f MB)", b / 1048576, b / 1000000 }'; }
xzsize() {
  if command -v xz >/dev/null; then xz -9e -c "$1" | wc -c; else echo 0; fi
}

# A router to connect to: the native sensorbridge on a free loopback port.
port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
url="rs://127.0.0.1:$port"
"$amd/sensorbridge" -listen "$url" >"$work/router.log" 2>&1 &
pids+=($!)

# wait_status waits (up to 60 s) until the agent behind pid answers agent.status on the router.
wait_status() {
  local pid=$1 i
  for i in $(seq 1 300); do
    kill -0 "$pid" 2>/dev/null || { log "agent exited early"; cat "$work"/*.log >&2; return 1; }
    if timeout 5 "$amd/edge-agent" call -timeout 2s "$url" agent.status >/dev/null 2>&1; then return 0; fi
    sleep 0.2
  done
  log "agent.status never answered"
  cat "$work"/*.log >&2
  return 1
}

# guest_rss PID: "total_kb anon_kb" of the mappings inside the qemu guest window.
guest_rss() {
  python3 - "$1" "$GUEST_BASE" <<'PY'
import sys
pid, base = int(sys.argv[1]), int(sys.argv[2], 16)
top = base + (1 << 32)
rss = anon = 0
inside = False
for line in open(f"/proc/{pid}/smaps"):
    head = line.split(" ", 1)[0]
    if "-" in head and ":" not in head:
        inside = base <= int(head.split("-")[0], 16) < top
    elif inside and line.startswith("Rss:"):
        rss += int(line.split()[1])
    elif inside and line.startswith("Anonymous:"):
        anon += int(line.split()[1])
print(rss, anon)
PY
}

rows=()
# Sizes, against the targets of issue 5 (edge-agent 5.0 MB, the minimal one 3.0 MB).
target() {
  case "$1" in
    edge-agent) echo 5000000 ;;
    edge-agent-minimal) echo 3000000 ;;
    *) echo 0 ;;
  esac
}
for b in edge-agent edge-agent-minimal sensorbridge; do
  s=$(stat -c %s "$arm/$b")
  note="xz -9e: $(mib "$(xzsize "$arm/$b")")"
  want=$(target "$b")
  if [ "$want" -gt 0 ]; then
    if [ "$s" -le "$want" ]; then note="$note; target $want bytes: met"; else note="$note; target $want bytes: over by $((s - want))"; fi
  fi
  rows+=("| $b, linux/arm GOARM=7, stripped | $s bytes = $(mib "$s") | $note |")
done

# Idle RSS under qemu-arm.
if command -v qemu-arm >/dev/null; then
  for b in edge-agent edge-agent-minimal; do
    qemu-arm -B "$GUEST_BASE" "$arm/$b" -demo -router "$url" >"$work/$b-arm.log" 2>&1 &
    pid=$!
    pids+=("$pid")
    wait_status "$pid"
    sleep "$SETTLE"
    read -r rss anon < <(guest_rss "$pid")
    rows+=("| $b -demo idle, connected, under qemu-arm: guest RSS | $rss KiB = $(mib $((rss * 1024))) | of which anonymous: $anon KiB |")
    kill -TERM "$pid"
    wait "$pid" || true
  done
else
  log "qemu-arm missing (Debian qemu-user): no ARM RSS row"
fi

# Idle RSS natively on amd64.
"$amd/edge-agent" -demo -router "$url" >"$work/edge-agent-amd64.log" 2>&1 &
pid=$!
pids+=("$pid")
wait_status "$pid"
sleep "$SETTLE"
rss=$(awk '/^VmRSS:/ { print $2 }' "/proc/$pid/status")
anon=$(awk '/^RssAnon:/ { print $2 }' "/proc/$pid/status")
hwm=$(awk '/^VmHWM:/ { print $2 }' "/proc/$pid/status")
rows+=("| edge-agent -demo idle, connected, native linux/amd64: VmRSS | $rss KiB = $(mib $((rss * 1024))) | anonymous (RssAnon): $anon KiB; peak (VmHWM): $hwm KiB |")
kill -TERM "$pid"
wait "$pid" || true

echo "| what | figure | note |"
echo "|---|---|---|"
printf '%s\n' "${rows[@]}"
