#!/bin/sh
# NAME
#	valgrind-scan.sh - a whole scan under valgrind memcheck: no error, no definite leak
#
# SYNOPSIS
#	scripts/valgrind-scan.sh SMTP_AUDIT SMTP_LAB
#
# DESCRIPTION
#	Starts SMTP_LAB on loopback with well-behaved and hostile personas
#	(ports chosen by the kernel, read from its ready file), runs SMTP_AUDIT
#	with the default probe set against all of them under
#	valgrind --tool=memcheck --leak-check=full --errors-for-leak-kinds=definite,
#	stops the lab by pid (also on failure or interruption) and prints
#	memcheck's figures.
#
#	Passes only when memcheck reports zero errors and zero definitely lost
#	bytes, the scan exits 0 or 1 and its JSON report accounts for every
#	target. Extra memcheck options may come in $VALGRIND_OPTS (e.g.
#	--track-origins=yes to find where an uninitialised value came from).
#
# DIAGNOSTICS
#	Exit 0 on a clean run, 1 on a failure (the memcheck log is printed),
#	77 (ctest: skipped) when SMTP_AUDIT is built with AddressSanitizer,
#	which valgrind cannot run, 2 on a usage error.
set -eu

[ $# -eq 2 ] || { echo "usage: $0 SMTP_AUDIT SMTP_LAB" >&2; exit 2; }
audit=$1
lab=$2
scan_timeout=240
ready_timeout=10

if grep -q __asan_init "$audit"; then
	echo "SKIP: $audit is built with AddressSanitizer; valgrind cannot run it (use the gcc build)"
	exit 77
fi
command -v valgrind >/dev/null || { echo "FAIL: valgrind is not installed (scripts/deps.sh --test)"; exit 1; }

dir=$(mktemp -d "${TMPDIR:-/tmp}/valgrind-scan-XXXXXX")
lab_pid=""
cleanup() {
	if [ -n "$lab_pid" ]; then
		kill "$lab_pid" 2>/dev/null || true
		wait "$lab_pid" 2>/dev/null || true
	fi
	rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

# Each persona takes the engine down another path: findings, AUTH and TLS,
# garbage, resets, TLS failures, a server that closes, timeouts, IPv6.
personas="hardened open-relay auth-before-tls weak-mechs enum-leaky exposed garbage
	reset-mid-reply tls-junk starttls-broken close-after-banner early-talker long-line
	never-greets"
set --
for p in $personas; do
	set -- "$@" --listen "127.0.0.1:0=$p"
done
set -- "$@" --listen "127.0.0.1:0=hardened,tls" --listen "[::1]:0=open-relay"
# The lab dies with this shell even when a SIGKILL leaves the trap no chance.
setpriv --pdeathsig KILL "$lab" "$@" --ready-file "$dir/ready" --log "$dir/lab.log" </dev/null >"$dir/lab.err" 2>&1 &
lab_pid=$!

waited=0
while [ ! -f "$dir/ready" ]; do
	if ! kill -0 "$lab_pid" 2>/dev/null || [ "$waited" -ge $((ready_timeout * 10)) ]; then
		echo "FAIL: smtp-lab did not start:"
		cat "$dir/lab.err"
		exit 1
	fi
	sleep 0.1
	waited=$((waited + 1))
done

targets=$(awk '{ print (index($1, ":") ? "[" $1 "]" : $1) ":" $2 }' "$dir/ready")
tls_ports=$(awk '$4 == "tls" { printf "%s%s", sep, $2; sep = "," }' "$dir/ready")
ntargets=$(wc -l <"$dir/ready")

start=$(date +%s)
status=0
# shellcheck disable=SC2086
timeout -s KILL "$scan_timeout" valgrind --tool=memcheck --leak-check=full \
	--errors-for-leak-kinds=definite --error-exitcode=99 --log-file="$dir/memcheck.log" \
	${VALGRIND_OPTS:-} "$audit" -o json --retries 0 --host-rate 0 --helo scanner.example.net \
	--greeting-timeout 1s --reply-timeout 3s --tls-ports "$tls_ports" $targets \
	>"$dir/report.json" 2>"$dir/scan.err" || status=$?
seconds=$(($(date +%s) - start))

summary=$(sed -n 's/^==[0-9]*== ERROR SUMMARY: //p' "$dir/memcheck.log")
definite=$(sed -n 's/^==[0-9]*==    definitely lost: //p' "$dir/memcheck.log")
heap=$(sed -n 's/^==[0-9]*==   total heap usage: //p' "$dir/memcheck.log")
in_use=$(sed -n 's/^==[0-9]*==     in use at exit: //p' "$dir/memcheck.log")
reported=$(grep -o '"address"' "$dir/report.json" | wc -l)
echo "valgrind-scan: $ntargets targets, $reported in the report, scan exit $status, ${seconds}s"
echo "memcheck: errors: ${summary:-?}"
echo "memcheck: heap: ${heap:-?}; in use at exit: ${in_use:-?}; definitely lost: ${definite:-0 bytes}"

fail=""
[ "$status" -eq 99 ] && fail="memcheck found errors or definite leaks"
[ "$status" -eq 137 ] && fail="the scan did not end within ${scan_timeout}s"
[ -z "$fail" ] && [ "$status" -gt 1 ] && fail="the scan exited $status"
case "$summary" in
"0 errors "*) ;;
*) [ -n "$fail" ] || fail="no clean ERROR SUMMARY in the memcheck log" ;;
esac
[ -z "$fail" ] && [ "$reported" -ne "$ntargets" ] && fail="the report holds $reported of $ntargets targets"
if [ -n "$fail" ]; then
	echo "FAIL: $fail"
	echo "--- memcheck log"
	cat "$dir/memcheck.log"
	echo "--- scan stderr"
	cat "$dir/scan.err"
	exit 1
fi
echo "PASS: no memcheck error, no definite leak"
