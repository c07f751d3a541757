/*
 * NAME
 *	domain_mx_host - one MX host: its DNS (aliases, addresses, reverse DNS, TLSA) and its
 *judgement
 *
 * DESCRIPTION
 *	A host is looked up once however many domains name it: its address
 *	records, whether it is an alias, the TLSA records at _25._tcp, and
 *	for each address (up to DOMAIN_MX_MAX_ADDRS) the PTR names and
 *	whether one of them resolves back to it. After the host's scan,
 *	domain_mx_host_judge_target() compares that with what the server
 *	showed: its greeting's host name, and the certificates it presented
 *	after STARTTLS against the TLSA records (dane.h).
 */
#include "domain_scan_private.h"

#include <arpa/nameser.h>
#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dane.h"
#include "sa_error.h"

/* The context of a lookup whose answer belongs to one address of a host. */
struct domain_mx_host_op {
	struct domain_mx_host *host;
	size_t addr;
	size_t ptr;
};

/* ---- MX hosts ---- */

struct domain_mx_host *domain_mx_host_find(const struct domain_scan *ds, const char *name)
{
	struct domain_mx_host *h = NULL;
	HASH_FIND_STR(ds->hosts, name, h);
	return h;
}

static bool domain_mx_host_add_domain(struct domain_mx_host *h, const char *domain)
{
	for (size_t i = 0; i < h->ndomains; i++)
		if (strcmp(h->domains[i], domain) == 0)
			return true;
	char **grown = reallocarray(h->domains, h->ndomains + 1, sizeof(*grown));
	if (grown == NULL)
		return false;
	h->domains = grown;
	h->domains[h->ndomains] = strdup(domain);
	return h->domains[h->ndomains++] != NULL;
}

static void domain_mx_host_reverse_name(const struct target_addr *a, char *buf, size_t len)
{
	size_t at = 0;
	if (a->family == AF_INET) {
		snprintf(buf, len, "%u.%u.%u.%u.in-addr.arpa", a->bytes[3], a->bytes[2],
		         a->bytes[1], a->bytes[0]);
		return;
	}
	static const char hex[] = "0123456789abcdef";
	for (int i = 15; i >= 0 && at + 4 < len; i--) {
		buf[at++] = hex[a->bytes[i] & 0xf];
		buf[at++] = '.';
		buf[at++] = hex[a->bytes[i] >> 4];
		buf[at++] = '.';
	}
	snprintf(buf + at, len - at, "ip6.arpa");
}

static struct domain_mx_host_op *domain_mx_host_op_new(struct domain_mx_host *h, size_t addr,
                                                       size_t ptr)
{
	struct domain_mx_host_op *op = malloc(sizeof(*op));
	if (op == NULL)
		domain_scan__fail(h->owner->ds, SA_ERROR_NOMEM);
	else
		*op = (struct domain_mx_host_op){.host = h, .addr = addr, .ptr = ptr};
	return op;
}

static void domain_mx_host_on_forward(void *arg, int status, const struct target_addr *addrs,
                                      size_t n, const char *detail)
{
	struct domain_mx_host_op *op = arg;
	struct domain_mx_addr *a = &op->host->addrs[op->addr];
	struct domain_scan_domain *owner = op->host->owner;
	char buf[64];
	if (status == 0) {
		for (size_t i = 0; i < n; i++)
			a->confirmed |= target_addr_equal(&addrs[i], &a->addr);
		a->forward[op->ptr] = domain_scan__printf(
		    "%s resolves to %s%s", a->ptr[op->ptr],
		    target_addr_str(&addrs[0], buf, sizeof(buf)), n > 1 ? " and more" : "");
	} else {
		a->forward[op->ptr] =
		    domain_scan__printf("%s does not resolve: %s", a->ptr[op->ptr],
		                        detail != NULL ? detail : sa_error_str(status));
	}
	free(op);
	domain_scan__op_end(owner);
}

static void domain_mx_host_on_ptr(void *arg, const struct dns_answer *ans)
{
	struct domain_mx_host_op *op = arg;
	struct domain_mx_host *h = op->host;
	struct domain_mx_addr *a = &h->addrs[op->addr];
	struct domain_scan_domain *owner = h->owner;
	free(op);
	if (ans->status == DNS_ANSWER_FAILED)
		a->ptr_state = DOMAIN_MX_PTR_FAILED;
	else if (ans->nnames == 0)
		a->ptr_state = DOMAIN_MX_PTR_NONE;
	else
		a->ptr_state = DOMAIN_MX_PTR_FOUND;
	for (size_t i = 0; i < ans->nnames && a->nptr < DOMAIN_MX_MAX_PTR; i++) {
		a->ptr[a->nptr] = strdup(ans->names[i]);
		if (a->ptr[a->nptr] == NULL)
			break;
		size_t at = a->nptr++;
		struct domain_mx_host_op *fwd =
		    domain_mx_host_op_new(h, (size_t)(a - h->addrs), at);
		if (fwd != NULL &&
		    domain_scan__resolve(owner, a->ptr[at], domain_mx_host_on_forward, fwd) != 0) {
			a->forward[at] = domain_scan__printf("%s cannot be resolved", a->ptr[at]);
			free(fwd);
		}
	}
	domain_scan__op_end(owner);
}

static void domain_mx_host_on_addrs(void *arg, int status, const struct target_addr *addrs,
                                    size_t n, const char *detail)
{
	struct domain_mx_host *h = arg;
	struct domain_scan_domain *owner = h->owner;
	if (status != 0) {
		h->error = strdup(detail != NULL ? detail : sa_error_str(status));
		domain_scan__op_end(owner);
		return;
	}
	for (size_t i = 0; i < n && h->naddrs < DOMAIN_MX_MAX_ADDRS; i++) {
		struct domain_mx_addr *a = &h->addrs[h->naddrs++];
		a->addr = addrs[i];
		target_addr_str(&addrs[i], a->text, sizeof(a->text));
		char rev[80];
		domain_mx_host_reverse_name(&addrs[i], rev, sizeof(rev));
		struct domain_mx_host_op *op = domain_mx_host_op_new(h, h->naddrs - 1, 0);
		if (op != NULL &&
		    domain_scan__query(owner, rev, ns_t_ptr, domain_mx_host_on_ptr, op) != 0) {
			a->ptr_state = DOMAIN_MX_PTR_FAILED;
			free(op);
		}
	}
	domain_scan__op_end(owner);
}

static void domain_mx_host_on_cname(void *arg, const struct dns_answer *a)
{
	struct domain_mx_host *h = arg;
	const char *alias = a->cname != NULL ? a->cname : (a->nnames > 0 ? a->names[0] : NULL);
	if (alias != NULL)
		h->cname = strdup(alias);
	domain_scan__op_end(h->owner);
}

static void domain_mx_host_on_tlsa(void *arg, const struct dns_answer *a)
{
	struct domain_mx_host *h = arg;
	h->tlsa_authenticated = a->authenticated;
	for (size_t i = 0; i < a->ntlsa && h->ntlsa < DOMAIN_MX_MAX_TLSA; i++) {
		const struct dns_rr_tlsa *r = &a->tlsa[i];
		unsigned char *data = r->len > 0 ? malloc(r->len) : NULL;
		if (r->len > 0 && data == NULL) {
			domain_scan__fail(h->owner->ds, SA_ERROR_NOMEM);
			break;
		}
		if (r->len > 0)
			memcpy(data, r->data, r->len);
		h->tlsa[h->ntlsa++] = (struct dane_tlsa){.usage = r->usage,
		                                         .selector = r->selector,
		                                         .matching = r->matching,
		                                         .data = data,
		                                         .len = r->len};
	}
	domain_scan__op_end(h->owner);
}

static void domain_mx_host_start(struct domain_mx_host *h)
{
	struct domain_scan_domain *owner = h->owner;
	char name[300];
	if (h->ip_literal || h->error != NULL)
		return;
	if (domain_scan__resolve(owner, h->name, domain_mx_host_on_addrs, h) != 0)
		h->error = strdup("not a name that can resolve");
	if (domain_scan__query(owner, h->name, ns_t_cname, domain_mx_host_on_cname, h) != 0)
		domain_scan__fail(owner->ds, SA_ERROR_NOMEM);
	snprintf(name, sizeof(name), "_%u._tcp.%s", DOMAIN_SCAN_DANE_PORT, h->name);
	if (domain_scan__query(owner, name, ns_t_tlsa, domain_mx_host_on_tlsa, h) != 0)
		domain_scan__fail(owner->ds, SA_ERROR_NOMEM);
}

/* What a hostile zone puts in an MX record must be a host name the scanner can target. */
static bool domain_mx_host_name_valid(const char *name)
{
	struct target_spec spec;
	char err[128];
	if (target_parse(name, &spec, err, sizeof(err)) != 0)
		return false;
	bool ok = spec.kind == TARGET_NAME && spec.port == 0;
	target_spec_free(&spec);
	return ok;
}

/* The host of that name, created (and its lookups started) the first time a domain names it. */
struct domain_mx_host *domain_mx_host_get(struct domain_scan_domain *dom, const char *name)
{
	struct domain_scan *ds = dom->ds;
	struct domain_mx_host *h = domain_mx_host_find(ds, name);
	if (h == NULL) {
		struct domain_mx_host **grown =
		    reallocarray(ds->order, ds->norder + 1, sizeof(*grown));
		h = calloc(1, sizeof(*h));
		if (grown != NULL)
			ds->order = grown;
		if (h == NULL || grown == NULL || (h->name = strdup(name)) == NULL) {
			free(h);
			domain_scan__fail(ds, SA_ERROR_NOMEM);
			return NULL;
		}
		struct target_addr literal;
		h->owner = dom;
		h->ip_literal = target_addr_parse(name, &literal);
		if (!h->ip_literal && !domain_mx_host_name_valid(name))
			h->error = strdup("not a valid host name");
		HASH_ADD_KEYPTR(hh, ds->hosts, h->name, strlen(h->name), h);
		ds->order[ds->norder++] = h;
		domain_mx_host_start(h);
	}
	if (!domain_mx_host_add_domain(h, dom->res->domain))
		domain_scan__fail(ds, SA_ERROR_NOMEM);
	return h;
}

void domain_mx_host_judge_of(struct domain_scan_domain *dom, const struct domain_mx_host *h)
{
	struct dns_findings *out = &dom->res->findings;
	struct finding *f = NULL;
	if (h->ip_literal) {
		domain_scan__fail(
		    dom->ds,
		    dns_findings_add(out, &f, CATALOG_DNS_MX_IP_LITERAL, h->name,
		                     "the MX record of %s names %s, an address: not scanned",
		                     dom->res->domain, h->name));
	} else if (h->naddrs == 0 && dom->res->route == DOMAIN_ROUTE_MX) {
		domain_scan__fail(
		    dom->ds, dns_findings_add(out, &f, CATALOG_DNS_MX_UNRESOLVABLE, h->name,
		                              "%s has no address: %s", h->name,
		                              h->error != NULL ? h->error : "no A or AAAA record"));
	}
	if (h->cname != NULL) {
		domain_scan__fail(dom->ds,
		                  dns_findings_add(out, &f, CATALOG_DNS_MX_CNAME, h->name,
		                                   "%s is an alias of %s", h->name, h->cname));
		domain_scan__fail(dom->ds,
		                  dns_findings_evidence(f, EVIDENCE_RECEIVED, "%s. IN CNAME %s.",
		                                        h->name, h->cname));
	}
}

/* ---- per target, after its scan ---- */

static const struct domain_mx_addr *domain_mx_host_addr(const struct domain_mx_host *h,
                                                        const char *text)
{
	for (size_t i = 0; text != NULL && i < h->naddrs; i++)
		if (strcmp(h->addrs[i].text, text) == 0)
			return &h->addrs[i];
	return NULL;
}

static void domain_mx_host_judge_fcrdns(const struct domain_mx_host *h,
                                        const struct domain_mx_addr *a, struct dns_findings *out,
                                        int *rc)
{
	if (a == NULL || a->confirmed || a->ptr_state == DOMAIN_MX_PTR_FAILED ||
	    a->ptr_state == DOMAIN_MX_PTR_PENDING)
		return;
	char rev[80];
	struct finding *f = NULL;
	domain_mx_host_reverse_name(&a->addr, rev, sizeof(rev));
	if (a->ptr_state == DOMAIN_MX_PTR_NONE) {
		*rc = dns_findings_add(out, &f, CATALOG_DNS_MX_NO_FCRDNS, NULL,
		                       "%s (%s) has no PTR record", a->text, h->name);
		if (*rc == 0)
			*rc = dns_findings_evidence(f, EVIDENCE_NOTE, "%s: no PTR record", rev);
		return;
	}
	*rc = dns_findings_add(out, &f, CATALOG_DNS_MX_NO_FCRDNS, NULL,
	                       "the reverse DNS of %s (%s) does not lead back to it", a->text,
	                       h->name);
	for (size_t i = 0; *rc == 0 && i < a->nptr; i++) {
		*rc = dns_findings_evidence(f, EVIDENCE_RECEIVED, "%s. IN PTR %s.", rev, a->ptr[i]);
		if (*rc == 0 && a->forward[i] != NULL)
			*rc = dns_findings_evidence(f, EVIDENCE_NOTE, "%s", a->forward[i]);
	}
}

/* The host name a greeting gives: its first word, when it looks like a domain name. */
static bool domain_mx_host_banner_name(const char *banner, char *name, size_t len)
{
	size_t n = strcspn(banner, " \t\n");
	if (n == 0 || n >= len || memchr(banner, '.', n) == NULL || banner[0] == '[')
		return false;
	memcpy(name, banner, n);
	name[n] = '\0';
	if (name[n - 1] == '.')
		name[n - 1] = '\0';
	struct target_addr literal;
	return !target_addr_parse(name, &literal);
}

static bool domain_mx_host_names_it(const struct domain_mx_host *h, const struct domain_mx_addr *a,
                                    const char *name)
{
	if (strcasecmp(name, h->name) == 0 || (h->cname != NULL && strcasecmp(name, h->cname) == 0))
		return true;
	for (size_t i = 0; a != NULL && i < a->nptr; i++)
		if (strcasecmp(name, a->ptr[i]) == 0)
			return true;
	return false;
}

static void domain_mx_host_judge_banner(const struct domain_mx_host *h,
                                        const struct domain_mx_addr *a,
                                        const struct target_result *t, struct dns_findings *out,
                                        int *rc)
{
	char name[256];
	if (*rc != 0 || t->banner == NULL ||
	    !domain_mx_host_banner_name(t->banner, name, sizeof(name)) ||
	    domain_mx_host_names_it(h, a, name))
		return;
	struct finding *f = NULL;
	*rc = dns_findings_add(out, &f, CATALOG_DNS_MX_BANNER_MISMATCH, NULL,
	                       "the greeting of MX host %s names %s", h->name, name);
	if (*rc == 0)
		*rc =
		    dns_findings_evidence(f, EVIDENCE_RECEIVED, "%d %s", t->banner_code, t->banner);
	if (*rc == 0 && a != NULL && a->nptr > 0)
		*rc = dns_findings_evidence(f, EVIDENCE_NOTE, "reverse DNS of %s: %s", a->text,
		                            a->ptr[0]);
}

static void domain_mx_host_judge_dane(const struct domain_mx_host *h, const struct target_result *t,
                                      struct dns_findings *out, int *rc)
{
	if (*rc != 0 || h->ntlsa == 0)
		return;
	struct dane_cert chain[16];
	size_t nchain = 0;
	for (size_t i = 0; t->have_tls && i < t->tls.nchain_der && nchain < 16; i++)
		chain[nchain++] = (struct dane_cert){.der = t->tls.chain_der[i].der,
		                                     .len = t->tls.chain_der[i].len};
	*rc =
	    dane_judge(h->name, h->tlsa, h->ntlsa, h->tlsa_authenticated, chain, nchain, NULL, out);
}

void domain_mx_host_judge_target(const struct domain_mx_host *h, struct target_result *t)
{
	int rc = 0;
	for (size_t i = 0; rc == 0 && i < h->ndomains; i++)
		rc = target_result_add_domain(t, h->domains[i]);
	struct dns_findings found = {0};
	const struct domain_mx_addr *a = domain_mx_host_addr(h, t->address);
	if (rc == 0 && t->outcome == OUTCOME_COMPLETED) {
		domain_mx_host_judge_fcrdns(h, a, &found, &rc);
		domain_mx_host_judge_banner(h, a, t, &found, &rc);
		domain_mx_host_judge_dane(h, t, &found, &rc);
	}
	for (size_t i = 0; rc == 0 && i < found.n; i++)
		rc = target_result_take_finding(t, &found.items[i]);
	found.n = 0;
	dns_findings_free(&found);
}

void domain_mx_host_free(struct domain_mx_host *h)
{
	free(h->name);
	free(h->cname);
	free(h->error);
	for (size_t i = 0; i < h->naddrs; i++)
		for (size_t j = 0; j < h->addrs[i].nptr; j++) {
			free(h->addrs[i].ptr[j]);
			free(h->addrs[i].forward[j]);
		}
	for (size_t i = 0; i < h->ntlsa; i++)
		free((void *)h->tlsa[i].data);
	for (size_t i = 0; i < h->ndomains; i++)
		free(h->domains[i]);
	free(h->domains);
	free(h);
}
