/*
 * NAME
 *	lab_quirk - hostile behaviours for smtp-lab personas
 *
 * DESCRIPTION
 *	Each quirk is a pair of small hooks (see struct lab_quirk) built on
 *	the session and connection primitives: send bytes, stream generated
 *	output, finish, reset, ignore input. Each one hurts a client in one
 *	way and leaves every other connection of the process alone.
 *
 *	silent             greets with nothing and answers nothing
 *	garbage            binary junk (NUL, 0xff, ESC[31m, <script>) as greeting and replies
 *	long_line          a 220 greeting line of 1 MiB, generated in chunks as the socket drains
 *	endless_multiline  "220-" continuation lines, one per millisecond, until the client leaves
 *	close_after_banner the normal greeting, then a close
 *	tls_junk           accepts STARTTLS, then sends 4 KiB of junk instead of a handshake
 *	early_talker       an unsolicited line after the greeting and after each EHLO reply
 *	reset_mid_reply    half an EHLO reply, then a TCP reset
 *	starttls_injectable  CVE-2011-0411: what was pipelined after STARTTLS in the same
 *	                   chunk is read as commands once the handshake is done
 *	starttls_chatty    LAB_QUIRK_CHATTY_LINE in plaintext right after the 220 to STARTTLS
 *	starttls_broken    220 to STARTTLS, then a fatal handshake_failure alert as soon as
 *	                   the ClientHello arrives, then a close
 *	pipelining_broken  answers the first command of each chunk of input, drops the rest
 *	mute               the normal greeting, then silence: every command is swallowed
 *	greet_refusal      a 554 greeting; every command but QUIT gets 554 too
 *	greet_busy         a 421 greeting, then a close
 *	ehlo_busy          421 to EHLO and HELO, then a close
 *	binary_reply       an EHLO reply with NUL, 0x01, 0x7f and 0xff bytes in a line
 *	mixed_codes        an EHLO reply whose lines carry 250, 251 and 550
 *	huge_ehlo          an EHLO reply of LAB_QUIRK_HUGE_EHLO_LINES lines (64 KiB)
 *	no_crlf            a greeting line without CRLF, then a close
 *	tls_stall          220 to STARTTLS, then the ClientHello is never answered
 *	starttls_twice     220 to STARTTLS twice, then the handshake
 *	drop_alternate     every second connection to the quirk is reset before the greeting
 */
#ifndef LAB_QUIRK_H
#define LAB_QUIRK_H

#include "lab_persona.h"

#define LAB_QUIRK_LONG_LINE_LEN   (1024 * 1024)
#define LAB_QUIRK_TLS_JUNK_LEN    4096
#define LAB_QUIRK_CHATTY_LINE     "250 2.0.0 extra"
#define LAB_QUIRK_HUGE_EHLO_LINES 1024
#define LAB_QUIRK_HUGE_EHLO_WIDTH 64

extern const struct lab_quirk lab_quirk_silent;
extern const struct lab_quirk lab_quirk_garbage;
extern const struct lab_quirk lab_quirk_long_line;
extern const struct lab_quirk lab_quirk_endless_multiline;
extern const struct lab_quirk lab_quirk_close_after_banner;
extern const struct lab_quirk lab_quirk_tls_junk;
extern const struct lab_quirk lab_quirk_early_talker;
extern const struct lab_quirk lab_quirk_reset_mid_reply;
extern const struct lab_quirk lab_quirk_starttls_injectable;
extern const struct lab_quirk lab_quirk_starttls_chatty;
extern const struct lab_quirk lab_quirk_starttls_broken;
extern const struct lab_quirk lab_quirk_pipelining_broken;
extern const struct lab_quirk lab_quirk_mute;
extern const struct lab_quirk lab_quirk_greet_refusal;
extern const struct lab_quirk lab_quirk_greet_busy;
extern const struct lab_quirk lab_quirk_ehlo_busy;
extern const struct lab_quirk lab_quirk_binary_reply;
extern const struct lab_quirk lab_quirk_mixed_codes;
extern const struct lab_quirk lab_quirk_huge_ehlo;
extern const struct lab_quirk lab_quirk_no_crlf;
extern const struct lab_quirk lab_quirk_tls_stall;
extern const struct lab_quirk lab_quirk_starttls_twice;
extern const struct lab_quirk lab_quirk_drop_alternate;

#endif
