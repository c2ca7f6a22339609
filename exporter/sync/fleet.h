/*
 * fleet: the accounts of one process and the few workers that run them.
 *
 * Each account is a collector without a thread of its own. A worker takes
 * the account whose next turn is due first, runs that turn
 * (collector_turn: a cycle when one is due, else a step of pending
 * history) and puts the account back with the time of its next turn. An
 * account runs on one worker at a time, so its collector, source, OAuth
 * and history stay single-threaded; the workers share only the remote
 * writer (it locks itself) and the cache of each account (immutable
 * snapshots). Before a turn the worker lends the account its own HTTP
 * client: one curl handle per worker, not per account. One account's
 * slow or failing turn occupies one worker; the others go on.
 */
#ifndef SYNCBIT_FLEET_H
#define SYNCBIT_FLEET_H

#include <stddef.h>

#include "err.h"

/*
 * The pool grows with the household, one worker per FLEET_PER_WORKER
 * accounts, from FLEET_WORKERS_MIN to FLEET_WORKERS_MAX and never more
 * than accounts: a Google cycle (about 17 requests) spends seconds
 * waiting for its own account's pacing (10 at once, then one per 300
 * ms), and that wait holds its worker.
 */
#define FLEET_WORKERS_MIN 4
#define FLEET_WORKERS_MAX 32
#define FLEET_PER_WORKER 32

struct collector;
struct httpc;

struct fleet_config {
	struct collector *const *accounts;	/* borrowed, n of them */
	size_t n;
	int workers;			/* 0: fleet_workers(n, 0) */
	/* one HTTP client per worker: the caller makes them (workers of
	 * them), the fleet lends them and never frees them */
	struct httpc *const *http;
};

/* Run every account until quit_requested(); the calling thread is one of
 * the workers. -1 with err when a worker thread cannot start. */
int fleet_run(const struct fleet_config *, struct err *);
/* How many workers fleet_run() uses for n accounts (asked > 0: that
 * many, at most FLEET_WORKERS_MAX and n). */
int fleet_workers(size_t n, int asked);

#endif
