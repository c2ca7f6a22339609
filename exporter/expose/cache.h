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

struct cache;

struct cache *cache_new(void);
void cache_free(struct cache *);
/* Caller must snapshot_release(); NULL before the first publish. */
struct snapshot *cache_acquire(struct cache *);
/* Takes next. */
void cache_publish(struct cache *, struct snapshot *next);

#endif
