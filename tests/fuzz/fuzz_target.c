/*
 * NAME
 *	fuzz_target - libFuzzer target for target_parse and target_ports_parse
 *
 * DESCRIPTION
 *	Feeds arbitrary bytes (up to the first NUL) to both parsers and checks
 *	what must hold whatever the input: an error leaves no host behind and
 *	writes one printable line; an accepted spec is canonical (re-parsing
 *	its canonical text gives the same spec), a name holds only lower-case
 *	DNS characters, a CIDR network has no host bits, and its first and
 *	last addresses lie inside it; an accepted port list is non-zero,
 *	distinct and no longer than the array.
 *
 *	Built by tests/fuzz/CMakeLists.txt (clang); scripts/fuzz.sh runs it for longer.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "fuzz_check.h"
#include "sa_error.h"
#include "target.h"

#define FUZZ_ERR_MAX 256

static void check_message(const char *err)
{
	FUZZ_CHECK(err[0] != '\0');
	for (const char *p = err; *p != '\0'; p++)
		FUZZ_CHECK(*p >= 0x20 && *p < 0x7f);
}

static bool same_spec(const struct target_spec *a, const struct target_spec *b)
{
	return a->kind == b->kind && strcmp(a->host, b->host) == 0 && a->prefix == b->prefix &&
	       a->port == b->port &&
	       (a->kind == TARGET_NAME || memcmp(&a->addr, &b->addr, sizeof(a->addr)) == 0);
}

static void canonical_text(const struct target_spec *spec, char *buf, size_t buflen)
{
	bool v6 = spec->kind != TARGET_NAME && spec->addr.family == AF_INET6;
	if (spec->kind == TARGET_CIDR)
		snprintf(buf, buflen, "%s/%u", spec->host, spec->prefix);
	else if (spec->port == 0)
		snprintf(buf, buflen, "%s", spec->host);
	else
		snprintf(buf, buflen, v6 ? "[%s]:%u" : "%s:%u", spec->host, (unsigned)spec->port);
}

static void check_name(const struct target_spec *spec)
{
	size_t len = strlen(spec->host);
	FUZZ_CHECK(len > 0 && len <= 253);
	FUZZ_CHECK(strspn(spec->host, "abcdefghijklmnopqrstuvwxyz0123456789-_.") == len);
	FUZZ_CHECK(spec->host[len - 1] != '.');
}

static void check_address(const struct target_spec *spec)
{
	unsigned bits = spec->addr.family == AF_INET ? 32 : 128;
	struct target_addr parsed, first, last;
	FUZZ_CHECK(spec->addr.family == AF_INET || spec->addr.family == AF_INET6);
	FUZZ_CHECK(target_addr_parse(spec->host, &parsed));
	FUZZ_CHECK(memcmp(&parsed, &spec->addr, sizeof(parsed)) == 0);
	FUZZ_CHECK(spec->kind == TARGET_ADDRESS ? spec->prefix == bits : spec->prefix < bits);
	FUZZ_CHECK(spec->kind == TARGET_ADDRESS || spec->port == 0);
	uint64_t count = target_spec_count(spec);
	FUZZ_CHECK(spec->kind == TARGET_ADDRESS ? count == 1 : count >= 2);
	target_spec_nth(spec, 0, &first);
	target_spec_nth(spec, count - 1, &last);
	FUZZ_CHECK(memcmp(&first, &spec->addr, sizeof(first)) == 0);
	FUZZ_CHECK(target_spec_contains(spec, &first) && target_spec_contains(spec, &last));
}

static void fuzz_parse(const char *text)
{
	struct target_spec spec, again;
	char err[FUZZ_ERR_MAX] = "";
	int rc = target_parse(text, &spec, err, sizeof(err));
	if (rc != 0) {
		FUZZ_CHECK(rc == SA_ERROR_PARSE || rc == SA_ERROR_RANGE);
		FUZZ_CHECK(spec.host == NULL);
		check_message(err);
		return;
	}
	FUZZ_CHECK(spec.host != NULL);
	if (spec.kind == TARGET_NAME)
		check_name(&spec);
	else
		check_address(&spec);
	char canon[FUZZ_ERR_MAX];
	canonical_text(&spec, canon, sizeof(canon));
	FUZZ_CHECK(target_parse(canon, &again, err, sizeof(err)) == 0);
	FUZZ_CHECK(same_spec(&spec, &again));
	target_spec_free(&again);
	target_spec_free(&spec);
}

static void fuzz_ports(const char *text, size_t max)
{
	static uint16_t ports[65535];
	static uint8_t seen[65536];
	size_t count = 1;
	char err[FUZZ_ERR_MAX] = "";
	int rc = target_ports_parse(text, ports, max, &count, err, sizeof(err));
	if (rc != 0) {
		FUZZ_CHECK(rc == SA_ERROR_PARSE || rc == SA_ERROR_RANGE || rc == SA_ERROR_TOOBIG);
		FUZZ_CHECK(count == 0);
		check_message(err);
		return;
	}
	FUZZ_CHECK(count >= 1 && count <= max);
	memset(seen, 0, sizeof(seen));
	for (size_t i = 0; i < count; i++) {
		FUZZ_CHECK(ports[i] != 0 && !seen[ports[i]]);
		seen[ports[i]] = 1;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	if (text == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	fuzz_parse(text);
	fuzz_ports(text, size % 2 == 0 ? 16 : 65535);
	free(text);
	return 0;
}
