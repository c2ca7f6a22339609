/*
 * fuzz_config: the environment and the command line (config_load: URLs,
 * LISTEN_ADDRESS, SYNC_INTERVAL_MINUTES, BACKFILL_START, COLLECT, INTRADAY,
 * LOG_LEVEL, USERS, --from/--to, --user, ...), and the value parsers
 * behind them (civil_parse, groups_parse, log_level_parse).
 *
 * Input: [mode] text...   mode % 4:
 *   0  config_load: each line of text is an argument when it starts with
 *      '-', else an environment entry KEY=value; .env is /dev/null
 *      (options naming another file are dropped);
 *   1  civil_parse: a parsed date formats back to the same text;
 *   2  groups_parse: the mask formats and parses back to itself;
 *   3  log_level_parse.
 *
 * Beyond memory safety: a loaded config holds valid values (USERS: names
 * of 1-32 [a-z0-9_-], none twice; --user one of them); a failure
 * wipes it, and never quotes a secret: when "s3cr3t" appears only in
 * *_SECRET / *_PASSWORD values and URLs with user info, err.msg lacks it.
 */
#include <strings.h>

#include "config/config.h"
#include "fuzz.h"
#include "source/source.h"
#include "sync/groups.h"
#include "log.h"

#define MARK "s3cr3t"
#define MAX_ARGS 64

struct split {
	char *argv[MAX_ARGS + 3];
	int argc;
	char *envp[MAX_ARGS + 1];
	int envc;
	int marked;		/* MARK appears only where it is secret */
};

static int
secret_entry(const char *e)
{
	static const char *const names[] = { "GOOGLE_CLIENT_SECRET=",
	    "FITBIT_CLIENT_SECRET=", "VICTORIA_PASSWORD=" };
	static const char *const urls[] = { "GOOGLE_REDIRECT_URI=",
	    "GOOGLE_HEALTH_API_URL=", "GOOGLE_AUTH_URL=", "GOOGLE_TOKEN_URL=",
	    "FITBIT_REDIRECT_URI=", "FITBIT_API_URL=", "FITBIT_AUTH_URL=",
	    "FITBIT_TOKEN_URL=", "VICTORIA_ENDPOINT=" };
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(*names); i++)
		if (strncmp(e, names[i], strlen(names[i])) == 0)
			return 1;
	for (i = 0; i < sizeof(urls) / sizeof(*urls); i++)
		if (strncmp(e, urls[i], strlen(urls[i])) == 0)
			return strchr(e, '@') != NULL;
	return 0;
}

/* text -> argv and envp, in place. */
static void
split(char *text, struct split *s)
{
	char *line, *next;
	int secret_only = 1, any = 0;

	memset(s, 0, sizeof(*s));
	s->argv[s->argc++] = "syncbit";
	s->argv[s->argc++] = "--env-file=/dev/null";
	for (line = text; line != NULL; line = next) {
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		if (strstr(line, MARK) != NULL) {
			any = 1;
			if (line[0] == '-' || !secret_entry(line))
				secret_only = 0;
		}
		if (line[0] == '-') {
			/* getopt takes any unambiguous prefix of --env-file */
			if (strncmp(line, "--e", 3) == 0 || s->argc == MAX_ARGS)
				continue;
			s->argv[s->argc++] = line;
		} else if (s->envc < MAX_ARGS)
			s->envp[s->envc++] = line;
	}
	s->marked = any && secret_only;
}

static void
check_users(const struct config *c)
{
	size_t i, j, n;

	FUZZ_CHECK(c->nusers <= CONFIG_USERS_MAX);
	FUZZ_CHECK(c->user_index >= -1 && (c->user_index == -1 ||
	    (size_t)c->user_index < c->nusers));
	if (c->mode == MODE_AUTHORIZE && c->nusers > 0)
		FUZZ_CHECK(c->user_index >= 0);
	for (i = 0; i < c->nusers; i++) {
		n = strnlen(c->users[i], sizeof(c->users[i]));
		FUZZ_CHECK(n >= 1 && n <= CONFIG_USER_NAME_MAX);
		FUZZ_CHECK(strspn(c->users[i],
		    "abcdefghijklmnopqrstuvwxyz0123456789_-") == n);
		for (j = 0; j < i; j++)
			FUZZ_CHECK(strcmp(c->users[i], c->users[j]) != 0);
	}
}

static void
check_config(const struct config *c)
{
	size_t i;

	FUZZ_CHECK(c->mode >= MODE_SERVICE && c->mode <= MODE_VERSION);
	if (c->mode == MODE_HELP || c->mode == MODE_VERSION)
		return;
	FUZZ_CHECK(c->source < c->nsources &&
	    c->sources[c->source].driver != NULL);
	FUZZ_CHECK(c->sync_interval_minutes >= 1 &&
	    c->sync_interval_minutes <= 1440);
	FUZZ_CHECK(c->listen_port >= 0 && c->listen_port <= 65535);
	FUZZ_CHECK(fuzz_terminated(c->listen_host, sizeof(c->listen_host)));
	FUZZ_CHECK(c->listen_host[0] != '\0');
	FUZZ_CHECK(c->backfill_start == -1 || c->backfill_start >= 0);
	FUZZ_CHECK((c->collect & ~groups_all()) == 0);
	for (i = 0; i < c->nsources; i++)
		FUZZ_CHECK(strncasecmp(c->sources[i].api_url, "http", 4) == 0);
	FUZZ_CHECK(c->victoria_endpoint[0] == '\0' ||
	    strncasecmp(c->victoria_endpoint, "http", 4) == 0);
	check_users(c);
	if (c->mode == MODE_BACKFILL)
		FUZZ_CHECK(c->backfill_from >= 0 && (c->backfill_to == -1 ||
		    c->backfill_to >= c->backfill_from));
}

static void
load(char *text)
{
	static struct config cfg, zero;
	struct err err = { 0 };
	struct split s;
	int rc;

	split(text, &s);
	rc = config_load(&cfg, s.argc, s.argv, s.envp, &err);
	FUZZ_CHECK(rc == 0 || rc == -1);
	if (rc == 0) {
		check_config(&cfg);
		return;
	}
	fuzz_check_err(&err);
	FUZZ_CHECK(memcmp(&cfg, &zero, sizeof(cfg)) == 0);
	if (s.marked)
		FUZZ_CHECK(strstr(err.msg, MARK) == NULL);
}

static void
date(const char *text)
{
	char back[CIVIL_DATE_LEN];
	int32_t day;

	if (civil_parse(text, &day) == -1)
		return;
	FUZZ_CHECK(day >= 0);
	civil_format(day, back);
	FUZZ_CHECK(strcmp(back, text) == 0);
}

/* mask -> "sleep,spo2", the names of SOURCE_GROUPS it holds. */
static void
groups_format(unsigned mask, char *buf, size_t size)
{
	const char *g = SOURCE_GROUPS;
	size_t n, used = 0;
	int i;

	buf[0] = '\0';
	for (i = 0; *g != '\0'; i++) {
		n = strcspn(g, ",");
		if ((mask >> i & 1) && used + n + 2 < size)
			used += (size_t)snprintf(buf + used, size - used,
			    "%s%.*s", used > 0 ? "," : "", (int)n, g);
		g += n + (g[n] == ',');
	}
}

static void
kinds(const char *text)
{
	struct err err = { 0 };
	unsigned mask, again;
	char buf[512];

	if (groups_parse(text, &mask, &err) == -1) {
		fuzz_check_err(&err);
		return;
	}
	FUZZ_CHECK(mask != 0 && (mask & ~groups_all()) == 0);
	groups_format(mask, buf, sizeof(buf));
	FUZZ_CHECK(groups_parse(buf, &again, &err) == 0 && again == mask);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	enum log_level l;
	char *text;

	if (size < 1)
		return 0;
	text = fuzz_strndup(data + 1, size - 1);
	switch (data[0] % 4) {
	case 0:
		load(text);
		break;
	case 1:
		date(text);
		break;
	case 2:
		kinds(text);
		break;
	default:
		if (log_level_parse(text, &l) == 0)
			FUZZ_CHECK(l >= LOG_DEBUG && l <= LOG_ERROR);
		break;
	}
	free(text);
	return 0;
}
