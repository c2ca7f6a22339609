/*
 * google: the Google Health API v4 behind source.h.
 *
 * Daily values come from POST .../dataPoints:dailyRollUp (one value per
 * civil day, windowSizeDays 1, end date exclusive), resting heart rate
 * from the daily-resting-heart-rate list with a date filter, active
 * minutes from the activity-level list (list-only: google_activity.h),
 * every page followed. Units are SPEC's: mm -> km or m, durations ->
 * minutes. A sleep range answered with a 5xx is not retried as it is but
 * read again in halves, down to one day.
 *
 * Google sends no rate headers: requests are paced on our side (a token
 * bucket well under the 300 requests/minute per user), budget() reports
 * known = 0. 429/5xx and no answer: bounded exponential backoff with full
 * jitter (Retry-After honoured). 401: one refresh, one retry. Errors are
 * google.rpc.Status bodies; the actionable ones (ACCOUNT_NOT_LINKED, a
 * missing scope, a legacy Fitbit login, the API disabled in the Cloud
 * project) are explained in one log line each, once per process. An
 * error body's free text is never logged: only its status and reason.
 * A refusal for good (a 400 such as UNSUPPORTED_DATA_TYPE_ACTION, a
 * missing scope, 404, 405, 501) is logged once naming the data type and
 * the operation, and that (type, operation) is not asked again until
 * restart (google_explain.h).
 *
 * Per-metric failures (a 4xx, a 5xx that outlived its retries, a body that
 * does not parse) skip that metric; failures of the whole API (no answer,
 * quota, no token, ACCOUNT_NOT_LINKED, shutdown) end the call.
 * err.kind: ERR_ACCOUNT for ACCOUNT_NOT_LINKED, ERR_AUTH, ERR_RATE,
 * ERR_TRANSIENT, ERR_STOP, or the HTTP status. Collector thread only.
 */
#ifndef SYNCBIT_GOOGLE_H
#define SYNCBIT_GOOGLE_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "sample.h"
#include "source/source.h"

struct source_settings;

#define GOOGLE_RPM 200		/* the API allows 300 per user */
#define GOOGLE_BURST 10
/* The project's pace, shared by every account (google_quota.c): below
 * 120,000 a minute and 86.4 M a day (1,000 a second). */
#define GOOGLE_PROJECT_RPM 50000
#define GOOGLE_PROJECT_BURST 2000
#define GOOGLE_PAGE_SIZE 10000	/* list pageSize (the API's maximum) */
#define GOOGLE_MAX_PAGES 50	/* per list call: a loop guard */
#define GOOGLE_RHR_MAX_DAYS 3650

/* A source whose ops are the Google Health API's (its driver's create).
 * Free with ops->free. Copies api_url; oauth and http must outlive it.
 * NULL: out of memory. */
struct source *google_new(const struct source_settings *);

/* One request's share of the project quota: the milliseconds to wait
 * before sending (0: at once); google_quota_wait() waits them (-1 with
 * ERR_STOP on a quit). Any thread. */
long google_quota_take(void);
int google_quota_wait(struct err *);

/* 1 when the last answer was 400 ACCOUNT_NOT_LINKED (cleared by the next
 * successful answer), for readiness. */
int google_not_linked(struct source *);

/* --- pure parts, exported for tests --- */

/* What an error answer means for the user. */
enum google_problem {
	GOOGLE_OTHER,
	GOOGLE_NOT_LINKED,	/* 400 ACCOUNT_NOT_LINKED */
	GOOGLE_SCOPE,		/* 403 ACCESS_TOKEN_SCOPE_INSUFFICIENT */
	GOOGLE_UBERMINT,	/* 403 "...mint UberMint...": Fitbit login */
	GOOGLE_DISABLED,	/* 403 the API is disabled in the project */
	GOOGLE_REVOKED,		/* 403 RESOURCE_PERMISSION_DENIED */
	GOOGLE_BAD_SCOPES,	/* 403 DISALLOWED_OAUTH_SCOPES */
};

/* google.rpc.Status, reduced to what SyncBit may act on and print:
 * status and reason are identifiers ([A-Za-z0-9_.-]) or "". */
struct google_status {
	int code;			/* error.code, 0 when absent */
	char status[64];		/* "FAILED_PRECONDITION" */
	char reason[64];		/* first details[].reason */
	enum google_problem problem;
};

/* -1 when the body is not a google.rpc.Status. `http` is the answer's
 * status, used when error.code is absent. */
int google_parse_status(const char *json, size_t len, long http,
    struct google_status *, struct err *);

/* GET /v4/users/me/settings: timeZone (a zone the tz database knows). */
int google_parse_settings(const char *json, size_t len, struct profile *,
    struct err *);
/* GET /v4/users/me/profile: membershipStartDate -> member_since (-1 when
 * absent). */
int google_parse_profile(const char *json, size_t len, struct profile *,
    struct err *);

/*
 * A dailyRollUp answer for data type `type` ("steps", "total-calories",
 * ...) -> samples for the days of [from, to] it holds. A day missing from
 * rollupDataPoints, or whose value member is missing, has no data: no
 * sample. A value member that is present but lacks its field is zero
 * (proto3 JSON omits zeros); zone lists yield all four
 * labels then, absent entries as 0. A day seen twice keeps its first value.
 */
int google_parse_rollup(const char *type, const char *json, size_t len,
    int32_t from, int32_t to, struct samples *, struct err *);

/* A daily-resting-heart-rate list page -> samples for days of [from, to];
 * next: the nextPageToken ("" on the last page). Any order. */
int google_parse_rhr(const char *json, size_t len, int32_t from, int32_t to,
    struct samples *, char *next, size_t next_size, struct err *);

/* The dailyRollUp body (JSON) for [from, end_excl). Caller frees; NULL:
 * out of memory. */
char *google_rollup_body(int32_t from, int32_t end_excl);
/* The list URL for days [from, to] of daily-resting-heart-rate, page
 * token optional. Caller frees; NULL: out of memory. */
char *google_rhr_url(const char *api_url, int32_t from, int32_t to,
    const char *page_token);

/* Seconds of a google-duration ("3600s", "1.5s"); -1 if malformed. */
int google_duration(const char *, double *seconds);

#endif
