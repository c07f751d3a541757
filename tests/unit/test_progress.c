/*
 * NAME
 *	test_progress - the progress line's text and the closing summary
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "progress.h"

TestSuite(progress, .timeout = 10);

Test(progress, rate_and_time_left)
{
	char line[160];
	progress_format(120, 1000, 6000, line, sizeof(line));
	cr_assert_str_eq(line, "smtp-audit: 120/1000 targets, 20.0/s, ETA 0:44");
}

Test(progress, hours_when_needed)
{
	char line[160];
	progress_format(1, 10001, 1000, line, sizeof(line));
	cr_assert_str_eq(line, "smtp-audit: 1/10001 targets, 1.0/s, ETA 2:46:40");
}

Test(progress, no_rate_yet)
{
	char line[160];
	progress_format(0, 50, 0, line, sizeof(line));
	cr_assert_str_eq(line, "smtp-audit: 0/50 targets, 0.0/s, ETA --:--");
}

Test(progress, more_than_estimated)
{
	char line[160];
	/* A name that resolved to two addresses was counted once. */
	progress_format(12, 10, 2000, line, sizeof(line));
	cr_assert_str_eq(line, "smtp-audit: 12/10 targets, 6.0/s, more targets than estimated");
}

Test(progress, summary_counts_targets_and_findings)
{
	struct scan_result r;
	scan_result_init(&r);
	struct target_result *ok = target_result_new("mx1", "192.0.2.1", 25, false);
	struct target_result *bad = target_result_new("mx2", "192.0.2.2", 25, false);
	cr_assert(ok && bad);
	bad->outcome = OUTCOME_REFUSED;
	struct finding f;
	cr_assert_eq(finding_init(&f, CATALOG_RELAY_OPEN, NULL), 0);
	cr_assert_eq(target_result_take_finding(ok, &f), 0);
	cr_assert_eq(scan_result_add(&r, ok), 0);
	cr_assert_eq(scan_result_add(&r, bad), 0);
	r.interrupted = true;
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);
	cr_assert_not_null(out);
	progress_summary(&r, 3250, out);
	fclose(out);
	cr_assert_str_eq(text, "smtp-audit: 2 targets (1 completed, 1 not), findings: 1 critical, 0 "
			       "high, 0 medium, 0 low, 0 info; 3.2 s, interrupted\n");
	free(text);
	scan_result_free(&r);
}
