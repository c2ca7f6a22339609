/*
 * kinds: COLLECT and INTRADAY (config) -> the data kinds SyncBit reads.
 *
 * A source's kinds each belong to one group of SOURCE_GROUPS (source.h);
 * COLLECT names groups, INTRADAY=off removes "intraday". A mask has one
 * bit per group, in SOURCE_GROUPS' order.
 */
#ifndef SYNCBIT_KINDS_H
#define SYNCBIT_KINDS_H

#include <stddef.h>

#include "err.h"

/* Every group on. */
unsigned kinds_all(void);
/* "sleep, spo2" -> mask; "all" or "" -> every group. An unknown name is
 * -1 with err naming it and the valid ones. */
int kinds_parse(const char *list, unsigned *mask, struct err *);
/* The bit of group (0 for an unknown one). */
unsigned kinds_mask(const char *group);
/* 1 when group is on in mask (an unknown group is off). */
int kinds_on(unsigned mask, const char *group);

#endif
