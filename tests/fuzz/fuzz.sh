#!/bin/sh
# Run the libFuzzer targets built by `make fuzz` (BUILD/fuzzer/NAME), one
# after the other, from the repository root.
#
#   tests/fuzz/fuzz.sh run BUILD SECONDS NAME...
#       each target for SECONDS: reads tests/fuzz/corpus/NAME/, writes what
#       it finds new to BUILD/corpus/NAME/ (the repository stays clean) and
#       crash inputs to tests/fuzz/crashes/NAME/ (kept as regressions).
#       Prints one line per target: time, executions, corpus, findings.
#   tests/fuzz/fuzz.sh merge BUILD NAME...
#       minimise tests/fuzz/corpus/NAME/ plus BUILD/corpus/NAME/ into a
#       fresh tests/fuzz/corpus/NAME/ (libFuzzer -merge=1), to commit:
#       the seed-* files and the fewest others that reach new code.
#
# FUZZ_FLAGS adds libFuzzer flags (e.g. FUZZ_FLAGS=-jobs=2); FUZZ_NICE
# (default 19) is the nice level.
set -u
usage() {
	echo "usage: tests/fuzz/fuzz.sh run BUILD SECONDS NAME... |" \
	    "merge BUILD NAME..." >&2
	exit 2
}
[ $# -ge 2 ] || usage
cmd=$1
build=$2
shift 2
cd "$(dirname "$0")/../.." || exit 2
nice="nice -n ${FUZZ_NICE:-19}"
flags="-timeout=10 -rss_limit_mb=2048 -max_len=65536 ${FUZZ_FLAGS:-}"

# $1: name -> the dictionary option, if the target has one
dict() {
	if [ -f "tests/fuzz/$1.dict" ]; then
		echo "-dict=tests/fuzz/$1.dict"
	fi
}

run() {
	secs=$1
	shift
	bad=""
	for name in "$@"; do
		bin=$build/fuzzer/$name
		[ -x "$bin" ] || { echo "fuzz: $bin not built" >&2; exit 2; }
		mkdir -p "$build/corpus/$name" "tests/fuzz/crashes/$name" \
		    "tests/fuzz/corpus/$name"
		log=$build/fuzz-$name.log
		before=$(ls "tests/fuzz/crashes/$name" | wc -l)
		start=$(date +%s)
		# shellcheck disable=SC2046,SC2086
		$nice "$bin" $flags $(dict "$name") -max_total_time="$secs" \
		    -print_final_stats=1 \
		    -artifact_prefix="tests/fuzz/crashes/$name/" \
		    "$build/corpus/$name" "tests/fuzz/corpus/$name" \
		    >"$log" 2>&1
		rc=$?
		end=$(date +%s)
		after=$(ls "tests/fuzz/crashes/$name" | wc -l)
		execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
		corpus=$(grep -E '^#[0-9]+[[:space:]]+DONE' "$log" |
		    sed -n 's/.*corp: \([0-9]*\/[0-9a-zA-Z]*\).*/\1/p')
		printf 'fuzz %-12s %5ds %12s execs  corpus %-12s findings %d\n' \
		    "$name" $((end - start)) "${execs:-?}" "${corpus:-?}" \
		    $((after - before))
		if [ "$rc" -ne 0 ] || [ "$after" -ne "$before" ]; then
			echo "fuzz: $name found something (exit $rc); see $log:"
			grep -E 'ERROR|SUMMARY|broken promise|^artifact|Test unit' \
			    "$log" | head -n 20
			bad="$bad $name"
		fi
	done
	if [ -n "$bad" ]; then
		echo "fuzz: findings in:$bad (inputs in tests/fuzz/crashes/)"
		exit 1
	fi
}

merge() {
	for name in "$@"; do
		bin=$build/fuzzer/$name
		[ -x "$bin" ] || { echo "fuzz: $bin not built" >&2; exit 2; }
		fresh=$build/merged/$name
		rm -rf "$fresh"
		mkdir -p "$fresh" "$build/corpus/$name"
		# the seeds stay, under their names; of the rest only what
		# reaches code (edges, not hit counts) the seeds do not
		cp "tests/fuzz/corpus/$name"/seed-* "$fresh/" 2>/dev/null
		# shellcheck disable=SC2046,SC2086
		$nice "$bin" $flags $(dict "$name") -merge=1 -use_counters=0 \
		    "$fresh" "tests/fuzz/corpus/$name" "$build/corpus/$name" \
		    >"$build/merge-$name.log" 2>&1 || {
			echo "fuzz: merge of $name failed; see" \
			    "$build/merge-$name.log" >&2
			exit 1
		}
		rm -rf "tests/fuzz/corpus/$name"
		mv "$fresh" "tests/fuzz/corpus/$name"
		echo "merge $name: $(ls "tests/fuzz/corpus/$name" | wc -l)" \
		    "files, $(du -sk "tests/fuzz/corpus/$name" | cut -f1) KiB"
	done
}

case $cmd in
run)
	[ $# -ge 2 ] || usage
	run "$@"
	;;
merge)
	[ $# -ge 1 ] || usage
	merge "$@"
	;;
*)
	usage
	;;
esac
