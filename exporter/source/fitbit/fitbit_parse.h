/*
 * fitbit_parse: legacy Fitbit Web API answers beyond daily activity ->
 * SPEC samples (intraday heart rate and steps, sleep, SpO2, HRV,
 * breathing rate, skin temperature, VO2 max, AZM, weight, body fat,
 * devices). Pure functions: no I/O, no logging; exported for fitbit.c,
 * the unit tests and the fuzz targets.
 *
 * Common rules (as fitbit.h's parsers):
 * - numbers may be JSON numbers or strings holding a decimal number;
 * - a field that is missing, null or of the wrong type yields no sample
 *   (never a made-up 0); a negative value yields none either, except for
 *   the skin-temperature deviation, which is signed;
 * - only days of [from, to] are kept; a day seen twice keeps its first
 *   value (weight and body fat: the last log of the day, by time);
 * - input that is not JSON, or lacks the object or array the answer is
 *   about, is -1 with err and nothing appended; an empty list is 0;
 * - daily samples carry their civil day and ts_ms 0 (the caller stamps
 *   23:59:59 of the day); intraday samples and hypnogram points carry
 *   their own instant in ts_ms (UTC milliseconds) and day = the civil
 *   day the request was for.
 */
#ifndef SYNCBIT_FITBIT_PARSE_H
#define SYNCBIT_FITBIT_PARSE_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "sample.h"
#include "source/exercise.h"

/* fitbit_parse_intraday: the answer holds no intraday dataset (the app is
 * not "Personal" and has no intraday access). */
#define FITBIT_NO_INTRADAY 1

/*
 * activities/heart/date/D/1d/1min.json?timezone=UTC (resource "heart") or
 * activities/steps/date/D/1d/1min.json?timezone=UTC ("steps"), D a UTC
 * day: "activities-{resource}-intraday".dataset[{time "HH:MM:SS", value}]
 * -> fitbit_heart_rate_bpm / fitbit_intraday_steps at D + time (UTC).
 * Returns 0, FITBIT_NO_INTRADAY when the -intraday member is absent, or -1.
 */
int fitbit_parse_intraday(const char *json, size_t len, const char *resource,
    int32_t utc_day, struct samples *, struct err *);

/*
 * sleep/date/{from}/{to}.json (v1.2): per wake day (dateOfSleep) of
 * [from, to] the main sleep (isMainSleep; if none is marked, the longest):
 *   fitbit_sleep_duration_seconds = minutesAsleep * 60;
 *   fitbit_sleep_stage_seconds{stage} = levels.summary.{stage}.minutes * 60
 *     (type "stages": deep, light, rem, wake; "classic": asleep,
 *     restless, awake);
 *   fitbit_sleep_efficiency_ratio = efficiency / 100;
 *   fitbit_sleep_stage_level (type "stages" only): one point at the start
 *     of each levels.data[] entry, 0 deep, 1 light, 2 rem, 3 wake; the
 *     local dateTime is converted with zone (civil_local_to_utc); a wall
 *     time that exists twice (DST fall-back) takes the occurrence nearest
 *     the previous entry's end (previous start + seconds).
 */
int fitbit_parse_sleep(const char *json, size_t len, int32_t from, int32_t to,
    const char *zone, struct samples *, struct err *);

/* spo2/date/{from}/{to}.json: a top-level array [{dateTime, value{avg,
 * min, max}}] (a single such object is accepted too) ->
 * fitbit_spo2_percent{stat=avg|min|max}. */
int fitbit_parse_spo2(const char *json, size_t len, int32_t from, int32_t to,
    struct samples *, struct err *);

/* hrv/date/{from}/{to}.json: {"hrv":[{dateTime, value{dailyRmssd,
 * deepRmssd}}]} -> fitbit_hrv_rmssd_ms{period=daily|deep}. */
int fitbit_parse_hrv(const char *json, size_t len, int32_t from, int32_t to,
    struct samples *, struct err *);

/* br/date/{from}/{to}.json: {"br":[{dateTime, value{breathingRate}}]} ->
 * fitbit_breathing_rate_per_minute. */
int fitbit_parse_br(const char *json, size_t len, int32_t from, int32_t to,
    struct samples *, struct err *);

/* temp/skin/date/{from}/{to}.json: {"tempSkin":[{dateTime,
 * value{nightlyRelative}}]} -> fitbit_skin_temperature_deviation_celsius
 * (signed). */
int fitbit_parse_skin_temp(const char *json, size_t len, int32_t from,
    int32_t to, struct samples *, struct err *);

/* cardioscore/date/{from}/{to}.json: {"cardioScore":[{dateTime,
 * value{vo2Max}}]}, vo2Max a number, "46" or a range "44-48" (midpoint)
 * -> fitbit_vo2max. */
int fitbit_parse_vo2max(const char *json, size_t len, int32_t from,
    int32_t to, struct samples *, struct err *);
/* "46" -> 46, "44-48" -> 46, "44.5" -> 44.5; -1 for anything else. */
int fitbit_vo2max_value(const char *text, double *out);

/* activities/active-zone-minutes/date/{from}/{to}.json:
 * {"activities-active-zone-minutes":[{dateTime, value{activeZoneMinutes,
 * fatBurnActiveZoneMinutes, cardioActiveZoneMinutes,
 * peakActiveZoneMinutes}}]} -> fitbit_active_zone_minutes{zone=fat_burn|
 * cardio|peak|total}; a member absent from a listed day's value is 0. */
int fitbit_parse_azm(const char *json, size_t len, int32_t from, int32_t to,
    struct samples *, struct err *);

/* body/log/weight/date/{from}/{to}.json: {"weight":[{date, time, weight}]}
 * -> fitbit_weight_kg (metric: no Accept-Language); the last log of each
 * day by time. */
int fitbit_parse_weight(const char *json, size_t len, int32_t from,
    int32_t to, struct samples *, struct err *);
/* body/log/fat/date/{from}/{to}.json: {"fat":[{date, time, fat}]} ->
 * fitbit_body_fat_percent; the last log of each day. */
int fitbit_parse_fat(const char *json, size_t len, int32_t from, int32_t to,
    struct samples *, struct err *);

/*
 * activities/list.json?afterDate=D&sort=asc&limit=N&offset=0, one page ->
 * the sessions that started on a local day of [from, to] (the date of
 * startTime), added to l; next: the query of pagination.next (after its
 * '?': the API's own offset, which only its links may carry -- "offset
 * Supported: 0" in a request of ours), "" when the link is empty or an
 * entry lay after `to` (sorted oldest first). A link that is not a
 * list.json link, or holds characters outside [A-Za-z0-9-._~%&=:+], or
 * does not fit next_size, is an error: the caller requests it on its own
 * API base, never on the link's host. Per activities[] entry:
 *   activity = exercise_activity(activityName) (the type's name);
 *   activeDuration (ms) / 1000 -> EX_DURATION; calories; distance
 *     (distanceUnit "Kilometer", else "Mile" * 1.609344, else none);
 *     steps; averageHeartRate; activeZoneMinutes.totalMinutes;
 *     elevationGain (metres: metric units);
 *   heartRateZones[] {name, minutes} -> zones out_of_range, fat_burn,
 *     cardio, peak (seconds = minutes * 60; names of fitbit_parse_day).
 * startTime is RFC 3339 with its offset ("2019-01-03T12:08:06.000-08:00");
 * one without an offset is local time in zone. The edited values win:
 * startTime/activeDuration, never originalStartTime/originalDuration. An
 * entry without duration and activeDuration has not ended: skipped (read
 * again next time), so is one without a valid startTime. id = logId.
 */
int fitbit_parse_exercise(const char *json, size_t len, int32_t from,
    int32_t to, const char *zone, struct exercise_list *l, char *next,
    size_t next_size, struct err *err);

/* The sessions of [from, to] -> samples (exercise_samples()): pages of
 * 100 from afterDate = from - 1 (an exclusive or inclusive date: either
 * way from is in), oldest first, each next page the query of the last
 * one's pagination.next on our base, until a page passes to or the list
 * ends (at most 50 pages; the same page twice is an error). get performs
 * one GET of path (after the API base, no leading '/') into r (r
 * initialised by get, released here); route: it is a session's TCX.
 * With routes on (route.h), each recent session's route follows: GET
 * 1/user/-/activities/{logId}.tcx?includePartialTCX=true (the path of
 * the list's tcxLink, on the configured base). */
struct httpc_resp;
struct profile;
struct routes;
typedef int (*fitbit_get_fn)(void *ctx, const char *path, int route,
    struct httpc_resp *r, struct err *err);
int fitbit_exercise_range(fitbit_get_fn get, void *ctx,
    struct routes *routes, const struct profile *p, int32_t from,
    int32_t to, struct samples *out, struct err *err);

/*
 * devices.json: a top-level array, one entry per device ->
 * fitbit_device_battery_percent{device,type} (batteryLevel; a device with
 * only the "battery" word has no sample) and
 * fitbit_device_last_sync_timestamp_seconds{device,type} (lastSyncTime,
 * local time without offset, converted with zone), all with `day`.
 * device = deviceVersion ("Charge 6"); when several devices share one, the
 * second and later get " " + the last 4 characters of their id appended;
 * type = lower-case type ("tracker", "scale").
 */
int fitbit_parse_devices(const char *json, size_t len, int32_t day,
    const char *zone, struct samples *, struct err *);

#endif
