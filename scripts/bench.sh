#!/bin/sh
# NAME
#	bench.sh - smtp-audit against nmap on a farm of simulated mail servers, and a real Postfix
#
# SYNOPSIS
#	scripts/bench.sh [N ...]          target counts (default: 100 1000 5000, or $BENCH_N)
#
# DESCRIPTION
#	Builds smtp-audit, smtp-lab and bench_postfix in Release mode into
#	build-release/. For each latency of $BENCH_LATENCY it starts smtp-lab
#	in farm mode - max(N) consecutive loopback addresses from $FARM_BASE,
#	all on $FARM_PORT, personas dealt by $FARM_MIX, --delay-ms LATENCY
#	before every reply, the ground truth in a file - and for each N scans
#	the first N farm addresses with each run of $BENCH_RUNS:
#	  default     smtp-audit with the default probe set
#	  open_relay  smtp-audit --probes open_relay
#	  nmap        nmap -Pn -n -p PORT --script +smtp-open-relay -T5
#	              --min-parallelism $NMAP_PARALLELISM -iL TARGETS -oX REPORT
#	Then, unless BENCH_POSTFIX=0, it scans two private Postfix instances on
#	127.0.0.1 (tests/support/postfix.h's "hardened" configuration, run by
#	bench_postfix) with --probes open_relay: one with Postfix's default
#	smtpd_soft_error_limit 10 and smtpd_hard_error_limit 20, after which
#	every reply is slowed by smtpd_error_sleep_time (1 s) and the session
#	is dropped, and one with both limits raised to 1000. Equal wall times
#	and no "too many errors" in the log mean no session was slowed.
#	Every command line is printed before it runs.
#
#	The table has one row per case (N and latency) and tool: wall seconds,
#	targets per second, targets per CPU second of the tool, peak RSS and
#	CPU seconds (user + system, from /usr/bin/time -v), the farm's CPU
#	seconds during the run (to tell a slow scanner from a saturated
#	farm), the 1-minute load average when the run
#	started (the machine may be shared), the exit code, the precision and
#	recall of the relay verdicts against the truth (a target is flagged
#	when open_relay says "vulnerable", or nmap says "Server is an open
#	relay"; truly positive when its persona is open-relay), nmap's wall
#	time divided by this run's, the case's round-trip floor and the
#	measured time as a multiple of it.
#
#	The floor. smtp-lab waits LATENCY before every SMTP reply and before
#	nothing else: TCP connect and TLS handshake flights are not delayed,
#	so on the farm a round trip (RT) is one wait for a reply, or for the
#	replies of one pipelined flight; the reply to QUIT is not needed. The
#	RTs one session of each probe needs, against the farm's majority
#	persona (hardened: PIPELINING, STARTTLS, AUTH only after TLS, VRFY
#	off), are in probe_floor below, counted from each probe's header
#	(probes/*.c). An open_relay session needs the issue's three: greeting,
#	EHLO, and one flight of MAIL and RCPTs (RFC 2920); the hardened persona
#	refuses all 62 attempts (2 controls, 60 relay attempts), and no session
#	may collect more than 9 refusals, one of which must be allowed for
#	its MAIL, so the battery needs ceil(62 / 8) = 8 such sessions. (An
#	open relay accepts and takes the 8 flights in one session, 10 RT;
#	counting every host as hardened puts the fleet term 6 % above what
#	the default farm mix, 10 % open relays, needs.) For a probe set, with
#	P = --per-host sessions per host and C = --concurrency sessions in
#	all, sessions 1..k needing r1..rk RTs:
#	  host = max(max ri, ceil(sum ri / P))       one host, P sessions at a time
#	  fleet = ceil(N * sum ri / C)               C sessions at a time in all
#	  floor = max(host, fleet) RT * LATENCY
#	For a probe set of one session per host this is
#	ceil(N / C) waves of r RTs. nmap answers the same question as
#	open_relay, so its rows show open_relay's floor. With LATENCY 0 the
#	floor is 0 and the multiple "-". On a real network add per session one
#	RT for TCP and one or two for each TLS handshake.
#
# ENVIRONMENT
#	BENCH_N          target counts when no argument is given (default "100 1000 5000")
#	BENCH_LATENCY    farm reply delays in ms (default "0 50")
#	BENCH_RUNS       runs per case, of default, open_relay, nmap (default: all three)
#	BENCH_POSTFIX    0 skips the Postfix rows (default 1; they need root)
#	CONCURRENCY      smtp-audit --concurrency (default 256, the scanner's default)
#	PER_HOST         smtp-audit --per-host (default 2, the scanner's default)
#	NMAP_PARALLELISM nmap --min-parallelism (default 1000)
#	RUN_LIMIT        seconds after which one run is killed (default 1800)
#	FARM_BASE        first farm address, in 127.0.0.0/8 (default 127.42.0.1, away from the
#	                 127.0.1.x listeners of the test suite and demo)
#	FARM_PORT        port of every farm address (default 2525)
#	FARM_MIX         persona weights (default hardened=70,open-relay=10,auth-before-tls=10,lax-helo=10)
#	BUILD_DIR        where to build (default build-release/ in the source tree)
#	KEEP             1 keeps the work directory (reports, targets, time, lab and Postfix output)
#
# DIAGNOSTICS
#	Exits 0 when every run ran (whatever it found), 1 when a server did not
#	start or died, when a run crashed, failed or hit RUN_LIMIT (smtp-audit:
#	an exit code other than 0 or 1; nmap: other than 0), or when a tool is
#	missing; 2 for a bad argument. Everything runs on loopback only, and
#	every server started is stopped by pid on exit.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)

concurrency=${CONCURRENCY:-256}
per_host=${PER_HOST:-2}
nmap_parallelism=${NMAP_PARALLELISM:-1000}
run_limit=${RUN_LIMIT:-1800}
latencies=${BENCH_LATENCY:-0 50}
runs=${BENCH_RUNS:-default open_relay nmap}
with_postfix=${BENCH_POSTFIX:-1}
farm_base=${FARM_BASE:-127.42.0.1}
farm_port=${FARM_PORT:-2525}
farm_mix=${FARM_MIX:-hardened=70,open-relay=10,auth-before-tls=10,lax-helo=10}
build_dir=${BUILD_DIR:-"$top/build-release"}
helo=bench.example.net
lab_start_tries=600 # of 0.1 s

audit="$build_dir/smtp-audit"
work=""
failed=0

# shellcheck source-path=SCRIPTDIR source=bench-lib.sh
. "$top/scripts/bench-lib.sh"

# Sessions and RTs per session of each default probe against the hardened persona.
probe_floor='
inventory          1  4  greeting, EHLO, STARTTLS, EHLO
open_relay         8  3  greeting, EHLO, one flight of MAIL + RCPTs; 62 refusals at <= 9 per session, one a MAIL
auth_before_tls    1  3  greeting, EHLO, AUTH PLAIN (no AUTH before TLS)
auth_anonymous     1  4  greeting, EHLO, STARTTLS, EHLO (no ANONYMOUS)
auth_weak_mechs    1  4  greeting, EHLO, STARTTLS, EHLO (no NTLM)
helo_validation   11  4  per HELO form: greeting, HELO, MAIL, RCPT (lock-step: HELO shows no PIPELINING)
starttls           1  4  greeting, EHLO, STARTTLS, EHLO
starttls_injection 1  4  greeting, EHLO, STARTTLS + RSET, EHLO
tls_params        12  3  per ClientHello: greeting, EHLO, STARTTLS (TLS 1.2 only)
certificate        1  4  greeting, EHLO, STARTTLS, EHLO
user_enum          1  7  greeting, EHLO, VRFY, EXPN, MAIL + RCPTs, RCPT control, RCPT users
exposure           1  5  greeting, EHLO, EHLO, HELP, RSET + MAIL + RCPT + RSET
'

usage() {
	echo "bench.sh: $*" >&2
	echo "usage: scripts/bench.sh [N ...]   (positive target counts, default: 100 1000 5000)" >&2
	exit 2
}

# Dies unless every word of $2 is a positive number (zero too when $3 is 0ok).
check_numbers() {
	for number in $2; do
		case $number in
		'' | *[!0-9]*) usage "$1: '$number' is not a number" ;;
		0) [ "${3:-}" = 0ok ] || usage "$1: 0 is not allowed" ;;
		0*) usage "$1: '$number' has a leading zero" ;;
		esac
	done
}

# ---- setup ----

machine_notes() {
	bench_machine_notes
	echo "tool:   $("$audit" --version 2>&1 | head -n 1), Release build"
	echo "nmap:   $(nmap --version | head -n 1)"
	echo "load:   $(cut -d ' ' -f 1-3 /proc/loadavg) (1, 5, 15 min)"
}

# The probe set's RTs: "host fleet" for n targets (see DESCRIPTION).
floor_round_trips() {
	set=$1 n=$2
	echo "$probe_floor" | awk -v set="$set" -v n="$n" -v p="$per_host" -v c="$concurrency" '
		function ceil(x) {return x == int(x) ? x : int(x) + 1}
		NF >= 3 && (set == "default" || $1 == set) {
			if ($3 > longest) longest = $3
			sum += $2 * $3
		}
		END {
			host = ceil(sum / p)
			if (longest > host) host = longest
			printf "%d %d\n", host, ceil(n * sum / c)
		}'
}

print_floor_model() {
	echo "=== round-trip floor (RT = one wait for a reply or a pipelined flight's replies) ==="
	echo "$probe_floor" | awk 'NF >= 3 {
		printf "  %-18s %2d session(s) x %d RT: ", $1, $2, $3
		for (i = 4; i <= NF; i++) printf "%s%s", $i, i < NF ? " " : "\n"
	}'
	echo "  host = max(max RT of a session, ceil(sum / per-host $per_host))," \
		"fleet = ceil(N * sum / concurrency $concurrency)"
	echo "  floor = max(host, fleet) RT x latency; nmap rows: open_relay's floor"
	for set in open_relay default; do
		for n in $sizes; do
			echo "  $set N=$n: host fleet = $(floor_round_trips "$set" "$n") RT"
		done
	done
}

# ---- servers ----

start_farm() {
	count=$1 latency=$2
	echo "=== smtp-lab farm: $count addresses from $farm_base, port $farm_port, ${latency} ms ==="
	rm -f "$work/truth"
	bench_start_lab farm --farm "$count" --farm-base "$farm_base" --farm-port "$farm_port" \
		--farm-mix "$farm_mix" --truth "$work/truth" --delay-ms "$latency"
	farm_pid=$lab_pid
	awk '{n[$3]++} END {for (p in n) printf "  %-20s %d\n", p, n[p]}' "$work/truth" | sort
}

# The farm's user + system CPU, in clock ticks.
farm_ticks() {
	awk '{print $14 + $15}' "/proc/$farm_pid/stat"
}

# ---- scoring ----

# Precision and recall against the first n truth lines: "P R", "n/a" where undefined.
# kind json: open_relay verdicts of an smtp-audit report; nmap: an nmap XML report.
relay_score() {
	kind=$1 report=$2 n=$3
	head -n "$n" "$work/truth" >"$work/truth.$n"
	python3 - "$kind" "$report" "$work/truth.$n" <<'EOF'
import json, sys
import xml.etree.ElementTree as ET

kind, report, truth_file = sys.argv[1:]
truth = {}
with open(truth_file) as f:
    for line in f:
        address, port, persona = line.split()
        truth[(address, int(port))] = persona == "open-relay"
flagged, judged = set(), 0
if kind == "json":
    with open(report) as f:
        for t in json.load(f).get("targets", []):
            for p in t.get("probes", []):
                if p.get("name") == "open_relay":
                    judged += 1
                    if p.get("verdict") == "vulnerable":
                        flagged.add((t["address"], t["port"]))
else:
    for host in ET.parse(report).getroot().iter("host"):
        address = host.find("address").get("addr")
        for port in host.iter("port"):
            for script in port.iter("script"):
                if script.get("id") == "smtp-open-relay":
                    judged += 1
                    if script.get("output", "").startswith("Server is an open relay"):
                        flagged.add((address, int(port.get("portid"))))
if judged == 0:
    print("n/a n/a")
    sys.exit(0)
tp = sum(1 for k in flagged if truth.get(k, False))
ratio = lambda a, b: "%.3f" % (a / b) if b else "n/a"
print(ratio(tp, len(flagged)), ratio(tp, sum(truth.values())))
EOF
}

# ---- measurements: each appends one row to $work/rows ----

# add_row CASE TOOL N LATENCY TAG SCORE FLOOR_RT NOTE: one row from $work/TAG.time.
add_row() {
	awk -v case_="$1" -v tool="$2" -v n="$3" -v latency="$4" -v score="$6" -v floor="$7" \
		-v note="$8" -v ticks="$((ticks1 - ticks0))" -v hz="$(getconf CLK_TCK)" \
		-v load="$load" -v code="$bench_code" \
		-v figures="$(bench_time_figures "$work/$5.time")" 'BEGIN {
		split(figures, f, " ")
		wall = f[1] > 0 ? f[1] : 0.01
		printf "%s %s %d %s %.2f %.1f %.2f %.2f %.2f %s %s %s %.2f %s\n", case_, tool, n,
		    wall, n / wall, f[2] / 1024, f[3], ticks / hz, load, code, score, floor,
		    floor * latency / 1000, note
	}' >>"$work/rows"
}

# A timed run of the first n farm addresses; sets ticks0, ticks1 and load for add_row.
farm_run() {
	tag=$1
	shift
	load=$(cut -d ' ' -f 1 /proc/loadavg)
	ticks0=$(farm_ticks)
	bench_timed "$tag" "$run_limit" "$@"
	bench_labs_alive
	ticks1=$(farm_ticks)
}

# smtp-audit on the first n farm addresses with a probe set ("default" or a --probes list).
bench_smtp_audit() {
	n=$1 latency=$2 probes=$3
	tag="smtp-audit.$n.$latency.$probes"
	set -- nice "$audit" -p "$farm_port" -o json --out "$work/$tag.json" --host-rate 0 \
		--retries 0 --helo "$helo" --concurrency "$concurrency" --per-host "$per_host"
	[ "$probes" = default ] || set -- "$@" --probes "$probes"
	farm_run "$tag" "$@" -f "$work/targets.$n"
	if [ "$bench_code" != 0 ] && [ "$bench_code" != 1 ]; then
		echo "bench.sh: smtp-audit exited $bench_code; its last words:" >&2
		tail -n 5 "$work/$tag.err" >&2
		failed=1
	fi
	score="n/a n/a"
	[ -s "$work/$tag.json" ] && score=$(relay_score json "$work/$tag.json" "$n")
	add_row "N=$n,${latency}ms" "smtp-audit:$probes" "$n" "$latency" "$tag" "$score" \
		"$(floor_round_trips "$probes" "$n" | awk '{print ($1 > $2 ? $1 : $2)}')" -
}

bench_nmap() {
	n=$1 latency=$2
	tag="nmap.$n.$latency"
	# "+" runs the script whatever the service on the port looks like: the farm is not on 25.
	farm_run "$tag" nice nmap -Pn -n -p "$farm_port" --script +smtp-open-relay -T5 \
		--min-parallelism "$nmap_parallelism" -iL "$work/targets.$n" -oX "$work/$tag.xml"
	if [ "$bench_code" != 0 ]; then
		echo "bench.sh: nmap exited $bench_code; its last words:" >&2
		tail -n 5 "$work/$tag.err" >&2
		failed=1
	fi
	score="n/a n/a"
	[ -s "$work/$tag.xml" ] && score=$(relay_score nmap "$work/$tag.xml" "$n")
	add_row "N=$n,${latency}ms" nmap:smtp-open-relay "$n" "$latency" "$tag" "$score" \
		"$(floor_round_trips open_relay "$n" | awk '{print ($1 > $2 ? $1 : $2)}')" -
}

# One private Postfix named NAME, "hardened" plus main.cf lines, scanned with --probes open_relay.
scan_postfix() {
	name=$1
	shift
	bench_start_server "$name" "$build_dir/tests/bench_postfix" "$work/$name.ready" hardened "$@"
	read -r pf_address pf_port pf_dir <"$work/$name.ready"
	tag="smtp-audit.$name"
	load=$(cut -d ' ' -f 1 /proc/loadavg)
	ticks0=0 ticks1=0
	bench_timed "$tag" "$run_limit" nice "$audit" -o json --out "$work/$tag.json" \
		--host-rate 0 --retries 0 --helo "$helo" --per-host "$per_host" \
		--probes open_relay "$pf_address:$pf_port"
	bench_labs_alive
	[ "$bench_code" = 0 ] || [ "$bench_code" = 1 ] || failed=1
	verdict=$(python3 -c 'import json, sys
print(json.load(open(sys.argv[1]))["targets"][0]["probes"][0]["verdict"])' "$work/$tag.json" ||
		echo none)
	# Postfix logs asynchronously: give the last disconnect a moment to reach the log.
	sleep 1
	sessions=$(grep -c ' connect from ' "$pf_dir/maillog" || true)
	errors=$(grep -c 'too many errors' "$pf_dir/maillog" || true)
	add_row "postfix:$name" smtp-audit:open_relay 1 0 "$tag" "- -" 3 \
		"verdict=$verdict,sessions=$sessions,too-many-errors=$errors"
	bench_stop_server "$lab_pid"
}

# ---- output ----

print_table() {
	echo "=== results (concurrency $concurrency, per-host $per_host," \
		"nmap --min-parallelism $nmap_parallelism, farm mix $farm_mix) ==="
	awk '
		function cell(x) {return x == "" ? "-" : x}
		{
			row[NR] = $0
			if ($2 == "nmap:smtp-open-relay") nmap[$1] = $4
		}
		END {
			fmt = "%-20s %-21s %7s %9s %9s %7s %6s %6s %5s %4s %5s %5s %9s %6s %7s %7s %s\n"
			printf fmt, "case", "tool", "wall_s", "targets/s", "tgt/cpu_s", "rss_MiB",
			    "cpu_s", "farm_s", "load", "exit", "rel_P", "rel_R", "nmap/this", "floor",
			    "floor_s", "x_floor", "note"
			for (i = 1; i <= NR; i++) {
				split(row[i], f, " ")
				ratio = f[2] != "nmap:smtp-open-relay" && (f[1] in nmap) ? \
				    sprintf("%.1f", nmap[f[1]] / f[4]) : "-"
				per_cpu = f[7] > 0 ? sprintf("%.0f", f[3] / f[7]) : "-"
				multiple = f[14] > 0 ? sprintf("%.1f", f[4] / f[14]) : "-"
				printf fmt, f[1], f[2], f[4], f[5], per_cpu, f[6], f[7], f[8], f[9], f[10],
				    f[11], f[12], ratio, f[13] " RT", f[14], multiple, cell(f[15])
			}
		}' "$work/rows"
}

# ---- main ----

sizes=${*:-${BENCH_N:-100 1000 5000}}
check_numbers N "$sizes"
check_numbers BENCH_LATENCY "$latencies" 0ok
check_numbers CONCURRENCY "$concurrency"
check_numbers PER_HOST "$per_host"
check_numbers NMAP_PARALLELISM "$nmap_parallelism"
check_numbers RUN_LIMIT "$run_limit"
max=0
for n in $sizes; do
	[ "$n" -gt "$max" ] && max=$n
done
[ "$max" -gt 0 ] || usage "no target count"
for run in $runs; do
	case $run in
	default | open_relay | nmap) ;;
	*) usage "BENCH_RUNS: '$run' is not one of default, open_relay, nmap" ;;
	esac
done

trap bench_cleanup EXIT
trap 'exit 1' INT TERM

"$top/scripts/deps.sh"
[ "$with_postfix" = 0 ] || "$top/scripts/postfix-deps.sh"
command -v python3 >/dev/null || die "python3 is needed for the relay score"
command -v nmap >/dev/null || bench_apt_install nmap nmap
bench_install_time
bench_build Release ON smtp-audit smtp-lab bench_postfix
machine_notes
print_floor_model
work=$(mktemp -d "${TMPDIR:-/tmp}/smtp-bench.XXXXXX")

for latency in $latencies; do
	start_farm "$max" "$latency"
	echo "=== scans ==="
	for n in $sizes; do
		head -n "$n" "$work/truth" | awk '{print $1}' >"$work/targets.$n"
		for run in $runs; do
			case $run in
			nmap) bench_nmap "$n" "$latency" ;;
			*) bench_smtp_audit "$n" "$latency" "$run" ;;
			esac
		done
	done
	bench_stop_server "$farm_pid"
done
if [ "$with_postfix" != 0 ]; then
	echo "=== real Postfix, hardened, --probes open_relay ==="
	scan_postfix limits-10-20
	scan_postfix limits-1000 "smtpd_soft_error_limit = 1000" "smtpd_hard_error_limit = 1000"
fi
print_table
exit "$failed"
