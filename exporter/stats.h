/*
 * stats: SyncBit's own numbers, shared between threads.
 *
 * The process' numbers (remote write, the interval) and one struct
 * stats_account per account (its requests, budget, token, readiness). Each
 * field has one writer (the worker running that account, or the remote
 * writer) and any number of readers (the HTTP server). All fields are
 * _Atomic; a reader may see one field newer than another, never a torn
 * value. There is one struct stats per process: stats_get(). The account
 * table is made once, before any thread starts (stats_accounts); until
 * then there is one account, "default".
 */
#ifndef SYNCBIT_STATS_H
#define SYNCBIT_STATS_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#define STATS_HTTP_CODES 600	/* index = status; 0 = no HTTP answer */
#define STATS_USER_MAX 64	/* a user label, NUL included */

enum stats_ready {
	READY_STARTING,		/* no sync finished yet */
	READY_OK,
	READY_NO_TOKEN,		/* no token file: run --authorize */
	READY_INVALID_GRANT,	/* refresh refused: run --authorize */
	READY_ACCOUNT,		/* ERR_ACCOUNT: reason in ready_hint */
	READY_FORBIDDEN,	/* every call 403: access revoked / API off */
	READY_BROKEN,		/* its directory, lock or files unusable */
};

/* One account's numbers; its user label is set before threads start. */
struct stats_account {
	char user[STATS_USER_MAX];
	_Atomic uint64_t api_requests[STATS_HTTP_CODES];
	_Atomic int64_t rate_limit_remaining;	/* -1: unknown */
	_Atomic int64_t token_expiry;		/* UTC s, 0: none */
	_Atomic int64_t backfill_days_pending;
	_Atomic int last_sync_success;		/* 0/1 */
	_Atomic int64_t last_sync_ts;		/* UTC s of last success */
	_Atomic int64_t failing_since;		/* UTC s of first failure, 0 */
	_Atomic int ready;			/* enum stats_ready */
	/* READY_ACCOUNT's reason in the source's words: a static string
	 * (the driver's account_hint), so readers need no lock */
	const char *_Atomic ready_hint;
};

struct stats {
	_Atomic uint64_t rw_sent;
	_Atomic uint64_t rw_retried;
	_Atomic uint64_t rw_rejected;
	_Atomic int sync_interval_s;
	/* rwstatus problem code while the remote-write receiver refuses
	 * our writes (401, RWSTATUS_PATH, ...), 0 once it accepts them */
	_Atomic int rw_refused;
	size_t naccounts;
	struct stats_account *accounts;
};

struct stats *stats_get(void);
/* The account table: n accounts labelled users[i] (before any thread;
 * again only from tests). 0, or -1 when out of memory. */
int stats_accounts(size_t n, const char *const *users);
/* Account i (0 <= i < naccounts). */
struct stats_account *stats_account(size_t i);
/* a, or the first account when a is NULL (a module not told its
 * account: tests, single-account tools). */
struct stats_account *stats_or_first(struct stats_account *a);
void stats_reset(void);			/* for tests: zeroes, keeps accounts */
void stats_count_request(struct stats_account *, long status);
/* One account's readiness: 1 when it syncs, else 0 and a short reason. */
int stats_account_ready(const struct stats_account *, int64_t now,
    const char **reason);
/* Readiness per SPEC: 1 when at least one account syncs and the remote-
 * write receiver accepts our writes; else 0 and a short reason (the
 * first account's, or rwstatus_hint()). */
int stats_ready(int64_t now, const char **reason);
/* The label of a readiness state for syncbit_account_ready{reason}. */
const char *stats_ready_name(int ready);

#endif
