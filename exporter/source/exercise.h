/*
 * exercise: workout sessions of either API -> SPEC samples, the rules
 * both sources share (the COLLECT group "exercise").
 *
 * A source's parser fills a struct exercise_list page by page (one
 * struct exercise per ended session); exercise_samples() then turns the
 * whole list into samples stamped at each session's start instant, with
 * the label activity (exercise_activity(): a bounded snake_case set,
 * never the user's title).
 *
 * Collisions: sessions are taken in start order (start instant, then the
 * API's id); a session whose instant is not after the previous one's
 * stamp is stamped 1 ms after it, so two sessions that start in the same
 * second (or millisecond) never overwrite each other's samples. A session
 * seen twice (the same id) keeps its first copy; sessions with equal
 * instants and ids keep the order they were added in. A session's route
 * (route.h) is labelled with that stamp, so twins' routes stay apart too.
 * Pure: no I/O, no logging.
 */
#ifndef SYNCBIT_EXERCISE_H
#define SYNCBIT_EXERCISE_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "sample.h"

/* The values of a session; NAN: the API sent none (no sample). */
enum {
	EX_DURATION,	/* active time, seconds */
	EX_CALORIES,	/* kcal */
	EX_DISTANCE,	/* km */
	EX_STEPS,
	EX_HR_AVG,	/* bpm */
	EX_AZM,		/* active zone minutes */
	EX_ELEVATION,	/* metres gained */
	EX_NVALUES
};
#define EXERCISE_ZONES 4
#define EXERCISE_ID_MAX 128

struct exercise {
	int64_t start_ms;		/* UTC */
	int32_t day;			/* local civil day of the start */
	char id[EXERCISE_ID_MAX];	/* the API's id ("": none) */
	const char *activity;		/* static: exercise_activity() */
	double v[EX_NVALUES];
	/* fitbit_exercise_heart_rate_zone_seconds: zone names (static) and
	 * seconds; nzones 0: none sent */
	const char *zone[EXERCISE_ZONES];
	double zone_s[EXERCISE_ZONES];
	int nzones;
	int gps;			/* the API says it has GPS: 1, 0;
					 * -1 unknown */
	size_t seq;			/* set by exercise_add() */
	int64_t stamp_ms;		/* set by exercise_samples(): the
					 * instant its samples carry */
};

struct exercise_list {
	struct exercise *v;
	size_t len, cap;
};

void exercise_list_init(struct exercise_list *);
void exercise_list_release(struct exercise_list *);

/* A new session: every value NAN, no zone, gps unknown. */
void exercise_init(struct exercise *);
/* Append a copy of e (a session already listed with its id, unless "",
 * is ignored): -1 out of memory. */
int exercise_add(struct exercise_list *, const struct exercise *,
    struct err *);

/*
 * The SPEC samples of every session, stamped per the collision rule:
 * fitbit_exercise_duration_seconds, _calories, _distance_km, _steps,
 * _heart_rate_avg_bpm, _active_zone_minutes, _elevation_gain_meters
 * {activity} and fitbit_exercise_heart_rate_zone_seconds{activity, zone}.
 * Sorts the list. All or nothing: -1 out of memory.
 */
int exercise_samples(struct exercise_list *, struct samples *, struct err *);

/*
 * An API's exercise type -> the activity label. The name is compared
 * upper-cased with every run of other characters as one '_' ("Outdoor
 * Bike" = "OUTDOOR_BIKE"), so Google's exerciseType enum and the legacy
 * activityName share one table. Unknown, NULL: "other".
 */
const char *exercise_activity(const char *type);

#endif
