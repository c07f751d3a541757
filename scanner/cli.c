/*
 * NAME
 *	cli - parse and check the command line
 *
 * DESCRIPTION
 *	getopt_long over one option table; each option has a small handler.
 *	Numbers and durations are checked for range; everything is validated
 *	before the scan starts, so a typo never costs a half-finished scan.
 *
 * DIAGNOSTICS
 *	"smtp-audit: --per-host: '0' is not an integer between 1 and 1000"
 *	"smtp-audit: argument: bad target 'mx1:70000': port 70000 out of range (1-65535)"
 */
#include "cli.h"

#include <assert.h>
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "credential.h"
#include "dns.h"
#include "passive.h"
#include "probe_registry.h"
#include "sa_error.h"
#include "smtp_addr.h"

#define CLI_NAME "smtp-audit"
#define CLI_SEVERITY_NEVER SEVERITY_COUNT

enum cli_option {
	OPT_TLS_PORTS = 256,
	OPT_SUBMISSION_PORTS,
	OPT_EXCLUDE,
	OPT_MAX_TARGETS,
	OPT_ALL_ADDRESSES,
	OPT_SHARD,
	OPT_RESUME,
	OPT_DOMAIN,
	OPT_DOMAINS,
	OPT_RESOLVER,
	OPT_MTA_STS_PORT,
	OPT_MX_PORT,
	OPT_PER_HOST,
	OPT_RATE,
	OPT_HOST_RATE,
	OPT_RETRIES,
	OPT_RETRY_DELAY,
	OPT_CONNECT_TIMEOUT,
	OPT_GREETING_TIMEOUT,
	OPT_REPLY_TIMEOUT,
	OPT_TLS_TIMEOUT,
	OPT_TARGET_TIMEOUT,
	OPT_HELO,
	OPT_CA_FILE,
	OPT_NO_TLS_RESUMPTION,
	OPT_PROBES,
	OPT_LIST_PROBES,
	OPT_ALLOW_DATA,
	OPT_RELAY_DOMAIN,
	OPT_RELAY_FROM,
	OPT_RELAY_CANARY,
	OPT_USERS,
	OPT_AUTH_USER,
	OPT_AUTH_PASSWORD_FILE,
	OPT_AUTH_INSECURE_TLS,
	OPT_CERT_WARN_DAYS,
	OPT_OUT,
	OPT_SYSLOG,
	OPT_FAIL_ON,
	OPT_BASELINE,
	OPT_FAIL_ON_NEW,
	OPT_COLOR,
};

static const struct option cli_options[] = {
	{"file", required_argument, NULL, 'f'},
	{"ports", required_argument, NULL, 'p'},
	{"tls-ports", required_argument, NULL, OPT_TLS_PORTS},
	{"submission-ports", required_argument, NULL, OPT_SUBMISSION_PORTS},
	{"exclude", required_argument, NULL, OPT_EXCLUDE},
	{"max-targets", required_argument, NULL, OPT_MAX_TARGETS},
	{"all-addresses", no_argument, NULL, OPT_ALL_ADDRESSES},
	{"shard", required_argument, NULL, OPT_SHARD},
	{"resume", required_argument, NULL, OPT_RESUME},
	{"domain", required_argument, NULL, OPT_DOMAIN},
	{"domains", required_argument, NULL, OPT_DOMAINS},
	{"resolver", required_argument, NULL, OPT_RESOLVER},
	{"mta-sts-port", required_argument, NULL, OPT_MTA_STS_PORT},
	{"mx-port", required_argument, NULL, OPT_MX_PORT},
	{"concurrency", required_argument, NULL, 'c'},
	{"per-host", required_argument, NULL, OPT_PER_HOST},
	{"rate", required_argument, NULL, OPT_RATE},
	{"host-rate", required_argument, NULL, OPT_HOST_RATE},
	{"retries", required_argument, NULL, OPT_RETRIES},
	{"retry-delay", required_argument, NULL, OPT_RETRY_DELAY},
	{"connect-timeout", required_argument, NULL, OPT_CONNECT_TIMEOUT},
	{"greeting-timeout", required_argument, NULL, OPT_GREETING_TIMEOUT},
	{"reply-timeout", required_argument, NULL, OPT_REPLY_TIMEOUT},
	{"tls-timeout", required_argument, NULL, OPT_TLS_TIMEOUT},
	{"target-timeout", required_argument, NULL, OPT_TARGET_TIMEOUT},
	{"helo", required_argument, NULL, OPT_HELO},
	{"ca-file", required_argument, NULL, OPT_CA_FILE},
	{"no-tls-resumption", no_argument, NULL, OPT_NO_TLS_RESUMPTION},
	{"probes", required_argument, NULL, OPT_PROBES},
	{"list-probes", no_argument, NULL, OPT_LIST_PROBES},
	{"allow-data", no_argument, NULL, OPT_ALLOW_DATA},
	{"relay-domain", required_argument, NULL, OPT_RELAY_DOMAIN},
	{"relay-from", required_argument, NULL, OPT_RELAY_FROM},
	{"relay-canary", required_argument, NULL, OPT_RELAY_CANARY},
	{"users", required_argument, NULL, OPT_USERS},
	{"auth-user", required_argument, NULL, OPT_AUTH_USER},
	{"auth-password-file", required_argument, NULL, OPT_AUTH_PASSWORD_FILE},
	{"auth-insecure-tls", no_argument, NULL, OPT_AUTH_INSECURE_TLS},
	{"cert-warn-days", required_argument, NULL, OPT_CERT_WARN_DAYS},
	{"output", required_argument, NULL, 'o'},
	{"out", required_argument, NULL, OPT_OUT},
	{"syslog", required_argument, NULL, OPT_SYSLOG},
	{"fail-on", required_argument, NULL, OPT_FAIL_ON},
	{"baseline", required_argument, NULL, OPT_BASELINE},
	{"fail-on-new", no_argument, NULL, OPT_FAIL_ON_NEW},
	{"color", required_argument, NULL, OPT_COLOR},
	{"quiet", no_argument, NULL, 'q'},
	{"verbose", no_argument, NULL, 'v'},
	{"help", no_argument, NULL, 'h'},
	{"version", no_argument, NULL, 'V'},
	{0},
};

static const char cli_usage_text[] =
	"Usage: " CLI_NAME " [OPTIONS] TARGET...\n"
	"       " CLI_NAME " diff [-o text|json] [--fail-on SEVERITY] OLD.json NEW.json\n"
	"         compare two -o json reports offline (exit 0: nothing new, 1: new findings)\n"
	"       " CLI_NAME " merge [-o FORMAT] [--out FILE] SHARD.json...\n"
	"         join the -o json reports of --shard runs into one report\n"
	"Audit the security of SMTP servers: open relay, AUTH before TLS, anonymous and weak\n"
	"AUTH, HELO validation, STARTTLS and more. Never sends DATA unless --allow-data.\n"
	"\n"
	"Targets: host names, IPv4/IPv6 addresses, host:port, [v6]:port, CIDR blocks.\n"
	"  -f, --file FILE          read targets from FILE ('-' = stdin); '#' starts a comment\n"
	"  -p, --ports LIST         ports to scan, e.g. 25,587 or 2525-2530 (default 25,465,587)\n"
	"      --tls-ports LIST     ports that speak implicit TLS (default 465)\n"
	"      --submission-ports LIST  message submission ports (default 587): cleartext AUTH\n"
	"                           there is rated higher than on a relay port\n"
	"      --exclude LIST       addresses, CIDR blocks or names to skip (repeatable)\n"
	"      --max-targets N      refuse to expand more than N addresses (default 65536)\n"
	"      --all-addresses      scan every address of a name (default: first IPv4 and first IPv6)\n"
	"      --shard I/N          scan only shard I of N (0 to N-1): each target (name or address,\n"
	"                           and port) by a stable hash; the N shards together are the scan\n"
	"      --resume STATE       record each finished target in the file STATE; run again with the\n"
	"                           same STATE, targets and options to skip what is done there\n"
	"\n"
	"Domains (their MX hosts are scanned on every address; DNS posture is checked):\n"
	"      --domain NAME        audit the mail domain NAME: MX, SPF, DMARC, MTA-STS, TLS-RPT,\n"
	"                           DANE, reverse DNS (repeatable; implies --all-addresses)\n"
	"      --domains FILE       read mail domains from FILE ('-' = stdin), one per line\n"
	"      --resolver LIST      DNS servers HOST[:PORT],... instead of /etc/resolv.conf; DNSSEC\n"
	"                           status is the AD bit of these servers, so use a validating one\n"
	"      --mta-sts-port PORT  port of the MTA-STS policy servers (default 443)\n"
	"      --mx-port PORT       port to scan MX hosts on (default 25; for labs and forwarded\n"
	"                           ports: TLSA records are still looked up at _25._tcp)\n"
	"\n"
	"Engine:\n"
	"  -c, --concurrency N      sessions talking at once over all hosts (default 256; as\n"
	"                           many more may be closing, QUIT sent)\n"
	"      --per-host N         sessions at once per host address (default 2)\n"
	"      --rate N             new connections per second overall (default: unlimited)\n"
	"      --host-rate N        new connections per second per host (default 10; 0 = unlimited)\n"
	"      --retries N          retries after a refused or reset connection or a 421 (default 2)\n"
	"      --retry-delay DUR    delay before the first retry, doubled each time (default 1s)\n"
	"      --connect-timeout DUR   TCP connect (default 10s)\n"
	"      --greeting-timeout DUR  the server's 220 greeting (default 30s)\n"
	"      --reply-timeout DUR     each reply, measured from the command (default 30s)\n"
	"      --tls-timeout DUR       a TLS handshake (default 15s)\n"
	"      --target-timeout DUR    everything on one address and port (default 300s)\n"
	"      DUR is a number with an optional unit: ms, s (default), m.\n"
	"\n"
	"SMTP:\n"
	"      --helo NAME          name to greet with (default: this machine's name if it is\n"
	"                           fully qualified, else smtp-audit.invalid)\n"
	"      --ca-file FILE       CA certificates to verify server chains (default: system store)\n"
	"      --no-tls-resumption  a full TLS handshake in every session (default: the probes of\n"
	"                           a target resume the session of its first handshake)\n"
	"      --cert-warn-days N   report certificates that expire within N days (default 21)\n"
	"\n"
	"Probes:\n"
	"      --probes LIST        comma-separated probes to run, or 'all' (default: the default set)\n"
	"      --list-probes        list the probes with a one-line description and exit\n"
	"      --allow-data         allow probes to send DATA/BDAT (off by default: smtp-audit never\n"
	"                           completes a mail transaction unless this flag is given)\n"
	"      --relay-domain NAME  external domain for relay attempts (default example.net,\n"
	"                           reserved by RFC 2606: nothing can ever be delivered)\n"
	"      --relay-from ADDR    external sender for relay attempts (default smtp-audit@example.org)\n"
	"      --relay-canary ADDR  with --allow-data: send one message with a unique token through\n"
	"                           an open relay to ADDR (a mailbox you own) to prove relaying\n"
	"      --users FILE         local parts for user enumeration, one per line (default: a short\n"
	"                           built-in list: postmaster, root, admin, ...)\n"
	"      --auth-user USER     a real login (user@domain) for the auth_credentials probe, added\n"
	"                           to the default set: log in inside verified TLS only, then check\n"
	"                           whether MAIL FROM may name an address that is not USER's\n"
	"      --auth-password-file FILE  its password, the first line of FILE (never on the\n"
	"                           command line); FILE must not be readable by other users\n"
	"      --auth-insecure-tls  log in even when the certificate does not verify for the\n"
	"                           target's name (a lab, an address target, a private CA)\n"
	"\n"
	"Output:\n"
	"  -o, --output FORMAT      report format: %s (default text)\n"
	"      --out FILE           write the report to FILE atomically (temporary file + rename)\n"
	"      --syslog URL         also send each finding as its target finishes to a collector:\n"
	"                           udp://HOST:PORT, tcp://HOST:PORT or unix:PATH (RFC 5424,\n"
	"                           facility local0, the CEF line as message; never stops the scan)\n"
	"      --fail-on SEVERITY   exit 1 when a finding is at or above SEVERITY: info, low,\n"
	"                           medium (default), high, critical, or never\n"
	"      --baseline FILE      compare with an earlier -o json report: mark findings new or\n"
	"                           unchanged, list resolved ones and changed host facts\n"
	"      --fail-on-new        with --baseline: exit 1 only for NEW findings at or above\n"
	"                           --fail-on (for cron)\n"
	"      --color WHEN         colour the text report: auto (default; only on a terminal and\n"
	"                           when NO_COLOR is unset), always, never\n"
	"  -q, --quiet              no notes on standard error\n"
	"  -v, --verbose            session transcripts on standard error; evidence in the text report\n"
	"  -h, --help               show this help and exit\n"
	"  -V, --version            show the version and exit\n"
	"\n"
	"Exit status:\n"
	"  0  no finding at or above --fail-on\n"
	"  1  findings at or above --fail-on (with --fail-on-new: new findings only)\n"
	"  2  usage or configuration error (nothing was scanned)\n"
	"  3  no target could be scanned (all unresolvable, refused, timed out, ...)\n"
	"  4  interrupted (SIGINT/SIGTERM): the report holds what completed; a second signal\n"
	"     exits at once with 128 + the signal number\n";

/* subcommand is NULL for the scan itself. */
static void cli_vreport(FILE *err, const char *subcommand, const char *fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));

static void cli_vreport(FILE *err, const char *subcommand, const char *fmt, va_list ap)
{
	const char *space = subcommand != NULL ? " " : "";
	const char *name = subcommand != NULL ? subcommand : "";
	fprintf(err, CLI_NAME "%s%s: ", space, name);
	vfprintf(err, fmt, ap);
	fprintf(err, "\nTry '" CLI_NAME "%s%s --help' for more information.\n", space, name);
}

static enum cli_status cli_fail(FILE *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static enum cli_status cli_fail(FILE *err, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	cli_vreport(err, NULL, fmt, ap);
	va_end(ap);
	return CLI_USAGE_ERROR;
}

int cli_subcommand_usage_error(const char *subcommand, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	cli_vreport(stderr, subcommand, fmt, ap);
	va_end(ap);
	return CLI_EXIT_USAGE;
}

static const char *cli_option_name(int code)
{
	for (const struct option *o = cli_options; o->name != NULL; o++)
		if (o->val == code)
			return o->name;
	return "?";
}

static bool cli_uint(const char *text, unsigned long min, unsigned long max, unsigned long *out)
{
	char *end;
	errno = 0;
	if (text[0] == '\0' || text[0] == '-' || text[0] == '+')
		return false;
	unsigned long v = strtoul(text, &end, 10);
	if (errno != 0 || *end != '\0' || v < min || v > max)
		return false;
	*out = v;
	return true;
}

static bool cli_double(const char *text, double min, double max, double *out)
{
	char *end;
	errno = 0;
	double v = strtod(text, &end);
	if (errno != 0 || end == text || *end != '\0' || !isfinite(v) || v < min || v > max)
		return false;
	*out = v;
	return true;
}

/* "1500ms", "2s", "1.5", "3m" -> milliseconds; between 1 ms and one day. */
bool cli_duration(const char *text, uint64_t *out_ms)
{
	char *end;
	errno = 0;
	double v = strtod(text, &end);
	if (errno != 0 || end == text || !isfinite(v) || v <= 0)
		return false;
	double scale;
	if (strcmp(end, "") == 0 || strcmp(end, "s") == 0)
		scale = 1000;
	else if (strcmp(end, "ms") == 0)
		scale = 1;
	else if (strcmp(end, "m") == 0)
		scale = 60000;
	else
		return false;
	double ms = v * scale;
	if (ms < 1 || ms > 86400000.0)
		return false;
	*out_ms = (uint64_t)ms;
	return true;
}

static enum cli_status cli_set_uint(FILE *err, int code, const char *arg, unsigned long min,
				    unsigned long max, unsigned *out)
{
	unsigned long v;
	if (!cli_uint(arg, min, max, &v))
		return cli_fail(err, "--%s: '%s' is not an integer between %lu and %lu",
				cli_option_name(code), arg, min, max);
	*out = (unsigned)v;
	return CLI_RUN;
}

static enum cli_status cli_set_duration(FILE *err, int code, const char *arg, uint64_t *out)
{
	if (!cli_duration(arg, out))
		return cli_fail(err,
				"--%s: '%s' is not a duration between 1ms and 1 day (e.g. 500ms, 10s, 2m)",
				cli_option_name(code), arg);
	return CLI_RUN;
}

static enum cli_status cli_set_ports(FILE *err, int code, const char *arg, uint16_t *ports,
				     size_t *count)
{
	char msg[256];
	if (target_ports_parse(arg, ports, SCAN_MAX_PORTS, count, msg, sizeof(msg)) != 0)
		return cli_fail(err, "--%s: %s", cli_option_name(code), msg);
	return CLI_RUN;
}

static void cli_list_probes(FILE *out)
{
	size_t n;
	const struct probe *const *all = probe_registry_all(&n);
	for (size_t i = 0; i < n; i++)
		fprintf(out, "%-18s %s%s\n", all[i]->name, all[i]->summary,
			(all[i]->flags & PROBE_DEFAULT) ? "" : " (not in the default set)");
}

static enum cli_status cli_add_probe(struct scan_options *opt, FILE *err, const struct probe *p)
{
	for (size_t i = 0; i < opt->nprobes; i++)
		if (opt->probes[i] == p)
			return CLI_RUN;
	if (opt->nprobes == SCAN_MAX_PROBES)
		return cli_fail(err, "--probes: too many probes");
	opt->probes[opt->nprobes++] = p;
	return CLI_RUN;
}

static enum cli_status cli_set_probes(struct scan_options *opt, FILE *err, const char *arg)
{
	size_t n;
	const struct probe *const *all = probe_registry_all(&n);
	char *copy = strdup(arg);
	if (copy == NULL)
		return cli_fail(err, "out of memory");
	enum cli_status st = CLI_RUN;
	char *save = NULL;
	opt->nprobes = 0;
	for (char *name = strtok_r(copy, ",", &save); name != NULL && st == CLI_RUN;
	     name = strtok_r(NULL, ",", &save)) {
		if (strcmp(name, "all") == 0) {
			for (size_t i = 0; i < n && st == CLI_RUN; i++)
				st = cli_add_probe(opt, err, all[i]);
			continue;
		}
		const struct probe *p = probe_registry_find(name);
		if (p == NULL)
			st = cli_fail(err, "--probes: unknown probe '%s' (see --list-probes)", name);
		else
			st = cli_add_probe(opt, err, p);
	}
	free(copy);
	if (st == CLI_RUN && opt->nprobes == 0)
		st = cli_fail(err, "--probes: no probe named in '%s'", arg);
	return st;
}

static void cli_default_probes(struct scan_options *opt)
{
	size_t n;
	const struct probe *const *all = probe_registry_all(&n);
	for (size_t i = 0; i < n && opt->nprobes < SCAN_MAX_PROBES; i++)
		if (all[i]->flags & PROBE_DEFAULT)
			opt->probes[opt->nprobes++] = all[i];
}

static enum cli_status cli_set_output(struct scan_options *opt, FILE *err, const char *arg)
{
	opt->writer = report_find(arg);
	if (opt->writer == NULL)
		return cli_fail(err, "--output: unknown format '%s'", arg);
	return CLI_RUN;
}

bool cli_fail_on(const char *text, enum finding_severity *out)
{
	if (strcmp(text, "never") == 0) {
		*out = CLI_SEVERITY_NEVER;
		return true;
	}
	return severity_parse(text, out);
}

static enum cli_status cli_set_fail_on(struct scan_options *opt, FILE *err, const char *arg)
{
	if (!cli_fail_on(arg, &opt->fail_on))
		return cli_fail(err, CLI_FAIL_ON_ERROR, arg);
	return CLI_RUN;
}

static enum cli_status cli_set_syslog(struct scan_options *opt, FILE *err, const char *arg)
{
	char msg[512];
	if (syslog_dest_parse(&opt->syslog, arg, msg, sizeof(msg)) != 0)
		return cli_fail(err, "--syslog: %s", msg);
	return CLI_RUN;
}

static enum cli_status cli_set_color(struct scan_options *opt, FILE *err, const char *arg)
{
	if (strcmp(arg, "auto") == 0)
		opt->color = SCAN_COLOR_AUTO;
	else if (strcmp(arg, "always") == 0)
		opt->color = SCAN_COLOR_ALWAYS;
	else if (strcmp(arg, "never") == 0)
		opt->color = SCAN_COLOR_NEVER;
	else
		return cli_fail(err, "--color: '%s' is not one of auto, always, never", arg);
	return CLI_RUN;
}

/* A HELO name is sent on the wire: it must be a plausible host name or address literal. */
static bool cli_helo_ok(const char *name)
{
	size_t len = strlen(name);
	if (len == 0 || len > 255)
		return false;
	for (const char *p = name; *p; p++)
		if (*p <= ' ' || *p >= 127)
			return false;
	return true;
}

static enum cli_status cli_set_helo(struct scan_options *opt, FILE *err, const char *arg)
{
	if (!cli_helo_ok(arg))
		return cli_fail(err, "--helo: '%s' must be 1 to 255 printable characters without spaces",
				arg);
	snprintf(opt->helo_name, sizeof(opt->helo_name), "%s", arg);
	return CLI_RUN;
}

/* An address the relay probe writes into MAIL/RCPT: local@domain, no spaces or brackets. */
static bool cli_mailbox_ok(const char *addr)
{
	const char *at = strrchr(addr, '@');
	if (at == NULL || at == addr || !smtp_addr_is_hostname(at + 1) || strlen(addr) > 254)
		return false;
	return strpbrk(addr, " <>\t\r\n\"") == NULL;
}

static enum cli_status cli_set_relay(struct scan_options *opt, FILE *err, int code, const char *arg)
{
	struct probe_settings *ps = &opt->probe_settings;
	if (code == OPT_RELAY_DOMAIN) {
		if (!smtp_addr_is_hostname(arg))
			return cli_fail(err, "--relay-domain: '%s' is not a host name", arg);
		ps->relay_domain = arg;
	} else if (!cli_mailbox_ok(arg)) {
		return cli_fail(err, "--%s: '%s' is not an address like user@example.org",
				cli_option_name(code), arg);
	} else if (code == OPT_RELAY_FROM) {
		ps->relay_from = arg;
	} else {
		ps->relay_canary = arg;
	}
	return CLI_RUN;
}

static enum cli_status cli_set_users(struct scan_options *opt, FILE *err, const char *arg)
{
	char msg[512];
	user_list_free(&opt->users);
	if (user_list_load(&opt->users, arg, msg, sizeof(msg)) != 0)
		return cli_fail(err, "--users: %s", msg);
	opt->probe_settings.users = (const char *const *)opt->users.names;
	opt->probe_settings.nusers = opt->users.count;
	return CLI_RUN;
}

/* A login goes into AUTH PLAIN and LOGIN: printable, no controls, at most 255 bytes. */
static bool cli_login_ok(const char *user)
{
	size_t len = strlen(user);
	if (len == 0 || len > 255)
		return false;
	for (const unsigned char *p = (const unsigned char *)user; *p; p++)
		if (*p < ' ' || *p == 127)
			return false;
	return true;
}

static enum cli_status cli_set_auth(struct scan_options *opt, FILE *err, int code, const char *arg)
{
	char msg[512];
	if (code == OPT_AUTH_USER) {
		if (!cli_login_ok(arg))
			return cli_fail(err, "--auth-user: must be 1 to 255 characters without control "
					     "characters");
		opt->probe_settings.auth_user = arg;
		return CLI_RUN;
	}
	credential_free(opt->auth_password);
	if (credential_load(&opt->auth_password, arg, msg, sizeof(msg)) != 0)
		return cli_fail(err, "--auth-password-file: %s", msg);
	opt->probe_settings.auth_password = opt->auth_password;
	return CLI_RUN;
}

static enum cli_status cli_add_file(struct scan_options *opt, FILE *err, const char *arg)
{
	char msg[512];
	if (target_list_add_file(&opt->targets, arg, msg, sizeof(msg)) != 0)
		return cli_fail(err, "%s", msg);
	return CLI_RUN;
}

static enum cli_status cli_add_exclude(struct scan_options *opt, FILE *err, const char *arg)
{
	char msg[512];
	if (target_list_exclude(&opt->targets, arg, msg, sizeof(msg)) != 0)
		return cli_fail(err, "--exclude: %s", msg);
	return CLI_RUN;
}

static enum cli_status cli_set_shard(struct scan_options *opt, FILE *err, const char *arg)
{
	char msg[256];
	if (shard_parse(arg, &opt->shard, msg, sizeof(msg)) != 0)
		return cli_fail(err, "--shard: %s", msg);
	return CLI_RUN;
}

static enum cli_status cli_set_domain_option(struct scan_options *opt, FILE *err, int code,
					     const char *arg)
{
	char msg[512];
	int rc = 0;
	switch (code) {
	case OPT_DOMAIN:
		rc = domain_list_add(&opt->domains, arg, "--domain", msg, sizeof(msg));
		break;
	case OPT_DOMAINS:
		rc = domain_list_add_file(&opt->domains, arg, msg, sizeof(msg));
		break;
	case OPT_RESOLVER:
		if (dns_servers_check(arg, msg, sizeof(msg)) != 0)
			return cli_fail(err, "--resolver: %s", msg);
		opt->resolver = arg;
		return CLI_RUN;
	default:
		assert(!"not a domain option");
	}
	if (rc != 0)
		return cli_fail(err, "%s", msg);
	opt->all_addresses = true;
	return CLI_RUN;
}

static void cli_usage(FILE *out)
{
	size_t n;
	const struct report_writer *const *writers = report_writers(&n);
	char names[256] = "";
	for (size_t i = 0; i < n; i++) {
		size_t len = strlen(names);
		snprintf(names + len, sizeof(names) - len, "%s%s", i ? ", " : "", writers[i]->name);
	}
	fprintf(out, cli_usage_text, names);
	fputc('\n', out);
	passive_usage(out);
}

static enum cli_status cli_handle(struct scan_options *opt, int code, const char *arg, FILE *out,
				  FILE *err)
{
	unsigned long ul;
	switch (code) {
	case 'f':
		return cli_add_file(opt, err, arg);
	case 'p':
		return cli_set_ports(err, code, arg, opt->ports, &opt->nports);
	case OPT_TLS_PORTS:
		return cli_set_ports(err, code, arg, opt->tls_ports, &opt->ntls_ports);
	case OPT_SUBMISSION_PORTS:
		return cli_set_ports(err, code, arg, opt->submission_ports, &opt->nsubmission_ports);
	case OPT_EXCLUDE:
		return cli_add_exclude(opt, err, arg);
	case OPT_MAX_TARGETS:
		if (!cli_uint(arg, 1, 1ul << 24, &ul))
			return cli_fail(err, "--max-targets: '%s' is not an integer between 1 and %lu",
					arg, 1ul << 24);
		opt->max_targets = ul;
		return CLI_RUN;
	case OPT_ALL_ADDRESSES:
		opt->all_addresses = true;
		return CLI_RUN;
	case OPT_SHARD:
		return cli_set_shard(opt, err, arg);
	case OPT_RESUME:
		opt->resume_path = arg;
		return CLI_RUN;
	case OPT_DOMAIN:
	case OPT_DOMAINS:
	case OPT_RESOLVER:
		return cli_set_domain_option(opt, err, code, arg);
	case OPT_MTA_STS_PORT:
	case OPT_MX_PORT:
		if (!cli_uint(arg, 1, 65535, &ul))
			return cli_fail(err, "--%s: '%s' is not a port (1-65535)",
					cli_option_name(code), arg);
		*(code == OPT_MX_PORT ? &opt->mx_port : &opt->mta_sts_port) = (uint16_t)ul;
		return CLI_RUN;
	case 'c':
		return cli_set_uint(err, code, arg, 1, 100000, &opt->concurrency);
	case OPT_PER_HOST:
		return cli_set_uint(err, code, arg, 1, 1000, &opt->per_host);
	case OPT_RATE:
	case OPT_HOST_RATE:
		if (!cli_double(arg, 0, 1e6, code == OPT_RATE ? &opt->rate : &opt->host_rate))
			return cli_fail(err, "--%s: '%s' is not a number between 0 and 1000000",
					cli_option_name(code), arg);
		return CLI_RUN;
	case OPT_RETRIES:
		return cli_set_uint(err, code, arg, 0, 10, &opt->retries);
	case OPT_RETRY_DELAY:
		return cli_set_duration(err, code, arg, &opt->retry_delay_ms);
	case OPT_CONNECT_TIMEOUT:
		return cli_set_duration(err, code, arg, &opt->timeouts.connect_ms);
	case OPT_GREETING_TIMEOUT:
		return cli_set_duration(err, code, arg, &opt->timeouts.greeting_ms);
	case OPT_REPLY_TIMEOUT:
		return cli_set_duration(err, code, arg, &opt->timeouts.reply_ms);
	case OPT_TLS_TIMEOUT:
		return cli_set_duration(err, code, arg, &opt->timeouts.tls_ms);
	case OPT_TARGET_TIMEOUT:
		return cli_set_duration(err, code, arg, &opt->timeouts.target_ms);
	case OPT_HELO:
		return cli_set_helo(opt, err, arg);
	case OPT_CA_FILE:
		opt->ca_file = arg;
		return CLI_RUN;
	case OPT_NO_TLS_RESUMPTION:
		opt->tls_resumption = false;
		return CLI_RUN;
	case OPT_PROBES:
		return cli_set_probes(opt, err, arg);
	case OPT_LIST_PROBES:
		cli_list_probes(out);
		return CLI_DONE;
	case OPT_ALLOW_DATA:
		opt->probe_settings.allow_data = true;
		return CLI_RUN;
	case OPT_RELAY_DOMAIN:
	case OPT_RELAY_FROM:
	case OPT_RELAY_CANARY:
		return cli_set_relay(opt, err, code, arg);
	case OPT_USERS:
		return cli_set_users(opt, err, arg);
	case OPT_AUTH_USER:
	case OPT_AUTH_PASSWORD_FILE:
		return cli_set_auth(opt, err, code, arg);
	case OPT_AUTH_INSECURE_TLS:
		opt->probe_settings.auth_insecure_tls = true;
		return CLI_RUN;
	case OPT_CERT_WARN_DAYS:
		return cli_set_uint(err, code, arg, 0, 3650, &opt->probe_settings.cert_warn_days);
	case 'o':
		return cli_set_output(opt, err, arg);
	case OPT_OUT:
		opt->out_path = arg;
		return CLI_RUN;
	case OPT_SYSLOG:
		return cli_set_syslog(opt, err, arg);
	case OPT_FAIL_ON:
		return cli_set_fail_on(opt, err, arg);
	case OPT_BASELINE:
		opt->baseline_path = arg;
		return CLI_RUN;
	case OPT_FAIL_ON_NEW:
		opt->fail_on_new = true;
		return CLI_RUN;
	case OPT_COLOR:
		return cli_set_color(opt, err, arg);
	case 'q':
		opt->quiet = true;
		return CLI_RUN;
	case 'v':
		opt->verbose = true;
		return CLI_RUN;
	case 'h':
		cli_usage(out);
		return CLI_DONE;
	case 'V':
		fputs(CLI_NAME " " SA_VERSION "\n", out);
		return CLI_DONE;
	default:
		/* getopt_long already printed what was wrong. */
		fputs("Try '" CLI_NAME " --help' for more information.\n", err);
		return CLI_USAGE_ERROR;
	}
}

static enum cli_status cli_add_targets(struct scan_options *opt, int argc, char **argv, FILE *err)
{
	char msg[512];
	for (int i = optind; i < argc; i++)
		if (target_list_add(&opt->targets, argv[i], "argument", msg, sizeof(msg)) != 0)
			return cli_fail(err, "%s", msg);
	if (opt->targets.nspecs == 0 && opt->domains.n == 0)
		return cli_fail(err, "no targets given");
	uint64_t total;
	if (target_list_check(&opt->targets, opt->max_targets, &total, msg, sizeof(msg)) != 0)
		return cli_fail(err, "%s", msg);
	return CLI_RUN;
}

enum cli_status cli_parse(struct scan_options *opt, int argc, char **argv, FILE *out, FILE *err)
{
	int code;
	/* 0, not 1: glibc then also forgets where it stopped inside a cluster like -hV. */
	optind = 0;
	opterr = 1;
	while ((code = getopt_long(argc, argv, "f:p:c:o:qvhV", cli_options, NULL)) != -1) {
		enum cli_status st = cli_handle(opt, code, optarg, out, err);
		if (st != CLI_RUN)
			return st;
	}
	if (opt->probe_settings.relay_canary != NULL && !opt->probe_settings.allow_data)
		return cli_fail(err, "--relay-canary sends a message and needs --allow-data as well");
	if (opt->fail_on_new && opt->baseline_path == NULL)
		return cli_fail(err, "--fail-on-new needs --baseline FILE to know what is new");
	if (opt->writer == NULL)
		opt->writer = report_find("text");
	if ((opt->probe_settings.auth_user == NULL) != (opt->probe_settings.auth_password == NULL))
		return cli_fail(err, "--auth-user and --auth-password-file go together");
	if (opt->probe_settings.auth_insecure_tls && opt->probe_settings.auth_user == NULL)
		return cli_fail(err, "--auth-insecure-tls only applies with --auth-user");
	if (opt->nprobes == 0) {
		cli_default_probes(opt);
		/* Credentials are the opt-in of auth_credentials; an explicit --probes decides alone. */
		if (opt->probe_settings.auth_user != NULL &&
		    cli_add_probe(opt, err, probe_registry_find("auth_credentials")) != CLI_RUN)
			return CLI_USAGE_ERROR;
	}
	return cli_add_targets(opt, argc, argv, err);
}
