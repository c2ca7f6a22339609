/*
 * config: SPEC's variables from the environment, a .env file and argv,
 * checked once at start-up into a struct config that is read-only after.
 *
 * Order: defaults, then the .env file (./.env or --env-file), then the real
 * environment (it wins), then command-line options. Every invalid value
 * fails with one line naming the variable and what is wrong; a secret's
 * value is never quoted in that line.
 */
#ifndef SYNCBIT_CONFIG_H
#define SYNCBIT_CONFIG_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "err.h"
#include "log.h"
#include "source/driver.h"

#define CONFIG_STR_MAX 1024
#define CONFIG_USERS_MAX 1024		/* accounts in USERS */
#define CONFIG_USER_NAME_MAX 32		/* bytes of one name, [a-z0-9_-] */
/* any path of config_*_path() and config_account_dir() fits */
#define CONFIG_PATH_MAX (CONFIG_STR_MAX + CONFIG_USER_NAME_MAX + 64)

enum config_mode {
	MODE_SERVICE,		/* syncbit */
	MODE_AUTHORIZE,		/* --authorize */
	MODE_ONCE,		/* --once */
	MODE_BACKFILL,		/* --backfill --from [--to] */
	MODE_HEALTHCHECK,	/* --healthcheck: GET our own /healthz */
	MODE_HELP,
	MODE_VERSION
};

/* One driver's variables (source/driver.h: PREFIX + CLIENT_ID, ...). */
struct config_source {
	const struct source_driver *driver;
	char client_id[CONFIG_STR_MAX];
	char client_secret[CONFIG_STR_MAX];
	char redirect_uri[CONFIG_STR_MAX];
	char api_url[CONFIG_STR_MAX];
	char auth_url[CONFIG_STR_MAX];
	char token_url[CONFIG_STR_MAX];
};

struct config {
	enum config_mode mode;

	/* every driver's variables, in the driver table's order */
	struct config_source sources[SOURCE_DRIVERS_MAX];
	size_t nsources;
	size_t source;			/* SOURCE: the index of the chosen */

	char user_id[CONFIG_STR_MAX];		/* FITBIT_USER_ID */

	/* USERS: each account's name, its user label and its directory
	 * DATA_DIR/users/NAME/; nusers 0: one account, labelled user_id,
	 * its files at DATA_DIR's top */
	size_t nusers;
	char users[CONFIG_USERS_MAX][CONFIG_USER_NAME_MAX + 1];
	int user_index;		/* --user: index in users[], -1 none */

	char victoria_endpoint[CONFIG_STR_MAX];	/* "" = no remote write */
	char victoria_user[CONFIG_STR_MAX];
	char victoria_password[CONFIG_STR_MAX];
	char admin_password[CONFIG_STR_MAX];	/* "": loopback only */

	int sync_interval_minutes;
	int32_t backfill_start;			/* civil day; -1 = account start */
	unsigned collect;			/* COLLECT + INTRADAY: kinds.h */
	int routes_days;	/* EXERCISE_ROUTES_DAYS; 0: EXERCISE_ROUTES=off */
	char listen_address[CONFIG_STR_MAX];	/* as given, "host:port" */
	char listen_host[CONFIG_STR_MAX];	/* parsed */
	int listen_port;
	char data_dir[CONFIG_STR_MAX];
	enum log_level log_level;
	char ca_file[CONFIG_STR_MAX];		/* CA_FILE, "" = system CAs */

	/* --backfill range (civil days); to = -1: yesterday */
	int32_t backfill_from;
	int32_t backfill_to;

	/* --listen-all: --authorize accepts the callback on every interface */
	int callback_bind_all;
};

/*
 * Fill cfg from argv, the .env file and envp ("KEY=value" strings, NULL
 * ended; main passes environ, tests a synthetic array). Returns 0, or -1
 * with a one-line err ("SYNC_INTERVAL_MINUTES: 'abc' is not a whole
 * number"); on failure cfg is zeroed. --help and --version set cfg->mode
 * and return 0 without reading anything else. --healthcheck needs no
 * source: with SOURCE unset and no client id, cfg->source is the first
 * driver.
 * Uses getopt_long(), so it is not thread-safe: call it before threads.
 */
int config_load(struct config *cfg, int argc, char **argv, char **envp,
    struct err *);

/* Print --help: every option and variable with its default. */
void config_usage(FILE *);

/* The chosen source's variables. */
const struct config_source *config_source(const struct config *);

/*
 * Paths inside data_dir, for one account: user is its name (users[i]),
 * or NULL in single-account mode, where the files sit at DATA_DIR's top
 * (DATA_DIR/google_tokens.json); with a name they are in
 * DATA_DIR/users/NAME/. CONFIG_PATH_MAX bytes always suffice
 * (CONFIG_STR_MAX + 32 for user NULL); a buffer too small gets "" rather
 * than a truncated path.
 */
/* DATA_DIR as given (NULL), or DATA_DIR/users/NAME */
void config_account_dir(const struct config *, const char *user,
    char *buf, size_t size);
/* the chosen source's token file, NAME_tokens.json */
void config_token_path(const struct config *, const char *user,
    char *buf, size_t size);
void config_state_path(const struct config *, const char *user,
    char *buf, size_t size);
/* syncbit.lock (lock.h) */
void config_lock_path(const struct config *, const char *user,
    char *buf, size_t size);
/* DATA_DIR/syncbit.log, one for the process */
void config_log_path(const struct config *, char *buf, size_t size);

#endif
