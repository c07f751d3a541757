/*
 * NAME
 *	progress - a one-line progress display on a terminal, and the closing summary
 *
 * SUMMARY
 *	struct progress p;
 *	progress_start(&p, loop, result, estimated_total, stderr);
 *	... uv_run ...
 *	progress_stop(&p);
 *	progress_summary(result, elapsed_ms, stderr);
 *
 * DESCRIPTION
 *	Once a second the line is redrawn in place ("\r" and erase to the end
 *	of the line): targets done of the estimated total, targets per
 *	second, and the time left at that rate. The total is an estimate
 *	(every name counts as one address until it is resolved), so done may
 *	pass it; the line then says so instead of an ETA. The caller decides
 *	whether to show anything at all: only on a terminal, never with -q
 *	or -v (transcripts would tear the line), so cron mail stays empty.
 *
 *	The timer does not keep the event loop alive.
 */
#ifndef PROGRESS_H
#define PROGRESS_H

#include <stdint.h>
#include <stdio.h>
#include <uv.h>

#include "result.h"

struct progress {
	uv_timer_t timer;
	const struct scan_result *result;
	uint64_t total;
	uint64_t started_ms; /* loop time */
	FILE *out;
	bool shown;          /* a line is on the screen */
	bool running;
};

void progress_start(struct progress *p, uv_loop_t *loop, const struct scan_result *result,
		    uint64_t total, FILE *out);

/* Erases the line and closes the timer (the loop must run once more to free it). */
void progress_stop(struct progress *p);

/* The progress text for done of total after elapsed_ms, into buf (for tests, too). */
void progress_format(uint64_t done, uint64_t total, uint64_t elapsed_ms, char *buf, size_t len);

/* One line: targets, completed, failed, findings by severity, time taken. */
void progress_summary(const struct scan_result *result, uint64_t elapsed_ms, FILE *out);

#endif
