/*
 * NAME
 *	lab_server - smtp-lab's listeners and event loop
 *
 * DESCRIPTION
 *	See lab_server.h. The server owns the loop, the listeners, the signal
 *	watchers and the environment every connection shares (lab_conn_env).
 *	IPv6 listeners are IPv6-only, so "[::]:0" and "0.0.0.0:0" can both be
 *	asked for and mean what they say.
 */
#include "lab_server.h"

#include <arpa/inet.h>
#include <assert.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <uv.h>

#include "lab_conn.h"
#include "lab_session.h"
#include "sa_error.h"

#define LAB_SERVER_BACKLOG 4096

struct lab_server;

struct lab_listener {
	uv_tcp_t tcp;
	struct lab_server *server;
	struct lab_conn_listener info;
	char ip[64];
	unsigned port;
	bool farm;
};

struct lab_server {
	uv_loop_t loop;
	struct lab_site site;
	struct lab_conn_env env;
	struct lab_listener *listeners; /* one per configured listener */
	size_t nlisteners;              /* initialised handles, whether bound or not */
	uv_signal_t sigterm, sigint;
	bool signals_open;
	bool stopping;
};

static void lab_server_stop(struct lab_server *srv)
{
	if (srv->stopping)
		return;
	srv->stopping = true;
	for (size_t i = 0; i < srv->nlisteners; i++)
		uv_close((uv_handle_t *)&srv->listeners[i].tcp, NULL);
	if (srv->signals_open) {
		uv_close((uv_handle_t *)&srv->sigterm, NULL);
		uv_close((uv_handle_t *)&srv->sigint, NULL);
	}
	lab_conn_close_all(&srv->env);
}

static void lab_server_on_signal(uv_signal_t *handle, int signum)
{
	(void)signum;
	lab_server_stop(handle->data);
}

static void lab_server_on_connection(uv_stream_t *stream, int status)
{
	struct lab_listener *l = stream->data;
	if (status < 0)
		return;
	/* A connection that cannot be served is closed by lab_conn_accept; the others go on. */
	(void)lab_conn_accept(&l->server->env, &l->info, stream);
}

static void lab_server_set_site(struct lab_site *site, const char *hostname)
{
	snprintf(site->hostname, sizeof(site->hostname), "%s", hostname);
	const char *dot = strchr(hostname, '.');
	snprintf(site->domain, sizeof(site->domain), "%s",
	         dot != NULL && dot[1] != '\0' ? dot + 1 : hostname);
}

/* The numeric address into ip, "ADDRESS:PORT" or "[ADDRESS]:PORT" into name; returns the port. */
static unsigned lab_server_addr_text(const struct sockaddr_storage *ss, char *ip, size_t iplen,
                                     char *name, size_t namelen)
{
	unsigned port;
	bool v6 = ss->ss_family == AF_INET6;
	if (v6) {
		const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)ss;
		inet_ntop(AF_INET6, &sin6->sin6_addr, ip, (socklen_t)iplen);
		port = ntohs(sin6->sin6_port);
	} else {
		const struct sockaddr_in *sin = (const struct sockaddr_in *)ss;
		inet_ntop(AF_INET, &sin->sin_addr, ip, (socklen_t)iplen);
		port = ntohs(sin->sin_port);
	}
	snprintf(name, namelen, "%s%s%s:%u", v6 ? "[" : "", ip, v6 ? "]" : "", port);
	return port;
}

static void lab_server_name_listener(struct lab_listener *l)
{
	struct sockaddr_storage ss = {0};
	int len = sizeof(ss);
	uv_tcp_getsockname(&l->tcp, (struct sockaddr *)&ss, &len);
	l->port =
	    lab_server_addr_text(&ss, l->ip, sizeof(l->ip), l->info.name, sizeof(l->info.name));
}

static void lab_server_listen_failed(const struct lab_listen_spec *spec, int rc)
{
	char ip[64], name[80];
	if (spec->text != NULL) {
		fprintf(stderr, "smtp-lab: cannot listen on %s: %s\n", spec->text, uv_strerror(rc));
		return;
	}
	lab_server_addr_text(&spec->addr, ip, sizeof(ip), name, sizeof(name));
	fprintf(stderr, "smtp-lab: cannot listen on farm address %s: %s\n", name, uv_strerror(rc));
}

static int lab_server_listen(struct lab_server *srv, const struct lab_listen_spec *spec)
{
	struct lab_listener *l = &srv->listeners[srv->nlisteners];
	uv_tcp_init(&srv->loop, &l->tcp);
	srv->nlisteners++;
	l->tcp.data = l;
	l->server = srv;
	l->farm = spec->farm;
	l->info.persona = spec->persona;
	l->info.tls = spec->tls;
	unsigned flags = spec->addr.ss_family == AF_INET6 ? UV_TCP_IPV6ONLY : 0;
	int rc = uv_tcp_bind(&l->tcp, (const struct sockaddr *)&spec->addr, flags);
	if (rc == 0)
		rc =
		    uv_listen((uv_stream_t *)&l->tcp, LAB_SERVER_BACKLOG, lab_server_on_connection);
	if (rc != 0) {
		lab_server_listen_failed(spec, rc);
		return sa_error_from_errno(rc);
	}
	lab_server_name_listener(l);
	return 0;
}

/* The ready file lists every listener with its mode; the truth file the farm's, without. */
static void lab_server_print_listeners(const struct lab_server *srv, FILE *f, bool truth)
{
	for (size_t i = 0; i < srv->nlisteners; i++) {
		const struct lab_listener *l = &srv->listeners[i];
		if (truth && !l->farm)
			continue;
		fprintf(f, "%s %u %s", l->ip, l->port, l->info.persona->name);
		if (!truth)
			fputs(l->info.tls ? " tls" : " plain", f);
		fputc('\n', f);
	}
}

static int lab_server_write_list(const struct lab_server *srv, const char *path, bool truth)
{
	char tmp[PATH_MAX];
	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp)) {
		fprintf(stderr, "smtp-lab: file name too long: %s\n", path);
		return SA_ERROR_TOOBIG;
	}
	FILE *f = fopen(tmp, "w");
	if (f == NULL) {
		fprintf(stderr, "smtp-lab: %s: %s\n", tmp, strerror(errno));
		return SA_ERROR_IO;
	}
	lab_server_print_listeners(srv, f, truth);
	bool failed = ferror(f) != 0;
	failed |= fclose(f) != 0;
	if (failed || rename(tmp, path) != 0) {
		fprintf(stderr, "smtp-lab: cannot write %s: %s\n", path, strerror(errno));
		unlink(tmp);
		return SA_ERROR_IO;
	}
	return 0;
}

static int lab_server_watch_signals(struct lab_server *srv)
{
	uv_signal_init(&srv->loop, &srv->sigterm);
	uv_signal_init(&srv->loop, &srv->sigint);
	srv->sigterm.data = srv->sigint.data = srv;
	srv->signals_open = true;
	int rc = uv_signal_start(&srv->sigterm, lab_server_on_signal, SIGTERM);
	if (rc == 0)
		rc = uv_signal_start(&srv->sigint, lab_server_on_signal, SIGINT);
	if (rc != 0)
		fprintf(stderr, "smtp-lab: cannot watch signals: %s\n", uv_strerror(rc));
	return rc != 0 ? sa_error_from_errno(rc) : 0;
}

static int lab_server_start(struct lab_server *srv, const struct lab_config *cfg)
{
	int rc = 0;
	for (size_t i = 0; rc == 0 && i < cfg->nlistens; i++)
		rc = lab_server_listen(srv, &cfg->listens[i]);
	if (rc == 0)
		rc = lab_server_watch_signals(srv);
	if (rc == 0 && cfg->truth_file != NULL)
		rc = lab_server_write_list(srv, cfg->truth_file, true);
	if (rc == 0 && cfg->ready_file != NULL)
		rc = lab_server_write_list(srv, cfg->ready_file, false);
	return rc;
}

static void lab_server_free(struct lab_server *srv)
{
	free(srv->listeners);
	free(srv);
}

static struct lab_server *lab_server_new(size_t nlisteners)
{
	struct lab_server *srv = calloc(1, sizeof(*srv));
	if (srv == NULL)
		return NULL;
	srv->listeners = calloc(nlisteners, sizeof(*srv->listeners));
	if (srv->listeners == NULL) {
		free(srv);
		return NULL;
	}
	return srv;
}

int lab_server_run(const struct lab_config *cfg)
{
	assert(cfg->nlistens > 0);
	struct lab_server *srv = lab_server_new(cfg->nlistens);
	if (srv == NULL) {
		fprintf(stderr, "smtp-lab: %s\n", sa_error_str(SA_ERROR_NOMEM));
		return SA_ERROR_NOMEM;
	}
	int rc = uv_loop_init(&srv->loop);
	if (rc != 0) {
		fprintf(stderr, "smtp-lab: event loop: %s\n", uv_strerror(rc));
		lab_server_free(srv);
		return sa_error_from_errno(rc);
	}
	lab_server_set_site(&srv->site, cfg->hostname);
	srv->env.loop = &srv->loop;
	srv->env.tls = cfg->tls;
	srv->env.tls_deep = cfg->tls_deep;
	srv->env.log = cfg->log;
	srv->env.site = &srv->site;
	srv->env.delay_ms = cfg->delay_ms;

	rc = lab_server_start(srv, cfg);
	if (rc != 0)
		lab_server_stop(srv);
	uv_run(&srv->loop, UV_RUN_DEFAULT);
	uv_loop_close(&srv->loop);
	lab_server_free(srv);
	return rc;
}
