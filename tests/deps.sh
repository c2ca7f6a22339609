#!/bin/sh
# Install what building and testing SyncBit needs, from Debian's packages.
# Idempotent: apt-get skips what is installed already.
set -eu
PKGS="build-essential clang pkg-config libcurl4-openssl-dev libcjson-dev
libmicrohttpd-dev libprotobuf-c-dev protobuf-c-compiler libsnappy-dev
python3 curl tzdata openssl victoria-metrics prometheus yamllint valgrind"
missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
		missing="$missing $p"
done
if [ -z "$missing" ]; then
	echo "deps: all installed"
	exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
	SUDO=sudo
else
	SUDO=
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing
