#!/bin/sh
# install.sh: installs edge-agent or sensorbridge on the board it runs on, as a service that starts at
# boot: with systemd (Raspberry Pi OS, Debian, ...) or procd (OpenWrt). Run it from the bundle that
# scripts/build.sh writes (dist/<target>/: the binaries, this script, systemd/, openwrt/, *.json):
#
#   sudo sh install.sh edge-agent           # or: edge-agent-minimal, sensorbridge
#
#   systemd: /usr/local/bin/NAME, /etc/systemd/system/NAME.service, /etc/edgewamp/NAME.json
#   procd:   /usr/bin/NAME,       /etc/init.d/NAME,                  /etc/edgewamp/NAME.json
#
# edge-agent-minimal is installed as edge-agent. An existing /etc/edgewamp/NAME.json is kept; else the
# bundle's starting configuration is copied there: edit it (router, realm, sensors), then restart. It may
# hold secrets (auth): with systemd it is root:edgewamp 0640 and the services run as the system user
# edgewamp, created here; with procd (root) it is 0600. Then the service is enabled and (re)started.
# Plain POSIX sh, so that BusyBox runs it.
#
# Environment: INIT=systemd|procd overrides the detection; DESTDIR=DIR installs under DIR and starts
# nothing (for packaging and for deploy's test).
#
# Exit status: 0 installed, 1 a step failed, 2 a usage error. install.sh --help prints this text.
set -eu

here="$(cd "$(dirname "$0")" && pwd)"
die() { echo "install.sh: $*" >&2; exit 1; }
usage() { echo "install.sh: $* (install.sh --help explains)" >&2; exit 2; }

if [ $# -eq 1 ] && { [ "$1" = --help ] || [ "$1" = -h ] || [ "$1" = help ]; }; then
  # The comment block at the top of this file, without its "# ".
  sed -n '2,/^set -eu/{/^set -eu/d;s/^# \{0,1\}//;p;}' "$0"
  exit 0
fi
[ $# -eq 1 ] || usage "want one program: install.sh edge-agent|edge-agent-minimal|sensorbridge"
src="$1"
case "$src" in
  edge-agent | sensorbridge) name="$src" ;;
  edge-agent-minimal) name=edge-agent ;;
  *) usage "unknown program $src (want edge-agent, edge-agent-minimal or sensorbridge)" ;;
esac
[ -f "$here/$src" ] || die "$here/$src not found: run this script from the bundle scripts/build.sh writes"

DESTDIR="${DESTDIR:-}"
init="${INIT:-}"
if [ -z "$init" ]; then
  if [ -d /run/systemd/system ]; then
    init=systemd
  elif [ -x /sbin/procd ] || [ -f /etc/openwrt_release ]; then
    init=procd
  else
    die "neither systemd nor procd found: set INIT=systemd or INIT=procd, or install by hand (README)"
  fi
fi

case "$init" in
  systemd)
    bin=/usr/local/bin/$name
    svc=/etc/systemd/system/$name.service
    svcsrc="$here/systemd/$name.service"
    svcmode=644
    confmode=640
    ;;
  procd)
    bin=/usr/bin/$name
    svc=/etc/init.d/$name
    svcsrc="$here/openwrt/$name.init"
    svcmode=755
    confmode=600
    ;;
  *) usage "INIT=$init: want systemd or procd" ;;
esac
conf=/etc/edgewamp/$name.json

# put SRC DEST MODE: copies through a temporary file and renames, so that a running binary is
# replaced, not overwritten (cp and chmod only: BusyBox may lack install).
put() {
  mkdir -p "$(dirname "$DESTDIR$2")"
  cp "$1" "$DESTDIR$2.new"
  chmod "$3" "$DESTDIR$2.new"
  mv -f "$DESTDIR$2.new" "$DESTDIR$2"
  echo "install.sh: $2"
}

# The system user of the systemd units.
if [ "$init" = systemd ] && [ -z "$DESTDIR" ] && ! getent passwd edgewamp >/dev/null; then
  command -v useradd >/dev/null || die "useradd not found: create the system user edgewamp by hand"
  useradd --system --user-group --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin edgewamp
  echo "install.sh: created the system user edgewamp"
fi

put "$here/$src" "$bin" 755
put "$svcsrc" "$svc" "$svcmode"
if [ -e "$DESTDIR$conf" ]; then
  echo "install.sh: $conf exists, kept"
else
  put "$here/$name.json" "$conf" "$confmode"
  if [ "$init" = systemd ] && [ -z "$DESTDIR" ]; then
    chown root:edgewamp "$conf"
  fi
fi

if [ -n "$DESTDIR" ]; then
  echo "install.sh: installed under $DESTDIR, nothing started"
  exit 0
fi
case "$init" in
  systemd)
    systemctl daemon-reload
    systemctl enable "$name.service"
    systemctl restart "$name.service"
    echo "install.sh: running; log: journalctl -u $name -f"
    ;;
  procd)
    "$svc" enable
    "$svc" restart
    echo "install.sh: running; log: logread -f -e $name"
    ;;
esac
