/*
 * answer: what the parsers of both sources' answers (Fitbit's and
 * Google's) share beyond reading JSON values (jsonv.h): the one way a
 * parser that appends samples ends, and the time zone of a profile.
 * Pure: no I/O, no logging.
 */
#ifndef SYNCBIT_ANSWER_H
#define SYNCBIT_ANSWER_H

#include <stddef.h>

#include <cJSON.h>

#include "err.h"
#include "sample.h"
#include "source/source.h"

/* The end of a parser that appended to out from base on: on failure
 * (rc -1) nothing stays appended. Frees root; returns rc. */
int answer_done(int rc, cJSON *root, struct samples *out, size_t base);

/* A tz database name -> p->zone. -1 with err `missing` when zone is NULL
 * or "", with err `unknown` when the tz database lacks it or p->zone
 * cannot hold it (both plain text, not formats). */
int answer_zone(struct profile *p, const char *zone, const char *missing,
    const char *unknown, struct err *err);

#endif
