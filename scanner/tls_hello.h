/*
 * NAME
 *	tls_hello - build a TLS ClientHello, classify the server's first record
 *
 * SUMMARY
 *	struct tls_hello_client c = {.version = TLS_HELLO_TLS1_2, .suites = ids,
 *	                             .nsuites = n, .server_name = "mx.example.org"};
 *	memcpy(c.random, bytes, TLS_HELLO_RANDOM_LEN);
 *	unsigned char hello[TLS_HELLO_CLIENT_MAX];
 *	size_t len;
 *	tls_hello_client_build(&c, hello, sizeof(hello), &len);
 *	... send it, receive one record ...
 *	struct tls_hello_answer a;
 *	if (tls_hello_parse(record, record_len, &a) == TLS_HELLO_SERVER_HELLO)
 *		printf("%s %04x\n", tls_hello_version_name(a.version), a.suite);
 *
 * DESCRIPTION
 *	Like sslscan and testssl.sh, the scanner asks a server which protocol
 *	versions and cipher suites it accepts by sending hand-built
 *	ClientHello messages and reading only the server's first answer: a
 *	ServerHello (accepted) or an alert (refused). The handshake is never
 *	finished, so no key material is computed; the TLS 1.3 key share is
 *	32 caller-supplied bytes, which any x25519 implementation takes as a
 *	public key.
 *
 *	The ClientHello offers exactly one protocol version: client_version
 *	is that version (0x0303 plus supported_versions = {0x0304} for TLS
 *	1.3), the record layer carries it too, capped at TLS 1.0 as common
 *	clients do because some servers refuse a higher record version. The
 *	session id and compression list are empty and null respectively.
 *	Extensions: none for SSL 3.0 (it has none); from TLS 1.0 server_name
 *	(only for a host name: an IP literal, a name with a character
 *	outside letters, digits, '-' and '.', or one longer than 253 bytes is
 *	not sent, RFC 6066 section 3), supported_groups and ec_point_formats
 *	(RFC 8422); from TLS 1.2 signature_algorithms (RFC 5246 7.4.1.4.1);
 *	for TLS 1.3 supported_versions and a key_share for x25519.
 *
 *	The parser takes the bytes of one record as the engine delivers them
 *	(probe_send_raw in probes/probe.h: one complete record, or what came
 *	when it was not a record) and is untrusted-input code: every length
 *	is checked against the bytes present, nothing is read outside
 *	[buf, buf + len), nothing is allocated. A ServerHello's version is
 *	the supported_versions extension's when present (TLS 1.3), else its
 *	server_version; a HelloRetryRequest (RFC 8446 4.1.3) counts as a
 *	ServerHello that accepted the version and suite. Only the first
 *	handshake message of the record is read; anything after it (a
 *	Certificate packed in the same record) is ignored.
 *
 * DIAGNOSTICS
 *	tls_hello_client_build() returns SA_ERROR_INVAL for a version it
 *	cannot offer, no suites or more than TLS_HELLO_MAX_SUITES, and
 *	SA_ERROR_TOOBIG when cap is too small (len is then unchanged).
 *	tls_hello_record_length() returns SA_ERROR_PROTO as soon as the bytes
 *	present cannot start a record header, else SA_ERROR_AGAIN for fewer
 *	than 5 bytes.
 *	tls_hello_parse() always classifies; for TLS_HELLO_NOT_TLS,
 *	TLS_HELLO_SSLV2, TLS_HELLO_TRUNCATED and TLS_HELLO_MALFORMED the
 *	answer's reason says why in one line of static text.
 */
#ifndef TLS_HELLO_H
#define TLS_HELLO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Protocol versions as they appear on the wire. */
#define TLS_HELLO_SSL3   0x0300
#define TLS_HELLO_TLS1_0 0x0301
#define TLS_HELLO_TLS1_1 0x0302
#define TLS_HELLO_TLS1_2 0x0303
#define TLS_HELLO_TLS1_3 0x0304

#define TLS_HELLO_RECORD_HEADER 5
#define TLS_HELLO_RECORD_MAX    18432 /* 2^14 + 2048: the largest TLSCiphertext fragment */
#define TLS_HELLO_RANDOM_LEN    32
#define TLS_HELLO_KEY_SHARE_LEN 32 /* an x25519 public key */
#define TLS_HELLO_MAX_SUITES    512
#define TLS_HELLO_CLIENT_MAX    1536 /* room for any ClientHello this module builds */

/* Content types (RFC 8446 B.1). */
#define TLS_HELLO_CONTENT_ALERT     21
#define TLS_HELLO_CONTENT_HANDSHAKE 22

struct tls_hello_client {
	uint16_t version;       /* TLS_HELLO_SSL3 .. TLS_HELLO_TLS1_3 */
	const uint16_t *suites; /* cipher suite ids, in the client's order of preference */
	size_t nsuites;
	const char *server_name; /* for SNI, or NULL; IP literals are not sent */
	unsigned char random[TLS_HELLO_RANDOM_LEN];
	unsigned char key_share[TLS_HELLO_KEY_SHARE_LEN]; /* TLS 1.3 only */
};

/*
 * Writes the ClientHello record for c into buf (cap bytes) and its length
 * into *len. Returns 0, SA_ERROR_INVAL or SA_ERROR_TOOBIG.
 */
int tls_hello_client_build(const struct tls_hello_client *c, unsigned char *buf, size_t cap,
                           size_t *len);

/*
 * Frames records: with at least the 5-byte header in buf (len bytes), a
 * content type 20..24, major version 3 and a fragment of at most
 * TLS_HELLO_RECORD_MAX bytes, stores the WHOLE record's length (header
 * included: 5 + fragment length) in *record_len and returns 0. Returns
 * SA_ERROR_PROTO when the bytes present are not a TLS record header's (a
 * first byte outside 20..24 or a second byte other than 3 is enough, so
 * "454 ..." is recognised from its first byte), else SA_ERROR_AGAIN
 * while fewer than 5 bytes are there.
 */
int tls_hello_record_length(const unsigned char *buf, size_t len, size_t *record_len);

enum tls_hello_kind {
	TLS_HELLO_SERVER_HELLO, /* version, suite, compression, hello_retry */
	TLS_HELLO_ALERT,        /* alert_level, alert_description */
	TLS_HELLO_NOT_TLS,      /* not a TLS record (an SMTP reply, say) */
	TLS_HELLO_SSLV2,        /* an SSL 2.0 SERVER-HELLO: SSLv3 and later not supported */
	TLS_HELLO_TRUNCATED,    /* a record or message that ends early */
	TLS_HELLO_MALFORMED,    /* lengths or values that break the protocol */
};

struct tls_hello_answer {
	enum tls_hello_kind kind;
	uint16_t record_version;   /* from the record header (0 for NOT_TLS and SSLV2) */
	uint16_t version;          /* negotiated protocol version */
	uint16_t suite;            /* chosen cipher suite id */
	uint8_t compression;       /* chosen compression method (0 = none) */
	bool hello_retry;          /* a TLS 1.3 HelloRetryRequest */
	uint8_t alert_level;       /* 1 warning, 2 fatal */
	uint8_t alert_description; /* RFC 8446 6, e.g. 40 handshake_failure */
	const char *reason;        /* static one-line text for the failure kinds, else NULL */
};

/* Classifies one record from the server; fills *out completely. */
enum tls_hello_kind tls_hello_parse(const unsigned char *buf, size_t len,
                                    struct tls_hello_answer *out);

/* "SSLv3", "TLSv1.0" ... "TLSv1.3", or NULL for another value. */
const char *tls_hello_version_name(uint16_t version);

/* "handshake_failure", "protocol_version", ... or NULL for an unassigned description. */
const char *tls_hello_alert_name(uint8_t description);

/* "server hello", "alert", "not TLS", ... */
const char *tls_hello_kind_name(enum tls_hello_kind kind);

#endif
