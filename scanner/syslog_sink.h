/*
 * NAME
 *	syslog_sink - send findings to a syslog collector as they are found (--syslog)
 *
 * SUMMARY
 *	struct syslog_dest dest;
 *	syslog_dest_parse(&dest, "tcp://127.0.0.1:6514", err, sizeof(err));
 *	struct syslog_sink *sink = syslog_sink_open(&dest, scan_id, stderr);
 *	syslog_sink_send_domain(sink, d);   domain mode: each domain, before the targets
 *	syslog_sink_send(sink, target);     each time a target finishes
 *	syslog_sink_close(sink);            at the end of the scan
 *
 * DESCRIPTION
 *	Each finding becomes one RFC 5424 message:
 *
 *	<PRI>1 TIMESTAMP HOSTNAME smtp-audit PROCID MSGID - CEF-LINE
 *
 *	PRI	facility local0 (16) and a severity from the finding's:
 *		critical 2 (crit), high 3 (err), medium 4 (warning),
 *		low 5 (notice), info 6 (informational).
 *	TIMESTAMP	when the target (or domain) finished, UTC with milliseconds.
 *	HOSTNAME	this machine's name (gethostname), "-" if it has none.
 *	PROCID	the scanner's pid; MSGID the finding's public id.
 *	STRUCTURED-DATA	"-": the scan id is in the CEF line (cs4).
 *	MSG	the finding's CEF line (report_cef.h), pure printable ASCII.
 *
 *	Transports: udp://HOST:PORT (one datagram per message),
 *	tcp://HOST:PORT (octet-counted framing, RFC 6587 section 3.4.1) and
 *	unix:PATH (a datagram socket such as /dev/log). HOST is a name, an
 *	IPv4 address or a bracketed IPv6 address; a name is resolved once,
 *	when the sink opens, before the scan starts.
 *
 *	Sending never stalls the scan: every socket is non-blocking. A
 *	datagram that the socket cannot take at once is dropped; TCP frames
 *	wait in a queue of at most SYSLOG_SINK_MAX_QUEUE bytes (a frame that
 *	does not fit is dropped) that drains whenever a target finishes, and
 *	syslog_sink_close() waits at most SYSLOG_SINK_CLOSE_TIMEOUT_MS for
 *	the rest. The connection is not re-established once it failed.
 *
 * DIAGNOSTICS
 *	syslog_dest_parse() returns SA_ERROR_INVAL with a message such as
 *	"'udp://mx:0': port 0 out of range (1-65535)" for a URL it rejects.
 *	Delivery problems are never fatal: the first one is printed on the
 *	error stream ("smtp-audit: --syslog tcp://...: connect: Connection
 *	refused"), and close prints how many findings were not delivered.
 */
#ifndef SYSLOG_SINK_H
#define SYSLOG_SINK_H

#include <stddef.h>
#include <stdio.h>

#include "result.h"

#define SYSLOG_SINK_MAX_QUEUE        (1024 * 1024)
#define SYSLOG_SINK_CLOSE_TIMEOUT_MS 2000
#define SYSLOG_SINK_FACILITY         16 /* local0 */
#define SYSLOG_SINK_APP_NAME         "smtp-audit"

enum syslog_transport {
	SYSLOG_TRANSPORT_NONE, /* no --syslog */
	SYSLOG_TRANSPORT_UDP,
	SYSLOG_TRANSPORT_TCP,
	SYSLOG_TRANSPORT_UNIX,
};

struct syslog_dest {
	enum syslog_transport transport;
	char host[256]; /* brackets of an IPv6 address removed */
	char port[6];
	char path[108]; /* unix:PATH, fits sockaddr_un */
	char url[400];  /* as given, for messages */
};

/* What the messages say about their origin. */
struct syslog_origin {
	char hostname[256]; /* RFC 5424 HOSTNAME: 1 to 255 printable ASCII, or "-" */
	long pid;
	const char *scan_id;
	const char *tool_version;
};

struct syslog_sink;

/* Fills dest from url; SA_ERROR_INVAL with the reason in err when it is not a valid URL. */
int syslog_dest_parse(struct syslog_dest *dest, const char *url, char *err, size_t errlen);

/* The RFC 5424 PRI value of a finding of that severity. */
int syslog_sink_priority(enum finding_severity sev);

/*
 * One message (no framing) for finding f of target t, malloc'ed into
 * *msg with its length in *len. Returns 0, SA_ERROR_NOMEM or SA_ERROR_IO.
 */
int syslog_sink_format(const struct syslog_origin *origin, const struct target_result *t,
                       const struct finding *f, char **msg, size_t *len);

/* The same for finding f of domain d (domain mode): the CEF line of report_cef.h for a domain. */
int syslog_sink_format_domain(const struct syslog_origin *origin, const struct domain_result *d,
                              const struct finding *f, char **msg, size_t *len);

/*
 * A sink for dest, or NULL when dest->transport is NONE or memory ran
 * out. A destination that cannot be reached still gives a sink: it
 * reports the problem once on err and counts what it could not send.
 */
struct syslog_sink *syslog_sink_open(const struct syslog_dest *dest, const char *scan_id,
                                     FILE *err);

/* Sends every finding of t; never blocks. sink may be NULL. */
void syslog_sink_send(struct syslog_sink *sink, const struct target_result *t);

/* Sends every finding of domain d, like a target's (domain mode); sink may be NULL. */
void syslog_sink_send_domain(struct syslog_sink *sink, const struct domain_result *d);

/* Drains the TCP queue (bounded), reports undelivered findings, frees. sink may be NULL. */
void syslog_sink_close(struct syslog_sink *sink);

#endif
