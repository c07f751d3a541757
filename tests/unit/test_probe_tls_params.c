/*
 * NAME
 *	test_probe_tls_params - the tls_params probe against captured server answers
 *
 * DESCRIPTION
 *	Each row is a whole scan of one server: for every session the
 *	ClientHello the probe must send (protocol version, and what every
 *	offered suite must be, or which end of the strength order comes
 *	first) and the answer, which is a record captured from OpenSSL 3 or
 *	GnuTLS 3.7 (tests/data/tls, see scripts/capture-tls-hello.sh), a
 *	close, or silence. The rows cover a current server with server
 *	order, a legacy GnuTLS server with weak classes and client order, a
 *	CBC-only server without forward secrecy, a TLS 1.0-only server, and
 *	implicit TLS with a HelloRetryRequest; each asserts the plan, the
 *	number of sessions, the verdict and the exact findings. Separate
 *	tests cover the paths around the plan: no STARTTLS, STARTTLS
 *	refused, answers that are not TLS, a warning alert before the
 *	ServerHello, throttling mid-scan, and SNI.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include <string.h>

#include "probe_harness.h"
#include "tls_capture.h"
#include "tls_hello.h"
#include "tls_suites.h"

extern const struct probe probe_tls_params;

#define EHLO_STARTTLS "250-mx.example.org\r\n250-PIPELINING\r\n250-STARTTLS\r\n250 8BITMIME"
#define EHLO_PLAIN    "250-mx.example.org\r\n250-PIPELINING\r\n250 8BITMIME"

#define MAX_SESSIONS 16
#define MAX_FINDINGS 8

enum first_suite {
	ANY_ORDER,
	STRONG_FIRST, /* the first suite offered is forward-secret AEAD */
	WEAK_FIRST,   /* the first suite offered is a NULL suite */
};

struct session {
	uint16_t version; /* offered; TLS_HELLO_TLS1_3 means TLS 1.3 suites only */
	unsigned every;   /* flags every offered suite carries (0: no condition) */
	enum first_suite first;
	char answer[40]; /* capture name, "close" or "timeout" */
};

struct expected_finding {
	enum catalog_id id;
	char variant[16];
	char detail_has[96];
};

struct scan {
	char name[40];
	bool implicit_tls;
	struct session sessions[MAX_SESSIONS];
	enum verdict verdict;
	struct expected_finding findings[MAX_FINDINGS];
	char reason_has[160];
};

/* Every weak class refused, at version v: six sessions. */
#define WEAK_CLASSES_REFUSED(v)                                                                    \
	{v, TLS_SUITE_NULL, ANY_ORDER, "openssl_tls12_handshake_failure"},                         \
	    {v, TLS_SUITE_ANON, ANY_ORDER, "openssl_tls12_handshake_failure"},                     \
	    {v, TLS_SUITE_EXPORT, ANY_ORDER, "gnutls_handshake_failure"},                          \
	    {v, TLS_SUITE_RC4, ANY_ORDER, "openssl_tls12_handshake_failure"},                      \
	    {v, TLS_SUITE_DES, ANY_ORDER, "openssl_tls12_handshake_failure"},                      \
	{                                                                                          \
		v, TLS_SUITE_3DES, ANY_ORDER, "openssl_tls12_handshake_failure"                    \
	}

static const struct scan scans[] = {
    {
        .name = "current_openssl_server_order",
        .sessions =
            {
                {TLS_HELLO_SSL3, 0, STRONG_FIRST, "openssl_ssl3_refused"},
                {TLS_HELLO_TLS1_0, 0, STRONG_FIRST, "openssl_tls10_protocol_version"},
                {TLS_HELLO_TLS1_1, 0, STRONG_FIRST, "gnutls_tls11_protocol_version"},
                {TLS_HELLO_TLS1_2, 0, STRONG_FIRST, "openssl_serverpref_all"},
                {TLS_HELLO_TLS1_3, TLS_SUITE_TLS13, STRONG_FIRST, "openssl_tls13"},
                WEAK_CLASSES_REFUSED(TLS_HELLO_TLS1_2),
                {TLS_HELLO_TLS1_2, 0, WEAK_FIRST, "openssl_serverpref_rall"},
            },
        .verdict = VERDICT_NOT_VULNERABLE,
        .findings = {{CATALOG_TLS_PARAMETERS, "",
                      "preferred suite TLSv1.2 TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384 (server"}},
        .reason_has = "versions accepted: TLSv1.2 TLSv1.3; preferred suite TLSv1.2 "
                      "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384 (server order); forward secrecy: yes",
    },
    {
        .name = "legacy_gnutls_weak_classes",
        .sessions =
            {
                {TLS_HELLO_SSL3, 0, STRONG_FIRST, "openssl_ssl3_refused"},
                {TLS_HELLO_TLS1_0, 0, STRONG_FIRST, "gnutls_tls10"},
                {TLS_HELLO_TLS1_1, 0, STRONG_FIRST, "openssl_tls11"},
                {TLS_HELLO_TLS1_2, 0, STRONG_FIRST, "gnutls_tls12"},
                {TLS_HELLO_TLS1_3, TLS_SUITE_TLS13, STRONG_FIRST, "gnutls_tls13"},
                {TLS_HELLO_TLS1_2, TLS_SUITE_NULL, ANY_ORDER, "openssl_tls12_null"},
                {TLS_HELLO_TLS1_2, TLS_SUITE_ANON, ANY_ORDER, "gnutls_anon"},
                /* EXPORT at TLS 1.0: TLS 1.1 forbids negotiating it. */
                {TLS_HELLO_TLS1_0, TLS_SUITE_EXPORT, ANY_ORDER, "gnutls_handshake_failure"},
                {TLS_HELLO_TLS1_2, TLS_SUITE_RC4, ANY_ORDER, "gnutls_rc4"},
                {TLS_HELLO_TLS1_2, TLS_SUITE_DES, ANY_ORDER, "gnutls_handshake_failure"},
                {TLS_HELLO_TLS1_2, TLS_SUITE_3DES, ANY_ORDER, "gnutls_3des"},
                {TLS_HELLO_TLS1_2, 0, WEAK_FIRST, "openssl_clientpref_rall"},
            },
        .verdict = VERDICT_VULNERABLE,
        .findings =
            {
                {CATALOG_TLS_LEGACY_PROTOCOL, "TLSv1.0", "TLSv1.0 accepted"},
                {CATALOG_TLS_LEGACY_PROTOCOL, "TLSv1.1", "TLSv1.1 accepted"},
                {CATALOG_TLS_WEAK_CIPHER, "NULL",
                 "NULL suites accepted in TLSv1.2: TLS_RSA_WITH_NULL_MD5"},
                {CATALOG_TLS_WEAK_CIPHER, "anonymous", "TLS_DH_anon_WITH_RC4_128_MD5"},
                {CATALOG_TLS_WEAK_CIPHER, "RC4", "TLS_RSA_WITH_RC4_128_MD5"},
                {CATALOG_TLS_WEAK_CIPHER, "3DES", "TLS_RSA_WITH_3DES_EDE_CBC_SHA"},
                {CATALOG_TLS_PARAMETERS, "", "(client order); forward secrecy: yes"},
            },
        .reason_has = "versions accepted: TLSv1.0 TLSv1.1 TLSv1.2 TLSv1.3; preferred suite "
                      "TLSv1.2 TLS_DHE_RSA_WITH_AES_128_GCM_SHA256 (client order)",
    },
    {
        .name = "cbc_only_without_forward_secrecy",
        .sessions =
            {
                {TLS_HELLO_SSL3, 0, STRONG_FIRST, "openssl_ssl3_refused"},
                {TLS_HELLO_TLS1_0, 0, STRONG_FIRST, "openssl_tls10_protocol_version"},
                {TLS_HELLO_TLS1_1, 0, STRONG_FIRST, "gnutls_tls11_protocol_version"},
                {TLS_HELLO_TLS1_2, 0, STRONG_FIRST, "openssl_tls12_rsa_cbc"},
                {TLS_HELLO_TLS1_3, TLS_SUITE_TLS13, STRONG_FIRST, "openssl_tls13_protocol_version"},
                WEAK_CLASSES_REFUSED(TLS_HELLO_TLS1_2),
                {TLS_HELLO_TLS1_2, TLS_SUITE_AEAD, STRONG_FIRST, "openssl_tls12_handshake_failure"},
                {TLS_HELLO_TLS1_2, 0, WEAK_FIRST, "openssl_tls12_rsa_cbc_rall"},
                {TLS_HELLO_TLS1_2, TLS_SUITE_FS, STRONG_FIRST, "openssl_tls12_handshake_failure"},
            },
        .verdict = VERDICT_VULNERABLE,
        .findings =
            {
                {CATALOG_TLS_CBC_ONLY, "", "TLSv1.2 without AEAD suites"},
                {CATALOG_TLS_NO_FORWARD_SECRECY, "",
                 "chose TLS_RSA_WITH_AES_128_CBC_SHA from the full list; forward-secret suites "
                 "refused"},
                {CATALOG_TLS_PARAMETERS, "", "(client order); forward secrecy: no"},
            },
        .reason_has = "versions accepted: TLSv1.2; preferred suite TLSv1.2 "
                      "TLS_RSA_WITH_AES_128_CBC_SHA (client order); forward secrecy: no",
    },
    {
        .name = "tls10_only",
        .sessions =
            {
                {TLS_HELLO_SSL3, 0, STRONG_FIRST, "openssl_ssl3_refused"},
                {TLS_HELLO_TLS1_0, 0, STRONG_FIRST, "openssl_tls10_rsa"},
                {TLS_HELLO_TLS1_1, 0, STRONG_FIRST, "close"},
                {TLS_HELLO_TLS1_2, 0, STRONG_FIRST, "openssl_tls12_to_tls10_server"},
                {TLS_HELLO_TLS1_3, TLS_SUITE_TLS13, STRONG_FIRST, "close"},
                WEAK_CLASSES_REFUSED(TLS_HELLO_TLS1_0),
                {TLS_HELLO_TLS1_0, 0, WEAK_FIRST, "openssl_tls10_rsa"},
                {TLS_HELLO_TLS1_0, TLS_SUITE_FS, STRONG_FIRST, "timeout"},
            },
        .verdict = VERDICT_VULNERABLE,
        .findings =
            {
                {CATALOG_TLS_LEGACY_PROTOCOL, "TLSv1.0", "TLSv1.0 accepted"},
                {CATALOG_TLS_NO_MODERN_PROTOCOL, "", "highest version accepted: TLSv1.0"},
                {CATALOG_TLS_NO_FORWARD_SECRECY, "", "forward-secret suites refused"},
                {CATALOG_TLS_PARAMETERS, "", "versions accepted: TLSv1.0;"},
            },
        .reason_has = "preferred suite TLSv1.0 TLS_RSA_WITH_AES_128_CBC_SHA (server order)",
    },
    {
        .name = "implicit_tls_hello_retry",
        .implicit_tls = true,
        .sessions =
            {
                {TLS_HELLO_SSL3, 0, STRONG_FIRST, "timeout"},
                {TLS_HELLO_TLS1_0, 0, STRONG_FIRST, "openssl_tls10_internal_error"},
                {TLS_HELLO_TLS1_1, 0, STRONG_FIRST, "close"},
                {TLS_HELLO_TLS1_2, 0, STRONG_FIRST, "openssl_tls12_ecdhe_gcm"},
                {TLS_HELLO_TLS1_3, TLS_SUITE_TLS13, STRONG_FIRST, "openssl_tls13_hello_retry"},
                WEAK_CLASSES_REFUSED(TLS_HELLO_TLS1_2),
                {TLS_HELLO_TLS1_2, 0, WEAK_FIRST, "openssl_clientpref_rall"},
            },
        .verdict = VERDICT_NOT_VULNERABLE,
        .findings = {{CATALOG_TLS_PARAMETERS, "",
                      "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256 (client order)"}},
        .reason_has = "versions accepted: TLSv1.2 TLSv1.3;",
    },
};

ParameterizedTestParameters(probe_tls_params, scan)
{
	return cr_make_param_array(struct scan, (void *)scans, sizeof(scans) / sizeof(scans[0]));
}

/* ---- reading the ClientHello the probe sent ---- */

struct offer {
	uint16_t client_version;
	uint16_t suites[TLS_HELLO_MAX_SUITES];
	size_t nsuites;
	bool sni;
	char host[256];
};

static unsigned get(const unsigned char *p, size_t len, size_t off, size_t width)
{
	cr_assert_leq(off + width, len, "ClientHello too short");
	unsigned v = 0;
	for (size_t i = 0; i < width; i++)
		v = v << 8 | p[off + i];
	return v;
}

/* Extension 0, when present, comes first in this builder's hellos. */
static void read_offer(const struct harness *h, size_t i, struct offer *o)
{
	size_t len;
	const unsigned char *p = harness_raw_sent(h, i, &len);
	cr_assert_not_null(p, "no ClientHello number %zu", i);
	memset(o, 0, sizeof(*o));
	cr_assert_eq(get(p, len, 0, 1), 22);
	cr_assert_eq(get(p, len, 3, 2) + 5, len, "record length");
	o->client_version = (uint16_t)get(p, len, 9, 2);
	cr_assert_eq(get(p, len, 43, 1), 0, "session id");
	size_t n = get(p, len, 44, 2);
	for (size_t k = 0; k < n / 2; k++)
		o->suites[o->nsuites++] = (uint16_t)get(p, len, 46 + 2 * k, 2);
	size_t ext = 46 + n + 2; /* after the compression methods */
	if (ext + 2 >= len || get(p, len, ext + 2, 2) != 0)
		return;
	size_t host_len = get(p, len, ext + 9, 2);
	cr_assert_lt(host_len, sizeof(o->host));
	memcpy(o->host, p + ext + 11, host_len);
	o->sni = true;
}

static void check_offer(const struct harness *h, size_t i, const struct session *s)
{
	struct offer o;
	read_offer(h, i, &o);
	bool tls13 = s->version == TLS_HELLO_TLS1_3;
	cr_assert_eq(o.client_version, tls13 ? TLS_HELLO_TLS1_2 : s->version,
	             "session %zu offers 0x%04x", i + 1, o.client_version);
	cr_assert_gt(o.nsuites, 0);
	for (size_t k = 0; k < o.nsuites; k++) {
		const struct tls_suite *suite = tls_suites_find(o.suites[k]);
		cr_assert_not_null(suite);
		cr_assert(tls_suites_usable(suite, s->version), "session %zu: %s", i + 1,
		          suite->name);
		cr_assert(s->every == 0 || (suite->flags & s->every), "session %zu: %s", i + 1,
		          suite->name);
	}
	unsigned first = tls_suites_find(o.suites[0])->flags;
	if (s->first == STRONG_FIRST)
		cr_assert((first & TLS_SUITE_FS) &&
		              ((first & TLS_SUITE_AEAD) || s->version < TLS_HELLO_TLS1_2),
		          "session %zu does not start with the strongest suite", i + 1);
	if (s->first == WEAK_FIRST)
		cr_assert(first & TLS_SUITE_NULL, "session %zu does not start with NULL", i + 1);
}

static void answer_capture(struct harness *h, const char *name)
{
	static unsigned char buf[TLS_CAPTURE_MAX];
	size_t len = tls_capture_load(name, buf, sizeof(buf));
	harness_reply_raw(h, buf, len);
}

static void answer(struct harness *h, const char *what)
{
	if (strcmp(what, "close") == 0)
		harness_interrupt(h, OUTCOME_CLOSED);
	else if (strcmp(what, "timeout") == 0)
		harness_interrupt(h, OUTCOME_TIMEOUT);
	else
		answer_capture(h, what);
}

/* Starts session i (the first, or the one the probe asked for) up to its ClientHello. */
static void open_session(struct harness *h, size_t i, bool implicit_tls)
{
	if (i > 0) {
		cr_assert(harness_reconnect_wanted(h), "no new session for step %zu", i + 1);
		harness_restart(h);
	} else {
		harness_start(h);
	}
	if (!implicit_tls) {
		cr_assert_str_eq(harness_pending_command(h, 0), "STARTTLS");
		harness_reply(h, "220 2.0.0 Ready to start TLS");
	}
	cr_assert(harness_raw_mode(h));
	cr_assert_eq(harness_pending(h), 1, "one ClientHello pending");
}

static struct harness *new_harness(bool implicit_tls, const char *ehlo)
{
	struct harness_setup setup = {
	    .ehlo = ehlo,
	    .port = implicit_tls ? 465 : 25,
	    .implicit_tls = implicit_tls,
	    .random = 0x0123456789abcdefull,
	};
	return harness_new(&probe_tls_params, &setup);
}

static size_t count_sessions(const struct scan *s)
{
	size_t n = 0;
	while (n < MAX_SESSIONS && s->sessions[n].answer[0] != '\0')
		n++;
	return n;
}

static void check_findings(const struct harness *h, const struct scan *s)
{
	size_t expected = 0;
	while (expected < MAX_FINDINGS && s->findings[expected].detail_has[0] != '\0')
		expected++;
	cr_assert_eq(harness_findings(h), expected, "%zu findings", harness_findings(h));
	for (size_t i = 0; i < expected; i++) {
		const struct expected_finding *e = &s->findings[i];
		const struct finding *f =
		    harness_find(h, e->id, e->variant[0] != '\0' ? e->variant : NULL);
		cr_assert_not_null(f, "finding %zu (%s) missing", i, e->variant);
		cr_assert_not_null(f->detail);
		cr_assert_not_null(strstr(f->detail, e->detail_has), "detail '%s'", f->detail);
		cr_assert_gt(f->nevidence, 0, "finding %zu without evidence", i);
	}
}

ParameterizedTest(const struct scan *s, probe_tls_params, scan, .timeout = 20)
{
	struct harness *h = new_harness(s->implicit_tls, EHLO_STARTTLS);
	size_t n = count_sessions(s);
	for (size_t i = 0; i < n; i++) {
		open_session(h, i, s->implicit_tls);
		check_offer(h, i, &s->sessions[i]);
		answer(h, s->sessions[i].answer);
	}
	cr_assert(harness_concluded(h), "%s: more sessions wanted after %zu", s->name, n);
	cr_assert_not(harness_reconnect_wanted(h));
	cr_assert_eq(harness_sessions(h), n);
	cr_assert_eq(harness_verdict(h), s->verdict, "%s: %s (%s)", s->name,
	             verdict_name(harness_verdict(h)), harness_verdict_reason(h));
	cr_assert_not_null(strstr(harness_verdict_reason(h), s->reason_has), "reason '%s'",
	                   harness_verdict_reason(h));
	check_findings(h, s);
	cr_assert_eq(harness_sent_verb(h, "MAIL"), 0);
	cr_assert_eq(harness_sent_verb(h, "QUIT"), 0);
	harness_free(h);
}

/* ---- around the plan ---- */

Test(probe_tls_params, no_starttls_not_applicable, .timeout = 10)
{
	struct harness *h = new_harness(false, EHLO_PLAIN);
	harness_start(h);
	cr_assert(harness_concluded(h));
	cr_assert_eq(harness_verdict(h), VERDICT_NOT_APPLICABLE);
	cr_assert_eq(harness_findings(h), 0);
	cr_assert_eq(harness_sent_count(h), 0);
	harness_free(h);
}

Test(probe_tls_params, starttls_refused_is_inconclusive, .timeout = 10)
{
	struct harness *h = new_harness(false, EHLO_STARTTLS);
	harness_start(h);
	harness_reply(h, "454 4.7.0 TLS not available due to local problem");
	cr_assert(harness_concluded(h));
	cr_assert_eq(harness_verdict(h), VERDICT_INCONCLUSIVE);
	cr_assert_str_eq(harness_verdict_reason(h), "STARTTLS answered 454");
	cr_assert_eq(harness_findings(h), 0);
	harness_free(h);
}

Test(probe_tls_params, answers_that_are_not_tls_are_inconclusive, .timeout = 10)
{
	static const char text[] = "554 5.7.0 Too many errors\r\n";
	struct harness *h = new_harness(false, EHLO_STARTTLS);
	for (size_t i = 0; i < 5; i++) {
		open_session(h, i, false);
		harness_reply_raw(h, text, sizeof(text) - 1);
	}
	cr_assert(harness_concluded(h));
	cr_assert_eq(harness_sessions(h), 5, "only the five versions are tried");
	cr_assert_eq(harness_verdict(h), VERDICT_INCONCLUSIVE);
	cr_assert_not_null(
	    strstr(harness_verdict_reason(h), "no protocol version accepted (TLSv1.2 (TLSv1.2, "));
	cr_assert_not_null(strstr(harness_verdict_reason(h), "no result, not TLS answer"));
	cr_assert_eq(harness_findings(h), 0);
	harness_free(h);
}

Test(probe_tls_params, warning_alert_before_server_hello, .timeout = 10)
{
	static const unsigned char unrecognized_name[] = {0x15, 0x03, 0x03, 0x00, 0x02, 0x01, 0x70};
	struct harness *h = new_harness(false, EHLO_STARTTLS);
	open_session(h, 0, false);
	answer_capture(h, "openssl_ssl3_refused");
	open_session(h, 1, false);
	harness_reply_raw(h, unrecognized_name, sizeof(unrecognized_name));
	cr_assert_not(harness_reconnect_wanted(h), "a warning is not the answer");
	cr_assert_eq(harness_pending(h), 1, "the next record is read");
	answer_capture(h, "openssl_tls10");
	cr_assert(harness_reconnect_wanted(h));
	/* Throttled while asking for TLS 1.1: stop with what is known. */
	harness_restart(h);
	harness_interrupt(h, OUTCOME_THROTTLED);
	cr_assert(harness_concluded(h));
	cr_assert_eq(harness_verdict(h), VERDICT_VULNERABLE);
	cr_assert_not_null(strstr(harness_verdict_reason(h),
	                          "versions accepted: TLSv1.0; preferred suite TLSv1.0 "
	                          "TLS_DHE_RSA_WITH_AES_128_CBC_SHA"));
	cr_assert_not_null(strstr(harness_verdict_reason(h), "stopped early: session ended: "
	                                                     "throttled"));
	cr_assert_not_null(harness_find(h, CATALOG_TLS_LEGACY_PROTOCOL, "TLSv1.0"));
	cr_assert_null(harness_find(h, CATALOG_TLS_NO_MODERN_PROTOCOL, NULL),
	               "TLS 1.2 and 1.3 were never asked");
	harness_free(h);
}

Test(probe_tls_params, failures_before_the_hello_stop_the_scan, .timeout = 10)
{
	struct harness *h = new_harness(false, EHLO_STARTTLS);
	open_session(h, 0, false);
	answer_capture(h, "openssl_ssl3_refused");
	harness_restart(h);
	harness_reply(h, "454 4.7.0 TLS not available");
	cr_assert(harness_reconnect_wanted(h), "one failed session is retried with the next step");
	harness_restart(h);
	harness_interrupt(h, OUTCOME_CLOSED);
	cr_assert(harness_concluded(h), "two in a row end the scan");
	cr_assert_eq(harness_verdict(h), VERDICT_INCONCLUSIVE);
	cr_assert_str_eq(
	    harness_verdict_reason(h),
	    "no protocol version accepted (TLSv1.1: no result, session ended: closed); "
	    "stopped early: session ended: closed");
	cr_assert_eq(harness_sessions(h), 3);
	harness_free(h);
}

/* The first ClientHello offers SSL 3.0, which has no extensions: look at the second. */
static void second_offer(const struct harness_setup *setup, struct offer *o)
{
	struct harness *h = harness_new(&probe_tls_params, setup);
	open_session(h, 0, false);
	read_offer(h, 0, o);
	cr_assert_not(o->sni, "SSL 3.0 has no extensions");
	answer_capture(h, "openssl_ssl3_refused");
	open_session(h, 1, false);
	read_offer(h, 1, o);
	harness_free(h);
}

Test(probe_tls_params, sni_is_the_scanned_name_only, .timeout = 10)
{
	struct offer o;
	struct harness_setup setup = {.ehlo = EHLO_STARTTLS};
	second_offer(&setup, &o);
	cr_assert(o.sni);
	cr_assert_str_eq(o.host, "mx.example.org");
	setup.host = "192.0.2.25";
	second_offer(&setup, &o);
	cr_assert_not(o.sni, "no SNI for an address");
}

Test(probe_tls_params, random_comes_from_the_engine, .timeout = 10)
{
	struct harness *a = new_harness(false, EHLO_STARTTLS);
	struct harness *b = new_harness(false, EHLO_STARTTLS);
	open_session(a, 0, false);
	open_session(b, 0, false);
	size_t la, lb;
	const unsigned char *pa = harness_raw_sent(a, 0, &la);
	const unsigned char *pb = harness_raw_sent(b, 0, &lb);
	cr_assert_eq(la, lb);
	cr_assert_arr_eq(pa, pb, la, "the same scripted random gives the same ClientHello");
	struct harness_setup setup = {.ehlo = EHLO_STARTTLS, .random = 42};
	struct harness *c = harness_new(&probe_tls_params, &setup);
	open_session(c, 0, false);
	size_t lc;
	const unsigned char *pc = harness_raw_sent(c, 0, &lc);
	cr_assert_eq(lc, la);
	cr_assert_arr_neq(pc + 11, pa + 11, TLS_HELLO_RANDOM_LEN, "another random");
	harness_free(a);
	harness_free(b);
	harness_free(c);
}
