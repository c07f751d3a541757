/*
 * NAME
 *	tls_rpt - SMTP TLS reporting records (RFC 8460) at _smtp._tls.<domain>
 *
 * DESCRIPTION
 *	The tag list and the URIs are checked by dns_tags; this module knows
 *	which tags TLS-RPT requires and which URI schemes it allows.
 *
 * DIAGNOSTICS
 *	See tls_rpt.h.
 */
#include "tls_rpt.h"

#include <stdio.h>
#include <string.h>

#include "dns_tags.h"
#include "sa_error.h"

#define TLS_RPT_VERSION "TLSRPTv1"
#define TLS_RPT_ERR_MAX 256

bool tls_rpt_is_record(const char *txt)
{
	return dns_tags_versioned(txt, TLS_RPT_VERSION, false);
}

int tls_rpt_parse(const char *text, char *err, size_t errlen)
{
	struct dns_tags tags;
	if (!tls_rpt_is_record(text)) {
		snprintf(err, errlen, "does not start with v=TLSRPTv1");
		return SA_ERROR_PARSE;
	}
	int rc = dns_tags_parse(&tags, text, false, err, errlen);
	if (rc < 0)
		return rc;
	size_t nrua = dns_tags_count(&tags, "rua");
	if (nrua != 1) {
		snprintf(err, errlen, nrua == 0 ? "no rua field" : "more than one rua field");
		rc = SA_ERROR_PARSE;
	} else {
		rc = dns_tags_check_uris(dns_tags_find(&tags, "rua")->value,
		                         DNS_TAGS_URI_MAILTO | DNS_TAGS_URI_HTTPS, err, errlen);
	}
	dns_tags_free(&tags);
	return rc;
}

int tls_rpt_judge(const char *domain, const char *const *txt, size_t ntxt, struct dns_findings *out)
{
	const char *record = NULL;
	size_t count = 0;
	char err[TLS_RPT_ERR_MAX] = "";
	struct finding *f;
	int rc;
	for (size_t i = 0; i < ntxt; i++)
		if (tls_rpt_is_record(txt[i]) && count++ == 0)
			record = txt[i];
	if (count == 0)
		return dns_findings_add(out, NULL, CATALOG_DNS_TLSRPT_MISSING, NULL,
		                        "_smtp._tls.%s has no TXT record starting with v=TLSRPTv1",
		                        domain);
	if (count > 1)
		rc = dns_findings_add(
		    out, &f, CATALOG_DNS_TLSRPT_INVALID, "multiple",
		    "_smtp._tls.%s has %zu TLS-RPT records: senders send no reports", domain,
		    count);
	else if ((rc = tls_rpt_parse(record, err, sizeof(err))) == 0 || rc == SA_ERROR_NOMEM)
		return rc;
	else
		rc = dns_findings_add(out, &f, CATALOG_DNS_TLSRPT_INVALID, "syntax",
		                      "the TLS-RPT record of %s is invalid: %s", domain, err);
	for (size_t i = 0; rc == 0 && i < ntxt; i++)
		if (tls_rpt_is_record(txt[i]))
			rc = dns_findings_evidence(f, EVIDENCE_RECEIVED, "TXT _smtp._tls.%s: %s",
			                           domain, txt[i]);
	return rc;
}
