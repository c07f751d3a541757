/*
 * NAME
 *	lab - start and stop smtp-lab from an integration test
 *
 * DESCRIPTION
 *	See lab.h. Running labs are kept in a small table so the atexit
 *	handler can kill whatever a test forgot; the table is the only
 *	global state and lives in the test process only.
 */
#include "lab.h"

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "sa_error.h"

#define LAB_RUNNING_MAX 64
#define LAB_POLL_MS     5
#define LAB_LINE_MAX    256

/* Labs started and not yet stopped, for the atexit handler. */
struct lab_running {
	pid_t pid;
	char dir[256];
};

static struct lab_running lab_running[LAB_RUNNING_MAX];
static bool lab_atexit_registered;

static double lab_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void lab_pause(void)
{
	struct timespec ts = {.tv_nsec = LAB_POLL_MS * 1000000L};
	nanosleep(&ts, NULL);
}

static void lab_path(const struct lab *lab, const char *name, char *buf, size_t buflen)
{
	snprintf(buf, buflen, "%s/%s", lab->dir, name);
}

/* The lab's files and whatever a test put next to them (the directory is the test's too). */
static void lab_remove_files(const char *dir)
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

static void lab_remove_dir(struct lab *lab)
{
	if (lab->dir[0] == '\0')
		return;
	lab_remove_files(lab->dir);
	lab->dir[0] = '\0';
}

/* What a test left running when it ended without lab_stop() (a failed assertion). */
static void lab_kill_all(void)
{
	for (size_t i = 0; i < LAB_RUNNING_MAX; i++) {
		if (lab_running[i].pid <= 0)
			continue;
		kill(-lab_running[i].pid, SIGKILL);
		waitpid(lab_running[i].pid, NULL, 0);
		lab_remove_files(lab_running[i].dir);
		lab_running[i].pid = 0;
	}
}

static void lab_register(const struct lab *lab)
{
	if (!lab_atexit_registered)
		lab_atexit_registered = atexit(lab_kill_all) == 0;
	for (size_t i = 0; i < LAB_RUNNING_MAX; i++) {
		if (lab_running[i].pid == 0) {
			lab_running[i].pid = lab->pid;
			snprintf(lab_running[i].dir, sizeof(lab_running[i].dir), "%s", lab->dir);
			return;
		}
	}
}

static void lab_unregister(pid_t pid)
{
	for (size_t i = 0; i < LAB_RUNNING_MAX; i++)
		if (lab_running[i].pid == pid)
			lab_running[i].pid = 0;
}

/* Copies the lab's stderr to ours: the reason a start failed. */
static void lab_show_stderr(const struct lab *lab)
{
	char path[320], line[LAB_LINE_MAX];
	lab_path(lab, "stderr", path, sizeof(path));
	FILE *f = fopen(path, "r");
	if (f == NULL)
		return;
	while (fgets(line, sizeof(line), f) != NULL)
		fprintf(stderr, "smtp-lab said: %s", line);
	fclose(f);
}

static _Noreturn void lab_exec(const struct lab *lab, char **argv, pid_t parent)
{
	char path[320];
	setpgid(0, 0);
	/* The lab dies with the test process, however that ends. */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(127);
	lab_path(lab, "stderr", path, sizeof(path));
	if (freopen("/dev/null", "r", stdin) == NULL || freopen(path, "w", stdout) == NULL ||
	    dup2(fileno(stdout), STDERR_FILENO) < 0)
		_exit(127);
	signal(SIGPIPE, SIG_DFL);
	execv(argv[0], argv);
	_exit(127);
}

static char **lab_argv(const struct lab *lab, const char *const specs[], size_t nspecs,
                       const char *const extra[], char *ready)
{
	size_t nextra = 0;
	while (extra != NULL && extra[nextra] != NULL)
		nextra++;
	char **argv = calloc(6 + 2 * nspecs + nextra, sizeof(*argv));
	if (argv == NULL)
		return NULL;
	size_t n = 0;
	argv[n++] = (char *)SA_LAB_BIN;
	argv[n++] = (char *)"--log";
	argv[n++] = (char *)lab->log_path;
	argv[n++] = (char *)"--ready-file";
	argv[n++] = ready;
	for (size_t i = 0; i < nspecs; i++) {
		argv[n++] = (char *)"--listen";
		argv[n++] = (char *)specs[i];
	}
	for (size_t i = 0; i < nextra; i++)
		argv[n++] = (char *)extra[i];
	argv[n] = NULL;
	return argv;
}

static int lab_parse_ready(struct lab *lab, const char *path)
{
	char line[LAB_LINE_MAX], mode[8];
	FILE *f = fopen(path, "r");
	if (f == NULL)
		return SA_ERROR_IO;
	int rc = 0;
	lab->nlisteners = 0;
	while (rc == 0 && fgets(line, sizeof(line), f) != NULL) {
		struct lab_listener *l = &lab->listeners[lab->nlisteners];
		if (lab->nlisteners == LAB_MAX_LISTENERS ||
		    sscanf(line, "%63s %hu %31s %7s", l->address, &l->port, l->persona, mode) !=
		        4) {
			rc = SA_ERROR_PARSE;
			break;
		}
		l->tls = strcmp(mode, "tls") == 0;
		lab->nlisteners++;
	}
	fclose(f);
	return rc;
}

/* Waits for the ready file, or for the lab to die. */
static int lab_wait_ready(struct lab *lab, const char *ready)
{
	double deadline = lab_now() + LAB_START_TIMEOUT_S;
	while (lab_now() < deadline) {
		if (access(ready, F_OK) == 0)
			return lab_parse_ready(lab, ready);
		if (waitpid(lab->pid, NULL, WNOHANG) == lab->pid) {
			lab_unregister(lab->pid);
			lab->pid = 0;
			return SA_ERROR_IO;
		}
		lab_pause();
	}
	return SA_ERROR_TIMEOUT;
}

static int lab_make_dir(struct lab *lab)
{
	const char *tmp = getenv("TMPDIR");
	snprintf(lab->dir, sizeof(lab->dir), "%s/smtp-lab-XXXXXX",
	         tmp != NULL && tmp[0] != '\0' ? tmp : "/tmp");
	if (mkdtemp(lab->dir) == NULL) {
		lab->dir[0] = '\0';
		return SA_ERROR_IO;
	}
	lab_path(lab, "log", lab->log_path, sizeof(lab->log_path));
	return 0;
}

int lab_start(struct lab *lab, const char *const listen_specs[], size_t nspecs,
              const char *const extra_args[])
{
	char ready[320];
	*lab = (struct lab){0};
	if (nspecs == 0 || nspecs > LAB_MAX_LISTENERS)
		return SA_ERROR_INVAL;
	int rc = lab_make_dir(lab);
	if (rc != 0)
		return rc;
	lab_path(lab, "ready", ready, sizeof(ready));
	char **argv = lab_argv(lab, listen_specs, nspecs, extra_args, ready);
	if (argv == NULL) {
		lab_remove_dir(lab);
		return SA_ERROR_NOMEM;
	}
	pid_t parent = getpid();
	fflush(NULL);
	lab->pid = fork();
	if (lab->pid == 0)
		lab_exec(lab, argv, parent);
	free(argv);
	if (lab->pid < 0) {
		lab->pid = 0;
		lab_remove_dir(lab);
		return SA_ERROR_IO;
	}
	setpgid(lab->pid, lab->pid);
	lab_register(lab);
	rc = lab_wait_ready(lab, ready);
	if (rc != 0) {
		lab_show_stderr(lab);
		lab_stop(lab);
	}
	return rc;
}

const char *lab_target(const struct lab *lab, const char *persona, char *buf, size_t buflen)
{
	for (size_t i = 0; i < lab->nlisteners; i++) {
		const struct lab_listener *l = &lab->listeners[i];
		if (strcmp(l->persona, persona) != 0)
			continue;
		const char *addr = l->address;
		if (strcmp(addr, "0.0.0.0") == 0)
			addr = "127.0.0.1";
		else if (strcmp(addr, "::") == 0)
			addr = "::1";
		bool v6 = strchr(addr, ':') != NULL;
		snprintf(buf, buflen, "%s%s%s:%u", v6 ? "[" : "", addr, v6 ? "]" : "",
		         (unsigned)l->port);
		return buf;
	}
	return NULL;
}

int lab_signal(struct lab *lab, int sig, double timeout_s, int *status)
{
	if (lab->pid <= 0)
		return SA_ERROR_INVAL;
	kill(lab->pid, sig);
	double deadline = lab_now() + timeout_s;
	do {
		pid_t got = waitpid(lab->pid, status, WNOHANG);
		if (got == lab->pid || (got < 0 && errno == ECHILD)) {
			lab_unregister(lab->pid);
			lab->pid = 0;
			return 0;
		}
		lab_pause();
	} while (lab_now() < deadline);
	return SA_ERROR_TIMEOUT;
}

void lab_stop(struct lab *lab)
{
	int status;
	if (lab->pid > 0 && lab_signal(lab, SIGTERM, LAB_STOP_TIMEOUT_S, &status) != 0) {
		kill(-lab->pid, SIGKILL);
		waitpid(lab->pid, NULL, 0);
		lab_unregister(lab->pid);
		lab->pid = 0;
	}
	lab_remove_dir(lab);
}

char *lab_log(const struct lab *lab)
{
	FILE *f = fopen(lab->log_path, "r");
	if (f == NULL)
		return strdup("");
	char *data = NULL;
	size_t len = 0, cap = 0;
	for (;;) {
		if (len + 4096 + 1 > cap) {
			cap = cap ? cap * 2 : 65536;
			char *p = realloc(data, cap);
			if (p == NULL) {
				free(data);
				fclose(f);
				return NULL;
			}
			data = p;
		}
		size_t n = fread(data + len, 1, cap - len - 1, f);
		len += n;
		if (n == 0)
			break;
	}
	fclose(f);
	data[len] = '\0';
	return data;
}

size_t lab_log_count(const struct lab *lab, const char *needle)
{
	char *log = lab_log(lab);
	size_t count = 0;
	if (log == NULL)
		return 0;
	for (char *line = log; *line != '\0';) {
		char *end = strchr(line, '\n');
		if (end != NULL)
			*end = '\0';
		if (strstr(line, needle) != NULL)
			count++;
		if (end == NULL)
			break;
		line = end + 1;
	}
	free(log);
	return count;
}

bool lab_log_wait(const struct lab *lab, const char *needle, size_t count, double timeout_s)
{
	double deadline = lab_now() + timeout_s;
	for (;;) {
		if (lab_log_count(lab, needle) >= count)
			return true;
		if (lab_now() >= deadline)
			return false;
		lab_pause();
	}
}
