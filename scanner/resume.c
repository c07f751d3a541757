/*
 * NAME
 *	resume - the state file of --resume: what an earlier run completed
 *
 * DESCRIPTION
 *	See resume.h. Lines are read with getline(), so a state is never
 *	held in memory whole, only the results it describes; each target is
 *	rebuilt by result_json_load() and kept per unit of work ("host|port")
 *	in a hash table, together with the run that wrote it.
 */
#include "resume.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>
#include <uthash.h>

#include "codec.h"
#include "report_doc.h"
#include "report_time.h"
#include "result_json.h"
#include "sa_error.h"
#include "shard.h"

#define RESUME_TYPE_HEADER "smtp-audit-state"
/* A line longer than this is not one this program wrote. */
#define RESUME_MAX_LINE (64u * 1024 * 1024)

struct resume_item {
	UT_hash_handle hh;
	unsigned run;     /* the latest run that touched this target */
	bool interrupted; /* that run cut it */
	size_t written;   /* results that run wrote (some may have been taken) */
	struct target_result **results;
	size_t nresults, cap;
	char key[];
};

/* ---- the work a scan does ---- */

static int resume_compare_text(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* One line per target spec or exclusion, e.g. "cidr 10.0.0.0/24 25". */
static char *resume_spec_line(const char *what, const struct target_spec *spec)
{
	char *line;
	if (asprintf(&line, "%s %d %s/%u %u", what, (int)spec->kind, spec->host, spec->prefix,
	             spec->port) < 0)
		return NULL;
	return line;
}

/* SHA-256 of the sorted specs and exclusions: the order they were given in does not matter. */
static int resume_targets_hash(const struct target_list *list, char hex[65])
{
	size_t n = list->nspecs + list->nexcludes;
	char **lines = calloc(n ? n : 1, sizeof(*lines));
	int rc = lines == NULL ? SA_ERROR_NOMEM : 0;
	for (size_t i = 0; rc == 0 && i < n; i++) {
		lines[i] = i < list->nspecs
		               ? resume_spec_line("target", &list->specs[i])
		               : resume_spec_line("exclude", &list->excludes[i - list->nspecs]);
		if (lines[i] == NULL)
			rc = SA_ERROR_NOMEM;
	}
	char *text = NULL;
	size_t len = 0;
	FILE *mem = rc == 0 ? open_memstream(&text, &len) : NULL;
	if (rc == 0 && mem == NULL)
		rc = SA_ERROR_NOMEM;
	if (rc == 0) {
		qsort(lines, n, sizeof(*lines), resume_compare_text);
		for (size_t i = 0; i < n; i++)
			fprintf(mem, "%s\n", lines[i]);
		if (fclose(mem) != 0)
			rc = SA_ERROR_NOMEM;
	}
	if (rc == 0)
		codec_sha256_hex(text, len, hex);
	free(text);
	for (size_t i = 0; lines != NULL && i < n; i++)
		free(lines[i]);
	free(lines);
	return rc;
}

static json_t *resume_port_list(const uint16_t *ports, size_t n)
{
	char buf[SCAN_MAX_PORTS * 6 + 1] = "";
	size_t used = 0;
	for (size_t i = 0; i < n; i++)
		used += (size_t)snprintf(buf + used, sizeof(buf) - used, "%s%u", i ? "," : "",
		                         ports[i]);
	return json_string(buf);
}

static json_t *resume_probe_list(const struct scan_options *opt)
{
	const char *names[SCAN_MAX_PROBES];
	char buf[SCAN_MAX_PROBES * 64] = "";
	size_t used = 0;
	for (size_t i = 0; i < opt->nprobes; i++)
		names[i] = opt->probes[i]->name;
	qsort(names, opt->nprobes, sizeof(names[0]), resume_compare_text);
	for (size_t i = 0; i < opt->nprobes && used < sizeof(buf); i++)
		used += (size_t)snprintf(buf + used, sizeof(buf) - used, "%s%s", i ? "," : "",
		                         names[i]);
	return json_string(buf);
}

json_t *resume_work(const struct scan_options *opt)
{
	char hex[65], shard[32];
	if (resume_targets_hash(&opt->targets, hex) != 0)
		return NULL;
	json_t *o = json_object();
	int failed = 0;
	failed |= report_doc_put(o, "targets", json_string(hex));
	failed |= report_doc_put(o, "ports", resume_port_list(opt->ports, opt->nports));
	failed |= report_doc_put(o, "tls_ports", resume_port_list(opt->tls_ports, opt->ntls_ports));
	failed |= report_doc_put(o, "submission_ports",
	                         resume_port_list(opt->submission_ports, opt->nsubmission_ports));
	failed |= report_doc_put(o, "probes", resume_probe_list(opt));
	failed |= report_doc_put(o, "all_addresses", json_boolean(opt->all_addresses));
	failed |= report_doc_put(o, "shard",
	                         json_string(shard_format(&opt->shard, shard, sizeof(shard))));
	return report_doc_finish(o, failed);
}

/* ---- items ---- */

static char *resume_key(const char *host, uint16_t port)
{
	char *key;
	return asprintf(&key, "%s|%u", host, port) < 0 ? NULL : key;
}

static void resume_item_clear(struct resume_item *item)
{
	for (size_t i = 0; i < item->nresults; i++)
		target_result_free(item->results[i]);
	item->nresults = 0;
	item->written = 0;
	item->interrupted = false;
}

static struct resume_item *resume_item_find(const struct resume *r, const char *host, uint16_t port)
{
	char *key = resume_key(host, port);
	struct resume_item *item = NULL;
	if (key != NULL)
		HASH_FIND_STR(r->items, key, item);
	free(key);
	return item;
}

/* The item of host and port, as of run: a later run starts it afresh. NULL: no memory. */
static struct resume_item *resume_item_at(struct resume *r, const char *host, uint16_t port,
                                          unsigned run)
{
	struct resume_item *item = resume_item_find(r, host, port);
	if (item == NULL) {
		char *key = resume_key(host, port);
		item = key ? calloc(1, sizeof(*item) + strlen(key) + 1) : NULL;
		if (item == NULL) {
			free(key);
			return NULL;
		}
		memcpy(item->key, key, strlen(key) + 1);
		free(key);
		item->run = run;
		HASH_ADD_STR(r->items, key, item);
	}
	if (item->run < run) {
		resume_item_clear(item);
		item->run = run;
	}
	return item;
}

static int resume_item_add(struct resume_item *item, struct target_result *t)
{
	if (item->nresults == item->cap) {
		size_t cap = item->cap ? 2 * item->cap : 2;
		struct target_result **grown = reallocarray(item->results, cap, sizeof(*grown));
		if (grown == NULL)
			return SA_ERROR_NOMEM;
		item->results = grown;
		item->cap = cap;
	}
	item->results[item->nresults++] = t;
	item->written++;
	return 0;
}

bool resume_done(const struct resume *r, const char *host, uint16_t port)
{
	const struct resume_item *item = resume_item_find(r, host, port);
	return item != NULL && !item->interrupted && item->written > 0;
}

size_t resume_count_done(const struct resume *r)
{
	size_t n = 0;
	for (const struct resume_item *item = r->items; item != NULL; item = item->hh.next)
		n += !item->interrupted && item->written > 0;
	return n;
}

/* ---- reading ---- */

struct resume_reader {
	const char *name;
	size_t line;
	char *err;
	size_t errlen;
};

static int resume_bad(struct resume_reader *rd, const char *problem)
{
	snprintf(rd->err, rd->errlen, "%s:%zu: %s", rd->name, rd->line, problem);
	return SA_ERROR_PARSE;
}

/* What differs between the state's work and this run's, as "ports 25 there, 2525 now". */
static int resume_check_work(struct resume_reader *rd, const json_t *theirs, const json_t *ours)
{
	if (!json_is_object(theirs))
		return resume_bad(rd, "the header has no \"work\" object");
	const char *key;
	const json_t *mine;
	json_object_foreach((json_t *)ours, key, mine)
	{
		const json_t *v = json_object_get(theirs, key);
		if (json_equal((json_t *)v, (json_t *)mine))
			continue;
		char *was = v ? json_dumps(v, JSON_ENCODE_ANY) : NULL;
		char *now = json_dumps(mine, JSON_ENCODE_ANY);
		if (strcmp(key, "targets") == 0)
			snprintf(
			    rd->err, rd->errlen,
			    "%s is the state of another scan: the targets or exclusions differ "
			    "(use a new state file, or the same targets and options)",
			    rd->name);
		else
			snprintf(rd->err, rd->errlen,
			         "%s is the state of another scan: %s was %s, now %s (use a new "
			         "state file, or the same targets and options)",
			         rd->name, key, was ? was : "absent", now ? now : "?");
		free(was);
		free(now);
		return SA_ERROR_INVAL;
	}
	return 0;
}

static int resume_read_header(struct resume *r, struct resume_reader *rd, const json_t *line,
                              const json_t *work)
{
	const char *type = json_string_value(json_object_get(line, "type"));
	if (type == NULL || strcmp(type, RESUME_TYPE_HEADER) != 0)
		return resume_bad(rd,
		                  "not an smtp-audit state (the first line is no state header)");
	if (json_integer_value(json_object_get(line, "version")) != RESUME_STATE_VERSION)
		return resume_bad(rd, "a state version this program does not read");
	const char *id = json_string_value(json_object_get(line, "scan_id"));
	const char *started = json_string_value(json_object_get(line, "started"));
	if (id == NULL || strlen(id) >= sizeof(r->scan_id) ||
	    strspn(id, "0123456789abcdef-") != strlen(id))
		return resume_bad(rd, "the header has no valid scan_id");
	if (started == NULL || result_json_time(started, &r->started_ms) != 0)
		return resume_bad(rd, "the header has no valid start time");
	memcpy(r->scan_id, id, strlen(id) + 1);
	return resume_check_work(rd, json_object_get(line, "work"), work);
}

static int resume_run_of(struct resume_reader *rd, const json_t *line, unsigned *run)
{
	json_int_t v = json_integer_value(json_object_get(line, "run"));
	if (v < 1 || v > UINT32_MAX - 1)
		return resume_bad(rd, "no valid \"run\" number");
	*run = (unsigned)v;
	return 0;
}

static int resume_read_target(struct resume *r, struct resume_reader *rd, const json_t *line,
                              unsigned run)
{
	char msg[256];
	struct target_result *t;
	int rc = result_json_load(json_object_get(line, "target"), &t, msg, sizeof(msg));
	if (rc == SA_ERROR_PARSE)
		return resume_bad(rd, msg);
	if (rc != 0)
		return rc;
	struct resume_item *item = resume_item_at(r, t->host, t->port, run);
	rc = item == NULL ? SA_ERROR_NOMEM : resume_item_add(item, t);
	if (rc != 0)
		target_result_free(t);
	return rc;
}

static int resume_read_interrupted(struct resume *r, struct resume_reader *rd, const json_t *line,
                                   unsigned run)
{
	json_int_t port = json_integer_value(json_object_get(line, "port"));
	const char *escaped = json_string_value(json_object_get(line, "host"));
	if (escaped == NULL || port < 1 || port > 65535)
		return resume_bad(rd, "an interrupted line needs host and port");
	char *host;
	int rc = result_json_unescape(escaped, &host);
	if (rc == SA_ERROR_PARSE)
		return resume_bad(rd, "an interrupted line's host is badly escaped");
	if (rc != 0)
		return rc;
	struct resume_item *item = resume_item_at(r, host, (uint16_t)port, run);
	free(host);
	if (item == NULL)
		return SA_ERROR_NOMEM;
	item->interrupted = true;
	return 0;
}

static int resume_read_record(struct resume *r, struct resume_reader *rd, const json_t *line,
                              const char *type, unsigned run)
{
	if (type != NULL && strcmp(type, "target") == 0)
		return resume_read_target(r, rd, line, run);
	if (type != NULL && strcmp(type, "interrupted") == 0)
		return resume_read_interrupted(r, rd, line, run);
	return resume_bad(rd, "a line whose \"type\" is not target or interrupted");
}

static int resume_read_line(struct resume *r, struct resume_reader *rd, const char *text,
                            size_t len, const json_t *work)
{
	json_error_t jerr;
	json_t *line = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!json_is_object(line)) {
		json_decref(line);
		return resume_bad(rd, "not a JSON object");
	}
	unsigned run = 0;
	const char *type = json_string_value(json_object_get(line, "type"));
	int rc =
	    rd->line == 1 ? resume_read_header(r, rd, line, work) : resume_run_of(rd, line, &run);
	if (rc == 0 && rd->line > 1)
		rc = resume_read_record(r, rd, line, type, run);
	if (run >= r->run)
		r->run = run + 1;
	json_decref(line);
	return rc;
}

int resume_load(struct resume *r, FILE *in, const char *name, const json_t *work, size_t *used,
                char *err, size_t errlen)
{
	*r = (struct resume){.run = 1};
	struct resume_reader rd = {.name = name, .err = err, .errlen = errlen};
	char *buf = NULL;
	size_t cap = 0;
	ssize_t n;
	int rc = 0;
	*used = 0;
	while (rc == 0 && (n = getline(&buf, &cap, in)) > 0) {
		rd.line++;
		if (buf[n - 1] != '\n')
			break; /* cut short by a kill: ignored, and cut off before appending */
		if ((size_t)n > RESUME_MAX_LINE)
			rc = resume_bad(&rd, "a line too long to be a state's");
		else
			rc = resume_read_line(r, &rd, buf, (size_t)n - 1, work);
		if (rc == 0)
			*used += (size_t)n;
	}
	if (rc == 0 && ferror(in)) {
		snprintf(err, errlen, "%s: %s", name, strerror(errno));
		rc = SA_ERROR_IO;
	}
	free(buf);
	if (rc != 0)
		resume_close(r);
	return rc;
}

/* ---- writing ---- */

static int resume_write_line(struct resume *r, json_t *line)
{
	if (line == NULL)
		return SA_ERROR_NOMEM;
	char *text = json_dumps(line, JSON_COMPACT | JSON_ENSURE_ASCII | JSON_PRESERVE_ORDER);
	json_decref(line);
	if (text == NULL)
		return SA_ERROR_NOMEM;
	int ok = fputs(text, r->fp) >= 0 && fputc('\n', r->fp) != EOF && fflush(r->fp) == 0;
	free(text);
	return ok ? 0 : SA_ERROR_IO;
}

static int resume_write_header(struct resume *r, const json_t *work)
{
	char when[REPORT_TIME_LEN];
	json_t *line = json_object();
	int failed = 0;
	failed |= report_doc_put(line, "type", json_string(RESUME_TYPE_HEADER));
	failed |= report_doc_put(line, "version", json_integer(RESUME_STATE_VERSION));
	failed |= report_doc_put(line, "scan_id", json_string(r->scan_id));
	failed |=
	    report_doc_put(line, "started", json_string(report_time_ms(r->started_ms, true, when)));
	failed |= report_doc_put(line, "work", json_deep_copy(work));
	return resume_write_line(r, report_doc_finish(line, failed));
}

/* Cut by SIGINT/SIGTERM: the target itself, or any of its probes. */
static bool resume_was_interrupted(const struct target_result *t)
{
	if (t->outcome == OUTCOME_INTERRUPTED)
		return true;
	for (size_t i = 0; i < t->nprobes; i++)
		if (t->probes[i].outcome == OUTCOME_INTERRUPTED)
			return true;
	return false;
}

int resume_record(struct resume *r, const struct target_result *t)
{
	json_t *line = json_object();
	int failed = 0;
	if (resume_was_interrupted(t)) {
		failed |= report_doc_put(line, "type", json_string("interrupted"));
		failed |= report_doc_put(line, "run", json_integer(r->run));
		failed |= report_doc_put(line, "host", report_doc_text(t->host));
		failed |= report_doc_put(line, "port", json_integer(t->port));
	} else {
		failed |= report_doc_put(line, "type", json_string("target"));
		failed |= report_doc_put(line, "run", json_integer(r->run));
		failed |= report_doc_put(line, "target", result_json_target(t));
	}
	return resume_write_line(r, report_doc_finish(line, failed));
}

/* Locks, loads and cuts off a partial last line; a new state gets its header. */
static int resume_attach(struct resume *r, FILE *fp, const char *path, const json_t *work,
                         char *err, size_t errlen)
{
	size_t used;
	if (flock(fileno(fp), LOCK_EX | LOCK_NB) != 0) {
		snprintf(err, errlen, "%s: in use by another scan", path);
		return SA_ERROR_IO;
	}
	struct resume loaded;
	int rc = resume_load(&loaded, fp, path, work, &used, err, errlen);
	if (rc != 0)
		return rc;
	if (ftruncate(fileno(fp), (off_t)used) != 0 || fseeko(fp, (off_t)used, SEEK_SET) != 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		resume_close(&loaded);
		return SA_ERROR_IO;
	}
	if (used > 0) {
		loaded.fp = fp;
		*r = loaded;
		return 0;
	}
	resume_close(&loaded);
	r->fp = fp;
	rc = resume_write_header(r, work);
	if (rc != 0)
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
	return rc;
}

int resume_open(struct resume *r, const char *path, const json_t *work, const char *scan_id,
                int64_t started_ms, char *err, size_t errlen)
{
	*r = (struct resume){.run = 1, .started_ms = started_ms};
	snprintf(r->scan_id, sizeof(r->scan_id), "%s", scan_id);
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	FILE *fp = fd >= 0 ? fdopen(fd, "r+") : NULL;
	if (fp == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return SA_ERROR_IO;
	}
	int rc = resume_attach(r, fp, path, work, err, errlen);
	if (rc != 0) {
		fclose(fp);
		r->fp = NULL;
		resume_close(r);
	}
	return rc;
}

int resume_take_results(struct resume *r, struct scan_result *scan)
{
	for (struct resume_item *item = r->items; item != NULL; item = item->hh.next) {
		if (item->interrupted)
			continue;
		while (item->nresults > 0) {
			int rc = scan_result_add(scan, item->results[item->nresults - 1]);
			if (rc != 0)
				return rc;
			item->nresults--;
		}
	}
	return 0;
}

void resume_close(struct resume *r)
{
	struct resume_item *item, *tmp;
	HASH_ITER(hh, r->items, item, tmp)
	{
		HASH_DEL(r->items, item);
		resume_item_clear(item);
		free(item->results);
		free(item);
	}
	if (r->fp != NULL)
		fclose(r->fp);
	r->fp = NULL;
}
