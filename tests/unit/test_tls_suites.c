/*
 * NAME
 *	test_tls_suites - the cipher suite table, its classification and the offer lists
 *
 * DESCRIPTION
 *	The table must be sorted and unique (lookup bisects it) and every
 *	name an IANA-style TLS_ name. A table of suites with their flags
 *	written out by hand, from the IANA registry and the RFCs that define
 *	each suite, checks the derived classification. tls_suites_select()
 *	must keep to its filter, order strongest first (the exact reverse
 *	for weakest first), keep suites out of versions that cannot
 *	negotiate them, and respect cap.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include <string.h>

#include "tls_hello.h"
#include "tls_suites.h"

Test(tls_suites, table_is_sorted_unique_and_named, .timeout = 10)
{
	size_t n = tls_suites_count();
	cr_assert_geq(n, 150);
	for (size_t i = 0; i < n; i++) {
		const struct tls_suite *s = tls_suites_at(i);
		cr_assert_eq(strncmp(s->name, "TLS_", 4), 0, "%s", s->name);
		cr_assert_eq(tls_suites_find(s->id), s, "lookup of 0x%04x", s->id);
		if (i > 0)
			cr_assert_gt(s->id, tls_suites_at(i - 1)->id, "order at %s", s->name);
		bool tls13 = s->flags & TLS_SUITE_TLS13;
		cr_assert_eq(strstr(s->name, "_WITH_") == NULL, tls13, "%s", s->name);
	}
}

struct classified {
	uint16_t id;
	char name[56];
	unsigned flags;
};

/* Flags by hand, not derived: the table's derivation is what is under test. */
static const struct classified classified[] = {
    {0x0001, "TLS_RSA_WITH_NULL_MD5", TLS_SUITE_NULL},
    {0x0003, "TLS_RSA_EXPORT_WITH_RC4_40_MD5", TLS_SUITE_EXPORT | TLS_SUITE_RC4},
    {0x0005, "TLS_RSA_WITH_RC4_128_SHA", TLS_SUITE_RC4},
    {0x0006, "TLS_RSA_EXPORT_WITH_RC2_CBC_40_MD5", TLS_SUITE_EXPORT | TLS_SUITE_CBC},
    {0x0009, "TLS_RSA_WITH_DES_CBC_SHA", TLS_SUITE_DES | TLS_SUITE_CBC},
    {0x000A, "TLS_RSA_WITH_3DES_EDE_CBC_SHA", TLS_SUITE_3DES | TLS_SUITE_CBC},
    {0x000B, "TLS_DH_DSS_EXPORT_WITH_DES40_CBC_SHA",
     TLS_SUITE_EXPORT | TLS_SUITE_DES | TLS_SUITE_CBC},
    {0x0014, "TLS_DHE_RSA_EXPORT_WITH_DES40_CBC_SHA",
     TLS_SUITE_EXPORT | TLS_SUITE_DES | TLS_SUITE_CBC | TLS_SUITE_FS},
    {0x0016, "TLS_DHE_RSA_WITH_3DES_EDE_CBC_SHA", TLS_SUITE_3DES | TLS_SUITE_CBC | TLS_SUITE_FS},
    {0x0017, "TLS_DH_anon_EXPORT_WITH_RC4_40_MD5",
     TLS_SUITE_ANON | TLS_SUITE_EXPORT | TLS_SUITE_RC4},
    {0x0019, "TLS_DH_anon_EXPORT_WITH_DES40_CBC_SHA",
     TLS_SUITE_ANON | TLS_SUITE_EXPORT | TLS_SUITE_DES | TLS_SUITE_CBC},
    {0x002F, "TLS_RSA_WITH_AES_128_CBC_SHA", TLS_SUITE_CBC},
    {0x0034, "TLS_DH_anon_WITH_AES_128_CBC_SHA", TLS_SUITE_ANON | TLS_SUITE_CBC},
    {0x003B, "TLS_RSA_WITH_NULL_SHA256", TLS_SUITE_NULL | TLS_SUITE_TLS12},
    {0x003C, "TLS_RSA_WITH_AES_128_CBC_SHA256", TLS_SUITE_CBC | TLS_SUITE_TLS12},
    {0x0062, "TLS_RSA_EXPORT1024_WITH_DES_CBC_SHA",
     TLS_SUITE_EXPORT | TLS_SUITE_DES | TLS_SUITE_CBC},
    {0x0088, "TLS_DHE_RSA_WITH_CAMELLIA_256_CBC_SHA", TLS_SUITE_CBC | TLS_SUITE_FS},
    {0x009C, "TLS_RSA_WITH_AES_128_GCM_SHA256", TLS_SUITE_AEAD | TLS_SUITE_TLS12},
    {0x00A6, "TLS_DH_anon_WITH_AES_128_GCM_SHA256",
     TLS_SUITE_ANON | TLS_SUITE_AEAD | TLS_SUITE_TLS12},
    {0x1301, "TLS_AES_128_GCM_SHA256", TLS_SUITE_AEAD | TLS_SUITE_FS | TLS_SUITE_TLS13},
    {0x1303, "TLS_CHACHA20_POLY1305_SHA256", TLS_SUITE_AEAD | TLS_SUITE_FS | TLS_SUITE_TLS13},
    {0xC002, "TLS_ECDH_ECDSA_WITH_RC4_128_SHA", TLS_SUITE_RC4},
    {0xC010, "TLS_ECDHE_RSA_WITH_NULL_SHA", TLS_SUITE_NULL | TLS_SUITE_FS},
    {0xC013, "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA", TLS_SUITE_CBC | TLS_SUITE_FS},
    {0xC015, "TLS_ECDH_anon_WITH_NULL_SHA", TLS_SUITE_NULL | TLS_SUITE_ANON},
    {0xC017, "TLS_ECDH_anon_WITH_3DES_EDE_CBC_SHA",
     TLS_SUITE_ANON | TLS_SUITE_3DES | TLS_SUITE_CBC},
    {0xC028, "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384",
     TLS_SUITE_CBC | TLS_SUITE_FS | TLS_SUITE_TLS12},
    {0xC02F, "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
     TLS_SUITE_AEAD | TLS_SUITE_FS | TLS_SUITE_TLS12},
    {0xC031, "TLS_ECDH_RSA_WITH_AES_128_GCM_SHA256", TLS_SUITE_AEAD | TLS_SUITE_TLS12},
    {0xC061, "TLS_ECDHE_RSA_WITH_ARIA_256_GCM_SHA384",
     TLS_SUITE_AEAD | TLS_SUITE_FS | TLS_SUITE_TLS12},
    {0xC0AE, "TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8", TLS_SUITE_AEAD | TLS_SUITE_FS | TLS_SUITE_TLS12},
    {0xCCA8, "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
     TLS_SUITE_AEAD | TLS_SUITE_FS | TLS_SUITE_TLS12},
};

ParameterizedTestParameters(tls_suites, classification)
{
	return cr_make_param_array(struct classified, (void *)classified,
	                           sizeof(classified) / sizeof(classified[0]));
}

ParameterizedTest(const struct classified *c, tls_suites, classification, .timeout = 10)
{
	const struct tls_suite *s = tls_suites_find(c->id);
	cr_assert_not_null(s, "0x%04x missing", c->id);
	cr_assert_str_eq(s->name, c->name);
	cr_assert_eq(s->flags, c->flags, "%s: flags 0x%x, expected 0x%x", c->name, s->flags,
	             c->flags);
}

Test(tls_suites, components_of_a_suite, .timeout = 10)
{
	const struct tls_suite *s = tls_suites_find(0xC030);
	cr_assert_not_null(s);
	cr_assert_eq(s->kx, TLS_KX_ECDHE);
	cr_assert_eq(s->auth, TLS_AUTH_RSA);
	cr_assert_eq(s->cipher, TLS_CIPHER_AES_256_GCM);
	cr_assert_eq(s->mac, TLS_MAC_AEAD);
	s = tls_suites_find(0x0013);
	cr_assert_eq(s->kx, TLS_KX_DHE);
	cr_assert_eq(s->auth, TLS_AUTH_DSS);
	cr_assert_eq(s->cipher, TLS_CIPHER_3DES_EDE_CBC);
	cr_assert_eq(s->mac, TLS_MAC_SHA1);
}

Test(tls_suites, unknown_ids_are_named_by_number, .timeout = 10)
{
	char buf[TLS_SUITES_NAME_MAX];
	static const uint16_t unknown[] = {0x0000, 0x00FF, 0x5600, 0xC0FF, 0xFFFF, 0x1306};
	static const char *const text[] = {"0x0000", "0x00FF", "0x5600",
	                                   "0xC0FF", "0xFFFF", "0x1306"};
	for (size_t i = 0; i < sizeof(unknown) / sizeof(unknown[0]); i++) {
		cr_assert_null(tls_suites_find(unknown[i]));
		cr_assert_str_eq(tls_suites_name(unknown[i], buf, sizeof(buf)), text[i]);
	}
	cr_assert_str_eq(tls_suites_name(0x002F, buf, sizeof(buf)), "TLS_RSA_WITH_AES_128_CBC_SHA");
}

Test(tls_suites, usable_by_version, .timeout = 10)
{
	const struct tls_suite *tls13 = tls_suites_find(0x1301);
	const struct tls_suite *gcm = tls_suites_find(0xC02F);
	const struct tls_suite *cbc = tls_suites_find(0x002F);
	for (uint16_t v = TLS_HELLO_SSL3; v <= TLS_HELLO_TLS1_3; v++) {
		cr_assert_eq(tls_suites_usable(tls13, v), v == TLS_HELLO_TLS1_3);
		cr_assert_eq(tls_suites_usable(gcm, v), v == TLS_HELLO_TLS1_2);
		cr_assert_eq(tls_suites_usable(cbc, v), v != TLS_HELLO_TLS1_3);
	}
}

static size_t count_table(uint16_t version, unsigned any, unsigned none)
{
	size_t n = 0;
	for (size_t i = 0; i < tls_suites_count(); i++) {
		const struct tls_suite *s = tls_suites_at(i);
		if (tls_suites_usable(s, version) && (any == 0 || (s->flags & any)) &&
		    !(s->flags & none))
			n++;
	}
	return n;
}

/* Strength rank, strongest 0: the order tls_suites.h documents. */
static int rank(uint16_t id)
{
	unsigned f = tls_suites_find(id)->flags;
	if (f & TLS_SUITE_NULL)
		return 8;
	if (f & TLS_SUITE_ANON)
		return 7;
	if (f & TLS_SUITE_EXPORT)
		return 6;
	if (f & (TLS_SUITE_RC4 | TLS_SUITE_DES))
		return 5;
	if (f & TLS_SUITE_3DES)
		return 4;
	return (f & TLS_SUITE_FS ? 0 : 2) + (f & TLS_SUITE_AEAD ? 0 : 1);
}

Test(tls_suites, select_orders_strongest_first, .timeout = 10)
{
	uint16_t ids[TLS_HELLO_MAX_SUITES], rev[TLS_HELLO_MAX_SUITES];
	size_t n = tls_suites_select(TLS_HELLO_TLS1_2, 0, 0, TLS_SUITES_STRONG_FIRST, ids,
	                             TLS_HELLO_MAX_SUITES);
	cr_assert_eq(n, count_table(TLS_HELLO_TLS1_2, 0, 0));
	cr_assert_eq(rank(ids[0]), 0);
	cr_assert_eq(rank(ids[n - 1]), 8);
	for (size_t i = 1; i < n; i++)
		cr_assert_leq(rank(ids[i - 1]), rank(ids[i]), "0x%04x before 0x%04x", ids[i - 1],
		              ids[i]);
	size_t m = tls_suites_select(TLS_HELLO_TLS1_2, 0, 0, TLS_SUITES_WEAK_FIRST, rev,
	                             TLS_HELLO_MAX_SUITES);
	cr_assert_eq(m, n);
	for (size_t i = 0; i < n; i++)
		cr_assert_eq(rev[i], ids[n - 1 - i]);
}

struct selection {
	uint16_t version;
	unsigned any, none;
};

static const struct selection selections[] = {
    {TLS_HELLO_SSL3, 0, 0},
    {TLS_HELLO_TLS1_0, TLS_SUITE_EXPORT, 0},
    {TLS_HELLO_TLS1_2, TLS_SUITE_NULL, 0},
    {TLS_HELLO_TLS1_2, TLS_SUITE_ANON, 0},
    {TLS_HELLO_TLS1_2, TLS_SUITE_AEAD, TLS_SUITE_WEAK},
    {TLS_HELLO_TLS1_2, TLS_SUITE_CBC, TLS_SUITE_WEAK},
    {TLS_HELLO_TLS1_1, TLS_SUITE_FS, TLS_SUITE_WEAK},
    {TLS_HELLO_TLS1_3, 0, 0},
};

ParameterizedTestParameters(tls_suites, select_filters)
{
	return cr_make_param_array(struct selection, (void *)selections,
	                           sizeof(selections) / sizeof(selections[0]));
}

ParameterizedTest(const struct selection *sel, tls_suites, select_filters, .timeout = 10)
{
	uint16_t ids[TLS_HELLO_MAX_SUITES];
	size_t n = tls_suites_select(sel->version, sel->any, sel->none, TLS_SUITES_STRONG_FIRST,
	                             ids, TLS_HELLO_MAX_SUITES);
	cr_assert_gt(n, 0);
	cr_assert_eq(n, count_table(sel->version, sel->any, sel->none));
	for (size_t i = 0; i < n; i++) {
		const struct tls_suite *s = tls_suites_find(ids[i]);
		cr_assert(tls_suites_usable(s, sel->version), "%s", s->name);
		cr_assert(sel->any == 0 || (s->flags & sel->any), "%s", s->name);
		cr_assert_eq(s->flags & sel->none, 0, "%s", s->name);
		for (size_t j = 0; j < i; j++)
			cr_assert_neq(ids[j], ids[i], "%s twice", s->name);
	}
}

Test(tls_suites, select_tls13_is_the_five_suites, .timeout = 10)
{
	uint16_t ids[8];
	size_t n = tls_suites_select(TLS_HELLO_TLS1_3, 0, 0, TLS_SUITES_STRONG_FIRST, ids, 8);
	cr_assert_eq(n, 5);
	for (size_t i = 0; i < n; i++)
		cr_assert_eq(ids[i], 0x1301 + i);
}

Test(tls_suites, select_respects_cap, .timeout = 10)
{
	uint16_t ids[4] = {0};
	uint16_t all[TLS_HELLO_MAX_SUITES];
	size_t n = tls_suites_select(TLS_HELLO_TLS1_2, 0, 0, TLS_SUITES_STRONG_FIRST, ids, 3);
	tls_suites_select(TLS_HELLO_TLS1_2, 0, 0, TLS_SUITES_STRONG_FIRST, all,
	                  TLS_HELLO_MAX_SUITES);
	cr_assert_eq(n, 3);
	cr_assert_eq(ids[3], 0, "wrote past cap");
	cr_assert_arr_eq(ids, all, 3 * sizeof(ids[0]));
}
