/*
 * NAME
 *	dns_answer - a DNS reply message, checked and turned into typed records
 *
 * DESCRIPTION
 *	dns_answer_parse() reads a reply to one question (name, type, class
 *	IN) from bytes, never a socket, and treats them as hostile: every
 *	length is checked against the buffer, names are expanded by c-ares
 *	(ares_expand_name: compression pointers, loops), every record of
 *	every section must lie inside the message, and what is kept is
 *	capped (DNS_ANSWER_MAX_RECORDS records, DNS_ANSWER_MAX_TXT bytes of
 *	TXT); records past a cap are dropped.
 *
 *	Only answer records owned by the asked name or by a name it is an
 *	alias of (a CNAME chain in the answer section, at most
 *	DNS_ANSWER_MAX_CNAMES links) are kept. A CNAME question keeps the
 *	CNAME targets of the asked name and follows no chain.
 *
 * DIAGNOSTICS
 *	status FAILED with detail "malformed answer" for a message that is not
 *	a well-formed reply to the question (truncated, a record past the
 *	end, a bad name, a record of the asked type with bad rdata), or the
 *	rcode's name ("SERVFAIL", "REFUSED", "FORMERR", "NOTIMP", "rcode N").
 */
#ifndef DNS_ANSWER_H
#define DNS_ANSWER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "target.h"

#define DNS_ANSWER_MAX_RECORDS 64
#define DNS_ANSWER_MAX_TXT     32768
#define DNS_ANSWER_MAX_CNAMES  8

enum dns_answer_status {
	DNS_ANSWER_OK,     /* NOERROR with records of the type asked */
	DNS_ANSWER_NODATA, /* NOERROR, name exists, no record of that type */
	DNS_ANSWER_NXDOMAIN,
	DNS_ANSWER_FAILED, /* timeout, SERVFAIL, REFUSED, malformed, canceled: see detail */
};

/* host lower case, no trailing dot; "" for the root (null MX, RFC 7505) */
struct dns_rr_mx {
	unsigned preference;
	char *host;
};

struct dns_rr_tlsa {
	uint8_t usage, selector, matching;
	unsigned char *data;
	size_t len;
};

struct dns_answer {
	const char *name; /* as asked */
	/* ns_t_mx, ns_t_txt, ns_t_tlsa (52), ns_t_ptr, ns_t_cname, ns_t_a, ns_t_aaaa */
	int type;
	enum dns_answer_status status;
	/* FAILED: "timeout", "SERVFAIL", "REFUSED", "malformed answer", "resolver shut down" */
	char detail[128];
	bool authenticated; /* the AD bit of the answer */
	/* The owner name was an alias: the first CNAME target, lower case, no dot; else NULL. */
	char *cname;
	struct dns_rr_mx *mx; /* MX, answer order */
	size_t nmx;
	/* TXT: each RR's strings concatenated (RFC 7208 3.3); NUL bytes replaced by '?' */
	char **txt;
	size_t ntxt;
	struct dns_rr_tlsa *tlsa;
	size_t ntlsa;
	/* PTR targets, or CNAME targets for a CNAME query; lower case, no dot */
	char **names;
	size_t nnames;
	struct target_addr *addrs; /* A / AAAA */
	size_t naddrs;
};

/*
 * Fills *out from the reply buf[len] to the question (name, type). Returns 0 with
 * out->status telling the outcome, or SA_ERROR_NOMEM with out FAILED ("out of memory")
 * and holding nothing. Free with dns_answer_free() in both cases; out->name is name.
 */
int dns_answer_parse(const unsigned char *buf, size_t len, const char *name, int type,
                     struct dns_answer *out);

/* type is one dns_answer_parse() keeps records of (those of struct dns_answer). */
bool dns_answer_supports(int type);

/* An answer with status FAILED and detail, holding nothing. */
void dns_answer_failed(struct dns_answer *out, const char *name, int type, const char *detail);

void dns_answer_free(struct dns_answer *a);

#endif
