/*
 * NAME
 *	scan - run one active scan from options to report and exit code
 *
 * DESCRIPTION
 *	Sets up the loop, TLS, DNS and the scheduler; in domain mode first
 *	reads the domains' DNS (domain_scan.h), which adds their MX hosts to
 *	opt's target list; runs until every target is done, sorts the result,
 *	writes the report (atomically with --out) and maps the result to the
 *	exit code contract of cli.h.
 *
 * DIAGNOSTICS
 *	Configuration errors found only now (an unusable --ca-file or
 *	--resolver, an --out directory that cannot be written) print one line and give exit code 2
 *	before any connection is made.
 */
#ifndef SCAN_H
#define SCAN_H

#include "scan_options.h"

/* Returns the process exit code (enum cli_exit). */
int scan_run(struct scan_options *opt);

#endif
