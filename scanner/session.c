/*
 * NAME
 *	session - one SMTP connection: preamble, probe dialog, STARTTLS, QUIT
 *
 * DESCRIPTION
 *	See session.h. The flow of a session:
 *
 *	  CONNECTING -> [TLS_IMPLICIT] -> GREETING -> [EHLO -> (HELO)] -> PROBE
 *	  PROBE -> STARTTLS -> TLS_HANDSHAKE -> EHLO_TLS -> PROBE   (probe asks)
 *	  PROBE -> QUIT -> closed                                    (probe done)
 *
 *	When the probe wants a fresh session rather than concluding, the 221
 *	to QUIT proves nothing: once the QUIT is written (uv_shutdown) the
 *	run is told the session is done and may start the next, while this
 *	connection waits, detached, for the server to close. A concluded run
 *	still waits for the 221, so replies found out of step void its verdict.
 *
 *	Two STARTTLS variants serve the TLS probes. Injection writes a second
 *	command in the STARTTLS segment and, after the handshake, waits a
 *	moment in INJECT_WAIT for a reply the server should never send. Raw
 *	mode (also entered right after connect on implicit-TLS ports for
 *	PROBE_PREAMBLE_TLS_RAW) hands the probe the byte stream instead of
 *	doing a handshake: the probe writes its own ClientHello and gets the
 *	answer back one TLS record at a time (tls_hello_record_length frames
 *	them); a raw session ends by closing, never by QUIT.
 *
 *	session_enter() performs the action of a state; session_on_reply()
 *	decides where a complete reply leads. Reads are processed at once from
 *	the scheduler's shared buffers, so an idle plaintext session holds no
 *	buffer of its own; TLS state exists only from STARTTLS on. The first
 *	full handshake of a target is kept with its job (tls_resumable) and
 *	offered by the target's later handshakes.
 *
 *	Commands a probe queues go out as one flight when the server
 *	advertised PIPELINING after the latest EHLO and the commands may be
 *	grouped (RFC 2920: RSET, MAIL and RCPT anywhere; anything else ends
 *	the group); otherwise one at a time.
 *
 * DIAGNOSTICS
 *	Every failure ends the session with an outcome and a reason that
 *	names the state's phrase: "no reply within 30s while sending EHLO",
 *	"server stalls: reply still incomplete after 30s while waiting for the
 *	greeting", "server sent 17 bytes when no reply was due".
 */
#include "session.h"

#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "escape.h"
#include "sa_error.h"
#include "smtp_command.h"
#include "tls_hello.h"

enum session_state {
	SESSION_CONNECTING,
	SESSION_TLS_IMPLICIT,
	SESSION_GREETING,
	SESSION_EHLO,
	SESSION_HELO,
	SESSION_PROBE,
	SESSION_STARTTLS,
	SESSION_TLS_HANDSHAKE,
	SESSION_EHLO_TLS,
	SESSION_INJECT_WAIT,
	SESSION_RAW,
	SESSION_QUIT,
	SESSION_STATE_COUNT
};

enum session_timer {
	SESSION_TIMER_CONNECT,
	SESSION_TIMER_GREETING,
	SESSION_TIMER_REPLY,
	SESSION_TIMER_TLS,
	SESSION_TIMER_INJECT,
	SESSION_TIMER_QUIT,
};

struct session_state_info {
	const char *name;   /* for transcripts */
	const char *phrase; /* for errors: "... while <phrase>" */
	enum session_timer timer;
};

static const struct session_state_info session_states[] = {
	[SESSION_CONNECTING] = {"connecting", "connecting", SESSION_TIMER_CONNECT},
	[SESSION_TLS_IMPLICIT] = {"tls-implicit", "in the implicit TLS handshake",
				  SESSION_TIMER_TLS},
	[SESSION_GREETING] = {"greeting", "waiting for the greeting", SESSION_TIMER_GREETING},
	[SESSION_EHLO] = {"ehlo", "sending EHLO", SESSION_TIMER_REPLY},
	[SESSION_HELO] = {"helo", "sending HELO", SESSION_TIMER_REPLY},
	[SESSION_PROBE] = {"probe", "in the probe dialog", SESSION_TIMER_REPLY},
	[SESSION_STARTTLS] = {"starttls", "sending STARTTLS", SESSION_TIMER_REPLY},
	[SESSION_TLS_HANDSHAKE] = {"tls-handshake", "in the TLS handshake after STARTTLS",
				   SESSION_TIMER_TLS},
	[SESSION_EHLO_TLS] = {"ehlo-tls", "sending EHLO after STARTTLS", SESSION_TIMER_REPLY},
	[SESSION_INJECT_WAIT] = {"inject-wait", "waiting for a reply to the injected command",
				 SESSION_TIMER_INJECT},
	[SESSION_RAW] = {"raw", "waiting for the server's TLS record", SESSION_TIMER_TLS},
	[SESSION_QUIT] = {"quit", "sending QUIT", SESSION_TIMER_QUIT},
};
_Static_assert(sizeof(session_states) / sizeof(session_states[0]) == SESSION_STATE_COUNT,
	       "one entry per session state");

/* QUIT is a courtesy: never wait long for its 221. */
#define SESSION_QUIT_TIMEOUT_MS 5000

/*
 * A server vulnerable to STARTTLS injection answers the buffered command
 * as soon as its TLS layer is up, in the same breath as the handshake's
 * last flight. Silence for a few of its own reply times (that of the
 * STARTTLS, network and server included), within these bounds, means it
 * discarded the command.
 */
#define SESSION_INJECT_WAIT_RTTS   4
#define SESSION_INJECT_WAIT_MIN_MS 250
#define SESSION_INJECT_WAIT_MS     1500

/* Raw mode holds at most two maximal TLS records (RFC 5246 6.2.3: 2^14 + 2048 + header). */
#define SESSION_RAW_MAX (2 * (5 + 18432))

/* The longest command probe_starttls_inject() carries (it fits the STARTTLS line buffer). */
#define SESSION_INJECT_MAX 256

enum session_starttls_mode {
	SESSION_STARTTLS_PLAIN,  /* handshake, EHLO, hand over the EHLO reply */
	SESSION_STARTTLS_INJECT, /* a command rides along; look for its reply inside TLS */
	SESSION_STARTTLS_RAW,    /* no handshake: the probe speaks TLS itself */
};

struct session_cmd {
	struct session_cmd *next;
	int tag;
	bool message; /* message content ending in "\r\n.": one reply for all of it */
	size_t len;
	char line[]; /* without the final CRLF */
};

struct session_cmd_queue {
	struct session_cmd *head, *tail;
	size_t count;
};

struct session {
	struct scheduler *sched;
	struct probe_ctx *run;  /* NULL once detached: the QUIT is out, the run went on */
	struct scheduler_host *host;
	unsigned slot; /* in run->slots */
	uint64_t id;
	uv_tcp_t tcp;
	uv_connect_t connect_req;
	uv_shutdown_t shutdown_req;
	uv_timer_t timer;
	int open_handles;
	enum session_state state;
	struct smtp_reply_parser parser;
	struct tls_conn *tls;
	bool tls_active;
	bool reading;
	bool greeted;
	bool partial;  /* part of a reply is buffered: a stall, not silence */
	bool quitting; /* the probe is done; drain replies in flight, then QUIT */
	bool challenged; /* the last reply was 334: the next line is SASL data */
	bool ending;
	unsigned outstanding; /* replies the server owes */
	struct smtp_reply greeting;
	struct smtp_caps caps, caps_plain;
	bool have_caps, have_caps_plain;
	struct session_cmd_queue queued; /* not yet sent */
	struct session_cmd_queue flight; /* sent, reply awaited */
	int starttls_tag;
	enum session_starttls_mode starttls_mode;
	char injected[SESSION_INJECT_MAX + 1];
	bool closing;              /* QUIT written: off --concurrency (scheduler__session_closing) */
	uint64_t starttls_sent_ms; /* loop time the STARTTLS went out */
	uint64_t starttls_rtt_ms;  /* until its 220 came */
	char ehlo_tls_line[300];
	struct tls_facts *facts; /* of this session's handshake */
	bool raw;                /* raw mode: bytes to the probe, no SMTP parsing */
	bool raw_waiting;        /* the probe awaits a record */
	int raw_tag;
	unsigned char *raw_buf;  /* SESSION_RAW_MAX bytes, from the first raw read on */
	size_t raw_len;
	enum outcome end_outcome;
	char *end_reason;
};

struct session_write {
	uv_write_t req;
	char *owned; /* ciphertext handed over by tls_conn, or NULL */
	char data[];
};

static void session_enter(struct session *s, enum session_state state);
static void session_on_reply(struct session *s, const struct smtp_reply *r);
static void session_flush(struct session *s);
static void session_end(struct session *s, enum outcome outcome, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* ---- small helpers ---- */

static const struct scan_options *session_opt(const struct session *s)
{
	return s->sched->opt;
}

static struct target_result *session_result(const struct session *s)
{
	return s->run->job->result;
}

static uint64_t session_inject_wait_ms(const struct session *s)
{
	uint64_t wait = SESSION_INJECT_WAIT_RTTS * s->starttls_rtt_ms;
	if (wait < SESSION_INJECT_WAIT_MIN_MS)
		wait = SESSION_INJECT_WAIT_MIN_MS;
	if (wait > SESSION_INJECT_WAIT_MS)
		wait = SESSION_INJECT_WAIT_MS;
	uint64_t reply_ms = session_opt(s)->timeouts.reply_ms;
	return reply_ms < wait ? reply_ms : wait;
}

static uint64_t session_timer_ms(const struct session *s, enum session_timer t)
{
	const struct scan_timeouts *to = &session_opt(s)->timeouts;
	switch (t) {
	case SESSION_TIMER_CONNECT:
		return to->connect_ms;
	case SESSION_TIMER_GREETING:
		return to->greeting_ms;
	case SESSION_TIMER_REPLY:
		return to->reply_ms;
	case SESSION_TIMER_TLS:
		return to->tls_ms;
	case SESSION_TIMER_INJECT:
		return session_inject_wait_ms(s);
	case SESSION_TIMER_QUIT:
		return to->reply_ms < SESSION_QUIT_TIMEOUT_MS ? to->reply_ms : SESSION_QUIT_TIMEOUT_MS;
	}
	assert(!"unknown session timer");
	return to->reply_ms;
}

static void session_format_ms(uint64_t ms, char *buf, size_t buflen)
{
	if (ms % 1000 == 0)
		snprintf(buf, buflen, "%llus", (unsigned long long)(ms / 1000));
	else
		snprintf(buf, buflen, "%llums", (unsigned long long)ms);
}

/* What the session was doing, for error messages. */
static const char *session_phrase(const struct session *s, char *buf, size_t buflen)
{
	if (s->state == SESSION_PROBE && s->flight.head != NULL) {
		char verb[32];
		snprintf(buf, buflen, "waiting for the reply to %s",
			 smtp_command_verb(s->flight.head->line, verb, sizeof(verb)));
		return buf;
	}
	return session_states[s->state].phrase;
}

static void session_trace(const struct session *s, const char *dir, const char *text, size_t len)
{
	if (!session_opt(s)->verbose || s->run == NULL)
		return;
	struct timespec ts;
	struct tm tm;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	char *safe = escape_visible(text, len);
	const struct probe_target *t = &s->run->job->target;
	fprintf(stderr, "%02d:%02d:%02d.%03ld %s%s%s:%u %s#%llu %s %s\n", tm.tm_hour, tm.tm_min,
		tm.tm_sec, ts.tv_nsec / 1000000, t->family == 6 ? "[" : "", t->address,
		t->family == 6 ? "]" : "", t->port, s->run->probe->name, (unsigned long long)s->id,
		dir, safe ? safe : "(out of memory)");
	free(safe);
}

/* Probe commands are traced redacted: SASL data never reaches a transcript. */
static void session_trace_command(struct session *s, const struct session_cmd *c)
{
	char shown[SMTP_COMMAND_MAX + 16];
	if (c->message)
		snprintf(shown, sizeof(shown), "<message content, %zu bytes, then .>", c->len);
	else
		smtp_command_redact(c->line, s->challenged, shown, sizeof(shown));
	s->challenged = false;
	session_trace(s, "C:", shown, strlen(shown));
}

static void session_trace_reply(const struct session *s, const struct smtp_reply *r)
{
	for (size_t i = 0; i < r->nlines; i++) {
		char head[8];
		snprintf(head, sizeof(head), "%03d%c", r->code, i + 1 < r->nlines ? '-' : ' ');
		size_t len = strlen(r->lines[i]);
		char *line = malloc(len + 5);
		if (line == NULL)
			return;
		memcpy(line, head, 4);
		memcpy(line + 4, r->lines[i], len + 1);
		session_trace(s, "S:", line, len + 4);
		free(line);
	}
}

static void session_arm(struct session *s, enum session_timer t);

static void session_on_timeout(uv_timer_t *timer)
{
	struct session *s = timer->data;
	char dur[32], phrase[96];
	session_format_ms(session_timer_ms(s, session_states[s->state].timer), dur, sizeof(dur));
	switch (s->state) {
	case SESSION_QUIT:
		session_end(s, OUTCOME_COMPLETED, NULL);
		return;
	case SESSION_CONNECTING:
		session_end(s, OUTCOME_TIMEOUT, "no TCP connection within %s", dur);
		return;
	case SESSION_TLS_IMPLICIT:
	case SESSION_TLS_HANDSHAKE:
		session_end(s, OUTCOME_TIMEOUT, "TLS handshake not complete within %s", dur);
		return;
	case SESSION_INJECT_WAIT:
		if (!s->partial) {
			/* Silence is the good answer: carry on as after a plain STARTTLS. */
			s->outstanding = 0;
			session_enter(s, SESSION_EHLO_TLS);
			return;
		}
		break;
	default:
		break;
	}
	if (s->partial)
		session_end(s, OUTCOME_THROTTLED, "server stalls: reply still incomplete after %s while %s",
			    dur, session_phrase(s, phrase, sizeof(phrase)));
	else
		session_end(s, OUTCOME_TIMEOUT, "no reply within %s while %s", dur,
			    session_phrase(s, phrase, sizeof(phrase)));
}

static void session_arm(struct session *s, enum session_timer t)
{
	uv_timer_start(&s->timer, session_on_timeout, session_timer_ms(s, t), 0);
}

/* ---- writing ---- */

static void session_on_written(uv_write_t *req, int status)
{
	struct session_write *w = (struct session_write *)req;
	struct session *s = req->data;
	free(w->owned);
	free(w);
	if (status < 0 && status != UV_ECANCELED && !s->ending)
		session_end(s, OUTCOME_CLOSED, "cannot send: %s", uv_strerror(status));
}

static void session_write_buf(struct session *s, struct session_write *w, char *base, size_t len)
{
	w->req.data = s;
	uv_buf_t buf = uv_buf_init(base, (unsigned)len);
	int rc = uv_write(&w->req, (uv_stream_t *)&s->tcp, &buf, 1, session_on_written);
	if (rc < 0) {
		free(w->owned);
		free(w);
		session_end(s, OUTCOME_CLOSED, "cannot send: %s", uv_strerror(rc));
	}
}

static void session_flush_tls(struct session *s)
{
	char *data;
	size_t len;
	while (!s->ending && tls_conn_take_output(s->tls, &data, &len) == 0) {
		struct session_write *w = calloc(1, sizeof(*w));
		if (w == NULL) {
			free(data);
			session_end(s, OUTCOME_TLS_ERROR, "out of memory");
			return;
		}
		w->owned = data;
		session_write_buf(s, w, data, len);
	}
}

static void session_write(struct session *s, const char *data, size_t len)
{
	if (s->tls_active) {
		if (tls_conn_write(s->tls, data, len) != 0) {
			session_end(s, OUTCOME_TLS_ERROR, "%s", tls_conn_error(s->tls));
			return;
		}
		session_flush_tls(s);
		return;
	}
	struct session_write *w = malloc(sizeof(*w) + len);
	if (w == NULL) {
		session_end(s, OUTCOME_CLOSED, "out of memory");
		return;
	}
	w->owned = NULL;
	memcpy(w->data, data, len);
	session_write_buf(s, w, w->data, len);
}

/*
 * The QUIT is written: the run goes on without this session, which only
 * waits for the server to close (any byte, the 221 included, or the QUIT
 * timeout closes it) and counts for its host until then, so the server
 * never sees more connections than --per-host.
 */
static void session_on_shutdown(uv_shutdown_t *req, int status)
{
	struct session *s = req->data;
	if (s->ending)
		return;
	if (status < 0) {
		session_end(s, OUTCOME_COMPLETED, NULL);
		return;
	}
	struct probe_ctx *run = s->run;
	s->run = NULL;
	scheduler__session_done(run, s->slot, OUTCOME_COMPLETED, NULL);
}

/*
 * A QUIT whose 221 nobody needs: the session detaches once the QUIT is
 * written (uv_shutdown waits for the writes; uv_close alone would cancel them).
 */
static void session_shutdown(struct session *s)
{
	s->shutdown_req.data = s;
	if (uv_shutdown(&s->shutdown_req, (uv_stream_t *)&s->tcp, session_on_shutdown) < 0)
		session_end(s, OUTCOME_COMPLETED, NULL);
}

/* Sends one line the session itself composed (preamble, STARTTLS, QUIT). */
static void session_send_own(struct session *s, const char *line)
{
	size_t len = strlen(line);
	char buf[SMTP_COMMAND_MAX + 2];
	assert(len <= SMTP_COMMAND_MAX);
	memcpy(buf, line, len);
	memcpy(buf + len, "\r\n", 2);
	session_trace(s, "C:", line, len);
	s->outstanding++;
	session_write(s, buf, len + 2);
}

/* ---- the command queue of the probe ---- */

static void session_queue_push(struct session_cmd_queue *q, struct session_cmd *c)
{
	c->next = NULL;
	if (q->tail != NULL)
		q->tail->next = c;
	else
		q->head = c;
	q->tail = c;
	q->count++;
}

static struct session_cmd *session_queue_pop(struct session_cmd_queue *q)
{
	struct session_cmd *c = q->head;
	if (c == NULL)
		return NULL;
	q->head = c->next;
	if (q->head == NULL)
		q->tail = NULL;
	q->count--;
	return c;
}

static void session_queue_clear(struct session_cmd_queue *q)
{
	struct session_cmd *c;
	while ((c = session_queue_pop(q)) != NULL)
		free(c);
}

static bool session_can_pipeline(const struct session *s)
{
	return s->have_caps && smtp_caps_has(&s->caps, SMTP_EXT_PIPELINING);
}

/* Moves queued commands into flight: a group if allowed, else one at a time. */
static void session_flush(struct session *s)
{
	if (s->ending || s->state != SESSION_PROBE || s->quitting)
		return;
	if (s->flight.head != NULL && !session_can_pipeline(s))
		return;
	if (s->flight.head != NULL && !smtp_command_groupable(s->flight.tail->line))
		return;
	size_t total = 0, n = 0;
	for (struct session_cmd *c = s->queued.head; c != NULL; c = c->next) {
		total += c->len + 2;
		n++;
		if (!session_can_pipeline(s) || !smtp_command_groupable(c->line))
			break;
	}
	if (n == 0)
		return;
	struct session_write *w = malloc(sizeof(*w) + total);
	if (w == NULL) {
		session_end(s, OUTCOME_CLOSED, "out of memory");
		return;
	}
	w->owned = NULL;
	size_t off = 0;
	bool was_idle = s->flight.head == NULL;
	for (size_t i = 0; i < n; i++) {
		struct session_cmd *c = session_queue_pop(&s->queued);
		memcpy(w->data + off, c->line, c->len);
		memcpy(w->data + off + c->len, "\r\n", 2);
		off += c->len + 2;
		session_trace_command(s, c);
		session_queue_push(&s->flight, c);
		s->outstanding++;
	}
	if (was_idle)
		session_arm(s, SESSION_TIMER_REPLY);
	if (s->tls_active) {
		int rc = tls_conn_write(s->tls, w->data, total);
		free(w);
		if (rc != 0)
			session_end(s, OUTCOME_TLS_ERROR, "%s", tls_conn_error(s->tls));
		else
			session_flush_tls(s);
		return;
	}
	session_write_buf(s, w, w->data, total);
}

/* ---- facts for the target ---- */

static void session_record_greeting(struct session *s, const struct smtp_reply *r)
{
	struct target_result *t = session_result(s);
	if (smtp_reply_copy(&s->greeting, r) == 0)
		s->greeted = true;
	if (t->banner == NULL) {
		t->banner = smtp_reply_join(r);
		t->banner_code = r->code;
		if (t->banner != NULL)
			mta_guess_banner(&t->mta, t->banner);
	}
}

static void session_record_caps(struct session *s, const struct smtp_reply *r)
{
	struct target_result *t = session_result(s);
	smtp_caps_free(&s->caps);
	s->have_caps = smtp_caps_parse(r, &s->caps) == 0;
	if (!s->have_caps)
		return;
	t->esmtp = true;
	mta_guess_caps(&t->mta, &s->caps);
	if (s->tls_active && !t->have_caps_tls)
		t->have_caps_tls = smtp_caps_copy(&t->caps_tls, &s->caps) == 0;
	if (!s->tls_active) {
		if (!t->have_caps_plain)
			t->have_caps_plain = smtp_caps_copy(&t->caps_plain, &s->caps) == 0;
		smtp_caps_free(&s->caps_plain);
		s->have_caps_plain = smtp_caps_copy(&s->caps_plain, &s->caps) == 0;
	}
}

static void session_record_tls(struct session *s)
{
	struct target_result *t = session_result(s);
	s->facts = calloc(1, sizeof(*s->facts));
	if (s->facts == NULL)
		return;
	if (tls_conn_facts(s->tls, s->facts) != 0) {
		tls_facts_free(s->facts);
		free(s->facts);
		s->facts = NULL;
		return;
	}
	if (!t->have_tls)
		t->have_tls = tls_facts_copy(&t->tls, s->facts) == 0;
	struct target_job *job = s->run->job;
	if (job->tls_resume == NULL && session_opt(s)->tls_resumption)
		job->tls_resume = tls_resumable_new(s->tls, s->facts);
}

/* ---- handing replies to the probe ---- */

static void session_raw_deliver(struct session *s);

/* The probe is done with this session: concluded, or it wants it replaced or ended. */
static bool session_released(const struct session *s)
{
	uint32_t bit = 1u << s->slot;
	return scheduler__run_closing(s->run) ||
	       ((s->run->reconnect_slots | s->run->closing_slots) & bit) != 0;
}

/* Runs start() (reply NULL) or step() for this session: the probe API acts on it meanwhile. */
static void session_call_probe(struct session *s, const struct probe_reply *reply)
{
	struct probe_ctx *run = s->run;
	if (scheduler__run_closing(run))
		return;
	run->session = s;
	run->slot = s->slot;
	if (reply == NULL) {
		run->started = true;
		run->started_slots |= 1u << s->slot;
		run->probe->start(run);
	} else {
		run->probe->step(run, reply);
	}
	run->session = NULL;
}

static void session_after_raw_probe(struct session *s)
{
	if (session_released(s)) {
		/* The stream is mid-handshake or worse: no QUIT could be understood. */
		session_end(s, OUTCOME_COMPLETED, NULL);
		return;
	}
	/* Contract: in raw mode a probe callback sends, reads or concludes. */
	assert(s->raw_waiting);
	session_raw_deliver(s);
}

static void session_after_probe(struct session *s)
{
	if (s->ending)
		return;
	if (s->state == SESSION_RAW) {
		session_after_raw_probe(s);
		return;
	}
	if (s->state != SESSION_PROBE)
		return;
	if (session_released(s)) {
		s->quitting = true;
		session_queue_clear(&s->queued);
		if (s->flight.head == NULL)
			session_enter(s, SESSION_QUIT);
		return;
	}
	session_flush(s);
	/* Contract: a probe callback queues a command or concludes. */
	assert(s->ending || s->flight.head != NULL);
}

static void session_start_probe(struct session *s)
{
	s->state = SESSION_PROBE;
	session_call_probe(s, NULL);
	session_after_probe(s);
}

/* Implicit TLS in raw mode: the probe's start() writes the first bytes itself. */
static void session_deliver_start_raw(struct session *s)
{
	s->state = SESSION_RAW;
	session_call_probe(s, NULL);
	session_after_probe(s);
}

static void session_deliver_raw(struct session *s, int tag, const char *command,
				const struct smtp_reply *r, const void *raw, size_t raw_len)
{
	struct probe_reply pr = {.tag = tag, .command = command, .reply = r, .raw = raw,
				 .raw_len = raw_len};
	s->state = s->raw ? SESSION_RAW : SESSION_PROBE;
	session_call_probe(s, &pr);
	session_after_probe(s);
}

static void session_deliver(struct session *s, int tag, const char *command,
			    const struct smtp_reply *r)
{
	session_deliver_raw(s, tag, command, r, NULL, 0);
}

static void session_on_probe_reply(struct session *s, const struct smtp_reply *r)
{
	struct session_cmd *c = session_queue_pop(&s->flight);
	assert(c != NULL);
	if (s->flight.head != NULL)
		session_arm(s, SESSION_TIMER_REPLY);
	if (r->code == 421) {
		char verb[32];
		session_end(s, OUTCOME_THROTTLED, "server closing (421) after %s: %s",
			    smtp_command_verb(c->line, verb, sizeof(verb)), r->lines[0]);
	} else if (s->quitting) {
		if (s->flight.head == NULL)
			session_enter(s, SESSION_QUIT);
	} else {
		s->challenged = r->code == 334;
		session_deliver(s, c->tag, c->line, r);
	}
	free(c);
}

/* ---- states ---- */

static void session_begin_tls(struct session *s)
{
	s->tls = tls_conn_new(s->sched->tls, s->run->job->tls_name);
	if (s->tls == NULL) {
		session_end(s, OUTCOME_TLS_ERROR, "cannot set up TLS (out of memory)");
		return;
	}
	struct target_job *job = s->run->job;
	/* Not offering is harmless: the handshake is then a full one. */
	if (job->tls_resume != NULL && session_opt(s)->tls_resumption)
		(void)tls_conn_offer_session(s->tls, job->tls_resume);
	smtp_reply_parser_reset(&s->parser);
	/* RFC 3207: after STARTTLS nothing learnt before the handshake holds. */
	smtp_caps_free(&s->caps);
	s->have_caps = false;
}

static void session_tls_progress(struct session *s)
{
	int rc = tls_conn_handshake(s->tls);
	session_flush_tls(s);
	if (s->ending || rc == SA_ERROR_AGAIN)
		return;
	if (rc != 0) {
		session_end(s, OUTCOME_TLS_ERROR, "%s", tls_conn_error(s->tls));
		return;
	}
	s->tls_active = true;
	session_record_tls(s);
	if (tls_conn_resumed(s->tls))
		session_trace(s, "--", "TLS established (session resumed)", 33);
	else
		session_trace(s, "--", "TLS established", 15);
	if (s->state == SESSION_TLS_IMPLICIT)
		session_enter(s, SESSION_GREETING);
	else if (s->starttls_mode == SESSION_STARTTLS_INJECT)
		session_enter(s, SESSION_INJECT_WAIT);
	else
		session_enter(s, SESSION_EHLO_TLS);
}

static void session_enter(struct session *s, enum session_state state)
{
	char line[300];
	if (s->ending)
		return;
	s->state = state;
	switch (state) {
	case SESSION_CONNECTING:
	case SESSION_PROBE:
	case SESSION_RAW:
		break;
	case SESSION_INJECT_WAIT:
		s->outstanding = 1;
		break;
	case SESSION_TLS_IMPLICIT:
	case SESSION_TLS_HANDSHAKE:
		session_arm(s, SESSION_TIMER_TLS);
		session_begin_tls(s);
		if (!s->ending)
			session_tls_progress(s);
		return;
	case SESSION_GREETING:
		s->outstanding = 1;
		break;
	case SESSION_EHLO:
	case SESSION_HELO:
	case SESSION_EHLO_TLS:
		snprintf(line, sizeof(line), "%s %s", state == SESSION_HELO ? "HELO" : "EHLO",
			 session_opt(s)->helo_name);
		if (state == SESSION_EHLO_TLS)
			snprintf(s->ehlo_tls_line, sizeof(s->ehlo_tls_line), "%s", line);
		session_send_own(s, line);
		break;
	case SESSION_STARTTLS:
		s->starttls_sent_ms = uv_now(s->sched->loop);
		if (s->starttls_mode == SESSION_STARTTLS_INJECT) {
			/* One write, so both lines reach the server's buffer together. */
			snprintf(line, sizeof(line), "STARTTLS\r\n%s", s->injected);
			session_send_own(s, line);
		} else {
			session_send_own(s, "STARTTLS");
		}
		break;
	case SESSION_QUIT:
		session_send_own(s, "QUIT");
		if (!s->closing) {
			s->closing = true;
			scheduler__session_closing(s->sched);
		}
		if (!s->run->concluded && !s->ending)
			session_shutdown(s);
		break;
	case SESSION_STATE_COUNT:
		assert(!"not a state");
	}
	if (state != SESSION_PROBE && state != SESSION_RAW && !s->ending)
		session_arm(s, session_states[state].timer);
}

static void session_on_greeting(struct session *s, const struct smtp_reply *r)
{
	if (r->code == 220) {
		session_record_greeting(s, r);
		scheduler__session_answered(s->run);
		if (s->run->probe->preamble == PROBE_PREAMBLE_GREETING)
			session_start_probe(s);
		else
			session_enter(s, SESSION_EHLO);
	} else if (r->code == 421) {
		session_end(s, OUTCOME_THROTTLED, "server greeted with 421: %s", r->lines[0]);
	} else if (r->code == 554) {
		session_record_greeting(s, r);
		session_end(s, OUTCOME_REFUSED, "server refuses service (554 greeting): %s",
			    r->lines[0]);
	} else {
		session_end(s, OUTCOME_PROTOCOL_ERROR, "unexpected greeting code %d: %s", r->code,
			    r->lines[0]);
	}
}

static void session_on_helo_reply(struct session *s, const struct smtp_reply *r)
{
	if (r->code == 250) {
		if (s->state == SESSION_EHLO)
			session_record_caps(s, r);
		session_start_probe(s);
	} else if (r->code == 421) {
		session_end(s, OUTCOME_THROTTLED, "server closing (421) after %s: %s",
			    s->state == SESSION_EHLO ? "EHLO" : "HELO", r->lines[0]);
	} else if (s->state == SESSION_EHLO) {
		session_enter(s, SESSION_HELO);
	} else {
		session_end(s, OUTCOME_PROTOCOL_ERROR, "server rejected both EHLO and HELO: %d %s",
			    r->code, r->lines[0]);
	}
}

/*
 * A success other than the one a command can get (250 to QUIT, which only
 * answers 221) proves the replies are out of step with our commands: the
 * server sent one nobody asked for, in a segment of its own, and every
 * reply since was judged against the wrong command.
 */
static bool session_out_of_step(struct session *s, const struct smtp_reply *r, const char *command)
{
	int expected = strcmp(command, "QUIT") == 0 ? 221 : 220;
	if (smtp_reply_class(r) != 2 || r->code == expected)
		return false;
	session_end(s, OUTCOME_PROTOCOL_ERROR,
		    "replies out of step: %d to %s, which only answers %d (the server sent a reply "
		    "nobody asked for)",
		    r->code, command, expected);
	return true;
}

static void session_on_reply(struct session *s, const struct smtp_reply *r)
{
	session_trace_reply(s, r);
	char *text = smtp_reply_join(r);
	if (text != NULL)
		mta_guess_reply(&session_result(s)->mta, text);
	free(text);
	switch (s->state) {
	case SESSION_GREETING:
		session_on_greeting(s, r);
		break;
	case SESSION_EHLO:
	case SESSION_HELO:
		session_on_helo_reply(s, r);
		break;
	case SESSION_STARTTLS:
		if (r->code == 220 && s->starttls_mode == SESSION_STARTTLS_RAW) {
			s->raw = true;
			session_deliver(s, s->starttls_tag, "STARTTLS", r);
		} else if (r->code == 220) {
			s->starttls_rtt_ms = uv_now(s->sched->loop) - s->starttls_sent_ms;
			session_enter(s, SESSION_TLS_HANDSHAKE);
		} else if (!session_out_of_step(s, r, "STARTTLS")) {
			session_deliver(s, s->starttls_tag, "STARTTLS", r);
		}
		break;
	case SESSION_INJECT_WAIT:
		session_deliver(s, s->starttls_tag, s->injected, r);
		break;
	case SESSION_EHLO_TLS:
		if (r->code == 250)
			session_record_caps(s, r);
		session_deliver(s, s->starttls_tag, s->ehlo_tls_line, r);
		break;
	case SESSION_PROBE:
		session_on_probe_reply(s, r);
		break;
	case SESSION_QUIT:
		if (!session_out_of_step(s, r, "QUIT"))
			session_end(s, OUTCOME_COMPLETED, NULL);
		break;
	default:
		assert(!"reply in a state that expects none");
	}
}

/* ---- reading ---- */

/* The first bytes of what the server sent, escaped, for an error message. */
#define SESSION_PREVIEW 40

static char *session_preview(const char *data, size_t len)
{
	char *shown = escape_visible(data, len > SESSION_PREVIEW ? SESSION_PREVIEW : len);
	char *out = NULL;
	if (shown != NULL && asprintf(&out, "\"%s%s\"", shown, len > SESSION_PREVIEW ? "..." : "") < 0)
		out = NULL;
	free(shown);
	return out;
}

static void session_unsolicited(struct session *s, const char *data, size_t len)
{
	char *shown = session_preview(data, len);
	session_end(s, OUTCOME_PROTOCOL_ERROR, "server sent %zu bytes when no reply was due: %s",
		    len, shown ? shown : "");
	free(shown);
}

static void session_bad_reply(struct session *s, const char *data, size_t len)
{
	char phrase[96];
	char *shown = session_preview(data, len);
	session_end(s, OUTCOME_PROTOCOL_ERROR, "bad reply while %s: %s; received %s",
		    session_phrase(s, phrase, sizeof(phrase)), smtp_reply_parser_error(&s->parser),
		    shown ? shown : "");
	free(shown);
}

/*
 * The server may not speak between its 220 to STARTTLS and the client's
 * hello (RFC 3207). A plain STARTTLS fails on that; the TLS probes are
 * handed the 220 and the bytes, and the session then only closes.
 */
static void session_starttls_trailer(struct session *s, const struct smtp_reply *r,
				     const char *data, size_t len)
{
	if (s->starttls_mode == SESSION_STARTTLS_PLAIN) {
		session_end(s, OUTCOME_TLS_ERROR,
			    "server sent %zu bytes after its 220 to STARTTLS, before the TLS handshake",
			    len);
		return;
	}
	session_trace_reply(s, r);
	s->raw = true;
	session_deliver_raw(s, s->starttls_tag, "STARTTLS", r, data, len);
	if (!s->ending)
		session_end(s, OUTCOME_COMPLETED, NULL);
}

/* Plaintext SMTP bytes: cut into replies, each handled in turn. */
static void session_on_plain(struct session *s, const char *data, size_t len)
{
	while (len > 0 && !s->ending) {
		if (s->outstanding == 0) {
			session_unsolicited(s, data, len);
			return;
		}
		size_t used = 0;
		struct smtp_reply r;
		int rc = smtp_reply_parser_feed(&s->parser, data, len, &used, &r);
		if (rc < 0) {
			session_bad_reply(s, data, len);
			return;
		}
		data += used;
		len -= used;
		s->partial = !smtp_reply_parser_idle(&s->parser);
		if (rc == SMTP_REPLY_NEED_MORE)
			return;
		s->outstanding--;
		bool starttls_accepted = s->state == SESSION_STARTTLS && r.code == 220;
		if (starttls_accepted && len > 0) {
			session_starttls_trailer(s, &r, data, len);
			smtp_reply_free(&r);
			return;
		} else if (s->outstanding == 0 && len > 0) {
			/* Checked before acting on the reply, which may send the next command. */
			session_unsolicited(s, data, len);
		} else {
			session_on_reply(s, &r);
		}
		smtp_reply_free(&r);
	}
}

static void session_on_cipher(struct session *s, const char *data, size_t len)
{
	int rc = tls_conn_feed(s->tls, data, len);
	if (rc != 0) {
		session_end(s, OUTCOME_TLS_ERROR, "%s", tls_conn_error(s->tls));
		return;
	}
	if (!s->tls_active) {
		session_tls_progress(s);
		if (s->ending || !s->tls_active)
			return;
	}
	for (;;) {
		size_t got;
		rc = tls_conn_read(s->tls, s->sched->plain_buf, sizeof(s->sched->plain_buf), &got);
		if (rc == SA_ERROR_AGAIN)
			return;
		if (rc == SA_ERROR_CLOSED) {
			if (s->state == SESSION_QUIT)
				session_end(s, OUTCOME_COMPLETED, NULL);
			else
				session_end(s, OUTCOME_CLOSED, "server closed the TLS session while %s",
					    session_states[s->state].phrase);
			return;
		}
		if (rc != 0) {
			session_end(s, OUTCOME_TLS_ERROR, "%s", tls_conn_error(s->tls));
			return;
		}
		session_on_plain(s, s->sched->plain_buf, got);
		if (s->ending)
			return;
	}
}

/* ---- raw mode ---- */

/* Hands the probe one framed record, or unframeable bytes as they are, if it waits for them. */
static void session_raw_deliver(struct session *s)
{
	while (!s->ending && s->state == SESSION_RAW && s->raw_waiting && s->raw_len > 0) {
		size_t record_len = s->raw_len;
		int rc = tls_hello_record_length(s->raw_buf, s->raw_len, &record_len);
		if (rc == SA_ERROR_AGAIN || (rc == 0 && record_len > s->raw_len))
			return;
		char note[48];
		int n = snprintf(note, sizeof(note), "(%zu raw bytes)", record_len);
		session_trace(s, "S:", note, (size_t)n);
		unsigned char *record = malloc(record_len);
		if (record == NULL) {
			session_end(s, OUTCOME_CLOSED, "out of memory");
			return;
		}
		memcpy(record, s->raw_buf, record_len);
		s->raw_len -= record_len;
		memmove(s->raw_buf, s->raw_buf + record_len, s->raw_len);
		s->raw_waiting = false;
		uv_timer_stop(&s->timer);
		session_deliver_raw(s, s->raw_tag, "(raw)", NULL, record, record_len);
		free(record);
	}
}

static void session_on_raw(struct session *s, const char *data, size_t len)
{
	if (s->raw_buf == NULL && (s->raw_buf = malloc(SESSION_RAW_MAX)) == NULL) {
		session_end(s, OUTCOME_CLOSED, "out of memory");
		return;
	}
	if (len > SESSION_RAW_MAX - s->raw_len) {
		session_end(s, OUTCOME_PROTOCOL_ERROR,
			    "server sent more than %d bytes no one read while %s", SESSION_RAW_MAX,
			    session_states[s->state].phrase);
		return;
	}
	memcpy(s->raw_buf + s->raw_len, data, len);
	s->raw_len += len;
	session_raw_deliver(s);
}

static void session_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	struct session *s = h->data;
	(void)suggested;
	*buf = uv_buf_init(s->sched->read_buf, sizeof(s->sched->read_buf));
}

static void session_on_eof(struct session *s, ssize_t nread)
{
	char phrase[96];
	if (s->state == SESSION_QUIT) {
		session_end(s, OUTCOME_COMPLETED, NULL);
		return;
	}
	if (s->state == SESSION_RAW && s->raw_waiting && s->raw_len > 0) {
		/* A partial record before the close is all there is: let the probe judge it. */
		size_t len = s->raw_len;
		s->raw_len = 0;
		s->raw_waiting = false;
		uv_timer_stop(&s->timer);
		session_deliver_raw(s, s->raw_tag, "(raw)", NULL, s->raw_buf, len);
		if (s->ending)
			return;
	}
	const char *doing = session_phrase(s, phrase, sizeof(phrase));
	if (nread == UV_EOF)
		session_end(s, OUTCOME_CLOSED, "server closed the connection %swhile %s",
			    s->partial ? "in the middle of a reply " : "", doing);
	else
		session_end(s, OUTCOME_CLOSED, "connection error while %s: %s", doing,
			    uv_strerror((int)nread));
}

static void session_on_read(uv_stream_t *stream, ssize_t nread, const uv_buf_t *buf)
{
	struct session *s = stream->data;
	if (s->ending)
		return;
	if (s->run == NULL) {
		session_end(s, OUTCOME_COMPLETED, NULL); /* detached: the goodbye or the close */
		return;
	}
	if (nread < 0) {
		session_on_eof(s, nread);
		return;
	}
	if (s->raw)
		session_on_raw(s, buf->base, (size_t)nread);
	else if (s->tls != NULL)
		session_on_cipher(s, buf->base, (size_t)nread);
	else
		session_on_plain(s, buf->base, (size_t)nread);
}

/* ---- connecting and ending ---- */

static enum outcome session_connect_outcome(int status)
{
	switch (status) {
	case UV_ECONNREFUSED:
		return OUTCOME_REFUSED;
	case UV_ETIMEDOUT:
		return OUTCOME_TIMEOUT;
	case UV_ENETUNREACH:
	case UV_EHOSTUNREACH:
	case UV_EADDRNOTAVAIL:
		return OUTCOME_UNREACHABLE;
	default:
		return OUTCOME_CLOSED;
	}
}

static void session_on_connect(uv_connect_t *req, int status)
{
	struct session *s = req->data;
	if (s->ending)
		return;
	if (status < 0) {
		session_end(s, session_connect_outcome(status), "cannot connect: %s",
			    uv_strerror(status));
		return;
	}
	scheduler__session_connected(s->run);
	int rc = uv_read_start((uv_stream_t *)&s->tcp, session_alloc, session_on_read);
	if (rc < 0) {
		session_end(s, OUTCOME_CLOSED, "cannot read: %s", uv_strerror(rc));
		return;
	}
	s->reading = true;
	session_trace(s, "--", "connected", 9);
	if (!s->run->job->target.implicit_tls) {
		session_enter(s, SESSION_GREETING);
	} else if (s->run->probe->preamble == PROBE_PREAMBLE_TLS_RAW) {
		s->raw = true;
		scheduler__session_answered(s->run);
		session_deliver_start_raw(s);
	} else {
		session_enter(s, SESSION_TLS_IMPLICIT);
	}
}

static void session_free(struct session *s)
{
	struct probe_ctx *run = s->run;
	enum outcome outcome = s->end_outcome;
	char *reason = s->end_reason;
	session_queue_clear(&s->queued);
	session_queue_clear(&s->flight);
	smtp_reply_parser_free(&s->parser);
	if (s->greeted)
		smtp_reply_free(&s->greeting);
	smtp_caps_free(&s->caps);
	smtp_caps_free(&s->caps_plain);
	tls_conn_free(s->tls);
	if (s->facts != NULL)
		tls_facts_free(s->facts);
	free(s->facts);
	unsigned slot = s->slot;
	struct scheduler *sched = s->sched;
	struct scheduler_host *host = s->host;
	bool closing = s->closing;
	free(s->raw_buf);
	free(s);
	if (run != NULL)
		scheduler__session_done(run, slot, outcome, reason);
	scheduler__session_closed(sched, host, outcome, closing);
	free(reason);
}

static void session_on_closed(uv_handle_t *h)
{
	struct session *s = h->data;
	if (--s->open_handles == 0)
		session_free(s);
}

static void session_end(struct session *s, enum outcome outcome, const char *fmt, ...)
{
	if (s->ending)
		return;
	s->ending = true;
	s->end_outcome = outcome;
	if (fmt != NULL) {
		va_list ap;
		va_start(ap, fmt);
		if (vasprintf(&s->end_reason, fmt, ap) < 0)
			s->end_reason = NULL;
		va_end(ap);
		session_trace(s, "--", s->end_reason ? s->end_reason : "", s->end_reason ? strlen(s->end_reason) : 0);
	}
	uv_timer_stop(&s->timer);
	if (s->reading)
		uv_read_stop((uv_stream_t *)&s->tcp);
	uv_close((uv_handle_t *)&s->timer, session_on_closed);
	uv_close((uv_handle_t *)&s->tcp, session_on_closed);
}

void session_abort(struct session *s, enum outcome outcome, const char *reason)
{
	session_end(s, outcome, "%s", reason);
}

int session_start(struct scheduler *sched, struct probe_ctx *run)
{
	struct session *s = calloc(1, sizeof(*s));
	if (s == NULL)
		return SA_ERROR_NOMEM;
	/* The socket first: out of descriptors (SA_ERROR_AGAIN), the scheduler holds the run back. */
	int rc = uv_tcp_init_ex(sched->loop, &s->tcp, run->job->addr.ss_family);
	if (rc < 0) {
		free(s);
		return sa_error_from_errno(rc);
	}
	/*
	 * Each write is a whole command or flight. With Nagle, the EHLO after a
	 * resumed handshake (whose last flight is the client's) would wait for
	 * the server's delayed ACK.
	 */
	(void)uv_tcp_nodelay(&s->tcp, 1);
	s->sched = sched;
	s->run = run;
	s->host = run->job->host;
	while (s->slot < PROBE_MAX_SLOTS && run->slots[s->slot] != NULL)
		s->slot++;
	assert(s->slot < PROBE_MAX_SLOTS && "the scheduler starts no more sessions than slots");
	s->id = ++sched->session_seq;
	s->state = SESSION_CONNECTING;
	smtp_reply_parser_init(&s->parser, NULL);
	uv_timer_init(sched->loop, &s->timer);
	s->tcp.data = s;
	s->timer.data = s;
	s->open_handles = 2;
	s->connect_req.data = s;
	run->slots[s->slot] = s;
	rc = uv_tcp_connect(&s->connect_req, &s->tcp, (const struct sockaddr *)&run->job->addr,
			    session_on_connect);
	if (rc < 0)
		session_end(s, session_connect_outcome(rc), "cannot connect: %s", uv_strerror(rc));
	else
		session_arm(s, SESSION_TIMER_CONNECT);
	return 0;
}

/* ---- for probe_ctx.c ---- */

static int session_queue_cmd(struct session *s, int tag, bool message, const char *text,
			     size_t len)
{
	if (s->ending || s->quitting || s->state != SESSION_PROBE)
		return SA_ERROR_INVAL;
	struct session_cmd *c = malloc(sizeof(*c) + len + 1);
	if (c == NULL)
		return SA_ERROR_NOMEM;
	c->tag = tag;
	c->message = message;
	c->len = len;
	memcpy(c->line, text, len + 1);
	session_queue_push(&s->queued, c);
	return 0;
}

int session_queue(struct session *s, int tag, const char *line)
{
	size_t len = strlen(line);
	if (len > SMTP_COMMAND_MAX)
		return SA_ERROR_INVAL;
	return session_queue_cmd(s, tag, false, line, len);
}

int session_queue_message(struct session *s, int tag, const char *text, size_t len)
{
	return session_queue_cmd(s, tag, true, text, len);
}

static int session_starttls_as(struct session *s, int tag, enum session_starttls_mode mode)
{
	if (s->ending || s->quitting || s->state != SESSION_PROBE || s->tls_active ||
	    s->queued.head != NULL || s->flight.head != NULL)
		return SA_ERROR_INVAL;
	s->starttls_tag = tag;
	s->starttls_mode = mode;
	session_enter(s, SESSION_STARTTLS);
	return 0;
}

int session_starttls(struct session *s, int tag)
{
	return session_starttls_as(s, tag, SESSION_STARTTLS_PLAIN);
}

int session_starttls_inject(struct session *s, int tag, const char *line)
{
	if (strlen(line) > SESSION_INJECT_MAX)
		return SA_ERROR_INVAL;
	snprintf(s->injected, sizeof(s->injected), "%s", line);
	return session_starttls_as(s, tag, SESSION_STARTTLS_INJECT);
}

int session_starttls_raw(struct session *s, int tag)
{
	return session_starttls_as(s, tag, SESSION_STARTTLS_RAW);
}

int session_read_raw(struct session *s, int tag)
{
	if (s->ending || s->state != SESSION_RAW || s->raw_waiting || s->run->concluded)
		return SA_ERROR_INVAL;
	s->raw_waiting = true;
	s->raw_tag = tag;
	/* The probe is in a TLS handshake of its own: the handshake's patience applies. */
	session_arm(s, SESSION_TIMER_TLS);
	return 0;
}

int session_send_raw(struct session *s, int tag, const void *data, size_t len)
{
	if (len == 0 || len > PROBE_RAW_WRITE_MAX)
		return SA_ERROR_INVAL;
	int rc = session_read_raw(s, tag);
	if (rc != 0)
		return rc;
	char note[48];
	int n = snprintf(note, sizeof(note), "(%zu raw bytes)", len);
	session_trace(s, "C:", note, (size_t)n);
	session_write(s, data, len);
	return 0;
}

const struct tls_facts *session_tls_facts(const struct session *s)
{
	return s->facts;
}

const struct smtp_reply *session_greeting(const struct session *s)
{
	return s->greeted ? &s->greeting : NULL;
}

const struct smtp_caps *session_caps(const struct session *s)
{
	return s->have_caps ? &s->caps : NULL;
}

const struct smtp_caps *session_caps_plain(const struct session *s)
{
	return s->have_caps_plain ? &s->caps_plain : NULL;
}

bool session_tls_active(const struct session *s)
{
	return s->tls_active;
}
