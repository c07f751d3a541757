/*
 * NAME
 *	test_exposure_version - the product and version a reply line discloses
 *
 * DESCRIPTION
 *	Real greeting, EHLO and HELP lines of Postfix, Exim, sendmail,
 *	Exchange and the IIS SMTP service, OpenSMTPD, Domino, Kerio and
 *	Haraka with the product and version each discloses; host names and
 *	words that only look like products; versions too far from the name,
 *	without a dot, cut short at the end of the line or longer than the
 *	version buffer; and a long hostile line that must be scanned without
 *	reading past its end.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include <stdlib.h>
#include <string.h>

#include "exposure_version.h"

struct version_case {
	char line[160];
	char product[48]; /* "" = nothing named */
	char version[EXPOSURE_VERSION_MAX];
};

static const struct version_case version_cases[] = {
    /* Greetings (the text after "220 "). */
    {"mx.example.org ESMTP Exim 4.96 Mon, 13 Nov 2023 10:00:00 +0000", "Exim", "4.96"},
    {"mx.example.org ESMTP Exim 4.97.1 #2 Tue, 02 Jan 2024 08:00:00 +0100", "Exim", "4.97.1"},
    {"host.example.com ESMTP Sendmail 8.15.2/8.15.2; Mon, 13 Nov 2023 10:00:00 GMT", "Sendmail",
     "8.15.2"},
    {"host.example.com ESMTP Sendmail 8.17.1.9/8.17.1.9/Debian-2; Sat, 1 Jul 2023", "Sendmail",
     "8.17.1.9"},
    {"mail.example.org ESMTP Postfix (Debian/GNU)", "Postfix", ""},
    {"mx.example.org ESMTP Postfix 3.7.11", "Postfix", "3.7.11"},
    {"EX01.contoso.com Microsoft ESMTP MAIL Service ready at Mon, 13 Nov 2023 10:00:00 +0000",
     "Microsoft ESMTP MAIL Service", ""},
    {"relay.contoso.com Microsoft ESMTP MAIL Service, Version: 10.0.14393.4169 ready at Mon",
     "Microsoft ESMTP MAIL Service", "10.0.14393.4169"},
    {"mail.contoso.com Microsoft Exchange Internet Mail Service 5.5.2653.13 ready",
     "Microsoft Exchange Internet Mail Service", "5.5.2653.13"},
    {"mx.example.org ESMTP OpenSMTPD", "OpenSMTPD", ""},
    {"mail.example.com ESMTP Service (Lotus Domino Release 8.5.3FP6) ready at Mon", "Lotus Domino",
     "8.5.3FP6"},
    {"mail.example.com Kerio Connect 9.2.1 ESMTP ready", "Kerio Connect", "9.2.1"},
    {"mx.example.net ESMTP Haraka/2.8.28 ready", "Haraka", "2.8.28"},
    {"mail.example.com ESMTP MDaemon v21.0.2; Mon, 13 Nov 2023", "MDaemon", "21.0.2"},
    /* HELP lines (after "214-"). */
    {"2.0.0 This is sendmail version 8.15.2", "Sendmail", "8.15.2"},
    {"2.0.0 This is Sendmail version 8.17.1.9", "Sendmail", "8.17.1.9"},
    {"5.3.0 Sendmail 8.17.1.9 -- HELP not implemented", "Sendmail", "8.17.1.9"},
    {" This is OpenSMTPD", "OpenSMTPD", ""},
    {"This is OpenSMTPD.", "OpenSMTPD", ""},
    {"2.0.0 Topics:", "", ""},
    {"Commands supported:", "", ""},
    /* A version without a product name it knows. */
    {"mail.example.com SMTP Server version 2.3.1 ready", EXPOSURE_VERSION_UNNAMED, "2.3.1"},
    {"mail.example.com SMTP Server, Version: v5.0.1", EXPOSURE_VERSION_UNNAMED, "5.0.1"},
    /* A named version wins over a name without one. */
    {"mx.example.org ESMTP Postfix; relayed through Exim 4.96", "Exim", "4.96"},
    {"postfix ESMTP Postfix 3.5.6", "Postfix", "3.5.6"},
    /* Names that only look like products. */
    {"postfix.example.org ESMTP ready", "", ""},
    {"exim-relay.example.org ESMTP", "", ""},
    {"mx.example.org ESMTP Exim4 ready", "", ""},
    {"mx.example.org ESMTP NoSendmail here", "", ""},
    {"mx.example.org Hello client.example.net [192.0.2.1], pleased to meet you", "", ""},
    /* Versions that are not. */
    {"mx.example.org ESMTP Postfix                  3.1", "Postfix", ""},
    {"mx.example.org ESMTP Exim 4", "Exim", ""},
    {"mx.example.org ESMTP Exim 4.", "Exim", ""},
    {"mx.example.org ESMTP Exim version", "Exim", ""},
    {"SMTP protocol version 2", "", ""},
    {"mx.example.org ESMTP Exim [192.0.2.1]", "Exim", ""},
    /* A version longer than the buffer is cut, not overflowed. */
    {"ESMTP Exim 1234567890.1234567890.1234567890.1234567890", "Exim",
     "1234567890.1234567890.123456789"},
    {"", "", ""},
};

ParameterizedTestParameters(exposure_version, scan)
{
	return cr_make_param_array(struct version_case, (void *)version_cases,
	                           sizeof(version_cases) / sizeof(version_cases[0]));
}

ParameterizedTest(const struct version_case *c, exposure_version, scan, .timeout = 10)
{
	struct exposure_version v;
	bool found = exposure_version_scan(c->line, &v);
	cr_expect_eq(found, c->product[0] != '\0', "\"%s\": found %d", c->line, found);
	if (c->product[0] == '\0') {
		cr_expect_null(v.product, "\"%s\": product %s", c->line, v.product);
	} else {
		cr_assert_not_null(v.product, "\"%s\": no product", c->line);
		cr_expect_str_eq(v.product, c->product, "\"%s\": product", c->line);
	}
	cr_expect_str_eq(v.version, c->version, "\"%s\": version", c->line);
}

/* Many near-misses in one long line: every byte is looked at, none past the end. */
Test(exposure_version, long_hostile_line_is_bounded, .timeout = 10)
{
	static const char piece[] = "Exim version: : : Exim4 postfix.x ";
	size_t n = 2000, len = n * (sizeof(piece) - 1);
	char *line = malloc(len + 1);
	cr_assert_not_null(line);
	for (size_t i = 0; i < n; i++)
		memcpy(line + i * (sizeof(piece) - 1), piece, sizeof(piece) - 1);
	line[len] = '\0';
	struct exposure_version v;
	cr_expect(exposure_version_scan(line, &v));
	cr_expect_str_eq(v.product, "Exim");
	cr_expect_str_eq(v.version, "");
	/* The same line with a version in its last bytes. */
	memcpy(line + len - 10, " Exim 9.9 ", 10);
	cr_expect(exposure_version_scan(line, &v));
	cr_expect_str_eq(v.version, "9.9");
	free(line);
}
