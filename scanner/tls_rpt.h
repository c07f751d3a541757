/*
 * NAME
 *	tls_rpt - SMTP TLS reporting records (RFC 8460) at _smtp._tls.<domain>
 *
 * SUMMARY
 *	struct dns_findings found = {0};
 *	tls_rpt_judge("example.org", txt_of_smtp_tls_name, n, &found);
 *
 * DESCRIPTION
 *	A record (section 3) opens with "v=TLSRPTv1", has fields separated
 *	by ';' with optional blanks around it and none around '=', and
 *	carries exactly one rua: a comma-separated list of mailto: and
 *	https: URIs. Other fields are ignored.
 *
 *	tls_rpt_judge() takes the TXT records of _smtp._tls.<domain> and
 *	reports: no record (DNS_TLSRPT_MISSING); more than one, or one that
 *	does not parse, has no rua, more than one rua or a URI that is
 *	neither a mailto: address nor an https: URL with a host name
 *	(DNS_TLSRPT_INVALID, variant "multiple" or "syntax").
 *
 * DIAGNOSTICS
 *	tls_rpt_parse() returns SA_ERROR_PARSE with err naming the problem,
 *	SA_ERROR_TOOBIG (see dns_tags.h), SA_ERROR_NOMEM. tls_rpt_judge()
 *	returns 0 or SA_ERROR_NOMEM.
 */
#ifndef TLS_RPT_H
#define TLS_RPT_H

#include <stdbool.h>
#include <stddef.h>

#include "dns_findings.h"

/* True when txt opens with "v=TLSRPTv1". */
bool tls_rpt_is_record(const char *txt);

/* Checks one record. */
int tls_rpt_parse(const char *text, char *err, size_t errlen);

int tls_rpt_judge(const char *domain, const char *const *txt, size_t ntxt,
                  struct dns_findings *out);

#endif
