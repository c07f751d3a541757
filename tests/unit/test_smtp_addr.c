/*
 * NAME
 *	test_smtp_addr - server names, domains and address literals
 */
#include <criterion/criterion.h>
#include <stdlib.h>

#include "smtp_addr.h"

static struct smtp_reply reply_of(const char *wire)
{
	struct smtp_reply_parser p;
	struct smtp_reply r = {0};
	size_t used;
	smtp_reply_parser_init(&p, NULL);
	cr_assert_eq(smtp_reply_parser_feed(&p, wire, strlen(wire), &used, &r), SMTP_REPLY_COMPLETE);
	smtp_reply_parser_free(&p);
	return r;
}

Test(smtp_addr, literals, .timeout = 5)
{
	char buf[64];
	cr_assert_str_eq(smtp_addr_literal("192.0.2.1", 4, buf, sizeof(buf)), "[192.0.2.1]");
	cr_assert_str_eq(smtp_addr_literal("2001:db8::1", 6, buf, sizeof(buf)), "[IPv6:2001:db8::1]");
}

Test(smtp_addr, hostnames, .timeout = 5)
{
	cr_assert(smtp_addr_is_hostname("mx.example.org"));
	cr_assert(smtp_addr_is_hostname("a-b.c"));
	cr_assert_not(smtp_addr_is_hostname("localhost"));
	cr_assert_not(smtp_addr_is_hostname("-bad.example"));
	cr_assert_not(smtp_addr_is_hostname("a..b"));
	cr_assert_not(smtp_addr_is_hostname("x.example.org\r\nRCPT"));
	cr_assert_not(smtp_addr_is_hostname("[192.0.2.1]"));
	cr_assert_not(smtp_addr_is_hostname(""));
}

Test(smtp_addr, server_name_prefers_ehlo, .timeout = 5)
{
	char buf[256];
	struct smtp_reply g = reply_of("220 Mail.Example.ORG ESMTP Postfix\r\n");
	struct smtp_caps caps = {.server_name = "mx2.example.org"};
	cr_assert_str_eq(smtp_addr_server_name(&g, &caps, buf, sizeof(buf)), "mx2.example.org");
	cr_assert_str_eq(smtp_addr_server_name(&g, NULL, buf, sizeof(buf)), "mail.example.org");
	smtp_reply_free(&g);
}

Test(smtp_addr, server_name_rejects_junk, .timeout = 5)
{
	char buf[256];
	struct smtp_reply g = reply_of("220 \x1b[31m<script> ready\r\n");
	struct smtp_caps caps = {.server_name = "[127.0.0.1]"};
	cr_assert_str_eq(smtp_addr_server_name(&g, &caps, buf, sizeof(buf)), "");
	smtp_reply_free(&g);
}

Test(smtp_addr, domain_of, .timeout = 5)
{
	char buf[256];
	cr_assert_str_eq(smtp_addr_domain_of("mx.lab.test", buf, sizeof(buf)), "lab.test");
	cr_assert_str_eq(smtp_addr_domain_of("example.org", buf, sizeof(buf)), "example.org");
	cr_assert_str_eq(smtp_addr_domain_of("a.b.c.d", buf, sizeof(buf)), "b.c.d");
}
