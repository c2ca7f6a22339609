/*
 * google_parse: Google Health API v4 answers beyond daily activity -> SPEC
 * samples (minute heart rate and steps, sleep, SpO2, HRV, breathing rate,
 * skin temperature, VO2 max, weight, body fat, devices). Pure functions:
 * no I/O, no logging; exported for google.c, the unit tests and the fuzz
 * targets. Shapes: shared/research/google-health.md section 4.
 *
 * Common rules (as google.h's parsers):
 * - int64 values arrive as JSON strings ("112"), others as numbers; both
 *   are accepted for every numeric field;
 * - a field missing, null or of the wrong type yields no sample (never a
 *   made-up 0), except a count whose value member is present: proto3 JSON
 *   omits zeros (minute steps "steps":{} are 0 steps); a data point that
 *   lacks its value member is skipped;
 * - only days of [from, to] are kept; a day seen twice keeps its first
 *   value (lists arrive newest first, so that is the newest record);
 * - input that is not JSON, or has a wrong type where the list or the
 *   point should be, is -1 with err and nothing appended; an empty page
 *   (no "dataPoints"/"rollupDataPoints" member) is 0;
 * - next: the nextPageToken ("" when absent), at most next_size - 1
 *   bytes, else -1;
 * - daily samples carry their civil day and ts_ms 0 (the caller stamps
 *   them); minute samples carry their own instant in ts_ms (UTC
 *   milliseconds) and day = the UTC civil day of that instant; hypnogram
 *   points their instant and the wake day.
 */
#ifndef SYNCBIT_GOOGLE_PARSE_H
#define SYNCBIT_GOOGLE_PARSE_H

#include <stddef.h>
#include <stdint.h>

#include <cJSON.h>

#include "err.h"
#include "sample.h"

/*
 * A dataPoints:rollUp page with windowSize "60s" for type "heart-rate"
 * (heartRate.beatsPerMinuteAvg -> fitbit_heart_rate_bpm) or "steps"
 * (steps.countSum -> fitbit_intraday_steps), each at its window's
 * startTime (RFC 3339, UTC). A window without its member has no data.
 */
int google_parse_minutes(const char *type, const char *json, size_t len,
    struct samples *, char *next, size_t next_size, struct err *);

/*
 * A sleep dataPoints list page -> per wake day of [from, to] (the civil
 * date of interval.endTime + endUtcOffset) the main sleep: the longest
 * session not marked otherwise -- live sessions carry metadata.mainSleep
 * (false: not the main sleep) and no metadata.nap (true: a nap, still
 * honoured); a day whose sessions carry neither takes the longest. The
 * session the user is asleep in (listed first, without an end time and
 * without a summary) is skipped without failing the page: no sample for
 * its wake day, so it is read again once it has ended:
 *   fitbit_sleep_duration_seconds = summary.minutesAsleep * 60;
 *   fitbit_sleep_stage_seconds{stage} from summary.stagesSummary[]
 *     (DEEP, LIGHT, REM, AWAKE -> deep, light, rem, wake; CLASSIC
 *     sessions ASLEEP, RESTLESS, AWAKE -> asleep, restless, awake);
 *   fitbit_sleep_efficiency_ratio = minutesAsleep / minutesInSleepPeriod;
 *   fitbit_sleep_stage_level (type STAGES only): one point at each
 *     stages[].startTime, 0 DEEP, 1 LIGHT, 2 REM, 3 AWAKE.
 * Pages of one range are passed to the same samples in turn: a wake day
 * that an earlier page already put there is replaced when this page holds
 * a longer session for it (its sleep samples removed, the new appended).
 */
int google_parse_sleep(const char *json, size_t len, int32_t from, int32_t to,
    struct samples *, char *next, size_t next_size, struct err *);

/*
 * A dataPoints list page of a daily or sample type -> samples of the days
 * of [from, to]:
 *   daily-oxygen-saturation: averagePercentage, lowerBoundPercentage,
 *     upperBoundPercentage -> fitbit_spo2_percent{stat=avg|min|max};
 *   daily-heart-rate-variability: averageHeartRateVariabilityMilliseconds,
 *     deepSleepRootMeanSquareOfSuccessiveDifferencesMilliseconds ->
 *     fitbit_hrv_rmssd_ms{period=daily|deep};
 *   daily-respiratory-rate: breathsPerMinute ->
 *     fitbit_breathing_rate_per_minute;
 *   daily-sleep-temperature-derivations: nightlyTemperatureCelsius -
 *     baselineTemperatureCelsius -> fitbit_skin_temperature_deviation_celsius;
 *   daily-vo2-max: vo2Max -> fitbit_vo2max;
 *   daily-resting-heart-rate: beatsPerMinute ->
 *     fitbit_resting_heart_rate_bpm;
 *   weight (a Sample type: the day is sampleTime.civilTime.date, else
 *     physicalTime + utcOffset): weightGrams / 1000 -> fitbit_weight_kg;
 *   body-fat (Sample): percentage -> fitbit_body_fat_percent.
 * Daily types take their day from {member}.date. An unknown type is -1.
 * Not measurements, no sample: an SpO2, RMSSD or breathing rate of 0, a
 * skin-temperature baseline "NaN" (being learned) or any other non-number.
 */
int google_parse_list(const char *type, const char *json, size_t len,
    int32_t from, int32_t to, struct samples *, char *next,
    size_t next_size, struct err *);

/*
 * GET users/me/pairedDevices -> fitbit_device_battery_percent{device,type}
 * (batteryLevel) and fitbit_device_last_sync_timestamp_seconds{device,type}
 * (lastSyncTime, RFC 3339), all with `day`. device = deviceVersion; when
 * several devices share one, the second and later get " " + the last 4
 * characters of their name appended; type = lower-case deviceType.
 */
int google_parse_devices(const char *json, size_t len, int32_t day,
    struct samples *, char *next, size_t next_size, struct err *);

/*
 * Shared by the Google parsers (google_daily.c, google_activity.c):
 * google_page: parse a page, an object whose member `list` is a list or
 * absent (*points NULL: no points); -1 with err "<what>: invalid JSON" or
 * "<what>: '<list>' is not a list". *root goes to cJSON_Delete() either way.
 * google_date: a google.type.Date {year, month, day}, a real date from
 * 1970 on -> civil day; -1 otherwise.
 * google_local_day: the civil day of instant t (RFC 3339) at utc offset
 * off ("-18000s"; absent: proto3's zero), -1 when either is malformed.
 * google_new_day: 1 when day is of [from, to] and out has no sample of
 * metric for it yet (a day seen twice keeps its first value), else 0.
 */
int google_page(const char *json, size_t len, const char *what,
    const char *list, cJSON **root, const cJSON **points, struct err *);
int google_date(const cJSON *date, int32_t *day);
int google_local_day(const cJSON *t, const cJSON *off, int32_t *day);
int google_new_day(const struct samples *out, const char *metric,
    int32_t day, int32_t from, int32_t to);

#endif
