/*
 * NAME
 *	target - parse one target specification and port lists
 *
 * DESCRIPTION
 *	A target is what the user names on the command line or in a file:
 *
 *	    mail.example.org            host name, every port of --ports
 *	    mail.example.org:2525       host name and one port
 *	    192.0.2.10  192.0.2.10:25   IPv4 address (and port)
 *	    2001:db8::1                 bare IPv6 address (no port possible)
 *	    [2001:db8::1]  [2001:db8::1]:587
 *	    192.0.2.0/28  2001:db8::/120  CIDR block (every port of --ports)
 *
 *	Host names must be valid DNS names (letters, digits, '-', '_' and
 *	dots; labels of 1..63 bytes; at most 253 bytes; one trailing dot
 *	allowed and removed); they are stored lower-cased. A CIDR with host
 *	bits set is reduced to its network ("192.0.2.7/24" is 192.0.2.0/24).
 *	Ports are 1..65535; zone ids and non-ASCII names are refused with a
 *	message that says so.
 *
 * DIAGNOSTICS
 *	Parsers return 0 or SA_ERROR_PARSE / SA_ERROR_RANGE and write one line
 *	into err that names the culprit, e.g.
 *	"port 70000 out of range (1-65535) in 'mx1:70000'".
 */
#ifndef TARGET_H
#define TARGET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum target_kind {
	TARGET_NAME,
	TARGET_ADDRESS,
	TARGET_CIDR,
};

struct target_addr {
	int family;          /* AF_INET or AF_INET6 */
	uint8_t bytes[16];   /* network byte order; 4 used for AF_INET */
};

struct target_spec {
	enum target_kind kind;
	char *host;              /* NAME: the name; ADDRESS/CIDR: canonical address text */
	struct target_addr addr; /* ADDRESS and CIDR (network address) */
	unsigned prefix;         /* CIDR prefix length; 32 or 128 for ADDRESS */
	uint16_t port;           /* 0: every port of the --ports list */
};

/* Parses text into *out (out->host is malloc'ed: target_spec_free). */
int target_parse(const char *text, struct target_spec *out, char *err, size_t errlen);

void target_spec_free(struct target_spec *spec);

/* Number of addresses a spec stands for: 1 for NAME and ADDRESS; saturates at UINT64_MAX. */
uint64_t target_spec_count(const struct target_spec *spec);

/* The index-th address of a CIDR (or the address of an ADDRESS); index < count. */
void target_spec_nth(const struct target_spec *spec, uint64_t index, struct target_addr *out);

/* True when addr lies inside spec (ADDRESS or CIDR); false for NAME. */
bool target_spec_contains(const struct target_spec *spec, const struct target_addr *addr);

/* Canonical text of an address (inet_ntop); buf at least 46 bytes. */
const char *target_addr_str(const struct target_addr *addr, char *buf, size_t buflen);

/* Parses a numeric address ("192.0.2.1", "2001:db8::1"); false when it is not one. */
bool target_addr_parse(const char *text, struct target_addr *out);

/* True when a and b are the same address (family and the bytes it uses). */
bool target_addr_equal(const struct target_addr *a, const struct target_addr *b);

/*
 * Parses a port list: "25,465,587", ranges "2525-2530", spaces ignored.
 * Duplicates are dropped, order kept. Writes at most max ports.
 */
int target_ports_parse(const char *text, uint16_t *ports, size_t max, size_t *count, char *err,
		       size_t errlen);

#endif
