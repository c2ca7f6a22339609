/*
 * google_exercise: exercise list pages -> sessions (see
 * google_exercise.h). Pure; runs on the collector thread, in the unit
 * tests and in the fuzz targets. A page that fails adds nothing.
 */
#include <math.h>
#include <string.h>

#include <cJSON.h>

#include "civil.h"
#include "google.h"
#include "google_exercise.h"
#include "google_parse.h"
#include "jsonv.h"

static const struct {
	const char *api;
	const char *zone;
} zones[EXERCISE_ZONES] = {
	{ "lightTime", "light" }, { "moderateTime", "moderate" },
	{ "vigorousTime", "vigorous" }, { "peakTime", "peak" },
};

/* o.name as a number >= 0, times scale; NAN when it is none. */
static double
num(const cJSON *o, const char *name, double scale)
{
	double v;

	if (jv_proto_number(jv_get(o, name), &v) == -1 || v < 0)
		return NAN;
	return v * scale;
}

/* heartRateZoneDurations: all four zones, or none when one is malformed. */
static void
zone_durations(const cJSON *z, struct exercise *e)
{
	const cJSON *d;
	double s;
	int i;

	if (!cJSON_IsObject(z))
		return;
	for (i = 0; i < EXERCISE_ZONES; i++) {
		s = 0;
		d = jv_get(z, zones[i].api);
		if (d != NULL && google_duration(cJSON_GetStringValue(d), &s) == -1)
			return;
		e->zone[i] = zones[i].zone;
		e->zone_s[i] = s;
	}
	e->nzones = EXERCISE_ZONES;
}

static int
session(const cJSON *pt, int32_t from, int32_t to, struct exercise_list *l,
    struct err *err)
{
	const cJSON *x = jv_get(pt, "exercise"), *iv, *m, *g;
	const char *name;
	struct exercise e;
	double d;
	size_t n;

	if (x == NULL || cJSON_IsNull(x))
		return 0;
	if (!cJSON_IsObject(x))
		return err_set(err, "'exercise' list: 'exercise' is not an "
		    "object");
	exercise_init(&e);
	iv = jv_get(x, "interval");
	if (jv_get(iv, "endTime") == NULL)
		return 0;	/* in progress */
	if (civil_parse_rfc3339(cJSON_GetStringValue(jv_get(iv, "startTime")),
	    &e.start_ms) == -1 || google_local_day(jv_get(iv, "startTime"),
	    jv_get(iv, "startUtcOffset"), &e.day) == -1 ||
	    e.day < from || e.day > to)
		return 0;
	if ((name = cJSON_GetStringValue(jv_get(pt, "name"))) != NULL) {
		n = strlen(name);
		name += n >= sizeof(e.id) ? n - (sizeof(e.id) - 1) : 0;
		memcpy(e.id, name, strlen(name) + 1);
	}
	e.activity = exercise_activity(cJSON_GetStringValue(jv_get(x,
	    "exerciseType")));
	if (google_duration(cJSON_GetStringValue(jv_get(x, "activeDuration")),
	    &d) == 0)
		e.v[EX_DURATION] = d;
	m = jv_get(x, "metricsSummary");
	e.v[EX_CALORIES] = num(m, "caloriesKcal", 1);
	e.v[EX_DISTANCE] = num(m, "distanceMillimeters", 1e-6);
	e.v[EX_STEPS] = num(m, "steps", 1);
	e.v[EX_HR_AVG] = num(m, "averageHeartRateBeatsPerMinute", 1);
	e.v[EX_AZM] = num(m, "activeZoneMinutes", 1);
	e.v[EX_ELEVATION] = num(m, "elevationGainMillimeters", 1e-3);
	zone_durations(jv_get(m, "heartRateZoneDurations"), &e);
	g = jv_get(jv_get(x, "exerciseMetadata"), "hasGps");
	if (cJSON_IsBool(g))
		e.gps = cJSON_IsTrue(g);
	return exercise_add(l, &e, err);
}

int
google_parse_exercise(const char *json, size_t len, int32_t from,
    int32_t to, struct exercise_list *l, char *next, size_t next_size,
    struct err *err)
{
	const cJSON *points, *pt;
	cJSON *root;
	size_t base = l->len;
	int rc;

	next[0] = '\0';
	rc = google_page(json, len, "'exercise' list", "dataPoints", &root,
	    &points, err);
	if (rc == 0)
		rc = jv_next_token(root, next, next_size, err);
	if (rc == -1)
		points = NULL;
	cJSON_ArrayForEach(pt, points)
		if ((rc = cJSON_IsObject(pt) ? session(pt, from, to, l, err) :
		    err_set(err, "'exercise' list: 'dataPoints' holds a "
		    "non-object")) == -1)
			break;
	if (rc == -1) {
		next[0] = '\0';
		l->len = base;
	}
	cJSON_Delete(root);
	return rc;
}
