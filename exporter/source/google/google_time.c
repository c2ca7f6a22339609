/*
 * google_time: RFC 3339 timestamps of the Google Health API -> UTC
 * milliseconds (google_time_ms(), declared in google_parse.h). Pure; no
 * process time zone.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "civil.h"
#include "google_parse.h"

/* t starts with shape: 'd' a digit, 's' a sign, else that character. */
static int
shaped(const char *t, const char *shape)
{
	for (; *shape != '\0'; t++, shape++)
		if (*shape == 'd' ? !isdigit((unsigned char)*t) :
		    *shape == 's' ? *t != '+' && *t != '-' : *t != *shape)
			return 0;
	return 1;
}

int
google_time_ms(const char *t, int64_t *ms)
{
	int y, mo, d, h, mi, s, frac = 0, scale = 100, oh = 0, om = 0;
	int yy, mm, dd, sign = 0;
	const char *p;
	int32_t day;

	if (t == NULL || !shaped(t, "dddd-dd-ddTdd:dd:dd") ||
	    sscanf(t, "%4d-%2d-%2dT%2d:%2d:%2d", &y, &mo, &d, &h, &mi,
	    &s) != 6 || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 ||
	    mi > 59 || s > 59)
		return -1;
	p = t + 19;
	if (*p == '.' && isdigit((unsigned char)p[1]))
		for (p++; isdigit((unsigned char)*p); p++, scale /= 10)
			frac += (*p - '0') * scale;
	if (shaped(p, "sdd:dd") && p[6] == '\0') {
		sign = *p == '-' ? -1 : 1;
		sscanf(p + 1, "%2d:%2d", &oh, &om);
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
