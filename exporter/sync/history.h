/*
 * history: what has reached VictoriaMetrics and what is still to send.
 *
 * It owns sync_state.json (state.h; no other module writes it), the
 * cursors of the history kinds, the fingerprints of the recent days, the
 * kinds the API refused until restart, the last read of each kind, and
 * finality: the newest device sync and the days read once final. Every
 * kind is known by its name (source_kind.name, the key in
 * sync_state.json), never by its place in the source's kinds(): a source
 * may reorder or add kinds without shifting anything.
 *
 * Backfill: history, kind by kind, in the largest chunks the source
 * allows, stamped per SPEC and remote-written; the cursor of a kind moves
 * only after VictoriaMetrics acknowledged its chunk.
 *
 * It spends only the budget the current-value collection does not need:
 * before each request it checks the source's budget and stops (returns
 * HISTORY_PAUSED) when no more than the reserve of requests is left. A
 * kind whose endpoint fails does not hold up the others: a 4xx skips it
 * until restart, anything else leaves its cursor for the next step. A
 * failure of the whole API (auth, rate, stop) or of VictoriaMetrics ends
 * the step at once. History never delays a cycle: with a deadline (the
 * next cycle's start), a step stops before the first request that would
 * begin after it (HISTORY_YIELDED) and goes on after that cycle.
 * Runs on the collector thread (or alone, for --once and --backfill).
 */
#ifndef SYNCBIT_HISTORY_H
#define SYNCBIT_HISTORY_H

#include <stdint.h>
#include <time.h>

#include "err.h"
#include "sample.h"
#include "schedule.h"
#include "source/source.h"

struct rw;
struct history;

/* Requests kept when nothing else is known (--backfill). */
#define HISTORY_RESERVE 2

/* Where samples go instead of rw_write (tests): rw_write's contract. */
struct history_sink {
	int (*write)(void *arg, const struct samples *, size_t *rejected,
	    struct err *);
	void *arg;
};

struct history_config {
	struct source *src;		/* borrowed */
	const struct profile *profile;	/* borrowed; its zone stamps days */
	struct rw *rw;			/* borrowed; NULL: nothing is sent */
	const struct history_sink *sink;	/* NULL: rw */
	const char *state_path;
	unsigned groups;		/* groups.h mask: the kinds to send */
	const char *user;		/* the user label; NULL: rw's */
	/* called after each chunk of history sent (the page's progress) */
	void (*on_chunk)(void *arg);
	void *arg;
};

/* Loads sync_state.json when samples are sent (rw or sink); a corrupt
 * file fails (state_load). */
struct history *history_new(const struct history_config *, struct err *);
void history_free(struct history *);
/* 1 when samples go somewhere (rw or a sink): else scrape-only. */
int history_sends(const struct history *);

/* ---- the skip list and the reads of the recent days ---- */

/* The API refused kind for good: no more reads of it until restart. */
void history_refuse(struct history *, const char *kind);
int history_skipped(const struct history *, const char *kind);
/* 1 when kind (not skipped, its group on) is read in cycle cy. */
int history_due(const struct history *, const struct source_kind *,
    const struct sched_cycle *cy);
/* kind's recent days were read in cy; got: what came back. */
void history_note_read(struct history *, const char *kind,
    const struct sched_cycle *cy, const struct samples *got);

/* ---- finality ---- */

/* The newest device sync the source has seen (Unix s; 0 unknown). */
void history_note_sync(struct history *, int64_t last_sync);
int64_t history_last_sync(const struct history *);
/* Finality and the re-read window of cy (schedule.h sched_plan). */
void history_plan(const struct history *, struct sched_cycle *cy);
/* cy's recent days were sent: its final days need no re-read. */
void history_final_sent(struct history *, const struct sched_cycle *cy);

/* ---- sending ---- */

/* Send each day of [from, to] of kind's samples in all whose values
 * changed since last sent (kind "": the days() values), then record it. */
int history_send_recent(struct history *, const struct sched_cycle *cy,
    const char *kind, const struct samples *all, int32_t from, int32_t to,
    struct err *);

enum history_result {
	HISTORY_DONE,		/* nothing pending in [start, end] */
	HISTORY_PAUSED,		/* budget low: *resume_at says when to go on */
	HISTORY_FAILED,		/* err says why; the cursors are intact */
	HISTORY_YIELDED,	/* the deadline came: a cycle is due */
	HISTORY_PACED,		/* with a deadline, the source paces its
				 * requests: go on at *resume_at, the worker
				 * serves another account meanwhile */
};

/* The next steps: intraday through UTC day utc_end; no request starts
 * after deadline (0: none, and the source's pacing is waited for in
 * place instead of HISTORY_PACED). */
void history_set_window(struct history *, int32_t utc_end, time_t deadline);
/* Requests to leave (sched_reserve); HISTORY_RESERVE until set. */
void history_set_reserve(struct history *, int reserve);
int history_reserve(const struct history *);

/*
 * Advance every daily kind's cursor from where it is (or `start` for a new
 * kind) through `end`; then the intraday kinds over the UTC days [start,
 * utc_end], newest first: days after the newest sent (a gap while SyncBit
 * was down), then older ones. *resume_at: when the budget resets (PAUSED
 * only).
 */
enum history_result history_step(struct history *, int32_t start,
    int32_t end, time_t *resume_at, struct err *);

/* (Re)send [from, to] for every kind without touching the cursors; waits
 * for budget resets as needed (for --backfill). */
int history_range(struct history *, int32_t from, int32_t to,
    struct err *);

/* Days of [start, end] not yet acknowledged for the slowest kind. */
int64_t history_pending(const struct history *, int32_t start,
    int32_t end);
/* kind's history in [start, end] (intraday: UTC days through the window's
 * end): days acknowledged and days in all; -1 when kind is not sent (its
 * group is off, it has no history, or it is skipped). */
int history_progress(const struct history *, const struct source_kind *,
    int32_t start, int32_t end, int64_t *done, int64_t *total);
/* Cursor of kind: its next day, or dflt when unknown (sync_state.json). */
int32_t history_next(const struct history *, const char *kind,
    int32_t dflt);
int32_t history_lo(const struct history *, const char *kind, int32_t dflt);

/* Stamp each sample without an instant of its own (ts_ms 0) at 23:59:59
 * of its day in zone (SPEC). */
int history_stamp_daily(struct samples *, const char *zone, struct err *);

/* 1 when the budget allows another history request now, leaving
 * `reserve` requests. */
int history_budget_ok(struct source *, int reserve, time_t *resume_at);
/* Seconds until days_left more days are through at the pace of days_done
 * in elapsed_ms (rounded up); 0 when none is left, -1 with no pace yet. */
int64_t history_eta_s(int64_t elapsed_ms, int64_t days_done,
    int64_t days_left);

#endif
