/*
 * NAME
 *	smtp_addr - names and address literals a probe builds addresses from
 *
 * DESCRIPTION
 *	Probes address the server by what it says about itself: its host name
 *	(EHLO greeting line, else the first word of the 220 greeting), the
 *	domain that name belongs to, and its address as an RFC 5321 address
 *	literal ("[192.0.2.1]", "[IPv6:2001:db8::1]"). Names are accepted only
 *	when they are syntactically host names, so hostile text never ends up
 *	inside a command line.
 */
#ifndef SMTP_ADDR_H
#define SMTP_ADDR_H

#include <stdbool.h>
#include <stddef.h>

#include "smtp_caps.h"
#include "smtp_reply.h"

/* "[192.0.2.1]" for family 4, "[IPv6:2001:db8::1]" for family 6. */
const char *smtp_addr_literal(const char *address, int family, char *buf, size_t buflen);

/* True for a syntactically valid DNS host name with at least one dot. */
bool smtp_addr_is_hostname(const char *name);

/*
 * The server's host name: the EHLO greeting name when it is a host name,
 * else the first word of the 220 greeting when it is one; "" when neither
 * is (caps and greeting may be NULL). Lower-cased.
 */
const char *smtp_addr_server_name(const struct smtp_reply *greeting, const struct smtp_caps *caps,
				  char *buf, size_t buflen);

/*
 * The domain a host name belongs to: the name without its first label when
 * it has three labels or more ("mx.lab.test" -> "lab.test"), else the name
 * itself ("example.org").
 */
const char *smtp_addr_domain_of(const char *host, char *buf, size_t buflen);

#endif
