/*
 * NAME
 *	smtp-lab - scriptable SMTP test server for smtp-audit
 *
 * SYNOPSIS
 *	smtp-lab [options] --listen ADDRESS:PORT=PERSONA[,tls] ...
 *	smtp-lab [options] --farm COUNT [--farm-base ADDRESS] [--farm-port PORT]
 *		 [--farm-mix PERSONA=WEIGHT,...] [--truth FILE] [--listen ...]
 *
 * DESCRIPTION
 *	Turns the command line into a lab_config (listeners, host name,
 *	delay, TLS context, log) and runs the server. The --listen
 *	listeners come first, then the farm's (lab_farm). Every argument is
 *	checked before anything is bound, and a bad one is named in a single
 *	line on stderr. Before binding, the open-file limit is raised to its
 *	hard limit and checked against the number of listeners.
 *
 * DIAGNOSTICS
 *	Exit 0 after SIGTERM/SIGINT (or --help, --list-personas), 1 when the
 *	server cannot start (a port in use, an address not on this host, too
 *	few file descriptors for the listeners), 2 for a bad argument
 *	(including a farm outside 127.0.0.0/8, unreadable or invalid
 *	--cert/--key, and a --log file that cannot be created).
 */
#include <assert.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <uv.h>

#include "lab_cert.h"
#include "lab_farm.h"
#include "lab_log.h"
#include "lab_persona.h"
#include "lab_server.h"
#include "sa_error.h"
#include "tls_conn.h"

#define LAB_MAIN_EXIT_FAILURE     1
#define LAB_MAIN_EXIT_USAGE       2
#define LAB_MAIN_MAX_DELAY_MS     3600000ul
#define LAB_MAIN_DEFAULT_HOSTNAME "mx.lab.test"
#define LAB_MAIN_ERR_MAX          256
#define LAB_MAIN_STR(x)           LAB_MAIN_STR_(x)
#define LAB_MAIN_STR_(x)          #x
#define LAB_MAIN_FARM_PORT        LAB_MAIN_STR(LAB_FARM_PORT)
/* Descriptors beyond the listeners: stdio, the loop's own, the log, and some clients. */
#define LAB_MAIN_FD_HEADROOM 256

enum lab_main_option {
	LAB_OPT_LISTEN = 256,
	LAB_OPT_HOSTNAME,
	LAB_OPT_DELAY,
	LAB_OPT_CERT,
	LAB_OPT_KEY,
	LAB_OPT_LOG,
	LAB_OPT_READY,
	LAB_OPT_LIST,
	LAB_OPT_FARM,
	LAB_OPT_FARM_BASE,
	LAB_OPT_FARM_PORT,
	LAB_OPT_FARM_MIX,
	LAB_OPT_TRUTH,
};

static const struct option lab_main_options[] = {
    {"listen", required_argument, NULL, LAB_OPT_LISTEN},
    {"hostname", required_argument, NULL, LAB_OPT_HOSTNAME},
    {"delay-ms", required_argument, NULL, LAB_OPT_DELAY},
    {"cert", required_argument, NULL, LAB_OPT_CERT},
    {"key", required_argument, NULL, LAB_OPT_KEY},
    {"log", required_argument, NULL, LAB_OPT_LOG},
    {"ready-file", required_argument, NULL, LAB_OPT_READY},
    {"list-personas", no_argument, NULL, LAB_OPT_LIST},
    {"farm", required_argument, NULL, LAB_OPT_FARM},
    {"farm-base", required_argument, NULL, LAB_OPT_FARM_BASE},
    {"farm-port", required_argument, NULL, LAB_OPT_FARM_PORT},
    {"farm-mix", required_argument, NULL, LAB_OPT_FARM_MIX},
    {"truth", required_argument, NULL, LAB_OPT_TRUTH},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

/* What the command line asked for, before anything is opened. */
struct lab_main_args {
	struct lab_config cfg;
	struct lab_listen_spec *listens; /* cfg.listens, owned */
	size_t cap;                      /* of listens */
	struct lab_farm farm;            /* count 0: no farm */
	const char *farm_base;
	uint16_t farm_port;
	const char *farm_only; /* the first option that needs --farm, for the message */
	const char *cert_file, *key_file, *log_file;
	bool list, help;
};

static const char lab_main_usage[] =
    "usage: smtp-lab [options] --listen ADDRESS:PORT=PERSONA[,tls] ...\n"
    "       smtp-lab [options] --farm COUNT [--farm-base ADDRESS] [--farm-port PORT]\n"
    "                [--farm-mix PERSONA=WEIGHT,...] [--truth FILE] [--listen ...]\n"
    "\n"
    "Scriptable SMTP test server for smtp-audit's demo, tests and benchmarks.\n"
    "\n"
    "  --listen ADDRESS:PORT=PERSONA[,tls]\n"
    "                     serve PERSONA on ADDRESS:PORT (repeatable; PORT 0 picks a free\n"
    "                     port; IPv6 in brackets: [::1]:0=hardened; ,tls = implicit TLS)\n"
    "  --hostname NAME    the server's name (default " LAB_MAIN_DEFAULT_HOSTNAME "); NAME and\n"
    "                     its parent domain are the local domains\n"
    "  --delay-ms N       wait N ms before every reply\n"
    "  --cert FILE --key FILE\n"
    "                     PEM certificate chain and key (default: a self-signed EC P-256\n"
    "                     certificate for NAME and localhost, made at start)\n"
    "  --log FILE         command log, one line per event:\n"
    "                     <unix_ms> <listen>:<port> <persona> s<n> <peer>:<port> <EVENT> <text>\n"
    "                     EVENT: CONNECT, C: (a command line), LONG, TLS, TLSFAIL, CLOSE\n"
    "  --ready-file FILE  once listening, write \"ADDRESS PORT PERSONA tls|plain\" lines\n"
    "  --farm COUNT       also serve a farm: COUNT consecutive loopback addresses, each one\n"
    "                     mail server with a persona dealt by --farm-mix (same COUNT and mix,\n"
    "                     same personas)\n"
    "  --farm-base ADDRESS  the farm's first address, in 127.0.0.0/8 (default " LAB_FARM_BASE ")\n"
    "  --farm-port PORT   the port of every farm address, 0 picks a free one for each\n"
    "                     (default " LAB_MAIN_FARM_PORT ")\n"
    "  --farm-mix PERSONA=WEIGHT,...\n"
    "                     personas by weight, dealt in turn (default\n"
    "                     " LAB_FARM_MIX ")\n"
    "  --truth FILE       once listening, write \"ADDRESS PORT PERSONA\" for each farm address\n"
    "  --list-personas    list the personas and exit\n"
    "  -h, --help         this text\n"
    "\n"
    "Exit status: 0 after SIGTERM or SIGINT, 1 when the server cannot start (including\n"
    "too few file descriptors for the listeners), 2 for a bad argument.\n";

static int lab_main_bad(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int lab_main_bad(const char *fmt, ...)
{
	va_list ap;
	fputs("smtp-lab: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return LAB_MAIN_EXIT_USAGE;
}

static bool lab_main_number(const char *text, unsigned long max, unsigned long *out)
{
	if (text[0] == '\0' || strspn(text, "0123456789") != strlen(text) || strlen(text) > 10)
		return false;
	*out = strtoul(text, NULL, 10);
	return *out <= max;
}

/* "ADDRESS:PORT" into addr; why says what is wrong. */
static bool lab_main_address(const char *text, size_t len, struct sockaddr_storage *addr,
                             const char **why)
{
	char host[64], port_text[16];
	const char *colon;
	unsigned long port;
	bool v6 = len > 0 && text[0] == '[';
	if (v6) {
		const char *close = memchr(text, ']', len);
		if (close == NULL || close + 1 >= text + len || close[1] != ':') {
			*why = "expected [IPv6]:PORT";
			return false;
		}
		colon = close + 1;
		text++;
		len = (size_t)(close - text);
	} else {
		colon = memrchr(text, ':', len);
		if (colon == NULL) {
			*why = "expected ADDRESS:PORT";
			return false;
		}
		len = (size_t)(colon - text);
		if (memchr(text, ':', len) != NULL) {
			*why = "an IPv6 address needs brackets: [::1]:PORT";
			return false;
		}
	}
	size_t port_len = strcspn(colon + 1, "=");
	if (len >= sizeof(host) || port_len >= sizeof(port_text)) {
		*why = "address too long";
		return false;
	}
	memcpy(host, text, len);
	host[len] = '\0';
	memcpy(port_text, colon + 1, port_len);
	port_text[port_len] = '\0';
	if (!lab_main_number(port_text, 65535, &port)) {
		*why = "the port must be a number from 0 to 65535";
		return false;
	}
	int rc = v6 ? uv_ip6_addr(host, (int)port, (struct sockaddr_in6 *)addr)
	            : uv_ip4_addr(host, (int)port, (struct sockaddr_in *)addr);
	if (rc != 0) {
		*why = v6 ? "not a numeric IPv6 address" : "not a numeric IPv4 address";
		return false;
	}
	return true;
}

/* "PERSONA[,tls]". */
static bool lab_main_persona(const char *text, struct lab_listen_spec *spec, const char **why)
{
	char name[64];
	size_t len = strcspn(text, ",");
	if (len == 0 || len >= sizeof(name)) {
		*why = "expected =PERSONA after the port";
		return false;
	}
	memcpy(name, text, len);
	name[len] = '\0';
	spec->persona = lab_persona_find(name);
	if (spec->persona == NULL) {
		*why = "unknown persona (see --list-personas)";
		return false;
	}
	const char *options = text + len;
	if (options[0] == '\0')
		return true;
	if (strcmp(options, ",tls") == 0) {
		spec->tls = true;
		return true;
	}
	*why = "the only option after the persona is \",tls\"";
	return false;
}

static int lab_main_out_of_memory(void)
{
	fprintf(stderr, "smtp-lab: %s\n", sa_error_str(SA_ERROR_NOMEM));
	return LAB_MAIN_EXIT_FAILURE;
}

/* Room for n more listen specs. */
static bool lab_main_reserve(struct lab_main_args *a, size_t n)
{
	if (a->cfg.nlistens + n <= a->cap)
		return true;
	size_t cap = a->cap > 0 ? a->cap * 2 : 8;
	if (cap < a->cfg.nlistens + n)
		cap = a->cfg.nlistens + n;
	struct lab_listen_spec *listens = reallocarray(a->listens, cap, sizeof(*listens));
	if (listens == NULL)
		return false;
	a->listens = listens;
	a->cap = cap;
	a->cfg.listens = listens;
	return true;
}

static int lab_main_listen(struct lab_main_args *a, const char *text)
{
	const char *why = NULL;
	if (!lab_main_reserve(a, 1))
		return lab_main_out_of_memory();
	struct lab_listen_spec *spec = &a->listens[a->cfg.nlistens];
	*spec = (struct lab_listen_spec){.text = text};
	const char *eq = strchr(text, '=');
	if (eq == NULL)
		why = "expected ADDRESS:PORT=PERSONA";
	else if (lab_main_address(text, (size_t)(eq - text), &spec->addr, &why))
		(void)lab_main_persona(eq + 1, spec, &why);
	if (why != NULL)
		return lab_main_bad("bad --listen '%s': %s", text, why);
	a->cfg.nlistens++;
	return 0;
}

static bool lab_main_valid_hostname(const char *name)
{
	size_t len = strlen(name);
	return len > 0 && len < 254 &&
	       strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-") ==
	           len &&
	       name[0] != '.' && name[0] != '-' && strstr(name, "..") == NULL;
}

static const char *lab_main_option_name(int opt)
{
	for (const struct option *o = lab_main_options; o->name != NULL; o++)
		if (o->val == opt)
			return o->name;
	assert(!"an option without a name");
	return "";
}

static int lab_main_farm_option(struct lab_main_args *a, int opt, const char *arg)
{
	const char *why = NULL;
	unsigned long n;
	switch (opt) {
	case LAB_OPT_FARM:
		if (!lab_main_number(arg, LAB_FARM_MAX_COUNT, &n) || n == 0)
			return lab_main_bad("bad --farm '%s': expected 1 to %u addresses", arg,
			                    LAB_FARM_MAX_COUNT);
		a->farm.count = n;
		return 0;
	case LAB_OPT_FARM_BASE:
		if (lab_farm_set_base(&a->farm, arg, &why) != 0)
			return lab_main_bad("bad --farm-base '%s': %s", arg, why);
		a->farm_base = arg;
		return 0;
	case LAB_OPT_FARM_PORT:
		if (!lab_main_number(arg, 65535, &n))
			return lab_main_bad("bad --farm-port '%s': expected 0 to 65535", arg);
		a->farm_port = (uint16_t)n;
		return 0;
	case LAB_OPT_FARM_MIX:
		if (lab_farm_set_mix(&a->farm, arg, &why) != 0)
			return lab_main_bad("bad --farm-mix '%s': %s", arg, why);
		return 0;
	case LAB_OPT_TRUTH:
		a->cfg.truth_file = arg;
		return 0;
	}
	assert(!"not a farm option");
	return LAB_MAIN_EXIT_USAGE;
}

static int lab_main_option(struct lab_main_args *a, int opt, const char *arg)
{
	unsigned long n;
	switch (opt) {
	case LAB_OPT_FARM:
	case LAB_OPT_FARM_BASE:
	case LAB_OPT_FARM_PORT:
	case LAB_OPT_FARM_MIX:
	case LAB_OPT_TRUTH:
		if (opt != LAB_OPT_FARM && a->farm_only == NULL)
			a->farm_only = lab_main_option_name(opt);
		return lab_main_farm_option(a, opt, arg);
	case LAB_OPT_LISTEN:
		return lab_main_listen(a, arg);
	case LAB_OPT_HOSTNAME:
		if (!lab_main_valid_hostname(arg))
			return lab_main_bad("bad --hostname '%s': expected a DNS name", arg);
		a->cfg.hostname = arg;
		return 0;
	case LAB_OPT_DELAY:
		if (!lab_main_number(arg, LAB_MAIN_MAX_DELAY_MS, &n))
			return lab_main_bad("bad --delay-ms '%s': expected 0 to %lu", arg,
			                    LAB_MAIN_MAX_DELAY_MS);
		a->cfg.delay_ms = (unsigned)n;
		return 0;
	case LAB_OPT_CERT:
		a->cert_file = arg;
		return 0;
	case LAB_OPT_KEY:
		a->key_file = arg;
		return 0;
	case LAB_OPT_LOG:
		a->log_file = arg;
		return 0;
	case LAB_OPT_READY:
		a->cfg.ready_file = arg;
		return 0;
	case LAB_OPT_LIST:
		a->list = true;
		return 0;
	case 'h':
		a->help = true;
		return 0;
	}
	return lab_main_bad("internal: unhandled option %d", opt);
}

/* The farm's listeners after the --listen ones. */
static int lab_main_add_farm(struct lab_main_args *a)
{
	const char *why = NULL;
	if (lab_farm_check(&a->farm, &why) != 0)
		return lab_main_bad("bad --farm-base '%s' for --farm %zu: %s", a->farm_base,
		                    a->farm.count, why);
	if (!lab_main_reserve(a, a->farm.count))
		return lab_main_out_of_memory();
	lab_farm_specs(&a->farm, a->farm_port, a->listens + a->cfg.nlistens);
	a->cfg.nlistens += a->farm.count;
	return 0;
}

static int lab_main_parse(struct lab_main_args *a, int argc, char **argv)
{
	int opt;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":h", lab_main_options, NULL)) != -1) {
		if (opt == '?')
			return lab_main_bad("unknown option '%s' (see --help)", argv[optind - 1]);
		if (opt == ':')
			return lab_main_bad("option '%s' needs a value", argv[optind - 1]);
		int rc = lab_main_option(a, opt, optarg);
		if (rc != 0)
			return rc;
	}
	if (optind < argc)
		return lab_main_bad("unexpected argument '%s' (see --help)", argv[optind]);
	if (a->help || a->list)
		return 0;
	if (a->cfg.nlistens == 0 && a->farm.count == 0)
		return lab_main_bad("no --listen or --farm given (see --help)");
	if (a->farm.count == 0 && a->farm_only != NULL)
		return lab_main_bad("--%s needs --farm", a->farm_only);
	if ((a->cert_file == NULL) != (a->key_file == NULL))
		return lab_main_bad("--cert and --key go together");
	return a->farm.count > 0 ? lab_main_add_farm(a) : 0;
}

/* The TLS context from --cert/--key, or from a certificate made now. */
static int lab_main_tls(struct lab_main_args *a)
{
	char err[LAB_MAIN_ERR_MAX] = "";
	struct lab_cert cert;
	bool given = a->cert_file != NULL;
	int rc = given ? lab_cert_load(&cert, a->cert_file, a->key_file, err, sizeof(err))
	               : lab_cert_generate(&cert, a->cfg.hostname, err, sizeof(err));
	if (rc == 0) {
		rc = tls_ctx_new_server(&a->cfg.tls, cert.cert_pem, cert.key_pem, err, sizeof(err));
		lab_cert_free(&cert);
	}
	if (rc == 0)
		return 0;
	if (given)
		return lab_main_bad("bad --cert/--key: %s", err);
	fprintf(stderr, "smtp-lab: %s\n", err);
	return LAB_MAIN_EXIT_FAILURE;
}

static bool lab_main_wants_deep_chain(const struct lab_main_args *a)
{
	for (size_t i = 0; i < a->cfg.nlistens; i++)
		if (a->listens[i].persona->flags & LAB_PERSONA_DEEP_CHAIN)
			return true;
	return false;
}

/* The deep-chain persona's TLS context, made only when a listener plays it. */
static int lab_main_tls_deep(struct lab_main_args *a)
{
	char err[LAB_MAIN_ERR_MAX] = "";
	struct lab_cert cert;
	if (!lab_main_wants_deep_chain(a))
		return 0;
	int rc =
	    lab_cert_generate_chain(&cert, a->cfg.hostname, LAB_CERT_CHAIN_DEPTH, err, sizeof(err));
	if (rc == 0) {
		rc = tls_ctx_new_server(&a->cfg.tls_deep, cert.cert_pem, cert.key_pem, err,
		                        sizeof(err));
		lab_cert_free(&cert);
	}
	if (rc == 0)
		return 0;
	fprintf(stderr, "smtp-lab: deep chain: %s\n", err);
	return LAB_MAIN_EXIT_FAILURE;
}

/*
 * Thousands of listeners and concurrent clients need thousands of descriptors:
 * raise the soft limit, and refuse to start rather than fail at some bind.
 */
static int lab_main_fd_limit(size_t listeners)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		return 0;
	if (rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
			(void)getrlimit(RLIMIT_NOFILE, &rl);
	}
	rlim_t need = (rlim_t)listeners + LAB_MAIN_FD_HEADROOM;
	if (rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur >= need)
		return 0;
	fprintf(stderr,
	        "smtp-lab: %zu listeners need %llu file descriptors (%d more for clients), but "
	        "the limit is %llu: raise it (ulimit -n, LimitNOFILE)\n",
	        listeners, (unsigned long long)need, LAB_MAIN_FD_HEADROOM,
	        (unsigned long long)rl.rlim_cur);
	return LAB_MAIN_EXIT_FAILURE;
}

static int lab_main_serve(struct lab_main_args *a)
{
	int rc = lab_main_fd_limit(a->cfg.nlistens);
	if (rc == 0)
		rc = lab_main_tls(a);
	if (rc == 0)
		rc = lab_main_tls_deep(a);
	if (rc != 0) {
		tls_ctx_free(a->cfg.tls);
		return rc;
	}
	if (a->log_file != NULL && lab_log_open(&a->cfg.log, a->log_file) != 0) {
		tls_ctx_free(a->cfg.tls_deep);
		tls_ctx_free(a->cfg.tls);
		return lab_main_bad("bad --log '%s': cannot create it", a->log_file);
	}
	/* A client that vanishes mid-write must cost an EPIPE, not the process. */
	signal(SIGPIPE, SIG_IGN);
	rc = lab_server_run(&a->cfg);
	lab_log_close(a->cfg.log);
	tls_ctx_free(a->cfg.tls_deep);
	tls_ctx_free(a->cfg.tls);
	return rc == 0 ? 0 : LAB_MAIN_EXIT_FAILURE;
}

static void lab_main_defaults(struct lab_main_args *a)
{
	const char *why = NULL;
	*a = (struct lab_main_args){
	    .cfg = {.hostname = LAB_MAIN_DEFAULT_HOSTNAME},
	    .farm_base = LAB_FARM_BASE,
	    .farm_port = LAB_FARM_PORT,
	};
	int rc = lab_farm_set_base(&a->farm, LAB_FARM_BASE, &why);
	rc |= lab_farm_set_mix(&a->farm, LAB_FARM_MIX, &why);
	assert(rc == 0);
}

static int lab_main_run(struct lab_main_args *a)
{
	if (a->help) {
		fputs(lab_main_usage, stdout);
		return 0;
	}
	if (a->list) {
		lab_persona_list(stdout);
		return 0;
	}
	return lab_main_serve(a);
}

int main(int argc, char **argv)
{
	struct lab_main_args a;
	lab_main_defaults(&a);
	int rc = lab_main_parse(&a, argc, argv);
	if (rc == 0)
		rc = lab_main_run(&a);
	free(a.listens);
	return rc;
}
