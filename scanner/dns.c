/*
 * NAME
 *	dns - c-ares driven by libuv poll handles and a timer
 */
#include "dns.h"

#include <ares.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sa_error.h"

#define DNS_TIMEOUT_MS 3000
#define DNS_TRIES 2
#define DNS_MAX_ADDRS 64

struct dns_poller {
	uv_poll_t poll;
	ares_socket_t fd;
	struct dns *dns;
	struct dns_poller *next;
};

struct dns {
	uv_loop_t *loop;
	ares_channel channel;
	uv_timer_t timer;
	struct dns_poller *pollers;
	bool closing;
	int open_handles; /* the timer and every poller not yet closed */
};

struct dns_query {
	dns_resolve_cb cb;
	void *arg;
};

static void dns_maybe_free(struct dns *d)
{
	if (d->closing && d->open_handles == 0)
		free(d);
}

static void dns_handle_closed(uv_handle_t *h)
{
	struct dns *d;
	if (h->type == UV_POLL) {
		struct dns_poller *p = h->data;
		d = p->dns;
		free(p);
	} else {
		d = h->data;
	}
	d->open_handles--;
	dns_maybe_free(d);
}

static void dns_on_timer(uv_timer_t *t);

/* c-ares keeps its own deadlines; the timer fires at the nearest one. */
static void dns_rearm(struct dns *d)
{
	struct timeval tv;
	if (d->closing)
		return;
	struct timeval *next = ares_timeout(d->channel, NULL, &tv);
	if (next == NULL) {
		uv_timer_stop(&d->timer);
		return;
	}
	uint64_t ms = (uint64_t)next->tv_sec * 1000 + (uint64_t)next->tv_usec / 1000;
	uv_timer_start(&d->timer, dns_on_timer, ms, 0);
}

static void dns_on_timer(uv_timer_t *t)
{
	struct dns *d = t->data;
	ares_process_fd(d->channel, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
	dns_rearm(d);
}

static void dns_on_poll(uv_poll_t *h, int status, int events)
{
	struct dns_poller *p = h->data;
	struct dns *d = p->dns;
	/* On a poll error let c-ares find out by reading and writing the socket. */
	bool readable = status < 0 || (events & UV_READABLE);
	bool writable = status < 0 || (events & UV_WRITABLE);
	ares_process_fd(d->channel, readable ? p->fd : ARES_SOCKET_BAD,
			writable ? p->fd : ARES_SOCKET_BAD);
	dns_rearm(d);
}

static struct dns_poller **dns_find_poller(struct dns *d, ares_socket_t fd)
{
	struct dns_poller **pp = &d->pollers;
	while (*pp != NULL && (*pp)->fd != fd)
		pp = &(*pp)->next;
	return pp;
}

static void dns_on_sock_state(void *data, ares_socket_t fd, int readable, int writable)
{
	struct dns *d = data;
	struct dns_poller **pp = dns_find_poller(d, fd);
	struct dns_poller *p = *pp;
	if (!readable && !writable) {
		if (p != NULL) {
			*pp = p->next;
			uv_poll_stop(&p->poll);
			uv_close((uv_handle_t *)&p->poll, dns_handle_closed);
		}
		return;
	}
	if (p == NULL) {
		p = calloc(1, sizeof(*p));
		if (p == NULL || uv_poll_init_socket(d->loop, &p->poll, fd) != 0) {
			/* c-ares will time the query out; nothing else can be done here. */
			free(p);
			return;
		}
		p->fd = fd;
		p->dns = d;
		p->poll.data = p;
		p->next = d->pollers;
		d->pollers = p;
		d->open_handles++;
	}
	uv_poll_start(&p->poll, (readable ? UV_READABLE : 0) | (writable ? UV_WRITABLE : 0),
		      dns_on_poll);
}

int dns_new(struct dns **out, uv_loop_t *loop, char *err, size_t errlen)
{
	int rc = ares_library_init(ARES_LIB_INIT_ALL);
	if (rc != ARES_SUCCESS) {
		snprintf(err, errlen, "c-ares: %s", ares_strerror(rc));
		return SA_ERROR_RESOLVE;
	}
	struct dns *d = calloc(1, sizeof(*d));
	if (d == NULL)
		return SA_ERROR_NOMEM;
	d->loop = loop;
	struct ares_options options = {
		.sock_state_cb = dns_on_sock_state,
		.sock_state_cb_data = d,
		.timeout = DNS_TIMEOUT_MS,
		.tries = DNS_TRIES,
	};
	rc = ares_init_options(&d->channel, &options,
			       ARES_OPT_SOCK_STATE_CB | ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES);
	if (rc != ARES_SUCCESS) {
		snprintf(err, errlen, "c-ares: %s", ares_strerror(rc));
		free(d);
		return SA_ERROR_RESOLVE;
	}
	uv_timer_init(loop, &d->timer);
	d->timer.data = d;
	d->open_handles = 1;
	*out = d;
	return 0;
}

void dns_close(struct dns *d)
{
	if (d == NULL)
		return;
	/* ares_destroy runs pending callbacks (ARES_EDESTRUCTION) and closes its sockets. */
	ares_destroy(d->channel);
	d->closing = true;
	while (d->pollers != NULL) {
		struct dns_poller *p = d->pollers;
		d->pollers = p->next;
		uv_poll_stop(&p->poll);
		uv_close((uv_handle_t *)&p->poll, dns_handle_closed);
	}
	uv_timer_stop(&d->timer);
	uv_close((uv_handle_t *)&d->timer, dns_handle_closed);
}

static bool dns_same_addr(const struct target_addr *a, const struct target_addr *b)
{
	size_t len = a->family == AF_INET ? 4 : 16;
	return a->family == b->family && memcmp(a->bytes, b->bytes, len) == 0;
}

static size_t dns_collect(const struct ares_addrinfo *res, struct target_addr *addrs, size_t max)
{
	size_t n = 0;
	for (const struct ares_addrinfo_node *node = res ? res->nodes : NULL;
	     node != NULL && n < max; node = node->ai_next) {
		struct target_addr a = {.family = node->ai_family};
		if (node->ai_family == AF_INET)
			memcpy(a.bytes, &((const struct sockaddr_in *)node->ai_addr)->sin_addr, 4);
		else if (node->ai_family == AF_INET6)
			memcpy(a.bytes, &((const struct sockaddr_in6 *)node->ai_addr)->sin6_addr, 16);
		else
			continue;
		bool seen = false;
		for (size_t i = 0; i < n && !seen; i++)
			seen = dns_same_addr(&addrs[i], &a);
		if (!seen)
			addrs[n++] = a;
	}
	return n;
}

static void dns_on_addrinfo(void *arg, int status, int timeouts, struct ares_addrinfo *res)
{
	struct dns_query *q = arg;
	struct target_addr addrs[DNS_MAX_ADDRS];
	(void)timeouts;
	size_t n = status == ARES_SUCCESS ? dns_collect(res, addrs, DNS_MAX_ADDRS) : 0;
	if (status == ARES_EDESTRUCTION || status == ARES_ECANCELLED)
		q->cb(q->arg, SA_ERROR_CANCELED, NULL, 0, "resolver shut down");
	else if (n == 0)
		q->cb(q->arg, SA_ERROR_RESOLVE, NULL, 0,
		      status == ARES_SUCCESS ? "no IPv4 or IPv6 address" : ares_strerror(status));
	else
		q->cb(q->arg, 0, addrs, n, NULL);
	ares_freeaddrinfo(res);
	free(q);
}

static bool dns_reserved_invalid(const char *name)
{
	size_t len = strlen(name);
	const char *tld = ".invalid";
	size_t tlen = strlen(tld);
	return strcasecmp(name, "invalid") == 0 ||
	       (len > tlen && strcasecmp(name + len - tlen, tld) == 0);
}

int dns_resolve(struct dns *d, const char *name, dns_resolve_cb cb, void *arg, char *detail,
		size_t detail_len)
{
	if (dns_reserved_invalid(name)) {
		snprintf(detail, detail_len, "reserved .invalid name (RFC 6761), never resolves");
		return SA_ERROR_RESOLVE;
	}
	struct dns_query *q = malloc(sizeof(*q));
	if (q == NULL)
		return SA_ERROR_NOMEM;
	q->cb = cb;
	q->arg = arg;
	struct ares_addrinfo_hints hints = {.ai_family = AF_UNSPEC, .ai_flags = ARES_AI_NOSORT};
	ares_getaddrinfo(d->channel, name, NULL, &hints, dns_on_addrinfo, q);
	dns_rearm(d);
	return 0;
}
