/*
 * history over a source that lives in this file (fakesrc.h): a step
 * yields to the cycle that is due (its deadline) and resumes where it
 * stopped; cursors move only when a chunk was written and survive a
 * reload of sync_state.json; an intraday gap is filled; a refused kind is
 * skipped until restart, by name, and said once; the budget reserve; the
 * progress estimate is a number or nothing.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fakesrc.h"
#include "log.h"
#include "sync/history.h"
#include "sync/state.h"
#include "helpers.h"
#include "stats.h"
#include "t.h"

#define START 20000		/* a civil day */
#define END (START + 99)

/* ---- the fake source ---- */

static int
f_profile(struct source *s, struct profile *p, struct err *err)
{
	(void)s, (void)err;
	snprintf(p->zone, sizeof(p->zone), "UTC");
	p->member_since = -1;
	return 0;
}

double
fakesrc_value(const char *kind, int32_t day)
{
	return (double)(day % 1000) + (double)strlen(kind) / 100;
}

static int
f_days(struct source *s, const struct profile *p, int32_t from, int32_t to,
    struct samples *out, struct err *err)
{
	struct fakesrc *f = (struct fakesrc *)s;
	int32_t day;

	(void)p;
	f->days_calls++;
	f->days_from = from;
	for (day = from; day <= to; day++)
		if (samples_add(out, "fitbit_steps_total", day,
		    fakesrc_value("daily", day), NULL) == -1)
			return err_set(err, "out of memory");
	return 0;
}

static const struct source_kind *
f_kinds(struct source *s, size_t *n)
{
	struct fakesrc *f = (struct fakesrc *)s;

	*n = f->nkinds;
	return f->kinds;
}

static int
f_range(struct source *s, const struct profile *p, size_t k, int32_t from,
    int32_t to, struct samples *out, struct err *err)
{
	struct fakesrc *f = (struct fakesrc *)s;
	const struct source_kind *kind = &f->kinds[k];
	int32_t day;

	(void)p;
	if (f->calls < FAKESRC_LOG_MAX) {
		f->log_kind[f->calls] = kind->name;
		f->log_from[f->calls] = from;
	}
	f->calls++;
	f->last_from = from;
	f->last_to = to;
	if (f->budget.known)
		f->budget.remaining--;
	if (f->hist != NULL && f->calls == f->deadline_calls)
		history_set_window(f->hist, f->utc_end, time(NULL) - 1);
	if (f->refuse != NULL && strcmp(f->refuse, kind->name) == 0)
		return err_http(err, ERR_HTTP, 403, "'%s': forbidden",
		    kind->name);
	for (day = from; day <= to && f->values; day++) {
		if (samples_add(out, kind->name, day,
		    fakesrc_value(kind->name, day), NULL) == -1)
			return err_set(err, "out of memory");
		if (kind->flags & KIND_INTRADAY)	/* noon UTC */
			out->v[out->len - 1].ts_ms = (int64_t)day * 86400000 +
			    43200000;
	}
	return 0;
}

static void
f_budget(struct source *s, struct source_budget *b)
{
	*b = ((struct fakesrc *)s)->budget;
}

static int64_t
f_last_sync(struct source *s)
{
	return ((struct fakesrc *)s)->sync;
}

static uint64_t
f_requests(struct source *s)
{
	struct fakesrc *f = (struct fakesrc *)s;

	return (uint64_t)(f->calls + f->days_calls);
}

static const struct source_ops fake_ops = {
	.name = "fake", .profile = f_profile, .days = f_days,
	.kinds = f_kinds, .range = f_range, .budget = f_budget,
	.last_sync = f_last_sync, .requests = f_requests,
};

void
fakesrc_init(struct fakesrc *f, const struct source_kind *kinds, size_t n)
{
	memset(f, 0, sizeof(*f));
	f->src.ops = &fake_ops;
	f->src.stats = stats_account(0);
	f->kinds = kinds;
	f->nkinds = n;
}

int
fakesrc_calls(const struct fakesrc *f, const char *kind)
{
	int i, n = 0;

	for (i = 0; i < f->calls && i < FAKESRC_LOG_MAX; i++)
		n += strcmp(f->log_kind[i], kind) == 0;
	return n;
}

int
capture_write(void *arg, const struct samples *s, size_t *rejected,
    struct err *err)
{
	struct capture *c = arg;

	if (rejected != NULL)
		*rejected = 0;
	if (c->fail)
		return err_kind(err, ERR_TRANSIENT, "VictoriaMetrics is down");
	c->writes++;
	return samples_extend(&c->got, s) == -1 ?
	    err_set(err, "out of memory") : 0;
}

const struct sample *
capture_find(const struct capture *c, const char *metric, int32_t day)
{
	size_t i;

	for (i = 0; i < c->got.len; i++)
		if (strcmp(c->got.v[i].metric, metric) == 0 &&
		    c->got.v[i].day == day)
			return &c->got.v[i];
	return NULL;
}

int
count_lines(const char *path, const char *s)
{
	char line[4096];
	FILE *fp = fopen(path, "r");
	int n = 0;

	if (fp == NULL)
		return -1;
	while (fgets(line, sizeof(line), fp) != NULL)
		n += strstr(line, s) != NULL;
	fclose(fp);
	return n;
}

/* ---- helpers ---- */

static struct profile utc = { "UTC", -1 };

static struct history *
open_history(struct fakesrc *f, const struct history_sink *sink,
    const char *path)
{
	struct history_config hc;
	struct err err = { 0 };
	struct history *h;

	memset(&hc, 0, sizeof(hc));
	hc.src = &f->src;
	hc.profile = &utc;
	hc.sink = sink;
	hc.state_path = path;
	h = history_new(&hc, &err);
	CHECK(h != NULL);
	return h;
}

/* Two daily kinds of 10 days a request. */
static const struct source_kind two[] = {
	{ "steps", "activity", 10, 0 },
	{ "sleep", "sleep", 10, KIND_WAKE },
};

static void
test_deadline_yields_and_resumes(void)
{
	struct fakesrc t;
	struct history *h;
	struct err err = { 0 };
	char *dir = t_tmpdir(), path[1024];
	time_t resume = 0;

	snprintf(path, sizeof(path), "%s/sync_state.json", dir);
	fakesrc_init(&t, two, 2);
	h = open_history(&t, NULL, path);

	/* a cycle is due already: not one request */
	history_set_window(h, 0, time(NULL) - 1);
	CHECK(history_step(h, START, END, &resume, &err) ==
	    HISTORY_YIELDED);
	CHECK(t.calls == 0);
	CHECK(history_next(h, "steps", -1) == -1);

	/* the deadline comes after 3 requests: the 4th waits for the cycle */
	history_set_window(h, 0, time(NULL) + 3600);
	t.hist = h;
	t.deadline_calls = 3;
	CHECK(history_step(h, START, END, &resume, &err) ==
	    HISTORY_YIELDED);
	CHECK(t.calls == 3);
	CHECK(history_next(h, "steps", -1) == START + 30);
	CHECK(history_next(h, "sleep", -1) == -1);

	/* after the cycle: on from where it stopped, to the end */
	t.hist = NULL;
	history_set_window(h, 0, time(NULL) + 3600);
	CHECK(history_step(h, START, END, &resume, &err) ==
	    HISTORY_DONE);
	CHECK(t.calls == 3 + 7 + 10);
	CHECK(history_next(h, "steps", -1) == END + 1);
	CHECK(history_next(h, "sleep", -1) == END + 1);
	CHECK(history_pending(h, START, END) == 0);

	/* no deadline (--once): never yields */
	history_set_window(h, 0, 0);
	CHECK(history_step(h, START, END + 5, &resume, &err) ==
	    HISTORY_DONE);
	CHECK(t.last_to == END + 5);
	history_free(h);
	t_rmrf(dir);
	free(dir);
}

/* Cursors move only after a write; sync_state.json keeps them. */
static void
test_cursors_survive_reload(void)
{
	struct fakesrc t;
	struct capture cap = { { 0 }, 0, 0 };
	struct history_sink sink = { capture_write, &cap };
	const struct sample *s;
	struct history *h;
	struct state st;
	struct err err = { 0 };
	char *dir = t_tmpdir(), path[1024];
	time_t resume = 0;

	snprintf(path, sizeof(path), "%s/sync_state.json", dir);
	fakesrc_init(&t, two, 2);
	t.values = 1;
	samples_init(&cap.got);
	h = open_history(&t, &sink, path);
	CHECK(history_step(h, START, START + 24, &resume, &err) ==
	    HISTORY_DONE);
	CHECK(t.calls == 6 && cap.writes == 6 && cap.got.len == 50);
	s = capture_find(&cap, "sleep", START + 17);
	CHECK(s != NULL && s->value == fakesrc_value("sleep", START + 17));
	/* stamped 23:59:59 UTC of its day */
	CHECK(s != NULL && s->ts_ms == (int64_t)(START + 18) * 86400000 -
	    1000);
	CHECK(history_next(h, "steps", -1) == START + 25);

	/* VictoriaMetrics down: the step fails, no cursor moves */
	cap.fail = 1;
	CHECK(history_step(h, START, START + 34, &resume, &err) ==
	    HISTORY_FAILED);
	CHECK(err.kind == ERR_TRANSIENT);
	CHECK(t.calls == 7);
	CHECK(history_next(h, "steps", -1) == START + 25);
	history_free(h);

	/* a restart: the file holds the cursors, in the file's format */
	state_init(&st);
	CHECK(state_load(path, &st, &err) == 0);
	CHECK(state_next(&st, "steps", -1) == START + 25);
	CHECK(state_next(&st, "sleep", -1) == START + 25);
	h = open_history(&t, &sink, path);
	CHECK(history_next(h, "sleep", -1) == START + 25);
	CHECK(history_pending(h, START, START + 34) == 10);
	cap.fail = 0;
	err.set = 0;
	CHECK(history_step(h, START, START + 34, &resume, &err) ==
	    HISTORY_DONE);
	CHECK(t.calls == 9);
	CHECK(t.log_from[7] == START + 25 && t.log_from[8] == START + 25);
	CHECK(history_next(h, "steps", -1) == START + 35);
	CHECK(history_pending(h, START, START + 34) == 0);
	history_free(h);
	samples_release(&cap.got);
	t_rmrf(dir);
	free(dir);
}

/* Intraday: newest first; after a pause, the gap comes first. */
static void
test_intraday_gap(void)
{
	static const struct source_kind k[] = {
		{ "heart_intraday", "intraday", 1, KIND_INTRADAY },
	};
	struct fakesrc t;
	struct capture cap = { { 0 }, 0, 0 };
	struct history_sink sink = { capture_write, &cap };
	struct history *h;
	struct err err = { 0 };
	char *dir = t_tmpdir(), path[1024];
	time_t resume = 0;
	int i;

	snprintf(path, sizeof(path), "%s/sync_state.json", dir);
	fakesrc_init(&t, k, 1);
	t.values = 1;
	samples_init(&cap.got);
	h = open_history(&t, &sink, path);
	history_set_window(h, START + 5, 0);
	CHECK(history_pending(h, START, START - 1) == 6);
	CHECK(history_step(h, START, START - 1, &resume, &err) ==
	    HISTORY_DONE);
	CHECK(t.calls == 6);
	for (i = 0; i < 6; i++)
		CHECK(t.log_from[i] == START + 5 - i);
	CHECK(history_next(h, "heart_intraday", -1) == START + 6);
	CHECK(history_lo(h, "heart_intraday", -1) == START);
	CHECK(capture_find(&cap, "heart_intraday", START + 3) != NULL &&
	    capture_find(&cap, "heart_intraday", START + 3)->ts_ms ==
	    (int64_t)(START + 3) * 86400000 + 43200000);

	/* SyncBit was down 3 days: the missing days, oldest first */
	history_set_window(h, START + 8, 0);
	CHECK(history_pending(h, START, START - 1) == 3);
	CHECK(history_step(h, START, START - 1, &resume, &err) ==
	    HISTORY_DONE);
	CHECK(t.calls == 9);
	CHECK(t.log_from[6] == START + 6 && t.log_from[7] == START + 7 &&
	    t.log_from[8] == START + 8);
	CHECK(history_next(h, "heart_intraday", -1) == START + 9);
	CHECK(history_lo(h, "heart_intraday", -1) == START);
	history_free(h);
	samples_release(&cap.got);
	t_rmrf(dir);
	free(dir);
}

/* A 403 kind: skipped until restart, said once, known by its name. */
static void
test_refused_kind(void)
{
	static const struct source_kind k[] = {
		{ "steps", "activity", 10, 0 },
		{ "spo2", "spo2", 10, KIND_WAKE },
		{ "sleep", "sleep", 10, KIND_WAKE },
	};
	static const struct source_kind reordered[] = {
		{ "spo2", "spo2", 10, KIND_WAKE },
		{ "weight", "weight", 10, KIND_SLOW },
		{ "sleep", "sleep", 10, KIND_WAKE },
		{ "steps", "activity", 10, 0 },
	};
	struct fakesrc t;
	struct history *h;
	struct err err = { 0 };
	char *dir = t_tmpdir(), path[1024], logp[1100];
	time_t resume = 0;
	int quiet, devnull;

	snprintf(path, sizeof(path), "%s/sync_state.json", dir);
	snprintf(logp, sizeof(logp), "%s/syncbit.log", dir);
	quiet = dup(STDERR_FILENO);	/* the warning goes to logp only */
	devnull = open("/dev/null", O_WRONLY);
	dup2(devnull, STDERR_FILENO);
	CHECK(log_open_file(logp) == 0);
	fakesrc_init(&t, k, 3);
	t.refuse = "spo2";
	h = open_history(&t, NULL, path);
	CHECK(history_step(h, START, START + 19, &resume, &err) ==
	    HISTORY_DONE);
	CHECK(!err.set);
	CHECK(fakesrc_calls(&t, "spo2") == 1);
	CHECK(fakesrc_calls(&t, "steps") == 2 && fakesrc_calls(&t, "sleep") == 2);
	CHECK(history_skipped(h, "spo2") && !history_skipped(h, "sleep"));
	CHECK(history_next(h, "spo2", -1) == -1);
	/* the slowest kind left is through: the skipped one does not count */
	CHECK(history_pending(h, START, START + 19) == 0);

	/* the source reorders and adds kinds: nothing shifts */
	t.kinds = reordered;
	t.nkinds = 4;
	CHECK(history_step(h, START, START + 29, &resume, &err) ==
	    HISTORY_DONE);
	CHECK(fakesrc_calls(&t, "spo2") == 1);
	CHECK(fakesrc_calls(&t, "steps") == 3 && fakesrc_calls(&t, "sleep") == 3);
	CHECK(fakesrc_calls(&t, "weight") == 3);
	CHECK(history_next(h, "steps", -1) == START + 30);
	CHECK(history_next(h, "weight", -1) == START + 30);
	log_close();
	dup2(quiet, STDERR_FILENO);
	close(quiet);
	close(devnull);
	CHECK(count_lines(logp, "history kind skipped until restart") == 1);
	CHECK(count_lines(logp, "kind=spo2 status=403") == 1);
	history_free(h);

	/* a restart asks again */
	h = open_history(&t, NULL, path);
	CHECK(!history_skipped(h, "spo2"));
	t.refuse = NULL;
	CHECK(history_step(h, START, START + 29, &resume, &err) ==
	    HISTORY_DONE);
	CHECK(fakesrc_calls(&t, "spo2") == 1 + 3);
	CHECK(history_next(h, "spo2", -1) == START + 30);
	history_free(h);
	t_rmrf(dir);
	free(dir);
}

/* No history request when remaining <= reserve; resume at the reset. */
static void
test_budget_reserve(void)
{
	struct fakesrc t;
	struct history *h;
	struct err err = { 0 };
	char *dir = t_tmpdir(), path[1024];
	time_t resume = 0, reset = time(NULL) + 900;

	snprintf(path, sizeof(path), "%s/sync_state.json", dir);
	fakesrc_init(&t, two, 2);
	t.budget.known = 1;
	t.budget.limit = 150;
	t.budget.remaining = 5;
	t.budget.reset_at = reset;
	h = open_history(&t, NULL, path);
	CHECK(history_reserve(h) == HISTORY_RESERVE);
	history_set_reserve(h, 3);
	CHECK(history_step(h, START, END, &resume, &err) == HISTORY_PAUSED);
	CHECK(t.calls == 2 && t.budget.remaining == 3);
	CHECK(resume == reset);
	CHECK(history_next(h, "steps", -1) == START + 20);

	/* at the reserve: not one request */
	CHECK(history_step(h, START, END, &resume, &err) == HISTORY_PAUSED);
	CHECK(t.calls == 2);
	CHECK(history_budget_ok(&t.src, 3, &resume) == 0);
	CHECK(history_budget_ok(&t.src, 2, &resume) == 1);

	/* the window has reset since the last answer: go on */
	t.budget.reset_at = time(NULL) - 1;
	t.budget.remaining = 0;
	CHECK(history_budget_ok(&t.src, 3, &resume) == 1);
	t.budget.known = 0;
	CHECK(history_step(h, START, END, &resume, &err) == HISTORY_DONE);
	CHECK(t.calls == 2 + 8 + 10);
	history_free(h);
	t_rmrf(dir);
	free(dir);
}

/* The service's history hands the worker back when the source paces
 * (Google's bucket is empty): no request, resume in a second, cursors
 * intact; --once (no deadline) waits in place and goes on. */
static void
test_paced_source_yields_the_worker(void)
{
	struct fakesrc t;
	struct history *h;
	struct err err = { 0 };
	char *dir = t_tmpdir(), path[1024];
	time_t resume = 0, before;

	snprintf(path, sizeof(path), "%s/sync_state.json", dir);
	fakesrc_init(&t, two, 2);
	t.budget.paced = 1;
	h = open_history(&t, NULL, path);
	history_set_window(h, 0, time(NULL) + 3600);
	before = time(NULL);
	CHECK(history_step(h, START, END, &resume, &err) == HISTORY_PACED);
	CHECK(t.calls == 0);
	CHECK(resume >= before + 1 && resume <= time(NULL) + 1);
	CHECK(history_next(h, "steps", -1) == -1);

	/* the bucket refilled: on to the end */
	t.budget.paced = 0;
	CHECK(history_step(h, START, END, &resume, &err) == HISTORY_DONE);
	CHECK(t.calls == 10 + 10);

	/* --once: the pacing is waited for inside the source */
	t.budget.paced = 1;
	history_set_window(h, 0, 0);
	CHECK(history_step(h, START, END + 10, &resume, &err) == HISTORY_DONE);
	CHECK(t.calls == 20 + 2);
	CHECK(history_next(h, "steps", -1) == END + 11);
	history_free(h);
	t_rmrf(dir);
	free(dir);
}

static void
test_eta(void)
{
	CHECK(history_eta_s(0, 0, 100) == -1);		/* no pace yet */
	CHECK(history_eta_s(500, 0, 100) == -1);
	CHECK(history_eta_s(0, 10, 100) == -1);
	CHECK(history_eta_s(1000, 10, 0) == 0);	/* through */
	CHECK(history_eta_s(1000, 10, 100) == 10);
	CHECK(history_eta_s(1, 90, 1) == 1);		/* rounded up */
	CHECK(history_eta_s(3000, 90, 400) == 14);
}

void
suite_history(void)
{
	log_set_level(LOG_WARN);	/* no progress lines on the run's output */
	test_deadline_yields_and_resumes();
	test_cursors_survive_reload();
	test_intraday_gap();
	test_refused_kind();
	test_budget_reserve();
	test_paced_source_yields_the_worker();
	log_set_level(LOG_INFO);
	test_eta();
}
