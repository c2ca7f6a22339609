#!/usr/bin/env bash
# make demo: SyncBit against a local fake health API and a local
# VictoriaMetrics, for someone without Fitbit or Google credentials.
#
# Starts (and on Ctrl-C stops) exactly three processes of its own: the fake
# API (tests/fakes/, a year of history), victoria-metrics (Debian package,
# with the flags SyncBit needs) and SyncBit itself, after authorizing it
# against the fake without a browser. Everything lives in build/demo/.
set -euo pipefail
cd "$(dirname "$0")/.."

BIN=${SYNCBIT_BIN:-build/syncbit}
DIR=${DEMO_DIR:-build/demo}
SB_PORT=${DEMO_SYNCBIT_PORT:-9877}
VM_PORT=${DEMO_VM_PORT:-8428}
SOURCE=${DEMO_SOURCE:-google}
[ -f tests/fakes/fake_google.py ] || SOURCE=fitbit
PIDS=()

say() { printf 'demo: %s\n' "$*"; }
die() { say "$*" >&2; exit 1; }
stop_all() {
	trap - INT TERM EXIT
	if [ ${#PIDS[@]} -gt 0 ]; then
		say "stopping what the demo started (${PIDS[*]})"
		kill "${PIDS[@]}" 2>/dev/null || true
		wait "${PIDS[@]}" 2>/dev/null || true
	fi
}
trap stop_all EXIT
trap 'exit 0' INT TERM

port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_http() {
	local url=$1 i
	for i in $(seq 1 100); do
		curl -fsS -o /dev/null "$url" 2>/dev/null && return 0
		sleep 0.2
	done
	die "$url did not answer"
}

command -v victoria-metrics >/dev/null || die "victoria-metrics is not installed: run 'make deps' (as root)"
[ -x "$BIN" ] || die "$BIN is missing: run 'make'"
port_busy "$SB_PORT" && die "port $SB_PORT is in use (set DEMO_SYNCBIT_PORT)"
port_busy "$VM_PORT" && die "port $VM_PORT is in use (set DEMO_VM_PORT)"

rm -rf "$DIR"
mkdir -p "$DIR/data" "$DIR/vm"
start=$(date -u -d '-365 days' +%F)

say "starting the fake $SOURCE API with a year of history"
if [ "$SOURCE" = google ]; then
	python3 tests/fakes/fake_google.py --port 0 --port-file "$DIR/fake.port" \
		--membership-start "$start" >"$DIR/fake.log" 2>&1 &
else
	python3 tests/fakes/fake_fitbit.py --port 0 --port-file "$DIR/fake.port" \
		--member-since "$start" >"$DIR/fake.log" 2>&1 &
fi
PIDS+=($!)
for _ in $(seq 1 100); do [ -s "$DIR/fake.port" ] && break; sleep 0.1; done
[ -s "$DIR/fake.port" ] || die "the fake API did not start (see $DIR/fake.log)"
FAKE="http://127.0.0.1:$(cat "$DIR/fake.port")"
cfg=$(curl -fsS "$FAKE/_test/config")
cid=$(printf '%s' "$cfg" | python3 -c 'import json,sys; print(json.load(sys.stdin)["client_id"])')
csec=$(printf '%s' "$cfg" | python3 -c 'import json,sys; print(json.load(sys.stdin)["client_secret"])')
cb=$(free_port)

say "starting victoria-metrics on 127.0.0.1:$VM_PORT"
victoria-metrics -storageDataPath="$DIR/vm" -httpListenAddr="127.0.0.1:$VM_PORT" \
	-retentionPeriod=100y -dedup.minScrapeInterval=1ms -loggerLevel=WARN \
	>"$DIR/vm.log" 2>&1 &
PIDS+=($!)
wait_http "http://127.0.0.1:$VM_PORT/health"

cat >"$DIR/.env" <<ENV
SOURCE=$SOURCE
DATA_DIR=data
LISTEN_ADDRESS=127.0.0.1:$SB_PORT
VICTORIA_ENDPOINT=http://127.0.0.1:$VM_PORT/api/v1/write
FITBIT_USER_ID=demo
SYNC_INTERVAL_MINUTES=1
ENV
if [ "$SOURCE" = google ]; then
	cat >>"$DIR/.env" <<ENV
GOOGLE_CLIENT_ID=$cid
GOOGLE_CLIENT_SECRET=$csec
GOOGLE_HEALTH_API_URL=$FAKE
GOOGLE_AUTH_URL=$FAKE/o/oauth2/v2/auth
GOOGLE_TOKEN_URL=$FAKE/token
GOOGLE_REDIRECT_URI=http://127.0.0.1:$cb/callback
ENV
else
	cat >>"$DIR/.env" <<ENV
FITBIT_CLIENT_ID=$cid
FITBIT_CLIENT_SECRET=$csec
FITBIT_API_URL=$FAKE
FITBIT_AUTH_URL=$FAKE/oauth2/authorize
FITBIT_TOKEN_URL=$FAKE/oauth2/token
FITBIT_REDIRECT_URI=http://127.0.0.1:$cb/callback
ENV
fi
ABS_BIN=$(readlink -f "$BIN")

say "authorizing SyncBit against the fake (no browser: the demo follows the URL)"
(cd "$DIR" && exec "$ABS_BIN" --authorize >authorize.out 2>authorize.err) &
apid=$!
url=""
for _ in $(seq 1 100); do
	url=$(grep -m1 -E '^https?://.*client_id=' "$DIR/authorize.out" 2>/dev/null || true)
	[ -n "$url" ] && break
	sleep 0.1
done
[ -n "$url" ] || { kill $apid 2>/dev/null; die "--authorize printed no URL (see $DIR/authorize.err)"; }
location=$(curl -sS -o /dev/null -w '%{redirect_url}' "$url")
sleep 0.3
curl -fsS -o /dev/null "$location" || true
wait $apid || die "--authorize failed (see $DIR/authorize.err)"

say "starting SyncBit (service + backfill of the year into VictoriaMetrics)"
(cd "$DIR" && exec "$ABS_BIN") 2>"$DIR/syncbit.stderr" &
PIDS+=($!)
wait_http "http://127.0.0.1:$SB_PORT/healthz"

q='max by (user) (max_over_time(fitbit_steps_total[1d]))'
enc=$(python3 -c 'import sys,urllib.parse; print(urllib.parse.quote(sys.argv[1]))' "$q")
cat <<MSG

SyncBit demo is running ($SOURCE source, fake API at $FAKE).
  metrics:          http://127.0.0.1:$SB_PORT/metrics
  readiness:        http://127.0.0.1:$SB_PORT/readyz
  VictoriaMetrics:  http://127.0.0.1:$VM_PORT/vmui/#/?g0.expr=$enc&g0.range_input=90d
  SyncBit log:      $DIR/data/syncbit.log
Press Ctrl-C to stop everything the demo started.
MSG
wait "${PIDS[@]}"
