/*
 * stats: the process' self-metrics (see stats.h). Writers are the workers
 * running the accounts and what they call; the HTTP server only reads.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "remote/rwstatus.h"
#include "stats.h"

static struct stats_account one_account = {
	.user = "default",
	.rate_limit_remaining = -1,
};

static struct stats the_stats = {
	.sync_interval_s = 900,
	.naccounts = 1,
	.accounts = &one_account,
};

struct stats *
stats_get(void)
{
	return &the_stats;
}

static void
account_reset(struct stats_account *a)
{
	size_t i;

	for (i = 0; i < STATS_HTTP_CODES; i++)
		atomic_store(&a->api_requests[i], 0);
	atomic_store(&a->rate_limit_remaining, -1);
	atomic_store(&a->token_expiry, 0);
	atomic_store(&a->backfill_days_pending, 0);
	atomic_store(&a->last_sync_success, 0);
	atomic_store(&a->last_sync_ts, 0);
	atomic_store(&a->failing_since, 0);
	atomic_store(&a->ready, READY_STARTING);
	atomic_store(&a->ready_hint, NULL);
}

int
stats_accounts(size_t n, const char *const *users)
{
	struct stats_account *a;
	size_t i;

	if (n == 0 || (a = calloc(n, sizeof(*a))) == NULL)
		return -1;
	for (i = 0; i < n; i++) {
		snprintf(a[i].user, sizeof(a[i].user), "%s", users[i]);
		account_reset(&a[i]);
	}
	if (the_stats.accounts != &one_account)
		free(the_stats.accounts);
	the_stats.accounts = a;
	the_stats.naccounts = n;
	return 0;
}

struct stats_account *
stats_account(size_t i)
{
	return &the_stats.accounts[i < the_stats.naccounts ? i : 0];
}

struct stats_account *
stats_or_first(struct stats_account *a)
{
	return a != NULL ? a : stats_account(0);
}

void
stats_reset(void)
{
	size_t i;

	atomic_store(&the_stats.rw_sent, 0);
	atomic_store(&the_stats.rw_retried, 0);
	atomic_store(&the_stats.rw_rejected, 0);
	atomic_store(&the_stats.sync_interval_s, 900);
	atomic_store(&the_stats.rw_refused, 0);
	for (i = 0; i < the_stats.naccounts; i++)
		account_reset(&the_stats.accounts[i]);
}

void
stats_count_request(struct stats_account *a, long status)
{
	if (status < 0 || status >= STATS_HTTP_CODES)
		status = 0;
	atomic_fetch_add(&stats_or_first(a)->api_requests[status], 1);
}

int
stats_account_ready(const struct stats_account *a, int64_t now,
    const char **reason)
{
	int64_t failing = atomic_load(&a->failing_since);
	int64_t grace = 3 * (int64_t)atomic_load(&the_stats.sync_interval_s);

	switch (atomic_load(&a->ready)) {
	case READY_NO_TOKEN:
		*reason = "no token: run 'syncbit --authorize'";
		return 0;
	case READY_INVALID_GRANT:
		*reason = "refresh token refused (invalid_grant): "
		    "run 'syncbit --authorize' again";
		return 0;
	case READY_ACCOUNT:
		*reason = atomic_load(&a->ready_hint);
		if (*reason == NULL)
			*reason = "the API has no data of this account: "
			    "see the log";
		return 0;
	case READY_FORBIDDEN:
		*reason = "the API refuses every request (403): "
		    "see the log and README, Troubleshooting";
		return 0;
	case READY_BROKEN:
		*reason = "the account's directory cannot be used: see the log";
		return 0;
	case READY_STARTING:
		*reason = "first sync not finished yet";
		return 0;
	default:
		break;
	}
	if (failing != 0 && now - failing > grace) {
		*reason = "syncs have failed for more than three intervals";
		return 0;
	}
	*reason = "ok";
	return 1;
}

int
stats_ready(int64_t now, const char **reason)
{
	const char *first = NULL, *why;
	int refused = atomic_load(&the_stats.rw_refused);
	size_t i, ok = 0;

	for (i = 0; i < the_stats.naccounts; i++) {
		if (stats_account_ready(&the_stats.accounts[i], now, &why))
			ok++;
		else if (first == NULL)
			first = why;
	}
	if (ok == 0) {
		*reason = first != NULL ? first : "no account";
		return 0;
	}
	if (refused != 0) {
		*reason = rwstatus_hint(refused);
		return 0;
	}
	*reason = "ok";
	return 1;
}

const char *
stats_ready_name(int ready)
{
	switch (ready) {
	case READY_OK:
		return "ok";
	case READY_NO_TOKEN:
		return "no_token";
	case READY_INVALID_GRANT:
		return "invalid_grant";
	case READY_ACCOUNT:
		return "account";
	case READY_FORBIDDEN:
		return "forbidden";
	case READY_BROKEN:
		return "broken";
	default:
		return "starting";
	}
}
