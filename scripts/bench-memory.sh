#!/bin/sh
# NAME
#	bench-memory.sh - smtp-audit's memory for 10,000 and 100,000 targets and per idle session
#
# SYNOPSIS
#	scripts/bench-memory.sh
#
# DESCRIPTION
#	Builds smtp-audit and smtp-lab in Release mode into build-release/ and
#	measures, on loopback only:
#
#	Targets. $FARM_PORTS smtp-lab farms serve the same 4096 addresses
#	($FARM_BASE/20), one port each from $FIRST_PORT on, persona
#	no-starttls (greeting and EHLO, no TLS: the scan is about the
#	scanner, not about handshakes). smtp-audit scans them with --probes
#	inventory: a /22 on 10 ports (10,240 targets) and the /20 on 25
#	ports (102,400 targets) as a CIDR, once streamed (-o ndjson: nothing
#	kept per target once written) and once as a whole document (-o json:
#	every result kept to the end), and the 102,400 targets once more as a
#	file of ADDRESS:PORT lines (-f). Peak RSS and wall time come from
#	/usr/bin/time -v; every scan is bounded by $RUN_LIMIT seconds.
#
#	Idle sessions. Two tarpit farms (every byte of the greeting one
#	second apart) on the same 5000 addresses from $TARPIT_BASE, ports
#	$TARPIT_PORT and the next: 10,000 targets, one inventory session
#	each, all waiting for the greeting. With --concurrency 1000 and then
#	10000, it waits until that many sockets are open, reads VmRSS, and
#	stops the scan. The cost of one idle plaintext session (its target
#	job included) is the difference of the two RSS figures over the
#	sessions between them; the gross figure (RSS / sessions) is shown
#	too.
#
#	Every command line is printed before it runs; one table at the end.
#
# ENVIRONMENT
#	FARM_BASE     first address of the /20 (default 127.0.64.0)
#	FIRST_PORT    port of the first farm (default 3525; the farms use 25 ports from it)
#	TARPIT_BASE   first of the 5000 tarpit addresses (default 127.0.96.1)
#	TARPIT_PORT   the first tarpit farm's port (default 3600; the second uses the next)
#	RUN_LIMIT     seconds one scan may take (default 600)
#	BUILD_DIR     where to build (default build-release/ in the source tree)
#	KEEP          1 keeps the work directory
#
# DIAGNOSTICS
#	Exits 0 when every measurement ran, 1 when a lab did not start or
#	died, smtp-audit crashed, failed or ran out of time, or a tool is
#	missing. A benchmark prints figures; it passes or fails nothing else.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)

farm_base=${FARM_BASE:-127.0.64.0}
first_port=${FIRST_PORT:-3525}
farm_ports=25
tarpit_base=${TARPIT_BASE:-127.0.96.1}
tarpit_count=5000
tarpit_port=${TARPIT_PORT:-3600}
run_limit=${RUN_LIMIT:-600}
build_dir=${BUILD_DIR:-"$top/build-release"}
lab_start_tries=600 # of 0.1 s
idle_wait_tries=600 # of 0.1 s

audit="$build_dir/smtp-audit"
work=""
scan_pid=""
failed=0

# shellcheck source-path=SCRIPTDIR source=bench-lib.sh
. "$top/scripts/bench-lib.sh"

# shellcheck disable=SC2317 # called from the EXIT trap
cleanup() {
	if [ -n "$scan_pid" ]; then
		kill -KILL "$scan_pid" 2>/dev/null || true
		wait "$scan_pid" 2>/dev/null || true
	fi
	bench_cleanup
}

# ---- setup ----

# Ten thousand sessions need ten thousand descriptors, in smtp-audit and in the lab.
raise_nofile() {
	want=$1
	hard=$(prlimit --pid $$ --nofile --output HARD --noheadings | tr -d ' ')
	if [ "$hard" != unlimited ] && [ "$hard" -lt "$want" ]; then
		die "the hard open-file limit is $hard; the idle-session measurement needs $want"
	fi
	prlimit --pid $$ --nofile="$want:$hard"
}

# ---- labs ----

start_farms() {
	echo "=== $farm_ports farms of 4096 addresses from $farm_base, ports $first_port.. ==="
	i=0
	while [ "$i" -lt "$farm_ports" ]; do
		bench_start_lab "farm$i" --farm 4096 --farm-base "$farm_base" \
			--farm-port "$((first_port + i))" --farm-mix no-starttls=1
		i=$((i + 1))
	done
}

# The first n farm ports as a --ports list.
port_list() {
	n=$1
	i=0 list=""
	while [ "$i" -lt "$n" ]; do
		list="$list${list:+,}$((first_port + i))"
		i=$((i + 1))
	done
	echo "$list"
}

# ---- measurements: each appends one row to $work/rows ----

# scan TAG TARGETS FORMAT INPUT ARGS...: one bounded, timed inventory scan.
scan() {
	tag=$1 targets=$2 format=$3 input=$4
	shift 4
	set -- "$audit" -q -o "$format" --probes inventory --retries 0 --host-rate 0 \
		--per-host 32 --concurrency 512 --max-targets 1000000 "$@"
	show "$@"
	set +e
	# The report goes nowhere: a 100,000-target JSON document is hundreds of MiB.
	/usr/bin/time -v -o "$work/$tag.time" timeout -k 10 "$run_limit" "$@" \
		>/dev/null 2>"$work/$tag.err"
	code=$?
	set -e
	bench_labs_alive
	if [ "$code" -ne 0 ] && [ "$code" -ne 1 ]; then
		echo "bench-memory.sh: smtp-audit exited $code (124: over $run_limit s); its last words:" >&2
		tail -n 5 "$work/$tag.err" >&2
		failed=1
	fi
	awk -v n="$targets" -v format="$format" -v input="$input" -v code="$code" \
		-v figures="$(bench_time_figures "$work/$tag.time")" 'BEGIN {
		split(figures, f, " ")
		printf "targets %d %s %s %.1f %.2f %s\n", n, format, input, f[2] / 1024, f[1], code
	}' >>"$work/rows"
}

bench_targets() {
	echo "=== targets ==="
	prefix=${farm_base%.*}
	third=${prefix##*.}
	scan t10k-ndjson 10240 ndjson cidr "$farm_base/22" -p "$(port_list 10)"
	scan t10k-json 10240 json cidr "$farm_base/22" -p "$(port_list 10)"
	scan t100k-ndjson 102400 ndjson cidr "$farm_base/20" -p "$(port_list 25)"
	scan t100k-json 102400 json cidr "$farm_base/20" -p "$(port_list 25)"
	# The same 102,400 services as a file, in the CIDR's order (the ports of an address
	# together, so all farms work at once): every line is a spec held from the start.
	awk -v a="${prefix%.*}" -v third="$third" -v first="$first_port" 'BEGIN {
		for (i = 0; i < 4096; i++)
			for (p = 0; p < 25; p++)
				printf "%s.%d.%d:%d\n", a, third + int(i / 256), i % 256, first + p
	}' >"$work/targets.txt"
	scan t100k-file 102400 ndjson file -f "$work/targets.txt"
}

# Open descriptors of a process.
fd_count() {
	find "/proc/$1/fd" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l
}

# idle SESSIONS: RSS of smtp-audit holding that many sessions against the tarpits.
idle() {
	sessions=$1
	set -- "$audit" -q -o ndjson --out /dev/null --probes inventory --retries 0 \
		--host-rate 0 --per-host 4 --concurrency "$sessions" --greeting-timeout 10m \
		--target-timeout 20m -f "$work/tarpit.targets"
	show "$@"
	"$@" >"$work/idle.$sessions.out" 2>&1 &
	scan_pid=$!
	base=$(fd_count "$scan_pid")
	tries=0 open=0
	while [ "$open" -lt "$sessions" ] && [ "$tries" -lt "$idle_wait_tries" ]; do
		sleep 0.1
		tries=$((tries + 1))
		kill -0 "$scan_pid" 2>/dev/null || break
		open=$(($(fd_count "$scan_pid") - base))
	done
	sleep 2 # the first greeting bytes arrive
	rss=$(awk '/^VmRSS/ {print $2}' "/proc/$scan_pid/status" 2>/dev/null || echo 0)
	open=$(($(fd_count "$scan_pid") - base))
	kill -KILL "$scan_pid" 2>/dev/null || true
	wait "$scan_pid" 2>/dev/null || true
	scan_pid=""
	bench_labs_alive
	if [ "$open" -lt "$sessions" ]; then
		echo "bench-memory.sh: only $open of $sessions sessions opened" >&2
		failed=1
	fi
	echo "idle $open $rss" >>"$work/rows"
}

bench_idle() {
	echo "=== idle sessions against $tarpit_count tarpit addresses x 2 ports ==="
	for i in 0 1; do
		bench_start_lab "tarpit$i" --farm "$tarpit_count" --farm-base "$tarpit_base" \
			--farm-port "$((tarpit_port + i))" --farm-mix tarpit=1
	done
	awk '{print $1 ":" $2}' "$work/tarpit0.ready" "$work/tarpit1.ready" >"$work/tarpit.targets"
	idle 1000
	idle 10000
}

# ---- output ----

print_table() {
	echo "=== peak memory for many targets (--probes inventory, concurrency 512) ==="
	awk '
		BEGIN {
			fmt = "%9s  %-7s %-5s %10s %8s %5s\n"
			printf fmt, "targets", "format", "input", "peak_rss_MiB", "wall_s", "exit"
		}
		$1 == "targets" {
			printf "%9d  %-7s %-5s %12.1f %8.1f %5s\n", $2, $3, $4, $5, $6, $7
			if ($4 == "cidr" && !($3 in n1)) {n1[$3] = $2; r1[$3] = $5}
			else if ($4 == "cidr") {n2[$3] = $2; r2[$3] = $5}
		}
		END {
			for (f in n2)
				printf "%s: %.0f bytes per target more from %d to %d targets\n", f,
				    (r2[f] - r1[f]) * 1048576 / (n2[f] - n1[f]), n1[f], n2[f]
		}' "$work/rows"
	echo "=== idle plaintext sessions (tarpit, waiting for the greeting) ==="
	awk '
		$1 == "idle" {n[++k] = $2; rss[k] = $3}
		END {
			printf "%9s %10s %12s\n", "sessions", "rss_KiB", "KiB/session"
			for (i = 1; i <= k; i++)
				printf "%9d %10d %12.2f\n", n[i], rss[i], n[i] ? rss[i] / n[i] : 0
			if (k == 2 && n[2] > n[1])
				printf "marginal: %.2f KiB per idle session (%d -> %d sessions)\n",
				    (rss[2] - rss[1]) / (n[2] - n[1]), n[1], n[2]
		}' "$work/rows"
}

# ---- main ----

[ $# -eq 0 ] || {
	echo "usage: scripts/bench-memory.sh   (settings in the environment, see the header)" >&2
	exit 2
}
trap cleanup EXIT
trap 'exit 1' INT TERM

"$top/scripts/deps.sh"
bench_install_time
command -v timeout >/dev/null || die "timeout (coreutils) is missing"
raise_nofile 16384
bench_build Release OFF smtp-audit smtp-lab
work=$(mktemp -d "${TMPDIR:-/tmp}/smtp-bench-memory.XXXXXX")
echo "=== machine: $(bench_cpu)," \
	"$("$audit" --version 2>&1 | head -n 1), Release ==="
start_farms
bench_targets
bench_idle
print_table
exit "$failed"
