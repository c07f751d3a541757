/*
 * NAME
 *	probe_ctx - the engine's side of the probe API (probes/probe.h)
 *
 * DESCRIPTION
 *	A struct probe_ctx is a probe run (scheduler.h): it outlives the
 *	sessions it uses, and may use several at once. The session of the
 *	callback running (ctx->session, ctx->slot, set by session.c) is the
 *	one every call acts on. Commands go to its queue after a safety
 *	check; findings are kept on the run and handed to the target when
 *	the run ends, so a pointer returned by probe_finding() stays
 *	valid for the whole run.
 *
 *	The send path is where the no-DATA rule lives: DATA and BDAT are
 *	refused unless the scan was started with --allow-data.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "probe.h"
#include "sa_error.h"
#include "scheduler.h"
#include "session.h"
#include "smtp_command.h"

void *probe_state(struct probe_ctx *ctx)
{
	return ctx->state;
}

const struct probe_settings *probe_settings(const struct probe_ctx *ctx)
{
	return &ctx->job->sched->opt->probe_settings;
}

const struct probe_target *probe_target(const struct probe_ctx *ctx)
{
	return &ctx->job->target;
}

const struct smtp_reply *probe_greeting(const struct probe_ctx *ctx)
{
	return ctx->session ? session_greeting(ctx->session) : NULL;
}

const struct smtp_caps *probe_caps(const struct probe_ctx *ctx)
{
	return ctx->session ? session_caps(ctx->session) : NULL;
}

const struct smtp_caps *probe_caps_plain(const struct probe_ctx *ctx)
{
	return ctx->session ? session_caps_plain(ctx->session) : NULL;
}

bool probe_tls_active(const struct probe_ctx *ctx)
{
	return ctx->session != NULL && session_tls_active(ctx->session);
}

int probe_send(struct probe_ctx *ctx, int tag, const char *fmt, ...)
{
	char *line;
	va_list ap;
	va_start(ap, fmt);
	int n = vasprintf(&line, fmt, ap);
	va_end(ap);
	if (n < 0)
		return SA_ERROR_NOMEM;
	int rc = smtp_command_check(line, (size_t)n, probe_settings(ctx)->allow_data);
	if (rc == 0 && (ctx->session == NULL || ctx->concluded))
		rc = SA_ERROR_INVAL;
	if (rc == 0)
		rc = session_queue(ctx->session, tag, line);
	free(line);
	return rc;
}

int probe_send_message(struct probe_ctx *ctx, int tag, const char *body)
{
	char *text;
	size_t len;
	if (!probe_settings(ctx)->allow_data)
		return SA_ERROR_POLICY;
	if (ctx->session == NULL || ctx->concluded)
		return SA_ERROR_INVAL;
	int rc = smtp_command_message(body, &text, &len);
	if (rc != 0)
		return rc;
	rc = session_queue_message(ctx->session, tag, text, len);
	free(text);
	return rc;
}

int probe_starttls(struct probe_ctx *ctx, int tag)
{
	if (ctx->session == NULL || ctx->concluded)
		return SA_ERROR_INVAL;
	return session_starttls(ctx->session, tag);
}

int probe_starttls_inject(struct probe_ctx *ctx, int tag, const char *line)
{
	int rc = smtp_command_check(line, strlen(line), probe_settings(ctx)->allow_data);
	if (rc != 0)
		return rc;
	if (ctx->session == NULL || ctx->concluded)
		return SA_ERROR_INVAL;
	return session_starttls_inject(ctx->session, tag, line);
}

int probe_starttls_raw(struct probe_ctx *ctx, int tag)
{
	if (ctx->session == NULL || ctx->concluded)
		return SA_ERROR_INVAL;
	return session_starttls_raw(ctx->session, tag);
}

int probe_send_raw(struct probe_ctx *ctx, int tag, const void *data, size_t len)
{
	if (ctx->session == NULL || ctx->concluded)
		return SA_ERROR_INVAL;
	return session_send_raw(ctx->session, tag, data, len);
}

int probe_read_raw(struct probe_ctx *ctx, int tag)
{
	if (ctx->session == NULL || ctx->concluded)
		return SA_ERROR_INVAL;
	return session_read_raw(ctx->session, tag);
}

const struct tls_facts *probe_tls_facts(const struct probe_ctx *ctx)
{
	return ctx->session != NULL ? session_tls_facts(ctx->session) : NULL;
}

const char *probe_failure(const struct probe_ctx *ctx)
{
	return ctx->failure != NULL ? ctx->failure : "";
}

int probe_reconnect(struct probe_ctx *ctx)
{
	if (ctx->concluded || ctx->record->sessions + ctx->wanted >= SCHEDULER_MAX_SESSIONS_PER_RUN)
		return SA_ERROR_RANGE;
	ctx->reconnect_slots |= 1u << ctx->slot;
	return 0;
}

int probe_open_session(struct probe_ctx *ctx)
{
	return scheduler__want_session(ctx);
}

int probe_end_session(struct probe_ctx *ctx)
{
	if (ctx->session == NULL || ctx->concluded || ctx->nactive + ctx->wanted < 2)
		return SA_ERROR_INVAL;
	ctx->closing_slots |= 1u << ctx->slot;
	return 0;
}

unsigned probe_session_slot(const struct probe_ctx *ctx)
{
	return ctx->slot;
}

unsigned probe_session_count(const struct probe_ctx *ctx)
{
	return ctx->nactive + ctx->wanted;
}

void probe_conclude(struct probe_ctx *ctx, enum verdict v, const char *fmt, ...)
{
	if (ctx->concluded)
		return;
	ctx->concluded = true;
	scheduler__run_concluded(ctx);
	ctx->record->verdict = v;
	free(ctx->record->verdict_reason);
	ctx->record->verdict_reason = NULL;
	if (fmt != NULL) {
		va_list ap;
		va_start(ap, fmt);
		if (vasprintf(&ctx->record->verdict_reason, fmt, ap) < 0)
			ctx->record->verdict_reason = NULL;
		va_end(ap);
	}
}

struct finding *probe_finding(struct probe_ctx *ctx, enum catalog_id id, const char *variant)
{
	if (ctx->nfindings == ctx->findings_cap) {
		size_t cap = ctx->findings_cap ? 2 * ctx->findings_cap : 4;
		struct finding **p = realloc(ctx->findings, cap * sizeof(*p));
		if (p == NULL)
			return NULL;
		ctx->findings = p;
		ctx->findings_cap = cap;
	}
	struct finding *f = calloc(1, sizeof(*f));
	if (f == NULL)
		return NULL;
	if (finding_init(f, id, variant) != 0) {
		free(f);
		return NULL;
	}
	ctx->findings[ctx->nfindings++] = f;
	return f;
}

int64_t probe_now(const struct probe_ctx *ctx)
{
	(void)ctx;
	return (int64_t)time(NULL);
}

uint64_t probe_random(struct probe_ctx *ctx)
{
	uint64_t v = 0;
	(void)ctx;
	/* getrandom() only fails short for requests over 256 bytes; retry on EINTR. */
	while (getrandom(&v, sizeof(v), 0) != (ssize_t)sizeof(v))
		;
	return v;
}
