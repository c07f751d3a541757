/*
 * NAME
 *	fuzz_ntlm - libFuzzer target for ntlm_parse_challenge
 *
 * DESCRIPTION
 *	Feeds arbitrary bytes, as a server's decoded 334 reply, to the
 *	CHALLENGE decoder (in a buffer of exactly that size, so ASan sees any
 *	read past the end) and checks what must hold whatever the input: the
 *	result is 0 or SA_ERROR_PARSE; a failure leaves the structure all
 *	zero; a success leaves every name NUL-terminated within
 *	NTLM_NAME_MAX bytes, names from UTF-16 (the AV pairs always, the
 *	target name under NTLMSSP_NEGOTIATE_UNICODE) as valid UTF-8 without
 *	NUL, and a second parse gives the same result.
 *
 *	Built by tests/fuzz/CMakeLists.txt (clang); scripts/fuzz.sh runs it for longer.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_check.h"
#include "ntlm.h"
#include "sa_error.h"


/* Length of the UTF-8 sequence starting at s, 0 when it is not well-formed. */
static size_t utf8_sequence(const unsigned char *s)
{
	if (s[0] < 0x80)
		return 1;
	size_t n = s[0] >= 0xf0 && s[0] <= 0xf4 ? 4 : s[0] >= 0xe0 ? 3 : s[0] >= 0xc2 ? 2 : 0;
	if (n == 0 || s[0] > 0xf4)
		return 0;
	for (size_t i = 1; i < n; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	uint32_t cp = s[0] & (0x7f >> n);
	for (size_t i = 1; i < n; i++)
		cp = cp << 6 | (s[i] & 0x3f);
	static const uint32_t least[] = {0, 0, 0x80, 0x800, 0x10000};
	if (cp < least[n] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

static void check_name(const char *name, bool utf8)
{
	size_t len = strnlen(name, NTLM_NAME_MAX);
	FUZZ_CHECK(len < NTLM_NAME_MAX);
	if (!utf8)
		return;
	const unsigned char *s = (const unsigned char *)name;
	for (size_t i = 0; i < len;) {
		size_t n = utf8_sequence(s + i);
		FUZZ_CHECK(n > 0 && i + n <= len);
		i += n;
	}
}

static void check_zero(const struct ntlm_challenge *ch)
{
	static const struct ntlm_challenge zero;
	FUZZ_CHECK(memcmp(ch, &zero, sizeof(zero)) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned char *msg = malloc(size > 0 ? size : 1);
	if (msg == NULL)
		return 0;
	memcpy(msg, data, size);
	struct ntlm_challenge ch, again;
	int rc = ntlm_parse_challenge(msg, size, &ch);
	FUZZ_CHECK(rc == 0 || rc == SA_ERROR_PARSE);
	if (rc != 0) {
		check_zero(&ch);
	} else {
		check_name(ch.target_name, (ch.flags & NTLM_FLAG_UNICODE) != 0);
		check_name(ch.nb_domain, true);
		check_name(ch.nb_computer, true);
		check_name(ch.dns_domain, true);
		check_name(ch.dns_computer, true);
		check_name(ch.dns_tree, true);
		FUZZ_CHECK(!ch.has_version || (ch.major <= 0xff && ch.minor <= 0xff &&
					       ch.build <= 0xffff));
	}
	FUZZ_CHECK(ntlm_parse_challenge(msg, size, &again) == rc);
	FUZZ_CHECK(memcmp(&ch, &again, sizeof(ch)) == 0);
	free(msg);
	return 0;
}
