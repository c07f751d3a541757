/*
 * NAME
 *	credential - the password of --auth-password-file, read safely
 *
 * DESCRIPTION
 *	See credential.h. The mode is checked on the open descriptor, so
 *	the file judged is the file read.
 */
#include "credential.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sa_error.h"

static int credential_check_file(int fd, const char *path, char *err, size_t errlen)
{
	struct stat st;
	if (fstat(fd, &st) != 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return SA_ERROR_IO;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s: not a regular file", path);
		return SA_ERROR_POLICY;
	}
	if (st.st_mode & (S_IROTH | S_IWOTH)) {
		snprintf(err, errlen,
		         "%s: other users can read or write it (mode %04o); refusing a password "
		         "that may already be disclosed: chmod o-rwx %s",
		         path, (unsigned)(st.st_mode & 07777), path);
		return SA_ERROR_POLICY;
	}
	return 0;
}

/* Reads at most CREDENTIAL_MAX + 2 bytes (the password and its line end) into buf. */
static int credential_read(int fd, const char *path, char *buf, size_t *len, char *err,
                           size_t errlen)
{
	size_t used = 0;
	for (;;) {
		ssize_t n = read(fd, buf + used, CREDENTIAL_MAX + 3 - used);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
			return SA_ERROR_IO;
		}
		if (n == 0)
			break;
		used += (size_t)n;
		if (used == CREDENTIAL_MAX + 3)
			break;
	}
	*len = used;
	return 0;
}

/* The first line without its LF or CRLF: the password. */
static int credential_take_line(char *buf, size_t len, const char *path, char *err, size_t errlen)
{
	char *lf = memchr(buf, '\n', len);
	if (lf != NULL)
		len = (size_t)(lf - buf);
	if (len > 0 && buf[len - 1] == '\r')
		len--;
	if (len > CREDENTIAL_MAX) {
		snprintf(err, errlen, "%s: the password is longer than %d bytes", path,
		         CREDENTIAL_MAX);
		return SA_ERROR_TOOBIG;
	}
	if (len == 0 || memchr(buf, '\0', len) != NULL || memchr(buf, '\r', len) != NULL) {
		snprintf(err, errlen,
		         "%s: the first line must hold the password (not empty, no NUL "
		         "or CR)",
		         path);
		return SA_ERROR_INVAL;
	}
	buf[len] = '\0';
	return 0;
}

int credential_load(char **password, const char *path, char *err, size_t errlen)
{
	char buf[CREDENTIAL_MAX + 4];
	size_t len = 0;
	*password = NULL;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return SA_ERROR_IO;
	}
	int rc = credential_check_file(fd, path, err, errlen);
	if (rc == 0)
		rc = credential_read(fd, path, buf, &len, err, errlen);
	close(fd);
	if (rc == 0)
		rc = credential_take_line(buf, len, path, err, errlen);
	if (rc == 0 && (*password = strdup(buf)) == NULL) {
		snprintf(err, errlen, "%s: out of memory", path);
		rc = SA_ERROR_NOMEM;
	}
	explicit_bzero(buf, sizeof(buf));
	return rc;
}

void credential_free(char *password)
{
	if (password == NULL)
		return;
	explicit_bzero(password, strlen(password));
	free(password);
}
