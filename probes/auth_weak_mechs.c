/*
 * NAME
 *	auth_weak_mechs - legacy challenge-response mechanisms and NTLM offered
 *
 * DESCRIPTION
 *	Sends, against a server that offers NTLM in cleartext and STARTTLS:
 *		C: AUTH NTLM TlRMTVNTUAABAAAAB4IIogAAAAAoAAAAAAAAACgAAAAAAAAAAAAADw==
 *		S: 334 TlRMTVNTUAACAAAADgAOADgAAAAFgomi...   (CHALLENGE, decoded)
 *		C: *
 *		S: 501 5.7.0 Authentication aborted
 *		C: STARTTLS   (the engine then does the handshake and EHLO again)
 *	The mechanisms come from the EHLO reply before STARTTLS and the one
 *	after it (or the one on an implicit TLS port). AUTH NTLM carries a
 *	NEGOTIATE message (ntlm.h) and is sent once, on the first channel
 *	that offers NTLM: cleartext first, because that channel is gone after
 *	STARTTLS. Apart from STARTTLS nothing else is sent; a server that
 *	offers no NTLM sees only STARTTLS.
 *
 *	Vulnerable: CRAM-MD5 or DIGEST-MD5 advertised before or after TLS
 *		(SMTP-AUTH-007, one per mechanism, the detail says where), or
 *		NTLM advertised (SMTP-AUTH-008): its evidence is the exchange
 *		and, as notes, the NetBIOS and DNS names and the Windows version
 *		the CHALLENGE disclosed; "challenge not disclosed" when the
 *		server did not answer 334 with a decodable CHALLENGE.
 *	Not weak here: PLAIN and LOGIN (auth_before_tls judges them in
 *		cleartext, and after TLS they are the good state), GSSAPI,
 *		SCRAM-*, XOAUTH2, OAUTHBEARER, EXTERNAL; ANONYMOUS belongs to
 *		auth_anonymous.
 *	False positives: the finding is the advertisement, which is what
 *		clients act on; the NTLM detail says whether the server really
 *		disclosed a challenge, so an NTLM line left over from a proxy
 *		is told apart from a live Windows endpoint. Undecodable
 *		challenge bytes are never guessed at.
 *	Never: credentials of any kind (the NEGOTIATE message names no user,
 *		domain or workstation), an NTLM AUTHENTICATE message, MAIL,
 *		RCPT or DATA.
 *	References: RFC 4954; RFC 2195; RFC 6331; MS-SMTPNTLM; MS-NLMP
 *		sections 2.2.1.1, 2.2.1.2, 2.2.2.1 and 2.2.2.10.
 */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "ntlm.h"
#include "probe.h"

#define AUTH_WEAK_MECHS_NTLM_BIT (1u << SMTP_AUTH_NTLM)
#define AUTH_WEAK_MECHS_TEXT     512

enum auth_weak_mechs_tag {
	AUTH_WEAK_MECHS_TAG_NTLM,        /* AUTH NTLM <NEGOTIATE> */
	AUTH_WEAK_MECHS_TAG_NTLM_CANCEL, /* "*" after the 334 */
	AUTH_WEAK_MECHS_TAG_STARTTLS,
};

/* Reported by advertisement alone: the password store behind them is the weakness. */
#define AUTH_WEAK_MECHS_CHALLENGE_SET ((1u << SMTP_AUTH_CRAM_MD5) | (1u << SMTP_AUTH_DIGEST_MD5))

struct auth_weak_mechs_state {
	uint32_t clear; /* mechanisms advertised before TLS */
	uint32_t tls;   /* after STARTTLS, or on the implicit TLS port */
	bool implicit_tls;
	bool tls_known; /* tls holds what the server offers under TLS */
	bool starttls_offered, starttls_tried;
	int starttls_refusal; /* reply code of a refused STARTTLS, else 0 */
	bool ntlm_tried;
	struct finding *ntlm; /* owned by the engine, valid until the probe concludes */
	char ntlm_summary[AUTH_WEAK_MECHS_TEXT];
};

static uint32_t auth_weak_mechs_offered(const struct smtp_caps *caps)
{
	return caps != NULL && smtp_caps_has(caps, SMTP_EXT_AUTH) ? caps->auth : 0;
}

/* Where the mechanisms in bits are offered. */
static const char *auth_weak_mechs_where(const struct auth_weak_mechs_state *st, uint32_t bits)
{
	bool before = (st->clear & bits) != 0, after = (st->tls & bits) != 0;
	if (st->implicit_tls)
		return "on the implicit TLS port";
	if (before && after)
		return "before and after STARTTLS";
	if (after)
		return "only after STARTTLS";
	return st->tls_known ? "only before STARTTLS" : "before STARTTLS";
}

/* Why the mechanisms under TLS are unknown; "" when they are known. */
static void auth_weak_mechs_tls_context(const struct auth_weak_mechs_state *st, char *buf,
                                        size_t len)
{
	if (st->tls_known)
		snprintf(buf, len, "%s", "");
	else if (!st->starttls_offered)
		snprintf(buf, len, "; STARTTLS not offered");
	else if (st->starttls_refusal != 0)
		snprintf(buf, len, "; STARTTLS refused (%d)", st->starttls_refusal);
	else
		snprintf(buf, len, "; mechanisms after STARTTLS not examined");
}

static void auth_weak_mechs_note_sets(struct finding *f, const struct auth_weak_mechs_state *st)
{
	char list[256], note[320];
	if (!st->implicit_tls) {
		smtp_auth_list(st->clear, list, sizeof(list));
		snprintf(note, sizeof(note), "AUTH mechanisms before STARTTLS: %s", list);
		finding_add_evidence(f, EVIDENCE_NOTE, note);
	}
	if (st->tls_known) {
		smtp_auth_list(st->tls, list, sizeof(list));
		snprintf(note, sizeof(note), "AUTH mechanisms %s: %s",
		         st->implicit_tls ? "on the implicit TLS port" : "after STARTTLS", list);
		finding_add_evidence(f, EVIDENCE_NOTE, note);
	}
}

/* ---- NTLM ---- */

static int auth_weak_mechs_send_ntlm(struct probe_ctx *ctx)
{
	unsigned char negotiate[NTLM_NEGOTIATE_LEN];
	size_t len;
	int rc = ntlm_negotiate_message(negotiate, sizeof(negotiate), &len);
	assert(rc == 0);
	char *encoded = codec_base64_encode(negotiate, len);
	if (encoded == NULL)
		return -1;
	rc = probe_send(ctx, AUTH_WEAK_MECHS_TAG_NTLM, "AUTH NTLM %s", encoded);
	free(encoded);
	return rc;
}

/* The CHALLENGE carried by a 334 reply; false when there is none to decode. */
static bool auth_weak_mechs_decode(const struct smtp_reply *r, struct ntlm_challenge *ch)
{
	if (r->code != 334)
		return false;
	const char *text = r->lines[0];
	size_t len = strlen(text);
	while (len > 0 && (text[len - 1] == ' ' || text[len - 1] == '\t'))
		len--;
	unsigned char *bytes;
	size_t nbytes;
	if (len == 0 || codec_base64_decode(text, len, &bytes, &nbytes) != 0)
		return false;
	bool ok = ntlm_parse_challenge(bytes, nbytes, ch) == 0;
	free(bytes);
	return ok;
}

static void auth_weak_mechs_note(struct finding *f, const char *label, const char *value)
{
	char note[NTLM_NAME_MAX + 32];
	if (value[0] == '\0')
		return;
	snprintf(note, sizeof(note), "%s: %s", label, value);
	finding_add_evidence(f, EVIDENCE_NOTE, note);
}

static void auth_weak_mechs_note_challenge(struct finding *f, const struct ntlm_challenge *ch)
{
	char version[48] = "";
	if (ch->has_version)
		snprintf(version, sizeof(version), "%u.%u build %u", ch->major, ch->minor,
		         ch->build);
	auth_weak_mechs_note(f, "Target name", ch->target_name);
	auth_weak_mechs_note(f, "NetBIOS domain", ch->nb_domain);
	auth_weak_mechs_note(f, "NetBIOS computer", ch->nb_computer);
	auth_weak_mechs_note(f, "DNS domain", ch->dns_domain);
	auth_weak_mechs_note(f, "DNS computer", ch->dns_computer);
	auth_weak_mechs_note(f, "DNS tree", ch->dns_tree);
	auth_weak_mechs_note(f, "OS version", version);
}

static const char *auth_weak_mechs_first(const char *a, const char *b, const char *c)
{
	return a[0] ? a : b[0] ? b : c;
}

/* The most telling disclosed values, for the finding's detail. */
static void auth_weak_mechs_summarize(const struct ntlm_challenge *ch, char *buf, size_t len)
{
	char host[NTLM_NAME_MAX + 8] = "", domain[NTLM_NAME_MAX + 8] = "", version[48] = "";
	const char *computer = auth_weak_mechs_first(ch->dns_computer, ch->nb_computer, "");
	const char *realm = auth_weak_mechs_first(ch->dns_domain, ch->nb_domain, ch->target_name);
	if (computer[0])
		snprintf(host, sizeof(host), "host %s", computer);
	if (realm[0])
		snprintf(domain, sizeof(domain), "domain %s", realm);
	if (ch->has_version)
		snprintf(version, sizeof(version), "Windows %u.%u build %u", ch->major, ch->minor,
		         ch->build);
	const char *const parts[] = {host, domain, version};
	size_t used = (size_t)snprintf(buf, len, "NTLM challenge discloses");
	size_t named = 0;
	for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]) && used < len; i++)
		if (parts[i][0])
			used += (size_t)snprintf(buf + used, len - used, "%s%s",
			                         named++ ? ", " : " ", parts[i]);
	if (named == 0)
		snprintf(buf, len,
		         "NTLM challenge decoded, but it names no host, domain or version");
}

static void auth_weak_mechs_take_ntlm(struct probe_ctx *ctx, const struct probe_reply *r)
{
	struct auth_weak_mechs_state *st = probe_state(ctx);
	struct ntlm_challenge ch;
	bool decoded = auth_weak_mechs_decode(r->reply, &ch);
	st->ntlm = probe_finding(ctx, CATALOG_AUTH_NTLM_DISCLOSURE, NULL);
	if (decoded)
		auth_weak_mechs_summarize(&ch, st->ntlm_summary, sizeof(st->ntlm_summary));
	else
		snprintf(st->ntlm_summary, sizeof(st->ntlm_summary),
		         "challenge not disclosed (AUTH NTLM answered %d)", r->reply->code);
	if (st->ntlm == NULL)
		return;
	finding_add_exchange(st->ntlm, r->command, r->reply);
	if (decoded)
		auth_weak_mechs_note_challenge(st->ntlm, &ch);
}

/* ---- findings and verdict ---- */

static void auth_weak_mechs_reason(const struct auth_weak_mechs_state *st, bool weak, char *buf,
                                   size_t len)
{
	char context[64];
	uint32_t all = st->clear | st->tls;
	auth_weak_mechs_tls_context(st, context, sizeof(context));
	if (!weak && all == 0) {
		snprintf(buf, len, "AUTH not offered %s%s",
		         st->implicit_tls ? "on the implicit TLS port"
		         : st->tls_known  ? "before or after STARTTLS"
		                          : "before STARTTLS",
		         context);
		return;
	}
	if (!weak) {
		char list[256];
		smtp_auth_list(all, list, sizeof(list));
		snprintf(buf, len, "only %s offered, %s%s", list, auth_weak_mechs_where(st, all),
		         context);
		return;
	}
	size_t used = (size_t)snprintf(buf, len, "weak mechanisms offered:");
	const char *sep = " ";
	for (int a = 0; a < SMTP_AUTH_COUNT && used < len; a++) {
		uint32_t bit = 1u << a;
		if (!(all & AUTH_WEAK_MECHS_CHALLENGE_SET & bit))
			continue;
		used += (size_t)snprintf(buf + used, len - used, "%s%s (%s)", sep,
		                         smtp_auth_name((enum smtp_auth)a),
		                         auth_weak_mechs_where(st, bit));
		sep = ", ";
	}
	if (st->ntlm != NULL && used < len)
		used += (size_t)snprintf(buf + used, len - used, "%sNTLM (%s)", sep,
		                         auth_weak_mechs_where(st, AUTH_WEAK_MECHS_NTLM_BIT));
	if (used < len)
		snprintf(buf + used, len - used, "%s", context);
}

static bool auth_weak_mechs_report_challenge(struct probe_ctx *ctx,
                                             const struct auth_weak_mechs_state *st)
{
	bool found = false;
	for (int a = 0; a < SMTP_AUTH_COUNT; a++) {
		enum smtp_auth m = (enum smtp_auth)a;
		uint32_t bit = 1u << a;
		if (!((st->clear | st->tls) & AUTH_WEAK_MECHS_CHALLENGE_SET & bit))
			continue;
		found = true;
		struct finding *f =
		    probe_finding(ctx, CATALOG_AUTH_WEAK_CHALLENGE, smtp_auth_name(m));
		if (f == NULL)
			continue;
		finding_set_detail(f, "%s offered %s", smtp_auth_name(m),
		                   auth_weak_mechs_where(st, bit));
		auth_weak_mechs_note_sets(f, st);
	}
	return found;
}

/* Emits the findings and the verdict; why is non-NULL when the session ended early. */
static void auth_weak_mechs_finish(struct probe_ctx *ctx, const char *why)
{
	struct auth_weak_mechs_state *st = probe_state(ctx);
	bool weak = auth_weak_mechs_report_challenge(ctx, st);
	if (st->ntlm != NULL) {
		weak = true;
		finding_set_detail(st->ntlm, "%s; NTLM offered %s", st->ntlm_summary,
		                   auth_weak_mechs_where(st, AUTH_WEAK_MECHS_NTLM_BIT));
		auth_weak_mechs_note_sets(st->ntlm, st);
	}
	char reason[AUTH_WEAK_MECHS_TEXT];
	auth_weak_mechs_reason(st, weak, reason, sizeof(reason));
	probe_conclude(ctx, weak ? VERDICT_VULNERABLE : VERDICT_NOT_VULNERABLE, "%s%s%s", reason,
	               why ? "; session ended early: " : "", why ? why : "");
}

/* ---- the dialog ---- */

static void auth_weak_mechs_next(struct probe_ctx *ctx)
{
	struct auth_weak_mechs_state *st = probe_state(ctx);
	bool tls = probe_tls_active(ctx);
	uint32_t here = tls ? st->tls : st->clear;
	if (!st->ntlm_tried && (here & AUTH_WEAK_MECHS_NTLM_BIT)) {
		st->ntlm_tried = true;
		if (auth_weak_mechs_send_ntlm(ctx) != 0)
			probe_conclude(ctx, VERDICT_INCONCLUSIVE, "could not send AUTH NTLM");
		return;
	}
	if (!tls && st->starttls_offered && !st->starttls_tried) {
		st->starttls_tried = true;
		if (probe_starttls(ctx, AUTH_WEAK_MECHS_TAG_STARTTLS) != 0)
			probe_conclude(ctx, VERDICT_INCONCLUSIVE, "could not send STARTTLS");
		return;
	}
	auth_weak_mechs_finish(ctx, NULL);
}

static void auth_weak_mechs_start(struct probe_ctx *ctx)
{
	struct auth_weak_mechs_state *st = probe_state(ctx);
	const struct smtp_caps *caps = probe_caps(ctx);
	st->implicit_tls = probe_tls_active(ctx);
	if (st->implicit_tls) {
		st->tls = auth_weak_mechs_offered(caps);
		st->tls_known = true;
	} else {
		st->clear = auth_weak_mechs_offered(caps);
		st->starttls_offered = caps != NULL && smtp_caps_has(caps, SMTP_EXT_STARTTLS);
	}
	auth_weak_mechs_next(ctx);
}

static void auth_weak_mechs_step(struct probe_ctx *ctx, const struct probe_reply *r)
{
	struct auth_weak_mechs_state *st = probe_state(ctx);
	switch ((enum auth_weak_mechs_tag)r->tag) {
	case AUTH_WEAK_MECHS_TAG_NTLM:
		auth_weak_mechs_take_ntlm(ctx, r);
		if (r->reply->code != 334)
			auth_weak_mechs_next(ctx);
		else if (probe_send(ctx, AUTH_WEAK_MECHS_TAG_NTLM_CANCEL, "*") != 0)
			probe_conclude(ctx, VERDICT_INCONCLUSIVE, "could not cancel AUTH NTLM");
		return;
	case AUTH_WEAK_MECHS_TAG_NTLM_CANCEL:
		auth_weak_mechs_next(ctx);
		return;
	case AUTH_WEAK_MECHS_TAG_STARTTLS:
		if (probe_tls_active(ctx)) {
			st->tls = auth_weak_mechs_offered(probe_caps(ctx));
			st->tls_known = true;
		} else {
			st->starttls_refusal = r->reply->code;
		}
		auth_weak_mechs_next(ctx);
		return;
	}
	assert(!"reply with a tag this probe never used");
}

/* What was seen in cleartext stands when the TLS part fails. */
static void auth_weak_mechs_interrupted(struct probe_ctx *ctx, enum outcome why)
{
	struct auth_weak_mechs_state *st = probe_state(ctx);
	if (st->ntlm != NULL || (st->clear & AUTH_WEAK_MECHS_CHALLENGE_SET) != 0)
		auth_weak_mechs_finish(ctx, outcome_name(why));
}

const struct probe probe_auth_weak_mechs = {
    .name = "auth_weak_mechs",
    .summary = "CRAM-MD5, DIGEST-MD5 and NTLM offered; NTLM challenge information disclosure",
    .preamble = PROBE_PREAMBLE_EHLO,
    .flags = PROBE_DEFAULT,
    .state_size = sizeof(struct auth_weak_mechs_state),
    .start = auth_weak_mechs_start,
    .step = auth_weak_mechs_step,
    .interrupted = auth_weak_mechs_interrupted,
};
