/*
 * NAME
 *	test_probe_user_enum - the user enumeration probe against scripted servers
 *
 * DESCRIPTION
 *	A server is a row: which users and which domain it knows, and what
 *	it answers to VRFY, EXPN, MAIL FROM and RCPT TO for a known user, an
 *	unknown one and a foreign domain. drive_run() answers the probe one
 *	reply at a time through the harness, follows its reconnects, can end
 *	sessions with 421, and keeps accounts every test checks: no session
 *	draws more than the error budget or carries more commands than the
 *	junk-command cap, no question answered in one session is asked again
 *	in another, no DATA, AUTH or sender other than <> is ever sent.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "probe_harness.h"

extern const struct probe probe_user_enum;

/* The probe's limits per session (user_enum.c): what Postfix and Exim put up with. */
#define BUDGET       8
#define COMMANDS_MAX 50

#define CONTROL_NAME "smtp-audit-nx-0000000000005eed"

#define EHLO_HEAD  "250-mx.example.org\r\n250-PIPELINING\r\n"
#define EHLO_PLAIN EHLO_HEAD "250-SIZE 10240000\r\n250 8BITMIME"
#define EHLO_TLS   EHLO_HEAD "250-STARTTLS\r\n250-SIZE 10240000\r\n250 8BITMIME"

#define PF_VRFY_UNKNOWN                                                                            \
	"550 5.1.1 <x>: Recipient address rejected: User unknown in local recipient table"
#define PF_VRFY_OFF   "502 5.5.1 VRFY command is disabled"
#define PF_EXPN       "502 5.5.2 Error: command not recognized"
#define PF_RCPT_OK    "250 2.1.5 Ok"
#define PF_RCPT_NX    PF_VRFY_UNKNOWN
#define PF_RELAY      "554 5.7.1 <x>: Relay access denied"
#define ACCEPT_RCPT   "250 2.1.5 Recipient ok"
#define MUST_STARTTLS "530 5.7.0 Must issue a STARTTLS command first"
#define THROTTLE_421  "421 4.7.0 mx.example.org Error: too many errors"

enum {
	F_VRFY = 1u << 0,
	F_EXPN = 1u << 1,
	F_RCPT = 1u << 2,
};

#define MAX_KNOWN 8
#define MAX_CUTS  4

/* Criterion copies parameters into the test process: a row holds its text. */
struct server {
	char name[48];
	char greeting[96]; /* "" = "220 mx.example.org ESMTP" */
	char ehlo[200];    /* "" = EHLO_PLAIN */
	bool helo_only;
	bool tls_first;            /* 530 for VRFY, EXPN and MAIL until STARTTLS */
	char domain[40];           /* its local domain; "" = example.org */
	char known[MAX_KNOWN][16]; /* its users; none = postmaster, root, abuse */
	char vrfy_known[96], vrfy_unknown[96];
	char vrfy_bare[96]; /* VRFY of a bare local part; "" = as local@domain */
	char expn_known[240], expn_unknown[96];
	char mail[80]; /* "" = 250 2.1.0 Ok */
	char rcpt_known[96], rcpt_unknown[128], rcpt_foreign[96];
	size_t cut[MAX_CUTS]; /* after that many replies, a 421 ends the session (0 = none) */
	/* expectations */
	enum verdict verdict;
	unsigned findings; /* F_* */
	char reason_has[2][200];
	char detail_has[120]; /* in the first finding's detail */
};

struct drive {
	const struct server *s;
	unsigned session;
	bool mail_ok;
	unsigned refusals[64], commands[64];
	size_t replies, cuts_done;
	char *answered[512];
	size_t nanswered;
	size_t max_pending;
};

static const char *or_default(const char *text, const char *fallback)
{
	return text[0] ? text : fallback;
}

static bool server_knows(const struct server *s, const char *local, size_t len)
{
	static const char *const fallback[] = {"postmaster", "root", "abuse"};
	bool custom = s->known[0][0] != '\0';
	size_t n = custom ? MAX_KNOWN : sizeof(fallback) / sizeof(fallback[0]);
	for (size_t i = 0; i < n; i++) {
		const char *name = custom ? s->known[i] : fallback[i];
		if (name[0] != '\0' && strlen(name) == len && strncasecmp(name, local, len) == 0)
			return true;
	}
	return false;
}

/* "RCPT TO:<user@domain>": is the domain ours, and do we know the user? */
static const char *server_rcpt(const struct server *s, const char *cmd)
{
	const char *addr = strchr(cmd, '<');
	const char *at = strrchr(cmd, '@');
	cr_assert(addr != NULL && at != NULL && at > addr, "RCPT without an address: %s", cmd);
	size_t dlen = strlen(at + 1) - 1; /* without '>' */
	const char *domain = or_default(s->domain, "example.org");
	if (strlen(domain) != dlen || strncasecmp(at + 1, domain, dlen) != 0)
		return or_default(s->rcpt_foreign, PF_RELAY);
	return server_knows(s, addr + 1, (size_t)(at - addr - 1))
	           ? or_default(s->rcpt_known, PF_RCPT_OK)
	           : or_default(s->rcpt_unknown, PF_RCPT_NX);
}

static const char *server_verify(const struct server *s, const char *arg, const char *known,
                                 const char *unknown)
{
	const char *at = strchr(arg, '@');
	return server_knows(s, arg, at != NULL ? (size_t)(at - arg) : strlen(arg)) ? known
	                                                                           : unknown;
}

static const char *server_reply(struct drive *d, struct harness *h, const char *cmd)
{
	const struct server *s = d->s;
	bool locked = s->tls_first && !harness_tls_active(h);
	if (strcmp(cmd, "STARTTLS") == 0)
		return "220 2.0.0 Ready to start TLS";
	if (strncmp(cmd, "VRFY ", 5) == 0 && !locked && s->vrfy_bare[0] && !strchr(cmd, '@'))
		return s->vrfy_bare;
	if (strncmp(cmd, "VRFY ", 5) == 0)
		return locked ? MUST_STARTTLS
		              : server_verify(s, cmd + 5, or_default(s->vrfy_known, PF_VRFY_OFF),
		                              or_default(s->vrfy_unknown, PF_VRFY_OFF));
	if (strncmp(cmd, "EXPN ", 5) == 0)
		return locked ? MUST_STARTTLS
		              : server_verify(s, cmd + 5, or_default(s->expn_known, PF_EXPN),
		                              or_default(s->expn_unknown, PF_EXPN));
	if (strcmp(cmd, "MAIL FROM:<>") == 0) {
		const char *r = locked ? MUST_STARTTLS : or_default(s->mail, "250 2.1.0 Ok");
		d->mail_ok = r[0] == '2';
		return r;
	}
	if (strncmp(cmd, "RCPT TO:", 8) == 0)
		return d->mail_ok ? server_rcpt(s, cmd) : "503 5.5.1 Error: need MAIL command";
	cr_assert_fail("%s: unexpected command: %s", s->name, cmd);
	return NULL;
}

/* Keeps the accounts of one reply; fails on a question answered twice. */
static void drive_account(struct drive *d, const char *cmd, const char *reply)
{
	int code = atoi(reply);
	d->commands[d->session]++;
	if (code >= 400)
		d->refusals[d->session]++;
	if (strcmp(cmd, "STARTTLS") == 0 || strcmp(cmd, "MAIL FROM:<>") == 0 || code == 503 ||
	    code == 530)
		return;
	for (size_t i = 0; i < d->nanswered; i++)
		cr_assert_str_neq(d->answered[i], cmd, "%s: asked again: %s", d->s->name, cmd);
	cr_assert_lt(d->nanswered, sizeof(d->answered) / sizeof(d->answered[0]));
	d->answered[d->nanswered++] = strdup(cmd);
}

static bool drive_cut_now(struct drive *d)
{
	if (d->cuts_done >= MAX_CUTS || d->s->cut[d->cuts_done] == 0 ||
	    d->replies != d->s->cut[d->cuts_done])
		return false;
	d->cuts_done++;
	return true;
}

static void drive_answer(struct drive *d, struct harness *h)
{
	if (harness_sessions(h) != d->session) {
		d->session = harness_sessions(h);
		cr_assert_lt(d->session, sizeof(d->refusals) / sizeof(d->refusals[0]));
		d->mail_ok = false;
	}
	if (harness_pending(h) > d->max_pending)
		d->max_pending = harness_pending(h);
	char *cmd = strdup(harness_pending_command(h, 0));
	cr_assert_not_null(cmd);
	d->replies++;
	if (drive_cut_now(d)) {
		harness_reply(h, THROTTLE_421);
	} else {
		const char *reply = server_reply(d, h, cmd);
		drive_account(d, cmd, reply);
		harness_reply(h, reply);
	}
	free(cmd);
}

static struct harness *drive_new(struct drive *d, const struct server *s,
                                 struct harness_setup *setup)
{
	*d = (struct drive){.s = s};
	setup->random = 0x5eed;
	if (s->greeting[0])
		setup->greeting = s->greeting;
	if (!s->helo_only)
		setup->ehlo = or_default(s->ehlo, EHLO_PLAIN);
	return harness_new(&probe_user_enum, setup);
}

static void drive_run(struct drive *d, struct harness *h)
{
	harness_start(h);
	for (unsigned guard = 0; guard < 4000 && !harness_concluded(h); guard++) {
		if (harness_reconnect_wanted(h)) {
			harness_restart(h);
			continue;
		}
		cr_assert_gt(harness_pending(h), 0, "%s: nothing pending, not concluded",
		             d->s->name);
		drive_answer(d, h);
	}
	cr_assert(harness_concluded(h), "%s: the probe did not conclude", d->s->name);
}

/* What every run must respect. */
static void drive_check(const struct drive *d, const struct harness *h)
{
	for (unsigned s = 0; s <= d->session; s++) {
		cr_assert_leq(d->refusals[s], BUDGET, "%s: session %u drew %u refusals", d->s->name,
		              s, d->refusals[s]);
		cr_assert_leq(d->commands[s], COMMANDS_MAX, "%s: session %u carried %u commands",
		              d->s->name, s, d->commands[s]);
	}
	static const char *const never[] = {"DATA", "BDAT", "AUTH", "NOOP", "HELO"};
	for (size_t i = 0; i < sizeof(never) / sizeof(never[0]); i++)
		cr_assert_eq(harness_sent_verb(h, never[i]), 0, "%s sent", never[i]);
	for (size_t i = 0; i < harness_sent_count(h); i++)
		if (strncmp(harness_sent(h, i), "MAIL", 4) == 0)
			cr_assert_str_eq(harness_sent(h, i), "MAIL FROM:<>");
}

static void drive_free(struct drive *d)
{
	for (size_t i = 0; i < d->nanswered; i++)
		free(d->answered[i]);
}

static size_t sent_matching(const struct harness *h, const char *prefix)
{
	size_t n = 0;
	for (size_t i = 0; i < harness_sent_count(h); i++)
		n += strncmp(harness_sent(h, i), prefix, strlen(prefix)) == 0;
	return n;
}

static bool reason_has(const struct harness *h, const char *needle)
{
	return strstr(harness_verdict_reason(h), needle) != NULL;
}

/* ---- servers ---- */

static const struct server servers[] = {
    {
        .name = "postfix VRFY enabled",
        .vrfy_known = "252 2.0.0 root",
        .vrfy_unknown = PF_VRFY_UNKNOWN,
        .verdict = VERDICT_VULNERABLE,
        .findings = F_VRFY | F_RCPT,
        .reason_has = {"VRFY: tells 3 of 12 users apart from a made-up one (postmaster, root, "
                       "abuse; made-up user: 550 5.1.1",
                       "EXPN: disabled (502 5.5.2 Error: command not recognized); RCPT at "
                       "example.org: tells 3 of 12 users apart"},
        .detail_has = "VRFY tells 3 of 12 user names apart from a made-up one: postmaster, "
                      "root, abuse",
    },
    {
        .name = "postfix VRFY wants a full address",
        .vrfy_bare = "504 5.5.2 <x>: Recipient address rejected: need fully-qualified address",
        .vrfy_known = "252 2.0.0 root@example.org",
        .vrfy_unknown = PF_VRFY_UNKNOWN,
        .rcpt_known = ACCEPT_RCPT,
        .rcpt_unknown = ACCEPT_RCPT,
        .verdict = VERDICT_VULNERABLE,
        .findings = F_VRFY,
        .reason_has = {"VRFY: tells 3 of 12 users apart from a made-up one (postmaster, root, "
                       "abuse; made-up user: 550 5.1.1"},
    },
    {
        .name = "VRFY refused in every form",
        .vrfy_bare = "501 5.5.4 Syntax: VRFY address",
        .vrfy_known = "501 5.5.4 Syntax: VRFY address",
        .vrfy_unknown = "501 5.5.4 Syntax: VRFY address",
        .rcpt_known = ACCEPT_RCPT,
        .rcpt_unknown = ACCEPT_RCPT,
        .verdict = VERDICT_INCONCLUSIVE,
        .reason_has = {"VRFY: inconclusive: the made-up user got syntax (501 5.5.4 Syntax: VRFY "
                       "address)"},
    },
    {
        .name = "sendmail VRFY 250 against 550",
        .greeting = "220 mail.example.org ESMTP Sendmail 8.15.2/8.15.2",
        .vrfy_known = "250 2.1.5 <root@mail.example.org>",
        .vrfy_unknown = "550 5.1.1 smtp-audit-nx... User unknown",
        .expn_known = "502 5.7.0 Sorry, we do not allow this operation",
        .expn_unknown = "502 5.7.0 Sorry, we do not allow this operation",
        .rcpt_known = ACCEPT_RCPT,
        .rcpt_unknown = ACCEPT_RCPT,
        .verdict = VERDICT_VULNERABLE,
        .findings = F_VRFY,
        .reason_has = {"EXPN: disabled (502 5.7.0",
                       "RCPT at example.org: accepts a made-up user too"},
    },
    {
        .name = "exim 252 for everyone",
        .greeting = "220 mx.example.org ESMTP Exim 4.96",
        .vrfy_known = "252 2.1.0 Administrative prohibition",
        .vrfy_unknown = "252 2.1.0 Administrative prohibition",
        .expn_known = "550 Administrative prohibition",
        .expn_unknown = "550 Administrative prohibition",
        .rcpt_known = ACCEPT_RCPT,
        .rcpt_unknown = ACCEPT_RCPT,
        .verdict = VERDICT_NOT_VULNERABLE,
        .reason_has = {"VRFY: verifies nobody (made-up user: 252 2.1.0 Administrative "
                       "prohibition); EXPN: refuses every user (made-up user: 550 "
                       "Administrative prohibition)",
                       "RCPT at example.org: accepts a made-up user too (250 2.1.5"},
    },
    {
        .name = "postfix VRFY disabled, accept-all RCPT",
        .vrfy_known = PF_VRFY_OFF,
        .vrfy_unknown = PF_VRFY_OFF,
        .rcpt_known = ACCEPT_RCPT,
        .rcpt_unknown = ACCEPT_RCPT,
        .verdict = VERDICT_NOT_VULNERABLE,
        .reason_has = {"VRFY: disabled (502 5.5.1 VRFY command is disabled); EXPN: disabled "
                       "(502 5.5.2 Error: command not recognized); RCPT at example.org: "
                       "accepts a made-up user too (250 2.1.5 Recipient ok)"},
    },
    {
        .name = "opensmtpd, accept-all RCPT",
        .greeting = "220 mx.example.org ESMTP OpenSMTPD",
        .vrfy_known = "500 5.5.1 Invalid command: Command unrecognized",
        .vrfy_unknown = "500 5.5.1 Invalid command: Command unrecognized",
        .expn_known = "500 5.5.1 Invalid command: Command unrecognized",
        .expn_unknown = "500 5.5.1 Invalid command: Command unrecognized",
        .rcpt_known = "250 2.1.5 Destination address valid: Recipient ok",
        .rcpt_unknown = "250 2.1.5 Destination address valid: Recipient ok",
        .rcpt_foreign = "250 2.1.5 Destination address valid: Recipient ok",
        .verdict = VERDICT_NOT_VULNERABLE,
        .reason_has = {"VRFY: disabled (500 5.5.1", "RCPT at example.org: accepts a made-up"},
    },
    {
        .name = "exchange RCPT leak",
        .greeting = "220 mail.contoso.com Microsoft ESMTP MAIL Service ready",
        .ehlo = "250-mail.contoso.com Hello [192.0.2.10]\r\n250-SIZE 37748736\r\n"
                "250-PIPELINING\r\n250-ENHANCEDSTATUSCODES\r\n250 CHUNKING",
        .domain = "contoso.com",
        .known = {"postmaster", "administrator", "info", "sales"},
        .vrfy_known = "252 2.1.5 Cannot VRFY user, but will take message for <user@contoso.com>",
        .vrfy_unknown = "252 2.1.5 Cannot VRFY user, but will take message for <user@contoso.com>",
        .expn_known = "502 5.3.3 Command not implemented",
        .expn_unknown = "502 5.3.3 Command not implemented",
        .rcpt_known = "250 2.1.5 Recipient OK",
        .rcpt_unknown = "550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP "
                        "address lookup",
        .rcpt_foreign = "550 5.7.54 SMTP; Unable to relay recipient in non-accepted domain",
        .verdict = VERDICT_NOT_VULNERABLE,
        .findings = F_RCPT,
        .reason_has = {"VRFY: verifies nobody", "RCPT at contoso.com: tells 4 of 12 users apart "
                                                "from a made-up one (postmaster, administrator, "
                                                "info, sales; made-up user: 550 5.1.10"},
        .detail_has = "RCPT tells 4 of 12 user names apart from a made-up one at contoso.com",
    },
    {
        .name = "sendmail EXPN lists a list",
        .greeting = "220 mx.example.org ESMTP Sendmail 8.17.1.9/8.17.1.9",
        .known = {"postmaster", "root", "staff"},
        .vrfy_known = "252 2.5.2 Cannot VRFY user; try RCPT to attempt delivery (or try finger)",
        .vrfy_unknown = "252 2.5.2 Cannot VRFY user; try RCPT to attempt delivery (or try finger)",
        .expn_known = "250-2.1.5 Alice Liddell <alice@example.org>\r\n"
                      "250 2.1.5 Bob Dobbs <bob@example.org>",
        .expn_unknown = "550 5.1.1 smtp-audit-nx... User unknown",
        .rcpt_known = ACCEPT_RCPT,
        .rcpt_unknown = ACCEPT_RCPT,
        .verdict = VERDICT_VULNERABLE,
        .findings = F_EXPN,
        .reason_has = {"EXPN: tells 2 of 12 users apart from a made-up one (postmaster, root; "
                       "made-up user: 550 5.1.1"},
        .detail_has = "EXPN tells 2 of 12 user names apart",
    },
    {
        .name = "everything refused",
        .vrfy_known = "550 5.7.1 VRFY not allowed",
        .vrfy_unknown = "550 5.7.1 VRFY not allowed",
        .rcpt_known = ACCEPT_RCPT,
        .rcpt_unknown = ACCEPT_RCPT,
        .verdict = VERDICT_NOT_VULNERABLE,
        .reason_has = {"VRFY: refuses every user (made-up user: 550 5.7.1 VRFY not allowed)"},
    },
    {
        .name = "no local domain",
        .vrfy_known = PF_VRFY_OFF,
        .vrfy_unknown = PF_VRFY_OFF,
        .rcpt_known = PF_RELAY,
        .rcpt_unknown = PF_RELAY,
        .verdict = VERDICT_INCONCLUSIVE,
        .reason_has = {"RCPT: inconclusive: no local domain, postmaster refused at example.org, "
                       "mx.example.org, [192.0.2.25] (554 5.7.1 <x>: Relay access denied)"},
    },
    {
        .name = "local domain is the host name",
        .domain = "mx.example.org",
        .vrfy_known = PF_VRFY_OFF,
        .vrfy_unknown = PF_VRFY_OFF,
        .verdict = VERDICT_NOT_VULNERABLE,
        .findings = F_RCPT,
        .reason_has = {"RCPT at mx.example.org: tells 3 of 12 users apart"},
    },
    {
        .name = "submission: MAIL needs AUTH",
        .vrfy_known = PF_VRFY_OFF,
        .vrfy_unknown = PF_VRFY_OFF,
        .mail = "530 5.7.0 Authentication required",
        .verdict = VERDICT_INCONCLUSIVE,
        .reason_has = {"RCPT: inconclusive: MAIL FROM:<> refused (530 5.7.0 Authentication "
                       "required)"},
    },
    {
        .name = "control deferred",
        .vrfy_known = "252 2.0.0 root",
        .vrfy_unknown = "450 4.1.1 <x>: Recipient address rejected: unverified address",
        .rcpt_known = ACCEPT_RCPT,
        .rcpt_unknown = ACCEPT_RCPT,
        .verdict = VERDICT_INCONCLUSIVE,
        .reason_has = {"VRFY: inconclusive: the made-up user got deferred (450 4.1.1"},
    },
    {
        .name = "TLS first, then VRFY leaks",
        .ehlo = EHLO_TLS,
        .tls_first = true,
        .vrfy_known = "252 2.0.0 root",
        .vrfy_unknown = PF_VRFY_UNKNOWN,
        .rcpt_known = ACCEPT_RCPT,
        .rcpt_unknown = ACCEPT_RCPT,
        .verdict = VERDICT_VULNERABLE,
        .findings = F_VRFY,
        .reason_has = {"VRFY: tells 3 of 12 users apart", "; asked after STARTTLS"},
    },
    {
        .name = "TLS first, no STARTTLS offered",
        .tls_first = true,
        .verdict = VERDICT_INCONCLUSIVE,
        .reason_has = {"VRFY: inconclusive: the made-up user got tls-required (530 5.7.0 Must",
                       "RCPT: inconclusive: MAIL FROM:<> refused (530 5.7.0 Must issue"},
    },
    {
        .name = "HELO-only server",
        .helo_only = true,
        .greeting = "220 smtp.mail.example.org ready",
        .domain = "mail.example.org",
        .vrfy_known = PF_VRFY_OFF,
        .vrfy_unknown = PF_VRFY_OFF,
        .verdict = VERDICT_NOT_VULNERABLE,
        .findings = F_RCPT,
        .reason_has = {"RCPT at mail.example.org: tells 3 of 12 users apart"},
    },
    {
        .name = "421 mid-battery, resumed",
        .vrfy_known = "252 2.0.0 root",
        .vrfy_unknown = PF_VRFY_UNKNOWN,
        .cut = {5, 20},
        .verdict = VERDICT_VULNERABLE,
        .findings = F_VRFY | F_RCPT,
        .reason_has = {"VRFY: tells 3 of 12 users apart", "RCPT at example.org: tells 3 of 12"},
    },
    {
        .name = "421 again and again",
        .vrfy_known = "252 2.0.0 root",
        .vrfy_unknown = PF_VRFY_UNKNOWN,
        .cut = {2, 8, 14},
        .verdict = VERDICT_VULNERABLE,
        .findings = F_VRFY,
        .reason_has = {"VRFY: tells 3 of 12 users apart",
                       "; stopped: 3 sessions ended early (last: throttled, 421 4.7.0"},
    },
    {
        .name = "421 before anything was judged",
        .cut = {1, 2, 3},
        .verdict = VERDICT_INCONCLUSIVE,
        .reason_has = {"VRFY: inconclusive: not finished; EXPN: inconclusive: not finished; "
                       "RCPT: inconclusive: not finished",
                       "; stopped: 3 sessions ended early"},
    },
};

ParameterizedTestParameters(probe_user_enum, servers)
{
	return cr_make_param_array(struct server, (void *)servers,
	                           sizeof(servers) / sizeof(servers[0]));
}

ParameterizedTest(const struct server *s, probe_user_enum, servers, .timeout = 20)
{
	struct drive d;
	struct harness_setup setup = {0};
	struct harness *h = drive_new(&d, s, &setup);
	drive_run(&d, h);
	drive_check(&d, h);
	cr_assert_eq(harness_verdict(h), s->verdict, "%s: %s (%s)", s->name,
	             verdict_name(harness_verdict(h)), harness_verdict_reason(h));
	for (size_t i = 0; i < 2; i++)
		cr_assert(s->reason_has[i][0] == '\0' || reason_has(h, s->reason_has[i]),
		          "%s: reason '%s' lacks '%s'", s->name, harness_verdict_reason(h),
		          s->reason_has[i]);
	static const enum catalog_id ids[] = {CATALOG_ENUM_VRFY, CATALOG_ENUM_EXPN,
	                                      CATALOG_ENUM_RCPT};
	size_t expected = 0;
	for (size_t m = 0; m < 3; m++) {
		bool want = s->findings & (1u << m);
		expected += want;
		cr_assert_eq(harness_find(h, ids[m], NULL) != NULL, want, "%s: finding %s %s",
		             s->name, catalog_get(ids[m])->public_id,
		             want ? "missing" : "unexpected");
	}
	cr_assert_eq(harness_findings(h), expected, "%s: %zu findings", s->name,
	             harness_findings(h));
	if (s->detail_has[0])
		cr_assert_not_null(strstr(harness_finding(h, 0)->detail, s->detail_has),
		                   "%s: detail '%s'", s->name, harness_finding(h, 0)->detail);
	drive_free(&d);
	harness_free(h);
}

/* ---- the dialogue ---- */

Test(probe_user_enum, control_goes_first_and_decides_alone, .timeout = 10)
{
	struct harness_setup setup = {.ehlo = EHLO_PLAIN, .random = 0x5eed};
	struct harness *h = harness_new(&probe_user_enum, &setup);
	harness_start(h);
	cr_assert_eq(harness_pending(h), 1);
	cr_assert_str_eq(harness_pending_command(h, 0), "VRFY " CONTROL_NAME);
	harness_reply(h, PF_VRFY_OFF);
	/* Disabled: no user is asked with VRFY; EXPN begins with its own control. */
	cr_assert_eq(harness_pending(h), 1);
	cr_assert_str_eq(harness_pending_command(h, 0), "EXPN " CONTROL_NAME);
	harness_reply(h, PF_EXPN);
	/* RCPT: the null sender, then postmaster at each candidate domain in one flight. */
	cr_assert_eq(harness_pending(h), 4);
	cr_assert_str_eq(harness_pending_command(h, 0), "MAIL FROM:<>");
	cr_assert_str_eq(harness_pending_command(h, 1), "RCPT TO:<postmaster@example.org>");
	cr_assert_str_eq(harness_pending_command(h, 2), "RCPT TO:<postmaster@mx.example.org>");
	cr_assert_str_eq(harness_pending_command(h, 3), "RCPT TO:<postmaster@[192.0.2.25]>");
	harness_reply(h, "250 2.1.0 Ok");
	harness_reply(h, PF_RCPT_OK);
	harness_reply(h, PF_RCPT_OK);
	harness_reply(h, PF_RCPT_OK);
	cr_assert_eq(harness_pending(h), 1);
	cr_assert_str_eq(harness_pending_command(h, 0), "RCPT TO:<" CONTROL_NAME "@example.org>");
	harness_reply(h, PF_RCPT_OK);
	cr_assert(harness_concluded(h));
	cr_assert_eq(harness_verdict(h), VERDICT_NOT_VULNERABLE);
	cr_assert_eq(harness_sent_verb(h, "VRFY"), 1);
	cr_assert_eq(harness_sent_verb(h, "EXPN"), 1);
	cr_assert_eq(harness_findings(h), 0);
	harness_free(h);
}

Test(probe_user_enum, vrfy_evidence_is_one_user_and_the_control, .timeout = 10)
{
	static const struct server postfix = {
	    .name = "postfix", .vrfy_known = "252 2.0.0 root", .vrfy_unknown = PF_VRFY_UNKNOWN};
	struct drive d;
	struct harness_setup setup = {0};
	struct harness *h = drive_new(&d, &postfix, &setup);
	drive_run(&d, h);
	const struct finding *f = harness_find(h, CATALOG_ENUM_VRFY, NULL);
	cr_assert_not_null(f);
	cr_assert_eq(f->nevidence, 6);
	/* A user told apart other than postmaster, whose existence is no news. */
	cr_assert_eq(f->evidence[0].kind, EVIDENCE_SENT);
	cr_assert_str_eq(f->evidence[0].text, "VRFY root");
	cr_assert_eq(f->evidence[1].kind, EVIDENCE_RECEIVED);
	cr_assert_str_eq(f->evidence[1].text, "252 2.0.0 root");
	cr_assert_eq(f->evidence[2].kind, EVIDENCE_NOTE);
	cr_assert_str_eq(f->evidence[3].text, "VRFY " CONTROL_NAME);
	cr_assert_str_eq(f->evidence[4].text, PF_VRFY_UNKNOWN);
	cr_assert_eq(f->evidence[5].kind, EVIDENCE_NOTE);
	cr_assert_str_eq(f->evidence[5].text,
	                 "users told apart (3 of 12 asked): postmaster, root, abuse");
	drive_free(&d);
	harness_free(h);
}

Test(probe_user_enum, bare_name_refused_means_full_addresses, .timeout = 10)
{
	struct harness_setup setup = {.ehlo = EHLO_PLAIN, .random = 0x5eed};
	struct harness *h = harness_new(&probe_user_enum, &setup);
	harness_start(h);
	cr_assert_str_eq(harness_pending_command(h, 0), "VRFY " CONTROL_NAME);
	harness_reply(h, "504 5.5.2 <x>: Recipient address rejected: need fully-qualified address");
	cr_assert_str_eq(harness_pending_command(h, 0), "VRFY " CONTROL_NAME "@example.org");
	harness_reply(h, PF_VRFY_UNKNOWN);
	cr_assert_str_eq(harness_pending_command(h, 0), "VRFY postmaster@example.org");
	harness_reply(h, "252 2.0.0 postmaster@example.org");
	cr_assert_str_eq(harness_pending_command(h, 0), "VRFY root@example.org");
	harness_free(h);
}

Test(probe_user_enum, rcpt_evidence_has_the_transaction, .timeout = 10)
{
	static const struct server postfix = {.name = "postfix"};
	struct drive d;
	struct harness_setup setup = {0};
	struct harness *h = drive_new(&d, &postfix, &setup);
	drive_run(&d, h);
	drive_check(&d, h);
	const struct finding *f = harness_find(h, CATALOG_ENUM_RCPT, NULL);
	cr_assert_not_null(f);
	cr_assert_eq(f->nevidence, 8);
	cr_assert_str_eq(f->evidence[0].text, "MAIL FROM:<>");
	cr_assert_str_eq(f->evidence[1].text, "250 2.1.0 Ok");
	cr_assert_str_eq(f->evidence[2].text, "RCPT TO:<root@example.org>");
	cr_assert_str_eq(f->evidence[3].text, PF_RCPT_OK);
	cr_assert_str_eq(f->evidence[5].text, "RCPT TO:<" CONTROL_NAME "@example.org>");
	cr_assert_str_eq(f->evidence[6].text, PF_RCPT_NX);
	cr_assert_eq(harness_verdict(h), VERDICT_NOT_VULNERABLE);
	/* The relay-denied domains were asked once each, never a user there. */
	cr_assert_eq(sent_matching(h, "RCPT TO:<postmaster@"), 3);
	cr_assert_eq(sent_matching(h, "RCPT TO:<root@"), 1);
	drive_free(&d);
	harness_free(h);
}

Test(probe_user_enum, postmaster_is_the_sample_only_when_alone, .timeout = 10)
{
	static const struct server postfix = {.name = "postmaster only",
	                                      .known = {"postmaster"},
	                                      .vrfy_known = "252 2.0.0 postmaster",
	                                      .vrfy_unknown = PF_VRFY_UNKNOWN,
	                                      .rcpt_known = ACCEPT_RCPT,
	                                      .rcpt_unknown = ACCEPT_RCPT};
	struct drive d;
	struct harness_setup setup = {0};
	struct harness *h = drive_new(&d, &postfix, &setup);
	drive_run(&d, h);
	const struct finding *f = harness_find(h, CATALOG_ENUM_VRFY, NULL);
	cr_assert_not_null(f);
	cr_assert_str_eq(f->evidence[0].text, "VRFY postmaster");
	cr_assert_str_eq(f->evidence[5].text, "users told apart (1 of 12 asked): postmaster");
	drive_free(&d);
	harness_free(h);
}

Test(probe_user_enum, sample_is_five_names_and_a_count, .timeout = 10)
{
	static const struct server many = {
	    .name = "many users",
	    .known = {"postmaster", "root", "admin", "abuse", "info", "mail", "test", "sales"},
	    .vrfy_known = "250 2.1.5 ok",
	    .vrfy_unknown = "550 5.1.1 unknown",
	    .rcpt_known = ACCEPT_RCPT,
	    .rcpt_unknown = ACCEPT_RCPT};
	struct drive d;
	struct harness_setup setup = {0};
	struct harness *h = drive_new(&d, &many, &setup);
	drive_run(&d, h);
	const struct finding *f = harness_find(h, CATALOG_ENUM_VRFY, NULL);
	cr_assert_not_null(f);
	cr_assert_str_eq(f->evidence[f->nevidence - 1].text,
	                 "users told apart (8 of 12 asked): postmaster, root, admin, abuse, info "
	                 "and 3 more");
	cr_assert_str_eq(f->detail, "VRFY tells 8 of 12 user names apart from a made-up one: "
	                            "postmaster, root, admin, abuse, info and 3 more");
	drive_free(&d);
	harness_free(h);
}

Test(probe_user_enum, expn_list_is_shown_bounded, .timeout = 10)
{
	static const struct server list = {
	    .name = "big list",
	    .known = {"postmaster", "staff"},
	    .vrfy_known = PF_VRFY_OFF,
	    .vrfy_unknown = PF_VRFY_OFF,
	    .expn_known = "250-<a@example.org>\r\n250-<b@example.org>\r\n250-<c@example.org>\r\n"
	                  "250-<d@example.org>\r\n250-<e@example.org>\r\n250-<f@example.org>\r\n"
	                  "250-<g@example.org>\r\n250-<h@example.org>\r\n250-<i@example.org>\r\n"
	                  "250 <j@example.org>",
	    .expn_unknown = "550 5.1.1 unknown",
	    .rcpt_known = ACCEPT_RCPT,
	    .rcpt_unknown = ACCEPT_RCPT};
	struct harness_setup setup = {
	    .settings = {.users = (const char *const[]){"staff"}, .nusers = 1}};
	struct drive d;
	struct harness *h = drive_new(&d, &list, &setup);
	drive_run(&d, h);
	const struct finding *f = harness_find(h, CATALOG_ENUM_EXPN, NULL);
	cr_assert_not_null(f);
	cr_assert_str_eq(f->evidence[0].text, "EXPN staff");
	cr_assert_str_eq(f->evidence[1].text, "250-<a@example.org>");
	cr_assert_str_eq(f->evidence[6].text, "250 <f@example.org>");
	cr_assert_eq(f->evidence[7].kind, EVIDENCE_NOTE);
	cr_assert_str_eq(f->evidence[7].text, "reply of 10 lines, the first 6 shown");
	drive_free(&d);
	harness_free(h);
}

/* ---- users ---- */

Test(probe_user_enum, custom_users_replace_the_builtin_list, .timeout = 10)
{
	static const char *const users[] = {"alice",         "Postmaster",   "bad name",
	                                    "x@example.net", "percent%hack", "bob",
	                                    "alice",         ".dot",         "carol.jones"};
	static const struct server postfix = {.name = "custom",
	                                      .known = {"postmaster", "alice", "carol.jones"},
	                                      .vrfy_known = "252 2.0.0 ok",
	                                      .vrfy_unknown = PF_VRFY_UNKNOWN,
	                                      .rcpt_known = ACCEPT_RCPT,
	                                      .rcpt_unknown = ACCEPT_RCPT};
	struct harness_setup setup = {
	    .settings = {.users = users, .nusers = sizeof(users) / sizeof(users[0])}};
	struct drive d;
	struct harness *h = drive_new(&d, &postfix, &setup);
	drive_run(&d, h);
	drive_check(&d, h);
	static const char *const expect[] = {("VRFY " CONTROL_NAME), "VRFY postmaster",
	                                     "VRFY alice", "VRFY bob", "VRFY carol.jones"};
	cr_assert_eq(harness_sent_verb(h, "VRFY"), sizeof(expect) / sizeof(expect[0]));
	for (size_t i = 0; i < sizeof(expect) / sizeof(expect[0]); i++)
		cr_assert_str_eq(harness_sent(h, i), expect[i]);
	cr_assert_eq(sent_matching(h, "VRFY root"), 0, "the built-in list is not used");
	cr_assert_eq(harness_verdict(h), VERDICT_VULNERABLE);
	const struct finding *f = harness_find(h, CATALOG_ENUM_VRFY, NULL);
	cr_assert_not_null(f);
	cr_assert_str_eq(f->evidence[0].text, "VRFY alice");
	cr_assert_str_eq(f->detail, "VRFY tells 3 of 4 user names apart from a made-up one: "
	                            "postmaster, alice, carol.jones");
	cr_assert(reason_has(h, "; 4 --users name(s) skipped: not a plain local part"), "%s",
	          harness_verdict_reason(h));
	drive_free(&d);
	harness_free(h);
}

Test(probe_user_enum, long_user_list_is_cut, .timeout = 10)
{
	static char names[80][16];
	static const char *users[80];
	for (size_t i = 0; i < 80; i++) {
		snprintf(names[i], sizeof(names[i]), "user%02zu", i);
		users[i] = names[i];
	}
	static const struct server server = {.name = "accept-all",
	                                     .vrfy_known = "252 2.1.0 Administrative prohibition",
	                                     .vrfy_unknown = "252 2.1.0 Administrative prohibition",
	                                     .rcpt_known = ACCEPT_RCPT,
	                                     .rcpt_unknown = ACCEPT_RCPT};
	struct harness_setup setup = {.settings = {.users = users, .nusers = 80}};
	struct drive d;
	struct harness *h = drive_new(&d, &server, &setup);
	drive_run(&d, h);
	drive_check(&d, h);
	/* postmaster and 63 names; 17 left out, said so. */
	cr_assert_eq(harness_sent_verb(h, "VRFY"), 1 + 64);
	cr_assert_eq(sent_matching(h, "VRFY user62"), 1);
	cr_assert_eq(sent_matching(h, "VRFY user63"), 0);
	cr_assert(reason_has(h, "; 17 --users name(s) beyond the first 64 not asked"), "%s",
	          harness_verdict_reason(h));
	cr_assert(reason_has(h, "sessions"), "the command cap splits sessions: %s",
	          harness_verdict_reason(h));
	cr_assert_eq(harness_verdict(h), VERDICT_NOT_VULNERABLE);
	drive_free(&d);
	harness_free(h);
}

/* ---- the error budget ---- */

Test(probe_user_enum, refusals_are_spread_over_sessions, .timeout = 20)
{
	static char names[40][16];
	static const char *users[40];
	for (size_t i = 0; i < 40; i++) {
		snprintf(names[i], sizeof(names[i]), "nobody%02zu", i);
		users[i] = names[i];
	}
	static const struct server postfix = {.name = "postfix, nobody home",
	                                      .known = {"postmaster"},
	                                      .vrfy_known = "252 2.0.0 postmaster",
	                                      .vrfy_unknown = PF_VRFY_UNKNOWN};
	struct harness_setup setup = {.settings = {.users = users, .nusers = 40}};
	struct drive d;
	struct harness *h = drive_new(&d, &postfix, &setup);
	drive_run(&d, h);
	drive_check(&d, h);
	/* 41 refusals for VRFY, 1 for EXPN, 2 foreign domains and 41 for RCPT. */
	unsigned total = 0, fullest = 0;
	for (unsigned s = 1; s <= d.session; s++) {
		total += d.refusals[s];
		fullest = d.refusals[s] > fullest ? d.refusals[s] : fullest;
	}
	cr_assert_eq(total, 85);
	cr_assert_eq(fullest, BUDGET, "the budget is used, never exceeded");
	cr_assert_geq(harness_sessions(h), 85 / BUDGET + 1);
	cr_assert_eq(sent_matching(h, "VRFY "), 42, "every question once");
	cr_assert_eq(sent_matching(h, "RCPT TO:<nobody"), 40);
	cr_assert_eq(harness_verdict(h), VERDICT_VULNERABLE);
	cr_assert(reason_has(h, "VRFY: tells 1 of 41 users apart"), "%s",
	          harness_verdict_reason(h));
	drive_free(&d);
	harness_free(h);
}

Test(probe_user_enum, a_full_session_continues_in_a_new_one, .timeout = 10)
{
	struct harness_setup setup = {.ehlo = EHLO_PLAIN, .random = 0x5eed};
	struct harness *h = harness_new(&probe_user_enum, &setup);
	harness_start(h);
	harness_reply(h, PF_VRFY_UNKNOWN); /* the control: 1 refusal */
	cr_assert_eq(harness_pending(h), BUDGET - 1, "the flight fits the budget");
	while (harness_pending(h) > 0)
		harness_reply(h, PF_VRFY_UNKNOWN);
	/* 8 refusals: the remaining users go to a new session. */
	cr_assert(harness_reconnect_wanted(h));
	harness_restart(h);
	cr_assert_eq(harness_sessions(h), 2);
	cr_assert_str_eq(harness_pending_command(h, 0), "VRFY info");
	harness_free(h);
}

/* ---- interruptions ---- */

Test(probe_user_enum, a_lost_session_asks_again_only_the_unanswered, .timeout = 10)
{
	struct harness_setup setup = {.ehlo = EHLO_PLAIN, .random = 0x5eed};
	struct harness *h = harness_new(&probe_user_enum, &setup);
	harness_start(h);
	harness_reply(h, PF_VRFY_UNKNOWN);
	harness_reply(h, "252 2.0.0 postmaster");
	harness_reply(h, "252 2.0.0 root");
	cr_assert_str_eq(harness_pending_command(h, 0), "VRFY admin");
	harness_interrupt(h, OUTCOME_TIMEOUT);
	cr_assert(harness_reconnect_wanted(h));
	harness_restart(h);
	cr_assert_str_eq(harness_pending_command(h, 0), "VRFY admin");
	cr_assert_eq(harness_pending(h), BUDGET, "a fresh session has the whole budget");
	harness_free(h);
}

Test(probe_user_enum, throttled_session_ends_the_probe_with_what_is_known, .timeout = 10)
{
	struct harness_setup setup = {.ehlo = EHLO_PLAIN, .random = 0x5eed};
	struct harness *h = harness_new(&probe_user_enum, &setup);
	harness_start(h);
	harness_reply(h, PF_VRFY_UNKNOWN);
	harness_reply(h, "252 2.0.0 postmaster");
	for (int lost = 0; lost < 3; lost++) {
		if (lost > 0)
			harness_restart(h);
		harness_interrupt_because(h, OUTCOME_THROTTLED, "server answered 421");
	}
	cr_assert(harness_concluded(h));
	cr_assert_eq(harness_verdict(h), VERDICT_VULNERABLE);
	cr_assert(reason_has(h, "VRFY: tells 1 of 12 users apart"), "%s",
	          harness_verdict_reason(h));
	cr_assert(reason_has(h, "EXPN: inconclusive: not finished"), "%s",
	          harness_verdict_reason(h));
	cr_assert(reason_has(h, "stopped: 3 sessions ended early (last: throttled, server answered "
	                        "421)"),
	          "%s", harness_verdict_reason(h));
	harness_free(h);
}

Test(probe_user_enum, implicit_tls_never_sends_starttls, .timeout = 10)
{
	static const struct server tls = {.name = "implicit TLS",
	                                  .ehlo = EHLO_TLS,
	                                  .vrfy_known = "252 2.0.0 root",
	                                  .vrfy_unknown = MUST_STARTTLS};
	struct harness_setup setup = {.port = 465, .implicit_tls = true};
	struct drive d;
	struct harness *h = drive_new(&d, &tls, &setup);
	drive_run(&d, h);
	cr_assert_eq(harness_sent_verb(h, "STARTTLS"), 0);
	/* Under TLS a "STARTTLS first" answer is just a refusal of the made-up user. */
	cr_assert_not_null(harness_find(h, CATALOG_ENUM_VRFY, NULL));
	drive_free(&d);
	harness_free(h);
}
