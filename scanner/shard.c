/*
 * NAME
 *	shard - deterministic split of the targets over N machines
 *
 * DESCRIPTION
 *	See shard.h. FNV-1a is tiny and stable across platforms and
 *	versions; the fmix64 finalizer fixes its weak low bits.
 */
#include "shard.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "sa_error.h"

#define SHARD_FNV_OFFSET 0xcbf29ce484222325ull
#define SHARD_FNV_PRIME  0x100000001b3ull

static uint64_t shard_fnv_byte(uint64_t h, unsigned char c)
{
	return (h ^ c) * SHARD_FNV_PRIME;
}

/* MurmurHash3's 64-bit finalizer: every input bit affects every output bit. */
static uint64_t shard_fmix64(uint64_t h)
{
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdull;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ull;
	h ^= h >> 33;
	return h;
}

uint64_t shard_hash(const char *host, uint16_t port)
{
	uint64_t h = SHARD_FNV_OFFSET;
	for (const unsigned char *p = (const unsigned char *)host; *p != '\0'; p++)
		h = shard_fnv_byte(h, (*p >= 'A' && *p <= 'Z') ? (unsigned char)(*p + 32) : *p);
	h = shard_fnv_byte(h, 0);
	h = shard_fnv_byte(h, (unsigned char)(port >> 8));
	h = shard_fnv_byte(h, (unsigned char)(port & 0xff));
	return shard_fmix64(h);
}

bool shard_keeps(const struct shard *s, const char *host, uint16_t port)
{
	if (s->count <= 1)
		return true;
	return shard_hash(host, port) % s->count == s->index;
}

static bool shard_number(const char *text, const char *end, unsigned long *out)
{
	char *stop;
	if (text == end || *text < '0' || *text > '9')
		return false;
	errno = 0;
	unsigned long v = strtoul(text, &stop, 10);
	if (errno != 0 || stop != end)
		return false;
	*out = v;
	return true;
}

int shard_parse(const char *text, struct shard *out, char *err, size_t errlen)
{
	const char *slash = text;
	while (*slash != '\0' && *slash != '/')
		slash++;
	unsigned long index, count;
	const char *end = slash;
	while (*end != '\0')
		end++;
	if (*slash != '/' || !shard_number(text, slash, &index) ||
	    !shard_number(slash + 1, end, &count)) {
		snprintf(err, errlen, "'%s' is not I/N (shard I of N, counted from 0, e.g. 0/4)",
		         text);
		return SA_ERROR_PARSE;
	}
	if (count < 1 || count > SHARD_MAX_COUNT) {
		snprintf(err, errlen, "'%s': the count must be between 1 and %u", text,
		         SHARD_MAX_COUNT);
		return SA_ERROR_PARSE;
	}
	if (index >= count) {
		snprintf(err, errlen,
		         "'%s': the index must be below the count (shards are 0 to %lu)", text,
		         count - 1);
		return SA_ERROR_PARSE;
	}
	*out = (struct shard){.index = (uint32_t)index, .count = (uint32_t)count};
	return 0;
}

const char *shard_format(const struct shard *s, char *buf, size_t buflen)
{
	snprintf(buf, buflen, "%u/%u", s->count ? s->index : 0, s->count ? s->count : 1);
	return buf;
}
