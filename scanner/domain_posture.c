/*
 * NAME
 *	domain_posture - a mail domain's SPF, DMARC, MTA-STS and TLS-RPT, read and judged
 *
 * DESCRIPTION
 *	Once the MX lookup has shown that a domain exists, its four TXT
 *	records are asked for at once; each is judged when its answer comes
 *	(spf.h, dmarc.h, mta_sts.h, tls_rpt.h) and kept as the domain's
 *	evidence. SPF includes and redirects are fetched one at a time, as
 *	the judge asks for them. An _mta-sts record leads to the policy
 *	fetch (https_get.h). A lookup that fails is recorded as such and
 *	judges nothing: a timeout is not a missing record.
 */
#include "domain_scan_private.h"

#include <arpa/nameser.h>
#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dmarc.h"
#include "https_get.h"
#include "mta_sts.h"
#include "sa_error.h"
#include "spf.h"
#include "tls_rpt.h"

/* ---- TXT records ---- */

static void domain_posture_txt_free(struct domain_posture_txt *t)
{
	for (size_t i = 0; i < t->n; i++)
		free(t->txt[i]);
	free(t->txt);
	*t = (struct domain_posture_txt){.done = false};
}

static void domain_posture_txt_store(struct domain_scan *ds, struct domain_posture_txt *t,
                                     const struct dns_answer *a)
{
	t->done = true;
	t->status = a->status;
	snprintf(t->detail, sizeof(t->detail), "%s", a->detail);
	if (a->ntxt == 0)
		return;
	t->txt = calloc(a->ntxt, sizeof(*t->txt));
	for (size_t i = 0; t->txt != NULL && i < a->ntxt; i++) {
		t->txt[i] = strdup(a->txt[i]);
		if (t->txt[i] == NULL)
			break;
		t->n = i + 1;
	}
	if (t->n < a->ntxt)
		domain_scan__fail(ds, SA_ERROR_NOMEM);
}

/* Keeps the records read (or the failure) as the domain's evidence. */
static void domain_posture_txt_record(struct domain_scan_domain *dom, const char *name,
                                      const struct domain_posture_txt *t,
                                      bool (*wanted)(const char *))
{
	struct domain_result *res = dom->res;
	if (t->status == DNS_ANSWER_FAILED) {
		domain_scan__fail(dom->ds,
		                  domain_result_add_record(res, name, "FAILED", t->detail));
		return;
	}
	for (size_t i = 0; i < t->n; i++)
		if (wanted(t->txt[i]))
			domain_scan__fail(dom->ds,
			                  domain_result_add_record(res, name, "TXT", t->txt[i]));
}

/* A TXT answer the judges can read: records, or none (NODATA, NXDOMAIN). */
static bool domain_posture_txt_judgeable(struct domain_scan_domain *dom, const char *name,
                                         const struct domain_posture_txt *t,
                                         bool (*wanted)(const char *))
{
	domain_posture_txt_record(dom, name, t, wanted);
	return t->status != DNS_ANSWER_FAILED;
}

/* ---- SPF ---- */

static struct domain_posture_spf_name *domain_posture_spf_find(struct domain_scan_domain *dom,
                                                               const char *name)
{
	for (size_t i = 0; i < dom->nspf_names; i++)
		if (strcasecmp(dom->spf_names[i]->name, name) == 0)
			return dom->spf_names[i];
	return NULL;
}

static int domain_posture_spf_lookup(void *arg, const char *name, const char *const **records,
                                     size_t *n)
{
	struct domain_scan_domain *dom = arg;
	struct domain_posture_spf_name *s = domain_posture_spf_find(dom, name);
	if (s == NULL)
		return dom->nspf_names < SPF_MAX_RECORDS ? SA_ERROR_AGAIN : SA_ERROR_RESOLVE;
	if (!s->txt.done)
		return SA_ERROR_AGAIN;
	if (s->txt.status == DNS_ANSWER_FAILED)
		return SA_ERROR_RESOLVE;
	*records = (const char *const *)s->txt.txt;
	*n = s->txt.n;
	return 0;
}

static void domain_posture_spf_judge(struct domain_scan_domain *dom);

static void domain_posture_on_spf_include(void *arg, const struct dns_answer *a)
{
	struct domain_posture_spf_name *s = arg;
	domain_posture_txt_store(s->dom->ds, &s->txt, a);
	domain_posture_spf_judge(s->dom);
	domain_scan__op_end(s->dom);
}

/* Starts the TXT lookup of an include or redirect target; false when it could not start. */
static bool domain_posture_spf_fetch(struct domain_scan_domain *dom, const char *name)
{
	assert(dom->nspf_names < SPF_MAX_RECORDS);
	struct domain_posture_spf_name **grown =
	    reallocarray(dom->spf_names, dom->nspf_names + 1, sizeof(*grown));
	struct domain_posture_spf_name *s = calloc(1, sizeof(*s));
	if (grown != NULL)
		dom->spf_names = grown;
	if (grown == NULL || s == NULL || (s->name = strdup(name)) == NULL) {
		free(s);
		domain_scan__fail(dom->ds, SA_ERROR_NOMEM);
		return false;
	}
	s->dom = dom;
	dom->spf_names[dom->nspf_names++] = s;
	if (domain_scan__query(dom, s->name, ns_t_txt, domain_posture_on_spf_include, s) == 0)
		return true;
	s->txt = (struct domain_posture_txt){.done = true, .status = DNS_ANSWER_FAILED};
	return false;
}

/*
 * Judges the domain's SPF with the records fetched so far; while the judge
 * names a record it has not seen, fetches it and judges again on its answer.
 */
static void domain_posture_spf_judge(struct domain_scan_domain *dom)
{
	for (;;) {
		struct spf_report report;
		struct dns_findings found = {0};
		int rc = spf_judge(dom->res->domain, (const char *const *)dom->spf.txt, dom->spf.n,
		                   domain_posture_spf_lookup, dom, &report, &found);
		bool again = rc == 0 && report.pending[0] != '\0';
		if (again && domain_posture_spf_fetch(dom, report.pending)) {
			dns_findings_free(&found);
			return;
		}
		if (!again || dom->ds->error != 0) {
			domain_scan__fail(dom->ds, rc);
			for (size_t i = 0; i < found.n; i++)
				domain_scan__fail(dom->ds, dns_findings_take(&dom->res->findings,
				                                             &found.items[i]));
			found.n = 0;
			dns_findings_free(&found);
			return;
		}
		dns_findings_free(&found);
	}
}

/* ---- DMARC, TLS-RPT ---- */

static void domain_posture_on_spf(void *arg, const struct dns_answer *a)
{
	struct domain_scan_domain *dom = arg;
	domain_posture_txt_store(dom->ds, &dom->spf, a);
	if (domain_posture_txt_judgeable(dom, dom->res->domain, &dom->spf, spf_is_record))
		domain_posture_spf_judge(dom);
	domain_scan__op_end(dom);
}

static void domain_posture_on_dmarc(void *arg, const struct dns_answer *a)
{
	struct domain_scan_domain *dom = arg;
	domain_posture_txt_store(dom->ds, &dom->dmarc, a);
	if (domain_posture_txt_judgeable(dom, a->name, &dom->dmarc, dmarc_is_record))
		domain_scan__fail(dom->ds,
		                  dmarc_judge(dom->res->domain, (const char *const *)dom->dmarc.txt,
		                              dom->dmarc.n, &dom->res->findings));
	domain_scan__op_end(dom);
}

/* MTA-STS and TLS-RPT protect mail to the domain: a domain that takes none needs neither. */
static bool domain_posture_receives_mail(const struct domain_scan_domain *dom)
{
	return dom->res->route != DOMAIN_ROUTE_NULL_MX;
}

static void domain_posture_on_tlsrpt(void *arg, const struct dns_answer *a)
{
	struct domain_scan_domain *dom = arg;
	domain_posture_txt_store(dom->ds, &dom->tlsrpt, a);
	if (domain_posture_receives_mail(dom) &&
	    domain_posture_txt_judgeable(dom, a->name, &dom->tlsrpt, tls_rpt_is_record))
		domain_scan__fail(dom->ds, tls_rpt_judge(dom->res->domain,
		                                         (const char *const *)dom->tlsrpt.txt,
		                                         dom->tlsrpt.n, &dom->res->findings));
	domain_scan__op_end(dom);
}

/* ---- MTA-STS ---- */

static void domain_posture_sts_unavailable(struct domain_scan_domain *dom, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void domain_posture_sts_unavailable(struct domain_scan_domain *dom, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	struct finding *f = NULL;
	domain_scan__fail(dom->ds,
	                  dns_findings_addv(&dom->res->findings, &f,
	                                    CATALOG_DNS_STS_POLICY_UNAVAILABLE, NULL, fmt, ap));
	va_end(ap);
	domain_scan__fail(dom->ds, dns_findings_evidence(f, EVIDENCE_NOTE,
	                                                 "policy id %s announced at _mta-sts.%s",
	                                                 dom->sts_id, dom->res->domain));
}

static void domain_posture_sts_judge_policy(struct domain_scan_domain *dom,
                                            const struct https_get_response *r)
{
	char url[300];
	snprintf(url, sizeof(url), "https://mta-sts.%s" DOMAIN_POSTURE_STS_PATH, dom->res->domain);
	if (r->status != 0) {
		domain_posture_sts_unavailable(dom, "%s: %s", url, r->detail);
		return;
	}
	if (r->http_status != 200) {
		domain_posture_sts_unavailable(
		    dom, "%s: HTTP status %d (senders accept only 200, no redirects)", url,
		    r->http_status);
		return;
	}
	if (r->content_type == NULL || strcmp(r->content_type, "text/plain") != 0) {
		domain_posture_sts_unavailable(dom, "%s: Content-Type %s, not text/plain", url,
		                               r->content_type != NULL ? r->content_type
		                                                       : "missing");
		return;
	}
	domain_scan__fail(dom->ds, domain_result_add_record(dom->res, url, "HTTPS", r->body));
	const char *mx[MTA_STS_MAX_MX];
	size_t nmx = 0;
	for (size_t i = 0; i < dom->res->nmx && nmx < MTA_STS_MAX_MX; i++)
		mx[nmx++] = dom->res->mx[i].host;
	domain_scan__fail(dom->ds, mta_sts_judge_policy(dom->res->domain, r->body, r->body_len, mx,
	                                                nmx, &dom->res->findings));
}

static void domain_posture_on_sts_policy(void *arg, const struct https_get_response *r)
{
	struct domain_scan_domain *dom = arg;
	dom->fetch = NULL;
	if (r->status != SA_ERROR_CANCELED)
		domain_posture_sts_judge_policy(dom, r);
	domain_scan__op_end(dom);
}

static void domain_posture_on_sts_host(void *arg, int status, const struct target_addr *addrs,
                                       size_t n, const char *detail)
{
	struct domain_scan_domain *dom = arg;
	char host[300];
	snprintf(host, sizeof(host), "mta-sts.%s", dom->res->domain);
	if (status != 0) {
		if (status != SA_ERROR_CANCELED)
			domain_posture_sts_unavailable(dom, "cannot resolve %s: %s", host, detail);
		domain_scan__op_end(dom);
		return;
	}
	struct https_get_request req = {
	    .host = host,
	    .addrs = addrs,
	    .naddrs = n,
	    .port = dom->ds->cfg.mta_sts_port,
	    .path = DOMAIN_POSTURE_STS_PATH,
	    .timeout_ms = dom->ds->cfg.https_timeout_ms,
	    .max_body = MTA_STS_MAX_POLICY,
	};
	domain_scan__op_begin(dom);
	int rc = https_get_start(dom->ds->loop, dom->ds->tls, &req, domain_posture_on_sts_policy,
	                         dom, &dom->fetch);
	if (rc != 0) {
		dom->ops--;
		domain_posture_sts_unavailable(dom, "cannot fetch from %s: %s", host,
		                               sa_error_str(rc));
	}
	domain_scan__op_end(dom);
}

/* Needs the _mta-sts record and the MX hosts (to judge the policy's coverage). */
static void domain_posture_sts_judge(struct domain_scan_domain *dom)
{
	if (!dom->sts.done || !domain_posture_receives_mail(dom))
		return;
	char name[300];
	snprintf(name, sizeof(name), "_mta-sts.%s", dom->res->domain);
	if (!domain_posture_txt_judgeable(dom, name, &dom->sts, mta_sts_is_record))
		return;
	const struct domain_scan_config *cfg = &dom->ds->cfg;
	const char *previous =
	    cfg->previous_sts_id != NULL ? cfg->previous_sts_id(cfg->previous_arg, dom->res->domain)
	                                 : NULL;
	domain_scan__fail(dom->ds,
	                  mta_sts_judge_txt(dom->res->domain, (const char *const *)dom->sts.txt,
	                                    dom->sts.n, previous, dom->sts_id, &dom->res->findings));
	if (dom->sts_id[0] == '\0')
		return;
	dom->res->mta_sts_id = strdup(dom->sts_id);
	char host[300];
	snprintf(host, sizeof(host), "mta-sts.%s", dom->res->domain);
	if (domain_scan__resolve(dom, host, domain_posture_on_sts_host, dom) != 0)
		domain_posture_sts_unavailable(dom, "cannot resolve %s", host);
}

static void domain_posture_on_sts(void *arg, const struct dns_answer *a)
{
	struct domain_scan_domain *dom = arg;
	domain_posture_txt_store(dom->ds, &dom->sts, a);
	domain_posture_sts_judge(dom);
	domain_scan__op_end(dom);
}

/* ---- start ---- */

void domain_posture_start(struct domain_scan_domain *dom)
{
	char name[300];
	const char *domain = dom->res->domain;
	if (domain_scan__query(dom, domain, ns_t_txt, domain_posture_on_spf, dom) != 0)
		domain_scan__fail(dom->ds, SA_ERROR_NOMEM);
	snprintf(name, sizeof(name), "_dmarc.%s", domain);
	if (domain_scan__query(dom, name, ns_t_txt, domain_posture_on_dmarc, dom) != 0)
		domain_scan__fail(dom->ds, SA_ERROR_NOMEM);
	snprintf(name, sizeof(name), "_mta-sts.%s", domain);
	if (domain_scan__query(dom, name, ns_t_txt, domain_posture_on_sts, dom) != 0)
		domain_scan__fail(dom->ds, SA_ERROR_NOMEM);
	snprintf(name, sizeof(name), "_smtp._tls.%s", domain);
	if (domain_scan__query(dom, name, ns_t_txt, domain_posture_on_tlsrpt, dom) != 0)
		domain_scan__fail(dom->ds, SA_ERROR_NOMEM);
}

void domain_posture_free(struct domain_scan_domain *dom)
{
	domain_posture_txt_free(&dom->spf);
	domain_posture_txt_free(&dom->dmarc);
	domain_posture_txt_free(&dom->sts);
	domain_posture_txt_free(&dom->tlsrpt);
	for (size_t i = 0; i < dom->nspf_names; i++) {
		free(dom->spf_names[i]->name);
		domain_posture_txt_free(&dom->spf_names[i]->txt);
		free(dom->spf_names[i]);
	}
	free(dom->spf_names);
	dom->spf_names = NULL;
	dom->nspf_names = 0;
}
