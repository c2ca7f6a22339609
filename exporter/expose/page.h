/*
 * page: the status page at / : the /api/status document (api_status.h)
 * as server-side HTML with one small inline stylesheet, no script and no
 * outside asset. Every value from outside (a user label, an error text,
 * a device name) is HTML-escaped. While a backfill runs, or an
 * authorization is being completed, the page reloads itself (<meta
 * http-equiv=refresh>). Pure.
 */
#ifndef SYNCBIT_PAGE_H
#define SYNCBIT_PAGE_H

#include <stddef.h>
#include <stdio.h>

#include <cJSON.h>

#define PAGE_REFRESH_S 5	/* the reload while history is pending */

/* The page of doc into a malloc'd buffer of *len bytes (NUL-terminated),
 * or NULL when out of memory. csrf: the token the Authorize buttons post
 * (NULL: no buttons). */
char *page_render(const cJSON *doc, const char *csrf, size_t *len);
/* Write s with & < > " ' escaped. */
void page_escape(FILE *, const char *s);

#endif
