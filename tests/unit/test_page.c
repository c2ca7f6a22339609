/*
 * page and api_status: the status document from a snapshot and a status,
 * HTML escaping of every outside value, the reload while history is
 * pending, and nothing secret in either.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "expose/api_status.h"
#include "expose/page.h"
#include "stats.h"
#include "t.h"

static void
test_escape(void)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	page_escape(f, "<script>alert(\"x\" & 'y')</script>");
	fclose(f);
	CHECK(strcmp(buf, "&lt;script&gt;alert(&quot;x&quot; &amp; "
	    "&#39;y&#39;)&lt;/script&gt;") == 0);
	free(buf);
}

/* One account with history pending, a hostile device name and error. */
static cJSON *
hostile_doc(struct snapshot **snap, struct status **st)
{
	struct api_account a;
	struct samples s;

	samples_init(&s);
	samples_add(&s, "fitbit_device_battery_percent", 1, 73, "device",
	    "<img src=x onerror=alert(1)>", "type", "TRACKER", NULL);
	samples_add(&s, "fitbit_device_last_sync_timestamp_seconds", 1,
	    1700000000, "device", "<img src=x onerror=alert(1)>", "type",
	    "TRACKER", NULL);
	*snap = snapshot_new(&s, 0);
	*st = status_new();
	(*st)->ready = READY_OK;
	(*st)->token_expiry = 1700003600;
	(*st)->last_success = 1700000000;
	(*st)->next_sync = 1700000900;
	(*st)->budget_left = 140;
	(*st)->budget_limit = 150;
	(*st)->budget_reset = 1700001000;
	snprintf((*st)->error, sizeof((*st)->error),
	    "history: <b>bold</b> & \"quoted\"");
	(*st)->backfill = 1;
	(*st)->nkinds = 1;
	snprintf((*st)->kinds[0].name, STATUS_NAME_MAX, "sleep");
	(*st)->kinds[0].done = 10;
	(*st)->kinds[0].total = 30;
	(*st)->kinds[0].eta_s = 120;
	memset(&a, 0, sizeof(a));
	a.user = "al\"ice";
	a.source = "google";
	a.snap = *snap;
	a.status = *st;
	a.running = 1;
	return api_status_build(&a, 1, "0.1.0", 1700000000);
}

static void
test_document(void)
{
	struct snapshot *snap;
	struct status *st;
	cJSON *doc = hostile_doc(&snap, &st), *acc, *k, *d;
	char *page, *json;
	size_t len;

	CHECK(doc != NULL);
	if (doc == NULL)
		return;
	acc = cJSON_GetArrayItem(cJSON_GetObjectItem(doc, "accounts"), 0);
	CHECK(strcmp(cJSON_GetObjectItem(acc, "ready")->valuestring, "ok") == 0);
	CHECK(strcmp(cJSON_GetObjectItem(cJSON_GetObjectItem(acc, "token"),
	    "state")->valuestring, "valid") == 0);
	k = cJSON_GetArrayItem(cJSON_GetObjectItem(cJSON_GetObjectItem(acc,
	    "history"), "kinds"), 0);
	CHECK(cJSON_GetObjectItem(k, "days_done")->valuedouble == 10);
	CHECK(cJSON_GetObjectItem(k, "days_total")->valuedouble == 30);
	CHECK(cJSON_GetObjectItem(k, "eta_s")->valuedouble == 120);
	d = cJSON_GetArrayItem(cJSON_GetObjectItem(acc, "devices"), 0);
	CHECK(cJSON_GetObjectItem(d, "battery_percent")->valuedouble == 73);
	CHECK(cJSON_GetObjectItem(d, "last_sync")->valuedouble == 1700000000);
	CHECK(strcmp(cJSON_GetObjectItem(cJSON_GetObjectItem(acc, "error"),
	    "help")->valuestring, "#troubleshooting") == 0);
	CHECK(cJSON_IsTrue(cJSON_GetObjectItem(doc, "backfill")));
	json = cJSON_PrintUnformatted(doc);
	CHECK(json != NULL && strstr(json, "\"battery_percent\":73") != NULL);
	free(json);

	page = page_render(doc, "CSRFTOKEN", &len);
	CHECK(page != NULL && strlen(page) == len);
	CHECK(strstr(page, "<img") == NULL);
	CHECK(strstr(page, "<b>") == NULL);
	CHECK(strstr(page, "&lt;img src=x onerror=alert(1)&gt;") != NULL);
	CHECK(strstr(page, "&lt;b&gt;bold&lt;/b&gt; &amp; &quot;quoted&quot;")
	    != NULL);
	CHECK(strstr(page, "value=\"al&quot;ice\"") != NULL);
	CHECK(strstr(page, "http-equiv=\"refresh\"") != NULL);
	CHECK(strstr(page, "<progress value=\"10\" max=\"30\">") != NULL);
	CHECK(strstr(page, "battery 73 %") != NULL);
	CHECK(strstr(page, "name=\"csrf\" value=\"CSRFTOKEN\"") != NULL);
	CHECK(strstr(page, "Re-authorize") != NULL);
	CHECK(strstr(page, "<script") == NULL && strstr(page, "src=\"") == NULL);
	free(page);
	cJSON_Delete(doc);
	snapshot_release(snap);
	status_release(st);
}

/* No backfill, no token: no reload, "Authorize", the Authorize section. */
static void
test_no_token(void)
{
	struct api_account a[2];
	struct status *st = status_new();
	cJSON *doc, *acc;
	char *page;
	size_t len;

	st->ready = READY_NO_TOKEN;
	st->budget_left = -1;
	memset(a, 0, sizeof(a));
	a[0].user = "bob";
	a[0].source = "fitbit";
	a[0].status = st;
	a[0].running = 1;
	a[0].auth = API_AUTH_FAILED;
	a[0].auth_text = "the provider said <b>no</b>";
	a[0].auth_at = 1700000000 - 5;
	a[1].user = "carol";
	a[1].source = "fitbit";
	a[1].auth = API_AUTH_RUNNING;
	a[1].auth_at = 1700000000 - 2;
	doc = api_status_build(a, 2, "0.1.0", 1700000000);
	CHECK(doc != NULL);
	if (doc == NULL)
		return;
	acc = cJSON_GetArrayItem(cJSON_GetObjectItem(doc, "accounts"), 0);
	CHECK(strcmp(cJSON_GetObjectItem(cJSON_GetObjectItem(acc, "token"),
	    "state")->valuestring, "missing") == 0);
	CHECK(strcmp(cJSON_GetObjectItem(cJSON_GetObjectItem(acc, "error"),
	    "help")->valuestring, "#authorize") == 0);
	CHECK(cJSON_IsNull(cJSON_GetObjectItem(acc, "rate_budget")));
	acc = cJSON_GetArrayItem(cJSON_GetObjectItem(doc, "accounts"), 1);
	CHECK(strcmp(cJSON_GetObjectItem(acc, "ready")->valuestring,
	    "broken") == 0);
	CHECK(strcmp(cJSON_GetObjectItem(cJSON_GetObjectItem(acc,
	    "authorization"), "state")->valuestring, "running") == 0);
	page = page_render(doc, NULL, &len);
	/* an authorization being completed: the page reloads itself */
	CHECK(page != NULL && strstr(page, "http-equiv=\"refresh\"") != NULL);
	CHECK(page != NULL && strstr(page, "being completed") != NULL);
	CHECK(page != NULL && strstr(page, "failed: the provider said "
	    "&lt;b&gt;no&lt;/b&gt;") != NULL);
	CHECK(page != NULL && strstr(page, "<b>") == NULL);
	CHECK(page != NULL && strstr(page, "<form") == NULL);
	CHECK(page != NULL && strstr(page, "section Authorize") != NULL);
	free(page);
	cJSON_Delete(doc);
	status_release(st);
}

void
suite_page(void)
{
	test_escape();
	test_document();
	test_no_token();
}
