/*
 * google_exercise: the Google Health API's exercise list pages ->
 * sessions (exercise.h). Pure: no I/O, no logging; for google.c, the unit
 * tests and the fuzz targets. Private to source/google/.
 */
#ifndef SYNCBIT_GOOGLE_EXERCISE_H
#define SYNCBIT_GOOGLE_EXERCISE_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "source/exercise.h"

#define GOOGLE_EXERCISE_PAGE 25	/* the API's maximum for exercise */

/*
 * One page of GET .../dataTypes/exercise/dataPoints -> the sessions that
 * started on a local day of [from, to] (the date of interval.startTime +
 * startUtcOffset), added to l; next: the nextPageToken ("" on the last
 * page). Per session (the point's "exercise" member):
 *   activity = exercise_activity(exerciseType) (never displayName);
 *   activeDuration ("1800s") -> EX_DURATION;
 *   metricsSummary.caloriesKcal, distanceMillimeters / 1e6 (km), steps,
 *   averageHeartRateBeatsPerMinute, activeZoneMinutes,
 *   elevationGainMillimeters / 1000 (m);
 *   metricsSummary.heartRateZoneDurations {lightTime, moderateTime,
 *   vigorousTime, peakTime} -> zones light, moderate, vigorous, peak
 *   (a zone the object leaves out is 0: proto3 omits zeros);
 *   exerciseMetadata.hasGps -> gps (when a boolean).
 * A value missing, negative or not a number gives no sample. A session
 * without interval.endTime is in progress: skipped (read again once it
 * has ended); so is one without a valid startTime. id = the point's name
 * (its last EXERCISE_ID_MAX - 1 bytes). Not JSON, or a list or point of
 * the wrong type: -1 with err, nothing added, next "".
 */
int google_parse_exercise(const char *json, size_t len, int32_t from,
    int32_t to, struct exercise_list *, char *next, size_t next_size,
    struct err *);

#endif
