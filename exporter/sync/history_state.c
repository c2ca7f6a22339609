/*
 * history_state: what history keeps between steps (see history.h):
 * sync_state.json, the kinds by name (skip list, last reads), finality
 * and the fingerprints of the recent days sent.
 */
#include <stdlib.h>
#include <string.h>

#include "civil.h"
#include "history_impl.h"
#include "groups.h"
#include "log.h"
#include "remote/rw.h"

struct history *
history_new(const struct history_config *cfg, struct err *err)
{
	struct history *h;

	if ((h = calloc(1, sizeof(*h))) == NULL) {
		err_set(err, "out of memory");
		return NULL;
	}
	h->cfg = *cfg;
	if (h->cfg.groups == 0)
		h->cfg.groups = groups_all();
	state_init(&h->state);
	if (history_sends(h) && state_load(cfg->state_path, &h->state,
	    err) == -1) {
		free(h);
		return NULL;
	}
	h->final_through = h->final_utc_through = INT32_MIN;
	h->reserve = HISTORY_RESERVE;
	return h;
}

void
history_free(struct history *h)
{
	free(h);
}

int
history_sends(const struct history *h)
{
	return h->cfg.rw != NULL || h->cfg.sink != NULL;
}

int
history_send(struct history *h, const struct samples *s, size_t *rejected,
    struct err *err)
{
	if (h->cfg.sink != NULL)
		return h->cfg.sink->write(h->cfg.sink->arg, s, rejected, err);
	return rw_write(h->cfg.rw, h->cfg.user, s, rejected, err);
}

int
history_save(struct history *h, struct err *err)
{
	return state_save(h->cfg.state_path, &h->state, err);
}

/* ---- the kinds by name ---- */

static const struct history_kind *
find(const struct history *h, const char *name)
{
	size_t i;

	for (i = 0; i < h->nkinds; i++)
		if (strcmp(h->kinds[i].name, name) == 0)
			return &h->kinds[i];
	return NULL;
}

/* kind's entry, added when new; NULL when the table is full. */
static struct history_kind *
get(struct history *h, const char *name)
{
	struct history_kind *k = (struct history_kind *)find(h, name);

	if (k != NULL || h->nkinds == STATE_KINDS_MAX ||
	    strlen(name) >= sizeof(k->name))
		return k;
	k = &h->kinds[h->nkinds++];
	memset(k, 0, sizeof(*k));
	strcpy(k->name, name);
	return k;
}

void
history_refuse(struct history *h, const char *kind)
{
	struct history_kind *k = get(h, kind);

	if (k != NULL)
		k->skip = 1;
}

int
history_skipped(const struct history *h, const char *kind)
{
	const struct history_kind *k = find(h, kind);

	return k != NULL && k->skip;
}

int
history_due(const struct history *h, const struct source_kind *kind,
    const struct sched_cycle *cy)
{
	static const struct sched_read never;
	const struct history_kind *k = find(h, kind->name);

	if (!groups_on(h->cfg.groups, kind->group) || (k != NULL && k->skip))
		return 0;
	return sched_due(kind->flags, k != NULL ? &k->read : &never, cy->now,
	    cy->hour, h->last_sync);
}

void
history_note_read(struct history *h, const char *kind,
    const struct sched_cycle *cy, const struct samples *got)
{
	struct history_kind *k = get(h, kind);
	size_t i;

	if (k == NULL)
		return;
	k->read.at = cy->now;
	k->read.sync = h->last_sync;
	k->read.found_today = 0;
	for (i = 0; i < got->len; i++)
		if (got->v[i].day == cy->today && got->v[i].ts_ms == 0)
			k->read.found_today = 1;
}

/* ---- finality ---- */

void
history_note_sync(struct history *h, int64_t last_sync)
{
	if (last_sync > h->last_sync)
		h->last_sync = last_sync;
}

int64_t
history_last_sync(const struct history *h)
{
	return h->last_sync;
}

void
history_plan(const struct history *h, struct sched_cycle *cy)
{
	sched_plan(cy, h->cfg.profile->zone, h->last_sync, h->final_through,
	    h->final_utc_through);
}

void
history_final_sent(struct history *h, const struct sched_cycle *cy)
{
	if (cy->final_day >= cy->from - 1 && cy->final_day > h->final_through)
		h->final_through = cy->final_day;
	if (cy->final_utc >= cy->utc_from - 1 &&
	    cy->final_utc > h->final_utc_through)
		h->final_utc_through = cy->final_utc;
}

/* ---- the recent days ---- */

/* The samples of all that remote write may carry for day: a daily value
 * of today is not final (and would be stamped in the future). */
static int
select_day(const struct sched_cycle *cy, const struct samples *all,
    int32_t day, struct samples *out)
{
	size_t i;

	samples_clear(out);
	for (i = 0; i < all->len; i++)
		if (all->v[i].day == day && (all->v[i].ts_ms != 0 ||
		    day < cy->today) && samples_append(out, &all->v[i]) == -1)
			return -1;
	return 0;
}

int
history_send_recent(struct history *h, const struct sched_cycle *cy,
    const char *kind, const struct samples *all, int32_t from, int32_t to,
    struct err *err)
{
	struct samples s;
	uint64_t fp;
	int32_t day;
	int rc = 0;
	char date[CIVIL_DATE_LEN];

	samples_init(&s);
	for (day = from; day <= to && rc == 0; day++) {
		if (select_day(cy, all, day, &s) == -1) {
			rc = err_set(err, "out of memory");
			break;
		}
		fp = state_fingerprint(&s);
		if (s.len == 0 || state_recent_same(&h->state, kind, day, fp))
			continue;
		if (history_stamp_daily(&s, h->cfg.profile->zone, err) == -1 ||
		    history_send(h, &s, NULL, err) == -1) {
			rc = -1;
			break;
		}
		state_recent_set(&h->state, kind, day, fp,
		    cy->today - 2 * SOURCE_DAYS_MAX);
		rc = history_save(h, err);
		civil_format(day, date);
		log_info("recent day sent", "kind=%s day=%s samples=%zu",
		    kind[0] != '\0' ? kind : "daily", date, s.len);
	}
	samples_release(&s);
	return rc;
}

/* ---- the next steps ---- */

void
history_set_window(struct history *h, int32_t utc_end, time_t deadline)
{
	h->utc_end = utc_end;
	h->deadline = deadline;
}

void
history_set_reserve(struct history *h, int reserve)
{
	h->reserve = reserve;
}

int
history_reserve(const struct history *h)
{
	return h->reserve;
}

int32_t
history_next(const struct history *h, const char *kind, int32_t dflt)
{
	return state_next(&h->state, kind, dflt);
}

int32_t
history_lo(const struct history *h, const char *kind, int32_t dflt)
{
	return state_lo(&h->state, kind, dflt);
}
