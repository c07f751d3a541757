#!/bin/bash
# NAME
#	capture-tls-hello.sh - record real TLS stacks' first answers to our ClientHellos
#
# SYNOPSIS
#	scripts/capture-tls-hello.sh [OUT_DIR]       (default tests/data/tls)
#
# DESCRIPTION
#	Regenerates the captured server answers that tests/unit/test_tls_hello.c
#	and tests/unit/test_probe_tls_params.c parse. It compiles a small
#	helper that prints a ClientHello built by scanner/tls_hello.c (fixed
#	random and key share, SNI mx.example.org), starts `openssl s_server`
#	and `gnutls-serv` on 127.0.0.1 with a throw-away certificate in a
#	temporary directory, sends each ClientHello and saves the first TLS
#	record of the answer as OUT_DIR/<name>.bin. Servers are stopped by
#	their pid, also on failure. Needs openssl, gnutls-bin, python3, cc
#	and unshare: the script runs in a network namespace of its own that
#	has only a loopback interface, because gnutls-serv cannot be told to
#	listen on loopback alone.
#
#	Each capture: NAME  SERVER  HELLO-VERSION  SUITES, where SUITES is
#	"all" (every suite the table allows in that version, strongest
#	first, as tls_suites_select orders them), "rall" (the same,
#	weakest first), a '+'-joined list of classes (null, anon, export,
#	rc4, des, 3des, cbc, aead) or a ','-joined list of ids.
#
# DIAGNOSTICS
#	Exits non-zero when a tool is missing, a server does not start within
#	5 s, or a server closes without answering.
set -euo pipefail

if [ -z "${SA_CAPTURE_NETNS:-}" ]; then
	exec env SA_CAPTURE_NETNS=1 unshare --map-root-user --net "$0" "$@"
fi
ip link set lo up

top=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-"$top/tests/data/tls"}
tmp=$(mktemp -d)
pids=()

cleanup() {
	for pid in "${pids[@]}"; do
		kill "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	done
	rm -rf "$tmp"
}
trap cleanup EXIT

for tool in openssl gnutls-serv python3 cc ip; do
	command -v "$tool" >/dev/null || { echo "$0: $tool not found" >&2; exit 1; }
done
mkdir -p "$out"

openssl req -x509 -newkey rsa:2048 -nodes -sha256 -days 2 -subj /CN=mx.example.org \
	-keyout "$tmp/key.pem" -out "$tmp/cert.pem" 2>/dev/null

cat >"$tmp/hello.c" <<'EOF'
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tls_hello.h"
#include "tls_suites.h"

static const struct {
	const char *name;
	unsigned flag;
} classes[] = {
    {"null", TLS_SUITE_NULL}, {"anon", TLS_SUITE_ANON}, {"export", TLS_SUITE_EXPORT},
    {"rc4", TLS_SUITE_RC4},   {"des", TLS_SUITE_DES},   {"3des", TLS_SUITE_3DES},
    {"cbc", TLS_SUITE_CBC},   {"aead", TLS_SUITE_AEAD},
};

static unsigned class_flags(char *spec)
{
	unsigned flags = 0;
	for (char *tok = strtok(spec, "+"); tok != NULL; tok = strtok(NULL, "+"))
		for (size_t i = 0; i < sizeof(classes) / sizeof(classes[0]); i++)
			if (strcmp(tok, classes[i].name) == 0)
				flags |= classes[i].flag;
	return flags;
}

int main(int argc, char **argv)
{
	static const char *const versions[] = {"ssl3", "tls1.0", "tls1.1", "tls1.2", "tls1.3"};
	uint16_t ids[TLS_HELLO_MAX_SUITES];
	size_t n = 0;
	struct tls_hello_client c = {.server_name = "mx.example.org"};
	if (argc != 3)
		return 2;
	for (size_t v = 0; v < 5; v++)
		if (strcmp(argv[1], versions[v]) == 0)
			c.version = (uint16_t)(TLS_HELLO_SSL3 + v);
	if (strncmp(argv[2], "0x", 2) == 0) {
		for (char *tok = strtok(argv[2], ","); tok != NULL; tok = strtok(NULL, ","))
			ids[n++] = (uint16_t)strtoul(tok, NULL, 16);
	} else {
		int all = strcmp(argv[2], "all") == 0, rall = strcmp(argv[2], "rall") == 0;
		unsigned any = all || rall ? 0 : class_flags(argv[2]);
		if (!all && !rall && any == 0)
			return 2;
		n = tls_suites_select(c.version, any, 0,
				      rall ? TLS_SUITES_WEAK_FIRST : TLS_SUITES_STRONG_FIRST, ids,
				      TLS_HELLO_MAX_SUITES);
	}
	for (size_t i = 0; i < TLS_HELLO_RANDOM_LEN; i++) {
		c.random[i] = (unsigned char)i;
		c.key_share[i] = (unsigned char)(0x40 + i);
	}
	c.suites = ids;
	c.nsuites = n;
	unsigned char buf[TLS_HELLO_CLIENT_MAX];
	size_t len;
	if (tls_hello_client_build(&c, buf, sizeof(buf), &len) != 0)
		return 1;
	return fwrite(buf, 1, len, stdout) == len ? 0 : 1;
}
EOF
cc -std=c11 -D_GNU_SOURCE -I "$top/scanner" -o "$tmp/hello" "$tmp/hello.c" \
	"$top/scanner/tls_hello.c" "$top/scanner/tls_suites.c" "$top/scanner/sa_error.c"

# Sends a ClientHello file to a port and writes the first record of the answer.
cat >"$tmp/exchange.py" <<'EOF'
import socket, sys
port, hello, out = int(sys.argv[1]), sys.argv[2], sys.argv[3]
with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
    s.sendall(open(hello, "rb").read())
    data, need = b"", 5
    while len(data) < need:
        chunk = s.recv(need - len(data))
        if not chunk:
            sys.exit("server closed after %d bytes" % len(data))
        data += chunk
        if need == 5 and len(data) == 5:
            need = 5 + int.from_bytes(data[3:5], "big")
open(out, "wb").write(data)
EOF

free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

wait_port() {
	python3 - "$1" <<'EOF'
import socket, sys, time
for _ in range(50):
    try:
        socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=1).close()
        sys.exit(0)
    except OSError:
        time.sleep(0.1)
sys.exit("server on port %s did not start" % sys.argv[1])
EOF
}

port=0
server_pid=0

# start_server KIND ARGS...: openssl s_server or gnutls-serv with extra arguments.
start_server() {
	local kind=$1
	shift
	port=$(free_port)
	case $kind in
	openssl)
		openssl s_server -quiet -www -accept "127.0.0.1:$port" -cert "$tmp/cert.pem" \
			-key "$tmp/key.pem" "$@" </dev/null >"$tmp/server.log" 2>&1 &
		;;
	gnutls)
		gnutls-serv --port "$port" --x509certfile "$tmp/cert.pem" \
			--x509keyfile "$tmp/key.pem" "$@" </dev/null >"$tmp/server.log" 2>&1 &
		;;
	esac
	server_pid=$!
	pids+=("$server_pid")
	wait_port "$port"
}

stop_server() {
	kill "$server_pid"
	wait "$server_pid" 2>/dev/null || true
}

# capture NAME VERSION SUITES
capture() {
	"$tmp/hello" "$2" "$3" >"$tmp/hello.bin"
	python3 "$tmp/exchange.py" "$port" "$tmp/hello.bin" "$out/$1.bin"
	echo "$1: $(od -An -tx1 -N 12 "$out/$1.bin" | tr -s ' ')"
}

legacy='ALL:COMPLEMENTOFALL:@SECLEVEL=0'

# OpenSSL 3 with Debian's defaults (TLS 1.2 and 1.3, SECLEVEL 2).
start_server openssl
capture openssl_tls12_ecdhe_gcm tls1.2 0xc02f,0xc030,0x009c,0xc013
capture openssl_tls13 tls1.3 all
# OpenSSL 3 takes TLS 1.0 here but finds no SHA-2 signature for it.
capture openssl_tls10_internal_error tls1.0 all
capture openssl_tls12_handshake_failure tls1.2 null
capture openssl_ssl3_refused ssl3 all
stop_server

# Client order versus server order over the same offer.
start_server openssl -cipher "$legacy"
capture openssl_clientpref_all tls1.2 all
capture openssl_clientpref_rall tls1.2 rall
stop_server
start_server openssl -cipher "$legacy" -serverpref
capture openssl_serverpref_all tls1.2 all
capture openssl_serverpref_rall tls1.2 rall
stop_server

start_server openssl -tls1 -cipher "$legacy"
capture openssl_tls10 tls1.0 all
capture openssl_tls12_to_tls10_server tls1.2 all
stop_server
start_server openssl -tls1 -cipher 'AES128-SHA:@SECLEVEL=0'
capture openssl_tls10_rsa tls1.0 all
stop_server
start_server openssl -tls1_2
capture openssl_tls10_protocol_version tls1.0 all
stop_server
# CBC suites with RSA key exchange only, in the client's order.
start_server openssl -no_tls1_3 -cipher 'AES128-SHA:AES256-SHA256'
capture openssl_tls12_rsa_cbc tls1.2 all
capture openssl_tls12_rsa_cbc_rall tls1.2 rall
stop_server
start_server openssl -no_tls1_3
capture openssl_tls13_protocol_version tls1.3 all
stop_server
start_server openssl -tls1_1 -cipher "$legacy"
capture openssl_tls11 tls1.1 all
stop_server
start_server openssl -cipher "$legacy"
capture openssl_tls12_null tls1.2 null
capture openssl_tls12_ecdhe_cbc tls1.2 0xc013,0xc014
stop_server
# A TLS 1.3 server without x25519 asks for another key share.
start_server openssl -groups P-256
capture openssl_tls13_hello_retry tls1.3 all
stop_server

start_server gnutls
capture gnutls_tls12 tls1.2 all
capture gnutls_tls13 tls1.3 all
stop_server
# GnuTLS with the legacy suites switched back on.
start_server gnutls --priority 'NORMAL:+VERS-TLS1.0:+VERS-TLS1.1:+3DES-CBC:+ARCFOUR-128:+ANON-ECDH:+ANON-DH:+NULL:+SHA1:+MD5'
capture gnutls_tls10 tls1.0 all
capture gnutls_3des tls1.2 3des
capture gnutls_rc4 tls1.2 rc4
capture gnutls_anon tls1.2 anon
capture gnutls_handshake_failure tls1.2 export
stop_server
start_server gnutls --priority 'NORMAL:-VERS-ALL:+VERS-TLS1.2'
capture gnutls_tls11_protocol_version tls1.1 all
stop_server
