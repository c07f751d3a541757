/*
 * NAME
 *	tls_hello - build a TLS ClientHello, classify the server's first record
 *
 * DESCRIPTION
 *	Wire formats from RFC 5246 (sections 6.2.1, 7.4.1.2, 7.4.1.3, 7.2),
 *	RFC 8446 (4.1.2, 4.1.3, 4.2.1, 4.2.8, B.1), RFC 6066 section 3, RFC
 *	8422 section 5.1 and RFC 6101 (SSL 3.0; SSL 2.0 message layout from
 *	its draft). See tls_hello.h for what is offered and how answers are
 *	classified.
 *
 *	The builder writes through a bounded writer that only records an
 *	overflow, and lengths of nested vectors are patched when the vector
 *	is closed, so no length is computed twice. The parser reads through a
 *	bounded reader whose every access reports whether the bytes were
 *	there.
 */
#include "tls_hello.h"

#include <assert.h>
#include <string.h>

#include "sa_error.h"

enum {
	TLS_HELLO_CONTENT_FIRST = 20, /* change_cipher_spec */
	TLS_HELLO_CONTENT_LAST = 24,  /* heartbeat */
	TLS_HELLO_TYPE_CLIENT_HELLO = 1,
	TLS_HELLO_TYPE_SERVER_HELLO = 2,
	TLS_HELLO_SESSION_ID_MAX = 32,
	TLS_HELLO_NAME_MAX = 253,
	TLS_HELLO_EXT_SERVER_NAME = 0,
	TLS_HELLO_EXT_SUPPORTED_GROUPS = 10,
	TLS_HELLO_EXT_EC_POINT_FORMATS = 11,
	TLS_HELLO_EXT_SIGNATURE_ALGORITHMS = 13,
	TLS_HELLO_EXT_SUPPORTED_VERSIONS = 43,
	TLS_HELLO_EXT_KEY_SHARE = 51,
	TLS_HELLO_GROUP_X25519 = 0x001d,
	TLS_HELLO_SSL2_SERVER_HELLO = 4,
	TLS_HELLO_SSL2_ERROR = 0,
};

/* x25519 first: it is the group of the key share, so a TLS 1.3 server needs no retry. */
static const uint16_t tls_hello_groups[] = {
    TLS_HELLO_GROUP_X25519,
    0x0017, /* secp256r1 */
    0x0018, /* secp384r1 */
    0x0019, /* secp521r1 */
    0x001e, /* x448 */
};

/* Broad on purpose: a server must never refuse a suite because of the signature list. */
static const uint16_t tls_hello_signature_algorithms[] = {
    0x0403, 0x0503, 0x0603, /* ecdsa_secp256r1_sha256, _secp384r1_sha384, _secp521r1_sha512 */
    0x0807, 0x0808,         /* ed25519, ed448 */
    0x0804, 0x0805, 0x0806, /* rsa_pss_rsae_sha256, 384, 512 */
    0x0809, 0x080a, 0x080b, /* rsa_pss_pss_sha256, 384, 512 */
    0x0401, 0x0501, 0x0601, /* rsa_pkcs1_sha256, 384, 512 */
    0x0402,                 /* dsa_sha256 */
    0x0201, 0x0203, 0x0202, /* rsa_pkcs1_sha1, ecdsa_sha1, dsa_sha1 */
};

/* SHA-256 of "HelloRetryRequest" (RFC 8446 section 4.1.3). */
static const unsigned char tls_hello_retry_random[TLS_HELLO_RANDOM_LEN] = {
    0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c, 0x02, 0x1e, 0x65, 0xb8, 0x91,
    0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb, 0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c,
};

/* ---- the builder ---- */

struct tls_hello_writer {
	unsigned char *buf;
	size_t cap, len;
	bool overflow;
};

static void tls_hello_put(struct tls_hello_writer *w, const void *data, size_t n)
{
	if (w->overflow || n > w->cap - w->len) {
		w->overflow = true;
		return;
	}
	memcpy(w->buf + w->len, data, n);
	w->len += n;
}

static void tls_hello_put_int(struct tls_hello_writer *w, uint32_t value, unsigned width)
{
	unsigned char bytes[4];
	for (unsigned i = 0; i < width; i++)
		bytes[i] = (unsigned char)(value >> (8 * (width - 1 - i)));
	tls_hello_put(w, bytes, width);
}

static void tls_hello_put_u8(struct tls_hello_writer *w, unsigned value)
{
	tls_hello_put_int(w, value, 1);
}

static void tls_hello_put_u16(struct tls_hello_writer *w, unsigned value)
{
	tls_hello_put_int(w, value, 2);
}

/* Starts a vector with a width-byte length; returns where the length goes. */
static size_t tls_hello_open(struct tls_hello_writer *w, unsigned width)
{
	size_t at = w->len;
	tls_hello_put_int(w, 0, width);
	return at;
}

static void tls_hello_close(struct tls_hello_writer *w, size_t at, unsigned width)
{
	if (w->overflow)
		return;
	size_t n = w->len - at - width;
	assert(width == 3 || n < (1u << (8 * width)));
	for (unsigned i = 0; i < width; i++)
		w->buf[at + i] = (unsigned char)(n >> (8 * (width - 1 - i)));
}

static void tls_hello_put_u16_list(struct tls_hello_writer *w, const uint16_t *values, size_t n,
                                   unsigned width)
{
	size_t at = tls_hello_open(w, width);
	for (size_t i = 0; i < n; i++)
		tls_hello_put_u16(w, values[i]);
	tls_hello_close(w, at, width);
}

/* Starts extension type; returns where its length goes (close with width 2). */
static size_t tls_hello_open_ext(struct tls_hello_writer *w, unsigned type)
{
	tls_hello_put_u16(w, type);
	return tls_hello_open(w, 2);
}

/* A DNS host name SNI may carry: not an IP literal, letters, digits, '-' and '.'. */
static size_t tls_hello_sni_length(const char *name)
{
	if (name == NULL)
		return 0;
	size_t n = strlen(name);
	if (n > 0 && name[n - 1] == '.')
		n--; /* RFC 6066: no trailing dot */
	bool letter = false;
	for (size_t i = 0; i < n; i++) {
		char c = name[i];
		bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
		if (!alpha && !(c >= '0' && c <= '9') && c != '-' && c != '.')
			return 0;
		letter |= alpha;
	}
	return letter && n <= TLS_HELLO_NAME_MAX ? n : 0;
}

static void tls_hello_put_sni(struct tls_hello_writer *w, const char *name, size_t n)
{
	size_t ext = tls_hello_open_ext(w, TLS_HELLO_EXT_SERVER_NAME);
	size_t list = tls_hello_open(w, 2);
	tls_hello_put_u8(w, 0); /* host_name */
	size_t host = tls_hello_open(w, 2);
	tls_hello_put(w, name, n);
	tls_hello_close(w, host, 2);
	tls_hello_close(w, list, 2);
	tls_hello_close(w, ext, 2);
}

static void tls_hello_put_u16_ext(struct tls_hello_writer *w, unsigned type, const uint16_t *values,
                                  size_t n, unsigned list_width)
{
	size_t ext = tls_hello_open_ext(w, type);
	tls_hello_put_u16_list(w, values, n, list_width);
	tls_hello_close(w, ext, 2);
}

static void tls_hello_put_point_formats(struct tls_hello_writer *w)
{
	size_t ext = tls_hello_open_ext(w, TLS_HELLO_EXT_EC_POINT_FORMATS);
	tls_hello_put_u8(w, 1);
	tls_hello_put_u8(w, 0); /* uncompressed */
	tls_hello_close(w, ext, 2);
}

static void tls_hello_put_key_share(struct tls_hello_writer *w, const unsigned char *key)
{
	size_t ext = tls_hello_open_ext(w, TLS_HELLO_EXT_KEY_SHARE);
	size_t shares = tls_hello_open(w, 2);
	tls_hello_put_u16(w, TLS_HELLO_GROUP_X25519);
	size_t share = tls_hello_open(w, 2);
	tls_hello_put(w, key, TLS_HELLO_KEY_SHARE_LEN);
	tls_hello_close(w, share, 2);
	tls_hello_close(w, shares, 2);
	tls_hello_close(w, ext, 2);
}

static void tls_hello_put_extensions(struct tls_hello_writer *w, const struct tls_hello_client *c)
{
	static const uint16_t tls13[] = {TLS_HELLO_TLS1_3};
	size_t all = tls_hello_open(w, 2);
	size_t sni = tls_hello_sni_length(c->server_name);
	if (sni > 0)
		tls_hello_put_sni(w, c->server_name, sni);
	tls_hello_put_u16_ext(w, TLS_HELLO_EXT_SUPPORTED_GROUPS, tls_hello_groups,
	                      sizeof(tls_hello_groups) / sizeof(tls_hello_groups[0]), 2);
	tls_hello_put_point_formats(w);
	if (c->version >= TLS_HELLO_TLS1_2)
		tls_hello_put_u16_ext(w, TLS_HELLO_EXT_SIGNATURE_ALGORITHMS,
		                      tls_hello_signature_algorithms,
		                      sizeof(tls_hello_signature_algorithms) /
		                          sizeof(tls_hello_signature_algorithms[0]),
		                      2);
	if (c->version == TLS_HELLO_TLS1_3) {
		tls_hello_put_u16_ext(w, TLS_HELLO_EXT_SUPPORTED_VERSIONS, tls13, 1, 1);
		tls_hello_put_key_share(w, c->key_share);
	}
	tls_hello_close(w, all, 2);
}

int tls_hello_client_build(const struct tls_hello_client *c, unsigned char *buf, size_t cap,
                           size_t *len)
{
	if (c->version < TLS_HELLO_SSL3 || c->version > TLS_HELLO_TLS1_3 || c->nsuites == 0 ||
	    c->nsuites > TLS_HELLO_MAX_SUITES)
		return SA_ERROR_INVAL;
	struct tls_hello_writer w = {.buf = buf, .cap = cap};
	uint16_t legacy = c->version > TLS_HELLO_TLS1_2 ? TLS_HELLO_TLS1_2 : c->version;
	tls_hello_put_u8(&w, TLS_HELLO_CONTENT_HANDSHAKE);
	tls_hello_put_u16(&w, legacy > TLS_HELLO_TLS1_0 ? TLS_HELLO_TLS1_0 : legacy);
	size_t record = tls_hello_open(&w, 2);
	tls_hello_put_u8(&w, TLS_HELLO_TYPE_CLIENT_HELLO);
	size_t body = tls_hello_open(&w, 3);
	tls_hello_put_u16(&w, legacy);
	tls_hello_put(&w, c->random, TLS_HELLO_RANDOM_LEN);
	tls_hello_put_u8(&w, 0); /* empty session id */
	tls_hello_put_u16_list(&w, c->suites, c->nsuites, 2);
	tls_hello_put_u8(&w, 1);
	tls_hello_put_u8(&w, 0); /* null compression only */
	if (c->version >= TLS_HELLO_TLS1_0)
		tls_hello_put_extensions(&w, c);
	tls_hello_close(&w, body, 3);
	tls_hello_close(&w, record, 2);
	if (w.overflow)
		return SA_ERROR_TOOBIG;
	*len = w.len;
	return 0;
}

/* ---- the parser ---- */

struct tls_hello_reader {
	const unsigned char *p;
	size_t len, off;
};

static bool tls_hello_get(struct tls_hello_reader *r, size_t n, const unsigned char **out)
{
	if (n > r->len - r->off)
		return false;
	*out = r->p + r->off;
	r->off += n;
	return true;
}

static bool tls_hello_get_int(struct tls_hello_reader *r, unsigned width, uint32_t *value)
{
	const unsigned char *b;
	if (!tls_hello_get(r, width, &b))
		return false;
	*value = 0;
	for (unsigned i = 0; i < width; i++)
		*value = *value << 8 | b[i];
	return true;
}

/* A vector with a width-byte length, as a reader of its own. */
static bool tls_hello_get_vector(struct tls_hello_reader *r, unsigned width,
                                 struct tls_hello_reader *sub)
{
	uint32_t n;
	const unsigned char *b;
	if (!tls_hello_get_int(r, width, &n) || !tls_hello_get(r, n, &b))
		return false;
	*sub = (struct tls_hello_reader){.p = b, .len = n};
	return true;
}

static size_t tls_hello_left(const struct tls_hello_reader *r)
{
	return r->len - r->off;
}

static enum tls_hello_kind tls_hello_fail(struct tls_hello_answer *out, enum tls_hello_kind kind,
                                          const char *reason)
{
	out->kind = kind;
	out->reason = reason;
	return kind;
}

/* What the first bytes (up to two) already rule out. */
static bool tls_hello_not_record(const unsigned char *buf, size_t len)
{
	return (len >= 1 &&
	        (buf[0] < TLS_HELLO_CONTENT_FIRST || buf[0] > TLS_HELLO_CONTENT_LAST)) ||
	       (len >= 2 && buf[1] != 3);
}

int tls_hello_record_length(const unsigned char *buf, size_t len, size_t *record_len)
{
	if (tls_hello_not_record(buf, len))
		return SA_ERROR_PROTO;
	if (len < TLS_HELLO_RECORD_HEADER)
		return SA_ERROR_AGAIN;
	size_t fragment = (size_t)buf[3] << 8 | buf[4];
	if (fragment > TLS_HELLO_RECORD_MAX)
		return SA_ERROR_PROTO;
	*record_len = TLS_HELLO_RECORD_HEADER + fragment;
	return 0;
}

/*
 * SSL 2.0 record: a two-byte header with the high bit set, then the
 * message type; a server that speaks only SSL 2.0 answers SERVER-HELLO
 * or ERROR.
 */
static bool tls_hello_is_sslv2(const unsigned char *buf, size_t len)
{
	return len >= 3 && (buf[0] & 0x80) != 0 &&
	       (buf[2] == TLS_HELLO_SSL2_SERVER_HELLO || buf[2] == TLS_HELLO_SSL2_ERROR);
}

static enum tls_hello_kind tls_hello_parse_alert(struct tls_hello_reader *r,
                                                 struct tls_hello_answer *out)
{
	const unsigned char *b;
	if (tls_hello_left(r) == 0)
		return tls_hello_fail(out, TLS_HELLO_MALFORMED, "empty alert record");
	if (!tls_hello_get(r, 2, &b))
		return tls_hello_fail(out, TLS_HELLO_TRUNCATED, "alert record of one byte");
	if (b[0] != 1 && b[0] != 2)
		return tls_hello_fail(out, TLS_HELLO_MALFORMED,
		                      "alert level neither warning nor fatal");
	out->kind = TLS_HELLO_ALERT;
	out->alert_level = b[0];
	out->alert_description = b[1];
	return out->kind;
}

/* Reads the extensions after the compression method; NULL or the failure reason. */
static const char *tls_hello_parse_server_extensions(struct tls_hello_reader *r,
                                                     struct tls_hello_answer *out)
{
	struct tls_hello_reader all;
	if (tls_hello_left(r) == 0)
		return NULL; /* extensions are optional before TLS 1.3 */
	if (!tls_hello_get_vector(r, 2, &all) || tls_hello_left(r) != 0)
		return "ServerHello extensions do not fill the message";
	while (tls_hello_left(&all) > 0) {
		uint32_t type, version;
		struct tls_hello_reader data;
		if (!tls_hello_get_int(&all, 2, &type) || !tls_hello_get_vector(&all, 2, &data))
			return "ServerHello extension runs past its list";
		if (type != TLS_HELLO_EXT_SUPPORTED_VERSIONS)
			continue;
		if (!tls_hello_get_int(&data, 2, &version) || tls_hello_left(&data) != 0)
			return "supported_versions in a ServerHello is not two bytes";
		if (version >> 8 != 3)
			return "supported_versions selects a version that is not 3.x";
		out->version = (uint16_t)version;
	}
	return NULL;
}

static enum tls_hello_kind tls_hello_parse_server_hello(struct tls_hello_reader *r,
                                                        struct tls_hello_answer *out)
{
	uint32_t version, suite, compression;
	const unsigned char *random;
	struct tls_hello_reader session_id;
	if (!tls_hello_get_int(r, 2, &version) ||
	    !tls_hello_get(r, TLS_HELLO_RANDOM_LEN, &random) ||
	    !tls_hello_get_vector(r, 1, &session_id) || !tls_hello_get_int(r, 2, &suite) ||
	    !tls_hello_get_int(r, 1, &compression))
		return tls_hello_fail(out, TLS_HELLO_MALFORMED,
		                      "ServerHello shorter than its fields");
	if (session_id.len > TLS_HELLO_SESSION_ID_MAX)
		return tls_hello_fail(out, TLS_HELLO_MALFORMED, "session id longer than 32 bytes");
	if (version >> 8 != 3)
		return tls_hello_fail(out, TLS_HELLO_MALFORMED, "ServerHello version is not 3.x");
	out->version = (uint16_t)version;
	const char *bad = tls_hello_parse_server_extensions(r, out);
	if (bad != NULL)
		return tls_hello_fail(out, TLS_HELLO_MALFORMED, bad);
	out->kind = TLS_HELLO_SERVER_HELLO;
	out->suite = (uint16_t)suite;
	out->compression = (uint8_t)compression;
	out->hello_retry = memcmp(random, tls_hello_retry_random, TLS_HELLO_RANDOM_LEN) == 0;
	return out->kind;
}

static enum tls_hello_kind tls_hello_parse_handshake(struct tls_hello_reader *r,
                                                     struct tls_hello_answer *out)
{
	uint32_t type, length;
	const unsigned char *body;
	if (!tls_hello_get_int(r, 1, &type) || !tls_hello_get_int(r, 3, &length))
		return tls_hello_fail(out, TLS_HELLO_TRUNCATED, "handshake header cut short");
	if (type != TLS_HELLO_TYPE_SERVER_HELLO)
		return tls_hello_fail(out, TLS_HELLO_MALFORMED,
		                      "first handshake message is not a ServerHello");
	if (!tls_hello_get(r, length, &body))
		return tls_hello_fail(out, TLS_HELLO_TRUNCATED,
		                      "ServerHello continues past the record");
	struct tls_hello_reader hello = {.p = body, .len = length};
	return tls_hello_parse_server_hello(&hello, out);
}

enum tls_hello_kind tls_hello_parse(const unsigned char *buf, size_t len,
                                    struct tls_hello_answer *out)
{
	*out = (struct tls_hello_answer){.kind = TLS_HELLO_MALFORMED};
	if (len == 0)
		return tls_hello_fail(out, TLS_HELLO_TRUNCATED, "no bytes");
	if (tls_hello_is_sslv2(buf, len))
		return tls_hello_fail(out, TLS_HELLO_SSLV2,
		                      "an SSL 2.0 answer: SSL 3.0 and TLS not supported");
	if (tls_hello_not_record(buf, len))
		return tls_hello_fail(out, TLS_HELLO_NOT_TLS, "not a TLS record");
	size_t record_len;
	int rc = tls_hello_record_length(buf, len, &record_len);
	if (rc == SA_ERROR_AGAIN)
		return tls_hello_fail(out, TLS_HELLO_TRUNCATED, "record header cut short");
	if (rc != 0)
		return tls_hello_fail(out, TLS_HELLO_MALFORMED, "record longer than 2^14 + 2048");
	out->record_version = (uint16_t)(buf[1] << 8 | buf[2]);
	if (record_len > len)
		return tls_hello_fail(out, TLS_HELLO_TRUNCATED,
		                      "record shorter than its header says");
	struct tls_hello_reader r = {.p = buf + TLS_HELLO_RECORD_HEADER,
	                             .len = record_len - TLS_HELLO_RECORD_HEADER};
	switch (buf[0]) {
	case TLS_HELLO_CONTENT_ALERT:
		return tls_hello_parse_alert(&r, out);
	case TLS_HELLO_CONTENT_HANDSHAKE:
		return tls_hello_parse_handshake(&r, out);
	default:
		return tls_hello_fail(out, TLS_HELLO_MALFORMED,
		                      "first record is neither a handshake nor an alert");
	}
}

/* ---- names ---- */

const char *tls_hello_version_name(uint16_t version)
{
	switch (version) {
	case TLS_HELLO_SSL3:
		return "SSLv3";
	case TLS_HELLO_TLS1_0:
		return "TLSv1.0";
	case TLS_HELLO_TLS1_1:
		return "TLSv1.1";
	case TLS_HELLO_TLS1_2:
		return "TLSv1.2";
	case TLS_HELLO_TLS1_3:
		return "TLSv1.3";
	default:
		return NULL;
	}
}

/* AlertDescription values of RFC 5246, RFC 6066, RFC 7301, RFC 7507 and RFC 8446. */
static const char *const tls_hello_alert_names[256] = {
    [0] = "close_notify",
    [10] = "unexpected_message",
    [20] = "bad_record_mac",
    [21] = "decryption_failed",
    [22] = "record_overflow",
    [30] = "decompression_failure",
    [40] = "handshake_failure",
    [41] = "no_certificate",
    [42] = "bad_certificate",
    [43] = "unsupported_certificate",
    [44] = "certificate_revoked",
    [45] = "certificate_expired",
    [46] = "certificate_unknown",
    [47] = "illegal_parameter",
    [48] = "unknown_ca",
    [49] = "access_denied",
    [50] = "decode_error",
    [51] = "decrypt_error",
    [60] = "export_restriction",
    [70] = "protocol_version",
    [71] = "insufficient_security",
    [80] = "internal_error",
    [86] = "inappropriate_fallback",
    [90] = "user_canceled",
    [100] = "no_renegotiation",
    [109] = "missing_extension",
    [110] = "unsupported_extension",
    [111] = "certificate_unobtainable",
    [112] = "unrecognized_name",
    [113] = "bad_certificate_status_response",
    [114] = "bad_certificate_hash_value",
    [115] = "unknown_psk_identity",
    [116] = "certificate_required",
    [120] = "no_application_protocol",
};
_Static_assert(sizeof(tls_hello_alert_names) / sizeof(tls_hello_alert_names[0]) == 256,
               "one slot per possible description byte");

const char *tls_hello_alert_name(uint8_t description)
{
	return tls_hello_alert_names[description];
}

static const char *const tls_hello_kind_names[] = {
    [TLS_HELLO_SERVER_HELLO] = "server hello", [TLS_HELLO_ALERT] = "alert",
    [TLS_HELLO_NOT_TLS] = "not TLS",           [TLS_HELLO_SSLV2] = "SSL 2.0",
    [TLS_HELLO_TRUNCATED] = "truncated",       [TLS_HELLO_MALFORMED] = "malformed",
};
_Static_assert(sizeof(tls_hello_kind_names) / sizeof(tls_hello_kind_names[0]) ==
                   TLS_HELLO_MALFORMED + 1,
               "one name per kind");

const char *tls_hello_kind_name(enum tls_hello_kind kind)
{
	assert(kind <= TLS_HELLO_MALFORMED);
	return tls_hello_kind_names[kind];
}
