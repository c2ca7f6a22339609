/*
 * google_daily: the Google Health API's daily answers -> samples
 * (dailyRollUp, daily resting heart rate, settings, profile) and its
 * error bodies; see google.h (the requests: google_request.c). Pure functions: no I/O, no logging.
 *
 * Absent versus zero: a day missing from rollupDataPoints, or present
 * without its value member ("steps"), had no data (tracker not worn or not
 * synced): no sample. A value member that is present but lacks its field
 * ("steps":{}) is a zero: proto3 JSON omits zero fields, and the API
 * reports worn-but-idle days as true zeros.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "civil.h"
#include "google.h"
#include "google_parse.h"
#include "google_rollup.h"
#include "httpc.h"
#include "jsonv.h"
#include "source/answer.h"

/* The list has exactly 4 entries: rollup_labels() relies on it. */
static const struct label_map zones[] = {
	{ "LIGHT", "light" }, { "MODERATE", "moderate" },
	{ "VIGOROUS", "vigorous" }, { "PEAK", "peak" },
};
#define NLABELS 4

const struct google_rollup google_rollups[GOOGLE_NROLLUPS] = {
	{ "steps", "steps", 90, SCOPE_ACTIVITY, "fitbit_steps_total", 1,
	    "countSum", NULL, NULL, 0, NULL, NULL },
	{ "distance", "distance", 90, SCOPE_ACTIVITY, "fitbit_distance_km",
	    1e6, "millimetersSum", NULL, NULL, 0, NULL, NULL },
	{ "floors", "floors", 90, SCOPE_ACTIVITY, "fitbit_floors_total", 1,
	    "countSum", NULL, NULL, 0, NULL, NULL },
	{ "altitude", "altitude", 90, SCOPE_ACTIVITY,
	    "fitbit_elevation_meters", 1e3, "gainMillimetersSum", NULL, NULL,
	    0, NULL, NULL },
	{ "time-in-heart-rate-zone", "timeInHeartRateZone", 90,
	    SCOPE_METRICS, "fitbit_heart_rate_zone_minutes", 60, "duration",
	    "timeInHeartRateZones", "heartRateZone", 1, "zone", zones },
	{ "total-calories", "totalCalories", 14, SCOPE_ACTIVITY,
	    "fitbit_calories_total", 1, "kcalSum", NULL, NULL, 0, NULL, NULL },
	{ "calories-in-heart-rate-zone", "caloriesInHeartRateZone", 14,
	    SCOPE_METRICS, "fitbit_heart_rate_zone_calories", 1, "kcal",
	    "caloriesInHeartRateZones", "heartRateZone", 0, "zone", zones },
	/* three sums and a total (rollup_azm) */
	{ "active-zone-minutes", "activeZoneMinutes", 90, SCOPE_ACTIVITY,
	    "fitbit_active_zone_minutes", 1, NULL, NULL, NULL, 0, "zone",
	    NULL },
};

/* ---- JSON values ---- */

int
google_duration(const char *s, double *seconds)
{
	size_t n, i, dot = 0;
	char num[64];

	if (s == NULL || (n = strlen(s)) < 2 || n >= sizeof(num) ||
	    s[n - 1] != 's')
		return -1;
	for (i = 0; i + 1 < n; i++) {
		if (s[i] == '.' && !dot && i > 0 && i + 2 < n)
			dot = 1;
		else if (!isdigit((unsigned char)s[i]))
			return -1;
	}
	memcpy(num, s, n - 1);
	num[n - 1] = '\0';
	return jv_decimal_text(num, seconds);
}

/* ---- pure parsers ---- */

const struct google_rollup *
google_rollup_find(const char *type)
{
	return source_table_find(google_rollups, GOOGLE_NROLLUPS,
	    sizeof(google_rollups[0]), type);
}

static int
rollup_sum(const struct google_rollup *rt, const cJSON *val, int32_t day,
    struct samples *out, struct err *err)
{
	const cJSON *f = jv_get(val, rt->field);
	double v = 0;		/* field omitted: proto3's zero */

	if (f != NULL && (jv_proto_number(f, &v) == -1 || v < 0))
		return err_set(err, "'%s.%s' is not a count", rt->member,
		    rt->field);
	if (isfinite(v / rt->divisor) &&
	    samples_add(out, rt->metric, day, v / rt->divisor, NULL) == -1)
		return err_set(err, "out of memory");
	return 0;
}

/* All four labels: an entry the list lacks is a zero (see the top). */
static int
rollup_labels(const struct google_rollup *rt, const cJSON *val, int32_t day,
    struct samples *out, struct err *err)
{
	const cJSON *list = jv_get(val, rt->list), *e, *f;
	const char *key;
	double v[NLABELS] = { 0 }, x;
	size_t i;

	if (list != NULL && !cJSON_IsArray(list))
		return err_set(err, "'%s.%s' is not a list", rt->member,
		    rt->list);
	cJSON_ArrayForEach(e, list) {
		if (!cJSON_IsObject(e))
			return err_set(err, "'%s.%s' holds a non-object",
			    rt->member, rt->list);
		x = 0;
		f = jv_get(e, rt->field);
		if (f != NULL && (rt->duration ?
		    google_duration(cJSON_GetStringValue(f), &x) :
		    jv_proto_number(f, &x)) == -1)
			return err_set(err, "'%s.%s[].%s' is not a %s",
			    rt->member, rt->list, rt->field,
			    rt->duration ? "duration" : "number");
		if (x < 0)
			return err_set(err, "'%s.%s[].%s' is negative",
			    rt->member, rt->list, rt->field);
		key = cJSON_GetStringValue(jv_get(e, rt->key));
		for (i = 0; key != NULL && i < NLABELS; i++)
			if (strcmp(key, rt->labels[i].api) == 0)
				v[i] += x;	/* unknown values: ignored */
	}
	for (i = 0; i < NLABELS; i++)
		if (isfinite(v[i] / rt->divisor) &&
		    samples_add(out, rt->metric, day, v[i] / rt->divisor,
		    rt->lname, rt->labels[i].label, NULL) == -1)
			return err_set(err, "out of memory");
	return 0;
}

/* active-zone-minutes: three sums (omitted: zero) and their total. */
static int
rollup_azm(const struct google_rollup *rt, const cJSON *val, int32_t day,
    struct samples *out, struct err *err)
{
	static const char *const field[] = { "sumInFatBurnHeartZone",
	    "sumInCardioHeartZone", "sumInPeakHeartZone" };
	static const char *const label[] = { "fat_burn", "cardio", "peak" };
	const cJSON *f;
	double v, total = 0;
	size_t i;

	for (i = 0; i < 3; i++) {
		v = 0;
		f = jv_get(val, field[i]);
		if (f != NULL && (jv_proto_number(f, &v) == -1 || v < 0))
			return err_set(err, "'%s.%s' is not a count",
			    rt->member, field[i]);
		total += v;
		if (isfinite(v) &&
		    samples_add(out, rt->metric, day, v, rt->lname, label[i],
		    NULL) == -1)
			return err_set(err, "out of memory");
	}
	if (isfinite(total) &&
	    samples_add(out, rt->metric, day, total, rt->lname, "total",
	    NULL) == -1)
		return err_set(err, "out of memory");
	return 0;
}

static int
rollup_point(const struct google_rollup *rt, const cJSON *pt, int32_t from,
    int32_t to, struct samples *out, struct err *err)
{
	const cJSON *val;
	int32_t day;

	if (google_date(jv_get(jv_get(pt, "civilStartTime"), "date"),
	    &day) == -1)
		return err_set(err, "'%s' rollup: a point without a valid "
		    "'civilStartTime.date'", rt->type);
	if (!google_new_day(out, rt->metric, day, from, to))
		return 0;
	val = jv_get(pt, rt->member);
	if (val == NULL || cJSON_IsNull(val))
		return 0;		/* no data that day */
	if (!cJSON_IsObject(val))
		return err_set(err, "'%s' rollup: '%s' is not an object",
		    rt->type, rt->member);
	if (rt->labels == NULL && rt->lname != NULL)
		return rollup_azm(rt, val, day, out, err);
	if (rt->list == NULL)
		return rollup_sum(rt, val, day, out, err);
	return rollup_labels(rt, val, day, out, err);
}

int
google_parse_rollup(const char *type, const char *json, size_t len,
    int32_t from, int32_t to, struct samples *out, struct err *err)
{
	const struct google_rollup *rt = google_rollup_find(type);
	const cJSON *points, *pt;
	size_t base = out->len;
	char what[80];
	cJSON *root;
	int rc;

	if (rt == NULL)
		return err_set(err, "unknown data type '%s'", type);
	snprintf(what, sizeof(what), "'%s' rollup", type);
	/* no rollupDataPoints: no day had data */
	if ((rc = google_page(json, len, what, "rollupDataPoints", &root,
	    &points, err)) == -1)
		points = NULL;
	cJSON_ArrayForEach(pt, points)
		if ((rc = rollup_point(rt, pt, from, to, out, err)) == -1)
			break;
	return answer_done(rc, root, out, base);
}

/* A missing beatsPerMinute is no value (the field is required), not 0. */
static int
rhr_point(const cJSON *pt, int32_t from, int32_t to, struct samples *out,
    struct err *err)
{
	const cJSON *r = jv_get(pt, "dailyRestingHeartRate"), *bpm;
	int32_t day;
	double v;

	if (r == NULL)
		return 0;
	if (google_date(jv_get(r, "date"), &day) == -1)
		return err_set(err, "'%s': a point without a valid 'date'",
		    RHR_TYPE);
	bpm = jv_get(r, "beatsPerMinute");
	if (bpm == NULL || !google_new_day(out,
	    "fitbit_resting_heart_rate_bpm", day, from, to))
		return 0;
	if (jv_proto_number(bpm, &v) == -1 || v < 0)
		return err_set(err, "'%s': 'beatsPerMinute' is not a number",
		    RHR_TYPE);
	if (samples_add(out, "fitbit_resting_heart_rate_bpm", day, v,
	    NULL) == -1)
		return err_set(err, "out of memory");
	return 0;
}

int
google_parse_rhr(const char *json, size_t len, int32_t from, int32_t to,
    struct samples *out, char *next, size_t next_size, struct err *err)
{
	const cJSON *points, *pt;
	size_t base = out->len;
	cJSON *root;
	int rc;

	next[0] = '\0';
	if ((rc = google_page(json, len, "'" RHR_TYPE "' list", "dataPoints",
	    &root, &points, err)) == -1)
		points = NULL;
	cJSON_ArrayForEach(pt, points)
		if ((rc = rhr_point(pt, from, to, out, err)) == -1)
			break;
	if (rc == 0)
		rc = jv_next_token(root, next, next_size, err);
	return answer_done(rc, root, out, base);
}

int
google_parse_settings(const char *json, size_t len, struct profile *p,
    struct err *err)
{
	cJSON *root = jv_parse(json, len, 1, err, "settings");
	int rc;

	if (root == NULL)
		return -1;
	rc = answer_zone(p, cJSON_GetStringValue(jv_get(root, "timeZone")),
	    "settings: no 'timeZone'",
	    "settings: time zone unknown to the tz database", err);
	cJSON_Delete(root);
	return rc;
}

int
google_parse_profile(const char *json, size_t len, struct profile *p,
    struct err *err)
{
	cJSON *root;
	const cJSON *d;
	int32_t day;
	int rc = -1;

	if ((root = jv_parse(json, len, 1, err, "profile")) == NULL)
		goto out;
	p->member_since = -1;
	d = jv_get(root, "membershipStartDate");
	if (d != NULL && google_date(d, &day) == -1) {
		err_set(err, "profile: 'membershipStartDate' is not a date");
		goto out;
	}
	if (d != NULL)
		p->member_since = day;
	rc = 0;
out:
	cJSON_Delete(root);
	return rc;
}

static enum google_problem
classify(int code, const char *status, const char *reason, const char *msg)
{
	if (strcmp(reason, "ACCOUNT_NOT_LINKED") == 0 ||
	    (strcmp(status, "FAILED_PRECONDITION") == 0 &&
	    strstr(msg, "not linked") != NULL))
		return GOOGLE_NOT_LINKED;
	if (strcmp(reason, "ACCESS_TOKEN_SCOPE_INSUFFICIENT") == 0 ||
	    (code == 403 && strstr(msg, "insufficient authentication "
	    "scopes") != NULL))
		return GOOGLE_SCOPE;
	if (strstr(msg, "UberMint") != NULL)
		return GOOGLE_UBERMINT;
	if (strcmp(reason, "SERVICE_DISABLED") == 0 ||
	    strcmp(reason, "ACCESS_NOT_CONFIGURED") == 0 ||
	    (code == 403 && (strstr(msg, "has not been used in project") !=
	    NULL || strstr(msg, "is disabled") != NULL)))
		return GOOGLE_DISABLED;
	if (strcmp(reason, "RESOURCE_PERMISSION_DENIED") == 0)
		return GOOGLE_REVOKED;
	if (strcmp(reason, "DISALLOWED_OAUTH_SCOPES") == 0)
		return GOOGLE_BAD_SCOPES;
	return GOOGLE_OTHER;
}

int
google_parse_status(const char *json, size_t len, long http,
    struct google_status *st, struct err *err)
{
	cJSON *root = cJSON_ParseWithLength(json, len);
	const cJSON *e, *d, *top = root;
	const char *msg;
	double code;
	int rc = -1;

	memset(st, 0, sizeof(*st));
	st->code = (int)http;
	if (cJSON_IsArray(root))	/* the "$.xgafv" v1 error format */
		top = cJSON_GetArrayItem(root, 0);
	e = jv_get(top, "error");
	if (!cJSON_IsObject(e)) {
		err_set(err, "HTTP %ld without a google.rpc.Status body", http);
		goto out;
	}
	if (jv_proto_number(jv_get(e, "code"), &code) == 0 && code >= 100 &&
	    code < 600)
		st->code = (int)code;
	jv_ident(jv_get(e, "status"), st->status, sizeof(st->status));
	cJSON_ArrayForEach(d, jv_get(e, "details")) {
		jv_ident(jv_get(d, "reason"), st->reason, sizeof(st->reason));
		if (st->reason[0] != '\0')
			break;
	}
	msg = cJSON_GetStringValue(jv_get(e, "message"));
	st->problem = classify(st->code, st->status, st->reason,
	    msg != NULL ? msg : "");
	rc = 0;
out:
	cJSON_Delete(root);
	return rc;
}
