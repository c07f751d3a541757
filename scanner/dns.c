/*
 * NAME
 *	dns - c-ares driven by libuv poll handles and a timer
 */
#include "dns.h"

#include <ares.h>
#include <arpa/inet.h>
#include <assert.h>
#include <arpa/nameser.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sa_error.h"

#define DNS_TIMEOUT_MS 3000
#define DNS_TRIES      2
#define DNS_MAX_ADDRS  64

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

struct dns_resolve_req {
	dns_resolve_cb cb;
	void *arg;
};

struct dns_query_req {
	dns_query_cb cb;
	void *arg;
	int type;
	char name[]; /* as asked: the answer's name points here */
};

/* What a FAILED answer says for a c-ares status that came without a reply. */
struct dns_failure {
	int status;
	const char *detail;
};

static const struct dns_failure dns_failures[] = {
    {.status = ARES_ETIMEOUT, .detail = "timeout"},
    {.status = ARES_ESERVFAIL, .detail = "SERVFAIL"},
    {.status = ARES_EREFUSED, .detail = "REFUSED"},
    {.status = ARES_ENOTIMP, .detail = "NOTIMP"},
    {.status = ARES_EFORMERR, .detail = "FORMERR"},
    {.status = ARES_EBADRESP, .detail = "malformed answer"},
    {.status = ARES_ECONNREFUSED, .detail = "connection refused"},
    {.status = ARES_EDESTRUCTION, .detail = "resolver shut down"},
    {.status = ARES_ECANCELLED, .detail = "resolver shut down"},
    {.status = ARES_ENOMEM, .detail = "out of memory"},
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
	    /* c-ares 1.18 would turn a SERVFAIL or REFUSED into another server's
	       failure and lose the rcode; dns_answer reports it as such. */
	    .flags = ARES_FLAG_NOCHECKRESP,
	};
	rc = ares_init_options(&d->channel, &options,
	                       ARES_OPT_SOCK_STATE_CB | ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES |
	                           ARES_OPT_FLAGS);
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

static size_t dns_collect(const struct ares_addrinfo *res, struct target_addr *addrs, size_t max)
{
	size_t n = 0;
	for (const struct ares_addrinfo_node *node = res ? res->nodes : NULL;
	     node != NULL && n < max; node = node->ai_next) {
		struct target_addr a = {.family = node->ai_family};
		if (node->ai_family == AF_INET)
			memcpy(a.bytes, &((const struct sockaddr_in *)node->ai_addr)->sin_addr, 4);
		else if (node->ai_family == AF_INET6)
			memcpy(a.bytes, &((const struct sockaddr_in6 *)node->ai_addr)->sin6_addr,
			       16);
		else
			continue;
		bool seen = false;
		for (size_t i = 0; i < n && !seen; i++)
			seen = target_addr_equal(&addrs[i], &a);
		if (!seen)
			addrs[n++] = a;
	}
	return n;
}

static void dns_on_addrinfo(void *arg, int status, int timeouts, struct ares_addrinfo *res)
{
	struct dns_resolve_req *q = arg;
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
	struct dns_resolve_req *q = malloc(sizeof(*q));
	if (q == NULL)
		return SA_ERROR_NOMEM;
	q->cb = cb;
	q->arg = arg;
	struct ares_addrinfo_hints hints = {.ai_family = AF_UNSPEC, .ai_flags = ARES_AI_NOSORT};
	ares_getaddrinfo(d->channel, name, NULL, &hints, dns_on_addrinfo, q);
	dns_rearm(d);
	return 0;
}

static const char *dns_failure_detail(int status)
{
	for (size_t i = 0; i < sizeof(dns_failures) / sizeof(dns_failures[0]); i++)
		if (dns_failures[i].status == status)
			return dns_failures[i].detail;
	return ares_strerror(status);
}

static void dns_on_answer(void *arg, int status, int timeouts, unsigned char *abuf, int alen)
{
	struct dns_query_req *q = arg;
	struct dns_answer a;
	(void)timeouts;
	if (status == ARES_SUCCESS && abuf != NULL && alen >= 0)
		dns_answer_parse(abuf, (size_t)alen, q->name, q->type, &a);
	else
		dns_answer_failed(&a, q->name, q->type, dns_failure_detail(status));
	q->cb(q->arg, &a);
	dns_answer_free(&a);
	free(q);
}

int dns_query(struct dns *d, const char *name, int type, dns_query_cb cb, void *arg)
{
	assert(dns_answer_supports(type));
	if (dns_reserved_invalid(name))
		return SA_ERROR_PARSE;
	unsigned char *qbuf = NULL;
	int qlen = 0;
	int rc = ares_create_query(name, ns_c_in, type, 0, 1, &qbuf, &qlen, DNS_EDNS_UDP_SIZE);
	if (rc != ARES_SUCCESS)
		return rc == ARES_ENOMEM ? SA_ERROR_NOMEM : SA_ERROR_PARSE;
	/* RFC 6840 section 5.7: AD in a query asks for AD in the answer; byte 3 holds it. */
	qbuf[3] |= 0x20;
	size_t len = strlen(name);
	struct dns_query_req *q = malloc(sizeof(*q) + len + 1);
	if (q == NULL) {
		ares_free_string(qbuf);
		return SA_ERROR_NOMEM;
	}
	*q = (struct dns_query_req){.cb = cb, .arg = arg, .type = type};
	memcpy(q->name, name, len + 1);
	ares_send(d->channel, qbuf, qlen, dns_on_answer, q);
	ares_free_string(qbuf);
	dns_rearm(d);
	return 0;
}

static int dns_server_bad(const char *item, size_t len, const char *why, char *err, size_t errlen)
{
	snprintf(err, errlen, "resolver \"%.*s\": %s", (int)len, item, why);
	return SA_ERROR_PARSE;
}

static bool dns_port_parse(const char *text, uint16_t *port)
{
	if (*text < '1' || *text > '9' || strlen(text) > 5)
		return false;
	unsigned long v = 0;
	for (; *text != '\0'; text++) {
		if (*text < '0' || *text > '9')
			return false;
		v = v * 10 + (unsigned long)(*text - '0');
	}
	*port = (uint16_t)v;
	return v <= 65535;
}

/* One "HOST[:PORT]" (item[len], not NUL-terminated) into node. */
static int dns_server_parse(const char *item, size_t len, struct ares_addr_port_node *node,
                            char *err, size_t errlen)
{
	char text[64];
	if (len == 0)
		return dns_server_bad(item, len, "empty", err, errlen);
	if (len >= sizeof(text))
		return dns_server_bad(item, len, "too long", err, errlen);
	memcpy(text, item, len);
	text[len] = '\0';
	*node = (struct ares_addr_port_node){.family = AF_INET};
	char *host = text;
	char *port = NULL;
	if (text[0] == '[') {
		char *close = strchr(text, ']');
		if (close == NULL || (close[1] != '\0' && close[1] != ':'))
			return dns_server_bad(item, len, "no closing ] after the IPv6 address", err,
			                      errlen);
		port = close[1] == ':' ? close + 2 : NULL;
		*close = '\0';
		host = text + 1;
		node->family = AF_INET6;
	} else if ((port = strchr(text, ':')) != NULL) {
		*port++ = '\0';
	}
	void *addr =
	    node->family == AF_INET ? (void *)&node->addr.addr4 : (void *)&node->addr.addr6;
	if (inet_pton(node->family, host, addr) != 1)
		return dns_server_bad(item, len,
		                      "not a numeric IPv4 address or a bracketed IPv6 address", err,
		                      errlen);
	uint16_t number = NAMESERVER_PORT;
	if (port != NULL && !dns_port_parse(port, &number))
		return dns_server_bad(item, len, "port must be 1-65535", err, errlen);
	node->udp_port = number;
	node->tcp_port = number;
	return 0;
}

/* The comma-separated list into nodes[*n], linked in order. */
static int dns_servers_parse(const char *servers, struct ares_addr_port_node nodes[DNS_SERVERS_MAX],
                             size_t *n, char *err, size_t errlen)
{
	*n = 0;
	const char *p = servers;
	for (;;) {
		size_t len = strcspn(p, ",");
		if (*n == DNS_SERVERS_MAX) {
			snprintf(err, errlen, "more than %d resolvers", DNS_SERVERS_MAX);
			return SA_ERROR_PARSE;
		}
		int rc = dns_server_parse(p, len, &nodes[*n], err, errlen);
		if (rc != 0)
			return rc;
		if (*n > 0)
			nodes[*n - 1].next = &nodes[*n];
		(*n)++;
		if (p[len] == '\0')
			return 0;
		p += len + 1;
	}
}

int dns_servers_check(const char *servers, char *err, size_t errlen)
{
	struct ares_addr_port_node nodes[DNS_SERVERS_MAX];
	size_t n;
	return dns_servers_parse(servers, nodes, &n, err, errlen);
}

int dns_set_servers(struct dns *d, const char *servers, char *err, size_t errlen)
{
	struct ares_addr_port_node nodes[DNS_SERVERS_MAX];
	size_t n;
	int rc = dns_servers_parse(servers, nodes, &n, err, errlen);
	if (rc != 0)
		return rc;
	rc = ares_set_servers_ports(d->channel, nodes);
	if (rc == ARES_SUCCESS)
		return 0;
	snprintf(err, errlen, "c-ares: %s",
	         rc == ARES_ENOTIMP ? "queries are pending" : ares_strerror(rc));
	return rc == ARES_ENOMEM ? SA_ERROR_NOMEM : SA_ERROR_INVAL;
}
