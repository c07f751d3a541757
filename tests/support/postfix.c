/*
 * NAME
 *	postfix - real Postfix instances on loopback for integration tests
 *
 * DESCRIPTION
 *	See postfix.h and tests/postfix/README.md. An instance is prepared
 *	(directory, configuration, certificate, sasldb, port), then launched:
 *	the master daemon is forked and exec'ed as "master -c DIR -d" in a
 *	session of its own, so the master's pid is the instance's process
 *	group. The instance is ready when the master has logged "daemon
 *	started" (its listeners are bound) and the port answers 220.
 *
 *	Stopping sends SIGTERM to the master, which passes it to its process
 *	group and exits; whatever is left after a bounded wait gets SIGKILL
 *	through the group. Postfix's daemons are reparented to init, which
 *	reaps them when it likes, so a zombie counts as gone.
 *
 * DIAGNOSTICS
 *	Every failure is printed to stderr with the instance directory, and
 *	a failed launch prints the end of the instance's log.
 */
#include "postfix.h"

#include <arpa/inet.h>
#include <assert.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <grp.h>
#include <netinet/in.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "run.h"
#include "sa_error.h"

#define POSTFIX_DIR_PREFIX   "/tmp/sa-postfix."
#define POSTFIX_TEMPLATE_DIR SA_SOURCE_DIR "/tests/postfix/"
#define POSTFIX_MASTER       "/usr/lib/postfix/sbin/master"
#define POSTFIX_SASLPASSWD   "/usr/sbin/saslpasswd2"
#define POSTFIX_OPENSSL      "/usr/bin/openssl"
#define POSTFIX_CERT_SCRIPT  SA_SOURCE_DIR "/scripts/gen-test-certs.sh"
#define POSTFIX_CERT_CACHE   SA_BINARY_DIR "/postfix-certs"
#define POSTFIX_CERT_TTL_S   3600
#define POSTFIX_LAUNCHES     3
#define POSTFIX_TOOL_MS      30000
#define POSTFIX_GRACE_MS     5000
#define POSTFIX_KILL_MS      2000
#define POSTFIX_GREETING_MS  2000
#define POSTFIX_POLL_MS      10
#define POSTFIX_MAX_LIVE     32
#define POSTFIX_MAX_FILE     (64 * 1024 * 1024)
#define POSTFIX_LOG_TAIL     4096
#define POSTFIX_SETTLED_S    60

/* A Debian MX as a careful administrator would set it up. */
#define POSTFIX_HARDENED_LINES                                                                     \
	"smtpd_relay_restrictions = permit_mynetworks, permit_sasl_authenticated,"                 \
	" reject_unauth_destination",                                                              \
	    "smtpd_helo_required = yes",                                                           \
	    "smtpd_helo_restrictions = reject_invalid_helo_hostname,"                              \
	    " reject_non_fqdn_helo_hostname",                                                      \
	    "smtpd_tls_security_level = may", "smtpd_tls_protocols = >=TLSv1.2",                   \
	    "smtpd_tls_mandatory_protocols = >=TLSv1.2", "smtpd_tls_exclude_ciphers = aNULL",      \
	    "smtpd_sasl_auth_enable = yes", "smtpd_tls_auth_only = yes",                           \
	    "disable_vrfy_command = yes"

static const char *const postfix_base_lines[] = {NULL};
static const char *const postfix_hardened_lines[] = {POSTFIX_HARDENED_LINES, NULL};
/* The classic open relay: every client counts as a trusted network. */
static const char *const postfix_open_relay_lines[] = {"mynetworks = 0.0.0.0/0, [::]/0", NULL};
static const char *const postfix_auth_before_tls_lines[] = {
    POSTFIX_HARDENED_LINES,
    "smtpd_tls_auth_only = no",
    NULL,
};
static const char *const postfix_lax_helo_lines[] = {
    POSTFIX_HARDENED_LINES,
    "smtpd_helo_required = no",
    "smtpd_helo_restrictions =",
    NULL,
};
static const char *const postfix_no_starttls_lines[] = {
    POSTFIX_HARDENED_LINES,
    "smtpd_tls_security_level = none",
    NULL,
};
/*
 * An old MX nobody revisited: TLS 1.0 and 1.1, NULL and anonymous suites.
 * OpenSSL 3 refuses TLS < 1.2 and NULL suites above security level 0, so
 * the instance loads its own OpenSSL baseline instead of the host's. ALL
 * would also hold 3DES and RC4, but Debian 12's OpenSSL has neither.
 */
static const char *const postfix_tls_legacy_lines[] = {
    POSTFIX_HARDENED_LINES,
    "tls_config_file = $instance_dir/openssl-legacy.cnf",
    "tls_config_name = postfix",
    "smtpd_tls_protocols = >=TLSv1",
    "smtpd_tls_mandatory_protocols = >=TLSv1",
    "smtpd_tls_ciphers = low",
    "smtpd_tls_mandatory_ciphers = low",
    "smtpd_tls_exclude_ciphers =",
    "tls_low_cipherlist = ALL:eNULL:!PSK:!SRP",
    NULL,
};
/* Serve scripts/gen-test-certs.sh's certificate "name" (with its CA) instead of "good". */
#define POSTFIX_CERT_LINES(name)                                                                   \
	"smtpd_tls_cert_file = $instance_dir/" POSTFIX_CERT_DIR "/" name ".chain.pem",             \
	    "smtpd_tls_key_file = $instance_dir/" POSTFIX_CERT_DIR "/" name ".key"

static const char *const postfix_cert_expired_lines[] = {
    POSTFIX_HARDENED_LINES,
    POSTFIX_CERT_LINES("expired"),
    NULL,
};
static const char *const postfix_cert_not_yet_valid_lines[] = {
    POSTFIX_HARDENED_LINES,
    POSTFIX_CERT_LINES("notyet"),
    NULL,
};
static const char *const postfix_cert_expiring_lines[] = {
    POSTFIX_HARDENED_LINES,
    POSTFIX_CERT_LINES("expiring"),
    NULL,
};
static const char *const postfix_cert_wrong_name_lines[] = {
    POSTFIX_HARDENED_LINES,
    POSTFIX_CERT_LINES("wrongname"),
    NULL,
};
static const char *const postfix_cert_self_signed_lines[] = {
    POSTFIX_HARDENED_LINES,
    POSTFIX_CERT_LINES("selfsigned"),
    NULL,
};
static const char *const postfix_cert_rsa1024_lines[] = {
    POSTFIX_HARDENED_LINES,
    POSTFIX_CERT_LINES("rsa1024"),
    NULL,
};
static const char *const postfix_cert_sha1_lines[] = {
    POSTFIX_HARDENED_LINES,
    POSTFIX_CERT_LINES("sha1"),
    NULL,
};
/* VRFY answers for every local recipient and alias; EXPN Postfix does not implement. */
static const char *const postfix_vrfy_lines[] = {
    POSTFIX_HARDENED_LINES,
    "disable_vrfy_command = no",
    "alias_maps = texthash:$instance_dir/aliases",
    "local_recipient_maps = texthash:$instance_dir/local_recipients, $alias_maps",
    NULL,
};
/* A submission service that offers STARTTLS but takes AUTH and MAIL without it. */
static const char *const postfix_submission_lines[] = {
    POSTFIX_HARDENED_LINES,
    "smtpd_tls_auth_only = no",
    "smtpd_relay_restrictions = permit_sasl_authenticated, reject",
    NULL,
};
/* The same with TLS enforced, as Debian's master.cf suggests for port 587. */
static const char *const postfix_submission_encrypt_lines[] = {
    POSTFIX_HARDENED_LINES,
    "smtpd_tls_security_level = encrypt",
    "smtpd_relay_restrictions = permit_sasl_authenticated, reject",
    NULL,
};

static const struct postfix_named {
	const char *name;
	const char *const *lines;
} postfix_named[] = {
    {.name = "base", .lines = postfix_base_lines},
    {.name = "hardened", .lines = postfix_hardened_lines},
    {.name = "open-relay", .lines = postfix_open_relay_lines},
    {.name = "auth-before-tls", .lines = postfix_auth_before_tls_lines},
    {.name = "lax-helo", .lines = postfix_lax_helo_lines},
    {.name = "no-starttls", .lines = postfix_no_starttls_lines},
    {.name = "tls-legacy", .lines = postfix_tls_legacy_lines},
    {.name = "cert-expired", .lines = postfix_cert_expired_lines},
    {.name = "cert-not-yet-valid", .lines = postfix_cert_not_yet_valid_lines},
    {.name = "cert-expiring", .lines = postfix_cert_expiring_lines},
    {.name = "cert-wrong-name", .lines = postfix_cert_wrong_name_lines},
    {.name = "cert-self-signed", .lines = postfix_cert_self_signed_lines},
    {.name = "cert-rsa1024", .lines = postfix_cert_rsa1024_lines},
    {.name = "cert-sha1", .lines = postfix_cert_sha1_lines},
    {.name = "vrfy", .lines = postfix_vrfy_lines},
    {.name = "submission", .lines = postfix_submission_lines},
    {.name = "submission-encrypt", .lines = postfix_submission_encrypt_lines},
};

/* The names a template or override line may use; replaced before Postfix reads the file. */
enum postfix_var {
	POSTFIX_VAR_DIR,
	POSTFIX_VAR_ADDRESS,
	POSTFIX_VAR_LISTEN,
	POSTFIX_VAR_COUNT,
};

static const char *const postfix_var_names[] = {
    [POSTFIX_VAR_DIR] = "instance_dir",
    [POSTFIX_VAR_ADDRESS] = "instance_address",
    [POSTFIX_VAR_LISTEN] = "instance_listen",
};
_Static_assert(sizeof(postfix_var_names) / sizeof(postfix_var_names[0]) == POSTFIX_VAR_COUNT,
               "one name per variable");

struct postfix_vars {
	char value[POSTFIX_VAR_COUNT][320];
};

/* Queue and data directories as Postfix's postfix-files creates them. */
enum postfix_owner { POSTFIX_OWNER_ROOT, POSTFIX_OWNER_MAIL, POSTFIX_OWNER_MAIL_POSTDROP };

static const struct postfix_dir {
	const char *path;
	mode_t mode;
	enum postfix_owner owner;
} postfix_dirs[] = {
    {.path = "queue", .mode = 0755, .owner = POSTFIX_OWNER_ROOT},
    {.path = "queue/active", .mode = 0700, .owner = POSTFIX_OWNER_MAIL},
    {.path = "queue/bounce", .mode = 0700, .owner = POSTFIX_OWNER_MAIL},
    {.path = "queue/corrupt", .mode = 0700, .owner = POSTFIX_OWNER_MAIL},
    {.path = "queue/defer", .mode = 0700, .owner = POSTFIX_OWNER_MAIL},
    {.path = "queue/deferred", .mode = 0700, .owner = POSTFIX_OWNER_MAIL},
    {.path = "queue/flush", .mode = 0700, .owner = POSTFIX_OWNER_MAIL},
    {.path = "queue/hold", .mode = 0700, .owner = POSTFIX_OWNER_MAIL},
    {.path = "queue/incoming", .mode = 0700, .owner = POSTFIX_OWNER_MAIL},
    {.path = "queue/private", .mode = 0700, .owner = POSTFIX_OWNER_MAIL},
    {.path = "queue/saved", .mode = 0700, .owner = POSTFIX_OWNER_MAIL},
    {.path = "queue/trace", .mode = 0700, .owner = POSTFIX_OWNER_MAIL},
    {.path = "queue/maildrop", .mode = 0730, .owner = POSTFIX_OWNER_MAIL_POSTDROP},
    {.path = "queue/public", .mode = 02710, .owner = POSTFIX_OWNER_MAIL_POSTDROP},
    {.path = "queue/pid", .mode = 0755, .owner = POSTFIX_OWNER_ROOT},
    {.path = "data", .mode = 0700, .owner = POSTFIX_OWNER_MAIL},
    {.path = "sasl", .mode = 0755, .owner = POSTFIX_OWNER_ROOT},
    {.path = POSTFIX_CERT_DIR, .mode = 0755, .owner = POSTFIX_OWNER_ROOT},
};

struct postfix_ids {
	uid_t mail_uid;
	gid_t mail_gid;
	gid_t postdrop_gid;
};

/*
 * The safety nets must know what still runs after the caller's struct may
 * be gone, so they keep copies, each with the instance's guard: a shell
 * that waits for end-of-file on a pipe only this process holds open, and
 * then stops the instance. It catches what atexit cannot (a crash, a
 * SIGKILL from criterion's timeout). The master itself cannot be given
 * PR_SET_PDEATHSIG: it changes its effective uid while starting, and the
 * kernel then clears that setting. Only the process that started an
 * instance stops it: a forked child exiting must not.
 */
struct postfix_live {
	struct postfix pf;
	pid_t guard;
	int guard_fd;
};

static struct postfix_live postfix_live[POSTFIX_MAX_LIVE];
static pid_t postfix_live_owner;

/* $1 the master's pid (= its process group), $2 the instance directory. */
static const char postfix_guard_script[] =
    "read -r _; kill -TERM \"$1\"; sleep 3; kill -KILL -- \"-$1\"; rm -rf -- \"$2\"";

__attribute__((format(printf, 3, 4))) static int postfix_fail(const struct postfix *pf, int rc,
                                                              const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "postfix fixture (%s): ", pf->dir[0] != '\0' ? pf->dir : "no instance");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, ": %s\n", sa_error_str(rc));
	va_end(ap);
	return rc;
}

static int64_t postfix_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void postfix_sleep_ms(int ms)
{
	struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000};
	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

static bool postfix_path(const struct postfix *pf, const char *name, char *buf, size_t buflen)
{
	int n = snprintf(buf, buflen, "%s/%s", pf->dir, name);
	return n > 0 && (size_t)n < buflen;
}

static int postfix_remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	remove(path);
	return 0;
}

static void postfix_remove_tree(const char *path)
{
	nftw(path, postfix_remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* Whole file, NUL-terminated, into *out (malloc'ed). */
static int postfix_read_file(const char *path, char **out, size_t *outlen)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL)
		return errno == ENOENT ? SA_ERROR_NOTFOUND : SA_ERROR_IO;
	char *text = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&text, &len);
	int rc = mem == NULL ? SA_ERROR_NOMEM : 0;
	char chunk[4096];
	size_t n;
	while (rc == 0 && (n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
		if (len + n > POSTFIX_MAX_FILE)
			rc = SA_ERROR_TOOBIG;
		else if (fwrite(chunk, 1, n, mem) != n)
			rc = SA_ERROR_NOMEM;
	}
	if (rc == 0 && ferror(f))
		rc = SA_ERROR_IO;
	fclose(f);
	if (mem != NULL && fclose(mem) != 0 && rc == 0)
		rc = SA_ERROR_NOMEM;
	if (rc != 0) {
		free(text);
		return rc;
	}
	*out = text;
	if (outlen != NULL)
		*outlen = len;
	return 0;
}

/*
 * Postfix rereads a configuration file, 300 ms apart, until its mtime is
 * more than a second old ("pausing to let main.cf settle"), and every
 * daemon does so when it starts: a file written just now would cost each
 * of them a second. So the files are dated a minute back.
 */
static int postfix_write_file(const char *path, const char *text, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (fd < 0)
		return SA_ERROR_IO;
	size_t len = strlen(text);
	ssize_t n = write(fd, text, len);
	int rc = n == (ssize_t)len ? 0 : SA_ERROR_IO;
	struct timespec settled = {.tv_sec = time(NULL) - POSTFIX_SETTLED_S};
	const struct timespec times[2] = {settled, settled};
	if (rc == 0 && futimens(fd, times) != 0)
		rc = SA_ERROR_IO;
	if (close(fd) != 0)
		rc = SA_ERROR_IO;
	return rc;
}

static void postfix_vars_init(struct postfix_vars *v, const struct postfix *pf)
{
	bool v6 = strchr(pf->address, ':') != NULL;
	snprintf(v->value[POSTFIX_VAR_DIR], sizeof(v->value[0]), "%s", pf->dir);
	snprintf(v->value[POSTFIX_VAR_ADDRESS], sizeof(v->value[0]), "%s", pf->address);
	snprintf(v->value[POSTFIX_VAR_LISTEN], sizeof(v->value[0]), v6 ? "[%s]:%u" : "%s:%u",
	         pf->address, (unsigned)pf->port);
}

static bool postfix_name_char(char c)
{
	return isalnum((unsigned char)c) || c == '_';
}

/* The variable "$name" at text names, or -1; a longer Postfix name is left alone. */
static int postfix_var_at(const char *text)
{
	for (int i = 0; i < POSTFIX_VAR_COUNT; i++) {
		size_t n = strlen(postfix_var_names[i]);
		if (strncmp(text, postfix_var_names[i], n) == 0 && !postfix_name_char(text[n]))
			return i;
	}
	return -1;
}

/* text with every $instance_* replaced (malloc'ed), or NULL when out of memory. */
static char *postfix_substitute(const char *text, const struct postfix_vars *v)
{
	char *out = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&out, &len);
	if (mem == NULL)
		return NULL;
	for (const char *p = text; *p != '\0'; p++) {
		int var = *p == '$' ? postfix_var_at(p + 1) : -1;
		if (var < 0) {
			fputc(*p, mem);
			continue;
		}
		fputs(v->value[var], mem);
		p += strlen(postfix_var_names[var]);
	}
	if (fclose(mem) != 0) {
		free(out);
		return NULL;
	}
	return out;
}

static int postfix_render(const struct postfix *pf, const char *template_name, const char *dest,
                          mode_t mode)
{
	char *text;
	int rc = postfix_read_file(template_name, &text, NULL);
	if (rc != 0)
		return postfix_fail(pf, rc, "reading template %s", template_name);
	struct postfix_vars vars = {0};
	postfix_vars_init(&vars, pf);
	char *out = postfix_substitute(text, &vars);
	free(text);
	char path[512];
	if (out == NULL)
		rc = SA_ERROR_NOMEM;
	else if (!postfix_path(pf, dest, path, sizeof(path)))
		rc = SA_ERROR_RANGE;
	else
		rc = postfix_write_file(path, out, mode);
	free(out);
	return rc == 0 ? 0 : postfix_fail(pf, rc, "writing %s", dest);
}

/* Length of the parameter name of a "name = value" line; 0 for anything else. */
static size_t postfix_key_len(const char *line)
{
	size_t n = 0;
	while (postfix_name_char(line[n]))
		n++;
	size_t eq = n;
	while (line[eq] == ' ' || line[eq] == '\t')
		eq++;
	return n > 0 && line[eq] == '=' ? n : 0;
}

/* main.cf as a list of lines in which every parameter appears once. */
struct postfix_maincf {
	char **lines;
	size_t count;
	size_t cap;
};

static void postfix_maincf_free(struct postfix_maincf *m)
{
	for (size_t i = 0; i < m->count; i++)
		free(m->lines[i]);
	free(m->lines);
}

static int postfix_maincf_append(struct postfix_maincf *m, char *line)
{
	if (m->count == m->cap) {
		size_t cap = m->cap == 0 ? 64 : m->cap * 2;
		char **lines = realloc(m->lines, cap * sizeof(*lines));
		if (lines == NULL) {
			free(line);
			return SA_ERROR_NOMEM;
		}
		m->lines = lines;
		m->cap = cap;
	}
	m->lines[m->count++] = line;
	return 0;
}

/* Takes line; replaces an earlier line of the same parameter, else appends it. */
static int postfix_maincf_set(struct postfix_maincf *m, char *line)
{
	size_t key = postfix_key_len(line);
	for (size_t i = 0; key > 0 && i < m->count; i++) {
		if (postfix_key_len(m->lines[i]) == key && strncmp(m->lines[i], line, key) == 0) {
			free(m->lines[i]);
			m->lines[i] = line;
			return 0;
		}
	}
	return postfix_maincf_append(m, line);
}

/* The base template, line by line; an indented line continues the one before. */
static int postfix_maincf_load(struct postfix_maincf *m, const char *text)
{
	int rc = 0;
	for (const char *p = text; rc == 0 && *p != '\0';) {
		size_t n = strcspn(p, "\n");
		bool continuation = (*p == ' ' || *p == '\t') && m->count > 0;
		char *line = strndup(p, n);
		if (line == NULL)
			return SA_ERROR_NOMEM;
		if (continuation) {
			char *joined;
			if (asprintf(&joined, "%s\n%s", m->lines[m->count - 1], line) < 0)
				joined = NULL;
			free(line);
			if (joined == NULL)
				return SA_ERROR_NOMEM;
			free(m->lines[m->count - 1]);
			m->lines[m->count - 1] = joined;
		} else {
			rc = postfix_maincf_set(m, line);
		}
		p += n + (p[n] == '\n');
	}
	return rc;
}

static int postfix_maincf_override(const struct postfix *pf, struct postfix_maincf *m,
                                   const char *const lines[])
{
	for (size_t i = 0; lines != NULL && lines[i] != NULL; i++) {
		if (postfix_key_len(lines[i]) == 0 || strchr(lines[i], '\n') != NULL)
			return postfix_fail(pf, SA_ERROR_INVAL,
			                    "override \"%s\" is not one "
			                    "\"key = value\" line",
			                    lines[i]);
		char *line = strdup(lines[i]);
		if (line == NULL)
			return SA_ERROR_NOMEM;
		int rc = postfix_maincf_set(m, line);
		if (rc != 0)
			return rc;
	}
	return 0;
}

static int postfix_maincf_write(const struct postfix *pf, const struct postfix_maincf *m)
{
	struct postfix_vars vars = {0};
	postfix_vars_init(&vars, pf);
	char *text = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&text, &len);
	if (mem == NULL)
		return SA_ERROR_NOMEM;
	int rc = 0;
	for (size_t i = 0; i < m->count && rc == 0; i++) {
		char *line = postfix_substitute(m->lines[i], &vars);
		if (line == NULL)
			rc = SA_ERROR_NOMEM;
		else
			fprintf(mem, "%s\n", line);
		free(line);
	}
	if (fclose(mem) != 0 && rc == 0)
		rc = SA_ERROR_NOMEM;
	char path[512];
	if (rc == 0 && !postfix_path(pf, "main.cf", path, sizeof(path)))
		rc = SA_ERROR_RANGE;
	if (rc == 0)
		rc = postfix_write_file(path, text, 0644);
	free(text);
	return rc == 0 ? 0 : postfix_fail(pf, rc, "writing main.cf");
}

static int postfix_write_maincf(const struct postfix *pf, const char *const overrides[],
                                const char *const extra[])
{
	char *base;
	int rc = postfix_read_file(POSTFIX_TEMPLATE_DIR "main.cf.base", &base, NULL);
	if (rc != 0)
		return postfix_fail(pf, rc, "reading %s", POSTFIX_TEMPLATE_DIR "main.cf.base");
	struct postfix_maincf m = {0};
	rc = postfix_maincf_load(&m, base);
	free(base);
	if (rc == 0)
		rc = postfix_maincf_override(pf, &m, overrides);
	if (rc == 0)
		rc = postfix_maincf_override(pf, &m, extra);
	if (rc == 0)
		rc = postfix_maincf_write(pf, &m);
	postfix_maincf_free(&m);
	return rc;
}

/* How a helper process relates to the test process that forks it. */
enum postfix_spawn_kind {
	/* openssl, saslpasswd2: die with the test. */
	POSTFIX_SPAWN_TOOL,
	/* The master: leads a session and process group of its own. */
	POSTFIX_SPAWN_MASTER,
	/* The guard: outlives the test, and a signal to the test's process group, to clean up. */
	POSTFIX_SPAWN_GUARD,
};

/* In the child between fork and exec: async-signal-safe calls only. */
static void postfix_child_exec(const char *const argv[], int in_fd, int out_fd,
                               enum postfix_spawn_kind kind, pid_t parent)
{
	static const char *const env[] = {"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LANG=C", NULL};
	if (kind != POSTFIX_SPAWN_TOOL)
		setsid();
	/* The master would lose this setting anyway (see postfix_live). */
	if (kind == POSTFIX_SPAWN_TOOL &&
	    (prctl(PR_SET_PDEATHSIG, SIGTERM) != 0 || getppid() != parent))
		_exit(127);
	/* The test's signal mask and ignored signals would otherwise survive exec. */
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	struct sigaction dfl = {.sa_handler = SIG_DFL};
	for (int sig = 1; sig < NSIG; sig++)
		sigaction(sig, &dfl, NULL);
	if (dup2(in_fd, STDIN_FILENO) < 0 || dup2(out_fd, STDOUT_FILENO) < 0 ||
	    dup2(out_fd, STDERR_FILENO) < 0)
		_exit(127);
	/* Criterion's and the test's own descriptors are none of Postfix's business. */
	close_range(3, ~0U, 0);
	execve(argv[0], (char *const *)argv, (char *const *)env);
	_exit(127);
}

/*
 * Forks argv[0] with stdin from in_fd (or /dev/null) and stdout and
 * stderr appended to the instance file out_name; *pid on success.
 */
static int postfix_spawn(const struct postfix *pf, const char *const argv[], int in_fd,
                         const char *out_name, enum postfix_spawn_kind kind, pid_t *pid)
{
	char out_path[512];
	if (!postfix_path(pf, out_name, out_path, sizeof(out_path)))
		return SA_ERROR_RANGE;
	int out_fd = open(out_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	int null_fd = in_fd < 0 ? open("/dev/null", O_RDONLY | O_CLOEXEC) : -1;
	int rc = 0;
	if (out_fd < 0 || (in_fd < 0 && null_fd < 0)) {
		rc = SA_ERROR_IO;
	} else {
		pid_t parent = getpid();
		pid_t child = fork();
		if (child == 0)
			postfix_child_exec(argv, in_fd < 0 ? null_fd : in_fd, out_fd, kind, parent);
		if (child < 0)
			rc = SA_ERROR_AGAIN;
		else
			*pid = child;
	}
	if (out_fd >= 0)
		close(out_fd);
	if (null_fd >= 0)
		close(null_fd);
	return rc;
}

/* Reaps pid within timeout_ms: 0, or SA_ERROR_TIMEOUT. A pid not our child counts as gone. */
static int postfix_reap(pid_t pid, int timeout_ms, int *status)
{
	int64_t deadline = postfix_now_ms() + timeout_ms;
	for (;;) {
		pid_t got = waitpid(pid, status, WNOHANG);
		if (got == pid || (got < 0 && errno == ECHILD))
			return 0;
		if (postfix_now_ms() >= deadline)
			return SA_ERROR_TIMEOUT;
		postfix_sleep_ms(POSTFIX_POLL_MS);
	}
}

/* Runs a helper program to completion (bounded); 0 when it exited 0. */
static int postfix_run_tool(const struct postfix *pf, const char *const argv[], const char *input)
{
	int in[2] = {-1, -1};
	if (input != NULL) {
		if (pipe2(in, O_CLOEXEC) != 0)
			return postfix_fail(pf, SA_ERROR_IO, "pipe for %s", argv[0]);
		/* The input is a password: far below the pipe's capacity. */
		ssize_t n = write(in[1], input, strlen(input));
		close(in[1]);
		if (n != (ssize_t)strlen(input)) {
			close(in[0]);
			return postfix_fail(pf, SA_ERROR_IO, "input for %s", argv[0]);
		}
	}
	pid_t pid;
	int rc = postfix_spawn(pf, argv, in[0], "tools.log", POSTFIX_SPAWN_TOOL, &pid);
	if (in[0] >= 0)
		close(in[0]);
	if (rc != 0)
		return postfix_fail(pf, rc, "starting %s", argv[0]);
	int status = 0;
	if (postfix_reap(pid, POSTFIX_TOOL_MS, &status) != 0) {
		kill(pid, SIGKILL);
		postfix_reap(pid, POSTFIX_KILL_MS, &status);
		return postfix_fail(pf, SA_ERROR_TIMEOUT, "%s did not finish", argv[0]);
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return postfix_fail(pf, SA_ERROR_IO, "%s failed, see tools.log", argv[0]);
	return 0;
}

static int postfix_lookup_ids(struct postfix_ids *ids)
{
	const struct passwd *pw = getpwnam("postfix");
	if (pw == NULL)
		return SA_ERROR_NOTFOUND;
	ids->mail_uid = pw->pw_uid;
	ids->mail_gid = pw->pw_gid;
	const struct group *gr = getgrnam("postdrop");
	if (gr == NULL)
		return SA_ERROR_NOTFOUND;
	ids->postdrop_gid = gr->gr_gid;
	return 0;
}

static int postfix_make_dirs(const struct postfix *pf, const struct postfix_ids *ids)
{
	for (size_t i = 0; i < sizeof(postfix_dirs) / sizeof(postfix_dirs[0]); i++) {
		const struct postfix_dir *d = &postfix_dirs[i];
		uid_t uid = d->owner == POSTFIX_OWNER_ROOT ? 0 : ids->mail_uid;
		gid_t gid = d->owner == POSTFIX_OWNER_MAIL_POSTDROP ? ids->postdrop_gid : 0;
		char path[512];
		if (!postfix_path(pf, d->path, path, sizeof(path)))
			return postfix_fail(pf, SA_ERROR_RANGE, "path %s", d->path);
		/* chmod after mkdir: the umask would drop the set-gid bit and group rights. */
		if (mkdir(path, 0700) != 0 || chown(path, uid, gid) != 0 ||
		    chmod(path, d->mode) != 0)
			return postfix_fail(pf, SA_ERROR_IO, "creating %s: %s", d->path,
			                    strerror(errno));
	}
	return 0;
}

/*
 * scripts/gen-test-certs.sh takes seconds, several times what the rest of
 * an instance costs, so its output is shared through the build tree: one
 * directory per hour and version of the script, named "HOUR-MTIME". An
 * hour moves the certificates' dates too little to matter (the nearest
 * limit is "expiring": 5 days), and a changed script is run again.
 */
static int postfix_cert_cache_path(char *buf, size_t buflen, long *hour)
{
	struct stat st;
	if (stat(POSTFIX_CERT_SCRIPT, &st) != 0 || access(POSTFIX_CERT_SCRIPT, X_OK) != 0)
		return SA_ERROR_NOTFOUND;
	*hour = (long)(time(NULL) / POSTFIX_CERT_TTL_S);
	int n =
	    snprintf(buf, buflen, "%s/%ld-%lld", POSTFIX_CERT_CACHE, *hour, (long long)st.st_mtime);
	return n > 0 && (size_t)n < buflen ? 0 : SA_ERROR_RANGE;
}

/*
 * Removes cache entries from before the previous hour (another test may
 * still be copying from the previous one) and unfinished runs older than
 * an hour, left by a test that died while the script ran.
 */
static void postfix_cert_cache_prune(long hour)
{
	DIR *cache = opendir(POSTFIX_CERT_CACHE);
	if (cache == NULL)
		return;
	const struct dirent *e;
	while ((e = readdir(cache)) != NULL) {
		char path[512];
		struct stat st;
		char *end;
		long entry_hour = strtol(e->d_name, &end, 10);
		bool run = strncmp(e->d_name, "run.", 4) == 0;
		int n = snprintf(path, sizeof(path), "%s/%s", POSTFIX_CERT_CACHE, e->d_name);
		if (n < 0 || (size_t)n >= sizeof(path) || lstat(path, &st) != 0)
			continue;
		bool stale_run = run && st.st_mtime < time(NULL) - POSTFIX_CERT_TTL_S;
		bool old_hour = end != e->d_name && *end == '-' && entry_hour < hour - 1;
		if (stale_run || old_hour)
			postfix_remove_tree(path);
	}
	closedir(cache);
}

/* Runs the script into a private directory, then publishes it as cached; a racing test may win. */
static int postfix_cert_cache_fill(const struct postfix *pf, const char *cached)
{
	char run[512];
	snprintf(run, sizeof(run), "%s/run.XXXXXX", POSTFIX_CERT_CACHE);
	if ((mkdir(POSTFIX_CERT_CACHE, 0755) != 0 && errno != EEXIST) || mkdtemp(run) == NULL)
		return postfix_fail(pf, SA_ERROR_IO, "%s: %s", POSTFIX_CERT_CACHE, strerror(errno));
	const char *const argv[] = {POSTFIX_CERT_SCRIPT, run, POSTFIX_HOSTNAME, NULL};
	int rc = postfix_run_tool(pf, argv, NULL);
	if (rc == 0 && rename(run, cached) != 0 && errno != EEXIST && errno != ENOTEMPTY)
		rc = postfix_fail(pf, SA_ERROR_IO, "publishing %s: %s", cached, strerror(errno));
	postfix_remove_tree(run);
	return rc;
}

static int postfix_copy_file(const char *from, const char *to, mode_t mode)
{
	char *text;
	int rc = postfix_read_file(from, &text, NULL);
	if (rc == 0) {
		rc = postfix_write_file(to, text, mode);
		free(text);
	}
	return rc;
}

/* Copies every regular file of dir into the instance's POSTFIX_CERT_DIR, modes kept. */
static int postfix_cert_copy(const struct postfix *pf, const char *dir)
{
	DIR *d = opendir(dir);
	if (d == NULL)
		return postfix_fail(pf, SA_ERROR_IO, "%s: %s", dir, strerror(errno));
	int rc = 0;
	const struct dirent *e;
	while (rc == 0 && (e = readdir(d)) != NULL) {
		char from[512], name[300], to[512];
		struct stat st;
		int n = snprintf(from, sizeof(from), "%s/%s", dir, e->d_name);
		snprintf(name, sizeof(name), "%s/%s", POSTFIX_CERT_DIR, e->d_name);
		if (n < 0 || (size_t)n >= sizeof(from) || !postfix_path(pf, name, to, sizeof(to)))
			rc = SA_ERROR_RANGE;
		else if (lstat(from, &st) != 0)
			rc = SA_ERROR_IO;
		else if (S_ISREG(st.st_mode))
			rc = postfix_copy_file(from, to, st.st_mode & 0777);
		if (rc != 0)
			postfix_fail(pf, rc, "copying %s", from);
	}
	closedir(d);
	return rc;
}

/*
 * Every test certificate of scripts/gen-test-certs.sh, for
 * POSTFIX_HOSTNAME, into DIR/certs: the configurations choose among
 * them, and a test may trust DIR/certs/ca.crt. smtpd reads keys as root.
 */
static int postfix_make_certs(const struct postfix *pf)
{
	char cached[512];
	long hour;
	int rc = postfix_cert_cache_path(cached, sizeof(cached), &hour);
	if (rc != 0)
		return postfix_fail(pf, rc, "%s", POSTFIX_CERT_SCRIPT);
	struct stat st;
	if (stat(cached, &st) != 0) {
		postfix_cert_cache_prune(hour);
		if ((rc = postfix_cert_cache_fill(pf, cached)) != 0)
			return rc;
	}
	return postfix_cert_copy(pf, cached);
}

/* smtpd opens the sasldb as the postfix user at AUTH time, not at start. */
static int postfix_make_sasldb(const struct postfix *pf, const struct postfix_ids *ids)
{
	char db[512];
	if (!postfix_path(pf, "sasldb2", db, sizeof(db)))
		return postfix_fail(pf, SA_ERROR_RANGE, "sasldb path");
	const char *const argv[] = {
	    POSTFIX_SASLPASSWD, "-p", "-c", "-f", db, "-u", POSTFIX_HOSTNAME,
	    POSTFIX_SASL_USER,  NULL,
	};
	int rc = postfix_run_tool(pf, argv, POSTFIX_SASL_PASSWORD);
	if (rc != 0)
		return rc;
	if (chown(db, 0, ids->mail_gid) != 0 || chmod(db, 0640) != 0)
		return postfix_fail(pf, SA_ERROR_IO, "sasldb permissions: %s", strerror(errno));
	return 0;
}

static int postfix_sockaddr(const char *address, uint16_t port, struct sockaddr_storage *ss,
                            socklen_t *len)
{
	memset(ss, 0, sizeof(*ss));
	struct sockaddr_in *in4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;
	if (inet_pton(AF_INET, address, &in4->sin_addr) == 1) {
		in4->sin_family = AF_INET;
		in4->sin_port = htons(port);
		*len = sizeof(*in4);
		return ntohl(in4->sin_addr.s_addr) >> 24 == 127 ? 0 : SA_ERROR_INVAL;
	}
	if (inet_pton(AF_INET6, address, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons(port);
		*len = sizeof(*in6);
		return IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr) ? 0 : SA_ERROR_INVAL;
	}
	return SA_ERROR_INVAL;
}

/* A port nobody listens on now; the launch retries if someone takes it first. */
static int postfix_pick_port(struct postfix *pf)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int rc = postfix_sockaddr(pf->address, 0, &ss, &len);
	if (rc != 0)
		return rc;
	int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return postfix_fail(pf, SA_ERROR_IO, "socket: %s", strerror(errno));
	if (bind(fd, (struct sockaddr *)&ss, len) != 0 ||
	    getsockname(fd, (struct sockaddr *)&ss, &len) != 0)
		rc = postfix_fail(pf, SA_ERROR_IO, "binding %s: %s", pf->address, strerror(errno));
	else
		pf->port = ntohs(ss.ss_family == AF_INET ? ((struct sockaddr_in *)&ss)->sin_port
		                                         : ((struct sockaddr_in6 *)&ss)->sin6_port);
	close(fd);
	return rc;
}

static int postfix_configure_port(struct postfix *pf)
{
	int rc = postfix_pick_port(pf);
	if (rc == 0)
		rc = postfix_render(pf, POSTFIX_TEMPLATE_DIR "master.cf.in", "master.cf", 0644);
	return rc;
}

static int postfix_write_instance(struct postfix *pf, const char *const overrides[],
                                  const char *const extra[])
{
	struct postfix_ids ids;
	int rc = postfix_lookup_ids(&ids);
	if (rc != 0)
		return postfix_fail(pf, rc, "user postfix or group postdrop");
	if ((rc = postfix_make_dirs(pf, &ids)) != 0 ||
	    (rc = postfix_render(pf, POSTFIX_TEMPLATE_DIR "local_recipients", "local_recipients",
	                         0644)) != 0 ||
	    (rc = postfix_render(pf, POSTFIX_TEMPLATE_DIR "aliases", "aliases", 0644)) != 0 ||
	    (rc = postfix_render(pf, POSTFIX_TEMPLATE_DIR "openssl-legacy.cnf",
	                         "openssl-legacy.cnf", 0644)) != 0 ||
	    (rc = postfix_render(pf, POSTFIX_TEMPLATE_DIR "smtpd.conf.in", "sasl/smtpd.conf",
	                         0644)) != 0 ||
	    (rc = postfix_write_maincf(pf, overrides, extra)) != 0 ||
	    (rc = postfix_make_certs(pf)) != 0 || (rc = postfix_make_sasldb(pf, &ids)) != 0)
		return rc;
	return postfix_configure_port(pf);
}

static void postfix_live_stop_all(void)
{
	if (getpid() != postfix_live_owner)
		return;
	for (size_t i = 0; i < POSTFIX_MAX_LIVE; i++) {
		if (postfix_live[i].pf.dir[0] == '\0')
			continue;
		struct postfix copy = postfix_live[i].pf;
		postfix_stop(&copy);
	}
}

static struct postfix_live *postfix_live_find(const char *dir)
{
	for (size_t i = 0; i < POSTFIX_MAX_LIVE; i++)
		if (strcmp(postfix_live[i].pf.dir, dir) == 0)
			return &postfix_live[i];
	return NULL;
}

/* A forked child inherits its parent's table and guard pipes: neither is its own. */
static void postfix_live_disown(void)
{
	for (size_t i = 0; i < POSTFIX_MAX_LIVE; i++)
		if (postfix_live[i].guard > 0)
			close(postfix_live[i].guard_fd);
	memset(postfix_live, 0, sizeof(postfix_live));
}

static int postfix_live_add(const struct postfix *pf)
{
	if (postfix_live_owner != getpid()) {
		postfix_live_disown();
		if (postfix_live_owner == 0 && atexit(postfix_live_stop_all) != 0)
			return SA_ERROR_NOMEM;
		postfix_live_owner = getpid();
	}
	struct postfix_live *slot = postfix_live_find("");
	if (slot == NULL)
		return SA_ERROR_TOOBIG;
	*slot = (struct postfix_live){.pf = *pf};
	return 0;
}

static void postfix_live_update(const struct postfix *pf)
{
	struct postfix_live *slot = postfix_live_find(pf->dir);
	if (slot != NULL)
		slot->pf = *pf;
}

static void postfix_guard_dismiss(const struct postfix *pf)
{
	struct postfix_live *slot = postfix_live_find(pf->dir);
	if (slot == NULL || slot->guard <= 0)
		return;
	int status;
	kill(slot->guard, SIGKILL);
	postfix_reap(slot->guard, POSTFIX_KILL_MS, &status);
	close(slot->guard_fd);
	slot->guard = 0;
}

static void postfix_live_remove(const struct postfix *pf)
{
	postfix_guard_dismiss(pf);
	struct postfix_live *slot = postfix_live_find(pf->dir);
	if (slot != NULL)
		memset(slot, 0, sizeof(*slot));
}

/* Starts the guard of a running master; the write end of its pipe stays here. */
static int postfix_guard(const struct postfix *pf)
{
	struct postfix_live *slot = postfix_live_find(pf->dir);
	assert(slot != NULL && slot->guard == 0);
	char master[24];
	snprintf(master, sizeof(master), "%ld", (long)pf->pid);
	const char *const argv[] = {
	    "/bin/sh", "-c", postfix_guard_script, "sa-postfix-guard", master, pf->dir, NULL};
	int fds[2];
	if (pipe2(fds, O_CLOEXEC) != 0)
		return postfix_fail(pf, SA_ERROR_IO, "guard pipe: %s", strerror(errno));
	pid_t guard;
	int rc = postfix_spawn(pf, argv, fds[0], "guard.log", POSTFIX_SPAWN_GUARD, &guard);
	close(fds[0]);
	if (rc != 0) {
		close(fds[1]);
		return postfix_fail(pf, rc, "starting the guard");
	}
	slot->guard = guard;
	slot->guard_fd = fds[1];
	return 0;
}

/* Offset of needle in the instance's log at or after from, or -1. */
static long postfix_log_find(const struct postfix *pf, const char *needle, size_t from)
{
	char path[512], *text;
	size_t len;
	if (!postfix_path(pf, "maillog", path, sizeof(path)) ||
	    postfix_read_file(path, &text, &len) != 0)
		return -1;
	const char *hit = from <= len ? strstr(text + from, needle) : NULL;
	long off = hit == NULL ? -1 : (long)(hit - text);
	free(text);
	return off;
}

static size_t postfix_log_size(const struct postfix *pf)
{
	char path[512];
	struct stat st;
	if (!postfix_path(pf, "maillog", path, sizeof(path)) || stat(path, &st) != 0)
		return 0;
	return (size_t)st.st_size;
}

static void postfix_print_tail(const struct postfix *pf, const char *name)
{
	char path[512], *text;
	size_t len;
	if (!postfix_path(pf, name, path, sizeof(path)) ||
	    postfix_read_file(path, &text, &len) != 0)
		return;
	size_t from = len > POSTFIX_LOG_TAIL ? len - POSTFIX_LOG_TAIL : 0;
	if (len > 0)
		fprintf(stderr, "---- end of %s ----\n%s\n----\n", path, text + from);
	free(text);
}

/*
 * The master logs through postlogd, which it starts itself: what goes
 * wrong before that (a bad queue_directory, a port taken) is sent to
 * syslog, and there is none here.
 */
static void postfix_explain(const struct postfix *pf)
{
	postfix_print_tail(pf, "master.out");
	postfix_print_tail(pf, "maillog");
	if (postfix_log_size(pf) == 0)
		fprintf(stderr,
		        "postfix fixture (%s): Postfix logged nothing (its early errors go to "
		        "syslog). Try: postconf -c %s -n; ls -l %s/queue\n",
		        pf->dir, pf->dir, pf->dir);
}

/* Whether the master has exited, without reaping it: its pid stays ours until we do. */
static bool postfix_master_exited(pid_t pid)
{
	siginfo_t info = {0};
	if (waitid(P_PID, (id_t)pid, &info, WEXITED | WNOHANG | WNOWAIT) != 0)
		return errno == ECHILD;
	return info.si_pid == pid;
}

static int postfix_connect(const struct postfix *pf, int timeout_ms, int *out)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int rc = postfix_sockaddr(pf->address, pf->port, &ss, &len);
	if (rc != 0)
		return rc;
	int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return SA_ERROR_IO;
	if (connect(fd, (struct sockaddr *)&ss, len) != 0 && errno != EINPROGRESS) {
		rc = sa_error_from_errno(-errno);
		close(fd);
		return rc;
	}
	struct pollfd p = {.fd = fd, .events = POLLOUT};
	int err = 0;
	socklen_t errlen = sizeof(err);
	if (poll(&p, 1, timeout_ms) != 1)
		err = ETIMEDOUT;
	else if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &errlen) != 0)
		err = errno;
	if (err != 0) {
		close(fd);
		return sa_error_from_errno(-err);
	}
	*out = fd;
	return 0;
}

/* Whether a stranger listens on the port: a master that finds it taken exits. */
static bool postfix_port_taken(const struct postfix *pf)
{
	int fd = -1;
	if (postfix_connect(pf, POSTFIX_GREETING_MS, &fd) != 0)
		return false;
	close(fd);
	return true;
}

/* Connects and reads the first reply line: 0 when it is a 220 greeting. */
static int postfix_greeting(const struct postfix *pf, int timeout_ms)
{
	int64_t deadline = postfix_now_ms() + timeout_ms;
	int fd = -1;
	int rc = postfix_connect(pf, timeout_ms, &fd);
	if (rc != 0)
		return rc;
	char line[512] = "";
	size_t len = 0;
	rc = SA_ERROR_TIMEOUT;
	while (len < sizeof(line) - 1 && memchr(line, '\n', len) == NULL) {
		int left = (int)(deadline - postfix_now_ms());
		struct pollfd p = {.fd = fd, .events = POLLIN};
		if (left <= 0 || poll(&p, 1, left) != 1)
			break;
		ssize_t n = read(fd, line + len, sizeof(line) - 1 - len);
		if (n <= 0 && !(n < 0 && (errno == EINTR || errno == EAGAIN))) {
			rc = SA_ERROR_CLOSED;
			break;
		}
		len += n > 0 ? (size_t)n : 0;
	}
	if (memchr(line, '\n', len) != NULL)
		rc = strncmp(line, "220", 3) == 0 ? 0 : SA_ERROR_PROTO;
	if (rc == 0 && write(fd, "QUIT\r\n", 6) != 6)
		rc = SA_ERROR_IO;
	close(fd);
	return rc;
}

/*
 * Ready: the master logged "daemon started" (after binding its listeners,
 * so the port is ours and not a stranger's) and the port greets with 220.
 * SA_ERROR_IO when the master exited or any daemon logged a fatal error.
 */
static int postfix_wait_ready(const struct postfix *pf, size_t log_from, int64_t deadline)
{
	char started[96];
	snprintf(started, sizeof(started), "postfix/master[%ld]: daemon started", (long)pf->pid);
	bool bound = false;
	for (;;) {
		if (postfix_master_exited(pf->pid))
			return postfix_fail(pf, SA_ERROR_IO, "master exited while starting");
		if (postfix_log_find(pf, "fatal:", log_from) >= 0)
			return postfix_fail(pf, SA_ERROR_IO, "Postfix logged a fatal error");
		bound = bound || postfix_log_find(pf, started, log_from) >= 0;
		int left = (int)(deadline - postfix_now_ms());
		if (left <= 0)
			return postfix_fail(pf, SA_ERROR_TIMEOUT, "no greeting on port %u",
			                    (unsigned)pf->port);
		int patience = left < POSTFIX_GREETING_MS ? left : POSTFIX_GREETING_MS;
		if (bound && postfix_greeting(pf, patience) == 0)
			return 0;
		postfix_sleep_ms(POSTFIX_POLL_MS);
	}
}

static bool postfix_wait_group_gone(pid_t pgid, int timeout_ms)
{
	int64_t deadline = postfix_now_ms() + timeout_ms;
	while (run_group_processes(pgid) > 0) {
		if (postfix_now_ms() >= deadline)
			return false;
		postfix_sleep_ms(POSTFIX_POLL_MS);
	}
	return true;
}

/* Ends every process of the instance; the directory stays. */
static void postfix_terminate(struct postfix *pf)
{
	postfix_guard_dismiss(pf);
	pid_t pgid = pf->pid;
	if (pgid <= 0)
		return;
	int status;
	/* The master passes SIGTERM to its process group, then exits. */
	kill(pgid, SIGTERM);
	if (postfix_reap(pgid, POSTFIX_GRACE_MS, &status) != 0) {
		kill(-pgid, SIGKILL);
		postfix_reap(pgid, POSTFIX_KILL_MS, &status);
	}
	if (!postfix_wait_group_gone(pgid, POSTFIX_GRACE_MS)) {
		kill(-pgid, SIGKILL);
		if (!postfix_wait_group_gone(pgid, POSTFIX_KILL_MS))
			postfix_fail(pf, SA_ERROR_TIMEOUT, "processes of group %ld survive SIGKILL",
			             (long)pgid);
	}
	pf->pid = 0;
	postfix_live_update(pf);
}

int postfix_prepare(struct postfix *pf, const char *address, const char *const overrides[],
                    const char *const extra[])
{
	*pf = (struct postfix){0};
	struct sockaddr_storage ss;
	socklen_t len;
	if (address == NULL || strlen(address) >= sizeof(pf->address) ||
	    postfix_sockaddr(address, 0, &ss, &len) != 0)
		return postfix_fail(pf, SA_ERROR_INVAL, "address %s is not loopback",
		                    address != NULL ? address : "(null)");
	strcpy(pf->address, address);
	snprintf(pf->dir, sizeof(pf->dir), "%sXXXXXX", POSTFIX_DIR_PREFIX);
	if (mkdtemp(pf->dir) == NULL) {
		pf->dir[0] = '\0';
		return postfix_fail(pf, SA_ERROR_IO, "mkdtemp: %s", strerror(errno));
	}
	int rc = postfix_live_add(pf);
	if (rc != 0) {
		postfix_fail(pf, rc, "more than %d instances", POSTFIX_MAX_LIVE);
		rmdir(pf->dir);
		pf->dir[0] = '\0';
		return rc;
	}
	/* The daemons run as user postfix and must reach the queue below it. */
	if (chmod(pf->dir, 0755) != 0)
		return postfix_fail(pf, SA_ERROR_IO, "chmod: %s", strerror(errno));
	return postfix_write_instance(pf, overrides, extra);
}

int postfix_launch(struct postfix *pf)
{
	assert(pf->dir[0] != '\0' && pf->pid == 0);
	char config_dir[sizeof(pf->dir)];
	memcpy(config_dir, pf->dir, sizeof(config_dir));
	const char *const argv[] = {POSTFIX_MASTER, "-c", config_dir, "-d", NULL};
	int64_t deadline = postfix_now_ms() + POSTFIX_START_TIMEOUT_MS;
	int rc = 0;
	for (int attempt = 0; attempt < POSTFIX_LAUNCHES; attempt++) {
		/* Another process may have taken the port since it was picked. */
		if (attempt > 0 && (rc = postfix_configure_port(pf)) != 0)
			break;
		size_t log_from = postfix_log_size(pf);
		pid_t pid;
		rc = postfix_spawn(pf, argv, -1, "master.out", POSTFIX_SPAWN_MASTER, &pid);
		if (rc != 0) {
			postfix_fail(pf, rc, "fork");
			break;
		}
		pf->pid = pid;
		postfix_live_update(pf);
		rc = postfix_guard(pf);
		if (rc == 0)
			rc = postfix_wait_ready(pf, log_from, deadline);
		if (rc == 0)
			return 0;
		postfix_terminate(pf);
		if (rc != SA_ERROR_IO || !postfix_port_taken(pf))
			break;
		fprintf(stderr, "postfix fixture (%s): port %u was taken, trying another\n",
		        pf->dir, (unsigned)pf->port);
	}
	postfix_explain(pf);
	return rc;
}

int postfix_start(struct postfix *pf, const char *address, const char *const overrides[])
{
	int rc = postfix_prepare(pf, address, overrides, NULL);
	if (rc == 0)
		rc = postfix_launch(pf);
	if (rc != 0)
		postfix_stop(pf);
	return rc;
}

void postfix_stop(struct postfix *pf)
{
	postfix_terminate(pf);
	if (pf->dir[0] != '\0') {
		assert(strncmp(pf->dir, POSTFIX_DIR_PREFIX, strlen(POSTFIX_DIR_PREFIX)) == 0);
		postfix_live_remove(pf);
		postfix_remove_tree(pf->dir);
		pf->dir[0] = '\0';
	}
	pf->port = 0;
}

const char *postfix_target(const struct postfix *pf, char *buf, size_t buflen)
{
	bool v6 = strchr(pf->address, ':') != NULL;
	int n = snprintf(buf, buflen, v6 ? "[%s]:%u" : "%s:%u", pf->address, (unsigned)pf->port);
	return n > 0 && (size_t)n < buflen ? buf : NULL;
}

const char *postfix_instance_path(const struct postfix *pf, const char *name, char *buf,
                                  size_t buflen)
{
	return postfix_path(pf, name, buf, buflen) ? buf : NULL;
}

const char *const *postfix_config(const char *name)
{
	for (size_t i = 0; name != NULL && i < sizeof(postfix_named) / sizeof(postfix_named[0]);
	     i++)
		if (strcmp(postfix_named[i].name, name) == 0)
			return postfix_named[i].lines;
	return NULL;
}

bool postfix_available(void)
{
	struct postfix_ids ids;
	return geteuid() == 0 && access(POSTFIX_MASTER, X_OK) == 0 &&
	       access(POSTFIX_SASLPASSWD, X_OK) == 0 && access(POSTFIX_OPENSSL, X_OK) == 0 &&
	       postfix_lookup_ids(&ids) == 0;
}

bool postfix_log_wait(const struct postfix *pf, const char *needle, int timeout_ms)
{
	int64_t deadline = postfix_now_ms() + timeout_ms;
	while (postfix_log_find(pf, needle, 0) < 0) {
		if (postfix_now_ms() >= deadline)
			return false;
		postfix_sleep_ms(POSTFIX_POLL_MS);
	}
	return true;
}

/* Process group and state of /proc/PID/stat; the command name may hold spaces and parentheses. */
