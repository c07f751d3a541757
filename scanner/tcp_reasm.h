/*
 * NAME
 *	tcp_reasm - TCP stream reassembly for passive mode, both directions
 *
 * DESCRIPTION
 *	Takes decoded TCP segments (capture order, possibly reordered,
 *	retransmitted, overlapping or missing) and delivers each direction of
 *	each connection as in-order bytes to a consumer (the SMTP dialog
 *	tracker) through four callbacks. It never parses SMTP.
 *
 *	Roles: the client is the side that sent the SYN without ACK; when the
 *	capture starts mid-connection, the side whose port is one of the
 *	configured server ports is the server (lower port on a tie).
 *
 *	Overlaps: the first bytes seen for a sequence range win (RFC 793
 *	receivers keep the first copy); retransmissions are dropped. Out-of-
 *	order segments wait in a bounded per-direction buffer; when it is full,
 *	or the flow ends, or the peer acknowledges data we never saw, the hole
 *	is reported with gap() and delivery resumes after it.
 *
 *	Memory is bounded: at most max_flows flows (the least recently active
 *	one is closed with TCP_REASM_END_EVICTED to make room), at most
 *	max_pending bytes buffered out of order per direction and about
 *	max_pending_total over all flows (past it, the direction being fed
 *	gives up its holes as gaps until it holds nothing). A flow with no
 *	segment for idle_timeout seconds of capture time is closed with
 *	TCP_REASM_END_IDLE (TCP_REASM_END_FIN when one side had sent a FIN).
 *	A SYN with a new initial sequence number on a known 4-tuple means the
 *	old connection ended unseen: it is closed the same way, and a new flow
 *	opens. A bare ACK, FIN or RST of an unknown flow opens none.
 */
#ifndef TCP_REASM_H
#define TCP_REASM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

enum tcp_dir {
	TCP_DIR_TO_SERVER, /* client -> server */
	TCP_DIR_TO_CLIENT, /* server -> client */
};

enum tcp_reasm_end {
	TCP_REASM_END_FIN, /* both sides sent FIN (or one did and the flow went idle) */
	TCP_REASM_END_RST,
	TCP_REASM_END_IDLE,    /* no segment for idle_timeout */
	TCP_REASM_END_EVICTED, /* make room under max_flows */
	TCP_REASM_END_CAPTURE, /* end of the capture (tcp_reasm_flush) */
};

struct tcp_flow_info {
	struct sockaddr_storage client, server; /* addresses with ports */
	bool saw_handshake; /* the SYN was captured; else the roles were guessed */
	double first_ts;    /* capture time of the first segment, Unix seconds */
};

/* One decoded segment; payload points into the caller's packet buffer. */
struct tcp_segment {
	struct sockaddr_storage src, dst;
	uint32_t seq, ack;
	bool syn, ack_flag, fin, rst;
	const uint8_t *payload;
	size_t len;
	double ts; /* capture time, Unix seconds */
};

struct tcp_reasm_events {
	/* A new flow; returns the consumer's per-flow state (NULL: ignore the flow). */
	void *(*open)(void *user, const struct tcp_flow_info *flow);
	/* In-order bytes of one direction; the buffer is only valid during the call. */
	void (*data)(void *flow_state, enum tcp_dir dir, const uint8_t *bytes, size_t len,
	             double ts);
	/* missing bytes were never captured in that direction (0 when unknown). */
	void (*gap)(void *flow_state, enum tcp_dir dir, uint64_t missing, double ts);
	/* Last call for the flow; the consumer frees its state here. */
	void (*close)(void *flow_state, enum tcp_reasm_end how, double ts);
	void *user;
};

struct tcp_reasm_limits {
	size_t max_flows;             /* default 65536 */
	size_t max_pending;           /* out-of-order bytes per direction, default 256 KiB */
	double idle_timeout;          /* seconds of capture time, default 300 */
	const uint16_t *server_ports; /* for guessing roles without a SYN */
	size_t nserver_ports;
	size_t max_pending_total; /* out-of-order bytes over all flows, default 64 MiB */
};

struct tcp_reasm;

/* NULL on allocation failure. Unset (zero) limits take the defaults. */
struct tcp_reasm *tcp_reasm_new(const struct tcp_reasm_limits *limits,
                                const struct tcp_reasm_events *events);

/*
 * Feeds one segment. Returns 0, SA_ERROR_NOMEM (the segment is then dropped)
 * or SA_ERROR_INVAL (the addresses are not both AF_INET or both AF_INET6).
 * The callbacks run inside this call and must not call back into r.
 */
int tcp_reasm_segment(struct tcp_reasm *r, const struct tcp_segment *seg);

/* Closes every flow with TCP_REASM_END_CAPTURE (pending data first, then gaps). */
void tcp_reasm_flush(struct tcp_reasm *r, double ts);

/* Flushes, then frees. NULL is allowed. */
void tcp_reasm_free(struct tcp_reasm *r);

struct tcp_reasm_stats {
	uint64_t segments, bytes_delivered, retransmitted_bytes, gaps, flows_opened, flows_evicted,
	    flows_idle;
	size_t flows_active, flows_peak;
	size_t pending_bytes, pending_peak; /* held out of order, over all flows */
};

void tcp_reasm_get_stats(const struct tcp_reasm *r, struct tcp_reasm_stats *out);

#endif
