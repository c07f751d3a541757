/*
 * NAME
 *	pcap_write - write hand-made TCP conversations to capture files
 *
 * DESCRIPTION
 *	See pcap_write.h. Frames carry correct IPv4 header and TCP checksums
 *	so that other tools (tshark) accept them as they are.
 */
#include "pcap_write.h"

#include <arpa/inet.h>
#include <pcap/pcap.h>
#include <stdlib.h>
#include <string.h>

/* Loopback captures come from BSDs; libpcap's filters know their AF_INET6 values only. */
#define PCAP_WRITE_BSD_AF_INET6 24

struct pcap_write {
	pcap_t *dead;
	pcap_dumper_t *dumper;
	enum pcap_write_link link;
	double ts;
	bool started;
	uint8_t frame[PCAP_WRITE_MAX_FRAME];
};

struct ip_pair {
	int family;
	uint8_t src[16], dst[16];
};

static const int pcap_write_dlt[] = {
    [PCAP_WRITE_ETHERNET] = DLT_EN10MB, [PCAP_WRITE_VLAN] = DLT_EN10MB,
    [PCAP_WRITE_QINQ] = DLT_EN10MB,     [PCAP_WRITE_SLL] = DLT_LINUX_SLL,
    [PCAP_WRITE_SLL2] = DLT_LINUX_SLL2, [PCAP_WRITE_RAW] = DLT_RAW,
    [PCAP_WRITE_IPV4] = DLT_IPV4,       [PCAP_WRITE_IPV6] = DLT_IPV6,
    [PCAP_WRITE_NULL] = DLT_NULL,       [PCAP_WRITE_LOOP] = DLT_LOOP,
};
_Static_assert(sizeof(pcap_write_dlt) / sizeof(pcap_write_dlt[0]) == PCAP_WRITE_LOOP + 1,
               "one link type per enum pcap_write_link");

static const size_t pcap_write_link_lens[] = {
    [PCAP_WRITE_ETHERNET] = 14, [PCAP_WRITE_VLAN] = 18, [PCAP_WRITE_QINQ] = 22,
    [PCAP_WRITE_SLL] = 16,      [PCAP_WRITE_SLL2] = 20, [PCAP_WRITE_RAW] = 0,
    [PCAP_WRITE_IPV4] = 0,      [PCAP_WRITE_IPV6] = 0,  [PCAP_WRITE_NULL] = 4,
    [PCAP_WRITE_LOOP] = 4,
};
_Static_assert(sizeof(pcap_write_link_lens) / sizeof(pcap_write_link_lens[0]) ==
                   PCAP_WRITE_LOOP + 1,
               "one header length per enum pcap_write_link");

size_t pcap_write_link_len(enum pcap_write_link link)
{
	return pcap_write_link_lens[link];
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)(v >> 16));
	put16(p + 2, (uint16_t)v);
}

static uint32_t sum16(const uint8_t *p, size_t len, uint32_t sum)
{
	for (size_t i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (len % 2 != 0)
		sum += (uint32_t)(p[len - 1] << 8);
	return sum;
}

static uint16_t fold(uint32_t sum)
{
	while (sum >> 16 != 0)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static bool addresses(const struct pcap_write_conv *conv, enum tcp_dir dir, struct ip_pair *ip)
{
	const char *src = dir == TCP_DIR_TO_SERVER ? conv->client : conv->server;
	const char *dst = dir == TCP_DIR_TO_SERVER ? conv->server : conv->client;
	ip->family = strchr(src, ':') != NULL ? AF_INET6 : AF_INET;
	return inet_pton(ip->family, src, ip->src) == 1 && inet_pton(ip->family, dst, ip->dst) == 1;
}

static size_t put_link(enum pcap_write_link link, int family, uint8_t *p)
{
	uint16_t type = family == AF_INET ? 0x0800 : 0x86dd;
	static const uint8_t mac_dst[6] = {0x02, 0, 0, 0, 0, 0x25};
	static const uint8_t mac_src[6] = {0x02, 0, 0, 0, 0, 0x01};
	switch (link) {
	case PCAP_WRITE_ETHERNET:
	case PCAP_WRITE_VLAN:
	case PCAP_WRITE_QINQ:
		memcpy(p, mac_dst, 6);
		memcpy(p + 6, mac_src, 6);
		if (link == PCAP_WRITE_QINQ) {
			put16(p + 12, 0x88a8);
			put16(p + 14, 200);
			put16(p + 16, 0x8100);
			put16(p + 18, 100);
		} else if (link == PCAP_WRITE_VLAN) {
			put16(p + 12, 0x8100);
			put16(p + 14, 100);
		}
		put16(p + pcap_write_link_lens[link] - 2, type);
		break;
	case PCAP_WRITE_SLL:
		memset(p, 0, 16);
		put16(p + 2, 1); /* ARPHRD_ETHER */
		put16(p + 4, 6);
		memcpy(p + 6, mac_src, 6);
		put16(p + 14, type);
		break;
	case PCAP_WRITE_SLL2:
		memset(p, 0, 20);
		put16(p, type);
		put32(p + 4, 2); /* interface index */
		put16(p + 8, 1); /* ARPHRD_ETHER */
		p[11] = 6;
		memcpy(p + 12, mac_src, 6);
		break;
	case PCAP_WRITE_NULL:
		p[0] = (uint8_t)(family == AF_INET ? 2 : PCAP_WRITE_BSD_AF_INET6);
		p[1] = p[2] = p[3] = 0;
		break;
	case PCAP_WRITE_LOOP:
		put32(p, family == AF_INET ? 2 : PCAP_WRITE_BSD_AF_INET6);
		break;
	case PCAP_WRITE_RAW:
	case PCAP_WRITE_IPV4:
	case PCAP_WRITE_IPV6:
		break;
	}
	return pcap_write_link_lens[link];
}

static size_t put_ip(const struct ip_pair *ip, bool ext, size_t tcp_len, uint8_t *p)
{
	if (ip->family == AF_INET) {
		memset(p, 0, 20);
		p[0] = 0x45;
		put16(p + 2, (uint16_t)(20 + tcp_len));
		put16(p + 6, 0x4000); /* DF */
		p[8] = 64;
		p[9] = 6;
		memcpy(p + 12, ip->src, 4);
		memcpy(p + 16, ip->dst, 4);
		put16(p + 10, fold(sum16(p, 20, 0)));
		return 20;
	}
	size_t ext_len = ext ? 16 : 0;
	memset(p, 0, 40 + ext_len);
	p[0] = 0x60;
	put16(p + 4, (uint16_t)(ext_len + tcp_len));
	p[6] = ext ? 0 : 6;
	p[7] = 64;
	memcpy(p + 8, ip->src, 16);
	memcpy(p + 24, ip->dst, 16);
	if (ext) {
		/* Hop-by-hop then destination options, each 8 bytes padded with PadN. */
		p[40] = 60;
		p[42] = 1;
		p[43] = 4;
		p[48] = 6;
		p[50] = 1;
		p[51] = 4;
	}
	return 40 + ext_len;
}

static uint16_t tcp_checksum(const struct ip_pair *ip, const uint8_t *tcp, size_t len)
{
	size_t alen = ip->family == AF_INET ? 4 : 16;
	uint32_t sum = sum16(ip->src, alen, 0);
	sum = sum16(ip->dst, alen, sum);
	sum += 6 + (uint32_t)len;
	return fold(sum16(tcp, len, sum));
}

static uint32_t auto_ack(const struct pcap_write_conv *conv, const struct pcap_write_seg *seg)
{
	enum tcp_dir peer = seg->dir == TCP_DIR_TO_SERVER ? TCP_DIR_TO_CLIENT : TCP_DIR_TO_SERVER;
	uint32_t isn = peer == TCP_DIR_TO_SERVER ? conv->client_isn : conv->server_isn;
	return isn + (seg->ack != 0 ? seg->ack : conv->sent[peer]);
}

static size_t payload_len(const struct pcap_write_seg *seg)
{
	if (seg->data == NULL)
		return 0;
	return seg->len != 0 ? seg->len : strlen(seg->data);
}

size_t pcap_write_build(enum pcap_write_link link, const struct pcap_write_conv *conv,
                        const struct pcap_write_seg *seg, uint8_t *buf, size_t cap)
{
	struct ip_pair ip;
	size_t len = payload_len(seg);
	if (!addresses(conv, seg->dir, &ip) || cap < 22 + 56 + 20 + len)
		return 0;
	size_t off = put_link(link, ip.family, buf);
	off += put_ip(&ip, conv->ipv6_ext && ip.family == AF_INET6, 20 + len, buf + off);
	uint8_t *tcp = buf + off;
	bool to_server = seg->dir == TCP_DIR_TO_SERVER;
	memset(tcp, 0, 20);
	put16(tcp, to_server ? conv->client_port : conv->server_port);
	put16(tcp + 2, to_server ? conv->server_port : conv->client_port);
	put32(tcp + 4, (to_server ? conv->client_isn : conv->server_isn) + seg->seq);
	if (seg->flags & PCAP_WRITE_ACK)
		put32(tcp + 8, auto_ack(conv, seg));
	tcp[12] = 5 << 4;
	tcp[13] = seg->flags;
	put16(tcp + 14, 65535);
	if (len > 0)
		memcpy(tcp + 20, seg->data, len);
	put16(tcp + 16, tcp_checksum(&ip, tcp, 20 + len));
	return off + 20 + len;
}

struct pcap_write *pcap_write_open(const char *path, enum pcap_write_link link)
{
	struct pcap_write *w = calloc(1, sizeof(*w));
	if (w == NULL)
		return NULL;
	w->link = link;
	w->ts = PCAP_WRITE_EPOCH;
	w->dead = pcap_open_dead(pcap_write_dlt[link], PCAP_WRITE_MAX_FRAME);
	if (w->dead != NULL)
		w->dumper = pcap_dump_open(w->dead, path);
	if (w->dumper == NULL) {
		if (w->dead != NULL)
			pcap_close(w->dead);
		free(w);
		return NULL;
	}
	return w;
}

static void pcap_write_tick(struct pcap_write *w, double delay)
{
	if (w->started)
		w->ts += delay > 0 ? delay : 0.001;
	w->started = true;
}

static int dump(struct pcap_write *w, const uint8_t *frame, size_t len, size_t caplen, double delay)
{
	pcap_write_tick(w, delay);
	struct pcap_pkthdr h = {
	    .ts = {.tv_sec = (time_t)w->ts,
	           .tv_usec = (suseconds_t)((w->ts - (double)(time_t)w->ts) * 1e6 + 0.5)},
	    .caplen = (bpf_u_int32)(caplen < len ? caplen : len),
	    .len = (bpf_u_int32)len,
	};
	if (h.ts.tv_usec >= 1000000) {
		h.ts.tv_sec++;
		h.ts.tv_usec -= 1000000;
	}
	pcap_dump((u_char *)w->dumper, &h, frame);
	return 0;
}

int pcap_write_frame(struct pcap_write *w, const uint8_t *frame, size_t len, size_t caplen)
{
	return dump(w, frame, len, caplen, 0);
}

static void record_sent(struct pcap_write_conv *conv, const struct pcap_write_seg *seg)
{
	uint32_t end = seg->seq + (uint32_t)payload_len(seg) +
	               ((seg->flags & (PCAP_WRITE_SYN | PCAP_WRITE_FIN)) != 0 ? 1u : 0u);
	if ((int32_t)(end - conv->sent[seg->dir]) > 0)
		conv->sent[seg->dir] = end;
}

int pcap_write_segment(struct pcap_write *w, struct pcap_write_conv *conv,
                       const struct pcap_write_seg *seg)
{
	size_t len = pcap_write_build(w->link, conv, seg, w->frame, sizeof(w->frame));
	if (len == 0)
		return -1;
	record_sent(conv, seg);
	if (seg->omit) {
		pcap_write_tick(w, seg->delay);
		return 0;
	}
	return dump(w, w->frame, len, seg->snap != 0 ? seg->snap : len, seg->delay);
}

void pcap_write_advance(struct pcap_write *w, double seconds)
{
	w->ts += seconds;
}

int pcap_write_close(struct pcap_write *w)
{
	int rc = pcap_dump_flush(w->dumper) == 0 ? 0 : -1;
	pcap_dump_close(w->dumper);
	pcap_close(w->dead);
	free(w);
	return rc;
}

int pcap_write_conversation(const char *path, enum pcap_write_link link,
                            struct pcap_write_conv *conv, const struct pcap_write_seg *segs,
                            size_t n)
{
	struct pcap_write *w = pcap_write_open(path, link);
	if (w == NULL)
		return -1;
	int rc = 0;
	for (size_t i = 0; i < n && rc == 0; i++)
		rc = pcap_write_segment(w, conv, &segs[i]);
	int crc = pcap_write_close(w);
	return rc != 0 ? rc : crc;
}
