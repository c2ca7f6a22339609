/*
 * google: the Google Health API v4 source (see google.h).
 *
 * Runs on the collector thread only (or alone, for --once/--backfill).
 * Guarantees: every request is paced (token bucket), counted
 * (stats_count_request) and logged at debug level without its query or
 * body; a 4xx or a malformed answer costs only the metric it concerns;
 * samples are appended all-or-nothing per data type; an error body's
 * free text never reaches a log or an err, only its status and reason.
 * The answers are read by google_daily.c and google_parse.c.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cJSON.h>

#include "civil.h"
#include "google.h"
#include "google_parse.h"
#include "google_rollup.h"
#include "jsonv.h"
#include "httpc.h"
#include "log.h"
#include "oauth.h"
#include "quit.h"
#include "stats.h"

#define RETRIES 5			/* tries after the first one */
#define BACKOFF_BASE_MS 1000L
#define BACKOFF_CAP_MS 60000L
#define RETRY_AFTER_MAX_S 300L
#define ONCE_MAX 64
#define TOKEN_MAX 2048			/* a nextPageToken */
#define URL_MAX 2048			/* api_url is < 1024 (config) */

/* google_rollups[] that days() reads (the rest are range()-only kinds) */
#define NDAYS_ROLLUPS (GOOGLE_NROLLUPS - 1)

/*
 * Data kinds: days() reads the first NDAYS_KINDS (daily activity and heart
 * rate: cheap and popular first, the 14-day types last); range() reads
 * all. The lists of google_parse_list() page through [from, to] with a
 * filter; the minute kinds are rollUp pages over UTC days.
 */
#define MINUTE_DAYS 6		/* 8640 one-minute windows: one page */
#define LIST_DAYS 3650
enum {
	K_RHR = 4, K_AZM = 9, K_SLEEP, K_SPO2, K_HRV, K_BR, K_TEMP, K_VO2, K_WEIGHT,
	K_FAT, K_DEVICES, K_HEART_MIN, K_STEPS_MIN, NKINDS
};
#define NDAYS_KINDS K_AZM
static const struct source_kind kinds[NKINDS] = {
	{ "steps", "activity", 90, KIND_IN_DAYS },
	{ "distance", "activity", 90, KIND_IN_DAYS },
	{ "floors", "activity", 90, KIND_IN_DAYS },
	{ "altitude", "activity", 90, KIND_IN_DAYS },
	{ RHR_TYPE, "heart", GOOGLE_RHR_MAX_DAYS, KIND_IN_DAYS },
	{ "activity-level", "activity", 90, KIND_IN_DAYS },
	{ "time-in-heart-rate-zone", "heart", 90, KIND_IN_DAYS },
	{ "total-calories", "activity", 14, KIND_IN_DAYS },
	{ "calories-in-heart-rate-zone", "heart", 14, KIND_IN_DAYS },
	[K_AZM] = { "active-zone-minutes", "azm", 90, 0 },
	[K_SLEEP] = { "sleep", "sleep", 365, KIND_WAKE },
	[K_SPO2] = { "daily-oxygen-saturation", "spo2", LIST_DAYS, KIND_WAKE },
	[K_HRV] = { "daily-heart-rate-variability", "hrv", LIST_DAYS,
	    KIND_WAKE },
	[K_BR] = { "daily-respiratory-rate", "breathing", LIST_DAYS,
	    KIND_WAKE },
	[K_TEMP] = { "daily-sleep-temperature-derivations", "temperature",
	    LIST_DAYS, KIND_WAKE },
	[K_VO2] = { "daily-vo2-max", "vo2max", LIST_DAYS, KIND_WAKE },
	[K_WEIGHT] = { "weight", "weight", LIST_DAYS, KIND_SLOW },
	[K_FAT] = { "body-fat", "weight", LIST_DAYS, KIND_SLOW },
	[K_DEVICES] = { "devices", "devices", 1, KIND_CURRENT },
	[K_HEART_MIN] = { "heart-rate-minutes", "intraday", MINUTE_DAYS,
	    KIND_INTRADAY },
	[K_STEPS_MIN] = { "steps-minutes", "intraday", MINUTE_DAYS,
	    KIND_INTRADAY },
};

/* The list kinds' scope and filter member ({t} is the snake_case type). */
static const struct {
	const char *scope;
	const char *member;	/* after "{t}." */
	int page_size;
} lists[NKINDS] = {
	[K_SLEEP] = { SCOPE_SLEEP, "interval.civil_end_time", 25 },
	[K_SPO2] = { SCOPE_METRICS, "date", GOOGLE_PAGE_SIZE },
	[K_HRV] = { SCOPE_METRICS, "date", GOOGLE_PAGE_SIZE },
	[K_BR] = { SCOPE_METRICS, "date", GOOGLE_PAGE_SIZE },
	[K_TEMP] = { SCOPE_METRICS, "date", GOOGLE_PAGE_SIZE },
	[K_VO2] = { SCOPE_ACTIVITY, "date", GOOGLE_PAGE_SIZE },
	[K_WEIGHT] = { SCOPE_METRICS, "sample_time.civil_time",
	    GOOGLE_PAGE_SIZE },
	[K_FAT] = { SCOPE_METRICS, "sample_time.civil_time", GOOGLE_PAGE_SIZE },
};

struct google {
	struct source src;		/* first: a struct source * is ours */
	char *api_url;
	struct oauth *oauth;
	struct httpc *http;
	double per_ms;			/* pacing: tokens per millisecond */
	double tokens;
	int64_t last_ms;
	uint64_t requests;
	uint64_t rng;
	int not_linked;
	enum google_problem problem;	/* of the last failed answer */
	char *once[ONCE_MAX];
	size_t nonce;
	char token[4096];
	char used[4096];
};

/* One API request: what it is for (messages), its scope, its method. */
struct call {
	const char *what;
	const char *scope;
	const char *method;
	const char *url;
	const char *body;
};

/* ---- pacing, retries, errors ---- */

static int64_t
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Take one token from the bucket, sleeping until there is one. */
static int
pace(struct google *g, struct err *err)
{
	int64_t now;

	for (;;) {
		now = mono_ms();
		g->tokens += (double)(now - g->last_ms) * g->per_ms;
		if (g->tokens > GOOGLE_BURST)
			g->tokens = GOOGLE_BURST;
		g->last_ms = now;
		if (g->tokens >= 1)
			break;
		if (quit_sleep((long)ceil((1 - g->tokens) / g->per_ms)))
			return err_setc(err, ERR_STOP, "stopping");
	}
	g->tokens -= 1;
	return 0;
}

/* Full jitter: uniform in [100 ms, min(cap, base * 2^attempt)]. */
static long
backoff_ms(struct google *g, int attempt)
{
	long cap = BACKOFF_BASE_MS << (attempt < 6 ? attempt : 6);

	if (cap > BACKOFF_CAP_MS)
		cap = BACKOFF_CAP_MS;
	g->rng ^= g->rng << 13;		/* xorshift64 */
	g->rng ^= g->rng >> 7;
	g->rng ^= g->rng << 17;
	return 100 + (long)(g->rng % (uint64_t)cap);
}

/* Retry-After in seconds (an HTTP date is ignored), or -1. */
static long
retry_after_ms(const struct httpc_resp *r)
{
	char buf[32], *end;
	long s;

	if (httpc_header(r, "Retry-After", buf, sizeof(buf)) == NULL ||
	    !isdigit((unsigned char)buf[0]))
		return -1;
	s = strtol(buf, &end, 10);
	if (*end != '\0' || s <= 0)
		return -1;
	return (s > RETRY_AFTER_MAX_S ? RETRY_AFTER_MAX_S : s) * 1000;
}

/* 1 the first time key is seen in this process. */
static int
once(struct google *g, const char *key)
{
	size_t i;

	for (i = 0; i < g->nonce; i++)
		if (strcmp(g->once[i], key) == 0)
			return 0;
	if (g->nonce < ONCE_MAX && (g->once[g->nonce] = strdup(key)) != NULL)
		g->nonce++;
	return 1;
}

/* One actionable line per problem (per scope), once per process. */
static void
explain(struct google *g, const struct call *c,
    const struct google_status *st)
{
	char key[128];

	switch (st->problem) {
	case GOOGLE_NOT_LINKED:
		if (once(g, "not-linked"))
			log_error("the Google Account is not linked to Google "
			    "Health: the Fitbit account was not moved to a "
			    "Google Account, or this Google Account has no "
			    "Google Health profile; in the Fitbit app sign in "
			    "with Google (move the account), then run "
			    "'syncbit --authorize' with that Google Account",
			    "status=%s reason=ACCOUNT_NOT_LINKED", st->status);
		return;
	case GOOGLE_SCOPE:
		snprintf(key, sizeof(key), "scope:%s", c->scope);
		if (once(g, key))
			log_warn("a Google Health scope was not granted, the "
			    "metrics that need it are skipped: add the scope "
			    "to the OAuth client (Data access) and run "
			    "'syncbit --authorize' again, ticking every box",
			    "scope=" SCOPE_PREFIX "%s data_type=%s", c->scope,
			    c->what);
		return;
	case GOOGLE_UBERMINT:
		if (once(g, "ubermint"))
			log_error("Google Health refused the login of a legacy "
			    "Fitbit account: consent was given with a Fitbit "
			    "login, not a Google Account; run 'syncbit "
			    "--authorize' again and sign in with Google (the "
			    "Google Account the Fitbit account was moved to)",
			    "status=%s", st->status);
		return;
	case GOOGLE_DISABLED:
		if (once(g, "disabled"))
			log_error("the Google Health API is not enabled in the "
			    "Google Cloud project of GOOGLE_CLIENT_ID: enable "
			    "it (APIs & Services > Library > Google Health "
			    "API), then wait a few minutes",
			    "status=%s reason=%s", st->status, st->reason);
		return;
	case GOOGLE_REVOKED:
		if (once(g, "revoked"))
			log_error("Google Health denies access to this "
			    "account's data: remove SyncBit at "
			    "https://myaccount.google.com/connections and run "
			    "'syncbit --authorize' again",
			    "status=%s reason=%s", st->status, st->reason);
		return;
	case GOOGLE_BAD_SCOPES:
		if (once(g, "bad-scopes"))
			log_error("the token carries scopes Google Health does "
			    "not accept: run 'syncbit --authorize' again",
			    "status=%s reason=%s", st->status, st->reason);
		return;
	case GOOGLE_OTHER:
		break;
	}
	if (st->code == 429)
		return;		/* quota: the call ends, the caller says so */
	snprintf(key, sizeof(key), "http:%s:%d", c->what, st->code);
	if (once(g, key))
		log_warn(st->code >= 500 ? "Google Health kept failing a "
		    "request, that metric is skipped" : "Google Health refused "
		    "a request, that metric is skipped",
		    "data_type=%s http=%d status=%s reason=%s", c->what,
		    st->code, st->status[0] ? st->status : "-",
		    st->reason[0] ? st->reason : "-");
}

/* An error answer -> err (and the user's line, once). */
static int
api_error(struct google *g, const struct call *c,
    const struct httpc_resp *r, struct err *err)
{
	struct google_status st;
	struct err perr = { 0 };
	int code;

	if (google_parse_status(r->body, r->len, r->status, &st, &perr) == -1)
		st.problem = GOOGLE_OTHER;
	st.code = (int)r->status;	/* the HTTP status is what we act on */
	g->problem = st.problem;
	explain(g, c, &st);
	if (st.problem == GOOGLE_NOT_LINKED) {
		g->not_linked = 1;
		return err_setc(err, ERR_NOT_LINKED, "Google Health: account "
		    "not linked (400 ACCOUNT_NOT_LINKED) for '%s'", c->what);
	}
	code = r->status == 429 ? ERR_RATE : (int)r->status;
	return err_setc(err, code, "Google Health answered %ld%s%s%s%s for "
	    "'%s'", r->status, st.status[0] ? " " : "", st.status,
	    st.reason[0] ? " " : "", st.reason, c->what);
}

static int
retryable(long status)
{
	return status == 429 || status == 500 || status == 502 ||
	    status == 503 || status == 504;
}

/* One exchange: counted and logged at debug level (path only). */
static int
send_once(struct google *g, const struct call *c, struct httpc_resp *r,
    struct err *err)
{
	struct httpc_req req;
	const char *hdrs[] = { "Accept: application/json", NULL };
	const char *path = c->url + strlen(g->api_url);
	int64_t t0 = mono_ms();
	int rc;

	memset(&req, 0, sizeof(req));
	req.method = c->method;
	req.url = c->url;
	req.bearer = g->token;
	req.headers = hdrs;
	if (c->body != NULL) {
		req.content_type = "application/json";
		req.body = c->body;
		req.body_len = strlen(c->body);
	}
	g->requests++;
	rc = httpc_do(g->http, &req, r, err);
	if (rc == -1 && err->code == ERR_STOP)
		return -1;
	stats_count_request(rc == 0 ? r->status : 0);
	log_debug("google api",
	    "method=%s path=%.*s status=%ld duration_ms=%lld", c->method,
	    (int)strcspn(path, "?"), path, rc == 0 ? r->status : 0,
	    (long long)(mono_ms() - t0));
	return rc;
}

/*
 * Perform c until an answer settles it: 0 with a 2xx in r, or -1 with err.
 * 401: one refresh and one more try. 429/5xx/no answer: up to RETRIES more
 * tries, waiting Retry-After or a jittered backoff.
 */
static int
api_call(struct google *g, const struct call *c, struct httpc_resp *r,
    struct err *err)
{
	struct err e;
	int tries = 0, refreshed = 0, rc = -1;
	long wait;

	g->problem = GOOGLE_OTHER;
	if (oauth_access_token(g->oauth, g->token, sizeof(g->token), err) == -1)
		goto out;
	for (;;) {
		err_clear(&e);
		if (pace(g, err) == -1)
			goto out;
		if (send_once(g, c, r, &e) == 0 &&
		    r->status >= 200 && r->status < 300) {
			g->not_linked = 0;
			rc = 0;
			goto out;
		}
		if (e.code == ERR_STOP) {
			err_setc(err, ERR_STOP, "stopping");
			goto out;
		}
		if (!e.set && r->status == 401 && !refreshed) {
			refreshed = 1;
			memcpy(g->used, g->token, sizeof(g->used));
			if (oauth_refresh_after_401(g->oauth, g->used, g->token,
			    sizeof(g->token), err) == -1)
				goto out;
			continue;
		}
		if (e.set ? tries >= RETRIES :
		    !retryable(r->status) || tries >= RETRIES)
			break;
		wait = e.set ? -1 : retry_after_ms(r);
		if (wait < 0)
			wait = backoff_ms(g, tries);
		log_debug("google api retry", "what=%s status=%ld wait_ms=%ld",
		    c->what, e.set ? 0 : r->status, wait);
		tries++;
		if (quit_sleep(wait)) {
			err_setc(err, ERR_STOP, "stopping");
			goto out;
		}
	}
	if (e.set)
		err_setc(err, ERR_TRANSIENT, "%s", e.msg);
	else
		api_error(g, c, r, err);
out:
	explicit_bzero(g->token, sizeof(g->token));
	explicit_bzero(g->used, sizeof(g->used));
	return rc;
}

/* Errors about the whole API, not one data type: the call ends. */
static int
ends_call(const struct google *g, const struct err *e)
{
	switch (e->code) {
	case ERR_STOP:
	case ERR_AUTH:
	case ERR_RATE:
	case ERR_TRANSIENT:
	case ERR_NOT_LINKED:
	case 401:
		return 1;
	}
	return g->problem == GOOGLE_UBERMINT || g->problem == GOOGLE_DISABLED ||
	    g->problem == GOOGLE_REVOKED || g->problem == GOOGLE_BAD_SCOPES;
}

/* ---- fetching ---- */

/* A body that does not parse: one warning per data type, then err. */
static int
bad_answer(struct google *g, const char *what, struct err *err)
{
	char key[96], q[ERR_MSG_MAX + 16];

	snprintf(key, sizeof(key), "bad:%s", what);
	if (once(g, key))
		log_warn("Google Health sent an answer SyncBit cannot read, "
		    "that metric is skipped", "data_type=%s error=%s", what,
		    log_q(q, sizeof(q), err->msg));
	return -1;
}

static int
fetch_rollup(struct google *g, const struct google_rollup *rt, int32_t from,
    int32_t to, struct samples *out, struct err *err)
{
	struct httpc_resp r;
	struct call c = { rt->type, rt->scope, "POST", NULL, NULL };
	char body[256], url[URL_MAX];
	size_t base = out->len;
	int32_t a, b;
	int rc = -1;

	httpc_resp_init(&r);
	/* the ':' of ':dailyRollUp' stays literal */
	snprintf(url, sizeof(url), "%s/v4/users/me/dataTypes/%s/dataPoints"
	    ":dailyRollUp", g->api_url, rt->type);
	c.url = url;
	c.body = body;
	for (a = from; a <= to; a = b + 1) {
		b = a + rt->max_days - 1 < to ? a + rt->max_days - 1 : to;
		google_rollup_body(a, b + 1, body, sizeof(body));
		if (api_call(g, &c, &r, err) == -1)
			goto out;
		if (google_parse_rollup(rt->type, r.body, r.len, a, b, out,
		    err) == -1) {
			bad_answer(g, rt->type, err);
			goto out;
		}
	}
	rc = 0;
out:
	if (rc == -1)
		out->len = base;
	httpc_resp_release(&r);
	return rc;
}

/* "steps-minutes" -> "steps", "daily-vo2-max" -> "daily_vo2_max". */
static void
snake(const char *type, char *out, size_t size)
{
	size_t i;

	for (i = 0; type[i] != '\0' && i + 1 < size; i++)
		out[i] = type[i] == '-' ? '_' : type[i];
	out[i] = '\0';
}

/* The list URL of kind k over [from, to]: a filter on its day member. */
static char *
list_url(const char *api_url, size_t k, int32_t from, int32_t to,
    const char *page_token)
{
	char a[CIVIL_DATE_LEN], b[CIVIL_DATE_LEN], t[64], filter[256];
	char *ef, *et = NULL, *url = NULL;
	size_t n;

	civil_format(from, a);
	civil_format(to + 1, b);	/* the filter's end is exclusive */
	snake(kinds[k].name, t, sizeof(t));
	snprintf(filter, sizeof(filter), "%s.%s >= \"%s\" AND %s.%s < \"%s\"",
	    t, lists[k].member, a, t, lists[k].member, b);
	if ((ef = httpc_escape(filter)) == NULL)
		return NULL;
	if (page_token != NULL && *page_token != '\0' &&
	    (et = httpc_escape(page_token)) == NULL)
		goto out;
	n = strlen(api_url) + strlen(ef) + (et != NULL ? strlen(et) : 0) + 160;
	if ((url = malloc(n)) == NULL)
		goto out;
	snprintf(url, n, "%s/v4/users/me/dataTypes/%s/dataPoints?filter=%s"
	    "&pageSize=%d%s%s", api_url, kinds[k].name, ef, lists[k].page_size,
	    et != NULL ? "&pageToken=" : "", et != NULL ? et : "");
out:
	free(ef);
	free(et);
	return url;
}

/* The paired devices' URL, page token optional. */
static char *
devices_url(const char *api_url, const char *page_token)
{
	char *et = NULL, *url;
	size_t n;

	if (page_token != NULL && *page_token != '\0' &&
	    (et = httpc_escape(page_token)) == NULL)
		return NULL;
	n = strlen(api_url) + (et != NULL ? strlen(et) : 0) + 96;
	if ((url = malloc(n)) != NULL)
		snprintf(url, n, "%s/v4/users/me/pairedDevices?pageSize=100%s%s",
		    api_url, et != NULL ? "&pageToken=" : "",
		    et != NULL ? et : "");
	free(et);
	return url;
}

/* The rollUp body of UTC days [from, to], one-minute windows. */
static char *
minutes_body(int32_t from, int32_t to, const char *page_token)
{
	int y0, m0, d0, y1, m1, d1;
	char *body;
	size_t n = 256 + (page_token != NULL ? strlen(page_token) : 0);

	if ((body = malloc(n)) == NULL)
		return NULL;
	civil_to_ymd(from, &y0, &m0, &d0);
	civil_to_ymd(to + 1, &y1, &m1, &d1);
	snprintf(body, n, "{\"range\":{\"startTime\":\"%04d-%02d-%02dT00:00:"
	    "00Z\",\"endTime\":\"%04d-%02d-%02dT00:00:00Z\"},\"windowSize\":"
	    "\"60s\",\"pageSize\":%d%s%s%s}", y0, m0, d0, y1, m1, d1,
	    GOOGLE_PAGE_SIZE, page_token != NULL && *page_token != '\0' ?
	    ",\"pageToken\":\"" : "", page_token != NULL ? page_token : "",
	    page_token != NULL && *page_token != '\0' ? "\"" : "");
	return body;
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
		    "dataPoints:rollUp", g->api_url, k == K_HEART_MIN ?
		    "heart-rate" : "steps");
		c->method = "POST";
		c->scope = k == K_HEART_MIN ? SCOPE_METRICS : SCOPE_ACTIVITY;
		*url = strdup(buf);
		*body = minutes_body(from, to, next);
		return *url != NULL && *body != NULL ? 0 : -1;
	}
	c->method = "GET";
	if (k == K_DEVICES) {
		c->scope = SCOPE_SETTINGS;
		*url = devices_url(g->api_url, next);
	} else if (strcmp(kinds[k].name, RHR_TYPE) == 0) {
		c->scope = SCOPE_METRICS;
		*url = google_rhr_url(g->api_url, from, to, next);
	} else {
		c->scope = lists[k].scope;
		*url = list_url(g->api_url, k, from, to, next);
	}
	return *url != NULL ? 0 : -1;
}

static int
parse_page(size_t k, const struct httpc_resp *r, int32_t from, int32_t to,
    struct samples *out, char *next, struct err *err)
{
	if (k == K_HEART_MIN || k == K_STEPS_MIN)
		return google_parse_minutes(k == K_HEART_MIN ? "heart-rate" :
		    "steps", r->body, r->len, out, next, TOKEN_MAX, err);
	if (k == K_DEVICES)
		return google_parse_devices(r->body, r->len, to, out, next,
		    TOKEN_MAX, err);
	if (k == K_SLEEP)
		return google_parse_sleep(r->body, r->len, from, to, out, next,
		    TOKEN_MAX, err);
	if (strcmp(kinds[k].name, RHR_TYPE) == 0)
		return google_parse_rhr(r->body, r->len, from, to, out, next,
		    TOKEN_MAX, err);
	return google_parse_list(kinds[k].name, r->body, r->len, from, to,
	    out, next, TOKEN_MAX, err);
}

/* Every page of kind k over [from, to], whatever order they come in. */
static int
fetch_pages(struct google *g, size_t k, int32_t from, int32_t to,
    struct samples *out, struct err *err)
{
	struct httpc_resp r;
	struct call c = { kinds[k].name, NULL, "GET", NULL, NULL };
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
		if (parse_page(k, &r, from, to, out, next, err) == -1) {
			bad_answer(g, c.what, err);
			goto out;
		}
		if (next[0] != '\0' && strcmp(next, prev) == 0) {
			err_set(err, "'%s': the same page token twice", c.what);
			goto out;
		}
	}
	rc = 0;
out:
	if (rc == -1)
		out->len = base;
	free(url);
	free(body);
	free(next);
	free(prev);
	httpc_resp_release(&r);
	return rc;
}

/* ---- source ops ---- */

static int
g_profile(struct source *s, struct profile *p, struct err *err)
{
	struct google *g = (struct google *)s;
	struct httpc_resp r;
	struct call c = { "settings", "settings.readonly", "GET", NULL, NULL };
	char url[URL_MAX];
	struct err e = { 0 };
	int rc = -1;

	httpc_resp_init(&r);
	snprintf(url, sizeof(url), "%s/v4/users/me/settings", g->api_url);
	c.url = url;
	if (api_call(g, &c, &r, err) == -1 ||
	    google_parse_settings(r.body, r.len, p, err) == -1)
		goto out;
	p->member_since = -1;
	snprintf(url, sizeof(url), "%s/v4/users/me/profile", g->api_url);
	c.what = "profile";
	c.scope = "profile.readonly";
	if (api_call(g, &c, &r, &e) == -1 && ends_call(g, &e)) {
		err_setc(err, e.code, "%s", e.msg);
		goto out;
	}
	/* Without a start date, history starts at BACKFILL_START. */
	if (!e.set && google_parse_profile(r.body, r.len, p, &e) == -1)
		bad_answer(g, "profile", &e);
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
	size_t i, ok = 0;
	int rc;

	(void)p;
	if (to - from >= SOURCE_DAYS_MAX)
		return err_set(err, "too many days in one call");
	for (i = 0; i <= NDAYS_ROLLUPS; i++) {
		err_clear(&e);
		rc = i < NDAYS_ROLLUPS ? fetch_rollup(g, &google_rollups[i], from, to,
		    out, &e) : fetch_pages(g, K_RHR, from, to, out, &e);
		if (rc == 0) {
			ok++;
			continue;
		}
		if (ends_call(g, &e))
			return err_setc(err, e.code, "%s", e.msg);
		if (!first.set)
			first = e;
	}
	if (ok == 0)
		return err_setc(err, first.code, "%s", first.msg);
	return 0;
}

static const struct source_kind *
g_kinds(struct source *s, size_t *n)
{
	(void)s;
	*n = NKINDS;
	return kinds;
}

static int
g_range(struct source *s, const struct profile *p, size_t k, int32_t from,
    int32_t to, struct samples *out, struct err *err)
{
	struct google *g = (struct google *)s;
	const struct google_rollup *rt;

	(void)p;
	if (k >= NKINDS)
		return err_set(err, "no history kind %zu", k);
	if (from > to)
		return 0;
	if ((rt = google_rollup_find(kinds[k].name)) != NULL)
		return fetch_rollup(g, rt, from, to, out, err);
	return fetch_pages(g, k, from, to, out, err);
}

/* Google publishes no budget: the pacing happens in pace(). */
static void
g_budget(struct source *s, struct source_budget *b)
{
	struct google *g = (struct google *)s;

	memset(b, 0, sizeof(*b));
	b->known = 0;
	b->limit = (int)(g->per_ms * 60000 + 0.5);
	b->remaining = (int)g->tokens;
}

static uint64_t
g_requests(struct source *s)
{
	return ((struct google *)s)->requests;
}

static void
g_free(struct source *s)
{
	struct google *g = (struct google *)s;
	size_t i;

	if (g == NULL)
		return;
	for (i = 0; i < g->nonce; i++)
		free(g->once[i]);
	free(g->api_url);
	explicit_bzero(g, sizeof(*g));
	free(g);
}

static const struct source_ops google_ops = {
	.name = "google",
	.profile = g_profile,
	.days = g_days,
	.kinds = g_kinds,
	.range = g_range,
	.budget = g_budget,
	.requests = g_requests,
	.free = g_free,
};

struct source *
google_new(const struct google_config *cfg)
{
	struct google *g;
	int rpm = cfg->requests_per_minute > 0 ? cfg->requests_per_minute :
	    GOOGLE_RPM;

	if (strlen(cfg->api_url) > URL_MAX - 256)
		return NULL;	/* config.c caps it far below */
	if ((g = calloc(1, sizeof(*g))) == NULL)
		return NULL;
	if ((g->api_url = strdup(cfg->api_url)) == NULL) {
		free(g);
		return NULL;
	}
	g->src.ops = &google_ops;
	g->oauth = cfg->oauth;
	g->http = cfg->http;
	g->per_ms = rpm / 60000.0;
	g->tokens = GOOGLE_BURST;
	g->last_ms = mono_ms();
	g->rng = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32) ^
	    (uint64_t)(uintptr_t)g;
	if (g->rng == 0)
		g->rng = 0x9e3779b97f4a7c15ULL;
	return &g->src;
}

int
google_not_linked(struct source *s)
{
	return s != NULL && s->ops == &google_ops &&
	    ((struct google *)s)->not_linked;
}
