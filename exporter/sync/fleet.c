/*
 * fleet: the workers and their queue (see fleet.h).
 *
 * The queue is the accounts' due times under one mutex; a worker scans
 * for the earliest idle account (a linear scan: a thousand accounts cost
 * microseconds per turn, and a turn costs requests), sleeps on the
 * condition variable until it is due or a turn ends, and wakes at least
 * once a second to notice a quit.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "collector.h"
#include "fleet.h"
#include "quit.h"

struct fleet {
	const struct fleet_config *cfg;
	pthread_mutex_t lock;
	pthread_cond_t changed;
	time_t *due;			/* next turn of each account */
	unsigned char *busy;		/* on a worker now */
};

struct worker {
	struct fleet *f;
	struct httpc *http;
	pthread_t thread;
};

int
fleet_workers(size_t n, int asked)
{
	size_t w = asked > 0 ? (size_t)asked : n / FLEET_PER_WORKER;

	if (asked <= 0 && w < FLEET_WORKERS_MIN)
		w = FLEET_WORKERS_MIN;
	if (w > FLEET_WORKERS_MAX)
		w = FLEET_WORKERS_MAX;
	return (int)(w > n ? n : w);
}

/* The idle account due first, or n when all are busy. */
static size_t
earliest(const struct fleet *f)
{
	size_t i, best = f->cfg->n;

	for (i = 0; i < f->cfg->n; i++)
		if (!f->busy[i] && (best == f->cfg->n ||
		    f->due[i] < f->due[best]))
			best = i;
	return best;
}

/* Until a turn ends or a second passed: due times are whole seconds,
 * and a quit is noticed within one. */
static void
wait_a_second(struct fleet *f)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += 1;
	pthread_cond_timedwait(&f->changed, &f->lock, &ts);
}

static void *
work(void *arg)
{
	struct worker *w = arg;
	struct fleet *f = w->f;
	time_t now, next;
	size_t i;

	pthread_mutex_lock(&f->lock);
	while (!quit_requested()) {
		now = time(NULL);
		for (i = 0; i < f->cfg->n; i++)
			if (!f->busy[i] && f->due[i] > now &&
			    collector_woken(f->cfg->accounts[i]))
				f->due[i] = now;
		if ((i = earliest(f)) == f->cfg->n || f->due[i] > now) {
			wait_a_second(f);
			continue;
		}
		f->busy[i] = 1;
		pthread_mutex_unlock(&f->lock);
		collector_lend_http(f->cfg->accounts[i], w->http);
		next = collector_turn(f->cfg->accounts[i], now);
		pthread_mutex_lock(&f->lock);
		f->busy[i] = 0;
		f->due[i] = next;
		pthread_cond_broadcast(&f->changed);
	}
	pthread_cond_broadcast(&f->changed);
	pthread_mutex_unlock(&f->lock);
	return NULL;
}

int
fleet_run(const struct fleet_config *cfg, struct err *err)
{
	struct fleet f = { 0 };
	struct worker *w = NULL;
	int n = fleet_workers(cfg->n, cfg->workers), i, started = 0, rc = -1;

	if (cfg->n == 0 || n < 1)
		return err_set(err, "no account to run");
	f.cfg = cfg;
	f.due = calloc(cfg->n, sizeof(*f.due));
	f.busy = calloc(cfg->n, 1);
	w = calloc((size_t)n, sizeof(*w));
	if (f.due == NULL || f.busy == NULL || w == NULL) {
		err_set(err, "out of memory");
		goto out;
	}
	pthread_mutex_init(&f.lock, NULL);
	pthread_cond_init(&f.changed, NULL);
	for (i = 0; i < n; i++) {
		w[i].f = &f;
		w[i].http = cfg->http[i];
	}
	for (i = 1; i < n; i++, started++)
		if (pthread_create(&w[i].thread, NULL, work, &w[i]) != 0) {
			err_set(err, "cannot start worker %d of %d: %s", i + 1,
			    n, strerror(errno));
			quit_request();
			break;
		}
	if (started == n - 1) {
		work(&w[0]);
		rc = 0;
	}
	for (i = 1; i <= started; i++)
		pthread_join(w[i].thread, NULL);
	pthread_cond_destroy(&f.changed);
	pthread_mutex_destroy(&f.lock);
out:
	free(w);
	free(f.busy);
	free(f.due);
	return rc;
}
