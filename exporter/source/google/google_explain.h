/*
 * google_explain: what a Google Health error answer means for the user,
 * said once: one actionable log line per problem (ACCOUNT_NOT_LINKED, a
 * scope not granted, a legacy Fitbit login, the API disabled, a revoked
 * grant), per data type for other refusals; and the (data type,
 * operation) pairs refused for good (a list-only type's roll-up answered
 * 400 UNSUPPORTED_DATA_TYPE_ACTION, a 404, ...), remembered until restart
 * so that no cycle asks again. An error body's free text is never logged.
 * Collector thread only (one struct google_memo per source).
 */
#ifndef SYNCBIT_GOOGLE_EXPLAIN_H
#define SYNCBIT_GOOGLE_EXPLAIN_H

#include <stddef.h>

#include "err.h"
#include "google.h"

#define GOOGLE_ONCE_MAX 64
#define GOOGLE_REFUSED_MAX 32

struct google_memo {
	char *once[GOOGLE_ONCE_MAX];	/* keys already said */
	size_t nonce;
	struct google_refusal {
		char key[96];		/* "activity-level dailyRollUp" */
		int code;		/* the HTTP status */
	} refused[GOOGLE_REFUSED_MAX];
	size_t nrefused;
};

/* 1 the first time key is seen (then remembered), else 0. */
int google_once(struct google_memo *, const char *key);
void google_memo_release(struct google_memo *);

/* The user's line for st, once per problem (scope: per scope; other
 * refusals: per data type and status). A 429 says nothing. */
void google_explain(struct google_memo *, const char *what,
    const char *scope, const struct google_status *st);

/* 1 when st (st->code the HTTP status) refuses for good: 400 (not
 * ACCOUNT_NOT_LINKED), 403 scope not granted, 404, 405, 501. */
int google_refusal(const struct google_status *st);
/* Remember (what, op) refused with st; logs one line naming the data type
 * and the operation (a missing scope: google_explain() says it). */
void google_refuse(struct google_memo *, const char *what, const char *op,
    const struct google_status *st);
/* 1 with err (the refusal's status as err.status) when (what, op) was
 * refused before. */
int google_refused(const struct google_memo *, const char *what,
    const char *op, struct err *err);

/*
 * A final error answer (HTTP status, body) to the call `what` (op, scope)
 * -> err, with the user's line once and the refusal remembered: code
 * ERR_ACCOUNT for ACCOUNT_NOT_LINKED, ERR_RATE for a 429, else the
 * status. *problem gets the answer's problem. Returns -1.
 */
int google_answer_error(struct google_memo *, const char *what,
    const char *op, const char *scope, long status, const char *body,
    size_t len, enum google_problem *problem, struct err *err);

/* 1 when e is about the whole API, not one data type (problem: that of
 * the last error answer): the caller's call ends. */
int google_ends_call(enum google_problem problem, const struct err *e);

/* A body of data type `what` that does not parse (err says why): one
 * warning per data type. Returns -1. */
int google_bad_answer(struct google_memo *, const char *what,
    const struct err *err);

#endif
