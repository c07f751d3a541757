/*
 * NAME
 *	report_html - a self-contained HTML report for people (-o html)
 *
 * DESCRIPTION
 *	One HTML5 document with its CSS inline and no script, no image, no
 *	font or anything else to fetch, so the file can be mailed or archived
 *	on its own. Written in end(), from the sorted scan:
 *
 *		a summary: scan id, tool version, start and end, targets
 *		scanned/completed/failed, findings per severity, the worst
 *		severity, the --fail-on verdict, and one row per target;
 *		one card per target: outcome, software, banner, capabilities
 *		before and after TLS, TLS and certificate facts, probe
 *		verdicts, and its findings, each with a severity badge, title,
 *		detail, the remediation for the recognised software in a <pre>
 *		that selects whole with one click, references, and the evidence
 *		transcript folded in <details>.
 *
 *	In domain mode one card per domain comes before the targets: route,
 *	DNSSEC, MX hosts with preference and addresses, MTA-STS id, the DNS
 *	records read (folded) and the domain's findings, shown like a
 *	target's; each target card names the domains it is an MX host of.
 *
 *	Every string, from a server or from the program, goes through
 *	html_text(): escape_html() makes control bytes, non-ASCII and invalid
 *	UTF-8 visible as "\xNN" and turns & < > " ' into entities, so no byte
 *	a server sent can open markup. Server data only ever lands in element
 *	content, never in an attribute or a URL. A Content-Security-Policy of
 *	default-src 'none' backs this up: even an escaping bug could not load
 *	or run anything.
 *
 * DIAGNOSTICS
 *	end() returns SA_ERROR_NOMEM when escaping runs out of memory and
 *	SA_ERROR_IO when the stream reports an error.
 */
#include <assert.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "escape.h"
#include "report.h"
#include "report_time.h"
#include "sa_error.h"

extern const struct report_writer report_html;

/* The output stream and the first error; once rc is set, nothing more is escaped. */
struct html {
	FILE *out;
	int rc;
};

static const char html_head[] =
    "<!DOCTYPE html>\n"
    "<html lang=\"en\">\n"
    "<head>\n"
    "<meta charset=\"utf-8\">\n"
    "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
    "style-src 'unsafe-inline'\">\n"
    "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
    "<meta name=\"referrer\" content=\"no-referrer\">\n";

static const char html_style[] =
    "<style>\n"
    "body{font:15px/1.45 \"DejaVu Sans\",Arial,sans-serif;margin:0;background:#eef1f5;"
    "color:#1c2430}\n"
    "header{background:#1f3a5f;color:#fff;padding:18px 32px}\n"
    "header h1{margin:0;font-size:24px}header p{margin:4px 0 0;color:#c9d6e8}\n"
    "main{padding:8px 32px 32px;max-width:1200px}\n"
    "section,article{background:#fff;border:1px solid #d3d9e2;border-radius:6px;"
    "padding:12px 20px;margin:16px 0}\n"
    "h2{font-size:20px;margin:4px 0 12px}h3{font-size:18px;margin:4px 0 8px}\n"
    "h4{font-size:16px;margin:16px 0 6px}h5{font-size:15px;margin:0 0 6px}\n"
    "dl{display:grid;grid-template-columns:max-content 1fr;gap:3px 16px;margin:8px 0}\n"
    "dt{font-weight:bold;color:#44546a}dd{margin:0;overflow-wrap:anywhere}\n"
    "table{border-collapse:collapse;margin:8px 0}\n"
    "th,td{border:1px solid #d3d9e2;padding:4px 10px;text-align:left;vertical-align:top}\n"
    "th{background:#f3f5f8}\n"
    "pre{background:#f6f8fa;border:1px solid #d3d9e2;border-radius:4px;padding:8px;margin:4px 0;"
    "white-space:pre-wrap;overflow-wrap:anywhere;font:13px/1.4 \"DejaVu Sans Mono\",monospace}\n"
    "pre.fix{user-select:all;border-left:4px solid #2e7d32}\n"
    "code{font-family:\"DejaVu Sans Mono\",monospace}\n"
    ".badge{display:inline-block;min-width:64px;text-align:center;border-radius:4px;"
    "padding:1px 8px;font-size:12px;font-weight:bold;text-transform:uppercase}\n"
    ".sev-critical{background:#6a0d0d;color:#fff}.sev-high{background:#c62828;color:#fff}\n"
    ".sev-medium{background:#ef6c00;color:#fff}.sev-low{background:#f6c026;color:#1c2430}\n"
    ".sev-info{background:#1565c0;color:#fff}.sev-none{background:#2e7d32;color:#fff}\n"
    "td.count{text-align:center;font-size:20px;font-weight:bold;min-width:80px}\n"
    ".outcome-completed{color:#2e7d32;font-weight:bold}\n"
    ".outcome-failed{color:#c62828;font-weight:bold}\n"
    "table.probes td:nth-child(2){white-space:nowrap}\n"
    ".verdict-vulnerable{color:#c62828;font-weight:bold}\n"
    ".verdict-suspected{color:#ef6c00;font-weight:bold}\n"
    ".verdict-not-vulnerable{color:#2e7d32}.verdict-inconclusive{color:#7a5c00}\n"
    ".cap{display:inline-block;background:#e8eef7;border-radius:3px;padding:0 6px;margin:1px 2px;"
    "font:13px \"DejaVu Sans Mono\",monospace}\n"
    ".finding{border-top:1px solid #d3d9e2;padding:10px 0}\n"
    ".muted{color:#66758a}\n"
    "summary{cursor:pointer;color:#1f3a5f}\n"
    ".ev-sent{color:#0d47a1}.ev-received{color:#1c2430}.ev-note{color:#66758a}\n"
    "</style>\n"
    "</head>\n";

/* CSS class suffix per severity, as in .sev-NAME. */
static const char *const html_severity_classes[] = {
    [SEVERITY_INFO] = "info", [SEVERITY_LOW] = "low",           [SEVERITY_MEDIUM] = "medium",
    [SEVERITY_HIGH] = "high", [SEVERITY_CRITICAL] = "critical",
};
_Static_assert(sizeof(html_severity_classes) / sizeof(html_severity_classes[0]) == SEVERITY_COUNT,
               "one class per severity");

/* The transcript prefix per evidence kind, as report_text writes it. */
static const struct {
	const char *css;
	const char *prefix;
} html_evidence_kinds[] = {
    [EVIDENCE_SENT] = {.css = "ev-sent", .prefix = "C: "},
    [EVIDENCE_RECEIVED] = {.css = "ev-received", .prefix = "S: "},
    [EVIDENCE_NOTE] = {.css = "ev-note", .prefix = "* "},
};
_Static_assert(sizeof(html_evidence_kinds) / sizeof(html_evidence_kinds[0]) == EVIDENCE_NOTE + 1,
               "one prefix per evidence kind");

/* Markup written as it is: only for the program's own constant strings. */
static void html_raw(struct html *h, const char *markup)
{
	fputs(markup, h->out);
}

/* len bytes of s, escaped: the only way any text reaches the document. */
static void html_text_n(struct html *h, const char *s, size_t len)
{
	if (h->rc < 0)
		return;
	char *line = strndup(s, len);
	char *e = line != NULL ? escape_html(line) : NULL;
	if (e == NULL)
		h->rc = SA_ERROR_NOMEM;
	else
		fputs(e, h->out);
	free(e);
	free(line);
}

/* s escaped; NULL writes nothing. */
static void html_text(struct html *h, const char *s)
{
	if (s != NULL)
		html_text_n(h, s, strlen(s));
}

/* "<open><escaped s><close>". */
static void html_wrap(struct html *h, const char *open, const char *s, const char *close)
{
	html_raw(h, open);
	html_text(h, s);
	html_raw(h, close);
}

/* Text of several lines, for a <pre>: each line escaped, the newlines kept. */
static void html_lines(struct html *h, const char *text)
{
	for (;;) {
		const char *nl = strchr(text, '\n');
		html_text_n(h, text, nl != NULL ? (size_t)(nl - text) : strlen(text));
		if (nl == NULL)
			return;
		html_raw(h, "\n");
		text = nl + 1;
	}
}

static void html_severity_badge(struct html *h, enum finding_severity sev)
{
	fprintf(h->out, "<span class=\"badge sev-%s\">", html_severity_classes[sev]);
	html_text(h, severity_name(sev));
	html_raw(h, "</span>");
}

/* The badge of a target's or the scan's worst severity; -1 is "none". */
static void html_worst_badge(struct html *h, int worst)
{
	if (worst < 0)
		html_raw(h, "<span class=\"badge sev-none\">none</span>");
	else
		html_severity_badge(h, (enum finding_severity)worst);
}

static void html_outcome(struct html *h, enum outcome o)
{
	fprintf(h->out, "<span class=\"%s\">",
	        o == OUTCOME_COMPLETED ? "outcome-completed" : "outcome-failed");
	html_text(h, outcome_name(o));
	html_raw(h, "</span>");
}

/* "host [address]:port", the name a target goes by everywhere in the report. */
static void html_target_name(struct html *h, const struct target_result *t)
{
	html_text(h, t->host);
	if (t->address != NULL)
		html_wrap(h, " [", t->address, "]");
	fprintf(h->out, ":%u", (unsigned)t->port);
}

/* ---- summary ---- */

static void html_scan_facts(struct html *h, const struct report_options *opt,
                            const struct scan_result *scan)
{
	char started[REPORT_TIME_LEN], finished[REPORT_TIME_LEN];
	report_time_ms(scan->started_ms, false, started);
	report_time_ms(scan->finished_ms, false, finished);
	size_t completed = 0;
	for (size_t i = 0; i < scan->ntargets; i++)
		completed += scan->targets[i]->outcome == OUTCOME_COMPLETED;

	html_wrap(h, "<dl>\n<dt>Scan</dt><dd><code>", scan->scan_id, "</code></dd>\n");
	html_wrap(h, "<dt>Tool</dt><dd>smtp-audit ", opt->tool_version, "</dd>\n");
	html_wrap(h, "<dt>Started</dt><dd>", started, "</dd>\n");
	html_wrap(h, "<dt>Finished</dt><dd>", finished, "");
	if (scan->interrupted)
		html_raw(h, " <strong>(interrupted before every target was scanned)</strong>");
	html_raw(h, "</dd>\n");
	if (scan->ndomains > 0)
		fprintf(h->out, "<dt>Domains</dt><dd>%zu</dd>\n", scan->ndomains);
	fprintf(h->out, "<dt>Targets</dt><dd>%zu scanned, %zu completed, %zu failed</dd>\n</dl>\n",
	        scan->ntargets, completed, scan->ntargets - completed);
}

static void html_severity_table(struct html *h, const struct scan_result *scan)
{
	size_t counts[SEVERITY_COUNT];
	scan_result_count_by_severity(scan, counts);
	int worst = -1;
	html_raw(h, "<table class=\"severities\">\n<tr>");
	for (int sev = SEVERITY_COUNT - 1; sev >= 0; sev--) {
		html_raw(h, "<th>");
		html_severity_badge(h, (enum finding_severity)sev);
		html_raw(h, "</th>");
		if (worst < 0 && counts[sev] > 0)
			worst = sev;
	}
	html_raw(h, "</tr>\n<tr>");
	for (int sev = SEVERITY_COUNT - 1; sev >= 0; sev--)
		fprintf(h->out, "<td class=\"count\">%zu</td>", counts[sev]);
	html_raw(h, "</tr>\n</table>\n<dl>\n<dt>Worst severity</dt><dd>");
	html_worst_badge(h, worst);
	html_raw(h, "</dd>\n");
}

static void html_fail_on(struct html *h, const struct report_options *opt,
                         const struct scan_result *scan)
{
	/* The CLI passes SEVERITY_COUNT for --fail-on never. */
	if (opt->fail_on >= SEVERITY_COUNT) {
		html_raw(h,
		         "<dt>Fail-on</dt><dd>never: findings do not fail the scan</dd>\n</dl>\n");
		return;
	}
	size_t at_least = scan_result_count_at_least(scan, opt->fail_on);
	html_wrap(h, "<dt>Fail-on</dt><dd>", severity_name(opt->fail_on), ": ");
	fprintf(h->out, "%s (findings at or above: %zu)</dd>\n</dl>\n",
	        at_least > 0 ? "met" : "not met", at_least);
}

static void html_target_index(struct html *h, const struct scan_result *scan)
{
	if (scan->ntargets == 0)
		return;
	html_raw(h, "<table class=\"targets\">\n<tr><th>Target</th><th>Outcome</th>"
	            "<th>Findings</th><th>Worst</th></tr>\n");
	for (size_t i = 0; i < scan->ntargets; i++) {
		const struct target_result *t = scan->targets[i];
		fprintf(h->out, "<tr><td><a href=\"#target-%zu\">", i + 1);
		html_target_name(h, t);
		html_raw(h, "</a></td><td>");
		html_outcome(h, t->outcome);
		fprintf(h->out, "</td><td>%zu</td><td>", t->nfindings);
		html_worst_badge(h, target_result_worst(t));
		html_raw(h, "</td></tr>\n");
	}
	html_raw(h, "</table>\n");
}

static void html_summary(struct html *h, const struct report_options *opt,
                         const struct scan_result *scan)
{
	html_raw(h, "<section class=\"summary\">\n<h2>Summary</h2>\n");
	html_scan_facts(h, opt, scan);
	html_severity_table(h, scan);
	html_fail_on(h, opt, scan);
	html_target_index(h, scan);
	html_raw(h, "</section>\n");
}

/* ---- per target ---- */

static void html_cap(struct html *h, const char *text)
{
	html_wrap(h, "<span class=\"cap\">", text, "</span> ");
}

static void html_auth_cap(struct html *h, const struct smtp_caps *caps)
{
	html_raw(h, "<span class=\"cap\">AUTH");
	for (int m = 0; m < SMTP_AUTH_COUNT; m++)
		if (smtp_caps_has_auth(caps, (enum smtp_auth)m))
			html_wrap(h, " ", smtp_auth_name((enum smtp_auth)m), "");
	for (size_t i = 0; i < caps->nauth_unknown; i++)
		html_wrap(h, " ", caps->auth_unknown[i], "");
	if (caps->auth_unknown_dropped > 0)
		fprintf(h->out, " (+%zu not kept)", caps->auth_unknown_dropped);
	html_raw(h, "</span> ");
}

static void html_caps(struct html *h, const char *when, const struct smtp_caps *caps)
{
	html_wrap(h, "<dt>Capabilities ", when, "</dt><dd>");
	if (caps->server_name != NULL)
		html_wrap(h, "<span class=\"muted\">", caps->server_name, "</span> ");
	bool any = false;
	for (int e = 0; e < SMTP_EXT_COUNT; e++) {
		if (!smtp_caps_has(caps, (enum smtp_ext)e))
			continue;
		any = true;
		if (e == SMTP_EXT_AUTH)
			html_auth_cap(h, caps);
		else if (e == SMTP_EXT_SIZE && caps->size_limit > 0)
			fprintf(h->out, "<span class=\"cap\">SIZE %" PRIu64 "</span> ",
			        caps->size_limit);
		else
			html_cap(h, smtp_ext_name((enum smtp_ext)e));
	}
	for (size_t i = 0; i < caps->nunknown; i++) {
		any = true;
		html_cap(h, caps->unknown[i]);
	}
	if (!any)
		html_raw(h, "(none)");
	if (caps->unknown_dropped > 0)
		fprintf(h->out, " (+%zu unknown not kept)", caps->unknown_dropped);
	html_raw(h, "</dd>\n");
}

static void html_trust(struct html *h, const struct tls_facts *tls)
{
	html_raw(h, "<dt>Trust</dt><dd>");
	if (tls->trusted)
		html_raw(h, "trusted");
	else if (tls->verify_detail == NULL)
		html_raw(h, "<strong>not trusted</strong>");
	else
		html_wrap(h, "<strong>not trusted</strong> (", tls->verify_detail, ")");
	if (!tls->name_checked)
		html_raw(h, "; name not checked");
	else if (tls->name_matches)
		html_raw(h, "; name matches");
	else
		html_raw(h, "; <strong>name does not match</strong>");
	html_raw(h, "</dd>\n");
}

static void html_certificate(struct html *h, const struct tls_facts *tls)
{
	char from[REPORT_TIME_LEN], until[REPORT_TIME_LEN];
	report_time_seconds(tls->not_before, from);
	report_time_seconds(tls->not_after, until);
	html_wrap(h, "<dt>Certificate</dt><dd>", tls->subject, "</dd>\n");
	if (tls->nsans > 0) {
		html_raw(h, "<dt>Names</dt><dd>");
		for (size_t i = 0; i < tls->nsans; i++)
			html_cap(h, tls->sans[i]);
		html_raw(h, "</dd>\n");
	}
	html_wrap(h, "<dt>Issuer</dt><dd>", tls->issuer, "</dd>\n");
	html_wrap(h, "<dt>Key</dt><dd>", tls->key_type, "");
	if (tls->key_bits > 0)
		fprintf(h->out, " %u bits", tls->key_bits);
	html_wrap(h, "; signature ", tls->signature, "</dd>\n");
	html_wrap(h, "<dt>Valid</dt><dd>", from, " to ");
	html_wrap(h, "", until, "</dd>\n");
	html_wrap(h, "<dt>SHA-256</dt><dd><code>", tls->fingerprint, "</code>");
	fprintf(h->out, " (chain of %u)</dd>\n", tls->chain_length);
	html_trust(h, tls);
}

static void html_tls(struct html *h, const struct tls_facts *tls)
{
	html_wrap(h, "<dt>TLS</dt><dd>", tls->version, ", ");
	html_wrap(h, "", tls->ciphersuite, "</dd>\n");
	html_certificate(h, tls);
}

/* Domain mode: the domains the target is an MX host of. */
static void html_mx_of(struct html *h, const struct target_result *t)
{
	if (t->ndomains == 0)
		return;
	html_raw(h, "<dt>MX of</dt><dd>");
	for (size_t i = 0; i < t->ndomains; i++)
		html_wrap(h, i == 0 ? "" : ", ", t->domains[i], "");
	html_raw(h, "</dd>\n");
}

static void html_host_facts(struct html *h, const struct target_result *t)
{
	html_raw(h, "<dl>\n");
	html_mx_of(h, t);
	html_raw(h, "<dt>Outcome</dt><dd>");
	html_outcome(h, t->outcome);
	if (t->outcome != OUTCOME_COMPLETED) {
		if (t->reason != NULL)
			html_wrap(h, " &#8211; ", t->reason, "");
		html_raw(h, "; all probes inconclusive");
	} else if (!t->esmtp && t->banner != NULL) {
		html_raw(h, "; EHLO refused, HELO used");
	}
	html_raw(h, "</dd>\n");
	if (t->outcome == OUTCOME_COMPLETED || t->mta.mta != MTA_UNKNOWN) {
		html_wrap(h, "<dt>Software</dt><dd>", mta_name(t->mta.mta), "");
		if (t->mta.version[0] != '\0')
			html_wrap(h, " ", t->mta.version, "");
		html_raw(h, "</dd>\n");
	}
	if (t->banner != NULL) {
		fprintf(h->out, "<dt>Banner</dt><dd><pre>%d ", t->banner_code);
		html_lines(h, t->banner);
		html_raw(h, "</pre></dd>\n");
	}
	if (t->have_caps_plain)
		html_caps(h, "before TLS", &t->caps_plain);
	if (t->have_caps_tls)
		html_caps(h, "after TLS", &t->caps_tls);
	if (t->have_tls)
		html_tls(h, &t->tls);
	html_raw(h, "</dl>\n");
}

static void html_probe(struct html *h, const struct probe_record *p)
{
	html_wrap(h, "<tr><td><code>", p->probe, "</code></td>");
	if (p->outcome != OUTCOME_COMPLETED) {
		html_wrap(h, "<td class=\"verdict-inconclusive\">",
		          verdict_name(VERDICT_INCONCLUSIVE), "</td><td>");
		html_text(h, outcome_name(p->outcome));
		html_wrap(h, p->reason != NULL ? ": " : "", p->reason, "</td></tr>\n");
		return;
	}
	fprintf(h->out, "<td class=\"verdict-%s\">", verdict_name(p->verdict));
	html_text(h, verdict_name(p->verdict));
	html_wrap(h, "</td><td>", p->verdict_reason, "</td></tr>\n");
}

static void html_probes(struct html *h, const struct target_result *t)
{
	if (t->outcome != OUTCOME_COMPLETED || t->nprobes == 0)
		return;
	html_raw(h, "<h4>Probes</h4>\n<table class=\"probes\">\n"
	            "<tr><th>Probe</th><th>Verdict</th><th>Why</th></tr>\n");
	for (size_t i = 0; i < t->nprobes; i++)
		html_probe(h, &t->probes[i]);
	html_raw(h, "</table>\n");
}

static void html_evidence(struct html *h, const struct finding *f)
{
	if (f->nevidence == 0 && f->evidence_dropped == 0)
		return;
	fprintf(h->out, "<details><summary>Evidence (%zu lines)</summary><pre class=\"evidence\">",
	        f->nevidence);
	for (size_t i = 0; i < f->nevidence; i++) {
		const struct evidence *ev = &f->evidence[i];
		assert(ev->kind <= EVIDENCE_NOTE);
		fprintf(h->out, "<span class=\"%s\">%s", html_evidence_kinds[ev->kind].css,
		        html_evidence_kinds[ev->kind].prefix);
		html_text(h, ev->text);
		html_raw(h, "</span>\n");
	}
	if (f->evidence_dropped > 0)
		fprintf(h->out,
		        "<span class=\"ev-note\">(%zu more evidence lines not kept)</span>\n",
		        f->evidence_dropped);
	html_raw(h, "</pre></details>\n");
}

/* mta: the software recognised on the target (MTA_UNKNOWN for a domain's finding). */
static void html_finding(struct html *h, enum mta mta, const struct finding *f)
{
	const struct catalog_entry *entry = catalog_get(f->id);
	html_raw(h, "<div class=\"finding\">\n<h5>");
	html_severity_badge(h, entry->severity);
	html_wrap(h, " <code>", entry->public_id, "</code> ");
	html_text(h, entry->title);
	if (f->variant != NULL)
		html_wrap(h, " <span class=\"muted\">(", f->variant, ")</span>");
	html_raw(h, "</h5>\n");
	if (f->detail != NULL)
		html_wrap(h, "<p>", f->detail, "</p>\n");
	html_raw(h, "<p class=\"muted\">Remediation");
	if (mta != MTA_UNKNOWN && entry->advice[mta] != NULL)
		html_wrap(h, " for ", mta_name(mta), "");
	html_raw(h, " (click to select):</p>\n<pre class=\"fix\">");
	html_lines(h, catalog_advice(f->id, mta));
	html_raw(h, "</pre>\n");
	if (entry->references != NULL && entry->references[0] != '\0')
		html_wrap(h, "<p class=\"muted\">References: ", entry->references, "</p>\n");
	html_evidence(h, f);
	html_raw(h, "</div>\n");
}

static void html_findings(struct html *h, const struct target_result *t)
{
	if (t->nfindings == 0) {
		if (t->outcome == OUTCOME_COMPLETED)
			html_raw(h, "<h4>Findings</h4>\n<p>None.</p>\n");
		return;
	}
	fprintf(h->out, "<h4>Findings (%zu)</h4>\n", t->nfindings);
	for (size_t i = 0; i < t->nfindings; i++)
		html_finding(h, t->mta.mta, &t->findings[i]);
}

static void html_target(struct html *h, const struct target_result *t, size_t index)
{
	fprintf(h->out, "<article class=\"host\" id=\"target-%zu\">\n<h3>", index);
	html_worst_badge(h, target_result_worst(t));
	html_raw(h, " ");
	html_target_name(h, t);
	if (t->implicit_tls)
		html_raw(h, " <span class=\"muted\">(implicit TLS)</span>");
	html_raw(h, "</h3>\n");
	html_host_facts(h, t);
	html_probes(h, t);
	html_findings(h, t);
	html_raw(h, "</article>\n");
}

/* ---- per domain ---- */

static void html_domain_mx(struct html *h, const struct domain_mx *mx)
{
	fprintf(h->out, "%u ", mx->preference);
	html_text(h, mx->host);
	if (mx->error != NULL)
		html_wrap(h, " <strong>did not resolve</strong> (", mx->error, ")");
	else if (mx->naddresses == 0)
		html_raw(h, " <span class=\"muted\">(no address)</span>");
	for (size_t i = 0; i < mx->naddresses; i++)
		html_wrap(h, i == 0 ? ": " : ", ", mx->addresses[i], "");
	html_raw(h, "<br>\n");
}

static void html_domain_facts(struct html *h, const struct domain_result *d)
{
	html_wrap(h, "<dl>\n<dt>Route</dt><dd>", domain_route_name(d->route), "");
	if (d->error != NULL)
		html_wrap(h, " &#8211; ", d->error, "");
	html_raw(h, "</dd>\n<dt>DNSSEC</dt><dd>");
	html_raw(h, d->dnssec ? "yes" : "no");
	html_raw(h, "</dd>\n");
	if (d->nmx > 0) {
		html_raw(h, "<dt>MX</dt><dd>");
		for (size_t i = 0; i < d->nmx; i++)
			html_domain_mx(h, &d->mx[i]);
		html_raw(h, "</dd>\n");
	}
	if (d->mta_sts_id != NULL)
		html_wrap(h, "<dt>MTA-STS id</dt><dd><code>", d->mta_sts_id, "</code></dd>\n");
	html_raw(h, "</dl>\n");
}

static void html_domain_records(struct html *h, const struct domain_result *d)
{
	if (d->nrecords == 0)
		return;
	fprintf(h->out, "<details><summary>DNS records (%zu)</summary><pre class=\"records\">",
	        d->nrecords);
	for (size_t i = 0; i < d->nrecords; i++) {
		html_text(h, d->records[i].type);
		html_wrap(h, " ", d->records[i].name, ": ");
		html_text(h, d->records[i].text);
		html_raw(h, "\n");
	}
	html_raw(h, "</pre></details>\n");
}

static void html_domain_findings(struct html *h, const struct domain_result *d)
{
	if (d->findings.n == 0) {
		html_raw(h, "<h4>Findings</h4>\n<p>None.</p>\n");
		return;
	}
	fprintf(h->out, "<h4>Findings (%zu)</h4>\n", d->findings.n);
	for (size_t i = 0; i < d->findings.n; i++)
		html_finding(h, MTA_UNKNOWN, &d->findings.items[i]);
	if (d->findings.dropped > 0)
		fprintf(h->out, "<p class=\"muted\">(%zu more findings not kept)</p>\n",
		        d->findings.dropped);
}

static void html_domain(struct html *h, const struct domain_result *d, size_t index)
{
	fprintf(h->out, "<article class=\"domain\" id=\"domain-%zu\">\n<h3>", index);
	html_worst_badge(h, domain_result_worst(d));
	html_wrap(h, " Domain ", d->domain, "</h3>\n");
	html_domain_facts(h, d);
	html_domain_records(h, d);
	html_domain_findings(h, d);
	html_raw(h, "</article>\n");
}

static int html_end(const struct report_options *opt, const struct scan_result *scan)
{
	struct html h = {.out = opt->out};
	html_raw(&h, html_head);
	html_wrap(&h, "<title>smtp-audit report ", scan->scan_id, "</title>\n");
	html_raw(&h, html_style);
	html_raw(&h, "<body>\n<header>\n<h1>smtp-audit report</h1>\n");
	html_wrap(&h, "<p>scan ", scan->scan_id, "</p>\n</header>\n<main>\n");
	html_summary(&h, opt, scan);
	for (size_t i = 0; i < scan->ndomains; i++)
		html_domain(&h, scan->domains[i], i + 1);
	for (size_t i = 0; i < scan->ntargets; i++)
		html_target(&h, scan->targets[i], i + 1);
	html_raw(&h, "</main>\n</body>\n</html>\n");
	if (h.rc < 0)
		return h.rc;
	return ferror(opt->out) ? SA_ERROR_IO : 0;
}

const struct report_writer report_html = {
    .name = "html",
    .description = "self-contained HTML report for people (inline CSS, no scripts)",
    .end = html_end,
};
