/*
 * NAME
 *	test_tls_resume - TLS session resumption between the probes of one target
 *
 * DESCRIPTION
 *	Client and server talk in memory (tls_pair.h) with the certificates
 *	of scripts/gen-test-certs.sh. A full handshake leaves a resumable
 *	session; offered to the same server it is resumed (both sides say so)
 *	and the resumed connection's facts are the full handshake's, whatever
 *	its chain (trusted, expired, wrong name). Offered to another server,
 *	whose ticket key differs, the handshake is a full one and the facts
 *	are that server's. A resumed session is not kept again, and a
 *	session is offered once.
 */
#include <criterion/criterion.h>
#include <criterion/hooks.h>
#include <criterion/parameterized.h>

#include <string.h>

#include "sa_error.h"
#include "test_certs.h"
#include "tls_conn.h"
#include "tls_pair.h"

#define CERT_NAME "mx.lab.test"

ReportHook(PRE_ALL)(struct criterion_test_set *tests)
{
	(void)tests;
	test_certs_make(CERT_NAME);
}

ReportHook(POST_ALL)(struct criterion_global_stats *stats)
{
	(void)stats;
	test_certs_remove();
}

struct side {
	struct tls_conn *client, *server;
	struct tls_facts facts;
};

/* One connection; offers r when not NULL. */
static void connect_once(struct side *s, struct tls_ctx *client_ctx, struct tls_ctx *server_ctx,
                         const struct tls_resumable *r)
{
	s->server = tls_conn_new(server_ctx, NULL);
	s->client = tls_conn_new(client_ctx, CERT_NAME);
	cr_assert(s->server != NULL && s->client != NULL);
	if (r != NULL)
		cr_assert_eq(tls_conn_offer_session(s->client, r), 0);
	tls_pair_handshake(s->client, s->server);
	cr_assert_eq(tls_conn_facts(s->client, &s->facts), 0);
}

static void side_free(struct side *s)
{
	tls_facts_free(&s->facts);
	tls_conn_free(s->client);
	tls_conn_free(s->server);
}

/* Names, not pointers: criterion hands parameters to its workers by value. */
struct cert_case {
	char name[16];
};

static struct cert_case certs[] = {{"good"}, {"expired"}, {"wrongname"}, {"selfsigned"}, {"ec256"}};

ParameterizedTestParameters(tls_resume, second_handshake_resumes_with_the_first_facts)
{
	return cr_make_param_array(struct cert_case, certs, sizeof(certs) / sizeof(certs[0]));
}

ParameterizedTest(struct cert_case *c, tls_resume, second_handshake_resumes_with_the_first_facts,
                  .timeout = 30)
{
	struct tls_ctx *server_ctx = tls_pair_server_ctx(c->name),
	               *client_ctx = tls_pair_client_ctx();
	struct side full, again;
	connect_once(&full, client_ctx, server_ctx, NULL);
	cr_assert_not(tls_conn_resumed(full.client), "%s", c->name);
	cr_assert_not(tls_conn_resumed(full.server), "%s", c->name);
	struct tls_resumable *r = tls_resumable_new(full.client, &full.facts);
	cr_assert_not_null(r, "%s: the server gave a ticket", c->name);

	connect_once(&again, client_ctx, server_ctx, r);
	cr_assert(tls_conn_resumed(again.client), "%s", c->name);
	cr_assert(tls_conn_resumed(again.server), "%s", c->name);
	tls_pair_assert_same_facts(&again.facts, &full.facts, c->name);
	cr_assert_str_eq(again.facts.version, full.facts.version);
	cr_assert_str_eq(again.facts.ciphersuite, full.facts.ciphersuite);
	cr_assert_null(tls_resumable_new(again.client, &again.facts),
	               "a resumed session is not kept again");

	tls_resumable_free(r);
	side_free(&full);
	side_free(&again);
	tls_ctx_free(client_ctx);
	tls_ctx_free(server_ctx);
}

Test(tls_resume, another_server_declines_and_its_own_facts_count, .timeout = 30)
{
	struct tls_ctx *first_ctx = tls_pair_server_ctx("good"),
	               *client_ctx = tls_pair_client_ctx();
	struct tls_ctx *other_ctx = tls_pair_server_ctx("expired");
	struct side full, other;
	connect_once(&full, client_ctx, first_ctx, NULL);
	struct tls_resumable *r = tls_resumable_new(full.client, &full.facts);
	cr_assert_not_null(r);

	/* Another ticket key: the ticket does not read back, so a full handshake. */
	connect_once(&other, client_ctx, other_ctx, r);
	cr_assert_not(tls_conn_resumed(other.client));
	cr_assert_not(tls_conn_resumed(other.server));
	cr_assert(full.facts.trusted);
	cr_assert_not(other.facts.trusted, "the expired chain was verified afresh");
	cr_assert_neq(strcmp(other.facts.fingerprint, full.facts.fingerprint), 0);
	struct tls_resumable *r2 = tls_resumable_new(other.client, &other.facts);
	cr_assert_not_null(r2, "a full handshake after a declined offer is kept");

	tls_resumable_free(r);
	tls_resumable_free(r2);
	side_free(&full);
	side_free(&other);
	tls_ctx_free(client_ctx);
	tls_ctx_free(first_ctx);
	tls_ctx_free(other_ctx);
}

Test(tls_resume, a_session_is_offered_once_and_only_by_a_client, .timeout = 30)
{
	struct tls_ctx *server_ctx = tls_pair_server_ctx("good"),
	               *client_ctx = tls_pair_client_ctx();
	struct side full;
	connect_once(&full, client_ctx, server_ctx, NULL);
	struct tls_resumable *r = tls_resumable_new(full.client, &full.facts);
	cr_assert_not_null(r);
	cr_assert_null(tls_resumable_new(full.server, &full.facts), "a server keeps nothing");

	struct tls_conn *c = tls_conn_new(client_ctx, CERT_NAME);
	cr_assert_eq(tls_conn_offer_session(c, r), 0);
	cr_assert_eq(tls_conn_offer_session(c, r), SA_ERROR_INVAL);
	struct tls_conn *s = tls_conn_new(server_ctx, NULL);
	cr_assert_eq(tls_conn_offer_session(s, r), SA_ERROR_INVAL);

	tls_conn_free(c);
	tls_conn_free(s);
	tls_resumable_free(r);
	side_free(&full);
	tls_ctx_free(client_ctx);
	tls_ctx_free(server_ctx);
}
