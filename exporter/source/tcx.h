/*
 * tcx: a workout's route from a TCX document (Garmin Training Center XML
 * v2), as both APIs serve it: Google's exportExerciseTcx?alt=media and the
 * legacy API's tcxLink (/activities/{logId}.tcx). Pure functions: no I/O,
 * no logging, thread-safe; the XML is read by libxml2's streaming reader.
 *
 * What is read: every Activities/Activity/Lap/Track/Trackpoint of the
 * TCX v2 namespace (or of no namespace), across laps, tracks and
 * activities: Time, Position/LatitudeDegrees and LongitudeDegrees,
 * AltitudeMeters, HeartRateBpm/Value. Everything else (Courses,
 * MultiSportSession, DistanceMeters, Cadence, Extensions in other
 * namespaces) is ignored.
 *
 * Hostile input: the document is at most TCX_MAX_BYTES and yields at most
 * TCX_MAX_POINTS trackpoints, else an error (never a truncated route). A
 * document with a DOCTYPE is refused before any of its content is read,
 * so no entity is expanded (no billion laughs) and no external entity or
 * DTD is loaded (no file, no network: XML_PARSE_NONET and an entity
 * loader that loads nothing); no XInclude; libxml2's default limits
 * (element depth 256, no XML_PARSE_HUGE) apply.
 *
 * A point's values (TCX_BAD_*, counted in tcx_route.bad):
 * - no Time, or a Time that is not RFC 3339 with Z or an offset (fraction
 *   beyond ms dropped), or before 1970: the point is dropped;
 * - a Position whose latitude or longitude is missing, not a decimal
 *   number, NaN/INF, or out of [-90, 90] / [-180, 180]: the point is
 *   dropped;
 * - an altitude outside [TCX_ALT_MIN, TCX_ALT_MAX] m or a heart rate
 *   outside [1, 255] bpm (the schema's unsignedByte), or either not a
 *   number: that value alone is dropped, the point is kept;
 * - a second point at the same millisecond: the later one in the
 *   document is dropped (one value per series and instant).
 * Numbers are XML Schema decimals: optional sign, digits, '.', exponent,
 * surrounding whitespace; no hex, no "NaN". Points come out sorted by
 * time.
 */
#ifndef SYNCBIT_TCX_H
#define SYNCBIT_TCX_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "sample.h"

/* The cap on a document: give the HTTP body this cap (httpc). 32 MiB is
 * about 20 hours of 1 s trackpoints as the legacy API pretty-prints them. */
#define TCX_MAX_BYTES ((size_t)32 << 20)
/* The cap on trackpoints kept: 27 hours at one a second. */
#define TCX_MAX_POINTS 100000
/* Altitudes outside these (m) are not a workout's. */
#define TCX_ALT_MIN (-1000.0)
#define TCX_ALT_MAX 10000.0

/* What a point had (tcx_point.has). */
#define TCX_HAS_POSITION 0x1
#define TCX_HAS_ALTITUDE 0x2
#define TCX_HAS_HEART_RATE 0x4

struct tcx_point {
	int64_t ts_ms;		/* UTC milliseconds */
	unsigned has;		/* TCX_HAS_* */
	double lat;		/* degrees, with TCX_HAS_POSITION */
	double lon;
	double alt_m;		/* with TCX_HAS_ALTITUDE */
	double hr_bpm;		/* with TCX_HAS_HEART_RATE */
};

/* Why a point or a value was dropped (tcx_reason_name()). */
enum tcx_reason {
	TCX_BAD_TIME,		/* point dropped */
	TCX_BAD_POSITION,	/* point dropped */
	TCX_DUP_TIME,		/* point dropped */
	TCX_BAD_ALTITUDE,	/* value dropped */
	TCX_BAD_HEART_RATE,	/* value dropped */
	TCX_REASONS
};

struct tcx_route {
	struct tcx_point *v;	/* sorted by ts_ms, no two equal */
	size_t len;
	size_t cap;
	size_t positions;	/* points with TCX_HAS_POSITION */
	size_t activities;	/* Activity elements seen */
	size_t laps;		/* Lap elements seen */
	size_t tracks;		/* Track elements seen */
	size_t bad[TCX_REASONS];
};

void tcx_route_init(struct tcx_route *);
/* Frees the points; the route is empty (init) after. */
void tcx_route_release(struct tcx_route *);

/*
 * Parse doc[0..len) (not NUL-terminated) into route, which must be
 * empty (init or released). 0: a TCX document, maybe without a single
 * trackpoint (route->len 0: Google's answer without the location scope,
 * a treadmill session) -- not an error. -1 with err (one line, no
 * document text except element names, printable ASCII only) and an
 * empty route: over TCX_MAX_BYTES, not well-formed XML, a DOCTYPE, a
 * root that is not TrainingCenterDatabase, more than TCX_MAX_POINTS
 * trackpoints, out of memory.
 */
int tcx_parse(const char *doc, size_t len, struct tcx_route *route,
    struct err *);

/* "bad_time", "bad_position", "duplicate_time", "bad_altitude",
 * "bad_heart_rate"; "?" for anything else. */
const char *tcx_reason_name(enum tcx_reason);

/*
 * Append the route's samples to out, each at its point's instant (ts_ms)
 * with day = the UTC civil day of that instant, labelled session=session:
 *   fitbit_exercise_position_latitude_degrees,
 *   fitbit_exercise_position_longitude_degrees (points with a position),
 *   fitbit_exercise_position_altitude_meters (with an altitude),
 *   fitbit_exercise_heart_rate_bpm (with a heart rate).
 * session: the session's start instant as RFC 3339 UTC text
 * ("2026-11-19T07:41:40Z", fractions allowed), the same for every
 * route of that session. Untagged: the caller runs samples_tag(). -1
 * with err and nothing appended: a session that is not such a text (or
 * longer than SAMPLE_LVALUE_MAX - 1), out of memory.
 */
int tcx_samples(const struct tcx_route *, const char *session,
    struct samples *out, struct err *);

#define TCX_METRIC_LAT "fitbit_exercise_position_latitude_degrees"
#define TCX_METRIC_LON "fitbit_exercise_position_longitude_degrees"
#define TCX_METRIC_ALT "fitbit_exercise_position_altitude_meters"
#define TCX_METRIC_HR "fitbit_exercise_heart_rate_bpm"
#define TCX_LABEL_SESSION "session"

#endif
