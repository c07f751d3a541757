/*
 * NAME
 *	tls_capture - load a server answer captured by scripts/capture-tls-hello.sh
 *
 * DESCRIPTION
 *	tests/data/tls/NAME.bin holds the first TLS record a real server
 *	(OpenSSL 3 s_server, GnuTLS 3.7 gnutls-serv) sent in answer to a
 *	ClientHello built by scanner/tls_hello.c. The data directory is
 *	$SA_TEST_DATA/tls when SA_TEST_DATA is set (the tests/data directory
 *	of a source tree), else tests/data/tls next to this file's source
 *	directory, found through __FILE__.
 *
 *	tls_capture_load() fails the test when the file is missing, empty or
 *	larger than cap. Shared by test_tls_hello.c and
 *	test_probe_tls_params.c; everything is static, include it once.
 */
#ifndef TLS_CAPTURE_H
#define TLS_CAPTURE_H

#include <criterion/criterion.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A whole record: 5-byte header and at most 2^14 + 2048 bytes of fragment. */
#define TLS_CAPTURE_MAX (5 + 18432)

static void tls_capture_path(const char *name, char *path, size_t len)
{
	const char *env = getenv("SA_TEST_DATA");
	if (env != NULL && env[0] != '\0') {
		snprintf(path, len, "%s/tls/%s.bin", env, name);
		return;
	}
	/* __FILE__ is .../tests/unit/tls_capture.h: go up to .../tests. */
	const char *file = __FILE__;
	const char *unit = strstr(file, "/unit/tls_capture.h");
	cr_assert_not_null(unit, "cannot locate the test data from %s; set SA_TEST_DATA", file);
	snprintf(path, len, "%.*s/data/tls/%s.bin", (int)(unit - file), file, name);
}

static size_t tls_capture_load(const char *name, unsigned char *buf, size_t cap)
{
	char path[4096];
	tls_capture_path(name, path, sizeof(path));
	FILE *f = fopen(path, "rb");
	cr_assert_not_null(f, "cannot open %s", path);
	size_t n = fread(buf, 1, cap, f);
	int extra = fgetc(f);
	fclose(f);
	cr_assert_gt(n, 0, "%s is empty", path);
	cr_assert_eq(extra, EOF, "%s is larger than %zu bytes", path, cap);
	return n;
}

#endif
