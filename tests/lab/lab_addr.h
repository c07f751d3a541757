/*
 * NAME
 *	lab_addr - envelope addresses and HELO names, as smtp-lab judges them
 *
 * SUMMARY
 *	struct lab_where w = {.hostname = "mx.lab.test", .domain = "lab.test",
 *			      .local_ip = "127.0.0.1", .peer_ip = "127.0.0.2"};
 *	lab_addr_path("TO:<alice@lab.test> NOTIFY=NEVER", "TO:", &addr, &len, &params);
 *	lab_addr_classify(&w, addr, len)        -> LAB_ADDR_LOCAL_KNOWN
 *	lab_addr_check_helo(&w, "[127.0.0.3]")  -> LAB_HELO_LITERAL_MISMATCH
 *	lab_addr_list_members(&w, "staff", 5)   -> {"alice", "bob", "admin", NULL}
 *
 * DESCRIPTION
 *	Local domains are the server's host name, its parent domain and the
 *	address literal of the address the client connected to. Local users
 *	are postmaster, root, admin, abuse, alice and bob; staff is a local
 *	list (alice, bob, admin) and as a recipient counts as a known user.
 *
 *	An address is routed (the relay tests' "tricky" class) when it has a
 *	source route (@a,@b:user@d), a %, ! or extra @ in its local part, or
 *	a quoted local part holding one of them. Routed is decided first, so
 *	"user%ext@lab.test" is routed, not local.
 *
 *	HELO names are judged like Postfix's reject_invalid_helo_hostname,
 *	reject_non_fqdn_helo_hostname and a "you are not me" access map:
 *	localhost, the server's own name and its address literal are "not me";
 *	a literal must be the client's own address; anything else must be a
 *	syntactically valid fully-qualified name of at most 255 bytes.
 */
#ifndef LAB_ADDR_H
#define LAB_ADDR_H

#include <stddef.h>

/* Where a session takes place; addresses are numeric text without brackets. */
struct lab_where {
	const char *hostname;
	const char *domain;
	const char *local_ip;
	const char *peer_ip;
};

enum lab_addr_class {
	LAB_ADDR_LOCAL_KNOWN,
	LAB_ADDR_LOCAL_UNKNOWN,
	LAB_ADDR_INVALID_DOMAIN, /* RFC 6761 .invalid */
	LAB_ADDR_EXTERNAL,
	LAB_ADDR_ROUTED,
	LAB_ADDR_BAD, /* not an address: empty parts, stray characters */
	LAB_ADDR_CLASS_COUNT
};

enum lab_helo_verdict {
	LAB_HELO_OK,
	LAB_HELO_NOT_FQDN,         /* 504: not a valid fully-qualified name */
	LAB_HELO_NOT_ME,           /* 550: localhost, our name, our literal */
	LAB_HELO_LITERAL_MISMATCH, /* 550: a literal that is not the client's address */
};

/*
 * Splits "FROM:<path> params" (keyword "FROM:" or "TO:", case-insensitive,
 * spaces allowed before the path, brackets optional): the path without
 * brackets into *addr and *len, and what follows into *params. SA_ERROR_PARSE
 * when the keyword is missing or a bracket is not closed.
 */
int lab_addr_path(const char *arg, const char *keyword, const char **addr, size_t *len,
                  const char **params);

enum lab_addr_class lab_addr_classify(const struct lab_where *w, const char *addr, size_t len);

/* The local parts of a local list's members (NULL-terminated), or NULL when addr is no list. */
const char *const *lab_addr_list_members(const struct lab_where *w, const char *addr, size_t len);

enum lab_helo_verdict lab_addr_check_helo(const struct lab_where *w, const char *name);

#endif
