/*
 * backfill: history, kind by kind, in the largest chunks the source
 * allows, stamped per SPEC and remote-written; the cursor of a kind moves
 * only after VictoriaMetrics acknowledged its chunk (state.h).
 *
 * It spends only the budget the current-value collection does not need:
 * before each request it checks the source's budget and stops (returns
 * BACKFILL_PAUSED) when fewer than BACKFILL_RESERVE requests are left.
 * A kind whose endpoint fails does not hold up the others: a 4xx skips it
 * until restart, anything else leaves its cursor for the next step. A
 * failure of the whole API (auth, rate, stop) or of VictoriaMetrics ends
 * the step at once. History never delays a cycle: with a deadline (the
 * next cycle's start), a step stops before the first request that would
 * begin after it (BACKFILL_YIELDED) and goes on after that cycle.
 * Runs on the collector thread (or alone, for --once and --backfill).
 */
#ifndef SYNCBIT_BACKFILL_H
#define SYNCBIT_BACKFILL_H

#include <stdint.h>
#include <time.h>

#include "err.h"
#include "sample.h"
#include "source/source.h"
#include "state.h"

struct rw;

/* Requests kept when nothing else is known (--backfill). */
#define BACKFILL_RESERVE 2

struct backfill {
	struct source *src;
	const struct profile *profile;
	struct rw *rw;
	struct state *state;
	const char *state_path;
	unsigned groups;	/* kinds.h mask: the kinds to send */
	int32_t utc_end;	/* last UTC day of intraday history */
	int reserve;		/* requests to leave (sched_reserve) */
	time_t deadline;	/* no request starts after it; 0: none */
	/* kinds the API refused for good (403/404...) until restart */
	unsigned char skip[STATE_KINDS_MAX];
};

enum backfill_result {
	BACKFILL_DONE,		/* nothing pending in [start, end] */
	BACKFILL_PAUSED,	/* budget low: *resume_at says when to go on */
	BACKFILL_FAILED,	/* err says why; the cursors are intact */
	BACKFILL_YIELDED,	/* the deadline came: a cycle is due */
};

/*
 * Advance every daily kind's cursor from where it is (or `start` for a new
 * kind) through `end`; then the intraday kinds over the UTC days [start,
 * utc_end], newest first: days after the newest sent (a gap while SyncBit
 * was down), then older ones. *resume_at: when the budget resets (PAUSED
 * only).
 */
enum backfill_result backfill_step(struct backfill *, int32_t start,
    int32_t end, time_t *resume_at, struct err *);

/* (Re)send [from, to] for every kind without touching the cursors; waits
 * for budget resets as needed (for --backfill). */
int backfill_range(struct backfill *, int32_t from, int32_t to,
    struct err *);

/* Days of [start, end] not yet acknowledged for the slowest kind. */
int64_t backfill_pending(struct backfill *, int32_t start, int32_t end);

/* Stamp each sample without an instant of its own (ts_ms 0) at 23:59:59
 * of its day in zone (SPEC). */
int backfill_stamp_daily(struct samples *, const char *zone, struct err *);

/* 1 when the budget allows another history request now, leaving
 * `reserve` requests. */
int backfill_budget_ok(struct source *, int reserve, time_t *resume_at);
/* Seconds until days_left more days are through at the pace of days_done
 * in elapsed_ms (rounded up); 0 when none is left, -1 with no pace yet. */
int64_t backfill_eta_s(int64_t elapsed_ms, int64_t days_done,
    int64_t days_left);
/* 1 when kind k is sent: its group is on, it has history, not skipped. */
int backfill_wants(const struct backfill *, const struct source_kind *,
    size_t k);

#endif
