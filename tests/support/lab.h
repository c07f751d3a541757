/*
 * NAME
 *	lab - start and stop smtp-lab from an integration test
 *
 * SUMMARY
 *	struct lab lab;
 *	const char *specs[] = {"127.0.0.1:0=hardened", "[::1]:0=open-relay,tls"};
 *	cr_assert_eq(lab_start(&lab, specs, 2, NULL), 0);
 *	char target[80];
 *	lab_target(&lab, "hardened", target, sizeof(target));   -> "127.0.0.1:40123"
 *	... run the scanner against target ...
 *	cr_assert_eq(lab_log_count(&lab, " C: DATA"), 0);
 *	lab_stop(&lab);
 *
 * DESCRIPTION
 *	lab_start() runs SA_LAB_BIN in its own process group with --log and
 *	--ready-file in a fresh temporary directory and waits (at most
 *	LAB_START_TIMEOUT_S) for the ready file, which gives the real ports.
 *	The lab's stderr goes to a file in that directory and is copied to
 *	the test's stderr when the lab fails to start. A test may keep its own
 *	scratch files in lab.dir: lab_stop() removes the directory whole.
 *
 *	A lab never outlives its test: it is registered with an atexit
 *	handler that kills it, and it is started with PR_SET_PDEATHSIG, so a
 *	test process that crashes or is killed by criterion's .timeout takes
 *	its lab with it. Tests should still call lab_stop() (in .fini or at
 *	the end).
 *
 * DIAGNOSTICS
 *	lab_start() returns 0, SA_ERROR_INVAL (no spec or too many),
 *	SA_ERROR_IO (temporary directory, fork, or the lab exited at once),
 *	SA_ERROR_TIMEOUT (no ready file in time) or SA_ERROR_PARSE (a bad
 *	ready file); on error nothing is left running.
 */
#ifndef LAB_H
#define LAB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define LAB_MAX_LISTENERS   64
#define LAB_START_TIMEOUT_S 10.0
#define LAB_STOP_TIMEOUT_S  5.0

struct lab_listener {
	char address[64];
	uint16_t port;
	char persona[32];
	bool tls;
};

struct lab {
	pid_t pid;
	char dir[256];
	char log_path[300];
	size_t nlisteners;
	struct lab_listener listeners[LAB_MAX_LISTENERS];
};

/*
 * Starts SA_LAB_BIN with "--listen" for each spec, plus extra_args
 * (NULL-terminated, may be NULL), a fresh temp dir for --log/--ready-file;
 * waits (bounded, 10 s) for the ready file. Returns 0 or an error (and
 * leaves nothing running).
 */
int lab_start(struct lab *lab, const char *const listen_specs[], size_t nspecs,
              const char *const extra_args[]);

/* "127.0.0.1:PORT" / "[::1]:PORT" of the first listener with that persona, into buf; NULL if none.
 */
const char *lab_target(const struct lab *lab, const char *persona, char *buf, size_t buflen);

/* SIGTERM, wait up to 5 s, then SIGKILL; removes the temp dir. Safe to call twice. */
void lab_stop(struct lab *lab);

/*
 * Sends sig to the lab and waits up to timeout_s for it to exit: 0 with
 * its wait status in *status (the lab is then gone: lab->pid is 0), or
 * SA_ERROR_TIMEOUT with the lab still running, or SA_ERROR_INVAL when no
 * lab runs. For tests of the lab's own signal handling.
 */
int lab_signal(struct lab *lab, int sig, double timeout_s, int *status);

/* The whole command log (malloc'ed), "" if empty. */
char *lab_log(const struct lab *lab);

/* Count of log lines containing needle. */
size_t lab_log_count(const struct lab *lab, const char *needle);

/*
 * Waits up to timeout_s until at least count log lines contain needle
 * (the lab logs asynchronously to what a client sees, e.g. CLOSE).
 */
bool lab_log_wait(const struct lab *lab, const char *needle, size_t count, double timeout_s);

#endif
