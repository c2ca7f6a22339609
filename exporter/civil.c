/*
 * civil: calendar arithmetic (pure) and wall-clock <-> UTC in the user's
 * zone through the system tz database.
 *
 * Zone offsets come from the zone's TZif file (tzif.c), never from TZ or
 * tzset(): the process environment is not changed after start-up (libcurl's
 * resolver threads read it). Every function may be called from any thread.
 * The machine's own TZ is never consulted for data.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "civil.h"
#include "tzif.h"

/* Howard Hinnant's days_from_civil. */
int32_t
civil_from_ymd(int y, int m, int d)
{
	int era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return (int32_t)(era * 146097 + doe - 719468);
}

void
civil_to_ymd(int32_t z, int *y, int *m, int *d)
{
	int era, doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = yoe + era * 400 + (*m <= 2);
}

void
civil_format(int32_t day, char out[CIVIL_DATE_LEN])
{
	int y, m, d;

	civil_to_ymd(day, &y, &m, &d);
	if (y < 0 || y > 9999)
		y = 0;
	snprintf(out, CIVIL_DATE_LEN, "%04u-%02u-%02u", (unsigned)y % 10000u,
	    (unsigned)m % 100u, (unsigned)d % 100u);
}

int
civil_zone_valid(const char *zone)
{
	const char *dir = getenv("TZDIR");
	char path[512];
	struct stat st;
	const char *p;

	if (zone == NULL || *zone == '\0' || strlen(zone) >= CIVIL_ZONE_MAX ||
	    zone[0] == '/' || strstr(zone, "..") != NULL)
		return 0;
	for (p = zone; *p != '\0'; p++)
		if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
		    (*p >= '0' && *p <= '9') || strchr("/_+-", *p) != NULL))
			return 0;
	snprintf(path, sizeof(path), "%s/%s",
	    dir != NULL ? dir : "/usr/share/zoneinfo", zone);
	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

static int64_t
floor_div(int64_t a, int64_t b)
{
	return a / b - (a % b < 0);
}

int
civil_utc_offset(const char *zone, int64_t t, long *off, struct err *err)
{
	const struct tzif *z = tzif_get(zone, err);

	if (z == NULL)
		return -1;
	*off = tzif_offset(z, t);
	return 0;
}

int
civil_local_to_utc(const char *zone, int32_t day, int sec_of_day,
    int64_t *utc, struct err *err)
{
	const struct tzif *z = tzif_get(zone, err);
	int64_t wall = (int64_t)day * 86400 + sec_of_day;
	long before, after;
	int64_t c1, c2;
	int ok1, ok2;

	if (z == NULL)
		return -1;
	/* Offsets a day around cover any single transition near wall. */
	before = tzif_offset(z, wall - 86400);
	after = tzif_offset(z, wall + 86400);
	c1 = wall - before;
	c2 = wall - after;
	ok1 = tzif_offset(z, c1) == before;
	ok2 = tzif_offset(z, c2) == after;

	if (ok1 && ok2)
		*utc = c1 < c2 ? c1 : c2;	/* repeated hour: first */
	else if (ok1)
		*utc = c1;
	else if (ok2)
		*utc = c2;
	else
		*utc = c1;	/* skipped hour: the offset before the gap */
	return 0;
}

int
civil_today(const char *zone, time_t now, int32_t *day, struct err *err)
{
	long off;

	if (civil_utc_offset(zone, (int64_t)now, &off, err) == -1)
		return -1;
	*day = (int32_t)floor_div((int64_t)now + off, 86400);
	return 0;
}

int
civil_hour(const char *zone, time_t now, int *hour, struct err *err)
{
	long off;
	int64_t wall;

	if (civil_utc_offset(zone, (int64_t)now, &off, err) == -1)
		return -1;
	wall = (int64_t)now + off;
	*hour = (int)((wall - floor_div(wall, 86400) * 86400) / 3600);
	return 0;
}
int
civil_day_end_ms(const char *zone, int32_t day, int64_t *ms, struct err *err)
{
	int64_t utc;

	if (civil_local_to_utc(zone, day, 86399, &utc, err) == -1)
		return -1;
	*ms = utc * 1000;
	return 0;
}
