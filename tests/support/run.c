/*
 * NAME
 *	run - run a command with a time bound and capture what it prints
 *
 * DESCRIPTION
 *	See run.h. One poll loop moves stdin_text into the child and its
 *	output into two growing buffers; waitpid(WNOHANG) after every wake-up
 *	notices the exit. SIGPIPE is ignored while the loop runs (a child
 *	that does not read its stdin must not kill the test) and restored
 *	afterwards; the child gets the default back before exec.
 *
 *	Spawned servers are kept in a small table for the atexit handler; it
 *	is the only global state and lives in the test process only.
 */
#include "run.h"

#include <assert.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "sa_error.h"

#define RUN_CAPTURE_MAX (64u * 1024 * 1024)
#define RUN_DRAIN_S     1.0
#define RUN_POLL_MS     20
#define RUN_SPAWNED_MAX 64
#define RUN_WAIT_MS     5

struct run_capture {
	int fd;
	char *data;
	size_t len, cap;
};

struct run_child {
	pid_t pid;
	int in_fd;
	const char *in_text;
	size_t in_left;
	struct run_capture out, err;
	bool exited;
	int status;
};

double run_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void run_close(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/* Appends what fits under the cap; the rest is dropped. */
static int run_capture_append(struct run_capture *c, const char *buf, size_t n)
{
	size_t room = c->len < RUN_CAPTURE_MAX ? RUN_CAPTURE_MAX - c->len : 0;
	if (n > room)
		n = room;
	if (c->len + n + 1 > c->cap) {
		size_t cap = c->cap ? c->cap : 4096;
		while (cap < c->len + n + 1)
			cap *= 2;
		char *p = realloc(c->data, cap);
		if (p == NULL)
			return SA_ERROR_NOMEM;
		c->data = p;
		c->cap = cap;
	}
	memcpy(c->data + c->len, buf, n);
	c->len += n;
	c->data[c->len] = '\0';
	return 0;
}

/* Reads what is there; the descriptor is closed at EOF or error. */
static int run_capture_read(struct run_capture *c)
{
	char buf[65536];
	ssize_t n = read(c->fd, buf, sizeof(buf));
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return 0;
	if (n <= 0) {
		run_close(&c->fd);
		return 0;
	}
	return run_capture_append(c, buf, (size_t)n);
}

static void run_feed_stdin(struct run_child *ch)
{
	ssize_t n = write(ch->in_fd, ch->in_text, ch->in_left);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		run_close(&ch->in_fd);
		return;
	}
	ch->in_text += n;
	ch->in_left -= (size_t)n;
	if (ch->in_left == 0)
		run_close(&ch->in_fd);
}

static _Noreturn void run_exec_child(const char *const argv[], int in_fd, int out_fd, int err_fd)
{
	setpgid(0, 0);
	signal(SIGPIPE, SIG_DFL);
	if (dup2(in_fd, STDIN_FILENO) < 0 || dup2(out_fd, STDOUT_FILENO) < 0 ||
	    dup2(err_fd, STDERR_FILENO) < 0)
		_exit(127);
	execvp(argv[0], (char *const *)argv);
	dprintf(STDERR_FILENO, "run_command: cannot run %s: %s\n", argv[0], strerror(errno));
	_exit(127);
}

static int run_pipe(int fds[2])
{
	return pipe2(fds, O_CLOEXEC) == 0 ? 0 : SA_ERROR_IO;
}

/* Forks the child with its three pipes (stdin from /dev/null when there is no text). */
static int run_start_child(const char *const argv[], const char *stdin_text, struct run_child *ch)
{
	int in[2] = {-1, -1}, out[2] = {-1, -1}, err[2] = {-1, -1};
	int rc = stdin_text != NULL ? run_pipe(in) : 0;
	if (stdin_text == NULL && (in[0] = open("/dev/null", O_RDONLY | O_CLOEXEC)) < 0)
		rc = SA_ERROR_IO;
	if (rc == 0)
		rc = run_pipe(out);
	if (rc == 0)
		rc = run_pipe(err);
	if (rc == 0) {
		ch->pid = fork();
		if (ch->pid == 0)
			run_exec_child(argv, in[0], out[1], err[1]);
		if (ch->pid < 0)
			rc = SA_ERROR_IO;
		else
			setpgid(ch->pid, ch->pid);
	}
	run_close(&in[0]);
	run_close(&out[1]);
	run_close(&err[1]);
	if (rc != 0) {
		run_close(&in[1]);
		run_close(&out[0]);
		run_close(&err[0]);
		return rc;
	}
	ch->in_fd = in[1];
	ch->out.fd = out[0];
	ch->err.fd = err[0];
	if (ch->in_fd >= 0)
		fcntl(ch->in_fd, F_SETFL, O_NONBLOCK);
	return 0;
}

static void run_reap(struct run_child *ch, bool block)
{
	if (ch->exited)
		return;
	pid_t got;
	do
		got = waitpid(ch->pid, &ch->status, block ? 0 : WNOHANG);
	while (got < 0 && errno == EINTR);
	ch->exited = got == ch->pid;
}

/* One poll round over the open descriptors; *any_open tells whether output may still come. */
static int run_poll_once(struct run_child *ch, bool *any_open)
{
	struct pollfd pfd[3];
	struct run_capture *target[3];
	nfds_t n = 0;
	struct run_capture *captures[] = {&ch->out, &ch->err};
	for (size_t i = 0; i < 2; i++) {
		if (captures[i]->fd < 0)
			continue;
		target[n] = captures[i];
		pfd[n++] = (struct pollfd){.fd = captures[i]->fd, .events = POLLIN};
	}
	*any_open = n > 0;
	if (ch->in_fd >= 0) {
		target[n] = NULL;
		pfd[n++] = (struct pollfd){.fd = ch->in_fd, .events = POLLOUT};
	}
	if (n == 0 || poll(pfd, n, RUN_POLL_MS) <= 0)
		return 0;
	int rc = 0;
	for (nfds_t i = 0; i < n && rc == 0; i++) {
		if (pfd[i].revents == 0)
			continue;
		if (target[i] == NULL)
			run_feed_stdin(ch);
		else
			rc = run_capture_read(target[i]);
	}
	return rc;
}

/* Runs until the child exited and its pipes closed, or a deadline passed. */
static int run_loop(struct run_child *ch, double timeout_s, double start, bool *timed_out)
{
	double drain_until = 0;
	for (;;) {
		bool any_open;
		int rc = run_poll_once(ch, &any_open);
		if (rc != 0)
			return rc;
		run_reap(ch, false);
		double now = run_now();
		if (ch->exited && !any_open)
			return 0;
		if (ch->exited && drain_until == 0)
			drain_until = now + RUN_DRAIN_S;
		if (ch->exited && now >= drain_until)
			return 0;
		if (!ch->exited && now - start >= timeout_s) {
			*timed_out = true;
			return 0;
		}
		if (!any_open && !ch->exited) {
			struct timespec pause = {.tv_nsec = RUN_POLL_MS * 1000000L};
			nanosleep(&pause, NULL);
		}
	}
}

static void run_fill_result(struct run_child *ch, struct run_result *r)
{
	if (WIFEXITED(ch->status)) {
		r->exit_code = WEXITSTATUS(ch->status);
	} else {
		r->exit_code = -1;
		r->signal = WIFSIGNALED(ch->status) ? WTERMSIG(ch->status) : 0;
	}
	r->out = ch->out.data;
	r->err = ch->err.data;
	ch->out.data = ch->err.data = NULL;
}

int run_command(const char *const argv[], double timeout_s, const char *stdin_text,
                struct run_result *r)
{
	struct run_child ch = {.in_fd = -1, .out.fd = -1, .err.fd = -1};
	struct sigaction ignore = {.sa_handler = SIG_IGN}, old;
	*r = (struct run_result){0};
	ch.in_text = stdin_text;
	ch.in_left = stdin_text != NULL ? strlen(stdin_text) : 0;
	double start = run_now();

	sigaction(SIGPIPE, &ignore, &old);
	int rc = run_start_child(argv, stdin_text, &ch);
	if (rc == 0 && ch.in_fd >= 0 && ch.in_left == 0)
		run_close(&ch.in_fd);
	if (rc == 0) {
		rc = run_loop(&ch, timeout_s, start, &r->timed_out);
		/*
		 * What is left of the group goes: the child on timeout, or grandchildren
		 * still holding the pipes (which keeps the group id from being reused).
		 */
		if (!ch.exited || ch.out.fd >= 0 || ch.err.fd >= 0)
			kill(-ch.pid, SIGKILL);
		run_reap(&ch, true);
	}
	sigaction(SIGPIPE, &old, NULL);
	run_close(&ch.in_fd);
	run_close(&ch.out.fd);
	run_close(&ch.err.fd);
	if (rc == 0 && (rc = run_capture_append(&ch.out, "", 0)) == 0)
		rc = run_capture_append(&ch.err, "", 0);
	if (rc == 0)
		run_fill_result(&ch, r);
	free(ch.out.data);
	free(ch.err.data);
	r->seconds = run_now() - start;
	return rc;
}

void run_result_free(struct run_result *r)
{
	free(r->out);
	free(r->err);
	*r = (struct run_result){0};
}

/* ---- servers in the background ---- */

/* Started and not yet reaped, for the atexit handler. */
struct run_spawned {
	pid_t pid;
	char dir[256];
};

static struct run_spawned run_spawned[RUN_SPAWNED_MAX];
static bool run_atexit_registered;

void run_pause_ms(long ms)
{
	struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = ms % 1000 * 1000000L};
	nanosleep(&ts, NULL);
}

int run_make_dir(char *dir, size_t dirlen, const char *prefix)
{
	const char *tmp = getenv("TMPDIR");
	snprintf(dir, dirlen, "%s/%s-XXXXXX", tmp != NULL && tmp[0] != '\0' ? tmp : "/tmp", prefix);
	if (mkdtemp(dir) == NULL) {
		dir[0] = '\0';
		return SA_ERROR_IO;
	}
	return 0;
}

void run_remove_dir(const char *dir)
{
	char path[600];
	DIR *d = opendir(dir);
	if (d != NULL) {
		struct dirent *e;
		while ((e = readdir(d)) != NULL) {
			if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
				continue;
			snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
			unlink(path);
		}
		closedir(d);
	}
	rmdir(dir);
}

/* What a test left running when it ended without stopping it (a failed assertion). */
static void run_kill_spawned(void)
{
	for (size_t i = 0; i < RUN_SPAWNED_MAX; i++) {
		if (run_spawned[i].pid <= 0)
			continue;
		kill(-run_spawned[i].pid, SIGKILL);
		waitpid(run_spawned[i].pid, NULL, 0);
		run_remove_dir(run_spawned[i].dir);
		run_spawned[i].pid = 0;
	}
}

static void run_register(pid_t pid, const char *dir)
{
	if (!run_atexit_registered)
		run_atexit_registered = atexit(run_kill_spawned) == 0;
	for (size_t i = 0; i < RUN_SPAWNED_MAX; i++) {
		if (run_spawned[i].pid == 0) {
			run_spawned[i].pid = pid;
			snprintf(run_spawned[i].dir, sizeof(run_spawned[i].dir), "%s", dir);
			return;
		}
	}
}

static void run_unregister(pid_t *pid)
{
	for (size_t i = 0; i < RUN_SPAWNED_MAX; i++)
		if (run_spawned[i].pid == *pid)
			run_spawned[i].pid = 0;
	*pid = 0;
}

static _Noreturn void run_exec_spawned(char *const argv[], const char *dir, pid_t parent)
{
	char path[320];
	snprintf(path, sizeof(path), "%s/stderr", dir);
	setpgid(0, 0);
	/* The server dies with the test process, however that ends. */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(127);
	if (freopen("/dev/null", "r", stdin) == NULL || freopen(path, "w", stdout) == NULL ||
	    dup2(fileno(stdout), STDERR_FILENO) < 0)
		_exit(127);
	signal(SIGPIPE, SIG_DFL);
	execv(argv[0], argv);
	_exit(127);
}

int run_spawn(char *const argv[], const char *dir, pid_t *pid)
{
	pid_t parent = getpid();
	fflush(NULL);
	*pid = fork();
	if (*pid == 0)
		run_exec_spawned(argv, dir, parent);
	if (*pid < 0) {
		*pid = 0;
		return SA_ERROR_IO;
	}
	setpgid(*pid, *pid);
	run_register(*pid, dir);
	return 0;
}

bool run_reaped(pid_t *pid, int *status)
{
	assert(*pid > 0);
	pid_t got = waitpid(*pid, status, WNOHANG);
	if (got != *pid && !(got < 0 && errno == ECHILD))
		return false;
	run_unregister(pid);
	return true;
}

int run_signal(pid_t *pid, int sig, double timeout_s, int *status)
{
	kill(*pid, sig);
	double deadline = run_now() + timeout_s;
	do {
		if (run_reaped(pid, status))
			return 0;
		run_pause_ms(RUN_WAIT_MS);
	} while (run_now() < deadline);
	return SA_ERROR_TIMEOUT;
}

void run_stop(pid_t *pid, double timeout_s)
{
	if (*pid <= 0 || run_signal(pid, SIGTERM, timeout_s, NULL) == 0)
		return;
	kill(-*pid, SIGKILL);
	waitpid(*pid, NULL, 0);
	run_unregister(pid);
}

void run_show_stderr(const char *dir, const char *who)
{
	char path[320], line[512];
	snprintf(path, sizeof(path), "%s/stderr", dir);
	FILE *f = fopen(path, "r");
	if (f == NULL)
		return;
	while (fgets(line, sizeof(line), f) != NULL)
		fprintf(stderr, "%s said: %s", who, line);
	fclose(f);
}

static bool run_proc_stat(const char *pid, pid_t *pgid, char *state)
{
	char path[64], buf[512];
	snprintf(path, sizeof(path), "/proc/%s/stat", pid);
	FILE *f = fopen(path, "r");
	if (f == NULL)
		return false;
	bool ok = fgets(buf, sizeof(buf), f) != NULL;
	fclose(f);
	const char *end = ok ? strrchr(buf, ')') : NULL;
	int ppid, group;
	if (end == NULL || sscanf(end + 1, " %c %d %d", state, &ppid, &group) != 3)
		return false;
	*pgid = group;
	return true;
}

int run_group_processes(pid_t pgid)
{
	/* Group 0 would be the kernel's threads. */
	if (pgid <= 0)
		return 0;
	DIR *proc = opendir("/proc");
	if (proc == NULL)
		return 0;
	int count = 0;
	const struct dirent *e;
	while ((e = readdir(proc)) != NULL) {
		pid_t group;
		char state;
		if (isdigit((unsigned char)e->d_name[0]) &&
		    run_proc_stat(e->d_name, &group, &state) && group == pgid && state != 'Z' &&
		    state != 'X')
			count++;
	}
	closedir(proc);
	return count;
}
