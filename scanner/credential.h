/*
 * NAME
 *	credential - the password of --auth-password-file, read safely
 *
 * SUMMARY
 *	char *password, err[512];
 *	if (credential_load(&password, "/etc/smtp-audit/alice.pw", err, sizeof(err)) != 0) ...
 *	credential_free(password);
 *
 * DESCRIPTION
 *	A password never comes from the command line, where every user of
 *	the machine can read it in the process list: it comes from a file
 *	holding it on its first line (a final LF or CRLF is not part of it).
 *	The file must be a regular file that other users cannot read or
 *	write: a password in a file others can read is already disclosed,
 *	so such a file is refused rather than warned about. The password is
 *	at most CREDENTIAL_MAX bytes with no NUL, CR or LF, so it fits a
 *	SASL PLAIN message. credential_free() overwrites it before freeing.
 *
 * DIAGNOSTICS
 *	credential_load() returns SA_ERROR_IO (cannot open or read),
 *	SA_ERROR_POLICY (not a regular file, or readable or writable by
 *	others), SA_ERROR_INVAL (empty, or a NUL/CR/LF inside),
 *	SA_ERROR_TOOBIG or SA_ERROR_NOMEM, with a one-line message in err
 *	that names the file and never shows the password.
 */
#ifndef CREDENTIAL_H
#define CREDENTIAL_H

#include <stddef.h>

#define CREDENTIAL_MAX 1024

int credential_load(char **password, const char *path, char *err, size_t errlen);

/* Overwrites and frees a password from credential_load(); NULL is fine. */
void credential_free(char *password);

#endif
