/*
 * collector: the collector thread (see collector.h).
 *
 * It is the only writer of the cache and of most stats. It owns the
 * profile (time zone) and the history (history.h: sync_state.json, the
 * cursors, the skip list, finality), which it uses through functions
 * only; the HTTP server sees only published snapshots (values and status)
 * and atomic stats.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "auth/oauth.h"
#include "civil.h"
#include "collector.h"
#include "expose/expo.h"
#include "history.h"
#include "groups.h"
#include "log.h"
#include "quit.h"
#include "report.h"
#include "schedule.h"
#include "source/route.h"
#include "stats.h"

#define PROFILE_MAX_AGE (24 * 3600)


struct collector {
	struct collector_config cfg;
	struct stats_account *st;	/* cfg.stats, or the first account */
	struct profile profile;
	time_t profile_at;		/* 0: never read */
	struct history *hist;
	unsigned groups;		/* groups.h mask */
	int warned_no_rw;
	int backfill_paused;
	int backfill_yielded;		/* a cycle came first: more to do */
	time_t resume_at;
	time_t next_cycle;
	time_t next_run;		/* collector_turn: the next cycle */
	int cycle_cost;			/* requests of the last cycle */
	struct samples latest;		/* newest of each series outside days() */
	struct sched_cycle last;		/* of the last cycle that read today */
	int32_t hist_start, hist_end;	/* the last history range */
	char error[ERR_MSG_MAX];	/* the last failure, for the page */
	struct report report;
	_Atomic int wake;		/* collector_wake: a cycle at once */
};

static void report(struct collector *);

/* The page follows the backfill chunk by chunk. */
static void
chunk_sent(void *c)
{
	report(c);
}

struct collector *
collector_new(const struct collector_config *cfg, struct err *err)
{
	struct collector *c;
	struct history_config hc;

	if ((c = calloc(1, sizeof(*c))) == NULL) {
		err_set(err, "out of memory");
		return NULL;
	}
	c->cfg = *cfg;
	c->st = stats_or_first(cfg->stats);
	c->groups = cfg->groups != 0 ? cfg->groups : groups_all();
	memset(&hc, 0, sizeof(hc));
	hc.src = cfg->src;
	hc.profile = &c->profile;
	hc.rw = cfg->rw;
	hc.sink = cfg->sink;
	hc.state_path = cfg->state_path;
	hc.groups = c->groups;
	hc.user = cfg->user;
	hc.on_chunk = chunk_sent;
	hc.arg = c;
	if ((c->hist = history_new(&hc, err)) == NULL) {
		free(c);
		return NULL;
	}
	samples_init(&c->latest);
	c->hist_end = -1;
	return c;
}

void
collector_free(struct collector *c)
{
	if (c == NULL)
		return;
	samples_release(&c->latest);
	history_free(c->hist);
	free(c);
}

/* Map an error of the API or of OAuth to readiness. */
static void
note_failure(const struct collector *c, const struct err *err)
{
	struct stats_account *st = c->st;
	int64_t now = (int64_t)time(NULL);
	int64_t zero = 0;

	atomic_store(&st->last_sync_success, 0);
	atomic_compare_exchange_strong(&st->failing_since, &zero, now);
	if (err->kind == ERR_AUTH)
		atomic_store(&st->ready, READY_INVALID_GRANT);
	else if (err->kind == ERR_ACCOUNT) {
		atomic_store(&st->ready_hint, c->cfg.account_hint);
		atomic_store(&st->ready, READY_ACCOUNT);
	}
	else if (err->kind == ERR_HTTP && err->status == 403)
		atomic_store(&st->ready, READY_FORBIDDEN);
}

/* The last failure in words, for the page (what is a static prefix). */
static void
note_error(struct collector *c, const char *what, const char *msg)
{
	int room = (int)(sizeof(c->error) - 1 - strlen(what));

	snprintf(c->error, sizeof(c->error), "%s%.*s", what, room, msg);
}

static void
note_success(const struct collector *c)
{
	struct stats_account *st = c->st;

	atomic_store(&st->last_sync_success, 1);
	atomic_store(&st->last_sync_ts, (int64_t)time(NULL));
	atomic_store(&st->failing_since, 0);
	atomic_store(&st->ready, READY_OK);
}

static int
ensure_profile(struct collector *c, struct err *err)
{
	time_t now = time(NULL);
	struct profile p;
	char since[CIVIL_DATE_LEN] = "unknown";

	if (c->profile_at != 0 && now - c->profile_at < PROFILE_MAX_AGE)
		return 0;
	memset(&p, 0, sizeof(p));
	p.member_since = -1;
	if (c->cfg.src->ops->profile(c->cfg.src, &p, err) == -1) {
		/* a stale profile is better than none */
		return c->profile_at != 0 ? (err_clear(err), 0) : -1;
	}
	if (p.member_since >= 0)
		civil_format(p.member_since, since);
	if (c->profile_at == 0 || strcmp(p.zone, c->profile.zone) != 0)
		log_info("profile", "time_zone=%s member_since=%s", p.zone,
		    since);
	c->profile = p;
	c->profile_at = now;
	return 0;
}

/* A failure of the whole API (or of us), not of one kind's endpoint. */
static int
api_down(const struct err *err)
{
	return err->kind == ERR_STOP || err->kind == ERR_AUTH ||
	    err->kind == ERR_RATE || err->kind == ERR_ACCOUNT;
}

/* The snapshot: today's days() values and the newest of everything else. */
static int
publish(struct collector *c, const struct sched_cycle *cy,
    const struct samples *days, struct err *err)
{
	struct samples v;
	struct snapshot *snap;
	size_t i;
	int rc = -1;

	samples_init(&v);
	for (i = 0; i < days->len; i++)
		if (days->v[i].day == cy->today &&
		    samples_append(&v, &days->v[i]) == -1)
			goto out;
	if (samples_extend(&v, &c->latest) == -1)
		goto out;
	samples_sort(&v);
	if ((snap = snapshot_new(&v, (int64_t)cy->now)) == NULL)
		goto out;
	/* rendered once here, copied by every scrape (NULL: they render) */
	expo_prerender(snap, c->cfg.user);
	cache_publish(c->cfg.cache, snap);
	rc = 0;
out:
	samples_release(&v);
	return rc == 0 ? 0 : err_set(err, "out of memory");
}

/* days(): daily activity and heart rate of [cy->from, today]. */
static int
read_days(struct collector *c, const struct sched_cycle *cy, struct samples *out,
    struct err *err)
{
	size_t i, o = 0;

	if (!groups_on(c->groups, "activity") &&
	    !groups_on(c->groups, "heart"))
		return 0;
	if (c->cfg.src->ops->days(c->cfg.src, &c->profile, cy->from,
	    cy->today, out, err) == -1)
		return -1;
	for (i = 0; i < out->len; i++)
		if (out->v[i].group == NULL ||
		    groups_on(c->groups, out->v[i].group))
			out->v[o++] = out->v[i];
	out->len = o;
	return 0;
}

/* Kind k's recent days -> out: [*from, *to] is what it covered. */
static int
read_kind(struct collector *c, const struct sched_cycle *cy, size_t k,
    const struct source_kind *kind, struct samples *out, int32_t *from,
    int32_t *to, struct err *err)
{
	struct source *src = c->cfg.src;
	int32_t a, b;

	*from = cy->from;
	*to = cy->today;
	if (kind->flags & KIND_CURRENT) {
		*from = cy->today;
	} else if (kind->flags & KIND_INTRADAY) {
		*from = cy->utc_from;
		*to = cy->utc_today;
	} else if (*to - *from >= kind->max_days) {
		*from = *to - kind->max_days + 1;
	}
	for (a = *from; a <= *to; a = b + 1) {
		b = a + kind->max_days - 1 < *to ? a + kind->max_days - 1 : *to;
		if (src->ops->range(src, &c->profile, k, a, b, out, err) == -1)
			return -1;
	}
	return 0;
}

/* A kind's endpoint failed: refused ones are skipped until restart (all
 * intraday kinds together), others are tried again next cycle. */
static void
kind_failed(struct collector *c, const struct source_kind *kinds, size_t n,
    size_t k, const struct err *err)
{
	char q[ERR_MSG_MAX + 16];
	size_t i;

	if (err_refused(err)) {
		for (i = 0; i < n; i++)
			if (i == k || ((kinds[k].flags & KIND_INTRADAY) &&
			    (kinds[i].flags & KIND_INTRADAY)))
				history_refuse(c->hist, kinds[i].name);
		return;		/* the source said why, once */
	}
	log_warn("data kind failed, retrying next cycle", "kind=%s error=%s",
	    kinds[k].name, log_q(q, sizeof(q), err->msg));
}

/*
 * Every due kind outside days(): devices first (their sync time decides
 * finality), then the others; each kind's changed days are sent. A failed
 * kind is skipped, a failure of the whole API ends the cycle (-1).
 */
static int
read_kinds(struct collector *c, struct sched_cycle *cy, int devices,
    struct err *err, struct err *soft)
{
	const struct source_kind *kinds;
	struct samples ks;
	size_t n, k;
	int32_t from, to;
	struct err e;
	int rc = 0;

	kinds = c->cfg.src->ops->kinds(c->cfg.src, &n);
	samples_init(&ks);
	for (k = 0; k < n && rc == 0; k++) {
		if ((kinds[k].flags & KIND_IN_DAYS) ||
		    !(kinds[k].flags & KIND_CURRENT) != !devices ||
		    !history_due(c->hist, &kinds[k], cy))
			continue;
		samples_clear(&ks);
		err_clear(&e);
		if (read_kind(c, cy, k, &kinds[k], &ks, &from, &to, &e) == -1) {
			if (api_down(&e))
				rc = err_copy(err, &e);
			else
				kind_failed(c, kinds, n, k, &e);
			continue;
		}
		history_note_read(c->hist, kinds[k].name, cy, &ks);
		if (kinds[k].flags & KIND_CURRENT) {
			if (c->cfg.src->ops->last_sync != NULL)
				history_note_sync(c->hist,
				    c->cfg.src->ops->last_sync(c->cfg.src));
		} else if (history_sends(c->hist) && !soft->set) {
			history_send_recent(c->hist, cy, kinds[k].name, &ks,
			    from, to, soft);
		}
		route_drop(&ks, 0);	/* trackpoints are history only */
		if (samples_keep_newest(&c->latest, &ks) == -1)
			rc = err_set(err, "out of memory");
	}
	samples_release(&ks);
	return rc;
}

/* First day of history: BACKFILL_START, else the account's start. */
static int32_t
first_day(struct collector *c, int32_t today)
{
	if (c->cfg.backfill_start >= 0)
		return c->cfg.backfill_start;
	if (c->profile.member_since >= 0)
		return c->profile.member_since;
	return today - RECENT_DAYS;	/* unknown: nothing older */
}

/* The requests history must leave for the cycles before the reset. */
static void
set_reserve(struct collector *c)
{
	struct source_budget b;

	memset(&b, 0, sizeof(b));
	c->cfg.src->ops->budget(c->cfg.src, &b);
	history_set_reserve(c->hist, b.known ? sched_reserve(time(NULL),
	    c->next_cycle, c->cfg.interval_s, b.reset_at, c->cycle_cost) :
	    HISTORY_RESERVE);
}

/* Pending history up to the last final day before the re-read window. */
static int
collect_history(struct collector *c, const struct sched_cycle *cy, int wait_budget,
    struct err *err)
{
	int32_t start = first_day(c, cy->today), end = cy->from - 1;
	enum history_result r;
	time_t now;

	if (end > cy->final_day)
		end = cy->final_day;
	c->hist_start = start;
	c->hist_end = end;
	/* the service's history stops when the next cycle is due */
	history_set_window(c->hist, cy->utc_from - 1 < cy->final_utc ?
	    cy->utc_from - 1 : cy->final_utc, wait_budget ? 0 : c->next_cycle);
	for (;;) {
		set_reserve(c);
		r = history_step(c->hist, start, end, &c->resume_at, err);
		c->backfill_paused = (r == HISTORY_PAUSED ||
		    r == HISTORY_PACED);
		c->backfill_yielded = (r == HISTORY_YIELDED);
		if (r == HISTORY_PACED)
			return 0;	/* another account's turn meanwhile */
		if (r == HISTORY_YIELDED) {
			log_info("backfill goes on after the cycle that is due",
			    "days_pending=%lld",
			    (long long)history_pending(c->hist, start, end));
			return 0;
		}
		if (r != HISTORY_PAUSED)
			return r == HISTORY_DONE ? 0 : -1;
		now = time(NULL);
		log_info("backfill paused until the rate limit resets",
		    "seconds=%lld days_pending=%lld reserved=%d",
		    (long long)(c->resume_at > now ? c->resume_at - now : 0),
		    (long long)history_pending(c->hist, start, end),
		    history_reserve(c->hist));
		if (!wait_budget)
			return 0;
		if (quit_sleep(1000L * (c->resume_at > now ?
		    c->resume_at - now + 1 : 1)))
			return err_kind(err, ERR_STOP, "stopping");
	}
}

/* Today's values and the re-read of recent days, in priority order. */
static int
collect_current(struct collector *c, struct sched_cycle *cy, struct err *err,
    struct err *soft)
{
	struct samples days;
	int rc = -1;

	samples_init(&days);
	if (civil_today(c->profile.zone, cy->now, &cy->today, err) == -1 ||
	    civil_hour(c->profile.zone, cy->now, &cy->hour, err) == -1)
		goto out;
	cy->utc_today = (int32_t)(cy->now / 86400);
	if (read_kinds(c, cy, 1, err, soft) == -1)
		goto out;
	history_plan(c->hist, cy);
	if (read_days(c, cy, &days, err) == -1 ||
	    read_kinds(c, cy, 0, err, soft) == -1 ||
	    publish(c, cy, &days, err) == -1)
		goto out;
	rc = 0;
	if (!history_sends(c->hist) || soft->set)
		goto out;
	if (history_send_recent(c->hist, cy, "", &days, cy->from, cy->today,
	    soft) == 0)
		history_final_sent(c->hist, cy);
out:
	samples_release(&days);
	return rc;
}

int
collector_cycle(struct collector *c, int wait_budget, struct err *err)
{
	struct stats_account *st = c->st;
	struct sched_cycle cy = { 0 };
	uint64_t before = c->cfg.src->ops->requests(c->cfg.src);
	struct err soft = { 0 };
	char q[ERR_MSG_MAX + 16];

	cy.now = time(NULL);
	/* --once: no cycle follows, history may spend the whole budget */
	c->next_cycle = wait_budget ? 0 : cy.now + c->cfg.interval_s;
	/* a token file written since (the page, --authorize) is used now */
	if (c->cfg.oauth != NULL &&
	    oauth_recheck(c->cfg.oauth) == OAUTH_NO_TOKEN) {
		atomic_store(&st->ready, READY_NO_TOKEN);
		return err_kind(err, ERR_AUTH, "no token: run 'syncbit "
		    "--authorize' first");
	}
	if (ensure_profile(c, err) == -1 ||
	    collect_current(c, &cy, err, &soft) == -1) {
		note_failure(c, err);
		return -1;
	}
	c->cycle_cost = (int)(c->cfg.src->ops->requests(c->cfg.src) - before);
	c->last = cy;
	note_success(c);
	c->error[0] = '\0';
	if (!history_sends(c->hist)) {
		if (!c->warned_no_rw)
			log_warn("VICTORIA_ENDPOINT is not set: scrape-only, "
			    "history backfill skipped", NULL);
		c->warned_no_rw = 1;
		return 0;
	}
	/* History problems are retried next cycle; today's values stand. */
	if (soft.set || collect_history(c, &cy, wait_budget, &soft) == -1) {
		if (soft.kind == ERR_STOP)
			return err_kind(err, ERR_STOP, "stopping");
		note_error(c, "history: ", soft.msg);
		if (soft.kind != ERR_REFUSED)	/* rw says it once */
			log_warn("history sync incomplete, retrying next cycle",
			    "error=%s", log_q(q, sizeof(q), soft.msg));
		if (wait_budget)
			return err_set(err, "%s", soft.msg);
	}
	return 0;
}

int
collector_backfill(struct collector *c, int32_t from, int32_t to,
    struct err *err)
{
	int32_t today;

	if (!history_sends(c->hist))
		return err_set(err, "--backfill needs VICTORIA_ENDPOINT");
	if (ensure_profile(c, err) == -1 ||
	    civil_today(c->profile.zone, time(NULL), &today, err) == -1)
		return -1;
	if (to < 0 || to >= today)
		to = today - 1;
	if (from > to)
		return err_set(err, "--from: nothing to send before today");
	return history_range(c->hist, from, to, err);
}

/* History between cycles: a paused step once the rate budget reset, a
 * step that yielded to a cycle at once. 1 when a step ran. */
static int
resume_history(struct collector *c, time_t now, time_t *wake)
{
	struct err err;
	char q[ERR_MSG_MAX + 16];

	if (c->backfill_paused && c->resume_at > now) {
		if (c->resume_at < *wake)
			*wake = c->resume_at;
		return 0;
	}
	if (!c->backfill_paused && !c->backfill_yielded)
		return 0;
	err_clear(&err);
	if (collect_history(c, &c->last, 0, &err) == -1 &&
	    err.kind != ERR_STOP) {
		log_warn("backfill failed", "error=%s",
		    log_q(q, sizeof(q), err.msg));
		note_error(c, "history: ", err.msg);
	}
	return 1;
}

static time_t
turn(struct collector *c, time_t now)
{
	struct err err;
	char q[ERR_MSG_MAX + 16];
	time_t wake;
	const char *prev = log_set_user(c->cfg.user);

	if (atomic_exchange(&c->wake, 0))
		c->next_run = now;
	if (now >= c->next_run) {
		err_clear(&err);
		c->backfill_paused = c->backfill_yielded = 0;
		c->next_run = now + c->cfg.interval_s;
		if (collector_cycle(c, 0, &err) == -1 && err.kind != ERR_STOP)
			log_error("sync failed", "user=%s error=%s",
			    c->cfg.user != NULL ? c->cfg.user : "-",
			    log_q(q, sizeof(q), err.msg));
		if (err.set && err.kind != ERR_STOP)
			note_error(c, "", err.msg);
		wake = now;	/* history may follow at once */
	} else {
		wake = c->next_run;
		if (resume_history(c, now, &wake))
			wake = now;
	}
	log_set_user(prev);
	return wake;
}

/* The account's status for the page, after every turn. */
static void
report(struct collector *c)
{
	struct report_input in;
	struct status *s;

	memset(&in, 0, sizeof(in));
	in.src = c->cfg.src;
	in.hist = c->hist;
	in.st = c->st;
	in.start = c->hist_start;
	in.end = c->hist_end;
	in.next_sync = c->next_run;
	in.error = c->error;
	if ((s = report_build(&c->report, &in)) != NULL)
		cache_publish_status(c->cfg.cache, s);
}

time_t
collector_turn(struct collector *c, time_t now)
{
	time_t next = turn(c, now);

	report(c);
	return next;
}

void
collector_wake(struct collector *c)
{
	atomic_store(&c->wake, 1);
}

int
collector_woken(struct collector *c)
{
	return atomic_load(&c->wake);
}

void
collector_lend_http(struct collector *c, struct httpc *http)
{
	c->cfg.src->http = http;
	if (c->cfg.oauth != NULL)
		oauth_use_http(c->cfg.oauth, http);
}

