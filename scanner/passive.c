/*
 * NAME
 *	passive - the `smtp-audit passive` subcommand: audit recorded or live SMTP traffic
 *
 * DESCRIPTION
 *	Options are parsed into struct passive_args; the capture feeds the
 *	reassembler, whose events drive the tracker; at the end every flow is
 *	closed, the servers' results are sorted and written like a scan's.
 *	The report's times are capture times, and its id is derived from the
 *	source and the traffic, so reading the same file twice gives the same
 *	report.
 *
 * DIAGNOSTICS
 *	See passive.h.
 */
#include "passive.h"

#include <assert.h>
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "atomic_file.h"
#include "cli.h"
#include "codec.h"
#include "passive_capture.h"
#include "passive_smtp.h"
#include "report.h"
#include "sa_error.h"
#include "smtp_addr.h"
#include "target.h"

#define PASSIVE_MAX_PORTS     64
#define PASSIVE_MAX_NETS      256
#define PASSIVE_MAX_DOMAINS   256
#define PASSIVE_DEFAULT_FLOWS 65536

struct passive_args {
	const char *file, *iface, *filter;
	uint16_t ports[PASSIVE_MAX_PORTS];
	size_t nports;
	double duration;
	uint64_t count;
	size_t max_flows;
	struct target_spec nets[PASSIVE_MAX_NETS];
	size_t nnets;
	char *domains[PASSIVE_MAX_DOMAINS];
	size_t ndomains;
	const struct report_writer *writer;
	const char *out_path;
	enum finding_severity fail_on;
	bool quiet;
};

/* The capture a signal should stop: the one process-wide thing a handler can reach. */
static struct passive_capture *volatile passive_running;

static const char passive_usage_text[] =
    "Passive mode: audit recorded or live SMTP traffic instead of connecting anywhere.\n"
    "Usage: smtp-audit passive (-r FILE | -i IFACE) [OPTIONS]\n"
    "  -r, --read FILE          read a pcap or pcapng capture file\n"
    "  -i, --interface IFACE    capture live on IFACE (needs CAP_NET_RAW; SIGINT ends it)\n"
    "  -p, --ports LIST         SMTP ports besides 25, 465, 587 and 2525 (filter and roles)\n"
    "      --filter BPF         capture filter replacing the default (TCP on the SMTP ports)\n"
    "      --duration DUR       stop after DUR (capture time for a file, wall time live)\n"
    "      --count N            stop after N packets\n"
    "      --max-flows N        TCP connections followed at once (default 65536; the least\n"
    "                           recently active one is dropped to make room)\n"
    "      --local-domains LIST comma-separated domains this site receives mail for (and their\n"
    "                           subdomains); a RCPT elsewhere that is accepted from an\n"
    "                           untrusted, unauthenticated client is relaying (off without it)\n"
    "      --trusted-nets LIST  comma-separated addresses or CIDR blocks allowed to relay\n"
    "  -o, --output, --out, --fail-on, -q, --quiet: as for a scan\n"
    "Reports credentials sent before TLS (user names shown, passwords never), AUTH offered\n"
    "before TLS, STARTTLS missing, refused or ignored, the TLS version and suite after\n"
    "STARTTLS, relaying, and each client with its HELO names; one target per server.\n"
    "Exit 0, 1, 2 as for a scan; 3: no SMTP session in the traffic.\n";

void passive_usage(FILE *out)
{
	fputs(passive_usage_text, out);
}

static void passive_args_free(struct passive_args *a)
{
	for (size_t i = 0; i < a->nnets; i++)
		target_spec_free(&a->nets[i]);
	for (size_t i = 0; i < a->ndomains; i++)
		free(a->domains[i]);
}

/* Splits a comma-separated list in place; calls add for each non-empty item. */
static int passive_each_item(char *list, struct passive_args *a,
                             int (*add)(struct passive_args *a, const char *item))
{
	char *save = NULL;
	for (char *item = strtok_r(list, ", ", &save); item != NULL;
	     item = strtok_r(NULL, ", ", &save)) {
		int code = add(a, item);
		if (code >= 0)
			return code;
	}
	return -1;
}

static int passive_add_net(struct passive_args *a, const char *item)
{
	char err[256];
	if (a->nnets == PASSIVE_MAX_NETS)
		return cli_subcommand_usage_error("passive", "--trusted-nets: more than %d entries",
		                                  PASSIVE_MAX_NETS);
	struct target_spec *spec = &a->nets[a->nnets];
	if (target_parse(item, spec, err, sizeof(err)) != 0)
		return cli_subcommand_usage_error("passive", "--trusted-nets: %s", err);
	a->nnets++;
	if (spec->kind == TARGET_NAME || spec->port != 0)
		return cli_subcommand_usage_error(
		    "passive", "--trusted-nets: '%s' is not an address or CIDR block", item);
	return -1;
}

static int passive_add_domain(struct passive_args *a, const char *item)
{
	if (a->ndomains == PASSIVE_MAX_DOMAINS)
		return cli_subcommand_usage_error(
		    "passive", "--local-domains: more than %d entries", PASSIVE_MAX_DOMAINS);
	char *d = strdup(item);
	if (d == NULL)
		return cli_subcommand_usage_error("passive", "out of memory");
	a->domains[a->ndomains++] = d;
	size_t len = strlen(d);
	if (len > 1 && d[len - 1] == '.')
		d[--len] = '\0';
	for (char *p = d; *p != '\0'; p++)
		*p = (char)(*p >= 'A' && *p <= 'Z' ? *p - 'A' + 'a' : *p);
	/* A one-label domain ("localdomain") is allowed, which smtp_addr_is_hostname refuses. */
	char probe[300];
	snprintf(probe, sizeof(probe), "x.%s", d);
	if (!smtp_addr_is_hostname(probe))
		return cli_subcommand_usage_error(
		    "passive", "--local-domains: '%s' is not a domain name", item);
	return -1;
}

static int passive_set_list(struct passive_args *a, const char *arg,
                            int (*add)(struct passive_args *a, const char *item))
{
	char *copy = strdup(arg);
	if (copy == NULL)
		return cli_subcommand_usage_error("passive", "out of memory");
	int code = passive_each_item(copy, a, add);
	free(copy);
	return code;
}

static bool passive_uint(const char *text, uint64_t max, uint64_t *out)
{
	char *end;
	errno = 0;
	if (text[0] < '0' || text[0] > '9')
		return false;
	unsigned long long v = strtoull(text, &end, 10);
	if (errno != 0 || *end != '\0' || v == 0 || v > max)
		return false;
	*out = v;
	return true;
}

/* One option; -1 to go on, else the exit code. */
static int passive_option(struct passive_args *a, int code, const char *arg)
{
	char err[256];
	uint64_t v, ms;
	switch (code) {
	case 'r':
		a->file = arg;
		return -1;
	case 'i':
		a->iface = arg;
		return -1;
	case 'p':
		if (target_ports_parse(arg, a->ports, PASSIVE_MAX_PORTS, &a->nports, err,
		                       sizeof(err)) != 0)
			return cli_subcommand_usage_error("passive", "--ports: %s", err);
		return -1;
	case 'B':
		a->filter = arg;
		return -1;
	case 'D':
		if (!cli_duration(arg, &ms))
			return cli_subcommand_usage_error(
			    "passive", "--duration: '%s' is not a duration (e.g. 30s, 5m)", arg);
		a->duration = (double)ms / 1000.0;
		return -1;
	case 'C':
		if (!passive_uint(arg, UINT64_MAX, &a->count))
			return cli_subcommand_usage_error(
			    "passive", "--count: '%s' is not a positive integer", arg);
		return -1;
	case 'M':
		if (!passive_uint(arg, 16777216, &v))
			return cli_subcommand_usage_error(
			    "passive", "--max-flows: '%s' is not an integer between 1 and 16777216",
			    arg);
		a->max_flows = (size_t)v;
		return -1;
	case 'L':
		return passive_set_list(a, arg, passive_add_domain);
	case 'T':
		return passive_set_list(a, arg, passive_add_net);
	case 'o':
		a->writer = report_find(arg);
		if (a->writer == NULL)
			return cli_subcommand_usage_error("passive",
			                                  "--output: unknown format '%s'", arg);
		return -1;
	case 'O':
		a->out_path = arg;
		return -1;
	case 'F':
		if (!cli_fail_on(arg, &a->fail_on))
			return cli_subcommand_usage_error("passive", CLI_FAIL_ON_ERROR, arg);
		return -1;
	case 'q':
		a->quiet = true;
		return -1;
	case 'h':
		passive_usage(stdout);
		return CLI_EXIT_CLEAN;
	default:
		/* getopt_long already said what was wrong. */
		return cli_subcommand_usage_error("passive", "invalid option");
	}
}

/* -1 to run, else the exit code (help printed, or a usage error). */
static int passive_parse(struct passive_args *a, int argc, char **argv)
{
	static const struct option options[] = {
	    {"read", required_argument, NULL, 'r'},
	    {"interface", required_argument, NULL, 'i'},
	    {"ports", required_argument, NULL, 'p'},
	    {"filter", required_argument, NULL, 'B'},
	    {"duration", required_argument, NULL, 'D'},
	    {"count", required_argument, NULL, 'C'},
	    {"max-flows", required_argument, NULL, 'M'},
	    {"local-domains", required_argument, NULL, 'L'},
	    {"trusted-nets", required_argument, NULL, 'T'},
	    {"output", required_argument, NULL, 'o'},
	    {"out", required_argument, NULL, 'O'},
	    {"fail-on", required_argument, NULL, 'F'},
	    {"quiet", no_argument, NULL, 'q'},
	    {"help", no_argument, NULL, 'h'},
	    {0},
	};
	*a = (struct passive_args){
	    .max_flows = PASSIVE_DEFAULT_FLOWS,
	    .writer = report_find("text"),
	    .fail_on = SEVERITY_MEDIUM,
	};
	assert(a->writer != NULL);
	optind = 0;
	int code;
	while ((code = getopt_long(argc, argv, "r:i:p:o:qh", options, NULL)) != -1) {
		int rc = passive_option(a, code, optarg);
		if (rc >= 0)
			return rc;
	}
	if (optind < argc)
		return cli_subcommand_usage_error("passive", "unexpected argument '%s'",
		                                  argv[optind]);
	if ((a->file == NULL) == (a->iface == NULL))
		return cli_subcommand_usage_error("passive",
		                                  "give exactly one of -r FILE and -i IFACE");
	return -1;
}

static void passive_on_signal(int signum)
{
	(void)signum;
	struct passive_capture *c = passive_running;
	if (c != NULL)
		passive_capture_stop(c);
}

static void passive_on_segment(void *user, const struct tcp_segment *seg)
{
	/* SA_ERROR_NOMEM drops the segment: the flow then shows a gap. */
	(void)tcp_reasm_segment(user, seg);
}

/* A report id derived from the source and what it held, formatted like a scan id. */
static void passive_report_id(const struct passive_args *a, const struct scan_result *scan,
                              const struct passive_capture_stats *st, char id[37])
{
	char seed[512], hex[65];
	int n = snprintf(seed, sizeof(seed), "passive|%s|%s|%lld|%lld|%llu", a->file ? a->file : "",
	                 a->iface ? a->iface : "", (long long)scan->started_ms,
	                 (long long)scan->finished_ms, (unsigned long long)st->packets);
	codec_sha256_hex(seed, (size_t)n < sizeof(seed) ? (size_t)n : sizeof(seed) - 1, hex);
	hex[12] = '4';
	hex[16] = "89ab"[hex[16] % 4];
	snprintf(id, 37, "%.8s-%.4s-%.4s-%.4s-%.12s", hex, hex + 8, hex + 12, hex + 16, hex + 20);
}

/* The capture span: the earliest start and latest end of any server's flows. */
static void passive_span(struct scan_result *scan)
{
	for (size_t i = 0; i < scan->ntargets; i++) {
		const struct target_result *t = scan->targets[i];
		if (scan->started_ms == 0 || t->started_ms < scan->started_ms)
			scan->started_ms = t->started_ms;
		if (t->finished_ms > scan->finished_ms)
			scan->finished_ms = t->finished_ms;
	}
}

static int passive_write(const struct passive_args *a, FILE *out, const struct scan_result *scan)
{
	const struct report_options ropt = {
	    .out = out,
	    .tool_version = SA_VERSION,
	    .scan_id = scan->scan_id,
	    .fail_on = a->fail_on,
	};
	return report_write_finished(a->writer, &ropt, scan);
}

/* Writes to stdout, or atomically to --out. 0 or SA_ERROR_IO (reason printed). */
static int passive_output(const struct passive_args *a, const struct scan_result *scan)
{
	char err[512];
	if (a->out_path == NULL)
		return passive_write(a, stdout, scan);
	struct atomic_file af;
	if (atomic_file_open(&af, a->out_path, err, sizeof(err)) != 0) {
		fprintf(stderr, "smtp-audit passive: --out: %s\n", err);
		return SA_ERROR_IO;
	}
	int rc = passive_write(a, af.fp, scan);
	if (rc != 0) {
		atomic_file_abort(&af);
		return rc;
	}
	if (atomic_file_commit(&af, err, sizeof(err)) != 0) {
		fprintf(stderr, "smtp-audit passive: --out: %s\n", err);
		return SA_ERROR_IO;
	}
	return 0;
}

static void passive_summary(const struct passive_capture_stats *cs,
                            const struct passive_smtp_stats *ps, const struct tcp_reasm_stats *rs,
                            size_t servers)
{
	fprintf(stderr,
	        "smtp-audit passive: %llu packets, %llu SMTP flows to %zu servers, %llu gaps, "
	        "%llu over-long lines, %llu unparsable replies, %llu flows dropped for "
	        "--max-flows",
	        (unsigned long long)cs->packets, (unsigned long long)ps->flows, servers,
	        (unsigned long long)ps->gaps, (unsigned long long)ps->lines_too_long,
	        (unsigned long long)ps->reply_errors, (unsigned long long)rs->flows_evicted);
	if (cs->dropped > 0)
		fprintf(stderr, ", %llu packets dropped by the kernel",
		        (unsigned long long)cs->dropped);
	fputc('\n', stderr);
}

struct passive_run {
	struct passive_capture *capture;
	struct passive_smtp *tracker;
	struct tcp_reasm *reasm;
};

/* Opens the three stages; 0, or the exit code with the reason printed. */
static int passive_open(struct passive_run *run, const struct passive_args *a,
                        const struct passive_smtp_config *cfg)
{
	char err[512];
	static const uint16_t smtp_ports[] = PASSIVE_CAPTURE_SMTP_PORTS;
	uint16_t ports[PASSIVE_MAX_PORTS + PASSIVE_CAPTURE_NSMTP_PORTS];
	memcpy(ports, smtp_ports, sizeof(smtp_ports));
	memcpy(ports + PASSIVE_CAPTURE_NSMTP_PORTS, a->ports, a->nports * sizeof(a->ports[0]));
	const struct passive_capture_options copt = {
	    .file = a->file,
	    .iface = a->iface,
	    .extra_ports = a->ports,
	    .nextra_ports = a->nports,
	    .filter = a->filter,
	    .duration = a->duration,
	    .count = a->count,
	};
	int rc = passive_capture_open(&run->capture, &copt, err, sizeof(err));
	if (rc != 0) {
		fprintf(stderr, "smtp-audit passive: %s\n", err);
		return CLI_EXIT_USAGE;
	}
	run->tracker = passive_smtp_new(cfg);
	struct tcp_reasm_events ev;
	if (run->tracker != NULL) {
		passive_smtp_events(run->tracker, &ev);
		const struct tcp_reasm_limits lim = {
		    .max_flows = a->max_flows,
		    .server_ports = ports,
		    .nserver_ports = PASSIVE_CAPTURE_NSMTP_PORTS + a->nports,
		};
		run->reasm = tcp_reasm_new(&lim, &ev);
	}
	if (run->reasm == NULL) {
		fprintf(stderr, "smtp-audit passive: %s\n", sa_error_str(SA_ERROR_NOMEM));
		return CLI_EXIT_USAGE;
	}
	return 0;
}

static void passive_close(struct passive_run *run)
{
	tcp_reasm_free(run->reasm);
	passive_smtp_free(run->tracker);
	passive_capture_close(run->capture);
}

/* Captures to the end; 0 or the exit code (reason printed). */
static int passive_capture_all(struct passive_run *run)
{
	struct sigaction sa = {.sa_handler = passive_on_signal}, old_int, old_term;
	sigemptyset(&sa.sa_mask);
	passive_running = run->capture;
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);
	int rc = passive_capture_run(run->capture, passive_on_segment, run->reasm);
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	passive_running = NULL;
	if (rc != 0) {
		fprintf(stderr, "smtp-audit passive: reading the capture failed: %s\n",
		        sa_error_str(rc));
		return CLI_EXIT_USAGE;
	}
	return 0;
}

static int passive_report(struct passive_run *run, const struct passive_args *a)
{
	struct passive_capture_stats cs;
	struct passive_smtp_stats ps;
	struct tcp_reasm_stats rs;
	struct scan_result scan;
	scan_result_init(&scan);
	passive_capture_get_stats(run->capture, &cs);
	tcp_reasm_get_stats(run->reasm, &rs);
	/* Closing every flow delivers what is pending to the tracker first. */
	tcp_reasm_free(run->reasm);
	run->reasm = NULL;
	passive_smtp_get_stats(run->tracker, &ps);
	int rc = passive_smtp_collect(run->tracker, &scan);
	passive_span(&scan);
	passive_report_id(a, &scan, &cs, scan.scan_id);
	scan_result_sort(&scan);
	if (rc == 0)
		rc = passive_output(a, &scan);
	int code =
	    ps.flows == 0 ? CLI_EXIT_NO_TARGET
	    : a->fail_on < SEVERITY_COUNT && scan_result_count_at_least(&scan, a->fail_on) > 0
	        ? CLI_EXIT_FINDINGS
	        : CLI_EXIT_CLEAN;
	if (rc != 0) {
		if (rc != SA_ERROR_IO || a->out_path == NULL)
			fprintf(stderr, "smtp-audit passive: writing the report failed: %s\n",
			        sa_error_str(rc));
		code = CLI_EXIT_USAGE;
	}
	if (!a->quiet)
		passive_summary(&cs, &ps, &rs, scan.ntargets);
	scan_result_free(&scan);
	return code;
}

int passive_main(int argc, char **argv)
{
	struct passive_args a;
	int code = passive_parse(&a, argc, argv);
	if (code >= 0) {
		passive_args_free(&a);
		return code;
	}
	const struct passive_smtp_config cfg = {
	    .trusted_nets = a.nets,
	    .ntrusted_nets = a.nnets,
	    .local_domains = (const char *const *)a.domains,
	    .nlocal_domains = a.ndomains,
	};
	struct passive_run run = {.capture = NULL};
	code = passive_open(&run, &a, &cfg);
	if (code == 0)
		code = passive_capture_all(&run);
	if (code == 0)
		code = passive_report(&run, &a);
	passive_close(&run);
	passive_args_free(&a);
	return code;
}
