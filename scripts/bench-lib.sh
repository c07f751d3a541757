# shellcheck shell=sh
# NAME
#	bench-lib.sh - functions the benchmark scripts share
#
# SYNOPSIS
#	. "$top/scripts/bench-lib.sh"
#
# DESCRIPTION
#	Sourced by bench.sh, bench-memory.sh and bench-passive.sh after they
#	set top (the source tree), build_dir and work (empty until the work
#	directory exists). Messages are prefixed with the sourcing script's
#	name. Every server started with bench_start_server (smtp-lab, a
#	Postfix) is remembered, so bench_cleanup can stop it by pid and
#	bench_labs_alive can check it. Nothing runs at source time but setting
#	bench_labs; the functions work under set -eu.
#
#	die MESSAGE           prints "SCRIPT: MESSAGE" on stderr and exits 1
#	show COMMAND...       prints a command line the way it can be pasted into a shell
#	bench_cleanup         stops the labs, then removes the work directory unless KEEP=1
#	bench_apt_install MISSING PACKAGE...   installs packages as root, else dies naming MISSING
#	bench_install_time    installs /usr/bin/time when it is missing
#	bench_build TYPE TESTS TARGET...       builds TARGETs into $build_dir (SA_BUILD_TESTS=TESTS)
#	bench_cpu             prints "N x CPU model"
#	bench_machine_notes   prints the machine section: cpu, memory, kernel
#	bench_start_server NAME COMMAND...     starts a server that writes $work/NAME.ready when
#	                      it serves; remembers its pid (lab_pid) and waits for the file
#	bench_start_lab NAME ARGS...           bench_start_server NAME smtp-lab ARGS
#	bench_stop_server PID                  stops one started server by pid and forgets it
#	bench_labs_alive      dies when a started server has exited, showing its output
#	bench_timed TAG LIMIT COMMAND...       runs COMMAND under /usr/bin/time -v (figures in
#	                      $work/TAG.time, output in $work/TAG.out and .err), killed after
#	                      LIMIT seconds; sets bench_code: its exit code, "sigN" when a
#	                      signal ended it, 124 over the limit
#	bench_time_figures FILE                prints "wall_s rss_KiB cpu_s" from /usr/bin/time -v
#
# ENVIRONMENT
#	KEEP          1 keeps the work directory
#
# DIAGNOSTICS
#	"server NAME did not start" when its ready file does not appear
#	within $lab_start_tries tenths of a second (the sourcing script sets
#	it) or it exits first; "server NAME died during the benchmark".

# shellcheck disable=SC2154 # top, build_dir and lab_start_tries are the sourcing script's
# shellcheck disable=SC2034 # bench_code and lab_pid are for the sourcing script

bench_labs="" # "PID:NAME ..." of every lab started
lab_pid=""    # the last lab started

die() {
	echo "${0##*/}: $*" >&2
	exit 1
}

show() {
	printf '$'
	for arg in "$@"; do
		case $arg in
		*[!A-Za-z0-9_./:=,+-]*) printf " '%s'" "$arg" ;;
		*) printf ' %s' "$arg" ;;
		esac
	done
	printf '\n'
}

bench_cleanup() {
	for lab_entry in $bench_labs; do
		kill "${lab_entry%%:*}" 2>/dev/null || true
	done
	for lab_entry in $bench_labs; do
		wait "${lab_entry%%:*}" 2>/dev/null || true
	done
	[ -n "$work" ] || return 0
	if [ "${KEEP:-0}" = 1 ]; then
		echo "${0##*/}: work directory kept: $work" >&2
	else
		rm -rf "$work"
	fi
}

bench_apt_install() {
	missing=$1
	shift
	[ "$(id -u)" -eq 0 ] || die "$missing is missing: run as root or apt-get install $*"
	export DEBIAN_FRONTEND=noninteractive
	case " $* " in
	*" tshark "*)
		# tshark asks whether non-root users may capture; the answer does not matter here.
		echo "wireshark-common wireshark-common/install-setuid boolean false" |
			debconf-set-selections
		;;
	esac
	apt-get update -q >/dev/null
	apt-get install -y -q --no-install-recommends "$@" >/dev/null
}

bench_install_time() {
	[ -x /usr/bin/time ] || bench_apt_install /usr/bin/time time
}

bench_build() {
	bench_type=$1 bench_tests=$2
	shift 2
	echo "=== build ($bench_type) into $build_dir ==="
	cmake -S "$top" -B "$build_dir" -DCMAKE_BUILD_TYPE="$bench_type" \
		-DSA_BUILD_TESTS="$bench_tests" >/dev/null || die "cmake failed"
	cmake --build "$build_dir" -j "$(nproc)" --target "$@" >/dev/null || die "the build failed"
}

bench_cpu() {
	echo "$(nproc) x $(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)"
}

bench_machine_notes() {
	echo "=== machine ==="
	echo "cpu:    $(bench_cpu)"
	echo "memory: $(awk '/^MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo)"
	echo "kernel: $(uname -sr)"
}

bench_start_server() {
	lab_name=$1
	shift
	rm -f "$work/$lab_name.ready"
	show "$@"
	"$@" >"$work/$lab_name.out" 2>&1 &
	lab_pid=$!
	bench_labs="$bench_labs $lab_pid:$lab_name"
	tries=0
	while [ ! -s "$work/$lab_name.ready" ]; do
		tries=$((tries + 1))
		if [ "$tries" -gt "$lab_start_tries" ] || ! kill -0 "$lab_pid" 2>/dev/null; then
			cat "$work/$lab_name.out" >&2
			die "server $lab_name did not start"
		fi
		sleep 0.1
	done
}

bench_start_lab() {
	lab_name=$1
	shift
	bench_start_server "$lab_name" "$build_dir/tests/lab/smtp-lab" "$@" \
		--ready-file "$work/$lab_name.ready"
}

bench_stop_server() {
	kill "$1" 2>/dev/null || true
	wait "$1" 2>/dev/null || true
	kept=""
	for lab_entry in $bench_labs; do
		[ "${lab_entry%%:*}" = "$1" ] || kept="$kept $lab_entry"
	done
	bench_labs=$kept
}

bench_labs_alive() {
	for lab_entry in $bench_labs; do
		kill -0 "${lab_entry%%:*}" 2>/dev/null && continue
		cat "$work/${lab_entry#*:}.out" >&2
		die "server ${lab_entry#*:} died during the benchmark"
	done
}

bench_timed() {
	timed_tag=$1 timed_limit=$2
	shift 2
	show "$@"
	set +e
	/usr/bin/time -v -o "$work/$timed_tag.time" timeout -k 10 "$timed_limit" "$@" \
		>"$work/$timed_tag.out" 2>"$work/$timed_tag.err"
	bench_code=$?
	set -e
	if grep -q '^Command terminated by signal' "$work/$timed_tag.time"; then
		bench_code="sig$(awk '/^Command terminated by signal/ {print $5}' "$work/$timed_tag.time")"
	fi
}

bench_time_figures() {
	awk '
		/Elapsed \(wall clock\) time/ {
			n = split($NF, t, ":")
			wall = n == 3 ? t[1] * 3600 + t[2] * 60 + t[3] : t[1] * 60 + t[2]
		}
		/Maximum resident set size/ {rss = $NF}
		/User time \(seconds\)/ {cpu += $NF}
		/System time \(seconds\)/ {cpu += $NF}
		END {printf "%.2f %d %.2f\n", wall, rss, cpu}' "$1"
}
