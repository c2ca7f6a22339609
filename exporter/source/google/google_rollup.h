/*
 * google_rollup: the dailyRollUp data types SyncBit reads (the v4
 * discovery document's names, revision 20260527) and the scopes, shared
 * by google.c (requests) and google_daily.c (answers). Private to the
 * Google source.
 */
#ifndef SYNCBIT_GOOGLE_ROLLUP_H
#define SYNCBIT_GOOGLE_ROLLUP_H

#define SCOPE_PREFIX "https://www.googleapis.com/auth/googlehealth."
#define SCOPE_ACTIVITY "activity_and_fitness.readonly"
#define SCOPE_METRICS "health_metrics_and_measurements.readonly"
#define SCOPE_SLEEP "sleep.readonly"
#define SCOPE_SETTINGS "settings.readonly"
#define RHR_TYPE "daily-resting-heart-rate"

/* An enum value of the API and SPEC's label for it. */
struct label_map {
	const char *api;		/* enum value in the API */
	const char *label;		/* SPEC's label value */
};

/*
 * One dailyRollUp data type (activity-level is list-only: google_activity.h). A plain sum is member.field; a labelled one
 * is member.list[] of {key, field}. Names are the v4 discovery document's
 * (revision 20260527).
 */
struct google_rollup {
	const char *type;		/* in the URL */
	const char *member;		/* union member of a rollup point */
	int max_days;
	const char *scope;
	const char *metric;
	double divisor;			/* API unit -> SPEC unit */
	const char *field;
	const char *list;		/* NULL: a plain sum */
	const char *key;
	int duration;			/* field is "NNNs" */
	const char *lname;
	const struct label_map *labels;
};

/* days() reads all but the last (active-zone-minutes, a range() kind). */
#define GOOGLE_NROLLUPS 8
extern const struct google_rollup google_rollups[GOOGLE_NROLLUPS];
/* The rollup of data type `type`, or NULL. */
const struct google_rollup *google_rollup_find(const char *type);

#endif
