/*
 * NAME
 *	inventory - record what the service is: greeting, capabilities, TLS
 *
 * DESCRIPTION
 *	Sends:	EHLO (HELO if EHLO is refused), and STARTTLS + EHLO when
 *		STARTTLS is advertised on a cleartext connection.
 *	Never:	MAIL, RCPT, AUTH or DATA; no mail transaction is started.
 *	Vulnerable: nothing; this probe judges nothing. The engine stores the
 *		greeting, both EHLO capability sets, the TLS parameters and the
 *		certificate as host facts, which other probes, the reports and
 *		baseline comparisons use.
 *	False positives: none (no verdict). A STARTTLS refused with 454 or 5xx
 *		is noted in the verdict reason.
 *	References: RFC 5321 section 4.1.1.1, RFC 3207.
 */
#include "probe.h"

enum inventory_tag {
	INVENTORY_TAG_STARTTLS,
};

static void inventory_start(struct probe_ctx *ctx)
{
	const struct smtp_caps *caps = probe_caps(ctx);
	if (probe_tls_active(ctx)) {
		probe_conclude(ctx, VERDICT_NONE, "implicit TLS service recorded");
		return;
	}
	if (caps == NULL) {
		probe_conclude(ctx, VERDICT_NONE, "server speaks only HELO (no ESMTP capabilities)");
		return;
	}
	if (!smtp_caps_has(caps, SMTP_EXT_STARTTLS)) {
		probe_conclude(ctx, VERDICT_NONE, "STARTTLS not advertised");
		return;
	}
	if (probe_starttls(ctx, INVENTORY_TAG_STARTTLS) != 0)
		probe_conclude(ctx, VERDICT_NONE, "STARTTLS could not be attempted");
}

static void inventory_step(struct probe_ctx *ctx, const struct probe_reply *r)
{
	if (probe_tls_active(ctx))
		probe_conclude(ctx, VERDICT_NONE, "capabilities recorded before and after STARTTLS");
	else
		probe_conclude(ctx, VERDICT_NONE, "STARTTLS refused: %d %s", r->reply->code,
			       r->reply->lines[0]);
}

const struct probe probe_inventory = {
	.name = "inventory",
	.summary = "greeting, EHLO capabilities before and after STARTTLS, TLS and certificate facts",
	.preamble = PROBE_PREAMBLE_EHLO,
	.flags = PROBE_DEFAULT,
	.start = inventory_start,
	.step = inventory_step,
};
