/*
 * NAME
 *	lab_log - smtp-lab's command log, one line per event
 *
 * SUMMARY
 *	struct lab_log *log; lab_log_open(&log, "/tmp/lab.log");
 *	lab_log_event(log, &who, "C:", line, len);
 *	lab_log_close(log);
 *
 * DESCRIPTION
 *	Each event is one line, written with a single write(2) on an O_APPEND
 *	descriptor, so a test that reads the file sees whole lines at once:
 *
 *	    <unix_ms> <listen_addr>:<port> <persona> s<session#> <peer_addr>:<peer_port> <EVENT>
 *<text>
 *
 *	The text is escaped with escape_visible(), so the log is printable
 *	ASCII whatever a client sends. A NULL log ignores every event.
 *
 *	The connection timeline: each accepted connection logs CONNECT when
 *	the lab accepts it and exactly one CLOSE when it ends (the lab closed
 *	it, or read the client's FIN or a reset), both under the session
 *	number, unique per lab run. A reader rebuilds from them how many
 *	sessions each listener address had open at any moment and when each
 *	started (tests/integration/test_safety.c checks --per-host,
 *	--host-rate, --rate and 421 back-off this way). Times are the wall
 *	clock in milliseconds as the lab's loop sees the event: a client's
 *	close is seen when its FIN is read, which may be in the same loop
 *	iteration as the accept of that client's next connection.
 *
 * DIAGNOSTICS
 *	lab_log_open() returns SA_ERROR_IO when the file cannot be created.
 *	Write failures are ignored: the log must never stop the server.
 */
#ifndef LAB_LOG_H
#define LAB_LOG_H

#include <stddef.h>
#include <stdint.h>

struct lab_log;

/* Who an event belongs to: the connection's fixed prefix fields. */
struct lab_log_who {
	const char *listen; /* "127.0.0.1:2525", "[::1]:2525" */
	const char *persona;
	uint64_t session;
	const char *peer;
};

int lab_log_open(struct lab_log **out, const char *path);
void lab_log_close(struct lab_log *log);

/* Appends one event; len bytes of text are escaped (len 0: no text). */
void lab_log_event(struct lab_log *log, const struct lab_log_who *who, const char *event,
                   const char *text, size_t len);

#endif
