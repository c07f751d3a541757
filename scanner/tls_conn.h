/*
 * NAME
 *	tls_conn - TLS over memory buffers, for a byte stream someone else moves
 *
 * SUMMARY
 *	struct tls_ctx *ctx; tls_ctx_new_client(&ctx, NULL, err, sizeof(err));
 *	struct tls_conn *c = tls_conn_new(ctx, "mx.example.org");
 *	on bytes from the socket:  tls_conn_feed(c, buf, n);
 *	                          rc = tls_conn_handshake(c);   (0 done, SA_ERROR_AGAIN more)
 *	                          then tls_conn_read(c, ...) until SA_ERROR_AGAIN
 *	to send:                  tls_conn_write(c, plain, n);
 *	after any call:           while (tls_conn_take_output(c, &data, &len) == 0) write data, free it
 *
 * DESCRIPTION
 *	mbedTLS runs on two memory buffers instead of a socket: ciphertext that
 *	arrived is fed in, ciphertext to send is taken out, so the session's
 *	libuv stream stays the only thing that touches the socket, for
 *	STARTTLS and implicit TLS alike. The same module serves the scanner
 *	(client) and smtp-lab (server).
 *
 *	A client context verifies the chain against the system CA store
 *	(/etc/ssl/certs/ca-certificates.crt) or a given file, but does not
 *	abort on a bad chain, however long: a scanner must still talk to a
 *	server with a broken certificate, and report it. tls_conn_facts() then tells what
 *	was wrong. TLS 1.0 to 1.2 are allowed (mbedTLS 2.28 has no TLS 1.3
 *	client).
 *
 *	State for a connection is allocated by tls_conn_new() only, so a
 *	plaintext session costs no TLS memory.
 *
 * DIAGNOSTICS
 *	Functions return 0 or SA_ERROR_*; mbedTLS codes are never returned.
 *	tls_conn_error() describes the last mbedTLS failure in one line.
 */
#ifndef TLS_CONN_H
#define TLS_CONN_H

#include <stdbool.h>
#include <stddef.h>

#include "result.h"

struct tls_ctx;
struct tls_conn;

/* ca_file NULL: the system store. A missing store is not an error: every chain is then untrusted. */
int tls_ctx_new_client(struct tls_ctx **out, const char *ca_file, char *err, size_t errlen);

/* A server context from a PEM certificate (chain) and key, as strings or files. */
int tls_ctx_new_server(struct tls_ctx **out, const char *cert_pem, const char *key_pem, char *err,
		       size_t errlen);

void tls_ctx_free(struct tls_ctx *ctx);

/* tls_conn_facts() also copies the presented chain (tls_facts.chain_der), for DANE. */
void tls_ctx_keep_chain(struct tls_ctx *ctx);

/* server_name: SNI and the name to verify (client only); NULL for none (address targets). */
struct tls_conn *tls_conn_new(struct tls_ctx *ctx, const char *server_name);
void tls_conn_free(struct tls_conn *c);

/* Ciphertext from the peer. SA_ERROR_TOOBIG if the peer floods the buffer. */
int tls_conn_feed(struct tls_conn *c, const void *data, size_t len);

/* Advances the handshake: 0 done, SA_ERROR_AGAIN wants more input, SA_ERROR_TLS failed. */
int tls_conn_handshake(struct tls_conn *c);

bool tls_conn_established(const struct tls_conn *c);

/*
 * Decrypted bytes into buf: 0 with *got > 0, SA_ERROR_AGAIN when no
 * complete record is buffered, SA_ERROR_CLOSED on close_notify,
 * SA_ERROR_TLS on a bad record.
 */
int tls_conn_read(struct tls_conn *c, void *buf, size_t cap, size_t *got);

/* Encrypts len bytes into the output buffer. */
int tls_conn_write(struct tls_conn *c, const void *data, size_t len);

/* Queues a close_notify alert. */
void tls_conn_close_notify(struct tls_conn *c);

/*
 * Hands over the ciphertext waiting to be sent (malloc'ed; the caller
 * frees it once written). 0 when *data and *len were set, SA_ERROR_AGAIN when
 * there is nothing to send.
 */
int tls_conn_take_output(struct tls_conn *c, char **data, size_t *len);

/* Version, suite and leaf certificate facts of an established client connection. */
int tls_conn_facts(const struct tls_conn *c, struct tls_facts *out);

const char *tls_conn_error(const struct tls_conn *c);

/*
 * Resumption (RFC 5077 tickets or RFC 5246 session IDs), so that the
 * probes of one target need one full handshake, not one each. After a
 * full client handshake, tls_resumable_new() keeps the session and the
 * facts that handshake gave (NULL: the server offered neither a ticket
 * nor an ID, or the session was itself resumed). tls_conn_offer_session()
 * offers it before a later handshake to the same target; a server that
 * declines makes a full handshake, which tls_conn_resumed() tells apart
 * (a fresh master secret). A resumed connection's tls_conn_facts() are
 * those of the handshake that made the session (its chain was verified
 * then), with the version and suite negotiated now. A server context
 * issues tickets (RFC 5077) and tls_conn_resumed() says when a client
 * came back with one.
 */
struct tls_resumable;
struct tls_resumable *tls_resumable_new(const struct tls_conn *c, const struct tls_facts *facts);
void tls_resumable_free(struct tls_resumable *r);
int tls_conn_offer_session(struct tls_conn *c, const struct tls_resumable *r);
bool tls_conn_resumed(const struct tls_conn *c);

#endif
