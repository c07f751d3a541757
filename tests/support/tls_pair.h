/*
 * NAME
 *	tls_pair - a TLS client and server talking in memory, for unit tests
 *
 * SUMMARY
 *	struct tls_ctx *server_ctx = tls_pair_server_ctx("good");  (good.chain.pem, good.key)
 *	struct tls_conn *server = tls_conn_new(server_ctx, NULL);
 *	struct tls_conn *client = tls_conn_new(client_ctx, "mx.lab.test");
 *	tls_pair_handshake(client, server);
 *	tls_pair_assert_same_facts(&a, &b, "good");
 *
 * DESCRIPTION
 *	The certificates are those of test_certs.h (made in the runner by
 *	PRE_ALL). tls_pair_handshake() moves each side's output to the other
 *	until both handshakes are done, and fails the test if either fails
 *	or they do not finish within a bounded number of rounds.
 */
#ifndef TLS_PAIR_H
#define TLS_PAIR_H

#include "result.h"
#include "tls_conn.h"

/* A server context serving CERT.chain.pem with CERT.key. */
struct tls_ctx *tls_pair_server_ctx(const char *cert);

/* A client context trusting the test CA. */
struct tls_ctx *tls_pair_client_ctx(void);

void tls_pair_handshake(struct tls_conn *client, struct tls_conn *server);

/* Every certificate fact equal (version and suite aside); what names the case in messages. */
void tls_pair_assert_same_facts(const struct tls_facts *a, const struct tls_facts *b,
                                const char *what);

#endif
