/*
 * NAME
 *	tcp_reasm - TCP stream reassembly for passive mode, both directions
 *
 * DESCRIPTION
 *	See tcp_reasm.h. Flows live in a chained hash table keyed by the
 *	direction-independent 4-tuple (the lower endpoint first), sized once
 *	from max_flows so adding never rehashes, and on a list ordered by last
 *	activity: the head is both the next to go idle and the one to evict.
 *
 *	Each direction keeps the next sequence number to deliver and a sorted
 *	list of non-overlapping pending pieces strictly after it. Sequence
 *	numbers are compared with 32-bit serial arithmetic (a difference read
 *	as int32_t), so wraparound needs no special case. A piece is trimmed
 *	against what was already delivered or is already pending before it is
 *	stored: the first copy of every byte wins.
 *
 *	A flow is created only by a SYN or a segment with payload; a bare ACK,
 *	FIN or RST of an unknown flow (typically the last ACK after both FINs)
 *	is ignored so it does not open an empty flow.
 */
#include "tcp_reasm.h"

#include <assert.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "sa_error.h"

#define TCP_REASM_DEFAULT_MAX_FLOWS         65536
#define TCP_REASM_DEFAULT_MAX_PENDING       (256 * 1024)
#define TCP_REASM_DEFAULT_IDLE              300.0
#define TCP_REASM_DEFAULT_MAX_PENDING_TOTAL (64u * 1024 * 1024)
#define TCP_REASM_MAX_BUCKETS               (1u << 22)

/* Endpoint 0 is the lower (address, port) pair, so both directions share a key. */
struct flow_key {
	uint8_t addr[2][16];
	uint16_t port[2];
	uint16_t family;
};
_Static_assert(sizeof(struct flow_key) == 38, "flow_key must have no padding: it is hashed");

struct pending {
	struct pending *next;
	uint32_t seq;
	size_t len;
	uint8_t bytes[];
};

struct reasm_dir {
	struct pending *pending; /* sorted, disjoint, all after next */
	size_t pending_bytes;
	uint32_t next; /* next sequence number to deliver */
	uint32_t isn;
	uint32_t fin_seq; /* sequence number of the FIN */
	bool started;     /* next is known */
	bool syn_seen;
	bool fin_seen;
};

struct flow {
	struct flow_key key;
	struct flow *hash_next;
	struct flow *lru_prev, *lru_next;
	struct tcp_flow_info info;
	void *state; /* the consumer's; NULL when it ignores the flow */
	double last_ts;
	bool client_is_ep0;
	struct reasm_dir dir[2];
};

struct tcp_reasm {
	struct tcp_reasm_limits limits;
	struct tcp_reasm_events events;
	struct flow **buckets;
	size_t nbuckets; /* a power of two */
	struct flow *lru_head, *lru_tail;
	struct tcp_reasm_stats stats;
};

static bool seq_after(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) > 0;
}

static size_t bucket_count(size_t max_flows)
{
	size_t n = 64;
	while (n < max_flows && n < TCP_REASM_MAX_BUCKETS)
		n <<= 1;
	return n;
}

struct tcp_reasm *tcp_reasm_new(const struct tcp_reasm_limits *limits,
                                const struct tcp_reasm_events *events)
{
	struct tcp_reasm *r = calloc(1, sizeof(*r));
	if (r == NULL)
		return NULL;
	if (limits != NULL)
		r->limits = *limits;
	if (r->limits.max_flows == 0)
		r->limits.max_flows = TCP_REASM_DEFAULT_MAX_FLOWS;
	if (r->limits.max_pending == 0)
		r->limits.max_pending = TCP_REASM_DEFAULT_MAX_PENDING;
	if (r->limits.max_pending_total == 0)
		r->limits.max_pending_total = TCP_REASM_DEFAULT_MAX_PENDING_TOTAL;
	if (!(r->limits.idle_timeout > 0))
		r->limits.idle_timeout = TCP_REASM_DEFAULT_IDLE;
	r->events = *events;
	r->nbuckets = bucket_count(r->limits.max_flows);
	r->buckets = calloc(r->nbuckets, sizeof(*r->buckets));
	if (r->buckets == NULL) {
		free(r);
		return NULL;
	}
	return r;
}

/* FNV-1a: the key is 38 bytes; the chains stay short because the table is
 * sized for max_flows and never holds more. */
static size_t key_hash(const struct flow_key *k)
{
	const uint8_t *p = (const uint8_t *)k;
	uint64_t h = 1469598103934665603ull;
	for (size_t i = 0; i < sizeof(*k); i++) {
		h ^= p[i];
		h *= 1099511628211ull;
	}
	return (size_t)(h ^ (h >> 29));
}

/* Fills one endpoint; false for an address family this module does not know. */
static bool endpoint_from(const struct sockaddr_storage *ss, uint8_t addr[16], uint16_t *port)
{
	memset(addr, 0, 16);
	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *sin = (const struct sockaddr_in *)ss;
		memcpy(addr, &sin->sin_addr, 4);
		*port = ntohs(sin->sin_port);
		return true;
	}
	if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)ss;
		memcpy(addr, &sin6->sin6_addr, 16);
		*port = ntohs(sin6->sin6_port);
		return true;
	}
	return false;
}

/* Builds the shared key; *src_is_ep0 tells which endpoint sent the segment. */
static bool key_from_segment(const struct tcp_segment *seg, struct flow_key *k, bool *src_is_ep0)
{
	uint8_t a[16], b[16];
	uint16_t pa, pb;
	if (seg->src.ss_family != seg->dst.ss_family || !endpoint_from(&seg->src, a, &pa) ||
	    !endpoint_from(&seg->dst, b, &pb))
		return false;
	int c = memcmp(a, b, sizeof(a));
	*src_is_ep0 = c < 0 || (c == 0 && pa <= pb);
	memset(k, 0, sizeof(*k));
	memcpy(k->addr[0], *src_is_ep0 ? a : b, 16);
	memcpy(k->addr[1], *src_is_ep0 ? b : a, 16);
	k->port[0] = *src_is_ep0 ? pa : pb;
	k->port[1] = *src_is_ep0 ? pb : pa;
	k->family = seg->src.ss_family;
	return true;
}

static struct flow *flow_find(const struct tcp_reasm *r, const struct flow_key *k, size_t h)
{
	for (struct flow *f = r->buckets[h & (r->nbuckets - 1)]; f != NULL; f = f->hash_next)
		if (memcmp(&f->key, k, sizeof(*k)) == 0)
			return f;
	return NULL;
}

static void lru_unlink(struct tcp_reasm *r, struct flow *f)
{
	if (f->lru_prev != NULL)
		f->lru_prev->lru_next = f->lru_next;
	else
		r->lru_head = f->lru_next;
	if (f->lru_next != NULL)
		f->lru_next->lru_prev = f->lru_prev;
	else
		r->lru_tail = f->lru_prev;
	f->lru_prev = f->lru_next = NULL;
}

static void lru_append(struct tcp_reasm *r, struct flow *f)
{
	f->lru_prev = r->lru_tail;
	f->lru_next = NULL;
	if (r->lru_tail != NULL)
		r->lru_tail->lru_next = f;
	else
		r->lru_head = f;
	r->lru_tail = f;
}

static void hash_unlink(struct tcp_reasm *r, struct flow *f)
{
	struct flow **pp = &r->buckets[key_hash(&f->key) & (r->nbuckets - 1)];
	while (*pp != f) {
		assert(*pp != NULL);
		pp = &(*pp)->hash_next;
	}
	*pp = f->hash_next;
}

static void pending_forget(struct tcp_reasm *r, struct reasm_dir *s, size_t len)
{
	s->pending_bytes -= len;
	r->stats.pending_bytes -= len;
}

static void pending_hold(struct tcp_reasm *r, struct reasm_dir *s, size_t len)
{
	s->pending_bytes += len;
	r->stats.pending_bytes += len;
	if (r->stats.pending_bytes > r->stats.pending_peak)
		r->stats.pending_peak = r->stats.pending_bytes;
}

static void dir_deliver(struct tcp_reasm *r, struct flow *f, enum tcp_dir d, const uint8_t *bytes,
                        size_t len, double ts)
{
	if (len == 0)
		return;
	r->stats.bytes_delivered += len;
	r->events.data(f->state, d, bytes, len, ts);
}

static void dir_report_gap(struct tcp_reasm *r, struct flow *f, enum tcp_dir d, uint64_t missing,
                           double ts)
{
	r->stats.gaps++;
	r->events.gap(f->state, d, missing, ts);
}

/* Delivers the pending pieces that have become contiguous. */
static void dir_drain(struct tcp_reasm *r, struct flow *f, enum tcp_dir d, double ts)
{
	struct reasm_dir *s = &f->dir[d];
	while (s->pending != NULL && !seq_after(s->pending->seq, s->next)) {
		struct pending *p = s->pending;
		size_t skip = s->next - p->seq;
		s->pending = p->next;
		pending_forget(r, s, p->len);
		if (skip < p->len) {
			dir_deliver(r, f, d, p->bytes + skip, p->len - skip, ts);
			s->next = p->seq + (uint32_t)p->len;
		}
		free(p);
	}
}

/* Gives up on the bytes before seq: reports them as a gap, then delivers on. */
static void dir_skip_to(struct tcp_reasm *r, struct flow *f, enum tcp_dir d, uint32_t seq,
                        double ts)
{
	struct reasm_dir *s = &f->dir[d];
	if (seq_after(seq, s->next)) {
		dir_report_gap(r, f, d, seq - s->next, ts);
		s->next = seq;
	}
	dir_drain(r, f, d, ts);
}

/* The end of a flow: everything pending is delivered, holes become gaps. */
static void dir_flush(struct tcp_reasm *r, struct flow *f, enum tcp_dir d, double ts)
{
	struct reasm_dir *s = &f->dir[d];
	while (s->pending != NULL)
		dir_skip_to(r, f, d, s->pending->seq, ts);
	if (s->started && s->fin_seen)
		dir_skip_to(r, f, d, s->fin_seq, ts);
}

static struct pending *pending_new(uint32_t seq, const uint8_t *bytes, size_t len)
{
	struct pending *p = malloc(sizeof(*p) + len);
	if (p == NULL)
		return NULL;
	p->next = NULL;
	p->seq = seq;
	p->len = len;
	memcpy(p->bytes, bytes, len);
	return p;
}

/*
 * Stores the parts of [seq, seq + len) that no pending piece covers yet.
 * Offsets are taken relative to next, where every pending piece lies at or
 * after it and seq does too, so plain unsigned comparisons order them.
 */
static int dir_store(struct tcp_reasm *r, struct reasm_dir *s, uint32_t seq, const uint8_t *bytes,
                     size_t len)
{
	uint64_t start = (uint32_t)(seq - s->next), end = start + len, at = start;
	struct pending **pp = &s->pending;
	while (at < end) {
		struct pending *p = *pp;
		uint64_t ps = p != NULL ? (uint32_t)(p->seq - s->next) : end;
		uint64_t pe = p != NULL ? ps + p->len : end;
		if (p != NULL && pe <= at) {
			pp = &p->next;
			continue;
		}
		if (at < ps) {
			uint64_t piece_end = ps < end ? ps : end;
			struct pending *n = pending_new(
			    s->next + (uint32_t)at, bytes + (at - start), (size_t)(piece_end - at));
			if (n == NULL)
				return SA_ERROR_NOMEM;
			n->next = p;
			*pp = n;
			pp = &n->next;
			pending_hold(r, s, n->len);
			at = piece_end;
			continue;
		}
		/* at lies inside p: those bytes are already held. */
		uint64_t covered_end = pe < end ? pe : end;
		r->stats.retransmitted_bytes += covered_end - at;
		at = covered_end;
	}
	return 0;
}

static int dir_accept(struct tcp_reasm *r, struct flow *f, enum tcp_dir d, uint32_t seq,
                      const uint8_t *bytes, size_t len, double ts)
{
	struct reasm_dir *s = &f->dir[d];
	if (!s->started) {
		s->started = true;
		s->next = seq;
	}
	if (s->fin_seen) {
		/* Bytes after the FIN are not part of the stream. */
		if (!seq_after(s->fin_seq, seq))
			return 0;
		if ((uint32_t)(s->fin_seq - seq) < len)
			len = s->fin_seq - seq;
	}
	int32_t rel = (int32_t)(seq - s->next);
	int err = 0;
	if (rel <= 0) {
		size_t skip = (size_t) - (int64_t)rel;
		if (skip >= len) {
			r->stats.retransmitted_bytes += len;
			return 0;
		}
		r->stats.retransmitted_bytes += skip;
		bytes += skip;
		len -= skip;
		/* Up to the first pending piece; beyond it the pending bytes came first. */
		size_t now = len;
		if (s->pending != NULL && (uint32_t)(s->pending->seq - s->next) < now)
			now = s->pending->seq - s->next;
		dir_deliver(r, f, d, bytes, now, ts);
		s->next += (uint32_t)now;
		if (now < len)
			err = dir_store(r, s, s->next, bytes + now, len - now);
		dir_drain(r, f, d, ts);
		return err;
	}
	err = dir_store(r, s, seq, bytes, len);
	while (s->pending != NULL && (s->pending_bytes > r->limits.max_pending ||
	                              r->stats.pending_bytes > r->limits.max_pending_total))
		dir_skip_to(r, f, d, s->pending->seq, ts);
	return err;
}

/* The peer acknowledged up to ack: whatever we lack before it was lost by the capture. */
static void dir_peer_ack(struct tcp_reasm *r, struct flow *f, enum tcp_dir d, uint32_t ack,
                         double ts)
{
	struct reasm_dir *s = &f->dir[d];
	if (!s->started)
		return;
	if (s->fin_seen && seq_after(ack, s->fin_seq))
		ack = s->fin_seq;
	while (seq_after(ack, s->next)) {
		if (s->pending != NULL && !seq_after(s->pending->seq, ack))
			dir_skip_to(r, f, d, s->pending->seq, ts);
		else
			dir_skip_to(r, f, d, ack, ts);
	}
}

static void flow_free_pending(struct tcp_reasm *r, struct flow *f)
{
	for (size_t d = 0; d < 2; d++) {
		struct reasm_dir *s = &f->dir[d];
		while (s->pending != NULL) {
			struct pending *p = s->pending;
			s->pending = p->next;
			pending_forget(r, s, p->len);
			free(p);
		}
	}
}

static void flow_end(struct tcp_reasm *r, struct flow *f, enum tcp_reasm_end how, double ts)
{
	if (f->state != NULL) {
		dir_flush(r, f, TCP_DIR_TO_SERVER, ts);
		dir_flush(r, f, TCP_DIR_TO_CLIENT, ts);
		r->events.close(f->state, how, ts);
	}
	if (how == TCP_REASM_END_EVICTED)
		r->stats.flows_evicted++;
	if (how == TCP_REASM_END_IDLE)
		r->stats.flows_idle++;
	hash_unlink(r, f);
	lru_unlink(r, f);
	flow_free_pending(r, f);
	free(f);
	r->stats.flows_active--;
}

static void expire_idle(struct tcp_reasm *r, double ts)
{
	while (r->lru_head != NULL && r->lru_head->last_ts + r->limits.idle_timeout < ts) {
		struct flow *f = r->lru_head;
		bool fin = f->dir[0].fin_seen || f->dir[1].fin_seen;
		flow_end(r, f, fin ? TCP_REASM_END_FIN : TCP_REASM_END_IDLE, ts);
	}
}

static bool is_server_port(const struct tcp_reasm *r, uint16_t port)
{
	for (size_t i = 0; i < r->limits.nserver_ports; i++)
		if (r->limits.server_ports[i] == port)
			return true;
	return false;
}

/* Without a SYN: the side on a server port serves; on a tie, the lower port. */
static bool guess_src_is_client(const struct tcp_reasm *r, uint16_t sport, uint16_t dport)
{
	bool src_srv = is_server_port(r, sport), dst_srv = is_server_port(r, dport);
	if (src_srv != dst_srv)
		return dst_srv;
	return dport <= sport;
}

static struct flow *flow_create(struct tcp_reasm *r, const struct flow_key *k, size_t h,
                                const struct tcp_segment *seg, bool src_is_ep0)
{
	if (r->stats.flows_active >= r->limits.max_flows)
		flow_end(r, r->lru_head, TCP_REASM_END_EVICTED, seg->ts);
	struct flow *f = calloc(1, sizeof(*f));
	if (f == NULL)
		return NULL;
	f->key = *k;
	bool src_is_client;
	if (seg->syn) {
		src_is_client = !seg->ack_flag;
		f->info.saw_handshake = true;
	} else {
		src_is_client = guess_src_is_client(r, k->port[src_is_ep0 ? 0 : 1],
		                                    k->port[src_is_ep0 ? 1 : 0]);
	}
	f->client_is_ep0 = src_is_client == src_is_ep0;
	f->info.client = src_is_client ? seg->src : seg->dst;
	f->info.server = src_is_client ? seg->dst : seg->src;
	f->info.first_ts = seg->ts;
	f->last_ts = seg->ts;
	size_t b = h & (r->nbuckets - 1);
	f->hash_next = r->buckets[b];
	r->buckets[b] = f;
	lru_append(r, f);
	r->stats.flows_opened++;
	r->stats.flows_active++;
	if (r->stats.flows_active > r->stats.flows_peak)
		r->stats.flows_peak = r->stats.flows_active;
	f->state = r->events.open(r->events.user, &f->info);
	return f;
}

/* A SYN: sets the sender's initial sequence number; a new one on a known
 * flow means the 4-tuple was reused after the old connection ended unseen. */
static bool syn_starts_new_flow(const struct flow *f, enum tcp_dir d, const struct tcp_segment *seg)
{
	const struct reasm_dir *s = &f->dir[d];
	return !seg->ack_flag && s->syn_seen && s->isn != seg->seq;
}

static void dir_syn(struct flow *f, enum tcp_dir d, uint32_t seq)
{
	struct reasm_dir *s = &f->dir[d];
	if (s->syn_seen)
		return;
	s->syn_seen = true;
	s->isn = seq;
	if (!s->started) {
		s->started = true;
		s->next = seq + 1;
	}
}

/* Both FINs seen and, for a followed flow, every byte before them delivered. */
static bool flow_finished(const struct flow *f)
{
	for (size_t d = 0; d < 2; d++) {
		const struct reasm_dir *s = &f->dir[d];
		if (!s->fin_seen)
			return false;
		if (f->state != NULL && (s->pending != NULL || s->next != s->fin_seq))
			return false;
	}
	return true;
}

static enum tcp_dir dir_peer(enum tcp_dir d)
{
	return d == TCP_DIR_TO_SERVER ? TCP_DIR_TO_CLIENT : TCP_DIR_TO_SERVER;
}

static void dir_fin(struct tcp_reasm *r, struct flow *f, enum tcp_dir d, uint32_t fin_seq,
                    double ts)
{
	struct reasm_dir *s = &f->dir[d];
	if (!s->started) {
		s->started = true;
		s->next = fin_seq;
	}
	if (!s->fin_seen) {
		s->fin_seen = true;
		s->fin_seq = fin_seq;
	}
	if (f->state != NULL)
		dir_drain(r, f, d, ts);
}

/* The acknowledgement is applied before the data so that the other side's
 * missing bytes are reported before this side's answer to them. */
static int flow_segment(struct tcp_reasm *r, struct flow *f, enum tcp_dir d,
                        const struct tcp_segment *seg)
{
	if (seg->syn) {
		dir_syn(f, d, seg->seq);
		/* A SYN-ACK whose SYN we missed still tells where the client's data starts. */
		if (seg->ack_flag && !f->dir[dir_peer(d)].started)
			dir_syn(f, dir_peer(d), seg->ack - 1);
	}
	uint32_t data_seq = seg->seq + (seg->syn ? 1u : 0u);
	int err = 0;
	if (f->state != NULL && seg->ack_flag)
		dir_peer_ack(r, f, dir_peer(d), seg->ack, seg->ts);
	if (f->state != NULL && seg->len > 0)
		err = dir_accept(r, f, d, data_seq, seg->payload, seg->len, seg->ts);
	if (seg->rst) {
		flow_end(r, f, TCP_REASM_END_RST, seg->ts);
		return err;
	}
	if (seg->fin)
		dir_fin(r, f, d, data_seq + (uint32_t)seg->len, seg->ts);
	if (flow_finished(f))
		flow_end(r, f, TCP_REASM_END_FIN, seg->ts);
	return err;
}

int tcp_reasm_segment(struct tcp_reasm *r, const struct tcp_segment *seg)
{
	struct flow_key k;
	bool src_is_ep0;
	r->stats.segments++;
	if (!key_from_segment(seg, &k, &src_is_ep0))
		return SA_ERROR_INVAL;
	expire_idle(r, seg->ts);
	size_t h = key_hash(&k);
	struct flow *f = flow_find(r, &k, h);
	if (f != NULL && seg->syn) {
		enum tcp_dir d =
		    src_is_ep0 == f->client_is_ep0 ? TCP_DIR_TO_SERVER : TCP_DIR_TO_CLIENT;
		if (syn_starts_new_flow(f, d, seg)) {
			bool fin = f->dir[0].fin_seen || f->dir[1].fin_seen;
			flow_end(r, f, fin ? TCP_REASM_END_FIN : TCP_REASM_END_IDLE, seg->ts);
			f = NULL;
		}
	}
	if (f == NULL) {
		if (!seg->syn && seg->len == 0)
			return 0;
		f = flow_create(r, &k, h, seg, src_is_ep0);
		if (f == NULL)
			return SA_ERROR_NOMEM;
	} else {
		f->last_ts = seg->ts;
		lru_unlink(r, f);
		lru_append(r, f);
	}
	enum tcp_dir d = src_is_ep0 == f->client_is_ep0 ? TCP_DIR_TO_SERVER : TCP_DIR_TO_CLIENT;
	return flow_segment(r, f, d, seg);
}

void tcp_reasm_flush(struct tcp_reasm *r, double ts)
{
	while (r->lru_head != NULL)
		flow_end(r, r->lru_head, TCP_REASM_END_CAPTURE, ts);
}

void tcp_reasm_free(struct tcp_reasm *r)
{
	if (r == NULL)
		return;
	tcp_reasm_flush(r, r->lru_tail != NULL ? r->lru_tail->last_ts : 0);
	free(r->buckets);
	free(r);
}

void tcp_reasm_get_stats(const struct tcp_reasm *r, struct tcp_reasm_stats *out)
{
	*out = r->stats;
}
