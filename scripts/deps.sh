#!/bin/sh
# NAME
#	deps.sh - install what smtp-audit needs on Debian 12 (run as root)
#
# SYNOPSIS
#	scripts/deps.sh          build dependencies only (for the demo)
#	scripts/deps.sh --test   also what the test suite needs (Postfix, clang, JSON Schema, ...)
#
# DESCRIPTION
#	Idempotent and non-interactive. Packages already installed are not
#	downloaded again; apt-get update runs only when a package is missing.
set -eu

build_pkgs="build-essential cmake pkg-config libuv1-dev libmbedtls-dev libpcap-dev
	libcriterion-dev libjansson-dev libc-ares-dev uthash-dev ca-certificates"
test_pkgs="clang libclang-rt-14-dev python3 python3-jsonschema openssl iproute2 procps
	chromium fonts-dejavu-core rsyslog valgrind tcpdump time nsd ldnsutils unbound nginx curl"

want="$build_pkgs"
if [ "${1:-}" = "--test" ]; then
	want="$want $test_pkgs"
fi

missing=""
for p in $want; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
		missing="$missing $p"
	fi
done

if [ -n "$missing" ]; then
	if [ "$(id -u)" -ne 0 ]; then
		echo "deps.sh: missing packages:$missing - run as root to install them" >&2
		exit 1
	fi
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -q
	# shellcheck disable=SC2086
	apt-get install -y -q --no-install-recommends $missing
fi

if [ "${1:-}" = "--test" ]; then
	"$(dirname "$0")/postfix-deps.sh"
	# The DNS and HTTPS fixtures run private NSD, unbound and nginx instances on free
	# loopback ports; system ones (ports 53, 80) an install started are stopped by pid.
	for pidfile in /run/nsd/nsd.pid /run/unbound.pid /run/nginx.pid; do
		if [ -s "$pidfile" ]; then
			kill "$(cat "$pidfile")" 2>/dev/null || true
		fi
	done
fi
