/*
 * NAME
 *	test_docs - the man page and --help name the same options; cmake --install ships it
 *
 * DESCRIPTION
 *	Every long option in `smtp-audit --help` is documented in
 *	scanner/smtp-audit.1 and every option the man page describes exists,
 *	so neither can drift from the other. The install rule is exercised
 *	into a temporary prefix.
 */
#include <criterion/criterion.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "run.h"

#define MAN_PAGE SA_SOURCE_DIR "/scanner/smtp-audit.1"
#define MAX_OPTIONS 128

TestSuite(docs, .timeout = 120);

struct option_set {
	char names[MAX_OPTIONS][40];
	size_t n;
};

static void add_option(struct option_set *set, const char *name, size_t len)
{
	if (len == 0 || len >= sizeof(set->names[0]))
		return;
	for (size_t i = 0; i < set->n; i++)
		if (strlen(set->names[i]) == len && strncmp(set->names[i], name, len) == 0)
			return;
	cr_assert_lt(set->n, MAX_OPTIONS);
	memcpy(set->names[set->n], name, len);
	set->names[set->n++][len] = '\0';
}

static bool has_option(const struct option_set *set, const char *name)
{
	for (size_t i = 0; i < set->n; i++)
		if (strcmp(set->names[i], name) == 0)
			return true;
	return false;
}

/* "--name" words of text, where dash is how the text writes '-' ("-" or roff's "\-"). */
static void collect(const char *text, const char *dash, struct option_set *set)
{
	size_t dl = strlen(dash);
	for (const char *p = text; (p = strstr(p, dash)) != NULL;) {
		if (strncmp(p + dl, dash, dl) != 0 || (p > text && (isalnum((unsigned char)p[-1]) ||
								  p[-1] == '-'))) {
			p += dl;
			continue;
		}
		const char *q = p + 2 * dl;
		char name[40];
		size_t len = 0;
		while (len + 1 < sizeof(name) && (isalnum((unsigned char)*q) || strncmp(q, dash, dl) == 0)) {
			if (strncmp(q, dash, dl) == 0) {
				name[len++] = '-';
				q += dl;
			} else {
				name[len++] = *q++;
			}
		}
		add_option(set, name, len);
		p = q;
	}
}

static char *read_file(const char *path)
{
	FILE *f = fopen(path, "r");
	cr_assert_not_null(f, "%s", path);
	char *text = calloc(1, 256 * 1024);
	cr_assert_not_null(text);
	size_t n = fread(text, 1, 256 * 1024 - 1, f);
	text[n] = '\0';
	fclose(f);
	return text;
}

Test(docs, help_and_man_page_name_the_same_options)
{
	const char *argv[] = {SA_AUDIT_BIN, "--help", NULL};
	struct run_result r;
	cr_assert_eq(run_command(argv, 10, NULL, &r), 0);
	cr_assert_eq(r.exit_code, 0);
	struct option_set help = {.n = 0}, man = {.n = 0};
	collect(r.out, "-", &help);
	char *page = read_file(MAN_PAGE);
	collect(page, "\\-", &man);
	cr_assert_gt(help.n, 30, "parsed only %zu options from --help", help.n);
	for (size_t i = 0; i < help.n; i++)
		cr_expect(has_option(&man, help.names[i]), "--%s is in --help but not in the man page",
			  help.names[i]);
	for (size_t i = 0; i < man.n; i++)
		cr_expect(has_option(&help, man.names[i]), "--%s is in the man page but not in --help",
			  man.names[i]);
	free(page);
	run_result_free(&r);
}

Test(docs, man_page_lists_every_probe)
{
	const char *argv[] = {SA_AUDIT_BIN, "--list-probes", NULL};
	struct run_result r;
	cr_assert_eq(run_command(argv, 10, NULL, &r), 0);
	char *page = read_file(MAN_PAGE);
	char *save = NULL;
	for (char *line = strtok_r(r.out, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char name[64], needle[80];
		cr_assert_eq(sscanf(line, "%63s", name), 1);
		snprintf(needle, sizeof(needle), ".B %s\n", name);
		cr_expect(strstr(page, needle) != NULL, "probe %s is not in the man page", name);
	}
	free(page);
	run_result_free(&r);
}

Test(docs, install_ships_the_man_page)
{
	char prefix[] = "/tmp/sa-install.XXXXXX", page[300];
	cr_assert_not_null(mkdtemp(prefix));
	const char *argv[] = {"cmake", "--install", SA_BINARY_DIR, "--prefix", prefix, NULL};
	struct run_result r;
	cr_assert_eq(run_command(argv, 60, NULL, &r), 0);
	cr_expect_eq(r.exit_code, 0, "%s", r.err);
	snprintf(page, sizeof(page), "%s/share/man/man1/smtp-audit.1", prefix);
	struct stat st;
	cr_expect_eq(stat(page, &st), 0, "%s missing", page);
	run_result_free(&r);
	const char *rm[] = {"rm", "-rf", prefix, NULL};
	cr_assert_eq(run_command(rm, 30, NULL, &r), 0);
	run_result_free(&r);
}
