/*
 * NAME
 *	nginx - a real nginx on loopback serving MTA-STS policies over HTTPS
 *
 * SUMMARY
 *	static const struct nginx_site sites[] = {
 *		{.host = "mta-sts.example.test"},
 *		{.host = "mta-sts.expired.test", .cert = "expired"},
 *	};
 *	struct nginx ng;
 *	if (!nginx_available()) cr_skip_test("nginx is not installed");
 *	cr_assert_eq(nginx_start(&ng, cert_dir, sites, 2), 0);
 *	cr_assert_eq(nginx_set_policy(&ng, "mta-sts.example.test", "version: STSv1\r\n..."), 0);
 *	... https://mta-sts.example.test:ng.port/.well-known/mta-sts.txt on 127.0.0.1 ...
 *	nginx_stop(&ng);
 *
 * DESCRIPTION
 *	nginx_start() writes an nginx.conf into a fresh temporary directory
 *	and runs "nginx -p DIR -c DIR/nginx.conf -e stderr": one master and
 *	one worker, in the foreground, in its own process group with
 *	PR_SET_PDEATHSIG (run_spawn(), run.h), its pid file, error log
 *	(DIR/stderr), access log (DIR/access.log: SNI name, request line,
 *	status, one request a line) and temporary files all in DIR. The
 *	system's nginx (/etc/nginx, ports 80 and 443) is neither read nor
 *	touched. It listens with TLS on 127.0.0.1 and, when the host has it,
 *	::1, at one port that was free for both; if a stranger takes it
 *	before nginx binds, the start is retried on another.
 *
 *	There is one virtual host (server_name, chosen by SNI and Host) per
 *	site, each with its own certificate from scripts/gen-test-certs.sh's
 *	output directory cert_dir: CERT.chain.pem and CERT.key, CERT being
 *	.cert or "good"; the first site is also the default for other names.
 *	The certificates must name the hosts (gen-test-certs.sh takes several
 *	names) and are trusted through cert_dir/ca.crt. A site serves one
 *	file, NGINX_POLICY_PATH, with .content_type (default "text/plain"),
 *	from DIR/HOST.mta-sts.txt; every other path, and the policy while no
 *	file is set, is a 404. nginx_set_policy() may change a policy while
 *	nginx runs: the next request sees the new body.
 *
 *	Start is complete when nginx has written its pid file (it does so
 *	after binding its listeners) and 127.0.0.1:port accepts a connection,
 *	bounded by NGINX_START_TIMEOUT_S. nginx_stop() stops it by pid
 *	(SIGTERM, a bounded wait, SIGKILL to the group) and removes the
 *	directory; run.c's atexit handler does the same for an instance a
 *	failed test left running. Run as root, the workers stay root (they
 *	read the private directory); as another user nginx runs as that user.
 *
 * DIAGNOSTICS
 *	nginx_start() returns 0 or SA_ERROR_INVAL (no sites, too many, or a
 *	host, certificate or content type with characters nginx.conf would
 *	read as syntax), SA_ERROR_NOTFOUND (a certificate file is missing),
 *	SA_ERROR_IO (directory, fork, or nginx exited or logged [emerg]: its
 *	log is copied to stderr) or SA_ERROR_TIMEOUT; on error nothing is
 *	left running. nginx_set_policy() returns 0, SA_ERROR_NOTFOUND (not a
 *	site of this instance) or SA_ERROR_IO.
 */
#ifndef NGINX_H
#define NGINX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define NGINX_BIN             "/usr/sbin/nginx"
#define NGINX_START_TIMEOUT_S 10.0
#define NGINX_STOP_TIMEOUT_S  5.0
#define NGINX_SITES_MAX       16
#define NGINX_HOST_MAX        254
#define NGINX_POLICY_PATH     "/.well-known/mta-sts.txt"

struct nginx_site {
	const char *host;         /* "mta-sts.example.test" */
	const char *cert;         /* a gen-test-certs.sh name: "good" (NULL), "expired", ... */
	const char *content_type; /* of the policy; NULL: "text/plain" */
};

struct nginx {
	pid_t pid;
	char dir[256];
	uint16_t port;
	bool ipv6; /* nginx listens on ::1 as well */
	size_t site_count;
	char hosts[NGINX_SITES_MAX][NGINX_HOST_MAX];
};

/* NGINX_BIN exists and "nginx -v" runs. */
bool nginx_available(void);

int nginx_start(struct nginx *ng, const char *cert_dir, const struct nginx_site sites[],
                size_t count);

/* Safe to call twice and on a zeroed struct. */
void nginx_stop(struct nginx *ng);

/* Sets host's policy to body, atomically; NULL removes it (a 404 from then on). */
int nginx_set_policy(const struct nginx *ng, const char *host, const char *body);

/* "https://HOST:PORT/.well-known/mta-sts.txt" into buf; NULL if it does not fit. */
const char *nginx_policy_url(const struct nginx *ng, const char *host, char *buf, size_t buflen);

#endif
