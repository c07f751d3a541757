/*
 * NAME
 *	shard - which targets belong to shard I of N (--shard I/N)
 *
 * DESCRIPTION
 *	A target (a host name as given, or an address after CIDR expansion,
 *	with one port) belongs to shard hash % N, where hash is the 64-bit
 *	FNV-1a of the lower-cased host, a NUL byte and the port in network
 *	byte order, finished with MurmurHash3's fmix64 so the low bits used
 *	by the modulo are well mixed. A target's shard depends on that
 *	target alone: adding targets to a list never moves the others, and
 *	the N shards of a list are disjoint and together cover it.
 *
 *	Shards are numbered from 0, like JOB_COMPLETION_INDEX of a
 *	Kubernetes Indexed Job: 0/3, 1/3 and 2/3 make up the whole scan.
 *	A zeroed struct shard (count 0) keeps every target.
 *
 * DIAGNOSTICS
 *	shard_parse() returns SA_ERROR_PARSE with err saying what is wrong:
 *	"'3/3': the index must be below the count (shards are 0 to 2)".
 */
#ifndef SHARD_H
#define SHARD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The largest N of --shard I/N. */
#define SHARD_MAX_COUNT 1000000u

struct shard {
	uint32_t index;
	uint32_t count; /* 0: no sharding */
};

/* Parses "I/N" with 0 <= I < N <= SHARD_MAX_COUNT. */
int shard_parse(const char *text, struct shard *out, char *err, size_t errlen);

/* The stable hash of a target (see DESCRIPTION). */
uint64_t shard_hash(const char *host, uint16_t port);

/* True when the target is in this shard (always without sharding). */
bool shard_keeps(const struct shard *s, const char *host, uint16_t port);

/* "I/N" into buf ("0/1" without sharding). */
const char *shard_format(const struct shard *s, char *buf, size_t buflen);

#endif
