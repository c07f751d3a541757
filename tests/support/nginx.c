/*
 * NAME
 *	nginx - a real nginx on loopback serving MTA-STS policies over HTTPS
 *
 * DESCRIPTION
 *	See nginx.h. Starting, stopping and the atexit clean-up of whatever
 *	a test forgot are run_spawn() and run_stop() (run.h).
 *
 *	Every file of an instance sits directly in its directory, nginx's
 *	temporary-file paths included (a GET never makes one), so that
 *	run_remove_dir(), which does not descend, removes all of it.
 */
#include "nginx.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "run.h"
#include "sa_error.h"

#define NGINX_POLL_MS      20
#define NGINX_LAUNCHES     3
#define NGINX_PORT_TRIES   32
#define NGINX_PATH_MAX     600
#define NGINX_LOG_MAX      (1024 * 1024)
#define NGINX_DEFAULT_CERT "good"
#define NGINX_DEFAULT_TYPE "text/plain"

/* What nginx logs when a listener's port is taken, and before it gives up. */
#define NGINX_LOG_INUSE "Address already in use"
#define NGINX_LOG_EMERG "[emerg]"

static const char nginx_name_chars[] =
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._";

bool nginx_available(void)
{
	if (access(NGINX_BIN, X_OK) != 0)
		return false;
	return system(NGINX_BIN " -v >/dev/null 2>&1") == 0;
}

static bool nginx_name_ok(const char *name)
{
	size_t len = name != NULL ? strlen(name) : 0;
	return len > 0 && len < NGINX_HOST_MAX && name[0] != '.' &&
	       strspn(name, nginx_name_chars) == len;
}

/* The value is written inside double quotes: no quote, backslash or control character. */
static bool nginx_type_ok(const char *type)
{
	for (const char *p = type; *p != '\0'; p++)
		if (*p == '"' || *p == '\\' || (unsigned char)*p < 0x20 || *p == 0x7f)
			return false;
	return type[0] != '\0';
}

static bool nginx_path(const char *dir, char *buf, const char *name, const char *suffix)
{
	int n = snprintf(buf, NGINX_PATH_MAX, "%s/%s%s", dir, name, suffix);
	return n > 0 && n < NGINX_PATH_MAX;
}

static bool nginx_log_has(const struct nginx *ng, const char *needle)
{
	char path[NGINX_PATH_MAX];
	if (!nginx_path(ng->dir, path, "stderr", ""))
		return false;
	FILE *f = fopen(path, "r");
	if (f == NULL)
		return false;
	char *log = malloc(NGINX_LOG_MAX + 1);
	size_t n = log != NULL ? fread(log, 1, NGINX_LOG_MAX, f) : 0;
	fclose(f);
	if (log == NULL)
		return false;
	log[n] = '\0';
	bool found = strstr(log, needle) != NULL;
	free(log);
	return found;
}

static int nginx_check_sites(const char *cert_dir, const struct nginx_site sites[], size_t count)
{
	if (count == 0 || count > NGINX_SITES_MAX)
		return SA_ERROR_INVAL;
	for (size_t i = 0; i < count; i++) {
		const char *cert = sites[i].cert != NULL ? sites[i].cert : NGINX_DEFAULT_CERT;
		if (!nginx_name_ok(sites[i].host) || !nginx_name_ok(cert) ||
		    (sites[i].content_type != NULL && !nginx_type_ok(sites[i].content_type)))
			return SA_ERROR_INVAL;
		char chain[NGINX_PATH_MAX], key[NGINX_PATH_MAX];
		if (!nginx_path(cert_dir, chain, cert, ".chain.pem") ||
		    !nginx_path(cert_dir, key, cert, ".key"))
			return SA_ERROR_INVAL;
		if (access(chain, R_OK) != 0 || access(key, R_OK) != 0) {
			fprintf(stderr, "nginx: no certificate %s or key %s\n", chain, key);
			return SA_ERROR_NOTFOUND;
		}
	}
	return 0;
}

/* ---- port and configuration ---- */

static int nginx_listen_fd(int family, uint16_t *port)
{
	int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	struct sockaddr_in v4 = {.sin_family = AF_INET,
	                         .sin_port = htons(*port),
	                         .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	struct sockaddr_in6 v6 = {
	    .sin6_family = AF_INET6, .sin6_port = htons(*port), .sin6_addr = in6addr_loopback};
	struct sockaddr *sa = family == AF_INET ? (struct sockaddr *)&v4 : (struct sockaddr *)&v6;
	socklen_t len = family == AF_INET ? sizeof(v4) : sizeof(v6);
	if (bind(fd, sa, len) != 0 || getsockname(fd, sa, &len) != 0) {
		close(fd);
		return -1;
	}
	*port = ntohs(family == AF_INET ? v4.sin_port : v6.sin6_port);
	return fd;
}

/* A TCP port free a moment ago on 127.0.0.1 and, with ipv6, on ::1. */
static int nginx_pick_port(struct nginx *ng)
{
	for (int attempt = 0; attempt < NGINX_PORT_TRIES; attempt++) {
		uint16_t port = 0;
		int v4 = nginx_listen_fd(AF_INET, &port);
		int v6 = v4 >= 0 && ng->ipv6 ? nginx_listen_fd(AF_INET6, &port) : -1;
		bool ok = v4 >= 0 && (v6 >= 0 || !ng->ipv6);
		if (v4 >= 0)
			close(v4);
		if (v6 >= 0)
			close(v6);
		if (ok) {
			ng->port = port;
			return 0;
		}
	}
	return SA_ERROR_IO;
}

static bool nginx_has_ipv6(void)
{
	uint16_t port = 0;
	int fd = nginx_listen_fd(AF_INET6, &port);
	if (fd >= 0)
		close(fd);
	return fd >= 0;
}

static void nginx_write_site(const struct nginx *ng, FILE *f, const char *cert_dir,
                             const struct nginx_site *site)
{
	const char *cert = site->cert != NULL ? site->cert : NGINX_DEFAULT_CERT;
	const char *type = site->content_type != NULL ? site->content_type : NGINX_DEFAULT_TYPE;
	fprintf(f, "\tserver {\n\t\tlisten 127.0.0.1:%u ssl;\n", (unsigned)ng->port);
	if (ng->ipv6)
		fprintf(f, "\t\tlisten [::1]:%u ssl;\n", (unsigned)ng->port);
	fprintf(f,
	        "\t\tserver_name %s;\n"
	        "\t\tssl_certificate %s/%s.chain.pem;\n"
	        "\t\tssl_certificate_key %s/%s.key;\n"
	        "\t\tlocation = " NGINX_POLICY_PATH " {\n"
	        "\t\t\ttypes { }\n"
	        "\t\t\tdefault_type \"%s\";\n"
	        "\t\t\talias %s/%s.mta-sts.txt;\n"
	        "\t\t}\n"
	        "\t\tlocation / {\n"
	        "\t\t\treturn 404;\n"
	        "\t\t}\n"
	        "\t}\n",
	        site->host, cert_dir, cert, cert_dir, cert, type, ng->dir, site->host);
}

static int nginx_write_config(const struct nginx *ng, const char *cert_dir,
                              const struct nginx_site sites[], size_t count)
{
	char path[NGINX_PATH_MAX];
	if (!nginx_path(ng->dir, path, "nginx.conf", ""))
		return SA_ERROR_TOOBIG;
	FILE *f = fopen(path, "w");
	if (f == NULL)
		return SA_ERROR_IO;
	/* As root, workers would otherwise become nobody and not read the 0700 directory. */
	if (geteuid() == 0)
		fprintf(f, "user root;\n");
	fprintf(f,
	        "daemon off;\n"
	        "master_process on;\n"
	        "worker_processes 1;\n"
	        "pid %s/nginx.pid;\n"
	        "error_log stderr notice;\n"
	        "events {\n\tworker_connections 64;\n}\n"
	        "http {\n"
	        "\tlog_format sa '$ssl_server_name \"$request\" $status';\n"
	        "\taccess_log %s/access.log sa;\n"
	        "\tserver_tokens off;\n"
	        "\tclient_body_temp_path %s;\n"
	        "\tproxy_temp_path %s;\n"
	        "\tfastcgi_temp_path %s;\n"
	        "\tuwsgi_temp_path %s;\n"
	        "\tscgi_temp_path %s;\n",
	        ng->dir, ng->dir, ng->dir, ng->dir, ng->dir, ng->dir, ng->dir);
	for (size_t i = 0; i < count; i++)
		nginx_write_site(ng, f, cert_dir, &sites[i]);
	fprintf(f, "}\n");
	return fclose(f) == 0 ? 0 : SA_ERROR_IO;
}

/* ---- start and stop ---- */

static bool nginx_accepts(const struct nginx *ng)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return false;
	struct sockaddr_in a = {.sin_family = AF_INET,
	                        .sin_port = htons(ng->port),
	                        .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	bool ok = connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0;
	close(fd);
	return ok;
}

/*
 * Ready: the pid file exists (written after the listeners are bound, so the port
 * is nginx's) and the port accepts. SA_ERROR_AGAIN when the port was taken meanwhile.
 */
static int nginx_wait_ready(struct nginx *ng)
{
	char pidfile[NGINX_PATH_MAX];
	if (!nginx_path(ng->dir, pidfile, "nginx.pid", ""))
		return SA_ERROR_TOOBIG;
	double deadline = run_now() + NGINX_START_TIMEOUT_S;
	while (run_now() < deadline) {
		if (nginx_log_has(ng, NGINX_LOG_INUSE))
			return SA_ERROR_AGAIN;
		if (nginx_log_has(ng, NGINX_LOG_EMERG) || run_reaped(&ng->pid, NULL))
			return SA_ERROR_IO;
		if (access(pidfile, F_OK) == 0 && nginx_accepts(ng))
			return 0;
		run_pause_ms(NGINX_POLL_MS);
	}
	return SA_ERROR_TIMEOUT;
}

static int nginx_launch(struct nginx *ng, const char *cert_dir, const struct nginx_site sites[],
                        size_t count)
{
	int rc = nginx_pick_port(ng);
	if (rc == 0)
		rc = nginx_write_config(ng, cert_dir, sites, count);
	char conf[NGINX_PATH_MAX];
	if (rc == 0 && !nginx_path(ng->dir, conf, "nginx.conf", ""))
		rc = SA_ERROR_TOOBIG;
	if (rc != 0)
		return rc;
	char *const argv[] = {NGINX_BIN, "-p", ng->dir, "-c", conf, "-e", "stderr", NULL};
	rc = run_spawn(argv, ng->dir, &ng->pid);
	if (rc == 0)
		rc = nginx_wait_ready(ng);
	if (rc != 0)
		run_stop(&ng->pid, NGINX_STOP_TIMEOUT_S);
	return rc;
}

int nginx_start(struct nginx *ng, const char *cert_dir, const struct nginx_site sites[],
                size_t count)
{
	*ng = (struct nginx){.ipv6 = nginx_has_ipv6()};
	int rc = nginx_check_sites(cert_dir, sites, count);
	if (rc != 0) {
		fprintf(stderr, "nginx: 1 to %d sites with host names and certificates: %s\n",
		        NGINX_SITES_MAX, sa_error_str(rc));
		return rc;
	}
	for (size_t i = 0; i < count; i++)
		strcpy(ng->hosts[i], sites[i].host);
	ng->site_count = count;
	rc = run_make_dir(ng->dir, sizeof(ng->dir), "sa-nginx");
	for (int attempt = 0; rc == 0 && attempt < NGINX_LAUNCHES; attempt++) {
		rc = nginx_launch(ng, cert_dir, sites, count);
		if (rc != SA_ERROR_AGAIN)
			break;
		fprintf(stderr, "nginx: port %u was taken, trying another\n", (unsigned)ng->port);
	}
	if (rc == SA_ERROR_AGAIN)
		rc = SA_ERROR_IO;
	if (rc != 0) {
		fprintf(stderr, "nginx did not start: %s\n", sa_error_str(rc));
		if (ng->dir[0] != '\0')
			run_show_stderr(ng->dir, "nginx");
		nginx_stop(ng);
	}
	return rc;
}

void nginx_stop(struct nginx *ng)
{
	run_stop(&ng->pid, NGINX_STOP_TIMEOUT_S);
	if (ng->dir[0] != '\0') {
		run_remove_dir(ng->dir);
		ng->dir[0] = '\0';
	}
	ng->port = 0;
}

static bool nginx_has_site(const struct nginx *ng, const char *host)
{
	for (size_t i = 0; host != NULL && i < ng->site_count; i++)
		if (strcmp(ng->hosts[i], host) == 0)
			return true;
	return false;
}

int nginx_set_policy(const struct nginx *ng, const char *host, const char *body)
{
	char path[NGINX_PATH_MAX], tmp[NGINX_PATH_MAX];
	if (!nginx_has_site(ng, host) || ng->dir[0] == '\0')
		return SA_ERROR_NOTFOUND;
	if (!nginx_path(ng->dir, path, host, ".mta-sts.txt") ||
	    !nginx_path(ng->dir, tmp, host, ".mta-sts.txt.new"))
		return SA_ERROR_TOOBIG;
	if (body == NULL)
		return unlink(path) == 0 || errno == ENOENT ? 0 : SA_ERROR_IO;
	/* Written aside and renamed: a request never sees half a policy. */
	FILE *f = fopen(tmp, "w");
	if (f == NULL)
		return SA_ERROR_IO;
	size_t len = strlen(body);
	bool ok = fwrite(body, 1, len, f) == len;
	ok = fclose(f) == 0 && ok;
	if (ok && rename(tmp, path) == 0)
		return 0;
	unlink(tmp);
	return SA_ERROR_IO;
}

const char *nginx_policy_url(const struct nginx *ng, const char *host, char *buf, size_t buflen)
{
	int n = snprintf(buf, buflen, "https://%s:%u" NGINX_POLICY_PATH, host, (unsigned)ng->port);
	return n > 0 && (size_t)n < buflen ? buf : NULL;
}
