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
 *	dns_query() asks for one record type. c-ares 1.18 cannot set header
 *	flags, so the query is built with ares_create_query (with an EDNS OPT
 *	record, DNS_EDNS_UDP_SIZE), its AD bit set by hand (RFC 6840 section
 *	5.7: a validating resolver then reports whether the answer was
 *	validated), sent with ares_send, and the reply parsed by dns_answer.
 *	dns_set_servers() replaces the resolvers of resolv.conf for both
 *	dns_query() and dns_resolve(). A SERVFAIL or REFUSED reply is the
 *	answer (its rcode is reported), not a reason to ask the next server.
 *
 * DIAGNOSTICS
 *	dns_resolve()'s callback gets 0 with at least one address, or SA_ERROR_RESOLVE
 *	with c-ares' reason ("Domain name not found"), or SA_ERROR_CANCELED
 *	when the resolver is closed first.
 *
 *	dns_servers_check() and dns_set_servers() name the bad part of the
 *	list in err: "resolver \"x\": not a numeric IPv4 address or a
 *	bracketed IPv6 address". dns_query() answers FAILED with detail
 *	"timeout", "SERVFAIL", "REFUSED", "malformed answer", "resolver shut
 *	down" (see dns_answer.h).
 */
#ifndef DNS_H
#define DNS_H

#include <stdbool.h>
#include <stddef.h>

#include <uv.h>

#include "dns_answer.h"
#include "target.h"

#define DNS_EDNS_UDP_SIZE 1232 /* the DNS flag day 2020 size: no IP fragmentation */
#define DNS_SERVERS_MAX   16

struct dns;

/* addrs in the order the resolver gave them, duplicates removed. */
typedef void (*dns_resolve_cb)(void *arg, int status, const struct target_addr *addrs, size_t n,
                               const char *detail);

int dns_new(struct dns **out, uv_loop_t *loop, char *err, size_t errlen);

/* Cancels pending queries (their callbacks run with SA_ERROR_CANCELED) and frees d once its handles
 * are closed. */
void dns_close(struct dns *d);

/*
 * Starts resolving name (A and AAAA). Returns 0, or SA_ERROR_RESOLVE at
 * once (callback not called) for a name that can never resolve, with the
 * reason in detail. The callback may run before dns_resolve() returns
 * (names answered from /etc/hosts).
 */
int dns_resolve(struct dns *d, const char *name, dns_resolve_cb cb, void *arg, char *detail,
                size_t detail_len);

/*
 * "HOST[:PORT][,HOST[:PORT]...]": HOST a numeric IPv4 address or a bracketed IPv6 address
 * ("[::1]:5353"); default port 53; at most DNS_SERVERS_MAX. 0 or SA_ERROR_PARSE with err
 * naming the bad part. Pure: for CLI validation.
 */
int dns_servers_check(const char *servers, char *err, size_t errlen);

/*
 * Replaces the system resolvers (resolv.conf) for every later query and dns_resolve().
 * 0, SA_ERROR_PARSE (as dns_servers_check), SA_ERROR_INVAL when queries are pending
 * (c-ares cannot change servers under them): call it before the first query.
 */
int dns_set_servers(struct dns *d, const char *servers, char *err, size_t errlen);

/* The answer (and everything in it) is valid only during the callback. */
typedef void (*dns_query_cb)(void *arg, const struct dns_answer *answer);

/*
 * Starts one query for name and type (one of the types of struct dns_answer). Returns 0,
 * or SA_ERROR_NOMEM / SA_ERROR_PARSE (a bad name, or one in .invalid, RFC 6761) at once
 * without calling cb. On dns_close() pending callbacks run with FAILED "resolver shut
 * down". When c-ares cannot start the query (out of memory) cb runs with FAILED before
 * dns_query() returns.
 */
int dns_query(struct dns *d, const char *name, int type, dns_query_cb cb, void *arg);

#endif
