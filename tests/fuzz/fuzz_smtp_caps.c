/*
 * NAME
 *	fuzz_smtp_caps - libFuzzer target for the EHLO capability parser
 *
 * DESCRIPTION
 *	Input: byte 0 chooses the reply code (250 unless it is 0xff, then
 *	550), the rest is split at LF into the lines of the reply (a line ends
 *	at its first NUL, as the reply parser never hands one out).
 *
 *	What must hold whatever the input: a 250 reply parses, any other code
 *	gives SA_ERROR_INVAL and an empty result; the server name is one
 *	non-empty word taken from the first line; unknown lines are lines of
 *	the reply, verbatim and in order, whose keyword is unknown (or a
 *	malformed SIZE), and with the dropped ones they account for no more
 *	lines than there are; kept lists respect SMTP_CAPS_MAX_UNKNOWN;
 *	unknown mechanisms are single distinct words no table knows; AUTH
 *	mechanisms and a SIZE limit imply the AUTH and SIZE bits; a copy is
 *	equal and independent.
 *
 *	Built by tests/fuzz/CMakeLists.txt (clang); scripts/fuzz.sh runs it for longer.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "fuzz_check.h"
#include "sa_error.h"
#include "smtp_caps.h"
#include "smtp_reply.h"

static const char fuzz_delims[] = " \t=";


/* The reply's lines, split at LF; lines[] and each line are malloc'ed. */
static bool fuzz_build_reply(const uint8_t *data, size_t size, struct smtp_reply *r)
{
	*r = (struct smtp_reply){.code = data[0] == 0xff ? 550 : 250};
	const char *text = (const char *)data + 1;
	size_t len = size - 1;
	size_t nlines = 1;
	for (size_t i = 0; i < len; i++)
		nlines += text[i] == '\n';
	r->lines = calloc(nlines, sizeof(*r->lines));
	if (r->lines == NULL)
		return false;
	for (const char *s = text, *end = text + len; r->nlines < nlines; r->nlines++) {
		const char *lf = memchr(s, '\n', (size_t)(end - s));
		size_t n = lf != NULL ? (size_t)(lf - s) : (size_t)(end - s);
		/* Not strndup: under strict_string_checks ASan wants a NUL within the n bytes. */
		const char *nul = memchr(s, '\0', n);
		size_t kept = nul != NULL ? (size_t)(nul - s) : n;
		char *line = malloc(kept + 1);
		if (line == NULL)
			return false;
		memcpy(line, s, kept);
		line[kept] = '\0';
		r->lines[r->nlines] = line;
		s += n + (lf != NULL);
	}
	return true;
}

static bool fuzz_list_equal(char *const *a, char *const *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (a[i] == b[i] || strcmp(a[i], b[i]) != 0)
			return false;
	return true;
}

static void check_copy(const struct smtp_caps *caps)
{
	struct smtp_caps copy;
	FUZZ_CHECK(smtp_caps_copy(&copy, caps) == 0);
	FUZZ_CHECK(copy.ext == caps->ext && copy.auth == caps->auth);
	FUZZ_CHECK(copy.size_limit == caps->size_limit);
	FUZZ_CHECK((copy.server_name == NULL) == (caps->server_name == NULL));
	FUZZ_CHECK(caps->server_name == NULL || strcmp(copy.server_name, caps->server_name) == 0);
	FUZZ_CHECK(copy.nunknown == caps->nunknown &&
	           copy.unknown_dropped == caps->unknown_dropped);
	FUZZ_CHECK(fuzz_list_equal(copy.unknown, caps->unknown, caps->nunknown));
	FUZZ_CHECK(copy.nauth_unknown == caps->nauth_unknown &&
	           copy.auth_unknown_dropped == caps->auth_unknown_dropped);
	FUZZ_CHECK(fuzz_list_equal(copy.auth_unknown, caps->auth_unknown, caps->nauth_unknown));
	smtp_caps_free(&copy);
}

/* Unknown lines are reply lines 1.., in order, whose keyword is not understood. */
static void check_unknown_lines(const struct smtp_caps *caps, const struct smtp_reply *r)
{
	FUZZ_CHECK(caps->nunknown <= SMTP_CAPS_MAX_UNKNOWN);
	FUZZ_CHECK(caps->unknown_dropped == 0 || caps->nunknown == SMTP_CAPS_MAX_UNKNOWN);
	FUZZ_CHECK(caps->nunknown + caps->unknown_dropped < r->nlines);
	size_t line = 1;
	for (size_t i = 0; i < caps->nunknown; i++) {
		while (line < r->nlines && strcmp(r->lines[line], caps->unknown[i]) != 0)
			line++;
		FUZZ_CHECK(line < r->nlines);
		const char *keyword = caps->unknown[i] + strspn(caps->unknown[i], fuzz_delims);
		enum smtp_ext ext;
		if (smtp_ext_lookup(keyword, strcspn(keyword, fuzz_delims), &ext))
			FUZZ_CHECK(ext == SMTP_EXT_SIZE);
		line++;
	}
}

static void check_unknown_mechs(const struct smtp_caps *caps)
{
	FUZZ_CHECK(caps->nauth_unknown <= SMTP_CAPS_MAX_UNKNOWN);
	FUZZ_CHECK(caps->auth_unknown_dropped == 0 || caps->nauth_unknown == SMTP_CAPS_MAX_UNKNOWN);
	for (size_t i = 0; i < caps->nauth_unknown; i++) {
		const char *name = caps->auth_unknown[i];
		size_t len = strlen(name);
		enum smtp_auth mech;
		FUZZ_CHECK(len > 0 && strcspn(name, fuzz_delims) == len);
		FUZZ_CHECK(!smtp_auth_lookup(name, len, &mech));
		for (size_t j = 0; j < i; j++)
			FUZZ_CHECK(strcasecmp(caps->auth_unknown[j], name) != 0);
	}
}

static void check_caps(const struct smtp_caps *caps, const struct smtp_reply *r)
{
	if (caps->server_name != NULL) {
		size_t len = strlen(caps->server_name);
		FUZZ_CHECK(len > 0 && strcspn(caps->server_name, " \t") == len);
		FUZZ_CHECK(strstr(r->lines[0], caps->server_name) != NULL);
	}
	FUZZ_CHECK((caps->ext >> SMTP_EXT_COUNT) == 0 && (caps->auth >> SMTP_AUTH_COUNT) == 0);
	if (caps->auth != 0 || caps->nauth_unknown != 0)
		FUZZ_CHECK(smtp_caps_has(caps, SMTP_EXT_AUTH));
	if (caps->size_limit != 0)
		FUZZ_CHECK(smtp_caps_has(caps, SMTP_EXT_SIZE));
	check_unknown_lines(caps, r);
	check_unknown_mechs(caps);
	check_copy(caps);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	struct smtp_reply r;
	if (!fuzz_build_reply(data, size, &r)) {
		smtp_reply_free(&r);
		return 0;
	}
	struct smtp_caps caps;
	int rc = smtp_caps_parse(&r, &caps);
	if (r.code != 250) {
		FUZZ_CHECK(rc == SA_ERROR_INVAL);
		FUZZ_CHECK(caps.server_name == NULL && caps.ext == 0 && caps.nunknown == 0);
	} else {
		FUZZ_CHECK(rc == 0);
		check_caps(&caps, &r);
	}
	smtp_caps_free(&caps);
	smtp_reply_free(&r);
	return 0;
}
