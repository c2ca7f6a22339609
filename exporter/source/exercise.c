/*
 * exercise: sessions -> samples, the activity table and the collision
 * rule both sources share (see exercise.h). Pure; any thread.
 */
#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "exercise.h"

static const char *const metrics[EX_NVALUES] = {
	[EX_DURATION] = "fitbit_exercise_duration_seconds",
	[EX_CALORIES] = "fitbit_exercise_calories",
	[EX_DISTANCE] = "fitbit_exercise_distance_km",
	[EX_STEPS] = "fitbit_exercise_steps",
	[EX_HR_AVG] = "fitbit_exercise_heart_rate_avg_bpm",
	[EX_AZM] = "fitbit_exercise_active_zone_minutes",
	[EX_ELEVATION] = "fitbit_exercise_elevation_gain_meters",
};
#define ZONE_METRIC "fitbit_exercise_heart_rate_zone_seconds"

/*
 * API type (normalised) -> label. Google's ExerciseType enum (BIKING,
 * HIIT, HIKING, OTHER, PILATES, RUNNING, STRENGTH_TRAINING, SWIMMING,
 * WALKING, WEIGHTLIFTING, WORKOUT, YOGA) and the legacy API's activity
 * names (Run, Walk, Outdoor Bike, Bike, Treadmill, Swim, Weights, ...).
 */
static const struct {
	const char *type;
	const char *label;
} activities[] = {
	{ "RUNNING", "run" }, { "RUN", "run" },
	{ "WALKING", "walk" }, { "WALK", "walk" },
	{ "BIKING", "outdoor_bike" }, { "OUTDOOR_BIKE", "outdoor_bike" },
	{ "BIKE", "bike" }, { "SPINNING", "bike" },
	{ "TREADMILL", "treadmill" },
	{ "SWIMMING", "swim" }, { "SWIM", "swim" },
	{ "WEIGHTLIFTING", "weights" }, { "WEIGHTS", "weights" },
	{ "STRENGTH_TRAINING", "strength" },
	{ "YOGA", "yoga" },
	{ "HIIT", "hiit" }, { "INTERVAL_WORKOUT", "hiit" },
	{ "HIKING", "hike" }, { "HIKE", "hike" },
	{ "PILATES", "pilates" },
	{ "ELLIPTICAL", "elliptical" },
	{ "WORKOUT", "workout" },
	{ "SPORT", "sport" },
};

const char *
exercise_activity(const char *type)
{
	char n[40];
	size_t i = 0, a;
	int gap = 0;

	for (; type != NULL && *type != '\0'; type++) {
		if (!isalnum((unsigned char)*type)) {
			gap = i > 0;
			continue;
		}
		if (i + 2 >= sizeof(n))
			return "other";	/* longer than any we know */
		if (gap)
			n[i++] = '_';
		gap = 0;
		n[i++] = (char)toupper((unsigned char)*type);
	}
	n[i] = '\0';
	for (a = 0; a < sizeof(activities) / sizeof(activities[0]); a++)
		if (strcmp(n, activities[a].type) == 0)
			return activities[a].label;
	return "other";
}

void
exercise_list_init(struct exercise_list *l)
{
	memset(l, 0, sizeof(*l));
}

void
exercise_list_release(struct exercise_list *l)
{
	free(l->v);
	memset(l, 0, sizeof(*l));
}

void
exercise_init(struct exercise *e)
{
	int i;

	memset(e, 0, sizeof(*e));
	e->activity = "other";
	e->gps = -1;
	for (i = 0; i < EX_NVALUES; i++)
		e->v[i] = NAN;
}

int
exercise_add(struct exercise_list *l, const struct exercise *e,
    struct err *err)
{
	struct exercise *v;
	size_t i, cap;

	for (i = 0; e->id[0] != '\0' && i < l->len; i++)
		if (strcmp(l->v[i].id, e->id) == 0)
			return 0;	/* the first copy wins */
	if (l->len == l->cap) {
		cap = l->cap != 0 ? l->cap * 2 : 32;
		if ((v = realloc(l->v, cap * sizeof(*v))) == NULL)
			return err_set(err, "out of memory");
		l->v = v;
		l->cap = cap;
	}
	l->v[l->len] = *e;
	l->v[l->len].seq = l->len;
	l->len++;
	return 0;
}

static int
by_start(const void *pa, const void *pb)
{
	const struct exercise *a = pa, *b = pb;

	if (a->start_ms != b->start_ms)
		return a->start_ms < b->start_ms ? -1 : 1;
	if (strcmp(a->id, b->id) != 0)
		return strcmp(a->id, b->id);
	return a->seq < b->seq ? -1 : a->seq > b->seq;
}

/* One sample of e at ts; labels activity (and zone). */
static int
add(struct samples *out, const char *metric, const struct exercise *e,
    int64_t ts, double v, const char *zone)
{
	if (samples_add(out, metric, e->day, v, "activity", e->activity,
	    zone != NULL ? "zone" : NULL, zone, NULL) == -1)
		return -1;
	out->v[out->len - 1].ts_ms = ts;
	return 0;
}

int
exercise_samples(struct exercise_list *l, struct samples *out,
    struct err *err)
{
	size_t base = out->len, i;
	int64_t ts = INT64_MIN;
	const struct exercise *e;
	int j;

	if (l->len > 1)
		qsort(l->v, l->len, sizeof(l->v[0]), by_start);
	for (i = 0; i < l->len; i++) {
		e = &l->v[i];
		/* the collision rule: 1 ms after the previous session's stamp */
		ts = i > 0 && e->start_ms <= ts ? ts + 1 : e->start_ms;
		l->v[i].stamp_ms = ts;
		for (j = 0; j < EX_NVALUES; j++)
			if (isfinite(e->v[j]) &&
			    add(out, metrics[j], e, ts, e->v[j], NULL) == -1)
				goto fail;
		for (j = 0; j < e->nzones; j++)
			if (add(out, ZONE_METRIC, e, ts, e->zone_s[j],
			    e->zone[j]) == -1)
				goto fail;
	}
	return 0;
fail:
	out->len = base;
	return err_set(err, "out of memory");
}
