/*
 * tzif: UTC offsets of IANA zones from their TZif files (RFC 8536),
 * without touching the process environment (no TZ, no tzset()).
 *
 * A struct tzif is immutable once made: any thread may read it.
 * tzif_get() loads a zone once (TZDIR or /usr/share/zoneinfo) and keeps it
 * for the life of the process; the pointer stays valid, never free it.
 */
#ifndef SYNCBIT_TZIF_H
#define SYNCBIT_TZIF_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

struct tzif;

/* The cached zone, or NULL with err ("unknown time zone 'X'", or what is
 * wrong with its file). Thread-safe. */
const struct tzif *tzif_get(const char *zone, struct err *);
/* Parse a TZif file's bytes into a new *out (caller must tzif_free()).
 * -1 with a one-line reason for a bad, truncated or leap-second file. */
int tzif_parse(const uint8_t *buf, size_t len, struct tzif **out,
    struct err *);
void tzif_free(struct tzif *);
/* Seconds east of UTC in effect at Unix time t. */
long tzif_offset(const struct tzif *, int64_t t);

#endif
