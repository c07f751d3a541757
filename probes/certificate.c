/*
 * NAME
 *	certificate - can a sender verify the certificate this server presents?
 *
 * DESCRIPTION
 *	Sends, on a STARTTLS port after EHLO:
 *		C: STARTTLS
 *		S: 220 2.0.0 Ready to start TLS
 *		   (TLS handshake; the chain is verified against the system
 *		   store or --ca-file, for the scanned host name)
 *		C: EHLO <helo name>
 *		S: 250 ...
 *	and nothing on an implicit-TLS port, where the handshake came before
 *	the greeting. Then it judges the leaf certificate from the facts the
 *	handshake left (probe_tls_facts(), see scanner/cert_facts.h), dates
 *	by the scan's clock (probe_now()), never by the TLS library's:
 *
 *	SMTP-CERT-001	the chain does not lead to a trusted CA (the
 *			verification detail is in the evidence)
 *	SMTP-CERT-006	self-signed and not trusted; reported instead of
 *			SMTP-CERT-001, as it is the reason of the distrust. A
 *			self-signed certificate that --ca-file trusts (pinned)
 *			is no finding.
 *	SMTP-CERT-002	expired: not after is before now
 *	SMTP-CERT-003	not yet valid: not before is after now
 *	SMTP-CERT-004	expiring: valid now, but ends within --cert-warn-days
 *	SMTP-CERT-005	not valid for the scanned host name (in domain mode
 *			the MX host name, which is the target's name). An
 *			address target has no name to check: no finding, and
 *			the verdict reason says so.
 *	SMTP-CERT-007	RSA key below 2048 bits, EC key below 256 bits
 *	SMTP-CERT-008	the leaf is signed with MD2, MD4, MD5 or SHA-1; not
 *			judged for a self-signed leaf, whose own signature
 *			nobody relies on
 *
 *	Each finding's evidence is the certificate: subject, issuer,
 *	subjectAltNames, validity (ISO 8601, UTC) and SHA-256 fingerprint.
 *
 *	Verdict: vulnerable with any finding but SMTP-CERT-004, which is a
 *	warning about a certificate that is still good (not-vulnerable, with
 *	the finding). Not applicable when STARTTLS is not offered (the
 *	starttls probe reports that); inconclusive when STARTTLS is refused
 *	or the handshake brought no certificate. A failed handshake ends the
 *	session: that failure stands as this probe's outcome (no
 *	interrupted()), and the starttls probe reports it as a finding.
 *
 *	False positives avoided: an expired or premature leaf from a trusted
 *	CA is only SMTP-CERT-002/003, not also untrusted; a SHA-1 leaf or a
 *	short RSA key is judged as such, not as an untrusted chain.
 *	Never: anything but STARTTLS and the engine's EHLO; no certificate
 *	of the scanner's own, no revocation lookups (no network beyond the
 *	session).
 *	References: RFC 5280 (validity, path validation); RFC 6125 and
 *		RFC 7817 (name checks for mail); RFC 8461 section 4.2 (MTA-STS);
 *		RFC 7672 (DANE for SMTP); RFC 3207; NIST SP 800-131A Rev. 2.
 */
#include <assert.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "probe.h"
#include "target.h"
#include "text_buf.h"

#define CERTIFICATE_MIN_RSA_BITS 2048
#define CERTIFICATE_MIN_EC_BITS  256
#define CERTIFICATE_DAY          86400
#define CERTIFICATE_DETAIL       384
#define CERTIFICATE_REASON       768
#define CERTIFICATE_NOTE         1024

enum certificate_tag {
	CERTIFICATE_TAG_STARTTLS = 1,
};

/* The checks, in the order the verdict reason lists them. */
enum certificate_check {
	CERTIFICATE_UNTRUSTED,
	CERTIFICATE_SELF_SIGNED,
	CERTIFICATE_EXPIRED,
	CERTIFICATE_NOT_YET_VALID,
	CERTIFICATE_EXPIRING,
	CERTIFICATE_NAME_MISMATCH,
	CERTIFICATE_WEAK_KEY,
	CERTIFICATE_WEAK_SIGNATURE,
	CERTIFICATE_CHECK_COUNT
};

static const struct certificate_check_info {
	enum catalog_id id;
	const char *phrase; /* in the verdict reason */
	bool warning;       /* a finding that does not make the server vulnerable */
} certificate_checks[] = {
    [CERTIFICATE_UNTRUSTED] = {.id = CATALOG_CERT_UNTRUSTED, .phrase = "untrusted chain"},
    [CERTIFICATE_SELF_SIGNED] = {.id = CATALOG_CERT_SELF_SIGNED, .phrase = "self-signed"},
    [CERTIFICATE_EXPIRED] = {.id = CATALOG_CERT_EXPIRED, .phrase = "expired"},
    [CERTIFICATE_NOT_YET_VALID] = {.id = CATALOG_CERT_NOT_YET_VALID, .phrase = "not yet valid"},
    [CERTIFICATE_EXPIRING] = {.id = CATALOG_CERT_EXPIRING,
                              .phrase = "expiring soon",
                              .warning = true},
    [CERTIFICATE_NAME_MISMATCH] = {.id = CATALOG_CERT_NAME_MISMATCH, .phrase = "name mismatch"},
    [CERTIFICATE_WEAK_KEY] = {.id = CATALOG_CERT_WEAK_KEY, .phrase = "weak key"},
    [CERTIFICATE_WEAK_SIGNATURE] = {.id = CATALOG_CERT_WEAK_SIGNATURE,
                                    .phrase = "weak signature hash"},
};
_Static_assert(sizeof(certificate_checks) / sizeof(certificate_checks[0]) ==
                   CERTIFICATE_CHECK_COUNT,
               "one entry per check");

/* Hashes no certificate signature should use any more (names as in struct tls_facts). */
static const char *const certificate_weak_hashes[] = {"MD2", "MD4", "MD5", "SHA-1"};

/* What the checks found: which failed, and a detail line for each. */
struct certificate_judgement {
	bool failed[CERTIFICATE_CHECK_COUNT];
	char detail[CERTIFICATE_CHECK_COUNT][CERTIFICATE_DETAIL];
	char name_note[160]; /* why the name was not checked, or "" */
};

/* ---- formatting ---- */

/* ISO 8601 in UTC, or the Unix time when the date cannot be shown. */
static const char *certificate_time(int64_t t, char *buf, size_t len)
{
	time_t tt = (time_t)t;
	struct tm tm;
	if (gmtime_r(&tt, &tm) == NULL || strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(buf, len, "Unix time %lld", (long long)t);
	return buf;
}

/* later - earlier in seconds, saturated: certificate dates are whatever the server sent. */
static int64_t certificate_seconds(int64_t later, int64_t earlier)
{
	int64_t d;
	if (__builtin_sub_overflow(later, earlier, &d))
		return later > earlier ? INT64_MAX : INT64_MIN;
	return d;
}

static long long certificate_days(int64_t later, int64_t earlier)
{
	return (long long)(certificate_seconds(later, earlier) / CERTIFICATE_DAY);
}

/* Evidence every finding carries: which certificate it is about. */
static void certificate_add_identity(struct finding *f, const struct tls_facts *tls)
{
	char note[CERTIFICATE_NOTE], from[48], until[48];
	struct text_buf t;
	snprintf(note, sizeof(note), "subject: %s", tls->subject);
	finding_add_evidence(f, EVIDENCE_NOTE, note);
	snprintf(note, sizeof(note), "issuer: %s", tls->issuer ? tls->issuer : "(none)");
	finding_add_evidence(f, EVIDENCE_NOTE, note);
	text_buf_init(&t, note, sizeof(note));
	text_buf_add(&t, "subject alternative names:");
	for (size_t i = 0; i < tls->nsans; i++)
		text_buf_add(&t, "%s %s", i ? "," : "", tls->sans[i]);
	if (tls->nsans == 0)
		text_buf_add(&t, " none");
	finding_add_evidence(f, EVIDENCE_NOTE, note);
	snprintf(note, sizeof(note), "valid from %s until %s",
	         certificate_time(tls->not_before, from, sizeof(from)),
	         certificate_time(tls->not_after, until, sizeof(until)));
	finding_add_evidence(f, EVIDENCE_NOTE, note);
	snprintf(note, sizeof(note), "SHA-256 fingerprint: %s", tls->fingerprint);
	finding_add_evidence(f, EVIDENCE_NOTE, note);
}

/* ---- the checks ---- */

static void certificate_judge_trust(struct certificate_judgement *j, const struct tls_facts *tls)
{
	if (tls->chain_trusted)
		return;
	enum certificate_check c =
	    tls->self_signed ? CERTIFICATE_SELF_SIGNED : CERTIFICATE_UNTRUSTED;
	j->failed[c] = true;
	snprintf(j->detail[c], sizeof(j->detail[c]), "%s%.300s",
	         tls->self_signed ? "self-signed and not in the trust store; verification: "
	                          : "chain not trusted: ",
	         tls->verify_detail ? tls->verify_detail : "no detail");
}

static void certificate_judge_dates(struct certificate_judgement *j, const struct tls_facts *tls,
                                    int64_t now, unsigned warn_days)
{
	char when[48];
	if (now > tls->not_after) {
		j->failed[CERTIFICATE_EXPIRED] = true;
		snprintf(j->detail[CERTIFICATE_EXPIRED], sizeof(j->detail[0]),
		         "expired %s, %lld days before the scan",
		         certificate_time(tls->not_after, when, sizeof(when)),
		         certificate_days(now, tls->not_after));
	}
	if (now < tls->not_before) {
		j->failed[CERTIFICATE_NOT_YET_VALID] = true;
		snprintf(j->detail[CERTIFICATE_NOT_YET_VALID], sizeof(j->detail[0]),
		         "valid only from %s, %lld days after the scan",
		         certificate_time(tls->not_before, when, sizeof(when)),
		         certificate_days(tls->not_before, now));
	}
	bool valid_now = now >= tls->not_before && now <= tls->not_after;
	if (valid_now &&
	    certificate_seconds(tls->not_after, now) < (int64_t)warn_days * CERTIFICATE_DAY) {
		j->failed[CERTIFICATE_EXPIRING] = true;
		snprintf(j->detail[CERTIFICATE_EXPIRING], sizeof(j->detail[0]),
		         "expires %s, in %lld days (warning from %u days)",
		         certificate_time(tls->not_after, when, sizeof(when)),
		         certificate_days(tls->not_after, now), warn_days);
	}
}

static void certificate_judge_name(struct certificate_judgement *j, const struct tls_facts *tls,
                                   const char *host)
{
	struct target_addr addr;
	if (target_addr_parse(host, &addr)) {
		snprintf(j->name_note, sizeof(j->name_note),
		         "host name not checked: %.64s is an address", host);
		return;
	}
	if (!tls->name_checked) {
		snprintf(j->name_note, sizeof(j->name_note),
		         "host name not checked: the handshake was made without a name");
		return;
	}
	if (tls->name_matches)
		return;
	struct text_buf t;
	text_buf_init(&t, j->detail[CERTIFICATE_NAME_MISMATCH], sizeof(j->detail[0]));
	text_buf_add(&t, "not valid for %.253s; names in the certificate:", host);
	for (size_t i = 0; i < tls->nsans; i++)
		text_buf_add(&t, "%s %s", i ? "," : "", tls->sans[i]);
	if (tls->nsans == 0)
		text_buf_add(&t, " none but the subject %s", tls->subject);
	j->failed[CERTIFICATE_NAME_MISMATCH] = true;
}

static bool certificate_key_is(const struct tls_facts *tls, const char *type)
{
	return tls->key_type != NULL && strncmp(tls->key_type, type, strlen(type)) == 0;
}

static void certificate_judge_key(struct certificate_judgement *j, const struct tls_facts *tls)
{
	unsigned minimum;
	if (certificate_key_is(tls, "RSA"))
		minimum = CERTIFICATE_MIN_RSA_BITS;
	else if (certificate_key_is(tls, "EC"))
		minimum = CERTIFICATE_MIN_EC_BITS;
	else
		return;
	if (tls->key_bits >= minimum)
		return;
	j->failed[CERTIFICATE_WEAK_KEY] = true;
	snprintf(j->detail[CERTIFICATE_WEAK_KEY], sizeof(j->detail[0]),
	         "%s key of %u bits (at least %u expected)", tls->key_type, tls->key_bits, minimum);
}

static void certificate_judge_signature(struct certificate_judgement *j,
                                        const struct tls_facts *tls)
{
	if (tls->self_signed || tls->signature_hash == NULL)
		return;
	for (size_t i = 0; i < sizeof(certificate_weak_hashes) / sizeof(certificate_weak_hashes[0]);
	     i++) {
		if (strcmp(tls->signature_hash, certificate_weak_hashes[i]) != 0)
			continue;
		j->failed[CERTIFICATE_WEAK_SIGNATURE] = true;
		snprintf(j->detail[CERTIFICATE_WEAK_SIGNATURE], sizeof(j->detail[0]),
		         "signed with %s (hash %s)", tls->signature ? tls->signature : "?",
		         tls->signature_hash);
		return;
	}
}

/* ---- the verdict ---- */

static void certificate_reason(const struct certificate_judgement *j, const struct tls_facts *tls,
                               char *buf, size_t len)
{
	char until[48];
	struct text_buf t;
	text_buf_init(&t, buf, len);
	text_buf_add(&t, "certificate %.200s (%s %u, %s), valid until %s: ", tls->subject,
	             tls->key_type ? tls->key_type : "?", tls->key_bits,
	             tls->signature ? tls->signature : "?",
	             certificate_time(tls->not_after, until, sizeof(until)));
	size_t problems = 0;
	for (int c = 0; c < CERTIFICATE_CHECK_COUNT; c++)
		if (j->failed[c])
			text_buf_add(&t, "%s%s", problems++ ? ", " : "",
			             certificate_checks[c].phrase);
	if (problems == 0)
		text_buf_add(&t, "no problem found");
	if (j->name_note[0])
		text_buf_add(&t, "; %s", j->name_note);
}

static void certificate_judge(struct probe_ctx *ctx)
{
	const struct tls_facts *tls = probe_tls_facts(ctx);
	if (tls == NULL || tls->subject == NULL) {
		probe_conclude(ctx, VERDICT_INCONCLUSIVE,
		               "the TLS handshake brought no server certificate");
		return;
	}
	struct certificate_judgement j = {0};
	certificate_judge_trust(&j, tls);
	certificate_judge_dates(&j, tls, probe_now(ctx), probe_settings(ctx)->cert_warn_days);
	certificate_judge_name(&j, tls, probe_target(ctx)->host);
	certificate_judge_key(&j, tls);
	certificate_judge_signature(&j, tls);

	bool vulnerable = false;
	for (int c = 0; c < CERTIFICATE_CHECK_COUNT; c++) {
		if (!j.failed[c])
			continue;
		vulnerable |= !certificate_checks[c].warning;
		struct finding *f = probe_finding(ctx, certificate_checks[c].id, NULL);
		if (f == NULL)
			continue;
		finding_set_detail(f, "%s", j.detail[c]);
		certificate_add_identity(f, tls);
	}
	char reason[CERTIFICATE_REASON];
	certificate_reason(&j, tls, reason, sizeof(reason));
	probe_conclude(ctx, vulnerable ? VERDICT_VULNERABLE : VERDICT_NOT_VULNERABLE, "%s", reason);
}

/* ---- the dialog ---- */

static void certificate_start(struct probe_ctx *ctx)
{
	if (probe_tls_active(ctx)) {
		certificate_judge(ctx);
		return;
	}
	const struct smtp_caps *caps = probe_caps(ctx);
	if (caps == NULL || !smtp_caps_has(caps, SMTP_EXT_STARTTLS)) {
		probe_conclude(ctx, VERDICT_NOT_APPLICABLE, "STARTTLS not offered: no certificate");
		return;
	}
	if (probe_starttls(ctx, CERTIFICATE_TAG_STARTTLS) != 0)
		probe_conclude(ctx, VERDICT_INCONCLUSIVE, "could not send STARTTLS");
}

static void certificate_step(struct probe_ctx *ctx, const struct probe_reply *r)
{
	assert(r->tag == CERTIFICATE_TAG_STARTTLS);
	if (probe_tls_active(ctx)) {
		certificate_judge(ctx);
		return;
	}
	probe_conclude(ctx, VERDICT_INCONCLUSIVE, "STARTTLS answered %d %.80s: no certificate",
	               r->reply->code, r->reply->nlines > 0 ? r->reply->lines[0] : "");
}

const struct probe probe_certificate = {
    .name = "certificate",
    .summary = "whether the TLS certificate is trusted, current, for this name and strong",
    .preamble = PROBE_PREAMBLE_EHLO,
    .flags = PROBE_DEFAULT,
    .start = certificate_start,
    .step = certificate_step,
};
