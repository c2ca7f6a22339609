/*
 * account: one person's chain in the process: the token file and its
 * OAuth, the source, the collector with its history, the cache /metrics
 * reads, and the account's numbers (stats_account). main opens one per
 * account (USERS) or one for the single-account layout, hands the
 * collectors to the fleet and the caches to the server.
 */
#ifndef SYNCBIT_ACCOUNT_H
#define SYNCBIT_ACCOUNT_H

#include <stddef.h>

#include "auth/oauth.h"
#include "config/config.h"
#include "err.h"

struct cache;
struct collector;
struct httpc;
struct rw;
struct source;
struct stats_account;

struct account {
	const char *user;		/* the user label (cfg's string) */
	const char *name;		/* USERS' name; NULL: single account */
	char dir[CONFIG_PATH_MAX];
	char token_path[CONFIG_PATH_MAX];
	char state_path[CONFIG_PATH_MAX];
	char lock_path[CONFIG_PATH_MAX];
	int lock_fd;			/* -1: not held (single: main's) */
	struct oauth_provider prov;
	char scopes[512];		/* prov's: the driver's + routes' */
	struct oauth *oauth;
	struct source *src;
	struct cache *cache;
	struct collector *col;
	struct stats_account *st;
};

/* Fill a's paths and OAuth provider for account index i (user NULL: the
 * single-account layout); nothing is opened. */
void account_prepare(struct account *a, const struct config *,
    const char *user, size_t i);
/* Make the account's directory (USERS), take its lock (USERS), open
 * OAuth, the source and the collector; http: the client until a fleet
 * worker lends its own. -1 with one line naming the account. */
int account_open(struct account *a, const struct config *,
    struct httpc *http, struct rw *rw, struct err *);
/* --authorize's part of account_open: the directory exists. */
int account_make_dir(struct account *a, struct err *);
void account_close(struct account *a);

#endif
