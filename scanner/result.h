/*
 * NAME
 *	result - what a scan learned: per target, per probe, and overall
 *
 * DESCRIPTION
 *	Three things are kept apart (DESIGN.md): function return codes, the
 *	outcome of a connection or probe, and findings. An outcome other than
 *	OUTCOME_COMPLETED always means the probe's verdict is inconclusive,
 *	never "not vulnerable".
 *
 *	A target is one (address, port) pair; its host facts (greeting,
 *	capabilities before and after TLS, TLS parameters, software guess) are
 *	filled by whichever session saw them first. Report writers only read
 *	these structures.
 */
#ifndef RESULT_H
#define RESULT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "domain_result.h"
#include "finding.h"
#include "mta.h"
#include "smtp_caps.h"

#define OUTCOME_MAP(X)                                                                             \
	X(COMPLETED, "completed")                                                                  \
	X(REFUSED, "refused")                                                                      \
	X(TIMEOUT, "timeout")                                                                      \
	X(CLOSED, "closed")                                                                        \
	X(TLS_ERROR, "tls-error")                                                                  \
	X(PROTOCOL_ERROR, "protocol-error")                                                        \
	X(THROTTLED, "throttled")                                                                  \
	X(UNRESOLVABLE, "unresolvable")                                                            \
	X(UNREACHABLE, "unreachable")                                                              \
	X(INTERRUPTED, "interrupted")

enum outcome {
#define OUTCOME_ENUM(name, text) OUTCOME_##name,
	OUTCOME_MAP(OUTCOME_ENUM)
#undef OUTCOME_ENUM
	OUTCOME_COUNT
};

#define VERDICT_MAP(X)                                                                             \
	X(NONE, "none")                     /* informational probe, nothing to judge */            \
	X(NOT_VULNERABLE, "not-vulnerable")                                                        \
	X(VULNERABLE, "vulnerable")                                                                \
	X(SUSPECTED, "suspected")                                                                  \
	X(INCONCLUSIVE, "inconclusive")                                                            \
	X(NOT_APPLICABLE, "not-applicable")

enum verdict {
#define VERDICT_ENUM(name, text) VERDICT_##name,
	VERDICT_MAP(VERDICT_ENUM)
#undef VERDICT_ENUM
	VERDICT_COUNT
};

const char *outcome_name(enum outcome o);
const char *verdict_name(enum verdict v);

/* One certificate as the server sent it. */
struct tls_der {
	unsigned char *der;
	size_t len;
};

struct tls_facts {
	char *version;            /* "TLSv1.2" */
	char *ciphersuite;        /* mbedTLS/IANA suite name */
	char *subject;            /* leaf certificate subject DN */
	char *issuer;
	char **sans;              /* subjectAltName dNSName entries */
	size_t nsans;
	int64_t not_before;       /* Unix seconds, UTC */
	int64_t not_after;
	char *key_type;           /* "RSA", "EC" */
	unsigned key_bits;
	char *signature;          /* "RSA with SHA-256" */
	char *signature_hash;     /* hash the leaf is signed with: "SHA-256", "SHA-1", "MD5" */
	char fingerprint[65];     /* SHA-256 of the DER leaf, lower-case hex */
	unsigned chain_length;
	bool trusted;             /* chain verified against the CA store */
	bool chain_trusted;       /* issuers lead to a trusted CA; the leaf's own dates, name,
				     key size and hash aside (cert_facts.h) */
	bool self_signed;         /* leaf issued by itself and signed with its own key */
	bool name_checked;        /* a host name was scanned, so the name could be checked */
	bool name_matches;        /* leaf valid for that name */
	char *verify_detail;      /* why verification failed; NULL when trusted */
	struct tls_der *chain_der; /* the chain as presented, leaf first, only when the TLS
				      context keeps it (tls_ctx_keep_chain: domain mode's DANE check) */
	size_t nchain_der;
};

void tls_facts_free(struct tls_facts *t);
/* Frees only the kept chain (once DANE has judged it). */
void tls_facts_drop_chain(struct tls_facts *t);
int tls_facts_copy(struct tls_facts *dst, const struct tls_facts *src);

struct probe_record {
	const char *probe;        /* static probe name */
	enum outcome outcome;
	char *reason;             /* what happened when not completed ("timeout while sending RCPT TO") */
	enum verdict verdict;
	char *verdict_reason;     /* one line, NULL if none */
	unsigned sessions;        /* connections the probe used */
};

struct target_result {
	char *host;               /* as the user named it: name or address text */
	char *address;            /* numeric address; NULL when the name did not resolve */
	uint16_t port;
	bool implicit_tls;
	enum outcome outcome;     /* COMPLETED when some session reached SMTP, else the first failure */
	char *reason;             /* human text when not completed */

	char *banner;             /* greeting lines joined with '\n'; NULL if none */
	int banner_code;
	bool esmtp;               /* EHLO accepted (else HELO fallback) */
	bool have_caps_plain, have_caps_tls, have_tls;
	struct smtp_caps caps_plain; /* EHLO before TLS */
	struct smtp_caps caps_tls;   /* EHLO after STARTTLS or on implicit TLS */
	struct tls_facts tls;
	struct mta_guess mta;

	struct probe_record *probes;
	size_t nprobes;
	struct finding *findings;
	size_t nfindings, findings_cap;
	char **domains;           /* domain mode: the domains this host is an MX of, sorted */
	size_t ndomains;

	int64_t started_ms, finished_ms; /* Unix milliseconds */
};

/* What the summary and the exit code need from targets that were not kept. */
struct scan_tally {
	size_t targets;
	size_t completed;
	size_t findings[SEVERITY_COUNT]; /* per severity */
};

struct scan_result {
	char scan_id[37];         /* UUID-like, random per scan */
	int64_t started_ms, finished_ms;
	bool interrupted;
	struct target_result **targets; /* the targets kept (scan_result_add) */
	size_t ntargets, targets_cap;
	struct scan_tally dropped;      /* the targets counted and freed (scan_result_drop) */
	struct domain_result **domains; /* domain mode: one per --domain, in the order given */
	size_t ndomains, domains_cap;
};

/* A zeroed target owning copies of host/address (outcome OUTCOME_COMPLETED until set). */
struct target_result *target_result_new(const char *host, const char *address, uint16_t port,
					bool implicit_tls);
void target_result_free(struct target_result *t);

/* Appends a finding (the struct is moved: its pointers now belong to t). */
int target_result_take_finding(struct target_result *t, struct finding *f);

/* Worst finding severity, or -1 without findings. */
int target_result_worst(const struct target_result *t);

/* Records that t is an MX host of domain (copied; kept sorted, no duplicates). */
int target_result_add_domain(struct target_result *t, const char *domain);

void scan_result_init(struct scan_result *s);
void scan_result_free(struct scan_result *s);

/* Appends a target; the scan owns it afterwards. */
int scan_result_add(struct scan_result *s, struct target_result *t);

/*
 * Counts a target that was already written out (a streamed report), then
 * frees it: a scan that keeps nothing per target runs in bounded memory.
 * Every count below includes dropped targets; the targets array does not.
 */
void scan_result_drop(struct scan_result *s, struct target_result *t);

/* Appends a domain's result; the scan owns it. Domain findings count like target findings. */
int scan_result_add_domain(struct scan_result *s, struct domain_result *d);

/*
 * Sorts targets (host, address, port numerically) and each target's
 * findings (finding_compare) and probes (by name), for deterministic output.
 */
void scan_result_sort(struct scan_result *s);

/* Number of findings at or above min, of targets and domains. */
size_t scan_result_count_at_least(const struct scan_result *s, enum finding_severity min);

/* Findings per severity, into counts[SEVERITY_COUNT]. */
void scan_result_count_by_severity(const struct scan_result *s, size_t counts[]);

/* True when at least one target reached SMTP. */
bool scan_result_any_completed(const struct scan_result *s);

/* Targets reported so far, kept or dropped. */
size_t scan_result_count_targets(const struct scan_result *s);

/* Of those, the targets that reached SMTP (OUTCOME_COMPLETED). */
size_t scan_result_count_completed(const struct scan_result *s);

/* Worst finding severity of the whole scan, or -1 without findings. */
int scan_result_worst(const struct scan_result *s);

/*
 * The stable fingerprint of a finding on a target: lower-case hex SHA-256
 * of "host|port|public_id|variant", truncated to 32 digits (buf >= 33).
 * The address is not part of it, so a name that moves to a new address
 * keeps its findings' identity. Returns 0 or SA_ERROR_NOMEM.
 */
int result_fingerprint(const struct target_result *t, const struct finding *f, char *buf,
			size_t buflen);

/*
 * The same for a finding of a domain (domain mode): the SHA-256 of
 * "domain:DOMAIN|public_id|variant", so it never equals a target's.
 */
int result_domain_fingerprint(const struct domain_result *d, const struct finding *f, char *buf,
			      size_t buflen);

#endif
