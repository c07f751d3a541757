/*
 * NAME
 *	result_json - a target result to and from its -o json form
 *
 * DESCRIPTION
 *	See result_json.h. Loading walks the object in the order the JSON
 *	writer builds it; every member is checked for type and range, and
 *	names (outcomes, verdicts, probes, finding ids, extensions) must be
 *	ones this program knows, so a hand-edited or foreign file is
 *	refused rather than half understood.
 */
#include "result_json.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "probe_registry.h"
#include "report.h"
#include "sa_error.h"

struct result_json_ctx {
	char *err;
	size_t errlen;
	const char *where; /* "findings[2]" or "" */
};

static int result_json_fail(struct result_json_ctx *c, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int result_json_fail(struct result_json_ctx *c, const char *key, const char *fmt, ...)
{
	int n = snprintf(c->err, c->errlen, "%s%s%s: ", c->where, *c->where ? "." : "", key);
	if (n >= 0 && (size_t)n < c->errlen) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(c->err + n, c->errlen - (size_t)n, fmt, ap);
		va_end(ap);
	}
	return SA_ERROR_PARSE;
}

json_t *result_json_target(const struct target_result *t)
{
	/* The writer reads a scan; this one holds t alone and is never modified. */
	struct target_result *only = (struct target_result *)t;
	const struct scan_result one = {.targets = &only, .ntargets = 1};
	char *text = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&text, &len);
	if (mem == NULL)
		return NULL;
	const struct report_options ropt = {.out = mem, .tool_version = "", .scan_id = ""};
	int rc = report_find("json")->end(&ropt, &one);
	if (fclose(mem) != 0)
		rc = SA_ERROR_IO;
	json_t *doc = rc == 0 ? json_loadb(text, len, 0, NULL) : NULL;
	free(text);
	json_t *target = json_array_get(json_object_get(doc, "targets"), 0);
	json_incref(target);
	json_decref(doc);
	return target;
}

int result_json_unescape(const char *s, char **out)
{
	size_t len = strlen(s);
	char *d = malloc(len + 1);
	if (d == NULL)
		return SA_ERROR_NOMEM;
	size_t n = 0;
	for (size_t i = 0; i < len; i++) {
		unsigned v;
		if (s[i] != '\\') {
			d[n++] = s[i];
		} else if (s[i + 1] == '\\') {
			d[n++] = '\\';
			i++;
		} else if (s[i + 1] == 'x' && sscanf(s + i + 2, "%2x", &v) == 1 && v != 0 &&
		           strspn(s + i + 2, "0123456789abcdefABCDEF") >= 2) {
			d[n++] = (char)v;
			i += 3;
		} else {
			free(d);
			return SA_ERROR_PARSE;
		}
	}
	d[n] = '\0';
	*out = d;
	return 0;
}

/* A server or user string: JSON null gives NULL when nullable. */
static int result_json_text(struct result_json_ctx *c, const json_t *obj, const char *key,
                            bool nullable, char **out)
{
	const json_t *v = json_object_get(obj, key);
	*out = NULL;
	if (nullable && json_is_null(v))
		return 0;
	if (!json_is_string(v))
		return result_json_fail(c, key, nullable ? "not a string or null" : "not a string");
	int rc = result_json_unescape(json_string_value(v), out);
	if (rc == SA_ERROR_PARSE)
		return result_json_fail(c, key, "a backslash that is not \\\\ or \\xNN");
	return rc;
}

static int result_json_bool(struct result_json_ctx *c, const json_t *obj, const char *key,
                            bool *out)
{
	const json_t *v = json_object_get(obj, key);
	if (!json_is_boolean(v))
		return result_json_fail(c, key, "not true or false");
	*out = json_is_true(v);
	return 0;
}

/* The greeting's reply code; absent (reports before it was written) or null: 0. */
static int result_json_banner_code(struct result_json_ctx *c, const json_t *obj, int *out)
{
	const json_t *v = json_object_get(obj, "banner_code");
	if (v == NULL || json_is_null(v))
		return 0;
	if (!json_is_integer(v) || json_integer_value(v) < 100 || json_integer_value(v) > 599)
		return result_json_fail(c, "banner_code", "not a reply code");
	*out = (int)json_integer_value(v);
	return 0;
}

static int result_json_count(struct result_json_ctx *c, const json_t *obj, const char *key,
                             uint64_t max, uint64_t *out)
{
	const json_t *v = json_object_get(obj, key);
	if (!json_is_integer(v) || json_integer_value(v) < 0 ||
	    (uint64_t)json_integer_value(v) > max)
		return result_json_fail(c, key, "not an integer between 0 and %llu",
		                        (unsigned long long)max);
	*out = (uint64_t)json_integer_value(v);
	return 0;
}

int result_json_time(const char *text, int64_t *ms)
{
	struct tm tm = {0};
	int millis = 0, used = 0;
	if (sscanf(text, "%4d-%2d-%2dT%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
	           &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &used) != 6 ||
	    used != 19)
		return SA_ERROR_PARSE;
	const char *rest = text + used;
	if (rest[0] == '.') {
		int n = 0;
		if (sscanf(rest + 1, "%3d%n", &millis, &n) != 1 || n != 3 || millis < 0)
			return SA_ERROR_PARSE;
		rest += 4;
	}
	if (strcmp(rest, "Z") != 0 || tm.tm_mon < 1 || tm.tm_mon > 12 || tm.tm_mday < 1 ||
	    tm.tm_mday > 31 || tm.tm_hour > 23 || tm.tm_min > 59 || tm.tm_sec > 60)
		return SA_ERROR_PARSE;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	*ms = (int64_t)timegm(&tm) * 1000 + millis;
	return 0;
}

static int result_json_time_member(struct result_json_ctx *c, const json_t *obj, const char *key,
                                   int64_t *ms)
{
	const char *text = json_string_value(json_object_get(obj, key));
	if (text == NULL || result_json_time(text, ms) != 0)
		return result_json_fail(c, key, "not a time like 2024-01-31T12:00:00.000Z");
	return 0;
}

/* The index of name among count names given by name_of, or -1. */
static int result_json_name_index(const char *name, int count, const char *(*name_of)(int))
{
	for (int i = 0; name != NULL && i < count; i++)
		if (strcmp(name_of(i), name) == 0)
			return i;
	return -1;
}

static const char *result_json_outcome_name(int i)
{
	return outcome_name((enum outcome)i);
}

static const char *result_json_verdict_name(int i)
{
	return verdict_name((enum verdict)i);
}

static const char *result_json_mta_name(int i)
{
	return mta_name((enum mta)i);
}

static const char *result_json_evidence_name(int i)
{
	static const char *const names[] = {
	    [EVIDENCE_SENT] = "sent",
	    [EVIDENCE_RECEIVED] = "received",
	    [EVIDENCE_NOTE] = "note",
	};
	_Static_assert(sizeof(names) / sizeof(names[0]) == EVIDENCE_NOTE + 1, "evidence kinds");
	return names[i];
}

static int result_json_enum(struct result_json_ctx *c, const json_t *obj, const char *key,
                            int count, const char *(*name_of)(int), int *out)
{
	const char *name = json_string_value(json_object_get(obj, key));
	*out = result_json_name_index(name, count, name_of);
	if (*out < 0)
		return result_json_fail(c, key, "'%s' is not a known value",
		                        name ? name : "(none)");
	return 0;
}

/* A list of strings into a malloc'ed array. */
static int result_json_text_list(struct result_json_ctx *c, const json_t *obj, const char *key,
                                 char ***items, size_t *n)
{
	const json_t *array = json_object_get(obj, key);
	if (!json_is_array(array))
		return result_json_fail(c, key, "not an array");
	size_t count = json_array_size(array);
	*items = count ? calloc(count, sizeof(**items)) : NULL;
	if (count && *items == NULL)
		return SA_ERROR_NOMEM;
	for (*n = 0; *n < count; (*n)++) {
		const json_t *v = json_array_get(array, *n);
		if (!json_is_string(v))
			return result_json_fail(c, key, "item %zu is not a string", *n);
		if (result_json_unescape(json_string_value(v), &(*items)[*n]) != 0)
			return result_json_fail(c, key, "item %zu is badly escaped", *n);
	}
	return 0;
}

/* Names looked up by lookup into bits of *set. */
static int result_json_name_set(struct result_json_ctx *c, const json_t *obj, const char *key,
                                bool (*lookup)(const char *, size_t, int *), uint32_t *set)
{
	const json_t *array = json_object_get(obj, key);
	if (!json_is_array(array))
		return result_json_fail(c, key, "not an array");
	size_t i;
	const json_t *v;
	json_array_foreach(array, i, v)
	{
		const char *name = json_string_value(v);
		int bit;
		if (name == NULL || !lookup(name, strlen(name), &bit))
			return result_json_fail(c, key, "item %zu is not a known name", i);
		*set |= 1u << bit;
	}
	return 0;
}

static bool result_json_ext(const char *name, size_t len, int *bit)
{
	enum smtp_ext e;
	if (!smtp_ext_lookup(name, len, &e))
		return false;
	*bit = (int)e;
	return true;
}

static bool result_json_auth(const char *name, size_t len, int *bit)
{
	enum smtp_auth a;
	if (!smtp_auth_lookup(name, len, &a))
		return false;
	*bit = (int)a;
	return true;
}

static int result_json_caps(struct result_json_ctx *c, const json_t *obj, bool *have,
                            struct smtp_caps *caps)
{
	*have = !json_is_null(obj);
	if (!*have)
		return 0;
	if (!json_is_object(obj))
		return result_json_fail(c, "capabilities", "not an object or null");
	uint64_t dropped = 0, auth_dropped = 0;
	int rc = result_json_text(c, obj, "server_name", true, &caps->server_name);
	if (rc == 0)
		rc = result_json_name_set(c, obj, "extensions", result_json_ext, &caps->ext);
	if (rc == 0)
		rc = result_json_name_set(c, obj, "auth", result_json_auth, &caps->auth);
	if (rc == 0)
		rc = result_json_count(c, obj, "size_limit", INT64_MAX, &caps->size_limit);
	if (rc == 0)
		rc = result_json_text_list(c, obj, "unknown", &caps->unknown, &caps->nunknown);
	if (rc == 0)
		rc = result_json_count(c, obj, "unknown_dropped", SIZE_MAX, &dropped);
	if (rc == 0)
		rc = result_json_text_list(c, obj, "auth_unknown", &caps->auth_unknown,
		                           &caps->nauth_unknown);
	if (rc == 0)
		rc = result_json_count(c, obj, "auth_unknown_dropped", SIZE_MAX, &auth_dropped);
	if (rc == 0) {
		caps->unknown_dropped = (size_t)dropped;
		caps->auth_unknown_dropped = (size_t)auth_dropped;
	}
	return rc;
}

static int result_json_tls_texts(struct result_json_ctx *c, const json_t *obj,
                                 struct tls_facts *tls)
{
	static const struct {
		const char *key;
		size_t offset;
	} texts[] = {
	    {"version", offsetof(struct tls_facts, version)},
	    {"ciphersuite", offsetof(struct tls_facts, ciphersuite)},
	    {"subject", offsetof(struct tls_facts, subject)},
	    {"issuer", offsetof(struct tls_facts, issuer)},
	    {"key_type", offsetof(struct tls_facts, key_type)},
	    {"signature", offsetof(struct tls_facts, signature)},
	    {"signature_hash", offsetof(struct tls_facts, signature_hash)},
	    {"verify_detail", offsetof(struct tls_facts, verify_detail)},
	};
	int rc = 0;
	for (size_t i = 0; rc == 0 && i < sizeof(texts) / sizeof(texts[0]); i++)
		rc = result_json_text(c, obj, texts[i].key, true,
		                      (char **)((char *)tls + texts[i].offset));
	return rc;
}

static int result_json_tls_flags(struct result_json_ctx *c, const json_t *obj,
                                 struct tls_facts *tls)
{
	int rc = result_json_bool(c, obj, "trusted", &tls->trusted);
	if (rc == 0)
		rc = result_json_bool(c, obj, "chain_trusted", &tls->chain_trusted);
	if (rc == 0)
		rc = result_json_bool(c, obj, "self_signed", &tls->self_signed);
	if (rc == 0)
		rc = result_json_bool(c, obj, "name_checked", &tls->name_checked);
	if (rc == 0)
		rc = result_json_bool(c, obj, "name_matches", &tls->name_matches);
	return rc;
}

static int result_json_tls(struct result_json_ctx *c, const json_t *obj, struct target_result *t)
{
	t->have_tls = !json_is_null(obj);
	if (!t->have_tls)
		return 0;
	if (!json_is_object(obj))
		return result_json_fail(c, "tls", "not an object or null");
	struct tls_facts *tls = &t->tls;
	int64_t before = 0, after = 0;
	uint64_t bits = 0, chain = 0;
	char *fingerprint = NULL;
	int rc = result_json_tls_texts(c, obj, tls);
	if (rc == 0)
		rc = result_json_text_list(c, obj, "sans", &tls->sans, &tls->nsans);
	if (rc == 0)
		rc = result_json_time_member(c, obj, "not_before", &before);
	if (rc == 0)
		rc = result_json_time_member(c, obj, "not_after", &after);
	if (rc == 0)
		rc = result_json_count(c, obj, "key_bits", UINT32_MAX, &bits);
	if (rc == 0)
		rc = result_json_count(c, obj, "chain_length", UINT32_MAX, &chain);
	if (rc == 0)
		rc = result_json_tls_flags(c, obj, tls);
	if (rc == 0)
		rc = result_json_text(c, obj, "fingerprint", false, &fingerprint);
	if (rc == 0 && strlen(fingerprint) >= sizeof(tls->fingerprint))
		rc = result_json_fail(c, "fingerprint", "longer than a SHA-256 in hex");
	if (rc == 0) {
		tls->not_before = before / 1000;
		tls->not_after = after / 1000;
		tls->key_bits = (unsigned)bits;
		tls->chain_length = (unsigned)chain;
		memcpy(tls->fingerprint, fingerprint, strlen(fingerprint) + 1);
	}
	free(fingerprint);
	return rc;
}

static int result_json_probe(struct result_json_ctx *c, const json_t *obj, struct probe_record *rec)
{
	int outcome, verdict;
	uint64_t sessions;
	const char *name = json_string_value(json_object_get(obj, "name"));
	const struct probe *p = name ? probe_registry_find(name) : NULL;
	if (p == NULL)
		return result_json_fail(c, "name", "'%s' is not a probe of this program",
		                        name ? name : "(none)");
	rec->probe = p->name;
	int rc =
	    result_json_enum(c, obj, "outcome", OUTCOME_COUNT, result_json_outcome_name, &outcome);
	if (rc == 0)
		rc = result_json_text(c, obj, "reason", true, &rec->reason);
	if (rc == 0)
		rc = result_json_enum(c, obj, "verdict", VERDICT_COUNT, result_json_verdict_name,
		                      &verdict);
	if (rc == 0)
		rc = result_json_text(c, obj, "verdict_reason", true, &rec->verdict_reason);
	if (rc == 0)
		rc = result_json_count(c, obj, "sessions", UINT32_MAX, &sessions);
	if (rc == 0) {
		rec->outcome = (enum outcome)outcome;
		rec->verdict = (enum verdict)verdict;
		rec->sessions = (unsigned)sessions;
	}
	return rc;
}

static int result_json_evidence(struct result_json_ctx *c, const json_t *array, struct finding *f)
{
	if (!json_is_array(array))
		return result_json_fail(c, "evidence", "not an array");
	size_t i;
	const json_t *item;
	json_array_foreach(array, i, item)
	{
		int kind;
		char *text = NULL;
		int rc = result_json_enum(c, item, "kind", EVIDENCE_NOTE + 1,
		                          result_json_evidence_name, &kind);
		if (rc == 0)
			rc = result_json_text(c, item, "text", false, &text);
		if (rc == 0)
			rc = finding_add_evidence(f, (enum evidence_kind)kind, text);
		free(text);
		if (rc != 0)
			return rc;
	}
	return 0;
}

static int result_json_finding(struct result_json_ctx *c, const json_t *obj, struct finding *f)
{
	enum catalog_id id;
	const char *public_id = json_string_value(json_object_get(obj, "id"));
	if (public_id == NULL || !catalog_lookup(public_id, &id))
		return result_json_fail(c, "id", "unknown finding '%s'",
		                        public_id ? public_id : "(none)");
	char *variant = NULL, *detail = NULL;
	uint64_t dropped = 0;
	int rc = result_json_text(c, obj, "variant", true, &variant);
	if (rc == 0)
		rc = result_json_text(c, obj, "detail", true, &detail);
	if (rc == 0)
		rc = finding_init(f, id, variant);
	if (rc == 0 && detail != NULL)
		rc = finding_set_detail(f, "%s", detail);
	if (rc == 0)
		rc = result_json_evidence(c, json_object_get(obj, "evidence"), f);
	if (rc == 0)
		rc = result_json_count(c, obj, "evidence_dropped", SIZE_MAX, &dropped);
	if (rc == 0)
		f->evidence_dropped += (size_t)dropped;
	free(variant);
	free(detail);
	return rc;
}

static int result_json_probes(struct result_json_ctx *c, const json_t *array,
                              struct target_result *t)
{
	if (!json_is_array(array))
		return result_json_fail(c, "probes", "not an array");
	size_t n = json_array_size(array);
	t->probes = n ? calloc(n, sizeof(*t->probes)) : NULL;
	if (n && t->probes == NULL)
		return SA_ERROR_NOMEM;
	char where[32];
	for (; t->nprobes < n; t->nprobes++) {
		snprintf(where, sizeof(where), "probes[%zu]", t->nprobes);
		struct result_json_ctx sub = {.err = c->err, .errlen = c->errlen, .where = where};
		int rc = result_json_probe(&sub, json_array_get(array, t->nprobes),
		                           &t->probes[t->nprobes]);
		if (rc != 0) {
			t->nprobes++; /* freed with the target, whatever it got */
			return rc;
		}
	}
	return 0;
}

static int result_json_findings(struct result_json_ctx *c, const json_t *array,
                                struct target_result *t)
{
	if (!json_is_array(array))
		return result_json_fail(c, "findings", "not an array");
	size_t i;
	const json_t *item;
	char where[32];
	json_array_foreach(array, i, item)
	{
		snprintf(where, sizeof(where), "findings[%zu]", i);
		struct result_json_ctx sub = {.err = c->err, .errlen = c->errlen, .where = where};
		struct finding f = {.variant = NULL};
		int rc = result_json_finding(&sub, item, &f);
		if (rc == 0)
			rc = target_result_take_finding(t, &f);
		if (rc != 0) {
			finding_free(&f);
			return rc;
		}
	}
	return 0;
}

/* Domain mode: the domains the target is an MX host of; absent in a plain scan's report. */
static int result_json_target_domains(struct result_json_ctx *c, const json_t *obj,
                                      struct target_result *t)
{
	if (json_object_get(obj, "domains") == NULL)
		return 0;
	char **names = NULL;
	size_t n = 0;
	int rc = result_json_text_list(c, obj, "domains", &names, &n);
	for (size_t i = 0; rc == 0 && i < n; i++)
		rc = target_result_add_domain(t, names[i]);
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return rc;
}

static int result_json_software(struct result_json_ctx *c, const json_t *obj, struct mta_guess *g)
{
	int mta;
	char *version = NULL;
	mta_guess_init(g);
	int rc = result_json_enum(c, obj, "name", MTA_COUNT, result_json_mta_name, &mta);
	if (rc == 0)
		rc = result_json_text(c, obj, "version", true, &version);
	if (rc == 0 && version != NULL && strlen(version) >= sizeof(g->version))
		rc =
		    result_json_fail(c, "version", "longer than %zu bytes", sizeof(g->version) - 1);
	if (rc == 0) {
		g->mta = (enum mta)mta;
		snprintf(g->version, sizeof(g->version), "%s", version ? version : "");
	}
	free(version);
	return rc;
}

static int result_json_facts(struct result_json_ctx *c, const json_t *obj, struct target_result *t)
{
	const json_t *caps = json_object_get(obj, "capabilities");
	int outcome;
	int rc =
	    result_json_enum(c, obj, "outcome", OUTCOME_COUNT, result_json_outcome_name, &outcome);
	if (rc == 0)
		rc = result_json_text(c, obj, "reason", true, &t->reason);
	if (rc == 0)
		rc = result_json_time_member(c, obj, "started", &t->started_ms);
	if (rc == 0)
		rc = result_json_time_member(c, obj, "finished", &t->finished_ms);
	if (rc == 0)
		rc = result_json_software(c, json_object_get(obj, "software"), &t->mta);
	if (rc == 0)
		rc = result_json_text(c, obj, "banner", true, &t->banner);
	if (rc == 0)
		rc = result_json_banner_code(c, obj, &t->banner_code);
	if (rc == 0)
		rc = result_json_bool(c, obj, "esmtp", &t->esmtp);
	if (rc == 0 && !json_is_object(caps))
		rc = result_json_fail(c, "capabilities", "not an object");
	if (rc == 0)
		rc = result_json_caps(c, json_object_get(caps, "plaintext"), &t->have_caps_plain,
		                      &t->caps_plain);
	if (rc == 0)
		rc = result_json_caps(c, json_object_get(caps, "tls"), &t->have_caps_tls,
		                      &t->caps_tls);
	if (rc == 0)
		rc = result_json_tls(c, json_object_get(obj, "tls"), t);
	if (rc == 0)
		rc = result_json_probes(c, json_object_get(obj, "probes"), t);
	if (rc == 0)
		rc = result_json_findings(c, json_object_get(obj, "findings"), t);
	if (rc == 0)
		rc = result_json_target_domains(c, obj, t);
	if (rc == 0)
		t->outcome = (enum outcome)outcome;
	return rc;
}

int result_json_load(const json_t *obj, struct target_result **out, char *err, size_t errlen)
{
	struct result_json_ctx c = {.err = err, .errlen = errlen, .where = ""};
	char *host = NULL, *address = NULL;
	uint64_t port = 0;
	bool implicit_tls = false;
	*out = NULL;
	if (!json_is_object(obj))
		return result_json_fail(&c, "target", "not an object");
	int rc = result_json_text(&c, obj, "host", false, &host);
	if (rc == 0)
		rc = result_json_text(&c, obj, "address", true, &address);
	if (rc == 0)
		rc = result_json_count(&c, obj, "port", 65535, &port);
	if (rc == 0 && port == 0)
		rc = result_json_fail(&c, "port", "0 is not a port");
	if (rc == 0)
		rc = result_json_bool(&c, obj, "implicit_tls", &implicit_tls);
	struct target_result *t = NULL;
	if (rc == 0) {
		t = target_result_new(host, address, (uint16_t)port, implicit_tls);
		rc = t == NULL ? SA_ERROR_NOMEM : result_json_facts(&c, obj, t);
	}
	free(host);
	free(address);
	if (rc != 0) {
		target_result_free(t);
		return rc;
	}
	*out = t;
	return 0;
}

/* ---- domains ---- */

static const char *result_json_route_name(int i)
{
	return domain_route_name((enum domain_route)i);
}

static int result_json_mx_host(struct result_json_ctx *c, const json_t *obj,
                               struct domain_result *d)
{
	if (!json_is_object(obj))
		return result_json_fail(c, "mx", "not an object");
	uint64_t preference = 0;
	char *host = NULL, **addresses = NULL;
	size_t naddresses = 0;
	int rc = result_json_count(c, obj, "preference", 65535, &preference);
	if (rc == 0)
		rc = result_json_text(c, obj, "host", false, &host);
	if (rc == 0)
		rc = result_json_text_list(c, obj, "addresses", &addresses, &naddresses);
	if (rc == 0)
		rc = domain_result_add_mx(d, (unsigned)preference, host);
	struct domain_mx *mx = rc == 0 ? &d->mx[d->nmx - 1] : NULL;
	for (size_t i = 0; rc == 0 && i < naddresses; i++)
		rc = domain_mx_add_address(mx, addresses[i]);
	if (rc == 0)
		rc = result_json_text(c, obj, "error", true, &mx->error);
	for (size_t i = 0; i < naddresses; i++)
		free(addresses[i]);
	free(addresses);
	free(host);
	return rc;
}

static int result_json_record(struct result_json_ctx *c, const json_t *obj, struct domain_result *d)
{
	if (!json_is_object(obj))
		return result_json_fail(c, "records", "not an object");
	char *name = NULL, *type = NULL, *text = NULL;
	int rc = result_json_text(c, obj, "name", false, &name);
	if (rc == 0)
		rc = result_json_text(c, obj, "type", false, &type);
	if (rc == 0)
		rc = result_json_text(c, obj, "text", false, &text);
	if (rc == 0)
		rc = domain_result_add_record(d, name, type, text);
	free(name);
	free(type);
	free(text);
	return rc;
}

static int result_json_domain_finding(struct result_json_ctx *c, const json_t *obj,
                                      struct domain_result *d)
{
	struct finding f = {.variant = NULL};
	int rc = result_json_finding(c, obj, &f);
	if (rc == 0)
		rc = dns_findings_take(&d->findings, &f);
	finding_free(&f);
	return rc;
}

/* Each object of array key through load, with "key[i]" as the place in messages. */
static int result_json_each(struct result_json_ctx *c, const json_t *obj, const char *key,
                            int (*load)(struct result_json_ctx *, const json_t *,
                                        struct domain_result *),
                            struct domain_result *d)
{
	const json_t *array = json_object_get(obj, key);
	if (!json_is_array(array))
		return result_json_fail(c, key, "not an array");
	size_t i;
	const json_t *item;
	char where[48];
	json_array_foreach(array, i, item)
	{
		snprintf(where, sizeof(where), "%s[%zu]", key, i);
		struct result_json_ctx sub = {.err = c->err, .errlen = c->errlen, .where = where};
		int rc = load(&sub, item, d);
		if (rc != 0)
			return rc;
	}
	return 0;
}

static int result_json_domain_facts(struct result_json_ctx *c, const json_t *obj,
                                    struct domain_result *d)
{
	int route;
	uint64_t dropped = 0;
	int rc =
	    result_json_enum(c, obj, "route", DOMAIN_ROUTE_COUNT, result_json_route_name, &route);
	if (rc == 0)
		rc = result_json_text(c, obj, "error", true, &d->error);
	if (rc == 0)
		rc = result_json_bool(c, obj, "dnssec", &d->dnssec);
	if (rc == 0)
		rc = result_json_time_member(c, obj, "started", &d->started_ms);
	if (rc == 0)
		rc = result_json_time_member(c, obj, "finished", &d->finished_ms);
	if (rc == 0)
		rc = result_json_each(c, obj, "mx", result_json_mx_host, d);
	if (rc == 0)
		rc = result_json_each(c, obj, "records", result_json_record, d);
	if (rc == 0)
		rc = result_json_text(c, obj, "mta_sts_id", true, &d->mta_sts_id);
	if (rc == 0)
		rc = result_json_each(c, obj, "findings", result_json_domain_finding, d);
	if (rc == 0)
		rc = result_json_count(c, obj, "findings_dropped", SIZE_MAX, &dropped);
	if (rc == 0) {
		d->route = (enum domain_route)route;
		d->findings.dropped += (size_t)dropped;
	}
	return rc;
}

int result_json_load_domain(const json_t *obj, struct domain_result **out, char *err, size_t errlen)
{
	struct result_json_ctx c = {.err = err, .errlen = errlen, .where = ""};
	char *name = NULL;
	*out = NULL;
	if (!json_is_object(obj))
		return result_json_fail(&c, "domain", "not an object");
	int rc = result_json_text(&c, obj, "domain", false, &name);
	if (rc == 0 && name[0] == '\0')
		rc = result_json_fail(&c, "domain", "empty");
	struct domain_result *d = NULL;
	if (rc == 0) {
		d = domain_result_new(name);
		rc = d == NULL ? SA_ERROR_NOMEM : result_json_domain_facts(&c, obj, d);
	}
	free(name);
	if (rc != 0) {
		domain_result_free(d);
		return rc;
	}
	*out = d;
	return 0;
}
