/*
 * api_status: the status document (see api_status.h).
 */
#include <string.h>

#include "api_status.h"
#include "stats.h"

const char *
api_status_help(int ready)
{
	switch (ready) {
	case READY_OK:
	case READY_STARTING:
		return NULL;
	case READY_NO_TOKEN:
		return "#authorize";
	default:
		return "#troubleshooting";
	}
}

/* A UTC second, or null when unknown (0). */
static void
add_time(cJSON *o, const char *name, int64_t t)
{
	if (t > 0)
		cJSON_AddNumberToObject(o, name, (double)t);
	else
		cJSON_AddNullToObject(o, name);
}

/* The words /readyz would use for s (stats.c owns them). */
static const char *
ready_reason(const struct status *s, int64_t now)
{
	struct stats_account tmp;	/* only its readiness */
	const char *why = NULL;
	struct stats_account *a = &tmp;

	memset(&tmp, 0, sizeof(tmp));
	atomic_store(&a->ready, s->ready);
	atomic_store(&a->ready_hint, s->ready_hint);
	atomic_store(&a->failing_since, s->failing_since);
	stats_account_ready(a, now, &why);
	return why;
}

static const char *
token_state(const struct status *s, int64_t now)
{
	if (s->ready == READY_NO_TOKEN)
		return "missing";
	if (s->ready == READY_INVALID_GRANT)
		return "refused";
	if (s->token_expiry == 0)
		return "unknown";
	/* an access token lives an hour: a cycle refreshes it when due */
	return s->token_expiry > now ? "valid" : "expired";
}

static int
add_token(cJSON *acc, const struct status *s, int64_t now)
{
	cJSON *t = cJSON_AddObjectToObject(acc, "token");

	if (t == NULL)
		return -1;
	cJSON_AddStringToObject(t, "state", token_state(s, now));
	add_time(t, "expires_at", s->token_expiry);
	return 0;
}

static int
add_error(cJSON *acc, const struct status *s, int64_t now)
{
	const char *help = api_status_help(s->ready), *text = s->error;
	cJSON *e;

	if (s->ready != READY_OK && s->ready != READY_STARTING)
		text = ready_reason(s, now);
	if (*text == '\0') {
		cJSON_AddNullToObject(acc, "error");
		return 0;
	}
	if ((e = cJSON_AddObjectToObject(acc, "error")) == NULL)
		return -1;
	cJSON_AddStringToObject(e, "text", text);
	if (s->ready == READY_OK && s->error[0] != '\0' && help == NULL)
		help = "#troubleshooting";
	cJSON_AddStringToObject(e, "help", help != NULL ? help :
	    "#troubleshooting");
	if (s->ready != READY_OK && s->ready != READY_STARTING &&
	    s->error[0] != '\0')
		cJSON_AddStringToObject(e, "detail", s->error);
	add_time(e, "since", s->failing_since);
	return 0;
}

static int
add_budget(cJSON *acc, const struct status *s)
{
	cJSON *b;

	if (s->budget_left < 0) {
		cJSON_AddNullToObject(acc, "rate_budget");
		return 0;
	}
	if ((b = cJSON_AddObjectToObject(acc, "rate_budget")) == NULL)
		return -1;
	cJSON_AddNumberToObject(b, "remaining", (double)s->budget_left);
	if (s->budget_limit >= 0)
		cJSON_AddNumberToObject(b, "limit", (double)s->budget_limit);
	add_time(b, "resets_at", s->budget_reset);
	return 0;
}

static int
add_history(cJSON *acc, const struct status *s)
{
	cJSON *h, *kinds, *k;
	size_t i;

	if ((h = cJSON_AddObjectToObject(acc, "history")) == NULL ||
	    (kinds = cJSON_AddArrayToObject(h, "kinds")) == NULL)
		return -1;
	cJSON_AddBoolToObject(h, "pending", s->backfill);
	for (i = 0; i < s->nkinds; i++) {
		if ((k = cJSON_CreateObject()) == NULL)
			return -1;
		cJSON_AddItemToArray(kinds, k);
		cJSON_AddStringToObject(k, "kind", s->kinds[i].name);
		cJSON_AddNumberToObject(k, "days_done",
		    (double)s->kinds[i].done);
		cJSON_AddNumberToObject(k, "days_total",
		    (double)s->kinds[i].total);
		if (s->kinds[i].eta_s >= 0)
			cJSON_AddNumberToObject(k, "eta_s",
			    (double)s->kinds[i].eta_s);
		else
			cJSON_AddNullToObject(k, "eta_s");
	}
	return 0;
}

/* The device of sample x in devs (a new entry when first seen). */
static cJSON *
device_of(cJSON *devs, const struct sample *x)
{
	const char *name = "", *type = "";
	cJSON *d, *n;
	int i;

	for (i = 0; i < SAMPLE_LABELS && x->lname[i] != NULL; i++) {
		if (strcmp(x->lname[i], "device") == 0)
			name = x->lvalue[i];
		else if (strcmp(x->lname[i], "type") == 0)
			type = x->lvalue[i];
	}
	cJSON_ArrayForEach(d, devs) {
		n = cJSON_GetObjectItemCaseSensitive(d, "device");
		if (cJSON_IsString(n) && strcmp(n->valuestring, name) == 0)
			return d;
	}
	if ((d = cJSON_CreateObject()) == NULL)
		return NULL;
	cJSON_AddItemToArray(devs, d);
	cJSON_AddStringToObject(d, "device", name);
	cJSON_AddStringToObject(d, "type", type);
	return d;
}

static int
add_devices(cJSON *acc, const struct snapshot *snap)
{
	cJSON *devs, *d;
	const struct sample *x;
	size_t i;
	int battery;

	if ((devs = cJSON_AddArrayToObject(acc, "devices")) == NULL)
		return -1;
	for (i = 0; snap != NULL && i < snap->values.len; i++) {
		x = &snap->values.v[i];
		battery = strcmp(x->metric, "fitbit_device_battery_percent") == 0;
		if (!battery && strcmp(x->metric,
		    "fitbit_device_last_sync_timestamp_seconds") != 0)
			continue;
		if ((d = device_of(devs, x)) == NULL)
			return -1;
		cJSON_AddNumberToObject(d, battery ? "battery_percent" :
		    "last_sync", x->value);
	}
	return 0;
}

static int
add_authorization(cJSON *acc, const struct api_account *a)
{
	static const char *const names[] = { "none", "running", "done",
	    "failed" };
	cJSON *o;

	if (a->auth <= API_AUTH_NONE || a->auth > API_AUTH_FAILED) {
		cJSON_AddNullToObject(acc, "authorization");
		return 0;
	}
	if ((o = cJSON_AddObjectToObject(acc, "authorization")) == NULL)
		return -1;
	cJSON_AddStringToObject(o, "state", names[a->auth]);
	if (a->auth == API_AUTH_FAILED && a->auth_text != NULL)
		cJSON_AddStringToObject(o, "text", a->auth_text);
	add_time(o, "at", a->auth_at);
	return 0;
}

static int
add_account(cJSON *list, const struct api_account *a, int64_t now,
    int *backfill)
{
	const struct status *s = a->status;
	cJSON *acc;

	if ((acc = cJSON_CreateObject()) == NULL)
		return -1;
	cJSON_AddItemToArray(list, acc);
	cJSON_AddStringToObject(acc, "user", a->user);
	cJSON_AddStringToObject(acc, "source", a->source);
	if (add_authorization(acc, a) == -1)
		return -1;
	if (s == NULL) {
		cJSON_AddStringToObject(acc, "ready", a->running ? "starting" :
		    "broken");
		return cJSON_AddArrayToObject(acc, "devices") == NULL ? -1 : 0;
	}
	cJSON_AddStringToObject(acc, "ready", stats_ready_name(s->ready));
	add_time(acc, "last_success", s->last_success);
	add_time(acc, "next_sync", s->next_sync);
	*backfill |= s->backfill;
	return add_token(acc, s, now) == -1 || add_error(acc, s, now) == -1 ||
	    add_budget(acc, s) == -1 || add_history(acc, s) == -1 ||
	    add_devices(acc, a->snap) == -1 ? -1 : 0;
}

cJSON *
api_status_build(const struct api_account *a, size_t n, const char *version,
    int64_t now)
{
	cJSON *doc, *list;
	size_t i;
	int backfill = 0;

	if ((doc = cJSON_CreateObject()) == NULL)
		return NULL;
	cJSON_AddStringToObject(doc, "version", version);
	cJSON_AddNumberToObject(doc, "now", (double)now);
	if ((list = cJSON_AddArrayToObject(doc, "accounts")) == NULL)
		goto fail;
	for (i = 0; i < n; i++)
		if (add_account(list, &a[i], now, &backfill) == -1)
			goto fail;
	if (cJSON_AddBoolToObject(doc, "backfill", backfill) == NULL)
		goto fail;
	return doc;
fail:
	cJSON_Delete(doc);
	return NULL;
}
