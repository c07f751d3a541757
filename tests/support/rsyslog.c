/*
 * NAME
 *	rsyslog - a real rsyslogd on loopback that writes what it receives to a file
 *
 * DESCRIPTION
 *	See rsyslog.h. Starting, stopping and the atexit clean-up of whatever
 *	a test forgot are run_spawn() and run_stop() (run.h).
 */
#include "rsyslog.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "run.h"
#include "sa_error.h"

#define RSYSLOG_POLL_MS        20
#define RSYSLOG_MARKER_EVERY_S 0.5

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

static int rsyslog_spawn(struct rsyslog *rs)
{
	char conf[320], pidfile[320];
	snprintf(conf, sizeof(conf), "%s/rsyslog.conf", rs->dir);
	snprintf(pidfile, sizeof(pidfile), "%s/rsyslogd.pid", rs->dir);
	char *const argv[] = {RSYSLOG_BIN, "-n", "-f", conf, "-i", pidfile, NULL};
	return run_spawn(argv, rs->dir, &rs->pid);
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

/* Waits for the TCP listener, then for a UDP marker to reach the file. */
static int rsyslog_wait_ready(struct rsyslog *rs)
{
	double deadline = run_now() + RSYSLOG_START_TIMEOUT_S;
	bool tcp = false;
	double next_marker = 0;
	while (run_now() < deadline) {
		if (run_reaped(&rs->pid, NULL))
			return SA_ERROR_IO;
		if (!tcp) {
			tcp = rsyslog_tcp_accepts(rs);
		} else if (rsyslog_wait_lines(rs, RSYSLOG_READY_APP, 1, 0)) {
			return 0;
		} else if (run_now() >= next_marker) {
			rsyslog_send_marker(rs);
			next_marker = run_now() + RSYSLOG_MARKER_EVERY_S;
		}
		run_pause_ms(RSYSLOG_POLL_MS);
	}
	return SA_ERROR_TIMEOUT;
}

static int rsyslog_prepare(struct rsyslog *rs)
{
	int rc = run_make_dir(rs->dir, sizeof(rs->dir), "sa-rsyslog");
	if (rc != 0)
		return rc;
	snprintf(rs->messages_path, sizeof(rs->messages_path), "%s/messages", rs->dir);
	char conf[320];
	snprintf(conf, sizeof(conf), "%s/rsyslog.conf", rs->dir);
	rc = rsyslog_free_port(SOCK_DGRAM, &rs->udp_port);
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
	rc = rsyslog_spawn(rs);
	if (rc != 0) {
		rsyslog_stop(rs);
		return rc;
	}
	rc = rsyslog_wait_ready(rs);
	if (rc != 0) {
		fprintf(stderr, "rsyslogd did not become ready: %s\n", sa_error_str(rc));
		run_show_stderr(rs->dir, "rsyslogd");
		rsyslog_stop(rs);
	}
	return rc;
}

void rsyslog_stop(struct rsyslog *rs)
{
	run_stop(&rs->pid, RSYSLOG_STOP_TIMEOUT_S);
	if (rs->dir[0] != '\0') {
		run_remove_dir(rs->dir);
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
	double deadline = run_now() + timeout_s;
	for (;;) {
		char *text = rsyslog_messages(rs);
		size_t n = text != NULL ? rsyslog_count_lines(text, needle) : 0;
		free(text);
		if (n >= count)
			return true;
		if (run_now() >= deadline)
			return false;
		run_pause_ms(RSYSLOG_POLL_MS);
	}
}
