/*
 * NAME
 *	lab_conn - one client connection of smtp-lab
 *
 * DESCRIPTION
 *	See lab_conn.h. The queue is pumped whenever something is added, a
 *	write completes or the connection's timer fires; the head item alone
 *	decides what happens next, which is what keeps replies, TLS records,
 *	paced bytes, streams, FIN and RST in order. Replies that are due
 *	together leave in one write. "backlog" counts the memory of every
 *	output item, queued or being written, and bounds it; "inflight"
 *	counts the bytes libuv is writing.
 *
 *	State: OPEN (the session talks), FINISHING (a FIN or RST is queued;
 *	input is ignored), SHUTDOWN (FIN sent; waiting for the client's EOF
 *	or the linger timer), CLOSING (handles closing; freed when both are).
 */
#include "lab_conn.h"

#include <arpa/inet.h>
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "result.h"
#include "sa_error.h"
#include "tls_conn.h"

#define LAB_CONN_STREAM_CHUNK (16 * 1024)
#define LAB_CONN_TLS_READ     (16 * 1024)
#define LAB_CONN_BATCH        64

enum lab_out_kind {
	LAB_OUT_BYTES,
	LAB_OUT_STREAM,
	LAB_OUT_FINISH,
	LAB_OUT_RESET,
};

struct lab_out {
	uv_write_t req;       /* first: a write request is its item */
	struct lab_out *next; /* in the queue, or in the batch being written */
	struct lab_conn *conn;
	enum lab_out_kind kind;
	bool paced;   /* a reply: subject to the persona's pace */
	uint64_t due; /* loop time before which it must not start */
	lab_conn_fill_cb fill;
	unsigned interval;
	uint64_t pos, next_at;
	size_t len, off;
	char data[];
};

enum lab_conn_state {
	LAB_CONN_OPEN,
	LAB_CONN_FINISHING,
	LAB_CONN_SHUTDOWN,
	LAB_CONN_CLOSING,
};

struct lab_conn {
	uv_tcp_t tcp;
	uv_timer_t timer;
	uv_shutdown_t shutdown;
	struct lab_conn_env *env;
	const struct lab_conn_listener *listener;
	struct lab_session *session;
	struct tls_conn *tls;
	struct lab_out *head, *tail;
	size_t backlog, inflight;
	uint64_t next_byte_at;
	enum lab_conn_state state;
	bool reading, eof;
	bool batching; /* replies wait in the queue until the batch is complete */
	unsigned open_handles;
	struct lab_conn *prev, *next;
	char local_ip[64], peer_ip[64], peer[80];
	struct lab_log_who who;
};

static void lab_conn_pump(struct lab_conn *c);

void lab_conn_log(struct lab_conn *c, const char *event, const char *text, size_t len)
{
	lab_log_event(c->env->log, &c->who, event, text, len);
}

/* ---- closing ---- */

static void lab_out_free(struct lab_conn *c, struct lab_out *o)
{
	c->backlog -= sizeof(*o) + o->len;
	free(o);
}

static void lab_conn_free(struct lab_conn *c)
{
	while (c->head != NULL) {
		struct lab_out *o = c->head;
		c->head = o->next;
		lab_out_free(c, o);
	}
	lab_session_free(c->session);
	tls_conn_free(c->tls);
	free(c);
}

static void lab_conn_on_closed(uv_handle_t *h)
{
	struct lab_conn *c = h->data;
	if (--c->open_handles == 0)
		lab_conn_free(c);
}

static void lab_conn_unlink(struct lab_conn *c)
{
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		c->env->conns = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	c->prev = c->next = NULL;
}

static void lab_conn_close(struct lab_conn *c, const char *reason, bool reset)
{
	if (c->state == LAB_CONN_CLOSING)
		return;
	c->state = LAB_CONN_CLOSING;
	lab_conn_log(c, "CLOSE", reason, strlen(reason));
	lab_conn_unlink(c);
	uv_close((uv_handle_t *)&c->timer, lab_conn_on_closed);
	if (!reset || uv_tcp_close_reset(&c->tcp, lab_conn_on_closed) != 0)
		uv_close((uv_handle_t *)&c->tcp, lab_conn_on_closed);
}

void lab_conn_close_all(struct lab_conn_env *env)
{
	while (env->conns != NULL)
		lab_conn_close(env->conns, "server stopping", false);
}

/* ---- reading ---- */

static void lab_conn_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	struct lab_conn *c = h->data;
	(void)suggested;
	*buf = uv_buf_init(c->env->readbuf, sizeof(c->env->readbuf));
}

static void lab_conn_on_read(uv_stream_t *stream, ssize_t nread, const uv_buf_t *buf);

static void lab_conn_read_start(struct lab_conn *c)
{
	if (c->reading || c->eof || c->state == LAB_CONN_CLOSING)
		return;
	if (uv_read_start((uv_stream_t *)&c->tcp, lab_conn_alloc, lab_conn_on_read) == 0)
		c->reading = true;
}

static void lab_conn_read_stop(struct lab_conn *c)
{
	if (!c->reading)
		return;
	uv_read_stop((uv_stream_t *)&c->tcp);
	c->reading = false;
}

/* Stops reading while much output waits, so a client that never reads cannot grow memory. */
static void lab_conn_balance(struct lab_conn *c)
{
	if (c->backlog > LAB_CONN_OUT_HIGH)
		lab_conn_read_stop(c);
	else if (c->backlog < LAB_CONN_OUT_LOW)
		lab_conn_read_start(c);
}

/* ---- the output queue ---- */

static struct lab_out *lab_out_new(struct lab_conn *c, enum lab_out_kind kind, const void *data,
                                   size_t len, uint64_t due)
{
	struct lab_out *o = malloc(sizeof(*o) + len);
	if (o == NULL)
		return NULL;
	*o = (struct lab_out){.conn = c, .kind = kind, .due = due, .len = len};
	if (len > 0)
		memcpy(o->data, data, len);
	c->backlog += sizeof(*o) + len;
	return o;
}

static void lab_conn_enqueue(struct lab_conn *c, struct lab_out *o)
{
	if (c->tail != NULL)
		c->tail->next = o;
	else
		c->head = o;
	c->tail = o;
	lab_conn_balance(c);
}

static void lab_conn_pop(struct lab_conn *c)
{
	struct lab_out *o = c->head;
	c->head = o->next;
	if (c->head == NULL)
		c->tail = NULL;
	o->next = NULL;
}

static void lab_conn_enqueue_bytes(struct lab_conn *c, const void *data, size_t len, bool paced,
                                   uint64_t due)
{
	struct lab_out *o = lab_out_new(c, LAB_OUT_BYTES, data, len, due);
	if (o == NULL) {
		lab_conn_close(c, "out of memory", false);
		return;
	}
	o->paced = paced;
	lab_conn_enqueue(c, o);
}

static void lab_conn_enqueue_marker(struct lab_conn *c, enum lab_out_kind kind, uint64_t due)
{
	struct lab_out *o = lab_out_new(c, kind, NULL, 0, due);
	if (o == NULL) {
		lab_conn_close(c, "out of memory", false);
		return;
	}
	lab_conn_enqueue(c, o);
}

/* Moves the ciphertext TLS produced into the queue. */
static void lab_conn_flush_tls(struct lab_conn *c, bool paced, uint64_t due)
{
	char *data;
	size_t len;
	while (c->state != LAB_CONN_CLOSING && tls_conn_take_output(c->tls, &data, &len) == 0) {
		lab_conn_enqueue_bytes(c, data, len, paced, due);
		free(data);
	}
}

static void lab_conn_on_write(uv_write_t *req, int status)
{
	struct lab_out *o = (struct lab_out *)req;
	struct lab_conn *c = o->conn;
	while (o != NULL) {
		struct lab_out *next = o->next;
		c->inflight -= o->len;
		lab_out_free(c, o);
		o = next;
	}
	if (c->state == LAB_CONN_CLOSING)
		return;
	if (status < 0) {
		lab_conn_close(c, uv_strerror(status), false);
		return;
	}
	lab_conn_balance(c);
	lab_conn_pump(c);
}

/*
 * Hands a batch of items (linked by next) to libuv, which owns them until
 * the write callback; false if the connection closed.
 */
static bool lab_conn_write_batch(struct lab_conn *c, struct lab_out *first)
{
	uv_buf_t bufs[LAB_CONN_BATCH];
	unsigned n = 0;
	size_t bytes = 0;
	for (struct lab_out *o = first; o != NULL; o = o->next) {
		assert(n < LAB_CONN_BATCH);
		bufs[n++] = uv_buf_init(o->data, (unsigned)o->len);
		bytes += o->len;
	}
	c->inflight += bytes;
	int rc = uv_write(&first->req, (uv_stream_t *)&c->tcp, bufs, n, lab_conn_on_write);
	if (rc != 0) {
		lab_conn_on_write(&first->req, rc);
		return false;
	}
	return true;
}

static bool lab_conn_write_copy(struct lab_conn *c, const void *data, size_t len)
{
	struct lab_out *o = lab_out_new(c, LAB_OUT_BYTES, data, len, 0);
	if (o == NULL) {
		lab_conn_close(c, "out of memory", false);
		return false;
	}
	return lab_conn_write_batch(c, o);
}

/* Writes generated plaintext now, through TLS when it is active. */
static bool lab_conn_write_plain(struct lab_conn *c, const char *data, size_t len)
{
	char *out;
	size_t outlen;
	if (c->tls == NULL)
		return lab_conn_write_copy(c, data, len);
	assert(tls_conn_established(c->tls));
	if (tls_conn_write(c->tls, data, len) != 0) {
		lab_conn_close(c, tls_conn_error(c->tls), false);
		return false;
	}
	bool ok = true;
	while (ok && tls_conn_take_output(c->tls, &out, &outlen) == 0) {
		ok = lab_conn_write_copy(c, out, outlen);
		free(out);
	}
	return ok;
}

static bool lab_conn_is_paced(const struct lab_conn *c, const struct lab_out *o)
{
	return o->kind == LAB_OUT_BYTES && o->paced && c->listener->persona->pace_ms > 0;
}

static uint64_t lab_conn_due(const struct lab_conn *c, const struct lab_out *o)
{
	uint64_t due = o->due;
	if (lab_conn_is_paced(c, o) && c->next_byte_at > due)
		due = c->next_byte_at;
	if (o->kind == LAB_OUT_STREAM && o->next_at > due)
		due = o->next_at;
	return due;
}

static void lab_conn_on_timer(uv_timer_t *t);

static void lab_conn_shutdown(struct lab_conn *c);

/* One byte of a paced reply; the next one is due a pace interval later. */
static bool lab_conn_step_paced(struct lab_conn *c, struct lab_out *o, uint64_t now)
{
	if (c->inflight > 0)
		return false;
	if (!lab_conn_write_copy(c, o->data + o->off, 1))
		return false;
	o->off++;
	c->next_byte_at = now + c->listener->persona->pace_ms;
	if (o->off == o->len) {
		lab_conn_pop(c);
		lab_out_free(c, o);
	}
	return true;
}

static bool lab_conn_step_stream(struct lab_conn *c, struct lab_out *o, uint64_t now)
{
	char chunk[LAB_CONN_STREAM_CHUNK];
	bool done = false;
	if (c->inflight >= LAB_CONN_STREAM_WINDOW)
		return false;
	size_t n = o->fill(c->session, &o->pos, chunk, sizeof(chunk), &done);
	o->next_at = now + o->interval;
	if (done) {
		lab_conn_pop(c);
		lab_out_free(c, o);
	}
	return n == 0 || lab_conn_write_plain(c, chunk, n);
}

/* FIN or RST, once everything before it is written. */
static bool lab_conn_step_end(struct lab_conn *c, struct lab_out *o)
{
	if (c->inflight > 0)
		return false;
	bool finish = o->kind == LAB_OUT_FINISH;
	lab_conn_pop(c);
	lab_out_free(c, o);
	if (finish)
		lab_conn_shutdown(c);
	else
		lab_conn_close(c, "reset by server", true);
	return false;
}

/* The due, unpaced byte items at the head of the queue, in one write. */
static bool lab_conn_step_bytes(struct lab_conn *c, uint64_t now)
{
	struct lab_out *first = NULL, *last = NULL;
	unsigned n = 0;
	while (n < LAB_CONN_BATCH && c->head != NULL && c->head->kind == LAB_OUT_BYTES &&
	       !lab_conn_is_paced(c, c->head) && c->head->due <= now) {
		struct lab_out *o = c->head;
		lab_conn_pop(c);
		if (last != NULL)
			last->next = o;
		else
			first = o;
		last = o;
		n++;
	}
	return lab_conn_write_batch(c, first);
}

/* Acts on the head item, which is due; false when the pump must wait for a write or stop. */
static bool lab_conn_step(struct lab_conn *c, struct lab_out *o, uint64_t now)
{
	switch (o->kind) {
	case LAB_OUT_BYTES:
		if (lab_conn_is_paced(c, o))
			return lab_conn_step_paced(c, o, now);
		return lab_conn_step_bytes(c, now);
	case LAB_OUT_STREAM:
		return lab_conn_step_stream(c, o, now);
	case LAB_OUT_FINISH:
	case LAB_OUT_RESET:
		return lab_conn_step_end(c, o);
	}
	assert(!"unknown output kind");
	return false;
}

static void lab_conn_pump(struct lab_conn *c)
{
	if (c->batching)
		return;
	while (c->head != NULL && (c->state == LAB_CONN_OPEN || c->state == LAB_CONN_FINISHING)) {
		uint64_t now = uv_now(c->env->loop);
		uint64_t due = lab_conn_due(c, c->head);
		if (due > now) {
			uv_timer_start(&c->timer, lab_conn_on_timer, due - now, 0);
			return;
		}
		if (!lab_conn_step(c, c->head, now))
			return;
	}
}

static void lab_conn_on_timer(uv_timer_t *t)
{
	struct lab_conn *c = t->data;
	if (c->state == LAB_CONN_SHUTDOWN)
		lab_conn_close(c, "client did not close", false);
	else
		lab_conn_pump(c);
}

/* ---- what the session asks for ---- */

/* The loop clock counts whole milliseconds; one more makes every delay at least delay_ms. */
static uint64_t lab_conn_reply_due(const struct lab_conn *c)
{
	unsigned delay = c->env->delay_ms;
	return uv_now(c->env->loop) + (delay > 0 ? delay + 1 : 0);
}

void lab_conn_send(struct lab_conn *c, const char *data, size_t len)
{
	if (c->state != LAB_CONN_OPEN)
		return;
	uint64_t due = lab_conn_reply_due(c);
	if (c->tls == NULL) {
		lab_conn_enqueue_bytes(c, data, len, true, due);
	} else {
		assert(tls_conn_established(c->tls));
		if (tls_conn_write(c->tls, data, len) != 0) {
			lab_conn_close(c, tls_conn_error(c->tls), false);
			return;
		}
		lab_conn_flush_tls(c, true, due);
	}
	lab_conn_pump(c);
}

void lab_conn_stream(struct lab_conn *c, lab_conn_fill_cb fill, unsigned interval_ms)
{
	if (c->state != LAB_CONN_OPEN)
		return;
	struct lab_out *o = lab_out_new(c, LAB_OUT_STREAM, NULL, 0, lab_conn_reply_due(c));
	if (o == NULL) {
		lab_conn_close(c, "out of memory", false);
		return;
	}
	o->fill = fill;
	o->interval = interval_ms;
	lab_conn_enqueue(c, o);
	lab_conn_pump(c);
}

/* The persona decides which certificate chain the connection presents. */
static struct tls_ctx *lab_conn_tls_ctx(const struct lab_conn *c)
{
	if (c->listener->persona->flags & LAB_PERSONA_DEEP_CHAIN) {
		assert(c->env->tls_deep != NULL);
		return c->env->tls_deep;
	}
	return c->env->tls;
}

void lab_conn_start_tls(struct lab_conn *c)
{
	if (c->state != LAB_CONN_OPEN)
		return;
	assert(c->tls == NULL);
	c->tls = tls_conn_new(lab_conn_tls_ctx(c), NULL);
	if (c->tls == NULL)
		lab_conn_finish(c);
}

static void lab_conn_wind_up(struct lab_conn *c, enum lab_out_kind kind)
{
	if (c->state != LAB_CONN_OPEN)
		return;
	c->state = LAB_CONN_FINISHING;
	if (kind == LAB_OUT_FINISH && c->tls != NULL && tls_conn_established(c->tls)) {
		tls_conn_close_notify(c->tls);
		lab_conn_flush_tls(c, false, 0);
	}
	lab_conn_enqueue_marker(c, kind, 0);
	lab_conn_pump(c);
}

void lab_conn_finish(struct lab_conn *c)
{
	lab_conn_wind_up(c, LAB_OUT_FINISH);
}

void lab_conn_reset(struct lab_conn *c)
{
	lab_conn_wind_up(c, LAB_OUT_RESET);
}

/* ---- FIN and EOF ---- */

static void lab_conn_on_shutdown(uv_shutdown_t *req, int status)
{
	struct lab_conn *c = req->data;
	if (c->state == LAB_CONN_CLOSING)
		return;
	if (status < 0 || c->eof) {
		lab_conn_close(c, status < 0 ? uv_strerror(status) : "finished", false);
		return;
	}
	/* Wait a little for the client to close first, so our unread input cannot turn into a RST.
	 */
	lab_conn_read_start(c);
	uv_timer_start(&c->timer, lab_conn_on_timer, LAB_CONN_LINGER_MS, 0);
}

static void lab_conn_shutdown(struct lab_conn *c)
{
	c->state = LAB_CONN_SHUTDOWN;
	c->shutdown.data = c;
	int rc = uv_shutdown(&c->shutdown, (uv_stream_t *)&c->tcp, lab_conn_on_shutdown);
	if (rc != 0)
		lab_conn_close(c, uv_strerror(rc), false);
}

/* Streams run "until the client closes"; other queued replies still go out before our FIN. */
static void lab_conn_drop_streams(struct lab_conn *c)
{
	struct lab_out **link = &c->head;
	c->tail = NULL;
	while (*link != NULL) {
		struct lab_out *o = *link;
		if (o->kind == LAB_OUT_STREAM) {
			*link = o->next;
			lab_out_free(c, o);
			continue;
		}
		c->tail = o;
		link = &o->next;
	}
}

static void lab_conn_on_eof(struct lab_conn *c)
{
	c->eof = true;
	lab_conn_read_stop(c);
	if (c->state == LAB_CONN_SHUTDOWN) {
		lab_conn_close(c, "finished", false);
		return;
	}
	lab_conn_drop_streams(c);
	lab_conn_finish(c);
}

/* ---- TLS ---- */

static void lab_conn_log_tls(struct lab_conn *c)
{
	struct tls_facts facts;
	char text[200];
	if (tls_conn_facts(c->tls, &facts) == 0) {
		int n = snprintf(text, sizeof(text), "%s %s%s", facts.version, facts.ciphersuite,
		                 tls_conn_resumed(c->tls) ? " resumed" : "");
		lab_conn_log(c, "TLS", text, n > 0 ? (size_t)n : 0);
	}
	tls_facts_free(&facts);
}

static void lab_conn_tls_failed(struct lab_conn *c)
{
	const char *why = tls_conn_error(c->tls);
	lab_conn_log(c, "TLSFAIL", why, strlen(why));
	lab_conn_flush_tls(c, false, 0);
	lab_conn_finish(c);
}

/* Advances the handshake; true once it is done and the session may read. */
static bool lab_conn_handshake(struct lab_conn *c)
{
	if (tls_conn_established(c->tls))
		return true;
	int rc = tls_conn_handshake(c->tls);
	lab_conn_flush_tls(c, false, 0);
	if (rc == SA_ERROR_AGAIN)
		return false;
	if (rc != 0) {
		lab_conn_tls_failed(c);
		return false;
	}
	lab_conn_log_tls(c);
	lab_session_tls_ready(c->session);
	if (c->listener->tls)
		lab_session_greet(c->session);
	return true;
}

static void lab_conn_tls_input(struct lab_conn *c, const char *data, size_t len)
{
	char plain[LAB_CONN_TLS_READ];
	size_t got;
	if (tls_conn_feed(c->tls, data, len) != 0) {
		lab_conn_close(c, tls_conn_error(c->tls), false);
		return;
	}
	if (!lab_conn_handshake(c))
		return;
	while (c->state == LAB_CONN_OPEN) {
		int rc = tls_conn_read(c->tls, plain, sizeof(plain), &got);
		if (rc == SA_ERROR_AGAIN)
			return;
		if (rc == SA_ERROR_CLOSED) {
			lab_conn_finish(c);
			return;
		}
		if (rc != 0) {
			lab_conn_tls_failed(c);
			return;
		}
		lab_session_input(c->session, plain, got);
	}
}

static void lab_conn_on_read(uv_stream_t *stream, ssize_t nread, const uv_buf_t *buf)
{
	struct lab_conn *c = stream->data;
	if (nread == 0 || c->state == LAB_CONN_CLOSING)
		return;
	if (nread == UV_EOF) {
		lab_conn_on_eof(c);
		return;
	}
	if (nread < 0) {
		lab_conn_close(c, uv_strerror((int)nread), false);
		return;
	}
	if (c->state != LAB_CONN_OPEN)
		return;
	/* Like a real MTA, answer pipelined commands in one write once the input is consumed. */
	c->batching = true;
	if (c->tls != NULL)
		lab_conn_tls_input(c, buf->base, (size_t)nread);
	else
		lab_session_input(c->session, buf->base, (size_t)nread);
	c->batching = false;
	lab_conn_pump(c);
}

/* ---- accepting ---- */

/* Numeric text of an address; an IPv4-mapped IPv6 address is shown as IPv4. */
static uint16_t lab_conn_ip_text(const struct sockaddr_storage *ss, char *ip, size_t iplen)
{
	if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)ss;
		if (IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr))
			inet_ntop(AF_INET, &sin6->sin6_addr.s6_addr[12], ip, (socklen_t)iplen);
		else
			inet_ntop(AF_INET6, &sin6->sin6_addr, ip, (socklen_t)iplen);
		return ntohs(sin6->sin6_port);
	}
	const struct sockaddr_in *sin = (const struct sockaddr_in *)ss;
	inet_ntop(AF_INET, &sin->sin_addr, ip, (socklen_t)iplen);
	return ntohs(sin->sin_port);
}

static void lab_conn_describe(struct lab_conn *c)
{
	struct sockaddr_storage local = {0}, peer = {0};
	int len = sizeof(local);
	uv_tcp_getsockname(&c->tcp, (struct sockaddr *)&local, &len);
	len = sizeof(peer);
	uv_tcp_getpeername(&c->tcp, (struct sockaddr *)&peer, &len);
	lab_conn_ip_text(&local, c->local_ip, sizeof(c->local_ip));
	uint16_t port = lab_conn_ip_text(&peer, c->peer_ip, sizeof(c->peer_ip));
	bool v6 = strchr(c->peer_ip, ':') != NULL;
	snprintf(c->peer, sizeof(c->peer), "%s%s%s:%u", v6 ? "[" : "", c->peer_ip, v6 ? "]" : "",
	         (unsigned)port);
	c->who = (struct lab_log_who){
	    .listen = c->listener->name,
	    .persona = c->listener->persona->name,
	    .session = ++c->env->sessions,
	    .peer = c->peer,
	};
}

static void lab_conn_link(struct lab_conn *c)
{
	c->next = c->env->conns;
	if (c->next != NULL)
		c->next->prev = c;
	c->env->conns = c;
}

int lab_conn_accept(struct lab_conn_env *env, const struct lab_conn_listener *listener,
                    uv_stream_t *server)
{
	struct lab_conn *c = calloc(1, sizeof(*c));
	if (c == NULL)
		return SA_ERROR_NOMEM;
	c->env = env;
	c->listener = listener;
	uv_tcp_init(env->loop, &c->tcp);
	c->tcp.data = c;
	c->open_handles = 1;
	int rc = uv_accept(server, (uv_stream_t *)&c->tcp);
	if (rc != 0) {
		c->state = LAB_CONN_CLOSING;
		uv_close((uv_handle_t *)&c->tcp, lab_conn_on_closed);
		return sa_error_from_errno(rc);
	}
	uv_timer_init(env->loop, &c->timer);
	c->timer.data = c;
	c->open_handles = 2;
	lab_conn_link(c);
	lab_conn_describe(c);
	lab_conn_log(c, "CONNECT", NULL, 0);
	c->session = lab_session_new(c, listener->persona, env->site, c->local_ip, c->peer_ip);
	if (c->session == NULL) {
		lab_conn_close(c, "out of memory", false);
		return SA_ERROR_NOMEM;
	}
	uv_tcp_nodelay(&c->tcp, 1);
	lab_conn_read_start(c);
	if (!listener->tls) {
		/* A greeting of several parts (early-talker) leaves in one write. */
		c->batching = true;
		lab_session_greet(c->session);
		c->batching = false;
		lab_conn_pump(c);
		return 0;
	}
	c->tls = tls_conn_new(lab_conn_tls_ctx(c), NULL);
	if (c->tls == NULL) {
		lab_conn_close(c, "out of memory", false);
		return SA_ERROR_NOMEM;
	}
	return 0;
}
