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
#include "lock.h"
#include "log.h"
#include "quit.h"
#include "remote/rw.h"
#include "source/driver.h"
#include "source/source.h"
#include "stats.h"
#include "sync/account.h"
#include "sync/collector.h"
#include "sync/fleet.h"

#define USER_AGENT "syncbit/" SYNCBIT_VERSION
#define AUTHORIZE_TIMEOUT_S 600

extern char **environ;

struct app {
	struct config cfg;
	struct httpc *http[FLEET_WORKERS_MAX];	/* one per worker */
	struct httpc *rw_http;
	struct httpc *page_http;		/* the page's code exchange */
	struct rw *rw;
	size_t naccounts;
	struct account *accounts;
	int lock_fd;			/* DATA_DIR's lock; -1: none */
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
/* The accounts (one, or one per USERS name), prepared: their paths and
 * OAuth providers. */
static int
accounts_prepare(struct app *app, struct err *err)
{
	struct config *cfg = &app->cfg;
	const char **users;
	size_t i, first = 0, n = 1;

	if (cfg->nusers > 0 && cfg->user_index >= 0) {
		first = (size_t)cfg->user_index;	/* --user: that one */
	} else if (cfg->nusers > 0)
		n = cfg->nusers;
	if ((users = calloc(n, sizeof(*users))) == NULL ||
	    (app->accounts = calloc(n, sizeof(*app->accounts))) == NULL) {
		free(users);
		return err_set(err, "out of memory");
	}
	for (i = 0; i < n; i++)
		users[i] = cfg->nusers > 0 ? cfg->users[first + i] :
		    cfg->user_id;
	app->naccounts = n;
	if (stats_accounts(n, users) == -1) {
		free(users);
		return err_set(err, "out of memory");
	}
	for (i = 0; i < n; i++)
		account_prepare(&app->accounts[i], cfg, cfg->nusers > 0 ?
		    users[i] : NULL, i);
	free(users);
	return 0;
}

/* Open every account; one that cannot be opened is logged with its name,
 * marked not ready, and left out (the others go on). -1 when none
 * opened. */
static int
accounts_open(struct app *app, struct err *err)
{
	struct err e, first = { 0 };
	char q[ERR_MSG_MAX + 16];
	size_t i, ok = 0;
	int rc;

	for (i = 0; i < app->naccounts; i++) {
		err_clear(&e);
		log_set_user(app->accounts[i].user);	/* its lines name it */
		rc = account_open(&app->accounts[i], &app->cfg, app->http[0],
		    app->rw, &e);
		log_set_user(NULL);
		if (rc == 0) {
			ok++;
			continue;
		}
		if (app->naccounts == 1)
			return err_copy(err, &e);
		log_error("account left out", "user=%s error=%s",
		    app->accounts[i].user, log_q(q, sizeof(q), e.msg));
		atomic_store(&app->accounts[i].st->ready, READY_BROKEN);
		err_copy(&first, &e);
		account_close(&app->accounts[i]);
	}
	return ok > 0 ? 0 : err_copy(err, &first);
}

static int
remote_write_open(struct app *app, struct err *err)
{
	struct config *cfg = &app->cfg;
	struct rw_config rc;

	if (cfg->victoria_endpoint[0] == '\0')
		return 0;
	app->rw_http = httpc_new(10, 60, USER_AGENT, cfg->ca_file);
	memset(&rc, 0, sizeof(rc));
	rc.endpoint = cfg->victoria_endpoint;
	rc.user = cfg->victoria_user;
	rc.password = cfg->victoria_password;
	rc.user_label = cfg->user_id;
	if (cfg->mode == MODE_SERVICE)
		rc.give_up_ms = 60000L * cfg->sync_interval_minutes;
	if (app->rw_http == NULL || (app->rw = rw_new(&rc, app->rw_http)) ==
	    NULL)
		return err_set(err, "cannot set up remote write");
	return 0;
}

/* DATA_DIR, the log file, HTTP clients, the accounts, remote write. */
static int
app_open(struct app *app, struct err *err)
{
	struct config *cfg = &app->cfg;
	char log_path[CONFIG_STR_MAX + 64];
	int i, workers;
	size_t k;

	if (file_mkdirs(cfg->data_dir, 0700, err) == -1)
		return -1;
	config_log_path(cfg, log_path, sizeof(log_path));
	if (log_open_file(log_path) == -1)
		return err_set(err, "DATA_DIR: cannot open '%s': %s", log_path,
		    strerror(errno));
	for (k = 0; k < cfg->nsources; k++)
		log_pin_secret(cfg->sources[k].client_secret);
	log_pin_secret(cfg->victoria_password);
	log_pin_secret(cfg->admin_password);
	if (accounts_prepare(app, err) == -1)
		return -1;
	if (cfg->mode != MODE_AUTHORIZE) {
		char lock[CONFIG_PATH_MAX];

		config_lock_path(cfg, NULL, lock, sizeof(lock));
		if ((app->lock_fd = lock_take(lock, err)) == -1)
			return -1;
	}
	workers = cfg->mode == MODE_SERVICE ?
	    fleet_workers(app->naccounts, 0) : 1;
	for (i = 0; i < workers; i++)
		if ((app->http[i] = httpc_new(10, 60, USER_AGENT,
		    cfg->ca_file)) == NULL)
			return err_set(err, "cannot initialise libcurl");
	if (cfg->mode == MODE_AUTHORIZE)
		return account_make_dir(&app->accounts[0], err);
	if (remote_write_open(app, err) == -1)
		return -1;
	return accounts_open(app, err);
}

static void
app_close(struct app *app)
{
	size_t i;

	server_stop(app->server);
	for (i = 0; i < app->naccounts && app->accounts != NULL; i++)
		account_close(&app->accounts[i]);
	free(app->accounts);
	rw_free(app->rw);
	httpc_free(app->rw_http);
	httpc_free(app->page_http);
	lock_release(app->lock_fd);
	for (i = 0; i < FLEET_WORKERS_MAX; i++)
		httpc_free(app->http[i]);
	log_forget_secrets();
	log_close();
}

/* The page saved new tokens for the account: its turn at once. */
static void
account_authorized(void *col)
{
	collector_wake(col);
}

static int
run_service(struct app *app, struct err *err)
{
	struct server_config sc;
	struct server_account *sa;
	struct collector **cols;
	struct fleet_config fc;
	size_t i, n = app->naccounts, ncols = 0;
	int rc = -1;

	sa = calloc(n, sizeof(*sa));
	cols = calloc(n, sizeof(*cols));
	if (sa == NULL || cols == NULL) {
		err_set(err, "out of memory");
		goto out;
	}
	for (i = 0; i < n; i++) {
		sa[i].user = app->accounts[i].user;
		sa[i].cache = app->accounts[i].cache;	/* NULL: left out */
		sa[i].st = app->accounts[i].st;
		if (app->accounts[i].col != NULL) {
			cols[ncols++] = app->accounts[i].col;
			sa[i].prov = &app->accounts[i].prov;
			sa[i].oauth = app->accounts[i].oauth;
			sa[i].authorized = account_authorized;
			sa[i].arg = app->accounts[i].col;
		}
	}
	memset(&sc, 0, sizeof(sc));
	sc.host = app->cfg.listen_host;
	sc.port = app->cfg.listen_port;
	sc.accounts = sa;
	sc.naccounts = n;
	sc.info.version = SYNCBIT_VERSION;
	sc.info.source = config_source(&app->cfg)->driver->name;
	sc.admin_password = app->cfg.admin_password;
	if ((app->page_http = httpc_new(10, 30, USER_AGENT,
	    app->cfg.ca_file)) == NULL) {
		err_set(err, "cannot initialise libcurl");
		goto out;
	}
	sc.http = app->page_http;
	if ((app->server = server_start(&sc, err)) == NULL)
		goto out;
	log_info("syncbit started", "version=%s source=%s listen=%s:%d "
	    "interval_minutes=%d remote_write=%s accounts=%zu workers=%d",
	    SYNCBIT_VERSION, sc.info.source, app->cfg.listen_host,
	    server_port(app->server), app->cfg.sync_interval_minutes,
	    app->rw != NULL ? "on" : "off", n, fleet_workers(ncols, 0));
	atomic_store(&stats_get()->sync_interval_s,
	    app->cfg.sync_interval_minutes * 60);
	memset(&fc, 0, sizeof(fc));
	fc.accounts = cols;
	fc.n = ncols;
	fc.http = app->http;
	rc = fleet_run(&fc, err);	/* returns after a quit */
	if (rc == 0)
		log_info("syncbit stopped", NULL);
out:
	server_stop(app->server);	/* before the caches go */
	app->server = NULL;
	free(cols);
	free(sa);
	return rc;
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

/* One account's failure in --once / --backfill: a line naming it when
 * there are several (the last line of main says the first one). */
static void
account_failed(const struct app *app, size_t i, const struct err *e)
{
	char q[ERR_MSG_MAX + 16];

	if (app->naccounts > 1 && e->kind != ERR_STOP)
		log_error("sync failed", "user=%s error=%s",
		    app->accounts[i].user, log_q(q, sizeof(q), e->msg));
}

/* --once (backfill 0) or --backfill of each account, one after the
 * other; the first failure is the answer, the other accounts still run. */
static int
each_account(struct app *app, int backfill, struct err *err)
{
	struct collector *col;
	struct err e;
	size_t i;
	int rc = 0;

	for (i = 0; i < app->naccounts && !quit_requested(); i++) {
		err_clear(&e);
		log_set_user(app->accounts[i].user);
		if ((col = app->accounts[i].col) == NULL)
			err_set(&e, "account '%s' was left out: see the log",
			    app->accounts[i].user);
		else if ((backfill ? collector_backfill(col,
		    app->cfg.backfill_from, app->cfg.backfill_to, &e) :
		    collector_cycle(col, 1, &e)) == 0)
			continue;
		else
			account_failed(app, i, &e);
		rc = -1;
		err_copy(err, &e);
	}
	log_set_user(NULL);
	return rc;
}

static int
run_mode(struct app *app, struct err *err)
{
	switch (app->cfg.mode) {
	case MODE_AUTHORIZE:
		return oauth_authorize(&app->accounts[0].prov, app->http[0],
		    app->cfg.callback_bind_all, AUTHORIZE_TIMEOUT_S, err);
	case MODE_ONCE:
		return each_account(app, 0, err);
	case MODE_BACKFILL:
		return each_account(app, 1, err);
	default:
		return run_service(app, err);
	}
}

int
main(int argc, char **argv)
{
	static struct app app = { .lock_fd = -1 };
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
