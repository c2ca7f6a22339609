/*
 * groups: COLLECT and INTRADAY (config) -> a mask of COLLECT's groups.
 *
 * Three things are called "kind" nowhere else but here, so the words stay
 * apart: a source's data kinds (struct source_kind: one endpoint, one
 * sync_state.json key), the COLLECT groups they belong to (this module),
 * and the parsers' tables (the point rules of google_parse.c, the series
 * of fitbit_daily.c).
 *
 * A source's kinds each belong to one group of SOURCE_GROUPS (source.h);
 * COLLECT names groups, INTRADAY=off removes "intraday". A mask has one
 * bit per group, in SOURCE_GROUPS' order.
 */
#ifndef SYNCBIT_GROUPS_H
#define SYNCBIT_GROUPS_H

#include <stddef.h>

#include "err.h"

/* Every group on. */
unsigned groups_all(void);
/* "sleep, spo2" -> mask; "all" or "" -> every group. An unknown name is
 * -1 with err naming it and the valid ones. */
int groups_parse(const char *list, unsigned *mask, struct err *);
/* The bit of group (0 for an unknown one). */
unsigned groups_mask(const char *group);
/* 1 when group is on in mask (an unknown group is off). */
int groups_on(unsigned mask, const char *group);

#endif
