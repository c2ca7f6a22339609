/*
 * config_opts: the command line -> struct config_opts and the fields of
 * struct config that only options set (config_opts.h).
 *
 * Runs once in main, through config_load(), before any thread starts:
 * getopt_long() keeps global state. A bad option's message never quotes
 * an "=value" (it may be a secret).
 */
#include <getopt.h>
#include <string.h>

#include "config_opts.h"
#include "config_value.h"

enum { OPT_AUTHORIZE = 256, OPT_ONCE, OPT_BACKFILL, OPT_FROM, OPT_TO,
	OPT_LOG_LEVEL, OPT_ENV_FILE, OPT_LISTEN_ALL, OPT_HEALTHCHECK, OPT_USER };

static const struct option longopts[] = {
	{ "authorize", no_argument, NULL, OPT_AUTHORIZE },
	{ "once", no_argument, NULL, OPT_ONCE },
	{ "backfill", no_argument, NULL, OPT_BACKFILL },
	{ "from", required_argument, NULL, OPT_FROM },
	{ "to", required_argument, NULL, OPT_TO },
	{ "log-level", required_argument, NULL, OPT_LOG_LEVEL },
	{ "env-file", required_argument, NULL, OPT_ENV_FILE },
	{ "listen-all", no_argument, NULL, OPT_LISTEN_ALL },
	{ "healthcheck", no_argument, NULL, OPT_HEALTHCHECK },
	{ "user", required_argument, NULL, OPT_USER },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 }
};

static void
mode_set(struct config_opts *o, enum config_mode mode, const char *opt,
    struct err *err)
{
	if (o->mode != MODE_SERVICE && o->mode != mode)
		err_set(err, "%s and %s cannot be combined", o->mode_opt, opt);
	o->mode = mode;
	o->mode_opt = opt;
}

/* The text of a bad option, without any "=value" (it may be a secret). */
static void
opt_bad(const char *arg, int c, struct err *err)
{
	const struct option *lo;
	size_t n;

	if (c == ':') {
		err_set(err, "option '%.*s' needs a value; see --help",
		    (int)strcspn(arg, "="), arg);
		return;
	}
	if (optopt > 0 && optopt < 256) {
		err_set(err, "unknown option '-%c'; see --help", optopt);
		return;
	}
	n = strcspn(arg, "=");
	for (lo = longopts; lo->name != NULL && arg[n] == '='; lo++)
		if (n > 2 && strncmp(lo->name, arg + 2, n - 2) == 0)
			break;
	if (lo->name != NULL && arg[n] == '=')
		err_set(err, "option '--%s' takes no value; see --help",
		    lo->name);
	else
		err_set(err, "unknown option '%.*s'; see --help", (int)n, arg);
}

static void
opts_getopt(struct config_opts *o, int argc, char **argv, struct err *err)
{
	int c;

	opterr = 0;
	optind = 0;	/* a full reset, also of GNU extensions */
	while ((c = getopt_long(argc, argv, "+:hV", longopts, NULL)) != -1) {
		switch (c) {
		case OPT_AUTHORIZE:
			mode_set(o, MODE_AUTHORIZE, "--authorize", err);
			break;
		case OPT_ONCE:
			mode_set(o, MODE_ONCE, "--once", err);
			break;
		case OPT_BACKFILL:
			mode_set(o, MODE_BACKFILL, "--backfill", err);
			break;
		case OPT_HEALTHCHECK:
			mode_set(o, MODE_HEALTHCHECK, "--healthcheck", err);
			break;
		case OPT_FROM:
			o->from = optarg;
			break;
		case OPT_TO:
			o->to = optarg;
			break;
		case OPT_LOG_LEVEL:
			o->log_level = optarg;
			break;
		case OPT_ENV_FILE:
			o->env_file = optarg;
			break;
		case OPT_USER:
			o->user = optarg;
			break;
		case OPT_LISTEN_ALL:
			o->listen_all = 1;
			break;
		case 'h':
			o->help = 1;
			break;
		case 'V':
			o->version = 1;
			break;
		default:
			opt_bad(argv[optind - 1], c, err);
			break;
		}
	}
	if (optind < argc)
		err_set(err, "unexpected argument '%.*s'; see --help",
		    CONFIG_VALUE_SHOWN_MAX, argv[optind]);
}

int
config_opts_parse(struct config *cfg, struct config_opts *o, int argc,
    char **argv, struct err *err)
{
	struct err perr = { 0 };

	memset(o, 0, sizeof(*o));
	opts_getopt(o, argc, argv, &perr);
	cfg->mode = o->help ? MODE_HELP : o->version ? MODE_VERSION : o->mode;
	if (o->help || o->version)
		return 0;
	if (perr.set)
		return err_set(err, "%s", perr.msg);
	if ((o->from != NULL || o->to != NULL) && o->mode != MODE_BACKFILL)
		return err_set(err, "%s needs --backfill",
		    o->from != NULL ? "--from" : "--to");
	if (o->mode == MODE_BACKFILL && o->from == NULL)
		return err_set(err, "--backfill needs --from YYYY-MM-DD");
	if (o->listen_all && o->mode != MODE_AUTHORIZE)
		return err_set(err, "--listen-all needs --authorize");
	if (o->user != NULL && o->mode != MODE_AUTHORIZE &&
	    o->mode != MODE_ONCE && o->mode != MODE_BACKFILL)
		return err_set(err, "--user needs --authorize, --once or "
		    "--backfill");
	cfg->callback_bind_all = o->listen_all;
	cfg->backfill_from = cfg->backfill_to = -1;
	if (o->from != NULL && config_value_date("--from", o->from,
	    &cfg->backfill_from, err) == -1)
		return -1;
	if (o->to != NULL && config_value_date("--to", o->to,
	    &cfg->backfill_to, err) == -1)
		return -1;
	if (o->to != NULL && cfg->backfill_from > cfg->backfill_to)
		return err_set(err, "--from %s is after --to %s", o->from,
		    o->to);
	return 0;
}
