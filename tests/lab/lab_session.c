/*
 * NAME
 *	lab_session - smtp-lab's mini-MTA
 *
 * DESCRIPTION
 *	See lab_session.h. Input is consumed by the reader of the current
 *	mode (command or AUTH lines, a DATA body, a BDAT chunk); each reader
 *	takes what it can from the chunk and says how much it used, so a
 *	mode change in the middle of a chunk hands the rest to the next mode.
 *	STARTTLS and QUIT stop the chunk: bytes pipelined after them are
 *	dropped (not executed inside TLS: that would be CVE-2011-0411), or
 *	kept for replay when a quirk wants that bug.
 *
 *	Reply texts are Postfix's (but Sendmail's 252 to VRFY and EXPN, and a
 *	persona's own HELP text). Anything a client sent that is echoed in a
 *	reply (an address, a HELO name) is made printable first.
 */
#include "lab_session.h"

#include <assert.h>
#include <ctype.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lab_addr.h"
#include "lab_auth.h"
#include "lab_conn.h"

#define LAB_SESSION_REPLY_MAX   1024
#define LAB_SESSION_ECHO_MAX    300
#define LAB_SESSION_LONG_LOG    64
#define LAB_SESSION_BDAT_DIGITS 18

enum lab_session_mode {
	LAB_MODE_COMMAND,
	LAB_MODE_AUTH,
	LAB_MODE_DATA,
	LAB_MODE_BDAT,
	LAB_MODE_RAW,
	LAB_MODE_IGNORE,
};

/* Where the DATA reader is in the "CRLF . CRLF" pattern. */
enum lab_data_state {
	LAB_DATA_LINE_START,
	LAB_DATA_TEXT,
	LAB_DATA_CR,
	LAB_DATA_DOT,
	LAB_DATA_DOT_CR,
};

struct lab_session {
	struct lab_conn *conn;
	const struct lab_persona *persona;
	struct lab_site *site;
	char local_ip[64], peer_ip[64];
	enum lab_session_mode mode;
	bool stop_chunk;
	bool keep_pipelined; /* the rest of this chunk is replayed once TLS is up */
	char *replay;        /* ... here: pipelined plaintext waiting for the handshake */
	size_t replay_len;

	/* The line being read: content, CR and LF, and a NUL. */
	char line[LAB_SESSION_LINE_MAX + 3];
	size_t linelen;
	bool skipping; /* discarding the rest of a line that was too long */

	bool tls;
	bool helo_seen;
	char *helo_name;
	enum lab_helo_verdict helo_verdict;
	bool authenticated;
	struct lab_auth auth;
	bool mail;
	unsigned rcpts;

	enum lab_data_state data;
	uint64_t bdat_size, bdat_left;
	bool bdat_last;
};

/* ---- output ---- */

void lab_session_send(struct lab_session *s, const char *data, size_t len)
{
	lab_conn_send(s->conn, data, len);
}

static void lab_session_vreply(struct lab_session *s, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));

static void lab_session_vreply(struct lab_session *s, const char *fmt, va_list ap)
{
	char buf[LAB_SESSION_REPLY_MAX];
	int n = vsnprintf(buf, sizeof(buf) - 2, fmt, ap);
	assert(n >= 0);
	size_t len = (size_t)n < sizeof(buf) - 2 ? (size_t)n : sizeof(buf) - 3;
	memcpy(buf + len, "\r\n", 2);
	lab_session_send(s, buf, len + 2);
}

void lab_session_reply(struct lab_session *s, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	lab_session_vreply(s, fmt, ap);
	va_end(ap);
}

/* Client text fit for a reply: bytes outside printable ASCII become '?', long text is cut. */
static const char *lab_session_echo(const char *text, size_t len, char out[LAB_SESSION_ECHO_MAX])
{
	if (len > LAB_SESSION_ECHO_MAX - 1)
		len = LAB_SESSION_ECHO_MAX - 1;
	for (size_t i = 0; i < len; i++)
		out[i] = (text[i] >= 0x20 && text[i] < 0x7f) ? text[i] : '?';
	out[len] = '\0';
	return out;
}

void lab_session_send_greeting(struct lab_session *s)
{
	lab_session_reply(s, "220 %s %s [smtp-lab %s]", s->site->hostname, s->persona->banner,
	                  s->persona->name);
}

/* ---- state ---- */

struct lab_session *lab_session_new(struct lab_conn *conn, const struct lab_persona *persona,
                                    struct lab_site *site, const char *local_ip,
                                    const char *peer_ip)
{
	struct lab_session *s = calloc(1, sizeof(*s));
	if (s == NULL)
		return NULL;
	s->conn = conn;
	s->persona = persona;
	s->site = site;
	snprintf(s->local_ip, sizeof(s->local_ip), "%s", local_ip);
	snprintf(s->peer_ip, sizeof(s->peer_ip), "%s", peer_ip);
	return s;
}

static void lab_session_reset_transaction(struct lab_session *s)
{
	s->mail = false;
	s->rcpts = 0;
}

static void lab_session_forget_helo(struct lab_session *s)
{
	free(s->helo_name);
	s->helo_name = NULL;
	s->helo_seen = false;
}

void lab_session_free(struct lab_session *s)
{
	if (s == NULL)
		return;
	lab_session_forget_helo(s);
	free(s->replay);
	free(s);
}

void lab_session_greet(struct lab_session *s)
{
	const struct lab_quirk *q = s->persona->quirk;
	if (q != NULL && q->greet != NULL)
		q->greet(s);
	else
		lab_session_send_greeting(s);
}

void lab_session_tls_ready(struct lab_session *s)
{
	/* RFC 3207: everything learned before the handshake is forgotten. */
	s->tls = true;
	lab_session_forget_helo(s);
	lab_session_reset_transaction(s);
	s->authenticated = false;
	s->mode = LAB_MODE_COMMAND;
	s->linelen = 0;
	s->skipping = false;
	char *replay = s->replay;
	s->replay = NULL;
	if (replay != NULL)
		lab_session_input(s, replay, s->replay_len);
	free(replay);
}

struct lab_conn *lab_session_conn(const struct lab_session *s)
{
	return s->conn;
}

const struct lab_site *lab_session_site(const struct lab_session *s)
{
	return s->site;
}

bool lab_session_starttls_allowed(const struct lab_session *s)
{
	return !s->tls && (s->persona->flags & LAB_PERSONA_STARTTLS);
}

void lab_session_ignore_input(struct lab_session *s)
{
	s->mode = LAB_MODE_IGNORE;
	s->stop_chunk = true;
}

void lab_session_start_tls(struct lab_session *s, enum lab_session_pipelined pipelined)
{
	s->stop_chunk = true;
	s->keep_pipelined = pipelined == LAB_SESSION_KEEP_PIPELINED;
	lab_conn_start_tls(s->conn);
}

void lab_session_raw(struct lab_session *s)
{
	assert(s->persona->quirk != NULL && s->persona->quirk->raw != NULL);
	s->mode = LAB_MODE_RAW;
	s->stop_chunk = true;
}

void lab_session_drop_pipelined(struct lab_session *s)
{
	if (s->mode == LAB_MODE_COMMAND)
		s->stop_chunk = true;
}

/* What STARTTLS left in its chunk, for after the handshake (at most LAB_SESSION_REPLAY_MAX). */
static void lab_session_keep_replay(struct lab_session *s, const char *data, size_t len)
{
	assert(s->replay == NULL);
	if (len > LAB_SESSION_REPLAY_MAX)
		len = LAB_SESSION_REPLAY_MAX;
	if (len == 0)
		return;
	s->replay = malloc(len);
	if (s->replay == NULL)
		return;
	memcpy(s->replay, data, len);
	s->replay_len = len;
}

static const char *lab_session_offered_auth(const struct lab_session *s)
{
	return s->tls ? s->persona->auth_tls : s->persona->auth_plain;
}

static const struct lab_ehlo *lab_session_ehlo_now(const struct lab_session *s)
{
	return s->tls ? &s->persona->ehlo_tls : &s->persona->ehlo_plain;
}

static const char *lab_session_size(const struct lab_session *s)
{
	const char *size = lab_session_ehlo_now(s)->size;
	return size != NULL ? size : LAB_PERSONA_SIZE;
}

static struct lab_where lab_session_where(const struct lab_session *s)
{
	return (struct lab_where){
	    .hostname = s->site->hostname,
	    .domain = s->site->domain,
	    .local_ip = s->local_ip,
	    .peer_ip = s->peer_ip,
	};
}

/* ---- HELO and EHLO ---- */

static bool lab_session_lax_helo(const struct lab_session *s)
{
	return s->persona->flags & LAB_PERSONA_LAX_HELO;
}

static void lab_session_ehlo_reply(struct lab_session *s)
{
	const char *lines[9 + LAB_PERSONA_EXTRA_MAX];
	char auth[LAB_SESSION_REPLY_MAX], size[LAB_SESSION_NAME_MAX];
	const char *const *extra = lab_session_ehlo_now(s)->extra;
	size_t n = 0;
	lines[n++] = s->site->hostname;
	lines[n++] = "PIPELINING";
	snprintf(size, sizeof(size), "SIZE %s", lab_session_size(s));
	lines[n++] = size;
	if (s->persona->vrfy != LAB_VERIFY_DISABLED)
		lines[n++] = "VRFY";
	if (s->persona->expn != LAB_VERIFY_DISABLED)
		lines[n++] = "EXPN";
	if (lab_session_starttls_allowed(s))
		lines[n++] = "STARTTLS";
	if (lab_session_offered_auth(s) != NULL) {
		snprintf(auth, sizeof(auth), "AUTH %s", lab_session_offered_auth(s));
		lines[n++] = auth;
	}
	lines[n++] = "ENHANCEDSTATUSCODES";
	lines[n++] = "8BITMIME";
	for (size_t i = 0; extra != NULL && extra[i] != NULL; i++) {
		assert(i < LAB_PERSONA_EXTRA_MAX);
		lines[n++] = extra[i];
	}
	assert(n <= sizeof(lines) / sizeof(lines[0]));
	for (size_t i = 0; i < n; i++)
		lab_session_reply(s, "250%c%s", i + 1 < n ? '-' : ' ', lines[i]);
}

static void lab_session_hello(struct lab_session *s, const struct lab_cmd *cmd, bool esmtp)
{
	const char *verb = esmtp ? "EHLO" : "HELO";
	bool syntax_ok = cmd->arg[0] != '\0' && strchr(cmd->arg, ' ') == NULL;
	if (!syntax_ok && !lab_session_lax_helo(s)) {
		lab_session_reply(s, "501 5.5.4 Syntax: %s hostname", verb);
		return;
	}
	char *name = strdup(cmd->arg);
	if (name == NULL) {
		lab_session_reply(s, "451 4.3.0 Error: out of memory");
		return;
	}
	struct lab_where where = lab_session_where(s);
	lab_session_forget_helo(s);
	lab_session_reset_transaction(s);
	s->helo_seen = true;
	s->helo_name = name;
	s->helo_verdict = lab_session_lax_helo(s) ? LAB_HELO_OK : lab_addr_check_helo(&where, name);
	if (esmtp)
		lab_session_ehlo_reply(s);
	else
		lab_session_reply(s, "250 %s", s->site->hostname);
}

static void lab_session_helo(struct lab_session *s, const struct lab_cmd *cmd)
{
	lab_session_hello(s, cmd, false);
}

static void lab_session_ehlo(struct lab_session *s, const struct lab_cmd *cmd)
{
	lab_session_hello(s, cmd, true);
}

/* ---- the mail transaction ---- */

/* The SIZE= value of MAIL parameters, 0 when absent. */
static unsigned long long lab_session_size_param(const char *params)
{
	for (const char *p = params; *p != '\0'; p++)
		if ((p == params || p[-1] == ' ') && strncasecmp(p, "SIZE=", 5) == 0)
			return strtoull(p + 5, NULL, 10);
	return 0;
}

static void lab_session_mail(struct lab_session *s, const struct lab_cmd *cmd)
{
	const char *addr, *params;
	size_t len;
	struct lab_where where = lab_session_where(s);
	if (!s->helo_seen) {
		lab_session_reply(s, "503 5.5.1 Error: send HELO/EHLO first");
		return;
	}
	if (s->mail) {
		lab_session_reply(s, "503 5.5.1 Error: nested MAIL command");
		return;
	}
	if (lab_addr_path(cmd->arg, "FROM:", &addr, &len, &params) != 0) {
		lab_session_reply(s, "501 5.5.4 Syntax: MAIL FROM:<address>");
		return;
	}
	if (len > 0 && lab_addr_classify(&where, addr, len) == LAB_ADDR_BAD) {
		lab_session_reply(s, "501 5.1.7 Bad sender address syntax");
		return;
	}
	if ((s->persona->flags & LAB_PERSONA_SENDER_LOGIN) && s->authenticated &&
	    (len != strlen(LAB_AUTH_USER) || strncasecmp(addr, LAB_AUTH_USER, len) != 0)) {
		lab_session_reply(s,
		                  "553 5.7.1 <%.*s>: Sender address rejected: not owned by user %s",
		                  (int)len, addr, LAB_AUTH_USER);
		return;
	}
	unsigned long long limit = strtoull(lab_session_size(s), NULL, 10);
	if (limit > 0 && lab_session_size_param(params) > limit) {
		lab_session_reply(s, "552 5.3.4 Message size exceeds fixed limit");
		return;
	}
	s->mail = true;
	lab_session_reply(s, "250 2.1.0 Ok");
}

enum lab_rcpt_answer {
	LAB_RCPT_OK,
	LAB_RCPT_UNKNOWN_USER,
	LAB_RCPT_NO_DOMAIN,
	LAB_RCPT_RELAY_DENIED,
	LAB_RCPT_BAD_SYNTAX,
};

/* What each kind of server answers, per address class. */
static const enum lab_rcpt_answer lab_session_rcpt_closed[LAB_ADDR_CLASS_COUNT] = {
    [LAB_ADDR_LOCAL_KNOWN] = LAB_RCPT_OK,
    [LAB_ADDR_LOCAL_UNKNOWN] = LAB_RCPT_UNKNOWN_USER,
    [LAB_ADDR_INVALID_DOMAIN] = LAB_RCPT_NO_DOMAIN,
    [LAB_ADDR_EXTERNAL] = LAB_RCPT_RELAY_DENIED,
    [LAB_ADDR_ROUTED] = LAB_RCPT_RELAY_DENIED,
    [LAB_ADDR_BAD] = LAB_RCPT_BAD_SYNTAX,
};

static const enum lab_rcpt_answer lab_session_rcpt_relay[LAB_ADDR_CLASS_COUNT] = {
    [LAB_ADDR_LOCAL_KNOWN] = LAB_RCPT_OK,
    [LAB_ADDR_LOCAL_UNKNOWN] = LAB_RCPT_UNKNOWN_USER,
    [LAB_ADDR_INVALID_DOMAIN] = LAB_RCPT_NO_DOMAIN,
    [LAB_ADDR_EXTERNAL] = LAB_RCPT_OK,
    [LAB_ADDR_ROUTED] = LAB_RCPT_OK,
    [LAB_ADDR_BAD] = LAB_RCPT_BAD_SYNTAX,
};

static const enum lab_rcpt_answer lab_session_rcpt_catch_all[LAB_ADDR_CLASS_COUNT] = {
    [LAB_ADDR_LOCAL_KNOWN] = LAB_RCPT_OK,           [LAB_ADDR_LOCAL_UNKNOWN] = LAB_RCPT_OK,
    [LAB_ADDR_INVALID_DOMAIN] = LAB_RCPT_NO_DOMAIN, [LAB_ADDR_EXTERNAL] = LAB_RCPT_RELAY_DENIED,
    [LAB_ADDR_ROUTED] = LAB_RCPT_RELAY_DENIED,      [LAB_ADDR_BAD] = LAB_RCPT_BAD_SYNTAX,
};

static const enum lab_rcpt_answer lab_session_rcpt_all[LAB_ADDR_CLASS_COUNT] = {
    [LAB_ADDR_LOCAL_KNOWN] = LAB_RCPT_OK,    [LAB_ADDR_LOCAL_UNKNOWN] = LAB_RCPT_OK,
    [LAB_ADDR_INVALID_DOMAIN] = LAB_RCPT_OK, [LAB_ADDR_EXTERNAL] = LAB_RCPT_OK,
    [LAB_ADDR_ROUTED] = LAB_RCPT_OK,         [LAB_ADDR_BAD] = LAB_RCPT_BAD_SYNTAX,
};

/* [policy][authenticated] */
static const enum lab_rcpt_answer *const lab_session_rcpt_answers[][2] = {
    [LAB_RCPT_CLOSED] = {lab_session_rcpt_closed, lab_session_rcpt_closed},
    [LAB_RCPT_AUTH_RELAY] = {lab_session_rcpt_closed, lab_session_rcpt_relay},
    [LAB_RCPT_SUBMISSION] = {lab_session_rcpt_closed, lab_session_rcpt_relay},
    [LAB_RCPT_OPEN_RELAY] = {lab_session_rcpt_relay, lab_session_rcpt_relay},
    [LAB_RCPT_ACCEPT_ALL] = {lab_session_rcpt_all, lab_session_rcpt_all},
    [LAB_RCPT_CATCH_ALL] = {lab_session_rcpt_catch_all, lab_session_rcpt_catch_all},
};
_Static_assert(sizeof(lab_session_rcpt_answers) / sizeof(lab_session_rcpt_answers[0]) ==
                   LAB_RCPT_POLICY_COUNT,
               "one row per recipient policy");

/* Postfix's smtpd_helo_restrictions, applied at RCPT time; false when a reply was sent. */
static bool lab_session_helo_acceptable(struct lab_session *s)
{
	char name[LAB_SESSION_ECHO_MAX];
	lab_session_echo(s->helo_name, strlen(s->helo_name), name);
	switch (s->helo_verdict) {
	case LAB_HELO_OK:
		return true;
	case LAB_HELO_NOT_FQDN:
		lab_session_reply(s,
		                  "504 5.5.2 <%s>: Helo command rejected: need fully-qualified "
		                  "hostname",
		                  name);
		return false;
	case LAB_HELO_NOT_ME:
		lab_session_reply(s, "550 5.7.1 <%s>: Helo command rejected: You are not me", name);
		return false;
	case LAB_HELO_LITERAL_MISMATCH:
		lab_session_reply(s,
		                  "550 5.7.1 <%s>: Helo command rejected: address literal does "
		                  "not match your address",
		                  name);
		return false;
	}
	assert(!"unknown HELO verdict");
	return false;
}

static void lab_session_rcpt_verdict(struct lab_session *s, enum lab_rcpt_answer answer,
                                     const char *addr)
{
	switch (answer) {
	case LAB_RCPT_OK:
		s->rcpts++;
		lab_session_reply(s, "250 2.1.5 Ok");
		return;
	case LAB_RCPT_UNKNOWN_USER:
		lab_session_reply(s,
		                  "550 5.1.1 <%s>: Recipient address rejected: User unknown in "
		                  "local recipient table",
		                  addr);
		return;
	case LAB_RCPT_NO_DOMAIN:
		lab_session_reply(s, "450 4.1.2 <%s>: Recipient address rejected: Domain not found",
		                  addr);
		return;
	case LAB_RCPT_RELAY_DENIED:
		lab_session_reply(s, "554 5.7.1 <%s>: Relay access denied", addr);
		return;
	case LAB_RCPT_BAD_SYNTAX:
		lab_session_reply(s, "501 5.1.3 Bad recipient address syntax");
		return;
	}
	assert(!"unknown recipient answer");
}

static void lab_session_rcpt(struct lab_session *s, const struct lab_cmd *cmd)
{
	const char *addr, *params;
	size_t len;
	char echo[LAB_SESSION_ECHO_MAX];
	struct lab_where where = lab_session_where(s);
	if (!s->mail) {
		lab_session_reply(s, "503 5.5.1 Error: need MAIL command");
		return;
	}
	if (s->persona->rcpt == LAB_RCPT_SUBMISSION && !s->authenticated) {
		lab_session_reply(s, "530 5.7.0 Authentication required");
		return;
	}
	if (lab_addr_path(cmd->arg, "TO:", &addr, &len, &params) != 0) {
		lab_session_reply(s, "501 5.5.4 Syntax: RCPT TO:<address>");
		return;
	}
	if (!lab_session_helo_acceptable(s))
		return;
	enum lab_addr_class class = lab_addr_classify(&where, addr, len);
	lab_session_rcpt_verdict(
	    s, lab_session_rcpt_answers[s->persona->rcpt][s->authenticated][class],
	    lab_session_echo(addr, len, echo));
}

static void lab_session_queued(struct lab_session *s)
{
	s->site->queued++;
	lab_session_reply(s, "250 2.0.0 Ok: queued as LAB%" PRIu64, s->site->queued);
	lab_session_reset_transaction(s);
}

/* Postfix's answers to DATA or BDAT without recipients; false when one was sent. */
static bool lab_session_have_recipients(struct lab_session *s)
{
	if (!s->mail) {
		lab_session_reply(s, "503 5.5.1 Error: need RCPT command");
		return false;
	}
	if (s->rcpts == 0) {
		lab_session_reply(s, "554 5.5.1 Error: no valid recipients");
		return false;
	}
	return true;
}

static void lab_session_data(struct lab_session *s, const struct lab_cmd *cmd)
{
	if (cmd->arg[0] != '\0') {
		lab_session_reply(s, "501 5.5.4 Syntax: DATA");
		return;
	}
	if (!lab_session_have_recipients(s))
		return;
	lab_session_reply(s, "354 End data with <CR><LF>.<CR><LF>");
	s->mode = LAB_MODE_DATA;
	s->data = LAB_DATA_LINE_START;
}

static enum lab_data_state lab_session_data_next(enum lab_data_state st, char c)
{
	if (c == '\r')
		return st == LAB_DATA_DOT ? LAB_DATA_DOT_CR : LAB_DATA_CR;
	if (c == '\n' && st == LAB_DATA_CR)
		return LAB_DATA_LINE_START;
	if (c == '.' && st == LAB_DATA_LINE_START)
		return LAB_DATA_DOT;
	return LAB_DATA_TEXT;
}

/* Reads a message body; the body is discarded. */
static size_t lab_session_take_data(struct lab_session *s, const char *data, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		if (s->data == LAB_DATA_DOT_CR && data[i] == '\n') {
			s->mode = LAB_MODE_COMMAND;
			lab_session_queued(s);
			return i + 1;
		}
		s->data = lab_session_data_next(s->data, data[i]);
	}
	return len;
}

static void lab_session_bdat_done(struct lab_session *s)
{
	s->mode = LAB_MODE_COMMAND;
	if (!lab_session_have_recipients(s))
		return;
	if (s->bdat_last)
		lab_session_queued(s);
	else
		lab_session_reply(s, "250 2.0.0 Ok: %" PRIu64 " bytes", s->bdat_size);
}

/* "<count> [LAST]"; false when malformed. */
static bool lab_session_bdat_args(const char *arg, uint64_t *size, bool *last)
{
	size_t digits = strspn(arg, "0123456789");
	if (digits == 0 || digits > LAB_SESSION_BDAT_DIGITS)
		return false;
	const char *rest = arg + digits;
	*size = strtoull(arg, NULL, 10);
	*last = false;
	if (*rest == '\0')
		return true;
	rest += strspn(rest, " ");
	*last = strcasecmp(rest, "LAST") == 0;
	return *last;
}

static void lab_session_bdat(struct lab_session *s, const struct lab_cmd *cmd)
{
	uint64_t size;
	if (!lab_session_bdat_args(cmd->arg, &size, &s->bdat_last)) {
		lab_session_reply(s, "501 5.5.4 Syntax: BDAT count [LAST]");
		return;
	}
	s->bdat_size = s->bdat_left = size;
	s->mode = LAB_MODE_BDAT;
	if (size == 0)
		lab_session_bdat_done(s);
}

/* Reads a BDAT chunk; the chunk is discarded. */
static size_t lab_session_take_chunk(struct lab_session *s, const char *data, size_t len)
{
	(void)data;
	size_t take = len < s->bdat_left ? len : (size_t)s->bdat_left;
	s->bdat_left -= take;
	if (s->bdat_left == 0)
		lab_session_bdat_done(s);
	return take;
}

static void lab_session_rset(struct lab_session *s, const struct lab_cmd *cmd)
{
	if (cmd->arg[0] != '\0') {
		lab_session_reply(s, "501 5.5.4 Syntax: RSET");
		return;
	}
	lab_session_reset_transaction(s);
	lab_session_reply(s, "250 2.0.0 Ok");
}

/* ---- the other commands ---- */

static void lab_session_noop(struct lab_session *s, const struct lab_cmd *cmd)
{
	(void)cmd;
	lab_session_reply(s, "250 2.0.0 Ok");
}

static void lab_session_quit(struct lab_session *s, const struct lab_cmd *cmd)
{
	(void)cmd;
	lab_session_reply(s, "221 2.0.0 Bye");
	lab_session_ignore_input(s);
	lab_conn_finish(s->conn);
}

/* One line per member of a local list, at the site's domain. */
static void lab_session_expand_list(struct lab_session *s, const char *const *members)
{
	for (size_t i = 0; members[i] != NULL; i++)
		lab_session_reply(s, "250%c2.1.5 <%s@%s>", members[i + 1] != NULL ? '-' : ' ',
		                  members[i], s->site->domain);
}

/* What a leaky server says about one address; EXPN (lists true) also expands local lists. */
static void lab_session_leak(struct lab_session *s, const char *addr, size_t len, bool lists)
{
	char echo[LAB_SESSION_ECHO_MAX];
	struct lab_where where = lab_session_where(s);
	const char *const *members = lists ? lab_addr_list_members(&where, addr, len) : NULL;
	lab_session_echo(addr, len, echo);
	if (members != NULL)
		lab_session_expand_list(s, members);
	else if (lab_addr_classify(&where, addr, len) == LAB_ADDR_LOCAL_KNOWN)
		lab_session_reply(s, "250 2.1.5 <%s>", echo);
	else
		lab_session_reply(s,
		                  "550 5.1.1 <%s>: Recipient address rejected: User unknown in "
		                  "local recipient table",
		                  echo);
}

static void lab_session_verify(struct lab_session *s, const struct lab_cmd *cmd,
                               enum lab_verify policy, const char *verb)
{
	if (policy == LAB_VERIFY_DISABLED) {
		lab_session_reply(s, "502 5.5.1 %s command is disabled", verb);
		return;
	}
	const char *addr = cmd->arg;
	size_t len = strlen(addr);
	if (len >= 2 && addr[0] == '<' && addr[len - 1] == '>') {
		addr++;
		len -= 2;
	}
	if (len == 0) {
		lab_session_reply(s, "501 5.5.4 Syntax: %s address", verb);
		return;
	}
	if (policy == LAB_VERIFY_CANNOT)
		lab_session_reply(s, "252 2.5.2 Cannot %s user; try RCPT to attempt delivery",
		                  verb);
	else
		lab_session_leak(s, addr, len, cmd->verb == LAB_VERB_EXPN);
}

static void lab_session_vrfy(struct lab_session *s, const struct lab_cmd *cmd)
{
	lab_session_verify(s, cmd, s->persona->vrfy, "VRFY");
}

static void lab_session_expn(struct lab_session *s, const struct lab_cmd *cmd)
{
	lab_session_verify(s, cmd, s->persona->expn, "EXPN");
}

static void lab_session_help(struct lab_session *s, const struct lab_cmd *cmd)
{
	const char *const *help = s->persona->help;
	(void)cmd;
	if (help == NULL) {
		lab_session_reply(s, "214 2.0.0 Commands: HELO EHLO MAIL RCPT DATA BDAT RSET NOOP "
		                     "QUIT VRFY EXPN HELP STARTTLS AUTH");
		return;
	}
	for (size_t i = 0; help[i] != NULL; i++)
		lab_session_reply(s, "214%c%s", help[i + 1] != NULL ? '-' : ' ', help[i]);
}

static void lab_session_starttls(struct lab_session *s, const struct lab_cmd *cmd)
{
	if (s->tls) {
		lab_session_reply(s, "554 5.5.1 Error: TLS already active");
		return;
	}
	if (!lab_session_starttls_allowed(s)) {
		lab_session_reply(s, "502 5.5.1 Error: command not implemented");
		return;
	}
	if (cmd->arg[0] != '\0') {
		lab_session_reply(s, "501 5.5.4 Syntax: STARTTLS");
		return;
	}
	lab_session_reply(s, LAB_SESSION_TLS_READY);
	lab_session_start_tls(s, LAB_SESSION_DROP_PIPELINED);
}

static void lab_session_auth_outcome(struct lab_session *s, enum lab_auth_status st,
                                     const char *reply)
{
	s->mode = st == LAB_AUTH_CONTINUE ? LAB_MODE_AUTH : LAB_MODE_COMMAND;
	if (st == LAB_AUTH_SUCCESS)
		s->authenticated = true;
	lab_session_reply(s, "%s", reply);
}

static void lab_session_auth(struct lab_session *s, const struct lab_cmd *cmd)
{
	char reply[LAB_AUTH_REPLY_MAX];
	const struct lab_auth_env env = {.hostname = s->site->hostname, .domain = s->site->domain};
	const char *offered = lab_session_offered_auth(s);
	if (offered == NULL) {
		lab_session_reply(s, "503 5.5.1 Error: authentication not enabled");
		return;
	}
	if (!s->helo_seen) {
		lab_session_reply(s, "503 5.5.1 Error: send HELO/EHLO first");
		return;
	}
	if (s->authenticated) {
		lab_session_reply(s, "503 5.5.1 Error: already authenticated");
		return;
	}
	if (s->mail) {
		lab_session_reply(s, "503 5.5.1 Error: MAIL transaction in progress");
		return;
	}
	if (cmd->arg[0] == '\0') {
		lab_session_reply(s, "501 5.5.4 Syntax: AUTH mechanism");
		return;
	}
	enum lab_auth_status st =
	    lab_auth_begin(&s->auth, offered, cmd->arg, &env, reply, sizeof(reply));
	lab_session_auth_outcome(s, st, reply);
}

static void lab_session_auth_line(struct lab_session *s, const char *line)
{
	char reply[LAB_AUTH_REPLY_MAX];
	const struct lab_auth_env env = {.hostname = s->site->hostname, .domain = s->site->domain};
	enum lab_auth_status st = lab_auth_next(&s->auth, line, &env, reply, sizeof(reply));
	lab_session_auth_outcome(s, st, reply);
}

static void lab_session_unknown(struct lab_session *s, const struct lab_cmd *cmd)
{
	if (cmd->line[0] == '\0')
		lab_session_reply(s, "500 5.5.2 Error: bad syntax");
	else
		lab_session_reply(s, "500 5.5.2 Error: command not recognized");
}

/* ---- dispatch ---- */

struct lab_verb_def {
	const char *name;
	void (*handle)(struct lab_session *s, const struct lab_cmd *cmd);
	bool before_tls; /* allowed by a TLS_FIRST persona before STARTTLS */
};

static const struct lab_verb_def lab_session_verbs[] = {
    [LAB_VERB_UNKNOWN] = {.name = NULL, .handle = lab_session_unknown},
    [LAB_VERB_HELO] = {.name = "HELO", .handle = lab_session_helo, .before_tls = true},
    [LAB_VERB_EHLO] = {.name = "EHLO", .handle = lab_session_ehlo, .before_tls = true},
    [LAB_VERB_MAIL] = {.name = "MAIL", .handle = lab_session_mail},
    [LAB_VERB_RCPT] = {.name = "RCPT", .handle = lab_session_rcpt},
    [LAB_VERB_DATA] = {.name = "DATA", .handle = lab_session_data},
    [LAB_VERB_BDAT] = {.name = "BDAT", .handle = lab_session_bdat},
    [LAB_VERB_RSET] = {.name = "RSET", .handle = lab_session_rset, .before_tls = true},
    [LAB_VERB_NOOP] = {.name = "NOOP", .handle = lab_session_noop, .before_tls = true},
    [LAB_VERB_QUIT] = {.name = "QUIT", .handle = lab_session_quit, .before_tls = true},
    [LAB_VERB_VRFY] = {.name = "VRFY", .handle = lab_session_vrfy},
    [LAB_VERB_EXPN] = {.name = "EXPN", .handle = lab_session_expn},
    [LAB_VERB_HELP] = {.name = "HELP", .handle = lab_session_help},
    [LAB_VERB_STARTTLS] = {.name = "STARTTLS", .handle = lab_session_starttls, .before_tls = true},
    [LAB_VERB_AUTH] = {.name = "AUTH", .handle = lab_session_auth},
};
_Static_assert(sizeof(lab_session_verbs) / sizeof(lab_session_verbs[0]) == LAB_VERB_COUNT,
               "one entry per verb");

static struct lab_cmd lab_session_parse(const char *line)
{
	struct lab_cmd cmd = {.verb = LAB_VERB_UNKNOWN, .line = line};
	size_t len = strcspn(line, " ");
	for (size_t v = LAB_VERB_UNKNOWN + 1; v < LAB_VERB_COUNT; v++)
		if (strlen(lab_session_verbs[v].name) == len &&
		    strncasecmp(line, lab_session_verbs[v].name, len) == 0)
			cmd.verb = (enum lab_verb)v;
	cmd.arg = line + len + strspn(line + len, " ");
	return cmd;
}

void lab_session_answer(struct lab_session *s, const struct lab_cmd *cmd)
{
	const struct lab_verb_def *def = &lab_session_verbs[cmd->verb];
	if ((s->persona->flags & LAB_PERSONA_TLS_FIRST) && !s->tls && !def->before_tls) {
		lab_session_reply(s, "530 5.7.0 Must issue a STARTTLS command first");
		return;
	}
	def->handle(s, cmd);
}

/* A complete line with its LF. The log shows it exactly, less a CRLF ending. */
static void lab_session_line(struct lab_session *s, char *line, size_t len)
{
	bool crlf = len >= 2 && line[len - 2] == '\r';
	lab_conn_log(s->conn, "C:", line, crlf ? len - 2 : len);
	line[crlf ? len - 2 : len - 1] = '\0';
	if (s->mode == LAB_MODE_AUTH) {
		lab_session_auth_line(s, line);
		return;
	}
	struct lab_cmd cmd = lab_session_parse(line);
	const struct lab_quirk *q = s->persona->quirk;
	if (q != NULL && q->command != NULL && q->command(s, &cmd))
		return;
	lab_session_answer(s, &cmd);
}

static void lab_session_too_long(struct lab_session *s)
{
	size_t shown = s->linelen < LAB_SESSION_LONG_LOG ? s->linelen : LAB_SESSION_LONG_LOG;
	lab_conn_log(s->conn, "LONG", s->line, shown);
	lab_session_reply(s, "500 5.5.0 Error: line too long");
	s->linelen = 0;
}

/* The buffered line ends with its LF: answer it, or refuse it when too long. */
static void lab_session_complete_line(struct lab_session *s)
{
	size_t len = s->linelen;
	size_t content = len - 1 - (len >= 2 && s->line[len - 2] == '\r' ? 1 : 0);
	if (content > LAB_SESSION_LINE_MAX) {
		lab_session_too_long(s);
		return;
	}
	s->linelen = 0;
	lab_session_line(s, s->line, len);
}

/* Without its LF yet, the buffered line is already too long (a CR may still end it). */
static bool lab_session_partial_too_long(const struct lab_session *s)
{
	return s->linelen > LAB_SESSION_LINE_MAX + 1 ||
	       (s->linelen == LAB_SESSION_LINE_MAX + 1 && s->line[s->linelen - 1] != '\r');
}

/* Reads (part of) a command or AUTH line. */
static size_t lab_session_take_line(struct lab_session *s, const char *data, size_t len)
{
	const char *lf = memchr(data, '\n', len);
	size_t upto = lf != NULL ? (size_t)(lf - data) + 1 : len;
	if (s->skipping) {
		s->skipping = lf == NULL;
		return upto;
	}
	size_t room = LAB_SESSION_LINE_MAX + 2 - s->linelen;
	size_t take = upto < room ? upto : room;
	memcpy(s->line + s->linelen, data, take);
	s->linelen += take;
	if (take == upto && lf != NULL) {
		lab_session_complete_line(s);
	} else if (lab_session_partial_too_long(s)) {
		lab_session_too_long(s);
		s->skipping = true;
	}
	return take;
}

void lab_session_input(struct lab_session *s, const char *data, size_t len)
{
	s->stop_chunk = false;
	while (len > 0 && !s->stop_chunk) {
		size_t used = 0;
		switch (s->mode) {
		case LAB_MODE_COMMAND:
		case LAB_MODE_AUTH:
			used = lab_session_take_line(s, data, len);
			break;
		case LAB_MODE_DATA:
			used = lab_session_take_data(s, data, len);
			break;
		case LAB_MODE_BDAT:
			used = lab_session_take_chunk(s, data, len);
			break;
		case LAB_MODE_RAW:
			s->persona->quirk->raw(s, data, len);
			used = len;
			break;
		case LAB_MODE_IGNORE:
			return;
		}
		data += used;
		len -= used;
	}
	if (s->keep_pipelined) {
		s->keep_pipelined = false;
		lab_session_keep_replay(s, data, len);
	}
}
