/*
 * NAME
 *	domain_scan - the DNS phase of domain mode: the window of domains, their MX records
 *
 * DESCRIPTION
 *	Every lookup is an operation counted on the domain that started it
 *	(a shared MX host counts on the first domain that named it). A
 *	domain leaves the window when its count drops to zero, which lets
 *	the next one in; the phase ends when the window is empty and every
 *	domain has been in it. The mail DNS records of a domain are
 *	domain_posture.c's, its MX hosts domain_mx_host.c's.
 */
#include "domain_scan.h"

#include <arpa/nameser.h>
#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <uthash.h>

#include "domain_scan_private.h"
#include "sa_error.h"

static void domain_scan_domain_start(struct domain_scan_domain *dom);

/* ---- bookkeeping ---- */

void domain_scan__fail(struct domain_scan *ds, int rc)
{
	if (rc != 0 && ds->error == 0)
		ds->error = rc;
}

static int64_t domain_scan_wall_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void domain_scan__op_begin(struct domain_scan_domain *dom)
{
	dom->ops++;
}

static void domain_scan_fill_window(struct domain_scan *ds)
{
	while (ds->active < DOMAIN_SCAN_WINDOW && ds->next < ds->ndomains) {
		ds->active++;
		domain_scan_domain_start(&ds->domains[ds->next++]);
	}
	if (ds->active == 0)
		uv_stop(ds->loop);
}

void domain_scan__op_end(struct domain_scan_domain *dom)
{
	assert(dom->ops > 0);
	if (--dom->ops > 0)
		return;
	dom->res->finished_ms = domain_scan_wall_ms();
	domain_posture_free(dom); /* the records read are in res; the rest is done with */
	dom->ds->active--;
	domain_scan_fill_window(dom->ds);
}

char *domain_scan__printf(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *s = NULL;
	if (vasprintf(&s, fmt, ap) < 0)
		s = NULL;
	va_end(ap);
	return s;
}

/* The operation is counted before the call: an answer from /etc/hosts comes back inside it. */
int domain_scan__query(struct domain_scan_domain *dom, const char *name, int type, dns_query_cb cb,
                       void *arg)
{
	domain_scan__op_begin(dom);
	int rc = dns_query(dom->ds->dns, name, type, cb, arg);
	if (rc != 0)
		dom->ops--;
	return rc;
}

int domain_scan__resolve(struct domain_scan_domain *dom, const char *name, dns_resolve_cb cb,
                         void *arg)
{
	char detail[256];
	domain_scan__op_begin(dom);
	int rc = dns_resolve(dom->ds->dns, name, cb, arg, detail, sizeof(detail));
	if (rc != 0)
		dom->ops--;
	return rc;
}

/* ---- MX ---- */

/* Insertion sort: stable, so equal preferences keep the answer's order. */
static void domain_scan_sort_mx(struct domain_result *res)
{
	for (size_t i = 1; i < res->nmx; i++) {
		struct domain_mx m = res->mx[i];
		size_t j = i;
		for (; j > 0 && res->mx[j - 1].preference > m.preference; j--)
			res->mx[j] = res->mx[j - 1];
		res->mx[j] = m;
	}
}

static void domain_scan_mx_records(struct domain_scan_domain *dom, const struct dns_answer *a)
{
	struct domain_result *res = dom->res;
	bool null_mx = false;
	for (size_t i = 0; i < a->nmx; i++) {
		if (a->mx[i].host[0] == '\0') {
			null_mx = true;
			continue;
		}
		char text[300];
		snprintf(text, sizeof(text), "%u %s.", a->mx[i].preference, a->mx[i].host);
		domain_scan__fail(dom->ds,
		                  domain_result_add_mx(res, a->mx[i].preference, a->mx[i].host));
		domain_scan__fail(dom->ds, domain_result_add_record(res, res->domain, "MX", text));
	}
	if (null_mx && res->nmx == 0) {
		res->route = DOMAIN_ROUTE_NULL_MX;
		domain_scan__fail(dom->ds, domain_result_add_record(res, res->domain, "MX", "0 ."));
		domain_scan__fail(dom->ds,
		                  dns_findings_add(&res->findings, NULL, CATALOG_DNS_MX_NULL, NULL,
		                                   "%s: MX 0 . (accepts no mail)", res->domain));
		return;
	}
	domain_scan_sort_mx(res);
	res->route = DOMAIN_ROUTE_MX;
	for (size_t i = 0; i < res->nmx; i++)
		domain_mx_host_get(dom, res->mx[i].host);
}

/* No MX record: the domain itself is the mail host (RFC 5321 section 5.1). */
static void domain_scan_mx_implicit(struct domain_scan_domain *dom)
{
	struct domain_result *res = dom->res;
	res->route = DOMAIN_ROUTE_IMPLICIT;
	domain_scan__fail(dom->ds, domain_result_add_mx(res, 0, res->domain));
	domain_mx_host_get(dom, res->domain);
}

static void domain_scan_on_mx(void *arg, const struct dns_answer *a)
{
	struct domain_scan_domain *dom = arg;
	struct domain_result *res = dom->res;
	res->dnssec = a->authenticated;
	switch (a->status) {
	case DNS_ANSWER_OK:
		domain_scan_mx_records(dom, a);
		break;
	case DNS_ANSWER_NODATA:
		domain_scan_mx_implicit(dom);
		break;
	case DNS_ANSWER_NXDOMAIN:
		res->error = strdup("the domain does not exist (NXDOMAIN)");
		break;
	case DNS_ANSWER_FAILED:
		res->error = domain_scan__printf("MX lookup failed: %s", a->detail);
		break;
	}
	if (a->status == DNS_ANSWER_OK || a->status == DNS_ANSWER_NODATA)
		domain_posture_start(dom);
	domain_scan__op_end(dom);
}

static void domain_scan_domain_start(struct domain_scan_domain *dom)
{
	dom->res->started_ms = domain_scan_wall_ms();
	domain_scan__op_begin(
	    dom); /* held until the MX lookup is under way, so the window cannot close early */
	if (domain_scan__query(dom, dom->res->domain, ns_t_mx, domain_scan_on_mx, dom) != 0)
		dom->res->error = strdup("not a domain name that can be looked up");
	domain_scan__op_end(dom);
}

/* ---- after the DNS phase ---- */

static void domain_scan_finish_domain(struct domain_scan_domain *dom)
{
	struct domain_result *res = dom->res;
	for (size_t i = 0; i < res->nmx; i++) {
		struct domain_mx *mx = &res->mx[i];
		const struct domain_mx_host *h = domain_mx_host_find(dom->ds, mx->host);
		if (h == NULL)
			continue;
		for (size_t j = 0; j < h->naddrs; j++)
			domain_scan__fail(dom->ds, domain_mx_add_address(mx, h->addrs[j].text));
		if (h->error != NULL && mx->error == NULL)
			mx->error = strdup(h->error);
		domain_mx_host_judge_of(dom, h);
	}
	if (res->route == DOMAIN_ROUTE_IMPLICIT) {
		if (res->nmx == 1 && res->mx[0].naddresses == 0)
			res->route = DOMAIN_ROUTE_NONE;
		else
			domain_scan__fail(
			    dom->ds,
			    dns_findings_add(&res->findings, NULL, CATALOG_DNS_MX_IMPLICIT, NULL,
			                     "%s has no MX record: mail goes to %s's own addresses",
			                     res->domain, res->domain));
	}
	if (res->error == NULL && res->route == DOMAIN_ROUTE_FAILED)
		res->error = strdup("no answer");
}

static void domain_scan_domain_free(struct domain_scan_domain *dom)
{
	domain_posture_free(dom);
	domain_result_free(dom->res); /* NULL once handed to the scan result */
}

int domain_scan_run(uv_loop_t *loop, struct dns *dns, struct tls_ctx *tls,
                    const struct domain_scan_config *cfg, struct scan_result *result,
                    struct domain_scan **out)
{
	struct domain_scan *ds = calloc(1, sizeof(*ds));
	if (ds == NULL)
		return SA_ERROR_NOMEM;
	*ds = (struct domain_scan){.loop = loop, .dns = dns, .tls = tls, .cfg = *cfg};
	ds->domains = calloc(cfg->ndomains, sizeof(*ds->domains));
	if (ds->domains == NULL && cfg->ndomains > 0) {
		free(ds);
		return SA_ERROR_NOMEM;
	}
	ds->ndomains = cfg->ndomains;
	for (size_t i = 0; i < cfg->ndomains; i++) {
		ds->domains[i] = (struct domain_scan_domain){
		    .ds = ds, .res = domain_result_new(cfg->domains[i])};
		if (ds->domains[i].res == NULL)
			domain_scan__fail(ds, SA_ERROR_NOMEM);
	}
	if (ds->error == 0) {
		domain_scan_fill_window(ds);
		uv_run(loop, UV_RUN_DEFAULT);
	}
	for (size_t i = 0; i < ds->ndomains && ds->error == 0; i++) {
		domain_scan_finish_domain(&ds->domains[i]);
		domain_scan__fail(ds, scan_result_add_domain(result, ds->domains[i].res));
		if (ds->error == 0)
			ds->domains[i].res = NULL;
	}
	ds->scan = calloc(ds->norder + 1, sizeof(*ds->scan));
	for (size_t i = 0; ds->scan != NULL && i < ds->norder; i++)
		if (!ds->order[i]->ip_literal && ds->order[i]->naddrs > 0)
			ds->scan[ds->nscan++] = ds->order[i]->name;
	if (ds->scan == NULL)
		domain_scan__fail(ds, SA_ERROR_NOMEM);
	*out = ds;
	return ds->error;
}

const char *domain_scan_host_at(const struct domain_scan *ds, size_t index)
{
	return index < ds->nscan ? ds->scan[index] : NULL;
}

void domain_scan_finish_target(void *arg, struct target_result *t)
{
	const struct domain_scan *ds = arg;
	const struct domain_mx_host *h = domain_mx_host_find(ds, t->host);
	if (h != NULL && t->port == ds->cfg.mx_port)
		domain_mx_host_judge_target(h, t);
	tls_facts_drop_chain(&t->tls); /* kept for DANE only */
}

void domain_scan_free(struct domain_scan *ds)
{
	if (ds == NULL)
		return;
	for (size_t i = 0; i < ds->ndomains; i++)
		domain_scan_domain_free(&ds->domains[i]);
	free(ds->domains);
	HASH_CLEAR(hh, ds->hosts);
	for (size_t i = 0; i < ds->norder; i++)
		domain_mx_host_free(ds->order[i]);
	free(ds->order);
	free(ds->scan);
	free(ds);
}
