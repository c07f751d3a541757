/*
 * NAME
 *	test_text_buf - bounded text assembly
 */
#include <criterion/criterion.h>
#include <string.h>

#include "text_buf.h"

Test(text_buf, appends_pieces, .timeout = 10)
{
	char buf[64];
	struct text_buf t;
	text_buf_init(&t, buf, sizeof(buf));
	cr_assert_str_eq(buf, "");
	text_buf_add(&t, "accepted: %s", "localhost");
	text_buf_add(&t, "; %d form%s", 2, "s");
	cr_assert_str_eq(buf, "accepted: localhost; 2 forms");
	cr_assert_eq(t.used, strlen(buf));
}

Test(text_buf, truncates_and_stays_terminated, .timeout = 10)
{
	char buf[8];
	struct text_buf t;
	text_buf_init(&t, buf, sizeof(buf));
	text_buf_add(&t, "%s", "abcdef");
	text_buf_add(&t, "%s", "ghijkl");
	cr_assert_str_eq(buf, "abcdefg");
	cr_assert_eq(t.used, sizeof(buf) - 1);
	text_buf_add(&t, "%s", "more");
	cr_assert_str_eq(buf, "abcdefg", "nothing is written past a full buffer");
}
