/*
 * NAME
 *	test_safety - smtp-audit's safety guarantees, proven from smtp-lab's command log
 *
 * DESCRIPTION
 *	The lab logs every connection (CONNECT and CLOSE with a Unix
 *	millisecond time and a session number) and every command line it
 *	reads, exactly as it arrived. Each test runs the real scanner against
 *	lab personas and judges what the scanner did by that log, not by what
 *	the scanner says it did:
 *
 *	- no DATA or BDAT (nor a command that starts a mail transfer in
 *	  either direction: ETRN, ATRN, TURN, SEND, SOML, SAML) against any
 *	  persona with every probe, unless --allow-data; with --allow-data and
 *	  --relay-canary exactly the one canary message through the one open
 *	  relay;
 *	- a user-supplied password never reaches a server outside a verified
 *	  TLS session, in any encoding;
 *	- under --concurrency 5000, sessions at once per server address never
 *	  exceed --per-host, new connections per address never exceed
 *	  --host-rate, and new connections in all never exceed what --rate's
 *	  token bucket allows (one second of burst), each limit tested where
 *	  it is the one that binds;
 *	- --concurrency bounds the sessions that talk, and as many more that
 *	  only wait for the 221 to their QUIT;
 *	- a server answering 421 gets at most --retries more connections,
 *	  spaced by --retry-delay doubling.
 *
 *	The lab sees a client's close only when it reads the FIN, and may
 *	accept the client's next connection in the same loop iteration; a
 *	session counts as ended LAB_CLOSE_SLACK_MS before its CLOSE line for
 *	that reason. Accepts likewise reach the log a little after the
 *	client's connect, so rates are checked with LAB_ACCEPT_JITTER_MS of
 *	slack at each end of a window.
 *	Every test has a criterion timeout and stops its lab by pid in .fini.
 */
#include <criterion/criterion.h>
#include <ctype.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "codec.h"
#include "lab.h"
#include "run.h"
#include "test_certs.h"

#define LAB_CLOSE_SLACK_MS 30
/* A sanitizer slows the lab's loop: its accepts lag further behind the scanner's connects. */
#if defined(__SANITIZE_ADDRESS__)
#define LAB_ACCEPT_JITTER_MS 120
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define LAB_ACCEPT_JITTER_MS 120
#endif
#endif
#ifndef LAB_ACCEPT_JITTER_MS
#define LAB_ACCEPT_JITTER_MS 40
#endif
#define SCAN_TIMEOUT_S 60
#define CLOSE_WAIT_S   10.0
#define PERSONAS_MAX   LAB_MAX_LISTENERS

static struct lab lab;

static void stop_lab(void)
{
	lab_stop(&lab);
}

TestSuite(safety, .fini = stop_lab, .timeout = 120);

ReportHook(PRE_ALL)(struct criterion_test_set *set)
{
	(void)set;
	test_certs_make("mx.lab.test");
}

ReportHook(POST_ALL)(struct criterion_global_stats *stats)
{
	(void)stats;
	test_certs_remove();
}

/* ---- the lab log ---- */

/* One line: <ms> <listen> <persona> s<n> <peer> <EVENT> [text] */
struct event {
	int64_t ms;
	char address[64]; /* the listener's address without its port */
	char persona[32];
	uint64_t session;
	char kind[16];
	const char *text; /* points into the log buffer; "" when none */
};

struct timeline {
	char *log;
	struct event *events;
	size_t n;
};

static void listen_address(const char *listen, char *out, size_t outlen)
{
	const char *colon = strrchr(listen, ':');
	size_t len = colon != NULL ? (size_t)(colon - listen) : strlen(listen);
	if (len >= 2 && listen[0] == '[' && listen[len - 1] == ']') {
		listen++;
		len -= 2;
	}
	snprintf(out, outlen, "%.*s", (int)len, listen);
}

static bool event_parse(char *line, struct event *e)
{
	char listen[80], peer[80];
	int used = 0;
	if (sscanf(line, "%" SCNd64 " %79s %31s s%" SCNu64 " %79s %15s%n", &e->ms, listen,
	           e->persona, &e->session, peer, e->kind, &used) != 6)
		return false;
	listen_address(listen, e->address, sizeof(e->address));
	e->text = line + used + (line[used] == ' ' ? 1 : 0);
	return true;
}

static void timeline_load(struct timeline *tl)
{
	tl->log = lab_log(&lab);
	cr_assert_not_null(tl->log);
	size_t cap = 1;
	for (const char *p = tl->log; *p != '\0'; p++)
		cap += *p == '\n';
	tl->events = calloc(cap, sizeof(*tl->events));
	cr_assert_not_null(tl->events);
	tl->n = 0;
	char *save = NULL;
	for (char *line = strtok_r(tl->log, "\n", &save); line != NULL;
	     line = strtok_r(NULL, "\n", &save))
		cr_assert(event_parse(line, &tl->events[tl->n++]), "bad log line: %s", line);
}

static void timeline_free(struct timeline *tl)
{
	free(tl->events);
	free(tl->log);
}

static bool event_is(const struct event *e, const char *kind)
{
	return strcmp(e->kind, kind) == 0;
}

/* The verb of a command line, upper case ("MAIL" of "mail from:<>"). */
static void command_verb(const struct event *e, char *verb, size_t len)
{
	size_t i = 0;
	for (; i + 1 < len && e->text[i] != '\0' && e->text[i] != ' ' && e->text[i] != ':'; i++)
		verb[i] = (char)toupper((unsigned char)e->text[i]);
	verb[i] = '\0';
}

static size_t count_commands(const struct timeline *tl, const char *verb)
{
	size_t n = 0;
	char v[16];
	for (size_t i = 0; i < tl->n; i++) {
		if (!event_is(&tl->events[i], "C:"))
			continue;
		command_verb(&tl->events[i], v, sizeof(v));
		n += strcmp(v, verb) == 0;
	}
	return n;
}

/* How many personas got at least one command with that verb. */
static size_t personas_with(const struct timeline *tl, const char *verb)
{
	size_t n = 0;
	char v[16], w[16];
	for (size_t i = 0; i < tl->n; i++) {
		command_verb(&tl->events[i], v, sizeof(v));
		if (!event_is(&tl->events[i], "C:") || strcmp(v, verb) != 0)
			continue;
		bool seen = false;
		for (size_t j = 0; j < i && !seen; j++) {
			command_verb(&tl->events[j], w, sizeof(w));
			seen = event_is(&tl->events[j], "C:") && strcmp(w, verb) == 0 &&
			       strcmp(tl->events[j].persona, tl->events[i].persona) == 0;
		}
		n += !seen;
	}
	return n;
}

/* After a scan the lab may still be reading the last FINs: wait until every session closed. */
static void wait_all_closed(void)
{
	double deadline = run_now() + CLOSE_WAIT_S;
	size_t connects;
	do {
		connects = lab_log_count(&lab, " CONNECT");
		if (lab_log_count(&lab, " CLOSE") >= connects)
			return;
		run_pause_ms(20);
	} while (run_now() < deadline);
	cr_assert_fail("the lab logged %zu CONNECT but %zu CLOSE", connects,
	               lab_log_count(&lab, " CLOSE"));
}

/* ---- running the scanner ---- */

#define ARGV_MAX 160

struct argv {
	const char *v[ARGV_MAX];
	size_t n;
};

static void argv_add(struct argv *a, const char *arg)
{
	cr_assert_lt(a->n + 1, ARGV_MAX);
	a->v[a->n++] = arg;
	a->v[a->n] = NULL;
}

static void argv_add_all(struct argv *a, const char *const *args)
{
	for (size_t i = 0; args[i] != NULL; i++)
		argv_add(a, args[i]);
}

static char lab_targets[LAB_MAX_LISTENERS][80];

/* Every listener of the lab as a target. */
static void argv_add_targets(struct argv *a)
{
	for (size_t i = 0; i < lab.nlisteners; i++) {
		snprintf(lab_targets[i], sizeof(lab_targets[i]), "%s:%u", lab.listeners[i].address,
		         (unsigned)lab.listeners[i].port);
		argv_add(a, lab_targets[i]);
	}
}

static json_t *scan(const struct argv *a, struct run_result *r)
{
	json_error_t jerr;
	cr_assert_eq(run_command(a->v, SCAN_TIMEOUT_S, NULL, r), 0);
	cr_assert_not(r->timed_out, "smtp-audit did not finish within %d s", SCAN_TIMEOUT_S);
	json_t *doc = json_loads(r->out, 0, &jerr);
	cr_assert_not_null(doc, "not JSON (%s): %.500s\nstderr: %.2000s", jerr.text, r->out,
	                   r->err);
	wait_all_closed();
	return doc;
}

/* Whether the report has a finding with that id on the target at address. */
static bool report_has(json_t *doc, const char *address, const char *id)
{
	size_t i, j;
	json_t *t, *f;
	json_array_foreach(json_object_get(doc, "targets"), i, t)
	{
		if (strcmp(json_string_value(json_object_get(t, "address")), address) != 0)
			continue;
		json_array_foreach(json_object_get(t, "findings"), j, f)
		{
			if (strcmp(json_string_value(json_object_get(f, "id")), id) == 0)
				return true;
		}
	}
	return false;
}

/* ---- 1. no DATA or BDAT without the opt-in ---- */

/* Every persona smtp-lab has, hostile ones included, each on its own loopback address. */
static void start_every_persona(void)
{
	static char names[PERSONAS_MAX][32], specs[PERSONAS_MAX][64];
	const char *spec_ptrs[PERSONAS_MAX];
	const char *argv[] = {SA_LAB_BIN, "--list-personas", NULL};
	struct run_result r;
	cr_assert_eq(run_command(argv, 10, NULL, &r), 0);
	cr_assert_eq(r.exit_code, 0);
	size_t n = 0;
	for (char *line = r.out; *line != '\0' && n < PERSONAS_MAX;) {
		if (sscanf(line, "%31s", names[n]) == 1) {
			snprintf(specs[n], sizeof(specs[n]), "127.0.1.%zu:0=%s", n + 1, names[n]);
			spec_ptrs[n] = specs[n];
			n++;
		}
		char *end = strchr(line, '\n');
		line = end != NULL ? end + 1 : line + strlen(line);
	}
	run_result_free(&r);
	cr_assert_geq(n, 20, "smtp-lab lists %zu personas", n);
	cr_assert_eq(lab_start(&lab, spec_ptrs, n, NULL), 0, "smtp-lab did not start");
}

/*
 * Every probe, all at once on each persona's own address, with timeouts
 * and a back-off short enough for the hostile personas.
 */
#define SCAN_ALL_PROBES                                                                            \
	SA_AUDIT_BIN, "-o", "json", "--probes", "all", "--retries", "0", "--host-rate", "0",       \
	    "--per-host", "16", "--retry-delay", "100ms", "--connect-timeout", "2s",               \
	    "--greeting-timeout", "3s", "--reply-timeout", "3s", "--tls-timeout", "3s",            \
	    "--target-timeout", "20s", "--helo", "scanner.example.net"

/* Commands that make a server take or send mail. */
static const char *const mail_transfer_verbs[] = {"DATA", "BDAT", "ETRN", "ATRN",
                                                  "TURN", "SEND", "SOML", "SAML"};

static void assert_no_mail_transfer(const struct timeline *tl, const char *except)
{
	for (size_t v = 0; v < sizeof(mail_transfer_verbs) / sizeof(mail_transfer_verbs[0]); v++) {
		if (except != NULL && strcmp(mail_transfer_verbs[v], except) == 0)
			continue;
		cr_assert_eq(count_commands(tl, mail_transfer_verbs[v]), 0, "%s sent",
		             mail_transfer_verbs[v]);
	}
}

Test(safety, no_data_or_bdat_to_any_persona_without_allow_data)
{
	start_every_persona();
	struct argv a = {0};
	const char *base[] = {SCAN_ALL_PROBES, NULL};
	argv_add_all(&a, base);
	argv_add_targets(&a);
	struct run_result r;
	json_t *doc = scan(&a, &r);

	struct timeline tl;
	timeline_load(&tl);
	/* Probes opened transactions and named recipients: the absence below is a choice. */
	cr_assert_geq(personas_with(&tl, "MAIL"), lab.nlisteners / 2, "MAIL reached %zu personas",
	              personas_with(&tl, "MAIL"));
	cr_assert_gt(count_commands(&tl, "RCPT"), lab.nlisteners);
	assert_no_mail_transfer(&tl, NULL);
	timeline_free(&tl);
	json_decref(doc);
	run_result_free(&r);
}

/*
 * The documented opt-in: --allow-data sends mail only as the relay probe's
 * canary, after a proven open relay, once: RSET, MAIL, RCPT to the canary,
 * DATA, in one session of the one persona that relays.
 */
Test(safety, allow_data_sends_only_the_one_relay_canary)
{
	start_every_persona();
	struct argv a = {0};
	const char *base[] = {SCAN_ALL_PROBES, "--allow-data", "--relay-canary",
	                      "canary@example.com", NULL};
	argv_add_all(&a, base);
	argv_add_targets(&a);
	struct run_result r;
	json_t *doc = scan(&a, &r);

	struct timeline tl;
	timeline_load(&tl);
	assert_no_mail_transfer(&tl, "DATA");
	cr_assert_eq(count_commands(&tl, "DATA"), 1);
	size_t data = 0;
	char verb[16];
	for (; data < tl.n; data++) {
		command_verb(&tl.events[data], verb, sizeof(verb));
		if (event_is(&tl.events[data], "C:") && strcmp(verb, "DATA") == 0)
			break;
	}
	const struct event *d = &tl.events[data];
	cr_assert_str_eq(d->persona, "open-relay");
	const char *expected[] = {"RCPT TO:<canary@example.com>", "MAIL FROM:", "RSET"};
	size_t found = 0;
	for (size_t i = data; i-- > 0 && found < 3;) {
		const struct event *e = &tl.events[i];
		if (e->session != d->session || !event_is(e, "C:"))
			continue;
		cr_assert(strncmp(e->text, expected[found], strlen(expected[found])) == 0,
		          "before DATA: '%s', expected '%s'", e->text, expected[found]);
		found++;
	}
	cr_assert_eq(found, 3);
	cr_assert(report_has(doc, d->address, "SMTP-RELAY-004"), "canary reported");
	timeline_free(&tl);
	json_decref(doc);
	run_result_free(&r);
}

/* ---- 3. per-host concurrency and connection rate ---- */

struct span {
	int64_t start, end; /* end: INT64_MAX while open */
};

/* Where a session stops counting: its CLOSE, or (talking) the QUIT the lab read before it. */
static bool span_ends_at(const struct event *e, bool talking)
{
	return event_is(e, "CLOSE") || (talking && event_is(e, "C:") && strcmp(e->text, "QUIT") == 0);
}

/* The sessions of one server address (NULL: of all), from CONNECT to their end. */
static size_t spans_of(const struct timeline *tl, const char *address, bool talking,
                       struct span *out, size_t max)
{
	size_t n = 0;
	for (size_t i = 0; i < tl->n; i++) {
		const struct event *e = &tl->events[i];
		if ((address != NULL && strcmp(e->address, address) != 0) || !event_is(e, "CONNECT"))
			continue;
		cr_assert_lt(n, max);
		out[n] = (struct span){.start = e->ms, .end = INT64_MAX};
		for (size_t j = i + 1; j < tl->n; j++)
			if (tl->events[j].session == e->session &&
			    strcmp(tl->events[j].address, e->address) == 0 &&
			    span_ends_at(&tl->events[j], talking)) {
				out[n].end = tl->events[j].ms;
				break;
			}
		n++;
	}
	return n;
}

struct edge {
	int64_t at;
	int delta;
};

static int edge_compare(const void *a, const void *b)
{
	const struct edge *x = a, *y = b;
	if (x->at != y->at)
		return x->at < y->at ? -1 : 1;
	return x->delta - y->delta; /* an end before a start at the same instant */
}

/* Most sessions open at once, each counted as ended LAB_CLOSE_SLACK_MS before its CLOSE. */
static unsigned max_concurrent(const struct span *s, size_t n)
{
	struct edge *edges = calloc(2 * n + 1, sizeof(*edges));
	cr_assert_not_null(edges);
	for (size_t i = 0; i < n; i++) {
		int64_t end = s[i].end == INT64_MAX ? INT64_MAX : s[i].end - LAB_CLOSE_SLACK_MS;
		edges[2 * i] = (struct edge){.at = s[i].start, .delta = 1};
		edges[2 * i + 1] =
		    (struct edge){.at = end > s[i].start ? end : s[i].start, .delta = -1};
	}
	qsort(edges, 2 * n, sizeof(*edges), edge_compare);
	int open = 0, most = 0;
	for (size_t i = 0; i < 2 * n; i++) {
		open += edges[i].delta;
		if (open > most)
			most = open;
	}
	free(edges);
	return (unsigned)most;
}

static int span_compare(const void *a, const void *b)
{
	const struct span *x = a, *y = b;
	return x->start < y->start ? -1 : x->start > y->start;
}

/* Most connection starts in any window of window_ms (starts are in log order, ascending). */
static unsigned max_starts_in(const struct span *s, size_t n, int64_t window_ms)
{
	unsigned most = 0;
	for (size_t i = 0, j = 0; i < n; i++) {
		while (s[i].start - s[j].start >= window_ms)
			j++;
		if (i - j + 1 > most)
			most = (unsigned)(i - j + 1);
	}
	return most;
}

#define POLITE_ADDRESSES 3
#define SPANS_MAX        512

/*
 * Three addresses, two ports on each (the limits are per address, not
 * per port), every reply 40 ms late so sessions overlap: the scanner has
 * 5000 sessions to spend and must still queue per address.
 */
static void start_polite_lab(void)
{
	const char *specs[] = {
	    "127.0.2.1:0=hardened",   "127.0.2.1:0=lax-helo",   "127.0.2.2:0=hardened",
	    "127.0.2.2:0=enum-leaky", "127.0.2.3:0=verify-252", "127.0.2.3:0=exposed",
	};
	const char *extra[] = {"--delay-ms", "40", NULL};
	cr_assert_eq(lab_start(&lab, specs, sizeof(specs) / sizeof(specs[0]), extra), 0);
}

/*
 * Most connection starts a rate allows in any window: rate x window, one
 * more at the window's edge, burst tokens saved up before it, and what
 * the lab's accept jitter can move into it from either side.
 */
static unsigned starts_allowed(double rate, unsigned burst, int64_t window_ms)
{
	return (unsigned)((double)(window_ms + 2 * LAB_ACCEPT_JITTER_MS) * rate / 1000.0) + 1 +
	       burst;
}

struct limits {
	unsigned per_host; /* expected to bind: every address reaches it */
	double host_rate;  /* 0: unlimited */
	double rate;       /* 0: unlimited */
};

static void assert_host_limits(const struct limits *lim, const char *address,
                               const struct span *spans, size_t n)
{
	unsigned most = max_concurrent(spans, n);
	cr_assert_leq(most, lim->per_host, "%s: %u sessions at once, --per-host %u", address, most,
	              lim->per_host);
	if (lim->host_rate <= 0)
		return;
	/* --host-rate spaces one address's connections 1/rate apart: no burst. */
	for (int64_t window = 1000; window <= 3000; window += 1000) {
		unsigned seen = max_starts_in(spans, n, window);
		unsigned allowed = starts_allowed(lim->host_rate, 0, window);
		cr_assert_leq(seen, allowed,
		              "%s: %u connections in %" PRId64 " ms, --host-rate %.0f", address,
		              seen, window, lim->host_rate);
	}
}

/* Returns the most sessions any address had at once. */
static unsigned assert_limits_kept(const struct limits *lim)
{
	static const char *const addresses[POLITE_ADDRESSES] = {"127.0.2.1", "127.0.2.2",
	                                                        "127.0.2.3"};
	static struct span spans[SPANS_MAX], all[POLITE_ADDRESSES * SPANS_MAX];
	struct timeline tl;
	timeline_load(&tl);
	size_t nall = 0;
	unsigned most = 0;
	for (size_t a = 0; a < POLITE_ADDRESSES; a++) {
		size_t n = spans_of(&tl, addresses[a], false, spans, SPANS_MAX);
		cr_assert_gt(n, lim->per_host, "%s: only %zu connections", addresses[a], n);
		assert_host_limits(lim, addresses[a], spans, n);
		unsigned here = max_concurrent(spans, n);
		most = here > most ? here : most;
		memcpy(all + nall, spans, n * sizeof(*spans));
		nall += n;
	}
	if (lim->rate > 0) {
		/* The --rate token bucket holds one second of tokens (scheduler.c). */
		qsort(all, nall, sizeof(*all), span_compare);
		unsigned burst = lim->rate < 1 ? 1 : (unsigned)lim->rate;
		for (int64_t window = 1000; window <= 3000; window += 1000) {
			unsigned seen = max_starts_in(all, nall, window);
			cr_assert_leq(seen, starts_allowed(lim->rate, burst, window),
			              "%u connections in %" PRId64 " ms, --rate %.0f", seen, window,
			              lim->rate);
		}
	}
	timeline_free(&tl);
	return most;
}

static json_t *polite_scan(const char *const *options, struct run_result *r)
{
	/* Probes that use few sessions each (tls_params alone would use 24 per address). */
	const char *base[] = {SA_AUDIT_BIN,
	                      "-o",
	                      "json",
	                      "--concurrency",
	                      "5000",
	                      "--helo",
	                      "scanner.example.net",
	                      "--probes",
	                      "inventory,starttls,open_relay,user_enum,exposure,certificate,"
	                      "auth_before_tls,starttls_injection",
	                      NULL};
	struct argv a = {0};
	start_polite_lab();
	argv_add_all(&a, base);
	argv_add_all(&a, options);
	argv_add_targets(&a);
	return scan(&a, r);
}

/* Defaults: --per-host 2 binds (sessions last longer than --host-rate 10's spacing). */
Test(safety, default_per_host_and_host_rate_hold_under_concurrency_5000)
{
	const char *none[] = {NULL};
	struct run_result r;
	json_t *doc = polite_scan(none, &r);
	cr_assert_eq(r.exit_code, 1, "findings on verify-252 and exposed; stderr: %s", r.err);
	const struct limits defaults = {.per_host = 2, .host_rate = 10};
	/* 5000 free sessions and queued work: the limit is reached, so it is what held. */
	cr_assert_eq(assert_limits_kept(&defaults), 2, "never 2 sessions at once");
	json_decref(doc);
	run_result_free(&r);
}

/* --host-rate binds: 8 sessions per address allowed, 8 new ones a second. */
Test(safety, host_rate_holds_under_concurrency_5000)
{
	const char *options[] = {"--per-host", "8", "--host-rate", "8", NULL};
	struct run_result r;
	json_t *doc = polite_scan(options, &r);
	const struct limits lim = {.per_host = 8, .host_rate = 8};
	assert_limits_kept(&lim);
	json_decref(doc);
	run_result_free(&r);
}

/*
 * --rate binds: no per-host spacing, 8 sessions per address, 10 new ones
 * a second in all. The 54 connections of these two probes would go out
 * within about a second without the limit, more than its burst and
 * rate allow in any window.
 */
Test(safety, rate_holds_under_concurrency_5000)
{
	const char *options[] = {"--per-host", "8",        "--host-rate",          "0", "--rate",
	                         "10",         "--probes", "inventory,open_relay", NULL};
	struct run_result r;
	json_t *doc = polite_scan(options, &r);
	const struct limits lim = {.per_host = 8, .rate = 10};
	assert_limits_kept(&lim);
	json_decref(doc);
	run_result_free(&r);
}

/*
 * One probe run, several sessions: open_relay spreads its battery against a
 * server that refuses every attempt over parallel sessions (probe_open_session),
 * which overlap but never exceed --per-host, and still reaches its verdict.
 */
Test(safety, relay_battery_sessions_run_in_parallel_within_per_host)
{
	const char *specs[] = {"127.0.2.9:0=hardened"};
	const char *extra[] = {"--delay-ms", "40", NULL};
	cr_assert_eq(lab_start(&lab, specs, 1, extra), 0);
	const char *options[] = {SA_AUDIT_BIN, "-o",          "json", "--probes",
	                         "open_relay", "--per-host",  "4",    "--host-rate",
	                         "0",          "--helo",      "scanner.example.net", NULL};
	struct argv a = {0};
	argv_add_all(&a, options);
	argv_add_targets(&a);
	struct run_result r;
	json_t *doc = scan(&a, &r);
	json_t *probe = json_array_get(
	    json_object_get(json_array_get(json_object_get(doc, "targets"), 0), "probes"), 0);
	cr_assert_str_eq(json_string_value(json_object_get(probe, "verdict")), "not-vulnerable");
	json_int_t sessions = json_integer_value(json_object_get(probe, "sessions"));

	struct timeline tl;
	timeline_load(&tl);
	static struct span spans[SPANS_MAX];
	size_t n = spans_of(&tl, "127.0.2.9", false, spans, SPANS_MAX);
	cr_assert_eq((json_int_t)n, sessions, "the lab saw %zu connections, the probe %lld", n,
	             (long long)sessions);
	unsigned most = max_concurrent(spans, n);
	cr_assert_gt(most, 1, "the battery's %zu sessions ran one after another", n);
	cr_assert_leq(most, 4, "%u sessions at once, --per-host 4", most);
	timeline_free(&tl);
	json_decref(doc);
	run_result_free(&r);
}

/*
 * --concurrency counts the sessions that talk. One that wrote its QUIT
 * leaves its place to the next while it waits for the 221 (here 100 ms
 * late), and at most as many again wait so.
 */
Test(safety, concurrency_counts_talking_sessions_and_bounds_closing_ones)
{
	const char *specs[] = {"127.0.2.11:0=hardened", "127.0.2.12:0=hardened",
	                       "127.0.2.13:0=hardened"};
	const char *extra[] = {"--delay-ms", "100", NULL};
	cr_assert_eq(lab_start(&lab, specs, 3, extra), 0);
	const char *options[] = {SA_AUDIT_BIN, "-o", "json", "--probes",
	                         "inventory,starttls,certificate,auth_before_tls,exposure",
	                         "--concurrency", "2", "--per-host", "8", "--host-rate", "0",
	                         "--helo", "scanner.example.net", NULL};
	struct argv a = {0};
	argv_add_all(&a, options);
	argv_add_targets(&a);
	struct run_result r;
	json_t *doc = scan(&a, &r);
	cr_assert_eq(json_array_size(json_object_get(doc, "targets")), 3, "stderr: %s", r.err);

	struct timeline tl;
	timeline_load(&tl);
	static struct span spans[SPANS_MAX];
	size_t n = spans_of(&tl, NULL, true, spans, SPANS_MAX);
	cr_assert_geq(n, 15, "%zu sessions", n);
	unsigned talking = max_concurrent(spans, n);
	cr_assert_leq(talking, 2, "%u sessions talked at once, --concurrency 2", talking);
	n = spans_of(&tl, NULL, false, spans, SPANS_MAX);
	unsigned open = max_concurrent(spans, n);
	cr_assert_gt(open, 2, "a session waiting for its 221 kept its place");
	cr_assert_leq(open, 4, "%u connections at once, --concurrency 2", open);
	timeline_free(&tl);
	json_decref(doc);
	run_result_free(&r);
}

/* ---- 2. never a user-supplied credential on a cleartext channel ---- */

/* smtp-lab's one account (tests/lab/lab_auth.h): the only login its personas accept. */
#define LAB_USER     "alice@lab.test"
#define LAB_PASSWORD "Lab-Pw-7c41f9e2d08b"

#define SECRET_FORMS 5

/* The password as it could travel: raw, in AUTH PLAIN's message, and base64 at each alignment. */
static void secret_forms(char forms[SECRET_FORMS][128])
{
	static const char plain[] = "\0" LAB_USER "\0" LAB_PASSWORD;
	snprintf(forms[0], 128, "%s", LAB_PASSWORD);
	char *b64 = codec_base64_encode(plain, sizeof(plain) - 1);
	cr_assert_not_null(b64);
	snprintf(forms[1], 128, "%s", b64);
	free(b64);
	for (size_t pad = 0; pad < 3; pad++) {
		char buf[64] = "xx";
		memcpy(buf + pad, LAB_PASSWORD, sizeof(LAB_PASSWORD));
		size_t len = pad + strlen(LAB_PASSWORD);
		b64 = codec_base64_encode(buf, len);
		cr_assert_not_null(b64);
		/* Only whole base64 groups made of password bytes alone. */
		size_t from = pad ? 4 : 0, to = len / 3 * 4;
		snprintf(forms[2 + pad], 128, "%.*s", (int)(to - from), b64 + from);
		free(b64);
	}
}

/* Index of the first form of the password in text, or -1. */
static int find_secret(const char *text)
{
	char forms[SECRET_FORMS][128];
	secret_forms(forms);
	for (int i = 0; i < SECRET_FORMS; i++)
		if (strstr(text, forms[i]) != NULL)
			return i;
	return -1;
}

/* Writes the lab password into the lab's directory with the given mode. */
static void write_password_file(char *path, size_t len, mode_t mode)
{
	snprintf(path, len, "%s/password", lab.dir);
	FILE *f = fopen(path, "w");
	cr_assert_not_null(f);
	fprintf(f, "%s\n", LAB_PASSWORD);
	fclose(f);
	cr_assert_eq(chmod(path, mode), 0);
}

/* The auth_credentials record of the target on that port. */
static json_t *credentials_probe(json_t *doc, unsigned port)
{
	size_t i, j;
	json_t *t, *p;
	json_array_foreach(json_object_get(doc, "targets"), i, t)
	{
		if (json_integer_value(json_object_get(t, "port")) != port)
			continue;
		json_array_foreach(json_object_get(t, "probes"), j, p)
		{
			if (strcmp(json_string_value(json_object_get(p, "name")),
			           "auth_credentials") == 0)
				return p;
		}
	}
	cr_assert_fail("no auth_credentials record for port %u", port);
	return NULL;
}

static void assert_credentials_verdict(json_t *doc, unsigned port, const char *verdict,
                                       const char *reason_part)
{
	json_t *p = credentials_probe(doc, port);
	const char *v = json_string_value(json_object_get(p, "verdict"));
	const char *reason = json_string_value(json_object_get(p, "verdict_reason"));
	cr_assert_str_eq(v, verdict, "port %u: %s (%s)", port, v, reason ? reason : "");
	cr_assert(reason != NULL && strstr(reason, reason_part) != NULL, "port %u: reason %s", port,
	          reason ? reason : "(none)");
}

static unsigned port_of(const char *persona, size_t nth)
{
	for (size_t i = 0; i < lab.nlisteners; i++)
		if (strcmp(lab.listeners[i].persona, persona) == 0 && nth-- == 0)
			return lab.listeners[i].port;
	cr_assert_fail("no listener %s", persona);
	return 0;
}

/* A password form on a log line is only fine as a command inside a TLS session. */
static void assert_secret_only_inside_tls(const struct timeline *tl, size_t *logins)
{
	*logins = 0;
	for (size_t i = 0; i < tl->n; i++) {
		const struct event *e = &tl->events[i];
		int form = find_secret(e->text);
		if (form < 0)
			continue;
		cr_assert(event_is(e, "C:"), "password (form %d) in a %s line", form, e->kind);
		bool tls = false;
		for (size_t j = 0; j < i && !tls; j++)
			tls =
			    tl->events[j].session == e->session && event_is(&tl->events[j], "TLS");
		cr_assert(tls, "%s s%" PRIu64 ": password (form %d) before TLS: %s", e->persona,
		          e->session, form, e->text);
		cr_assert(strcmp(e->persona, "hardened") == 0 ||
		              strcmp(e->persona, "tls-only-submission") == 0 ||
		              strcmp(e->persona, "auth-before-tls") == 0,
		          "password sent to %s", e->persona);
		(*logins)++;
	}
}

/*
 * Every probe with a real login against servers that must not get it:
 * no STARTTLS (no-starttls), a failing handshake (starttls-broken), junk
 * instead of TLS (tls-junk), a certificate that cannot be checked (a
 * target given as an address), and AUTH offered in cleartext
 * (auth-before-tls, which may only get it inside TLS). hardened binds
 * senders to logins; tls-only-submission lets the user send as anyone.
 * The lab presents the test CA's certificate for mx.lab.test and localhost.
 */
Test(safety, credentials_only_inside_verified_tls)
{
	char cert[TEST_CERTS_PATH_MAX], key[TEST_CERTS_PATH_MAX], ca[TEST_CERTS_PATH_MAX];
	test_certs_path(cert, "good.chain.pem");
	test_certs_path(key, "good.key");
	test_certs_path(ca, "ca.crt");
	const char *specs[] = {
	    "127.0.0.1:0=no-starttls",
	    "127.0.0.1:0=starttls-broken",
	    "127.0.0.1:0=tls-junk",
	    "127.0.0.1:0=auth-before-tls",
	    "127.0.0.1:0=hardened",
	    "127.0.0.1:0=hardened",
	    "127.0.0.1:0=tls-only-submission",
	};
	const char *extra[] = {"--cert", cert, "--key", key, NULL};
	cr_assert_eq(lab_start(&lab, specs, sizeof(specs) / sizeof(specs[0]), extra), 0);
	char password[300];
	write_password_file(password, sizeof(password), 0600);

	struct argv a = {0};
	/* All probes on one address: a longer budget, so auth_credentials (the last) always runs.
	 */
	const char *base[] = {SCAN_ALL_PROBES,
	                      "-v",
	                      "--per-host",
	                      "8",
	                      "--target-timeout",
	                      "40s",
	                      "--ca-file",
	                      ca,
	                      "--auth-user",
	                      LAB_USER,
	                      "--auth-password-file",
	                      password,
	                      NULL};
	argv_add_all(&a, base);
	static char targets[8][80];
	for (size_t i = 0; i < lab.nlisteners; i++) {
		/* The second hardened is named by its address: its certificate cannot be checked.
		 */
		bool by_address = strcmp(lab.listeners[i].persona, "hardened") == 0 &&
		                  lab.listeners[i].port == port_of("hardened", 1);
		snprintf(targets[i], sizeof(targets[i]), "%s:%u",
		         by_address ? "127.0.0.1" : "localhost", (unsigned)lab.listeners[i].port);
		argv_add(&a, targets[i]);
	}
	struct run_result r;
	json_t *doc = scan(&a, &r);

	struct timeline tl;
	timeline_load(&tl);
	size_t logins;
	assert_secret_only_inside_tls(&tl, &logins);
	cr_assert_eq(logins, 3,
	             "%zu logins, expected one each on auth-before-tls, hardened and "
	             "tls-only-submission",
	             logins);
	cr_assert_eq(find_secret(r.out), -1, "password in the report");
	cr_assert_eq(find_secret(r.err), -1, "password in the transcripts");
	cr_assert_not_null(strstr(r.err, "AUTH PLAIN <redacted>"), "the login is traced redacted");

	assert_credentials_verdict(doc, port_of("no-starttls", 0), "inconclusive",
	                           "credentials not sent: the server offers no STARTTLS");
	assert_credentials_verdict(doc, port_of("starttls-broken", 0), "inconclusive",
	                           "credentials not sent");
	assert_credentials_verdict(doc, port_of("tls-junk", 0), "inconclusive",
	                           "credentials not sent");
	assert_credentials_verdict(doc, port_of("hardened", 1), "inconclusive",
	                           "credentials not sent: the target is an address");
	assert_credentials_verdict(doc, port_of("hardened", 0), "not-vulnerable",
	                           "Sender address rejected");
	assert_credentials_verdict(doc, port_of("tls-only-submission", 0), "vulnerable",
	                           "same-domain sender <postmaster@lab.test>: RCPT 250");
	cr_assert(report_has(doc, "127.0.0.1", "SMTP-AUTH-009"));
	assert_no_mail_transfer(&tl, NULL);
	timeline_free(&tl);
	json_decref(doc);
	run_result_free(&r);
}

Test(safety, password_file_others_can_read_is_refused)
{
	const char *specs[] = {"127.0.0.1:0=hardened"};
	cr_assert_eq(lab_start(&lab, specs, 1, NULL), 0);
	char password[300], target[80];
	write_password_file(password, sizeof(password), 0644);
	lab_target(&lab, "hardened", target, sizeof(target));
	const char *argv[] = {SA_AUDIT_BIN, "--auth-user", LAB_USER, "--auth-password-file",
	                      password,     target,        NULL};
	struct run_result r;
	cr_assert_eq(run_command(argv, 20, NULL, &r), 0);
	cr_assert_eq(r.exit_code, 2, "stderr: %s", r.err);
	cr_assert_not_null(strstr(r.err, "other users can read"), "stderr: %s", r.err);
	cr_assert_eq(find_secret(r.err), -1);
	cr_assert_eq(lab_log_count(&lab, " CONNECT"), 0, "nothing scanned");
	run_result_free(&r);
}

/* ---- 4. a server that answers 421 is backed off ---- */

#define RETRY_DELAY_MS 300
#define RETRIES        3
/* A connection, its 421 and the close take a few ms on loopback; the lab logs the accept. */
#define RETRY_SLACK_MS 250

static void assert_backed_off(const struct timeline *tl, const char *address)
{
	struct span spans[16];
	size_t n = spans_of(tl, address, false, spans, 16);
	cr_assert_eq(n, RETRIES + 1, "%s: %zu connections, --retries %d", address, n, RETRIES);
	for (size_t i = 1; i < n; i++) {
		int64_t gap = spans[i].start - spans[i - 1].start;
		int64_t want = (int64_t)RETRY_DELAY_MS << (i - 1);
		cr_assert_geq(gap, want - LAB_ACCEPT_JITTER_MS,
		              "%s: retry %zu after %" PRId64
		              " ms, --retry-delay doubled is %" PRId64,
		              address, i, gap, want);
		cr_assert_leq(gap, want + RETRY_SLACK_MS,
		              "%s: retry %zu after %" PRId64 " ms, expected about %" PRId64,
		              address, i, gap, want);
	}
}

Test(safety, a_host_answering_421_is_retried_with_doubling_delays)
{
	const char *specs[] = {"127.0.3.1:0=greet-421", "127.0.3.2:0=ehlo-421",
	                       "127.0.3.3:0=hardened"};
	cr_assert_eq(lab_start(&lab, specs, 3, NULL), 0);
	char retries[16], delay[32];
	snprintf(retries, sizeof(retries), "%d", RETRIES);
	snprintf(delay, sizeof(delay), "%dms", RETRY_DELAY_MS);
	struct argv a = {0};
	const char *base[] = {
	    SA_AUDIT_BIN,          "-o",    "json",          "--probes", "inventory",
	    "--retries",           retries, "--retry-delay", delay,      "--helo",
	    "scanner.example.net", NULL};
	argv_add_all(&a, base);
	argv_add_targets(&a);
	struct run_result r;
	json_t *doc = scan(&a, &r);
	struct timeline tl;
	timeline_load(&tl);
	assert_backed_off(&tl, "127.0.3.1");
	assert_backed_off(&tl, "127.0.3.2");
	size_t healthy = 0;
	for (size_t i = 0; i < tl.n; i++)
		healthy += strcmp(tl.events[i].address, "127.0.3.3") == 0 &&
		           event_is(&tl.events[i], "CONNECT");
	cr_assert_eq(healthy, 1, "the healthy neighbour is scanned once");
	size_t i;
	json_t *t;
	json_array_foreach(json_object_get(doc, "targets"), i, t)
	{
		const char *addr = json_string_value(json_object_get(t, "address"));
		const char *outcome = json_string_value(json_object_get(t, "outcome"));
		cr_assert_str_eq(outcome,
		                 strcmp(addr, "127.0.3.3") == 0 ? "completed" : "throttled",
		                 "%s: %s", addr, outcome);
	}
	timeline_free(&tl);
	json_decref(doc);
	run_result_free(&r);
}
