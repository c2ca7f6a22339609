/*
 * tcx: TCX documents -> trackpoints -> samples: the documented shape
 * (laps, tracks, an offset time, unsorted points), a route-less file,
 * bad values (dropped and counted), and hostile documents (entity
 * expansion, external entities, deep nesting, caps, not XML).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "civil.h"
#include "source/tcx.h"
#include "helpers.h"
#include "t.h"

/* UTC ms of 2026-mo-d h:mi:s. */
static int64_t
at(int mo, int d, int h, int mi, int s)
{
	return ((int64_t)civil_from_ymd(2026, mo, d) * 86400 + h * 3600 +
	    mi * 60 + s) * 1000;
}

static int
parse(const char *name, struct tcx_route *rt, struct err *err)
{
	size_t len;
	char *doc = fixture(name, &len);
	int rc = tcx_parse(doc, len, rt, err);

	free(doc);
	return rc;
}

static void
test_route(void)
{
	struct tcx_route rt;
	struct samples s;
	struct err err = { 0 };
	const char *session = "2026-10-25T01:30:00Z";

	CHECK(parse("tcx_route.tcx", &rt, &err) == 0);
	CHECK(rt.len == 4 && rt.positions == 3);
	CHECK(rt.activities == 1 && rt.laps == 2 && rt.tracks == 2);
	if (rt.len == 4) {
		CHECK(rt.v[0].ts_ms == at(10, 25, 1, 30, 0));
		CHECK(rt.v[0].has == (TCX_HAS_POSITION | TCX_HAS_ALTITUDE |
		    TCX_HAS_HEART_RATE));
		CHECK(t_near(rt.v[0].lat, 52.520008) &&
		    t_near(rt.v[0].lon, 13.404954));
		CHECK(t_near(rt.v[0].alt_m, 34.5) && rt.v[0].hr_bpm == 96);
		/* 02:30:01+01:00, the fall-back's second pass */
		CHECK(rt.v[1].ts_ms == at(10, 25, 1, 30, 1));
		CHECK(t_near(rt.v[1].lon, -13.4051));
		CHECK(rt.v[2].ts_ms == at(10, 25, 1, 30, 30));	/* sorted */
		CHECK(rt.v[3].has == (TCX_HAS_ALTITUDE | TCX_HAS_HEART_RATE));
	}
	samples_init(&s);
	CHECK(tcx_samples(&rt, session, &s, &err) == 0);
	CHECK(s.len == 3 * 2 + 2 + 3);
	CHECK(t_count(&s, TCX_METRIC_LAT, session, T_ANY_DAY) == 3);
	CHECK(t_count(&s, TCX_METRIC_HR, session, T_ANY_DAY) == 3);
	CHECK(t_find(&s, TCX_METRIC_ALT, session, T_ANY_DAY)->ts_ms ==
	    at(10, 25, 1, 30, 0));
	CHECK(strcmp(s.v[0].lname[0], "session") == 0);
	/* a session label that is not RFC 3339 UTC: nothing */
	samples_clear(&s);
	CHECK(tcx_samples(&rt, "morning run", &s, &err) == -1 && s.len == 0);
	CHECK(tcx_samples(&rt, "2026-10-25T02:30:00+01:00", &s, &err) == -1);
	samples_release(&s);
	tcx_route_release(&rt);

	/* Google without the location scope, a treadmill: no route, no error */
	CHECK(parse("tcx_no_route.tcx", &rt, &err) == 0);
	CHECK(rt.len == 0 && rt.laps == 1 && rt.tracks == 0);
	tcx_route_release(&rt);
}

static void
test_bad_values(void)
{
	struct tcx_route rt;
	struct err err = { 0 };

	CHECK(parse("tcx_bad_values.tcx", &rt, &err) == 0);
	CHECK(rt.len == 3 && rt.positions == 1);
	CHECK(rt.bad[TCX_BAD_TIME] == 2);
	CHECK(rt.bad[TCX_BAD_POSITION] == 6);
	CHECK(rt.bad[TCX_DUP_TIME] == 1);
	CHECK(rt.bad[TCX_BAD_ALTITUDE] == 2);
	CHECK(rt.bad[TCX_BAD_HEART_RATE] == 3);
	if (rt.len == 3) {
		CHECK(rt.v[0].ts_ms == at(11, 19, 7, 0, 5) && rt.v[0].has == 0);
		CHECK(rt.v[2].has == TCX_HAS_POSITION);	/* the first 07:00:07 */
		CHECK(rt.v[2].lat == -90 && rt.v[2].lon == 180);
	}
	CHECK(strcmp(tcx_reason_name(TCX_DUP_TIME), "duplicate_time") == 0);
	CHECK(strcmp(tcx_reason_name(TCX_REASONS), "?") == 0);
	tcx_route_release(&rt);
}

/* A document that must be refused with a message containing want. */
static struct err last;		/* refused()'s error */

static void
refused(const char *doc, size_t len, const char *want)
{
	struct tcx_route rt;
	struct err err = { 0 };

	CHECK(tcx_parse(doc, len, &rt, &err) == -1);
	CHECK(rt.len == 0 && rt.v == NULL);
	CHECK(strstr(err.msg, want) != NULL);
	if (strstr(err.msg, want) == NULL)
		printf("# got '%s', want '%s'\n", err.msg, want);
	CHECK(strchr(err.msg, '\n') == NULL);
	last = err;
}

static void
refused_fixture(const char *name, const char *want)
{
	size_t len;
	char *doc = fixture(name, &len);

	refused(doc, len, want);
	free(doc);
}

#define HEAD "<TrainingCenterDatabase xmlns=\"http://www.garmin.com/" \
	"xmlschemas/TrainingCenterDatabase/v2\"><Activities><Activity><Lap>" \
	"<Track>"
#define TAIL "</Track></Lap></Activity></Activities></TrainingCenterDatabase>"
#define POINT "<Trackpoint><Time>2026-11-19T07:00:00Z</Time></Trackpoint>"

static void
test_hostile(void)
{
	char *big, *deep;
	size_t i, n, cap;

	/* refused: at the DOCTYPE, or by libxml2's entity-loop guard while
	 * it reads the internal subset; never expanded */
	refused_fixture("tcx_billion_laughs.tcx", "");
	CHECK(strstr(last.msg, "DOCTYPE") != NULL ||
	    strstr(last.msg, "entity") != NULL);
	refused_fixture("tcx_xxe.tcx", "DOCTYPE");
	refused("", 0, "empty");
	refused("{\"not\":\"xml\"}", 13, "not well-formed");
	refused("<gpx><trk/></gpx>", 17, "not a TCX document (root 'gpx')");
	/* the document's bytes reach a message only as printable ASCII */
	{
		static const char utf8[] = "<\xed\x9b\xb8" "ers/>";
		static const char bad[] = "<?xml version=\"1.0\" encoding="
		    "\"UTF-8\"?><a>\xb4\xb4" "</a>";

		refused(utf8, sizeof(utf8) - 1, "root '???ers'");
		refused(bad, sizeof(bad) - 1, "not well-formed");
	}
	refused(HEAD "<Trackpoint>", sizeof(HEAD "<Trackpoint>") - 1,
	    "not well-formed");
	refused("<TrainingCenterDatabase xmlns=\"urn:other\"/>",
	    strlen("<TrainingCenterDatabase xmlns=\"urn:other\"/>"),
	    "not a TCX document");

	/* elements nested below the path's deepest field: ignored (the
	 * fuzzer found a read past the depth table here) */
	{
		static const char doc[] = HEAD "<Trackpoint><Time>2026-11-19T"
		    "07:00:00Z</Time><HeartRateBpm><Value>90<x><y><z>1</z></y>"
		    "</x></Value></HeartRateBpm></Trackpoint>" TAIL;
		struct tcx_route rt;
		struct err err = { 0 };

		CHECK(tcx_parse(doc, sizeof(doc) - 1, &rt, &err) == 0);
		CHECK(rt.len == 1 && rt.v[0].has == TCX_HAS_HEART_RATE &&
		    rt.v[0].hr_bpm == 90);
		tcx_route_release(&rt);
	}

	/* 300 levels below a Trackpoint: libxml2's depth limit, not a crash */
	cap = 300 * 8 + 256;
	deep = malloc(cap);
	n = (size_t)snprintf(deep, cap, "%s", HEAD);
	for (i = 0; i < 300; i++)
		n += (size_t)snprintf(deep + n, cap - n, "<a>");
	refused(deep, n, "not well-formed");
	free(deep);

	/* more than TCX_MAX_POINTS trackpoints: an error, not a cut route */
	cap = sizeof(HEAD) + sizeof(TAIL) + (size_t)(TCX_MAX_POINTS + 1) *
	    (sizeof(POINT) - 1);
	big = malloc(cap);
	n = (size_t)snprintf(big, cap, "%s", HEAD);
	for (i = 0; i <= TCX_MAX_POINTS; i++) {
		memcpy(big + n, POINT, sizeof(POINT) - 1);
		n += sizeof(POINT) - 1;
	}
	memcpy(big + n, TAIL, sizeof(TAIL));
	n += sizeof(TAIL) - 1;
	refused(big, n, "more than 100000 trackpoints");
	/* over the byte cap: refused before parsing */
	refused(big, TCX_MAX_BYTES + 1, "over the cap");
	free(big);
}

void
suite_tcx(void)
{
	test_route();
	test_bad_values();
	test_hostile();
}
