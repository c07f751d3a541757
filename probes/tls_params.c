/*
 * NAME
 *	tls_params - which TLS versions and cipher suites does the server accept?
 *
 * DESCRIPTION
 *	Like sslscan and testssl.sh, and because mbedTLS 2.28 cannot
 *	negotiate most of what is probed, the probe sends hand-built
 *	ClientHello messages (scanner/tls_hello.h) and reads only the first
 *	record of the answer: a ServerHello for the version and a suite that
 *	were offered is an acceptance; an alert, a close, no answer, an SSL
 *	2.0 reply or a ServerHello for a lower version is a refusal. The
 *	handshake is never completed. One session per ClientHello:
 *		C: EHLO ... / STARTTLS          (implicit TLS ports: nothing)
 *		S: 220 2.0.0 Ready to start TLS
 *		C: <ClientHello, one version, a list of suites>
 *		S: <ServerHello | alert | close>
 *	and the session is dropped without QUIT. The ClientHellos, in order:
 *	 1. each of SSL 3.0, TLS 1.0, 1.1, 1.2 and 1.3 alone, with every suite
 *	    the version allows, strongest first;
 *	 2. at the highest accepted version up to TLS 1.2 (for EXPORT the
 *	    highest up to TLS 1.0, as TLS 1.1 forbids negotiating them), each
 *	    weak class alone: NULL, anonymous, EXPORT, RC4, DES, 3DES;
 *	 3. when TLS 1.2 was accepted and no AEAD suite seen: the AEAD suites
 *	    alone, and, if refused and no CBC suite seen, the CBC ones;
 *	 4. the full list weakest first: the same choice as in 1. means the
 *	    server follows its own order, another one the client's;
 *	 5. when no forward-secret suite was seen: the forward-secret suites
 *	    alone, to tell "refused" from "not preferred".
 *	That is 12 to 15 sessions, or 5 when no version below TLS 1.3 is
 *	accepted.
 *
 *	Vulnerable (each a finding): SMTP-TLS-010 per deprecated version
 *	accepted (variant "SSLv3", "TLSv1.0", "TLSv1.1"); SMTP-TLS-011 per weak
 *	class accepted (variant "NULL", "anonymous", "EXPORT", "RC4", "DES",
 *	"3DES", evidence the suite chosen); SMTP-TLS-012 TLS 1.2 with CBC but
 *	no AEAD suite and no TLS 1.3; SMTP-TLS-013 no TLS 1.3 and the
 *	suite chosen from the full list lacks forward secrecy; SMTP-TLS-014
 *	an older version accepted but neither TLS 1.2 nor 1.3. SMTP-TLS-015
 *	(information) always summarises versions, preferred suite and
 *	forward secrecy; its evidence lists every ClientHello's outcome.
 *	Inconclusive: no version accepted at all, or an answer that was not
 *	TLS, malformed, or a session that failed before its ClientHello,
 *	unless a finding was already made.
 *	Known limits: a server with a different certificate per SNI name, or
 *	policies per client address, may answer scanners differently; a
 *	suite the table does not know is reported by number; only x25519 is
 *	offered as a TLS 1.3 key share, so a server without it answers with
 *	a HelloRetryRequest, which counts as acceptance.
 *	Never: completes a handshake, sends mail commands, or sends any
 *	secret (the key share is random bytes, no private key exists).
 *	Not applicable: a STARTTLS port whose EHLO does not list STARTTLS.
 *	References: RFC 8446, RFC 5246, RFC 8996, RFC 7568, RFC 7465, RFC
 *	7525, RFC 3207.
 */
#include <assert.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "probe.h"
#include "tls_hello.h"
#include "tls_suites.h"

#define TLS_PARAMS_TEXT         512 /* a note, a detail or the verdict reason */
#define TLS_PARAMS_MAX_WARNINGS 2   /* warning alerts skipped before the real answer */
#define TLS_PARAMS_MAX_FAILURES 2   /* sessions in a row that fail before their ClientHello */

enum tls_params_tag {
	TLS_PARAMS_TAG_STARTTLS,
	TLS_PARAMS_TAG_HELLO,
};

/* One ClientHello each, in the order they are sent. */
enum tls_params_step {
	TLS_PARAMS_SSL3,
	TLS_PARAMS_TLS1_0,
	TLS_PARAMS_TLS1_1,
	TLS_PARAMS_TLS1_2,
	TLS_PARAMS_TLS1_3,
	TLS_PARAMS_NULL,
	TLS_PARAMS_ANON,
	TLS_PARAMS_EXPORT,
	TLS_PARAMS_RC4,
	TLS_PARAMS_DES,
	TLS_PARAMS_3DES,
	TLS_PARAMS_AEAD,
	TLS_PARAMS_CBC,
	TLS_PARAMS_REVERSED,
	TLS_PARAMS_FS,
	TLS_PARAMS_STEP_COUNT
};

enum tls_params_kind {
	TLS_PARAMS_VERSION, /* one version, every suite it allows */
	TLS_PARAMS_WEAK,    /* one weak class at the highest legacy version */
	TLS_PARAMS_CLASS,   /* a class of good suites at a fixed or the legacy version */
};

struct tls_params_plan {
	const char *label; /* names the offer in evidence: "TLSv1.2", "NULL suites" */
	enum tls_params_kind kind;
	uint16_t version;   /* 0: the highest accepted legacy version */
	unsigned any, none; /* tls_suites_select() filter */
	enum tls_suites_order order;
	const char *variant; /* SMTP-TLS-011 variant of a weak class */
};

#define TLS_PARAMS_VERSION_PLAN(name, wire)                                                        \
	{                                                                                          \
		.label = (name), .kind = TLS_PARAMS_VERSION, .version = (wire)                     \
	}
#define TLS_PARAMS_WEAK_PLAN(name, flag, class)                                                    \
	{                                                                                          \
		.label = (name), .kind = TLS_PARAMS_WEAK, .any = (flag), .variant = (class)        \
	}

static const struct tls_params_plan tls_params_plan[] = {
    [TLS_PARAMS_SSL3] = TLS_PARAMS_VERSION_PLAN("SSLv3", TLS_HELLO_SSL3),
    [TLS_PARAMS_TLS1_0] = TLS_PARAMS_VERSION_PLAN("TLSv1.0", TLS_HELLO_TLS1_0),
    [TLS_PARAMS_TLS1_1] = TLS_PARAMS_VERSION_PLAN("TLSv1.1", TLS_HELLO_TLS1_1),
    [TLS_PARAMS_TLS1_2] = TLS_PARAMS_VERSION_PLAN("TLSv1.2", TLS_HELLO_TLS1_2),
    [TLS_PARAMS_TLS1_3] = TLS_PARAMS_VERSION_PLAN("TLSv1.3", TLS_HELLO_TLS1_3),
    [TLS_PARAMS_NULL] = TLS_PARAMS_WEAK_PLAN("NULL suites", TLS_SUITE_NULL, "NULL"),
    [TLS_PARAMS_ANON] = TLS_PARAMS_WEAK_PLAN("anonymous suites", TLS_SUITE_ANON, "anonymous"),
    [TLS_PARAMS_EXPORT] = TLS_PARAMS_WEAK_PLAN("EXPORT suites", TLS_SUITE_EXPORT, "EXPORT"),
    [TLS_PARAMS_RC4] = TLS_PARAMS_WEAK_PLAN("RC4 suites", TLS_SUITE_RC4, "RC4"),
    [TLS_PARAMS_DES] = TLS_PARAMS_WEAK_PLAN("DES suites", TLS_SUITE_DES, "DES"),
    [TLS_PARAMS_3DES] = TLS_PARAMS_WEAK_PLAN("3DES suites", TLS_SUITE_3DES, "3DES"),
    [TLS_PARAMS_AEAD] = {.label = "AEAD suites",
                         .kind = TLS_PARAMS_CLASS,
                         .version = TLS_HELLO_TLS1_2,
                         .any = TLS_SUITE_AEAD,
                         .none = TLS_SUITE_WEAK},
    [TLS_PARAMS_CBC] = {.label = "CBC suites",
                        .kind = TLS_PARAMS_CLASS,
                        .version = TLS_HELLO_TLS1_2,
                        .any = TLS_SUITE_CBC,
                        .none = TLS_SUITE_WEAK},
    [TLS_PARAMS_REVERSED] = {.label = "every suite weakest first",
                             .kind = TLS_PARAMS_CLASS,
                             .order = TLS_SUITES_WEAK_FIRST},
    [TLS_PARAMS_FS] = {.label = "forward-secret suites",
                       .kind = TLS_PARAMS_CLASS,
                       .any = TLS_SUITE_FS,
                       .none = TLS_SUITE_WEAK},
};
_Static_assert(sizeof(tls_params_plan) / sizeof(tls_params_plan[0]) == TLS_PARAMS_STEP_COUNT,
               "one plan per step");

enum tls_params_status {
	TLS_PARAMS_NOT_RUN,
	TLS_PARAMS_ACCEPTED,
	TLS_PARAMS_REFUSED,
	TLS_PARAMS_FAILED, /* no usable answer: nothing learned */
};

struct tls_params_result {
	enum tls_params_status status;
	uint16_t version;     /* offered */
	size_t offered;       /* suites offered */
	uint16_t got_version; /* from a ServerHello */
	uint16_t suite;       /* chosen, from a ServerHello */
	char why[96];         /* how it was refused or failed */
};

enum tls_params_phase {
	TLS_PARAMS_IDLE,     /* between sessions */
	TLS_PARAMS_STARTTLS, /* STARTTLS sent */
	TLS_PARAMS_WAITING,  /* ClientHello sent */
};

struct tls_params_state {
	enum tls_params_step current;
	enum tls_params_phase phase;
	bool started;      /* a ClientHello was sent in some session */
	unsigned warnings; /* warning alerts read in this session */
	unsigned failures; /* sessions in a row that failed before the ClientHello */
	struct tls_params_result result[TLS_PARAMS_STEP_COUNT];
};

/* ---- what is known so far ---- */

static bool tls_params_accepted(const struct tls_params_state *st, enum tls_params_step s)
{
	return st->result[s].status == TLS_PARAMS_ACCEPTED;
}

static unsigned tls_params_suite_flags(uint16_t id)
{
	const struct tls_suite *s = tls_suites_find(id);
	return s != NULL ? s->flags : 0;
}

/* Whether some accepted ServerHello chose a suite with one of flags. */
static bool tls_params_seen(const struct tls_params_state *st, unsigned flags)
{
	for (int s = 0; s < TLS_PARAMS_STEP_COUNT; s++)
		if (tls_params_accepted(st, (enum tls_params_step)s) &&
		    (tls_params_suite_flags(st->result[s].suite) & flags))
			return true;
	return false;
}

/* The highest accepted version from start down to SSL 3.0, or TLS_PARAMS_STEP_COUNT. */
static enum tls_params_step tls_params_highest_from(const struct tls_params_state *st,
                                                    enum tls_params_step start)
{
	for (int s = (int)start; s >= TLS_PARAMS_SSL3; s--)
		if (tls_params_accepted(st, (enum tls_params_step)s))
			return (enum tls_params_step)s;
	return TLS_PARAMS_STEP_COUNT;
}

static enum tls_params_step tls_params_legacy(const struct tls_params_state *st)
{
	return tls_params_highest_from(st, TLS_PARAMS_TLS1_2);
}

/* The version a step offers; 0 when it has none to offer. */
static uint16_t tls_params_version(const struct tls_params_state *st, enum tls_params_step s)
{
	const struct tls_params_plan *p = &tls_params_plan[s];
	enum tls_params_step legacy = tls_params_legacy(st);
	if (p->version != 0)
		return p->version;
	if (legacy == TLS_PARAMS_STEP_COUNT)
		return 0;
	if (s == TLS_PARAMS_EXPORT) {
		enum tls_params_step old = tls_params_highest_from(st, TLS_PARAMS_TLS1_0);
		if (old != TLS_PARAMS_STEP_COUNT)
			legacy = old;
	}
	return tls_params_plan[legacy].version;
}

/* Whether the step can tell anything new, given what the earlier ones found. */
static bool tls_params_wanted(const struct tls_params_state *st, enum tls_params_step s)
{
	bool legacy = tls_params_legacy(st) != TLS_PARAMS_STEP_COUNT;
	bool modern_aead =
	    tls_params_accepted(st, TLS_PARAMS_TLS1_3) || tls_params_seen(st, TLS_SUITE_AEAD);
	switch (tls_params_plan[s].kind) {
	case TLS_PARAMS_VERSION:
		return true;
	case TLS_PARAMS_WEAK:
		return legacy;
	case TLS_PARAMS_CLASS:
		break;
	}
	switch (s) {
	case TLS_PARAMS_AEAD:
		return tls_params_accepted(st, TLS_PARAMS_TLS1_2) && !modern_aead;
	case TLS_PARAMS_CBC:
		return st->result[TLS_PARAMS_AEAD].status == TLS_PARAMS_REFUSED &&
		       !tls_params_seen(st, TLS_SUITE_CBC);
	case TLS_PARAMS_REVERSED:
		return legacy;
	case TLS_PARAMS_FS:
		return legacy && !tls_params_accepted(st, TLS_PARAMS_TLS1_3) &&
		       !tls_params_seen(st, TLS_SUITE_FS);
	default:
		assert(!"a class step without a rule");
		return false;
	}
}

/* ---- one session ---- */

static void tls_params_random(struct probe_ctx *ctx, unsigned char *buf, size_t len)
{
	for (size_t i = 0; i < len; i += sizeof(uint64_t)) {
		uint64_t r = probe_random(ctx);
		for (size_t b = 0; b < sizeof(r) && i + b < len; b++)
			buf[i + b] = (unsigned char)(r >> (8 * b));
	}
}

/* The suites the current step offers, in its order (the same list every time). */
static size_t tls_params_suites(const struct tls_params_state *st, uint16_t *ids)
{
	const struct tls_params_plan *p = &tls_params_plan[st->current];
	return tls_suites_select(st->result[st->current].version, p->any, p->none, p->order, ids,
	                         TLS_HELLO_MAX_SUITES);
}

static void tls_params_send_hello(struct probe_ctx *ctx)
{
	struct tls_params_state *st = probe_state(ctx);
	struct tls_params_result *res = &st->result[st->current];
	uint16_t ids[TLS_HELLO_MAX_SUITES];
	unsigned char hello[TLS_HELLO_CLIENT_MAX];
	res->version = tls_params_version(st, st->current);
	res->offered = tls_params_suites(st, ids);
	struct tls_hello_client c = {
	    .version = res->version,
	    .suites = ids,
	    .nsuites = res->offered,
	    .server_name = probe_target(ctx)->host,
	};
	tls_params_random(ctx, c.random, sizeof(c.random));
	tls_params_random(ctx, c.key_share, sizeof(c.key_share));
	size_t len;
	int rc = tls_hello_client_build(&c, hello, sizeof(hello), &len);
	assert(rc == 0 && "every plan offers at least one suite and fits the buffer");
	st->phase = TLS_PARAMS_WAITING;
	st->started = true;
	st->warnings = 0;
	if (probe_send_raw(ctx, TLS_PARAMS_TAG_HELLO, hello, len) != 0)
		probe_conclude(ctx, VERDICT_INCONCLUSIVE, "could not send a ClientHello");
}

static bool tls_params_offered(const struct tls_params_state *st, uint16_t suite)
{
	uint16_t ids[TLS_HELLO_MAX_SUITES];
	size_t n = tls_params_suites(st, ids);
	for (size_t i = 0; i < n; i++)
		if (ids[i] == suite)
			return true;
	return false;
}

static void tls_params_set(struct tls_params_result *res, enum tls_params_status status,
                           const char *why)
{
	res->status = status;
	snprintf(res->why, sizeof(res->why), "%s", why);
}

static void tls_params_classify_hello(struct tls_params_state *st, struct tls_params_result *res,
                                      const struct tls_hello_answer *a)
{
	res->got_version = a->version;
	res->suite = a->suite;
	if (a->version != res->version) {
		char text[sizeof(res->why)];
		const char *name = tls_hello_version_name(a->version);
		snprintf(text, sizeof(text), "ServerHello for %s instead",
		         name != NULL ? name : "an unknown version");
		tls_params_set(
		    res, a->version < res->version ? TLS_PARAMS_REFUSED : TLS_PARAMS_FAILED, text);
	} else if (!tls_params_offered(st, a->suite)) {
		tls_params_set(res, TLS_PARAMS_FAILED, "ServerHello with a suite not offered");
	} else {
		tls_params_set(res, TLS_PARAMS_ACCEPTED,
		               a->hello_retry ? "HelloRetryRequest" : "ServerHello");
	}
}

static void tls_params_classify_alert(struct tls_params_result *res,
                                      const struct tls_hello_answer *a)
{
	char text[sizeof(res->why)];
	const char *name = tls_hello_alert_name(a->alert_description);
	if (name != NULL)
		snprintf(text, sizeof(text), "alert %s", name);
	else
		snprintf(text, sizeof(text), "alert %u", (unsigned)a->alert_description);
	tls_params_set(res, TLS_PARAMS_REFUSED, text);
}

static void tls_params_classify_failure(struct tls_params_result *res,
                                        const struct tls_hello_answer *a)
{
	char text[sizeof(res->why)];
	snprintf(text, sizeof(text), "%s answer: %s", tls_hello_kind_name(a->kind), a->reason);
	tls_params_set(res, TLS_PARAMS_FAILED, text);
}

static void tls_params_classify(struct tls_params_state *st, const struct tls_hello_answer *a)
{
	struct tls_params_result *res = &st->result[st->current];
	switch (a->kind) {
	case TLS_HELLO_SERVER_HELLO:
		tls_params_classify_hello(st, res, a);
		return;
	case TLS_HELLO_ALERT:
		tls_params_classify_alert(res, a);
		return;
	case TLS_HELLO_SSLV2:
		tls_params_set(res, TLS_PARAMS_REFUSED, a->reason);
		return;
	case TLS_HELLO_NOT_TLS:
	case TLS_HELLO_TRUNCATED:
	case TLS_HELLO_MALFORMED:
		tls_params_classify_failure(res, a);
		return;
	}
	assert(!"an answer of no kind");
}

/* ---- findings and verdict ---- */

static void tls_params_describe(const struct tls_params_state *st, enum tls_params_step s,
                                char *buf, size_t len)
{
	const struct tls_params_result *res = &st->result[s];
	if (res->status == TLS_PARAMS_NOT_RUN) {
		snprintf(buf, len, "%s: not tried", tls_params_plan[s].label);
		return;
	}
	if (res->version == 0) { /* the session failed before its ClientHello */
		snprintf(buf, len, "%s: no result, %s", tls_params_plan[s].label, res->why);
		return;
	}
	int n = snprintf(buf, len, "%s (%s, %zu suites): ", tls_params_plan[s].label,
	                 tls_hello_version_name(res->version), res->offered);
	if (n < 0 || (size_t)n >= len)
		return;
	if (res->status == TLS_PARAMS_ACCEPTED) {
		char id[TLS_SUITES_NAME_MAX];
		snprintf(buf + n, len - (size_t)n, "%s %s %s", res->why,
		         tls_hello_version_name(res->got_version),
		         tls_suites_name(res->suite, id, sizeof(id)));
		return;
	}
	snprintf(buf + n, len - (size_t)n, "%s, %s",
	         res->status == TLS_PARAMS_REFUSED ? "refused" : "no result", res->why);
}

static void tls_params_note(struct finding *f, const struct tls_params_state *st,
                            enum tls_params_step s)
{
	char note[TLS_PARAMS_TEXT];
	tls_params_describe(st, s, note, sizeof(note));
	finding_add_evidence(f, EVIDENCE_NOTE, note);
}

static struct finding *tls_params_report(struct probe_ctx *ctx, enum catalog_id id,
                                         const char *variant, enum tls_params_step evidence)
{
	struct finding *f = probe_finding(ctx, id, variant);
	if (f != NULL)
		tls_params_note(f, probe_state(ctx), evidence);
	return f;
}

/* Each report_* function returns how many findings it made. */
static unsigned tls_params_report_versions(struct probe_ctx *ctx, const struct tls_params_state *st)
{
	unsigned found = 0;
	for (int s = TLS_PARAMS_SSL3; s <= TLS_PARAMS_TLS1_1; s++) {
		if (!tls_params_accepted(st, (enum tls_params_step)s))
			continue;
		struct finding *f =
		    tls_params_report(ctx, CATALOG_TLS_LEGACY_PROTOCOL, tls_params_plan[s].label,
		                      (enum tls_params_step)s);
		found++;
		if (f != NULL)
			finding_set_detail(f, "%s accepted", tls_params_plan[s].label);
	}
	bool refused = st->result[TLS_PARAMS_TLS1_2].status == TLS_PARAMS_REFUSED &&
	               st->result[TLS_PARAMS_TLS1_3].status == TLS_PARAMS_REFUSED;
	if (!refused)
		return found;
	struct finding *f =
	    tls_params_report(ctx, CATALOG_TLS_NO_MODERN_PROTOCOL, NULL, TLS_PARAMS_TLS1_2);
	if (f != NULL) {
		tls_params_note(f, st, TLS_PARAMS_TLS1_3);
		finding_set_detail(f, "highest version accepted: %s",
		                   tls_params_plan[tls_params_legacy(st)].label);
	}
	return found + 1;
}

static unsigned tls_params_report_weak(struct probe_ctx *ctx, const struct tls_params_state *st)
{
	char id[TLS_SUITES_NAME_MAX];
	unsigned found = 0;
	for (int s = TLS_PARAMS_NULL; s <= TLS_PARAMS_3DES; s++) {
		if (!tls_params_accepted(st, (enum tls_params_step)s))
			continue;
		const char *suite = tls_suites_name(st->result[s].suite, id, sizeof(id));
		struct finding *f =
		    tls_params_report(ctx, CATALOG_TLS_WEAK_CIPHER, tls_params_plan[s].variant,
		                      (enum tls_params_step)s);
		found++;
		if (f == NULL)
			continue;
		finding_set_detail(f, "%s accepted in %s: %s", tls_params_plan[s].label,
		                   tls_hello_version_name(st->result[s].got_version), suite);
		finding_add_evidence(f, EVIDENCE_NOTE, suite);
	}
	return found;
}

static bool tls_params_cbc_only(const struct tls_params_state *st)
{
	return tls_params_accepted(st, TLS_PARAMS_TLS1_2) &&
	       st->result[TLS_PARAMS_TLS1_3].status == TLS_PARAMS_REFUSED &&
	       st->result[TLS_PARAMS_AEAD].status == TLS_PARAMS_REFUSED &&
	       tls_params_seen(st, TLS_SUITE_CBC);
}

/* The choice from the full list, strongest first, at the highest legacy version. */
static const struct tls_params_result *tls_params_choice(const struct tls_params_state *st)
{
	enum tls_params_step legacy = tls_params_legacy(st);
	return legacy == TLS_PARAMS_STEP_COUNT ? NULL : &st->result[legacy];
}

static unsigned tls_params_report_suites(struct probe_ctx *ctx, const struct tls_params_state *st)
{
	char id[TLS_SUITES_NAME_MAX];
	unsigned found = 0;
	if (tls_params_cbc_only(st)) {
		struct finding *f =
		    tls_params_report(ctx, CATALOG_TLS_CBC_ONLY, NULL, TLS_PARAMS_AEAD);
		found++;
		if (f != NULL)
			finding_set_detail(f, "TLSv1.2 without AEAD suites; TLSv1.3 refused");
	}
	const struct tls_params_result *choice = tls_params_choice(st);
	if (choice == NULL || st->result[TLS_PARAMS_TLS1_3].status != TLS_PARAMS_REFUSED ||
	    (tls_params_suite_flags(choice->suite) & TLS_SUITE_FS))
		return found;
	bool fs_refused = st->result[TLS_PARAMS_FS].status == TLS_PARAMS_REFUSED;
	if (!fs_refused && !tls_params_seen(st, TLS_SUITE_FS))
		return found; /* the forward-secret offer gave no answer: unknown */
	struct finding *f =
	    tls_params_report(ctx, CATALOG_TLS_NO_FORWARD_SECRECY, NULL, tls_params_legacy(st));
	if (f == NULL)
		return found + 1;
	if (st->result[TLS_PARAMS_FS].status != TLS_PARAMS_NOT_RUN)
		tls_params_note(f, st, TLS_PARAMS_FS);
	finding_set_detail(f, "chose %s from the full list; forward-secret suites %s",
	                   tls_suites_name(choice->suite, id, sizeof(id)),
	                   fs_refused ? "refused" : "accepted but not preferred");
	return found + 1;
}

static const char *tls_params_order(const struct tls_params_state *st)
{
	const struct tls_params_result *choice = tls_params_choice(st);
	const struct tls_params_result *rev = &st->result[TLS_PARAMS_REVERSED];
	if (choice == NULL || rev->status != TLS_PARAMS_ACCEPTED)
		return "order unknown";
	return rev->suite == choice->suite ? "server order" : "client order";
}

static const char *tls_params_fs_summary(const struct tls_params_state *st)
{
	if (tls_params_accepted(st, TLS_PARAMS_TLS1_3))
		return "yes";
	const struct tls_params_result *choice = tls_params_choice(st);
	if (choice != NULL && (tls_params_suite_flags(choice->suite) & TLS_SUITE_FS))
		return "yes";
	return tls_params_seen(st, TLS_SUITE_FS) ? "not preferred" : "no";
}

static void tls_params_summary(const struct tls_params_state *st, char *buf, size_t len)
{
	size_t used = (size_t)snprintf(buf, len, "versions accepted:");
	for (int s = TLS_PARAMS_SSL3; s <= TLS_PARAMS_TLS1_3 && used < len; s++)
		if (tls_params_accepted(st, (enum tls_params_step)s))
			used += (size_t)snprintf(buf + used, len - used, " %s",
			                         tls_params_plan[s].label);
	const struct tls_params_result *pref = tls_params_choice(st);
	if (pref == NULL && tls_params_accepted(st, TLS_PARAMS_TLS1_3))
		pref = &st->result[TLS_PARAMS_TLS1_3];
	if (used < len && pref != NULL) {
		char id[TLS_SUITES_NAME_MAX];
		used += (size_t)snprintf(buf + used, len - used, "; preferred suite %s %s (%s)",
		                         tls_hello_version_name(pref->got_version),
		                         tls_suites_name(pref->suite, id, sizeof(id)),
		                         pref == tls_params_choice(st) ? tls_params_order(st)
		                                                       : "order unknown");
	}
	if (used < len)
		snprintf(buf + used, len - used, "; forward secrecy: %s",
		         tls_params_fs_summary(st));
}

static bool tls_params_any_version(const struct tls_params_state *st)
{
	for (int s = TLS_PARAMS_SSL3; s <= TLS_PARAMS_TLS1_3; s++)
		if (tls_params_accepted(st, (enum tls_params_step)s))
			return true;
	return false;
}

static bool tls_params_any_failed(const struct tls_params_state *st)
{
	for (int s = 0; s < TLS_PARAMS_STEP_COUNT; s++)
		if (st->result[s].status == TLS_PARAMS_FAILED)
			return true;
	return false;
}

static void tls_params_report_summary(struct probe_ctx *ctx, const struct tls_params_state *st,
                                      const char *summary)
{
	struct finding *f = probe_finding(ctx, CATALOG_TLS_PARAMETERS, NULL);
	if (f == NULL)
		return;
	finding_set_detail(f, "%s", summary);
	for (int s = 0; s < TLS_PARAMS_STEP_COUNT; s++)
		if (st->result[s].status != TLS_PARAMS_NOT_RUN)
			tls_params_note(f, st, (enum tls_params_step)s);
}

/* why: non-NULL when the probe stopped before its plan was done. */
static void tls_params_finish(struct probe_ctx *ctx, const char *why)
{
	struct tls_params_state *st = probe_state(ctx);
	const char *early = why != NULL ? "; stopped early: " : "";
	if (!tls_params_any_version(st)) {
		/* TLS 1.2's answer says most about why, when it got that far. */
		char last[TLS_PARAMS_TEXT];
		tls_params_describe(st,
		                    st->result[TLS_PARAMS_TLS1_2].status != TLS_PARAMS_NOT_RUN
		                        ? TLS_PARAMS_TLS1_2
		                        : st->current,
		                    last, sizeof(last));
		probe_conclude(ctx, VERDICT_INCONCLUSIVE, "no protocol version accepted (%s)%s%s",
		               last, early, why != NULL ? why : "");
		return;
	}
	unsigned found = tls_params_report_versions(ctx, st) + tls_params_report_weak(ctx, st) +
	                 tls_params_report_suites(ctx, st);
	char summary[TLS_PARAMS_TEXT];
	tls_params_summary(st, summary, sizeof(summary));
	tls_params_report_summary(ctx, st, summary);
	enum verdict v = found > 0                                  ? VERDICT_VULNERABLE
	                 : why != NULL || tls_params_any_failed(st) ? VERDICT_INCONCLUSIVE
	                                                            : VERDICT_NOT_VULNERABLE;
	probe_conclude(ctx, v, "%s%s%s", summary, early, why != NULL ? why : "");
}

/* ---- the dialog ---- */

static void tls_params_advance(struct probe_ctx *ctx)
{
	struct tls_params_state *st = probe_state(ctx);
	st->phase = TLS_PARAMS_IDLE;
	for (int s = (int)st->current + 1; s < TLS_PARAMS_STEP_COUNT; s++) {
		if (!tls_params_wanted(st, (enum tls_params_step)s))
			continue;
		st->current = (enum tls_params_step)s;
		if (probe_reconnect(ctx) != 0)
			tls_params_finish(ctx, "could not start a new session");
		return;
	}
	tls_params_finish(ctx, NULL);
}

/* The session failed before its ClientHello was answered: nothing learned for the step. */
static void tls_params_session_failed(struct probe_ctx *ctx, const char *why, bool retry)
{
	struct tls_params_state *st = probe_state(ctx);
	tls_params_set(&st->result[st->current], TLS_PARAMS_FAILED, why);
	if (!retry || ++st->failures >= TLS_PARAMS_MAX_FAILURES) {
		st->phase = TLS_PARAMS_IDLE;
		tls_params_finish(ctx, why);
		return;
	}
	tls_params_advance(ctx);
}

static void tls_params_start(struct probe_ctx *ctx)
{
	struct tls_params_state *st = probe_state(ctx);
	if (probe_target(ctx)->implicit_tls) {
		tls_params_send_hello(ctx);
		return;
	}
	const struct smtp_caps *caps = probe_caps(ctx);
	if (caps == NULL || !smtp_caps_has(caps, SMTP_EXT_STARTTLS)) {
		if (!st->started)
			probe_conclude(ctx, VERDICT_NOT_APPLICABLE, "STARTTLS not offered");
		else
			tls_params_session_failed(ctx, "STARTTLS no longer offered", false);
		return;
	}
	st->phase = TLS_PARAMS_STARTTLS;
	if (probe_starttls_raw(ctx, TLS_PARAMS_TAG_STARTTLS) != 0)
		probe_conclude(ctx, VERDICT_INCONCLUSIVE, "could not send STARTTLS");
}

static void tls_params_step_starttls(struct probe_ctx *ctx, const struct probe_reply *r)
{
	struct tls_params_state *st = probe_state(ctx);
	if (r->reply != NULL && r->reply->code == 220) {
		tls_params_send_hello(ctx);
		return;
	}
	char why[96];
	snprintf(why, sizeof(why), "STARTTLS answered %d", r->reply != NULL ? r->reply->code : 0);
	if (!st->started)
		probe_conclude(ctx, VERDICT_INCONCLUSIVE, "%s", why);
	else
		tls_params_session_failed(ctx, why, true);
}

static void tls_params_step_hello(struct probe_ctx *ctx, const struct probe_reply *r)
{
	struct tls_params_state *st = probe_state(ctx);
	struct tls_hello_answer a;
	tls_hello_parse(r->raw, r->raw_len, &a);
	/* A warning (unrecognized_name, say) may precede the ServerHello. */
	if (a.kind == TLS_HELLO_ALERT && a.alert_level == 1 &&
	    st->warnings < TLS_PARAMS_MAX_WARNINGS) {
		st->warnings++;
		if (probe_read_raw(ctx, TLS_PARAMS_TAG_HELLO) != 0)
			probe_conclude(ctx, VERDICT_INCONCLUSIVE, "could not read the next record");
		return;
	}
	tls_params_classify(st, &a);
	st->failures = 0;
	tls_params_advance(ctx);
}

static void tls_params_step(struct probe_ctx *ctx, const struct probe_reply *r)
{
	switch ((enum tls_params_tag)r->tag) {
	case TLS_PARAMS_TAG_STARTTLS:
		tls_params_step_starttls(ctx, r);
		return;
	case TLS_PARAMS_TAG_HELLO:
		tls_params_step_hello(ctx, r);
		return;
	}
	assert(!"reply with a tag this probe never used");
}

/* A close or silence after the ClientHello is the server's refusal. */
static void tls_params_interrupted(struct probe_ctx *ctx, enum outcome why)
{
	struct tls_params_state *st = probe_state(ctx);
	if (st->phase == TLS_PARAMS_WAITING && (why == OUTCOME_CLOSED || why == OUTCOME_TIMEOUT)) {
		tls_params_set(&st->result[st->current], TLS_PARAMS_REFUSED,
		               why == OUTCOME_CLOSED ? "connection closed" : "no answer");
		st->failures = 0;
		tls_params_advance(ctx);
		return;
	}
	if (!st->started)
		return; /* nothing learned: the failure stands */
	char text[96];
	snprintf(text, sizeof(text), "session ended: %s", outcome_name(why));
	tls_params_session_failed(ctx, text, why != OUTCOME_THROTTLED);
}

const struct probe probe_tls_params = {
    .name = "tls_params",
    .summary = "TLS versions and cipher suites accepted (hand-built ClientHello per version "
               "and weak class)",
    .preamble = PROBE_PREAMBLE_TLS_RAW,
    .flags = PROBE_DEFAULT,
    .state_size = sizeof(struct tls_params_state),
    .start = tls_params_start,
    .step = tls_params_step,
    .interrupted = tls_params_interrupted,
};
