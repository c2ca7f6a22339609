/*
 * report: an account's status for the page (cache.h struct status), built
 * by the worker running the account at the end of each turn from what it
 * alone touches (its source's budget, its history's cursors, its last
 * error) and its stats, then published; the HTTP server only reads it.
 * It keeps the pace of each data kind's history since the process began
 * sending it, for the ETA.
 */
#ifndef SYNCBIT_REPORT_H
#define SYNCBIT_REPORT_H

#include <stdint.h>
#include <time.h>

#include "expose/cache.h"

struct history;
struct source;
struct stats_account;

struct report {
	int64_t t0_ms[STATUS_KINDS_MAX];	/* first seen; 0: not yet */
	int64_t done0[STATUS_KINDS_MAX];	/* days done then */
};

struct report_input {
	struct source *src;
	const struct history *hist;
	const struct stats_account *st;
	int32_t start, end;		/* the history range; end < start: none */
	time_t next_sync;
	const char *error;		/* the last failure, or "" */
};

/* A new status (refs 1) for cache_publish_status, or NULL (out of
 * memory). */
struct status *report_build(struct report *, const struct report_input *);

#endif
