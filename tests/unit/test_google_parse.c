/*
 * google_parse: Google Health API list and rollUp pages -> SPEC samples
 * (names, labels, units, days, instants), paging tokens, the main-sleep
 * rule across pages, hostile answers, RFC 3339 times.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "civil.h"
#include "source/google/google_parse.h"
#include "helpers.h"
#include "t.h"

#define NOV(d) civil_from_ymd(2026, 11, (d))
#define OCT(d) civil_from_ymd(2026, 10, (d))
#define NO_TS -1
#define N(a) (sizeof(a) / sizeof((a)[0]))

#define DUR "fitbit_sleep_duration_seconds"
#define STG "fitbit_sleep_stage_seconds"
#define EFF "fitbit_sleep_efficiency_ratio"
#define LVL "fitbit_sleep_stage_level"

/*
 * One expected sample of 2026: a daily one (h NO_TS: day mo-d, ts_ms 0),
 * or an instant (mo-d h:mi UTC, and day its UTC day).
 */
struct want {
	const char *metric;
	const char *labels;		/* "stat=avg", "a=b,c=d", "" */
	int mo, d, h, mi;
	double value;
};

static int64_t
utc_ms(int mo, int d, int h, int mi)
{
	return ((int64_t)civil_from_ymd(2026, mo, d) * 86400 + h * 3600 +
	    mi * 60) * 1000;
}

static void
labels(const struct sample *x, char *buf, size_t size)
{
	size_t i, n = 0;

	buf[0] = '\0';
	for (i = 0; i < SAMPLE_LABELS && x->lname[i] != NULL; i++)
		n += snprintf(buf + n, size - n, "%s%s=%s", i ? "," : "",
		    x->lname[i], x->lvalue[i]);
}

static int
matches(const struct sample *x, const struct want *w)
{
	char l[160];
	int64_t ts = w->h == NO_TS ? 0 : utc_ms(w->mo, w->d, w->h, w->mi);

	labels(x, l, sizeof(l));
	/* a hypnogram point's day is its wake day: test_hypnogram_days */
	return strcmp(x->metric, w->metric) == 0 && strcmp(l, w->labels) == 0 &&
	    (x->day == civil_from_ymd(2026, w->mo, w->d) ||
	    strcmp(x->metric, LVL) == 0) && x->ts_ms == ts &&
	    t_near(x->value, w->value);
}

/* out[base..] holds exactly the n samples of w (in any order). */
static void
check_exact(const struct samples *out, size_t base, const struct want *w,
    size_t n, const char *what)
{
	size_t i, j, hits;

	CHECK(out->len - base == n);
	if (out->len - base != n)
		printf("# %s: %zu samples, want %zu\n", what, out->len - base,
		    n);
	for (i = 0; i < n; i++) {
		for (j = base, hits = 0; j < out->len; j++)
			hits += matches(&out->v[j], &w[i]);
		CHECK(hits == 1);
		if (hits != 1)
			printf("# %s: %s {%s} %d-%d %d:%d = %g seen %zu times\n",
			    what, w[i].metric, w[i].labels, w[i].mo, w[i].d,
			    w[i].h, w[i].mi, w[i].value, hits);
	}
}

/* ---- minutes ---- */

static const struct want heart_minutes[] = {
	{ "fitbit_heart_rate_bpm", "", 11, 19, 23, 58, 64.5 },
	{ "fitbit_heart_rate_bpm", "", 11, 20, 0, 0, 61.25 },
};
static const struct want steps_minutes[] = {
	{ "fitbit_intraday_steps", "", 11, 20, 8, 0, 112 },
	{ "fitbit_intraday_steps", "", 11, 20, 8, 1, 0 },	/* {}: zero */
	{ "fitbit_intraday_steps", "", 11, 20, 8, 3, 7 },
};
static const struct want steps_hostile[] = {
	{ "fitbit_intraday_steps", "", 11, 20, 8, 5, 9 },
};

static void
test_minutes(void)
{
	static const struct {
		const char *type, *fixture, *token;
		const struct want *w;
		size_t n;
	} cases[] = {
		/* the window without heartRate and the one without an
		 * average have no sample */
		{ "heart-rate", "google_minutes_heart.json",
		    "cm9sbHVwLXBhZ2UtMg", heart_minutes, N(heart_minutes) },
		{ "steps", "google_minutes_steps.json", "", steps_minutes,
		    N(steps_minutes) },
		/* negative, 1e999, true, hex, null: no sample */
		{ "steps", "google_minutes_steps_hostile.json", "",
		    steps_hostile, N(steps_hostile) },
	};
	struct samples out;
	struct err err = { 0 };
	char next[64], *json;
	size_t i, len;

	samples_init(&out);
	for (i = 0; i < N(cases); i++) {
		samples_clear(&out);
		json = fixture(cases[i].fixture, &len);
		CHECK(google_parse_minutes(cases[i].type, json, len, &out,
		    next, sizeof(next), &err) == 0);
		CHECK(strcmp(next, cases[i].token) == 0);
		check_exact(&out, 0, cases[i].w, cases[i].n, cases[i].fixture);
		free(json);
	}

	/* a window whose startTime is not RFC 3339: nothing appended */
	json = fixture("google_minutes_heart_bad_time.json", &len);
	CHECK(google_parse_minutes("heart-rate", json, len, &out, next,
	    sizeof(next), &err) == -1);
	CHECK(strcmp(err.msg, "'heart-rate': a point without a valid "
	    "'startTime'") == 0);
	CHECK(out.len == 1);	/* the hostile case's sample, untouched */
	free(json);
	err_clear(&err);
	CHECK(google_parse_minutes("weight", "{}", 2, &out, next,
	    sizeof(next), &err) == -1);
	CHECK(strcmp(err.msg, "unknown data type 'weight'") == 0);
	samples_release(&out);
}

/* ---- daily and sample lists ---- */

static const struct want spo2[] = {
	{ "fitbit_spo2_percent", "stat=avg", 11, 21, NO_TS, 0, 95.5 },
	{ "fitbit_spo2_percent", "stat=min", 11, 21, NO_TS, 0, 92 },
	{ "fitbit_spo2_percent", "stat=max", 11, 21, NO_TS, 0, 99 },
	/* the first record of the 20th wins; it has no upper bound */
	{ "fitbit_spo2_percent", "stat=avg", 11, 20, NO_TS, 0, 96.25 },
	{ "fitbit_spo2_percent", "stat=min", 11, 20, NO_TS, 0, 93.5 },
	{ "fitbit_spo2_percent", "stat=avg", 11, 16, NO_TS, 0, 94 },
	{ "fitbit_spo2_percent", "stat=min", 11, 16, NO_TS, 0, 90 },
	{ "fitbit_spo2_percent", "stat=max", 11, 16, NO_TS, 0, 97 },
};
static const struct want hrv[] = {
	{ "fitbit_hrv_rmssd_ms", "period=daily", 11, 21, NO_TS, 0, 34.5 },
	{ "fitbit_hrv_rmssd_ms", "period=deep", 11, 21, NO_TS, 0, 30.125 },
	{ "fitbit_hrv_rmssd_ms", "period=daily", 11, 20, NO_TS, 0, 41.25 },
};
static const struct want br[] = {
	{ "fitbit_breathing_rate_per_minute", "", 11, 21, NO_TS, 0, 15.2 },
	{ "fitbit_breathing_rate_per_minute", "", 11, 20, NO_TS, 0, 14.8 },
};
static const struct want temp[] = {
	{ "fitbit_skin_temperature_deviation_celsius", "", 11, 21, NO_TS, 0,
	    -0.375 },
	{ "fitbit_skin_temperature_deviation_celsius", "", 11, 20, NO_TS, 0,
	    0.25 },
};
static const struct want vo2[] = {
	{ "fitbit_vo2max", "", 11, 21, NO_TS, 0, 46.5 },
	{ "fitbit_vo2max", "", 11, 20, NO_TS, 0, 45 },
};
/* the evening weighing of the 21st (newest first), 23:30Z + 1 h on the
 * 19th is the 20th, 03:00Z - 5 h on the 19th is the 18th */
static const struct want weight[] = {
	{ "fitbit_weight_kg", "", 11, 21, NO_TS, 0, 72.4005 },
	{ "fitbit_weight_kg", "", 11, 20, NO_TS, 0, 73.1 },
	{ "fitbit_weight_kg", "", 11, 18, NO_TS, 0, 71 },
};
static const struct want fat[] = {
	{ "fitbit_body_fat_percent", "", 11, 21, NO_TS, 0, 21.4 },
	{ "fitbit_body_fat_percent", "", 11, 20, NO_TS, 0, 22.05 },
};
static const struct want spo2_hostile[] = {
	{ "fitbit_spo2_percent", "stat=avg", 11, 19, NO_TS, 0, 95 },
};
static const struct want rhr[] = {
	{ "fitbit_resting_heart_rate_bpm", "", 11, 24, NO_TS, 0, 58 },
	{ "fitbit_resting_heart_rate_bpm", "", 11, 22, NO_TS, 0, 61 },
	{ "fitbit_resting_heart_rate_bpm", "", 11, 21, NO_TS, 0, 59 },
};

static void
test_lists(void)
{
	static const struct {
		const char *type, *fixture;
		int from, to;		/* days of November */
		const char *token;
		const struct want *w;
		size_t n;
	} cases[] = {
		{ "daily-oxygen-saturation", "google_spo2.json", 16, 21,
		    "c3BvMi1wYWdlLTI", spo2, N(spo2) },
		{ "daily-oxygen-saturation", "google_spo2.json", 17, 21,
		    "c3BvMi1wYWdlLTI", spo2, 5 },
		{ "daily-heart-rate-variability", "google_hrv.json", 1, 30, "",
		    hrv, N(hrv) },
		{ "daily-respiratory-rate", "google_br.json", 1, 30, "", br,
		    N(br) },
		{ "daily-sleep-temperature-derivations", "google_temp.json", 1,
		    30, "", temp, N(temp) },
		{ "daily-vo2-max", "google_vo2.json", 1, 30, "", vo2, N(vo2) },
		{ "weight", "google_weight.json", 18, 21, "", weight,
		    N(weight) },
		{ "weight", "google_weight.json", 19, 19, "", NULL, 0 },
		{ "body-fat", "google_body_fat.json", 1, 30, "", fat, N(fat) },
		{ "daily-oxygen-saturation", "google_spo2_wrong_types.json", 1,
		    30, "", spo2_hostile, N(spo2_hostile) },
		{ "daily-resting-heart-rate", "google_rhr_page1.json", 19, 24,
		    "CjQKMgoEZGF0ZRIqGigKJgoHcGFnZS0y", rhr, N(rhr) },
		{ "daily-resting-heart-rate", "google_rhr_page2_empty.json", 1,
		    30, "CjQKMgoEZGF0ZRIqGigKJgoHcGFnZS0z", NULL, 0 },
	};
	struct samples out;
	struct err err = { 0 };
	char next[64], *json;
	size_t i, len;

	samples_init(&out);
	for (i = 0; i < N(cases); i++) {
		samples_clear(&out);
		json = fixture(cases[i].fixture, &len);
		CHECK(google_parse_list(cases[i].type, json, len,
		    NOV(cases[i].from), NOV(cases[i].to), &out, next,
		    sizeof(next), &err) == 0);
		CHECK(strcmp(next, cases[i].token) == 0);
		check_exact(&out, 0, cases[i].w, cases[i].n, cases[i].fixture);
		/* a second page with the same days adds nothing */
		CHECK(google_parse_list(cases[i].type, json, len,
		    NOV(cases[i].from), NOV(cases[i].to), &out, next,
		    sizeof(next), &err) == 0);
		CHECK(out.len == cases[i].n);
		free(json);
	}
	CHECK(!err.set);
	samples_release(&out);
}

/* -1, the message, nothing appended, no token. */
static void
test_lists_malformed(void)
{
	static const struct {
		const char *type, *fixture, *json, *msg;
	} cases[] = {
		{ "daily-heart-rate-variability", "google_hrv_not_json.json",
		    NULL, "'daily-heart-rate-variability' list: invalid JSON" },
		{ "daily-respiratory-rate", "google_br_truncated.json", NULL,
		    "'daily-respiratory-rate' list: invalid JSON" },
		{ "daily-vo2-max", "google_vo2_points_object.json", NULL,
		    "'daily-vo2-max' list: 'dataPoints' is not a list" },
		{ "daily-sleep-temperature-derivations",
		    "google_temp_bad_member.json", NULL,
		    "'daily-sleep-temperature-derivations': "
		    "'dailySleepTemperatureDerivations' is not an object" },
		{ "weight", "google_weight_bad_time.json", NULL,
		    "'weight': a point without a valid 'sampleTime'" },
		{ "daily-vo2-max", NULL, "{\"dataPoints\":[{\"dailyVo2Max\":"
		    "{\"date\":{\"year\":2026,\"month\":2,\"day\":29},"
		    "\"vo2Max\":40}}]}",
		    "'daily-vo2-max': a point without a valid 'date'" },
		{ "body-fat", NULL, "{\"dataPoints\":[{\"bodyFat\":null},1]}",
		    "'body-fat' list: 'dataPoints' holds a non-object" },
		{ "body-fat", NULL, "[{\"dataPoints\":[]}]",
		    "'body-fat' list: invalid JSON" },
		{ "body-fat", NULL, "{\"nextPageToken\":12}",
		    "'nextPageToken' is not a string" },
		{ "body-fat", "google_body_fat_long_token.json", NULL,
		    "'nextPageToken' is longer than 63 bytes" },
		{ "steps", "google_spo2.json", NULL,
		    "unknown data type 'steps'" },
	};
	struct samples out;
	struct err err;
	char next[64], *json;
	size_t i, len;

	samples_init(&out);
	for (i = 0; i < N(cases); i++) {
		memset(&err, 0, sizeof(err));
		samples_clear(&out);
		CHECK(samples_add(&out, "fitbit_weight_kg", NOV(1), 70,
		    NULL) == 0);
		json = cases[i].fixture != NULL ? fixture(cases[i].fixture,
		    &len) : strdup(cases[i].json);
		if (cases[i].fixture == NULL)
			len = strlen(json);
		memcpy(next, "stale", 6);
		CHECK(google_parse_list(cases[i].type, json, len, NOV(1),
		    NOV(30), &out, next, sizeof(next), &err) == -1);
		CHECK(strcmp(err.msg, cases[i].msg) == 0);
		if (strcmp(err.msg, cases[i].msg) != 0)
			printf("# got \"%s\"\n", err.msg);
		CHECK(out.len == 1 && next[0] == '\0');
		free(json);
	}
	/* the long token fits a buffer that is large enough */
	json = fixture("google_body_fat_long_token.json", &len);
	samples_clear(&out);
	{
		char big[301];

		CHECK(google_parse_list("body-fat", json, len, NOV(1), NOV(30),
		    &out, big, sizeof(big), &err) == 0);
		CHECK(strlen(big) == 300 && out.len == 1);
	}
	free(json);
	/* an empty page: no dataPoints, a token */
	samples_clear(&out);
	CHECK(google_parse_list("weight", "{\"nextPageToken\":\"p2\"}", 22,
	    NOV(1), NOV(30), &out, next, sizeof(next), &err) == 0);
	CHECK(strcmp(next, "p2") == 0 && out.len == 0);
	samples_release(&out);
}

/* ---- sleep ---- */

/* the STAGES main sleep of the 19th (the CLASSIC nap of the 19th is
 * shorter, the 20th has only a metadata.nap session) */
#define NIGHT_19 \
	{ DUR, "", 11, 19, NO_TS, 0, 26400 },				\
	{ STG, "stage=wake", 11, 19, NO_TS, 0, 1800 },			\
	{ STG, "stage=light", 11, 19, NO_TS, 0, 17400 },		\
	{ STG, "stage=deep", 11, 19, NO_TS, 0, 3600 },			\
	{ STG, "stage=rem", 11, 19, NO_TS, 0, 5400 },			\
	{ EFF, "", 11, 19, NO_TS, 0, 440.0 / 470 },			\
	{ LVL, "", 11, 18, 22, 10, 1 }, { LVL, "", 11, 18, 22, 40, 0 },	\
	{ LVL, "", 11, 18, 23, 40, 2 }, { LVL, "", 11, 19, 0, 0, 3 },	\
	{ LVL, "", 11, 19, 0, 5, 1 }, { LVL, "", 11, 19, 4, 0, 2 },	\
	{ LVL, "", 11, 19, 5, 10, 3 }, { LVL, "", 11, 19, 5, 15, 1 },	\
	{ LVL, "", 11, 19, 5, 40, 3 }

static const struct want sleep_page1[] = {
	NIGHT_19,
	/* a CLASSIC session: classic labels, no hypnogram */
	{ DUR, "", 11, 18, NO_TS, 0, 8400 },
	{ STG, "stage=asleep", 11, 18, NO_TS, 0, 8400 },
	{ STG, "stage=restless", 11, 18, NO_TS, 0, 360 },
	{ STG, "stage=awake", 11, 18, NO_TS, 0, 240 },
	{ EFF, "", 11, 18, NO_TS, 0, 140.0 / 150 },
};

/* page 2 holds a longer session of the 18th: it replaces page 1's */
static const struct want sleep_both[] = {
	NIGHT_19,
	{ DUR, "", 11, 18, NO_TS, 0, 19800 },
	{ STG, "stage=light", 11, 18, NO_TS, 0, 12000 },
	{ STG, "stage=deep", 11, 18, NO_TS, 0, 3000 },
	{ STG, "stage=rem", 11, 18, NO_TS, 0, 4800 },
	{ STG, "stage=wake", 11, 18, NO_TS, 0, 1800 },
	{ EFF, "", 11, 18, NO_TS, 0, 330.0 / 360 },
	{ LVL, "", 11, 17, 21, 30, 1 }, { LVL, "", 11, 17, 22, 0, 0 },
	{ LVL, "", 11, 17, 22, 50, 1 }, { LVL, "", 11, 18, 1, 40, 2 },
	{ LVL, "", 11, 18, 3, 0, 3 },
};

/* 22:30 CEST to 06:30 CET: the wake day is the 25th; 02:30 local twice */
static const struct want sleep_dst[] = {
	{ DUR, "", 10, 25, NO_TS, 0, 30600 },
	{ STG, "stage=light", 10, 25, NO_TS, 0, 19800 },
	{ STG, "stage=deep", 10, 25, NO_TS, 0, 3600 },
	{ STG, "stage=rem", 10, 25, NO_TS, 0, 7200 },
	{ STG, "stage=wake", 10, 25, NO_TS, 0, 1800 },
	{ EFF, "", 10, 25, NO_TS, 0, 510.0 / 540 },
	{ LVL, "", 10, 24, 20, 30, 1 }, { LVL, "", 10, 24, 21, 0, 0 },
	{ LVL, "", 10, 24, 22, 0, 1 }, { LVL, "", 10, 25, 0, 30, 2 },
	{ LVL, "", 10, 25, 1, 30, 1 }, { LVL, "", 10, 25, 4, 0, 2 },
	{ LVL, "", 10, 25, 5, 0, 3 },
};

/* bad stage minutes skipped, duplicate AWAKE entries added, no
 * efficiency when asleep > in period, no stages for an unknown type */
static const struct want sleep_hostile[] = {
	{ DUR, "", 11, 19, NO_TS, 0, 26400 },
	{ STG, "stage=wake", 11, 19, NO_TS, 0, 2400 },
	{ DUR, "", 11, 16, NO_TS, 0, 18000 },
};

static int
sleep_page(const char *name, int32_t from, int32_t to, struct samples *out,
    char *next, size_t size, struct err *err)
{
	char *json;
	size_t len;
	int rc;

	json = fixture(name, &len);
	rc = google_parse_sleep(json, len, from, to, out, next, size, err);
	free(json);
	return rc;
}

/* Each hypnogram point has its night's wake day, even before midnight. */
static void
test_hypnogram_days(void)
{
	struct samples out;
	char next[64];
	struct err err = { 0 };
	size_t i, j, levels = 0, before_midnight = 0, ok;

	samples_init(&out);
	CHECK(sleep_page("google_sleep_page1.json", NOV(17), NOV(20), &out,
	    next, sizeof(next), &err) == 0);
	for (i = 0; i < out.len; i++) {
		if (strcmp(out.v[i].metric, LVL) != 0)
			continue;
		levels++;
		before_midnight += out.v[i].ts_ms < (int64_t)out.v[i].day *
		    86400000;
		for (j = 0, ok = 0; j < out.len; j++)
			ok |= strcmp(out.v[j].metric,
			    "fitbit_sleep_duration_seconds") == 0 &&
			    out.v[j].day == out.v[i].day &&
			    out.v[i].ts_ms < ((int64_t)out.v[i].day + 1) *
			    86400000;
		CHECK(ok);
	}
	CHECK(levels > 0 && before_midnight > 0);
	samples_release(&out);
}

static void
test_sleep(void)
{
	struct samples out;
	struct err err = { 0 };
	char next[64];

	samples_init(&out);
	CHECK(sleep_page("google_sleep_page1.json", NOV(17), NOV(20), &out,
	    next, sizeof(next), &err) == 0);
	CHECK(strcmp(next, "c2xlZXAtcGFnZS0y") == 0);
	check_exact(&out, 0, sleep_page1, N(sleep_page1), "sleep page 1");
	/* wake days out of range */
	samples_clear(&out);
	CHECK(sleep_page("google_sleep_page1.json", NOV(20), NOV(30), &out,
	    next, sizeof(next), &err) == 0);
	CHECK(out.len == 0);

	samples_clear(&out);
	CHECK(sleep_page("google_sleep_dst.json", OCT(25), OCT(25), &out, next,
	    sizeof(next), &err) == 0);
	CHECK(next[0] == '\0');
	check_exact(&out, 0, sleep_dst, N(sleep_dst), "sleep dst");
	samples_clear(&out);
	CHECK(sleep_page("google_sleep_dst.json", OCT(24), OCT(24), &out, next,
	    sizeof(next), &err) == 0);
	CHECK(out.len == 0);

	samples_clear(&out);
	CHECK(sleep_page("google_sleep_wrong_types.json", NOV(1), NOV(30),
	    &out, next, sizeof(next), &err) == 0);
	check_exact(&out, 0, sleep_hostile, N(sleep_hostile), "sleep hostile");
	CHECK(!err.set);
	samples_release(&out);
}

static void
test_sleep_pages(void)
{
	struct samples out;
	struct err err = { 0 };
	char next[64];
	size_t i;

	samples_init(&out);
	/* something of another kind first: it stays */
	CHECK(samples_add(&out, "fitbit_steps_total", NOV(18), 5, NULL) == 0);
	CHECK(sleep_page("google_sleep_page1.json", NOV(17), NOV(20), &out,
	    next, sizeof(next), &err) == 0);
	CHECK(sleep_page("google_sleep_page2_longer.json", NOV(17), NOV(20),
	    &out, next, sizeof(next), &err) == 0);
	CHECK(next[0] == '\0');
	check_exact(&out, 1, sleep_both, N(sleep_both), "page 1 + 2");
	CHECK(strcmp(out.v[0].metric, "fitbit_steps_total") == 0);
	/* the same pages again change nothing: equal is not longer */
	for (i = 0; i < 2; i++)
		CHECK(sleep_page(i ? "google_sleep_page2_longer.json" :
		    "google_sleep_page1.json", NOV(17), NOV(20), &out, next,
		    sizeof(next), &err) == 0);
	check_exact(&out, 1, sleep_both, N(sleep_both), "pages again");

	/* the other order: page 1's shorter session does not replace */
	samples_clear(&out);
	CHECK(sleep_page("google_sleep_page2_longer.json", NOV(17), NOV(20),
	    &out, next, sizeof(next), &err) == 0);
	CHECK(sleep_page("google_sleep_page1.json", NOV(17), NOV(20), &out,
	    next, sizeof(next), &err) == 0);
	check_exact(&out, 0, sleep_both, N(sleep_both), "page 2 + 1");

	/* a malformed page after good ones: -1, everything as it was */
	CHECK(sleep_page("google_sleep_malformed.json", NOV(1), NOV(30), &out,
	    next, sizeof(next), &err) == -1);
	CHECK(strcmp(err.msg, "'sleep' list: a session without a valid "
	    "'interval.endTime' or 'endUtcOffset'") == 0);
	check_exact(&out, 0, sleep_both, N(sleep_both), "after malformed");
	err_clear(&err);
	CHECK(sleep_page("google_error_malformed.json", NOV(1), NOV(30), &out,
	    next, sizeof(next), &err) == -1);
	CHECK(strcmp(err.msg, "'sleep' list: invalid JSON") == 0);
	CHECK(out.len == N(sleep_both));
	err_clear(&err);
	CHECK(google_parse_sleep("{\"dataPoints\":[{\"sleep\":[]}]}", 29,
	    NOV(1), NOV(30), &out, next, sizeof(next), &err) == -1);
	CHECK(strcmp(err.msg, "'sleep' list: 'sleep' is not an object") == 0);
	CHECK(out.len == N(sleep_both));
	samples_release(&out);
}

/* The wake day is the local date of the end: 03:30Z - 5 h is the 19th. */
static void
test_sleep_wake_day(void)
{
	static const char json[] = "{\"dataPoints\":[{\"sleep\":{\"interval\":"
	    "{\"startTime\":\"2026-11-19T20:00:00Z\",\"endTime\":"
	    "\"2026-11-20T03:30:00Z\",\"endUtcOffset\":\"-18000s\"},"
	    "\"type\":\"CLASSIC\",\"summary\":{\"minutesAsleep\":\"400\"}}}]}";
	struct samples out;
	struct err err = { 0 };
	char next[8];

	samples_init(&out);
	CHECK(google_parse_sleep(json, sizeof(json) - 1, NOV(20), NOV(20),
	    &out, next, sizeof(next), &err) == 0);
	CHECK(out.len == 0);
	CHECK(google_parse_sleep(json, sizeof(json) - 1, NOV(19), NOV(19),
	    &out, next, sizeof(next), &err) == 0);
	CHECK(out.len == 1 && out.v[0].day == NOV(19) &&
	    out.v[0].value == 24000 && out.v[0].ts_ms == 0);
	samples_release(&out);
}

/* ---- devices ---- */

static const struct sample *
device(const struct samples *s, const char *metric, const char *l)
{
	const struct sample *x;
	char buf[160];
	size_t i;

	for (i = 0; i < s->len; i++) {
		x = &s->v[i];
		labels(x, buf, sizeof(buf));
		if (strcmp(x->metric, metric) == 0 && strcmp(buf, l) == 0)
			return x;
	}
	return NULL;
}

static void
test_devices(void)
{
	static const struct {
		const char *labels;
		double battery, sync;	/* sync: s after 2026-11-18 00:00Z */
	} want[] = {
		{ "device=Charge 6,type=tracker", 81, 3 * 86400 + 8 * 3600 +
		    12 * 60 + 34 },
		{ "device=Aria Air,type=scale", 67, 3 * 86400 + 6 * 3600 +
		    15 * 60 + 2.5 },
		{ "device=Charge 6 4821,type=tracker", 8, 5 * 3600 },
	};
	static const char page2[] = "{\"pairedDevices\":[{\"name\":"
	    "\"users/me/pairedDevices/2900007777\",\"deviceType\":\"TRACKER\","
	    "\"deviceVersion\":\"Charge 6\",\"batteryLevel\":50}]}";
	const double t0 = utc_ms(11, 18, 0, 0) / 1000.0;
	const struct sample *x;
	struct samples out;
	struct err err = { 0 };
	char next[64], *json;
	size_t i, len;

	samples_init(&out);
	json = fixture("google_devices.json", &len);
	CHECK(google_parse_devices(json, len, NOV(21), &out, next,
	    sizeof(next), &err) == 0);
	free(json);
	CHECK(strcmp(next, "ZGV2aWNlcy0y") == 0);
	CHECK(out.len == 6);
	for (i = 0; i < N(want); i++) {
		x = device(&out, "fitbit_device_battery_percent",
		    want[i].labels);
		CHECK(x != NULL && x->value == want[i].battery &&
		    x->day == NOV(21) && x->ts_ms == 0);
		x = device(&out, "fitbit_device_last_sync_timestamp_seconds",
		    want[i].labels);
		CHECK(x != NULL && x->value == t0 + want[i].sync &&
		    x->day == NOV(21) && x->ts_ms == 0);
	}
	/* a later page's device of a version seen on an earlier page */
	CHECK(google_parse_devices(page2, sizeof(page2) - 1, NOV(21), &out,
	    next, sizeof(next), &err) == 0);
	CHECK(out.len == 7 && next[0] == '\0');
	x = device(&out, "fitbit_device_battery_percent",
	    "device=Charge 6 7777,type=tracker");
	CHECK(x != NULL && x->value == 50);

	/* wrong types: no sample, or no device; a repeated version without
	 * a type */
	samples_clear(&out);
	json = fixture("google_devices_wrong_types.json", &len);
	CHECK(google_parse_devices(json, len, NOV(21), &out, next,
	    sizeof(next), &err) == 0);
	free(json);
	CHECK(out.len == 1);
	x = device(&out, "fitbit_device_battery_percent",
	    "device=Aria 2 es/5,type=unknown");
	CHECK(x != NULL && x->value == 40);
	CHECK(!err.set);

	json = fixture("google_devices_not_object.json", &len);
	CHECK(google_parse_devices(json, len, NOV(21), &out, next,
	    sizeof(next), &err) == -1);
	CHECK(strcmp(err.msg, "pairedDevices: 'pairedDevices' holds a "
	    "non-object") == 0);
	CHECK(out.len == 1);
	free(json);
	err_clear(&err);
	json = fixture("google_devices_bad_token.json", &len);
	CHECK(google_parse_devices(json, len, NOV(21), &out, next,
	    sizeof(next), &err) == -1);
	CHECK(strcmp(err.msg, "'nextPageToken' is not a string") == 0);
	CHECK(out.len == 1);
	free(json);
	samples_release(&out);
}

/* ---- RFC 3339 ---- */

static void
test_time(void)
{
	static const struct {
		const char *text;
		int64_t ms;		/* after 2026-11-27 00:00Z */
	} good[] = {
		{ "2026-11-27T08:15:00Z", 29700000 },
		{ "2026-11-27T08:15:00.5Z", 29700500 },
		{ "2026-11-27T08:15:00.123456789Z", 29700123 },
		{ "2026-11-27T08:15:00+01:00", 26100000 },
		{ "2026-11-27T08:15:00.25-05:30", 49500250 },
		{ "2026-11-27T00:30:00+02:00", -5400000 },
	};
	static const char *const bad[] = { "", "2026-11-27", "2026-11-27T08:"
	    "15:00", "2026-11-27 08:15:00Z", "2026-11-27T08:15:00z",
	    "2026-11-27T08:15Z", "2026-11-27T08:15:00.Z",
	    "2026-11-27T08:15:00+0100", "2026-11-27T08:15:00+01",
	    "2026-11-27T08:15:00+24:00", "2026-11-27T08:15:00Zx",
	    "2026-11-27T24:00:00Z", "2026-11-27T08:60:00Z",
	    "2026-11-27T08:15:60Z", "2026-02-29T00:00:00Z",
	    "2026-13-01T00:00:00Z", "2026-00-10T00:00:00Z",
	    "+2026-11-27T08:15:00Z", "2026-11-27T08:15:00+01:00 ", NULL };
	const int64_t day = (int64_t)civil_from_ymd(2026, 11, 27) * 86400000;
	int64_t ms;
	size_t i;

	for (i = 0; i < N(good); i++) {
		ms = 0;
		CHECK(civil_parse_rfc3339(good[i].text, &ms) == 0 &&
		    ms == day + good[i].ms);
	}
	for (i = 0; bad[i] != NULL; i++)
		CHECK(civil_parse_rfc3339(bad[i], &ms) == -1);
	CHECK(civil_parse_rfc3339(NULL, &ms) == -1);
	CHECK(civil_parse_rfc3339("2028-02-29T23:59:59Z", &ms) == 0 &&
	    ms == ((int64_t)civil_from_ymd(2028, 3, 1) * 86400 - 1) * 1000);
	CHECK(civil_parse_rfc3339("1969-12-31T23:59:59.999Z", &ms) == 0 && ms == -1);
}

/* What google_daily.c and google_activity.c share with the list parsers. */
static void
test_shared(void)
{
	struct err err = { 0 };
	struct samples s;
	const cJSON *points;
	cJSON *root;
	int32_t day;

	CHECK(google_page("{\"dataPoints\":[{}]}", 19, "'x' list",
	    "dataPoints", &root, &points, &err) == 0 &&
	    cJSON_GetArraySize(points) == 1);
	cJSON_Delete(root);
	CHECK(google_page("{}", 2, "'x' list", "dataPoints", &root, &points,
	    &err) == 0 && points == NULL);
	cJSON_Delete(root);
	CHECK(google_page("[]", 2, "'x' list", "dataPoints", &root, &points,
	    &err) == -1 && root == NULL &&
	    strcmp(err.msg, "'x' list: invalid JSON") == 0);
	err_clear(&err);
	CHECK(google_page("{\"dataPoints\":{}}", 17, "'x' list",
	    "dataPoints", &root, &points, &err) == -1 &&
	    strcmp(err.msg, "'x' list: 'dataPoints' is not a list") == 0);
	cJSON_Delete(root);

	root = cJSON_Parse("[{\"year\":2026,\"month\":11,\"day\":19},"
	    "{\"year\":\"2026\",\"month\":2,\"day\":29},"
	    "{\"year\":1969,\"month\":12,\"day\":31},"
	    "{\"year\":2026,\"month\":11.5,\"day\":1},"
	    "{\"year\":2026,\"month\":11}]");
	CHECK(google_date(cJSON_GetArrayItem(root, 0), &day) == 0 &&
	    day == NOV(19));
	CHECK(google_date(cJSON_GetArrayItem(root, 1), &day) == -1);
	CHECK(google_date(cJSON_GetArrayItem(root, 2), &day) == -1);
	CHECK(google_date(cJSON_GetArrayItem(root, 3), &day) == -1);
	CHECK(google_date(cJSON_GetArrayItem(root, 4), &day) == -1);
	CHECK(google_date(NULL, &day) == -1);
	cJSON_Delete(root);

	samples_init(&s);
	CHECK(samples_add(&s, "a", NOV(1), 1, NULL) == 0 &&
	    samples_add(&s, "b", NOV(1), 1, "l", "v", NULL) == 0 &&
	    samples_add(&s, "b", NOV(2), 1, NULL) == 0);
	/* seen: b of Nov 1 (whatever its labels), b of Nov 2 */
	CHECK(!google_new_day(&s, "b", NOV(1), NOV(1), NOV(3)));
	CHECK(!google_new_day(&s, "b", NOV(2), NOV(1), NOV(3)));
	CHECK(google_new_day(&s, "a", NOV(2), NOV(1), NOV(3)));
	CHECK(google_new_day(&s, "c", NOV(1), NOV(1), NOV(1)));
	CHECK(!google_new_day(&s, "c", NOV(4), NOV(1), NOV(3)));
	CHECK(!google_new_day(&s, "c", OCT(31), NOV(1), NOV(3)));
	samples_release(&s);
}

void
suite_google_parse(void)
{
	test_minutes();
	test_lists();
	test_lists_malformed();
	test_sleep();
	test_hypnogram_days();
	test_sleep_pages();
	test_sleep_wake_day();
	test_devices();
	test_time();
	test_shared();
}
