/*
 * fitbit_parse: legacy Fitbit Web API answers beyond daily activity -> SPEC
 * samples (see fitbit_parse.h for every answer's shape and contract).
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
#include "fitbit_parse.h"
#include "jsonv.h"

#define NO_TIME INT64_MIN
#define MAX_STAGE_S (7 * 86400)	/* longer levels.data[] entries: bogus */
#define NF(a) (sizeof(a) / sizeof(a[0]))

/* ---- JSON values and local times ---- */

/* A JSON number or a string holding a decimal; finite, and >= 0 unless
 * any_sign. */
static int
num(const cJSON *v, int any_sign, double *out)
{
	return jv_decimal(v, out) == 0 && (any_sign || *out >= 0) ? 0 : -1;
}

static int
value(const cJSON *v, double *out)
{
	return num(v, 0, out);
}

/* s has the shape of pat: 'd' a digit, any other character itself. */
static int
shape(const char *s, const char *pat)
{
	for (; *pat != '\0'; s++, pat++)
		if (*pat == 'd' ? !isdigit((unsigned char)*s) : *s != *pat)
			return 0;
	return *s == '\0';
}

/* "HH:MM:SS" -> seconds of the day, or -1. */
static int
clock_text(const char *s)
{
	if (s == NULL || !shape(s, "dd:dd:dd") || atoi(s) > 23 ||
	    atoi(s + 3) > 59 || atoi(s + 6) > 59)
		return -1;
	return atoi(s) * 3600 + atoi(s + 3) * 60 + atoi(s + 6);
}

/* Local "YYYY-MM-DDTHH:MM:SS[.mmm]" -> civil day, seconds, milliseconds. */
static int
local_text(const char *s, int32_t *day, int *sec, int *ms)
{
	char b[24];

	if (s == NULL || (!shape(s, "dddd-dd-ddTdd:dd:dd") &&
	    !shape(s, "dddd-dd-ddTdd:dd:dd.ddd")))
		return -1;
	memcpy(b, s, strlen(s) + 1);
	b[10] = b[19] = '\0';
	*ms = s[19] == '.' ? atoi(b + 20) : 0;
	return civil_parse(b, day) == 0 && (*sec = clock_text(b + 11)) >= 0 ?
	    0 : -1;
}

/*
 * UTC milliseconds of a local wall time in zone. civil_local_to_utc()
 * gives the first instant of a wall time that happens twice; the wall time
 * an hour later is two hours (not one) further exactly when this one lies
 * in the hour a one-hour fall-back repeats, and then its second instant is
 * 3600 s after the first: near (NO_TIME: none) picks the closer one.
 */
static int
local_ms(const char *zone, int32_t day, int sec, int ms, int64_t near,
    int64_t *out, struct err *err)
{
	int64_t first, later, second;

	if (civil_local_to_utc(zone, day, sec, &first, err) == -1)
		return -1;
	*out = first * 1000 + ms;
	if (near == NO_TIME)
		return 0;
	if (civil_local_to_utc(zone, day + (sec + 3600) / 86400,
	    (sec + 3600) % 86400, &later, err) == -1)
		return -1;
	second = *out + 3600 * 1000;
	if (later - first == 7200 && llabs(second - near) < llabs(*out - near))
		*out = second;
	return 0;
}

/* ---- samples and answers ---- */

/* A value that overflowed (1e308 minutes * 60) is no value. */
static int
add(struct samples *out, const char *metric, int32_t day, double v,
    const char *lname, const char *lvalue, struct err *err)
{
	if (!isfinite(v))
		return 0;
	if (samples_add(out, metric, day, v, lname, lvalue, NULL) == -1)
		return err_set(err, "out of memory");
	return 0;
}

/* A point at its own instant. */
static int
add_at(struct samples *out, const char *metric, int32_t day, int64_t ms,
    double v, struct err *err)
{
	if (add(out, metric, day, v, NULL, NULL, err) == -1)
		return -1;
	out->v[out->len - 1].ts_ms = ms;
	return 0;
}

/* The index of metric{lvalue} for day among out->v[base..], else len. */
static size_t
find(const struct samples *out, size_t base, const char *metric,
    const char *lvalue, int32_t day)
{
	size_t i;

	for (i = base; i < out->len; i++)
		if (out->v[i].day == day &&
		    strcmp(out->v[i].metric, metric) == 0 &&
		    strcmp(out->v[i].lvalue[0], lvalue ? lvalue : "") == 0)
			break;
	return i;
}

/*
 * Parse an answer and find its list: root[key], or the root itself (key
 * NULL; one_ok: a single object is a list of one). *root goes to done()
 * either way.
 */
static int
answer(const char *json, size_t len, const char *what, const char *key,
    int one_ok, cJSON **root, const cJSON **list, struct err *err)
{
	*root = cJSON_ParseWithLength(json, len);
	*list = key != NULL ? jv_get(*root, key) : *root;
	if (*root == NULL)
		return err_set(err, "%s: invalid JSON", what);
	if (cJSON_IsArray(*list) || (one_ok && cJSON_IsObject(*list)))
		return 0;
	if (key == NULL)
		return err_set(err, "%s: not a list", what);
	return err_set(err, "%s: no '%s' list", what, key);
}

/* The end of every parser: on failure nothing stays appended. */
static int
done(int rc, cJSON *root, struct samples *out, size_t base)
{
	if (rc == -1)
		out->len = base;
	cJSON_Delete(root);
	return rc;
}

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
		sec = clock_text(cJSON_GetStringValue(jv_get(e, "time")));
		if (sec < 0 || (seen[sec / 8] & (1u << sec % 8)) ||
		    value(jv_get(e, "value"), &v) == -1 || (v == 0 && !zero_ok))
			continue;
		seen[sec / 8] |= 1u << sec % 8;
		if (add_at(out, metric, day, ((int64_t)day * 86400 + sec) *
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
	if ((root = cJSON_ParseWithLength(json, len)) == NULL)
		err_set(err, "%s: invalid JSON", what);
	else if (!cJSON_IsObject(root))
		err_set(err, "%s: not an object", what);
	else if ((intra = jv_get(root, key)) == NULL)
		rc = FITBIT_NO_INTRADAY;
	else if (!cJSON_IsArray(set = jv_get(intra, "dataset")))
		err_set(err, "%s: no '%s.dataset' list", what, key);
	else
		rc = intraday_points(set, steps ? "fitbit_intraday_steps" :
		    "fitbit_heart_rate_bpm", steps, utc_day, out, err);
	return done(rc, root, out, base);
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
	return num(m, f->how == F_SIGNED, v);
}

static int
day_entry(const cJSON *e, const struct field *f, size_t nf, int32_t from,
    int32_t to, size_t base, struct samples *out, struct err *err)
{
	const cJSON *val = jv_get(e, "value");
	int32_t day;
	size_t i;
	double v;

	if (civil_parse(cJSON_GetStringValue(jv_get(e, "dateTime")), &day) == -1 ||
	    day < from || day > to || !cJSON_IsObject(val))
		return 0;
	for (i = 0; i < nf; i++)
		if (find(out, base, f[i].metric, f[i].lvalue, day) ==
		    out->len && field_value(val, &f[i], &v) == 0 &&
		    add(out, f[i].metric, day, v, f[i].lname, f[i].lvalue,
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

	rc = answer(json, len, what, key, key == NULL, &root, &list, err);
	if (rc == 0 && cJSON_IsObject(list))
		rc = day_entry(list, f, nf, from, to, base, out, err);
	else if (rc == 0)
		cJSON_ArrayForEach(e, list)
			if ((rc = day_entry(e, f, nf, from, to, base, out,
			    err)) == -1)
				break;
	return done(rc, root, out, base);
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

	if ((rc = answer(json, len, key, key, 0, &root, &list, err)) == -1)
		list = NULL;
	cJSON_ArrayForEach(e, list) {
		if (civil_parse(cJSON_GetStringValue(jv_get(e, "date")),
		    &day) == -1 || day < from || day > to ||
		    value(jv_get(e, key), &v) == -1)
			continue;
		at = clock_text(cJSON_GetStringValue(jv_get(e, "time"))) + 1;
		if ((i = find(out, base, metric, NULL, day)) == out->len &&
		    (rc = add(out, metric, day, v, NULL, NULL, err)) == -1)
			break;
		if (out->v[i].ts_ms <= at) {
			out->v[i].value = v;
			out->v[i].ts_ms = at;
		}
	}
	for (i = base; i < out->len; i++)
		out->v[i].ts_ms = 0;
	return done(rc, root, out, base);
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

/* ---- sleep ---- */

/* levels.summary members of each type; in stages_st, the index is the
 * hypnogram's level. */
static const char *const stages_st[] = { "deep", "light", "rem", "wake",
	NULL };
static const char *const stages_cl[] = { "asleep", "restless", "awake",
	NULL };

static int
stage_index(const char *const *t, const char *name)
{
	int i;

	for (i = 0; name != NULL && t[i] != NULL; i++)
		if (strcmp(t[i], name) == 0)
			return i;
	return -1;
}

/* minutesAsleep, -1 when it has none. */
static double
asleep(const cJSON *log)
{
	double v;

	return value(jv_get(log, "minutesAsleep"), &v) == 0 ? v : -1;
}

/* The main sleep of day: the first marked isMainSleep, else the longest
 * (the first of equals). */
static const cJSON *
main_sleep(const cJSON *list, int32_t day)
{
	const cJSON *e, *best = NULL;
	int32_t d;

	cJSON_ArrayForEach(e, list) {
		if (civil_parse(cJSON_GetStringValue(jv_get(e, "dateOfSleep")),
		    &d) == -1 || d != day)
			continue;
		if (cJSON_IsTrue(jv_get(e, "isMainSleep")))
			return e;
		if (best == NULL || asleep(e) > asleep(best))
			best = e;
	}
	return best;
}

static int
stage_seconds(const cJSON *log, const char *const *t, int32_t day,
    struct samples *out, struct err *err)
{
	const cJSON *sum = jv_get(jv_get(log, "levels"), "summary");
	double v;
	int i;

	for (i = 0; t[i] != NULL; i++)
		if (value(jv_get(jv_get(sum, t[i]), "minutes"), &v) == 0 &&
		    add(out, "fitbit_sleep_stage_seconds", day, v * 60, "stage",
		    t[i], err) == -1)
			return -1;
	return 0;
}

/* fitbit_sleep_stage_level at the start of each levels.data[] entry; a
 * repeated wall time is placed nearest the previous entry's end. */
static int
hypnogram(const cJSON *log, int32_t day, const char *zone,
    struct samples *out, struct err *err)
{
	const cJSON *data = jv_get(jv_get(log, "levels"), "data"), *e;
	int64_t at, end = NO_TIME;
	int32_t d;
	int sec, ms, level;
	double s;

	if (!cJSON_IsArray(data))
		return 0;
	cJSON_ArrayForEach(e, data) {
		if (local_text(cJSON_GetStringValue(jv_get(e, "dateTime")), &d,
		    &sec, &ms) == -1)
			continue;
		if (local_ms(zone, d, sec, ms, end, &at, err) == -1)
			return -1;
		end = value(jv_get(e, "seconds"), &s) == 0 && s <= MAX_STAGE_S ?
		    at + (int64_t)(s * 1000) : NO_TIME;
		level = stage_index(stages_st,
		    cJSON_GetStringValue(jv_get(e, "level")));
		if (level >= 0 && add_at(out, "fitbit_sleep_stage_level", day,
		    at, level, err) == -1)
			return -1;
	}
	return 0;
}

static int
sleep_log(const cJSON *log, int32_t day, const char *zone,
    struct samples *out, struct err *err)
{
	const char *type = cJSON_GetStringValue(jv_get(log, "type"));
	const char *const *t = NULL;
	double v;

	if (type != NULL && strcmp(type, "stages") == 0)
		t = stages_st;
	else if (type != NULL && strcmp(type, "classic") == 0)
		t = stages_cl;
	if ((v = asleep(log)) >= 0 && add(out, "fitbit_sleep_duration_seconds",
	    day, v * 60, NULL, NULL, err) == -1)
		return -1;
	if (value(jv_get(log, "efficiency"), &v) == 0 && v <= 100 &&
	    add(out, "fitbit_sleep_efficiency_ratio", day, v / 100, NULL, NULL,
	    err) == -1)
		return -1;
	if (t != NULL && stage_seconds(log, t, day, out, err) == -1)
		return -1;
	return t == stages_st ? hypnogram(log, day, zone, out, err) : 0;
}

int
fitbit_parse_sleep(const char *json, size_t len, int32_t from, int32_t to,
    const char *zone, struct samples *out, struct err *err)
{
	cJSON *root;
	const cJSON *list, *e;
	size_t base = out->len;
	int32_t day;
	int rc;

	rc = answer(json, len, "sleep", "sleep", 0, &root, &list, err);
	if (rc == 0 && !civil_zone_valid(zone))
		rc = err_set(err, "sleep: unknown time zone '%s'", zone);
	if (rc == -1)
		list = NULL;
	cJSON_ArrayForEach(e, list)
		if (civil_parse(cJSON_GetStringValue(jv_get(e, "dateOfSleep")),
		    &day) == 0 && day >= from && day <= to &&
		    main_sleep(list, day) == e &&
		    (rc = sleep_log(e, day, zone, out, err)) == -1)
			break;
	return done(rc, root, out, base);
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
	if (value(jv_get(dev, "batteryLevel"), &v) == 0 && v <= 100 &&
	    samples_add(out, "fitbit_device_battery_percent", day, v, "device",
	    name, "type", type, NULL) == -1)
		return err_set(err, "out of memory");
	if (local_text(cJSON_GetStringValue(jv_get(dev, "lastSyncTime")), &d,
	    &sec, &ms) == -1)
		return 0;
	if (local_ms(zone, d, sec, ms, NO_TIME, &at, err) == -1)
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

	rc = answer(json, len, "devices", NULL, 0, &root, &list, err);
	if (rc == 0 && !civil_zone_valid(zone))
		rc = err_set(err, "devices: unknown time zone '%s'", zone);
	if (rc == -1)
		list = NULL;
	cJSON_ArrayForEach(e, list)
		if ((rc = device(list, e, day, zone, out, err)) == -1)
			break;
	return done(rc, root, out, base);
}
