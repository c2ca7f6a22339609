/*
 * account: one person's chain (see account.h).
 */
#include <stdio.h>
#include <string.h>

#include "account.h"
#include "collector.h"
#include "expose/cache.h"
#include "file.h"
#include "lock.h"
#include "source/driver.h"
#include "source/source.h"
#include "stats.h"

void
account_prepare(struct account *a, const struct config *cfg,
    const char *user, size_t i)
{
	const struct config_source *cs = config_source(cfg);
	const struct source_driver *d = cs->driver;
	struct oauth_provider *p = &a->prov;

	memset(a, 0, sizeof(*a));
	a->name = user;
	a->user = user != NULL ? user : cfg->user_id;
	a->st = stats_account(i);
	a->lock_fd = -1;
	config_account_dir(cfg, user, a->dir, sizeof(a->dir));
	config_token_path(cfg, user, a->token_path, sizeof(a->token_path));
	config_state_path(cfg, user, a->state_path, sizeof(a->state_path));
	config_lock_path(cfg, user, a->lock_path, sizeof(a->lock_path));
	p->token_path = a->token_path;
	p->name = d->name;
	p->auth_url = cs->auth_url;
	p->token_url = cs->token_url;
	p->client_id = cs->client_id;
	p->client_secret = cs->client_secret;
	p->redirect_uri = cs->redirect_uri;
	snprintf(a->scopes, sizeof(a->scopes), "%s%s%s", d->scopes,
	    cfg->routes_days > 0 && d->route_scopes != NULL ? " " : "",
	    cfg->routes_days > 0 && d->route_scopes != NULL ?
	    d->route_scopes : "");
	p->scopes = a->scopes;
	p->basic_auth = d->basic_auth;
	p->extra_params = d->auth_params;
	p->invalid_grant_hint = d->invalid_grant_hint;
	p->stats = a->st;
}

int
account_make_dir(struct account *a, struct err *err)
{
	struct err e = { 0 };

	if (a->name == NULL || file_mkdirs(a->dir, 0700, &e) == 0)
		return 0;
	return err_kind(err, ERR_SYS, "account '%s': %s", a->name, e.msg);
}

int
account_open(struct account *a, const struct config *cfg,
    struct httpc *http, struct rw *rw, struct err *err)
{
	const struct config_source *cs = config_source(cfg);
	struct source_settings ss;
	struct collector_config cc;
	struct err e = { 0 };

	if (account_make_dir(a, err) == -1)
		return -1;
	if (a->name != NULL && (a->lock_fd = lock_take(a->lock_path, &e)) ==
	    -1)
		return err_kind(err, ERR_SYS, "account '%s': %s", a->name,
		    e.msg);
	if ((a->oauth = oauth_new(&a->prov, http)) == NULL ||
	    (a->cache = cache_new()) == NULL)
		return err_set(err, "out of memory");
	memset(&ss, 0, sizeof(ss));
	ss.api_url = cs->api_url;
	ss.oauth = a->oauth;
	ss.http = http;
	ss.stats = a->st;
	ss.routes_days = cfg->routes_days;
	if ((a->src = cs->driver->create(&ss)) == NULL)
		return err_set(err, "out of memory");
	memset(&cc, 0, sizeof(cc));
	cc.src = a->src;
	cc.oauth = a->oauth;
	cc.cache = a->cache;
	cc.rw = rw;
	cc.state_path = a->state_path;
	cc.backfill_start = cfg->backfill_start;
	cc.interval_s = cfg->sync_interval_minutes * 60;
	cc.groups = cfg->collect;
	cc.user = a->user;
	cc.account_hint = cs->driver->account_hint;
	cc.stats = a->st;
	a->col = collector_new(&cc, err);
	return a->col == NULL ? -1 : 0;
}

void
account_close(struct account *a)
{
	collector_free(a->col);
	cache_free(a->cache);
	if (a->src != NULL)
		a->src->ops->free(a->src);
	oauth_free(a->oauth);
	lock_release(a->lock_fd);
	/* what it opened goes; who it is stays (a left-out account is still
	 * on /metrics with its user label and readiness) */
	a->col = NULL;
	a->cache = NULL;
	a->src = NULL;
	a->oauth = NULL;
	a->lock_fd = -1;
}
