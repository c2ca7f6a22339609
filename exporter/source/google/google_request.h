/*
 * google_request: the Google Health API requests SyncBit sends -- URLs
 * with their escaped filters and page tokens, and the JSON bodies of the
 * roll-ups, built with cJSON (a page token from the server is a JSON
 * string, never pasted into the text). Pure: no I/O. Private to the
 * Google source and its tests.
 *
 * Every function returns a string the caller frees, or NULL when out of
 * memory. A page token is optional (NULL or "": none).
 */
#ifndef SYNCBIT_GOOGLE_REQUEST_H
#define SYNCBIT_GOOGLE_REQUEST_H

#include <stdint.h>

/*
 * The dataPoints list URL of data type `type` ("daily-vo2-max") over
 * civil days [from, to]: filter {t}.{member} >= "from" AND < "to + 1"
 * ({t} the snake_case type, member e.g. "date").
 */
char *google_list_url(const char *api_url, const char *type,
    const char *member, int page_size, int32_t from, int32_t to,
    const char *page_token);

/* GET users/me/pairedDevices, 100 a page. */
char *google_devices_url(const char *api_url, const char *page_token);

/* GET the TCX of the exercise point called name ("users/me/dataTypes/
 * exercise/dataPoints/ID" or just ID): its ID escaped; partialData=true,
 * so points without a position (no GPS fix yet, a treadmill) keep their
 * heart rate. NULL also when name ends in '/'. */
char *google_tcx_url(const char *api_url, const char *name);

/* The rollUp body of UTC days [from, to], one-minute windows. */
char *google_minutes_body(int32_t from, int32_t to, int page_size,
    const char *page_token);

#endif
