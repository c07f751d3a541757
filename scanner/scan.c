/*
 * NAME
 *	scan - one active scan, start to finish
 */
#include "scan.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "atomic_file.h"
#include "baseline.h"
#include "cli.h"
#include "dns.h"
#include "domain_scan.h"
#include "partial_scan.h"
#include "progress.h"
#include "sa_error.h"
#include "scheduler.h"
#include "tls_conn.h"

static int64_t scan_wall_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A random RFC 4122 version 4 UUID, so SIEM events of one run can be grouped. */
static void scan_new_id(char id[37])
{
	unsigned char b[16] = {0};
	if (getrandom(b, sizeof(b), 0) != (ssize_t)sizeof(b))
		memset(b, 0, sizeof(b));
	b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
	b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
	snprintf(id, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		 b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12],
		 b[13], b[14], b[15]);
}

static bool scan_use_color(const struct scan_options *opt, FILE *out)
{
	switch (opt->color) {
	case SCAN_COLOR_ALWAYS:
		return true;
	case SCAN_COLOR_NEVER:
		return false;
	case SCAN_COLOR_AUTO:
		break;
	}
	const char *no_color = getenv("NO_COLOR");
	return opt->out_path == NULL && isatty(fileno(out)) && (no_color == NULL || !*no_color);
}

/* Some target reached SMTP, or some domain's DNS could be read. */
static bool scan_audited_anything(const struct scan_result *result)
{
	for (size_t i = 0; i < result->ndomains; i++)
		if (result->domains[i]->route != DOMAIN_ROUTE_FAILED)
			return true;
	return scan_result_any_completed(result);
}

static int scan_exit_code(const struct scan_options *opt, const struct scan_result *result,
			  const struct baseline_diff *diff)
{
	if (result->interrupted)
		return CLI_EXIT_INTERRUPTED;
	if (!scan_audited_anything(result))
		return CLI_EXIT_NO_TARGET;
	size_t failing = opt->fail_on_new ? baseline_count_new_at_least(diff, opt->fail_on)
					  : scan_result_count_at_least(result, opt->fail_on);
	if (opt->fail_on < SEVERITY_COUNT && failing > 0)
		return CLI_EXIT_FINDINGS;
	return CLI_EXIT_CLEAN;
}

/* Runs the loop over every target; returns 0 or the first report error. */
/*
 * SIGINT/SIGTERM: the first stops the scan and lets the report be written
 * with what completed; a second one means "now": exit without a report
 * (streamed NDJSON lines are already on disk).
 */
static void scan_on_signal(uv_signal_t *handle, int signum)
{
	struct scheduler *sched = handle->data;
	if (sched->interrupted) {
		static const char msg[] = "smtp-audit: interrupted again, exiting now\n";
		ssize_t n = write(STDERR_FILENO, msg, sizeof(msg) - 1);
		(void)n;
		_exit(128 + signum); /* as if the signal had killed us, which is what was asked */
	}
	fprintf(stderr, "smtp-audit: %s: stopping, writing what completed (again to quit now)\n",
		signum == SIGINT ? "SIGINT" : "SIGTERM");
	scheduler_interrupt(sched, signum == SIGINT ? "the scan was interrupted (SIGINT)"
						    : "the scan was interrupted (SIGTERM)");
}

/* Progress and the closing summary go to a terminal only: cron mail stays empty. */
static bool scan_show_progress(const struct scan_options *opt)
{
	return !opt->quiet && !opt->verbose && isatty(STDERR_FILENO);
}

/* Signal watchers that do not keep the loop alive on their own. */
static void scan_watch_signals(uv_loop_t *loop, uv_signal_t sig[2], struct scheduler *sched)
{
	static const int signums[2] = {SIGINT, SIGTERM};
	for (int i = 0; i < 2; i++) {
		uv_signal_init(loop, &sig[i]);
		sig[i].data = sched;
		uv_signal_start(&sig[i], scan_on_signal, signums[i]);
		uv_unref((uv_handle_t *)&sig[i]);
	}
}

/* The loop and the resolver, shared by the domain phase and the scan. */
struct scan_engine {
	uv_loop_t loop;
	struct dns *dns;
};

static int scan_engine_open(struct scan_engine *e, const struct scan_options *opt, char *err,
			    size_t errlen)
{
	if (uv_loop_init(&e->loop) != 0) {
		snprintf(err, errlen, "cannot start the event loop");
		return SA_ERROR_NOMEM;
	}
	int rc = dns_new(&e->dns, &e->loop, err, errlen);
	if (rc == 0 && opt->resolver != NULL)
		rc = dns_set_servers(e->dns, opt->resolver, err, errlen);
	if (rc != 0 && e->dns != NULL) {
		dns_close(e->dns);
		e->dns = NULL;
	}
	if (rc != 0) {
		uv_run(&e->loop, UV_RUN_DEFAULT);
		uv_loop_close(&e->loop);
	}
	return rc;
}

static void scan_engine_close(struct scan_engine *e)
{
	dns_close(e->dns);
	uv_run(&e->loop, UV_RUN_DEFAULT); /* lets close callbacks run */
	uv_loop_close(&e->loop);
}

/* The policy id of the domain in the --baseline report, for SMTP-DNS-027. */
static const char *scan_previous_sts_id(const void *arg, const char *domain)
{
	return baseline_run_mta_sts_id(arg, domain);
}

/*
 * Domain mode's DNS phase: the domains' results go into result, their MX
 * hosts into the target list (port 25 or --mx-port), before the report begins.
 */
static int scan_domains(struct scan_engine *e, struct scan_options *opt, struct tls_ctx *tls,
			const struct baseline_run *base, struct scan_result *result,
			struct domain_scan **ds)
{
	const struct domain_scan_config cfg = {
		.domains = opt->domains.names,
		.ndomains = opt->domains.n,
		.mta_sts_port = opt->mta_sts_port,
		.mx_port = opt->mx_port,
		.previous_sts_id = scan_previous_sts_id,
		.previous_arg = base,
		.https_timeout_ms = opt->timeouts.connect_ms + opt->timeouts.reply_ms,
	};
	int rc = domain_scan_run(&e->loop, e->dns, tls, &cfg, result, ds);
	const char *host;
	for (size_t i = 0; rc == 0 && (host = domain_scan_host_at(*ds, i)) != NULL; i++) {
		char text[300], msg[512];
		snprintf(text, sizeof(text), "%s:%u", host, opt->mx_port);
		rc = target_list_add(&opt->targets, text, "MX host", msg, sizeof(msg));
	}
	return rc;
}

static int scan_loop(struct scan_engine *e, const struct scan_options *opt, struct tls_ctx *tls,
		     struct scan_result *result, const struct report_options *ropt,
		     struct domain_scan *ds)
{
	uv_signal_t sig[2];
	struct progress progress = {.running = false};
	struct scheduler *sched = malloc(sizeof(*sched));
	if (sched == NULL)
		return SA_ERROR_NOMEM;
	scheduler_init(sched, &e->loop, opt, tls, e->dns, result, ropt);
	if (ds != NULL)
		scheduler_set_finish_hook(sched, domain_scan_finish_target, ds);
	scan_watch_signals(&e->loop, sig, sched);
	if (scan_show_progress(opt))
		progress_start(&progress, &e->loop, result,
			       target_list_estimate(&opt->targets, opt->nports), stderr);
	scheduler_start(sched);
	uv_run(&e->loop, UV_RUN_DEFAULT);
	progress_stop(&progress);
	int rc = sched->report_error;
	for (int i = 0; i < 2; i++)
		uv_close((uv_handle_t *)&sig[i], NULL);
	scheduler_close(sched);
	uv_run(&e->loop, UV_RUN_DEFAULT); /* lets close callbacks run */
	free(sched);
	return rc;
}

/*
 * Where the report goes: stdout; with --out a temporary file renamed into
 * place at the end, so a reader never sees half a report; or, for a
 * writer that streams (ndjson, ocsf), the file itself, so a scan that is
 * killed leaves every line it wrote.
 */
struct scan_out {
	struct atomic_file af;
	FILE *direct;
};

static FILE *scan_out_open(struct scan_out *o, const struct scan_options *opt, char *err,
			   size_t errlen)
{
	*o = (struct scan_out){.direct = NULL};
	if (opt->out_path == NULL)
		return stdout;
	if (opt->writer->streams) {
		o->direct = fopen(opt->out_path, "w");
		if (o->direct == NULL)
			snprintf(err, errlen, "%s: %s", opt->out_path, strerror(errno));
		return o->direct;
	}
	return atomic_file_open(&o->af, opt->out_path, err, errlen) == 0 ? o->af.fp : NULL;
}

/* Closes what scan_out_open() opened; rc is the writer's result. 0 or an error (err set). */
static int scan_out_close(struct scan_out *o, int rc, char *err, size_t errlen)
{
	if (o->direct != NULL) {
		if (fclose(o->direct) == 0 || rc != 0)
			return 0;
		snprintf(err, errlen, "%s", strerror(errno));
		return SA_ERROR_IO;
	}
	if (o->af.fp == NULL)
		return 0;
	if (rc != 0) {
		atomic_file_abort(&o->af);
		return 0;
	}
	return atomic_file_commit(&o->af, err, errlen);
}

/* The options and TLS context a scan runs with; 0 or a usage error (printed). */
static int scan_prepare(const struct scan_options *opt, struct tls_ctx **tls,
			struct scan_engine *engine)
{
	char err[512];
	if (tls_ctx_new_client(tls, opt->ca_file, err, sizeof(err)) != 0) {
		fprintf(stderr, "smtp-audit: --ca-file: %s\n", err);
		return CLI_EXIT_USAGE;
	}
	if (opt->domains.n > 0)
		tls_ctx_keep_chain(*tls);
	if (scan_engine_open(engine, opt, err, sizeof(err)) != 0) {
		fprintf(stderr, "smtp-audit: %s%s\n", opt->resolver != NULL ? "--resolver: " : "",
			err);
		tls_ctx_free(*tls);
		return CLI_EXIT_USAGE;
	}
	return 0;
}

int scan_run(struct scan_options *opt)
{
	char err[512];
	struct tls_ctx *tls = NULL;
	struct scan_out sout;
	struct baseline_run base;
	struct scan_engine engine;
	struct domain_scan *domains = NULL;
	if (baseline_run_open(&base, opt->baseline_path, err, sizeof(err)) != 0) {
		fprintf(stderr, "smtp-audit: --baseline: %s\n", err);
		return CLI_EXIT_USAGE;
	}
	if (scan_prepare(opt, &tls, &engine) != 0) {
		baseline_run_close(&base);
		return CLI_EXIT_USAGE;
	}
	struct scan_result result;
	scan_result_init(&result);
	scan_new_id(result.scan_id);
	result.started_ms = scan_wall_ms();
	struct partial_scan part = {.active = false};
	FILE *out = NULL;
	int rc = opt->domains.n > 0 ? scan_domains(&engine, opt, tls, &base, &result, &domains) : 0;
	if (rc != 0)
		fprintf(stderr, "smtp-audit: --domain: %s\n", sa_error_str(rc));
	else if (partial_scan_open(&part, opt, &result, err, sizeof(err)) != 0)
		fprintf(stderr, "smtp-audit: --resume: %s\n", err);
	else if ((out = scan_out_open(&sout, opt, err, sizeof(err))) == NULL)
		fprintf(stderr, "smtp-audit: --out: %s\n", err);
	if (out == NULL) {
		partial_scan_close(&part);
		scan_result_free(&result);
		domain_scan_free(domains);
		scan_engine_close(&engine);
		tls_ctx_free(tls);
		baseline_run_close(&base);
		return CLI_EXIT_USAGE;
	}
	struct report_options ropt = {
		.out = out,
		.scan_id = result.scan_id,
		.color = scan_use_color(opt, out),
		.verbose = opt->verbose,
		.tool_version = SA_VERSION,
		.fail_on = opt->fail_on,
		.baseline = baseline_run_diff(&base),
		.baseline_file = opt->baseline_path,
		.fail_on_new = opt->fail_on_new,
	};

	rc = opt->writer->begin ? opt->writer->begin(&ropt, &result) : 0;
	if (rc == 0)
		rc = partial_scan_replay(&part, &ropt, &result);
	if (rc == 0)
		rc = scan_loop(&engine, partial_scan_options(&part, opt), tls, &result,
			       partial_scan_report(&part, &ropt), domains);
	result.finished_ms = scan_wall_ms();
	scan_result_sort(&result);
	if (rc == 0)
		rc = baseline_run_compare(&base, &result);
	if (rc == 0)
		rc = opt->writer->end ? opt->writer->end(&ropt, &result) : 0;
	if (rc == 0 && fflush(out) != 0)
		rc = SA_ERROR_IO;

	if (scan_show_progress(opt))
		progress_summary(&result, (uint64_t)(result.finished_ms - result.started_ms), stderr);
	int code = scan_exit_code(opt, &result, baseline_run_diff(&base));
	if (rc != 0) {
		fprintf(stderr, "smtp-audit: writing the report failed: %s\n", sa_error_str(rc));
		code = CLI_EXIT_USAGE;
	}
	if (scan_out_close(&sout, rc, err, sizeof(err)) != 0) {
		fprintf(stderr, "smtp-audit: --out: %s\n", err);
		code = CLI_EXIT_USAGE;
	}
	baseline_run_close(&base);
	partial_scan_close(&part);
	scan_result_free(&result);
	domain_scan_free(domains);
	scan_engine_close(&engine);
	tls_ctx_free(tls);
	return code;
}
