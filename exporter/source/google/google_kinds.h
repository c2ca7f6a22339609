/*
 * google_kinds: the data kinds the Google Health source reads (source.h's
 * struct source_kind) and how each list kind is filtered. Private to
 * source/google/.
 *
 * days() reads the first NDAYS_KINDS (daily activity and heart rate:
 * cheap and popular first, the 14-day types last); range() reads all. The
 * lists of google_parse_list() page through [from, to] with a filter; the
 * minute kinds are rollUp pages over UTC days.
 */
#ifndef SYNCBIT_GOOGLE_KINDS_H
#define SYNCBIT_GOOGLE_KINDS_H

#include <stddef.h>

#include "source/source.h"

#define MINUTE_DAYS 6		/* 8640 one-minute windows: one page */
#define LIST_DAYS 3650
#define LEVEL_DAYS 60		/* even 1440 intervals a day: 18 pages */
#define EXERCISE_DAYS 90	/* 50 pages of 25: 13 sessions a day */

enum {
	K_RHR = 4, K_LEVELS, K_AZM = 9, K_SLEEP, K_SPO2, K_HRV, K_BR, K_TEMP,
	K_VO2, K_WEIGHT, K_FAT, K_EXERCISE, K_DEVICES, K_HEART_MIN, K_STEPS_MIN, NKINDS
};
#define NDAYS_KINDS K_AZM

extern const struct source_kind google_kinds[NKINDS];

/* The list kinds' scope and filter member ({t} is the snake_case type). */
struct google_list {
	const char *scope;
	const char *member;	/* after "{t}." */
	int page_size;
};
extern const struct google_list google_lists[NKINDS];

/* The kind of data type `type`; 0 when none is (every days() roll-up
 * has one). */
size_t google_kind_of(const char *type);

#endif
