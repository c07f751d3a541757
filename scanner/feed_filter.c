/*
 * NAME
 *	feed_filter - which targets of the list this run feeds the scheduler
 *
 * DESCRIPTION
 *	See feed_filter.h. While an item is being split into ports, the
 *	target list is not advanced, so the item's host text (which lives
 *	in the iterator) stays valid.
 */
#include "feed_filter.h"

#include "resume.h"

void feed_filter_init(struct feed_filter *f, const struct shard *shard, const struct resume *resume,
                      const uint16_t *ports, size_t nports)
{
	*f = (struct feed_filter){
	    .shard = *shard,
	    .resume = resume,
	    .ports = ports,
	    .nports = nports,
	    .next_port = nports,
	};
}

static bool feed_filter_keeps(const struct feed_filter *f, const char *host, uint16_t port)
{
	return shard_keeps(&f->shard, host, port) &&
	       (f->resume == NULL || !resume_done(f->resume, host, port));
}

static bool feed_filter_keeps_every_port(const struct feed_filter *f, const char *host)
{
	for (size_t i = 0; i < f->nports; i++)
		if (!feed_filter_keeps(f, host, f->ports[i]))
			return false;
	return true;
}

bool feed_filter_next(struct feed_filter *f, const struct target_list *list, struct target_iter *it,
                      struct target_item *out)
{
	if (f == NULL)
		return target_list_next(list, it, out);
	for (;;) {
		while (f->next_port < f->nports) {
			uint16_t port = f->ports[f->next_port++];
			if (feed_filter_keeps(f, f->pending.host, port)) {
				*out = f->pending;
				out->port = port;
				return true;
			}
		}
		if (!target_list_next(list, it, &f->pending))
			return false;
		if (f->pending.port != 0) {
			if (feed_filter_keeps(f, f->pending.host, f->pending.port)) {
				*out = f->pending;
				return true;
			}
		} else if (feed_filter_keeps_every_port(f, f->pending.host)) {
			*out = f->pending;
			return true;
		} else {
			f->next_port = 0;
		}
	}
}
