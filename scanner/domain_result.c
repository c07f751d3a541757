/*
 * NAME
 *	domain_result - one mail domain's routing, records and posture findings
 */
#include "domain_result.h"

#include <stdlib.h>
#include <string.h>

#include "sa_error.h"

static const char *const domain_route_names[] = {
#define DOMAIN_ROUTE_NAME(name, text) [DOMAIN_ROUTE_##name] = text,
    DOMAIN_ROUTE_MAP(DOMAIN_ROUTE_NAME)
#undef DOMAIN_ROUTE_NAME
};
_Static_assert(sizeof(domain_route_names) / sizeof(domain_route_names[0]) == DOMAIN_ROUTE_COUNT,
               "one name per route");

const char *domain_route_name(enum domain_route r)
{
	return (unsigned)r < DOMAIN_ROUTE_COUNT ? domain_route_names[r] : "unknown";
}

struct domain_result *domain_result_new(const char *domain)
{
	struct domain_result *d = calloc(1, sizeof(*d));
	if (d == NULL)
		return NULL;
	d->domain = strdup(domain);
	if (d->domain == NULL) {
		free(d);
		return NULL;
	}
	d->route = DOMAIN_ROUTE_FAILED;
	return d;
}

static void domain_mx_free(struct domain_mx *mx)
{
	free(mx->host);
	for (size_t i = 0; i < mx->naddresses; i++)
		free(mx->addresses[i]);
	free(mx->addresses);
	free(mx->error);
}

static void domain_record_free(struct domain_record *r)
{
	free(r->name);
	free(r->type);
	free(r->text);
}

void domain_result_free(struct domain_result *d)
{
	if (d == NULL)
		return;
	free(d->domain);
	free(d->error);
	for (size_t i = 0; i < d->nmx; i++)
		domain_mx_free(&d->mx[i]);
	free(d->mx);
	for (size_t i = 0; i < d->nrecords; i++)
		domain_record_free(&d->records[i]);
	free(d->records);
	free(d->mta_sts_id);
	dns_findings_free(&d->findings);
	free(d);
}

int domain_result_add_mx(struct domain_result *d, unsigned preference, const char *host)
{
	struct domain_mx *grown = reallocarray(d->mx, d->nmx + 1, sizeof(*grown));
	if (grown == NULL)
		return SA_ERROR_NOMEM;
	d->mx = grown;
	char *copy = strdup(host);
	if (copy == NULL)
		return SA_ERROR_NOMEM;
	d->mx[d->nmx++] = (struct domain_mx){.preference = preference, .host = copy};
	return 0;
}

int domain_mx_add_address(struct domain_mx *mx, const char *address)
{
	char **grown = reallocarray(mx->addresses, mx->naddresses + 1, sizeof(*grown));
	if (grown == NULL)
		return SA_ERROR_NOMEM;
	mx->addresses = grown;
	char *copy = strdup(address);
	if (copy == NULL)
		return SA_ERROR_NOMEM;
	mx->addresses[mx->naddresses++] = copy;
	return 0;
}

int domain_result_add_record(struct domain_result *d, const char *name, const char *type,
                             const char *text)
{
	struct domain_record *grown = reallocarray(d->records, d->nrecords + 1, sizeof(*grown));
	if (grown == NULL)
		return SA_ERROR_NOMEM;
	d->records = grown;
	struct domain_record r = {.name = strdup(name), .type = strdup(type), .text = strdup(text)};
	if (r.name == NULL || r.type == NULL || r.text == NULL) {
		domain_record_free(&r);
		return SA_ERROR_NOMEM;
	}
	d->records[d->nrecords++] = r;
	return 0;
}

int domain_result_worst(const struct domain_result *d)
{
	int worst = -1;
	for (size_t i = 0; i < d->findings.n; i++) {
		int sev = (int)finding_severity(&d->findings.items[i]);
		if (sev > worst)
			worst = sev;
	}
	return worst;
}
