/*
 * NAME
 *	spf - SPF records (RFC 7208): syntax, and what a domain's record lets through
 *
 * DESCRIPTION
 *	The parser copies the record once and cuts it into terms in place.
 *	The judge walks the include/redirect tree depth first, keeping the
 *	names of the current path to refuse loops and counting visited
 *	records against SPF_MAX_RECORDS, so hostile records (deep chains,
 *	loops, thousands of terms) cost bounded work and memory.
 *
 * DIAGNOSTICS
 *	See spf.h.
 */
#include "spf.h"

#include <arpa/inet.h>
#include <assert.h>
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sa_error.h"

#define SPF_MAX_RECORD 65535

struct spf_mechanism {
	const char *name;
	enum spf_kind kind;
	enum spf_arg {
		SPF_ARG_NONE,
		SPF_ARG_DOMAIN,
		SPF_ARG_OPT_DOMAIN,
		SPF_ARG_OPT_CIDR,
		SPF_ARG_IP4,
		SPF_ARG_IP6
	} arg;
};

static const struct spf_mechanism spf_mechanisms[] = {
    {.name = "all", .kind = SPF_ALL, .arg = SPF_ARG_NONE},
    {.name = "include", .kind = SPF_INCLUDE, .arg = SPF_ARG_DOMAIN},
    {.name = "a", .kind = SPF_A, .arg = SPF_ARG_OPT_CIDR},
    {.name = "mx", .kind = SPF_MX, .arg = SPF_ARG_OPT_CIDR},
    {.name = "ptr", .kind = SPF_PTR, .arg = SPF_ARG_OPT_DOMAIN},
    {.name = "ip4", .kind = SPF_IP4, .arg = SPF_ARG_IP4},
    {.name = "ip6", .kind = SPF_IP6, .arg = SPF_ARG_IP6},
    {.name = "exists", .kind = SPF_EXISTS, .arg = SPF_ARG_DOMAIN},
};

static int spf_fail(char *err, size_t errlen, int rc, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int spf_fail(char *err, size_t errlen, int rc, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return rc;
}

bool spf_is_record(const char *txt)
{
	return strncasecmp(txt, "v=spf1", 6) == 0 && (txt[6] == '\0' || txt[6] == ' ');
}

/* ---- macro-string and domain-spec (RFC 7208 section 7.1) ---- */

/* Length of the macro-expand at s ("%{d}", "%%", "%_", "%-"), or 0 when malformed. */
static size_t spf_macro_expand(const char *s, bool exp)
{
	if (s[1] == '%' || s[1] == '_' || s[1] == '-')
		return 2;
	if (s[1] != '{')
		return 0;
	char letter = (char)tolower((unsigned char)s[2]);
	if (letter == '\0' || strchr(exp ? "slodiphvcrt" : "slodiphv", letter) == NULL)
		return 0;
	size_t i = 3;
	while (isdigit((unsigned char)s[i]))
		i++;
	if (s[i] == 'r' || s[i] == 'R')
		i++;
	while (s[i] != '\0' && strchr(".-+,/_=", s[i]) != NULL)
		i++;
	return s[i] == '}' ? i + 1 : 0;
}

/* A macro-string: literals %x21-24 / %x26-7E and macro-expands. *ends_in_macro says how it ends. */
static const char *spf_macro_string_problem(const char *s, bool exp, bool *ends_in_macro)
{
	*ends_in_macro = false;
	for (size_t i = 0; s[i] != '\0';) {
		if (s[i] == '%') {
			size_t n = spf_macro_expand(s + i, exp);
			if (n == 0)
				return "malformed macro";
			i += n;
			*ends_in_macro = s[i] == '\0';
		} else if ((unsigned char)s[i] < 0x21 || (unsigned char)s[i] > 0x7e) {
			return "character not allowed";
		} else {
			i++;
		}
	}
	return NULL;
}

/* toplabel: letters, digits and inner hyphens, with a letter or a hyphen somewhere. */
static bool spf_toplabel_ok(const char *s, size_t len)
{
	bool alpha = false, hyphen = false;
	if (len == 0 || s[0] == '-' || s[len - 1] == '-')
		return false;
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '-')
			hyphen = true;
		else if (isalpha((unsigned char)s[i]))
			alpha = true;
		else if (!isdigit((unsigned char)s[i]))
			return false;
	}
	return alpha || hyphen;
}

static const char *spf_domain_problem(const char *spec, bool exp)
{
	bool ends_in_macro;
	if (spec[0] == '\0')
		return "empty domain";
	const char *problem = spf_macro_string_problem(spec, exp, &ends_in_macro);
	if (problem != NULL || ends_in_macro)
		return problem;
	size_t len = strlen(spec);
	if (spec[len - 1] == '.')
		len--;
	const char *dot = NULL;
	for (size_t i = 0; i < len; i++)
		if (spec[i] == '.')
			dot = spec + i;
	if (dot == NULL || dot == spec)
		return "not a fully qualified domain";
	return spf_toplabel_ok(dot + 1, (size_t)(spec + len - dot - 1)) ? NULL
	                                                                : "bad top-level label";
}

bool spf_domain_has_macro(const char *domain)
{
	return strchr(domain, '%') != NULL;
}

/* ---- mechanism arguments ---- */

/* "/N" with N in 0..max, no leading zero; *len is how much was used. */
static bool spf_cidr_ok(const char *s, unsigned max, size_t *len)
{
	if (s[0] != '/' || !isdigit((unsigned char)s[1]) ||
	    (s[1] == '0' && isdigit((unsigned char)s[2])))
		return false;
	unsigned value = 0;
	size_t i = 1;
	for (; i < 5 && isdigit((unsigned char)s[i]); i++)
		value = value * 10 + (unsigned)(s[i] - '0');
	*len = i;
	return value <= max;
}

/* dual-cidr-length: [ "/" ip4 ] [ "//" ip6 ] and nothing after. */
static bool spf_dual_cidr_ok(const char *s)
{
	size_t used = 0;
	if (s[0] == '/' && s[1] != '/') {
		if (!spf_cidr_ok(s, 32, &used))
			return false;
		s += used;
	}
	if (s[0] == '/' && s[1] == '/') {
		if (!spf_cidr_ok(s + 1, 128, &used))
			return false;
		s += used + 1;
	}
	return s[0] == '\0';
}

static bool spf_ip_ok(char *arg, int family)
{
	char *slash = strchr(arg, '/');
	unsigned char addr[16];
	size_t used = 0;
	if (slash != NULL) {
		if (!spf_cidr_ok(slash, family == AF_INET ? 32 : 128, &used) || slash[used] != '\0')
			return false;
		*slash = '\0';
	}
	bool ok = inet_pton(family, arg, addr) == 1;
	if (slash != NULL)
		*slash = '/';
	return ok;
}

/* Checks arg (after the mechanism name: "", ":x", "/24", ":x/24//64") and finds the domain. */
static const char *spf_arg_problem(const struct spf_mechanism *m, char *arg, const char **domain)
{
	*domain = NULL;
	if (m->arg == SPF_ARG_NONE)
		return arg[0] == '\0' ? NULL : "takes no argument";
	if (m->arg == SPF_ARG_IP4 || m->arg == SPF_ARG_IP6) {
		if (arg[0] != ':')
			return "needs an address";
		return spf_ip_ok(arg + 1, m->arg == SPF_ARG_IP4 ? AF_INET : AF_INET6)
		           ? NULL
		           : "malformed address or prefix length";
	}
	char *cidr = m->arg == SPF_ARG_OPT_CIDR ? strchr(arg, '/') : NULL;
	if (cidr != NULL && !spf_dual_cidr_ok(cidr))
		return "malformed prefix length";
	if (arg[0] == '\0' || arg == cidr)
		return m->arg == SPF_ARG_DOMAIN ? "needs a domain" : NULL;
	if (arg[0] != ':')
		return "unexpected text after the mechanism name";
	if (cidr != NULL)
		*cidr = '\0';
	*domain = arg + 1;
	return spf_domain_problem(*domain, false);
}

/* ---- terms ---- */

static bool spf_modifier_name_ok(const char *s, size_t len)
{
	if (len == 0 || !isalpha((unsigned char)s[0]))
		return false;
	for (size_t i = 1; i < len; i++)
		if (!isalnum((unsigned char)s[i]) && strchr("-_.", s[i]) == NULL)
			return false;
	return true;
}

static int spf_modifier(struct spf_record *r, struct spf_term *t, char *s, size_t name_len,
                        char *err, size_t errlen)
{
	if (!spf_modifier_name_ok(s, name_len))
		return spf_fail(err, errlen, SA_ERROR_PARSE,
		                "bad modifier name in \"%s\" at offset %zu", t->text, t->offset);
	char *value = s + name_len + 1;
	bool redirect = name_len == 8 && strncasecmp(s, "redirect", 8) == 0;
	bool exp = name_len == 3 && strncasecmp(s, "exp", 3) == 0;
	bool ends_in_macro;
	const char *problem = redirect || exp
	                          ? spf_domain_problem(value, false)
	                          : spf_macro_string_problem(value, false, &ends_in_macro);
	if (problem != NULL)
		return spf_fail(err, errlen, SA_ERROR_PARSE, "%s in \"%s\" at offset %zu", problem,
		                t->text, t->offset);
	t->kind = redirect ? SPF_REDIRECT : exp ? SPF_EXP : SPF_MODIFIER;
	if (t->kind != SPF_MODIFIER) {
		for (size_t i = 0; i < r->n; i++)
			if (r->terms[i].kind == t->kind)
				return spf_fail(err, errlen, SA_ERROR_PARSE,
				                "second %.*s modifier at offset %zu", (int)name_len,
				                s, t->offset);
		t->domain = value;
	}
	return 0;
}

static int spf_mechanism(struct spf_term *t, char *s, char *err, size_t errlen)
{
	static const char qualifiers[] = "+-~?";
	static const enum spf_qualifier qualifier_of[] = {
	    SPF_QUALIFIER_PASS, SPF_QUALIFIER_FAIL, SPF_QUALIFIER_SOFTFAIL, SPF_QUALIFIER_NEUTRAL};
	const char *q = s[0] != '\0' ? strchr(qualifiers, s[0]) : NULL;
	t->qualifier = q != NULL ? qualifier_of[q - qualifiers] : SPF_QUALIFIER_PASS;
	if (q != NULL)
		s++;
	size_t name_len = strcspn(s, ":/");
	for (size_t i = 0; i < sizeof(spf_mechanisms) / sizeof(spf_mechanisms[0]); i++) {
		const struct spf_mechanism *m = &spf_mechanisms[i];
		if (strlen(m->name) != name_len || strncasecmp(s, m->name, name_len) != 0)
			continue;
		t->kind = m->kind;
		const char *problem = spf_arg_problem(m, s + name_len, &t->domain);
		if (problem != NULL)
			return spf_fail(err, errlen, SA_ERROR_PARSE, "%s: \"%s\" at offset %zu",
			                problem, t->text, t->offset);
		return 0;
	}
	return spf_fail(err, errlen, SA_ERROR_PARSE, "unknown mechanism \"%s\" at offset %zu",
	                t->text, t->offset);
}

/* Parses the term at s (NUL-terminated, its text copied to text); s may be cut further. */
static int spf_term(struct spf_record *r, char *s, const char *text, size_t offset, char *err,
                    size_t errlen)
{
	if (r->n == SPF_MAX_TERMS)
		return spf_fail(err, errlen, SA_ERROR_TOOBIG, "more than %d terms", SPF_MAX_TERMS);
	struct spf_term *t = &r->terms[r->n];
	*t = (struct spf_term){.text = text, .offset = offset};
	size_t name_len = strcspn(s, "=:/");
	int rc = s[name_len] == '=' ? spf_modifier(r, t, s, name_len, err, errlen)
	                            : spf_mechanism(t, s, err, errlen);
	if (rc == 0)
		r->n++;
	return rc;
}

static int spf_check_bytes(const char *text, char *err, size_t errlen)
{
	for (size_t i = 0; text[i] != '\0'; i++) {
		unsigned char c = (unsigned char)text[i];
		if (c != ' ' && (c < 0x21 || c > 0x7e))
			return spf_fail(err, errlen, SA_ERROR_PARSE,
			                "byte 0x%02x is not allowed at offset %zu", c, i);
	}
	return 0;
}

/*
 * The copy holds the record twice: the first half is cut into the
 * terms' texts, the second into their parts, so errors can quote a term
 * whole while its domain is NUL-terminated.
 */
int spf_parse(const char *text, struct spf_record *out, char *err, size_t errlen)
{
	*out = (struct spf_record){0};
	size_t len = strlen(text);
	if (len > SPF_MAX_RECORD)
		return spf_fail(err, errlen, SA_ERROR_TOOBIG, "record of %zu bytes is too long",
		                len);
	if (!spf_is_record(text))
		return spf_fail(err, errlen, SA_ERROR_PARSE, "does not start with \"v=spf1 \"");
	int rc = spf_check_bytes(text, err, errlen);
	if (rc < 0)
		return rc;
	out->buf = malloc(2 * (len + 1));
	if (out->buf == NULL)
		return SA_ERROR_NOMEM;
	char *texts = out->buf, *parts = out->buf + len + 1;
	memcpy(texts, text, len + 1);
	memcpy(parts, text, len + 1);
	for (size_t pos = 6; rc == 0;) {
		while (texts[pos] == ' ')
			pos++;
		if (texts[pos] == '\0')
			break;
		size_t n = strcspn(texts + pos, " ");
		texts[pos + n] = '\0';
		parts[pos + n] = '\0';
		rc = spf_term(out, parts + pos, texts + pos, pos, err, errlen);
		pos += n + 1;
		if (pos > len)
			break;
	}
	if (rc < 0)
		spf_record_free(out);
	return rc;
}

void spf_record_free(struct spf_record *r)
{
	free(r->buf);
	*r = (struct spf_record){0};
}

static bool spf_queries_dns(enum spf_kind kind)
{
	return kind == SPF_INCLUDE || kind == SPF_A || kind == SPF_MX || kind == SPF_PTR ||
	       kind == SPF_EXISTS || kind == SPF_REDIRECT;
}

static const struct spf_term *spf_find(const struct spf_record *r, enum spf_kind kind)
{
	for (size_t i = 0; i < r->n; i++)
		if (r->terms[i].kind == kind)
			return &r->terms[i];
	return NULL;
}

size_t spf_record_lookups(const struct spf_record *r)
{
	size_t count = 0;
	bool has_all = spf_find(r, SPF_ALL) != NULL;
	for (size_t i = 0; i < r->n; i++)
		/* RFC 7208 section 6.1: with an "all" mechanism, redirect is never used. */
		count += spf_queries_dns(r->terms[i].kind) &&
		         !(r->terms[i].kind == SPF_REDIRECT && has_all);
	return count;
}

/* ---- the judge ---- */

#define SPF_NO_ALL   (-1)
#define SPF_ERR_MAX 512

struct spf_walk {
	spf_lookup_cb lookup;
	void *arg;
	struct spf_report *report;
	struct dns_findings *out;
	struct finding counts; /* per-record counts, kept for the lookup-limit finding */
	const char *path[SPF_MAX_RECORDS + 1]; /* names from the top to the record being read */
	size_t depth;
};

/* The SPF records among txt: how many, and the first. */
static size_t spf_select(const char *const *txt, size_t ntxt, const char **first)
{
	size_t count = 0;
	*first = NULL;
	for (size_t i = 0; i < ntxt; i++) {
		if (!spf_is_record(txt[i]))
			continue;
		if (count++ == 0)
			*first = txt[i];
	}
	return count;
}

/* Names compare without case and without a final dot. */
static bool spf_same_name(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	if (la > 0 && a[la - 1] == '.')
		la--;
	if (lb > 0 && b[lb - 1] == '.')
		lb--;
	return la == lb && strncasecmp(a, b, la) == 0;
}

/* Adds a finding whose variant is "prefix:name" (or prefix alone when name is NULL). */
static int spf_add(struct spf_walk *w, struct finding **f, enum catalog_id id, const char *prefix,
                   const char *name, const char *fmt, ...) __attribute__((format(printf, 6, 7)));

static int spf_add(struct spf_walk *w, struct finding **f, enum catalog_id id, const char *prefix,
                   const char *name, const char *fmt, ...)
{
	char *variant = NULL;
	if (asprintf(&variant, name != NULL ? "%s:%s" : "%s", prefix, name) < 0)
		return SA_ERROR_NOMEM;
	va_list ap;
	va_start(ap, fmt);
	int rc = dns_findings_addv(w->out, f, id, variant, fmt, ap);
	va_end(ap);
	free(variant);
	return rc;
}

/*
 * A permerror: the top record's problems have a fixed variant, those of an
 * included or redirected record the target's name, so each is its own
 * finding. The SPF records among records are the evidence.
 */
static int spf_invalid(struct spf_walk *w, const char *top_variant, const char *name,
                       const char *const *records, size_t nrecords, const char *detail,
                       const char *why)
{
	struct finding *f;
	int rc = w->depth == 0 ? spf_add(w, &f, CATALOG_DNS_SPF_INVALID, top_variant, NULL,
	                                 "%s %s: %s", name, detail, why)
	                       : spf_add(w, &f, CATALOG_DNS_SPF_INVALID, "target", name,
	                                 "%s %s: %s", name, detail, why);
	for (size_t i = 0; rc == 0 && i < nrecords; i++)
		if (spf_is_record(records[i]))
			rc = dns_findings_evidence(f, EVIDENCE_RECEIVED, "TXT %s: %s", name,
			                           records[i]);
	return rc;
}

static int spf_visit(struct spf_walk *w, const char *name, const char *const *txt, size_t ntxt,
                     int *all);

static int spf_loop(struct spf_walk *w, const struct spf_term *t)
{
	struct finding *f;
	int rc = spf_add(w, &f, CATALOG_DNS_SPF_INVALID, "loop", t->domain,
	                 "%s is reached again through \"%s\": an include loop, a "
	                 "permerror at receivers",
	                 t->domain, t->text);
	for (size_t i = 0; rc == 0 && i < w->depth; i++)
		rc = dns_findings_evidence(f, EVIDENCE_NOTE, "path: %s", w->path[i]);
	return rc;
}

static void spf_pending(struct spf_report *report, const char *name)
{
	if (report->pending[0] == '\0')
		snprintf(report->pending, sizeof(report->pending), "%s", name);
}

/* Fetches the target of t through the caller and visits it; *all stays SPF_NO_ALL when it cannot.
 */
static int spf_follow(struct spf_walk *w, const struct spf_term *t, int *all)
{
	*all = SPF_NO_ALL;
	if (spf_domain_has_macro(t->domain)) {
		w->report->complete = false;
		return 0;
	}
	for (size_t i = 0; i < w->depth; i++)
		if (spf_same_name(w->path[i], t->domain))
			return spf_loop(w, t);
	if (w->report->records >= SPF_MAX_RECORDS) {
		w->report->complete = false;
		return 0;
	}
	const char *const *records = NULL;
	size_t n = 0;
	int rc = w->lookup != NULL ? w->lookup(w->arg, t->domain, &records, &n) : SA_ERROR_NOTFOUND;
	if (rc < 0) {
		w->report->complete = false;
		if (rc == SA_ERROR_AGAIN)
			spf_pending(w->report, t->domain);
		return 0;
	}
	return spf_visit(w, t->domain, records, n, all);
}

static int spf_include_passes_all(struct spf_walk *w, const struct spf_term *t, const char *name)
{
	return spf_add(w, NULL, CATALOG_DNS_SPF_PASS_ALL, "include", t->domain,
	               "\"%s\" in the record of %s reaches a record ending in +all: every "
	               "sender passes",
	               t->text, name);
}

/* Follows the includes and the redirect of r; *all becomes the qualifier of r's effective all. */
static int spf_walk_terms(struct spf_walk *w, const char *name, const struct spf_record *r,
                          int *all)
{
	const struct spf_term *all_term = spf_find(r, SPF_ALL);
	*all = all_term != NULL ? (int)all_term->qualifier : SPF_NO_ALL;
	for (size_t i = 0; i < r->n; i++) {
		const struct spf_term *t = &r->terms[i];
		int sub_all = SPF_NO_ALL, rc = 0;
		/* RFC 7208 section 6.1: with an "all" mechanism, redirect is never used. */
		if (t->kind != SPF_INCLUDE && !(t->kind == SPF_REDIRECT && all_term == NULL))
			continue;
		rc = spf_follow(w, t, &sub_all);
		if (rc == 0 && t->kind == SPF_REDIRECT)
			*all = sub_all;
		else if (rc == 0 && sub_all == SPF_QUALIFIER_PASS &&
		         t->qualifier == SPF_QUALIFIER_PASS)
			rc = spf_include_passes_all(w, t, name);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* Parses and walks one SPF record of name. */
static int spf_visit_record(struct spf_walk *w, const char *name, const char *record, int *all)
{
	char err[SPF_ERR_MAX] = "";
	struct spf_record *r = malloc(sizeof(*r));
	if (r == NULL)
		return SA_ERROR_NOMEM;
	int rc = spf_parse(record, r, err, sizeof(err));
	if (rc < 0) {
		free(r);
		if (rc == SA_ERROR_NOMEM)
			return rc;
		return spf_invalid(w, "syntax", name, &record, 1, "has an invalid SPF record", err);
	}
	size_t lookups = spf_record_lookups(r);
	w->report->records++;
	w->report->lookups += lookups;
	rc = dns_findings_evidence(&w->counts, EVIDENCE_NOTE, "%s: %zu DNS-querying term%s", name,
	                           lookups, lookups == 1 ? "" : "s");
	w->path[w->depth++] = name;
	if (rc == 0)
		rc = spf_walk_terms(w, name, r, all);
	w->depth--;
	spf_record_free(r);
	free(r);
	return rc;
}

static int spf_visit(struct spf_walk *w, const char *name, const char *const *txt, size_t ntxt,
                     int *all)
{
	const char *record;
	size_t count = spf_select(txt, ntxt, &record);
	*all = SPF_NO_ALL;
	assert(count > 0 || w->depth > 0); /* spf_judge reports a missing top record itself */
	if (count == 1)
		return spf_visit_record(w, name, record, all);
	return spf_invalid(w, "multiple", name, txt, ntxt,
	                   count == 0 ? "has no SPF record" : "has more than one SPF record",
	                   w->depth == 0 ? "a permerror at receivers"
	                                 : "the include or redirect naming it is a permerror");
}

static int spf_judge_all(struct spf_walk *w, const char *domain, int all)
{
	if (all == SPF_QUALIFIER_PASS)
		return dns_findings_add(w->out, NULL, CATALOG_DNS_SPF_PASS_ALL, "all",
		                        "the SPF policy of %s ends in +all: every sender passes",
		                        domain);
	if (all == SPF_QUALIFIER_NEUTRAL)
		return dns_findings_add(w->out, NULL, CATALOG_DNS_SPF_NEUTRAL_ALL, "?all",
		                        "the SPF policy of %s ends in ?all: unlisted senders are "
		                        "neutral, not refused",
		                        domain);
	if (all == SPF_NO_ALL && w->report->complete)
		return dns_findings_add(w->out, NULL, CATALOG_DNS_SPF_NEUTRAL_ALL, "no-all",
		                        "the SPF policy of %s has neither an all mechanism nor a "
		                        "redirect: unlisted senders get the neutral default",
		                        domain);
	return 0;
}

static int spf_judge_lookups(struct spf_walk *w, const char *domain)
{
	if (w->report->lookups <= SPF_LOOKUP_LIMIT)
		return 0;
	int rc = finding_set_detail(&w->counts,
	                            "the SPF policy of %s needs %s%zu DNS-querying terms "
	                            "(include, a, mx, ptr, exists, redirect); RFC 7208 allows %d",
	                            domain, w->report->complete ? "" : "at least ",
	                            w->report->lookups, SPF_LOOKUP_LIMIT);
	return rc < 0 ? rc : dns_findings_take(w->out, &w->counts);
}

int spf_judge(const char *domain, const char *const *txt, size_t ntxt, spf_lookup_cb lookup,
              void *arg, struct spf_report *report, struct dns_findings *out)
{
	const char *record;
	*report = (struct spf_report){.complete = true};
	if (spf_select(txt, ntxt, &record) == 0)
		return dns_findings_add(out, NULL, CATALOG_DNS_SPF_MISSING, NULL,
		                        "%s publishes no SPF record (no TXT record starts with "
		                        "\"v=spf1\")",
		                        domain);
	struct spf_walk w = {.lookup = lookup, .arg = arg, .report = report, .out = out};
	int all = SPF_NO_ALL;
	int rc = finding_init(&w.counts, CATALOG_DNS_SPF_TOO_MANY_LOOKUPS, NULL);
	if (rc == 0)
		rc = spf_visit(&w, domain, txt, ntxt, &all);
	/* A broken top record is a permerror: what follows from it would mislead. */
	if (rc == 0 && report->records > 0)
		rc = spf_judge_all(&w, domain, all);
	if (rc == 0)
		rc = spf_judge_lookups(&w, domain);
	finding_free(&w.counts);
	return rc;
}
