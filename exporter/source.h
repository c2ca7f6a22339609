/*
 * source: the interface every health API implements.
 *
 * The collector, the backfill planner and the scheduler call these
 * operations and never know which API answers. A source turns the API's
 * JSON into SPEC samples (names, units, labels) tagged with their civil
 * day; the caller stamps timestamps (civil_day_end_ms). A source never
 * logs an API error body verbatim. It runs on the collector thread only.
 *
 * Failure of one metric (403/404 on one endpoint, a missing field) is not
 * a failure of the call: the source logs one warning, skips that metric,
 * and returns what it has. A call fails (-1) when nothing could be read:
 * err.code tells why (ERR_AUTH, ERR_RATE, ERR_TRANSIENT, ERR_STOP or an
 * HTTP status).
 */
#ifndef SYNCBIT_SOURCE_H
#define SYNCBIT_SOURCE_H

#include <stdint.h>
#include <time.h>

#include "civil.h"
#include "err.h"
#include "sample.h"

struct profile {
	char zone[CIVIL_ZONE_MAX];	/* IANA name */
	int32_t member_since;		/* civil day; -1 unknown */
};

/* One kind of history, fetched with one range endpoint per request. */
struct source_kind {
	const char *name;	/* key in sync_state.json, e.g. "steps" */
	int max_days;		/* largest range one request may cover */
};

/* What the API lets us spend now (rate budget). */
struct source_budget {
	int known;		/* 0: the API sends no budget information */
	int remaining;		/* requests left in the window */
	int limit;
	time_t reset_at;	/* when the window resets (UTC) */
};

struct source;

#define SOURCE_DAYS_MAX 14

struct source_ops {
	const char *name;			/* "fitbit", "google" */
	int (*profile)(struct source *, struct profile *, struct err *);
	/* Every daily metric of each day of [from, to] (today's running
	 * values and the recent days' final ones; to - from < SOURCE_DAYS_MAX),
	 * in as few requests as the API allows: per day where one request
	 * holds a whole day (legacy), per data type where one request holds
	 * a range (Google). */
	int (*days)(struct source *, const struct profile *, int32_t from,
	    int32_t to, struct samples *, struct err *);
	/* History kinds, in the order backfill should take them. */
	const struct source_kind *(*kinds)(struct source *, size_t *n);
	/* Samples of kind k for each day of [from, to] (to - from + 1 <=
	 * max_days). Days without data yield no sample. */
	int (*range)(struct source *, const struct profile *, size_t k,
	    int32_t from, int32_t to, struct samples *, struct err *);
	void (*budget)(struct source *, struct source_budget *);
	/* Requests made since start (for the benchmark and tests). */
	uint64_t (*requests)(struct source *);
	void (*free)(struct source *);
};

struct source {
	const struct source_ops *ops;
};

#endif
