/*
 * civil: calendar arithmetic, strict dates, and DST-correct local -> UTC
 * in zones other than the process' own.
 */
#include <stdlib.h>
#include <string.h>

#include "civil.h"
#include "t.h"

static void
test_calendar(void)
{
	int y, m, d, bad;
	int32_t day;
	char buf[CIVIL_DATE_LEN];

	CHECK(civil_from_ymd(1970, 1, 1) == 0);
	CHECK(civil_from_ymd(2000, 3, 1) == 11017);
	CHECK(civil_from_ymd(2024, 2, 29) == 19782);
	civil_to_ymd(19782, &y, &m, &d);
	CHECK(y == 2024 && m == 2 && d == 29);
	for (day = 0, bad = 0; day < 40000; day++) {
		civil_to_ymd(day, &y, &m, &d);
		bad += civil_from_ymd(y, m, d) != day;
	}
	CHECK(bad == 0);
	civil_format(civil_from_ymd(2026, 11, 29), buf);
	CHECK(strcmp(buf, "2026-11-29") == 0);
}

static void
test_parse(void)
{
	static const char *bad[] = { "", "2026-1-01", "2026-13-01",
	    "2026-02-29", "2025-04-31", "20260101", "2026-01-01x",
	    "2026/01/01", "abcd-ef-gh", "1969-12-31", " 2026-01-01", NULL };
	int32_t day = -1;
	size_t i;

	CHECK(civil_parse("2024-02-29", &day) == 0);
	CHECK(day == civil_from_ymd(2024, 2, 29));
	CHECK(civil_parse("2000-02-29", &day) == 0);
	for (i = 0; bad[i] != NULL; i++)
		CHECK(civil_parse(bad[i], &day) == -1);
	CHECK(civil_parse(NULL, &day) == -1);
}

/* The clock and local date-time forms of civil_text.c. */
static void
test_parse_times(void)
{
	static const char *bad_clock[] = { "", "24:00:00", "23:60:00",
	    "23:59:60", "1:00:00", "01:00", "01:00:00 ", "01:00:00.5",
	    "aa:bb:cc", NULL };
	static const char *bad_local[] = { "", "2026-11-20T23:10",
	    "2026-11-20 23:10:00", "2026-11-20T24:00:00",
	    "2026-02-30T01:00:00", "2026-11-20T23:10:00.1",
	    "2026-11-20T23:10:00.000Z", "2026-11-20T23:10:00x", NULL };
	int32_t day;
	int sec, ms;
	size_t i;

	CHECK(civil_parse_clock("00:00:00") == 0);
	CHECK(civil_parse_clock("23:59:59") == 86399);
	CHECK(civil_parse_clock("07:05:09") == 7 * 3600 + 5 * 60 + 9);
	for (i = 0; bad_clock[i] != NULL; i++)
		CHECK(civil_parse_clock(bad_clock[i]) == -1);
	CHECK(civil_parse_clock(NULL) == -1);
	CHECK(civil_parse_local("2026-11-20T23:10:05", &day, &sec, &ms) == 0);
	CHECK(day == civil_from_ymd(2026, 11, 20) && sec == 83405 && ms == 0);
	CHECK(civil_parse_local("2024-02-29T00:00:00.250", &day, &sec,
	    &ms) == 0);
	CHECK(day == civil_from_ymd(2024, 2, 29) && sec == 0 && ms == 250);
	for (i = 0; bad_local[i] != NULL; i++)
		CHECK(civil_parse_local(bad_local[i], &day, &sec, &ms) == -1);
	CHECK(civil_parse_local(NULL, &day, &sec, &ms) == -1);
}

static void
test_zones(void)
{
	CHECK(civil_zone_valid("Europe/Berlin"));
	CHECK(civil_zone_valid("America/Los_Angeles"));
	CHECK(civil_zone_valid("UTC"));
	CHECK(!civil_zone_valid("Mars/Olympus"));
	CHECK(!civil_zone_valid("../../etc/passwd"));
	CHECK(!civil_zone_valid("/etc/localtime"));
	CHECK(!civil_zone_valid(""));
	CHECK(!civil_zone_valid("Europe/Berlin;rm"));
}

static void
test_day_end(void)
{
	struct err err = { 0 };
	int64_t ms = 0;

	/* Process zone set elsewhere must not matter. */
	setenv("TZ", "Asia/Tokyo", 1);
	/* Berlin winter (UTC+1): 23:59:59 local = 22:59:59 UTC */
	CHECK(civil_day_end_ms("Europe/Berlin",
	    civil_from_ymd(2026, 1, 15), &ms, &err) == 0);
	CHECK(ms == 1768517999000LL);
	/* Berlin summer (UTC+2) */
	CHECK(civil_day_end_ms("Europe/Berlin",
	    civil_from_ymd(2026, 7, 15), &ms, &err) == 0);
	CHECK(ms == 1784152799000LL);
	/* DST change days: 2026-03-29 (spring), 2026-10-25 (autumn) */
	CHECK(civil_day_end_ms("Europe/Berlin",
	    civil_from_ymd(2026, 3, 29), &ms, &err) == 0);
	CHECK(ms == 1774821599000LL);
	CHECK(civil_day_end_ms("Europe/Berlin",
	    civil_from_ymd(2026, 10, 25), &ms, &err) == 0);
	CHECK(ms == 1792969199000LL);
	/* negative offset: Los Angeles winter UTC-8 */
	CHECK(civil_day_end_ms("America/Los_Angeles",
	    civil_from_ymd(2026, 1, 15), &ms, &err) == 0);
	CHECK(ms == 1768550399000LL);
	/* a zone that changes at midnight: America/Santiago */
	CHECK(civil_day_end_ms("America/Santiago",
	    civil_from_ymd(2026, 9, 5), &ms, &err) == 0);
	CHECK(ms % 1000 == 0);
	CHECK(civil_day_end_ms("Nope/Zone", 0, &ms, &err) == -1);
	CHECK(strstr(err.msg, "Nope/Zone") != NULL);
}

static void
test_gaps_and_repeats(void)
{
	struct err err = { 0 };
	int64_t utc = 0;
	int32_t d;

	/* 02:30 does not exist on 2026-03-29 in Berlin: moves forward to
	 * 03:30 CEST = 01:30 UTC. */
	d = civil_from_ymd(2026, 3, 29);
	CHECK(civil_local_to_utc("Europe/Berlin", d, 2 * 3600 + 1800, &utc,
	    &err) == 0);
	CHECK(utc == (int64_t)d * 86400 + 3600 + 1800);
	/* 02:30 twice on 2026-10-25: the first, 00:30 UTC (CEST). */
	d = civil_from_ymd(2026, 10, 25);
	CHECK(civil_local_to_utc("Europe/Berlin", d, 2 * 3600 + 1800, &utc,
	    &err) == 0);
	CHECK(utc == (int64_t)d * 86400 + 1800);
}

static void
test_today(void)
{
	struct err err = { 0 };
	int32_t day = 0;
	/* 2026-11-29T23:30:00Z: already the 30th in Berlin, the 29th in LA */
	time_t t = (time_t)civil_from_ymd(2026, 11, 29) * 86400 + 23 * 3600 +
	    1800;

	CHECK(civil_today("Europe/Berlin", t, &day, &err) == 0);
	CHECK(day == civil_from_ymd(2026, 11, 30));
	CHECK(civil_today("America/Los_Angeles", t, &day, &err) == 0);
	CHECK(day == civil_from_ymd(2026, 11, 29));
}

/*
 * The morning window needs the wall-clock hour. On a DST change day it is
 * not the time since local midnight (the collector's old formula).
 */
static void
test_civil_hour(void)
{
	static const struct { const char *zone; int y, m, d; int64_t utc;
	    int hour, elapsed; } c[] = {
		/* Berlin fall back: 06:00 CET = 05:00Z, 7 h after midnight */
		{ "Europe/Berlin", 2026, 10, 25, 1792904400, 6, 7 },
		/* Berlin spring forward: 06:00 CEST = 04:00Z, 5 h elapsed */
		{ "Europe/Berlin", 2026, 3, 29, 1774756800, 6, 5 },
		/* 04:30 CEST = 02:30Z: the window opens at 4, not at 3 */
		{ "Europe/Berlin", 2026, 3, 29, 1774751400, 4, 3 },
		/* New York fall back: 12:30 EST = 17:30Z, 13.5 h elapsed */
		{ "America/New_York", 2026, 11, 1, 1793554200, 12, 13 },
		/* New York spring forward: 04:00 EDT = 08:00Z, 3 h elapsed */
		{ "America/New_York", 2026, 3, 8, 1772956800, 4, 3 },
		/* an ordinary day: both agree */
		{ "Europe/Berlin", 2026, 7, 15, 1784095200, 8, 8 },
	};
	struct err err = { 0 };
	int64_t midnight;
	int32_t day;
	size_t i;
	int hour;

	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		day = civil_from_ymd(c[i].y, c[i].m, c[i].d);
		CHECK(civil_local_to_utc(c[i].zone, day, 0, &midnight,
		    &err) == 0);
		CHECK((int)((c[i].utc - midnight) / 3600) == c[i].elapsed);
		CHECK(civil_hour(c[i].zone, (time_t)c[i].utc, &hour,
		    &err) == 0);
		CHECK(hour == c[i].hour);
	}
	CHECK(civil_hour("Nope/Zone", 0, &hour, &err) == -1);
	CHECK(strstr(err.msg, "'Nope/Zone'") != NULL);
}

void
suite_civil(void)
{
	test_calendar();
	test_parse();
	test_parse_times();
	test_zones();
	test_day_end();
	test_gaps_and_repeats();
	test_today();
	test_civil_hour();
}
