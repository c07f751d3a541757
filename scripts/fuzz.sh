#!/bin/sh
# NAME
#	fuzz.sh - build the libFuzzer targets with clang and run each for a while
#
# SYNOPSIS
#	scripts/fuzz.sh [--update-seeds] [SECONDS [TARGET...]]
#
# DESCRIPTION
#	Builds tests/fuzz/fuzz_*.c in its own build directory ($SA_FUZZ_BUILD,
#	default build-fuzz/) with clang, ASan+UBSan and coverage of the whole
#	project (not only the harness), then runs each TARGET (default: all;
#	a name like smtp_reply or fuzz_smtp_reply) for SECONDS (default 60),
#	one after the other, single process. Each target fuzzes a working
#	corpus in the build directory that starts from the seeds in
#	tests/fuzz/corpus/NAME and grows from run to run; the seeds are only
#	read. With --update-seeds, inputs that add coverage are merged back
#	into the seed directory (review them before committing).
#
#	Prints one line per target: executions, executions per second, corpus
#	size, coverage, and the result.
#
# DIAGNOSTICS
#	Exit status 0 when no target crashed, 1 when one did (its input is in
#	BUILD/fuzz-artifacts/, the log in BUILD/fuzz-logs/), 2 on a usage error.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
build=${SA_FUZZ_BUILD:-"$top/build-fuzz"}
seconds=60
update_seeds=0

usage() {
	echo "usage: $0 [--update-seeds] [SECONDS [TARGET...]]" >&2
	exit 2
}

if [ "${1:-}" = "--update-seeds" ]; then
	update_seeds=1
	shift
fi
case "${1:-}" in
-*) usage ;;
"") ;;
*[!0-9]*) usage ;;
*) seconds=$1; shift ;;
esac

if [ $# -eq 0 ]; then
	for src in "$top"/tests/fuzz/fuzz_*.c; do
		set -- "$@" "$(basename "$src" .c)"
	done
fi
targets=""
for t in "$@"; do
	name=${t#fuzz_}
	[ -f "$top/tests/fuzz/fuzz_$name.c" ] || { echo "$0: no target tests/fuzz/fuzz_$name.c" >&2; exit 2; }
	targets="$targets $name"
done

echo "=== build ($build) ==="
cmake -S "$top" -B "$build" -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	-DSA_SANITIZE=ON -DSA_FUZZ=ON -DCMAKE_C_FLAGS=-fsanitize=fuzzer-no-link >/dev/null
for name in $targets; do
	cmake --build "$build" -j "$(nproc)" --target "fuzz_$name" >/dev/null
done

mkdir -p "$build/fuzz-work" "$build/fuzz-artifacts" "$build/fuzz-logs"
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1:strict_string_checks=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
crashed=0
printf '%-12s %8s %12s %8s %7s %6s  %s\n' target seconds executions exec/s corpus cov result
for name in $targets; do
	work="$build/fuzz-work/$name"
	seeds="$top/tests/fuzz/corpus/$name"
	log="$build/fuzz-logs/$name.log"
	mkdir -p "$work"
	for seed in "$seeds"/*; do
		[ ! -f "$seed" ] || [ -e "$work/${seed##*/}" ] || cp "$seed" "$work"/
	done
	# getopt_long complains on stderr; libFuzzer and ASan keep their own copy.
	extra=""
	[ "$name" = cli ] && extra="-close_fd_mask=2"
	rm -f "$build/fuzz-artifacts/$name-"*
	status=0
	# shellcheck disable=SC2086
	"$build/tests/fuzz/fuzz_$name" -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 \
		-print_final_stats=1 -artifact_prefix="$build/fuzz-artifacts/$name-" $extra \
		"$work" >"$log" 2>&1 || status=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
	rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1)
	cov=$(sed -n 's/.* cov: \([0-9]*\) .*/\1/p' "$log" | tail -n 1)
	result=ok
	if [ "$status" -ne 0 ]; then
		crashed=1
		result="CRASH (exit $status): $(find "$build/fuzz-artifacts" -name "$name-*" | head -n 1)"
	fi
	printf '%-12s %8s %12s %8s %7s %6s  %s\n' "$name" "$seconds" "${execs:-?}" "${rate:-?}" \
		"$(find "$work" -type f | wc -l)" "${cov:-?}" "$result"
	if [ "$update_seeds" -eq 1 ] && [ "$status" -eq 0 ]; then
		mkdir -p "$seeds"
		"$build/tests/fuzz/fuzz_$name" -merge=1 $extra "$seeds" "$work" >>"$log" 2>&1
	fi
done
exit "$crashed"
