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
	const char *user;	/* value of the user label */
	const char *version;
	const char *source;	/* "fitbit" / "google" */
};

/* Render into a malloc'd NUL-terminated buffer (*len bytes). snap may be
 * NULL; its values come from snap->text when it has one. Returns NULL on
 * allocation failure. Caller frees. */
char *expo_render(const struct snapshot *snap, struct stats *,
    const struct expo_info *, size_t *len);

/* The Fitbit families of snap alone, rendered once by the collector into
 * snap->text so that a scrape copies them instead of formatting each
 * value again. Same contract as expo_render(). */
char *expo_render_values(const struct snapshot *snap, const char *user,
    size_t *len);

/* Escape a label value (\\ \" \n) into out; returns -1 if it won't fit. */
int expo_escape_label(const char *in, char *out, size_t size);

#endif
