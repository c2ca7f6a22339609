/*
 * civil: calendar days and the user's time zone.
 *
 * A civil day is a count of days since 1970-01-01 in the proleptic
 * Gregorian calendar, with no zone. Converting between a zone's wall clock
 * and UTC reads the zone's TZif file (tzif.h, cached): no TZ, no tzset(),
 * the process environment is never changed. Every function here is
 * thread-safe. Nothing else in SyncBit uses local time: logs are in UTC.
 */
#ifndef SYNCBIT_CIVIL_H
#define SYNCBIT_CIVIL_H

#include <stdint.h>
#include <time.h>

#include "err.h"

#define CIVIL_DATE_LEN 11	/* "YYYY-MM-DD" + NUL */
#define CIVIL_ZONE_MAX 64

int32_t civil_from_ymd(int y, int m, int d);
void civil_to_ymd(int32_t day, int *y, int *m, int *d);
/* The strict text forms (civil_text.c); each -1 on anything else. */
/* "YYYY-MM-DD" with a real month and day, from 1970 on. */
int civil_parse(const char *, int32_t *day);
/* "HH:MM:SS" -> seconds of the day. */
int civil_parse_clock(const char *);
/* Local "YYYY-MM-DDTHH:MM:SS[.mmm]" -> civil day, seconds, milliseconds. */
int civil_parse_local(const char *, int32_t *day, int *sec, int *ms);
/* RFC 3339 "YYYY-MM-DDTHH:MM:SS[.f...](Z|+hh:mm|-hh:mm)" -> UTC ms
 * (fractions beyond milliseconds are dropped). */
int civil_parse_rfc3339(const char *, int64_t *ms);
void civil_format(int32_t day, char out[CIVIL_DATE_LEN]);

/* An IANA zone name that the tz database knows ("Europe/Berlin"). */
int civil_zone_valid(const char *zone);
/*
 * UTC seconds of day + sec_of_day (0..86399) on the wall clock of zone.
 * A wall time that does not exist (DST gap) moves forward; one that exists
 * twice (fall-back) takes the first instant.
 */
int civil_local_to_utc(const char *zone, int32_t day, int sec_of_day,
    int64_t *utc, struct err *);
/* The civil day it is at `now` in zone. */
int civil_today(const char *zone, time_t now, int32_t *day, struct err *);

/* Seconds east of UTC in zone at Unix time t. */
int civil_utc_offset(const char *zone, int64_t t, long *off, struct err *);
/* The wall-clock hour (0..23) at `now` in zone: on a DST change day this
 * is not the time elapsed since midnight. */
int civil_hour(const char *zone, time_t now, int *hour, struct err *);

/* Milliseconds of 23:59:59 of day in zone: SPEC's daily timestamp. */
int civil_day_end_ms(const char *zone, int32_t day, int64_t *ms,
    struct err *);

#endif
