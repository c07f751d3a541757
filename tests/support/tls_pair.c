/*
 * NAME
 *	tls_pair - a TLS client and server talking in memory, for unit tests
 *
 * DESCRIPTION
 *	See tls_pair.h.
 */
#include "tls_pair.h"

#include <criterion/criterion.h>

#include <stdio.h>
#include <stdlib.h>

#include "sa_error.h"
#include "test_certs.h"

#define TLS_PAIR_PEM_MAX (64 * 1024)
/* A TLS 1.2 handshake takes two round trips; far more means something loops. */
#define TLS_PAIR_ROUNDS 64

static char *tls_pair_read_pem(const char *file)
{
	char path[TEST_CERTS_PATH_MAX];
	test_certs_path(path, file);
	FILE *fp = fopen(path, "r");
	cr_assert_not_null(fp, "%s", path);
	char *buf = calloc(1, TLS_PAIR_PEM_MAX);
	cr_assert_not_null(buf);
	size_t n = fread(buf, 1, TLS_PAIR_PEM_MAX - 1, fp);
	fclose(fp);
	cr_assert_gt(n, 0, "%s is empty", path);
	return buf;
}

struct tls_ctx *tls_pair_server_ctx(const char *cert)
{
	char chain_file[64], key_file[64], err[256] = "";
	snprintf(chain_file, sizeof(chain_file), "%s.chain.pem", cert);
	snprintf(key_file, sizeof(key_file), "%s.key", cert);
	char *chain_pem = tls_pair_read_pem(chain_file), *key_pem = tls_pair_read_pem(key_file);
	struct tls_ctx *ctx;
	cr_assert_eq(tls_ctx_new_server(&ctx, chain_pem, key_pem, err, sizeof(err)), 0, "%s", err);
	free(chain_pem);
	free(key_pem);
	return ctx;
}

struct tls_ctx *tls_pair_client_ctx(void)
{
	char ca_path[TEST_CERTS_PATH_MAX], err[256] = "";
	test_certs_path(ca_path, "ca.crt");
	struct tls_ctx *ctx;
	cr_assert_eq(tls_ctx_new_client(&ctx, ca_path, err, sizeof(err)), 0, "%s", err);
	return ctx;
}

/* Moves whatever one side wrote to the other. */
static void tls_pair_pass(struct tls_conn *from, struct tls_conn *to)
{
	char *data;
	size_t len;
	while (tls_conn_take_output(from, &data, &len) == 0) {
		cr_assert_eq(tls_conn_feed(to, data, len), 0);
		free(data);
	}
}

void tls_pair_handshake(struct tls_conn *client, struct tls_conn *server)
{
	for (int round = 0; round < TLS_PAIR_ROUNDS; round++) {
		int crc = tls_conn_handshake(client);
		cr_assert(crc == 0 || crc == SA_ERROR_AGAIN, "client: %s", tls_conn_error(client));
		tls_pair_pass(client, server);
		int src = tls_conn_handshake(server);
		cr_assert(src == 0 || src == SA_ERROR_AGAIN, "server: %s", tls_conn_error(server));
		tls_pair_pass(server, client);
		if (crc == 0 && src == 0)
			break;
	}
	cr_assert(tls_conn_established(client) && tls_conn_established(server));
}

void tls_pair_assert_same_facts(const struct tls_facts *a, const struct tls_facts *b,
                                const char *what)
{
	cr_assert_str_eq(a->subject, b->subject, "%s", what);
	cr_assert_str_eq(a->issuer, b->issuer, "%s", what);
	cr_assert_eq(a->nsans, b->nsans, "%s", what);
	for (size_t i = 0; i < a->nsans; i++)
		cr_assert_str_eq(a->sans[i], b->sans[i], "%s", what);
	cr_assert_eq(a->not_before, b->not_before, "%s", what);
	cr_assert_eq(a->not_after, b->not_after, "%s", what);
	cr_assert_str_eq(a->key_type, b->key_type, "%s", what);
	cr_assert_eq(a->key_bits, b->key_bits, "%s", what);
	cr_assert_str_eq(a->signature, b->signature, "%s", what);
	cr_assert_str_eq(a->signature_hash, b->signature_hash, "%s", what);
	cr_assert_str_eq(a->fingerprint, b->fingerprint, "%s", what);
	cr_assert_eq(a->chain_length, b->chain_length, "%s", what);
	cr_assert_eq(a->trusted, b->trusted, "%s", what);
	cr_assert_eq(a->chain_trusted, b->chain_trusted, "%s", what);
	cr_assert_eq(a->self_signed, b->self_signed, "%s", what);
	cr_assert_eq(a->name_checked, b->name_checked, "%s", what);
	cr_assert_eq(a->name_matches, b->name_matches, "%s", what);
	cr_assert_eq(a->verify_detail == NULL, b->verify_detail == NULL, "%s", what);
	if (a->verify_detail != NULL)
		cr_assert_str_eq(a->verify_detail, b->verify_detail, "%s", what);
}
