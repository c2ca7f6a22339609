/*
 * driver: the table of health APIs SyncBit can read.
 *
 * A driver is everything the core needs to know about one API, so that
 * main, config, err and stats know no provider by name: the name SOURCE
 * selects, the prefix of its variables, its OAuth endpoints, scopes and
 * client authentication, the hints its errors give the user, and the
 * constructor of its struct source (source.h).
 *
 * The built-in drivers are listed in driver.c. A driver built elsewhere
 * (the tests' synthetic source) adds itself with source_driver_add()
 * before main runs, from a constructor function.
 *
 * Each driver has six variables, PREFIX + CLIENT_ID, CLIENT_SECRET,
 * REDIRECT_URI, AUTH_URL, TOKEN_URL and the API base (PREFIX + api_var),
 * with the defaults below (config.c).
 */
#ifndef SYNCBIT_SOURCE_DRIVER_H
#define SYNCBIT_SOURCE_DRIVER_H

#include <stddef.h>

struct httpc;
struct oauth;
struct stats_account;
struct source;

#define SOURCE_DRIVERS_MAX 8

/* What a driver's constructor gets. */
struct source_settings {
	const char *api_url;		/* PREFIX + api_var, no trailing / */
	struct oauth *oauth;		/* borrowed */
	struct httpc *http;		/* borrowed */
	struct stats_account *stats;	/* the account's; NULL: the first */
	int routes_days;		/* EXERCISE_ROUTES_DAYS; 0: routes off */
};

struct source_driver {
	const char *name;		/* SOURCE=name; the token file's name */
	const char *prefix;		/* of its variables: "GOOGLE_" */
	const char *brand;		/* "Google": --help's "Google OAuth ..." */
	const char *title;		/* "Google Health API", for messages */
	const char *client_note;	/* --help's note on the client id */
	/* the API base: variable (after the prefix), default, --help */
	const char *api_var;
	const char *api_url;
	const char *api_help;
	/* OAuth2: defaults of the endpoints, what --authorize asks for */
	const char *auth_url;
	const char *token_url;
	const char *redirect_uri;
	const char *scopes;		/* space-separated */
	/* added to scopes with EXERCISE_ROUTES=on: the workouts' GPS */
	const char *route_scopes;
	int basic_auth;			/* 1: Basic header; 0: id+secret in body */
	const char *auth_params;	/* appended to the authorize URL, or NULL */
	/* one line each telling the user what to do */
	const char *invalid_grant_hint;	/* the refresh token was refused */
	const char *account_hint;	/* ERR_ACCOUNT: /readyz's reason */
	/* A new source, or NULL (out of memory). */
	struct source *(*create)(const struct source_settings *);
};

/* The drivers, built-in first, in --help order. */
const struct source_driver *const *source_drivers(size_t *n);
/* The driver called name (case-insensitive), or NULL. */
const struct source_driver *source_driver_find(const char *name);
/* Add a driver built outside exporter/source/ (from a constructor, before
 * main): 0, or -1 when the table is full or the name is taken. */
int source_driver_add(const struct source_driver *);

#endif
