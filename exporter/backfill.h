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
 * the step at once.
 * Runs on the collector thread (or alone, for --once and --backfill).
 */
#ifndef SYNCBIT_BACKFILL_H
#define SYNCBIT_BACKFILL_H

#include <stdint.h>
#include <time.h>

#include "err.h"
#include "sample.h"
#include "source.h"
#include "state.h"

struct rw;

/* Requests kept for the collector's own cycles (today + recent days). */
#define BACKFILL_RESERVE 12

struct backfill {
	struct source *src;
	const struct profile *profile;
	struct rw *rw;
	struct state *state;
	const char *state_path;
	/* kinds the API refused for good (403/404...) until restart */
	unsigned char skip[STATE_KINDS_MAX];
};

enum backfill_result {
	BACKFILL_DONE,		/* nothing pending in [start, end] */
	BACKFILL_PAUSED,	/* budget low: *resume_at says when to go on */
	BACKFILL_FAILED,	/* err says why; the cursors are intact */
};

/*
 * Advance every kind's cursor from where it is (or `start` for a new kind)
 * through `end`. *resume_at: when the budget resets (PAUSED only).
 */
enum backfill_result backfill_step(struct backfill *, int32_t start,
    int32_t end, time_t *resume_at, struct err *);

/* (Re)send [from, to] for every kind without touching the cursors; waits
 * for budget resets as needed (for --backfill). */
int backfill_range(struct backfill *, int32_t from, int32_t to,
    struct err *);

/* Days of [start, end] not yet acknowledged for the slowest kind. */
int64_t backfill_pending(struct backfill *, int32_t start, int32_t end);

/* Stamp each sample at 23:59:59 of its day in zone (SPEC). */
int backfill_stamp_daily(struct samples *, const char *zone, struct err *);

/* 1 when the budget allows another history request now. */
int backfill_budget_ok(struct source *, time_t *resume_at);

#endif
