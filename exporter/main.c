/*
 * main: argv, signals, threads; no logic of its own.
 *
 * Signals are blocked in every thread; one thread takes them with
 * sigwait(), so no code runs in a signal handler: SIGTERM, SIGINT and
 * SIGQUIT become quit_request(), SIGHUP reopens syncbit.log, SIGUSR1 and
 * SIGUSR2 are logged and ignored, SIGPIPE is ignored. The service runs the collector thread and the HTTP
 * server until a quit, then stops both and exits 0.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "auth/oauth.h"
#include "civil.h"
#include "config/config.h"
#include "expose/cache.h"
#include "expose/server.h"
#include "file.h"
#include "httpc.h"
#include "log.h"
#include "quit.h"
#include "remote/rw.h"
#include "source/driver.h"
#include "source/source.h"
#include "stats.h"
#include "sync/collector.h"

#define USER_AGENT "syncbit/" SYNCBIT_VERSION
#define AUTHORIZE_TIMEOUT_S 600

extern char **environ;

struct app {
	struct config cfg;
	char token_path[CONFIG_STR_MAX + 64];
	char state_path[CONFIG_STR_MAX + 64];
	struct oauth_provider prov;
	struct httpc *api_http;
	struct httpc *rw_http;
	struct oauth *oauth;
	struct source *src;
	struct rw *rw;
	struct cache *cache;
	struct collector *collector;
	struct server *server;
	pthread_t sig_thread;
};

static sigset_t app_signals;
static atomic_int signals_done;	/* main is finished: the thread ends */

static const char *
signal_name(int sig)
{
	switch (sig) {
	case SIGTERM: return "SIGTERM";
	case SIGINT: return "SIGINT";
	case SIGQUIT: return "SIGQUIT";
	case SIGHUP: return "SIGHUP";
	case SIGUSR1: return "SIGUSR1";
	default: return "SIGUSR2";
	}
}

/*
 * The one thread that takes signals. SIGTERM/SIGINT/SIGQUIT: a clean
 * shutdown, whatever came before; SIGHUP: reopen syncbit.log (logrotate);
 * SIGUSR1/SIGUSR2: a log line, nothing else. The thread ends only when
 * signals_stop() has set signals_done: a signal from outside never ends it.
 */
static void *
signal_thread(void *arg)
{
	int sig;

	(void)arg;
	for (;;) {
		if (sigwait(&app_signals, &sig) != 0)
			continue;
		if (atomic_load(&signals_done))
			return NULL;
		switch (sig) {
		case SIGTERM:
		case SIGINT:
		case SIGQUIT:
			if (!quit_requested())
				log_info("shutting down", "signal=%s",
				    signal_name(sig));
			quit_request();
			break;
		case SIGHUP:
			if (log_reopen() == 0)
				log_info("log file reopened", "signal=SIGHUP");
			else
				log_warn("cannot reopen the log file; still "
				    "writing to the old one", "error=\"%s\"",
				    strerror(errno));
			break;
		default:
			log_info("signal ignored", "signal=%s",
			    signal_name(sig));
		}
	}
}

static int
signals_start(struct app *app)
{
	static const int sigs[] = { SIGTERM, SIGINT, SIGQUIT, SIGHUP, SIGUSR1,
	    SIGUSR2 };
	size_t i;

	sigemptyset(&app_signals);
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigaddset(&app_signals, sigs[i]);
	/* blocked before any other thread exists, so all inherit it */
	pthread_sigmask(SIG_BLOCK, &app_signals, NULL);
	signal(SIGPIPE, SIG_IGN);
	return pthread_create(&app->sig_thread, NULL, signal_thread, NULL);
}

static void
signals_stop(struct app *app)
{
	atomic_store(&signals_done, 1);
	pthread_kill(app->sig_thread, SIGUSR1);	/* wakes its sigwait() */
	pthread_join(app->sig_thread, NULL);
}

/* OAuth for the chosen source, from its driver and its variables. */
static void
provider_init(struct app *app)
{
	const struct config_source *cs = config_source(&app->cfg);
	const struct source_driver *d = cs->driver;
	struct oauth_provider *p = &app->prov;

	memset(p, 0, sizeof(*p));
	p->token_path = app->token_path;
	p->name = d->name;
	p->auth_url = cs->auth_url;
	p->token_url = cs->token_url;
	p->client_id = cs->client_id;
	p->client_secret = cs->client_secret;
	p->redirect_uri = cs->redirect_uri;
	p->scopes = d->scopes;
	p->basic_auth = d->basic_auth;
	p->extra_params = d->auth_params;
	p->invalid_grant_hint = d->invalid_grant_hint;
}

/* DATA_DIR, the log file, HTTP clients, OAuth and the source. */
static int
app_open(struct app *app, struct err *err)
{
	struct config *cfg = &app->cfg;
	char log_path[CONFIG_STR_MAX + 64];
	const struct config_source *cs = config_source(cfg);
	struct source_settings ss;
	size_t i;

	if (file_mkdirs(cfg->data_dir, 0700, err) == -1)
		return -1;
	config_log_path(cfg, log_path, sizeof(log_path));
	if (log_open_file(log_path) == -1)
		return err_set(err, "DATA_DIR: cannot open '%s': %s", log_path,
		    strerror(errno));
	config_token_path(cfg, NULL, app->token_path, sizeof(app->token_path));
	config_state_path(cfg, NULL, app->state_path, sizeof(app->state_path));
	for (i = 0; i < cfg->nsources; i++)
		log_pin_secret(cfg->sources[i].client_secret);
	log_pin_secret(cfg->victoria_password);
	provider_init(app);

	app->api_http = httpc_new(10, 60, USER_AGENT, cfg->ca_file);
	if (app->api_http == NULL)
		return err_set(err, "cannot initialise libcurl");
	if (cfg->mode == MODE_AUTHORIZE)
		return 0;
	if ((app->oauth = oauth_new(&app->prov, app->api_http)) == NULL)
		return err_set(err, "out of memory");
	memset(&ss, 0, sizeof(ss));
	ss.api_url = cs->api_url;
	ss.oauth = app->oauth;
	ss.http = app->api_http;
	app->src = cs->driver->create(&ss);
	if (app->src == NULL)
		return err_set(err, "out of memory");
	if (cfg->victoria_endpoint[0] != '\0') {
		struct rw_config rc;

		app->rw_http = httpc_new(10, 60, USER_AGENT, cfg->ca_file);
		memset(&rc, 0, sizeof(rc));
		rc.endpoint = cfg->victoria_endpoint;
		rc.user = cfg->victoria_user;
		rc.password = cfg->victoria_password;
		rc.user_label = cfg->user_id;
		if (cfg->mode == MODE_SERVICE)
			rc.give_up_ms = 60000L * cfg->sync_interval_minutes;
		if (app->rw_http == NULL ||
		    (app->rw = rw_new(&rc, app->rw_http)) == NULL)
			return err_set(err, "cannot set up remote write");
	}
	return 0;
}

static int
app_collector(struct app *app, struct err *err)
{
	struct collector_config cc;

	if ((app->cache = cache_new()) == NULL)
		return err_set(err, "out of memory");
	memset(&cc, 0, sizeof(cc));
	cc.src = app->src;
	cc.oauth = app->oauth;
	cc.cache = app->cache;
	cc.rw = app->rw;
	cc.state_path = app->state_path;
	cc.backfill_start = app->cfg.backfill_start;
	cc.interval_s = app->cfg.sync_interval_minutes * 60;
	cc.groups = app->cfg.collect;
	cc.user = app->cfg.user_id;
	cc.account_hint = config_source(&app->cfg)->driver->account_hint;
	app->collector = collector_new(&cc, err);
	return app->collector == NULL ? -1 : 0;
}

static void
app_close(struct app *app)
{
	server_stop(app->server);
	collector_free(app->collector);
	cache_free(app->cache);
	rw_free(app->rw);
	if (app->src != NULL)
		app->src->ops->free(app->src);
	oauth_free(app->oauth);
	httpc_free(app->rw_http);
	httpc_free(app->api_http);
	log_forget_secrets();
	log_close();
}

static int
run_service(struct app *app, struct err *err)
{
	struct server_config sc;

	if (app_collector(app, err) == -1)
		return -1;
	memset(&sc, 0, sizeof(sc));
	sc.host = app->cfg.listen_host;
	sc.port = app->cfg.listen_port;
	sc.cache = app->cache;
	sc.info.user = app->cfg.user_id;
	sc.info.version = SYNCBIT_VERSION;
	sc.info.source = app->src->ops->name;
	if ((app->server = server_start(&sc, err)) == NULL)
		return -1;
	log_info("syncbit started", "version=%s source=%s listen=%s:%d "
	    "interval_minutes=%d remote_write=%s", SYNCBIT_VERSION,
	    app->src->ops->name, app->cfg.listen_host,
	    server_port(app->server), app->cfg.sync_interval_minutes,
	    app->rw != NULL ? "on" : "off");
	if (collector_start(app->collector, err) == -1)
		return -1;
	collector_join(app->collector);	/* returns after a quit */
	log_info("syncbit stopped", NULL);
	return 0;
}

static int
run_healthcheck(const struct config *cfg)
{
	struct httpc *h;
	struct httpc_req req;
	struct httpc_resp resp;
	struct err err = { 0 };
	char url[CONFIG_STR_MAX + 64];
	const char *host = cfg->listen_host;
	int ok;

	if (*host == '\0' || strcmp(host, "0.0.0.0") == 0)
		host = "127.0.0.1";
	else if (strcmp(host, "::") == 0)
		host = "[::1]";
	snprintf(url, sizeof(url), strchr(host, ':') != NULL &&
	    host[0] != '[' ? "http://[%s]:%d/healthz" : "http://%s:%d/healthz",
	    host, cfg->listen_port);
	if ((h = httpc_new(2, 5, USER_AGENT, NULL)) == NULL)
		return 1;
	memset(&req, 0, sizeof(req));
	req.url = url;
	httpc_resp_init(&resp);
	ok = httpc_do(h, &req, &resp, &err) == 0 && resp.status == 200;
	if (!ok)
		fprintf(stderr, "syncbit: healthcheck failed: %s\n",
		    err.set ? err.msg : "status is not 200");
	httpc_resp_release(&resp);
	httpc_free(h);
	return ok ? 0 : 1;
}

static int
run_mode(struct app *app, struct err *err)
{
	switch (app->cfg.mode) {
	case MODE_AUTHORIZE:
		return oauth_authorize(&app->prov, app->api_http,
		    app->cfg.callback_bind_all, AUTHORIZE_TIMEOUT_S, err);
	case MODE_ONCE:
		if (app_collector(app, err) == -1)
			return -1;
		return collector_cycle(app->collector, 1, err);
	case MODE_BACKFILL:
		if (app_collector(app, err) == -1)
			return -1;
		return collector_backfill(app->collector, app->cfg.backfill_from,
		    app->cfg.backfill_to, err);
	default:
		return run_service(app, err);
	}
}

int
main(int argc, char **argv)
{
	static struct app app;
	struct err err = { 0 };
	char q[ERR_MSG_MAX + 16];
	int rc;

	if (config_load(&app.cfg, argc, argv, environ, &err) == -1) {
		fprintf(stderr, "syncbit: %s\n", err.msg);
		return 2;
	}
	if (app.cfg.mode == MODE_HELP) {
		config_usage(stdout);
		return 0;
	}
	if (app.cfg.mode == MODE_VERSION) {
		printf("syncbit %s\n", SYNCBIT_VERSION);
		return 0;
	}
	if (app.cfg.mode == MODE_HEALTHCHECK)
		return run_healthcheck(&app.cfg);
	log_set_level(app.cfg.log_level);
	if (signals_start(&app) != 0) {
		fprintf(stderr, "syncbit: cannot start the signal thread\n");
		return 1;
	}
	rc = app_open(&app, &err) == 0 ? run_mode(&app, &err) : -1;
	if (rc == -1 && err.kind == ERR_STOP && app.cfg.mode == MODE_SERVICE)
		rc = 0;		/* a requested shutdown is a clean exit */
	if (rc == -1)
		log_error("syncbit failed", "error=%s",
		    log_q(q, sizeof(q), err.msg));
	app_close(&app);
	signals_stop(&app);
	return rc == 0 ? 0 : 1;
}
