/*
 * NAME
 *	fuzz_passive - libFuzzer target: a pcap file through decoding, reassembly and the SMTP
 *tracker
 *
 * DESCRIPTION
 *	The input is a whole capture file, opened from memory (fmemopen +
 *	pcap_fopen_offline). Every packet goes through passive_capture_decode,
 *	every segment into tcp_reasm, whose events drive passive_smtp, as in
 *	`smtp-audit passive -r`. The limits are small (16 flows, 4 KiB out of
 *	order, 512-byte lines, 8 servers) so eviction, gaps and over-long
 *	lines are reached with small inputs. What must hold: no crash, leak
 *	or undefined behaviour; every result collected is a well-formed
 *	target (a numeric address, a port, findings with ids of the
 *	catalogue); at most 8 servers.
 *
 *	Built by tests/fuzz/CMakeLists.txt (clang); scripts/fuzz.sh runs it for longer.
 */
#include <pcap/pcap.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "fuzz_check.h"
#include "passive_capture.h"
#include "passive_smtp.h"
#include "tcp_reasm.h"

#define FUZZ_MAX_SERVERS 8


static void fuzz_feed(pcap_t *p, struct tcp_reasm *r)
{
	int dlt = pcap_datalink(p);
	struct pcap_pkthdr *h;
	const u_char *pkt;
	while (pcap_next_ex(p, &h, &pkt) == 1) {
		struct tcp_segment seg;
		double ts = (double)h->ts.tv_sec + (double)h->ts.tv_usec / 1e6;
		enum passive_capture_verdict v =
		    passive_capture_decode(dlt, pkt, h->caplen, h->len, ts, &seg);
		if (v == PASSIVE_CAPTURE_SEGMENT || v == PASSIVE_CAPTURE_PARTIAL)
			(void)tcp_reasm_segment(r, &seg);
	}
}

static void fuzz_check(const struct scan_result *scan)
{
	FUZZ_CHECK(scan->ntargets <= FUZZ_MAX_SERVERS);
	for (size_t i = 0; i < scan->ntargets; i++) {
		const struct target_result *t = scan->targets[i];
		FUZZ_CHECK(t->host != NULL && t->address != NULL);
		for (size_t j = 0; j < t->nfindings; j++)
			FUZZ_CHECK(t->findings[j].id < CATALOG_COUNT);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	FILE *fp = fmemopen((void *)data, size, "rb");
	if (fp == NULL)
		return 0;
	char errbuf[PCAP_ERRBUF_SIZE];
	pcap_t *p = pcap_fopen_offline(fp, errbuf);
	if (p == NULL) {
		fclose(fp);
		return 0;
	}
	static const char *const domains[] = {"lab.test"};
	static const uint16_t ports[] = PASSIVE_CAPTURE_SMTP_PORTS;
	const struct passive_smtp_config cfg = {
	    .local_domains = domains,
	    .nlocal_domains = 1,
	    .max_line = 512,
	    .max_servers = FUZZ_MAX_SERVERS,
	};
	struct passive_smtp *t = passive_smtp_new(&cfg);
	FUZZ_CHECK(t != NULL);
	struct tcp_reasm_events ev;
	passive_smtp_events(t, &ev);
	const struct tcp_reasm_limits lim = {
	    .max_flows = 16,
	    .max_pending = 4096,
	    .server_ports = ports,
	    .nserver_ports = PASSIVE_CAPTURE_NSMTP_PORTS,
	};
	struct tcp_reasm *r = tcp_reasm_new(&lim, &ev);
	FUZZ_CHECK(r != NULL);
	fuzz_feed(p, r);
	pcap_close(p);
	tcp_reasm_free(r);
	struct scan_result scan;
	scan_result_init(&scan);
	FUZZ_CHECK(passive_smtp_collect(t, &scan) == 0);
	fuzz_check(&scan);
	scan_result_free(&scan);
	passive_smtp_free(t);
	return 0;
}
