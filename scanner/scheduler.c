/*
 * NAME
 *	scheduler - targets to jobs, jobs to probe runs, runs to sessions
 *
 * DESCRIPTION
 *	See scheduler.h. Every event (a name resolved, a session ended, a
 *	timer) only marks the scheduler as needing a pump; the pump runs once
 *	per loop iteration from an idle handle, so nothing recurses and the
 *	order of decisions stays simple:
 *
 *	  1. pull targets while fewer than a window of jobs are in flight;
 *	  2. serve hosts with waiting runs round-robin, one session per host
 *	     and pass (a pass that started one asks for another), within the
 *	     global and per-host concurrency (the global one lowered while
 *	     descriptors ran short), the --rate token bucket, the per-host
 *	     connection spacing (--host-rate) and any throttling back-off;
 *	  3. when nothing is left, close the scheduler's handles so the loop ends.
 *
 *	A failure before a probe's start() (refused, reset before the greeting,
 *	421) is retried --retries times with doubling delays; after start() the
 *	probe's interrupted() decides. A run with several sessions finishes
 *	when its outcome is decided and its last session has ended; an extra
 *	session that fails before start() is dropped while others go on.
 *	A session that said QUIT and no longer waits for the 221 leaves its
 *	run at once but counts for its host until the connection closes.
 */
#include "scheduler.h"

#include <arpa/inet.h>
#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <uthash.h>

#include "sa_error.h"
#include "session.h"

#define SCHEDULER_DNS_WINDOW 64
#define SCHEDULER_MIN_WINDOW 64
#define SCHEDULER_MAX_BACKOFF_MS 60000
/* Out of descriptors with no session of ours to free one: look again after this. */
#define SCHEDULER_FD_RETRY_MS 100
/* Descriptors left free below the limit once it was hit: DNS sockets, a syslog reconnect. */
#define SCHEDULER_FD_RESERVE 4

struct scheduler_host {
	char key[INET6_ADDRSTRLEN];
	unsigned active;
	unsigned jobs;
	uint64_t next_connect_ms;
	uint64_t backoff_until_ms;
	unsigned backoff_level;
	struct probe_ctx *wait_head;
	bool in_ready;
	struct scheduler_host *ready_next;
	UT_hash_handle hh;
};

struct scheduler_seen {
	UT_hash_handle hh;
	char key[INET6_ADDRSTRLEN + 8];
};

struct scheduler_name {
	struct scheduler *sched;
	uint16_t port;
	char name[];
};

static void scheduler_wake(struct scheduler *s);

uint64_t scheduler__now(const struct scheduler *s)
{
	return uv_now(s->loop);
}

static int64_t scheduler_wall_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static char *scheduler_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static char *scheduler_printf(const char *fmt, ...)
{
	char *text;
	va_list ap;
	va_start(ap, fmt);
	int n = vasprintf(&text, fmt, ap);
	va_end(ap);
	return n < 0 ? NULL : text;
}

/* ---- hosts and their queues ---- */

static struct scheduler_host *scheduler_host_get(struct scheduler *s, const char *key)
{
	struct scheduler_host *h;
	HASH_FIND_STR(s->hosts, key, h);
	if (h != NULL)
		return h;
	h = calloc(1, sizeof(*h));
	if (h == NULL)
		return NULL;
	snprintf(h->key, sizeof(h->key), "%s", key);
	HASH_ADD_STR(s->hosts, key, h);
	return h;
}

static void scheduler_host_release(struct scheduler *s, struct scheduler_host *h)
{
	if (h->jobs == 0 && h->active == 0 && h->wait_head == NULL && !h->in_ready) {
		HASH_DEL(s->hosts, h);
		free(h);
	}
}

static void scheduler_ready_push(struct scheduler *s, struct scheduler_host *h)
{
	if (h->in_ready || h->wait_head == NULL)
		return;
	h->in_ready = true;
	h->ready_next = NULL;
	if (s->ready_tail != NULL)
		s->ready_tail->ready_next = h;
	else
		s->ready_head = h;
	s->ready_tail = h;
}

static struct scheduler_host *scheduler_ready_pop(struct scheduler *s)
{
	struct scheduler_host *h = s->ready_head;
	if (h == NULL)
		return NULL;
	s->ready_head = h->ready_next;
	if (s->ready_head == NULL)
		s->ready_tail = NULL;
	h->in_ready = false;
	return h;
}

static void scheduler_run_finish(struct probe_ctx *run, enum outcome outcome, const char *reason);
static void scheduler_run_end(struct probe_ctx *run, enum outcome outcome, const char *reason);
static void scheduler_job_cut(struct target_job *job, enum outcome outcome, const char *why,
			      bool only_queued);

/* Puts run in its host's queue, unless it is there, for the sessions it wants. */
static void scheduler_enqueue(struct probe_ctx *run, uint64_t delay_ms)
{
	struct scheduler *s = run->job->sched;
	struct scheduler_host *h = run->job->host;
	if (s->interrupted) {
		/* A retry or a reconnect after the interruption: nothing new starts. */
		scheduler_run_end(run, OUTCOME_INTERRUPTED, "the scan was interrupted");
		return;
	}
	if (run->phase == PROBE_RUN_WAITING)
		return;
	run->phase = PROBE_RUN_WAITING;
	run->not_before_ms = scheduler__now(s) + delay_ms;
	run->next_waiting = NULL;
	struct probe_ctx **pp = &h->wait_head;
	while (*pp != NULL)
		pp = &(*pp)->next_waiting;
	*pp = run;
	scheduler_ready_push(s, h);
	scheduler_wake(s);
}

static void scheduler_unqueue(struct probe_ctx *run)
{
	struct probe_ctx **pp = &run->job->host->wait_head;
	while (*pp != NULL && *pp != run)
		pp = &(*pp)->next_waiting;
	if (*pp == run)
		*pp = run->next_waiting;
}

/* One more session for run. */
static void scheduler_want(struct probe_ctx *run, uint64_t delay_ms)
{
	run->wanted++;
	scheduler_enqueue(run, delay_ms);
}

/* The sessions run wants are no longer wanted; those running go on. */
static void scheduler_drop_wanted(struct probe_ctx *run)
{
	run->wanted = 0;
	if (run->phase != PROBE_RUN_WAITING)
		return;
	scheduler_unqueue(run);
	run->phase = PROBE_RUN_ACTIVE;
}

static void scheduler_abort_sessions(struct probe_ctx *run, enum outcome outcome, const char *why)
{
	for (unsigned i = 0; i < PROBE_MAX_SLOTS; i++)
		if (run->slots[i] != NULL)
			session_abort(run->slots[i], outcome, why);
}

static void scheduler_backoff(struct scheduler *s, struct scheduler_host *h)
{
	uint64_t delay = s->opt->retry_delay_ms << (h->backoff_level < 16 ? h->backoff_level : 16);
	if (delay > SCHEDULER_MAX_BACKOFF_MS)
		delay = SCHEDULER_MAX_BACKOFF_MS;
	h->backoff_until_ms = scheduler__now(s) + delay;
	if (h->backoff_level < 16)
		h->backoff_level++;
}

/* ---- descriptors ---- */

/*
 * Room for one more session: --concurrency talking, at most as many more
 * closing (each waits a few seconds at most), and fewer connections in all
 * while descriptors ran short.
 */
static bool scheduler_has_room(const struct scheduler *s)
{
	unsigned open = s->sessions_active + s->sessions_closing;
	if (s->fd_ceiling != 0 && open >= s->fd_ceiling)
		return false;
	return s->sessions_active < s->opt->concurrency && open < 2 * s->opt->concurrency;
}

/*
 * No descriptor for a socket: the sessions running now are what the limit
 * allows, less a few descriptors kept free for the rest of the scanner.
 * The run waits in its queue for a session to end, or briefly when none
 * runs (ENFILE: another process holds the descriptors).
 */
static void scheduler_hold_back(struct scheduler *s, struct probe_ctx *run)
{
	unsigned active = s->sessions_active + s->sessions_closing;
	if (!s->fd_noted && !s->opt->quiet)
		fprintf(stderr,
			"smtp-audit: out of file descriptors with %u sessions open: holding the "
			"others back (ulimit -n raises the limit)\n",
			active);
	s->fd_noted = true;
	s->fd_ceiling = active > SCHEDULER_FD_RESERVE ? active - SCHEDULER_FD_RESERVE : 1;
	s->fd_credit = 0;
	scheduler_want(run, active > 0 ? 0 : SCHEDULER_FD_RETRY_MS);
}

/* Additive increase: one more session each time as many as the cap have ended. */
static void scheduler_fd_regrow(struct scheduler *s)
{
	if (s->fd_ceiling == 0 || ++s->fd_credit < s->fd_ceiling)
		return;
	s->fd_credit = 0;
	if (++s->fd_ceiling >= 2 * s->opt->concurrency)
		s->fd_ceiling = 0;
}

/* ---- results ---- */

/* A whole-document report or a --baseline comparison needs every target at the end. */
static bool scheduler_keeps_results(const struct scheduler *s)
{
	return !s->opt->writer->streams || s->opt->baseline_path != NULL;
}

static void scheduler_emit(struct scheduler *s, struct target_result *r)
{
	r->finished_ms = scheduler_wall_ms();
	if (s->finish_hook != NULL)
		s->finish_hook(s->finish_arg, r);
	const struct report_writer *w = s->opt->writer;
	if (w->target != NULL) {
		int rc = w->target(s->report, r);
		if (rc != 0 && s->report_error == 0)
			s->report_error = rc;
	}
	syslog_sink_send(s->syslog, r);
	if (!scheduler_keeps_results(s))
		scan_result_drop(s->result, r);
	else if (scan_result_add(s->result, r) != 0)
		target_result_free(r);
}

static void scheduler_job_free(uv_handle_t *h)
{
	struct target_job *job = h->data;
	for (size_t i = 0; i < job->nruns; i++) {
		free(job->runs[i].state);
		free(job->runs[i].findings);
	}
	free(job->runs);
	free(job->tls_name);
	tls_resumable_free(job->tls_resume);
	free(job);
}

/*
 * A target is completed when at least one probe that talked to it
 * completed; otherwise it takes the outcome of its first probe that tried.
 * NULL when completed.
 */
static const struct probe_record *scheduler_job_failure(const struct target_job *job)
{
	const struct probe_record *first = NULL;
	for (size_t i = 0; i < job->nruns; i++) {
		const struct probe_record *rec = job->runs[i].record;
		if (rec->verdict == VERDICT_NOT_APPLICABLE)
			continue;
		if (rec->outcome == OUTCOME_COMPLETED)
			return NULL;
		if (first == NULL)
			first = rec;
	}
	return first;
}

static void scheduler_job_link(struct scheduler *s, struct target_job *job)
{
	job->prev = NULL;
	job->next = s->jobs_head;
	if (s->jobs_head != NULL)
		s->jobs_head->prev = job;
	s->jobs_head = job;
}

static void scheduler_job_unlink(struct scheduler *s, struct target_job *job)
{
	if (job->prev != NULL)
		job->prev->next = job->next;
	else
		s->jobs_head = job->next;
	if (job->next != NULL)
		job->next->prev = job->prev;
	job->prev = job->next = NULL;
}

static void scheduler_job_finish(struct target_job *job)
{
	struct scheduler *s = job->sched;
	struct target_result *r = job->result;
	const struct probe_record *failed = scheduler_job_failure(job);
	if (failed != NULL) {
		r->outcome = failed->outcome;
		if (failed->reason != NULL)
			r->reason = strdup(failed->reason);
	}
	/* The host is released by the event handler that got us here, once it is done with it. */
	job->host->jobs--;
	s->jobs_active--;
	scheduler_job_unlink(s, job);
	uv_timer_stop(&job->deadline);
	uv_close((uv_handle_t *)&job->deadline, scheduler_job_free);
	scheduler_emit(s, r);
	scheduler_wake(s);
}

static void scheduler_run_finish(struct probe_ctx *run, enum outcome outcome, const char *reason)
{
	struct target_job *job = run->job;
	assert(run->phase != PROBE_RUN_DONE && run->nactive == 0);
	run->phase = PROBE_RUN_DONE;
	run->wanted = 0;
	run->record->outcome = outcome;
	if (reason != NULL)
		run->record->reason = strdup(reason);
	free(run->end_reason);
	run->end_reason = NULL;
	if (!run->concluded)
		run->record->verdict = VERDICT_INCONCLUSIVE;
	for (size_t i = 0; i < run->nfindings; i++) {
		if (target_result_take_finding(job->result, run->findings[i]) != 0)
			finding_free(run->findings[i]);
		free(run->findings[i]);
	}
	run->nfindings = 0;
	if (run->probe->cleanup != NULL && run->state != NULL)
		run->probe->cleanup(run->state);
	if (++job->ndone == job->nruns)
		scheduler_job_finish(job);
}

/*
 * The run's outcome is decided (the worse of two stands over completed):
 * it finishes when its last session has ended. Those still running quit
 * at their next reply (session.c calls no probe of a closing run).
 */
static void scheduler_run_end(struct probe_ctx *run, enum outcome outcome, const char *reason)
{
	if (!run->ending ||
	    (run->end_outcome == OUTCOME_COMPLETED && outcome != OUTCOME_COMPLETED)) {
		char *copy = reason != NULL ? strdup(reason) : NULL;
		free(run->end_reason);
		run->end_reason = copy;
		run->end_outcome = outcome;
	}
	run->ending = true;
	scheduler_drop_wanted(run);
	if (run->nactive == 0)
		scheduler_run_finish(run, run->end_outcome, run->end_reason);
}

/* What a probe concluded from replies that turned out to be out of step cannot stand. */
static void scheduler_run_distrust(struct probe_ctx *run)
{
	for (size_t i = 0; i < run->nfindings; i++) {
		finding_free(run->findings[i]);
		free(run->findings[i]);
	}
	run->nfindings = 0;
	run->concluded = false;
	free(run->record->verdict_reason);
	run->record->verdict_reason = NULL;
}


/* ---- session events ---- */

static void scheduler_release_held(struct target_job *job)
{
	for (size_t i = 0; i < job->nruns; i++)
		if (job->runs[i].phase == PROBE_RUN_HELD)
			scheduler_enqueue(&job->runs[i], 0);
}

/*
 * A session failed before the server ever greeted any session of the job:
 * the runs still waiting wait for its retry instead (released when a
 * session is greeted, cut when the retries are spent), so a tarpit or a
 * server that answers 421 or 554 costs one probe's retries, not every
 * probe's. After a 220 probes fail on their own: a server that resets EHLO
 * may still take HELO.
 */
static void scheduler_hold_waiting(struct target_job *job)
{
	for (size_t i = 0; i < job->nruns; i++) {
		struct probe_ctx *run = &job->runs[i];
		if (run->phase == PROBE_RUN_WAITING && run->nactive == 0) {
			scheduler_unqueue(run);
			run->phase = PROBE_RUN_HELD;
		}
	}
}

void scheduler__session_connected(struct probe_ctx *run)
{
	struct target_job *job = run->job;
	if (job->connected_once)
		return;
	job->connected_once = true;
	scheduler_release_held(job);
}

void scheduler__session_answered(struct probe_ctx *run)
{
	struct target_job *job = run->job;
	if (job->answered_once)
		return;
	job->answered_once = true;
	scheduler_release_held(job);
}

static bool scheduler_retryable(enum outcome o)
{
	return o == OUTCOME_REFUSED || o == OUTCOME_CLOSED || o == OUTCOME_THROTTLED;
}

static void scheduler_probe_interrupted(struct probe_ctx *run, unsigned slot, enum outcome o,
					const char *reason)
{
	uint32_t bit = 1u << slot;
	if (run->probe->interrupted != NULL) {
		run->slot = slot;
		run->failure = reason;
		run->probe->interrupted(run, o);
		run->failure = NULL;
	}
	bool reconnect = (run->reconnect_slots & bit) != 0;
	run->reconnect_slots &= ~bit;
	if (reconnect && !run->concluded) {
		scheduler_want(run, 0);
		return;
	}
	if (run->concluded && o == OUTCOME_TLS_ERROR && (run->probe->flags & PROBE_SEES_TLS_FAILURE))
		scheduler_run_end(run, OUTCOME_COMPLETED, NULL); /* the failure was its result */
	else
		scheduler_run_end(run, o, reason);
}

static void scheduler_preamble_failed(struct probe_ctx *run, unsigned slot, enum outcome o,
				      const char *reason)
{
	struct scheduler *s = run->job->sched;
	if (o == OUTCOME_TLS_ERROR && (run->probe->flags & PROBE_SEES_TLS_FAILURE)) {
		/* A failed implicit-TLS handshake is what this probe reports on. */
		scheduler_probe_interrupted(run, slot, o, reason);
		return;
	}
	/* A TLS failure is an answer: the probes that judge it must still run. */
	struct target_job *job = run->job;
	bool never_spoke = o != OUTCOME_TLS_ERROR && !job->answered_once;
	if (scheduler_retryable(o) && run->failures < s->opt->retries) {
		uint64_t delay = s->opt->retry_delay_ms << run->failures;
		run->failures++;
		if (never_spoke)
			scheduler_hold_waiting(job);
		scheduler_want(run, delay);
		return;
	}
	/* Dead port, tarpit, 421 or 554 greeting: what has not started shares the fate. */
	scheduler_run_end(run, o, reason);
	if (never_spoke)
		scheduler_job_cut(job, o, reason, true);
}

void scheduler__session_done(struct probe_ctx *run, unsigned slot, enum outcome o,
			     const char *reason)
{
	struct target_job *job = run->job;
	struct scheduler *s = job->sched;
	struct scheduler_host *h = job->host;
	uint32_t bit = 1u << slot;
	bool reconnect = (run->reconnect_slots & bit) != 0;
	/* Ended by the probe, or an extra session that never reached start(). */
	bool spare = (run->closing_slots & bit) != 0 || (run->started_slots & bit) == 0;
	assert(run->slots[slot] != NULL && run->nactive > 0);
	run->slots[slot] = NULL;
	run->nactive--;
	run->reconnect_slots &= ~bit;
	run->closing_slots &= ~bit;
	run->started_slots &= ~bit;
	if (o == OUTCOME_INTERRUPTED) {
		scheduler_run_end(run, o, reason);
	} else if (job->expired) {
		char *why = scheduler_printf("target time budget exhausted (%s)",
					     reason ? reason : "while finishing");
		scheduler_run_end(run, OUTCOME_TIMEOUT, why);
		free(why);
	} else if (run->concluded && o == OUTCOME_PROTOCOL_ERROR) {
		scheduler_run_distrust(run);
		scheduler_run_end(run, o, reason);
	} else if (scheduler__run_closing(run)) {
		scheduler_run_end(run, OUTCOME_COMPLETED, NULL);
	} else if (reconnect) {
		scheduler_want(run, 0);
	} else if (spare && (run->nactive > 0 || run->wanted > 0)) {
		/* The run goes on in its other sessions. */
	} else if (!run->started) {
		scheduler_preamble_failed(run, slot, o, reason);
	} else {
		scheduler_probe_interrupted(run, slot, o, reason);
	}
	scheduler_host_release(s, h);
	scheduler_wake(s);
}

void scheduler__session_closing(struct scheduler *s)
{
	s->sessions_active--;
	s->sessions_closing++;
	scheduler_wake(s);
}

void scheduler__session_closed(struct scheduler *s, struct scheduler_host *h, enum outcome o,
			       bool was_closing)
{
	h->active--;
	if (was_closing)
		s->sessions_closing--;
	else
		s->sessions_active--;
	scheduler_fd_regrow(s);
	if (o == OUTCOME_THROTTLED)
		scheduler_backoff(s, h);
	scheduler_ready_push(s, h);
	scheduler_host_release(s, h);
	scheduler_wake(s);
}

int scheduler__want_session(struct probe_ctx *run)
{
	const struct scheduler *s = run->job->sched;
	unsigned limit = s->opt->per_host < PROBE_MAX_SLOTS ? s->opt->per_host : PROBE_MAX_SLOTS;
	if (scheduler__run_closing(run) || s->interrupted || run->job->expired ||
	    run->nactive + run->wanted >= limit ||
	    run->record->sessions + run->wanted >= SCHEDULER_MAX_SESSIONS_PER_RUN)
		return SA_ERROR_RANGE;
	scheduler_want(run, 0);
	return 0;
}

void scheduler__run_concluded(struct probe_ctx *run)
{
	scheduler_drop_wanted(run);
}

/* ---- jobs ---- */

/*
 * Ends every unfinished run of job: queued ones now, active ones through
 * their session unless only_queued (they may still finish on their own).
 */
static void scheduler_job_cut(struct target_job *job, enum outcome outcome, const char *why,
			      bool only_queued)
{
	for (size_t i = 0; i < job->nruns; i++) {
		struct probe_ctx *run = &job->runs[i];
		switch (run->phase) {
		case PROBE_RUN_WAITING:
		case PROBE_RUN_ACTIVE:
			scheduler_drop_wanted(run);
			if (run->nactive == 0)
				scheduler_run_end(run, outcome, why);
			else if (!only_queued)
				scheduler_abort_sessions(run, outcome, why);
			break;
		case PROBE_RUN_HELD:
			scheduler_run_end(run, outcome, why);
			break;
		case PROBE_RUN_DONE:
			break;
		}
	}
}

static void scheduler_on_deadline(uv_timer_t *t)
{
	struct target_job *job = t->data;
	struct scheduler_host *h = job->host;
	struct scheduler *s = job->sched;
	char *why = scheduler_printf("target time budget of %llus exhausted",
				     (unsigned long long)(s->opt->timeouts.target_ms / 1000));
	job->expired = true;
	scheduler_job_cut(job, OUTCOME_TIMEOUT, why ? why : "target timeout", false);
	free(why);
	scheduler_host_release(s, h);
}

static void scheduler_cut_all(struct scheduler *s, bool only_queued)
{
	struct target_job *job = s->jobs_head;
	while (job != NULL) {
		/* Cutting a job may finish and unlink it, never another one. */
		struct target_job *next = job->next;
		struct scheduler_host *h = job->host;
		scheduler_job_cut(job, OUTCOME_INTERRUPTED, s->interrupt_reason, only_queued);
		scheduler_host_release(s, h);
		job = next;
	}
}

static void scheduler_on_grace_over(uv_timer_t *t)
{
	scheduler_cut_all(t->data, false);
}

void scheduler_interrupt(struct scheduler *s, const char *why)
{
	s->interrupted = true;
	s->feeding_done = true;
	s->result->interrupted = true;
	snprintf(s->interrupt_reason, sizeof(s->interrupt_reason), "%s", why);
	scheduler_cut_all(s, true);
	uv_timer_start(&s->grace_timer, scheduler_on_grace_over, SCHEDULER_GRACE_MS, 0);
	scheduler_wake(s);
}

/* Starts one of the sessions run wants (it has left its host's queue). */
static void scheduler_start_run(struct scheduler *s, struct probe_ctx *run)
{
	struct target_job *job = run->job;
	assert(run->wanted > 0);
	run->wanted--;
	run->phase = PROBE_RUN_ACTIVE;
	run->record->sessions++;
	run->nactive++;
	job->host->active++;
	s->sessions_active++;
	if (!job->deadline_armed) {
		job->deadline_armed = true;
		uv_timer_start(&job->deadline, scheduler_on_deadline, s->opt->timeouts.target_ms, 0);
	}
	int rc = session_start(s, run);
	if (rc == 0) {
		if (run->wanted > 0)
			scheduler_enqueue(run, 0);
		return;
	}
	run->record->sessions--;
	run->nactive--;
	job->host->active--;
	s->sessions_active--;
	if (rc == SA_ERROR_AGAIN) {
		scheduler_hold_back(s, run);
	} else if (run->nactive > 0 || run->wanted > 0) {
		/* An extra session: the run goes on in the others. */
		if (run->wanted > 0)
			scheduler_enqueue(run, 0);
	} else {
		char *why = scheduler_printf("cannot open a socket: %s", sa_error_str(rc));
		scheduler_run_end(run, OUTCOME_CLOSED, why ? why : "cannot open a socket");
		free(why);
	}
}

static void scheduler_sockaddr(const struct target_addr *a, uint16_t port,
			       struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (a->family == AF_INET) {
		struct sockaddr_in *in = (struct sockaddr_in *)ss;
		in->sin_family = AF_INET;
		in->sin_port = htons(port);
		memcpy(&in->sin_addr, a->bytes, 4);
	} else {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons(port);
		memcpy(&in6->sin6_addr, a->bytes, 16);
	}
}

static void scheduler_init_run(struct target_job *job, size_t i)
{
	struct probe_ctx *run = &job->runs[i];
	const struct probe *p = job->sched->opt->probes[i];
	run->probe = p;
	run->job = job;
	run->record = &job->result->probes[i];
	run->record->probe = p->name;
	run->record->verdict = VERDICT_INCONCLUSIVE;
	run->phase = PROBE_RUN_HELD;
	run->wanted = 1;
	if (p->state_size > 0)
		run->state = calloc(1, p->state_size);
}

static bool scheduler_not_applicable(struct probe_ctx *run)
{
	if (run->probe->preamble != PROBE_PREAMBLE_PLAINTEXT || !run->job->target.implicit_tls)
		return false;
	run->concluded = true;
	run->record->verdict = VERDICT_NOT_APPLICABLE;
	run->record->verdict_reason = scheduler_printf(
		"a cleartext probe; port %u speaks implicit TLS", run->job->target.port);
	return true;
}

static struct target_job *scheduler_new_job(struct scheduler *s, const char *host,
					    const char *address, const struct target_addr *a,
					    uint16_t port, const char *tls_name)
{
	const struct scan_options *opt = s->opt;
	struct target_job *job = calloc(1, sizeof(*job));
	struct target_result *r =
		target_result_new(host, address, port, scan_options_implicit_tls(opt, port));
	if (job == NULL || r == NULL)
		goto fail;
	job->sched = s;
	job->result = r;
	r->started_ms = scheduler_wall_ms();
	job->target = (struct probe_target){
		.host = r->host,
		.address = r->address,
		.family = a->family == AF_INET ? 4 : 6,
		.port = port,
		.implicit_tls = r->implicit_tls,
		.submission = scan_options_submission(opt, port),
	};
	scheduler_sockaddr(a, port, &job->addr);
	job->tls_name = tls_name ? strdup(tls_name) : NULL;
	job->runs = calloc(opt->nprobes, sizeof(*job->runs));
	r->probes = calloc(opt->nprobes, sizeof(*r->probes));
	job->host = scheduler_host_get(s, address);
	if (job->runs == NULL || r->probes == NULL || job->host == NULL ||
	    (tls_name && !job->tls_name))
		goto fail;
	r->nprobes = job->nruns = opt->nprobes;
	for (size_t i = 0; i < job->nruns; i++) {
		scheduler_init_run(job, i);
		if (job->runs[i].probe->state_size > 0 && job->runs[i].state == NULL)
			goto fail;
	}
	return job;
fail:
	if (job != NULL) {
		for (size_t i = 0; job->runs && i < job->nruns; i++)
			free(job->runs[i].state);
		free(job->runs);
		free(job->tls_name);
		free(job);
	}
	target_result_free(r);
	return NULL;
}

static void scheduler_add_job(struct scheduler *s, const char *host, const char *address,
			      const struct target_addr *a, uint16_t port, const char *tls_name)
{
	struct target_job *job = scheduler_new_job(s, host, address, a, port, tls_name);
	if (job == NULL) {
		if (s->report_error == 0)
			s->report_error = SA_ERROR_NOMEM;
		return;
	}
	uv_timer_init(s->loop, &job->deadline);
	job->deadline.data = job;
	job->host->jobs++;
	s->jobs_active++;
	scheduler_job_link(s, job);
	struct scheduler_host *h = job->host;
	bool scout_chosen = false;
	for (size_t i = 0; i < job->nruns; i++) {
		struct probe_ctx *run = &job->runs[i];
		if (scheduler_not_applicable(run)) {
			scheduler_run_finish(run, OUTCOME_COMPLETED, NULL);
		} else if (!scout_chosen) {
			scout_chosen = true;
			scheduler_enqueue(run, 0);
		}
	}
	scheduler_host_release(s, h);
}

/*
 * Same address and port named twice (a name and its address, overlapping
 * CIDRs): scan once. The table grows with every target, so it is kept only
 * when the target list can repeat itself.
 */
static bool scheduler_seen_before(struct scheduler *s, const char *address, uint16_t port)
{
	char key[sizeof(((struct scheduler_seen *)0)->key)];
	struct scheduler_seen *e;
	if (!s->may_repeat)
		return false;
	snprintf(key, sizeof(key), "%s|%u", address, port);
	HASH_FIND_STR(s->seen, key, e);
	if (e != NULL)
		return true;
	e = calloc(1, sizeof(*e));
	if (e == NULL)
		return false;
	memcpy(e->key, key, sizeof(key));
	HASH_ADD_STR(s->seen, key, e);
	return false;
}

static void scheduler_add_address(struct scheduler *s, const char *host,
				  const struct target_addr *a, uint16_t port, const char *tls_name)
{
	char address[INET6_ADDRSTRLEN];
	target_addr_str(a, address, sizeof(address));
	const uint16_t *ports = port ? &port : s->opt->ports;
	size_t nports = port ? 1 : s->opt->nports;
	for (size_t i = 0; i < nports; i++)
		if (!scheduler_seen_before(s, address, ports[i]))
			scheduler_add_job(s, host, address, a, ports[i], tls_name);
}

static void scheduler_unresolvable(struct scheduler *s, const char *name, uint16_t port,
				   const char *detail)
{
	const uint16_t *ports = port ? &port : s->opt->ports;
	size_t nports = port ? 1 : s->opt->nports;
	for (size_t i = 0; i < nports; i++) {
		struct target_result *r = target_result_new(
			name, NULL, ports[i], scan_options_implicit_tls(s->opt, ports[i]));
		if (r == NULL)
			continue;
		r->started_ms = scheduler_wall_ms();
		r->outcome = OUTCOME_UNRESOLVABLE;
		r->reason = scheduler_printf("cannot resolve %s: %s", name, detail);
		r->probes = calloc(s->opt->nprobes, sizeof(*r->probes));
		if (r->probes != NULL) {
			r->nprobes = s->opt->nprobes;
			for (size_t j = 0; j < r->nprobes; j++) {
				r->probes[j].probe = s->opt->probes[j]->name;
				r->probes[j].outcome = OUTCOME_UNRESOLVABLE;
				r->probes[j].verdict = VERDICT_INCONCLUSIVE;
			}
		}
		scheduler_emit(s, r);
	}
}

/* Without --all-addresses: the first IPv4 and the first IPv6 address. */
static bool scheduler_pick_address(const struct scheduler *s, const struct target_addr *addrs,
				   size_t i)
{
	if (s->opt->all_addresses)
		return true;
	for (size_t j = 0; j < i; j++)
		if (addrs[j].family == addrs[i].family)
			return false;
	return true;
}

static void scheduler_on_resolved(void *arg, int status, const struct target_addr *addrs,
				  size_t n, const char *detail)
{
	struct scheduler_name *q = arg;
	struct scheduler *s = q->sched;
	s->dns_pending--;
	if (s->interrupted) {
		/* An answer that arrives after the interruption starts nothing. */
	} else if (status == 0) {
		for (size_t i = 0; i < n; i++)
			if (scheduler_pick_address(s, addrs, i) &&
			    !target_list_excluded(&s->opt->targets, &addrs[i], q->name))
				scheduler_add_address(s, q->name, &addrs[i], q->port, q->name);
	} else if (status != SA_ERROR_CANCELED) {
		scheduler_unresolvable(s, q->name, q->port, detail);
	}
	free(q);
	scheduler_wake(s);
}

static void scheduler_resolve(struct scheduler *s, const char *name, uint16_t port)
{
	char detail[256];
	size_t len = strlen(name);
	struct scheduler_name *q = malloc(sizeof(*q) + len + 1);
	if (q == NULL) {
		scheduler_unresolvable(s, name, port, "out of memory");
		return;
	}
	q->sched = s;
	q->port = port;
	memcpy(q->name, name, len + 1);
	s->dns_pending++;
	if (dns_resolve(s->dns, name, scheduler_on_resolved, q, detail, sizeof(detail)) != 0) {
		s->dns_pending--;
		scheduler_unresolvable(s, name, port, detail);
		free(q);
	}
}

/* ---- the pump ---- */

static size_t scheduler_window(const struct scheduler *s)
{
	size_t w = 2 * (size_t)s->opt->concurrency;
	return w < SCHEDULER_MIN_WINDOW ? SCHEDULER_MIN_WINDOW : w;
}

static void scheduler_feed(struct scheduler *s)
{
	struct target_item item;
	while (!s->feeding_done && s->jobs_active + s->dns_pending < scheduler_window(s) &&
	       s->dns_pending < SCHEDULER_DNS_WINDOW) {
		if (!feed_filter_next(s->opt->feed, &s->opt->targets, &s->iter, &item)) {
			s->feeding_done = true;
			break;
		}
		if (item.kind == TARGET_ADDRESS)
			scheduler_add_address(s, item.host, &item.addr, item.port, NULL);
		else
			scheduler_resolve(s, item.host, item.port);
	}
}

/* --rate: a token bucket holding at most one second of tokens. */
static bool scheduler_take_token(struct scheduler *s, uint64_t now, uint64_t *wake_at)
{
	double rate = s->opt->rate;
	if (rate <= 0)
		return true;
	double burst = rate < 1 ? 1 : rate;
	s->tokens += (double)(now - s->tokens_at_ms) * rate / 1000.0;
	if (s->tokens > burst)
		s->tokens = burst;
	s->tokens_at_ms = now;
	if (s->tokens >= 1) {
		s->tokens -= 1;
		return true;
	}
	uint64_t at = now + (uint64_t)((1 - s->tokens) * 1000.0 / rate) + 1;
	if (at < *wake_at)
		*wake_at = at;
	return false;
}

/* The first waiting run of h that may start now, or the time the first may. */
static struct probe_ctx *scheduler_eligible(const struct scheduler_host *h, uint64_t now,
					    uint64_t *earliest)
{
	uint64_t host_at = h->backoff_until_ms > h->next_connect_ms ? h->backoff_until_ms
								    : h->next_connect_ms;
	for (struct probe_ctx *run = h->wait_head; run != NULL; run = run->next_waiting) {
		uint64_t at = run->not_before_ms > host_at ? run->not_before_ms : host_at;
		if (at <= now)
			return run;
		if (at < *earliest)
			*earliest = at;
	}
	return NULL;
}

static void scheduler_on_pump_timer(uv_timer_t *t)
{
	scheduler_wake(t->data);
}

static bool scheduler_finished(const struct scheduler *s)
{
	return s->feeding_done && s->dns_pending == 0 && s->jobs_active == 0;
}

static void scheduler_dispatch(struct scheduler *s)
{
	uint64_t now = scheduler__now(s);
	uint64_t wake_at = UINT64_MAX;
	size_t rounds = 0;
	bool started = false;
	for (struct scheduler_host *h = s->ready_head; h != NULL; h = h->ready_next)
		rounds++;
	while (rounds-- > 0 && scheduler_has_room(s)) {
		struct scheduler_host *h = scheduler_ready_pop(s);
		if (h->active >= s->opt->per_host)
			continue; /* back in the ready list when one of its sessions ends */
		struct probe_ctx *run = scheduler_eligible(h, now, &wake_at);
		if (run == NULL || !scheduler_take_token(s, now, &wake_at)) {
			scheduler_ready_push(s, h);
			continue;
		}
		scheduler_unqueue(run);
		if (s->opt->host_rate > 0)
			h->next_connect_ms = now + (uint64_t)(1000.0 / s->opt->host_rate);
		scheduler_ready_push(s, h);
		scheduler_start_run(s, run);
		scheduler_host_release(s, h); /* its job may have ended without a session */
		started = true;
	}
	if (wake_at != UINT64_MAX)
		uv_timer_start(&s->pump_timer, scheduler_on_pump_timer, wake_at - now, 0);
	/*
	 * One session per host and pass keeps hosts fair; the next pass comes
	 * at the next loop iteration, not only at the next event (a host that
	 * sends nothing, a tarpit, would otherwise get one session per event).
	 */
	if (started && s->ready_head != NULL && scheduler_has_room(s))
		scheduler_wake(s);
}

static void scheduler_pump(uv_idle_t *idle)
{
	struct scheduler *s = idle->data;
	uv_idle_stop(idle);
	s->pump_pending = false;
	scheduler_feed(s);
	scheduler_dispatch(s);
	if (scheduler_finished(s)) {
		uv_timer_stop(&s->pump_timer);
		uv_timer_stop(&s->grace_timer);
	}
}

static void scheduler_wake(struct scheduler *s)
{
	if (s->pump_pending)
		return;
	s->pump_pending = true;
	uv_idle_start(&s->pump_idle, scheduler_pump);
}

int scheduler_init(struct scheduler *s, uv_loop_t *loop, const struct scan_options *opt,
		   struct tls_ctx *tls, struct dns *dns, struct scan_result *result,
		   const struct report_options *report)
{
	memset(s, 0, sizeof(*s));
	s->loop = loop;
	s->opt = opt;
	s->tls = tls;
	s->dns = dns;
	s->result = result;
	s->report = report;
	s->syslog = syslog_sink_open(&opt->syslog, result->scan_id, stderr);
	for (size_t i = 0; i < result->ndomains; i++)
		syslog_sink_send_domain(s->syslog, result->domains[i]);
	target_iter_init(&s->iter);
	s->may_repeat = target_list_may_repeat(&opt->targets);
	uv_timer_init(loop, &s->pump_timer);
	uv_idle_init(loop, &s->pump_idle);
	uv_timer_init(loop, &s->grace_timer);
	s->grace_timer.data = s;
	s->pump_timer.data = s;
	s->pump_idle.data = s;
	s->tokens = 1;
	s->tokens_at_ms = uv_now(loop);
	return 0;
}

void scheduler_set_finish_hook(struct scheduler *s, scheduler_finish_hook hook, void *arg)
{
	s->finish_hook = hook;
	s->finish_arg = arg;
}

void scheduler_start(struct scheduler *s)
{
	scheduler_wake(s);
}

void scheduler_close(struct scheduler *s)
{
	syslog_sink_close(s->syslog);
	struct scheduler_host *h, *htmp;
	struct scheduler_seen *e, *etmp;
	uv_close((uv_handle_t *)&s->pump_timer, NULL);
	uv_close((uv_handle_t *)&s->pump_idle, NULL);
	uv_close((uv_handle_t *)&s->grace_timer, NULL);
	HASH_ITER(hh, s->hosts, h, htmp) {
		HASH_DEL(s->hosts, h);
		free(h);
	}
	HASH_ITER(hh, s->seen, e, etmp) {
		HASH_DEL(s->seen, e);
		free(e);
	}
}
