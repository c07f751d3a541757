/*
 * NAME
 *	test_atomic_file - reports replace regular files whole and never replace devices or FIFOs
 */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "atomic_file.h"
#include "sa_error.h"

static char dir[] = "/tmp/sa-atomic-XXXXXX";

static void make_dir(void)
{
	cr_assert_not_null(mkdtemp(dir));
}

static void remove_dir(void)
{
	char cmd[64];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	cr_expect_eq(system(cmd), 0);
}

TestSuite(atomic_file, .init = make_dir, .fini = remove_dir, .timeout = 10);

static void path_in_dir(char *path, size_t len, const char *name)
{
	snprintf(path, len, "%s/%s", dir, name);
}

Test(atomic_file, a_regular_file_is_replaced_only_on_commit)
{
	char path[96], err[256] = "";
	path_in_dir(path, sizeof(path), "report.json");
	FILE *old = fopen(path, "w");
	cr_assert_not_null(old);
	fputs("old", old);
	fclose(old);
	struct stat before;
	cr_assert_eq(stat(path, &before), 0);

	struct atomic_file af;
	cr_assert_eq(atomic_file_open(&af, path, err, sizeof(err)), 0, "%s", err);
	fputs("new report", af.fp);
	char seen[16] = "";
	FILE *f = fopen(path, "r");
	cr_assert_not_null(fgets(seen, sizeof(seen), f));
	fclose(f);
	cr_expect_str_eq(seen, "old", "readers see the old report until the commit");
	cr_assert_eq(atomic_file_commit(&af, err, sizeof(err)), 0, "%s", err);

	struct stat after;
	cr_assert_eq(stat(path, &after), 0);
	cr_expect_neq(after.st_ino, before.st_ino, "a new file was renamed over the old one");
	f = fopen(path, "r");
	cr_assert_not_null(fgets(seen, sizeof(seen), f));
	fclose(f);
	cr_expect_str_eq(seen, "new report");
}

Test(atomic_file, an_aborted_report_leaves_nothing_behind)
{
	char path[96], err[256] = "";
	path_in_dir(path, sizeof(path), "never.json");
	struct atomic_file af;
	cr_assert_eq(atomic_file_open(&af, path, err, sizeof(err)), 0, "%s", err);
	fputs("half", af.fp);
	atomic_file_abort(&af);
	cr_expect_neq(access(path, F_OK), 0);
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "test -z \"$(ls -A '%s')\"", dir);
	cr_expect_eq(system(cmd), 0, "the temporary file is gone");
}

/* The bug this guards against: --out /dev/null renamed a regular file over the device. */
Test(atomic_file, a_fifo_is_written_in_place_and_stays_a_fifo)
{
	char path[96], err[256] = "";
	path_in_dir(path, sizeof(path), "pipe");
	cr_assert_eq(mkfifo(path, 0600), 0);
	int reader = open(path, O_RDONLY | O_NONBLOCK);
	cr_assert_geq(reader, 0);

	struct atomic_file af;
	cr_assert_eq(atomic_file_open(&af, path, err, sizeof(err)), 0, "%s", err);
	fputs("streamed", af.fp);
	cr_assert_eq(atomic_file_commit(&af, err, sizeof(err)), 0, "%s", err);

	char got[16] = "";
	cr_expect_eq(read(reader, got, sizeof(got) - 1), 8);
	cr_expect_str_eq(got, "streamed");
	close(reader);
	struct stat st;
	cr_assert_eq(stat(path, &st), 0);
	cr_expect(S_ISFIFO(st.st_mode), "the FIFO was replaced by a regular file");
}

Test(atomic_file, a_directory_is_refused_with_its_name)
{
	char err[256] = "";
	struct atomic_file af;
	cr_expect_eq(atomic_file_open(&af, dir, err, sizeof(err)), SA_ERROR_IO);
	cr_expect(strstr(err, dir) != NULL, "%s", err);
}
