/*
 * config: defaults, .env syntax, layering, options, and one exact line per
 * invalid value, never holding a secret. No test reads the caller's real
 * environment: each passes a synthetic envp and its own --env-file (or
 * runs in an empty directory for the default ./.env).
 */
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "civil.h"
#include "config/config.h"
#include "sync/groups.h"
#include "helpers.h"
#include "t.h"

#define SECRET "Sup3r-S3cret-Value!"
#define FITBIT_OK "FITBIT_CLIENT_ID=fb-id", "FITBIT_CLIENT_SECRET=fb-secret"
#define MAX_ARGS 32

static struct config cfg;	/* large: not on the stack */
static char *tmp;		/* this suite's directory */

/*
 * config_load() with argv "syncbit --env-file FILE args..." where FILE
 * holds dotenv (or is /dev/null), and envp built from env. Both lists end
 * with NULL. The caller's args come last, so its own --env-file wins.
 */
static int
load(const char *const *args, const char *const *env, const char *dotenv,
    struct err *err)
{
	char *argv[MAX_ARGS], *envp[MAX_ARGS], path[PATH_MAX];
	int argc = 0, n = 0;

	snprintf(path, sizeof(path), "%s/test.env", tmp);
	if (dotenv != NULL)
		t_write_file(path, dotenv);
	argv[argc++] = "syncbit";
	argv[argc++] = "--env-file";
	argv[argc++] = dotenv != NULL ? path : "/dev/null";
	while (args != NULL && *args != NULL && argc < MAX_ARGS - 1)
		argv[argc++] = (char *)*args++;
	argv[argc] = NULL;
	while (env != NULL && *env != NULL && n < MAX_ARGS - 1)
		envp[n++] = (char *)*env++;
	envp[n] = NULL;
	err_clear(err);
	return config_load(&cfg, argc, argv, envp, err);
}

/* The variables of the driver called name, as config_load left them. */
static struct config_source *
src_named(const char *name)
{
	size_t i;

	for (i = 0; i < cfg.nsources; i++)
		if (strcmp(cfg.sources[i].driver->name, name) == 0)
			return &cfg.sources[i];
	printf("# no driver '%s'\n", name);
	return &cfg.sources[SOURCE_DRIVERS_MAX - 1];
}

/* 1 when SOURCE picked the driver called name. */
static int
source_is(const char *name)
{
	return strcmp(config_source(&cfg)->driver->name, name) == 0;
}

static void
test_defaults(void)
{
	const char *env[] = { FITBIT_OK, NULL };
	struct err err;

	CHECK(load(NULL, env, NULL, &err) == 0);
	CHECK(cfg.mode == MODE_SERVICE);
	CHECK(source_is("fitbit"));
	CHECK(strcmp(src_named("google")->redirect_uri,
	    "http://127.0.0.1:8080/callback") == 0);
	CHECK(strcmp(src_named("google")->api_url,
	    "https://health.googleapis.com") == 0);
	CHECK(strcmp(src_named("google")->auth_url,
	    "https://accounts.google.com/o/oauth2/v2/auth") == 0);
	CHECK(strcmp(src_named("google")->token_url,
	    "https://oauth2.googleapis.com/token") == 0);
	CHECK(strcmp(src_named("fitbit")->redirect_uri,
	    "http://localhost:8080/callback") == 0);
	CHECK(strcmp(src_named("fitbit")->api_url, "https://api.fitbit.com") == 0);
	CHECK(strcmp(src_named("fitbit")->auth_url,
	    "https://www.fitbit.com/oauth2/authorize") == 0);
	CHECK(strcmp(src_named("fitbit")->token_url,
	    "https://api.fitbit.com/oauth2/token") == 0);
	CHECK(strcmp(src_named("fitbit")->client_id, "fb-id") == 0);
	CHECK(strcmp(src_named("fitbit")->client_secret, "fb-secret") == 0);
	CHECK(strcmp(cfg.user_id, "default") == 0);
	CHECK(cfg.victoria_endpoint[0] == '\0');
	CHECK(cfg.victoria_user[0] == '\0');
	CHECK(cfg.victoria_password[0] == '\0');
	CHECK(cfg.sync_interval_minutes == 15);
	CHECK(cfg.backfill_start == -1);
	CHECK(strcmp(cfg.listen_address, "0.0.0.0:9877") == 0);
	CHECK(strcmp(cfg.listen_host, "0.0.0.0") == 0);
	CHECK(cfg.listen_port == 9877);
	CHECK(strcmp(cfg.data_dir, "./data") == 0);
	CHECK(cfg.log_level == LOG_INFO);
	CHECK(cfg.ca_file[0] == '\0');
	CHECK(cfg.backfill_from == -1 && cfg.backfill_to == -1);
	CHECK(cfg.callback_bind_all == 0);
}

/* Every variable set: each lands in its field. */
static void
test_all_set(void)
{
	char ca[PATH_MAX], ca_env[PATH_MAX + 16];
	const char *env[] = {
		"SOURCE=google", "GOOGLE_CLIENT_ID=g-id",
		"GOOGLE_CLIENT_SECRET=g-secret",
		"GOOGLE_REDIRECT_URI=http://localhost:9999/cb",
		"GOOGLE_HEALTH_API_URL=http://127.0.0.1:18081",
		"GOOGLE_AUTH_URL=http://127.0.0.1:18081/auth",
		"GOOGLE_TOKEN_URL=http://127.0.0.1:18081/token",
		"FITBIT_API_URL=http://[::1]:18082/",
		"FITBIT_USER_ID=alice", "DATA_DIR=/var/lib/syncbit",
		"VICTORIA_ENDPOINT=https://vm.example:8428/api/v1/write",
		"VICTORIA_USER=vmuser", "VICTORIA_PASSWORD=" SECRET,
		"SYNC_INTERVAL_MINUTES=1440", "BACKFILL_START=2023-03-01",
		"COLLECT=sleep,intraday,devices", "INTRADAY=off",
		"LISTEN_ADDRESS=127.0.0.1:9100", "LOG_LEVEL=debug", ca_env,
		"UNRELATED=1", "NO_EQUALS_SIGN", NULL
	};
	struct err err;

	snprintf(ca, sizeof(ca), "%s/ca.pem", tmp);
	t_write_file(ca, "-----BEGIN CERTIFICATE-----\n");
	snprintf(ca_env, sizeof(ca_env), "CA_FILE=%s", ca);
	CHECK(load(NULL, env, NULL, &err) == 0);
	CHECK(source_is("google"));
	CHECK(strcmp(src_named("google")->client_id, "g-id") == 0);
	CHECK(strcmp(src_named("google")->client_secret, "g-secret") == 0);
	CHECK(strcmp(src_named("google")->redirect_uri, "http://localhost:9999/cb") == 0);
	CHECK(strcmp(src_named("google")->api_url, "http://127.0.0.1:18081") == 0);
	CHECK(strcmp(src_named("google")->auth_url, "http://127.0.0.1:18081/auth") == 0);
	CHECK(strcmp(src_named("google")->token_url, "http://127.0.0.1:18081/token")
	    == 0);
	CHECK(strcmp(src_named("fitbit")->api_url, "http://[::1]:18082/") == 0);
	CHECK(strcmp(cfg.user_id, "alice") == 0);
	CHECK(strcmp(cfg.data_dir, "/var/lib/syncbit") == 0);
	CHECK(strcmp(cfg.victoria_endpoint,
	    "https://vm.example:8428/api/v1/write") == 0);
	CHECK(strcmp(cfg.victoria_user, "vmuser") == 0);
	CHECK(strcmp(cfg.victoria_password, SECRET) == 0);
	CHECK(cfg.sync_interval_minutes == 1440);
	CHECK(cfg.backfill_start == civil_from_ymd(2023, 3, 1));
	/* INTRADAY=off wins over COLLECT's intraday */
	CHECK(cfg.collect == (groups_mask("sleep") | groups_mask("devices")));
	CHECK(strcmp(cfg.listen_host, "127.0.0.1") == 0);
	CHECK(cfg.listen_port == 9100);
	CHECK(cfg.log_level == LOG_DEBUG);
	CHECK(strcmp(cfg.ca_file, ca) == 0);
}

struct source_case {
	const char *env[5];
	const char *arg;
	int rc;
	const char *source;	/* the driver's name */
	const char *msg;
};

/* EXERCISE_ROUTES: its days, only with the exercise group. */
static void
test_routes(void)
{
	const char *on[] = { FITBIT_OK, "EXERCISE_ROUTES=on", NULL };
	const char *days[] = { FITBIT_OK, "EXERCISE_ROUTES=on",
	    "EXERCISE_ROUTES_DAYS=7", NULL };
	const char *no_ex[] = { FITBIT_OK, "EXERCISE_ROUTES=on",
	    "COLLECT=activity,heart", NULL };
	const char *off[] = { FITBIT_OK, "EXERCISE_ROUTES=off",
	    "COLLECT=activity", "EXERCISE_ROUTES_DAYS=7", NULL };
	struct err err;

	CHECK(load(NULL, on, NULL, &err) == 0 && cfg.routes_days == 90);
	CHECK(load(NULL, days, NULL, &err) == 0 && cfg.routes_days == 7);
	CHECK(load(NULL, off, NULL, &err) == 0 && cfg.routes_days == 0);
	CHECK(load(NULL, no_ex, NULL, &err) == -1);
	CHECK(strcmp(err.msg, "EXERCISE_ROUTES: on, but COLLECT leaves out "
	    "exercise") == 0);
}

static void
test_source(void)
{
	static const struct source_case cases[] = {
		{ { "GOOGLE_CLIENT_ID=g", "GOOGLE_CLIENT_SECRET=s" }, NULL, 0,
		    "google", NULL },
		{ { FITBIT_OK }, NULL, 0, "fitbit", NULL },
		{ { "GOOGLE_CLIENT_ID=g", "GOOGLE_CLIENT_SECRET=s", FITBIT_OK },
		    NULL, 0, "google", NULL },
		{ { "SOURCE=fitbit", "GOOGLE_CLIENT_ID=g", FITBIT_OK }, NULL, 0,
		    "fitbit", NULL },
		{ { "SOURCE=Google", "GOOGLE_CLIENT_ID=g",
		    "GOOGLE_CLIENT_SECRET=s" }, NULL, 0, "google", NULL },
		{ { "SOURCE=", FITBIT_OK }, NULL, 0, "fitbit", NULL },
		{ { NULL }, "--healthcheck", 0, "google", NULL },
		{ { "SOURCE=fitbit" }, "--healthcheck", 0, "fitbit",
		    NULL },
		{ { NULL }, NULL, -1, 0, "SOURCE: unset, and no client id "
		    "is set: GOOGLE_CLIENT_ID (Google Health API) or "
		    "FITBIT_CLIENT_ID (legacy Fitbit Web API)" },
		{ { NULL }, "--once", -1, 0, "SOURCE: unset, and no client id "
		    "is set: GOOGLE_CLIENT_ID (Google Health API) or "
		    "FITBIT_CLIENT_ID (legacy Fitbit Web API)" },
		{ { NULL }, "--authorize", -1, 0, "SOURCE: unset, and no client id "
		    "is set: GOOGLE_CLIENT_ID (Google Health API) or "
		    "FITBIT_CLIENT_ID (legacy Fitbit Web API)" },
		{ { "SOURCE=google", FITBIT_OK }, NULL, -1, 0,
		    "GOOGLE_CLIENT_ID: required for SOURCE=google" },
		{ { "GOOGLE_CLIENT_ID=g", FITBIT_OK }, NULL, -1, 0,
		    "GOOGLE_CLIENT_SECRET: required for SOURCE=google" },
		{ { "FITBIT_CLIENT_ID=f" }, NULL, -1, 0,
		    "FITBIT_CLIENT_SECRET: required for SOURCE=fitbit" },
		{ { "SOURCE=fitbit", "FITBIT_CLIENT_SECRET=" SECRET }, NULL,
		    -1, 0, "FITBIT_CLIENT_ID: required for SOURCE=fitbit" },
		{ { "SOURCE=azure", FITBIT_OK }, NULL, -1, 0,
		    "SOURCE: 'azure' is not google or fitbit" },
	};
	const struct source_case *c;
	const char *args[2];
	struct err err;
	int rc;

	for (c = cases; c < cases + sizeof(cases) / sizeof(cases[0]); c++) {
		args[0] = c->arg;
		args[1] = NULL;
		rc = load(args, c->env, NULL, &err);
		CHECK(rc == c->rc);
		if (rc == 0 && c->rc == 0)
			CHECK(source_is(c->source));
		if (c->msg != NULL && strcmp(err.msg, c->msg) != 0)
			printf("# got '%s'\n", err.msg);
		if (c->msg != NULL)
			CHECK(strcmp(err.msg, c->msg) == 0);
	}
}

/* The .env layer, the environment over it, options over both. */
static void
test_layers(void)
{
	const char *dotenv = "# SyncBit\n"
	    "export FITBIT_CLIENT_ID=from-file\n"
	    "FITBIT_CLIENT_SECRET='" SECRET "'\n"
	    "SYNC_INTERVAL_MINUTES=30\n"
	    "LOG_LEVEL=ERROR\n"
	    "LISTEN_ADDRESS=bogus\n"
	    "SOMETHING_ELSE=ignored\n";
	const char *env[] = { "SYNC_INTERVAL_MINUTES=45",
	    "LISTEN_ADDRESS=:9100", NULL };
	const char *args[] = { "--log-level", "warn", NULL };
	char path[PATH_MAX], msg[PATH_MAX + 64];
	struct err err;

	CHECK(load(NULL, NULL, dotenv, &err) == -1);
	CHECK(strcmp(err.msg, "LISTEN_ADDRESS: 'bogus' is not host:port")
	    == 0);
	CHECK(load(args, env, dotenv, &err) == 0);
	CHECK(strcmp(src_named("fitbit")->client_id, "from-file") == 0);
	CHECK(strcmp(src_named("fitbit")->client_secret, SECRET) == 0);
	CHECK(cfg.sync_interval_minutes == 45);	/* environment wins */
	CHECK(cfg.listen_port == 9100);		/* bad .env value unjudged */
	CHECK(cfg.log_level == LOG_WARN);	/* the option wins */

	snprintf(path, sizeof(path), "%s/test.env", tmp);
	snprintf(msg, sizeof(msg), "'%s' line 3: expected KEY=value", path);
	CHECK(load(NULL, NULL, "A=1\n\nFITBIT_CLIENT_SECRET " SECRET "\n",
	    &err) == -1);
	CHECK(strcmp(err.msg, msg) == 0);
	CHECK(strstr(err.msg, SECRET) == NULL);
}

static void
test_env_file_missing(void)
{
	const char *args[] = { "--env-file", "/nonexistent/syncbit.env", NULL };
	const char *env[] = { FITBIT_OK, NULL };
	char *argv[] = { "syncbit", NULL };
	char *envp[] = { "FITBIT_CLIENT_ID=x", "FITBIT_CLIENT_SECRET=y", NULL };
	char cwd[PATH_MAX], dir[PATH_MAX];
	struct err err;

	CHECK(load(args, env, NULL, &err) == -1);
	CHECK(strcmp(err.msg, "--env-file: cannot read "
	    "'/nonexistent/syncbit.env': No such file or directory") == 0);

	/* ./.env: missing is fine, present is read */
	snprintf(dir, sizeof(dir), "%s/cwd", tmp);
	if (getcwd(cwd, sizeof(cwd)) == NULL || mkdir(dir, 0700) == -1 ||
	    chdir(dir) == -1) {
		CHECK(!"cannot enter a directory without .env");
		return;
	}
	err_clear(&err);
	CHECK(config_load(&cfg, 1, argv, envp, &err) == 0);
	CHECK(cfg.sync_interval_minutes == 15);
	t_write_file(".env", "SYNC_INTERVAL_MINUTES=5\nFITBIT_USER_ID=bob\n");
	CHECK(config_load(&cfg, 1, argv, envp, &err) == 0);
	CHECK(cfg.sync_interval_minutes == 5);
	CHECK(strcmp(cfg.user_id, "bob") == 0);
	t_write_file(".env", "SYNC_INTERVAL_MINUTES\n");
	CHECK(config_load(&cfg, 1, argv, envp, &err) == -1);
	CHECK(strcmp(err.msg, "'.env' line 1: expected KEY=value") == 0);
	unlink(".env");
	mkdir(".env", 0700);	/* unreadable as a file */
	err_clear(&err);
	CHECK(config_load(&cfg, 1, argv, envp, &err) == -1);
	CHECK(strcmp(err.msg, "cannot read '.env': Is a directory") == 0);
	CHECK(chdir(cwd) == 0);
}

struct bad_case {
	const char *var;	/* one "KEY=value" added to a valid env */
	const char *msg;
};

static void
test_invalid(void)
{
	static char long_dir[CONFIG_STR_MAX + 16], long_secret[CONFIG_STR_MAX +
	    64], long_user[80], long_num[128], long_msg[256];
	const struct bad_case cases[] = {
		{ "SYNC_INTERVAL_MINUTES=abc",
		    "SYNC_INTERVAL_MINUTES: 'abc' is not a whole number" },
		{ "SYNC_INTERVAL_MINUTES=-5",
		    "SYNC_INTERVAL_MINUTES: '-5' is not a whole number" },
		{ "SYNC_INTERVAL_MINUTES=1.5",
		    "SYNC_INTERVAL_MINUTES: '1.5' is not a whole number" },
		{ "SYNC_INTERVAL_MINUTES= 15",
		    "SYNC_INTERVAL_MINUTES: ' 15' is not a whole number" },
		{ "SYNC_INTERVAL_MINUTES=0",
		    "SYNC_INTERVAL_MINUTES: '0' is not between 1 and 1440" },
		{ "SYNC_INTERVAL_MINUTES=1441",
		    "SYNC_INTERVAL_MINUTES: '1441' is not between 1 and 1440" },
		{ "SYNC_INTERVAL_MINUTES=99999999999999999999",
		    "SYNC_INTERVAL_MINUTES: '99999999999999999999' is not "
		    "between 1 and 1440" },
		{ "SYNC_INTERVAL_MINUTES=",
		    "SYNC_INTERVAL_MINUTES: must not be empty" },
		{ long_num, long_msg },
		{ "COLLECT=sleep,naps",
		    "COLLECT: unknown data kind 'naps' (known: all,activity,"
		    "heart,azm,sleep,spo2,hrv,breathing,temperature,vo2max,"
		    "weight,exercise,devices,intraday)" },
		{ "INTRADAY=maybe", "INTRADAY: 'maybe' is not on or off" },
		{ "EXERCISE_ROUTES=yes",
		    "EXERCISE_ROUTES: 'yes' is not on or off" },
		{ "EXERCISE_ROUTES_DAYS=0",
		    "EXERCISE_ROUTES_DAYS: '0' is not between 1 and 3650" },
		{ "EXERCISE_ROUTES_DAYS=90d",
		    "EXERCISE_ROUTES_DAYS: '90d' is not a whole number" },
		{ "BACKFILL_START=2024-02-30",
		    "BACKFILL_START: '2024-02-30' is not a date (YYYY-MM-DD)" },
		{ "BACKFILL_START=2024-1-01",
		    "BACKFILL_START: '2024-1-01' is not a date (YYYY-MM-DD)" },
		{ "BACKFILL_START=yesterday",
		    "BACKFILL_START: 'yesterday' is not a date (YYYY-MM-DD)" },
		{ "LISTEN_ADDRESS=9877",
		    "LISTEN_ADDRESS: '9877' is not host:port" },
		{ "LISTEN_ADDRESS=host:",
		    "LISTEN_ADDRESS: 'host:': the port is not 0..65535" },
		{ "LISTEN_ADDRESS=host:65536",
		    "LISTEN_ADDRESS: 'host:65536': the port is not 0..65535" },
		{ "LISTEN_ADDRESS=host:http",
		    "LISTEN_ADDRESS: 'host:http': the port is not 0..65535" },
		{ "LISTEN_ADDRESS=::1:80", "LISTEN_ADDRESS: '::1:80': write an "
		    "IPv6 address as [address]:port" },
		{ "LISTEN_ADDRESS=[::1]",
		    "LISTEN_ADDRESS: '[::1]' is not [address]:port" },
		{ "LISTEN_ADDRESS=[]:80",
		    "LISTEN_ADDRESS: '[]:80' is not [address]:port" },
		{ "LOG_LEVEL=loud",
		    "LOG_LEVEL: 'loud' is not DEBUG, INFO, WARN or ERROR" },
		{ "LOG_LEVEL=a\nb",
		    "LOG_LEVEL: 'a?b' is not DEBUG, INFO, WARN or ERROR" },
		{ long_user, "FITBIT_USER_ID: longer than 63 bytes" },
		{ "FITBIT_USER_ID=", "FITBIT_USER_ID: must not be empty" },
		{ "FITBIT_USER_ID=a\tb",
		    "FITBIT_USER_ID: contains a control character" },
		{ "DATA_DIR=", "DATA_DIR: must not be empty" },
		{ long_dir, "DATA_DIR: longer than 1023 bytes" },
		{ long_secret, "FITBIT_CLIENT_SECRET: longer than 1023 bytes" },
		{ "GOOGLE_TOKEN_URL=ftp://x", "GOOGLE_TOKEN_URL: 'ftp://x' is "
		    "not an http:// or https:// URL" },
		{ "GOOGLE_TOKEN_URL=oauth2.googleapis.com/token",
		    "GOOGLE_TOKEN_URL: 'oauth2.googleapis.com/token' is not an "
		    "http:// or https:// URL" },
		{ "GOOGLE_TOKEN_URL=", "GOOGLE_TOKEN_URL: must not be empty" },
		{ "FITBIT_API_URL=http://",
		    "FITBIT_API_URL: 'http://' has no host" },
		{ "FITBIT_API_URL=https://:443/x",
		    "FITBIT_API_URL: 'https://:443/x' has no host" },
		{ "FITBIT_AUTH_URL=http://[::1/x",
		    "FITBIT_AUTH_URL: 'http://[::1/x' has no closing ']'" },
		{ "GOOGLE_HEALTH_API_URL=http://h:99999/",
		    "GOOGLE_HEALTH_API_URL: 'http://h:99999/' has a bad port" },
		{ "VICTORIA_ENDPOINT=http://vm /x", "VICTORIA_ENDPOINT: "
		    "'http://vm /x' contains a space or a control character" },
		{ "VICTORIA_ENDPOINT=http://u:" SECRET "@vm:x/api",
		    "VICTORIA_ENDPOINT: the URL has a bad port" },
		{ "FITBIT_REDIRECT_URI=https://localhost:8080/callback",
		    "FITBIT_REDIRECT_URI: 'https://localhost:8080/callback' "
		    "must use http:// on a loopback address (SyncBit receives "
		    "the callback itself)" },
		{ "GOOGLE_REDIRECT_URI=https://[::1]/cb",
		    "GOOGLE_REDIRECT_URI: 'https://[::1]/cb' must use http:// "
		    "on a loopback address (SyncBit receives the callback "
		    "itself)" },
		{ "GOOGLE_REDIRECT_URI=http://127.0.0.1:8080/cb#x",
		    "GOOGLE_REDIRECT_URI: 'http://127.0.0.1:8080/cb#x' must "
		    "not have a fragment ('#')" },
		/* URLs as curl_url() reads them, in SyncBit's words */
		{ "VICTORIA_ENDPOINT=http://u:" SECRET "@/api",
		    "VICTORIA_ENDPOINT: the URL has no host" },
		{ "VICTORIA_ENDPOINT=mailto:vm@example.com",
		    "VICTORIA_ENDPOINT: the URL is not an http:// or https:// "
		    "URL" },
		{ "FITBIT_API_URL=file:///etc/passwd", "FITBIT_API_URL: "
		    "'file:///etc/passwd' is not an http:// or https:// URL" },
		{ "FITBIT_API_URL=file://h/etc", "FITBIT_API_URL: "
		    "'file://h/etc' is not an http:// or https:// URL" },
		{ "FITBIT_API_URL=http:///api", "FITBIT_API_URL: 'http:///api' "
		    "has no host" },
		{ "FITBIT_API_URL=http://?x", "FITBIT_API_URL: 'http://?x' has "
		    "no host" },
		{ "FITBIT_API_URL=http:/h/api", "FITBIT_API_URL: 'http:/h/api' "
		    "is not an http:// or https:// URL" },
		{ "FITBIT_API_URL= http://h/", "FITBIT_API_URL: ' http://h/' is "
		    "not an http:// or https:// URL" },
		{ "FITBIT_API_URL=http://[::1]:99999/", "FITBIT_API_URL: "
		    "'http://[::1]:99999/' has a bad port" },
		{ "FITBIT_API_URL=http://[::1]x/", "FITBIT_API_URL: "
		    "'http://[::1]x/' has a bad port" },
		{ "FITBIT_API_URL=http://[zz]:80/", "FITBIT_API_URL: "
		    "'http://[zz]:80/' has a bad IPv6 address" },
		{ "FITBIT_API_URL=http://h:-1/", "FITBIT_API_URL: 'http://h:-1/' "
		    "has a bad port" },
		{ "FITBIT_API_URL=http://h:80:80/", "FITBIT_API_URL: "
		    "'http://h:80:80/' has a bad port" },
		{ "FITBIT_API_URL=http://h/a b", "FITBIT_API_URL: 'http://h/a b' "
		    "contains a space or a control character" },
		{ "FITBIT_API_URL=http://h/?q= 1", "FITBIT_API_URL: "
		    "'http://h/?q= 1' contains a space or a control character" },
		{ "FITBIT_API_URL=http://h/\tx", "FITBIT_API_URL: 'http://h/?x' "
		    "contains a space or a control character" },
		{ "FITBIT_API_URL=http://h/ ", "FITBIT_API_URL: 'http://h/ ' "
		    "contains a space or a control character" },
		{ "FITBIT_API_URL=http://h^/", "FITBIT_API_URL: 'http://h^/' has "
		    "a bad host name" },
		{ "FITBIT_REDIRECT_URI=http://localhost:8080/cb#",
		    "FITBIT_REDIRECT_URI: 'http://localhost:8080/cb#' must not "
		    "have a fragment ('#')" },
		{ "FITBIT_REDIRECT_URI=http://localhost/cb?a=1#_=_",
		    "FITBIT_REDIRECT_URI: 'http://localhost/cb?a=1#_=_' must not "
		    "have a fragment ('#')" },
		{ "GOOGLE_REDIRECT_URI=https://127.1:8080/cb",
		    "GOOGLE_REDIRECT_URI: 'https://127.1:8080/cb' must use "
		    "http:// on a loopback address (SyncBit receives the "
		    "callback itself)" },
		{ "GOOGLE_REDIRECT_URI=HTTPS://[0:0::1]/cb",
		    "GOOGLE_REDIRECT_URI: 'HTTPS://[0:0::1]/cb' must use "
		    "http:// on a loopback address (SyncBit receives the "
		    "callback itself)" },
		{ "GOOGLE_REDIRECT_URI=https://u:" SECRET "@LocalHost/cb",
		    "GOOGLE_REDIRECT_URI: the URL must use http:// on a loopback "
		    "address (SyncBit receives the callback itself)" },
		{ "VICTORIA_PASSWORD=" SECRET,
		    "VICTORIA_PASSWORD: set without VICTORIA_USER" },
		{ "CA_FILE=/nonexistent/ca.pem", "CA_FILE: cannot read "
		    "'/nonexistent/ca.pem': No such file or directory" },
	};
	const struct bad_case *c;
	const char *env[4] = { FITBIT_OK, NULL, NULL };
	struct err err;
	int rc;

	snprintf(long_dir, sizeof(long_dir), "DATA_DIR=%0*d", CONFIG_STR_MAX,
	    0);
	snprintf(long_secret, sizeof(long_secret), "FITBIT_CLIENT_SECRET="
	    "%s%0*d", SECRET, CONFIG_STR_MAX, 0);
	snprintf(long_user, sizeof(long_user), "FITBIT_USER_ID=%064d", 0);
	snprintf(long_num, sizeof(long_num), "SYNC_INTERVAL_MINUTES=%0100d", 0);
	snprintf(long_msg, sizeof(long_msg), "SYNC_INTERVAL_MINUTES: '%064d...'"
	    " is not between 1 and 1440", 0);
	for (c = cases; c < cases + sizeof(cases) / sizeof(cases[0]); c++) {
		env[2] = c->var;
		rc = load(NULL, env, NULL, &err);
		CHECK(rc == -1);
		if (strcmp(err.msg, c->msg) != 0)
			printf("# %s: got '%s'\n", c->var, err.msg);
		CHECK(strcmp(err.msg, c->msg) == 0);
		CHECK(strstr(err.msg, SECRET) == NULL);
		CHECK(strchr(err.msg, '\n') == NULL);
	}
	/* a just-fitting value is taken whole */
	snprintf(long_dir, sizeof(long_dir), "DATA_DIR=%0*d",
	    CONFIG_STR_MAX - 1, 0);
	env[2] = long_dir;
	CHECK(load(NULL, env, NULL, &err) == 0);
	CHECK(strlen(cfg.data_dir) == CONFIG_STR_MAX - 1);
}

/* 1 when the n bytes at p hold the string s. */
static int
holds(const void *p, size_t n, const char *s)
{
	const char *b = p;
	size_t i, len = strlen(s);

	for (i = 0; i + len <= n; i++)
		if (memcmp(b + i, s, len) == 0)
			return 1;
	return 0;
}

/* A secret never reaches a message, and a failed load keeps none. */
static void
test_secrets(void)
{
	const char *envs[][4] = {
		{ "SOURCE=google", "FITBIT_CLIENT_ID=f",
		    "FITBIT_CLIENT_SECRET=" SECRET, NULL },
		{ "GOOGLE_CLIENT_SECRET=" SECRET, NULL },
		{ FITBIT_OK, "VICTORIA_PASSWORD=" SECRET, NULL },
		{ FITBIT_OK, "VICTORIA_ENDPOINT=ftp://u:" SECRET "@vm/", NULL },
		{ "FITBIT_CLIENT_ID=f", "FITBIT_CLIENT_SECRET=" SECRET,
		    "SYNC_INTERVAL_MINUTES=x", NULL },
	};
	const char *args[] = { "--client-secret=" SECRET, NULL };
	const char *env[] = { FITBIT_OK, NULL };
	struct err err;
	size_t i;

	for (i = 0; i < sizeof(envs) / sizeof(envs[0]); i++) {
		CHECK(load(NULL, envs[i], NULL, &err) == -1);
		CHECK(strstr(err.msg, SECRET) == NULL);
		CHECK(!holds(&cfg, sizeof(cfg), SECRET));
		CHECK(strstr(cfg.victoria_password, SECRET) == NULL);
	}
	CHECK(load(args, env, NULL, &err) == -1);
	CHECK(strcmp(err.msg, "unknown option '--client-secret'; see --help")
	    == 0);
	CHECK(load(NULL, NULL, "FITBIT_CLIENT_SECRET=\"" SECRET "\n",
	    &err) == -1);
	CHECK(strstr(err.msg, SECRET) == NULL);
}

struct url_case {
	const char *var;	/* "KEY=url" */
	size_t field;		/* where url lands in struct config */
};

#define AT(f) offsetof(struct config, f)
/* a driver's variable; i: its place in the driver table (google, fitbit) */
#define SAT(i, f) (offsetof(struct config, sources) + \
	(i) * sizeof(struct config_source) + offsetof(struct config_source, f))

/* URLs curl_url() and SyncBit's rules accept, kept as written. */
static void
test_urls(void)
{
	static const struct url_case cases[] = {
		{ "VICTORIA_ENDPOINT=http://vmuser:" SECRET "@vm:8428/api/v1/"
		    "write", AT(victoria_endpoint) },
		{ "VICTORIA_ENDPOINT=https://[2001:db8::1]:8443/api/v1/write",
		    AT(victoria_endpoint) },
		{ "VICTORIA_ENDPOINT=HTTP://VM.Example/api/v1/write?"
		    "extra_label=a%20b", AT(victoria_endpoint) },
		{ "FITBIT_API_URL=http://[::1]:18082", SAT(1, api_url) },
		{ "FITBIT_API_URL=http://127.0.0.1:0/", SAT(1, api_url) },
		{ "FITBIT_API_URL=http://h_1.example:00080/x",
		    SAT(1, api_url) },
		{ "FITBIT_API_URL=http://[fe80::1%25eth0]:80/",
		    SAT(1, api_url) },
		{ "GOOGLE_HEALTH_API_URL=https://health.example/v4#top",
		    SAT(0, api_url) },	/* not a redirect URI */
		{ "GOOGLE_REDIRECT_URI=https://syncbit.example/callback",
		    SAT(0, redirect_uri) },
		{ "GOOGLE_REDIRECT_URI=http://[::1]:8080/callback?x=1",
		    SAT(0, redirect_uri) },
		{ "FITBIT_REDIRECT_URI=http://LOCALHOST:8080/callback",
		    SAT(1, redirect_uri) },
	};
	const struct url_case *c;
	const char *env[4] = { FITBIT_OK, NULL, NULL };
	struct err err;
	int rc;

	for (c = cases; c < cases + sizeof(cases) / sizeof(cases[0]); c++) {
		env[2] = c->var;
		rc = load(NULL, env, NULL, &err);
		if (rc != 0)
			printf("# %s: got '%s'\n", c->var, err.msg);
		CHECK(rc == 0);
		CHECK(strcmp((char *)&cfg + c->field, strchr(c->var, '=') + 1)
		    == 0);
	}
}

struct listen_case {
	const char *addr;
	const char *host;
	int port;
};

static void
test_listen(void)
{
	static const struct listen_case cases[] = {
		{ "LISTEN_ADDRESS=127.0.0.1:9100", "127.0.0.1", 9100 },
		{ "LISTEN_ADDRESS=:8080", "0.0.0.0", 8080 },
		{ "LISTEN_ADDRESS=localhost:65535", "localhost", 65535 },
		{ "LISTEN_ADDRESS=[::1]:9877", "::1", 9877 },
		{ "LISTEN_ADDRESS=[::]:0", "::", 0 },
		{ "LISTEN_ADDRESS=exporter.local:09877", "exporter.local",
		    9877 },
	};
	const struct listen_case *c;
	const char *env[4] = { FITBIT_OK, NULL, NULL };
	struct err err;

	for (c = cases; c < cases + sizeof(cases) / sizeof(cases[0]); c++) {
		env[2] = c->addr;
		CHECK(load(NULL, env, NULL, &err) == 0);
		CHECK(strcmp(cfg.listen_host, c->host) == 0);
		CHECK(cfg.listen_port == c->port);
		CHECK(strcmp(cfg.listen_address, strchr(c->addr, '=') + 1)
		    == 0);
	}
}

struct opt_case {
	const char *args[8];
	int rc;
	enum config_mode mode;
	const char *msg;
};

static void
test_options(void)
{
	static const struct opt_case cases[] = {
		{ { NULL }, 0, MODE_SERVICE, NULL },
		{ { "--once" }, 0, MODE_ONCE, NULL },
		{ { "--authorize" }, 0, MODE_AUTHORIZE, NULL },
		{ { "--auth" }, 0, MODE_AUTHORIZE, NULL },
		{ { "--healthcheck" }, 0, MODE_HEALTHCHECK, NULL },
		{ { "--backfill", "--from", "2024-01-01" }, 0, MODE_BACKFILL,
		    NULL },
		{ { "--once", "--once" }, 0, MODE_ONCE, NULL },
		{ { "--help" }, 0, MODE_HELP, NULL },
		{ { "-h" }, 0, MODE_HELP, NULL },
		{ { "--version" }, 0, MODE_VERSION, NULL },
		{ { "-V" }, 0, MODE_VERSION, NULL },
		{ { "--once", "--bogus", "--help" }, 0, MODE_HELP, NULL },
		{ { "--version", "--backfill" }, 0, MODE_VERSION, NULL },
		{ { "--help", "--version" }, 0, MODE_HELP, NULL },
		{ { "--listen-all" }, -1, 0, "--listen-all needs --authorize" },
		{ { "--once", "--listen-all" }, -1, 0,
		    "--listen-all needs --authorize" },
		{ { "--backfill" }, -1, 0,
		    "--backfill needs --from YYYY-MM-DD" },
		{ { "--backfill", "--to", "2024-01-01" }, -1, 0,
		    "--backfill needs --from YYYY-MM-DD" },
		{ { "--from", "2024-01-01" }, -1, 0,
		    "--from needs --backfill" },
		{ { "--to", "2024-01-01" }, -1, 0, "--to needs --backfill" },
		{ { "--once", "--from", "2024-01-01" }, -1, 0,
		    "--from needs --backfill" },
		{ { "--backfill", "--from", "2024-02-01", "--to",
		    "2024-01-31" }, -1, 0,
		    "--from 2024-02-01 is after --to 2024-01-31" },
		{ { "--backfill", "--from", "2024-02-30" }, -1, 0,
		    "--from: '2024-02-30' is not a date (YYYY-MM-DD)" },
		{ { "--backfill", "--from", "2024-01-01", "--to", "soon" }, -1,
		    0, "--to: 'soon' is not a date (YYYY-MM-DD)" },
		{ { "--once", "--backfill", "--from", "2024-01-01" }, -1, 0,
		    "--once and --backfill cannot be combined" },
		{ { "--authorize", "--healthcheck" }, -1, 0,
		    "--authorize and --healthcheck cannot be combined" },
		{ { "--bogus" }, -1, 0,
		    "unknown option '--bogus'; see --help" },
		{ { "--l" }, -1, 0, "unknown option '--l'; see --help" },
		{ { "-x" }, -1, 0, "unknown option '-x'; see --help" },
		{ { "--once=1" }, -1, 0,
		    "option '--once' takes no value; see --help" },
		{ { "--from" }, -1, 0,
		    "option '--from' needs a value; see --help" },
		{ { "--once", "extra" }, -1, 0,
		    "unexpected argument 'extra'; see --help" },
		{ { "--log-level", "x" }, -1, 0,
		    "--log-level: 'x' is not DEBUG, INFO, WARN or ERROR" },
	};
	const struct opt_case *c;
	const char *env[] = { FITBIT_OK, NULL };
	struct err err;
	int rc;

	for (c = cases; c < cases + sizeof(cases) / sizeof(cases[0]); c++) {
		rc = load(c->args, env, NULL, &err);
		CHECK(rc == c->rc);
		if (rc == 0)
			CHECK(cfg.mode == c->mode);
		if (c->msg != NULL && strcmp(err.msg, c->msg) != 0)
			printf("# %s: got '%s'\n", c->args[0], err.msg);
		if (c->msg != NULL)
			CHECK(strcmp(err.msg, c->msg) == 0);
	}
}

static void
test_option_values(void)
{
	const char *range[] = { "--backfill", "--from=2024-01-01", "--to",
	    "2024-01-31", NULL };
	const char *day[] = { "--backfill", "--from", "2024-02-29", "--to",
	    "2024-02-29", NULL };
	const char *open_end[] = { "--backfill", "--from", "2024-01-01", NULL };
	const char *authz[] = { "--authorize", "--listen-all", NULL };
	const char *level[] = { "--log-level", "debug", NULL };
	const char *env[] = { FITBIT_OK, NULL };
	const char *loud[] = { FITBIT_OK, "LOG_LEVEL=loud", NULL };
	const char *help[] = { "--help", NULL };
	struct err err;

	CHECK(load(range, env, NULL, &err) == 0);
	CHECK(cfg.backfill_from == civil_from_ymd(2024, 1, 1));
	CHECK(cfg.backfill_to == civil_from_ymd(2024, 1, 31));
	CHECK(load(day, env, NULL, &err) == 0);
	CHECK(cfg.backfill_from == cfg.backfill_to);
	CHECK(load(open_end, env, NULL, &err) == 0);
	CHECK(cfg.backfill_to == -1);
	CHECK(load(authz, env, NULL, &err) == 0);
	CHECK(cfg.callback_bind_all == 1);
	CHECK(load(level, loud, NULL, &err) == 0);	/* over LOG_LEVEL */
	CHECK(cfg.log_level == LOG_DEBUG);
	/* --help needs nothing else, not even a readable --env-file */
	CHECK(load(help, NULL, "broken line\n", &err) == 0);
	CHECK(cfg.mode == MODE_HELP);
}

static void
test_usage(void)
{
	static const char *const words[] = {
		"SOURCE", "GOOGLE_CLIENT_ID", "GOOGLE_CLIENT_SECRET",
		"GOOGLE_REDIRECT_URI", "GOOGLE_HEALTH_API_URL",
		"GOOGLE_AUTH_URL", "GOOGLE_TOKEN_URL", "FITBIT_CLIENT_ID",
		"FITBIT_CLIENT_SECRET", "FITBIT_REDIRECT_URI", "FITBIT_API_URL",
		"FITBIT_AUTH_URL", "FITBIT_TOKEN_URL", "FITBIT_USER_ID",
		"VICTORIA_ENDPOINT", "VICTORIA_USER", "VICTORIA_PASSWORD",
		"SYNC_INTERVAL_MINUTES", "BACKFILL_START", "LISTEN_ADDRESS",
		"DATA_DIR", "LOG_LEVEL", "CA_FILE", "USERS", "--user NAME",
		"--authorize", "--once",
		"--backfill", "--from", "--to", "--log-level", "--env-file",
		"--listen-all", "--healthcheck", "--version", "--help",
		"http://127.0.0.1:8080/callback", "0.0.0.0:9877", "./data",
	};
	char *text = NULL;
	size_t len = 0, i;
	FILE *f = open_memstream(&text, &len);

	config_usage(f);
	fclose(f);
	for (i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
		if (strstr(text, words[i]) == NULL)
			printf("# --help lacks %s\n", words[i]);
		CHECK(strstr(text, words[i]) != NULL);
	}
	free(text);
}

/* .env.example (the runner's directory is the repository) gives the
 * defaults and names every variable of --help. */
static void
test_env_example(void)
{
	const char *args[] = { "--env-file", ".env.example", NULL };
	const char *env[] = { FITBIT_OK, NULL };
	char *text = NULL, *example, *line;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	struct err err;

	CHECK(load(args, env, NULL, &err) == 0);
	CHECK(source_is("fitbit"));
	CHECK(cfg.sync_interval_minutes == 15 && cfg.listen_port == 9877);
	CHECK(strcmp(cfg.user_id, "default") == 0);
	CHECK(cfg.backfill_start == -1 && cfg.victoria_endpoint[0] == '\0');
	CHECK(cfg.routes_days == 0);	/* EXERCISE_ROUTES=off */
	example = fixture("../../.env.example", NULL);
	config_usage(f);
	fclose(f);
	/* each "  NAME   " line of --help names a KEY= of the example */
	for (line = strstr(text, "\nEnvironment"); line != NULL &&
	    (line = strstr(line, "\n  ")) != NULL; line++) {
		char key[64];

		if (sscanf(line + 3, "%60[A-Z_]", key) == 1 &&
		    strlen(key) > 2) {
			strcat(key, "=");
			if (strstr(example, key) == NULL)
				printf("# .env.example lacks %s\n", key);
			CHECK(strstr(example, key) != NULL);
		}
	}
	free(example);
	free(text);
}

static void
test_paths(void)
{
	char buf[CONFIG_STR_MAX + 32], small[8];

	memset(&cfg, 0, sizeof(cfg));
	strcpy(cfg.data_dir, "./data");
	cfg.sources[0].driver = source_driver_find("fitbit");
	cfg.sources[1].driver = source_driver_find("google");
	cfg.source = 0;
	config_token_path(&cfg, NULL, buf, sizeof(buf));
	CHECK(strcmp(buf, "./data/fitbit_tokens.json") == 0);
	cfg.source = 1;
	config_token_path(&cfg, NULL, buf, sizeof(buf));
	CHECK(strcmp(buf, "./data/google_tokens.json") == 0);
	strcpy(cfg.data_dir, "/app/data/");
	config_state_path(&cfg, NULL, buf, sizeof(buf));
	CHECK(strcmp(buf, "/app/data/sync_state.json") == 0);
	config_log_path(&cfg, buf, sizeof(buf));
	CHECK(strcmp(buf, "/app/data/syncbit.log") == 0);
	strcpy(cfg.data_dir, "/");
	config_log_path(&cfg, buf, sizeof(buf));
	CHECK(strcmp(buf, "/syncbit.log") == 0);
	config_log_path(&cfg, small, sizeof(small));
	CHECK(small[0] == '\0');	/* never a truncated path */
	memset(cfg.data_dir, 'd', CONFIG_STR_MAX - 1);
	cfg.data_dir[CONFIG_STR_MAX - 1] = '\0';
	config_token_path(&cfg, NULL, buf, sizeof(buf));
	CHECK(strlen(buf) ==
	    CONFIG_STR_MAX - 1 + strlen("/google_tokens.json"));
}

/* Each account's files in DATA_DIR/users/NAME/; NULL: today's layout. */
static void
test_account_paths(void)
{
	char buf[CONFIG_PATH_MAX], small[24], name[CONFIG_USER_NAME_MAX + 1];

	memset(&cfg, 0, sizeof(cfg));
	strcpy(cfg.data_dir, "/data/");
	cfg.sources[0].driver = source_driver_find("google");
	config_account_dir(&cfg, NULL, buf, sizeof(buf));
	CHECK(strcmp(buf, "/data/") == 0);	/* DATA_DIR as given */
	config_account_dir(&cfg, "alice", buf, sizeof(buf));
	CHECK(strcmp(buf, "/data/users/alice") == 0);
	config_token_path(&cfg, NULL, buf, sizeof(buf));
	CHECK(strcmp(buf, "/data/google_tokens.json") == 0);
	config_token_path(&cfg, "alice", buf, sizeof(buf));
	CHECK(strcmp(buf, "/data/users/alice/google_tokens.json") == 0);
	config_state_path(&cfg, NULL, buf, sizeof(buf));
	CHECK(strcmp(buf, "/data/sync_state.json") == 0);
	config_state_path(&cfg, "alice", buf, sizeof(buf));
	CHECK(strcmp(buf, "/data/users/alice/sync_state.json") == 0);
	config_lock_path(&cfg, NULL, buf, sizeof(buf));
	CHECK(strcmp(buf, "/data/syncbit.lock") == 0);
	config_lock_path(&cfg, "alice", buf, sizeof(buf));
	CHECK(strcmp(buf, "/data/users/alice/syncbit.lock") == 0);
	config_log_path(&cfg, buf, sizeof(buf));
	CHECK(strcmp(buf, "/data/syncbit.log") == 0);	/* one per process */
	strcpy(cfg.data_dir, "/");
	config_state_path(&cfg, "bob", buf, sizeof(buf));
	CHECK(strcmp(buf, "/users/bob/sync_state.json") == 0);
	/* too small: "", never a truncated path */
	strcpy(cfg.data_dir, "/data");
	config_token_path(&cfg, "alice", small, sizeof(small));
	CHECK(small[0] == '\0');
	config_account_dir(&cfg, "alice", small, 8);
	CHECK(small[0] == '\0');
	memset(cfg.data_dir, 'd', CONFIG_STR_MAX - 1);
	config_account_dir(&cfg, NULL, small, sizeof(small));
	CHECK(small[0] == '\0');
	/* CONFIG_PATH_MAX: the longest DATA_DIR and name */
	memset(name, 'n', CONFIG_USER_NAME_MAX);
	name[CONFIG_USER_NAME_MAX] = '\0';
	config_token_path(&cfg, name, buf, sizeof(buf));
	CHECK(strlen(buf) == CONFIG_STR_MAX - 1 + strlen("/users/") +
	    CONFIG_USER_NAME_MAX + strlen("/google_tokens.json"));
}

#define BAD_NAME(n) \
	"USERS: '" n "' is not an account name (1-32 of a-z 0-9 _ -)"
#define EMPTY_NAME "USERS: an empty name (a comma too many?)"

struct users_case {
	const char *users;
	size_t n;		/* accounts, or 0 with msg */
	const char *first, *last;
	const char *msg;
};

static void
test_users(void)
{
	static const struct users_case cases[] = {
		{ "alice,bob", 2, "alice", "bob", NULL },
		{ "alice", 1, "alice", "alice", NULL },
		{ " alice , bob\t,\tcarol ", 3, "alice", "carol", NULL },
		{ "a_b-9,0", 2, "a_b-9", "0", NULL },
		{ "abcdefghijklmnopqrstuvwxyz012345", 1,
		    "abcdefghijklmnopqrstuvwxyz012345",
		    "abcdefghijklmnopqrstuvwxyz012345", NULL },
		{ "abcdefghijklmnopqrstuvwxyz0123456", 0, NULL, NULL,
		    BAD_NAME("abcdefghijklmnopqrstuvwxyz0123456") },
		{ "alice,Bob", 0, NULL, NULL, BAD_NAME("Bob") },
		{ "a.b", 0, NULL, NULL, BAD_NAME("a.b") },
		{ "al ice", 0, NULL, NULL, BAD_NAME("al ice") },
		{ "../x", 0, NULL, NULL, BAD_NAME("../x") },
		{ "alice,,bob", 0, NULL, NULL, EMPTY_NAME },
		{ "alice,", 0, NULL, NULL, EMPTY_NAME },
		{ ",alice", 0, NULL, NULL, EMPTY_NAME },
		{ "alice, ,bob", 0, NULL, NULL, EMPTY_NAME },
		{ " ", 0, NULL, NULL, EMPTY_NAME },
		{ "alice,bob,alice", 0, NULL, NULL,
		    "USERS: 'alice' is listed twice" },
		{ "alice, alice ", 0, NULL, NULL,
		    "USERS: 'alice' is listed twice" },
	};
	const struct users_case *c;
	char entry[128];
	const char *env[] = { FITBIT_OK, entry, NULL };
	struct err err;
	int rc;

	for (c = cases; c < cases + sizeof(cases) / sizeof(cases[0]); c++) {
		snprintf(entry, sizeof(entry), "USERS=%s", c->users);
		rc = load(NULL, env, NULL, &err);
		CHECK(rc == (c->msg != NULL ? -1 : 0));
		if (c->msg != NULL && strcmp(err.msg, c->msg) != 0)
			printf("# USERS=%s: got '%s'\n", c->users, err.msg);
		if (c->msg != NULL) {
			CHECK(strcmp(err.msg, c->msg) == 0);
			continue;
		}
		CHECK(cfg.nusers == c->n && cfg.user_index == -1);
		CHECK(strcmp(cfg.users[0], c->first) == 0);
		CHECK(strcmp(cfg.users[cfg.nusers - 1], c->last) == 0);
	}
	/* unset or empty: one account, as before */
	CHECK(load(NULL, (const char *[]){ FITBIT_OK, NULL }, NULL, &err) == 0);
	CHECK(cfg.nusers == 0 && cfg.user_index == -1);
	CHECK(strcmp(cfg.user_id, "default") == 0);
	CHECK(load(NULL, (const char *[]){ FITBIT_OK, "USERS=", NULL }, NULL,
	    &err) == 0);
	CHECK(cfg.nusers == 0);
	/* from .env too */
	CHECK(load(NULL, (const char *[]){ FITBIT_OK, NULL },
	    "USERS=alice,bob\n", &err) == 0);
	CHECK(cfg.nusers == 2);
	/* with USERS, FITBIT_USER_ID is not used, so not judged either */
	CHECK(load(NULL, (const char *[]){ FITBIT_OK, "USERS=alice",
	    "FITBIT_USER_ID=a\tb", NULL }, NULL, &err) == 0);
	CHECK(cfg.nusers == 1);
	CHECK(load(NULL, (const char *[]){ FITBIT_OK, "FITBIT_USER_ID=a\tb",
	    NULL }, NULL, &err) == -1);
	CHECK(strcmp(err.msg, "FITBIT_USER_ID: contains a control character")
	    == 0);
}

/* CONFIG_USERS_MAX names fit (longer than CONFIG_STR_MAX); one more not. */
static void
test_users_many(void)
{
	size_t size = CONFIG_USERS_MAX * 8 + 16, i, used;
	char *entry = malloc(size);
	const char *env[] = { FITBIT_OK, entry, NULL };
	struct err err;

	used = (size_t)snprintf(entry, size, "USERS=");
	for (i = 0; i < CONFIG_USERS_MAX; i++)
		used += (size_t)snprintf(entry + used, size - used, "%su%zu",
		    i > 0 ? "," : "", i);
	CHECK(load(NULL, env, NULL, &err) == 0);
	CHECK(cfg.nusers == CONFIG_USERS_MAX);
	CHECK(strcmp(cfg.users[CONFIG_USERS_MAX - 1], "u1023") == 0);
	snprintf(entry + used, size - used, ",extra");
	CHECK(load(NULL, env, NULL, &err) == -1);
	CHECK(strcmp(err.msg, "USERS: more than 1024 accounts") == 0);
	free(entry);
}

struct user_case {
	const char *args[6];
	const char *users;	/* NULL: USERS unset */
	int index;		/* cfg.user_index, or -2 with msg */
	const char *msg;
};

static void
test_user_option(void)
{
	static const struct user_case cases[] = {
		{ { "--authorize", "--user", "bob" }, "alice,bob", 1, NULL },
		{ { "--authorize", "--user=alice" }, "alice,bob", 0, NULL },
		{ { "--once", "--user", "bob" }, "alice,bob", 1, NULL },
		{ { "--backfill", "--from", "2024-01-01", "--user", "alice" },
		    "alice,bob", 0, NULL },
		{ { "--once" }, "alice,bob", -1, NULL },
		{ { NULL }, "alice,bob", -1, NULL },
		{ { "--authorize" }, NULL, -1, NULL },
		{ { "--authorize" }, "alice,bob", -2, "--authorize: say "
		    "which account with --user NAME (USERS has 2)" },
		{ { "--authorize", "--user", "carol" }, "alice,bob", -2,
		    "--user: 'carol' is not in USERS" },
		{ { "--once", "--user", "Alice" }, "alice,bob", -2,
		    "--user: 'Alice' is not in USERS" },
		{ { "--authorize", "--user", "alice" }, NULL, -2,
		    "--user: USERS is not set (one account: no --user)" },
		{ { "--once", "--user", "alice" }, NULL, -2,
		    "--user: USERS is not set (one account: no --user)" },
		{ { "--user", "alice" }, "alice,bob", -2,
		    "--user needs --authorize, --once or --backfill" },
		{ { "--healthcheck", "--user", "alice" }, "alice", -2,
		    "--user needs --authorize, --once or --backfill" },
		{ { "--authorize", "--user" }, "alice", -2,
		    "option '--user' needs a value; see --help" },
		/* a bad USERS is named before --user is judged */
		{ { "--authorize", "--user", "bob" }, "alice,,bob", -2,
		    EMPTY_NAME },
	};
	const struct user_case *c;
	char entry[128];
	const char *env[] = { FITBIT_OK, entry, NULL };
	struct err err;
	int rc;

	for (c = cases; c < cases + sizeof(cases) / sizeof(cases[0]); c++) {
		snprintf(entry, sizeof(entry), "%s=%s", c->users != NULL ?
		    "USERS" : "UNRELATED", c->users != NULL ? c->users : "");
		rc = load(c->args, env, NULL, &err);
		CHECK(rc == (c->msg != NULL ? -1 : 0));
		if (c->msg != NULL && strcmp(err.msg, c->msg) != 0)
			printf("# %s: got '%s'\n", c->args[0] != NULL ?
			    c->args[0] : "(none)", err.msg);
		if (c->msg != NULL)
			CHECK(strcmp(err.msg, c->msg) == 0);
		else
			CHECK(cfg.user_index == c->index);
	}
}

void
suite_config(void)
{
	tmp = t_tmpdir();
	test_defaults();
	test_all_set();
	test_source();
	test_routes();
	test_layers();
	test_env_file_missing();
	test_invalid();
	test_secrets();
	test_urls();
	test_listen();
	test_options();
	test_option_values();
	test_usage();
	test_env_example();
	test_paths();
	test_account_paths();
	test_users();
	test_users_many();
	test_user_option();
	t_rmrf(tmp);
	free(tmp);
}
