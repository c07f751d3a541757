/*
 * NAME
 *	pcap_write - write hand-made TCP conversations to capture files
 *
 * SYNOPSIS
 *	struct pcap_write_conv conv = {
 *		.client = "192.0.2.1", .server = "192.0.2.25",
 *		.client_port = 40000, .server_port = 25,
 *		.client_isn = 1000, .server_isn = 5000,
 *	};
 *	const struct pcap_write_seg segs[] = {
 *		{.dir = TCP_DIR_TO_SERVER, .flags = PCAP_WRITE_SYN},
 *		{.dir = TCP_DIR_TO_CLIENT, .flags = PCAP_WRITE_SYN | PCAP_WRITE_ACK},
 *		{.dir = TCP_DIR_TO_CLIENT, .flags = PCAP_WRITE_ACK, .seq = 1,
 *		 .data = "220 mx ESMTP\r\n"},
 *		{.dir = TCP_DIR_TO_SERVER, .flags = PCAP_WRITE_ACK, .seq = 1,
 *		 .data = "EHLO c\r\n", .omit = true},	// lost by the capture
 *	};
 *	pcap_write_conversation(path, PCAP_WRITE_ETHERNET, &conv, segs, 4);
 *
 * DESCRIPTION
 *	Builds Ethernet (optionally with one 802.1Q tag, or an 802.1ad + 802.1Q
 *	pair), Linux cooked SLL / SLL2, raw IP and BSD loopback frames carrying
 *	IPv4 or IPv6 (optionally with hop-by-hop and destination-options
 *	headers) and TCP, and writes them with pcap_open_dead() + pcap_dump().
 *
 *	Sequence numbers are relative to the sender's ISN as in TCP: a SYN
 *	is seq 0 and the first data byte is seq 1. With PCAP_WRITE_ACK and
 *	ack 0, the acknowledgement covers everything the peer has sent so far,
 *	omitted segments included, so an omitted segment followed by a peer
 *	ACK is a hole the reassembler can prove. seq and ack wrap modulo 2^32
 *	with the ISNs.
 *
 *	Timestamps start at PCAP_WRITE_EPOCH and advance by 1 ms per packet
 *	(or by the segment's delay); pcap_write_advance() moves the clock.
 *
 * DIAGNOSTICS
 *	Functions return 0 or -1 (a bad address, a frame too large, an I/O
 *	error); pcap_write_open() returns NULL.
 */
#ifndef PCAP_WRITE_H
#define PCAP_WRITE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tcp_reasm.h"

#define PCAP_WRITE_FIN 0x01
#define PCAP_WRITE_SYN 0x02
#define PCAP_WRITE_RST 0x04
#define PCAP_WRITE_PSH 0x08
#define PCAP_WRITE_ACK 0x10

#define PCAP_WRITE_EPOCH     1700000000.0
#define PCAP_WRITE_MAX_FRAME 70000

enum pcap_write_link {
	PCAP_WRITE_ETHERNET, /* DLT_EN10MB */
	PCAP_WRITE_VLAN,     /* DLT_EN10MB, one 802.1Q tag (VLAN 100) */
	PCAP_WRITE_QINQ,     /* DLT_EN10MB, 802.1ad tag (VLAN 200) then 802.1Q (VLAN 100) */
	PCAP_WRITE_SLL,      /* DLT_LINUX_SLL */
	PCAP_WRITE_SLL2,     /* DLT_LINUX_SLL2 */
	PCAP_WRITE_RAW,      /* DLT_RAW (LINKTYPE_RAW in the file) */
	PCAP_WRITE_IPV4,     /* DLT_IPV4: IPv4 conversations only */
	PCAP_WRITE_IPV6,     /* DLT_IPV6: IPv6 conversations only */
	PCAP_WRITE_NULL,     /* DLT_NULL: AF_ value in little-endian order */
	PCAP_WRITE_LOOP,     /* DLT_LOOP: AF_ value in network order */
};

struct pcap_write_conv {
	const char *client, *server; /* numeric, both IPv4 or both IPv6 */
	uint16_t client_port, server_port;
	uint32_t client_isn, server_isn;
	bool ipv6_ext;    /* IPv6: hop-by-hop and destination-options headers before TCP */
	uint32_t sent[2]; /* kept by the writer: end of what each direction sent (relative) */
};

struct pcap_write_seg {
	enum tcp_dir dir;
	uint8_t flags;    /* PCAP_WRITE_* */
	uint32_t seq;     /* relative to the sender's ISN */
	const char *data; /* payload, or NULL */
	size_t len;       /* payload length; 0: strlen(data) */
	uint32_t ack;     /* relative to the peer's ISN; 0: all the peer sent so far */
	size_t snap;      /* write only the first snap bytes of the frame; 0: all of it */
	bool omit;        /* lost by the capture: not written, but acknowledged by the peer */
	double delay;     /* seconds since the previous packet; 0: 1 ms */
};

struct pcap_write;

/* Creates (truncates) a pcap file for frames of that link type. */
struct pcap_write *pcap_write_open(const char *path, enum pcap_write_link link);

/* Writes one segment of conv (updating conv->sent). */
int pcap_write_segment(struct pcap_write *w, struct pcap_write_conv *conv,
                       const struct pcap_write_seg *seg);

/* Writes a frame as is (caplen <= len bytes of it), for hand-made odd packets. */
int pcap_write_frame(struct pcap_write *w, const uint8_t *frame, size_t len, size_t caplen);

/* Builds the frame of one segment into buf without writing it or updating
 * conv; returns its length, 0 when it does not fit or an address is bad. */
size_t pcap_write_build(enum pcap_write_link link, const struct pcap_write_conv *conv,
                        const struct pcap_write_seg *seg, uint8_t *buf, size_t cap);

/* Bytes before the IP header for this link type (to patch IP fields). */
size_t pcap_write_link_len(enum pcap_write_link link);

/* Moves the clock forward. */
void pcap_write_advance(struct pcap_write *w, double seconds);

/* Flushes and closes; returns -1 when a write failed. */
int pcap_write_close(struct pcap_write *w);

/* Writes a whole file: open, each segment in order, close. */
int pcap_write_conversation(const char *path, enum pcap_write_link link,
                            struct pcap_write_conv *conv, const struct pcap_write_seg *segs,
                            size_t n);

#endif
