/*
 * NAME
 *	test_credential - reading --auth-password-file
 *
 * DESCRIPTION
 *	Files written into a private temporary directory: the first line is
 *	the password (LF or CRLF ending dropped, later lines ignored); an
 *	empty first line, a NUL or CR inside, more than CREDENTIAL_MAX bytes,
 *	a directory, a missing file, and a file other users may read or
 *	write are refused with a message that names the file and never the
 *	password.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "credential.h"
#include "run.h"
#include "sa_error.h"

static char dir[256];

static void make_dir(void)
{
	cr_assert_eq(run_make_dir(dir, sizeof(dir), "sa-credential"), 0);
}

static void remove_dir(void)
{
	run_remove_dir(dir);
}

TestSuite(credential, .init = make_dir, .fini = remove_dir, .timeout = 10);

static void write_file(char *path, size_t len, const void *data, size_t n, mode_t mode)
{
	snprintf(path, len, "%s/pw", dir);
	FILE *f = fopen(path, "wb");
	cr_assert_not_null(f);
	cr_assert_eq(fwrite(data, 1, n, f), n);
	fclose(f);
	cr_assert_eq(chmod(path, mode), 0);
}

struct good_case {
	char content[64];
	size_t len;
	char password[32];
};

static const struct good_case good_cases[] = {
    {"s3cret\n", 7, "s3cret"},
    {"s3cret", 6, "s3cret"},
    {"s3cret\r\n", 8, "s3cret"},
    {"with spaces and # sign\nsecond line\n", 35, "with spaces and # sign"},
};

ParameterizedTestParameters(credential, first_line_is_the_password)
{
	return cr_make_param_array(struct good_case, (void *)good_cases,
	                           sizeof(good_cases) / sizeof(good_cases[0]));
}

ParameterizedTest(const struct good_case *c, credential, first_line_is_the_password)
{
	char path[300], err[512] = "", *password;
	write_file(path, sizeof(path), c->content, c->len, 0600);
	cr_assert_eq(credential_load(&password, path, err, sizeof(err)), 0, "%s", err);
	cr_assert_str_eq(password, c->password);
	credential_free(password);
}

struct bad_case {
	char content[64];
	size_t len;
	unsigned mode;
	int rc;
	char message[48];
};

static const struct bad_case bad_cases[] = {
    {"s3cret\n", 7, 0644, SA_ERROR_POLICY, "other users can read or write"},
    {"s3cret\n", 7, 0602, SA_ERROR_POLICY, "other users can read or write"},
    {"\nlater\n", 7, 0600, SA_ERROR_INVAL, "must hold the password"},
    {"", 0, 0600, SA_ERROR_INVAL, "must hold the password"},
    {"s3\0cret\n", 8, 0600, SA_ERROR_INVAL, "no NUL or CR"},
    {"s3\rcret\n", 8, 0600, SA_ERROR_INVAL, "no NUL or CR"},
};

ParameterizedTestParameters(credential, refused)
{
	return cr_make_param_array(struct bad_case, (void *)bad_cases,
	                           sizeof(bad_cases) / sizeof(bad_cases[0]));
}

ParameterizedTest(const struct bad_case *c, credential, refused)
{
	char path[300], err[512] = "", *password = (char *)"unset";
	write_file(path, sizeof(path), c->content, c->len, (mode_t)c->mode);
	cr_assert_eq(credential_load(&password, path, err, sizeof(err)), c->rc, "%s", err);
	cr_assert_null(password);
	cr_assert_not_null(strstr(err, c->message), "%s", err);
	cr_assert_not_null(strstr(err, path), "%s", err);
	cr_assert_null(strstr(err, "cret"), "the message shows the password: %s", err);
}

Test(credential, too_long_is_refused)
{
	static char big[CREDENTIAL_MAX + 2];
	char path[300], err[512], *password;
	memset(big, 'a', sizeof(big));
	write_file(path, sizeof(path), big, sizeof(big), 0600);
	cr_assert_eq(credential_load(&password, path, err, sizeof(err)), SA_ERROR_TOOBIG);
	write_file(path, sizeof(path), big, CREDENTIAL_MAX, 0600);
	cr_assert_eq(credential_load(&password, path, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(strlen(password), CREDENTIAL_MAX);
	credential_free(password);
}

Test(credential, missing_file_and_directory_are_refused)
{
	char path[300], err[512], *password;
	snprintf(path, sizeof(path), "%s/none", dir);
	cr_assert_eq(credential_load(&password, path, err, sizeof(err)), SA_ERROR_IO);
	cr_assert_not_null(strstr(err, "No such file"), "%s", err);
	cr_assert_eq(credential_load(&password, dir, err, sizeof(err)), SA_ERROR_POLICY);
	cr_assert_not_null(strstr(err, "not a regular file"), "%s", err);
}
