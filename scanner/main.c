/*
 * NAME
 *	smtp-audit - asynchronous SMTP security scanner
 *
 * SUMMARY
 *	smtp-audit [OPTIONS] TARGET...
 *
 * DESCRIPTION
 *	Parses the command line (cli.c) and runs the scan (scan.c). The exit
 *	code is the contract documented in --help and cli.h.
 */
#include <signal.h>
#include <stdio.h>

#include "cli.h"
#include "scan.h"

int main(int argc, char **argv)
{
	struct scan_options opt;
	/* A peer that resets, or a closed stdout pipe, must give an error code, not kill us. */
	signal(SIGPIPE, SIG_IGN);
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
