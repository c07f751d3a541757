/*
 * NAME
 *	lab_ntlm - NTLMSSP CHALLENGE message (MS-NLMP 2.2.1.2)
 *
 * DESCRIPTION
 *	Layout: a 56-byte header (signature, type 2, TargetNameFields,
 *	NegotiateFlags, ServerChallenge, Reserved, TargetInfoFields, Version)
 *	followed by the payload: the target name, then the AV pairs. Every
 *	name is UTF-16LE and every integer little-endian.
 */
#include "lab_ntlm.h"

#include <assert.h>
#include <stdint.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "codec.h"

#define LAB_NTLM_HEADER_LEN 56
#define LAB_NTLM_MAX_LEN    512

/* NegotiateFlags (MS-NLMP 2.2.2.5). */
#define LAB_NTLM_NEGOTIATE_UNICODE                  0x00000001u
#define LAB_NTLM_REQUEST_TARGET                     0x00000004u
#define LAB_NTLM_NEGOTIATE_SIGN                     0x00000010u
#define LAB_NTLM_NEGOTIATE_NTLM                     0x00000200u
#define LAB_NTLM_NEGOTIATE_ALWAYS_SIGN              0x00008000u
#define LAB_NTLM_TARGET_TYPE_DOMAIN                 0x00010000u
#define LAB_NTLM_NEGOTIATE_EXTENDED_SESSIONSECURITY 0x00080000u
#define LAB_NTLM_NEGOTIATE_TARGET_INFO              0x00800000u
#define LAB_NTLM_NEGOTIATE_VERSION                  0x02000000u
#define LAB_NTLM_NEGOTIATE_128                      0x20000000u
#define LAB_NTLM_NEGOTIATE_KEY_EXCH                 0x40000000u
#define LAB_NTLM_NEGOTIATE_56                       0x80000000u

/* AvId values (MS-NLMP 2.2.2.1). */
enum lab_ntlm_av {
	LAB_NTLM_AV_EOL = 0,
	LAB_NTLM_AV_NB_COMPUTER = 1,
	LAB_NTLM_AV_NB_DOMAIN = 2,
	LAB_NTLM_AV_DNS_COMPUTER = 3,
	LAB_NTLM_AV_DNS_DOMAIN = 4,
	LAB_NTLM_AV_TIMESTAMP = 7,
};

#define LAB_NTLM_REVISION_W2K3 0x0F
#define LAB_NTLM_BUILD         17763
/* Seconds from 1601-01-01 (FILETIME's epoch) to 1970-01-01. */
#define LAB_NTLM_FILETIME_OFFSET 11644473600ull

struct lab_ntlm_buf {
	unsigned char data[LAB_NTLM_MAX_LEN];
	size_t len;
};

static void lab_ntlm_put(struct lab_ntlm_buf *b, uint64_t value, size_t bytes)
{
	for (size_t i = 0; i < bytes; i++)
		b->data[b->len++] = (unsigned char)(value >> (8 * i));
}

static void lab_ntlm_put_utf16(struct lab_ntlm_buf *b, const char *ascii)
{
	for (; *ascii != '\0'; ascii++)
		lab_ntlm_put(b, (unsigned char)*ascii, 2);
}

static void lab_ntlm_put_av_name(struct lab_ntlm_buf *b, enum lab_ntlm_av id, const char *name)
{
	lab_ntlm_put(b, id, 2);
	lab_ntlm_put(b, 2 * strlen(name), 2);
	lab_ntlm_put_utf16(b, name);
}

static uint64_t lab_ntlm_filetime_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return ((uint64_t)ts.tv_sec + LAB_NTLM_FILETIME_OFFSET) * 10000000u +
	       (uint64_t)ts.tv_nsec / 100;
}

/* Len, MaxLen and BufferOffset of a payload field. */
static void lab_ntlm_put_fields(struct lab_ntlm_buf *b, size_t len, size_t offset)
{
	lab_ntlm_put(b, len, 2);
	lab_ntlm_put(b, len, 2);
	lab_ntlm_put(b, offset, 4);
}

static void lab_ntlm_put_target_info(struct lab_ntlm_buf *b)
{
	lab_ntlm_put_av_name(b, LAB_NTLM_AV_NB_DOMAIN, LAB_NTLM_NB_DOMAIN);
	lab_ntlm_put_av_name(b, LAB_NTLM_AV_NB_COMPUTER, LAB_NTLM_NB_COMPUTER);
	lab_ntlm_put_av_name(b, LAB_NTLM_AV_DNS_DOMAIN, LAB_NTLM_DNS_DOMAIN);
	lab_ntlm_put_av_name(b, LAB_NTLM_AV_DNS_COMPUTER, LAB_NTLM_DNS_COMPUTER);
	lab_ntlm_put(b, LAB_NTLM_AV_TIMESTAMP, 2);
	lab_ntlm_put(b, 8, 2);
	lab_ntlm_put(b, lab_ntlm_filetime_now(), 8);
	lab_ntlm_put(b, LAB_NTLM_AV_EOL, 2);
	lab_ntlm_put(b, 0, 2);
}

char *lab_ntlm_challenge_base64(void)
{
	static const uint32_t flags =
	    LAB_NTLM_NEGOTIATE_UNICODE | LAB_NTLM_REQUEST_TARGET | LAB_NTLM_NEGOTIATE_SIGN |
	    LAB_NTLM_NEGOTIATE_NTLM | LAB_NTLM_NEGOTIATE_ALWAYS_SIGN | LAB_NTLM_TARGET_TYPE_DOMAIN |
	    LAB_NTLM_NEGOTIATE_EXTENDED_SESSIONSECURITY | LAB_NTLM_NEGOTIATE_TARGET_INFO |
	    LAB_NTLM_NEGOTIATE_VERSION | LAB_NTLM_NEGOTIATE_128 | LAB_NTLM_NEGOTIATE_KEY_EXCH |
	    LAB_NTLM_NEGOTIATE_56;
	struct lab_ntlm_buf payload = {.len = 0};
	struct lab_ntlm_buf msg = {.len = 0};
	unsigned char challenge[8] = {0};

	lab_ntlm_put_utf16(&payload, LAB_NTLM_NB_DOMAIN);
	size_t name_len = payload.len;
	lab_ntlm_put_target_info(&payload);
	size_t info_len = payload.len - name_len;
	/* A short read leaves zeros: the challenge only has to look real. */
	(void)getrandom(challenge, sizeof(challenge), 0);

	memcpy(msg.data, "NTLMSSP", 8);
	msg.len = 8;
	lab_ntlm_put(&msg, 2, 4);
	lab_ntlm_put_fields(&msg, name_len, LAB_NTLM_HEADER_LEN);
	lab_ntlm_put(&msg, flags, 4);
	memcpy(msg.data + msg.len, challenge, sizeof(challenge));
	msg.len += sizeof(challenge);
	lab_ntlm_put(&msg, 0, 8);
	lab_ntlm_put_fields(&msg, info_len, LAB_NTLM_HEADER_LEN + name_len);
	lab_ntlm_put(&msg, 10, 1);
	lab_ntlm_put(&msg, 0, 1);
	lab_ntlm_put(&msg, LAB_NTLM_BUILD, 2);
	lab_ntlm_put(&msg, 0, 3);
	lab_ntlm_put(&msg, LAB_NTLM_REVISION_W2K3, 1);
	assert(msg.len == LAB_NTLM_HEADER_LEN);
	memcpy(msg.data + msg.len, payload.data, payload.len);
	msg.len += payload.len;
	return codec_base64_encode(msg.data, msg.len);
}
