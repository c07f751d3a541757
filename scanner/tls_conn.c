/*
 * NAME
 *	tls_conn - TLS over memory buffers (mbedTLS 2.28)
 *
 * DESCRIPTION
 *	See tls_conn.h. The BIO callbacks below never block: the receive side
 *	hands out what tls_conn_feed() buffered and answers WANT_READ when it
 *	is empty; the send side appends to an output buffer that the owner of
 *	the socket drains with tls_conn_take_output().
 *
 *	A client verifies the server's chain once the handshake is done, not
 *	inside it (the handshake runs with VERIFY_NONE): mbedTLS fails the
 *	handshake itself with a fatal error when a chain is longer than it
 *	walks (MBEDTLS_X509_MAX_INTERMEDIATE_CA), and a scanner must still
 *	talk to such a server and report the chain as untrusted. The check of
 *	the leaf's key usage against the suite, which VERIFY_NONE skips too,
 *	is done here the way mbedTLS does it.
 */
#include "tls_conn.h"

#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>
#include <mbedtls/error.h>
#include <mbedtls/oid.h>
#include <mbedtls/pk.h>
#include <mbedtls/ssl.h>
#include <mbedtls/ssl_ciphersuites.h>
#include <mbedtls/ssl_ticket.h>
#include <mbedtls/x509_crt.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cert_facts.h"
#include "sa_error.h"

/* Ciphertext buffered from the peer and not yet consumed; a record is at most ~18 KiB. */
#define TLS_MAX_INPUT (128 * 1024)

struct tls_ctx {
	bool server;
	bool have_ca;
	bool keep_chain;
	mbedtls_entropy_context entropy;
	mbedtls_ctr_drbg_context drbg;
	mbedtls_ssl_config conf;
	mbedtls_x509_crt ca;
	mbedtls_x509_crt own_cert;
	mbedtls_pk_context own_key;
	mbedtls_ssl_ticket_context ticket; /* server: issues and reads session tickets */
	struct tls_conn *handshaking;      /* whose handshake step is running, for the ticket */
};

/* A client session to resume, and the facts of the full handshake that made it. */
struct tls_resumable {
	mbedtls_ssl_session session;
	struct tls_facts facts;
};

struct tls_buf {
	char *data;
	size_t len, off, cap;
};

struct tls_conn {
	struct tls_ctx *ctx;
	mbedtls_ssl_context ssl;
	struct tls_buf in, out;
	struct cert_facts__verify verify; /* what the chain's verification saw */
	uint32_t verify_flags;            /* its overall result */
	bool established;
	bool offered;                 /* a session was offered for resumption */
	bool resumed;                 /* ... and the server resumed it */
	unsigned char offered_master[48];
	struct tls_facts offered_facts; /* the facts of the handshake that made it */
	char *name; /* the name to verify; NULL for none */
	char error[160];
};

static void tls_describe(char *buf, size_t buflen, const char *what, int mbedtls_rc)
{
	char text[120];
	mbedtls_strerror(mbedtls_rc, text, sizeof(text));
	snprintf(buf, buflen, "%s: %s (-0x%04x)", what, text, (unsigned)-mbedtls_rc);
}

static int tls_ctx_alloc(struct tls_ctx **out, bool server, char *err, size_t errlen)
{
	static const char personalization[] = "smtp-audit";
	struct tls_ctx *ctx = calloc(1, sizeof(*ctx));
	if (ctx == NULL)
		return SA_ERROR_NOMEM;
	ctx->server = server;
	mbedtls_entropy_init(&ctx->entropy);
	mbedtls_ctr_drbg_init(&ctx->drbg);
	mbedtls_ssl_config_init(&ctx->conf);
	mbedtls_x509_crt_init(&ctx->ca);
	mbedtls_x509_crt_init(&ctx->own_cert);
	mbedtls_pk_init(&ctx->own_key);
	mbedtls_ssl_ticket_init(&ctx->ticket);
	int rc = mbedtls_ctr_drbg_seed(&ctx->drbg, mbedtls_entropy_func, &ctx->entropy,
				       (const unsigned char *)personalization,
				       sizeof(personalization) - 1);
	if (rc == 0)
		rc = mbedtls_ssl_config_defaults(&ctx->conf,
						 server ? MBEDTLS_SSL_IS_SERVER : MBEDTLS_SSL_IS_CLIENT,
						 MBEDTLS_SSL_TRANSPORT_STREAM,
						 MBEDTLS_SSL_PRESET_DEFAULT);
	if (rc != 0) {
		tls_describe(err, errlen, "TLS set-up", rc);
		tls_ctx_free(ctx);
		return SA_ERROR_TLS;
	}
	mbedtls_ssl_conf_rng(&ctx->conf, mbedtls_ctr_drbg_random, &ctx->drbg);
	/* A scanner must see what old servers offer, so TLS 1.0 and 1.1 stay possible. */
	mbedtls_ssl_conf_min_version(&ctx->conf, MBEDTLS_SSL_MAJOR_VERSION_3,
				     MBEDTLS_SSL_MINOR_VERSION_1);
	*out = ctx;
	return 0;
}

int tls_ctx_new_client(struct tls_ctx **out, const char *ca_file, char *err, size_t errlen)
{
	struct tls_ctx *ctx;
	int rc = tls_ctx_alloc(&ctx, false, err, errlen);
	if (rc != 0)
		return rc;
	rc = cert_facts__load_ca(&ctx->ca, ca_file, &ctx->have_ca, err, errlen);
	if (rc != 0) {
		tls_ctx_free(ctx);
		return rc;
	}
	/* Verified after the handshake: tls_conn_verify_peer(). */
	mbedtls_ssl_conf_authmode(&ctx->conf, MBEDTLS_SSL_VERIFY_NONE);
	*out = ctx;
	return 0;
}

static int tls_ticket_write(void *arg, const mbedtls_ssl_session *session, unsigned char *start,
			    const unsigned char *end, size_t *len, uint32_t *lifetime)
{
	struct tls_ctx *ctx = arg;
	return mbedtls_ssl_ticket_write(&ctx->ticket, session, start, end, len, lifetime);
}

/* mbedTLS resumes whenever a ticket reads back, so that is when a server knows it resumed. */
static int tls_ticket_parse(void *arg, mbedtls_ssl_session *session, unsigned char *buf,
			    size_t len)
{
	struct tls_ctx *ctx = arg;
	int rc = mbedtls_ssl_ticket_parse(&ctx->ticket, session, buf, len);
	if (rc == 0 && ctx->handshaking != NULL)
		ctx->handshaking->resumed = true;
	return rc;
}

int tls_ctx_new_server(struct tls_ctx **out, const char *cert_pem, const char *key_pem, char *err,
		       size_t errlen)
{
	struct tls_ctx *ctx;
	int rc = tls_ctx_alloc(&ctx, true, err, errlen);
	if (rc != 0)
		return rc;
	rc = mbedtls_x509_crt_parse(&ctx->own_cert, (const unsigned char *)cert_pem,
				    strlen(cert_pem) + 1);
	if (rc != 0) {
		tls_describe(err, errlen, "server certificate", rc);
		goto fail;
	}
	rc = mbedtls_pk_parse_key(&ctx->own_key, (const unsigned char *)key_pem,
				  strlen(key_pem) + 1, NULL, 0);
	if (rc != 0) {
		tls_describe(err, errlen, "server key", rc);
		goto fail;
	}
	rc = mbedtls_ssl_conf_own_cert(&ctx->conf, &ctx->own_cert, &ctx->own_key);
	if (rc != 0) {
		tls_describe(err, errlen, "server certificate and key", rc);
		goto fail;
	}
	/* Like the MTAs it plays (Postfix issues tickets by default): clients may resume. */
	rc = mbedtls_ssl_ticket_setup(&ctx->ticket, mbedtls_ctr_drbg_random, &ctx->drbg,
				      MBEDTLS_CIPHER_AES_256_GCM, 3600);
	if (rc != 0) {
		tls_describe(err, errlen, "session tickets", rc);
		goto fail;
	}
	mbedtls_ssl_conf_session_tickets_cb(&ctx->conf, tls_ticket_write, tls_ticket_parse, ctx);
	/* smtp-lab plays current servers; legacy TLS is tested against real Postfix. */
	mbedtls_ssl_conf_min_version(&ctx->conf, MBEDTLS_SSL_MAJOR_VERSION_3,
				     MBEDTLS_SSL_MINOR_VERSION_3);
	*out = ctx;
	return 0;
fail:
	tls_ctx_free(ctx);
	return SA_ERROR_TLS;
}

void tls_ctx_free(struct tls_ctx *ctx)
{
	if (ctx == NULL)
		return;
	mbedtls_ssl_ticket_free(&ctx->ticket);
	mbedtls_pk_free(&ctx->own_key);
	mbedtls_x509_crt_free(&ctx->own_cert);
	mbedtls_x509_crt_free(&ctx->ca);
	mbedtls_ssl_config_free(&ctx->conf);
	mbedtls_ctr_drbg_free(&ctx->drbg);
	mbedtls_entropy_free(&ctx->entropy);
	free(ctx);
}

static int tls_buf_append(struct tls_buf *b, const void *data, size_t len)
{
	if (b->off > 0 && b->off == b->len) {
		b->off = 0;
		b->len = 0;
	}
	if (b->len + len > b->cap) {
		size_t cap = b->cap ? b->cap : 4096;
		while (cap < b->len + len)
			cap *= 2;
		char *p = realloc(b->data, cap);
		if (p == NULL)
			return SA_ERROR_NOMEM;
		b->data = p;
		b->cap = cap;
	}
	memcpy(b->data + b->len, data, len);
	b->len += len;
	return 0;
}

static int tls_bio_send(void *arg, const unsigned char *data, size_t len)
{
	struct tls_conn *c = arg;
	if (tls_buf_append(&c->out, data, len) != 0)
		return MBEDTLS_ERR_SSL_ALLOC_FAILED;
	return (int)len;
}

static int tls_bio_recv(void *arg, unsigned char *data, size_t len)
{
	struct tls_conn *c = arg;
	size_t avail = c->in.len - c->in.off;
	if (avail == 0)
		return MBEDTLS_ERR_SSL_WANT_READ;
	if (len > avail)
		len = avail;
	memcpy(data, c->in.data + c->in.off, len);
	c->in.off += len;
	return (int)len;
}

struct tls_conn *tls_conn_new(struct tls_ctx *ctx, const char *server_name)
{
	struct tls_conn *c = calloc(1, sizeof(*c));
	if (c == NULL)
		return NULL;
	c->ctx = ctx;
	mbedtls_ssl_init(&c->ssl);
	if (mbedtls_ssl_setup(&c->ssl, &ctx->conf) != 0)
		goto fail;
	if (!ctx->server && server_name != NULL) {
		if (mbedtls_ssl_set_hostname(&c->ssl, server_name) != 0)
			goto fail;
		if ((c->name = strdup(server_name)) == NULL)
			goto fail;
	}
	mbedtls_ssl_set_bio(&c->ssl, c, tls_bio_send, tls_bio_recv, NULL);
	return c;
fail:
	tls_conn_free(c);
	return NULL;
}

void tls_conn_free(struct tls_conn *c)
{
	if (c == NULL)
		return;
	mbedtls_ssl_free(&c->ssl);
	tls_facts_free(&c->offered_facts);
	free(c->name);
	free(c->in.data);
	free(c->out.data);
	free(c);
}

int tls_conn_feed(struct tls_conn *c, const void *data, size_t len)
{
	if (c->in.off > 0) {
		memmove(c->in.data, c->in.data + c->in.off, c->in.len - c->in.off);
		c->in.len -= c->in.off;
		c->in.off = 0;
	}
	if (c->in.len + len > TLS_MAX_INPUT) {
		snprintf(c->error, sizeof(c->error), "peer sent more than %d bytes unread",
			 TLS_MAX_INPUT);
		return SA_ERROR_TOOBIG;
	}
	return tls_buf_append(&c->in, data, len);
}

static bool tls_would_block(int rc)
{
	return rc == MBEDTLS_ERR_SSL_WANT_READ || rc == MBEDTLS_ERR_SSL_WANT_WRITE;
}

/* The key usage the suite needs of the server's leaf (mbedtls_ssl_check_cert_usage()). */
static unsigned tls_conn_suite_usage(const mbedtls_ssl_context *ssl)
{
	const mbedtls_ssl_ciphersuite_t *suite =
	    mbedtls_ssl_ciphersuite_from_string(mbedtls_ssl_get_ciphersuite(ssl));
	if (suite == NULL)
		return 0;
	switch (suite->key_exchange) {
	case MBEDTLS_KEY_EXCHANGE_RSA:
	case MBEDTLS_KEY_EXCHANGE_RSA_PSK:
		return MBEDTLS_X509_KU_KEY_ENCIPHERMENT;
	case MBEDTLS_KEY_EXCHANGE_DHE_RSA:
	case MBEDTLS_KEY_EXCHANGE_ECDHE_RSA:
	case MBEDTLS_KEY_EXCHANGE_ECDHE_ECDSA:
		return MBEDTLS_X509_KU_DIGITAL_SIGNATURE;
	case MBEDTLS_KEY_EXCHANGE_ECDH_RSA:
	case MBEDTLS_KEY_EXCHANGE_ECDH_ECDSA:
		return MBEDTLS_X509_KU_KEY_AGREEMENT;
	default:
		return 0;
	}
}

/*
 * The verification the handshake skipped. A chain mbedTLS gives up on
 * (MBEDTLS_ERR_X509_FATAL_ERROR: longer than it walks) is not trusted.
 */
static void tls_conn_verify_peer(struct tls_conn *c)
{
	const mbedtls_x509_crt *leaf = mbedtls_ssl_get_peer_cert(&c->ssl);
	if (leaf == NULL)
		return;
	/* mbedTLS 2.28 takes the chain non-const, though verifying only reads it. */
	mbedtls_x509_crt *chain = (mbedtls_x509_crt *)leaf;
	int rc = mbedtls_x509_crt_verify_with_profile(
	    chain, c->ctx->have_ca ? &c->ctx->ca : NULL, NULL, &mbedtls_x509_crt_profile_default,
	    c->name, &c->verify_flags, cert_facts__verify_cb, &c->verify);
	if (rc == MBEDTLS_ERR_X509_FATAL_ERROR)
		c->verify_flags = MBEDTLS_X509_BADCERT_NOT_TRUSTED;
	if (mbedtls_x509_crt_check_key_usage(leaf, tls_conn_suite_usage(&c->ssl)) != 0)
		c->verify_flags |= MBEDTLS_X509_BADCERT_KEY_USAGE;
	if (mbedtls_x509_crt_check_extended_key_usage(leaf, MBEDTLS_OID_SERVER_AUTH,
						      MBEDTLS_OID_SIZE(MBEDTLS_OID_SERVER_AUTH)) != 0)
		c->verify_flags |= MBEDTLS_X509_BADCERT_EXT_KEY_USAGE;
}

/* A full handshake makes a fresh master secret; a resumed one keeps the session's. */
static bool tls_conn_master_is(const struct tls_conn *c, const unsigned char master[48])
{
	const mbedtls_ssl_session *now = mbedtls_ssl_get_session_pointer(&c->ssl);
	return now != NULL && memcmp(now->master, master, sizeof(now->master)) == 0;
}

int tls_conn_handshake(struct tls_conn *c)
{
	if (c->established)
		return 0;
	c->ctx->handshaking = c;
	int rc = mbedtls_ssl_handshake(&c->ssl);
	c->ctx->handshaking = NULL;
	if (rc == 0) {
		c->established = true;
		if (!c->ctx->server)
			c->resumed = c->offered && tls_conn_master_is(c, c->offered_master);
		/* A resumed session's chain was verified by the handshake that made it. */
		if (!c->ctx->server && !c->resumed)
			tls_conn_verify_peer(c);
		return 0;
	}
	if (tls_would_block(rc))
		return SA_ERROR_AGAIN;
	tls_describe(c->error, sizeof(c->error), "TLS handshake", rc);
	return SA_ERROR_TLS;
}

bool tls_conn_established(const struct tls_conn *c)
{
	return c->established;
}

int tls_conn_read(struct tls_conn *c, void *buf, size_t cap, size_t *got)
{
	*got = 0;
	int rc = mbedtls_ssl_read(&c->ssl, buf, cap);
	if (rc > 0) {
		*got = (size_t)rc;
		return 0;
	}
	if (tls_would_block(rc))
		return SA_ERROR_AGAIN;
	if (rc == 0 || rc == MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY)
		return SA_ERROR_CLOSED;
	tls_describe(c->error, sizeof(c->error), "TLS read", rc);
	return SA_ERROR_TLS;
}

int tls_conn_write(struct tls_conn *c, const void *data, size_t len)
{
	const unsigned char *p = data;
	while (len > 0) {
		int rc = mbedtls_ssl_write(&c->ssl, p, len);
		if (rc < 0) {
			/* The output buffer never blocks, so WANT_WRITE cannot happen here. */
			tls_describe(c->error, sizeof(c->error), "TLS write", rc);
			return SA_ERROR_TLS;
		}
		p += rc;
		len -= (size_t)rc;
	}
	return 0;
}

void tls_conn_close_notify(struct tls_conn *c)
{
	if (c->established)
		(void)mbedtls_ssl_close_notify(&c->ssl);
}

int tls_conn_take_output(struct tls_conn *c, char **data, size_t *len)
{
	if (c->out.len == c->out.off)
		return SA_ERROR_AGAIN;
	if (c->out.off > 0)
		memmove(c->out.data, c->out.data + c->out.off, c->out.len - c->out.off);
	*data = c->out.data;
	*len = c->out.len - c->out.off;
	c->out = (struct tls_buf){0};
	return 0;
}

const char *tls_conn_error(const struct tls_conn *c)
{
	return c->error[0] ? c->error : "no TLS error";
}

/* ---- facts ---- */

void tls_ctx_keep_chain(struct tls_ctx *ctx)
{
	ctx->keep_chain = true;
}

static int tls_conn_copy_chain(const mbedtls_x509_crt *crt, struct tls_facts *out)
{
	size_t n = 0;
	for (const mbedtls_x509_crt *c = crt; c != NULL && c->raw.len > 0; c = c->next)
		n++;
	if (n == 0)
		return 0;
	out->chain_der = calloc(n, sizeof(*out->chain_der));
	if (out->chain_der == NULL)
		return SA_ERROR_NOMEM;
	for (const mbedtls_x509_crt *c = crt; out->nchain_der < n; c = c->next) {
		struct tls_der *d = &out->chain_der[out->nchain_der];
		d->der = malloc(c->raw.len);
		if (d->der == NULL)
			return SA_ERROR_NOMEM;
		memcpy(d->der, c->raw.p, c->raw.len);
		d->len = c->raw.len;
		out->nchain_der++;
	}
	return 0;
}

/* The facts of the handshake that made the session, with what this one negotiated. */
static int tls_conn_resumed_facts(const struct tls_conn *c, struct tls_facts *out)
{
	if (tls_facts_copy(out, &c->offered_facts) != 0)
		return SA_ERROR_NOMEM;
	free(out->version);
	free(out->ciphersuite);
	out->version = strdup(mbedtls_ssl_get_version(&c->ssl));
	out->ciphersuite = strdup(mbedtls_ssl_get_ciphersuite(&c->ssl));
	return out->version == NULL || out->ciphersuite == NULL ? SA_ERROR_NOMEM : 0;
}

int tls_conn_facts(const struct tls_conn *c, struct tls_facts *out)
{
	*out = (struct tls_facts){0};
	if (!c->established)
		return SA_ERROR_INVAL;
	if (c->resumed && !c->ctx->server)
		return tls_conn_resumed_facts(c, out);
	out->version = strdup(mbedtls_ssl_get_version(&c->ssl));
	out->ciphersuite = strdup(mbedtls_ssl_get_ciphersuite(&c->ssl));
	if (out->version == NULL || out->ciphersuite == NULL)
		return SA_ERROR_NOMEM;
	const mbedtls_x509_crt *crt = mbedtls_ssl_get_peer_cert(&c->ssl);
	if (crt == NULL)
		return 0;
	if (c->ctx->keep_chain && tls_conn_copy_chain(crt, out) != 0)
		return SA_ERROR_NOMEM;
	return cert_facts__from_chain(out, crt, &c->verify, c->verify_flags, c->name != NULL,
				      c->ctx->have_ca);
}

/* ---- resumption ---- */

struct tls_resumable *tls_resumable_new(const struct tls_conn *c, const struct tls_facts *facts)
{
	if (c->ctx->server || !c->established || c->resumed)
		return NULL;
	/* Without a ticket or an ID there is nothing to offer (and no copy to make). */
	const mbedtls_ssl_session *now = mbedtls_ssl_get_session_pointer(&c->ssl);
	if (now == NULL || (now->id_len == 0 && now->ticket_len == 0))
		return NULL;
	struct tls_resumable *r = calloc(1, sizeof(*r));
	if (r == NULL)
		return NULL;
	mbedtls_ssl_session_init(&r->session);
	bool ok = mbedtls_ssl_get_session(&c->ssl, &r->session) == 0 &&
		  tls_facts_copy(&r->facts, facts) == 0;
	if (!ok) {
		tls_resumable_free(r);
		return NULL;
	}
	return r;
}

void tls_resumable_free(struct tls_resumable *r)
{
	if (r == NULL)
		return;
	mbedtls_ssl_session_free(&r->session);
	tls_facts_free(&r->facts);
	free(r);
}

int tls_conn_offer_session(struct tls_conn *c, const struct tls_resumable *r)
{
	if (c->ctx->server || c->offered)
		return SA_ERROR_INVAL;
	/* The facts first: a session offered without them could not be told resumed. */
	if (tls_facts_copy(&c->offered_facts, &r->facts) != 0)
		return SA_ERROR_NOMEM;
	if (mbedtls_ssl_set_session(&c->ssl, &r->session) != 0) {
		tls_facts_free(&c->offered_facts);
		return SA_ERROR_INVAL;
	}
	memcpy(c->offered_master, r->session.master, sizeof(c->offered_master));
	c->offered = true;
	return 0;
}

bool tls_conn_resumed(const struct tls_conn *c)
{
	return c->resumed;
}
