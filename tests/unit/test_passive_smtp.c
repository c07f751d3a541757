/*
 * NAME
 *	test_passive_smtp - the SMTP dialog tracker fed with reassembled transcripts
 *
 * DESCRIPTION
 *	Each transcript is fed to the tracker's tcp_reasm callbacks as the
 *	reassembler would deliver it, once with every run of same-direction
 *	lines in one call (pipelining) and once one byte per call, and must
 *	give exactly the expected findings (public id and variant) both ways.
 *	Passwords and their base64 never appear in any report writer's output.
 */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "passive_smtp.h"
#include "report.h"
#include "sa_error.h"
#include "target.h"

#define CLIENT_UNTRUSTED "192.0.2.10"
#define CLIENT_TRUSTED   "10.1.2.3"
#define SERVER           "192.0.2.25"

/* Transcript lines: "C:" client line, "S:" server line (CRLF added); "c:" and "s:" the
 * same bytes without CRLF; "G:C" / "G:S" a gap in the client / server direction. */
struct transcript {
	const char *name;
	const char *client;
	uint16_t port;
	const char *lines;
	const char *expected; /* sorted "ID|variant" joined with ',' */
};

#define GREETING "S:220 mx.lab.test ESMTP Postfix (Debian/GNU)\n"
#define EHLO_TLS_AUTH                                                                              \
	"C:EHLO client.example\n"                                                                  \
	"S:250-mx.lab.test\nS:250-PIPELINING\nS:250-AUTH PLAIN LOGIN\nS:250-STARTTLS\n"            \
	"S:250 8BITMIME\n"
#define EHLO_TLS                                                                                   \
	"C:EHLO client.example\n"                                                                  \
	"S:250-mx.lab.test\nS:250-PIPELINING\nS:250-STARTTLS\nS:250 8BITMIME\n"
#define EHLO_PLAIN                                                                                 \
	"C:EHLO client.example\n"                                                                  \
	"S:250-mx.lab.test\nS:250-PIPELINING\nS:250 8BITMIME\n"
#define QUIT "C:QUIT\nS:221 2.0.0 Bye\n"

/* \0alice\0s3cret-pw */
#define PLAIN_ALICE "AGFsaWNlAHMzY3JldC1wdw=="

static const struct transcript transcripts[] = {
    {"auth_plain_in_clear", CLIENT_UNTRUSTED, 587,
     GREETING EHLO_TLS_AUTH "C:AUTH PLAIN " PLAIN_ALICE
                            "\nS:235 2.7.0 Authentication successful\n" QUIT,
     "SMTP-PASSIVE-001|PLAIN 192.0.2.10,SMTP-PASSIVE-002|,SMTP-PASSIVE-008|192.0.2.10"},
    {"auth_login_in_clear", CLIENT_UNTRUSTED, 587,
     GREETING EHLO_TLS_AUTH "C:AUTH LOGIN\nS:334 VXNlcm5hbWU6\nC:Ym9i\nS:334 UGFzc3dvcmQ6\n"
                            "C:aHVudGVyMi1wdw==\nS:535 5.7.8 Error: authentication failed\n" QUIT,
     "SMTP-PASSIVE-001|LOGIN 192.0.2.10,SMTP-PASSIVE-002|,SMTP-PASSIVE-008|192.0.2.10"},
    {"auth_cram_md5_in_clear", CLIENT_UNTRUSTED, 25,
     GREETING EHLO_PLAIN "C:AUTH CRAM-MD5\nS:334 PDEyMzQ1QG14Pg==\n"
                         "C:Y2Fyb2wgMDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=\n"
                         "S:235 2.7.0 ok\n" QUIT,
     "SMTP-PASSIVE-001|CRAM-MD5 192.0.2.10,SMTP-PASSIVE-008|192.0.2.10,SMTP-TLS-001|relay"},
    {"auth_after_starttls_is_not_seen", CLIENT_UNTRUSTED, 587,
     GREETING EHLO_TLS "C:STARTTLS\nS:220 2.0.0 Ready to start TLS\n"
                       "C:AUTH PLAIN " PLAIN_ALICE "\nS:235 2.7.0 ok\n",
     "SMTP-PASSIVE-008|192.0.2.10"},
    {"starttls_refused", CLIENT_UNTRUSTED, 25,
     GREETING EHLO_TLS "C:STARTTLS\nS:454 4.7.0 TLS not available due to local problem\n"
                       "C:MAIL FROM:<a@client.example>\nS:250 2.1.0 Ok\n" QUIT,
     "SMTP-PASSIVE-004|,SMTP-PASSIVE-008|192.0.2.10"},
    {"starttls_not_offered", CLIENT_UNTRUSTED, 587, GREETING EHLO_PLAIN QUIT,
     "SMTP-PASSIVE-008|192.0.2.10,SMTP-TLS-001|submission"},
    {"client_ignores_starttls", CLIENT_UNTRUSTED, 25,
     GREETING EHLO_TLS "C:MAIL FROM:<a@client.example>\nS:250 2.1.0 Ok\n" QUIT,
     "SMTP-PASSIVE-003|192.0.2.10,SMTP-PASSIVE-008|192.0.2.10"},
    {"relay_accepted", CLIENT_UNTRUSTED, 25,
     GREETING "C:HELO client.example\nS:250 mx.lab.test\nC:MAIL FROM:<a@client.example>\n"
              "S:250 2.1.0 Ok\nC:RCPT TO:<victim@example.net>\nS:250 2.1.5 Ok\n" QUIT,
     "SMTP-PASSIVE-007|192.0.2.10,SMTP-PASSIVE-008|192.0.2.10"},
    {"relay_refused", CLIENT_UNTRUSTED, 25,
     GREETING "C:HELO client.example\nS:250 mx.lab.test\nC:MAIL FROM:<a@client.example>\n"
              "S:250 2.1.0 Ok\nC:RCPT TO:<victim@example.net>\n"
              "S:554 5.7.1 <victim@example.net>: Relay access denied\n" QUIT,
     "SMTP-PASSIVE-008|192.0.2.10"},
    {"relay_from_trusted_net", CLIENT_TRUSTED, 25,
     GREETING "C:HELO client.example\nS:250 mx.lab.test\nC:MAIL FROM:<a@client.example>\n"
              "S:250 2.1.0 Ok\nC:RCPT TO:<victim@example.net>\nS:250 2.1.5 Ok\n" QUIT,
     "SMTP-PASSIVE-008|10.1.2.3"},
    {"relay_to_local_subdomain", CLIENT_UNTRUSTED, 25,
     GREETING "C:HELO client.example\nS:250 mx.lab.test\nC:MAIL FROM:<a@client.example>\n"
              "S:250 2.1.0 Ok\nC:RCPT TO:<bob@Sub.Lab.Test.>\nS:250 2.1.5 Ok\n" QUIT,
     "SMTP-PASSIVE-008|192.0.2.10"},
    {"relay_after_auth_is_submission", CLIENT_UNTRUSTED, 25,
     GREETING EHLO_PLAIN "C:AUTH PLAIN " PLAIN_ALICE "\nS:235 2.7.0 ok\n"
                         "C:MAIL FROM:<alice@lab.test>\nS:250 2.1.0 Ok\n"
                         "C:RCPT TO:<friend@example.net>\nS:250 2.1.5 Ok\n" QUIT,
     "SMTP-PASSIVE-001|PLAIN 192.0.2.10,SMTP-PASSIVE-008|192.0.2.10,SMTP-TLS-001|relay"},
    {"gap_then_resync_at_next_line", CLIENT_UNTRUSTED, 587,
     GREETING EHLO_TLS_AUTH "c:NOOP and\nG:C\nC:the rest of a lost line\n"
                            "C:AUTH PLAIN " PLAIN_ALICE "\nS:250 2.0.0 Ok\nS:235 2.7.0 ok\n" QUIT,
     "SMTP-PASSIVE-001|PLAIN 192.0.2.10,SMTP-PASSIVE-002|,SMTP-PASSIVE-008|192.0.2.10"},
    {"server_gap_then_resync", CLIENT_UNTRUSTED, 25,
     GREETING "C:HELO client.example\nS:250 mx.lab.test\nC:MAIL FROM:<a@client.example>\n"
              "s:250 2.1\nG:S\nS:.0 Ok\nC:RCPT TO:<victim@example.net>\nS:250 2.1.5 Ok\n" QUIT,
     "SMTP-PASSIVE-007|192.0.2.10,SMTP-PASSIVE-008|192.0.2.10"},
    {"body_lines_are_not_commands", CLIENT_UNTRUSTED, 25,
     GREETING "C:HELO client.example\nS:250 mx.lab.test\nC:MAIL FROM:<a@client.example>\n"
              "S:250 2.1.0 Ok\nC:RCPT TO:<bob@lab.test>\nS:250 2.1.5 Ok\nC:DATA\n"
              "S:354 End data with <CR><LF>.<CR><LF>\n"
              "C:Subject: test\nC:\nC:AUTH PLAIN AG1hbGxvcnkAYm9keS1zZWNyZXQ=\n"
              "C:RCPT TO:<victim@example.net>\nC:..\nC:.STARTTLS\nC:MAIL FROM:<x@y>\nC:.\n"
              "S:250 2.0.0 Ok: queued as 1234\n" QUIT,
     "SMTP-PASSIVE-008|192.0.2.10"},
    {"body_end_lost_in_gap", CLIENT_UNTRUSTED, 25,
     GREETING "C:HELO client.example\nS:250 mx.lab.test\nC:MAIL FROM:<a@client.example>\n"
              "S:250 2.1.0 Ok\nC:RCPT TO:<bob@lab.test>\nS:250 2.1.5 Ok\nC:DATA\n"
              "S:354 go ahead\nC:some body text\nG:C\nS:250 2.0.0 Ok: queued\n"
              "C:MAIL FROM:<a@client.example>\nS:250 2.1.0 Ok\n"
              "C:RCPT TO:<victim@example.net>\nS:250 2.1.5 Ok\n" QUIT,
     "SMTP-PASSIVE-007|192.0.2.10,SMTP-PASSIVE-008|192.0.2.10"},
    {"pipelined_foreign_refused", CLIENT_UNTRUSTED, 25,
     GREETING EHLO_PLAIN "C:MAIL FROM:<a@client.example>\nC:RCPT TO:<u@lab.test>\n"
                         "C:RCPT TO:<v@example.net>\nC:DATA\n"
                         "S:250 2.1.0 Ok\nS:250 2.1.5 Ok\nS:554 5.7.1 Relay access denied\n"
                         "S:354 go ahead\nC:hello\nC:.\nS:250 2.0.0 Ok\n" QUIT,
     "SMTP-PASSIVE-008|192.0.2.10,SMTP-TLS-001|relay"},
    {"pipelined_foreign_accepted", CLIENT_UNTRUSTED, 25,
     GREETING EHLO_PLAIN "C:MAIL FROM:<a@client.example>\nC:RCPT TO:<v@example.net>\n"
                         "C:RCPT TO:<u@lab.test>\nC:DATA\n"
                         "S:250 2.1.0 Ok\nS:250 2.1.5 Ok\nS:550 5.1.1 unknown user\n"
                         "S:354 go ahead\nC:hello\nC:.\nS:250 2.0.0 Ok\n" QUIT,
     "SMTP-PASSIVE-007|192.0.2.10,SMTP-PASSIVE-008|192.0.2.10,SMTP-TLS-001|relay"},
    {"bdat_chunk_is_skipped", CLIENT_UNTRUSTED, 25,
     GREETING "C:HELO client.example\nS:250 mx.lab.test\nC:MAIL FROM:<a@client.example>\n"
              "S:250 2.1.0 Ok\nC:RCPT TO:<bob@lab.test>\nS:250 2.1.5 Ok\n"
              "C:BDAT 41 LAST\nC:AUTH PLAIN AG1hbGxvcnkAYm9keS1zZWNyZXQ=\n"
              "S:250 2.0.0 Ok: 41 octets\n" QUIT,
     "SMTP-PASSIVE-008|192.0.2.10"},
    {"xoauth2_token_in_clear", CLIENT_UNTRUSTED, 587,
     GREETING EHLO_PLAIN
     "C:AUTH XOAUTH2 dXNlcj1kYXZlQGxhYi50ZXN0AWF1dGg9QmVhcmVyIHRvay1zZWNyZXQteHl6AQE=\n"
     "S:235 2.7.0 ok\n" QUIT,
     "SMTP-PASSIVE-001|XOAUTH2 192.0.2.10,SMTP-PASSIVE-008|192.0.2.10,SMTP-TLS-001|submission"},
};

/* What must never reach any output. */
static const char *const secrets[] = {
    "s3cret-pw",   "czNjcmV0LXB3",     PLAIN_ALICE,
    "hunter2-pw",  "aHVudGVyMi1wdw==", "mallory",
    "body-secret", "tok-secret-xyz",   "0123456789abcdef0123456789abcdef",
};

static const char *const local_domains[] = {"lab.test"};

struct harness {
	struct target_spec trusted;
	struct passive_smtp *t;
	struct tcp_reasm_events ev;
	struct scan_result scan;
};

static void harness_init(struct harness *h)
{
	char err[128];
	cr_assert_eq(target_parse("10.0.0.0/8", &h->trusted, err, sizeof(err)), 0, "%s", err);
	const struct passive_smtp_config cfg = {
	    .trusted_nets = &h->trusted,
	    .ntrusted_nets = 1,
	    .local_domains = local_domains,
	    .nlocal_domains = 1,
	};
	h->t = passive_smtp_new(&cfg);
	cr_assert_not_null(h->t);
	passive_smtp_events(h->t, &h->ev);
	scan_result_init(&h->scan);
}

static void harness_free(struct harness *h)
{
	passive_smtp_free(h->t);
	scan_result_free(&h->scan);
	target_spec_free(&h->trusted);
}

static void set_addr(struct sockaddr_storage *ss, const char *ip, uint16_t port)
{
	memset(ss, 0, sizeof(*ss));
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
	s4->sin_family = AF_INET;
	s4->sin_port = htons(port);
	cr_assert_eq(inet_pton(AF_INET, ip, &s4->sin_addr), 1);
}

static void *harness_open(struct harness *h, const char *client, uint16_t port)
{
	struct tcp_flow_info info = {.saw_handshake = true, .first_ts = 1700000000.0};
	set_addr(&info.client, client, 40000);
	set_addr(&info.server, SERVER, port);
	void *flow = h->ev.open(h->ev.user, &info);
	cr_assert_not_null(flow);
	return flow;
}

static void deliver(struct harness *h, void *flow, enum tcp_dir dir, const char *bytes, size_t len,
                    bool bytewise)
{
	if (len == 0)
		return;
	if (!bytewise) {
		h->ev.data(flow, dir, (const uint8_t *)bytes, len, 1700000001.0);
		return;
	}
	for (size_t i = 0; i < len; i++)
		h->ev.data(flow, dir, (const uint8_t *)bytes + i, 1, 1700000001.0);
}

/* Feeds a transcript; runs of same-direction text go in one call unless bytewise. */
static void feed(struct harness *h, void *flow, const char *lines, bool bytewise)
{
	char run[8192];
	size_t len = 0;
	enum tcp_dir dir = TCP_DIR_TO_SERVER;
	for (const char *p = lines; *p != '\0';) {
		size_t n = strcspn(p, "\n");
		cr_assert_geq(n, 2, "bad transcript line");
		bool server = p[0] == 'S' || p[0] == 's' || (p[0] == 'G' && p[2] == 'S');
		enum tcp_dir d = server ? TCP_DIR_TO_CLIENT : TCP_DIR_TO_SERVER;
		if (d != dir || p[0] == 'G') {
			deliver(h, flow, dir, run, len, bytewise);
			len = 0;
			dir = d;
		}
		if (p[0] == 'G') {
			h->ev.gap(flow, d, 0, 1700000001.0);
		} else {
			cr_assert_lt(len + n + 2, sizeof(run));
			memcpy(run + len, p + 2, n - 2);
			len += n - 2;
			if (p[0] == 'C' || p[0] == 'S') {
				memcpy(run + len, "\r\n", 2);
				len += 2;
			}
		}
		p += n + (p[n] == '\n');
	}
	deliver(h, flow, dir, run, len, bytewise);
}

static int compare_text(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The findings of the one server as sorted "ID|variant" joined with ','. */
static char *finding_list(const struct scan_result *scan)
{
	cr_assert_eq(scan->ntargets, 1);
	const struct target_result *t = scan->targets[0];
	char **items = calloc(t->nfindings + 1, sizeof(*items));
	cr_assert_not_null(items);
	for (size_t i = 0; i < t->nfindings; i++) {
		const struct finding *f = &t->findings[i];
		cr_assert_geq(asprintf(&items[i], "%s|%s", catalog_get(f->id)->public_id,
		                       f->variant ? f->variant : ""),
		              0);
	}
	qsort(items, t->nfindings, sizeof(*items), compare_text);
	char *list = calloc(1, 4096);
	cr_assert_not_null(list);
	for (size_t i = 0; i < t->nfindings; i++) {
		strcat(list, i ? "," : "");
		strcat(list, items[i]);
		free(items[i]);
	}
	free(items);
	return list;
}

static void run_transcript(struct harness *h, const struct transcript *tr, bool bytewise)
{
	harness_init(h);
	void *flow = harness_open(h, tr->client, tr->port);
	feed(h, flow, tr->lines, bytewise);
	h->ev.close(flow, TCP_REASM_END_FIN, 1700000002.0);
	cr_assert_eq(passive_smtp_collect(h->t, &h->scan), 0);
	scan_result_sort(&h->scan);
}

/* Every report writer's output for the scan, concatenated. */
static char *render_all(const struct scan_result *scan)
{
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);
	cr_assert_not_null(out);
	size_t n;
	const struct report_writer *const *writers = report_writers(&n);
	for (size_t i = 0; i < n; i++) {
		const struct report_options ropt = {
		    .out = out,
		    .verbose = true,
		    .tool_version = "test",
		    .scan_id = scan->scan_id,
		    .fail_on = SEVERITY_MEDIUM,
		};
		const struct report_writer *w = writers[i];
		cr_assert_eq(w->begin ? w->begin(&ropt, scan) : 0, 0, "%s", w->name);
		for (size_t t = 0; w->target != NULL && t < scan->ntargets; t++)
			cr_assert_eq(w->target(&ropt, scan->targets[t]), 0, "%s", w->name);
		cr_assert_eq(w->end ? w->end(&ropt, scan) : 0, 0, "%s", w->name);
	}
	cr_assert_eq(fclose(out), 0);
	return text;
}

ParameterizedTestParameters(passive_smtp, transcript_gives_exact_findings)
{
	static size_t idx[sizeof(transcripts) / sizeof(transcripts[0])];
	for (size_t i = 0; i < sizeof(idx) / sizeof(idx[0]); i++)
		idx[i] = i;
	return cr_make_param_array(size_t, idx, sizeof(idx) / sizeof(idx[0]));
}

ParameterizedTest(size_t *i, passive_smtp, transcript_gives_exact_findings, .timeout = 20)
{
	const struct transcript *tr = &transcripts[*i];
	for (int bytewise = 0; bytewise < 2; bytewise++) {
		struct harness h;
		run_transcript(&h, tr, bytewise);
		char *list = finding_list(&h.scan);
		cr_expect_str_eq(list, tr->expected, "%s (%s)", tr->name,
		                 bytewise ? "one byte per call" : "whole runs");
		free(list);
		char *text = render_all(&h.scan);
		for (size_t s = 0; s < sizeof(secrets) / sizeof(secrets[0]); s++)
			cr_expect_null(strstr(text, secrets[s]), "%s: '%s' in the output", tr->name,
			               secrets[s]);
		free(text);
		harness_free(&h);
	}
}

static const struct finding *find(const struct target_result *t, const char *public_id)
{
	for (size_t i = 0; i < t->nfindings; i++)
		if (strcmp(catalog_get(t->findings[i].id)->public_id, public_id) == 0)
			return &t->findings[i];
	return NULL;
}

static bool evidence_has(const struct finding *f, const char *needle)
{
	for (size_t i = 0; i < f->nevidence; i++)
		if (strstr(f->evidence[i].text, needle) != NULL)
			return true;
	return false;
}

Test(passive_smtp, credentials_show_mechanism_user_and_flow, .timeout = 10)
{
	struct harness h;
	run_transcript(&h, &transcripts[1], false);
	const struct target_result *t = h.scan.targets[0];
	const struct finding *f = find(t, "SMTP-PASSIVE-001");
	cr_assert_not_null(f);
	cr_expect_not_null(strstr(f->detail, "user \"bob\""), "%s", f->detail);
	cr_expect(evidence_has(f, "192.0.2.10:40000 -> 192.0.2.25:587 at 2023-11-14T22:13:21"));
	cr_expect(
	    evidence_has(f, "AUTH LOGIN user \"bob\", password redacted, server answered 535"));
	cr_expect(evidence_has(f, "AUTH LOGIN [credentials redacted]"));
	harness_free(&h);
}

Test(passive_smtp, host_facts_from_the_dialog, .timeout = 10)
{
	struct harness h;
	run_transcript(&h, &transcripts[0], false);
	const struct target_result *t = h.scan.targets[0];
	cr_expect_str_eq(t->host, SERVER);
	cr_expect_eq(t->port, 587);
	cr_expect_str_eq(t->banner, "mx.lab.test ESMTP Postfix (Debian/GNU)");
	cr_expect_eq(t->banner_code, 220);
	cr_expect_eq(t->mta.mta, MTA_POSTFIX);
	cr_expect(t->have_caps_plain);
	cr_expect(smtp_caps_has(&t->caps_plain, SMTP_EXT_STARTTLS));
	cr_expect(smtp_caps_has_auth(&t->caps_plain, SMTP_AUTH_PLAIN));
	const struct finding *f = find(t, "SMTP-PASSIVE-008");
	cr_assert_not_null(f);
	cr_expect_str_eq(f->detail, "HELO names: client.example");
	harness_free(&h);
}

/* ServerHello record: version, suite; random and the rest fixed. */
static size_t server_hello(uint16_t version, uint16_t suite, uint8_t *buf)
{
	static const uint8_t head[] = {0x16, 0x03, 0x01, 0x00, 0x2a, 0x02, 0x00, 0x00, 0x26};
	memcpy(buf, head, sizeof(head));
	size_t n = sizeof(head);
	buf[n++] = (uint8_t)(version >> 8);
	buf[n++] = (uint8_t)version;
	memset(buf + n, 0x5a, 32);
	n += 32;
	buf[n++] = 0; /* session id */
	buf[n++] = (uint8_t)(suite >> 8);
	buf[n++] = (uint8_t)suite;
	buf[n++] = 0; /* compression */
	return n;
}

struct hello_case {
	uint16_t version, suite;
	bool implicit;
	char expected[200];
};

ParameterizedTestParameters(passive_smtp, server_hello_after_starttls)
{
	static struct hello_case cases[] = {
	    {0x0303, 0xc02f, false,
	     "SMTP-PASSIVE-008|192.0.2.10,"
	     "SMTP-PASSIVE-009|TLSv1.2 TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"},
	    {0x0301, 0x000a, false,
	     "SMTP-PASSIVE-005|TLSv1.0,SMTP-PASSIVE-006|TLS_RSA_WITH_3DES_EDE_CBC_SHA,"
	     "SMTP-PASSIVE-008|192.0.2.10,SMTP-PASSIVE-009|TLSv1.0 TLS_RSA_WITH_3DES_EDE_CBC_SHA"},
	    {0x0302, 0xc013, true,
	     "SMTP-PASSIVE-005|TLSv1.1,SMTP-PASSIVE-008|192.0.2.10,"
	     "SMTP-PASSIVE-009|TLSv1.1 TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA"},
	};
	return cr_make_param_array(struct hello_case, cases, sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct hello_case *c, passive_smtp, server_hello_after_starttls, .timeout = 10)
{
	struct harness h;
	harness_init(&h);
	void *flow = harness_open(&h, CLIENT_UNTRUSTED, c->implicit ? 465 : 25);
	if (!c->implicit)
		feed(&h, flow, GREETING EHLO_TLS "C:STARTTLS\nS:220 2.0.0 Ready to start TLS\n",
		     false);
	static const uint8_t client_hello[] = {0x16, 0x03, 0x01, 0x00, 0x05, 1, 0, 0, 1, 0};
	h.ev.data(flow, TCP_DIR_TO_SERVER, client_hello, sizeof(client_hello), 1700000001.0);
	uint8_t hello[64];
	size_t n = server_hello(c->version, c->suite, hello);
	/* Split across two deliveries: the record is collected before it is read. */
	h.ev.data(flow, TCP_DIR_TO_CLIENT, hello, 7, 1700000001.0);
	h.ev.data(flow, TCP_DIR_TO_CLIENT, hello + 7, n - 7, 1700000001.0);
	static const uint8_t app_data[] = {0x17, 0x03, 0x03, 0x00, 0x02, 'h', 'i'};
	h.ev.data(flow, TCP_DIR_TO_CLIENT, app_data, sizeof(app_data), 1700000001.0);
	h.ev.close(flow, TCP_REASM_END_FIN, 1700000002.0);
	cr_assert_eq(passive_smtp_collect(h.t, &h.scan), 0);
	char *list = finding_list(&h.scan);
	cr_expect_str_eq(list, c->expected);
	const struct target_result *t = h.scan.targets[0];
	cr_expect_not(t->have_tls, "no certificate was checked");
	cr_expect_eq(t->implicit_tls, c->implicit);
	free(list);
	harness_free(&h);
}

Test(passive_smtp, over_long_line_is_counted_and_skipped, .timeout = 10)
{
	struct harness h;
	harness_init(&h);
	void *flow = harness_open(&h, CLIENT_UNTRUSTED, 587);
	feed(&h, flow, GREETING EHLO_TLS_AUTH, false);
	size_t n = PASSIVE_SMTP_DEFAULT_MAX_LINE * 2;
	char *junk = malloc(n);
	cr_assert_not_null(junk);
	memset(junk, 'A', n);
	h.ev.data(flow, TCP_DIR_TO_SERVER, (const uint8_t *)junk, n, 1700000001.0);
	feed(&h, flow, "C:\nC:AUTH PLAIN " PLAIN_ALICE "\nS:500 5.5.2 Error\nS:235 2.7.0 ok\n",
	     false);
	free(junk);
	h.ev.close(flow, TCP_REASM_END_FIN, 1700000002.0);
	struct passive_smtp_stats st;
	passive_smtp_get_stats(h.t, &st);
	cr_expect_eq(st.lines_too_long, 1);
	cr_assert_eq(passive_smtp_collect(h.t, &h.scan), 0);
	cr_expect_not_null(find(h.scan.targets[0], "SMTP-PASSIVE-001"));
	harness_free(&h);
}

Test(passive_smtp, flows_to_one_server_share_a_target, .timeout = 10)
{
	struct harness h;
	harness_init(&h);
	for (int i = 0; i < 3; i++) {
		void *flow = harness_open(&h, i == 2 ? CLIENT_TRUSTED : CLIENT_UNTRUSTED, 25);
		feed(&h, flow, GREETING EHLO_PLAIN QUIT, false);
		h.ev.close(flow, TCP_REASM_END_FIN, 1700000002.0);
	}
	cr_assert_eq(passive_smtp_collect(h.t, &h.scan), 0);
	char *list = finding_list(&h.scan);
	cr_expect_str_eq(list, "SMTP-PASSIVE-008|10.1.2.3,SMTP-PASSIVE-008|192.0.2.10,"
	                       "SMTP-TLS-001|relay");
	const struct finding *f = find(h.scan.targets[0], "SMTP-TLS-001");
	size_t notes = 0;
	for (size_t i = 0; i < f->nevidence; i++)
		notes += f->evidence[i].kind == EVIDENCE_NOTE;
	cr_expect_eq(notes, 3);
	free(list);
	harness_free(&h);
}

Test(passive_smtp, joined_mid_session_resyncs_on_lines, .timeout = 10)
{
	struct harness h;
	harness_init(&h);
	struct tcp_flow_info info = {.saw_handshake = false, .first_ts = 1700000000.0};
	set_addr(&info.client, CLIENT_UNTRUSTED, 40000);
	set_addr(&info.server, SERVER, 25);
	void *flow = h.ev.open(h.ev.user, &info);
	cr_assert_not_null(flow);
	feed(&h, flow,
	     "C:ILBOX\nS:ignored tail\nC:HELO client.example\nS:250 mx\n"
	     "C:AUTH PLAIN " PLAIN_ALICE "\nS:235 ok\n",
	     false);
	h.ev.close(flow, TCP_REASM_END_RST, 1700000002.0);
	cr_assert_eq(passive_smtp_collect(h.t, &h.scan), 0);
	char *list = finding_list(&h.scan);
	cr_expect_str_eq(list, "SMTP-PASSIVE-001|PLAIN 192.0.2.10,SMTP-PASSIVE-008|192.0.2.10");
	free(list);
	harness_free(&h);
}
