/*
 * NAME
 *	merge - join the JSON reports of --shard runs into one report
 *
 * DESCRIPTION
 *	See merge.h. Inputs are read one at a time; only their rebuilt
 *	targets and domains are kept, in one struct scan_result that is
 *	then written like a finished scan: begin(), target() for each
 *	target (for the writers that stream), end().
 */
#include "merge.h"

#include <getopt.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uthash.h>

#include "atomic_file.h"
#include "baseline.h"
#include "cli.h"
#include "codec.h"
#include "report.h"
#include "result_json.h"
#include "sa_error.h"

#define MERGE_USAGE                                                                                \
	"Usage: smtp-audit merge [-o FORMAT] [--out FILE] SHARD.json...\n"                         \
	"Join the -o json reports of smtp-audit --shard runs into one report, as if one scan\n"    \
	"had scanned every target. FORMAT is any -o format (default json); --out writes FILE\n"    \
	"atomically. A target found in two reports is an error; reports of another version or\n"   \
	"probe set, or of an interrupted scan, give a warning. Exit 0: merged, 2: usage error\n"   \
	"or invalid input.\n"

struct merge_args {
	const struct report_writer *writer;
	const char *out_path;
	char **inputs;
	size_t ninputs;
};

/* Where each target came from, to name both files of a duplicate. */
struct merge_seen {
	UT_hash_handle hh;
	const char *input;
	char key[];
};

struct merge {
	struct scan_result scan;
	struct merge_seen *seen;
	char **ids; /* the inputs' scan ids */
	size_t nids;
	char *first_version; /* tool version of the first input */
	char *first_probes;  /* probe names of the first input's targets */
	const char *first_input;
};

/* 0 to go on, else the exit code. */
static int merge_parse(struct merge_args *a, int argc, char **argv)
{
	static const struct option options[] = {
	    {"output", required_argument, NULL, 'o'},
	    {"out", required_argument, NULL, 'O'},
	    {"help", no_argument, NULL, 'h'},
	    {0},
	};
	*a = (struct merge_args){.writer = report_find("json")};
	optind = 0;
	int code;
	while ((code = getopt_long(argc, argv, "o:h", options, NULL)) != -1) {
		switch (code) {
		case 'o':
			a->writer = report_find(optarg);
			if (a->writer == NULL)
				return cli_subcommand_usage_error(
				    "merge", "--output: unknown format '%s'", optarg);
			break;
		case 'O':
			a->out_path = optarg;
			break;
		case 'h':
			fputs(MERGE_USAGE, stdout);
			return CLI_EXIT_CLEAN;
		default:
			/* getopt_long already said what was wrong. */
			return cli_subcommand_usage_error("merge", "invalid option");
		}
	}
	if (optind >= argc)
		return cli_subcommand_usage_error("merge",
		                                  "expects at least one report: SHARD.json...");
	a->inputs = argv + optind;
	a->ninputs = (size_t)(argc - optind);
	return -1;
}

static void merge_warn(const char *input, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void merge_warn(const char *input, const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "smtp-audit merge: warning: %s: ", input);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* The sorted, distinct probe names of a report's targets, comma-separated. */
static char *merge_probe_names(const json_t *targets)
{
	size_t i, j;
	const json_t *t, *p;
	json_t *set = json_object();
	json_array_foreach(targets, i, t) json_array_foreach(json_object_get(t, "probes"), j, p)
	{
		const char *name = json_string_value(json_object_get(p, "name"));
		if (name != NULL)
			json_object_set_new(set, name, json_true());
	}
	char *text = json_dumps(set, JSON_SORT_KEYS | JSON_COMPACT);
	json_decref(set);
	return text;
}

static int merge_note_settings(struct merge *m, const char *input, const json_t *doc)
{
	const char *version =
	    json_string_value(json_object_get(json_object_get(doc, "tool"), "version"));
	char *probes = merge_probe_names(json_object_get(doc, "targets"));
	if (probes == NULL)
		return SA_ERROR_NOMEM;
	if (m->first_input == NULL) {
		m->first_input = input;
		m->first_version = strdup(version ? version : "");
		m->first_probes = probes;
		return m->first_version == NULL ? SA_ERROR_NOMEM : 0;
	}
	if (strcmp(version ? version : "", m->first_version) != 0)
		merge_warn(input, "made by smtp-audit %s, %s by %s", version, m->first_input,
		           m->first_version);
	if (strcmp(probes, m->first_probes) != 0 && strcmp(probes, "{}") != 0 &&
	    strcmp(m->first_probes, "{}") != 0)
		merge_warn(input, "ran other probes than %s: %s, there %s", m->first_input, probes,
		           m->first_probes);
	free(probes);
	return 0;
}

static int merge_note_scan(struct merge *m, const char *input, const json_t *doc)
{
	const json_t *scan = json_object_get(doc, "scan");
	int64_t started, finished;
	if (result_json_time(json_string_value(json_object_get(scan, "started")), &started) != 0 ||
	    result_json_time(json_string_value(json_object_get(scan, "finished")), &finished) !=
	        0) {
		fprintf(stderr, "smtp-audit merge: %s: scan times are not valid\n", input);
		return SA_ERROR_PARSE;
	}
	if (m->nids == 0 || started < m->scan.started_ms)
		m->scan.started_ms = started;
	if (m->nids == 0 || finished > m->scan.finished_ms)
		m->scan.finished_ms = finished;
	if (json_is_true(json_object_get(scan, "interrupted"))) {
		m->scan.interrupted = true;
		merge_warn(input, "the scan was interrupted: targets it did not reach are missing");
	}
	m->ids[m->nids] = strdup(json_string_value(json_object_get(scan, "id")));
	return m->ids[m->nids++] == NULL ? SA_ERROR_NOMEM : 0;
}

/* Takes t into the merged scan unless an earlier input had it. */
static int merge_add_target(struct merge *m, const char *input, struct target_result *t)
{
	char *key;
	if (asprintf(&key, "%s|%s|%u", t->host, t->address ? t->address : "", t->port) < 0) {
		target_result_free(t);
		return SA_ERROR_NOMEM;
	}
	struct merge_seen *e;
	HASH_FIND_STR(m->seen, key, e);
	if (e != NULL) {
		fprintf(stderr, "smtp-audit merge: %s: target %s:%u (%s) is also in %s\n", input,
		        t->host, t->port, t->address ? t->address : "unresolved", e->input);
		free(key);
		target_result_free(t);
		return SA_ERROR_INVAL;
	}
	e = calloc(1, sizeof(*e) + strlen(key) + 1);
	int rc = e == NULL ? SA_ERROR_NOMEM : scan_result_add(&m->scan, t);
	if (rc != 0) {
		free(e);
		free(key);
		target_result_free(t);
		return rc;
	}
	e->input = input;
	memcpy(e->key, key, strlen(key) + 1);
	HASH_ADD_STR(m->seen, key, e);
	free(key);
	return 0;
}

static int merge_targets(struct merge *m, const char *input, const json_t *targets)
{
	size_t i;
	const json_t *obj;
	char err[512];
	json_array_foreach(targets, i, obj)
	{
		struct target_result *t;
		int rc = result_json_load(obj, &t, err, sizeof(err));
		if (rc == 0)
			rc = merge_add_target(m, input, t);
		else
			fprintf(stderr, "smtp-audit merge: %s: targets[%zu].%s\n", input, i, err);
		if (rc != 0)
			return rc;
	}
	return 0;
}

static bool merge_has_domain(const struct merge *m, const char *name)
{
	for (size_t i = 0; i < m->scan.ndomains; i++)
		if (strcmp(m->scan.domains[i]->domain, name) == 0)
			return true;
	return false;
}

/* Every shard expands every --domain: a domain already taken from an earlier input is skipped. */
static int merge_domains(struct merge *m, const char *input, const json_t *domains)
{
	size_t i;
	const json_t *obj;
	char err[512];
	json_array_foreach(domains, i, obj)
	{
		struct domain_result *d;
		int rc = result_json_load_domain(obj, &d, err, sizeof(err));
		if (rc != 0) {
			fprintf(stderr, "smtp-audit merge: %s: domains[%zu].%s\n", input, i, err);
			return rc;
		}
		if (merge_has_domain(m, d->domain))
			domain_result_free(d);
		else if ((rc = scan_result_add_domain(&m->scan, d)) != 0)
			domain_result_free(d);
		if (rc != 0)
			return rc;
	}
	return 0;
}

static int merge_input(struct merge *m, const char *input)
{
	char err[512];
	struct baseline_report check = {0};
	json_error_t jerr;
	int rc = baseline_load(&check, input, err, sizeof(err));
	baseline_report_free(&check);
	if (rc != 0) {
		fprintf(stderr, "smtp-audit merge: %s\n", err);
		return rc;
	}
	json_t *doc = json_load_file(input, JSON_REJECT_DUPLICATES, &jerr);
	if (doc == NULL) {
		fprintf(stderr, "smtp-audit merge: %s: %s\n", input, jerr.text);
		return SA_ERROR_PARSE;
	}
	rc = merge_note_scan(m, input, doc);
	if (rc == 0)
		rc = merge_note_settings(m, input, doc);
	if (rc == 0)
		rc = merge_domains(m, input, json_object_get(doc, "domains"));
	if (rc == 0)
		rc = merge_targets(m, input, json_object_get(doc, "targets"));
	json_decref(doc);
	return rc;
}

static int merge_compare_text(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* SHA-256 of the sorted input ids as an RFC 9562 version 8 UUID. */
static void merge_scan_id(struct merge *m)
{
	qsort(m->ids, m->nids, sizeof(m->ids[0]), merge_compare_text);
	char *text = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&text, &len);
	for (size_t i = 0; mem != NULL && i < m->nids; i++)
		fprintf(mem, "%s\n", m->ids[i]);
	char hex[65] = {0};
	if (mem != NULL && fclose(mem) == 0)
		codec_sha256_hex(text, len, hex);
	free(text);
	static const char digits[] = "0123456789abcdef";
	const char *variant = strchr(digits, hex[16]);
	hex[12] = '8';
	hex[16] = "89ab"[variant != NULL ? (variant - digits) & 3 : 0];
	snprintf(m->scan.scan_id, sizeof(m->scan.scan_id), "%.8s-%.4s-%.4s-%.4s-%.12s", hex,
	         hex + 8, hex + 12, hex + 16, hex + 20);
}

static int merge_write(struct merge *m, const struct merge_args *a)
{
	char err[512];
	struct atomic_file af = {0};
	FILE *out = stdout;
	if (a->out_path != NULL) {
		if (atomic_file_open(&af, a->out_path, err, sizeof(err)) != 0) {
			fprintf(stderr, "smtp-audit merge: --out: %s\n", err);
			return SA_ERROR_IO;
		}
		out = af.fp;
	}
	const struct report_options ropt = {
	    .out = out,
	    .scan_id = m->scan.scan_id,
	    .tool_version = SA_VERSION,
	    .fail_on = SEVERITY_MEDIUM,
	};
	scan_result_sort(&m->scan);
	int rc = report_write_finished(a->writer, &ropt, &m->scan);
	if (rc != 0)
		fprintf(stderr, "smtp-audit merge: writing the report failed: %s\n",
		        sa_error_str(rc));
	if (a->out_path == NULL)
		return rc;
	if (rc != 0) {
		atomic_file_abort(&af);
		return rc;
	}
	rc = atomic_file_commit(&af, err, sizeof(err));
	if (rc != 0)
		fprintf(stderr, "smtp-audit merge: --out: %s\n", err);
	return rc;
}

static void merge_free(struct merge *m)
{
	struct merge_seen *e, *tmp;
	HASH_ITER(hh, m->seen, e, tmp)
	{
		HASH_DEL(m->seen, e);
		free(e);
	}
	for (size_t i = 0; i < m->nids; i++)
		free(m->ids[i]);
	free(m->ids);
	free(m->first_version);
	free(m->first_probes);
	scan_result_free(&m->scan);
}

int merge_main(int argc, char **argv)
{
	struct merge_args a;
	int code = merge_parse(&a, argc, argv);
	if (code >= 0)
		return code;
	struct merge m = {.ids = calloc(a.ninputs, sizeof(char *))};
	scan_result_init(&m.scan);
	int rc = m.ids == NULL ? SA_ERROR_NOMEM : 0;
	for (size_t i = 0; rc == 0 && i < a.ninputs; i++)
		rc = merge_input(&m, a.inputs[i]);
	if (rc == SA_ERROR_NOMEM)
		fprintf(stderr, "smtp-audit merge: %s\n", sa_error_str(rc));
	if (rc == 0) {
		merge_scan_id(&m);
		rc = merge_write(&m, &a);
	}
	merge_free(&m);
	return rc == 0 ? CLI_EXIT_CLEAN : CLI_EXIT_USAGE;
}
