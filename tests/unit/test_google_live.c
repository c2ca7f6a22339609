/*
 * google, what live accounts show (shared/research/google-live.md):
 * activity-level read as a list and split at local midnight (DST), the
 * open sleep session, metadata.mainSleep, values that are not
 * measurements, explicit "0" members, refusals remembered, request bodies
 * built with cJSON.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "civil.h"
#include "source/google/google.h"
#include "source/google/google_activity.h"
#include "source/google/google_explain.h"
#include "source/google/google_parse.h"
#include "source/google/google_request.h"
#include "helpers.h"
#include "t.h"

#define DAY(m, d) civil_from_ymd(2026, (m), (d))

/* The value of metric{lname=lvalue} on day, or -1 when absent (twice: -2). */
static double
value(const struct samples *s, const char *metric, const char *lvalue,
    int32_t day)
{
	size_t n = t_count(s, metric, lvalue, day);

	if (n != 1)
		return n == 0 ? -1 : -2;
	return t_find(s, metric, lvalue, day)->value;
}

static int
levels(const char *name, int32_t from, int32_t to, struct samples *out,
    char *next, struct err *err)
{
	struct google_levels lv;
	size_t len;
	char *json = fixture(name, &len);
	int rc = -1;

	if (google_levels_init(&lv, "Europe/Berlin", from, to, err) == 0 &&
	    google_parse_levels(json, len, &lv, next, 64, err) == 0)
		rc = google_levels_samples(&lv, out, err);
	google_levels_release(&lv);
	free(json);
	return rc;
}

/* 2026-10-25 has 25 hours in Berlin: midnight of the 26th is 23:00Z. */
static void
test_activity_levels_dst(void)
{
	static const struct {
		int d;
		const char *label;
		double min;
	} want[] = {
		{ 24, "sedentary", 30 }, { 24, "lightly_active", 0 },
		{ 24, "fairly_active", 45 }, { 24, "very_active", 0 },
		{ 25, "sedentary", 30 }, { 25, "lightly_active", 60 },
		{ 25, "fairly_active", 0 }, { 25, "very_active", 30 },
		{ 26, "sedentary", 0 }, { 26, "lightly_active", 0 },
		{ 26, "fairly_active", 0 }, { 26, "very_active", 30 },
	};
	struct samples out;
	struct err err = { 0 };
	char next[64];
	size_t i;

	samples_init(&out);
	CHECK(levels("google_activity_level_dst.json", DAY(10, 24),
	    DAY(10, 26), &out, next, &err) == 0);
	CHECK(strcmp(next, "bGV2ZWxzLTI") == 0);
	CHECK(out.len == 12);
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		CHECK(value(&out, "fitbit_active_minutes", want[i].label,
		    DAY(10, want[i].d)) == want[i].min);
		if (value(&out, "fitbit_active_minutes", want[i].label,
		    DAY(10, want[i].d)) != want[i].min)
			printf("# 10-%d %s: %g, want %g\n", want[i].d,
			    want[i].label, value(&out, "fitbit_active_minutes",
			    want[i].label, DAY(10, want[i].d)), want[i].min);
	}
	/* only the 25th: the 24th's evening interval counts after midnight */
	samples_clear(&out);
	CHECK(levels("google_activity_level_dst.json", DAY(10, 25),
	    DAY(10, 25), &out, next, &err) == 0);
	CHECK(out.len == 4);
	CHECK(value(&out, "fitbit_active_minutes", "sedentary", DAY(10, 25)) ==
	    30);
	/* no interval on a day: no sample */
	samples_clear(&out);
	CHECK(levels("google_activity_level_dst.json", DAY(10, 27),
	    DAY(10, 30), &out, next, &err) == 0);
	CHECK(out.len == 0);
	CHECK(levels("google_error_malformed.json", DAY(10, 27), DAY(10, 30),
	    &out, next, &err) == -1);
	CHECK(strcmp(err.msg, "'activity-level' list: invalid JSON") == 0);
	samples_release(&out);
}

static int
sleep_page(const char *name, int32_t from, int32_t to, struct samples *out,
    struct err *err)
{
	char next[64], *json;
	size_t len;
	int rc;

	json = fixture(name, &len);
	rc = google_parse_sleep(json, len, from, to, out, next, sizeof(next),
	    err);
	free(json);
	return rc;
}

#define DUR "fitbit_sleep_duration_seconds"

/* Asleep now: the open session is skipped, the finished nights kept. */
static void
test_sleep_open_and_main(void)
{
	struct samples out;
	struct err err = { 0 };

	samples_init(&out);
	CHECK(sleep_page("google_sleep_open.json", DAY(11, 18), DAY(11, 21),
	    &out, &err) == 0);
	CHECK(value(&out, DUR, NULL, DAY(11, 20)) == 450 * 60);
	CHECK(value(&out, DUR, NULL, DAY(11, 19)) == 400 * 60);
	CHECK(value(&out, DUR, NULL, DAY(11, 21)) == -1);
	/* mainSleep false loses to a shorter mainSleep true; without
	 * either, the longest */
	samples_clear(&out);
	CHECK(sleep_page("google_sleep_main.json", DAY(11, 18), DAY(11, 21),
	    &out, &err) == 0);
	CHECK(value(&out, DUR, NULL, DAY(11, 19)) == 340 * 60);
	CHECK(value(&out, DUR, NULL, DAY(11, 20)) == 230 * 60);
	samples_release(&out);
}

static size_t
list(const char *type, const char *name, struct samples *out)
{
	struct err err = { 0 };
	char next[64], *json;
	size_t len, base = out->len;

	json = fixture(name, &len);
	CHECK(google_parse_list(type, json, len, DAY(1, 1), DAY(12, 31), out,
	    next, sizeof(next), &err) == 0);
	free(json);
	return out->len - base;
}

/* Not measurements: no sample. A "0" that is real stays 0. */
static void
test_not_measurements(void)
{
	struct samples out;
	struct err err = { 0 };
	char *json;
	size_t len;

	samples_init(&out);
	CHECK(list("daily-heart-rate-variability", "google_hrv_zero.json",
	    &out) == 1);
	CHECK(value(&out, "fitbit_hrv_rmssd_ms", "deep", DAY(11, 20)) == 41.5);
	samples_clear(&out);
	CHECK(list("daily-oxygen-saturation", "google_spo2_zero.json",
	    &out) == 3);
	CHECK(value(&out, "fitbit_spo2_percent", "avg", DAY(11, 19)) == 95.5);
	samples_clear(&out);
	CHECK(list("daily-respiratory-rate", "google_br_zero.json", &out) == 1);
	CHECK(value(&out, "fitbit_breathing_rate_per_minute", NULL,
	    DAY(11, 18)) == 14.2);
	samples_clear(&out);
	CHECK(list("daily-sleep-temperature-derivations",
	    "google_temp_nan.json", &out) == 1);
	CHECK(value(&out, "fitbit_skin_temperature_deviation_celsius", NULL,
	    DAY(6, 2)) > 0.249 && value(&out,
	    "fitbit_skin_temperature_deviation_celsius", NULL, DAY(6, 2)) <
	    0.251);
	samples_clear(&out);
	json = fixture("google_rollup_azm_zero.json", &len);
	CHECK(google_parse_rollup("active-zone-minutes", json, len,
	    DAY(11, 20), DAY(11, 21), &out, &err) == 0);
	free(json);
	CHECK(out.len == 8);
	CHECK(value(&out, "fitbit_active_zone_minutes", "total",
	    DAY(11, 21)) == 12);
	CHECK(value(&out, "fitbit_active_zone_minutes", "cardio",
	    DAY(11, 21)) == 0);
	CHECK(value(&out, "fitbit_active_zone_minutes", "total",
	    DAY(11, 20)) == 0);
	samples_release(&out);
}

/* A refusal for good is remembered per (data type, operation). */
static void
test_refusals(void)
{
	struct google_memo memo;
	struct google_status st = { 400, "INVALID_ARGUMENT",
	    "UNSUPPORTED_DATA_TYPE_ACTION", GOOGLE_OTHER };
	struct err err = { 0 };

	memset(&memo, 0, sizeof(memo));
	CHECK(google_refusal(&st));
	CHECK(!google_refused(&memo, "activity-level", "dailyRollUp", &err));
	google_refuse(&memo, "activity-level", "dailyRollUp", &st);
	CHECK(google_refused(&memo, "activity-level", "dailyRollUp", &err));
	CHECK(err.status == 400 && strstr(err.msg, "dailyRollUp") != NULL &&
	    strstr(err.msg, "'activity-level'") != NULL);
	CHECK(!google_refused(&memo, "activity-level", "list", &err));
	CHECK(!google_refused(&memo, "steps", "dailyRollUp", &err));
	st.problem = GOOGLE_NOT_LINKED;
	CHECK(!google_refusal(&st));
	st.code = 429;
	st.problem = GOOGLE_OTHER;
	CHECK(!google_refusal(&st));
	st.code = 500;
	CHECK(!google_refusal(&st));
	st.code = 403;
	CHECK(!google_refusal(&st));
	st.problem = GOOGLE_SCOPE;
	CHECK(google_refusal(&st));
	st.code = 404;
	st.problem = GOOGLE_OTHER;
	CHECK(google_refusal(&st));
	google_memo_release(&memo);
}

/* Bodies are JSON whatever the page token holds. */
static void
test_bodies(void)
{
	static const char token[] = "a\"b\\c\",\"x\":\"}\n";
	cJSON *o;
	char *body, *url;

	body = google_minutes_body(DAY(11, 20), DAY(11, 25), 10000, token);
	CHECK(body != NULL);
	o = cJSON_Parse(body);
	CHECK(o != NULL);
	CHECK(o != NULL && strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(o,
	    "pageToken")), token) == 0);
	CHECK(o != NULL && cJSON_GetObjectItem(o, "x") == NULL);
	CHECK(o != NULL && strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(
	    cJSON_GetObjectItem(o, "range"), "endTime")),
	    "2026-11-26T00:00:00Z") == 0);
	cJSON_Delete(o);
	free(body);
	body = google_minutes_body(DAY(11, 20), DAY(11, 25), 10000, NULL);
	CHECK(body != NULL && strcmp(body, "{\"range\":{\"startTime\":"
	    "\"2026-11-20T00:00:00Z\",\"endTime\":\"2026-11-26T00:00:00Z\"},"
	    "\"windowSize\":\"60s\",\"pageSize\":10000}") == 0);
	free(body);
	url = google_list_url("http://h", "activity-level",
	    "interval.civil_start_time", 10000, DAY(10, 24), DAY(10, 25),
	    token);
	CHECK(url != NULL && strcmp(url, "http://h/v4/users/me/dataTypes/"
	    "activity-level/dataPoints?filter=activity_level.interval."
	    "civil_start_time%20%3E%3D%20%222026-10-24%22%20AND%20"
	    "activity_level.interval.civil_start_time%20%3C%20%222026-10-26"
	    "%22&pageSize=10000&pageToken=a%22b%5Cc%22%2C%22x%22%3A%22%7D%0A")
	    == 0);
	free(url);
}

void
suite_google_live(void)
{
	test_activity_levels_dst();
	test_sleep_open_and_main();
	test_not_measurements();
	test_refusals();
	test_bodies();
}
