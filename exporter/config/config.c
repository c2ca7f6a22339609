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
#include "config_users.h"
#include "config_value.h"
#include "dotenv.h"
#include "source/driver.h"
#include "source/route.h"
#include "source/source.h"
#include "sync/groups.h"

#define USER_ID_MAX	63
#define INTERVAL_MAX	1440

/* the table's short names for config_value.h's flags */
#define F_SECRET	CONFIG_VALUE_SECRET
#define F_URL		CONFIG_VALUE_URL
#define F_REDIRECT	CONFIG_VALUE_REDIRECT
#define F_LIST		0x100	/* no length limit: not copied, parsed */
#define NO_FIELD	((size_t)-1)
#define FIELD(f)	offsetof(struct config, f)

enum var_id {
	V_SOURCE,
	V_FITBIT_USER_ID, V_USERS,
	V_VICTORIA_ENDPOINT, V_VICTORIA_USER, V_VICTORIA_PASSWORD,
	V_SYNC_INTERVAL_MINUTES, V_BACKFILL_START, V_COLLECT, V_INTRADAY,
	V_EXERCISE_ROUTES, V_EXERCISE_ROUTES_DAYS,
	V_LISTEN_ADDRESS, V_ADMIN_PASSWORD,
	V_DATA_DIR, V_LOG_LEVEL, V_CA_FILE,
	V_COUNT
};

/* Each driver's variables, PREFIX + these names (source/driver.h); in
 * the variable index they follow the core's: V_COUNT + d * SV_COUNT + i. */
enum source_var {
	SV_CLIENT_ID, SV_CLIENT_SECRET, SV_REDIRECT_URI, SV_API_URL,
	SV_AUTH_URL, SV_TOKEN_URL,
	SV_COUNT
};
#define VARS_MAX	(V_COUNT + SOURCE_DRIVERS_MAX * SV_COUNT)
#define VAR_NAME_MAX	64
#define VAR_TEXT_MAX	192

struct var {
	const char *name;
	const char *def;	/* NULL: unset, and "" counts as unset */
	const char *unset;	/* --help's default when def is NULL */
	const char *help;
	size_t field;		/* a char[CONFIG_STR_MAX] in struct config */
	int flags;
};

/* Every variable: the core's (core[]), then each driver's. */
struct vars {
	struct var v[VARS_MAX];
	size_t n;
	/* the strings of the drivers' variables and of SOURCE's help */
	char name[VARS_MAX][VAR_NAME_MAX];
	char unset[VARS_MAX][VAR_TEXT_MAX];
	char help[VARS_MAX][VAR_TEXT_MAX];
};

static const struct var core[V_COUNT] = {
	[V_SOURCE] = { "SOURCE", NULL, "whichever CLIENT_ID is set, in this "
	    "order", "", NO_FIELD, 0 },
	[V_FITBIT_USER_ID] = { "FITBIT_USER_ID", "default", NULL,
	    "value of the user label on every series;\n"
	    "                         not used with USERS",
	    FIELD(user_id), 0 },
	[V_USERS] = { "USERS", NULL, "unset: one account, FITBIT_USER_ID",
	    "accounts, a comma list of names (1-32 of a-z 0-9 _ -);\n"
	    "                         each is a user label, with "
	    "DATA_DIR/users/NAME/",
	    NO_FIELD, F_LIST },
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
	[V_EXERCISE_ROUTES] = { "EXERCISE_ROUTES", "off", NULL, "on or off: "
	    "workouts' GPS routes (TCX; asks for the location scope)",
	    NO_FIELD, 0 },
	[V_EXERCISE_ROUTES_DAYS] = { "EXERCISE_ROUTES_DAYS", "90", NULL,
	    "routes of the sessions of the last N days, 1..3650",
	    NO_FIELD, 0 },
	[V_LISTEN_ADDRESS] = { "LISTEN_ADDRESS", "0.0.0.0:9877", NULL,
	    "HTTP server: host:port, [v6]:port or :port",
	    FIELD(listen_address), 0 },
	[V_ADMIN_PASSWORD] = { "ADMIN_PASSWORD", NULL, "unset: loopback only",
	    "opens the page's Authorize to other addresses (basic auth)",
	    FIELD(admin_password), F_SECRET },
	[V_DATA_DIR] = { "DATA_DIR", "./data", NULL,
	    "tokens, sync state and the log file", FIELD(data_dir), 0 },
	[V_LOG_LEVEL] = { "LOG_LEVEL", "INFO", NULL,
	    "DEBUG, INFO, WARN or ERROR", NO_FIELD, 0 },
	[V_CA_FILE] = { "CA_FILE", NULL, "unset: the system's CAs",
	    "CA bundle (PEM) for TLS", FIELD(ca_file), 0 },
};

/* The raw strings, each from the last layer that set it. */
struct raw {
	char *val[VARS_MAX];	/* NULL: not set; owned */
	const struct vars *vars;
};

/* One driver variable: PREFIX + suffix, with what --help says of it. */
static void
var_source(struct vars *vs, const struct source_driver *d, size_t d_index,
    enum source_var sv)
{
	struct var *v = &vs->v[vs->n];
	char *name = vs->name[vs->n], *unset = vs->unset[vs->n];
	char *help = vs->help[vs->n];

	static const char *const suffix[SV_COUNT] = {
		[SV_CLIENT_ID] = "CLIENT_ID", [SV_CLIENT_SECRET] = "CLIENT_SECRET",
		[SV_REDIRECT_URI] = "REDIRECT_URI", [SV_AUTH_URL] = "AUTH_URL",
		[SV_TOKEN_URL] = "TOKEN_URL",
	};
	static const size_t field[SV_COUNT] = {
		[SV_CLIENT_ID] = offsetof(struct config_source, client_id),
		[SV_CLIENT_SECRET] = offsetof(struct config_source, client_secret),
		[SV_REDIRECT_URI] = offsetof(struct config_source, redirect_uri),
		[SV_API_URL] = offsetof(struct config_source, api_url),
		[SV_AUTH_URL] = offsetof(struct config_source, auth_url),
		[SV_TOKEN_URL] = offsetof(struct config_source, token_url),
	};

	memset(v, 0, sizeof(*v));
	v->name = name;
	v->unset = unset;
	v->help = help;
	unset[0] = '\0';
	snprintf(name, VAR_NAME_MAX, "%s%s", d->prefix,
	    sv == SV_API_URL ? d->api_var : suffix[sv]);
	v->field = FIELD(sources) + d_index * sizeof(struct config_source) +
	    field[sv];
	switch (sv) {
	case SV_CLIENT_ID:
	case SV_CLIENT_SECRET:
		snprintf(unset, VAR_TEXT_MAX, "unset, required for %s",
		    d->name);
		snprintf(help, VAR_TEXT_MAX, "%s OAuth client %s%s%s",
		    d->brand, sv == SV_CLIENT_ID ? "id" : "secret",
		    sv == SV_CLIENT_ID && d->client_note ? " " : "",
		    sv == SV_CLIENT_ID && d->client_note ? d->client_note : "");
		v->flags = sv == SV_CLIENT_SECRET ? F_SECRET : 0;
		break;
	case SV_REDIRECT_URI:
		v->def = d->redirect_uri;
		snprintf(help, VAR_TEXT_MAX, "%s OAuth redirect URI",
		    d->brand);
		v->flags = F_URL | F_REDIRECT;
		break;
	case SV_API_URL:
		v->def = d->api_url;
		snprintf(help, VAR_TEXT_MAX, "%s", d->api_help);
		v->flags = F_URL;
		break;
	case SV_AUTH_URL:
	case SV_TOKEN_URL:
		v->def = sv == SV_AUTH_URL ? d->auth_url : d->token_url;
		snprintf(help, VAR_TEXT_MAX, "%s %s", d->brand,
		    sv == SV_AUTH_URL ? "authorization page" :
		    "token endpoint");
		v->flags = F_URL;
		break;
	default:
		break;
	}
}

/* The core's variables, then each driver's (index V_COUNT + ...). */
static void
vars_build(struct vars *vs, struct config *cfg)
{
	const struct source_driver *const *d;
	size_t nd, i, k;
	char *p;

	d = source_drivers(&nd);
	memcpy(vs->v, core, sizeof(core));
	vs->n = V_COUNT;
	p = vs->help[V_SOURCE];
	vs->v[V_SOURCE].help = p;
	for (i = 0; i < nd; i++) {
		snprintf(p, VAR_TEXT_MAX - (size_t)(p - vs->help[V_SOURCE]),
		    "%s%s (%s)", i == 0 ? "" : i + 1 < nd ? ", " : " or ",
		    d[i]->name, d[i]->title);
		p += strlen(p);
		for (k = 0; k < SV_COUNT; k++, vs->n++)
			var_source(vs, d[i], i, (enum source_var)k);
		if (cfg != NULL)
			cfg->sources[i].driver = d[i];
	}
	if (cfg != NULL)
		cfg->nsources = nd;
}

static int
var_find(const struct vars *vs, const char *key, size_t n)
{
	size_t i;

	for (i = 0; i < vs->n; i++)
		if (strlen(vs->v[i].name) == n &&
		    strncmp(vs->v[i].name, key, n) == 0)
			return (int)i;
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

	for (i = 0; i < VARS_MAX; i++) {
		if (raw->val[i] != NULL) {
			explicit_bzero(raw->val[i], strlen(raw->val[i]));
			free(raw->val[i]);
		}
	}
}

static int
raw_set_cb(void *arg, const char *key, const char *value)
{
	struct raw *raw = arg;
	int id = var_find(raw->vars, key, strlen(key));

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
		id = var_find(raw->vars, *envp, (size_t)(eq - *envp));
		if (id != -1 && raw_set(raw, id, eq + 1) == -1)
			return err_set(err, "out of memory");
	}
	return 0;
}

/* "google or fitbit", "a, b or c": the drivers' names. */
static void
driver_names(char *buf, size_t size)
{
	const struct source_driver *const *d;
	size_t nd, i, used = 0;

	d = source_drivers(&nd);
	buf[0] = '\0';
	for (i = 0; i < nd && used < size; i++)
		used += (size_t)snprintf(buf + used, size - used, "%s%s",
		    i == 0 ? "" : i + 1 < nd ? ", " : " or ", d[i]->name);
}

/* "GOOGLE_CLIENT_ID (Google Health API) or FITBIT_CLIENT_ID (...)". */
static void
client_ids(const struct vars *vs, const struct config *cfg, char *buf,
    size_t size)
{
	size_t i, n = cfg->nsources, used = 0;

	buf[0] = '\0';
	for (i = 0; i < n && used < size; i++)
		used += (size_t)snprintf(buf + used, size - used, "%s%s (%s)",
		    i == 0 ? "" : i + 1 < n ? ", " : " or ",
		    vs->v[V_COUNT + i * SV_COUNT + SV_CLIENT_ID].name,
		    cfg->sources[i].driver->title);
}

/* SOURCE, and the client of the chosen source where the mode needs it;
 * unset: the first driver (table order) whose CLIENT_ID is set. */
static int
source_pick(struct config *cfg, const struct vars *vs, const char *v,
    struct err *err)
{
	char b[CONFIG_VALUE_SHOWN_SIZE], names[256];
	int need = cfg->mode != MODE_HEALTHCHECK;
	const struct config_source *src;
	const struct source_driver *d;
	size_t i, id;

	driver_names(names, sizeof(names));
	if (*v != '\0') {
		if ((d = source_driver_find(v)) == NULL)
			return err_set(err, "SOURCE: %s is not %s",
			    config_value_shown(b, sizeof(b), v, 0), names);
		for (i = 0; cfg->sources[i].driver != d; i++)
			;
		cfg->source = i;
	} else {
		for (i = 0; i < cfg->nsources &&
		    cfg->sources[i].client_id[0] == '\0'; i++)
			;
		if (i == cfg->nsources && need) {
			client_ids(vs, cfg, names, sizeof(names));
			return err_set(err, "SOURCE: unset, and no client id is "
			    "set: %s", names);
		}
		cfg->source = i == cfg->nsources ? 0 : i;
	}
	if (!need)
		return 0;
	src = &cfg->sources[cfg->source];
	if (src->client_id[0] != '\0' && src->client_secret[0] != '\0')
		return 0;
	id = V_COUNT + cfg->source * SV_COUNT + (src->client_id[0] == '\0' ?
	    SV_CLIENT_ID : SV_CLIENT_SECRET);
	return err_set(err, "%s: required for SOURCE=%s", vs->v[id].name,
	    src->driver->name);
}

/* Final value of each variable: set, or its default, never too long. */
static int
vars_apply(struct config *cfg, struct raw *raw, const char **val,
    struct err *err)
{
	const struct var *var;
	size_t i;

	for (i = 0; i < raw->vars->n; i++) {
		var = &raw->vars->v[i];
		val[i] = raw->val[i] != NULL ? raw->val[i] : var->def;
		if (val[i] == NULL)
			val[i] = "";
		if (var->def != NULL && *val[i] == '\0')
			return err_set(err, "%s: must not be empty", var->name);
		if (strlen(val[i]) > CONFIG_STR_MAX - 1 && !(var->flags & F_LIST))
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

/* EXERCISE_ROUTES and its days: cfg->routes_days, 0 when off. */
static int
routes_check(struct config *cfg, const char **val, struct err *err)
{
	char b[CONFIG_VALUE_SHOWN_SIZE];
	int days;

	if (config_value_int("EXERCISE_ROUTES_DAYS",
	    val[V_EXERCISE_ROUTES_DAYS], 1, ROUTE_DAYS_MAX, &days, err) == -1)
		return -1;
	if (strcmp(val[V_EXERCISE_ROUTES], "off") == 0)
		return 0;
	if (strcmp(val[V_EXERCISE_ROUTES], "on") != 0)
		return err_set(err, "EXERCISE_ROUTES: %s is not on or off",
		    config_value_shown(b, sizeof(b), val[V_EXERCISE_ROUTES], 0));
	if (!(cfg->collect & groups_mask("exercise")))
		return err_set(err, "EXERCISE_ROUTES: on, but COLLECT leaves "
		    "out exercise");
	cfg->routes_days = days;
	return 0;
}

static int
vars_check(struct config *cfg, const struct vars *vs,
    const struct config_opts *o, const char **val, struct err *err)
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
	if (groups_parse(val[V_COLLECT], &cfg->collect, err) == -1)
		return -1;
	if (strcmp(val[V_INTRADAY], "off") == 0)
		cfg->collect &= ~groups_mask("intraday");
	else if (strcmp(val[V_INTRADAY], "on") != 0)
		return err_set(err, "INTRADAY: %s is not on or off",
		    config_value_shown(b, sizeof(b), val[V_INTRADAY], 0));
	if (routes_check(cfg, val, err) == -1)
		return -1;
	if (o->log_level != NULL ? config_value_level("--log-level",
	    o->log_level, &cfg->log_level, err) == -1 :
	    config_value_level("LOG_LEVEL", val[V_LOG_LEVEL], &cfg->log_level,
	    err) == -1)
		return -1;
	/* the label of the single account; with USERS it is not used */
	if (*val[V_USERS] == '\0' && strlen(cfg->user_id) > USER_ID_MAX)
		return err_set(err, "FITBIT_USER_ID: longer than %d bytes",
		    USER_ID_MAX);
	for (c = cfg->user_id; *val[V_USERS] == '\0' && *c != '\0'; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			return err_set(err, "FITBIT_USER_ID: contains a "
			    "control character");
	if (config_users_parse(cfg, val[V_USERS], err) == -1 ||
	    config_users_pick(cfg, o->user, err) == -1)
		return -1;
	if (cfg->victoria_password[0] != '\0' && cfg->victoria_user[0] == '\0')
		return err_set(err, "VICTORIA_PASSWORD: set without "
		    "VICTORIA_USER");
	if (cfg->ca_file[0] != '\0' && access(cfg->ca_file, R_OK) == -1)
		return err_set(err, "CA_FILE: cannot read '%s': %s",
		    cfg->ca_file, strerror(errno));
	return source_pick(cfg, vs, val[V_SOURCE], err);
}

int
config_load(struct config *cfg, int argc, char **argv, char **envp,
    struct err *err)
{
	const char *val[VARS_MAX];
	struct vars vs;
	struct raw raw;
	struct config_opts o;
	int rc = -1;

	memset(cfg, 0, sizeof(*cfg));
	memset(&raw, 0, sizeof(raw));
	vars_build(&vs, cfg);
	raw.vars = &vs;
	if (config_opts_parse(cfg, &o, argc, argv, err) == -1)
		goto out;
	if (cfg->mode == MODE_HELP || cfg->mode == MODE_VERSION)
		return 0;
	if (env_file_load(&raw, o.env_file, err) == -1 ||
	    environ_load(&raw, envp, err) == -1 ||
	    vars_apply(cfg, &raw, val, err) == -1 ||
	    vars_check(cfg, &vs, &o, val, err) == -1)
		goto out;
	rc = 0;
out:
	raw_release(&raw);
	if (rc == -1)
		explicit_bzero(cfg, sizeof(*cfg));
	return rc;
}

static void
var_usage(FILE *f, const struct var *v)
{
	fprintf(f, "  %-22s %s\n  %-22s default: %s\n", v->name, v->help, "",
	    v->def != NULL ? v->def : v->unset);
}

void
config_usage(FILE *f)
{
	struct vars vs;
	size_t i;

	vars_build(&vs, NULL);
	fputs("usage: syncbit [--env-file PATH] [--log-level LEVEL]\n"
	    "       syncbit --authorize [--listen-all] [--user NAME]\n"
	    "       syncbit --once [--user NAME]\n"
	    "       syncbit --backfill --from YYYY-MM-DD [--to YYYY-MM-DD] "
	    "[--user NAME]\n"
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
	    "  --user NAME          with USERS: the account of --authorize "
	    "(required),\n"
	    "                       --once or --backfill (default: every "
	    "account)\n"
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
	/* SOURCE, each driver's, then the others */
	var_usage(f, &vs.v[V_SOURCE]);
	for (i = V_COUNT; i < vs.n; i++)
		var_usage(f, &vs.v[i]);
	for (i = V_SOURCE + 1; i < V_COUNT; i++)
		var_usage(f, &vs.v[i]);
	fputs("\nExit status: 0 success, 1 failure, 2 bad configuration or "
	    "usage.\n", f);
}

const struct config_source *
config_source(const struct config *cfg)
{
	return &cfg->sources[cfg->source];
}
