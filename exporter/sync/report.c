/*
 * report: the status of one account (see report.h).
 */
#include <stdio.h>
#include <string.h>

#include "history.h"
#include "monotime.h"
#include "report.h"
#include "source/source.h"
#include "stats.h"

/* Kind k's days done and in all, and its ETA at the pace seen so far. */
static int
kind_progress(struct report *r, const struct report_input *in,
    const struct source_kind *kind, size_t k, struct status_kind *out)
{
	int64_t now = monotime_ms();

	if (history_progress(in->hist, kind, in->start, in->end, &out->done,
	    &out->total) == -1)
		return -1;
	snprintf(out->name, sizeof(out->name), "%s", kind->name);
	if (r->t0_ms[k] == 0 || out->done < r->done0[k]) {
		r->t0_ms[k] = now;
		r->done0[k] = out->done;
	}
	out->eta_s = history_eta_s(now - r->t0_ms[k], out->done - r->done0[k],
	    out->total - out->done);
	return 0;
}

struct status *
report_build(struct report *r, const struct report_input *in)
{
	const struct stats_account *st = in->st;
	const struct source_kind *kinds;
	struct source_budget b;
	struct status *s;
	size_t n, k;

	if ((s = status_new()) == NULL)
		return NULL;
	s->built_at = (int64_t)time(NULL);
	s->ready = atomic_load(&st->ready);
	s->ready_hint = atomic_load(&st->ready_hint);
	s->token_expiry = atomic_load(&st->token_expiry);
	s->last_success = atomic_load(&st->last_sync_ts);
	s->failing_since = atomic_load(&st->failing_since);
	s->next_sync = (int64_t)in->next_sync;
	snprintf(s->error, sizeof(s->error), "%s", in->error);
	memset(&b, 0, sizeof(b));
	in->src->ops->budget(in->src, &b);
	s->budget_left = b.known ? b.remaining : -1;
	s->budget_limit = b.known ? b.limit : -1;
	s->budget_reset = b.known ? (int64_t)b.reset_at : 0;
	if (in->end < in->start)
		return s;	/* no cycle yet: the range is unknown */
	kinds = in->src->ops->kinds(in->src, &n);
	for (k = 0; k < n && k < STATUS_KINDS_MAX; k++) {
		if (kind_progress(r, in, &kinds[k], k,
		    &s->kinds[s->nkinds]) == -1)
			continue;
		if (s->kinds[s->nkinds].done < s->kinds[s->nkinds].total)
			s->backfill = 1;
		s->nkinds++;
	}
	return s;
}
