/*
 * google_activity: activity-level, a list-only data type (a dailyRollUp on
 * it is refused with 400 UNSUPPORTED_DATA_TYPE_ACTION, google-live.md).
 * Its list pages hold intervals {interval{startTime, startUtcOffset,
 * endTime, ...}, activityLevelType}; a local day's minutes per level are
 * the sum of its intervals' durations, an interval that crosses local
 * midnight split between the two days at the midnight of the profile's
 * zone (DST-correct: civil_local_to_utc()).
 *
 * Usage: google_levels_init() for days [from, to], google_parse_levels()
 * for every page of a list whose filter starts a day earlier (an interval
 * that began the evening before `from` belongs partly to it), then
 * google_levels_samples(): fitbit_active_minutes{type=sedentary|
 * lightly_active|fairly_active|very_active} for each day an interval
 * touched (all four labels; a level without intervals is 0), no sample
 * for a day without any. Points without the member, with a missing or
 * malformed time, an end not after the start or an unknown level are
 * skipped. Collector thread (civil_local_to_utc()), unit tests, fuzz.
 */
#ifndef SYNCBIT_GOOGLE_ACTIVITY_H
#define SYNCBIT_GOOGLE_ACTIVITY_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "sample.h"

#define GOOGLE_LEVELS 4

struct google_levels {
	const char *zone;		/* borrowed: IANA name */
	int32_t from, to;
	double (*sec)[GOOGLE_LEVELS];	/* per day of [from, to] */
	unsigned char *seen;
	int64_t *midnight;		/* ms of days from-1 .. to+2, cached */
};

/* -1 with err: out of memory or from > to. */
int google_levels_init(struct google_levels *, const char *zone,
    int32_t from, int32_t to, struct err *);
void google_levels_release(struct google_levels *);

/* One list page into the sums; next as google_parse.h. -1: input that is
 * not a page (the sums are then spoiled: release them). */
int google_parse_levels(const char *json, size_t len, struct google_levels *,
    char *next, size_t next_size, struct err *);

/* The days' samples, appended (ts_ms 0, the caller stamps them). */
int google_levels_samples(const struct google_levels *, struct samples *,
    struct err *);

#endif
