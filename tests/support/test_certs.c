/*
 * NAME
 *	test_certs - the certificates of scripts/gen-test-certs.sh, made once per test run
 *
 * DESCRIPTION
 *	See test_certs.h.
 */
#include "test_certs.h"

#include <criterion/criterion.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include "run.h"

static char test_certs_dir[] = "/tmp/sa-test-certs.XXXXXX";
static bool test_certs_made; /* in the runner process, which runs both hooks */

void test_certs_make(const char *name)
{
	if (mkdtemp(test_certs_dir) == NULL)
		return;
	test_certs_made = true;
	const char *argv[] = {SA_SOURCE_DIR "/scripts/gen-test-certs.sh", test_certs_dir, name,
	                      NULL};
	struct run_result r;
	if (run_command(argv, 60, NULL, &r) != 0)
		return;
	if (r.exit_code == 0)
		setenv(TEST_CERTS_ENV, test_certs_dir, 1);
	else
		fprintf(stderr, "gen-test-certs.sh failed (%d): %s\n", r.exit_code, r.err);
	run_result_free(&r);
}

void test_certs_remove(void)
{
	const char *argv[] = {"rm", "-rf", test_certs_dir, NULL};
	struct run_result r;
	if (test_certs_made && run_command(argv, 30, NULL, &r) == 0)
		run_result_free(&r);
}

void test_certs_path(char *buf, const char *file)
{
	const char *dir = getenv(TEST_CERTS_ENV);
	cr_assert_not_null(dir, "the test certificates were not made (see stderr)");
	snprintf(buf, TEST_CERTS_PATH_MAX, "%s/%s", dir, file);
}
