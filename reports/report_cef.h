/*
 * NAME
 *	report_cef - findings as ArcSight CEF events (-o cef, --syslog)
 *
 * DESCRIPTION
 *	One CEF:0 line per finding:
 *
 *	CEF:0|smtp-audit|smtp-audit|VERSION|PUBLIC_ID|TITLE|SEVERITY|EXTENSIONS
 *
 *	SEVERITY maps the catalogue's severity to CEF's 0..10 scale so that
 *	it falls in the band ArcSight gives that name: info 1, low 3,
 *	medium 5, high 8, critical 10.
 *
 *	EXTENSIONS, in this order (absent ones left out):
 *	rt	when the target finished, Unix milliseconds
 *	dhost	the target as the user named it
 *	dst	its IPv4 address, or c6a3 with c6a3Label=Destination IPv6 Address
 *	dpt	the port
 *	app	SMTP, or SMTPS for implicit TLS
 *	cs1	the finding's variant (cs1Label=variant)
 *	cs2	the fingerprint (cs2Label=fingerprint, result_fingerprint())
 *	cs3	the remediation for the detected software (cs3Label=remediation)
 *	cs4	the scan id (cs4Label=scanId)
 *	msg	the one-line detail
 *
 *	A domain's finding (domain mode) has rt (when the domain's checks
 *	finished) and dhost (the domain) but no dst, dpt or app, and the
 *	domain fingerprint (result_domain_fingerprint()) in cs2; -o cef
 *	writes the domains' events before the targets'.
 *
 *	Escaping follows the CEF standard: in the header a backslash and a
 *	pipe are escaped with a backslash; in extension values a backslash
 *	and an equals sign are, and CR and LF are written as \r and \n.
 *	Every byte outside printable ASCII that is left is written as the
 *	four characters "\xNN" (their backslash escaped in turn), so a line
 *	is pure printable ASCII. Text a server or user supplied (host,
 *	variant, detail) goes through escape_visible() first, so a CR/LF
 *	from a server can never turn into a CEF line break.
 *
 *	The writer prints its lines in end(), from the sorted scan, so a file
 *	is deterministic and every event carries the scan id.
 */
#ifndef REPORT_CEF_H
#define REPORT_CEF_H

#include <stdio.h>

#include "result.h"

/* A finding of a target, or (domain mode) of a domain: exactly one of them is set. */
struct report_cef_event {
	const char *tool_version;
	const char *scan_id;
	const struct target_result *target;
	const struct domain_result *domain;
	const struct finding *finding;
};

/* The CEF severity (0..10) for a catalogue severity. */
int report_cef_severity(enum finding_severity sev);

/* Writes s as one escaped CEF header field. */
void report_cef_put_header(FILE *out, const char *s);

/* Writes s as one escaped CEF extension value. */
void report_cef_put_value(FILE *out, const char *s);

/*
 * Writes one event line without the trailing newline. Returns 0,
 * SA_ERROR_NOMEM, or SA_ERROR_IO when the stream failed.
 */
int report_cef_write(FILE *out, const struct report_cef_event *ev);

#endif
