/*
 * google: the Google Health API v4 source (see google.h).
 *
 * Runs on the collector thread only (or alone, for --once/--backfill).
 * Guarantees: every request goes through apicall (apicall.h) under this
 * file's policy: paced (token bucket), counted (stats_count_request) and
 * logged at debug level without its query or body; a 4xx or a malformed answer costs only the metric it concerns;
 * samples are appended all-or-nothing per data type; an error body's
 * free text never reaches a log or an err, only its status and reason.
 * The answers are read by google_daily.c and google_parse.c, the error
 * answers by google_explain.c.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "civil.h"
#include "google.h"
#include "source/driver.h"
#include "google_kinds.h"
#include "google_activity.h"
#include "google_exercise.h"
#include "google_explain.h"
#include "google_parse.h"
#include "google_request.h"
#include "google_rollup.h"
#include "httpc.h"
#include "jsonv.h"
#include "log.h"
#include "monotime.h"
#include "quit.h"
#include "source/apicall.h"
#include "source/route.h"
#include "source/tcx.h"

#define RETRIES 5			/* tries after the first one */
#define BACKOFF_BASE_MS 1000L
#define BACKOFF_CAP_MS 60000L
#define RETRY_AFTER_MAX_S 300L
#define TOKEN_MAX 2048			/* a nextPageToken */
#define URL_MAX 2048			/* api_url is < 1024 (config) */

/* google_rollups[] that days() reads (the rest are range()-only kinds) */
#define NDAYS_ROLLUPS (GOOGLE_NROLLUPS - 1)

struct google {
	struct source src;		/* first: a struct source * is ours */
	double per_ms;			/* pacing: tokens per millisecond */
	double tokens;
	int64_t last_ms;
	int not_linked;
	enum google_problem problem;	/* of the last failed answer */
	struct google_memo memo;	/* lines said, refusals */
};

/* One API request: what it is for (messages), its scope, its method,
 * the operation (list, dailyRollUp, ...). narrow: a 5xx is answered at
 * once, the caller retries narrower. */
struct call {
	const char *what;
	const char *scope;
	const char *method;
	const char *url;
	const char *body;
	const char *op;
	int narrow;
	const char *accept;		/* NULL: application/json */
	size_t max_body;		/* 0: httpc's default */
};

/* ---- pacing, retries, errors ---- */

/* The hooks' view of one call. */
struct ctx {
	struct google *g;
	const struct call *c;
};

/* The tokens earned since the last look. */
static void
refill(struct google *g)
{
	int64_t now = monotime_ms();

	g->tokens += (double)(now - g->last_ms) * g->per_ms;
	if (g->tokens > GOOGLE_BURST)
		g->tokens = GOOGLE_BURST;
	g->last_ms = now;
}

/* Take one token from the bucket, sleeping until there is one. */
static int
pace(void *ctx, struct err *err)
{
	struct google *g = ((struct ctx *)ctx)->g;

	for (;;) {
		refill(g);
		if (g->tokens >= 1)
			break;
		if (quit_sleep((long)ceil((1 - g->tokens) / g->per_ms)))
			return err_kind(err, ERR_STOP, "stopping");
	}
	g->tokens -= 1;
	return google_quota_wait(err);	/* the project's share, all accounts */
}

/* A final error answer -> err (and the user's line, once). */
static int
api_error(void *ctx, const struct httpc_resp *r, int tries, struct err *err)
{
	struct google *g = ((struct ctx *)ctx)->g;
	const struct call *c = ((struct ctx *)ctx)->c;

	(void)tries;
	if (c->max_body == TCX_MAX_BYTES && (r->status == 403 ||
	    r->status == 404))
		/* one session's route is gone, or the grant lacks the
		 * location scope: route.c says which, once */
		return err_http(err, ERR_HTTP, (int)r->status, "Google Health "
		    "answered %ld for a route", r->status);
	google_answer_error(&g->memo, c->what, c->op, c->scope, r->status,
	    r->body, r->len, &g->problem, err);
	if (g->problem == GOOGLE_NOT_LINKED)
		g->not_linked = 1;
	return -1;
}

/* 429 and the 5xx worth another try; a narrow call's 5xx is answered at
 * once (its caller retries narrower). */
static int
retryable(void *ctx, const struct httpc_resp *r)
{
	long s = r->status;

	if (((struct ctx *)ctx)->c->narrow && s >= 500)
		return 0;
	return s == 429 || s == 500 || s == 502 || s == 503 || s == 504;
}

/*
 * 401: one refresh and one more try. 429/5xx/no answer: up to RETRIES
 * more tries, waiting Retry-After or a full-jitter backoff: uniform in
 * [100 ms, 100 ms + min(cap, base * 2^attempt)).
 */
static const struct apicall_policy policy = {
	.log = { "google api", "google api retry", "what" },
	.retries = RETRIES,
	.backoff = { APICALL_FULL_JITTER, BACKOFF_BASE_MS, BACKOFF_CAP_MS, 0,
	    100 },
	.retry_after_max_s = RETRY_AFTER_MAX_S,
	.pace = pace,
	.retryable = retryable,
	.fail = api_error,
};

/* Perform c unless it was refused before: 0 with a 2xx in r, or -1 with
 * err. */
static int
api_call(struct google *g, const struct call *c, struct httpc_resp *r,
    struct err *err)
{
	char accept[128];
	const char *hdrs[] = { accept, NULL };
	struct ctx x = { g, c };
	struct apicall a = { &policy, &g->src, &x };
	struct httpc_req req = { 0 };

	snprintf(accept, sizeof(accept), "Accept: %s", c->accept != NULL ?
	    c->accept : "application/json");

	g->problem = GOOGLE_OTHER;
	if (google_refused(&g->memo, c->what, c->op, err))
		return -1;
	req.method = c->method;
	req.url = c->url;
	req.headers = hdrs;
	req.max_body = c->max_body;
	if (c->body != NULL) {
		req.content_type = "application/json";
		req.body = c->body;
		req.body_len = strlen(c->body);
	}
	if (apicall_perform(&a, &req, c->what, r, err) == -1)
		return -1;
	g->not_linked = 0;
	return 0;
}

/* ---- fetching ---- */

static int
fetch_rollup(struct google *g, const struct google_rollup *rt, int32_t from,
    int32_t to, struct samples *out, struct err *err)
{
	struct httpc_resp r;
	struct call c = { rt->type, rt->scope, "POST", NULL, NULL,
	    "dailyRollUp", 0, NULL, 0 };
	char *body = NULL, url[URL_MAX];
	size_t base = out->len;
	int32_t a, b;
	int rc = -1;

	httpc_resp_init(&r);
	/* the ':' of ':dailyRollUp' stays literal */
	snprintf(url, sizeof(url), "%s/v4/users/me/dataTypes/%s/dataPoints"
	    ":dailyRollUp", g->src.api_url, rt->type);
	c.url = url;
	for (a = from; a <= to; a = b + 1) {
		b = a + rt->max_days - 1 < to ? a + rt->max_days - 1 : to;
		free(body);
		if ((c.body = body = google_rollup_body(a, b + 1)) == NULL) {
			err_set(err, "out of memory");
			goto out;
		}
		if (api_call(g, &c, &r, err) == -1)
			goto out;
		if (google_parse_rollup(rt->type, r.body, r.len, a, b, out,
		    err) == -1) {
			google_bad_answer(&g->memo, rt->type, err);
			goto out;
		}
	}
	rc = 0;
out:
	if (rc == -1)
		out->len = base;
	free(body);
	httpc_resp_release(&r);
	return rc;
}

/* Page p of kind k: the call (URL, body) for page token `next`. */
static int
page_call(struct google *g, size_t k, int32_t from, int32_t to,
    const char *next, struct call *c, char **url, char **body)
{
	char buf[URL_MAX];

	*url = *body = NULL;
	if (k == K_HEART_MIN || k == K_STEPS_MIN) {
		snprintf(buf, sizeof(buf), "%s/v4/users/me/dataTypes/%s/"
		    "dataPoints:rollUp", g->src.api_url, k == K_HEART_MIN ?
		    "heart-rate" : "steps");
		c->method = "POST";
		c->op = "rollUp";
		c->scope = k == K_HEART_MIN ? SCOPE_METRICS : SCOPE_ACTIVITY;
		*url = strdup(buf);
		*body = google_minutes_body(from, to, GOOGLE_PAGE_SIZE, next);
		return *url != NULL && *body != NULL ? 0 : -1;
	}
	c->method = "GET";
	c->op = "list";
	if (k == K_DEVICES) {
		c->scope = SCOPE_SETTINGS;
		*url = google_devices_url(g->src.api_url, next);
	} else if (k == K_RHR) {
		c->scope = SCOPE_METRICS;
		*url = google_rhr_url(g->src.api_url, from, to, next);
	} else {
		c->scope = google_lists[k].scope;
		/* an interval that began the evening before counts for from */
		*url = google_list_url(g->src.api_url, google_kinds[k].name,
		    google_lists[k].member, google_lists[k].page_size, from - (k == K_LEVELS),
		    to, next);
	}
	return *url != NULL ? 0 : -1;
}

/* What the pages of a kind that is summed over all of them gather. */
struct gather {
	struct google_levels lv;	/* K_LEVELS */
	struct exercise_list ex;	/* K_EXERCISE */
};

static int
parse_page(size_t k, const struct httpc_resp *r, int32_t from, int32_t to,
    struct samples *out, struct gather *ga, char *next, struct err *err)
{
	if (k == K_LEVELS)
		return google_parse_levels(r->body, r->len, &ga->lv, next,
		    TOKEN_MAX, err);
	if (k == K_EXERCISE)
		return google_parse_exercise(r->body, r->len, from, to, &ga->ex,
		    next, TOKEN_MAX, err);
	if (k == K_HEART_MIN || k == K_STEPS_MIN)
		return google_parse_minutes(k == K_HEART_MIN ? "heart-rate" :
		    "steps", r->body, r->len, out, next, TOKEN_MAX, err);
	if (k == K_DEVICES)
		return google_parse_devices(r->body, r->len, to, out, next,
		    TOKEN_MAX, err);
	if (k == K_SLEEP)
		return google_parse_sleep(r->body, r->len, from, to, out, next,
		    TOKEN_MAX, err);
	if (strcmp(google_kinds[k].name, RHR_TYPE) == 0)
		return google_parse_rhr(r->body, r->len, from, to, out, next,
		    TOKEN_MAX, err);
	return google_parse_list(google_kinds[k].name, r->body, r->len, from, to,
	    out, next, TOKEN_MAX, err);
}

/* route_add()'s GET: session e's TCX. */
static int
get_tcx(void *ctx, const struct exercise *e, struct httpc_resp *r,
    struct err *err)
{
	struct google *g = ctx;
	struct call c = { "exercise", SCOPE_ACTIVITY, "GET", NULL, NULL,
	    "exportExerciseTcx", 0, "application/vnd.garmin.tcx+xml, "
	    "application/xml;q=0.9", TCX_MAX_BYTES };
	char *url = google_tcx_url(g->src.api_url, e->id);
	int rc;

	if (url == NULL)
		return err_set(err, "exercise route: no id or out of memory");
	c.url = url;
	rc = api_call(g, &c, r, err);
	free(url);
	return rc;
}

/* Every page of kind k over [from, to], whatever order they come in. */
static int
fetch_pages(struct google *g, const struct profile *p, size_t k,
    int32_t from, int32_t to, struct samples *out, struct err *err)
{
	struct httpc_resp r;
	struct call c = { google_kinds[k].name, NULL, "GET", NULL, NULL, "list",
	    k == K_SLEEP && from < to, NULL, 0 };
	struct gather ga = { 0 };
	char *next, *prev, *url = NULL, *body = NULL;
	size_t base = out->len;
	int page, rc = -1;

	httpc_resp_init(&r);
	next = calloc(1, TOKEN_MAX);
	prev = calloc(1, TOKEN_MAX);
	if (next == NULL || prev == NULL) {
		err_set(err, "out of memory");
		goto out;
	}
	if (k == K_LEVELS &&
	    google_levels_init(&ga.lv, p->zone, from, to, err) == -1)
		goto out;
	for (page = 0; page == 0 || next[0] != '\0'; page++) {
		if (page >= GOOGLE_MAX_PAGES) {
			err_set(err, "'%s': more than %d pages", c.what,
			    GOOGLE_MAX_PAGES);
			goto out;
		}
		free(url);
		free(body);
		if (page_call(g, k, from, to, next, &c, &url, &body) == -1) {
			err_set(err, "out of memory");
			goto out;
		}
		c.url = url;
		c.body = body;
		memcpy(prev, next, TOKEN_MAX);
		if (api_call(g, &c, &r, err) == -1)
			goto out;
		if (parse_page(k, &r, from, to, out, &ga, next, err) == -1) {
			google_bad_answer(&g->memo, c.what, err);
			goto out;
		}
		if (next[0] != '\0' && strcmp(next, prev) == 0) {
			err_set(err, "'%s': the same page token twice", c.what);
			goto out;
		}
	}
	rc = k == K_LEVELS ? google_levels_samples(&ga.lv, out, err) :
	    k == K_EXERCISE ? exercise_samples(&ga.ex, out, err) : 0;
	if (rc == 0 && k == K_EXERCISE)
		rc = route_add(g->src.routes, p, time(NULL), &ga.ex, get_tcx, g,
		    out, err);
out:
	if (rc == -1)
		out->len = base;
	else if (k == K_DEVICES)
		source_note_sync(&g->src, out, base);
	google_levels_release(&ga.lv);
	exercise_list_release(&ga.ex);
	free(url);
	free(body);
	free(next);
	free(prev);
	httpc_resp_release(&r);
	return rc;
}

/*
 * Sleep over [from, to]: a range answered with a 5xx (reported on wide
 * ranges) is read again as two halves, down to single days.
 */
static int
fetch_sleep(struct google *g, const struct profile *p, int32_t from,
    int32_t to, struct samples *out, struct err *err)
{
	size_t base = out->len;
	int32_t mid = from + (to - from) / 2;

	err_clear(err);
	if (fetch_pages(g, p, K_SLEEP, from, to, out, err) == 0 ||
	    from == to || err->status < 500 || err->status > 599)
		return err->set ? -1 : 0;
	log_debug("google api narrower", "what=sleep days=%d", to - from + 1);
	if (fetch_sleep(g, p, from, mid, out, err) == -1 ||
	    fetch_sleep(g, p, mid + 1, to, out, err) == -1) {
		out->len = base;
		return -1;
	}
	return 0;
}

/* ---- source ops ---- */


static int
g_profile(struct source *s, struct profile *p, struct err *err)
{
	struct google *g = (struct google *)s;
	struct httpc_resp r;
	struct call c = { "settings", "settings.readonly", "GET", NULL, NULL,
	    "get", 0, NULL, 0 };
	char url[URL_MAX];
	struct err e = { 0 };
	int rc = -1;

	httpc_resp_init(&r);
	snprintf(url, sizeof(url), "%s/v4/users/me/settings", g->src.api_url);
	c.url = url;
	if (api_call(g, &c, &r, err) == -1 ||
	    google_parse_settings(r.body, r.len, p, err) == -1)
		goto out;
	p->member_since = -1;
	snprintf(url, sizeof(url), "%s/v4/users/me/profile", g->src.api_url);
	c.what = "profile";
	c.scope = "profile.readonly";
	if (api_call(g, &c, &r, &e) == -1 && google_ends_call(g->problem, &e)) {
		err_copy(err, &e);
		goto out;
	}
	/* Without a start date, history starts at BACKFILL_START. */
	if (!e.set && google_parse_profile(r.body, r.len, p, &e) == -1)
		google_bad_answer(&g->memo, "profile", &e);
	rc = 0;
out:
	httpc_resp_release(&r);
	return rc;
}

/*
 * Each data type over [from, to + 1): one request per type for the whole
 * window. A type that fails is skipped; the call fails when none
 * answered, or at once when the whole API did.
 */
static int
g_days(struct source *s, const struct profile *p, int32_t from, int32_t to,
    struct samples *out, struct err *err)
{
	struct google *g = (struct google *)s;
	struct err e, first = { 0 };
	size_t i, k, base, ok = 0;
	int rc;

	if (to - from >= SOURCE_DAYS_MAX)
		return err_set(err, "too many days in one call");
	for (i = 0; i < NDAYS_ROLLUPS + 2; i++) {
		err_clear(&e);
		base = out->len;
		k = i < NDAYS_ROLLUPS ? google_kind_of(google_rollups[i].type) :
		    i == NDAYS_ROLLUPS ? K_RHR : K_LEVELS;
		rc = i < NDAYS_ROLLUPS ? fetch_rollup(g, &google_rollups[i], from,
		    to, out, &e) : fetch_pages(g, p, k, from, to, out, &e);
		if (rc == 0) {
			samples_tag(out, base, google_kinds[k].group);
			ok++;
			continue;
		}
		if (google_ends_call(g->problem, &e))
			return err_copy(err, &e);
		if (!first.set)
			first = e;
	}
	if (ok == 0)
		return err_copy(err, &first);
	return 0;
}

static int
g_range(struct source *s, const struct profile *p, size_t k, int32_t from,
    int32_t to, struct samples *out, struct err *err)
{
	struct google *g = (struct google *)s;
	const struct google_rollup *rt;
	size_t base = out->len;
	int rc;

	if (k >= NKINDS)
		return err_set(err, "no history kind %zu", k);
	if (from > to)
		return 0;
	if ((rt = google_rollup_find(google_kinds[k].name)) != NULL)
		rc = fetch_rollup(g, rt, from, to, out, err);
	else if (k == K_SLEEP)
		rc = fetch_sleep(g, p, from, to, out, err);
	else
		rc = fetch_pages(g, p, k, from, to, out, err);
	samples_tag(out, base, google_kinds[k].group);
	return rc;
}

/* Google publishes no budget: the pacing happens in pace(). */
static void
g_budget(struct source *s, struct source_budget *b)
{
	struct google *g = (struct google *)s;

	memset(b, 0, sizeof(*b));
	refill(g);
	b->known = 0;
	b->limit = (int)(g->per_ms * 60000 + 0.5);
	b->remaining = (int)g->tokens;
	b->paced = g->tokens < 1;
}

static void
g_free(struct source *s)
{
	struct google *g = (struct google *)s;

	if (g == NULL)
		return;
	google_memo_release(&g->memo);
	source_release(&g->src);
	explicit_bzero(g, sizeof(*g));
	free(g);
}

static const struct source_ops google_ops = {
	.name = "google",
	.profile = g_profile,
	.days = g_days,
	.kinds = source_kinds,
	.range = g_range,
	.budget = g_budget,
	.last_sync = source_last_sync,
	.requests = source_requests,
	.free = g_free,
};

struct source *
google_new(const struct source_settings *cfg)
{
	struct google *g;

	if (cfg->api_url != NULL && strlen(cfg->api_url) > URL_MAX - 256)
		return NULL;	/* config.c caps it far below */
	if ((g = calloc(1, sizeof(*g))) == NULL)
		return NULL;
	if (source_init(&g->src, &google_ops, google_kinds, NKINDS, cfg) == -1) {
		free(g);
		return NULL;
	}
	g->per_ms = GOOGLE_RPM / 60000.0;
	g->tokens = GOOGLE_BURST;
	g->last_ms = monotime_ms();
	return &g->src;
}

int
google_not_linked(struct source *s)
{
	return s != NULL && s->ops == &google_ops &&
	    ((struct google *)s)->not_linked;
}
