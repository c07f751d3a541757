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
 * DIAGNOSTICS
 *	0, or SA_ERROR_IO (pipe or fork failed), SA_ERROR_NOMEM.
 */
#ifndef RUN_H
#define RUN_H

#include <stdbool.h>

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

#endif
