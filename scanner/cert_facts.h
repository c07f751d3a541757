/*
 * NAME
 *	cert_facts - what a server's certificate is, and which of its checks failed
 *
 * SUMMARY
 *	struct tls_facts f;
 *	char err[256];
 *	if (cert_facts_from_files(&f, "good.chain.pem", "ca.crt", "mx.lab.test",
 *				  err, sizeof(err)) == 0) {
 *		... f.subject, f.not_after, f.chain_trusted, f.self_signed ...
 *		tls_facts_free(&f);
 *	}
 *
 * DESCRIPTION
 *	Fills the certificate part of struct tls_facts (result.h) from a chain
 *	as mbedTLS parsed and verified it. One code path serves a live
 *	handshake (tls_conn_facts()) and PEM files (cert_facts_from_files(),
 *	for tests and tools, without a network); both verify with mbedTLS's
 *	default profile, the one its TLS client uses, against the same CA
 *	store: the system bundle, or a file given with --ca-file.
 *
 *	mbedTLS folds every problem into one set of flags and judges dates by
 *	the wall clock. The facts keep the problems apart, so that a probe can
 *	judge each one by itself, dates against its own clock (probe_now()):
 *
 *	chain_trusted	the leaf's issuers lead to a trusted CA and every
 *			signature on the way is good. Not counted here: the
 *			leaf's own dates (not_before, not_after), its name
 *			(name_matches), its RSA key size (key_type, key_bits)
 *			and the hash of its signature (signature_hash). An
 *			issuer's problems count, its dates by the wall clock.
 *	self_signed	the leaf names itself as issuer and its signature
 *			verifies with its own key.
 *	trusted		mbedTLS's whole verdict by the wall clock, the name
 *			aside; verify_detail says what failed.
 *	name_matches	the leaf is valid for the name given (RFC 6125
 *			matching, done by mbedTLS), when name_checked.
 *
 *	Over TLS, mbedTLS also checks the leaf's key usage against the suite;
 *	a file has no suite, so that check is the one a file does not get.
 *
 *	Internal part: the functions tls_conn.c shares with this module take
 *	mbedTLS types, so they are declared only for a file that included
 *	<mbedtls/x509_crt.h> before this header. Probes and reports, which
 *	cannot include mbedTLS (layering_guard.h), see result.h's struct only.
 *
 * DIAGNOSTICS
 *	0 or SA_ERROR_*: SA_ERROR_INVAL for a file that cannot be read or
 *	holds no usable certificate (err says which file and why), SA_ERROR_TLS
 *	when verification itself failed, SA_ERROR_NOMEM.
 */
#ifndef CERT_FACTS_H
#define CERT_FACTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "result.h"

/*
 * Facts of the leaf in chain_file (PEM: leaf first, then its issuers)
 * verified against ca_file (NULL: the system store) for name (NULL: no
 * name check, as for an address target). version and ciphersuite stay
 * NULL: there was no handshake. On failure *out holds nothing to free.
 */
int cert_facts_from_files(struct tls_facts *out, const char *chain_file, const char *ca_file,
                          const char *name, char *err, size_t errlen);

#ifdef MBEDTLS_X509_CRT_H

/* What a verification saw besides its overall flags; zeroed before it starts. */
struct cert_facts__verify {
	uint32_t issuer_flags; /* flags of the issuers on the verified path (depth > 0) */
};

/*
 * The verification callback (mbedtls_ssl_set_verify(), mbedtls_x509_crt_verify*()),
 * record: a struct cert_facts__verify. It only records; the flags are left as they are.
 */
int cert_facts__verify_cb(void *record, mbedtls_x509_crt *crt, int depth, uint32_t *flags);

/*
 * Loads the CA store into ca: ca_file, or the system bundle when NULL.
 * *have_ca false: no certificate could be loaded, so no chain will be
 * trusted. A missing system bundle is not an error; an unusable ca_file
 * is (SA_ERROR_INVAL, err names it).
 */
int cert_facts__load_ca(mbedtls_x509_crt *ca, const char *ca_file, bool *have_ca, char *err,
                        size_t errlen);

/*
 * The certificate facts of chain (leaf first) into out, whose other
 * fields are kept. flags: the verification's result; name_given: a name
 * was verified; have_ca: as from cert_facts__load_ca(). 0 or
 * SA_ERROR_NOMEM (out then holds what was filled, for tls_facts_free()).
 */
int cert_facts__from_chain(struct tls_facts *out, const mbedtls_x509_crt *chain,
                           const struct cert_facts__verify *verify, uint32_t flags, bool name_given,
                           bool have_ca);

#endif

#endif
