/*
 * config: argv, the .env file and the environment -> struct config.
 *
 * Runs once in main before any thread starts; the struct it fills is
 * read-only afterwards. Every variable goes through one table (vars[]):
 * its raw string is taken from the last layer that set it (default, .env,
 * environment), then checked once, so a value that a later layer replaced
 * is never judged. Messages quote a value only when it is not a secret,
 * shortened to one printable line; a URL holding '@' (user:password) is
 * never quoted. The command line is config_opts.c's, each value's check
 * config_value.c's, the .env syntax dotenv.c's.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "config.h"
#include "config_opts.h"
#include "config_value.h"
#include "dotenv.h"
#include "source/source.h"
#include "sync/kinds.h"

#define USER_ID_MAX	63
#define INTERVAL_MAX	1440

/* the table's short names for config_value.h's flags */
#define F_SECRET	CONFIG_VALUE_SECRET
#define F_URL		CONFIG_VALUE_URL
#define F_REDIRECT	CONFIG_VALUE_REDIRECT
#define NO_FIELD	((size_t)-1)
#define FIELD(f)	offsetof(struct config, f)

enum var_id {
	V_SOURCE,
	V_GOOGLE_CLIENT_ID, V_GOOGLE_CLIENT_SECRET, V_GOOGLE_REDIRECT_URI,
	V_GOOGLE_HEALTH_API_URL, V_GOOGLE_AUTH_URL, V_GOOGLE_TOKEN_URL,
	V_FITBIT_CLIENT_ID, V_FITBIT_CLIENT_SECRET, V_FITBIT_REDIRECT_URI,
	V_FITBIT_API_URL, V_FITBIT_AUTH_URL, V_FITBIT_TOKEN_URL,
	V_FITBIT_USER_ID,
	V_VICTORIA_ENDPOINT, V_VICTORIA_USER, V_VICTORIA_PASSWORD,
	V_SYNC_INTERVAL_MINUTES, V_BACKFILL_START, V_COLLECT, V_INTRADAY,
	V_LISTEN_ADDRESS,
	V_DATA_DIR, V_LOG_LEVEL, V_CA_FILE,
	V_COUNT
};

struct var {
	const char *name;
	const char *def;	/* NULL: unset, and "" counts as unset */
	const char *unset;	/* --help's default when def is NULL */
	const char *help;
	size_t field;		/* a char[CONFIG_STR_MAX] in struct config */
	int flags;
};

static const struct var vars[V_COUNT] = {
	[V_SOURCE] = { "SOURCE", NULL, "whichever CLIENT_ID is set, google "
	    "first", "google (Health API) or fitbit (legacy Web API)",
	    NO_FIELD, 0 },
	[V_GOOGLE_CLIENT_ID] = { "GOOGLE_CLIENT_ID", NULL, "unset, required "
	    "for google", "Google OAuth client id (Google Cloud console)",
	    FIELD(google_client_id), 0 },
	[V_GOOGLE_CLIENT_SECRET] = { "GOOGLE_CLIENT_SECRET", NULL, "unset, "
	    "required for google", "Google OAuth client secret",
	    FIELD(google_client_secret), F_SECRET },
	[V_GOOGLE_REDIRECT_URI] = { "GOOGLE_REDIRECT_URI",
	    "http://127.0.0.1:8080/callback", NULL, "Google OAuth redirect URI",
	    FIELD(google_redirect_uri), F_URL | F_REDIRECT },
	[V_GOOGLE_HEALTH_API_URL] = { "GOOGLE_HEALTH_API_URL",
	    "https://health.googleapis.com", NULL, "Google Health API base",
	    FIELD(google_health_api_url), F_URL },
	[V_GOOGLE_AUTH_URL] = { "GOOGLE_AUTH_URL",
	    "https://accounts.google.com/o/oauth2/v2/auth", NULL,
	    "Google authorization page", FIELD(google_auth_url), F_URL },
	[V_GOOGLE_TOKEN_URL] = { "GOOGLE_TOKEN_URL",
	    "https://oauth2.googleapis.com/token", NULL,
	    "Google token endpoint", FIELD(google_token_url), F_URL },
	[V_FITBIT_CLIENT_ID] = { "FITBIT_CLIENT_ID", NULL, "unset, required "
	    "for fitbit", "Fitbit OAuth client id (app type \"Personal\")",
	    FIELD(fitbit_client_id), 0 },
	[V_FITBIT_CLIENT_SECRET] = { "FITBIT_CLIENT_SECRET", NULL, "unset, "
	    "required for fitbit", "Fitbit OAuth client secret",
	    FIELD(fitbit_client_secret), F_SECRET },
	[V_FITBIT_REDIRECT_URI] = { "FITBIT_REDIRECT_URI",
	    "http://localhost:8080/callback", NULL, "Fitbit OAuth redirect URI",
	    FIELD(fitbit_redirect_uri), F_URL | F_REDIRECT },
	[V_FITBIT_API_URL] = { "FITBIT_API_URL", "https://api.fitbit.com",
	    NULL, "Fitbit Web API base", FIELD(fitbit_api_url), F_URL },
	[V_FITBIT_AUTH_URL] = { "FITBIT_AUTH_URL",
	    "https://www.fitbit.com/oauth2/authorize", NULL,
	    "Fitbit authorization page", FIELD(fitbit_auth_url), F_URL },
	[V_FITBIT_TOKEN_URL] = { "FITBIT_TOKEN_URL",
	    "https://api.fitbit.com/oauth2/token", NULL,
	    "Fitbit token endpoint", FIELD(fitbit_token_url), F_URL },
	[V_FITBIT_USER_ID] = { "FITBIT_USER_ID", "default", NULL,
	    "value of the user label on every series",
	    FIELD(user_id), 0 },
	[V_VICTORIA_ENDPOINT] = { "VICTORIA_ENDPOINT", NULL, "unset: scrape "
	    "only, backfill skipped", "remote-write URL (VictoriaMetrics, "
	    "vmagent, vminsert)",
	    FIELD(victoria_endpoint), F_URL },
	[V_VICTORIA_USER] = { "VICTORIA_USER", NULL, "unset: no basic auth",
	    "basic auth user for the remote write", FIELD(victoria_user), 0 },
	[V_VICTORIA_PASSWORD] = { "VICTORIA_PASSWORD", NULL, "unset",
	    "basic auth password for the remote write",
	    FIELD(victoria_password), F_SECRET },
	[V_SYNC_INTERVAL_MINUTES] = { "SYNC_INTERVAL_MINUTES", "15", NULL,
	    "collector period in minutes, 1..1440", NO_FIELD, 0 },
	[V_BACKFILL_START] = { "BACKFILL_START", NULL, "the account's "
	    "start date", "first day of history to send, YYYY-MM-DD",
	    NO_FIELD, 0 },
	[V_COLLECT] = { "COLLECT", "all", NULL, "data kinds to read, a comma "
	    "list of " SOURCE_GROUPS, NO_FIELD, 0 },
	[V_INTRADAY] = { "INTRADAY", "on", NULL, "on or off: minute heart rate "
	    "and steps", NO_FIELD, 0 },
	[V_LISTEN_ADDRESS] = { "LISTEN_ADDRESS", "0.0.0.0:9877", NULL,
	    "HTTP server: host:port, [v6]:port or :port",
	    FIELD(listen_address), 0 },
	[V_DATA_DIR] = { "DATA_DIR", "./data", NULL,
	    "tokens, sync state and the log file", FIELD(data_dir), 0 },
	[V_LOG_LEVEL] = { "LOG_LEVEL", "INFO", NULL,
	    "DEBUG, INFO, WARN or ERROR", NO_FIELD, 0 },
	[V_CA_FILE] = { "CA_FILE", NULL, "unset: the system's CAs",
	    "CA bundle (PEM) for TLS", FIELD(ca_file), 0 },
};

/* The raw strings, each from the last layer that set it. */
struct raw {
	char *val[V_COUNT];	/* NULL: not set; owned */
};

static int
var_find(const char *key, size_t n)
{
	int i;

	for (i = 0; i < V_COUNT; i++)
		if (strlen(vars[i].name) == n && strncmp(vars[i].name, key, n)
		    == 0)
			return i;
	return -1;
}

static int
raw_set(struct raw *raw, int id, const char *value)
{
	char *v;

	if ((v = strdup(value)) == NULL)
		return -1;
	if (raw->val[id] != NULL) {
		explicit_bzero(raw->val[id], strlen(raw->val[id]));
		free(raw->val[id]);
	}
	raw->val[id] = v;
	return 0;
}

static void
raw_release(struct raw *raw)
{
	int i;

	for (i = 0; i < V_COUNT; i++) {
		if (raw->val[i] != NULL) {
			explicit_bzero(raw->val[i], strlen(raw->val[i]));
			free(raw->val[i]);
		}
	}
}

static int
raw_set_cb(void *arg, const char *key, const char *value)
{
	int id = var_find(key, strlen(key));

	return id == -1 ? 0 : raw_set(arg, id, value);	/* unknown: ignored */
}

/* path NULL: ./.env, which may be missing. */
static int
env_file_load(struct raw *raw, const char *path, struct err *err)
{
	const char *p = path != NULL ? path : ".env";
	FILE *f;
	int rc;

	if ((f = fopen(p, "rb")) == NULL) {
		if (path == NULL && errno == ENOENT)
			return 0;
		return err_set(err, "%scannot read '%s': %s", path != NULL ?
		    "--env-file: " : "", p, strerror(errno));
	}
	rc = dotenv_read(f, p, raw_set_cb, raw, err);
	fclose(f);
	return rc;
}

static int
environ_load(struct raw *raw, char **envp, struct err *err)
{
	const char *eq;
	int id;

	for (; envp != NULL && *envp != NULL; envp++) {
		if ((eq = strchr(*envp, '=')) == NULL)
			continue;
		id = var_find(*envp, (size_t)(eq - *envp));
		if (id != -1 && raw_set(raw, id, eq + 1) == -1)
			return err_set(err, "out of memory");
	}
	return 0;
}

/* SOURCE, and the client of the chosen source where the mode needs it. */
static int
source_pick(struct config *cfg, const char *v, struct err *err)
{
	char b[CONFIG_VALUE_SHOWN_SIZE];
	int need = cfg->mode != MODE_HEALTHCHECK;
	const char *id, *secret;
	enum var_id missing;

	if (strcasecmp(v, "google") == 0)
		cfg->source = SOURCE_GOOGLE;
	else if (strcasecmp(v, "fitbit") == 0)
		cfg->source = SOURCE_FITBIT;
	else if (*v != '\0')
		return err_set(err, "SOURCE: %s is not google or fitbit",
		    config_value_shown(b, sizeof(b), v, 0));
	else if (cfg->google_client_id[0] == '\0' &&
	    cfg->fitbit_client_id[0] != '\0')
		cfg->source = SOURCE_FITBIT;
	else if (cfg->google_client_id[0] != '\0' || !need)
		cfg->source = SOURCE_GOOGLE;
	else
		return err_set(err, "SOURCE: unset, and neither "
		    "GOOGLE_CLIENT_ID (Google Health API) nor FITBIT_CLIENT_ID "
		    "(legacy Fitbit Web API) is set");
	if (!need)
		return 0;
	id = cfg->source == SOURCE_GOOGLE ? cfg->google_client_id :
	    cfg->fitbit_client_id;
	secret = cfg->source == SOURCE_GOOGLE ? cfg->google_client_secret :
	    cfg->fitbit_client_secret;
	if (*id != '\0' && *secret != '\0')
		return 0;
	if (cfg->source == SOURCE_GOOGLE)
		missing = *id == '\0' ? V_GOOGLE_CLIENT_ID :
		    V_GOOGLE_CLIENT_SECRET;
	else
		missing = *id == '\0' ? V_FITBIT_CLIENT_ID :
		    V_FITBIT_CLIENT_SECRET;
	return err_set(err, "%s: required for SOURCE=%s", vars[missing].name,
	    cfg->source == SOURCE_GOOGLE ? "google" : "fitbit");
}

/* Final value of each variable: set, or its default, never too long. */
static int
vars_apply(struct config *cfg, struct raw *raw, const char **val,
    struct err *err)
{
	const struct var *var;
	int i;

	for (i = 0; i < V_COUNT; i++) {
		var = &vars[i];
		val[i] = raw->val[i] != NULL ? raw->val[i] : var->def;
		if (val[i] == NULL)
			val[i] = "";
		if (var->def != NULL && *val[i] == '\0')
			return err_set(err, "%s: must not be empty", var->name);
		if (strlen(val[i]) > CONFIG_STR_MAX - 1)
			return err_set(err, "%s: longer than %d bytes",
			    var->name, CONFIG_STR_MAX - 1);
		if ((var->flags & F_URL) && *val[i] != '\0' &&
		    config_value_url(var->name, val[i], var->flags, err) == -1)
			return -1;
		if (var->field != NO_FIELD)
			strcpy((char *)cfg + var->field, val[i]);
	}
	return 0;
}

static int
vars_check(struct config *cfg, const struct config_opts *o, const char **val,
    struct err *err)
{
	const char *c;
	char b[CONFIG_VALUE_SHOWN_SIZE];

	if (config_value_int("SYNC_INTERVAL_MINUTES",
	    val[V_SYNC_INTERVAL_MINUTES], 1, INTERVAL_MAX,
	    &cfg->sync_interval_minutes, err) == -1 ||
	    config_value_listen("LISTEN_ADDRESS", val[V_LISTEN_ADDRESS],
	    cfg->listen_host, &cfg->listen_port, err) == -1)
		return -1;
	cfg->backfill_start = -1;
	if (*val[V_BACKFILL_START] != '\0' &&
	    config_value_date("BACKFILL_START", val[V_BACKFILL_START],
	    &cfg->backfill_start, err) == -1)
		return -1;
	if (kinds_parse(val[V_COLLECT], &cfg->collect, err) == -1)
		return -1;
	if (strcmp(val[V_INTRADAY], "off") == 0)
		cfg->collect &= ~kinds_mask("intraday");
	else if (strcmp(val[V_INTRADAY], "on") != 0)
		return err_set(err, "INTRADAY: %s is not on or off",
		    config_value_shown(b, sizeof(b), val[V_INTRADAY], 0));
	if (o->log_level != NULL ? config_value_level("--log-level",
	    o->log_level, &cfg->log_level, err) == -1 :
	    config_value_level("LOG_LEVEL", val[V_LOG_LEVEL], &cfg->log_level,
	    err) == -1)
		return -1;
	if (strlen(cfg->user_id) > USER_ID_MAX)
		return err_set(err, "FITBIT_USER_ID: longer than %d bytes",
		    USER_ID_MAX);
	for (c = cfg->user_id; *c != '\0'; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			return err_set(err, "FITBIT_USER_ID: contains a "
			    "control character");
	if (cfg->victoria_password[0] != '\0' && cfg->victoria_user[0] == '\0')
		return err_set(err, "VICTORIA_PASSWORD: set without "
		    "VICTORIA_USER");
	if (cfg->ca_file[0] != '\0' && access(cfg->ca_file, R_OK) == -1)
		return err_set(err, "CA_FILE: cannot read '%s': %s",
		    cfg->ca_file, strerror(errno));
	return source_pick(cfg, val[V_SOURCE], err);
}

int
config_load(struct config *cfg, int argc, char **argv, char **envp,
    struct err *err)
{
	const char *val[V_COUNT];
	struct raw raw;
	struct config_opts o;
	int rc = -1;

	memset(cfg, 0, sizeof(*cfg));
	memset(&raw, 0, sizeof(raw));
	if (config_opts_parse(cfg, &o, argc, argv, err) == -1)
		goto out;
	if (cfg->mode == MODE_HELP || cfg->mode == MODE_VERSION)
		return 0;
	if (env_file_load(&raw, o.env_file, err) == -1 ||
	    environ_load(&raw, envp, err) == -1 ||
	    vars_apply(cfg, &raw, val, err) == -1 ||
	    vars_check(cfg, &o, val, err) == -1)
		goto out;
	rc = 0;
out:
	raw_release(&raw);
	if (rc == -1)
		explicit_bzero(cfg, sizeof(*cfg));
	return rc;
}

void
config_usage(FILE *f)
{
	const struct var *var;

	fputs("usage: syncbit [--env-file PATH] [--log-level LEVEL]\n"
	    "       syncbit --authorize [--listen-all]\n"
	    "       syncbit --once\n"
	    "       syncbit --backfill --from YYYY-MM-DD [--to YYYY-MM-DD]\n"
	    "       syncbit --healthcheck\n"
	    "       syncbit --help | --version\n"
	    "\n"
	    "Without a command SyncBit runs the service: the collector, the "
	    "HTTP server\n(/metrics, /healthz, /readyz) and the remote "
	    "writer, until SIGTERM or SIGINT.\n"
	    "\n"
	    "Options:\n"
	    "  --authorize          OAuth2 authorization (PKCE): print the "
	    "URL to open, wait\n"
	    "                       for the callback or a redirected URL "
	    "pasted on stdin\n"
	    "  --listen-all         with --authorize: accept the OAuth "
	    "callback on all\n"
	    "                       interfaces (containers)\n"
	    "  --once               one full cycle (current values, pending "
	    "backfill, remote\n"
	    "                       write), then exit\n"
	    "  --backfill           (re)send a range of history, then exit\n"
	    "  --from YYYY-MM-DD    with --backfill: first day (required)\n"
	    "  --to YYYY-MM-DD      with --backfill: last day (default: "
	    "yesterday)\n"
	    "  --healthcheck        GET /healthz at LISTEN_ADDRESS; exit 0 "
	    "on 200\n"
	    "                       (Docker HEALTHCHECK)\n"
	    "  --log-level LEVEL    DEBUG, INFO, WARN or ERROR; overrides "
	    "LOG_LEVEL\n"
	    "  --env-file PATH      read variables from PATH instead of "
	    "./.env\n"
	    "  -h, --help           print this help and exit\n"
	    "  -V, --version        print the version and exit\n"
	    "\n"
	    "Environment (./.env or --env-file is read first, real "
	    "environment variables\nwin; an empty value counts as unset "
	    "where the default is unset):\n", f);
	for (var = vars; var < vars + V_COUNT; var++)
		fprintf(f, "  %-22s %s\n  %-22s default: %s\n", var->name,
		    var->help, "", var->def != NULL ? var->def : var->unset);
	fputs("\nExit status: 0 success, 1 failure, 2 bad configuration or "
	    "usage.\n", f);
}

static void
data_path(const struct config *cfg, const char *name, char *buf,
    size_t size)
{
	size_t n = strlen(cfg->data_dir);

	while (n > 0 && cfg->data_dir[n - 1] == '/')
		n--;	/* "data/" -> "data/x", "/" -> "/x" */
	if (snprintf(buf, size, "%.*s/%s", (int)n, cfg->data_dir, name) >=
	    (int)size && size > 0)
		buf[0] = '\0';
}

void
config_token_path(const struct config *cfg, char *buf, size_t size)
{
	data_path(cfg, cfg->source == SOURCE_GOOGLE ? "google_tokens.json" :
	    "fitbit_tokens.json", buf, size);
}

void
config_state_path(const struct config *cfg, char *buf, size_t size)
{
	data_path(cfg, "sync_state.json", buf, size);
}

void
config_log_path(const struct config *cfg, char *buf, size_t size)
{
	data_path(cfg, "syncbit.log", buf, size);
}
