#!/bin/sh
# NAME
#	postfix-deps.sh - install what tests/support/postfix.c needs (Debian 12, as root)
#
# DESCRIPTION
#	Installs Postfix, Cyrus SASL (sasldb, PLAIN/LOGIN, saslpasswd2) and the
#	openssl CLI (scripts/gen-test-certs.sh makes the instances' certificates
#	with it, and the fixture's tests judge TLS with "openssl s_client"),
#	without questions and without leaving the package's own system Postfix
#	running: the test fixture starts private instances on loopback, and a
#	system Postfix on port 25 would only get in the way.
#	Idempotent: running it again changes nothing.
#
# DIAGNOSTICS
#	Exits non-zero if any step fails.
set -eu

export DEBIAN_FRONTEND=noninteractive
set -- postfix libsasl2-2 libsasl2-modules sasl2-bin openssl

missing=false
for p in "$@"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q '^install ok installed$' ||
		missing=true
done

if "$missing"; then
	echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
	# Keep maintainer scripts from starting the system Postfix (101: action forbidden).
	policy=/usr/sbin/policy-rc.d
	if [ -e "$policy" ]; then
		saved_policy=$(mktemp)
		cp -p "$policy" "$saved_policy"
	else
		saved_policy=""
	fi
	restore_policy() {
		if [ -n "$saved_policy" ]; then
			mv "$saved_policy" "$policy"
		else
			rm -f "$policy"
		fi
	}
	trap restore_policy EXIT
	printf '#!/bin/sh\nexit 101\n' >"$policy"
	chmod 755 "$policy"
	apt-get update -q
	apt-get install -y -q --no-install-recommends "$@"
	restore_policy
	trap - EXIT
fi

# A system Postfix started by an earlier install or by hand holds the
# package's queue locks and port 25; the fixture wants none of it.
if [ -r /var/spool/postfix/pid/master.pid ] && postfix status >/dev/null 2>&1; then
	postfix stop
fi

command -v postfix >/dev/null
command -v saslpasswd2 >/dev/null
command -v openssl >/dev/null
echo "postfix-deps: $(postconf -d -h mail_version 2>/dev/null || echo '?') ready"
