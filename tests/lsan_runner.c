/*
 * NAME
 *	lsan_runner - keep LeakSanitizer strict for tests, quiet for criterion
 *
 * DESCRIPTION
 *	Linked into every test executable. Under -DSA_SANITIZE=ON, LeakSanitizer
 *	reports 48 bytes that criterion 2.4.1's runner loses when two workers
 *	end together (--jobs=2), which would fail every run. Only the runner
 *	process gets the suppression: a test runs in a worker (boxfort sets
 *	BXFI_MAP there), and since every allocation made by a test has
 *	libcriterion frames on its stack, a suppression there would hide the
 *	test's real leaks too.
 */
#include <stdlib.h>

const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
	return getenv("BXFI_MAP") == NULL ? "leak:libcriterion.so\n" : "";
}
