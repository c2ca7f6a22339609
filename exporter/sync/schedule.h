/*
 * schedule: which request goes next.
 *
 * The order is: current values first (the collector cycle), then the
 * re-read of recent days, then history: daily kinds before intraday ones,
 * newest days first for intraday (history.c). These pure functions hold
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
#define RECENT_DAYS 3		/* re-read without device information */

/* One cycle's calendar: what is current, final and re-read. */
struct sched_cycle {
	time_t now;
	int32_t today, utc_today;	/* civil days: local, UTC */
	int hour;			/* local wall-clock hour */
	int32_t final_day;		/* last local day ended before a sync */
	int32_t final_utc;
	int32_t from, utc_from;		/* first day re-read this cycle */
};

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

/*
 * Finality and the re-read window of cy (now, today, utc_today set): a
 * day is final once a device synced after it ended (last_sync, Unix
 * seconds in zone); without device information (last_sync 0) the days
 * before the last RECENT_DAYS are. from/utc_from: the first day not read
 * since it became final (*_through, INT32_MIN: none yet), never more than
 * SOURCE_DAYS_MAX local days back.
 */
void sched_plan(struct sched_cycle *cy, const char *zone, int64_t last_sync,
    int32_t final_through, int32_t final_utc_through);

/* Requests history must leave in the rate window that resets at
 * reset_at: what the cycles starting before then will spend (cycle_cost
 * each, <= 0: not measured yet), plus a margin. next_cycle 0: none. */
int sched_reserve(time_t now, time_t next_cycle, int interval_s,
    time_t reset_at, int cycle_cost);

#endif
