/*
 * NAME
 *	resume - the state file of --resume: what an earlier run completed
 *
 * DESCRIPTION
 *	The state file is JSON lines, appended and flushed one line per
 *	finished target, so a scan killed even with SIGKILL leaves every
 *	finished target on disk; at most its last line is cut short, and a
 *	last line without its newline is ignored (and cut off before
 *	anything is appended).
 *
 *	  {"type":"smtp-audit-state","version":1,"scan_id":ID,"started":TIME,
 *	   "work":{"targets":SHA256,"ports":"25,465,587","tls_ports":"465",
 *	           "submission_ports":"587","probes":"inventory,...",
 *	           "all_addresses":false,"shard":"0/1"}}
 *	  {"type":"target","run":1,"target":{... as -o json ...}}
 *	  {"type":"interrupted","run":1,"host":"mx.example.org","port":25}
 *
 *	"work" is what defines the set of targets: the SHA-256 of the
 *	sorted target specifications and exclusions, the port lists, the
 *	probe set, --all-addresses and --shard. A state whose work differs
 *	from this run's is refused, so results of two different scans are
 *	never mixed.
 *
 *	The unit of work is a target as the scheduler is fed: a host name
 *	or an address (after CIDR expansion) with one port. Each line says
 *	which run wrote it; a target is done when the latest run that wrote
 *	about it wrote a result and no "interrupted" line (an address of it,
 *	or one of its probes, cut by SIGINT/SIGTERM). A target that failed
 *	on its own (refused, timeout, unresolvable) is done: it had its full
 *	attempt with retries, and scanning it again would only repeat that;
 *	use a new state file to retry failures. A target that is not done is scanned again whole,
 *	and its earlier lines are discarded. After SIGKILL a name with
 *	several addresses is done as soon as one address was written.
 *
 *	The resumed run keeps the state's scan id and start time, and its
 *	report holds the earlier targets as well, as if it were one scan.
 *
 * DIAGNOSTICS
 *	resume_open() and resume_load() return SA_ERROR_IO (cannot read,
 *	write or lock: "in use by another scan"), SA_ERROR_PARSE ("LINE: not
 *	JSON", a wrong member, a header that is not a state's), SA_ERROR_INVAL
 *	(the state is of another scan; err names what differs) or
 *	SA_ERROR_NOMEM, with one line in err.
 */
#ifndef RESUME_H
#define RESUME_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "result.h"
#include "scan_options.h"

#define RESUME_STATE_VERSION 1

struct resume_item;

struct resume {
	FILE *fp; /* the state, open for appending; NULL when only loaded */
	char scan_id[37];
	int64_t started_ms;
	unsigned run;              /* this run's number: 1 + the last one in the state */
	struct resume_item *items; /* uthash by "host|port" */
};

/* The "work" object of the header for these options (a new reference), or NULL. */
json_t *resume_work(const struct scan_options *opt);

/*
 * Opens path: a new or empty file gets a header with scan_id and
 * started_ms; an existing state is checked against work and loaded (its
 * scan id and start time are then r's).
 */
int resume_open(struct resume *r, const char *path, const json_t *work, const char *scan_id,
                int64_t started_ms, char *err, size_t errlen);

/*
 * Loads a state from in (name is used in messages) without opening it
 * for writing. *used is the length of its whole lines, 0 for an empty
 * state (no whole header line).
 */
int resume_load(struct resume *r, FILE *in, const char *name, const json_t *work, size_t *used,
                char *err, size_t errlen);

/* True when the target (host as the scheduler is fed, one port) is done. */
bool resume_done(const struct resume *r, const char *host, uint16_t port);

/* Number of targets (host and port) that are done. */
size_t resume_count_done(const struct resume *r);

/* Appends and flushes t's line; 0 or SA_ERROR_IO / SA_ERROR_NOMEM. */
int resume_record(struct resume *r, const struct target_result *t);

/*
 * Moves the results of the done targets into scan (each once; later
 * calls move nothing). 0 or SA_ERROR_NOMEM.
 */
int resume_take_results(struct resume *r, struct scan_result *scan);

void resume_close(struct resume *r);

#endif
