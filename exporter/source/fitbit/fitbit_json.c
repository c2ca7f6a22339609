/*
 * fitbit_json: the readers the legacy Fitbit answers' parsers share
 * (fitbit_parse.c, fitbit_sleep.c): numbers, local times, samples, and the
 * one way an answer is opened (answer_done() closes it). See fitbit_json.h.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "civil.h"
#include "fitbit_json.h"
#include "jsonv.h"

/* A JSON number or a string holding a decimal; finite, and >= 0 unless
 * any_sign. */
int
fj_num(const cJSON *v, int any_sign, double *out)
{
	return jv_decimal(v, out) == 0 && (any_sign || *out >= 0) ? 0 : -1;
}

int
fj_value(const cJSON *v, double *out)
{
	return fj_num(v, 0, out);
}

/*
 * UTC milliseconds of a local wall time in zone. civil_local_to_utc()
 * gives the first instant of a wall time that happens twice; the wall time
 * an hour later is two hours (not one) further exactly when this one lies
 * in the hour a one-hour fall-back repeats, and then its second instant is
 * 3600 s after the first: near (NO_TIME: none) picks the closer one.
 */
int
fj_local_ms(const char *zone, int32_t day, int sec, int ms, int64_t near,
    int64_t *out, struct err *err)
{
	int64_t first, later, second;

	if (civil_local_to_utc(zone, day, sec, &first, err) == -1)
		return -1;
	*out = first * 1000 + ms;
	if (near == NO_TIME)
		return 0;
	if (civil_local_to_utc(zone, day + (sec + 3600) / 86400,
	    (sec + 3600) % 86400, &later, err) == -1)
		return -1;
	second = *out + 3600 * 1000;
	if (later - first == 7200 && llabs(second - near) < llabs(*out - near))
		*out = second;
	return 0;
}

/* A value that overflowed (1e308 minutes * 60) is no value. */
int
fj_add(struct samples *out, const char *metric, int32_t day, double v,
    const char *lname, const char *lvalue, struct err *err)
{
	if (!isfinite(v))
		return 0;
	if (samples_add(out, metric, day, v, lname, lvalue, NULL) == -1)
		return err_set(err, "out of memory");
	return 0;
}

/* A point at its own instant. */
int
fj_add_at(struct samples *out, const char *metric, int32_t day, int64_t ms,
    double v, struct err *err)
{
	if (fj_add(out, metric, day, v, NULL, NULL, err) == -1)
		return -1;
	out->v[out->len - 1].ts_ms = ms;
	return 0;
}

int
fj_day(const cJSON *e, const char *key, int32_t from, int32_t to,
    int32_t *day)
{
	return civil_parse(cJSON_GetStringValue(jv_get(e, key)), day) == 0 &&
	    *day >= from && *day <= to ? 0 : -1;
}

/* The index of metric{lvalue} for day among out->v[base..], else len. */
size_t
fj_find(const struct samples *out, size_t base, const char *metric,
    const char *lvalue, int32_t day)
{
	size_t i;

	for (i = base; i < out->len; i++)
		if (out->v[i].day == day &&
		    strcmp(out->v[i].metric, metric) == 0 &&
		    strcmp(out->v[i].lvalue[0], lvalue ? lvalue : "") == 0)
			break;
	return i;
}

/*
 * Parse an answer and find its list: root[key], or the root itself (key
 * NULL; one_ok: a single object is a list of one). *root goes to
 * answer_done() either way.
 */
int
fj_answer(const char *json, size_t len, const char *what, const char *key,
    int one_ok, cJSON **root, const cJSON **list, struct err *err)
{
	*root = jv_parse(json, len, 0, err, "%s", what);
	*list = key != NULL ? jv_get(*root, key) : *root;
	if (*root == NULL)
		return -1;
	if (cJSON_IsArray(*list) || (one_ok && cJSON_IsObject(*list)))
		return 0;
	if (key == NULL)
		return err_set(err, "%s: not a list", what);
	return err_set(err, "%s: no '%s' list", what, key);
}
