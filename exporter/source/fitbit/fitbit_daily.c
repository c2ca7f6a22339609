/*
 * fitbit_daily: the legacy API's daily activity answers -> samples
 * (profile, the daily summary, the activity and heart-rate time series,
 * error bodies); see fitbit.h. Pure functions: no I/O, no logging.
 */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "civil.h"
#include "fitbit.h"
#include "fitbit_json.h"
#include "jsonv.h"
#include "source/answer.h"

const struct fitbit_series fitbit_series[FITBIT_NSERIES] = {
	{ "steps", "fitbit_steps_total", NULL },
	{ "distance", "fitbit_distance_km", NULL },
	{ "calories", "fitbit_calories_total", NULL },
	{ "floors", "fitbit_floors_total", NULL },
	{ "elevation", "fitbit_elevation_meters", NULL },
	{ "minutesSedentary", "fitbit_active_minutes", "sedentary" },
	{ "minutesLightlyActive", "fitbit_active_minutes", "lightly_active" },
	{ "minutesFairlyActive", "fitbit_active_minutes", "fairly_active" },
	{ "minutesVeryActive", "fitbit_active_minutes", "very_active" },
};

/* The daily summary's member of each fitbit_series[] entry (the same
 * metric and label); NULL: distance, the "total" of distances[]. */
static const char *const summary_member[FITBIT_NSERIES] = {
	"steps", NULL, "caloriesOut", "floors", "elevation",
	"sedentaryMinutes", "lightlyActiveMinutes", "fairlyActiveMinutes",
	"veryActiveMinutes",
};

static const struct {
	const char *name;		/* heartRateZones[].name */
	const char *label;		/* SPEC's zone label */
} zones[] = {
	{ "Out of Range", "out_of_range" }, { "Fat Burn", "fat_burn" },
	{ "Cardio", "cardio" }, { "Peak", "peak" },
};
#define NZONES (sizeof(zones) / sizeof(zones[0]))

/* ---- JSON values ---- */

/* A value SyncBit may report: a number or a numeric string, >= 0. */
static int
value(const cJSON *v, double *out)
{
	return jv_decimal(v, out) == 0 && *out >= 0 ? 0 : -1;
}

static int
add(struct samples *out, const char *metric, int32_t day, double v,
    const char *lname, const char *lvalue, struct err *err)
{
	int rc;

	if (lvalue == NULL)
		rc = samples_add(out, metric, day, v, NULL);
	else
		rc = samples_add(out, metric, day, v, lname, lvalue, NULL);
	return rc == -1 ? err_set(err, "out of memory") : 0;
}

/* ---- pure parsers ---- */

int
fitbit_parse_profile(const char *json, size_t len, struct profile *p,
    struct err *err)
{
	cJSON *root = jv_parse(json, len, 0, err, "profile");
	const cJSON *user;
	int rc = -1;

	if (root == NULL)
		goto out;
	if (!cJSON_IsObject(user = jv_get(root, "user"))) {
		err_set(err, "profile: no 'user' object");
		goto out;
	}
	if (answer_zone(p, cJSON_GetStringValue(jv_get(user, "timezone")),
	    "profile: no 'user.timezone'",
	    "profile: 'user.timezone' is unknown to the tz database",
	    err) == -1)
		goto out;
	if (civil_parse(cJSON_GetStringValue(jv_get(user, "memberSince")),
	    &p->member_since) == -1)
		p->member_since = -1;
	rc = 0;
out:
	cJSON_Delete(root);
	return rc;
}

/* heartRateZones[]: minutes and caloriesOut of the known zones. */
static int
parse_zones(const cJSON *list, int32_t day, struct samples *out,
    struct err *err)
{
	const cJSON *z;
	const char *name;
	unsigned seen = 0;
	size_t i;
	double v;

	if (!cJSON_IsArray(list))
		return 0;
	cJSON_ArrayForEach(z, list) {
		name = cJSON_GetStringValue(jv_get(z, "name"));
		for (i = 0; name != NULL && i < NZONES; i++)
			if (strcmp(name, zones[i].name) == 0)
				break;
		if (name == NULL || i == NZONES || (seen & (1u << i)))
			continue;	/* unknown zone, or seen already */
		seen |= 1u << i;
		if (value(jv_get(z, "minutes"), &v) == 0 &&
		    add(out, "fitbit_heart_rate_zone_minutes", day, v, "zone",
		    zones[i].label, err) == -1)
			return -1;
		if (value(jv_get(z, "caloriesOut"), &v) == 0 &&
		    add(out, "fitbit_heart_rate_zone_calories", day, v, "zone",
		    zones[i].label, err) == -1)
			return -1;
	}
	return 0;
}

/* restingHeartRate: 0 is "not measured", not a heart rate. */
static int
parse_rhr(const cJSON *v, int32_t day, struct samples *out, struct err *err)
{
	double bpm;

	if (value(v, &bpm) == -1 || bpm <= 0)
		return 0;
	return add(out, "fitbit_resting_heart_rate_bpm", day, bpm, NULL, NULL,
	    err);
}

/* The distances[] entry of activity "total". */
static int
total_distance(const cJSON *list, double *km)
{
	const cJSON *d;
	const char *act;

	if (!cJSON_IsArray(list))
		return -1;
	cJSON_ArrayForEach(d, list) {
		act = cJSON_GetStringValue(jv_get(d, "activity"));
		if (act != NULL && strcmp(act, "total") == 0)
			return value(jv_get(d, "distance"), km);
	}
	return -1;
}

int
fitbit_parse_day(const char *json, size_t len, int32_t day,
    struct samples *out, struct err *err)
{
	const struct fitbit_series *f;
	cJSON *root = NULL;
	const cJSON *sum;
	char date[CIVIL_DATE_LEN];
	size_t base = out->len, heart, i;
	double v;
	int rc = -1;

	civil_format(day, date);
	if ((root = jv_parse(json, len, 0, err, "day '%s'", date)) == NULL)
		goto out;
	if (!cJSON_IsObject(sum = jv_get(root, "summary"))) {
		err_set(err, "day '%s': no 'summary' object", date);
		goto out;
	}
	for (i = 0; i < FITBIT_NSERIES; i++) {
		f = &fitbit_series[i];
		if (summary_member[i] != NULL &&
		    value(jv_get(sum, summary_member[i]), &v) == 0 &&
		    add(out, f->metric, day, v, "type", f->type, err) == -1)
			goto out;
	}
	if (total_distance(jv_get(sum, "distances"), &v) == 0 &&
	    add(out, "fitbit_distance_km", day, v, NULL, NULL, err) == -1)
		goto out;
	samples_tag(out, base, "activity");
	heart = out->len;
	if (parse_rhr(jv_get(sum, "restingHeartRate"), day, out, err) == -1 ||
	    parse_zones(jv_get(sum, "heartRateZones"), day, out, err) == -1)
		goto out;
	samples_tag(out, heart, "heart");
	rc = 0;
out:
	return answer_done(rc, root, out, base);
}

static const struct fitbit_series *
series_find(const char *resource)
{
	return source_table_find(fitbit_series, FITBIT_NSERIES,
	    sizeof(fitbit_series[0]), resource);
}

int
fitbit_parse_series(const char *json, size_t len, const char *resource,
    int32_t from, int32_t to, struct samples *out, struct err *err)
{
	const struct fitbit_series *s = series_find(resource);
	cJSON *root;
	const cJSON *list, *e;
	char key[64], what[80];
	size_t base = out->len;
	int32_t day;
	double v;
	int rc;

	if (s == NULL)
		return err_set(err, "unknown time series '%s'", resource);
	snprintf(key, sizeof(key), "activities-%s", resource);
	snprintf(what, sizeof(what), "'%s' series", resource);
	if ((rc = fj_answer(json, len, what, key, 0, &root, &list, err)) == -1)
		list = NULL;
	cJSON_ArrayForEach(e, list)
		if (fj_day(e, "dateTime", from, to, &day) == 0 &&
		    fj_find(out, base, s->metric, s->type, day) == out->len &&
		    value(jv_get(e, "value"), &v) == 0 &&
		    (rc = add(out, s->metric, day, v, "type", s->type,
		    err)) == -1)
			break;
	return answer_done(rc, root, out, base);
}

/* A day of the heart series was seen when it gave any sample. */
static int
heart_seen(const struct samples *out, size_t base, int32_t day)
{
	size_t i;

	for (i = base; i < out->len; i++)
		if (out->v[i].day == day)
			return 1;
	return 0;
}

int
fitbit_parse_heart(const char *json, size_t len, int32_t from, int32_t to,
    struct samples *out, struct err *err)
{
	cJSON *root;
	const cJSON *list, *e, *val;
	size_t base = out->len;
	int32_t day;
	int rc;

	if ((rc = fj_answer(json, len, "'heart' series", "activities-heart", 0,
	    &root, &list, err)) == -1)
		list = NULL;
	cJSON_ArrayForEach(e, list) {
		val = jv_get(e, "value");
		if (fj_day(e, "dateTime", from, to, &day) == -1 ||
		    !cJSON_IsObject(val) || heart_seen(out, base, day))
			continue;
		if ((rc = parse_rhr(jv_get(val, "restingHeartRate"), day, out,
		    err)) == -1 ||
		    (rc = parse_zones(jv_get(val, "heartRateZones"), day, out,
		    err)) == -1)
			break;
	}
	return answer_done(rc, root, out, base);
}

int
fitbit_parse_error(const char *json, size_t len, struct fitbit_error *fe,
    struct err *err)
{
	cJSON *root;
	const cJSON *e;
	int rc = -1;

	memset(fe, 0, sizeof(*fe));
	if ((root = jv_parse(json, len, 0, err, "error body")) == NULL)
		goto out;
	if (cJSON_IsArray(e = jv_get(root, "errors"))) {
		jv_ident(jv_get(cJSON_GetArrayItem(e, 0), "errorType"), fe->type,
		    sizeof(fe->type));
		rc = 0;
	} else if (cJSON_IsObject(e = jv_get(root, "error"))) {
		fe->google = 1;
		jv_ident(jv_get(e, "status"), fe->status, sizeof(fe->status));
		rc = 0;
	} else if (cJSON_IsString(e)) {		/* OAuth's {"error":"..."} */
		jv_ident(e, fe->type, sizeof(fe->type));
		rc = 0;
	} else
		err_set(err, "error body: neither Fitbit's nor Google's shape");
out:
	cJSON_Delete(root);
	return rc;
}

