/*
 * NAME
 *	partial_scan - a scan that does part of the work: --shard and --resume
 *
 * DESCRIPTION
 *	See partial_scan.h. The writer's target() gets the report options
 *	the scheduler was given, which are ps->ropt: the partial scan is
 *	found from them (container_of), so no global is needed.
 */
#include "partial_scan.h"

#include <stddef.h>
#include <stdio.h>

#include "sa_error.h"

static int partial_scan_target(const struct report_options *ropt, const struct target_result *t)
{
	struct partial_scan *ps =
	    (struct partial_scan *)((char *)ropt - offsetof(struct partial_scan, ropt));
	int rc = ps->chosen->target != NULL ? ps->chosen->target(ropt, t) : 0;
	int recorded = resume_record(&ps->state, t);
	return rc != 0 ? rc : recorded;
}

static int partial_scan_open_state(struct partial_scan *ps, const struct scan_options *opt,
                                   struct scan_result *result, char *err, size_t errlen)
{
	json_t *work = resume_work(opt);
	if (work == NULL) {
		snprintf(err, errlen, "out of memory");
		return SA_ERROR_NOMEM;
	}
	int rc = resume_open(&ps->state, opt->resume_path, work, result->scan_id,
	                     result->started_ms, err, errlen);
	json_decref(work);
	if (rc != 0)
		return rc;
	ps->resuming = true;
	if (!opt->quiet && ps->state.run > 1)
		fprintf(stderr,
		        "smtp-audit: --resume %s: %zu targets done in scan %s, scanning the rest\n",
		        opt->resume_path, resume_count_done(&ps->state), ps->state.scan_id);
	snprintf(result->scan_id, sizeof(result->scan_id), "%s", ps->state.scan_id);
	result->started_ms = ps->state.started_ms;
	ps->chosen = opt->writer;
	ps->writer = *opt->writer;
	ps->writer.target = partial_scan_target;
	ps->opt.writer = &ps->writer;
	return 0;
}

int partial_scan_open(struct partial_scan *ps, const struct scan_options *opt,
                      struct scan_result *result, char *err, size_t errlen)
{
	*ps = (struct partial_scan){.active = opt->shard.count > 1 || opt->resume_path != NULL};
	if (!ps->active)
		return 0;
	ps->opt = *opt;
	if (opt->resume_path != NULL) {
		int rc = partial_scan_open_state(ps, opt, result, err, errlen);
		if (rc != 0)
			return rc;
	}
	feed_filter_init(&ps->feed, &opt->shard, ps->resuming ? &ps->state : NULL, opt->ports,
	                 opt->nports);
	ps->opt.feed = &ps->feed;
	return 0;
}

int partial_scan_replay(struct partial_scan *ps, const struct report_options *ropt,
                        struct scan_result *result)
{
	if (!ps->resuming)
		return 0;
	size_t first = result->ntargets;
	int rc = resume_take_results(&ps->state, result);
	for (size_t i = first; rc == 0 && i < result->ntargets; i++)
		if (ps->chosen->target != NULL)
			rc = ps->chosen->target(ropt, result->targets[i]);
	return rc;
}

const struct scan_options *partial_scan_options(const struct partial_scan *ps,
                                                const struct scan_options *opt)
{
	return ps->active ? &ps->opt : opt;
}

const struct report_options *partial_scan_report(struct partial_scan *ps,
                                                 const struct report_options *ropt)
{
	if (!ps->active)
		return ropt;
	ps->ropt = *ropt;
	return &ps->ropt;
}

void partial_scan_close(struct partial_scan *ps)
{
	if (ps->resuming)
		resume_close(&ps->state);
	ps->resuming = false;
}
