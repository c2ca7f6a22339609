/*
 * fitbit: the legacy Fitbit Web API source (see fitbit.h).
 *
 * Runs on the collector thread only (or alone, for --once/--backfill).
 * Guarantees: every request goes through api_call() (the loop of
 * apicall.h under this file's policy): Bearer token, no
 * Accept-Language (metric units), body capped at FITBIT_MAX_BODY, counted
 * (stats_count_request), rate headers read, one debug line by path only.
 * A response body never reaches a log or an err: only the identifiers
 * errors[0].errorType and error.status do (Fitbit echoes tokens in its
 * messages). Samples are appended all-or-nothing per answer.
 *
 * Absent versus zero: a field that is missing, null, of the wrong type or
 * negative gives no sample. Trackers without an altimeter (Charge 6) send
 * a summary without floors and elevation; their history series answer
 * "0" for every day, so once a summary showed no altimeter the floors and
 * elevation history is skipped rather than filled with made-up zeros.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cJSON.h>

#include "auth/oauth.h"
#include "civil.h"
#include "fitbit.h"
#include "source/driver.h"
#include "source/tcx.h"
#include "fitbit_parse.h"
#include "httpc.h"
#include "jitter.h"
#include "jsonv.h"
#include "log.h"
#include "quit.h"
#include "source/apicall.h"
#include "stats.h"

#define RETRIES 3		/* after the first try: waits of 1, 2, 4 s */
#define BACKOFF_BASE_MS 1000L
#define RATE_TRIES 3		/* 429s in one call before ERR_RATE */
#define RATE_WAIT_DEFAULT_S 60L
#define RATE_WAIT_MAX_S 3600L	/* the window is an hour */
#define JITTER_MS 4000L
#define OFF_STREAK 3		/* shut-down-like answers in a row */
#define URL_MAX 2048
#define SHUT_DOWN_MSG "the Fitbit Web API answers like a shut-down service " \
	"(turned off 2026-11-02); set SOURCE=google and run --authorize " \
	"(see README)"


/*
 * Kind k < FITBIT_NSERIES is fitbit_series[k]; then the heart series and the kinds of
 * fitbit_parse.h, each with its range endpoint (research/fitbit.md B.3).
 * Daily kinds first, intraday last (the backfill's order).
 */
enum {
	K_HEART = FITBIT_NSERIES, K_AZM, K_SLEEP, K_SPO2, K_HRV, K_BR, K_TEMP, K_VO2,
	K_WEIGHT, K_FAT, K_EXERCISE, K_DEVICES, K_HEART_MIN, K_STEPS_MIN, NKINDS
};

#define ACT(name) { name, "activity", FITBIT_SERIES_MAX_DAYS, KIND_IN_DAYS }
static const struct source_kind kinds[NKINDS] = {
	ACT("steps"), ACT("distance"), ACT("calories"), ACT("floors"),
	ACT("elevation"), ACT("minutesSedentary"), ACT("minutesLightlyActive"),
	ACT("minutesFairlyActive"), ACT("minutesVeryActive"),
	[K_HEART] = { "heart", "heart", FITBIT_HEART_MAX_DAYS, KIND_IN_DAYS },
	[K_AZM] = { "azm", "azm", 1095, 0 },
	[K_SLEEP] = { "sleep", "sleep", 100, KIND_WAKE },
	[K_SPO2] = { "spo2", "spo2", 30, KIND_WAKE },
	[K_HRV] = { "hrv", "hrv", 30, KIND_WAKE },
	[K_BR] = { "br", "breathing", 30, KIND_WAKE },
	[K_TEMP] = { "temp", "temperature", 30, KIND_WAKE },
	[K_VO2] = { "vo2max", "vo2max", 30, KIND_WAKE },
	[K_WEIGHT] = { "weight", "weight", 31, KIND_SLOW },
	[K_FAT] = { "fat", "weight", 30, KIND_SLOW },
	[K_EXERCISE] = { "exercise", "exercise", 365, 0 },
	[K_DEVICES] = { "devices", "devices", 1, KIND_CURRENT },
	[K_HEART_MIN] = { "heart_intraday", "intraday", 1, KIND_INTRADAY },
	[K_STEPS_MIN] = { "steps_intraday", "intraday", 1, KIND_INTRADAY },
};

/* The range path of kinds K_AZM..K_FAT: printf with from and to. */
static const char *const range_paths[NKINDS] = {
	[K_AZM] = "1/user/-/activities/active-zone-minutes/date/%s/%s.json",
	[K_SLEEP] = "1.2/user/-/sleep/date/%s/%s.json",
	[K_SPO2] = "1/user/-/spo2/date/%s/%s.json",
	[K_HRV] = "1/user/-/hrv/date/%s/%s.json",
	[K_BR] = "1/user/-/br/date/%s/%s.json",
	[K_TEMP] = "1/user/-/temp/skin/date/%s/%s.json",
	[K_VO2] = "1/user/-/cardioscore/date/%s/%s.json",
	[K_WEIGHT] = "1/user/-/body/log/weight/date/%s/%s.json",
	[K_FAT] = "1/user/-/body/log/fat/date/%s/%s.json",
};


/* Endpoints, for the once-per-endpoint warnings. */
enum { EP_PROFILE, EP_DAY, EP_ROUTE, EP_RANGE, EP_COUNT = EP_RANGE + NKINDS };

struct fitbit {
	struct source src;		/* first: a struct source * is ours */
	struct source_budget budget;
	unsigned char warned[EP_COUNT];	/* 403/404 said for this endpoint */
	int altimeter;			/* -1 unknown, 0 none, 1 present */
	int said_no_altimeter;
	int said_no_intraday;
	int said_shut_down;
	int off_streak;			/* shut-down-like answers in a row */
};

/* One request: its endpoint (messages, warnings) and URL. */
struct call {
	int ep;
	const char *what;		/* "profile", "day", "steps", "heart" */
	char url[URL_MAX];
};

/* 1 when out[base..] holds floors or elevation: the tracker has an
 * altimeter. */
static int
has_altimeter(const struct samples *out, size_t base)
{
	size_t i;

	for (i = base; i < out->len; i++)
		if (strcmp(out->v[i].metric, "fitbit_floors_total") == 0 ||
		    strcmp(out->v[i].metric, "fitbit_elevation_meters") == 0)
			return 1;
	return 0;
}

/* ---- requests ---- */

/* The hooks' view of one call. */
struct ctx {
	struct fitbit *fb;
	const struct call *c;
};

/* Every answer may carry the budget (header names in any case); r NULL:
 * none came. The remaining budget, -1 when unknown. */
static int
read_budget(void *ctx, const struct httpc_resp *r)
{
	struct fitbit *fb = ((struct ctx *)ctx)->fb;
	long rem, lim, reset;

	if (r != NULL) {
		rem = apicall_header_num(r, "Fitbit-Rate-Limit-Remaining");
		lim = apicall_header_num(r, "Fitbit-Rate-Limit-Limit");
		reset = apicall_header_num(r, "Fitbit-Rate-Limit-Reset");
		if (rem >= 0) {
			fb->budget.known = 1;
			fb->budget.remaining = rem > INT_MAX ? INT_MAX :
			    (int)rem;
			atomic_store(&fb->src.stats->rate_limit_remaining,
			    (int64_t)rem);
		}
		if (lim >= 0)
			fb->budget.limit = lim > INT_MAX ? INT_MAX : (int)lim;
		if (reset >= 0)
			fb->budget.reset_at = time(NULL) +
			    (reset > RATE_WAIT_MAX_S ? RATE_WAIT_MAX_S : reset);
	}
	return fb->budget.known ? fb->budget.remaining : -1;
}

/* The n-th 429 of a call: sleep until the window resets, plus jitter;
 * ERR_RATE after RATE_TRIES. */
static int
wait_rate(void *ctx, const struct httpc_resp *r, int n, struct err *err)
{
	struct fitbit *fb = ((struct ctx *)ctx)->fb;
	const struct call *c = ((struct ctx *)ctx)->c;
	const char *from = "Fitbit-Rate-Limit-Reset";
	long s = apicall_header_num(r, from), ms;

	if (n > RATE_TRIES)
		return err_kind(err, ERR_RATE, "Fitbit Web API answered 429 "
		    "for '%s' %d times", c->what, n);
	if (s < 0 && (s = apicall_header_num(r, from = "Retry-After")) < 0) {
		s = RATE_WAIT_DEFAULT_S;
		from = "default";
	}
	if (s > RATE_WAIT_MAX_S)
		s = RATE_WAIT_MAX_S;
	ms = s * 1000 + 1000 + jitter_below(JITTER_MS);
	fb->budget.known = 1;
	fb->budget.remaining = 0;
	fb->budget.reset_at = time(NULL) + s;
	atomic_store(&fb->src.stats->rate_limit_remaining, 0);
	log_warn("Fitbit rate limit reached, waiting for the reset",
	    "endpoint=%s wait_s=%ld from=%s", c->what, (ms + 999) / 1000, from);
	if (quit_sleep(ms))
		return err_kind(err, ERR_STOP, "stopping");
	return 0;
}

/* 401 that a new access token may cure. */
static int
refreshable(void *ctx, const struct httpc_resp *r)
{
	struct fitbit_error fe;
	struct err e = { 0 };

	(void)ctx;
	if (fitbit_parse_error(r->body, r->len, &fe, &e) == -1)
		return 1;	/* no readable reason: the token is the suspect */
	if (fe.google)
		return 0;
	return fe.type[0] == '\0' || strcmp(fe.type, "expired_token") == 0 ||
	    strcmp(fe.type, "invalid_token") == 0;
}

static int
retryable(void *ctx, const struct httpc_resp *r)
{
	(void)ctx;
	return r->status >= 500;
}

static void
say_shut_down(struct fitbit *fb, const struct call *c, long status,
    const struct fitbit_error *fe)
{
	if (fb->said_shut_down)
		return;
	fb->said_shut_down = 1;
	log_error(SHUT_DOWN_MSG, "endpoint=%s status=%ld error_status=%s",
	    c->what, status, fe->status[0] != '\0' ? fe->status : "-");
}

/*
 * A final error answer -> err, plus the user's line where one is due: a
 * refused endpoint once (until it answers again), a shut-down API once.
 * A 5xx is final only after RETRIES more tries.
 */
static int
api_error(void *ctx, const struct httpc_resp *r, int tries, struct err *err)
{
	struct fitbit *fb = ((struct ctx *)ctx)->fb;
	const struct call *c = ((struct ctx *)ctx)->c;
	struct fitbit_error fe;
	struct err perr = { 0 };
	const char *id;
	long st = r->status;

	if (st >= 500)
		return err_kind(err, ERR_TRANSIENT, "Fitbit Web API answered "
		    "%ld for '%s' %d times", st, c->what, tries);
	fitbit_parse_error(r->body, r->len, &fe, &perr);	/* zeroed on -1 */
	id = fe.google ? fe.status : fe.type;
	if (c->ep == EP_ROUTE && (st == 403 || st == 404))
		/* one session's route: route.c says what it means */
		return err_http(err, ERR_HTTP, (int)st, "Fitbit Web API "
		    "answered %ld for a route", st);
	if (fe.google || st == 404 || st == 410)
		fb->off_streak++;
	else
		fb->off_streak = 0;
	if (fe.google || fb->off_streak >= OFF_STREAK)
		say_shut_down(fb, c, st, &fe);
	else if ((st == 403 || st == 404 || st == 410) && !fb->warned[c->ep]) {
		fb->warned[c->ep] = 1;
		log_warn(st == 403 ? "the Fitbit Web API refused an endpoint, "
		    "its metrics are skipped (scope not granted at "
		    "--authorize?)" : "the Fitbit Web API does not know an "
		    "endpoint, its metrics are skipped",
		    "endpoint=%s status=%ld error_type=%s", c->what, st,
		    id[0] != '\0' ? id : "-");
	}
	return err_http(err, ERR_HTTP, (int)st, "Fitbit Web API answered %ld%s%s for "
	    "'%s'", st, id[0] != '\0' ? " " : "", id, c->what);
}

/*
 * 429: wait for the reset and try again (RATE_TRIES times). 401 with an
 * expired or invalid token: one refresh, one more try. 5xx or no answer:
 * RETRIES more tries after 1, 2, 4 s. Anything else ends the call.
 */
static const struct apicall_policy policy = {
	.log = { "fitbit api", "fitbit api retry", "endpoint" },
	.retries = RETRIES,
	.backoff = { APICALL_EXP_PLUS_JITTER, BACKOFF_BASE_MS, 0, 250, 0 },
	.budget = read_budget,
	.refreshable = refreshable,
	.rate_wait = wait_rate,
	.retryable = retryable,
	.fail = api_error,
};

/* Perform c: 0 with a 2xx in r, or -1 with err. */
static int
api_call(struct fitbit *fb, const struct call *c, struct httpc_resp *r,
    struct err *err)
{
	struct ctx x = { fb, c };
	struct apicall a = { &policy, &fb->src, &x };
	struct httpc_req req = { 0 };

	req.method = "GET";
	req.url = c->url;
	req.max_body = c->ep == EP_ROUTE ? TCX_MAX_BYTES : FITBIT_MAX_BODY;
	if (apicall_perform(&a, &req, c->what, r, err) == -1)
		return -1;
	fb->warned[c->ep] = 0;
	fb->off_streak = 0;
	return 0;
}

/* snprintf's n -> 0, or -1 when c->url did not hold the URL. */
static int
url_done(const struct call *c, int n, struct err *err)
{
	if (n < 0 || (size_t)n >= sizeof(c->url))
		return err_set(err, "URL for '%s' is too long", c->what);
	return 0;
}

/* ---- source ops ---- */

static int
f_profile(struct source *s, struct profile *p, struct err *err)
{
	struct fitbit *fb = (struct fitbit *)s;
	struct call c = { EP_PROFILE, "profile", "" };
	struct httpc_resp r;
	int rc = -1;

	httpc_resp_init(&r);
	if (url_done(&c, snprintf(c.url, sizeof(c.url),
	    "%s/1/user/-/profile.json", fb->src.api_url), err) == 0 &&
	    api_call(fb, &c, &r, err) == 0 &&
	    fitbit_parse_profile(r.body, r.len, p, err) == 0)
		rc = 0;
	httpc_resp_release(&r);
	return rc;
}

/* One request: the daily summary holds every daily metric. */
static int
f_day(struct source *s, const struct profile *p, int32_t day,
    struct samples *out, struct err *err)
{
	struct fitbit *fb = (struct fitbit *)s;
	struct call c = { EP_DAY, "day", "" };
	struct httpc_resp r;
	char date[CIVIL_DATE_LEN];
	size_t base = out->len;
	int rc = -1;

	(void)p;
	httpc_resp_init(&r);
	civil_format(day, date);
	if (url_done(&c, snprintf(c.url, sizeof(c.url),
	    "%s/1/user/-/activities/date/%s.json", fb->src.api_url, date),
	    err) == 0 && api_call(fb, &c, &r, err) == 0 &&
	    fitbit_parse_day(r.body, r.len, day, out, err) == 0) {
		fb->altimeter = has_altimeter(out, base);
		rc = 0;
	}
	httpc_resp_release(&r);
	return rc;
}

/* The daily summary is the cheapest way to a whole day: one per day. */
static int
f_days(struct source *s, const struct profile *p, int32_t from, int32_t to,
    struct samples *out, struct err *err)
{
	int32_t day;

	if (to - from >= SOURCE_DAYS_MAX)
		return err_set(err, "too many days in one call");
	for (day = from; day <= to; day++)
		if (f_day(s, p, day, out, err) == -1)
			return -1;
	return 0;
}

static int range_read(struct source *, const struct profile *, size_t,
    int32_t, int32_t, struct samples *, struct err *);

/* Kind k over [from, to], tagged with the kind's COLLECT group. */
static int
f_range(struct source *s, const struct profile *p, size_t k, int32_t from,
    int32_t to, struct samples *out, struct err *err)
{
	size_t base = out->len;
	int rc = range_read(s, p, k, from, to, out, err);

	if (k < NKINDS)
		samples_tag(out, base, kinds[k].group);
	return rc;
}

/* Floors and elevation of a tracker known to have no altimeter. */
static int
no_altimeter(struct fitbit *fb, size_t k)
{
	if (fb->altimeter != 0 || (strcmp(fitbit_series[k].resource, "floors") != 0 &&
	    strcmp(fitbit_series[k].resource, "elevation") != 0))
		return 0;
	if (!fb->said_no_altimeter)
		log_info("the tracker has no altimeter: floors and elevation "
		    "history skipped", NULL);
	fb->said_no_altimeter = 1;
	return 1;
}

/* One GET of c->url, its answer in r. */
static int
fetch(struct fitbit *fb, struct call *c, int n, struct httpc_resp *r,
    struct err *err)
{
	httpc_resp_init(r);
	if (url_done(c, n, err) == -1)
		return -1;
	return api_call(fb, c, r, err);
}

/* Intraday needs a "Personal" app (or Fitbit's approval): said once. */
static int
no_intraday(struct fitbit *fb, struct err *err)
{
	if (!fb->said_no_intraday)
		log_warn("the Fitbit Web API sends no intraday data to this "
		    "app (register it as a \"Personal\" app): intraday heart "
		    "rate and steps are off", NULL);
	fb->said_no_intraday = 1;
	return err_http(err, ERR_HTTP, 403, "no intraday access");
}

/* Intraday heart rate or steps of one UTC day, minute by minute. */
static int
range_intraday(struct fitbit *fb, struct call *c, size_t k, int32_t day,
    struct samples *out, struct err *err)
{
	const char *res = k == K_HEART_MIN ? "heart" : "steps";
	struct httpc_resp r;
	char d[CIVIL_DATE_LEN];
	int rc;

	civil_format(day, d);
	rc = fetch(fb, c, snprintf(c->url, sizeof(c->url), "%s/1/user/-/"
	    "activities/%s/date/%s/1d/1min.json?timezone=UTC", fb->src.api_url,
	    res, d), &r, err);
	if (rc == 0)
		rc = fitbit_parse_intraday(r.body, r.len, res, day, out, err);
	httpc_resp_release(&r);
	if (rc == FITBIT_NO_INTRADAY || (rc == -1 && err->status == 403))
		return err_clear(err), no_intraday(fb, err);
	return rc;
}

/* fitbit_exercise_range()'s GET: c->url = path after the API base. */
struct get_ctx {
	struct fitbit *fb;
	struct call *c;
};

static int
get_path(void *ctx, const char *path, int route, struct httpc_resp *r,
    struct err *err)
{
	struct get_ctx *x = ctx;
	struct call c = *x->c;

	c.ep = route ? EP_ROUTE : c.ep;
	c.what = route ? "exercise route" : c.what;
	return fetch(x->fb, &c, snprintf(c.url, sizeof(c.url), "%s/%s",
	    x->fb->src.api_url, path), r, err);
}

/* The answer of kind k (K_AZM..K_FAT) over [from, to] -> samples. */
static int
parse_kind(size_t k, const struct httpc_resp *r, int32_t from, int32_t to,
    const char *zone, struct samples *out, struct err *err)
{
	switch (k) {
	case K_AZM: return fitbit_parse_azm(r->body, r->len, from, to, out, err);
	case K_SLEEP: return fitbit_parse_sleep(r->body, r->len, from, to,
	    zone, out, err);
	case K_SPO2: return fitbit_parse_spo2(r->body, r->len, from, to, out, err);
	case K_HRV: return fitbit_parse_hrv(r->body, r->len, from, to, out, err);
	case K_BR: return fitbit_parse_br(r->body, r->len, from, to, out, err);
	case K_TEMP: return fitbit_parse_skin_temp(r->body, r->len, from, to,
	    out, err);
	case K_VO2: return fitbit_parse_vo2max(r->body, r->len, from, to, out,
	    err);
	case K_WEIGHT: return fitbit_parse_weight(r->body, r->len, from, to,
	    out, err);
	case K_FAT: return fitbit_parse_fat(r->body, r->len, from, to, out, err);
	default: return err_set(err, "no parser for kind %zu", k);
	}
}

static int
range_read(struct source *s, const struct profile *p, size_t k,
    int32_t from, int32_t to, struct samples *out, struct err *err)
{
	struct fitbit *fb = (struct fitbit *)s;
	struct call c;
	struct httpc_resp r;
	char a[CIVIL_DATE_LEN], b[CIVIL_DATE_LEN], path[128];
	size_t base = out->len;
	int rc = -1, n;

	if (k >= NKINDS)
		return err_set(err, "no history kind %zu", k);
	if (from > to || (int64_t)to - from >= kinds[k].max_days)
		return err_set(err, "'%s': a range of %lld days (1 to %d)",
		    kinds[k].name, (long long)to - from + 1, kinds[k].max_days);
	if (k < FITBIT_NSERIES && no_altimeter(fb, k))
		return 0;
	c.ep = EP_RANGE + (int)k;
	c.what = kinds[k].name;
	if (k == K_HEART_MIN || k == K_STEPS_MIN)
		return fb->said_no_intraday ? no_intraday(fb, err) :
		    range_intraday(fb, &c, k, from, out, err);
	if (k == K_EXERCISE)
		return fitbit_exercise_range(get_path, &(struct get_ctx){ fb, &c },
		    fb->src.routes, p, from, to, out, err);
	civil_format(from, a);
	civil_format(to, b);
	if (k == K_DEVICES)
		n = snprintf(c.url, sizeof(c.url), "%s/1/user/-/devices.json",
		    fb->src.api_url);
	else if (k <= K_HEART)
		n = snprintf(c.url, sizeof(c.url), "%s/1/user/-/activities/%s/"
		    "date/%s/%s.json", fb->src.api_url, k < FITBIT_NSERIES ?
		    fitbit_series[k].resource : "heart", a, b);
	else {
		snprintf(path, sizeof(path), range_paths[k], a, b);
		n = snprintf(c.url, sizeof(c.url), "%s/%s", fb->src.api_url, path);
	}
	if (fetch(fb, &c, n, &r, err) == 0) {
		if (k < FITBIT_NSERIES)
			rc = fitbit_parse_series(r.body, r.len,
			    fitbit_series[k].resource, from, to, out, err);
		else if (k == K_HEART)
			rc = fitbit_parse_heart(r.body, r.len, from, to, out,
			    err);
		else if (k == K_DEVICES)
			rc = fitbit_parse_devices(r.body, r.len, to, p->zone,
			    out, err);
		else
			rc = parse_kind(k, &r, from, to, p->zone, out, err);
		if (rc == 0 && k == K_DEVICES)
			source_note_sync(s, out, base);
	}
	httpc_resp_release(&r);
	return rc;
}

static void
f_budget(struct source *s, struct source_budget *b)
{
	*b = ((struct fitbit *)s)->budget;
}

static void
f_free(struct source *s)
{
	struct fitbit *fb = (struct fitbit *)s;

	if (fb == NULL)
		return;
	source_release(&fb->src);
	free(fb);
}

static const struct source_ops fitbit_ops = {
	.name = "fitbit",
	.profile = f_profile,
	.days = f_days,
	.kinds = source_kinds,
	.range = f_range,
	.budget = f_budget,
	.last_sync = source_last_sync,
	.requests = source_requests,
	.free = f_free,
};

struct source *
fitbit_new(const struct source_settings *cfg)
{
	struct fitbit *fb;

	if ((fb = calloc(1, sizeof(*fb))) == NULL)
		return NULL;
	if (source_init(&fb->src, &fitbit_ops, kinds, NKINDS, cfg) == -1) {
		free(fb);
		return NULL;
	}
	fb->altimeter = -1;
	return &fb->src;
}
