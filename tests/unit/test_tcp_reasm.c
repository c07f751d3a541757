/*
 * NAME
 *	test_tcp_reasm - unit tests for TCP stream reassembly
 *
 * DESCRIPTION
 *	Feeds segments directly (no capture file) and records every event as
 *	one line: "N open syn|guess client=PORT", "N >bytes" / "N <bytes" for
 *	data towards the server / client (consecutive data of one direction
 *	joined), "N gap> K" / "N gap< K", "N close how". Each test asserts the
 *	exact transcript, so the delivered bytes, their order, the gaps and
 *	the end reason are all checked.
 */
#include <criterion/criterion.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "sa_error.h"
#include "tcp_reasm.h"
#include "text_buf.h"

#define CLIENT_ISN         1000u
#define SERVER_ISN         5000u
#define MAX_FLOWS_RECORDED 8

struct rec;

struct rec_flow {
	struct rec *rec;
	int id;
};

struct rec {
	char log[8192];
	struct text_buf t;
	int nflows;
	struct rec_flow flows[MAX_FLOWS_RECORDED];
	int last_flow;
	int last_dir; /* of the last data line, to join consecutive data */
	bool ignore_all;
};

static const char *const end_names[] = {
    [TCP_REASM_END_FIN] = "fin",         [TCP_REASM_END_RST] = "rst",
    [TCP_REASM_END_IDLE] = "idle",       [TCP_REASM_END_EVICTED] = "evicted",
    [TCP_REASM_END_CAPTURE] = "capture",
};

static void *rec_open(void *user, const struct tcp_flow_info *flow)
{
	struct rec *r = user;
	cr_assert_lt(r->nflows, MAX_FLOWS_RECORDED);
	struct rec_flow *f = &r->flows[r->nflows];
	f->rec = r;
	f->id = r->nflows++;
	const struct sockaddr_in *c = (const struct sockaddr_in *)&flow->client;
	text_buf_add(&r->t, "%d open %s client=%u\n", f->id, flow->saw_handshake ? "syn" : "guess",
	             ntohs(c->sin_port));
	r->last_dir = -1;
	return r->ignore_all ? NULL : f;
}

static void rec_data(void *state, enum tcp_dir dir, const uint8_t *bytes, size_t len, double ts)
{
	(void)ts;
	struct rec_flow *f = state;
	struct rec *r = f->rec;
	cr_assert_gt(len, 0);
	if (r->last_dir == (int)dir && r->last_flow == f->id) {
		r->t.used--; /* reopen the line */
		text_buf_add(&r->t, "%.*s\n", (int)len, (const char *)bytes);
		return;
	}
	text_buf_add(&r->t, "%d %c%.*s\n", f->id, dir == TCP_DIR_TO_SERVER ? '>' : '<', (int)len,
	             (const char *)bytes);
	r->last_dir = (int)dir;
	r->last_flow = f->id;
}

static void rec_gap(void *state, enum tcp_dir dir, uint64_t missing, double ts)
{
	(void)ts;
	struct rec_flow *f = state;
	text_buf_add(&f->rec->t, "%d gap%c %llu\n", f->id, dir == TCP_DIR_TO_SERVER ? '>' : '<',
	             (unsigned long long)missing);
	f->rec->last_dir = -1;
}

static void rec_close(void *state, enum tcp_reasm_end how, double ts)
{
	(void)ts;
	struct rec_flow *f = state;
	text_buf_add(&f->rec->t, "%d close %s\n", f->id, end_names[how]);
	f->rec->last_dir = -1;
}

static const uint16_t smtp_ports[] = {25, 465, 587, 2525};

static struct tcp_reasm *rec_new(struct rec *r, const struct tcp_reasm_limits *lim)
{
	memset(r, 0, sizeof(*r));
	text_buf_init(&r->t, r->log, sizeof(r->log));
	r->last_dir = -1;
	const struct tcp_reasm_events ev = {
	    .open = rec_open, .data = rec_data, .gap = rec_gap, .close = rec_close, .user = r};
	struct tcp_reasm_limits def = {.server_ports = smtp_ports, .nserver_ports = 4};
	struct tcp_reasm *tr = tcp_reasm_new(lim != NULL ? lim : &def, &ev);
	cr_assert_not_null(tr);
	return tr;
}

static void set_v4(struct sockaddr_storage *ss, const char *addr, uint16_t port)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;
	memset(ss, 0, sizeof(*ss));
	sin->sin_family = AF_INET;
	sin->sin_port = htons(port);
	cr_assert_eq(inet_pton(AF_INET, addr, &sin->sin_addr), 1);
}

/* A segment from or to 10.0.0.1:cport, 10.0.0.2:sport; seq and ack are absolute,
 * flags any of "SAFR". */
static int feed_ex(struct tcp_reasm *tr, enum tcp_dir dir, const char *flags, uint32_t seq,
                   uint32_t ack, const char *data, double ts, uint16_t cport, uint16_t sport)
{
	struct tcp_segment seg = {
	    .seq = seq,
	    .ack = ack,
	    .syn = strchr(flags, 'S') != NULL,
	    .ack_flag = strchr(flags, 'A') != NULL,
	    .fin = strchr(flags, 'F') != NULL,
	    .rst = strchr(flags, 'R') != NULL,
	    .payload = (const uint8_t *)data,
	    .len = data != NULL ? strlen(data) : 0,
	    .ts = ts,
	};
	bool to_server = dir == TCP_DIR_TO_SERVER;
	set_v4(&seg.src, to_server ? "10.0.0.1" : "10.0.0.2", to_server ? cport : sport);
	set_v4(&seg.dst, to_server ? "10.0.0.2" : "10.0.0.1", to_server ? sport : cport);
	return tcp_reasm_segment(tr, &seg);
}

/* The usual flow 10.0.0.1:40000 -> 10.0.0.2:25 at capture time 0. */
static int feed(struct tcp_reasm *tr, enum tcp_dir dir, const char *flags, uint32_t seq,
                uint32_t ack, const char *data)
{
	return feed_ex(tr, dir, flags, seq, ack, data, 0, 40000, 25);
}

#define C2S TCP_DIR_TO_SERVER
#define S2C TCP_DIR_TO_CLIENT
/* Absolute sequence numbers of relative data offsets (1 = first data byte). */
#define CS(n) (CLIENT_ISN + (uint32_t)(n))
#define SS(n) (SERVER_ISN + (uint32_t)(n))

static void handshake(struct tcp_reasm *tr)
{
	cr_assert_eq(feed(tr, C2S, "S", CS(0), 0, NULL), 0);
	cr_assert_eq(feed(tr, S2C, "SA", SS(0), CS(1), NULL), 0);
	cr_assert_eq(feed(tr, C2S, "A", CS(1), SS(1), NULL), 0);
}

static struct tcp_reasm_stats stats_of(const struct tcp_reasm *tr)
{
	struct tcp_reasm_stats st;
	tcp_reasm_get_stats(tr, &st);
	return st;
}

Test(tcp_reasm, in_order_dialog_and_fin_close, .timeout = 10)
{
	struct rec r;
	struct tcp_reasm *tr = rec_new(&r, NULL);
	handshake(tr);
	feed(tr, S2C, "A", SS(1), CS(1), "220 mx");
	feed(tr, C2S, "A", CS(1), SS(7), "EHLO c");
	feed(tr, S2C, "A", SS(7), CS(7), "250 ok");
	feed(tr, C2S, "AF", CS(7), SS(13), NULL);
	feed(tr, S2C, "AF", SS(13), CS(8), NULL);
	/* The last ACK of an ended flow must not open a new one. */
	feed(tr, C2S, "A", CS(8), SS(14), NULL);
	cr_assert_str_eq(r.log, "0 open syn client=40000\n"
	                        "0 <220 mx\n"
	                        "0 >EHLO c\n"
	                        "0 <250 ok\n"
	                        "0 close fin\n");
	struct tcp_reasm_stats st = stats_of(tr);
	cr_assert_eq(st.flows_active, 0);
	cr_assert_eq(st.flows_opened, 1);
	cr_assert_eq(st.bytes_delivered, 18);
	cr_assert_eq(st.segments, 9);
	tcp_reasm_free(tr);
}

Test(tcp_reasm, reordered_segments_are_delivered_in_order, .timeout = 10)
{
	struct rec r;
	struct tcp_reasm *tr = rec_new(&r, NULL);
	handshake(tr);
	feed(tr, C2S, "A", CS(9), SS(1), "CCCC");
	feed(tr, C2S, "A", CS(5), SS(1), "BBBB");
	cr_assert_str_eq(r.log, "0 open syn client=40000\n");
	feed(tr, C2S, "A", CS(1), SS(1), "AAAA");
	cr_assert_str_eq(r.log, "0 open syn client=40000\n"
	                        "0 >AAAABBBBCCCC\n");
	tcp_reasm_free(tr);
	cr_assert_str_eq(r.log, "0 open syn client=40000\n"
	                        "0 >AAAABBBBCCCC\n"
	                        "0 close capture\n");
}

Test(tcp_reasm, retransmission_is_dropped, .timeout = 10)
{
	struct rec r;
	struct tcp_reasm *tr = rec_new(&r, NULL);
	handshake(tr);
	feed(tr, C2S, "A", CS(1), SS(1), "MAIL");
	feed(tr, C2S, "A", CS(1), SS(1), "MAIL");
	feed(tr, C2S, "A", CS(5), SS(1), " FROM");
	feed(tr, C2S, "A", CS(1), SS(1), "MAIL");
	cr_assert_str_eq(r.log, "0 open syn client=40000\n"
	                        "0 >MAIL FROM\n");
	cr_assert_eq(stats_of(tr).retransmitted_bytes, 8);
	tcp_reasm_free(tr);
}

Test(tcp_reasm, overlap_keeps_the_first_copy, .timeout = 10)
{
	struct rec r;
	struct tcp_reasm *tr = rec_new(&r, NULL);
	handshake(tr);
	/* Delivered bytes win over a later, longer copy with other bytes. */
	feed(tr, C2S, "A", CS(1), SS(1), "AAAA");
	feed(tr, C2S, "A", CS(1), SS(1), "XXXXBB");
	/* Pending pieces win too, also when a new segment spans two of them and the hole between.
	 */
	feed(tr, C2S, "A", CS(9), SS(1), "CC");
	feed(tr, C2S, "A", CS(13), SS(1), "EE");
	feed(tr, C2S, "A", CS(8), SS(1), "YYYDDYYYF");
	feed(tr, C2S, "A", CS(7), SS(1), "ZZZ");
	cr_assert_str_eq(r.log, "0 open syn client=40000\n"
	                        "0 >AAAABBZYCCDDEEYF\n");
	/* XXXX over AAAA (4) + YYY..YY over CC and EE (2 + 2) + ZZ over Y and C (2). */
	cr_assert_eq(stats_of(tr).retransmitted_bytes, 4 + 2 + 2 + 2);
	tcp_reasm_free(tr);
}

Test(tcp_reasm, gap_in_the_middle_is_reported_at_the_end, .timeout = 10)
{
	struct rec r;
	struct tcp_reasm *tr = rec_new(&r, NULL);
	handshake(tr);
	feed(tr, C2S, "A", CS(1), SS(1), "EHLO");
	feed(tr, C2S, "A", CS(10), SS(1), "QUIT");
	tcp_reasm_flush(tr, 0);
	cr_assert_str_eq(r.log, "0 open syn client=40000\n"
	                        "0 >EHLO\n"
	                        "0 gap> 5\n"
	                        "0 >QUIT\n"
	                        "0 close capture\n");
	cr_assert_eq(stats_of(tr).gaps, 1);
	tcp_reasm_free(tr);
}

Test(tcp_reasm, ack_beyond_the_data_proves_a_gap, .timeout = 10)
{
	struct rec r;
	struct tcp_reasm *tr = rec_new(&r, NULL);
	handshake(tr);
	feed(tr, C2S, "A", CS(1), SS(1), "AUTH ");
	/* CS(6)..CS(15) never captured; CS(16) onwards waits. */
	feed(tr, C2S, "A", CS(16), SS(1), "tail");
	/* The server acknowledges CS(20): the client's hole is reported before its reply. */
	feed(tr, S2C, "A", SS(1), CS(20), "235 ok");
	feed(tr, C2S, "A", CS(20), SS(7), "NOOP");
	/* The server acknowledges bytes that were never seen at all: a plain gap. */
	feed(tr, S2C, "A", SS(7), CS(30), NULL);
	feed(tr, C2S, "A", CS(30), SS(7), "QUIT");
	cr_assert_str_eq(r.log, "0 open syn client=40000\n"
	                        "0 >AUTH \n"
	                        "0 gap> 10\n"
	                        "0 >tail\n"
	                        "0 <235 ok\n"
	                        "0 >NOOP\n"
	                        "0 gap> 6\n"
	                        "0 >QUIT\n");
	tcp_reasm_free(tr);
}

Test(tcp_reasm, rst_flushes_then_closes, .timeout = 10)
{
	struct rec r;
	struct tcp_reasm *tr = rec_new(&r, NULL);
	handshake(tr);
	feed(tr, C2S, "A", CS(1), SS(1), "AB");
	feed(tr, C2S, "A", CS(5), SS(1), "EF");
	feed(tr, S2C, "R", SS(1), 0, NULL);
	cr_assert_str_eq(r.log, "0 open syn client=40000\n"
	                        "0 >AB\n"
	                        "0 gap> 2\n"
	                        "0 >EF\n"
	                        "0 close rst\n");
	cr_assert_eq(stats_of(tr).flows_active, 0);
	tcp_reasm_free(tr);
}

Test(tcp_reasm, fin_waits_for_missing_data, .timeout = 10)
{
	struct rec r;
	struct tcp_reasm *tr = rec_new(&r, NULL);
	handshake(tr);
	/* The data before the client's FIN arrives after it. */
	feed(tr, C2S, "AF", CS(5), SS(1), NULL);
	feed(tr, S2C, "AF", SS(1), CS(1), NULL);
	cr_assert_str_eq(r.log, "0 open syn client=40000\n");
	feed(tr, C2S, "A", CS(1), SS(2), "QUIT");
	cr_assert_str_eq(r.log, "0 open syn client=40000\n"
	                        "0 >QUIT\n"
	                        "0 close fin\n");
	tcp_reasm_free(tr);
}

Test(tcp_reasm, idle_flow_expires_in_capture_time, .timeout = 10)
{
	struct rec r;
	const struct tcp_reasm_limits lim = {.idle_timeout = 60};
	struct tcp_reasm *tr = rec_new(&r, &lim);
	feed_ex(tr, C2S, "S", CS(0), 0, NULL, 100, 40000, 25);
	feed_ex(tr, C2S, "A", CS(1), 0, "HELO", 150, 40000, 25);
	feed_ex(tr, C2S, "S", 7, 0, NULL, 200, 40001, 25);
	cr_assert_str_eq(r.log, "0 open syn client=40000\n"
	                        "0 >HELO\n"
	                        "1 open syn client=40001\n");
	feed_ex(tr, C2S, "S", 7, 0, NULL, 211, 40002, 25);
	cr_assert_str_eq(r.log, "0 open syn client=40000\n"
	                        "0 >HELO\n"
	                        "1 open syn client=40001\n"
	                        "0 close idle\n"
	                        "2 open syn client=40002\n");
	struct tcp_reasm_stats st = stats_of(tr);
	cr_assert_eq(st.flows_idle, 1);
	cr_assert_eq(st.flows_active, 2);
	tcp_reasm_free(tr);
}

Test(tcp_reasm, half_closed_idle_flow_ends_as_fin, .timeout = 10)
{
	struct rec r;
	const struct tcp_reasm_limits lim = {.idle_timeout = 10};
	struct tcp_reasm *tr = rec_new(&r, &lim);
	feed(tr, C2S, "S", CS(0), 0, NULL);
	feed_ex(tr, C2S, "AF", CS(1), 0, NULL, 1, 40000, 25);
	feed_ex(tr, C2S, "S", 7, 0, NULL, 20, 40001, 25);
	cr_assert_str_eq(r.log, "0 open syn client=40000\n"
	                        "0 close fin\n"
	                        "1 open syn client=40001\n");
	tcp_reasm_free(tr);
}

Test(tcp_reasm, max_flows_evicts_the_least_recently_active, .timeout = 10)
{
	struct rec r;
	const struct tcp_reasm_limits lim = {.max_flows = 2};
	struct tcp_reasm *tr = rec_new(&r, &lim);
	feed_ex(tr, C2S, "S", CS(0), 0, NULL, 1, 40000, 25);
	feed_ex(tr, C2S, "S", CS(0), 0, NULL, 2, 40001, 25);
	/* Flow 0 is busy again, so flow 1 is the least recently active. */
	feed_ex(tr, C2S, "A", CS(1), 0, "x", 3, 40000, 25);
	feed_ex(tr, C2S, "S", CS(0), 0, NULL, 4, 40002, 25);
	cr_assert_str_eq(r.log, "0 open syn client=40000\n"
	                        "1 open syn client=40001\n"
	                        "0 >x\n"
	                        "1 close evicted\n"
	                        "2 open syn client=40002\n");
	struct tcp_reasm_stats st = stats_of(tr);
	cr_assert_eq(st.flows_evicted, 1);
	cr_assert_eq(st.flows_active, 2);
	cr_assert_eq(st.flows_peak, 2);
	tcp_reasm_free(tr);
}

Test(tcp_reasm, sequence_numbers_wrap_around, .timeout = 10)
{
	struct rec r;
	struct tcp_reasm *tr = rec_new(&r, NULL);
	const uint32_t isn = 0xfffffffau;
	feed(tr, C2S, "S", isn, 0, NULL);
	/* isn + 1 = 0xfffffffb: "ABCD" ends at 0xfffffffe, "EFGH" crosses 0, "IJ" after it. */
	feed(tr, C2S, "A", 3, 0, "IJ");
	feed(tr, C2S, "A", 0xffffffffu, 0, "EFGH");
	feed(tr, C2S, "A", 0xfffffffbu, 0, "ABCD");
	feed(tr, C2S, "A", 0xfffffffbu, 0, "ABCD");
	cr_assert_str_eq(r.log, "0 open syn client=40000\n"
	                        "0 >ABCDEFGHIJ\n");
	cr_assert_eq(stats_of(tr).retransmitted_bytes, 4);
	tcp_reasm_free(tr);
}

Test(tcp_reasm, mid_stream_start_guesses_roles_by_port, .timeout = 10)
{
	struct rec r;
	struct tcp_reasm *tr = rec_new(&r, NULL);
	/* No SYN: the first segment comes from the server (port 25). */
	feed(tr, S2C, "A", SS(100), CS(50), "250 ok");
	feed(tr, C2S, "A", CS(50), SS(106), "DATA");
	/* 2525 is a server port although higher than the other side's. */
	feed_ex(tr, C2S, "A", 1, 0, "x", 0, 1000, 2525);
	/* Neither side on a server port: the lower port serves. */
	feed_ex(tr, C2S, "A", 1, 0, "y", 0, 4000, 3000);
	feed_ex(tr, S2C, "A", 1, 0, "z", 0, 3000, 4000);
	cr_assert_str_eq(r.log, "0 open guess client=40000\n"
	                        "0 <250 ok\n"
	                        "0 >DATA\n"
	                        "1 open guess client=1000\n"
	                        "1 >x\n"
	                        "2 open guess client=4000\n"
	                        "2 >y\n"
	                        "3 open guess client=4000\n"
	                        "3 >z\n");
	tcp_reasm_free(tr);
}

Test(tcp_reasm, syn_ack_without_syn_sets_both_roles, .timeout = 10)
{
	struct rec r;
	struct tcp_reasm *tr = rec_new(&r, NULL);
	feed(tr, S2C, "SA", SS(0), CS(1), NULL);
	feed(tr, C2S, "A", CS(3), SS(1), "LO");
	feed(tr, C2S, "A", CS(1), SS(1), "HE");
	cr_assert_str_eq(r.log, "0 open syn client=40000\n"
	                        "0 >HELO\n");
	tcp_reasm_free(tr);
}

Test(tcp_reasm, syn_without_data_delivers_nothing, .timeout = 10)
{
	struct rec r;
	struct tcp_reasm *tr = rec_new(&r, NULL);
	handshake(tr);
	feed(tr, C2S, "S", CS(0), 0, NULL);
	tcp_reasm_free(tr);
	cr_assert_str_eq(r.log, "0 open syn client=40000\n"
	                        "0 close capture\n");
}

Test(tcp_reasm, new_syn_on_a_known_tuple_starts_a_new_flow, .timeout = 10)
{
	struct rec r;
	struct tcp_reasm *tr = rec_new(&r, NULL);
	handshake(tr);
	feed(tr, C2S, "A", CS(1), SS(1), "old");
	feed(tr, C2S, "S", 90000, 0, NULL);
	feed(tr, C2S, "A", 90001, 0, "new");
	cr_assert_str_eq(r.log, "0 open syn client=40000\n"
	                        "0 >old\n"
	                        "0 close idle\n"
	                        "1 open syn client=40000\n"
	                        "1 >new\n");
	tcp_reasm_free(tr);
}

Test(tcp_reasm, max_pending_forces_a_gap, .timeout = 10)
{
	struct rec r;
	const struct tcp_reasm_limits lim = {.max_pending = 8};
	struct tcp_reasm *tr = rec_new(&r, &lim);
	handshake(tr);
	feed(tr, C2S, "A", CS(3), SS(1), "cdef");
	feed(tr, C2S, "A", CS(9), SS(1), "ijkl");
	cr_assert_str_eq(r.log, "0 open syn client=40000\n");
	/* 12 bytes pending > 8: give up on the first hole, deliver until the bound holds. */
	feed(tr, C2S, "A", CS(15), SS(1), "opqr");
	cr_assert_str_eq(r.log, "0 open syn client=40000\n"
	                        "0 gap> 2\n"
	                        "0 >cdef\n");
	/* The hole that was given up stays given up: late bytes are dropped. */
	feed(tr, C2S, "A", CS(1), SS(1), "ab");
	feed(tr, C2S, "A", CS(7), SS(1), "gh");
	cr_assert_str_eq(r.log, "0 open syn client=40000\n"
	                        "0 gap> 2\n"
	                        "0 >cdefghijkl\n");
	tcp_reasm_free(tr);
	cr_assert_str_eq(r.log, "0 open syn client=40000\n"
	                        "0 gap> 2\n"
	                        "0 >cdefghijkl\n"
	                        "0 gap> 2\n"
	                        "0 >opqr\n"
	                        "0 close capture\n");
}

Test(tcp_reasm, max_pending_total_bounds_all_flows, .timeout = 10)
{
	struct rec r;
	const struct tcp_reasm_limits lim = {.max_pending_total = 8};
	struct tcp_reasm *tr = rec_new(&r, &lim);
	feed_ex(tr, C2S, "S", CS(0), 0, NULL, 0, 40000, 25);
	feed_ex(tr, C2S, "S", CS(0), 0, NULL, 0, 40001, 25);
	feed_ex(tr, C2S, "A", CS(3), 0, "abcdef", 0, 40000, 25);
	/* 6 + 4 > 8: the flow being fed gives up its own hole; the other keeps waiting. */
	feed_ex(tr, C2S, "A", CS(3), 0, "wxyz", 0, 40001, 25);
	struct tcp_reasm_stats st = stats_of(tr);
	cr_assert_eq(st.pending_bytes, 6);
	cr_assert_eq(st.pending_peak, 10);
	feed_ex(tr, C2S, "A", CS(1), 0, "12", 0, 40000, 25);
	cr_assert_str_eq(r.log, "0 open syn client=40000\n"
	                        "1 open syn client=40001\n"
	                        "1 gap> 2\n"
	                        "1 >wxyz\n"
	                        "0 >12abcdef\n");
	cr_assert_eq(stats_of(tr).pending_bytes, 0);
	tcp_reasm_free(tr);
}

Test(tcp_reasm, ignored_flow_gets_no_callbacks, .timeout = 10)
{
	struct rec r;
	struct tcp_reasm *tr = rec_new(&r, NULL);
	r.ignore_all = true;
	handshake(tr);
	feed(tr, C2S, "A", CS(1), SS(1), "data");
	feed(tr, C2S, "AF", CS(5), SS(1), NULL);
	feed(tr, S2C, "AF", SS(1), CS(6), NULL);
	cr_assert_str_eq(r.log, "0 open syn client=40000\n");
	struct tcp_reasm_stats st = stats_of(tr);
	cr_assert_eq(st.flows_active, 0, "both FINs end an ignored flow too");
	cr_assert_eq(st.bytes_delivered, 0);
	tcp_reasm_free(tr);
}

Test(tcp_reasm, ipv6_flows_and_bad_families, .timeout = 10)
{
	struct rec r;
	struct tcp_reasm *tr = rec_new(&r, NULL);
	struct tcp_segment seg = {.syn = true, .seq = 1, .payload = NULL};
	struct sockaddr_in6 *src = (struct sockaddr_in6 *)&seg.src;
	struct sockaddr_in6 *dst = (struct sockaddr_in6 *)&seg.dst;
	src->sin6_family = dst->sin6_family = AF_INET6;
	src->sin6_port = htons(50000);
	dst->sin6_port = htons(587);
	cr_assert_eq(inet_pton(AF_INET6, "2001:db8::1", &src->sin6_addr), 1);
	cr_assert_eq(inet_pton(AF_INET6, "2001:db8::2", &dst->sin6_addr), 1);
	cr_assert_eq(tcp_reasm_segment(tr, &seg), 0);
	seg.syn = false;
	seg.ack_flag = true;
	seg.seq = 2;
	seg.payload = (const uint8_t *)"EHLO";
	seg.len = 4;
	cr_assert_eq(tcp_reasm_segment(tr, &seg), 0);
	set_v4(&seg.dst, "10.0.0.2", 25);
	cr_assert_eq(tcp_reasm_segment(tr, &seg), SA_ERROR_INVAL);
	cr_assert_str_eq(r.log, "0 open syn client=50000\n"
	                        "0 >EHLO\n");
	tcp_reasm_free(tr);
}

Test(tcp_reasm, many_flows_stay_within_max_flows, .timeout = 30)
{
	struct rec r;
	const struct tcp_reasm_limits lim = {.max_flows = 4};
	struct tcp_reasm *tr = rec_new(&r, &lim);
	r.ignore_all = true; /* only the table is exercised; the recorder holds 8 flows */
	for (uint16_t p = 1; p <= 5000; p++) {
		r.nflows = 0;
		r.t.used = 0;
		feed_ex(tr, C2S, "A", 1, 0, "x", p, (uint16_t)(10000 + p), 25);
	}
	struct tcp_reasm_stats st = stats_of(tr);
	cr_assert_eq(st.flows_opened, 5000);
	cr_assert_eq(st.flows_evicted, 4996);
	cr_assert_eq(st.flows_peak, 4);
	tcp_reasm_free(tr);
}
