/*
 * NAME
 *	smtp-audit - asynchronous SMTP security scanner
 *
 * SUMMARY
 *	smtp-audit [OPTIONS] TARGET...
 *	smtp-audit diff [-o text|json] [--fail-on SEVERITY] OLD.json NEW.json
 *	smtp-audit passive (-r FILE | -i IFACE) [OPTIONS]
 *	smtp-audit merge [-o FORMAT] [--out FILE] SHARD.json...
 *
 * DESCRIPTION
 *	Parses the command line (cli.c) and runs the scan (scan.c), or with
 *	"diff" compares two JSON reports offline (baseline.h, report_diff.h)
 *	without any network access. The exit code is the contract documented
 *	in --help and cli.h; diff exits 0 when nothing new is at or above
 *	--fail-on (default medium), 1 when something is, 2 on a usage error
 *	or an unreadable or invalid report.
 *
 * DIAGNOSTICS
 *	"smtp-audit diff: FILE: PROBLEM" for a report that cannot be read or
 *	is not a valid smtp-audit JSON report.
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "baseline.h"
#include "cli.h"
#include "merge.h"
#include "passive.h"
#include "report_diff.h"
#include "sa_error.h"
#include "scan.h"

#define MAIN_DIFF_USAGE                                                                            \
	"Usage: smtp-audit diff [-o text|json] [--fail-on SEVERITY] OLD.json NEW.json\n"           \
	"Compare two smtp-audit -o json reports: new, unchanged and resolved findings and\n"       \
	"changed host facts. Exit 0: no new finding at or above --fail-on (default medium;\n"      \
	"info, low, medium, high, critical, never), 1: there are, 2: usage or invalid input.\n"

struct main_diff_args {
	bool json;
	enum finding_severity fail_on;
	const char *old_path, *new_path;
};

/* 0 to go on, else the exit code (help printed, or a usage error). */
static int main_diff_parse(struct main_diff_args *a, int argc, char **argv)
{
	static const struct option options[] = {
	    {"output", required_argument, NULL, 'o'},
	    {"fail-on", required_argument, NULL, 'F'},
	    {"help", no_argument, NULL, 'h'},
	    {0},
	};
	*a = (struct main_diff_args){.fail_on = SEVERITY_MEDIUM};
	optind = 0; /* also resets getopt's state inside an option cluster */
	int code;
	while ((code = getopt_long(argc, argv, "o:h", options, NULL)) != -1) {
		switch (code) {
		case 'o':
			if (strcmp(optarg, "text") != 0 && strcmp(optarg, "json") != 0)
				return cli_subcommand_usage_error(
				    "diff", "--output: '%s' is not text or json", optarg);
			a->json = strcmp(optarg, "json") == 0;
			break;
		case 'F':
			if (!cli_fail_on(optarg, &a->fail_on))
				return cli_subcommand_usage_error("diff", CLI_FAIL_ON_ERROR,
				                                  optarg);
			break;
		case 'h':
			fputs(MAIN_DIFF_USAGE, stdout);
			return CLI_EXIT_CLEAN;
		default:
			/* getopt_long already said what was wrong. */
			return cli_subcommand_usage_error("diff", "invalid option");
		}
	}
	if (argc - optind != 2)
		return cli_subcommand_usage_error("diff", "expects two reports: OLD.json NEW.json");
	a->old_path = argv[optind];
	a->new_path = argv[optind + 1];
	return -1;
}

static int main_diff(int argc, char **argv)
{
	struct main_diff_args a;
	int code = main_diff_parse(&a, argc, argv);
	if (code >= 0)
		return code;
	char err[512];
	struct baseline_report old = {0}, cur = {0};
	struct baseline_diff d = {0};
	int rc = baseline_load(&old, a.old_path, err, sizeof(err));
	if (rc == 0)
		rc = baseline_load(&cur, a.new_path, err, sizeof(err));
	if (rc != 0) {
		fprintf(stderr, "smtp-audit diff: %s\n", err);
		baseline_report_free(&old);
		return CLI_EXIT_USAGE;
	}
	const struct report_diff_source src = {
	    .baseline = a.old_path, .current = a.new_path, .fail_on = a.fail_on};
	rc = baseline_compare(&d, &old, &cur);
	if (rc == 0)
		rc = a.json ? report_diff_json(stdout, &d, &src)
		            : report_diff_text(stdout, &d, &src);
	if (rc == 0 && fflush(stdout) != 0)
		rc = SA_ERROR_IO;
	code = baseline_count_new_at_least(&d, a.fail_on) > 0 ? CLI_EXIT_FINDINGS : CLI_EXIT_CLEAN;
	if (rc != 0) {
		fprintf(stderr, "smtp-audit diff: %s\n", sa_error_str(rc));
		code = CLI_EXIT_USAGE;
	}
	baseline_diff_free(&d);
	baseline_report_free(&cur);
	baseline_report_free(&old);
	return code;
}

int main(int argc, char **argv)
{
	struct scan_options opt;
	/* A peer that resets, or a closed stdout pipe, must give an error code, not kill us. */
	signal(SIGPIPE, SIG_IGN);
	if (argc > 1 && strcmp(argv[1], "diff") == 0)
		return main_diff(argc - 1, argv + 1);
	if (argc > 1 && strcmp(argv[1], "passive") == 0)
		return passive_main(argc - 1, argv + 1);
	if (argc > 1 && strcmp(argv[1], "merge") == 0)
		return merge_main(argc - 1, argv + 1);
	scan_options_init(&opt);
	int code;
	switch (cli_parse(&opt, argc, argv, stdout, stderr)) {
	case CLI_RUN:
		code = scan_run(&opt);
		break;
	case CLI_DONE:
		code = CLI_EXIT_CLEAN;
		break;
	default:
		code = CLI_EXIT_USAGE;
		break;
	}
	scan_options_free(&opt);
	return code;
}
