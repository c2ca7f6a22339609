/*
 * config_users: the accounts of a household (USERS, --user) and the paths
 * inside DATA_DIR: each account's directory DATA_DIR/users/NAME/ with its
 * token file, sync state and lock; without USERS the same files sit at
 * DATA_DIR's top, as before there were accounts.
 */
#include <stdio.h>
#include <string.h>

#include "config.h"
#include "config_users.h"
#include "config_value.h"

#define BLANKS " \t"
#define NAME_RULE "(1-32 of a-z 0-9 _ -)"

/* 1 when name[0..n) is 1..CONFIG_USER_NAME_MAX of [a-z0-9_-]. */
static int
name_valid(const char *name, size_t n)
{
	return n >= 1 && n <= CONFIG_USER_NAME_MAX &&
	    strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789_-") >= n;
}

static int
name_index(const struct config *cfg, const char *name)
{
	size_t i;

	for (i = 0; i < cfg->nusers; i++)
		if (strcmp(cfg->users[i], name) == 0)
			return (int)i;
	return -1;
}

/* One item of USERS, blanks already dropped: item[0..n). */
static int
user_add(struct config *cfg, const char *item, size_t n, struct err *err)
{
	char b[CONFIG_VALUE_SHOWN_SIZE], name[CONFIG_VALUE_SHOWN_MAX + 1];

	snprintf(name, sizeof(name), "%.*s", (int)n, item);
	if (n == 0)
		return err_set(err, "USERS: an empty name (a comma too many?)");
	if (!name_valid(item, n))
		return err_set(err, "USERS: %s is not an account name "
		    NAME_RULE, config_value_shown(b, sizeof(b), name, 0));
	if (name_index(cfg, name) != -1)
		return err_set(err, "USERS: '%s' is listed twice", name);
	if (cfg->nusers == CONFIG_USERS_MAX)
		return err_set(err, "USERS: more than %d accounts",
		    CONFIG_USERS_MAX);
	memcpy(cfg->users[cfg->nusers++], name, n + 1);
	return 0;
}

int
config_users_parse(struct config *cfg, const char *users, struct err *err)
{
	const char *p = users;
	size_t n;

	cfg->nusers = 0;
	if (*users == '\0')
		return 0;
	for (;;) {
		p += strspn(p, BLANKS);
		n = strcspn(p, ",");
		while (n > 0 && strchr(BLANKS, p[n - 1]) != NULL)
			n--;
		if (user_add(cfg, p, n, err) == -1)
			return -1;
		p += strcspn(p, ",");
		if (*p++ == '\0')
			return 0;
	}
}

int
config_users_pick(struct config *cfg, const char *user, struct err *err)
{
	char b[CONFIG_VALUE_SHOWN_SIZE];

	cfg->user_index = -1;
	if (user != NULL && cfg->nusers == 0)
		return err_set(err, "--user: USERS is not set (one account: "
		    "no --user)");
	if (user != NULL &&
	    (cfg->user_index = name_index(cfg, user)) == -1)
		return err_set(err, "--user: %s is not in USERS",
		    config_value_shown(b, sizeof(b), user, 0));
	if (user == NULL && cfg->mode == MODE_AUTHORIZE && cfg->nusers > 0)
		return err_set(err, "--authorize: say which account with "
		    "--user NAME (USERS has %zu)", cfg->nusers);
	return 0;
}

/* DATA_DIR without its trailing '/' ("/" -> ""), then [/users/USER]
 * [/name]; a buffer too small gets "". */
static void
data_path(const struct config *cfg, const char *user, const char *name,
    char *buf, size_t size)
{
	size_t n = strlen(cfg->data_dir);
	int len;

	while (n > 0 && cfg->data_dir[n - 1] == '/')
		n--;	/* "data/" -> "data/x", "/" -> "/x" */
	len = snprintf(buf, size, "%.*s%s%s%s%s", (int)n, cfg->data_dir,
	    user != NULL ? "/users/" : "", user != NULL ? user : "",
	    *name != '\0' ? "/" : "", name);
	if ((len < 0 || (size_t)len >= size) && size > 0)
		buf[0] = '\0';
}

void
config_account_dir(const struct config *cfg, const char *user, char *buf,
    size_t size)
{
	if (user != NULL)
		data_path(cfg, user, "", buf, size);
	else if ((size_t)snprintf(buf, size, "%s", cfg->data_dir) >= size &&
	    size > 0)
		buf[0] = '\0';
}

void
config_token_path(const struct config *cfg, const char *user, char *buf,
    size_t size)
{
	char name[64];

	snprintf(name, sizeof(name), "%s_tokens.json",
	    config_source(cfg)->driver->name);
	data_path(cfg, user, name, buf, size);
}

void
config_state_path(const struct config *cfg, const char *user, char *buf,
    size_t size)
{
	data_path(cfg, user, "sync_state.json", buf, size);
}

void
config_lock_path(const struct config *cfg, const char *user, char *buf,
    size_t size)
{
	data_path(cfg, user, "syncbit.lock", buf, size);
}

void
config_log_path(const struct config *cfg, char *buf, size_t size)
{
	data_path(cfg, NULL, "syncbit.log", buf, size);
}
