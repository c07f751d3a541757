/*
 * NAME
 *	test_user_list - the --users file: names, comments, limits, errors
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sa_error.h"
#include "user_list.h"

static char path[64];

static void write_file(const char *text)
{
	strcpy(path, "/tmp/sa-users.XXXXXX");
	int fd = mkstemp(path);
	cr_assert_geq(fd, 0);
	FILE *f = fdopen(fd, "w");
	cr_assert_not_null(f);
	fputs(text, f);
	fclose(f);
}

static void remove_file(void)
{
	if (path[0] != '\0')
		unlink(path);
}

TestSuite(user_list, .fini = remove_file, .timeout = 10);

struct name_case {
	char name[80];
	bool valid;
};

ParameterizedTestParameters(user_list, valid_name)
{
	static struct name_case cases[] = {
	    {"postmaster", true},  {"first.last", true},  {"a+tag", true},
	    {"o'brien", true},     {"x", true},           {"", false},
	    {".lead", false},      {"trail.", false},     {"two..dots", false},
	    {"with space", false}, {"at@sign", false},    {"quote\"d", false},
	    {"angle<", false},     {"semi;colon", false}, {"\xc3\xa9t\xc3\xa9", false},
	};
	return cr_make_param_array(struct name_case, cases, sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct name_case *c, user_list, valid_name)
{
	cr_assert_eq(user_list_valid_name(c->name), c->valid, "'%s'", c->name);
}

Test(user_list, too_long_a_name_is_refused)
{
	char name[66];
	memset(name, 'a', 65);
	name[65] = '\0';
	cr_assert_not(user_list_valid_name(name));
	name[64] = '\0';
	cr_assert(user_list_valid_name(name));
}

Test(user_list, loads_names_skipping_comments_and_blanks)
{
	write_file("# staff\n  root  \n\nadmin # the admins\n\t# indented comment\nsales\n");
	struct user_list l;
	char err[256] = "";
	user_list_init(&l);
	cr_assert_eq(user_list_load(&l, path, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(l.count, 3);
	cr_assert_str_eq(l.names[0], "root");
	cr_assert_str_eq(l.names[1], "admin");
	cr_assert_str_eq(l.names[2], "sales");
	user_list_free(&l);
	cr_assert_eq(l.count, 0);
}

Test(user_list, bad_line_is_named)
{
	write_file("root\nbad name\n");
	struct user_list l;
	char err[256] = "";
	user_list_init(&l);
	cr_assert_eq(user_list_load(&l, path, err, sizeof(err)), SA_ERROR_INVAL);
	cr_assert(strstr(err, ":2: not a plain local part") != NULL, "%s", err);
	cr_assert_eq(l.count, 0, "nothing is kept on error");
}

Test(user_list, more_than_the_limit_is_refused)
{
	size_t len = (USER_LIST_MAX + 1) * 8 + 1;
	char *text = calloc(1, len);
	cr_assert_not_null(text);
	for (int i = 0; i <= USER_LIST_MAX; i++)
		snprintf(text + strlen(text), len - strlen(text), "u%d\n", i);
	write_file(text);
	free(text);
	struct user_list l;
	char err[256] = "";
	user_list_init(&l);
	cr_assert_eq(user_list_load(&l, path, err, sizeof(err)), SA_ERROR_RANGE);
	cr_assert(strstr(err, "more than 1000 names") != NULL, "%s", err);
}

Test(user_list, empty_and_missing_files_are_errors)
{
	write_file("# nothing here\n\n");
	struct user_list l;
	char err[256] = "";
	user_list_init(&l);
	cr_assert_eq(user_list_load(&l, path, err, sizeof(err)), SA_ERROR_RANGE);
	cr_assert(strstr(err, "no names") != NULL, "%s", err);
	cr_assert_eq(user_list_load(&l, "/nonexistent/users.txt", err, sizeof(err)), SA_ERROR_IO);
	cr_assert(strstr(err, "No such file") != NULL, "%s", err);
}
