/*
 * server: the HTTP endpoints (libmicrohttpd): /metrics, /healthz,
 * /readyz, / ; 404 for other paths, 405 for methods other than GET/HEAD.
 *
 * Handlers run on libmicrohttpd's polling thread: they never call an API,
 * they render the cache's current snapshot and the stats. Connections
 * have a timeout and a limit (libmicrohttpd has none by default).
 */
#ifndef SYNCBIT_SERVER_H
#define SYNCBIT_SERVER_H

#include "cache.h"
#include "err.h"
#include "expo.h"

struct server;

/* An account at /metrics: its label, its cache, its numbers. */
struct server_account {
	const char *user;
	struct cache *cache;
	const struct stats_account *st;
};

struct server_config {
	const char *host;		/* "" or "0.0.0.0": all IPv4 */
	int port;			/* 0: any free port (tests) */
	const struct server_account *accounts;	/* borrowed, naccounts */
	size_t naccounts;
	struct expo_info info;		/* strings borrowed */
	unsigned int timeout_s;		/* 0: 15 s */
	unsigned int max_connections;	/* 0: 128 */
};

struct server *server_start(const struct server_config *, struct err *);
int server_port(const struct server *);
void server_stop(struct server *);

#endif
