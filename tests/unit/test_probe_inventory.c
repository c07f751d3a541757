/*
 * NAME
 *	test_probe_inventory - the inventory probe, one reply at a time
 */
#include <criterion/criterion.h>

#include "probe_harness.h"

extern const struct probe probe_inventory;

static const char ehlo_with_starttls[] = "250-mx.example.org\r\n"
					 "250-PIPELINING\r\n"
					 "250-STARTTLS\r\n"
					 "250 8BITMIME";

Test(probe_inventory, starts_tls_when_advertised, .timeout = 10)
{
	struct harness_setup setup = {.ehlo = ehlo_with_starttls};
	struct harness *h = harness_new(&probe_inventory, &setup);
	harness_start(h);
	cr_assert_eq(harness_pending(h), 1);
	cr_assert_str_eq(harness_pending_command(h, 0), "STARTTLS");
	harness_reply(h, "220 2.0.0 Ready to start TLS");
	cr_assert(harness_tls_active(h));
	cr_assert(harness_concluded(h));
	cr_assert_eq(harness_verdict(h), VERDICT_NONE);
	cr_assert_eq(harness_findings(h), 0);
	cr_assert_eq(harness_sent_verb(h, "MAIL"), 0);
	harness_free(h);
}

Test(probe_inventory, notes_refused_starttls, .timeout = 10)
{
	struct harness_setup setup = {.ehlo = ehlo_with_starttls};
	struct harness *h = harness_new(&probe_inventory, &setup);
	harness_start(h);
	harness_reply(h, "454 4.7.0 TLS not available due to local problem");
	cr_assert(!harness_tls_active(h));
	cr_assert(harness_concluded(h));
	cr_assert(strstr(harness_verdict_reason(h), "454") != NULL, "reason: %s",
		  harness_verdict_reason(h));
	harness_free(h);
}

Test(probe_inventory, no_starttls_sends_nothing, .timeout = 10)
{
	struct harness_setup setup = {.ehlo = "250-mx.example.org\r\n250 PIPELINING"};
	struct harness *h = harness_new(&probe_inventory, &setup);
	harness_start(h);
	cr_assert(harness_concluded(h));
	cr_assert_eq(harness_sent_count(h), 0);
	cr_assert_str_eq(harness_verdict_reason(h), "STARTTLS not advertised");
	harness_free(h);
}

Test(probe_inventory, helo_only_server, .timeout = 10)
{
	struct harness_setup setup = {.ehlo = NULL};
	struct harness *h = harness_new(&probe_inventory, &setup);
	harness_start(h);
	cr_assert(harness_concluded(h));
	cr_assert_eq(harness_sent_count(h), 0);
	harness_free(h);
}

Test(probe_inventory, implicit_tls_needs_no_starttls, .timeout = 10)
{
	struct harness_setup setup = {.port = 465, .implicit_tls = true,
				      .ehlo = "250-mx.example.org\r\n250 AUTH PLAIN"};
	struct harness *h = harness_new(&probe_inventory, &setup);
	harness_start(h);
	cr_assert(harness_concluded(h));
	cr_assert_eq(harness_sent_count(h), 0);
	harness_free(h);
}
