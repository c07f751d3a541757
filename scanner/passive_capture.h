/*
 * NAME
 *	passive_capture - read packets with libpcap and decode them to TCP segments
 *
 * DESCRIPTION
 *	Opens a capture file (pcap or pcapng, by name or as an open stream) or
 *	a live interface, applies a
 *	BPF filter (by default: TCP on the SMTP ports 25, 465, 587, 2525 and
 *	the caller's extra ports, also inside VLAN tags), decodes every packet
 *	down to TCP and hands each segment to a callback, ready for
 *	tcp_reasm_segment().
 *
 *	Link types: Ethernet (with any number of 802.1Q / 802.1ad tags), Linux
 *	cooked SLL and SLL2, raw IP (DLT_RAW, LINKTYPE_IPV4, LINKTYPE_IPV6),
 *	BSD loopback (DLT_NULL, DLT_LOOP). Network: IPv4 with options; IPv6
 *	after hop-by-hop, routing and destination-options headers. IPv4
 *	fragments other than the first, and every IPv6 fragment, are counted
 *	and skipped. Every length read from a packet is checked against the
 *	captured length first; a packet cut short by the snap length is
 *	counted as truncated, and any TCP payload captured is still passed on
 *	(the missing part becomes a gap in the stream).
 *
 *	Live captures use immediate mode with promiscuous mode off. A file is
 *	read to its end. Either stops after count packets, after duration
 *	seconds (capture time for a file, wall time for an interface) or when
 *	passive_capture_stop() is called, e.g. from a signal handler.
 *
 * DIAGNOSTICS
 *	passive_capture_open() writes a one-line reason into its err buffer:
 *	the file or interface that could not be opened and why, the missing
 *	CAP_NET_RAW capability when the kernel refuses a live capture, an
 *	unsupported link type, or the filter that did not compile.
 */
#ifndef PASSIVE_CAPTURE_H
#define PASSIVE_CAPTURE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "tcp_reasm.h"

/* The ports the default filter and role guessing treat as SMTP servers. */
#define PASSIVE_CAPTURE_SMTP_PORTS                                                                 \
	{                                                                                          \
		25, 465, 587, 2525                                                                 \
	}
#define PASSIVE_CAPTURE_NSMTP_PORTS     4
#define PASSIVE_CAPTURE_DEFAULT_SNAPLEN 262144

struct passive_capture_options {
	const char *file;            /* read this pcap/pcapng file, or */
	const char *iface;           /* capture live on this interface (exactly one of the two) */
	const uint16_t *extra_ports; /* added to the SMTP ports of the default filter */
	size_t nextra_ports;
	const char *filter; /* BPF expression replacing the default one; NULL: default */
	double duration;    /* seconds; 0: no limit */
	uint64_t count;     /* packets; 0: no limit */
	int snaplen;        /* 0: PASSIVE_CAPTURE_DEFAULT_SNAPLEN (live only) */
	/* Instead of file and iface: an open pcap/pcapng stream (e.g. fmemopen() in a
	 * fuzzer). passive_capture_open() takes it over: it is closed with the
	 * capture, or before passive_capture_open() returns an error. */
	FILE *stream;
};

struct passive_capture_stats {
	uint64_t packets;   /* read from the capture (after the BPF filter) */
	uint64_t bytes;     /* their captured bytes */
	uint64_t segments;  /* TCP segments passed to the callback */
	uint64_t non_tcp;   /* another protocol, another link layer, or another port */
	uint64_t truncated; /* cut short by the snap length before or inside TCP */
	uint64_t fragments; /* IP fragments skipped */
	uint64_t malformed; /* a header whose lengths contradict themselves */
	uint64_t dropped;   /* live only: dropped by the kernel or the interface */
};

/* What passive_capture_decode() made of one packet. */
enum passive_capture_verdict {
	PASSIVE_CAPTURE_SEGMENT,   /* *seg is filled */
	PASSIVE_CAPTURE_PARTIAL,   /* *seg is filled, its payload cut by the snap length */
	PASSIVE_CAPTURE_NON_TCP,   /* not IPv4/IPv6 TCP */
	PASSIVE_CAPTURE_TRUNCATED, /* headers cut short: nothing usable */
	PASSIVE_CAPTURE_FRAGMENT,  /* a fragment that cannot be decoded alone */
	PASSIVE_CAPTURE_MALFORMED,
};

/* Called for each segment; seg and its payload are valid during the call only. */
typedef void (*passive_capture_segment_cb)(void *user, const struct tcp_segment *seg);

struct passive_capture;

/* Returns 0, SA_ERROR_NOTFOUND (no such file or interface), SA_ERROR_POLICY
 * (permission denied), SA_ERROR_PARSE (bad filter), SA_ERROR_INVAL (link type
 * or options) or SA_ERROR_IO / SA_ERROR_NOMEM; err then holds the reason. */
int passive_capture_open(struct passive_capture **out, const struct passive_capture_options *opt,
                         char *err, size_t errlen);

/* Reads until the end of the file, count, duration or passive_capture_stop().
 * Returns 0, or SA_ERROR_IO for a read error (the segments so far were passed). */
int passive_capture_run(struct passive_capture *c, passive_capture_segment_cb cb, void *user);

/* Async-signal-safe: makes passive_capture_run() return soon. */
void passive_capture_stop(struct passive_capture *c);

/* The link type (DLT_*) of the opened capture. */
int passive_capture_linktype(const struct passive_capture *c);

void passive_capture_get_stats(const struct passive_capture *c, struct passive_capture_stats *out);

/* NULL is allowed. */
void passive_capture_close(struct passive_capture *c);

/*
 * Decodes one packet of link type dlt (DLT_* as pcap_datalink() returns it).
 * caplen bytes are readable at pkt; wire_len is the length on the wire.
 * seg->payload points into pkt. Pure: usable by tests and fuzzers directly.
 */
enum passive_capture_verdict passive_capture_decode(int dlt, const uint8_t *pkt, size_t caplen,
                                                    size_t wire_len, double ts,
                                                    struct tcp_segment *seg);

/* Writes the default filter for these extra ports and link type into buf;
 * SA_ERROR_TOOBIG when it does not fit. */
int passive_capture_default_filter(int dlt, const uint16_t *extra_ports, size_t nextra_ports,
                                   char *buf, size_t buflen);

#endif
