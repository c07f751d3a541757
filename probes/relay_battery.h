/*
 * NAME
 *	relay_battery - relay attempts, reply classification and the relay verdict
 *
 * SUMMARY
 *	struct relay_battery b;
 *	relay_battery_init(&b, &(struct relay_battery_setup){.settings = ..., .target = ...,
 *			   .greeting = ..., .caps = ..., .nonce = ..., .senders = RELAY_SENDERS_ALL,
 *			   .forms = RELAY_FORMS_ALL});
 *	relay_battery_session_start(&b, tls, 0);
 *	struct relay_flight fl;
 *	while (relay_battery_next(&b, &fl) == RELAY_NEXT_FLIGHT) {
 *		...probe_send() each fl.cmd[i].line with fl.cmd[i].tag...
 *		...hand every reply with an owned tag to relay_battery_on_reply()...
 *	}
 *	relay_battery_judge(&b, true, &judgement);
 *	relay_battery_free(&b);
 *
 * DESCRIPTION
 *	The relay battery is the protocol logic of a relay test without the
 *	probe around it, so open_relay and auth_anonymous (after an anonymous
 *	login) share one definition of what is tried and how it is judged. It
 *	never sends anything itself: it plans flights of commands, takes the
 *	replies, and judges.
 *
 *	Attempts. Every selected sender kind is tried against every selected
 *	recipient form; the recipient's local part is RELAY_LOCAL_PART and its
 *	domain the external relay domain. Two controls come first: a random
 *	nonexistent user at the server's own domain and a user at a random
 *	".invalid" domain (RFC 6761). A server that accepts both accepts every
 *	recipient at RCPT time, so an accepted relay attempt proves nothing
 *	there. Forms and senders that need the server's host name are skipped
 *	when the server gave none that is a host name; nothing is invented.
 *
 *	Flights. One transaction per sender: RSET (when a transaction may be
 *	open), MAIL FROM once, then RCPTs; the controls ride in the first
 *	transaction whose MAIL is accepted. A flight is planned so that, even
 *	if each of its MAILs and every RCPT were refused, the session would
 *	see at most RELAY_MAX_ERRORS_PER_SESSION refusals (Postfix sleeps
 *	before every reply once a session has made smtpd_soft_error_limit = 10
 *	errors and drops it at 20; Exim drops after 3 protocol errors such as
 *	the 503s that follow a refused MAIL). When nothing more fits,
 *	relay_battery_next() asks for a new session. Results survive
 *	sessions: a session that is lost only returns its unanswered attempts
 *	to the queue.
 *
 *	A probe that can continue in new sessions (setup.reconnects) gets
 *	flights that fill the budget across transactions: the rest of one
 *	sender, then RSET, MAIL and RCPTs of the next, all in one flight
 *	(RFC 2920 lets them share it). With PIPELINING a fresh session costs
 *	three round trips (QUIT, greeting, EHLO) and a follow-up flight one,
 *	so the battery asks for a new session instead of a follow-up flight
 *	that would not spare a whole session; a hardened server thus sees
 *	greeting, EHLO and one flight per session, the battery's last flight
 *	excepted. Without PIPELINING every command is a round trip and the
 *	session goes on while the budget allows.
 *
 *	Sessions in parallel. The attempts are one pool shared by up to
 *	PROBE_MAX_SLOTS sessions at once: relay_battery_use_slot() names the
 *	session the following calls are for (slot 0 unless a probe opens
 *	more), each plans its flights from the attempts still pending, so no
 *	attempt goes out twice, and relay_battery_sessions_wanted() says how
 *	many sessions the pending attempts need. RELAY_NEXT_DONE with
 *	relay_battery_in_flight() true means this session has nothing left
 *	while others still await replies: the battery is not complete yet.
 *
 *	Verdict. Relay attempts accepted (250, 251, or 252 noted as
 *	unverified) and at least one control refused: vulnerable. Accepted but
 *	both controls accepted as well: suspected (accept-all at RCPT time).
 *	Nothing accepted and at least one attempt refused permanently, the
 *	battery complete: not vulnerable. Everything else is inconclusive,
 *	with the reason: incomplete battery, authentication required for every
 *	recipient, every sender refused at MAIL FROM, only 4xx deferrals,
 *	controls that could not be judged.
 *
 *	The struct is public so a probe can embed it in its private state;
 *	its members are private to this module.
 */
#ifndef RELAY_BATTERY_H
#define RELAY_BATTERY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "finding.h"
#include "probe.h"
#include "smtp_reply.h"

/*
 * Refusals one session may collect from the battery (see DESCRIPTION):
 * below Postfix's soft limit of 10, so no reply of the session, QUIT's
 * included, is delayed.
 */
#define RELAY_MAX_ERRORS_PER_SESSION 9

/* Local part of every relay recipient. */
#define RELAY_LOCAL_PART "smtp-audit-relay-test"

/* Tags the battery uses for its commands: a probe's own tags stay below. */
#define RELAY_BATTERY_TAG_FIRST 0x1000
#define RELAY_BATTERY_TAG_LAST  0x12ff

/* Longest command line the battery builds (addresses are bounded at init). */
#define RELAY_LINE_MAX 1024

/*
 * One command per refusal the budget allows (MAIL or RCPT), plus an RSET
 * before each MAIL, and a MAIL always comes with at least one RCPT.
 */
#define RELAY_FLIGHT_MAX (RELAY_MAX_ERRORS_PER_SESSION + RELAY_MAX_ERRORS_PER_SESSION / 2)

#define RELAY_REASON_MAX 640

/* X(enum suffix, variant name) in the order senders are tried. */
#define RELAY_SENDER_MAP(X)                                                                        \
	X(NULL, "null-sender")                                                                     \
	X(EXTERNAL, "external-sender")                                                             \
	X(OWN_DOMAIN, "own-domain-sender")                                                         \
	X(IP_LITERAL, "ip-literal-sender")

enum relay_sender {
#define RELAY_SENDER_ENUM(name, text) RELAY_SENDER_##name,
	RELAY_SENDER_MAP(RELAY_SENDER_ENUM)
#undef RELAY_SENDER_ENUM
	    RELAY_SENDER_COUNT
};

/* X(enum suffix, variant name) in the order recipients are tried; PLAIN is no trick. */
#define RELAY_FORM_MAP(X)                                                                          \
	X(PLAIN, "plain")                                                                          \
	X(PERCENT_LITERAL, "percent-hack-literal")                                                 \
	X(PERCENT_HOST, "percent-hack-host")                                                       \
	X(QUOTED_AT, "quoted-at")                                                                  \
	X(QUOTED_PERCENT, "quoted-percent")                                                        \
	X(QUOTED_AT_LITERAL, "quoted-at-literal")                                                  \
	X(DOUBLE_AT_LITERAL, "double-at-literal")                                                  \
	X(DOUBLE_AT_HOST, "double-at-host")                                                        \
	X(ROUTE_LITERAL, "source-route-literal")                                                   \
	X(ROUTE_HOST, "source-route-host")                                                         \
	X(BANG, "bang-path")                                                                       \
	X(BANG_LITERAL, "bang-path-literal")                                                       \
	X(BANG_HOST, "bang-path-host")                                                             \
	X(TRAILING_DOT, "trailing-dot")                                                            \
	X(UPPER_CASE, "upper-case-domain")

enum relay_form {
#define RELAY_FORM_ENUM(name, text) RELAY_FORM_##name,
	RELAY_FORM_MAP(RELAY_FORM_ENUM)
#undef RELAY_FORM_ENUM
	    RELAY_FORM_COUNT
};

enum relay_control {
	RELAY_CONTROL_NX_LOCAL,       /* random user at the server's own domain */
	RELAY_CONTROL_INVALID_DOMAIN, /* user at a random .invalid domain */
	RELAY_CONTROL_COUNT
};

#define RELAY_SENDERS_ALL ((1u << RELAY_SENDER_COUNT) - 1)
#define RELAY_FORMS_ALL   ((1u << RELAY_FORM_COUNT) - 1)

#define RELAY_ATTEMPT_COUNT (RELAY_CONTROL_COUNT + RELAY_SENDER_COUNT * RELAY_FORM_COUNT)

_Static_assert(RELAY_BATTERY_TAG_FIRST + 0x200 + RELAY_ATTEMPT_COUNT <= RELAY_BATTERY_TAG_LAST,
               "every attempt has a tag");

/* Why a reply to MAIL or RCPT was what it was. */
enum relay_class {
	RELAY_CLASS_ACCEPTED,      /* 250, 251 */
	RELAY_CLASS_UNVERIFIED,    /* 252: accepted without verification */
	RELAY_CLASS_TLS_REQUIRED,  /* 530 "Must issue a STARTTLS command first" and kin */
	RELAY_CLASS_AUTH_REQUIRED, /* 530, x.7.0/x.7.1/x.7.57 "authentication required" */
	RELAY_CLASS_THROTTLED,     /* 421: the server ends the session */
	RELAY_CLASS_DEFERRED,      /* other 4xx: 450, 451, 452 */
	RELAY_CLASS_SYNTAX,        /* 500, 501, 502, 503, 504, 555 */
	RELAY_CLASS_REJECTED,      /* other 5xx: 550, 551, 553, 554 (policy) */
	RELAY_CLASS_COUNT
};

enum relay_next {
	RELAY_NEXT_FLIGHT,    /* send the flight */
	RELAY_NEXT_RECONNECT, /* the session's error budget is spent: continue in a new one */
	RELAY_NEXT_DONE,      /* nothing left to plan (others may still await replies) */
};

/* What a reply means for the session, beyond the attempt it answers. */
enum relay_event {
	RELAY_EVENT_NONE,
	RELAY_EVENT_TLS_REQUIRED,  /* the server wants STARTTLS first (never after TLS) */
	RELAY_EVENT_AUTH_REQUIRED, /* MAIL refused until the client authenticates */
	RELAY_EVENT_THROTTLED,     /* 421 */
};

struct relay_command {
	int tag;
	char line[RELAY_LINE_MAX];
};

struct relay_flight {
	size_t n;
	struct relay_command cmd[RELAY_FLIGHT_MAX];
};

struct relay_battery_setup {
	const struct probe_settings *settings; /* relay_domain and relay_from */
	const struct probe_target *target;     /* address and family for the literal */
	const struct smtp_reply *greeting;     /* with caps: the server's host name */
	const struct smtp_caps *caps;          /* NULL after HELO */
	uint64_t nonce;                        /* makes the control addresses unique */
	uint32_t senders;                      /* bits of enum relay_sender */
	uint32_t forms;                        /* bits of enum relay_form */
	bool reconnects; /* the probe follows RELAY_NEXT_RECONNECT (see DESCRIPTION) */
};

struct relay_attempt {
	uint8_t status;          /* private enum */
	uint8_t sender;          /* sender the attempt went with (controls: set when sent) */
	uint8_t slot;            /* session it went out in */
	uint8_t cls;             /* enum relay_class once judged */
	struct smtp_reply reply; /* bounded copy, kept for accepted attempts and controls */
};

struct relay_sender_state {
	uint8_t status;                  /* private enum */
	struct smtp_reply mail_accepted; /* latest acceptance of MAIL FROM (bounded copy) */
	struct smtp_reply mail_refused;  /* the refusal, when MAIL FROM was refused */
};

/* What the battery knows of one of the sessions it runs in. */
struct relay_slot {
	bool tls;
	bool mail_sent;
	int txn_sender; /* sender of the open transaction, -1 for none */
	unsigned errors;
	unsigned outstanding;
	unsigned flights;
	size_t judged;
};

struct relay_battery {
	char domain[254];     /* external relay domain */
	char from[321];       /* external sender */
	char host[254];       /* server host name, "" when unknown */
	char own_domain[254]; /* domain of host, "" when unknown */
	char literal[64];     /* "[192.0.2.1]" or "[IPv6:...]" */
	char nx_local[48];    /* local part of the nonexistent-user control */
	char invalid_domain[64];
	struct relay_attempt attempts[RELAY_ATTEMPT_COUNT];
	struct relay_sender_state senders[RELAY_SENDER_COUNT];
	bool reconnects;
	bool pipelining; /* the server offered PIPELINING */
	unsigned slot;   /* the session calls are for */
	struct relay_slot slots[PROBE_MAX_SLOTS];
};

struct relay_judgement {
	enum verdict verdict;
	size_t planned; /* relay attempts in the battery (controls and skipped excluded) */
	size_t skipped; /* needing a host name the server did not give */
	size_t judged;
	size_t accepted;       /* 250/251/252 */
	size_t unverified;     /* ... of which 252 */
	size_t refused;        /* permanent refusals: policy, syntax, authentication */
	size_t syntax;         /* ... of which 5xx syntax or sequence errors */
	size_t auth_required;  /* ... of which "authentication required" */
	size_t deferred;       /* 4xx */
	size_t sender_refused; /* not judged: their MAIL FROM was refused */
	size_t controls;       /* controls in the battery */
	size_t controls_judged;
	size_t controls_accepted;
	char reason[RELAY_REASON_MAX];
};

/*
 * Builds the attempts from the setup. Returns 0, SA_ERROR_INVAL when the
 * relay domain or sender is missing or no sender or form is selected, or
 * SA_ERROR_RANGE when an address is too long for a command line.
 */
int relay_battery_init(struct relay_battery *b, const struct relay_battery_setup *setup);

/* Releases the replies kept for evidence; the battery may be re-initialised. */
void relay_battery_free(struct relay_battery *b);

/*
 * Forgets every result, keeping the addresses: the battery runs again (after
 * STARTTLS). Other sessions' replies still due are ignored.
 */
void relay_battery_reset(struct relay_battery *b);

/* The following calls are for the session in slot (0 .. PROBE_MAX_SLOTS - 1). */
void relay_battery_use_slot(struct relay_battery *b, unsigned slot);

/* Sessions the pending attempts need, one full flight each. */
size_t relay_battery_sessions_wanted(const struct relay_battery *b);

/* True while attempts of any session await their replies. */
bool relay_battery_in_flight(const struct relay_battery *b);

/*
 * A new session begins (or the old one continues in TLS): nothing is open,
 * and errors counts the refusals the session has already seen.
 */
void relay_battery_session_start(struct relay_battery *b, bool tls, unsigned errors);

/* The session ended: attempts that got no reply go back to the queue. */
void relay_battery_session_lost(struct relay_battery *b);

/* The next flight; call only when the previous one is fully answered. */
enum relay_next relay_battery_next(struct relay_battery *b, struct relay_flight *flight);

/* True when tag belongs to a battery command. */
bool relay_battery_owns_tag(int tag);

/* Takes the reply to a battery command, in order. */
enum relay_event relay_battery_on_reply(struct relay_battery *b, int tag,
                                        const struct smtp_reply *reply);

/* True when every command of the last flight has its reply. */
bool relay_battery_flight_done(const struct relay_battery *b);

/* Refusals seen in this session; attempts judged in this session. */
unsigned relay_battery_session_errors(const struct relay_battery *b);
size_t relay_battery_session_judged(const struct relay_battery *b);

/*
 * The verdict and counts. complete: the battery ran to its end; when false
 * only a positive verdict (vulnerable, suspected) stands, anything else is
 * inconclusive.
 */
void relay_battery_judge(const struct relay_battery *b, bool complete, struct relay_judgement *out);

/* Accepted relay attempts of sender and form (-1: any). */
size_t relay_battery_count_accepted(const struct relay_battery *b, int sender, int form);

/* Adds MAIL and RCPT with their replies for each of those attempts to f. */
int relay_battery_add_accepted(const struct relay_battery *b, int sender, int form,
                               struct finding *f);

/* Adds the controls that were judged (MAIL, RCPT, replies) to f. */
int relay_battery_add_controls(const struct relay_battery *b, struct finding *f);

/* Index of the first accepted relay attempt in battery order, -1 when none. */
int relay_battery_first_accepted(const struct relay_battery *b);

/*
 * The MAIL and RCPT lines of attempt's sender and recipient form, with the
 * recipient local@domain in place of the relay test recipient (the relay
 * canary). SA_ERROR_RANGE when they do not fit len bytes.
 */
int relay_battery_path_lines(const struct relay_battery *b, int attempt, const char *local,
                             const char *domain, char *mail, char *rcpt, size_t len);

enum relay_class relay_battery_classify(const struct smtp_reply *reply);

const char *relay_battery_sender_name(enum relay_sender sender);
const char *relay_battery_form_name(enum relay_form form);
const char *relay_battery_class_name(enum relay_class cls);

#endif
