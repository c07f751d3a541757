/*
 * NAME
 *	test_catalog - the findings catalogue is complete and well formed
 *
 * DESCRIPTION
 *	Every CATALOG_MAP id has an entry whose public id is the one in the
 *	map, with complete text, advice for every recognised mail server, and
 *	text that is plain ASCII without tabs or trailing blanks, so that
 *	every report writer can print it. Lookups by public id and severity
 *	names round-trip and refuse anything else.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <regex.h>
#include <stdbool.h>
#include <string.h>

#include "catalog.h"

/* The map as the test sees it: each id's enum value and public id. */
static const struct catalog_case {
	enum catalog_id id;
	const char *public_id;
} catalog_cases[] = {
#define CATALOG_CASE(name, public_id) {CATALOG_##name, public_id},
    CATALOG_MAP(CATALOG_CASE)
#undef CATALOG_CASE
};
_Static_assert(sizeof(catalog_cases) / sizeof(catalog_cases[0]) == CATALOG_COUNT,
               "one case per catalogue id");

/* Parameters are copied into each test process, so they hold no pointers. */
static enum catalog_id catalog_ids[] = {
#define CATALOG_ID(name, public_id) CATALOG_##name,
    CATALOG_MAP(CATALOG_ID)
#undef CATALOG_ID
};

static const char *map_public_id(enum catalog_id id)
{
	for (size_t i = 0; i < CATALOG_COUNT; i++)
		if (catalog_cases[i].id == id)
			return catalog_cases[i].public_id;
	cr_assert_fail("id %d is not in CATALOG_MAP", id);
	return NULL;
}

static const enum mta known_mtas[] = {MTA_POSTFIX, MTA_EXIM, MTA_SENDMAIL, MTA_EXCHANGE,
                                      MTA_OPENSMTPD};
_Static_assert(sizeof(known_mtas) / sizeof(known_mtas[0]) == MTA_COUNT - 1,
               "every mta except MTA_UNKNOWN is a known one");

static bool public_id_well_formed(const char *public_id)
{
	regex_t re;
	int rc;

	cr_assert_eq(regcomp(&re, "^SMTP-[A-Z]+-[0-9]{3}$", REG_EXTENDED | REG_NOSUB), 0);
	rc = regexec(&re, public_id, 0, NULL, 0);
	regfree(&re);
	return rc == 0;
}

/* Report writers print text as it is: no tabs, no control bytes but newline,
 * no non-ASCII bytes, no blank at a line end, no empty lines. */
static void assert_clean_text(const char *text, bool multiline, const char *what,
                              const char *public_id)
{
	size_t len = strlen(text);

	cr_assert_gt(len, 0, "%s of %s is empty", what, public_id);
	cr_assert_neq(text[0], ' ', "%s of %s starts with a blank", what, public_id);
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)text[i];
		bool line_end = i + 1 == len || text[i + 1] == '\n';

		cr_assert(c != '\n' || multiline, "%s of %s spans lines", what, public_id);
		cr_assert(c == '\n' || (c >= 0x20 && c < 0x7f), "%s of %s has byte 0x%02x at %zu",
		          what, public_id, c, i);
		cr_assert(!(c == ' ' && line_end), "%s of %s has a trailing blank at %zu", what,
		          public_id, i);
		cr_assert(!(c == '\n' && line_end), "%s of %s has an empty line at %zu", what,
		          public_id, i);
	}
}

ParameterizedTestParameters(catalog, entry_is_complete)
{
	return cr_make_param_array(enum catalog_id, catalog_ids, CATALOG_COUNT);
}

ParameterizedTest(enum catalog_id *id, catalog, entry_is_complete, .timeout = 10)
{
	const char *public_id = map_public_id(*id);
	const struct catalog_entry *e = catalog_get(*id);
	size_t title_len;

	cr_assert_not_null(e);
	cr_assert_str_eq(e->public_id, public_id, "entry %d carries the wrong id", *id);
	cr_assert(public_id_well_formed(e->public_id), "malformed id %s", e->public_id);
	cr_assert_lt(e->severity, SEVERITY_COUNT);

	cr_assert_not_null(e->title, "%s has no title", public_id);
	cr_assert_not_null(e->description, "%s has no description", public_id);
	cr_assert_not_null(e->remediation, "%s has no remediation", public_id);
	cr_assert_not_null(e->references, "%s has no references", public_id);
	assert_clean_text(e->title, false, "title", public_id);
	assert_clean_text(e->description, false, "description", public_id);
	assert_clean_text(e->remediation, false, "remediation", public_id);
	assert_clean_text(e->references, false, "references", public_id);

	title_len = strlen(e->title);
	cr_assert_leq(title_len, 80, "title of %s has %zu characters", public_id, title_len);
	cr_assert_neq(e->title[title_len - 1], '.', "title of %s ends with a period", public_id);
	cr_assert_eq(e->description[strlen(e->description) - 1], '.',
	             "description of %s is not a finished sentence", public_id);
	cr_assert_eq(e->remediation[strlen(e->remediation) - 1], '.',
	             "remediation of %s is not a finished sentence", public_id);
}

ParameterizedTestParameters(catalog, every_known_mta_has_advice)
{
	return cr_make_param_array(enum catalog_id, catalog_ids, CATALOG_COUNT);
}

ParameterizedTest(enum catalog_id *id, catalog, every_known_mta_has_advice, .timeout = 10)
{
	const char *public_id = map_public_id(*id);
	const struct catalog_entry *e = catalog_get(*id);

	cr_assert_null(e->advice[MTA_UNKNOWN], "%s has advice for an unknown server", public_id);
	for (size_t i = 0; i < MTA_COUNT - 1; i++) {
		const char *advice = e->advice[known_mtas[i]];

		cr_assert_not_null(advice, "%s lacks advice for mta %d", public_id, known_mtas[i]);
		assert_clean_text(advice, true, "advice", public_id);
	}
}

Test(catalog, public_ids_are_unique, .timeout = 10)
{
	for (size_t i = 0; i < CATALOG_COUNT; i++)
		for (size_t j = i + 1; j < CATALOG_COUNT; j++)
			cr_assert_str_neq(catalog_get((enum catalog_id)i)->public_id,
			                  catalog_get((enum catalog_id)j)->public_id,
			                  "entries %zu and %zu share an id", i, j);
}

Test(catalog, lookup_round_trips_every_id, .timeout = 10)
{
	for (size_t i = 0; i < CATALOG_COUNT; i++) {
		enum catalog_id found = CATALOG_COUNT;

		cr_assert(catalog_lookup(catalog_cases[i].public_id, &found), "%s not found",
		          catalog_cases[i].public_id);
		cr_assert_eq(found, catalog_cases[i].id, "%s found as %d",
		             catalog_cases[i].public_id, found);
	}
}

Test(catalog, lookup_rejects_unknown_ids, .timeout = 10)
{
	static const char *const unknown[] = {
	    "",
	    "SMTP-RELAY-999",
	    "smtp-relay-001",
	    "SMTP-RELAY-00",
	    "SMTP-RELAY-0011",
	    "SMTP-RELAY-001 ",
	    " SMTP-RELAY-001",
	    "SMTP-RELAY",
	    "RELAY_OPEN",
	};
	enum catalog_id found;

	for (size_t i = 0; i < sizeof(unknown) / sizeof(unknown[0]); i++)
		cr_assert_not(catalog_lookup(unknown[i], &found), "\"%s\" was accepted",
		              unknown[i]);
}

Test(catalog, advice_is_specific_or_falls_back_to_remediation, .timeout = 10)
{
	for (size_t i = 0; i < CATALOG_COUNT; i++) {
		enum catalog_id id = (enum catalog_id)i;
		const struct catalog_entry *e = catalog_get(id);

		cr_assert_eq(catalog_advice(id, MTA_UNKNOWN), e->remediation);
		for (size_t j = 0; j < MTA_COUNT - 1; j++) {
			const char *advice = e->advice[known_mtas[j]];

			cr_assert_eq(catalog_advice(id, known_mtas[j]),
			             advice ? advice : e->remediation);
		}
	}
}

/* Fixed by the lead: SIEM rules and --fail-on depend on them. */
Test(catalog, severities_are_the_agreed_ones, .timeout = 10)
{
	static const enum finding_severity agreed[] = {
	    [CATALOG_RELAY_OPEN] = SEVERITY_CRITICAL,
	    [CATALOG_RELAY_ADDRESS_TRICK] = SEVERITY_HIGH,
	    [CATALOG_RELAY_SUSPECTED] = SEVERITY_MEDIUM,
	    [CATALOG_RELAY_CANARY_DELIVERED] = SEVERITY_CRITICAL,
	    [CATALOG_AUTH_CLEARTEXT_SUBMISSION] = SEVERITY_HIGH,
	    [CATALOG_AUTH_CLEARTEXT_MX] = SEVERITY_MEDIUM,
	    [CATALOG_AUTH_ADVERTISED_CLEARTEXT] = SEVERITY_LOW,
	    [CATALOG_AUTH_ANONYMOUS_ADVERTISED] = SEVERITY_LOW,
	    [CATALOG_AUTH_ANONYMOUS_ACCEPTED] = SEVERITY_CRITICAL,
	    [CATALOG_AUTH_ANONYMOUS_RELAY] = SEVERITY_CRITICAL,
	    [CATALOG_AUTH_WEAK_CHALLENGE] = SEVERITY_MEDIUM,
	    [CATALOG_AUTH_NTLM_DISCLOSURE] = SEVERITY_MEDIUM,
	    [CATALOG_HELO_INVALID_ACCEPTED] = SEVERITY_LOW,
	    [CATALOG_HELO_IMPERSONATION_ACCEPTED] = SEVERITY_MEDIUM,
	    [CATALOG_TLS_STARTTLS_MISSING] = SEVERITY_MEDIUM,
	    [CATALOG_TLS_STARTTLS_BROKEN] = SEVERITY_HIGH,
	    [CATALOG_TLS_NOT_ENFORCED] = SEVERITY_HIGH,
	    [CATALOG_TLS_IMPLICIT_BROKEN] = SEVERITY_HIGH,
	    [CATALOG_TLS_CAPS_CHANGED] = SEVERITY_INFO,
	    [CATALOG_TLS_LEGACY_PROTOCOL] = SEVERITY_MEDIUM,
	    [CATALOG_TLS_WEAK_CIPHER] = SEVERITY_MEDIUM,
	    [CATALOG_TLS_CBC_ONLY] = SEVERITY_LOW,
	    [CATALOG_TLS_NO_FORWARD_SECRECY] = SEVERITY_LOW,
	    [CATALOG_TLS_NO_MODERN_PROTOCOL] = SEVERITY_HIGH,
	    [CATALOG_TLS_PARAMETERS] = SEVERITY_INFO,
	    [CATALOG_TLS_STARTTLS_INJECTION] = SEVERITY_HIGH,
	    [CATALOG_TLS_DATA_BEFORE_HANDSHAKE] = SEVERITY_MEDIUM,
	    [CATALOG_CERT_UNTRUSTED] = SEVERITY_MEDIUM,
	    [CATALOG_CERT_EXPIRED] = SEVERITY_MEDIUM,
	    [CATALOG_CERT_NOT_YET_VALID] = SEVERITY_MEDIUM,
	    [CATALOG_CERT_EXPIRING] = SEVERITY_LOW,
	    [CATALOG_CERT_NAME_MISMATCH] = SEVERITY_MEDIUM,
	    [CATALOG_CERT_SELF_SIGNED] = SEVERITY_MEDIUM,
	    [CATALOG_CERT_WEAK_KEY] = SEVERITY_MEDIUM,
	    [CATALOG_CERT_WEAK_SIGNATURE] = SEVERITY_MEDIUM,
	    [CATALOG_ENUM_VRFY] = SEVERITY_MEDIUM,
	    [CATALOG_ENUM_EXPN] = SEVERITY_MEDIUM,
	    [CATALOG_ENUM_RCPT] = SEVERITY_INFO,
	    [CATALOG_EXPOSE_SOFTWARE_VERSION] = SEVERITY_LOW,
	    [CATALOG_EXPOSE_RISKY_EXTENSION] = SEVERITY_LOW,
	    [CATALOG_EXPOSE_SIZE_LIMIT] = SEVERITY_LOW,
	    [CATALOG_EXPOSE_PIPELINING_BROKEN] = SEVERITY_LOW,
	    [CATALOG_EXPOSE_XCLIENT_ACCEPTED] = SEVERITY_HIGH,
	    [CATALOG_DNS_SPF_MISSING] = SEVERITY_MEDIUM,
	    [CATALOG_DNS_SPF_INVALID] = SEVERITY_MEDIUM,
	    [CATALOG_DNS_SPF_PASS_ALL] = SEVERITY_HIGH,
	    [CATALOG_DNS_SPF_NEUTRAL_ALL] = SEVERITY_LOW,
	    [CATALOG_DNS_SPF_TOO_MANY_LOOKUPS] = SEVERITY_MEDIUM,
	    [CATALOG_DNS_DMARC_MISSING] = SEVERITY_MEDIUM,
	    [CATALOG_DNS_DMARC_INVALID] = SEVERITY_MEDIUM,
	    [CATALOG_DNS_DMARC_POLICY_NONE] = SEVERITY_LOW,
	    [CATALOG_DNS_DMARC_PCT_PARTIAL] = SEVERITY_LOW,
	    [CATALOG_DNS_DMARC_NO_RUA] = SEVERITY_LOW,
	    [CATALOG_DNS_DMARC_SUBDOMAIN_NONE] = SEVERITY_LOW,
	    [CATALOG_DNS_DMARC_RUA_INVALID] = SEVERITY_LOW,
	    [CATALOG_DNS_STS_MISSING] = SEVERITY_LOW,
	    [CATALOG_DNS_STS_RECORD_INVALID] = SEVERITY_MEDIUM,
	    [CATALOG_DNS_STS_POLICY_UNAVAILABLE] = SEVERITY_MEDIUM,
	    [CATALOG_DNS_STS_POLICY_INVALID] = SEVERITY_MEDIUM,
	    [CATALOG_DNS_STS_MODE_WEAK] = SEVERITY_LOW,
	    [CATALOG_DNS_STS_MAX_AGE_SHORT] = SEVERITY_LOW,
	    [CATALOG_DNS_STS_MX_UNCOVERED] = SEVERITY_MEDIUM,
	    [CATALOG_DNS_STS_ID_CHANGED] = SEVERITY_INFO,
	    [CATALOG_DNS_TLSRPT_MISSING] = SEVERITY_INFO,
	    [CATALOG_DNS_TLSRPT_INVALID] = SEVERITY_LOW,
	    [CATALOG_DNS_DANE_MISMATCH] = SEVERITY_HIGH,
	    [CATALOG_DNS_DANE_UNUSABLE] = SEVERITY_LOW,
	    [CATALOG_DNS_DANE_NOT_VALIDATED] = SEVERITY_MEDIUM,
	    [CATALOG_DNS_MX_CNAME] = SEVERITY_LOW,
	    [CATALOG_DNS_MX_IP_LITERAL] = SEVERITY_MEDIUM,
	    [CATALOG_DNS_MX_NO_FCRDNS] = SEVERITY_LOW,
	    [CATALOG_DNS_MX_BANNER_MISMATCH] = SEVERITY_LOW,
	    [CATALOG_DNS_MX_IMPLICIT] = SEVERITY_LOW,
	    [CATALOG_DNS_MX_NULL] = SEVERITY_INFO,
	    [CATALOG_DNS_MX_UNRESOLVABLE] = SEVERITY_MEDIUM,
	    [CATALOG_AUTH_SENDER_SPOOFING] = SEVERITY_HIGH,
	    [CATALOG_PASSIVE_CLEARTEXT_CREDENTIALS] = SEVERITY_HIGH,
	    [CATALOG_PASSIVE_AUTH_ADVERTISED_CLEARTEXT] = SEVERITY_MEDIUM,
	    [CATALOG_PASSIVE_CLIENT_IGNORED_STARTTLS] = SEVERITY_MEDIUM,
	    [CATALOG_PASSIVE_STARTTLS_REFUSED] = SEVERITY_HIGH,
	    [CATALOG_PASSIVE_TLS_LEGACY_PROTOCOL] = SEVERITY_MEDIUM,
	    [CATALOG_PASSIVE_TLS_WEAK_CIPHER] = SEVERITY_MEDIUM,
	    [CATALOG_PASSIVE_RELAY_OBSERVED] = SEVERITY_HIGH,
	    [CATALOG_PASSIVE_CLIENT_SEEN] = SEVERITY_INFO,
	    [CATALOG_PASSIVE_TLS_SEEN] = SEVERITY_INFO,
	};
	_Static_assert(sizeof(agreed) / sizeof(agreed[0]) == CATALOG_COUNT,
	               "a severity for every id");

	for (size_t i = 0; i < CATALOG_COUNT; i++)
		cr_assert_eq(catalog_get((enum catalog_id)i)->severity, agreed[i], "%s",
		             catalog_get((enum catalog_id)i)->public_id);
}

Test(catalog, severity_names_round_trip, .timeout = 10)
{
	for (size_t i = 0; i < SEVERITY_COUNT; i++) {
		enum finding_severity sev = (enum finding_severity)i;
		enum finding_severity parsed = SEVERITY_COUNT;
		const char *name = severity_name(sev);

		cr_assert_not_null(name);
		cr_assert(severity_parse(name, &parsed), "\"%s\" not parsed", name);
		cr_assert_eq(parsed, sev);
		for (size_t j = 0; j < i; j++)
			cr_assert_str_neq(name, severity_name((enum finding_severity)j));
	}
	cr_assert_str_eq(severity_name(SEVERITY_INFO), "info");
	cr_assert_str_eq(severity_name(SEVERITY_CRITICAL), "critical");
}

Test(catalog, severity_parse_ignores_case, .timeout = 10)
{
	enum finding_severity parsed = SEVERITY_INFO;

	cr_assert(severity_parse("HIGH", &parsed));
	cr_assert_eq(parsed, SEVERITY_HIGH);
	cr_assert(severity_parse("Medium", &parsed));
	cr_assert_eq(parsed, SEVERITY_MEDIUM);
}

Test(catalog, severity_parse_rejects_junk, .timeout = 10)
{
	static const char *const junk[] = {
	    "", "crit", "criticall", " high", "high ", "hi gh", "none", "unknown", "4", "lowest",
	};
	enum finding_severity parsed;

	for (size_t i = 0; i < sizeof(junk) / sizeof(junk[0]); i++)
		cr_assert_not(severity_parse(junk[i], &parsed), "\"%s\" was accepted", junk[i]);
}
