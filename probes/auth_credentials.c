/*
 * NAME
 *	auth_credentials - with a real login, inside verified TLS: may the user send as others?
 *
 * DESCRIPTION
 *	Runs only with --auth-user USER (an address, user@domain) and
 *	--auth-password-file; otherwise it is not applicable and sends
 *	nothing. On a STARTTLS port, after the cleartext EHLO:
 *		C: STARTTLS
 *		S: 220 2.0.0 Ready to start TLS
 *		   (handshake; the engine sends EHLO again)
 *	then, or at once on an implicit-TLS port, inside TLS only:
 *		C: AUTH PLAIN <base64 of "\0USER\0PASSWORD">
 *		   (or AUTH LOGIN, USER and PASSWORD in base64, when only LOGIN is offered)
 *		S: 235 2.7.0 Authentication successful
 *		C: MAIL FROM:<USER>                control: the user's own address
 *		C: RCPT TO:<USER>
 *		C: RSET
 *		C: MAIL FROM:<postmaster@DOMAIN>   same-domain: a colleague's address
 *		C: RCPT TO:<USER>                  (abuse@DOMAIN when USER is postmaster)
 *		C: RSET
 *		C: MAIL FROM:<relay-from>          foreign-domain: --relay-from, an outside
 *		C: RCPT TO:<USER>                  address (skipped when it is in DOMAIN)
 *		C: RSET
 *	Each MAIL, RCPT and RSET group is one pipelined flight when the
 *	server offers PIPELINING. RCPT is needed because Postfix applies
 *	sender restrictions at RCPT time (smtpd_delay_reject).
 *
 *	The password is sent only when every one of these holds, and the
 *	verdict is INCONCLUSIVE with the reason otherwise: TLS is active
 *	after a completed handshake (STARTTLS advertised and answered 220;
 *	no STARTTLS, a refusal, a failed handshake or a session lost before
 *	it means nothing is sent); the certificate chain verified and names
 *	the target's host name, unless --auth-insecure-tls; the server
 *	offers AUTH PLAIN or LOGIN inside TLS.
 *
 *	Vulnerable: a sender other than USER accepted at MAIL and at RCPT
 *		(2xx both): SMTP-AUTH-009, variant same-domain or
 *		foreign-domain, with the MAIL and RCPT exchanges as evidence.
 *	Not vulnerable: the control accepted and every other sender refused
 *		(5xx at MAIL or RCPT).
 *	Inconclusive: the login refused; the control refused too (the
 *		refusals may not be about the sender); a 4xx deferral.
 *	Never: the password outside TLS or before the handshake, in any
 *		evidence, detail or reason (AUTH PLAIN's initial response is
 *		shown as <redacted>, LOGIN's answers not at all), DATA or BDAT,
 *		a second login attempt (no lockouts).
 *	References: RFC 4954; RFC 4616; RFC 3207; RFC 8314; RFC 6409
 *		section 6.1; Postfix reject_sender_login_mismatch.
 */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "codec.h"
#include "probe.h"

#define AUTH_CREDENTIALS_REDACTED "<redacted>"
#define AUTH_CREDENTIALS_REASON   512
#define AUTH_CREDENTIALS_ADDR_MAX 320

enum auth_credentials_tag {
	AUTH_CREDENTIALS_TAG_STARTTLS,
	AUTH_CREDENTIALS_TAG_AUTH,
	AUTH_CREDENTIALS_TAG_LOGIN_USER,
	AUTH_CREDENTIALS_TAG_LOGIN_PASSWORD,
	AUTH_CREDENTIALS_TAG_MAIL,
	AUTH_CREDENTIALS_TAG_RCPT,
	AUTH_CREDENTIALS_TAG_RSET,
};

/* The senders tried after the login, in order. */
enum auth_credentials_sender {
	AUTH_CREDENTIALS_OWN,
	AUTH_CREDENTIALS_SAME_DOMAIN,
	AUTH_CREDENTIALS_FOREIGN_DOMAIN,
	AUTH_CREDENTIALS_SENDER_COUNT
};

static const char *const auth_credentials_variant[] = {
    [AUTH_CREDENTIALS_OWN] = "own",
    [AUTH_CREDENTIALS_SAME_DOMAIN] = "same-domain",
    [AUTH_CREDENTIALS_FOREIGN_DOMAIN] = "foreign-domain",
};
_Static_assert(sizeof(auth_credentials_variant) / sizeof(auth_credentials_variant[0]) ==
                   AUTH_CREDENTIALS_SENDER_COUNT,
               "one variant name per sender");

enum auth_credentials_judgement {
	AUTH_CREDENTIALS_UNTRIED,
	AUTH_CREDENTIALS_ACCEPTED, /* 2xx to MAIL and RCPT */
	AUTH_CREDENTIALS_REFUSED,  /* 5xx to MAIL or RCPT */
	AUTH_CREDENTIALS_DEFERRED, /* anything else: 4xx, or a 3xx out of place */
};

struct auth_credentials_attempt {
	bool wanted;
	char sender[AUTH_CREDENTIALS_ADDR_MAX];
	bool has_mail, has_rcpt;
	struct smtp_reply mail, rcpt;
};

struct auth_credentials_state {
	bool use_login;     /* AUTH LOGIN: only LOGIN is offered inside TLS */
	bool password_sent; /* the credentials went out (inside verified TLS) */
	bool logged_in;
	bool has_auth_reply;
	struct smtp_reply auth_reply; /* the final answer to the login */
	enum auth_credentials_sender current;
	struct auth_credentials_attempt attempt[AUTH_CREDENTIALS_SENDER_COUNT];
};

/* The domain of the user's address, or NULL when USER is not local@domain. */
static const char *auth_credentials_domain(const char *user)
{
	const char *at = strrchr(user, '@');
	return at != NULL && at != user && at[1] != '\0' ? at + 1 : NULL;
}

static bool auth_credentials_same_domain(const char *a, const char *b)
{
	const char *da = auth_credentials_domain(a), *db = auth_credentials_domain(b);
	return da != NULL && db != NULL && strcasecmp(da, db) == 0;
}

/* Chooses the senders: the user's own, a colleague's, an outsider's. */
static void auth_credentials_plan(struct probe_ctx *ctx, struct auth_credentials_state *st)
{
	const struct probe_settings *set = probe_settings(ctx);
	const char *user = set->auth_user;
	const char *domain = auth_credentials_domain(user);
	struct auth_credentials_attempt *a = st->attempt;
	const char *colleague = strncasecmp(user, "postmaster@", 11) == 0 ? "abuse" : "postmaster";
	a[AUTH_CREDENTIALS_OWN].wanted = true;
	snprintf(a[AUTH_CREDENTIALS_OWN].sender, sizeof(a[0].sender), "%s", user);
	a[AUTH_CREDENTIALS_SAME_DOMAIN].wanted = true;
	snprintf(a[AUTH_CREDENTIALS_SAME_DOMAIN].sender, sizeof(a[0].sender), "%s@%s", colleague,
	         domain);
	a[AUTH_CREDENTIALS_FOREIGN_DOMAIN].wanted =
	    !auth_credentials_same_domain(user, set->relay_from);
	snprintf(a[AUTH_CREDENTIALS_FOREIGN_DOMAIN].sender, sizeof(a[0].sender), "%s",
	         set->relay_from);
}

static enum auth_credentials_judgement
auth_credentials_judge(const struct auth_credentials_attempt *a)
{
	if (!a->has_mail || !a->has_rcpt)
		return AUTH_CREDENTIALS_UNTRIED;
	if (a->mail.code / 100 == 2 && a->rcpt.code / 100 == 2)
		return AUTH_CREDENTIALS_ACCEPTED;
	if (a->mail.code / 100 == 5 || a->rcpt.code / 100 == 5)
		return AUTH_CREDENTIALS_REFUSED;
	return AUTH_CREDENTIALS_DEFERRED;
}

/* ---- before the password: TLS, certificate, mechanism ---- */

/* Why the certificate does not allow a login, or NULL when it does. */
static const char *auth_credentials_distrust(const struct tls_facts *t, char *buf, size_t len)
{
	if (t == NULL)
		return "no certificate facts for this TLS session";
	if (!t->trusted) {
		snprintf(buf, len, "the certificate chain does not verify (%s)",
		         t->verify_detail ? t->verify_detail : "untrusted");
		return buf;
	}
	if (!t->name_checked)
		return "the target is an address, so the certificate's name cannot be checked";
	if (!t->name_matches)
		return "the certificate is not valid for the target's name";
	return NULL;
}

static int auth_credentials_send_plain(struct probe_ctx *ctx)
{
	const struct probe_settings *set = probe_settings(ctx);
	size_t ulen = strlen(set->auth_user), plen = strlen(set->auth_password);
	size_t len = 2 + ulen + plen;
	char *blob = malloc(len);
	if (blob == NULL)
		return -1;
	blob[0] = '\0';
	memcpy(blob + 1, set->auth_user, ulen);
	blob[1 + ulen] = '\0';
	memcpy(blob + 2 + ulen, set->auth_password, plen);
	char *encoded = codec_base64_encode(blob, len);
	explicit_bzero(blob, len);
	free(blob);
	if (encoded == NULL)
		return -1;
	int rc = probe_send(ctx, AUTH_CREDENTIALS_TAG_AUTH, "AUTH PLAIN %s", encoded);
	explicit_bzero(encoded, strlen(encoded));
	free(encoded);
	return rc;
}

/* One base64 line answering an AUTH LOGIN prompt. */
static int auth_credentials_send_b64(struct probe_ctx *ctx, int tag, const char *text)
{
	char *encoded = codec_base64_encode(text, strlen(text));
	if (encoded == NULL)
		return -1;
	int rc = probe_send(ctx, tag, "%s", encoded);
	explicit_bzero(encoded, strlen(encoded));
	free(encoded);
	return rc;
}

static void auth_credentials_login(struct probe_ctx *ctx)
{
	struct auth_credentials_state *st = probe_state(ctx);
	char why[AUTH_CREDENTIALS_REASON];
	const char *distrust = auth_credentials_distrust(probe_tls_facts(ctx), why, sizeof(why));
	if (distrust != NULL && !probe_settings(ctx)->auth_insecure_tls) {
		probe_conclude(ctx, VERDICT_INCONCLUSIVE,
		               "credentials not sent: %s (--auth-insecure-tls logs in anyway)",
		               distrust);
		return;
	}
	const struct smtp_caps *caps = probe_caps(ctx);
	uint32_t mechs = caps != NULL && smtp_caps_has(caps, SMTP_EXT_AUTH) ? caps->auth : 0;
	bool plain = (mechs >> SMTP_AUTH_PLAIN) & 1u, login = (mechs >> SMTP_AUTH_LOGIN) & 1u;
	if (!plain && !login) {
		probe_conclude(ctx, VERDICT_INCONCLUSIVE,
		               "credentials not sent: no AUTH PLAIN or LOGIN offered inside TLS");
		return;
	}
	st->use_login = !plain;
	st->password_sent = plain;
	int rc = plain ? auth_credentials_send_plain(ctx)
	               : probe_send(ctx, AUTH_CREDENTIALS_TAG_AUTH, "AUTH LOGIN");
	if (rc != 0)
		probe_conclude(ctx, VERDICT_INCONCLUSIVE, "could not send AUTH");
}

static void auth_credentials_start(struct probe_ctx *ctx)
{
	const struct probe_settings *set = probe_settings(ctx);
	if (set->auth_user == NULL || set->auth_password == NULL) {
		probe_conclude(ctx, VERDICT_NOT_APPLICABLE,
		               "no credentials given (--auth-user, --auth-password-file)");
		return;
	}
	if (auth_credentials_domain(set->auth_user) == NULL) {
		probe_conclude(ctx, VERDICT_NOT_APPLICABLE,
		               "--auth-user is not an address (user@domain), so which senders "
		               "are the user's own is unknown");
		return;
	}
	auth_credentials_plan(ctx, probe_state(ctx));
	if (probe_tls_active(ctx)) {
		auth_credentials_login(ctx);
		return;
	}
	const struct smtp_caps *caps = probe_caps(ctx);
	if (caps == NULL || !smtp_caps_has(caps, SMTP_EXT_STARTTLS)) {
		probe_conclude(ctx, VERDICT_INCONCLUSIVE,
		               "credentials not sent: the server offers no STARTTLS");
		return;
	}
	if (probe_starttls(ctx, AUTH_CREDENTIALS_TAG_STARTTLS) != 0)
		probe_conclude(ctx, VERDICT_INCONCLUSIVE, "could not send STARTTLS");
}

/* ---- after the login: the senders ---- */

static void auth_credentials_add_attempt(struct finding *f,
                                         const struct auth_credentials_attempt *a, const char *user)
{
	char line[AUTH_CREDENTIALS_ADDR_MAX + 16];
	snprintf(line, sizeof(line), "MAIL FROM:<%s>", a->sender);
	finding_add_exchange(f, line, &a->mail);
	snprintf(line, sizeof(line), "RCPT TO:<%s>", user);
	finding_add_exchange(f, line, &a->rcpt);
}

static void auth_credentials_report(struct probe_ctx *ctx, const struct auth_credentials_state *st,
                                    enum auth_credentials_sender s)
{
	const struct probe_settings *set = probe_settings(ctx);
	struct finding *f =
	    probe_finding(ctx, CATALOG_AUTH_SENDER_SPOOFING, auth_credentials_variant[s]);
	if (f == NULL)
		return;
	finding_set_detail(f, "logged in as %s, the server accepted MAIL FROM:<%s> (%s) on port %u",
	                   set->auth_user, st->attempt[s].sender, auth_credentials_variant[s],
	                   (unsigned)probe_target(ctx)->port);
	finding_add_exchange(f,
	                     st->use_login ? "AUTH LOGIN" : "AUTH PLAIN " AUTH_CREDENTIALS_REDACTED,
	                     &st->auth_reply);
	auth_credentials_add_attempt(f, &st->attempt[s], set->auth_user);
	if (st->attempt[AUTH_CREDENTIALS_OWN].has_rcpt)
		auth_credentials_add_attempt(f, &st->attempt[AUTH_CREDENTIALS_OWN], set->auth_user);
	const struct tls_facts *t = probe_tls_facts(ctx);
	char note[160];
	snprintf(note, sizeof(note),
	         "inside %s; nothing was delivered: each attempt ended with RSET",
	         t != NULL && t->version != NULL ? t->version : "TLS");
	finding_add_evidence(f, EVIDENCE_NOTE, note);
}

static void auth_credentials_reason(const struct auth_credentials_state *st, char *buf, size_t len)
{
	size_t used = (size_t)snprintf(buf, len, "logged in inside TLS");
	for (int s = 0; s < AUTH_CREDENTIALS_SENDER_COUNT && used < len; s++) {
		const struct auth_credentials_attempt *a = &st->attempt[s];
		if (!a->has_mail)
			continue;
		const struct smtp_reply *r =
		    a->has_rcpt && a->mail.code / 100 == 2 ? &a->rcpt : &a->mail;
		used += (size_t)snprintf(buf + used, len - used, "; %s sender <%s>: %s %d %.80s",
		                         auth_credentials_variant[s], a->sender,
		                         r == &a->rcpt ? "RCPT" : "MAIL", r->code,
		                         r->nlines > 0 ? r->lines[0] : "");
	}
}

static void auth_credentials_finish(struct probe_ctx *ctx, const char *why)
{
	struct auth_credentials_state *st = probe_state(ctx);
	char reason[AUTH_CREDENTIALS_REASON];
	auth_credentials_reason(st, reason, sizeof(reason));
	bool spoofable = false, all_refused = true;
	for (int s = AUTH_CREDENTIALS_SAME_DOMAIN; s < AUTH_CREDENTIALS_SENDER_COUNT; s++) {
		if (!st->attempt[s].wanted)
			continue;
		enum auth_credentials_judgement j = auth_credentials_judge(&st->attempt[s]);
		if (j == AUTH_CREDENTIALS_ACCEPTED) {
			auth_credentials_report(ctx, st, (enum auth_credentials_sender)s);
			spoofable = true;
		}
		all_refused = all_refused && j == AUTH_CREDENTIALS_REFUSED;
	}
	bool own_ok =
	    auth_credentials_judge(&st->attempt[AUTH_CREDENTIALS_OWN]) == AUTH_CREDENTIALS_ACCEPTED;
	enum verdict v = spoofable               ? VERDICT_VULNERABLE
	                 : all_refused && own_ok ? VERDICT_NOT_VULNERABLE
	                                         : VERDICT_INCONCLUSIVE;
	const char *doubt = v != VERDICT_INCONCLUSIVE ? ""
	                    : !own_ok ? "; the user's own address was not accepted either, so the "
	                                "refusals need not be about the sender"
	                              : "; not every other sender was refused for good";
	probe_conclude(ctx, v, "%s%s%s%s", reason, doubt, why ? "; session ended early: " : "",
	               why ? why : "");
}

static void auth_credentials_next(struct probe_ctx *ctx)
{
	struct auth_credentials_state *st = probe_state(ctx);
	const char *user = probe_settings(ctx)->auth_user;
	for (int s = 0; s < AUTH_CREDENTIALS_SENDER_COUNT; s++) {
		struct auth_credentials_attempt *a = &st->attempt[s];
		if (!a->wanted || a->has_mail)
			continue;
		st->current = (enum auth_credentials_sender)s;
		if (probe_send(ctx, AUTH_CREDENTIALS_TAG_MAIL, "MAIL FROM:<%s>", a->sender) != 0 ||
		    probe_send(ctx, AUTH_CREDENTIALS_TAG_RCPT, "RCPT TO:<%s>", user) != 0 ||
		    probe_send(ctx, AUTH_CREDENTIALS_TAG_RSET, "RSET") != 0)
			probe_conclude(ctx, VERDICT_INCONCLUSIVE, "could not send MAIL FROM:<%s>",
			               a->sender);
		return;
	}
	auth_credentials_finish(ctx, NULL);
}

/* ---- the dialog ---- */

static bool auth_credentials_keep(struct probe_ctx *ctx, struct smtp_reply *dst, bool *has,
                                  const struct smtp_reply *src)
{
	if (*has)
		smtp_reply_free(dst);
	*has = false;
	if (smtp_reply_copy(dst, src) != 0) {
		probe_conclude(ctx, VERDICT_INCONCLUSIVE, "out of memory");
		return false;
	}
	*has = true;
	return true;
}

static void auth_credentials_on_starttls(struct probe_ctx *ctx, const struct probe_reply *r)
{
	if (!probe_tls_active(ctx)) {
		probe_conclude(ctx, VERDICT_INCONCLUSIVE,
		               "credentials not sent: STARTTLS answered %d %.80s", r->reply->code,
		               r->reply->nlines > 0 ? r->reply->lines[0] : "");
		return;
	}
	auth_credentials_login(ctx);
}

/* An AUTH LOGIN prompt is answered with the user name, then the password. */
static void auth_credentials_on_prompt(struct probe_ctx *ctx, const struct probe_reply *r)
{
	struct auth_credentials_state *st = probe_state(ctx);
	const struct probe_settings *set = probe_settings(ctx);
	bool user_next = r->tag == AUTH_CREDENTIALS_TAG_AUTH;
	int rc = user_next ? auth_credentials_send_b64(ctx, AUTH_CREDENTIALS_TAG_LOGIN_USER,
	                                               set->auth_user)
	                   : auth_credentials_send_b64(ctx, AUTH_CREDENTIALS_TAG_LOGIN_PASSWORD,
	                                               set->auth_password);
	st->password_sent = st->password_sent || !user_next;
	if (rc != 0)
		probe_conclude(ctx, VERDICT_INCONCLUSIVE, "could not answer AUTH LOGIN");
}

static void auth_credentials_on_auth(struct probe_ctx *ctx, const struct probe_reply *r)
{
	struct auth_credentials_state *st = probe_state(ctx);
	bool prompt_expected = st->use_login && r->tag != AUTH_CREDENTIALS_TAG_LOGIN_PASSWORD;
	if (r->reply->code == 334 && prompt_expected) {
		auth_credentials_on_prompt(ctx, r);
		return;
	}
	if (!auth_credentials_keep(ctx, &st->auth_reply, &st->has_auth_reply, r->reply))
		return;
	if (r->reply->code != 235) {
		/* A 334 out of turn would want more than a password: never answer it. */
		probe_conclude(ctx, VERDICT_INCONCLUSIVE, "login as %s refused: %d %.80s%s",
		               probe_settings(ctx)->auth_user, r->reply->code,
		               r->reply->nlines > 0 ? r->reply->lines[0] : "",
		               r->reply->code == 334 ? " (the exchange is left unanswered)" : "");
		return;
	}
	st->logged_in = true;
	auth_credentials_next(ctx);
}

static void auth_credentials_step(struct probe_ctx *ctx, const struct probe_reply *r)
{
	struct auth_credentials_state *st = probe_state(ctx);
	struct auth_credentials_attempt *a = &st->attempt[st->current];
	switch ((enum auth_credentials_tag)r->tag) {
	case AUTH_CREDENTIALS_TAG_STARTTLS:
		auth_credentials_on_starttls(ctx, r);
		return;
	case AUTH_CREDENTIALS_TAG_AUTH:
	case AUTH_CREDENTIALS_TAG_LOGIN_USER:
	case AUTH_CREDENTIALS_TAG_LOGIN_PASSWORD:
		auth_credentials_on_auth(ctx, r);
		return;
	case AUTH_CREDENTIALS_TAG_MAIL:
		auth_credentials_keep(ctx, &a->mail, &a->has_mail, r->reply);
		return;
	case AUTH_CREDENTIALS_TAG_RCPT:
		auth_credentials_keep(ctx, &a->rcpt, &a->has_rcpt, r->reply);
		return;
	case AUTH_CREDENTIALS_TAG_RSET:
		auth_credentials_next(ctx);
		return;
	}
	assert(!"reply with a tag this probe never used");
}

static void auth_credentials_interrupted(struct probe_ctx *ctx, enum outcome why)
{
	struct auth_credentials_state *st = probe_state(ctx);
	const char *failure = probe_failure(ctx);
	if (st->logged_in) {
		auth_credentials_finish(ctx, failure[0] ? failure : outcome_name(why));
		return;
	}
	probe_conclude(ctx, VERDICT_INCONCLUSIVE, "%s: %s",
	               st->password_sent ? "session ended before the login was answered"
	                                 : "credentials not sent",
	               failure[0] ? failure : outcome_name(why));
}

static void auth_credentials_cleanup(void *state)
{
	struct auth_credentials_state *st = state;
	if (st->has_auth_reply)
		smtp_reply_free(&st->auth_reply);
	for (int s = 0; s < AUTH_CREDENTIALS_SENDER_COUNT; s++) {
		if (st->attempt[s].has_mail)
			smtp_reply_free(&st->attempt[s].mail);
		if (st->attempt[s].has_rcpt)
			smtp_reply_free(&st->attempt[s].rcpt);
	}
}

const struct probe probe_auth_credentials = {
    .name = "auth_credentials",
    .summary = "with --auth-user: log in inside verified TLS only, then check whether the user "
               "may send as other addresses",
    .preamble = PROBE_PREAMBLE_EHLO,
    .flags = 0, /* opt-in: --auth-user adds it to the default set (cli.c) */
    .state_size = sizeof(struct auth_credentials_state),
    .start = auth_credentials_start,
    .step = auth_credentials_step,
    .interrupted = auth_credentials_interrupted,
    .cleanup = auth_credentials_cleanup,
};
