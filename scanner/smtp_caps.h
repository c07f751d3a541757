/*
 * NAME
 *	smtp_caps - parse an EHLO reply into the server's capabilities
 *
 * DESCRIPTION
 *	The first line of a 250 EHLO reply is the server's name (and free
 *	text); each further line is an extension keyword with parameters
 *	(RFC 5321 section 4.1.1.1). Keywords are matched case-insensitively.
 *	AUTH mechanisms come from "AUTH mech..." and the pre-standard
 *	"AUTH=mech..." form; both are merged. Keywords not in the table are
 *	kept verbatim (bounded) so a report can show them. SIZE keeps its
 *	argument (0 = no limit stated).
 *
 *	Words are separated by spaces, tabs or '=' (as Postfix's SMTP client
 *	splits them), which is what makes "AUTH=LOGIN" parse. An unknown
 *	mechanism is kept once however often it is advertised.
 *
 *	The parser never fails on odd content: an unknown or malformed line
 *	(such as "SIZE" with a non-numeric or overflowing argument) is kept as
 *	unknown. It fails only on allocation failure.
 */
#ifndef SMTP_CAPS_H
#define SMTP_CAPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "smtp_reply.h"

#define SMTP_EXT_MAP(X)                                                                            \
	X(STARTTLS, "STARTTLS")                                                                    \
	X(AUTH, "AUTH")                                                                            \
	X(SIZE, "SIZE")                                                                            \
	X(PIPELINING, "PIPELINING")                                                                \
	X(EIGHTBITMIME, "8BITMIME")                                                                \
	X(SMTPUTF8, "SMTPUTF8")                                                                    \
	X(CHUNKING, "CHUNKING")                                                                    \
	X(BINARYMIME, "BINARYMIME")                                                                \
	X(DSN, "DSN")                                                                              \
	X(ENHANCEDSTATUSCODES, "ENHANCEDSTATUSCODES")                                              \
	X(REQUIRETLS, "REQUIRETLS")                                                                \
	X(DELIVERBY, "DELIVERBY")                                                                  \
	X(XCLIENT, "XCLIENT")                                                                      \
	X(XFORWARD, "XFORWARD")                                                                    \
	X(ETRN, "ETRN")                                                                            \
	X(TURN, "TURN")                                                                            \
	X(ATRN, "ATRN")                                                                            \
	X(VRFY, "VRFY")                                                                            \
	X(EXPN, "EXPN")                                                                            \
	X(HELP, "HELP")                                                                            \
	X(VERB, "VERB")                                                                            \
	X(ONEX, "ONEX")                                                                            \
	X(XEXCH50, "XEXCH50")                                                                      \
	X(X_LINK2STATE, "X-LINK2STATE")                                                            \
	X(X_ANONYMOUSTLS, "X-ANONYMOUSTLS")                                                        \
	X(X_EXPS, "X-EXPS")                                                                        \
	X(XUSR, "XUSR")

enum smtp_ext {
#define SMTP_EXT_ENUM(name, keyword) SMTP_EXT_##name,
	SMTP_EXT_MAP(SMTP_EXT_ENUM)
#undef SMTP_EXT_ENUM
	SMTP_EXT_COUNT
};

#define SMTP_AUTH_MAP(X)                                                                           \
	X(PLAIN, "PLAIN")                                                                          \
	X(LOGIN, "LOGIN")                                                                          \
	X(CRAM_MD5, "CRAM-MD5")                                                                    \
	X(DIGEST_MD5, "DIGEST-MD5")                                                                \
	X(NTLM, "NTLM")                                                                            \
	X(GSSAPI, "GSSAPI")                                                                        \
	X(ANONYMOUS, "ANONYMOUS")                                                                  \
	X(EXTERNAL, "EXTERNAL")                                                                    \
	X(XOAUTH2, "XOAUTH2")                                                                      \
	X(OAUTHBEARER, "OAUTHBEARER")                                                              \
	X(SCRAM_SHA_1, "SCRAM-SHA-1")                                                              \
	X(SCRAM_SHA_256, "SCRAM-SHA-256")                                                          \
	X(KERBEROS_V4, "KERBEROS_V4")

enum smtp_auth {
#define SMTP_AUTH_ENUM(name, text) SMTP_AUTH_##name,
	SMTP_AUTH_MAP(SMTP_AUTH_ENUM)
#undef SMTP_AUTH_ENUM
	SMTP_AUTH_COUNT
};

_Static_assert(SMTP_EXT_COUNT <= 32, "extension set fits a uint32_t");
_Static_assert(SMTP_AUTH_COUNT <= 32, "mechanism set fits a uint32_t");

/* Unknown keywords / mechanisms kept per reply; the rest are counted. */
#define SMTP_CAPS_MAX_UNKNOWN 32

struct smtp_caps {
	char *server_name;     /* first word of the first line; NULL if empty */
	uint32_t ext;          /* bit (1u << SMTP_EXT_x) per advertised extension */
	uint32_t auth;         /* bit (1u << SMTP_AUTH_x) per advertised mechanism */
	uint64_t size_limit;   /* SIZE argument; 0 when absent or unlimited */
	char **unknown;        /* unknown extension lines, verbatim */
	size_t nunknown;
	size_t unknown_dropped; /* unknown lines beyond SMTP_CAPS_MAX_UNKNOWN */
	char **auth_unknown;   /* unknown mechanism names, verbatim */
	size_t nauth_unknown;
	size_t auth_unknown_dropped; /* unknown mechanisms beyond SMTP_CAPS_MAX_UNKNOWN */
};

/*
 * Parses a 250 reply to EHLO. *out is initialised by the call (free it with
 * smtp_caps_free even on failure). Returns 0 or SA_ERROR_NOMEM;
 * SA_ERROR_INVAL when reply->code is not 250.
 */
int smtp_caps_parse(const struct smtp_reply *reply, struct smtp_caps *out);

void smtp_caps_free(struct smtp_caps *caps);

/* Deep copy; returns 0 or SA_ERROR_NOMEM. */
int smtp_caps_copy(struct smtp_caps *dst, const struct smtp_caps *src);

static inline bool smtp_caps_has(const struct smtp_caps *caps, enum smtp_ext ext)
{
	return (caps->ext >> ext) & 1u;
}

static inline bool smtp_caps_has_auth(const struct smtp_caps *caps, enum smtp_auth mech)
{
	return (caps->auth >> mech) & 1u;
}

/* Canonical keyword ("8BITMIME") / mechanism name ("CRAM-MD5"). */
const char *smtp_ext_name(enum smtp_ext ext);
const char *smtp_auth_name(enum smtp_auth mech);

/* Space-separated names of the mechanisms in a (1u << SMTP_AUTH_x) set, "none" when empty. */
const char *smtp_auth_list(uint32_t set, char *buf, size_t buflen);

/* Looks a keyword / mechanism up case-insensitively; false when unknown. */
bool smtp_ext_lookup(const char *keyword, size_t len, enum smtp_ext *out);
bool smtp_auth_lookup(const char *name, size_t len, enum smtp_auth *out);

#endif
