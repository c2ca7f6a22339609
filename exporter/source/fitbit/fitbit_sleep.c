/*
 * fitbit_sleep: the legacy Fitbit sleep logs -> SPEC samples (the main
 * sleep of each wake day: duration, stages, efficiency, hypnogram); the
 * contract is fitbit_parse.h's fitbit_parse_sleep. Pure: no I/O, no
 * logging; local times go through civil_local_to_utc().
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "civil.h"
#include "fitbit_json.h"
#include "fitbit_parse.h"
#include "jsonv.h"
#include "source/answer.h"

/* levels.summary members of each type; in stages_st, the index is the
 * hypnogram's level. */
static const char *const stages_st[] = { "deep", "light", "rem", "wake",
	NULL };
static const char *const stages_cl[] = { "asleep", "restless", "awake",
	NULL };

static int
stage_index(const char *const *t, const char *name)
{
	int i;

	for (i = 0; name != NULL && t[i] != NULL; i++)
		if (strcmp(t[i], name) == 0)
			return i;
	return -1;
}

/* minutesAsleep, -1 when it has none. */
static double
asleep(const cJSON *log)
{
	double v;

	return fj_value(jv_get(log, "minutesAsleep"), &v) == 0 ? v : -1;
}

/* The main sleep of day: the first marked isMainSleep, else the longest
 * (the first of equals). */
static const cJSON *
main_sleep(const cJSON *list, int32_t day)
{
	const cJSON *e, *best = NULL;
	int32_t d;

	cJSON_ArrayForEach(e, list) {
		if (civil_parse(cJSON_GetStringValue(jv_get(e, "dateOfSleep")),
		    &d) == -1 || d != day)
			continue;
		if (cJSON_IsTrue(jv_get(e, "isMainSleep")))
			return e;
		if (best == NULL || asleep(e) > asleep(best))
			best = e;
	}
	return best;
}

static int
stage_seconds(const cJSON *log, const char *const *t, int32_t day,
    struct samples *out, struct err *err)
{
	const cJSON *sum = jv_get(jv_get(log, "levels"), "summary");
	double v;
	int i;

	for (i = 0; t[i] != NULL; i++)
		if (fj_value(jv_get(jv_get(sum, t[i]), "minutes"), &v) == 0 &&
		    fj_add(out, "fitbit_sleep_stage_seconds", day, v * 60, "stage",
		    t[i], err) == -1)
			return -1;
	return 0;
}

/* fitbit_sleep_stage_level at the start of each levels.data[] entry; a
 * repeated wall time is placed nearest the previous entry's end. */
static int
hypnogram(const cJSON *log, int32_t day, const char *zone,
    struct samples *out, struct err *err)
{
	const cJSON *data = jv_get(jv_get(log, "levels"), "data"), *e;
	int64_t at, end = NO_TIME;
	int32_t d;
	int sec, ms, level;
	double s;

	if (!cJSON_IsArray(data))
		return 0;
	cJSON_ArrayForEach(e, data) {
		if (civil_parse_local(cJSON_GetStringValue(jv_get(e, "dateTime")), &d,
		    &sec, &ms) == -1)
			continue;
		if (fj_local_ms(zone, d, sec, ms, end, &at, err) == -1)
			return -1;
		end = fj_value(jv_get(e, "seconds"), &s) == 0 && s <= MAX_STAGE_S ?
		    at + (int64_t)(s * 1000) : NO_TIME;
		level = stage_index(stages_st,
		    cJSON_GetStringValue(jv_get(e, "level")));
		if (level >= 0 && fj_add_at(out, "fitbit_sleep_stage_level", day,
		    at, level, err) == -1)
			return -1;
	}
	return 0;
}

static int
sleep_log(const cJSON *log, int32_t day, const char *zone,
    struct samples *out, struct err *err)
{
	const char *type = cJSON_GetStringValue(jv_get(log, "type"));
	const char *const *t = NULL;
	double v;

	if (type != NULL && strcmp(type, "stages") == 0)
		t = stages_st;
	else if (type != NULL && strcmp(type, "classic") == 0)
		t = stages_cl;
	if ((v = asleep(log)) >= 0 && fj_add(out, "fitbit_sleep_duration_seconds",
	    day, v * 60, NULL, NULL, err) == -1)
		return -1;
	if (fj_value(jv_get(log, "efficiency"), &v) == 0 && v <= 100 &&
	    fj_add(out, "fitbit_sleep_efficiency_ratio", day, v / 100, NULL, NULL,
	    err) == -1)
		return -1;
	if (t != NULL && stage_seconds(log, t, day, out, err) == -1)
		return -1;
	return t == stages_st ? hypnogram(log, day, zone, out, err) : 0;
}

int
fitbit_parse_sleep(const char *json, size_t len, int32_t from, int32_t to,
    const char *zone, struct samples *out, struct err *err)
{
	cJSON *root;
	const cJSON *list, *e;
	size_t base = out->len;
	int32_t day;
	int rc;

	rc = fj_answer(json, len, "sleep", "sleep", 0, &root, &list, err);
	if (rc == 0 && !civil_zone_valid(zone))
		rc = err_set(err, "sleep: unknown time zone '%s'", zone);
	if (rc == -1)
		list = NULL;
	cJSON_ArrayForEach(e, list)
		if (fj_day(e, "dateOfSleep", from, to, &day) == 0 &&
		    main_sleep(list, day) == e &&
		    (rc = sleep_log(e, day, zone, out, err)) == -1)
			break;
	return answer_done(rc, root, out, base);
}
