/*
 * collector: the collector thread (see collector.h).
 *
 * It is the only writer of the cache, of sync_state.json and of most
 * stats. It owns the profile (time zone) and the sync state; the HTTP
 * server sees only published snapshots and atomic stats.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "backfill.h"
#include "civil.h"
#include "collector.h"
#include "log.h"
#include "oauth.h"
#include "quit.h"
#include "rw.h"
#include "state.h"
#include "stats.h"

#define PROFILE_MAX_AGE (24 * 3600)

struct collector {
	struct collector_config cfg;
	pthread_t thread;
	int started;
	struct profile profile;
	time_t profile_at;		/* 0: never read */
	struct state state;
	struct backfill bf;
	int warned_no_rw;
	int backfill_paused;
	time_t resume_at;
};

struct collector *
collector_new(const struct collector_config *cfg, struct err *err)
{
	struct collector *c;

	if ((c = calloc(1, sizeof(*c))) == NULL) {
		err_set(err, "out of memory");
		return NULL;
	}
	c->cfg = *cfg;
	state_init(&c->state);
	if (cfg->rw != NULL && state_load(cfg->state_path, &c->state,
	    err) == -1) {
		free(c);
		return NULL;
	}
	c->bf.src = cfg->src;
	c->bf.profile = &c->profile;
	c->bf.rw = cfg->rw;
	c->bf.state = &c->state;
	c->bf.state_path = cfg->state_path;
	return c;
}

void
collector_free(struct collector *c)
{
	free(c);
}

/* Map an error of the API or of OAuth to readiness. */
static void
note_failure(const struct err *err)
{
	struct stats *st = stats_get();
	int64_t now = (int64_t)time(NULL);
	int64_t zero = 0;

	atomic_store(&st->last_sync_success, 0);
	atomic_compare_exchange_strong(&st->failing_since, &zero, now);
	if (err->code == ERR_AUTH)
		atomic_store(&st->ready, READY_INVALID_GRANT);
	else if (err->code == ERR_NOT_LINKED)
		atomic_store(&st->ready, READY_NOT_LINKED);
	else if (err->code == 403)
		atomic_store(&st->ready, READY_FORBIDDEN);
}

static void
note_success(void)
{
	struct stats *st = stats_get();

	atomic_store(&st->last_sync_success, 1);
	atomic_store(&st->last_sync_ts, (int64_t)time(NULL));
	atomic_store(&st->failing_since, 0);
	atomic_store(&st->ready, READY_OK);
}

static int
ensure_profile(struct collector *c, struct err *err)
{
	time_t now = time(NULL);
	struct profile p;
	char since[CIVIL_DATE_LEN] = "unknown";

	if (c->profile_at != 0 && now - c->profile_at < PROFILE_MAX_AGE)
		return 0;
	memset(&p, 0, sizeof(p));
	p.member_since = -1;
	if (c->cfg.src->ops->profile(c->cfg.src, &p, err) == -1) {
		/* a stale profile is better than none */
		return c->profile_at != 0 ? (err_clear(err), 0) : -1;
	}
	if (p.member_since >= 0)
		civil_format(p.member_since, since);
	if (c->profile_at == 0 || strcmp(p.zone, c->profile.zone) != 0)
		log_info("profile", "time_zone=%s member_since=%s", p.zone,
		    since);
	c->profile = p;
	c->profile_at = now;
	return 0;
}

/* Today's running values -> a new snapshot. Takes today's samples. */
static int
publish_today(struct collector *c, struct samples *today_values,
    struct err *err)
{
	struct snapshot *snap;

	samples_sort(today_values);
	if ((snap = snapshot_new(today_values, (int64_t)time(NULL))) == NULL)
		return err_set(err, "out of memory");
	cache_publish(c->cfg.cache, snap);
	return 0;
}

/* The samples of one day, copied out of all. */
static int
select_day(const struct samples *all, int32_t day, struct samples *out)
{
	size_t i;

	samples_clear(out);
	for (i = 0; i < all->len; i++)
		if (all->v[i].day == day &&
		    samples_append(out, &all->v[i]) == -1)
			return -1;
	return 0;
}

/* Send each recent day of all whose values changed since last sent. */
static int
send_recent(struct collector *c, const struct samples *all, int32_t today,
    struct err *err)
{
	struct samples s;
	uint64_t fp;
	int32_t day;
	int rc = 0;
	char date[CIVIL_DATE_LEN];

	samples_init(&s);
	for (day = today - RECENT_DAYS; day < today && rc == 0; day++) {
		if (select_day(all, day, &s) == -1) {
			rc = err_set(err, "out of memory");
			break;
		}
		fp = state_fingerprint(&s);
		if (s.len == 0 || state_recent_same(&c->state, day, fp))
			continue;
		if (backfill_stamp_daily(&s, c->profile.zone, err) == -1 ||
		    rw_write(c->cfg.rw, &s, NULL, err) == -1) {
			rc = -1;
			break;
		}
		state_recent_set(&c->state, day, fp, today - RECENT_DAYS);
		rc = state_save(c->cfg.state_path, &c->state, err);
		civil_format(day, date);
		log_info("recent day sent", "day=%s samples=%zu", date, s.len);
	}
	samples_release(&s);
	return rc;
}

/*
 * Today and (with remote write) the last RECENT_DAYS days in one source
 * call: today's values become the snapshot, the recent days are sent when
 * they changed. *recent_err gets a failure to send (retried next cycle).
 */
static int
collect_days(struct collector *c, int32_t today, struct err *err,
    struct err *recent_err)
{
	struct samples all, mine;
	int32_t from = c->cfg.rw != NULL ? today - RECENT_DAYS : today;
	int rc = -1;

	samples_init(&all);
	samples_init(&mine);
	if (c->cfg.src->ops->days(c->cfg.src, &c->profile, from, today, &all,
	    err) == -1)
		goto out;
	if (select_day(&all, today, &mine) == -1) {
		err_set(err, "out of memory");
		goto out;
	}
	if (publish_today(c, &mine, err) == -1)
		goto out;
	rc = 0;
	if (c->cfg.rw != NULL)
		send_recent(c, &all, today, recent_err);
out:
	samples_release(&mine);
	samples_release(&all);
	return rc;
}

/* First day of history: BACKFILL_START, else the account's start. */
static int32_t
history_start(struct collector *c, int32_t today)
{
	if (c->cfg.backfill_start >= 0)
		return c->cfg.backfill_start;
	if (c->profile.member_since >= 0)
		return c->profile.member_since;
	return today - RECENT_DAYS;	/* unknown: nothing older */
}

/* Pending history up to the day before the recent window. */
static int
collect_history(struct collector *c, int32_t today, int wait_budget,
    struct err *err)
{
	int32_t start = history_start(c, today), end = today - RECENT_DAYS - 1;
	enum backfill_result r;
	time_t now;

	for (;;) {
		r = backfill_step(&c->bf, start, end, &c->resume_at, err);
		c->backfill_paused = (r == BACKFILL_PAUSED);
		if (r != BACKFILL_PAUSED)
			return r == BACKFILL_DONE ? 0 : -1;
		now = time(NULL);
		log_info("backfill paused until the rate limit resets",
		    "seconds=%lld days_pending=%lld",
		    (long long)(c->resume_at > now ? c->resume_at - now : 0),
		    (long long)backfill_pending(&c->bf, start, end));
		if (!wait_budget)
			return 0;
		if (quit_sleep(1000L * (c->resume_at > now ?
		    c->resume_at - now + 1 : 1)))
			return err_setc(err, ERR_STOP, "stopping");
	}
}

int
collector_cycle(struct collector *c, int wait_budget, struct err *err)
{
	struct stats *st = stats_get();
	time_t now = time(NULL);
	int32_t today;
	struct err soft = { 0 };
	char q[ERR_MSG_MAX + 16];

	if (oauth_state(c->cfg.oauth) == OAUTH_NO_TOKEN) {
		atomic_store(&st->ready, READY_NO_TOKEN);
		return err_setc(err, ERR_AUTH, "no token: run 'syncbit "
		    "--authorize' first");
	}
	if (ensure_profile(c, err) == -1 ||
	    civil_today(c->profile.zone, now, &today, err) == -1 ||
	    collect_days(c, today, err, &soft) == -1) {
		note_failure(err);
		return -1;
	}
	note_success();
	if (c->cfg.rw == NULL) {
		if (!c->warned_no_rw)
			log_warn("VICTORIA_ENDPOINT is not set: scrape-only, "
			    "history backfill skipped", NULL);
		c->warned_no_rw = 1;
		return 0;
	}
	/* History problems are retried next cycle; today's values stand. */
	if (soft.set || collect_history(c, today, wait_budget, &soft) == -1) {
		if (soft.code == ERR_STOP)
			return err_setc(err, ERR_STOP, "stopping");
		log_warn("history sync incomplete, retrying next cycle",
		    "error=%s", log_q(q, sizeof(q), soft.msg));
		if (wait_budget)
			return err_set(err, "%s", soft.msg);
	}
	return 0;
}

int
collector_backfill(struct collector *c, int32_t from, int32_t to,
    struct err *err)
{
	int32_t today;

	if (c->cfg.rw == NULL)
		return err_set(err, "--backfill needs VICTORIA_ENDPOINT");
	if (ensure_profile(c, err) == -1 ||
	    civil_today(c->profile.zone, time(NULL), &today, err) == -1)
		return -1;
	if (to < 0 || to >= today)
		to = today - 1;
	if (from > to)
		return err_set(err, "--from: nothing to send before today");
	return backfill_range(&c->bf, from, to, err);
}

static void *
run(void *arg)
{
	struct collector *c = arg;
	struct err err;
	time_t next = 0, now, wake;
	char q[ERR_MSG_MAX + 16];

	while (!quit_requested()) {
		now = time(NULL);
		if (now >= next) {
			err_clear(&err);
			if (collector_cycle(c, 0, &err) == -1 &&
			    err.code != ERR_STOP)
				log_error("sync failed", "error=%s",
				    log_q(q, sizeof(q), err.msg));
			next = now + c->cfg.interval_s;
			continue;
		}
		wake = next;
		if (c->backfill_paused && c->resume_at < wake) {
			if (now >= c->resume_at) {
				int32_t today;

				err_clear(&err);
				if (civil_today(c->profile.zone, now, &today,
				    &err) == 0 && collect_history(c, today, 0,
				    &err) == -1 && err.code != ERR_STOP)
					log_warn("backfill failed", "error=%s",
					    log_q(q, sizeof(q), err.msg));
				continue;
			}
			wake = c->resume_at;
		}
		quit_sleep(1000L * (wake - now));
	}
	return NULL;
}

int
collector_start(struct collector *c, struct err *err)
{
	atomic_store(&stats_get()->sync_interval_s, c->cfg.interval_s);
	if (pthread_create(&c->thread, NULL, run, c) != 0)
		return err_set(err, "cannot start the collector thread");
	c->started = 1;
	return 0;
}

void
collector_join(struct collector *c)
{
	if (c->started)
		pthread_join(c->thread, NULL);
	c->started = 0;
}
