/*
 * NAME
 *	dns_server - a real authoritative DNS server (NSD) on loopback serving test zones
 *
 * SUMMARY
 *	static const struct dns_server_zone zones[] = {
 *		{.name = "example.test", .records = "@ MX 10 mx1\nmx1 A 127.0.0.1\n"},
 *		{.name = "signed.test", .records = "...", .sign = true},
 *	};
 *	struct dns_server ds;
 *	if (!dns_server_available()) cr_skip_test("nsd or drill is not installed");
 *	cr_assert_eq(dns_server_start(&ds, zones, 2), 0);
 *	... resolver 127.0.0.1 (or ::1 when ds.ipv6) port ds.port, UDP and TCP ...
 *	struct dns_server_answer a;
 *	dns_server_query("127.0.0.1", ds.port, "example.test", "MX", 0, &a); ... a.records ...
 *	dns_server_answer_free(&a);
 *	cr_assert_eq(dns_server_start_resolver(&ds), 0);   (for the AD bit)
 *	dns_server_query("127.0.0.1", ds.resolver_port, "_25._tcp.mx1.signed.test", "TLSA",
 *	                 DNS_SERVER_QUERY_DNSSEC, &a); ... a.ad ...
 *	dns_server_stop(&ds);
 *
 * DESCRIPTION
 *	dns_server_start() writes into a fresh temporary directory one zone
 *	file per zone and an nsd.conf that serves them from there: no
 *	database, no zone list, no transfer state, no remote control, no
 *	chroot and no change of user, pid file and transfer directory in the
 *	directory too. NSD listens on 127.0.0.1 and, when the host has it,
 *	::1, UDP and TCP, at one port that was free for all four; if a
 *	stranger takes it before NSD binds, the start is retried on another.
 *	The system's NSD (/etc/nsd, port 53) is neither read nor touched.
 *
 *	Each zone file is "$ORIGIN NAME.", "$TTL 300" (DNS_SERVER_TTL), an
 *	SOA (serial 1, minimum 300) and "@ NS localhost.", then the zone's
 *	records as given: lines in zone file syntax, relative to the origin,
 *	without SOA or NS at the apex. A zone with .sign is signed before NSD
 *	reads it: ldns-keygen makes one ECDSA P-256 key (flags 257, used as
 *	both KSK and ZSK), ldns-signzone signs with NSEC, valid from a day
 *	ago for 30 days, and the key's DS record is kept for
 *	dns_server_ds(), to serve as a validating resolver's trust anchor.
 *	An authoritative server never sets AD. dns_server_start_resolver()
 *	puts a validating resolver in front: unbound on 127.0.0.1 at
 *	ds.resolver_port (UDP and TCP), which resolves the zones through NSD
 *	(stub zones), validates with each signed zone's DS as trust anchor,
 *	and so sets AD on answers from signed zones to queries with the DO
 *	or AD bit (RFC 6840), never for unsigned ones. Any other name is
 *	REFUSED and the resolver's own queries leave from 127.0.0.1: it
 *	never reaches past the host. Its files are in a directory of its own.
 *
 *	NSD runs in the foreground (-d) in its own process group with
 *	PR_SET_PDEATHSIG (the processes it forks shut down when it dies),
 *	its log on DIR/stderr (run_spawn(), run.h). Start
 *	is complete when every zone answers its SOA with the AA bit over UDP
 *	and over TCP on 127.0.0.1 (for unbound: when every zone's SOA comes
 *	through it), bounded by DNS_SERVER_START_TIMEOUT_S each.
 *	dns_server_stop() stops both by pid (SIGTERM, a bounded wait, SIGKILL
 *	to the group; for NSD also a bounded wait until no process of its
 *	group is alive) and removes their directories; run.c's atexit handler
 *	kills and removes what a failed test left running (NSD's transfer
 *	directory, DIR/nsd-xfr-PID, is left then, and with it DIR).
 *
 *	dns_server_query() asks any DNS server with drill (ldnsutils), the
 *	way a test checks what a server says; the scanner itself uses c-ares.
 *
 * DIAGNOSTICS
 *	dns_server_start() returns 0 or SA_ERROR_INVAL (no zones, too many,
 *	a bad name, or NSD logged an error reading a zone: its log is copied
 *	to stderr), SA_ERROR_IO (directory, fork, signing, or NSD exited),
 *	SA_ERROR_TIMEOUT; on error nothing is left running.
 *	dns_server_start_resolver() returns 0, SA_ERROR_NOTFOUND (no
 *	unbound), SA_ERROR_IO or SA_ERROR_TIMEOUT (unbound's log is copied to
 *	stderr); on error the resolver is not running. dns_server_query()
 *	returns 0, SA_ERROR_IO (drill failed or timed out; its stderr is
 *	printed), SA_ERROR_PARSE (no header in its output) or SA_ERROR_NOMEM.
 */
#ifndef DNS_SERVER_H
#define DNS_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define DNS_SERVER_BIN             "/usr/sbin/nsd"
#define DNS_SERVER_DRILL_BIN       "/usr/bin/drill"
#define DNS_SERVER_KEYGEN_BIN      "/usr/bin/ldns-keygen"
#define DNS_SERVER_SIGNZONE_BIN    "/usr/bin/ldns-signzone"
#define DNS_SERVER_UNBOUND_BIN     "/usr/sbin/unbound"
#define DNS_SERVER_START_TIMEOUT_S 10.0
#define DNS_SERVER_STOP_TIMEOUT_S  5.0
#define DNS_SERVER_QUERY_TIMEOUT_S 10.0
#define DNS_SERVER_ZONES_MAX       16
#define DNS_SERVER_NAME_MAX        254
#define DNS_SERVER_TTL             300

/* Flags of dns_server_query(). */
#define DNS_SERVER_QUERY_TCP    0x1u /* TCP instead of UDP */
#define DNS_SERVER_QUERY_DNSSEC 0x2u /* set the DO bit: RRSIGs come with the answer */

struct dns_server_zone {
	const char *name;    /* "example.test": no trailing dot */
	const char *records; /* zone file lines, relative to the origin; may be NULL */
	bool sign;           /* DNSSEC-sign it (needs dns_server_can_sign()) */
};

struct dns_server {
	pid_t pid;
	char dir[256];
	uint16_t port;
	bool ipv6; /* NSD listens on ::1 as well */
	size_t zone_count;
	char zones[DNS_SERVER_ZONES_MAX][DNS_SERVER_NAME_MAX];
	/* "NAME. IN DS TAG 13 2 HEX" for a signed zone, "" otherwise. */
	char ds[DNS_SERVER_ZONES_MAX][256];
	/* The validating resolver, once dns_server_start_resolver() ran; port 0 before. */
	pid_t resolver_pid;
	char resolver_dir[256];
	uint16_t resolver_port;
};

/* What drill saw: the header's rcode and flags, and the answer section. */
struct dns_server_answer {
	char rcode[16]; /* "NOERROR", "NXDOMAIN", ... */
	bool aa;
	bool ad;
	/* One record a line, single spaces between fields: "mx1.example.test. 300 IN A ::1". */
	char *records;
};

/* NSD and drill are installed. */
bool dns_server_available(void);

/* ldns-keygen and ldns-signzone are installed. */
bool dns_server_can_sign(void);

/* unbound is installed. */
bool dns_server_can_validate(void);

int dns_server_start(struct dns_server *ds, const struct dns_server_zone zones[], size_t count);

/* Starts the validating resolver in front of a running ds. */
int dns_server_start_resolver(struct dns_server *ds);

/* Stops the resolver, if any, and NSD. Safe to call twice and on a zeroed struct. */
void dns_server_stop(struct dns_server *ds);

/* The DS record of a signed zone served by ds; NULL for another zone. */
const char *dns_server_ds(const struct dns_server *ds, const char *zone);

/* "127.0.0.1:PORT" or "[::1]:PORT" (a --resolver argument) into buf; NULL if it does not fit. */
const char *dns_server_target(const char *address, uint16_t port, char *buf, size_t buflen);

/*
 * Asks address ("127.0.0.1" or "::1") at port (ds.port, or ds.resolver_port) for name and
 * type ("MX", "TLSA", ...) with drill; flags are DNS_SERVER_QUERY_*. Free the answer with
 * dns_server_answer_free().
 */
int dns_server_query(const char *address, uint16_t port, const char *name, const char *type,
                     unsigned flags, struct dns_server_answer *answer);

void dns_server_answer_free(struct dns_server_answer *answer);

#endif
