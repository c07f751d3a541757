/*
 * NAME
 *	lab_cert - the certificate and key smtp-lab presents
 *
 * SUMMARY
 *	struct lab_cert cert;
 *	lab_cert_generate(&cert, "mx.lab.test", err, sizeof(err));
 *	or lab_cert_load(&cert, "cert.pem", "key.pem", err, sizeof(err));
 *	or lab_cert_generate_chain(&cert, "mx.lab.test", LAB_CERT_CHAIN_DEPTH, err, sizeof(err));
 *	tls_ctx_new_server(&ctx, cert.cert_pem, cert.key_pem, ...); lab_cert_free(&cert);
 *
 * DESCRIPTION
 *	Without --cert/--key the lab makes a throw-away self-signed EC P-256
 *	certificate at start: subject CN=<hostname>, SANs <hostname> and
 *	localhost, valid from a day ago for a year. Either way the result is
 *	a pair of PEM strings for tls_ctx_new_server().
 *
 *	lab_cert_generate_chain() makes a chain depth certificates deep for
 *	the deep-chain persona: the leaf (CN=<hostname>, the same SANs),
 *	depth - 2 intermediates and a self-signed root, all CAs but the leaf,
 *	leaf first in the PEM. They share one key, so the whole chain costs
 *	one key generation and depth signatures, and it fits the one TLS
 *	record (16 KiB) a Certificate message may take in mbedTLS.
 *
 * DIAGNOSTICS
 *	0, or SA_ERROR_IO (a file cannot be read), SA_ERROR_TOOBIG (a file
 *	over 1 MiB), SA_ERROR_TLS (mbedTLS failed), SA_ERROR_NOMEM; err then
 *	holds one line naming what failed.
 */
#ifndef LAB_CERT_H
#define LAB_CERT_H

#include <stddef.h>

#define LAB_CERT_CHAIN_DEPTH 50

struct lab_cert {
	char *cert_pem;
	char *key_pem;
};

int lab_cert_generate(struct lab_cert *out, const char *hostname, char *err, size_t errlen);
int lab_cert_generate_chain(struct lab_cert *out, const char *hostname, unsigned depth, char *err,
                            size_t errlen);
int lab_cert_load(struct lab_cert *out, const char *cert_file, const char *key_file, char *err,
                  size_t errlen);
void lab_cert_free(struct lab_cert *c);

#endif
