/*
 * NAME
 *	exposure - what the server tells every client about itself
 *
 * DESCRIPTION
 *	After the preamble's EHLO (whose reply the engine keeps only as
 *	parsed capabilities) the probe sends, one at a time:
 *		C: EHLO <helo name>                  only when EHLO worked
 *		S: 250-mx.example.org Hello client [192.0.2.1] ...
 *		C: HELP
 *		S: 214-2.0.0 This is sendmail version 8.15.2 ...
 *	then, when PIPELINING is advertised, one write of
 *		C: RSET
 *		C: MAIL FROM:<>
 *		C: RCPT TO:<postmaster@D>            D: the domain of the server's
 *		C: RSET                                  own name, else <postmaster>
 *	and, when XCLIENT is advertised, last:
 *		C: XCLIENT NAME=[UNAVAILABLE]
 *		S: 550 5.7.0 Error: insufficient authorization
 *
 *	Findings (all low, see scanner/catalog_expose.inc):
 *	EXPOSE_SOFTWARE_VERSION, variant = product: a product named with a
 *		version (exposure_version.h) in the greeting, the EHLO reply or
 *		the HELP reply, whatever its code (sendmail's 502 to HELP names
 *		its version). A product named without a version only appears in
 *		the reason: it helps choose advice and tells an attacker little.
 *	EXPOSE_RISKY_EXTENSION, variant = keyword: XCLIENT, XFORWARD, TURN,
 *		ATRN, ETRN, DEBUG, WIZ, XEXCH50, VRFY, EXPN or VERB among the
 *		capabilities of the preamble's EHLO (cleartext on STARTTLS
 *		ports, inside TLS on implicit-TLS ports). For XCLIENT the detail
 *		says whether the server refused the scanner's XCLIENT (Postfix
 *		550/554 "insufficient authorization", Exim 550 or 501); when it
 *		accepted it (2xx: anyone who reaches the port can pose as a
 *		trusted host) the finding is EXPOSE_XCLIENT_ACCEPTED (high)
 *		instead, variant XCLIENT. X-EXPS is not judged here: it lists Exchange's
 *		server authentication mechanisms, which the AUTH probes judge.
 *	EXPOSE_SIZE_LIMIT, variant missing (no SIZE keyword), unlimited
 *		(bare SIZE or SIZE 0) or excessive (over 1 GiB). A SIZE whose
 *		argument does not parse is noted in the reason, not judged.
 *	EXPOSE_PIPELINING_BROKEN: with PIPELINING advertised, the flight's
 *		replies did not all come (the session timed out, or broke on a
 *		protocol error such as an unexpected extra reply, while replies
 *		were outstanding) or came out of step: an RSET not answered 2xx,
 *		a 3xx reply, or RCPT answered 503 after MAIL FROM was accepted.
 *	Verdict: vulnerable when a finding above info was made, else not
 *	vulnerable. A session that ends early keeps what was seen; with no
 *	finding at all the failure stands (inconclusive).
 *
 *	False positives: an administrator may put a false version in the
 *	banner; an advertised extension may be refused when used (only
 *	XCLIENT is tried); a missing SIZE does not prove there is no limit; a
 *	device between scanner and server may be the one losing pipelined
 *	commands, which is still what every client sees.
 *
 *	Never: DATA; VRFY, EXPN, ETRN, TURN or any other advertised command
 *	but XCLIENT; any XCLIENT attribute other than NAME=[UNAVAILABLE] (the
 *	scanner claims less about itself, never more; an accepted XCLIENT
 *	restarts the session with a new greeting, and the probe sends nothing
 *	more); a pipelined flight without PIPELINING advertised.
 *
 *	References: RFC 5321 sections 3.1 and 4.1.1.8; RFC 2920; RFC 1870;
 *	RFC 1985; RFC 2645; Postfix XCLIENT_README.
 */
#include <assert.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "exposure_version.h"
#include "probe.h"
#include "sa_error.h"
#include "smtp_addr.h"
#include "text_buf.h"

#define EXPOSURE_SIZE_SANE_MAX (UINT64_C(1) << 30)
/* Distinct products reported from one server; more would be noise. */
#define EXPOSURE_MAX_PRODUCTS 4
#define EXPOSURE_REASON       768
#define EXPOSURE_DETAIL       320
#define EXPOSURE_NAME_MAX     256
#define EXPOSURE_XCLIENT      "XCLIENT NAME=[UNAVAILABLE]"

#define EXPOSURE_COUNT_OF(a) (sizeof(a) / sizeof((a)[0]))

enum exposure_tag {
	EXPOSURE_TAG_EHLO,
	EXPOSURE_TAG_HELP,
	EXPOSURE_TAG_FLIGHT,
	EXPOSURE_TAG_XCLIENT,
};

/* Where a disclosure can be: the replies the probe keeps as text. */
enum exposure_source {
	EXPOSURE_SOURCE_GREETING,
	EXPOSURE_SOURCE_EHLO,
	EXPOSURE_SOURCE_HELP,
	EXPOSURE_SOURCE_COUNT
};

static const char *const exposure_source_name[] = {
    [EXPOSURE_SOURCE_GREETING] = "the greeting",
    [EXPOSURE_SOURCE_EHLO] = "the EHLO reply",
    [EXPOSURE_SOURCE_HELP] = "the HELP reply",
};
_Static_assert(EXPOSURE_COUNT_OF(exposure_source_name) == EXPOSURE_SOURCE_COUNT,
               "one name per source");

/* RFC 2920 section 3.1: RSET, MAIL and RCPT may stand anywhere in a group. */
enum exposure_step {
	EXPOSURE_STEP_RSET,
	EXPOSURE_STEP_MAIL,
	EXPOSURE_STEP_RCPT,
	EXPOSURE_STEP_RSET_AGAIN,
	EXPOSURE_STEP_COUNT
};

/* Extensions that should not face an untrusted client, in report order. */
enum exposure_ext {
	EXPOSURE_EXT_XCLIENT, /* the one the probe tries */
	EXPOSURE_EXT_XFORWARD,
	EXPOSURE_EXT_TURN,
	EXPOSURE_EXT_ATRN,
	EXPOSURE_EXT_ETRN,
	EXPOSURE_EXT_DEBUG,
	EXPOSURE_EXT_WIZ,
	EXPOSURE_EXT_XEXCH50,
	EXPOSURE_EXT_VRFY,
	EXPOSURE_EXT_EXPN,
	EXPOSURE_EXT_VERB,
	EXPOSURE_EXT_COUNT
};
_Static_assert(EXPOSURE_EXT_COUNT <= 32, "one bit per risky extension");

struct exposure_risky {
	const char *keyword;
	const char *risk;
};

static const struct exposure_risky exposure_risky[] = {
    [EXPOSURE_EXT_XCLIENT] = {.keyword = "XCLIENT",
                              .risk = "lets the client replace the address, name and HELO "
                                      "the server trusts and logs"},
    [EXPOSURE_EXT_XFORWARD] = {.keyword = "XFORWARD",
                               .risk = "lets the client forge the client name and address "
                                       "that are logged and passed on"},
    [EXPOSURE_EXT_TURN] = {.keyword = "TURN",
                           .risk = "hands queued mail to whoever asks, without authentication"},
    [EXPOSURE_EXT_ATRN] = {.keyword = "ATRN",
                           .risk = "releases queued mail to on-demand clients after "
                                   "authentication"},
    [EXPOSURE_EXT_ETRN] = {.keyword = "ETRN", .risk = "starts queue runs at any client's request"},
    [EXPOSURE_EXT_DEBUG] = {.keyword = "DEBUG",
                            .risk = "historic sendmail debugging backdoor (CVE-1999-0095)"},
    [EXPOSURE_EXT_WIZ] = {.keyword = "WIZ",
                          .risk = "historic sendmail wizard backdoor (CVE-1999-0145)"},
    [EXPOSURE_EXT_XEXCH50] = {.keyword = "XEXCH50",
                              .risk = "legacy Exchange server-to-server command "
                                      "(CVE-2003-0714)"},
    [EXPOSURE_EXT_VRFY] = {.keyword = "VRFY", .risk = "confirms whether mailboxes exist"},
    [EXPOSURE_EXT_EXPN] = {.keyword = "EXPN", .risk = "expands mailing lists and aliases"},
    [EXPOSURE_EXT_VERB] = {.keyword = "VERB", .risk = "shows delivery details to the client"},
};
_Static_assert(EXPOSURE_COUNT_OF(exposure_risky) == EXPOSURE_EXT_COUNT,
               "one entry per risky extension");

enum exposure_size {
	EXPOSURE_SIZE_STATED,     /* a limit of at most 1 GiB */
	EXPOSURE_SIZE_MISSING,    /* no SIZE keyword */
	EXPOSURE_SIZE_UNLIMITED,  /* SIZE or SIZE 0 */
	EXPOSURE_SIZE_EXCESSIVE,  /* over 1 GiB */
	EXPOSURE_SIZE_UNREADABLE, /* SIZE with an argument that does not parse */
	EXPOSURE_SIZE_UNKNOWN,    /* no EHLO capabilities at all */
};

enum exposure_pipelining {
	EXPOSURE_PIPE_NOT_OFFERED,
	EXPOSURE_PIPE_UNTESTED,  /* offered; the flight is not sent yet */
	EXPOSURE_PIPE_IN_FLIGHT, /* sent; replies outstanding */
	EXPOSURE_PIPE_IN_STEP,
	EXPOSURE_PIPE_LOST, /* replies stopped coming */
	EXPOSURE_PIPE_OUT_OF_STEP,
};

/* A reply kept for the report, with the command that drew it (NULL for the greeting). */
struct exposure_kept {
	bool have;
	char *command;
	struct smtp_reply reply;
};

struct exposure_state {
	struct exposure_kept source[EXPOSURE_SOURCE_COUNT];
	/* Learnt from the capabilities in start(): they are gone once the session ends. */
	uint32_t risky; /* bit per exposure_risky[] entry advertised */
	enum exposure_size size;
	uint64_t size_limit;
	enum exposure_pipelining pipelining;
	char rcpt[EXPOSURE_NAME_MAX + sizeof("RCPT TO:<postmaster@>")];
	struct exposure_kept flight[EXPOSURE_STEP_COUNT];
	size_t answered; /* flight replies received */
	char pipe_why[200];
	struct exposure_kept xclient;
};

/* ---- what the capabilities say ---- */

/* True when an EHLO line's first word is keyword. */
static bool exposure_line_names(const char *line, const char *keyword)
{
	size_t n = strlen(keyword);
	line += strspn(line, " \t");
	return strncasecmp(line, keyword, n) == 0 &&
	       (line[n] == '\0' || line[n] == ' ' || line[n] == '\t' || line[n] == '=');
}

static bool exposure_unknown_line(const struct smtp_caps *caps, const char *keyword)
{
	for (size_t i = 0; i < caps->nunknown; i++)
		if (exposure_line_names(caps->unknown[i], keyword))
			return true;
	return false;
}

/* Keywords the parser knows are bits; the others (DEBUG, WIZ) are kept lines. */
static bool exposure_offers(const struct smtp_caps *caps, const char *keyword)
{
	enum smtp_ext ext;
	if (smtp_ext_lookup(keyword, strlen(keyword), &ext))
		return smtp_caps_has(caps, ext);
	return exposure_unknown_line(caps, keyword);
}

static uint32_t exposure_risky_offered(const struct smtp_caps *caps)
{
	uint32_t set = 0;
	if (caps == NULL)
		return 0;
	for (int i = 0; i < EXPOSURE_EXT_COUNT; i++)
		if (exposure_offers(caps, exposure_risky[i].keyword))
			set |= 1u << i;
	return set;
}

static enum exposure_size exposure_size_judge(const struct smtp_caps *caps)
{
	if (caps == NULL)
		return EXPOSURE_SIZE_UNKNOWN;
	if (!smtp_caps_has(caps, SMTP_EXT_SIZE))
		return exposure_unknown_line(caps, "SIZE") ? EXPOSURE_SIZE_UNREADABLE
		                                           : EXPOSURE_SIZE_MISSING;
	if (caps->size_limit == 0)
		return EXPOSURE_SIZE_UNLIMITED;
	return caps->size_limit > EXPOSURE_SIZE_SANE_MAX ? EXPOSURE_SIZE_EXCESSIVE
	                                                 : EXPOSURE_SIZE_STATED;
}

/* ---- keeping replies ---- */

static int exposure_keep(struct exposure_kept *k, const char *command, const struct smtp_reply *r)
{
	assert(!k->have);
	if (command != NULL && (k->command = strdup(command)) == NULL)
		return SA_ERROR_NOMEM;
	if (smtp_reply_copy(&k->reply, r) != 0) {
		free(k->command);
		k->command = NULL;
		return SA_ERROR_NOMEM;
	}
	k->have = true;
	return 0;
}

static void exposure_release(struct exposure_kept *k)
{
	if (!k->have)
		return;
	free(k->command);
	smtp_reply_free(&k->reply);
	k->have = false;
}

/* ---- the flight ---- */

static const char *exposure_step_command(const struct exposure_state *st, enum exposure_step s)
{
	switch (s) {
	case EXPOSURE_STEP_RSET:
	case EXPOSURE_STEP_RSET_AGAIN:
		return "RSET";
	case EXPOSURE_STEP_MAIL:
		return "MAIL FROM:<>";
	case EXPOSURE_STEP_RCPT:
		return st->rcpt;
	case EXPOSURE_STEP_COUNT:
		break;
	}
	assert(!"no such flight step");
	return "";
}

/* RCPT TO the postmaster of the server's own domain, which RFC 5321 obliges it to serve. */
static void exposure_choose_rcpt(struct probe_ctx *ctx, struct exposure_state *st)
{
	char name[EXPOSURE_NAME_MAX], domain[EXPOSURE_NAME_MAX];
	smtp_addr_server_name(probe_greeting(ctx), probe_caps(ctx), name, sizeof(name));
	if (name[0] == '\0') {
		snprintf(st->rcpt, sizeof(st->rcpt), "RCPT TO:<postmaster>");
		return;
	}
	smtp_addr_domain_of(name, domain, sizeof(domain));
	snprintf(st->rcpt, sizeof(st->rcpt), "RCPT TO:<postmaster@%s>", domain);
}

/* Why a reply cannot belong to its command, or NULL when it can. */
static const char *exposure_out_of_step(const struct exposure_state *st, enum exposure_step s,
                                        const struct smtp_reply *r)
{
	if (smtp_reply_class(r) == 3)
		return "a 3xx reply to a command that never asks for more";
	switch (s) {
	case EXPOSURE_STEP_RSET:
	case EXPOSURE_STEP_RSET_AGAIN:
		return smtp_reply_class(r) == 2 ? NULL : "RSET not answered with 2xx";
	case EXPOSURE_STEP_MAIL:
		return NULL;
	case EXPOSURE_STEP_RCPT: {
		const struct exposure_kept *mail = &st->flight[EXPOSURE_STEP_MAIL];
		bool mail_taken = mail->have && smtp_reply_class(&mail->reply) == 2;
		return mail_taken && r->code == 503
		           ? "RCPT answered 503 after MAIL FROM was accepted"
		           : NULL;
	}
	case EXPOSURE_STEP_COUNT:
		break;
	}
	assert(!"no such flight step");
	return NULL;
}

/* ---- findings ---- */

/* What one report produces: the findings, and how many of them are above info. */
struct exposure_out {
	struct probe_ctx *ctx;
	const struct exposure_state *st;
	size_t above_info;
};

static struct finding *exposure_new_finding(struct exposure_out *out, enum catalog_id id,
                                            const char *variant)
{
	if (catalog_get(id)->severity > SEVERITY_INFO)
		out->above_info++;
	return probe_finding(out->ctx, id, variant);
}

/* The reply line i as the server sent it ("250-XCLIENT NAME ADDR"). */
static void exposure_add_line(struct finding *f, const struct smtp_reply *r, size_t i)
{
	char line[SMTP_REPLY_DEFAULT_MAX_LINE + 8];
	snprintf(line, sizeof(line), "%d%c%s", r->code, i + 1 == r->nlines ? ' ' : '-',
	         r->lines[i]);
	finding_add_evidence(f, EVIDENCE_RECEIVED, line);
}

static void exposure_add_command(struct finding *f, const struct exposure_kept *k)
{
	if (k->command != NULL)
		finding_add_evidence(f, EVIDENCE_SENT, k->command);
}

struct exposure_product {
	const char *product;
	char version[EXPOSURE_VERSION_MAX]; /* the first one disclosed */
	unsigned sources;                   /* bit per enum exposure_source naming a version */
};

struct exposure_products {
	struct exposure_product list[EXPOSURE_MAX_PRODUCTS];
	size_t n;
};

static struct exposure_product *exposure_product_slot(struct exposure_products *p,
                                                      const char *product)
{
	for (size_t i = 0; i < p->n; i++)
		if (strcmp(p->list[i].product, product) == 0)
			return &p->list[i];
	if (p->n == EXPOSURE_MAX_PRODUCTS)
		return NULL;
	p->list[p->n] = (struct exposure_product){.product = product};
	return &p->list[p->n++];
}

static void exposure_collect_products(const struct exposure_state *st,
                                      struct exposure_products *out)
{
	*out = (struct exposure_products){0};
	for (int s = 0; s < EXPOSURE_SOURCE_COUNT; s++) {
		const struct exposure_kept *k = &st->source[s];
		for (size_t i = 0; k->have && i < k->reply.nlines; i++) {
			struct exposure_version v;
			if (!exposure_version_scan(k->reply.lines[i], &v))
				continue;
			struct exposure_product *p = exposure_product_slot(out, v.product);
			if (p == NULL || v.version[0] == '\0')
				continue;
			if (p->sources == 0)
				memcpy(p->version, v.version, sizeof(p->version));
			p->sources |= 1u << s;
		}
	}
}

/* Each reply that names the product with a version: the command, then those lines. */
static void exposure_add_disclosures(struct finding *f, const struct exposure_state *st,
                                     const struct exposure_product *p)
{
	for (int s = 0; s < EXPOSURE_SOURCE_COUNT; s++) {
		const struct exposure_kept *k = &st->source[s];
		if (!(p->sources & (1u << s)))
			continue;
		exposure_add_command(f, k);
		for (size_t i = 0; i < k->reply.nlines; i++) {
			struct exposure_version v;
			if (exposure_version_scan(k->reply.lines[i], &v) &&
			    strcmp(v.product, p->product) == 0 && v.version[0] != '\0')
				exposure_add_line(f, &k->reply, i);
		}
	}
}

static void exposure_report_software(struct exposure_out *out,
                                     const struct exposure_products *products)
{
	for (size_t i = 0; i < products->n; i++) {
		const struct exposure_product *p = &products->list[i];
		if (p->sources == 0)
			continue;
		struct finding *f =
		    exposure_new_finding(out, CATALOG_EXPOSE_SOFTWARE_VERSION, p->product);
		if (f == NULL)
			continue;
		char where[128];
		struct text_buf t;
		text_buf_init(&t, where, sizeof(where));
		for (int s = 0, listed = 0; s < EXPOSURE_SOURCE_COUNT; s++)
			if (p->sources & (1u << s))
				text_buf_add(&t, "%s%s", listed++ ? " and " : "",
				             exposure_source_name[s]);
		finding_set_detail(f, "%s %s named in %s", p->product, p->version, where);
		exposure_add_disclosures(f, out->st, p);
	}
}

/* The line of the probe's own EHLO reply that advertises keyword. */
static bool exposure_ehlo_line(const struct exposure_kept *ehlo, const char *keyword, size_t *line)
{
	for (size_t i = 1; ehlo->have && i < ehlo->reply.nlines; i++) {
		if (exposure_line_names(ehlo->reply.lines[i], keyword)) {
			*line = i;
			return true;
		}
	}
	return false;
}

static void exposure_xclient_detail(const struct exposure_state *st, struct text_buf *t)
{
	if (!st->xclient.have) {
		text_buf_add(t, "; the scanner's %s was not tried", EXPOSURE_XCLIENT);
		return;
	}
	const struct smtp_reply *r = &st->xclient.reply;
	if (smtp_reply_class(r) == 2)
		text_buf_add(t,
		             "; the scanner's %s was accepted (%d): any client that reaches "
		             "this port can pose as a trusted host",
		             EXPOSURE_XCLIENT, r->code);
	else
		text_buf_add(t, "; the scanner's %s was refused (%d)", EXPOSURE_XCLIENT, r->code);
}

static void exposure_report_extensions(struct exposure_out *out)
{
	const struct exposure_state *st = out->st;
	const struct exposure_kept *ehlo = &st->source[EXPOSURE_SOURCE_EHLO];
	for (int i = 0; i < EXPOSURE_EXT_COUNT; i++) {
		if (!(st->risky & (1u << i)))
			continue;
		const struct exposure_risky *x = &exposure_risky[i];
		bool usable = i == EXPOSURE_EXT_XCLIENT && st->xclient.have &&
		              smtp_reply_class(&st->xclient.reply) == 2;
		struct finding *f = exposure_new_finding(
		    out, usable ? CATALOG_EXPOSE_XCLIENT_ACCEPTED : CATALOG_EXPOSE_RISKY_EXTENSION,
		    x->keyword);
		if (f == NULL)
			continue;
		char detail[EXPOSURE_DETAIL];
		struct text_buf t;
		text_buf_init(&t, detail, sizeof(detail));
		text_buf_add(&t, "%s advertised to an unauthenticated client: %s", x->keyword,
		             x->risk);
		if (i == EXPOSURE_EXT_XCLIENT)
			exposure_xclient_detail(st, &t);
		finding_set_detail(f, "%s", detail);
		size_t line;
		if (exposure_ehlo_line(ehlo, x->keyword, &line)) {
			exposure_add_command(f, ehlo);
			exposure_add_line(f, &ehlo->reply, line);
		} else {
			finding_add_evidence(
			    f, EVIDENCE_NOTE,
			    "advertised in the EHLO reply of the session's preamble");
		}
		if (i == EXPOSURE_EXT_XCLIENT && st->xclient.have)
			finding_add_exchange(f, st->xclient.command, &st->xclient.reply);
	}
}

static const char *exposure_size_variant(enum exposure_size size)
{
	switch (size) {
	case EXPOSURE_SIZE_MISSING:
		return "missing";
	case EXPOSURE_SIZE_UNLIMITED:
		return "unlimited";
	case EXPOSURE_SIZE_EXCESSIVE:
		return "excessive";
	case EXPOSURE_SIZE_STATED:
	case EXPOSURE_SIZE_UNREADABLE:
	case EXPOSURE_SIZE_UNKNOWN:
		return NULL;
	}
	assert(!"no such size judgement");
	return NULL;
}

static void exposure_report_size(struct exposure_out *out)
{
	const struct exposure_state *st = out->st;
	const char *variant = exposure_size_variant(st->size);
	if (variant == NULL)
		return;
	struct finding *f = exposure_new_finding(out, CATALOG_EXPOSE_SIZE_LIMIT, variant);
	if (f == NULL)
		return;
	if (st->size == EXPOSURE_SIZE_MISSING)
		finding_set_detail(f, "the EHLO reply has no SIZE keyword");
	else if (st->size == EXPOSURE_SIZE_UNLIMITED)
		finding_set_detail(f, "SIZE advertised without a limit (bare SIZE or SIZE 0)");
	else
		finding_set_detail(f, "SIZE %" PRIu64 " bytes exceeds 1 GiB (%" PRIu64 " MiB)",
		                   st->size_limit, st->size_limit >> 20);
	const struct exposure_kept *ehlo = &st->source[EXPOSURE_SOURCE_EHLO];
	if (ehlo->have)
		finding_add_exchange(f, ehlo->command, &ehlo->reply);
	else
		finding_add_evidence(f, EVIDENCE_NOTE,
		                     "judged from the EHLO reply of the session's preamble");
}

static void exposure_report_pipelining(struct exposure_out *out)
{
	const struct exposure_state *st = out->st;
	if (st->pipelining != EXPOSURE_PIPE_LOST && st->pipelining != EXPOSURE_PIPE_OUT_OF_STEP)
		return;
	struct finding *f = exposure_new_finding(out, CATALOG_EXPOSE_PIPELINING_BROKEN, NULL);
	if (f == NULL)
		return;
	finding_set_detail(f, "PIPELINING advertised, but %s", st->pipe_why);
	for (int s = 0; s < EXPOSURE_STEP_COUNT; s++) {
		const char *command = exposure_step_command(st, (enum exposure_step)s);
		if (st->flight[s].have) {
			finding_add_exchange(f, command, &st->flight[s].reply);
		} else {
			finding_add_evidence(f, EVIDENCE_SENT, command);
			finding_add_evidence(f, EVIDENCE_NOTE, "no reply");
		}
	}
}

/* ---- verdict ---- */

static void exposure_reason_software(const struct exposure_products *products, struct text_buf *t)
{
	text_buf_add(t, "software:");
	if (products->n == 0)
		text_buf_add(t, " not named");
	for (size_t i = 0; i < products->n; i++) {
		const struct exposure_product *p = &products->list[i];
		text_buf_add(t, "%s %s %s", i ? "," : "", p->product,
		             p->sources ? p->version : "(no version)");
	}
}

static void exposure_reason_extensions(const struct exposure_state *st, struct text_buf *t)
{
	text_buf_add(t, "; risky extensions:");
	if (st->risky == 0)
		text_buf_add(t, " none");
	for (int i = 0; i < EXPOSURE_EXT_COUNT; i++)
		if (st->risky & (1u << i))
			text_buf_add(t, " %s", exposure_risky[i].keyword);
	if (st->xclient.have)
		text_buf_add(t, " (XCLIENT %s: %d)",
		             smtp_reply_class(&st->xclient.reply) == 2 ? "accepted" : "refused",
		             st->xclient.reply.code);
}

static void exposure_reason_size(const struct exposure_state *st, struct text_buf *t)
{
	switch (st->size) {
	case EXPOSURE_SIZE_STATED:
		text_buf_add(t, "; SIZE %" PRIu64, st->size_limit);
		return;
	case EXPOSURE_SIZE_MISSING:
		text_buf_add(t, "; SIZE missing");
		return;
	case EXPOSURE_SIZE_UNLIMITED:
		text_buf_add(t, "; SIZE without a limit");
		return;
	case EXPOSURE_SIZE_EXCESSIVE:
		text_buf_add(t, "; SIZE %" PRIu64 " (over 1 GiB)", st->size_limit);
		return;
	case EXPOSURE_SIZE_UNREADABLE:
		text_buf_add(t, "; SIZE argument unreadable");
		return;
	case EXPOSURE_SIZE_UNKNOWN:
		text_buf_add(t, "; no EHLO capabilities (HELO only)");
		return;
	}
	assert(!"no such size judgement");
}

static void exposure_reason_pipelining(const struct exposure_state *st, struct text_buf *t)
{
	switch (st->pipelining) {
	case EXPOSURE_PIPE_NOT_OFFERED:
		text_buf_add(t, "; pipelining not offered");
		return;
	case EXPOSURE_PIPE_UNTESTED:
	case EXPOSURE_PIPE_IN_FLIGHT:
		text_buf_add(t, "; pipelining not tested");
		return;
	case EXPOSURE_PIPE_IN_STEP:
		text_buf_add(t, "; pipelining: %d replies in step", EXPOSURE_STEP_COUNT);
		return;
	case EXPOSURE_PIPE_LOST:
	case EXPOSURE_PIPE_OUT_OF_STEP:
		text_buf_add(t, "; pipelining broken: %s", st->pipe_why);
		return;
	}
	assert(!"no such pipelining result");
}

/*
 * Emits every finding and returns how many are above info; reason gets
 * the summary. why is the outcome when the session ended early, else NULL.
 */
static size_t exposure_report(struct probe_ctx *ctx, const char *why, char *reason,
                              size_t reason_len)
{
	struct exposure_out out = {.ctx = ctx, .st = probe_state(ctx)};
	struct exposure_products products;
	exposure_collect_products(out.st, &products);
	exposure_report_software(&out, &products);
	exposure_report_extensions(&out);
	exposure_report_size(&out);
	exposure_report_pipelining(&out);

	struct text_buf t;
	text_buf_init(&t, reason, reason_len);
	exposure_reason_software(&products, &t);
	exposure_reason_extensions(out.st, &t);
	exposure_reason_size(out.st, &t);
	exposure_reason_pipelining(out.st, &t);
	if (why != NULL)
		text_buf_add(&t, "; session ended early: %s", why);
	return out.above_info;
}

static void exposure_finish(struct probe_ctx *ctx)
{
	char reason[EXPOSURE_REASON];
	size_t above_info = exposure_report(ctx, NULL, reason, sizeof(reason));
	probe_conclude(ctx, above_info > 0 ? VERDICT_VULNERABLE : VERDICT_NOT_VULNERABLE, "%s",
	               reason);
}

/* ---- the dialog ---- */

static void exposure_cannot_send(struct probe_ctx *ctx, const char *what)
{
	probe_conclude(ctx, VERDICT_INCONCLUSIVE, "could not send %s", what);
}

static void exposure_out_of_memory(struct probe_ctx *ctx)
{
	probe_conclude(ctx, VERDICT_INCONCLUSIVE, "out of memory");
}

static void exposure_send_help(struct probe_ctx *ctx)
{
	if (probe_send(ctx, EXPOSURE_TAG_HELP, "HELP") != 0)
		exposure_cannot_send(ctx, "HELP");
}

static void exposure_after_flight(struct probe_ctx *ctx, struct exposure_state *st)
{
	if (!(st->risky & (1u << EXPOSURE_EXT_XCLIENT))) {
		exposure_finish(ctx);
		return;
	}
	if (probe_send(ctx, EXPOSURE_TAG_XCLIENT, "%s", EXPOSURE_XCLIENT) != 0)
		exposure_cannot_send(ctx, "XCLIENT");
}

static void exposure_send_flight(struct probe_ctx *ctx, struct exposure_state *st)
{
	if (st->pipelining != EXPOSURE_PIPE_UNTESTED) {
		exposure_after_flight(ctx, st);
		return;
	}
	st->pipelining = EXPOSURE_PIPE_IN_FLIGHT;
	for (int s = 0; s < EXPOSURE_STEP_COUNT; s++) {
		if (probe_send(ctx, EXPOSURE_TAG_FLIGHT, "%s",
		               exposure_step_command(st, (enum exposure_step)s)) != 0) {
			exposure_cannot_send(ctx, "the pipelined flight");
			return;
		}
	}
}

static void exposure_start(struct probe_ctx *ctx)
{
	struct exposure_state *st = probe_state(ctx);
	const struct smtp_caps *caps = probe_caps(ctx);
	const struct smtp_reply *greeting = probe_greeting(ctx);
	if (greeting != NULL &&
	    exposure_keep(&st->source[EXPOSURE_SOURCE_GREETING], NULL, greeting) != 0) {
		exposure_out_of_memory(ctx);
		return;
	}
	st->risky = exposure_risky_offered(caps);
	st->size = exposure_size_judge(caps);
	st->size_limit = caps != NULL ? caps->size_limit : 0;
	st->pipelining = caps != NULL && smtp_caps_has(caps, SMTP_EXT_PIPELINING)
	                     ? EXPOSURE_PIPE_UNTESTED
	                     : EXPOSURE_PIPE_NOT_OFFERED;
	exposure_choose_rcpt(ctx, st);
	if (caps == NULL) {
		exposure_send_help(ctx);
		return;
	}
	if (probe_send(ctx, EXPOSURE_TAG_EHLO, "EHLO %s", probe_settings(ctx)->helo_name) != 0)
		exposure_cannot_send(ctx, "EHLO");
}

static void exposure_flight_reply(struct probe_ctx *ctx, struct exposure_state *st,
                                  const struct probe_reply *r)
{
	assert(st->answered < EXPOSURE_STEP_COUNT);
	enum exposure_step s = (enum exposure_step)st->answered++;
	const char *wrong = exposure_out_of_step(st, s, r->reply);
	if (wrong != NULL && st->pipelining == EXPOSURE_PIPE_IN_FLIGHT) {
		st->pipelining = EXPOSURE_PIPE_OUT_OF_STEP;
		snprintf(st->pipe_why, sizeof(st->pipe_why), "%s (reply %zu of %d: %d)", wrong,
		         st->answered, EXPOSURE_STEP_COUNT, r->reply->code);
	}
	if (exposure_keep(&st->flight[s], NULL, r->reply) != 0) {
		exposure_out_of_memory(ctx);
		return;
	}
	if (st->answered < EXPOSURE_STEP_COUNT)
		return;
	if (st->pipelining == EXPOSURE_PIPE_IN_FLIGHT)
		st->pipelining = EXPOSURE_PIPE_IN_STEP;
	exposure_after_flight(ctx, st);
}

static void exposure_step(struct probe_ctx *ctx, const struct probe_reply *r)
{
	struct exposure_state *st = probe_state(ctx);
	switch ((enum exposure_tag)r->tag) {
	case EXPOSURE_TAG_EHLO:
		if (exposure_keep(&st->source[EXPOSURE_SOURCE_EHLO], r->command, r->reply) != 0)
			exposure_out_of_memory(ctx);
		else
			exposure_send_help(ctx);
		return;
	case EXPOSURE_TAG_HELP:
		if (exposure_keep(&st->source[EXPOSURE_SOURCE_HELP], r->command, r->reply) != 0)
			exposure_out_of_memory(ctx);
		else
			exposure_send_flight(ctx, st);
		return;
	case EXPOSURE_TAG_FLIGHT:
		exposure_flight_reply(ctx, st, r);
		return;
	case EXPOSURE_TAG_XCLIENT:
		/* A 2xx restarted the session (Postfix greets anew): nothing more is sent. */
		if (exposure_keep(&st->xclient, r->command, r->reply) != 0)
			exposure_out_of_memory(ctx);
		else
			exposure_finish(ctx);
		return;
	}
	assert(!"reply with a tag this probe never used");
}

/*
 * A flight whose replies stop (timeout) or break the protocol (an extra
 * or malformed reply) is what broken pipelining looks like; anything
 * seen before any kind of end stands.
 */
static void exposure_interrupted(struct probe_ctx *ctx, enum outcome why)
{
	struct exposure_state *st = probe_state(ctx);
	if (st->pipelining == EXPOSURE_PIPE_IN_FLIGHT &&
	    (why == OUTCOME_TIMEOUT || why == OUTCOME_PROTOCOL_ERROR)) {
		const char *failure = probe_failure(ctx);
		st->pipelining =
		    why == OUTCOME_TIMEOUT ? EXPOSURE_PIPE_LOST : EXPOSURE_PIPE_OUT_OF_STEP;
		snprintf(st->pipe_why, sizeof(st->pipe_why), "%zu of %d replies came, then %s%s%s",
		         st->answered, EXPOSURE_STEP_COUNT, outcome_name(why),
		         failure[0] ? ": " : "", failure);
	}
	char reason[EXPOSURE_REASON];
	if (exposure_report(ctx, outcome_name(why), reason, sizeof(reason)) > 0)
		probe_conclude(ctx, VERDICT_VULNERABLE, "%s", reason);
}

static void exposure_cleanup(void *state)
{
	struct exposure_state *st = state;
	for (int s = 0; s < EXPOSURE_SOURCE_COUNT; s++)
		exposure_release(&st->source[s]);
	for (int s = 0; s < EXPOSURE_STEP_COUNT; s++)
		exposure_release(&st->flight[s]);
	exposure_release(&st->xclient);
}

const struct probe probe_exposure = {
    .name = "exposure",
    .summary = "software version in banner/EHLO/HELP, extensions for trusted peers only, "
               "SIZE limit, pipelining that loses commands",
    .preamble = PROBE_PREAMBLE_EHLO,
    .flags = PROBE_DEFAULT,
    .state_size = sizeof(struct exposure_state),
    .start = exposure_start,
    .step = exposure_step,
    .interrupted = exposure_interrupted,
    .cleanup = exposure_cleanup,
};
