/*
 * NAME
 *	relay_battery - relay attempts, reply classification and the relay verdict
 *
 * DESCRIPTION
 *	See relay_battery.h. Addresses are written as patterns over a few
 *	placeholders, so the table of forms reads like the transcript:
 *
 *	  {L} recipient local part      {D} recipient (external) domain
 *	  {U} that domain upper-cased   {H} server host name
 *	  {O} server's own domain       {I} server address literal
 *	  {F} external sender           {N} nonexistent local part (control)
 *	  {V} random .invalid domain (control)
 *
 *	A pattern that uses {H} or {O} needs the server's host name; without
 *	one, its attempts are skipped.
 *
 *	Replies are kept only where they are evidence (accepted attempts,
 *	controls, MAIL FROM), and bounded, so a hostile server cannot make a
 *	run hold much memory.
 *
 * DIAGNOSTICS
 *	relay_battery_init() returns SA_ERROR_INVAL for a missing or unusable
 *	relay domain or sender, SA_ERROR_RANGE for one too long to fit a
 *	command line; relay_battery_path_lines() SA_ERROR_RANGE likewise.
 */
#include "relay_battery.h"
#include "text_buf.h"

#include <assert.h>
#include <ctype.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sa_error.h"
#include "smtp_addr.h"

#define RELAY_TAG_RSET RELAY_BATTERY_TAG_FIRST
#define RELAY_TAG_MAIL (RELAY_BATTERY_TAG_FIRST + 0x100)
#define RELAY_TAG_RCPT (RELAY_BATTERY_TAG_FIRST + 0x200)

/* Bounds of a reply kept as evidence. */
#define RELAY_KEEP_LINES    4
#define RELAY_KEEP_LINE_LEN 512

enum relay_attempt_status {
	RELAY_ATTEMPT_OFF,     /* not selected */
	RELAY_ATTEMPT_SKIPPED, /* needs a host name the server did not give */
	RELAY_ATTEMPT_PENDING,
	RELAY_ATTEMPT_SENT, /* in the current flight */
	RELAY_ATTEMPT_JUDGED,
	RELAY_ATTEMPT_UNJUDGED, /* its sender was refused at MAIL FROM */
};

enum relay_sender_status {
	RELAY_MAIL_OFF,
	RELAY_MAIL_SKIPPED,
	RELAY_MAIL_UNKNOWN,
	RELAY_MAIL_ACCEPTED,
	RELAY_MAIL_REFUSED,
};

struct relay_pattern {
	const char *name;    /* variant */
	const char *phrase;  /* for verdict reasons */
	const char *pattern; /* address, see DESCRIPTION */
};

static const struct relay_pattern relay_senders[] = {
    [RELAY_SENDER_NULL] = {"null-sender", "null sender", ""},
    [RELAY_SENDER_EXTERNAL] = {"external-sender", "external sender", "{F}"},
    [RELAY_SENDER_OWN_DOMAIN] = {"own-domain-sender", "own-domain sender", "postmaster@{O}"},
    [RELAY_SENDER_IP_LITERAL] = {"ip-literal-sender", "IP-literal sender", "postmaster@{I}"},
};
_Static_assert(sizeof(relay_senders) / sizeof(relay_senders[0]) == RELAY_SENDER_COUNT,
               "one pattern per sender");

static const struct relay_pattern relay_forms[] = {
    [RELAY_FORM_PLAIN] = {"plain", "plain external recipient", "{L}@{D}"},
    [RELAY_FORM_PERCENT_LITERAL] = {"percent-hack-literal", "percent hack via address literal",
                                    "{L}%{D}@{I}"},
    [RELAY_FORM_PERCENT_HOST] = {"percent-hack-host", "percent hack via host name", "{L}%{D}@{H}"},
    [RELAY_FORM_QUOTED_AT] = {"quoted-at", "quoted local part with @", "\"{L}@{D}\""},
    [RELAY_FORM_QUOTED_PERCENT] = {"quoted-percent", "quoted local part with %", "\"{L}%{D}\""},
    [RELAY_FORM_QUOTED_AT_LITERAL] = {"quoted-at-literal",
                                      "quoted local part with @ via address literal",
                                      "\"{L}@{D}\"@{I}"},
    [RELAY_FORM_DOUBLE_AT_LITERAL] = {"double-at-literal", "double @ via address literal",
                                      "{L}@{D}@{I}"},
    [RELAY_FORM_DOUBLE_AT_HOST] = {"double-at-host", "double @ via host name", "{L}@{D}@{H}"},
    [RELAY_FORM_ROUTE_LITERAL] = {"source-route-literal", "source route via address literal",
                                  "@{I}:{L}@{D}"},
    [RELAY_FORM_ROUTE_HOST] = {"source-route-host", "source route via host name", "@{H}:{L}@{D}"},
    [RELAY_FORM_BANG] = {"bang-path", "bang path", "{D}!{L}"},
    [RELAY_FORM_BANG_LITERAL] = {"bang-path-literal", "bang path via address literal",
                                 "{D}!{L}@{I}"},
    [RELAY_FORM_BANG_HOST] = {"bang-path-host", "bang path via host name", "{D}!{L}@{H}"},
    [RELAY_FORM_TRAILING_DOT] = {"trailing-dot", "trailing dot", "{L}@{D}."},
    [RELAY_FORM_UPPER_CASE] = {"upper-case-domain", "upper-case domain", "{L}@{U}"},
};
_Static_assert(sizeof(relay_forms) / sizeof(relay_forms[0]) == RELAY_FORM_COUNT,
               "one pattern per recipient form");

static const struct relay_pattern relay_controls[] = {
    [RELAY_CONTROL_NX_LOCAL] = {"nx-local", "nonexistent local user", "{N}@{O}"},
    [RELAY_CONTROL_INVALID_DOMAIN] = {"invalid-domain", ".invalid domain", "{L}@{V}"},
};
_Static_assert(sizeof(relay_controls) / sizeof(relay_controls[0]) == RELAY_CONTROL_COUNT,
               "one pattern per control");

static const char *const relay_class_names[] = {
    [RELAY_CLASS_ACCEPTED] = "accepted",
    [RELAY_CLASS_UNVERIFIED] = "unverified",
    [RELAY_CLASS_TLS_REQUIRED] = "tls-required",
    [RELAY_CLASS_AUTH_REQUIRED] = "auth-required",
    [RELAY_CLASS_THROTTLED] = "throttled",
    [RELAY_CLASS_DEFERRED] = "deferred",
    [RELAY_CLASS_SYNTAX] = "syntax",
    [RELAY_CLASS_REJECTED] = "rejected",
};
_Static_assert(sizeof(relay_class_names) / sizeof(relay_class_names[0]) == RELAY_CLASS_COUNT,
               "one name per reply class");

const char *relay_battery_sender_name(enum relay_sender sender)
{
	assert(sender < RELAY_SENDER_COUNT);
	return relay_senders[sender].name;
}

const char *relay_battery_form_name(enum relay_form form)
{
	assert(form < RELAY_FORM_COUNT);
	return relay_forms[form].name;
}

const char *relay_battery_class_name(enum relay_class cls)
{
	assert(cls < RELAY_CLASS_COUNT);
	return relay_class_names[cls];
}

/* ---- attempts ---- */

static bool relay_is_control(int i)
{
	return i < RELAY_CONTROL_COUNT;
}

static int relay_attempt_index(int sender, int form)
{
	return RELAY_CONTROL_COUNT + sender * RELAY_FORM_COUNT + form;
}

static int relay_attempt_sender(int i)
{
	return (i - RELAY_CONTROL_COUNT) / RELAY_FORM_COUNT;
}

static int relay_attempt_form(int i)
{
	return (i - RELAY_CONTROL_COUNT) % RELAY_FORM_COUNT;
}

static const char *relay_recipient_pattern(int i)
{
	return relay_is_control(i) ? relay_controls[i].pattern
	                           : relay_forms[relay_attempt_form(i)].pattern;
}

static bool relay_accepted_class(int cls)
{
	return cls == RELAY_CLASS_ACCEPTED || cls == RELAY_CLASS_UNVERIFIED;
}

static bool relay_attempt_accepted(const struct relay_attempt *a)
{
	return a->status == RELAY_ATTEMPT_JUDGED && relay_accepted_class(a->cls);
}

/* Relay attempt i matches sender and form (-1: any). */
static bool relay_attempt_matches(int i, int sender, int form)
{
	return !relay_is_control(i) && (sender < 0 || relay_attempt_sender(i) == sender) &&
	       (form < 0 || relay_attempt_form(i) == form);
}

/* ---- addresses ---- */

static bool relay_needs_host(const char *pattern)
{
	return strstr(pattern, "{H}") != NULL || strstr(pattern, "{O}") != NULL;
}

/* An address part that can stand between < and > on a command line. */
static bool relay_text_ok(const char *text)
{
	for (const unsigned char *p = (const unsigned char *)text; *p; p++)
		if (*p <= ' ' || *p >= 0x7f || *p == '<' || *p == '>')
			return false;
	return true;
}

static const char *relay_placeholder(const struct relay_battery *b, char key, const char *local,
                                     const char *domain)
{
	switch (key) {
	case 'L':
		return local;
	case 'D':
	case 'U':
		return domain;
	case 'H':
		return b->host;
	case 'O':
		return b->own_domain;
	case 'I':
		return b->literal;
	case 'F':
		return b->from;
	case 'N':
		return b->nx_local;
	case 'V':
		return b->invalid_domain;
	}
	assert(!"unknown placeholder in an address pattern");
	return "";
}

/* Appends "<prefix><address>>" to buf; SA_ERROR_RANGE when it does not fit. */
static int relay_line(const struct relay_battery *b, const char *prefix, const char *pattern,
                      const char *local, const char *domain, char *buf, size_t len)
{
	size_t n = 0;
	for (const char *p = prefix; *p; p++) {
		if (n + 1 >= len)
			return SA_ERROR_RANGE;
		buf[n++] = *p;
	}
	for (const char *p = pattern; *p; p++) {
		char literal[2] = {*p, '\0'};
		const char *sub = literal;
		bool upper = false;
		if (p[0] == '{' && p[1] != '\0' && p[2] == '}') {
			sub = relay_placeholder(b, p[1], local, domain);
			upper = p[1] == 'U';
			p += 2;
		}
		for (; *sub; sub++) {
			if (n + 1 >= len)
				return SA_ERROR_RANGE;
			buf[n++] = upper ? (char)toupper((unsigned char)*sub) : *sub;
		}
	}
	if (n + 2 > len)
		return SA_ERROR_RANGE;
	buf[n++] = '>';
	buf[n] = '\0';
	return 0;
}

static void relay_mail_line(const struct relay_battery *b, int sender, char *buf, size_t len)
{
	int rc = relay_line(b, "MAIL FROM:<", relay_senders[sender].pattern, RELAY_LOCAL_PART,
	                    b->domain, buf, len);
	assert(rc == 0 && "init bounds every address");
	(void)rc;
}

static void relay_rcpt_line(const struct relay_battery *b, int i, char *buf, size_t len)
{
	int rc = relay_line(b, "RCPT TO:<", relay_recipient_pattern(i), RELAY_LOCAL_PART, b->domain,
	                    buf, len);
	assert(rc == 0 && "init bounds every address");
	(void)rc;
}

/* ---- kept replies ---- */

static void relay_keep_reply(struct smtp_reply *dst, const struct smtp_reply *src)
{
	struct smtp_reply kept = {.code = src->code, .wire_len = src->wire_len};
	size_t n = src->nlines;
	if (n > RELAY_KEEP_LINES)
		n = RELAY_KEEP_LINES;
	kept.lines = calloc(n, sizeof(*kept.lines));
	/* On allocation failure the lines kept so far stand: evidence, not control data. */
	for (size_t i = 0; kept.lines != NULL && i < n; i++) {
		kept.lines[i] = strndup(src->lines[i], RELAY_KEEP_LINE_LEN);
		if (kept.lines[i] == NULL)
			break;
		kept.nlines++;
	}
	smtp_reply_free(dst);
	*dst = kept;
}

/* First line of a kept reply for a reason text. */
static const char *relay_first_line(const struct smtp_reply *r)
{
	return r->nlines > 0 ? r->lines[0] : "";
}

/* ---- setting up ---- */

static int relay_copy_text(char *dst, size_t dstlen, const char *src)
{
	if (src == NULL || !relay_text_ok(src))
		return SA_ERROR_INVAL;
	if (strlen(src) >= dstlen)
		return SA_ERROR_RANGE;
	strcpy(dst, src);
	return 0;
}

static void relay_init_attempts(struct relay_battery *b, uint32_t senders, uint32_t forms)
{
	bool have_host = b->host[0] != '\0';
	for (int c = 0; c < RELAY_CONTROL_COUNT; c++)
		b->attempts[c].status = !have_host && relay_needs_host(relay_controls[c].pattern)
		                            ? RELAY_ATTEMPT_SKIPPED
		                            : RELAY_ATTEMPT_PENDING;
	for (int s = 0; s < RELAY_SENDER_COUNT; s++) {
		struct relay_sender_state *ss = &b->senders[s];
		if (!(senders & (1u << s)))
			ss->status = RELAY_MAIL_OFF;
		else if (!have_host && relay_needs_host(relay_senders[s].pattern))
			ss->status = RELAY_MAIL_SKIPPED;
		else
			ss->status = RELAY_MAIL_UNKNOWN;
		for (int f = 0; f < RELAY_FORM_COUNT; f++) {
			struct relay_attempt *a = &b->attempts[relay_attempt_index(s, f)];
			a->sender = (uint8_t)s;
			if (ss->status == RELAY_MAIL_OFF || !(forms & (1u << f)))
				a->status = RELAY_ATTEMPT_OFF;
			else if (ss->status == RELAY_MAIL_SKIPPED ||
			         (!have_host && relay_needs_host(relay_forms[f].pattern)))
				a->status = RELAY_ATTEMPT_SKIPPED;
			else
				a->status = RELAY_ATTEMPT_PENDING;
		}
	}
}

int relay_battery_init(struct relay_battery *b, const struct relay_battery_setup *setup)
{
	const struct probe_settings *set = setup->settings;
	const struct probe_target *t = setup->target;
	*b = (struct relay_battery){0};
	for (unsigned i = 0; i < PROBE_MAX_SLOTS; i++)
		b->slots[i].txn_sender = -1;
	if ((setup->senders & RELAY_SENDERS_ALL) == 0 || (setup->forms & RELAY_FORMS_ALL) == 0 ||
	    set->relay_domain == NULL || set->relay_domain[0] == '\0')
		return SA_ERROR_INVAL;
	int rc = relay_copy_text(b->domain, sizeof(b->domain), set->relay_domain);
	if (rc == 0)
		rc = relay_copy_text(b->from, sizeof(b->from), set->relay_from);
	if (rc == 0 && strlen(t->address) + sizeof("[IPv6:]") > sizeof(b->literal))
		rc = SA_ERROR_RANGE;
	if (rc != 0)
		return rc;
	smtp_addr_literal(t->address, t->family, b->literal, sizeof(b->literal));
	smtp_addr_server_name(setup->greeting, setup->caps, b->host, sizeof(b->host));
	if (b->host[0] != '\0')
		smtp_addr_domain_of(b->host, b->own_domain, sizeof(b->own_domain));
	snprintf(b->nx_local, sizeof(b->nx_local), "smtp-audit-nx-%016" PRIx64, setup->nonce);
	snprintf(b->invalid_domain, sizeof(b->invalid_domain), "smtp-audit-%016" PRIx64 ".invalid",
	         setup->nonce);
	relay_init_attempts(b, setup->senders, setup->forms);
	b->reconnects = setup->reconnects;
	b->pipelining = setup->caps != NULL && smtp_caps_has(setup->caps, SMTP_EXT_PIPELINING);
	return 0;
}

void relay_battery_free(struct relay_battery *b)
{
	for (int i = 0; i < RELAY_ATTEMPT_COUNT; i++)
		smtp_reply_free(&b->attempts[i].reply);
	for (int s = 0; s < RELAY_SENDER_COUNT; s++) {
		smtp_reply_free(&b->senders[s].mail_accepted);
		smtp_reply_free(&b->senders[s].mail_refused);
	}
}

void relay_battery_reset(struct relay_battery *b)
{
	relay_battery_free(b);
	for (int i = 0; i < RELAY_ATTEMPT_COUNT; i++) {
		struct relay_attempt *a = &b->attempts[i];
		if (a->status != RELAY_ATTEMPT_OFF && a->status != RELAY_ATTEMPT_SKIPPED)
			a->status = RELAY_ATTEMPT_PENDING;
		if (!relay_is_control(i))
			a->sender = (uint8_t)relay_attempt_sender(i);
	}
	for (int s = 0; s < RELAY_SENDER_COUNT; s++)
		if (b->senders[s].status != RELAY_MAIL_OFF &&
		    b->senders[s].status != RELAY_MAIL_SKIPPED)
			b->senders[s].status = RELAY_MAIL_UNKNOWN;
	relay_battery_session_start(b, b->slots[b->slot].tls, 0);
}

/* ---- sessions and flights ---- */

void relay_battery_use_slot(struct relay_battery *b, unsigned slot)
{
	assert(slot < PROBE_MAX_SLOTS);
	b->slot = slot;
}

void relay_battery_session_start(struct relay_battery *b, bool tls, unsigned errors)
{
	b->slots[b->slot] = (struct relay_slot){.tls = tls, .txn_sender = -1, .errors = errors};
}

/* Attempt i is in the flight of the current session. */
static bool relay_sent_here(const struct relay_battery *b, int i)
{
	return b->attempts[i].status == RELAY_ATTEMPT_SENT && b->attempts[i].slot == b->slot;
}

void relay_battery_session_lost(struct relay_battery *b)
{
	struct relay_slot *sl = &b->slots[b->slot];
	for (int i = 0; i < RELAY_ATTEMPT_COUNT; i++)
		if (relay_sent_here(b, i))
			b->attempts[i].status = RELAY_ATTEMPT_PENDING;
	sl->outstanding = 0;
	sl->txn_sender = -1;
}

static bool relay_sender_usable(const struct relay_battery *b, int s)
{
	return b->senders[s].status == RELAY_MAIL_UNKNOWN ||
	       b->senders[s].status == RELAY_MAIL_ACCEPTED;
}

static bool relay_sender_has_pending(const struct relay_battery *b, int s)
{
	for (int f = 0; f < RELAY_FORM_COUNT; f++)
		if (b->attempts[relay_attempt_index(s, f)].status == RELAY_ATTEMPT_PENDING)
			return true;
	return false;
}

static bool relay_controls_pending(const struct relay_battery *b)
{
	for (int c = 0; c < RELAY_CONTROL_COUNT; c++)
		if (b->attempts[c].status == RELAY_ATTEMPT_PENDING)
			return true;
	return false;
}

/*
 * The sender of the next transaction: the first with attempts left; when
 * only controls are left, the first whose MAIL was accepted; -1 when done.
 */
static int relay_pick_sender(const struct relay_battery *b)
{
	int for_controls = -1;
	for (int s = 0; s < RELAY_SENDER_COUNT; s++) {
		if (!relay_sender_usable(b, s))
			continue;
		if (relay_sender_has_pending(b, s))
			return s;
		if (for_controls < 0 && b->senders[s].status == RELAY_MAIL_ACCEPTED)
			for_controls = s;
	}
	return relay_controls_pending(b) ? for_controls : -1;
}

static struct relay_command *relay_flight_push(struct relay_flight *fl, int tag)
{
	assert(fl->n < RELAY_FLIGHT_MAX);
	struct relay_command *c = &fl->cmd[fl->n++];
	c->tag = tag;
	return c;
}

/* Queues RCPT i in the flight if the budget has room left. */
static void relay_flight_rcpt(struct relay_battery *b, struct relay_flight *fl, int i, int sender,
                              size_t *room)
{
	struct relay_attempt *a = &b->attempts[i];
	if (*room == 0 || a->status != RELAY_ATTEMPT_PENDING)
		return;
	relay_rcpt_line(b, i, relay_flight_push(fl, RELAY_TAG_RCPT + i)->line, RELAY_LINE_MAX);
	a->status = RELAY_ATTEMPT_SENT;
	a->sender = (uint8_t)sender;
	a->slot = (uint8_t)b->slot;
	(*room)--;
}

/* Queues sender s's transaction (RSET and MAIL unless it is the open one) within room. */
static void relay_flight_transaction(struct relay_battery *b, struct relay_flight *fl, int s,
                                     size_t *room)
{
	struct relay_slot *sl = &b->slots[b->slot];
	if (sl->txn_sender != s) {
		assert(*room >= 2 && "a MAIL goes with at least one RCPT");
		if (sl->mail_sent)
			strcpy(relay_flight_push(fl, RELAY_TAG_RSET)->line, "RSET");
		relay_mail_line(b, s, relay_flight_push(fl, RELAY_TAG_MAIL + s)->line,
		                RELAY_LINE_MAX);
		sl->mail_sent = true;
		sl->txn_sender = s;
		(*room)--;
	}
	for (int c = 0; c < RELAY_CONTROL_COUNT; c++)
		relay_flight_rcpt(b, fl, c, s, room);
	for (int f = 0; f < RELAY_FORM_COUNT; f++)
		relay_flight_rcpt(b, fl, relay_attempt_index(s, f), s, room);
}

static size_t relay_pending_count(const struct relay_battery *b)
{
	size_t n = 0;
	for (int i = 0; i < RELAY_ATTEMPT_COUNT; i++)
		n += b->attempts[i].status == RELAY_ATTEMPT_PENDING;
	return n;
}

/* Sessions needed for n attempts, a fresh one carrying one MAIL and the rest in RCPTs. */
static size_t relay_sessions_for(size_t n)
{
	size_t per_session = RELAY_MAX_ERRORS_PER_SESSION - 1;
	return (n + per_session - 1) / per_session;
}

size_t relay_battery_sessions_wanted(const struct relay_battery *b)
{
	return relay_sessions_for(relay_pending_count(b));
}

bool relay_battery_in_flight(const struct relay_battery *b)
{
	for (int i = 0; i < RELAY_ATTEMPT_COUNT; i++)
		if (b->attempts[i].status == RELAY_ATTEMPT_SENT)
			return true;
	return false;
}

/*
 * A follow-up flight of at most room attempts costs one round trip; a
 * fresh session three and carries a full flight: follow up only when
 * that spares a session.
 */
static bool relay_follow_up_pays(const struct relay_battery *b, size_t room)
{
	size_t pending = relay_pending_count(b);
	return room >= pending || relay_sessions_for(pending - room) < relay_sessions_for(pending);
}

enum relay_next relay_battery_next(struct relay_battery *b, struct relay_flight *fl)
{
	struct relay_slot *sl = &b->slots[b->slot];
	assert(sl->outstanding == 0);
	int s = relay_pick_sender(b);
	if (s < 0)
		return RELAY_NEXT_DONE;
	/* Worst case: every MAIL not yet accepted here refused, and every RCPT refused. */
	unsigned committed = sl->errors + (sl->txn_sender == s ? 0 : 1);
	if (committed >= RELAY_MAX_ERRORS_PER_SESSION)
		return RELAY_NEXT_RECONNECT;
	if (b->reconnects && b->pipelining && sl->flights > 0 &&
	    !relay_follow_up_pays(b, RELAY_MAX_ERRORS_PER_SESSION - committed))
		return RELAY_NEXT_RECONNECT;
	size_t room = RELAY_MAX_ERRORS_PER_SESSION - sl->errors;
	fl->n = 0;
	do {
		relay_flight_transaction(b, fl, s, &room);
		s = relay_pick_sender(b);
	} while (b->reconnects && s >= 0 && room >= 2);
	sl->outstanding = (unsigned)fl->n;
	sl->flights++;
	return RELAY_NEXT_FLIGHT;
}

bool relay_battery_owns_tag(int tag)
{
	return tag >= RELAY_BATTERY_TAG_FIRST && tag <= RELAY_BATTERY_TAG_LAST;
}

bool relay_battery_flight_done(const struct relay_battery *b)
{
	return b->slots[b->slot].outstanding == 0;
}

unsigned relay_battery_session_errors(const struct relay_battery *b)
{
	return b->slots[b->slot].errors;
}

size_t relay_battery_session_judged(const struct relay_battery *b)
{
	return b->slots[b->slot].judged;
}

/* ---- replies ---- */

static bool relay_reply_mentions(const struct smtp_reply *r, const char *word)
{
	for (size_t i = 0; i < r->nlines; i++)
		if (strcasestr(r->lines[i], word) != NULL)
			return true;
	return false;
}

enum relay_class relay_battery_classify(const struct smtp_reply *r)
{
	char enhanced[16];
	/* ".7.0" of "5.7.0": the subject and detail, whatever the class digit. */
	const char *detail = smtp_reply_enhanced(r, enhanced, sizeof(enhanced)) ? enhanced + 1 : "";
	int cls = smtp_reply_class(r);
	if (cls == 2)
		return r->code == 252 ? RELAY_CLASS_UNVERIFIED : RELAY_CLASS_ACCEPTED;
	if (cls != 4 && cls != 5)
		return RELAY_CLASS_REJECTED; /* a 3xx to MAIL or RCPT accepts nothing */
	if (r->code == 421)
		return RELAY_CLASS_THROTTLED;
	bool security = r->code == 530 || strcmp(detail, ".7.0") == 0;
	if (relay_reply_mentions(r, "STARTTLS") || strcmp(detail, ".7.10") == 0 ||
	    (security && relay_reply_mentions(r, "TLS")))
		return RELAY_CLASS_TLS_REQUIRED;
	if (r->code == 530 || strcmp(detail, ".7.57") == 0 ||
	    ((security || strcmp(detail, ".7.1") == 0) && relay_reply_mentions(r, "authenticat")))
		return RELAY_CLASS_AUTH_REQUIRED;
	if (cls == 4)
		return RELAY_CLASS_DEFERRED;
	switch (r->code) {
	case 500:
	case 501:
	case 502:
	case 503:
	case 504:
	case 555:
		return RELAY_CLASS_SYNTAX;
	default:
		return RELAY_CLASS_REJECTED;
	}
}

static enum relay_event relay_on_mail(struct relay_battery *b, int s, enum relay_class cls,
                                      const struct smtp_reply *r)
{
	struct relay_sender_state *ss = &b->senders[s];
	if (relay_accepted_class(cls)) {
		relay_keep_reply(&ss->mail_accepted, r);
		ss->status = RELAY_MAIL_ACCEPTED;
		return RELAY_EVENT_NONE;
	}
	relay_keep_reply(&ss->mail_refused, r);
	ss->status = RELAY_MAIL_REFUSED;
	if (b->slots[b->slot].txn_sender == s)
		b->slots[b->slot].txn_sender = -1; /* a later MAIL of the flight may open another */
	/* Its RCPTs will be answered 503: controls wait for the next sender. */
	for (int i = 0; i < RELAY_ATTEMPT_COUNT; i++) {
		struct relay_attempt *a = &b->attempts[i];
		if (relay_is_control(i) && relay_sent_here(b, i))
			a->status = RELAY_ATTEMPT_PENDING;
		else if (relay_attempt_matches(i, s, -1) &&
		         (a->status == RELAY_ATTEMPT_SENT || a->status == RELAY_ATTEMPT_PENDING))
			a->status = RELAY_ATTEMPT_UNJUDGED;
	}
	return cls == RELAY_CLASS_AUTH_REQUIRED ? RELAY_EVENT_AUTH_REQUIRED : RELAY_EVENT_NONE;
}

static void relay_on_rcpt(struct relay_battery *b, int i, enum relay_class cls,
                          const struct smtp_reply *r)
{
	struct relay_attempt *a = &b->attempts[i];
	if (!relay_sent_here(b, i))
		return; /* settled when its MAIL was refused, or planned again after a reset */
	a->status = RELAY_ATTEMPT_JUDGED;
	a->cls = (uint8_t)cls;
	b->slots[b->slot].judged++;
	if (relay_is_control(i) || relay_accepted_class(cls))
		relay_keep_reply(&a->reply, r);
}

enum relay_event relay_battery_on_reply(struct relay_battery *b, int tag,
                                        const struct smtp_reply *r)
{
	struct relay_slot *sl = &b->slots[b->slot];
	assert(relay_battery_owns_tag(tag) && sl->outstanding > 0);
	sl->outstanding--;
	enum relay_class cls = relay_battery_classify(r);
	if (cls == RELAY_CLASS_TLS_REQUIRED && sl->tls)
		cls = RELAY_CLASS_REJECTED; /* already encrypted: just a refusal */
	if (!relay_accepted_class(cls))
		sl->errors++;
	if (cls == RELAY_CLASS_THROTTLED)
		return RELAY_EVENT_THROTTLED;
	if (cls == RELAY_CLASS_TLS_REQUIRED)
		return RELAY_EVENT_TLS_REQUIRED;
	if (tag >= RELAY_TAG_RCPT) {
		assert(tag - RELAY_TAG_RCPT < RELAY_ATTEMPT_COUNT);
		relay_on_rcpt(b, tag - RELAY_TAG_RCPT, cls, r);
	} else if (tag >= RELAY_TAG_MAIL) {
		assert(tag - RELAY_TAG_MAIL < RELAY_SENDER_COUNT);
		return relay_on_mail(b, tag - RELAY_TAG_MAIL, cls, r);
	}
	return RELAY_EVENT_NONE;
}

/* ---- the verdict ---- */

static void relay_count(const struct relay_battery *b, struct relay_judgement *j)
{
	for (int i = 0; i < RELAY_ATTEMPT_COUNT; i++) {
		const struct relay_attempt *a = &b->attempts[i];
		if (a->status == RELAY_ATTEMPT_OFF)
			continue;
		if (relay_is_control(i)) {
			j->controls += a->status != RELAY_ATTEMPT_SKIPPED;
			j->controls_judged += a->status == RELAY_ATTEMPT_JUDGED;
			j->controls_accepted += relay_attempt_accepted(a);
			continue;
		}
		if (a->status == RELAY_ATTEMPT_SKIPPED) {
			j->skipped++;
			continue;
		}
		j->planned++;
		j->sender_refused += a->status == RELAY_ATTEMPT_UNJUDGED;
		if (a->status != RELAY_ATTEMPT_JUDGED)
			continue;
		j->judged++;
		j->accepted += relay_accepted_class(a->cls);
		j->unverified += a->cls == RELAY_CLASS_UNVERIFIED;
		j->deferred += a->cls == RELAY_CLASS_DEFERRED;
		j->syntax += a->cls == RELAY_CLASS_SYNTAX;
		j->auth_required += a->cls == RELAY_CLASS_AUTH_REQUIRED;
	}
	j->refused = j->judged - j->accepted - j->deferred;
}

/* No recipient was accepted and every refusal asked for authentication. */
static bool relay_auth_everywhere(const struct relay_battery *b)
{
	bool seen = false;
	for (int i = 0; i < RELAY_ATTEMPT_COUNT; i++) {
		const struct relay_attempt *a = &b->attempts[i];
		if (a->status != RELAY_ATTEMPT_JUDGED)
			continue;
		if (a->cls != RELAY_CLASS_AUTH_REQUIRED)
			return false;
		seen = true;
	}
	for (int s = 0; s < RELAY_SENDER_COUNT; s++)
		if (b->senders[s].status == RELAY_MAIL_REFUSED)
			seen |= relay_battery_classify(&b->senders[s].mail_refused) ==
			        RELAY_CLASS_AUTH_REQUIRED;
	return seen;
}

/* "percent hack via address literal, bang path" for the accepted forms. */
static void relay_add_accepted_forms(const struct relay_battery *b, struct text_buf *t)
{
	const char *sep = "";
	for (int f = 0; f < RELAY_FORM_COUNT; f++) {
		if (relay_battery_count_accepted(b, -1, f) == 0)
			continue;
		text_buf_add(t, "%s%s", sep, relay_forms[f].phrase);
		sep = ", ";
	}
}

static void relay_add_controls_note(const struct relay_judgement *j, struct text_buf *t)
{
	if (j->controls_judged == 0)
		text_buf_add(t, "; controls not judged");
	else if (j->controls_accepted == 0)
		text_buf_add(t, "; controls rejected");
	else if (j->controls_accepted == j->controls_judged)
		text_buf_add(t, "; controls accepted");
	else
		text_buf_add(t, "; %zu of %zu controls rejected",
		               j->controls_judged - j->controls_accepted, j->controls_judged);
}

static void relay_add_notes(const struct relay_battery *b, const struct relay_judgement *j,
                            struct text_buf *t)
{
	if (j->unverified > 0)
		text_buf_add(t, "; %zu accepted with 252 (unverified)", j->unverified);
	if (j->deferred > 0 && j->deferred < j->judged)
		text_buf_add(t, "; %zu deferred (4xx)", j->deferred);
	for (int s = 0; s < RELAY_SENDER_COUNT; s++) {
		const struct relay_sender_state *ss = &b->senders[s];
		if (ss->status == RELAY_MAIL_REFUSED)
			text_buf_add(t, "; %s refused at MAIL FROM (%d %.80s)",
			               relay_senders[s].phrase, ss->mail_refused.code,
			               relay_first_line(&ss->mail_refused));
	}
	if (j->skipped > 0 || j->controls < RELAY_CONTROL_COUNT)
		text_buf_add(t,
		               "; no server host name in greeting or EHLO: %zu attempts and %d "
		               "control(s) needing one skipped",
		               j->skipped, RELAY_CONTROL_COUNT - (int)j->controls);
}

static enum verdict relay_decide(const struct relay_battery *b, const struct relay_judgement *j,
                                 bool complete, struct text_buf *t)
{
	if (j->accepted > 0) {
		text_buf_add(t, "%zu of %zu relay attempts accepted (", j->accepted, j->planned);
		relay_add_accepted_forms(b, t);
		text_buf_add(t, ")");
		if (j->controls_judged > j->controls_accepted) {
			relay_add_controls_note(j, t);
			return VERDICT_VULNERABLE;
		}
		if (j->controls_accepted > 0) {
			text_buf_add(t,
			               "; but the controls were accepted too: the server accepts "
			               "every recipient at RCPT time");
			return VERDICT_SUSPECTED;
		}
		text_buf_add(t, "; but no control could be judged");
		return VERDICT_INCONCLUSIVE;
	}
	if (!complete) {
		text_buf_add(
		    t, "battery incomplete: %zu of %zu relay attempts judged, none accepted",
		    j->judged, j->planned);
		return VERDICT_INCONCLUSIVE;
	}
	if (relay_auth_everywhere(b)) {
		text_buf_add(t, "authentication required before any recipient is accepted");
		return VERDICT_INCONCLUSIVE;
	}
	if (j->judged == 0) {
		text_buf_add(t, "no relay attempt could be judged");
		return VERDICT_INCONCLUSIVE;
	}
	if (j->refused == 0) {
		text_buf_add(t, "every judged relay attempt was only deferred (4xx)");
		return VERDICT_INCONCLUSIVE;
	}
	text_buf_add(t, "0 of %zu relay attempts accepted (%zu refused", j->planned, j->refused);
	if (j->syntax > 0)
		text_buf_add(t, ", %zu of them as syntax errors", j->syntax);
	text_buf_add(t, ")");
	relay_add_controls_note(j, t);
	return VERDICT_NOT_VULNERABLE;
}

void relay_battery_judge(const struct relay_battery *b, bool complete, struct relay_judgement *out)
{
	*out = (struct relay_judgement){0};
	struct text_buf t;
	text_buf_init(&t, out->reason, sizeof(out->reason));
	relay_count(b, out);
	out->verdict = relay_decide(b, out, complete, &t);
	relay_add_notes(b, out, &t);
}

/* ---- evidence ---- */

size_t relay_battery_count_accepted(const struct relay_battery *b, int sender, int form)
{
	size_t n = 0;
	for (int i = 0; i < RELAY_ATTEMPT_COUNT; i++)
		n += relay_attempt_matches(i, sender, form) &&
		     relay_attempt_accepted(&b->attempts[i]);
	return n;
}

static int relay_add_attempt(const struct relay_battery *b, int i, struct finding *f)
{
	const struct relay_attempt *a = &b->attempts[i];
	char line[RELAY_LINE_MAX];
	relay_mail_line(b, a->sender, line, sizeof(line));
	int rc = finding_add_exchange(f, line, &b->senders[a->sender].mail_accepted);
	relay_rcpt_line(b, i, line, sizeof(line));
	if (rc == 0)
		rc = finding_add_exchange(f, line, &a->reply);
	if (rc == 0 && a->cls == RELAY_CLASS_UNVERIFIED)
		rc = finding_add_evidence(f, EVIDENCE_NOTE,
		                          "252: accepted without verifying the recipient");
	return rc;
}

int relay_battery_add_accepted(const struct relay_battery *b, int sender, int form,
                               struct finding *f)
{
	for (int i = 0; i < RELAY_ATTEMPT_COUNT; i++) {
		if (!relay_attempt_matches(i, sender, form) ||
		    !relay_attempt_accepted(&b->attempts[i]))
			continue;
		int rc = relay_add_attempt(b, i, f);
		if (rc != 0)
			return rc;
	}
	return 0;
}

int relay_battery_add_controls(const struct relay_battery *b, struct finding *f)
{
	for (int c = 0; c < RELAY_CONTROL_COUNT; c++) {
		if (b->attempts[c].status != RELAY_ATTEMPT_JUDGED)
			continue;
		char note[96];
		snprintf(note, sizeof(note), "control: %s", relay_controls[c].phrase);
		int rc = finding_add_evidence(f, EVIDENCE_NOTE, note);
		if (rc == 0)
			rc = relay_add_attempt(b, c, f);
		if (rc != 0)
			return rc;
	}
	return 0;
}

int relay_battery_first_accepted(const struct relay_battery *b)
{
	for (int i = RELAY_CONTROL_COUNT; i < RELAY_ATTEMPT_COUNT; i++)
		if (relay_attempt_accepted(&b->attempts[i]))
			return i;
	return -1;
}

int relay_battery_path_lines(const struct relay_battery *b, int attempt, const char *local,
                             const char *domain, char *mail, char *rcpt, size_t len)
{
	assert(attempt >= RELAY_CONTROL_COUNT && attempt < RELAY_ATTEMPT_COUNT);
	int rc = relay_line(b, "MAIL FROM:<", relay_senders[relay_attempt_sender(attempt)].pattern,
	                    local, domain, mail, len);
	if (rc == 0)
		rc = relay_line(b, "RCPT TO:<", relay_recipient_pattern(attempt), local, domain,
		                rcpt, len);
	return rc;
}
