/*
 * schedule: the order of requests (see schedule.h).
 */
#include <stdint.h>

#include "civil.h"
#include "schedule.h"
#include "source/source.h"

int
sched_due(unsigned flags, const struct sched_read *r, time_t now,
    int local_hour, int64_t last_sync)
{
	int morning = local_hour >= SCHED_MORNING_FROM &&
	    local_hour < SCHED_MORNING_TO;

	if (r->at == 0 || (flags & (KIND_INTRADAY | KIND_CURRENT)))
		return 1;
	if (last_sync != 0 && last_sync == r->sync)
		return 0;	/* nothing can have arrived since */
	if ((flags & KIND_WAKE) && !r->found_today && morning)
		return 1;
	if ((flags & (KIND_WAKE | KIND_SLOW)) == 0)
		return 1;	/* changes all day, like activity */
	return now - r->at >= SCHED_REREAD_S;
}

int
sched_reserve(time_t now, time_t next_cycle, int interval_s,
    time_t reset_at, int cycle_cost)
{
	int64_t cycles;

	if (next_cycle == 0)
		return SCHED_RETRY_MARGIN;	/* no cycle follows (--once) */
	if (cycle_cost <= 0)
		cycle_cost = SCHED_FIRST_CYCLE_COST;
	if (interval_s <= 0)
		interval_s = 1;
	if (next_cycle < now)
		next_cycle = now;
	if (reset_at <= next_cycle)
		return SCHED_RETRY_MARGIN;
	cycles = 1 + (reset_at - next_cycle - 1) / interval_s;
	if (cycles > 1000)
		cycles = 1000;
	return (int)cycles * (cycle_cost + 1) + SCHED_RETRY_MARGIN;
}

void
sched_plan(struct sched_cycle *cy, const char *zone, int64_t last_sync,
    int32_t final_through, int32_t final_utc_through)
{
	int32_t min_from = cy->today - SOURCE_DAYS_MAX + 1;

	cy->final_day = cy->today - RECENT_DAYS - 1;
	cy->final_utc = cy->utc_today - 2;
	if (last_sync > 0 && civil_today(zone, (time_t)last_sync,
	    &cy->final_day, &(struct err){ 0 }) == 0) {
		cy->final_day--;
		cy->final_utc = (int32_t)(last_sync / 86400) - 1;
	}
	if (cy->final_day > cy->today - 1)
		cy->final_day = cy->today - 1;
	cy->from = final_through != INT32_MIN ? final_through + 1 :
	    cy->today - RECENT_DAYS;
	if (cy->from > cy->final_day + 1)
		cy->from = cy->final_day + 1;
	if (cy->from < min_from)
		cy->from = min_from;
	if (cy->from > cy->today)
		cy->from = cy->today;
	cy->utc_from = final_utc_through != INT32_MIN ?
	    final_utc_through + 1 : cy->utc_today - 1;
	if (cy->utc_from < cy->utc_today - 1)
		cy->utc_from = cy->utc_today - 1;
	if (cy->utc_from > cy->utc_today)
		cy->utc_from = cy->utc_today;
}
