/*
 * server: the HTTP endpoints (libmicrohttpd): /metrics, /healthz,
 * /readyz, the status page / and /api/status (page.h, api_status.h), and
 * the page's Authorize: POST /authorize and GET /callback (webauth.h:
 * loopback clients, or ADMIN_PASSWORD); 404 for other paths, 405 for
 * other methods (POST only on /authorize).
 *
 * Handlers run on libmicrohttpd's polling thread: they never call an API,
 * they render the cache's current snapshot and the stats. Connections
 * have a timeout and a limit (libmicrohttpd has none by default).
 */
#ifndef SYNCBIT_SERVER_H
#define SYNCBIT_SERVER_H

#include "auth/oauth.h"
#include "cache.h"
#include "err.h"
#include "expo.h"

struct server;

/* An account at /metrics: its label, its cache, its numbers. */
struct server_account {
	const char *user;
	struct cache *cache;
	const struct stats_account *st;
	/* the page's Authorize: the account's provider (NULL: no button
	 * works) and what to call once new tokens are saved (the fleet
	 * runs its turn at once), from the server's thread */
	const struct oauth_provider *prov;
	struct oauth *oauth;		/* the account's, thread-safe */
	void (*authorized)(void *arg);
	void *arg;
};

struct server_config {
	const char *host;		/* "" or "0.0.0.0": all IPv4 */
	int port;			/* 0: any free port (tests) */
	const struct server_account *accounts;	/* borrowed, naccounts */
	size_t naccounts;
	struct expo_info info;		/* strings borrowed */
	unsigned int timeout_s;		/* 0: 15 s */
	unsigned int max_connections;	/* 0: 128 */
	const char *admin_password;	/* NULL or "": loopback only */
	struct httpc *http;		/* the code exchange's; borrowed */
};

struct server *server_start(const struct server_config *, struct err *);
int server_port(const struct server *);
void server_stop(struct server *);

#endif
