/*
 * NAME
 *	test_smtp_command - the rules for lines smtp-audit sends
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "sa_error.h"
#include "smtp_command.h"

Test(smtp_command, data_and_bdat_need_the_opt_in, .timeout = 10)
{
	cr_assert_eq(smtp_command_check("DATA", 4, false), SA_ERROR_POLICY);
	cr_assert_eq(smtp_command_check("data", 4, false), SA_ERROR_POLICY);
	cr_assert_eq(smtp_command_check("BDAT 10 LAST", 12, false), SA_ERROR_POLICY);
	cr_assert_eq(smtp_command_check("DATA", 4, true), 0);
	cr_assert_eq(smtp_command_check("DATALESS", 8, false), 0, "only the verb DATA counts");
	cr_assert_eq(smtp_command_check("RCPT TO:<data@example.org>", 26, false), 0);
}

Test(smtp_command, malformed_lines_are_refused, .timeout = 10)
{
	cr_assert_eq(smtp_command_check("RSET\r\nDATA", 10, true), SA_ERROR_INVAL);
	cr_assert_eq(smtp_command_check("NOOP\n", 5, false), SA_ERROR_INVAL);
	cr_assert_eq(smtp_command_check("NO\0OP", 5, false), SA_ERROR_INVAL);
	static char long_line[SMTP_COMMAND_MAX + 2];
	memset(long_line, 'a', sizeof(long_line) - 1);
	cr_assert_eq(smtp_command_check(long_line, strlen(long_line), false), SA_ERROR_INVAL);
}

Test(smtp_command, grouping_follows_rfc2920, .timeout = 10)
{
	cr_assert(smtp_command_groupable("RSET"));
	cr_assert(smtp_command_groupable("MAIL FROM:<>"));
	cr_assert(smtp_command_groupable("rcpt TO:<a@b.example>"));
	cr_assert_not(smtp_command_groupable("EHLO x.example"));
	cr_assert_not(smtp_command_groupable("AUTH PLAIN AGZvbwBiYXI="));
	cr_assert_not(smtp_command_groupable("VRFY root"));
	cr_assert_not(smtp_command_groupable("QUIT"));
	cr_assert_not(smtp_command_groupable("RSETX"));
}

Test(smtp_command, sasl_data_is_redacted, .timeout = 10)
{
	char buf[128];
	cr_assert_str_eq(smtp_command_redact("AUTH PLAIN AHVzZXIAcGFzcw==", false, buf, sizeof(buf)),
			 "AUTH PLAIN <redacted>");
	cr_assert_str_eq(smtp_command_redact("AUTH LOGIN", false, buf, sizeof(buf)), "AUTH LOGIN");
	cr_assert_str_eq(smtp_command_redact("dXNlcg==", true, buf, sizeof(buf)), "<redacted>");
	cr_assert_str_eq(smtp_command_redact("RCPT TO:<a@b.example>", false, buf, sizeof(buf)),
			 "RCPT TO:<a@b.example>");
}

Test(smtp_command, message_is_dot_stuffed_and_terminated, .timeout = 10)
{
	char *out;
	size_t len;
	cr_assert_eq(smtp_command_message("Subject: x\n\n.hidden\nend\n", &out, &len), 0);
	cr_assert_str_eq(out, "Subject: x\r\n\r\n..hidden\r\nend\r\n.");
	cr_assert_eq(len, strlen(out));
	free(out);
	cr_assert_eq(smtp_command_message("a\r\nb", &out, &len), 0);
	cr_assert_str_eq(out, "a\r\nb\r\n.");
	free(out);
	cr_assert_eq(smtp_command_message("bare\rcr", &out, &len), SA_ERROR_INVAL);
	static char big[SMTP_COMMAND_MAX_MESSAGE + 2];
	memset(big, 'x', sizeof(big) - 1);
	cr_assert_eq(smtp_command_message(big, &out, &len), SA_ERROR_TOOBIG);
}
