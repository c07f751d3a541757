/*
 * NAME
 *	test_syslog - findings reach a real rsyslogd intact over UDP and TCP (--syslog)
 *
 * DESCRIPTION
 *	The suite starts rsyslogd from Debian (tests/support/rsyslog.h: imudp
 *	and imtcp on loopback, each raw message written to a file) and
 *	smtp-lab with the open-relay and exposed personas, runs smtp-audit
 *	with -o json and --syslog, and reads the file back. Every finding of
 *	the JSON report must arrive exactly once as an RFC 5424 message whose
 *	PRI, APP-NAME, PROCID and MSGID are right and whose CEF body, read
 *	with tests/support/cef_parse.c, carries the same id, fingerprint,
 *	variant, detail (server text included, in its escaped form),
 *	remediation with its line breaks, port and scan id.
 *
 *	Also: a URL that cannot be valid is a usage error before anything is
 *	scanned, and a collector that refuses the connection costs one
 *	message, never the scan.
 *
 *	Without rsyslog the rsyslog tests are skipped with a message
 *	(scripts/deps.sh --test installs it).
 */
#include <criterion/criterion.h>

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "catalog.h"
#include "cef_parse.h"
#include "lab.h"
#include "rsyslog.h"
#include "run.h"
#include "sa_error.h"
#include "scan_doc.h"

#define SCAN_TIMEOUT_S    120.0
#define ARRIVAL_TIMEOUT_S 15.0

static struct lab lab;
static struct rsyslog rs;

static void stop_servers(void)
{
	lab_stop(&lab);
	rsyslog_stop(&rs);
}

TestSuite(syslog, .fini = stop_servers);

static void start_servers(void)
{
	if (!rsyslog_available())
		cr_skip_test("rsyslog is not installed (" RSYSLOG_BIN "; scripts/deps.sh --test "
		             "installs it)");
	cr_assert_eq(rsyslog_start(&rs), 0, "rsyslogd did not start");
	static const char *const specs[] = {"127.0.0.1:0=open-relay", "127.0.0.1:0=exposed"};
	cr_assert_eq(lab_start(&lab, specs, 2, NULL), 0, "smtp-lab did not start");
}

/* Runs smtp-audit -o json against both lab listeners with --syslog url; returns the report. */
static json_t *scan_with_syslog(const char *url, struct run_result *run)
{
	char relay[80], exposed[80];
	cr_assert_not_null(lab_target(&lab, "open-relay", relay, sizeof(relay)));
	cr_assert_not_null(lab_target(&lab, "exposed", exposed, sizeof(exposed)));
	const char *argv[] = {SA_AUDIT_BIN, "-o",     "json",
	                      "--retries",  "0",      "--host-rate",
	                      "0",          "--helo", "scanner.example.net",
	                      "--syslog",   url,      relay,
	                      exposed,      NULL};
	cr_assert_eq(run_command(argv, SCAN_TIMEOUT_S, NULL, run), 0);
	cr_assert_not(run->timed_out, "smtp-audit did not finish");
	cr_assert_eq(run->exit_code, 1, "exit %d, stderr: %s", run->exit_code, run->err);
	json_error_t jerr;
	json_t *doc = json_loads(run->out, 0, &jerr);
	cr_assert_not_null(doc, "not JSON: %s", jerr.text);
	return doc;
}

struct report_finding {
	json_t *finding;
	unsigned port;
	bool seen;
};

static size_t collect_findings(json_t *doc, struct report_finding *out, size_t max)
{
	size_t n = 0, i, j;
	json_t *t, *f;
	json_array_foreach(json_object_get(doc, "targets"), i, t)
	{
		json_array_foreach(json_object_get(t, "findings"), j, f)
		{
			cr_assert_lt(n, max);
			out[n++] = (struct report_finding){
			    .finding = f,
			    .port = (unsigned)json_integer_value(json_object_get(t, "port")),
			};
		}
	}
	return n;
}

static struct report_finding *find_by_fingerprint(struct report_finding *all, size_t n,
                                                  const char *fingerprint)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(scan_doc_str(all[i].finding, "fingerprint"), fingerprint) == 0)
			return &all[i];
	return NULL;
}

/* The RFC 5424 syslog PRI smtp-audit documents: local0, severity by the finding's. */
static int expected_pri(const char *severity)
{
	enum finding_severity sev;
	cr_assert(severity_parse(severity, &sev), "severity %s", severity);
	static const int syslog_severity[SEVERITY_COUNT] = {6, 5, 4, 3, 2};
	return 16 * 8 + syslog_severity[sev];
}

/* A JSON string member, or NULL for JSON null. */
static const char *json_text(json_t *obj, const char *key)
{
	return json_string_value(json_object_get(obj, key));
}

static void expect_same(const char *what, const char *got, const char *want)
{
	if (want == NULL)
		cr_expect_null(got, "%s: unexpected '%s'", what, got);
	else
		cr_expect(got != NULL && strcmp(got, want) == 0, "%s: got '%s', want '%s'", what,
		          got ? got : "(none)", want);
}

/* Checks one received line against the report; marks its finding as seen. */
static void check_line(const char *line, json_t *doc, struct report_finding *all, size_t n,
                       pid_t *procid)
{
	int pri = 0, body = 0;
	char stamp[64], host[256], app[64], proc[32], msgid[40], sd[8];
	int fields = sscanf(line, "<%d>1 %63s %255s %63s %31s %39s %7s %n", &pri, stamp, host, app,
	                    proc, msgid, sd, &body);
	cr_assert_eq(fields, 7, "not RFC 5424: %s", line);
	cr_expect_str_eq(app, "smtp-audit");
	cr_expect_str_eq(sd, "-");
	cr_expect_eq(strlen(stamp), 24, "timestamp %s", stamp);
	cr_expect_eq(stamp[23], 'Z', "timestamp %s", stamp);
	if (*procid == 0)
		*procid = (pid_t)strtol(proc, NULL, 10);
	cr_expect_eq(strtol(proc, NULL, 10), *procid, "one process sent every event");

	struct cef_event ev;
	cr_assert_eq(cef_parse(line + body, &ev), 0, "CEF body does not parse: %s", line + body);
	struct report_finding *rf = find_by_fingerprint(all, n, cef_event_get(&ev, "cs2"));
	cr_assert_not_null(rf, "no finding with fingerprint %s", cef_event_get(&ev, "cs2"));
	cr_expect_not(rf->seen, "finding %s arrived twice", cef_event_get(&ev, "cs2"));
	rf->seen = true;

	json_t *f = rf->finding;
	expect_same("MSGID", msgid, json_text(f, "id"));
	expect_same("signature", ev.header[CEF_HEADER_SIGNATURE], json_text(f, "id"));
	expect_same("name", ev.header[CEF_HEADER_NAME], json_text(f, "title"));
	cr_expect_eq(pri, expected_pri(json_text(f, "severity")), "PRI of %s", msgid);
	expect_same("variant", cef_event_get(&ev, "cs1"), json_text(f, "variant"));
	expect_same("detail", cef_event_get(&ev, "msg"), json_text(f, "detail"));
	expect_same("remediation", cef_event_get(&ev, "cs3"), json_text(f, "remediation"));
	expect_same("scan id", cef_event_get(&ev, "cs4"),
	            json_text(json_object_get(doc, "scan"), "id"));
	expect_same("dst", cef_event_get(&ev, "dst"), "127.0.0.1");
	char port[8];
	snprintf(port, sizeof(port), "%u", rf->port);
	expect_same("dpt", cef_event_get(&ev, "dpt"), port);
	cef_event_free(&ev);
}

/* Reads every smtp-audit line rsyslogd wrote and checks them against the report. */
static void expect_every_finding_arrived(json_t *doc)
{
	static struct report_finding all[256];
	size_t n = collect_findings(doc, all, 256);
	cr_assert_gt(n, 3, "the lab personas gave only %zu findings", n);
	bool arrived = rsyslog_wait_lines(&rs, " smtp-audit ", n, ARRIVAL_TIMEOUT_S);
	char *text = rsyslog_messages(&rs);
	cr_assert_not_null(text);
	cr_assert(arrived, "fewer than %zu events arrived:\n%.2000s", n, text);

	size_t lines = 0;
	pid_t procid = 0;
	char *save = NULL;
	for (char *line = strtok_r(text, "\n", &save); line != NULL;
	     line = strtok_r(NULL, "\n", &save)) {
		if (strstr(line, RSYSLOG_READY_APP) != NULL)
			continue;
		check_line(line, doc, all, n, &procid);
		lines++;
	}
	cr_expect_eq(lines, n, "%zu events for %zu findings", lines, n);
	for (size_t i = 0; i < n; i++)
		cr_expect(all[i].seen, "%s (%s) never arrived", json_text(all[i].finding, "id"),
		          json_text(all[i].finding, "fingerprint"));
	free(text);
}

/* A detail with '=' and a remediation with line breaks survived the trip. */
static void expect_escapes_survived(void)
{
	char *text = rsyslog_messages(&rs);
	cr_assert_not_null(text);
	cr_expect_neq(strstr(text, "\\="), NULL, "no escaped '=' reached rsyslog");
	cr_expect_neq(strstr(text, "\\n"), NULL, "no escaped line break reached rsyslog");
	free(text);
}

static void run_transport(bool tcp)
{
	start_servers();
	char url[64];
	snprintf(url, sizeof(url), "%s://127.0.0.1:%u", tcp ? "tcp" : "udp",
	         (unsigned)(tcp ? rs.tcp_port : rs.udp_port));
	struct run_result run;
	json_t *doc = scan_with_syslog(url, &run);
	cr_expect_null(strstr(run.err, "--syslog"), "syslog complained: %s", run.err);
	expect_every_finding_arrived(doc);
	expect_escapes_survived();
	json_decref(doc);
	run_result_free(&run);
}

Test(syslog, udp_events_arrive_intact, .timeout = 300)
{
	run_transport(false);
}

Test(syslog, tcp_events_arrive_intact, .timeout = 300)
{
	run_transport(true);
}

Test(syslog, invalid_url_is_a_usage_error, .timeout = 60)
{
	static const char *const urls[] = {"udp://127.0.0.1:99999", "syslog://127.0.0.1:514",
	                                   "tcp://127.0.0.1", "unix:"};
	for (size_t i = 0; i < sizeof(urls) / sizeof(urls[0]); i++) {
		const char *argv[] = {SA_AUDIT_BIN, "--syslog", urls[i], "127.0.0.1:1", NULL};
		struct run_result run;
		cr_assert_eq(run_command(argv, 30, NULL, &run), 0);
		cr_expect_eq(run.exit_code, 2, "%s: exit %d", urls[i], run.exit_code);
		cr_expect_neq(strstr(run.err, "--syslog"), NULL, "%s: %s", urls[i], run.err);
		cr_expect_neq(strstr(run.err, urls[i]), NULL, "%s: %s", urls[i], run.err);
		run_result_free(&run);
	}
}

/* A TCP port on loopback where nothing listens: bound and closed again. */
static unsigned closed_port(void)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	cr_assert_geq(fd, 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t alen = sizeof(a);
	cr_assert_eq(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	cr_assert_eq(getsockname(fd, (struct sockaddr *)&a, &alen), 0);
	close(fd);
	return ntohs(a.sin_port);
}

Test(syslog, refused_collector_never_fails_the_scan, .timeout = 300)
{
	static const char *const specs[] = {"127.0.0.1:0=open-relay"};
	cr_assert_eq(lab_start(&lab, specs, 1, NULL), 0, "smtp-lab did not start");
	char target[80], url[64];
	cr_assert_not_null(lab_target(&lab, "open-relay", target, sizeof(target)));
	snprintf(url, sizeof(url), "tcp://127.0.0.1:%u", closed_port());
	const char *argv[] = {SA_AUDIT_BIN,  "-o",   "json",   "--retries",           "0",
	                      "--host-rate", "0",    "--helo", "scanner.example.net", "--syslog",
	                      url,           target, NULL};
	struct run_result run;
	cr_assert_eq(run_command(argv, SCAN_TIMEOUT_S, NULL, &run), 0);
	cr_assert_not(run.timed_out);
	cr_expect_eq(run.exit_code, 1, "exit %d: %s", run.exit_code, run.err);
	json_error_t jerr;
	json_t *doc = json_loads(run.out, 0, &jerr);
	cr_expect_not_null(doc, "the report is still written: %s", jerr.text);
	cr_expect_neq(strstr(run.err, "Connection refused"), NULL, "%s", run.err);
	cr_expect_neq(strstr(run.err, "findings were not delivered"), NULL, "%s", run.err);
	char *first = strstr(run.err, "Connection refused");
	cr_expect(first == NULL || strstr(first + 1, "Connection refused") == NULL,
	          "reported more than once: %s", run.err);
	json_decref(doc);
	run_result_free(&run);
}
