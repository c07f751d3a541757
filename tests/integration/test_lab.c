/*
 * NAME
 *	test_lab - integration tests of smtp-lab, driven by a raw client
 *
 * DESCRIPTION
 *	Each test starts its own smtp-lab (tests/support/lab.h) and talks to
 *	it with the small socket client below (plus tls_conn for STARTTLS and
 *	implicit TLS), never with the scanner. Covered: the ready file, the
 *	greeting and EHLO capabilities of every persona, transcripts of the
 *	recipient, HELO, AUTH, VRFY/EXPN and session rules, STARTTLS and
 *	implicit TLS, STARTTLS injection both ways (CVE-2011-0411) and a
 *	failing handshake, capabilities that change with TLS, the NTLM and
 *	DIGEST-MD5 challenges, the command log, --delay-ms, pipelining (and
 *	a server that loses pipelined commands), IPv6 and implicit TLS for
 *	every new persona, every hostile persona, many concurrent clients,
 *	bounded memory under a flood, SIGTERM, the farm (2000 addresses:
 *	truth and ready files, the mix, determinism, every address greeting
 *	at once as its persona, the descriptor limit), and the command line.
 *
 *	Every wait is bounded and every test stops its lab in .fini.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "codec.h"
#include "lab.h"
#include "result.h"
#include "run.h"
#include "sa_error.h"
#include "tls_conn.h"

/* One timeout for every test: criterion 2.4.1 leaks under LeakSanitizer when they differ. */
#define TEST_TIMEOUT 120
#define CLIENT_BUF   (256 * 1024)
#define REPLY_MS     5000
#define QUIET_MS     300
#define TARGET_MAX   80

static struct lab lab;

static void stop_lab(void)
{
	lab_stop(&lab);
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

#define COUNT(table) (sizeof(table) / sizeof((table)[0]))

/*
 * Criterion copies a parameter byte by byte into a fresh test process,
 * where pointers into the runner's memory mean nothing. The case tables
 * hold strings, so a test's parameter is an index into its table.
 */
static struct criterion_test_params table_indices(size_t *ids, size_t n)
{
	for (size_t i = 0; i < n; i++)
		ids[i] = i;
	return cr_make_param_array(size_t, ids, n);
}

static void start_lab(const char *const specs[], size_t n, const char *const extra[])
{
	int rc = lab_start(&lab, specs, n, extra);
	cr_assert_eq(rc, 0, "lab_start: %s", sa_error_str(rc));
}

static void start_one(const char *spec)
{
	const char *specs[] = {spec};
	start_lab(specs, 1, NULL);
}

/* ---- a tiny SMTP client ---- */

struct client {
	int fd;
	struct tls_ctx *ctx;
	struct tls_conn *tls;
	char *buf; /* plaintext received and not yet consumed */
	size_t len;
	bool eof;
	int err; /* errno of a failed recv */
};

static void parse_target(const char *target, struct sockaddr_storage *ss, socklen_t *sslen)
{
	char host[64];
	const char *colon = strrchr(target, ':');
	cr_assert_not_null(colon, "target %s", target);
	bool v6 = target[0] == '[';
	size_t len = (size_t)(colon - target) - (v6 ? 2 : 0);
	cr_assert_lt(len, sizeof(host));
	memcpy(host, target + (v6 ? 1 : 0), len);
	host[len] = '\0';
	uint16_t port = (uint16_t)atoi(colon + 1);
	memset(ss, 0, sizeof(*ss));
	if (v6) {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
		cr_assert_eq(inet_pton(AF_INET6, host, &sin6->sin6_addr), 1, "%s", host);
		*sslen = sizeof(*sin6);
	} else {
		struct sockaddr_in *sin = (struct sockaddr_in *)ss;
		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		cr_assert_eq(inet_pton(AF_INET, host, &sin->sin_addr), 1, "%s", host);
		*sslen = sizeof(*sin);
	}
}

/* Connects to target ("127.0.0.1:25", "[::1]:25"), from source when given. */
static void client_open(struct client *c, const char *target, const char *source)
{
	struct sockaddr_storage ss;
	socklen_t sslen;
	*c = (struct client){.fd = -1};
	c->buf = malloc(CLIENT_BUF);
	cr_assert_not_null(c->buf);
	parse_target(target, &ss, &sslen);
	c->fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	cr_assert_geq(c->fd, 0);
	if (source != NULL) {
		struct sockaddr_in src = {.sin_family = AF_INET};
		cr_assert_eq(inet_pton(AF_INET, source, &src.sin_addr), 1);
		cr_assert_eq(bind(c->fd, (struct sockaddr *)&src, sizeof(src)), 0, "bind %s: %s",
		             source, strerror(errno));
	}
	cr_assert_eq(connect(c->fd, (struct sockaddr *)&ss, sslen), 0, "connect %s: %s", target,
	             strerror(errno));
}

static void client_open_persona(struct client *c, const char *persona)
{
	char target[TARGET_MAX];
	cr_assert_not_null(lab_target(&lab, persona, target, sizeof(target)), "no %s", persona);
	client_open(c, target, NULL);
}

static void client_close(struct client *c)
{
	if (c->fd >= 0)
		close(c->fd);
	tls_conn_free(c->tls);
	tls_ctx_free(c->ctx);
	free(c->buf);
	*c = (struct client){.fd = -1};
}

static void send_all(int fd, const char *data, size_t len)
{
	while (len > 0) {
		ssize_t n = send(fd, data, len, MSG_NOSIGNAL);
		cr_assert_gt(n, 0, "send: %s", strerror(errno));
		data += n;
		len -= (size_t)n;
	}
}

static void client_flush_tls(struct client *c)
{
	char *out;
	size_t outlen;
	while (tls_conn_take_output(c->tls, &out, &outlen) == 0) {
		send_all(c->fd, out, outlen);
		free(out);
	}
}

static void client_send(struct client *c, const char *data, size_t len)
{
	if (c->tls == NULL) {
		send_all(c->fd, data, len);
		return;
	}
	cr_assert_eq(tls_conn_write(c->tls, data, len), 0);
	client_flush_tls(c);
}

static void client_send_line(struct client *c, const char *line)
{
	client_send(c, line, strlen(line));
	client_send(c, "\r\n", 2);
}

/* Raw bytes from the socket: > 0 read, 0 timeout, -1 EOF or error. */
static ssize_t raw_recv(struct client *c, char *buf, size_t cap, int timeout_ms)
{
	struct pollfd pfd = {.fd = c->fd, .events = POLLIN};
	if (poll(&pfd, 1, timeout_ms) <= 0)
		return 0;
	ssize_t n = recv(c->fd, buf, cap, 0);
	if (n == 0)
		c->eof = true;
	if (n < 0)
		c->err = errno;
	return n > 0 ? n : -1;
}

static void client_append(struct client *c, const char *data, size_t len)
{
	cr_assert_leq(c->len + len, CLIENT_BUF, "client buffer full");
	memcpy(c->buf + c->len, data, len);
	c->len += len;
}

/* Moves what TLS already decrypted into buf: true when there was some. */
static bool client_drain_tls(struct client *c)
{
	char plain[16384];
	size_t got;
	bool any = false;
	while (tls_conn_read(c->tls, plain, sizeof(plain), &got) == 0) {
		client_append(c, plain, got);
		any = true;
	}
	return any;
}

/* Waits for more plaintext: true when some arrived. */
static bool client_fill(struct client *c, int timeout_ms)
{
	char raw[16384];
	/* Records that came with the handshake's last flight are already buffered. */
	if (c->tls != NULL && client_drain_tls(c))
		return true;
	ssize_t n = raw_recv(c, raw, sizeof(raw), timeout_ms);
	if (n <= 0)
		return false;
	if (c->tls == NULL) {
		client_append(c, raw, (size_t)n);
		return true;
	}
	cr_assert_eq(tls_conn_feed(c->tls, raw, (size_t)n), 0);
	client_drain_tls(c);
	return true;
}

/* Length of the first complete reply in buf, 0 if none yet. */
static size_t reply_length(const char *buf, size_t len)
{
	size_t start = 0;
	for (size_t i = 0; i < len; i++) {
		if (buf[i] != '\n')
			continue;
		const char *line = buf + start;
		size_t linelen = i + 1 - start;
		bool more = linelen >= 4 && isdigit((unsigned char)line[0]) &&
		            isdigit((unsigned char)line[1]) && isdigit((unsigned char)line[2]) &&
		            line[3] == '-';
		if (!more)
			return i + 1;
		start = i + 1;
	}
	return 0;
}

static double elapsed_since(double start)
{
	return now_s() - start;
}

/* The next complete reply (malloc'ed), or NULL when none came within timeout_ms. */
static char *client_reply(struct client *c, int timeout_ms)
{
	double start = now_s();
	size_t n;
	while ((n = reply_length(c->buf, c->len)) == 0) {
		int left = timeout_ms - (int)(elapsed_since(start) * 1000);
		if (left <= 0 || !client_fill(c, left))
			return NULL;
	}
	char *reply = strndup(c->buf, n);
	memmove(c->buf, c->buf + n, c->len - n);
	c->len -= n;
	return reply;
}

/* Sends line (CRLF added, NULL sends nothing) and asserts the reply starts with expect. */
static void client_expect(struct client *c, const char *line, const char *expect)
{
	if (line != NULL)
		client_send_line(c, line);
	char *reply = client_reply(c, REPLY_MS);
	cr_assert_not_null(reply, "no reply to '%s' (expected '%s')", line ? line : "(greeting)",
	                   expect);
	cr_assert(strncmp(reply, expect, strlen(expect)) == 0, "to '%s' got '%s', expected '%s'",
	          line ? line : "(greeting)", reply, expect);
	free(reply);
}

/* The reply to line (malloc'ed); asserts one came. */
static char *client_ask(struct client *c, const char *line)
{
	client_send_line(c, line);
	char *reply = client_reply(c, REPLY_MS);
	cr_assert_not_null(reply, "no reply to '%s'", line);
	return reply;
}

/* Client side of a TLS handshake; bytes already buffered after the 220 belong to TLS. */
static int client_handshake(struct client *c)
{
	char err[256], raw[16384];
	int rc = tls_ctx_new_client(&c->ctx, NULL, err, sizeof(err));
	cr_assert_eq(rc, 0, "%s", err);
	c->tls = tls_conn_new(c->ctx, "mx.lab.test");
	cr_assert_not_null(c->tls);
	if (c->len > 0)
		cr_assert_eq(tls_conn_feed(c->tls, c->buf, c->len), 0);
	c->len = 0;
	double deadline = now_s() + REPLY_MS / 1000.0;
	for (;;) {
		rc = tls_conn_handshake(c->tls);
		client_flush_tls(c);
		if (rc != SA_ERROR_AGAIN)
			return rc;
		if (now_s() > deadline)
			return SA_ERROR_TIMEOUT;
		ssize_t n = raw_recv(c, raw, sizeof(raw), 200);
		if (n < 0)
			return SA_ERROR_CLOSED;
		if (n > 0 && tls_conn_feed(c->tls, raw, (size_t)n) != 0)
			return SA_ERROR_TOOBIG;
	}
}

static void client_starttls(struct client *c)
{
	client_expect(c, "STARTTLS", "220 2.0.0 Ready to start TLS");
	int rc = client_handshake(c);
	cr_assert_eq(rc, 0, "handshake: %s (%s)", sa_error_str(rc), tls_conn_error(c->tls));
}

/* Whether a reply has a line whose text (after "250-"/"250 ") is exactly text. */
static bool reply_has_line(const char *reply, const char *text)
{
	size_t tlen = strlen(text);
	for (const char *line = reply; *line != '\0';) {
		const char *end = strstr(line, "\r\n");
		if (end == NULL)
			return false;
		if ((size_t)(end - line) == tlen + 4 && strncmp(line + 4, text, tlen) == 0)
			return true;
		line = end + 2;
	}
	return false;
}

/* Whether a reply has a line whose text starts with word. */
static bool reply_has_word(const char *reply, const char *word)
{
	for (const char *line = reply; *line != '\0';) {
		if (strlen(line) > 4 && strncmp(line + 4, word, strlen(word)) == 0)
			return true;
		const char *end = strstr(line, "\r\n");
		if (end == NULL)
			return false;
		line = end + 2;
	}
	return false;
}

/* Reads raw bytes until nothing more comes within quiet_ms (or cap is reached). */
static size_t read_until_quiet(struct client *c, char *buf, size_t cap, int quiet_ms)
{
	size_t len = 0;
	while (len < cap) {
		ssize_t n = raw_recv(c, buf + len, cap - len, quiet_ms);
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	return len;
}

static bool have_ipv6(void)
{
	int fd = socket(AF_INET6, SOCK_STREAM, 0);
	struct sockaddr_in6 any = {.sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT};
	bool ok = fd >= 0 && bind(fd, (struct sockaddr *)&any, sizeof(any)) == 0;
	if (fd >= 0)
		close(fd);
	return ok;
}

/* ---- the ready file ---- */

Test(lab, ready_file_lists_real_ports, .timeout = TEST_TIMEOUT, .fini = stop_lab)
{
	const char *specs[] = {"127.0.0.1:0=hardened", "127.0.0.1:0=open-relay,tls",
	                       "127.0.0.1:0=weak-mechs"};
	start_lab(specs, 3, NULL);
	cr_assert_eq(lab.nlisteners, 3);
	static const char *const personas[] = {"hardened", "open-relay", "weak-mechs"};
	for (size_t i = 0; i < 3; i++) {
		cr_assert_str_eq(lab.listeners[i].address, "127.0.0.1");
		cr_assert_str_eq(lab.listeners[i].persona, personas[i]);
		cr_assert_eq(lab.listeners[i].tls, i == 1);
		cr_assert_gt(lab.listeners[i].port, 0);
		for (size_t j = 0; j < i; j++)
			cr_assert_neq(lab.listeners[i].port, lab.listeners[j].port);
	}
	char target[TARGET_MAX], want[TARGET_MAX];
	snprintf(want, sizeof(want), "127.0.0.1:%u", (unsigned)lab.listeners[2].port);
	cr_assert_str_eq(lab_target(&lab, "weak-mechs", target, sizeof(target)), want);
	cr_assert_null(lab_target(&lab, "tarpit", target, sizeof(target)));

	struct client c;
	client_open_persona(&c, "weak-mechs");
	client_expect(&c, NULL, "220 ");
	client_close(&c);
}

/* ---- greetings ---- */

struct greeting_case {
	const char *persona;
	const char *greeting;
};

static const struct greeting_case greeting_cases[] = {
    {"hardened", "220 mx.lab.test ESMTP Postfix (Debian/GNU) [smtp-lab hardened]\r\n"},
    {"open-relay",
     "220 mx.lab.test ESMTP Sendmail 8.17.1.9/8.17.1.9/Debian-2 [smtp-lab open-relay]\r\n"},
    {"accept-all", "220 mx.lab.test ESMTP OpenSMTPD [smtp-lab accept-all]\r\n"},
    {"auth-before-tls", "220 mx.lab.test ESMTP Exim 4.96 [smtp-lab auth-before-tls]\r\n"},
    {"auth-anonymous", "220 mx.lab.test ESMTP Exim 4.94.2 [smtp-lab auth-anonymous]\r\n"},
    {"weak-mechs", "220 mx.lab.test Microsoft ESMTP MAIL Service ready [smtp-lab weak-mechs]\r\n"},
    {"lax-helo",
     "220 mx.lab.test ESMTP Sendmail 8.17.1.9/8.17.1.9/Debian-2 [smtp-lab lax-helo]\r\n"},
    {"no-starttls", "220 mx.lab.test ESMTP Postfix (Ubuntu) [smtp-lab no-starttls]\r\n"},
    {"tls-only-submission",
     "220 mx.lab.test ESMTP Postfix (Debian/GNU) [smtp-lab tls-only-submission]\r\n"},
    {"enum-leaky", "220 mx.lab.test ESMTP Sendmail 8.15.2/8.15.2 [smtp-lab enum-leaky]\r\n"},
    {"verify-252", "220 mx.lab.test Microsoft ESMTP MAIL Service ready [smtp-lab verify-252]\r\n"},
    {"submission-lax", "220 mx.lab.test ESMTP Postfix (Debian/GNU) [smtp-lab submission-lax]\r\n"},
    {"caps-change-after-tls",
     "220 mx.lab.test ESMTP Exim 4.96 [smtp-lab caps-change-after-tls]\r\n"},
    {"exposed", "220 mx.lab.test ESMTP Sendmail 8.15.2/8.15.2/Debian-14~deb10u1 [smtp-lab "
                "exposed]\r\n"},
    {"starttls-injectable",
     "220 mx.lab.test ESMTP Postfix 2.7.1 [smtp-lab starttls-injectable]\r\n"},
    {"starttls-chatty", "220 mx.lab.test ESMTP Exim 4.96 [smtp-lab starttls-chatty]\r\n"},
    {"starttls-broken",
     "220 mx.lab.test ESMTP Postfix (Debian/GNU) [smtp-lab starttls-broken]\r\n"},
    {"pipelining-broken", "220 mx.lab.test Microsoft ESMTP MAIL Service, Version: 6.0.3790.4675 "
                          "ready [smtp-lab pipelining-broken]\r\n"},
    {"tls-junk", "220 mx.lab.test ESMTP Postfix (Debian/GNU) [smtp-lab tls-junk]\r\n"},
    {"reset-mid-reply",
     "220 mx.lab.test ESMTP Postfix (Debian/GNU) [smtp-lab reset-mid-reply]\r\n"},
};

ParameterizedTestParameters(lab, greeting_per_persona)
{
	static size_t ids[COUNT(greeting_cases)];
	return table_indices(ids, COUNT(greeting_cases));
}

ParameterizedTest(size_t *id, lab, greeting_per_persona, .timeout = TEST_TIMEOUT, .fini = stop_lab)
{
	const struct greeting_case *gc = &greeting_cases[*id];
	char spec[64];
	snprintf(spec, sizeof(spec), "127.0.0.1:0=%s", gc->persona);
	start_one(spec);
	struct client c;
	client_open_persona(&c, gc->persona);
	char *reply = client_reply(&c, REPLY_MS);
	cr_assert_not_null(reply);
	cr_assert_str_eq(reply, gc->greeting);
	free(reply);
	client_close(&c);
}

/* ---- EHLO capabilities, before and after STARTTLS ---- */

#define CAPS_MAX 8

struct caps_case {
	const char *persona;
	bool after_tls;
	const char *present[CAPS_MAX]; /* exact capability lines */
	const char *absent[CAPS_MAX];  /* keywords no line may start with */
};

static const struct caps_case caps_cases[] = {
    {"hardened",
     false,
     {"mx.lab.test", "PIPELINING", "SIZE 10240000", "STARTTLS", "ENHANCEDSTATUSCODES", "8BITMIME"},
     {"AUTH", "VRFY", "EXPN", "CHUNKING", "ETRN", "XCLIENT", "XFORWARD"}},
    {"hardened", true, {"PIPELINING", "AUTH PLAIN LOGIN", "8BITMIME"}, {"STARTTLS", "VRFY"}},
    {"auth-before-tls", false, {"AUTH PLAIN LOGIN", "STARTTLS"}, {"VRFY"}},
    {"auth-before-tls", true, {"AUTH PLAIN LOGIN"}, {"STARTTLS"}},
    {"auth-anonymous", false, {"AUTH ANONYMOUS", "STARTTLS"}, {NULL}},
    {"auth-anonymous", true, {"AUTH PLAIN ANONYMOUS"}, {"STARTTLS"}},
    {"weak-mechs", false, {"AUTH CRAM-MD5 DIGEST-MD5 NTLM LOGIN PLAIN", "STARTTLS"}, {NULL}},
    {"no-starttls", false, {"PIPELINING", "8BITMIME"}, {"STARTTLS", "AUTH"}},
    {"tls-only-submission", false, {"STARTTLS"}, {"AUTH"}},
    {"tls-only-submission", true, {"AUTH PLAIN LOGIN"}, {"STARTTLS"}},
    {"open-relay", false, {"STARTTLS"}, {"AUTH", "VRFY"}},
    {"enum-leaky", false, {"VRFY", "EXPN", "STARTTLS"}, {"AUTH"}},
    {"verify-252", false, {"VRFY", "STARTTLS"}, {"EXPN", "AUTH"}},
    {"submission-lax", false, {"STARTTLS", "AUTH PLAIN LOGIN"}, {"VRFY"}},
    {"submission-lax", true, {"AUTH PLAIN LOGIN"}, {"STARTTLS"}},
    {"caps-change-after-tls",
     false,
     {"SIZE 10240000", "STARTTLS", "PIPELINING"},
     {"AUTH", "CHUNKING"}},
    {"caps-change-after-tls",
     true,
     {"SIZE 52428800", "AUTH PLAIN LOGIN", "CHUNKING", "PIPELINING"},
     {"STARTTLS", "SIZE 10240000"}},
    {"exposed",
     false,
     {"SIZE 0", "VRFY", "EXPN", "ETRN", "XCLIENT NAME ADDR PROTO HELO REVERSE_NAME PORT LOGIN",
      "XFORWARD NAME ADDR PROTO HELO SOURCE PORT IDENT", "STARTTLS"},
     {"AUTH", "SIZE 10240000"}},
    {"exposed",
     true,
     {"SIZE 0", "VRFY", "EXPN", "ETRN", "XCLIENT NAME ADDR PROTO HELO REVERSE_NAME PORT LOGIN",
      "XFORWARD NAME ADDR PROTO HELO SOURCE PORT IDENT", "AUTH PLAIN LOGIN"},
     {"STARTTLS"}},
    {"pipelining-broken", false, {"PIPELINING", "STARTTLS"}, {"AUTH"}},
    {"starttls-injectable", false, {"STARTTLS"}, {"AUTH"}},
    {"starttls-chatty", false, {"STARTTLS"}, {"AUTH"}},
    {"starttls-broken", false, {"STARTTLS"}, {"AUTH"}},
};

ParameterizedTestParameters(lab, ehlo_capabilities)
{
	static size_t ids[COUNT(caps_cases)];
	return table_indices(ids, COUNT(caps_cases));
}

ParameterizedTest(size_t *id, lab, ehlo_capabilities, .timeout = TEST_TIMEOUT, .fini = stop_lab)
{
	const struct caps_case *cc = &caps_cases[*id];
	char spec[64];
	snprintf(spec, sizeof(spec), "127.0.0.1:0=%s", cc->persona);
	start_one(spec);
	struct client c;
	client_open_persona(&c, cc->persona);
	client_expect(&c, NULL, "220 ");
	if (cc->after_tls) {
		client_expect(&c, "EHLO client.example.org", "250-mx.lab.test");
		client_starttls(&c);
	}
	char *reply = client_ask(&c, "EHLO client.example.org");
	for (size_t i = 0; i < CAPS_MAX && cc->present[i] != NULL; i++)
		cr_assert(reply_has_line(reply, cc->present[i]), "%s%s: no '%s' in\n%s",
		          cc->persona, cc->after_tls ? " (TLS)" : "", cc->present[i], reply);
	for (size_t i = 0; i < CAPS_MAX && cc->absent[i] != NULL; i++)
		cr_assert(!reply_has_word(reply, cc->absent[i]), "%s%s: '%s' in\n%s", cc->persona,
		          cc->after_tls ? " (TLS)" : "", cc->absent[i], reply);
	free(reply);
	client_close(&c);
}

/* ---- transcripts ---- */

#define STEPS_MAX 40

struct step {
	const char *send; /* CRLF is added */
	const char *expect;
};

struct transcript {
	const char *name;
	const char *persona;
	const char *source; /* client address, NULL: the default */
	struct step steps[STEPS_MAX];
};

#define LABELS_50 "abcdefghi.abcdefghi.abcdefghi.abcdefghi.abcdefghi."
/* Valid labels, but 257 bytes: too long for a host name. */
#define NAME_257 LABELS_50 LABELS_50 LABELS_50 LABELS_50 LABELS_50 "example"

static const struct transcript transcripts[] = {
    {"hardened rejects relaying, accepts local users",
     "hardened",
     NULL,
     {
         {"EHLO client.example.org", "250-mx.lab.test"},
         {"MAIL FROM:<sender@example.org>", "250 2.1.0 Ok"},
         {"RCPT TO:<alice@lab.test>", "250 2.1.5 Ok"},
         {"RCPT TO:<Postmaster@MX.LAB.TEST>", "250 2.1.5 Ok"},
         {"RCPT TO:<bob@[127.0.0.1]>", "250 2.1.5 Ok"},
         {"RCPT TO:<root>", "250 2.1.5 Ok"},
         {"RCPT TO:<victim@external.example>",
          "554 5.7.1 <victim@external.example>: Relay access denied"},
         {"RCPT TO:<nobody@lab.test>",
          "550 5.1.1 <nobody@lab.test>: Recipient address rejected: User unknown in local "
          "recipient table"},
         {"RCPT TO:<x@nowhere.invalid>",
          "450 4.1.2 <x@nowhere.invalid>: Recipient address rejected: Domain not found"},
         {"RCPT TO:<victim%external.example@lab.test>", "554 5.7.1"},
         {"RCPT TO:<external.example!victim@lab.test>", "554 5.7.1"},
         {"RCPT TO:<victim@external.example@lab.test>", "554 5.7.1"},
         {"RCPT TO:<@lab.test:victim@external.example>", "554 5.7.1"},
         {"RCPT TO:<\"victim@external.example\"@lab.test>", "554 5.7.1"},
         {"RCPT TO:<>", "501 5.1.3 Bad recipient address syntax"},
         {"RCPT TO:alice@lab.test", "250 2.1.5 Ok"},
         {"RCPT alice@lab.test", "501 5.5.4 Syntax: RCPT TO:<address>"},
         {"QUIT", "221 2.0.0 Bye"},
     }},
    {"open-relay accepts external and routed, rejects the controls",
     "open-relay",
     NULL,
     {
         {"EHLO client.example.org", "250-mx.lab.test"},
         {"MAIL FROM:<sender@example.org>", "250 2.1.0 Ok"},
         {"RCPT TO:<victim@external.example>", "250 2.1.5 Ok"},
         {"RCPT TO:<victim%external.example@lab.test>", "250 2.1.5 Ok"},
         {"RCPT TO:<@lab.test:victim@external.example>", "250 2.1.5 Ok"},
         {"RCPT TO:<nobody@lab.test>", "550 5.1.1 <nobody@lab.test>"},
         {"RCPT TO:<x@nowhere.invalid>", "450 4.1.2 <x@nowhere.invalid>"},
         {"RCPT TO:<alice@lab.test>", "250 2.1.5 Ok"},
     }},
    {"accept-all accepts the controls too",
     "accept-all",
     NULL,
     {
         {"EHLO localhost", "250-mx.lab.test"},
         {"MAIL FROM:<sender@example.org>", "250 2.1.0 Ok"},
         {"RCPT TO:<nobody@lab.test>", "250 2.1.5 Ok"},
         {"RCPT TO:<x@nowhere.invalid>", "250 2.1.5 Ok"},
         {"RCPT TO:<victim@external.example>", "250 2.1.5 Ok"},
     }},
    {"hardened judges HELO only at RCPT time",
     "hardened",
     "127.0.0.2",
     {
         {"EHLO", "501 5.5.4 Syntax: EHLO hostname"},
         {"HELO", "501 5.5.4 Syntax: HELO hostname"},
         {"EHLO localhost", "250-mx.lab.test"},
         {"MAIL FROM:<a@example.org>", "250 2.1.0 Ok"},
         {"RCPT TO:<alice@lab.test>",
          "550 5.7.1 <localhost>: Helo command rejected: You are not me"},
         {"HELO mx.lab.test", "250 mx.lab.test"},
         {"MAIL FROM:<a@example.org>", "250 2.1.0 Ok"},
         {"RCPT TO:<alice@lab.test>",
          "550 5.7.1 <mx.lab.test>: Helo command rejected: You are not me"},
         {"EHLO [127.0.0.1]", "250-mx.lab.test"},
         {"MAIL FROM:<a@example.org>", "250 2.1.0 Ok"},
         {"RCPT TO:<alice@lab.test>",
          "550 5.7.1 <[127.0.0.1]>: Helo command rejected: You are not me"},
         {"EHLO [127.0.0.3]", "250-mx.lab.test"},
         {"MAIL FROM:<a@example.org>", "250 2.1.0 Ok"},
         {"RCPT TO:<alice@lab.test>",
          "550 5.7.1 <[127.0.0.3]>: Helo command rejected: address literal does not match "
          "your address"},
         {"EHLO nodots", "250-mx.lab.test"},
         {"MAIL FROM:<a@example.org>", "250 2.1.0 Ok"},
         {"RCPT TO:<alice@lab.test>",
          "504 5.5.2 <nodots>: Helo command rejected: need fully-qualified hostname"},
         {"EHLO 192.0.2.1", "250-mx.lab.test"},
         {"MAIL FROM:<a@example.org>", "250 2.1.0 Ok"},
         {"RCPT TO:<alice@lab.test>", "504 5.5.2 <192.0.2.1>"},
         {"EHLO bad_name.example.org", "250-mx.lab.test"},
         {"MAIL FROM:<a@example.org>", "250 2.1.0 Ok"},
         {"RCPT TO:<alice@lab.test>", "504 5.5.2 <bad_name.example.org>"},
         {"EHLO [999.0.2.1]", "250-mx.lab.test"},
         {"MAIL FROM:<a@example.org>", "250 2.1.0 Ok"},
         {"RCPT TO:<alice@lab.test>", "504 5.5.2 <[999.0.2.1]>"},
         {"EHLO " NAME_257, "250-mx.lab.test"},
         {"MAIL FROM:<a@example.org>", "250 2.1.0 Ok"},
         {"RCPT TO:<alice@lab.test>", "504 5.5.2 <abcdefghi.abcdefghi."},
         {"EHLO [127.0.0.2]", "250-mx.lab.test"},
         {"MAIL FROM:<a@example.org>", "250 2.1.0 Ok"},
         {"RCPT TO:<alice@lab.test>", "250 2.1.5 Ok"},
         {"EHLO client.example.org", "250-mx.lab.test"},
         {"MAIL FROM:<a@example.org>", "250 2.1.0 Ok"},
         {"RCPT TO:<alice@lab.test>", "250 2.1.5 Ok"},
     }},
    {"lax-helo accepts any HELO but still refuses relaying",
     "lax-helo",
     NULL,
     {
         {"EHLO", "250-mx.lab.test"},
         {"MAIL FROM:<a@example.org>", "250 2.1.0 Ok"},
         {"RCPT TO:<alice@lab.test>", "250 2.1.5 Ok"},
         {"HELO localhost", "250 mx.lab.test"},
         {"MAIL FROM:<a@example.org>", "250 2.1.0 Ok"},
         {"RCPT TO:<alice@lab.test>", "250 2.1.5 Ok"},
         {"RCPT TO:<victim@external.example>", "554 5.7.1"},
     }},
    {"auth-before-tls fails every login in cleartext",
     "auth-before-tls",
     NULL,
     {
         {"AUTH PLAIN AGFsaWNlAHNlY3JldA==", "503 5.5.1 Error: send HELO/EHLO first"},
         {"EHLO client.example.org", "250-mx.lab.test"},
         {"AUTH PLAIN AGFsaWNlAHNlY3JldA==",
          "535 5.7.8 Error: authentication failed: authentication failure"},
         {"AUTH PLAIN", "334 \r\n"},
         {"AGFsaWNlAHNlY3JldA==", "535 5.7.8"},
         {"AUTH LOGIN", "334 VXNlcm5hbWU6\r\n"},
         {"YWxpY2U=", "334 UGFzc3dvcmQ6\r\n"},
         {"c2VjcmV0", "535 5.7.8"},
         {"auth login YWxpY2U=", "334 UGFzc3dvcmQ6\r\n"},
         {"c2VjcmV0", "535 5.7.8"},
         {"AUTH LOGIN", "334 VXNlcm5hbWU6"},
         {"*", "501 5.7.0 Authentication aborted"},
         {"AUTH CRAM-MD5", "504 5.5.4 Unrecognized authentication type"},
         {"AUTH", "501 5.5.4 Syntax: AUTH mechanism"},
         {"MAIL FROM:<a@example.org>", "250 2.1.0 Ok"},
         {"AUTH PLAIN AGFsaWNlAHNlY3JldA==", "503 5.5.1 Error: MAIL transaction in progress"},
     }},
    {"auth-anonymous relays once authenticated",
     "auth-anonymous",
     NULL,
     {
         {"EHLO client.example.org", "250-mx.lab.test"},
         {"MAIL FROM:<a@example.org>", "250 2.1.0 Ok"},
         {"RCPT TO:<victim@external.example>", "554 5.7.1"},
         {"RSET", "250 2.0.0 Ok"},
         {"AUTH PLAIN AGFsaWNlAHNlY3JldA==", "504 5.5.4"},
         {"AUTH ANONYMOUS dHJhY2U=", "235 2.7.0 Authentication successful"},
         {"AUTH ANONYMOUS dHJhY2U=", "503 5.5.1 Error: already authenticated"},
         {"MAIL FROM:<a@example.org>", "250 2.1.0 Ok"},
         {"RCPT TO:<victim@external.example>", "250 2.1.5 Ok"},
         {"RCPT TO:<nobody@lab.test>", "550 5.1.1"},
     }},
    {"auth-anonymous asks for the trace when none is given",
     "auth-anonymous",
     NULL,
     {
         {"EHLO client.example.org", "250-mx.lab.test"},
         {"AUTH ANONYMOUS", "334 \r\n"},
         {"dHJhY2U=", "235 2.7.0 Authentication successful"},
     }},
    {"weak-mechs CRAM-MD5 and DIGEST-MD5 challenge, then fail",
     "weak-mechs",
     NULL,
     {
         {"EHLO client.example.org", "250-mx.lab.test"},
         {"AUTH CRAM-MD5", "334 PDEyMzQ1LjY3ODkwQG14LmxhYi50ZXN0Pg==\r\n"},
         {"YWxpY2UgMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDA=", "535 5.7.8"},
         {"AUTH DIGEST-MD5", "334 "},
         {"dXNlcm5hbWU9ImFsaWNlIg==", "535 5.7.8"},
         {"AUTH NTLM", "334 NTLM supported\r\n"},
         {"*", "501 5.7.0 Authentication aborted"},
         {"AUTH PLAIN AGFsaWNlAHNlY3JldA==", "535 5.7.8"},
     }},
    {"no-starttls refuses STARTTLS and AUTH",
     "no-starttls",
     NULL,
     {
         {"EHLO client.example.org", "250-mx.lab.test"},
         {"STARTTLS", "502 5.5.1 Error: command not implemented"},
         {"AUTH PLAIN AGFsaWNlAHNlY3JldA==", "503 5.5.1 Error: authentication not enabled"},
         {"MAIL FROM:<a@example.org>", "250 2.1.0 Ok"},
         {"RCPT TO:<victim@external.example>", "554 5.7.1"},
     }},
    {"tls-only-submission wants STARTTLS first",
     "tls-only-submission",
     NULL,
     {
         {"EHLO client.example.org", "250-mx.lab.test"},
         {"MAIL FROM:<a@example.org>", "530 5.7.0 Must issue a STARTTLS command first"},
         {"AUTH PLAIN AGFsaWNlAHNlY3JldA==", "530 5.7.0 Must issue a STARTTLS command first"},
         {"VRFY alice", "530 5.7.0"},
         {"XYZZY", "530 5.7.0"},
         {"NOOP", "250 2.0.0 Ok"},
         {"RSET", "250 2.0.0 Ok"},
         {"HELO client.example.org", "250 mx.lab.test"},
         {"QUIT", "221 2.0.0 Bye"},
     }},
    {"hardened session rules",
     "hardened",
     NULL,
     {
         {"MAIL FROM:<a@example.org>", "503 5.5.1 Error: send HELO/EHLO first"},
         {"HELO client.example.org", "250 mx.lab.test"},
         {"RCPT TO:<alice@lab.test>", "503 5.5.1 Error: need MAIL command"},
         {"DATA", "503 5.5.1 Error: need RCPT command"},
         {"mail from:<a@example.org>", "250 2.1.0 Ok"},
         {"MAIL FROM:<a@example.org>", "503 5.5.1 Error: nested MAIL command"},
         {"DATA", "554 5.5.1 Error: no valid recipients"},
         {"RSET", "250 2.0.0 Ok"},
         {"MAIL FROM:<>", "250 2.1.0 Ok"},
         {"RSET", "250 2.0.0 Ok"},
         {"MAIL FROM:<a@example.org> SIZE=99999999", "552 5.3.4"},
         {"MAIL TO:<a@example.org>", "501 5.5.4 Syntax: MAIL FROM:<address>"},
         {"MAIL FROM:<a@example.org", "501 5.5.4"},
         {"NOOP", "250 2.0.0 Ok"},
         {"VRFY alice", "502 5.5.1 VRFY command is disabled"},
         {"EXPN staff", "502 5.5.1 EXPN command is disabled"},
         {"HELP", "214 2.0.0"},
         {"XYZZY", "500 5.5.2 Error: command not recognized"},
         {"STARTTLS now", "501 5.5.4 Syntax: STARTTLS"},
         {"QUIT", "221 2.0.0 Bye"},
     }},
    {"hardened takes a message with DATA and BDAT",
     "hardened",
     NULL,
     {
         {"EHLO client.example.org", "250-mx.lab.test"},
         {"MAIL FROM:<a@example.org>", "250 2.1.0 Ok"},
         {"RCPT TO:<nobody@lab.test>", "550 5.1.1"},
         {"RCPT TO:<alice@lab.test>", "250 2.1.5 Ok"},
         {"DATA", "354 End data with <CR><LF>.<CR><LF>"},
         {"Subject: test\r\n\r\n..a stuffed dot\r\n.not the end\r\n.",
          "250 2.0.0 Ok: queued as LAB1"},
         {"RCPT TO:<alice@lab.test>", "503 5.5.1 Error: need MAIL command"},
         {"MAIL FROM:<a@example.org>", "250 2.1.0 Ok"},
         {"RCPT TO:<bob@lab.test>", "250 2.1.5 Ok"},
         {"BDAT 7\r\nhello", "250 2.0.0 Ok: 7 bytes"},
         {"BDAT 0 LAST", "250 2.0.0 Ok: queued as LAB2"},
         {"BDAT x", "501 5.5.4 Syntax: BDAT count [LAST]"},
         {"BDAT 6 LAST\r\nQUIT", "503 5.5.1 Error: need RCPT command"},
         {"NOOP", "250 2.0.0 Ok"},
     }},
    {"enum-leaky tells users apart with VRFY, EXPN and RCPT",
     "enum-leaky",
     NULL,
     {
         {"EHLO client.example.org", "250-mx.lab.test"},
         {"VRFY alice", "250 2.1.5 <alice>\r\n"},
         {"VRFY root", "250 2.1.5 <root>\r\n"},
         {"VRFY postmaster", "250 2.1.5 <postmaster>\r\n"},
         {"VRFY admin", "250 2.1.5 <admin>\r\n"},
         {"VRFY <root@lab.test>", "250 2.1.5 <root@lab.test>\r\n"},
         {"VRFY nobody",
          "550 5.1.1 <nobody>: Recipient address rejected: User unknown in local recipient "
          "table\r\n"},
         {"VRFY root@external.example", "550 5.1.1 <root@external.example>"},
         {"EXPN abuse", "250 2.1.5 <abuse>\r\n"},
         {"EXPN staff", "250-2.1.5 <alice@lab.test>\r\n250-2.1.5 <bob@lab.test>\r\n250 2.1.5 "
                        "<admin@lab.test>\r\n"},
         {"EXPN <Staff@lab.test>", "250-2.1.5 <alice@lab.test>\r\n"},
         {"EXPN staff@external.example", "550 5.1.1 <staff@external.example>"},
         {"EXPN nobody", "550 5.1.1 <nobody>"},
         {"VRFY", "501 5.5.4 Syntax: VRFY address"},
         {"EXPN", "501 5.5.4 Syntax: EXPN address"},
         {"MAIL FROM:<a@example.org>", "250 2.1.0 Ok"},
         {"RCPT TO:<root@lab.test>", "250 2.1.5 Ok"},
         {"RCPT TO:<staff@lab.test>", "250 2.1.5 Ok"},
         {"RCPT TO:<nobody@lab.test>", "550 5.1.1 <nobody@lab.test>: Recipient address rejected"},
         {"RCPT TO:<victim@external.example>", "554 5.7.1"},
     }},
    {"verify-252 cannot tell users apart and accepts every local recipient",
     "verify-252",
     NULL,
     {
         {"EHLO client.example.org", "250-mx.lab.test"},
         {"VRFY root", "252 2.5.2 Cannot VRFY user; try RCPT to attempt delivery\r\n"},
         {"VRFY nobody", "252 2.5.2 Cannot VRFY user; try RCPT to attempt delivery\r\n"},
         {"VRFY <zq8xk3@lab.test>", "252 2.5.2"},
         {"VRFY", "501 5.5.4 Syntax: VRFY address"},
         {"EXPN staff", "502 5.5.1 EXPN command is disabled\r\n"},
         {"MAIL FROM:<a@example.org>", "250 2.1.0 Ok"},
         {"RCPT TO:<root@lab.test>", "250 2.1.5 Ok"},
         {"RCPT TO:<zq8xk3@lab.test>", "250 2.1.5 Ok"},
         {"RCPT TO:<nobody@mx.lab.test>", "250 2.1.5 Ok"},
         {"RCPT TO:<x@nowhere.invalid>", "450 4.1.2"},
         {"RCPT TO:<victim@external.example>", "554 5.7.1"},
         {"RCPT TO:<victim%external.example@lab.test>", "554 5.7.1"},
     }},
    {"submission-lax takes MAIL and AUTH without TLS",
     "submission-lax",
     NULL,
     {
         {"EHLO client.example.org", "250-mx.lab.test"},
         {"MAIL FROM:<a@example.org>", "250 2.1.0 Ok"},
         {"RCPT TO:<alice@lab.test>", "530 5.7.0 Authentication required"},
         {"RSET", "250 2.0.0 Ok"},
         {"AUTH PLAIN AGFsaWNlAHNlY3JldA==", "535 5.7.8"},
         {"AUTH LOGIN", "334 VXNlcm5hbWU6\r\n"},
         {"YWxpY2U=", "334 UGFzc3dvcmQ6\r\n"},
         {"c2VjcmV0", "535 5.7.8"},
         {"MAIL FROM:<>", "250 2.1.0 Ok"},
     }},
    {"exposed names its version in HELP and takes any SIZE, but is no relay",
     "exposed",
     NULL,
     {
         {"EHLO client.example.org", "250-mx.lab.test"},
         {"HELP", "214-2.0.0 This is sendmail version 8.15.2\r\n"
                  "214-2.0.0 Topics:\r\n"
                  "214-2.0.0 \tHELO\tEHLO\tMAIL\tRCPT\tDATA\r\n"
                  "214-2.0.0 \tRSET\tNOOP\tQUIT\tHELP\tVRFY\r\n"
                  "214-2.0.0 \tEXPN\tVERB\tETRN\tDSN\tAUTH\r\n"
                  "214-2.0.0 \tSTARTTLS\r\n"
                  "214-2.0.0 For more info use \"HELP <topic>\".\r\n"
                  "214-2.0.0 To report bugs in the implementation see\r\n"
                  "214-2.0.0 \thttp://www.sendmail.org/email-addresses.html\r\n"
                  "214-2.0.0 For local information send email to Postmaster at your site.\r\n"
                  "214 2.0.0 End of HELP info\r\n"},
         {"VRFY root", "252 2.5.2 Cannot VRFY user; try RCPT to attempt delivery\r\n"},
         {"EXPN staff", "252 2.5.2 Cannot EXPN user; try RCPT to attempt delivery\r\n"},
         {"MAIL FROM:<a@example.org> SIZE=999999999999", "250 2.1.0 Ok"},
         {"RCPT TO:<victim@external.example>", "554 5.7.1"},
         {"RCPT TO:<nobody@lab.test>", "550 5.1.1"},
         {"RCPT TO:<alice@lab.test>", "250 2.1.5 Ok"},
     }},
    {"hostile personas answer like hardened where their quirk leaves off",
     "early-talker",
     NULL,
     {
         {NULL, "250 2.0.0 unsolicited"},
         {"EHLO client.example.org", "250-mx.lab.test"},
         {NULL, "250 extra"},
         {"MAIL FROM:<a@example.org>", "250 2.1.0 Ok"},
         {"RCPT TO:<victim@external.example>", "554 5.7.1"},
     }},
};

ParameterizedTestParameters(lab, transcript)
{
	static size_t ids[COUNT(transcripts)];
	return table_indices(ids, COUNT(transcripts));
}

ParameterizedTest(size_t *id, lab, transcript, .timeout = TEST_TIMEOUT, .fini = stop_lab)
{
	const struct transcript *t = &transcripts[*id];
	char spec[64], target[TARGET_MAX];
	snprintf(spec, sizeof(spec), "127.0.0.1:0=%s", t->persona);
	start_one(spec);
	cr_assert_not_null(lab_target(&lab, t->persona, target, sizeof(target)));
	struct client c;
	client_open(&c, target, t->source);
	cr_log_info("transcript: %s", t->name);
	client_expect(&c, NULL, "220 mx.lab.test ");
	for (size_t i = 0; i < STEPS_MAX && t->steps[i].expect != NULL; i++)
		client_expect(&c, t->steps[i].send, t->steps[i].expect);
	client_close(&c);
}

/* ---- TLS ---- */

Test(lab, starttls_resets_the_session, .timeout = TEST_TIMEOUT, .fini = stop_lab)
{
	start_one("127.0.0.1:0=hardened");
	struct client c;
	client_open_persona(&c, "hardened");
	client_expect(&c, NULL, "220 ");
	client_expect(&c, "EHLO client.example.org", "250-mx.lab.test");
	client_expect(&c, "MAIL FROM:<a@example.org>", "250 2.1.0 Ok");
	client_starttls(&c);
	client_expect(&c, "RCPT TO:<alice@lab.test>", "503 5.5.1 Error: need MAIL command");
	client_expect(&c, "MAIL FROM:<a@example.org>", "503 5.5.1 Error: send HELO/EHLO first");
	char *reply = client_ask(&c, "EHLO client.example.org");
	cr_assert(reply_has_line(reply, "AUTH PLAIN LOGIN"), "%s", reply);
	cr_assert(!reply_has_word(reply, "STARTTLS"), "%s", reply);
	free(reply);
	client_expect(&c, "STARTTLS", "554 5.5.1 Error: TLS already active");
	client_expect(&c, "AUTH PLAIN AGFsaWNlAHNlY3JldA==", "535 5.7.8");
	client_expect(&c, "QUIT", "221 2.0.0 Bye");
	cr_assert(lab_log_wait(&lab, " TLS TLSv1.2 ", 1, 5));
	cr_assert_eq(lab_log_count(&lab, " C: AUTH PLAIN AGFsaWNlAHNlY3JldA=="), 1);
	client_close(&c);
}

/*
 * "STARTTLS\r\nRSET\r\n" in one write. CVE-2011-0411: the vulnerable server
 * answers the RSET inside TLS right after the handshake, unprompted; every
 * other persona drops it (RFC 3207), so the first reply in TLS is EHLO's.
 */
struct inject_case {
	const char *listen;
	const char *persona;
	bool runs_injected;
};

static const struct inject_case inject_cases[] = {
    {"127.0.0.1:0=starttls-injectable", "starttls-injectable", true},
    {"[::1]:0=starttls-injectable", "starttls-injectable", true},
    {"127.0.0.1:0=hardened", "hardened", false},
    {"[::1]:0=hardened", "hardened", false},
    {"127.0.0.1:0=tls-only-submission", "tls-only-submission", false},
    {"127.0.0.1:0=submission-lax", "submission-lax", false},
    {"127.0.0.1:0=caps-change-after-tls", "caps-change-after-tls", false},
    {"127.0.0.1:0=pipelining-broken", "pipelining-broken", false},
};

ParameterizedTestParameters(lab, starttls_injection)
{
	static size_t ids[COUNT(inject_cases)];
	return table_indices(ids, COUNT(inject_cases));
}

ParameterizedTest(size_t *id, lab, starttls_injection, .timeout = TEST_TIMEOUT, .fini = stop_lab)
{
	const struct inject_case *ic = &inject_cases[*id];
	if (ic->listen[0] == '[' && !have_ipv6())
		cr_skip_test("no IPv6 loopback here");
	start_one(ic->listen);
	struct client c;
	client_open_persona(&c, ic->persona);
	client_expect(&c, NULL, "220 ");
	client_expect(&c, "EHLO client.example.org", "250-");
	client_send(&c, "STARTTLS\r\nRSET\r\n", 16);
	client_expect(&c, NULL, "220 2.0.0 Ready to start TLS\r\n");
	cr_assert_eq(c.len, 0, "%s: plaintext after the 220", ic->persona);
	int rc = client_handshake(&c);
	cr_assert_eq(rc, 0, "%s: handshake: %s", ic->persona, sa_error_str(rc));
	char *injected = client_reply(&c, ic->runs_injected ? REPLY_MS : QUIET_MS);
	if (ic->runs_injected) {
		cr_assert_not_null(injected, "%s: no reply to the injected RSET", ic->persona);
		cr_assert_str_eq(injected, "250 2.0.0 Ok\r\n");
	} else {
		cr_assert_null(injected, "%s answered the injected RSET: %s", ic->persona,
		               injected);
	}
	free(injected);
	client_expect(&c, "EHLO client.example.org", "250-mx.lab.test");
	cr_assert_eq(lab_log_count(&lab, " C: RSET"), ic->runs_injected ? 1 : 0);
	client_close(&c);
}

/* The injected bytes are read once, as a pipelined group that may end the session. */
Test(lab, starttls_injectable_replays_a_pipelined_group, .timeout = TEST_TIMEOUT, .fini = stop_lab)
{
	static const char group[] =
	    "STARTTLS\r\nEHLO evil.example.org\r\nMAIL FROM:<m@evil.example>"
	    "\r\nSTARTTLS\r\nQUIT\r\n";
	start_one("127.0.0.1:0=starttls-injectable");
	struct client c;
	client_open_persona(&c, "starttls-injectable");
	client_expect(&c, NULL, "220 ");
	client_expect(&c, "EHLO client.example.org", "250-");
	client_send(&c, group, sizeof(group) - 1);
	client_expect(&c, NULL, "220 2.0.0 Ready to start TLS\r\n");
	cr_assert_eq(client_handshake(&c), 0);
	char *ehlo = client_reply(&c, REPLY_MS);
	cr_assert_not_null(ehlo);
	cr_assert(reply_has_line(ehlo, "AUTH PLAIN LOGIN"), "the EHLO ran inside TLS: %s", ehlo);
	free(ehlo);
	client_expect(&c, NULL, "250 2.1.0 Ok\r\n");
	client_expect(&c, NULL, "554 5.5.1 Error: TLS already active\r\n");
	client_expect(&c, NULL, "221 2.0.0 Bye\r\n");
	char buf[256];
	double deadline = now_s() + REPLY_MS / 1000.0;
	while (!c.eof && now_s() < deadline)
		raw_recv(&c, buf, sizeof(buf), 500);
	cr_assert(c.eof, "the injected QUIT ended the session");
	client_close(&c);
}

/* At most LAB_SESSION_REPLAY_MAX (4096) bytes are replayed: 682 whole NOOP lines of 700. */
Test(lab, starttls_injectable_replay_is_bounded, .timeout = TEST_TIMEOUT, .fini = stop_lab)
{
	enum { NOOPS = 700, REPLAYED = 4096 / 6 };
	static char group[10 + NOOPS * 6];
	memcpy(group, "STARTTLS\r\n", 10);
	for (size_t i = 0; i < NOOPS; i++)
		memcpy(group + 10 + 6 * i, "NOOP\r\n", 6);
	start_one("127.0.0.1:0=starttls-injectable");
	struct client c;
	client_open_persona(&c, "starttls-injectable");
	client_expect(&c, NULL, "220 ");
	client_expect(&c, "EHLO client.example.org", "250-");
	client_send(&c, group, sizeof(group));
	client_expect(&c, NULL, "220 2.0.0 Ready to start TLS\r\n");
	cr_assert_eq(client_handshake(&c), 0);
	for (size_t i = 0; i < REPLAYED; i++)
		client_expect(&c, NULL, "250 2.0.0 Ok\r\n");
	char *more = client_reply(&c, QUIET_MS);
	cr_assert_null(more, "more than %d replies: %s", REPLAYED, more);
	cr_assert_eq(lab_log_count(&lab, " C: NOOP"), REPLAYED);
	client_close(&c);
}

/* The reverse direction: plaintext from the server after its 220, before the handshake. */
Test(lab, starttls_chatty_talks_before_the_handshake, .timeout = TEST_TIMEOUT, .fini = stop_lab)
{
	static const char expect[] = "220 2.0.0 Ready to start TLS\r\n250 2.0.0 extra\r\n";
	char buf[256];
	start_one("127.0.0.1:0=starttls-chatty");
	struct client c;
	client_open_persona(&c, "starttls-chatty");
	client_expect(&c, NULL, "220 ");
	client_expect(&c, "EHLO client.example.org", "250-");
	client_send_line(&c, "STARTTLS");
	size_t len = read_until_quiet(&c, buf, sizeof(buf), QUIET_MS);
	cr_assert_eq(len, sizeof(expect) - 1, "%.*s", (int)len, buf);
	cr_assert_eq(memcmp(buf, expect, len), 0, "%.*s", (int)len, buf);
	cr_assert_eq(client_handshake(&c), 0, "the handshake works once the extra line is read");
	client_expect(&c, "EHLO client.example.org", "250-mx.lab.test");
	client_close(&c);

	/* A client that takes the extra line for the start of TLS fails the handshake. */
	client_open_persona(&c, "starttls-chatty");
	client_expect(&c, NULL, "220 ");
	client_expect(&c, "EHLO client.example.org", "250-");
	client_expect(&c, "STARTTLS", "220 2.0.0 Ready to start TLS\r\n");
	cr_assert_neq(client_handshake(&c), 0);
	client_close(&c);
}

/* 220, then a fatal handshake_failure alert in answer to the ClientHello, then a close. */
Test(lab, starttls_broken_fails_the_handshake, .timeout = TEST_TIMEOUT, .fini = stop_lab)
{
	static const char alert[] = {0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x28};
	char buf[256];
	start_one("127.0.0.1:0=starttls-broken");
	struct client c;
	client_open_persona(&c, "starttls-broken");
	client_expect(&c, NULL, "220 ");
	client_expect(&c, "EHLO client.example.org", "250-");
	client_expect(&c, "STARTTLS", "220 2.0.0 Ready to start TLS\r\n");
	cr_assert_eq(raw_recv(&c, buf, sizeof(buf), QUIET_MS), 0, "nothing before the ClientHello");
	double start = now_s();
	int rc = client_handshake(&c);
	cr_assert(rc != 0 && rc != SA_ERROR_TIMEOUT, "handshake: %s", sa_error_str(rc));
	cr_assert_lt(elapsed_since(start), 2.0);
	cr_assert(lab_log_wait(&lab, " TLSFAIL handshake_failure alert sent", 1, 5));
	client_close(&c);

	client_open_persona(&c, "starttls-broken");
	client_expect(&c, NULL, "220 ");
	client_expect(&c, "EHLO client.example.org", "250-");
	client_send(&c, "STARTTLS\r\nRSET\r\n", 16);
	client_expect(&c, NULL, "220 2.0.0 Ready to start TLS\r\n");
	cr_assert_eq(raw_recv(&c, buf, sizeof(buf), QUIET_MS), 0, "pipelined bytes are dropped");
	client_send(&c, "\x16\x03\x01\x00\x04\x01\x00\x00\x00", 9);
	size_t len = 0;
	double deadline = now_s() + REPLY_MS / 1000.0;
	while (!c.eof && now_s() < deadline) {
		ssize_t n = raw_recv(&c, buf + len, sizeof(buf) - len, 500);
		if (n > 0)
			len += (size_t)n;
	}
	cr_assert(c.eof, "the server closes after the alert");
	cr_assert_eq(len, sizeof(alert));
	cr_assert_eq(memcmp(buf, alert, len), 0);
	cr_assert_eq(lab_log_count(&lab, " C: RSET"), 0);
	client_close(&c);
}

/* SIZE, AUTH and CHUNKING change with TLS, and MAIL enforces the SIZE in effect. */
Test(lab, caps_change_after_tls_enforces_each_size, .timeout = TEST_TIMEOUT, .fini = stop_lab)
{
	start_one("127.0.0.1:0=caps-change-after-tls");
	struct client c;
	client_open_persona(&c, "caps-change-after-tls");
	client_expect(&c, NULL, "220 ");
	client_expect(&c, "EHLO client.example.org", "250-");
	client_expect(&c, "MAIL FROM:<a@example.org> SIZE=20000000",
	              "552 5.3.4 Message size exceeds fixed limit");
	client_expect(&c, "MAIL FROM:<a@example.org> SIZE=10240000", "250 2.1.0 Ok");
	client_expect(
	    &c, "AUTH PLAIN AGFsaWNlAHNlY3JldA==", "503 5.5.1 Error: authentication not enabled");
	client_starttls(&c);
	client_expect(&c, "EHLO client.example.org", "250-");
	client_expect(&c, "MAIL FROM:<a@example.org> SIZE=52428800", "250 2.1.0 Ok");
	client_expect(&c, "RSET", "250 2.0.0 Ok");
	client_expect(&c, "MAIL FROM:<a@example.org> SIZE=52428801", "552 5.3.4");
	client_expect(&c, "AUTH PLAIN AGFsaWNlAHNlY3JldA==", "535 5.7.8");
	client_close(&c);
}

/* PIPELINING is advertised, but of each group that arrives together only the first is answered. */
Test(lab, pipelining_broken_loses_pipelined_commands, .timeout = TEST_TIMEOUT, .fini = stop_lab)
{
	static const char group[] = "MAIL FROM:<a@example.org>\r\nRCPT TO:<alice@lab.test>\r\n"
	                            "NOOP\r\n";
	start_one("127.0.0.1:0=pipelining-broken");
	struct client c;
	client_open_persona(&c, "pipelining-broken");
	client_expect(&c, NULL, "220 ");
	char *ehlo = client_ask(&c, "EHLO client.example.org");
	cr_assert(reply_has_line(ehlo, "PIPELINING"), "%s", ehlo);
	free(ehlo);
	client_send(&c, group, sizeof(group) - 1);
	client_expect(&c, NULL, "250 2.1.0 Ok\r\n");
	char *more = client_reply(&c, QUIET_MS);
	cr_assert_null(more, "a reply to a dropped command: %s", more);
	client_expect(&c, "RCPT TO:<alice@lab.test>", "250 2.1.5 Ok\r\n");
	client_expect(&c, "NOOP", "250 2.0.0 Ok\r\n");
	cr_assert_eq(lab_log_count(&lab, " C: RCPT"), 1, "the pipelined RCPT was never read");
	cr_assert_eq(lab_log_count(&lab, " C: NOOP"), 1);
	client_close(&c);
}

/* Each new persona greets as itself and answers EHLO on IPv6 and on an implicit-TLS listener. */
static const char *const new_personas[] = {
    "starttls-injectable", "starttls-chatty", "starttls-broken", "submission-lax",        "exposed",
    "pipelining-broken",   "enum-leaky",      "verify-252",      "caps-change-after-tls",
};

Test(lab, new_personas_on_ipv6_and_implicit_tls, .timeout = TEST_TIMEOUT, .fini = stop_lab)
{
	enum { N = COUNT(new_personas) };
	const char *specs[2 * N];
	char text[2 * N][64];
	bool v6 = have_ipv6();
	size_t n = 0;
	for (size_t i = 0; i < N; i++) {
		snprintf(text[n], sizeof(text[n]), "127.0.0.1:0=%s,tls", new_personas[i]);
		specs[n] = text[n];
		n++;
		if (!v6)
			continue;
		snprintf(text[n], sizeof(text[n]), "[::1]:0=%s", new_personas[i]);
		specs[n] = text[n];
		n++;
	}
	start_lab(specs, n, NULL);
	for (size_t i = 0; i < lab.nlisteners; i++) {
		const struct lab_listener *l = &lab.listeners[i];
		char target[TARGET_MAX], tag[64];
		bool bracket = strchr(l->address, ':') != NULL;
		snprintf(target, sizeof(target), "%s%s%s:%u", bracket ? "[" : "", l->address,
		         bracket ? "]" : "", (unsigned)l->port);
		snprintf(tag, sizeof(tag), "[smtp-lab %s]\r\n", l->persona);
		struct client c;
		client_open(&c, target, NULL);
		if (l->tls)
			cr_assert_eq(client_handshake(&c), 0, "%s", target);
		char *greeting = client_reply(&c, REPLY_MS);
		cr_assert_not_null(greeting, "%s", target);
		cr_assert(strncmp(greeting, "220 mx.lab.test ", 16) == 0 && strstr(greeting, tag),
		          "%s: %s", target, greeting);
		free(greeting);
		char *ehlo = client_ask(&c, "EHLO client.example.org");
		cr_assert(strncmp(ehlo, "250-mx.lab.test\r\n", 17) == 0, "%s: %s", target, ehlo);
		cr_assert_eq(reply_has_word(ehlo, "STARTTLS"), !l->tls, "%s: %s", target, ehlo);
		free(ehlo);
		client_expect(&c, "MAIL FROM:<a@example.org>", "250 2.1.0 Ok");
		client_expect(&c, "QUIT", "221 2.0.0 Bye");
		client_close(&c);
	}
	cr_assert_eq(lab_log_count(&lab, " TLS TLSv1.2 "), N);
}

Test(lab, implicit_tls_listener, .timeout = TEST_TIMEOUT, .fini = stop_lab)
{
	start_one("127.0.0.1:0=hardened,tls");
	cr_assert(lab.listeners[0].tls);
	struct client c;
	client_open_persona(&c, "hardened");
	int rc = client_handshake(&c);
	cr_assert_eq(rc, 0, "handshake: %s", sa_error_str(rc));
	client_expect(&c, NULL, "220 mx.lab.test ESMTP Postfix (Debian/GNU) [smtp-lab hardened]");
	char *reply = client_ask(&c, "EHLO client.example.org");
	cr_assert(reply_has_line(reply, "AUTH PLAIN LOGIN"), "%s", reply);
	cr_assert(!reply_has_word(reply, "STARTTLS"), "%s", reply);
	free(reply);

	struct tls_facts facts;
	cr_assert_eq(tls_conn_facts(c.tls, &facts), 0);
	cr_assert_str_eq(facts.version, "TLSv1.2");
	cr_assert(strstr(facts.subject, "CN=mx.lab.test") != NULL, "%s", facts.subject);
	cr_assert_str_eq(facts.key_type, "EC");
	cr_assert_eq(facts.key_bits, 256);
	cr_assert_eq(facts.nsans, 2);
	cr_assert_str_eq(facts.sans[0], "mx.lab.test");
	cr_assert_str_eq(facts.sans[1], "localhost");
	cr_assert(facts.name_matches);
	int64_t now = (int64_t)time(NULL);
	cr_assert(facts.not_before <= now - 86000 && facts.not_before >= now - 86800);
	cr_assert(facts.not_after >= now + 364 * 86400 && facts.not_after <= now + 366 * 86400);
	tls_facts_free(&facts);
	client_close(&c);
}

Test(lab, tls_only_submission_after_tls, .timeout = TEST_TIMEOUT, .fini = stop_lab)
{
	start_one("127.0.0.1:0=tls-only-submission");
	struct client c;
	client_open_persona(&c, "tls-only-submission");
	client_expect(&c, NULL, "220 ");
	client_expect(&c, "EHLO client.example.org", "250-");
	client_starttls(&c);
	client_expect(&c, "EHLO client.example.org", "250-mx.lab.test");
	client_expect(&c, "MAIL FROM:<a@example.org>", "250 2.1.0 Ok");
	client_expect(&c, "RCPT TO:<alice@lab.test>", "530 5.7.0 Authentication required");
	client_expect(&c, "RSET", "250 2.0.0 Ok");
	client_expect(&c, "AUTH LOGIN YWxpY2U=", "334 UGFzc3dvcmQ6");
	client_expect(&c, "c2VjcmV0", "535 5.7.8");
	client_close(&c);
}

Test(lab, custom_certificate, .timeout = TEST_TIMEOUT, .fini = stop_lab)
{
	char dir[] = "/tmp/lab-cert-XXXXXX", cert[64], key[64];
	cr_assert_not_null(mkdtemp(dir));
	snprintf(cert, sizeof(cert), "%s/cert.pem", dir);
	snprintf(key, sizeof(key), "%s/key.pem", dir);
	const char *openssl[] = {"/usr/bin/openssl",
	                         "req",
	                         "-x509",
	                         "-newkey",
	                         "rsa:2048",
	                         "-nodes",
	                         "-keyout",
	                         key,
	                         "-out",
	                         cert,
	                         "-days",
	                         "2",
	                         "-subj",
	                         "/CN=custom.example",
	                         NULL};
	if (access(openssl[0], X_OK) != 0) {
		rmdir(dir);
		cr_skip_test("no openssl to make a certificate");
	}
	struct run_result r;
	cr_assert_eq(run_command(openssl, 30, NULL, &r), 0);
	cr_assert_eq(r.exit_code, 0, "openssl: %s", r.err);
	run_result_free(&r);

	const char *specs[] = {"127.0.0.1:0=hardened,tls"};
	const char *extra[] = {"--cert", cert, "--key", key, NULL};
	start_lab(specs, 1, extra);
	struct client c;
	client_open_persona(&c, "hardened");
	cr_assert_eq(client_handshake(&c), 0);
	client_expect(&c, NULL, "220 ");
	struct tls_facts facts;
	cr_assert_eq(tls_conn_facts(c.tls, &facts), 0);
	cr_assert(strstr(facts.subject, "CN=custom.example") != NULL, "%s", facts.subject);
	cr_assert_str_eq(facts.key_type, "RSA");
	tls_facts_free(&facts);
	client_close(&c);
	unlink(cert);
	unlink(key);
	rmdir(dir);
}

/* ---- NTLM and DIGEST-MD5 challenges ---- */

static uint32_t le(const unsigned char *p, size_t bytes)
{
	uint32_t v = 0;
	for (size_t i = 0; i < bytes; i++)
		v |= (uint32_t)p[i] << (8 * i);
	return v;
}

/* ASCII from UTF-16LE, asserting every high byte is 0. */
static void utf16_ascii(const unsigned char *p, size_t len, char *out, size_t outlen)
{
	cr_assert_eq(len % 2, 0);
	cr_assert_lt(len / 2, outlen);
	for (size_t i = 0; i < len / 2; i++) {
		cr_assert_eq(p[2 * i + 1], 0);
		out[i] = (char)p[2 * i];
	}
	out[len / 2] = '\0';
}

/* Parses a CHALLENGE_MESSAGE (MS-NLMP 2.2.1.2) and checks every field the lab promises. */
static void check_ntlm_challenge(const unsigned char *m, size_t len)
{
	char text[64];
	cr_assert_geq(len, 56);
	cr_assert_eq(memcmp(m, "NTLMSSP\0", 8), 0);
	cr_assert_eq(le(m + 8, 4), 2, "message type");
	size_t name_len = le(m + 12, 2), name_off = le(m + 16, 4);
	cr_assert_leq(name_off + name_len, len);
	utf16_ascii(m + name_off, name_len, text, sizeof(text));
	cr_assert_str_eq(text, "LAB");
	uint32_t flags = le(m + 20, 4);
	cr_assert(flags & 0x00800000u, "NEGOTIATE_TARGET_INFO in %08x", flags);
	cr_assert(flags & 0x02000000u, "NEGOTIATE_VERSION in %08x", flags);
	cr_assert(flags & 0x00000001u, "NEGOTIATE_UNICODE in %08x", flags);
	cr_assert_eq(m[48], 10);
	cr_assert_eq(m[49], 0);
	cr_assert_eq(le(m + 50, 2), 17763);
	cr_assert_eq(m[55], 0x0F, "NTLMSSP_REVISION_W2K3");

	size_t info_len = le(m + 40, 2), info_off = le(m + 44, 4);
	cr_assert_leq(info_off + info_len, len);
	static const struct {
		unsigned id;
		const char *name;
	} expected[] = {{2, "LAB"}, {1, "MAIL01"}, {4, "lab.test"}, {3, "mail01.lab.test"}};
	const unsigned char *p = m + info_off, *end = p + info_len;
	size_t names = 0;
	bool timestamp = false, eol = false;
	while (p + 4 <= end && !eol) {
		unsigned id = le(p, 2);
		size_t vlen = le(p + 2, 2);
		cr_assert_leq(p + 4 + vlen, end);
		if (id == 0) {
			eol = true;
		} else if (id == 7) {
			cr_assert_eq(vlen, 8);
			uint64_t ft = le(p + 4, 4) | (uint64_t)le(p + 8, 4) << 32;
			int64_t unix_s = (int64_t)(ft / 10000000u) - 11644473600;
			cr_assert_lt(llabs(unix_s - (int64_t)time(NULL)), 86400);
			timestamp = true;
		} else {
			cr_assert_lt(names, 4, "unexpected AV pair %u", id);
			cr_assert_eq(id, expected[names].id);
			utf16_ascii(p + 4, vlen, text, sizeof(text));
			cr_assert_str_eq(text, expected[names].name);
			names++;
		}
		p += 4 + vlen;
	}
	cr_assert_eq(names, 4);
	cr_assert(timestamp);
	cr_assert(eol);
}

static void check_ntlm_reply(const char *reply)
{
	unsigned char *msg;
	size_t len;
	cr_assert(strncmp(reply, "334 ", 4) == 0, "%s", reply);
	const char *b64 = reply + 4;
	size_t b64len = strcspn(b64, "\r\n");
	cr_assert_eq(codec_base64_decode(b64, b64len, &msg, &len), 0, "%s", reply);
	check_ntlm_challenge(msg, len);
	free(msg);
}

Test(lab, ntlm_challenge_names_the_host, .timeout = TEST_TIMEOUT, .fini = stop_lab)
{
	start_one("127.0.0.1:0=weak-mechs");
	struct client c;
	client_open_persona(&c, "weak-mechs");
	client_expect(&c, NULL, "220 ");
	client_expect(&c, "EHLO client.example.org", "250-");
	char *reply = client_ask(&c, "AUTH NTLM TlRMTVNTUAABAAAAl4II4gAAAAAAAAAAAAAAAAAAAAA=");
	check_ntlm_reply(reply);
	free(reply);
	client_expect(
	    &c,
	    "TlRMTVNTUAADAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
	    "AAAAAAAAA==",
	    "535 5.7.8");
	client_expect(&c, "AUTH NTLM", "334 NTLM supported");
	reply = client_ask(&c, "TlRMTVNTUAABAAAAl4II4gAAAAAAAAAAAAAAAAAAAAA=");
	check_ntlm_reply(reply);
	free(reply);
	client_expect(&c, "*", "501 5.7.0");
	client_close(&c);
}

Test(lab, digest_md5_challenge, .timeout = TEST_TIMEOUT, .fini = stop_lab)
{
	start_one("127.0.0.1:0=weak-mechs");
	struct client c;
	client_open_persona(&c, "weak-mechs");
	client_expect(&c, NULL, "220 ");
	client_expect(&c, "EHLO client.example.org", "250-");
	char *reply = client_ask(&c, "AUTH DIGEST-MD5");
	cr_assert(strncmp(reply, "334 ", 4) == 0, "%s", reply);
	unsigned char *text;
	size_t len;
	cr_assert_eq(codec_base64_decode(reply + 4, strcspn(reply + 4, "\r\n"), &text, &len), 0);
	const char *t = (const char *)text;
	cr_assert(strstr(t, "realm=\"lab.test\"") != NULL, "%s", t);
	cr_assert(strstr(t, "nonce=\"") != NULL, "%s", t);
	cr_assert(strstr(t, "qop=\"auth\"") != NULL, "%s", t);
	cr_assert(strstr(t, "algorithm=md5-sess") != NULL, "%s", t);
	free(text);
	free(reply);
	client_close(&c);
}

/* ---- the command log ---- */

Test(lab, log_records_commands_escaped, .timeout = TEST_TIMEOUT, .fini = stop_lab)
{
	start_one("127.0.0.1:0=hardened");
	struct client c;
	client_open_persona(&c, "hardened");
	client_expect(&c, NULL, "220 ");
	client_expect(&c, "EHLO client.example.org", "250-");
	client_send(&c, "VRFY a\x1b[31mb\x00z.example\r\n", 24);
	client_expect(&c, NULL, "502 5.5.1");
	client_send(&c, "NOOP\n", 5);
	client_expect(&c, NULL, "250 2.0.0 Ok");
	client_expect(&c, "MAIL FROM:<a@example.org>", "250");
	client_expect(&c, "RCPT TO:<alice@lab.test>", "250");
	client_expect(&c, "DATA", "354");
	client_expect(&c, "secret body line\r\n.", "250 2.0.0 Ok: queued");
	client_expect(&c, "QUIT", "221");
	cr_assert(lab_log_wait(&lab, " CLOSE ", 1, 5));
	client_close(&c);

	char prefix[TARGET_MAX + 32];
	snprintf(prefix, sizeof(prefix),
	         " 127.0.0.1:%u hardened s1 127.0.0.1:", (unsigned)lab.listeners[0].port);
	cr_assert_eq(lab_log_count(&lab, prefix), 9);
	cr_assert_eq(lab_log_count(&lab, " CONNECT"), 1);
	cr_assert_eq(lab_log_count(&lab, " C: VRFY a\\x1b[31mb\\x00z.example"), 1);
	cr_assert_eq(lab_log_count(&lab, " C: NOOP\\x0a"), 1);
	cr_assert_eq(lab_log_count(&lab, " C: DATA"), 1);
	cr_assert_eq(lab_log_count(&lab, "secret body"), 0);
	cr_assert_eq(lab_log_count(&lab, " C: QUIT"), 1);
	char *log = lab_log(&lab);
	cr_assert_not_null(log);
	for (const char *p = log; *p != '\0'; p++)
		cr_assert(*p == '\n' || (*p >= 0x20 && *p < 0x7f), "unescaped byte %02x in log",
		          (unsigned char)*p);
	long long ms = 0;
	cr_assert_eq(sscanf(log, "%lld ", &ms), 1);
	cr_assert_lt(llabs(ms / 1000 - (long long)time(NULL)), 60);
	free(log);
}

/* ---- line limits, pipelining, delay ---- */

Test(lab, line_too_long_is_refused_and_skipped, .timeout = TEST_TIMEOUT, .fini = stop_lab)
{
	static char line[3001];
	start_one("127.0.0.1:0=hardened");
	struct client c;
	client_open_persona(&c, "hardened");
	client_expect(&c, NULL, "220 ");
	memset(line, 'A', 2048);
	line[2048] = '\0';
	client_expect(&c, line, "500 5.5.2 Error: command not recognized");
	memset(line, 'B', 2049);
	line[2049] = '\0';
	client_expect(&c, line, "500 5.5.0 Error: line too long");
	memset(line, 'C', 3000);
	line[3000] = '\0';
	client_expect(&c, line, "500 5.5.0 Error: line too long");
	client_expect(&c, "NOOP", "250 2.0.0 Ok");
	cr_assert_eq(lab_log_count(&lab, " LONG BBBB"), 1);
	cr_assert_eq(lab_log_count(&lab, " LONG CCCC"), 1);
	cr_assert_eq(lab_log_count(&lab, " C: CCCC"), 0);
	client_close(&c);
}

Test(lab, pipelined_commands_answered_in_order, .timeout = TEST_TIMEOUT, .fini = stop_lab)
{
	static const char batch[] = "EHLO client.example.org\r\nMAIL FROM:<a@example.org>\r\n"
	                            "RCPT TO:<alice@lab.test>\r\nRCPT TO:<x@external.example>\r\n"
	                            "RSET\r\nVRFY bob\r\nNOOP\r\nQUIT\r\n";
	static const char *const expect[] = {"250-mx.lab.test", "250 2.1.0", "250 2.1.5",
	                                     "554 5.7.1",       "250 2.0.0", "502 5.5.1",
	                                     "250 2.0.0",       "221 2.0.0"};
	start_one("127.0.0.1:0=hardened");
	struct client c;
	client_open_persona(&c, "hardened");
	client_expect(&c, NULL, "220 ");
	client_send(&c, batch, sizeof(batch) - 1);
	for (size_t i = 0; i < sizeof(expect) / sizeof(expect[0]); i++)
		client_expect(&c, NULL, expect[i]);
	client_close(&c);
}

Test(lab, delay_ms_delays_every_reply, .timeout = TEST_TIMEOUT, .fini = stop_lab)
{
	const char *specs[] = {"127.0.0.1:0=hardened"};
	const char *extra[] = {"--delay-ms", "200", NULL};
	start_lab(specs, 1, extra);
	struct client c;
	double start = now_s();
	client_open_persona(&c, "hardened");
	client_expect(&c, NULL, "220 ");
	cr_assert_geq(elapsed_since(start), 0.2);
	start = now_s();
	client_expect(&c, "EHLO client.example.org", "250-");
	cr_assert_geq(elapsed_since(start), 0.2);
	start = now_s();
	client_send(&c, "NOOP\r\nRSET\r\nNOOP\r\n", 18);
	client_expect(&c, NULL, "250 2.0.0 Ok");
	cr_assert_geq(elapsed_since(start), 0.2);
	client_expect(&c, NULL, "250 2.0.0 Ok");
	client_expect(&c, NULL, "250 2.0.0 Ok");
	cr_assert_lt(elapsed_since(start), 3.0);
	client_close(&c);
}

/* ---- IPv6, host name ---- */

Test(lab, ipv6_listener, .timeout = TEST_TIMEOUT, .fini = stop_lab)
{
	if (!have_ipv6())
		cr_skip_test("no IPv6 loopback here");
	start_one("[::1]:0=hardened");
	cr_assert_str_eq(lab.listeners[0].address, "::1");
	char target[TARGET_MAX], want[TARGET_MAX];
	snprintf(want, sizeof(want), "[::1]:%u", (unsigned)lab.listeners[0].port);
	cr_assert_str_eq(lab_target(&lab, "hardened", target, sizeof(target)), want);
	struct client c;
	client_open(&c, target, NULL);
	client_expect(&c, NULL, "220 mx.lab.test ");
	client_expect(&c, "EHLO client.example.org", "250-");
	client_expect(&c, "MAIL FROM:<a@example.org>", "250");
	client_expect(&c, "RCPT TO:<bob@[IPv6:::1]>", "250 2.1.5 Ok");
	client_expect(&c, "RCPT TO:<bob@[127.0.0.1]>", "554 5.7.1");
	client_close(&c);
	char needle[TARGET_MAX + 16];
	snprintf(needle, sizeof(needle),
	         " [::1]:%u hardened s1 [::1]:", (unsigned)lab.listeners[0].port);
	cr_assert_geq(lab_log_count(&lab, needle), 1);
}

Test(lab, hostname_option_sets_local_domains, .timeout = TEST_TIMEOUT, .fini = stop_lab)
{
	const char *specs[] = {"127.0.0.1:0=hardened"};
	const char *extra[] = {"--hostname", "mail.example.net", NULL};
	start_lab(specs, 1, extra);
	struct client c;
	client_open_persona(&c, "hardened");
	client_expect(&c, NULL, "220 mail.example.net ESMTP Postfix");
	client_expect(&c, "EHLO client.example.org", "250-mail.example.net");
	client_expect(&c, "MAIL FROM:<a@example.org>", "250");
	client_expect(&c, "RCPT TO:<alice@example.net>", "250 2.1.5 Ok");
	client_expect(&c, "RCPT TO:<alice@mail.example.net>", "250 2.1.5 Ok");
	client_expect(&c, "RCPT TO:<alice@lab.test>", "554 5.7.1");
	client_close(&c);
}

/* ---- hostile personas ---- */

Test(lab, tarpit_sends_one_byte_per_second, .timeout = TEST_TIMEOUT, .fini = stop_lab)
{
	const char *specs[] = {"127.0.0.1:0=tarpit", "127.0.0.1:0=hardened"};
	start_lab(specs, 2, NULL);
	struct client slow, fast;
	char buf[64];
	client_open_persona(&slow, "tarpit");
	double start = now_s();
	size_t got = 0;
	while (elapsed_since(start) < 1.6) {
		ssize_t n = raw_recv(&slow, buf + got, sizeof(buf) - got, 100);
		cr_assert_geq(n, 0);
		got += (size_t)n;
	}
	cr_assert_geq(got, 1);
	cr_assert_leq(got, 3, "%zu bytes in 1.6 s", got);
	cr_assert_eq(memcmp(buf, "220", got < 3 ? got : 3), 0);

	start = now_s();
	client_open_persona(&fast, "hardened");
	client_expect(&fast, NULL, "220 ");
	client_expect(&fast, "NOOP", "250");
	cr_assert_lt(elapsed_since(start), 0.5);
	client_close(&fast);
	client_close(&slow);
}

Test(lab, never_greets_while_others_do, .timeout = TEST_TIMEOUT, .fini = stop_lab)
{
	const char *specs[] = {"127.0.0.1:0=never-greets", "127.0.0.1:0=hardened"};
	start_lab(specs, 2, NULL);
	struct client mute, other;
	char buf[16];
	client_open_persona(&mute, "never-greets");
	client_send_line(&mute, "EHLO client.example.org");
	client_open_persona(&other, "hardened");
	client_expect(&other, NULL, "220 ");
	cr_assert_eq(raw_recv(&mute, buf, sizeof(buf), QUIET_MS), 0);
	cr_assert_eq(lab_log_count(&lab, " never-greets s1 "), 2, "CONNECT and the EHLO");
	client_close(&other);
	client_close(&mute);
}

Test(lab, garbage_greeting_is_binary_junk, .timeout = TEST_TIMEOUT, .fini = stop_lab)
{
	start_one("127.0.0.1:0=garbage");
	struct client c;
	char buf[512];
	client_open_persona(&c, "garbage");
	size_t len = read_until_quiet(&c, buf, sizeof(buf), QUIET_MS);
	cr_assert_gt(len, 2);
	cr_assert_not_null(memchr(buf, '\0', len));
	cr_assert_not_null(memchr(buf, 0xff, len));
	cr_assert_not_null(memmem(buf, len, "\x1b[31m", 5));
	cr_assert_not_null(memmem(buf, len, "<script>", 8));
	cr_assert_eq(memcmp(buf + len - 2, "\r\n", 2), 0);
	client_send_line(&c, "EHLO client.example.org");
	size_t again = read_until_quiet(&c, buf, sizeof(buf), QUIET_MS);
	cr_assert_eq(again, len, "the reply is junk too");
	client_close(&c);
}

Test(lab, long_line_greeting_exceeds_a_mebibyte, .timeout = TEST_TIMEOUT, .fini = stop_lab)
{
	start_one("127.0.0.1:0=long-line");
	struct client c;
	static char buf[65536];
	client_open_persona(&c, "long-line");
	const size_t expected = 4 + 1024 * 1024 + 2;
	size_t total = 0, newlines = 0;
	char head[4] = {0}, tail[2] = {0};
	double deadline = now_s() + 20;
	while (total < expected && now_s() < deadline) {
		ssize_t n = raw_recv(&c, buf, sizeof(buf), 1000);
		cr_assert_geq(n, 0, "connection ended after %zu bytes", total);
		for (ssize_t i = 0; i < n; i++, total++) {
			if (total < 4)
				head[total] = buf[i];
			tail[0] = tail[1];
			tail[1] = buf[i];
			newlines += buf[i] == '\n';
		}
	}
	cr_assert_eq(total, expected);
	cr_assert_eq(memcmp(head, "220 ", 4), 0);
	cr_assert_eq(memcmp(tail, "\r\n", 2), 0);
	cr_assert_eq(newlines, 1, "one line, not %zu", newlines);
	client_expect(&c, "EHLO client.example.org", "250-mx.lab.test");
	client_close(&c);
}

Test(lab, endless_multiline_never_ends, .timeout = TEST_TIMEOUT, .fini = stop_lab)
{
	start_one("127.0.0.1:0=endless-multiline");
	struct client c;
	static char buf[65536];
	client_open_persona(&c, "endless-multiline");
	size_t total = 0;
	double deadline = now_s() + 10;
	while (total < 16384 && now_s() < deadline) {
		ssize_t n = raw_recv(&c, buf + total, sizeof(buf) - 1 - total, 1000);
		cr_assert_geq(n, 0);
		total += (size_t)n;
	}
	cr_assert_geq(total, 16384);
	buf[total] = '\0';
	size_t lines = 0;
	for (char *line = buf;;) {
		char *end = strstr(line, "\r\n");
		if (end == NULL)
			break;
		cr_assert_eq(strncmp(line, "220-", 4), 0, "line %zu: %.20s", lines, line);
		lines++;
		line = end + 2;
	}
	cr_assert_gt(lines, 100);
	client_close(&c);
	cr_assert(lab_log_wait(&lab, " CLOSE ", 1, 5), "the stream stops when the client leaves");
}

Test(lab, close_after_banner, .timeout = TEST_TIMEOUT, .fini = stop_lab)
{
	start_one("127.0.0.1:0=close-after-banner");
	struct client c;
	char buf[256];
	client_open_persona(&c, "close-after-banner");
	client_expect(&c, NULL,
	              "220 mx.lab.test ESMTP Postfix (Debian/GNU) [smtp-lab "
	              "close-after-banner]\r\n");
	cr_assert_eq(raw_recv(&c, buf, sizeof(buf), REPLY_MS), -1);
	cr_assert(c.eof);
	client_close(&c);
}

Test(lab, tls_junk_instead_of_handshake, .timeout = TEST_TIMEOUT, .fini = stop_lab)
{
	start_one("127.0.0.1:0=tls-junk");
	struct client c;
	static char buf[8192];
	client_open_persona(&c, "tls-junk");
	client_expect(&c, NULL, "220 ");
	client_expect(&c, "EHLO client.example.org", "250-");
	client_send_line(&c, "STARTTLS");
	size_t len = c.len;
	memcpy(buf, c.buf, len);
	double deadline = now_s() + 5;
	while (!c.eof && now_s() < deadline) {
		ssize_t n = raw_recv(&c, buf + len, sizeof(buf) - len, 500);
		if (n > 0)
			len += (size_t)n;
	}
	cr_assert(c.eof, "the server closes after the junk");
	static const char ready[] = "220 2.0.0 Ready to start TLS\r\n";
	cr_assert_eq(len, sizeof(ready) - 1 + 4096);
	cr_assert_eq(memcmp(buf, ready, sizeof(ready) - 1), 0);
	unsigned char first = (unsigned char)buf[sizeof(ready) - 1];
	cr_assert(first < 0x14 || first > 0x17, "junk must not look like a TLS record");
	client_close(&c);

	client_open_persona(&c, "tls-junk");
	client_expect(&c, NULL, "220 ");
	client_expect(&c, "EHLO client.example.org", "250-");
	client_expect(&c, "STARTTLS", "220 2.0.0 Ready to start TLS");
	cr_assert_neq(client_handshake(&c), 0);
	client_close(&c);
}

Test(lab, reset_mid_reply, .timeout = TEST_TIMEOUT, .fini = stop_lab)
{
	start_one("127.0.0.1:0=reset-mid-reply");
	struct client c;
	static char buf[512];
	client_open_persona(&c, "reset-mid-reply");
	client_expect(&c, NULL, "220 ");
	client_send_line(&c, "EHLO client.example.org");
	size_t len = 0;
	double deadline = now_s() + 5;
	while (now_s() < deadline) {
		ssize_t n = raw_recv(&c, buf + len, sizeof(buf) - len, 500);
		if (n < 0)
			break;
		len += (size_t)n;
	}
	cr_assert_eq(c.err, ECONNRESET, "expected a reset, got errno %d eof %d", c.err, c.eof);
	static const char half[] = "250-mx.lab.test\r\n250-PIPEL";
	cr_assert_eq(len, sizeof(half) - 1);
	cr_assert_eq(memcmp(buf, half, len), 0);
	client_close(&c);
}

/* ---- scale and robustness ---- */

/* The soft open-file limit, raised to the hard one. */
static size_t raise_fd_limit(void)
{
	struct rlimit rl;
	getrlimit(RLIMIT_NOFILE, &rl);
	rl.rlim_cur = rl.rlim_max;
	setrlimit(RLIMIT_NOFILE, &rl);
	getrlimit(RLIMIT_NOFILE, &rl);
	return rl.rlim_cur == RLIM_INFINITY ? SIZE_MAX : (size_t)rl.rlim_cur;
}

#define GREETING_MAX 256
#define GREET_ALL_S  60
#define FD_SPARE     100

/*
 * Connects to targets[0 .. n-1] all at once and keeps the first bytes each
 * server sends, NUL-terminated, in greetings[i]: n clients in flight together.
 */
static void greet_all(const struct sockaddr_storage *targets, size_t n,
                      char (*greetings)[GREETING_MAX])
{
	struct pollfd *pfd = calloc(n, sizeof(*pfd));
	cr_assert_not_null(pfd);
	for (size_t i = 0; i < n; i++) {
		bool v6 = targets[i].ss_family == AF_INET6;
		pfd[i].fd =
		    socket(targets[i].ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		cr_assert_geq(pfd[i].fd, 0, "socket %zu: %s", i, strerror(errno));
		int rc = connect(pfd[i].fd, (const struct sockaddr *)&targets[i],
		                 v6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in));
		cr_assert(rc == 0 || errno == EINPROGRESS, "connect %zu: %s", i, strerror(errno));
		pfd[i].events = POLLIN;
	}
	size_t done = 0;
	double deadline = now_s() + GREET_ALL_S;
	while (done < n && now_s() < deadline) {
		if (poll(pfd, (nfds_t)n, 500) <= 0)
			continue;
		for (size_t i = 0; i < n; i++) {
			if (pfd[i].events == 0 || !(pfd[i].revents & POLLIN))
				continue;
			ssize_t got = recv(pfd[i].fd, greetings[i], GREETING_MAX - 1, 0);
			cr_assert_gt(got, 0, "client %zu: %s", i,
			             got < 0 ? strerror(errno) : "EOF");
			greetings[i][got] = '\0';
			pfd[i].events = 0;
			done++;
		}
	}
	for (size_t i = 0; i < n; i++)
		close(pfd[i].fd);
	free(pfd);
	cr_assert_eq(done, n, "%zu of %zu clients greeted", done, n);
}

Test(lab, thousand_concurrent_clients, .timeout = TEST_TIMEOUT, .fini = stop_lab)
{
	enum { CLIENTS = 1000 };
	static struct sockaddr_storage targets[CLIENTS];
	static char greetings[CLIENTS][GREETING_MAX];
	size_t limit = raise_fd_limit();
	size_t n = limit > CLIENTS + FD_SPARE ? CLIENTS : limit - FD_SPARE;
	start_one("127.0.0.1:0=hardened");
	socklen_t sslen;
	char target[TARGET_MAX];
	lab_target(&lab, "hardened", target, sizeof(target));
	parse_target(target, &targets[0], &sslen);
	for (size_t i = 1; i < n; i++)
		targets[i] = targets[0];
	greet_all(targets, n, greetings);
	for (size_t i = 0; i < n; i++)
		cr_assert_eq(strncmp(greetings[i], "220 ", 4), 0, "client %zu: %s", i,
		             greetings[i]);
	struct client c;
	client_open_persona(&c, "hardened");
	client_expect(&c, NULL, "220 ");
	client_close(&c);
}

static long rss_kib(pid_t pid)
{
	char path[64], line[256];
	long kib = -1;
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	FILE *f = fopen(path, "r");
	cr_assert_not_null(f);
	while (fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "VmRSS: %ld kB", &kib) == 1)
			break;
	fclose(f);
	return kib;
}

/* A client that pipelines without ever reading must not grow the server. */
Test(lab, flood_without_reading_stays_bounded, .timeout = TEST_TIMEOUT, .fini = stop_lab)
{
	static char chunk[65536];
	/* Under -DSA_SANITIZE=ON freed memory sits in ASan's quarantine and would count as growth.
	 */
	setenv("ASAN_OPTIONS", "quarantine_size_mb=0", 1);
	start_one("127.0.0.1:0=hardened");
	struct client flood, other;
	client_open_persona(&flood, "hardened");
	long before = rss_kib(lab.pid);
	for (size_t i = 0; i + 6 <= sizeof(chunk); i += 6)
		memcpy(chunk + i, "NOOP\r\n", 6);
	fcntl(flood.fd, F_SETFL, O_NONBLOCK);
	size_t sent = 0;
	double idle_since = now_s();
	while (sent < 64u * 1024 * 1024 && elapsed_since(idle_since) < 0.5) {
		ssize_t n = send(flood.fd, chunk, sizeof(chunk) - sizeof(chunk) % 6, MSG_NOSIGNAL);
		if (n > 0) {
			sent += (size_t)n;
			idle_since = now_s();
		} else {
			struct timespec pause = {.tv_nsec = 10000000};
			nanosleep(&pause, NULL);
		}
	}
	long after = rss_kib(lab.pid);
	cr_log_info("flood: %zu bytes sent, RSS %ld -> %ld KiB", sent, before, after);
	cr_assert_gt(sent, 1024 * 1024, "the lab read some of it");
	cr_assert_lt(after - before, 32 * 1024, "RSS grew from %ld to %ld KiB", before, after);
	client_open_persona(&other, "hardened");
	client_expect(&other, NULL, "220 ");
	client_expect(&other, "NOOP", "250");
	client_close(&other);
	client_close(&flood);
}

Test(lab, sigterm_exits_zero_promptly, .timeout = TEST_TIMEOUT, .fini = stop_lab)
{
	const char *specs[] = {"127.0.0.1:0=hardened", "127.0.0.1:0=never-greets"};
	start_lab(specs, 2, NULL);
	struct client idle, mute;
	client_open_persona(&idle, "hardened");
	client_expect(&idle, NULL, "220 ");
	client_open_persona(&mute, "never-greets");
	int status;
	double start = now_s();
	cr_assert_eq(lab_signal(&lab, SIGTERM, 5, &status), 0);
	cr_assert_lt(elapsed_since(start), 2.0);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "status %d", status);
	char buf[16];
	cr_assert_eq(raw_recv(&idle, buf, sizeof(buf), REPLY_MS), -1, "connections closed");
	client_close(&idle);
	client_close(&mute);
}

/* ---- the farm ---- */

#define STR(x)  STR_(x)
#define STR_(x) #x

#define FARM_COUNT   2000
#define FARM_START_S 30.0
#define FARM_LINE    256

struct farm_share {
	const char *persona;
	unsigned weight;
};

/* The mix every farm test deals, as text and as a table. */
#define FARM_MIX "hardened=70,open-relay=10,auth-before-tls=10,lax-helo=10"
static const struct farm_share farm_mix[] = {
    {"hardened", 70},
    {"open-relay", 10},
    {"auth-before-tls", 10},
    {"lax-helo", 10},
};

/* A line of the ready file ("ADDRESS PORT PERSONA MODE") or the truth file (no MODE). */
struct farm_entry {
	char address[16];
	unsigned port;
	char persona[32];
	char mode[8];
};

static void farm_path(const char *name, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%s", lab.dir, name);
}

static _Noreturn void farm_exec(const char *const argv[], pid_t parent)
{
	char path[320];
	setpgid(0, 0);
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(127);
	farm_path("stderr", path, sizeof(path));
	if (freopen("/dev/null", "r", stdin) == NULL || freopen(path, "w", stdout) == NULL ||
	    dup2(fileno(stdout), STDERR_FILENO) < 0)
		_exit(127);
	execv(argv[0], (char *const *)argv);
	_exit(127);
}

static void farm_fail_with_stderr(const char *why)
{
	char path[320], text[1024] = "";
	farm_path("stderr", path, sizeof(path));
	FILE *f = fopen(path, "r");
	if (f != NULL) {
		size_t n = fread(text, 1, sizeof(text) - 1, f);
		text[n] = '\0';
		fclose(f);
	}
	cr_assert_fail("smtp-lab %s: %s", why, text);
}

/*
 * lab_start() takes at most LAB_MAX_LISTENERS listeners and a farm has
 * thousands, so a farm starts here: smtp-lab with args plus --ready-file,
 * --truth and --log in a fresh directory, in its own process group, dying
 * with the test. It runs in the global lab, so stop_lab() stops it by pid
 * and removes the directory.
 */
static void start_farm(const char *const args[])
{
	enum { ARGV_MAX = 32 };
	char ready[320], truth[320];
	const char *tmp = getenv("TMPDIR");
	lab = (struct lab){0};
	snprintf(lab.dir, sizeof(lab.dir), "%s/smtp-farm-XXXXXX",
	         tmp != NULL && tmp[0] != '\0' ? tmp : "/tmp");
	cr_assert_not_null(mkdtemp(lab.dir), "mkdtemp: %s", strerror(errno));
	farm_path("log", lab.log_path, sizeof(lab.log_path));
	farm_path("ready", ready, sizeof(ready));
	farm_path("truth", truth, sizeof(truth));
	const char *argv[ARGV_MAX] = {SA_LAB_BIN, "--ready-file", ready,       "--truth",
	                              truth,      "--log",        lab.log_path};
	size_t n = 7;
	for (size_t i = 0; args[i] != NULL; i++) {
		cr_assert_lt(n, ARGV_MAX - 1);
		argv[n++] = args[i];
	}
	pid_t parent = getpid();
	fflush(NULL);
	pid_t pid = fork();
	cr_assert_geq(pid, 0, "fork: %s", strerror(errno));
	if (pid == 0)
		farm_exec(argv, parent);
	setpgid(pid, pid);
	lab.pid = pid;
	double deadline = now_s() + FARM_START_S;
	while (access(ready, F_OK) != 0) {
		if (waitpid(pid, NULL, WNOHANG) == pid) {
			lab.pid = 0;
			farm_fail_with_stderr("exited");
		}
		if (now_s() > deadline)
			farm_fail_with_stderr("wrote no ready file in time");
		struct timespec pause = {.tv_nsec = 10000000};
		nanosleep(&pause, NULL);
	}
}

/* The lines of the farm's ready or truth file into e (at most cap); returns how many. */
static size_t farm_read(const char *name, struct farm_entry *e, size_t cap)
{
	char path[320], line[FARM_LINE];
	farm_path(name, path, sizeof(path));
	FILE *f = fopen(path, "r");
	cr_assert_not_null(f, "%s: %s", path, strerror(errno));
	size_t n = 0;
	while (fgets(line, sizeof(line), f) != NULL) {
		cr_assert_lt(n, cap, "more than %zu lines in %s", cap, name);
		e[n].mode[0] = '\0';
		int got = sscanf(line, "%15s %u %31s %7s", e[n].address, &e[n].port, e[n].persona,
		                 e[n].mode);
		cr_assert_geq(got, 3, "%s: bad line '%s'", name, line);
		n++;
	}
	fclose(f);
	return n;
}

/* "ADDRESS:PORT" of a farm entry. */
static const char *farm_target(const struct farm_entry *e, char *buf, size_t len)
{
	snprintf(buf, len, "%.15s:%u", e->address, e->port);
	return buf;
}

static void farm_address(uint32_t base, size_t i, char *buf, size_t len)
{
	struct in_addr in = {.s_addr = htonl(base + (uint32_t)i)};
	cr_assert_not_null(inet_ntop(AF_INET, &in, buf, (socklen_t)len));
}

static uint32_t farm_base(const char *text)
{
	struct in_addr in;
	cr_assert_eq(inet_pton(AF_INET, text, &in), 1, "%s", text);
	return ntohl(in.s_addr);
}

/* Every prefix of the farm follows the weights: each persona's count is n*w/W rounded. */
static void farm_check_mix(const struct farm_entry *truth, size_t n)
{
	size_t counts[COUNT(farm_mix)] = {0};
	unsigned total = 0;
	for (size_t j = 0; j < COUNT(farm_mix); j++)
		total += farm_mix[j].weight;
	for (size_t i = 0; i < n; i++) {
		size_t j = 0;
		while (j < COUNT(farm_mix) && strcmp(truth[i].persona, farm_mix[j].persona) != 0)
			j++;
		cr_assert_lt(j, COUNT(farm_mix), "%s: persona %s is not in the mix",
		             truth[i].address, truth[i].persona);
		counts[j]++;
		for (size_t k = 0; k < COUNT(farm_mix); k++) {
			/* |count - n * w / W| < 1, in integers */
			long long off = (long long)(counts[k] * total) -
			                (long long)((i + 1) * farm_mix[k].weight);
			cr_assert_lt(llabs(off), (long long)total,
			             "%zu %s among the first %zu addresses, %zu * %u / %u expected",
			             counts[k], farm_mix[k].persona, i + 1, i + 1,
			             farm_mix[k].weight, total);
		}
	}
}

Test(lab, farm_truth_matches_ready_file_and_mix, .timeout = TEST_TIMEOUT, .fini = stop_lab)
{
	static struct farm_entry ready[FARM_COUNT + 2], truth[FARM_COUNT + 1];
	const char *base = "127.3.0.200";
	const char *args[] = {"--listen",    "127.0.0.1:0=no-starttls",
	                      "--farm",      STR(FARM_COUNT),
	                      "--farm-base", base,
	                      "--farm-port", "0",
	                      "--farm-mix",  FARM_MIX,
	                      NULL};
	start_farm(args);
	size_t nready = farm_read("ready", ready, COUNT(ready));
	size_t ntruth = farm_read("truth", truth, COUNT(truth));
	cr_assert_eq(nready, FARM_COUNT + 1);
	cr_assert_eq(ntruth, FARM_COUNT);
	cr_assert_str_eq(ready[0].address, "127.0.0.1");
	cr_assert_str_eq(ready[0].persona, "no-starttls");
	/* Consecutive addresses carry into the next octet. */
	cr_assert_str_eq(truth[55].address, "127.3.0.255");
	cr_assert_str_eq(truth[56].address, "127.3.1.0");
	cr_assert_str_eq(truth[FARM_COUNT - 1].address, "127.3.8.151");
	for (size_t i = 0; i < FARM_COUNT; i++) {
		char want[16];
		farm_address(farm_base(base), i, want, sizeof(want));
		const struct farm_entry *r = &ready[i + 1], *t = &truth[i];
		cr_assert_str_eq(t->address, want);
		cr_assert_gt(t->port, 0);
		cr_assert_str_eq(t->mode, "", "%s: a mode in the truth file", want);
		cr_assert_str_eq(r->address, t->address);
		cr_assert_eq(r->port, t->port, "%s", want);
		cr_assert_str_eq(r->persona, t->persona, "%s", want);
		cr_assert_str_eq(r->mode, "plain", "%s", want);
	}
	farm_check_mix(truth, FARM_COUNT);
}

Test(lab, farm_assignment_is_deterministic, .timeout = TEST_TIMEOUT, .fini = stop_lab)
{
	static struct farm_entry first[FARM_COUNT + 1], second[FARM_COUNT + 1];
	const char *args[] = {"--farm", STR(FARM_COUNT), "--farm-base", "127.4.0.1", "--farm-port",
	                      "0",      "--farm-mix",    FARM_MIX,      NULL};
	start_farm(args);
	size_t n = farm_read("truth", first, COUNT(first));
	lab_stop(&lab);
	start_farm(args);
	cr_assert_eq(farm_read("truth", second, COUNT(second)), n);
	cr_assert_eq(n, FARM_COUNT);
	for (size_t i = 0; i < n; i++) {
		cr_assert_str_eq(first[i].address, second[i].address);
		cr_assert_str_eq(first[i].persona, second[i].persona, "%s", first[i].address);
	}
}

/* Every farm address greets at once, as its persona; one of each persona holds a dialog. */
Test(lab, farm_addresses_play_their_personas, .timeout = TEST_TIMEOUT, .fini = stop_lab)
{
	static struct farm_entry truth[FARM_COUNT + 1];
	static struct sockaddr_storage targets[FARM_COUNT];
	static char greetings[FARM_COUNT][GREETING_MAX];
	cr_assert_geq(raise_fd_limit(), FARM_COUNT + FD_SPARE, "raise the open-file limit");
	const char *args[] = {"--farm", STR(FARM_COUNT), "--farm-base", "127.5.0.1", "--farm-port",
	                      "0",      "--farm-mix",    FARM_MIX,      NULL};
	start_farm(args);
	cr_assert_eq(farm_read("truth", truth, COUNT(truth)), FARM_COUNT);
	for (size_t i = 0; i < FARM_COUNT; i++) {
		char target[TARGET_MAX];
		socklen_t sslen;
		parse_target(farm_target(&truth[i], target, sizeof(target)), &targets[i], &sslen);
	}
	greet_all(targets, FARM_COUNT, greetings);
	for (size_t i = 0; i < FARM_COUNT; i++) {
		char tag[64];
		snprintf(tag, sizeof(tag), "[smtp-lab %.31s]\r\n", truth[i].persona);
		cr_assert(strncmp(greetings[i], "220 mx.lab.test ", 16) == 0 &&
		              strstr(greetings[i], tag) != NULL,
		          "%s (%s) greeted: %s", truth[i].address, truth[i].persona, greetings[i]);
	}
	for (size_t j = 0; j < COUNT(farm_mix); j++) {
		size_t i = 0;
		while (strcmp(truth[i].persona, farm_mix[j].persona) != 0)
			i++;
		char target[TARGET_MAX], literal[64];
		farm_target(&truth[i], target, sizeof(target));
		snprintf(literal, sizeof(literal), "RCPT TO:<bob@[%.15s]>", truth[i].address);
		bool relays = strcmp(farm_mix[j].persona, "open-relay") == 0;
		struct client c;
		client_open(&c, target, NULL);
		client_expect(&c, NULL, "220 ");
		client_expect(&c, "EHLO client.example.org", "250-mx.lab.test");
		client_expect(&c, "MAIL FROM:<sender@example.org>", "250 ");
		client_expect(&c, "RCPT TO:<victim@external.example>", relays ? "250 " : "554 ");
		client_expect(&c, literal, "250 ");
		client_expect(&c, "QUIT", "221 ");
		client_close(&c);
	}
	cr_assert(lab_log_wait(&lab, " CONNECT", FARM_COUNT + COUNT(farm_mix), 10),
	          "%zu CONNECT lines", lab_log_count(&lab, " CONNECT"));
}

/* Thousands of listeners need thousands of descriptors: say how many, before binding any. */
Test(lab, farm_beyond_the_fd_limit_exits_1, .timeout = TEST_TIMEOUT)
{
	const char *argv[] = {"/bin/sh", "-c",
	                      "ulimit -n 300 && exec \"$0\" --farm 1000 --farm-base 127.6.0.1 "
	                      "--farm-port 0",
	                      SA_LAB_BIN, NULL};
	struct run_result r;
	cr_assert_eq(run_command(argv, 10, NULL, &r), 0);
	cr_assert_eq(r.exit_code, 1, "exit %d: %s", r.exit_code, r.err);
	cr_assert(strstr(r.err, "1256 file descriptors") != NULL && strstr(r.err, "300") != NULL,
	          "%s", r.err);
	run_result_free(&r);
}

/* ---- the command line ---- */

#define ARGS_MAX 8

struct bad_args {
	const char *args[ARGS_MAX];
	const char *culprit; /* must appear in the one-line message */
};

static const struct bad_args bad_args_cases[] = {
    {{"--listen", "127.0.0.1:0=nosuch"}, "nosuch"},
    {{"--listen", "127.0.0.1=hardened"}, "127.0.0.1=hardened"},
    {{"--listen", "127.0.0.1:99999=hardened"}, "99999"},
    {{"--listen", "127.0.0.1:0"}, "127.0.0.1:0"},
    {{"--listen", "::1:0=hardened"}, "brackets"},
    {{"--listen", "[::1:0=hardened"}, "[::1:0=hardened"},
    {{"--listen", "mx.example:25=hardened"}, "mx.example:25"},
    {{"--listen", "127.0.0.1:0=hardened,ssl"}, "hardened,ssl"},
    {{"--listen", "127.0.0.1:0=hardened", "--bogus"}, "--bogus"},
    {{"--listen", "127.0.0.1:0=hardened", "stray"}, "stray"},
    {{"--hostname", "mx.lab.test"}, "--listen"},
    {{"--listen", "127.0.0.1:0=hardened", "--delay-ms", "soon"}, "soon"},
    {{"--listen", "127.0.0.1:0=hardened", "--delay-ms", "-5"}, "-5"},
    {{"--listen", "127.0.0.1:0=hardened", "--hostname", "bad name"}, "bad name"},
    {{"--listen", "127.0.0.1:0=hardened", "--cert", "/nonexistent/c.pem"}, "--key"},
    {{"--listen", "127.0.0.1:0=hardened", "--cert", "/nonexistent/c.pem", "--key",
      "/nonexistent/k.pem"},
     "/nonexistent/c.pem"},
    {{"--listen", "127.0.0.1:0=hardened", "--log", "/nonexistent/dir/log"}, "/nonexistent/dir/log"},
    {{"--listen", "127.0.0.1:0=hardened", "--delay-ms"}, "--delay-ms"},
    {{"--farm", "10", "--farm-base", "10.0.0.1"}, "10.0.0.1"},
    {{"--farm", "10", "--farm-base", "::1"}, "::1"},
    {{"--farm", "10", "--farm-base", "127.0.0.0"}, "127.0.0.0"},
    {{"--farm", "5000", "--farm-base", "127.255.255.0"}, "127.255.255.254"},
    {{"--farm", "0"}, "--farm '0'"},
    {{"--farm", "many"}, "many"},
    {{"--farm", "10", "--farm-port", "65536"}, "65536"},
    {{"--farm", "10", "--farm-mix", "nosuch=1"}, "nosuch=1"},
    {{"--farm", "10", "--farm-mix", "hardened=0"}, "hardened=0"},
    {{"--farm", "10", "--farm-mix", "hardened"}, "PERSONA=WEIGHT"},
    {{"--farm", "10", "--farm-mix", "hardened=1,"}, "PERSONA=WEIGHT"},
    {{"--farm", "10", "--farm-mix", "hardened=1,hardened=2"}, "twice"},
    {{"--listen", "127.0.0.1:0=hardened", "--truth", "/tmp/truth"}, "--truth needs --farm"},
};

ParameterizedTestParameters(lab, bad_arguments_exit_2)
{
	static size_t ids[COUNT(bad_args_cases)];
	return table_indices(ids, COUNT(bad_args_cases));
}

ParameterizedTest(size_t *id, lab, bad_arguments_exit_2, .timeout = TEST_TIMEOUT)
{
	const struct bad_args *ba = &bad_args_cases[*id];
	const char *argv[ARGS_MAX + 2] = {SA_LAB_BIN};
	for (size_t i = 0; i < ARGS_MAX && ba->args[i] != NULL; i++)
		argv[i + 1] = ba->args[i];
	struct run_result r;
	cr_assert_eq(run_command(argv, 10, NULL, &r), 0);
	cr_assert_eq(r.exit_code, 2, "exit %d, stderr: %s", r.exit_code, r.err);
	cr_assert(strstr(r.err, ba->culprit) != NULL, "'%s' not named in: %s", ba->culprit, r.err);
	char *nl = strchr(r.err, '\n');
	cr_assert(nl != NULL && nl[1] == '\0', "one line expected: %s", r.err);
	cr_assert_str_eq(r.out, "");
	run_result_free(&r);
}

Test(lab, bind_failure_exits_1, .timeout = TEST_TIMEOUT, .fini = stop_lab)
{
	start_one("127.0.0.1:0=hardened");
	char spec[64];
	snprintf(spec, sizeof(spec), "127.0.0.1:%u=hardened", (unsigned)lab.listeners[0].port);
	const char *argv[] = {SA_LAB_BIN, "--listen", spec, NULL};
	struct run_result r;
	cr_assert_eq(run_command(argv, 10, NULL, &r), 0);
	cr_assert_eq(r.exit_code, 1, "exit %d: %s", r.exit_code, r.err);
	cr_assert(strstr(r.err, spec) != NULL, "%s", r.err);
	run_result_free(&r);
}

Test(lab, help_and_persona_list, .timeout = TEST_TIMEOUT)
{
	static const char *const personas[] = {
	    "hardened",
	    "open-relay",
	    "accept-all",
	    "auth-before-tls",
	    "auth-anonymous",
	    "weak-mechs",
	    "lax-helo",
	    "no-starttls",
	    "tls-only-submission",
	    "tarpit",
	    "never-greets",
	    "garbage",
	    "long-line",
	    "endless-multiline",
	    "close-after-banner",
	    "tls-junk",
	    "early-talker",
	    "reset-mid-reply",
	    "enum-leaky",
	    "verify-252",
	    "submission-lax",
	    "caps-change-after-tls",
	    "exposed",
	    "starttls-injectable",
	    "starttls-chatty",
	    "starttls-broken",
	    "pipelining-broken",
	    "greets-then-silent",
	    "greet-554",
	    "greet-421",
	    "ehlo-421",
	    "binary-reply",
	    "escape-codes",
	    "invalid-utf8",
	    "mixed-codes",
	    "huge-ehlo",
	    "no-crlf-close",
	    "tls-stall",
	    "starttls-twice",
	    "deep-chain",
	    "drop-alternate",
	};
	const char *list[] = {SA_LAB_BIN, "--list-personas", NULL};
	const char *help[] = {SA_LAB_BIN, "-h", NULL};
	struct run_result r;
	cr_assert_eq(run_command(list, 10, NULL, &r), 0);
	cr_assert_eq(r.exit_code, 0);
	for (size_t i = 0; i < sizeof(personas) / sizeof(personas[0]); i++) {
		char line_start[40];
		snprintf(line_start, sizeof(line_start), "%s ", personas[i]);
		bool found = strncmp(r.out, line_start, strlen(line_start)) == 0;
		for (const char *p = r.out; !found && (p = strchr(p, '\n')) != NULL; p++)
			found = strncmp(p + 1, line_start, strlen(line_start)) == 0;
		cr_assert(found, "%s not listed:\n%s", personas[i], r.out);
	}
	size_t lines = 0;
	for (const char *p = r.out; (p = strchr(p, '\n')) != NULL; p++)
		lines++;
	cr_assert_eq(lines, COUNT(personas), "every persona once, no other:\n%s", r.out);
	run_result_free(&r);
	cr_assert_eq(run_command(help, 10, NULL, &r), 0);
	cr_assert_eq(r.exit_code, 0);
	cr_assert(strstr(r.out, "usage: smtp-lab") != NULL, "%s", r.out);
	cr_assert(strstr(r.out, "--listen") != NULL);
	run_result_free(&r);
}

/* run_command itself: capture, stdin, exit codes, the time bound. */
Test(lab, run_command_bounds_and_captures, .timeout = TEST_TIMEOUT)
{
	const char *cat[] = {"/bin/cat", NULL};
	const char *sh[] = {"/bin/sh", "-c", "echo out; echo err >&2; exit 3", NULL};
	const char *slow[] = {"/bin/sh", "-c", "sleep 20 & sleep 20", NULL};
	struct run_result r;
	cr_assert_eq(run_command(cat, 10, "hello\n", &r), 0);
	cr_assert_str_eq(r.out, "hello\n");
	cr_assert_eq(r.exit_code, 0);
	run_result_free(&r);
	cr_assert_eq(run_command(sh, 10, NULL, &r), 0);
	cr_assert_str_eq(r.out, "out\n");
	cr_assert_str_eq(r.err, "err\n");
	cr_assert_eq(r.exit_code, 3);
	cr_assert(!r.timed_out);
	run_result_free(&r);
	cr_assert_eq(run_command(slow, 0.5, NULL, &r), 0);
	cr_assert(r.timed_out);
	cr_assert_eq(r.exit_code, -1);
	cr_assert_eq(r.signal, SIGKILL);
	cr_assert_lt(r.seconds, 3.0);
	run_result_free(&r);
}
