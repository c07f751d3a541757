/*
 * NAME
 *	auth_before_tls - does the server take a password before STARTTLS?
 *
 * DESCRIPTION
 *	Sends, on the cleartext connection after EHLO, one attempt per
 *	password mechanism advertised there (PLAIN first, then LOGIN):
 *		C: AUTH PLAIN <base64 of "\0smtp-audit-probe\0not-a-password-<hex>">
 *		S: 535 5.7.8 Error: authentication failed: authentication failure
 *		C: AUTH LOGIN
 *		S: 334 VXNlcm5hbWU6
 *		C: *
 *		S: 501 5.7.0 Authentication aborted
 *	When neither PLAIN nor LOGIN is advertised in cleartext (or AUTH is
 *	not advertised at all), it still sends one AUTH PLAIN with the same
 *	fake identity, because some servers process AUTH they do not
 *	advertise. A 334 to any attempt is cancelled with "*" (RFC 4954
 *	section 4). After a 235 nothing more is tried.
 *
 *	Vulnerable: the server processed a password mechanism without TLS:
 *		535 to AUTH PLAIN (it checked the credentials), 334 (it asked
 *		for them) or 235 (it accepted the fake ones). One finding per
 *		mechanism: SMTP-AUTH-001 on a submission port, SMTP-AUTH-002
 *		elsewhere; the evidence is the exchange. When PLAIN or LOGIN is
 *		advertised but every attempt is refused (538, 530, 534, 504,
 *		454, 503 or any other refusal), SMTP-AUTH-003 records the
 *		advertisement and the verdict stays not-vulnerable.
 *	False positives avoided: AUTH merely advertised in cleartext is not
 *		called an exposure (the usual scanner mistake) unless the
 *		server acts on it; a refusal that says encryption is needed
 *		(RFC 5248's 5.7.11, or "encrypt", "TLS", "SSL" in the text) is a
 *		refusal even when its code is 535; a 535 to AUTH LOGIN, which
 *		carried no credentials, judged nothing and is a refusal.
 *	Never: a real or user-supplied credential (there is no option for
 *		one); the fake user name or password in answer to LOGIN's
 *		prompt (one confirmed exposure per mechanism is enough and
 *		avoids lockouts); MAIL, RCPT or DATA. Evidence shows AUTH
 *		PLAIN's initial response as <redacted>, never the fake password.
 *	Runs only on cleartext connections (PROBE_PREAMBLE_PLAINTEXT).
 *	References: RFC 4954 sections 4 and 6; RFC 4616; RFC 3207; RFC 8314;
 *		RFC 5248 (5.7.11).
 */
#include <assert.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "probe.h"

#define AUTH_BEFORE_TLS_USER     "smtp-audit-probe"
#define AUTH_BEFORE_TLS_REDACTED "<redacted>"
#define AUTH_BEFORE_TLS_REASON   512

enum auth_before_tls_tag {
	AUTH_BEFORE_TLS_TAG_AUTH,   /* AUTH <mechanism> */
	AUTH_BEFORE_TLS_TAG_CANCEL, /* "*" after a 334 */
};

/* The password mechanisms tried, in order. */
enum auth_before_tls_mech {
	AUTH_BEFORE_TLS_PLAIN,
	AUTH_BEFORE_TLS_LOGIN,
	AUTH_BEFORE_TLS_MECH_COUNT
};

static const enum smtp_auth auth_before_tls_sasl[] = {
    [AUTH_BEFORE_TLS_PLAIN] = SMTP_AUTH_PLAIN,
    [AUTH_BEFORE_TLS_LOGIN] = SMTP_AUTH_LOGIN,
};
_Static_assert(sizeof(auth_before_tls_sasl) / sizeof(auth_before_tls_sasl[0]) ==
                   AUTH_BEFORE_TLS_MECH_COUNT,
               "one SASL mechanism per attempt");

enum auth_before_tls_result {
	AUTH_BEFORE_TLS_UNTRIED,
	AUTH_BEFORE_TLS_CHECKED,     /* 535 to credentials: judged in cleartext */
	AUTH_BEFORE_TLS_PROMPTED,    /* 334: asked for credentials in cleartext */
	AUTH_BEFORE_TLS_ACCEPTED,    /* 235: took the fake credentials */
	AUTH_BEFORE_TLS_REFUSED,     /* refused in cleartext */
	AUTH_BEFORE_TLS_NOT_OFFERED, /* 500, 502, 503: AUTH not available here */
	AUTH_BEFORE_TLS_RESULT_COUNT
};

static const char *const auth_before_tls_result_phrase[] = {
    [AUTH_BEFORE_TLS_UNTRIED] = "not tried",
    [AUTH_BEFORE_TLS_CHECKED] = "credentials checked without TLS",
    [AUTH_BEFORE_TLS_PROMPTED] = "asked for credentials without TLS",
    [AUTH_BEFORE_TLS_ACCEPTED] = "accepted the scanner's fake credentials without TLS",
    [AUTH_BEFORE_TLS_REFUSED] = "refused without TLS",
    [AUTH_BEFORE_TLS_NOT_OFFERED] = "AUTH not offered",
};
_Static_assert(sizeof(auth_before_tls_result_phrase) / sizeof(auth_before_tls_result_phrase[0]) ==
                   AUTH_BEFORE_TLS_RESULT_COUNT,
               "one phrase per result");

struct auth_before_tls_attempt {
	bool wanted;
	enum auth_before_tls_result result;
	bool has_reply, has_cancel;
	struct smtp_reply reply;  /* the answer to AUTH */
	struct smtp_reply cancel; /* the answer to "*" */
};

struct auth_before_tls_state {
	uint32_t advertised;  /* mechanisms in the cleartext EHLO reply */
	bool auth_advertised; /* AUTH keyword present at all */
	bool unadvertised;    /* the attempt is made though PLAIN and LOGIN are not advertised */
	enum auth_before_tls_mech current;
	struct auth_before_tls_attempt attempt[AUTH_BEFORE_TLS_MECH_COUNT];
};

static const char *auth_before_tls_mech_name(enum auth_before_tls_mech m)
{
	return smtp_auth_name(auth_before_tls_sasl[m]);
}

static bool auth_before_tls_exposed(enum auth_before_tls_result r)
{
	return r == AUTH_BEFORE_TLS_CHECKED || r == AUTH_BEFORE_TLS_PROMPTED ||
	       r == AUTH_BEFORE_TLS_ACCEPTED;
}

static bool auth_before_tls_any_exposed(const struct auth_before_tls_state *st)
{
	for (int m = 0; m < AUTH_BEFORE_TLS_MECH_COUNT; m++)
		if (auth_before_tls_exposed(st->attempt[m].result))
			return true;
	return false;
}

/* RFC 5248's 5.7.11, or wording that blames the missing encryption. */
static bool auth_before_tls_wants_encryption(const struct smtp_reply *r)
{
	static const char *const words[] = {"encrypt", "tls", "ssl"};
	char enhanced[16];
	if (smtp_reply_enhanced(r, enhanced, sizeof(enhanced)) && strcmp(enhanced, "5.7.11") == 0)
		return true;
	for (size_t i = 0; i < r->nlines; i++)
		for (size_t w = 0; w < sizeof(words) / sizeof(words[0]); w++)
			if (strcasestr(r->lines[i], words[w]) != NULL)
				return true;
	return false;
}

static enum auth_before_tls_result auth_before_tls_classify(enum auth_before_tls_mech m,
                                                            const struct smtp_reply *r)
{
	switch (r->code) {
	case 235:
		return AUTH_BEFORE_TLS_ACCEPTED;
	case 334:
		return AUTH_BEFORE_TLS_PROMPTED;
	case 500:
	case 502:
	case 503:
		return AUTH_BEFORE_TLS_NOT_OFFERED;
	case 535:
		if (m == AUTH_BEFORE_TLS_PLAIN && !auth_before_tls_wants_encryption(r))
			return AUTH_BEFORE_TLS_CHECKED;
		return AUTH_BEFORE_TLS_REFUSED;
	default:
		return AUTH_BEFORE_TLS_REFUSED;
	}
}

/* The command as evidence: AUTH PLAIN's initial response is never shown. */
static const char *auth_before_tls_evidence_command(enum auth_before_tls_mech m)
{
	return m == AUTH_BEFORE_TLS_PLAIN ? "AUTH PLAIN " AUTH_BEFORE_TLS_REDACTED : "AUTH LOGIN";
}

static int auth_before_tls_send_plain(struct probe_ctx *ctx)
{
	char blob[80];
	int n = snprintf(blob, sizeof(blob), "%c%s%cnot-a-password-%016" PRIx64, '\0',
	                 AUTH_BEFORE_TLS_USER, '\0', probe_random(ctx));
	char *encoded = codec_base64_encode(blob, (size_t)n);
	if (encoded == NULL)
		return -1;
	int rc = probe_send(ctx, AUTH_BEFORE_TLS_TAG_AUTH, "AUTH PLAIN %s", encoded);
	free(encoded);
	return rc;
}

static int auth_before_tls_send(struct probe_ctx *ctx, enum auth_before_tls_mech m)
{
	if (m == AUTH_BEFORE_TLS_PLAIN)
		return auth_before_tls_send_plain(ctx);
	return probe_send(ctx, AUTH_BEFORE_TLS_TAG_AUTH, "AUTH LOGIN");
}

/* ---- findings and verdict ---- */

static void auth_before_tls_add_attempt(struct finding *f, enum auth_before_tls_mech m,
                                        const struct auth_before_tls_attempt *a)
{
	if (a->has_reply)
		finding_add_exchange(f, auth_before_tls_evidence_command(m), &a->reply);
	if (a->has_cancel)
		finding_add_exchange(f, "*", &a->cancel);
}

static void auth_before_tls_note_advertised(struct finding *f,
                                            const struct auth_before_tls_state *st)
{
	char list[256], note[320];
	smtp_auth_list(st->advertised, list, sizeof(list));
	snprintf(note, sizeof(note), "AUTH mechanisms advertised before STARTTLS: %s",
	         st->auth_advertised ? list : "none (AUTH not advertised)");
	finding_add_evidence(f, EVIDENCE_NOTE, note);
}

static void auth_before_tls_report_exposure(struct probe_ctx *ctx,
                                            const struct auth_before_tls_state *st,
                                            enum auth_before_tls_mech m)
{
	const struct auth_before_tls_attempt *a = &st->attempt[m];
	enum catalog_id id = probe_target(ctx)->submission ? CATALOG_AUTH_CLEARTEXT_SUBMISSION
	                                                   : CATALOG_AUTH_CLEARTEXT_MX;
	struct finding *f = probe_finding(ctx, id, auth_before_tls_mech_name(m));
	if (f == NULL)
		return;
	const char *hidden = !st->unadvertised     ? ""
	                     : st->auth_advertised ? "PLAIN not advertised but processed: "
	                                           : "AUTH not advertised but processed: ";
	finding_set_detail(f, "%sAUTH %s %s (%d) on port %u", hidden, auth_before_tls_mech_name(m),
	                   auth_before_tls_result_phrase[a->result], a->reply.code,
	                   (unsigned)probe_target(ctx)->port);
	auth_before_tls_add_attempt(f, m, a);
	auth_before_tls_note_advertised(f, st);
}

static void auth_before_tls_report_advertised(struct probe_ctx *ctx,
                                              const struct auth_before_tls_state *st)
{
	char variant[32] = "";
	for (int m = 0; m < AUTH_BEFORE_TLS_MECH_COUNT; m++)
		if (st->attempt[m].wanted)
			snprintf(variant + strlen(variant), sizeof(variant) - strlen(variant),
			         "%s%s", variant[0] ? "," : "",
			         auth_before_tls_mech_name((enum auth_before_tls_mech)m));
	struct finding *f = probe_finding(ctx, CATALOG_AUTH_ADVERTISED_CLEARTEXT, variant);
	if (f == NULL)
		return;
	finding_set_detail(f, "%s advertised before STARTTLS but refused without encryption",
	                   variant);
	for (int m = 0; m < AUTH_BEFORE_TLS_MECH_COUNT; m++)
		auth_before_tls_add_attempt(f, (enum auth_before_tls_mech)m, &st->attempt[m]);
	auth_before_tls_note_advertised(f, st);
}

static void auth_before_tls_reason(const struct auth_before_tls_state *st, char *buf, size_t len)
{
	char list[256];
	smtp_auth_list(st->advertised, list, sizeof(list));
	size_t used = (size_t)snprintf(buf, len, "AUTH before STARTTLS: %s",
	                               st->auth_advertised ? list : "none advertised");
	for (int m = 0; m < AUTH_BEFORE_TLS_MECH_COUNT && used < len; m++) {
		const struct auth_before_tls_attempt *a = &st->attempt[m];
		if (!a->has_reply)
			continue;
		char enhanced[16];
		bool has_enhanced = smtp_reply_enhanced(&a->reply, enhanced, sizeof(enhanced));
		used += (size_t)snprintf(buf + used, len - used, "; %s: %d%s%s %s",
		                         auth_before_tls_mech_name((enum auth_before_tls_mech)m),
		                         a->reply.code, has_enhanced ? " " : "",
		                         has_enhanced ? enhanced : "",
		                         auth_before_tls_result_phrase[a->result]);
	}
}

/* Emits the findings and the verdict; why is non-NULL when the session ended early. */
static void auth_before_tls_finish(struct probe_ctx *ctx, const char *why)
{
	struct auth_before_tls_state *st = probe_state(ctx);
	char reason[AUTH_BEFORE_TLS_REASON];
	auth_before_tls_reason(st, reason, sizeof(reason));
	bool exposed = auth_before_tls_any_exposed(st);
	for (int m = 0; m < AUTH_BEFORE_TLS_MECH_COUNT; m++)
		if (auth_before_tls_exposed(st->attempt[m].result))
			auth_before_tls_report_exposure(ctx, st, (enum auth_before_tls_mech)m);
	if (!exposed && !st->unadvertised)
		auth_before_tls_report_advertised(ctx, st);
	probe_conclude(ctx, exposed ? VERDICT_VULNERABLE : VERDICT_NOT_VULNERABLE, "%s%s%s", reason,
	               why ? "; session ended early: " : "", why ? why : "");
}

/* ---- the dialog ---- */

static void auth_before_tls_next(struct probe_ctx *ctx)
{
	struct auth_before_tls_state *st = probe_state(ctx);
	for (int m = 0; m < AUTH_BEFORE_TLS_MECH_COUNT; m++) {
		struct auth_before_tls_attempt *a = &st->attempt[m];
		if (!a->wanted || a->has_reply)
			continue;
		st->current = (enum auth_before_tls_mech)m;
		if (auth_before_tls_send(ctx, st->current) != 0)
			probe_conclude(ctx, VERDICT_INCONCLUSIVE, "could not send AUTH %s",
			               auth_before_tls_mech_name(st->current));
		return;
	}
	auth_before_tls_finish(ctx, NULL);
}

static void auth_before_tls_start(struct probe_ctx *ctx)
{
	struct auth_before_tls_state *st = probe_state(ctx);
	if (probe_tls_active(ctx)) {
		probe_conclude(ctx, VERDICT_NOT_APPLICABLE, "the connection is already encrypted");
		return;
	}
	const struct smtp_caps *caps = probe_caps(ctx);
	st->auth_advertised = caps != NULL && smtp_caps_has(caps, SMTP_EXT_AUTH);
	st->advertised = st->auth_advertised ? caps->auth : 0;
	for (int m = 0; m < AUTH_BEFORE_TLS_MECH_COUNT; m++)
		st->attempt[m].wanted = (st->advertised >> auth_before_tls_sasl[m]) & 1u;
	if (!st->attempt[AUTH_BEFORE_TLS_PLAIN].wanted &&
	    !st->attempt[AUTH_BEFORE_TLS_LOGIN].wanted) {
		st->unadvertised = true;
		st->attempt[AUTH_BEFORE_TLS_PLAIN].wanted = true;
	}
	auth_before_tls_next(ctx);
}

static void auth_before_tls_keep(struct probe_ctx *ctx, struct smtp_reply *dst, bool *has,
                                 const struct smtp_reply *src)
{
	if (smtp_reply_copy(dst, src) != 0) {
		probe_conclude(ctx, VERDICT_INCONCLUSIVE, "out of memory");
		return;
	}
	*has = true;
}

static void auth_before_tls_step(struct probe_ctx *ctx, const struct probe_reply *r)
{
	struct auth_before_tls_state *st = probe_state(ctx);
	struct auth_before_tls_attempt *a = &st->attempt[st->current];
	switch ((enum auth_before_tls_tag)r->tag) {
	case AUTH_BEFORE_TLS_TAG_AUTH:
		auth_before_tls_keep(ctx, &a->reply, &a->has_reply, r->reply);
		if (!a->has_reply)
			return;
		a->result = auth_before_tls_classify(st->current, r->reply);
		if (a->result == AUTH_BEFORE_TLS_PROMPTED) {
			if (probe_send(ctx, AUTH_BEFORE_TLS_TAG_CANCEL, "*") != 0)
				probe_conclude(ctx, VERDICT_INCONCLUSIVE, "could not cancel AUTH");
			return;
		}
		/* Authenticated now: a further AUTH would only get 503. */
		if (a->result == AUTH_BEFORE_TLS_ACCEPTED)
			auth_before_tls_finish(ctx, NULL);
		else
			auth_before_tls_next(ctx);
		return;
	case AUTH_BEFORE_TLS_TAG_CANCEL:
		auth_before_tls_keep(ctx, &a->cancel, &a->has_cancel, r->reply);
		if (a->has_cancel)
			auth_before_tls_next(ctx);
		return;
	}
	assert(!"reply with a tag this probe never used");
}

/* An exposure already seen stands even if the server hung up afterwards. */
static void auth_before_tls_interrupted(struct probe_ctx *ctx, enum outcome why)
{
	if (auth_before_tls_any_exposed(probe_state(ctx)))
		auth_before_tls_finish(ctx, outcome_name(why));
}

static void auth_before_tls_cleanup(void *state)
{
	struct auth_before_tls_state *st = state;
	for (int m = 0; m < AUTH_BEFORE_TLS_MECH_COUNT; m++) {
		if (st->attempt[m].has_reply)
			smtp_reply_free(&st->attempt[m].reply);
		if (st->attempt[m].has_cancel)
			smtp_reply_free(&st->attempt[m].cancel);
	}
}

const struct probe probe_auth_before_tls = {
    .name = "auth_before_tls",
    .summary = "whether AUTH PLAIN/LOGIN are processed before STARTTLS (fake identity only)",
    .preamble = PROBE_PREAMBLE_PLAINTEXT,
    .flags = PROBE_DEFAULT,
    .state_size = sizeof(struct auth_before_tls_state),
    .start = auth_before_tls_start,
    .step = auth_before_tls_step,
    .interrupted = auth_before_tls_interrupted,
    .cleanup = auth_before_tls_cleanup,
};
