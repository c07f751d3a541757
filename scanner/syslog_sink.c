/*
 * NAME
 *	syslog_sink - send findings to a syslog collector as they are found (--syslog)
 *
 * DESCRIPTION
 *	See syslog_sink.h for the message format and the transports. The
 *	sink uses plain non-blocking sockets rather than the event loop: it
 *	only writes, a collector on the far end never answers, and what the
 *	kernel cannot take at once waits in a bounded queue of whole TCP
 *	frames that drains each time a target finishes and once more, with
 *	a deadline, at close.
 *
 * DIAGNOSTICS
 *	Only the first delivery error is printed; close adds one line with
 *	the number of findings that were not delivered, if any.
 */
#include "syslog_sink.h"

#include <arpa/inet.h>
#include <assert.h>
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "report_cef.h"
#include "report_time.h"
#include "sa_error.h"

/* RFC 5424 severities, by catalogue severity. */
static const int syslog_severity_map[SEVERITY_COUNT] = {
    [SEVERITY_INFO] = 6, [SEVERITY_LOW] = 5,      [SEVERITY_MEDIUM] = 4,
    [SEVERITY_HIGH] = 3, [SEVERITY_CRITICAL] = 2,
};
_Static_assert(sizeof(syslog_severity_map) / sizeof(syslog_severity_map[0]) == SEVERITY_COUNT,
               "one syslog severity per catalogue severity");

/* One octet-counted TCP frame waiting for the socket. */
struct syslog_frame {
	struct syslog_frame *next;
	size_t len, sent;
	char data[];
};

struct syslog_sink {
	struct syslog_dest dest;
	struct syslog_origin origin;
	char scan_id[37];
	FILE *err;
	int fd;          /* -1 once the destination failed */
	bool connecting; /* TCP connect in progress */
	bool error_reported;
	struct syslog_frame *head, *tail;
	size_t queued_bytes, queued_frames;
	size_t findings, undelivered;
};

/* ---- parsing ---- */

static int syslog_reject(char *err, size_t errlen, const char *url, const char *why)
{
	snprintf(err, errlen, "'%s': %s (use udp://HOST:PORT, tcp://HOST:PORT or unix:PATH)", url,
	         why);
	return SA_ERROR_INVAL;
}

static bool syslog_port_ok(const char *text)
{
	if (text[0] == '\0' || strlen(text) > 5 || strspn(text, "0123456789") != strlen(text))
		return false;
	long port = strtol(text, NULL, 10);
	return port >= 1 && port <= 65535;
}

/* A name or IPv4 address as getaddrinfo takes it; single-label names ("siem") are fine. */
static bool syslog_host_ok(const char *host)
{
	static const char allowed[] =
	    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-";
	return host[0] != '-' && host[0] != '.' && strspn(host, allowed) == strlen(host);
}

/* HOST:PORT after the scheme: a name or IPv4 address, or [IPv6]. */
static int syslog_parse_host_port(struct syslog_dest *d, const char *hp, char *err, size_t errlen)
{
	const char *colon;
	size_t hostlen;
	bool bracketed = hp[0] == '[';
	if (bracketed) {
		const char *close = strchr(hp, ']');
		if (close == NULL || close[1] != ':')
			return syslog_reject(err, errlen, d->url, "expected [IPv6]:PORT");
		hp++;
		hostlen = (size_t)(close - hp);
		colon = close + 1;
	} else {
		colon = strrchr(hp, ':');
		if (colon == NULL)
			return syslog_reject(err, errlen, d->url, "missing :PORT");
		hostlen = (size_t)(colon - hp);
	}
	if (hostlen == 0 || hostlen >= sizeof(d->host))
		return syslog_reject(err, errlen, d->url, "missing or overlong host");
	memcpy(d->host, hp, hostlen);
	d->host[hostlen] = '\0';

	unsigned char addr[16];
	bool ok = bracketed ? inet_pton(AF_INET6, d->host, addr) == 1 : syslog_host_ok(d->host);
	if (!ok)
		return syslog_reject(err, errlen, d->url, "bad host");
	if (!syslog_port_ok(colon + 1))
		return syslog_reject(err, errlen, d->url, "port out of range (1-65535)");
	snprintf(d->port, sizeof(d->port), "%s", colon + 1);
	return 0;
}

static int syslog_parse_path(struct syslog_dest *d, const char *path, char *err, size_t errlen)
{
	size_t len = strlen(path);
	if (len == 0 || len >= sizeof(d->path))
		return syslog_reject(err, errlen, d->url, "missing or overlong socket path");
	memcpy(d->path, path, len + 1);
	return 0;
}

int syslog_dest_parse(struct syslog_dest *d, const char *url, char *err, size_t errlen)
{
	*d = (struct syslog_dest){0};
	if (strlen(url) >= sizeof(d->url)) {
		snprintf(err, errlen, "the URL is longer than %zu characters", sizeof(d->url) - 1);
		return SA_ERROR_INVAL;
	}
	snprintf(d->url, sizeof(d->url), "%s", url);
	int rc;
	if (strncmp(url, "udp://", 6) == 0 || strncmp(url, "tcp://", 6) == 0) {
		d->transport = url[0] == 'u' ? SYSLOG_TRANSPORT_UDP : SYSLOG_TRANSPORT_TCP;
		rc = syslog_parse_host_port(d, url + 6, err, errlen);
	} else if (strncmp(url, "unix:", 5) == 0) {
		d->transport = SYSLOG_TRANSPORT_UNIX;
		rc = syslog_parse_path(d, url + 5, err, errlen);
	} else {
		rc = syslog_reject(err, errlen, url, "unknown scheme");
	}
	if (rc != 0)
		*d = (struct syslog_dest){0};
	return rc;
}

/* ---- formatting ---- */

int syslog_sink_priority(enum finding_severity sev)
{
	assert(sev >= 0 && sev < SEVERITY_COUNT);
	return SYSLOG_SINK_FACILITY * 8 + syslog_severity_map[sev];
}

/* The message for ev (its target or domain finished at time_ms). */
static int syslog_sink_format_event(const struct syslog_origin *origin, int64_t time_ms,
                                    const struct report_cef_event *ev, char **msg, size_t *len)
{
	const struct catalog_entry *entry = catalog_get(ev->finding->id);
	char when[REPORT_TIME_LEN];
	FILE *out = open_memstream(msg, len);
	if (out == NULL)
		return SA_ERROR_NOMEM;
	fprintf(out, "<%d>1 %s %s " SYSLOG_SINK_APP_NAME " %ld %s - ",
	        syslog_sink_priority(entry->severity), report_time_ms(time_ms, true, when),
	        origin->hostname, origin->pid, entry->public_id);
	int rc = report_cef_write(out, ev);
	if (fclose(out) != 0 && rc == 0)
		rc = SA_ERROR_IO;
	if (rc != 0) {
		free(*msg);
		*msg = NULL;
	}
	return rc;
}

int syslog_sink_format(const struct syslog_origin *origin, const struct target_result *t,
                       const struct finding *f, char **msg, size_t *len)
{
	const struct report_cef_event ev = {
	    .tool_version = origin->tool_version,
	    .scan_id = origin->scan_id,
	    .target = t,
	    .finding = f,
	};
	return syslog_sink_format_event(origin, t->finished_ms, &ev, msg, len);
}

int syslog_sink_format_domain(const struct syslog_origin *origin, const struct domain_result *d,
                              const struct finding *f, char **msg, size_t *len)
{
	const struct report_cef_event ev = {
	    .tool_version = origin->tool_version,
	    .scan_id = origin->scan_id,
	    .domain = d,
	    .finding = f,
	};
	return syslog_sink_format_event(origin, d->finished_ms, &ev, msg, len);
}

/* RFC 5424 HOSTNAME: printable ASCII without spaces, at most 255 characters. */
static void syslog_origin_hostname(char *buf, size_t buflen)
{
	char name[256] = "";
	if (gethostname(name, sizeof(name) - 1) != 0)
		name[0] = '\0';
	size_t n = 0;
	for (const char *p = name; *p != '\0' && n + 1 < buflen; p++)
		if (*p > ' ' && *p < 0x7f)
			buf[n++] = *p;
	if (n == 0)
		buf[n++] = '-';
	buf[n] = '\0';
}

/* ---- delivery ---- */

static void syslog_sink_problem(struct syslog_sink *s, const char *what, int errnum)
{
	if (s->error_reported)
		return;
	s->error_reported = true;
	fprintf(s->err, "smtp-audit: --syslog %s: %s: %s\n", s->dest.url, what, strerror(errnum));
}

static void syslog_sink_drop_queue(struct syslog_sink *s)
{
	while (s->head != NULL) {
		struct syslog_frame *next = s->head->next;
		free(s->head);
		s->head = next;
	}
	s->tail = NULL;
	s->undelivered += s->queued_frames;
	s->queued_frames = 0;
	s->queued_bytes = 0;
}

static void syslog_sink_fail(struct syslog_sink *s, const char *what, int errnum)
{
	syslog_sink_problem(s, what, errnum);
	syslog_sink_drop_queue(s);
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
}

static int syslog_sink_connect_inet(struct syslog_sink *s)
{
	struct addrinfo hints = {
	    .ai_family = AF_UNSPEC,
	    .ai_socktype = s->dest.transport == SYSLOG_TRANSPORT_TCP ? SOCK_STREAM : SOCK_DGRAM,
	    .ai_flags = AI_NUMERICSERV,
	};
	struct addrinfo *res = NULL;
	int gai = getaddrinfo(s->dest.host, s->dest.port, &hints, &res);
	if (gai != 0) {
		s->error_reported = true;
		fprintf(s->err, "smtp-audit: --syslog %s: %s: %s\n", s->dest.url, s->dest.host,
		        gai_strerror(gai));
		return -1;
	}
	s->fd = socket(res->ai_family, res->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	int rc = s->fd < 0 ? -1 : connect(s->fd, res->ai_addr, res->ai_addrlen);
	int saved = errno;
	freeaddrinfo(res);
	if (rc != 0 && saved == EINPROGRESS) {
		s->connecting = true;
		return 0;
	}
	errno = saved;
	return rc;
}

static int syslog_sink_connect_unix(struct syslog_sink *s)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	_Static_assert(sizeof(sun.sun_path) >= sizeof(s->dest.path), "path fits sockaddr_un");
	memcpy(sun.sun_path, s->dest.path, sizeof(s->dest.path));
	s->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s->fd < 0)
		return -1;
	return connect(s->fd, (const struct sockaddr *)&sun, sizeof(sun));
}

struct syslog_sink *syslog_sink_open(const struct syslog_dest *dest, const char *scan_id, FILE *err)
{
	if (dest->transport == SYSLOG_TRANSPORT_NONE)
		return NULL;
	struct syslog_sink *s = calloc(1, sizeof(*s));
	if (s == NULL)
		return NULL;
	s->dest = *dest;
	s->err = err;
	s->fd = -1;
	snprintf(s->scan_id, sizeof(s->scan_id), "%s", scan_id);
	syslog_origin_hostname(s->origin.hostname, sizeof(s->origin.hostname));
	s->origin.pid = (long)getpid();
	s->origin.scan_id = s->scan_id;
	s->origin.tool_version = SA_VERSION;

	int rc = dest->transport == SYSLOG_TRANSPORT_UNIX ? syslog_sink_connect_unix(s)
	                                                  : syslog_sink_connect_inet(s);
	if (rc != 0)
		syslog_sink_fail(s, "connect", errno);
	return s;
}

/* True once a TCP connect has finished; fails the sink when it failed. */
static bool syslog_sink_connected(struct syslog_sink *s, int timeout_ms)
{
	if (!s->connecting)
		return true;
	struct pollfd p = {.fd = s->fd, .events = POLLOUT};
	if (poll(&p, 1, timeout_ms) <= 0)
		return false;
	int so_error = 0;
	socklen_t optlen = sizeof(so_error);
	if (getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &so_error, &optlen) != 0)
		so_error = errno;
	if (so_error != 0) {
		syslog_sink_fail(s, "connect", so_error);
		return false;
	}
	s->connecting = false;
	return true;
}

/* Writes queued frames until the socket would block; waits for it only with a timeout. */
static void syslog_sink_pump(struct syslog_sink *s, int timeout_ms)
{
	while (s->fd >= 0 && s->head != NULL && syslog_sink_connected(s, timeout_ms)) {
		struct syslog_frame *f = s->head;
		ssize_t n =
		    send(s->fd, f->data + f->sent, f->len - f->sent, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			struct pollfd p = {.fd = s->fd, .events = POLLOUT};
			if (timeout_ms == 0 || poll(&p, 1, timeout_ms) <= 0)
				return;
			continue;
		}
		if (n < 0) {
			syslog_sink_fail(s, "send", errno);
			return;
		}
		f->sent += (size_t)n;
		if (f->sent < f->len)
			continue;
		s->head = f->next;
		if (s->head == NULL)
			s->tail = NULL;
		s->queued_bytes -= f->len;
		s->queued_frames--;
		free(f);
	}
}

/* RFC 6587 octet counting: "LEN SP MSG". */
static void syslog_sink_enqueue(struct syslog_sink *s, const char *msg, size_t len)
{
	char prefix[24];
	int plen = snprintf(prefix, sizeof(prefix), "%zu ", len);
	size_t total = (size_t)plen + len;
	struct syslog_frame *f = NULL;
	if (s->queued_bytes + total <= SYSLOG_SINK_MAX_QUEUE)
		f = malloc(sizeof(*f) + total);
	if (f == NULL) {
		syslog_sink_problem(s, "queue", ENOBUFS);
		s->undelivered++;
		return;
	}
	*f = (struct syslog_frame){.len = total};
	memcpy(f->data, prefix, (size_t)plen);
	memcpy(f->data + plen, msg, len);
	if (s->tail != NULL)
		s->tail->next = f;
	else
		s->head = f;
	s->tail = f;
	s->queued_bytes += total;
	s->queued_frames++;
}

static void syslog_sink_datagram(struct syslog_sink *s, const char *msg, size_t len)
{
	ssize_t n = send(s->fd, msg, len, MSG_DONTWAIT | MSG_NOSIGNAL);
	if (n == (ssize_t)len)
		return;
	syslog_sink_problem(s, "send", n < 0 ? errno : EMSGSIZE);
	s->undelivered++;
}

static void syslog_sink_deliver(struct syslog_sink *s, const char *msg, size_t len)
{
	if (s->fd < 0)
		s->undelivered++;
	else if (s->dest.transport == SYSLOG_TRANSPORT_TCP)
		syslog_sink_enqueue(s, msg, len);
	else
		syslog_sink_datagram(s, msg, len);
}

/* Counts one finding and delivers its message; rc is how formatting it went. */
static void syslog_sink_deliver_formatted(struct syslog_sink *s, int rc, char *msg, size_t len)
{
	s->findings++;
	if (rc != 0) {
		syslog_sink_problem(s, "formatting", ENOMEM);
		s->undelivered++;
		return;
	}
	syslog_sink_deliver(s, msg, len);
	free(msg);
}

void syslog_sink_send(struct syslog_sink *s, const struct target_result *t)
{
	if (s == NULL)
		return;
	for (size_t i = 0; i < t->nfindings; i++) {
		char *msg = NULL;
		size_t len = 0;
		int rc = syslog_sink_format(&s->origin, t, &t->findings[i], &msg, &len);
		syslog_sink_deliver_formatted(s, rc, msg, len);
	}
	syslog_sink_pump(s, 0);
}

void syslog_sink_send_domain(struct syslog_sink *s, const struct domain_result *d)
{
	if (s == NULL)
		return;
	for (size_t i = 0; i < d->findings.n; i++) {
		char *msg = NULL;
		size_t len = 0;
		int rc =
		    syslog_sink_format_domain(&s->origin, d, &d->findings.items[i], &msg, &len);
		syslog_sink_deliver_formatted(s, rc, msg, len);
	}
	syslog_sink_pump(s, 0);
}

static int64_t syslog_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void syslog_sink_close(struct syslog_sink *s)
{
	if (s == NULL)
		return;
	int64_t deadline = syslog_now_ms() + SYSLOG_SINK_CLOSE_TIMEOUT_MS;
	int64_t left;
	while (s->fd >= 0 && s->head != NULL && (left = deadline - syslog_now_ms()) > 0)
		syslog_sink_pump(s, (int)left);
	if (s->head != NULL)
		syslog_sink_problem(s, "send", ETIMEDOUT);
	syslog_sink_drop_queue(s);
	if (s->undelivered > 0)
		fprintf(s->err, "smtp-audit: --syslog %s: %zu of %zu findings were not delivered\n",
		        s->dest.url, s->undelivered, s->findings);
	if (s->fd >= 0)
		close(s->fd);
	free(s);
}
