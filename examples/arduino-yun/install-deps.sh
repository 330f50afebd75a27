#!/bin/sh
# install-deps.sh - install the Debian packages the Arduino Yun example needs to build the EdgeWamp
# library's sketches for the ATmega32u4 and the ATmega328P (with make, and with the Arduino IDE's
# arduino-builder) and run them as real AVR firmware in simavr (Debian 12 bookworm).
#
# Idempotent: when every package is already installed it only checks (well under a second) and
# runs no apt-get at all; otherwise it runs one apt-get update and installs the missing ones.
# Needs root (or sudo) only when something must be installed.
set -eu
# shellcheck disable=SC2086 # word splitting of the package lists is wanted

PKGS="gcc-avr binutils-avr avr-libc arduino-core-avr arduino-builder simavr libsimavr-dev libsimavrparts1 libelf-dev pkg-config gcc libc6-dev make"

# one dpkg-query for all: "<package> <status>" lines; absent packages print nothing
installed=$(dpkg-query -W -f='${Package} ${Status}\n' $PKGS 2>/dev/null | awk '$NF == "installed" {print $1}')
missing=""
for p in $PKGS; do
	case " $(echo $installed) " in
	*" $p "*) ;;
	*) missing="$missing $p" ;;
	esac
done
if [ -z "$missing" ]; then
	echo "install-deps: all present ($PKGS)"
	exit 0
fi

SUDO=""
if [ "$(id -u)" != 0 ]; then
	SUDO="sudo"
fi
echo "install-deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends $missing
