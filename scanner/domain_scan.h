/*
 * NAME
 *	domain_scan - domain mode: from mail domains to the MX hosts to scan, and their DNS posture
 *
 * SUMMARY
 *	domain_scan_run(loop, dns, tls, &cfg, &result, &ds);   DNS phase, before the scan
 *	for each MX host: target_list_add(..., "host:25", ...)   (domain_scan_host_at)
 *	scheduler hook:   domain_scan_finish_target(ds, target)  before a target is written
 *	domain_scan_free(ds);
 *
 * DESCRIPTION
 *	Before any SMTP connection, every domain is examined on the same
 *	libuv loop, at most DOMAIN_SCAN_WINDOW domains at a time:
 *
 *	  MX records, in preference order (ties in answer order); without
 *	  MX, the implicit MX (the domain's own A/AAAA, RFC 5321 section
 *	  5.1, SMTP-DNS-054); the null MX "0 ." (RFC 7505, SMTP-DNS-055, and
 *	  nothing to scan); a failed lookup or NXDOMAIN ends that domain.
 *	  TXT at the domain (SPF, following include and redirect as the
 *	  judge asks), at _dmarc, _mta-sts and _smtp._tls; with an _mta-sts
 *	  record, the policy from https://mta-sts.<domain>/.well-known/
 *	  mta-sts.txt (https_get: chain and name verified; any failure,
 *	  status other than 200 or a type other than text/plain is
 *	  SMTP-DNS-022), judged against the MX hosts.
 *
 *	Each MX host is examined once, however many domains name it: is it
 *	an alias (SMTP-DNS-050) or an IP address (SMTP-DNS-051, not
 *	scanned), its addresses (none: SMTP-DNS-056), the reverse DNS of
 *	each address and whether that name resolves back to it, and its
 *	TLSA records at _25._tcp.<host> with the AD bit.
 *
 *	During the scan each MX host is a target "host:PORT" of every
 *	address (PORT 25, or --mx-port for a lab). domain_scan_finish_target() then names its
 *domains on the target and adds the per-host findings: no forward-confirmed reverse DNS
 *(SMTP-DNS-052), a greeting naming another host (SMTP-DNS-053), and DANE (SMTP-DNS-040..042) judged
 *against the chain the host presented after STARTTLS, which the TLS context keeps in domain mode
 *(tls_ctx_keep_chain) and this function frees.
 *
 * DIAGNOSTICS
 *	domain_scan_run() returns 0 (DNS failures are results, not errors)
 *	or SA_ERROR_NOMEM.
 */
#ifndef DOMAIN_SCAN_H
#define DOMAIN_SCAN_H

#include <stddef.h>
#include <stdint.h>

#include <uv.h>

#include "dns.h"
#include "result.h"
#include "tls_conn.h"

#define DOMAIN_SCAN_WINDOW    64
#define DOMAIN_SCAN_DANE_PORT 25 /* RFC 7672: TLSA records of SMTP at _25._tcp */

struct domain_scan;

struct domain_scan_config {
	char *const *domains; /* lower case, no trailing dot */
	size_t ndomains;
	uint16_t mta_sts_port; /* 443, or a test server's */
	uint16_t mx_port;      /* where MX hosts are scanned: 25 */
	uint64_t https_timeout_ms;
	/* The _mta-sts id an earlier scan saw for domain (--baseline), or NULL; may be NULL. */
	const char *(*previous_sts_id)(const void *arg, const char *domain);
	const void *previous_arg;
};

/*
 * Runs the DNS phase to its end on loop, appends one domain_result per
 * domain to result (in the order given) and keeps the MX hosts in *out.
 */
int domain_scan_run(uv_loop_t *loop, struct dns *dns, struct tls_ctx *tls,
                    const struct domain_scan_config *cfg, struct scan_result *result,
                    struct domain_scan **out);

/* The index-th MX host to scan (NULL past the last): a name, never an address. */
const char *domain_scan_host_at(const struct domain_scan *ds, size_t index);

/* Attributes t to its domains and adds the per-host findings; nothing for other targets. */
void domain_scan_finish_target(void *ds, struct target_result *t);

void domain_scan_free(struct domain_scan *ds);

#endif
