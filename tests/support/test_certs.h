/*
 * NAME
 *	test_certs - the certificates of scripts/gen-test-certs.sh, made once per test run
 *
 * SUMMARY
 *	ReportHook(PRE_ALL)(struct criterion_test_set *t) { (void)t; test_certs_make("mx.lab.test"); }
 *	ReportHook(POST_ALL)(struct criterion_global_stats *s) { (void)s; test_certs_remove(); }
 *	char path[TEST_CERTS_PATH_MAX];
 *	test_certs_path(path, "expired.chain.pem");
 *
 * DESCRIPTION
 *	The script takes seconds, so a test executable runs it once, in the
 *	criterion runner before any test, into a temporary directory whose
 *	name reaches the re-executed workers in TEST_CERTS_ENV; the runner
 *	removes the directory after the last test. A test asking for a path
 *	when the script failed fails with a pointer to stderr, where the
 *	script's own message went.
 */
#ifndef TEST_CERTS_H
#define TEST_CERTS_H

#define TEST_CERTS_ENV      "SA_TEST_CERT_DIR"
#define TEST_CERTS_PATH_MAX 512

/* In the runner (PRE_ALL): runs the script for name into a fresh directory. */
void test_certs_make(const char *name);

/* In the runner (POST_ALL): removes that directory. */
void test_certs_remove(void);

/* In a test: the path of one generated file into buf (TEST_CERTS_PATH_MAX bytes). */
void test_certs_path(char *buf, const char *file);

#endif
