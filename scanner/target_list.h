/*
 * NAME
 *	target_list - every target of a scan, from arguments, files and stdin
 *
 * DESCRIPTION
 *	Collects target specifications and exclusions, drops duplicate specs,
 *	checks the size limit, and hands the targets out one at a time so a
 *	large CIDR or a long file is expanded lazily (100,000 targets are not
 *	turned into 100,000 structures up front).
 *
 *	Files hold one target per line; blank lines and everything from a '#'
 *	are ignored; "-" is standard input. Exclusions are addresses, CIDR
 *	blocks or host names; they apply to literal addresses here and to
 *	resolved addresses in the engine (target_list_excluded).
 *
 * DIAGNOSTICS
 *	Functions return 0 or a negative SA_ERROR_* code and write one line
 *	into err naming the culprit: "hosts.txt:12: bad target '...': ...",
 *	"cannot read 'x.txt': No such file or directory", "10.0.0.0/8 is
 *	16777216 addresses, over --max-targets 65536".
 */
#ifndef TARGET_LIST_H
#define TARGET_LIST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "target.h"

/* Documented default for --max-targets: a /16 of IPv4. */
#define TARGET_LIST_DEFAULT_MAX 65536

struct target_list {
	struct target_spec *specs;
	size_t nspecs, specs_cap;
	struct target_spec *excludes;
	size_t nexcludes, excludes_cap;
	void *seen; /* tsearch(3) tree of spec keys: de-duplication stays O(log n) per add */
};

/* One unit of work before name resolution. */
struct target_item {
	const struct target_spec *spec; /* the spec it came from */
	enum target_kind kind;          /* TARGET_NAME or TARGET_ADDRESS (CIDRs are expanded) */
	const char *host;               /* name, or address text (valid until the next call) */
	struct target_addr addr;        /* TARGET_ADDRESS only */
	uint16_t port;                  /* 0: every port of --ports */
};

struct target_iter {
	size_t spec;
	uint64_t index;
	char host_buf[64];
};

void target_list_init(struct target_list *list);
void target_list_free(struct target_list *list);

/* Adds one target; source names where it came from for messages ("argument", "hosts.txt:3"). */
int target_list_add(struct target_list *list, const char *text, const char *source, char *err,
		    size_t errlen);

/* Called for each non-blank line of a list file, comment stripped; source is "FILE:LINE". */
typedef int (*target_list_line_cb)(void *arg, const char *text, const char *source, char *err,
                                   size_t errlen);

/* Reads a list file ("-" = stdin) as target files are read, one entry per line, into add. */
int target_list_read_file(const char *path, target_list_line_cb add, void *arg, char *err,
                          size_t errlen);

/* Adds every target of a file ("-" = stdin). */
int target_list_add_file(struct target_list *list, const char *path, char *err, size_t errlen);

/* Adds exclusions: a comma-separated list of addresses, CIDRs or names. */
int target_list_exclude(struct target_list *list, const char *text, char *err, size_t errlen);

/*
 * Checks sizes: a spec larger than max, or a total larger than max, is an
 * error naming the culprit. *total receives the number of addresses/names.
 */
int target_list_check(const struct target_list *list, uint64_t max, uint64_t *total, char *err,
		      size_t errlen);

/*
 * Services the list names: each address or name times its ports (its own,
 * or nports). An estimate for progress: names count as one address and
 * exclusions are not subtracted.
 */
uint64_t target_list_estimate(const struct target_list *list, size_t nports);

void target_iter_init(struct target_iter *it);

/* Next item, skipping excluded addresses; false when exhausted. */
bool target_list_next(const struct target_list *list, struct target_iter *it,
		      struct target_item *out);

/*
 * True when two items could stand for the same address and port: a name
 * (it may resolve to any address) or two address blocks that overlap on
 * a common port. When false, the engine needs no record of what it
 * scheduled to scan each service once. O(n log n); SA_ERROR_NOMEM counts
 * as true.
 */
bool target_list_may_repeat(const struct target_list *list);

/* True when a (resolved) address or a host name is excluded. */
bool target_list_excluded(const struct target_list *list, const struct target_addr *addr,
			  const char *name);

#endif
