/*
 * NAME
 *	dmarc - DMARC records (RFC 7489): syntax, and what a domain's policy asks of receivers
 *
 * SUMMARY
 *	struct dns_findings found = {0};
 *	dmarc_judge("example.org", txt_of_dmarc_name, n, &found);
 *
 * DESCRIPTION
 *	dmarc_parse() reads one record: "v=DMARC1" first, then tags with
 *	blanks allowed around '=' and ';' (section 6.4), each at most once.
 *	A record without p parses (has_p false) so that the judge can say
 *	what receivers do then. p and sp take none, quarantine or reject; pct 0 to 100;
 *	adkim and aspf r or s; fo a colon-separated list of 0, 1, d and s;
 *	rf a colon-separated list of format names; ri a 32-bit number of
 *	seconds. Unknown tags are ignored, as receivers must (section 6.3).
 *	rua and ruf are kept as written: their URIs are judged apart, since
 *	a bad report address does not invalidate the policy.
 *
 *	dmarc_judge() takes the TXT records found at _dmarc.<domain> (the
 *	caller has already fallen back to the organizational domain when
 *	the domain itself has none, section 6.6.3) and reports: no DMARC
 *	record (DNS_DMARC_MISSING); more than one, or a record that does not
 *	parse (DNS_DMARC_INVALID; without a valid p the detail says whether
 *	receivers fall back to p=none because rua is usable); p=none
 *	(DNS_DMARC_POLICY_NONE); pct below 100 under quarantine or reject
 *	(DNS_DMARC_PCT_PARTIAL); no rua (DNS_DMARC_NO_RUA); sp=none under a
 *	stricter p (DNS_DMARC_SUBDOMAIN_NONE); a rua or ruf that is not a
 *	list of mailto: URIs (DNS_DMARC_RUA_INVALID).
 *
 * DIAGNOSTICS
 *	dmarc_parse() returns SA_ERROR_PARSE with err naming the tag or
 *	offset, SA_ERROR_TOOBIG (see dns_tags.h), SA_ERROR_NOMEM.
 *	dmarc_judge() returns 0 or SA_ERROR_NOMEM.
 */
#ifndef DMARC_H
#define DMARC_H

#include <stdbool.h>
#include <stddef.h>

#include "dns_findings.h"
#include "dns_tags.h"

enum dmarc_policy {
	DMARC_POLICY_NONE,
	DMARC_POLICY_QUARANTINE,
	DMARC_POLICY_REJECT,
};

struct dmarc_record {
	struct dns_tags tags;
	bool has_p;
	enum dmarc_policy p;  /* DMARC_POLICY_NONE when the record has no p */
	enum dmarc_policy sp; /* p when the record has no sp */
	bool has_sp;
	unsigned pct;          /* 100 when absent */
	const char *rua, *ruf; /* NULL when absent */
};

/* True when txt opens with the DMARC version tag. */
bool dmarc_is_record(const char *txt);

int dmarc_parse(const char *text, struct dmarc_record *out, char *err, size_t errlen);
void dmarc_record_free(struct dmarc_record *r);

int dmarc_judge(const char *domain, const char *const *txt, size_t ntxt, struct dns_findings *out);

#endif
