/*
 * NAME
 *	test_syslog_sink - URL parsing, RFC 5424 format and delivery of the syslog sink
 *
 * DESCRIPTION
 *	URLs are checked against tables of good and bad forms. Messages for
 *	the fixed scan of report_fixture.h are split into their RFC 5424
 *	fields and the CEF body is read back with tests/support/cef_parse.c.
 *	Delivery goes to sockets the test binds on loopback or in a temporary
 *	directory: one datagram per finding over UDP and unix:, octet-counted
 *	frames over TCP, a refused connection reported once and counted, and
 *	a collector that never reads cannot hold a send or the close past
 *	their bounds. Domain findings (domain mode) go out the same way,
 *	their body the line -o cef writes for them.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "cef_parse.h"
#include "report_cef.h"
#include "report_domains_fixture.h"
#include "report_fixture.h"
#include "report_time.h"
#include "sa_error.h"
#include "syslog_sink.h"

#define SCAN_ID "4f1c2a9e-0b7d-4c55-9a61-2d8e7f3b1a20"

struct good_url {
	char url[64];
	enum syslog_transport transport;
	char host[40];
	char port[6];
	char path[40];
};

ParameterizedTestParameters(syslog_sink, parses_good_urls)
{
	static const struct good_url cases[] = {
	    {"udp://127.0.0.1:514", SYSLOG_TRANSPORT_UDP, "127.0.0.1", "514", ""},
	    {"tcp://[::1]:6514", SYSLOG_TRANSPORT_TCP, "::1", "6514", ""},
	    {"tcp://logs.example.org:601", SYSLOG_TRANSPORT_TCP, "logs.example.org", "601", ""},
	    {"udp://siem:65535", SYSLOG_TRANSPORT_UDP, "siem", "65535", ""},
	    {"unix:/dev/log", SYSLOG_TRANSPORT_UNIX, "", "", "/dev/log"},
	};
	return cr_make_param_array(struct good_url, cases, sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(const struct good_url *c, syslog_sink, parses_good_urls, .timeout = 10)
{
	struct syslog_dest d;
	char err[256] = "";
	cr_assert_eq(syslog_dest_parse(&d, c->url, err, sizeof(err)), 0, "%s: %s", c->url, err);
	cr_expect_eq(d.transport, c->transport);
	cr_expect_str_eq(d.host, c->host);
	cr_expect_str_eq(d.port, c->port);
	cr_expect_str_eq(d.path, c->path);
	cr_expect_str_eq(d.url, c->url);
}

struct bad_url {
	char url[64];
	char why[40];
};

ParameterizedTestParameters(syslog_sink, rejects_bad_urls)
{
	static const struct bad_url cases[] = {
	    {"http://127.0.0.1:514", "unknown scheme"},
	    {"127.0.0.1:514", "unknown scheme"},
	    {"udp://127.0.0.1", "missing :PORT"},
	    {"udp://127.0.0.1:0", "port out of range"},
	    {"udp://127.0.0.1:65536", "port out of range"},
	    {"tcp://127.0.0.1:", "port out of range"},
	    {"tcp://127.0.0.1:51x", "port out of range"},
	    {"tcp://127.0.0.1:-1", "port out of range"},
	    {"udp://:514", "missing or overlong host"},
	    {"tcp://[::1:514", "expected [IPv6]:PORT"},
	    {"tcp://[mx.example.org]:514", "bad host"},
	    {"udp://bad host:514", "bad host"},
	    {"udp://a|b:514", "bad host"},
	    {"unix:", "missing or overlong socket path"},
	};
	return cr_make_param_array(struct bad_url, cases, sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(const struct bad_url *c, syslog_sink, rejects_bad_urls, .timeout = 10)
{
	struct syslog_dest d;
	char err[256] = "";
	cr_assert_eq(syslog_dest_parse(&d, c->url, err, sizeof(err)), SA_ERROR_INVAL, "%s", c->url);
	cr_expect_neq(strstr(err, c->why), NULL, "%s: '%s'", c->url, err);
	cr_expect_neq(strstr(err, c->url), NULL, "the message names the URL: '%s'", err);
	cr_expect_eq(d.transport, SYSLOG_TRANSPORT_NONE);
}

Test(syslog_sink, rejects_overlong_url, .timeout = 10)
{
	char url[600];
	memset(url, 'a', sizeof(url) - 1);
	url[sizeof(url) - 1] = '\0';
	memcpy(url, "udp://", 6);
	struct syslog_dest d;
	char err[256];
	cr_expect_eq(syslog_dest_parse(&d, url, err, sizeof(err)), SA_ERROR_INVAL);
}

Test(syslog_sink, priority_is_local0_with_mapped_severity, .timeout = 10)
{
	static const int want[SEVERITY_COUNT] = {134, 133, 132, 131, 130};
	for (int s = 0; s < SEVERITY_COUNT; s++)
		cr_expect_eq(syslog_sink_priority((enum finding_severity)s), want[s], "%s",
		             severity_name((enum finding_severity)s));
}

/* The RFC 5424 fields of one message; the CEF body is parsed into cef. */
struct message {
	int pri;
	char timestamp[40], hostname[256], app[64], procid[32], msgid[40], sd[8];
	struct cef_event cef;
};

static void parse_message(const char *text, size_t len, struct message *m)
{
	char *copy = strndup(text, len);
	cr_assert_not_null(copy);
	int body = 0;
	int n = sscanf(copy, "<%d>1 %39s %255s %63s %31s %39s %7s %n", &m->pri, m->timestamp,
	               m->hostname, m->app, m->procid, m->msgid, m->sd, &body);
	cr_assert_eq(n, 7, "not RFC 5424: %s", copy);
	cr_assert_gt(body, 0);
	cr_assert_eq(cef_parse(copy + body, &m->cef), 0, "CEF body does not parse: %s", copy);
	free(copy);
}

static void expect_message(const struct message *m, const struct target_result *t,
                           const struct finding *f)
{
	const struct catalog_entry *entry = catalog_get(f->id);
	char when[REPORT_TIME_LEN];
	cr_expect_eq(m->pri, syslog_sink_priority(entry->severity));
	cr_expect_str_eq(m->timestamp, report_time_ms(t->finished_ms, true, when));
	cr_expect_str_eq(m->app, "smtp-audit");
	cr_expect_eq(strtol(m->procid, NULL, 10), (long)getpid());
	cr_expect_str_eq(m->msgid, entry->public_id);
	cr_expect_str_eq(m->sd, "-");
	cr_expect_str_eq(m->cef.header[CEF_HEADER_SIGNATURE], entry->public_id);
	cr_expect_str_eq(cef_event_get(&m->cef, "cs4"), SCAN_ID);
	cr_expect_str_eq(cef_event_get(&m->cef, "dhost"), t->host);
}

Test(syslog_sink, formats_rfc5424_with_cef_body, .timeout = 10)
{
	struct scan_result scan;
	report_fixture_scan(&scan, REPORT_FIXTURE_FORWARD);
	struct syslog_origin origin = {
	    .hostname = "scanner.example.net",
	    .pid = (long)getpid(),
	    .scan_id = SCAN_ID,
	    .tool_version = "0.1.0",
	};
	const struct target_result *t = scan.targets[0];
	char *msg;
	size_t len;
	cr_assert_eq(syslog_sink_format(&origin, t, &t->findings[0], &msg, &len), 0);
	cr_expect_eq(strlen(msg), len);
	static const char prefix[] =
	    "<130>1 2023-11-14T22:13:23.250Z scanner.example.net smtp-audit ";
	cr_expect_eq(strncmp(msg, prefix, strlen(prefix)), 0, "%s", msg);
	struct message m;
	parse_message(msg, len, &m);
	expect_message(&m, t, &t->findings[0]);
	cr_expect_str_eq(m.hostname, "scanner.example.net");
	cef_event_free(&m.cef);
	free(msg);
	scan_result_free(&scan);
}

static size_t fixture_findings(const struct scan_result *scan)
{
	size_t n = 0;
	for (size_t i = 0; i < scan->ntargets; i++)
		n += scan->targets[i]->nfindings;
	return n;
}

/* Every message for the fixture with a fixed origin, one per line. */
static struct report_fixture_output fixture_messages(const struct scan_result *scan)
{
	struct syslog_origin origin = {
	    .hostname = "scanner.example.net",
	    .pid = 4242,
	    .scan_id = scan->scan_id,
	    .tool_version = report_fixture_options().tool_version,
	};
	struct report_fixture_output o = {0};
	FILE *out = open_memstream(&o.data, &o.len);
	cr_assert_not_null(out);
	for (size_t i = 0; i < scan->ntargets; i++) {
		const struct target_result *t = scan->targets[i];
		for (size_t j = 0; j < t->nfindings; j++) {
			char *msg;
			size_t len;
			cr_assert_eq(syslog_sink_format(&origin, t, &t->findings[j], &msg, &len),
			             0);
			fprintf(out, "%s\n", msg);
			free(msg);
		}
	}
	cr_assert_eq(fclose(out), 0);
	return o;
}

Test(syslog_sink, golden_messages, .timeout = 10)
{
	struct scan_result scan;
	report_fixture_scan(&scan, REPORT_FIXTURE_FORWARD);
	struct report_fixture_output o = fixture_messages(&scan);
	report_fixture_golden("report.syslog", &o);
	free(o.data);
	scan_result_free(&scan);
}

/* The MSG of each message is exactly the line -o cef writes for that finding. */
Test(syslog_sink, body_is_the_cef_line, .timeout = 10)
{
	struct scan_result scan;
	report_fixture_scan(&scan, REPORT_FIXTURE_FORWARD);
	struct report_fixture_output msgs = fixture_messages(&scan);
	struct report_fixture_output cef =
	    report_fixture_render(report_find("cef"), report_fixture_options(), &scan);
	char *msg_save = NULL, *cef_save = NULL;
	char *m = strtok_r(msgs.data, "\n", &msg_save);
	char *c = strtok_r(cef.data, "\n", &cef_save);
	size_t n = 0;
	for (; m != NULL && c != NULL; n++) {
		char *body = strstr(m, " - CEF:0|");
		cr_assert_not_null(body, "%s", m);
		cr_expect_str_eq(body + 3, c);
		m = strtok_r(NULL, "\n", &msg_save);
		c = strtok_r(NULL, "\n", &cef_save);
	}
	cr_expect(m == NULL && c == NULL, "different numbers of events");
	cr_expect_eq(n, fixture_findings(&scan));
	free(msgs.data);
	free(cef.data);
	scan_result_free(&scan);
}

/* ---- delivery ---- */

/* Finding number k of the scan, in target then finding order. */
static void nth_finding(const struct scan_result *scan, size_t k, const struct target_result **t,
                        const struct finding **f)
{
	for (size_t i = 0; i < scan->ntargets; i++) {
		if (k < scan->targets[i]->nfindings) {
			*t = scan->targets[i];
			*f = &scan->targets[i]->findings[k];
			return;
		}
		k -= scan->targets[i]->nfindings;
	}
	cr_assert_fail("no finding %zu", k);
}

static void send_fixture(struct syslog_sink *sink, const struct scan_result *scan)
{
	for (size_t i = 0; i < scan->ntargets; i++)
		syslog_sink_send(sink, scan->targets[i]);
}

/* A bound loopback socket of that type; its port into *port. */
static int loopback_socket(int type, uint16_t *port)
{
	int fd = socket(AF_INET, type | SOCK_CLOEXEC, 0);
	cr_assert_geq(fd, 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	cr_assert_eq(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	socklen_t alen = sizeof(a);
	cr_assert_eq(getsockname(fd, (struct sockaddr *)&a, &alen), 0);
	*port = ntohs(a.sin_port);
	if (type == SOCK_STREAM)
		cr_assert_eq(listen(fd, 4), 0);
	return fd;
}

static struct syslog_sink *open_sink(const char *url, FILE *err)
{
	struct syslog_dest d;
	char msg[256];
	cr_assert_eq(syslog_dest_parse(&d, url, msg, sizeof(msg)), 0, "%s", msg);
	struct syslog_sink *sink = syslog_sink_open(&d, SCAN_ID, err);
	cr_assert_not_null(sink);
	return sink;
}

/* Receives count datagrams (each wait bounded) and checks them against the fixture. */
static void expect_datagrams(int fd, const struct scan_result *scan, size_t count)
{
	char buf[65536];
	for (size_t k = 0; k < count; k++) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		cr_assert_eq(poll(&p, 1, 5000), 1, "datagram %zu did not arrive", k);
		ssize_t n = recv(fd, buf, sizeof(buf), 0);
		cr_assert_gt(n, 0);
		struct message m;
		parse_message(buf, (size_t)n, &m);
		const struct target_result *t;
		const struct finding *f;
		nth_finding(scan, k, &t, &f);
		expect_message(&m, t, f);
		cef_event_free(&m.cef);
	}
}

/* Collects what the error stream got. */
struct err_capture {
	char *data;
	size_t len;
	FILE *fp;
};

static void capture_open(struct err_capture *c)
{
	*c = (struct err_capture){0};
	c->fp = open_memstream(&c->data, &c->len);
	cr_assert_not_null(c->fp);
}

static void capture_close(struct err_capture *c)
{
	cr_assert_eq(fclose(c->fp), 0);
}

Test(syslog_sink, udp_sends_one_datagram_per_finding, .timeout = 30)
{
	struct scan_result scan;
	report_fixture_scan(&scan, REPORT_FIXTURE_FORWARD);
	uint16_t port;
	int fd = loopback_socket(SOCK_DGRAM, &port);
	char url[64];
	snprintf(url, sizeof(url), "udp://127.0.0.1:%u", (unsigned)port);
	struct err_capture err;
	capture_open(&err);
	struct syslog_sink *sink = open_sink(url, err.fp);
	send_fixture(sink, &scan);
	syslog_sink_close(sink);
	capture_close(&err);
	expect_datagrams(fd, &scan, fixture_findings(&scan));
	cr_expect_eq(err.len, 0, "unexpected errors: %s", err.data);
	free(err.data);
	close(fd);
	scan_result_free(&scan);
}

Test(syslog_sink, udp_sends_domain_findings, .timeout = 30)
{
	struct scan_result scan;
	report_domains_scan(&scan);
	memcpy(scan.scan_id, SCAN_ID, sizeof(scan.scan_id)); /* the sink's, for the CEF lines */
	const struct domain_result *d = scan.domains[0];
	uint16_t port;
	int fd = loopback_socket(SOCK_DGRAM, &port);
	char url[64];
	snprintf(url, sizeof(url), "udp://127.0.0.1:%u", (unsigned)port);
	struct syslog_sink *sink = open_sink(url, stderr);
	for (size_t i = 0; i < scan.ndomains; i++)
		syslog_sink_send_domain(sink, scan.domains[i]);
	syslog_sink_send_domain(NULL, d);
	syslog_sink_close(sink);

	struct report_fixture_output cef = report_domains_render("cef", NULL, &scan);
	char *save = NULL;
	char *line = strtok_r(cef.data, "\n", &save);
	char buf[65536], when[REPORT_TIME_LEN];
	for (size_t k = 0; k < d->findings.n; k++, line = strtok_r(NULL, "\n", &save)) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		cr_assert_eq(poll(&p, 1, 5000), 1, "datagram %zu did not arrive", k);
		ssize_t n = recv(fd, buf, sizeof(buf), 0);
		cr_assert_gt(n, 0);
		struct message m;
		parse_message(buf, (size_t)n, &m);
		const struct catalog_entry *entry = catalog_get(d->findings.items[k].id);
		cr_expect_eq(m.pri, syslog_sink_priority(entry->severity));
		cr_expect_str_eq(m.msgid, entry->public_id);
		cr_expect_str_eq(m.timestamp, report_time_ms(d->finished_ms, true, when));
		cr_expect_str_eq(cef_event_get(&m.cef, "dhost"), "example.org");
		cef_event_free(&m.cef);
		buf[n] = '\0';
		cr_assert_not_null(line);
		cr_expect_str_eq(strstr(buf, " - CEF:0|") + 3, line);
	}
	struct pollfd p = {.fd = fd, .events = POLLIN};
	cr_expect_eq(poll(&p, 1, 200), 0, "a datagram for the domain without findings");
	free(cef.data);
	close(fd);
	scan_result_free(&scan);
}

Test(syslog_sink, unix_datagram_socket, .timeout = 30)
{
	struct scan_result scan;
	report_fixture_scan(&scan, REPORT_FIXTURE_FORWARD);
	char dir[] = "/tmp/sa-syslog-XXXXXX";
	cr_assert_not_null(mkdtemp(dir));
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	snprintf(a.sun_path, sizeof(a.sun_path), "%s/log", dir);
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	cr_assert_geq(fd, 0);
	cr_assert_eq(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	char url[128];
	snprintf(url, sizeof(url), "unix:%s", a.sun_path);
	struct syslog_sink *sink = open_sink(url, stderr);
	send_fixture(sink, &scan);
	syslog_sink_close(sink);
	expect_datagrams(fd, &scan, fixture_findings(&scan));
	close(fd);
	unlink(a.sun_path);
	rmdir(dir);
	scan_result_free(&scan);
}

/* Reads a TCP stream to its end, each wait bounded; returns the bytes (malloc'ed). */
static char *read_stream(int fd, size_t *len)
{
	char *data = NULL;
	FILE *mem = open_memstream(&data, len);
	cr_assert_not_null(mem);
	char buf[4096];
	for (;;) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		cr_assert_eq(poll(&p, 1, 5000), 1, "the stream did not end");
		ssize_t n = recv(fd, buf, sizeof(buf), 0);
		cr_assert_geq(n, 0);
		if (n == 0)
			break;
		fwrite(buf, 1, (size_t)n, mem);
	}
	cr_assert_eq(fclose(mem), 0);
	return data;
}

Test(syslog_sink, tcp_uses_octet_counted_frames, .timeout = 30)
{
	struct scan_result scan;
	report_fixture_scan(&scan, REPORT_FIXTURE_FORWARD);
	uint16_t port;
	int listener = loopback_socket(SOCK_STREAM, &port);
	char url[64];
	snprintf(url, sizeof(url), "tcp://127.0.0.1:%u", (unsigned)port);
	struct syslog_sink *sink = open_sink(url, stderr);
	send_fixture(sink, &scan);
	syslog_sink_close(sink);
	int fd = accept(listener, NULL, NULL);
	cr_assert_geq(fd, 0);
	size_t len;
	char *data = read_stream(fd, &len);

	size_t off = 0, k = 0;
	while (off < len) {
		char *end;
		unsigned long frame = strtoul(data + off, &end, 10);
		cr_assert(end > data + off && *end == ' ', "no octet count at %zu", off);
		off = (size_t)(end - data) + 1;
		cr_assert_leq(off + frame, len, "frame %zu is cut", k);
		cr_expect_eq(data[off], '<', "frame %zu does not start with PRI", k);
		struct message m;
		parse_message(data + off, frame, &m);
		const struct target_result *t;
		const struct finding *f;
		nth_finding(&scan, k, &t, &f);
		expect_message(&m, t, f);
		cef_event_free(&m.cef);
		off += frame;
		k++;
	}
	cr_expect_eq(k, fixture_findings(&scan));
	free(data);
	close(fd);
	close(listener);
	scan_result_free(&scan);
}

static size_t count_lines(const char *s, size_t len)
{
	size_t n = 0;
	for (size_t i = 0; i < len; i++)
		n += s[i] == '\n';
	return n;
}

Test(syslog_sink, refused_connection_is_reported_once, .timeout = 30)
{
	struct scan_result scan;
	report_fixture_scan(&scan, REPORT_FIXTURE_FORWARD);
	uint16_t port;
	int fd = loopback_socket(SOCK_STREAM, &port);
	close(fd); /* nothing listens there now */
	char url[64];
	snprintf(url, sizeof(url), "tcp://127.0.0.1:%u", (unsigned)port);
	struct err_capture err;
	capture_open(&err);
	struct syslog_sink *sink = open_sink(url, err.fp);
	send_fixture(sink, &scan);
	send_fixture(sink, &scan);
	syslog_sink_close(sink);
	capture_close(&err);
	cr_expect_eq(count_lines(err.data, err.len), 2, "%s", err.data);
	cr_expect_neq(strstr(err.data, "Connection refused"), NULL, "%s", err.data);
	char want[64];
	size_t n = 2 * fixture_findings(&scan);
	snprintf(want, sizeof(want), "%zu of %zu findings were not delivered", n, n);
	cr_expect_neq(strstr(err.data, want), NULL, "%s", err.data);
	free(err.data);
	scan_result_free(&scan);
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

Test(syslog_sink, collector_that_never_reads_cannot_stall, .timeout = 60)
{
	struct scan_result scan;
	report_fixture_scan(&scan, REPORT_FIXTURE_FORWARD);
	uint16_t port;
	int listener = loopback_socket(SOCK_STREAM, &port);
	char url[64];
	snprintf(url, sizeof(url), "tcp://127.0.0.1:%u", (unsigned)port);
	struct err_capture err;
	capture_open(&err);
	struct syslog_sink *sink = open_sink(url, err.fp);
	int fd = accept(listener, NULL, NULL);
	cr_assert_geq(fd, 0);

	/* Far more than the kernel buffers and the queue hold together. */
	double slowest = 0;
	size_t rounds = 4000;
	for (size_t i = 0; i < rounds; i++) {
		double start = now_s();
		send_fixture(sink, &scan);
		double took = now_s() - start;
		slowest = took > slowest ? took : slowest;
	}
	double start = now_s();
	syslog_sink_close(sink);
	double closing = now_s() - start;
	capture_close(&err);
	cr_expect_lt(slowest, 0.5, "a send took %.3f s", slowest);
	cr_expect_lt(closing, SYSLOG_SINK_CLOSE_TIMEOUT_MS / 1000.0 + 1.0, "close took %.3f s",
	             closing);
	cr_expect_neq(strstr(err.data, "findings were not delivered"), NULL, "%s", err.data);
	cr_expect_leq(count_lines(err.data, err.len), 2, "%s", err.data);
	free(err.data);
	close(fd);
	close(listener);
	scan_result_free(&scan);
}

Test(syslog_sink, no_destination_gives_no_sink, .timeout = 10)
{
	struct syslog_dest d = {0};
	cr_expect_null(syslog_sink_open(&d, SCAN_ID, stderr));
	syslog_sink_send(NULL, NULL);
	syslog_sink_close(NULL);
}
