/*
 * google_parse: Google Health API v4 list and rollUp pages -> SPEC samples
 * (see google_parse.h).
 *
 * Pure: no I/O, no logging, no process time zone (civil days come from
 * the offsets the API sends). Runs on the collector thread, in the unit
 * tests and in the fuzz targets. Guarantees: a call that returns -1 leaves
 * the samples as it found them and `next` empty; every sample has a finite
 * value and label values that fit SAMPLE_LVALUE_MAX.
 *
 * Proto3 omits zero fields. A minute's "steps":{} is therefore a zero (as
 * in google_parse_rollup()); an omitted measurement (bpm, SpO2, weight,
 * minutes asleep...) is no sample: zero is not a reading.
 */
#include <ctype.h>
#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "civil.h"
#include "google.h"
#include "google_parse.h"
#include "jsonv.h"
#include "source/answer.h"

#define DAY_MS 86400000LL
#define OFFSET_MAX_S 64800	/* +-18:00, the widest offset there is */
#define DURATION "fitbit_sleep_duration_seconds"
#define LEVEL "fitbit_sleep_stage_level"

/* ---- JSON values ---- */

static const char *
str(const cJSON *v)
{
	return cJSON_GetStringValue(v);
}

/* A list, or NULL (which cJSON_ArrayForEach walks as empty). */
static const cJSON *
arr(const cJSON *v)
{
	return cJSON_IsArray(v) ? v : NULL;
}

/* o.name as a number in [min, max]; -1 when missing, mistyped or out. */
static int
field(const cJSON *o, const char *name, double min, double max, double *v)
{
	return jv_proto_number(jv_get(o, name), v) == -1 || *v < min || *v > max ? -1 : 0;
}

int
google_date(const cJSON *d, int32_t *day)
{
	double y, m, dd;
	int yy, mm, ddd;

	if (field(d, "year", 1970, 9999, &y) == -1 ||
	    field(d, "month", 1, 12, &m) == -1 ||
	    field(d, "day", 1, 31, &dd) == -1 ||
	    y != floor(y) || m != floor(m) || dd != floor(dd))
		return -1;
	*day = civil_from_ymd((int)y, (int)m, (int)dd);
	civil_to_ymd(*day, &yy, &mm, &ddd);
	return yy == (int)y && mm == (int)m && ddd == (int)dd ? 0 : -1;
}

static int32_t
day_of_ms(int64_t ms)
{
	return (int32_t)(ms / DAY_MS - (ms % DAY_MS < 0));
}

int
google_local_day(const cJSON *t, const cJSON *off, int32_t *day)
{
	const char *s = off != NULL ? str(off) : "0s";
	double sec;
	int64_t ms;

	if (civil_parse_rfc3339(str(t), &ms) == -1 || s == NULL ||
	    google_duration(s + (*s == '-'), &sec) == -1 || sec > OFFSET_MAX_S)
		return -1;
	*day = day_of_ms(ms + llround(sec * 1000) * (*s == '-' ? -1 : 1));
	return 0;
}

/* ---- samples ---- */

/* The first sample of metric and day in s[0, n), else n. */
static size_t
find(const struct samples *s, size_t n, const char *metric, int32_t day)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (s->v[i].day == day && strcmp(s->v[i].metric, metric) == 0)
			break;
	return i;
}

int
google_new_day(const struct samples *out, const char *metric, int32_t day,
    int32_t from, int32_t to)
{
	return day >= from && day <= to &&
	    find(out, out->len, metric, day) == out->len;
}

/* One sample with at most one label (lname NULL: none); ts_ms 0 or an
 * instant, whose UTC day is then the sample's when day is INT32_MIN. */
static int
add(struct samples *out, const char *metric, int32_t day, int64_t ts_ms,
    double v, const char *lname, const char *lvalue, struct err *err)
{
	if (!isfinite(v))
		return 0;	/* overflowed (1e308 minutes * 60): no value */
	if (day == INT32_MIN)
		day = day_of_ms(ts_ms);
	if (samples_add(out, metric, day, v, lname, lvalue, NULL) == -1)
		return err_set(err, "out of memory");
	out->v[out->len - 1].ts_ms = ts_ms;
	return 0;
}

/* ---- pages ---- */

/* What a parser's point function sees. */
struct walk {
	const struct point_rule *rule;	/* minutes and lists */
	int32_t from, to;		/* devices: from is the day */
	struct samples *out;
	size_t base;			/* out->len before the page */
	const cJSON *list;		/* the page's points */
	struct samples more;		/* sleep: the page's main sleeps */
	struct err *err;
};

typedef int point_fn(struct walk *, const cJSON *);

int
google_page(const char *json, size_t len, const char *what,
    const char *list, cJSON **root, const cJSON **points, struct err *err)
{
	*root = jv_parse(json, len, 1, err, "%s", what);
	*points = jv_get(*root, list);
	if (*root == NULL)
		return -1;
	if (*points != NULL && !cJSON_IsArray(*points))
		return err_set(err, "%s: '%s' is not a list", what, list);
	return 0;
}

/* Every point (an object) of root[list], then the token; -1: undone. */
static int
walk(struct walk *w, const char *what, const char *json, size_t len,
    const char *list, point_fn *fn, char *next, size_t next_size)
{
	cJSON *root;
	const cJSON *pt;
	int rc;

	next[0] = '\0';
	w->base = w->out->len;
	rc = google_page(json, len, what, list, &root, &w->list, w->err);
	if (rc == 0)
		rc = jv_next_token(root, next, next_size, w->err);
	for (pt = rc == 0 && w->list != NULL ? w->list->child : NULL;
	    pt != NULL && rc == 0; pt = pt->next)
		rc = cJSON_IsObject(pt) ? fn(w, pt) : err_set(w->err,
		    "%s: '%s' holds a non-object", what, list);
	if (rc == -1)
		next[0] = '\0';
	return answer_done(rc, root, w->out, w->base);
}

/* A point's value member: 1 present, 0 absent (no data), -1 mistyped. */
static int
member(const cJSON *pt, const char *name, const cJSON **val)
{
	*val = jv_get(pt, name);
	if (*val == NULL || cJSON_IsNull(*val))
		return 0;
	return cJSON_IsObject(*val) ? 1 : -1;
}

/* ---- minutes and lists ---- */

enum place {
	AT_START,	/* rollUp window: its startTime, an instant */
	AT_DATE,	/* Daily: member.date */
	AT_SAMPLE,	/* Sample: civilTime.date, else physicalTime+utcOffset */
};
#define ZERO 1		/* an omitted field is proto3's zero */
#define DIFF 2		/* field[0] - field[1] */
#define POS 4		/* 0 is no measurement (RMSSD, SpO2, breaths) */

struct point_rule {
	const char *type;
	const char *member;
	enum place place;
	const char *metric;
	const char *lname;	/* NULL: one unlabelled value */
	const char *field[3];
	const char *lvalue[3];
	double divisor;		/* API unit -> SPEC unit */
	double min, max;	/* valid range, in the API's unit */
	int flags;
};

static const struct point_rule rules[] = {
	{ "heart-rate", "heartRate", AT_START, "fitbit_heart_rate_bpm", NULL,
	    { "beatsPerMinuteAvg" }, { NULL }, 1, 0, DBL_MAX, 0 },
	{ "steps", "steps", AT_START, "fitbit_intraday_steps", NULL,
	    { "countSum" }, { NULL }, 1, 0, DBL_MAX, ZERO },
	{ "daily-oxygen-saturation", "dailyOxygenSaturation", AT_DATE,
	    "fitbit_spo2_percent", "stat", { "averagePercentage",
	    "lowerBoundPercentage", "upperBoundPercentage" },
	    { "avg", "min", "max" }, 1, 0, 100, POS },
	{ "daily-heart-rate-variability", "dailyHeartRateVariability",
	    AT_DATE, "fitbit_hrv_rmssd_ms", "period",
	    { "averageHeartRateVariabilityMilliseconds",
	    "deepSleepRootMeanSquareOfSuccessiveDifferencesMilliseconds" },
	    { "daily", "deep" }, 1, 0, DBL_MAX, POS },
	{ "daily-respiratory-rate", "dailyRespiratoryRate", AT_DATE,
	    "fitbit_breathing_rate_per_minute", NULL, { "breathsPerMinute" },
	    { NULL }, 1, 0, DBL_MAX, POS },
	{ "daily-sleep-temperature-derivations",
	    "dailySleepTemperatureDerivations", AT_DATE,
	    "fitbit_skin_temperature_deviation_celsius", NULL,
	    { "nightlyTemperatureCelsius", "baselineTemperatureCelsius" },
	    { NULL }, 1, -DBL_MAX, DBL_MAX, DIFF },
	{ "daily-vo2-max", "dailyVo2Max", AT_DATE, "fitbit_vo2max", NULL,
	    { "vo2Max" }, { NULL }, 1, 0, DBL_MAX, 0 },
	{ "daily-resting-heart-rate", "dailyRestingHeartRate", AT_DATE,
	    "fitbit_resting_heart_rate_bpm", NULL, { "beatsPerMinute" },
	    { NULL }, 1, 0, DBL_MAX, 0 },
	{ "weight", "weight", AT_SAMPLE, "fitbit_weight_kg", NULL,
	    { "weightGrams" }, { NULL }, 1000, 0, DBL_MAX, 0 },
	{ "body-fat", "bodyFat", AT_SAMPLE, "fitbit_body_fat_percent", NULL,
	    { "percentage" }, { NULL }, 1, 0, 100, 0 },
};

/* Value i of a point; -1: no sample. */
static int
value(const struct point_rule *k, const cJSON *val, size_t i, double *v)
{
	*v = 0;
	if (jv_get(val, k->field[i]) == NULL && (k->flags & ZERO))
		return 0;
	if (field(val, k->field[i], k->min, k->max, v) == -1)
		return -1;
	return (k->flags & POS) && *v <= 0 ? -1 : 0;
}

/* Where a point goes: a day, or an instant (*ms != 0). -1: nowhere. */
static int
place(const struct point_rule *k, const cJSON *pt, const cJSON *val,
    int32_t *day, int64_t *ms)
{
	const cJSON *st = jv_get(val, "sampleTime");

	*ms = 0;
	if (k->place == AT_START) {
		*day = INT32_MIN;	/* the instant's UTC day */
		return civil_parse_rfc3339(str(jv_get(pt, "startTime")), ms) == -1 ||
		    *ms == 0 ? -1 : 0;
	}
	if (k->place == AT_DATE)
		return google_date(jv_get(val, "date"), day);
	if (google_date(jv_get(jv_get(st, "civilTime"), "date"), day) == 0)
		return 0;
	return google_local_day(jv_get(st, "physicalTime"), jv_get(st, "utcOffset"), day);
}

static int
point(struct walk *w, const cJSON *pt)
{
	static const char *const where[] = { "startTime", "date",
	    "sampleTime" };
	const struct point_rule *k = w->rule;
	const cJSON *val;
	double v, b;
	int32_t day = 0;
	int64_t ms;
	size_t i;
	int has;

	if ((has = member(pt, k->member, &val)) <= 0)
		return has == 0 ? 0 : err_set(w->err, "'%s': '%s' is not an "
		    "object", k->type, k->member);
	if (place(k, pt, val, &day, &ms) == -1)
		return err_set(w->err, "'%s': a point without a valid '%s'",
		    k->type, where[k->place]);
	if (ms == 0 && !google_new_day(w->out, k->metric, day, w->from, w->to))
		return 0;	/* a day seen twice keeps its first value */
	if (k->flags & DIFF)
		return value(k, val, 0, &v) == -1 ||
		    value(k, val, 1, &b) == -1 || !isfinite(v - b) ? 0 :
		    add(w->out, k->metric, day, 0, v - b, NULL, NULL, w->err);
	for (i = 0; i < 3 && k->field[i] != NULL; i++)
		if (value(k, val, i, &v) == 0 && add(w->out, k->metric, day,
		    ms, v / k->divisor, k->lname, k->lvalue[i], w->err) == -1)
			return -1;
	return 0;
}

static int
parse_points(const char *type, int minutes, const char *json, size_t len,
    int32_t from, int32_t to, struct samples *out, char *next,
    size_t next_size, struct err *err)
{
	struct walk w = { .from = from, .to = to, .out = out, .err = err };
	char what[80];
	size_t i;

	next[0] = '\0';
	for (i = 0; i < sizeof(rules) / sizeof(rules[0]); i++)
		if (strcmp(rules[i].type, type) == 0 &&
		    (rules[i].place == AT_START) == minutes)
			w.rule = &rules[i];
	if (w.rule == NULL)
		return err_set(err, "unknown data type '%s'", type);
	snprintf(what, sizeof(what), "'%s' %s", type, minutes ? "rollUp" :
	    "list");
	return walk(&w, what, json, len, minutes ? "rollupDataPoints" :
	    "dataPoints", point, next, next_size);
}

int
google_parse_minutes(const char *type, const char *json, size_t len,
    struct samples *out, char *next, size_t next_size, struct err *err)
{
	return parse_points(type, 1, json, len, 0, 0, out, next, next_size,
	    err);
}

int
google_parse_list(const char *type, const char *json, size_t len,
    int32_t from, int32_t to, struct samples *out, char *next,
    size_t next_size, struct err *err)
{
	return parse_points(type, 0, json, len, from, to, out, next, next_size,
	    err);
}

/* ---- sleep ---- */

static const struct stage {
	const char *session;	/* sleep.type */
	const char *api;
	const char *label;
	int level;		/* fitbit_sleep_stage_level */
} stages[] = {
	{ "STAGES", "DEEP", "deep", 0 }, { "STAGES", "LIGHT", "light", 1 },
	{ "STAGES", "REM", "rem", 2 }, { "STAGES", "AWAKE", "wake", 3 },
	{ "CLASSIC", "ASLEEP", "asleep", -1 },
	{ "CLASSIC", "RESTLESS", "restless", -1 },
	{ "CLASSIC", "AWAKE", "awake", -1 },
};
#define NSTAGES (sizeof(stages) / sizeof(stages[0]))

/* The stage api of a session of type session: an index, or NSTAGES. */
static size_t
stage_find(const char *session, const char *api)
{
	size_t i;

	for (i = 0; session != NULL && api != NULL && i < NSTAGES; i++)
		if (strcmp(stages[i].session, session) == 0 &&
		    strcmp(stages[i].api, api) == 0)
			break;
	return session != NULL && api != NULL ? i : NSTAGES;
}

/* The samples of sleep s, main sleep of day wake: duration, stage
 * seconds, efficiency, hypnogram, together (sess_remove() relies on it). */
static int
sess_samples(const cJSON *s, int32_t wake, double asleep,
    struct samples *out, struct err *err)
{
	const char *type = str(jv_get(s, "type"));
	const cJSON *sum = jv_get(s, "summary"), *e;
	double min[NSTAGES] = { 0 }, m;
	unsigned seen = 0;
	int64_t ms;
	size_t i;

	if (add(out, DURATION, wake, 0, asleep * 60, NULL, NULL,
	    err) == -1)
		return -1;
	cJSON_ArrayForEach(e, arr(jv_get(sum, "stagesSummary")))
		if ((i = stage_find(type, str(jv_get(e, "type")))) < NSTAGES &&
		    field(e, "minutes", 0, DBL_MAX, &m) == 0) {
			min[i] += m;
			seen |= 1u << i;
		}
	for (i = 0; i < NSTAGES; i++)
		if ((seen & 1u << i) && add(out, "fitbit_sleep_stage_seconds",
		    wake, 0, min[i] * 60, "stage", stages[i].label,
		    err) == -1)
			return -1;
	if (field(sum, "minutesInSleepPeriod", 0, DBL_MAX, &m) == 0 &&
	    m > 0 && asleep <= m && add(out,
	    "fitbit_sleep_efficiency_ratio", wake, 0, asleep / m,
	    NULL, NULL, err) == -1)
		return -1;
	cJSON_ArrayForEach(e, arr(jv_get(s, "stages")))
		if ((i = stage_find(type, str(jv_get(e, "type")))) < NSTAGES &&
		    stages[i].level >= 0 && civil_parse_rfc3339(str(jv_get(e,
		    "startTime")), &ms) == 0 && ms > 0 && add(out, LEVEL, wake,
		    ms, stages[i].level, NULL, NULL, err) == -1)
			return -1;
	return 0;
}

/* A daily sleep sample of `wake` (the hypnogram has its own days). */
static int
sess_daily(const struct sample *x, int32_t wake)
{
	return x->day == wake && strncmp(x->metric, "fitbit_sleep_", 13) == 0 &&
	    strcmp(x->metric, LEVEL) != 0;
}

/*
 * Drop the session of wake day `wake` from s[0, n): its daily samples,
 * and the hypnogram points that follow its duration. Samples from n on
 * stay. Returns how many went.
 */
static size_t
sess_remove(struct samples *s, size_t n, int32_t wake)
{
	size_t a = find(s, n, DURATION, wake), j, i, k = 0;

	for (j = a; j < n && (j == a || strcmp(s->v[j].metric, LEVEL) == 0 ||
	    sess_daily(&s->v[j], wake)); j++)
		;
	for (i = 0; i < s->len; i++)
		if ((i < a || i >= j) && !(i < n && sess_daily(&s->v[i], wake)))
			s->v[k++] = s->v[i];
	i = s->len - k;
	s->len = k;
	return i;
}

/*
 * A session that is the longest so far of its wake day (an earlier
 * page's or this one's; a tie keeps the first, the newest) goes to
 * w->more, replacing the one it beats there. Longest: minutesAsleep.
 * Not candidates: metadata.mainSleep false, metadata.nap true, and the
 * open session (no end time, no summary: asleep now; read once ended).
 */
static int
sleep_point(struct walk *w, const cJSON *pt)
{
	const cJSON *s, *iv;
	double asleep;
	int32_t wake;
	size_t o, m;
	int has;

	if ((has = member(pt, "sleep", &s)) <= 0)
		return has == 0 ? 0 : err_set(w->err, "'sleep' list: 'sleep' "
		    "is not an object");
	iv = jv_get(s, "interval");
	if (jv_get(iv, "endTime") == NULL)
		return 0;	/* in progress */
	if (google_local_day(jv_get(iv, "endTime"), jv_get(iv, "endUtcOffset"),
	    &wake) == -1)
		return err_set(w->err, "'sleep' list: a session without a "
		    "valid 'interval.endTime' or 'endUtcOffset'");
	if (wake < w->from || wake > w->to ||
	    cJSON_IsTrue(jv_get(jv_get(s, "metadata"), "nap")) ||
	    cJSON_IsFalse(jv_get(jv_get(s, "metadata"), "mainSleep")) ||
	    field(jv_get(s, "summary"), "minutesAsleep", 0, DBL_MAX / 60,
	    &asleep) == -1)
		return 0;	/* a duration that overflows is no session */
	o = find(w->out, w->base, DURATION, wake);
	m = find(&w->more, w->more.len, DURATION, wake);
	if ((m < w->more.len && w->more.v[m].value >= asleep * 60) ||
	    (o < w->base && w->out->v[o].value >= asleep * 60))
		return 0;
	sess_remove(&w->more, w->more.len, wake);
	return sess_samples(s, wake, asleep, &w->more, w->err);
}

int
google_parse_sleep(const char *json, size_t len, int32_t from, int32_t to,
    struct samples *out, char *next, size_t next_size, struct err *err)
{
	struct walk w = { .from = from, .to = to, .out = out, .err = err };
	size_t i, base = out->len;
	int rc;

	samples_init(&w.more);
	rc = walk(&w, "'sleep' list", json, len, "dataPoints", sleep_point,
	    next, next_size);
	if (rc == 0 && samples_extend(out, &w.more) == -1) {
		next[0] = '\0';
		rc = err_set(err, "out of memory");
	}
	/* appended first, removed after: a failure changed nothing */
	for (i = 0; rc == 0 && i < w.more.len; i++)
		if (strcmp(w.more.v[i].metric, DURATION) == 0)
			base -= sess_remove(out, base, w.more.v[i].day);
	samples_release(&w.more);
	return rc;
}

/* ---- devices ---- */

/* deviceVersion, or for the second and later devices that share it on
 * this page or an earlier one, deviceVersion + " " + the last 4
 * characters of name. -1: none that fits. */
static int
device_label(const struct walk *w, const cJSON *dv,
    char label[SAMPLE_LVALUE_MAX])
{
	const char *ver = str(jv_get(dv, "deviceVersion"));
	const char *name = str(jv_get(dv, "name")), *s;
	const struct sample *x;
	const cJSON *e;
	size_t i, n = name != NULL ? strlen(name) : 0;
	int dup = 0, len;

	if (ver == NULL || *ver == '\0')
		return -1;
	for (e = w->list->child; e != dv; e = e->next)
		dup |= (s = str(jv_get(e, "deviceVersion"))) != NULL &&
		    strcmp(s, ver) == 0;
	for (i = 0, x = w->out->v; i < w->base; i++, x++)
		dup |= x->day == w->from && strcmp(x->lvalue[0], ver) == 0 &&
		    strncmp(x->metric, "fitbit_device_", 14) == 0;
	if (dup && n == 0)
		return -1;
	len = snprintf(label, SAMPLE_LVALUE_MAX, "%s%s%s", ver, dup ? " " : "",
	    dup ? name + (n > 4 ? n - 4 : 0) : "");
	return len >= 0 && len < SAMPLE_LVALUE_MAX ? 0 : -1;
}

static int
device(struct walk *w, const cJSON *dv)
{
	const char *type = str(jv_get(dv, "deviceType"));
	char label[SAMPLE_LVALUE_MAX], lower[SAMPLE_LVALUE_MAX];
	int64_t ms;
	double v;
	size_t i, n;

	if (type == NULL || *type == '\0')
		type = "unknown";
	if (device_label(w, dv, label) == -1 ||
	    (n = strlen(type)) >= sizeof(lower))
		return 0;	/* no label that fits: no sample */
	for (i = 0; i <= n; i++)
		lower[i] = (char)tolower((unsigned char)type[i]);
	if (field(dv, "batteryLevel", 0, 100, &v) == 0 &&
	    samples_add(w->out, "fitbit_device_battery_percent", w->from, v,
	    "device", label, "type", lower, NULL) == -1)
		return err_set(w->err, "out of memory");
	if (civil_parse_rfc3339(str(jv_get(dv, "lastSyncTime")), &ms) == 0 &&
	    samples_add(w->out, "fitbit_device_last_sync_timestamp_seconds",
	    w->from, ms / 1000.0, "device", label, "type", lower, NULL) == -1)
		return err_set(w->err, "out of memory");
	return 0;
}

int
google_parse_devices(const char *json, size_t len, int32_t day,
    struct samples *out, char *next, size_t next_size, struct err *err)
{
	struct walk w = { .from = day, .to = day, .out = out, .err = err };

	return walk(&w, "pairedDevices", json, len, "pairedDevices", device,
	    next, next_size);
}
