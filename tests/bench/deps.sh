#!/bin/sh
# Debian packages `make bench` compares SyncBit with: wrk (HTTP load),
# nginx (static-file baseline) and python3-prometheus-client (Python
# exporter baseline). Idempotent: does nothing when all are installed.
#
#   tests/bench/deps.sh           install what is missing (root, or via sudo)
#   tests/bench/deps.sh --check   only report; exit 1 if something is missing
#
# The bench runs its own nginx as an unprivileged process on 127.0.0.1 with a
# temporary prefix; installing the package must not start the system service
# (port 80), so the install runs under a policy-rc.d that refuses service
# starts unless the machine already has one.
set -eu
PKGS="wrk nginx python3-prometheus-client"
missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
		missing="$missing $p"
done
if [ -z "$missing" ]; then
	echo "bench deps: all installed ($PKGS)"
	exit 0
fi
if [ "${1:-}" = "--check" ]; then
	echo "bench deps: missing:$missing; their rows say n/a." \
	    "Install them with: sudo tests/bench/deps.sh" >&2
	exit 1
fi
if [ "$(id -u)" -ne 0 ]; then
	SUDO=sudo
else
	SUDO=
fi
policy=/usr/sbin/policy-rc.d
ours=0
if [ ! -e "$policy" ]; then
	trap '$SUDO rm -f "$policy"' EXIT INT TERM
	printf '#!/bin/sh\n# tests/bench/deps.sh: no service starts during install\nexit 101\n' |
		$SUDO tee "$policy" >/dev/null
	$SUDO chmod 0755 "$policy"
	ours=1
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing
if [ "$ours" -eq 1 ]; then
	$SUDO rm -f "$policy"
	trap - EXIT INT TERM
fi
echo "bench deps: installed$missing"
