/*
 * NAME
 *	test_cli - cli_parse() keeps no state from one call to the next
 *
 * DESCRIPTION
 *	Found by fuzz_cli: a parse that stopped inside a cluster of short
 *	options ("-hV" stops at -h) left getopt's position inside that
 *	argv, and the next call went on with the rest of the cluster (here
 *	printing the version) instead of reading its own arguments.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"
#include "scan_options.h"

struct cli_run {
	enum cli_status status;
	char *out, *err;
	size_t out_len, err_len;
};

static struct cli_run cli_run(int argc, char **argv)
{
	struct cli_run r = {0};
	FILE *out = open_memstream(&r.out, &r.out_len);
	FILE *err = open_memstream(&r.err, &r.err_len);
	cr_assert(out != NULL && err != NULL);
	struct scan_options opt;
	scan_options_init(&opt);
	r.status = cli_parse(&opt, argc, argv, out, err);
	fclose(out);
	fclose(err);
	scan_options_free(&opt);
	return r;
}

static void cli_run_free(struct cli_run *r)
{
	free(r->out);
	free(r->err);
}

Test(cli, parse_after_a_cut_cluster_reads_its_own_arguments, .timeout = 10)
{
	char *help[] = {"smtp-audit", "-hV", NULL};
	char *scan[] = {"smtp-audit", "mx.example.org", NULL};
	struct cli_run first = cli_run(2, help);
	cr_assert_eq(first.status, CLI_DONE);
	cr_assert_str_eq(first.err, "");
	struct cli_run second = cli_run(2, scan);
	cr_expect_eq(second.status, CLI_RUN, "status %d, output '%s'", second.status, second.out);
	cr_expect_str_eq(second.out, "");
	cr_expect_str_eq(second.err, "");
	cli_run_free(&first);
	cli_run_free(&second);
}

Test(cli, unknown_option_in_a_cut_cluster_does_not_leak_into_the_next_call, .timeout = 10)
{
	char *bad[] = {"smtp-audit", "-Vx", NULL};
	char *scan[] = {"smtp-audit", "-q", "192.0.2.1", NULL};
	struct cli_run first = cli_run(2, bad);
	cr_assert_eq(first.status, CLI_DONE);
	struct cli_run second = cli_run(3, scan);
	cr_expect_eq(second.status, CLI_RUN, "error output '%s'", second.err);
	cli_run_free(&first);
	cli_run_free(&second);
}
