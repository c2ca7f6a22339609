/*
 * exercise: workout sessions of both APIs -> SPEC samples: the activity
 * table, the collision rule, Google's exercise pages and the legacy
 * activity list (paging, edited and running sessions, DST, hostile
 * input).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "civil.h"
#include "httpc.h"
#include "source/exercise.h"
#include "source/source.h"
#include "source/fitbit/fitbit_parse.h"
#include "source/google/google_exercise.h"
#include "helpers.h"
#include "t.h"

#define MAR(d) civil_from_ymd(2026, 3, (d))
#define ZONE "Europe/Berlin"
#define DUR "fitbit_exercise_duration_seconds"
#define CAL "fitbit_exercise_calories"
#define DIST "fitbit_exercise_distance_km"
#define STEPS "fitbit_exercise_steps"
#define HR "fitbit_exercise_heart_rate_avg_bpm"
#define AZM "fitbit_exercise_active_zone_minutes"
#define ELEV "fitbit_exercise_elevation_gain_meters"
#define ZS "fitbit_exercise_heart_rate_zone_seconds"

/* UTC ms of 2026-03-d h:mi:s. */
static int64_t
at(int d, int h, int mi, int s)
{
	return ((int64_t)MAR(d) * 86400 + h * 3600 + mi * 60 + s) * 1000;
}

/* The sample of metric{activity[, zone]} stamped ts, or NULL. */
static const struct sample *
get(const struct samples *s, const char *metric, const char *activity,
    const char *zone, int64_t ts)
{
	size_t i;

	for (i = 0; i < s->len; i++) {
		const struct sample *x = &s->v[i];

		if (strcmp(x->metric, metric) != 0 || x->ts_ms != ts ||
		    x->lname[0] == NULL || strcmp(x->lname[0], "activity") != 0 ||
		    strcmp(x->lvalue[0], activity) != 0)
			continue;
		if (zone == NULL ? x->lname[1] == NULL : (x->lname[1] != NULL &&
		    strcmp(x->lname[1], "zone") == 0 &&
		    strcmp(x->lvalue[1], zone) == 0))
			return x;
	}
	return NULL;
}

static int
is(const struct samples *s, const char *metric, const char *activity,
    const char *zone, int64_t ts, double v)
{
	const struct sample *x = get(s, metric, activity, zone, ts);

	if (x == NULL || !t_near(x->value, v)) {
		printf("# want %s{%s,%s}@%lld = %g, got %g\n", metric, activity,
		    zone != NULL ? zone : "-", (long long)ts, v,
		    x != NULL ? x->value : NAN);
		return 0;
	}
	return 1;
}

static void
test_activity(void)
{
	CHECK(strcmp(exercise_activity("RUNNING"), "run") == 0);
	CHECK(strcmp(exercise_activity("Run"), "run") == 0);
	CHECK(strcmp(exercise_activity("Outdoor Bike"), "outdoor_bike") == 0);
	CHECK(strcmp(exercise_activity("outdoor  bike!"), "outdoor_bike") == 0);
	CHECK(strcmp(exercise_activity("Treadmill"), "treadmill") == 0);
	CHECK(strcmp(exercise_activity("HIIT"), "hiit") == 0);
	CHECK(strcmp(exercise_activity("Weights"), "weights") == 0);
	CHECK(strcmp(exercise_activity("Tapis de course"), "other") == 0);
	CHECK(strcmp(exercise_activity(""), "other") == 0);
	CHECK(strcmp(exercise_activity(NULL), "other") == 0);
	CHECK(strcmp(exercise_activity("RUNNINGRUNNINGRUNNINGRUNNINGRUNNINGRUN"
	    "NINGRUNNING"), "other") == 0);
}

/* Three sessions in one millisecond and one a millisecond later: start
 * order (then id) decides, each 1 ms after the one before. */
static void
test_collisions(void)
{
	struct exercise_list l;
	struct exercise e;
	struct samples s;
	struct err err = { 0 };
	const char *ids[] = { "c", "a", "b", "d" };
	int i;

	exercise_list_init(&l);
	samples_init(&s);
	for (i = 0; i < 4; i++) {
		exercise_init(&e);
		e.start_ms = at(1, 10, 0, 0) + (i == 3);
		e.day = MAR(1);
		snprintf(e.id, sizeof(e.id), "%s", ids[i]);
		e.v[EX_DURATION] = 100 + i;
		CHECK(exercise_add(&l, &e, &err) == 0);
	}
	e.v[EX_DURATION] = 999;		/* "d" again: the first copy wins */
	CHECK(exercise_add(&l, &e, &err) == 0);
	CHECK(l.len == 4);
	CHECK(exercise_samples(&l, &s, &err) == 0);
	CHECK(s.len == 4);
	CHECK(is(&s, DUR, "other", NULL, at(1, 10, 0, 0), 101));	/* a */
	CHECK(is(&s, DUR, "other", NULL, at(1, 10, 0, 0) + 1, 102));	/* b */
	CHECK(is(&s, DUR, "other", NULL, at(1, 10, 0, 0) + 2, 100));	/* c */
	CHECK(is(&s, DUR, "other", NULL, at(1, 10, 0, 0) + 3, 103));	/* d */
	samples_release(&s);
	exercise_list_release(&l);
}

static int
google(const char *name, int32_t from, int32_t to, struct exercise_list *l,
    char *next, size_t n, struct err *err)
{
	size_t len;
	char *json = fixture(name, &len);
	int rc = google_parse_exercise(json, len, from, to, l, next, n, err);

	free(json);
	return rc;
}

static void
test_google(void)
{
	struct exercise_list l;
	struct samples s;
	struct err err = { 0 };
	char next[64];
	int64_t lift = at(28, 17, 0, 0);

	exercise_list_init(&l);
	samples_init(&s);
	CHECK(google("google_exercise.json", MAR(27), MAR(29), &l, next,
	    sizeof(next), &err) == 0);
	CHECK(strcmp(next, "p2") == 0);
	CHECK(l.len == 5);		/* the running session is skipped */
	CHECK(exercise_samples(&l, &s, &err) == 0);
	/* run on the DST day: 09:30 CEST = 07:30 UTC */
	CHECK(is(&s, DUR, "run", NULL, at(29, 7, 30, 0), 2580));
	CHECK(is(&s, CAL, "run", NULL, at(29, 7, 30, 0), 412.5));
	CHECK(is(&s, DIST, "run", NULL, at(29, 7, 30, 0), 7.35));
	CHECK(is(&s, STEPS, "run", NULL, at(29, 7, 30, 0), 6810));
	CHECK(is(&s, HR, "run", NULL, at(29, 7, 30, 0), 151));
	CHECK(is(&s, AZM, "run", NULL, at(29, 7, 30, 0), 61));
	CHECK(is(&s, ELEV, "run", NULL, at(29, 7, 30, 0), 42));
	CHECK(is(&s, ZS, "run", "light", at(29, 7, 30, 0), 300));
	CHECK(is(&s, ZS, "run", "moderate", at(29, 7, 30, 0), 900));
	CHECK(is(&s, ZS, "run", "vigorous", at(29, 7, 30, 0), 1320));
	CHECK(is(&s, ZS, "run", "peak", at(29, 7, 30, 0), 0));
	CHECK(get(&s, DUR, "run", NULL, at(29, 16, 0, 0)) == NULL);
	/* 23:30 CET belongs to the 28th, though UTC says 22:30 */
	CHECK(get(&s, DUR, "yoga", NULL, at(28, 22, 30, 0))->day == MAR(28));
	CHECK(is(&s, AZM, "yoga", NULL, at(28, 22, 30, 0), 0));
	CHECK(get(&s, DIST, "yoga", NULL, at(28, 22, 30, 0)) == NULL);
	/* two sessions in the same second: lift1 first, lift2 1 ms later */
	CHECK(is(&s, DUR, "strength", NULL, lift, 1200));
	CHECK(is(&s, DUR, "weights", NULL, lift + 1, 2400));
	CHECK(is(&s, CAL, "weights", NULL, lift + 1, 180));
	/* an unspecified type is "other"; strings hold int64s */
	CHECK(is(&s, STEPS, "other", NULL, at(27, 11, 0, 0), 3100));
	CHECK(is(&s, DIST, "other", NULL, at(27, 11, 0, 0), 2.4));
	CHECK(t_count(&s, CAL, "other", T_ANY_DAY) == 0);
	samples_clear(&s);
	exercise_list_release(&l);

	/* only the days asked for */
	CHECK(google("google_exercise.json", MAR(29), MAR(29), &l, next,
	    sizeof(next), &err) == 0);
	CHECK(l.len == 1 && strcmp(l.v[0].activity, "run") == 0);
	exercise_list_release(&l);

	/* hostile values give no sample, never a page error */
	CHECK(google("google_exercise_hostile.json", MAR(1), MAR(31), &l, next,
	    sizeof(next), &err) == 0);
	CHECK(next[0] == '\0');
	CHECK(exercise_samples(&l, &s, &err) == 0);
	CHECK(s.len == 0);
	CHECK(l.len == 2);		/* e and f: an instant, nothing else */
	exercise_list_release(&l);

	CHECK(google("google_exercise_not_object.json", MAR(1), MAR(31), &l,
	    next, sizeof(next), &err) == -1);
	CHECK(strcmp(err.msg, "'exercise' list: 'exercise' is not an object")
	    == 0);
	CHECK(l.len == 0);
	err_clear(&err);
	CHECK(google("google_exercise_not_list.json", MAR(1), MAR(31), &l,
	    next, sizeof(next), &err) == -1 && l.len == 0);
	err_clear(&err);
	CHECK(google_parse_exercise("{\"dataPoints\":[", 15, MAR(1), MAR(31),
	    &l, next, sizeof(next), &err) == -1 && l.len == 0);
	exercise_list_release(&l);
	samples_release(&s);
}

static int
legacy(const char *name, int32_t from, int32_t to, struct exercise_list *l,
    char *next, struct err *err)
{
	size_t len;
	char *json = fixture(name, &len);
	int rc = fitbit_parse_exercise(json, len, from, to, ZONE, l, next, 128,
	    err);

	free(json);
	return rc;
}

static void
test_legacy(void)
{
	struct exercise_list l;
	struct samples s;
	struct err err = { 0 };
	char next[128] = "x";
	int64_t walk = at(28, 11, 8, 6), bike = at(29, 8, 15, 0);

	exercise_list_init(&l);
	samples_init(&s);
	CHECK(legacy("fitbit_exercise.json", MAR(28), MAR(29), &l, next,
	    &err) == 0);
	CHECK(next[0] == '\0');	/* the swim on the 30th is past `to` */
	CHECK(l.len == 5);		/* the run has not ended */
	CHECK(exercise_samples(&l, &s, &err) == 0);
	CHECK(is(&s, DUR, "walk", NULL, walk, 1536));
	CHECK(is(&s, CAL, "walk", NULL, walk, 204));
	CHECK(is(&s, DIST, "walk", NULL, walk, 1.72));
	CHECK(is(&s, STEPS, "walk", NULL, walk, 2047));
	CHECK(is(&s, HR, "walk", NULL, walk, 97));
	CHECK(is(&s, AZM, "walk", NULL, walk, 7));
	CHECK(is(&s, ELEV, "walk", NULL, walk, 3.048));
	CHECK(is(&s, ZS, "walk", "out_of_range", walk, 1080));
	CHECK(is(&s, ZS, "walk", "fat_burn", walk, 420));
	CHECK(is(&s, ZS, "walk", "cardio", walk, 0));
	CHECK(is(&s, ZS, "walk", "peak", walk, 0));
	/* edited: startTime and activeDuration, not the original ones */
	CHECK(is(&s, DUR, "outdoor_bike", NULL, bike, 3000));
	CHECK(is(&s, CAL, "outdoor_bike", NULL, bike, 520));
	CHECK(is(&s, AZM, "outdoor_bike", NULL, bike, 38));
	CHECK(is(&s, STEPS, "outdoor_bike", NULL, bike, 0));
	CHECK(t_count(&s, DUR, "outdoor_bike", T_ANY_DAY) == 1);
	/* same second: logId ...500 (yoga) first, ...501 (weights) + 1 ms */
	CHECK(is(&s, DUR, "yoga", NULL, at(29, 16, 0, 0), 600));
	CHECK(is(&s, DUR, "weights", NULL, at(29, 16, 0, 0) + 1, 900));
	/* a local time without offset is the profile's zone; miles -> km */
	CHECK(is(&s, DIST, "treadmill", NULL, at(29, 17, 0, 0), 3.218688));
	CHECK(t_count(&s, DUR, "run", T_ANY_DAY) == 0);
	CHECK(t_count(&s, DUR, "swim", T_ANY_DAY) == 0);
	samples_clear(&s);
	exercise_list_release(&l);

	/* while nothing passed `to`: the query of pagination.next */
	CHECK(legacy("fitbit_exercise.json", MAR(28), MAR(30), &l, next,
	    &err) == 0);
	CHECK(strcmp(next, "offset=7&limit=100&sort=asc&afterDate=2026-03-27")
	    == 0 && l.len == 6);
	exercise_list_release(&l);

	CHECK(legacy("fitbit_exercise_hostile.json", MAR(1), MAR(31), &l,
	    next, &err) == 0);
	CHECK(next[0] == '\0');
	CHECK(exercise_samples(&l, &s, &err) == 0);
	CHECK(s.len == 1);		/* only the first Peak entry */
	CHECK(is(&s, ZS, "other", "peak", at(29, 6, 0, 0), 60));
	exercise_list_release(&l);
	samples_release(&s);

	CHECK(fitbit_parse_exercise("{\"activities\":{}}", 17, MAR(1), MAR(31),
	    ZONE, &l, next, sizeof(next), &err) == -1);
	CHECK(strcmp(err.msg, "activity list: no 'activities' list") == 0);
	err_clear(&err);
	CHECK(fitbit_parse_exercise("[", 1, MAR(1), MAR(31), ZONE, &l, next,
	    sizeof(next), &err) == -1 && l.len == 0 && next[0] == '\0');
	err_clear(&err);
	CHECK(fitbit_parse_exercise("{\"activities\":[]}", 17, MAR(1), MAR(31),
	    "Mars/Olympus", &l, next, sizeof(next), &err) == -1);
	exercise_list_release(&l);
	/* a next link that is not a list page, or that holds what SyncBit
	 * would not send: an error, nothing kept */
	{
		static const char *const bad[] = {
		    "https://evil.example/steal?token=1",
		    "https://api.fitbit.com/1/user/-/activities/list.json?a=b c",
		    "https://api.fitbit.com/1/user/-/activities/list.json?a=b#x",
		    "https://api.fitbit.com/1/user/-/activities/list.json?",
		};
		char json[256];
		size_t i;

		for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			snprintf(json, sizeof(json), "{\"activities\":[{\"logId\":"
			    "1,\"duration\":1,\"startTime\":\"2026-03-02T07:00:00"
			    "Z\"}],\"pagination\":{\"next\":\"%s\"}}", bad[i]);
			err_clear(&err);
			CHECK(fitbit_parse_exercise(json, strlen(json), MAR(1),
			    MAR(31), ZONE, &l, next, sizeof(next), &err) == -1);
			CHECK(l.len == 0 && next[0] == '\0');
			CHECK(strstr(err.msg, "pagination.next") != NULL);
		}
		exercise_list_release(&l);
	}
}

/* fitbit_exercise_range's pages: a scripted API. */
struct script {
	const char *pages[3];
	int n;
	char paths[3][200];
};

static int
scripted(void *ctx, const char *path, int route, struct httpc_resp *r,
    struct err *err)
{
	struct script *sc = ctx;
	const char *body;

	httpc_resp_init(r);
	if (route)
		return err_set(err, "a route with routes off");
	if (sc->n >= 3 || sc->pages[sc->n] == NULL)
		return err_set(err, "no more pages");
	snprintf(sc->paths[sc->n], sizeof(sc->paths[0]), "%s", path);
	body = sc->pages[sc->n++];
	r->status = 200;
	r->body = strdup(body);
	r->len = strlen(body);
	return r->body != NULL ? 0 : err_set(err, "out of memory");
}

static void
test_range(void)
{
	struct script sc = { {
	    "{\"activities\":[{\"activityName\":\"Swim\",\"logId\":1,"
	    "\"activeDuration\":60000,\"startTime\":\"2026-03-02T07:00:00.000"
	    "+01:00\"}],\"pagination\":{\"next\":\"https://api.fitbit.com/1/"
	    "user/-/activities/list.json?offset=1&limit=100&sort=asc&afterDate="
	    "2026-02-28\"}}",
	    "{\"activities\":[{\"activityName\":\"Swim\",\"logId\":2,"
	    "\"activeDuration\":120000,\"startTime\":\"2026-03-02T07:00:00.000"
	    "+01:00\"}],\"pagination\":{\"next\":\"\"}}", NULL }, 0, { "" } };
	struct profile prof = { ZONE, -1 };
	struct samples s;
	struct err err = { 0 };

	samples_init(&s);
	CHECK(fitbit_exercise_range(scripted, &sc, NULL, &prof, MAR(1), MAR(3), &s,
	    &err) == 0);
	CHECK(sc.n == 2);
	CHECK(strcmp(sc.paths[0], "1/user/-/activities/list.json?afterDate="
	    "2026-02-28&sort=asc&limit=100&offset=0") == 0);
	/* the next page: the link's query on our own base */
	CHECK(strcmp(sc.paths[1], "1/user/-/activities/list.json?offset=1&"
	    "limit=100&sort=asc&afterDate=2026-02-28") == 0);
	/* the collision rule holds across pages */
	CHECK(is(&s, DUR, "swim", NULL, at(2, 6, 0, 0), 60));
	CHECK(is(&s, DUR, "swim", NULL, at(2, 6, 0, 0) + 1, 120));
	/* a failed page: nothing */
	samples_clear(&s);
	sc.n = 0;
	sc.pages[1] = "{\"activities\":7}";
	CHECK(fitbit_exercise_range(scripted, &sc, NULL, &prof, MAR(1), MAR(3), &s,
	    &err) == -1 && s.len == 0);
	/* a link to the page just read: an error, not a loop */
	sc.n = 0;
	sc.pages[1] = sc.pages[0] = "{\"activities\":[{\"logId\":1,\"duration\""
	    ":1,\"startTime\":\"2026-03-02T07:00:00Z\"}],\"pagination\":"
	    "{\"next\":\"/1/user/-/activities/list.json?afterDate=2026-02-28&"
	    "sort=asc&limit=100&offset=0\"}}";
	err_clear(&err);
	CHECK(fitbit_exercise_range(scripted, &sc, NULL, &prof, MAR(1), MAR(3), &s,
	    &err) == -1 && s.len == 0 && sc.n == 1);
	CHECK(strstr(err.msg, "the same page twice") != NULL);
	samples_release(&s);
}

void
suite_exercise(void)
{
	test_activity();
	test_collisions();
	test_google();
	test_legacy();
	test_range();
}
