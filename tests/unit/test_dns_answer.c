/*
 * NAME
 *	test_dns_answer - unit tests for the DNS reply parser and the resolver list syntax
 *
 * DESCRIPTION
 *	Replies are built byte by byte with a small wire writer (names as
 *	labels or compression pointers, records with their rdlength filled in
 *	afterwards) and parsed for every record type domain mode asks for:
 *	MX (order, null MX), TXT (several strings, NUL bytes, several
 *	records), TLSA, PTR, CNAME, A, AAAA; the AD bit; NXDOMAIN, NODATA,
 *	SERVFAIL, REFUSED; CNAME chains in and out of order, loops, and
 *	records of other owners. Hostile replies: every prefix of a reply,
 *	compression pointer loops, an rdlength past the end, rdata that does
 *	not fit its type, a question that is not the one asked, 1000 records
 *	and TXT past the cap. Last, good and bad resolver lists for
 *	dns_servers_check().
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include <arpa/nameser.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "dns.h"
#include "dns_answer.h"
#include "sa_error.h"

#define FLAGS_RESPONSE 0x8180u /* QR, RD, RA */
#define FLAG_AD        0x0020u
#define QUESTION_NAME  12u /* offset of the question name: the target of 0xc00c */

struct wire {
	unsigned char b[65535];
	size_t len;
};

static void w_u8(struct wire *w, unsigned v)
{
	cr_assert_lt(w->len, sizeof(w->b), "test reply too long");
	w->b[w->len++] = (unsigned char)v;
}

static void w_u16(struct wire *w, unsigned v)
{
	w_u8(w, v >> 8 & 0xff);
	w_u8(w, v & 0xff);
}

static void w_bytes(struct wire *w, const void *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		w_u8(w, ((const unsigned char *)p)[i]);
}

/* A dotted name as labels, ending in the root; "" is the root. */
static void w_name(struct wire *w, const char *name)
{
	while (*name != '\0') {
		size_t n = strcspn(name, ".");
		w_u8(w, (unsigned)n);
		w_bytes(w, name, n);
		name += n;
		if (*name == '.')
			name++;
	}
	w_u8(w, 0);
}

static void w_ptr(struct wire *w, size_t off)
{
	w_u16(w, 0xc000u | (unsigned)off);
}

/* Header and the question (name, type, IN). */
static void w_begin(struct wire *w, unsigned flags, const char *name, int type, unsigned an,
                    unsigned ns, unsigned ar)
{
	w->len = 0;
	w_u16(w, 0x1234);
	w_u16(w, flags);
	w_u16(w, 1);
	w_u16(w, an);
	w_u16(w, ns);
	w_u16(w, ar);
	w_name(w, name);
	w_u16(w, (unsigned)type);
	w_u16(w, ns_c_in);
}

/* Type, class IN, TTL and a placeholder rdlength after an owner the caller wrote; returns where
 * rdata starts. */
static size_t w_rr_fixed(struct wire *w, int type)
{
	w_u16(w, (unsigned)type);
	w_u16(w, ns_c_in);
	w_u16(w, 0);
	w_u16(w, 300);
	w_u16(w, 0);
	return w->len;
}

static size_t w_rr(struct wire *w, const char *owner, int type)
{
	w_name(w, owner);
	return w_rr_fixed(w, type);
}

/* The record owned by the question's name (a compression pointer). */
static size_t w_rr_q(struct wire *w, int type)
{
	w_ptr(w, QUESTION_NAME);
	return w_rr_fixed(w, type);
}

static void w_rr_end(struct wire *w, size_t rdata)
{
	size_t n = w->len - rdata;
	w->b[rdata - 2] = (unsigned char)(n >> 8);
	w->b[rdata - 1] = (unsigned char)n;
}

static void w_mx(struct wire *w, const char *owner, unsigned pref, const char *host)
{
	size_t at = w_rr(w, owner, ns_t_mx);
	w_u16(w, pref);
	w_name(w, host);
	w_rr_end(w, at);
}

static void w_a(struct wire *w, const char *owner, unsigned char last)
{
	size_t at = w_rr(w, owner, ns_t_a);
	const unsigned char a[4] = {127, 0, 0, last};
	w_bytes(w, a, sizeof(a));
	w_rr_end(w, at);
}

static void w_cname(struct wire *w, const char *owner, const char *target)
{
	size_t at = w_rr(w, owner, ns_t_cname);
	w_name(w, target);
	w_rr_end(w, at);
}

/* One TXT record of the given character-strings. */
static void w_txt(struct wire *w, const char *owner, const char *const *strings, size_t n)
{
	size_t at = w_rr(w, owner, ns_t_txt);
	for (size_t i = 0; i < n; i++) {
		w_u8(w, (unsigned)strlen(strings[i]));
		w_bytes(w, strings[i], strlen(strings[i]));
	}
	w_rr_end(w, at);
}

static void w_soa(struct wire *w, const char *zone)
{
	size_t at = w_rr(w, zone, ns_t_soa);
	w_name(w, "ns.example.test");
	w_name(w, "hostmaster.example.test");
	for (int i = 0; i < 5; i++) {
		w_u16(w, 0);
		w_u16(w, 300);
	}
	w_rr_end(w, at);
}

/* The EDNS OPT pseudo-record of the additional section. */
static void w_opt(struct wire *w)
{
	w_u8(w, 0);
	w_u16(w, ns_t_opt);
	w_u16(w, 1232);
	w_u16(w, 0);
	w_u16(w, 0);
	w_u16(w, 0);
}

static struct wire *wire_new(void)
{
	struct wire *w = calloc(1, sizeof(*w));
	cr_assert_not_null(w);
	return w;
}

static void parse(const struct wire *w, const char *name, int type, struct dns_answer *a)
{
	cr_assert_eq(dns_answer_parse(w->b, w->len, name, type, a), 0);
	cr_assert_eq(a->name, name);
	cr_assert_eq(a->type, type);
}

static void assert_failed(const struct dns_answer *a, const char *detail)
{
	cr_assert_eq(a->status, DNS_ANSWER_FAILED);
	cr_assert_str_eq(a->detail, detail);
	cr_assert_eq(a->nmx + a->ntxt + a->ntlsa + a->nnames + a->naddrs, 0);
	cr_assert_null(a->cname);
}

Test(dns_answer, mx_in_answer_order_lower_case)
{
	struct wire *w = wire_new();
	w_begin(w, FLAGS_RESPONSE, "Example.TEST", ns_t_mx, 2, 0, 0);
	w_mx(w, "example.test", 20, "MX2.Example.Test");
	w_mx(w, "EXAMPLE.test", 10, "mx1.example.test");
	struct dns_answer a;
	parse(w, "example.test", ns_t_mx, &a);
	cr_assert_eq(a.status, DNS_ANSWER_OK);
	cr_assert_not(a.authenticated);
	cr_assert_null(a.cname);
	cr_assert_eq(a.nmx, 2);
	cr_assert_eq(a.mx[0].preference, 20);
	cr_assert_str_eq(a.mx[0].host, "mx2.example.test");
	cr_assert_eq(a.mx[1].preference, 10);
	cr_assert_str_eq(a.mx[1].host, "mx1.example.test");
	dns_answer_free(&a);
	free(w);
}

Test(dns_answer, null_mx_is_the_empty_host)
{
	struct wire *w = wire_new();
	w_begin(w, FLAGS_RESPONSE, "nullmx.test", ns_t_mx, 1, 0, 0);
	w_mx(w, "nullmx.test", 0, "");
	struct dns_answer a;
	parse(w, "nullmx.test.", ns_t_mx, &a);
	cr_assert_eq(a.status, DNS_ANSWER_OK);
	cr_assert_eq(a.nmx, 1);
	cr_assert_eq(a.mx[0].preference, 0);
	cr_assert_str_eq(a.mx[0].host, "");
	dns_answer_free(&a);
	free(w);
}

Test(dns_answer, txt_strings_are_concatenated_per_record)
{
	struct wire *w = wire_new();
	w_begin(w, FLAGS_RESPONSE, "example.test", ns_t_txt, 3, 0, 0);
	const char *const spf[] = {"v=spf1 ip4:192.0.2.0/24 ", "", "-all"};
	w_txt(w, "example.test", spf, 3);
	const char *const other[] = {"google-site-verification=x"};
	w_txt(w, "example.test", other, 1);
	/* A string with a NUL byte inside. */
	size_t at = w_rr_q(w, ns_t_txt);
	w_bytes(w,
	        "\x03"
	        "a\0b",
	        4);
	w_rr_end(w, at);
	struct dns_answer a;
	parse(w, "example.test", ns_t_txt, &a);
	cr_assert_eq(a.status, DNS_ANSWER_OK);
	cr_assert_eq(a.ntxt, 3);
	cr_assert_str_eq(a.txt[0], "v=spf1 ip4:192.0.2.0/24 -all");
	cr_assert_str_eq(a.txt[1], "google-site-verification=x");
	cr_assert_str_eq(a.txt[2], "a?b");
	dns_answer_free(&a);
	free(w);
}

Test(dns_answer, tlsa_fields_and_data)
{
	static const unsigned char hash[32] = {0x8c, 0xb0, 0xfc, 0x6c, [31] = 0xf1};
	struct wire *w = wire_new();
	w_begin(w, FLAGS_RESPONSE | FLAG_AD, "_25._tcp.mx1.example.test", ns_t_tlsa, 2, 0, 1);
	size_t at = w_rr_q(w, ns_t_tlsa);
	w_bytes(w, "\x03\x01\x01", 3);
	w_bytes(w, hash, sizeof(hash));
	w_rr_end(w, at);
	at = w_rr_q(w, ns_t_tlsa);
	w_bytes(w, "\x02\x00\x00", 3);
	w_rr_end(w, at);
	w_opt(w);
	struct dns_answer a;
	parse(w, "_25._tcp.mx1.example.test", ns_t_tlsa, &a);
	cr_assert_eq(a.status, DNS_ANSWER_OK);
	cr_assert(a.authenticated);
	cr_assert_eq(a.ntlsa, 2);
	cr_assert_eq(a.tlsa[0].usage, 3);
	cr_assert_eq(a.tlsa[0].selector, 1);
	cr_assert_eq(a.tlsa[0].matching, 1);
	cr_assert_eq(a.tlsa[0].len, sizeof(hash));
	cr_assert_arr_eq(a.tlsa[0].data, hash, sizeof(hash));
	cr_assert_eq(a.tlsa[1].usage, 2);
	cr_assert_eq(a.tlsa[1].len, 0);
	dns_answer_free(&a);
	free(w);
}

Test(dns_answer, ptr_targets)
{
	struct wire *w = wire_new();
	w_begin(w, FLAGS_RESPONSE, "1.0.0.127.in-addr.arpa", ns_t_ptr, 1, 0, 0);
	size_t at = w_rr_q(w, ns_t_ptr);
	w_name(w, "MX1.example.test");
	w_rr_end(w, at);
	struct dns_answer a;
	parse(w, "1.0.0.127.in-addr.arpa", ns_t_ptr, &a);
	cr_assert_eq(a.status, DNS_ANSWER_OK);
	cr_assert_eq(a.nnames, 1);
	cr_assert_str_eq(a.names[0], "mx1.example.test");
	cr_assert_null(a.cname, "a PTR target is not an alias");
	dns_answer_free(&a);
	free(w);
}

Test(dns_answer, cname_query_gives_the_target_and_follows_nothing)
{
	struct wire *w = wire_new();
	w_begin(w, FLAGS_RESPONSE, "mx2.example.test", ns_t_cname, 2, 0, 0);
	w_cname(w, "mx2.example.test", "mx1.example.test");
	w_cname(w, "mx1.example.test", "elsewhere.test");
	struct dns_answer a;
	parse(w, "mx2.example.test", ns_t_cname, &a);
	cr_assert_eq(a.status, DNS_ANSWER_OK);
	cr_assert_eq(a.nnames, 1);
	cr_assert_str_eq(a.names[0], "mx1.example.test");
	cr_assert_str_eq(a.cname, "mx1.example.test");
	dns_answer_free(&a);
	free(w);
}

Test(dns_answer, a_and_aaaa_addresses)
{
	struct wire *w = wire_new();
	w_begin(w, FLAGS_RESPONSE, "mx1.example.test", ns_t_a, 2, 0, 0);
	w_a(w, "mx1.example.test", 1);
	w_a(w, "mx1.example.test", 2);
	struct dns_answer a;
	parse(w, "mx1.example.test", ns_t_a, &a);
	cr_assert_eq(a.status, DNS_ANSWER_OK);
	cr_assert_eq(a.naddrs, 2);
	cr_assert_eq(a.addrs[0].family, AF_INET);
	cr_assert_arr_eq(a.addrs[0].bytes, ((unsigned char[]){127, 0, 0, 1}), 4);
	cr_assert_arr_eq(a.addrs[1].bytes, ((unsigned char[]){127, 0, 0, 2}), 4);
	dns_answer_free(&a);

	static const unsigned char loopback6[16] = {[15] = 1};
	w_begin(w, FLAGS_RESPONSE, "mx1.example.test", ns_t_aaaa, 1, 0, 0);
	size_t at = w_rr_q(w, ns_t_aaaa);
	w_bytes(w, loopback6, sizeof(loopback6));
	w_rr_end(w, at);
	parse(w, "mx1.example.test", ns_t_aaaa, &a);
	cr_assert_eq(a.status, DNS_ANSWER_OK);
	cr_assert_eq(a.naddrs, 1);
	cr_assert_eq(a.addrs[0].family, AF_INET6);
	cr_assert_arr_eq(a.addrs[0].bytes, loopback6, 16);
	dns_answer_free(&a);
	free(w);
}

Test(dns_answer, ad_bit_is_reported)
{
	struct wire *w = wire_new();
	struct dns_answer a;
	for (int ad = 0; ad <= 1; ad++) {
		w_begin(w, FLAGS_RESPONSE | (ad ? FLAG_AD : 0), "example.test", ns_t_a, 1, 0, 0);
		w_a(w, "example.test", 1);
		parse(w, "example.test", ns_t_a, &a);
		cr_assert_eq(a.status, DNS_ANSWER_OK);
		cr_assert_eq(a.authenticated, ad == 1);
		dns_answer_free(&a);
	}
	free(w);
}

Test(dns_answer, nxdomain_and_nodata)
{
	struct wire *w = wire_new();
	struct dns_answer a;
	w_begin(w, FLAGS_RESPONSE | ns_r_nxdomain, "nope.example.test", ns_t_mx, 0, 1, 0);
	w_soa(w, "example.test");
	parse(w, "nope.example.test", ns_t_mx, &a);
	cr_assert_eq(a.status, DNS_ANSWER_NXDOMAIN);
	dns_answer_free(&a);

	w_begin(w, FLAGS_RESPONSE, "example.test", ns_t_tlsa, 0, 1, 0);
	w_soa(w, "example.test");
	parse(w, "example.test", ns_t_tlsa, &a);
	cr_assert_eq(a.status, DNS_ANSWER_NODATA);
	cr_assert_eq(a.ntlsa, 0);
	dns_answer_free(&a);
	free(w);
}

struct rcode_case {
	unsigned rcode;
	char detail[16];
};

static struct rcode_case rcode_cases[] = {
    {.rcode = ns_r_servfail, .detail = "SERVFAIL"},
    {.rcode = ns_r_refused, .detail = "REFUSED"},
    {.rcode = ns_r_formerr, .detail = "FORMERR"},
    {.rcode = ns_r_notimpl, .detail = "NOTIMP"},
    {.rcode = 9, .detail = "rcode 9"},
};

ParameterizedTestParameters(dns_answer, error_rcodes_fail)
{
	return cr_make_param_array(struct rcode_case, rcode_cases,
	                           sizeof(rcode_cases) / sizeof(rcode_cases[0]));
}

ParameterizedTest(struct rcode_case *c, dns_answer, error_rcodes_fail)
{
	struct wire *w = wire_new();
	w_begin(w, FLAGS_RESPONSE | c->rcode, "example.test", ns_t_mx, 0, 0, 0);
	struct dns_answer a;
	parse(w, "example.test", ns_t_mx, &a);
	assert_failed(&a, c->detail);
	dns_answer_free(&a);
	free(w);
}

Test(dns_answer, cname_chain_is_followed_and_strangers_ignored)
{
	struct wire *w = wire_new();
	w_begin(w, FLAGS_RESPONSE, "www.example.test", ns_t_a, 5, 0, 0);
	/* Out of order on purpose, with a record of an unrelated owner. */
	w_a(w, "evil.test", 66);
	w_a(w, "b.example.test", 7);
	w_cname(w, "a.example.test", "B.example.test");
	w_cname(w, "www.example.test", "a.example.test");
	w_a(w, "www.example.test", 8);
	struct dns_answer a;
	parse(w, "www.example.test", ns_t_a, &a);
	cr_assert_eq(a.status, DNS_ANSWER_OK);
	cr_assert_str_eq(a.cname, "a.example.test");
	cr_assert_eq(a.naddrs, 2);
	cr_assert_eq(a.addrs[0].bytes[3], 7);
	cr_assert_eq(a.addrs[1].bytes[3], 8);
	dns_answer_free(&a);
	free(w);
}

Test(dns_answer, cname_to_a_missing_name_is_nxdomain_with_the_alias)
{
	struct wire *w = wire_new();
	w_begin(w, FLAGS_RESPONSE | ns_r_nxdomain, "mail.example.test", ns_t_mx, 1, 0, 0);
	w_cname(w, "mail.example.test", "gone.example.test");
	struct dns_answer a;
	parse(w, "mail.example.test", ns_t_mx, &a);
	cr_assert_eq(a.status, DNS_ANSWER_NXDOMAIN);
	cr_assert_str_eq(a.cname, "gone.example.test");
	dns_answer_free(&a);
	free(w);
}

Test(dns_answer, cname_loop_ends)
{
	struct wire *w = wire_new();
	w_begin(w, FLAGS_RESPONSE, "a.test", ns_t_a, 2, 0, 0);
	w_cname(w, "a.test", "b.test");
	w_cname(w, "b.test", "a.test");
	struct dns_answer a;
	parse(w, "a.test", ns_t_a, &a);
	cr_assert_eq(a.status, DNS_ANSWER_NODATA);
	cr_assert_str_eq(a.cname, "b.test");
	dns_answer_free(&a);
	free(w);
}

Test(dns_answer, records_of_other_owners_or_types_are_nodata)
{
	struct wire *w = wire_new();
	w_begin(w, FLAGS_RESPONSE, "example.test", ns_t_mx, 2, 0, 0);
	w_mx(w, "attacker.test", 10, "mx.attacker.test");
	w_a(w, "example.test", 1);
	struct dns_answer a;
	parse(w, "example.test", ns_t_mx, &a);
	cr_assert_eq(a.status, DNS_ANSWER_NODATA);
	cr_assert_eq(a.nmx, 0);
	dns_answer_free(&a);
	free(w);
}

Test(dns_answer, compression_pointers_are_expanded)
{
	struct wire *w = wire_new();
	w_begin(w, FLAGS_RESPONSE, "example.test", ns_t_mx, 2, 0, 0);
	size_t at = w_rr_q(w, ns_t_mx);
	w_u16(w, 10);
	size_t mx1 = w->len; /* "mx1" then a pointer to the question's name */
	w_u8(w, 3);
	w_bytes(w, "mx1", 3);
	w_ptr(w, QUESTION_NAME);
	w_rr_end(w, at);
	/* The second host is a pointer to the first one. */
	at = w_rr_q(w, ns_t_mx);
	w_u16(w, 20);
	w_ptr(w, mx1);
	w_rr_end(w, at);
	struct dns_answer a;
	parse(w, "example.test", ns_t_mx, &a);
	cr_assert_eq(a.status, DNS_ANSWER_OK);
	cr_assert_eq(a.nmx, 2);
	cr_assert_str_eq(a.mx[0].host, "mx1.example.test");
	cr_assert_str_eq(a.mx[1].host, "mx1.example.test");
	cr_assert_eq(a.mx[1].preference, 20);
	dns_answer_free(&a);
	free(w);
}

/* A reply using every section: CNAME, two MX, an authority NS, an additional A and OPT. */
static void w_rich(struct wire *w)
{
	w_begin(w, FLAGS_RESPONSE | FLAG_AD, "mail.example.test", ns_t_mx, 3, 1, 2);
	w_cname(w, "mail.example.test", "example.test");
	w_mx(w, "example.test", 10, "mx1.example.test");
	w_mx(w, "example.test", 20, "mx2.example.test");
	size_t at = w_rr(w, "example.test", ns_t_ns);
	w_name(w, "ns.example.test");
	w_rr_end(w, at);
	w_a(w, "mx1.example.test", 1);
	w_opt(w);
}

Test(dns_answer, every_truncation_fails, .timeout = 30)
{
	struct wire *w = wire_new();
	w_rich(w);
	struct dns_answer a;
	parse(w, "mail.example.test", ns_t_mx, &a);
	cr_assert_eq(a.status, DNS_ANSWER_OK);
	cr_assert_eq(a.nmx, 2);
	cr_assert_str_eq(a.cname, "example.test");
	dns_answer_free(&a);
	for (size_t len = 0; len < w->len; len++) {
		/* A copy of exactly len bytes, so that a read past it is a heap overflow under
		 * ASan. */
		unsigned char *prefix = malloc(len > 0 ? len : 1);
		cr_assert_not_null(prefix);
		memcpy(prefix, w->b, len);
		cr_assert_eq(dns_answer_parse(prefix, len, "mail.example.test", ns_t_mx, &a), 0);
		cr_assert_eq(a.status, DNS_ANSWER_FAILED, "prefix of %zu bytes", len);
		cr_assert_str_eq(a.detail, "malformed answer");
		dns_answer_free(&a);
		free(prefix);
	}
	free(w);
}

Test(dns_answer, pointer_loops_fail)
{
	struct wire *w = wire_new();
	struct dns_answer a;
	/* An owner name that points at itself. */
	w_begin(w, FLAGS_RESPONSE, "example.test", ns_t_a, 1, 0, 0);
	size_t self = w->len;
	w_ptr(w, self);
	w_rr_fixed(w, ns_t_a);
	parse(w, "example.test", ns_t_a, &a);
	assert_failed(&a, "malformed answer");
	dns_answer_free(&a);

	/* Two pointers pointing at each other, reached after a label. */
	w_begin(w, FLAGS_RESPONSE, "example.test", ns_t_a, 1, 0, 0);
	size_t first = w->len;
	w_u8(w, 1);
	w_u8(w, 'x');
	w_ptr(w, first + 4);
	w_ptr(w, first + 2);
	w_rr_fixed(w, ns_t_a);
	parse(w, "example.test", ns_t_a, &a);
	assert_failed(&a, "malformed answer");
	dns_answer_free(&a);

	/* A pointer past the end of the message. */
	w_begin(w, FLAGS_RESPONSE, "example.test", ns_t_a, 1, 0, 0);
	w_ptr(w, 0x3fff);
	w_rr_fixed(w, ns_t_a);
	parse(w, "example.test", ns_t_a, &a);
	assert_failed(&a, "malformed answer");
	dns_answer_free(&a);
	free(w);
}

Test(dns_answer, rdlength_past_the_end_fails)
{
	struct wire *w = wire_new();
	w_begin(w, FLAGS_RESPONSE, "example.test", ns_t_a, 1, 0, 0);
	size_t at = w_rr_q(w, ns_t_a);
	w_bytes(w, "\x7f\x00\x00\x01", 4);
	w_rr_end(w, at);
	w->b[at - 1] = 5;
	struct dns_answer a;
	parse(w, "example.test", ns_t_a, &a);
	assert_failed(&a, "malformed answer");
	dns_answer_free(&a);

	/* In the additional section too, where nothing is kept. */
	w_begin(w, FLAGS_RESPONSE, "example.test", ns_t_a, 1, 0, 1);
	w_a(w, "example.test", 1);
	at = w_rr(w, "example.test", ns_t_txt);
	w->b[at - 2] = 0xff;
	parse(w, "example.test", ns_t_a, &a);
	assert_failed(&a, "malformed answer");
	dns_answer_free(&a);
	free(w);
}

/* Found by fuzz_dns_answer: c-ares stops a label at a NUL byte, which would cut the name short. */
Test(dns_answer, nul_byte_in_a_label_fails)
{
	struct wire *w = wire_new();
	w_begin(w, FLAGS_RESPONSE, "example.test", ns_t_mx, 1, 0, 0);
	size_t at = w_rr_q(w, ns_t_mx);
	w_u16(w, 10);
	w_bytes(w, "\003mx1\007example\001\000\000", 15);
	w_rr_end(w, at);
	struct dns_answer a;
	parse(w, "example.test", ns_t_mx, &a);
	assert_failed(&a, "malformed answer");
	dns_answer_free(&a);
	free(w);
}

struct bad_rdata {
	char name[24];
	int type;
	unsigned char rdata[24];
	size_t len;
};

static struct bad_rdata bad_rdata_cases[] = {
    {.name = "a_of_5_bytes", .type = ns_t_a, .rdata = {127, 0, 0, 1, 0}, .len = 5},
    {.name = "aaaa_of_4_bytes", .type = ns_t_aaaa, .rdata = {127, 0, 0, 1}, .len = 4},
    {.name = "mx_without_host", .type = ns_t_mx, .rdata = {0, 10}, .len = 2},
    {.name = "mx_host_past_rdata", .type = ns_t_mx, .rdata = {0, 10, 3, 'm', 'x'}, .len = 5},
    {.name = "mx_trailing_byte", .type = ns_t_mx, .rdata = {0, 10, 0, 0}, .len = 4},
    {.name = "txt_string_past_rdata", .type = ns_t_txt, .rdata = {5, 'a', 'b'}, .len = 3},
    {.name = "tlsa_of_2_bytes", .type = ns_t_tlsa, .rdata = {3, 1}, .len = 2},
    {.name = "ptr_empty", .type = ns_t_ptr, .len = 0},
    {.name = "cname_label_past_rdata", .type = ns_t_cname, .rdata = {4, 'a'}, .len = 2},
};

ParameterizedTestParameters(dns_answer, rdata_not_fitting_its_type_fails)
{
	return cr_make_param_array(struct bad_rdata, bad_rdata_cases,
	                           sizeof(bad_rdata_cases) / sizeof(bad_rdata_cases[0]));
}

ParameterizedTest(struct bad_rdata *c, dns_answer, rdata_not_fitting_its_type_fails)
{
	struct wire *w = wire_new();
	w_begin(w, FLAGS_RESPONSE, "example.test", c->type, 1, 0, 0);
	size_t at = w_rr_q(w, c->type);
	w_bytes(w, c->rdata, c->len);
	w_rr_end(w, at);
	struct dns_answer a;
	parse(w, "example.test", c->type, &a);
	assert_failed(&a, "malformed answer");
	dns_answer_free(&a);
	free(w);
}

Test(dns_answer, a_reply_to_another_question_fails)
{
	struct wire *w = wire_new();
	struct dns_answer a;
	w_begin(w, FLAGS_RESPONSE, "other.test", ns_t_a, 1, 0, 0);
	w_a(w, "other.test", 1);
	parse(w, "example.test", ns_t_a, &a);
	assert_failed(&a, "malformed answer");
	dns_answer_free(&a);

	w_begin(w, FLAGS_RESPONSE, "example.test", ns_t_aaaa, 1, 0, 0);
	w_a(w, "example.test", 1);
	parse(w, "example.test", ns_t_a, &a);
	assert_failed(&a, "malformed answer");
	dns_answer_free(&a);

	/* A query (QR clear) is not a reply. */
	w_begin(w, 0x0100, "example.test", ns_t_a, 1, 0, 0);
	w_a(w, "example.test", 1);
	parse(w, "example.test", ns_t_a, &a);
	assert_failed(&a, "malformed answer");
	dns_answer_free(&a);

	/* No question at all. */
	w_begin(w, FLAGS_RESPONSE, "example.test", ns_t_a, 0, 0, 0);
	w->b[5] = 0;
	parse(w, "example.test", ns_t_a, &a);
	assert_failed(&a, "malformed answer");
	dns_answer_free(&a);
	free(w);
}

Test(dns_answer, a_thousand_records_are_capped)
{
	struct wire *w = wire_new();
	w_begin(w, FLAGS_RESPONSE, "example.test", ns_t_mx, 1000, 0, 0);
	for (unsigned i = 0; i < 1000; i++) {
		size_t at = w_rr_q(w, ns_t_mx);
		w_u16(w, i);
		w_ptr(w, QUESTION_NAME);
		w_rr_end(w, at);
	}
	struct dns_answer a;
	parse(w, "example.test", ns_t_mx, &a);
	cr_assert_eq(a.status, DNS_ANSWER_OK);
	cr_assert_eq(a.nmx, DNS_ANSWER_MAX_RECORDS);
	cr_assert_eq(a.mx[0].preference, 0);
	cr_assert_eq(a.mx[DNS_ANSWER_MAX_RECORDS - 1].preference, DNS_ANSWER_MAX_RECORDS - 1);
	cr_assert_str_eq(a.mx[0].host, "example.test");
	dns_answer_free(&a);

	w_begin(w, FLAGS_RESPONSE, "example.test", ns_t_a, 1000, 0, 0);
	for (unsigned i = 0; i < 1000; i++) {
		size_t at = w_rr_q(w, ns_t_a);
		w_bytes(w, "\x7f\x00\x00\x01", 4);
		w_rr_end(w, at);
	}
	parse(w, "example.test", ns_t_a, &a);
	cr_assert_eq(a.naddrs, DNS_ANSWER_MAX_RECORDS);
	dns_answer_free(&a);
	free(w);
}

Test(dns_answer, txt_past_the_cap_is_dropped)
{
	/* 60 records of 600 bytes: more than DNS_ANSWER_MAX_TXT in all. */
	char chunk[201];
	memset(chunk, 'x', 200);
	chunk[200] = '\0';
	const char *const strings[] = {chunk, chunk, chunk};
	struct wire *w = wire_new();
	w_begin(w, FLAGS_RESPONSE, "example.test", ns_t_txt, 60, 0, 0);
	for (int i = 0; i < 60; i++)
		w_txt(w, "example.test", strings, 3);
	struct dns_answer a;
	parse(w, "example.test", ns_t_txt, &a);
	cr_assert_eq(a.status, DNS_ANSWER_OK);
	cr_assert_eq(a.ntxt, DNS_ANSWER_MAX_TXT / 600);
	size_t total = 0;
	for (size_t i = 0; i < a.ntxt; i++) {
		cr_assert_eq(strlen(a.txt[i]), 600);
		total += strlen(a.txt[i]);
	}
	cr_assert_leq(total, DNS_ANSWER_MAX_TXT);
	dns_answer_free(&a);
	free(w);
}

Test(dns_answer, supports_the_types_of_domain_mode_only)
{
	const int kept[] = {ns_t_mx, ns_t_txt, ns_t_tlsa, ns_t_ptr, ns_t_cname, ns_t_a, ns_t_aaaa};
	for (size_t i = 0; i < sizeof(kept) / sizeof(kept[0]); i++)
		cr_expect(dns_answer_supports(kept[i]), "type %d", kept[i]);
	cr_expect_not(dns_answer_supports(ns_t_ns));
	cr_expect_not(dns_answer_supports(ns_t_soa));
	cr_expect_not(dns_answer_supports(ns_t_any));
}

Test(dns_answer, failed_answer_holds_nothing)
{
	struct dns_answer a;
	dns_answer_failed(&a, "example.test", ns_t_mx, "timeout");
	cr_assert_str_eq(a.name, "example.test");
	cr_assert_eq(a.type, ns_t_mx);
	assert_failed(&a, "timeout");
	dns_answer_free(&a);
}

struct servers_case {
	char text[400];
	bool ok;
	char err_part[48]; /* what err must name when !ok */
};

static struct servers_case servers_cases[] = {
    {.text = "127.0.0.1", .ok = true},
    {.text = "127.0.0.1:5353", .ok = true},
    {.text = "[::1]", .ok = true},
    {.text = "[::1]:5353", .ok = true},
    {.text = "192.0.2.1,[2001:db8::1]:53,198.51.100.7:65535", .ok = true},
    {.text = "", .err_part = "\"\": empty"},
    {.text = "localhost", .err_part = "\"localhost\": not a numeric"},
    {.text = "::1", .err_part = "\"::1\""},
    {.text = "1.2.3", .err_part = "\"1.2.3\""},
    {.text = "127.0.0.1,resolver.example", .err_part = "\"resolver.example\""},
    {.text = "127.0.0.1,", .err_part = "empty"},
    {.text = "127.0.0.1:0", .err_part = "\"127.0.0.1:0\": port"},
    {.text = "127.0.0.1:65536", .err_part = "port must be 1-65535"},
    {.text = "127.0.0.1:", .err_part = "port"},
    {.text = "127.0.0.1:53x", .err_part = "port"},
    {.text = "127.0.0.1:053", .err_part = "port"},
    {.text = "[::1", .err_part = "no closing ]"},
    {.text = "[::1]x", .err_part = "no closing ]"},
    {.text = "[127.0.0.1]", .err_part = "\"[127.0.0.1]\""},
    {.text = "1.1.1.1,1.1.1.2,1.1.1.3,1.1.1.4,1.1.1.5,1.1.1.6,1.1.1.7,1.1.1.8,1.1.1.9,1.1.1.10,"
             "1.1.1.11,1.1.1.12,1.1.1.13,1.1.1.14,1.1.1.15,1.1.1.16,1.1.1.17",
     .err_part = "more than 16"},
};

ParameterizedTestParameters(dns, servers_check)
{
	return cr_make_param_array(struct servers_case, servers_cases,
	                           sizeof(servers_cases) / sizeof(servers_cases[0]));
}

ParameterizedTest(struct servers_case *c, dns, servers_check)
{
	char err[160] = "";
	int rc = dns_servers_check(c->text, err, sizeof(err));
	if (c->ok) {
		cr_assert_eq(rc, 0, "%s: %s", c->text, err);
	} else {
		cr_assert_eq(rc, SA_ERROR_PARSE, "%s accepted", c->text);
		cr_assert_not_null(strstr(err, c->err_part), "%s: err \"%s\"", c->text, err);
	}
}
