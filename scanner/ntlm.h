/*
 * NAME
 *	ntlm - build an NTLM NEGOTIATE message, decode a server's CHALLENGE
 *
 * SUMMARY
 *	unsigned char negotiate[NTLM_NEGOTIATE_LEN];
 *	size_t len;
 *	ntlm_negotiate_message(negotiate, sizeof(negotiate), &len);
 *	... send it base64-encoded, receive the server's answer ...
 *	struct ntlm_challenge ch;
 *	if (ntlm_parse_challenge(bytes, nbytes, &ch) == 0)
 *		printf("%s %u.%u.%u\n", ch.dns_computer, ch.major, ch.minor, ch.build);
 *
 * DESCRIPTION
 *	Pure code for the two NTLMSSP messages (MS-NLMP 2.2.1.1 and 2.2.1.2)
 *	that an unauthenticated client exchanges with a server: no
 *	credentials are involved, and nothing is computed from them.
 *
 *	The NEGOTIATE message asks for Unicode (OEM allowed), the target name,
 *	NTLM with extended session security, always-sign, 128- and 56-bit keys
 *	and the version, and names neither a domain nor a workstation; it
 *	carries version 0.0.0 with NTLM revision 15, since the scanner is not
 *	Windows and the field is informational.
 *
 *	A CHALLENGE message is untrusted input. The parser reads only inside
 *	the len bytes it is given: every payload field (offset, length) is
 *	checked against the message, the optional fixed fields (TargetInfo
 *	at 40, Version at 48) are read only when the payload does not start
 *	before them, and the AV_PAIR list must end with MsvAvEOL inside its
 *	field. Names are converted from UTF-16LE to UTF-8 (an unpaired
 *	surrogate or a NUL becomes U+FFFD); a target name sent in the OEM
 *	code page is copied as it is (a NUL becomes U+FFFD). Names are kept
 *	as untrusted bytes for the writers to escape, cut to at most
 *	NTLM_NAME_MAX - 1 bytes at a character boundary. An AV_PAIR id seen
 *	twice keeps its first value; unknown ids are skipped.
 *
 * DIAGNOSTICS
 *	ntlm_negotiate_message() returns SA_ERROR_RANGE when buf is shorter
 *	than NTLM_NEGOTIATE_LEN. ntlm_parse_challenge() returns SA_ERROR_PARSE
 *	for a wrong signature or type, a message shorter than 32 bytes, a
 *	field outside the message or overlapping the fixed header, a UTF-16
 *	name of odd length, an AV_PAIR running past its field, a timestamp
 *	that is not 8 bytes, or a list without MsvAvEOL; *out is then zeroed.
 */
#ifndef NTLM_H
#define NTLM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* NegotiateFlags, MS-NLMP 2.2.2.5. */
#define NTLM_FLAG_UNICODE                  0x00000001u
#define NTLM_FLAG_OEM                      0x00000002u
#define NTLM_FLAG_REQUEST_TARGET           0x00000004u
#define NTLM_FLAG_NTLM                     0x00000200u
#define NTLM_FLAG_ALWAYS_SIGN              0x00008000u
#define NTLM_FLAG_TARGET_TYPE_DOMAIN       0x00010000u
#define NTLM_FLAG_TARGET_TYPE_SERVER       0x00020000u
#define NTLM_FLAG_EXTENDED_SESSIONSECURITY 0x00080000u
#define NTLM_FLAG_TARGET_INFO              0x00800000u
#define NTLM_FLAG_VERSION                  0x02000000u
#define NTLM_FLAG_128                      0x20000000u
#define NTLM_FLAG_56                       0x80000000u

/* The flags ntlm_negotiate_message() sends. */
#define NTLM_NEGOTIATE_FLAGS                                                                       \
	(NTLM_FLAG_UNICODE | NTLM_FLAG_OEM | NTLM_FLAG_REQUEST_TARGET | NTLM_FLAG_NTLM |           \
	 NTLM_FLAG_ALWAYS_SIGN | NTLM_FLAG_EXTENDED_SESSIONSECURITY | NTLM_FLAG_VERSION |          \
	 NTLM_FLAG_128 | NTLM_FLAG_56)

/* Signature, type, flags, two empty fields and the version: no payload. */
#define NTLM_NEGOTIATE_LEN 40

/* Bytes of each name buffer, the terminating NUL included. */
#define NTLM_NAME_MAX 256

struct ntlm_challenge {
	uint32_t flags;                   /* NegotiateFlags of the server */
	char target_name[NTLM_NAME_MAX];  /* TargetName field */
	char nb_domain[NTLM_NAME_MAX];    /* MsvAvNbDomainName */
	char nb_computer[NTLM_NAME_MAX];  /* MsvAvNbComputerName */
	char dns_domain[NTLM_NAME_MAX];   /* MsvAvDnsDomainName */
	char dns_computer[NTLM_NAME_MAX]; /* MsvAvDnsComputerName */
	char dns_tree[NTLM_NAME_MAX];     /* MsvAvDnsTreeName (forest) */
	bool has_version;                 /* Version field present */
	unsigned major, minor, build;     /* Windows product version, e.g. 10.0.17763 */
	bool has_timestamp;               /* MsvAvTimestamp present */
	uint64_t timestamp;               /* FILETIME: 100 ns ticks since 1601-01-01 UTC */
};

/* Writes the NEGOTIATE message into buf; *len receives its length. */
int ntlm_negotiate_message(unsigned char *buf, size_t buflen, size_t *len);

/* Decodes a CHALLENGE message of len bytes into *out. Returns 0 or SA_ERROR_PARSE. */
int ntlm_parse_challenge(const unsigned char *msg, size_t len, struct ntlm_challenge *out);

#endif
