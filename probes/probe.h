/*
 * NAME
 *	probe - the contract between the engine and a probe module
 *
 * SUMMARY
 *	static void relay_start(struct probe_ctx *ctx) { ... probe_send(ctx, TAG_MAIL, "MAIL FROM:<>"); }
 *	static void relay_step(struct probe_ctx *ctx, const struct probe_reply *r) { switch (st->phase) ... }
 *	const struct probe probe_open_relay = {
 *		.name = "open_relay", .summary = "...", .preamble = PROBE_PREAMBLE_EHLO,
 *		.state_size = sizeof(struct relay_state), .start = relay_start, .step = relay_step,
 *	};
 *
 * DESCRIPTION
 *	A probe is pure protocol logic: it sees parsed replies and the server's
 *	capabilities, and answers with the next commands, findings and a
 *	verdict. It never touches sockets, TLS or time; the build makes
 *	including uv.h or an mbedTLS header in probes/ fail (layering_guard.h). That is
 *	what makes every probe testable one reply at a time without a network
 *	(tests/support/probe_harness drives step() with scripted replies).
 *
 *	The engine connects, runs the preamble the probe declares, then calls
 *	start(). Each command the probe queues with probe_send() is answered
 *	by exactly one call of step(), in order, carrying the tag the probe
 *	gave. The probe's own progress is a named enum in its private state
 *	and a switch, never nested callbacks.
 *
 *	Commands queued in one callback form a flight: the engine sends them
 *	in one write when the server advertised PIPELINING after the latest
 *	EHLO (RFC 2920; a command that must end a group, such as EHLO, AUTH,
 *	VRFY, NOOP or QUIT, ends the flight), and one at a time otherwise.
 *	Either way step() sees the same replies in the same order.
 *
 *	A 421 reply, a timeout, a close, a reset or a TLS failure ends the
 *	session: the engine calls interrupted() (if set), which may call
 *	probe_reconnect() to continue in a fresh session (start() runs again,
 *	private state kept) or probe_conclude() with what is already known. If
 *	it does neither, the probe's outcome is the failure and its verdict
 *	inconclusive.
 *
 *	A run may hold several sessions at once (probe_open_session(), within
 *	--per-host): each callback is for one of them, probe_session_slot()
 *	says which, and every call acts on that session. A session ended
 *	before start() ran in it is dropped silently while others go on (a
 *	server that takes one connection at a time). After probe_conclude()
 *	the others quit at their next reply, without calling the probe.
 *
 *	The send path refuses DATA, BDAT and message content unless the scan
 *	was started with --allow-data, so no probe can deliver mail by accident.
 *
 * CONTRACTS
 *	- start() and step() must queue at least one command or conclude;
 *	  returning with neither is a bug the engine asserts on.
 *	- After probe_conclude() a probe queues nothing more; the engine sends
 *	  QUIT and closes.
 *	- Pointers passed to callbacks are valid only during the call.
 */
#ifndef PROBE_H
#define PROBE_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "catalog.h"
#include "finding.h"
#include "result.h"
#include "smtp_caps.h"
#include "smtp_reply.h"

struct probe_ctx;

enum probe_preamble {
	PROBE_PREAMBLE_GREETING,  /* connect (TLS first on implicit-TLS ports) and read the greeting */
	PROBE_PREAMBLE_EHLO,      /* ... then EHLO, or HELO when EHLO gets a 5xx */
	PROBE_PREAMBLE_PLAINTEXT, /* as EHLO; the probe is about cleartext, so on an
				     implicit-TLS port it is not applicable and not run */
	PROBE_PREAMBLE_TLS_RAW,   /* as EHLO on STARTTLS ports; on implicit-TLS ports start()
				     runs right after connect, in raw mode (no handshake,
				     no greeting), for probe_send_raw() */
};

enum probe_flag {
	PROBE_DEFAULT = 1u << 0,   /* part of the default probe set */
	PROBE_INTRUSIVE = 1u << 1, /* needs an explicit --probes to run */
	PROBE_SEES_TLS_FAILURE = 1u << 2, /* a failed implicit-TLS handshake in the preamble
					     goes to interrupted() instead of ending the run */
};

/* Settings a probe may read; the engine fills them from the command line. */
struct probe_settings {
	const char *helo_name;    /* name the scanner greets with */
	const char *relay_domain; /* external domain for relay attempts (RFC 2606 default) */
	const char *relay_from;   /* external sender address */
	const char *relay_canary; /* recipient for the end-to-end relay proof, or NULL */
	bool allow_data;          /* --allow-data given */
	unsigned cert_warn_days;  /* certificate expiry warning horizon (default 21) */
	const char *const *users; /* local parts for user enumeration (--users), or NULL */
	size_t nusers;            /*   ... and how many; 0 = the built-in list */
	const char *auth_user;     /* --auth-user: a real login for auth_credentials, or NULL */
	const char *auth_password; /* its password (--auth-password-file), NULL without */
	bool auth_insecure_tls;    /* --auth-insecure-tls: log in without a verified certificate */
};

/* Where this session is connected. */
struct probe_target {
	const char *host;     /* the name or address the user gave */
	const char *address;  /* numeric address of this connection */
	int family;           /* 4 or 6 */
	uint16_t port;
	bool implicit_tls;
	bool submission;      /* a message submission port (--submission-ports, default 587) */
};

struct probe_reply {
	int tag;                        /* as given to probe_send() / probe_starttls() */
	const char *command;            /* the command line as sent, without CRLF */
	const struct smtp_reply *reply; /* NULL for a raw record */
	const unsigned char *raw;       /* raw mode: bytes from the server, else NULL */
	size_t raw_len;
};

/*
 * A probe module. Callback contracts:
 *
 * start	the preamble is done (or a reconnect's preamble is); queue the
 *		first command(s) or conclude.
 * step		one complete reply to a command this probe queued; queue more
 *		or conclude.
 * interrupted	the session ended before the probe concluded (why: timeout,
 *		closed, throttled, tls-error, protocol-error); may reconnect or
 *		conclude. NULL: the failure stands.
 * cleanup	releases what the private state points to (the state itself is
 *		freed by the engine); NULL when there is nothing to release.
 */
struct probe {
	const char *name;      /* stable, used by --probes */
	const char *summary;   /* one line for --list-probes */
	enum probe_preamble preamble;
	unsigned flags;        /* enum probe_flag */
	size_t state_size;     /* private state, zeroed by the engine */
	void (*start)(struct probe_ctx *ctx);
	void (*step)(struct probe_ctx *ctx, const struct probe_reply *reply);
	void (*interrupted)(struct probe_ctx *ctx, enum outcome why);
	void (*cleanup)(void *state);
};

/* ---- Context API, implemented by the engine (and by the test harness). ---- */

void *probe_state(struct probe_ctx *ctx);
const struct probe_settings *probe_settings(const struct probe_ctx *ctx);
const struct probe_target *probe_target(const struct probe_ctx *ctx);

/* The greeting of this session. */
const struct smtp_reply *probe_greeting(const struct probe_ctx *ctx);

/* Capabilities from the latest EHLO of this session; NULL before EHLO or after HELO. */
const struct smtp_caps *probe_caps(const struct probe_ctx *ctx);

/* Capabilities from the plaintext EHLO of this session, kept after STARTTLS; NULL if none. */
const struct smtp_caps *probe_caps_plain(const struct probe_ctx *ctx);

bool probe_tls_active(const struct probe_ctx *ctx);

/* What the handshake of this session established (certificate included); NULL without TLS. */
const struct tls_facts *probe_tls_facts(const struct probe_ctx *ctx);

/*
 * In interrupted(): the engine's one-line account of why the session
 * ended ("server sent 12 bytes after its 220 to STARTTLS, before the TLS
 * handshake", "TLS handshake failed: ..."), or "" when it has none.
 */
const char *probe_failure(const struct probe_ctx *ctx);

/* Queues one command line (no CR, LF or NUL; at most 4096 bytes). Returns 0,
 * SA_ERROR_INVAL for a malformed line, SA_ERROR_POLICY for DATA/BDAT without
 * --allow-data. */
int probe_send(struct probe_ctx *ctx, int tag, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/*
 * After a 354 reply to DATA: sends body as the message content. Lines are
 * separated by "\n" (or "\r\n"); the engine dot-stuffs them, ends the data
 * with "<CRLF>.<CRLF>", and hands the one reply to the end of data to
 * step() with this tag. SA_ERROR_POLICY without --allow-data,
 * SA_ERROR_TOOBIG over SMTP_COMMAND_MAX_MESSAGE bytes.
 */
int probe_send_message(struct probe_ctx *ctx, int tag, const char *body);

/*
 * Sends STARTTLS. On 220 the engine does the handshake and EHLO again and
 * hands the EHLO reply to step() with this tag (probe_tls_active() is then
 * true); any other reply to STARTTLS is handed over as is.
 */
int probe_starttls(struct probe_ctx *ctx, int tag);

/*
 * STARTTLS and, in the same TCP write, the command line injected (no CR/LF),
 * as a man in the middle would append it (CVE-2011-0411). Replies, each
 * with this tag:
 *  - not 220: handed over as is (command "STARTTLS");
 *  - 220 followed by more bytes before the handshake: the 220 with those
 *    bytes in raw (the session then only closes);
 *  - 220, handshake, and a reply inside TLS within a short wait: that reply
 *    with command = the injected line (the server ran it in the TLS session);
 *  - 220, handshake, silence: EHLO is sent and its reply handed over
 *    (command "EHLO ..."), as after probe_starttls().
 */
int probe_starttls_inject(struct probe_ctx *ctx, int tag, const char *line);

/*
 * STARTTLS without a handshake: on 220 the session switches to raw mode
 * and step() gets the 220 (raw: any bytes that followed it). Any other
 * reply is handed over as is and the session stays SMTP.
 */
int probe_starttls_raw(struct probe_ctx *ctx, int tag);

/*
 * Raw mode only (after probe_starttls_raw()'s 220, or PROBE_PREAMBLE_TLS_RAW
 * on an implicit-TLS port): writes len bytes (at most PROBE_RAW_WRITE_MAX) and hands the
 * answer to step() in raw: one complete TLS record (at most 5 + 18432
 * bytes), or, when the bytes are not a TLS record header, what arrived as
 * is. A close is interrupted(OUTCOME_CLOSED); a raw session ends without
 * QUIT when the probe concludes or reconnects.
 */
#define PROBE_RAW_WRITE_MAX 16384
int probe_send_raw(struct probe_ctx *ctx, int tag, const void *data, size_t len);

/* Raw mode only: waits for the next record without sending anything. */
int probe_read_raw(struct probe_ctx *ctx, int tag);

/* Continues in a new session (after interrupted(), or to spread attempts). */
int probe_reconnect(struct probe_ctx *ctx);

/* Sessions of one run that may be open at once. */
#define PROBE_MAX_SLOTS 8

/*
 * Asks for one more session of this run alongside the current one; start()
 * runs in it after its preamble. SA_ERROR_RANGE when the run already holds
 * or awaits --per-host (at most PROBE_MAX_SLOTS) sessions, its session
 * budget is spent, or it has concluded.
 */
int probe_open_session(struct probe_ctx *ctx);

/*
 * Ends the current session (QUIT) without a successor while other
 * sessions of the run go on. SA_ERROR_INVAL when it is the only one:
 * conclude or reconnect instead.
 */
int probe_end_session(struct probe_ctx *ctx);

/* Which of the run's sessions the current callback is for: 0 .. PROBE_MAX_SLOTS - 1. */
unsigned probe_session_slot(const struct probe_ctx *ctx);

/* Sessions of the run open or asked for, the current one included. */
unsigned probe_session_count(const struct probe_ctx *ctx);

/* Ends the probe with a verdict and an optional one-line reason (fmt may be NULL). */
void probe_conclude(struct probe_ctx *ctx, enum verdict v, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/*
 * Records a finding; returns it so the probe can add evidence (owned by the
 * engine, valid until the probe concludes), NULL on allocation failure.
 * The engine feeds every reply to the target's software fingerprint itself.
 */
struct finding *probe_finding(struct probe_ctx *ctx, enum catalog_id id, const char *variant);

/* Unix time in seconds: the wall clock in scans, fixed in tests. */
int64_t probe_now(const struct probe_ctx *ctx);

/* Random 64-bit value: unpredictable in scans, scripted in tests. */
uint64_t probe_random(struct probe_ctx *ctx);

#endif
