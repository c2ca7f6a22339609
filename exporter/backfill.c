/*
 * backfill: history into VictoriaMetrics (see backfill.h).
 *
 * The loop is kind-major: a kind's whole history goes first, chunk by
 * chunk, oldest first, so its cursor is one number that only moves
 * forward. Each chunk is: one range request, stamp, remote write, then the
 * cursor and sync_state.json. A kill between any two steps repeats at most
 * one chunk (VictoriaMetrics deduplicates identical samples with
 * -dedup.minScrapeInterval) and never skips one.
 */
#include <inttypes.h>
#include <string.h>
#include <time.h>

#include "backfill.h"
#include "civil.h"
#include "log.h"
#include "quit.h"
#include "rw.h"
#include "stats.h"

int
backfill_stamp_daily(struct samples *s, const char *zone, struct err *err)
{
	int32_t day = INT32_MIN;
	int64_t ms = 0;
	size_t i;

	for (i = 0; i < s->len; i++) {
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
backfill_budget_ok(struct source *src, time_t *resume_at)
{
	struct source_budget b;

	memset(&b, 0, sizeof(b));
	src->ops->budget(src, &b);
	if (!b.known || b.remaining > BACKFILL_RESERVE)
		return 1;
	if (b.reset_at != 0 && b.reset_at <= time(NULL))
		return 1;	/* the window has reset since the last answer */
	*resume_at = b.reset_at;
	return 0;
}

int64_t
backfill_pending(struct backfill *bf, int32_t start, int32_t end)
{
	const struct source_kind *kinds;
	size_t n, k;
	int64_t worst = 0, left;

	kinds = bf->src->ops->kinds(bf->src, &n);
	for (k = 0; k < n; k++) {
		left = (int64_t)end - state_next(bf->state, kinds[k].name,
		    start) + 1;
		if (left > worst)
			worst = left;
	}
	return worst;
}

#define CHUNK_READ_FAILED	(-1)	/* the API: this kind only, maybe */
#define CHUNK_WRITE_FAILED	(-2)	/* VictoriaMetrics: every kind */

/* Fetch kind k over [from, to], stamp, write. 0 or CHUNK_*_FAILED. */
static int
send_chunk(struct backfill *bf, size_t k, int32_t from, int32_t to,
    struct err *err)
{
	struct samples s;
	size_t rejected = 0;
	int rc = -1;

	samples_init(&s);
	if (bf->src->ops->range(bf->src, bf->profile, k, from, to, &s,
	    err) == -1)
		goto out;
	rc = CHUNK_WRITE_FAILED;
	if (backfill_stamp_daily(&s, bf->profile->zone, err) == -1)
		goto out;
	if (s.len > 0 && rw_write(bf->rw, &s, &rejected, err) == -1)
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
	return err->code >= 400 && err->code < 500 && err->code != 429;
}

/* A failure of the whole API (or of us), not of one kind's endpoint. */
static int
ends_step(const struct err *err)
{
	return err->code == ERR_STOP || err->code == ERR_AUTH ||
	    err->code == ERR_RATE || err->code == ERR_NOT_LINKED;
}

static void
log_progress(struct backfill *bf, const char *kind, int32_t next,
    int32_t start, int32_t end, time_t began, int64_t done_before)
{
	char date[CIVIL_DATE_LEN];
	int64_t pending = backfill_pending(bf, start, end);
	int64_t total = (int64_t)end - start + 1;
	int64_t done = total - pending, elapsed = time(NULL) - began;
	int64_t eta = -1;

	if (done > done_before && elapsed > 0)
		eta = elapsed * pending / (done - done_before);
	civil_format(next - 1, date);
	atomic_store(&stats_get()->backfill_days_pending, pending);
	log_info("backfill progress",
	    "kind=%s through=%s days_done=%" PRId64 " days_total=%" PRId64
	    " eta_seconds=%" PRId64, kind, date, done, total, eta);
}

enum backfill_result
backfill_step(struct backfill *bf, int32_t start, int32_t end,
    time_t *resume_at, struct err *err)
{
	const struct source_kind *kinds;
	size_t n, k;
	int32_t next, to;
	time_t began = time(NULL);
	int64_t done_before = ((int64_t)end - start + 1) -
	    backfill_pending(bf, start, end);

	struct err first = { 0 };
	char q[ERR_MSG_MAX + 16];
	int rc;

	kinds = bf->src->ops->kinds(bf->src, &n);
	for (k = 0; k < n && k < STATE_KINDS_MAX; k++) {
		if (bf->skip[k])
			continue;
		next = state_next(bf->state, kinds[k].name, start);
		if (next < start)
			next = start;
		while (next <= end) {
			if (quit_requested())
				return err_setc(err, ERR_STOP, "stopping"),
				    BACKFILL_FAILED;
			if (!backfill_budget_ok(bf->src, resume_at))
				return BACKFILL_PAUSED;
			to = next + kinds[k].max_days - 1;
			if (to > end)
				to = end;
			if ((rc = send_chunk(bf, k, next, to, err)) != 0) {
				if (rc == CHUNK_WRITE_FAILED || ends_step(err))
					return BACKFILL_FAILED;
				if (refused_for_good(err)) {
					log_warn("history kind skipped until "
					    "restart", "kind=%s status=%d",
					    kinds[k].name, err->code);
					bf->skip[k] = 1;
				} else {
					/* this kind again next cycle; the
					 * others go on meanwhile */
					log_warn("history kind failed, retrying "
					    "next cycle", "kind=%s error=%s",
					    kinds[k].name,
					    log_q(q, sizeof(q), err->msg));
					if (!first.set)
						first = *err;
				}
				err_clear(err);
				break;
			}
			next = to + 1;
			if (state_set_next(bf->state, kinds[k].name, next) == -1)
				return err_set(err, "too many history kinds"),
				    BACKFILL_FAILED;
			if (state_save(bf->state_path, bf->state, err) == -1)
				return BACKFILL_FAILED;
			log_progress(bf, kinds[k].name, next, start, end,
			    began, done_before);
		}
	}
	if (first.set) {
		*err = first;
		return BACKFILL_FAILED;
	}
	atomic_store(&stats_get()->backfill_days_pending, 0);
	return BACKFILL_DONE;
}

int
backfill_range(struct backfill *bf, int32_t from, int32_t to,
    struct err *err)
{
	const struct source_kind *kinds;
	size_t n, k;
	int32_t next, end;
	time_t resume_at = 0, now;
	char a[CIVIL_DATE_LEN], b[CIVIL_DATE_LEN];

	kinds = bf->src->ops->kinds(bf->src, &n);
	for (k = 0; k < n; k++) {
		for (next = from; next <= to; next = end + 1) {
			while (!backfill_budget_ok(bf->src, &resume_at)) {
				now = time(NULL);
				log_info("rate budget low, waiting for the reset",
				    "seconds=%lld",
				    (long long)(resume_at > now ?
				    resume_at - now : 1));
				if (quit_sleep(1000L * (resume_at > now ?
				    resume_at - now + 1 : 1)))
					return err_setc(err, ERR_STOP,
					    "stopping");
			}
			end = next + kinds[k].max_days - 1;
			if (end > to)
				end = to;
			if (send_chunk(bf, k, next, end, err) == -1)
				return -1;
			civil_format(next, a);
			civil_format(end, b);
			log_info("backfill sent", "kind=%s from=%s to=%s",
			    kinds[k].name, a, b);
		}
	}
	return 0;
}
