/*
 * NAME
 *	ntlm - build an NTLM NEGOTIATE message, decode a server's CHALLENGE
 *
 * DESCRIPTION
 *	See ntlm.h. The CHALLENGE layout (MS-NLMP 2.2.1.2) is a fixed header
 *	of 32 bytes (signature, type, TargetNameFields, NegotiateFlags,
 *	ServerChallenge), optionally followed by Reserved and TargetInfoFields
 *	(up to 48) and Version (up to 56), then the payload. Servers from NT4
 *	on have sent every one of these lengths, so where the fixed header
 *	ends is taken from where the payload starts rather than from the
 *	flags; the TargetInfo field is read even when a server forgot
 *	NTLMSSP_NEGOTIATE_TARGET_INFO, since it is bounded like any other.
 *
 * DIAGNOSTICS
 *	As in ntlm.h.
 */
#include "ntlm.h"

#include <string.h>

#include "sa_error.h"

#define NTLM_SIGNATURE      "NTLMSSP" /* with its NUL: 8 bytes */
#define NTLM_SIGNATURE_LEN  8
#define NTLM_TYPE_NEGOTIATE 1
#define NTLM_TYPE_CHALLENGE 2
#define NTLM_REVISION_W2K3  0x0f

#define NTLM_OFF_TYPE         8
#define NTLM_OFF_NEG_FLAGS    12
#define NTLM_OFF_NEG_DOMAIN   16
#define NTLM_OFF_NEG_WORKSTN  24
#define NTLM_OFF_NEG_VERSION  32
#define NTLM_OFF_TARGET_NAME  12
#define NTLM_OFF_FLAGS        20
#define NTLM_OFF_TARGET_INFO  40
#define NTLM_OFF_VERSION      48
#define NTLM_HEADER_MIN       32
#define NTLM_HEADER_WITH_INFO 48
#define NTLM_HEADER_WITH_VERS 56

/* AV_PAIR ids, MS-NLMP 2.2.2.1. */
#define NTLM_AV_EOL          0
#define NTLM_AV_NB_COMPUTER  1
#define NTLM_AV_NB_DOMAIN    2
#define NTLM_AV_DNS_COMPUTER 3
#define NTLM_AV_DNS_DOMAIN   4
#define NTLM_AV_DNS_TREE     5
#define NTLM_AV_TIMESTAMP    7
#define NTLM_AV_HEADER_LEN   4
#define NTLM_TIMESTAMP_LEN   8

#define NTLM_REPLACEMENT_CHAR 0xfffdu

_Static_assert(sizeof(NTLM_SIGNATURE) == NTLM_SIGNATURE_LEN, "signature includes its NUL");
_Static_assert(NTLM_OFF_NEG_VERSION + 8 == NTLM_NEGOTIATE_LEN, "negotiate ends after Version");

/* A payload field descriptor: Len, MaxLen (ignored), BufferOffset. */
struct ntlm_field {
	uint16_t len;
	uint32_t offset;
};

static void ntlm_put_le16(unsigned char *p, uint16_t v)
{
	p[0] = (unsigned char)(v & 0xff);
	p[1] = (unsigned char)(v >> 8);
}

static void ntlm_put_le32(unsigned char *p, uint32_t v)
{
	ntlm_put_le16(p, (uint16_t)(v & 0xffff));
	ntlm_put_le16(p + 2, (uint16_t)(v >> 16));
}

static uint16_t ntlm_le16(const unsigned char *p)
{
	return (uint16_t)(p[0] | (unsigned)p[1] << 8);
}

static uint32_t ntlm_le32(const unsigned char *p)
{
	return ntlm_le16(p) | (uint32_t)ntlm_le16(p + 2) << 16;
}

static uint64_t ntlm_le64(const unsigned char *p)
{
	return ntlm_le32(p) | (uint64_t)ntlm_le32(p + 4) << 32;
}

/* An empty field pointing where its data would start. */
static void ntlm_put_empty_field(unsigned char *p, uint32_t offset)
{
	ntlm_put_le16(p, 0);
	ntlm_put_le16(p + 2, 0);
	ntlm_put_le32(p + 4, offset);
}

int ntlm_negotiate_message(unsigned char *buf, size_t buflen, size_t *len)
{
	if (buflen < NTLM_NEGOTIATE_LEN)
		return SA_ERROR_RANGE;
	memset(buf, 0, NTLM_NEGOTIATE_LEN);
	memcpy(buf, NTLM_SIGNATURE, NTLM_SIGNATURE_LEN);
	ntlm_put_le32(buf + NTLM_OFF_TYPE, NTLM_TYPE_NEGOTIATE);
	ntlm_put_le32(buf + NTLM_OFF_NEG_FLAGS, NTLM_NEGOTIATE_FLAGS);
	ntlm_put_empty_field(buf + NTLM_OFF_NEG_DOMAIN, NTLM_NEGOTIATE_LEN);
	ntlm_put_empty_field(buf + NTLM_OFF_NEG_WORKSTN, NTLM_NEGOTIATE_LEN);
	buf[NTLM_OFF_NEG_VERSION + 7] = NTLM_REVISION_W2K3;
	*len = NTLM_NEGOTIATE_LEN;
	return 0;
}

/* ---- names ---- */

/* Appends n bytes unless they would overflow the name; false once it is full. */
static bool ntlm_put_bytes(char *name, size_t *used, const unsigned char *bytes, size_t n)
{
	if (*used + n > NTLM_NAME_MAX - 1)
		return false;
	memcpy(name + *used, bytes, n);
	*used += n;
	name[*used] = '\0';
	return true;
}

static bool ntlm_put_utf8(char *name, size_t *used, uint32_t cp)
{
	unsigned char enc[4];
	size_t n;
	if (cp < 0x80) {
		enc[0] = (unsigned char)cp;
		n = 1;
	} else if (cp < 0x800) {
		enc[0] = (unsigned char)(0xc0 | cp >> 6);
		enc[1] = (unsigned char)(0x80 | (cp & 0x3f));
		n = 2;
	} else if (cp < 0x10000) {
		enc[0] = (unsigned char)(0xe0 | cp >> 12);
		enc[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
		enc[2] = (unsigned char)(0x80 | (cp & 0x3f));
		n = 3;
	} else {
		enc[0] = (unsigned char)(0xf0 | cp >> 18);
		enc[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3f));
		enc[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
		enc[3] = (unsigned char)(0x80 | (cp & 0x3f));
		n = 4;
	}
	return ntlm_put_bytes(name, used, enc, n);
}

static bool ntlm_is_high_surrogate(uint16_t u)
{
	return u >= 0xd800 && u <= 0xdbff;
}

static bool ntlm_is_low_surrogate(uint16_t u)
{
	return u >= 0xdc00 && u <= 0xdfff;
}

static int ntlm_copy_utf16(const unsigned char *p, size_t len, char name[NTLM_NAME_MAX])
{
	if (len % 2 != 0)
		return SA_ERROR_PARSE;
	size_t used = 0, units = len / 2;
	name[0] = '\0';
	for (size_t i = 0; i < units; i++) {
		uint16_t u = ntlm_le16(p + 2 * i);
		uint32_t cp = u;
		if (ntlm_is_high_surrogate(u) && i + 1 < units &&
		    ntlm_is_low_surrogate(ntlm_le16(p + 2 * (i + 1)))) {
			cp = 0x10000 + ((uint32_t)(u - 0xd800) << 10) +
			     (uint32_t)(ntlm_le16(p + 2 * (i + 1)) - 0xdc00);
			i++;
		} else if (u == 0 || ntlm_is_high_surrogate(u) || ntlm_is_low_surrogate(u)) {
			cp = NTLM_REPLACEMENT_CHAR;
		}
		if (!ntlm_put_utf8(name, &used, cp))
			break;
	}
	return 0;
}

static void ntlm_copy_oem(const unsigned char *p, size_t len, char name[NTLM_NAME_MAX])
{
	size_t used = 0;
	name[0] = '\0';
	for (size_t i = 0; i < len; i++) {
		bool fits = p[i] == 0 ? ntlm_put_utf8(name, &used, NTLM_REPLACEMENT_CHAR)
		                      : ntlm_put_bytes(name, &used, p + i, 1);
		if (!fits)
			break;
	}
}

/* ---- fields ---- */

static struct ntlm_field ntlm_read_field(const unsigned char *p)
{
	return (struct ntlm_field){.len = ntlm_le16(p), .offset = ntlm_le32(p + 4)};
}

/* A non-empty field must lie inside the message and after the header it belongs to. */
static bool ntlm_field_ok(const struct ntlm_field *f, size_t msglen, size_t header_len)
{
	if (f->len == 0)
		return true;
	return f->offset >= header_len && f->offset <= msglen && f->len <= msglen - f->offset;
}

/* The field's bytes; an empty field may point anywhere, so it is not followed. */
static const unsigned char *ntlm_field_data(const unsigned char *msg, const struct ntlm_field *f)
{
	return f->len > 0 ? msg + f->offset : msg;
}

/* Where the payload starts: the lowest offset of a non-empty field, else the message end. */
static size_t ntlm_payload_start(size_t start, const struct ntlm_field *f)
{
	return f->len > 0 && f->offset < start ? f->offset : start;
}

/* ---- target info ---- */

static char *ntlm_av_name(struct ntlm_challenge *out, uint16_t id)
{
	switch (id) {
	case NTLM_AV_NB_COMPUTER:
		return out->nb_computer;
	case NTLM_AV_NB_DOMAIN:
		return out->nb_domain;
	case NTLM_AV_DNS_COMPUTER:
		return out->dns_computer;
	case NTLM_AV_DNS_DOMAIN:
		return out->dns_domain;
	case NTLM_AV_DNS_TREE:
		return out->dns_tree;
	default:
		return NULL;
	}
}

static int ntlm_take_av(struct ntlm_challenge *out, uint16_t id, const unsigned char *value,
                        uint16_t len)
{
	char *name = ntlm_av_name(out, id);
	if (name != NULL)
		return ntlm_copy_utf16(value, len, name);
	if (id == NTLM_AV_TIMESTAMP) {
		if (len != NTLM_TIMESTAMP_LEN)
			return SA_ERROR_PARSE;
		out->timestamp = ntlm_le64(value);
		out->has_timestamp = true;
	}
	return 0;
}

static int ntlm_parse_target_info(const unsigned char *info, size_t len, struct ntlm_challenge *out)
{
	uint32_t seen = 0;
	size_t pos = 0;
	while (len - pos >= NTLM_AV_HEADER_LEN) {
		uint16_t id = ntlm_le16(info + pos);
		uint16_t avlen = ntlm_le16(info + pos + 2);
		pos += NTLM_AV_HEADER_LEN;
		if (avlen > len - pos)
			return SA_ERROR_PARSE;
		if (id == NTLM_AV_EOL)
			return 0;
		/* Ids above 31 are all unknown, so only known ids need the seen bit. */
		bool repeated = id < 32 && (seen >> id & 1u);
		if (id < 32)
			seen |= 1u << id;
		if (!repeated) {
			int rc = ntlm_take_av(out, id, info + pos, avlen);
			if (rc < 0)
				return rc;
		}
		pos += avlen;
	}
	return SA_ERROR_PARSE;
}

/* ---- the message ---- */

static int ntlm_parse_fields(const unsigned char *msg, size_t len, struct ntlm_challenge *out)
{
	if (len < NTLM_HEADER_MIN || memcmp(msg, NTLM_SIGNATURE, NTLM_SIGNATURE_LEN) != 0 ||
	    ntlm_le32(msg + NTLM_OFF_TYPE) != NTLM_TYPE_CHALLENGE)
		return SA_ERROR_PARSE;
	struct ntlm_field name = ntlm_read_field(msg + NTLM_OFF_TARGET_NAME);
	out->flags = ntlm_le32(msg + NTLM_OFF_FLAGS);
	if (!ntlm_field_ok(&name, len, NTLM_HEADER_MIN))
		return SA_ERROR_PARSE;
	size_t payload = ntlm_payload_start(len, &name);
	struct ntlm_field info = {0};
	if (payload >= NTLM_HEADER_WITH_INFO) {
		info = ntlm_read_field(msg + NTLM_OFF_TARGET_INFO);
		if (!ntlm_field_ok(&info, len, NTLM_HEADER_WITH_INFO))
			return SA_ERROR_PARSE;
		payload = ntlm_payload_start(payload, &info);
	}
	if ((out->flags & NTLM_FLAG_VERSION) && payload >= NTLM_HEADER_WITH_VERS) {
		out->has_version = true;
		out->major = msg[NTLM_OFF_VERSION];
		out->minor = msg[NTLM_OFF_VERSION + 1];
		out->build = ntlm_le16(msg + NTLM_OFF_VERSION + 2);
	}
	if (out->flags & NTLM_FLAG_UNICODE) {
		int rc = ntlm_copy_utf16(ntlm_field_data(msg, &name), name.len, out->target_name);
		if (rc < 0)
			return rc;
	} else {
		ntlm_copy_oem(ntlm_field_data(msg, &name), name.len, out->target_name);
	}
	return info.len > 0 ? ntlm_parse_target_info(ntlm_field_data(msg, &info), info.len, out)
	                    : 0;
}

int ntlm_parse_challenge(const unsigned char *msg, size_t len, struct ntlm_challenge *out)
{
	/* memset, not a compound literal: a failed parse leaves not even padding behind. */
	memset(out, 0, sizeof(*out));
	int rc = ntlm_parse_fields(msg, len, out);
	if (rc < 0)
		memset(out, 0, sizeof(*out));
	return rc;
}
