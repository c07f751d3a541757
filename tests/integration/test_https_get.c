/*
 * NAME
 *	test_https_get - MTA-STS policy fetches from real nginx and from hostile servers
 *
 * DESCRIPTION
 *	nginx (tests/support/nginx.h) serves policies with certificates from
 *	scripts/gen-test-certs.sh: a policy comes back with its status,
 *	media type, exact body and the address that answered, the request
 *	nginx logged is the one RFC 8461 3.3 wants, a 404 is a fetched 404,
 *	and a wrong name, an expired leaf or a chain the client's store does
 *	not trust fail the fetch before any request is sent.
 *
 *	Then small servers forked by the test on 127.0.0.1 play what nginx
 *	will not: a redirect, a chunked body, bodies and headers without end,
 *	a garbage status line, a truncated body, plaintext instead of TLS, a
 *	reset, a header dripped a byte at a time and a listener that never
 *	accepts (both end at the fetch's timeout). Each fetch runs a loop of its own that must be
 *empty after the callback, which runs exactly once and never inside start. Every child is killed by
 *pid and every socket closed in the suite's fini, also when an assertion ended the test.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <uv.h>

#include "https_get.h"
#include "nginx.h"
#include "run.h"
#include "sa_error.h"
#include "test_certs.h"
#include "tls_conn.h"

#define CERT_NAMES   "mta-sts.example.test,mta-sts.other.test"
#define POLICY_HOST  "mta-sts.example.test"
#define WRONG_HOST   "mta-sts.wrong.test"
#define EXPIRED_HOST "mta-sts.other.test"
#define MAX_BODY     (64 * 1024)
#define TIMEOUT_MS   10000
/* A child server outlives no test: it is killed by pid, and by this alarm if everything else
 * failed. */
#define CHILD_ALARM_S 30
#define DRIP_MS       50

static const char policy[] = "version: STSv1\r\n"
                             "mode: enforce\r\n"
                             "mx: mx1.example.test\r\n"
                             "max_age: 604800\r\n";

static struct nginx web;
static pid_t child;
static int listen_fd = -1;
static struct tls_ctx *client_tls;

static void stop_servers(void)
{
	nginx_stop(&web);
	if (child > 0) {
		kill(child, SIGKILL);
		waitpid(child, NULL, 0);
		child = 0;
	}
	if (listen_fd >= 0) {
		close(listen_fd);
		listen_fd = -1;
	}
	tls_ctx_free(client_tls);
	client_tls = NULL;
}

TestSuite(https_get, .fini = stop_servers);

ReportHook(PRE_ALL)(struct criterion_test_set *tests)
{
	(void)tests;
	test_certs_make(CERT_NAMES);
}

ReportHook(POST_ALL)(struct criterion_global_stats *stats)
{
	(void)stats;
	test_certs_remove();
}

/* ---- fetching ---- */

struct fetched {
	int calls;
	int status;
	char detail[256];
	int http_status;
	char *content_type, *body, *address;
	size_t body_len;
};

static char *dup_or_null(const char *s)
{
	return s != NULL ? strdup(s) : NULL;
}

static void on_fetched(void *arg, const struct https_get_response *r)
{
	struct fetched *f = arg;
	f->calls++;
	f->status = r->status;
	snprintf(f->detail, sizeof(f->detail), "%s", r->detail);
	f->http_status = r->http_status;
	f->content_type = dup_or_null(r->content_type);
	f->address = dup_or_null(r->address);
	if (r->body != NULL) {
		cr_expect_eq(r->body[r->body_len], '\0', "the body is NUL-terminated");
		f->body = malloc(r->body_len + 1);
		memcpy(f->body, r->body, r->body_len + 1);
	}
	f->body_len = r->body_len;
}

static void fetched_free(struct fetched *f)
{
	free(f->content_type);
	free(f->body);
	free(f->address);
	*f = (struct fetched){0};
}

struct fetch_args {
	const char *host;
	const char *addrs[2];
	uint16_t port;
	const char *path;
	uint64_t timeout_ms;
	size_t max_body;
};

static struct tls_ctx *trusting_test_ca(void)
{
	char ca[TEST_CERTS_PATH_MAX], err[256];
	test_certs_path(ca, "ca.crt");
	struct tls_ctx *ctx;
	cr_assert_eq(tls_ctx_new_client(&ctx, ca, err, sizeof(err)), 0, "%s", err);
	return ctx;
}

/* Runs one fetch on a loop of its own, which must be empty when the callback has run. */
static void fetch_with(struct tls_ctx *tls, const struct fetch_args *a, struct fetched *f)
{
	struct target_addr addrs[2];
	size_t n = 0;
	for (; n < 2 && a->addrs[n] != NULL; n++)
		cr_assert(target_addr_parse(a->addrs[n], &addrs[n]), "%s", a->addrs[n]);
	struct https_get_request req = {
	    .host = a->host != NULL ? a->host : POLICY_HOST,
	    .addrs = addrs,
	    .naddrs = n,
	    .port = a->port,
	    .path = a->path != NULL ? a->path : NGINX_POLICY_PATH,
	    .timeout_ms = a->timeout_ms != 0 ? a->timeout_ms : TIMEOUT_MS,
	    .max_body = a->max_body != 0 ? a->max_body : MAX_BODY,
	};
	uv_loop_t loop;
	cr_assert_eq(uv_loop_init(&loop), 0);
	*f = (struct fetched){0};
	struct https_get *g = NULL;
	cr_assert_eq(https_get_start(&loop, tls, &req, on_fetched, f, &g), 0);
	cr_assert_not_null(g);
	cr_assert_eq(f->calls, 0, "the callback ran inside https_get_start()");
	uv_run(&loop, UV_RUN_DEFAULT);
	cr_assert_eq(f->calls, 1);
	cr_assert_eq(uv_loop_close(&loop), 0, "the fetch left a handle in the loop");
}

static void fetch(const struct fetch_args *a, struct fetched *f)
{
	if (client_tls == NULL)
		client_tls = trusting_test_ca();
	fetch_with(client_tls, a, f);
}

/* ---- against nginx ---- */

static const struct nginx_site sites[] = {
    {.host = POLICY_HOST},
    {.host = WRONG_HOST, .cert = "wrongname"},
    {.host = EXPIRED_HOST, .cert = "expired"},
};

static void start_web(void)
{
	if (!nginx_available())
		cr_skip_test("nginx is not installed (scripts/deps.sh --test installs it)");
	char dir[TEST_CERTS_PATH_MAX];
	test_certs_path(dir, ".");
	cr_assert_eq(nginx_start(&web, dir, sites, 3), 0, "nginx did not start (see stderr)");
	cr_assert_eq(nginx_set_policy(&web, POLICY_HOST, policy), 0);
	cr_assert_eq(nginx_set_policy(&web, WRONG_HOST, policy), 0);
	cr_assert_eq(nginx_set_policy(&web, EXPIRED_HOST, policy), 0);
}

/* nginx's access log ("SNI \"REQUEST\" STATUS" a line), waited for: nginx logs after it answered.
 */
static char *access_log_with(const char *line)
{
	char path[sizeof(web.dir) + 16];
	snprintf(path, sizeof(path), "%s/access.log", web.dir);
	char *text = NULL;
	for (double end = run_now() + 5; run_now() < end; run_pause_ms(20)) {
		free(text);
		text = NULL;
		FILE *f = fopen(path, "r");
		if (f == NULL)
			continue;
		size_t cap = 0;
		ssize_t n = getdelim(&text, &cap, '\0', f);
		fclose(f);
		if (n > 0 && strstr(text, line) != NULL)
			return text;
	}
	return text;
}

Test(https_get, fetches_the_policy_from_nginx_over_ipv4_and_ipv6, .timeout = 60)
{
	start_web();
	const char *addresses[] = {"127.0.0.1", "::1"};
	for (size_t i = 0; i < 2; i++) {
		if (i == 1 && !web.ipv6)
			continue;
		struct fetched f;
		fetch(&(struct fetch_args){.addrs = {addresses[i]}, .port = web.port}, &f);
		cr_assert_eq(f.status, 0, "%s: %s", addresses[i], f.detail);
		cr_expect_eq(f.http_status, 200);
		cr_expect_str_eq(f.content_type, "text/plain");
		cr_expect_eq(f.body_len, strlen(policy));
		cr_expect_str_eq(f.body, policy);
		cr_expect_str_eq(f.address, addresses[i]);
		fetched_free(&f);
	}
	char *log = access_log_with(POLICY_HOST " \"GET " NGINX_POLICY_PATH " HTTP/1.1\" 200");
	cr_expect_not_null(log);
	cr_expect_not_null(strstr(log, POLICY_HOST " \"GET " NGINX_POLICY_PATH " HTTP/1.1\" 200"),
	                   "SNI, request line and status as RFC 8461 3.3 wants:\n%s", log);
	free(log);
}

Test(https_get, a_404_is_a_fetched_response, .timeout = 60)
{
	start_web();
	struct fetched f;
	fetch(&(struct fetch_args){.addrs = {"127.0.0.1"}, .port = web.port, .path = "/nothing"},
	      &f);
	cr_assert_eq(f.status, 0, "%s", f.detail);
	cr_expect_eq(f.http_status, 404);
	cr_expect_str_eq(f.address, "127.0.0.1");
	cr_expect_not_null(f.body);
	fetched_free(&f);
}

Test(https_get, tries_the_next_address_when_one_refuses, .timeout = 60)
{
	start_web();
	/* nginx listens on 127.0.0.1 only, so 127.0.0.2 refuses. */
	struct fetched f;
	fetch(&(struct fetch_args){.addrs = {"127.0.0.2", "127.0.0.1"}, .port = web.port}, &f);
	cr_assert_eq(f.status, 0, "%s", f.detail);
	cr_expect_eq(f.http_status, 200);
	cr_expect_str_eq(f.address, "127.0.0.1");
	cr_expect_str_eq(f.body, policy);
	fetched_free(&f);
}

Test(https_get, certificate_not_valid_for_the_host_fails_before_the_request, .timeout = 60)
{
	start_web();
	struct fetched f;
	fetch(&(struct fetch_args){.host = WRONG_HOST, .addrs = {"127.0.0.1"}, .port = web.port},
	      &f);
	cr_expect_eq(f.status, SA_ERROR_TLS);
	cr_expect_str_eq(f.detail, "certificate not valid for " WRONG_HOST);
	cr_expect_eq(f.http_status, 0);
	cr_expect_null(f.body);
	cr_expect_str_eq(f.address, "127.0.0.1");
	fetched_free(&f);
	/* The good host's request is logged; the wrong host's never was. */
	fetch(&(struct fetch_args){.addrs = {"127.0.0.1"}, .port = web.port}, &f);
	cr_assert_eq(f.status, 0, "%s", f.detail);
	fetched_free(&f);
	char *log = access_log_with(POLICY_HOST " \"GET");
	cr_expect_null(strstr(log != NULL ? log : "", WRONG_HOST " \"GET"), "%s", log);
	free(log);
}

Test(https_get, expired_certificate_is_not_trusted, .timeout = 60)
{
	start_web();
	struct fetched f;
	fetch(&(struct fetch_args){.host = EXPIRED_HOST, .addrs = {"127.0.0.1"}, .port = web.port},
	      &f);
	cr_expect_eq(f.status, SA_ERROR_TLS);
	cr_expect_eq(strncmp(f.detail, "certificate not trusted: ", 25), 0, "%s", f.detail);
	cr_expect_not_null(strstr(f.detail, "expired"), "%s", f.detail);
	cr_expect_null(f.body);
	fetched_free(&f);
}

Test(https_get, chain_outside_the_clients_store_is_not_trusted, .timeout = 60)
{
	start_web();
	/* The system store does not hold the test CA. */
	char err[256];
	cr_assert_eq(tls_ctx_new_client(&client_tls, NULL, err, sizeof(err)), 0, "%s", err);
	struct fetched f;
	fetch_with(client_tls, &(struct fetch_args){.addrs = {"127.0.0.1"}, .port = web.port}, &f);
	cr_expect_eq(f.status, SA_ERROR_TLS);
	cr_expect_eq(strncmp(f.detail, "certificate not trusted: ", 25), 0, "%s", f.detail);
	cr_expect_gt(strlen(f.detail), 25, "a reason follows: %s", f.detail);
	cr_expect_eq(f.http_status, 0);
	fetched_free(&f);
}

/* ---- against servers the test plays ---- */

enum play {
	PLAY_SILENT,   /* listens, never accepts */
	PLAY_RESET,    /* accepts, reads the ClientHello, resets */
	PLAY_PLAIN,    /* accepts, writes the response without TLS */
	PLAY_RESPONSE, /* TLS, reads the request, writes the response, closes */
	PLAY_ENDLESS,  /* TLS, writes the response, then the filler until the client goes */
	PLAY_ECHO,     /* TLS, answers with the request as a chunked text/plain body */
	PLAY_DRIP,     /* TLS, writes the response, then the filler a byte every DRIP_MS */
};

struct hostile_case {
	const char *name;
	enum play play;
	const char *response;
	const char *filler;
	size_t max_body;
	uint64_t timeout_ms;
	int status;
	const char *detail; /* exact, or the start when it ends with '*' */
	int http_status;
	const char *body;
	const char *content_type;
};

static const struct hostile_case hostile_cases[] = {
    {.name = "redirect reported, not followed",
     .play = PLAY_RESPONSE,
     .response = "HTTP/1.1 301 Moved Permanently\r\n"
                 "Location: https://elsewhere.example.test/.well-known/mta-sts.txt\r\n"
                 "Content-Length: 0\r\n\r\n",
     .http_status = 301,
     .body = ""},
    {.name = "chunked body with an extension and a trailer",
     .play = PLAY_ECHO,
     .http_status = 200,
     .content_type = "text/plain",
     .body = "GET " NGINX_POLICY_PATH " HTTP/1.1\r\n"
             "Host: " POLICY_HOST ":*"},
    {.name = "body read until close, after an interim 100",
     .play = PLAY_RESPONSE,
     .response = "HTTP/1.1 100 Continue\r\n\r\n"
                 "HTTP/1.0 200 OK\r\nContent-Type: TEXT/Plain ; charset=utf-8\r\n\r\n"
                 "version: STSv1\r\n",
     .http_status = 200,
     .content_type = "text/plain",
     .body = "version: STSv1\r\n"},
    {.name = "Content-Length over max_body",
     .play = PLAY_RESPONSE,
     .response = "HTTP/1.1 200 OK\r\nContent-Length: 65537\r\n\r\nversion: STSv1\r\n",
     .status = SA_ERROR_TOOBIG,
     .detail = "body larger than 65536 bytes"},
    {.name = "endless body",
     .play = PLAY_ENDLESS,
     .response = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\n",
     .filler = "mx: mx.example.test\r\n",
     .max_body = 1000,
     .status = SA_ERROR_TOOBIG,
     .detail = "body larger than 1000 bytes"},
    {.name = "endless chunked body",
     .play = PLAY_ENDLESS,
     .response = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n",
     .filler = "10\r\nmx: mx.example.t\r\n",
     .status = SA_ERROR_TOOBIG,
     .detail = "body larger than 65536 bytes"},
    {.name = "endless header",
     .play = PLAY_ENDLESS,
     .response = "HTTP/1.1 200 OK\r\n",
     .filler = "X-Filler: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n",
     .status = SA_ERROR_TOOBIG,
     .detail = "response header larger than 16384 bytes"},
    {.name = "endless header line",
     .play = PLAY_ENDLESS,
     .response = "HTTP/1.1 200 OK\r\nX-Filler: ",
     .filler = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
     .status = SA_ERROR_TOOBIG,
     .detail = "response header larger than 16384 bytes"},
    {.name = "garbage status line",
     .play = PLAY_RESPONSE,
     .response = "220 mx.example.test ESMTP ready\r\n",
     .status = SA_ERROR_PARSE,
     .detail = "malformed HTTP response: bad status line"},
    {.name = "binary junk after the status line",
     .play = PLAY_RESPONSE,
     .response = "HTTP/1.1 200 OK\r\nX-A: \x01\x02\x03\r\n\r\n",
     .status = SA_ERROR_PARSE,
     .detail = "malformed HTTP response: control character in the head"},
    {.name = "body cut short",
     .play = PLAY_RESPONSE,
     .response = "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nversion: STSv1\r\n",
     .status = SA_ERROR_CLOSED,
     .detail = "server closed the connection after 16 of 100 body bytes"},
    {.name = "closed without a response",
     .play = PLAY_RESPONSE,
     .response = "",
     .status = SA_ERROR_CLOSED,
     .detail = "server closed the connection without a response"},
    {.name = "plaintext instead of TLS",
     .play = PLAY_PLAIN,
     .response = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n",
     .status = SA_ERROR_TLS,
     .detail = "TLS handshake: *"},
    {.name = "reset during the handshake",
     .play = PLAY_RESET,
     .status = SA_ERROR_RESET,
     .detail = "connection reset by 127.0.0.1:*"},
    {.name = "slowloris header: bounded by the timeout",
     .play = PLAY_DRIP,
     .response = "HTTP/1.1 200 OK\r\n",
     .filler = "X-Slow: 1\r\n",
     .timeout_ms = 500,
     .status = SA_ERROR_TIMEOUT,
     .detail = "timeout after 500 ms"},
    {.name = "silent: bounded by the timeout",
     .play = PLAY_SILENT,
     .timeout_ms = 300,
     .status = SA_ERROR_TIMEOUT,
     .detail = "timeout after 300 ms"},
};

#define HOSTILE_CASES (sizeof(hostile_cases) / sizeof(hostile_cases[0]))

static uint16_t listen_loopback(void)
{
	listen_fd = socket(AF_INET, SOCK_STREAM, 0);
	cr_assert_geq(listen_fd, 0);
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	cr_assert_eq(bind(listen_fd, (struct sockaddr *)&sin, sizeof(sin)), 0, "%s",
	             strerror(errno));
	cr_assert_eq(listen(listen_fd, 4), 0);
	socklen_t len = sizeof(sin);
	cr_assert_eq(getsockname(listen_fd, (struct sockaddr *)&sin, &len), 0);
	return ntohs(sin.sin_port);
}

static char *read_text_file(const char *name)
{
	char path[TEST_CERTS_PATH_MAX];
	test_certs_path(path, name);
	FILE *f = fopen(path, "r");
	cr_assert_not_null(f, "%s", path);
	char *text = NULL;
	size_t cap = 0;
	cr_assert_gt(getdelim(&text, &cap, '\0', f), 0, "%s", path);
	fclose(f);
	return text;
}

/* The child's side: blocking I/O is fine in a process of its own. */
static void child_send(int fd, const char *data, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, data, len);
		if (n <= 0)
			_exit(0);
		data += n;
		len -= (size_t)n;
	}
}

static void child_flush(int fd, struct tls_conn *c)
{
	char *data;
	size_t len;
	while (tls_conn_take_output(c, &data, &len) == 0) {
		child_send(fd, data, len);
		free(data);
	}
}

static void child_receive(int fd, struct tls_conn *c)
{
	char buf[4096];
	ssize_t n = read(fd, buf, sizeof(buf));
	if (n <= 0 || tls_conn_feed(c, buf, (size_t)n) != 0)
		_exit(0);
}

static void child_write(int fd, struct tls_conn *c, const char *text, size_t len)
{
	if (tls_conn_write(c, text, len) != 0)
		_exit(0);
	child_flush(fd, c);
}

/* Reads the request through its empty line into buf. */
static size_t child_read_request(int fd, struct tls_conn *c, char *buf, size_t cap)
{
	size_t len = 0;
	buf[0] = '\0';
	while (strstr(buf, "\r\n\r\n") == NULL) {
		size_t got = 0;
		int rc = tls_conn_read(c, buf + len, cap - 1 - len, &got);
		if (rc == SA_ERROR_AGAIN)
			child_receive(fd, c);
		else if (rc != 0 || got == 0)
			_exit(0);
		len += got;
		buf[len] = '\0';
	}
	return len;
}

static void child_echo(int fd, struct tls_conn *c, const char *request, size_t len)
{
	char head[256];
	static const char start[] = "HTTP/1.1 200 OK\r\n"
	                            "Content-Type: Text/Plain; charset=us-ascii\r\n"
	                            "Transfer-Encoding: chunked\r\n\r\n";
	child_write(fd, c, start, strlen(start));
	size_t half = len / 2;
	int n = snprintf(head, sizeof(head), "%zx;name=value\r\n", half);
	child_write(fd, c, head, (size_t)n);
	child_write(fd, c, request, half);
	n = snprintf(head, sizeof(head), "\r\n%zX\r\n", len - half);
	child_write(fd, c, head, (size_t)n);
	child_write(fd, c, request + half, len - half);
	static const char end[] = "\r\n0\r\nX-Trailer: yes\r\n\r\n";
	child_write(fd, c, end, strlen(end));
}

static void child_tls(int fd, const struct hostile_case *hc, struct tls_ctx *server)
{
	struct tls_conn *c = tls_conn_new(server, NULL);
	if (c == NULL)
		_exit(1);
	for (int rc; (rc = tls_conn_handshake(c)) != 0;) {
		if (rc != SA_ERROR_AGAIN)
			_exit(1);
		child_flush(fd, c);
		child_receive(fd, c);
	}
	child_flush(fd, c);
	char request[4096];
	size_t len = child_read_request(fd, c, request, sizeof(request));
	if (hc->play == PLAY_ECHO)
		child_echo(fd, c, request, len);
	else
		child_write(fd, c, hc->response, strlen(hc->response));
	while (hc->play == PLAY_ENDLESS)
		child_write(fd, c, hc->filler, strlen(hc->filler));
	for (size_t i = 0; hc->play == PLAY_DRIP; i = (i + 1) % strlen(hc->filler)) {
		child_write(fd, c, hc->filler + i, 1);
		run_pause_ms(DRIP_MS);
	}
	tls_conn_close_notify(c);
	child_flush(fd, c);
	tls_conn_free(c);
}

static void child_serve(int lfd, const struct hostile_case *hc, struct tls_ctx *server)
{
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	signal(SIGPIPE, SIG_IGN);
	alarm(CHILD_ALARM_S);
	int fd = accept(lfd, NULL, NULL);
	if (fd < 0)
		_exit(1);
	if (hc->play == PLAY_RESET) {
		char hello[512];
		if (read(fd, hello, sizeof(hello)) <= 0)
			_exit(1);
		struct linger abort_on_close = {.l_onoff = 1, .l_linger = 0};
		setsockopt(fd, SOL_SOCKET, SO_LINGER, &abort_on_close, sizeof(abort_on_close));
	} else if (hc->play == PLAY_PLAIN) {
		/* The ClientHello read first: unread data would turn the close into a reset. */
		char hello[4096];
		if (read(fd, hello, sizeof(hello)) <= 0)
			_exit(1);
		child_send(fd, hc->response, strlen(hc->response));
	} else {
		child_tls(fd, hc, server);
	}
	close(fd);
	_exit(0);
}

/* Starts the server a case plays on 127.0.0.1; returns its port. */
static uint16_t start_player(const struct hostile_case *hc)
{
	uint16_t port = listen_loopback();
	if (hc->play == PLAY_SILENT)
		return port;
	char *cert = read_text_file("good.chain.pem");
	char *key = read_text_file("good.key");
	char err[256];
	struct tls_ctx *server;
	cr_assert_eq(tls_ctx_new_server(&server, cert, key, err, sizeof(err)), 0, "%s", err);
	free(cert);
	free(key);
	child = fork();
	cr_assert_geq(child, 0);
	if (child == 0)
		child_serve(listen_fd, hc, server);
	tls_ctx_free(server);
	close(listen_fd);
	listen_fd = -1;
	return port;
}

/* detail is exact, or a prefix when it ends with '*'. */
static void expect_text(const char *got, const char *want, const char *what)
{
	size_t n = strlen(want);
	if (n > 0 && want[n - 1] == '*')
		cr_expect_eq(strncmp(got, want, n - 1), 0,
		             "%s: \"%s\" does not start with \"%.*s\"", what, got, (int)(n - 1),
		             want);
	else
		cr_expect_str_eq(got, want, "%s", what);
}

/* Indices: a worker reads the table itself rather than pointers copied out of the runner. */
ParameterizedTestParameters(https_get, hostile_server_ends_the_fetch_clearly)
{
	static size_t ids[HOSTILE_CASES];
	for (size_t i = 0; i < HOSTILE_CASES; i++)
		ids[i] = i;
	return cr_make_param_array(size_t, ids, HOSTILE_CASES);
}

ParameterizedTest(size_t *id, https_get, hostile_server_ends_the_fetch_clearly, .timeout = 30)
{
	const struct hostile_case *hc = &hostile_cases[*id];
	uint16_t port = start_player(hc);
	double started = run_now();
	struct fetched f;
	fetch(&(struct fetch_args){.addrs = {"127.0.0.1"},
	                           .port = port,
	                           .max_body = hc->max_body,
	                           .timeout_ms = hc->timeout_ms},
	      &f);
	double took = run_now() - started;
	cr_expect_eq(f.status, hc->status, "%s: status %d (%s)", hc->name, f.status, f.detail);
	if (hc->status != 0) {
		expect_text(f.detail, hc->detail, hc->name);
		cr_expect_null(f.body, "%s", hc->name);
		cr_expect_eq(f.http_status, 0, "%s", hc->name);
	} else {
		cr_expect_eq(f.http_status, hc->http_status, "%s", hc->name);
		cr_assert_not_null(f.body, "%s", hc->name);
		expect_text(f.body, hc->body, hc->name);
		cr_expect_eq(f.body_len, strlen(f.body), "%s", hc->name);
		if (hc->content_type != NULL)
			cr_expect_str_eq(f.content_type, hc->content_type, "%s", hc->name);
	}
	if (hc->play != PLAY_SILENT)
		cr_expect_str_eq(f.address, "127.0.0.1", "%s", hc->name);
	uint64_t bound_ms = hc->timeout_ms != 0 ? hc->timeout_ms : TIMEOUT_MS;
	cr_expect_lt(took * 1000, bound_ms + 1000.0, "%s took %.2f s", hc->name, took);
	if (hc->status == SA_ERROR_TIMEOUT)
		cr_expect_geq(took * 1000, hc->timeout_ms * 0.9, "%s: %.3f s", hc->name, took);
	fetched_free(&f);
}

Test(https_get, the_request_is_one_get_with_connection_close, .timeout = 30)
{
	const struct hostile_case *echo = &hostile_cases[1];
	cr_assert_eq(echo->play, PLAY_ECHO);
	uint16_t port = start_player(echo);
	struct fetched f;
	fetch(&(struct fetch_args){.addrs = {"127.0.0.1"}, .port = port}, &f);
	cr_assert_eq(f.status, 0, "%s", f.detail);
	char want[512];
	snprintf(want, sizeof(want),
	         "GET " NGINX_POLICY_PATH " HTTP/1.1\r\nHost: " POLICY_HOST ":%u\r\n",
	         (unsigned)port);
	cr_expect_eq(strncmp(f.body, want, strlen(want)), 0, "%s", f.body);
	cr_expect_not_null(strstr(f.body, "\r\nConnection: close\r\n"), "%s", f.body);
	const char *end = strstr(f.body, "\r\n\r\n");
	cr_expect(end != NULL && end[4] == '\0', "one request, nothing after it: %s", f.body);
	fetched_free(&f);
}

Test(https_get, no_address_accepts, .timeout = 30)
{
	/* A port that was free a moment ago: bound, then closed. */
	uint16_t port = listen_loopback();
	close(listen_fd);
	listen_fd = -1;
	struct fetched f;
	fetch(&(struct fetch_args){.addrs = {"127.0.0.1", "127.0.0.2"}, .port = port}, &f);
	cr_expect_eq(f.status, SA_ERROR_REFUSED);
	char want[64];
	snprintf(want, sizeof(want), "connection refused by 127.0.0.2:%u", (unsigned)port);
	cr_expect_str_eq(f.detail, want, "the last address's failure");
	cr_expect_null(f.address);
	cr_expect_null(f.body);
	fetched_free(&f);
}

/* ---- cancel and arguments ---- */

struct cancel_later {
	uv_timer_t timer;
	struct https_get *g;
};

static void cancel_now(uv_timer_t *t)
{
	struct cancel_later *c = t->data;
	https_get_cancel(c->g);
	https_get_cancel(c->g);
	uv_close((uv_handle_t *)t, NULL);
}

Test(https_get, cancel_runs_the_callback_once_from_the_loop, .timeout = 30)
{
	uint16_t port = listen_loopback();
	client_tls = trusting_test_ca();
	struct target_addr addr;
	cr_assert(target_addr_parse("127.0.0.1", &addr));
	struct https_get_request req = {.host = POLICY_HOST,
	                                .addrs = &addr,
	                                .naddrs = 1,
	                                .port = port,
	                                .path = NGINX_POLICY_PATH,
	                                .timeout_ms = TIMEOUT_MS,
	                                .max_body = MAX_BODY};
	for (int later = 0; later < 2; later++) {
		uv_loop_t loop;
		cr_assert_eq(uv_loop_init(&loop), 0);
		struct fetched f = {0};
		struct cancel_later c = {0};
		cr_assert_eq(https_get_start(&loop, client_tls, &req, on_fetched, &f, &c.g), 0);
		if (later) {
			/* After connect: the listener's backlog accepted it, the handshake waits.
			 */
			uv_timer_init(&loop, &c.timer);
			c.timer.data = &c;
			uv_timer_start(&c.timer, cancel_now, 100, 0);
		} else {
			https_get_cancel(c.g);
			cr_expect_eq(f.calls, 0, "the callback ran inside https_get_cancel()");
		}
		double started = run_now();
		uv_run(&loop, UV_RUN_DEFAULT);
		cr_expect_lt(run_now() - started, 2.0);
		cr_expect_eq(f.calls, 1);
		cr_expect_eq(f.status, SA_ERROR_CANCELED);
		cr_expect_str_eq(f.detail, "fetch canceled");
		cr_expect_eq(uv_loop_close(&loop), 0);
		if (later)
			cr_expect_str_eq(f.address, "127.0.0.1", "canceled after connecting");
		fetched_free(&f);
	}
}

static void never_called(void *arg, const struct https_get_response *r)
{
	(void)arg;
	cr_assert_fail("callback after a failed start: %s", r->detail);
}

Test(https_get, bad_arguments_fail_the_start_without_a_callback)
{
	client_tls = trusting_test_ca();
	struct target_addr addr;
	cr_assert(target_addr_parse("127.0.0.1", &addr));
	const struct https_get_request good = {.host = POLICY_HOST,
	                                       .addrs = &addr,
	                                       .naddrs = 1,
	                                       .port = 443,
	                                       .path = NGINX_POLICY_PATH,
	                                       .timeout_ms = 1000,
	                                       .max_body = MAX_BODY};
	struct https_get_request bad[9];
	for (size_t i = 0; i < 9; i++)
		bad[i] = good;
	bad[0].host = "mta-sts.example.test\r\nX-Injected: 1";
	bad[1].host = "";
	bad[2].path = "relative";
	bad[3].path = "/a b";
	bad[4].naddrs = 0;
	bad[5].timeout_ms = 0;
	bad[6].max_body = 0;
	bad[7].port = 0;
	bad[8].host = NULL;
	uv_loop_t loop;
	cr_assert_eq(uv_loop_init(&loop), 0);
	for (size_t i = 0; i < 9; i++) {
		struct https_get *g = NULL;
		cr_expect_eq(https_get_start(&loop, client_tls, &bad[i], never_called, NULL, &g),
		             SA_ERROR_INVAL, "case %zu", i);
	}
	uv_run(&loop, UV_RUN_DEFAULT);
	cr_expect_eq(uv_loop_close(&loop), 0);
}
