/*
 * NAME
 *	probe_harness - drive a probe's step() with scripted replies
 *
 * SUMMARY
 *	struct harness *h = harness_new(&probe_open_relay, &setup);
 *	harness_start(h);
 *	cr_assert_str_eq(harness_pending_command(h), "MAIL FROM:<>");
 *	harness_reply(h, "250 2.1.0 Ok");
 *	...
 *	cr_assert_eq(harness_verdict(h), VERDICT_VULNERABLE);
 *	harness_free(h);
 *
 * DESCRIPTION
 *	The harness implements the probe API of probes/probe.h in place of
 *	the engine: no network, no time. Commands the probe queues wait until
 *	the test answers them, oldest first, each with one call of
 *	harness_reply(), exactly as the engine delivers replies. The safety
 *	rules of the engine's send path (smtp_command_check) apply here too.
 *
 *	STARTTLS: answering a probe_starttls() with a 220 reply switches the
 *	session to TLS, installs setup.ehlo_tls as the capabilities and hands
 *	the probe that EHLO reply, as the engine does after the handshake.
 *	A session end (timeout, close) is simulated by harness_interrupt(); a
 *	421 reply ends the session the same way, as in the engine. A wanted
 *	reconnect is started by harness_restart(); the harness runs one session
 *	at a time, so probe_open_session() always declines (SA_ERROR_RANGE) and
 *	every callback is for slot 0. Message content sent with
 *	probe_send_message() is one pending command (its wire form, ending
 *	"\r\n.") answered by one reply.
 *
 *	Raw mode (probe_starttls_raw(), PROBE_PREAMBLE_TLS_RAW on an implicit
 *	port): probe_send_raw() and probe_read_raw() are pending entries whose
 *	command text is "(raw)"; harness_reply_raw() answers the oldest with
 *	bytes. probe_starttls_inject(): the 220 (harness_reply, or
 *	harness_reply_then_bytes for bytes before the handshake) starts TLS;
 *	then harness_reply() is a reply inside TLS to the injected line, and
 *	harness_tls_silence() means none came, so the EHLO reply follows.
 */
#ifndef PROBE_HARNESS_H
#define PROBE_HARNESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "probe.h"

struct harness_setup {
	const char *host;      /* default "mx.example.org" */
	const char *address;   /* default "192.0.2.25" */
	int family;            /* default 4 */
	uint16_t port;         /* default 25 */
	bool implicit_tls;
	bool submission;       /* also true when port is 587, as with the scanner's default */
	const char *greeting;  /* reply text, default "220 mx.example.org ESMTP" */
	const char *ehlo;      /* EHLO reply text (lines separated by \r\n); NULL = HELO only */
	const char *ehlo_tls;  /* EHLO reply after STARTTLS; NULL = same as ehlo minus STARTTLS */
	struct probe_settings settings; /* zero fields get the scanner's defaults */
	uint64_t random;       /* value probe_random() returns (incremented per call) */
	int64_t now;           /* what probe_now() returns */
	const struct tls_facts *tls_facts; /* what probe_tls_facts() returns under TLS */
};

struct harness;

struct harness *harness_new(const struct probe *probe, const struct harness_setup *setup);
void harness_free(struct harness *h);

/* A fresh session (preamble done): calls start(). */
void harness_start(struct harness *h);

/* Commands queued and not yet answered; the oldest is index 0. */
size_t harness_pending(const struct harness *h);
const char *harness_pending_command(const struct harness *h, size_t i);

/* Every command line sent so far, in order (STARTTLS included). */
size_t harness_sent_count(const struct harness *h);
const char *harness_sent(const struct harness *h, size_t i);
/* Number of sent lines whose verb is verb (case-insensitive). */
size_t harness_sent_verb(const struct harness *h, const char *verb);

/* Answers the oldest pending command; text may hold several lines separated by \r\n. */
void harness_reply(struct harness *h, const char *text);

/* Answers the oldest pending raw entry (or the 220 to STARTTLS) with bytes. */
void harness_reply_raw(struct harness *h, const void *data, size_t len);
/* Answers a STARTTLS with reply text followed by len raw bytes before any handshake. */
void harness_reply_then_bytes(struct harness *h, const char *text, const void *data, size_t len);
/* After an injected STARTTLS's handshake: nothing came, so EHLO is answered with ehlo_tls. */
void harness_tls_silence(struct harness *h);
/* Bytes of the i-th raw write the probe made (0 = oldest), NULL past the end. */
const unsigned char *harness_raw_sent(const struct harness *h, size_t i, size_t *len);
/* True while the session is in raw mode. */
bool harness_raw_mode(const struct harness *h);

/* The session ends (why); calls interrupted(). Pending commands are dropped. */
void harness_interrupt(struct harness *h, enum outcome why);
/* The same, with the engine's account of why (probe_failure()). */
void harness_interrupt_because(struct harness *h, enum outcome why, const char *reason);

/* True when the probe asked for a new session (it is not started yet). */
bool harness_reconnect_wanted(const struct harness *h);
/* Starts the new session the probe asked for. */
void harness_restart(struct harness *h);
/* Sessions started so far. */
unsigned harness_sessions(const struct harness *h);

bool harness_concluded(const struct harness *h);
enum verdict harness_verdict(const struct harness *h);
const char *harness_verdict_reason(const struct harness *h);
bool harness_tls_active(const struct harness *h);
/* Result of the last probe_send() (0, SA_ERROR_POLICY, ...). */
int harness_last_send_result(const struct harness *h);

size_t harness_findings(const struct harness *h);
const struct finding *harness_finding(const struct harness *h, size_t i);
/* The first finding with that id (and variant, unless NULL), or NULL. */
const struct finding *harness_find(const struct harness *h, enum catalog_id id, const char *variant);

#endif
