/*
 * NAME
 *	starttls_injection - does the server run commands injected before the TLS handshake?
 *
 * DESCRIPTION
 *	A man in the middle can append a command to the client's STARTTLS
 *	line. A server that keeps the bytes it buffered before the handshake
 *	runs that command inside the TLS session, as if the client had sent
 *	it there (CVE-2011-0411 in Postfix, and the 2021 family of the same bug
 *	in many servers and clients). One session:
 *
 *	  EHLO
 *	  STARTTLS\r\nRSET\r\n       one TCP write
 *	  220 ...                    (handshake)
 *	  250 ... inside TLS         the buffered RSET was run: vulnerable
 *	  (silence), EHLO, 250       the RSET was discarded: not vulnerable
 *
 *	The reverse direction is checked in the same step: bytes the server
 *	sends after its 220 and before the handshake (a server that answers
 *	the injected RSET in clear, or chatters) are TLS_DATA_BEFORE_HANDSHAKE;
 *	they break the handshake of strict clients and show the server reads
 *	past its STARTTLS.
 *
 *	RSET is the injected command because it changes nothing that could
 *	matter: it only resets a transaction that does not exist.
 *
 *	Not applicable: implicit-TLS ports, servers that do not offer
 *	STARTTLS. A refused STARTTLS or a failed handshake is inconclusive
 *	here (the starttls probe reports it).
 *
 *	References: RFC 3207 section 4.2 (discard buffered input), CVE-2011-0411
 *	(Postfix), CVE-2021-33515 (Dovecot submission), "NO STARTTLS" (USENIX
 *	Security 2021). Client-side members of the family, such as Exim's
 *	CVE-2021-38371 in its smtp transport, cannot be seen from a server scan.
 */
#include <stdio.h>
#include <string.h>

#include "probe.h"

#define STARTTLS_INJECTION_COMMAND "RSET"

/* How many bytes after the 220 the evidence keeps. */
#define STARTTLS_INJECTION_SHOWN 120

enum starttls_injection_tag {
	STARTTLS_INJECTION_TAG_STARTTLS = 1,
};

static void starttls_injection_start(struct probe_ctx *ctx)
{
	const struct smtp_caps *caps = probe_caps(ctx);
	if (probe_target(ctx)->implicit_tls) {
		probe_conclude(ctx, VERDICT_NOT_APPLICABLE,
		               "implicit TLS: no STARTTLS to inject into");
		return;
	}
	if (caps == NULL || !smtp_caps_has(caps, SMTP_EXT_STARTTLS)) {
		probe_conclude(ctx, VERDICT_NOT_APPLICABLE, "STARTTLS is not offered");
		return;
	}
	if (probe_starttls_inject(ctx, STARTTLS_INJECTION_TAG_STARTTLS,
	                          STARTTLS_INJECTION_COMMAND) != 0)
		probe_conclude(ctx, VERDICT_INCONCLUSIVE, "could not send STARTTLS");
}

static void starttls_injection_early_data(struct probe_ctx *ctx, const struct probe_reply *r)
{
	struct finding *f = probe_finding(ctx, CATALOG_TLS_DATA_BEFORE_HANDSHAKE, NULL);
	if (f != NULL) {
		size_t shown =
		    r->raw_len < STARTTLS_INJECTION_SHOWN ? r->raw_len : STARTTLS_INJECTION_SHOWN;
		char text[STARTTLS_INJECTION_SHOWN + 1];
		/* Evidence is text: a NUL would cut it, so it is shown as a dot. */
		for (size_t i = 0; i < shown; i++)
			text[i] = r->raw[i] != '\0' ? (char)r->raw[i] : '.';
		text[shown] = '\0';
		finding_set_detail(f, "%zu bytes followed the 220 to STARTTLS before the handshake",
		                   r->raw_len);
		finding_add_exchange(f, "STARTTLS", r->reply);
		finding_add_evidence(f, EVIDENCE_RECEIVED, text);
	}
	probe_conclude(ctx, VERDICT_VULNERABLE,
	               "the server sent %zu bytes after its 220 to STARTTLS, before the handshake",
	               r->raw_len);
}

static void starttls_injection_answered(struct probe_ctx *ctx, const struct probe_reply *r)
{
	struct finding *f = probe_finding(ctx, CATALOG_TLS_STARTTLS_INJECTION, NULL);
	if (f != NULL) {
		finding_set_detail(f,
		                   "%s, sent in clear with STARTTLS, was answered inside TLS (%d)",
		                   STARTTLS_INJECTION_COMMAND, r->reply->code);
		finding_add_evidence(f, EVIDENCE_NOTE,
		                     "sent STARTTLS<CRLF>" STARTTLS_INJECTION_COMMAND
		                     "<CRLF> in one TCP segment");
		finding_add_evidence(f, EVIDENCE_NOTE,
		                     "answered inside TLS, where no command had been sent:");
		finding_add_exchange(f, NULL, r->reply);
	}
	probe_conclude(ctx, VERDICT_VULNERABLE,
	               "a command injected before the handshake ran inside the TLS session");
}

static void starttls_injection_step(struct probe_ctx *ctx, const struct probe_reply *r)
{
	bool inside_tls_unasked = strcmp(r->command, STARTTLS_INJECTION_COMMAND) == 0;
	if (r->raw != NULL) {
		starttls_injection_early_data(ctx, r);
	} else if (inside_tls_unasked && r->reply->code == 220) {
		/* A second greeting is odd, but not the injected command's answer. */
		probe_conclude(ctx, VERDICT_INCONCLUSIVE, "the server greeted again inside TLS");
	} else if (inside_tls_unasked) {
		starttls_injection_answered(ctx, r);
	} else if (!probe_tls_active(ctx)) {
		probe_conclude(ctx, VERDICT_INCONCLUSIVE, "STARTTLS refused (%d)", r->reply->code);
	} else {
		probe_conclude(ctx, VERDICT_NOT_VULNERABLE,
		               "the command injected with STARTTLS was discarded");
	}
}

const struct probe probe_starttls_injection = {
    .name = "starttls_injection",
    .summary = "commands injected with STARTTLS run inside TLS (CVE-2011-0411 family)",
    .preamble = PROBE_PREAMBLE_PLAINTEXT,
    .flags = PROBE_DEFAULT,
    .start = starttls_injection_start,
    .step = starttls_injection_step,
};
