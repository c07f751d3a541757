/*
 * NAME
 *	fuzz_cli - libFuzzer target for the command-line parser
 *
 * DESCRIPTION
 *	The input is split at LF and NUL into argv words (empty words kept),
 *	after "smtp-audit" as argv[0], and given to cli_parse(), which only
 *	parses and checks: it never scans, never exits and prints into the
 *	memory streams it is given. Standard input is /dev/null, so "-f -"
 *	reads an empty list instead of waiting, and the working directory an
 *	empty one of its own; a file option may read a file but never writes
 *	one.
 *
 *	What must hold whatever the input: the status is one of the enum;
 *	a usage error says something on the error stream and nothing on the
 *	output; help, version or a listing print on the output and nothing on
 *	the error stream; a scan to run has targets, ports, probes and a
 *	report writer and printed nothing; parsing the same words again gives
 *	the same status and the same text (the parser keeps no state between
 *	calls); scan_options_free() releases everything.
 *
 *	getopt_long() prints its own complaints on the process's standard
 *	error, so runs pass -close_fd_mask=2 (libFuzzer and the sanitizers
 *	keep their own copy of it).
 *
 *	Built by tests/fuzz/CMakeLists.txt (clang); scripts/fuzz.sh runs it for longer.
 */
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz_check.h"
#include "cli.h"
#include "scan_options.h"

#define FUZZ_ARGV0      "smtp-audit"
#define FUZZ_REPORT_MAX 4096
struct fuzz_outcome {
	enum cli_status status;
	char *out, *err;
	size_t out_len, err_len;
};

int LLVMFuzzerInitialize(int *argc, char ***argv);

static char fuzz_dir[] = "/tmp/fuzz_cli-XXXXXX";

static void fuzz_remove_dir(void)
{
	rmdir(fuzz_dir);
}

/* An empty private working directory: relative paths name no file a colleague may create. */
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	FUZZ_CHECK(freopen("/dev/null", "r", stdin) != NULL);
	FUZZ_CHECK(mkdtemp(fuzz_dir) != NULL && chdir(fuzz_dir) == 0);
	atexit(fuzz_remove_dir);
	return 0;
}

/* argv for the words of data: one malloc'ed block, the words copied after the pointers. */
static char **fuzz_argv(const uint8_t *data, size_t size, int *argc)
{
	size_t nwords = 1;
	for (size_t i = 0; i < size; i++)
		nwords += data[i] == '\n' || data[i] == '\0';
	size_t ptrs = (nwords + 2) * sizeof(char *);
	char **argv = malloc(ptrs + sizeof(FUZZ_ARGV0) + size + 1);
	FUZZ_CHECK(argv != NULL);
	char *text = (char *)argv + ptrs;
	memcpy(text, FUZZ_ARGV0, sizeof(FUZZ_ARGV0));
	argv[0] = text;
	char *words = text + sizeof(FUZZ_ARGV0);
	memcpy(words, data, size);
	words[size] = '\0';
	size_t n = 1;
	argv[n++] = words;
	for (size_t i = 0; i < size; i++) {
		if (words[i] == '\n' || words[i] == '\0') {
			words[i] = '\0';
			argv[n++] = words + i + 1;
		}
	}
	argv[n] = NULL;
	*argc = (int)n;
	return argv;
}

/*
 * Every parse reads the same empty standard input ("-f -" reads it),
 * whatever an earlier parse, or libFuzzer closing and reopening
 * descriptors (-close_fd_mask), left on descriptor 0 or in the buffer.
 */
static void fuzz_reset_stdin(void)
{
	int fd = open("/dev/null", O_RDONLY);
	FUZZ_CHECK(fd >= 0);
	if (fd != STDIN_FILENO) {
		FUZZ_CHECK(dup2(fd, STDIN_FILENO) == STDIN_FILENO);
		close(fd);
	}
	FUZZ_CHECK(fseek(stdin, 0, SEEK_SET) == 0);
	clearerr(stdin);
}

static struct fuzz_outcome fuzz_parse(const uint8_t *data, size_t size)
{
	struct fuzz_outcome o = {0};
	FILE *out = open_memstream(&o.out, &o.out_len);
	FILE *err = open_memstream(&o.err, &o.err_len);
	FUZZ_CHECK(out != NULL && err != NULL);
	int argc;
	char **argv = fuzz_argv(data, size, &argc);
	struct scan_options opt;
	scan_options_init(&opt);
	fuzz_reset_stdin();
	errno = 0;
	o.status = cli_parse(&opt, argc, argv, out, err);
	FUZZ_CHECK(fclose(out) == 0 && fclose(err) == 0);
	if (o.status == CLI_RUN) {
		FUZZ_CHECK(opt.targets.nspecs > 0 && opt.nports > 0);
		FUZZ_CHECK(opt.nprobes > 0 && opt.writer != NULL);
	}
	scan_options_free(&opt);
	free(argv);
	return o;
}

/* The same words parsed twice must give the same answer; if not, both texts are shown. */
static void fuzz_check_same(const struct fuzz_outcome *a, const struct fuzz_outcome *b)
{
	if (a->status == b->status && a->out_len == b->out_len && a->err_len == b->err_len &&
	    memcmp(a->out, b->out, a->out_len) == 0 && memcmp(a->err, b->err, a->err_len) == 0)
		return;
	char report[FUZZ_REPORT_MAX];
	snprintf(
	    report, sizeof(report),
	    "two parses differ: status %d/%d\nerr 1: %s\nerr 2: %s\nout 1: %.200s\nout 2: %.200s",
	    a->status, b->status, a->err, b->err, a->out, b->out);
	__sanitizer_report_error_summary(report);
	abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_outcome first = fuzz_parse(data, size);
	switch (first.status) {
	case CLI_RUN:
		FUZZ_CHECK(first.out_len == 0 && first.err_len == 0);
		break;
	case CLI_DONE:
		FUZZ_CHECK(first.out_len > 0 && first.err_len == 0);
		break;
	case CLI_USAGE_ERROR:
		FUZZ_CHECK(first.out_len == 0 && first.err_len > 0);
		break;
	default:
		FUZZ_CHECK(!"cli_parse returned a status outside the enum");
	}
	struct fuzz_outcome again = fuzz_parse(data, size);
	fuzz_check_same(&first, &again);
	free(first.out);
	free(first.err);
	free(again.out);
	free(again.err);
	return 0;
}
