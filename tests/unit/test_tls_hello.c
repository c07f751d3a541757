/*
 * NAME
 *	test_tls_hello - the ClientHello builder and the server answer parser
 *
 * DESCRIPTION
 *	Builder: for each protocol version the ClientHello is walked field
 *	by field by an independent reader in this file (record and handshake
 *	lengths, client_version, the caller's random, the suite list, null
 *	compression, and exactly the extensions the version calls for, with
 *	their content); SNI only for host names; every too-small buffer is
 *	refused without writing a length.
 *
 *	Parser: the answers of OpenSSL 3 and GnuTLS 3.7 captured by
 *	scripts/capture-tls-hello.sh (tests/data/tls) must classify as those
 *	servers meant them; every truncation of them is "truncated"; bytes
 *	that are not TLS, an SSL 2.0 answer, and hand-made corruptions of a
 *	real ServerHello (each length and value a hostile server controls)
 *	give the matching kind and a reason, never a read past the buffer
 *	(the suite also runs under ASan).
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include <string.h>

#include "sa_error.h"
#include "tls_capture.h"
#include "tls_hello.h"

/* ---- an independent reader for the ClientHello ---- */

struct cursor {
	const unsigned char *p;
	size_t len, off;
};

static unsigned take(struct cursor *c, size_t width)
{
	cr_assert_leq(c->off + width, c->len, "read past the end at %zu", c->off);
	unsigned v = 0;
	for (size_t i = 0; i < width; i++)
		v = v << 8 | c->p[c->off++];
	return v;
}

static struct cursor sub(struct cursor *c, size_t width)
{
	size_t n = take(c, width);
	cr_assert_leq(c->off + n, c->len, "vector of %zu runs past its parent", n);
	struct cursor s = {.p = c->p + c->off, .len = n};
	c->off += n;
	return s;
}

struct hello_view {
	unsigned record_version, client_version;
	unsigned char random[TLS_HELLO_RANDOM_LEN];
	uint16_t suites[TLS_HELLO_MAX_SUITES];
	size_t nsuites;
	bool has_extensions;
	struct cursor ext[64]; /* indexed by extension type, for the types used here */
	bool has[64];
};

static void view_extensions(struct cursor *body, struct hello_view *v)
{
	v->has_extensions = body->off < body->len;
	if (!v->has_extensions)
		return;
	struct cursor all = sub(body, 2);
	while (all.off < all.len) {
		unsigned type = take(&all, 2);
		struct cursor data = sub(&all, 2);
		cr_assert_lt(type, 64, "unexpected extension %u", type);
		cr_assert_not(v->has[type], "extension %u twice", type);
		v->has[type] = true;
		v->ext[type] = data;
	}
}

static void view_hello(const unsigned char *buf, size_t len, struct hello_view *v)
{
	memset(v, 0, sizeof(*v));
	struct cursor rec = {.p = buf, .len = len};
	cr_assert_eq(take(&rec, 1), 22);
	v->record_version = take(&rec, 2);
	struct cursor frag = sub(&rec, 2);
	cr_assert_eq(rec.off, len, "bytes after the record");
	cr_assert_eq(take(&frag, 1), 1, "not a ClientHello");
	struct cursor body = sub(&frag, 3);
	cr_assert_eq(frag.off, frag.len, "bytes after the ClientHello");
	v->client_version = take(&body, 2);
	for (size_t i = 0; i < TLS_HELLO_RANDOM_LEN; i++)
		v->random[i] = (unsigned char)take(&body, 1);
	cr_assert_eq(take(&body, 1), 0, "session id not empty");
	struct cursor suites = sub(&body, 2);
	while (suites.off < suites.len)
		v->suites[v->nsuites++] = (uint16_t)take(&suites, 2);
	struct cursor comp = sub(&body, 1);
	cr_assert_eq(comp.len, 1);
	cr_assert_eq(take(&comp, 1), 0, "compression other than null");
	view_extensions(&body, v);
	cr_assert_eq(body.off, body.len, "bytes after the extensions");
}

static const uint16_t some_suites[] = {0xC02F, 0xC030, 0x009C, 0x002F, 0x000A};
#define NSOME (sizeof(some_suites) / sizeof(some_suites[0]))

static size_t build(uint16_t version, const char *name, unsigned char *buf, size_t cap)
{
	struct tls_hello_client c = {
	    .version = version,
	    .suites = some_suites,
	    .nsuites = NSOME,
	    .server_name = name,
	};
	for (size_t i = 0; i < TLS_HELLO_RANDOM_LEN; i++) {
		c.random[i] = (unsigned char)(0xa0 + i);
		c.key_share[i] = (unsigned char)(0x10 + i);
	}
	size_t len = 0;
	cr_assert_eq(tls_hello_client_build(&c, buf, cap, &len), 0);
	cr_assert_gt(len, 0);
	return len;
}

struct version_case {
	uint16_t version;
	unsigned record_version, client_version;
	bool extensions, signature_algorithms, tls13;
};

static const struct version_case version_cases[] = {
    {TLS_HELLO_SSL3, 0x0300, 0x0300, false, false, false},
    {TLS_HELLO_TLS1_0, 0x0301, 0x0301, true, false, false},
    {TLS_HELLO_TLS1_1, 0x0301, 0x0302, true, false, false},
    {TLS_HELLO_TLS1_2, 0x0301, 0x0303, true, true, false},
    {TLS_HELLO_TLS1_3, 0x0301, 0x0303, true, true, true},
};

ParameterizedTestParameters(tls_hello, client_hello_fields)
{
	return cr_make_param_array(struct version_case, (void *)version_cases,
	                           sizeof(version_cases) / sizeof(version_cases[0]));
}

static void check_groups_and_formats(struct hello_view *v)
{
	struct cursor groups = sub(&v->ext[10], 2);
	cr_assert_eq(take(&groups, 2), 0x001d, "x25519 first");
	cr_assert_geq(groups.len, 8, "x25519 and the NIST curves");
	struct cursor formats = sub(&v->ext[11], 1);
	cr_assert_eq(formats.len, 1);
	cr_assert_eq(take(&formats, 1), 0, "uncompressed points");
}

static void check_tls13(struct hello_view *v)
{
	struct cursor versions = sub(&v->ext[43], 1);
	cr_assert_eq(versions.len, 2, "only TLS 1.3 offered");
	cr_assert_eq(take(&versions, 2), 0x0304);
	struct cursor shares = sub(&v->ext[51], 2);
	cr_assert_eq(take(&shares, 2), 0x001d);
	struct cursor key = sub(&shares, 2);
	cr_assert_eq(key.len, TLS_HELLO_KEY_SHARE_LEN);
	for (size_t i = 0; i < key.len; i++)
		cr_assert_eq(key.p[i], 0x10 + i, "key share byte %zu", i);
	cr_assert_eq(shares.off, shares.len);
}

ParameterizedTest(const struct version_case *vc, tls_hello, client_hello_fields, .timeout = 10)
{
	unsigned char buf[TLS_HELLO_CLIENT_MAX];
	struct hello_view v;
	view_hello(buf, build(vc->version, "mx.example.org", buf, sizeof(buf)), &v);
	cr_assert_eq(v.record_version, vc->record_version);
	cr_assert_eq(v.client_version, vc->client_version);
	for (size_t i = 0; i < TLS_HELLO_RANDOM_LEN; i++)
		cr_assert_eq(v.random[i], 0xa0 + i);
	cr_assert_eq(v.nsuites, NSOME);
	cr_assert_arr_eq(v.suites, some_suites, sizeof(some_suites));
	cr_assert_eq(v.has_extensions, vc->extensions);
	cr_assert_eq(v.has[0], vc->extensions, "server_name");
	cr_assert_eq(v.has[10], vc->extensions, "supported_groups");
	cr_assert_eq(v.has[11], vc->extensions, "ec_point_formats");
	cr_assert_eq(v.has[13], vc->signature_algorithms, "signature_algorithms");
	cr_assert_eq(v.has[43], vc->tls13, "supported_versions");
	cr_assert_eq(v.has[51], vc->tls13, "key_share");
	if (vc->extensions)
		check_groups_and_formats(&v);
	if (vc->signature_algorithms)
		cr_assert_geq(sub(&v.ext[13], 2).len, 2 * 10);
	if (vc->tls13)
		check_tls13(&v);
}

/* The host_name of the SNI extension, or "" when there is none. */
static void sni_of(const char *name, char *out, size_t cap)
{
	unsigned char buf[TLS_HELLO_CLIENT_MAX];
	struct hello_view v;
	view_hello(buf, build(TLS_HELLO_TLS1_2, name, buf, sizeof(buf)), &v);
	out[0] = '\0';
	if (!v.has[0])
		return;
	struct cursor list = sub(&v.ext[0], 2);
	cr_assert_eq(take(&list, 1), 0, "host_name type");
	struct cursor host = sub(&list, 2);
	cr_assert_eq(list.off, list.len, "one name only");
	cr_assert_lt(host.len, cap);
	memcpy(out, host.p, host.len);
	out[host.len] = '\0';
}

Test(tls_hello, sni_only_for_host_names, .timeout = 10)
{
	static const char *const sent[][2] = {
	    {"mx.example.org", "mx.example.org"},
	    {"mx.example.org.", "mx.example.org"},
	    {"MX1-a.Example.ORG", "MX1-a.Example.ORG"},
	    {"localhost", "localhost"},
	};
	static const char *const not_sent[] = {
	    NULL,
	    "",
	    "192.0.2.25",
	    "::1",
	    "2001:db8::25",
	    "[2001:db8::25]",
	    "mx_1.example.org",
	    "mx.example.org\r\nRSET",
	    "127.0.0.1.",
	};
	char got[300];
	for (size_t i = 0; i < sizeof(sent) / sizeof(sent[0]); i++) {
		sni_of(sent[i][0], got, sizeof(got));
		cr_assert_str_eq(got, sent[i][1]);
	}
	for (size_t i = 0; i < sizeof(not_sent) / sizeof(not_sent[0]); i++) {
		sni_of(not_sent[i], got, sizeof(got));
		cr_assert_str_empty(got, "SNI sent for %s", not_sent[i] ? not_sent[i] : "NULL");
	}
}

Test(tls_hello, sni_length_limit, .timeout = 10)
{
	char name[260], got[300];
	memset(name, 'a', sizeof(name));
	name[253] = '\0';
	sni_of(name, got, sizeof(got));
	cr_assert_eq(strlen(got), 253);
	name[253] = 'a';
	name[254] = '\0';
	sni_of(name, got, sizeof(got));
	cr_assert_str_empty(got, "a 254-byte name is not a DNS name");
}

Test(tls_hello, builder_refuses_small_buffers, .timeout = 10)
{
	unsigned char full[TLS_HELLO_CLIENT_MAX], buf[TLS_HELLO_CLIENT_MAX];
	size_t need = build(TLS_HELLO_TLS1_3, "mx.example.org", full, sizeof(full));
	struct tls_hello_client c = {.version = TLS_HELLO_TLS1_3,
	                             .suites = some_suites,
	                             .nsuites = NSOME,
	                             .server_name = "mx.example.org"};
	for (size_t cap = 0; cap < need; cap++) {
		size_t len = 12345;
		cr_assert_eq(tls_hello_client_build(&c, buf, cap, &len), SA_ERROR_TOOBIG, "cap %zu",
		             cap);
		cr_assert_eq(len, 12345, "length written on failure");
	}
	size_t len;
	cr_assert_eq(tls_hello_client_build(&c, buf, need, &len), 0);
	cr_assert_eq(len, need);
}

Test(tls_hello, builder_refuses_bad_arguments, .timeout = 10)
{
	unsigned char buf[TLS_HELLO_CLIENT_MAX];
	uint16_t many[TLS_HELLO_MAX_SUITES + 1] = {0};
	size_t len;
	struct tls_hello_client c = {.version = TLS_HELLO_TLS1_2, .suites = some_suites};
	cr_assert_eq(tls_hello_client_build(&c, buf, sizeof(buf), &len), SA_ERROR_INVAL,
	             "no suites");
	c.nsuites = NSOME;
	c.version = 0x0200;
	cr_assert_eq(tls_hello_client_build(&c, buf, sizeof(buf), &len), SA_ERROR_INVAL, "SSL 2.0");
	c.version = 0x0305;
	cr_assert_eq(tls_hello_client_build(&c, buf, sizeof(buf), &len), SA_ERROR_INVAL);
	c.version = TLS_HELLO_TLS1_2;
	c.suites = many;
	c.nsuites = TLS_HELLO_MAX_SUITES + 1;
	cr_assert_eq(tls_hello_client_build(&c, buf, sizeof(buf), &len), SA_ERROR_INVAL);
	char longest[254];
	memset(longest, 'a', sizeof(longest) - 1);
	longest[sizeof(longest) - 1] = '\0';
	c.nsuites = TLS_HELLO_MAX_SUITES;
	c.version = TLS_HELLO_TLS1_3;
	c.server_name = longest;
	cr_assert_eq(tls_hello_client_build(&c, buf, sizeof(buf), &len), 0,
	             "the largest hello fits TLS_HELLO_CLIENT_MAX");
	cr_assert_gt(len, 2 * TLS_HELLO_MAX_SUITES + 253, "with every suite and the name");
}

Test(tls_hello, own_client_hello_is_not_a_server_answer, .timeout = 10)
{
	unsigned char buf[TLS_HELLO_CLIENT_MAX];
	size_t len = build(TLS_HELLO_TLS1_2, "mx.example.org", buf, sizeof(buf));
	struct tls_hello_answer a;
	cr_assert_eq(tls_hello_parse(buf, len, &a), TLS_HELLO_MALFORMED);
	cr_assert_str_eq(a.reason, "first handshake message is not a ServerHello");
}

/* ---- record framing ---- */

Test(tls_hello, record_length, .timeout = 10)
{
	unsigned char h[5] = {22, 3, 3, 0x48, 0x00};
	size_t n = 0;
	for (size_t len = 0; len < 5; len++)
		cr_assert_eq(tls_hello_record_length(h, len, &n), SA_ERROR_AGAIN);
	cr_assert_eq(tls_hello_record_length(h, 5, &n), 0);
	cr_assert_eq(n, 5 + 18432);
	h[4] = 0x01;
	cr_assert_eq(tls_hello_record_length(h, 5, &n), SA_ERROR_PROTO, "one byte over the limit");
	h[3] = 0;
	h[4] = 2;
	for (unsigned type = 0; type < 256; type++) {
		h[0] = (unsigned char)type;
		int rc = tls_hello_record_length(h, 5, &n);
		cr_assert_eq(rc, type >= 20 && type <= 24 ? 0 : SA_ERROR_PROTO, "type %u", type);
	}
	h[0] = 21;
	h[1] = 2;
	cr_assert_eq(tls_hello_record_length(h, 5, &n), SA_ERROR_PROTO, "major version 2");
	const char smtp[] = "454 4.7.0 TLS not available\r\n";
	for (size_t len = 1; len < sizeof(smtp); len++)
		cr_assert_eq(tls_hello_record_length((const unsigned char *)smtp, len, &n),
		             SA_ERROR_PROTO, "known from the first byte (%zu bytes)", len);
	cr_assert_eq(tls_hello_record_length((const unsigned char *)"\x16\x02", 2, &n),
	             SA_ERROR_PROTO, "known from the second byte");
}

/* ---- captured answers ---- */

struct capture_case {
	char name[40];
	enum tls_hello_kind kind;
	uint16_t record_version, version, suite;
	uint8_t alert;
	bool hello_retry;
};

static const struct capture_case captures[] = {
    {"gnutls_3des", TLS_HELLO_SERVER_HELLO, 0x0303, 0x0303, 0x000A, 0, false},
    {"gnutls_anon", TLS_HELLO_SERVER_HELLO, 0x0303, 0x0303, 0x0018, 0, false},
    {"gnutls_handshake_failure", TLS_HELLO_ALERT, 0x0303, 0, 0, 40, false},
    {"gnutls_rc4", TLS_HELLO_SERVER_HELLO, 0x0303, 0x0303, 0x0004, 0, false},
    {"gnutls_tls10", TLS_HELLO_SERVER_HELLO, 0x0301, 0x0301, 0x0033, 0, false},
    {"gnutls_tls11_protocol_version", TLS_HELLO_ALERT, 0x0303, 0, 0, 70, false},
    {"gnutls_tls12", TLS_HELLO_SERVER_HELLO, 0x0303, 0x0303, 0x009E, 0, false},
    {"gnutls_tls13", TLS_HELLO_SERVER_HELLO, 0x0303, 0x0304, 0x1301, 0, false},
    {"openssl_clientpref_all", TLS_HELLO_SERVER_HELLO, 0x0303, 0x0303, 0x009E, 0, false},
    {"openssl_clientpref_rall", TLS_HELLO_SERVER_HELLO, 0x0303, 0x0303, 0xC015, 0, false},
    {"openssl_serverpref_all", TLS_HELLO_SERVER_HELLO, 0x0303, 0x0303, 0xC030, 0, false},
    {"openssl_serverpref_rall", TLS_HELLO_SERVER_HELLO, 0x0303, 0x0303, 0xC030, 0, false},
    {"openssl_ssl3_refused", TLS_HELLO_ALERT, 0x0300, 0, 0, 40, false},
    {"openssl_tls10", TLS_HELLO_SERVER_HELLO, 0x0301, 0x0301, 0x0033, 0, false},
    {"openssl_tls10_internal_error", TLS_HELLO_ALERT, 0x0301, 0, 0, 80, false},
    {"openssl_tls10_protocol_version", TLS_HELLO_ALERT, 0x0301, 0, 0, 70, false},
    {"openssl_tls10_rsa", TLS_HELLO_SERVER_HELLO, 0x0301, 0x0301, 0x002F, 0, false},
    {"openssl_tls11", TLS_HELLO_SERVER_HELLO, 0x0302, 0x0302, 0x0033, 0, false},
    {"openssl_tls12_ecdhe_cbc", TLS_HELLO_SERVER_HELLO, 0x0303, 0x0303, 0xC013, 0, false},
    {"openssl_tls12_ecdhe_gcm", TLS_HELLO_SERVER_HELLO, 0x0303, 0x0303, 0xC02F, 0, false},
    {"openssl_tls12_handshake_failure", TLS_HELLO_ALERT, 0x0303, 0, 0, 40, false},
    {"openssl_tls12_null", TLS_HELLO_SERVER_HELLO, 0x0303, 0x0303, 0x0001, 0, false},
    {"openssl_tls12_rsa_cbc", TLS_HELLO_SERVER_HELLO, 0x0303, 0x0303, 0x002F, 0, false},
    {"openssl_tls12_rsa_cbc_rall", TLS_HELLO_SERVER_HELLO, 0x0303, 0x0303, 0x003D, 0, false},
    {"openssl_tls12_to_tls10_server", TLS_HELLO_SERVER_HELLO, 0x0301, 0x0301, 0x0033, 0, false},
    {"openssl_tls13", TLS_HELLO_SERVER_HELLO, 0x0303, 0x0304, 0x1301, 0, false},
    {"openssl_tls13_hello_retry", TLS_HELLO_SERVER_HELLO, 0x0303, 0x0304, 0x1301, 0, true},
    {"openssl_tls13_protocol_version", TLS_HELLO_ALERT, 0x0303, 0, 0, 70, false},
};

ParameterizedTestParameters(tls_hello, captured_answers)
{
	return cr_make_param_array(struct capture_case, (void *)captures,
	                           sizeof(captures) / sizeof(captures[0]));
}

ParameterizedTest(const struct capture_case *c, tls_hello, captured_answers, .timeout = 10)
{
	static unsigned char buf[TLS_CAPTURE_MAX];
	size_t len = tls_capture_load(c->name, buf, sizeof(buf));
	struct tls_hello_answer a;
	cr_assert_eq(tls_hello_parse(buf, len, &a), c->kind, "%s: %s (%s)", c->name,
	             tls_hello_kind_name(a.kind), a.reason ? a.reason : "");
	cr_assert_eq(a.kind, c->kind);
	cr_assert_null(a.reason);
	cr_assert_eq(a.record_version, c->record_version);
	if (c->kind == TLS_HELLO_SERVER_HELLO) {
		cr_assert_eq(a.version, c->version, "version 0x%04x", a.version);
		cr_assert_eq(a.suite, c->suite, "suite 0x%04x", a.suite);
		cr_assert_eq(a.compression, 0);
		cr_assert_eq(a.hello_retry, c->hello_retry);
	} else {
		cr_assert_eq(a.alert_level, 2, "fatal");
		cr_assert_eq(a.alert_description, c->alert);
	}
	/* Trailing bytes after the record are not part of it. */
	memcpy(buf + len, "\x15\x03\x03\x00\x02\x02\x28", 7);
	struct tls_hello_answer more;
	cr_assert_eq(tls_hello_parse(buf, len + 7, &more), c->kind);
	cr_assert_eq(more.suite, a.suite);
	cr_assert_eq(more.alert_description, a.alert_description);
	/* Every truncation, in a buffer of exactly that size so ASan sees overreads. */
	for (size_t cut = 0; cut < len; cut++) {
		unsigned char *part = malloc(cut ? cut : 1);
		cr_assert_not_null(part);
		memcpy(part, buf, cut);
		cr_assert_eq(tls_hello_parse(part, cut, &a), TLS_HELLO_TRUNCATED, "%s cut at %zu",
		             c->name, cut);
		cr_assert_not_null(a.reason);
		free(part);
	}
}

/* ---- hostile and foreign answers ---- */

struct mutation {
	char name[48];
	char capture[40];
	size_t offset; /* byte to overwrite */
	unsigned char value;
	size_t cut; /* 0, or the length to keep */
	enum tls_hello_kind kind;
	char reason[64]; /* start of the reason */
};

/*
 * Offsets in a TLS 1.2 ServerHello record: 0 type, 1-2 version, 3-4
 * length, 5 handshake type, 6-8 its length, 9-10 server_version, 11-42
 * random, 43 session id length. OpenSSL's has a 32-byte session id, so
 * 76-77 suite, 78 compression, 79-80 extensions length.
 */
static const struct mutation mutations[] = {
    {"record_too_long", "openssl_tls12_ecdhe_gcm", 3, 0x48, 0, TLS_HELLO_MALFORMED,
     "record longer"},
    {"record_longer_than_bytes", "openssl_tls12_ecdhe_gcm", 4, 0xff, 0, TLS_HELLO_TRUNCATED,
     "record shorter"},
    {"certificate_first", "openssl_tls12_ecdhe_gcm", 5, 11, 0, TLS_HELLO_MALFORMED,
     "first handshake message"},
    {"message_past_record", "openssl_tls12_ecdhe_gcm", 8, 0xff, 0, TLS_HELLO_TRUNCATED,
     "ServerHello continues"},
    {"message_short_of_fields", "openssl_tls12_ecdhe_gcm", 8, 40, 0, TLS_HELLO_MALFORMED,
     "ServerHello shorter"},
    {"session_id_33", "openssl_tls12_ecdhe_gcm", 43, 33, 0, TLS_HELLO_MALFORMED,
     "session id longer"},
    {"session_id_past_message", "openssl_tls12_ecdhe_gcm", 43, 0xff, 0, TLS_HELLO_MALFORMED,
     "ServerHello shorter"},
    {"server_version_2", "openssl_tls12_ecdhe_gcm", 9, 2, 0, TLS_HELLO_MALFORMED,
     "ServerHello version"},
    {"extensions_overrun", "openssl_tls12_ecdhe_gcm", 80, 0xff, 0, TLS_HELLO_MALFORMED,
     "ServerHello extensions"},
    {"extensions_short", "openssl_tls12_ecdhe_gcm", 80, 0x01, 0, TLS_HELLO_MALFORMED,
     "ServerHello extensions"},
    {"extension_overrun", "openssl_tls12_ecdhe_gcm", 84, 0xff, 0, TLS_HELLO_MALFORMED,
     "ServerHello extension runs"},
    {"application_data", "openssl_tls12_ecdhe_gcm", 0, 23, 0, TLS_HELLO_MALFORMED, "first record"},
    {"change_cipher_spec", "openssl_tls12_ecdhe_gcm", 0, 20, 0, TLS_HELLO_MALFORMED,
     "first record"},
    {"handshake_header_cut", "openssl_tls12_ecdhe_gcm", 4, 2, 7, TLS_HELLO_TRUNCATED,
     "handshake header"},
    {"empty_alert", "openssl_tls12_handshake_failure", 4, 0, 5, TLS_HELLO_MALFORMED, "empty alert"},
    {"one_byte_alert", "openssl_tls12_handshake_failure", 4, 1, 6, TLS_HELLO_TRUNCATED,
     "alert record of one byte"},
    {"alert_level_3", "openssl_tls12_handshake_failure", 5, 3, 0, TLS_HELLO_MALFORMED,
     "alert level"},
    {"major_version_2", "openssl_tls12_handshake_failure", 1, 2, 0, TLS_HELLO_NOT_TLS,
     "not a TLS record"},
};

ParameterizedTestParameters(tls_hello, hostile_answers)
{
	return cr_make_param_array(struct mutation, (void *)mutations,
	                           sizeof(mutations) / sizeof(mutations[0]));
}

ParameterizedTest(const struct mutation *m, tls_hello, hostile_answers, .timeout = 10)
{
	static unsigned char buf[TLS_CAPTURE_MAX];
	size_t len = tls_capture_load(m->capture, buf, sizeof(buf));
	cr_assert_lt(m->offset, len);
	buf[m->offset] = m->value;
	if (m->cut != 0)
		len = m->cut;
	unsigned char *exact = malloc(len);
	cr_assert_not_null(exact);
	memcpy(exact, buf, len);
	struct tls_hello_answer a;
	enum tls_hello_kind kind = tls_hello_parse(exact, len, &a);
	free(exact);
	cr_assert_eq(kind, m->kind, "%s: %s (%s)", m->name, tls_hello_kind_name(kind),
	             a.reason ? a.reason : "");
	cr_assert_not_null(a.reason);
	cr_assert_eq(strncmp(a.reason, m->reason, strlen(m->reason)), 0, "%s: reason '%s'", m->name,
	             a.reason);
}

Test(tls_hello, supported_versions_must_be_a_3x_version, .timeout = 10)
{
	static unsigned char buf[TLS_CAPTURE_MAX];
	size_t len = tls_capture_load("openssl_tls13", buf, sizeof(buf));
	/* Find supported_versions (00 2b 00 02 03 04) and claim one byte less. */
	unsigned char *ext = memmem(buf, len, "\x00\x2b\x00\x02\x03\x04", 6);
	cr_assert_not_null(ext);
	ext[3] = 1;
	struct tls_hello_answer a;
	cr_assert_eq(tls_hello_parse(buf, len, &a), TLS_HELLO_MALFORMED);
	cr_assert_str_eq(a.reason, "supported_versions in a ServerHello is not two bytes");
	/* Found by fuzzing: a selected version that is no TLS version at all. */
	ext[3] = 2;
	ext[4] = 0x1d;
	cr_assert_eq(tls_hello_parse(buf, len, &a), TLS_HELLO_MALFORMED);
	cr_assert_str_eq(a.reason, "supported_versions selects a version that is not 3.x");
}

Test(tls_hello, smtp_reply_is_not_tls, .timeout = 10)
{
	static const char *const replies[] = {
	    "454 4.7.0 TLS not available due to local problem\r\n",
	    "220 2.0.0 Ready to start TLS\r\n",
	    "5",
	    "\x16",
	};
	static const enum tls_hello_kind kinds[] = {TLS_HELLO_NOT_TLS, TLS_HELLO_NOT_TLS,
	                                            TLS_HELLO_NOT_TLS, TLS_HELLO_TRUNCATED};
	for (size_t i = 0; i < sizeof(replies) / sizeof(replies[0]); i++) {
		struct tls_hello_answer a;
		enum tls_hello_kind k =
		    tls_hello_parse((const unsigned char *)replies[i], strlen(replies[i]), &a);
		cr_assert_eq(k, kinds[i], "reply %zu: %s", i, tls_hello_kind_name(k));
		cr_assert_not_null(a.reason);
	}
	struct tls_hello_answer a;
	cr_assert_eq(tls_hello_parse((const unsigned char *)"", 0, &a), TLS_HELLO_TRUNCATED);
}

/*
 * No SSL 2.0-only server is available to capture: these are the two
 * messages such a server sends first (SSL 2.0 draft, section 2.6):
 * SERVER-HELLO (type 4) and ERROR (type 0, NO-CIPHER-ERROR).
 */
Test(tls_hello, sslv2_answers, .timeout = 10)
{
	static const unsigned char server_hello[] = {0x80, 0x2e, 0x04, 0x00, 0x01, 0x00, 0x02};
	static const unsigned char error[] = {0x80, 0x03, 0x00, 0x00, 0x01};
	struct tls_hello_answer a;
	cr_assert_eq(tls_hello_parse(server_hello, sizeof(server_hello), &a), TLS_HELLO_SSLV2);
	cr_assert_not_null(a.reason);
	cr_assert_eq(tls_hello_parse(error, sizeof(error), &a), TLS_HELLO_SSLV2);
	cr_assert_eq(tls_hello_parse(error, 2, &a), TLS_HELLO_NOT_TLS, "too short to tell");
}

Test(tls_hello, names, .timeout = 10)
{
	cr_assert_str_eq(tls_hello_version_name(TLS_HELLO_SSL3), "SSLv3");
	cr_assert_str_eq(tls_hello_version_name(TLS_HELLO_TLS1_0), "TLSv1.0");
	cr_assert_str_eq(tls_hello_version_name(TLS_HELLO_TLS1_1), "TLSv1.1");
	cr_assert_str_eq(tls_hello_version_name(TLS_HELLO_TLS1_2), "TLSv1.2");
	cr_assert_str_eq(tls_hello_version_name(TLS_HELLO_TLS1_3), "TLSv1.3");
	cr_assert_null(tls_hello_version_name(0x0200));
	cr_assert_null(tls_hello_version_name(0x0305));
	cr_assert_null(tls_hello_version_name(0x7f1c));
	cr_assert_str_eq(tls_hello_alert_name(40), "handshake_failure");
	cr_assert_str_eq(tls_hello_alert_name(70), "protocol_version");
	cr_assert_str_eq(tls_hello_alert_name(80), "internal_error");
	cr_assert_str_eq(tls_hello_alert_name(112), "unrecognized_name");
	cr_assert_null(tls_hello_alert_name(1));
	cr_assert_null(tls_hello_alert_name(255));
	for (int k = TLS_HELLO_SERVER_HELLO; k <= TLS_HELLO_MALFORMED; k++)
		cr_assert_str_not_empty(tls_hello_kind_name((enum tls_hello_kind)k));
}
