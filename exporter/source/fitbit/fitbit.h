/*
 * fitbit: the legacy Fitbit Web API behind source.h.
 *
 * Metric units (no Accept-Language), Bearer tokens from struct oauth, the
 * rate-limit headers read on every answer, 429 -> wait for the reset,
 * 5xx -> bounded retries with backoff, 401 expired_token -> one refresh and
 * one retry, 403/404 on one endpoint -> that metric skipped with a warning.
 * Runs on the collector thread only.
 *
 * Each op makes one request (plus retries): profile.json, the daily
 * summary activities/date/D.json, or one range endpoint per history kind:
 * the nine activity time series (1095 days a request) and the heart-rate
 * series (365 days). A failed op returns -1 with err.kind ERR_AUTH,
 * ERR_RATE, ERR_TRANSIENT, ERR_STOP or the HTTP status (403, 404, 400...).
 * No response body is ever logged or copied into an err: only the
 * identifiers errors[0].errorType / error.status are.
 */
#ifndef SYNCBIT_FITBIT_H
#define SYNCBIT_FITBIT_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "sample.h"
#include "source/source.h"

struct source_settings;

#define FITBIT_MAX_BODY (4 * 1024 * 1024)
#define FITBIT_SERIES_MAX_DAYS 1095	/* activity time series per request */
#define FITBIT_HEART_MAX_DAYS 365	/* heart-rate series per request */

/* A source whose ops are the Fitbit Web API's (its driver's create).
 * Free with ops->free. Copies api_url; oauth and http must outlive it.
 * NULL: out of memory. */
struct source *fitbit_new(const struct source_settings *);

/* The nine activity time series: resource (in the path and the answer's
 * key), metric, and the fitbit_active_minutes type (NULL for others). */
struct fitbit_series {
	const char *resource;
	const char *metric;
	const char *type;
};
#define FITBIT_NSERIES 9
extern const struct fitbit_series fitbit_series[FITBIT_NSERIES];

/* --- JSON -> samples, pure; exported for tests (fitbit_daily.c) ---
 *
 * Numbers may be JSON numbers or strings holding a decimal number. A field
 * that is missing, null, of the wrong type or negative yields no sample
 * (never a made-up 0). Input that is not JSON, or lacks the object the
 * answer is about, is -1 with err; nothing is appended then. */

/* user.timezone (must be known to the tz database) and user.memberSince
 * (member_since -1 when absent or not a date). */
int fitbit_parse_profile(const char *json, size_t len, struct profile *,
    struct err *);
/* activities/date/D.json: the summary's steps, distance ("total" entry),
 * caloriesOut, floors, elevation, the four activity-minute levels,
 * restingHeartRate (> 0) and the heart-rate zones (known names only). */
int fitbit_parse_day(const char *json, size_t len, int32_t day,
    struct samples *, struct err *);
/* activities/{resource}/date/{from}/{to}.json: "activities-{resource}"
 * [{dateTime, value}] for days of [from, to]; a day seen twice keeps its
 * first value. resource: steps, distance, calories, floors, elevation,
 * minutesSedentary, minutesLightlyActive, minutesFairlyActive,
 * minutesVeryActive. */
int fitbit_parse_series(const char *json, size_t len, const char *resource,
    int32_t from, int32_t to, struct samples *, struct err *);
/* activities/heart/date/{from}/{to}.json: per day of [from, to] the
 * resting heart rate and the zones' minutes and calories. */
int fitbit_parse_heart(const char *json, size_t len, int32_t from,
    int32_t to, struct samples *, struct err *);

/* An error answer, reduced to identifiers that are safe to print
 * ([A-Za-z0-9_.-], else ""). */
struct fitbit_error {
	char type[64];		/* errors[0].errorType: "expired_token" */
	char status[64];	/* Google-style error.status: "PERMISSION_DENIED" */
	int google;		/* 1: a Google-style {"error":{...}} body */
};

/* -1 when the body is neither Fitbit's nor Google's error shape. */
int fitbit_parse_error(const char *json, size_t len, struct fitbit_error *,
    struct err *);

#endif
