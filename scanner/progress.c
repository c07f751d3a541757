/*
 * NAME
 *	progress - a one-line progress display on a terminal, and the closing summary
 *
 * DESCRIPTION
 *	See progress.h.
 */
#include "progress.h"

#include <inttypes.h>

#define PROGRESS_PERIOD_MS 1000

/* "1:05:09" or "4:07": hours only when needed. */
static void progress_duration(uint64_t s, char *buf, size_t len)
{
	if (s >= 3600)
		snprintf(buf, len, "%" PRIu64 ":%02" PRIu64 ":%02" PRIu64, s / 3600, s / 60 % 60,
			 s % 60);
	else
		snprintf(buf, len, "%" PRIu64 ":%02" PRIu64, s / 60, s % 60);
}

void progress_format(uint64_t done, uint64_t total, uint64_t elapsed_ms, char *buf, size_t len)
{
	double rate = elapsed_ms > 0 ? (double)done * 1000.0 / (double)elapsed_ms : 0;
	char eta[32] = "--:--";
	if (done > total)
		snprintf(eta, sizeof(eta), "more targets than estimated");
	else if (rate > 0)
		progress_duration((uint64_t)((double)(total - done) / rate + 0.5), eta, sizeof(eta));
	snprintf(buf, len, "smtp-audit: %" PRIu64 "/%" PRIu64 " targets, %.1f/s, %s%s", done, total,
		 rate, done > total ? "" : "ETA ", eta);
}

static void progress_draw(struct progress *p)
{
	char line[160];
	uint64_t now = uv_now(p->timer.loop);
	progress_format(scan_result_count_targets(p->result), p->total, now - p->started_ms, line,
			sizeof(line));
	/* \r and "erase to end of line": the line is rewritten in place. */
	fprintf(p->out, "\r%s\033[K", line);
	fflush(p->out);
	p->shown = true;
}

static void progress_on_tick(uv_timer_t *t)
{
	progress_draw(t->data);
}

void progress_start(struct progress *p, uv_loop_t *loop, const struct scan_result *result,
		    uint64_t total, FILE *out)
{
	*p = (struct progress){.result = result, .total = total, .out = out, .running = true};
	uv_timer_init(loop, &p->timer);
	p->timer.data = p;
	p->started_ms = uv_now(loop);
	uv_timer_start(&p->timer, progress_on_tick, PROGRESS_PERIOD_MS, PROGRESS_PERIOD_MS);
	uv_unref((uv_handle_t *)&p->timer);
}

void progress_stop(struct progress *p)
{
	if (!p->running)
		return;
	p->running = false;
	uv_timer_stop(&p->timer);
	uv_close((uv_handle_t *)&p->timer, NULL);
	if (p->shown) {
		fputs("\r\033[K", p->out);
		fflush(p->out);
	}
}

void progress_summary(const struct scan_result *result, uint64_t elapsed_ms, FILE *out)
{
	size_t counts[SEVERITY_COUNT] = {0};
	size_t targets = scan_result_count_targets(result);
	size_t completed = scan_result_count_completed(result);
	scan_result_count_by_severity(result, counts);
	fprintf(out,
		"smtp-audit: %zu targets (%zu completed, %zu not), findings: %zu critical, %zu high, "
		"%zu medium, %zu low, %zu info; %.1f s%s\n",
		targets, completed, targets - completed, counts[SEVERITY_CRITICAL],
		counts[SEVERITY_HIGH], counts[SEVERITY_MEDIUM], counts[SEVERITY_LOW],
		counts[SEVERITY_INFO], (double)elapsed_ms / 1000.0,
		result->interrupted ? ", interrupted" : "");
}
