/*
 * fitbit_exercise: the legacy activity log list -> sessions (the contract
 * is fitbit_parse.h's fitbit_parse_exercise), and the pages of one range
 * (fitbit_exercise_range: its requests go through the caller's get). The
 * parser is pure; a local startTime goes through civil_local_to_utc().
 * Collector thread (and the unit tests, the fuzz targets).
 */
#include <ctype.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <cJSON.h>

#include "civil.h"
#include "httpc.h"
#include "fitbit_json.h"
#include "fitbit_parse.h"
#include "jsonv.h"
#include "source/route.h"
#include "source/source.h"

#define KM_PER_MILE 1.609344
#define LIMIT 100		/* activities/list.json's largest page */
#define PAGES 50		/* per range: a loop guard */
#define NEXT_MAX 512		/* the query of a pagination.next link */

static const struct {
	const char *api;
	const char *zone;
} zones[EXERCISE_ZONES] = {
	{ "Out of Range", "out_of_range" }, { "Fat Burn", "fat_burn" },
	{ "Cardio", "cardio" }, { "Peak", "peak" },
};

/* e[name] as a number >= 0 times scale; NAN when it is none. */
static double
num(const cJSON *e, const char *name, double scale)
{
	double v;

	return fj_value(jv_get(e, name), &v) == 0 ? v * scale : NAN;
}

/* A zone listed twice keeps its first entry. */
static int
has_zone(const struct exercise *x, const char *zone)
{
	int i;

	for (i = 0; i < x->nzones; i++)
		if (strcmp(x->zone[i], zone) == 0)
			return 1;
	return 0;
}

static void
hr_zones(const cJSON *list, struct exercise *x)
{
	const cJSON *z;
	const char *name;
	double m;
	int i;

	if (!cJSON_IsArray(list))
		return;
	cJSON_ArrayForEach(z, list) {
		name = cJSON_GetStringValue(jv_get(z, "name"));
		if (name == NULL || fj_value(jv_get(z, "minutes"), &m) == -1)
			continue;
		for (i = 0; i < EXERCISE_ZONES; i++)
			if (strcmp(name, zones[i].api) == 0 &&
			    !has_zone(x, zones[i].zone)) {
				x->zone[x->nzones] = zones[i].zone;
				x->zone_s[x->nzones++] = m * 60;
				break;
			}
	}
}

/* startTime -> start_ms and the local day; -1 when it is no time. */
static int
start(const char *s, const char *zone, struct exercise *x, struct err *err)
{
	char date[CIVIL_DATE_LEN];
	int sec, ms;

	if (s == NULL || strlen(s) < 10)
		return -1;
	memcpy(date, s, 10);
	date[10] = '\0';
	if (civil_parse(date, &x->day) == -1)
		return -1;
	if (civil_parse_rfc3339(s, &x->start_ms) == 0)
		return 0;
	if (civil_parse_local(s, &x->day, &sec, &ms) == -1)
		return -1;
	return fj_local_ms(zone, x->day, sec, ms, NO_TIME, &x->start_ms, err);
}

static double
distance(const cJSON *e)
{
	const char *unit = cJSON_GetStringValue(jv_get(e, "distanceUnit"));

	if (unit == NULL || strcmp(unit, "Kilometer") == 0)
		return num(e, "distance", 1);
	return strcmp(unit, "Mile") == 0 ? num(e, "distance", KM_PER_MILE) :
	    NAN;
}

/* One entry; *after: it started after `to`. */
static int
entry(const cJSON *e, int32_t from, int32_t to, const char *zone,
    struct exercise_list *l, int *after, struct err *err)
{
	struct exercise x;
	double id;

	exercise_init(&x);
	if (start(cJSON_GetStringValue(jv_get(e, "startTime")), zone, &x,
	    err) == -1)
		return err->set ? -1 : 0;
	if (x.day > to)
		*after = 1;
	if (x.day < from || x.day > to || (jv_get(e, "duration") == NULL &&
	    jv_get(e, "activeDuration") == NULL))
		return 0;	/* another day's, or not ended */
	if (fj_value(jv_get(e, "logId"), &id) == 0 && id < 1e18)
		snprintf(x.id, sizeof(x.id), "%020.0f", id);
	x.activity = exercise_activity(cJSON_GetStringValue(jv_get(e,
	    "activityName")));
	x.v[EX_DURATION] = num(e, "activeDuration", 1e-3);
	x.v[EX_CALORIES] = num(e, "calories", 1);
	x.v[EX_DISTANCE] = distance(e);
	x.v[EX_STEPS] = num(e, "steps", 1);
	x.v[EX_HR_AVG] = num(e, "averageHeartRate", 1);
	x.v[EX_AZM] = num(jv_get(e, "activeZoneMinutes"), "totalMinutes", 1);
	x.v[EX_ELEVATION] = num(e, "elevationGain", 1);
	hr_zones(jv_get(e, "heartRateZones"), &x);
	return exercise_add(l, &x, err);
}

/* pagination.next -> its query (the API's own offset, which only its
 * links may carry), "" when the list ends here. */
static int
next_query(const char *link, char *next, size_t size, struct err *err)
{
	const char *q;
	size_t i, n;

	next[0] = '\0';
	if (link == NULL || link[0] == '\0')
		return 0;
	if ((q = strstr(link, "/activities/list.json?")) == NULL)
		return err_set(err, "activity list: 'pagination.next' is not "
		    "a list link");
	q += strlen("/activities/list.json?");
	n = strlen(q);
	for (i = 0; i < n; i++)
		if (!isalnum((unsigned char)q[i]) &&
		    strchr("-._~%&=:+", q[i]) == NULL)
			return err_set(err, "activity list: 'pagination.next' "
			    "holds a character SyncBit does not send");
	if (n == 0 || n >= size)
		return err_set(err, "activity list: 'pagination.next' is empty "
		    "or too long");
	memcpy(next, q, n + 1);
	return 0;
}

int
fitbit_parse_exercise(const char *json, size_t len, int32_t from,
    int32_t to, const char *zone, struct exercise_list *l, char *next,
    size_t next_size, struct err *err)
{
	cJSON *root;
	const cJSON *list, *e;
	size_t base = l->len, n = 0;
	int rc, after = 0;

	next[0] = '\0';
	rc = fj_answer(json, len, "activity list", "activities", 0, &root,
	    &list, err);
	if (rc == 0 && !civil_zone_valid(zone))
		rc = err_set(err, "activity list: unknown time zone '%s'", zone);
	if (rc == -1)
		list = NULL;
	cJSON_ArrayForEach(e, list) {
		n++;
		if ((rc = entry(e, from, to, zone, l, &after, err)) == -1)
			break;
	}
	if (rc == 0 && n > 0 && !after)
		rc = next_query(cJSON_GetStringValue(jv_get(jv_get(root,
		    "pagination"), "next")), next, next_size, err);
	if (rc == -1) {
		l->len = base;
		next[0] = '\0';
	}
	cJSON_Delete(root);
	return rc;
}

/* route_add()'s GET: the TCX of session e (its id is the logId). */
struct route_ctx {
	fitbit_get_fn get;
	void *ctx;
};

static int
get_route(void *ctx, const struct exercise *e, struct httpc_resp *r,
    struct err *err)
{
	const struct route_ctx *x = ctx;
	const char *id = e->id;
	char path[EXERCISE_ID_MAX + 48];

	while (*id == '0' && id[1] != '\0')
		id++;	/* the id is zero-padded for sorting */
	/* with the points before a GPS fix (and a treadmill's) */
	snprintf(path, sizeof(path), "1/user/-/activities/%s.tcx?"
	    "includePartialTCX=true", id);
	return x->get(x->ctx, path, 1, r, err);
}

int
fitbit_exercise_range(fitbit_get_fn get, void *ctx, struct routes *routes,
    const struct profile *p, int32_t from, int32_t to, struct samples *out,
    struct err *err)
{
	const char *zone = p->zone;
	struct exercise_list l;
	struct httpc_resp r;
	char d[CIVIL_DATE_LEN], path[NEXT_MAX + 64], next[NEXT_MAX];
	int page, rc = 0;

	exercise_list_init(&l);
	civil_format(from - 1, d);
	snprintf(next, sizeof(next), "afterDate=%s&sort=asc&limit=%d&offset=0",
	    d, LIMIT);
	for (page = 0; rc == 0 && next[0] != '\0'; page++) {
		if (page == PAGES) {
			rc = err_set(err, "'exercise': more than %d pages", page);
			break;
		}
		snprintf(path, sizeof(path), "1/user/-/activities/list.json?%s",
		    next);
		rc = get(ctx, path, 0, &r, err);
		if (rc == 0)
			rc = fitbit_parse_exercise(r.body, r.len, from, to, zone,
			    &l, next, sizeof(next), err);
		httpc_resp_release(&r);
		if (rc == 0 && strcmp(next, path + strlen("1/user/-/activities/"
		    "list.json?")) == 0)
			rc = err_set(err, "'exercise': the same page twice");
	}
	if (rc == 0)
		rc = exercise_samples(&l, out, err);
	if (rc == 0)
		rc = route_add(routes, p, time(NULL), &l, get_route,
		    &(struct route_ctx){ get, ctx }, out, err);
	exercise_list_release(&l);
	return rc;
}
