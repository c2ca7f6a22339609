/*
 * fitbit_parse: legacy Fitbit Web API answers beyond daily activity -> SPEC
 * samples (see fitbit_parse.h for every answer's shape and contract);
 * sleep is fitbit_sleep.c, the shared readers fitbit_json.c.
 *
 * Pure: no I/O, no logging. Runs on the collector thread (or alone, for
 * --once/--backfill and the fuzz targets): the local times of sleep and
 * devices go through civil_local_to_utc(), which only that thread may
 * call. Guarantees: samples are appended all-or-nothing per answer; a
 * value that is missing, null, of the wrong type, not finite or negative
 * (the skin temperature aside) gives no sample, never a made-up 0.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "civil.h"
#include "fitbit_json.h"
#include "fitbit_parse.h"
#include "jsonv.h"
#include "source/answer.h"

/* ---- intraday ---- */

/* A time seen twice keeps its first value; a heart rate of 0 was not
 * measured (0 steps is a count). */
static int
intraday_points(const cJSON *set, const char *metric, int zero_ok,
    int32_t day, struct samples *out, struct err *err)
{
	unsigned char seen[86400 / 8] = { 0 };
	const cJSON *e;
	double v;
	int sec;

	cJSON_ArrayForEach(e, set) {
		sec = civil_parse_clock(cJSON_GetStringValue(jv_get(e, "time")));
		if (sec < 0 || (seen[sec / 8] & (1u << sec % 8)) ||
		    fj_value(jv_get(e, "value"), &v) == -1 || (v == 0 && !zero_ok))
			continue;
		seen[sec / 8] |= 1u << sec % 8;
		if (fj_add_at(out, metric, day, ((int64_t)day * 86400 + sec) *
		    1000, v, err) == -1)
			return -1;
	}
	return 0;
}

int
fitbit_parse_intraday(const char *json, size_t len, const char *resource,
    int32_t utc_day, struct samples *out, struct err *err)
{
	int steps = strcmp(resource, "steps") == 0;
	cJSON *root = NULL;
	const cJSON *intra, *set;
	size_t base = out->len;
	char key[64], what[64];
	int rc = -1;

	if (!steps && strcmp(resource, "heart") != 0)
		return err_set(err, "unknown intraday resource '%s'", resource);
	snprintf(key, sizeof(key), "activities-%s-intraday", resource);
	snprintf(what, sizeof(what), "'%s' intraday", resource);
	if ((root = jv_parse(json, len, 0, err, "%s", what)) == NULL)
		rc = -1;	/* err says why */
	else if (!cJSON_IsObject(root))
		err_set(err, "%s: not an object", what);
	else if ((intra = jv_get(root, key)) == NULL)
		rc = FITBIT_NO_INTRADAY;
	else if (!cJSON_IsArray(set = jv_get(intra, "dataset")))
		err_set(err, "%s: no '%s.dataset' list", what, key);
	else
		rc = intraday_points(set, steps ? "fitbit_intraday_steps" :
		    "fitbit_heart_rate_bpm", steps, utc_day, out, err);
	return answer_done(rc, root, out, base);
}

/* ---- day lists: "key":[{dateTime, value{...}}] ---- */

enum { F_PLAIN, F_SIGNED, F_ZERO, F_VO2 };

struct field {
	const char *member;		/* of value{} */
	const char *metric;
	const char *lname, *lvalue;	/* NULL: no label */
	int how;	/* F_SIGNED any sign, F_ZERO absent is 0, F_VO2 range */
};

static const struct field spo2_f[] = {
	{ "avg", "fitbit_spo2_percent", "stat", "avg", F_PLAIN },
	{ "min", "fitbit_spo2_percent", "stat", "min", F_PLAIN },
	{ "max", "fitbit_spo2_percent", "stat", "max", F_PLAIN },
}, hrv_f[] = {
	{ "dailyRmssd", "fitbit_hrv_rmssd_ms", "period", "daily", F_PLAIN },
	{ "deepRmssd", "fitbit_hrv_rmssd_ms", "period", "deep", F_PLAIN },
}, br_f[] = {
	{ "breathingRate", "fitbit_breathing_rate_per_minute", NULL, NULL,
	    F_PLAIN },
}, temp_f[] = {
	{ "nightlyRelative", "fitbit_skin_temperature_deviation_celsius",
	    NULL, NULL, F_SIGNED },
}, vo2_f[] = {
	{ "vo2Max", "fitbit_vo2max", NULL, NULL, F_VO2 },
}, azm_f[] = {
	{ "fatBurnActiveZoneMinutes", "fitbit_active_zone_minutes", "zone",
	    "fat_burn", F_ZERO },
	{ "cardioActiveZoneMinutes", "fitbit_active_zone_minutes", "zone",
	    "cardio", F_ZERO },
	{ "peakActiveZoneMinutes", "fitbit_active_zone_minutes", "zone",
	    "peak", F_ZERO },
	{ "activeZoneMinutes", "fitbit_active_zone_minutes", "zone", "total",
	    F_ZERO },
};

static int
field_value(const cJSON *val, const struct field *f, double *v)
{
	const cJSON *m = jv_get(val, f->member);

	if (m == NULL && f->how == F_ZERO) {
		*v = 0;
		return 0;
	}
	if (f->how == F_VO2 && cJSON_IsString(m))
		return fitbit_vo2max_value(m->valuestring, v);
	return fj_num(m, f->how == F_SIGNED, v);
}

static int
day_entry(const cJSON *e, const struct field *f, size_t nf, int32_t from,
    int32_t to, size_t base, struct samples *out, struct err *err)
{
	const cJSON *val = jv_get(e, "value");
	int32_t day;
	size_t i;
	double v;

	if (fj_day(e, "dateTime", from, to, &day) == -1 || !cJSON_IsObject(val))
		return 0;
	for (i = 0; i < nf; i++)
		if (fj_find(out, base, f[i].metric, f[i].lvalue, day) ==
		    out->len && field_value(val, &f[i], &v) == 0 &&
		    fj_add(out, f[i].metric, day, v, f[i].lname, f[i].lvalue,
		    err) == -1)
			return -1;
	return 0;
}

/* key NULL: the answer is the list, or a single entry (SpO2). */
static int
day_list(const char *json, size_t len, const char *what, const char *key,
    const struct field *f, size_t nf, int32_t from, int32_t to,
    struct samples *out, struct err *err)
{
	cJSON *root;
	const cJSON *list, *e;
	size_t base = out->len;
	int rc;

	rc = fj_answer(json, len, what, key, key == NULL, &root, &list, err);
	if (rc == 0 && cJSON_IsObject(list))
		rc = day_entry(list, f, nf, from, to, base, out, err);
	else if (rc == 0)
		cJSON_ArrayForEach(e, list)
			if ((rc = day_entry(e, f, nf, from, to, base, out,
			    err)) == -1)
				break;
	return answer_done(rc, root, out, base);
}

int
fitbit_parse_spo2(const char *json, size_t len, int32_t from, int32_t to,
    struct samples *out, struct err *err)
{
	return day_list(json, len, "spo2", NULL, spo2_f, NF(spo2_f), from, to,
	    out, err);
}

int
fitbit_parse_hrv(const char *json, size_t len, int32_t from, int32_t to,
    struct samples *out, struct err *err)
{
	return day_list(json, len, "hrv", "hrv", hrv_f, NF(hrv_f), from, to,
	    out, err);
}

int
fitbit_parse_br(const char *json, size_t len, int32_t from, int32_t to,
    struct samples *out, struct err *err)
{
	return day_list(json, len, "br", "br", br_f, NF(br_f), from, to, out,
	    err);
}

int
fitbit_parse_skin_temp(const char *json, size_t len, int32_t from,
    int32_t to, struct samples *out, struct err *err)
{
	return day_list(json, len, "skin temperature", "tempSkin", temp_f,
	    NF(temp_f), from, to, out, err);
}

int
fitbit_parse_vo2max(const char *json, size_t len, int32_t from, int32_t to,
    struct samples *out, struct err *err)
{
	return day_list(json, len, "vo2max", "cardioScore", vo2_f, NF(vo2_f),
	    from, to, out, err);
}

int
fitbit_parse_azm(const char *json, size_t len, int32_t from, int32_t to,
    struct samples *out, struct err *err)
{
	return day_list(json, len, "azm", "activities-active-zone-minutes",
	    azm_f, NF(azm_f), from, to, out, err);
}

/* "46", or a range "44-48": its midpoint. */
int
fitbit_vo2max_value(const char *text, double *out)
{
	char lo[65], *hi;
	double a, b;

	if (text == NULL || strlen(text) >= sizeof(lo) || text[0] == '-')
		return -1;
	memcpy(lo, text, strlen(text) + 1);
	if ((hi = strchr(lo, '-')) == NULL)
		return jv_decimal_text(lo, out);
	*hi++ = '\0';
	if (*hi == '-' || jv_decimal_text(lo, &a) == -1 ||
	    jv_decimal_text(hi, &b) == -1 || a > b)
		return -1;
	*out = a + (b - a) / 2;
	return 0;
}

/* ---- body logs: the last log of each day ---- */

/*
 * While parsing, a day's sample keeps in ts_ms 1 + the seconds of day of
 * its log (0: a log without a valid time, which any timed log replaces);
 * a later time, or the same time later in the list, replaces it. The
 * daily samples leave with ts_ms 0.
 */
static int
body_log(const char *json, size_t len, const char *key, const char *metric,
    int32_t from, int32_t to, struct samples *out, struct err *err)
{
	cJSON *root;
	const cJSON *list, *e;
	size_t base = out->len, i;
	int32_t day;
	double v;
	int at, rc;

	if ((rc = fj_answer(json, len, key, key, 0, &root, &list, err)) == -1)
		list = NULL;
	cJSON_ArrayForEach(e, list) {
		if (fj_day(e, "date", from, to, &day) == -1 ||
		    fj_value(jv_get(e, key), &v) == -1)
			continue;
		at = civil_parse_clock(cJSON_GetStringValue(jv_get(e, "time"))) + 1;
		if ((i = fj_find(out, base, metric, NULL, day)) == out->len &&
		    (rc = fj_add(out, metric, day, v, NULL, NULL, err)) == -1)
			break;
		if (out->v[i].ts_ms <= at) {
			out->v[i].value = v;
			out->v[i].ts_ms = at;
		}
	}
	for (i = base; i < out->len; i++)
		out->v[i].ts_ms = 0;
	return answer_done(rc, root, out, base);
}

int
fitbit_parse_weight(const char *json, size_t len, int32_t from, int32_t to,
    struct samples *out, struct err *err)
{
	return body_log(json, len, "weight", "fitbit_weight_kg", from, to, out,
	    err);
}

int
fitbit_parse_fat(const char *json, size_t len, int32_t from, int32_t to,
    struct samples *out, struct err *err)
{
	return body_log(json, len, "fat", "fitbit_body_fat_percent", from, to,
	    out, err);
}

/* ---- devices ---- */

/* deviceVersion, + " " + the id's last 4 characters (else the device's
 * ordinal) when an earlier device has the same deviceVersion. */
static int
device_name(const cJSON *list, const cJSON *dev, char *out, size_t size)
{
	const char *ver = cJSON_GetStringValue(jv_get(dev, "deviceVersion"));
	const char *id = cJSON_GetStringValue(jv_get(dev, "id")), *v;
	const cJSON *e;
	size_t n, k = 1;

	if (ver == NULL || *ver == '\0')
		return -1;
	for (e = list->child; e != dev; e = e->next)
		k += (v = cJSON_GetStringValue(jv_get(e, "deviceVersion"))) !=
		    NULL && strcmp(v, ver) == 0;
	if (k == 1)
		n = (size_t)snprintf(out, size, "%s", ver);
	else if (id != NULL && *id != '\0')
		n = (size_t)snprintf(out, size, "%s %s", ver,
		    id + (strlen(id) > 4 ? strlen(id) - 4 : 0));
	else
		n = (size_t)snprintf(out, size, "%s %zu", ver, k);
	return n < size ? 0 : -1;	/* never a cut label */
}

static int
device(const cJSON *list, const cJSON *dev, int32_t day, const char *zone,
    struct samples *out, struct err *err)
{
	const char *t = cJSON_GetStringValue(jv_get(dev, "type"));
	char name[SAMPLE_LVALUE_MAX], type[SAMPLE_LVALUE_MAX];
	int sec, ms, i;
	int32_t d;
	int64_t at;
	double v;

	if (device_name(list, dev, name, sizeof(name)) == -1 || t == NULL ||
	    *t == '\0' || strlen(t) >= sizeof(type))
		return 0;
	for (i = 0; (type[i] = (char)tolower((unsigned char)t[i])) != '\0'; i++)
		;	/* "TRACKER" -> "tracker" */
	if (fj_value(jv_get(dev, "batteryLevel"), &v) == 0 && v <= 100 &&
	    samples_add(out, "fitbit_device_battery_percent", day, v, "device",
	    name, "type", type, NULL) == -1)
		return err_set(err, "out of memory");
	if (civil_parse_local(cJSON_GetStringValue(jv_get(dev, "lastSyncTime")), &d,
	    &sec, &ms) == -1)
		return 0;
	if (fj_local_ms(zone, d, sec, ms, NO_TIME, &at, err) == -1)
		return -1;
	if (at < 0)
		return 0;	/* before 1970: not a sync time */
	if (samples_add(out, "fitbit_device_last_sync_timestamp_seconds", day,
	    (double)at / 1000, "device", name, "type", type, NULL) == -1)
		return err_set(err, "out of memory");
	return 0;
}

int
fitbit_parse_devices(const char *json, size_t len, int32_t day,
    const char *zone, struct samples *out, struct err *err)
{
	cJSON *root;
	const cJSON *list, *e;
	size_t base = out->len;
	int rc;

	rc = fj_answer(json, len, "devices", NULL, 0, &root, &list, err);
	if (rc == 0 && !civil_zone_valid(zone))
		rc = err_set(err, "devices: unknown time zone '%s'", zone);
	if (rc == -1)
		list = NULL;
	cJSON_ArrayForEach(e, list)
		if ((rc = device(list, e, day, zone, out, err)) == -1)
			break;
	return answer_done(rc, root, out, base);
}
