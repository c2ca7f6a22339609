/*
 * google_activity: activity-level intervals -> minutes per local day and
 * level (see google_activity.h). Runs on the collector thread (and in the
 * unit tests and fuzz targets): civil_local_to_utc() places the midnights.
 */
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "civil.h"
#include "google.h"
#include "google_activity.h"
#include "google_parse.h"
#include "jsonv.h"

#define NO_MIDNIGHT INT64_MIN

static const struct {
	const char *api;
	const char *label;
} levels[GOOGLE_LEVELS] = {
	{ "SEDENTARY", "sedentary" }, { "LIGHTLY_ACTIVE", "lightly_active" },
	{ "MODERATELY_ACTIVE", "fairly_active" },
	{ "VERY_ACTIVE", "very_active" },
};

int
google_levels_init(struct google_levels *lv, const char *zone, int32_t from,
    int32_t to, struct err *err)
{
	size_t n = (size_t)(to - from) + 1, i;

	memset(lv, 0, sizeof(*lv));
	if (from > to || to - from > 100000)
		return err_set(err, "activity-level: bad day range");
	lv->zone = zone;
	lv->from = from;
	lv->to = to;
	lv->sec = calloc(n, sizeof(*lv->sec));
	lv->seen = calloc(n, 1);
	lv->midnight = calloc(n + 3, sizeof(*lv->midnight));
	if (lv->sec == NULL || lv->seen == NULL || lv->midnight == NULL) {
		google_levels_release(lv);
		return err_set(err, "out of memory");
	}
	for (i = 0; i < n + 3; i++)
		lv->midnight[i] = NO_MIDNIGHT;
	return 0;
}

void
google_levels_release(struct google_levels *lv)
{
	free(lv->sec);
	free(lv->seen);
	free(lv->midnight);
	memset(lv, 0, sizeof(*lv));
}

/* UTC ms of the local midnight that starts day (from - 1 .. to + 2). */
static int
midnight(struct google_levels *lv, int32_t day, int64_t *ms, struct err *err)
{
	int64_t *m = &lv->midnight[day - (lv->from - 1)], utc;

	if (*m == NO_MIDNIGHT) {
		if (civil_local_to_utc(lv->zone, day, 0, &utc, err) == -1)
			return -1;
		*m = utc * 1000;
	}
	*ms = *m;
	return 0;
}

/* interval.{name} as UTC ms; -1 when missing or malformed. */
static int
iv_time(const cJSON *iv, const char *name, int64_t *ms)
{
	return civil_parse_rfc3339(cJSON_GetStringValue(jv_get(iv, name)), ms);
}

/* [a, b) of level l into the days of [from, to] it overlaps. */
static int
spread(struct google_levels *lv, int64_t a, int64_t b, size_t l,
    struct err *err)
{
	int64_t m0, m1;
	int32_t day;

	if (midnight(lv, lv->from, &m0, err) == -1 ||
	    midnight(lv, lv->to + 1, &m1, err) == -1)
		return -1;
	if (b <= m0 || a >= m1)
		return 0;	/* outside the days asked for */
	if (a < m0)
		a = m0;
	for (day = lv->from; day <= lv->to && a < b; day++) {
		if (midnight(lv, day + 1, &m1, err) == -1)
			return -1;
		if (a >= m1)
			continue;
		lv->sec[day - lv->from][l] += (double)((b < m1 ? b : m1) - a) /
		    1000;
		lv->seen[day - lv->from] = 1;
		a = m1;
	}
	return 0;
}

static int
level_point(struct google_levels *lv, const cJSON *pt, struct err *err)
{
	const cJSON *v = jv_get(pt, "activityLevel"), *iv;
	const char *type;
	int64_t a, b;
	size_t l;

	if (v == NULL || cJSON_IsNull(v))
		return 0;
	if (!cJSON_IsObject(v))
		return err_set(err, "'activity-level' list: 'activityLevel' is "
		    "not an object");
	iv = jv_get(v, "interval");
	type = cJSON_GetStringValue(jv_get(v, "activityLevelType"));
	if (iv_time(iv, "startTime", &a) == -1 ||
	    iv_time(iv, "endTime", &b) == -1 || b <= a || type == NULL)
		return 0;	/* no interval: nothing to count */
	for (l = 0; l < GOOGLE_LEVELS; l++)
		if (strcmp(type, levels[l].api) == 0)
			return spread(lv, a, b, l, err);
	return 0;		/* a level SPEC has no label for */
}

int
google_parse_levels(const char *json, size_t len, struct google_levels *lv,
    char *next, size_t next_size, struct err *err)
{
	const cJSON *points, *pt;
	cJSON *root;
	int rc;

	next[0] = '\0';
	rc = google_page(json, len, "'activity-level' list", "dataPoints",
	    &root, &points, err);
	if (rc == 0)
		rc = jv_next_token(root, next, next_size, err);
	if (rc == -1)
		points = NULL;
	cJSON_ArrayForEach(pt, points)
		if ((rc = cJSON_IsObject(pt) ? level_point(lv, pt, err) :
		    err_set(err, "'activity-level' list: 'dataPoints' holds a "
		    "non-object")) == -1)
			break;
	if (rc == -1)
		next[0] = '\0';
	cJSON_Delete(root);
	return rc;
}

int
google_levels_samples(const struct google_levels *lv, struct samples *out,
    struct err *err)
{
	size_t base = out->len, l;
	int32_t d;

	for (d = lv->from; d <= lv->to; d++)
		for (l = 0; lv->seen[d - lv->from] && l < GOOGLE_LEVELS; l++)
			if (samples_add(out, "fitbit_active_minutes", d,
			    lv->sec[d - lv->from][l] / 60, "type",
			    levels[l].label, NULL) == -1) {
				out->len = base;
				return err_set(err, "out of memory");
			}
	return 0;
}
