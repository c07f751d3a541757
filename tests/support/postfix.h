/*
 * NAME
 *	postfix - real Postfix instances on loopback for integration tests
 *
 * SUMMARY
 *	struct postfix pf = {0};
 *	if (!postfix_available()) cr_skip_test("postfix not installed");
 *	cr_assert_eq(postfix_start(&pf, "127.0.0.1", postfix_config("hardened")), 0);
 *	... connect to pf.address port pf.port (postfix_target() for the CLI) ...
 *	postfix_stop(&pf);
 *
 *	To place files in the instance before it runs, or to add lines to a
 *	named configuration:
 *	postfix_prepare(&pf, "::1", postfix_config("hardened"), extra_lines);
 *	postfix_instance_path(&pf, "expired.pem", path, sizeof(path)); ... write it ...
 *	postfix_launch(&pf);
 *
 * DESCRIPTION
 *	Each instance is a directory /tmp/sa-postfix.XXXXXX holding main.cf,
 *	master.cf, the queue and data directories, the test certificates of
 *	scripts/gen-test-certs.sh for mx.postfix.test (POSTFIX_CERT_DIR: the
 *	"good" one by default, ca.crt to trust them), a sasldb with one user
 *	(POSTFIX_SASL_USER / POSTFIX_SASL_PASSWORD), the local recipient table
 *	and the log Postfix writes (maillog). The templates and the meaning
 *	of every named configuration are in tests/postfix/README.md.
 *
 *	main.cf is tests/postfix/main.cf.base plus override lines
 *	"key = value"; a later line for the same key replaces the earlier one.
 *	In templates and override lines "$instance_dir" is replaced by the
 *	instance directory and "$instance_address" by the listen address
 *	before Postfix reads them.
 *
 *	The master daemon is started directly (master -c DIR -d), in its own
 *	session, so its pid is the instance's process group and
 *	postfix_stop() can end every process of the instance. Nothing is
 *	delivered anywhere: all transports are discard:.
 *
 *	Safety nets: an atexit handler stops every instance the process still
 *	runs, and each instance has a guard process (/bin/sh, in a session of
 *	its own) that stops it and removes its directory when the process
 *	that started it dies in any way (crash, SIGKILL, criterion timeout).
 *	Not thread-safe: start and stop instances from one thread.
 *
 *	Postfix needs root: postfix_available() is false for other users.
 *	Overrides must not change maillog_file or syslog_name: readiness is
 *	read from the log.
 *
 * DIAGNOSTICS
 *	Functions return 0 or a negative SA_ERROR_* code and print the reason
 *	(with the tail of the instance's log when Postfix failed) to stderr.
 *	SA_ERROR_INVAL: bad address or override line; SA_ERROR_NOTFOUND: a
 *	template, scripts/gen-test-certs.sh or a program is missing;
 *	SA_ERROR_IO: a file or a helper program failed, or the master exited
 *	during start; SA_ERROR_TIMEOUT: no 220 greeting within
 *	POSTFIX_START_TIMEOUT_MS.
 */
#ifndef POSTFIX_H
#define POSTFIX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define POSTFIX_START_TIMEOUT_MS 20000
#define POSTFIX_HOSTNAME         "mx.postfix.test"
#define POSTFIX_GREETING         "220 mx.postfix.test ESMTP Postfix (Debian/GNU)"
/* Instance subdirectory with scripts/gen-test-certs.sh's output: NAME.crt, NAME.key, ... */
#define POSTFIX_CERT_DIR "certs"
/* The one sasldb user; PLAIN/LOGIN log in as "alice" (realm mx.postfix.test). */
#define POSTFIX_SASL_USER     "alice"
#define POSTFIX_SASL_PASSWORD "alice-secret"

struct postfix {
	pid_t pid;
	char dir[256];
	uint16_t port;
	char address[64];
};

/*
 * Creates a fresh instance (prepare) and runs it (launch); waits, at most
 * POSTFIX_START_TIMEOUT_MS, until the port answers with a 220 greeting.
 * address: "127.0.0.1" or "::1". overrides: NULL-terminated, may be NULL.
 * On error nothing is left running and the directory is gone.
 */
int postfix_start(struct postfix *pf, const char *address, const char *const overrides[]);

/*
 * Writes the instance directory and picks a free port, without starting
 * anything. overrides, then extra, are applied to the base (either may
 * be NULL), so extra lines win. Call postfix_stop() also on error.
 */
int postfix_prepare(struct postfix *pf, const char *address, const char *const overrides[],
                    const char *const extra[]);

/*
 * Runs a prepared instance and waits for its greeting; if the port was
 * taken meanwhile, retries on another. On error no process is left.
 */
int postfix_launch(struct postfix *pf);

/*
 * Stops the instance by pid (SIGTERM, bounded waits, then SIGKILL to its
 * process group) and removes its directory. Safe to call twice, and on a
 * zero-initialized struct.
 */
void postfix_stop(struct postfix *pf);

/* "127.0.0.1:PORT" or "[::1]:PORT" into buf; NULL if it does not fit. */
const char *postfix_target(const struct postfix *pf, char *buf, size_t buflen);

/* DIR/name into buf; NULL if it does not fit. */
const char *postfix_instance_path(const struct postfix *pf, const char *name, char *buf,
                                  size_t buflen);

/*
 * Override lines of a named configuration ("base", "hardened",
 * "open-relay", "auth-before-tls", "lax-helo", "no-starttls", "tls-legacy",
 * "cert-expired", "cert-not-yet-valid", "cert-expiring", "cert-wrong-name",
 * "cert-self-signed", "cert-rsa1024", "cert-sha1", "vrfy", "submission",
 * "submission-encrypt"); NULL for an unknown name. tests/postfix/README.md
 * says what each one shows a client.
 */
const char *const *postfix_config(const char *name);

/* The Postfix, Cyrus SASL and openssl programs are installed and we are root. */
bool postfix_available(void);

/*
 * Waits, at most timeout_ms, until the instance's maillog has a line
 * containing needle (Postfix logs asynchronously).
 */
bool postfix_log_wait(const struct postfix *pf, const char *needle, int timeout_ms);


#endif
