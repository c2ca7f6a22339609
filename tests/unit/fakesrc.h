/*
 * fakesrc: a source that lives in the unit tests (test_history.c defines
 * it, test_collector.c uses it too). No network: every request is
 * counted and answered from the day's number, so tests assert values.
 * It spends its budget by one per request when the budget is known.
 */
#ifndef SYNCBIT_FAKESRC_H
#define SYNCBIT_FAKESRC_H

#include "sample.h"
#include "source/source.h"

struct history;

#define FAKESRC_LOG_MAX 64

struct fakesrc {
	struct source src;
	const struct source_kind *kinds;
	size_t nkinds;
	int values;			/* 1: one sample a day of each kind */
	const char *refuse;		/* this kind answers 403 */
	int64_t sync;			/* what last_sync() says; 0 unknown */
	struct source_budget budget;
	int calls;			/* range() requests */
	int days_calls;
	int32_t days_from;		/* of the last days() */
	int32_t last_from, last_to;
	/* the requests in order: kind name and first day */
	const char *log_kind[FAKESRC_LOG_MAX];
	int32_t log_from[FAKESRC_LOG_MAX];
	/* after deadline_calls requests the deadline of hist is past */
	struct history *hist;
	int deadline_calls;
	int32_t utc_end;
};

void fakesrc_init(struct fakesrc *, const struct source_kind *, size_t n);
/* The value of kind's day (days() values: kind "daily"). */
double fakesrc_value(const char *kind, int32_t day);
/* Requests of kind so far. */
int fakesrc_calls(const struct fakesrc *, const char *kind);

/* A sink (history_sink) that keeps every sample written. */
struct capture {
	struct samples got;
	int writes;
	int fail;			/* 1: writes fail (ERR_TRANSIENT) */
};

int capture_write(void *capture, const struct samples *, size_t *rejected,
    struct err *);
/* The captured sample of metric on day, NULL when none. */
const struct sample *capture_find(const struct capture *,
    const char *metric, int32_t day);
/* Lines of path holding s. */
int count_lines(const char *path, const char *s);

#endif
