/*
 * cache: the latest Fitbit values as an immutable, reference-counted
 * snapshot.
 *
 * The collector builds a snapshot, never touches it again, and publishes
 * it; an HTTP handler acquires the current one, renders it outside any
 * lock, and releases it. The lock only guards the pointer swap and the
 * reference increment. The last release frees.
 */
#ifndef SYNCBIT_CACHE_H
#define SYNCBIT_CACHE_H

#include <stdatomic.h>
#include <stdint.h>

#include "sample.h"

#define SNAPSHOT_FAMILIES_MAX 48
#define STATUS_KINDS_MAX 32
#define STATUS_NAME_MAX 32
#define STATUS_ERROR_MAX 512

struct snapshot {
	_Atomic int refs;
	struct samples values;		/* today's and latest values, no ts */
	int64_t built_at;		/* UTC s */
	char *text;			/* values rendered (expo), or NULL;
					 * set before publishing, owned */
	size_t text_len;
	/* where each family's lines end in text (expo_prerender) */
	size_t nfam;
	size_t fam_end[SNAPSHOT_FAMILIES_MAX];
};

/* A new snapshot with refs = 1 that owns values (moved in, left empty). */
struct snapshot *snapshot_new(struct samples *values, int64_t built_at);
void snapshot_release(struct snapshot *);	/* NULL is fine */

/* One data kind's history for the status page. */
struct status_kind {
	char name[STATUS_NAME_MAX];
	int64_t done, total;		/* days */
	int64_t eta_s;			/* -1: no pace yet; 0: through */
};

/*
 * How an account's sync goes, for / and /api/status: built by the worker
 * running the account after each turn, immutable once published (like a
 * snapshot), so the page never reads a field a worker writes.
 */
struct status {
	_Atomic int refs;
	int64_t built_at;		/* UTC s */
	int ready;			/* enum stats_ready */
	const char *ready_hint;		/* static, or NULL */
	int64_t token_expiry;		/* UTC s, 0: none */
	int64_t last_success;		/* UTC s, 0: none yet */
	int64_t next_sync;		/* UTC s of the next cycle */
	int64_t failing_since;		/* UTC s, 0 */
	char error[STATUS_ERROR_MAX];	/* the last failure in words, "" */
	int64_t budget_left;		/* -1: unknown */
	int64_t budget_limit;		/* -1: unknown */
	int64_t budget_reset;		/* UTC s, 0: unknown */
	int backfill;			/* 1: history is pending */
	size_t nkinds;
	struct status_kind kinds[STATUS_KINDS_MAX];
};

/* A zeroed status with refs = 1, or NULL. */
struct status *status_new(void);
void status_release(struct status *);		/* NULL is fine */

struct cache;

struct cache *cache_new(void);
void cache_free(struct cache *);
/* Caller must snapshot_release(); NULL before the first publish. */
struct snapshot *cache_acquire(struct cache *);
/* Takes next. */
void cache_publish(struct cache *, struct snapshot *next);
/* The same for the account's status: caller must status_release(). */
struct status *cache_acquire_status(struct cache *);
void cache_publish_status(struct cache *, struct status *next);

#endif
