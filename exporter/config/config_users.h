/*
 * config_users: USERS and --user for config.c (config_load). Not for
 * other modules: they read struct config (config.h).
 */
#ifndef SYNCBIT_CONFIG_USERS_H
#define SYNCBIT_CONFIG_USERS_H

#include "config.h"
#include "err.h"

/*
 * USERS ("alice, bob"; "" = single-account mode) into cfg->users and
 * cfg->nusers. Blanks around a name are dropped; an empty item, a name
 * that is not 1-32 of [a-z0-9_-], a name listed twice and more than
 * CONFIG_USERS_MAX names fail with one line naming the item.
 */
int config_users_parse(struct config *, const char *users, struct err *);

/*
 * --user NAME (NULL: not given) against cfg->users and cfg->mode, into
 * cfg->user_index (-1: none). Fails when --user is given without USERS
 * or names no account of it, and when --authorize has USERS but no
 * --user.
 */
int config_users_pick(struct config *, const char *user, struct err *);

#endif
