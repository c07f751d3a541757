/*
 * NAME
 *	spf - SPF records (RFC 7208): syntax, and what a domain's record lets through
 *
 * SUMMARY
 *	struct spf_report report;
 *	struct dns_findings found = {0};
 *	spf_judge("example.org", txt, ntxt, my_lookup, my_cache, &report, &found);
 *
 * DESCRIPTION
 *	spf_parse() checks one record against the grammar of RFC 7208
 *	section 12: the version "v=spf1", mechanisms all, include, a, mx,
 *	ptr, ip4, ip6 and exists with their qualifiers, arguments and CIDR
 *	lengths, the modifiers redirect and exp (at most once each) and
 *	unknown modifiers, and the macro syntax of every domain-spec
 *	(section 7.1). Terms are separated by single or repeated spaces.
 *
 *	spf_judge() takes every TXT record of a domain (each as the
 *	concatenation of its strings) and reports, as findings:
 *	no SPF record (DNS_SPF_MISSING); more than one, a syntax error, an
 *	include or redirect target without a usable record, or an include
 *	loop, each a permerror at receivers (DNS_SPF_INVALID); +all, also
 *	reached through an include (DNS_SPF_PASS_ALL); ?all, or neither all
 *	nor redirect so that the neutral default applies (DNS_SPF_NEUTRAL_ALL);
 *	more than SPF_LOOKUP_LIMIT DNS-querying terms over the whole tree of
 *	includes and redirects (DNS_SPF_TOO_MANY_LOOKUPS).
 *
 *	The included and redirected records come from the caller through
 *	lookup, so the judge does no I/O. An asynchronous caller answers
 *	from a cache and, for names it has not fetched yet, returns
 *	SA_ERROR_AGAIN: the report's pending then names the first such
 *	target, and the caller fetches it and judges again (spf_parse()
 *	gives the include and redirect terms to fetch ahead); a NULL lookup
 *	follows nothing. Targets holding a macro
 *	("include:%{i}._spf.example.org") depend on the sender and are
 *	counted but not followed, which leaves the report incomplete. The
 *	walk visits at most SPF_MAX_RECORDS records and never a name already
 *	on the current include path.
 *
 * DIAGNOSTICS
 *	spf_parse() returns SA_ERROR_PARSE with err naming the term and its
 *	offset, SA_ERROR_TOOBIG for more than SPF_MAX_TERMS terms or a
 *	record over 65535 bytes, SA_ERROR_NOMEM. spf_judge() returns 0 or
 *	SA_ERROR_NOMEM; problems of the records are findings, not errors.
 */
#ifndef SPF_H
#define SPF_H

#include <stdbool.h>
#include <stddef.h>

#include "dns_findings.h"

/* RFC 7208 section 4.6.4: DNS-querying terms per evaluation. */
#define SPF_LOOKUP_LIMIT 10
#define SPF_MAX_TERMS    128
#define SPF_MAX_RECORDS  64

enum spf_qualifier {
	SPF_QUALIFIER_PASS,     /* "+" or none */
	SPF_QUALIFIER_FAIL,     /* "-" */
	SPF_QUALIFIER_SOFTFAIL, /* "~" */
	SPF_QUALIFIER_NEUTRAL,  /* "?" */
};

enum spf_kind {
	SPF_ALL,
	SPF_INCLUDE,
	SPF_A,
	SPF_MX,
	SPF_PTR,
	SPF_IP4,
	SPF_IP6,
	SPF_EXISTS,
	SPF_REDIRECT, /* modifiers from here on */
	SPF_EXP,
	SPF_MODIFIER, /* an unknown modifier, ignored by receivers */
};

struct spf_term {
	enum spf_kind kind;
	enum spf_qualifier qualifier; /* mechanisms only */
	const char *text;             /* the whole term as written */
	const char *domain;           /* domain-spec; NULL when the term has none */
	size_t offset;                /* of the term in the record */
};

struct spf_record {
	char *buf;
	struct spf_term terms[SPF_MAX_TERMS];
	size_t n;
};

/* True when txt is an SPF record: "v=spf1" (any case) then a space or its end. */
bool spf_is_record(const char *txt);

int spf_parse(const char *text, struct spf_record *out, char *err, size_t errlen);
void spf_record_free(struct spf_record *r);

/* DNS-querying terms of this record alone: include, a, mx, ptr, exists, redirect. */
size_t spf_record_lookups(const struct spf_record *r);

/* True when the domain-spec holds a macro, so it depends on the message. */
bool spf_domain_has_macro(const char *domain);

/*
 * The TXT records of name as the caller knows them. Returns 0 with
 * records and n set (n may be 0: the name exists without TXT records or
 * does not exist), SA_ERROR_AGAIN when the caller has not fetched them
 * yet, or another negative code when the lookup failed. The records stay
 * valid until the judge returns.
 */
typedef int (*spf_lookup_cb)(void *arg, const char *name, const char *const **records, size_t *n);

struct spf_report {
	size_t lookups;    /* DNS-querying terms over the tree, as far as it was followed */
	size_t records;    /* SPF records visited */
	bool complete;     /* every target was followed: lookups is exact */
	char pending[256]; /* "" or the first target the lookup answered SA_ERROR_AGAIN for */
};

int spf_judge(const char *domain, const char *const *txt, size_t ntxt, spf_lookup_cb lookup,
              void *arg, struct spf_report *report, struct dns_findings *out);

#endif
