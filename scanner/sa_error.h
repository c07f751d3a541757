/*
 * NAME
 *	sa_error - the project's error codes
 *
 * DESCRIPTION
 *	Every function that can fail returns 0 or a negative SA_ERROR_* code.
 *	libuv, mbedTLS and c-ares codes are mapped to these at the boundary and
 *	never returned raw: their numbers overlap.
 */
#ifndef SA_ERROR_H
#define SA_ERROR_H

#define SA_ERROR_MAP(X)                                                                            \
	X(NOMEM, "out of memory")                                                                  \
	X(INVAL, "invalid argument")                                                               \
	X(RANGE, "value out of range")                                                             \
	X(PARSE, "malformed input")                                                                \
	X(TOOBIG, "input exceeds a limit")                                                         \
	X(IO, "input/output error")                                                                \
	X(NOTFOUND, "not found")                                                                   \
	X(REFUSED, "connection refused")                                                           \
	X(RESET, "connection reset by peer")                                                       \
	X(UNREACH, "host or network unreachable")                                                  \
	X(TIMEOUT, "timed out")                                                                    \
	X(CLOSED, "connection closed by peer")                                                     \
	X(TLS, "TLS failure")                                                                      \
	X(PROTO, "SMTP protocol violation")                                                        \
	X(POLICY, "refused by the safety policy")                                                  \
	X(RESOLVE, "name resolution failed")                                                       \
	X(AGAIN, "resource temporarily unavailable")                                               \
	X(CANCELED, "operation canceled")

enum sa_error {
	SA_ERROR_OK = 0,
#define SA_ERROR_ENUM(name, msg) SA_ERROR_##name,
	SA_ERROR__FIRST = -1000,
	SA_ERROR_MAP(SA_ERROR_ENUM)
#undef SA_ERROR_ENUM
	SA_ERROR__END
};

/* Human text for 0 or an SA_ERROR_* code; never NULL. */
const char *sa_error_str(int err);

/* Maps a negative errno value (as libuv reports it) to an SA_ERROR_* code. */
int sa_error_from_errno(int neg_errno);

#endif
