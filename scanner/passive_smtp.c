/*
 * NAME
 *	passive_smtp - follow SMTP dialogs in captured traffic and report what they reveal
 *
 * DESCRIPTION
 *	One struct passive_flow per TCP flow, one struct passive_server (a
 *	target_result) per server address:port. The client direction is cut
 *	into lines by hand (commands, SASL responses) or skipped without
 *	buffering (message bodies, BDAT chunks); the server direction goes
 *	through smtp_reply. Each command the client sends is queued, and each
 *	complete reply takes the oldest one, which is what makes pipelining
 *	work. See passive_smtp.h for what is reported.
 *
 *	The two directions arrive in capture order, so a server's reply is
 *	seen before the client's reaction to it. That is what lets the client
 *	side switch state at the command (AUTH: the next lines are SASL
 *	responses; DATA: the next lines are the body) and the reply undo it
 *	(a refused DATA, a final AUTH reply).
 *
 *	Secrets: a decoded SASL response is wiped before it is freed, and only
 *	the user name is copied out of it; the raw AUTH and response lines are
 *	never stored.
 */
#include "passive_smtp.h"

#include <arpa/inet.h>
#include <assert.h>
#include <ctype.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <uthash.h>

#include "codec.h"
#include "sa_error.h"
#include "smtp_caps.h"
#include "smtp_reply.h"
#include "tls_hello.h"
#include "tls_suites.h"

/* Replies awaited at once: a client that pipelines more commands is not followed exactly. */
#define PASSIVE_MAX_PENDING 1024
/* Evidence notes of flows per finding; more flows are counted as dropped evidence. */
#define PASSIVE_MAX_FLOW_NOTES 32
/* Findings per server: a server with more distinct clients stops collecting new ones. */
#define PASSIVE_MAX_FINDINGS 4096
#define PASSIVE_USER_MAX     128
#define PASSIVE_HELO_MAX     256
#define PASSIVE_RCPT_MAX     320
#define PASSIVE_DETAIL_MAX   480
#define PASSIVE_ADDR_MAX     (INET6_ADDRSTRLEN + 8) /* "[v6]:65535" */

static const uint16_t passive_default_submission[] = {587};

struct passive_server {
	char key[PASSIVE_ADDR_MAX];
	struct target_result *result;
	bool submission;
	UT_hash_handle hh;
};

struct passive_smtp {
	struct passive_smtp_config cfg;
	struct passive_server *servers; /* uthash by key */
	size_t nservers;
	struct passive_smtp_stats stats;
};

enum passive_mode {
	PASSIVE_TEXT,      /* SMTP in cleartext */
	PASSIVE_TLS_HELLO, /* TLS started: waiting for the server's first record */
	PASSIVE_TLS,       /* encrypted: nothing more to read */
};

enum passive_client {
	CLIENT_COMMAND,
	CLIENT_AUTH, /* lines are SASL responses until the final AUTH reply */
	CLIENT_BODY, /* DATA content up to the line "." */
	CLIENT_BDAT, /* a BDAT chunk: bdat_left raw bytes */
};

enum passive_body {
	BODY_LINE_START,
	BODY_MID,
	BODY_DOT,    /* "." at the start of a line */
	BODY_DOT_CR, /* ".\r" */
};

enum passive_cmd {
	CMD_GREETING,
	CMD_EHLO,
	CMD_HELO,
	CMD_STARTTLS,
	CMD_AUTH,
	CMD_MAIL,
	CMD_RCPT,
	CMD_DATA,
	CMD_DATA_END,
	CMD_OTHER,
};

struct passive_pending {
	enum passive_cmd cmd;
	char *rcpt; /* CMD_RCPT that would be relaying if accepted, else NULL */
};

struct passive_line {
	char *buf;
	size_t len, cap;
	bool skipping; /* over-long, or resynchronising: drop up to the next LF */
};

struct passive_auth {
	char mech[24];
	char user[PASSIVE_USER_MAX];
	unsigned responses;
	bool active;
};

struct passive_flow {
	struct passive_smtp *t;
	struct passive_server *server;
	char client_ip[INET6_ADDRSTRLEN];
	char client[PASSIVE_ADDR_MAX];
	struct target_addr client_addr;
	bool client_trusted;
	double now;

	enum passive_mode mode;
	enum passive_client cstate;
	enum passive_body body;
	uint64_t bdat_left;
	struct passive_line cline;
	bool server_skipping;
	struct smtp_reply_parser replies;
	unsigned char *tls_record;
	size_t tls_len;

	struct passive_pending *pending;
	size_t pending_head, pending_count, pending_cap;

	struct passive_auth auth;
	char helo[PASSIVE_HELO_MAX];
	bool starttls_offered; /* by the latest EHLO reply */
	bool starttls_sent, starttls_refused, used_tls, authenticated, ignored_starttls;
	bool client_tls;                         /* the client's side is encrypted */
	bool client_after_gap, server_after_gap; /* the next data follows a gap */
};

/* --- addresses and text ------------------------------------------------------------------ */

static void passive_sockaddr(const struct sockaddr_storage *ss, struct target_addr *addr,
                             uint16_t *port)
{
	*addr = (struct target_addr){.family = ss->ss_family};
	if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)ss;
		memcpy(addr->bytes, &s6->sin6_addr, 16);
		*port = ntohs(s6->sin6_port);
	} else {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)ss;
		addr->family = AF_INET;
		memcpy(addr->bytes, &s4->sin_addr, 4);
		*port = ntohs(s4->sin_port);
	}
}

static void passive_endpoint(const struct target_addr *addr, uint16_t port, char *ip, size_t iplen,
                             char *text, size_t textlen)
{
	target_addr_str(addr, ip, iplen);
	if (addr->family == AF_INET6)
		snprintf(text, textlen, "[%s]:%u", ip, port);
	else
		snprintf(text, textlen, "%s:%u", ip, port);
}

/* "2026-11-22T17:00:00.123Z" of a capture time. */
static void passive_time(double ts, char *buf, size_t buflen)
{
	if (!(ts >= 0 && ts < 253402300800.0))
		ts = 0;
	time_t sec = (time_t)ts;
	struct tm tm;
	gmtime_r(&sec, &tm);
	char day[32];
	strftime(day, sizeof(day), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf, buflen, "%s.%03dZ", day, (int)((ts - (double)sec) * 1000) % 1000);
}

static bool passive_port_in(uint16_t port, const uint16_t *ports, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (ports[i] == port)
			return true;
	return false;
}

/* --- findings ---------------------------------------------------------------------------- */

static bool passive_same_variant(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

/*
 * The finding (id, variant) of the flow's server, created when new
 * (*created set); NULL when out of memory or over the bound. The pointer
 * is valid until the next finding is added.
 */
static struct finding *passive_finding(struct passive_flow *f, enum catalog_id id,
                                       const char *variant, bool *created)
{
	struct target_result *t = f->server->result;
	*created = false;
	for (size_t i = 0; i < t->nfindings; i++)
		if (t->findings[i].id == id &&
		    passive_same_variant(t->findings[i].variant, variant))
			return &t->findings[i];
	if (t->nfindings >= PASSIVE_MAX_FINDINGS)
		return NULL;
	struct finding fnew;
	if (finding_init(&fnew, id, variant) != 0) {
		f->t->stats.nomem++;
		return NULL;
	}
	if (target_result_take_finding(t, &fnew) != 0) {
		finding_free(&fnew);
		f->t->stats.nomem++;
		return NULL;
	}
	*created = true;
	return &t->findings[t->nfindings - 1];
}

static void passive_check(struct passive_flow *f, int rc)
{
	if (rc != 0)
		f->t->stats.nomem++;
}

/* Adds "CLIENT -> SERVER at TIME: what" as a note, within the per-finding bound of flows. */
static void passive_note(struct passive_flow *f, struct finding *fd, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void passive_note(struct passive_flow *f, struct finding *fd, const char *fmt, ...)
{
	size_t notes = 0;
	for (size_t i = 0; i < fd->nevidence; i++)
		notes += fd->evidence[i].kind == EVIDENCE_NOTE;
	if (notes >= PASSIVE_MAX_FLOW_NOTES) {
		fd->evidence_dropped++;
		return;
	}
	char when[40], what[PASSIVE_DETAIL_MAX], text[PASSIVE_DETAIL_MAX + 200];
	passive_time(f->now, when, sizeof(when));
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	snprintf(text, sizeof(text), "%s -> %s at %s: %s", f->client, f->server->key, when, what);
	passive_check(f, finding_add_evidence(fd, EVIDENCE_NOTE, text));
}

/* --- server facts ------------------------------------------------------------------------ */

static void passive_greeting(struct passive_flow *f, const struct smtp_reply *r)
{
	struct target_result *t = f->server->result;
	if (t->banner != NULL)
		return;
	t->banner = smtp_reply_join(r);
	if (t->banner == NULL) {
		f->t->stats.nomem++;
		return;
	}
	t->banner_code = r->code;
	mta_guess_banner(&t->mta, t->banner);
}

static void passive_mta_reply(struct passive_flow *f, const struct smtp_reply *r)
{
	struct target_result *t = f->server->result;
	if (t->mta.strength >= 2)
		return;
	char *text = smtp_reply_join(r);
	if (text == NULL) {
		f->t->stats.nomem++;
		return;
	}
	mta_guess_reply(&t->mta, text);
	free(text);
}

static void passive_report_no_starttls(struct passive_flow *f, const struct smtp_reply *r)
{
	bool created;
	const char *variant = f->server->submission ? "submission" : "relay";
	struct finding *fd = passive_finding(f, CATALOG_TLS_STARTTLS_MISSING, variant, &created);
	if (fd == NULL)
		return;
	if (created) {
		passive_check(f, finding_set_detail(fd, "the EHLO reply seen in real sessions "
		                                        "does not list STARTTLS"));
		passive_check(f, finding_add_exchange(fd, "EHLO", r));
	}
	passive_note(f, fd, "EHLO reply without STARTTLS");
}

static void passive_report_auth_advertised(struct passive_flow *f, const struct smtp_caps *caps)
{
	bool created;
	char mechs[256] = "";
	if (caps->auth != 0)
		smtp_auth_list(caps->auth, mechs, sizeof(mechs));
	for (size_t i = 0; i < caps->nauth_unknown; i++) {
		size_t used = strlen(mechs);
		snprintf(mechs + used, sizeof(mechs) - used, "%s%s", used > 0 ? " " : "",
		         caps->auth_unknown[i]);
	}
	struct finding *fd =
	    passive_finding(f, CATALOG_PASSIVE_AUTH_ADVERTISED_CLEARTEXT, NULL, &created);
	if (fd == NULL)
		return;
	if (created)
		passive_check(f, finding_set_detail(fd, "AUTH %s offered before TLS", mechs));
	passive_note(f, fd, "EHLO reply offers AUTH %s before TLS", mechs);
}

static void passive_ehlo_reply(struct passive_flow *f, const struct smtp_reply *r)
{
	struct target_result *t = f->server->result;
	if (r->code != 250)
		return;
	struct smtp_caps caps;
	if (smtp_caps_parse(r, &caps) != 0) {
		f->t->stats.nomem++;
		smtp_caps_free(&caps);
		return;
	}
	f->starttls_offered = smtp_caps_has(&caps, SMTP_EXT_STARTTLS);
	t->esmtp = true;
	mta_guess_caps(&t->mta, &caps);
	if (!t->have_caps_plain) {
		if (smtp_caps_copy(&t->caps_plain, &caps) == 0)
			t->have_caps_plain = true;
		else
			f->t->stats.nomem++;
	}
	if (!f->starttls_offered)
		passive_report_no_starttls(f, r);
	if (caps.auth != 0 || caps.nauth_unknown > 0)
		passive_report_auth_advertised(f, &caps);
	smtp_caps_free(&caps);
}

static void passive_starttls_reply(struct passive_flow *f, const struct smtp_reply *r)
{
	if (r->code == 220) {
		f->mode = PASSIVE_TLS_HELLO;
		f->used_tls = true;
		return;
	}
	if (smtp_reply_class(r) != 4 && smtp_reply_class(r) != 5)
		return;
	f->starttls_refused = true;
	bool created;
	struct finding *fd = passive_finding(f, CATALOG_PASSIVE_STARTTLS_REFUSED, NULL, &created);
	if (fd == NULL)
		return;
	if (created) {
		passive_check(f,
		              finding_set_detail(fd, "STARTTLS answered with %d%s", r->code,
		                                 f->starttls_offered ? " although offered" : ""));
		passive_check(f, finding_add_exchange(fd, "STARTTLS", r));
	}
	passive_note(f, fd, "STARTTLS refused with %d", r->code);
}

static void passive_tls_facts(struct passive_flow *f, const struct tls_hello_answer *a)
{
	char suite_buf[TLS_SUITES_NAME_MAX], version_buf[8], variant[80];
	const char *suite = tls_suites_name(a->suite, suite_buf, sizeof(suite_buf));
	const char *version = tls_hello_version_name(a->version);
	if (version == NULL) {
		snprintf(version_buf, sizeof(version_buf), "0x%04X", a->version);
		version = version_buf;
	}
	f->t->stats.tls_hellos++;
	/*
	 * A finding, not the target's tls facts: those promise a certificate
	 * checked by the scanner, which a capture does not give.
	 */
	snprintf(variant, sizeof(variant), "%s %s", version, suite);
	bool created;
	struct finding *fd = passive_finding(f, CATALOG_PASSIVE_TLS_SEEN, variant, &created);
	if (fd != NULL) {
		if (created)
			passive_check(f, finding_set_detail(fd, "%s with %s", version, suite));
		passive_note(f, fd, "ServerHello %s %s", version, suite);
	}
	if (a->version < TLS_HELLO_TLS1_2 &&
	    (fd = passive_finding(f, CATALOG_PASSIVE_TLS_LEGACY_PROTOCOL, version, &created))) {
		if (created)
			passive_check(
			    f, finding_set_detail(fd, "%s negotiated with %s", version, suite));
		passive_note(f, fd, "ServerHello %s %s", version, suite);
	}
	const struct tls_suite *s = tls_suites_find(a->suite);
	if (s != NULL && (s->flags & TLS_SUITE_WEAK) &&
	    (fd = passive_finding(f, CATALOG_PASSIVE_TLS_WEAK_CIPHER, suite, &created))) {
		if (created)
			passive_check(
			    f, finding_set_detail(fd, "%s negotiated in %s", suite, version));
		passive_note(f, fd, "ServerHello %s %s", version, suite);
	}
}

/* --- AUTH -------------------------------------------------------------------------------- */

static void passive_auth_user(struct passive_auth *a, const unsigned char *p, size_t n)
{
	size_t len = 0;
	while (len < n && len + 1 < sizeof(a->user) && p[len] != '\0')
		len++;
	memcpy(a->user, p, len);
	a->user[len] = '\0';
}

/* The value after key in text up to stop (or the end); false when key is absent. */
static bool passive_field(const unsigned char *text, size_t n, const char *key, char stop,
                          const unsigned char **value, size_t *vlen)
{
	size_t klen = strlen(key);
	for (size_t i = 0; i + klen <= n; i++) {
		if (memcmp(text + i, key, klen) != 0)
			continue;
		const unsigned char *v = text + i + klen;
		const unsigned char *end = memchr(v, stop, n - i - klen);
		*value = v;
		*vlen = end != NULL ? (size_t)(end - v) : n - i - klen;
		return true;
	}
	return false;
}

/* The user name inside the first response (response 0) of a known mechanism. */
static void passive_auth_decode(struct passive_auth *a, enum smtp_auth mech,
                                const unsigned char *raw, size_t n)
{
	const unsigned char *v;
	size_t vlen;
	switch (mech) {
	case SMTP_AUTH_PLAIN: {
		/* authzid NUL authcid NUL password: only the authcid is copied. */
		const unsigned char *nul = memchr(raw, '\0', n);
		if (nul != NULL)
			passive_auth_user(a, nul + 1, n - (size_t)(nul + 1 - raw));
		break;
	}
	case SMTP_AUTH_LOGIN:
		passive_auth_user(a, raw, n);
		break;
	case SMTP_AUTH_CRAM_MD5: {
		/* "user hexdigest" */
		size_t end = n;
		while (end > 0 && raw[end - 1] != ' ')
			end--;
		if (end > 0)
			passive_auth_user(a, raw, end - 1);
		break;
	}
	case SMTP_AUTH_DIGEST_MD5:
		if (passive_field(raw, n, "username=\"", '"', &v, &vlen))
			passive_auth_user(a, v, vlen);
		break;
	case SMTP_AUTH_XOAUTH2:
		if (passive_field(raw, n, "user=", '\x01', &v, &vlen))
			passive_auth_user(a, v, vlen);
		break;
	case SMTP_AUTH_OAUTHBEARER:
		if (passive_field(raw, n, "a=", ',', &v, &vlen))
			passive_auth_user(a, v, vlen);
		break;
	case SMTP_AUTH_SCRAM_SHA_1:
	case SMTP_AUTH_SCRAM_SHA_256:
		if (passive_field(raw, n, ",n=", ',', &v, &vlen))
			passive_auth_user(a, v, vlen);
		break;
	default:
		break;
	}
}

static void passive_auth_response(struct passive_flow *f, const char *text, size_t len)
{
	struct passive_auth *a = &f->auth;
	unsigned index = a->responses++;
	enum smtp_auth mech;
	if (!smtp_auth_lookup(a->mech, strlen(a->mech), &mech))
		return;
	/* LOGIN sends the user name first; the first response of the others may carry it. */
	if (index != 0)
		return;
	unsigned char *raw;
	size_t n;
	if (codec_base64_decode(text, len, &raw, &n) != 0)
		return;
	passive_auth_decode(a, mech, raw, n);
	explicit_bzero(raw, n);
	free(raw);
}

/* Mechanisms that carry no secret: nothing is exposed when they are used in cleartext. */
static bool passive_auth_carries_secret(const char *mech)
{
	return strcasecmp(mech, "ANONYMOUS") != 0 && strcasecmp(mech, "EXTERNAL") != 0;
}

static void passive_auth_end(struct passive_flow *f, int code)
{
	struct passive_auth *a = &f->auth;
	if (!a->active)
		return;
	if (code == 235)
		f->authenticated = true;
	if (a->responses > 0 && passive_auth_carries_secret(a->mech)) {
		char variant[PASSIVE_ADDR_MAX + 32], outcome[48];
		snprintf(variant, sizeof(variant), "%s %s", a->mech, f->client_ip);
		if (code == 0)
			snprintf(outcome, sizeof(outcome), "no answer seen");
		else
			snprintf(outcome, sizeof(outcome), "server answered %d", code);
		const char *user = a->user[0] != '\0' ? a->user : "(not readable)";
		bool created;
		struct finding *fd =
		    passive_finding(f, CATALOG_PASSIVE_CLEARTEXT_CREDENTIALS, variant, &created);
		if (fd != NULL) {
			if (created) {
				passive_check(f,
				              finding_set_detail(
				                  fd, "AUTH %s in cleartext from %s, user \"%s\"",
				                  a->mech, f->client_ip, user));
				char cmd[64];
				snprintf(cmd, sizeof(cmd), "AUTH %s [credentials redacted]",
				         a->mech);
				passive_check(f, finding_add_evidence(fd, EVIDENCE_SENT, cmd));
			}
			passive_note(f, fd, "AUTH %s user \"%s\", password redacted, %s", a->mech,
			             user, outcome);
		}
	}
	explicit_bzero(a, sizeof(*a));
}

/* --- the pending-command queue ----------------------------------------------------------- */

static void passive_push(struct passive_flow *f, enum passive_cmd cmd, char *rcpt)
{
	if (f->pending_head + f->pending_count == f->pending_cap) {
		if (f->pending_head > 0) {
			memmove(f->pending, f->pending + f->pending_head,
			        f->pending_count * sizeof(*f->pending));
			f->pending_head = 0;
		} else {
			size_t cap = f->pending_cap ? f->pending_cap * 2 : 8;
			struct passive_pending *p = cap <= PASSIVE_MAX_PENDING
			                                ? realloc(f->pending, cap * sizeof(*p))
			                                : NULL;
			if (p == NULL) {
				free(rcpt);
				return;
			}
			f->pending = p;
			f->pending_cap = cap;
		}
	}
	f->pending[f->pending_head + f->pending_count++] =
	    (struct passive_pending){.cmd = cmd, .rcpt = rcpt};
}

/* The oldest awaited reply's command; CMD_OTHER when nothing is awaited. */
static struct passive_pending passive_pop(struct passive_flow *f)
{
	if (f->pending_count == 0)
		return (struct passive_pending){.cmd = CMD_OTHER};
	struct passive_pending p = f->pending[f->pending_head++];
	if (--f->pending_count == 0)
		f->pending_head = 0;
	return p;
}

static void passive_pending_clear(struct passive_flow *f)
{
	while (f->pending_count > 0)
		free(passive_pop(f).rcpt);
}

/* --- client commands --------------------------------------------------------------------- */

static bool passive_verb(const char *line, const char *verb)
{
	size_t n = strlen(verb);
	return strncasecmp(line, verb, n) == 0 && (line[n] == '\0' || line[n] == ' ');
}

static const char *passive_arg(const char *line)
{
	const char *p = strchr(line, ' ');
	if (p == NULL)
		return "";
	while (*p == ' ')
		p++;
	return p;
}

static void passive_helo(struct passive_flow *f, const char *line)
{
	const char *name = passive_arg(line);
	size_t len = strcspn(name, " ");
	if (len >= sizeof(f->helo))
		len = sizeof(f->helo) - 1;
	memcpy(f->helo, name, len);
	f->helo[len] = '\0';
}

static void passive_auth_command(struct passive_flow *f, const char *line)
{
	passive_auth_end(f, 0);
	struct passive_auth *a = &f->auth;
	const char *mech = passive_arg(line);
	size_t len = strcspn(mech, " ");
	if (len == 0 || len >= sizeof(a->mech))
		return;
	for (size_t i = 0; i < len; i++)
		a->mech[i] = (char)toupper((unsigned char)mech[i]);
	a->mech[len] = '\0';
	a->active = true;
	f->cstate = CLIENT_AUTH;
	const char *ir = passive_arg(mech);
	/* "=" is an empty initial response (RFC 4954): nothing secret in it. */
	if (ir[0] != '\0' && strcmp(ir, "=") != 0)
		passive_auth_response(f, ir, strcspn(ir, " "));
}

static bool passive_domain_local(const struct passive_smtp_config *cfg, const char *domain)
{
	size_t dlen = strlen(domain);
	for (size_t i = 0; i < cfg->nlocal_domains; i++) {
		const char *local = cfg->local_domains[i];
		size_t llen = strlen(local);
		if (dlen == llen && strcasecmp(domain, local) == 0)
			return true;
		if (dlen > llen && domain[dlen - llen - 1] == '.' &&
		    strcasecmp(domain + dlen - llen, local) == 0)
			return true;
	}
	return false;
}

/*
 * The recipient of "RCPT TO:<user@domain> ..." when accepting it would be
 * relaying (foreign domain, untrusted and unauthenticated client), else NULL.
 */
static char *passive_relay_candidate(struct passive_flow *f, const char *line)
{
	const struct passive_smtp_config *cfg = &f->t->cfg;
	if (cfg->nlocal_domains == 0 || f->client_trusted || f->authenticated)
		return NULL;
	const char *p = strchr(line, ':');
	if (p == NULL)
		return NULL;
	p++;
	while (*p == ' ')
		p++;
	size_t len = *p == '<' ? strcspn(++p, ">") : strcspn(p, " ");
	if (len == 0 || len >= PASSIVE_RCPT_MAX)
		return NULL;
	char rcpt[PASSIVE_RCPT_MAX];
	memcpy(rcpt, p, len);
	rcpt[len] = '\0';
	char *at = strrchr(rcpt, '@');
	if (at == NULL)
		return NULL; /* <postmaster> and other local forms */
	char *domain = at + 1;
	size_t dlen = strlen(domain);
	while (dlen > 0 && domain[dlen - 1] == '.')
		domain[--dlen] = '\0';
	if (dlen == 0 || passive_domain_local(cfg, domain))
		return NULL;
	return strdup(rcpt);
}

static void passive_mail(struct passive_flow *f)
{
	/* A client whose STARTTLS was refused did try: that is SMTP-PASSIVE-004. */
	if (!f->starttls_offered || f->starttls_refused || f->ignored_starttls)
		return;
	f->ignored_starttls = true;
	bool created;
	struct finding *fd =
	    passive_finding(f, CATALOG_PASSIVE_CLIENT_IGNORED_STARTTLS, f->client_ip, &created);
	if (fd == NULL)
		return;
	if (created)
		passive_check(f, finding_set_detail(fd,
		                                    "client %s sent MAIL FROM in cleartext "
		                                    "although STARTTLS was offered",
		                                    f->client_ip));
	passive_note(f, fd, "MAIL FROM without STARTTLS");
}

static void passive_bdat(struct passive_flow *f, const char *line)
{
	const char *size = passive_arg(line);
	char *end;
	passive_push(f, CMD_OTHER, NULL);
	if (!isdigit((unsigned char)size[0]))
		return;
	unsigned long long n = strtoull(size, &end, 10);
	if (*end != '\0' && *end != ' ')
		return;
	f->bdat_left = n;
	f->cstate = n > 0 ? CLIENT_BDAT : CLIENT_COMMAND;
}

static void passive_command(struct passive_flow *f, const char *line)
{
	if (passive_verb(line, "EHLO")) {
		passive_helo(f, line);
		passive_push(f, CMD_EHLO, NULL);
	} else if (passive_verb(line, "HELO")) {
		passive_helo(f, line);
		passive_push(f, CMD_HELO, NULL);
	} else if (passive_verb(line, "STARTTLS")) {
		f->starttls_sent = true;
		passive_push(f, CMD_STARTTLS, NULL);
	} else if (passive_verb(line, "AUTH")) {
		passive_push(f, CMD_AUTH, NULL);
		passive_auth_command(f, line);
	} else if (passive_verb(line, "MAIL")) {
		passive_mail(f);
		passive_push(f, CMD_MAIL, NULL);
	} else if (passive_verb(line, "RCPT")) {
		passive_push(f, CMD_RCPT, passive_relay_candidate(f, line));
	} else if (passive_verb(line, "DATA")) {
		passive_push(f, CMD_DATA, NULL);
		f->cstate = CLIENT_BODY;
		f->body = BODY_LINE_START;
	} else if (passive_verb(line, "BDAT")) {
		passive_bdat(f, line);
	} else {
		passive_push(f, CMD_OTHER, NULL);
	}
}

static void passive_client_line(struct passive_flow *f, const char *line, size_t len)
{
	if (f->cstate != CLIENT_AUTH) {
		passive_command(f, line);
		return;
	}
	/* "*" cancels the exchange (RFC 4954); the server's 501 then ends it. */
	if (strcmp(line, "*") != 0)
		passive_auth_response(f, line, len);
}

/* --- server replies ---------------------------------------------------------------------- */

static void passive_relay_reply(struct passive_flow *f, const char *rcpt,
                                const struct smtp_reply *r)
{
	if (r->code != 250 && r->code != 251)
		return;
	char variant[INET6_ADDRSTRLEN];
	snprintf(variant, sizeof(variant), "%s", f->client_ip);
	bool created;
	struct finding *fd = passive_finding(f, CATALOG_PASSIVE_RELAY_OBSERVED, variant, &created);
	if (fd == NULL)
		return;
	if (created) {
		char cmd[PASSIVE_RCPT_MAX + 16];
		snprintf(cmd, sizeof(cmd), "RCPT TO:<%s>", rcpt);
		passive_check(f, finding_set_detail(fd, "RCPT TO:<%s> from %s accepted with %d",
		                                    rcpt, f->client_ip, r->code));
		passive_check(f, finding_add_exchange(fd, cmd, r));
	}
	passive_note(f, fd, "RCPT TO:<%s> accepted with %d", rcpt, r->code);
}

static void passive_reply(struct passive_flow *f, const struct smtp_reply *r)
{
	bool unexpected = f->pending_count == 0;
	struct passive_pending p = passive_pop(f);
	/*
	 * A reply nobody waits for (a gap lost the command or the queue):
	 * a server never answers inside a message body, and answers an AUTH
	 * response only with 334 or a final reply.
	 */
	if (unexpected && f->cstate == CLIENT_BODY && r->code != 354) {
		f->cstate = CLIENT_COMMAND;
		f->cline.len = 0;
		f->cline.skipping = false;
	} else if (unexpected && f->cstate == CLIENT_AUTH && r->code != 334) {
		passive_auth_end(f, r->code);
		f->cstate = CLIENT_COMMAND;
	}
	switch (p.cmd) {
	case CMD_GREETING:
		passive_greeting(f, r);
		break;
	case CMD_EHLO:
		passive_ehlo_reply(f, r);
		break;
	case CMD_STARTTLS:
		passive_starttls_reply(f, r);
		break;
	case CMD_AUTH:
		if (r->code != 334) {
			passive_auth_end(f, r->code);
			if (f->cstate == CLIENT_AUTH)
				f->cstate = CLIENT_COMMAND;
		} else {
			/* Each 334 awaits one more response, answered by one more reply. */
			passive_push(f, CMD_AUTH, NULL);
		}
		break;
	case CMD_RCPT:
		if (p.rcpt != NULL)
			passive_relay_reply(f, p.rcpt, r);
		break;
	case CMD_DATA:
		if (r->code != 354 && f->cstate == CLIENT_BODY)
			f->cstate = CLIENT_COMMAND;
		break;
	default:
		break;
	}
	if (p.cmd != CMD_GREETING && p.cmd != CMD_EHLO)
		passive_mta_reply(f, r);
	free(p.rcpt);
}

/* --- TLS --------------------------------------------------------------------------------- */

/* Collects the server's first TLS record; reads its ServerHello once complete. */
static void passive_tls_bytes(struct passive_flow *f, const uint8_t *bytes, size_t len)
{
	size_t record_len;
	if (f->tls_record == NULL) {
		f->tls_record = malloc(TLS_HELLO_RECORD_HEADER + TLS_HELLO_RECORD_MAX);
		if (f->tls_record == NULL) {
			f->t->stats.nomem++;
			f->mode = PASSIVE_TLS;
			return;
		}
	}
	size_t room = TLS_HELLO_RECORD_HEADER + TLS_HELLO_RECORD_MAX - f->tls_len;
	size_t take = len < room ? len : room;
	memcpy(f->tls_record + f->tls_len, bytes, take);
	f->tls_len += take;
	int rc = tls_hello_record_length(f->tls_record, f->tls_len, &record_len);
	if (rc == SA_ERROR_AGAIN)
		return;
	if (rc == 0 && f->tls_len < record_len)
		return;
	struct tls_hello_answer a;
	if (rc == 0 && tls_hello_parse(f->tls_record, record_len, &a) == TLS_HELLO_SERVER_HELLO)
		passive_tls_facts(f, &a);
	free(f->tls_record);
	f->tls_record = NULL;
	f->tls_len = 0;
	f->mode = PASSIVE_TLS;
}

static void passive_implicit_tls(struct passive_flow *f)
{
	passive_pending_clear(f);
	f->server->result->implicit_tls = true;
	f->used_tls = true;
	f->mode = PASSIVE_TLS_HELLO;
}

/* --- the two directions ------------------------------------------------------------------ */

/* Skips up to and including the next LF; returns the bytes consumed. */
static size_t passive_skip_line(const uint8_t *p, size_t len, bool *skipping)
{
	const uint8_t *lf = memchr(p, '\n', len);
	if (lf == NULL)
		return len;
	*skipping = false;
	return (size_t)(lf - p) + 1;
}

/*
 * Appends bytes up to the next LF to the line; returns the bytes consumed.
 * *complete is set when the line (CR stripped, NUL-terminated) is ready.
 */
static size_t passive_line_feed(struct passive_flow *f, const uint8_t *p, size_t len,
                                bool *complete)
{
	struct passive_line *l = &f->cline;
	size_t max = f->t->cfg.max_line;
	*complete = false;
	if (l->skipping)
		return passive_skip_line(p, len, &l->skipping);
	const uint8_t *lf = memchr(p, '\n', len);
	size_t n = lf != NULL ? (size_t)(lf - p) : len;
	if (l->len + n > max) {
		f->t->stats.lines_too_long++;
		l->len = 0;
		l->skipping = lf == NULL;
		return lf != NULL ? n + 1 : len;
	}
	if (l->len + n + 1 > l->cap) {
		size_t cap = l->cap ? l->cap : 128;
		while (cap < l->len + n + 1)
			cap *= 2;
		char *buf = realloc(l->buf, cap);
		if (buf == NULL) {
			f->t->stats.nomem++;
			l->len = 0;
			l->skipping = lf == NULL;
			return lf != NULL ? n + 1 : len;
		}
		l->buf = buf;
		l->cap = cap;
	}
	memcpy(l->buf + l->len, p, n);
	l->len += n;
	if (lf == NULL)
		return len;
	if (l->len > 0 && l->buf[l->len - 1] == '\r')
		l->len--;
	l->buf[l->len] = '\0';
	*complete = true;
	return n + 1;
}

/* Message body: finds the line "." without buffering; returns the bytes consumed. */
static size_t passive_body_feed(struct passive_flow *f, const uint8_t *p, size_t len)
{
	size_t i = 0;
	while (i < len) {
		uint8_t c = p[i];
		switch (f->body) {
		case BODY_MID: {
			const uint8_t *lf = memchr(p + i, '\n', len - i);
			if (lf == NULL)
				return len;
			i = (size_t)(lf - p) + 1;
			f->body = BODY_LINE_START;
			continue;
		}
		case BODY_LINE_START:
			f->body = c == '.' ? BODY_DOT : c == '\n' ? BODY_LINE_START : BODY_MID;
			break;
		case BODY_DOT:
		case BODY_DOT_CR:
			if (c == '\n') {
				f->cstate = CLIENT_COMMAND;
				passive_push(f, CMD_DATA_END, NULL);
				return i + 1;
			}
			f->body = c == '\r' && f->body == BODY_DOT ? BODY_DOT_CR : BODY_MID;
			break;
		}
		i++;
	}
	return len;
}

static void passive_client_data(struct passive_flow *f, const uint8_t *p, size_t len)
{
	while (len > 0 && f->mode == PASSIVE_TEXT && !f->client_tls) {
		size_t used;
		if (f->cstate == CLIENT_BODY) {
			used = passive_body_feed(f, p, len);
		} else if (f->cstate == CLIENT_BDAT) {
			used = f->bdat_left < len ? (size_t)f->bdat_left : len;
			f->bdat_left -= used;
			if (f->bdat_left == 0)
				f->cstate = CLIENT_COMMAND;
		} else if (f->starttls_sent && f->cline.len == 0 && !f->cline.skipping &&
		           p[0] == TLS_HELLO_CONTENT_HANDSHAKE) {
			/* A ClientHello: the server's 220 is still on its way. */
			f->client_tls = true;
			return;
		} else {
			bool complete;
			used = passive_line_feed(f, p, len, &complete);
			if (complete) {
				passive_client_line(f, f->cline.buf, f->cline.len);
				f->cline.len = 0;
			}
		}
		p += used;
		len -= used;
	}
}

static void passive_server_text(struct passive_flow *f, const uint8_t *p, size_t len)
{
	while (len > 0 && f->mode == PASSIVE_TEXT) {
		if (f->server_skipping) {
			size_t used = passive_skip_line(p, len, &f->server_skipping);
			p += used;
			len -= used;
			continue;
		}
		if (f->pending_count > 0 && f->pending[f->pending_head].cmd == CMD_GREETING &&
		    smtp_reply_parser_idle(&f->replies) && p[0] == TLS_HELLO_CONTENT_HANDSHAKE) {
			passive_implicit_tls(f);
			break;
		}
		size_t used;
		struct smtp_reply r;
		int rc = smtp_reply_parser_feed(&f->replies, (const char *)p, len, &used, &r);
		p += used;
		len -= used;
		if (rc == SMTP_REPLY_COMPLETE) {
			passive_reply(f, &r);
			smtp_reply_free(&r);
		} else if (rc < 0) {
			/* Resume at the next line, unless the refused byte ended one. */
			f->t->stats.reply_errors++;
			smtp_reply_parser_reset(&f->replies);
			f->server_skipping = used == 0 || p[-1] != '\n';
		}
	}
	if (len > 0 && f->mode == PASSIVE_TLS_HELLO)
		passive_tls_bytes(f, p, len);
}

/* --- flow life --------------------------------------------------------------------------- */

static struct passive_server *passive_server_get(struct passive_smtp *t,
                                                 const struct target_addr *addr, uint16_t port)
{
	char ip[INET6_ADDRSTRLEN], key[PASSIVE_ADDR_MAX];
	passive_endpoint(addr, port, ip, sizeof(ip), key, sizeof(key));
	struct passive_server *s;
	HASH_FIND_STR(t->servers, key, s);
	if (s != NULL || t->nservers >= t->cfg.max_servers)
		return s;
	s = calloc(1, sizeof(*s));
	if (s == NULL)
		return NULL;
	snprintf(s->key, sizeof(s->key), "%s", key);
	s->result = target_result_new(ip, ip, port, false);
	if (s->result == NULL) {
		free(s);
		return NULL;
	}
	s->submission = passive_port_in(port, t->cfg.submission_ports, t->cfg.nsubmission_ports);
	HASH_ADD_STR(t->servers, key, s);
	t->nservers++;
	return s;
}

static bool passive_trusted(const struct passive_smtp_config *cfg, const struct target_addr *a)
{
	for (size_t i = 0; i < cfg->ntrusted_nets; i++)
		if (target_spec_contains(&cfg->trusted_nets[i], a))
			return true;
	return false;
}

static void passive_time_span(struct target_result *t, double ts)
{
	int64_t ms = (int64_t)(ts * 1000);
	if (t->started_ms == 0 || ms < t->started_ms)
		t->started_ms = ms;
	if (ms > t->finished_ms)
		t->finished_ms = ms;
}

static void *passive_on_open(void *user, const struct tcp_flow_info *info)
{
	struct passive_smtp *t = user;
	struct target_addr server_addr;
	uint16_t server_port, client_port;
	passive_sockaddr(&info->server, &server_addr, &server_port);
	struct passive_flow *f = calloc(1, sizeof(*f));
	struct passive_server *s =
	    f != NULL ? passive_server_get(t, &server_addr, server_port) : NULL;
	if (s == NULL) {
		free(f);
		t->stats.flows_ignored++;
		return NULL;
	}
	t->stats.flows++;
	f->t = t;
	f->server = s;
	f->now = info->first_ts;
	passive_sockaddr(&info->client, &f->client_addr, &client_port);
	passive_endpoint(&f->client_addr, client_port, f->client_ip, sizeof(f->client_ip),
	                 f->client, sizeof(f->client));
	f->client_trusted = passive_trusted(&t->cfg, &f->client_addr);
	smtp_reply_parser_init(&f->replies, NULL);
	passive_time_span(s->result, info->first_ts);
	if (info->saw_handshake) {
		passive_push(f, CMD_GREETING, NULL);
	} else {
		/* Joined mid-session: neither side is known to be at a line start. */
		f->cline.skipping = true;
		f->server_skipping = true;
	}
	return f;
}

/* "250 ", "354-", "221\r": what starts a reply line. */
static bool passive_reply_start(const uint8_t *p, size_t len)
{
	return len >= 4 && p[0] >= '2' && p[0] <= '5' && isdigit(p[1]) && isdigit(p[2]) &&
	       (p[3] == ' ' || p[3] == '-' || p[3] == '\r' || p[3] == '\n');
}

/* "MAIL ", "QUIT\r", "DATA\n": what starts a command line. */
static bool passive_command_start(const uint8_t *p, size_t len)
{
	if (len < 5)
		return false;
	for (size_t i = 0; i < 4; i++)
		if (!isalpha(p[i]))
			return false;
	return p[4] == ' ' || p[4] == '\r' || p[4] == '\n';
}

/*
 * A gap usually ends where a segment starts, and segments usually start
 * lines: when the first bytes after a gap look like the start of a line,
 * parsing resumes there instead of at the next one.
 */
static void passive_after_gap(struct passive_flow *f, enum tcp_dir dir, const uint8_t *p,
                              size_t len)
{
	if (dir == TCP_DIR_TO_CLIENT && f->server_after_gap) {
		f->server_after_gap = false;
		if (passive_reply_start(p, len))
			f->server_skipping = false;
	} else if (dir == TCP_DIR_TO_SERVER && f->client_after_gap) {
		f->client_after_gap = false;
		if (f->cstate == CLIENT_COMMAND && passive_command_start(p, len))
			f->cline.skipping = false;
	}
}

static void passive_on_data(void *state, enum tcp_dir dir, const uint8_t *bytes, size_t len,
                            double ts)
{
	struct passive_flow *f = state;
	f->now = ts;
	passive_after_gap(f, dir, bytes, len);
	if (dir == TCP_DIR_TO_SERVER) {
		passive_client_data(f, bytes, len);
	} else if (f->mode == PASSIVE_TEXT) {
		passive_server_text(f, bytes, len);
	} else if (f->mode == PASSIVE_TLS_HELLO) {
		passive_tls_bytes(f, bytes, len);
	}
}

static void passive_on_gap(void *state, enum tcp_dir dir, uint64_t missing, double ts)
{
	struct passive_flow *f = state;
	f->now = ts;
	f->t->stats.gaps++;
	if (dir == TCP_DIR_TO_CLIENT)
		f->server_after_gap = true;
	else
		f->client_after_gap = true;
	if (f->mode != PASSIVE_TEXT) {
		/* A ServerHello cut by a gap cannot be read. */
		if (dir == TCP_DIR_TO_CLIENT) {
			free(f->tls_record);
			f->tls_record = NULL;
			f->tls_len = 0;
			f->mode = PASSIVE_TLS;
		}
		return;
	}
	if (dir == TCP_DIR_TO_CLIENT) {
		smtp_reply_parser_reset(&f->replies);
		f->server_skipping = true;
		passive_pending_clear(f);
		return;
	}
	switch (f->cstate) {
	case CLIENT_BODY:
		f->body = BODY_MID;
		break;
	case CLIENT_BDAT:
		if (missing > 0 && missing < f->bdat_left) {
			f->bdat_left -= missing;
			break;
		}
		/* Where the chunk ends is lost: resume at the next command line. */
		f->cstate = CLIENT_COMMAND;
		f->cline.len = 0;
		f->cline.skipping = true;
		break;
	default:
		f->cline.len = 0;
		f->cline.skipping = true;
		break;
	}
}

static void passive_client_seen(struct passive_flow *f)
{
	bool created;
	struct finding *fd =
	    passive_finding(f, CATALOG_PASSIVE_CLIENT_SEEN, f->client_ip, &created);
	if (fd == NULL)
		return;
	const char *helo = f->helo[0] != '\0' ? f->helo : "(none)";
	if (created) {
		passive_check(f, finding_set_detail(fd, "HELO names: %s", helo));
	} else if (f->helo[0] != '\0' && fd->detail != NULL &&
	           strlen(fd->detail) + strlen(f->helo) + 2 < PASSIVE_DETAIL_MAX) {
		/* Each new name once: the detail is a list of distinct names. */
		const char *names = fd->detail + strlen("HELO names: ");
		bool known = false;
		for (const char *p = names; *p != '\0';) {
			size_t n = strcspn(p, ",");
			known |= n == strlen(f->helo) && strncmp(p, f->helo, n) == 0;
			p += n;
			p += strspn(p, ", ");
		}
		if (!known) {
			char *old = strdup(fd->detail);
			if (old != NULL)
				passive_check(f, finding_set_detail(fd, "%s, %s", old, f->helo));
			free(old);
		}
	}
	passive_note(f, fd, "HELO %s, STARTTLS %s, %s", helo,
	             f->used_tls           ? "used"
	             : f->starttls_refused ? "refused"
	             : f->starttls_offered ? "offered, not used"
	                                   : "not offered",
	             f->authenticated ? "authenticated" : "not authenticated");
}

static void passive_on_close(void *state, enum tcp_reasm_end how, double ts)
{
	struct passive_flow *f = state;
	(void)how;
	f->now = ts;
	passive_auth_end(f, 0);
	passive_time_span(f->server->result, ts);
	passive_client_seen(f);
	passive_pending_clear(f);
	free(f->pending);
	free(f->cline.buf);
	free(f->tls_record);
	smtp_reply_parser_free(&f->replies);
	free(f);
}

/* --- the tracker ------------------------------------------------------------------------- */

struct passive_smtp *passive_smtp_new(const struct passive_smtp_config *config)
{
	struct passive_smtp *t = calloc(1, sizeof(*t));
	if (t == NULL)
		return NULL;
	t->cfg = *config;
	if (t->cfg.submission_ports == NULL) {
		t->cfg.submission_ports = passive_default_submission;
		t->cfg.nsubmission_ports = 1;
	}
	if (t->cfg.max_line == 0)
		t->cfg.max_line = PASSIVE_SMTP_DEFAULT_MAX_LINE;
	if (t->cfg.max_servers == 0)
		t->cfg.max_servers = PASSIVE_SMTP_DEFAULT_MAX_SERVERS;
	return t;
}

void passive_smtp_events(struct passive_smtp *t, struct tcp_reasm_events *events)
{
	*events = (struct tcp_reasm_events){
	    .open = passive_on_open,
	    .data = passive_on_data,
	    .gap = passive_on_gap,
	    .close = passive_on_close,
	    .user = t,
	};
}

int passive_smtp_collect(struct passive_smtp *t, struct scan_result *scan)
{
	struct passive_server *s, *tmp;
	HASH_ITER(hh, t->servers, s, tmp)
	{
		if (s->result == NULL)
			continue;
		if (scan_result_add(scan, s->result) != 0)
			return SA_ERROR_NOMEM;
		s->result = NULL;
	}
	return 0;
}

void passive_smtp_get_stats(const struct passive_smtp *t, struct passive_smtp_stats *out)
{
	*out = t->stats;
}

void passive_smtp_free(struct passive_smtp *t)
{
	if (t == NULL)
		return;
	struct passive_server *s, *tmp;
	HASH_ITER(hh, t->servers, s, tmp)
	{
		HASH_DEL(t->servers, s);
		target_result_free(s->result);
		free(s);
	}
	free(t);
}
