/*
 * metrics: the catalogue of every metric family SyncBit exposes, with its
 * type and HELP text. One table, so that /metrics, the tests and the
 * README cannot disagree on a name.
 */
#ifndef SYNCBIT_METRICS_H
#define SYNCBIT_METRICS_H

#include <stddef.h>

struct metric_family {
	const char *name;
	const char *type;	/* "gauge", "counter" */
	const char *help;
};

/* Fitbit data families, in exposition order. */
const struct metric_family *metrics_fitbit(size_t *n);

#endif
