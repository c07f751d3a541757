/*
 * NAME
 *	rsyslog - a real rsyslogd on loopback that writes what it receives to a file
 *
 * DESCRIPTION
 *	See rsyslog.h. Running instances are kept in a small table for the
 *	atexit handler; it is the only global state and lives in the test
 *	process only.
 */
#include "rsyslog.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "sa_error.h"

#define RSYSLOG_RUNNING_MAX    8
#define RSYSLOG_POLL_MS        20
#define RSYSLOG_MARKER_EVERY_S 0.5

struct rsyslog_running {
	pid_t pid;
	char dir[256];
};

static struct rsyslog_running rsyslog_running[RSYSLOG_RUNNING_MAX];
static bool rsyslog_atexit_registered;

static double rsyslog_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void rsyslog_pause(void)
{
	struct timespec ts = {.tv_nsec = RSYSLOG_POLL_MS * 1000000L};
	nanosleep(&ts, NULL);
}

static void rsyslog_remove_dir(const char *dir)
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

static void rsyslog_kill_all(void)
{
	for (size_t i = 0; i < RSYSLOG_RUNNING_MAX; i++) {
		if (rsyslog_running[i].pid <= 0)
			continue;
		kill(-rsyslog_running[i].pid, SIGKILL);
		waitpid(rsyslog_running[i].pid, NULL, 0);
		rsyslog_remove_dir(rsyslog_running[i].dir);
		rsyslog_running[i].pid = 0;
	}
}

static void rsyslog_register(const struct rsyslog *rs)
{
	if (!rsyslog_atexit_registered)
		rsyslog_atexit_registered = atexit(rsyslog_kill_all) == 0;
	for (size_t i = 0; i < RSYSLOG_RUNNING_MAX; i++) {
		if (rsyslog_running[i].pid == 0) {
			rsyslog_running[i].pid = rs->pid;
			snprintf(rsyslog_running[i].dir, sizeof(rsyslog_running[i].dir), "%s",
			         rs->dir);
			return;
		}
	}
}

static void rsyslog_unregister(pid_t pid)
{
	for (size_t i = 0; i < RSYSLOG_RUNNING_MAX; i++)
		if (rsyslog_running[i].pid == pid)
			rsyslog_running[i].pid = 0;
}

bool rsyslog_available(void)
{
	if (access(RSYSLOG_BIN, X_OK) != 0)
		return false;
	return system(RSYSLOG_BIN " -v >/dev/null 2>&1") == 0;
}

/* A port that was free a moment ago (rsyslogd binds it next; a clash fails the start). */
static int rsyslog_free_port(int type, uint16_t *port)
{
	int fd = socket(AF_INET, type | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return SA_ERROR_IO;
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t alen = sizeof(a);
	int rc = bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0 &&
	                 getsockname(fd, (struct sockaddr *)&a, &alen) == 0
	             ? 0
	             : SA_ERROR_IO;
	*port = ntohs(a.sin_port);
	close(fd);
	return rc;
}

static int rsyslog_write_config(const struct rsyslog *rs, const char *path)
{
	FILE *f = fopen(path, "w");
	if (f == NULL)
		return SA_ERROR_IO;
	fprintf(f,
	        "global(workDirectory=\"%s\" maxMessageSize=\"64k\")\n"
	        "module(load=\"imudp\")\n"
	        "module(load=\"imtcp\")\n"
	        "template(name=\"raw\" type=\"string\" string=\"%%rawmsg%%\\n\")\n"
	        "input(type=\"imudp\" address=\"127.0.0.1\" port=\"%u\" ruleset=\"collect\")\n"
	        "input(type=\"imtcp\" address=\"127.0.0.1\" port=\"%u\" ruleset=\"collect\"\n"
	        "      supportOctetCountedFraming=\"on\")\n"
	        "ruleset(name=\"collect\") {\n"
	        "  action(type=\"omfile\" file=\"%s\" template=\"raw\" flushOnTXEnd=\"on\")\n"
	        "}\n",
	        rs->dir, (unsigned)rs->udp_port, (unsigned)rs->tcp_port, rs->messages_path);
	return fclose(f) == 0 ? 0 : SA_ERROR_IO;
}

static _Noreturn void rsyslog_exec(const struct rsyslog *rs, pid_t parent)
{
	char conf[320], pidfile[320], err[320];
	snprintf(conf, sizeof(conf), "%s/rsyslog.conf", rs->dir);
	snprintf(pidfile, sizeof(pidfile), "%s/rsyslogd.pid", rs->dir);
	snprintf(err, sizeof(err), "%s/stderr", rs->dir);
	setpgid(0, 0);
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(127);
	if (freopen("/dev/null", "r", stdin) == NULL || freopen(err, "w", stdout) == NULL ||
	    dup2(fileno(stdout), STDERR_FILENO) < 0)
		_exit(127);
	signal(SIGPIPE, SIG_DFL);
	execl(RSYSLOG_BIN, RSYSLOG_BIN, "-n", "-f", conf, "-i", pidfile, (char *)NULL);
	_exit(127);
}

static void rsyslog_show_stderr(const struct rsyslog *rs)
{
	char path[320], line[512];
	snprintf(path, sizeof(path), "%s/stderr", rs->dir);
	FILE *f = fopen(path, "r");
	if (f == NULL)
		return;
	while (fgets(line, sizeof(line), f) != NULL)
		fprintf(stderr, "rsyslogd said: %s", line);
	fclose(f);
}

static bool rsyslog_tcp_accepts(const struct rsyslog *rs)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return false;
	struct sockaddr_in a = {.sin_family = AF_INET,
	                        .sin_port = htons(rs->tcp_port),
	                        .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	bool ok = connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0;
	close(fd);
	return ok;
}

static void rsyslog_send_marker(const struct rsyslog *rs)
{
	static const char marker[] = "<14>1 - - " RSYSLOG_READY_APP " - - - ready";
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return;
	struct sockaddr_in a = {.sin_family = AF_INET,
	                        .sin_port = htons(rs->udp_port),
	                        .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	sendto(fd, marker, sizeof(marker) - 1, 0, (struct sockaddr *)&a, sizeof(a));
	close(fd);
}

static bool rsyslog_exited(struct rsyslog *rs)
{
	if (waitpid(rs->pid, NULL, WNOHANG) != rs->pid)
		return false;
	rsyslog_unregister(rs->pid);
	rs->pid = 0;
	return true;
}

/* Waits for the TCP listener, then for a UDP marker to reach the file. */
static int rsyslog_wait_ready(struct rsyslog *rs)
{
	double deadline = rsyslog_now() + RSYSLOG_START_TIMEOUT_S;
	bool tcp = false;
	double next_marker = 0;
	while (rsyslog_now() < deadline) {
		if (rsyslog_exited(rs))
			return SA_ERROR_IO;
		if (!tcp) {
			tcp = rsyslog_tcp_accepts(rs);
		} else if (rsyslog_wait_lines(rs, RSYSLOG_READY_APP, 1, 0)) {
			return 0;
		} else if (rsyslog_now() >= next_marker) {
			rsyslog_send_marker(rs);
			next_marker = rsyslog_now() + RSYSLOG_MARKER_EVERY_S;
		}
		rsyslog_pause();
	}
	return SA_ERROR_TIMEOUT;
}

static int rsyslog_prepare(struct rsyslog *rs)
{
	const char *tmp = getenv("TMPDIR");
	snprintf(rs->dir, sizeof(rs->dir), "%s/sa-rsyslog-XXXXXX",
	         tmp != NULL && tmp[0] != '\0' ? tmp : "/tmp");
	if (mkdtemp(rs->dir) == NULL) {
		rs->dir[0] = '\0';
		return SA_ERROR_IO;
	}
	snprintf(rs->messages_path, sizeof(rs->messages_path), "%s/messages", rs->dir);
	char conf[320];
	snprintf(conf, sizeof(conf), "%s/rsyslog.conf", rs->dir);
	int rc = rsyslog_free_port(SOCK_DGRAM, &rs->udp_port);
	if (rc == 0)
		rc = rsyslog_free_port(SOCK_STREAM, &rs->tcp_port);
	if (rc == 0)
		rc = rsyslog_write_config(rs, conf);
	return rc;
}

int rsyslog_start(struct rsyslog *rs)
{
	*rs = (struct rsyslog){0};
	int rc = rsyslog_prepare(rs);
	if (rc != 0) {
		rsyslog_stop(rs);
		return rc;
	}
	pid_t parent = getpid();
	fflush(NULL);
	rs->pid = fork();
	if (rs->pid == 0)
		rsyslog_exec(rs, parent);
	if (rs->pid < 0) {
		rs->pid = 0;
		rsyslog_stop(rs);
		return SA_ERROR_IO;
	}
	setpgid(rs->pid, rs->pid);
	rsyslog_register(rs);
	rc = rsyslog_wait_ready(rs);
	if (rc != 0) {
		fprintf(stderr, "rsyslogd did not become ready: %s\n", sa_error_str(rc));
		rsyslog_show_stderr(rs);
		rsyslog_stop(rs);
	}
	return rc;
}

/* SIGTERM, a bounded wait, then SIGKILL to the group. */
static void rsyslog_end_process(struct rsyslog *rs)
{
	kill(rs->pid, SIGTERM);
	double deadline = rsyslog_now() + RSYSLOG_STOP_TIMEOUT_S;
	while (rsyslog_now() < deadline) {
		if (rsyslog_exited(rs))
			return;
		rsyslog_pause();
	}
	kill(-rs->pid, SIGKILL);
	waitpid(rs->pid, NULL, 0);
	rsyslog_unregister(rs->pid);
	rs->pid = 0;
}

void rsyslog_stop(struct rsyslog *rs)
{
	if (rs->pid > 0)
		rsyslog_end_process(rs);
	if (rs->dir[0] != '\0') {
		rsyslog_remove_dir(rs->dir);
		rs->dir[0] = '\0';
	}
}

char *rsyslog_messages(const struct rsyslog *rs)
{
	char *data = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&data, &len);
	if (mem == NULL)
		return NULL;
	FILE *f = fopen(rs->messages_path, "r");
	if (f != NULL) {
		char buf[4096];
		size_t n;
		while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
			fwrite(buf, 1, n, mem);
		fclose(f);
	}
	if (fclose(mem) != 0) {
		free(data);
		return NULL;
	}
	return data;
}

static size_t rsyslog_count_lines(const char *text, const char *needle)
{
	size_t n = 0;
	for (const char *line = text; *line != '\0';) {
		const char *end = strchr(line, '\n');
		size_t len = end != NULL ? (size_t)(end - line) : strlen(line);
		char *copy = strndup(line, len);
		if (copy != NULL && strstr(copy, needle) != NULL)
			n++;
		free(copy);
		line += len + (end != NULL);
	}
	return n;
}

bool rsyslog_wait_lines(const struct rsyslog *rs, const char *needle, size_t count,
                        double timeout_s)
{
	double deadline = rsyslog_now() + timeout_s;
	for (;;) {
		char *text = rsyslog_messages(rs);
		size_t n = text != NULL ? rsyslog_count_lines(text, needle) : 0;
		free(text);
		if (n >= count)
			return true;
		if (rsyslog_now() >= deadline)
			return false;
		rsyslog_pause();
	}
}
