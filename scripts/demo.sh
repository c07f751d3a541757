#!/bin/sh
# NAME
#	demo.sh - install, build, start a demo lab of misconfigured mail servers, scan it
#
# SYNOPSIS
#	scripts/demo.sh [extra smtp-audit options, e.g. -o json or -v]
#
# DESCRIPTION
#	Everything runs on loopback: smtp-lab (our scriptable test server)
#	listens on 127.0.0.1 with one persona per port - hardened, open relay,
#	AUTH before TLS, anonymous AUTH, weak mechanisms, lax HELO, no
#	STARTTLS, TLS-only submission, STARTTLS injection, broken STARTTLS,
#	version and risky extensions exposed, user enumeration, implicit
#	TLS - and smtp-audit scans
#	them all and prints its report. The lab is stopped by its pid when the
#	script ends, whatever happens. Exits 0 when the scan ran (whether or
#	not it found problems - it should find many).
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)

"$top/scripts/deps.sh"
"$top/scripts/build.sh" "$top/build" -DCMAKE_BUILD_TYPE=RelWithDebInfo

work=$(mktemp -d)
lab_pid=""
cleanup() {
	if [ -n "$lab_pid" ]; then
		kill "$lab_pid" 2>/dev/null || true
		wait "$lab_pid" 2>/dev/null || true
	fi
	rm -rf "$work"
}
trap cleanup EXIT INT TERM

"$top/build/tests/lab/smtp-lab" \
	--hostname mx.lab.test \
	--listen 127.0.0.1:0=hardened \
	--listen 127.0.0.1:0=open-relay \
	--listen 127.0.0.1:0=auth-before-tls \
	--listen 127.0.0.1:0=auth-anonymous \
	--listen 127.0.0.1:0=weak-mechs \
	--listen 127.0.0.1:0=lax-helo \
	--listen 127.0.0.1:0=no-starttls \
	--listen 127.0.0.1:0=tls-only-submission \
	--listen 127.0.0.1:0=starttls-injectable \
	--listen 127.0.0.1:0=starttls-broken \
	--listen 127.0.0.1:0=exposed \
	--listen 127.0.0.1:0=enum-leaky \
	--listen 127.0.0.1:0=hardened,tls \
	--log "$work/lab.log" --ready-file "$work/ready" &
lab_pid=$!

tries=0
while [ ! -s "$work/ready" ]; do
	tries=$((tries + 1))
	if [ "$tries" -gt 100 ] || ! kill -0 "$lab_pid" 2>/dev/null; then
		echo "demo.sh: smtp-lab did not start" >&2
		exit 1
	fi
	sleep 0.1
done

# One target per listener: ADDRESS:PORT (the ready file says "ADDRESS PORT PERSONA tls|plain").
targets=$(awk '{print $1 ":" $2}' "$work/ready")
tls_ports=$(awk '$4 == "tls" {printf "%s%s", sep, $2; sep=","}' "$work/ready")

echo "smtp-lab personas on loopback:"
awk '{printf "  %s:%s  %s%s\n", $1, $2, $3, ($4 == "tls" ? " (implicit TLS)" : "")}' "$work/ready"
echo

set +e
# shellcheck disable=SC2086
"$top/build/smtp-audit" --tls-ports "${tls_ports:-465}" --helo scanner.demo.test \
	--host-rate 0 --per-host 4 "$@" $targets
code=$?
set -e
echo
echo "smtp-audit exit code: $code (0 clean, 1 findings at or above --fail-on, 2 usage, 3 nothing scanned)"
if [ "$code" -eq 0 ] || [ "$code" -eq 1 ]; then
	exit 0
fi
exit "$code"
