/*
 * state: sync_state.json, what has reached VictoriaMetrics.
 *
 * Per history kind, the first day not yet acknowledged (the backfill
 * cursor; intraday kinds, filled newest first, also the oldest day sent:
 * "lo"); per recent day and kind, a fingerprint of the values last sent,
 * so a day is re-sent only when it changed (kind "" is the daily values
 * of source days(), written under the bare date). The file is replaced atomically and only
 * after VictoriaMetrics acknowledged the samples it records: a crash loses
 * nothing, a restart resumes.
 *
 *   {"version":1,"kinds":{"steps":{"next":"2024-01-01"},
 *    "heart_intraday":{"next":"2026-11-26","lo":"2025-11-02"}},
 *    "recent":{"2026-11-27":"9f1c...","2026-11-27/sleep":"03ab..."}}
 */
#ifndef SYNCBIT_STATE_H
#define SYNCBIT_STATE_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "sample.h"

#define STATE_KINDS_MAX 64
#define STATE_RECENT_MAX 512
#define STATE_NAME_MAX 48

struct state_kind {
	char name[STATE_NAME_MAX];
	int32_t next;		/* first civil day not yet sent */
	int32_t lo;		/* oldest day sent; INT32_MIN: unset */
};

struct state_recent {
	char kind[STATE_NAME_MAX];	/* "": the days() values */
	int32_t day;
	uint64_t fingerprint;
};

struct state {
	struct state_kind kinds[STATE_KINDS_MAX];
	size_t nkinds;
	struct state_recent recent[STATE_RECENT_MAX];
	size_t nrecent;
};

void state_init(struct state *);
/* A missing file is an empty state (0). A corrupt one is -1: the caller
 * refuses to start rather than resend or skip history silently. */
int state_load(const char *path, struct state *, struct err *);
int state_save(const char *path, const struct state *, struct err *);
int state_parse(const char *json, size_t len, struct state *, struct err *);

/* Cursor of kind: its next day, or `dflt` when unknown. */
int32_t state_next(const struct state *, const char *kind, int32_t dflt);
int state_set_next(struct state *, const char *kind, int32_t next);
/* The oldest day sent of kind, or `dflt` when unset. */
int32_t state_lo(const struct state *, const char *kind, int32_t dflt);
int state_set_lo(struct state *, const char *kind, int32_t lo);

/* Fingerprint of the samples of one day (order-independent). */
uint64_t state_fingerprint(const struct samples *);
/* 1 when kind's day was last sent with this fingerprint. */
int state_recent_same(const struct state *, const char *kind, int32_t day,
    uint64_t fp);
/* Record kind's day's fingerprint; drops every entry of a day older than
 * oldest (when full, the oldest entries). */
void state_recent_set(struct state *, const char *kind, int32_t day,
    uint64_t fp, int32_t oldest);

#endif
