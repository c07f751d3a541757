#!/bin/sh
# NAME
#	bench.sh - measure smtp-audit against a farm of simulated mail servers on loopback
#
# SYNOPSIS
#	scripts/bench.sh [N ...]          target counts to scan (default: 100 1000, or $BENCH_N)
#
# DESCRIPTION
#	Builds smtp-audit and smtp-lab in Release mode into build-release/,
#	starts smtp-lab in farm mode - max(N) consecutive loopback addresses
#	from $FARM_BASE, all on $FARM_PORT, personas dealt by $FARM_MIX, the
#	ground truth in a file - and scans the first N farm addresses for
#	each N, once with the default probe set and once with --probes
#	inventory. Every command line is printed before it runs. The farm is
#	dealt so that every prefix of it follows the mix.
#
#	For each run the table shows: wall seconds, targets per second,
#	smtp-audit's peak RSS and CPU seconds (user + system, from
#	/usr/bin/time -v), the lab's CPU seconds during the run (to tell a
#	slow scanner from a saturated lab), smtp-audit's exit code and, for
#	the default probe set, the precision and recall of its open-relay
#	verdicts against the truth: a target is relay-positive when its
#	open_relay probe says "vulnerable", and truly positive when its
#	persona is open-relay ("n/a" while the scanner has no open_relay
#	probe, or no run of it to judge).
#
#	Each measurement is a function that appends one row to a results
#	file; print_table prints the rows. A new tool or measurement is a
#	new function and its rows.
#
# ENVIRONMENT
#	BENCH_N       target counts when no argument is given (default "100 1000")
#	CONCURRENCY   smtp-audit --concurrency (default 256, the scanner's default)
#	FARM_BASE     first farm address, in 127.0.0.0/8 (default 127.0.1.1)
#	FARM_PORT     port of every farm address (default 2525)
#	FARM_MIX      persona weights (default hardened=70,open-relay=10,auth-before-tls=10,lax-helo=10)
#	BUILD_DIR     where to build (default build-release/ in the source tree)
#	KEEP          1 keeps the work directory (reports, targets, time and lab output)
#
# DIAGNOSTICS
#	Exits 0 when every scan ran (whatever it found), 1 when the lab did
#	not start or died, when smtp-audit crashed or failed (an exit code
#	other than 0 or 1), or when a tool is missing; 2 for a bad argument.
#	Everything runs on loopback only.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)

concurrency=${CONCURRENCY:-256}
farm_base=${FARM_BASE:-127.0.1.1}
farm_port=${FARM_PORT:-2525}
farm_mix=${FARM_MIX:-hardened=70,open-relay=10,auth-before-tls=10,lax-helo=10}
build_dir=${BUILD_DIR:-"$top/build-release"}
helo=bench.example.net
lab_start_tries=300 # of 0.1 s

audit="$build_dir/smtp-audit"
work=""
failed=0

# shellcheck source-path=SCRIPTDIR source=bench-lib.sh
. "$top/scripts/bench-lib.sh"

usage() {
	echo "bench.sh: $*" >&2
	echo "usage: scripts/bench.sh [N ...]   (positive target counts, default: 100 1000)" >&2
	exit 2
}

# ---- setup ----

machine_notes() {
	bench_machine_notes
	echo "tool:   $("$audit" --version 2>&1 | head -n 1), Release build"
}

# ---- the farm ----

start_farm() {
	count=$1
	echo "=== smtp-lab farm: $count addresses from $farm_base, port $farm_port ==="
	bench_start_lab farm --farm "$count" --farm-base "$farm_base" --farm-port "$farm_port" \
		--farm-mix "$farm_mix" --truth "$work/truth"
	awk '{n[$3]++} END {for (p in n) printf "  %-20s %d\n", p, n[p]}' "$work/truth" | sort
}

# The lab's user + system CPU, in clock ticks.
lab_ticks() {
	awk '{print $14 + $15}' "/proc/$lab_pid/stat"
}

# ---- measurements: each appends one row to $work/rows ----

# Precision and recall of the open-relay verdicts in a JSON report against the first n truth lines.
relay_score() {
	report=$1 n=$2
	if ! "$audit" --list-probes | grep -q '^open_relay '; then
		echo "n/a n/a"
		return
	fi
	head -n "$n" "$work/truth" | python3 -c '
import json, sys

truth = {}
for line in sys.stdin:
    address, port, persona = line.split()
    truth[(address, int(port))] = persona == "open-relay"
with open(sys.argv[1]) as f:
    report = json.load(f)
flagged, judged = set(), 0
for t in report.get("targets", []):
    for p in t.get("probes", []):
        if p.get("name") == "open_relay":
            judged += 1
            if p.get("verdict") == "vulnerable":
                flagged.add((t["address"], t["port"]))
if judged == 0:
    print("n/a n/a")
    sys.exit(0)
tp = sum(1 for k in flagged if truth.get(k, False))
positives = sum(truth.values())
ratio = lambda a, b: "%.3f" % (a / b) if b else "n/a"
print(ratio(tp, len(flagged)), ratio(tp, positives))
' "$report"
}

# smtp-audit on the first n farm addresses with a probe set ("default" or a --probes list).
bench_smtp_audit() {
	n=$1 probes=$2
	tag="smtp-audit.$n.$probes"
	head -n "$n" "$work/truth" | awk '{print $1}' >"$work/targets.$n"
	set -- "$audit" -p "$farm_port" -o json --out "$work/$tag.json" --host-rate 0 --retries 0 \
		--helo "$helo" --concurrency "$concurrency"
	[ "$probes" = default ] || set -- "$@" --probes "$probes"
	set -- "$@" -f "$work/targets.$n"
	show "$@"
	ticks0=$(lab_ticks)
	start=$(date +%s.%N)
	set +e
	/usr/bin/time -v -o "$work/$tag.time" "$@" >"$work/$tag.out" 2>"$work/$tag.err"
	code=$?
	set -e
	end=$(date +%s.%N)
	bench_labs_alive
	ticks1=$(lab_ticks)
	if grep -q '^Command terminated by signal' "$work/$tag.time"; then
		code="sig$(awk '/^Command terminated by signal/ {print $5}' "$work/$tag.time")"
	fi
	if [ "$code" != 0 ] && [ "$code" != 1 ]; then
		echo "bench.sh: smtp-audit exited $code; its last words:" >&2
		tail -n 5 "$work/$tag.err" >&2
		failed=1
	fi
	score="- -"
	if [ "$probes" = default ]; then
		score="n/a n/a"
		[ -s "$work/$tag.json" ] && score=$(relay_score "$work/$tag.json" "$n")
	fi
	awk -v tool=smtp-audit -v n="$n" -v probes="$probes" -v start="$start" -v end="$end" \
		-v ticks="$((ticks1 - ticks0))" -v hz="$(getconf CLK_TCK)" -v code="$code" \
		-v score="$score" -v figures="$(bench_time_figures "$work/$tag.time")" 'BEGIN {
		wall = end - start
		split(score, s, " ")
		split(figures, f, " ")
		printf "%s %d %s %.2f %.1f %.1f %.2f %.2f %s %s %s\n", tool, n, probes, wall,
		    n / wall, f[2] / 1024, f[3], ticks / hz, code, s[1], s[2]
	}' >>"$work/rows"
}

# ---- output ----

print_table() {
	echo "=== results (concurrency $concurrency, farm mix $farm_mix) ==="
	awk '
		BEGIN {
			fmt = "%-10s %6s %-9s %8s %10s %9s %7s %9s %5s %7s %7s\n"
			printf fmt, "tool", "N", "probes", "wall_s", "targets/s", "rss_MiB", "cpu_s",
			    "lab_cpu_s", "exit", "relay_P", "relay_R"
		}
		{printf fmt, $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11}' "$work/rows"
}

# ---- main ----

sizes=${*:-${BENCH_N:-100 1000}}
max=0
for n in $sizes; do
	case $n in
	'' | *[!0-9]* | 0*) usage "'$n' is not a positive target count" ;;
	esac
	[ "$n" -gt "$max" ] && max=$n
done
[ "$max" -gt 0 ] || usage "no target count"

trap bench_cleanup EXIT
trap 'exit 1' INT TERM

"$top/scripts/deps.sh"
command -v python3 >/dev/null || die "python3 is needed for the relay score"
bench_install_time
bench_build Release OFF smtp-audit smtp-lab
machine_notes
work=$(mktemp -d "${TMPDIR:-/tmp}/smtp-bench.XXXXXX")
start_farm "$max"

echo "=== scans ==="
for n in $sizes; do
	bench_smtp_audit "$n" default
	bench_smtp_audit "$n" inventory
done
print_table
exit "$failed"
