/*
 * NAME
 *	user_enum - do VRFY, EXPN or RCPT tell which user names exist?
 *
 * DESCRIPTION
 *	Sends, method after method, a control first and then the user names
 *	(N = smtp-audit-nx-HEX, a made-up user; U = postmaster, then the
 *	built-in names or those of --users; D1..Dk = candidate local domains;
 *	D = the first of them whose postmaster is accepted):
 *
 *	  VRFY N                                 then VRFY U for every user
 *	  EXPN N                                 then EXPN U for every user
 *	  MAIL FROM:<>
 *	  RCPT TO:<postmaster@D1> ... <postmaster@Dk>
 *	  RCPT TO:<N@D>                          then RCPT TO:<U@D> for every user
 *
 *	The users are asked only when the control's answer leaves the
 *	question open (enum_verdict_needs_users): a method whose control is
 *	accepted (accept-all), disabled (500, 502), deferred or refused for
 *	TLS or authentication is decided by the control alone. VRFY and EXPN
 *	name bare local parts, which every server resolves in its own
 *	domain; when the control draws a syntax or form error (501, 504:
 *	Postfix's reject_non_fqdn_recipient applies to VRFY too) the method
 *	starts over with local@D1. Candidate
 *	domains, in this order: the parent domain of the host name in the
 *	greeting and that host name, the same for the EHLO name, and the
 *	address literal of the connection. No domain whose postmaster is
 *	accepted: RCPT is inconclusive.
 *
 *	Sessions. No session may collect more than USER_ENUM_MAX_ERRORS
 *	refusals (4xx and 5xx): a flight is planned so that even if every
 *	command in it were refused the session stays within that budget, and
 *	when nothing more fits the probe goes on in a new session, never
 *	asking an answered question again (Postfix slows every reply down
 *	after smtpd_soft_error_limit = 10 errors and disconnects after 20;
 *	it also counts VRFY as a junk command, so a session carries at most
 *	USER_ENUM_MAX_COMMANDS commands). A session lost to 421, a timeout or
 *	a close is resumed the same way; the probe stops after
 *	USER_ENUM_MAX_LOST lost sessions and judges what it has. A command
 *	refused until STARTTLS is asked again in sessions that begin with
 *	STARTTLS, when the server offers it.
 *
 *	Vulnerable: a method leaks when some user's answer ranks above the
 *	control's (enum_verdict.h): VRFY 250 or 252 for root against 550 for
 *	the control, RCPT 250 for postmaster against 550 5.1.10 for the
 *	control, EXPN listing a mailing list. One finding per leaking method,
 *	SMTP-ENUM-001 (VRFY), -002 (EXPN), -003 (RCPT), its evidence the
 *	exchange for one user told apart (another than postmaster when there
 *	is one) and for the control, and a note naming at most
 *	USER_ENUM_SAMPLE of them with their number: a sample, not a dump.
 *
 *	False positives avoided: 252 "cannot verify" for everyone, a server
 *	that accepts the made-up user as well (and bounces later), a disabled
 *	command and a server that refuses everyone are not leaks. Not
 *	vulnerable needs every method judged; a method that could not be
 *	judged (MAIL FROM refused, no local domain, authentication required,
 *	only 4xx, sessions lost) makes the verdict inconclusive unless
 *	another method leaks.
 *
 *	Never: DATA or any message, AUTH, a sender other than the null one,
 *	or a domain the server did not name itself (or its address).
 *
 *	References: RFC 5321 sections 3.5 (VRFY and EXPN), 4.1.1.6, 4.1.1.7,
 *	4.5.1 (postmaster) and 7.3 (VRFY, EXPN and security); RFC 2505
 *	(BCP 30); CWE-204.
 */
#include <assert.h>
#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "enum_verdict.h"
#include "probe.h"
#include "smtp_addr.h"
#include "text_buf.h"

#define USER_ENUM_MAX_USERS    64 /* postmaster included */
#define USER_ENUM_MAX_DOMAINS  5
#define USER_ENUM_MAX_ERRORS   8  /* refusals one session may collect */
#define USER_ENUM_MAX_COMMANDS 50 /* commands in one session */
#define USER_ENUM_MAX_LOST     3  /* sessions lost before the probe stops */
#define USER_ENUM_SAMPLE       5  /* user names shown in evidence */
#define USER_ENUM_KEEP_LINES   6  /* lines of a reply kept as evidence */
#define USER_ENUM_LOCAL_MAX    64 /* RFC 5321 section 4.5.3.1.1 */
#define USER_ENUM_DOMAIN_MAX   256
#define USER_ENUM_LINE_MAX     (sizeof("RCPT TO:<@>") + USER_ENUM_LOCAL_MAX + USER_ENUM_DOMAIN_MAX)
#define USER_ENUM_REASON_MAX   1024

#define USER_ENUM_POSTMASTER "postmaster"

#define USER_ENUM_TAG_STARTTLS 1
/* A question's tag: its method, kind and index. */
#define USER_ENUM_TAG(method, kind, index) (0x1000 | (method) << 10 | (kind) << 8 | (int)(index))
#define USER_ENUM_TAG_METHOD(tag)          (((tag) >> 10) & 3)
#define USER_ENUM_TAG_KIND(tag)            (((tag) >> 8) & 3)
#define USER_ENUM_TAG_INDEX(tag)           ((size_t)((tag)&0xff))

enum user_enum_method { USER_ENUM_VRFY, USER_ENUM_EXPN, USER_ENUM_RCPT, USER_ENUM_METHOD_COUNT };

enum user_enum_kind {
	USER_ENUM_KIND_MAIL,    /* MAIL FROM:<> before the RCPTs */
	USER_ENUM_KIND_DOMAIN,  /* RCPT TO:<postmaster@candidate domain> */
	USER_ENUM_KIND_CONTROL, /* the made-up user */
	USER_ENUM_KIND_USER,
};

_Static_assert(USER_ENUM_METHOD_COUNT <= 4 && USER_ENUM_KIND_USER <= 3, "tag fields are 2 bits");
_Static_assert(USER_ENUM_MAX_USERS <= 256 && USER_ENUM_MAX_DOMAINS <= 256, "tag index is 8 bits");

enum user_enum_phase {
	USER_ENUM_PHASE_DOMAINS, /* RCPT: which domain takes postmaster? */
	USER_ENUM_PHASE_CONTROL,
	USER_ENUM_PHASE_USERS,
	USER_ENUM_PHASE_DONE,
};

enum user_enum_status {
	USER_ENUM_PENDING,
	USER_ENUM_SENT,
	USER_ENUM_ANSWERED,
};

static const char *const user_enum_verbs[] = {
    [USER_ENUM_VRFY] = "VRFY",
    [USER_ENUM_EXPN] = "EXPN",
    [USER_ENUM_RCPT] = "RCPT",
};
_Static_assert(sizeof(user_enum_verbs) / sizeof(user_enum_verbs[0]) == USER_ENUM_METHOD_COUNT,
               "one verb per method");

static const enum catalog_id user_enum_ids[] = {
    [USER_ENUM_VRFY] = CATALOG_ENUM_VRFY,
    [USER_ENUM_EXPN] = CATALOG_ENUM_EXPN,
    [USER_ENUM_RCPT] = CATALOG_ENUM_RCPT,
};
_Static_assert(sizeof(user_enum_ids) / sizeof(user_enum_ids[0]) == USER_ENUM_METHOD_COUNT,
               "one finding per method");

/* Local parts many servers have; postmaster (RFC 5321 section 4.5.1) leads every list. */
static const char *const user_enum_builtin[] = {
    USER_ENUM_POSTMASTER, "root", "admin", "administrator", "abuse",   "webmaster",
    "hostmaster",         "info", "mail",  "test",          "support", "sales",
};

/* Questions of one kind: control uses [0], domains [0, ndomains), users [0, nusers). */
struct user_enum_asks {
	uint8_t status[USER_ENUM_MAX_USERS]; /* enum user_enum_status */
	uint8_t answer[USER_ENUM_MAX_USERS]; /* enum enum_answer */
};

/* A reply kept as evidence: its first lines, and how many it had. */
struct user_enum_kept {
	struct smtp_reply reply;
	size_t nlines;
};

struct user_enum_method_state {
	enum user_enum_phase phase;
	struct user_enum_asks control, domains, users;
	int domain;        /* RCPT: the local domain, -1 while none */
	int sample;        /* user whose reply is kept, -1 while none */
	bool qualified;    /* VRFY, EXPN: names as local@domain */
	bool mail_refused; /* RCPT: MAIL FROM:<> refused */
	struct user_enum_kept control_reply;
	struct user_enum_kept sample_reply;
	struct user_enum_kept blocker; /* RCPT: the MAIL refusal, or the first domain refusal */
	struct enum_verdict_tally tally;
};

struct user_enum_state {
	bool ready;
	char control[40]; /* the made-up local part */
	const char *users[USER_ENUM_MAX_USERS];
	size_t nusers;
	size_t unusable; /* --users names that are not plain local parts */
	size_t dropped;  /* --users names beyond USER_ENUM_MAX_USERS */
	char domains[USER_ENUM_MAX_DOMAINS][USER_ENUM_DOMAIN_MAX];
	size_t ndomains;
	int method; /* the method being asked; USER_ENUM_METHOD_COUNT when all are done */
	struct user_enum_method_state m[USER_ENUM_METHOD_COUNT];
	struct user_enum_kept mail_reply; /* MAIL FROM:<> accepted, for evidence */
	bool tls_first;                   /* sessions begin with STARTTLS */
	bool tls_failed;                  /* ... which did not work: go on in cleartext */
	char tls_note[160];
	unsigned sessions, lost;
	/* the current session */
	unsigned errors, commands, outstanding;
	bool mail_open;
	bool need_tls; /* a question was refused until STARTTLS */
};

static void user_enum_next(struct probe_ctx *ctx, struct user_enum_state *st);

/* ---- replies kept as evidence ---- */

static void user_enum_keep(struct user_enum_kept *k, const struct smtp_reply *r)
{
	struct smtp_reply head = *r;
	if (head.nlines > USER_ENUM_KEEP_LINES)
		head.nlines = USER_ENUM_KEEP_LINES;
	smtp_reply_free(&k->reply);
	/* On allocation failure the reply is simply not shown: evidence, not control data. */
	smtp_reply_copy(&k->reply, &head);
	k->nlines = r->nlines;
}

static void user_enum_release(struct user_enum_kept *k)
{
	smtp_reply_free(&k->reply);
}

/* "550 5.1.1 <x>: Recipient address rejected: User unknown", cut short. */
static const char *user_enum_reply_text(const struct user_enum_kept *k, char *buf, size_t len)
{
	if (k->reply.nlines == 0)
		snprintf(buf, len, "reply not kept");
	else
		snprintf(buf, len, "%d %.80s", k->reply.code, k->reply.lines[0]);
	return buf;
}

/* ---- users and domains ---- */

/* A plain local part: safe on a command line and in an address, no routing characters. */
static bool user_enum_usable(const char *name)
{
	size_t n = strlen(name);
	if (n == 0 || n > USER_ENUM_LOCAL_MAX || name[0] == '.' || name[n - 1] == '.' ||
	    strstr(name, "..") != NULL)
		return false;
	for (const unsigned char *p = (const unsigned char *)name; *p; p++)
		if (!isalnum(*p) && strchr("._-+", *p) == NULL)
			return false;
	return true;
}

static bool user_enum_listed(const struct user_enum_state *st, const char *name)
{
	for (size_t i = 0; i < st->nusers; i++)
		if (strcasecmp(st->users[i], name) == 0)
			return true;
	return false;
}

static void user_enum_take_users(const struct probe_settings *set, struct user_enum_state *st)
{
	const char *const *names = user_enum_builtin;
	size_t n = sizeof(user_enum_builtin) / sizeof(user_enum_builtin[0]);
	if (set->users != NULL && set->nusers > 0) {
		names = set->users;
		n = set->nusers;
	}
	st->users[st->nusers++] = USER_ENUM_POSTMASTER;
	for (size_t i = 0; i < n; i++) {
		if (!user_enum_usable(names[i]))
			st->unusable++;
		else if (user_enum_listed(st, names[i]))
			continue;
		else if (st->nusers == USER_ENUM_MAX_USERS)
			st->dropped++;
		else
			st->users[st->nusers++] = names[i];
	}
}

static void user_enum_add_domain(struct user_enum_state *st, const char *domain)
{
	if (domain[0] == '\0' || st->ndomains == USER_ENUM_MAX_DOMAINS)
		return;
	for (size_t i = 0; i < st->ndomains; i++)
		if (strcmp(st->domains[i], domain) == 0)
			return;
	snprintf(st->domains[st->ndomains++], USER_ENUM_DOMAIN_MAX, "%s", domain);
}

/* A host name and its parent domain, parent first: mail is addressed to the domain. */
static void user_enum_add_host(struct user_enum_state *st, const char *host)
{
	char parent[USER_ENUM_DOMAIN_MAX];
	if (host[0] == '\0')
		return;
	user_enum_add_domain(st, smtp_addr_domain_of(host, parent, sizeof(parent)));
	user_enum_add_domain(st, host);
}

static void user_enum_find_domains(const struct probe_ctx *ctx, struct user_enum_state *st)
{
	const struct probe_target *t = probe_target(ctx);
	const struct smtp_caps *caps = probe_caps(ctx);
	char name[USER_ENUM_DOMAIN_MAX];
	char literal[64];
	user_enum_add_host(st,
	                   smtp_addr_server_name(probe_greeting(ctx), NULL, name, sizeof(name)));
	if (caps != NULL)
		user_enum_add_host(st, smtp_addr_server_name(NULL, caps, name, sizeof(name)));
	user_enum_add_domain(st,
	                     smtp_addr_literal(t->address, t->family, literal, sizeof(literal)));
}

static void user_enum_prepare(struct probe_ctx *ctx, struct user_enum_state *st)
{
	snprintf(st->control, sizeof(st->control), "smtp-audit-nx-%016" PRIx64, probe_random(ctx));
	user_enum_take_users(probe_settings(ctx), st);
	user_enum_find_domains(ctx, st);
	for (int m = 0; m < USER_ENUM_METHOD_COUNT; m++) {
		struct user_enum_method_state *ms = &st->m[m];
		ms->phase = m == USER_ENUM_RCPT ? USER_ENUM_PHASE_DOMAINS : USER_ENUM_PHASE_CONTROL;
		ms->domain = -1;
		ms->sample = -1;
	}
	st->ready = true;
}

/* ---- questions ---- */

static struct user_enum_asks *user_enum_asks_of(struct user_enum_method_state *ms,
                                                enum user_enum_kind kind)
{
	switch (kind) {
	case USER_ENUM_KIND_DOMAIN:
		return &ms->domains;
	case USER_ENUM_KIND_CONTROL:
		return &ms->control;
	case USER_ENUM_KIND_USER:
		return &ms->users;
	case USER_ENUM_KIND_MAIL:
		break;
	}
	assert(!"MAIL FROM is no question");
	return NULL;
}

static enum user_enum_kind user_enum_phase_kind(enum user_enum_phase phase)
{
	switch (phase) {
	case USER_ENUM_PHASE_DOMAINS:
		return USER_ENUM_KIND_DOMAIN;
	case USER_ENUM_PHASE_CONTROL:
		return USER_ENUM_KIND_CONTROL;
	case USER_ENUM_PHASE_USERS:
		return USER_ENUM_KIND_USER;
	case USER_ENUM_PHASE_DONE:
		break;
	}
	assert(!"a finished method asks nothing");
	return USER_ENUM_KIND_USER;
}

static size_t user_enum_count(const struct user_enum_state *st, enum user_enum_kind kind)
{
	return kind == USER_ENUM_KIND_DOMAIN    ? st->ndomains
	       : kind == USER_ENUM_KIND_CONTROL ? 1
	                                        : st->nusers;
}

/* The command line of a question. */
static void user_enum_line(const struct user_enum_state *st, int method, enum user_enum_kind kind,
                           size_t i, char *buf, size_t len)
{
	const char *local = kind == USER_ENUM_KIND_CONTROL  ? st->control
	                    : kind == USER_ENUM_KIND_DOMAIN ? USER_ENUM_POSTMASTER
	                                                    : st->users[i];
	const struct user_enum_method_state *ms = &st->m[method];
	if (method != USER_ENUM_RCPT) {
		snprintf(buf, len, "%s %s%s%s", user_enum_verbs[method], local,
		         ms->qualified ? "@" : "", ms->qualified ? st->domains[0] : "");
		return;
	}
	size_t d = kind == USER_ENUM_KIND_DOMAIN ? i : (size_t)ms->domain;
	assert(d < st->ndomains);
	snprintf(buf, len, "RCPT TO:<%s@%s>", local, st->domains[d]);
}

static bool user_enum_phase_pending(const struct user_enum_state *st,
                                    struct user_enum_method_state *ms)
{
	enum user_enum_kind kind = user_enum_phase_kind(ms->phase);
	const struct user_enum_asks *a = user_enum_asks_of(ms, kind);
	for (size_t i = 0; i < user_enum_count(st, kind); i++)
		if (a->status[i] != USER_ENUM_ANSWERED)
			return true;
	return false;
}

/* The session ended: questions that got no answer are asked again. */
static void user_enum_unsend(struct user_enum_method_state *ms)
{
	struct user_enum_asks *all[] = {&ms->domains, &ms->control, &ms->users};
	for (size_t k = 0; k < sizeof(all) / sizeof(all[0]); k++)
		for (size_t i = 0; i < USER_ENUM_MAX_USERS; i++)
			if (all[k]->status[i] == USER_ENUM_SENT)
				all[k]->status[i] = USER_ENUM_PENDING;
}

/* The phase's questions are all answered: what comes next. */
static void user_enum_advance(struct user_enum_state *st, struct user_enum_method_state *ms)
{
	switch (ms->phase) {
	case USER_ENUM_PHASE_DOMAINS:
		for (size_t d = 0; d < st->ndomains && ms->domain < 0; d++)
			if (enum_verdict_positive(ms->domains.answer[d]))
				ms->domain = (int)d;
		if (ms->domain < 0) {
			ms->phase = USER_ENUM_PHASE_DONE;
			return;
		}
		/* postmaster at that domain is the first user, already answered. */
		ms->users.status[0] = USER_ENUM_ANSWERED;
		ms->users.answer[0] = ms->domains.answer[ms->domain];
		ms->phase = USER_ENUM_PHASE_CONTROL;
		return;
	case USER_ENUM_PHASE_CONTROL:
		ms->phase = enum_verdict_needs_users(ms->control.answer[0]) ? USER_ENUM_PHASE_USERS
		                                                            : USER_ENUM_PHASE_DONE;
		return;
	case USER_ENUM_PHASE_USERS:
		ms->phase = USER_ENUM_PHASE_DONE;
		return;
	case USER_ENUM_PHASE_DONE:
		break;
	}
	assert(!"a finished method does not advance");
}

/* ---- concluding ---- */

/* "postmaster, root, admin, abuse, mail and 3 more" for the users told apart. */
static void user_enum_add_names(const struct user_enum_state *st,
                                const struct user_enum_method_state *ms, struct text_buf *t)
{
	size_t shown = 0;
	for (size_t i = 0; i < st->nusers && shown < USER_ENUM_SAMPLE; i++) {
		if (!enum_verdict_reveals(ms->control.answer[0], ms->users.answer[i]))
			continue;
		text_buf_add(t, "%s%s", shown > 0 ? ", " : "", st->users[i]);
		shown++;
	}
	if (ms->tally.revealed > shown)
		text_buf_add(t, " and %zu more", ms->tally.revealed - shown);
}

static void user_enum_add_kept(struct finding *f, const char *line, const struct user_enum_kept *k)
{
	finding_add_exchange(f, line, &k->reply);
	if (k->nlines > k->reply.nlines) {
		char note[96];
		snprintf(note, sizeof(note), "reply of %zu lines, the first %zu shown", k->nlines,
		         k->reply.nlines);
		finding_add_evidence(f, EVIDENCE_NOTE, note);
	}
}

static void user_enum_report(struct probe_ctx *ctx, const struct user_enum_state *st, int m)
{
	const struct user_enum_method_state *ms = &st->m[m];
	char names[400], note[480], line[USER_ENUM_LINE_MAX];
	struct text_buf t;
	text_buf_init(&t, names, sizeof(names));
	user_enum_add_names(st, ms, &t);
	struct finding *f = probe_finding(ctx, user_enum_ids[m], NULL);
	if (f == NULL)
		return;
	finding_set_detail(f, "%s tells %zu of %zu user names apart from a made-up one%s%s: %s",
	                   user_enum_verbs[m], ms->tally.revealed, st->nusers,
	                   m == USER_ENUM_RCPT ? " at " : "",
	                   m == USER_ENUM_RCPT ? st->domains[ms->domain] : "", names);
	if (m == USER_ENUM_RCPT)
		finding_add_exchange(f, "MAIL FROM:<>", &st->mail_reply.reply);
	assert(ms->sample >= 0);
	user_enum_line(st, m, USER_ENUM_KIND_USER, (size_t)ms->sample, line, sizeof(line));
	user_enum_add_kept(f, line, &ms->sample_reply);
	finding_add_evidence(f, EVIDENCE_NOTE, "control: a made-up user that cannot exist");
	user_enum_line(st, m, USER_ENUM_KIND_CONTROL, 0, line, sizeof(line));
	user_enum_add_kept(f, line, &ms->control_reply);
	snprintf(note, sizeof(note), "users told apart (%zu of %zu asked): %s", ms->tally.revealed,
	         st->nusers, names);
	finding_add_evidence(f, EVIDENCE_NOTE, note);
}

/* Why a method could not be judged. */
static void user_enum_add_unjudged(const struct user_enum_state *st,
                                   const struct user_enum_method_state *ms, struct text_buf *t)
{
	char text[120];
	if (ms->mail_refused) {
		text_buf_add(t, "MAIL FROM:<> refused (%s)",
		             user_enum_reply_text(&ms->blocker, text, sizeof(text)));
		return;
	}
	if (ms->phase == USER_ENUM_PHASE_DONE && ms == &st->m[USER_ENUM_RCPT] && ms->domain < 0) {
		text_buf_add(t, "no local domain, postmaster refused at");
		for (size_t d = 0; d < st->ndomains; d++)
			text_buf_add(t, "%s %s", d > 0 ? "," : "", st->domains[d]);
		text_buf_add(t, " (%s)", user_enum_reply_text(&ms->blocker, text, sizeof(text)));
		return;
	}
	if (ms->control.status[0] != USER_ENUM_ANSWERED) {
		text_buf_add(t, "not finished");
		return;
	}
	if (!enum_verdict_needs_users(ms->control.answer[0])) {
		text_buf_add(t, "the made-up user got %s (%s)",
		             enum_verdict_answer_name(ms->control.answer[0]),
		             user_enum_reply_text(&ms->control_reply, text, sizeof(text)));
		return;
	}
	if (ms->phase != USER_ENUM_PHASE_DONE) {
		text_buf_add(t, "not finished (%zu of %zu users judged)", ms->tally.judged,
		             st->nusers);
		return;
	}
	text_buf_add(t, "no user could be judged (%zu deferred)", ms->tally.deferred);
}

static void user_enum_describe(const struct user_enum_state *st, int m, struct text_buf *t)
{
	const struct user_enum_method_state *ms = &st->m[m];
	char text[120];
	user_enum_reply_text(&ms->control_reply, text, sizeof(text));
	text_buf_add(t, "%s", user_enum_verbs[m]);
	if (m == USER_ENUM_RCPT && ms->domain >= 0)
		text_buf_add(t, " at %s", st->domains[ms->domain]);
	text_buf_add(t, ": ");
	switch (ms->tally.outcome) {
	case ENUM_OUTCOME_LEAKS:
		text_buf_add(t, "tells %zu of %zu users apart from a made-up one (",
		             ms->tally.revealed, st->nusers);
		user_enum_add_names(st, ms, t);
		text_buf_add(t, "; made-up user: %s)", text);
		return;
	case ENUM_OUTCOME_ACCEPT_ALL:
		text_buf_add(t, "accepts a made-up user too (%s)", text);
		return;
	case ENUM_OUTCOME_NO_VERIFY:
		text_buf_add(t, "verifies nobody (made-up user: %s)", text);
		return;
	case ENUM_OUTCOME_DISABLED:
		text_buf_add(t, "disabled (%s)", text);
		return;
	case ENUM_OUTCOME_ALL_REFUSED:
		text_buf_add(t, "refuses every user (made-up user: %s)", text);
		return;
	case ENUM_OUTCOME_INCONCLUSIVE:
		text_buf_add(t, "inconclusive: ");
		user_enum_add_unjudged(st, ms, t);
		return;
	case ENUM_OUTCOME_COUNT:
		break;
	}
	assert(!"unknown enumeration outcome");
}

static void user_enum_add_notes(const struct user_enum_state *st, const char *stopped,
                                struct text_buf *t)
{
	if (st->tls_first && !st->tls_failed)
		text_buf_add(t, "; asked after STARTTLS");
	if (st->tls_note[0] != '\0')
		text_buf_add(t, "; %s", st->tls_note);
	if (st->unusable > 0)
		text_buf_add(t, "; %zu --users name(s) skipped: not a plain local part",
		             st->unusable);
	if (st->dropped > 0)
		text_buf_add(t, "; %zu --users name(s) beyond the first %d not asked", st->dropped,
		             USER_ENUM_MAX_USERS);
	if (st->sessions > 1)
		text_buf_add(t, "; %u sessions", st->sessions);
	if (stopped != NULL)
		text_buf_add(t, "; stopped: %s", stopped);
}

/*
 * A leak makes the server vulnerable unless its finding is only
 * informational: RCPT refusing unknown users is what a correct MTA does.
 */
static enum verdict user_enum_verdict(const struct user_enum_state *st)
{
	enum verdict v = VERDICT_NOT_VULNERABLE;
	for (int m = 0; m < USER_ENUM_METHOD_COUNT; m++) {
		enum enum_outcome o = st->m[m].tally.outcome;
		if (o == ENUM_OUTCOME_LEAKS &&
		    catalog_get(user_enum_ids[m])->severity > SEVERITY_INFO)
			return VERDICT_VULNERABLE;
		if (o == ENUM_OUTCOME_INCONCLUSIVE)
			v = VERDICT_INCONCLUSIVE;
	}
	return v;
}

/* Judges every method with what is known (stopped: why the probe ends early, or NULL). */
static void user_enum_finish(struct probe_ctx *ctx, struct user_enum_state *st, const char *stopped)
{
	char reason[USER_ENUM_REASON_MAX];
	struct text_buf t;
	text_buf_init(&t, reason, sizeof(reason));
	for (int m = 0; m < USER_ENUM_METHOD_COUNT; m++) {
		struct user_enum_method_state *ms = &st->m[m];
		enum_verdict_judge(ms->control.answer[0], ms->users.answer, st->nusers,
		                   ms->phase == USER_ENUM_PHASE_DONE, &ms->tally);
		if (ms->tally.outcome == ENUM_OUTCOME_LEAKS)
			user_enum_report(ctx, st, m);
		text_buf_add(&t, "%s", m > 0 ? "; " : "");
		user_enum_describe(st, m, &t);
	}
	user_enum_add_notes(st, stopped, &t);
	probe_conclude(ctx, user_enum_verdict(st), "%s", reason);
}

/* ---- sessions ---- */

static void user_enum_reconnect(struct probe_ctx *ctx, struct user_enum_state *st)
{
	if (probe_reconnect(ctx) != 0)
		user_enum_finish(ctx, st, "no further session allowed");
}

static bool user_enum_can_starttls(const struct probe_ctx *ctx, const struct user_enum_state *st)
{
	const struct smtp_caps *caps = probe_caps(ctx);
	return !probe_tls_active(ctx) && !st->tls_failed && caps != NULL &&
	       smtp_caps_has(caps, SMTP_EXT_STARTTLS);
}

/* Sends a command, counting it; false (after concluding) when the send path refused it. */
static bool user_enum_send(struct probe_ctx *ctx, struct user_enum_state *st, int tag,
                           const char *line)
{
	if (probe_send(ctx, tag, "%s", line) != 0) {
		user_enum_finish(ctx, st, "the send path refused a command");
		return false;
	}
	st->commands++;
	st->outstanding++;
	return true;
}

/*
 * The next questions of the phase, as many as the session can take even if
 * every one were refused; a new session when none fits.
 */
static void user_enum_flight(struct probe_ctx *ctx, struct user_enum_state *st,
                             struct user_enum_method_state *ms)
{
	enum user_enum_kind kind = user_enum_phase_kind(ms->phase);
	struct user_enum_asks *a = user_enum_asks_of(ms, kind);
	unsigned need_mail = st->method == USER_ENUM_RCPT && !st->mail_open;
	char line[USER_ENUM_LINE_MAX];
	assert(st->errors <= USER_ENUM_MAX_ERRORS && st->commands <= USER_ENUM_MAX_COMMANDS);
	unsigned room = USER_ENUM_MAX_ERRORS - st->errors;
	if (USER_ENUM_MAX_COMMANDS - st->commands < room)
		room = USER_ENUM_MAX_COMMANDS - st->commands;
	if (room < 1 + need_mail) {
		user_enum_reconnect(ctx, st);
		return;
	}
	room -= need_mail;
	if (need_mail && !user_enum_send(ctx, st, USER_ENUM_TAG(st->method, USER_ENUM_KIND_MAIL, 0),
	                                 "MAIL FROM:<>"))
		return;
	for (size_t i = 0; i < user_enum_count(st, kind) && room > 0; i++) {
		if (a->status[i] != USER_ENUM_PENDING)
			continue;
		user_enum_line(st, st->method, kind, i, line, sizeof(line));
		if (!user_enum_send(ctx, st, USER_ENUM_TAG(st->method, kind, i), line))
			return;
		a->status[i] = USER_ENUM_SENT;
		room--;
	}
}

static void user_enum_next(struct probe_ctx *ctx, struct user_enum_state *st)
{
	while (!st->need_tls) {
		if (st->method == USER_ENUM_METHOD_COUNT) {
			user_enum_finish(ctx, st, NULL);
			return;
		}
		struct user_enum_method_state *ms = &st->m[st->method];
		if (ms->phase == USER_ENUM_PHASE_DONE)
			st->method++;
		else if (!user_enum_phase_pending(st, ms))
			user_enum_advance(st, ms);
		else {
			user_enum_flight(ctx, st, ms);
			return;
		}
	}
	/* Something was refused until STARTTLS: from now on sessions begin with it. */
	st->tls_first = true;
	user_enum_reconnect(ctx, st);
}

/* ---- replies ---- */

static void user_enum_on_mail(const struct probe_ctx *ctx, struct user_enum_state *st,
                              struct user_enum_method_state *ms, enum enum_answer a,
                              const struct smtp_reply *r)
{
	if (enum_verdict_positive(a)) {
		st->mail_open = true;
		if (st->mail_reply.reply.code == 0)
			user_enum_keep(&st->mail_reply, r);
	} else if (a == ENUM_ANSWER_TLS_REQUIRED && user_enum_can_starttls(ctx, st)) {
		st->need_tls = true;
	} else {
		ms->mail_refused = true;
		user_enum_keep(&ms->blocker, r);
		ms->phase = USER_ENUM_PHASE_DONE;
	}
}

static void user_enum_on_answer(const struct probe_ctx *ctx, struct user_enum_state *st,
                                struct user_enum_method_state *ms, enum user_enum_kind kind,
                                size_t i, enum enum_answer a, const struct smtp_reply *r)
{
	struct user_enum_asks *asks = user_enum_asks_of(ms, kind);
	bool tls_wanted = a == ENUM_ANSWER_TLS_REQUIRED && user_enum_can_starttls(ctx, st);
	assert(i < USER_ENUM_MAX_USERS && asks->status[i] == USER_ENUM_SENT);
	/* A RCPT after a refused MAIL FROM got a 503 that says nothing: ask it again. */
	if (tls_wanted || (st->method == USER_ENUM_RCPT && !st->mail_open)) {
		asks->status[i] = USER_ENUM_PENDING;
		st->need_tls = st->need_tls || tls_wanted;
		return;
	}
	asks->status[i] = USER_ENUM_ANSWERED;
	asks->answer[i] = (uint8_t)a;
	switch (kind) {
	case USER_ENUM_KIND_DOMAIN:
		/* Replies come in order, so the first accepted domain is the one chosen. */
		if (enum_verdict_positive(a) && ms->sample < 0) {
			user_enum_keep(&ms->sample_reply, r);
			ms->sample = 0;
		} else if (!enum_verdict_positive(a) && ms->blocker.reply.code == 0) {
			user_enum_keep(&ms->blocker, r);
		}
		return;
	case USER_ENUM_KIND_CONTROL:
		if (a == ENUM_ANSWER_SYNTAX && st->method != USER_ENUM_RCPT && !ms->qualified) {
			/* Perhaps only the bare name was refused: ask again as local@domain. */
			ms->qualified = true;
			asks->status[i] = USER_ENUM_PENDING;
			return;
		}
		user_enum_keep(&ms->control_reply, r);
		return;
	case USER_ENUM_KIND_USER:
		/* Show a user told apart, preferably another than postmaster. */
		if (enum_verdict_reveals(ms->control.answer[0], a) &&
		    (ms->sample < 0 || (ms->sample == 0 && i > 0))) {
			user_enum_keep(&ms->sample_reply, r);
			ms->sample = (int)i;
		}
		return;
	case USER_ENUM_KIND_MAIL:
		break;
	}
	assert(!"MAIL FROM is no question");
}

static void user_enum_tls_done(struct probe_ctx *ctx, struct user_enum_state *st,
                               const struct probe_reply *r)
{
	if (!probe_tls_active(ctx)) {
		st->tls_failed = true;
		st->errors += smtp_reply_class(r->reply) >= 4;
		snprintf(st->tls_note, sizeof(st->tls_note), "STARTTLS refused: %d %.80s",
		         r->reply->code, r->reply->lines[0]);
	}
	user_enum_next(ctx, st);
}

static void user_enum_step(struct probe_ctx *ctx, const struct probe_reply *r)
{
	struct user_enum_state *st = probe_state(ctx);
	if (r->tag == USER_ENUM_TAG_STARTTLS) {
		user_enum_tls_done(ctx, st, r);
		return;
	}
	int method = USER_ENUM_TAG_METHOD(r->tag);
	enum user_enum_kind kind = USER_ENUM_TAG_KIND(r->tag);
	assert(method == st->method && st->outstanding > 0);
	st->outstanding--;
	st->errors += smtp_reply_class(r->reply) >= 4;
	struct user_enum_method_state *ms = &st->m[method];
	enum enum_answer a = enum_verdict_classify(r->reply, probe_tls_active(ctx));
	if (kind == USER_ENUM_KIND_MAIL)
		user_enum_on_mail(ctx, st, ms, a, r->reply);
	else
		user_enum_on_answer(ctx, st, ms, kind, USER_ENUM_TAG_INDEX(r->tag), a, r->reply);
	if (st->outstanding == 0)
		user_enum_next(ctx, st);
}

/* ---- the probe ---- */

static void user_enum_start(struct probe_ctx *ctx)
{
	struct user_enum_state *st = probe_state(ctx);
	if (!st->ready)
		user_enum_prepare(ctx, st);
	st->sessions++;
	st->errors = st->commands = st->outstanding = 0;
	st->mail_open = st->need_tls = false;
	if (st->tls_first && !probe_tls_active(ctx)) {
		if (user_enum_can_starttls(ctx, st)) {
			if (probe_starttls(ctx, USER_ENUM_TAG_STARTTLS) != 0)
				user_enum_finish(ctx, st, "STARTTLS could not be sent");
			else
				st->commands++;
			return;
		}
		st->tls_failed = true;
		snprintf(st->tls_note, sizeof(st->tls_note), "STARTTLS no longer offered");
	}
	user_enum_next(ctx, st);
}

static void user_enum_interrupted(struct probe_ctx *ctx, enum outcome why)
{
	struct user_enum_state *st = probe_state(ctx);
	char stopped[200];
	if (!st->ready)
		return;
	if (st->method < USER_ENUM_METHOD_COUNT)
		user_enum_unsend(&st->m[st->method]);
	st->outstanding = 0;
	st->mail_open = false;
	if (++st->lost < USER_ENUM_MAX_LOST) {
		user_enum_reconnect(ctx, st);
		return;
	}
	const char *failure = probe_failure(ctx);
	snprintf(stopped, sizeof(stopped), "%u sessions ended early (last: %s%s%.120s)", st->lost,
	         outcome_name(why), failure[0] ? ", " : "", failure);
	user_enum_finish(ctx, st, stopped);
}

static void user_enum_cleanup(void *state)
{
	struct user_enum_state *st = state;
	user_enum_release(&st->mail_reply);
	for (int m = 0; m < USER_ENUM_METHOD_COUNT; m++) {
		user_enum_release(&st->m[m].control_reply);
		user_enum_release(&st->m[m].sample_reply);
		user_enum_release(&st->m[m].blocker);
	}
}

const struct probe probe_user_enum = {
    .name = "user_enum",
    .summary = "VRFY, EXPN and RCPT tell existing users apart from a made-up one",
    .preamble = PROBE_PREAMBLE_EHLO,
    .flags = PROBE_DEFAULT,
    .state_size = sizeof(struct user_enum_state),
    .start = user_enum_start,
    .step = user_enum_step,
    .interrupted = user_enum_interrupted,
    .cleanup = user_enum_cleanup,
};
