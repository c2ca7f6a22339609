/*
 * civil_text: the strict text forms of dates and times the APIs send, in
 * one place (declared in civil.h): a calendar date, a clock time, a local
 * date-time and an RFC 3339 instant. Each checks the exact shape and real
 * values (no 25:00, no February 30th); anything else is -1. Pure.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "civil.h"

/* s starts with the shape pat: 'd' a digit, 's' a sign, else itself. */
static int
shaped(const char *s, const char *pat)
{
	for (; *pat != '\0'; s++, pat++)
		if (*pat == 'd' ? !isdigit((unsigned char)*s) :
		    *pat == 's' ? *s != '+' && *s != '-' : *s != *pat)
			return 0;
	return 1;
}

/* The number of the n digits at s (shaped() checked them). */
static int
digits(const char *s, int n)
{
	int v = 0;

	while (n-- > 0)
		v = v * 10 + (*s++ - '0');
	return v;
}

static int
days_in_month(int y, int m)
{
	static const int dim[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31,
	    30, 31 };
	int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

	return m == 2 && leap ? 29 : dim[m - 1];
}

int
civil_parse(const char *s, int32_t *day)
{
	int y, m, d;

	if (s == NULL || strlen(s) != 10 || !shaped(s, "dddd-dd-dd"))
		return -1;
	y = digits(s, 4);
	m = digits(s + 5, 2);
	d = digits(s + 8, 2);
	if (y < 1970 || m < 1 || m > 12 || d < 1 || d > days_in_month(y, m))
		return -1;
	*day = civil_from_ymd(y, m, d);
	return 0;
}

int
civil_parse_clock(const char *s)
{
	int h, m, sec;

	if (s == NULL || strlen(s) != 8 || !shaped(s, "dd:dd:dd"))
		return -1;
	h = digits(s, 2);
	m = digits(s + 3, 2);
	sec = digits(s + 6, 2);
	if (h > 23 || m > 59 || sec > 59)
		return -1;
	return h * 3600 + m * 60 + sec;
}

int
civil_parse_local(const char *s, int32_t *day, int *sec, int *ms)
{
	char b[CIVIL_DATE_LEN + 9];
	size_t n = s != NULL ? strlen(s) : 0;

	if ((n != 19 && n != 23) || !shaped(s, "dddd-dd-ddTdd:dd:dd") ||
	    (n == 23 && !shaped(s + 19, ".ddd")))
		return -1;
	memcpy(b, s, 19);
	b[10] = b[19] = '\0';
	*ms = n == 23 ? digits(s + 20, 3) : 0;
	return civil_parse(b, day) == 0 && (*sec = civil_parse_clock(b + 11)) >=
	    0 ? 0 : -1;
}

int
civil_parse_rfc3339(const char *t, int64_t *ms)
{
	int y, mo, d, h, mi, s, frac = 0, scale = 100, oh = 0, om = 0;
	int yy, mm, dd, sign = 0;
	const char *p;
	int32_t day;

	if (t == NULL || !shaped(t, "dddd-dd-ddTdd:dd:dd"))
		return -1;
	y = digits(t, 4);
	mo = digits(t + 5, 2);
	d = digits(t + 8, 2);
	h = digits(t + 11, 2);
	mi = digits(t + 14, 2);
	s = digits(t + 17, 2);
	if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 ||
	    s > 59)
		return -1;
	p = t + 19;
	if (*p == '.' && isdigit((unsigned char)p[1]))
		for (p++; isdigit((unsigned char)*p); p++, scale /= 10)
			frac += (*p - '0') * scale;
	if (shaped(p, "sdd:dd") && p[6] == '\0') {
		sign = *p == '-' ? -1 : 1;
		oh = digits(p + 1, 2);
		om = digits(p + 4, 2);
	} else if (strcmp(p, "Z") != 0)
		return -1;
	day = civil_from_ymd(y, mo, d);
	civil_to_ymd(day, &yy, &mm, &dd);
	if (yy != y || mm != mo || dd != d || oh > 23 || om > 59)
		return -1;
	*ms = ((int64_t)day * 86400 + h * 3600 + mi * 60 + s -
	    sign * (oh * 3600 + om * 60)) * 1000 + frac;
	return 0;
}
