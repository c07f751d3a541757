/*
 * NAME
 *	baseline - compare a scan with an earlier JSON report
 *
 * DESCRIPTION
 *	Loading trusts nothing in the file: every member used is checked for
 *	type and range (jansson itself refuses invalid UTF-8 and \u0000), and the first
 *	problem is reported with the member's path ("targets[2].port"). A
 *	fact or an optional member that is absent or null is "not observed".
 *
 *	Facts are kept in the form the JSON writer stores them (escape_visible
 *	text; capabilities as "EXT EXT AUTH=MECH,MECH"), so a fact from a
 *	scan and the same fact read back from its report compare equal.
 *
 *	A domain of domain mode ("domains" in the report) is kept as a
 *	target flagged domain: its name as the host, port 0, no facts,
 *	completed unless its lookup failed; its findings carry domain
 *	fingerprints, so they are new, unchanged or resolved like a
 *	target's, and a domain that failed or was not given again leaves
 *	its findings unverified.
 *
 *	Lookups go through sorted indexes (fingerprints; targets by host and
 *	port), so comparing reports of many thousands of targets stays fast.
 *
 * DIAGNOSTICS
 *	See baseline.h.
 */
#include "baseline.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "escape.h"
#include "sa_error.h"

#define BASELINE_WHERE_LEN 96

static const char *const baseline_fact_names[] = {
#define BASELINE_FACT_TEXT(name, text) [BASELINE_FACT_##name] = text,
    BASELINE_FACT_MAP(BASELINE_FACT_TEXT)
#undef BASELINE_FACT_TEXT
};
_Static_assert(sizeof(baseline_fact_names) / sizeof(baseline_fact_names[0]) == BASELINE_FACT_COUNT,
               "one name per fact");

const char *baseline_fact_name(enum baseline_fact fact)
{
	return baseline_fact_names[fact];
}

/* ---- freeing ---- */

static void baseline_target_free(struct baseline_target *t)
{
	free(t->host);
	free(t->address);
	free(t->mta_sts_id);
	for (int i = 0; i < BASELINE_FACT_COUNT; i++)
		free(t->facts[i]);
	for (size_t i = 0; i < t->nfindings; i++) {
		free(t->findings[i].id);
		free(t->findings[i].fingerprint);
		free(t->findings[i].title);
	}
	free(t->findings);
}

void baseline_report_free(struct baseline_report *r)
{
	for (size_t i = 0; i < r->ntargets; i++)
		baseline_target_free(&r->targets[i]);
	free(r->targets);
	r->targets = NULL;
	r->ntargets = 0;
}

/* ---- capabilities as one comparable line ---- */

/* "EXT EXT AUTH=MECH,MECH"; NULL when out of memory. */
static char *baseline_caps_text(const char *const *ext, size_t next, const char *const *auth,
                                size_t nauth)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	if (f == NULL)
		return NULL;
	for (size_t i = 0; i < next; i++)
		fprintf(f, "%s%s", i > 0 ? " " : "", ext[i]);
	for (size_t i = 0; i < nauth; i++)
		fprintf(f, "%s%s", i > 0 ? "," : next > 0 ? " AUTH=" : "AUTH=", auth[i]);
	if (fclose(f) != 0) {
		free(text);
		return NULL;
	}
	return text;
}

/* "Postfix 3.7" or "Postfix"; NULL when out of memory. */
static char *baseline_software_text(const char *name, const char *version)
{
	char *text = NULL;
	int n =
	    version != NULL ? asprintf(&text, "%s %s", name, version) : asprintf(&text, "%s", name);
	return n < 0 ? NULL : text;
}

/* ---- loading a JSON report ---- */

struct baseline_loader {
	const char *name;
	char *err;
	size_t errlen;
};

static int baseline_fail(const struct baseline_loader *ld, const char *where, const char *problem)
{
	snprintf(ld->err, ld->errlen, "%s: %s: %s", ld->name, where, problem);
	return SA_ERROR_PARSE;
}

static int baseline_nomem(const struct baseline_loader *ld)
{
	snprintf(ld->err, ld->errlen, "%s: out of memory", ld->name);
	return SA_ERROR_NOMEM;
}

/*
 * The string member key of obj, copied into *out. Absent or null gives
 * NULL unless required; another type, or a string with NUL, is an error.
 */
static int baseline_get_string(const struct baseline_loader *ld, const json_t *obj,
                               const char *where, const char *key, bool required, char **out)
{
	char path[BASELINE_WHERE_LEN * 3];
	snprintf(path, sizeof(path), "%s.%s", where, key);
	*out = NULL;
	const json_t *v = json_object_get(obj, key);
	if (v == NULL || json_is_null(v))
		return required ? baseline_fail(ld, path, "missing") : 0;
	if (!json_is_string(v))
		return baseline_fail(ld, path, "expected a string");
	*out = strdup(json_string_value(v)); /* NUL-free: json_loadb refuses \u0000 */
	return *out == NULL ? baseline_nomem(ld) : 0;
}

/* Member key of obj when it is an object; NULL when absent or null. */
static int baseline_get_object(const struct baseline_loader *ld, const json_t *obj,
                               const char *where, const char *key, const json_t **out)
{
	*out = json_object_get(obj, key);
	if (*out != NULL && json_is_null(*out))
		*out = NULL;
	if (*out == NULL || json_is_object(*out))
		return 0;
	char path[BASELINE_WHERE_LEN * 3];
	snprintf(path, sizeof(path), "%s.%s", where, key);
	return baseline_fail(ld, path, "expected an object");
}

static int baseline_get_array(const struct baseline_loader *ld, const json_t *obj,
                              const char *where, const char *key, const json_t **out)
{
	char path[BASELINE_WHERE_LEN * 3];
	snprintf(path, sizeof(path), "%s.%s", where, key);
	*out = json_object_get(obj, key);
	if (*out == NULL)
		return baseline_fail(ld, path, "missing");
	return json_is_array(*out) ? 0 : baseline_fail(ld, path, "expected an array");
}

/* The strings of array key of obj, borrowed, into names (freed by the caller). */
static int baseline_get_names(const struct baseline_loader *ld, const json_t *obj,
                              const char *where, const char *key, const char ***names, size_t *n)
{
	const json_t *array;
	int rc = baseline_get_array(ld, obj, where, key, &array);
	*names = NULL;
	*n = json_array_size(array);
	if (rc != 0 || *n == 0)
		return rc;
	*names = calloc(*n, sizeof(**names));
	if (*names == NULL)
		return baseline_nomem(ld);
	for (size_t i = 0; i < *n; i++) {
		const json_t *v = json_array_get(array, i);
		if (!json_is_string(v)) {
			char path[BASELINE_WHERE_LEN * 3];
			snprintf(path, sizeof(path), "%s.%s[%zu]", where, key, i);
			return baseline_fail(ld, path, "expected a string");
		}
		(*names)[i] = json_string_value(v);
	}
	return 0;
}

static int baseline_load_caps(const struct baseline_loader *ld, const json_t *caps,
                              const char *where, char **out)
{
	const char **ext = NULL, **auth = NULL;
	size_t next = 0, nauth = 0;
	*out = NULL;
	if (caps == NULL)
		return 0;
	int rc = baseline_get_names(ld, caps, where, "extensions", &ext, &next);
	if (rc == 0)
		rc = baseline_get_names(ld, caps, where, "auth", &auth, &nauth);
	if (rc == 0) {
		*out = baseline_caps_text(ext, next, auth, nauth);
		rc = *out == NULL ? baseline_nomem(ld) : 0;
	}
	free(ext);
	free(auth);
	return rc;
}

static int baseline_load_software(const struct baseline_loader *ld, const json_t *software,
                                  const char *where, char **out)
{
	char *name = NULL, *version = NULL;
	*out = NULL;
	if (software == NULL)
		return 0;
	int rc = baseline_get_string(ld, software, where, "name", true, &name);
	if (rc == 0)
		rc = baseline_get_string(ld, software, where, "version", false, &version);
	if (rc == 0) {
		*out = baseline_software_text(name, version);
		rc = *out == NULL ? baseline_nomem(ld) : 0;
	}
	free(name);
	free(version);
	return rc;
}

static int baseline_load_facts(const struct baseline_loader *ld, const json_t *target,
                               const char *where, struct baseline_target *t)
{
	char path[BASELINE_WHERE_LEN * 2];
	const json_t *tls, *caps, *plain = NULL, *after_tls = NULL, *software;
	int rc = baseline_get_object(ld, target, where, "tls", &tls);
	if (rc == 0 && tls != NULL) {
		snprintf(path, sizeof(path), "%s.tls", where);
		rc = baseline_get_string(ld, tls, path, "fingerprint", false,
		                         &t->facts[BASELINE_FACT_CERTIFICATE]);
		if (rc == 0)
			rc = baseline_get_string(ld, tls, path, "version", false,
			                         &t->facts[BASELINE_FACT_TLS_VERSION]);
		if (rc == 0)
			rc = baseline_get_string(ld, tls, path, "ciphersuite", false,
			                         &t->facts[BASELINE_FACT_TLS_CIPHERSUITE]);
	}
	if (rc == 0)
		rc = baseline_get_string(ld, target, where, "banner", false,
		                         &t->facts[BASELINE_FACT_BANNER]);
	if (rc == 0)
		rc = baseline_get_object(ld, target, where, "capabilities", &caps);
	snprintf(path, sizeof(path), "%s.capabilities", where);
	if (rc == 0 && caps != NULL)
		rc = baseline_get_object(ld, caps, path, "plaintext", &plain);
	if (rc == 0 && caps != NULL)
		rc = baseline_get_object(ld, caps, path, "tls", &after_tls);
	if (rc == 0)
		rc = baseline_load_caps(ld, plain, path, &t->facts[BASELINE_FACT_CAPS_PLAIN]);
	if (rc == 0)
		rc = baseline_load_caps(ld, after_tls, path, &t->facts[BASELINE_FACT_CAPS_TLS]);
	if (rc == 0)
		rc = baseline_get_object(ld, target, where, "software", &software);
	snprintf(path, sizeof(path), "%s.software", where);
	if (rc == 0)
		rc = baseline_load_software(ld, software, path, &t->facts[BASELINE_FACT_SOFTWARE]);
	return rc;
}

static int baseline_load_finding(const struct baseline_loader *ld, const json_t *item,
                                 const char *where, struct baseline_finding *f)
{
	if (!json_is_object(item))
		return baseline_fail(ld, where, "expected an object");
	char *severity = NULL;
	int rc = baseline_get_string(ld, item, where, "id", true, &f->id);
	if (rc == 0)
		rc = baseline_get_string(ld, item, where, "fingerprint", true, &f->fingerprint);
	if (rc == 0)
		rc = baseline_get_string(ld, item, where, "title", true, &f->title);
	if (rc == 0)
		rc = baseline_get_string(ld, item, where, "severity", true, &severity);
	if (rc == 0 && !severity_parse(severity, &f->severity)) {
		char path[BASELINE_WHERE_LEN * 3];
		snprintf(path, sizeof(path), "%s.severity", where);
		rc = baseline_fail(ld, path, "not one of info, low, medium, high, critical");
	}
	free(severity);
	return rc;
}

static int baseline_load_port(const struct baseline_loader *ld, const json_t *target,
                              const char *where, uint16_t *port)
{
	char path[BASELINE_WHERE_LEN * 3];
	snprintf(path, sizeof(path), "%s.port", where);
	const json_t *v = json_object_get(target, "port");
	if (!json_is_integer(v))
		return baseline_fail(ld, path, "expected an integer");
	json_int_t n = json_integer_value(v);
	if (n < 0 || n > UINT16_MAX)
		return baseline_fail(ld, path, "not a port number (0-65535)");
	*port = (uint16_t)n;
	return 0;
}

static int baseline_load_findings(const struct baseline_loader *ld, const json_t *obj,
                                  const char *where, struct baseline_target *t);

static int baseline_load_target(const struct baseline_loader *ld, const json_t *target,
                                const char *where, struct baseline_target *t)
{
	if (!json_is_object(target))
		return baseline_fail(ld, where, "expected an object");
	char *outcome = NULL;
	int rc = baseline_get_string(ld, target, where, "host", true, &t->host);
	if (rc == 0)
		rc = baseline_get_string(ld, target, where, "address", false, &t->address);
	if (rc == 0)
		rc = baseline_load_port(ld, target, where, &t->port);
	if (rc == 0)
		rc = baseline_get_string(ld, target, where, "outcome", true, &outcome);
	if (rc == 0) {
		t->completed = strcmp(outcome, outcome_name(OUTCOME_COMPLETED)) == 0;
		rc = baseline_load_facts(ld, target, where, t);
	}
	free(outcome);
	return rc == 0 ? baseline_load_findings(ld, target, where, t) : rc;
}

/* A domain of domain mode: its name as the host, port 0, completed unless its lookup failed. */
static int baseline_load_domain(const struct baseline_loader *ld, const json_t *domain,
                                const char *where, struct baseline_target *t)
{
	if (!json_is_object(domain))
		return baseline_fail(ld, where, "expected an object");
	char *route = NULL;
	t->domain = true;
	int rc = baseline_get_string(ld, domain, where, "domain", true, &t->host);
	if (rc == 0)
		rc = baseline_get_string(ld, domain, where, "route", true, &route);
	if (rc == 0)
		t->completed = strcmp(route, domain_route_name(DOMAIN_ROUTE_FAILED)) != 0;
	if (rc == 0)
		rc = baseline_get_string(ld, domain, where, "mta_sts_id", false, &t->mta_sts_id);
	free(route);
	return rc == 0 ? baseline_load_findings(ld, domain, where, t) : rc;
}

static int baseline_load_findings(const struct baseline_loader *ld, const json_t *obj,
                                  const char *where, struct baseline_target *t)
{
	const json_t *findings;
	int rc = baseline_get_array(ld, obj, where, "findings", &findings);
	size_t n = rc == 0 ? json_array_size(findings) : 0;
	if (n > 0) {
		t->findings = calloc(n, sizeof(*t->findings));
		if (t->findings == NULL)
			return baseline_nomem(ld);
	}
	for (size_t i = 0; rc == 0 && i < n; i++) {
		char path[BASELINE_WHERE_LEN * 2];
		snprintf(path, sizeof(path), "%s.findings[%zu]", where, i);
		t->nfindings = i + 1;
		rc = baseline_load_finding(ld, json_array_get(findings, i), path, &t->findings[i]);
	}
	return rc;
}

static int baseline_load_document(const struct baseline_loader *ld, const json_t *root,
                                  struct baseline_report *r)
{
	if (!json_is_object(root))
		return baseline_fail(ld, "document",
		                     "expected a JSON object (an smtp-audit report)");
	const json_t *version = json_object_get(root, "schema_version");
	if (!json_is_string(version) || strncmp(json_string_value(version), "1.", 2) != 0)
		return baseline_fail(ld, "schema_version",
		                     "missing or not 1.x: not an smtp-audit JSON report");
	const json_t *targets, *domains = json_object_get(root, "domains");
	int rc = baseline_get_array(ld, root, "document", "targets", &targets);
	if (rc == 0 && domains != NULL)
		rc = baseline_get_array(ld, root, "document", "domains", &domains);
	if (rc != 0)
		return rc;
	size_t n = json_array_size(targets), ndomains = json_array_size(domains);
	if (n + ndomains > 0) {
		r->targets = calloc(n + ndomains, sizeof(*r->targets));
		if (r->targets == NULL)
			return baseline_nomem(ld);
	}
	for (size_t i = 0; rc == 0 && i < n; i++) {
		char where[BASELINE_WHERE_LEN];
		snprintf(where, sizeof(where), "targets[%zu]", i);
		r->ntargets = i + 1;
		rc = baseline_load_target(ld, json_array_get(targets, i), where, &r->targets[i]);
	}
	for (size_t i = 0; rc == 0 && i < ndomains; i++) {
		char where[BASELINE_WHERE_LEN];
		snprintf(where, sizeof(where), "domains[%zu]", i);
		r->ntargets = n + i + 1;
		rc =
		    baseline_load_domain(ld, json_array_get(domains, i), where, &r->targets[n + i]);
	}
	return rc;
}

int baseline_parse(struct baseline_report *r, const char *name, const char *text, size_t len,
                   char *err, size_t errlen)
{
	const struct baseline_loader ld = {.name = name, .err = err, .errlen = errlen};
	*r = (struct baseline_report){.ntargets = 0};
	json_error_t jerr;
	json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	if (root == NULL) {
		snprintf(err, errlen, "%s: invalid JSON at line %d, column %d: %s", name, jerr.line,
		         jerr.column, jerr.text);
		return SA_ERROR_PARSE;
	}
	int rc = baseline_load_document(&ld, root, r);
	json_decref(root);
	if (rc != 0)
		baseline_report_free(r);
	return rc;
}

int baseline_load(struct baseline_report *r, const char *path, char *err, size_t errlen)
{
	*r = (struct baseline_report){.ntargets = 0};
	FILE *f = fopen(path, "rb");
	struct stat st;
	if (f == NULL || fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s: cannot read: %s", path,
		         f == NULL ? strerror(errno) : "not a regular file");
		if (f != NULL)
			fclose(f);
		return SA_ERROR_IO;
	}
	if ((uintmax_t)st.st_size > BASELINE_MAX_BYTES) {
		snprintf(err, errlen, "%s: larger than %u MiB, refusing to load", path,
		         BASELINE_MAX_BYTES >> 20);
		fclose(f);
		return SA_ERROR_TOOBIG;
	}
	size_t size = (size_t)st.st_size;
	char *text = malloc(size + 1);
	size_t got = text != NULL ? fread(text, 1, size, f) : 0;
	bool failed = ferror(f) != 0;
	fclose(f);
	int rc;
	if (text == NULL) {
		snprintf(err, errlen, "%s: out of memory", path);
		rc = SA_ERROR_NOMEM;
	} else if (failed) {
		snprintf(err, errlen, "%s: read error", path);
		rc = SA_ERROR_IO;
	} else {
		rc = baseline_parse(r, path, text, got, err, errlen);
	}
	free(text);
	return rc;
}

/* ---- the comparable form of a scan ---- */

/* Escaped like the JSON writer stores it; false when out of memory. */
static bool baseline_scan_text(const char *s, char **out)
{
	*out = s != NULL ? escape_visible_str(s) : NULL;
	return s == NULL || *out != NULL;
}

/* The capability line when have, else NULL; false when out of memory. */
static bool baseline_scan_caps(bool have, const struct smtp_caps *caps, char **out)
{
	const char *ext[SMTP_EXT_COUNT], *auth[SMTP_AUTH_COUNT];
	size_t next = 0, nauth = 0;
	*out = NULL;
	if (!have)
		return true;
	for (int e = 0; e < SMTP_EXT_COUNT; e++)
		if (smtp_caps_has(caps, (enum smtp_ext)e))
			ext[next++] = smtp_ext_name((enum smtp_ext)e);
	for (int m = 0; m < SMTP_AUTH_COUNT; m++)
		if (smtp_caps_has_auth(caps, (enum smtp_auth)m))
			auth[nauth++] = smtp_auth_name((enum smtp_auth)m);
	*out = baseline_caps_text(ext, next, auth, nauth);
	return *out != NULL;
}

static int baseline_scan_facts(const struct target_result *src, struct baseline_target *t)
{
	char **facts = t->facts;
	const struct tls_facts *tls = &src->tls;
	char *version = NULL;
	bool ok =
	    baseline_scan_text(src->banner, &facts[BASELINE_FACT_BANNER]) &&
	    baseline_scan_caps(src->have_caps_plain, &src->caps_plain,
	                       &facts[BASELINE_FACT_CAPS_PLAIN]) &&
	    baseline_scan_caps(src->have_caps_tls, &src->caps_tls,
	                       &facts[BASELINE_FACT_CAPS_TLS]) &&
	    baseline_scan_text(src->mta.version[0] != '\0' ? src->mta.version : NULL, &version);
	if (ok && src->have_tls)
		ok = baseline_scan_text(tls->fingerprint, &facts[BASELINE_FACT_CERTIFICATE]) &&
		     baseline_scan_text(tls->version, &facts[BASELINE_FACT_TLS_VERSION]) &&
		     baseline_scan_text(tls->ciphersuite, &facts[BASELINE_FACT_TLS_CIPHERSUITE]);
	if (ok)
		ok = (facts[BASELINE_FACT_SOFTWARE] =
		          baseline_software_text(mta_name(src->mta.mta), version)) != NULL;
	free(version);
	return ok ? 0 : SA_ERROR_NOMEM;
}

/* Finding f of target (or, when target is NULL, of domain). */
static int baseline_scan_finding(const struct target_result *target,
                                 const struct domain_result *domain, const struct finding *f,
                                 struct baseline_finding *out)
{
	const struct catalog_entry *entry = catalog_get(f->id);
	char fp[33];
	out->severity = entry->severity;
	int rc = target != NULL ? result_fingerprint(target, f, fp, sizeof(fp))
	                        : result_domain_fingerprint(domain, f, fp, sizeof(fp));
	if (rc != 0)
		return SA_ERROR_NOMEM;
	out->id = strdup(entry->public_id);
	out->fingerprint = strdup(fp);
	out->title = strdup(entry->title);
	return out->id != NULL && out->fingerprint != NULL && out->title != NULL ? 0
	                                                                         : SA_ERROR_NOMEM;
}

/* The n findings of target (or, when target is NULL, of domain) into t. */
static int baseline_scan_findings(const struct target_result *target,
                                  const struct domain_result *domain,
                                  const struct finding *findings, size_t n,
                                  struct baseline_target *t)
{
	if (n == 0)
		return 0;
	t->findings = calloc(n, sizeof(*t->findings));
	if (t->findings == NULL)
		return SA_ERROR_NOMEM;
	int rc = 0;
	for (size_t i = 0; rc == 0 && i < n; i++) {
		t->nfindings = i + 1;
		rc = baseline_scan_finding(target, domain, &findings[i], &t->findings[i]);
	}
	return rc;
}

static int baseline_scan_target(const struct target_result *src, struct baseline_target *t)
{
	t->port = src->port;
	t->completed = src->outcome == OUTCOME_COMPLETED;
	if (!baseline_scan_text(src->host, &t->host) ||
	    !baseline_scan_text(src->address, &t->address))
		return SA_ERROR_NOMEM;
	int rc = baseline_scan_facts(src, t);
	return rc == 0 ? baseline_scan_findings(src, NULL, src->findings, src->nfindings, t) : rc;
}

static int baseline_scan_domain(const struct domain_result *src, struct baseline_target *t)
{
	t->domain = true;
	t->completed = src->route != DOMAIN_ROUTE_FAILED;
	if (!baseline_scan_text(src->domain, &t->host))
		return SA_ERROR_NOMEM;
	return baseline_scan_findings(NULL, src, src->findings.items, src->findings.n, t);
}

int baseline_from_scan(struct baseline_report *r, const struct scan_result *scan)
{
	*r = (struct baseline_report){.ntargets = 0};
	size_t n = scan->ntargets;
	if (n + scan->ndomains == 0)
		return 0;
	r->targets = calloc(n + scan->ndomains, sizeof(*r->targets));
	if (r->targets == NULL)
		return SA_ERROR_NOMEM;
	int rc = 0;
	for (size_t i = 0; rc == 0 && i < n; i++) {
		r->ntargets = i + 1;
		rc = baseline_scan_target(scan->targets[i], &r->targets[i]);
	}
	for (size_t i = 0; rc == 0 && i < scan->ndomains; i++) {
		r->ntargets = n + i + 1;
		rc = baseline_scan_domain(scan->domains[i], &r->targets[n + i]);
	}
	if (rc != 0)
		baseline_report_free(r);
	return rc;
}

/* ---- indexes ---- */

static int baseline_compare_strings(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Every fingerprint of r, sorted; NULL with *n = 0 when there are none or out of memory. */
static const char **baseline_fingerprints(const struct baseline_report *r, size_t *n, bool *nomem)
{
	*n = 0;
	for (size_t i = 0; i < r->ntargets; i++)
		*n += r->targets[i].nfindings;
	if (*n == 0)
		return NULL;
	const char **fps = malloc(*n * sizeof(*fps));
	if (fps == NULL) {
		*nomem = true;
		return NULL;
	}
	size_t k = 0;
	for (size_t i = 0; i < r->ntargets; i++)
		for (size_t j = 0; j < r->targets[i].nfindings; j++)
			fps[k++] = r->targets[i].findings[j].fingerprint;
	qsort(fps, *n, sizeof(*fps), baseline_compare_strings);
	return fps;
}

static bool baseline_has_fingerprint(const char **fps, size_t n, const char *fp)
{
	return n > 0 && bsearch(&fp, fps, n, sizeof(*fps), baseline_compare_strings) != NULL;
}

static int baseline_compare_service(const void *a, const void *b)
{
	const struct baseline_target *x = *(const struct baseline_target *const *)a;
	const struct baseline_target *y = *(const struct baseline_target *const *)b;
	if (x->domain != y->domain)
		return (int)x->domain - (int)y->domain;
	int c = strcmp(x->host, y->host);
	return c != 0 ? c : (int)x->port - (int)y->port;
}

struct baseline_index {
	const struct baseline_target **by_service; /* sorted by host, then port */
	size_t n;
};

static int baseline_index_build(struct baseline_index *ix, const struct baseline_report *r)
{
	ix->n = r->ntargets;
	ix->by_service = NULL;
	if (ix->n == 0)
		return 0;
	ix->by_service = malloc(ix->n * sizeof(*ix->by_service));
	if (ix->by_service == NULL)
		return SA_ERROR_NOMEM;
	for (size_t i = 0; i < ix->n; i++)
		ix->by_service[i] = &r->targets[i];
	qsort(ix->by_service, ix->n, sizeof(*ix->by_service), baseline_compare_service);
	return 0;
}

static bool baseline_same_address(const struct baseline_target *a, const struct baseline_target *b)
{
	return a->address != NULL && b->address != NULL && strcmp(a->address, b->address) == 0;
}

/*
 * The target of ix for the same host and port as key: the one with the
 * same address when there are several (--all-addresses), else the first,
 * preferring one that completed; NULL when the service is absent.
 */
static const struct baseline_target *baseline_index_find(const struct baseline_index *ix,
                                                         const struct baseline_target *key)
{
	size_t lo = 0, hi = ix->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (baseline_compare_service(&ix->by_service[mid], &key) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	const struct baseline_target *best = NULL;
	for (size_t i = lo; i < ix->n && baseline_compare_service(&ix->by_service[i], &key) == 0;
	     i++) {
		const struct baseline_target *t = ix->by_service[i];
		if (baseline_same_address(t, key))
			return t;
		if (best == NULL || (!best->completed && t->completed))
			best = t;
	}
	return best;
}

/* ---- comparison ---- */

static bool baseline_same_fact(const char *a, const char *b)
{
	return a == NULL || b == NULL ? a == b : strcmp(a, b) == 0;
}

/* Grows *array (of elem bytes) to hold one more; false when out of memory. */
static bool baseline_reserve(void **array, size_t n, size_t elem)
{
	if ((n & (n - 1)) != 0 && n != 0)
		return true; /* capacity is the next power of two at or above n */
	void *grown = realloc(*array, (n == 0 ? 1 : n * 2) * elem);
	if (grown == NULL)
		return false;
	*array = grown;
	return true;
}

static bool baseline_add_entry(struct baseline_entry **list, size_t *n,
                               const struct baseline_target *t, const struct baseline_finding *f)
{
	if (!baseline_reserve((void **)list, *n, sizeof(**list)))
		return false;
	(*list)[(*n)++] = (struct baseline_entry){.target = t, .finding = f};
	return true;
}

static bool baseline_add_change(struct baseline_diff *d, const struct baseline_target *t,
                                enum baseline_fact fact, const char *before, const char *after)
{
	if (!baseline_reserve((void **)&d->changes, d->nchanges, sizeof(*d->changes)))
		return false;
	d->changes[d->nchanges++] =
	    (struct baseline_change){.target = t, .fact = fact, .before = before, .after = after};
	return true;
}

static bool baseline_add_unverified(struct baseline_diff *d, const struct baseline_target *t)
{
	if (!baseline_reserve((void **)&d->unverified, d->nunverified, sizeof(*d->unverified)))
		return false;
	d->unverified[d->nunverified++] = t;
	return true;
}

static bool baseline_diff_current(struct baseline_diff *d, const struct baseline_target *t,
                                  const char **old_fps, size_t nold,
                                  const struct baseline_index *old_ix)
{
	bool ok = true;
	for (size_t j = 0; ok && j < t->nfindings; j++) {
		const struct baseline_finding *f = &t->findings[j];
		if (baseline_has_fingerprint(old_fps, nold, f->fingerprint))
			ok = baseline_add_entry(&d->unchanged, &d->nunchanged, t, f);
		else
			ok = baseline_add_entry(&d->added, &d->nadded, t, f);
	}
	const struct baseline_target *before = baseline_index_find(old_ix, t);
	if (!t->completed || before == NULL || !before->completed)
		return ok;
	for (int fact = 0; ok && fact < BASELINE_FACT_COUNT; fact++)
		if (!baseline_same_fact(before->facts[fact], t->facts[fact]))
			ok = baseline_add_change(d, t, (enum baseline_fact)fact,
			                         before->facts[fact], t->facts[fact]);
	return ok;
}

static bool baseline_diff_old(struct baseline_diff *d, const struct baseline_target *t,
                              const char **cur_fps, size_t ncur,
                              const struct baseline_index *cur_ix)
{
	if (t->nfindings == 0)
		return true;
	const struct baseline_target *now = baseline_index_find(cur_ix, t);
	if (now == NULL || !now->completed)
		return baseline_add_unverified(d, t);
	bool ok = true;
	for (size_t j = 0; ok && j < t->nfindings; j++)
		if (!baseline_has_fingerprint(cur_fps, ncur, t->findings[j].fingerprint))
			ok = baseline_add_entry(&d->resolved, &d->nresolved, t, &t->findings[j]);
	return ok;
}

static bool baseline_sort_added(struct baseline_diff *d)
{
	if (d->nadded == 0)
		return true;
	d->added_sorted = malloc(d->nadded * sizeof(*d->added_sorted));
	if (d->added_sorted == NULL)
		return false;
	for (size_t i = 0; i < d->nadded; i++)
		d->added_sorted[i] = d->added[i].finding->fingerprint;
	qsort(d->added_sorted, d->nadded, sizeof(*d->added_sorted), baseline_compare_strings);
	return true;
}

int baseline_compare(struct baseline_diff *d, const struct baseline_report *old,
                     const struct baseline_report *cur)
{
	*d = (struct baseline_diff){.nadded = 0};
	struct baseline_index old_ix = {.n = 0}, cur_ix = {.n = 0};
	bool nomem = false;
	size_t nold, ncur;
	const char **old_fps = baseline_fingerprints(old, &nold, &nomem);
	const char **cur_fps = baseline_fingerprints(cur, &ncur, &nomem);
	bool ok = !nomem;
	ok = ok && baseline_index_build(&old_ix, old) == 0;
	ok = ok && baseline_index_build(&cur_ix, cur) == 0;
	for (size_t i = 0; ok && i < cur->ntargets; i++)
		ok = baseline_diff_current(d, &cur->targets[i], old_fps, nold, &old_ix);
	for (size_t i = 0; ok && i < old->ntargets; i++)
		ok = baseline_diff_old(d, &old->targets[i], cur_fps, ncur, &cur_ix);
	ok = ok && baseline_sort_added(d);
	free(old_fps);
	free(cur_fps);
	free(old_ix.by_service);
	free(cur_ix.by_service);
	if (!ok) {
		baseline_diff_free(d);
		return SA_ERROR_NOMEM;
	}
	return 0;
}

bool baseline_is_new(const struct baseline_diff *d, const char *fingerprint)
{
	return baseline_has_fingerprint(d->added_sorted, d->nadded, fingerprint);
}

size_t baseline_count_new_at_least(const struct baseline_diff *d, enum finding_severity min)
{
	size_t n = 0;
	for (size_t i = 0; i < d->nadded; i++)
		n += d->added[i].finding->severity >= min;
	return n;
}

void baseline_diff_free(struct baseline_diff *d)
{
	free(d->added);
	free(d->added_sorted);
	free(d->unchanged);
	free(d->resolved);
	free(d->changes);
	free(d->unverified);
	*d = (struct baseline_diff){.nadded = 0};
}

/* ---- --baseline during a scan ---- */

int baseline_run_open(struct baseline_run *run, const char *path, char *err, size_t errlen)
{
	*run = (struct baseline_run){.active = false};
	if (path == NULL)
		return 0;
	int rc = baseline_load(&run->old, path, err, errlen);
	run->active = rc == 0;
	return rc;
}

int baseline_run_compare(struct baseline_run *run, const struct scan_result *scan)
{
	if (!run->active)
		return 0;
	int rc = baseline_from_scan(&run->cur, scan);
	if (rc == 0)
		rc = baseline_compare(&run->diff, &run->old, &run->cur);
	return rc;
}

const char *baseline_run_mta_sts_id(const struct baseline_run *run, const char *domain)
{
	for (size_t i = 0; run->active && i < run->old.ntargets; i++) {
		const struct baseline_target *t = &run->old.targets[i];
		if (t->domain && strcmp(t->host, domain) == 0)
			return t->mta_sts_id;
	}
	return NULL;
}

const struct baseline_diff *baseline_run_diff(const struct baseline_run *run)
{
	return run->active ? &run->diff : NULL;
}

void baseline_run_close(struct baseline_run *run)
{
	baseline_diff_free(&run->diff);
	baseline_report_free(&run->cur);
	baseline_report_free(&run->old);
	run->active = false;
}
