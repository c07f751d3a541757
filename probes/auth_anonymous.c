/*
 * NAME
 *	auth_anonymous - does SASL ANONYMOUS log anyone in, and may they then relay?
 *
 * DESCRIPTION
 *	Sends, where ANONYMOUS is advertised (before TLS; else after STARTTLS
 *	when STARTTLS is offered; after a refusal in plaintext, again after
 *	STARTTLS when it is advertised there):
 *
 *	  AUTH ANONYMOUS c210cC1hdWRpdC0uLi4=     base64 of the trace "smtp-audit-HEX"
 *	  334                                     (server without initial response)
 *	  c210cC1hdWRpdC0uLi4=                    the same trace as the response
 *	  235 2.7.0 Authentication successful
 *	  MAIL FROM:<>                            relay_battery, same session, logged in:
 *	  RCPT TO:<smtp-audit-nx-HEX@O>           control: nonexistent local user
 *	  RCPT TO:<L@smtp-audit-HEX.invalid>      control: .invalid domain
 *	  RCPT TO:<smtp-audit-relay-test@D>       plain external recipient
 *	  RSET, MAIL FROM:<relay_from>, RCPT TO:<smtp-audit-relay-test@D>
 *
 *	A second 334 is answered with "*" (cancel, RFC 4954).
 *
 *	Vulnerable: 235 to the anonymous login: AUTH_ANONYMOUS_ACCEPTED
 *	(variant "plaintext" or "tls", evidence the exchange). If an external
 *	recipient is then accepted while a control is refused:
 *	AUTH_ANONYMOUS_RELAY with the MAIL/RCPT exchange. ANONYMOUS advertised
 *	but refused (535, 534, 538, 5xx): AUTH_ANONYMOUS_ADVERTISED (low).
 *	Not advertised anywhere: not vulnerable.
 *
 *	False positives: a successful anonymous login does not always grant
 *	relaying (Postfix's permit_sasl_authenticated ignores anonymous
 *	logins), so relaying is only reported when a RCPT after the login
 *	shows it. The controls are run after the login as well: a server that
 *	accepts every recipient at RCPT time would otherwise look like it
 *	relays for anonymous users; then no relay finding is made and the
 *	reason says so. One accepted plain external recipient is proof
 *	enough, so the address tricks of open_relay are not repeated here.
 *
 *	Never: a user name or password (the trace is what RFC 4505 asks for),
 *	DATA, or any other mechanism.
 *
 *	References: RFC 4505 (ANONYMOUS), RFC 4954 (SMTP AUTH), RFC 3207
 *	(STARTTLS), RFC 5321.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "probe.h"
#include "relay_battery.h"
#include "sa_error.h"
#include "smtp_command.h"

/* AUTH, response and cancel, before TLS and after it. */
#define AUTH_ANONYMOUS_MAX_EXCHANGES 6

enum auth_anonymous_tag {
	AUTH_ANONYMOUS_TAG_STARTTLS = 1,
	AUTH_ANONYMOUS_TAG_AUTH,
	AUTH_ANONYMOUS_TAG_RESPONSE,
	AUTH_ANONYMOUS_TAG_CANCEL,
};
_Static_assert(AUTH_ANONYMOUS_TAG_CANCEL < RELAY_BATTERY_TAG_FIRST, "tags apart from the battery");

struct auth_anonymous_exchange {
	char command[96];
	struct smtp_reply reply;
};

struct auth_anonymous_state {
	char trace[32];     /* the RFC 4505 trace: "smtp-audit-HEX" */
	char trace_b64[64]; /* ... as sent */
	bool did_starttls;
	unsigned refusals;
	struct auth_anonymous_exchange log[AUTH_ANONYMOUS_MAX_EXCHANGES];
	size_t nlog;
	size_t attempt_start; /* log index where the current AUTH begins */
	bool accepted;
	const char *mode; /* "plaintext" or "tls" */
	struct relay_battery battery;
};

/* ---- concluding ---- */

/* The AUTH exchanges from index from on, SASL data redacted, and the trace that was sent. */
static void auth_anonymous_add_log(const struct auth_anonymous_state *st, size_t from,
                                   struct finding *f)
{
	char note[80];
	snprintf(note, sizeof(note), "RFC 4505 trace sent (no credential): %s", st->trace);
	finding_add_evidence(f, EVIDENCE_NOTE, note);
	for (size_t i = from; i < st->nlog; i++)
		finding_add_exchange(f, st->log[i].command, &st->log[i].reply);
}

/*
 * No login succeeded. When ANONYMOUS was advertised and refused, that is
 * reported and the verdict is vulnerable (low); otherwise v with what.
 */
static void auth_anonymous_not_accepted(struct probe_ctx *ctx, struct auth_anonymous_state *st,
                                        enum verdict v, const char *what)
{
	if (st->refusals == 0) {
		probe_conclude(ctx, v, "%s", what);
		return;
	}
	const struct smtp_reply *last = &st->log[st->nlog - 1].reply;
	const char *line = last->nlines > 0 ? last->lines[0] : "";
	struct finding *f = probe_finding(ctx, CATALOG_AUTH_ANONYMOUS_ADVERTISED, NULL);
	if (f != NULL) {
		finding_set_detail(f, "ANONYMOUS advertised; the login was refused with %d",
		                   last->code);
		auth_anonymous_add_log(st, 0, f);
	}
	probe_conclude(ctx, VERDICT_VULNERABLE, "ANONYMOUS advertised but refused (%d %.80s)%s%s",
	               last->code, line, what[0] ? "; " : "", what);
}

static const char *auth_anonymous_relay_outcome(enum verdict v)
{
	switch (v) {
	case VERDICT_VULNERABLE:
		return "granted";
	case VERDICT_NOT_VULNERABLE:
		return "refused";
	case VERDICT_SUSPECTED:
		return "not provable";
	default:
		return "not judged";
	}
}

/* After the login: judge the relay attempts and conclude. */
static void auth_anonymous_relay_done(struct probe_ctx *ctx, struct auth_anonymous_state *st,
                                      bool complete, const char *note)
{
	struct relay_judgement j;
	relay_battery_judge(&st->battery, complete, &j);
	if (j.verdict == VERDICT_VULNERABLE) {
		struct finding *f = probe_finding(ctx, CATALOG_AUTH_ANONYMOUS_RELAY, st->mode);
		if (f != NULL) {
			finding_set_detail(f,
			                   "after an anonymous login over %s, %zu external "
			                   "recipient(s) accepted",
			                   st->mode, j.accepted);
			finding_add_evidence(f, EVIDENCE_NOTE, "after AUTH ANONYMOUS (235):");
			relay_battery_add_accepted(&st->battery, -1, RELAY_FORM_PLAIN, f);
			relay_battery_add_controls(&st->battery, f);
		}
	}
	probe_conclude(ctx, VERDICT_VULNERABLE,
	               "AUTH ANONYMOUS accepted over %s; relay after the login %s: %s%s", st->mode,
	               auth_anonymous_relay_outcome(j.verdict), j.reason, note);
}

/* ---- relaying after the login ---- */

static void auth_anonymous_next(struct probe_ctx *ctx, struct auth_anonymous_state *st)
{
	struct relay_flight fl;
	switch (relay_battery_next(&st->battery, &fl)) {
	case RELAY_NEXT_FLIGHT:
		for (size_t i = 0; i < fl.n; i++) {
			if (probe_send(ctx, fl.cmd[i].tag, "%s", fl.cmd[i].line) != 0) {
				auth_anonymous_relay_done(ctx, st, false,
				                          "; the send path refused a command");
				return;
			}
		}
		return;
	case RELAY_NEXT_RECONNECT:
		/* A new session would need a new login; what is known is enough. */
		auth_anonymous_relay_done(ctx, st, false, "; the session's error budget is spent");
		return;
	case RELAY_NEXT_DONE:
		auth_anonymous_relay_done(ctx, st, true, "");
		return;
	}
}

static void auth_anonymous_battery_reply(struct probe_ctx *ctx, struct auth_anonymous_state *st,
                                         const struct probe_reply *r)
{
	char note[200];
	switch (relay_battery_on_reply(&st->battery, r->tag, r->reply)) {
	case RELAY_EVENT_THROTTLED:
	case RELAY_EVENT_TLS_REQUIRED:
		snprintf(note, sizeof(note), "; %s answered %d %.100s", r->command, r->reply->code,
		         r->reply->lines[0]);
		auth_anonymous_relay_done(ctx, st, false, note);
		return;
	case RELAY_EVENT_AUTH_REQUIRED: /* the login is not enough for this sender: judged */
	case RELAY_EVENT_NONE:
		break;
	}
	if (relay_battery_flight_done(&st->battery))
		auth_anonymous_next(ctx, st);
}

static void auth_anonymous_accepted(struct probe_ctx *ctx, struct auth_anonymous_state *st)
{
	st->accepted = true;
	st->mode = probe_tls_active(ctx) ? "tls" : "plaintext";
	struct finding *f = probe_finding(ctx, CATALOG_AUTH_ANONYMOUS_ACCEPTED, st->mode);
	if (f != NULL) {
		finding_set_detail(f, "AUTH ANONYMOUS accepted over %s without any credential",
		                   st->mode);
		auth_anonymous_add_log(st, st->attempt_start, f);
	}
	struct relay_battery_setup setup = {
	    .settings = probe_settings(ctx),
	    .target = probe_target(ctx),
	    .greeting = probe_greeting(ctx),
	    .caps = probe_caps(ctx),
	    .nonce = probe_random(ctx),
	    .senders = (1u << RELAY_SENDER_NULL) | (1u << RELAY_SENDER_EXTERNAL),
	    .forms = 1u << RELAY_FORM_PLAIN,
	};
	int rc = relay_battery_init(&st->battery, &setup);
	if (rc != 0) {
		probe_conclude(ctx, VERDICT_VULNERABLE,
		               "AUTH ANONYMOUS accepted over %s; relay not tested: %s", st->mode,
		               sa_error_str(rc));
		return;
	}
	/* The refused logins of this connection count against the error budget too. */
	relay_battery_session_start(&st->battery, probe_tls_active(ctx), st->refusals);
	auth_anonymous_next(ctx, st);
}

/* ---- the login ---- */

static void auth_anonymous_log(struct auth_anonymous_state *st, const struct probe_reply *r)
{
	if (st->nlog == AUTH_ANONYMOUS_MAX_EXCHANGES)
		return;
	struct auth_anonymous_exchange *e = &st->log[st->nlog++];
	/* Evidence never carries SASL data, as transcripts do not (smtp_command.h). */
	smtp_command_redact(r->command, r->tag == AUTH_ANONYMOUS_TAG_RESPONSE, e->command,
	                    sizeof(e->command));
	smtp_reply_copy(&e->reply, r->reply);
}

static bool auth_anonymous_offers(const struct probe_ctx *ctx, enum smtp_ext ext)
{
	const struct smtp_caps *caps = probe_caps(ctx);
	return caps != NULL && smtp_caps_has(caps, ext);
}

static void auth_anonymous_starttls(struct probe_ctx *ctx, struct auth_anonymous_state *st)
{
	st->did_starttls = true;
	if (probe_starttls(ctx, AUTH_ANONYMOUS_TAG_STARTTLS) != 0)
		auth_anonymous_not_accepted(ctx, st, VERDICT_INCONCLUSIVE,
		                            "STARTTLS could not be sent");
}

/* Logs in where ANONYMOUS is advertised, or looks after STARTTLS, or concludes. */
static void auth_anonymous_try(struct probe_ctx *ctx, struct auth_anonymous_state *st)
{
	const struct smtp_caps *caps = probe_caps(ctx);
	if (caps != NULL && smtp_caps_has_auth(caps, SMTP_AUTH_ANONYMOUS)) {
		st->attempt_start = st->nlog;
		if (probe_send(ctx, AUTH_ANONYMOUS_TAG_AUTH, "AUTH ANONYMOUS %s", st->trace_b64) !=
		    0)
			auth_anonymous_not_accepted(ctx, st, VERDICT_INCONCLUSIVE,
			                            "AUTH could not be sent");
		return;
	}
	if (!probe_tls_active(ctx) && auth_anonymous_offers(ctx, SMTP_EXT_STARTTLS)) {
		auth_anonymous_starttls(ctx, st);
		return;
	}
	if (!st->did_starttls)
		auth_anonymous_not_accepted(ctx, st, VERDICT_NOT_VULNERABLE,
		                            "ANONYMOUS not advertised");
	else if (st->refusals == 0)
		probe_conclude(ctx, VERDICT_NOT_VULNERABLE,
		               "ANONYMOUS advertised neither before nor after STARTTLS");
	else
		auth_anonymous_not_accepted(ctx, st, VERDICT_NOT_VULNERABLE,
		                            "not advertised after STARTTLS");
}

static void auth_anonymous_refused(struct probe_ctx *ctx, struct auth_anonymous_state *st)
{
	st->refusals++;
	/* 538 and kin: the mechanism may work once the session is encrypted. */
	if (!probe_tls_active(ctx) && auth_anonymous_offers(ctx, SMTP_EXT_STARTTLS))
		auth_anonymous_starttls(ctx, st);
	else
		auth_anonymous_not_accepted(ctx, st, VERDICT_NOT_VULNERABLE, "");
}

static void auth_anonymous_auth_reply(struct probe_ctx *ctx, struct auth_anonymous_state *st,
                                      const struct probe_reply *r)
{
	auth_anonymous_log(st, r);
	int code = r->reply->code;
	int rc = 0;
	if (code == 235)
		auth_anonymous_accepted(ctx, st);
	else if (code == 334 && r->tag == AUTH_ANONYMOUS_TAG_AUTH)
		rc = probe_send(ctx, AUTH_ANONYMOUS_TAG_RESPONSE, "%s", st->trace_b64);
	else if (code == 334 && r->tag == AUTH_ANONYMOUS_TAG_RESPONSE)
		rc = probe_send(ctx, AUTH_ANONYMOUS_TAG_CANCEL, "*");
	else
		auth_anonymous_refused(ctx, st);
	if (rc != 0)
		auth_anonymous_not_accepted(ctx, st, VERDICT_INCONCLUSIVE,
		                            "the AUTH dialog could not be continued");
}

static void auth_anonymous_tls_ready(struct probe_ctx *ctx, struct auth_anonymous_state *st,
                                     const struct probe_reply *r)
{
	char what[200];
	if (probe_tls_active(ctx) && r->reply->code == 250) {
		auth_anonymous_try(ctx, st);
		return;
	}
	snprintf(what, sizeof(what), "%s answered %d %.80s: the capabilities after TLS are unknown",
	         probe_tls_active(ctx) ? "EHLO after STARTTLS" : "STARTTLS", r->reply->code,
	         r->reply->lines[0]);
	auth_anonymous_not_accepted(ctx, st, VERDICT_INCONCLUSIVE, what);
}

/* ---- the probe ---- */

static void auth_anonymous_start(struct probe_ctx *ctx)
{
	struct auth_anonymous_state *st = probe_state(ctx);
	if (probe_caps(ctx) == NULL) {
		probe_conclude(ctx, VERDICT_NOT_VULNERABLE, "server speaks only HELO: no AUTH");
		return;
	}
	snprintf(st->trace, sizeof(st->trace), "smtp-audit-%016" PRIx64, probe_random(ctx));
	char *b64 = codec_base64_encode(st->trace, strlen(st->trace));
	if (b64 == NULL) {
		probe_conclude(ctx, VERDICT_INCONCLUSIVE, "out of memory");
		return;
	}
	snprintf(st->trace_b64, sizeof(st->trace_b64), "%s", b64);
	free(b64);
	auth_anonymous_try(ctx, st);
}

static void auth_anonymous_step(struct probe_ctx *ctx, const struct probe_reply *r)
{
	struct auth_anonymous_state *st = probe_state(ctx);
	if (relay_battery_owns_tag(r->tag))
		auth_anonymous_battery_reply(ctx, st, r);
	else if (r->tag == AUTH_ANONYMOUS_TAG_STARTTLS)
		auth_anonymous_tls_ready(ctx, st, r);
	else
		auth_anonymous_auth_reply(ctx, st, r);
}

static void auth_anonymous_interrupted(struct probe_ctx *ctx, enum outcome why)
{
	struct auth_anonymous_state *st = probe_state(ctx);
	char what[80];
	if (st->accepted) {
		snprintf(what, sizeof(what), "; session ended (%s)", outcome_name(why));
		auth_anonymous_relay_done(ctx, st, false, what);
		return;
	}
	snprintf(what, sizeof(what), "session ended (%s) before a login result", outcome_name(why));
	auth_anonymous_not_accepted(ctx, st, VERDICT_INCONCLUSIVE, what);
}

static void auth_anonymous_cleanup(void *state)
{
	struct auth_anonymous_state *st = state;
	for (size_t i = 0; i < st->nlog; i++)
		smtp_reply_free(&st->log[i].reply);
	relay_battery_free(&st->battery);
}

const struct probe probe_auth_anonymous = {
    .name = "auth_anonymous",
    .summary = "SASL ANONYMOUS login accepted, and relaying after it",
    .preamble = PROBE_PREAMBLE_EHLO,
    .flags = PROBE_DEFAULT,
    .state_size = sizeof(struct auth_anonymous_state),
    .start = auth_anonymous_start,
    .step = auth_anonymous_step,
    .interrupted = auth_anonymous_interrupted,
    .cleanup = auth_anonymous_cleanup,
};
