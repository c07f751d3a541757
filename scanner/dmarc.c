/*
 * NAME
 *	dmarc - DMARC records (RFC 7489): syntax, and what a domain's policy asks of receivers
 *
 * DESCRIPTION
 *	Tag values are checked by one table of rules; see dmarc.h for what
 *	is judged.
 *
 * DIAGNOSTICS
 *	See dmarc.h.
 */
#include "dmarc.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sa_error.h"

#define DMARC_VERSION "DMARC1"
#define DMARC_ERR_MAX 256

static const char *const dmarc_policy_names[] = {
    [DMARC_POLICY_NONE] = "none",
    [DMARC_POLICY_QUARANTINE] = "quarantine",
    [DMARC_POLICY_REJECT] = "reject",
};

static bool dmarc_policy_of(const char *value, enum dmarc_policy *out)
{
	for (size_t i = 0; i < sizeof(dmarc_policy_names) / sizeof(dmarc_policy_names[0]); i++)
		if (strcasecmp(value, dmarc_policy_names[i]) == 0) {
			*out = (enum dmarc_policy)i;
			return true;
		}
	return false;
}

static bool dmarc_policy_ok(const char *value)
{
	enum dmarc_policy p;
	return dmarc_policy_of(value, &p);
}

/* 1 to digits decimal digits whose value is at most max. */
static bool dmarc_number_ok(const char *value, size_t digits, unsigned long max)
{
	size_t n = strspn(value, "0123456789");
	if (n == 0 || n > digits || value[n] != '\0')
		return false;
	errno = 0;
	unsigned long v = strtoul(value, NULL, 10);
	return errno == 0 && v <= max;
}

static bool dmarc_pct_ok(const char *value)
{
	return dmarc_number_ok(value, 3, 100);
}

static bool dmarc_ri_ok(const char *value)
{
	return dmarc_number_ok(value, 32, 4294967295ul);
}

static bool dmarc_alignment_ok(const char *value)
{
	return strcasecmp(value, "r") == 0 || strcasecmp(value, "s") == 0;
}

/* A colon-separated list whose items pass item_ok (blanks around colons allowed). */
static bool dmarc_list_ok(const char *value, bool (*item_ok)(const char *item, size_t len))
{
	for (const char *p = value;;) {
		p += strspn(p, " \t");
		size_t len = strcspn(p, ":");
		size_t item = len;
		while (item > 0 && (p[item - 1] == ' ' || p[item - 1] == '\t'))
			item--;
		if (!item_ok(p, item))
			return false;
		if (p[len] == '\0')
			return true;
		p += len + 1;
	}
}

static bool dmarc_fo_item_ok(const char *item, size_t len)
{
	return len == 1 && strchr("01dDsS", item[0]) != NULL;
}

static bool dmarc_rf_item_ok(const char *item, size_t len)
{
	if (len == 0)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!isalnum((unsigned char)item[i]) && item[i] != '-')
			return false;
	return true;
}

static bool dmarc_fo_ok(const char *value)
{
	return dmarc_list_ok(value, dmarc_fo_item_ok);
}

static bool dmarc_rf_ok(const char *value)
{
	return dmarc_list_ok(value, dmarc_rf_item_ok);
}

struct dmarc_rule {
	const char *name;
	bool (*ok)(const char *value);
	const char *expected;
};

static const struct dmarc_rule dmarc_rules[] = {
    {.name = "p", .ok = dmarc_policy_ok, .expected = "none, quarantine or reject"},
    {.name = "sp", .ok = dmarc_policy_ok, .expected = "none, quarantine or reject"},
    {.name = "pct", .ok = dmarc_pct_ok, .expected = "a number from 0 to 100"},
    {.name = "adkim", .ok = dmarc_alignment_ok, .expected = "r or s"},
    {.name = "aspf", .ok = dmarc_alignment_ok, .expected = "r or s"},
    {.name = "fo", .ok = dmarc_fo_ok, .expected = "0, 1, d or s, separated by colons"},
    {.name = "rf", .ok = dmarc_rf_ok, .expected = "format names separated by colons"},
    {.name = "ri", .ok = dmarc_ri_ok, .expected = "a number of seconds below 2^32"},
};

bool dmarc_is_record(const char *txt)
{
	return dns_tags_versioned(txt, DMARC_VERSION, true);
}

static int dmarc_fail(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int dmarc_fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return SA_ERROR_PARSE;
}

static int dmarc_check_tag(const struct dns_tags *tags, const struct dns_tag *t, char *err,
                           size_t errlen)
{
	if (dns_tags_count(tags, t->name) > 1)
		return dmarc_fail(err, errlen, "tag %s appears more than once", t->name);
	for (size_t i = 0; i < sizeof(dmarc_rules) / sizeof(dmarc_rules[0]); i++)
		if (strcmp(dmarc_rules[i].name, t->name) == 0 && !dmarc_rules[i].ok(t->value))
			return dmarc_fail(err, errlen, "%s=%s at offset %zu: expected %s", t->name,
			                  t->value, t->offset, dmarc_rules[i].expected);
	return 0;
}

/* Sets the typed fields from tags that passed their rules. */
static void dmarc_fill(struct dmarc_record *r)
{
	const struct dns_tag *p = dns_tags_find(&r->tags, "p");
	const struct dns_tag *sp = dns_tags_find(&r->tags, "sp");
	const struct dns_tag *pct = dns_tags_find(&r->tags, "pct");
	const struct dns_tag *rua = dns_tags_find(&r->tags, "rua");
	const struct dns_tag *ruf = dns_tags_find(&r->tags, "ruf");
	r->has_p = p != NULL && dmarc_policy_of(p->value, &r->p);
	r->has_sp = sp != NULL && dmarc_policy_of(sp->value, &r->sp);
	if (!r->has_sp)
		r->sp = r->p;
	r->pct = pct != NULL ? (unsigned)strtoul(pct->value, NULL, 10) : 100;
	r->rua = rua != NULL ? rua->value : NULL;
	r->ruf = ruf != NULL ? ruf->value : NULL;
}

int dmarc_parse(const char *text, struct dmarc_record *out, char *err, size_t errlen)
{
	*out = (struct dmarc_record){0};
	if (!dmarc_is_record(text))
		return dmarc_fail(err, errlen, "does not start with v=DMARC1");
	int rc = dns_tags_parse(&out->tags, text, true, err, errlen);
	for (size_t i = 0; rc == 0 && i < out->tags.n; i++)
		rc = dmarc_check_tag(&out->tags, &out->tags.tags[i], err, errlen);
	if (rc < 0) {
		dmarc_record_free(out);
		return rc;
	}
	dmarc_fill(out);
	return 0;
}

void dmarc_record_free(struct dmarc_record *r)
{
	dns_tags_free(&r->tags);
	*r = (struct dmarc_record){0};
}

/* ---- the judge ---- */

struct dmarc_judgement {
	const char *domain;
	const char *record;
	struct dns_findings *out;
};

static int dmarc_add(const struct dmarc_judgement *j, enum catalog_id id, const char *variant,
                     const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* A finding quoting the record. */
static int dmarc_add(const struct dmarc_judgement *j, enum catalog_id id, const char *variant,
                     const char *fmt, ...)
{
	struct finding *f;
	va_list ap;
	va_start(ap, fmt);
	int rc = dns_findings_addv(j->out, &f, id, variant, fmt, ap);
	va_end(ap);
	if (rc == 0 && j->record != NULL)
		rc = dns_findings_evidence(f, EVIDENCE_RECEIVED, "TXT _dmarc.%s: %s", j->domain,
		                           j->record);
	return rc;
}

static int dmarc_judge_uris(const struct dmarc_judgement *j, const char *tag, const char *value)
{
	char err[DMARC_ERR_MAX];
	if (value == NULL || dns_tags_check_uris(value, DNS_TAGS_URI_MAILTO | DNS_TAGS_URI_SIZE,
	                                         err, sizeof(err)) == 0)
		return 0;
	return dmarc_add(j, CATALOG_DNS_DMARC_RUA_INVALID, tag, "%s of the DMARC record of %s: %s",
	                 tag, j->domain, err);
}

static bool dmarc_rua_usable(const struct dmarc_record *r)
{
	char err[DMARC_ERR_MAX];
	return r->rua != NULL &&
	       dns_tags_check_uris(r->rua, DNS_TAGS_URI_MAILTO | DNS_TAGS_URI_SIZE, err,
	                           sizeof(err)) == 0;
}

static int dmarc_judge_policy(const struct dmarc_judgement *j, const struct dmarc_record *r)
{
	int rc = 0;
	if (r->p == DMARC_POLICY_NONE)
		rc = dmarc_add(
		    j, CATALOG_DNS_DMARC_POLICY_NONE, NULL,
		    "the DMARC policy of %s is p=none: failing mail is delivered as usual",
		    j->domain);
	if (rc == 0 && r->p != DMARC_POLICY_NONE && r->pct < 100)
		rc = dmarc_add(j, CATALOG_DNS_DMARC_PCT_PARTIAL, NULL,
		               "pct=%u: p=%s applies to only %u%% of the failing mail of %s",
		               r->pct, dmarc_policy_names[r->p], r->pct, j->domain);
	if (rc == 0 && r->rua == NULL)
		rc = dmarc_add(j, CATALOG_DNS_DMARC_NO_RUA, NULL,
		               "the DMARC record of %s has no rua tag", j->domain);
	if (rc == 0 && r->has_sp && r->sp == DMARC_POLICY_NONE && r->p != DMARC_POLICY_NONE)
		rc = dmarc_add(j, CATALOG_DNS_DMARC_SUBDOMAIN_NONE, NULL,
		               "p=%s but sp=none: subdomains of %s are not protected",
		               dmarc_policy_names[r->p], j->domain);
	if (rc == 0)
		rc = dmarc_judge_uris(j, "rua", r->rua);
	if (rc == 0)
		rc = dmarc_judge_uris(j, "ruf", r->ruf);
	return rc;
}

static int dmarc_judge_record(struct dmarc_judgement *j)
{
	struct dmarc_record r;
	char err[DMARC_ERR_MAX] = "";
	int rc = dmarc_parse(j->record, &r, err, sizeof(err));
	if (rc == SA_ERROR_NOMEM)
		return rc;
	if (rc < 0)
		return dmarc_add(j, CATALOG_DNS_DMARC_INVALID, "syntax",
		                 "the DMARC record of %s is invalid: %s", j->domain, err);
	if (!r.has_p) {
		bool fallback = dmarc_rua_usable(&r);
		rc = dmarc_add(j, CATALOG_DNS_DMARC_INVALID, "no-policy",
		               "the DMARC record of %s has no p tag: receivers %s", j->domain,
		               fallback ? "act as if it said p=none, because rua is usable"
		                        : "apply no DMARC policy");
		if (rc < 0 || !fallback) {
			dmarc_record_free(&r);
			return rc;
		}
	}
	rc = dmarc_judge_policy(j, &r);
	dmarc_record_free(&r);
	return rc;
}

int dmarc_judge(const char *domain, const char *const *txt, size_t ntxt, struct dns_findings *out)
{
	struct dmarc_judgement j = {.domain = domain, .out = out};
	size_t count = 0;
	for (size_t i = 0; i < ntxt; i++)
		if (dmarc_is_record(txt[i]) && count++ == 0)
			j.record = txt[i];
	if (count == 0)
		return dns_findings_add(out, NULL, CATALOG_DNS_DMARC_MISSING, NULL,
		                        "_dmarc.%s has no TXT record starting with v=DMARC1",
		                        domain);
	if (count == 1)
		return dmarc_judge_record(&j);
	struct finding *f;
	int rc = dns_findings_add(out, &f, CATALOG_DNS_DMARC_INVALID, "multiple",
	                          "_dmarc.%s has %zu DMARC records: receivers apply none of them",
	                          domain, count);
	for (size_t i = 0; rc == 0 && i < ntxt; i++)
		if (dmarc_is_record(txt[i]))
			rc = dns_findings_evidence(f, EVIDENCE_RECEIVED, "TXT _dmarc.%s: %s",
			                           domain, txt[i]);
	return rc;
}
