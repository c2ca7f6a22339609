/*
 * history: the backfill (see history.h); history_state.c keeps the rest.
 *
 * The loop is kind-major: a kind's whole history goes first, chunk by
 * chunk, oldest first, so its cursor is one number that only moves
 * forward. Each chunk is: one range request, stamp, remote write, then the
 * cursor and sync_state.json. A kill between any two steps repeats at most
 * one chunk (VictoriaMetrics deduplicates identical samples with
 * -dedup.minScrapeInterval) and never skips one.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "civil.h"
#include "history_impl.h"
#include "groups.h"
#include "log.h"
#include "monotime.h"
#include "quit.h"
#include "stats.h"

int
history_stamp_daily(struct samples *s, const char *zone, struct err *err)
{
	int32_t day = INT32_MIN;
	int64_t ms = 0;
	size_t i;

	for (i = 0; i < s->len; i++) {
		if (s->v[i].ts_ms != 0)
			continue;	/* an instant of its own */
		if (s->v[i].day != day) {
			day = s->v[i].day;
			if (civil_day_end_ms(zone, day, &ms, err) == -1)
				return -1;
		}
		s->v[i].ts_ms = ms;
	}
	return 0;
}

int
history_budget_ok(struct source *src, int reserve, time_t *resume_at)
{
	struct source_budget b;

	memset(&b, 0, sizeof(b));
	src->ops->budget(src, &b);
	if (!b.known || b.remaining > reserve)
		return 1;
	if (b.reset_at != 0 && b.reset_at <= time(NULL))
		return 1;	/* the window has reset since the last answer */
	*resume_at = b.reset_at;
	return 0;
}

/* 1 when kind is sent: its group is on, it has history, not skipped. */
static int
wants(const struct history *h, const struct source_kind *kind)
{
	return !history_skipped(h, kind->name) &&
	    !(kind->flags & KIND_CURRENT) && groups_on(h->cfg.groups, kind->group);
}

/* Intraday: days after the newest sent, and before the oldest sent. */
static int64_t
intraday_pending(const struct history *h, const char *name, int32_t start)
{
	int32_t end = h->utc_end, next, lo;
	int64_t left = 0;

	next = state_next(&h->state, name, end + 1);
	lo = state_lo(&h->state, name, next);
	if (next <= end)
		left += (int64_t)end - next + 1;
	if (lo > start)
		left += (int64_t)lo - start;
	return left;
}

int64_t
history_pending(const struct history *h, int32_t start, int32_t end)
{
	const struct source_kind *kinds;
	size_t n, k;
	int64_t worst = 0, left;
	int32_t next;

	kinds = h->cfg.src->ops->kinds(h->cfg.src, &n);
	for (k = 0; k < n; k++) {
		if (!wants(h, &kinds[k]))
			continue;
		if (kinds[k].flags & KIND_INTRADAY) {
			left = intraday_pending(h, kinds[k].name, start);
		} else {
			next = state_next(&h->state, kinds[k].name, start);
			left = (int64_t)end - (next > start ? next : start) + 1;
		}
		if (left > worst)
			worst = left;
	}
	return worst;
}

int
history_progress(const struct history *h, const struct source_kind *kind,
    int32_t start, int32_t end, int64_t *done, int64_t *total)
{
	int32_t next;
	int64_t left;

	if (!wants(h, kind))
		return -1;
	if (kind->flags & KIND_INTRADAY) {
		end = h->utc_end;
		left = intraday_pending(h, kind->name, start);
	} else {
		next = state_next(&h->state, kind->name, start);
		left = (int64_t)end - (next > start ? next : start) + 1;
	}
	*total = end >= start ? (int64_t)end - start + 1 : 0;
	if (left < 0)
		left = 0;
	if (left > *total)
		left = *total;
	*done = *total - left;
	return 0;
}

#define CHUNK_READ_FAILED	(-1)	/* the API: this kind only, maybe */
#define CHUNK_WRITE_FAILED	(-2)	/* VictoriaMetrics: every kind */

/* Fetch kind k over [from, to], stamp, write. 0 or CHUNK_*_FAILED. */
static int
send_chunk(struct history *h, size_t k, int32_t from, int32_t to,
    struct err *err)
{
	struct samples s;
	size_t rejected = 0;
	int rc = -1;

	samples_init(&s);
	if (h->cfg.src->ops->range(h->cfg.src, h->cfg.profile, k, from, to, &s,
	    err) == -1)
		goto out;
	rc = CHUNK_WRITE_FAILED;
	if (history_stamp_daily(&s, h->cfg.profile->zone, err) == -1)
		goto out;
	if (s.len > 0 && history_send(h, &s, &rejected, err) == -1)
		goto out;
	if (rejected > 0)
		log_warn("VictoriaMetrics rejected samples", "count=%zu",
		    rejected);
	rc = 0;
out:
	samples_release(&s);
	return rc;
}

/* A 4xx other than 429: asking again will not help. */
static int
refused_for_good(const struct err *err)
{
	return err_refused(err);
}

/* A failure of the whole API (or of us), not of one kind's endpoint. */
static int
ends_step(const struct err *err)
{
	return err->kind == ERR_STOP || err->kind == ERR_AUTH ||
	    err->kind == ERR_RATE || err->kind == ERR_ACCOUNT;
}


/* 1 when the next cycle is due: history yields to it. */
static int
cycle_due(const struct history *h)
{
	return h->deadline != 0 && time(NULL) >= h->deadline;
}

/* In the service (a deadline), 1 with *resume_at in a second when the
 * next request would wait for the source's pacing: the bucket refills
 * meanwhile, so the account loses no pace and its worker none at all. */
static int
paced(const struct history *h, time_t *resume_at)
{
	struct source_budget b;

	if (h->deadline == 0)
		return 0;
	memset(&b, 0, sizeof(b));
	h->cfg.src->ops->budget(h->cfg.src, &b);
	if (!b.paced)
		return 0;
	*resume_at = time(NULL) + 1;
	return 1;
}

int64_t
history_eta_s(int64_t elapsed_ms, int64_t days_done, int64_t days_left)
{
	if (days_left <= 0)
		return 0;
	if (elapsed_ms <= 0 || days_done <= 0)
		return -1;
	return (elapsed_ms * days_left + days_done * 1000 - 1) /
	    (days_done * 1000);
}

/* One line per chunk of a daily kind: how far it is, and when it will be
 * through at this step's pace (eta_seconds only once there is a pace). */
static void
log_progress(struct history *h, const char *kind, int32_t next,
    int32_t start, int32_t end, int64_t began_ms, int32_t first)
{
	char date[CIVIL_DATE_LEN];
	int64_t pending = history_pending(h, start, end);
	int64_t total = (int64_t)end - start + 1;
	int64_t done = (int64_t)next - start;
	int64_t eta = history_eta_s(monotime_ms() - began_ms,
	    (int64_t)next - first, (int64_t)end - next + 1);

	civil_format(next - 1, date);
	atomic_store(&h->cfg.src->stats->backfill_days_pending, pending);
	if (h->cfg.on_chunk != NULL)
		h->cfg.on_chunk(h->cfg.arg);
	if (eta < 0)
		log_info("backfill progress", "kind=%s through=%s "
		    "days_done=%" PRId64 " days_total=%" PRId64, kind, date,
		    done, total);
	else
		log_info("backfill progress", "kind=%s through=%s "
		    "days_done=%" PRId64 " days_total=%" PRId64
		    " eta_seconds=%" PRId64, kind, date, done, total, eta);
}

/* What a failed chunk means for the step: 1 go on with other kinds, 0
 * stop (err set). A refused kind is skipped until restart. */
static int
chunk_failed(struct history *h, const struct source_kind *kind, int rc,
    struct err *err, struct err *first)
{
	char q[ERR_MSG_MAX + 16];

	if (rc == CHUNK_WRITE_FAILED || ends_step(err))
		return 0;
	if (refused_for_good(err)) {
		log_warn("history kind skipped until restart",
		    "kind=%s status=%d", kind->name, err->status);
		history_refuse(h, kind->name);
	} else {
		/* this kind again next cycle; the others go on meanwhile */
		log_warn("history kind failed, retrying next cycle",
		    "kind=%s error=%s", kind->name,
		    log_q(q, sizeof(q), err->msg));
		if (!first->set)
			*first = *err;
	}
	err_clear(err);
	return 1;
}

/* Record a sent chunk of kind: next (and lo), then sync_state.json. */
static int
advance(struct history *h, const char *name, int32_t next, int32_t lo,
    struct err *err)
{
	if (state_set_next(&h->state, name, next) == -1 ||
	    (lo != INT32_MIN && state_set_lo(&h->state, name, lo) == -1))
		return err_set(err, "too many history kinds");
	return history_save(h, err);
}

/* The next intraday chunk of kind: [*from, *to]; 0 when none is left.
 * First the gap after the newest day sent (days SyncBit was down, oldest
 * first, so one cursor holds it), then older days, newest first. */
static int
intraday_chunk(struct history *h, const struct source_kind *kind,
    int32_t start, int32_t *from, int32_t *to)
{
	int32_t end = h->utc_end, next, lo;

	next = state_next(&h->state, kind->name, end + 1);
	lo = state_lo(&h->state, kind->name, next);
	if (next <= end) {
		*from = next;
		*to = next + kind->max_days - 1 < end ?
		    next + kind->max_days - 1 : end;
		return 1;
	}
	if (lo > start) {
		*to = lo - 1;
		*from = lo - kind->max_days > start ? lo - kind->max_days :
		    start;
		return 1;
	}
	return 0;
}

static enum history_result
step_daily(struct history *h, int32_t start, int32_t end,
    time_t *resume_at, struct err *err, struct err *first)
{
	const struct source_kind *kinds;
	size_t n, k;
	int32_t next, to, from0;
	int64_t began;
	int rc;

	kinds = h->cfg.src->ops->kinds(h->cfg.src, &n);
	for (k = 0; k < n; k++) {
		if (!wants(h, &kinds[k]) ||
		    (kinds[k].flags & KIND_INTRADAY))
			continue;
		next = state_next(&h->state, kinds[k].name, start);
		if (next < start)
			next = start;
		from0 = next;
		began = monotime_ms();
		while (next <= end) {
			if (quit_requested())
				return err_kind(err, ERR_STOP, "stopping"),
				    HISTORY_FAILED;
			if (cycle_due(h))
				return HISTORY_YIELDED;
			if (!history_budget_ok(h->cfg.src, h->reserve,
			    resume_at))
				return HISTORY_PAUSED;
			if (paced(h, resume_at))
				return HISTORY_PACED;
			to = next + kinds[k].max_days - 1;
			if (to > end)
				to = end;
			if ((rc = send_chunk(h, k, next, to, err)) != 0) {
				if (!chunk_failed(h, &kinds[k], rc, err,
				    first))
					return HISTORY_FAILED;
				break;
			}
			next = to + 1;
			if (advance(h, kinds[k].name, next, INT32_MIN,
			    err) == -1)
				return HISTORY_FAILED;
			log_progress(h, kinds[k].name, next, start, end,
			    began, from0);
		}
	}
	return HISTORY_DONE;
}

/* Intraday kinds, the one with the newest pending chunk first. */
static enum history_result
step_intraday(struct history *h, int32_t start, time_t *resume_at,
    struct err *err, struct err *first)
{
	const struct source_kind *kinds;
	size_t n, k, best;
	int32_t from, to, bfrom = 0, bto = 0, next, lo;
	int rc;
	/* by place in this kinds() table, for this step only */
	unsigned char failed[STATE_KINDS_MAX] = { 0 };

	kinds = h->cfg.src->ops->kinds(h->cfg.src, &n);
	for (;;) {
		best = n;
		for (k = 0; k < n && k < STATE_KINDS_MAX; k++)
			if (wants(h, &kinds[k]) && !failed[k] &&
			    (kinds[k].flags & KIND_INTRADAY) &&
			    intraday_chunk(h, &kinds[k], start, &from, &to) &&
			    (best == n || to > bto))
				best = k, bfrom = from, bto = to;
		if (best == n)
			return HISTORY_DONE;
		if (quit_requested())
			return err_kind(err, ERR_STOP, "stopping"),
			    HISTORY_FAILED;
		if (cycle_due(h))
			return HISTORY_YIELDED;
		if (!history_budget_ok(h->cfg.src, h->reserve, resume_at))
			return HISTORY_PAUSED;
		if (paced(h, resume_at))
			return HISTORY_PACED;
		if ((rc = send_chunk(h, best, bfrom, bto, err)) != 0) {
			if (!chunk_failed(h, &kinds[best], rc, err,
			    first))
				return HISTORY_FAILED;
			failed[best] = 1;	/* again next step */
			continue;
		}
		next = state_next(&h->state, kinds[best].name, h->utc_end + 1);
		lo = state_lo(&h->state, kinds[best].name, next);
		if (bfrom >= next)
			next = bto + 1;		/* the gap */
		else
			lo = bfrom;
		if (advance(h, kinds[best].name, next, lo, err) == -1)
			return HISTORY_FAILED;
		/* the daily kinds are done: an empty daily range */
		atomic_store(&h->cfg.src->stats->backfill_days_pending,
		    history_pending(h, start, start - 1));
	}
}

enum history_result
history_step(struct history *h, int32_t start, int32_t end,
    time_t *resume_at, struct err *err)
{
	struct err first = { 0 };
	enum history_result r;

	r = step_daily(h, start, end, resume_at, err, &first);
	if (r == HISTORY_DONE)
		r = step_intraday(h, start, resume_at, err, &first);
	if (r != HISTORY_DONE)
		return r;
	if (first.set) {
		*err = first;
		return HISTORY_FAILED;
	}
	atomic_store(&h->cfg.src->stats->backfill_days_pending, 0);
	return HISTORY_DONE;
}

int
history_range(struct history *h, int32_t from, int32_t to,
    struct err *err)
{
	const struct source_kind *kinds;
	size_t n, k;
	int32_t next, end;
	time_t resume_at = 0, now;
	char a[CIVIL_DATE_LEN], b[CIVIL_DATE_LEN];

	kinds = h->cfg.src->ops->kinds(h->cfg.src, &n);
	for (k = 0; k < n; k++) {
		if (!wants(h, &kinds[k]))
			continue;
		for (next = from; next <= to; next = end + 1) {
			while (!history_budget_ok(h->cfg.src, HISTORY_RESERVE,
			    &resume_at)) {
				now = time(NULL);
				log_info("rate budget low, waiting for the reset",
				    "seconds=%lld",
				    (long long)(resume_at > now ?
				    resume_at - now : 1));
				if (quit_sleep(1000L * (resume_at > now ?
				    resume_at - now + 1 : 1)))
					return err_kind(err, ERR_STOP,
					    "stopping");
			}
			end = next + kinds[k].max_days - 1;
			if (end > to)
				end = to;
			if (send_chunk(h, k, next, end, err) != 0) {
				if (!refused_for_good(err) || ends_step(err))
					return -1;
				log_warn("kind skipped: the API refused it",
				    "kind=%s status=%d", kinds[k].name,
				    err->status);
				err_clear(err);
				break;
			}
			civil_format(next, a);
			civil_format(end, b);
			log_info("backfill sent", "kind=%s from=%s to=%s",
			    kinds[k].name, a, b);
		}
	}
	return 0;
}
