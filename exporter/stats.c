/*
 * stats: the process' self-metrics (see stats.h). Writers are the
 * collector thread and what it calls; the HTTP server only reads.
 */
#include <string.h>

#include "remote/rwstatus.h"
#include "stats.h"

static struct stats the_stats = {
	.rate_limit_remaining = -1,
	.sync_interval_s = 900,
};

struct stats *
stats_get(void)
{
	return &the_stats;
}

void
stats_reset(void)
{
	size_t i;

	for (i = 0; i < STATS_HTTP_CODES; i++)
		atomic_store(&the_stats.api_requests[i], 0);
	atomic_store(&the_stats.rw_sent, 0);
	atomic_store(&the_stats.rw_retried, 0);
	atomic_store(&the_stats.rw_rejected, 0);
	atomic_store(&the_stats.rate_limit_remaining, -1);
	atomic_store(&the_stats.token_expiry, 0);
	atomic_store(&the_stats.backfill_days_pending, 0);
	atomic_store(&the_stats.last_sync_success, 0);
	atomic_store(&the_stats.last_sync_ts, 0);
	atomic_store(&the_stats.failing_since, 0);
	atomic_store(&the_stats.ready, READY_STARTING);
	atomic_store(&the_stats.sync_interval_s, 900);
	atomic_store(&the_stats.rw_refused, 0);
	atomic_store(&the_stats.ready_hint, NULL);
}

void
stats_count_request(long status)
{
	if (status < 0 || status >= STATS_HTTP_CODES)
		status = 0;
	atomic_fetch_add(&the_stats.api_requests[status], 1);
}

int
stats_ready(int64_t now, const char **reason)
{
	struct stats *s = &the_stats;
	int64_t failing = atomic_load(&s->failing_since);
	int64_t grace = 3 * (int64_t)atomic_load(&s->sync_interval_s);
	int refused = atomic_load(&s->rw_refused);

	switch (atomic_load(&s->ready)) {
	case READY_NO_TOKEN:
		*reason = "no token: run 'syncbit --authorize'";
		return 0;
	case READY_INVALID_GRANT:
		*reason = "refresh token refused (invalid_grant): "
		    "run 'syncbit --authorize' again";
		return 0;
	case READY_ACCOUNT:
		*reason = atomic_load(&s->ready_hint);
		if (*reason == NULL)
			*reason = "the API has no data of this account: "
			    "see the log";
		return 0;
	case READY_FORBIDDEN:
		*reason = "the API refuses every request (403): "
		    "see the log and README, Troubleshooting";
		return 0;
	case READY_STARTING:
		*reason = "first sync not finished yet";
		return 0;
	default:
		break;
	}
	if (refused != 0) {
		*reason = rwstatus_hint(refused);
		return 0;
	}
	if (failing != 0 && now - failing > grace) {
		*reason = "syncs have failed for more than three intervals";
		return 0;
	}
	*reason = "ok";
	return 1;
}
