/*
 * NAME
 *	report_text - the human-readable report (-o text, the default)
 *
 * DESCRIPTION
 *	Everything is written in end(), from the sorted scan, so the output
 *	does not depend on the order in which targets finished. One block per
 *	target, headed "host [address]:port":
 *
 *		outcome (for a failure: the reason and "all probes inconclusive"),
 *		software guess, banner, capabilities before and after TLS,
 *		TLS facts, one line per probe verdict, then the findings:
 *		"[SEVERITY] ID Title (variant)", the detail, "Fix:" with the
 *		advice for the recognised software, "References:", and with
 *		opt->verbose the evidence ("> C: " sent, "< S: " received,
 *		"* " notes).
 *
 *	In domain mode a "Domains" section comes first: per domain its mail
 *	route (mx, implicit, null-mx, none, failed with the reason) and
 *	whether the MX answer was DNSSEC-authenticated, one line per MX host
 *	with its preference and addresses, the DNS records read (with
 *	opt->verbose) and the domain's findings, printed exactly as a
 *	target's. A "Targets" heading then introduces the MX hosts, each
 *	saying "MX of: DOMAIN, ..." (none when no domain had an MX host to scan).
 *
 *	A summary closes the report: targets, findings per severity, the worst
 *	severity and whether the --fail-on threshold is met.
 *
 *	Every string that came from a server or a user goes through
 *	escape_visible(), so a hostile banner can never reach the terminal as
 *	control bytes. ANSI colour, when opt->color is set, is limited to the
 *	severity tags; nothing else in the output changes with it.
 *
 * DIAGNOSTICS
 *	end() returns SA_ERROR_NOMEM when escaping runs out of memory and
 *	SA_ERROR_IO when the stream reports an error.
 */
#include <assert.h>
#include <ctype.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "baseline.h"
#include "escape.h"
#include "report.h"
#include "report_diff.h"
#include "report_time.h"
#include "sa_error.h"

extern const struct report_writer report_text;

#define TEXT_COLOR_RESET "\033[0m"

static const char *const text_severity_colors[] = {
    [SEVERITY_INFO] = "\033[34m",       [SEVERITY_LOW] = "\033[36m",
    [SEVERITY_MEDIUM] = "\033[33m",     [SEVERITY_HIGH] = "\033[31m",
    [SEVERITY_CRITICAL] = "\033[1;31m",
};
_Static_assert(sizeof(text_severity_colors) / sizeof(text_severity_colors[0]) == SEVERITY_COUNT,
               "one colour per severity");

static int text_escaped_n(FILE *out, const char *s, size_t len)
{
	char *e = escape_visible(s, len);
	if (e == NULL)
		return SA_ERROR_NOMEM;
	fputs(e, out);
	free(e);
	return 0;
}

/* s escaped; NULL prints nothing. */
static int text_escaped(FILE *out, const char *s)
{
	return s == NULL ? 0 : text_escaped_n(out, s, strlen(s));
}

/* "<prefix><escaped s><suffix>". */
static int text_wrap(FILE *out, const char *prefix, const char *s, const char *suffix)
{
	fputs(prefix, out);
	int rc = text_escaped(out, s);
	fputs(suffix, out);
	return rc;
}

static void text_severity_tag(const struct report_options *opt, enum finding_severity sev)
{
	const char *name = severity_name(sev);
	if (opt->color)
		fputs(text_severity_colors[sev], opt->out);
	fputc('[', opt->out);
	for (const char *p = name; *p != '\0'; p++)
		fputc(toupper((unsigned char)*p), opt->out);
	fputc(']', opt->out);
	if (opt->color)
		fputs(TEXT_COLOR_RESET, opt->out);
}

/* ---- per target ---- */

static int text_heading(FILE *out, const struct target_result *t)
{
	int rc = text_escaped(out, t->host);
	if (rc == 0 && t->address != NULL)
		rc = text_wrap(out, " [", t->address, "]");
	fprintf(out, ":%u%s\n", (unsigned)t->port, t->implicit_tls ? " (implicit TLS)" : "");
	return rc;
}

static int text_outcome(FILE *out, const struct target_result *t)
{
	fprintf(out, "  outcome: %s", outcome_name(t->outcome));
	if (t->outcome == OUTCOME_COMPLETED) {
		fputc('\n', out);
		if (!t->esmtp && t->banner != NULL)
			fputs("  EHLO refused, HELO used\n", out);
		return 0;
	}
	int rc = t->reason != NULL ? text_wrap(out, " - ", t->reason, "") : 0;
	fputs("\n  all probes inconclusive\n", out);
	return rc;
}

static int text_software(FILE *out, const struct target_result *t)
{
	if (t->outcome != OUTCOME_COMPLETED && t->mta.mta == MTA_UNKNOWN)
		return 0;
	fprintf(out, "  software: %s", mta_name(t->mta.mta));
	int rc = t->mta.version[0] != '\0' ? text_wrap(out, " ", t->mta.version, "") : 0;
	fputc('\n', out);
	return rc;
}

/*
 * label, then text line by line (lines separated by '\n'), every further
 * line aligned under the first. Server text is escaped line by line so
 * the layout survives; the program's own text is written as it is.
 */
static int text_lines(FILE *out, const char *label, const char *text, bool escape)
{
	int indent = (int)strlen(label);
	fputs(label, out);
	for (;;) {
		const char *nl = strchr(text, '\n');
		size_t len = nl != NULL ? (size_t)(nl - text) : strlen(text);
		if (escape) {
			int rc = text_escaped_n(out, text, len);
			if (rc < 0)
				return rc;
		} else {
			fwrite(text, 1, len, out);
		}
		fputc('\n', out);
		if (nl == NULL)
			return 0;
		text = nl + 1;
		fprintf(out, "%*s", indent, "");
	}
}

/* ", " before every item but the first. */
static void text_separator(FILE *out, bool *first)
{
	if (!*first)
		fputs(", ", out);
	*first = false;
}

static int text_auth(FILE *out, const struct smtp_caps *caps)
{
	fputs("AUTH", out);
	for (int m = 0; m < SMTP_AUTH_COUNT; m++)
		if (smtp_caps_has_auth(caps, (enum smtp_auth)m))
			fprintf(out, " %s", smtp_auth_name((enum smtp_auth)m));
	for (size_t i = 0; i < caps->nauth_unknown; i++) {
		int rc = text_wrap(out, " ", caps->auth_unknown[i], "");
		if (rc < 0)
			return rc;
	}
	if (caps->auth_unknown_dropped > 0)
		fprintf(out, " (+%zu not kept)", caps->auth_unknown_dropped);
	return 0;
}

static int text_caps(FILE *out, const char *when, const struct smtp_caps *caps)
{
	fprintf(out, "  capabilities %s", when);
	int rc = caps->server_name != NULL ? text_wrap(out, " (", caps->server_name, ")") : 0;
	fputs(": ", out);
	bool first = true;
	for (int e = 0; rc == 0 && e < SMTP_EXT_COUNT; e++) {
		if (!smtp_caps_has(caps, (enum smtp_ext)e))
			continue;
		text_separator(out, &first);
		if (e == SMTP_EXT_AUTH)
			rc = text_auth(out, caps);
		else if (e == SMTP_EXT_SIZE && caps->size_limit > 0)
			fprintf(out, "SIZE %" PRIu64, caps->size_limit);
		else
			fputs(smtp_ext_name((enum smtp_ext)e), out);
	}
	for (size_t i = 0; rc == 0 && i < caps->nunknown; i++) {
		text_separator(out, &first);
		rc = text_escaped(out, caps->unknown[i]);
	}
	if (first)
		fputs("(none)", out);
	if (caps->unknown_dropped > 0)
		fprintf(out, " (+%zu unknown not kept)", caps->unknown_dropped);
	fputc('\n', out);
	return rc;
}

static int text_trust(FILE *out, const struct tls_facts *tls)
{
	int rc = 0;
	if (tls->trusted)
		fputs("  trust: trusted", out);
	else if (tls->verify_detail == NULL)
		fputs("  trust: not trusted", out);
	else
		rc = text_wrap(out, "  trust: not trusted (", tls->verify_detail, ")");
	if (!tls->name_checked)
		fputs("; name not checked\n", out);
	else
		fputs(tls->name_matches ? "; name matches\n" : "; name does not match\n", out);
	return rc;
}

static int text_tls(FILE *out, const struct tls_facts *tls)
{
	char from[REPORT_TIME_LEN], until[REPORT_TIME_LEN];
	report_time_seconds(tls->not_before, from);
	report_time_seconds(tls->not_after, until);
	int rc = text_wrap(out, "  TLS: ", tls->version, "");
	if (rc == 0)
		rc = text_wrap(out, ", ", tls->ciphersuite, "\n");
	if (rc == 0)
		rc = text_wrap(out, "  certificate: ", tls->subject, "\n");
	if (rc == 0)
		rc = text_wrap(out, "  issuer: ", tls->issuer, "\n");
	fprintf(out, "  valid: %s to %s\n", from, until);
	return rc == 0 ? text_trust(out, tls) : rc;
}

static int text_probe(FILE *out, const struct probe_record *p)
{
	fprintf(out, "    %s: ", p->probe);
	if (p->outcome != OUTCOME_COMPLETED) {
		fprintf(out, "%s (%s", verdict_name(VERDICT_INCONCLUSIVE),
		        outcome_name(p->outcome));
		int rc = p->reason != NULL ? text_wrap(out, ": ", p->reason, "") : 0;
		fputs(")\n", out);
		return rc;
	}
	fputs(verdict_name(p->verdict), out);
	int rc = p->verdict_reason != NULL ? text_wrap(out, " - ", p->verdict_reason, "") : 0;
	fputc('\n', out);
	return rc;
}

static int text_probes(FILE *out, const struct target_result *t)
{
	if (t->outcome != OUTCOME_COMPLETED || t->nprobes == 0)
		return 0;
	fputs("  probes:\n", out);
	for (size_t i = 0; i < t->nprobes; i++) {
		int rc = text_probe(out, &t->probes[i]);
		if (rc < 0)
			return rc;
	}
	return 0;
}

static int text_evidence(FILE *out, const struct finding *f)
{
	static const char *const prefixes[] = {
	    [EVIDENCE_SENT] = "      > C: ",
	    [EVIDENCE_RECEIVED] = "      < S: ",
	    [EVIDENCE_NOTE] = "      * ",
	};
	for (size_t i = 0; i < f->nevidence; i++) {
		assert(f->evidence[i].kind <= EVIDENCE_NOTE);
		int rc = text_wrap(out, prefixes[f->evidence[i].kind], f->evidence[i].text, "\n");
		if (rc < 0)
			return rc;
	}
	if (f->evidence_dropped > 0)
		fprintf(out, "      (%zu more evidence lines not kept)\n", f->evidence_dropped);
	return 0;
}

/* Whose finding it is: a target or a domain, for the fingerprint and the advice. */
struct text_owner {
	const struct target_result *target;
	const struct domain_result *domain;
};

/* With --baseline: "[new] " or "[unchanged] " ahead of the severity. */
static int text_baseline_mark(const struct report_options *opt, struct text_owner owner,
                              const struct finding *f)
{
	if (opt->baseline == NULL)
		return 0;
	char fp[33];
	int rc = owner.target != NULL ? result_fingerprint(owner.target, f, fp, sizeof(fp))
	                              : result_domain_fingerprint(owner.domain, f, fp, sizeof(fp));
	if (rc != 0)
		return SA_ERROR_NOMEM;
	fprintf(opt->out, "[%s] ", report_diff_status(opt->baseline, fp));
	return 0;
}

static int text_finding(const struct report_options *opt, struct text_owner owner,
                        const struct finding *f)
{
	FILE *out = opt->out;
	const struct catalog_entry *entry = catalog_get(f->id);
	enum mta mta = owner.target != NULL ? owner.target->mta.mta : MTA_UNKNOWN;
	fputs("    ", out);
	int rc = text_baseline_mark(opt, owner, f);
	text_severity_tag(opt, entry->severity);
	fprintf(out, " %s %s", entry->public_id, entry->title);
	if (rc == 0 && f->variant != NULL)
		rc = text_wrap(out, " (", f->variant, ")");
	fputc('\n', out);
	if (rc == 0 && f->detail != NULL)
		rc = text_wrap(out, "      ", f->detail, "\n");
	if (rc == 0)
		rc = text_lines(out, "      Fix: ", catalog_advice(f->id, mta), false);
	if (rc == 0 && entry->references != NULL && entry->references[0] != '\0')
		rc = text_lines(out, "      References: ", entry->references, false);
	if (rc == 0 && opt->verbose)
		rc = text_evidence(out, f);
	return rc;
}

static int text_findings(const struct report_options *opt, const struct target_result *t)
{
	if (t->nfindings == 0) {
		if (t->outcome == OUTCOME_COMPLETED)
			fputs("  findings: none\n", opt->out);
		return 0;
	}
	fputs("  findings:\n", opt->out);
	for (size_t i = 0; i < t->nfindings; i++) {
		int rc = text_finding(opt, (struct text_owner){.target = t}, &t->findings[i]);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* Domain mode: "  MX of: a.example, b.example". */
static int text_mx_of(FILE *out, const struct target_result *t)
{
	fputs("  MX of: ", out);
	bool first = true;
	for (size_t i = 0; i < t->ndomains; i++) {
		text_separator(out, &first);
		int rc = text_escaped(out, t->domains[i]);
		if (rc < 0)
			return rc;
	}
	fputc('\n', out);
	return 0;
}

static int text_target(const struct report_options *opt, const struct target_result *t)
{
	FILE *out = opt->out;
	int rc = text_heading(out, t);
	if (rc == 0 && t->ndomains > 0)
		rc = text_mx_of(out, t);
	if (rc == 0)
		rc = text_outcome(out, t);
	if (rc == 0)
		rc = text_software(out, t);
	if (rc == 0 && t->banner != NULL)
		rc = text_lines(out, "  banner: ", t->banner, true);
	if (rc == 0 && t->have_caps_plain)
		rc = text_caps(out, "before TLS", &t->caps_plain);
	if (rc == 0 && t->have_caps_tls)
		rc = text_caps(out, "after TLS", &t->caps_tls);
	if (rc == 0 && t->have_tls)
		rc = text_tls(out, &t->tls);
	if (rc == 0)
		rc = text_probes(out, t);
	if (rc == 0)
		rc = text_findings(opt, t);
	return rc;
}

/* ---- per domain ---- */

static int text_domain_route(FILE *out, const struct domain_result *d)
{
	fprintf(out, "  route: %s", domain_route_name(d->route));
	int rc = d->error != NULL ? text_wrap(out, " - ", d->error, "") : 0;
	fprintf(out, "; DNSSEC: %s\n", d->dnssec ? "yes" : "no");
	return rc;
}

/* "  MX 10 mx1.example.org: 192.0.2.10, 2001:db8::25", or why the host did not resolve. */
static int text_domain_mx(FILE *out, const struct domain_mx *mx)
{
	fprintf(out, "  MX %u ", mx->preference);
	int rc = text_escaped(out, mx->host);
	if (rc == 0 && mx->error != NULL)
		rc = text_wrap(out, " (did not resolve: ", mx->error, ")");
	else if (mx->naddresses == 0)
		fputs(" (no address)", out);
	for (size_t i = 0; rc == 0 && i < mx->naddresses; i++)
		rc = text_wrap(out, i == 0 ? ": " : ", ", mx->addresses[i], "");
	fputc('\n', out);
	return rc;
}

/* The records the checks read; with opt->verbose only, as they are evidence. */
static int text_domain_records(const struct report_options *opt, const struct domain_result *d)
{
	if (!opt->verbose || d->nrecords == 0)
		return 0;
	fputs("  records:\n", opt->out);
	for (size_t i = 0; i < d->nrecords; i++) {
		const struct domain_record *r = &d->records[i];
		int rc = text_wrap(opt->out, "    ", r->type, " ");
		if (rc == 0)
			rc = text_wrap(opt->out, "", r->name, ": ");
		if (rc == 0)
			rc = text_escaped(opt->out, r->text);
		fputc('\n', opt->out);
		if (rc < 0)
			return rc;
	}
	return 0;
}

static int text_domain_findings(const struct report_options *opt, const struct domain_result *d)
{
	if (d->findings.n == 0) {
		fputs("  findings: none\n", opt->out);
		return 0;
	}
	fputs("  findings:\n", opt->out);
	for (size_t i = 0; i < d->findings.n; i++) {
		int rc = text_finding(opt, (struct text_owner){.domain = d}, &d->findings.items[i]);
		if (rc < 0)
			return rc;
	}
	if (d->findings.dropped > 0)
		fprintf(opt->out, "    (%zu more findings not kept)\n", d->findings.dropped);
	return 0;
}

static int text_domain(const struct report_options *opt, const struct domain_result *d)
{
	int rc = text_wrap(opt->out, "domain ", d->domain, "\n");
	if (rc == 0)
		rc = text_domain_route(opt->out, d);
	for (size_t i = 0; rc == 0 && i < d->nmx; i++)
		rc = text_domain_mx(opt->out, &d->mx[i]);
	if (rc == 0)
		rc = text_domain_records(opt, d);
	if (rc == 0)
		rc = text_domain_findings(opt, d);
	return rc;
}

/* Domain mode: the domains, then a heading for the targets (the MX hosts), if any. */
static int text_domains(const struct report_options *opt, const struct scan_result *scan)
{
	if (scan->ndomains == 0)
		return 0;
	fputs("Domains\n\n", opt->out);
	for (size_t i = 0; i < scan->ndomains; i++) {
		int rc = text_domain(opt, scan->domains[i]);
		if (rc < 0)
			return rc;
		fputc('\n', opt->out);
	}
	if (scan->ntargets > 0)
		fputs("Targets\n\n", opt->out);
	return 0;
}

/* ---- whole scan ---- */

static void text_scan_heading(const struct report_options *opt, const struct scan_result *scan)
{
	char started[REPORT_TIME_LEN], finished[REPORT_TIME_LEN];
	report_time_ms(scan->started_ms, false, started);
	report_time_ms(scan->finished_ms, false, finished);
	fprintf(opt->out, "smtp-audit %s scan %s\n", opt->tool_version, scan->scan_id);
	fprintf(opt->out, "started %s, finished %s%s\n\n", started, finished,
	        scan->interrupted ? ", interrupted before every target was scanned" : "");
}

static void text_summary(const struct report_options *opt, const struct scan_result *scan)
{
	FILE *out = opt->out;
	size_t completed = 0;
	for (size_t i = 0; i < scan->ntargets; i++)
		completed += scan->targets[i]->outcome == OUTCOME_COMPLETED;
	if (scan->ndomains > 0)
		fprintf(out, "domains: %zu\n", scan->ndomains);
	fprintf(out, "summary: %zu targets scanned, %zu completed, %zu failed\n", scan->ntargets,
	        completed, scan->ntargets - completed);

	size_t counts[SEVERITY_COUNT];
	scan_result_count_by_severity(scan, counts);
	fputs("findings:", out);
	int worst = -1;
	for (int sev = SEVERITY_COUNT - 1; sev >= 0; sev--) {
		fprintf(out, "%s %zu %s", sev == SEVERITY_COUNT - 1 ? "" : ",", counts[sev],
		        severity_name((enum finding_severity)sev));
		if (worst < 0 && counts[sev] > 0)
			worst = sev;
	}
	fprintf(out, "\nworst severity: %s\n",
	        worst < 0 ? "none" : severity_name((enum finding_severity)worst));

	/* The CLI passes SEVERITY_COUNT for --fail-on never. */
	if (opt->fail_on >= SEVERITY_COUNT) {
		fputs("fail-on never: findings do not fail the scan\n", out);
		return;
	}
	bool only_new = opt->fail_on_new && opt->baseline != NULL;
	size_t at_least = only_new ? baseline_count_new_at_least(opt->baseline, opt->fail_on)
	                           : scan_result_count_at_least(scan, opt->fail_on);
	fprintf(out, "fail-on %s: %s (%sfindings at or above: %zu)\n", severity_name(opt->fail_on),
	        at_least > 0 ? "met" : "not met", only_new ? "new " : "", at_least);
}

static int text_end(const struct report_options *opt, const struct scan_result *scan)
{
	text_scan_heading(opt, scan);
	int rc = text_domains(opt, scan);
	for (size_t i = 0; rc == 0 && i < scan->ntargets; i++) {
		rc = text_target(opt, scan->targets[i]);
		fputc('\n', opt->out);
	}
	if (rc == 0 && opt->baseline != NULL) {
		const struct report_diff_source src = {.baseline = opt->baseline_file,
		                                       .fail_on = opt->fail_on};
		rc = report_diff_section(opt->out, opt->baseline, &src);
		fputc('\n', opt->out);
	}
	if (rc < 0)
		return rc;
	text_summary(opt, scan);
	return ferror(opt->out) ? SA_ERROR_IO : 0;
}

const struct report_writer report_text = {
    .name = "text",
    .description = "readable report for people, grouped per target (default)",
    .end = text_end,
};
