/*
 * NAME
 *	report - output writers for finished scan results
 *
 * DESCRIPTION
 *	A writer is one const struct of callbacks, like a probe. Writers read
 *	results and write their output stream; they do no other I/O and decide
 *	no verdicts. Every server-supplied string goes through escape.h first.
 *
 *	begin	once, before any target finishes (may be NULL).
 *	target	each time a target finishes, in completion order, for writers
 *		that stream (may be NULL).
 *	end	once, with the whole scan sorted (scan_result_sort) - the place
 *		for writers that need everything, such as JSON.
 *	Each returns 0 or a negative SA_ERROR_* code (SA_ERROR_IO when the
 *	stream failed).
 *
 *	Output must be deterministic for the same scan result: no clock reads,
 *	no pointer values, stable ordering.
 */
#ifndef REPORT_H
#define REPORT_H

#include <stdbool.h>
#include <stdio.h>

#include "result.h"

struct baseline_diff;

/* Incremented on any incompatible change of the JSON output. */
#define REPORT_JSON_SCHEMA_VERSION "1.0"

struct report_options {
	FILE *out;
	bool color;          /* ANSI colour in text output */
	bool verbose;        /* evidence transcripts in text output */
	const char *tool_version;
	const char *scan_id;  /* of this run, for writers that stream targets */
	enum finding_severity fail_on; /* shown in the summary; SEVERITY_COUNT means "never" */
	const struct baseline_diff *baseline; /* --baseline comparison (baseline.h); NULL without */
	const char *baseline_file;            /* the --baseline file name */
	bool fail_on_new;                     /* with baseline: only new findings count */
};

struct report_writer {
	const char *name;        /* -o NAME */
	const char *description; /* one line for --help */
	bool streams;            /* target() writes and flushes: --out writes the file directly */
	int (*begin)(const struct report_options *opt, const struct scan_result *scan);
	int (*target)(const struct report_options *opt, const struct target_result *t);
	int (*end)(const struct report_options *opt, const struct scan_result *scan);
};

/* NULL when no writer has that name. */
const struct report_writer *report_find(const char *name);

/* The writers, for --help; *count receives their number. */
const struct report_writer *const *report_writers(size_t *count);

/*
 * Writes a scan that is already complete (merged shards, a passive capture):
 * begin(), target() for each target, end(), then flushes opt->out.
 * 0 or the first error.
 */
int report_write_finished(const struct report_writer *w, const struct report_options *opt,
			  const struct scan_result *scan);

#endif
