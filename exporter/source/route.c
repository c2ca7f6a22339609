/*
 * route: the TCX routes of recent sessions, fetched once (see route.h).
 * Source thread only.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "civil.h"
#include "log.h"
#include "route.h"
#include "source.h"
#include "tcx.h"

#define MEMO_SESSIONS 256

/* A session whose route was read: its points (none: it had no route). */
struct memo {
	char id[EXERCISE_ID_MAX];
	int32_t day;
	struct tcx_route rt;
};

struct routes {
	int days;			/* EXERCISE_ROUTES_DAYS; 0: off */
	int refused;			/* a 403: no more asking */
	int said_no_position;
	struct memo *m;
	size_t n;
	size_t points;			/* in all of m */
	uint64_t fetched;
};

struct routes *
routes_new(int days)
{
	struct routes *r = calloc(1, sizeof(*r));

	if (r == NULL)
		return NULL;
	r->days = days;
	if (days > 0 && (r->m = calloc(MEMO_SESSIONS, sizeof(*r->m))) == NULL) {
		free(r);
		return NULL;
	}
	return r;
}

void
routes_free(struct routes *r)
{
	size_t i;

	if (r == NULL)
		return;
	for (i = 0; i < r->n; i++)
		tcx_route_release(&r->m[i].rt);
	free(r->m);
	free(r);
}

int
routes_on(const struct routes *r)
{
	return r != NULL && r->days > 0;
}

uint64_t
routes_fetched(const struct routes *r)
{
	return r != NULL ? r->fetched : 0;
}

void
route_drop(struct samples *s, size_t from)
{
	size_t i, n = from;

	for (i = from; i < s->len; i++)
		if (strncmp(s->v[i].metric, "fitbit_exercise_position_",
		    strlen("fitbit_exercise_position_")) != 0 &&
		    strcmp(s->v[i].metric, TCX_METRIC_HR) != 0)
			s->v[n++] = s->v[i];
	s->len = n;
}

static struct memo *
memo_find(struct routes *r, const char *id)
{
	size_t i;

	for (i = 0; i < r->n; i++)
		if (strcmp(r->m[i].id, id) == 0)
			return &r->m[i];
	return NULL;
}

/* Keep rt (taken over: rt is empty after) unless the memo is full. */
static void
memo_keep(struct routes *r, const struct exercise *e, struct tcx_route *rt)
{
	struct memo *m;

	if (r->n == MEMO_SESSIONS || r->points + rt->len > ROUTE_MEMO_POINTS)
		return;
	m = &r->m[r->n++];
	snprintf(m->id, sizeof(m->id), "%s", e->id);
	m->day = e->day;
	m->rt = *rt;
	r->points += rt->len;
	tcx_route_init(rt);
}

/* Forget the sessions before day `from`: no cycle reads them again. */
static void
memo_forget(struct routes *r, int32_t from)
{
	size_t i = 0;

	while (i < r->n) {
		if (r->m[i].day >= from) {
			i++;
			continue;
		}
		r->points -= r->m[i].rt.len;
		tcx_route_release(&r->m[i].rt);
		r->m[i] = r->m[--r->n];
	}
}

/* The session label: start_ms as RFC 3339 UTC, ms only when not 0. */
static void
session_label(int64_t ms, char out[SAMPLE_LVALUE_MAX])
{
	time_t t = (time_t)(ms >= 0 ? ms / 1000 : (ms - 999) / 1000);
	struct tm tm;
	int frac = (int)(ms - (int64_t)t * 1000);
	size_t n;

	gmtime_r(&t, &tm);
	n = strftime(out, SAMPLE_LVALUE_MAX, "%Y-%m-%dT%H:%M:%S", &tm);
	if (frac != 0)
		snprintf(out + n, SAMPLE_LVALUE_MAX - n, ".%03dZ", frac);
	else
		snprintf(out + n, SAMPLE_LVALUE_MAX - n, "Z");
}

/* rt's samples, on the session's local day. */
static int
emit(const struct exercise *e, const struct tcx_route *rt,
    struct samples *out, struct err *err)
{
	char session[SAMPLE_LVALUE_MAX];
	size_t i, base = out->len;

	session_label(e->stamp_ms, session);
	if (tcx_samples(rt, session, out, err) == -1)
		return -1;
	for (i = base; i < out->len; i++)
		out->v[i].day = e->day;
	samples_tag(out, base, "exercise");
	return 0;
}

/* Session e's route read into rt: 0 (rt empty when there is none to
 * have), or -1 with err when the call must fail. */
static int
fetch(struct routes *r, const struct exercise *e, route_get_fn get,
    void *ctx, struct tcx_route *rt, struct err *err)
{
	struct httpc_resp resp;
	struct err e2 = { 0 };
	int rc;

	httpc_resp_init(&resp);
	rc = get(ctx, e, &resp, err);
	r->fetched++;
	if (rc == -1 && err->kind == ERR_TOO_LARGE) {
		/* a document over the cap: as one that does not parse */
		httpc_resp_release(&resp);
		log_warn("exercise route not read", "session=%s error=\"%s\"",
		    e->id, err->msg);
		err_clear(err);
		return 0;
	}
	if (rc == -1) {
		httpc_resp_release(&resp);
		if (err->kind != ERR_HTTP || (err->status != 403 &&
		    err->status != 404))
			return -1;
		if (err->status == 403) {
			log_warn("exercise routes: the API refused a route "
			    "(403): the grant lacks the location scope; "
			    "re-authorize with EXERCISE_ROUTES=on", NULL);
			r->refused = 1;
		}
		err_clear(err);
		return 0;
	}
	if (tcx_parse(resp.body, resp.len, rt, &e2) == -1)
		log_warn("exercise route not read", "session=%s error=\"%s\"",
		    e->id, e2.msg);
	else if (e->gps == 1 && rt->positions == 0 && !r->said_no_position) {
		log_info("exercise route without positions though the "
		    "session has GPS: the grant lacks the location scope; "
		    "re-authorize with EXERCISE_ROUTES=on", "session=%s",
		    e->id);
		r->said_no_position = 1;
	}
	httpc_resp_release(&resp);
	return 0;
}

int
route_add(struct routes *r, const struct profile *p, int64_t now,
    const struct exercise_list *l, route_get_fn get, void *ctx,
    struct samples *out, struct err *err)
{
	struct tcx_route rt;
	struct memo *m;
	size_t i, base = out->len;
	int32_t today;
	int rc = 0;

	if (!routes_on(r))
		return 0;
	if (civil_today(p->zone, (time_t)now, &today, err) == -1)
		return -1;
	tcx_route_init(&rt);
	for (i = 0; i < l->len && rc == 0; i++) {
		const struct exercise *e = &l->v[i];

		if (e->id[0] == '\0' || e->day <= today - r->days)
			continue;
		if ((m = memo_find(r, e->id)) != NULL) {
			rc = emit(e, &m->rt, out, err);
			continue;
		}
		if (r->refused)
			continue;
		if ((rc = fetch(r, e, get, ctx, &rt, err)) == 0 &&
		    (rc = emit(e, &rt, out, err)) == 0)
			memo_keep(r, e, &rt);
		tcx_route_release(&rt);
	}
	if (rc == -1) {
		out->len = base;
		return -1;
	}
	memo_forget(r, today - SOURCE_DAYS_MAX);
	return 0;
}
