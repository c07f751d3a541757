/*
 * NAME
 *	sa_error - the project's error codes and their messages
 */
#include "sa_error.h"

#include <errno.h>

static const char *const sa_error_messages[] = {
#define SA_ERROR_TEXT(name, msg) msg,
	SA_ERROR_MAP(SA_ERROR_TEXT)
#undef SA_ERROR_TEXT
};

_Static_assert(sizeof(sa_error_messages) / sizeof(sa_error_messages[0]) ==
		       (unsigned)(SA_ERROR__END - SA_ERROR__FIRST - 1),
	       "one message per error code");

const char *sa_error_str(int err)
{
	if (err == 0)
		return "success";
	if (err <= SA_ERROR__FIRST || err >= SA_ERROR__END)
		return "unknown error";
	return sa_error_messages[err - SA_ERROR__FIRST - 1];
}

int sa_error_from_errno(int neg_errno)
{
	switch (-neg_errno) {
	case 0:
		return 0;
	case ENOMEM:
		return SA_ERROR_NOMEM;
	case ECONNREFUSED:
		return SA_ERROR_REFUSED;
	case ECONNRESET:
	case EPIPE:
		return SA_ERROR_RESET;
	case ENETUNREACH:
	case EHOSTUNREACH:
	case EADDRNOTAVAIL:
		return SA_ERROR_UNREACH;
	case ETIMEDOUT:
		return SA_ERROR_TIMEOUT;
	case EAGAIN:
	case EMFILE:
	case ENFILE:
	case ENOBUFS:
		return SA_ERROR_AGAIN;
	case ECANCELED:
		return SA_ERROR_CANCELED;
	case EINVAL:
		return SA_ERROR_INVAL;
	default:
		return SA_ERROR_IO;
	}
}
