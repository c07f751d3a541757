/*
 * NAME
 *	scan_options - everything the command line decides about a scan
 *
 * DESCRIPTION
 *	Filled by cli_parse(), read by the engine. Probes never see this
 *	struct: they get the narrow struct probe_settings inside it, and
 *	report writers get struct report_options.
 */
#ifndef SCAN_OPTIONS_H
#define SCAN_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "catalog.h"
#include "domain_list.h"
#include "probe.h"
#include "report.h"
#include "syslog_sink.h"
#include "feed_filter.h"
#include "target_list.h"
#include "user_list.h"

#define SCAN_MAX_PORTS 64
#define SCAN_MAX_PROBES 32

enum scan_color {
	SCAN_COLOR_AUTO,
	SCAN_COLOR_ALWAYS,
	SCAN_COLOR_NEVER,
};

struct scan_timeouts {
	uint64_t connect_ms;
	uint64_t greeting_ms;
	uint64_t reply_ms;
	uint64_t tls_ms;
	uint64_t target_ms;
};

struct scan_options {
	/* What to scan. */
	struct target_list targets;
	uint16_t ports[SCAN_MAX_PORTS];
	size_t nports;
	uint16_t tls_ports[SCAN_MAX_PORTS]; /* implicit TLS (465) */
	size_t ntls_ports;
	uint16_t submission_ports[SCAN_MAX_PORTS]; /* message submission (587) */
	size_t nsubmission_ports;
	uint64_t max_targets;
	bool all_addresses;
	struct shard shard;        /* --shard I/N; count 0 without */
	const char *resume_path;   /* --resume STATE */
	struct feed_filter *feed;  /* set by partial_scan.c for --shard/--resume; NULL: all */
	struct domain_list domains; /* --domain, --domains: their MX hosts join the targets */
	const char *resolver;      /* --resolver: DNS servers instead of resolv.conf; NULL */
	uint16_t mta_sts_port;     /* --mta-sts-port: the policy server's port (443) */
	uint16_t mx_port;          /* --mx-port: where MX hosts are scanned (25) */

	/* How hard to push. */
	unsigned concurrency;
	unsigned per_host;
	double rate;       /* new connections per second overall; 0 = unlimited */
	double host_rate;  /* new connections per second per host; 0 = unlimited */
	unsigned retries;
	uint64_t retry_delay_ms;
	struct scan_timeouts timeouts;

	/* What to do on each service. */
	const char *ca_file;
	bool tls_resumption;      /* later handshakes to a target resume its first (default) */
	struct user_list users;   /* --users; probe_settings points into it */
	char *auth_password;      /* --auth-password-file (credential.h); probe_settings points to it */
	const struct probe *probes[SCAN_MAX_PROBES];
	size_t nprobes;
	struct probe_settings probe_settings;
	char helo_name[256];

	/* What to say. */
	const struct report_writer *writer;
	const char *out_path;
	struct syslog_dest syslog; /* --syslog; transport NONE without */
	enum finding_severity fail_on;
	const char *baseline_path; /* --baseline: earlier JSON report to compare with */
	bool fail_on_new;          /* --fail-on-new: only new findings count for fail_on */
	enum scan_color color;
	bool quiet;
	bool verbose;
};

/* Every default; the HELO name is this machine's FQDN, else "smtp-audit.invalid". */
void scan_options_init(struct scan_options *opt);

/* True when port is in the implicit-TLS list. */
bool scan_options_implicit_tls(const struct scan_options *opt, uint16_t port);

/* True when port is in the submission list. */
bool scan_options_submission(const struct scan_options *opt, uint16_t port);

void scan_options_free(struct scan_options *opt);

#endif
