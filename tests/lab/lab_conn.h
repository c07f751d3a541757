/*
 * NAME
 *	lab_conn - one client connection of smtp-lab: socket, TLS, output queue
 *
 * SUMMARY
 *	lab_conn_accept(env, &listener, server_stream);   from a listener's connection_cb
 *	session side:  lab_conn_send(c, "250 2.0.0 Ok\r\n", 14);
 *	               lab_conn_start_tls(c); lab_conn_finish(c); lab_conn_reset(c);
 *	               lab_conn_stream(c, fill, interval_ms); lab_conn_log(c, "C:", line, len);
 *	shutdown:      lab_conn_close_all(env);
 *
 * DESCRIPTION
 *	A connection owns its libuv TCP handle, one timer and, once TLS
 *	starts (STARTTLS or an implicit-TLS listener), a tls_conn fed with
 *	the ciphertext the socket delivers. Its session (lab_session) sees
 *	plaintext only.
 *
 *	Everything to send goes through one ordered queue. A reply is due
 *	--delay-ms after it was made and, for a paced persona (tarpit), goes
 *	out one byte per pace interval; TLS handshake records are never
 *	delayed but keep their place. A stream item produces its bytes on
 *	demand (a fill callback, at most LAB_CONN_STREAM_WINDOW bytes in
 *	flight), so a 1 MiB greeting costs a few KiB. Replies made while one
 *	chunk of input (or a greeting) is handled leave in one write, as a
 *	real MTA flushes pipelined replies. When the output waiting to be
 *	written holds more than LAB_CONN_OUT_HIGH bytes of memory the
 *	connection stops reading, so a client that pipelines without reading
 *	cannot grow the server's memory.
 *
 *	lab_conn_finish() sends what is queued, a TLS close_notify, then a
 *	FIN, and waits (bounded) for the client to close; lab_conn_reset()
 *	sends what is queued, then a RST. An EOF from the client ends any
 *	stream and finishes the connection.
 *
 *	Events logged: CONNECT, TLS <version> <suite>, TLSFAIL <error>,
 *	CLOSE <reason>, and whatever the session logs (C:, LONG).
 */
#ifndef LAB_CONN_H
#define LAB_CONN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <uv.h>

#include "lab_log.h"
#include "lab_persona.h"
#include "lab_session.h"

#define LAB_CONN_READ_BUF      (64 * 1024)
#define LAB_CONN_OUT_HIGH      (256 * 1024)
#define LAB_CONN_OUT_LOW       (64 * 1024)
#define LAB_CONN_STREAM_WINDOW (64 * 1024)
#define LAB_CONN_LINGER_MS     2000

struct tls_ctx;
struct lab_conn;

/* What every connection shares; the server owns it. */
struct lab_conn_env {
	uv_loop_t *loop;
	struct tls_ctx *tls;
	struct tls_ctx *tls_deep; /* the deep chain's, for LAB_PERSONA_DEEP_CHAIN personas */
	struct lab_log *log;      /* NULL: no log */
	struct lab_site *site;
	unsigned delay_ms;
	uint64_t sessions;      /* session numbers given out so far */
	struct lab_conn *conns; /* open connections */
	/* One read buffer for all: libuv hands it to one read callback at a time. */
	char readbuf[LAB_CONN_READ_BUF];
};

/* A listening socket as its connections see it. */
struct lab_conn_listener {
	const struct lab_persona *persona;
	bool tls;      /* implicit TLS */
	char name[80]; /* "127.0.0.1:2525", "[::1]:2525" */
};

/*
 * Fills up to cap bytes of a stream into buf and returns how many; *pos is
 * the stream's own progress counter (0 at the start); *done set at the end.
 */
typedef size_t (*lab_conn_fill_cb)(struct lab_session *s, uint64_t *pos, char *buf, size_t cap,
                                   bool *done);

/* Accepts a pending connection of server; 0 or SA_ERROR_*. */
int lab_conn_accept(struct lab_conn_env *env, const struct lab_conn_listener *listener,
                    uv_stream_t *server);

/* Closes every open connection at once (the server is stopping). */
void lab_conn_close_all(struct lab_conn_env *env);

/* Queues a reply (delay, pace and TLS apply); ignored once the connection is finishing. */
void lab_conn_send(struct lab_conn *c, const char *data, size_t len);

/* The STARTTLS reply is queued: from now on input is TLS, and so is output after it. */
void lab_conn_start_tls(struct lab_conn *c);

void lab_conn_finish(struct lab_conn *c);
void lab_conn_reset(struct lab_conn *c);

/* Queues a generated reply; interval_ms > 0 waits that long between fill calls. */
void lab_conn_stream(struct lab_conn *c, lab_conn_fill_cb fill, unsigned interval_ms);

void lab_conn_log(struct lab_conn *c, const char *event, const char *text, size_t len);

#endif
