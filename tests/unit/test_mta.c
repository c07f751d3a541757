/*
 * NAME
 *	test_mta - unit tests for recognising the mail server software
 *
 * DESCRIPTION
 *	Real greetings of each product (with the version they disclose),
 *	greetings that must not be recognised, Exchange's EHLO keywords,
 *	the stock rejection texts, and the rules that keep a guess stable:
 *	a weaker clue never replaces a stronger one, an equally strong clue
 *	for another product never flips it, and a stronger one upgrades it.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include <string.h>

#include "mta.h"

struct banner_case {
	char banner[160];
	enum mta mta;
	char version[32];
};

static const struct banner_case banner_cases[] = {
    {"mail.example.org ESMTP Postfix (Debian/GNU)", MTA_POSTFIX, ""},
    {"mail.example.org ESMTP Postfix", MTA_POSTFIX, ""},
    {"mx.example.org ESMTP Postfix 3.7.11", MTA_POSTFIX, "3.7.11"},
    {"mx.example.org ESMTP Exim 4.96 Mon, 13 Nov 2023 10:00:00 +0000", MTA_EXIM, "4.96"},
    {"mx.example.org ESMTP Exim 4.97.1 #2 Tue, 02 Jan 2024 08:00:00 +0100", MTA_EXIM, "4.97.1"},
    {"host.example.com ESMTP Sendmail 8.15.2/8.15.2; Mon, 13 Nov 2023 10:00:00 GMT", MTA_SENDMAIL,
     "8.15.2"},
    {"host.example.com ESMTP Sendmail 8.17.1.9/8.17.1.9/Debian-2; Sat, 1 Jul 2023", MTA_SENDMAIL,
     "8.17.1.9"},
    {"EX01.contoso.com Microsoft ESMTP MAIL Service ready at Mon, 13 Nov 2023 10:00:00 +0000",
     MTA_EXCHANGE, ""},
    {"mail.contoso.com Microsoft ESMTP MAIL Service, Version: 10.0.17763.1 ready at Mon",
     MTA_EXCHANGE, ""},
    {"mail.contoso.com Microsoft Exchange Internet Mail Service 5.5.2653.13 ready", MTA_EXCHANGE,
     ""},
    {"mx.example.org ESMTP OpenSMTPD", MTA_OPENSMTPD, ""},
    {"first line\nmx.example.org ESMTP Exim 4.96", MTA_EXIM, "4.96"},
    /* Names that only look like a product must not count. */
    {"postfix.example.org ESMTP ready", MTA_UNKNOWN, ""},
    {"mx.example.org ESMTP Postfixed-up", MTA_UNKNOWN, ""},
    {"exim.example.org ESMTP", MTA_UNKNOWN, ""},
    {"mx.example.org ESMTP NoSendmail here", MTA_UNKNOWN, ""},
    {"mx.example.org ESMTP ready", MTA_UNKNOWN, ""},
    {"", MTA_UNKNOWN, ""},
};

ParameterizedTestParameters(mta, banner)
{
	return cr_make_param_array(struct banner_case, banner_cases,
	                           sizeof(banner_cases) / sizeof(banner_cases[0]));
}

ParameterizedTest(const struct banner_case *c, mta, banner, .timeout = 10)
{
	struct mta_guess g;
	mta_guess_init(&g);
	mta_guess_banner(&g, c->banner);
	cr_expect_eq(g.mta, c->mta, "\"%s\": got %s, want %s", c->banner, mta_name(g.mta),
	             mta_name(c->mta));
	cr_expect_str_eq(g.version, c->version, "\"%s\": version", c->banner);
	cr_expect_eq(g.strength, c->mta == MTA_UNKNOWN ? 0 : 2, "\"%s\": strength", c->banner);
}

struct reply_case {
	char text[128];
	enum mta mta;
};

static const struct reply_case reply_cases[] = {
    {"5.7.1 <victim@example.net>: Relay access denied", MTA_POSTFIX},
    {"4.1.2 <x@nowhere.invalid>: Recipient address rejected: Domain not found", MTA_POSTFIX},
    {"5.5.2 <x>: Helo command rejected: need fully-qualified hostname", MTA_POSTFIX},
    {"relay not permitted", MTA_EXIM},
    {"Administrative prohibition", MTA_EXIM},
    {"5.7.1 <victim@example.net>... Relaying denied", MTA_SENDMAIL},
    {"5.7.1 <victim@example.net>... Relaying denied. IP name lookup failed [192.0.2.1]",
     MTA_SENDMAIL},
    {"5.7.1 Unable to relay", MTA_EXCHANGE},
    {"5.7.54 SMTP; Unable to relay recipient in non-accepted domain", MTA_EXCHANGE},
    {"Invalid recipient: <victim@example.net>", MTA_OPENSMTPD},
    {"2.1.5 Ok", MTA_UNKNOWN},
    {"5.1.1 User unknown", MTA_UNKNOWN},
    {"", MTA_UNKNOWN},
};

ParameterizedTestParameters(mta, reply)
{
	return cr_make_param_array(struct reply_case, reply_cases,
	                           sizeof(reply_cases) / sizeof(reply_cases[0]));
}

ParameterizedTest(const struct reply_case *c, mta, reply, .timeout = 10)
{
	struct mta_guess g;
	mta_guess_init(&g);
	mta_guess_reply(&g, c->text);
	cr_expect_eq(g.mta, c->mta, "\"%s\": got %s, want %s", c->text, mta_name(g.mta),
	             mta_name(c->mta));
	cr_expect_eq(g.strength, c->mta == MTA_UNKNOWN ? 0 : 1);
	cr_expect_str_eq(g.version, "");
}

Test(mta, exchange_capabilities, .timeout = 10)
{
	static const enum smtp_ext keywords[] = {SMTP_EXT_X_EXPS, SMTP_EXT_XEXCH50,
	                                         SMTP_EXT_X_LINK2STATE, SMTP_EXT_X_ANONYMOUSTLS};
	for (size_t i = 0; i < sizeof(keywords) / sizeof(keywords[0]); i++) {
		struct smtp_caps caps = {.ext = (1u << SMTP_EXT_PIPELINING) | (1u << keywords[i])};
		struct mta_guess g;
		mta_guess_init(&g);
		mta_guess_caps(&g, &caps);
		cr_expect_eq(g.mta, MTA_EXCHANGE, "keyword %zu", i);
		cr_expect_eq(g.strength, 1);
	}
}

Test(mta, ordinary_capabilities_say_nothing, .timeout = 10)
{
	struct smtp_caps caps = {.ext = (1u << SMTP_EXT_PIPELINING) | (1u << SMTP_EXT_STARTTLS) |
	                                (1u << SMTP_EXT_AUTH) | (1u << SMTP_EXT_XCLIENT)};
	struct mta_guess g;
	mta_guess_init(&g);
	mta_guess_caps(&g, &caps);
	cr_expect_eq(g.mta, MTA_UNKNOWN);
	cr_expect_eq(g.strength, 0);
}

Test(mta, weak_clue_never_overrides_banner, .timeout = 10)
{
	struct mta_guess g;
	mta_guess_init(&g);
	mta_guess_banner(&g, "mx.example.org ESMTP Exim 4.96");
	mta_guess_reply(&g, "5.7.1 <x@example.net>: Relay access denied");
	struct smtp_caps caps = {.ext = 1u << SMTP_EXT_XEXCH50};
	mta_guess_caps(&g, &caps);
	cr_expect_eq(g.mta, MTA_EXIM);
	cr_expect_eq(g.strength, 2);
	cr_expect_str_eq(g.version, "4.96");
}

Test(mta, same_strength_other_product_does_not_flip, .timeout = 10)
{
	struct mta_guess g;
	mta_guess_init(&g);
	mta_guess_reply(&g, "Relaying denied");
	mta_guess_reply(&g, "relay not permitted");
	cr_expect_eq(g.mta, MTA_SENDMAIL);

	mta_guess_banner(&g, "mx ESMTP Postfix");
	mta_guess_banner(&g, "mx ESMTP OpenSMTPD");
	cr_expect_eq(g.mta, MTA_POSTFIX);
	cr_expect_eq(g.strength, 2);
}

Test(mta, banner_upgrades_weak_guess, .timeout = 10)
{
	struct mta_guess g;
	mta_guess_init(&g);
	mta_guess_reply(&g, "Relay access denied");
	cr_expect_eq(g.mta, MTA_POSTFIX);
	cr_expect_eq(g.strength, 1);
	mta_guess_banner(&g, "host ESMTP Sendmail 8.15.2/8.15.2");
	cr_expect_eq(g.mta, MTA_SENDMAIL);
	cr_expect_eq(g.strength, 2);
	cr_expect_str_eq(g.version, "8.15.2");
}

Test(mta, same_product_keeps_and_adds_version, .timeout = 10)
{
	struct mta_guess g;
	mta_guess_init(&g);
	mta_guess_banner(&g, "mx ESMTP Exim 4.96");
	mta_guess_banner(&g, "mx ESMTP Exim");
	cr_expect_str_eq(g.version, "4.96", "a banner without version keeps the known one");

	mta_guess_init(&g);
	mta_guess_reply(&g, "Administrative prohibition");
	mta_guess_banner(&g, "mx ESMTP Exim 4.97");
	cr_expect_eq(g.mta, MTA_EXIM);
	cr_expect_str_eq(g.version, "4.97");
}

Test(mta, overlong_version_is_truncated, .timeout = 10)
{
	struct mta_guess g;
	mta_guess_init(&g);
	mta_guess_banner(&g, "mx ESMTP Exim 1.2.3.4.5.6.7.8.9.10.11.12.13.14.15.16.17.18.19.20");
	cr_expect_eq(g.mta, MTA_EXIM);
	cr_expect_eq(strlen(g.version), sizeof(g.version) - 1);
	cr_expect_eq(strncmp(g.version, "1.2.3.4.5", 9), 0);
}

Test(mta, null_inputs_are_ignored, .timeout = 10)
{
	struct mta_guess g;
	mta_guess_init(&g);
	mta_guess_banner(&g, NULL);
	mta_guess_reply(&g, NULL);
	mta_guess_caps(&g, NULL);
	cr_expect_eq(g.mta, MTA_UNKNOWN);
	cr_expect_eq(g.strength, 0);
}

Test(mta, names, .timeout = 10)
{
	cr_expect_str_eq(mta_name(MTA_UNKNOWN), "unknown");
	cr_expect_str_eq(mta_name(MTA_POSTFIX), "Postfix");
	cr_expect_str_eq(mta_name(MTA_EXIM), "Exim");
	cr_expect_str_eq(mta_name(MTA_SENDMAIL), "Sendmail");
	cr_expect_str_eq(mta_name(MTA_EXCHANGE), "Microsoft Exchange");
	cr_expect_str_eq(mta_name(MTA_OPENSMTPD), "OpenSMTPD");
}
