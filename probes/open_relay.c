/*
 * NAME
 *	open_relay - does the server relay mail for outside senders to outside recipients?
 *
 * DESCRIPTION
 *	Sends (relay_battery.h has the whole battery; D = relay domain,
 *	L = smtp-audit-relay-test, I = address literal, H = server host name,
 *	O = its domain):
 *
 *	  MAIL FROM:<>                            first sender; controls ride along:
 *	  RCPT TO:<smtp-audit-nx-HEX@O>           control: nonexistent local user
 *	  RCPT TO:<L@smtp-audit-HEX.invalid>      control: .invalid domain
 *	  RCPT TO:<L@D>                           plain external recipient
 *	  RCPT TO:<L%D@I>  <L%D@H>  <"L@D">  <"L%D">  <"L@D"@I>  <L@D@I>  <L@D@H>
 *	  RCPT TO:<@I:L@D>  <@H:L@D>  <D!L>  <D!L@I>  <D!L@H>  <L@D.>  <L@UPPER(D)>
 *	  RSET
 *	  MAIL FROM:<relay_from>                  ... the same recipients again, then
 *	  MAIL FROM:<postmaster@O>, MAIL FROM:<postmaster@I>
 *
 *	No session collects more than RELAY_MAX_ERRORS_PER_SESSION refusals
 *	(Postfix slows every reply once a session has made 10 errors and
 *	disconnects at 20; Exim drops after 3 protocol errors). When the
 *	server offers PIPELINING, each session is greeting, EHLO and one flight
 *	that fills that budget, across transactions when a sender's attempts
 *	run out (RSET, MAIL and RCPTs share the flight); the probe then
 *	continues in a new session where it left off, which costs fewer round
 *	trips than a follow-up flight of the few attempts the actual refusals
 *	leave room for. A server that accepts (an open relay) keeps the session
 *	for further flights while they spare a session. Without PIPELINING the
 *	commands go in lock-step and a session runs until its budget is
 *	spent. Once the first session's greeting and EHLO show a server that
 *	talks, the probe opens as many more sessions as the battery needs
 *	(within --per-host) and they share the attempts, each planning its
 *	flights from what is still pending; a dead or tarpitting host thus
 *	costs one connection. A session
 *	lost to 421, a timeout or a close is resumed the same way, without
 *	repeating an answered attempt; three lost sessions in a row end it.
 *	A "530 Must issue a STARTTLS command first" restarts the battery in new
 *	sessions that begin with STARTTLS, and the verdict comes from that run.
 *
 *	Vulnerable: an external or trick recipient accepted (250, 251; 252 is
 *	counted and noted) while at least one control was refused. Plain
 *	recipient accepted: RELAY_OPEN, one per sender kind that relays
 *	(variant null-sender, external-sender, own-domain-sender,
 *	ip-literal-sender); trick accepted: RELAY_ADDRESS_TRICK per trick
 *	(variant = form name). Evidence: the exact MAIL and RCPT lines with the
 *	replies, and the controls.
 *
 *	False positives: servers that accept every recipient at RCPT time and
 *	bounce later. Both controls accepted means exactly that: the verdict is
 *	then SUSPECTED (RELAY_SUSPECTED with the controls as evidence), never
 *	vulnerable. Postfix applies HELO/MAIL restrictions at RCPT time
 *	(smtpd_delay_reject), so only RCPT replies are judged; a refused MAIL
 *	FROM leaves its attempts unjudged. "Authentication required" for every
 *	recipient (submission ports), STARTTLS required and not available,
 *	only 4xx deferrals, an incomplete battery, or controls that could not
 *	be judged are INCONCLUSIVE with the reason, not "not vulnerable".
 *	Forms needing the server's host name are skipped, and the reason says
 *	so, when neither greeting nor EHLO names a host; none is invented.
 *
 *	Never: DATA, unless --allow-data and a relay canary are both given;
 *	then, after a vulnerable verdict only, ONE message to the canary
 *	through the first accepted relay path (its sender and recipient form,
 *	with the canary address): RSET, MAIL, RCPT, DATA, a short message
 *	naming the target and a random token, ".". A 250 to the final dot is
 *	RELAY_CANARY_DELIVERED (accepted for delivery: the auditor looks for
 *	the token in the canary mailbox). The probe checks the settings itself
 *	and never relies on the send path's refusal of DATA. Never VRFY, EXPN,
 *	AUTH or any credential.
 *
 *	References: RFC 5321 sections 3.6 (relaying), 4.1.1.3 (RCPT), 4.1.3
 *	(address literals), 4.5.2 (dot-stuffing) and appendix C (source
 *	routes); RFC 2505 section 2 (percent hack, bang paths, relay tests);
 *	RFC 2920 (pipelining); RFC 3207 (STARTTLS); RFC 6761 (.invalid);
 *	RFC 5322 (the canary message); CVE-1999-0512 (open mail relay).
 */
#include <assert.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "probe.h"
#include "relay_battery.h"
#include "sa_error.h"

/* Consecutive sessions that may be lost without an attempt judged. */
#define OPEN_RELAY_MAX_LOST_SESSIONS 3

/* The canary transaction may draw a refusal for MAIL, RCPT and DATA. */
#define OPEN_RELAY_CANARY_ERRORS 3

enum open_relay_tag {
	OPEN_RELAY_TAG_STARTTLS = 1,
	OPEN_RELAY_TAG_CANARY_RSET,
	OPEN_RELAY_TAG_CANARY_MAIL,
	OPEN_RELAY_TAG_CANARY_RCPT,
	OPEN_RELAY_TAG_CANARY_DATA,
	OPEN_RELAY_TAG_CANARY_DOT,
};
_Static_assert(OPEN_RELAY_TAG_CANARY_DOT < RELAY_BATTERY_TAG_FIRST, "tags apart from the battery");

enum open_relay_phase {
	OPEN_RELAY_PHASE_BATTERY,
	OPEN_RELAY_PHASE_CANARY,
};

struct open_relay_canary {
	bool sent; /* one session has begun its transaction */
	char token[17];
	char mail[RELAY_LINE_MAX];
	char rcpt[RELAY_LINE_MAX];
	struct smtp_reply mail_reply, rcpt_reply, data_reply;
};

struct open_relay_state {
	bool ready; /* the battery is built */
	bool spread; /* the sessions beside the first were asked for */
	enum open_relay_phase phase;
	bool tls_required;
	char tls_reply[160]; /* the plaintext reply that asked for STARTTLS */
	unsigned lost_sessions;
	struct relay_battery battery;
	struct relay_judgement judgement;
	struct open_relay_canary canary;
};

static void open_relay_next(struct probe_ctx *ctx, struct open_relay_state *st);

/* ---- concluding ---- */

/* The verdict with its reason, how the battery was run, and note (may be ""). */
static void open_relay_conclude_with(struct probe_ctx *ctx, const struct open_relay_state *st,
                                     enum verdict v, const char *reason, const char *note)
{
	char tls[200] = "";
	if (st->tls_required)
		snprintf(tls, sizeof(tls), "; run after STARTTLS (plaintext: %s)", st->tls_reply);
	probe_conclude(ctx, v, "%s%s%s", reason, tls, note);
}

/* The battery's verdict and reason, and note. */
static void open_relay_conclude(struct probe_ctx *ctx, const struct open_relay_state *st,
                                enum verdict v, const char *note)
{
	open_relay_conclude_with(ctx, st, v, st->judgement.reason, note);
}

static void open_relay_report_relay(struct probe_ctx *ctx, const struct relay_battery *b)
{
	for (int s = 0; s < RELAY_SENDER_COUNT; s++) {
		if (relay_battery_count_accepted(b, s, RELAY_FORM_PLAIN) == 0)
			continue;
		struct finding *f =
		    probe_finding(ctx, CATALOG_RELAY_OPEN, relay_battery_sender_name(s));
		if (f == NULL)
			continue;
		finding_set_detail(f, "plain external recipient at %s accepted (%s)", b->domain,
		                   relay_battery_sender_name(s));
		relay_battery_add_accepted(b, s, RELAY_FORM_PLAIN, f);
		relay_battery_add_controls(b, f);
	}
	for (int form = RELAY_FORM_PLAIN + 1; form < RELAY_FORM_COUNT; form++) {
		size_t n = relay_battery_count_accepted(b, -1, form);
		if (n == 0)
			continue;
		struct finding *f =
		    probe_finding(ctx, CATALOG_RELAY_ADDRESS_TRICK, relay_battery_form_name(form));
		if (f == NULL)
			continue;
		finding_set_detail(f, "%zu relay attempt(s) with the %s address form accepted", n,
		                   relay_battery_form_name(form));
		relay_battery_add_accepted(b, -1, form, f);
		relay_battery_add_controls(b, f);
	}
}

static void open_relay_report_suspected(struct probe_ctx *ctx, const struct relay_battery *b,
                                        const struct relay_judgement *j)
{
	struct finding *f = probe_finding(ctx, CATALOG_RELAY_SUSPECTED, NULL);
	if (f == NULL)
		return;
	finding_set_detail(f,
	                   "%zu of %zu relay attempts accepted, but both controls were accepted "
	                   "too: recipients are not checked at RCPT time",
	                   j->accepted, j->planned);
	relay_battery_add_controls(b, f);
	relay_battery_add_accepted(b, -1, RELAY_FORM_PLAIN, f);
}

static void open_relay_report(struct probe_ctx *ctx, struct open_relay_state *st)
{
	if (st->judgement.verdict == VERDICT_VULNERABLE)
		open_relay_report_relay(ctx, &st->battery);
	else if (st->judgement.verdict == VERDICT_SUSPECTED)
		open_relay_report_suspected(ctx, &st->battery, &st->judgement);
}

/* The battery cannot be finished: judge what is known. */
static void open_relay_give_up(struct probe_ctx *ctx, struct open_relay_state *st, const char *why)
{
	char note[200];
	relay_battery_judge(&st->battery, false, &st->judgement);
	open_relay_report(ctx, st);
	snprintf(note, sizeof(note), "; stopped: %s", why);
	open_relay_conclude(ctx, st, st->judgement.verdict, note);
}

static void open_relay_reconnect(struct probe_ctx *ctx, struct open_relay_state *st)
{
	if (probe_reconnect(ctx) != 0)
		open_relay_give_up(ctx, st, "no further session allowed");
}

/* ---- the canary ---- */

/* RFC 5322 date-time in UTC, independent of the locale. */
static void open_relay_date(int64_t now, char *buf, size_t len)
{
	static const char *const days[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
	static const char *const months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
					     "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
	struct tm tm;
	time_t t = (time_t)now;
	gmtime_r(&t, &tm);
	snprintf(buf, len, "%s, %02d %s %04d %02d:%02d:%02d +0000", days[tm.tm_wday], tm.tm_mday,
		 months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

/* The canary message; the engine dot-stuffs it and sends the final dot. */
static int open_relay_canary_message(struct probe_ctx *ctx, const struct open_relay_state *st)
{
	const struct probe_settings *set = probe_settings(ctx);
	const struct probe_target *t = probe_target(ctx);
	const struct open_relay_canary *c = &st->canary;
	char date[64];
	char *body;
	open_relay_date(probe_now(ctx), date, sizeof(date));
	if (asprintf(&body,
		     "From: <%s>\n"
		     "To: <%s>\n"
		     "Subject: smtp-audit relay canary %s\n"
		     "Date: %s\n"
		     "Message-ID: <smtp-audit-%s@%s>\n"
		     "\n"
		     "smtp-audit, a mail server security scanner, sent this message through\n"
		     "%s (%s port %u), which relayed it:\n"
		     "%s\n"
		     "%s\n"
		     "Token: %s\n",
		     set->relay_from, set->relay_canary, c->token, date, c->token, set->helo_name,
		     t->host, t->address, (unsigned)t->port, c->mail, c->rcpt, c->token) < 0)
		return SA_ERROR_NOMEM;
	int rc = probe_send_message(ctx, OPEN_RELAY_TAG_CANARY_DOT, body);
	free(body);
	return rc;
}

static void open_relay_canary_send(struct probe_ctx *ctx, struct open_relay_state *st)
{
	struct open_relay_canary *c = &st->canary;
	c->sent = true;
	if (probe_send(ctx, OPEN_RELAY_TAG_CANARY_RSET, "RSET") != 0 ||
	    probe_send(ctx, OPEN_RELAY_TAG_CANARY_MAIL, "%s", c->mail) != 0 ||
	    probe_send(ctx, OPEN_RELAY_TAG_CANARY_RCPT, "%s", c->rcpt) != 0 ||
	    probe_send(ctx, OPEN_RELAY_TAG_CANARY_DATA, "DATA") != 0)
		open_relay_conclude(ctx, st, VERDICT_VULNERABLE,
		                    "; canary not sent: refused by the send path");
}

/* After a vulnerable verdict: prepare the one canary message, or conclude without it. */
static void open_relay_canary_begin(struct probe_ctx *ctx, struct open_relay_state *st)
{
	const char *canary = probe_settings(ctx)->relay_canary;
	struct open_relay_canary *c = &st->canary;
	const char *at = strrchr(canary, '@');
	char local[RELAY_LINE_MAX];
	if (at == NULL || at == canary || at[1] == '\0' || (size_t)(at - canary) >= sizeof(local)) {
		open_relay_conclude(ctx, st, VERDICT_VULNERABLE,
		                    "; canary not sent: the canary address is not local@domain");
		return;
	}
	snprintf(local, sizeof(local), "%.*s", (int)(at - canary), canary);
	if (relay_battery_path_lines(&st->battery, relay_battery_first_accepted(&st->battery),
	                             local, at + 1, c->mail, c->rcpt, sizeof(c->mail)) != 0) {
		open_relay_conclude(ctx, st, VERDICT_VULNERABLE,
		                    "; canary not sent: the canary address is too long");
		return;
	}
	snprintf(c->token, sizeof(c->token), "%016" PRIx64, probe_random(ctx));
	st->phase = OPEN_RELAY_PHASE_CANARY;
	if (relay_battery_session_errors(&st->battery) + OPEN_RELAY_CANARY_ERRORS >
	    RELAY_MAX_ERRORS_PER_SESSION)
		open_relay_reconnect(ctx, st);
	else
		open_relay_canary_send(ctx, st);
}

static void open_relay_canary_delivered(struct probe_ctx *ctx, struct open_relay_state *st,
                                        const struct probe_reply *r)
{
	struct open_relay_canary *c = &st->canary;
	char note[160];
	struct finding *f = probe_finding(ctx, CATALOG_RELAY_CANARY_DELIVERED, NULL);
	if (f != NULL) {
		char subject[80];
		finding_set_detail(
		    f,
		    "message with token %s accepted for delivery to %s: look for the "
		    "token in that mailbox",
		    c->token, probe_settings(ctx)->relay_canary);
		snprintf(subject, sizeof(subject), "message: Subject: smtp-audit relay canary %s",
		         c->token);
		finding_add_exchange(f, c->mail, &c->mail_reply);
		finding_add_exchange(f, c->rcpt, &c->rcpt_reply);
		finding_add_exchange(f, "DATA", &c->data_reply);
		finding_add_evidence(f, EVIDENCE_NOTE, subject);
		finding_add_exchange(f, r->command, r->reply);
	}
	snprintf(note, sizeof(note), "; canary accepted for delivery (token %s)", c->token);
	open_relay_conclude(ctx, st, VERDICT_VULNERABLE, note);
}

static void open_relay_canary_reply(struct probe_ctx *ctx, struct open_relay_state *st,
                                    const struct probe_reply *r)
{
	struct open_relay_canary *c = &st->canary;
	char note[200];
	switch (r->tag) {
	case OPEN_RELAY_TAG_CANARY_RSET:
		return;
	case OPEN_RELAY_TAG_CANARY_MAIL:
		smtp_reply_copy(&c->mail_reply, r->reply);
		return;
	case OPEN_RELAY_TAG_CANARY_RCPT:
		smtp_reply_copy(&c->rcpt_reply, r->reply);
		return;
	case OPEN_RELAY_TAG_CANARY_DATA:
		smtp_reply_copy(&c->data_reply, r->reply);
		if (r->reply->code != 354)
			snprintf(note, sizeof(note), "; canary not sent: DATA answered %d %.80s",
			         r->reply->code, r->reply->lines[0]);
		else if (open_relay_canary_message(ctx, st) != 0)
			snprintf(note, sizeof(note),
			         "; canary not sent: the send path refused the message");
		else
			return;
		open_relay_conclude(ctx, st, VERDICT_VULNERABLE, note);
		return;
	case OPEN_RELAY_TAG_CANARY_DOT:
		if (smtp_reply_class(r->reply) == 2 && smtp_reply_class(&c->rcpt_reply) == 2) {
			open_relay_canary_delivered(ctx, st, r);
			return;
		}
		snprintf(note, sizeof(note), "; canary refused: %d %.80s", r->reply->code,
		         r->reply->lines[0]);
		open_relay_conclude(ctx, st, VERDICT_VULNERABLE, note);
		return;
	}
	assert(!"reply with a tag open_relay never used");
}

/* ---- the battery ---- */

static void open_relay_finish(struct probe_ctx *ctx, struct open_relay_state *st)
{
	const struct probe_settings *set = probe_settings(ctx);
	relay_battery_judge(&st->battery, true, &st->judgement);
	open_relay_report(ctx, st);
	if (st->judgement.verdict == VERDICT_VULNERABLE && set->allow_data &&
	    set->relay_canary != NULL)
		open_relay_canary_begin(ctx, st);
	else
		open_relay_conclude(ctx, st, st->judgement.verdict, "");
}

static void open_relay_next(struct probe_ctx *ctx, struct open_relay_state *st)
{
	struct relay_flight fl;
	switch (relay_battery_next(&st->battery, &fl)) {
	case RELAY_NEXT_FLIGHT:
		for (size_t i = 0; i < fl.n; i++) {
			if (probe_send(ctx, fl.cmd[i].tag, "%s", fl.cmd[i].line) != 0) {
				open_relay_give_up(ctx, st, "the send path refused a command");
				return;
			}
		}
		return;
	case RELAY_NEXT_RECONNECT:
		st->lost_sessions = 0;
		/* The other sessions will take what is left: no successor for this one. */
		if (relay_battery_sessions_wanted(&st->battery) < probe_session_count(ctx) &&
		    probe_end_session(ctx) == 0)
			return;
		open_relay_reconnect(ctx, st);
		return;
	case RELAY_NEXT_DONE:
		if (!relay_battery_in_flight(&st->battery))
			open_relay_finish(ctx, st);
		else if (probe_end_session(ctx) != 0)
			open_relay_give_up(ctx, st, "no session left for the attempts in flight");
		return;
	}
	assert(!"unknown relay_next");
}

static bool open_relay_starttls_offered(const struct probe_ctx *ctx)
{
	const struct smtp_caps *caps = probe_caps(ctx);
	return caps != NULL && smtp_caps_has(caps, SMTP_EXT_STARTTLS);
}

/* A session of the TLS run begins: STARTTLS first. */
static void open_relay_starttls(struct probe_ctx *ctx, struct open_relay_state *st)
{
	if (!open_relay_starttls_offered(ctx))
		open_relay_give_up(ctx, st, "STARTTLS no longer offered");
	else if (probe_starttls(ctx, OPEN_RELAY_TAG_STARTTLS) != 0)
		open_relay_give_up(ctx, st, "STARTTLS could not be sent");
}

/* The server wants TLS first: run the battery again in sessions that start TLS. */
static void open_relay_require_tls(struct probe_ctx *ctx, struct open_relay_state *st,
                                   const struct smtp_reply *r)
{
	if (!open_relay_starttls_offered(ctx)) {
		char why[200];
		snprintf(why, sizeof(why), "STARTTLS required (%d %.120s) but not offered", r->code,
		         r->lines[0]);
		open_relay_give_up(ctx, st, why);
		return;
	}
	if (st->tls_required) {
		/* A cleartext session begun before another found out: it starts again in TLS. */
		relay_battery_session_lost(&st->battery);
		open_relay_reconnect(ctx, st);
		return;
	}
	snprintf(st->tls_reply, sizeof(st->tls_reply), "%d %.120s", r->code, r->lines[0]);
	st->tls_required = true;
	relay_battery_reset(&st->battery);
	open_relay_reconnect(ctx, st);
}

/* This session is over before the battery: resume in a new one, within bounds. */
static void open_relay_session_lost(struct probe_ctx *ctx, struct open_relay_state *st,
                                    enum outcome why)
{
	char text[120];
	if (relay_battery_session_judged(&st->battery) > 0)
		st->lost_sessions = 0;
	st->lost_sessions++;
	relay_battery_session_lost(&st->battery);
	if (st->lost_sessions < OPEN_RELAY_MAX_LOST_SESSIONS) {
		open_relay_reconnect(ctx, st);
		return;
	}
	snprintf(text, sizeof(text), "session ended (%s) %u times in a row", outcome_name(why),
	         st->lost_sessions);
	open_relay_give_up(ctx, st, text);
}

static void open_relay_battery_reply(struct probe_ctx *ctx, struct open_relay_state *st,
                                     const struct probe_reply *r)
{
	char why[240];
	switch (relay_battery_on_reply(&st->battery, r->tag, r->reply)) {
	case RELAY_EVENT_THROTTLED:
		open_relay_session_lost(ctx, st, OUTCOME_THROTTLED);
		return;
	case RELAY_EVENT_TLS_REQUIRED:
		open_relay_require_tls(ctx, st, r->reply);
		return;
	case RELAY_EVENT_AUTH_REQUIRED:
		snprintf(why, sizeof(why), ": MAIL FROM answered %d %.120s", r->reply->code,
		         r->reply->lines[0]);
		open_relay_conclude_with(ctx, st, VERDICT_INCONCLUSIVE,
		                         "authentication required before any recipient is accepted",
		                         why);
		return;
	case RELAY_EVENT_NONE:
		break;
	}
	if (relay_battery_flight_done(&st->battery))
		open_relay_next(ctx, st);
}

/* ---- the probe ---- */

static int open_relay_setup(struct probe_ctx *ctx, struct open_relay_state *st)
{
	struct relay_battery_setup setup = {
	    .settings = probe_settings(ctx),
	    .target = probe_target(ctx),
	    .greeting = probe_greeting(ctx),
	    .caps = probe_caps(ctx),
	    .nonce = probe_random(ctx),
	    .senders = RELAY_SENDERS_ALL,
	    .forms = RELAY_FORMS_ALL,
	    .reconnects = true,
	};
	int rc = relay_battery_init(&st->battery, &setup);
	if (rc == 0)
		st->ready = true;
	else
		probe_conclude(ctx, VERDICT_INCONCLUSIVE, "cannot build the relay battery: %s",
		               sa_error_str(rc));
	return rc;
}

/* The first session met a server that talks: open the others the battery needs. */
static void open_relay_spread(struct probe_ctx *ctx, struct open_relay_state *st)
{
	st->spread = true;
	size_t wanted = relay_battery_sessions_wanted(&st->battery);
	for (size_t i = 1; i < wanted && probe_open_session(ctx) == 0; i++)
		;
}

/* The canary goes out in one session; any other ends. */
static void open_relay_canary_start(struct probe_ctx *ctx, struct open_relay_state *st)
{
	if (!st->canary.sent)
		open_relay_canary_send(ctx, st);
	else if (probe_end_session(ctx) != 0)
		open_relay_conclude(ctx, st, VERDICT_VULNERABLE,
		                    "; canary not confirmed: its session is gone");
}

/* Probe callbacks are for one of the run's sessions: so are the battery's calls. */
static struct open_relay_state *open_relay_state_for(struct probe_ctx *ctx)
{
	struct open_relay_state *st = probe_state(ctx);
	relay_battery_use_slot(&st->battery, probe_session_slot(ctx));
	return st;
}

static void open_relay_start(struct probe_ctx *ctx)
{
	struct open_relay_state *st = open_relay_state_for(ctx);
	if (!st->ready && open_relay_setup(ctx, st) != 0)
		return;
	relay_battery_session_start(&st->battery, probe_tls_active(ctx), 0);
	if (!st->spread)
		open_relay_spread(ctx, st);
	if (st->tls_required && !probe_tls_active(ctx))
		open_relay_starttls(ctx, st);
	else if (st->phase == OPEN_RELAY_PHASE_CANARY)
		open_relay_canary_start(ctx, st);
	else
		open_relay_next(ctx, st);
}

static void open_relay_tls_ready(struct probe_ctx *ctx, struct open_relay_state *st,
                                 const struct probe_reply *r)
{
	if (!probe_tls_active(ctx) || r->reply->code != 250) {
		char why[160];
		snprintf(why, sizeof(why), "%s answered %d %.80s",
		         probe_tls_active(ctx) ? "EHLO after STARTTLS" : "STARTTLS", r->reply->code,
		         r->reply->lines[0]);
		open_relay_give_up(ctx, st, why);
		return;
	}
	relay_battery_session_start(&st->battery, true, relay_battery_session_errors(&st->battery));
	if (st->phase == OPEN_RELAY_PHASE_CANARY)
		open_relay_canary_start(ctx, st);
	else
		open_relay_next(ctx, st);
}

static void open_relay_step(struct probe_ctx *ctx, const struct probe_reply *r)
{
	struct open_relay_state *st = open_relay_state_for(ctx);
	if (relay_battery_owns_tag(r->tag))
		open_relay_battery_reply(ctx, st, r);
	else if (r->tag == OPEN_RELAY_TAG_STARTTLS)
		open_relay_tls_ready(ctx, st, r);
	else
		open_relay_canary_reply(ctx, st, r);
}

static void open_relay_interrupted(struct probe_ctx *ctx, enum outcome why)
{
	struct open_relay_state *st = open_relay_state_for(ctx);
	assert(st->ready);
	if (st->phase == OPEN_RELAY_PHASE_CANARY) {
		char note[120];
		snprintf(note, sizeof(note), "; canary not confirmed: session ended (%s)",
		         outcome_name(why));
		open_relay_conclude(ctx, st, VERDICT_VULNERABLE, note);
		return;
	}
	open_relay_session_lost(ctx, st, why);
}

static void open_relay_cleanup(void *state)
{
	struct open_relay_state *st = state;
	relay_battery_free(&st->battery);
	smtp_reply_free(&st->canary.mail_reply);
	smtp_reply_free(&st->canary.rcpt_reply);
	smtp_reply_free(&st->canary.data_reply);
}

const struct probe probe_open_relay = {
    .name = "open_relay",
    .summary = "relays to external recipients, with address tricks, controls against "
               "accept-all servers",
    .preamble = PROBE_PREAMBLE_EHLO,
    .flags = PROBE_DEFAULT,
    .state_size = sizeof(struct open_relay_state),
    .start = open_relay_start,
    .step = open_relay_step,
    .interrupted = open_relay_interrupted,
    .cleanup = open_relay_cleanup,
};
