#!/bin/sh
# Run every test: BUILD_DIR/unit_tests, the fuzz corpora and crash inputs
# through BUILD_DIR/fuzz_replay/*, then the integration tests against
# BUILD_DIR/syncbit. The last line is the total "N passed, M failed"; the exit
# status is non-zero when a test failed or a part did not run (no summary line).
#
#   tests/run.sh build            (from the repository root, as `make test` does)
#   tests/run.sh build NAME       (integration tests whose id contains NAME)
set -u
if [ $# -lt 1 ]; then
	echo "usage: tests/run.sh BUILD_DIR [INTEGRATION_FILTER]" >&2
	exit 2
fi
case $1 in
/*) build=$1 ;;
*) build=$(pwd)/$1 ;;
esac
filter=${2:-}
root=$(cd "$(dirname "$0")/.." && pwd) || exit 2
cd "$root" || exit 2	# unit tests read tests/fixtures/ relative to the root
if [ -z "${PYTHON:-}" ]; then
	if [ -x /usr/bin/python3 ]; then PYTHON=/usr/bin/python3; else PYTHON=python3; fi
fi

out=$(mktemp "${TMPDIR:-/tmp}/syncbit-tests.XXXXXX") || exit 2
trap 'rm -f "$out" "$out.rc" "$out.fz"' EXIT

passed=0
failed=0
broken=""

# $1: part name; the rest: the command. Streams its output, adds its summary.
part() {
	name=$1
	shift
	"$@" 2>&1 | tee "$out"
	rc=$(cat "$out.rc" 2>/dev/null || echo 0)
	summary=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$out" | tail -n 1)
	if [ -z "$summary" ]; then
		echo "# $name: did not run to its summary line"
		broken="$broken $name"
		return
	fi
	p=${summary%% passed*}
	f=${summary#*passed, }
	f=${f%% failed}
	passed=$((passed + p))
	failed=$((failed + f))
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		echo "# $name: exit status $rc with no failed test"
		broken="$broken $name"
	fi
}

# Runs the command and keeps its exit status in $out.rc (a pipe loses it).
status_to() {
	"$@"
	echo $? >"$out.rc"
}

# Each fuzz harness over its corpus and crash inputs (tests/fuzz/replay.c),
# one summary line for all: a missing or broken replay binary is a failure.
fuzz_replay() {
	fp=0
	ff=0
	for src in tests/fuzz/fuzz_*.c; do
		name=${src#tests/fuzz/fuzz_}
		name=${name%.c}
		bin=$build/fuzz_replay/$name
		if [ ! -x "$bin" ]; then
			echo "not ok fuzz-replay $name: $bin not found"
			ff=$((ff + 1))
			continue
		fi
		"$bin" >"$out.fz" 2>&1
		s=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$out.fz" | tail -n 1)
		grep -vE '^[0-9]+ passed, [0-9]+ failed$' "$out.fz"
		if [ -z "$s" ]; then
			echo "not ok fuzz-replay $name: no summary line"
			ff=$((ff + 1))
			continue
		fi
		echo "# fuzz-replay $name: $s"
		fp=$((fp + ${s%% passed*}))
		s=${s#*passed, }
		ff=$((ff + ${s%% failed}))
	done
	echo "$fp passed, $ff failed"
	[ "$ff" -eq 0 ]
}

echo "# unit tests: $build/unit_tests"
rm -f "$out.rc"
if [ -x "$build/unit_tests" ]; then
	part unit status_to "$build/unit_tests"
else
	echo "# unit: $build/unit_tests not found (make $build/unit_tests)"
	broken="$broken unit"
fi

echo "# fuzz-replay: $build/fuzz_replay/*"
rm -f "$out.rc"
part fuzz-replay status_to fuzz_replay

echo "# integration tests: SYNCBIT_BIN=$build/syncbit"
rm -f "$out.rc"
if [ -x "$build/syncbit" ]; then
	part integration status_to env SYNCBIT_BIN="$build/syncbit" \
		"$PYTHON" tests/integration/run.py ${filter:+"$filter"}
else
	echo "# integration: $build/syncbit not found (make)"
	broken="$broken integration"
fi
rm -f "$out.rc"

if [ -n "$broken" ]; then
	echo "# parts that did not run:$broken"
	failed=$((failed + 1))
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
