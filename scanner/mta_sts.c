/*
 * NAME
 *	mta_sts - MTA-STS (RFC 8461): the _mta-sts TXT record, the policy file, MX coverage
 *
 * DESCRIPTION
 *	The policy is copied once and cut into lines in place; its size and
 *	the number of mx patterns are bounded, so a hostile policy server
 *	costs bounded memory. See mta_sts.h for what is judged.
 *
 * DIAGNOSTICS
 *	See mta_sts.h.
 */
#include "mta_sts.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dns_tags.h"
#include "sa_error.h"
#include "smtp_addr.h"

#define MTA_STS_VERSION  "STSv1"
#define MTA_STS_KEY_MAX  32
#define MTA_STS_ERR_MAX  256
#define MTA_STS_HOST_MAX 256

static const char *const mta_sts_mode_names[] = {
    [MTA_STS_MODE_ENFORCE] = "enforce",
    [MTA_STS_MODE_TESTING] = "testing",
    [MTA_STS_MODE_NONE] = "none",
};

static int mta_sts_fail(char *err, size_t errlen, int rc, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int mta_sts_fail(char *err, size_t errlen, int rc, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return rc;
}

bool mta_sts_is_record(const char *txt)
{
	return dns_tags_versioned(txt, MTA_STS_VERSION, false);
}

static bool mta_sts_id_ok(const char *id)
{
	size_t len = strlen(id);
	if (len == 0 || len > MTA_STS_ID_MAX)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!isalnum((unsigned char)id[i]))
			return false;
	return true;
}

int mta_sts_parse_txt(const char *text, char id[MTA_STS_ID_MAX + 1], char *err, size_t errlen)
{
	struct dns_tags tags;
	id[0] = '\0';
	if (!mta_sts_is_record(text))
		return mta_sts_fail(err, errlen, SA_ERROR_PARSE, "does not start with v=STSv1");
	int rc = dns_tags_parse(&tags, text, false, err, errlen);
	if (rc < 0)
		return rc;
	const struct dns_tag *t = dns_tags_find(&tags, "id");
	if (t == NULL)
		rc = mta_sts_fail(err, errlen, SA_ERROR_PARSE, "no id field");
	else if (!mta_sts_id_ok(t->value))
		rc = mta_sts_fail(err, errlen, SA_ERROR_PARSE,
		                  "id \"%s\" at offset %zu is not 1 to 32 letters and digits",
		                  t->value, t->offset);
	else
		memcpy(id, t->value, strlen(t->value) + 1);
	dns_tags_free(&tags);
	return rc;
}

/* ---- the policy file ---- */

/* ["*."] host name, with at least two labels after any wildcard. */
static bool mta_sts_pattern_ok(const char *pattern)
{
	if (strncmp(pattern, "*.", 2) == 0)
		pattern += 2;
	return strlen(pattern) < MTA_STS_HOST_MAX && smtp_addr_is_hostname(pattern);
}

static bool mta_sts_max_age_of(const char *value, uint32_t *out)
{
	size_t n = strspn(value, "0123456789");
	if (n == 0 || n > 10 || value[n] != '\0')
		return false;
	unsigned long long v = strtoull(value, NULL, 10);
	if (v > MTA_STS_MAX_AGE_MAX)
		return false;
	*out = (uint32_t)v;
	return true;
}

static bool mta_sts_mode_of(const char *value, enum mta_sts_mode *out)
{
	for (size_t i = 0; i < sizeof(mta_sts_mode_names) / sizeof(mta_sts_mode_names[0]); i++)
		if (strcmp(value, mta_sts_mode_names[i]) == 0) {
			*out = (enum mta_sts_mode)i;
			return true;
		}
	return false;
}

struct mta_sts_seen {
	bool version, mode, max_age;
};

/* Applies one "key: value" field; fields other than mx count only the first time. */
static int mta_sts_field(struct mta_sts_policy *p, struct mta_sts_seen *seen, const char *key,
                         const char *value, size_t line, char *err, size_t errlen)
{
	if (strcmp(key, "mx") == 0) {
		if (!mta_sts_pattern_ok(value))
			return mta_sts_fail(err, errlen, SA_ERROR_PARSE,
			                    "line %zu: mx \"%s\" is not a host name or *.host name",
			                    line, value);
		if (p->nmx == MTA_STS_MAX_MX)
			return mta_sts_fail(err, errlen, SA_ERROR_TOOBIG,
			                    "more than %d mx patterns", MTA_STS_MAX_MX);
		p->mx[p->nmx++] = value;
		return 0;
	}
	bool ok = true, *first = NULL;
	if (strcmp(key, "version") == 0) {
		first = &seen->version;
		ok = seen->version || strcmp(value, MTA_STS_VERSION) == 0;
	} else if (strcmp(key, "mode") == 0) {
		first = &seen->mode;
		ok = seen->mode || mta_sts_mode_of(value, &p->mode);
	} else if (strcmp(key, "max_age") == 0) {
		first = &seen->max_age;
		ok = seen->max_age || mta_sts_max_age_of(value, &p->max_age);
	}
	if (!ok)
		return mta_sts_fail(err, errlen, SA_ERROR_PARSE, "line %zu: %s \"%s\" is not valid",
		                    line, key, value);
	if (first != NULL)
		*first = true;
	return 0;
}

static bool mta_sts_key_char(char c)
{
	return isalnum((unsigned char)c) || c == '_' || c == '-' || c == '.';
}

/* Cuts one line (without its end) into key and value and applies it. */
static int mta_sts_line(struct mta_sts_policy *p, struct mta_sts_seen *seen, char *s, size_t len,
                        size_t line, char *err, size_t errlen)
{
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)s[i] < 0x20 && s[i] != '\t')
			return mta_sts_fail(err, errlen, SA_ERROR_PARSE,
			                    "line %zu: control byte 0x%02x", line,
			                    (unsigned char)s[i]);
	if (len == 0)
		return 0;
	size_t key_len = 0;
	if (isalnum((unsigned char)s[0]))
		while (key_len < len && key_len <= MTA_STS_KEY_MAX && mta_sts_key_char(s[key_len]))
			key_len++;
	if (key_len == 0 || key_len > MTA_STS_KEY_MAX || key_len == len || s[key_len] != ':')
		return mta_sts_fail(err, errlen, SA_ERROR_PARSE,
		                    "line %zu: expected \"key: value\"", line);
	size_t v = key_len + 1, end = len;
	while (v < len && (s[v] == ' ' || s[v] == '\t'))
		v++;
	while (end > v && (s[end - 1] == ' ' || s[end - 1] == '\t'))
		end--;
	if (end == v)
		return mta_sts_fail(err, errlen, SA_ERROR_PARSE, "line %zu: %.*s has no value",
		                    line, (int)key_len, s);
	s[key_len] = '\0';
	s[end] = '\0';
	return mta_sts_field(p, seen, s, s + v, line, err, errlen);
}

static int mta_sts_check_required(const struct mta_sts_policy *p, const struct mta_sts_seen *seen,
                                  char *err, size_t errlen)
{
	const char *missing = !seen->version                                ? "version"
	                      : !seen->mode                                 ? "mode"
	                      : !seen->max_age                              ? "max_age"
	                      : p->nmx == 0 && p->mode != MTA_STS_MODE_NONE ? "mx"
	                                                                    : NULL;
	if (missing == NULL)
		return 0;
	return mta_sts_fail(err, errlen, SA_ERROR_PARSE, "no %s field", missing);
}

static int mta_sts_parse_lines(struct mta_sts_policy *out, size_t len, char *err, size_t errlen)
{
	struct mta_sts_seen seen = {0};
	size_t line = 1;
	for (size_t pos = 0; pos < len; line++) {
		char *s = out->buf + pos;
		char *nl = memchr(s, '\n', len - pos);
		size_t n = nl != NULL ? (size_t)(nl - s) : len - pos;
		pos += n + 1;
		if (n > 0 && s[n - 1] == '\r')
			n--;
		int rc = mta_sts_line(out, &seen, s, n, line, err, errlen);
		if (rc < 0)
			return rc;
	}
	return mta_sts_check_required(out, &seen, err, errlen);
}

int mta_sts_parse_policy(const char *body, size_t len, struct mta_sts_policy *out, char *err,
                         size_t errlen)
{
	*out = (struct mta_sts_policy){0};
	if (len > MTA_STS_MAX_POLICY)
		return mta_sts_fail(err, errlen, SA_ERROR_TOOBIG, "policy of %zu bytes is over %d",
		                    len, MTA_STS_MAX_POLICY);
	out->buf = malloc(len + 1);
	if (out->buf == NULL)
		return SA_ERROR_NOMEM;
	memcpy(out->buf, body, len);
	out->buf[len] = '\0';
	int rc = mta_sts_parse_lines(out, len, err, errlen);
	if (rc < 0)
		mta_sts_policy_free(out);
	return rc;
}

void mta_sts_policy_free(struct mta_sts_policy *p)
{
	free(p->buf);
	*p = (struct mta_sts_policy){0};
}

/* ---- matching ---- */

bool mta_sts_mx_matches(const char *pattern, const char *host)
{
	size_t hlen = strlen(host);
	if (hlen > 0 && host[hlen - 1] == '.')
		hlen--;
	if (strncmp(pattern, "*.", 2) != 0)
		return strlen(pattern) == hlen && strncasecmp(pattern, host, hlen) == 0;
	const char *dot = memchr(host, '.', hlen);
	if (dot == NULL || dot == host)
		return false;
	size_t rest = hlen - (size_t)(dot - host);
	return strlen(pattern + 1) == rest && strncasecmp(pattern + 1, dot, rest) == 0;
}

bool mta_sts_policy_covers(const struct mta_sts_policy *p, const char *host)
{
	for (size_t i = 0; i < p->nmx; i++)
		if (mta_sts_mx_matches(p->mx[i], host))
			return true;
	return false;
}

/* ---- the judges ---- */

static int mta_sts_record_evidence(struct finding *f, const char *domain, const char *const *txt,
                                   size_t ntxt)
{
	int rc = 0;
	for (size_t i = 0; rc == 0 && i < ntxt; i++)
		if (mta_sts_is_record(txt[i]))
			rc = dns_findings_evidence(f, EVIDENCE_RECEIVED, "TXT _mta-sts.%s: %s",
			                           domain, txt[i]);
	return rc;
}

int mta_sts_judge_txt(const char *domain, const char *const *txt, size_t ntxt,
                      const char *previous_id, char id[MTA_STS_ID_MAX + 1],
                      struct dns_findings *out)
{
	const char *record = NULL;
	size_t count = 0;
	char err[MTA_STS_ERR_MAX] = "";
	struct finding *f;
	int rc;
	id[0] = '\0';
	for (size_t i = 0; i < ntxt; i++)
		if (mta_sts_is_record(txt[i]) && count++ == 0)
			record = txt[i];
	if (count == 0)
		return dns_findings_add(out, NULL, CATALOG_DNS_STS_MISSING, NULL,
		                        "_mta-sts.%s has no TXT record starting with v=STSv1",
		                        domain);
	if (count > 1)
		rc = dns_findings_add(
		    out, &f, CATALOG_DNS_STS_RECORD_INVALID, "multiple",
		    "_mta-sts.%s has %zu MTA-STS records: senders assume no policy", domain, count);
	else if ((rc = mta_sts_parse_txt(record, id, err, sizeof(err))) < 0)
		rc = rc == SA_ERROR_NOMEM
		         ? rc
		         : dns_findings_add(out, &f, CATALOG_DNS_STS_RECORD_INVALID, "syntax",
		                            "the MTA-STS record of %s is invalid: %s", domain, err);
	else if (previous_id != NULL && previous_id[0] != '\0' && strcmp(previous_id, id) != 0)
		rc = dns_findings_add(out, &f, CATALOG_DNS_STS_ID_CHANGED, NULL,
		                      "the MTA-STS policy id of %s is %s, previously %s", domain,
		                      id, previous_id);
	else
		return 0;
	if (rc == 0)
		rc = mta_sts_record_evidence(f, domain, txt, ntxt);
	return rc;
}

static int mta_sts_judge_mx(const char *domain, const struct mta_sts_policy *p,
                            const char *const *mx_hosts, size_t nmx, struct dns_findings *out)
{
	int rc = 0;
	for (size_t i = 0; rc == 0 && i < nmx; i++) {
		struct finding *f;
		if (mta_sts_policy_covers(p, mx_hosts[i]))
			continue;
		rc =
		    dns_findings_add(out, &f, CATALOG_DNS_STS_MX_UNCOVERED, mx_hosts[i],
		                     "MX host %s of %s matches no mx pattern of the MTA-STS policy "
		                     "(mode %s)",
		                     mx_hosts[i], domain, mta_sts_mode_names[p->mode]);
		for (size_t j = 0; rc == 0 && j < p->nmx; j++)
			rc = dns_findings_evidence(f, EVIDENCE_RECEIVED, "policy mx: %s", p->mx[j]);
	}
	return rc;
}

int mta_sts_judge_policy(const char *domain, const char *body, size_t len,
                         const char *const *mx_hosts, size_t nmx, struct dns_findings *out)
{
	struct mta_sts_policy p;
	char err[MTA_STS_ERR_MAX] = "";
	int rc = mta_sts_parse_policy(body, len, &p, err, sizeof(err));
	if (rc == SA_ERROR_NOMEM)
		return rc;
	if (rc < 0)
		return dns_findings_add(out, NULL, CATALOG_DNS_STS_POLICY_INVALID, NULL,
		                        "the MTA-STS policy of %s is invalid: %s", domain, err);
	if (p.mode != MTA_STS_MODE_ENFORCE)
		rc = dns_findings_add(
		    out, NULL, CATALOG_DNS_STS_MODE_WEAK, mta_sts_mode_names[p.mode],
		    "the MTA-STS policy of %s is in mode %s", domain, mta_sts_mode_names[p.mode]);
	if (rc == 0 && p.max_age < MTA_STS_MIN_MAX_AGE)
		rc = dns_findings_add(
		    out, NULL, CATALOG_DNS_STS_MAX_AGE_SHORT, NULL,
		    "the MTA-STS policy of %s has max_age %u seconds, less than %u "
		    "(one day)",
		    domain, (unsigned)p.max_age, MTA_STS_MIN_MAX_AGE);
	if (rc == 0 && p.mode != MTA_STS_MODE_NONE)
		rc = mta_sts_judge_mx(domain, &p, mx_hosts, nmx, out);
	mta_sts_policy_free(&p);
	return rc;
}
