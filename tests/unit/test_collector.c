/*
 * collector cycles over the fake source of fakesrc.h, no network and no
 * VictoriaMetrics (a capturing sink): finality comes from the source's
 * last_sync (a day is history once a device synced after it ended;
 * without one, the days before the last RECENT_DAYS), a refused intraday
 * kind stops all intraday kinds until restart, the budget reserve and
 * the deadline hold history back, scrape-only sends nothing.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "expose/cache.h"
#include "fakesrc.h"
#include "log.h"
#include "sync/collector.h"
#include "sync/fleet.h"
#include "sync/history.h"
#include "sync/state.h"
#include "helpers.h"
#include "t.h"

static const struct source_kind kinds[] = {
	{ "devices", "devices", 1, KIND_CURRENT },
	{ "sleep", "sleep", 10, KIND_WAKE },
	{ "heart_intraday", "intraday", 1, KIND_INTRADAY },
	{ "steps_intraday", "intraday", 1, KIND_INTRADAY },
};

struct env {
	struct fakesrc src;
	struct capture cap;
	struct history_sink sink;
	struct cache *cache;
	struct collector *c;
	char *dir;
	char path[1024];
	int32_t today;
};

static void
env_open(struct env *e, int send, int interval_s)
{
	struct collector_config cc;
	struct err err = { 0 };

	memset(e, 0, sizeof(*e));
	fakesrc_init(&e->src, kinds, sizeof(kinds) / sizeof(kinds[0]));
	e->src.values = 1;
	samples_init(&e->cap.got);
	e->sink.write = capture_write;
	e->sink.arg = &e->cap;
	e->cache = cache_new();
	e->dir = t_tmpdir();
	snprintf(e->path, sizeof(e->path), "%s/sync_state.json", e->dir);
	e->today = (int32_t)(time(NULL) / 86400);	/* the zone is UTC */
	memset(&cc, 0, sizeof(cc));
	cc.src = &e->src.src;
	cc.cache = e->cache;
	cc.sink = send ? &e->sink : NULL;
	cc.state_path = e->path;
	cc.backfill_start = e->today - 20;
	cc.interval_s = interval_s;
	cc.user = "test";
	e->c = collector_new(&cc, &err);
	CHECK(e->c != NULL);
}

static void
env_close(struct env *e)
{
	collector_free(e->c);
	cache_free(e->cache);
	samples_release(&e->cap.got);
	t_rmrf(e->dir);
	free(e->dir);
}

/* kind's cursor in sync_state.json (lo: the oldest intraday day). */
static int32_t
saved(const struct env *e, const char *kind, int lo)
{
	struct state st;
	struct err err = { 0 };

	state_init(&st);
	if (state_load(e->path, &st, &err) == -1)
		return -2;	/* corrupt */
	return lo ? state_lo(&st, kind, -1) : state_next(&st, kind, -1);
}

static int
cycle(struct env *e, int wait_budget)
{
	struct err err = { 0 };

	return collector_cycle(e->c, wait_budget, &err);
}

static void
test_final_after_device_sync(void)
{
	struct env e;
	const struct sample *s;
	int32_t t;
	int sleep_reads;

	env_open(&e, 1, 3600);
	t = e.today;
	e.src.sync = (int64_t)(t - 5) * 86400 + 3600;	/* a sync 5 days ago */
	CHECK(cycle(&e, 1) == 0);
	/* days up to the sync's eve are history; the rest is re-read */
	CHECK(e.src.days_from == t - 5);
	CHECK(saved(&e, "sleep", 0) == t - 5);
	CHECK(saved(&e, "heart_intraday", 0) == t - 5);
	CHECK(saved(&e, "heart_intraday", 1) == t - 20);
	s = capture_find(&e.cap, "sleep", t - 12);
	CHECK(s != NULL && s->value == fakesrc_value("sleep", t - 12) &&
	    s->ts_ms == (int64_t)(t - 11) * 86400000 - 1000);
	CHECK(capture_find(&e.cap, "sleep", t - 2) != NULL);	/* recent */
	CHECK(capture_find(&e.cap, "sleep", t) == NULL);	/* not final */
	CHECK(capture_find(&e.cap, "fitbit_steps_total", t - 1) != NULL);

	/* no new sync: sleep is not read again, no day becomes final */
	sleep_reads = fakesrc_calls(&e.src, "sleep");
	CHECK(cycle(&e, 1) == 0);
	CHECK(fakesrc_calls(&e.src, "sleep") == sleep_reads);
	CHECK(saved(&e, "sleep", 0) == t - 5);

	/* a device synced today: yesterday and before are final (sleep,
	 * a wake-day kind that found today's night, waits SCHED_REREAD_S) */
	e.src.sync = (int64_t)time(NULL);
	CHECK(cycle(&e, 1) == 0);
	CHECK(fakesrc_calls(&e.src, "sleep") == sleep_reads);
	CHECK(saved(&e, "heart_intraday", 0) == t - 1);
	CHECK(cycle(&e, 1) == 0);
	CHECK(e.src.days_from == t);
	CHECK(saved(&e, "sleep", 0) == t);
	env_close(&e);
}

/* Without device information: the last RECENT_DAYS and today, always. */
static void
test_fallback_without_sync(void)
{
	struct env e;
	int32_t t;

	env_open(&e, 1, 3600);
	t = e.today;
	CHECK(cycle(&e, 1) == 0);
	CHECK(e.src.days_from == t - RECENT_DAYS);
	CHECK(saved(&e, "sleep", 0) == t - RECENT_DAYS);
	CHECK(saved(&e, "heart_intraday", 0) == t - 1);
	CHECK(cycle(&e, 1) == 0);
	CHECK(e.src.days_calls == 2 && e.src.days_from == t - RECENT_DAYS);
	CHECK(saved(&e, "sleep", 0) == t - RECENT_DAYS);
	env_close(&e);
}

/* A refused intraday kind: every intraday kind until restart. */
static void
test_refused_intraday(void)
{
	struct env e;

	env_open(&e, 1, 3600);
	e.src.refuse = "heart_intraday";
	CHECK(cycle(&e, 1) == 0);
	CHECK(fakesrc_calls(&e.src, "heart_intraday") == 1);
	CHECK(fakesrc_calls(&e.src, "steps_intraday") == 0);
	CHECK(saved(&e, "sleep", 0) == e.today - RECENT_DAYS);
	CHECK(cycle(&e, 1) == 0);
	CHECK(fakesrc_calls(&e.src, "heart_intraday") == 1);
	CHECK(saved(&e, "steps_intraday", 0) == -1);
	env_close(&e);
}

/* The budget the next cycles need is kept; a due cycle comes first. */
static void
test_reserve_and_deadline(void)
{
	struct env e;
	int cycle_calls = 6;	/* devices, sleep, 2 days of each intraday */

	env_open(&e, 1, 3600);
	e.src.budget.known = 1;
	e.src.budget.limit = 150;
	e.src.budget.remaining = cycle_calls + 1 + SCHED_RETRY_MARGIN;
	e.src.budget.reset_at = time(NULL) + 600;
	CHECK(cycle(&e, 0) == 0);
	CHECK(e.src.calls == cycle_calls + 1);	/* one history request */
	CHECK(e.src.budget.remaining == SCHED_RETRY_MARGIN);
	CHECK(saved(&e, "sleep", 0) == e.today - 20 + 10);
	env_close(&e);

	/* the next cycle is due at once: no history request */
	env_open(&e, 1, 0);
	CHECK(cycle(&e, 0) == 0);
	CHECK(e.src.calls == cycle_calls);
	CHECK(saved(&e, "sleep", 0) == -1);
	env_close(&e);
}

static void
test_scrape_only(void)
{
	struct env e;
	struct snapshot *snap;

	env_open(&e, 0, 3600);
	CHECK(cycle(&e, 1) == 0);
	CHECK(e.cap.writes == 0);
	CHECK(access(e.path, F_OK) == -1);	/* no sync_state.json */
	snap = cache_acquire(e.cache);
	CHECK(snap != NULL);
	snapshot_release(snap);
	env_close(&e);
}

/* The pool: 4 workers up to 128 accounts, then one per 32 accounts, 32
 * at most; never more than accounts; an asked number kept within both. */
static void
test_fleet_workers(void)
{
	CHECK(fleet_workers(1, 0) == 1);
	CHECK(fleet_workers(3, 0) == 3);
	CHECK(fleet_workers(100, 0) == 4);
	CHECK(fleet_workers(200, 0) == 6);
	CHECK(fleet_workers(1000, 0) == 31);
	CHECK(fleet_workers(5000, 0) == FLEET_WORKERS_MAX);
	CHECK(fleet_workers(10, 2) == 2);
	CHECK(fleet_workers(10, 50) == 10);
	CHECK(fleet_workers(100, 50) == FLEET_WORKERS_MAX);
}

void
suite_collector(void)
{
	log_set_level(LOG_ERROR);	/* no cycle lines on the run's output */
	test_final_after_device_sync();
	test_fallback_without_sync();
	test_refused_intraday();
	test_reserve_and_deadline();
	test_scrape_only();
	test_fleet_workers();
	log_set_level(LOG_INFO);
}
