/*
 * rw across accounts: writes that meet while a request is in flight
 * share the next request (a group commit), each writer still gets its
 * own outcome, and one account's refused samples never cost another's.
 * The receiver (rwfake.c) holds its first answer until the test has seen
 * the other writes queue up behind it (rw_waiting), so the grouping is
 * deterministic, not a race.
 */
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "httpc.h"
#include "log.h"
#include "remote/rw.h"
#include "stats.h"
#include "helpers.h"
#include "rwfake.h"
#include "t.h"

#define WRITERS 3

struct writer {
	pthread_t tid;
	struct rw *rw;
	const char *user;
	struct samples s;
	size_t rejected;
	int rc;
	struct err err;
};

static void *
write_thread(void *arg)
{
	struct writer *w = arg;

	w->rc = rw_write(w->rw, w->user, &w->s, &w->rejected, &w->err);
	return NULL;
}

/* Wait (at most 10 s) until cond(arg) holds. */
static int
wait_until(int (*cond)(void *), void *arg)
{
	struct timespec ms = { 0, 1000000 };
	int i;

	for (i = 0; i < 10000; i++) {
		if (cond(arg))
			return 1;
		nanosleep(&ms, NULL);
	}
	return 0;
}

static int
first_request_in(void *f)
{
	return rwf_requests(f) >= 1;
}

static int
two_waiting(void *rw)
{
	return rw_waiting(rw) == WRITERS - 1;
}

/* Writer 0 (alice) alone in request 0, held; then bob and carol queue
 * up behind it and go out together. */
static void
run_writers(struct rwf *f, struct rw *rw, struct writer *w)
{
	static const char *const users[WRITERS] = { "alice", "bob", "carol" };
	int i;

	for (i = 0; i < WRITERS; i++) {
		memset(&w[i], 0, sizeof(w[i]));
		w[i].rw = rw;
		w[i].user = users[i];
		rwf_add(&w[i].s, "fitbit_steps_total", 1000 + i, 86400000, NULL,
		    NULL, NULL, NULL);
		rwf_add(&w[i].s, "fitbit_steps_total", 2000 + i, 172800000,
		    NULL, NULL, NULL, NULL);
		rwf_add(&w[i].s, "fitbit_active_minutes", 30 + i, 86400000,
		    "type", "lightly_active", NULL, NULL);
	}
	pthread_create(&w[0].tid, NULL, write_thread, &w[0]);
	CHECK(wait_until(first_request_in, f));
	for (i = 1; i < WRITERS; i++)
		pthread_create(&w[i].tid, NULL, write_thread, &w[i]);
	CHECK(wait_until(two_waiting, rw));
	rwf_release(f);
	for (i = 0; i < WRITERS; i++)
		pthread_join(w[i].tid, NULL);
}

static void
release_writers(struct writer *w)
{
	int i;

	for (i = 0; i < WRITERS; i++)
		samples_release(&w[i].s);
}

/* Start the receiver on script and run the three writers against it. */
static struct rw *
start(struct rwf_env *env, struct rwf *f, const struct rwf_step *script,
    size_t n, struct writer *w)
{
	struct rw *rw;

	stats_reset();
	if (rwf_start(f, script, n) == -1)
		return NULL;
	rw = rwf_rw(env, f, NULL, NULL);
	run_writers(f, rw, w);
	return rw;
}

static void
finish(struct rw *rw, struct rwf *f, struct writer *w)
{
	rw_free(rw);
	rwf_stop(f);
	release_writers(w);
}

/* The samples of writers [from, to) are exactly those of request r. */
static int
request_holds(struct rwf *f, size_t r, struct writer *w, int from, int to)
{
	struct rwf_rec recs[16];
	Prometheus__WriteRequest *wr;
	size_t nrecs = 0, i;
	int k, ok;

	if (r >= RWF_MAX_REQS || (wr = rwf_decode(f->got[r].body,
	    f->got[r].len)) == NULL)
		return 0;
	ok = rwf_collect(wr, recs, &nrecs, 16) == 0;
	prometheus__write_request__free_unpacked(wr, NULL);
	/* the expected records: each writer's samples under its user */
	for (k = from; k < to; k++) {
		struct rwf_rec want[8];
		size_t nwant = 0, j, m;

		for (i = 0; i < nrecs; i++)
			if (strstr(recs[i].key, w[k].user) != NULL)
				want[nwant++] = recs[i];
		ok = ok && rwf_same_samples(want, nwant, w[k].s.v, w[k].s.len,
		    w[k].user);
		m = 0;
		for (j = 0; j < nrecs; j++)
			m += strstr(recs[j].key, w[k].user) != NULL;
		ok = ok && m == w[k].s.len;
	}
	for (i = 0; i < nrecs; i++) {
		int owned = 0;

		for (k = from; k < to; k++)
			owned |= strstr(recs[i].key, w[k].user) != NULL;
		ok = ok && owned;
	}
	return ok;
}

static void
test_writes_meet(struct rwf_env *env)
{
	static const struct rwf_step script[] = {
		{ .status = 204, .body = "", .hold = 1 },
		{ .status = 204, .body = "" },
	};
	struct writer w[WRITERS];
	struct rwf f;
	struct rw *rw;
	int i;

	if ((rw = start(env, &f, script, 2, w)) == NULL) {
		CHECK(0);
		return;
	}
	for (i = 0; i < WRITERS; i++)
		CHECK(w[i].rc == 0 && w[i].rejected == 0);
	/* three writes, two requests: bob's and carol's shared one */
	CHECK(rwf_requests(&f) == 2);
	CHECK(request_holds(&f, 0, w, 0, 1));
	CHECK(request_holds(&f, 1, w, 1, 3));
	CHECK(rwf_request_ok(&f.got[1]));
	CHECK(atomic_load(&stats_get()->rw_sent) == 9);
	finish(rw, &f, w);
}

/* The shared request is refused for its samples: it is resent one
 * account at a time, and only the account VictoriaMetrics refuses
 * again loses its samples. */
static void
test_rejection_stays_with_its_account(struct rwf_env *env)
{
	static const struct rwf_step script[] = {
		{ .status = 204, .body = "", .hold = 1 },
		{ .status = 400, .body = "cannot parse sample" },
		{ .status = 400, .body = "cannot parse sample" },	/* bob */
		{ .status = 204, .body = "" },				/* carol */
	};
	struct writer w[WRITERS];
	struct rwf f;
	struct rw *rw;

	if ((rw = start(env, &f, script, 4, w)) == NULL) {
		CHECK(0);
		return;
	}
	CHECK(rwf_requests(&f) == 4);
	CHECK(request_holds(&f, 1, w, 1, 3));
	CHECK(request_holds(&f, 2, w, 1, 2));
	CHECK(request_holds(&f, 3, w, 2, 3));
	CHECK(w[0].rc == 0 && w[0].rejected == 0);
	CHECK(w[1].rc == 0 && w[1].rejected == 3);
	CHECK(w[2].rc == 0 && w[2].rejected == 0);
	CHECK(atomic_load(&stats_get()->rw_sent) == 6);
	finish(rw, &f, w);
}

/* The receiver refuses us while two writes share a request: both fail
 * with the refusal (nothing counted as sent), the first write stays
 * delivered. */
static void
test_refusal_fails_every_waiting_write(struct rwf_env *env)
{
	static const struct rwf_step script[] = {
		{ .status = 204, .body = "", .hold = 1 },
		{ .status = 401, .body = "Unauthorized" },
	};
	struct writer w[WRITERS];
	struct rwf f;
	struct rw *rw;

	if ((rw = start(env, &f, script, 2, w)) == NULL) {
		CHECK(0);
		return;
	}
	CHECK(rwf_requests(&f) == 2);
	CHECK(w[0].rc == 0);
	CHECK(w[1].rc == -1 && w[1].err.kind == ERR_REFUSED);
	CHECK(w[2].rc == -1 && w[2].err.kind == ERR_REFUSED);
	CHECK(strcmp(w[1].err.msg, w[2].err.msg) == 0);
	CHECK(atomic_load(&stats_get()->rw_sent) == 3);
	finish(rw, &f, w);
}

void
suite_rw_batch(void)
{
	struct rwf_env env;

	rwf_env_open(&env);

	test_writes_meet(&env);
	test_rejection_stays_with_its_account(&env);
	test_refusal_fails_every_waiting_write(&env);

	rwf_env_close(&env);
}
