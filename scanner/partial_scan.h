/*
 * NAME
 *	partial_scan - a scan that does part of the work: --shard and --resume
 *
 * SUMMARY
 *	partial_scan_open(&ps, opt, &result, err, errlen);
 *	writer->begin(&ropt, &result);
 *	partial_scan_replay(&ps, &ropt, &result);
 *	scan_loop(partial_scan_options(&ps, opt), ..., partial_scan_report(&ps, &ropt));
 *	partial_scan_close(&ps);
 *
 * DESCRIPTION
 *	The scheduler sees options of this run: a shallow copy of the
 *	command line's whose feed filter (feed_filter.h) skips targets of
 *	other shards and targets the --resume state has done, and whose
 *	writer also appends each finished target to the state
 *	(resume_record). The results the state holds are put into the scan
 *	(and streamed, for writers that stream) before the first new
 *	target, so every report format shows one scan. The resumed scan
 *	keeps the state's scan id and start time.
 *
 *	Without --shard and --resume everything passes through unchanged.
 *
 * DIAGNOSTICS
 *	partial_scan_open() returns what resume_open() returns, with err
 *	naming the state file and the problem; the caller exits 2.
 */
#ifndef PARTIAL_SCAN_H
#define PARTIAL_SCAN_H

#include <stdbool.h>
#include <stddef.h>

#include "feed_filter.h"
#include "report.h"
#include "resume.h"
#include "scan_options.h"

struct partial_scan {
	bool active;             /* --shard or --resume */
	bool resuming;           /* --resume: state is open */
	struct scan_options opt; /* borrows everything from the command line's */
	struct feed_filter feed;
	struct resume state;
	struct report_writer writer; /* the chosen writer, recording to the state */
	const struct report_writer *chosen;
	struct report_options ropt; /* what the scheduler's writer calls get */
};

int partial_scan_open(struct partial_scan *ps, const struct scan_options *opt,
                      struct scan_result *result, char *err, size_t errlen);

/* Moves the state's results into result, streaming them through the writer; 0 or an error. */
int partial_scan_replay(struct partial_scan *ps, const struct report_options *ropt,
                        struct scan_result *result);

/* The options the scheduler is to use. */
const struct scan_options *partial_scan_options(const struct partial_scan *ps,
                                                const struct scan_options *opt);

/* The report options the scheduler is to use (a copy of ropt when active). */
const struct report_options *partial_scan_report(struct partial_scan *ps,
                                                 const struct report_options *ropt);

void partial_scan_close(struct partial_scan *ps);

#endif
