/*
 * fitbit: the legacy Fitbit Web API's JSON -> SPEC samples (names, units,
 * labels, days), string numbers, missing/null/wrong-typed fields (no
 * sample, never a made-up 0), malformed answers, error bodies reduced to
 * identifiers, and the history kinds with their request cost.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "civil.h"
#include "source/driver.h"
#include "source/fitbit/fitbit.h"
#include "helpers.h"
#include "t.h"

#define NOV(d) civil_from_ymd(2026, 11, (d))

struct want {
	const char *metric;
	const char *lvalue;		/* NULL: no label */
	int nov;			/* day of November 2026 */
	double value;
};

#define MAXW 20

/* The label name SPEC gives each labelled metric. */
static const char *
lname_of(const char *metric)
{
	if (strcmp(metric, "fitbit_active_minutes") == 0)
		return "type";
	if (strncmp(metric, "fitbit_heart_rate_zone_", 23) == 0)
		return "zone";
	return NULL;
}

static int
matches(const struct sample *s, const struct want *w)
{
	const char *ln = lname_of(w->metric);

	if (strcmp(s->metric, w->metric) != 0 || s->day != NOV(w->nov))
		return 0;
	if (w->lvalue == NULL)
		return s->lname[0] == NULL && s->lvalue[0][0] == '\0';
	return s->lname[0] != NULL && ln != NULL &&
	    strcmp(s->lname[0], ln) == 0 && strcmp(s->lvalue[0], w->lvalue) == 0;
}

/* Exactly the wanted samples (any order), each once, exact values. */
static int
same_samples(const struct samples *got, size_t base, const struct want *w,
    size_t n)
{
	size_t i, j, hits;

	if (got->len - base != n)
		return 0;
	for (i = 0; i < n; i++) {
		hits = 0;
		for (j = base; j < got->len; j++)
			if (matches(&got->v[j], &w[i])) {
				if (got->v[j].value != w[i].value ||
				    got->v[j].ts_ms != 0 || got->v[j].lname[1])
					return 0;
				hits++;
			}
		if (hits != 1) {
			printf("# missing %s{%s} day %d = %g\n", w[i].metric,
			    w[i].lvalue ? w[i].lvalue : "", w[i].nov,
			    w[i].value);
			return 0;
		}
	}
	return 1;
}

/* ---- daily summary ---- */

#define DAY_ZONES(d, m0, m1, m2, m3, c0, c1, c2, c3) \
	{ "fitbit_heart_rate_zone_minutes", "out_of_range", d, m0 }, \
	{ "fitbit_heart_rate_zone_minutes", "fat_burn", d, m1 }, \
	{ "fitbit_heart_rate_zone_minutes", "cardio", d, m2 }, \
	{ "fitbit_heart_rate_zone_minutes", "peak", d, m3 }, \
	{ "fitbit_heart_rate_zone_calories", "out_of_range", d, c0 }, \
	{ "fitbit_heart_rate_zone_calories", "fat_burn", d, c1 }, \
	{ "fitbit_heart_rate_zone_calories", "cardio", d, c2 }, \
	{ "fitbit_heart_rate_zone_calories", "peak", d, c3 }

#define DAY_FULL_20 \
	{ "fitbit_steps_total", NULL, 20, 8123 }, \
	{ "fitbit_distance_km", NULL, 20, 6.12 }, \
	{ "fitbit_calories_total", NULL, 20, 2361 }, \
	{ "fitbit_floors_total", NULL, 20, 10 }, \
	{ "fitbit_elevation_meters", NULL, 20, 30.48 }, \
	{ "fitbit_active_minutes", "sedentary", 20, 700 }, \
	{ "fitbit_active_minutes", "lightly_active", 20, 220 }, \
	{ "fitbit_active_minutes", "fairly_active", 20, 21 }, \
	{ "fitbit_active_minutes", "very_active", 20, 12 }, \
	{ "fitbit_resting_heart_rate_bpm", NULL, 20, 58 }, \
	DAY_ZONES(20, 1300, 95, 17, 4, 1500.1, 612.25, 190.5, 58.15)

struct day_case {
	const char *fixture;
	size_t n;
	struct want w[MAXW];
};

static const struct day_case day_cases[] = {
	/* "total" is not the first distances[] entry */
	{ "fitbit_day_full.json", 18, { DAY_FULL_20 } },
	/* every number a string: the same values */
	{ "fitbit_day_strings.json", 18, { DAY_FULL_20 } },
	/* a Charge 6: no floors, no elevation */
	{ "fitbit_day_no_altimeter.json", 16, {
	    { "fitbit_steps_total", NULL, 20, 6001 },
	    { "fitbit_distance_km", NULL, 20, 4.5 },
	    { "fitbit_calories_total", NULL, 20, 2330 },
	    { "fitbit_active_minutes", "sedentary", 20, 760 },
	    { "fitbit_active_minutes", "lightly_active", 20, 180 },
	    { "fitbit_active_minutes", "fairly_active", 20, 5 },
	    { "fitbit_active_minutes", "very_active", 20, 0 },
	    { "fitbit_resting_heart_rate_bpm", NULL, 20, 61 },
	    DAY_ZONES(20, 1380, 40, 0, 0, 1720.4, 300, 0, 0) } },
	/* not worn: no restingHeartRate, zones without minutes/caloriesOut;
	 * the API's own zeros stay */
	{ "fitbit_day_no_rhr.json", 9, {
	    { "fitbit_steps_total", NULL, 20, 0 },
	    { "fitbit_distance_km", NULL, 20, 0 },
	    { "fitbit_calories_total", NULL, 20, 1702 },
	    { "fitbit_floors_total", NULL, 20, 0 },
	    { "fitbit_elevation_meters", NULL, 20, 0 },
	    { "fitbit_active_minutes", "sedentary", 20, 1440 },
	    { "fitbit_active_minutes", "lightly_active", 20, 0 },
	    { "fitbit_active_minutes", "fairly_active", 20, 0 },
	    { "fitbit_active_minutes", "very_active", 20, 0 } } },
	/* nulls everywhere but sedentaryMinutes */
	{ "fitbit_day_nulls.json", 1, {
	    { "fitbit_active_minutes", "sedentary", 20, 1440 } } },
	/* booleans, objects, lists, "10 floors", " 700", "", "NaN", -1,
	 * "0x1f", RHR 0, a numeric zone name, a zone twice, an unknown
	 * zone, a non-object zone: only the first Cardio survives */
	{ "fitbit_day_wrong_types.json", 2, {
	    { "fitbit_heart_rate_zone_minutes", "cardio", 20, 17 },
	    { "fitbit_heart_rate_zone_calories", "cardio", 20, 190.5 } } },
};

static void
test_day_cases(void)
{
	const struct day_case *c;
	struct samples s;
	struct err err;
	size_t i, len;
	char *json;

	for (i = 0; i < sizeof(day_cases) / sizeof(day_cases[0]); i++) {
		c = &day_cases[i];
		json = fixture(c->fixture, &len);
		samples_init(&s);
		err_clear(&err);
		CHECK(fitbit_parse_day(json, len, NOV(20), &s, &err) == 0);
		CHECK(!err.set);
		if (!same_samples(&s, 0, c->w, c->n)) {
			printf("# case %s: %zu samples\n", c->fixture, s.len);
			CHECK(!"day samples as wanted");
		}
		samples_release(&s);
		free(json);
	}
}

static void
test_day_absent(void)
{
	struct samples s;
	struct err err = { 0 };
	size_t len, i;
	char *json = fixture("fitbit_day_no_altimeter.json", &len);

	samples_init(&s);
	CHECK(fitbit_parse_day(json, len, NOV(20), &s, &err) == 0);
	/* tagged with COLLECT's group: heart rate "heart", the rest
	 * "activity" */
	for (i = 0; i < s.len; i++)
		CHECK(strcmp(s.v[i].group, strncmp(s.v[i].metric,
		    "fitbit_heart_rate_zone_", 23) == 0 || strcmp(s.v[i].metric,
		    "fitbit_resting_heart_rate_bpm") == 0 ? "heart" :
		    "activity") == 0);
	CHECK(t_find(&s, "fitbit_heart_rate_zone_minutes", NULL,
	    T_ANY_DAY)->group[0] == 'h');
	CHECK(t_find(&s, "fitbit_floors_total", NULL, T_ANY_DAY) == NULL);
	CHECK(t_find(&s, "fitbit_elevation_meters", NULL, T_ANY_DAY) == NULL);
	free(json);
	samples_clear(&s);
	json = fixture("fitbit_day_no_rhr.json", &len);
	CHECK(fitbit_parse_day(json, len, NOV(20), &s, &err) == 0);
	CHECK(t_find(&s, "fitbit_resting_heart_rate_bpm", NULL,
	    T_ANY_DAY) == NULL);
	CHECK(t_find(&s, "fitbit_heart_rate_zone_minutes", NULL,
	    T_ANY_DAY) == NULL);
	CHECK(t_find(&s, "fitbit_heart_rate_zone_calories", NULL,
	    T_ANY_DAY) == NULL);
	free(json);
	samples_clear(&s);
	/* distances without a "total" entry: no distance, not tracker's */
	json = fixture("fitbit_day_wrong_types.json", &len);
	CHECK(fitbit_parse_day(json, len, NOV(20), &s, &err) == 0);
	CHECK(t_find(&s, "fitbit_distance_km", NULL, T_ANY_DAY) == NULL);
	CHECK(t_find(&s, "fitbit_steps_total", NULL, T_ANY_DAY) == NULL);
	CHECK(t_find(&s, "fitbit_heart_rate_zone_minutes",
	    "out_of_range", T_ANY_DAY) == NULL);
	free(json);
	samples_release(&s);
}

/* ---- range series ---- */

struct series_case {
	const char *resource;		/* NULL: the heart series */
	const char *fixture;
	int from, to;
	size_t n;
	struct want w[MAXW];
};

static const struct series_case series_cases[] = {
	/* values are strings; a "0" is the API's zero and stays */
	{ "steps", "fitbit_series_steps.json", 18, 21, 4, {
	    { "fitbit_steps_total", NULL, 18, 0 },
	    { "fitbit_steps_total", NULL, 19, 2504 },
	    { "fitbit_steps_total", NULL, 20, 3723 },
	    { "fitbit_steps_total", NULL, 21, 11045 } } },
	/* only the days asked for */
	{ "steps", "fitbit_series_steps.json", 19, 20, 2, {
	    { "fitbit_steps_total", NULL, 19, 2504 },
	    { "fitbit_steps_total", NULL, 20, 3723 } } },
	{ "distance", "fitbit_series_distance.json", 1, 30, 2, {
	    { "fitbit_distance_km", NULL, 19, 1.8424700000000001 },
	    { "fitbit_distance_km", NULL, 20, 2.7393 } } },
	{ "elevation", "fitbit_series_elevation.json", 19, 20, 2, {
	    { "fitbit_elevation_meters", NULL, 19, 30.48 },
	    { "fitbit_elevation_meters", NULL, 20, 9.14 } } },
	{ "minutesVeryActive", "fitbit_series_very_active.json", 19, 20, 2, {
	    { "fitbit_active_minutes", "very_active", 19, 12 },
	    { "fitbit_active_minutes", "very_active", 20, 0 } } },
	/* null, "", "abc", no value, a day twice (first wins), bad dates,
	 * a non-object entry, "-3", "1e3"; a JSON number is fine */
	{ "calories", "fitbit_series_bad_values.json", 1, 30, 2, {
	    { "fitbit_calories_total", NULL, 19, 2100 },
	    { "fitbit_calories_total", NULL, 20, 1984 } } },
	{ "steps", "fitbit_series_empty.json", 1, 30, 0, { { 0 } } },
	/* resting HR, zones; a day without RHR; zones without minutes; string
	 * numbers; value null; zones not a list */
	{ NULL, "fitbit_heart.json", 1, 30, 20, {
	    { "fitbit_resting_heart_rate_bpm", NULL, 18, 68 },
	    DAY_ZONES(18, 593, 31, 0, 0, 732.96, 240.34, 0, 0),
	    DAY_ZONES(19, 1290, 70, 11, 2, 1801.5, 410.25, 120, 33.5),
	    { "fitbit_resting_heart_rate_bpm", NULL, 21, 59 },
	    { "fitbit_heart_rate_zone_minutes", "out_of_range", 21, 1000 },
	    { "fitbit_heart_rate_zone_calories", "out_of_range", 21,
		1000.5 } } },
	{ NULL, "fitbit_heart.json", 19, 19, 8, {
	    DAY_ZONES(19, 1290, 70, 11, 2, 1801.5, 410.25, 120, 33.5) } },
	{ NULL, "fitbit_heart.json", 20, 20, 0, { { 0 } } },
};

static int
parse_range(const char *resource, const char *json, size_t len, int from,
    int to, struct samples *s, struct err *err)
{
	if (resource == NULL)
		return fitbit_parse_heart(json, len, NOV(from), NOV(to), s,
		    err);
	return fitbit_parse_series(json, len, resource, NOV(from), NOV(to), s,
	    err);
}

static void
test_series_cases(void)
{
	const struct series_case *c;
	struct samples s;
	struct err err;
	size_t i, len;
	char *json;

	for (i = 0; i < sizeof(series_cases) / sizeof(series_cases[0]); i++) {
		c = &series_cases[i];
		json = fixture(c->fixture, &len);
		samples_init(&s);
		err_clear(&err);
		CHECK(parse_range(c->resource, json, len, c->from, c->to, &s,
		    &err) == 0);
		CHECK(!err.set);
		if (!same_samples(&s, 0, c->w, c->n)) {
			printf("# case %s [%d, %d]: %zu samples\n", c->fixture,
			    c->from, c->to, s.len);
			CHECK(!"range samples as wanted");
		}
		samples_release(&s);
		free(json);
	}
}

/* ---- malformed answers: -1, a clear message, nothing appended ---- */

struct bad_case {
	int what;			/* 0 day, 1 series, 2 heart, 3 profile */
	const char *resource;
	const char *fixture;
	const char *msg;
};

static const struct bad_case bad_cases[] = {
	{ 0, NULL, "fitbit_malformed.json", "day '2026-11-20': invalid JSON" },
	{ 0, NULL, "fitbit_truncated.json", "day '2026-11-20': invalid JSON" },
	{ 0, NULL, "fitbit_html.json", "day '2026-11-20': invalid JSON" },
	{ 0, NULL, "fitbit_day_no_summary.json",
	    "day '2026-11-20': no 'summary' object" },
	{ 0, NULL, "fitbit_day_summary_array.json",
	    "day '2026-11-20': no 'summary' object" },
	{ 0, NULL, "fitbit_series_steps.json",
	    "day '2026-11-20': no 'summary' object" },
	{ 1, "steps", "fitbit_truncated.json", "'steps' series: invalid JSON" },
	{ 1, "steps", "fitbit_malformed.json", "'steps' series: invalid JSON" },
	{ 1, "steps", "fitbit_series_wrong_key.json",
	    "'steps' series: no 'activities-steps' list" },
	{ 1, "steps", "fitbit_series_not_list.json",
	    "'steps' series: no 'activities-steps' list" },
	{ 1, "distance", "fitbit_series_steps.json",
	    "'distance' series: no 'activities-distance' list" },
	{ 1, "heart", "fitbit_heart.json", "unknown time series 'heart'" },
	{ 1, "activityCalories", "fitbit_series_steps.json",
	    "unknown time series 'activityCalories'" },
	{ 2, NULL, "fitbit_truncated.json", "'heart' series: invalid JSON" },
	{ 2, NULL, "fitbit_series_steps.json",
	    "'heart' series: no 'activities-heart' list" },
	{ 2, NULL, "fitbit_error_google_403.json",
	    "'heart' series: no 'activities-heart' list" },
	{ 3, NULL, "fitbit_truncated.json", "profile: invalid JSON" },
	{ 3, NULL, "fitbit_day_full.json", "profile: no 'user' object" },
	{ 3, NULL, "fitbit_profile_no_zone.json",
	    "profile: no 'user.timezone'" },
	{ 3, NULL, "fitbit_profile_zone_number.json",
	    "profile: no 'user.timezone'" },
	{ 3, NULL, "fitbit_profile_bad_zone.json",
	    "profile: 'user.timezone' is unknown to the tz database" },
};

static void
test_bad_cases(void)
{
	const struct bad_case *c;
	struct samples s;
	struct profile p;
	struct err err;
	size_t i, len;
	char *json;
	int rc;

	samples_init(&s);
	for (i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		c = &bad_cases[i];
		json = fixture(c->fixture, &len);
		samples_clear(&s);
		/* one sample already there: it must stay, alone */
		samples_add(&s, "fitbit_steps_total", NOV(1), 1, NULL);
		err_clear(&err);
		if (c->what == 0)
			rc = fitbit_parse_day(json, len, NOV(20), &s, &err);
		else if (c->what == 1)
			rc = fitbit_parse_series(json, len, c->resource, NOV(1),
			    NOV(30), &s, &err);
		else if (c->what == 2)
			rc = fitbit_parse_heart(json, len, NOV(1), NOV(30), &s,
			    &err);
		else
			rc = fitbit_parse_profile(json, len, &p, &err);
		CHECK(rc == -1);
		CHECK(s.len == 1 && s.v[0].day == NOV(1));
		if (strcmp(err.msg, c->msg) != 0) {
			printf("# case %zu: '%s'\n", i, err.msg);
			CHECK(!"error message as wanted");
		}
		free(json);
	}
	samples_release(&s);
}

/* A length that cuts a valid answer short, and empty input. */
static void
test_cut_short(void)
{
	struct samples s;
	struct err err = { 0 };
	size_t len;
	char *json = fixture("fitbit_day_full.json", &len);

	samples_init(&s);
	CHECK(fitbit_parse_day(json, len / 2, NOV(20), &s, &err) == -1);
	CHECK(s.len == 0);
	err_clear(&err);
	CHECK(fitbit_parse_day(json, 0, NOV(20), &s, &err) == -1);
	CHECK(strcmp(err.msg, "day '2026-11-20': invalid JSON") == 0);
	err_clear(&err);
	CHECK(fitbit_parse_series("", 0, "steps", 0, 1, &s, &err) == -1);
	CHECK(s.len == 0);
	samples_release(&s);
	free(json);
}

/* ---- profile ---- */

struct profile_case {
	const char *fixture;
	const char *zone;
	int y, m, d;			/* memberSince; y 0: unknown */
};

static const struct profile_case profile_cases[] = {
	{ "fitbit_profile.json", "Europe/Berlin", 2020, 1, 1 },
	{ "fitbit_profile_no_since.json", "America/Los_Angeles", 0, 0, 0 },
	{ "fitbit_profile_bad_since.json", "Asia/Tokyo", 0, 0, 0 },
};

static void
test_profile(void)
{
	const struct profile_case *c;
	struct profile p;
	struct err err;
	size_t i, len;
	char *json;

	for (i = 0; i < sizeof(profile_cases) / sizeof(profile_cases[0]);
	    i++) {
		c = &profile_cases[i];
		json = fixture(c->fixture, &len);
		memset(&p, 0, sizeof(p));
		err_clear(&err);
		CHECK(fitbit_parse_profile(json, len, &p, &err) == 0);
		CHECK(strcmp(p.zone, c->zone) == 0);
		CHECK(p.member_since == (c->y == 0 ? -1 :
		    civil_from_ymd(c->y, c->m, c->d)));
		free(json);
	}
}

/* ---- error bodies ---- */

struct error_case {
	const char *fixture;
	int rc;
	const char *type;
	const char *status;
	int google;
};

static const struct error_case error_cases[] = {
	{ "fitbit_error_expired_token.json", 0, "expired_token", "", 0 },
	{ "fitbit_error_invalid_token.json", 0, "invalid_token", "", 0 },
	{ "fitbit_error_invalid_grant.json", 0, "invalid_grant", "", 0 },
	{ "fitbit_error_rate.json", 0, "system", "", 0 },
	{ "fitbit_error_insufficient.json", 0, "insufficient_permissions", "",
	    0 },
	{ "fitbit_error_validation.json", 0, "validation", "", 0 },
	/* not an identifier: nothing of it is kept */
	{ "fitbit_error_hostile.json", 0, "", "", 0 },
	{ "fitbit_error_empty_list.json", 0, "", "", 0 },
	{ "fitbit_error_google_403.json", 0, "", "PERMISSION_DENIED", 1 },
	{ "fitbit_malformed.json", -1, "", "", 0 },
	{ "fitbit_html.json", -1, "", "", 0 },
	{ "fitbit_profile.json", -1, "", "", 0 },
};

static void
test_errors(void)
{
	const struct error_case *c;
	struct fitbit_error fe;
	struct err err;
	size_t i, len;
	char *json;

	for (i = 0; i < sizeof(error_cases) / sizeof(error_cases[0]); i++) {
		c = &error_cases[i];
		json = fixture(c->fixture, &len);
		err_clear(&err);
		CHECK(fitbit_parse_error(json, len, &fe, &err) == c->rc);
		CHECK(strcmp(fe.type, c->type) == 0);
		CHECK(strcmp(fe.status, c->status) == 0);
		CHECK(fe.google == c->google);
		CHECK(c->rc == 0 ? !err.set : err.set);
		/* no token or message text ever leaves the parser */
		CHECK(strstr(err.msg, "eyJ") == NULL);
		free(json);
	}
	err_clear(&err);
	json = fixture("fitbit_html.json", &len);
	fitbit_parse_error(json, len, &fe, &err);
	CHECK(strcmp(err.msg, "error body: invalid JSON") == 0);
	free(json);
	err_clear(&err);
	json = fixture("fitbit_profile.json", &len);
	fitbit_parse_error(json, len, &fe, &err);
	CHECK(strcmp(err.msg, "error body: neither Fitbit's nor Google's "
	    "shape") == 0);
	free(json);
}

/* ---- the source without a network: kinds, cost, argument checks ---- */

static void
test_source(void)
{
	/* research/fitbit.md B.3: the largest range each endpoint allows */
	static const struct { const char *name, *group; int max; unsigned f; }
	    want[] = {
		{ "steps", "activity", 1095, KIND_IN_DAYS },
		{ "distance", "activity", 1095, KIND_IN_DAYS },
		{ "calories", "activity", 1095, KIND_IN_DAYS },
		{ "floors", "activity", 1095, KIND_IN_DAYS },
		{ "elevation", "activity", 1095, KIND_IN_DAYS },
		{ "minutesSedentary", "activity", 1095, KIND_IN_DAYS },
		{ "minutesLightlyActive", "activity", 1095, KIND_IN_DAYS },
		{ "minutesFairlyActive", "activity", 1095, KIND_IN_DAYS },
		{ "minutesVeryActive", "activity", 1095, KIND_IN_DAYS },
		{ "heart", "heart", 365, KIND_IN_DAYS },
		{ "azm", "azm", 1095, 0 },
		{ "sleep", "sleep", 100, KIND_WAKE },
		{ "spo2", "spo2", 30, KIND_WAKE },
		{ "hrv", "hrv", 30, KIND_WAKE },
		{ "br", "breathing", 30, KIND_WAKE },
		{ "temp", "temperature", 30, KIND_WAKE },
		{ "vo2max", "vo2max", 30, KIND_WAKE },
		{ "weight", "weight", 31, KIND_SLOW },
		{ "fat", "weight", 30, KIND_SLOW },
		{ "exercise", "exercise", 365, 0 },
		{ "devices", "devices", 1, KIND_CURRENT },
		{ "heart_intraday", "intraday", 1, KIND_INTRADAY },
		{ "steps_intraday", "intraday", 1, KIND_INTRADAY },
	};
	struct source_settings cfg = { "http://127.0.0.1:9/", NULL, NULL,
	    NULL, 0 };
	struct source *src = fitbit_new(&cfg);
	const struct source_kind *k;
	struct source_budget b;
	struct samples s;
	struct err err = { 0 };
	struct profile p;
	size_t n, i, cost = 0;

	CHECK(src != NULL && strcmp(src->ops->name, "fitbit") == 0);
	k = src->ops->kinds(src, &n);
	CHECK(n == sizeof(want) / sizeof(want[0]));
	for (i = 0; i < n && i < sizeof(want) / sizeof(want[0]); i++) {
		CHECK(strcmp(k[i].name, want[i].name) == 0);
		CHECK(strcmp(k[i].group, want[i].group) == 0);
		CHECK(k[i].max_days == want[i].max);
		CHECK(k[i].flags == want[i].f);
		/* three years of daily activity, oldest first, in chunks */
		if (k[i].flags & KIND_IN_DAYS)
			cost += (size_t)((3 * 365 + k[i].max_days - 1) /
			    k[i].max_days);
	}
	CHECK(cost == 12);	/* + profile.json = 13 <= 14 */
	memset(&b, 1, sizeof(b));
	src->ops->budget(src, &b);
	CHECK(b.known == 0);
	memset(&p, 0, sizeof(p));
	samples_init(&s);
	CHECK(src->ops->range(src, &p, n, NOV(1), NOV(2), &s, &err) == -1);
	CHECK(strncmp(err.msg, "no history kind ", 16) == 0);
	err_clear(&err);
	CHECK(src->ops->range(src, &p, 9, NOV(1), NOV(1) + 365, &s,
	    &err) == -1);
	CHECK(strcmp(err.msg, "'heart': a range of 366 days (1 to 365)") == 0);
	err_clear(&err);
	CHECK(src->ops->range(src, &p, 0, NOV(2), NOV(1), &s, &err) == -1);
	CHECK(src->ops->requests(src) == 0);	/* refused before any request */
	CHECK(s.len == 0);
	samples_release(&s);
	src->ops->free(src);
}

void
suite_fitbit(void)
{
	test_day_cases();
	test_day_absent();
	test_series_cases();
	test_bad_cases();
	test_cut_short();
	test_profile();
	test_errors();
	test_source();
}
