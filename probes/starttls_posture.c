/*
 * NAME
 *	starttls_posture - is TLS offered, does it work, and does submission insist on it?
 *
 * DESCRIPTION
 *	On a STARTTLS port (one session):
 *
 *	  EHLO                        STARTTLS advertised?  no: TLS_STARTTLS_MISSING
 *	  MAIL FROM:<relay_from>      submission ports only, before TLS: 250 means
 *	  RSET                        TLS is not enforced (TLS_NOT_ENFORCED)
 *	  STARTTLS                    not 220: TLS_STARTTLS_BROKEN "refused"
 *	  (handshake)                 fails: TLS_STARTTLS_BROKEN "handshake"
 *	  EHLO                        capabilities before and after TLS compared:
 *	                              a difference other than STARTTLS itself is
 *	                              TLS_CAPS_CHANGED (info, both lists as evidence)
 *
 *	On an implicit-TLS port the handshake is the preamble: reaching start()
 *	proves it works; a failed handshake reaches interrupted() (the probe
 *	sets PROBE_SEES_TLS_FAILURE) and is TLS_IMPLICIT_BROKEN.
 *
 *	Enforcement is checked, not assumed from the EHLO reply: a submission
 *	server may advertise STARTTLS and still take MAIL FROM in cleartext.
 *	MAIL FROM alone starts no transaction that could deliver anything; RSET
 *	ends it. AUTH in cleartext is the auth_before_tls probe's subject.
 *
 *	A handshake that times out is not called broken (a tarpit looks the
 *	same); the timeout stands as the probe's outcome.
 *
 *	References: RFC 3207 (STARTTLS), RFC 8314 (cleartext considered
 *	obsolete for submission), RFC 6409 (submission).
 */
#include <stdio.h>

#include "probe.h"
#include "text_buf.h"

enum starttls_posture_tag {
	STARTTLS_POSTURE_TAG_MAIL = 1,
	STARTTLS_POSTURE_TAG_RSET,
	STARTTLS_POSTURE_TAG_STARTTLS,
};

struct starttls_posture_state {
	bool findings; /* a finding above info was made */
};

/* ---- capabilities, side by side ---- */

/* Extensions that legitimately differ: STARTTLS is never offered again inside TLS. */
static uint32_t starttls_posture_comparable(const struct smtp_caps *caps)
{
	return caps->ext & ~(1u << SMTP_EXT_STARTTLS);
}

static bool starttls_posture_caps_differ(const struct smtp_caps *plain, const struct smtp_caps *tls)
{
	return starttls_posture_comparable(plain) != starttls_posture_comparable(tls) ||
	       plain->auth != tls->auth || plain->size_limit != tls->size_limit;
}

static void starttls_posture_describe_caps(const char *when, const struct smtp_caps *caps,
                                           char *buf, size_t len)
{
	struct text_buf t;
	text_buf_init(&t, buf, len);
	text_buf_add(&t, "%s:", when);
	for (int e = 0; e < SMTP_EXT_COUNT; e++) {
		if (!smtp_caps_has(caps, (enum smtp_ext)e))
			continue;
		if (e == SMTP_EXT_AUTH) {
			char mechs[256];
			text_buf_add(&t, " AUTH(%s)",
			             smtp_auth_list(caps->auth, mechs, sizeof(mechs)));
		} else if (e == SMTP_EXT_SIZE && caps->size_limit > 0) {
			text_buf_add(&t, " SIZE=%llu", (unsigned long long)caps->size_limit);
		} else {
			text_buf_add(&t, " %s", smtp_ext_name((enum smtp_ext)e));
		}
	}
}

static void starttls_posture_compare_caps(struct probe_ctx *ctx)
{
	const struct smtp_caps *plain = probe_caps_plain(ctx), *tls = probe_caps(ctx);
	if (plain == NULL || tls == NULL || !starttls_posture_caps_differ(plain, tls))
		return;
	struct finding *f = probe_finding(ctx, CATALOG_TLS_CAPS_CHANGED, NULL);
	if (f == NULL)
		return;
	char before[512], after[512];
	starttls_posture_describe_caps("before TLS", plain, before, sizeof(before));
	starttls_posture_describe_caps("after TLS", tls, after, sizeof(after));
	finding_set_detail(f, "the server offers different extensions once TLS is active");
	finding_add_evidence(f, EVIDENCE_NOTE, before);
	finding_add_evidence(f, EVIDENCE_NOTE, after);
}

/* ---- verdicts ---- */

static void starttls_posture_conclude(struct probe_ctx *ctx, const char *what)
{
	struct starttls_posture_state *st = probe_state(ctx);
	probe_conclude(ctx, st->findings ? VERDICT_VULNERABLE : VERDICT_NOT_VULNERABLE, "%s", what);
}

static struct finding *starttls_posture_finding(struct probe_ctx *ctx, enum catalog_id id,
                                                const char *variant)
{
	struct starttls_posture_state *st = probe_state(ctx);
	st->findings = true;
	return probe_finding(ctx, id, variant);
}

static void starttls_posture_missing(struct probe_ctx *ctx)
{
	const struct probe_target *t = probe_target(ctx);
	const char *kind = t->submission ? "submission" : "relay";
	struct finding *f = starttls_posture_finding(ctx, CATALOG_TLS_STARTTLS_MISSING, kind);
	if (f != NULL)
		finding_set_detail(f, "%s port %u does not offer STARTTLS%s", kind, t->port,
		                   probe_caps(ctx) == NULL ? " (the server does not speak ESMTP)"
		                                           : "");
	starttls_posture_conclude(
	    ctx, "STARTTLS is not offered: all mail on this port travels in clear");
}

static void starttls_posture_not_enforced(struct probe_ctx *ctx, const struct probe_reply *r)
{
	struct finding *f = starttls_posture_finding(ctx, CATALOG_TLS_NOT_ENFORCED, "MAIL");
	if (f == NULL)
		return;
	finding_set_detail(f, "submission port %u accepts MAIL FROM before STARTTLS",
	                   probe_target(ctx)->port);
	finding_add_exchange(f, r->command, r->reply);
}

static void starttls_posture_refused(struct probe_ctx *ctx, const struct probe_reply *r)
{
	struct finding *f = starttls_posture_finding(ctx, CATALOG_TLS_STARTTLS_BROKEN, "refused");
	if (f != NULL) {
		finding_set_detail(f, "STARTTLS is advertised but refused with %d", r->reply->code);
		finding_add_exchange(f, r->command, r->reply);
	}
	starttls_posture_conclude(ctx, "STARTTLS advertised but refused");
}

/* ---- the dialog ---- */

static void starttls_posture_begin_tls(struct probe_ctx *ctx)
{
	if (probe_starttls(ctx, STARTTLS_POSTURE_TAG_STARTTLS) != 0)
		probe_conclude(ctx, VERDICT_INCONCLUSIVE, "could not send STARTTLS");
}

static void starttls_posture_start(struct probe_ctx *ctx)
{
	const struct probe_target *t = probe_target(ctx);
	if (t->implicit_tls) {
		probe_conclude(ctx, VERDICT_NOT_VULNERABLE, "implicit TLS handshake succeeded");
		return;
	}
	const struct smtp_caps *caps = probe_caps(ctx);
	if (caps == NULL || !smtp_caps_has(caps, SMTP_EXT_STARTTLS)) {
		starttls_posture_missing(ctx);
		return;
	}
	if (!t->submission) {
		starttls_posture_begin_tls(ctx);
		return;
	}
	const char *from = probe_settings(ctx)->relay_from;
	if (probe_send(ctx, STARTTLS_POSTURE_TAG_MAIL, "MAIL FROM:<%s>", from) != 0)
		probe_conclude(ctx, VERDICT_INCONCLUSIVE, "could not send MAIL FROM");
}

static void starttls_posture_after_tls(struct probe_ctx *ctx, const struct probe_reply *r)
{
	if (!probe_tls_active(ctx)) {
		starttls_posture_refused(ctx, r);
		return;
	}
	if (r->reply->code == 250)
		starttls_posture_compare_caps(ctx);
	const struct tls_facts *facts = probe_tls_facts(ctx);
	char what[160] = "STARTTLS works";
	if (facts != NULL && facts->version != NULL && facts->ciphersuite != NULL)
		snprintf(what, sizeof(what), "STARTTLS works (%s, %s)", facts->version,
		         facts->ciphersuite);
	starttls_posture_conclude(ctx, what);
}

static void starttls_posture_step(struct probe_ctx *ctx, const struct probe_reply *r)
{
	switch ((enum starttls_posture_tag)r->tag) {
	case STARTTLS_POSTURE_TAG_MAIL:
		if (smtp_reply_class(r->reply) == 2)
			starttls_posture_not_enforced(ctx, r);
		if (probe_send(ctx, STARTTLS_POSTURE_TAG_RSET, "RSET") != 0)
			probe_conclude(ctx, VERDICT_INCONCLUSIVE, "could not send RSET");
		return;
	case STARTTLS_POSTURE_TAG_RSET:
		starttls_posture_begin_tls(ctx);
		return;
	case STARTTLS_POSTURE_TAG_STARTTLS:
		starttls_posture_after_tls(ctx, r);
		return;
	}
	probe_conclude(ctx, VERDICT_INCONCLUSIVE, "unexpected reply");
}

static void starttls_posture_interrupted(struct probe_ctx *ctx, enum outcome why)
{
	struct starttls_posture_state *st = probe_state(ctx);
	if (why != OUTCOME_TLS_ERROR) {
		/* What was already seen stands; only the rest of the dialog is lost. */
		if (st->findings)
			probe_conclude(ctx, VERDICT_VULNERABLE, "session ended early (%s)",
			               outcome_name(why));
		return;
	}
	bool implicit = probe_target(ctx)->implicit_tls;
	struct finding *f = starttls_posture_finding(
	    ctx, implicit ? CATALOG_TLS_IMPLICIT_BROKEN : CATALOG_TLS_STARTTLS_BROKEN,
	    implicit ? NULL : "handshake");
	if (f != NULL) {
		finding_set_detail(f, "the TLS handshake %s failed",
		                   implicit ? "on connect" : "after STARTTLS");
		finding_add_evidence(f, EVIDENCE_NOTE, probe_failure(ctx));
	}
	starttls_posture_conclude(ctx, implicit ? "implicit TLS handshake failed"
	                                        : "STARTTLS accepted but the TLS handshake failed");
}

const struct probe probe_starttls_posture = {
    .name = "starttls",
    .summary = "STARTTLS offered, working, and enforced on submission; implicit TLS on 465",
    .preamble = PROBE_PREAMBLE_EHLO,
    .flags = PROBE_DEFAULT | PROBE_SEES_TLS_FAILURE,
    .state_size = sizeof(struct starttls_posture_state),
    .start = starttls_posture_start,
    .step = starttls_posture_step,
    .interrupted = starttls_posture_interrupted,
};
