/*
 * route: which sessions get a route (the days' window, an id), one
 * request per session however often its day is read again, what is no
 * error (404, 403, a TCX that does not parse) and what fails the call
 * (nothing appended, and the routes already read are not asked again),
 * the samples (instants, the session label, the session's local day),
 * and the memo forgetting what no cycle reads again.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "civil.h"
#include "httpc.h"
#include "source/exercise.h"
#include "source/route.h"
#include "source/source.h"
#include "source/tcx.h"
#include "helpers.h"
#include "t.h"

#define ZONE "Europe/Berlin"
#define LAT TCX_METRIC_LAT
#define NOV(d) civil_from_ymd(2026, 11, (d))

/* 2026-11-30 12:00 UTC: today in Berlin is Nov 30. */
#define NOW ((int64_t)NOV(30) * 86400 + 12 * 3600)

/* What the scripted API answers per session id, and what it was asked. */
struct api {
	const char *fail_id;	/* this id: the answer below */
	int fail_status;	/* 404, 403; 0: a transient failure; -1:
				 * over the cap */
	const char *bad_id;	/* this id: not XML */
	int asked;
	char last[EXERCISE_ID_MAX];
};

/* A TCX of three points, a minute apart, from start_ms (UTC). */
static char *
doc(int64_t start_ms)
{
	char t[3][32], *d;
	struct tm tm;
	time_t s;
	int i;
	size_t n = 1024;

	for (i = 0; i < 3; i++) {
		s = (time_t)(start_ms / 1000) + 60 * i;
		gmtime_r(&s, &tm);
		strftime(t[i], sizeof(t[i]), "%Y-%m-%dT%H:%M:%SZ", &tm);
	}
	if ((d = malloc(n)) == NULL)
		return NULL;
	snprintf(d, n, "<?xml version=\"1.0\"?><TrainingCenterDatabase "
	    "xmlns=\"http://www.garmin.com/xmlschemas/TrainingCenterDatabase/"
	    "v2\"><Activities><Activity Sport=\"Running\"><Lap><Track>"
	    "<Trackpoint><Time>%s</Time><Position><LatitudeDegrees>52.5"
	    "</LatitudeDegrees><LongitudeDegrees>13.4</LongitudeDegrees>"
	    "</Position><AltitudeMeters>34</AltitudeMeters><HeartRateBpm>"
	    "<Value>120</Value></HeartRateBpm></Trackpoint>"
	    "<Trackpoint><Time>%s</Time><Position><LatitudeDegrees>52.6"
	    "</LatitudeDegrees><LongitudeDegrees>13.5</LongitudeDegrees>"
	    "</Position></Trackpoint>"
	    "<Trackpoint><Time>%s</Time><HeartRateBpm><Value>130</Value>"
	    "</HeartRateBpm></Trackpoint>"
	    "</Track></Lap></Activity></Activities></TrainingCenterDatabase>",
	    t[0], t[1], t[2]);
	return d;
}

static int
get(void *ctx, const struct exercise *e, struct httpc_resp *r,
    struct err *err)
{
	struct api *a = ctx;

	httpc_resp_init(r);
	a->asked++;
	snprintf(a->last, sizeof(a->last), "%s", e->id);
	if (a->fail_id != NULL && strcmp(e->id, a->fail_id) == 0)
		return a->fail_status > 0 ? err_http(err, ERR_HTTP,
		    a->fail_status, "answered %d", a->fail_status) :
		    a->fail_status < 0 ? err_kind(err, ERR_TOO_LARGE,
		    "larger than 32 MiB") :
		    err_kind(err, ERR_TRANSIENT, "no answer");
	if (a->bad_id != NULL && strcmp(e->id, a->bad_id) == 0)
		r->body = strdup("<TrainingCenterDatabase><Activities>");
	else
		r->body = doc(e->start_ms);
	if (r->body == NULL)
		return err_set(err, "out of memory");
	r->len = strlen(r->body);
	r->status = 200;
	return 0;
}

/* A session of day d at h:30 UTC. */
static void
add(struct exercise_list *l, const char *id, int32_t d, int h)
{
	struct exercise e;
	struct err err = { 0 };

	exercise_init(&e);
	snprintf(e.id, sizeof(e.id), "%s", id);
	e.day = d;
	e.start_ms = ((int64_t)d * 86400 + h * 3600 + 1800) * 1000;
	e.activity = "run";
	e.v[EX_DURATION] = 600;
	CHECK(exercise_add(l, &e, &err) == 0);
}

/* What the source does before route_add(): the sessions' stamps. */
static void
stamp(struct exercise_list *l)
{
	struct samples s;
	struct err err = { 0 };

	samples_init(&s);
	CHECK(exercise_samples(l, &s, &err) == 0);
	samples_release(&s);
}

static void
test_window(void)
{
	struct profile p = { ZONE, -1 };
	struct exercise_list l;
	struct samples s;
	struct api a = { 0 };
	struct routes *r = routes_new(10);
	struct err err = { 0 };
	const struct sample *x;

	exercise_list_init(&l);
	samples_init(&s);
	add(&l, "old", NOV(20), 8);	/* 11 days back: outside 10 */
	add(&l, "edge", NOV(21), 8);	/* the 10th day */
	add(&l, "", NOV(29), 8);	/* no id: nothing to ask for */
	add(&l, "late", NOV(29), 23);	/* 00:30 on Nov 30 in Berlin... */
	l.v[3].day = NOV(30);		/* ...its local day */
	stamp(&l);
	CHECK(route_add(r, &p, NOW, &l, get, &a, &s, &err) == 0);
	CHECK(a.asked == 2);
	/* two sessions x (2 positions x 2 + 1 altitude + 2 heart rates) */
	CHECK(s.len == 14);
	CHECK(t_count(&s, LAT, "2026-11-21T08:30:00Z", T_ANY_DAY) == 2);
	x = t_find(&s, TCX_METRIC_HR, "2026-11-29T23:30:00Z", T_ANY_DAY);
	CHECK(x != NULL && x->ts_ms == (int64_t)(NOV(29) * 86400 + 23 * 3600 +
	    1800) * 1000 && x->value == 120);
	/* the session's local day, though the point is on UTC Nov 29 */
	CHECK(x != NULL && x->day == NOV(30));
	CHECK(x != NULL && x->group != NULL && strcmp(x->group,
	    "exercise") == 0);
	CHECK(t_count(&s, TCX_METRIC_ALT, NULL, T_ANY_DAY) == 2);
	/* /metrics shows no trackpoint: route_drop leaves the rest */
	{
		struct samples d;

		samples_init(&d);
		CHECK(samples_add(&d, "fitbit_exercise_calories", NOV(30), 1,
		    "activity", "run", NULL) == 0);
		CHECK(samples_extend(&d, &s) == 0);
		route_drop(&d, 0);
		CHECK(d.len == 1 && strcmp(d.v[0].metric,
		    "fitbit_exercise_calories") == 0);
		samples_release(&d);
	}
	/* read again (a cycle's re-read): the same samples, no request */
	samples_clear(&s);
	CHECK(route_add(r, &p, NOW, &l, get, &a, &s, &err) == 0);
	CHECK(a.asked == 2 && s.len == 14);
	CHECK(routes_fetched(r) == 2);
	/* 5 days later "edge" is past the window: nothing asked, "late"
	 * still from the memo */
	samples_clear(&s);
	CHECK(route_add(r, &p, NOW + 5 * 86400LL, &l, get, &a, &s, &err) == 0);
	CHECK(a.asked == 2 && s.len == 7);
	CHECK(t_count(&s, LAT, "2026-11-29T23:30:00Z", T_ANY_DAY) == 2);
	routes_free(r);
	/* a wider window: past the days a cycle re-reads, the memo forgets
	 * a session (after that call), so a later read asks again */
	r = routes_new(30);
	samples_clear(&s);
	CHECK(route_add(r, &p, NOW, &l, get, &a, &s, &err) == 0);
	CHECK(a.asked == 5);	/* old, edge and late */
	CHECK(route_add(r, &p, NOW + 16 * 86400LL, &l, get, &a, &s, &err) == 0);
	CHECK(a.asked == 5);
	CHECK(route_add(r, &p, NOW + 16 * 86400LL, &l, get, &a, &s, &err) == 0);
	CHECK(a.asked == 8);
	/* routes off: nothing, not a request */
	routes_free(r);
	r = routes_new(0);
	samples_clear(&s);
	CHECK(!routes_on(r));
	CHECK(route_add(r, &p, NOW, &l, get, &a, &s, &err) == 0);
	CHECK(a.asked == 8 && s.len == 0);
	routes_free(r);
	samples_release(&s);
	exercise_list_release(&l);
}

/* Two sessions that start in the same second: their routes' session
 * labels are their samples' stamps, 1 ms apart, so no point collides. */
static void
test_twins(void)
{
	struct profile p = { ZONE, -1 };
	struct exercise_list l;
	struct samples s;
	struct api a = { 0 };
	struct routes *r = routes_new(90);
	struct err err = { 0 };

	exercise_list_init(&l);
	samples_init(&s);
	add(&l, "yoga", NOV(28), 9);
	add(&l, "weights", NOV(28), 9);
	stamp(&l);
	CHECK(route_add(r, &p, NOW, &l, get, &a, &s, &err) == 0);
	CHECK(a.asked == 2 && s.len == 14);
	/* "weights" sorts first: it keeps the start, "yoga" is 1 ms later */
	CHECK(t_count(&s, TCX_METRIC_HR, "2026-11-28T09:30:00Z", T_ANY_DAY) == 2);
	CHECK(t_count(&s, TCX_METRIC_HR, "2026-11-28T09:30:00.001Z",
	    T_ANY_DAY) == 2);
	routes_free(r);
	samples_release(&s);
	exercise_list_release(&l);
}

static void
test_answers(void)
{
	struct profile p = { ZONE, -1 };
	struct exercise_list l;
	struct samples s;
	struct api a = { 0 };
	struct routes *r = routes_new(90);
	struct err err = { 0 };

	exercise_list_init(&l);
	samples_init(&s);
	add(&l, "a", NOV(25), 8);
	add(&l, "b", NOV(26), 8);
	add(&l, "c", NOV(27), 8);
	stamp(&l);
	/* a transient failure on b: the call fails, nothing is appended */
	a.fail_id = "b";
	CHECK(route_add(r, &p, NOW, &l, get, &a, &s, &err) == -1);
	CHECK(err.kind == ERR_TRANSIENT && s.len == 0 && a.asked == 2);
	/* tried again: a is not asked for again */
	a.fail_id = NULL;
	a.asked = 0;
	err_clear(&err);
	CHECK(route_add(r, &p, NOW, &l, get, &a, &s, &err) == 0);
	CHECK(a.asked == 2 && s.len == 21);
	routes_free(r);

	/* 404 (gone) and a TCX that is not XML: no route, no error, asked
	 * once */
	r = routes_new(90);
	samples_clear(&s);
	a = (struct api){ "a", 404, "b", 0, "" };
	CHECK(route_add(r, &p, NOW, &l, get, &a, &s, &err) == 0);
	CHECK(a.asked == 3 && s.len == 7);
	CHECK(t_count(&s, LAT, "2026-11-27T08:30:00Z", T_ANY_DAY) == 2);
	samples_clear(&s);
	CHECK(route_add(r, &p, NOW, &l, get, &a, &s, &err) == 0);
	CHECK(a.asked == 3 && s.len == 7);
	routes_free(r);

	/* a document over the cap: as one that does not parse */
	r = routes_new(90);
	samples_clear(&s);
	a = (struct api){ "b", -1, NULL, 0, "" };
	CHECK(route_add(r, &p, NOW, &l, get, &a, &s, &err) == 0);
	CHECK(a.asked == 3 && s.len == 14 && !err.set);
	CHECK(t_count(&s, LAT, "2026-11-26T08:30:00Z", T_ANY_DAY) == 0);
	routes_free(r);

	/* 403 (no location scope): not an error, and no more asking */
	r = routes_new(90);
	samples_clear(&s);
	a = (struct api){ "a", 403, NULL, 0, "" };
	CHECK(route_add(r, &p, NOW, &l, get, &a, &s, &err) == 0);
	CHECK(a.asked == 1 && s.len == 0 && !err.set);
	routes_free(r);

	/* a session whose label cannot be had: a zone SyncBit cannot read */
	r = routes_new(90);
	p = (struct profile){ "Not/AZone", -1 };
	CHECK(route_add(r, &p, NOW, &l, get, &a, &s, &err) == -1);
	routes_free(r);
	samples_release(&s);
	exercise_list_release(&l);
}

void
suite_route(void)
{
	test_window();
	test_twins();
	test_answers();
}
