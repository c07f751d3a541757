/*
 * NAME
 *	result - what a scan learned: per target, per probe, and overall
 *
 * DESCRIPTION
 *	Owns the memory of targets, probe records, findings and TLS facts, and
 *	puts them in the one order every report uses: targets by host, then
 *	numeric address (IPv4 before IPv6, an unresolved target first), then
 *	port; findings by finding_compare(); probe records by name.
 *
 *	result_fingerprint() is what SIEM rules and baseline comparisons key
 *	on; it leaves the address out so a host that moves keeps its findings.
 *
 *	A target the report has already streamed may be dropped instead of
 *	kept: the scan then holds only a tally (targets, completed, findings
 *	per severity), and every count adds the tally to the targets kept.
 *
 * DIAGNOSTICS
 *	Functions that allocate return 0 or SA_ERROR_NOMEM.
 */
#include "result.h"

#include <arpa/inet.h>
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "sa_error.h"

#define RESULT_FINGERPRINT_DIGITS 32
#define RESULT_FIRST_CAP          8

static const char *const outcome_names[] = {
#define OUTCOME_TEXT(name, text) [OUTCOME_##name] = text,
    OUTCOME_MAP(OUTCOME_TEXT)
#undef OUTCOME_TEXT
};
_Static_assert(sizeof(outcome_names) / sizeof(outcome_names[0]) == OUTCOME_COUNT,
               "one name per outcome");

static const char *const verdict_names[] = {
#define VERDICT_TEXT(name, text) [VERDICT_##name] = text,
    VERDICT_MAP(VERDICT_TEXT)
#undef VERDICT_TEXT
};
_Static_assert(sizeof(verdict_names) / sizeof(verdict_names[0]) == VERDICT_COUNT,
               "one name per verdict");

const char *outcome_name(enum outcome o)
{
	assert(o < OUTCOME_COUNT);
	return outcome_names[o];
}

const char *verdict_name(enum verdict v)
{
	assert(v < VERDICT_COUNT);
	return verdict_names[v];
}

/* ---- TLS facts ---- */

void tls_facts_drop_chain(struct tls_facts *t)
{
	for (size_t i = 0; i < t->nchain_der; i++)
		free(t->chain_der[i].der);
	free(t->chain_der);
	t->chain_der = NULL;
	t->nchain_der = 0;
}

void tls_facts_free(struct tls_facts *t)
{
	tls_facts_drop_chain(t);
	free(t->version);
	free(t->ciphersuite);
	free(t->subject);
	free(t->issuer);
	for (size_t i = 0; i < t->nsans; i++)
		free(t->sans[i]);
	free(t->sans);
	free(t->key_type);
	free(t->signature);
	free(t->signature_hash);
	free(t->verify_detail);
	*t = (struct tls_facts){0};
}

/* strdup() that keeps NULL as NULL; *ok turns false on allocation failure. */
static char *result_strdup_opt(const char *s, bool *ok)
{
	if (s == NULL)
		return NULL;
	char *copy = strdup(s);
	if (copy == NULL)
		*ok = false;
	return copy;
}

static bool result_copy_sans(struct tls_facts *dst, const struct tls_facts *src)
{
	if (src->nsans == 0)
		return true;
	dst->sans = calloc(src->nsans, sizeof(*dst->sans));
	if (dst->sans == NULL)
		return false;
	bool ok = true;
	for (size_t i = 0; ok && i < src->nsans; i++) {
		dst->sans[i] = result_strdup_opt(src->sans[i], &ok);
		if (ok)
			dst->nsans++;
	}
	return ok;
}

static bool result_copy_chain(struct tls_facts *dst, const struct tls_facts *src)
{
	if (src->nchain_der == 0)
		return true;
	dst->chain_der = calloc(src->nchain_der, sizeof(*dst->chain_der));
	if (dst->chain_der == NULL)
		return false;
	for (size_t i = 0; i < src->nchain_der; i++) {
		dst->chain_der[i].der = malloc(src->chain_der[i].len);
		if (dst->chain_der[i].der == NULL)
			return false;
		memcpy(dst->chain_der[i].der, src->chain_der[i].der, src->chain_der[i].len);
		dst->chain_der[i].len = src->chain_der[i].len;
		dst->nchain_der = i + 1;
	}
	return true;
}

int tls_facts_copy(struct tls_facts *dst, const struct tls_facts *src)
{
	bool ok = true;
	*dst = *src;
	dst->version = result_strdup_opt(src->version, &ok);
	dst->ciphersuite = result_strdup_opt(src->ciphersuite, &ok);
	dst->subject = result_strdup_opt(src->subject, &ok);
	dst->issuer = result_strdup_opt(src->issuer, &ok);
	dst->key_type = result_strdup_opt(src->key_type, &ok);
	dst->signature = result_strdup_opt(src->signature, &ok);
	dst->signature_hash = result_strdup_opt(src->signature_hash, &ok);
	dst->verify_detail = result_strdup_opt(src->verify_detail, &ok);
	dst->sans = NULL;
	dst->nsans = 0;
	dst->chain_der = NULL;
	dst->nchain_der = 0;
	if (!ok || !result_copy_sans(dst, src) || !result_copy_chain(dst, src)) {
		tls_facts_free(dst);
		return SA_ERROR_NOMEM;
	}
	return 0;
}

/* ---- targets ---- */

struct target_result *target_result_new(const char *host, const char *address, uint16_t port,
                                        bool implicit_tls)
{
	assert(host != NULL);
	struct target_result *t = calloc(1, sizeof(*t));
	if (t == NULL)
		return NULL;
	bool ok = true;
	t->host = result_strdup_opt(host, &ok);
	t->address = result_strdup_opt(address, &ok);
	t->port = port;
	t->implicit_tls = implicit_tls;
	mta_guess_init(&t->mta);
	if (!ok) {
		target_result_free(t);
		return NULL;
	}
	return t;
}

static void result_probe_record_free(struct probe_record *p)
{
	free(p->reason);
	free(p->verdict_reason);
}

void target_result_free(struct target_result *t)
{
	if (t == NULL)
		return;
	free(t->host);
	free(t->address);
	free(t->reason);
	free(t->banner);
	smtp_caps_free(&t->caps_plain);
	smtp_caps_free(&t->caps_tls);
	tls_facts_free(&t->tls);
	for (size_t i = 0; i < t->nprobes; i++)
		result_probe_record_free(&t->probes[i]);
	free(t->probes);
	for (size_t i = 0; i < t->nfindings; i++)
		finding_free(&t->findings[i]);
	free(t->findings);
	for (size_t i = 0; i < t->ndomains; i++)
		free(t->domains[i]);
	free(t->domains);
	free(t);
}

int target_result_take_finding(struct target_result *t, struct finding *f)
{
	if (t->nfindings == t->findings_cap) {
		size_t cap = t->findings_cap == 0 ? RESULT_FIRST_CAP : 2 * t->findings_cap;
		struct finding *grown = reallocarray(t->findings, cap, sizeof(*grown));
		if (grown == NULL)
			return SA_ERROR_NOMEM;
		t->findings = grown;
		t->findings_cap = cap;
	}
	t->findings[t->nfindings++] = *f;
	*f = (struct finding){0};
	return 0;
}

int target_result_add_domain(struct target_result *t, const char *domain)
{
	size_t at = 0;
	while (at < t->ndomains && strcmp(t->domains[at], domain) < 0)
		at++;
	if (at < t->ndomains && strcmp(t->domains[at], domain) == 0)
		return 0;
	char **grown = reallocarray(t->domains, t->ndomains + 1, sizeof(*grown));
	if (grown == NULL)
		return SA_ERROR_NOMEM;
	t->domains = grown;
	char *copy = strdup(domain);
	if (copy == NULL)
		return SA_ERROR_NOMEM;
	memmove(&t->domains[at + 1], &t->domains[at], (t->ndomains - at) * sizeof(*t->domains));
	t->domains[at] = copy;
	t->ndomains++;
	return 0;
}

int target_result_worst(const struct target_result *t)
{
	int worst = -1;
	for (size_t i = 0; i < t->nfindings; i++) {
		int sev = (int)finding_severity(&t->findings[i]);
		if (sev > worst)
			worst = sev;
	}
	return worst;
}

/* ---- the scan ---- */

void scan_result_init(struct scan_result *s)
{
	*s = (struct scan_result){0};
}

void scan_result_free(struct scan_result *s)
{
	for (size_t i = 0; i < s->ntargets; i++)
		target_result_free(s->targets[i]);
	free(s->targets);
	for (size_t i = 0; i < s->ndomains; i++)
		domain_result_free(s->domains[i]);
	free(s->domains);
	*s = (struct scan_result){0};
}

int scan_result_add(struct scan_result *s, struct target_result *t)
{
	if (s->ntargets == s->targets_cap) {
		size_t cap = s->targets_cap == 0 ? RESULT_FIRST_CAP : 2 * s->targets_cap;
		struct target_result **grown = reallocarray(s->targets, cap, sizeof(*grown));
		if (grown == NULL)
			return SA_ERROR_NOMEM;
		s->targets = grown;
		s->targets_cap = cap;
	}
	s->targets[s->ntargets++] = t;
	return 0;
}

int scan_result_add_domain(struct scan_result *s, struct domain_result *d)
{
	if (s->ndomains == s->domains_cap) {
		size_t cap = s->domains_cap == 0 ? RESULT_FIRST_CAP : 2 * s->domains_cap;
		struct domain_result **grown = reallocarray(s->domains, cap, sizeof(*grown));
		if (grown == NULL)
			return SA_ERROR_NOMEM;
		s->domains = grown;
		s->domains_cap = cap;
	}
	s->domains[s->ndomains++] = d;
	return 0;
}

void scan_result_drop(struct scan_result *s, struct target_result *t)
{
	s->dropped.targets++;
	s->dropped.completed += t->outcome == OUTCOME_COMPLETED;
	for (size_t i = 0; i < t->nfindings; i++)
		s->dropped.findings[finding_severity(&t->findings[i])]++;
	target_result_free(t);
}

/* Sort key of an address: no address, IPv4, IPv6, then text that is neither. */
enum result_address_rank {
	RESULT_ADDRESS_NONE,
	RESULT_ADDRESS_V4,
	RESULT_ADDRESS_V6,
	RESULT_ADDRESS_OTHER,
};

static enum result_address_rank result_address_parse(const char *address, unsigned char buf[16])
{
	if (address == NULL)
		return RESULT_ADDRESS_NONE;
	if (inet_pton(AF_INET, address, buf) == 1)
		return RESULT_ADDRESS_V4;
	if (inet_pton(AF_INET6, address, buf) == 1)
		return RESULT_ADDRESS_V6;
	return RESULT_ADDRESS_OTHER;
}

static int result_compare_address(const char *a, const char *b)
{
	unsigned char ba[16] = {0}, bb[16] = {0};
	enum result_address_rank ra = result_address_parse(a, ba);
	enum result_address_rank rb = result_address_parse(b, bb);
	if (ra != rb)
		return ra < rb ? -1 : 1;
	switch (ra) {
	case RESULT_ADDRESS_NONE:
		return 0;
	case RESULT_ADDRESS_V4:
		return memcmp(ba, bb, 4);
	case RESULT_ADDRESS_V6:
		return memcmp(ba, bb, 16);
	case RESULT_ADDRESS_OTHER:
		return strcmp(a, b);
	}
	assert(!"unknown address rank");
	return 0;
}

static int result_compare_targets(const void *pa, const void *pb)
{
	const struct target_result *a = *(const struct target_result *const *)pa;
	const struct target_result *b = *(const struct target_result *const *)pb;
	int c = strcmp(a->host, b->host);
	if (c != 0)
		return c;
	c = result_compare_address(a->address, b->address);
	if (c != 0)
		return c;
	if (a->port != b->port)
		return a->port < b->port ? -1 : 1;
	return (int)a->implicit_tls - (int)b->implicit_tls;
}

/*
 * finding_compare(), then the evidence, so that two findings that differ
 * only in their transcripts still come out in the same order every time.
 */
static int result_compare_findings(const void *pa, const void *pb)
{
	const struct finding *a = pa, *b = pb;
	int c = finding_compare(a, b);
	if (c != 0)
		return c;
	for (size_t i = 0; i < a->nevidence && i < b->nevidence; i++) {
		if (a->evidence[i].kind != b->evidence[i].kind)
			return a->evidence[i].kind < b->evidence[i].kind ? -1 : 1;
		c = strcmp(a->evidence[i].text, b->evidence[i].text);
		if (c != 0)
			return c;
	}
	if (a->nevidence != b->nevidence)
		return a->nevidence < b->nevidence ? -1 : 1;
	if (a->evidence_dropped != b->evidence_dropped)
		return a->evidence_dropped < b->evidence_dropped ? -1 : 1;
	return 0;
}

static int result_compare_probes(const void *pa, const void *pb)
{
	const struct probe_record *a = pa, *b = pb;
	return strcmp(a->probe, b->probe);
}

static void result_sort_findings(struct finding *findings, size_t n)
{
	if (n > 1)
		qsort(findings, n, sizeof(*findings), result_compare_findings);
}

void scan_result_sort(struct scan_result *s)
{
	if (s->ntargets > 1)
		qsort(s->targets, s->ntargets, sizeof(*s->targets), result_compare_targets);
	for (size_t i = 0; i < s->ntargets; i++) {
		struct target_result *t = s->targets[i];
		result_sort_findings(t->findings, t->nfindings);
		if (t->nprobes > 1)
			qsort(t->probes, t->nprobes, sizeof(*t->probes), result_compare_probes);
	}
	for (size_t i = 0; i < s->ndomains; i++)
		result_sort_findings(s->domains[i]->findings.items, s->domains[i]->findings.n);
}

size_t scan_result_count_at_least(const struct scan_result *s, enum finding_severity min)
{
	size_t counts[SEVERITY_COUNT], n = 0;
	scan_result_count_by_severity(s, counts);
	for (size_t sev = min; sev < SEVERITY_COUNT; sev++)
		n += counts[sev];
	return n;
}

void scan_result_count_by_severity(const struct scan_result *s, size_t counts[])
{
	for (size_t sev = 0; sev < SEVERITY_COUNT; sev++)
		counts[sev] = s->dropped.findings[sev];
	for (size_t i = 0; i < s->ntargets; i++) {
		const struct target_result *t = s->targets[i];
		for (size_t j = 0; j < t->nfindings; j++)
			counts[finding_severity(&t->findings[j])]++;
	}
	for (size_t i = 0; i < s->ndomains; i++) {
		const struct dns_findings *f = &s->domains[i]->findings;
		for (size_t j = 0; j < f->n; j++)
			counts[finding_severity(&f->items[j])]++;
	}
}

bool scan_result_any_completed(const struct scan_result *s)
{
	return scan_result_count_completed(s) > 0;
}

size_t scan_result_count_targets(const struct scan_result *s)
{
	return s->dropped.targets + s->ntargets;
}

size_t scan_result_count_completed(const struct scan_result *s)
{
	size_t n = s->dropped.completed;
	for (size_t i = 0; i < s->ntargets; i++)
		n += s->targets[i]->outcome == OUTCOME_COMPLETED;
	return n;
}

int scan_result_worst(const struct scan_result *s)
{
	size_t counts[SEVERITY_COUNT];
	scan_result_count_by_severity(s, counts);
	for (int sev = SEVERITY_COUNT - 1; sev >= 0; sev--)
		if (counts[sev] > 0)
			return sev;
	return -1;
}

/* The first RESULT_FINGERPRINT_DIGITS hex digits of the SHA-256 of key (n bytes, or -1: no memory). */
static int result_fingerprint_of(char *key, int n, char *buf, size_t buflen)
{
	assert(buflen > RESULT_FINGERPRINT_DIGITS);
	(void)buflen; /* only the assertion reads it */
	buf[0] = '\0';
	if (n < 0)
		return SA_ERROR_NOMEM;
	char hex[65];
	codec_sha256_hex(key, (size_t)n, hex);
	free(key);
	memcpy(buf, hex, RESULT_FINGERPRINT_DIGITS);
	buf[RESULT_FINGERPRINT_DIGITS] = '\0';
	return 0;
}

int result_fingerprint(const struct target_result *t, const struct finding *f, char *buf,
		       size_t buflen)
{
	char *key = NULL;
	int n = asprintf(&key, "%s|%u|%s|%s", t->host, (unsigned)t->port,
	                 catalog_get(f->id)->public_id, f->variant != NULL ? f->variant : "");
	return result_fingerprint_of(key, n, buf, buflen);
}

int result_domain_fingerprint(const struct domain_result *d, const struct finding *f, char *buf,
			      size_t buflen)
{
	char *key = NULL;
	int n = asprintf(&key, "domain:%s|%s|%s", d->domain, catalog_get(f->id)->public_id,
	                 f->variant != NULL ? f->variant : "");
	return result_fingerprint_of(key, n, buf, buflen);
}
