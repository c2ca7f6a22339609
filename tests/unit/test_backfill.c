/*
 * backfill over a source that lives in this file: a step yields to the
 * cycle that is due (its deadline), resumes where it stopped, and the
 * progress estimate is a number or nothing.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sync/backfill.h"
#include "sync/kinds.h"
#include "log.h"
#include "sync/state.h"
#include "helpers.h"
#include "t.h"

#define START 20000		/* a civil day */
#define END (START + 99)

/* Two daily kinds of 10 days a request; no samples (so no remote write). */
static const struct source_kind tkinds[] = {
	{ "steps", "activity", 10, 0 },
	{ "sleep", "sleep", 10, KIND_WAKE },
};

struct tsrc {
	struct source src;
	int calls;
	int32_t last_from, last_to;
	time_t *deadline_after;	/* set to the past after this many calls */
	int deadline_calls;
};

static int
t_range(struct source *s, const struct profile *p, size_t k, int32_t from,
    int32_t to, struct samples *out, struct err *err)
{
	struct tsrc *t = (struct tsrc *)s;

	(void)p, (void)k, (void)out, (void)err;
	t->calls++;
	t->last_from = from;
	t->last_to = to;
	if (t->deadline_after != NULL && t->calls == t->deadline_calls)
		*t->deadline_after = time(NULL) - 1;
	return 0;
}

static const struct source_kind *
t_kinds(struct source *s, size_t *n)
{
	(void)s;
	*n = sizeof(tkinds) / sizeof(tkinds[0]);
	return tkinds;
}

static void
t_budget(struct source *s, struct source_budget *b)
{
	(void)s;
	memset(b, 0, sizeof(*b));
}

static const struct source_ops tops = {
	.name = "test", .kinds = t_kinds, .range = t_range,
	.budget = t_budget,
};

static void
test_deadline_yields_and_resumes(void)
{
	struct tsrc t = { { &tops }, 0, 0, 0, NULL, 0 };
	struct profile prof = { "UTC", -1 };
	struct state st;
	struct backfill bf;
	struct err err = { 0 };
	char *dir = t_tmpdir(), path[1024];
	time_t resume = 0;

	snprintf(path, sizeof(path), "%s/sync_state.json", dir);
	state_init(&st);
	memset(&bf, 0, sizeof(bf));
	bf.src = &t.src;
	bf.profile = &prof;
	bf.state = &st;
	bf.state_path = path;
	bf.groups = kinds_all();
	bf.reserve = BACKFILL_RESERVE;

	/* a cycle is due already: not one request */
	bf.deadline = time(NULL) - 1;
	CHECK(backfill_step(&bf, START, END, &resume, &err) ==
	    BACKFILL_YIELDED);
	CHECK(t.calls == 0);
	CHECK(state_next(&st, "steps", -1) == -1);

	/* the deadline comes after 3 requests: the 4th waits for the cycle */
	bf.deadline = time(NULL) + 3600;
	t.deadline_after = &bf.deadline;
	t.deadline_calls = 3;
	CHECK(backfill_step(&bf, START, END, &resume, &err) ==
	    BACKFILL_YIELDED);
	CHECK(t.calls == 3);
	CHECK(state_next(&st, "steps", -1) == START + 30);
	CHECK(state_next(&st, "sleep", -1) == -1);

	/* after the cycle: on from where it stopped, to the end */
	t.deadline_after = NULL;
	bf.deadline = time(NULL) + 3600;
	CHECK(backfill_step(&bf, START, END, &resume, &err) ==
	    BACKFILL_DONE);
	CHECK(t.calls == 3 + 7 + 10);
	CHECK(state_next(&st, "steps", -1) == END + 1);
	CHECK(state_next(&st, "sleep", -1) == END + 1);
	CHECK(backfill_pending(&bf, START, END) == 0);

	/* no deadline (--once): never yields */
	bf.deadline = 0;
	CHECK(backfill_step(&bf, START, END + 5, &resume, &err) ==
	    BACKFILL_DONE);
	CHECK(t.last_to == END + 5);
	t_rmrf(dir);
	free(dir);
}

static void
test_eta(void)
{
	CHECK(backfill_eta_s(0, 0, 100) == -1);		/* no pace yet */
	CHECK(backfill_eta_s(500, 0, 100) == -1);
	CHECK(backfill_eta_s(0, 10, 100) == -1);
	CHECK(backfill_eta_s(1000, 10, 0) == 0);	/* through */
	CHECK(backfill_eta_s(1000, 10, 100) == 10);
	CHECK(backfill_eta_s(1, 90, 1) == 1);		/* rounded up */
	CHECK(backfill_eta_s(3000, 90, 400) == 14);
}

void
suite_backfill(void)
{
	log_set_level(LOG_WARN);	/* no progress lines on the run's output */
	test_deadline_yields_and_resumes();
	log_set_level(LOG_INFO);
	test_eta();
}
