/*
 * expo: Prometheus text exposition 0.0.4 of a snapshot and the stats.
 *
 * Pure: no I/O, no lock. Every family of SPEC is present with HELP and
 * TYPE (SyncBit's own series with 0 before the first sync); label values
 * and HELP text are escaped; no timestamps.
 */
#ifndef SYNCBIT_EXPO_H
#define SYNCBIT_EXPO_H

#include <stddef.h>

#include "cache.h"
#include "stats.h"

struct expo_info {
	const char *version;
	const char *source;	/* the driver's name */
};

/* One account at /metrics: its user label, newest snapshot (NULL before
 * the first) and its numbers. */
struct expo_account {
	const char *user;
	const struct snapshot *snap;
	const struct stats_account *st;
};

/*
 * Render every account into a malloc'd NUL-terminated buffer (*len
 * bytes): each Fitbit family once with the samples of every account under
 * it (copied from a snapshot's pre-rendered text when it has one), then
 * SyncBit's own families, the per-account ones with a user label. Returns
 * NULL on allocation failure.
 */
char *expo_render(const struct expo_account *, size_t nacc, struct stats *,
    const struct expo_info *, size_t *len);

/* Render snap's Fitbit samples once, family by family, into snap->text
 * and snap->fam_end[] (the collector, before publishing), so that a
 * scrape copies them instead of formatting each value. -1: out of
 * memory (snap keeps no text; scrapes format it). */
int expo_prerender(struct snapshot *snap, const char *user);

/* Escape a label value (\\ \" \n) into out; returns -1 if it won't fit. */
int expo_escape_label(const char *in, char *out, size_t size);

#endif
