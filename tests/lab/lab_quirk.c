/*
 * NAME
 *	lab_quirk - hostile behaviours for smtp-lab personas
 *
 * DESCRIPTION
 *	See lab_quirk.h. Generated output (the 1 MiB line, the endless
 *	continuation) is produced by fill callbacks as the socket drains, so
 *	no connection ever holds it whole.
 */
#include "lab_quirk.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "lab_conn.h"
#include "lab_session.h"

/* Not text, not TLS: NUL, 0xff, a terminal colour escape, markup, invalid UTF-8. */
static const char lab_quirk_junk[] = "\x00\xff\xfe\x1b[31m<script>alert('lab')</script>"
                                     "\x1b[0m\x80\xc3\x28\x07\x7f\r\n";

static void lab_quirk_greet_nothing(struct lab_session *s)
{
	(void)s;
}

static bool lab_quirk_swallow(struct lab_session *s, const struct lab_cmd *cmd)
{
	(void)s;
	(void)cmd;
	return true;
}

const struct lab_quirk lab_quirk_silent = {
    .greet = lab_quirk_greet_nothing,
    .command = lab_quirk_swallow,
};

static void lab_quirk_send_junk(struct lab_session *s)
{
	lab_session_send(s, lab_quirk_junk, sizeof(lab_quirk_junk) - 1);
}

static bool lab_quirk_answer_junk(struct lab_session *s, const struct lab_cmd *cmd)
{
	(void)cmd;
	lab_quirk_send_junk(s);
	return true;
}

const struct lab_quirk lab_quirk_garbage = {
    .greet = lab_quirk_send_junk,
    .command = lab_quirk_answer_junk,
};

/* "220 ", then LAB_QUIRK_LONG_LINE_LEN times 'A', then CRLF; *pos counts bytes. */
static size_t lab_quirk_fill_long_line(struct lab_session *s, uint64_t *pos, char *buf, size_t cap,
                                       bool *done)
{
	static const char head[] = "220 ", tail[] = "\r\n";
	const uint64_t body_end = (sizeof(head) - 1) + LAB_QUIRK_LONG_LINE_LEN;
	const uint64_t total = body_end + sizeof(tail) - 1;
	size_t n = 0;
	(void)s;
	while (n < cap && *pos < total) {
		size_t take = 1;
		if (*pos < sizeof(head) - 1) {
			buf[n] = head[*pos];
		} else if (*pos < body_end) {
			take = cap - n < body_end - *pos ? cap - n : (size_t)(body_end - *pos);
			memset(buf + n, 'A', take);
		} else {
			buf[n] = tail[*pos - body_end];
		}
		n += take;
		*pos += take;
	}
	*done = *pos == total;
	return n;
}

static void lab_quirk_greet_long_line(struct lab_session *s)
{
	lab_conn_stream(lab_session_conn(s), lab_quirk_fill_long_line, 0);
}

const struct lab_quirk lab_quirk_long_line = {.greet = lab_quirk_greet_long_line};

/* One continuation line per call; *pos counts lines. */
static size_t lab_quirk_fill_endless(struct lab_session *s, uint64_t *pos, char *buf, size_t cap,
                                     bool *done)
{
	int n =
	    snprintf(buf, cap, "220-%s ESMTP greeting continues, line %08" PRIu64 " of many\r\n",
	             lab_session_site(s)->hostname, ++*pos);
	*done = false;
	return n > 0 && (size_t)n < cap ? (size_t)n : 0;
}

static void lab_quirk_greet_endless(struct lab_session *s)
{
	lab_conn_stream(lab_session_conn(s), lab_quirk_fill_endless, 1);
}

const struct lab_quirk lab_quirk_endless_multiline = {
    .greet = lab_quirk_greet_endless,
    .command = lab_quirk_swallow,
};

static void lab_quirk_greet_and_close(struct lab_session *s)
{
	lab_session_send_greeting(s);
	lab_session_ignore_input(s);
	lab_conn_finish(lab_session_conn(s));
}

const struct lab_quirk lab_quirk_close_after_banner = {.greet = lab_quirk_greet_and_close};

/* A STARTTLS the mini-MTA would accept: the STARTTLS quirks answer it themselves. */
static bool lab_quirk_starttls_accepted(const struct lab_session *s, const struct lab_cmd *cmd)
{
	return cmd->verb == LAB_VERB_STARTTLS && cmd->arg[0] == '\0' &&
	       lab_session_starttls_allowed(s);
}

static bool lab_quirk_junk_for_tls(struct lab_session *s, const struct lab_cmd *cmd)
{
	static const char pattern[] = "this is not a TLS handshake. ";
	char junk[LAB_QUIRK_TLS_JUNK_LEN];
	if (!lab_quirk_starttls_accepted(s, cmd))
		return false;
	for (size_t i = 0; i < sizeof(junk); i++)
		junk[i] = pattern[i % (sizeof(pattern) - 1)];
	lab_session_reply(s, LAB_SESSION_TLS_READY);
	lab_session_send(s, junk, sizeof(junk));
	lab_session_ignore_input(s);
	lab_conn_finish(lab_session_conn(s));
	return true;
}

const struct lab_quirk lab_quirk_tls_junk = {.command = lab_quirk_junk_for_tls};

static void lab_quirk_greet_early(struct lab_session *s)
{
	lab_session_send_greeting(s);
	lab_session_reply(s, "250 2.0.0 unsolicited");
}

static bool lab_quirk_ehlo_extra(struct lab_session *s, const struct lab_cmd *cmd)
{
	if (cmd->verb != LAB_VERB_EHLO)
		return false;
	lab_session_answer(s, cmd);
	lab_session_reply(s, "250 extra");
	return true;
}

const struct lab_quirk lab_quirk_early_talker = {
    .greet = lab_quirk_greet_early,
    .command = lab_quirk_ehlo_extra,
};

static bool lab_quirk_ehlo_reset(struct lab_session *s, const struct lab_cmd *cmd)
{
	char half[LAB_SESSION_NAME_MAX + 32];
	if (cmd->verb != LAB_VERB_EHLO)
		return false;
	int n = snprintf(half, sizeof(half), "250-%s\r\n250-PIPEL", lab_session_site(s)->hostname);
	lab_session_send(s, half, (size_t)n);
	lab_session_ignore_input(s);
	lab_conn_reset(lab_session_conn(s));
	return true;
}

const struct lab_quirk lab_quirk_reset_mid_reply = {.command = lab_quirk_ehlo_reset};

static bool lab_quirk_starttls_keep_pipelined(struct lab_session *s, const struct lab_cmd *cmd)
{
	if (!lab_quirk_starttls_accepted(s, cmd))
		return false;
	lab_session_reply(s, LAB_SESSION_TLS_READY);
	lab_session_start_tls(s, LAB_SESSION_KEEP_PIPELINED);
	return true;
}

const struct lab_quirk lab_quirk_starttls_injectable = {
    .command = lab_quirk_starttls_keep_pipelined,
};

static bool lab_quirk_starttls_extra_line(struct lab_session *s, const struct lab_cmd *cmd)
{
	if (!lab_quirk_starttls_accepted(s, cmd))
		return false;
	lab_session_reply(s, LAB_SESSION_TLS_READY);
	lab_session_reply(s, LAB_QUIRK_CHATTY_LINE);
	lab_session_start_tls(s, LAB_SESSION_DROP_PIPELINED);
	return true;
}

const struct lab_quirk lab_quirk_starttls_chatty = {.command = lab_quirk_starttls_extra_line};

static bool lab_quirk_starttls_then_raw(struct lab_session *s, const struct lab_cmd *cmd)
{
	if (!lab_quirk_starttls_accepted(s, cmd))
		return false;
	lab_session_reply(s, LAB_SESSION_TLS_READY);
	lab_session_raw(s);
	return true;
}

/* Whatever the ClientHello says: a fatal handshake_failure alert record (RFC 5246 7.2). */
static void lab_quirk_handshake_failure(struct lab_session *s, const char *data, size_t len)
{
	static const char alert[] = {0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x28};
	static const char why[] = "handshake_failure alert sent";
	(void)data;
	(void)len;
	lab_conn_log(lab_session_conn(s), "TLSFAIL", why, sizeof(why) - 1);
	lab_session_send(s, alert, sizeof(alert));
	lab_session_ignore_input(s);
	lab_conn_finish(lab_session_conn(s));
}

const struct lab_quirk lab_quirk_starttls_broken = {
    .command = lab_quirk_starttls_then_raw,
    .raw = lab_quirk_handshake_failure,
};

static bool lab_quirk_first_command_only(struct lab_session *s, const struct lab_cmd *cmd)
{
	lab_session_answer(s, cmd);
	lab_session_drop_pipelined(s);
	return true;
}

const struct lab_quirk lab_quirk_pipelining_broken = {.command = lab_quirk_first_command_only};

const struct lab_quirk lab_quirk_mute = {.command = lab_quirk_swallow};

/* Answers QUIT like the mini-MTA and everything else with code, as a server that refuses does. */
static bool lab_quirk_refuse_command(struct lab_session *s, const struct lab_cmd *cmd, int code)
{
	if (cmd->verb == LAB_VERB_QUIT)
		return false;
	lab_session_reply(s, "%d 5.3.2 %s no SMTP service here", code,
	                  lab_session_site(s)->hostname);
	return true;
}

static void lab_quirk_greet_554(struct lab_session *s)
{
	lab_session_reply(s, "554 5.3.2 %s no SMTP service here", lab_session_site(s)->hostname);
}

static bool lab_quirk_answer_554(struct lab_session *s, const struct lab_cmd *cmd)
{
	return lab_quirk_refuse_command(s, cmd, 554);
}

const struct lab_quirk lab_quirk_greet_refusal = {
    .greet = lab_quirk_greet_554,
    .command = lab_quirk_answer_554,
};

/* RFC 5321 4.2.2: 421 and then the channel is closed. */
static void lab_quirk_closing_421(struct lab_session *s)
{
	lab_session_reply(s, "421 4.3.2 %s Service not available, closing transmission channel",
	                  lab_session_site(s)->hostname);
	lab_session_ignore_input(s);
	lab_conn_finish(lab_session_conn(s));
}

const struct lab_quirk lab_quirk_greet_busy = {.greet = lab_quirk_closing_421};

static bool lab_quirk_is_hello(const struct lab_cmd *cmd)
{
	return cmd->verb == LAB_VERB_EHLO || cmd->verb == LAB_VERB_HELO;
}

static bool lab_quirk_hello_421(struct lab_session *s, const struct lab_cmd *cmd)
{
	if (!lab_quirk_is_hello(cmd))
		return false;
	lab_quirk_closing_421(s);
	return true;
}

const struct lab_quirk lab_quirk_ehlo_busy = {.command = lab_quirk_hello_421};

/* Sends a fixed EHLO reply (raw bytes, NUL included) in place of the mini-MTA's. */
static bool lab_quirk_ehlo_bytes(struct lab_session *s, const struct lab_cmd *cmd,
                                 const char *reply, size_t len)
{
	if (!lab_quirk_is_hello(cmd))
		return false;
	lab_session_reply(s, "250-%s", lab_session_site(s)->hostname);
	lab_session_send(s, reply, len);
	return true;
}

static bool lab_quirk_ehlo_binary(struct lab_session *s, const struct lab_cmd *cmd)
{
	static const char reply[] = "250-PIPELINING\r\n"
	                            "250-X-BIN \x00\x01\x02\x7f\xff\xfe\x00 end\r\n"
	                            "250 8BITMIME\r\n";
	return lab_quirk_ehlo_bytes(s, cmd, reply, sizeof(reply) - 1);
}

const struct lab_quirk lab_quirk_binary_reply = {.command = lab_quirk_ehlo_binary};

static bool lab_quirk_ehlo_mixed(struct lab_session *s, const struct lab_cmd *cmd)
{
	static const char reply[] = "251-PIPELINING\r\n"
	                            "550-SIZE 10240000\r\n"
	                            "250 8BITMIME\r\n";
	return lab_quirk_ehlo_bytes(s, cmd, reply, sizeof(reply) - 1);
}

const struct lab_quirk lab_quirk_mixed_codes = {.command = lab_quirk_ehlo_mixed};

static const char lab_quirk_filler[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZABCDEFGHIJKLMNOPQRSTUVWXYZ";
_Static_assert(sizeof(lab_quirk_filler) - 1 >= LAB_QUIRK_HUGE_EHLO_WIDTH - 21,
               "the filler pads a line to its width");

/* LAB_QUIRK_HUGE_EHLO_LINES lines of LAB_QUIRK_HUGE_EHLO_WIDTH bytes, CRLF included. */
static bool lab_quirk_ehlo_huge(struct lab_session *s, const struct lab_cmd *cmd)
{
	if (!lab_quirk_is_hello(cmd))
		return false;
	lab_session_reply(s, "250-%s", lab_session_site(s)->hostname);
	for (unsigned i = 1; i < LAB_QUIRK_HUGE_EHLO_LINES; i++)
		lab_session_reply(s, "250%cX-FILLER-%05u-%.*s",
		                  i + 1 < LAB_QUIRK_HUGE_EHLO_LINES ? '-' : ' ', i,
		                  LAB_QUIRK_HUGE_EHLO_WIDTH - 21, lab_quirk_filler);
	return true;
}

const struct lab_quirk lab_quirk_huge_ehlo = {.command = lab_quirk_ehlo_huge};

static void lab_quirk_greet_unterminated(struct lab_session *s)
{
	char line[LAB_SESSION_NAME_MAX + 64];
	int n = snprintf(line, sizeof(line), "220 %s ESMTP and no line end",
	                 lab_session_site(s)->hostname);
	lab_session_send(s, line, (size_t)n);
	lab_session_ignore_input(s);
	lab_conn_finish(lab_session_conn(s));
}

const struct lab_quirk lab_quirk_no_crlf = {.greet = lab_quirk_greet_unterminated};

/* The ClientHello is read and never answered: the client waits for a ServerHello. */
static void lab_quirk_swallow_hello(struct lab_session *s, const char *data, size_t len)
{
	static const char why[] = "ClientHello left unanswered";
	(void)data;
	(void)len;
	lab_conn_log(lab_session_conn(s), "TLSFAIL", why, sizeof(why) - 1);
	lab_session_ignore_input(s);
}

const struct lab_quirk lab_quirk_tls_stall = {
    .command = lab_quirk_starttls_then_raw,
    .raw = lab_quirk_swallow_hello,
};

static bool lab_quirk_starttls_ready_twice(struct lab_session *s, const struct lab_cmd *cmd)
{
	if (!lab_quirk_starttls_accepted(s, cmd))
		return false;
	lab_session_reply(s, LAB_SESSION_TLS_READY);
	lab_session_reply(s, LAB_SESSION_TLS_READY);
	lab_session_start_tls(s, LAB_SESSION_DROP_PIPELINED);
	return true;
}

const struct lab_quirk lab_quirk_starttls_twice = {.command = lab_quirk_starttls_ready_twice};

/* smtp-lab runs one single-threaded loop: a plain count of the connections this quirk saw. */
static uint64_t lab_quirk_drop_seen;

static void lab_quirk_greet_every_other(struct lab_session *s)
{
	if (++lab_quirk_drop_seen % 2 == 1) {
		lab_session_send_greeting(s);
		return;
	}
	lab_session_ignore_input(s);
	lab_conn_reset(lab_session_conn(s));
}

const struct lab_quirk lab_quirk_drop_alternate = {.greet = lab_quirk_greet_every_other};
