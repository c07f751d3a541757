/*
 * NAME
 *	probe_harness - the probe API without a network, for unit tests
 *
 * DESCRIPTION
 *	See probe_harness.h. Replies are parsed with the scanner's own reply
 *	and capability parsers, so a test exercises the same code path as a
 *	scan. Misuse of the harness by a test is a criterion failure, not a
 *	crash.
 */
#include "probe_harness.h"

#include <criterion/criterion.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sa_error.h"
#include "smtp_command.h"

#define HARNESS_MAX_LINES 4096

enum harness_cmd_kind {
	HARNESS_CMD_LINE,
	HARNESS_CMD_STARTTLS,
	HARNESS_CMD_STARTTLS_INJECT,
	HARNESS_CMD_STARTTLS_RAW,
	HARNESS_CMD_INJECT_WAIT, /* after an injected STARTTLS's handshake */
	HARNESS_CMD_RAW,         /* probe_send_raw() or probe_read_raw() */
};

struct harness_cmd {
	int tag;
	enum harness_cmd_kind kind;
	char *line;
};

struct harness_raw {
	unsigned char *data;
	size_t len;
};

struct harness {
	const struct probe *probe;
	struct harness_setup setup;
	struct probe_target target;
	void *state;
	struct smtp_reply greeting;
	struct smtp_caps caps, caps_plain;
	bool have_caps, have_caps_plain;
	bool tls_active;
	bool raw;
	bool greeted;
	const char *failure;
	char *injected;
	bool concluded;
	bool reconnect_wanted;
	bool in_session;
	unsigned sessions;
	enum verdict verdict;
	char *verdict_reason;
	struct harness_cmd pending[HARNESS_MAX_LINES];
	size_t npending;
	char *sent[HARNESS_MAX_LINES];
	size_t nsent;
	struct harness_raw raw_sent[HARNESS_MAX_LINES];
	size_t nraw_sent;
	struct finding **findings;
	size_t nfindings;
	int last_send;
	uint64_t random;
};

/* The probe's context is the harness itself (its first and only member). */
struct probe_ctx {
	struct harness h;
};

static struct probe_ctx *harness_ctx(struct harness *h)
{
	return (struct probe_ctx *)h;
}

/* ---- parsing scripted replies ---- */

static struct smtp_reply harness_parse(const char *text)
{
	struct smtp_reply_parser p;
	struct smtp_reply r = {0};
	char *wire;
	cr_assert(asprintf(&wire, "%s\r\n", text) > 0);
	smtp_reply_parser_init(&p, NULL);
	size_t used = 0;
	int rc = smtp_reply_parser_feed(&p, wire, strlen(wire), &used, &r);
	cr_assert_eq(rc, SMTP_REPLY_COMPLETE, "scripted reply is not one complete reply: %s", text);
	cr_assert_eq(used, strlen(wire), "scripted reply has trailing bytes: %s", text);
	smtp_reply_parser_free(&p);
	free(wire);
	return r;
}

static void harness_set_caps(struct harness *h, const char *ehlo_text)
{
	smtp_caps_free(&h->caps);
	h->have_caps = false;
	if (ehlo_text == NULL)
		return;
	struct smtp_reply r = harness_parse(ehlo_text);
	if (r.code == 250)
		h->have_caps = smtp_caps_parse(&r, &h->caps) == 0;
	smtp_reply_free(&r);
}

/* setup.ehlo_tls defaults to setup.ehlo without its STARTTLS line. */
static char *harness_default_ehlo_tls(const char *ehlo)
{
	char *out = calloc(1, strlen(ehlo) + 1);
	const char *p = ehlo;
	cr_assert_not_null(out);
	while (*p) {
		size_t n = strcspn(p, "\r\n");
		if (!(n >= 12 && strncasecmp(p + 4, "STARTTLS", 8) == 0)) {
			if (*out)
				strcat(out, "\r\n");
			strncat(out, p, n);
		}
		p += n;
		while (*p == '\r' || *p == '\n')
			p++;
	}
	/* The last line must carry a space separator. */
	char *last = strrchr(out, '\n');
	last = last ? last + 1 : out;
	if (strlen(last) > 3)
		last[3] = ' ';
	return out;
}

/* ---- the harness ---- */

struct harness *harness_new(const struct probe *probe, const struct harness_setup *setup)
{
	struct harness *h = calloc(1, sizeof(*h));
	cr_assert_not_null(h);
	h->probe = probe;
	h->setup = setup ? *setup : (struct harness_setup){0};
	struct harness_setup *s = &h->setup;
	if (s->host == NULL)
		s->host = "mx.example.org";
	if (s->address == NULL)
		s->address = "192.0.2.25";
	if (s->family == 0)
		s->family = 4;
	if (s->port == 0)
		s->port = 25;
	if (s->greeting == NULL)
		s->greeting = "220 mx.example.org ESMTP";
	if (s->settings.helo_name == NULL)
		s->settings.helo_name = "scanner.example.net";
	if (s->settings.relay_domain == NULL)
		s->settings.relay_domain = "example.net";
	if (s->settings.relay_from == NULL)
		s->settings.relay_from = "smtp-audit@example.org";
	if (s->settings.cert_warn_days == 0)
		s->settings.cert_warn_days = 21;
	h->target = (struct probe_target){
		.host = s->host,
		.address = s->address,
		.family = s->family,
		.port = s->port,
		.implicit_tls = s->implicit_tls,
		.submission = s->submission || s->port == 587,
	};
	h->random = s->random;
	h->verdict = VERDICT_INCONCLUSIVE;
	if (probe->state_size > 0) {
		h->state = calloc(1, probe->state_size);
		cr_assert_not_null(h->state);
	}
	return h;
}

static void harness_clear_pending(struct harness *h)
{
	for (size_t i = 0; i < h->npending; i++)
		free(h->pending[i].line);
	h->npending = 0;
}

static void harness_end_session(struct harness *h)
{
	harness_clear_pending(h);
	if (h->greeted)
		smtp_reply_free(&h->greeting);
	h->greeted = false;
	h->raw = false;
	free(h->injected);
	h->injected = NULL;
	smtp_caps_free(&h->caps);
	smtp_caps_free(&h->caps_plain);
	h->have_caps = h->have_caps_plain = false;
	h->tls_active = false;
	h->in_session = false;
}

void harness_free(struct harness *h)
{
	if (h == NULL)
		return;
	harness_end_session(h);
	for (size_t i = 0; i < h->nsent; i++)
		free(h->sent[i]);
	for (size_t i = 0; i < h->nraw_sent; i++)
		free(h->raw_sent[i].data);
	for (size_t i = 0; i < h->nfindings; i++) {
		finding_free(h->findings[i]);
		free(h->findings[i]);
	}
	free(h->findings);
	if (h->probe->cleanup != NULL && h->state != NULL)
		h->probe->cleanup(h->state);
	free(h->state);
	free(h->verdict_reason);
	free(h);
}

/* After a callback the probe must have queued something or concluded (the engine asserts it). */
static void harness_check_contract(const struct harness *h)
{
	cr_assert(h->npending > 0 || h->concluded || h->reconnect_wanted,
		  "probe %s returned without queueing a command or concluding", h->probe->name);
}

void harness_start(struct harness *h)
{
	if (h->sessions > 0)
		harness_end_session(h);
	h->sessions++;
	h->in_session = true;
	h->reconnect_wanted = false;
	if (h->setup.implicit_tls && h->probe->preamble == PROBE_PREAMBLE_TLS_RAW) {
		/* As the engine: start() right after connect, no handshake, no greeting. */
		h->raw = true;
		h->probe->start(harness_ctx(h));
		harness_check_contract(h);
		return;
	}
	h->greeting = harness_parse(h->setup.greeting);
	h->greeted = true;
	h->tls_active = h->setup.implicit_tls;
	if (h->probe->preamble != PROBE_PREAMBLE_GREETING) {
		harness_set_caps(h, h->tls_active && h->setup.ehlo_tls ? h->setup.ehlo_tls
									 : h->setup.ehlo);
		if (h->have_caps && !h->tls_active)
			h->have_caps_plain = smtp_caps_copy(&h->caps_plain, &h->caps) == 0;
	}
	h->probe->start(harness_ctx(h));
	harness_check_contract(h);
}

void harness_restart(struct harness *h)
{
	cr_assert(h->reconnect_wanted, "probe did not ask for a new session");
	harness_start(h);
}

static void harness_record_sent(struct harness *h, const char *line)
{
	cr_assert_lt(h->nsent, HARNESS_MAX_LINES, "probe sent too many commands");
	h->sent[h->nsent++] = strdup(line);
}

static void harness_push_unsent(struct harness *h, int tag, enum harness_cmd_kind kind,
			       const char *line)
{
	cr_assert_lt(h->npending, HARNESS_MAX_LINES, "probe queued too many commands");
	h->pending[h->npending++] = (struct harness_cmd){.tag = tag, .kind = kind,
							 .line = strdup(line)};
}

static void harness_push(struct harness *h, int tag, enum harness_cmd_kind kind, const char *line)
{
	harness_push_unsent(h, tag, kind, line);
	harness_record_sent(h, line);
}

size_t harness_pending(const struct harness *h)
{
	return h->npending;
}

const char *harness_pending_command(const struct harness *h, size_t i)
{
	return i < h->npending ? h->pending[i].line : NULL;
}

size_t harness_sent_count(const struct harness *h)
{
	return h->nsent;
}

const char *harness_sent(const struct harness *h, size_t i)
{
	return i < h->nsent ? h->sent[i] : NULL;
}

size_t harness_sent_verb(const struct harness *h, const char *verb)
{
	size_t n = 0;
	for (size_t i = 0; i < h->nsent; i++) {
		char v[16];
		if (strcasecmp(smtp_command_verb(h->sent[i], v, sizeof(v)), verb) == 0)
			n++;
	}
	return n;
}

static void harness_deliver_raw(struct harness *h, int tag, const char *command,
				const struct smtp_reply *r, const void *raw, size_t raw_len)
{
	struct probe_reply pr = {.tag = tag, .command = command, .reply = r, .raw = raw,
				 .raw_len = raw_len};
	h->probe->step(harness_ctx(h), &pr);
	harness_check_contract(h);
}

static void harness_deliver(struct harness *h, int tag, const char *command,
			    const struct smtp_reply *r)
{
	harness_deliver_raw(h, tag, command, r, NULL, 0);
}

/* The oldest pending entry, removed from the queue; the caller frees its line. */
static struct harness_cmd harness_pop(struct harness *h)
{
	cr_assert(h->in_session, "no session");
	cr_assert_gt(h->npending, 0, "an answer but nothing is pending");
	struct harness_cmd cmd = h->pending[0];
	memmove(h->pending, h->pending + 1, (h->npending - 1) * sizeof(h->pending[0]));
	h->npending--;
	return cmd;
}

static void harness_starttls_done(struct harness *h, int tag)
{
	char ehlo_line[300];
	char *tls_text = h->setup.ehlo_tls ? strdup(h->setup.ehlo_tls)
					   : harness_default_ehlo_tls(h->setup.ehlo);
	h->tls_active = true;
	harness_set_caps(h, tls_text);
	snprintf(ehlo_line, sizeof(ehlo_line), "EHLO %s", h->setup.settings.helo_name);
	harness_record_sent(h, ehlo_line);
	struct smtp_reply r = harness_parse(tls_text);
	harness_deliver(h, tag, ehlo_line, &r);
	smtp_reply_free(&r);
	free(tls_text);
}

static void harness_answer(struct harness *h, const struct harness_cmd *cmd,
			   const struct smtp_reply *r)
{
	switch (cmd->kind) {
	case HARNESS_CMD_RAW:
		cr_assert_fail("a raw read is pending: answer it with harness_reply_raw()");
		break;
	case HARNESS_CMD_STARTTLS:
		if (r->code == 220)
			harness_starttls_done(h, cmd->tag);
		else
			harness_deliver(h, cmd->tag, cmd->line, r);
		break;
	case HARNESS_CMD_STARTTLS_INJECT:
		if (r->code == 220) {
			/* The handshake succeeds; a reply inside TLS or silence follows. */
			h->tls_active = true;
			harness_push_unsent(h, cmd->tag, HARNESS_CMD_INJECT_WAIT, h->injected);
		} else {
			harness_deliver(h, cmd->tag, "STARTTLS", r);
		}
		break;
	case HARNESS_CMD_STARTTLS_RAW:
		h->raw = r->code == 220;
		harness_deliver(h, cmd->tag, "STARTTLS", r);
		break;
	case HARNESS_CMD_INJECT_WAIT:
	case HARNESS_CMD_LINE:
		harness_deliver(h, cmd->tag, cmd->line, r);
		break;
	}
}

void harness_reply(struct harness *h, const char *text)
{
	struct harness_cmd cmd = harness_pop(h);
	struct smtp_reply r = harness_parse(text);
	if (r.code == 421) {
		/* As in the engine: 421 ends the session, the probe sees interrupted(). */
		smtp_reply_free(&r);
		free(cmd.line);
		harness_interrupt_because(h, OUTCOME_THROTTLED, text);
		return;
	}
	if (!h->concluded && !h->reconnect_wanted)
		harness_answer(h, &cmd, &r);
	smtp_reply_free(&r);
	free(cmd.line);
}

void harness_reply_raw(struct harness *h, const void *data, size_t len)
{
	struct harness_cmd cmd = harness_pop(h);
	cr_assert_eq(cmd.kind, HARNESS_CMD_RAW, "raw bytes, but '%s' is pending", cmd.line);
	harness_deliver_raw(h, cmd.tag, "(raw)", NULL, data, len);
	free(cmd.line);
}

void harness_reply_then_bytes(struct harness *h, const char *text, const void *data, size_t len)
{
	struct harness_cmd cmd = harness_pop(h);
	cr_assert(cmd.kind == HARNESS_CMD_STARTTLS || cmd.kind == HARNESS_CMD_STARTTLS_INJECT ||
			  cmd.kind == HARNESS_CMD_STARTTLS_RAW,
		  "bytes after a reply only follow STARTTLS, but '%s' is pending", cmd.line);
	free(cmd.line);
	if (cmd.kind == HARNESS_CMD_STARTTLS) {
		harness_interrupt_because(h, OUTCOME_TLS_ERROR,
					  "server sent bytes after its 220 to STARTTLS, before the "
					  "TLS handshake");
		return;
	}
	/* As the engine: the probe sees the 220 and the bytes; then the session only closes. */
	struct smtp_reply r = harness_parse(text);
	h->raw = true;
	harness_deliver_raw(h, cmd.tag, "STARTTLS", &r, data, len);
	smtp_reply_free(&r);
	if (!h->concluded && !h->reconnect_wanted)
		harness_interrupt(h, OUTCOME_COMPLETED);
	else
		harness_end_session(h);
}

void harness_tls_silence(struct harness *h)
{
	struct harness_cmd cmd = harness_pop(h);
	cr_assert_eq(cmd.kind, HARNESS_CMD_INJECT_WAIT, "silence, but '%s' is pending", cmd.line);
	free(cmd.line);
	harness_starttls_done(h, cmd.tag);
}

const unsigned char *harness_raw_sent(const struct harness *h, size_t i, size_t *len)
{
	if (i >= h->nraw_sent)
		return NULL;
	*len = h->raw_sent[i].len;
	return h->raw_sent[i].data;
}

bool harness_raw_mode(const struct harness *h)
{
	return h->raw;
}

void harness_interrupt_because(struct harness *h, enum outcome why, const char *reason)
{
	harness_end_session(h);
	h->failure = reason;
	if (h->probe->interrupted != NULL && !h->concluded)
		h->probe->interrupted(harness_ctx(h), why);
	h->failure = NULL;
}

void harness_interrupt(struct harness *h, enum outcome why)
{
	harness_interrupt_because(h, why, NULL);
}

bool harness_reconnect_wanted(const struct harness *h)
{
	return h->reconnect_wanted;
}

unsigned harness_sessions(const struct harness *h)
{
	return h->sessions;
}

bool harness_concluded(const struct harness *h)
{
	return h->concluded;
}

enum verdict harness_verdict(const struct harness *h)
{
	return h->verdict;
}

const char *harness_verdict_reason(const struct harness *h)
{
	return h->verdict_reason ? h->verdict_reason : "";
}

bool harness_tls_active(const struct harness *h)
{
	return h->tls_active;
}

int harness_last_send_result(const struct harness *h)
{
	return h->last_send;
}

size_t harness_findings(const struct harness *h)
{
	return h->nfindings;
}

const struct finding *harness_finding(const struct harness *h, size_t i)
{
	return i < h->nfindings ? h->findings[i] : NULL;
}

const struct finding *harness_find(const struct harness *h, enum catalog_id id, const char *variant)
{
	for (size_t i = 0; i < h->nfindings; i++) {
		const struct finding *f = h->findings[i];
		if (f->id == id && (variant == NULL || (f->variant && strcmp(f->variant, variant) == 0)))
			return f;
	}
	return NULL;
}

/* ---- the probe API ---- */

void *probe_state(struct probe_ctx *ctx)
{
	return ctx->h.state;
}

const struct probe_settings *probe_settings(const struct probe_ctx *ctx)
{
	return &ctx->h.setup.settings;
}

const struct probe_target *probe_target(const struct probe_ctx *ctx)
{
	return &ctx->h.target;
}

const struct smtp_reply *probe_greeting(const struct probe_ctx *ctx)
{
	return ctx->h.in_session && ctx->h.greeted ? &ctx->h.greeting : NULL;
}

const struct smtp_caps *probe_caps(const struct probe_ctx *ctx)
{
	return ctx->h.have_caps ? &ctx->h.caps : NULL;
}

const struct smtp_caps *probe_caps_plain(const struct probe_ctx *ctx)
{
	return ctx->h.have_caps_plain ? &ctx->h.caps_plain : NULL;
}

bool probe_tls_active(const struct probe_ctx *ctx)
{
	return ctx->h.tls_active;
}

const struct tls_facts *probe_tls_facts(const struct probe_ctx *ctx)
{
	return ctx->h.tls_active ? ctx->h.setup.tls_facts : NULL;
}

const char *probe_failure(const struct probe_ctx *ctx)
{
	return ctx->h.failure != NULL ? ctx->h.failure : "";
}

int probe_send(struct probe_ctx *ctx, int tag, const char *fmt, ...)
{
	char *line;
	va_list ap;
	va_start(ap, fmt);
	int n = vasprintf(&line, fmt, ap);
	va_end(ap);
	cr_assert_geq(n, 0);
	int rc = smtp_command_check(line, (size_t)n, ctx->h.setup.settings.allow_data);
	if (rc == 0 && (!ctx->h.in_session || ctx->h.concluded))
		rc = SA_ERROR_INVAL;
	if (rc == 0)
		harness_push(&ctx->h, tag, HARNESS_CMD_LINE, line);
	ctx->h.last_send = rc;
	free(line);
	return rc;
}

int probe_send_message(struct probe_ctx *ctx, int tag, const char *body)
{
	char *text;
	size_t len;
	int rc = ctx->h.setup.settings.allow_data ? 0 : SA_ERROR_POLICY;
	if (rc == 0 && (!ctx->h.in_session || ctx->h.concluded))
		rc = SA_ERROR_INVAL;
	if (rc == 0)
		rc = smtp_command_message(body, &text, &len);
	if (rc == 0) {
		harness_push(&ctx->h, tag, HARNESS_CMD_LINE, text);
		free(text);
	}
	ctx->h.last_send = rc;
	return rc;
}

int64_t probe_now(const struct probe_ctx *ctx)
{
	return ctx->h.setup.now;
}

int probe_starttls(struct probe_ctx *ctx, int tag)
{
	if (!ctx->h.in_session || ctx->h.concluded || ctx->h.tls_active || ctx->h.npending > 0)
		return SA_ERROR_INVAL;
	harness_push(&ctx->h, tag, HARNESS_CMD_STARTTLS, "STARTTLS");
	return 0;
}

int probe_starttls_inject(struct probe_ctx *ctx, int tag, const char *line)
{
	int rc = smtp_command_check(line, strlen(line), ctx->h.setup.settings.allow_data);
	if (rc != 0)
		return rc;
	if (!ctx->h.in_session || ctx->h.concluded || ctx->h.tls_active || ctx->h.raw ||
	    ctx->h.npending > 0)
		return SA_ERROR_INVAL;
	ctx->h.injected = strdup(line);
	harness_push(&ctx->h, tag, HARNESS_CMD_STARTTLS_INJECT, "STARTTLS");
	harness_record_sent(&ctx->h, line);
	return 0;
}

int probe_starttls_raw(struct probe_ctx *ctx, int tag)
{
	if (!ctx->h.in_session || ctx->h.concluded || ctx->h.tls_active || ctx->h.raw ||
	    ctx->h.npending > 0)
		return SA_ERROR_INVAL;
	harness_push(&ctx->h, tag, HARNESS_CMD_STARTTLS_RAW, "STARTTLS");
	return 0;
}

int probe_read_raw(struct probe_ctx *ctx, int tag)
{
	if (!ctx->h.in_session || ctx->h.concluded || !ctx->h.raw || ctx->h.npending > 0)
		return SA_ERROR_INVAL;
	harness_push_unsent(&ctx->h, tag, HARNESS_CMD_RAW, "(raw)");
	return 0;
}

int probe_send_raw(struct probe_ctx *ctx, int tag, const void *data, size_t len)
{
	struct harness *h = &ctx->h;
	if (len == 0 || len > PROBE_RAW_WRITE_MAX)
		return SA_ERROR_INVAL;
	int rc = probe_read_raw(ctx, tag);
	if (rc != 0)
		return rc;
	cr_assert_lt(h->nraw_sent, HARNESS_MAX_LINES, "probe sent too many raw writes");
	h->raw_sent[h->nraw_sent].data = malloc(len);
	cr_assert_not_null(h->raw_sent[h->nraw_sent].data);
	memcpy(h->raw_sent[h->nraw_sent].data, data, len);
	h->raw_sent[h->nraw_sent++].len = len;
	return 0;
}

int probe_reconnect(struct probe_ctx *ctx)
{
	if (ctx->h.concluded)
		return SA_ERROR_RANGE;
	ctx->h.reconnect_wanted = true;
	harness_clear_pending(&ctx->h);
	return 0;
}

/* The harness models one session at a time: a probe carries on in the one it has. */
int probe_open_session(struct probe_ctx *ctx)
{
	(void)ctx;
	return SA_ERROR_RANGE;
}

int probe_end_session(struct probe_ctx *ctx)
{
	(void)ctx;
	return SA_ERROR_INVAL;
}

unsigned probe_session_slot(const struct probe_ctx *ctx)
{
	(void)ctx;
	return 0;
}

unsigned probe_session_count(const struct probe_ctx *ctx)
{
	return ctx->h.in_session ? 1 : 0;
}

void probe_conclude(struct probe_ctx *ctx, enum verdict v, const char *fmt, ...)
{
	if (ctx->h.concluded)
		return;
	ctx->h.concluded = true;
	ctx->h.verdict = v;
	if (fmt != NULL) {
		va_list ap;
		va_start(ap, fmt);
		if (vasprintf(&ctx->h.verdict_reason, fmt, ap) < 0)
			ctx->h.verdict_reason = NULL;
		va_end(ap);
	}
	harness_clear_pending(&ctx->h);
}

struct finding *probe_finding(struct probe_ctx *ctx, enum catalog_id id, const char *variant)
{
	struct finding **p = realloc(ctx->h.findings, (ctx->h.nfindings + 1) * sizeof(*p));
	cr_assert_not_null(p);
	ctx->h.findings = p;
	struct finding *f = calloc(1, sizeof(*f));
	cr_assert_not_null(f);
	cr_assert_eq(finding_init(f, id, variant), 0);
	ctx->h.findings[ctx->h.nfindings++] = f;
	return f;
}

uint64_t probe_random(struct probe_ctx *ctx)
{
	return ctx->h.random++;
}
