/*
 * NAME
 *	test_passive - smtp-audit passive on recorded real traffic and on hand-made captures
 *
 * DESCRIPTION
 *	Real traffic: tcpdump records loopback while python3's smtplib (a
 *	real client) talks to smtp-lab personas and to real Postfix instances
 *	(AUTH in cleartext, AUTH after STARTTLS, no STARTTLS, relaying); then
 *	`smtp-audit passive -r` reads the file, and each server must show
 *	exactly the expected findings, the user name, and never the password.
 *	Edge cases: conversations written with pcap_write (reordered,
 *	retransmitted, truncated by the snap length, a segment lost in the
 *	middle) give exact findings too. Every process a test starts is
 *	stopped by pid with bounded waits, also on failure (.fini).
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lab.h"
#include "pcap_write.h"
#include "postfix.h"
#include "run.h"
#include "scan_doc.h"

#define TCPDUMP       "/usr/bin/tcpdump"
#define MAX_SERVERS   5
#define PW_LAB        "lab-pw-Zq81x"
#define PW_LAB_BASE64 "bGFiLXB3LVpxODF4"             /* base64("lab-pw-Zq81x") */
#define PLAIN_LAB     "AGFsaWNlAGxhYi1wdy1acTgxeA==" /* base64("\0alice\0lab-pw-Zq81x") */
#define PW_PF_BASE64  "YWxpY2Utc2VjcmV0"             /* base64("alice-secret") */
#define PLAIN_PF      "AGFsaWNlAGFsaWNlLXNlY3JldA==" /* base64("\0alice\0alice-secret") */

/*
 * A scripted SMTP client: python3 -c CLIENT HOST PORT STEP...; steps are
 * starttls (starttls:tls1.0 offers only TLS 1.0), auth:MECH:USER:PASSWORD, mail:ADDR, rcpt:ADDR
 * (refusals are fine: only the traffic matters), quit.
 */
static const char client_py[] =
    "import smtplib, ssl, sys\n"
    "s = smtplib.SMTP(sys.argv[1], int(sys.argv[2]), local_hostname='client.passive.test',\n"
    "                 timeout=20)\n"
    "s.ehlo()\n"
    "for step in sys.argv[3:]:\n"
    "    kind, _, arg = step.partition(':')\n"
    "    if kind == 'starttls':\n"
    "        ctx = ssl.create_default_context()\n"
    "        ctx.check_hostname = False\n"
    "        ctx.verify_mode = ssl.CERT_NONE\n"
    "        if arg == 'tls1.0':\n"
    "            ctx.minimum_version = ctx.maximum_version = ssl.TLSVersion.TLSv1\n"
    "            ctx.set_ciphers('DEFAULT:@SECLEVEL=0')\n"
    "        s.starttls(context=ctx)\n"
    "        s.ehlo()\n"
    "    elif kind == 'auth':\n"
    "        mech, s.user, s.password = arg.split(':')\n"
    "        try:\n"
    "            s.auth(mech, getattr(s, 'auth_' + mech.lower()))\n"
    "        except smtplib.SMTPAuthenticationError:\n"
    "            pass\n"
    "    elif kind == 'mail':\n"
    "        s.docmd('MAIL FROM:<%s>' % arg)\n"
    "    elif kind == 'rcpt':\n"
    "        s.docmd('RCPT TO:<%s>' % arg)\n"
    "    elif kind == 'quit':\n"
    "        s.quit()\n";

struct capture {
	pid_t pid;
	char dir[256];
	char path[300];
};

static struct capture cap;
static struct lab lab;
static struct postfix pf[MAX_SERVERS];

static void stop_everything(void)
{
	if (cap.pid > 0)
		run_stop(&cap.pid, 5.0);
	if (cap.dir[0] != '\0')
		run_remove_dir(cap.dir);
	cap = (struct capture){.pid = 0};
	lab_stop(&lab);
	for (size_t i = 0; i < MAX_SERVERS; i++)
		postfix_stop(&pf[i]);
}

TestSuite(passive, .fini = stop_everything, .timeout = 300);

static bool file_contains(const char *path, const char *needle)
{
	FILE *f = fopen(path, "r");
	if (f == NULL)
		return false;
	char line[512];
	bool found = false;
	while (!found && fgets(line, sizeof(line), f) != NULL)
		found = strstr(line, needle) != NULL;
	fclose(f);
	return found;
}

/* tcpdump on lo for these ports, writing every packet as it comes (-U). */
static void capture_start(const uint16_t *ports, size_t n)
{
	if (access(TCPDUMP, X_OK) != 0)
		cr_skip_test("tcpdump is not installed (scripts/deps.sh --test)");
	cr_assert_eq(run_make_dir(cap.dir, sizeof(cap.dir), "sa-passive"), 0);
	snprintf(cap.path, sizeof(cap.path), "%s/traffic.pcap", cap.dir);
	char filter[512] = "tcp and (";
	for (size_t i = 0; i < n; i++) {
		size_t len = strlen(filter);
		snprintf(filter + len, sizeof(filter) - len, "%sport %u", i ? " or " : "",
		         ports[i]);
	}
	strcat(filter, ")");
	/* Immediate mode: in a TPACKET_V3 block the last packets would wait, and die with SIGINT.
	 */
	char *argv[] = {TCPDUMP, "-i",     "lo",   "-n", "--immediate-mode", "-U", "-s", "0",
	                "-w",    cap.path, filter, NULL};
	cr_assert_eq(run_spawn(argv, cap.dir, &cap.pid), 0);
	cr_assert_gt(cap.pid, 0);
	char err_path[300];
	snprintf(err_path, sizeof(err_path), "%s/stderr", cap.dir);
	double until = run_now() + 10.0;
	while (!file_contains(err_path, "listening on") && run_now() < until)
		run_pause_ms(50);
	cr_assert(file_contains(err_path, "listening on"), "tcpdump did not start");
}

/* Lets the last packets reach the file, then stops tcpdump (it closes the file on SIGINT). */
static void capture_stop(void)
{
	run_pause_ms(500);
	int status;
	if (run_signal(&cap.pid, SIGINT, 5.0, &status) != 0)
		run_stop(&cap.pid, 2.0);
	struct stat st;
	cr_assert_eq(stat(cap.path, &st), 0);
	cr_assert_gt(st.st_size, 24, "empty capture");
}

static void client(const char *host, uint16_t port, const char *const steps[])
{
	char port_text[8];
	snprintf(port_text, sizeof(port_text), "%u", port);
	const char *argv[16] = {"python3", "-c", client_py, host, port_text};
	size_t n = 5;
	for (size_t i = 0; steps[i] != NULL; i++) {
		cr_assert_lt(n + 1, sizeof(argv) / sizeof(argv[0]));
		argv[n++] = steps[i];
	}
	argv[n] = NULL;
	struct run_result r;
	cr_assert_eq(run_command(argv, 60, NULL, &r), 0);
	cr_assert_eq(r.exit_code, 0, "client to port %u failed: %s", port, r.err);
	run_result_free(&r);
}

/* smtp-audit passive ARGS -r FILE; *out (and *err) receive its output. */
static int passive_run(const char *file, const char *const args[], char **out, char **err)
{
	const char *argv[24] = {SA_AUDIT_BIN, "passive", "-r", file};
	size_t n = 4;
	for (size_t i = 0; args[i] != NULL; i++) {
		cr_assert_lt(n + 1, sizeof(argv) / sizeof(argv[0]));
		argv[n++] = args[i];
	}
	argv[n] = NULL;
	struct run_result r;
	cr_assert_eq(run_command(argv, 120, NULL, &r), 0);
	cr_assert_not(r.timed_out);
	*out = r.out;
	*err = r.err;
	r.out = r.err = NULL;
	int code = r.exit_code;
	run_result_free(&r);
	return code;
}

static int compare_text(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * The target's findings as sorted "ID|variant" joined with ','; the
 * variant of SMTP-PASSIVE-009 is cut to the version (the suite is the
 * client library's choice).
 */
static char *finding_list(json_t *t)
{
	json_t *findings = json_object_get(t, "findings");
	size_t n = json_array_size(findings);
	char **items = calloc(n + 1, sizeof(*items));
	char *list = calloc(1, 2048);
	cr_assert(items != NULL && list != NULL);
	for (size_t i = 0; i < n; i++) {
		json_t *f = json_array_get(findings, i);
		const char *id = scan_doc_str(f, "id"), *variant = scan_doc_str(f, "variant");
		size_t vlen =
		    strcmp(id, "SMTP-PASSIVE-009") == 0 ? strcspn(variant, " ") : strlen(variant);
		cr_assert_geq(asprintf(&items[i], "%s|%.*s", id, (int)vlen, variant), 0);
	}
	qsort(items, n, sizeof(*items), compare_text);
	for (size_t i = 0; i < n; i++) {
		strcat(list, i ? "," : "");
		strcat(list, items[i]);
		free(items[i]);
	}
	free(items);
	return list;
}

static void expect_findings(json_t *doc, uint16_t port, const char *expected)
{
	char *list = finding_list(scan_doc_target_on_port(doc, port));
	cr_expect_str_eq(list, expected, "server port %u: got %s want %s", port, list, expected);
	free(list);
}

static void expect_absent(const char *text, const char *const secrets[])
{
	for (size_t i = 0; secrets[i] != NULL; i++)
		cr_expect_null(strstr(text, secrets[i]), "'%s' in the output", secrets[i]);
}

/* Runs -o json and -o text over the capture; returns the parsed JSON report. */
static json_t *audit(const char *const args[], const char *const secrets[], int want_code)
{
	char *out, *err;
	const char *json_args[20] = {"-o", "json"};
	size_t n = 2;
	for (size_t i = 0; args[i] != NULL; i++)
		json_args[n++] = args[i];
	json_args[n] = NULL;
	int code = passive_run(cap.path, json_args, &out, &err);
	cr_assert_eq(code, want_code, "exit %d: %s", code, err);
	expect_absent(out, secrets);
	expect_absent(err, secrets);
	json_error_t jerr;
	json_t *doc = json_loads(out, 0, &jerr);
	cr_assert_not_null(doc, "not JSON: %s", jerr.text);
	free(out);
	free(err);
	json_args[1] = "text";
	code = passive_run(cap.path, json_args, &out, &err);
	cr_assert_eq(code, want_code);
	expect_absent(out, secrets);
	free(out);
	free(err);
	return doc;
}

static uint16_t lab_port(const char *persona)
{
	for (size_t i = 0; i < lab.nlisteners; i++)
		if (strcmp(lab.listeners[i].persona, persona) == 0)
			return lab.listeners[i].port;
	cr_assert_fail("no listener for %s", persona);
	return 0;
}

Test(passive, recorded_lab_traffic)
{
	const char *specs[] = {"127.0.0.1:0=auth-before-tls", "127.0.0.1:0=hardened",
	                       "127.0.0.1:0=open-relay", "127.0.0.1:0=no-starttls"};
	cr_assert_eq(lab_start(&lab, specs, 4, NULL), 0);
	uint16_t ports[4] = {lab_port("auth-before-tls"), lab_port("hardened"),
	                     lab_port("open-relay"), lab_port("no-starttls")};
	capture_start(ports, 4);
	client(
	    "127.0.0.1", ports[0],
	    (const char *[]){"auth:PLAIN:alice:" PW_LAB, "auth:LOGIN:alice:" PW_LAB, "quit", NULL});
	client("127.0.0.1", ports[1],
	       (const char *[]){"starttls", "auth:PLAIN:alice:" PW_LAB, "quit", NULL});
	client("127.0.0.1", ports[2],
	       (const char *[]){"mail:a@client.passive.test", "rcpt:victim@example.net", "quit",
	                        NULL});
	client("127.0.0.1", ports[3],
	       (const char *[]){"mail:a@client.passive.test", "rcpt:postmaster@lab.test", "quit",
	                        NULL});
	capture_stop();

	char port_list[64];
	snprintf(port_list, sizeof(port_list), "%u,%u,%u,%u", ports[0], ports[1], ports[2],
	         ports[3]);
	const char *secrets[] = {PW_LAB, PW_LAB_BASE64, PLAIN_LAB, NULL};
	json_t *doc =
	    audit((const char *[]){"--ports", port_list, "--local-domains", "lab.test", NULL},
	          secrets, 1);
	expect_findings(doc, ports[0],
	                "SMTP-PASSIVE-001|LOGIN 127.0.0.1,SMTP-PASSIVE-001|PLAIN 127.0.0.1,"
	                "SMTP-PASSIVE-002|,SMTP-PASSIVE-008|127.0.0.1");
	expect_findings(doc, ports[1], "SMTP-PASSIVE-008|127.0.0.1,SMTP-PASSIVE-009|TLSv1.2");
	expect_findings(doc, ports[2],
	                "SMTP-PASSIVE-003|127.0.0.1,SMTP-PASSIVE-007|127.0.0.1,"
	                "SMTP-PASSIVE-008|127.0.0.1");
	expect_findings(doc, ports[3], "SMTP-PASSIVE-008|127.0.0.1,SMTP-TLS-001|relay");
	json_t *t = scan_doc_target_on_port(doc, ports[0]);
	char *text = json_dumps(t, 0);
	cr_expect_not_null(strstr(text, "user \\\"alice\\\""), "user name missing");
	cr_expect_not_null(strstr(text, "client.passive.test"), "HELO name missing");
	free(text);
	json_decref(doc);

	/* A trusted client relays legitimately. */
	doc = audit((const char *[]){"--ports", port_list, "--local-domains", "lab.test",
	                             "--trusted-nets", "127.0.0.0/8", NULL},
	            secrets, 1);
	expect_findings(doc, ports[2], "SMTP-PASSIVE-003|127.0.0.1,SMTP-PASSIVE-008|127.0.0.1");
	json_decref(doc);
}

Test(passive, recorded_postfix_traffic)
{
	if (!postfix_available())
		cr_skip_test("Postfix is not installed (scripts/deps.sh --test)");
	static const char *const configs[] = {"submission", "hardened", "no-starttls", "open-relay",
	                                      "tls-legacy"};
	uint16_t ports[MAX_SERVERS];
	for (size_t i = 0; i < MAX_SERVERS; i++) {
		cr_assert_eq(postfix_start(&pf[i], "127.0.0.1", postfix_config(configs[i])), 0,
		             "%s", configs[i]);
		ports[i] = pf[i].port;
	}
	capture_start(ports, MAX_SERVERS);
	const char *auth = "auth:PLAIN:" POSTFIX_SASL_USER ":" POSTFIX_SASL_PASSWORD;
	client("127.0.0.1", ports[0],
	       (const char *[]){auth, "mail:alice@postfix.test", "rcpt:friend@example.net", "quit",
	                        NULL});
	client("127.0.0.1", ports[1],
	       (const char *[]){"starttls", auth, "mail:alice@postfix.test",
	                        "rcpt:friend@example.net", "quit", NULL});
	client("127.0.0.1", ports[2],
	       (const char *[]){"mail:a@client.passive.test", "rcpt:victim@example.net", "quit",
	                        NULL});
	client("127.0.0.1", ports[3],
	       (const char *[]){"mail:a@client.passive.test", "rcpt:victim@example.net", "quit",
	                        NULL});
	client("127.0.0.1", ports[4], (const char *[]){"starttls:tls1.0", "quit", NULL});
	capture_stop();

	char port_list[64];
	snprintf(port_list, sizeof(port_list), "%u,%u,%u,%u,%u", ports[0], ports[1], ports[2],
	         ports[3], ports[4]);
	const char *secrets[] = {POSTFIX_SASL_PASSWORD, PW_PF_BASE64, PLAIN_PF, NULL};
	json_t *doc =
	    audit((const char *[]){"--ports", port_list, "--local-domains", "postfix.test", NULL},
	          secrets, 1);
	/* Authenticated relaying (submission) is not relaying for strangers. */
	expect_findings(doc, ports[0],
	                "SMTP-PASSIVE-001|PLAIN 127.0.0.1,SMTP-PASSIVE-002|,"
	                "SMTP-PASSIVE-003|127.0.0.1,SMTP-PASSIVE-008|127.0.0.1");
	expect_findings(doc, ports[1], "SMTP-PASSIVE-008|127.0.0.1,SMTP-PASSIVE-009|TLSv1.3");
	expect_findings(doc, ports[2], "SMTP-PASSIVE-008|127.0.0.1,SMTP-TLS-001|relay");
	expect_findings(doc, ports[3],
	                "SMTP-PASSIVE-007|127.0.0.1,SMTP-PASSIVE-008|127.0.0.1,SMTP-TLS-001|relay");
	expect_findings(
	    doc, ports[4],
	    "SMTP-PASSIVE-005|TLSv1.0,SMTP-PASSIVE-008|127.0.0.1,SMTP-PASSIVE-009|TLSv1.0");
	json_t *t = scan_doc_target_on_port(doc, ports[0]);
	cr_expect_str_eq(scan_doc_str(json_object_get(t, "software"), "name"), "Postfix");
	char *text = json_dumps(t, 0);
	cr_expect_not_null(strstr(text, "user \\\"alice\\\""), "user name missing");
	free(text);
	json_decref(doc);
}

/* ---- hand-made captures --------------------------------------------------------------- */

enum edge {
	EDGE_CLEAN,
	EDGE_REORDERED,
	EDGE_RETRANSMITTED,
	EDGE_TRUNCATED,
	EDGE_GAP,
};

struct edge_case {
	enum edge edge;
	enum pcap_write_link link;
	bool ipv6;
	char expected[240];
};

#define EDGE_FULL                                                                                  \
	"SMTP-PASSIVE-001|PLAIN @,SMTP-PASSIVE-002|,SMTP-PASSIVE-007|@,SMTP-PASSIVE-008|@,"        \
	"SMTP-TLS-001|relay"

/* Expected findings: '@' stands for the client address. */

/*
 * The conversation: greeting, EHLO (AUTH, no STARTTLS), AUTH PLAIN in
 * cleartext that fails (535: a failed login grants no relaying), NOOP, MAIL, RCPT to a foreign
 * domain accepted, QUIT; the edge decides how the capture damages it.
 */
static void write_edge(const char *path, const struct edge_case *c)
{
	struct pcap_write_conv conv = {
	    .client = c->ipv6 ? "2001:db8::10" : "192.0.2.10",
	    .server = c->ipv6 ? "2001:db8::25" : "192.0.2.25",
	    .client_port = 40000,
	    .server_port = 25,
	    .client_isn = 1000,
	    .server_isn = 0xfffffff0u, /* sequence numbers wrap during the dialog */
	};
	static const char ehlo_reply[] =
	    "250-mx.lab.test\r\n250-AUTH PLAIN LOGIN\r\n250 8BITMIME\r\n";
	static const char auth[] = "AUTH PLAIN " PLAIN_LAB "\r\n";
	const size_t half = 14;
	struct pcap_write_seg s[] = {
	    {.dir = TCP_DIR_TO_SERVER, .flags = PCAP_WRITE_SYN},
	    {.dir = TCP_DIR_TO_CLIENT, .flags = PCAP_WRITE_SYN | PCAP_WRITE_ACK},
	    {.dir = TCP_DIR_TO_SERVER, .flags = PCAP_WRITE_ACK, .seq = 1},
	    {.dir = TCP_DIR_TO_CLIENT,
	     .flags = PCAP_WRITE_ACK,
	     .seq = 1,
	     .data = "220 mx.lab.test ESMTP Postfix\r\n"},
	    {.dir = TCP_DIR_TO_SERVER,
	     .flags = PCAP_WRITE_ACK,
	     .seq = 1,
	     .data = "EHLO client.example\r\n"},
	    {.dir = TCP_DIR_TO_CLIENT, .flags = PCAP_WRITE_ACK, .seq = 32, .data = ehlo_reply},
	    /* 6, 7: the AUTH line in two segments */
	    {.dir = TCP_DIR_TO_SERVER,
	     .flags = PCAP_WRITE_ACK,
	     .seq = 22,
	     .data = auth,
	     .len = half},
	    {.dir = TCP_DIR_TO_SERVER,
	     .flags = PCAP_WRITE_ACK,
	     .seq = 22 + half,
	     .data = auth + half},
	    {.dir = TCP_DIR_TO_CLIENT,
	     .flags = PCAP_WRITE_ACK,
	     .seq = 32 + sizeof(ehlo_reply) - 1,
	     .data = "535 5.7.8 no\r\n"},
	    /* 9, 10: NOOP and its reply */
	    {.dir = TCP_DIR_TO_SERVER,
	     .flags = PCAP_WRITE_ACK,
	     .seq = 22 + sizeof(auth) - 1,
	     .data = "NOOP\r\n"},
	    {.dir = TCP_DIR_TO_CLIENT,
	     .flags = PCAP_WRITE_ACK,
	     .seq = 32 + sizeof(ehlo_reply) - 1 + 14,
	     .data = "250 2.0.0 Ok\r\n"},
	};
	/* The rest follows the same pattern, numbered from where the table ends. */
	uint32_t cseq = 22 + sizeof(auth) - 1 + 6, sseq = 32 + sizeof(ehlo_reply) - 1 + 28;
	static const char *const tail[][2] = {
	    {"MAIL FROM:<a@client.example>\r\n", "250 2.1.0 Ok\r\n"},
	    {"RCPT TO:<victim@example.net>\r\n", "250 2.1.5 Ok\r\n"},
	    {"QUIT\r\n", "221 2.0.0 Bye\r\n"},
	};
	size_t ns = sizeof(s) / sizeof(s[0]);
	if (c->edge == EDGE_REORDERED) {
		struct pcap_write_seg tmp = s[6];
		s[6] = s[7];
		s[7] = tmp;
	}
	if (c->edge == EDGE_TRUNCATED)
		s[5].snap = pcap_write_link_len(c->link) + (c->ipv6 ? 40 : 20) + 20 + 10;
	if (c->edge == EDGE_GAP)
		s[10].omit = true;
	struct pcap_write *w = pcap_write_open(path, c->link);
	cr_assert_not_null(w);
	for (size_t i = 0; i < ns; i++) {
		cr_assert_eq(pcap_write_segment(w, &conv, &s[i]), 0, "segment %zu", i);
		if (c->edge == EDGE_RETRANSMITTED && s[i].data != NULL)
			cr_assert_eq(pcap_write_segment(w, &conv, &s[i]), 0);
	}
	for (size_t i = 0; i < sizeof(tail) / sizeof(tail[0]); i++) {
		const struct pcap_write_seg cs = {.dir = TCP_DIR_TO_SERVER,
		                                  .flags = PCAP_WRITE_ACK,
		                                  .seq = cseq,
		                                  .data = tail[i][0]};
		const struct pcap_write_seg ss = {.dir = TCP_DIR_TO_CLIENT,
		                                  .flags = PCAP_WRITE_ACK,
		                                  .seq = sseq,
		                                  .data = tail[i][1]};
		cr_assert_eq(pcap_write_segment(w, &conv, &cs), 0);
		cr_assert_eq(pcap_write_segment(w, &conv, &ss), 0);
		cseq += (uint32_t)strlen(tail[i][0]);
		sseq += (uint32_t)strlen(tail[i][1]);
	}
	const struct pcap_write_seg fin[] = {
	    {.dir = TCP_DIR_TO_CLIENT, .flags = PCAP_WRITE_FIN | PCAP_WRITE_ACK, .seq = sseq},
	    {.dir = TCP_DIR_TO_SERVER, .flags = PCAP_WRITE_FIN | PCAP_WRITE_ACK, .seq = cseq},
	};
	for (size_t i = 0; i < 2; i++)
		cr_assert_eq(pcap_write_segment(w, &conv, &fin[i]), 0);
	cr_assert_eq(pcap_write_close(w), 0);
}

ParameterizedTestParameters(passive, edge_capture_gives_exact_findings)
{
	static struct edge_case cases[] = {
	    {EDGE_CLEAN, PCAP_WRITE_ETHERNET, false, ""},
	    {EDGE_CLEAN, PCAP_WRITE_VLAN, true, ""},
	    {EDGE_CLEAN, PCAP_WRITE_SLL2, false, ""},
	    {EDGE_REORDERED, PCAP_WRITE_ETHERNET, false, ""},
	    {EDGE_RETRANSMITTED, PCAP_WRITE_SLL, true, ""},
	    /* The EHLO reply is cut after 10 bytes: AUTH and the missing STARTTLS go unseen. */
	    {EDGE_TRUNCATED, PCAP_WRITE_ETHERNET, false,
	     "SMTP-PASSIVE-001|PLAIN @,SMTP-PASSIVE-007|@,SMTP-PASSIVE-008|@"},
	    {EDGE_GAP, PCAP_WRITE_RAW, false, ""},
	};
	return cr_make_param_array(struct edge_case, cases, sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct edge_case *c, passive, edge_capture_gives_exact_findings)
{
	char dir[256], path[300], expected[400];
	cr_assert_eq(run_make_dir(dir, sizeof(dir), "sa-passive-edge"), 0);
	snprintf(path, sizeof(path), "%s/edge.pcap", dir);
	write_edge(path, c);
	const char *ip = c->ipv6 ? "2001:db8::10" : "192.0.2.10";
	expected[0] = '\0';
	for (const char *p = c->expected[0] ? c->expected : EDGE_FULL; *p != '\0'; p++) {
		size_t len = strlen(expected);
		snprintf(expected + len, sizeof(expected) - len, "%s",
		         *p == '@' ? ip : (char[]){*p, 0});
	}
	char *out, *err;
	int code = passive_run(
	    path, (const char *[]){"-o", "json", "--local-domains", "lab.test", NULL}, &out, &err);
	run_remove_dir(dir);
	cr_assert_eq(code, 1, "exit %d: %s", code, err);
	bool want_gap = c->edge == EDGE_GAP || c->edge == EDGE_TRUNCATED;
	cr_expect_eq(strstr(err, ", 0 gaps") == NULL, want_gap, "%s", err);
	const char *secrets[] = {PW_LAB, PW_LAB_BASE64, PLAIN_LAB, NULL};
	expect_absent(out, secrets);
	json_error_t jerr;
	json_t *doc = json_loads(out, 0, &jerr);
	cr_assert_not_null(doc, "not JSON: %s", jerr.text);
	expect_findings(doc, 25, expected);
	json_decref(doc);
	free(out);
	free(err);
}

Test(passive, usage_errors_and_empty_traffic)
{
	char *out, *err;
	int code = passive_run("/nonexistent/x.pcap", (const char *[]){NULL}, &out, &err);
	cr_expect_eq(code, 2);
	cr_expect_not_null(strstr(err, "/nonexistent/x.pcap"), "%s", err);
	free(out);
	free(err);
	code = passive_run("x.pcap", (const char *[]){"-i", "lo", NULL}, &out, &err);
	cr_expect_eq(code, 2);
	cr_expect_not_null(strstr(err, "exactly one of"), "%s", err);
	free(out);
	free(err);
	code = passive_run("x.pcap", (const char *[]){"--trusted-nets", "mx.example.org", NULL},
	                   &out, &err);
	cr_expect_eq(code, 2);
	free(out);
	free(err);

	char dir[256], path[300];
	cr_assert_eq(run_make_dir(dir, sizeof(dir), "sa-passive-empty"), 0);
	snprintf(path, sizeof(path), "%s/empty.pcap", dir);
	struct pcap_write *w = pcap_write_open(path, PCAP_WRITE_ETHERNET);
	cr_assert_not_null(w);
	cr_assert_eq(pcap_write_close(w), 0);
	code = passive_run(path, (const char *[]){"-q", NULL}, &out, &err);
	run_remove_dir(dir);
	cr_expect_eq(code, 3, "no SMTP session: exit %d", code);
	cr_expect_str_eq(err, "");
	free(out);
	free(err);
}

Test(passive, live_capture_until_sigint)
{
	const char *specs[] = {"127.0.0.1:0=auth-before-tls"};
	cr_assert_eq(lab_start(&lab, specs, 1, NULL), 0);
	uint16_t port = lab_port("auth-before-tls");
	char port_text[8], out_path[300];
	snprintf(port_text, sizeof(port_text), "%u", port);
	cr_assert_eq(run_make_dir(cap.dir, sizeof(cap.dir), "sa-passive-live"), 0);
	snprintf(out_path, sizeof(out_path), "%s/live.json", cap.dir);
	char *argv[] = {SA_AUDIT_BIN, "passive",    "-i",   "lo", "--ports",
	                port_text,    "--duration", "120s", "-o", "json",
	                "--out",      out_path,     NULL};
	cr_assert_eq(run_spawn(argv, cap.dir, &cap.pid), 0);
	cr_assert_gt(cap.pid, 0);
	/* No readiness signal: sessions a second apart, so some start after the capture did. */
	for (int i = 0; i < 3; i++) {
		run_pause_ms(1000);
		client("127.0.0.1", port,
		       (const char *[]){"auth:PLAIN:alice:" PW_LAB, "quit", NULL});
	}
	run_pause_ms(300);
	int status;
	cr_assert_eq(run_signal(&cap.pid, SIGINT, 10.0, &status), 0, "passive did not stop");
	cr_assert(WIFEXITED(status));
	cr_expect_eq(WEXITSTATUS(status), 1, "findings at or above medium");
	json_error_t jerr;
	json_t *doc = json_load_file(out_path, 0, &jerr);
	cr_assert_not_null(doc, "%s", jerr.text);
	expect_findings(
	    doc, port,
	    "SMTP-PASSIVE-001|PLAIN 127.0.0.1,SMTP-PASSIVE-002|,SMTP-PASSIVE-008|127.0.0.1");
	char *text = json_dumps(doc, 0);
	const char *secrets[] = {PW_LAB, PW_LAB_BASE64, PLAIN_LAB, NULL};
	expect_absent(text, secrets);
	free(text);
	json_decref(doc);
}
