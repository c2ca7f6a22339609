/*
 * google_request: URLs and JSON bodies of the Google Health API requests
 * (see google_request.h and google.h). Pure functions; any thread.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "civil.h"
#include "google.h"
#include "google_request.h"
#include "google_rollup.h"
#include "httpc.h"

/* "steps-minutes" -> "steps", "daily-vo2-max" -> "daily_vo2_max". */
static void
snake(const char *type, char *out, size_t size)
{
	size_t i;

	for (i = 0; type[i] != '\0' && i + 1 < size; i++)
		out[i] = type[i] == '-' ? '_' : type[i];
	out[i] = '\0';
}

char *
google_list_url(const char *api_url, const char *type, const char *member,
    int page_size, int32_t from, int32_t to, const char *page_token)
{
	char a[CIVIL_DATE_LEN], b[CIVIL_DATE_LEN], t[64], filter[256];
	char *ef, *et = NULL, *url = NULL;
	size_t n;

	civil_format(from, a);
	civil_format(to + 1, b);	/* the filter's end is exclusive */
	snake(type, t, sizeof(t));
	snprintf(filter, sizeof(filter), "%s.%s >= \"%s\" AND %s.%s < \"%s\"",
	    t, member, a, t, member, b);
	if ((ef = httpc_escape(filter)) == NULL)
		return NULL;
	if (page_token != NULL && *page_token != '\0' &&
	    (et = httpc_escape(page_token)) == NULL)
		goto out;
	n = strlen(api_url) + strlen(type) + strlen(ef) +
	    (et != NULL ? strlen(et) : 0) + 128;
	if ((url = malloc(n)) == NULL)
		goto out;
	snprintf(url, n, "%s/v4/users/me/dataTypes/%s/dataPoints?filter=%s"
	    "&pageSize=%d%s%s", api_url, type, ef, page_size,
	    et != NULL ? "&pageToken=" : "", et != NULL ? et : "");
out:
	free(ef);
	free(et);
	return url;
}

char *
google_rhr_url(const char *api_url, int32_t from, int32_t to,
    const char *page_token)
{
	return google_list_url(api_url, RHR_TYPE, "date", GOOGLE_PAGE_SIZE,
	    from, to, page_token);
}

char *
google_devices_url(const char *api_url, const char *page_token)
{
	char *et = NULL, *url;
	size_t n;

	if (page_token != NULL && *page_token != '\0' &&
	    (et = httpc_escape(page_token)) == NULL)
		return NULL;
	n = strlen(api_url) + (et != NULL ? strlen(et) : 0) + 96;
	if ((url = malloc(n)) != NULL)
		snprintf(url, n, "%s/v4/users/me/pairedDevices?pageSize=100%s%s",
		    api_url, et != NULL ? "&pageToken=" : "",
		    et != NULL ? et : "");
	free(et);
	return url;
}

char *
google_tcx_url(const char *api_url, const char *name)
{
	const char *id = strrchr(name, '/');
	char *eid, *url;
	size_t n;

	id = id != NULL ? id + 1 : name;
	if (*id == '\0' || (eid = httpc_escape(id)) == NULL)
		return NULL;
	n = strlen(api_url) + strlen(eid) + 96;
	/* the ':' of ':exportExerciseTcx' stays literal */
	if ((url = malloc(n)) != NULL)
		snprintf(url, n, "%s/v4/users/me/dataTypes/exercise/dataPoints/"
		    "%s:exportExerciseTcx?alt=media&partialData=true", api_url,
		    eid);
	free(eid);
	return url;
}

/* {"date": {"year", "month", "day"}} of a civil day, added to o as name. */
static int
add_date(cJSON *o, const char *name, int32_t day)
{
	cJSON *c, *d;
	int y, m, dd;

	civil_to_ymd(day, &y, &m, &dd);
	if ((c = cJSON_AddObjectToObject(o, name)) == NULL ||
	    (d = cJSON_AddObjectToObject(c, "date")) == NULL ||
	    cJSON_AddNumberToObject(d, "year", y) == NULL ||
	    cJSON_AddNumberToObject(d, "month", m) == NULL ||
	    cJSON_AddNumberToObject(d, "day", dd) == NULL)
		return -1;
	return 0;
}

/* o as compact text, o freed. */
static char *
print(cJSON *o, int ok)
{
	char *s = ok ? cJSON_PrintUnformatted(o) : NULL;

	cJSON_Delete(o);
	return s;
}

char *
google_rollup_body(int32_t from, int32_t end_excl)
{
	cJSON *o = cJSON_CreateObject(), *r;

	return print(o, o != NULL &&
	    (r = cJSON_AddObjectToObject(o, "range")) != NULL &&
	    add_date(r, "start", from) == 0 &&
	    add_date(r, "end", end_excl) == 0 &&
	    cJSON_AddNumberToObject(o, "windowSizeDays", 1) != NULL);
}

char *
google_minutes_body(int32_t from, int32_t to, int page_size,
    const char *page_token)
{
	char a[CIVIL_DATE_LEN + 16], b[CIVIL_DATE_LEN + 16];
	char da[CIVIL_DATE_LEN], db[CIVIL_DATE_LEN];
	cJSON *o = cJSON_CreateObject(), *r;

	civil_format(from, da);
	civil_format(to + 1, db);
	snprintf(a, sizeof(a), "%sT00:00:00Z", da);
	snprintf(b, sizeof(b), "%sT00:00:00Z", db);
	return print(o, o != NULL &&
	    (r = cJSON_AddObjectToObject(o, "range")) != NULL &&
	    cJSON_AddStringToObject(r, "startTime", a) != NULL &&
	    cJSON_AddStringToObject(r, "endTime", b) != NULL &&
	    cJSON_AddStringToObject(o, "windowSize", "60s") != NULL &&
	    cJSON_AddNumberToObject(o, "pageSize", page_size) != NULL &&
	    (page_token == NULL || *page_token == '\0' ||
	    cJSON_AddStringToObject(o, "pageToken", page_token) != NULL));
}
