/*
 * NAME
 *	cli - the command line of smtp-audit
 *
 * DESCRIPTION
 *	cli_parse() turns argv into struct scan_options, reading target files
 *	as it goes, and checks everything that can be checked before a single
 *	connection: malformed targets, ports, sizes, durations, unknown probes
 *	or formats. It prints --help, --version and --list-probes itself.
 *
 * DIAGNOSTICS
 *	On a usage error it prints one line naming the culprit, then a hint
 *	to run --help, on the error stream, and returns CLI_USAGE_ERROR; the
 *	caller exits 2. The subcommands (diff, merge, passive) report theirs the
 *	same way through cli_subcommand_usage_error(), which names the subcommand.
 */
#ifndef CLI_H
#define CLI_H

#include <stdio.h>

#include "scan_options.h"

enum cli_status {
	CLI_RUN,         /* options complete: run the scan */
	CLI_DONE,        /* help, version or a listing was printed: exit 0 */
	CLI_USAGE_ERROR, /* a message was printed: exit 2 */
};

/* Exit codes: a contract for cron and CI (also in --help and the README). */
enum cli_exit {
	CLI_EXIT_CLEAN = 0,    /* nothing at or above --fail-on */
	CLI_EXIT_FINDINGS = 1, /* findings at or above --fail-on */
	CLI_EXIT_USAGE = 2,    /* usage or configuration error */
	CLI_EXIT_NO_TARGET = 3, /* no target could be scanned */
	CLI_EXIT_INTERRUPTED = 4, /* SIGINT/SIGTERM: the report holds what completed */
};

/* opt must have been set up with scan_options_init(). */
enum cli_status cli_parse(struct scan_options *opt, int argc, char **argv, FILE *out, FILE *err);

/* "1500ms", "2s", "1.5", "3m" -> milliseconds, between 1 ms and one day; false otherwise. */
bool cli_duration(const char *text, uint64_t *out_ms);

/* A --fail-on value: a severity name, or "never" (SEVERITY_COUNT); false otherwise. */
bool cli_fail_on(const char *text, enum finding_severity *out);

/* The usage error for a --fail-on value cli_fail_on() refused; takes that value. */
#define CLI_FAIL_ON_ERROR "--fail-on: '%s' is not one of info, low, medium, high, critical, never"

/* Prints "smtp-audit SUBCOMMAND: message" and the --help hint on stderr; returns CLI_EXIT_USAGE. */
int cli_subcommand_usage_error(const char *subcommand, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif
