#!/bin/sh
#
# NAME
#	gen-test-certs.sh - a test CA and one server certificate per defect
#
# SYNOPSIS
#	scripts/gen-test-certs.sh OUTDIR [NAME[,NAME...]]
#
# DESCRIPTION
#	Writes into OUTDIR (created if missing) a test CA, ca.crt and ca.key
#	(RSA 2048, SHA-256, valid for 20 years), and these server
#	certificates, each as X.crt (the leaf alone), X.key and X.chain.pem
#	(the leaf, then ca.crt). NAME defaults to mx.lab.test; several
#	comma-separated names make the leaves valid for each of them (the
#	first is the CN). Unless a line says otherwise a leaf is issued by
#	the test CA to CN=NAME with the subjectAltNames DNS:NAME (one per
#	name) and DNS:localhost, has an RSA 2048 key, a SHA-256 signature,
#	and is valid from a day ago for 10 years.
#
#	good        nothing wrong with it
#	expired     valid from 400 days ago until 30 days ago
#	notyet      valid from 30 days ahead for 10 years
#	expiring    valid from a day ago until 5 days ahead
#	wrongname   CN and only subjectAltName other.example.net
#	rsa1024     a 1024-bit RSA key
#	sha1        signed with SHA-1
#	selfsigned  issued by itself, not by the test CA; its chain.pem
#	            is the leaf alone, as it has no issuer to append
#	ec256       an EC P-256 key (nothing wrong with it)
#	sha1issuer  issued by an intermediate CA, sha1issuer-ca.crt and
#	            sha1issuer-ca.key, whose own certificate the test CA
#	            signed with SHA-1; its chain.pem is the leaf, the
#	            intermediate, then ca.crt
#
#	File names never change: Postfix configurations and tests name
#	them. Keys are unencrypted PKCS#8 PEM; the RSA 2048 leaves share one
#	key (each has its own copy as X.key), which keeps a run to a second
#	or two of CPU. Nothing is prompted for.
#
# DIAGNOSTICS
#	Exits 2 on a usage error, 1 when openssl fails (its message is on
#	standard error).

set -eu

usage() {
	echo "usage: $0 OUTDIR [NAME[,NAME...]]" >&2
	exit 2
}

if [ $# -lt 1 ] || [ $# -gt 2 ]; then
	usage
fi
out=$1
name=${2:-mx.lab.test}
case $name in
'' | *[!A-Za-z0-9.,-]* | ,* | *, | *,,*)
	echo "$0: NAME must be host names separated by commas" >&2
	exit 2
	;;
esac

mkdir -p "$out"
work=$(mktemp -d "${TMPDIR:-/tmp}/gen-test-certs.XXXXXX")
trap 'rm -rf "$work"' EXIT
: >"$work/index.txt"
# The configuration names ${ENV::SAN}, so it must be set whenever openssl reads it.
SAN=DNS:unused
export SAN

# openssl ca wants YYYYMMDDHHMMSSZ, in UTC.
when() {
	date -u -d "$1" +%Y%m%d%H%M%SZ
}

cat >"$work/openssl.cnf" <<EOF
[req]
distinguished_name = req_dn
prompt = no

[req_dn]
CN = unused

[ca]
default_ca = test_ca

[test_ca]
database = $work/index.txt
new_certs_dir = $work
serial = $work/serial
certificate = $out/ca.crt
private_key = $out/ca.key
policy = policy_any
unique_subject = no
email_in_dn = no
copy_extensions = none

[policy_any]
organizationName = optional
commonName = supplied

[ca_ext]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash

[leaf_ext]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
subjectAltName = \${ENV::SAN}

[self_ext]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectKeyIdentifier = hash
subjectAltName = \${ENV::SAN}
EOF

# key FILE rsa BITS | key FILE ec | key FILE shared: a new key, or a copy of the leaves' key.
key() {
	if [ "$2" = shared ]; then
		cp "$out/good.key" "$1"
		return
	fi
	if [ "$2" = ec ]; then
		openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 \
			-pkeyopt ec_param_enc:named_curve -out "$1" 2>/dev/null
	else
		openssl genpkey -algorithm RSA -pkeyopt "rsa_keygen_bits:$3" -out "$1" 2>/dev/null
	fi
}

# issue X SUBJECT EXTENSIONS START END DIGEST [SIGNER]: signs X.key's request into X.crt
# with the CA SIGNER.crt/SIGNER.key of OUTDIR (default ca), or with X.key itself when SIGNER
# is self. openssl ca is used throughout because req -x509 and x509 -req of OpenSSL 3.0
# cannot set a start date.
issue() {
	x=$1 ext=$3 start=$4 end=$5 md=$6 signer=${7:-ca}
	openssl req -new -config "$work/openssl.cnf" -key "$out/$x.key" -subj "$2" \
		-out "$work/$x.csr"
	if [ "$signer" = self ]; then
		set -- -selfsign -keyfile "$out/$x.key"
	else
		set -- -cert "$out/$signer.crt" -keyfile "$out/$signer.key"
	fi
	openssl ca -batch -notext -rand_serial -config "$work/openssl.cnf" -extensions "$ext" \
		-startdate "$start" -enddate "$end" -md "$md" "$@" \
		-in "$work/$x.csr" -out "$out/$x.crt" 2>"$work/ca.log" || {
		cat "$work/ca.log" >&2
		exit 1
	}
}

# leaf X CN SAN START END DIGEST KEYTYPE [BITS]: a server certificate from the test CA
# (KEYTYPE rsa, ec or shared, as for key).
leaf() {
	key "$out/$1.key" "$7" "${8:-}"
	SAN=$3 issue "$1" "/CN=$2" leaf_ext "$4" "$5" "$6"
	cat "$out/$1.crt" "$out/ca.crt" >"$out/$1.chain.pem"
}

key "$out/ca.key" rsa 2048
issue ca "/O=smtp-audit tests/CN=smtp-audit test CA" ca_ext "$(when '2 days ago')" \
	"$(when '7300 days')" sha256 self

cn=${name%%,*}
san="DNS:$(echo "$name" | sed 's/,/, DNS:/g'), DNS:localhost"
valid_from=$(when '1 day ago')
valid_to=$(when '3650 days')

leaf good "$cn" "$san" "$valid_from" "$valid_to" sha256 rsa 2048
leaf expired "$cn" "$san" "$(when '400 days ago')" "$(when '30 days ago')" sha256 shared
leaf notyet "$cn" "$san" "$(when '30 days')" "$(when '3680 days')" sha256 shared
leaf expiring "$cn" "$san" "$valid_from" "$(when '5 days')" sha256 shared
leaf wrongname other.example.net "DNS:other.example.net" "$valid_from" "$valid_to" sha256 shared
leaf rsa1024 "$cn" "$san" "$valid_from" "$valid_to" sha256 rsa 1024
leaf sha1 "$cn" "$san" "$valid_from" "$valid_to" sha1 shared
leaf ec256 "$cn" "$san" "$valid_from" "$valid_to" sha256 ec

key "$out/selfsigned.key" shared
SAN=$san issue selfsigned "/CN=$cn" self_ext "$valid_from" "$valid_to" sha256 self
cp "$out/selfsigned.crt" "$out/selfsigned.chain.pem"

key "$out/sha1issuer-ca.key" rsa 2048
issue sha1issuer-ca "/O=smtp-audit tests/CN=smtp-audit SHA-1 intermediate CA" ca_ext \
	"$(when '2 days ago')" "$(when '3660 days')" sha1
key "$out/sha1issuer.key" shared
SAN=$san issue sha1issuer "/CN=$cn" leaf_ext "$valid_from" "$valid_to" sha256 sha1issuer-ca
cat "$out/sha1issuer.crt" "$out/sha1issuer-ca.crt" "$out/ca.crt" >"$out/sha1issuer.chain.pem"
