/*
 * NAME
 *	dns - asynchronous name resolution with c-ares on the libuv loop
 *
 * DESCRIPTION
 *	c-ares tells us which sockets it wants watched (sock_state_cb); each
 *	gets a uv_poll handle, and one uv_timer drives c-ares' own timeouts,
 *	so resolution never blocks the loop and never needs a thread.
 *
 *	Names in the reserved .invalid TLD (RFC 6761 section 6.4) are refused
 *	at once without a query, as that RFC asks of resolver libraries.
 *
 * DIAGNOSTICS
 *	The callback gets 0 with at least one address, or SA_ERROR_RESOLVE
 *	with c-ares' reason ("Domain name not found"), or SA_ERROR_CANCELED
 *	when the resolver is closed first.
 */
#ifndef DNS_H
#define DNS_H

#include <stdbool.h>
#include <stddef.h>

#include <uv.h>

#include "target.h"

struct dns;

/* addrs in the order the resolver gave them, duplicates removed. */
typedef void (*dns_resolve_cb)(void *arg, int status, const struct target_addr *addrs, size_t n,
			       const char *detail);

int dns_new(struct dns **out, uv_loop_t *loop, char *err, size_t errlen);

/* Cancels pending queries (their callbacks run with SA_ERROR_CANCELED) and frees d once its handles are closed. */
void dns_close(struct dns *d);

/*
 * Starts resolving name (A and AAAA). Returns 0, or SA_ERROR_RESOLVE at
 * once (callback not called) for a name that can never resolve, with the
 * reason in detail. The callback may run before dns_resolve() returns
 * (names answered from /etc/hosts).
 */
int dns_resolve(struct dns *d, const char *name, dns_resolve_cb cb, void *arg, char *detail,
		size_t detail_len);

#endif
