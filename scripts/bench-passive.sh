#!/bin/sh
# NAME
#	bench-passive.sh - measure passive-mode throughput on a large generated capture
#
# SYNOPSIS
#	scripts/bench-passive.sh [CONVERSATIONS]   (default 20000, or $CONVERSATIONS)
#
# DESCRIPTION
#	Builds smtp-audit and tests/tools/passive_bench (Release) into
#	$BUILD_DIR, generates a pcap of CONVERSATIONS complete SMTP
#	conversations (about 65 packets and 47 KB each, 512 interleaved; 20000
#	give 1.3 M packets and 940 MB; every tenth conversation reordered and
#	with a retransmission), reads it once to bring it into the page cache,
#	then measures on the same file:
#
#	  capture+reasm   passive_bench read: libpcap, the decoder and the TCP
#	                  reassembler with a consumer that only counts (the
#	                  layers under the SMTP tracker);
#	  smtp-audit      smtp-audit passive -r FILE -o json --out /dev/null
#	                  (everything: reassembly, the SMTP tracker, the report);
#	  tshark          tshark -r FILE -Y smtp (the SMTP dissector with TCP
#	                  reassembly, its default), output to /dev/null.
#
#	For each: wall seconds, packets per second, MB per second (file size /
#	wall time), CPU seconds (user + system) and packets per CPU second
#	(the fairer figure on a shared machine), peak RSS from /usr/bin/time
#	-v, and the exit code (smtp-audit's 1 means findings, not failure). Every command line is printed before it runs. tshark and
#	time are installed with apt-get when missing (as root).
#
# ENVIRONMENT
#	CONVERSATIONS  conversations to generate when no argument is given
#	BUILD_DIR      where to build (default build-bench-passive/ in the source tree)
#	BUILD_TYPE     CMake build type (default Release)
#	WORK           directory for the capture (default: a new one under /tmp)
#	KEEP           1 keeps the work directory and the capture
#
# DIAGNOSTICS
#	Exits 0 when every measurement ran, 1 when a tool failed or is
#	missing, 2 for a bad argument.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)

conversations=${1:-${CONVERSATIONS:-20000}}
build_dir=${BUILD_DIR:-"$top/build-bench-passive"}
build_type=${BUILD_TYPE:-Release}
audit="$build_dir/smtp-audit"
bench="$build_dir/tests/passive_bench"
work=""
failed=0

# shellcheck source-path=SCRIPTDIR source=bench-lib.sh
. "$top/scripts/bench-lib.sh"

case $conversations in
'' | *[!0-9]* | 0)
	echo "bench-passive.sh: CONVERSATIONS must be a positive number" >&2
	exit 2
	;;
esac

install_tools() {
	bench_install_time
	command -v tshark >/dev/null 2>&1 || bench_apt_install tshark tshark
}

machine_notes() {
	bench_machine_notes
	echo "tools:  $("$audit" --version 2>&1 | head -n 1) ($build_type), $(tshark --version 2>/dev/null | head -n 1)"
}

generate() {
	echo "=== capture: $conversations conversations ==="
	set -- "$bench" gen "$work/smtp.pcap" "$conversations"
	show "$@"
	"$@" || die "generating the capture failed"
	bytes=$(stat -c %s "$work/smtp.pcap")
	cat "$work/smtp.pcap" >/dev/null
}

# measure NAME MAX_OK_EXIT COMMAND...: runs COMMAND under /usr/bin/time and
# appends "name wall rss_kb cpu exit" to $work/rows.
measure() {
	name=$1 max_ok=$2
	shift 2
	show "$@"
	code=0
	/usr/bin/time -v -o "$work/$name.time" "$@" >"$work/$name.out" 2>"$work/$name.err" || code=$?
	if [ "$code" -gt "$max_ok" ]; then
		failed=1
		echo "bench-passive.sh: $name exited with $code:" >&2
		tail -n 5 "$work/$name.err" >&2
	fi
	echo "$name $(bench_time_figures "$work/$name.time") $code" >>"$work/rows"
}

print_table() {
	echo "=== results: $packets packets, $(awk -v b="$bytes" 'BEGIN {printf "%.0f", b / 1e6}') MB ==="
	awk -v packets="$packets" -v bytes="$bytes" '
		BEGIN {
			printf "%-14s %8s %11s %8s %8s %14s %11s %5s\n", "tool", "wall s", "packets/s",
			       "MB/s", "CPU s", "packets/CPU s", "peak RSS MB", "exit"
		}
		{
			wall = $2 > 0 ? $2 : 0.001
			cpu = $4 > 0 ? $4 : 0.001
			printf "%-14s %8.2f %11.0f %8.1f %8.2f %14.0f %11.1f %5s\n", $1, $2,
			       packets / wall, bytes / 1e6 / wall, $4, packets / cpu, $3 / 1024, $5
		}' "$work/rows"
}

trap bench_cleanup EXIT
work=${WORK:-$(mktemp -d /tmp/bench-passive.XXXXXX)}
mkdir -p "$work"
: >"$work/rows"
install_tools
bench_build "$build_type" ON smtp-audit passive_bench
machine_notes
generate

echo "=== measurements ==="
measure capture+reasm 0 "$bench" read "$work/smtp.pcap"
cat "$work/capture+reasm.out"
packets=$(awk '{print $2}' "$work/capture+reasm.out")
# smtp-audit exits 1 when it reports findings (cleartext AUTH is in the capture).
measure smtp-audit 1 "$audit" passive -r "$work/smtp.pcap" -o json --out /dev/null
measure tshark 0 tshark -r "$work/smtp.pcap" -Y smtp
smtp_lines=$(wc -l <"$work/tshark.out")
echo "tshark: $smtp_lines SMTP packets displayed"
print_table
exit "$failed"
