/*
 * NAME
 *	scheduler - who gets connected when: targets, hosts, probe runs
 *
 * DESCRIPTION
 *	Internal to the engine (scan.c, session.c, probe_ctx.c).
 *
 *	Targets are pulled lazily from the target list, a bounded number at a
 *	time, so a 100,000-target scan never holds 100,000 resolved jobs.
 *	A name is resolved (dns.c); each address and port becomes a target
 *	job holding one probe run per selected probe. A probe run is what a
 *	probe sees as its struct probe_ctx: it survives reconnects, and may
 *	hold several sessions at once (probe_open_session); each session it
 *	wants waits in its host's queue like any other, so every limit below
 *	counts sessions, not runs.
 *
 *	Fairness and politeness: runs wait in a queue per host address; hosts
 *	with waiting runs are served round-robin, within --concurrency
 *	sessions overall, --per-host sessions per address, --rate and
 *	--host-rate new connections per second. A host that throttles (421,
 *	stalls) is backed off exponentially.
 *
 *	Only the first run of a job connects at first (the scout); the others
 *	are released once its TCP connection succeeds, so a closed port or a
 *	dead host costs one connection attempt (and its retries), not one per
 *	probe.
 *
 *	Running out of file descriptors (EMFILE, ENFILE) is the scanner's
 *	limit, not the target's: the run goes back to its queue and the
 *	session cap drops to the sessions running (less a few descriptors
 *	kept free), growing back by one each time as many sessions have
 *	ended. No target fails for it.
 *
 *	Memory stays bounded by the window of jobs in flight: a host's entry
 *	is freed with its last job; the record of services already scheduled
 *	is kept only when the target list can name one twice (names,
 *	overlapping blocks); and when the report streams (ndjson, ocsf) and
 *	no --baseline needs the whole scan, each target result is dropped
 *	once written, leaving only the counts (scan_result_drop).
 */
#ifndef SCHEDULER_H
#define SCHEDULER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include <uv.h>

#include "dns.h"
#include "probe.h"
#include "report.h"
#include "result.h"
#include "scan_options.h"
#include "tls_conn.h"

struct session;
struct scheduler_host;

/* Adds to a finished target what others know about it (domain mode's DNS judgement). */
typedef void (*scheduler_finish_hook)(void *arg, struct target_result *t);
struct scheduler_seen;

_Static_assert(PROBE_MAX_SLOTS <= 32, "slot sets are 32-bit masks");

/* Sessions one probe run may use in all (reconnects included). */
#define SCHEDULER_MAX_SESSIONS_PER_RUN 64

enum probe_run_phase {
	PROBE_RUN_HELD,    /* waits for the scout's TCP connection */
	PROBE_RUN_WAITING, /* in its host's queue for a session (others may run) */
	PROBE_RUN_ACTIVE,  /* sessions are running it, none is wanted */
	PROBE_RUN_DONE,
};

/*
 * One probe on one target: the probe's struct probe_ctx. A run may hold
 * up to PROBE_MAX_SLOTS sessions at once (probe_open_session); session
 * points to the one the current probe callback is for.
 */
struct probe_ctx {
	const struct probe *probe;
	struct target_job *job;
	struct probe_record *record;
	void *state;
	struct session *session;              /* during a callback: its session, else NULL */
	unsigned slot;                        /* during a callback: its slot */
	struct session *slots[PROBE_MAX_SLOTS];
	unsigned nactive;                     /* sessions running */
	unsigned wanted;                      /* sessions asked for, not yet started */
	uint32_t reconnect_slots;             /* slots whose session wants a successor */
	uint32_t started_slots;               /* slots whose session ran start() */
	uint32_t closing_slots;               /* slots ended by probe_end_session() */
	struct finding **findings;
	size_t nfindings, findings_cap;
	enum probe_run_phase phase;
	bool started;          /* start() ran at least once */
	bool concluded;
	bool ending;           /* the outcome is decided: sessions only quit */
	enum outcome end_outcome;
	char *end_reason;
	const char *failure;   /* during interrupted(): why the session ended */
	unsigned failures;     /* connection-level failures retried so far */
	uint64_t not_before_ms;
	struct probe_ctx *next_waiting;
};

/* One address and port. */
struct target_job {
	struct scheduler *sched;
	struct scheduler_host *host;
	struct target_result *result;
	struct probe_target target;  /* what probes see; strings point into result */
	struct sockaddr_storage addr;
	char *tls_name;              /* SNI / name to verify; NULL for address targets */
	struct tls_resumable *tls_resume; /* the first full handshake's session, offered by the
					     target's later ones; NULL until then */
	struct probe_ctx *runs;
	size_t nruns, ndone;
	bool connected_once;         /* a TCP connection succeeded */
	bool answered_once;          /* a session was greeted with 220 (scheduler__session_answered) */
	bool expired;                /* --target-timeout hit */
	struct target_job *prev, *next; /* the scheduler's active jobs */
	bool deadline_armed;
	uv_timer_t deadline;
};

struct scheduler {
	uv_loop_t *loop;
	const struct scan_options *opt;
	struct tls_ctx *tls;
	struct dns *dns;
	struct scan_result *result;
	const struct report_options *report;

	struct target_iter iter;
	bool feeding_done;
	bool interrupted;                   /* SIGINT/SIGTERM: no new work, active work cut */
	char interrupt_reason[64];
	uv_timer_t grace_timer;             /* sessions still running when it fires are cut */
	struct target_job *jobs_head;       /* active jobs, for the interruption */
	unsigned dns_pending;
	size_t jobs_active;
	unsigned sessions_active;           /* talking: counted against --concurrency */
	unsigned sessions_closing;          /* QUIT written, waiting for the close */
	uint64_t session_seq;

	struct scheduler_host *hosts;       /* uthash by address text */
	struct scheduler_seen *seen;        /* uthash of "address|port" already scheduled */
	bool may_repeat;                    /* seen is needed (target_list_may_repeat) */
	struct scheduler_host *ready_head;  /* hosts with waiting runs, round-robin */
	struct scheduler_host *ready_tail;

	uv_timer_t pump_timer;
	uv_idle_t pump_idle;
	bool pump_pending;
	double tokens;                      /* --rate token bucket */
	uint64_t tokens_at_ms;
	unsigned fd_ceiling;                /* sessions the descriptor limit allows; 0: no cap */
	unsigned fd_credit;                 /* sessions ended since the ceiling last changed */
	bool fd_noted;                      /* the note on running out of descriptors was shown */
	int report_error;                   /* first error of the streaming writer */
	scheduler_finish_hook finish_hook;  /* sees each target before it is reported; NULL */
	void *finish_arg;
	struct syslog_sink *syslog;         /* --syslog; NULL without */

	char read_buf[64 * 1024];           /* shared by every session's reads */
	char plain_buf[32 * 1024];          /* decrypted bytes, shared likewise */
};

int scheduler_init(struct scheduler *s, uv_loop_t *loop, const struct scan_options *opt,
		   struct tls_ctx *tls, struct dns *dns, struct scan_result *result,
		   const struct report_options *report);

/* Calls hook(arg, target) for each target just before it is written. */
void scheduler_set_finish_hook(struct scheduler *s, scheduler_finish_hook hook, void *arg);

/* Starts pulling targets; the loop then runs until every target is done. */
void scheduler_start(struct scheduler *s);

/* How long sessions already running may go on after an interruption. */
#define SCHEDULER_GRACE_MS 2000

/*
 * Stops the scan: no further target, session or retry is started; queued
 * probes end with OUTCOME_INTERRUPTED at once, sessions already running
 * may finish for SCHEDULER_GRACE_MS and are then cut the same way. Each
 * target started so far is reported with what it completed.
 */
void scheduler_interrupt(struct scheduler *s, const char *why);

/* Closes the scheduler's own handles (after the loop has drained). */
void scheduler_close(struct scheduler *s);

/* ---- called by session.c ---- */

/* The session's TCP connection is up (releases the job's held runs). */
void scheduler__session_connected(struct probe_ctx *run);
/* The server greeted with 220 (or answered a raw TLS probe): it does talk. */
void scheduler__session_answered(struct probe_ctx *run);

/*
 * A session of run ended in slot: its handles are closed, or it has said
 * QUIT and only waits for the server to close. reason may be NULL.
 */
void scheduler__session_done(struct probe_ctx *run, unsigned slot, enum outcome outcome,
			     const char *reason);

/*
 * A session wrote its QUIT and only waits for the server's 221 or close:
 * it leaves --concurrency to a session that talks, while --per-host still
 * counts it until the close (the server still sees the connection).
 */
void scheduler__session_closing(struct scheduler *s);

/* A session's connection to host is closed (after scheduler__session_done). */
void scheduler__session_closed(struct scheduler *s, struct scheduler_host *h,
			       enum outcome outcome, bool was_closing);

/* The run neither calls the probe nor starts sessions any more: they only quit. */
static inline bool scheduler__run_closing(const struct probe_ctx *run)
{
	return run->concluded || run->ending;
}

/* ---- called by probe_ctx.c ---- */

/* One more session for run alongside its others; 0, SA_ERROR_RANGE beyond the limits. */
int scheduler__want_session(struct probe_ctx *run);

/* The probe concluded: sessions asked for are dropped; those running quit at their next reply. */
void scheduler__run_concluded(struct probe_ctx *run);

/* Milliseconds on the loop clock. */
uint64_t scheduler__now(const struct scheduler *s);

#endif
