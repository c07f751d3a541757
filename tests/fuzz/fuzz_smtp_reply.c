/*
 * NAME
 *	fuzz_smtp_reply - libFuzzer target for the incremental SMTP reply parser
 *
 * DESCRIPTION
 *	Input: byte 0 chooses the limits (even: the defaults; odd: small ones
 *	derived from bytes 0 and 1, so every limit is reached often), byte 1
 *	seeds the chunk sizes, and the rest is what a server sent. The bytes
 *	are parsed once in a single feed and once in chunks of 1..16 bytes;
 *	after an error the parser is reset and parsing goes on with the next
 *	byte, as a scanner that reconnects would see it.
 *
 *	What must hold whatever the input: both runs give the same replies
 *	and errors; every byte is consumed; a completed reply has a code
 *	200..599, 1..max_lines lines, lines within max_line, a wire_len equal
 *	to the bytes consumed for it and within max_total, and no NUL among
 *	those bytes; the parser is idle and holds no memory after each reply
 *	and each error; an error has a one-line message; copy, join and the
 *	enhanced status code agree with the reply.
 *
 *	Built by tests/fuzz/CMakeLists.txt (clang); scripts/fuzz.sh runs it for longer.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_check.h"
#include "sa_error.h"
#include "smtp_reply.h"

enum {
	FUZZ_HEADER = 2, /* limit selector, chunk seed */
	FUZZ_MAX_CHUNK = 16,
};


static struct smtp_reply_limits fuzz_limits(uint8_t a, uint8_t b)
{
	if (a % 2 == 0)
		return (struct smtp_reply_limits){
		    .max_line = SMTP_REPLY_DEFAULT_MAX_LINE,
		    .max_lines = SMTP_REPLY_DEFAULT_MAX_LINES,
		    .max_total = SMTP_REPLY_DEFAULT_MAX_TOTAL,
		};
	return (struct smtp_reply_limits){
	    .max_line = 3 + (size_t)(a >> 1),
	    .max_lines = 1 + (size_t)(b % 8),
	    .max_total = 4 + (size_t)b * 2,
	};
}

/* xorshift32: deterministic chunk sizes from the seed byte. */
static size_t fuzz_next_chunk(uint32_t *state)
{
	*state ^= *state << 13;
	*state ^= *state >> 17;
	*state ^= *state << 5;
	return 1 + *state % FUZZ_MAX_CHUNK;
}

static void check_idle(const struct smtp_reply_parser *p)
{
	FUZZ_CHECK(smtp_reply_parser_idle(p));
	FUZZ_CHECK(p->line == NULL && p->line_cap == 0 && p->line_len == 0);
	FUZZ_CHECK(p->lines == NULL && p->lines_cap == 0 && p->nlines == 0);
}

static void check_helpers(const struct smtp_reply *r)
{
	struct smtp_reply copy;
	FUZZ_CHECK(smtp_reply_copy(&copy, r) == 0);
	FUZZ_CHECK(copy.code == r->code && copy.nlines == r->nlines);
	size_t joined_len = r->nlines - 1;
	for (size_t i = 0; i < r->nlines; i++) {
		FUZZ_CHECK(strcmp(copy.lines[i], r->lines[i]) == 0);
		joined_len += strlen(r->lines[i]);
	}
	smtp_reply_free(&copy);
	char *joined = smtp_reply_join(r);
	FUZZ_CHECK(joined != NULL && strlen(joined) == joined_len);
	free(joined);
	char enhanced[16];
	if (smtp_reply_enhanced(r, enhanced, sizeof(enhanced))) {
		size_t len = strlen(enhanced);
		FUZZ_CHECK(len >= 5 && len <= 9);
		FUZZ_CHECK(strncmp(enhanced, r->lines[0], len) == 0);
	}
}

/* wire: the bytes this reply was parsed from. */
static void check_reply(const struct smtp_reply *r, const struct smtp_reply_limits *lim,
                        const uint8_t *wire, size_t wire_len)
{
	FUZZ_CHECK(r->code >= 200 && r->code <= 599);
	FUZZ_CHECK(r->nlines >= 1 && r->nlines <= lim->max_lines);
	FUZZ_CHECK(r->wire_len == wire_len && wire_len <= lim->max_total);
	FUZZ_CHECK(memchr(wire, '\0', wire_len) == NULL);
	size_t min_wire = 0;
	for (size_t i = 0; i < r->nlines; i++) {
		size_t len = strlen(r->lines[i]);
		FUZZ_CHECK(len == 0 || len + 4 <= lim->max_line);
		min_wire += (len == 0 ? 3 : len + 4) + 1; /* code [sep text] LF */
	}
	FUZZ_CHECK(min_wire <= wire_len);
	check_helpers(r);
}

static void check_error(const struct smtp_reply_parser *p, int rc)
{
	FUZZ_CHECK(rc == SA_ERROR_PROTO || rc == SA_ERROR_TOOBIG || rc == SA_ERROR_NOMEM);
	const char *msg = smtp_reply_parser_error(p);
	FUZZ_CHECK(msg[0] != '\0' && strchr(msg, '\n') == NULL);
	check_idle(p);
}

/* One record per reply or error, so two runs compare with memcmp. */
static void record_reply(FILE *log, const struct smtp_reply *r)
{
	fprintf(log, "reply %d %zu %zu\n", r->code, r->nlines, r->wire_len);
	for (size_t i = 0; i < r->nlines; i++)
		fprintf(log, "%zu:%s\n", strlen(r->lines[i]), r->lines[i]);
}

/* chunk_seed 0: everything in one feed. Returns the malloc'ed record. */
static char *fuzz_run(const struct smtp_reply_limits *lim, const uint8_t *buf, size_t len,
                      uint32_t chunk_seed, size_t *record_len)
{
	char *record = NULL;
	FILE *log = open_memstream(&record, record_len);
	FUZZ_CHECK(log != NULL);
	struct smtp_reply_parser p;
	smtp_reply_parser_init(&p, lim);
	uint32_t state = chunk_seed;
	size_t off = 0, start = 0;
	while (off < len) {
		size_t n = chunk_seed == 0 ? len - off : fuzz_next_chunk(&state);
		if (n > len - off)
			n = len - off;
		size_t used = 0;
		struct smtp_reply r;
		int rc = smtp_reply_parser_feed(&p, (const char *)buf + off, n, &used, &r);
		FUZZ_CHECK(used <= n && (rc == SMTP_REPLY_COMPLETE || rc < 0 || used == n));
		off += used;
		if (rc == SMTP_REPLY_COMPLETE) {
			check_reply(&r, lim, buf + start, off - start);
			check_idle(&p);
			record_reply(log, &r);
			smtp_reply_free(&r);
			start = off;
		} else if (rc < 0) {
			check_error(&p, rc);
			fprintf(log, "error %d at %zu %s\n", rc, off, smtp_reply_parser_error(&p));
			smtp_reply_parser_reset(&p);
			start = off;
		}
	}
	fprintf(log, "idle %d\n", smtp_reply_parser_idle(&p));
	smtp_reply_parser_free(&p);
	FUZZ_CHECK(fclose(log) == 0);
	return record;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < FUZZ_HEADER)
		return 0;
	struct smtp_reply_limits lim = fuzz_limits(data[0], data[1]);
	const uint8_t *buf = data + FUZZ_HEADER;
	size_t len = size - FUZZ_HEADER;
	size_t whole_len = 0, pieces_len = 0;
	char *whole = fuzz_run(&lim, buf, len, 0, &whole_len);
	char *pieces = fuzz_run(&lim, buf, len, 0x9e3779b9u ^ data[1], &pieces_len);
	FUZZ_CHECK(whole_len == pieces_len && memcmp(whole, pieces, whole_len) == 0);
	free(whole);
	free(pieces);
	return 0;
}
