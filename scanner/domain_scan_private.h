/*
 * NAME
 *	domain_scan_private - what domain_scan.c, domain_posture.c and domain_mx_host.c share
 *
 * DESCRIPTION
 *	Internal to domain mode (libuv's convention: a double underscore
 *	marks what is shared between files, not offered to others). The
 *	structures are the state of the DNS phase; the functions count a
 *	domain's lookups (every dns_query/dns_resolve of the phase goes
 *	through domain_scan__query/__resolve so that its answer keeps the
 *	domain in the window) and record the first allocation failure.
 */
#ifndef DOMAIN_SCAN_PRIVATE_H
#define DOMAIN_SCAN_PRIVATE_H

#include <stdbool.h>
#include <stddef.h>

#include <uthash.h>

#include "dane.h"
#include "dns.h"
#include "domain_scan.h"
#include "mta_sts.h"

#define DOMAIN_MX_MAX_ADDRS     16 /* per MX host: more are scanned, not reverse-checked */
#define DOMAIN_MX_MAX_PTR       4  /* PTR names followed forward per address */
#define DOMAIN_MX_MAX_TLSA      32
#define DOMAIN_POSTURE_STS_PATH "/.well-known/mta-sts.txt"

enum domain_mx_ptr_state {
	DOMAIN_MX_PTR_PENDING,
	DOMAIN_MX_PTR_FOUND,  /* PTR names known; confirmed says whether one leads back */
	DOMAIN_MX_PTR_NONE,   /* NXDOMAIN or no PTR record */
	DOMAIN_MX_PTR_FAILED, /* the lookup failed: FCrDNS cannot be judged */
};

struct domain_mx_addr {
	struct target_addr addr;
	char text[64];
	enum domain_mx_ptr_state ptr_state;
	char *ptr[DOMAIN_MX_MAX_PTR];
	size_t nptr;
	bool confirmed;
	char *forward[DOMAIN_MX_MAX_PTR]; /* what each PTR name resolved to, for the evidence */
};

struct domain_mx_host {
	UT_hash_handle hh;
	char *name;
	struct domain_scan_domain *owner; /* counts this host's lookups */
	bool ip_literal;
	char *cname;
	char *error; /* why it has no address */
	struct domain_mx_addr addrs[DOMAIN_MX_MAX_ADDRS];
	size_t naddrs;
	struct dane_tlsa tlsa[DOMAIN_MX_MAX_TLSA];
	size_t ntlsa;
	bool tlsa_authenticated;
	char **domains;
	size_t ndomains;
};

/* One TXT lookup's outcome: records, or why there are none. */
struct domain_posture_txt {
	bool done;
	enum dns_answer_status status;
	char detail[128];
	char **txt;
	size_t n;
};

struct domain_posture_spf_name {
	char *name;
	struct domain_posture_txt txt;
	struct domain_scan_domain *dom;
};

/* One --domain while it is examined; res goes to the scan result at the end. */
struct domain_scan_domain {
	struct domain_scan *ds;
	struct domain_result *res;
	unsigned ops;
	struct domain_posture_txt spf, dmarc, sts, tlsrpt;
	struct domain_posture_spf_name **spf_names; /* at most SPF_MAX_RECORDS */
	size_t nspf_names;
	char sts_id[MTA_STS_ID_MAX + 1];
	struct https_get *fetch;
};

struct domain_scan {
	uv_loop_t *loop;
	struct dns *dns;
	struct tls_ctx *tls;
	struct domain_scan_config cfg;
	struct domain_scan_domain *domains;
	size_t ndomains, next, active;
	struct domain_mx_host *hosts;  /* uthash by name */
	struct domain_mx_host **order; /* first-seen order */
	size_t norder;
	const char **scan; /* the hosts to scan: no addresses, none without address */
	size_t nscan;
	int error; /* first SA_ERROR_NOMEM */
};

/* domain_scan.c */
void domain_scan__fail(struct domain_scan *ds, int rc);
void domain_scan__op_begin(struct domain_scan_domain *dom);
void domain_scan__op_end(struct domain_scan_domain *dom);
int domain_scan__query(struct domain_scan_domain *dom, const char *name, int type, dns_query_cb cb,
                       void *arg);
int domain_scan__resolve(struct domain_scan_domain *dom, const char *name, dns_resolve_cb cb,
                         void *arg);
char *domain_scan__printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* domain_posture.c: asks for and judges the four TXT records; frees what it kept. */
void domain_posture_start(struct domain_scan_domain *dom);
void domain_posture_free(struct domain_scan_domain *dom);

/* domain_mx_host.c */
struct domain_mx_host *domain_mx_host_find(const struct domain_scan *ds, const char *name);
/* Creates the host (and starts its lookups) the first time a domain names it. */
struct domain_mx_host *domain_mx_host_get(struct domain_scan_domain *dom, const char *name);
/* The domain's findings about one of its MX hosts: alias, address, no address. */
void domain_mx_host_judge_of(struct domain_scan_domain *dom, const struct domain_mx_host *h);
/* Attributes t to the host's domains and adds the host's findings (FCrDNS, greeting, DANE). */
void domain_mx_host_judge_target(const struct domain_mx_host *h, struct target_result *t);
void domain_mx_host_free(struct domain_mx_host *h);

#endif
