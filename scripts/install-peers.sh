#!/usr/bin/env bash
# install-peers.sh: installs the independent WAMP peers that interop/interop_test.go drives.
#
#   Debian (apt-get): AutobahnPython (python3-autobahn 22.7.1 + msgpack, cbor2 for its CBOR, nacl for the cryptobox
#                     interop of e2ee/cryptobox_test.go), Autobahn|C++ (autobahn-cpp-dev
#                     17.5.1, header-only, with boost and msgpack-cxx) and the C++ toolchain (g++, make).
#                     qemu-user for the ARM edge-agent run in cmd/edge-agent/qemu_test.go; mosquitto, the MQTT
#                     broker cmd/wampbench's MQTT mode is compared with (its tests start their own instance).
#                     chromium (with the DejaVu fonts), the browser that the web pages' tests drive headless
#                     through the DevTools protocol (github.com/chromedp/chromedp).
#   examples/arduino-yun/install-deps.sh: avr-gcc, the Arduino core, arduino-builder and simavr, which the Yun
#                     example's tests (the EdgeWamp library's sketches in simavr) need.
#   npm:              AutobahnJS (autobahn@22.11.1; 26.x needs Node 22), wampy@8.0.2 and the fox-wamp@0.7.28
#                     router into interop/node/node_modules,
#                     from the committed interop/node/package.json + package-lock.json.
#
# Idempotent and quick when everything is in place: apt runs only when dpkg lacks a package (and then runs
# `apt-get update` first), npm runs only when node_modules was not installed from the current lock file.
# Needs root or sudo only when something must be installed. Fails loudly when a peer is still missing at the end.
#
# usage: scripts/install-peers.sh
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
NODE_DIR="$ROOT/interop/node"

APT_PACKAGES=(
  python3 python3-autobahn python3-txaio python3-msgpack python3-cbor2 python3-nacl
  autobahn-cpp-dev libmsgpack-dev libboost-system-dev libboost-thread-dev libboost-chrono-dev
  g++ make
  qemu-user
  mosquitto
  chromium fonts-dejavu-core
)

log() { echo "install-peers: $*"; }
die() { echo "install-peers: FAILED: $*" >&2; exit 1; }

# ---- apt ----
missing=()
for p in "${APT_PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""
  if [ "$(id -u)" != 0 ]; then
    command -v sudo >/dev/null || die "need root or sudo to install: ${missing[*]}"
    SUDO="sudo -n"
  fi
  log "apt-get install ${missing[*]}"
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -q
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
else
  log "apt packages present"
fi

# ---- the Arduino example's toolchain (its own idempotent script) ----
sh "$ROOT/examples/arduino-yun/install-deps.sh" || die "examples/arduino-yun/install-deps.sh failed"

# ---- npm ----
command -v node >/dev/null || die "node is not installed"
command -v npm >/dev/null || die "npm is not installed"
stamp="$NODE_DIR/node_modules/.edgewamp-lock.sha256"
want="$(sha256sum "$NODE_DIR/package-lock.json" | cut -d' ' -f1)"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && [ -f "$NODE_DIR/node_modules/autobahn/package.json" ]; then
  log "node_modules current"
else
  log "npm install in interop/node (from the committed lock file)"
  # Not `npm ci`: with lock files written without registry addresses, npm ci
  # rejects the optional per-platform packages of wampy's cbor-x and msgpackr.
  # `install --no-save` follows the lock file and leaves it untouched.
  (cd "$NODE_DIR" && npm install --no-save --ignore-scripts --no-audit --no-fund --loglevel=error)
  echo "$want" >"$stamp"
fi

# ---- check ----
/usr/bin/python3 -c "import autobahn, msgpack, cbor2, txaio, nacl; print('install-peers: python3-autobahn', autobahn.__version__)" \
  || die "AutobahnPython (python3-autobahn, python3-msgpack, python3-cbor2, python3-nacl) not importable by /usr/bin/python3"
(cd "$NODE_DIR" && node -e "console.log('install-peers: autobahn (js)', require('autobahn').version)") \
  || die "AutobahnJS not loadable from interop/node/node_modules"
(cd "$NODE_DIR" && node -e "require('autobahn').serializer.CBORSerializer || process.exit(1)") \
  || die "AutobahnJS has no CBOR serializer (npm cbor missing from interop/node/node_modules)"
(cd "$NODE_DIR" && node -e "require('wampy'); require('wampy/CborSerializer.js'); require('fox-wamp'); console.log('install-peers: wampy and fox-wamp loadable')") \
  || die "wampy or fox-wamp not loadable from interop/node/node_modules"
[ -f /usr/include/autobahn/autobahn.hpp ] || die "Autobahn|C++ headers missing (/usr/include/autobahn/autobahn.hpp)"
command -v g++ >/dev/null || die "g++ missing"
command -v qemu-arm >/dev/null || die "qemu-arm missing (Debian qemu-user)"
[ -x /usr/sbin/mosquitto ] || command -v mosquitto >/dev/null || die "mosquitto missing (Debian mosquitto)"
command -v chromium >/dev/null || die "chromium missing (Debian chromium)"
command -v avr-gcc >/dev/null && command -v simavr >/dev/null && command -v arduino-builder >/dev/null \
  || die "the AVR toolchain, simavr or arduino-builder missing (examples/arduino-yun/install-deps.sh)"
log "OK"
