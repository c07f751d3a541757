/*
 * NAME
 *	mta_sts - MTA-STS (RFC 8461): the _mta-sts TXT record, the policy file, MX coverage
 *
 * SUMMARY
 *	char id[MTA_STS_ID_MAX + 1];
 *	mta_sts_judge_txt("example.org", txt, ntxt, previous_id, id, &found);
 *	if (id[0] != '\0') {   fetch https://mta-sts.example.org/.well-known/mta-sts.txt
 *		mta_sts_judge_policy("example.org", body, len, mx_hosts, nmx, &found);
 *	}
 *
 * DESCRIPTION
 *	The TXT record at _mta-sts.<domain> (section 3.1) opens with
 *	"v=STSv1", has fields separated by ';' with optional blanks around
 *	it and none around '=', and carries id, 1 to 32 letters and digits.
 *	Other fields are ignored; of a repeated field the first counts.
 *
 *	The policy file (section 3.2) is at most MTA_STS_MAX_POLICY bytes of
 *	"key: value" lines ending in LF or CRLF (the last may end without
 *	one). Keys are case-sensitive: version (STSv1), mode (enforce,
 *	testing or none), max_age (at most 10 digits, at most 31557600) and
 *	mx (["*."] host name, once per line, at most MTA_STS_MAX_MX) are
 *	known; other keys are ignored, and of a repeated key other than mx
 *	the first counts. version, mode and max_age are required, mx too
 *	unless mode is none. Empty lines are tolerated.
 *
 *	An mx pattern matches a host name case-insensitively, a final dot
 *	on the host ignored; "*.example.net" matches a name with exactly
 *	one more label in front ("mx.example.net", not "example.net" or
 *	"a.b.example.net"), as section 4.1 says.
 *
 *	mta_sts_judge_txt() reports: no record (DNS_STS_MISSING); more than
 *	one, or one that does not parse (DNS_STS_RECORD_INVALID); an id other
 *	than previous_id (DNS_STS_ID_CHANGED, when previous_id is neither
 *	NULL nor ""). It leaves the usable id in id ("" when there is none,
 *	and then there is no policy to fetch).
 *	mta_sts_judge_policy() reports: a policy that does not parse
 *	(DNS_STS_POLICY_INVALID); mode testing or none (DNS_STS_MODE_WEAK);
 *	max_age under MTA_STS_MIN_MAX_AGE (DNS_STS_MAX_AGE_SHORT); each MX
 *	host no pattern matches, unless mode is none (DNS_STS_MX_UNCOVERED).
 *	A policy that could not be fetched is the caller's finding,
 *	DNS_STS_POLICY_UNAVAILABLE.
 *
 *	The max_age threshold is one day: shorter policies expire between
 *	two daily refreshes, so a sender is unprotected whenever an attacker
 *	blocks one fetch. RFC 8461 expects weeks; the remediation says so.
 *
 * DIAGNOSTICS
 *	The parsers return SA_ERROR_PARSE with err naming the line or field,
 *	SA_ERROR_TOOBIG for a policy over MTA_STS_MAX_POLICY bytes or with
 *	more than MTA_STS_MAX_MX patterns, SA_ERROR_NOMEM. The judges return
 *	0 or SA_ERROR_NOMEM.
 */
#ifndef MTA_STS_H
#define MTA_STS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dns_findings.h"

#define MTA_STS_ID_MAX      32
#define MTA_STS_MAX_POLICY  65536
#define MTA_STS_MAX_MX      128
#define MTA_STS_MAX_AGE_MAX 31557600u
#define MTA_STS_MIN_MAX_AGE 86400u

enum mta_sts_mode {
	MTA_STS_MODE_ENFORCE,
	MTA_STS_MODE_TESTING,
	MTA_STS_MODE_NONE,
};

struct mta_sts_policy {
	char *buf;
	enum mta_sts_mode mode;
	uint32_t max_age;
	const char *mx[MTA_STS_MAX_MX];
	size_t nmx;
};

/* True when txt opens with "v=STSv1". */
bool mta_sts_is_record(const char *txt);

/* Parses a TXT record and copies its id into id. */
int mta_sts_parse_txt(const char *text, char id[MTA_STS_ID_MAX + 1], char *err, size_t errlen);

/* Parses len bytes of a policy file (not NUL-terminated, may hold any byte). */
int mta_sts_parse_policy(const char *body, size_t len, struct mta_sts_policy *out, char *err,
                         size_t errlen);
void mta_sts_policy_free(struct mta_sts_policy *p);

bool mta_sts_mx_matches(const char *pattern, const char *host);

/* True when some mx pattern of p matches host. */
bool mta_sts_policy_covers(const struct mta_sts_policy *p, const char *host);

int mta_sts_judge_txt(const char *domain, const char *const *txt, size_t ntxt,
                      const char *previous_id, char id[MTA_STS_ID_MAX + 1],
                      struct dns_findings *out);

int mta_sts_judge_policy(const char *domain, const char *body, size_t len,
                         const char *const *mx_hosts, size_t nmx, struct dns_findings *out);

#endif
