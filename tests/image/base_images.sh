#!/bin/sh
# The Dockerfile's base images, made here (no registry is reachable):
# docker.io/library/debian:12 and docker.io/library/debian:12-slim from
# `mmdebstrap --variant=minbase bookworm`, loaded with `podman import`.
#   - merged-usr hook: without it, usrmerge pulls perl in;
#   - slim: docs, man pages and locales excluded through dpkg path-excludes
#     (kept in the image's dpkg config, so later installs skip them too);
#   - apt as in Debian's official images (apt.conf.d/docker-clean): no
#     package archives or caches left in a layer;
#   - apt sources: this machine's Debian bookworm repositories, read from its
#     apt configuration at run time (apt-get indextargets), so the image's
#     `apt-get update` uses the same mirror.
# The tarballs stay in OUT (default build/image) and are reused when present
# (delete one to make it again); an image is imported when podman lacks it.
#
#   tests/image/base_images.sh [OUT]      (as root)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
out=${1:-build/image}
mkdir -p "$out"
suite=bookworm

sources() {
	apt-get indextargets --format '$(REPO_URI) $(RELEASE) $(COMPONENT)' \
		'Created-By: Packages' |
		awk -v s="$suite" '$2 == s || index($2, s "-") == 1 { print "deb " $0 }' |
		sed 's|/ | |' | sort -u
}

make_tar() {	# $1: tarball; the rest: extra mmdebstrap options
	tar=$1
	shift
	if [ -s "$tar" ]; then
		echo "base-images: $tar present (reused)"
		return
	fi
	list=$(sources)
	if [ -z "$list" ]; then
		echo "base-images: no Debian $suite repository in this machine's apt sources" >&2
		exit 1
	fi
	echo "base-images: mmdebstrap $suite -> $tar"
	printf '%s\n' "$list" | nice mmdebstrap --quiet --variant=minbase \
		--hook-dir=/usr/share/mmdebstrap/hooks/merged-usr \
		--customize-hook="copy-in $here/apt.conf.d/docker-clean /etc/apt/apt.conf.d" \
		--customize-hook='rm -f "$1"/var/cache/apt/*.bin' \
		--format=tar "$@" "$suite" "$tar.tmp" -
	mv "$tar.tmp" "$tar"
}

load() {	# $1: tarball, $2: image name
	if "$here/podman" image exists "$2"; then
		echo "base-images: $2 present"
		return
	fi
	"$here/podman" import --quiet --change 'CMD ["bash"]' "$1" "$2" >/dev/null
	echo "base-images: imported $2"
}

make_tar "$out/debian-12.tar"
make_tar "$out/debian-12-slim.tar" \
	--dpkgopt='path-exclude=/usr/share/doc/*' \
	--dpkgopt='path-include=/usr/share/doc/*/copyright' \
	--dpkgopt='path-exclude=/usr/share/man/*' \
	--dpkgopt='path-exclude=/usr/share/info/*' \
	--dpkgopt='path-exclude=/usr/share/locale/*' \
	--dpkgopt='path-include=/usr/share/locale/locale.alias'
load "$out/debian-12.tar" docker.io/library/debian:12
load "$out/debian-12-slim.tar" docker.io/library/debian:12-slim
