/*
 * history_impl.h: the inside of struct history, shared by history.c (the
 * backfill) and history_state.c (sync_state.json, the kinds by name,
 * finality, the recent days). Nothing outside history includes it.
 */
#ifndef SYNCBIT_HISTORY_IMPL_H
#define SYNCBIT_HISTORY_IMPL_H

#include "history.h"
#include "state.h"

/* What history knows of one kind, found by its name. */
struct history_kind {
	char name[STATE_NAME_MAX];
	int skip;			/* refused for good until restart */
	struct sched_read read;		/* the last read of its recent days */
};

struct history {
	struct history_config cfg;
	struct state state;		/* sync_state.json */
	struct history_kind kinds[STATE_KINDS_MAX];
	size_t nkinds;
	int64_t last_sync;		/* newest device sync; 0 unknown */
	int32_t final_through;		/* local days read once final */
	int32_t final_utc_through;	/* UTC days (intraday) read once final */
	int32_t utc_end;		/* last UTC day of intraday history */
	int reserve;			/* requests to leave (sched_reserve) */
	time_t deadline;		/* no request starts after it; 0: none */
};

/* Remote-write s (rw, or the sink): rw_write's contract. */
int history_send(struct history *, const struct samples *, size_t *rejected,
    struct err *);
/* Write sync_state.json. */
int history_save(struct history *, struct err *);

#endif
