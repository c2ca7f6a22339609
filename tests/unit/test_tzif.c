/*
 * tzif: zone offsets from TZif files against glibc's localtime_r (TZ is
 * set here only: this test is single-threaded), footer-only ("slim")
 * files, bad and truncated files, and that civil_* never touch TZ.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "civil.h"
#include "file.h"
#include "t.h"
#include "tzif.h"

static const char *zones[] = { "Europe/Berlin", "America/New_York",
    "Australia/Lord_Howe", "Asia/Kathmandu", "Pacific/Apia", "UTC",
    "America/Santiago", "Europe/Dublin", "America/Godthab",
    "Africa/Casablanca" };

/* civil_* with zones not loaded yet: the environment stays as it was. */
static void
test_environment_untouched(void)
{
	extern char **environ;
	char **env0 = environ;
	const char *tz0 = getenv("TZ");
	char saved[64];
	struct err err = { 0 };
	int32_t day;
	int64_t utc;
	int hour;

	snprintf(saved, sizeof(saved), "%s", tz0 != NULL ? tz0 : "(unset)");
	CHECK(civil_today("Europe/Paris", 1792969199, &day, &err) == 0);
	CHECK(civil_local_to_utc("Asia/Kolkata", day, 3600, &utc, &err) == 0);
	CHECK(civil_hour("America/Chicago", 1792969199, &hour, &err) == 0);
	CHECK(environ == env0 && getenv("TZ") == tz0);
	CHECK(strcmp(saved, tz0 != NULL ? tz0 : "(unset)") == 0);
}

/* Every ~3 h 17 min from 1970 to 2040, and each second around the
 * instants where the offset changes: offset, civil day and hour. */
static void
compare_zone(const char *zone)
{
	struct err err = { 0 };
	const struct tzif *z = tzif_get(zone, &err);
	int64_t t, prev_t = 0;
	long off, prev = 0;
	int bad = 0, n = 0, hour, i;
	int32_t day;
	struct tm tm;
	time_t tt;

	CHECK(z != NULL);
	if (z == NULL)
		return;
	setenv("TZ", zone, 1);
	tzset();
	for (t = 0; t < 2208988800LL; t += 11827) {
		off = tzif_offset(z, t);
		if (t > 0 && off != prev) {	/* a change in (prev_t, t] */
			for (i = -1; i <= 1; i++) {
				int64_t u = prev_t, lo = prev_t, hi = t;

				while (hi - lo > 1) {
					u = lo + (hi - lo) / 2;
					if (tzif_offset(z, u) == prev)
						lo = u;
					else
						hi = u;
				}
				tt = (time_t)(hi + i);
				localtime_r(&tt, &tm);
				bad += tm.tm_gmtoff != tzif_offset(z, hi + i);
				n++;
			}
		}
		tt = (time_t)t;
		localtime_r(&tt, &tm);
		bad += tm.tm_gmtoff != off;
		civil_today(zone, tt, &day, &err);
		civil_hour(zone, tt, &hour, &err);
		bad += day != civil_from_ymd(tm.tm_year + 1900, tm.tm_mon + 1,
		    tm.tm_mday) || hour != tm.tm_hour;
		if (bad > 0 && bad < 4)
			fprintf(stderr, "# %s at %lld: glibc %ld, tzif %ld\n",
			    zone, (long long)t, (long)tm.tm_gmtoff, off);
		prev = off;
		prev_t = t;
		n++;
	}
	CHECK(bad == 0 && n > 180000);
}

static void
test_against_glibc(void)
{
	size_t i;

	for (i = 0; i < sizeof(zones) / sizeof(zones[0]); i++)
		compare_zone(zones[i]);
	unsetenv("TZ");
	tzset();
}

/* A TZif v2 file with no transitions: only its footer says anything. */
static size_t
slim(uint8_t *out, const char *footer)
{
	static const uint8_t counts[24] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	    0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 4 };
	static const uint8_t type[10] = { 0, 0, 0, 0, 0, 0, 'S', 'T', 'D',
	    0 };
	size_t n = 0;
	int k;

	for (k = 0; k < 2; k++) {
		memcpy(out + n, "TZif2", 5);
		memset(out + n + 5, 0, 15);
		memcpy(out + n + 20, counts, 24);
		memcpy(out + n + 44, type, 10);
		n += 54;
	}
	n += (size_t)sprintf((char *)out + n, "\n%s\n", footer);
	return n;
}

static void
test_footer_only(void)
{
	static const struct { const char *footer, *zone; int64_t from; } c[] = {
		{ "CET-1CEST,M3.5.0,M10.5.0/3", "Europe/Berlin", 852076800 },
		{ "EST5EDT,M3.2.0,M11.1.0", "America/New_York", 1199145600 },
		{ "<+1030>-10:30<+11>-11,M10.1.0,M4.1.0", "Australia/Lord_Howe",
		    1230768000 },
		{ "IST-1GMT0,M10.5.0,M3.5.0/1", "Europe/Dublin", 852076800 },
		{ "<-02>2<-01>,M3.5.0/-1,M10.5.0/0", "America/Godthab",
		    1704067200 },
		{ "<+13>-13", "Pacific/Apia", 1640995200 },
	};
	uint8_t buf[256];
	struct tzif *z;
	struct err err = { 0 };
	struct tm tm;
	size_t i, len;
	int64_t t;
	time_t tt;
	int bad;

	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		len = slim(buf, c[i].footer);
		CHECK(tzif_parse(buf, len, &z, &err) == 0);
		if (z == NULL)
			continue;
		setenv("TZ", c[i].zone, 1);
		tzset();
		bad = 0;
		for (t = c[i].from; t < 2208988800LL; t += 1799) {
			tt = (time_t)t;
			localtime_r(&tt, &tm);
			bad += tm.tm_gmtoff != tzif_offset(z, t);
		}
		CHECK(bad == 0);
		tzif_free(z);
	}
	unsetenv("TZ");
	tzset();
}

static void
test_bad_files(void)
{
	static const char *footers[] = { "", "CET", "CET-1CEST,M13.5.0,M10.5.0",
	    "CET-1CEST,M3.5.0", "<+1030", "CET-1CEST,M3.5.0,M10.5.0/3x",
	    "12", "CET-1CEST,J0,J365" };
	struct err err = { 0 };
	struct tzif *z = NULL;
	uint8_t buf[256];
	char *file;
	size_t len, n, i, fails = 0, msgs = 0;

	CHECK(file_read("/usr/share/zoneinfo/Europe/Berlin", 1 << 20, &file,
	    &len, &err) == 0);
	for (n = 0; n < len; n++) {	/* every truncation */
		err_clear(&err);
		if (tzif_parse((const uint8_t *)file, n, &z, &err) == -1) {
			fails++;
			msgs += err.msg[0] != '\0' && z == NULL;
		} else
			tzif_free(z);
	}
	CHECK(fails == len && msgs == len);
	file[4] = '1';	/* a version 1 file: the 32-bit block alone works */
	CHECK(tzif_parse((const uint8_t *)file, len, &z, &err) == 0);
	CHECK(z != NULL && tzif_offset(z, 1792969199) == 3600);
	tzif_free(z);
	file[20 + 12] = 1;	/* a leap-second table */
	CHECK(tzif_parse((const uint8_t *)file, len, &z, &err) == -1);
	free(file);
	for (i = 0; i < sizeof(footers) / sizeof(footers[0]); i++) {
		err_clear(&err);
		n = slim(buf, footers[i]);
		if (i == 0) {	/* an empty footer: valid, UTC offset of type 0 */
			CHECK(tzif_parse(buf, n, &z, &err) == 0);
			CHECK(z != NULL && tzif_offset(z, 0) == 0);
			tzif_free(z);
			continue;
		}
		CHECK(tzif_parse(buf, n, &z, &err) == -1 && z == NULL);
		CHECK(strstr(err.msg, "footer") != NULL);
	}
	err_clear(&err);
	CHECK(tzif_parse((const uint8_t *)"TZif", 4, &z, &err) == -1);
	CHECK(strcmp(err.msg, "not a TZif file") == 0);
	err_clear(&err);
	CHECK(tzif_get("Nope/Zone", &err) == NULL);
	CHECK(strcmp(err.msg, "unknown time zone 'Nope/Zone'") == 0);
}

void
suite_tzif(void)
{
	test_environment_untouched();
	test_footer_only();
	test_bad_files();
	test_against_glibc();
}
