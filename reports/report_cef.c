/*
 * NAME
 *	report_cef - findings as ArcSight CEF events (-o cef)
 *
 * DESCRIPTION
 *	See report_cef.h for the line format, the severity mapping and the
 *	escaping rules. The same event formatter feeds the syslog sink
 *	(scanner/syslog_sink.c), so a SIEM sees identical events from a file
 *	and from syslog.
 *
 * DIAGNOSTICS
 *	report_cef_write() and the writer's end() return SA_ERROR_NOMEM when
 *	escaping runs out of memory and SA_ERROR_IO when the stream failed.
 */
#include "report_cef.h"

#include <arpa/inet.h>
#include <assert.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdlib.h>

#include "escape.h"
#include "report.h"
#include "sa_error.h"

extern const struct report_writer report_cef;

#define CEF_VENDOR  "smtp-audit"
#define CEF_PRODUCT "smtp-audit"

static const int cef_severity_map[SEVERITY_COUNT] = {
    [SEVERITY_INFO] = 1, [SEVERITY_LOW] = 3,       [SEVERITY_MEDIUM] = 5,
    [SEVERITY_HIGH] = 8, [SEVERITY_CRITICAL] = 10,
};
_Static_assert(sizeof(cef_severity_map) / sizeof(cef_severity_map[0]) == SEVERITY_COUNT,
               "one CEF severity per catalogue severity");

int report_cef_severity(enum finding_severity sev)
{
	assert(sev >= 0 && sev < SEVERITY_COUNT);
	return cef_severity_map[sev];
}

static bool cef_printable(unsigned char c)
{
	return c >= 0x20 && c <= 0x7e;
}

/* A byte outside printable ASCII as the text "\xNN", whose backslash CEF escapes. */
static void cef_put_hex(FILE *out, unsigned char c)
{
	fprintf(out, "\\\\x%02x", c);
}

void report_cef_put_header(FILE *out, const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++) {
		if (*p == '\\' || *p == '|') {
			fputc('\\', out);
			fputc(*p, out);
		} else if (cef_printable(*p)) {
			fputc(*p, out);
		} else {
			cef_put_hex(out, *p);
		}
	}
}

void report_cef_put_value(FILE *out, const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++) {
		if (*p == '\\' || *p == '=') {
			fputc('\\', out);
			fputc(*p, out);
		} else if (*p == '\n') {
			fputs("\\n", out);
		} else if (*p == '\r') {
			fputs("\\r", out);
		} else if (cef_printable(*p)) {
			fputc(*p, out);
		} else {
			cef_put_hex(out, *p);
		}
	}
}

/* " key=value" for the program's own text. */
static void cef_put_own(FILE *out, const char *key, const char *value)
{
	fprintf(out, " %s=", key);
	report_cef_put_value(out, value);
}

/* " key=value" for text a server or user supplied; SA_ERROR_NOMEM when escaping fails. */
static int cef_put_foreign(FILE *out, const char *key, const char *value)
{
	char *visible = escape_visible_str(value);
	if (visible == NULL)
		return SA_ERROR_NOMEM;
	cef_put_own(out, key, visible);
	free(visible);
	return 0;
}

/* A labelled custom string of the program's own text: " csN=value csNLabel=label". */
static void cef_put_custom(FILE *out, int n, const char *label, const char *value)
{
	fprintf(out, " cs%d=", n);
	report_cef_put_value(out, value);
	fprintf(out, " cs%dLabel=%s", n, label);
}

static int cef_put_variant(FILE *out, const char *variant)
{
	if (variant == NULL)
		return 0;
	char *visible = escape_visible_str(variant);
	if (visible == NULL)
		return SA_ERROR_NOMEM;
	cef_put_custom(out, 1, "variant", visible);
	free(visible);
	return 0;
}

static int cef_put_address(FILE *out, const char *address)
{
	struct in_addr v4;
	if (address == NULL)
		return 0;
	if (inet_pton(AF_INET, address, &v4) == 1)
		return cef_put_foreign(out, "dst", address);
	int rc = cef_put_foreign(out, "c6a3", address);
	fputs(" c6a3Label=Destination IPv6 Address", out);
	return rc;
}

static void cef_put_header_fields(FILE *out, const struct report_cef_event *ev)
{
	const struct catalog_entry *entry = catalog_get(ev->finding->id);
	fputs("CEF:0|", out);
	report_cef_put_header(out, CEF_VENDOR);
	fputc('|', out);
	report_cef_put_header(out, CEF_PRODUCT);
	fputc('|', out);
	report_cef_put_header(out, ev->tool_version);
	fputc('|', out);
	report_cef_put_header(out, entry->public_id);
	fputc('|', out);
	report_cef_put_header(out, entry->title);
	fprintf(out, "|%d|", report_cef_severity(entry->severity));
}

/* rt, dhost and for a target dst/c6a3, dpt and app; false when escaping ran out of memory. */
static bool cef_put_origin(FILE *out, const struct report_cef_event *ev)
{
	const struct target_result *t = ev->target;
	if (t == NULL) {
		fprintf(out, "rt=%" PRId64, ev->domain->finished_ms);
		return cef_put_foreign(out, "dhost", ev->domain->domain) == 0;
	}
	fprintf(out, "rt=%" PRId64, t->finished_ms);
	bool ok = cef_put_foreign(out, "dhost", t->host) == 0;
	ok &= cef_put_address(out, t->address) == 0;
	fprintf(out, " dpt=%u app=%s", (unsigned)t->port, t->implicit_tls ? "SMTPS" : "SMTP");
	return ok;
}

int report_cef_write(FILE *out, const struct report_cef_event *ev)
{
	assert((ev->target == NULL) != (ev->domain == NULL));
	const struct finding *f = ev->finding;
	char fingerprint[33];
	int rc = ev->target != NULL
	             ? result_fingerprint(ev->target, f, fingerprint, sizeof(fingerprint))
	             : result_domain_fingerprint(ev->domain, f, fingerprint, sizeof(fingerprint));
	if (rc != 0)
		return rc;
	enum mta mta = ev->target != NULL ? ev->target->mta.mta : MTA_UNKNOWN;

	/* Escaping fails only for memory; the line is finished anyway and the caller told. */
	bool nomem = false;
	cef_put_header_fields(out, ev);
	nomem |= !cef_put_origin(out, ev);
	nomem |= cef_put_variant(out, f->variant) != 0;
	cef_put_custom(out, 2, "fingerprint", fingerprint);
	cef_put_custom(out, 3, "remediation", catalog_advice(f->id, mta));
	cef_put_custom(out, 4, "scanId", ev->scan_id);
	if (f->detail != NULL)
		nomem |= cef_put_foreign(out, "msg", f->detail) != 0;
	if (nomem)
		return SA_ERROR_NOMEM;
	return ferror(out) ? SA_ERROR_IO : 0;
}

/* One line for ev; 0 or the first error. */
static int cef_line(FILE *out, const struct report_cef_event *ev)
{
	int rc = report_cef_write(out, ev);
	fputc('\n', out);
	return rc;
}

static int cef_end(const struct report_options *opt, const struct scan_result *scan)
{
	struct report_cef_event ev = {.tool_version = opt->tool_version, .scan_id = scan->scan_id};
	int rc = 0;
	for (size_t i = 0; rc == 0 && i < scan->ndomains; i++) {
		ev.domain = scan->domains[i];
		for (size_t j = 0; rc == 0 && j < ev.domain->findings.n; j++) {
			ev.finding = &ev.domain->findings.items[j];
			rc = cef_line(opt->out, &ev);
		}
	}
	ev.domain = NULL;
	for (size_t i = 0; rc == 0 && i < scan->ntargets; i++) {
		ev.target = scan->targets[i];
		for (size_t j = 0; rc == 0 && j < ev.target->nfindings; j++) {
			ev.finding = &ev.target->findings[j];
			rc = cef_line(opt->out, &ev);
		}
	}
	if (rc != 0)
		return rc;
	return ferror(opt->out) ? SA_ERROR_IO : 0;
}

const struct report_writer report_cef = {
    .name = "cef",
    .description = "ArcSight CEF, one event line per finding (for SIEMs)",
    .end = cef_end,
};
