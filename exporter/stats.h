/*
 * stats: SyncBit's own numbers, shared between threads.
 *
 * Each field has one writer (the collector thread, or the remote writer
 * it calls) and any number of readers (the HTTP server). All fields are
 * _Atomic; a reader may see one field newer than another, never a torn
 * value. There is one struct stats per process: stats_get().
 */
#ifndef SYNCBIT_STATS_H
#define SYNCBIT_STATS_H

#include <stdatomic.h>
#include <stdint.h>

#define STATS_HTTP_CODES 600	/* index = status; 0 = no HTTP answer */

enum stats_ready {
	READY_STARTING,		/* no sync finished yet */
	READY_OK,
	READY_NO_TOKEN,		/* no token file: run --authorize */
	READY_INVALID_GRANT,	/* refresh refused: run --authorize */
	READY_ACCOUNT,		/* ERR_ACCOUNT: reason in ready_hint */
	READY_FORBIDDEN,	/* every call 403: access revoked / API off */
};

struct stats {
	_Atomic uint64_t api_requests[STATS_HTTP_CODES];
	_Atomic uint64_t rw_sent;
	_Atomic uint64_t rw_retried;
	_Atomic uint64_t rw_rejected;
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
	_Atomic int sync_interval_s;
	/* rwstatus problem code while the remote-write receiver refuses
	 * our writes (401, RWSTATUS_PATH, ...), 0 once it accepts them */
	_Atomic int rw_refused;
};

struct stats *stats_get(void);
void stats_reset(void);			/* for tests */
void stats_count_request(long status);
/* Readiness per SPEC: returns 1 when ready, else 0 and a short reason
 * (a refusing remote-write receiver makes it 0 with rwstatus_hint()). */
int stats_ready(int64_t now, const char **reason);

#endif
