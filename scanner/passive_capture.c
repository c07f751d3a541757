/*
 * NAME
 *	passive_capture - read packets with libpcap and decode them to TCP segments
 *
 * DESCRIPTION
 *	See passive_capture.h. The decoder walks the packet with a cursor that
 *	knows both the captured and the on-wire length: a header that would
 *	end past the captured bytes but within the wire length is truncated, a
 *	header that would end past the wire length is malformed. The IP total
 *	length (not the captured length) bounds the TCP payload, which drops
 *	Ethernet padding; a total length of 0 (segmentation offload seen on the
 *	sending host) means "up to the end of the packet".
 *
 *	The default BPF filter also lets through IPv4 non-first fragments and
 *	IPv6 packets whose first next header is an extension header, because
 *	BPF cannot see their TCP ports: the fragments are counted and the
 *	others decoded, and the ports are then checked here.
 *
 * DIAGNOSTICS
 *	See passive_capture.h.
 */
#include "passive_capture.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pcap/pcap.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sa_error.h"
#include "text_buf.h"

#define PASSIVE_CAPTURE_MAX_PORTS  64
#define PASSIVE_CAPTURE_POLL_MS    100
#define PASSIVE_CAPTURE_FILTER_MAX 8192
#define PASSIVE_CAPTURE_BUFFER     (32 * 1024 * 1024) /* kernel ring: absorbs bursts */

#define ETHERTYPE_IPV4    0x0800
#define ETHERTYPE_IPV6    0x86dd
#define IPPROTO_HOPOPTS_  0
#define IPPROTO_TCP_      6
#define IPPROTO_ROUTING_  43
#define IPPROTO_FRAGMENT_ 44
#define IPPROTO_DSTOPTS_  60

struct passive_capture {
	pcap_t *pcap;
	int dlt;
	bool live;
	bool check_ports; /* the default filter is in use */
	uint16_t ports[PASSIVE_CAPTURE_MAX_PORTS];
	size_t nports;
	double duration;
	uint64_t count;
	double first_ts; /* of the first packet of a file; < 0 before it */
	struct timespec started;
	volatile sig_atomic_t stop;
	passive_capture_segment_cb cb;
	void *user;
	struct passive_capture_stats stats;
};

/* A read position in a packet, with both its captured and its wire length. */
struct cursor {
	const uint8_t *pkt;
	size_t off, cap, wire;
};

static uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* PASSIVE_CAPTURE_SEGMENT when n bytes from the cursor can be read. */
static enum passive_capture_verdict need(const struct cursor *c, size_t n)
{
	if (c->off + n <= c->cap)
		return PASSIVE_CAPTURE_SEGMENT;
	return c->off + n > c->wire ? PASSIVE_CAPTURE_MALFORMED : PASSIVE_CAPTURE_TRUNCATED;
}

static bool ethertype_is_vlan(uint16_t type)
{
	return type == 0x8100 || type == 0x88a8 || type == 0x9100;
}

/* Skips any stack of VLAN tags; *type is the ethertype after them. */
static enum passive_capture_verdict skip_vlan_tags(struct cursor *c, uint16_t *type)
{
	while (ethertype_is_vlan(*type)) {
		enum passive_capture_verdict v = need(c, 4);
		if (v != PASSIVE_CAPTURE_SEGMENT)
			return v;
		*type = rd16(c->pkt + c->off + 2);
		c->off += 4;
	}
	return PASSIVE_CAPTURE_SEGMENT;
}

/* The BSD loopback header holds an AF_ value in the capturing host's byte
 * order, and AF_INET6 differs between systems. */
static uint16_t loopback_ethertype(const uint8_t *p, int dlt)
{
	uint32_t be = rd32(p);
	uint32_t le = (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 | p[0];
	uint32_t af = dlt == DLT_LOOP || (be != 0 && be < 256) ? be : le;
	if (af == 2)
		return ETHERTYPE_IPV4;
	if (af == 10 || af == 24 || af == 28 || af == 30)
		return ETHERTYPE_IPV6;
	return 0;
}

/* Moves the cursor past the link layer; *type is the network protocol. */
static enum passive_capture_verdict decode_link(int dlt, struct cursor *c, uint16_t *type)
{
	enum passive_capture_verdict v;
	switch (dlt) {
	case DLT_EN10MB:
		if ((v = need(c, 14)) != PASSIVE_CAPTURE_SEGMENT)
			return v;
		*type = rd16(c->pkt + 12);
		c->off = 14;
		return skip_vlan_tags(c, type);
	case DLT_LINUX_SLL:
		if ((v = need(c, 16)) != PASSIVE_CAPTURE_SEGMENT)
			return v;
		*type = rd16(c->pkt + 14);
		c->off = 16;
		return skip_vlan_tags(c, type);
	case DLT_LINUX_SLL2:
		if ((v = need(c, 20)) != PASSIVE_CAPTURE_SEGMENT)
			return v;
		*type = rd16(c->pkt);
		c->off = 20;
		return skip_vlan_tags(c, type);
	case DLT_NULL:
	case DLT_LOOP:
		if ((v = need(c, 4)) != PASSIVE_CAPTURE_SEGMENT)
			return v;
		*type = loopback_ethertype(c->pkt, dlt);
		c->off = 4;
		return PASSIVE_CAPTURE_SEGMENT;
	case DLT_RAW:
		if ((v = need(c, 1)) != PASSIVE_CAPTURE_SEGMENT)
			return v;
		*type = c->pkt[0] >> 4 == 6 ? ETHERTYPE_IPV6 : ETHERTYPE_IPV4;
		return PASSIVE_CAPTURE_SEGMENT;
	case DLT_IPV4:
		*type = ETHERTYPE_IPV4;
		return PASSIVE_CAPTURE_SEGMENT;
	case DLT_IPV6:
		*type = ETHERTYPE_IPV6;
		return PASSIVE_CAPTURE_SEGMENT;
	default:
		return PASSIVE_CAPTURE_NON_TCP;
	}
}

/* The IP payload ends at end (total length bounded by the wire length). */
static enum passive_capture_verdict ip_payload_end(struct cursor *c, size_t declared, size_t *end)
{
	if (declared == 0) {
		*end = c->wire;
		return PASSIVE_CAPTURE_SEGMENT;
	}
	if (c->off + declared > c->wire)
		return PASSIVE_CAPTURE_MALFORMED;
	*end = c->off + declared;
	return PASSIVE_CAPTURE_SEGMENT;
}

static enum passive_capture_verdict decode_ipv4(struct cursor *c, struct tcp_segment *seg,
                                                size_t *end)
{
	enum passive_capture_verdict v = need(c, 20);
	if (v != PASSIVE_CAPTURE_SEGMENT)
		return v;
	const uint8_t *ip = c->pkt + c->off;
	size_t hlen = (size_t)(ip[0] & 0x0f) * 4;
	if (ip[0] >> 4 != 4 || hlen < 20)
		return PASSIVE_CAPTURE_MALFORMED;
	if ((v = need(c, hlen)) != PASSIVE_CAPTURE_SEGMENT)
		return v;
	size_t total = rd16(ip + 2);
	if (total != 0 && total < hlen)
		return PASSIVE_CAPTURE_MALFORMED;
	if ((v = ip_payload_end(c, total, end)) != PASSIVE_CAPTURE_SEGMENT)
		return v;
	if ((rd16(ip + 6) & 0x1fff) != 0)
		return PASSIVE_CAPTURE_FRAGMENT;
	if (ip[9] != IPPROTO_TCP_)
		return PASSIVE_CAPTURE_NON_TCP;
	struct sockaddr_in *src = (struct sockaddr_in *)&seg->src;
	struct sockaddr_in *dst = (struct sockaddr_in *)&seg->dst;
	src->sin_family = dst->sin_family = AF_INET;
	memcpy(&src->sin_addr, ip + 12, 4);
	memcpy(&dst->sin_addr, ip + 16, 4);
	c->off += hlen;
	return PASSIVE_CAPTURE_SEGMENT;
}

/* Follows hop-by-hop, routing and destination-options headers to TCP. */
static enum passive_capture_verdict skip_ipv6_extensions(struct cursor *c, uint8_t next, size_t end)
{
	while (next != IPPROTO_TCP_) {
		if (next == IPPROTO_FRAGMENT_)
			return PASSIVE_CAPTURE_FRAGMENT;
		if (next != IPPROTO_HOPOPTS_ && next != IPPROTO_ROUTING_ &&
		    next != IPPROTO_DSTOPTS_)
			return PASSIVE_CAPTURE_NON_TCP;
		enum passive_capture_verdict v = need(c, 2);
		if (v != PASSIVE_CAPTURE_SEGMENT)
			return v;
		size_t len = ((size_t)c->pkt[c->off + 1] + 1) * 8;
		if (c->off + len > end)
			return PASSIVE_CAPTURE_MALFORMED;
		if ((v = need(c, len)) != PASSIVE_CAPTURE_SEGMENT)
			return v;
		next = c->pkt[c->off];
		c->off += len;
	}
	return PASSIVE_CAPTURE_SEGMENT;
}

static enum passive_capture_verdict decode_ipv6(struct cursor *c, struct tcp_segment *seg,
                                                size_t *end)
{
	enum passive_capture_verdict v = need(c, 40);
	if (v != PASSIVE_CAPTURE_SEGMENT)
		return v;
	const uint8_t *ip = c->pkt + c->off;
	if (ip[0] >> 4 != 6)
		return PASSIVE_CAPTURE_MALFORMED;
	struct sockaddr_in6 *src = (struct sockaddr_in6 *)&seg->src;
	struct sockaddr_in6 *dst = (struct sockaddr_in6 *)&seg->dst;
	src->sin6_family = dst->sin6_family = AF_INET6;
	memcpy(&src->sin6_addr, ip + 8, 16);
	memcpy(&dst->sin6_addr, ip + 24, 16);
	c->off += 40;
	if ((v = ip_payload_end(c, rd16(ip + 4), end)) != PASSIVE_CAPTURE_SEGMENT)
		return v;
	return skip_ipv6_extensions(c, ip[6], *end);
}

static enum passive_capture_verdict decode_tcp(struct cursor *c, size_t end,
                                               struct tcp_segment *seg)
{
	enum passive_capture_verdict v = need(c, 20);
	if (v != PASSIVE_CAPTURE_SEGMENT)
		return v;
	const uint8_t *tcp = c->pkt + c->off;
	size_t hlen = (size_t)(tcp[12] >> 4) * 4;
	if (hlen < 20 || c->off + hlen > end)
		return PASSIVE_CAPTURE_MALFORMED;
	if ((v = need(c, hlen)) != PASSIVE_CAPTURE_SEGMENT)
		return v;
	uint16_t sport = htons(rd16(tcp)), dport = htons(rd16(tcp + 2));
	if (seg->src.ss_family == AF_INET) {
		((struct sockaddr_in *)&seg->src)->sin_port = sport;
		((struct sockaddr_in *)&seg->dst)->sin_port = dport;
	} else {
		((struct sockaddr_in6 *)&seg->src)->sin6_port = sport;
		((struct sockaddr_in6 *)&seg->dst)->sin6_port = dport;
	}
	seg->seq = rd32(tcp + 4);
	seg->ack = rd32(tcp + 8);
	uint8_t flags = tcp[13];
	seg->fin = flags & 0x01;
	seg->syn = flags & 0x02;
	seg->rst = flags & 0x04;
	seg->ack_flag = flags & 0x10;
	c->off += hlen;
	size_t captured_end = end < c->cap ? end : c->cap;
	seg->payload = c->pkt + c->off;
	seg->len = captured_end > c->off ? captured_end - c->off : 0;
	return captured_end < end ? PASSIVE_CAPTURE_PARTIAL : PASSIVE_CAPTURE_SEGMENT;
}

enum passive_capture_verdict passive_capture_decode(int dlt, const uint8_t *pkt, size_t caplen,
                                                    size_t wire_len, double ts,
                                                    struct tcp_segment *seg)
{
	struct cursor c = {
	    .pkt = pkt, .cap = caplen, .wire = wire_len < caplen ? caplen : wire_len};
	memset(seg, 0, sizeof(*seg));
	seg->ts = ts;
	uint16_t type = 0;
	size_t end = 0;
	enum passive_capture_verdict v = decode_link(dlt, &c, &type);
	if (v != PASSIVE_CAPTURE_SEGMENT)
		return v;
	if (type == ETHERTYPE_IPV4)
		v = decode_ipv4(&c, seg, &end);
	else if (type == ETHERTYPE_IPV6)
		v = decode_ipv6(&c, seg, &end);
	else
		return PASSIVE_CAPTURE_NON_TCP;
	if (v != PASSIVE_CAPTURE_SEGMENT)
		return v;
	return decode_tcp(&c, end, seg);
}

static bool dlt_supported(int dlt)
{
	static const int known[] = {DLT_EN10MB, DLT_LINUX_SLL, DLT_LINUX_SLL2, DLT_NULL,
	                            DLT_LOOP,   DLT_RAW,       DLT_IPV4,       DLT_IPV6};
	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (known[i] == dlt)
			return true;
	return false;
}

/* The ports of the default filter: the SMTP ones, then the caller's. */
static int collect_ports(const uint16_t *extra, size_t nextra, uint16_t *ports, size_t *nports)
{
	static const uint16_t smtp[] = PASSIVE_CAPTURE_SMTP_PORTS;
	_Static_assert(sizeof(smtp) / sizeof(smtp[0]) == PASSIVE_CAPTURE_NSMTP_PORTS,
	               "PASSIVE_CAPTURE_NSMTP_PORTS counts PASSIVE_CAPTURE_SMTP_PORTS");
	if (nextra > PASSIVE_CAPTURE_MAX_PORTS - PASSIVE_CAPTURE_NSMTP_PORTS)
		return SA_ERROR_TOOBIG;
	memcpy(ports, smtp, sizeof(smtp));
	if (nextra > 0)
		memcpy(ports + PASSIVE_CAPTURE_NSMTP_PORTS, extra, nextra * sizeof(*extra));
	*nports = PASSIVE_CAPTURE_NSMTP_PORTS + nextra;
	return 0;
}

int passive_capture_default_filter(int dlt, const uint16_t *extra_ports, size_t nextra_ports,
                                   char *buf, size_t buflen)
{
	uint16_t ports[PASSIVE_CAPTURE_MAX_PORTS];
	size_t nports;
	int err = collect_ports(extra_ports, nextra_ports, ports, &nports);
	if (err != 0)
		return err;
	char tcp[PASSIVE_CAPTURE_FILTER_MAX / 4];
	struct text_buf t;
	text_buf_init(&t, tcp, sizeof(tcp));
	text_buf_add(&t, "(tcp and (port %u", ports[0]);
	for (size_t i = 1; i < nports; i++)
		text_buf_add(&t, " or port %u", ports[i]);
	/* IPv4 non-first fragments and IPv6 extension headers hide the ports from BPF. */
	text_buf_add(&t,
	             ") or (ip and ip[6:2] & 0x1fff != 0) or (ip6 and (ip6[6] == %d or "
	             "ip6[6] == %d or ip6[6] == %d or ip6[6] == %d)))",
	             IPPROTO_HOPOPTS_, IPPROTO_ROUTING_, IPPROTO_DSTOPTS_, IPPROTO_FRAGMENT_);
	if (t.used + 1 >= sizeof(tcp))
		return SA_ERROR_TOOBIG;
	int n;
	/* Each vlan keyword moves the offsets for the rest of the expression,
	 * so the nesting matches untagged, single- and double-tagged frames. */
	if (dlt == DLT_EN10MB)
		n = snprintf(buf, buflen, "%s or (vlan and (%s or (vlan and %s)))", tcp, tcp, tcp);
	else
		n = snprintf(buf, buflen, "%s", tcp);
	return n < 0 || (size_t)n >= buflen ? SA_ERROR_TOOBIG : 0;
}

static int fail(char *err, size_t errlen, int code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int fail(char *err, size_t errlen, int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return code;
}

static int open_file(struct passive_capture *c, const char *path, char *err, size_t errlen)
{
	char perr[PCAP_ERRBUF_SIZE] = "";
	c->pcap = pcap_open_offline(path, perr);
	if (c->pcap == NULL)
		return fail(err, errlen, errno == ENOENT ? SA_ERROR_NOTFOUND : SA_ERROR_IO,
		            "cannot read capture %s: %s", path, perr);
	return 0;
}

static int open_stream(struct passive_capture *c, FILE *stream, char *err, size_t errlen)
{
	char perr[PCAP_ERRBUF_SIZE] = "";
	c->pcap = pcap_fopen_offline(stream, perr);
	if (c->pcap == NULL) {
		fclose(stream);
		return fail(err, errlen, SA_ERROR_PARSE, "cannot read the capture stream: %s",
		            perr);
	}
	return 0;
}

static int activate_error(pcap_t *p, int rc, const char *iface, char *err, size_t errlen)
{
	switch (rc) {
	case PCAP_ERROR_PERM_DENIED:
		return fail(
		    err, errlen, SA_ERROR_POLICY,
		    "cannot capture on %s: permission denied; live capture needs the "
		    "CAP_NET_RAW capability (run as root, or: setcap cap_net_raw+ep smtp-audit)",
		    iface);
	case PCAP_ERROR_NO_SUCH_DEVICE:
		return fail(err, errlen, SA_ERROR_NOTFOUND,
		            "cannot capture on %s: no such interface", iface);
	case PCAP_ERROR_IFACE_NOT_UP:
		return fail(err, errlen, SA_ERROR_IO, "cannot capture on %s: interface is down",
		            iface);
	default:
		return fail(err, errlen, SA_ERROR_IO, "cannot capture on %s: %s", iface,
		            pcap_geterr(p));
	}
}

static int open_live(struct passive_capture *c, const char *iface, int snaplen, char *err,
                     size_t errlen)
{
	char perr[PCAP_ERRBUF_SIZE] = "";
	c->pcap = pcap_create(iface, perr);
	if (c->pcap == NULL)
		return fail(err, errlen, SA_ERROR_IO, "cannot capture on %s: %s", iface, perr);
	c->live = true;
	pcap_set_snaplen(c->pcap, snaplen > 0 ? snaplen : PASSIVE_CAPTURE_DEFAULT_SNAPLEN);
	pcap_set_promisc(c->pcap, 0);
	pcap_set_immediate_mode(c->pcap, 1);
	pcap_set_buffer_size(c->pcap, PASSIVE_CAPTURE_BUFFER);
	int rc = pcap_activate(c->pcap);
	if (rc < 0)
		return activate_error(c->pcap, rc, iface, err, errlen);
	if (pcap_setnonblock(c->pcap, 1, perr) != 0)
		return fail(err, errlen, SA_ERROR_IO, "cannot capture on %s: %s", iface, perr);
	return 0;
}

static int apply_filter(struct passive_capture *c, const struct passive_capture_options *opt,
                        char *err, size_t errlen)
{
	char def[PASSIVE_CAPTURE_FILTER_MAX];
	const char *expr = opt->filter;
	if (expr == NULL) {
		int rc = passive_capture_default_filter(c->dlt, opt->extra_ports, opt->nextra_ports,
		                                        def, sizeof(def));
		if (rc != 0)
			return fail(err, errlen, rc, "too many ports for the capture filter");
		expr = def;
		c->check_ports = true;
		collect_ports(opt->extra_ports, opt->nextra_ports, c->ports, &c->nports);
	}
	struct bpf_program prog;
	if (pcap_compile(c->pcap, &prog, expr, 1, PCAP_NETMASK_UNKNOWN) != 0)
		return fail(err, errlen, SA_ERROR_PARSE, "bad capture filter \"%s\": %s", expr,
		            pcap_geterr(c->pcap));
	int rc = pcap_setfilter(c->pcap, &prog);
	pcap_freecode(&prog);
	if (rc != 0)
		return fail(err, errlen, SA_ERROR_IO, "cannot set the capture filter: %s",
		            pcap_geterr(c->pcap));
	return 0;
}

static int capture_setup(struct passive_capture *c, const struct passive_capture_options *opt,
                         char *err, size_t errlen)
{
	if ((opt->file != NULL) + (opt->iface != NULL) + (opt->stream != NULL) != 1) {
		if (opt->stream != NULL)
			fclose(opt->stream);
		return fail(err, errlen, SA_ERROR_INVAL,
		            "give one of a capture file, a capture stream or an interface");
	}
	int rc;
	if (opt->file != NULL)
		rc = open_file(c, opt->file, err, errlen);
	else if (opt->stream != NULL)
		rc = open_stream(c, opt->stream, err, errlen);
	else
		rc = open_live(c, opt->iface, opt->snaplen, err, errlen);
	if (rc != 0)
		return rc;
	c->dlt = pcap_datalink(c->pcap);
	if (!dlt_supported(c->dlt))
		return fail(err, errlen, SA_ERROR_INVAL, "unsupported link type %s (%d)",
		            pcap_datalink_val_to_name(c->dlt) != NULL
		                ? pcap_datalink_val_to_name(c->dlt)
		                : "unknown",
		            c->dlt);
	return apply_filter(c, opt, err, errlen);
}

int passive_capture_open(struct passive_capture **out, const struct passive_capture_options *opt,
                         char *err, size_t errlen)
{
	*out = NULL;
	struct passive_capture *c = calloc(1, sizeof(*c));
	if (c == NULL) {
		if (opt->stream != NULL)
			fclose(opt->stream);
		return fail(err, errlen, SA_ERROR_NOMEM, "out of memory");
	}
	c->duration = opt->duration;
	c->count = opt->count;
	c->first_ts = -1;
	int rc = capture_setup(c, opt, err, errlen);
	if (rc != 0) {
		passive_capture_close(c);
		return rc;
	}
	*out = c;
	return 0;
}

static bool port_wanted(const struct passive_capture *c, const struct tcp_segment *seg)
{
	uint16_t sport, dport;
	if (seg->src.ss_family == AF_INET) {
		sport = ((const struct sockaddr_in *)&seg->src)->sin_port;
		dport = ((const struct sockaddr_in *)&seg->dst)->sin_port;
	} else {
		sport = ((const struct sockaddr_in6 *)&seg->src)->sin6_port;
		dport = ((const struct sockaddr_in6 *)&seg->dst)->sin6_port;
	}
	for (size_t i = 0; i < c->nports; i++)
		if (ntohs(sport) == c->ports[i] || ntohs(dport) == c->ports[i])
			return true;
	return false;
}

static double elapsed_wall(const struct passive_capture *c)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - c->started.tv_sec) +
	       (double)(now.tv_nsec - c->started.tv_nsec) / 1e9;
}

/* A file's duration counts in capture time from its first packet. */
static bool past_file_duration(struct passive_capture *c, double ts)
{
	if (c->live || !(c->duration > 0))
		return false;
	if (c->first_ts < 0)
		c->first_ts = ts;
	return ts - c->first_ts >= c->duration;
}

static void count_verdict(struct passive_capture_stats *s, enum passive_capture_verdict v)
{
	switch (v) {
	case PASSIVE_CAPTURE_SEGMENT:
		break;
	case PASSIVE_CAPTURE_PARTIAL:
		s->truncated++;
		break;
	case PASSIVE_CAPTURE_NON_TCP:
		s->non_tcp++;
		break;
	case PASSIVE_CAPTURE_TRUNCATED:
		s->truncated++;
		break;
	case PASSIVE_CAPTURE_FRAGMENT:
		s->fragments++;
		break;
	case PASSIVE_CAPTURE_MALFORMED:
		s->malformed++;
		break;
	}
}

static void on_packet(u_char *arg, const struct pcap_pkthdr *h, const u_char *bytes)
{
	struct passive_capture *c = (struct passive_capture *)arg;
	double ts = (double)h->ts.tv_sec + (double)h->ts.tv_usec / 1e6;
	if (past_file_duration(c, ts)) {
		pcap_breakloop(c->pcap);
		return;
	}
	c->stats.packets++;
	c->stats.bytes += h->caplen;
	struct tcp_segment seg;
	enum passive_capture_verdict v =
	    passive_capture_decode(c->dlt, bytes, h->caplen, h->len, ts, &seg);
	count_verdict(&c->stats, v);
	if (v == PASSIVE_CAPTURE_SEGMENT || v == PASSIVE_CAPTURE_PARTIAL) {
		if (c->check_ports && !port_wanted(c, &seg)) {
			c->stats.non_tcp++;
		} else {
			c->stats.segments++;
			c->cb(c->user, &seg);
		}
	}
	if (c->count > 0 && c->stats.packets >= c->count)
		pcap_breakloop(c->pcap);
}

static bool should_stop(const struct passive_capture *c)
{
	return c->stop || (c->count > 0 && c->stats.packets >= c->count);
}

static int run_file(struct passive_capture *c)
{
	for (;;) {
		int n = pcap_dispatch(c->pcap, -1, on_packet, (u_char *)c);
		if (n == PCAP_ERROR)
			return SA_ERROR_IO;
		if (n == 0 || n == PCAP_ERROR_BREAK || should_stop(c))
			return 0;
	}
}

static void update_drops(struct passive_capture *c)
{
	struct pcap_stat ps;
	if (pcap_stats(c->pcap, &ps) == 0)
		c->stats.dropped = (uint64_t)ps.ps_drop + ps.ps_ifdrop;
}

static int run_live(struct passive_capture *c)
{
	struct pollfd pfd = {.fd = pcap_get_selectable_fd(c->pcap), .events = POLLIN};
	clock_gettime(CLOCK_MONOTONIC, &c->started);
	int rc = 0;
	while (!should_stop(c) && !(c->duration > 0 && elapsed_wall(c) >= c->duration)) {
		if (poll(&pfd, 1, PASSIVE_CAPTURE_POLL_MS) < 0 && errno != EINTR) {
			rc = SA_ERROR_IO;
			break;
		}
		if (pcap_dispatch(c->pcap, -1, on_packet, (u_char *)c) == PCAP_ERROR) {
			rc = SA_ERROR_IO;
			break;
		}
	}
	update_drops(c);
	return rc;
}

int passive_capture_run(struct passive_capture *c, passive_capture_segment_cb cb, void *user)
{
	c->cb = cb;
	c->user = user;
	return c->live ? run_live(c) : run_file(c);
}

void passive_capture_stop(struct passive_capture *c)
{
	c->stop = 1;
	pcap_breakloop(c->pcap);
}

int passive_capture_linktype(const struct passive_capture *c)
{
	return c->dlt;
}

void passive_capture_get_stats(const struct passive_capture *c, struct passive_capture_stats *out)
{
	*out = c->stats;
}

void passive_capture_close(struct passive_capture *c)
{
	if (c == NULL)
		return;
	if (c->pcap != NULL)
		pcap_close(c->pcap);
	free(c);
}
