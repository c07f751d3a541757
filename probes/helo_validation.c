/*
 * NAME
 *	helo_validation - does the server let invalid or impersonating HELO names through?
 *
 * DESCRIPTION
 *	Sends, in fresh sessions with exactly one HELO each (some MTAs
 *	remember the first HELO of a session), first a control with the
 *	scanner's own name, then one session per form:
 *		S: 220 mx.example.org ESMTP
 *		C: HELO scanner.example.net        control: --helo-name
 *		S: 250 mx.example.org
 *		C: MAIL FROM:<>                     queued with the RCPT; they go in
 *		                                    lock-step, as after HELO no PIPELINING
 *		                                    was advertised (RFC 2920)
 *		S: 250 2.1.0 Ok
 *		C: RCPT TO:<postmaster@example.org>
 *		S: 250 2.1.5 Ok
 *		C: QUIT                             (the engine, on reconnect or conclusion)
 *	and the same with, in this order (variant names in quotes):
 *		"empty"               HELO (no argument)
 *		"non-fqdn"            HELO smtp-audit
 *		"invalid-chars"       HELO bad_host!name#.example
 *		"bare-ip"             HELO 192.0.2.1
 *		"foreign-ip-literal"  HELO [192.0.2.1]  ([IPv6:2001:db8::1] on IPv6;
 *		                      documentation addresses are never the client's)
 *		"localhost"           HELO localhost
 *		"own-hostname"        HELO <the host name in the control's greeting>
 *		"own-ip-literal"      HELO [<the address scanned>]
 *		"broken-literal"      HELO [1.2.3]
 *		"over-long"           HELO <300 bytes: valid labels, total over RFC 5321's
 *		                      255; the line stays under the 512-byte command limit>
 *	The recipient is postmaster at the domain of the server's host name
 *	(smtp_addr_domain_of); when the greeting names no host it is the bare
 *	<postmaster> that RFC 5321 sections 4.1.1.3 and 4.5.1 oblige every
 *	server to accept (an address literal would be refused by Exim's
 *	default allow_domain_literals). The sender is the null reverse path:
 *	RFC 5321 section 4.5.5 requires servers to take it, and checks on the
 *	sender's domain (unknown domain, SPF on the MAIL FROM domain, sender
 *	callouts) cannot apply to it, whereas any invented sender domain could
 *	draw a refusal that has nothing to do with HELO. At most 11 sessions
 *	plus one retry per form; at most HELO, MAIL, RCPT and QUIT in each.
 *
 *	Judging: the control must get 2xx to HELO, MAIL and RCPT, else the
 *	probe is INCONCLUSIVE with the refusal, and no form is tried (unknown
 *	postmaster, refused sender, AUTH or STARTTLS required). For a form, a
 *	2xx (250, 251, 252) to RCPT means it was accepted. A 5xx to HELO, MAIL
 *	or RCPT is a rejection at that stage: the control met the same MAIL and
 *	RCPT, so the HELO is the only difference. A 4xx is a rejection only
 *	when its text names HELO or EHLO (Postfix "Helo command rejected",
 *	Exim and Sendmail wording); any other 4xx (rate limits, greylisting,
 *	lookup failures) and a 3xx leave the form inconclusive. A session
 *	lost to 421, a timeout or a close is retried once in a fresh session;
 *	a second loss leaves the form inconclusive.
 *
 *	Vulnerable: any form accepted. Impersonation forms (foreign-ip-literal,
 *	localhost, own-hostname, own-ip-literal) give HELO_IMPERSONATION_ACCEPTED,
 *	the syntactically invalid ones HELO_INVALID_ACCEPTED, one finding per
 *	form (variant = form name) with the exact HELO, MAIL and RCPT and their
 *	replies as evidence. Not vulnerable: every form tried was rejected.
 *	Otherwise inconclusive. The reason lists the forms compactly
 *	("accepted: localhost; rejected: 9 forms (at RCPT)"), with the
 *	inconclusive and skipped ones and why.
 *
 *	False positives avoided: Postfix's default smtpd_delay_reject=yes
 *	answers 250 to any HELO and refuses at RCPT, so no form is judged
 *	before its RCPT reply; a refusal of the recipient or sender itself
 *	shows in the control, which makes the probe inconclusive rather than
 *	crediting every form with a rejection it did not earn; temporary
 *	refusals that do not name HELO are not counted either way. Forms the
 *	probe cannot build honestly are skipped and stated, never invented:
 *	own-hostname when the greeting names no host. Known limits: a server
 *	that trusts the scanner's network (Postfix permit_mynetworks) or that
 *	checks HELO only at DATA accepts the forms up to RCPT and is reported,
 *	as the finding's definition says; a server that answers a bad HELO
 *	with 421 leaves that form inconclusive (the engine hides the 421 text).
 *
 *	Never: DATA or BDAT, EHLO, AUTH, VRFY, EXPN; more than one HELO or one
 *	transaction per session; a sender other than <> or a recipient other
 *	than the server's postmaster. No RSET: each session ends with the
 *	engine's QUIT right after the RCPT reply.
 *
 *	References: RFC 5321 sections 4.1.1.1, 4.1.3, 4.1.4, 4.5.1, 4.5.3.1.2
 *	and 4.5.5; RFC 1123 section 5.2.5; RFC 5737 and RFC 3849
 *	(documentation addresses).
 */
#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "probe.h"
#include "text_buf.h"
#include "smtp_addr.h"

#define HELO_VALIDATION_OVERLONG_LEN 300
#define HELO_VALIDATION_OVERLONG_TLD ".example"
#define HELO_VALIDATION_LABEL_MAX    63
#define HELO_VALIDATION_NAME_MAX     256 /* a host name (253) and its NUL */
#define HELO_VALIDATION_ARG_MAX      (HELO_VALIDATION_OVERLONG_LEN + 1)
#define HELO_VALIDATION_LINE_MAX     320
#define HELO_VALIDATION_NOTE_MAX     160
#define HELO_VALIDATION_REASON_MAX   1024
#define HELO_VALIDATION_MAX_LOST     2 /* sessions lost per form: the first is retried */

_Static_assert(sizeof("HELO ") + HELO_VALIDATION_ARG_MAX <= HELO_VALIDATION_LINE_MAX,
               "every built HELO argument fits the line buffer");
_Static_assert(sizeof("RCPT TO:<postmaster@>") + HELO_VALIDATION_NAME_MAX <=
                   HELO_VALIDATION_LINE_MAX,
               "the recipient fits the line buffer");
_Static_assert((HELO_VALIDATION_OVERLONG_LEN - sizeof(HELO_VALIDATION_OVERLONG_TLD) + 1) %
                       (HELO_VALIDATION_LABEL_MAX + 1) !=
                   0,
               "the over-long name does not end in an empty label");

/* Tags are the stages of a session, in the order they are answered. */
enum helo_validation_stage {
	HELO_VALIDATION_STAGE_HELO,
	HELO_VALIDATION_STAGE_MAIL,
	HELO_VALIDATION_STAGE_RCPT,
	HELO_VALIDATION_STAGE_COUNT
};

static const char *const helo_validation_stage_name[] = {
    [HELO_VALIDATION_STAGE_HELO] = "HELO",
    [HELO_VALIDATION_STAGE_MAIL] = "MAIL",
    [HELO_VALIDATION_STAGE_RCPT] = "RCPT",
};
_Static_assert(sizeof(helo_validation_stage_name) / sizeof(helo_validation_stage_name[0]) ==
                   HELO_VALIDATION_STAGE_COUNT,
               "one name per stage");

enum helo_validation_kind {
	HELO_VALIDATION_KIND_CONTROL,
	HELO_VALIDATION_KIND_INVALID,
	HELO_VALIDATION_KIND_IMPERSONATION,
};

/* Tried in this order, one session each; the control comes first. */
enum helo_validation_form {
	HELO_VALIDATION_CONTROL,
	HELO_VALIDATION_EMPTY,
	HELO_VALIDATION_NON_FQDN,
	HELO_VALIDATION_INVALID_CHARS,
	HELO_VALIDATION_BARE_IP,
	HELO_VALIDATION_FOREIGN_LITERAL,
	HELO_VALIDATION_LOCALHOST,
	HELO_VALIDATION_OWN_HOSTNAME,
	HELO_VALIDATION_OWN_LITERAL,
	HELO_VALIDATION_BROKEN_LITERAL,
	HELO_VALIDATION_OVERLONG,
	HELO_VALIDATION_FORM_COUNT
};

struct helo_validation_form_info {
	const char *name; /* the finding's variant */
	enum helo_validation_kind kind;
	const char *argument; /* fixed HELO argument; NULL: built for the target */
	const char *phrase;   /* "HELO with <phrase> accepted ..." */
};

static const struct helo_validation_form_info helo_validation_forms[] = {
    [HELO_VALIDATION_CONTROL] = {"control", HELO_VALIDATION_KIND_CONTROL, NULL,
                                 "the scanner's own name"},
    [HELO_VALIDATION_EMPTY] = {"empty", HELO_VALIDATION_KIND_INVALID, "", "an empty argument"},
    [HELO_VALIDATION_NON_FQDN] = {"non-fqdn", HELO_VALIDATION_KIND_INVALID, "smtp-audit",
                                  "a name that is not fully qualified"},
    [HELO_VALIDATION_INVALID_CHARS] = {"invalid-chars", HELO_VALIDATION_KIND_INVALID,
                                       "bad_host!name#.example", "a name with invalid characters"},
    [HELO_VALIDATION_BARE_IP] = {"bare-ip", HELO_VALIDATION_KIND_INVALID, "192.0.2.1",
                                 "an IP address without brackets"},
    [HELO_VALIDATION_FOREIGN_LITERAL] = {"foreign-ip-literal", HELO_VALIDATION_KIND_IMPERSONATION,
                                         NULL,
                                         "an address literal that is not the client's address"},
    [HELO_VALIDATION_LOCALHOST] = {"localhost", HELO_VALIDATION_KIND_IMPERSONATION, "localhost",
                                   "localhost"},
    [HELO_VALIDATION_OWN_HOSTNAME] = {"own-hostname", HELO_VALIDATION_KIND_IMPERSONATION, NULL,
                                      "the server's own host name"},
    [HELO_VALIDATION_OWN_LITERAL] = {"own-ip-literal", HELO_VALIDATION_KIND_IMPERSONATION, NULL,
                                     "the server's own address literal"},
    [HELO_VALIDATION_BROKEN_LITERAL] = {"broken-literal", HELO_VALIDATION_KIND_INVALID, "[1.2.3]",
                                        "a malformed address literal"},
    [HELO_VALIDATION_OVERLONG] = {"over-long", HELO_VALIDATION_KIND_INVALID, NULL,
                                  "a 300-byte name"},
};
_Static_assert(sizeof(helo_validation_forms) / sizeof(helo_validation_forms[0]) ==
                   HELO_VALIDATION_FORM_COUNT,
               "one entry per form");

/* RFC 5737 TEST-NET-1 and RFC 3849: never the client's address. */
#define HELO_VALIDATION_FOREIGN_V4 "[192.0.2.1]"
#define HELO_VALIDATION_FOREIGN_V6 "[IPv6:2001:db8::1]"

enum helo_validation_result {
	HELO_VALIDATION_PENDING,
	HELO_VALIDATION_ACCEPTED,
	HELO_VALIDATION_REJECTED,
	HELO_VALIDATION_INCONCLUSIVE,
	HELO_VALIDATION_SKIPPED,
};

/* What one reply says about the form being tried. */
enum helo_validation_judgement {
	HELO_VALIDATION_PASSED,     /* 2xx */
	HELO_VALIDATION_REFUSED,    /* 5xx, or 4xx naming HELO */
	HELO_VALIDATION_DEFERRED,   /* 4xx not naming HELO: tells nothing about the name */
	HELO_VALIDATION_UNEXPECTED, /* 3xx */
};

struct helo_validation_attempt {
	enum helo_validation_result result;
	enum helo_validation_stage stage;    /* where a rejection came */
	unsigned lost;                       /* sessions lost to 421, timeout or close */
	char note[HELO_VALIDATION_NOTE_MAX]; /* why inconclusive or skipped */
};

struct helo_validation_state {
	bool ready;
	enum helo_validation_form current;
	char server_name[HELO_VALIDATION_NAME_MAX]; /* "" when the greeting names no host */
	char recipient[HELO_VALIDATION_NAME_MAX + sizeof("<postmaster@>")]; /* or "<postmaster>" */
	struct helo_validation_attempt attempt[HELO_VALIDATION_FORM_COUNT];
	/* This session's answers, kept as evidence until its RCPT is answered. */
	struct smtp_reply helo_reply, mail_reply;
	bool have_helo_reply, have_mail_reply;
};

/* ---- the forms ---- */

/* HELO_VALIDATION_OVERLONG_LEN bytes of valid labels: only the total length is wrong. */
static const char *helo_validation_overlong(char *buf, size_t len)
{
	size_t tld = strlen(HELO_VALIDATION_OVERLONG_TLD);
	size_t left = HELO_VALIDATION_OVERLONG_LEN - tld, used = 0;
	assert(len > HELO_VALIDATION_OVERLONG_LEN);
	while (left > HELO_VALIDATION_LABEL_MAX) {
		memset(buf + used, 'a', HELO_VALIDATION_LABEL_MAX);
		buf[used + HELO_VALIDATION_LABEL_MAX] = '.';
		used += HELO_VALIDATION_LABEL_MAX + 1;
		left -= HELO_VALIDATION_LABEL_MAX + 1;
	}
	memset(buf + used, 'a', left);
	memcpy(buf + used + left, HELO_VALIDATION_OVERLONG_TLD, tld + 1);
	return buf;
}

static const char *helo_validation_argument(struct probe_ctx *ctx,
                                            const struct helo_validation_state *st,
                                            enum helo_validation_form form, char *buf, size_t len)
{
	const struct probe_target *t = probe_target(ctx);
	if (helo_validation_forms[form].argument != NULL)
		return helo_validation_forms[form].argument;
	switch (form) {
	case HELO_VALIDATION_CONTROL:
		return probe_settings(ctx)->helo_name;
	case HELO_VALIDATION_FOREIGN_LITERAL:
		return t->family == 6 ? HELO_VALIDATION_FOREIGN_V6 : HELO_VALIDATION_FOREIGN_V4;
	case HELO_VALIDATION_OWN_HOSTNAME:
		return st->server_name;
	case HELO_VALIDATION_OWN_LITERAL:
		return smtp_addr_literal(t->address, t->family, buf, len);
	case HELO_VALIDATION_OVERLONG:
		return helo_validation_overlong(buf, len);
	default:
		assert(!"a form with neither a fixed nor a built argument");
		return "";
	}
}

/* The HELO line of a form: "HELO" alone for the empty argument. */
static const char *helo_validation_helo_line(struct probe_ctx *ctx,
                                             const struct helo_validation_state *st,
                                             enum helo_validation_form form, char *buf, size_t len)
{
	char arg[HELO_VALIDATION_ARG_MAX];
	const char *a = helo_validation_argument(ctx, st, form, arg, sizeof(arg));
	snprintf(buf, len, "HELO%s%s", a[0] ? " " : "", a);
	return buf;
}

/* Learns the server's name from the control's greeting and picks the recipient. */
static void helo_validation_prepare(struct probe_ctx *ctx, struct helo_validation_state *st)
{
	smtp_addr_server_name(probe_greeting(ctx), probe_caps(ctx), st->server_name,
	                      sizeof(st->server_name));
	if (st->server_name[0] == '\0') {
		struct helo_validation_attempt *own = &st->attempt[HELO_VALIDATION_OWN_HOSTNAME];
		own->result = HELO_VALIDATION_SKIPPED;
		snprintf(own->note, sizeof(own->note), "the greeting names no host");
		snprintf(st->recipient, sizeof(st->recipient), "<postmaster>");
	} else {
		char domain[HELO_VALIDATION_NAME_MAX];
		smtp_addr_domain_of(st->server_name, domain, sizeof(domain));
		snprintf(st->recipient, sizeof(st->recipient), "<postmaster@%s>", domain);
	}
	st->current = HELO_VALIDATION_CONTROL;
	st->ready = true;
}

/* ---- judging ---- */

static bool helo_validation_names_helo(const struct smtp_reply *r)
{
	for (size_t i = 0; i < r->nlines; i++)
		if (strcasestr(r->lines[i], "helo") != NULL ||
		    strcasestr(r->lines[i], "ehlo") != NULL)
			return true;
	return false;
}

static enum helo_validation_judgement helo_validation_judge(const struct smtp_reply *r)
{
	switch (smtp_reply_class(r)) {
	case 2:
		return HELO_VALIDATION_PASSED;
	case 4:
		return helo_validation_names_helo(r) ? HELO_VALIDATION_REFUSED
		                                     : HELO_VALIDATION_DEFERRED;
	case 5:
		return HELO_VALIDATION_REFUSED;
	default:
		return HELO_VALIDATION_UNEXPECTED;
	}
}

static void helo_validation_forget_replies(struct helo_validation_state *st)
{
	if (st->have_helo_reply)
		smtp_reply_free(&st->helo_reply);
	if (st->have_mail_reply)
		smtp_reply_free(&st->mail_reply);
	st->have_helo_reply = st->have_mail_reply = false;
}

/* ---- findings and verdict ---- */

static void helo_validation_report(struct probe_ctx *ctx, const struct helo_validation_state *st,
                                   const struct probe_reply *rcpt)
{
	const struct helo_validation_form_info *fi = &helo_validation_forms[st->current];
	char helo[HELO_VALIDATION_LINE_MAX];
	assert(fi->kind != HELO_VALIDATION_KIND_CONTROL && st->have_helo_reply &&
	       st->have_mail_reply);
	struct finding *f = probe_finding(ctx,
	                                  fi->kind == HELO_VALIDATION_KIND_IMPERSONATION
	                                      ? CATALOG_HELO_IMPERSONATION_ACCEPTED
	                                      : CATALOG_HELO_INVALID_ACCEPTED,
	                                  fi->name);
	if (f == NULL)
		return;
	finding_set_detail(f, "HELO with %s accepted through RCPT TO (HELO %d, MAIL %d, RCPT %d)",
	                   fi->phrase, st->helo_reply.code, st->mail_reply.code, rcpt->reply->code);
	finding_add_exchange(f, helo_validation_helo_line(ctx, st, st->current, helo, sizeof(helo)),
	                     &st->helo_reply);
	finding_add_exchange(f, "MAIL FROM:<>", &st->mail_reply);
	finding_add_exchange(f, rcpt->command, rcpt->reply);
}

static unsigned helo_validation_count(const struct helo_validation_state *st,
                                      enum helo_validation_result result)
{
	unsigned n = 0;
	for (int f = HELO_VALIDATION_CONTROL + 1; f < HELO_VALIDATION_FORM_COUNT; f++)
		n += st->attempt[f].result == result;
	return n;
}

/* Appends the forms with that result, comma-separated, each with its note when asked. */
static void helo_validation_text_forms(struct text_buf *t,
                                       const struct helo_validation_state *st,
                                       enum helo_validation_result result, bool notes)
{
	unsigned n = 0;
	for (int f = HELO_VALIDATION_CONTROL + 1; f < HELO_VALIDATION_FORM_COUNT; f++) {
		const struct helo_validation_attempt *a = &st->attempt[f];
		if (a->result != result)
			continue;
		text_buf_add(t, "%s%s", n++ ? ", " : "", helo_validation_forms[f].name);
		if (notes)
			text_buf_add(t, " (%s)", a->note);
	}
}

/* "rejected: 9 forms (at RCPT)", or with counts per stage when they differ. */
static void helo_validation_text_rejected(struct text_buf *t,
                                          const struct helo_validation_state *st)
{
	unsigned per_stage[HELO_VALIDATION_STAGE_COUNT] = {0}, stages = 0;
	unsigned total = helo_validation_count(st, HELO_VALIDATION_REJECTED);
	for (int f = HELO_VALIDATION_CONTROL + 1; f < HELO_VALIDATION_FORM_COUNT; f++)
		if (st->attempt[f].result == HELO_VALIDATION_REJECTED)
			per_stage[st->attempt[f].stage]++;
	if (total == 0) {
		text_buf_add(t, "rejected: none");
		return;
	}
	for (int s = 0; s < HELO_VALIDATION_STAGE_COUNT; s++)
		stages += per_stage[s] > 0;
	text_buf_add(t, "rejected: %u form%s (", total, total == 1 ? "" : "s");
	for (int s = 0, listed = 0; s < HELO_VALIDATION_STAGE_COUNT; s++) {
		if (per_stage[s] == 0)
			continue;
		if (stages > 1)
			text_buf_add(t, "%s%u ", listed++ ? ", " : "", per_stage[s]);
		text_buf_add(t, "at %s", helo_validation_stage_name[s]);
	}
	text_buf_add(t, ")");
}

static void helo_validation_finish(struct probe_ctx *ctx, const struct helo_validation_state *st)
{
	char reason[HELO_VALIDATION_REASON_MAX];
	struct text_buf t;
	text_buf_init(&t, reason, sizeof(reason));
	unsigned accepted = helo_validation_count(st, HELO_VALIDATION_ACCEPTED);
	unsigned inconclusive = helo_validation_count(st, HELO_VALIDATION_INCONCLUSIVE);
	text_buf_add(&t, "accepted: ");
	helo_validation_text_forms(&t, st, HELO_VALIDATION_ACCEPTED, false);
	if (accepted == 0)
		text_buf_add(&t, "none");
	text_buf_add(&t, "; ");
	helo_validation_text_rejected(&t, st);
	if (inconclusive > 0) {
		text_buf_add(&t, "; inconclusive: ");
		helo_validation_text_forms(&t, st, HELO_VALIDATION_INCONCLUSIVE, true);
	}
	if (helo_validation_count(st, HELO_VALIDATION_SKIPPED) > 0) {
		text_buf_add(&t, "; skipped: ");
		helo_validation_text_forms(&t, st, HELO_VALIDATION_SKIPPED, true);
	}
	enum verdict v = accepted > 0       ? VERDICT_VULNERABLE
	                 : inconclusive > 0 ? VERDICT_INCONCLUSIVE
	                                    : VERDICT_NOT_VULNERABLE;
	probe_conclude(ctx, v, "%s", reason);
}

/* The control was refused: nothing about HELO can be learnt from this server. */
static void helo_validation_control_refused(struct probe_ctx *ctx,
                                            const struct helo_validation_state *st,
                                            const struct probe_reply *r)
{
	char helo[HELO_VALIDATION_LINE_MAX];
	probe_conclude(
	    ctx, VERDICT_INCONCLUSIVE,
	    "control refused at %s: %d %.160s; HELO handling cannot be judged (%s, "
	    "MAIL FROM:<>, RCPT TO:%s)",
	    helo_validation_stage_name[r->tag], r->reply->code, r->reply->lines[0],
	    helo_validation_helo_line(ctx, st, HELO_VALIDATION_CONTROL, helo, sizeof(helo)),
	    st->recipient);
}

/* ---- the dialog ---- */

static void helo_validation_reconnect(struct probe_ctx *ctx, struct helo_validation_state *st)
{
	if (probe_reconnect(ctx) == 0)
		return;
	for (int f = st->current; f < HELO_VALIDATION_FORM_COUNT; f++) {
		struct helo_validation_attempt *a = &st->attempt[f];
		if (a->result != HELO_VALIDATION_PENDING)
			continue;
		a->result = HELO_VALIDATION_INCONCLUSIVE;
		snprintf(a->note, sizeof(a->note), "no session left to try it");
	}
	if (st->attempt[HELO_VALIDATION_CONTROL].result == HELO_VALIDATION_ACCEPTED)
		helo_validation_finish(ctx, st);
	else
		probe_conclude(ctx, VERDICT_INCONCLUSIVE, "no session left for the control");
}

/* On to the next form in a fresh session, or the verdict after the last. */
static void helo_validation_next(struct probe_ctx *ctx, struct helo_validation_state *st)
{
	for (int f = st->current + 1; f < HELO_VALIDATION_FORM_COUNT; f++) {
		if (st->attempt[f].result != HELO_VALIDATION_PENDING)
			continue;
		st->current = (enum helo_validation_form)f;
		helo_validation_reconnect(ctx, st);
		return;
	}
	helo_validation_finish(ctx, st);
}

static void helo_validation_start(struct probe_ctx *ctx)
{
	struct helo_validation_state *st = probe_state(ctx);
	char helo[HELO_VALIDATION_LINE_MAX];
	if (!st->ready)
		helo_validation_prepare(ctx, st);
	helo_validation_forget_replies(st);
	if (probe_send(ctx, HELO_VALIDATION_STAGE_HELO, "%s",
	               helo_validation_helo_line(ctx, st, st->current, helo, sizeof(helo))) != 0)
		probe_conclude(ctx, VERDICT_INCONCLUSIVE, "could not send the %s HELO",
		               helo_validation_forms[st->current].name);
}

/* MAIL and RCPT in one flight, so the engine may pipeline them where it is allowed. */
static void helo_validation_send_transaction(struct probe_ctx *ctx,
                                             const struct helo_validation_state *st)
{
	if (probe_send(ctx, HELO_VALIDATION_STAGE_MAIL, "MAIL FROM:<>") != 0 ||
	    probe_send(ctx, HELO_VALIDATION_STAGE_RCPT, "RCPT TO:%s", st->recipient) != 0)
		probe_conclude(ctx, VERDICT_INCONCLUSIVE, "could not send MAIL and RCPT");
}

static bool helo_validation_keep(struct probe_ctx *ctx, struct smtp_reply *dst, bool *have,
                                 const struct smtp_reply *src)
{
	if (smtp_reply_copy(dst, src) != 0) {
		probe_conclude(ctx, VERDICT_INCONCLUSIVE, "out of memory");
		return false;
	}
	*have = true;
	return true;
}

/* A form's session ended in anything but a 2xx. */
static void helo_validation_refused(struct probe_ctx *ctx, struct helo_validation_state *st,
                                    enum helo_validation_judgement j, const struct probe_reply *r)
{
	struct helo_validation_attempt *a = &st->attempt[st->current];
	const char *stage = helo_validation_stage_name[r->tag];
	a->stage = (enum helo_validation_stage)r->tag;
	switch (j) {
	case HELO_VALIDATION_REFUSED:
		a->result = HELO_VALIDATION_REJECTED;
		break;
	case HELO_VALIDATION_DEFERRED:
		a->result = HELO_VALIDATION_INCONCLUSIVE;
		snprintf(a->note, sizeof(a->note), "%d at %s does not name HELO", r->reply->code,
		         stage);
		break;
	case HELO_VALIDATION_UNEXPECTED:
		a->result = HELO_VALIDATION_INCONCLUSIVE;
		snprintf(a->note, sizeof(a->note), "unexpected %d at %s", r->reply->code, stage);
		break;
	case HELO_VALIDATION_PASSED:
		assert(!"a 2xx is not a refusal");
	}
	helo_validation_next(ctx, st);
}

static void helo_validation_step(struct probe_ctx *ctx, const struct probe_reply *r)
{
	struct helo_validation_state *st = probe_state(ctx);
	enum helo_validation_judgement j = helo_validation_judge(r->reply);
	if (j != HELO_VALIDATION_PASSED) {
		if (st->current == HELO_VALIDATION_CONTROL)
			helo_validation_control_refused(ctx, st, r);
		else
			helo_validation_refused(ctx, st, j, r);
		return;
	}
	switch ((enum helo_validation_stage)r->tag) {
	case HELO_VALIDATION_STAGE_HELO:
		if (helo_validation_keep(ctx, &st->helo_reply, &st->have_helo_reply, r->reply))
			helo_validation_send_transaction(ctx, st);
		return;
	case HELO_VALIDATION_STAGE_MAIL:
		/* The RCPT is already queued. */
		helo_validation_keep(ctx, &st->mail_reply, &st->have_mail_reply, r->reply);
		return;
	case HELO_VALIDATION_STAGE_RCPT:
		st->attempt[st->current].result = HELO_VALIDATION_ACCEPTED;
		if (st->current != HELO_VALIDATION_CONTROL)
			helo_validation_report(ctx, st, r);
		helo_validation_next(ctx, st);
		return;
	case HELO_VALIDATION_STAGE_COUNT:
		break;
	}
	assert(!"reply with a tag this probe never used");
}

/* A lost session is retried once; a second loss leaves its form inconclusive. */
static void helo_validation_interrupted(struct probe_ctx *ctx, enum outcome why)
{
	struct helo_validation_state *st = probe_state(ctx);
	struct helo_validation_attempt *a = &st->attempt[st->current];
	if (++a->lost < HELO_VALIDATION_MAX_LOST) {
		helo_validation_reconnect(ctx, st);
		return;
	}
	a->result = HELO_VALIDATION_INCONCLUSIVE;
	snprintf(a->note, sizeof(a->note), "session lost twice: %s", outcome_name(why));
	if (st->current == HELO_VALIDATION_CONTROL)
		probe_conclude(ctx, VERDICT_INCONCLUSIVE,
		               "control session lost twice (%s); HELO handling cannot be judged",
		               outcome_name(why));
	else
		helo_validation_next(ctx, st);
}

static void helo_validation_cleanup(void *state)
{
	helo_validation_forget_replies(state);
}

const struct probe probe_helo_validation = {
    .name = "helo_validation",
    .summary = "whether invalid or impersonating HELO names get through to RCPT TO",
    .preamble = PROBE_PREAMBLE_GREETING,
    .flags = PROBE_DEFAULT,
    .state_size = sizeof(struct helo_validation_state),
    .start = helo_validation_start,
    .step = helo_validation_step,
    .interrupted = helo_validation_interrupted,
    .cleanup = helo_validation_cleanup,
};
