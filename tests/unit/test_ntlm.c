/*
 * NAME
 *	test_ntlm - the NTLM NEGOTIATE builder and the CHALLENGE decoder
 *
 * DESCRIPTION
 *	The NEGOTIATE message is compared byte for byte with MS-NLMP 2.2.1.1.
 *	Two real-world CHALLENGE messages are decoded: the example of MS-NLMP
 *	section 4.2.4.3 and one laid out as Exchange 2019 on Windows Server
 *	2019 sends it (field by field from MS-NLMP 2.2.1.2, 2.2.2.1 and
 *	2.2.2.10, AV pairs in Windows' order). Older layouts (NT4's 32-byte
 *	header, a 48-byte header with OEM names) must decode too. Hostile
 *	messages (every prefix, offsets and lengths out of range or
 *	overlapping the header, odd UTF-16 lengths, a missing MsvAvEOL, a
 *	65 KiB list of AV pairs) must be refused or decoded within bounds, and
 *	names longer than the buffers are cut at a character boundary.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "ntlm.h"
#include "sa_error.h"

/* MS-NLMP section 4.2.4.3, the CHALLENGE_MESSAGE of the NTLMv2 example. */
/* clang-format off */
static const unsigned char spec_challenge[] = {
	/* NTLMSSP signature, MessageType 2 */
	0x4e, 0x54, 0x4c, 0x4d, 0x53, 0x53, 0x50, 0x00, 0x02, 0x00, 0x00, 0x00,
	/* TargetNameFields: 12 bytes at 56 */
	0x0c, 0x00, 0x0c, 0x00, 0x38, 0x00, 0x00, 0x00,
	/* NegotiateFlags 0xe28a8233 */
	0x33, 0x82, 0x8a, 0xe2,
	/* ServerChallenge, Reserved */
	0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00,
	/* TargetInfoFields: 36 bytes at 68 */
	0x24, 0x00, 0x24, 0x00, 0x44, 0x00, 0x00, 0x00,
	/* Version 6.0 build 6000, NTLM revision 15 */
	0x06, 0x00, 0x70, 0x17, 0x00, 0x00, 0x00, 0x0f,
	/* TargetName "Server" */
	0x53, 0x00, 0x65, 0x00, 0x72, 0x00, 0x76, 0x00, 0x65, 0x00, 0x72, 0x00,
	/* MsvAvNbDomainName "Domain" */
	0x02, 0x00, 0x0c, 0x00, 0x44, 0x00, 0x6f, 0x00, 0x6d, 0x00, 0x61, 0x00,
	0x69, 0x00, 0x6e, 0x00,
	/* MsvAvNbComputerName "Server" */
	0x01, 0x00, 0x0c, 0x00, 0x53, 0x00, 0x65, 0x00, 0x72, 0x00, 0x76, 0x00,
	0x65, 0x00, 0x72, 0x00,
	/* MsvAvEOL */
	0x00, 0x00, 0x00, 0x00,
};
/* clang-format on */
_Static_assert(sizeof(spec_challenge) == 104, "MS-NLMP 4.2.4.3 gives 104 bytes");

/* Exchange 2019 on Windows Server 2019 answering AUTH NTLM on port 25. */
/* clang-format off */
static const unsigned char exchange_challenge[] = {
	/* NTLMSSP signature, MessageType 2 */
	0x4e, 0x54, 0x4c, 0x4d, 0x53, 0x53, 0x50, 0x00, 0x02, 0x00, 0x00, 0x00,
	/* TargetNameFields: 14 bytes at 56 */
	0x0e, 0x00, 0x0e, 0x00, 0x38, 0x00, 0x00, 0x00,
	/* NegotiateFlags 0xa2898205 */
	0x05, 0x82, 0x89, 0xa2,
	/* ServerChallenge, Reserved */
	0x5c, 0x1a, 0x7e, 0x0b, 0x93, 0xd2, 0xf6, 0x48, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00,
	/* TargetInfoFields: 154 bytes at 70 */
	0x9a, 0x00, 0x9a, 0x00, 0x46, 0x00, 0x00, 0x00,
	/* Version 10.0 build 17763, NTLM revision 15 */
	0x0a, 0x00, 0x63, 0x45, 0x00, 0x00, 0x00, 0x0f,
	/* TargetName "CONTOSO" */
	0x43, 0x00, 0x4f, 0x00, 0x4e, 0x00, 0x54, 0x00, 0x4f, 0x00, 0x53, 0x00,
	0x4f, 0x00,
	/* MsvAvNbDomainName "CONTOSO" (offset 70) */
	0x02, 0x00, 0x0e, 0x00, 0x43, 0x00, 0x4f, 0x00, 0x4e, 0x00, 0x54, 0x00,
	0x4f, 0x00, 0x53, 0x00, 0x4f, 0x00,
	/* MsvAvNbComputerName "EXCH01" (offset 88) */
	0x01, 0x00, 0x0c, 0x00, 0x45, 0x00, 0x58, 0x00, 0x43, 0x00, 0x48, 0x00,
	0x30, 0x00, 0x31, 0x00,
	/* MsvAvDnsDomainName "contoso.local" (offset 104) */
	0x04, 0x00, 0x1a, 0x00, 0x63, 0x00, 0x6f, 0x00, 0x6e, 0x00, 0x74, 0x00,
	0x6f, 0x00, 0x73, 0x00, 0x6f, 0x00, 0x2e, 0x00, 0x6c, 0x00, 0x6f, 0x00,
	0x63, 0x00, 0x61, 0x00, 0x6c, 0x00,
	/* MsvAvDnsComputerName "EXCH01.contoso.local" (offset 134) */
	0x03, 0x00, 0x28, 0x00, 0x45, 0x00, 0x58, 0x00, 0x43, 0x00, 0x48, 0x00,
	0x30, 0x00, 0x31, 0x00, 0x2e, 0x00, 0x63, 0x00, 0x6f, 0x00, 0x6e, 0x00,
	0x74, 0x00, 0x6f, 0x00, 0x73, 0x00, 0x6f, 0x00, 0x2e, 0x00, 0x6c, 0x00,
	0x6f, 0x00, 0x63, 0x00, 0x61, 0x00, 0x6c, 0x00,
	/* MsvAvDnsTreeName "contoso.local" (offset 178) */
	0x05, 0x00, 0x1a, 0x00, 0x63, 0x00, 0x6f, 0x00, 0x6e, 0x00, 0x74, 0x00,
	0x6f, 0x00, 0x73, 0x00, 0x6f, 0x00, 0x2e, 0x00, 0x6c, 0x00, 0x6f, 0x00,
	0x63, 0x00, 0x61, 0x00, 0x6c, 0x00,
	/* MsvAvTimestamp 0x01da3cb5a1b2c3d4 (offset 208) */
	0x07, 0x00, 0x08, 0x00, 0xd4, 0xc3, 0xb2, 0xa1, 0xb5, 0x3c, 0xda, 0x01,
	/* MsvAvEOL (offset 220) */
	0x00, 0x00, 0x00, 0x00,
};
/* clang-format on */
_Static_assert(sizeof(exchange_challenge) == 224, "layout as commented");

/* A Samba-style 48-byte header: OEM names, TargetInfo without its flag, no Version. */
/* clang-format off */
static const unsigned char oem_challenge[] = {
	/* NTLMSSP signature, MessageType 2 */
	0x4e, 0x54, 0x4c, 0x4d, 0x53, 0x53, 0x50, 0x00, 0x02, 0x00, 0x00, 0x00,
	/* TargetNameFields: 9 bytes at 48 */
	0x09, 0x00, 0x09, 0x00, 0x30, 0x00, 0x00, 0x00,
	/* NegotiateFlags 0x00018206: OEM, REQUEST_TARGET, NTLM, ALWAYS_SIGN, DOMAIN */
	0x06, 0x82, 0x01, 0x00,
	/* ServerChallenge, Reserved */
	0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00,
	/* TargetInfoFields: 22 bytes at 57 */
	0x16, 0x00, 0x16, 0x00, 0x39, 0x00, 0x00, 0x00,
	/* TargetName "WORKGROUP" in the OEM code page */
	0x57, 0x4f, 0x52, 0x4b, 0x47, 0x52, 0x4f, 0x55, 0x50,
	/* MsvAvNbComputerName "FILESRV" */
	0x01, 0x00, 0x0e, 0x00, 0x46, 0x00, 0x49, 0x00, 0x4c, 0x00, 0x45, 0x00,
	0x53, 0x00, 0x52, 0x00, 0x56, 0x00,
	/* MsvAvEOL */
	0x00, 0x00, 0x00, 0x00,
};
/* clang-format on */

/* NT4: the 32-byte header, the OEM target name right after it, a stray VERSION flag. */
/* clang-format off */
static const unsigned char nt4_challenge[] = {
	/* NTLMSSP signature, MessageType 2 */
	0x4e, 0x54, 0x4c, 0x4d, 0x53, 0x53, 0x50, 0x00, 0x02, 0x00, 0x00, 0x00,
	/* TargetNameFields: 6 bytes at 32 */
	0x06, 0x00, 0x06, 0x00, 0x20, 0x00, 0x00, 0x00,
	/* NegotiateFlags 0x02010206: OEM, REQUEST_TARGET, NTLM, DOMAIN, VERSION */
	0x06, 0x02, 0x01, 0x02,
	/* ServerChallenge */
	0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08,
	/* TargetName "DOMAIN" */
	0x44, 0x4f, 0x4d, 0x41, 0x49, 0x4e,
};
/* clang-format on */

/* ---- building messages for the hostile and boundary cases ---- */

#define MSG_HEADER 56

struct msg {
	unsigned char b[MSG_HEADER + 70000];
	size_t len;
};

static void put16(unsigned char *p, unsigned v)
{
	p[0] = (unsigned char)(v & 0xff);
	p[1] = (unsigned char)(v >> 8 & 0xff);
}

static void put32(unsigned char *p, uint32_t v)
{
	put16(p, v & 0xffff);
	put16(p + 2, v >> 16);
}

/* A 56-byte header with Unicode and TargetInfo flags and Version 10.0.20348; empty fields. */
static struct msg *msg_new(void)
{
	struct msg *m = calloc(1, sizeof(*m));
	cr_assert_not_null(m);
	memcpy(m->b, "NTLMSSP", 8);
	put32(m->b + 8, 2);
	put32(m->b + 20, NTLM_FLAG_UNICODE | NTLM_FLAG_TARGET_INFO | NTLM_FLAG_VERSION);
	put32(m->b + 16, MSG_HEADER);
	put32(m->b + 44, MSG_HEADER);
	m->b[48] = 10;
	put16(m->b + 50, 20348);
	m->b[55] = 0x0f;
	m->len = MSG_HEADER;
	return m;
}

/* Appends len bytes of UTF-16LE units as the TargetName. */
static void msg_target_name(struct msg *m, const uint16_t *units, size_t n)
{
	put16(m->b + 12, (unsigned)(2 * n));
	put16(m->b + 14, (unsigned)(2 * n));
	put32(m->b + 16, (uint32_t)m->len);
	for (size_t i = 0; i < n; i++, m->len += 2)
		put16(m->b + m->len, units[i]);
}

/* Starts the TargetInfo field here; call msg_end_info() after the pairs. */
static void msg_begin_info(struct msg *m)
{
	put32(m->b + 44, (uint32_t)m->len);
}

static void msg_av(struct msg *m, unsigned id, const uint16_t *units, size_t n)
{
	put16(m->b + m->len, id);
	put16(m->b + m->len + 2, (unsigned)(2 * n));
	m->len += 4;
	for (size_t i = 0; i < n; i++, m->len += 2)
		put16(m->b + m->len, units[i]);
}

static void msg_end_info(struct msg *m)
{
	size_t start = m->b[44] | (size_t)m->b[45] << 8;
	cr_assert_leq(m->len - start, 0xffff);
	put16(m->b + 40, (unsigned)(m->len - start));
	put16(m->b + 42, (unsigned)(m->len - start));
}

static void units_of(uint16_t *out, const char *ascii)
{
	for (; *ascii; ascii++)
		*out++ = (uint16_t)(unsigned char)*ascii;
}

/* Every field zero: what a failed parse must leave behind. */
static void assert_zeroed(const struct ntlm_challenge *ch)
{
	static const struct ntlm_challenge zero;
	cr_assert(memcmp(ch, &zero, sizeof(zero)) == 0, "a failed parse left data behind");
}

/* ---- NEGOTIATE ---- */

Test(ntlm, negotiate_message_layout, .timeout = 10)
{
	/* clang-format off */
		static const unsigned char expect[NTLM_NEGOTIATE_LEN] = {
		/* NTLMSSP signature, MessageType 1 */
		0x4e, 0x54, 0x4c, 0x4d, 0x53, 0x53, 0x50, 0x00, 0x01, 0x00, 0x00, 0x00,
		/* NegotiateFlags 0xa2088207 */
		0x07, 0x82, 0x08, 0xa2,
		/* DomainNameFields, WorkstationFields: empty, at 40 */
		0x00, 0x00, 0x00, 0x00, 0x28, 0x00, 0x00, 0x00,
		0x00, 0x00, 0x00, 0x00, 0x28, 0x00, 0x00, 0x00,
		/* Version 0.0.0, NTLM revision 15 */
		0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x0f,
	};
	/* clang-format on */
	unsigned char buf[64];
	size_t len = 0;
	cr_assert_eq(ntlm_negotiate_message(buf, sizeof(buf), &len), 0);
	cr_assert_eq(len, NTLM_NEGOTIATE_LEN);
	cr_assert(memcmp(buf, expect, sizeof(expect)) == 0);
	cr_assert_eq(NTLM_NEGOTIATE_FLAGS, 0xa2088207u);
	char *b64 = codec_base64_encode(buf, len);
	cr_assert_str_eq(b64, "TlRMTVNTUAABAAAAB4IIogAAAAAoAAAAAAAAACgAAAAAAAAAAAAADw==");
	free(b64);
}

Test(ntlm, negotiate_needs_room, .timeout = 10)
{
	unsigned char buf[NTLM_NEGOTIATE_LEN - 1];
	size_t len = 7;
	cr_assert_eq(ntlm_negotiate_message(buf, sizeof(buf), &len), SA_ERROR_RANGE);
	cr_assert_eq(len, 7);
}

/* ---- real-world CHALLENGE messages ---- */

Test(ntlm, decodes_ms_nlmp_example, .timeout = 10)
{
	struct ntlm_challenge ch;
	cr_assert_eq(ntlm_parse_challenge(spec_challenge, sizeof(spec_challenge), &ch), 0);
	cr_assert_eq(ch.flags, 0xe28a8233u);
	cr_assert_str_eq(ch.target_name, "Server");
	cr_assert_str_eq(ch.nb_domain, "Domain");
	cr_assert_str_eq(ch.nb_computer, "Server");
	cr_assert_str_eq(ch.dns_domain, "");
	cr_assert_str_eq(ch.dns_computer, "");
	cr_assert_str_eq(ch.dns_tree, "");
	cr_assert(ch.has_version);
	cr_assert_eq(ch.major, 6);
	cr_assert_eq(ch.minor, 0);
	cr_assert_eq(ch.build, 6000);
	cr_assert(!ch.has_timestamp);
}

Test(ntlm, decodes_exchange_2019, .timeout = 10)
{
	struct ntlm_challenge ch;
	cr_assert_eq(ntlm_parse_challenge(exchange_challenge, sizeof(exchange_challenge), &ch), 0);
	cr_assert_eq(ch.flags, 0xa2898205u);
	cr_assert_str_eq(ch.target_name, "CONTOSO");
	cr_assert_str_eq(ch.nb_domain, "CONTOSO");
	cr_assert_str_eq(ch.nb_computer, "EXCH01");
	cr_assert_str_eq(ch.dns_domain, "contoso.local");
	cr_assert_str_eq(ch.dns_computer, "EXCH01.contoso.local");
	cr_assert_str_eq(ch.dns_tree, "contoso.local");
	cr_assert(ch.has_version);
	cr_assert_eq(ch.major, 10);
	cr_assert_eq(ch.minor, 0);
	cr_assert_eq(ch.build, 17763);
	cr_assert(ch.has_timestamp);
	cr_assert_eq(ch.timestamp, 0x01da3cb5a1b2c3d4ull);
}

Test(ntlm, decodes_oem_names_and_unflagged_target_info, .timeout = 10)
{
	struct ntlm_challenge ch;
	cr_assert_eq(ntlm_parse_challenge(oem_challenge, sizeof(oem_challenge), &ch), 0);
	cr_assert_str_eq(ch.target_name, "WORKGROUP");
	cr_assert_str_eq(ch.nb_computer, "FILESRV");
	cr_assert(!ch.has_version);
	/* With the VERSION flag the bytes at 48 are still the target name, not a Version. */
	unsigned char flagged[sizeof(oem_challenge)];
	memcpy(flagged, oem_challenge, sizeof(flagged));
	flagged[23] |= NTLM_FLAG_VERSION >> 24;
	cr_assert_eq(ntlm_parse_challenge(flagged, sizeof(flagged), &ch), 0);
	cr_assert(!ch.has_version);
	cr_assert_str_eq(ch.target_name, "WORKGROUP");
}

Test(ntlm, decodes_nt4_header_without_optional_fields, .timeout = 10)
{
	struct ntlm_challenge ch;
	cr_assert_eq(ntlm_parse_challenge(nt4_challenge, sizeof(nt4_challenge), &ch), 0);
	cr_assert_str_eq(ch.target_name, "DOMAIN");
	/* The VERSION flag is set, but the payload starts where Version would be. */
	cr_assert(!ch.has_version);
	cr_assert_str_eq(ch.nb_domain, "");
}

Test(ntlm, every_prefix_is_refused, .timeout = 10)
{
	const struct {
		const unsigned char *msg;
		size_t len;
	} whole[] = {
	    {spec_challenge, sizeof(spec_challenge)},
	    {exchange_challenge, sizeof(exchange_challenge)},
	    {oem_challenge, sizeof(oem_challenge)},
	    {nt4_challenge, sizeof(nt4_challenge)},
	};
	for (size_t w = 0; w < sizeof(whole) / sizeof(whole[0]); w++) {
		for (size_t n = 0; n < whole[w].len; n++) {
			/* A copy of exactly n bytes, so ASan sees any read past the end. */
			unsigned char *copy = malloc(n + 1);
			cr_assert_not_null(copy);
			memcpy(copy, whole[w].msg, n);
			struct ntlm_challenge ch;
			cr_assert_eq(ntlm_parse_challenge(copy, n, &ch), SA_ERROR_PARSE,
			             "message %zu: prefix of %zu bytes accepted", w, n);
			assert_zeroed(&ch);
			free(copy);
		}
	}
}

/* ---- hostile CHALLENGE messages ---- */

enum base_msg {
	BASE_SPEC,
	BASE_EXCHANGE,
};

/* A base message with a few bytes overwritten and maybe truncated; all must be refused. */
struct hostile {
	char name[48];
	enum base_msg base;
	size_t at;
	unsigned char patch[4];
	size_t patch_len;
	size_t truncate; /* 0: keep the whole message */
};

static const struct hostile hostile_cases[] = {
    {"bad_signature", BASE_EXCHANGE, 4, {'X'}, 1, 0},
    {"negotiate_type", BASE_EXCHANGE, 8, {1}, 1, 0},
    {"authenticate_type", BASE_EXCHANGE, 8, {3}, 1, 0},
    {"type_high_bytes", BASE_EXCHANGE, 11, {1}, 1, 0},
    {"header_cut_at_31", BASE_EXCHANGE, 0, {0}, 0, 31},
    {"name_offset_at_end", BASE_EXCHANGE, 16, {0xe0, 0, 0, 0}, 4, 0},
    {"name_offset_wraps", BASE_EXCHANGE, 16, {0xfe, 0xff, 0xff, 0xff}, 4, 0},
    {"name_overlaps_header", BASE_EXCHANGE, 16, {8, 0, 0, 0}, 4, 0},
    {"name_length_past_end", BASE_EXCHANGE, 12, {0xff, 0xff}, 2, 0},
    {"name_odd_utf16_length", BASE_EXCHANGE, 12, {13, 0}, 2, 0},
    {"info_offset_past_end", BASE_EXCHANGE, 44, {0xff, 0xff, 0xff, 0xff}, 4, 0},
    {"info_overlaps_header", BASE_EXCHANGE, 44, {40, 0, 0, 0}, 4, 0},
    {"info_length_past_end", BASE_EXCHANGE, 40, {155, 0}, 2, 0},
    {"av_odd_utf16_length", BASE_EXCHANGE, 90, {11, 0}, 2, 0},
    {"av_length_past_field", BASE_EXCHANGE, 72, {0xff, 0xff}, 2, 0},
    {"av_missing_eol", BASE_EXCHANGE, 40, {150, 0}, 2, 0},
    {"av_header_cut_in_eol", BASE_EXCHANGE, 40, {152, 0}, 2, 0},
    {"timestamp_4_bytes", BASE_EXCHANGE, 210, {4, 0}, 2, 0},
    {"eol_replaced_by_unknown_id", BASE_EXCHANGE, 220, {0x0b}, 1, 0},
    {"message_cut_in_eol", BASE_EXCHANGE, 0, {0}, 0, 223},
    {"spec_cut_in_name", BASE_SPEC, 0, {0}, 0, 60},
    {"spec_info_offset_in_name", BASE_SPEC, 44, {0x3a, 0, 0, 0}, 4, 0},
};

ParameterizedTestParameters(ntlm, refuses_hostile)
{
	return cr_make_param_array(struct hostile, (void *)hostile_cases,
	                           sizeof(hostile_cases) / sizeof(hostile_cases[0]));
}

ParameterizedTest(const struct hostile *c, ntlm, refuses_hostile, .timeout = 10)
{
	const unsigned char *base = c->base == BASE_SPEC ? spec_challenge : exchange_challenge;
	size_t len = c->base == BASE_SPEC ? sizeof(spec_challenge) : sizeof(exchange_challenge);
	if (c->truncate != 0)
		len = c->truncate;
	unsigned char *copy = malloc(len);
	cr_assert_not_null(copy);
	memcpy(copy, base, len);
	cr_assert_leq(c->at + c->patch_len, len, "%s: patch outside the message", c->name);
	memcpy(copy + c->at, c->patch, c->patch_len);
	struct ntlm_challenge ch;
	memset(&ch, 0x5a, sizeof(ch));
	cr_assert_eq(ntlm_parse_challenge(copy, len, &ch), SA_ERROR_PARSE, "%s accepted", c->name);
	assert_zeroed(&ch);
	free(copy);
}

/* ---- names and AV pair lists at the limits ---- */

Test(ntlm, long_names_are_cut_at_a_character_boundary, .timeout = 10)
{
	uint16_t e_acute[200], emoji[128];
	for (size_t i = 0; i < 200; i++)
		e_acute[i] = 0x00e9;
	for (size_t i = 0; i < 128; i += 2) {
		emoji[i] = 0xd83d; /* U+1F600 */
		emoji[i + 1] = 0xde00;
	}
	struct msg *m = msg_new();
	msg_target_name(m, e_acute, 200);
	msg_begin_info(m);
	msg_av(m, 3, emoji, 128);
	msg_av(m, 0, NULL, 0);
	msg_end_info(m);
	struct ntlm_challenge ch;
	cr_assert_eq(ntlm_parse_challenge(m->b, m->len, &ch), 0);
	/* 200 two-byte characters: 127 fit in 255 bytes, half of the 128th does not. */
	cr_assert_eq(strlen(ch.target_name), 254);
	cr_assert_eq((unsigned char)ch.target_name[252], 0xc3);
	cr_assert_eq((unsigned char)ch.target_name[253], 0xa9);
	/* 64 four-byte characters: 63 fit. */
	cr_assert_eq(strlen(ch.dns_computer), 252);
	cr_assert(memcmp(ch.dns_computer + 248, "\xf0\x9f\x98\x80", 4) == 0);
	cr_assert(ch.has_version);
	cr_assert_eq(ch.build, 20348);
	free(m);
}

Test(ntlm, unpaired_surrogates_and_nul_become_replacement_characters, .timeout = 10)
{
	static const uint16_t name[] = {'A', 0xd800, 'B', 0xdc00, 0x0000, 0xd83d, 0xde00, 0xd83d};
	struct msg *m = msg_new();
	msg_target_name(m, name, sizeof(name) / sizeof(name[0]));
	struct ntlm_challenge ch;
	cr_assert_eq(ntlm_parse_challenge(m->b, m->len, &ch), 0);
	cr_assert_str_eq(ch.target_name, "A\xef\xbf\xbd"
	                                 "B\xef\xbf\xbd\xef\xbf\xbd\xf0\x9f\x98\x80\xef\xbf\xbd");
	free(m);
}

Test(ntlm, first_of_repeated_pairs_wins_and_unknown_ids_are_skipped, .timeout = 10)
{
	uint16_t first[5], second[6], tree[4];
	units_of(first, "FIRST");
	units_of(second, "SECOND");
	units_of(tree, "TREE");
	struct msg *m = msg_new();
	msg_begin_info(m);
	msg_av(m, 2, first, 5);
	msg_av(m, 0x1234, second, 6);
	msg_av(m, 6, second, 2); /* MsvAvFlags */
	msg_av(m, 9, second, 6); /* MsvAvTargetName */
	msg_av(m, 2, second, 6);
	msg_av(m, 5, tree, 4);
	msg_av(m, 0, NULL, 0);
	msg_av(m, 1, second, 6); /* after MsvAvEOL: ignored */
	msg_end_info(m);
	struct ntlm_challenge ch;
	cr_assert_eq(ntlm_parse_challenge(m->b, m->len, &ch), 0);
	cr_assert_str_eq(ch.nb_domain, "FIRST");
	cr_assert_str_eq(ch.dns_tree, "TREE");
	cr_assert_str_eq(ch.nb_computer, "");
	cr_assert_str_eq(ch.target_name, "");
	free(m);
}

/* 16382 empty pairs of an unknown id fill a TargetInfo field of the maximum length. */
static struct msg *msg_huge_list(bool with_eol)
{
	struct msg *m = msg_new();
	msg_begin_info(m);
	for (size_t i = 0; i < 16382; i++)
		msg_av(m, 0x00ff, NULL, 0);
	if (with_eol)
		msg_av(m, 0, NULL, 0);
	else
		msg_av(m, 0x00ff, NULL, 0);
	msg_end_info(m);
	return m;
}

Test(ntlm, huge_pair_count_is_bounded_by_the_field, .timeout = 10)
{
	struct ntlm_challenge ch;
	struct msg *m = msg_huge_list(true);
	cr_assert_eq(ntlm_parse_challenge(m->b, m->len, &ch), 0);
	cr_assert_str_eq(ch.nb_domain, "");
	free(m);
	m = msg_huge_list(false);
	cr_assert_eq(ntlm_parse_challenge(m->b, m->len, &ch), SA_ERROR_PARSE);
	free(m);
}

Test(ntlm, huge_declared_lengths_past_a_short_message, .timeout = 10)
{
	struct msg *m = msg_new();
	msg_begin_info(m);
	msg_av(m, 0, NULL, 0);
	msg_end_info(m);
	put16(m->b + 40, 0xffff); /* TargetInfoLen far beyond the 60-byte message */
	struct ntlm_challenge ch;
	cr_assert_eq(ntlm_parse_challenge(m->b, m->len, &ch), SA_ERROR_PARSE);
	put16(m->b + 40, 4);
	put16(m->b + m->len - 2, 0xffff); /* MsvAvEOL claiming 65535 bytes of value */
	cr_assert_eq(ntlm_parse_challenge(m->b, m->len, &ch), SA_ERROR_PARSE);
	put16(m->b + m->len - 2, 0);
	cr_assert_eq(ntlm_parse_challenge(m->b, m->len, &ch), 0);
	free(m);
}
