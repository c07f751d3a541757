/*
 * NAME
 *	rsyslog - a real rsyslogd on loopback that writes what it receives to a file
 *
 * SUMMARY
 *	struct rsyslog rs;
 *	if (!rsyslog_available()) cr_skip_test("rsyslog is not installed");
 *	cr_assert_eq(rsyslog_start(&rs), 0);
 *	... send to udp://127.0.0.1:rs.udp_port or tcp://127.0.0.1:rs.tcp_port ...
 *	rsyslog_wait_lines(&rs, "smtp-audit", 3, 10.0);
 *	char *text = rsyslog_messages(&rs);
 *	rsyslog_stop(&rs);
 *
 * DESCRIPTION
 *	rsyslog_start() writes a configuration into a fresh temporary
 *	directory: imudp and imtcp (octet-counted framing on) on 127.0.0.1
 *	at free ports, and one omfile action that writes each message's raw
 *	text (template "%rawmsg%\n") to DIR/messages. Nothing else is loaded:
 *	the instance never listens on /dev/log nor reads /etc/rsyslog.conf.
 *	rsyslogd runs in the foreground (-n) with its own pid file, in its
 *	own process group, with PR_SET_PDEATHSIG so it dies with the test.
 *	Start is complete when the TCP port accepts and a UDP marker message
 *	has reached the file (both bounded by RSYSLOG_START_TIMEOUT_S); the
 *	marker line carries APP-NAME "rsyslog-ready".
 *
 *	rsyslog_stop() sends SIGTERM, waits at most RSYSLOG_STOP_TIMEOUT_S,
 *	then SIGKILLs the group and removes the directory. An atexit handler
 *	does the same for an instance a failed test left running.
 *
 * DIAGNOSTICS
 *	rsyslog_start() returns 0, SA_ERROR_IO (directory, fork, or rsyslogd
 *	exited: its stderr is copied to ours) or SA_ERROR_TIMEOUT; on error
 *	nothing is left running.
 */
#ifndef RSYSLOG_H
#define RSYSLOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define RSYSLOG_BIN             "/usr/sbin/rsyslogd"
#define RSYSLOG_START_TIMEOUT_S 10.0
#define RSYSLOG_STOP_TIMEOUT_S  5.0
#define RSYSLOG_READY_APP       "rsyslog-ready"

struct rsyslog {
	pid_t pid;
	char dir[256];
	char messages_path[300];
	uint16_t udp_port;
	uint16_t tcp_port;
};

/* RSYSLOG_BIN exists and "rsyslogd -v" runs. */
bool rsyslog_available(void);

int rsyslog_start(struct rsyslog *rs);

/* Safe to call twice and on a zeroed struct. */
void rsyslog_stop(struct rsyslog *rs);

/* The whole message file (malloc'ed), "" when empty or missing. */
char *rsyslog_messages(const struct rsyslog *rs);

/* Waits up to timeout_s until at least count lines of the file contain needle. */
bool rsyslog_wait_lines(const struct rsyslog *rs, const char *needle, size_t count,
                        double timeout_s);

#endif
