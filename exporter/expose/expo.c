/*
 * expo: snapshot + stats -> Prometheus text format 0.0.4 (see expo.h).
 *
 * Pure and allocation-bounded by the snapshot's size. Families come in a
 * fixed order (metrics.c), each with HELP and TYPE once, its samples
 * grouped under them. Label values are escaped; values print as the
 * shortest decimal that reads back the same, with NaN/+Inf/-Inf spelled
 * as the format wants.
 */
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "expo.h"
#include "metrics.h"

struct out {
	char *buf;
	size_t len;
	size_t cap;
	int failed;
};

static void
out_printf(struct out *o, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
out_printf(struct out *o, const char *fmt, ...)
{
	va_list ap;
	int n;
	size_t cap;
	char *buf;

	if (o->failed)
		return;
	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(o->buf + o->len, o->cap - o->len, fmt, ap);
		va_end(ap);
		if (n < 0) {
			o->failed = 1;
			return;
		}
		if ((size_t)n < o->cap - o->len) {
			o->len += (size_t)n;
			return;
		}
		cap = o->cap * 2 + (size_t)n;
		if ((buf = realloc(o->buf, cap)) == NULL) {
			o->failed = 1;
			return;
		}
		o->buf = buf;
		o->cap = cap;
	}
}

int
expo_escape_label(const char *in, char *out, size_t size)
{
	size_t o = 0;

	for (; *in != '\0'; in++) {
		const char *rep = NULL;
		char one[2] = { *in, '\0' };

		if (*in == '\\')
			rep = "\\\\";
		else if (*in == '"')
			rep = "\\\"";
		else if (*in == '\n')
			rep = "\\n";
		else
			rep = one;
		if (o + strlen(rep) >= size)
			return -1;
		memcpy(out + o, rep, strlen(rep));
		o += strlen(rep);
	}
	if (o >= size)
		return -1;
	out[o] = '\0';
	return 0;
}

static void
format_value(double v, char *buf, size_t size)
{
	if (isnan(v))
		snprintf(buf, size, "NaN");
	else if (isinf(v))
		snprintf(buf, size, v > 0 ? "+Inf" : "-Inf");
	else if (v == floor(v) && fabs(v) < 1e15)
		snprintf(buf, size, "%.0f", v);
	else
		snprintf(buf, size, "%.15g", v);
}

static void
out_write(struct out *o, const char *text, size_t n)
{
	size_t cap;
	char *buf;

	if (o->failed)
		return;
	if (o->cap - o->len <= n) {
		cap = o->cap * 2 + n + 1;
		if ((buf = realloc(o->buf, cap)) == NULL) {
			o->failed = 1;
			return;
		}
		o->buf = buf;
		o->cap = cap;
	}
	memcpy(o->buf + o->len, text, n);
	o->len += n;
	o->buf[o->len] = '\0';
}

static void
family_header(struct out *o, const char *name, const char *type,
    const char *help)
{
	/* HELP text escapes \ and newline; ours contain neither. */
	out_printf(o, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* user escaped for a label value into buf ("" when it does not fit). */
static const char *
esc_user(const char *user, char *buf, size_t size)
{
	if (expo_escape_label(user, buf, size) == -1)
		buf[0] = '\0';
	return buf;
}

static void
render_sample(struct out *o, const struct sample *s, const char *user)
{
	char esc[SAMPLE_LVALUE_MAX * 2 + 1], uesc[256], val[64];
	int i;

	if (expo_escape_label(user, uesc, sizeof(uesc)) == -1)
		uesc[0] = '\0';
	out_printf(o, "%s{", s->metric);
	for (i = 0; i < SAMPLE_LABELS && s->lname[i] != NULL; i++) {
		if (expo_escape_label(s->lvalue[i], esc, sizeof(esc)) == -1)
			esc[0] = '\0';
		out_printf(o, "%s=\"%s\",", s->lname[i], esc);
	}
	format_value(s->value, val, sizeof(val));
	out_printf(o, "user=\"%s\"} %s\n", uesc, val);
}

/* The samples of family fam in snap (no header). */
static void
render_family(struct out *o, const struct snapshot *snap, const char *fam,
    const char *user)
{
	size_t j;

	for (j = 0; j < snap->values.len; j++)
		if (strcmp(snap->values.v[j].metric, fam) == 0)
			render_sample(o, &snap->values.v[j], user);
}

/* Every Fitbit family once, each account's samples under it: from its
 * snapshot's pre-rendered text when it has one. */
static void
render_fitbit(struct out *o, const struct expo_account *acc, size_t nacc)
{
	const struct metric_family *fam;
	const struct snapshot *snap;
	size_t nfam, i, a, from;

	fam = metrics_fitbit(&nfam);
	for (i = 0; i < nfam; i++) {
		family_header(o, fam[i].name, fam[i].type, fam[i].help);
		for (a = 0; a < nacc; a++) {
			if ((snap = acc[a].snap) == NULL)
				continue;
			if (snap->text == NULL || snap->nfam != nfam) {
				render_family(o, snap, fam[i].name,
				    acc[a].user);
				continue;
			}
			from = i == 0 ? 0 : snap->fam_end[i - 1];
			out_write(o, snap->text + from,
			    snap->fam_end[i] - from);
		}
	}
}

#define EACH_ACCOUNT(a, nacc) for ((a) = 0; (a) < (nacc); (a)++)

/* A gauge with one line an account: the int64 field at off of its
 * stats_account. */
static void
per_account(struct out *o, const struct expo_account *acc, size_t nacc,
    const char *name, const char *help, size_t off)
{
	char u[STATS_USER_MAX * 2 + 1];
	size_t a;

	family_header(o, name, "gauge", help);
	EACH_ACCOUNT(a, nacc)
		out_printf(o, "%s{user=\"%s\"} %" PRId64 "\n", name,
		    esc_user(acc[a].user, u, sizeof(u)),
		    atomic_load((const _Atomic int64_t *)(const void *)
		    ((const char *)acc[a].st + off)));
}

static void
render_accounts(struct out *o, const struct expo_account *acc, size_t nacc)
{
	const struct stats_account *st;
	char u[STATS_USER_MAX * 2 + 1];
	int64_t now = (int64_t)time(NULL);
	const char *why;
	uint64_t n;
	size_t a, i;
	int any, ok;

	family_header(o, "syncbit_last_sync_success", "gauge",
	    "1 when the account's last sync cycle succeeded, else 0.");
	EACH_ACCOUNT(a, nacc)
		out_printf(o, "syncbit_last_sync_success{user=\"%s\"} %d\n",
		    esc_user(acc[a].user, u, sizeof(u)),
		    atomic_load(&acc[a].st->last_sync_success));
	per_account(o, acc, nacc, "syncbit_last_sync_timestamp_seconds",
	    "Unix time of the account's last successful sync cycle "
	    "(0: none yet).", offsetof(struct stats_account, last_sync_ts));
	family_header(o, "syncbit_api_requests_total", "counter",
	    "Requests made to the health API, by account and HTTP status "
	    "(code=\"error\": no HTTP answer).");
	EACH_ACCOUNT(a, nacc) {
		st = acc[a].st;
		esc_user(acc[a].user, u, sizeof(u));
		for (i = 0, any = 0; i < STATS_HTTP_CODES; i++) {
			if ((n = atomic_load(&st->api_requests[i])) == 0)
				continue;
			any = 1;
			if (i == 0)
				out_printf(o, "syncbit_api_requests_total"
				    "{code=\"error\",user=\"%s\"} %" PRIu64
				    "\n", u, n);
			else
				out_printf(o, "syncbit_api_requests_total"
				    "{code=\"%zu\",user=\"%s\"} %" PRIu64 "\n",
				    i, u, n);
		}
		if (!any)
			out_printf(o, "syncbit_api_requests_total{code=\"200\","
			    "user=\"%s\"} 0\n", u);
	}
	per_account(o, acc, nacc, "syncbit_rate_limit_remaining",
	    "Requests left in the account's current rate-limit window "
	    "(-1: unknown).",
	    offsetof(struct stats_account, rate_limit_remaining));
	per_account(o, acc, nacc, "syncbit_token_expiry_timestamp_seconds",
	    "Unix time when the account's access token expires (0: none).",
	    offsetof(struct stats_account, token_expiry));
	per_account(o, acc, nacc, "syncbit_backfill_days_pending",
	    "Days of the account's history not yet acknowledged by "
	    "VictoriaMetrics.",
	    offsetof(struct stats_account, backfill_days_pending));
	family_header(o, "syncbit_account_ready", "gauge",
	    "1 when the account syncs, else 0; reason says why not.");
	EACH_ACCOUNT(a, nacc) {
		st = acc[a].st;
		ok = stats_account_ready(st, now, &why);
		out_printf(o, "syncbit_account_ready{reason=\"%s\",user=\"%s\"}"
		    " %d\n", ok ? "ok" : atomic_load(&st->ready) == READY_OK ?
		    "failing" : stats_ready_name(atomic_load(&st->ready)),
		    esc_user(acc[a].user, u, sizeof(u)), ok);
	}
}

static void
render_self(struct out *o, const struct expo_account *acc, size_t nacc,
    struct stats *st, const struct expo_info *info)
{
	family_header(o, "syncbit_build_info", "gauge",
	    "SyncBit version and data source; always 1.");
	out_printf(o, "syncbit_build_info{source=\"%s\",version=\"%s\"} 1\n",
	    info->source, info->version);
	render_accounts(o, acc, nacc);
	family_header(o, "syncbit_remote_write_samples_total", "counter",
	    "Samples remote-written to VictoriaMetrics, by result "
	    "(sent, retried, rejected).");
	out_printf(o, "syncbit_remote_write_samples_total{result=\"sent\"} "
	    "%" PRIu64 "\n", atomic_load(&st->rw_sent));
	out_printf(o, "syncbit_remote_write_samples_total{result=\"retried\"} "
	    "%" PRIu64 "\n", atomic_load(&st->rw_retried));
	out_printf(o, "syncbit_remote_write_samples_total{result=\"rejected\"} "
	    "%" PRIu64 "\n", atomic_load(&st->rw_rejected));
	family_header(o, "syncbit_remote_write_refused", "gauge",
	    "1 while VictoriaMetrics refuses our writes (authentication, "
	    "path, proxy), until a write is accepted; else 0.");
	out_printf(o, "syncbit_remote_write_refused %d\n",
	    atomic_load(&st->rw_refused) != 0);
}

static char *
finish(struct out *o, size_t *len)
{
	if (o->failed) {
		free(o->buf);
		return NULL;
	}
	*len = o->len;
	return o->buf;
}

static int
start(struct out *o)
{
	memset(o, 0, sizeof(*o));
	o->cap = 8192;
	if ((o->buf = malloc(o->cap)) == NULL)
		return -1;
	o->buf[0] = '\0';
	return 0;
}

int
expo_prerender(struct snapshot *snap, const char *user)
{
	const struct metric_family *fam;
	struct out o;
	size_t nfam, i;

	fam = metrics_fitbit(&nfam);
	if (nfam > SNAPSHOT_FAMILIES_MAX || start(&o) == -1)
		return -1;
	for (i = 0; i < nfam; i++) {
		render_family(&o, snap, fam[i].name, user);
		snap->fam_end[i] = o.len;
	}
	if ((snap->text = finish(&o, &snap->text_len)) == NULL)
		return -1;
	snap->nfam = nfam;
	return 0;
}

char *
expo_render(const struct expo_account *acc, size_t nacc, struct stats *st,
    const struct expo_info *info, size_t *len)
{
	struct out o;

	if (start(&o) == -1)
		return NULL;
	render_fitbit(&o, acc, nacc);
	render_self(&o, acc, nacc, st, info);
	return finish(&o, len);
}
