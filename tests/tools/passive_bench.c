/*
 * NAME
 *	passive_bench - generate a large SMTP capture, or read one through the lower layers
 *
 * SYNOPSIS
 *	passive_bench gen FILE CONVERSATIONS
 *	passive_bench read FILE
 *
 * DESCRIPTION
 *	gen writes CONVERSATIONS complete SMTP conversations (handshake,
 *	banner, EHLO, AUTH PLAIN in clear for every third, MAIL, RCPT, a
 *	42 KB message in 30 segments with the server's ACKs, QUIT, both FINs)
 *	to an Ethernet pcap with pcap_write, PASSIVE_BENCH_ACTIVE of them
 *	interleaved packet by packet. Every tenth conversation has two body
 *	segments swapped and one sent twice, so the reassembler works.
 *
 *	read runs the file through passive_capture and tcp_reasm with a
 *	consumer that only counts, and prints the counters: the throughput of
 *	the layers under the SMTP tracker, for scripts/bench-passive.sh.
 *
 * DIAGNOSTICS
 *	Exit status 0 on success, 1 on an error (reported on stderr), 2 for
 *	bad arguments.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "passive_capture.h"
#include "pcap_write.h"
#include "sa_error.h"
#include "tcp_reasm.h"

#define PASSIVE_BENCH_ACTIVE        512
#define PASSIVE_BENCH_BODY_SEGMENTS 30
#define PASSIVE_BENCH_BODY_LEN      1400

enum step_kind {
	STEP_SYN,
	STEP_SYN_ACK,
	STEP_ACK,
	STEP_TEXT,
	STEP_AUTH, /* only for every third conversation */
	STEP_BODY, /* PASSIVE_BENCH_BODY_SEGMENTS client segments, a server ACK after each pair */
	STEP_FIN,
};

struct step {
	enum tcp_dir dir;
	enum step_kind kind;
	const char *text;
};

static const struct step script[] = {
    {.dir = TCP_DIR_TO_SERVER, .kind = STEP_SYN},
    {.dir = TCP_DIR_TO_CLIENT, .kind = STEP_SYN_ACK},
    {.dir = TCP_DIR_TO_SERVER, .kind = STEP_ACK},
    {.dir = TCP_DIR_TO_CLIENT, .kind = STEP_TEXT, .text = "220 mx.example.net ESMTP Postfix\r\n"},
    {.dir = TCP_DIR_TO_SERVER, .kind = STEP_TEXT, .text = "EHLO client.example.org\r\n"},
    {.dir = TCP_DIR_TO_CLIENT,
     .kind = STEP_TEXT,
     .text = "250-mx.example.net\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n"
             "250-AUTH PLAIN LOGIN\r\n250-ENHANCEDSTATUSCODES\r\n250 8BITMIME\r\n"},
    {.dir = TCP_DIR_TO_SERVER, .kind = STEP_AUTH, .text = "AUTH PLAIN AGFsaWNlAHMzY3IzdA==\r\n"},
    {.dir = TCP_DIR_TO_CLIENT,
     .kind = STEP_AUTH,
     .text = "235 2.7.0 Authentication successful\r\n"},
    {.dir = TCP_DIR_TO_SERVER, .kind = STEP_TEXT, .text = "MAIL FROM:<alice@example.org>\r\n"},
    {.dir = TCP_DIR_TO_CLIENT, .kind = STEP_TEXT, .text = "250 2.1.0 Ok\r\n"},
    {.dir = TCP_DIR_TO_SERVER, .kind = STEP_TEXT, .text = "RCPT TO:<bob@example.net>\r\n"},
    {.dir = TCP_DIR_TO_CLIENT, .kind = STEP_TEXT, .text = "250 2.1.5 Ok\r\n"},
    {.dir = TCP_DIR_TO_SERVER, .kind = STEP_TEXT, .text = "DATA\r\n"},
    {.dir = TCP_DIR_TO_CLIENT,
     .kind = STEP_TEXT,
     .text = "354 End data with <CR><LF>.<CR><LF>\r\n"},
    {.dir = TCP_DIR_TO_SERVER, .kind = STEP_BODY},
    {.dir = TCP_DIR_TO_SERVER, .kind = STEP_TEXT, .text = ".\r\n"},
    {.dir = TCP_DIR_TO_CLIENT, .kind = STEP_TEXT, .text = "250 2.0.0 Ok: queued as 4XyZ1\r\n"},
    {.dir = TCP_DIR_TO_SERVER, .kind = STEP_TEXT, .text = "QUIT\r\n"},
    {.dir = TCP_DIR_TO_CLIENT, .kind = STEP_TEXT, .text = "221 2.0.0 Bye\r\n"},
    {.dir = TCP_DIR_TO_SERVER, .kind = STEP_FIN},
    {.dir = TCP_DIR_TO_CLIENT, .kind = STEP_FIN},
    {.dir = TCP_DIR_TO_SERVER, .kind = STEP_ACK},
};
#define NSCRIPT (sizeof(script) / sizeof(script[0]))

struct gen_conv {
	struct pcap_write_conv conv;
	char client[16], server[16];
	unsigned id;
	size_t step;
	unsigned body; /* packets of STEP_BODY written so far */
	uint32_t next[2];
	bool active;
};

struct gen {
	struct pcap_write *w;
	char body[PASSIVE_BENCH_BODY_LEN];
};

static void gen_conv_start(struct gen_conv *g, unsigned id)
{
	memset(g, 0, sizeof(*g));
	snprintf(g->client, sizeof(g->client), "10.%u.%u.%u", (id >> 16) & 255, (id >> 8) & 255,
	         id & 255);
	snprintf(g->server, sizeof(g->server), "192.0.2.%u", id % 200 + 1);
	g->conv = (struct pcap_write_conv){
	    .client = g->client,
	    .server = g->server,
	    .client_port = (uint16_t)(1024 + id % 60000),
	    .server_port = id % 2 == 0 ? 25 : 587,
	    .client_isn = id * 2654435761u,
	    .server_isn = ~(id * 2246822519u),
	};
	g->id = id;
	g->next[0] = g->next[1] = 1;
	g->active = true;
}

static int put(struct gen *gen, struct gen_conv *g, enum tcp_dir dir, uint8_t flags, uint32_t seq,
               const char *data, size_t len)
{
	const struct pcap_write_seg seg = {
	    .dir = dir, .flags = flags, .seq = seq, .data = data, .len = len};
	return pcap_write_segment(gen->w, &g->conv, &seg);
}

/* One body packet: client segments, a server ACK after every second one;
 * in every tenth conversation segments 4 and 5 swap and 7 is sent twice. */
static int gen_body_packet(struct gen *gen, struct gen_conv *g)
{
	unsigned k = g->body++;
	if (k % 3 == 2)
		return put(gen, g, TCP_DIR_TO_CLIENT, PCAP_WRITE_ACK, g->next[1], NULL, 0);
	unsigned chunk = k / 3 * 2 + k % 3;
	if (g->id % 10 == 0 && (chunk == 4 || chunk == 5))
		chunk = chunk == 4 ? 5 : 4;
	uint32_t seq = g->next[0] + chunk * PASSIVE_BENCH_BODY_LEN;
	int rc = put(gen, g, TCP_DIR_TO_SERVER, PCAP_WRITE_ACK | PCAP_WRITE_PSH, seq, gen->body,
	             PASSIVE_BENCH_BODY_LEN);
	if (rc == 0 && g->id % 10 == 0 && chunk == 7)
		rc = put(gen, g, TCP_DIR_TO_SERVER, PCAP_WRITE_ACK, seq, gen->body,
		         PASSIVE_BENCH_BODY_LEN);
	return rc;
}

static bool body_done(const struct gen_conv *g)
{
	return g->body >= PASSIVE_BENCH_BODY_SEGMENTS / 2 * 3;
}

/* Writes the next packet of g; g->active turns false when it has finished. */
static int gen_step(struct gen *gen, struct gen_conv *g)
{
	while (g->step < NSCRIPT && script[g->step].kind == STEP_AUTH && g->id % 3 != 0)
		g->step++;
	if (g->step == NSCRIPT) {
		g->active = false;
		return 0;
	}
	const struct step *s = &script[g->step];
	uint32_t *next = &g->next[s->dir];
	int rc = 0;
	switch (s->kind) {
	case STEP_SYN:
		rc = put(gen, g, s->dir, PCAP_WRITE_SYN, 0, NULL, 0);
		break;
	case STEP_SYN_ACK:
		rc = put(gen, g, s->dir, PCAP_WRITE_SYN | PCAP_WRITE_ACK, 0, NULL, 0);
		break;
	case STEP_ACK:
		rc = put(gen, g, s->dir, PCAP_WRITE_ACK, *next, NULL, 0);
		break;
	case STEP_TEXT:
	case STEP_AUTH:
		rc = put(gen, g, s->dir, PCAP_WRITE_ACK | PCAP_WRITE_PSH, *next, s->text,
		         strlen(s->text));
		*next += (uint32_t)strlen(s->text);
		break;
	case STEP_BODY:
		rc = gen_body_packet(gen, g);
		if (!body_done(g))
			return rc;
		*next += PASSIVE_BENCH_BODY_SEGMENTS * PASSIVE_BENCH_BODY_LEN;
		break;
	case STEP_FIN:
		rc = put(gen, g, s->dir, PCAP_WRITE_ACK | PCAP_WRITE_FIN, *next, NULL, 0);
		*next += 1;
		break;
	}
	g->step++;
	return rc;
}

static int gen_main(const char *path, unsigned total)
{
	struct gen_conv *convs = calloc(PASSIVE_BENCH_ACTIVE, sizeof(*convs));
	struct gen gen = {.w = pcap_write_open(path, PCAP_WRITE_ETHERNET)};
	if (gen.w == NULL || convs == NULL) {
		fprintf(stderr, "passive_bench: cannot write %s\n", path);
		free(convs);
		return 1;
	}
	for (size_t i = 0; i < sizeof(gen.body); i++)
		gen.body[i] = (i + 1) % 72 == 0   ? '\n'
		              : (i + 2) % 72 == 0 ? '\r'
		                                  : (char)('a' + i % 26);
	unsigned started = 0, running = 0;
	int rc = 0;
	do {
		running = 0;
		for (size_t i = 0; i < PASSIVE_BENCH_ACTIVE && rc == 0; i++) {
			if (!convs[i].active && started < total)
				gen_conv_start(&convs[i], started++);
			if (convs[i].active) {
				rc = gen_step(&gen, &convs[i]);
				running++;
			}
		}
	} while (running > 0 && rc == 0);
	free(convs);
	if (pcap_write_close(gen.w) != 0 || rc != 0) {
		fprintf(stderr, "passive_bench: writing %s failed\n", path);
		return 1;
	}
	return 0;
}

struct counts {
	uint64_t flows, closed, data_calls, bytes, gaps;
};

static void *count_open(void *user, const struct tcp_flow_info *flow)
{
	(void)flow;
	struct counts *c = user;
	c->flows++;
	return c;
}

static void count_data(void *state, enum tcp_dir dir, const uint8_t *bytes, size_t len, double ts)
{
	(void)dir, (void)bytes, (void)ts;
	struct counts *c = state;
	c->data_calls++;
	c->bytes += len;
}

static void count_gap(void *state, enum tcp_dir dir, uint64_t missing, double ts)
{
	(void)dir, (void)missing, (void)ts;
	((struct counts *)state)->gaps++;
}

static void count_close(void *state, enum tcp_reasm_end how, double ts)
{
	(void)how, (void)ts;
	((struct counts *)state)->closed++;
}

static void feed(void *user, const struct tcp_segment *seg)
{
	tcp_reasm_segment(user, seg);
}

static int read_main(const char *path)
{
	struct counts counts = {0};
	static const uint16_t ports[] = PASSIVE_CAPTURE_SMTP_PORTS;
	const struct tcp_reasm_limits lim = {.server_ports = ports,
	                                     .nserver_ports = PASSIVE_CAPTURE_NSMTP_PORTS};
	const struct tcp_reasm_events ev = {.open = count_open,
	                                    .data = count_data,
	                                    .gap = count_gap,
	                                    .close = count_close,
	                                    .user = &counts};
	struct tcp_reasm *r = tcp_reasm_new(&lim, &ev);
	struct passive_capture *c;
	char err[256];
	const struct passive_capture_options opt = {.file = path};
	if (r == NULL || passive_capture_open(&c, &opt, err, sizeof(err)) != 0) {
		fprintf(stderr, "passive_bench: %s\n", r == NULL ? "out of memory" : err);
		tcp_reasm_free(r);
		return 1;
	}
	int rc = passive_capture_run(c, feed, r);
	struct passive_capture_stats cs;
	passive_capture_get_stats(c, &cs);
	passive_capture_close(c);
	tcp_reasm_flush(r, 0);
	struct tcp_reasm_stats rs;
	tcp_reasm_get_stats(r, &rs);
	tcp_reasm_free(r);
	printf("packets %" PRIu64 " bytes %" PRIu64 " segments %" PRIu64 " flows %" PRIu64
	       " closed %" PRIu64 " delivered %" PRIu64 " gaps %" PRIu64 " retransmitted %" PRIu64
	       " peak_flows %zu\n",
	       cs.packets, cs.bytes, cs.segments, counts.flows, counts.closed, counts.bytes,
	       counts.gaps, rs.retransmitted_bytes, rs.flows_peak);
	return rc == 0 ? 0 : 1;
}

int main(int argc, char **argv)
{
	if (argc == 4 && strcmp(argv[1], "gen") == 0) {
		char *end;
		unsigned long n = strtoul(argv[3], &end, 10);
		if (*end == '\0' && n > 0 && n < (1ul << 24))
			return gen_main(argv[2], (unsigned)n);
	}
	if (argc == 3 && strcmp(argv[1], "read") == 0)
		return read_main(argv[2]);
	fprintf(stderr, "usage: passive_bench gen FILE CONVERSATIONS | passive_bench read FILE\n");
	return 2;
}
