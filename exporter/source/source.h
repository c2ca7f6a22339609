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
 * err.kind tells why (ERR_AUTH, ERR_RATE, ERR_TRANSIENT, ERR_STOP,
 * ERR_ACCOUNT, or ERR_HTTP with the answer's err.status).
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

/* How the collector and the backfill treat a kind (source_kind.flags). */
#define KIND_IN_DAYS	0x1	/* days() holds it: the cycle reads no range */
#define KIND_WAKE	0x2	/* belongs to the wake day: looked for in the
				 * morning (sleep, SpO2, HRV, ...) */
#define KIND_INTRADAY	0x4	/* days are UTC days; samples carry ts_ms */
#define KIND_CURRENT	0x8	/* no history: current values only */
#define KIND_SLOW	0x10	/* rarely changes (weigh-ins): re-read
				 * every few hours */

/* One kind of data, fetched with one range endpoint per request. */
struct source_kind {
	const char *name;	/* key in sync_state.json, e.g. "steps" */
	const char *group;	/* COLLECT's name for it: "activity", ... */
	int max_days;		/* largest range one request may cover */
	unsigned flags;		/* KIND_* */
};

/* COLLECT's data kinds (config.h), in --help order. */
#define SOURCE_GROUPS "activity,heart,azm,sleep,spo2,hrv,breathing," \
	"temperature,vo2max,weight,exercise,devices,intraday"


/* What the API lets us spend now (rate budget). */
struct source_budget {
	int known;		/* 0: the API sends no budget information */
	int remaining;		/* requests left in the window */
	int limit;
	time_t reset_at;	/* when the window resets (UTC) */
	/* 1: the next request would first wait for the source's own pacing
	 * (Google's token bucket), so a worker may serve another account */
	int paced;
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
	/* Data kinds, daily ones before intraday ones. */
	const struct source_kind *(*kinds)(struct source *, size_t *n);
	/* Samples of kind k for each day of [from, to] (to - from + 1 <=
	 * max_days; UTC days for KIND_INTRADAY). Days without data yield no
	 * sample. A kind the account or app cannot read (scope not granted,
	 * no intraday access) fails with err.status 403. */
	int (*range)(struct source *, const struct profile *, size_t k,
	    int32_t from, int32_t to, struct samples *, struct err *);
	void (*budget)(struct source *, struct source_budget *);
	/* The newest device sync the source has seen (its devices kind, UTC
	 * s), 0 when unknown: a day is final once a device synced after it
	 * ended. NULL: never known. */
	int64_t (*last_sync)(struct source *);
	/* Requests made since start (for the benchmark and tests). */
	uint64_t (*requests)(struct source *);
	void (*free)(struct source *);
};

struct httpc;
struct oauth;
struct source_settings;
struct stats_account;

/* What every source has; a source's own struct starts with it. */
struct source {
	const struct source_ops *ops;
	char *api_url;		/* no trailing slash */
	struct oauth *oauth;	/* borrowed */
	struct httpc *http;	/* borrowed */
	uint64_t requests;	/* made since start: ops->requests */
	struct stats_account *stats;	/* the account's; never NULL */
	const struct source_kind *kinds;	/* ops->kinds */
	size_t nkinds;
	int64_t last_sync;	/* source_note_sync(); read by ops->last_sync */
	struct routes *routes;	/* EXERCISE_ROUTES (route.h); never NULL */
};

/* Fill the common part from the driver's settings: -1 out of memory
 * (nothing to release then). */
int source_init(struct source *, const struct source_ops *,
    const struct source_kind *kinds, size_t nkinds,
    const struct source_settings *);
/* Free what source_init() allocated. */
void source_release(struct source *);
/* ops->requests and ops->kinds of every source: s->requests, s->kinds. */
uint64_t source_requests(struct source *);
const struct source_kind *source_kinds(struct source *, size_t *n);
/* The entry of table (n entries of size bytes, each starting with a
 * const char * name) called name, or NULL. */
const void *source_table_find(const void *table, size_t n, size_t size,
    const char *name);

/* A source read its devices into s->v[from..]: remember the newest
 * fitbit_device_last_sync_timestamp_seconds (SPEC) of them. */
void source_note_sync(struct source *, const struct samples *, size_t from);
/* ops->last_sync of a source that calls source_note_sync(). */
int64_t source_last_sync(struct source *);

#endif
