/*
 * fitbit_json: what the legacy Fitbit answers' parsers share. Private to
 * the Fitbit source (fitbit_parse.c, fitbit_sleep.c); pure, no I/O.
 */
#ifndef SYNCBIT_FITBIT_JSON_H
#define SYNCBIT_FITBIT_JSON_H

#include <stddef.h>
#include <stdint.h>

#include <cJSON.h>

#include "err.h"
#include "sample.h"

#define NO_TIME INT64_MIN
#define MAX_STAGE_S (7 * 86400)	/* longer levels.data[] entries: bogus */
#define NF(a) (sizeof(a) / sizeof(a[0]))

/* A JSON number or a string holding a decimal; finite, and >= 0 unless
 * any_sign. fj_value: >= 0. */
int fj_num(const cJSON *, int any_sign, double *out);
int fj_value(const cJSON *, double *out);
/* UTC milliseconds of a local wall time in zone; in a repeated fall-back
 * hour the instant closer to near (NO_TIME: the first). */
int fj_local_ms(const char *zone, int32_t day, int sec, int ms,
    int64_t near, int64_t *out, struct err *);
/* A sample of day (none when v is not finite); fj_add_at: at its own
 * instant ms. */
int fj_add(struct samples *, const char *metric, int32_t day, double v,
    const char *lname, const char *lvalue, struct err *);
int fj_add_at(struct samples *, const char *metric, int32_t day,
    int64_t ms, double v, struct err *);
/* e[key] as a "YYYY-MM-DD" day of [from, to]: 0, else -1. */
int fj_day(const cJSON *e, const char *key, int32_t from, int32_t to,
    int32_t *day);
/* The index of metric{lvalue} for day among out->v[base..], else len. */
size_t fj_find(const struct samples *, size_t base, const char *metric,
    const char *lvalue, int32_t day);
/* Parse an answer and find its list: root[key], or the root itself (key
 * NULL; one_ok: a single object is a list of one). *root goes to
 * answer_done() either way. */
int fj_answer(const char *json, size_t len, const char *what,
    const char *key, int one_ok, cJSON **root, const cJSON **list,
    struct err *);

#endif
