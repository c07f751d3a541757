/*
 * NAME
 *	dns_server - a real authoritative DNS server (NSD) on loopback serving test zones
 *
 * DESCRIPTION
 *	See dns_server.h. Starting, stopping and the atexit clean-up of
 *	whatever a test forgot are run_spawn() and run_stop() (run.h); the
 *	readiness check and dns_server_query() run drill with run_command().
 */
#include "dns_server.h"

#include <arpa/inet.h>
#include <assert.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "run.h"
#include "sa_error.h"

#define DNS_SERVER_POLL_MS        20
#define DNS_SERVER_LAUNCHES       3
#define DNS_SERVER_PORT_TRIES     32
#define DNS_SERVER_READY_QUERY_S  2.0
#define DNS_SERVER_SIGN_TIMEOUT_S 30.0
#define DNS_SERVER_PATH_MAX       600
#define DNS_SERVER_LOG_MAX        (1024 * 1024)
/* Signatures are valid from a day ago (clock skew) for 30 days. */
#define DNS_SERVER_SIG_BEFORE_S (24 * 3600)
#define DNS_SERVER_SIG_AFTER_S  (30 * 24 * 3600)

/* What NSD logs once every zone is loaded and its servers run, and when a port is taken. */
#define DNS_SERVER_LOG_STARTED "nsd started"
#define DNS_SERVER_LOG_INUSE   "Address already in use"
#define DNS_SERVER_LOG_ERROR   ": error: "
/* What unbound logs once it serves. */
#define DNS_SERVER_UNBOUND_STARTED "start of service"

bool dns_server_available(void)
{
	return access(DNS_SERVER_BIN, X_OK) == 0 && access(DNS_SERVER_DRILL_BIN, X_OK) == 0;
}

bool dns_server_can_sign(void)
{
	return access(DNS_SERVER_KEYGEN_BIN, X_OK) == 0 &&
	       access(DNS_SERVER_SIGNZONE_BIN, X_OK) == 0;
}

/* Host-name characters only: the name becomes a file name and a quoted config value. */
static bool dns_server_name_ok(const char *name)
{
	size_t len = name != NULL ? strlen(name) : 0;
	if (len == 0 || len >= DNS_SERVER_NAME_MAX || name[0] == '.' || name[len - 1] == '.')
		return false;
	return strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._") ==
	       len;
}

static bool dns_server_path(const struct dns_server *ds, char *buf, const char *name,
                            const char *suffix)
{
	int n = snprintf(buf, DNS_SERVER_PATH_MAX, "%s/%s%s", ds->dir, name, suffix);
	return n > 0 && n < DNS_SERVER_PATH_MAX;
}

/* drill's fields are tab-separated; the answer is easier to match with single spaces. */
static void dns_server_untab(char *s)
{
	for (; *s != '\0'; s++)
		if (*s == '\t')
			*s = ' ';
}

/* The whole file (at most DNS_SERVER_LOG_MAX bytes), malloc'ed; NULL when unreadable. */
static char *dns_server_read_file(const char *path)
{
	FILE *f = fopen(path, "r");
	if (f == NULL)
		return NULL;
	char *text = malloc(DNS_SERVER_LOG_MAX + 1);
	size_t n = text != NULL ? fread(text, 1, DNS_SERVER_LOG_MAX, f) : 0;
	fclose(f);
	if (text != NULL)
		text[n] = '\0';
	return text;
}

/* Whether the log of the server spawned into dir (dir/stderr) holds needle. */
static bool dns_server_log_has(const char *dir, const char *needle)
{
	char path[DNS_SERVER_PATH_MAX];
	int n = snprintf(path, sizeof(path), "%s/stderr", dir);
	if (n < 0 || n >= (int)sizeof(path))
		return false;
	char *log = dns_server_read_file(path);
	bool found = log != NULL && strstr(log, needle) != NULL;
	free(log);
	return found;
}

/* ---- zone files ---- */

static int dns_server_write_zone(const struct dns_server *ds, const struct dns_server_zone *z)
{
	char path[DNS_SERVER_PATH_MAX];
	if (!dns_server_path(ds, path, z->name, ".zone"))
		return SA_ERROR_TOOBIG;
	FILE *f = fopen(path, "w");
	if (f == NULL)
		return SA_ERROR_IO;
	fprintf(f,
	        "$ORIGIN %s.\n"
	        "$TTL %d\n"
	        "@ SOA ns.%s. hostmaster.%s. 1 3600 600 86400 %d\n"
	        "@ NS localhost.\n"
	        "%s\n",
	        z->name, DNS_SERVER_TTL, z->name, z->name, DNS_SERVER_TTL,
	        z->records != NULL ? z->records : "");
	return fclose(f) == 0 ? 0 : SA_ERROR_IO;
}

/* A signature time: seconds from now as YYYYMMDDhhmmss in UTC. */
static void dns_server_stamp(char buf[16], long offset_s)
{
	time_t t = time(NULL) + offset_s;
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(buf, 16, "%Y%m%d%H%M%S", &tm);
}

/* Runs argv; 0 when it exited 0, otherwise its stderr goes to ours. */
static int dns_server_run(const char *const argv[], double timeout_s, struct run_result *r)
{
	int rc = run_command(argv, timeout_s, NULL, r);
	if (rc != 0)
		return rc;
	if (r->exit_code == 0 && !r->timed_out)
		return 0;
	fprintf(stderr, "dns_server: %s failed (exit %d%s): %s\n", argv[0], r->exit_code,
	        r->timed_out ? ", timed out" : "", r->err);
	run_result_free(r);
	return SA_ERROR_IO;
}

/* ldns-keygen writes its files into the working directory and prints their base name. */
static int dns_server_make_key(const struct dns_server *ds, const char *zone, char *base,
                               size_t baselen)
{
	const char *const argv[] = {
	    "/bin/sh",
	    "-c",
	    "cd \"$1\" && exec " DNS_SERVER_KEYGEN_BIN " -a ECDSAP256SHA256 -k \"$2\"",
	    "sa-keygen",
	    ds->dir,
	    zone,
	    NULL};
	struct run_result r;
	int rc = dns_server_run(argv, DNS_SERVER_SIGN_TIMEOUT_S, &r);
	if (rc != 0)
		return rc;
	r.out[strcspn(r.out, "\r\n")] = '\0';
	if (r.out[0] != 'K' || strchr(r.out, '/') != NULL || strlen(r.out) >= baselen)
		rc = SA_ERROR_PARSE;
	else
		strcpy(base, r.out);
	run_result_free(&r);
	return rc;
}

static int dns_server_read_ds(struct dns_server *ds, size_t i, const char *key)
{
	char path[DNS_SERVER_PATH_MAX];
	if (!dns_server_path(ds, path, key, ".ds"))
		return SA_ERROR_TOOBIG;
	char *text = dns_server_read_file(path);
	if (text == NULL)
		return SA_ERROR_IO;
	text[strcspn(text, "\r\n")] = '\0';
	dns_server_untab(text);
	int rc =
	    strlen(text) < sizeof(ds->ds[i]) && strstr(text, " DS ") != NULL ? 0 : SA_ERROR_PARSE;
	if (rc == 0)
		strcpy(ds->ds[i], text);
	free(text);
	return rc;
}

/* Signs DIR/NAME.zone into DIR/NAME.zone.signed and keeps the key's DS record. */
static int dns_server_sign(struct dns_server *ds, size_t i)
{
	const char *zone = ds->zones[i];
	char base[128], key[DNS_SERVER_PATH_MAX], in[DNS_SERVER_PATH_MAX], out[DNS_SERVER_PATH_MAX];
	int rc = dns_server_make_key(ds, zone, base, sizeof(base));
	if (rc != 0)
		return rc;
	if (!dns_server_path(ds, key, base, "") || !dns_server_path(ds, in, zone, ".zone") ||
	    !dns_server_path(ds, out, zone, ".zone.signed"))
		return SA_ERROR_TOOBIG;
	char inception[16], expiration[16];
	dns_server_stamp(inception, -DNS_SERVER_SIG_BEFORE_S);
	dns_server_stamp(expiration, DNS_SERVER_SIG_AFTER_S);
	const char *const argv[] = {DNS_SERVER_SIGNZONE_BIN,
	                            "-i",
	                            inception,
	                            "-e",
	                            expiration,
	                            "-f",
	                            out,
	                            "-o",
	                            zone,
	                            in,
	                            key,
	                            NULL};
	struct run_result r;
	rc = dns_server_run(argv, DNS_SERVER_SIGN_TIMEOUT_S, &r);
	if (rc != 0)
		return rc;
	run_result_free(&r);
	return dns_server_read_ds(ds, i, base);
}

static int dns_server_write_zones(struct dns_server *ds, const struct dns_server_zone zones[],
                                  size_t count)
{
	for (size_t i = 0; i < count; i++) {
		strcpy(ds->zones[i], zones[i].name);
		ds->zone_count = i + 1;
		int rc = dns_server_write_zone(ds, &zones[i]);
		if (rc == 0 && zones[i].sign)
			rc = dns_server_sign(ds, i);
		if (rc != 0)
			return rc;
	}
	return 0;
}

/* ---- configuration and port ---- */

static int dns_server_bind(int family, int type, uint16_t *port)
{
	int fd = socket(family, type | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	struct sockaddr_storage ss = {0};
	socklen_t len;
	if (family == AF_INET) {
		struct sockaddr_in *a = (struct sockaddr_in *)&ss;
		*a = (struct sockaddr_in){.sin_family = AF_INET,
		                          .sin_port = htons(*port),
		                          .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
		len = sizeof(*a);
	} else {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
		*a = (struct sockaddr_in6){.sin6_family = AF_INET6,
		                           .sin6_port = htons(*port),
		                           .sin6_addr = in6addr_loopback};
		len = sizeof(*a);
	}
	if (bind(fd, (struct sockaddr *)&ss, len) != 0 ||
	    getsockname(fd, (struct sockaddr *)&ss, &len) != 0) {
		close(fd);
		return -1;
	}
	*port = ntohs(family == AF_INET ? ((struct sockaddr_in *)&ss)->sin_port
	                                : ((struct sockaddr_in6 *)&ss)->sin6_port);
	return fd;
}

/* A port free a moment ago for UDP and TCP on 127.0.0.1 and, with ipv6, ::1. */
static int dns_server_pick_port(bool ipv6, uint16_t *picked)
{
	for (int attempt = 0; attempt < DNS_SERVER_PORT_TRIES; attempt++) {
		uint16_t port = 0;
		int fds[4] = {dns_server_bind(AF_INET, SOCK_DGRAM, &port), -1, -1, -1};
		bool ok =
		    fds[0] >= 0 && (fds[1] = dns_server_bind(AF_INET, SOCK_STREAM, &port)) >= 0;
		if (ok && ipv6)
			ok = (fds[2] = dns_server_bind(AF_INET6, SOCK_DGRAM, &port)) >= 0 &&
			     (fds[3] = dns_server_bind(AF_INET6, SOCK_STREAM, &port)) >= 0;
		for (size_t i = 0; i < 4; i++)
			if (fds[i] >= 0)
				close(fds[i]);
		if (ok) {
			*picked = port;
			return 0;
		}
	}
	return SA_ERROR_IO;
}

static bool dns_server_has_ipv6(void)
{
	uint16_t port = 0;
	int fd = dns_server_bind(AF_INET6, SOCK_DGRAM, &port);
	if (fd >= 0)
		close(fd);
	return fd >= 0;
}

static int dns_server_write_config(const struct dns_server *ds)
{
	char path[DNS_SERVER_PATH_MAX];
	if (!dns_server_path(ds, path, "nsd.conf", ""))
		return SA_ERROR_TOOBIG;
	FILE *f = fopen(path, "w");
	if (f == NULL)
		return SA_ERROR_IO;
	fprintf(f, "server:\n\tip-address: 127.0.0.1@%u\n", (unsigned)ds->port);
	if (ds->ipv6)
		fprintf(f, "\tip-address: ::1@%u\n", (unsigned)ds->port);
	/* No logfile: in the foreground NSD logs to stderr, which is DIR/stderr. */
	fprintf(f,
	        "\tserver-count: 1\n"
	        "\tusername: \"\"\n"
	        "\tchroot: \"\"\n"
	        "\tzonesdir: \"%s\"\n"
	        "\tdatabase: \"\"\n"
	        "\tzonelistfile: \"%s/zone.list\"\n"
	        "\txfrdfile: \"\"\n"
	        "\txfrdir: \"%s\"\n"
	        "\tpidfile: \"%s/nsd.pid\"\n"
	        "\tverbosity: 1\n"
	        "\thide-version: yes\n"
	        "remote-control:\n"
	        "\tcontrol-enable: no\n",
	        ds->dir, ds->dir, ds->dir, ds->dir);
	for (size_t i = 0; i < ds->zone_count; i++)
		fprintf(f, "zone:\n\tname: \"%s\"\n\tzonefile: \"%s.zone%s\"\n", ds->zones[i],
		        ds->zones[i], ds->ds[i][0] != '\0' ? ".signed" : "");
	return fclose(f) == 0 ? 0 : SA_ERROR_IO;
}

/* ---- queries ---- */

/* The token after "rcode: " up to the comma. */
static void dns_server_parse_rcode(const char *out, struct dns_server_answer *a)
{
	const char *p = strstr(out, "rcode: ");
	if (p == NULL)
		return;
	p += strlen("rcode: ");
	size_t len = strcspn(p, ", \n");
	if (len < sizeof(a->rcode))
		memcpy(a->rcode, p, len);
}

/* ";; flags: qr aa rd ; QUERY: ..." */
static void dns_server_parse_flags(const char *out, struct dns_server_answer *a)
{
	const char *p = strstr(out, ";; flags:");
	if (p == NULL)
		return;
	p += strlen(";; flags:");
	char flags[64];
	snprintf(flags, sizeof(flags), " %.*s ", (int)strcspn(p, ";\n"), p);
	a->aa = strstr(flags, " aa ") != NULL;
	a->ad = strstr(flags, " ad ") != NULL;
}

/* The lines after ";; ANSWER SECTION:" up to the first empty one. */
static int dns_server_parse_records(const char *out, struct dns_server_answer *a)
{
	size_t len = 0;
	FILE *mem = open_memstream(&a->records, &len);
	if (mem == NULL)
		return SA_ERROR_NOMEM;
	const char *p = strstr(out, ";; ANSWER SECTION:\n");
	if (p != NULL)
		p += strlen(";; ANSWER SECTION:\n");
	while (p != NULL && *p != '\0' && *p != '\n') {
		size_t n = strcspn(p, "\n");
		fprintf(mem, "%.*s\n", (int)n, p);
		p += n + (p[n] == '\n');
	}
	if (fclose(mem) != 0) {
		free(a->records);
		a->records = NULL;
		return SA_ERROR_NOMEM;
	}
	dns_server_untab(a->records);
	return 0;
}

static int dns_server_drill(const char *address, uint16_t port, const char *name, const char *type,
                            unsigned flags, double timeout_s, struct dns_server_answer *answer)
{
	*answer = (struct dns_server_answer){0};
	char port_arg[8], at[80];
	snprintf(port_arg, sizeof(port_arg), "%u", (unsigned)port);
	snprintf(at, sizeof(at), "@%s", address);
	const char *argv[10];
	size_t n = 0;
	argv[n++] = DNS_SERVER_DRILL_BIN;
	if (flags & DNS_SERVER_QUERY_TCP)
		argv[n++] = "-t";
	if (flags & DNS_SERVER_QUERY_DNSSEC)
		argv[n++] = "-D";
	argv[n++] = "-p";
	argv[n++] = port_arg;
	argv[n++] = at;
	argv[n++] = name;
	argv[n++] = type;
	argv[n] = NULL;
	_Static_assert(sizeof(argv) / sizeof(argv[0]) >= 9, "argv holds every option");
	struct run_result r;
	int rc = run_command(argv, timeout_s, NULL, &r);
	if (rc != 0)
		return rc;
	if (r.exit_code != 0 || r.timed_out)
		rc = SA_ERROR_IO;
	else if (strstr(r.out, ";; ->>HEADER<<-") == NULL)
		rc = SA_ERROR_PARSE;
	if (rc == 0) {
		dns_server_parse_rcode(r.out, answer);
		dns_server_parse_flags(r.out, answer);
		rc = dns_server_parse_records(r.out, answer);
	}
	run_result_free(&r);
	return rc;
}

int dns_server_query(const char *address, uint16_t port, const char *name, const char *type,
                     unsigned flags, struct dns_server_answer *answer)
{
	int rc =
	    dns_server_drill(address, port, name, type, flags, DNS_SERVER_QUERY_TIMEOUT_S, answer);
	if (rc != 0)
		fprintf(stderr, "dns_server: drill %s %s @%s port %u: %s\n", name, type, address,
		        (unsigned)port, sa_error_str(rc));
	return rc;
}

void dns_server_answer_free(struct dns_server_answer *answer)
{
	free(answer->records);
	*answer = (struct dns_server_answer){0};
}

/* ---- start and stop ---- */

/* The zone's SOA from 127.0.0.1:port over UDP or TCP; authoritatively when aa. */
static bool dns_server_serves(uint16_t port, const char *zone, bool tcp, bool aa)
{
	struct dns_server_answer a;
	if (dns_server_drill("127.0.0.1", port, zone, "SOA", tcp ? DNS_SERVER_QUERY_TCP : 0,
	                     DNS_SERVER_READY_QUERY_S, &a) != 0)
		return false;
	bool ok = strcmp(a.rcode, "NOERROR") == 0 && (a.aa || !aa) &&
	          strstr(a.records, " IN SOA ") != NULL;
	dns_server_answer_free(&a);
	return ok;
}

/*
 * Ready: NSD logged that it started and every zone answers over both transports.
 * SA_ERROR_AGAIN when the port was taken meanwhile (NSD exits; another port may do).
 */
static int dns_server_wait_ready(struct dns_server *ds)
{
	double deadline = run_now() + DNS_SERVER_START_TIMEOUT_S;
	size_t checked = 0; /* zone i over UDP is check 2i, over TCP 2i+1 */
	while (run_now() < deadline) {
		if (dns_server_log_has(ds->dir, DNS_SERVER_LOG_INUSE))
			return SA_ERROR_AGAIN;
		if (dns_server_log_has(ds->dir, DNS_SERVER_LOG_ERROR))
			return SA_ERROR_INVAL;
		if (run_reaped(&ds->pid, NULL))
			return SA_ERROR_IO;
		if (dns_server_log_has(ds->dir, DNS_SERVER_LOG_STARTED))
			while (checked < 2 * ds->zone_count &&
			       dns_server_serves(ds->port, ds->zones[checked / 2], checked % 2 == 1,
			                         true))
				checked++;
		if (checked == 2 * ds->zone_count)
			return 0;
		run_pause_ms(DNS_SERVER_POLL_MS);
	}
	return SA_ERROR_TIMEOUT;
}

/* NSD's transfer directory DIR/nsd-xfr-PID outlives an NSD that was killed. */
static void dns_server_remove_xfrdir(const struct dns_server *ds, pid_t pid)
{
	char name[32], path[DNS_SERVER_PATH_MAX];
	snprintf(name, sizeof(name), "nsd-xfr-%ld", (long)pid);
	if (dns_server_path(ds, path, name, ""))
		run_remove_dir(path);
}

/*
 * The spawned NSD is its transfer daemon; the main and server processes it forked
 * exit a moment later. The instance is stopped when no process of its group is
 * alive (zombies wait for init to reap them), and killed if one stays.
 */
static void dns_server_wait_group(pid_t pgid)
{
	double deadline = run_now() + DNS_SERVER_STOP_TIMEOUT_S;
	while (run_group_processes(pgid) > 0 && run_now() < deadline)
		run_pause_ms(DNS_SERVER_POLL_MS);
	kill(-pgid, SIGKILL);
}

static void dns_server_terminate(struct dns_server *ds)
{
	pid_t pid = ds->pid;
	run_stop(&ds->pid, DNS_SERVER_STOP_TIMEOUT_S);
	if (pid <= 0)
		return;
	dns_server_wait_group(pid);
	dns_server_remove_xfrdir(ds, pid);
}

static int dns_server_launch(struct dns_server *ds)
{
	int rc = dns_server_pick_port(ds->ipv6, &ds->port);
	if (rc == 0)
		rc = dns_server_write_config(ds);
	char conf[DNS_SERVER_PATH_MAX];
	if (rc == 0 && !dns_server_path(ds, conf, "nsd.conf", ""))
		rc = SA_ERROR_TOOBIG;
	if (rc != 0)
		return rc;
	char *const argv[] = {DNS_SERVER_BIN, "-d", "-c", conf, NULL};
	rc = run_spawn(argv, ds->dir, &ds->pid);
	if (rc == 0)
		rc = dns_server_wait_ready(ds);
	if (rc != 0) {
		fprintf(stderr, "dns_server: NSD did not start: %s\n", sa_error_str(rc));
		run_show_stderr(ds->dir, "nsd");
		dns_server_terminate(ds);
	}
	return rc;
}

/* Runs launch until it does not fail with SA_ERROR_AGAIN (a port taken meanwhile). */
static int dns_server_launch_retrying(struct dns_server *ds, int (*launch)(struct dns_server *),
                                      const char *who)
{
	int rc = SA_ERROR_AGAIN;
	for (int attempt = 0; rc == SA_ERROR_AGAIN && attempt < DNS_SERVER_LAUNCHES; attempt++) {
		if (attempt > 0)
			fprintf(stderr, "dns_server: %s found its port taken, trying another\n",
			        who);
		rc = launch(ds);
	}
	if (rc == SA_ERROR_AGAIN)
		rc = SA_ERROR_IO;
	return rc;
}

static int dns_server_check_zones(const struct dns_server_zone zones[], size_t count)
{
	if (count == 0 || count > DNS_SERVER_ZONES_MAX)
		return SA_ERROR_INVAL;
	for (size_t i = 0; i < count; i++)
		if (!dns_server_name_ok(zones[i].name) || (zones[i].sign && !dns_server_can_sign()))
			return SA_ERROR_INVAL;
	return 0;
}

int dns_server_start(struct dns_server *ds, const struct dns_server_zone zones[], size_t count)
{
	*ds = (struct dns_server){.ipv6 = dns_server_has_ipv6()};
	int rc = dns_server_check_zones(zones, count);
	if (rc != 0) {
		fprintf(stderr, "dns_server: 1 to %d zones with host names, signing installed\n",
		        DNS_SERVER_ZONES_MAX);
		return rc;
	}
	rc = run_make_dir(ds->dir, sizeof(ds->dir), "sa-nsd");
	if (rc == 0)
		rc = dns_server_write_zones(ds, zones, count);
	if (rc == 0)
		rc = dns_server_launch_retrying(ds, dns_server_launch, "nsd");
	else
		fprintf(stderr, "dns_server: writing the zones: %s\n", sa_error_str(rc));
	if (rc != 0)
		dns_server_stop(ds);
	return rc;
}

void dns_server_stop(struct dns_server *ds)
{
	run_stop(&ds->resolver_pid, DNS_SERVER_STOP_TIMEOUT_S);
	if (ds->resolver_dir[0] != '\0') {
		run_remove_dir(ds->resolver_dir);
		ds->resolver_dir[0] = '\0';
	}
	ds->resolver_port = 0;
	dns_server_terminate(ds);
	if (ds->dir[0] != '\0') {
		run_remove_dir(ds->dir);
		ds->dir[0] = '\0';
	}
	ds->port = 0;
}

/* ---- the validating resolver ---- */

bool dns_server_can_validate(void)
{
	return access(DNS_SERVER_UNBOUND_BIN, X_OK) == 0;
}

/*
 * Everything but the test zones is refused locally, and queries leave from 127.0.0.1
 * only: the resolver never reaches past the host, not even for the root.
 */
static void dns_server_write_resolver_zones(const struct dns_server *ds, FILE *f)
{
	fprintf(f, "\tlocal-zone: \".\" refuse\n");
	for (size_t i = 0; i < ds->zone_count; i++) {
		fprintf(f, "\tlocal-zone: \"%s.\" transparent\n", ds->zones[i]);
		if (ds->ds[i][0] != '\0')
			fprintf(f, "\ttrust-anchor: \"%s\"\n", ds->ds[i]);
	}
	fprintf(f, "remote-control:\n\tcontrol-enable: no\n");
	for (size_t i = 0; i < ds->zone_count; i++)
		fprintf(f, "stub-zone:\n\tname: \"%s.\"\n\tstub-addr: 127.0.0.1@%u\n", ds->zones[i],
		        (unsigned)ds->port);
}

static int dns_server_write_resolver_config(const struct dns_server *ds, const char *path)
{
	FILE *f = fopen(path, "w");
	if (f == NULL)
		return SA_ERROR_IO;
	/* logfile "" without syslog: in the foreground unbound logs to stderr. */
	fprintf(f,
	        "server:\n"
	        "\tinterface: 127.0.0.1\n"
	        "\tport: %u\n"
	        "\tdo-daemonize: no\n"
	        "\tusername: \"\"\n"
	        "\tchroot: \"\"\n"
	        "\tdirectory: \"%s\"\n"
	        "\tpidfile: \"%s/unbound.pid\"\n"
	        "\tuse-syslog: no\n"
	        "\tlogfile: \"\"\n"
	        "\tverbosity: 1\n"
	        "\tnum-threads: 1\n"
	        "\tso-reuseport: no\n"
	        "\tdo-ip6: no\n"
	        "\toutgoing-interface: 127.0.0.1\n"
	        "\tdo-not-query-localhost: no\n"
	        "\taccess-control: 127.0.0.0/8 allow\n"
	        "\tmodule-config: \"validator iterator\"\n"
	        "\ttrust-anchor-signaling: no\n",
	        (unsigned)ds->resolver_port, ds->resolver_dir, ds->resolver_dir);
	dns_server_write_resolver_zones(ds, f);
	return fclose(f) == 0 ? 0 : SA_ERROR_IO;
}

/* Ready: unbound logged its start and answers every zone's SOA. */
static int dns_server_wait_resolver(struct dns_server *ds)
{
	double deadline = run_now() + DNS_SERVER_START_TIMEOUT_S;
	size_t checked = 0;
	while (run_now() < deadline) {
		if (dns_server_log_has(ds->resolver_dir, DNS_SERVER_LOG_INUSE))
			return SA_ERROR_AGAIN;
		if (run_reaped(&ds->resolver_pid, NULL))
			return SA_ERROR_IO;
		if (dns_server_log_has(ds->resolver_dir, DNS_SERVER_UNBOUND_STARTED))
			while (
			    checked < ds->zone_count &&
			    dns_server_serves(ds->resolver_port, ds->zones[checked], false, false))
				checked++;
		if (checked == ds->zone_count)
			return 0;
		run_pause_ms(DNS_SERVER_POLL_MS);
	}
	return SA_ERROR_TIMEOUT;
}

static int dns_server_launch_resolver(struct dns_server *ds)
{
	char conf[DNS_SERVER_PATH_MAX];
	int n = snprintf(conf, sizeof(conf), "%s/unbound.conf", ds->resolver_dir);
	if (n < 0 || n >= (int)sizeof(conf))
		return SA_ERROR_TOOBIG;
	int rc = dns_server_pick_port(false, &ds->resolver_port);
	if (rc == 0)
		rc = dns_server_write_resolver_config(ds, conf);
	if (rc != 0)
		return rc;
	char *const argv[] = {DNS_SERVER_UNBOUND_BIN, "-d", "-c", conf, NULL};
	rc = run_spawn(argv, ds->resolver_dir, &ds->resolver_pid);
	if (rc == 0)
		rc = dns_server_wait_resolver(ds);
	if (rc != 0) {
		fprintf(stderr, "dns_server: unbound did not start: %s\n", sa_error_str(rc));
		run_show_stderr(ds->resolver_dir, "unbound");
		run_stop(&ds->resolver_pid, DNS_SERVER_STOP_TIMEOUT_S);
	}
	return rc;
}

int dns_server_start_resolver(struct dns_server *ds)
{
	assert(ds->pid > 0 && ds->resolver_pid == 0);
	if (!dns_server_can_validate())
		return SA_ERROR_NOTFOUND;
	int rc = run_make_dir(ds->resolver_dir, sizeof(ds->resolver_dir), "sa-unbound");
	if (rc == 0)
		rc = dns_server_launch_retrying(ds, dns_server_launch_resolver, "unbound");
	if (rc != 0) {
		run_remove_dir(ds->resolver_dir);
		ds->resolver_dir[0] = '\0';
		ds->resolver_port = 0;
	}
	return rc;
}

const char *dns_server_ds(const struct dns_server *ds, const char *zone)
{
	for (size_t i = 0; i < ds->zone_count; i++)
		if (strcmp(ds->zones[i], zone) == 0 && ds->ds[i][0] != '\0')
			return ds->ds[i];
	return NULL;
}

const char *dns_server_target(const char *address, uint16_t port, char *buf, size_t buflen)
{
	bool v6 = strchr(address, ':') != NULL;
	int n = snprintf(buf, buflen, v6 ? "[%s]:%u" : "%s:%u", address, (unsigned)port);
	return n > 0 && (size_t)n < buflen ? buf : NULL;
}
