/*
 * collector: one account's sync: reads the health API and feeds the cache and
 * VictoriaMetrics.
 *
 * A cycle, in schedule.h's order: profile (once a day), devices (their last
 * sync tells which days are final), today's values and the recent days
 * not yet read since they became final (at most RECENT_DAYS without
 * device information), the other kinds that are due -> a new snapshot in
 * the cache, changed days re-sent; then as much pending history as the
 * rate budget leaves after the cycles due before it resets. The first cycle
 * runs at start, then one every SYNC_INTERVAL_MINUTES; between cycles a
 * paused backfill resumes when the budget resets. It has no thread: a
 * fleet worker runs its turns (collector_turn, fleet.h), one at a time.
 * Every wait is a quit_sleep(), so SIGTERM ends a turn within a moment.
 */
#ifndef SYNCBIT_COLLECTOR_H
#define SYNCBIT_COLLECTOR_H

#include <stdint.h>

#include "err.h"
#include "expose/cache.h"
#include "schedule.h"
#include "source/source.h"


struct rw;
struct httpc;
struct stats_account;
struct oauth;
struct history_sink;
struct collector;

struct collector_config {
	struct source *src;		/* borrowed */
	struct oauth *oauth;		/* borrowed: readiness; NULL: none */
	struct cache *cache;		/* borrowed */
	struct rw *rw;			/* borrowed; NULL: scrape-only */
	/* tests: where samples go instead of rw (history.h); NULL: rw */
	const struct history_sink *sink;
	const char *state_path;
	int32_t backfill_start;		/* civil day; -1: account start */
	int interval_s;
	unsigned groups;		/* groups.h mask; 0: all */
	const char *user;		/* the user label, for /metrics */
	/* /readyz's reason when the API has no data of the account
	 * (ERR_ACCOUNT), in the source's words; static */
	const char *account_hint;
	struct stats_account *stats;	/* the account's; NULL: the first */
};

struct collector *collector_new(const struct collector_config *,
    struct err *);
void collector_free(struct collector *);

/* One full cycle; wait_budget: wait for rate resets until all pending
 * history is sent (--once). Returns 0 when today's values were read. */
int collector_cycle(struct collector *, int wait_budget, struct err *);
/* --backfill: resend [from, to] (to = -1: yesterday). */
int collector_backfill(struct collector *, int32_t from, int32_t to,
    struct err *);

/* One turn of the service at now: a cycle when one is due, else a step
 * of pending history when the budget allows; returns when the next turn
 * is due (now: at once). The fleet's workers call it (fleet.h). Then the
 * account's status is published to its cache (report.h). */
time_t collector_turn(struct collector *, time_t now);
/* Ask for a cycle at once (the page saved new tokens): any thread. The
 * fleet runs the account's turn within a second. */
void collector_wake(struct collector *);
int collector_woken(struct collector *);
/* The HTTP client the next turns use (a worker's: fleet.h), for the
 * source and its OAuth. */
void collector_lend_http(struct collector *, struct httpc *);

#endif
