/*
 * fitbit_parse: the legacy Fitbit Web API's answers beyond daily activity
 * -> SPEC samples: names, labels, days, values and the instants of
 * intraday points (UTC answers), hypnograms (local times, across the
 * 2026-10-25 Europe/Berlin fall-back) and device syncs; the main sleep,
 * the last body log of a day, the vo2Max range midpoint, duplicate device
 * names; hostile values give no sample, malformed answers -1 and nothing.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "civil.h"
#include "source/fitbit/fitbit_parse.h"
#include "helpers.h"
#include "t.h"

#define ZONE "Europe/Berlin"
#define MAXW 20

/* A day of 2026 as month * 100 + day: 1119 is 2026-11-19. */
static int32_t
md(int x)
{
	return civil_from_ymd(2026, x / 100, x % 100);
}

/* "2026-10-25T00:30:00.000Z" -> UTC ms; NULL -> 0 (a daily sample). */
static int64_t
utc(const char *s)
{
	int32_t day;
	char date[CIVIL_DATE_LEN];
	int h, m, sec, ms;

	if (s == NULL)
		return 0;
	memcpy(date, s, 10);
	date[10] = '\0';
	if (civil_parse(date, &day) == -1 ||
	    sscanf(s + 11, "%d:%d:%d.%dZ", &h, &m, &sec, &ms) != 4) {
		printf("# bad instant '%s' in the test\n", s);
		return -1;
	}
	return ((int64_t)day * 86400 + h * 3600 + m * 60 + sec) * 1000 + ms;
}

struct want {
	const char *metric;
	const char *l0, *l1;		/* label values; NULL: none */
	int day;			/* md() */
	double value;
	const char *at;			/* utc(); NULL: ts_ms 0 */
};

/* The label names SPEC gives each metric. */
static void
lnames(const char *metric, const char **n0, const char **n1)
{
	*n0 = *n1 = NULL;
	if (strcmp(metric, "fitbit_sleep_stage_seconds") == 0)
		*n0 = "stage";
	else if (strcmp(metric, "fitbit_spo2_percent") == 0)
		*n0 = "stat";
	else if (strcmp(metric, "fitbit_hrv_rmssd_ms") == 0)
		*n0 = "period";
	else if (strcmp(metric, "fitbit_active_zone_minutes") == 0)
		*n0 = "zone";
	else if (strncmp(metric, "fitbit_device_", 14) == 0) {
		*n0 = "device";
		*n1 = "type";
	}
}

static int
label_is(const struct sample *s, int i, const char *name, const char *v)
{
	if (name == NULL)
		return s->lname[i] == NULL && s->lvalue[i][0] == '\0';
	return s->lname[i] != NULL && strcmp(s->lname[i], name) == 0 &&
	    v != NULL && strcmp(s->lvalue[i], v) == 0;
}

static int
matches(const struct sample *s, const struct want *w)
{
	const char *n0, *n1;

	lnames(w->metric, &n0, &n1);
	return strcmp(s->metric, w->metric) == 0 && s->day == md(w->day) &&
	    s->ts_ms == utc(w->at) && label_is(s, 0, n0, w->l0) &&
	    label_is(s, 1, n1, w->l1);
}

/* Exactly the wanted samples after base (any order), exact values. */
static int
same_samples(const struct samples *got, size_t base, const struct want *w,
    size_t n)
{
	size_t i, j, hits;

	if (got->len - base != n) {
		printf("# %zu samples, want %zu\n", got->len - base, n);
		return 0;
	}
	for (i = 0; i < n; i++) {
		for (hits = 0, j = base; j < got->len; j++)
			if (matches(&got->v[j], &w[i]) &&
			    got->v[j].value == w[i].value)
				hits++;
		if (hits != 1) {
			printf("# want %s{%s,%s} %d %s = %.17g: %zu hits\n",
			    w[i].metric, w[i].l0 ? w[i].l0 : "",
			    w[i].l1 ? w[i].l1 : "", w[i].day,
			    w[i].at ? w[i].at : "-", w[i].value, hits);
			return 0;
		}
	}
	return 1;
}

enum { P_HEART, P_STEPS, P_SLEEP, P_SPO2, P_HRV, P_BR, P_TEMP, P_VO2,
	P_AZM, P_WEIGHT, P_FAT, P_DEVICES };

/* Parser p over [from, to] (intraday and devices: from). */
static int
run(int p, const char *json, size_t len, int from, int to, const char *zone,
    struct samples *s, struct err *err)
{
	int32_t a = md(from), b = md(to);

	switch (p) {
	case P_HEART:
		return fitbit_parse_intraday(json, len, "heart", a, s, err);
	case P_STEPS:
		return fitbit_parse_intraday(json, len, "steps", a, s, err);
	case P_SLEEP:
		return fitbit_parse_sleep(json, len, a, b, zone, s, err);
	case P_SPO2: return fitbit_parse_spo2(json, len, a, b, s, err);
	case P_HRV: return fitbit_parse_hrv(json, len, a, b, s, err);
	case P_BR: return fitbit_parse_br(json, len, a, b, s, err);
	case P_TEMP: return fitbit_parse_skin_temp(json, len, a, b, s, err);
	case P_VO2: return fitbit_parse_vo2max(json, len, a, b, s, err);
	case P_AZM: return fitbit_parse_azm(json, len, a, b, s, err);
	case P_WEIGHT: return fitbit_parse_weight(json, len, a, b, s, err);
	case P_FAT: return fitbit_parse_fat(json, len, a, b, s, err);
	default:
		return fitbit_parse_devices(json, len, a, zone, s, err);
	}
}

struct good_case {
	int p;
	const char *fixture;
	int from, to;
	size_t n;
	struct want w[MAXW];
};

#define HR "fitbit_heart_rate_bpm"
#define STEPS "fitbit_intraday_steps"
#define DUR "fitbit_sleep_duration_seconds"
#define EFF "fitbit_sleep_efficiency_ratio"
#define STAGE "fitbit_sleep_stage_seconds"
#define LEVEL "fitbit_sleep_stage_level"
#define SPO2 "fitbit_spo2_percent"
#define HRV "fitbit_hrv_rmssd_ms"
#define BR "fitbit_breathing_rate_per_minute"
#define TEMP "fitbit_skin_temperature_deviation_celsius"
#define VO2 "fitbit_vo2max"
#define AZM "fitbit_active_zone_minutes"
#define BAT "fitbit_device_battery_percent"
#define SYNC "fitbit_device_last_sync_timestamp_seconds"

static const struct good_case good[] = {
	/* timezone=UTC: D + time; minutes 2 and 3 missing; a time twice
	 * (first wins); 0, null, bad times, negative, "nan", "inf",
	 * "1e999", 1e999, true, [72], non-objects: nothing */
	{ P_HEART, "fitbit_intraday_heart.json", 1119, 1119, 4, {
	    { HR, 0, 0, 1119, 64, "2026-11-19T00:00:00.000Z" },
	    { HR, 0, 0, 1119, 66, "2026-11-19T00:01:00.000Z" },
	    { HR, 0, 0, 1119, 70, "2026-11-19T00:04:00.000Z" },
	    { HR, 0, 0, 1119, 58.5, "2026-11-19T23:59:00.000Z" } } },
	/* 0 steps is a count */
	{ P_STEPS, "fitbit_intraday_steps.json", 1119, 1119, 4, {
	    { STEPS, 0, 0, 1119, 0, "2026-11-19T08:00:00.000Z" },
	    { STEPS, 0, 0, 1119, 12, "2026-11-19T08:01:00.000Z" },
	    { STEPS, 0, 0, 1119, 102, "2026-11-19T08:02:00.000Z" },
	    { STEPS, 0, 0, 1119, 3, "2026-11-19T23:59:00.000Z" } } },
	/* the main sleep, not the nap listed first; CET = UTC+1; an unknown
	 * level and a bad dateTime give no point; shortData is not used;
	 * 2026-11-21 is out of range */
	{ P_SLEEP, "fitbit_sleep_stages.json", 1119, 1120, 12, {
	    { DUR, 0, 0, 1119, 412 * 60, NULL },
	    { EFF, 0, 0, 1119, 0.93, NULL },
	    { STAGE, "deep", 0, 1119, 88 * 60, NULL },
	    { STAGE, "light", 0, 1119, 220 * 60, NULL },
	    { STAGE, "rem", 0, 1119, 104 * 60, NULL },
	    { STAGE, "wake", 0, 1119, 46 * 60, NULL },
	    { LEVEL, 0, 0, 1119, 3, "2026-11-18T22:30:00.000Z" },
	    { LEVEL, 0, 0, 1119, 1, "2026-11-18T22:40:00.000Z" },
	    { LEVEL, 0, 0, 1119, 0, "2026-11-18T23:10:00.000Z" },
	    { LEVEL, 0, 0, 1119, 2, "2026-11-19T00:10:00.000Z" },
	    { LEVEL, 0, 0, 1119, 1, "2026-11-19T00:31:00.500Z" },
	    { LEVEL, 0, 0, 1119, 3, "2026-11-19T06:00:00.000Z" } } },
	/* classic: no hypnogram; string numbers; of three unmarked logs the
	 * longest, the first of two equal ones */
	{ P_SLEEP, "fitbit_sleep_classic.json", 1119, 1121, 10, {
	    { DUR, 0, 0, 1119, 380 * 60, NULL },
	    { EFF, 0, 0, 1119, 0.91, NULL },
	    { STAGE, "asleep", 0, 1119, 360 * 60, NULL },
	    { STAGE, "restless", 0, 1119, 15 * 60, NULL },
	    { STAGE, "awake", 0, 1119, 10 * 60, NULL },
	    { DUR, 0, 0, 1120, 300 * 60, NULL },
	    { EFF, 0, 0, 1120, 0.85, NULL },
	    { STAGE, "asleep", 0, 1120, 290 * 60, NULL },
	    { STAGE, "restless", 0, 1120, 6 * 60, NULL },
	    { STAGE, "awake", 0, 1120, 4 * 60, NULL } } },
	/* Berlin falls back at 03:00 CEST (01:00 UTC) to 02:00 CET: 02:00
	 * and 02:30 follow 01:00+1h, so CEST; then 02:00 again follows
	 * 02:30+30min = 01:00 UTC, so CET, as do 02:40 and 02:50 */
	{ P_SLEEP, "fitbit_sleep_dst.json", 1025, 1025, 17, {
	    { DUR, 0, 0, 1025, 420 * 60, NULL },
	    { EFF, 0, 0, 1025, 0.95, NULL },
	    { STAGE, "deep", 0, 1025, 100 * 60, NULL },
	    { STAGE, "light", 0, 1025, 250 * 60, NULL },
	    { STAGE, "rem", 0, 1025, 60 * 60, NULL },
	    { STAGE, "wake", 0, 1025, 50 * 60, NULL },
	    { LEVEL, 0, 0, 1025, 3, "2026-10-24T21:30:00.000Z" },
	    { LEVEL, 0, 0, 1025, 1, "2026-10-24T22:00:00.000Z" },
	    { LEVEL, 0, 0, 1025, 0, "2026-10-24T23:00:00.000Z" },
	    { LEVEL, 0, 0, 1025, 2, "2026-10-25T00:00:00.000Z" },
	    { LEVEL, 0, 0, 1025, 1, "2026-10-25T00:30:00.000Z" },
	    { LEVEL, 0, 0, 1025, 0, "2026-10-25T01:00:00.000Z" },
	    { LEVEL, 0, 0, 1025, 3, "2026-10-25T01:40:00.000Z" },
	    { LEVEL, 0, 0, 1025, 1, "2026-10-25T01:50:00.000Z" },
	    { LEVEL, 0, 0, 1025, 2, "2026-10-25T02:30:00.000Z" },
	    { LEVEL, 0, 0, 1025, 1, "2026-10-25T03:00:00.000Z" },
	    { LEVEL, 0, 0, 1025, 3, "2026-10-25T06:00:00.000Z" } } },
	/* non-objects, a numeric date, "nan", efficiency 150, negative
	 * minutes, "1e999", data not a list, bad and offset dateTimes, a
	 * numeric or upper-case level, another type: what is left */
	{ P_SLEEP, "fitbit_sleep_hostile.json", 1101, 1130, 5, {
	    { STAGE, "wake", 0, 1119, 12 * 60, NULL },
	    { EFF, 0, 0, 1120, 0.915, NULL },
	    { LEVEL, 0, 0, 1120, 0, "2026-11-20T00:00:00.000Z" },
	    { LEVEL, 0, 0, 1120, 2, "2026-11-20T00:04:00.000Z" },
	    { DUR, 0, 0, 1121, 400 * 60, NULL } } },
	/* nulls; a day twice (first wins); out of range; "inf" */
	{ P_SPO2, "fitbit_spo2.json", 1119, 1121, 4, {
	    { SPO2, "avg", 0, 1119, 95.7, NULL },
	    { SPO2, "min", 0, 1119, 92.1, NULL },
	    { SPO2, "max", 0, 1119, 99, NULL },
	    { SPO2, "avg", 0, 1121, 96.5, NULL } } },
	{ P_SPO2, "fitbit_spo2_one.json", 1119, 1119, 3, {
	    { SPO2, "avg", 0, 1119, 95.7, NULL },
	    { SPO2, "min", 0, 1119, 92.1, NULL },
	    { SPO2, "max", 0, 1119, 99, NULL } } },
	{ P_SPO2, "fitbit_spo2_one.json", 1120, 1130, 0, { { 0 } } },
	{ P_SPO2, "fitbit_spo2_empty.json", 1101, 1130, 0, { { 0 } } },
	{ P_HRV, "fitbit_hrv.json", 1119, 1121, 3, {
	    { HRV, "daily", 0, 1119, 34.94, NULL },
	    { HRV, "daily", 0, 1120, 30.5, NULL },
	    { HRV, "deep", 0, 1120, 28.25, NULL } } },
	/* only a finite 1e300 and "-0" survive */
	{ P_HRV, "fitbit_hrv_hostile.json", 1101, 1130, 2, {
	    { HRV, "daily", 0, 1116, 1e300, NULL },
	    { HRV, "deep", 0, 1116, 0, NULL } } },
	{ P_BR, "fitbit_br.json", 1119, 1121, 2, {
	    { BR, 0, 0, 1119, 17.8, NULL },
	    { BR, 0, 0, 1120, 15.2, NULL } } },
	{ P_TEMP, "fitbit_temp_skin.json", 1119, 1124, 4, {
	    { TEMP, 0, 0, 1119, -0.094, NULL },
	    { TEMP, 0, 0, 1120, 0.7, NULL },
	    { TEMP, 0, 0, 1121, -1.25, NULL },
	    { TEMP, 0, 0, 1124, 0, NULL } } },
	{ P_VO2, "fitbit_vo2max.json", 1101, 1130, 4, {
	    { VO2, 0, 0, 1119, 46, NULL },
	    { VO2, 0, 0, 1120, 46, NULL },
	    { VO2, 0, 0, 1121, 47.5, NULL },
	    { VO2, 0, 0, 1122, 45.75, NULL } } },
	/* an omitted member is 0, a null or "x" one is nothing; a day
	 * without value has no sample */
	{ P_AZM, "fitbit_azm.json", 1119, 1123, 14, {
	    { AZM, "fat_burn", 0, 1119, 5, NULL },
	    { AZM, "cardio", 0, 1119, 12, NULL },
	    { AZM, "peak", 0, 1119, 4, NULL },
	    { AZM, "total", 0, 1119, 21, NULL },
	    { AZM, "fat_burn", 0, 1120, 5, NULL },
	    { AZM, "cardio", 0, 1120, 0, NULL },
	    { AZM, "peak", 0, 1120, 0, NULL },
	    { AZM, "total", 0, 1120, 5, NULL },
	    { AZM, "fat_burn", 0, 1121, 0, NULL },
	    { AZM, "cardio", 0, 1121, 0, NULL },
	    { AZM, "peak", 0, 1121, 0, NULL },
	    { AZM, "total", 0, 1121, 0, NULL },
	    { AZM, "cardio", 0, 1123, 2, NULL },
	    { AZM, "peak", 0, 1123, 0, NULL } } },
	/* the last log by time, not by list order; an untimed log loses;
	 * the same time: the later entry; a null weight is no log */
	{ P_WEIGHT, "fitbit_weight.json", 1119, 1130, 3, {
	    { "fitbit_weight_kg", 0, 0, 1119, 73.1, NULL },
	    { "fitbit_weight_kg", 0, 0, 1120, 72.9, NULL },
	    { "fitbit_weight_kg", 0, 0, 1121, 72.3, NULL } } },
	{ P_FAT, "fitbit_fat.json", 1119, 1120, 1, {
	    { "fitbit_body_fat_percent", 0, 0, 1119, 15.5, NULL } } },
	/* Berlin local sync times (CET in November, CEST in July); the
	 * second and third "Charge 6" get their id's last 4 characters; no
	 * batteryLevel, no battery sample */
	{ P_DEVICES, "fitbit_devices.json", 1119, 1119, 7, {
	    { BAT, "Charge 6", "tracker", 1119, 88, NULL },
	    { SYNC, "Charge 6", "tracker", 1119, 1795072354, NULL },
	    { SYNC, "Charge 6 5432", "tracker", 1119, 1795028400, NULL },
	    { BAT, "Aria Air", "scale", 1119, 70, NULL },
	    { SYNC, "Aria Air", "scale", 1119, 1795068062, NULL },
	    { BAT, "Charge 6 77", "tracker", 1119, 15, NULL },
	    { SYNC, "Charge 6 77", "tracker", 1119, 1782900000.25, NULL } } },
	/* a numeric name, no type, 150 %, "nan", a name too long for a
	 * label, non-objects, bad sync times; a repeated name without id
	 * gets its ordinal */
	{ P_DEVICES, "fitbit_devices_hostile.json", 1119, 1119, 1, {
	    { BAT, "Inspire 3 2", "tracker", 1119, 0, NULL } } },
};

static void
test_good(void)
{
	const struct good_case *c;
	struct samples s;
	struct err err;
	size_t i, len;
	char *json;

	samples_init(&s);
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		c = &good[i];
		json = fixture(c->fixture, &len);
		samples_clear(&s);
		err_clear(&err);
		CHECK(run(c->p, json, len, c->from, c->to, ZONE, &s,
		    &err) == 0);
		CHECK(!err.set);
		if (!same_samples(&s, 0, c->w, c->n)) {
			printf("# case %s [%d, %d]\n", c->fixture, c->from,
			    c->to);
			CHECK(!"samples as wanted");
		}
		free(json);
	}
	samples_release(&s);
}

/* The hand-computed instants above, as plain numbers. */
static void
test_instants(void)
{
	CHECK(utc("2026-10-25T00:00:00.000Z") == 1792886400000LL);
	CHECK(utc("2026-10-25T01:00:00.000Z") == 1792890000000LL);
	CHECK(utc("2026-11-19T07:12:34.000Z") / 1000 == 1795072354);
	CHECK(utc("2026-11-18T19:00:00.000Z") / 1000 == 1795028400);
	CHECK(utc("2026-07-01T10:00:00.000Z") == 1782900000000LL);
}

/* Samples already there stay, and do not count as this answer's days. */
static void
test_appends(void)
{
	struct samples s;
	struct err err = { 0 };
	size_t len;
	char *json = fixture("fitbit_weight.json", &len);

	samples_init(&s);
	samples_add(&s, "fitbit_weight_kg", md(1119), 80, NULL);
	s.v[0].ts_ms = 5;
	CHECK(fitbit_parse_weight(json, len, md(1119), md(1119), &s,
	    &err) == 0);
	CHECK(s.len == 2 && s.v[0].value == 80 && s.v[0].ts_ms == 5);
	CHECK(s.len == 2 && s.v[1].value == 73.1 && s.v[1].ts_ms == 0);
	free(json);
	json = fixture("fitbit_hrv.json", &len);
	CHECK(fitbit_parse_hrv(json, len, md(1119), md(1119), &s, &err) == 0);
	CHECK(s.len == 3 && s.v[2].value == 34.94);
	CHECK(fitbit_parse_hrv(json, len, md(1119), md(1119), &s, &err) == 0);
	CHECK(s.len == 4 && s.v[3].value == 34.94);
	free(json);
	samples_release(&s);
}

static void
test_no_intraday(void)
{
	struct samples s;
	struct err err = { 0 };
	size_t len;
	char *json = fixture("fitbit_intraday_steps_no_key.json", &len);

	samples_init(&s);
	CHECK(fitbit_parse_intraday(json, len, "steps", md(1119), &s,
	    &err) == FITBIT_NO_INTRADAY);
	CHECK(s.len == 0 && !err.set);
	/* the steps answer holds no heart dataset either */
	CHECK(fitbit_parse_intraday(json, len, "heart", md(1119), &s,
	    &err) == FITBIT_NO_INTRADAY);
	CHECK(s.len == 0 && !err.set);
	free(json);
	samples_release(&s);
}

static void
test_vo2max_value(void)
{
	static const struct {
		const char *text;
		double want;		/* -1: refused */
	} v[] = {
		{ "46", 46 }, { "44-48", 46 }, { "44.5", 44.5 },
		{ "44.5-47", 45.75 }, { "0", 0 }, { "45-45", 45 },
		{ "", -1 }, { "-46", -1 }, { "48-44", -1 }, { "44-", -1 },
		{ "-", -1 }, { "44--48", -1 }, { "44-48-50", -1 },
		{ "44 - 48", -1 }, { " 46", -1 }, { "46 ", -1 },
		{ "nan", -1 }, { "inf", -1 }, { "1e999", -1 }, { "4e1", -1 },
		{ "0x2e", -1 }, { "46.", -1 }, { ".5", -1 },
		{ "1111111111111111111111111111111111111111111111111111111"
		    "1111111111", -1 },
	};
	size_t i;
	double d;
	int rc;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		d = -2;
		rc = fitbit_vo2max_value(v[i].text, &d);
		if (v[i].want < 0 ? rc != -1 : rc != 0 || d != v[i].want) {
			printf("# vo2max '%s': %d %g\n", v[i].text, rc, d);
			CHECK(!"vo2max value as wanted");
		} else
			CHECK(1);
	}
	CHECK(fitbit_vo2max_value(NULL, &d) == -1);
}

/* ---- malformed answers: -1, a clear message, nothing appended ---- */

struct bad_case {
	int p;
	const char *fixture;
	const char *zone;
	const char *msg;
};

static const struct bad_case bad[] = {
	{ P_HEART, "fitbit_truncated.json", ZONE,
	    "'heart' intraday: invalid JSON" },
	{ P_HEART, "fitbit_intraday_heart_not_list.json", ZONE,
	    "'heart' intraday: no 'activities-heart-intraday.dataset' list" },
	{ P_STEPS, "fitbit_spo2.json", ZONE,
	    "'steps' intraday: not an object" },
	{ P_STEPS, "fitbit_html.json", ZONE, "'steps' intraday: invalid JSON" },
	{ P_SLEEP, "fitbit_truncated.json", ZONE, "sleep: invalid JSON" },
	{ P_SLEEP, "fitbit_sleep_not_list.json", ZONE,
	    "sleep: no 'sleep' list" },
	{ P_SLEEP, "fitbit_spo2.json", ZONE, "sleep: no 'sleep' list" },
	{ P_SLEEP, "fitbit_sleep_stages.json", "Mars/Olympus",
	    "sleep: unknown time zone 'Mars/Olympus'" },
	{ P_SPO2, "fitbit_malformed.json", ZONE, "spo2: invalid JSON" },
	{ P_SPO2, "fitbit_spo2_not_list.json", ZONE, "spo2: not a list" },
	{ P_HRV, "fitbit_br.json", ZONE, "hrv: no 'hrv' list" },
	{ P_HRV, "fitbit_hrv_not_list.json", ZONE, "hrv: no 'hrv' list" },
	{ P_HRV, "fitbit_spo2.json", ZONE, "hrv: no 'hrv' list" },
	{ P_BR, "fitbit_truncated.json", ZONE, "br: invalid JSON" },
	{ P_TEMP, "fitbit_hrv.json", ZONE,
	    "skin temperature: no 'tempSkin' list" },
	{ P_VO2, "fitbit_html.json", ZONE, "vo2max: invalid JSON" },
	{ P_AZM, "fitbit_series_steps.json", ZONE,
	    "azm: no 'activities-active-zone-minutes' list" },
	{ P_WEIGHT, "fitbit_fat.json", ZONE, "weight: no 'weight' list" },
	{ P_FAT, "fitbit_truncated.json", ZONE, "fat: invalid JSON" },
	{ P_DEVICES, "fitbit_profile.json", ZONE, "devices: not a list" },
	{ P_DEVICES, "fitbit_malformed.json", ZONE, "devices: invalid JSON" },
	{ P_DEVICES, "fitbit_devices.json", "../etc/passwd",
	    "devices: unknown time zone '../etc/passwd'" },
};

static void
test_bad(void)
{
	const struct bad_case *c;
	struct samples s;
	struct err err;
	size_t i, len;
	char *json;

	samples_init(&s);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		c = &bad[i];
		json = fixture(c->fixture, &len);
		samples_clear(&s);
		/* one sample already there: it must stay, alone */
		samples_add(&s, "fitbit_steps_total", md(1101), 1, NULL);
		err_clear(&err);
		CHECK(run(c->p, json, len, 1101, 1130, c->zone, &s,
		    &err) == -1);
		CHECK(s.len == 1 && s.v[0].day == md(1101));
		if (strcmp(err.msg, c->msg) != 0) {
			printf("# case %zu: '%s'\n", i, err.msg);
			CHECK(!"error message as wanted");
		}
		free(json);
	}
	samples_release(&s);
}

/* Every good answer cut in half or empty: -1 and nothing appended. */
static void
test_cut_short(void)
{
	struct samples s;
	struct err err;
	size_t i, len;
	char *json;

	samples_init(&s);
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		json = fixture(good[i].fixture, &len);
		err_clear(&err);
		CHECK(run(good[i].p, json, len / 2, 1101, 1130, ZONE, &s,
		    &err) == -1);
		CHECK(s.len == 0 && err.set);
		err_clear(&err);
		CHECK(run(good[i].p, json, 0, 1101, 1130, ZONE, &s,
		    &err) == -1);
		CHECK(s.len == 0 && err.set);
		free(json);
	}
	err_clear(&err);
	CHECK(fitbit_parse_intraday("{}", 2, "calories", md(1119), &s,
	    &err) == -1);
	CHECK(strcmp(err.msg, "unknown intraday resource 'calories'") == 0);
	samples_release(&s);
}

void
suite_fitbit_parse(void)
{
	test_good();
	test_instants();
	test_appends();
	test_no_intraday();
	test_vo2max_value();
	test_bad();
	test_cut_short();
}
