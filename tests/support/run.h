/*
 * NAME
 *	run - run a command with a time bound and capture what it prints
 *
 * SUMMARY
 *	struct run_result r;
 *	const char *argv[] = {SA_AUDIT_BIN, "--help", NULL};
 *	if (run_command(argv, 10, NULL, &r) == 0) { ... r.exit_code, r.out ...; }
 *	run_result_free(&r);
 *
 * DESCRIPTION
 *	The command runs in its own process group with stdin from stdin_text
 *	(or /dev/null) and stdout/stderr captured, each up to 64 MiB (the
 *	rest is read and dropped). After timeout_s the whole group is killed
 *	with SIGKILL and timed_out is set. Once the command has exited, its
 *	pipes are drained for at most a second more: a background grandchild
 *	that keeps them open is killed with the group.
 *
 *	Servers a test starts (smtp-lab, rsyslogd) use the run_spawn() family
 *	instead: the server runs in its own process group in the background,
 *	stdin from /dev/null and stdout and stderr into DIR/stderr (a private
 *	directory from run_make_dir()), and dies with the test process
 *	(PR_SET_PDEATHSIG). It is stopped by pid with bounded waits:
 *	run_stop() sends SIGTERM, waits, then kills the group with SIGKILL.
 *	Until it is reaped, its pid and directory are kept for an atexit
 *	handler that kills and removes whatever a failed test left behind.
 *
 * DIAGNOSTICS
 *	0, or SA_ERROR_IO (pipe or fork failed), SA_ERROR_NOMEM;
 *	run_signal() returns SA_ERROR_TIMEOUT when the process outlives
 *	timeout_s.
 */
#ifndef RUN_H
#define RUN_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct run_result {
	int exit_code; /* -1 if killed by a signal */
	int signal;
	bool timed_out;
	char *out;
	char *err;
	double seconds;
};

/*
 * Runs argv[0] (a path, or a name looked up in PATH) with argv (NULL-terminated), stdin from
 * stdin_text (NULL: /dev/null), captures stdout/stderr (cap each at 64 MiB), kills the process
 * group with SIGKILL after timeout_s. Returns 0 or a negative SA_ERROR_*.
 */
int run_command(const char *const argv[], double timeout_s, const char *stdin_text,
                struct run_result *r);
void run_result_free(struct run_result *r);

/* Seconds on the monotonic clock. */
double run_now(void);

/* Sleeps ms milliseconds: the step of a bounded polling wait. */
void run_pause_ms(long ms);

/* Creates $TMPDIR/PREFIX-XXXXXX (/tmp without TMPDIR) into dir; "" and SA_ERROR_IO on failure. */
int run_make_dir(char *dir, size_t dirlen, const char *prefix);

/* Removes the files in dir, then dir. */
void run_remove_dir(const char *dir);

/* Starts argv[0] (a path) in the background as described above; *pid is 0 when it failed. */
int run_spawn(char *const argv[], const char *dir, pid_t *pid);

/* Without waiting: true, and *pid is 0, once the process has exited and was reaped. */
bool run_reaped(pid_t *pid, int *status);

/* Sends sig to the process and waits at most timeout_s for it to exit (then *pid is 0). */
int run_signal(pid_t *pid, int sig, double timeout_s, int *status);

/* SIGTERM, a wait of at most timeout_s, then SIGKILL to the group; *pid is 0 after. */
void run_stop(pid_t *pid, double timeout_s);

/* Copies DIR/stderr to our stderr, each line after "WHO said: " (why a start failed). */
void run_show_stderr(const char *dir, const char *who);

/* Live (not zombie) processes whose process group is pgid (a Postfix instance's is its pid). */
int run_group_processes(pid_t pgid);

#endif
