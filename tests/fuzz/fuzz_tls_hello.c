/*
 * NAME
 *	fuzz_tls_hello - libFuzzer target for the TLS answer parser and the ClientHello builder
 *
 * DESCRIPTION
 *	Byte 0 chooses the mode. Even: the rest is a server's answer, given
 *	to tls_hello_parse() in a buffer of exactly its size (so ASan sees
 *	any read past the end). What must hold: the kind is one of the
 *	enum; a reason exists exactly for the failure kinds and is one
 *	non-empty line; a ServerHello or alert lies within a record whose
 *	header tls_hello_record_length() accepts and whose length fits the
 *	input, with the header's version; an alert is warning or fatal; a
 *	ServerHello's version is 3.x; the record cut by one byte is
 *	truncated; a second parse gives the same answer.
 *
 *	Odd: the rest drives the builder: byte 1 the version (0x0300 plus
 *	byte 1 mod 6, so 0x0305 is refused), byte 2 the buffer size (times
 *	8), byte 3 the length of the server name that follows, then the
 *	suite ids (two bytes each). What must hold: the result is 0,
 *	SA_ERROR_INVAL (bad version or suite count) or SA_ERROR_TOOBIG; on
 *	success the bytes fit the buffer, form one record whose header
 *	tls_hello_record_length() accepts with exactly that length, and
 *	parse as a ClientHello ("not a ServerHello").
 *
 *	Built by tests/fuzz/CMakeLists.txt (clang); scripts/fuzz.sh runs it for longer.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_check.h"
#include "sa_error.h"
#include "tls_hello.h"

enum {
	FUZZ_BUILD_HEADER = 3, /* version, buffer size, name length */
};


static bool fuzz_same(const struct tls_hello_answer *a, const struct tls_hello_answer *b)
{
	return a->kind == b->kind && a->record_version == b->record_version &&
	       a->version == b->version && a->suite == b->suite &&
	       a->compression == b->compression && a->hello_retry == b->hello_retry &&
	       a->alert_level == b->alert_level && a->alert_description == b->alert_description &&
	       a->reason == b->reason;
}

static void fuzz_check_record(const unsigned char *buf, size_t len,
                              const struct tls_hello_answer *a)
{
	size_t record_len = 0;
	FUZZ_CHECK(tls_hello_record_length(buf, len, &record_len) == 0);
	FUZZ_CHECK(record_len >= TLS_HELLO_RECORD_HEADER && record_len <= len);
	FUZZ_CHECK(a->record_version == (buf[1] << 8 | buf[2]));
	struct tls_hello_answer cut;
	FUZZ_CHECK(tls_hello_parse(buf, record_len - 1, &cut) == TLS_HELLO_TRUNCATED);
}

static void fuzz_parse(const uint8_t *data, size_t size)
{
	unsigned char *buf = malloc(size ? size : 1);
	FUZZ_CHECK(buf != NULL);
	memcpy(buf, data, size);
	struct tls_hello_answer a, again;
	enum tls_hello_kind kind = tls_hello_parse(buf, size, &a);
	FUZZ_CHECK(kind == a.kind && kind <= TLS_HELLO_MALFORMED);
	bool success = kind == TLS_HELLO_SERVER_HELLO || kind == TLS_HELLO_ALERT;
	FUZZ_CHECK(success == (a.reason == NULL));
	if (!success)
		FUZZ_CHECK(a.reason[0] != '\0' && strchr(a.reason, '\n') == NULL);
	if (success)
		fuzz_check_record(buf, size, &a);
	if (kind == TLS_HELLO_ALERT)
		FUZZ_CHECK(a.alert_level == 1 || a.alert_level == 2);
	if (kind == TLS_HELLO_SERVER_HELLO)
		FUZZ_CHECK(a.version >> 8 == 3);
	FUZZ_CHECK(tls_hello_parse(buf, size, &again) == kind && fuzz_same(&a, &again));
	FUZZ_CHECK(tls_hello_kind_name(kind)[0] != '\0');
	free(buf);
}

static void fuzz_build(const uint8_t *data, size_t size)
{
	if (size < FUZZ_BUILD_HEADER)
		return;
	char name[256];
	size_t name_len = data[2];
	if (name_len > size - FUZZ_BUILD_HEADER)
		name_len = size - FUZZ_BUILD_HEADER;
	memcpy(name, data + FUZZ_BUILD_HEADER, name_len);
	name[name_len] = '\0';
	const uint8_t *ids = data + FUZZ_BUILD_HEADER + name_len;
	size_t nsuites = (size - FUZZ_BUILD_HEADER - name_len) / 2;
	uint16_t *suites = malloc((nsuites ? nsuites : 1) * sizeof(*suites));
	FUZZ_CHECK(suites != NULL);
	for (size_t i = 0; i < nsuites; i++)
		suites[i] = (uint16_t)(ids[2 * i] << 8 | ids[2 * i + 1]);
	struct tls_hello_client c = {
	    .version = (uint16_t)(TLS_HELLO_SSL3 + data[0] % 6),
	    .suites = suites,
	    .nsuites = nsuites,
	    .server_name = name,
	};
	memset(c.random, data[1], sizeof(c.random));
	memset(c.key_share, data[2], sizeof(c.key_share));
	size_t cap = (size_t)data[1] * 8;
	unsigned char *buf = malloc(cap ? cap : 1);
	FUZZ_CHECK(buf != NULL);
	size_t len = 0;
	int rc = tls_hello_client_build(&c, buf, cap, &len);
	bool valid =
	    c.version <= TLS_HELLO_TLS1_3 && nsuites > 0 && nsuites <= TLS_HELLO_MAX_SUITES;
	FUZZ_CHECK(valid ? rc == 0 || rc == SA_ERROR_TOOBIG : rc == SA_ERROR_INVAL);
	if (rc == 0) {
		size_t record_len = 0;
		FUZZ_CHECK(len <= cap);
		FUZZ_CHECK(tls_hello_record_length(buf, len, &record_len) == 0 &&
		           record_len == len);
		struct tls_hello_answer a;
		FUZZ_CHECK(tls_hello_parse(buf, len, &a) == TLS_HELLO_MALFORMED);
		FUZZ_CHECK(strcmp(a.reason, "first handshake message is not a ServerHello") == 0);
	}
	free(buf);
	free(suites);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	if (data[0] % 2 == 0)
		fuzz_parse(data + 1, size - 1);
	else
		fuzz_build(data + 1, size - 1);
	return 0;
}
