/*
 * schedule: which request goes next.
 *
 * The order is: current values first (the collector cycle), then the
 * re-read of recent days, then history: daily kinds before intraday ones,
 * newest days first for intraday (backfill.c). These pure functions hold
 * the decisions; the collector and the backfill ask them.
 *
 * Data only changes when a tracker syncs: a kind whose recent days were
 * read after the last device sync is not read again until the next one.
 * Sleep and the other wake-day kinds appear after waking up: they are
 * looked for every cycle in the morning (SCHED_MORNING_*) until today's
 * value is there, else every SCHED_REREAD_S.
 */
#ifndef SYNCBIT_SCHEDULE_H
#define SYNCBIT_SCHEDULE_H

#include <stdint.h>
#include <time.h>

#define SCHED_MORNING_FROM 4	/* local hours [from, to) */
#define SCHED_MORNING_TO 13
#define SCHED_REREAD_S (3 * 3600)
#define SCHED_RETRY_MARGIN 2	/* requests kept for a refresh retry */
#define SCHED_FIRST_CYCLE_COST 24	/* a guess until a cycle was measured */

/* The last read of one kind's recent days. */
struct sched_read {
	time_t at;		/* 0: never */
	int64_t sync;		/* the newest device sync then; 0 unknown */
	int found_today;	/* it held a value for today */
};

/* 1 when a kind (source_kind.flags) is read in this cycle. local_hour:
 * the hour of the user's day now; last_sync: the newest device sync (Unix
 * seconds), 0 when unknown. */
int sched_due(unsigned flags, const struct sched_read *, time_t now,
    int local_hour, int64_t last_sync);

/* Requests history must leave in the rate window that resets at
 * reset_at: what the cycles starting before then will spend (cycle_cost
 * each, <= 0: not measured yet), plus a margin. next_cycle 0: none. */
int sched_reserve(time_t now, time_t next_cycle, int interval_s,
    time_t reset_at, int cycle_cost);

#endif
