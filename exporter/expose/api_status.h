/*
 * api_status: the accounts' status as one JSON document, for /api/status
 * and, rendered as HTML, the page at / (page.h): per account its source,
 * token state and expiry, last and next sync, the last error in words
 * with the README section that fixes it, the rate budget, each data
 * kind's history progress and the devices.
 *
 * Pure: it reads published snapshots and statuses only (cache.h), never
 * a field a worker writes, and holds nothing secret: no token, no code,
 * no client secret is in either.
 */
#ifndef SYNCBIT_API_STATUS_H
#define SYNCBIT_API_STATUS_H

#include <stddef.h>
#include <stdint.h>

#include <cJSON.h>

#include "cache.h"

/* The last authorization started on the page, per account. */
enum api_auth {
	API_AUTH_NONE,
	API_AUTH_RUNNING,	/* the code is being exchanged */
	API_AUTH_DONE,
	API_AUTH_FAILED,	/* auth_text says why */
};

/* One account as the page sees it. */
struct api_account {
	const char *user;		/* the user label */
	const char *source;		/* the driver's name */
	const struct snapshot *snap;	/* NULL: no cycle finished yet */
	const struct status *status;	/* NULL: no turn yet */
	int running;			/* 0: it could not be opened */
	int auth;			/* enum api_auth */
	const char *auth_text;		/* API_AUTH_FAILED: why */
	int64_t auth_at;		/* UTC s of its last change */
};

/* The document (caller must cJSON_Delete), or NULL when out of memory. */
cJSON *api_status_build(const struct api_account *, size_t n,
    const char *version, int64_t now);
/* The README section that fixes readiness state ready: "#authorize",
 * "#troubleshooting"; NULL when it is fine. */
const char *api_status_help(int ready);

#endif
