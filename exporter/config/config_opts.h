/*
 * config_opts: the command line for config.c (config_load). Not for
 * other modules: they read struct config (config.h).
 */
#ifndef SYNCBIT_CONFIG_OPTS_H
#define SYNCBIT_CONFIG_OPTS_H

#include "config.h"
#include "err.h"

struct config_opts {
	enum config_mode mode;
	const char *mode_opt;	/* the option that chose mode */
	int help;
	int version;
	int listen_all;
	const char *env_file;	/* --env-file; NULL: ./.env */
	const char *log_level;	/* --log-level; NULL: LOG_LEVEL decides */
	const char *from;	/* --from, --to: checked into cfg */
	const char *to;
	const char *user;	/* --user; checked against USERS by config.c */
};

/*
 * Parse argv into o (its strings point into argv) and set cfg->mode,
 * cfg->callback_bind_all, cfg->backfill_from and cfg->backfill_to.
 * --help and --version win over any mistake in the others: then only
 * cfg->mode is set and 0 returned. Otherwise -1 with one line in err
 * ("--from needs --backfill", "unknown option '--x'; see --help").
 * --user is only kept in o (USERS is not read yet).
 */
int config_opts_parse(struct config *, struct config_opts *, int argc,
    char **argv, struct err *);

#endif
