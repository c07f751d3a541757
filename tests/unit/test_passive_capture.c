/*
 * NAME
 *	test_passive_capture - unit tests for reading and decoding captures
 *
 * DESCRIPTION
 *	Writes capture files with pcap_write (every link type, VLAN and QinQ
 *	tags, IPv4 and IPv6 with extension headers), reads them back through
 *	the default BPF filter and checks the exact segments produced, one
 *	line each: direction, flags, relative sequence number, payload. Then
 *	the odd packets: cut by the snap length at every byte, fragments,
 *	non-TCP, other ports, contradictory lengths; the count and duration
 *	limits; a pcapng file (converted with editcap when it is installed);
 *	and live capture on lo, which needs root (skipped otherwise), both
 *	working and refused after dropping privileges.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "passive_capture.h"
#include "pcap_write.h"
#include "sa_error.h"
#include "text_buf.h"

struct got {
	char log[16384];
	struct text_buf t;
	uint16_t server_port;
	uint32_t client_isn, server_isn;
	char first[160]; /* "src -> dst" of the first segment */
	unsigned n;
};

static uint16_t port_of(const struct sockaddr_storage *ss)
{
	return ntohs(((const struct sockaddr_in *)ss)->sin_port);
}

static void endpoint_text(const struct sockaddr_storage *ss, char *buf, size_t len)
{
	char host[INET6_ADDRSTRLEN];
	const void *a = ss->ss_family == AF_INET
	                    ? (const void *)&((const struct sockaddr_in *)ss)->sin_addr
	                    : (const void *)&((const struct sockaddr_in6 *)ss)->sin6_addr;
	cr_assert_not_null(inet_ntop(ss->ss_family, a, host, sizeof(host)));
	snprintf(buf, len, "%s.%u", host, port_of(ss));
}

static void on_segment(void *user, const struct tcp_segment *seg)
{
	struct got *g = user;
	bool to_server = port_of(&seg->dst) == g->server_port;
	if (g->n++ == 0) {
		char s[64], d[64];
		endpoint_text(&seg->src, s, sizeof(s));
		endpoint_text(&seg->dst, d, sizeof(d));
		snprintf(g->first, sizeof(g->first), "%s -> %s", s, d);
	}
	text_buf_add(&g->t, "%c %s%s%s%s %u %.*s\n", to_server ? '>' : '<', seg->syn ? "S" : "",
	             seg->ack_flag ? "A" : "", seg->fin ? "F" : "", seg->rst ? "R" : "",
	             seg->seq - (to_server ? g->client_isn : g->server_isn), (int)seg->len,
	             (const char *)seg->payload);
}

static void got_init(struct got *g, const struct pcap_write_conv *conv)
{
	memset(g, 0, sizeof(*g));
	text_buf_init(&g->t, g->log, sizeof(g->log));
	g->server_port = conv->server_port;
	g->client_isn = conv->client_isn;
	g->server_isn = conv->server_isn;
}

/* Reads path with the options given (file set here) into g; returns the stats. */
static struct passive_capture_stats read_capture(const char *path,
                                                 struct passive_capture_options opt, struct got *g)
{
	struct passive_capture *c;
	char err[256] = "";
	opt.file = path;
	int rc = passive_capture_open(&c, &opt, err, sizeof(err));
	cr_assert_eq(rc, 0, "open %s: %s", path, err);
	cr_assert_eq(passive_capture_run(c, on_segment, g), 0);
	struct passive_capture_stats st;
	passive_capture_get_stats(c, &st);
	passive_capture_close(c);
	return st;
}

static void temp_path(char *buf, size_t len, const char *name)
{
	char dir[] = "/tmp/test_passive_capture.XXXXXX";
	cr_assert_not_null(mkdtemp(dir));
	snprintf(buf, len, "%s/%s", dir, name);
}

static void remove_temp(const char *path)
{
	char dir[256];
	snprintf(dir, sizeof(dir), "%s", path);
	*strrchr(dir, '/') = '\0';
	char cmd[512];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	cr_assert_eq(system(cmd), 0);
}

/* A short SMTP exchange with both FINs; the expected log of it. */
static const struct pcap_write_seg dialog[] = {
    {.dir = TCP_DIR_TO_SERVER, .flags = PCAP_WRITE_SYN},
    {.dir = TCP_DIR_TO_CLIENT, .flags = PCAP_WRITE_SYN | PCAP_WRITE_ACK},
    {.dir = TCP_DIR_TO_SERVER, .flags = PCAP_WRITE_ACK, .seq = 1},
    {.dir = TCP_DIR_TO_CLIENT,
     .flags = PCAP_WRITE_ACK | PCAP_WRITE_PSH,
     .seq = 1,
     .data = "220 mx"},
    {.dir = TCP_DIR_TO_SERVER,
     .flags = PCAP_WRITE_ACK | PCAP_WRITE_PSH,
     .seq = 1,
     .data = "EHLO c"},
    {.dir = TCP_DIR_TO_SERVER, .flags = PCAP_WRITE_ACK | PCAP_WRITE_FIN, .seq = 7},
    {.dir = TCP_DIR_TO_CLIENT, .flags = PCAP_WRITE_ACK | PCAP_WRITE_FIN, .seq = 7},
    {.dir = TCP_DIR_TO_SERVER, .flags = PCAP_WRITE_ACK, .seq = 8},
};
#define NDIALOG (sizeof(dialog) / sizeof(dialog[0]))
static const char dialog_log[] = "> S 0 \n"
                                 "< SA 0 \n"
                                 "> A 1 \n"
                                 "< A 1 220 mx\n"
                                 "> A 1 EHLO c\n"
                                 "> AF 7 \n"
                                 "< AF 7 \n"
                                 "> A 8 \n";

static struct pcap_write_conv conv_v4(void)
{
	return (struct pcap_write_conv){.client = "192.0.2.1",
	                                .server = "192.0.2.25",
	                                .client_port = 40000,
	                                .server_port = 25,
	                                .client_isn = 1000,
	                                .server_isn = 0xfffffff0u};
}

static struct pcap_write_conv conv_v6(bool ext)
{
	return (struct pcap_write_conv){.client = "2001:db8::1",
	                                .server = "2001:db8::25",
	                                .client_port = 40000,
	                                .server_port = 587,
	                                .client_isn = 7,
	                                .server_isn = 9,
	                                .ipv6_ext = ext};
}

struct link_case {
	enum pcap_write_link link;
	int dlt;
	int family; /* AF_INET or AF_INET6 */
	bool ext;
};

ParameterizedTestParameters(passive_capture, reads_every_link_type)
{
	static struct link_case cases[] = {
	    {.link = PCAP_WRITE_ETHERNET, .dlt = DLT_EN10MB, .family = AF_INET},
	    {.link = PCAP_WRITE_ETHERNET, .dlt = DLT_EN10MB, .family = AF_INET6},
	    {.link = PCAP_WRITE_ETHERNET, .dlt = DLT_EN10MB, .family = AF_INET6, .ext = true},
	    {.link = PCAP_WRITE_VLAN, .dlt = DLT_EN10MB, .family = AF_INET},
	    {.link = PCAP_WRITE_VLAN, .dlt = DLT_EN10MB, .family = AF_INET6},
	    {.link = PCAP_WRITE_QINQ, .dlt = DLT_EN10MB, .family = AF_INET},
	    {.link = PCAP_WRITE_QINQ, .dlt = DLT_EN10MB, .family = AF_INET6},
	    {.link = PCAP_WRITE_SLL, .dlt = DLT_LINUX_SLL, .family = AF_INET},
	    {.link = PCAP_WRITE_SLL, .dlt = DLT_LINUX_SLL, .family = AF_INET6, .ext = true},
	    {.link = PCAP_WRITE_SLL2, .dlt = DLT_LINUX_SLL2, .family = AF_INET},
	    {.link = PCAP_WRITE_SLL2, .dlt = DLT_LINUX_SLL2, .family = AF_INET6, .ext = true},
	    {.link = PCAP_WRITE_RAW, .dlt = DLT_RAW, .family = AF_INET},
	    {.link = PCAP_WRITE_RAW, .dlt = DLT_RAW, .family = AF_INET6, .ext = true},
	    {.link = PCAP_WRITE_IPV4, .dlt = DLT_IPV4, .family = AF_INET},
	    {.link = PCAP_WRITE_IPV6, .dlt = DLT_IPV6, .family = AF_INET6},
	    {.link = PCAP_WRITE_NULL, .dlt = DLT_NULL, .family = AF_INET},
	    {.link = PCAP_WRITE_NULL, .dlt = DLT_NULL, .family = AF_INET6},
	    {.link = PCAP_WRITE_LOOP, .dlt = DLT_LOOP, .family = AF_INET},
	    {.link = PCAP_WRITE_LOOP, .dlt = DLT_LOOP, .family = AF_INET6, .ext = true},
	};
	return cr_make_param_array(struct link_case, cases, sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct link_case *lc, passive_capture, reads_every_link_type, .timeout = 10)
{
	char path[256];
	temp_path(path, sizeof(path), "dialog.pcap");
	struct pcap_write_conv conv = lc->family == AF_INET ? conv_v4() : conv_v6(lc->ext);
	cr_assert_eq(pcap_write_conversation(path, lc->link, &conv, dialog, NDIALOG), 0);
	struct got g;
	got_init(&g, &conv);
	struct passive_capture *c;
	char err[256];
	const struct passive_capture_options opt = {.file = path};
	cr_assert_eq(passive_capture_open(&c, &opt, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(passive_capture_linktype(c), lc->dlt);
	cr_assert_eq(passive_capture_run(c, on_segment, &g), 0);
	struct passive_capture_stats st;
	passive_capture_get_stats(c, &st);
	passive_capture_close(c);
	cr_assert_str_eq(g.log, dialog_log);
	cr_assert_str_eq(g.first, lc->family == AF_INET ? "192.0.2.1.40000 -> 192.0.2.25.25"
	                                                : "2001:db8::1.40000 -> 2001:db8::25.587");
	cr_assert_eq(st.packets, NDIALOG);
	cr_assert_eq(st.segments, NDIALOG);
	cr_assert_eq(st.non_tcp + st.truncated + st.fragments + st.malformed, 0);
	remove_temp(path);
}

/* Builds one data frame of conv into buf; returns its length. */
static size_t build_data(enum pcap_write_link link, const struct pcap_write_conv *conv,
                         uint8_t *buf, size_t cap)
{
	const struct pcap_write_seg seg = {
	    .dir = TCP_DIR_TO_SERVER, .flags = PCAP_WRITE_ACK, .seq = 1, .data = "MAIL FROM:<a@b>"};
	size_t len = pcap_write_build(link, conv, &seg, buf, cap);
	cr_assert_gt(len, 0);
	return len;
}

ParameterizedTestParameters(passive_capture, never_reads_past_the_captured_bytes)
{
	static struct link_case cases[] = {
	    {.link = PCAP_WRITE_ETHERNET, .dlt = DLT_EN10MB, .family = AF_INET},
	    {.link = PCAP_WRITE_QINQ, .dlt = DLT_EN10MB, .family = AF_INET6, .ext = true},
	    {.link = PCAP_WRITE_SLL, .dlt = DLT_LINUX_SLL, .family = AF_INET},
	    {.link = PCAP_WRITE_SLL2, .dlt = DLT_LINUX_SLL2, .family = AF_INET6, .ext = true},
	    {.link = PCAP_WRITE_RAW, .dlt = DLT_RAW, .family = AF_INET6},
	    {.link = PCAP_WRITE_NULL, .dlt = DLT_NULL, .family = AF_INET},
	    {.link = PCAP_WRITE_LOOP, .dlt = DLT_LOOP, .family = AF_INET6, .ext = true},
	};
	return cr_make_param_array(struct link_case, cases, sizeof(cases) / sizeof(cases[0]));
}

/* Each prefix of the frame sits at the end of its own allocation, so a read
 * past caplen is caught by the sanitizer build. */
ParameterizedTest(struct link_case *lc, passive_capture, never_reads_past_the_captured_bytes,
                  .timeout = 10)
{
	struct pcap_write_conv conv = lc->family == AF_INET ? conv_v4() : conv_v6(lc->ext);
	uint8_t frame[256];
	size_t len = build_data(lc->link, &conv, frame, sizeof(frame));
	size_t headers = len - strlen("MAIL FROM:<a@b>");
	for (size_t cap = 0; cap <= len; cap++) {
		uint8_t *copy = malloc(cap > 0 ? cap : 1);
		cr_assert_not_null(copy);
		memcpy(copy, frame, cap);
		struct tcp_segment seg;
		enum passive_capture_verdict v =
		    passive_capture_decode(lc->dlt, copy, cap, len, 1.0, &seg);
		if (cap < headers) {
			cr_assert_eq(v, PASSIVE_CAPTURE_TRUNCATED, "caplen %zu of %zu", cap, len);
		} else {
			cr_assert_eq(v,
			             cap < len ? PASSIVE_CAPTURE_PARTIAL : PASSIVE_CAPTURE_SEGMENT,
			             "caplen %zu of %zu", cap, len);
			cr_assert_eq(seg.len, cap - headers);
			cr_assert_eq(memcmp(seg.payload, "MAIL FROM:<a@b>", seg.len), 0);
		}
		free(copy);
	}
}

Test(passive_capture, truncated_packets_are_counted, .timeout = 10)
{
	char path[256];
	temp_path(path, sizeof(path), "cut.pcap");
	struct pcap_write_conv conv = conv_v4();
	const struct pcap_write_seg segs[] = {
	    {.dir = TCP_DIR_TO_SERVER, .flags = PCAP_WRITE_ACK, .seq = 1, .data = "EHLO c\r\n"},
	    /* Cut inside the TCP header: nothing usable. */
	    {.dir = TCP_DIR_TO_SERVER,
	     .flags = PCAP_WRITE_ACK,
	     .seq = 9,
	     .data = "lost",
	     .snap = 14 + 20 + 10},
	    /* Cut inside the payload: the captured part still counts. */
	    {.dir = TCP_DIR_TO_SERVER,
	     .flags = PCAP_WRITE_ACK,
	     .seq = 13,
	     .data = "MAIL FROM:<a@b>\r\n",
	     .snap = 14 + 20 + 20 + 4},
	    /* Cut inside the Ethernet header. */
	    {.dir = TCP_DIR_TO_SERVER, .flags = PCAP_WRITE_ACK, .seq = 30, .data = "x", .snap = 6},
	};
	cr_assert_eq(pcap_write_conversation(path, PCAP_WRITE_ETHERNET, &conv, segs, 4), 0);
	struct got g;
	got_init(&g, &conv);
	/* An empty filter: BPF itself rejects a frame cut before the ethertype. */
	struct passive_capture_stats st =
	    read_capture(path, (struct passive_capture_options){.filter = ""}, &g);
	cr_assert_str_eq(g.log, "> A 1 EHLO c\r\n\n"
	                        "> A 13 MAIL\n");
	cr_assert_eq(st.packets, 4);
	cr_assert_eq(st.segments, 2);
	cr_assert_eq(st.truncated, 3);
	remove_temp(path);
}

/* Writes frame after patching one byte at an offset from the IP header. */
static void write_patched(struct pcap_write *w, enum pcap_write_link link,
                          const struct pcap_write_conv *conv, int ip_off, uint8_t value)
{
	uint8_t frame[256];
	size_t len = build_data(link, conv, frame, sizeof(frame));
	frame[(int)pcap_write_link_len(link) + ip_off] = value;
	cr_assert_eq(pcap_write_frame(w, frame, len, len), 0);
}

Test(passive_capture, skips_fragments_non_tcp_and_malformed, .timeout = 10)
{
	char path[256];
	temp_path(path, sizeof(path), "odd.pcap");
	struct pcap_write *w = pcap_write_open(path, PCAP_WRITE_ETHERNET);
	cr_assert_not_null(w);
	struct pcap_write_conv v4 = conv_v4(), v6 = conv_v6(false);
	write_patched(w, PCAP_WRITE_ETHERNET, &v4, 7, 0x10);  /* IPv4 fragment offset 16 */
	write_patched(w, PCAP_WRITE_ETHERNET, &v4, 6, 0x20);  /* first fragment (MF): decoded */
	write_patched(w, PCAP_WRITE_ETHERNET, &v6, 6, 44);    /* IPv6 fragment header */
	write_patched(w, PCAP_WRITE_ETHERNET, &v4, 9, 17);    /* UDP */
	write_patched(w, PCAP_WRITE_ETHERNET, &v6, 6, 58);    /* ICMPv6 */
	write_patched(w, PCAP_WRITE_ETHERNET, &v4, 0, 0x44);  /* IHL 4 words */
	write_patched(w, PCAP_WRITE_ETHERNET, &v4, 2, 0x7f);  /* total length past the frame */
	write_patched(w, PCAP_WRITE_ETHERNET, &v4, 32, 0x40); /* TCP data offset 4 words */
	write_patched(w, PCAP_WRITE_ETHERNET, &v4, -1, 0x06); /* ethertype 0x0806: ARP */
	cr_assert_eq(pcap_write_close(w), 0);
	struct got g;
	got_init(&g, &v4);
	/* An empty filter lets everything through to the decoder. */
	struct passive_capture_stats st =
	    read_capture(path, (struct passive_capture_options){.filter = ""}, &g);
	cr_assert_str_eq(g.log, "> A 1 MAIL FROM:<a@b>\n");
	cr_assert_eq(st.packets, 9);
	cr_assert_eq(st.segments, 1);
	cr_assert_eq(st.fragments, 2);
	cr_assert_eq(st.non_tcp, 3);
	cr_assert_eq(st.malformed, 3);
	remove_temp(path);
}

Test(passive_capture, default_filter_keeps_only_smtp_ports, .timeout = 10)
{
	char path[256];
	temp_path(path, sizeof(path), "ports.pcap");
	struct pcap_write *w = pcap_write_open(path, PCAP_WRITE_VLAN);
	cr_assert_not_null(w);
	const struct pcap_write_seg seg = {
	    .dir = TCP_DIR_TO_SERVER, .flags = PCAP_WRITE_ACK, .seq = 1, .data = "x"};
	const uint16_t ports[] = {25, 80, 465, 587, 2525, 8025, 443};
	for (size_t i = 0; i < sizeof(ports) / sizeof(ports[0]); i++) {
		struct pcap_write_conv v4 = conv_v4(), v6 = conv_v6(true);
		v4.server_port = v6.server_port = ports[i];
		cr_assert_eq(pcap_write_segment(w, &v4, &seg), 0);
		cr_assert_eq(pcap_write_segment(w, &v6, &seg), 0);
	}
	cr_assert_eq(pcap_write_close(w), 0);
	struct pcap_write_conv any = conv_v4();
	struct got g;
	got_init(&g, &any);
	const uint16_t extra[] = {8025};
	struct passive_capture_stats st = read_capture(
	    path, (struct passive_capture_options){.extra_ports = extra, .nextra_ports = 1}, &g);
	/* IPv6 with extension headers passes BPF on any port; the port check drops 80 and 443. */
	cr_assert_eq(st.segments, 10);
	cr_assert_eq(st.packets, 12);
	cr_assert_eq(st.non_tcp, 2);
	remove_temp(path);
}

Test(passive_capture, stops_after_count_and_duration, .timeout = 10)
{
	char path[256];
	temp_path(path, sizeof(path), "dialog.pcap");
	struct pcap_write_conv conv = conv_v4();
	cr_assert_eq(pcap_write_conversation(path, PCAP_WRITE_SLL2, &conv, dialog, NDIALOG), 0);
	struct got g;
	got_init(&g, &conv);
	struct passive_capture_stats st =
	    read_capture(path, (struct passive_capture_options){.count = 3}, &g);
	cr_assert_eq(st.packets, 3);
	cr_assert_str_eq(g.log, "> S 0 \n< SA 0 \n> A 1 \n");
	got_init(&g, &conv);
	/* Packets are 1 ms apart: 0, 1, 2 ms are within 2.5 ms of the first. */
	st = read_capture(path, (struct passive_capture_options){.duration = 0.0025}, &g);
	cr_assert_eq(st.packets, 3);
	remove_temp(path);
}

Test(passive_capture, reads_pcapng, .timeout = 30)
{
	if (system("command -v editcap >/dev/null 2>&1") != 0)
		cr_skip_test("editcap (wireshark-common) is not installed: no pcapng to read");
	char path[256], ng[300], cmd[700];
	temp_path(path, sizeof(path), "dialog.pcap");
	snprintf(ng, sizeof(ng), "%sng", path);
	struct pcap_write_conv conv = conv_v6(true);
	cr_assert_eq(pcap_write_conversation(path, PCAP_WRITE_ETHERNET, &conv, dialog, NDIALOG), 0);
	snprintf(cmd, sizeof(cmd), "editcap -F pcapng '%s' '%s'", path, ng);
	cr_assert_eq(system(cmd), 0);
	FILE *f = fopen(ng, "rb");
	cr_assert_not_null(f);
	uint8_t magic[4];
	cr_assert_eq(fread(magic, 1, 4, f), 4);
	fclose(f);
	cr_assert_eq(memcmp(magic, "\x0a\x0d\x0d\x0a", 4), 0, "editcap wrote a pcapng section");
	struct got g;
	got_init(&g, &conv);
	struct passive_capture_stats st = read_capture(ng, (struct passive_capture_options){0}, &g);
	cr_assert_str_eq(g.log, dialog_log);
	cr_assert_eq(st.segments, NDIALOG);
	remove_temp(path);
}

Test(passive_capture, reads_an_open_stream, .timeout = 10)
{
	char path[256];
	temp_path(path, sizeof(path), "dialog.pcap");
	struct pcap_write_conv conv = conv_v4();
	cr_assert_eq(pcap_write_conversation(path, PCAP_WRITE_SLL, &conv, dialog, NDIALOG), 0);
	static char mem[4096];
	FILE *f = fopen(path, "rb");
	cr_assert_not_null(f);
	size_t n = fread(mem, 1, sizeof(mem), f);
	fclose(f);
	cr_assert(n > 0 && n < sizeof(mem));
	struct got g;
	got_init(&g, &conv);
	struct passive_capture *c;
	char err[256];
	const struct passive_capture_options opt = {.stream = fmemopen(mem, n, "rb")};
	cr_assert_eq(passive_capture_open(&c, &opt, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(passive_capture_run(c, on_segment, &g), 0);
	passive_capture_close(c);
	cr_assert_str_eq(g.log, dialog_log);
	/* Not a capture: refused, and the stream is closed all the same (no leak under ASan). */
	const struct passive_capture_options junk = {.stream = fmemopen("EHLO x\r\n", 8, "rb")};
	cr_assert_eq(passive_capture_open(&c, &junk, err, sizeof(err)), SA_ERROR_PARSE);
	cr_assert_null(c);
	remove_temp(path);
}

Test(passive_capture, open_errors_name_the_cause, .timeout = 10)
{
	struct passive_capture *c;
	char err[256];
	const struct passive_capture_options missing = {.file = "/nonexistent/x.pcap"};
	cr_assert_eq(passive_capture_open(&c, &missing, err, sizeof(err)), SA_ERROR_NOTFOUND);
	cr_assert_not_null(strstr(err, "/nonexistent/x.pcap"), "%s", err);
	cr_assert_null(c);
	const struct passive_capture_options neither = {0};
	cr_assert_eq(passive_capture_open(&c, &neither, err, sizeof(err)), SA_ERROR_INVAL);
	char path[256];
	temp_path(path, sizeof(path), "d.pcap");
	struct pcap_write_conv conv = conv_v4();
	cr_assert_eq(pcap_write_conversation(path, PCAP_WRITE_RAW, &conv, dialog, 1), 0);
	const struct passive_capture_options bad = {.file = path, .filter = "tcp port nope"};
	cr_assert_eq(passive_capture_open(&c, &bad, err, sizeof(err)), SA_ERROR_PARSE);
	cr_assert_not_null(strstr(err, "tcp port nope"), "%s", err);
	remove_temp(path);
	if (getuid() != 0)
		cr_skip_test("not root: the no-such-interface check needs a capture permission");
	const struct passive_capture_options noif = {.iface = "sa-no-such-if0"};
	cr_assert_eq(passive_capture_open(&c, &noif, err, sizeof(err)), SA_ERROR_NOTFOUND);
	cr_assert_not_null(strstr(err, "sa-no-such-if0"), "%s", err);
}

/* Opening lo without privileges (in a child that drops them when root). */
Test(passive_capture, live_capture_without_permission_names_cap_net_raw, .timeout = 10)
{
	pid_t pid = fork();
	cr_assert_neq(pid, -1);
	if (pid == 0) {
		if (getuid() == 0 && (setgid(65534) != 0 || setuid(65534) != 0))
			_exit(2);
		struct passive_capture *c;
		char err[256] = "";
		const struct passive_capture_options opt = {.iface = "lo"};
		int rc = passive_capture_open(&c, &opt, err, sizeof(err));
		_exit(rc == SA_ERROR_POLICY && strstr(err, "CAP_NET_RAW") != NULL ? 0 : 1);
	}
	int status;
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_assert(WIFEXITED(status));
	cr_assert_eq(WEXITSTATUS(status), 0);
}

Test(passive_capture, live_capture_on_loopback, .timeout = 20)
{
	if (getuid() != 0)
		cr_skip_test("live capture needs root or CAP_NET_RAW");
	int lsock = socket(AF_INET, SOCK_STREAM, 0);
	cr_assert_geq(lsock, 0);
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t slen = sizeof(sin);
	cr_assert_eq(bind(lsock, (struct sockaddr *)&sin, sizeof(sin)), 0);
	cr_assert_eq(listen(lsock, 1), 0);
	cr_assert_eq(getsockname(lsock, (struct sockaddr *)&sin, &slen), 0);
	uint16_t port = ntohs(sin.sin_port);
	struct passive_capture *c;
	char err[256], filter[64];
	/* Only this test's port: colleagues' tests may run SMTP on lo at the same time. */
	snprintf(filter, sizeof(filter), "tcp port %u", port);
	const struct passive_capture_options opt = {
	    .iface = "lo", .filter = filter, .duration = 1.0};
	cr_assert_eq(passive_capture_open(&c, &opt, err, sizeof(err)), 0, "%s", err);
	int csock = socket(AF_INET, SOCK_STREAM, 0);
	cr_assert_eq(connect(csock, (struct sockaddr *)&sin, sizeof(sin)), 0);
	int asock = accept(lsock, NULL, NULL);
	cr_assert_geq(asock, 0);
	cr_assert_eq(write(csock, "EHLO live\r\n", 11), 11);
	char buf[16];
	cr_assert_eq(read(asock, buf, sizeof(buf)), 11);
	struct got g;
	memset(&g, 0, sizeof(g));
	text_buf_init(&g.t, g.log, sizeof(g.log));
	g.server_port = port;
	cr_assert_eq(passive_capture_run(c, on_segment, &g), 0);
	close(csock);
	close(asock);
	close(lsock);
	/* The SYN, SYN-ACK, ACK and the data; sequence numbers are absolute here. */
	struct passive_capture_stats st;
	passive_capture_get_stats(c, &st);
	passive_capture_close(c);
	cr_assert_geq(g.n, 4, "%u segments, %llu dropped:\n%s", g.n, (unsigned long long)st.dropped,
	              g.log);
	cr_assert_not_null(strstr(g.log, "> S "), "%s", g.log);
	cr_assert_not_null(strstr(g.log, "< SA "), "%s", g.log);
	cr_assert_not_null(strstr(g.log, "EHLO live\r\n"), "%s", g.log);
}
