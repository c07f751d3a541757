/*
 * NAME
 *	test_postfix_fixture - real Postfix instances behave as their configuration says
 *
 * DESCRIPTION
 *	Starts Debian's Postfix through tests/support/postfix.h in each named
 *	configuration and checks, with a small blocking SMTP client (STARTTLS
 *	through scanner/tls_conn.h), what a scanner would observe: greeting,
 *	EHLO capabilities, relay and HELO verdicts, AUTH before and after TLS,
 *	VRFY and RCPT answers. TLS versions, suites and certificates are
 *	judged with "openssl s_client -starttls smtp" (bounded by run_command).
 *	Also: two instances at once, IPv6 loopback, extra override lines,
 *	bad input, and that postfix_stop() leaves no process behind.
 *	Every instance is stopped in the suite's .fini, also when a test fails.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "codec.h"
#include "postfix.h"
#include "run.h"
#include "sa_error.h"
#include "tls_conn.h"

#define CLIENT_TIMEOUT_MS 10000
#define CLIENT_BUF        16384

/* A blocking SMTP client: enough to ask Postfix questions, nothing more. */
struct client {
	int fd;
	struct tls_ctx *ctx;
	struct tls_conn *tls;
	char in[CLIENT_BUF];
	size_t len;
	char reply[CLIENT_BUF];
};

static struct postfix servers[2];
static struct client clients[2];
static int stranger = -1;

static void client_close(struct client *c)
{
	if (c->fd >= 0)
		close(c->fd);
	tls_conn_free(c->tls);
	tls_ctx_free(c->ctx);
	*c = (struct client){.fd = -1};
}

static void suite_init(void)
{
	for (size_t i = 0; i < 2; i++)
		clients[i].fd = -1;
}

static void suite_fini(void)
{
	if (stranger >= 0)
		close(stranger);
	for (size_t i = 0; i < 2; i++) {
		client_close(&clients[i]);
		postfix_stop(&servers[i]);
	}
}

TestSuite(postfix, .init = suite_init, .fini = suite_fini);

static void start(struct postfix *pf, const char *address, const char *config)
{
	if (!postfix_available())
		cr_skip_test(
		    "Postfix is not installed or we are not root: run scripts/postfix-deps.sh");
	const char *const *lines = postfix_config(config);
	cr_assert_not_null(lines, "no configuration named %s", config);
	int rc = postfix_start(pf, address, lines);
	cr_assert_eq(rc, 0, "postfix_start(%s, %s): %s", address, config, sa_error_str(rc));
}

static int client_wait(const struct client *c, short events)
{
	struct pollfd p = {.fd = c->fd, .events = events};
	int n = poll(&p, 1, CLIENT_TIMEOUT_MS);
	return n == 1 ? 0 : SA_ERROR_TIMEOUT;
}

static int client_write_raw(struct client *c, const char *data, size_t len)
{
	while (len > 0) {
		if (client_wait(c, POLLOUT) != 0)
			return SA_ERROR_TIMEOUT;
		ssize_t n = write(c->fd, data, len);
		if (n < 0 && errno != EAGAIN && errno != EINTR)
			return SA_ERROR_IO;
		if (n > 0) {
			data += n;
			len -= (size_t)n;
		}
	}
	return 0;
}

static int client_flush_tls(struct client *c)
{
	char *data;
	size_t len;
	while (tls_conn_take_output(c->tls, &data, &len) == 0) {
		int rc = client_write_raw(c, data, len);
		free(data);
		if (rc != 0)
			return rc;
	}
	return 0;
}

/* Ciphertext or plaintext from the socket; with TLS, whatever it decrypts goes to c->in. */
static int client_read_some(struct client *c)
{
	char buf[4096];
	if (client_wait(c, POLLIN) != 0)
		return SA_ERROR_TIMEOUT;
	ssize_t n = read(c->fd, buf, sizeof(buf));
	if (n == 0)
		return SA_ERROR_CLOSED;
	if (n < 0)
		return errno == EAGAIN || errno == EINTR ? 0 : SA_ERROR_IO;
	if (c->tls == NULL) {
		if ((size_t)n > sizeof(c->in) - c->len)
			return SA_ERROR_TOOBIG;
		memcpy(c->in + c->len, buf, (size_t)n);
		c->len += (size_t)n;
		return 0;
	}
	int rc = tls_conn_feed(c->tls, buf, (size_t)n);
	if (rc != 0 || !tls_conn_established(c->tls))
		return rc;
	size_t got;
	while ((rc = tls_conn_read(c->tls, c->in + c->len, sizeof(c->in) - c->len, &got)) == 0)
		c->len += got;
	rc = rc == SA_ERROR_AGAIN ? client_flush_tls(c) : rc;
	return c->len == sizeof(c->in) ? SA_ERROR_TOOBIG : rc;
}

/* The next complete reply into c->reply; its code, or a negative SA_ERROR_*. */
static int client_reply(struct client *c)
{
	for (;;) {
		size_t start = 0;
		char *nl;
		while ((nl = memchr(c->in + start, '\n', c->len - start)) != NULL) {
			size_t end = (size_t)(nl - c->in) + 1;
			bool last = end - start < 5 || c->in[start + 3] != '-';
			start = end;
			if (!last)
				continue;
			memcpy(c->reply, c->in, end);
			c->reply[end] = '\0';
			memmove(c->in, c->in + end, c->len - end);
			c->len -= end;
			return atoi(c->reply);
		}
		int rc = client_read_some(c);
		if (rc != 0)
			return rc;
	}
}

static int client_send(struct client *c, const char *line)
{
	char buf[1024];
	int n = snprintf(buf, sizeof(buf), "%s\r\n", line);
	cr_assert(n > 0 && (size_t)n < sizeof(buf));
	if (c->tls == NULL)
		return client_write_raw(c, buf, (size_t)n);
	int rc = tls_conn_write(c->tls, buf, (size_t)n);
	return rc != 0 ? rc : client_flush_tls(c);
}

/* Sends line and returns the reply code (the text is in c->reply). */
static int cmd(struct client *c, const char *line)
{
	int rc = client_send(c, line);
	cr_assert_eq(rc, 0, "sending %s: %s", line, sa_error_str(rc));
	int code = client_reply(c);
	cr_assert_gt(code, 0, "reply to %s: %s", line, sa_error_str(code));
	return code;
}

static void expect(struct client *c, const char *line, int code, const char *text)
{
	int got = cmd(c, line);
	cr_assert_eq(got, code, "%s -> %s", line, c->reply);
	cr_assert_not_null(strstr(c->reply, text), "%s -> %s (wanted \"%s\")", line, c->reply,
	                   text);
}

/* Connects to the instance and checks the greeting. */
static struct client *connect_to(struct client *c, const struct postfix *pf)
{
	struct sockaddr_storage ss = {0};
	socklen_t len;
	struct sockaddr_in *in4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
	if (inet_pton(AF_INET, pf->address, &in4->sin_addr) == 1) {
		in4->sin_family = AF_INET;
		in4->sin_port = htons(pf->port);
		len = sizeof(*in4);
	} else {
		cr_assert_eq(inet_pton(AF_INET6, pf->address, &in6->sin6_addr), 1);
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons(pf->port);
		len = sizeof(*in6);
	}
	c->fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	cr_assert_geq(c->fd, 0);
	int rc = connect(c->fd, (struct sockaddr *)&ss, len);
	cr_assert(rc == 0 || errno == EINPROGRESS, "connect: %s", strerror(errno));
	cr_assert_eq(client_wait(c, POLLOUT), 0, "connect timed out");
	int err = 0;
	socklen_t errlen = sizeof(err);
	cr_assert_eq(getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &errlen), 0);
	cr_assert_eq(err, 0, "connect to port %u: %s", (unsigned)pf->port, strerror(err));
	int code = client_reply(c);
	cr_assert_eq(code, 220, "greeting: %s", code > 0 ? c->reply : sa_error_str(code));
	cr_assert_eq(strncmp(c->reply, POSTFIX_GREETING "\r\n", strlen(POSTFIX_GREETING) + 2), 0,
	             "greeting: %s", c->reply);
	return c;
}

static void starttls(struct client *c)
{
	expect(c, "STARTTLS", 220, "Ready to start TLS");
	cr_assert_eq(c->len, 0, "bytes after the STARTTLS reply");
	char err[256] = "";
	int rc = tls_ctx_new_client(&c->ctx, NULL, err, sizeof(err));
	cr_assert_eq(rc, 0, "tls_ctx_new_client: %s", err);
	c->tls = tls_conn_new(c->ctx, POSTFIX_HOSTNAME);
	cr_assert_not_null(c->tls);
	while ((rc = tls_conn_handshake(c->tls)) == SA_ERROR_AGAIN) {
		cr_assert_eq(client_flush_tls(c), 0);
		rc = client_read_some(c);
		cr_assert_eq(rc, 0, "TLS handshake: %s", sa_error_str(rc));
	}
	cr_assert_eq(rc, 0, "TLS handshake: %s", tls_conn_error(c->tls));
	cr_assert_eq(client_flush_tls(c), 0);
}

/* Whether the last EHLO reply advertises keyword (as the whole line or before a space). */
static bool ehlo_has(const struct client *c, const char *keyword)
{
	size_t n = strlen(keyword);
	for (const char *line = c->reply; *line != '\0';) {
		const char *text = line + 4;
		if (strlen(line) > 4 && strncmp(text, keyword, n) == 0 &&
		    (text[n] == ' ' || text[n] == '\r'))
			return true;
		const char *nl = strchr(line, '\n');
		line = nl != NULL ? nl + 1 : "";
	}
	return false;
}

static void auth_plain(struct client *c, const char *user, const char *password, int code,
                       const char *text)
{
	char token[256], line[512];
	int n = snprintf(token, sizeof(token), "%c%s%c%s", '\0', user, '\0', password);
	cr_assert(n > 0 && (size_t)n < sizeof(token));
	char *b64 = codec_base64_encode(token, (size_t)n);
	cr_assert_not_null(b64);
	snprintf(line, sizeof(line), "AUTH PLAIN %s", b64);
	free(b64);
	expect(c, line, code, text);
}

static void relay_attempt(struct client *c, const char *helo, const char *rcpt, int code,
                          const char *text)
{
	char line[256];
	snprintf(line, sizeof(line), "EHLO %s", helo);
	expect(c, line, 250, POSTFIX_HOSTNAME);
	expect(c, "MAIL FROM:<sender@client.example>", 250, "2.1.0");
	snprintf(line, sizeof(line), "RCPT TO:<%s>", rcpt);
	expect(c, line, code, text);
}

/* Criterion copies parameters into a re-executed worker: no pointers in them. */
struct config_param {
	char name[32];
};

static struct config_param config_params[] = {
    {.name = "base"},
    {.name = "hardened"},
    {.name = "open-relay"},
    {.name = "auth-before-tls"},
    {.name = "lax-helo"},
    {.name = "no-starttls"},
    {.name = "tls-legacy"},
    {.name = "cert-expired"},
    {.name = "cert-not-yet-valid"},
    {.name = "cert-expiring"},
    {.name = "cert-wrong-name"},
    {.name = "cert-self-signed"},
    {.name = "cert-rsa1024"},
    {.name = "cert-sha1"},
    {.name = "vrfy"},
    {.name = "submission"},
    {.name = "submission-encrypt"},
};

ParameterizedTestParameters(postfix, every_config_greets_as_debian_postfix)
{
	return cr_make_param_array(struct config_param, config_params,
	                           sizeof(config_params) / sizeof(config_params[0]));
}

ParameterizedTest(struct config_param *param, postfix, every_config_greets_as_debian_postfix,
                  .timeout = 60)
{
	start(&servers[0], "127.0.0.1", param->name);
	struct client *c = connect_to(&clients[0], &servers[0]);
	expect(c, "EHLO client.example", 250, "250-" POSTFIX_HOSTNAME "\r\n");
	expect(c, "QUIT", 221, "2.0.0 Bye");
}

Test(postfix, base_defers_relay_and_offers_neither_tls_nor_auth, .timeout = 60)
{
	start(&servers[0], "127.0.0.1", "base");
	struct client *c = connect_to(&clients[0], &servers[0]);
	relay_attempt(c, "client.example", "user@example.com", 454,
	              "4.7.1 <user@example.com>: Relay access denied");
	expect(c, "RSET", 250, "2.0.0");
	expect(c, "EHLO client.example", 250, "250-VRFY\r\n");
	cr_assert_not(ehlo_has(c, "STARTTLS"), "%s", c->reply);
	cr_assert_not(ehlo_has(c, "AUTH"), "%s", c->reply);
}

Test(postfix, hardened_offers_starttls_but_no_auth_in_clear, .timeout = 60)
{
	start(&servers[0], "127.0.0.1", "hardened");
	struct client *c = connect_to(&clients[0], &servers[0]);
	expect(c, "EHLO client.example", 250, POSTFIX_HOSTNAME);
	cr_assert(ehlo_has(c, "STARTTLS"), "%s", c->reply);
	cr_assert_not(ehlo_has(c, "AUTH"), "%s", c->reply);
	cr_assert_not(ehlo_has(c, "VRFY"), "%s", c->reply);
	expect(c, "VRFY postmaster", 502, "VRFY command is disabled");
}

Test(postfix, hardened_denies_relay_from_loopback, .timeout = 60)
{
	start(&servers[0], "127.0.0.1", "hardened");
	struct client *c = connect_to(&clients[0], &servers[0]);
	relay_attempt(c, "client.example", "user@example.com", 554,
	              "5.7.1 <user@example.com>: Relay access denied");
}

Test(postfix, hardened_rejects_bare_helo_at_rcpt, .timeout = 60)
{
	start(&servers[0], "127.0.0.1", "hardened");
	struct client *c = connect_to(&clients[0], &servers[0]);
	expect(c, "HELO x", 250, POSTFIX_HOSTNAME);
	expect(c, "MAIL FROM:<sender@client.example>", 250, "2.1.0");
	expect(c, "RCPT TO:<postmaster@postfix.test>", 504,
	       "5.5.2 <x>: Helo command rejected: need fully-qualified hostname");
}

Test(postfix, hardened_offers_auth_only_after_starttls, .timeout = 60)
{
	start(&servers[0], "127.0.0.1", "hardened");
	struct client *c = connect_to(&clients[0], &servers[0]);
	expect(c, "EHLO client.example", 250, "STARTTLS");
	starttls(c);
	expect(c, "EHLO client.example", 250, "250-AUTH PLAIN LOGIN\r\n");
	cr_assert_not(ehlo_has(c, "STARTTLS"), "%s", c->reply);
	auth_plain(c, POSTFIX_SASL_USER, "wrong-password", 535, "5.7.8");
	auth_plain(c, POSTFIX_SASL_USER, POSTFIX_SASL_PASSWORD, 235,
	           "2.7.0 Authentication successful");
	expect(c, "MAIL FROM:<alice@postfix.test>", 250, "2.1.0");
	/* permit_sasl_authenticated: the sasldb login is what lets this relay. */
	expect(c, "RCPT TO:<user@example.com>", 250, "2.1.5");
}

Test(postfix, open_relay_relays_but_rejects_unknown_local_users, .timeout = 60)
{
	start(&servers[0], "127.0.0.1", "open-relay");
	struct client *c = connect_to(&clients[0], &servers[0]);
	relay_attempt(c, "client.example", "user@example.com", 250, "2.1.5");
	expect(c, "RCPT TO:<nosuchuser@postfix.test>", 550,
	       "5.1.1 <nosuchuser@postfix.test>: Recipient address rejected: User unknown");
	expect(c, "RCPT TO:<alice@postfix.test>", 250, "2.1.5");
	expect(c, "DATA", 354, "End data");
	expect(c, "Subject: fixture\r\n\r\nnever delivered\r\n.", 250, "queued as");
	expect(c, "QUIT", 221, "Bye");
	/* Accepted is not delivered: the discard transport swallows both recipients. */
	cr_assert(postfix_log_wait(&servers[0], "postfix/discard[", 10000));
	cr_assert(postfix_log_wait(&servers[0], "to=<user@example.com>, relay=none", 10000));
	cr_assert(postfix_log_wait(&servers[0], "to=<alice@postfix.test>, relay=none", 10000));
}

Test(postfix, auth_before_tls_accepts_auth_in_clear, .timeout = 60)
{
	start(&servers[0], "127.0.0.1", "auth-before-tls");
	struct client *c = connect_to(&clients[0], &servers[0]);
	expect(c, "EHLO client.example", 250, "250-AUTH PLAIN LOGIN\r\n");
	cr_assert(ehlo_has(c, "STARTTLS"), "%s", c->reply);
	auth_plain(c, "mallory", "guessed", 535, "5.7.8 Error: authentication failed");
}

Test(postfix, lax_helo_accepts_bare_helo, .timeout = 60)
{
	start(&servers[0], "127.0.0.1", "lax-helo");
	struct client *c = connect_to(&clients[0], &servers[0]);
	expect(c, "HELO x", 250, POSTFIX_HOSTNAME);
	expect(c, "MAIL FROM:<sender@client.example>", 250, "2.1.0");
	expect(c, "RCPT TO:<postmaster@postfix.test>", 250, "2.1.5");
	expect(c, "RCPT TO:<user@example.com>", 554, "Relay access denied");
}

Test(postfix, no_starttls_offers_neither_starttls_nor_auth, .timeout = 60)
{
	start(&servers[0], "127.0.0.1", "no-starttls");
	struct client *c = connect_to(&clients[0], &servers[0]);
	expect(c, "EHLO client.example", 250, POSTFIX_HOSTNAME);
	cr_assert_not(ehlo_has(c, "STARTTLS"), "%s", c->reply);
	cr_assert_not(ehlo_has(c, "AUTH"), "%s", c->reply);
	cr_assert_geq(cmd(c, "STARTTLS"), 500, "%s", c->reply);
}

/* ---- TLS as "openssl s_client -starttls smtp" sees it ---- */

#define S_CLIENT_TIMEOUT_S 20

/* What "openssl s_client -brief" reports about one STARTTLS handshake. */
struct tls_session {
	bool established;
	char protocol[32];
	char cipher[64];
	char peer[128];
	/* "OK", or OpenSSL's verify error such as "certificate has expired". */
	char verification[128];
};

/* The rest of the line after key in text, or "". */
static void line_after(const char *text, const char *key, char *buf, size_t buflen)
{
	const char *at = strstr(text, key);
	if (at == NULL) {
		buf[0] = '\0';
		return;
	}
	at += strlen(key);
	snprintf(buf, buflen, "%.*s", (int)strcspn(at, "\r\n"), at);
}

/*
 * One handshake after STARTTLS, trusting the instance's test CA and
 * checking the name POSTFIX_HOSTNAME; options (NULL-terminated) follow.
 */
static void s_client(const struct postfix *pf, const char *const options[], struct tls_session *s)
{
	char target[80], ca[512];
	cr_assert_not_null(postfix_target(pf, target, sizeof(target)));
	cr_assert_not_null(postfix_instance_path(pf, POSTFIX_CERT_DIR "/ca.crt", ca, sizeof(ca)));
	const char *argv[24] = {"openssl", "s_client",         "-brief",        "-connect",
	                        target,    "-starttls",        "smtp",          "-CAfile",
	                        ca,        "-verify_hostname", POSTFIX_HOSTNAME};
	size_t n = 0;
	while (argv[n] != NULL)
		n++;
	for (size_t i = 0; options[i] != NULL; i++) {
		cr_assert_lt(n, sizeof(argv) / sizeof(argv[0]) - 1);
		argv[n++] = options[i];
	}
	struct run_result r;
	cr_assert_eq(run_command(argv, S_CLIENT_TIMEOUT_S, "QUIT\r\n", &r), 0);
	cr_assert_not(r.timed_out, "openssl s_client did not finish: %s", r.err);
	/* -brief reports on stderr. */
	*s = (struct tls_session){.established = strstr(r.err, "CONNECTION ESTABLISHED") != NULL};
	line_after(r.err, "\nProtocol version: ", s->protocol, sizeof(s->protocol));
	line_after(r.err, "\nCiphersuite: ", s->cipher, sizeof(s->cipher));
	line_after(r.err, "\nPeer certificate: ", s->peer, sizeof(s->peer));
	if (strstr(r.err, "\nVerification: OK") != NULL)
		snprintf(s->verification, sizeof(s->verification), "OK");
	else
		line_after(r.err, "\nVerification error: ", s->verification,
		           sizeof(s->verification));
	cr_assert(!s->established || (s->protocol[0] != '\0' && s->cipher[0] != '\0'),
	          "unexpected s_client report: %s", r.err);
	run_result_free(&r);
}

/* One ClientHello: version option and cipher list (TLS <= 1.2) of s_client, and the outcome. */
struct hello_param {
	char config[32];
	char version[16];
	char suites[48];
	bool accepted;
	char protocol[16];
	char cipher[48];
};

static struct hello_param hello_params[] = {
    /* OpenSSL's client order decides: Postfix keeps tls_preempt_cipherlist = no. */
    {"tls-legacy", "-tls1", "ALL", true, "TLSv1", "ECDHE-RSA-AES256-SHA"},
    {"tls-legacy", "-tls1_1", "ALL", true, "TLSv1.1", "ECDHE-RSA-AES256-SHA"},
    {"tls-legacy", "-tls1_2", "ALL", true, "TLSv1.2", "ECDHE-RSA-AES256-GCM-SHA384"},
    {"tls-legacy", "-tls1_3", "ALL", true, "TLSv1.3", "TLS_AES_256_GCM_SHA384"},
    {"tls-legacy", "-tls1_2", "NULL-SHA", true, "TLSv1.2", "NULL-SHA"},
    {"tls-legacy", "-tls1_2", "NULL-MD5", true, "TLSv1.2", "NULL-MD5"},
    {"tls-legacy", "-tls1_2", "NULL-SHA256", true, "TLSv1.2", "NULL-SHA256"},
    {"tls-legacy", "-tls1_2", "ECDHE-RSA-NULL-SHA", true, "TLSv1.2", "ECDHE-RSA-NULL-SHA"},
    {"tls-legacy", "-tls1", "AECDH-NULL-SHA", true, "TLSv1", "AECDH-NULL-SHA"},
    {"tls-legacy", "-tls1_2", "ADH-AES256-GCM-SHA384", true, "TLSv1.2", "ADH-AES256-GCM-SHA384"},
    {"tls-legacy", "-tls1", "ADH-AES128-SHA", true, "TLSv1", "ADH-AES128-SHA"},
    {"tls-legacy", "-tls1_1", "AECDH-AES128-SHA", true, "TLSv1.1", "AECDH-AES128-SHA"},
    {"tls-legacy", "-tls1", "AES128-SHA", true, "TLSv1", "AES128-SHA"},
    {"hardened", "-tls1", "ALL", false, "", ""},
    {"hardened", "-tls1_1", "ALL", false, "", ""},
    {"hardened", "-tls1_2", "ALL", true, "TLSv1.2", "ECDHE-RSA-AES256-GCM-SHA384"},
    {"hardened", "-tls1_3", "ALL", true, "TLSv1.3", "TLS_AES_256_GCM_SHA384"},
    {"hardened", "-tls1_2", "NULL-SHA", false, "", ""},
    {"hardened", "-tls1_2", "ADH-AES128-SHA", false, "", ""},
    {"hardened", "-tls1_2", "AECDH-AES128-SHA", false, "", ""},
    /* Medium grade still has static RSA and CBC with SHA-1 (among many AEAD suites). */
    {"hardened", "-tls1_2", "AES128-SHA", true, "TLSv1.2", "AES128-SHA"},
};

ParameterizedTestParameters(postfix, tls_versions_and_suites)
{
	return cr_make_param_array(struct hello_param, hello_params,
	                           sizeof(hello_params) / sizeof(hello_params[0]));
}

ParameterizedTest(struct hello_param *h, postfix, tls_versions_and_suites, .timeout = 60)
{
	start(&servers[0], "127.0.0.1", h->config);
	/* The client needs security level 0 too, for TLS < 1.2 and NULL or anonymous suites. */
	char suites[80];
	snprintf(suites, sizeof(suites), "%s:@SECLEVEL=0", h->suites);
	const char *const options[] = {h->version, "-cipher", suites, NULL};
	struct tls_session s;
	s_client(&servers[0], options, &s);
	cr_assert_eq(s.established, h->accepted, "%s %s %s: %s %s", h->config, h->version,
	             h->suites, s.protocol, s.cipher);
	cr_assert_str_eq(s.protocol, h->protocol, "%s %s %s", h->config, h->version, h->suites);
	cr_assert_str_eq(s.cipher, h->cipher, "%s %s %s", h->config, h->version, h->suites);
}

/*
 * Debian 12's OpenSSL 3.0 (the library Postfix uses) has no 3DES, RC4,
 * single DES, EXPORT or LOW suites at any security level: no Postfix
 * configuration here can offer them. When this fails, they are back, and
 * tls-legacy and tests/postfix/README.md should offer and say so.
 */
Test(postfix, debian_openssl_has_no_3des_rc4_des_or_export_suites, .timeout = 30)
{
	static const char *const groups[] = {
	    "3DES:@SECLEVEL=0", "DES-CBC3-SHA:@SECLEVEL=0", "RC4:@SECLEVEL=0",
	    "DES:@SECLEVEL=0",  "EXPORT:@SECLEVEL=0",       "LOW:@SECLEVEL=0",
	};
	for (size_t i = 0; i < sizeof(groups) / sizeof(groups[0]); i++) {
		const char *const argv[] = {"openssl", "ciphers", groups[i], NULL};
		struct run_result r;
		cr_assert_eq(run_command(argv, 10, NULL, &r), 0);
		cr_assert_neq(r.exit_code, 0, "%s: %s", groups[i], r.out);
		cr_assert_not_null(strstr(r.err, "no cipher match"), "%s: %s", groups[i], r.err);
		run_result_free(&r);
	}
}

/* The certificate a configuration serves, as OpenSSL judges it now and 6 days from now. */
struct cert_param {
	char config[32];
	char peer[48];
	char now[48];
	char in_6_days[48];
};

static struct cert_param cert_params[] = {
    {"hardened", "CN = mx.postfix.test", "OK", "OK"},
    {"cert-expired", "CN = mx.postfix.test", "certificate has expired", "certificate has expired"},
    {"cert-not-yet-valid", "CN = mx.postfix.test", "certificate is not yet valid",
     "certificate is not yet valid"},
    {"cert-expiring", "CN = mx.postfix.test", "OK", "certificate has expired"},
    {"cert-wrong-name", "CN = other.example.net", "hostname mismatch", "hostname mismatch"},
    {"cert-self-signed", "CN = mx.postfix.test", "self-signed certificate",
     "self-signed certificate"},
    {"cert-rsa1024", "CN = mx.postfix.test", "EE certificate key too weak",
     "EE certificate key too weak"},
    {"cert-sha1", "CN = mx.postfix.test", "CA signature digest algorithm too weak",
     "CA signature digest algorithm too weak"},
};

ParameterizedTestParameters(postfix, certificates)
{
	return cr_make_param_array(struct cert_param, cert_params,
	                           sizeof(cert_params) / sizeof(cert_params[0]));
}

ParameterizedTest(struct cert_param *c, postfix, certificates, .timeout = 60)
{
	start(&servers[0], "127.0.0.1", c->config);
	struct tls_session s;
	const char *const now[] = {NULL};
	s_client(&servers[0], now, &s);
	cr_assert(s.established, "%s", c->config);
	cr_assert_str_eq(s.peer, c->peer, "%s", c->config);
	cr_assert_str_eq(s.verification, c->now, "%s", c->config);
	char later[32];
	snprintf(later, sizeof(later), "%lld", (long long)time(NULL) + 6 * 86400);
	const char *const in_6_days[] = {"-attime", later, NULL};
	s_client(&servers[0], in_6_days, &s);
	cr_assert(s.established, "%s", c->config);
	cr_assert_str_eq(s.verification, c->in_6_days, "%s in 6 days", c->config);
}

Test(postfix, vrfy_and_rcpt_tell_known_from_unknown_users, .timeout = 60)
{
	start(&servers[0], "127.0.0.1", "vrfy");
	struct client *c = connect_to(&clients[0], &servers[0]);
	expect(c, "EHLO client.example", 250, "250-VRFY\r\n");
	expect(c, "VRFY root", 252, "252 2.0.0 root\r\n");
	expect(c, "VRFY postmaster", 252, "252 2.0.0 postmaster\r\n");
	expect(c, "VRFY alice", 252, "252 2.0.0 alice\r\n");
	expect(c, "VRFY staff", 252, "252 2.0.0 staff\r\n");
	expect(c, "VRFY nosuchuser", 550,
	       "550 5.1.1 <nosuchuser>: Recipient address rejected: User unknown in local "
	       "recipient table\r\n");
	/* Postfix has no EXPN: the alias's members never show. */
	expect(c, "EXPN staff", 500, "500 5.5.2 Error: command not recognized\r\n");
	expect(c, "MAIL FROM:<sender@client.example>", 250, "2.1.0");
	expect(c, "RCPT TO:<staff@postfix.test>", 250, "250 2.1.5 Ok\r\n");
	expect(c, "RCPT TO:<nosuchuser@postfix.test>", 550,
	       "550 5.1.1 <nosuchuser@postfix.test>: Recipient address rejected: User unknown in "
	       "local recipient table\r\n");
}

Test(postfix, submission_takes_auth_and_mail_without_tls, .timeout = 60)
{
	start(&servers[0], "127.0.0.1", "submission");
	struct client *c = connect_to(&clients[0], &servers[0]);
	expect(c, "EHLO client.example", 250, "250-AUTH PLAIN LOGIN\r\n");
	cr_assert(ehlo_has(c, "STARTTLS"), "%s", c->reply);
	expect(c, "MAIL FROM:<sender@client.example>", 250, "2.1.0");
	expect(c, "RCPT TO:<postmaster@postfix.test>", 554,
	       "554 5.7.1 <postmaster@postfix.test>: Recipient address rejected: Access denied");
	expect(c, "RSET", 250, "2.0.0");
	auth_plain(c, POSTFIX_SASL_USER, POSTFIX_SASL_PASSWORD, 235,
	           "2.7.0 Authentication successful");
	expect(c, "MAIL FROM:<alice@postfix.test>", 250, "2.1.0");
	expect(c, "RCPT TO:<user@example.com>", 250, "2.1.5");
}

Test(postfix, submission_encrypt_refuses_everything_before_starttls, .timeout = 60)
{
	start(&servers[0], "127.0.0.1", "submission-encrypt");
	struct client *c = connect_to(&clients[0], &servers[0]);
	expect(c, "EHLO client.example", 250, "STARTTLS");
	cr_assert_not(ehlo_has(c, "AUTH"), "%s", c->reply);
	expect(c, "MAIL FROM:<sender@client.example>", 530,
	       "530 5.7.0 Must issue a STARTTLS command first");
	auth_plain(c, POSTFIX_SASL_USER, POSTFIX_SASL_PASSWORD, 530,
	           "530 5.7.0 Must issue a STARTTLS command first");
	starttls(c);
	expect(c, "EHLO client.example", 250, "250-AUTH PLAIN LOGIN\r\n");
	auth_plain(c, POSTFIX_SASL_USER, POSTFIX_SASL_PASSWORD, 235,
	           "2.7.0 Authentication successful");
	expect(c, "MAIL FROM:<alice@postfix.test>", 250, "2.1.0");
	expect(c, "RCPT TO:<user@example.com>", 250, "2.1.5");
}

Test(postfix, two_instances_run_side_by_side, .timeout = 90)
{
	start(&servers[0], "127.0.0.1", "hardened");
	start(&servers[1], "127.0.0.1", "open-relay");
	cr_assert_neq(servers[0].port, servers[1].port);
	cr_assert_str_neq(servers[0].dir, servers[1].dir);
	cr_assert_neq(servers[0].pid, servers[1].pid);
	struct client *hardened = connect_to(&clients[0], &servers[0]);
	struct client *open = connect_to(&clients[1], &servers[1]);
	relay_attempt(hardened, "client.example", "user@example.com", 554, "Relay access denied");
	relay_attempt(open, "client.example", "user@example.com", 250, "2.1.5");
}

Test(postfix, stop_ends_every_process_and_removes_the_directory, .timeout = 60)
{
	start(&servers[0], "127.0.0.1", "hardened");
	struct client *c = connect_to(&clients[0], &servers[0]);
	expect(c, "EHLO client.example", 250, POSTFIX_HOSTNAME);
	pid_t master = servers[0].pid;
	char dir[sizeof(servers[0].dir)];
	memcpy(dir, servers[0].dir, sizeof(dir));
	/* master, qmgr, postlogd and the smtpd serving us at least. */
	cr_assert_geq(run_group_processes(master), 4);
	cr_assert_eq(kill(master, 0), 0);

	postfix_stop(&servers[0]);
	cr_assert_eq(run_group_processes(master), 0);
	cr_assert_eq(kill(master, 0), -1);
	cr_assert_eq(errno, ESRCH);
	struct stat st;
	cr_assert_eq(stat(dir, &st), -1, "%s still exists", dir);
	cr_assert_eq(servers[0].pid, 0);
	cr_assert_eq(servers[0].dir[0], '\0');
	postfix_stop(&servers[0]);
	cr_assert_eq(client_reply(c), SA_ERROR_CLOSED);
}

Test(postfix, listens_on_ipv6_loopback, .timeout = 60)
{
	start(&servers[0], "::1", "hardened");
	char target[80];
	char want[80];
	snprintf(want, sizeof(want), "[::1]:%u", (unsigned)servers[0].port);
	cr_assert_str_eq(postfix_target(&servers[0], target, sizeof(target)), want);
	struct client *c = connect_to(&clients[0], &servers[0]);
	relay_attempt(c, "client.example", "user@example.com", 554, "Relay access denied");
}

Test(postfix, extra_lines_win_and_may_name_instance_files, .timeout = 60)
{
	if (!postfix_available())
		cr_skip_test("Postfix is not installed or we are not root");
	const char *const extra[] = {
	    "disable_vrfy_command = no",
	    "local_recipient_maps = texthash:$instance_dir/more_recipients",
	    NULL,
	};
	struct postfix *pf = &servers[0];
	int rc = postfix_prepare(pf, "127.0.0.1", postfix_config("hardened"), extra);
	cr_assert_eq(rc, 0, "%s", sa_error_str(rc));
	char path[512];
	cr_assert_not_null(postfix_instance_path(pf, "more_recipients", path, sizeof(path)));
	FILE *f = fopen(path, "w");
	cr_assert_not_null(f);
	fputs("bob bob\n", f);
	cr_assert_eq(fclose(f), 0);
	rc = postfix_launch(pf);
	cr_assert_eq(rc, 0, "%s", sa_error_str(rc));

	struct client *c = connect_to(&clients[0], pf);
	expect(c, "EHLO client.example", 250, "250-VRFY\r\n");
	expect(c, "MAIL FROM:<sender@client.example>", 250, "2.1.0");
	expect(c, "RCPT TO:<bob@postfix.test>", 250, "2.1.5");
	expect(c, "RCPT TO:<alice@postfix.test>", 550, "User unknown in local recipient table");

	char *maincf = NULL;
	size_t len = 0;
	cr_assert_not_null(postfix_instance_path(pf, "main.cf", path, sizeof(path)));
	f = fopen(path, "r");
	cr_assert_not_null(f);
	cr_assert_gt(getdelim(&maincf, &len, '\0', f), 0);
	fclose(f);
	const char *first = strstr(maincf, "\ndisable_vrfy_command");
	bool once = first != NULL && strstr(first + 1, "\ndisable_vrfy_command") == NULL;
	bool substituted = strstr(maincf, pf->dir) != NULL && strstr(maincf, "$instance_") == NULL;
	free(maincf);
	cr_assert(once, "main.cf must set disable_vrfy_command exactly once");
	cr_assert(substituted, "main.cf must name the instance directory, not $instance_*");
}

Test(postfix, refuses_bad_input_and_leaves_nothing, .timeout = 60)
{
	cr_assert_null(postfix_config("no-such-config"));
	cr_assert_null(postfix_config(NULL));
	struct postfix *pf = &servers[0];
	cr_assert_eq(postfix_start(pf, "192.0.2.1", NULL), SA_ERROR_INVAL);
	cr_assert_eq(pf->dir[0], '\0');
	if (!postfix_available())
		cr_skip_test("Postfix is not installed or we are not root");
	const char *const not_a_setting[] = {"smtpd_banner", NULL};
	cr_assert_eq(postfix_start(pf, "127.0.0.1", not_a_setting), SA_ERROR_INVAL);
	cr_assert_eq(pf->dir[0], '\0');
	cr_assert_eq(pf->pid, 0);
}

/* Processes whose command line names dir: the master runs as "master -c DIR -d". */
static int processes_naming(const char *dir)
{
	DIR *proc = opendir("/proc");
	cr_assert_not_null(proc);
	int count = 0;
	const struct dirent *e;
	while ((e = readdir(proc)) != NULL) {
		char path[300], cmdline[1024];
		snprintf(path, sizeof(path), "/proc/%s/cmdline", e->d_name);
		FILE *f = fopen(path, "r");
		if (f == NULL)
			continue;
		size_t n = fread(cmdline, 1, sizeof(cmdline) - 1, f);
		fclose(f);
		for (size_t i = 0; i < n; i++)
			cmdline[i] = cmdline[i] == '\0' ? ' ' : cmdline[i];
		cmdline[n] = '\0';
		count += strstr(cmdline, dir) != NULL;
	}
	closedir(proc);
	return count;
}

Test(postfix, failed_launch_leaves_nothing_running, .timeout = 90)
{
	if (!postfix_available())
		cr_skip_test("Postfix is not installed or we are not root");
	const char *const broken[] = {"queue_directory = /nonexistent/sa-postfix-queue", NULL};
	struct postfix *pf = &servers[0];
	int rc = postfix_prepare(pf, "127.0.0.1", postfix_config("base"), broken);
	cr_assert_eq(rc, 0, "%s", sa_error_str(rc));
	char dir[sizeof(pf->dir)];
	memcpy(dir, pf->dir, sizeof(dir));
	rc = postfix_launch(pf);
	cr_assert_eq(rc, SA_ERROR_IO, "a master without its queue directory must fail: %s",
	             sa_error_str(rc));
	cr_assert_eq(pf->pid, 0);
	cr_assert_eq(processes_naming(dir), 0);
	postfix_stop(pf);
	struct stat st;
	cr_assert_eq(stat(dir, &st), -1, "%s still exists", dir);
}

Test(postfix, launch_moves_off_a_port_taken_meanwhile, .timeout = 60)
{
	if (!postfix_available())
		cr_skip_test("Postfix is not installed or we are not root");
	struct postfix *pf = &servers[0];
	int rc = postfix_prepare(pf, "127.0.0.1", postfix_config("base"), NULL);
	cr_assert_eq(rc, 0, "%s", sa_error_str(rc));
	uint16_t taken = pf->port;
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons(taken)};
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	stranger = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	cr_assert_geq(stranger, 0);
	cr_assert_eq(bind(stranger, (struct sockaddr *)&sin, sizeof(sin)), 0, "%s",
	             strerror(errno));
	cr_assert_eq(listen(stranger, 8), 0);
	rc = postfix_launch(pf);
	cr_assert_eq(rc, 0, "%s", sa_error_str(rc));
	cr_assert_neq(pf->port, taken);
	connect_to(&clients[0], pf);
}

/* Runs in a forked child: starts an instance, reports it, then dies as told. */
static void start_and_die(int report_fd, bool crash)
{
	struct postfix pf;
	if (postfix_start(&pf, "127.0.0.1", postfix_config("base")) != 0)
		_exit(1);
	if (write(report_fd, &pf, sizeof(pf)) != sizeof(pf))
		_exit(1);
	if (crash)
		raise(SIGKILL);
	exit(0);
}

static void check_owner_death_ends_instance(bool crash)
{
	if (!postfix_available())
		cr_skip_test("Postfix is not installed or we are not root");
	int fds[2];
	cr_assert_eq(pipe(fds), 0);
	pid_t child = fork();
	cr_assert_geq(child, 0);
	if (child == 0) {
		close(fds[0]);
		start_and_die(fds[1], crash);
	}
	close(fds[1]);
	struct postfix orphan = {0};
	ssize_t n = read(fds[0], &orphan, sizeof(orphan));
	close(fds[0]);
	int status;
	cr_assert_eq(waitpid(child, &status, 0), child);
	cr_assert_eq(n, (ssize_t)sizeof(orphan), "the child could not start Postfix");
	/* The guard of a killed owner waits 3 s before its SIGKILL and rm: allow for that. */
	int left = 0;
	bool dir_left = true;
	for (int waited = 0; waited < 10000; waited += 50) {
		struct stat st;
		left = run_group_processes(orphan.pid);
		dir_left = stat(orphan.dir, &st) == 0;
		if (left == 0 && !dir_left)
			break;
		usleep(50000);
	}
	/* Whatever the safety nets missed is cleaned up here, then judged. */
	orphan.pid = left > 0 ? orphan.pid : 0;
	postfix_stop(&orphan);
	cr_assert_eq(left, 0, "%d processes of the instance outlived their owner", left);
	cr_assert_not(dir_left, "the instance directory outlived its owner");
}

Test(postfix, exit_without_stop_still_stops_the_instance, .timeout = 60)
{
	check_owner_death_ends_instance(false);
}

Test(postfix, killed_owner_still_stops_the_instance, .timeout = 60)
{
	check_owner_death_ends_instance(true);
}
