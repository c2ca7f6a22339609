/*
 * google: the Google Health API's JSON -> SPEC samples (names, units,
 * labels, days), absent days, malformed answers, google.rpc.Status, and
 * the exact requests SyncBit builds (dailyRollUp bodies, list URLs).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "civil.h"
#include "source/driver.h"
#include "source/google/google.h"
#include "helpers.h"
#include "t.h"

#define NOV(d) civil_from_ymd(2026, 11, (d))

struct want {
	const char *metric;
	const char *lname;		/* NULL: no label */
	const char *lvalue;
	int nov;			/* day of November 2026 */
	double value;
};

struct rollup_case {
	const char *type;
	const char *fixture;
	int from, to;			/* days of November 2026 */
	size_t n;			/* samples expected, all listed */
	struct want w[8];
};

static const struct rollup_case rollup_cases[] = {
	/* 21 absent, 22 present with countSum omitted (zero), 23 without
	 * its member (no data), 24 a JSON number. */
	{ "steps", "google_rollup_steps.json", 20, 24, 3, {
	    { "fitbit_steps_total", NULL, NULL, 20, 8123 },
	    { "fitbit_steps_total", NULL, NULL, 22, 0 },
	    { "fitbit_steps_total", NULL, NULL, 24, 4211 } } },
	/* only the days asked for */
	{ "steps", "google_rollup_steps.json", 21, 23, 1, {
	    { "fitbit_steps_total", NULL, NULL, 22, 0 } } },
	{ "distance", "google_rollup_distance.json", 20, 21, 2, {
	    { "fitbit_distance_km", NULL, NULL, 20, 6.54321 },
	    { "fitbit_distance_km", NULL, NULL, 21, 0.00025 } } },
	{ "floors", "google_rollup_floors.json", 20, 20, 1, {
	    { "fitbit_floors_total", NULL, NULL, 20, 12 } } },
	{ "altitude", "google_rollup_altitude.json", 20, 20, 1, {
	    { "fitbit_elevation_meters", NULL, NULL, 20, 36.576 } } },
	{ "total-calories", "google_rollup_total_calories.json", 20, 21, 2, {
	    { "fitbit_calories_total", NULL, NULL, 20, 2345.5 },
	    { "fitbit_calories_total", NULL, NULL, 21, 1999.25 } } },
	/* PEAK omitted on the 20th, no entries at all on the 21st: zeros */
	{ "time-in-heart-rate-zone", "google_rollup_time_in_zone.json", 20, 21,
	    8, {
	    { "fitbit_heart_rate_zone_minutes", "zone", "light", 20, 90 },
	    { "fitbit_heart_rate_zone_minutes", "zone", "moderate", 20, 20.5 },
	    { "fitbit_heart_rate_zone_minutes", "zone", "vigorous", 20,
		300.5 / 60 },
	    { "fitbit_heart_rate_zone_minutes", "zone", "peak", 20, 0 },
	    { "fitbit_heart_rate_zone_minutes", "zone", "light", 21, 0 },
	    { "fitbit_heart_rate_zone_minutes", "zone", "moderate", 21, 0 },
	    { "fitbit_heart_rate_zone_minutes", "zone", "vigorous", 21, 0 },
	    { "fitbit_heart_rate_zone_minutes", "zone", "peak", 21, 0 } } },
	/* the UNSPECIFIED zone is ignored */
	{ "calories-in-heart-rate-zone", "google_rollup_calories_in_zone.json",
	    20, 20, 4, {
	    { "fitbit_heart_rate_zone_calories", "zone", "light", 20, 412.25 },
	    { "fitbit_heart_rate_zone_calories", "zone", "moderate", 20, 130 },
	    { "fitbit_heart_rate_zone_calories", "zone", "vigorous", 20, 55.5 },
	    { "fitbit_heart_rate_zone_calories", "zone", "peak", 20, 12 } } },
	{ "steps", "google_rollup_empty.json", 1, 30, 0, { { 0 } } },
	{ "total-calories", "google_rollup_empty.json", 1, 14, 0, { { 0 } } },
};

struct bad_case {
	const char *type;
	const char *fixture;
	const char *msg;
};

static const struct bad_case bad_cases[] = {
	{ "steps", "google_rollup_bad_count.json",
	    "'steps.countSum' is not a count" },
	{ "time-in-heart-rate-zone", "google_rollup_bad_duration.json",
	    "'timeInHeartRateZone.timeInHeartRateZones[].duration' is not a "
	    "duration" },
	{ "steps", "google_rollup_no_date.json",
	    "'steps' rollup: a point without a valid 'civilStartTime.date'" },
	{ "steps", "google_rollup_truncated.json",
	    "'steps' rollup: invalid JSON" },
	{ "steps", "google_rollup_not_list.json",
	    "'steps' rollup: 'rollupDataPoints' is not a list" },
	{ "distance", "google_error_malformed.json",
	    "'distance' rollup: invalid JSON" },
	{ "heart-rate", "google_rollup_steps.json",
	    "unknown data type 'heart-rate'" },
};

struct status_case {
	const char *fixture;
	long http;
	int code;
	const char *status;
	const char *reason;
	enum google_problem problem;
};

static const struct status_case status_cases[] = {
	{ "google_error_not_linked.json", 400, 400, "FAILED_PRECONDITION",
	    "ACCOUNT_NOT_LINKED", GOOGLE_NOT_LINKED },
	{ "google_error_unauthenticated.json", 401, 401, "UNAUTHENTICATED",
	    "CREDENTIALS_MISSING", GOOGLE_OTHER },
	{ "google_error_resource_exhausted.json", 429, 429,
	    "RESOURCE_EXHAUSTED", "RATE_LIMIT_EXCEEDED", GOOGLE_OTHER },
	{ "google_error_scope.json", 403, 403, "PERMISSION_DENIED",
	    "ACCESS_TOKEN_SCOPE_INSUFFICIENT", GOOGLE_SCOPE },
	{ "google_error_ubermint.json", 403, 403, "PERMISSION_DENIED", "",
	    GOOGLE_UBERMINT },
	{ "google_error_service_disabled.json", 403, 403, "PERMISSION_DENIED",
	    "SERVICE_DISABLED", GOOGLE_DISABLED },
	{ "google_error_invalid_filter.json", 400, 400, "INVALID_ARGUMENT",
	    "INVALID_DATA_POINT_FILTER_DATA_TYPE_MEMBER", GOOGLE_OTHER },
	/* identifiers that are not identifiers are never copied */
	{ "google_error_hostile.json", 403, 403, "", "", GOOGLE_OTHER },
};

static void
test_rollups(void)
{
	const struct rollup_case *c;
	const struct want *w;
	const struct sample *s;
	struct samples out;
	struct err err;
	size_t i, j, len;
	char *json;

	for (i = 0; i < sizeof(rollup_cases) / sizeof(rollup_cases[0]); i++) {
		c = &rollup_cases[i];
		samples_init(&out);
		memset(&err, 0, sizeof(err));
		json = fixture(c->fixture, &len);
		CHECK(google_parse_rollup(c->type, json, len, NOV(c->from),
		    NOV(c->to), &out, &err) == 0);
		CHECK(out.len == c->n);
		for (j = 0; j < c->n; j++) {
			w = &c->w[j];
			s = t_find(&out, w->metric, w->lvalue != NULL ?
			    w->lvalue : T_UNLABELLED, NOV(w->nov));
			CHECK(s != NULL);
			if (s == NULL) {
				printf("# missing %s %s day %d in %s\n",
				    w->metric, w->lvalue ? w->lvalue : "",
				    w->nov, c->fixture);
				continue;
			}
			CHECK(t_near(s->value, w->value));
			CHECK(s->ts_ms == 0);
			CHECK(w->lname == NULL ? s->lname[0] == NULL :
			    s->lname[0] != NULL &&
			    strcmp(s->lname[0], w->lname) == 0);
			CHECK(s->lname[1] == NULL);
		}
		free(json);
		samples_release(&out);
	}
}

/* A malformed answer: -1, a message naming the field, nothing appended. */
static void
test_rollups_malformed(void)
{
	const struct bad_case *c;
	struct samples out;
	struct err err;
	size_t i, len;
	char *json;

	for (i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		c = &bad_cases[i];
		samples_init(&out);
		memset(&err, 0, sizeof(err));
		CHECK(samples_add(&out, "fitbit_steps_total", 1, 7, NULL) == 0);
		json = fixture(c->fixture, &len);
		CHECK(google_parse_rollup(c->type, json, len, NOV(1), NOV(30),
		    &out, &err) == -1);
		CHECK(strcmp(err.msg, c->msg) == 0);
		if (strcmp(err.msg, c->msg) != 0)
			printf("# got \"%s\"\n", err.msg);
		CHECK(out.len == 1);
		free(json);
		samples_release(&out);
	}
}

/* A day seen twice keeps its first value. */
static void
test_rollup_duplicate(void)
{
	static const char json[] = "{\"rollupDataPoints\":["
	    "{\"civilStartTime\":{\"date\":{\"year\":2026,\"month\":11,"
	    "\"day\":20}},\"floors\":{\"countSum\":\"3\"}},"
	    "{\"civilStartTime\":{\"date\":{\"year\":2026,\"month\":11,"
	    "\"day\":20}},\"floors\":{\"countSum\":\"5\"}}]}";
	struct samples out;
	struct err err = { 0 };

	samples_init(&out);
	CHECK(google_parse_rollup("floors", json, sizeof(json) - 1, NOV(20),
	    NOV(20), &out, &err) == 0);
	CHECK(out.len == 1 && out.v[0].value == 3);
	samples_release(&out);
}

static void
test_rhr_pages(void)
{
	static const char *pages[] = { "google_rhr_page1.json",
	    "google_rhr_page2_empty.json", "google_rhr_page3.json" };
	static const char *tokens[] = { "CjQKMgoEZGF0ZRIqGigKJgoHcGFnZS0y",
	    "CjQKMgoEZGF0ZRIqGigKJgoHcGFnZS0z", "" };
	static const struct { int nov; double bpm; } want[] = {
		{ 24, 58 }, { 22, 61 }, { 21, 59 }, { 20, 60 } };
	const struct sample *s;
	struct samples out;
	struct err err = { 0 };
	char next[128], *json;
	size_t i, len;

	samples_init(&out);
	for (i = 0; i < 3; i++) {
		json = fixture(pages[i], &len);
		CHECK(google_parse_rhr(json, len, NOV(19), NOV(24), &out, next,
		    sizeof(next), &err) == 0);
		CHECK(strcmp(next, tokens[i]) == 0);
		free(json);
	}
	/* the 19th has no beatsPerMinute: no value, not a zero */
	CHECK(out.len == 4);
	CHECK(t_find(&out, "fitbit_resting_heart_rate_bpm", T_UNLABELLED,
	    NOV(19)) == NULL);
	for (i = 0; i < 4; i++) {
		s = t_find(&out, "fitbit_resting_heart_rate_bpm", T_UNLABELLED,
		    NOV(want[i].nov));
		CHECK(s != NULL && s->value == want[i].bpm);
	}
	/* the same page again adds nothing */
	json = fixture(pages[0], &len);
	CHECK(google_parse_rhr(json, len, NOV(19), NOV(24), &out, next,
	    sizeof(next), &err) == 0);
	CHECK(out.len == 4);
	/* only the days asked for, whatever the order */
	samples_clear(&out);
	CHECK(google_parse_rhr(json, len, NOV(22), NOV(23), &out, next,
	    sizeof(next), &err) == 0);
	CHECK(out.len == 1 && out.v[0].day == NOV(22) && out.v[0].value == 61);
	/* a token that does not fit is an error, not a truncation */
	samples_clear(&out);
	CHECK(google_parse_rhr(json, len, NOV(19), NOV(24), &out, next, 8,
	    &err) == -1);
	CHECK(strstr(err.msg, "'nextPageToken' is longer than 7 bytes") !=
	    NULL);
	CHECK(out.len == 0);
	free(json);
	samples_release(&out);
}

static void
test_rhr_malformed(void)
{
	struct samples out;
	struct err err = { 0 };
	char next[64], *json;
	size_t len;

	samples_init(&out);
	json = fixture("google_rhr_malformed.json", &len);
	CHECK(google_parse_rhr(json, len, NOV(1), NOV(30), &out, next,
	    sizeof(next), &err) == -1);
	CHECK(strcmp(err.msg, "'daily-resting-heart-rate': 'beatsPerMinute' "
	    "is not a number") == 0);
	CHECK(out.len == 0);
	free(json);
	err_clear(&err);
	json = fixture("google_error_malformed.json", &len);
	CHECK(google_parse_rhr(json, len, NOV(1), NOV(30), &out, next,
	    sizeof(next), &err) == -1);
	CHECK(strcmp(err.msg, "'daily-resting-heart-rate' list: invalid "
	    "JSON") == 0);
	free(json);
	samples_release(&out);
}

static void
test_settings_profile(void)
{
	struct profile p;
	struct err err;
	char *json;
	size_t len;

	memset(&p, 0, sizeof(p));
	memset(&err, 0, sizeof(err));
	json = fixture("google_settings.json", &len);
	CHECK(google_parse_settings(json, len, &p, &err) == 0);
	CHECK(strcmp(p.zone, "America/Los_Angeles") == 0);
	free(json);

	json = fixture("google_settings_bad_zone.json", &len);
	CHECK(google_parse_settings(json, len, &p, &err) == -1);
	CHECK(strcmp(err.msg, "settings: time zone unknown to the tz "
	    "database") == 0);
	CHECK(strcmp(p.zone, "America/Los_Angeles") == 0);
	free(json);
	err_clear(&err);
	json = fixture("google_settings_no_zone.json", &len);
	CHECK(google_parse_settings(json, len, &p, &err) == -1);
	CHECK(strcmp(err.msg, "settings: no 'timeZone'") == 0);
	free(json);

	json = fixture("google_profile.json", &len);
	CHECK(google_parse_profile(json, len, &p, &err) == 0);
	CHECK(p.member_since == civil_from_ymd(2019, 3, 7));
	free(json);
	json = fixture("google_profile_no_date.json", &len);
	CHECK(google_parse_profile(json, len, &p, &err) == 0);
	CHECK(p.member_since == -1);
	free(json);
	err_clear(&err);
	json = fixture("google_profile_bad_date.json", &len);
	CHECK(google_parse_profile(json, len, &p, &err) == -1);
	CHECK(strcmp(err.msg, "profile: 'membershipStartDate' is not a "
	    "date") == 0);
	free(json);
}

static void
test_status(void)
{
	static const char wrapped[] = "[{\"error\":{\"code\":400,\"status\":"
	    "\"FAILED_PRECONDITION\",\"message\":\"The account is not linked "
	    "to Google Health.\"}}]";
	const struct status_case *c;
	struct google_status st;
	struct err err;
	size_t i, len;
	char *json;

	for (i = 0; i < sizeof(status_cases) / sizeof(status_cases[0]); i++) {
		c = &status_cases[i];
		memset(&err, 0, sizeof(err));
		json = fixture(c->fixture, &len);
		CHECK(google_parse_status(json, len, c->http, &st, &err) == 0);
		CHECK(st.code == c->code);
		CHECK(strcmp(st.status, c->status) == 0);
		CHECK(strcmp(st.reason, c->reason) == 0);
		CHECK(st.problem == c->problem);
		free(json);
	}
	memset(&err, 0, sizeof(err));
	json = fixture("google_error_malformed.json", &len);
	CHECK(google_parse_status(json, len, 502, &st, &err) == -1);
	CHECK(strcmp(err.msg, "HTTP 502 without a google.rpc.Status body") ==
	    0);
	CHECK(st.code == 502 && st.problem == GOOGLE_OTHER);
	free(json);
	CHECK(google_parse_status(wrapped, sizeof(wrapped) - 1, 400, &st,
	    &err) == 0);
	CHECK(st.problem == GOOGLE_NOT_LINKED);
}

/* What goes on the wire: no leading zeros, end exclusive, ':' literal. */
static void
test_requests(void)
{
	char *body, *url;

	body = google_rollup_body(civil_from_ymd(2026, 1, 5),
	    civil_from_ymd(2026, 4, 5));
	CHECK(body != NULL && strcmp(body, "{\"range\":{\"start\":{\"date\":"
	    "{\"year\":2026,\"month\":1,\"day\":5}},\"end\":{\"date\":{\"year\":"
	    "2026,\"month\":4,\"day\":5}}},\"windowSizeDays\":1}") == 0);
	free(body);

	url = google_rhr_url("http://127.0.0.1:9", NOV(20), NOV(24), NULL);
	CHECK(url != NULL && strcmp(url, "http://127.0.0.1:9/v4/users/me/"
	    "dataTypes/daily-resting-heart-rate/dataPoints?filter="
	    "daily_resting_heart_rate.date%20%3E%3D%20%222026-11-20%22%20AND"
	    "%20daily_resting_heart_rate.date%20%3C%20%222026-11-25%22"
	    "&pageSize=10000") == 0);
	free(url);
	url = google_rhr_url("https://h", civil_from_ymd(2026, 12, 31),
	    civil_from_ymd(2026, 12, 31), "a+b/c=");
	CHECK(url != NULL && strstr(url, "%222026-12-31%22") != NULL &&
	    strstr(url, "%222027-01-01%22") != NULL);
	CHECK(url != NULL && strstr(url, "&pageToken=a%2Bb%2Fc%3D") != NULL);
	free(url);
}

static void
test_duration(void)
{
	static const char *bad[] = { "", "s", "5400", "-5s", "1.s", ".5s",
	    "5m", "1e3s", "0x10s", "5 s", "infs", NULL };
	double s = -1;
	size_t i;

	CHECK(google_duration("5400s", &s) == 0 && s == 5400);
	CHECK(google_duration("1.5s", &s) == 0 && s == 1.5);
	CHECK(google_duration("0s", &s) == 0 && s == 0);
	for (i = 0; bad[i] != NULL; i++)
		CHECK(google_duration(bad[i], &s) == -1);
	CHECK(google_duration(NULL, &s) == -1);
}

/* Kinds and their chunk sizes, and what a 400-day backfill costs. */
static void
test_source(void)
{
	struct source_settings cfg = { "http://127.0.0.1:9/", NULL, NULL,
	    NULL, 0 };
	const struct source_kind *k;
	struct source_budget b;
	struct source *src;
	size_t n, i;
	int requests = 0;

	CHECK((src = google_new(&cfg)) != NULL);
	if (src == NULL)
		return;
	CHECK(strcmp(src->ops->name, "google") == 0);
	k = src->ops->kinds(src, &n);
	CHECK(n == 22);
	for (i = 0; i < n; i++) {
		if (!(k[i].flags & KIND_IN_DAYS))
			continue;
		if (strcmp(k[i].name, "total-calories") == 0 ||
		    strcmp(k[i].name, "calories-in-heart-rate-zone") == 0)
			CHECK(k[i].max_days == 14);
		else if (strcmp(k[i].name, "daily-resting-heart-rate") == 0)
			CHECK(k[i].max_days >= 400);
		else if (strcmp(k[i].name, "activity-level") == 0)
			CHECK(k[i].max_days == 60);	/* a paged list */
		else
			CHECK(k[i].max_days == 90);
		requests += (400 + k[i].max_days - 1) / k[i].max_days;
	}
	CHECK(requests == 5 * 5 + 7 + 2 * 29 + 1);
	/* the kinds days() does not hold: research/google-health.md 4.3-4.6 */
	for (i = 9; i < n; i++) {
		CHECK(!(k[i].flags & KIND_IN_DAYS));
		if (k[i].flags & KIND_INTRADAY)	/* <= 10000 minutes a page */
			CHECK(k[i].max_days * 1440 <= 10000);
		else if (strcmp(k[i].name, "active-zone-minutes") == 0)
			CHECK(k[i].max_days == 90);
		else if (strcmp(k[i].name, "exercise") == 0)	/* 25 a page */
			CHECK(k[i].max_days * 13 <= 50 * 25);
		else if (!(k[i].flags & KIND_CURRENT))
			CHECK(k[i].max_days >= 365);	/* paged lists */
	}
	CHECK(strcmp(k[n - 2].group, "intraday") == 0);
	CHECK(strcmp(k[n - 3].name, "devices") == 0);
	src->ops->budget(src, &b);
	CHECK(b.known == 0);
	CHECK(src->ops->requests(src) == 0);
	CHECK(!google_not_linked(src));
	CHECK(!google_not_linked(NULL));
	src->ops->free(src);
}

/* The project quota every account shares: a burst, then the pace. */
static void
test_project_quota(void)
{
	long ms = 0;
	int i, free_ones = 0;

	for (i = 0; i < GOOGLE_PROJECT_BURST + 50 && ms == 0; i++)
		if ((ms = google_quota_take()) == 0)
			free_ones++;
	/* a burst's worth went at once (less what earlier tests used) */
	CHECK(free_ones >= GOOGLE_PROJECT_BURST - 100 &&
	    free_ones <= GOOGLE_PROJECT_BURST);
	/* then each request waits 60000 / GOOGLE_PROJECT_RPM ms more */
	CHECK(ms >= 1 && ms <= 3);
	ms = google_quota_take();
	CHECK(ms >= 2 && ms <= 5);
}

void
suite_google(void)
{
	test_rollups();
	test_rollups_malformed();
	test_rollup_duplicate();
	test_rhr_pages();
	test_rhr_malformed();
	test_settings_profile();
	test_status();
	test_requests();
	test_duration();
	test_source();
	test_project_quota();
}
