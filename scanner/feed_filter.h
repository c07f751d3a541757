/*
 * NAME
 *	feed_filter - which targets of the list this run feeds the scheduler
 *
 * DESCRIPTION
 *	Sits between the target list and the scheduler: a target (a name or
 *	an address after CIDR expansion, with one port) is fed only when it
 *	belongs to this run's --shard and is not done in the --resume state.
 *	An item that names every port of --ports is passed on whole when all
 *	its ports are kept (one resolution for a name), else split into one
 *	item per kept port.
 *
 *	feed_filter_next() with a NULL filter is target_list_next().
 */
#ifndef FEED_FILTER_H
#define FEED_FILTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "shard.h"
#include "target_list.h"

struct resume;

struct feed_filter {
	struct shard shard;
	const struct resume *resume; /* NULL: nothing is done yet */
	const uint16_t *ports;       /* --ports, for items without a port of their own */
	size_t nports;
	struct target_item pending; /* an item being split into ports */
	size_t next_port;           /* the next port of pending to try; nports when none */
};

void feed_filter_init(struct feed_filter *f, const struct shard *shard, const struct resume *resume,
                      const uint16_t *ports, size_t nports);

/* The next item to scan; false when the list is exhausted. */
bool feed_filter_next(struct feed_filter *f, const struct target_list *list, struct target_iter *it,
                      struct target_item *out);

#endif
