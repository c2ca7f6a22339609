#!/bin/sh
# Install what building and testing SyncBit needs, from Debian's packages.
# Idempotent: apt-get skips what is installed already.
#   tests/deps.sh            for `make test`
#   tests/deps.sh --image    for `make image` and `make image-test` (podman)
set -eu
PKGS="build-essential clang pkg-config libcurl4-openssl-dev libcjson-dev
libmicrohttpd-dev libprotobuf-c-dev protobuf-c-compiler libsnappy-dev
python3 curl tzdata openssl victoria-metrics prometheus yamllint valgrind
docker-compose chromium chromium-driver python3-selenium"
# the image's build and run: podman with runc (crun fails here), netavark
# and aardvark-dns (bridge networks), iptables (published ports), mmdebstrap
# (the base images, tests/image/base_images.sh)
IMAGE_PKGS="podman runc netavark aardvark-dns iptables mmdebstrap python3
victoria-metrics"
if [ "${1:-}" = --image ]; then
	PKGS=$IMAGE_PKGS
fi
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
