/*
 * page: the status page (see page.h).
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "page.h"

static const char style[] =
    "body{font:15px/1.4 system-ui,sans-serif;margin:2em auto;max-width:60em;"
    "padding:0 1em;color:#222}\n"
    "section{border:1px solid #ccc;border-radius:6px;padding:.5em 1em;"
    "margin:1em 0}\n"
    "h2{margin:.3em 0;font-size:1.2em}h2 small{color:#666;font-weight:normal}\n"
    "th{text-align:left;padding-right:1em;font-weight:600;vertical-align:top}\n"
    "td{padding-right:1em;vertical-align:top}.bad{color:#b00020}"
    ".ok{color:#11772d}\n"
    "progress{width:14em}button{font-size:1em;padding:.3em 1em}\n"
    "footer{color:#666;font-size:.9em}\n";

void
page_escape(FILE *f, const char *s)
{
	static const char special[] = "&<>\"'";
	static const char *const entity[] = { "&amp;", "&lt;", "&gt;",
	    "&quot;", "&#39;" };
	const char *p;

	for (; *s != '\0'; s++) {
		if ((p = strchr(special, *s)) != NULL)
			fputs(entity[p - special], f);
		else
			fputc(*s, f);
	}
}

static const char *
str(const cJSON *o, const char *name)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* A number, or -1 when absent or null. */
static double
num(const cJSON *o, const char *name)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);

	return cJSON_IsNumber(v) ? v->valuedouble : -1;
}

/* "in 4 min" / "12 s ago" */
static void
relative(FILE *f, double t, double now)
{
	double d = t - now, a = d < 0 ? -d : d;
	const char *unit = "s";

	if (a >= 172800) {
		a /= 86400;
		unit = "days";
	} else if (a >= 7200) {
		a /= 3600;
		unit = "h";
	} else if (a >= 120) {
		a /= 60;
		unit = "min";
	}
	fprintf(f, d >= 0 ? "in %.0f %s" : "%.0f %s ago", a, unit);
}

static void
when(FILE *f, double t, double now)
{
	char buf[32];
	time_t tt = (time_t)t;
	struct tm tm;

	if (t <= 0) {
		fputs("never", f);
		return;
	}
	gmtime_r(&tt, &tm);
	strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S UTC", &tm);
	fprintf(f, "<time>%s</time> (", buf);
	relative(f, t, now);
	fputc(')', f);
}

static void
token_row(FILE *f, const cJSON *acc, double now)
{
	const cJSON *t = cJSON_GetObjectItemCaseSensitive(acc, "token");
	const char *state = str(t, "state");

	if (state == NULL)
		return;
	fprintf(f, "<tr><th>Token</th><td class=\"%s\">",
	    strcmp(state, "valid") == 0 ? "ok" : strcmp(state, "expired") ==
	    0 ? "" : "bad");
	page_escape(f, state);
	fputs("</td><td>expires ", f);
	when(f, num(t, "expires_at"), now);
	fputs("</td></tr>\n", f);
}

static void
error_row(FILE *f, const cJSON *acc)
{
	const cJSON *e = cJSON_GetObjectItemCaseSensitive(acc, "error");
	const char *text = str(e, "text"), *help = str(e, "help");
	const char *detail = str(e, "detail");

	if (text == NULL)
		return;
	fputs("<tr><th>Problem</th><td class=\"bad\" colspan=\"2\">", f);
	page_escape(f, text);
	if (detail != NULL) {
		fputs("<br>", f);
		page_escape(f, detail);
	}
	if (help != NULL) {
		fputs("<br>Fix: README, section ", f);
		fputs(strcmp(help, "#authorize") == 0 ? "Authorize" :
		    "Troubleshooting", f);
		fputs(" (<code>README.md", f);
		page_escape(f, help);
		fputs("</code>)", f);
	}
	fputs("</td></tr>\n", f);
}

static void
budget_row(FILE *f, const cJSON *acc, double now)
{
	const cJSON *b = cJSON_GetObjectItemCaseSensitive(acc, "rate_budget");

	fputs("<tr><th>Rate budget</th><td colspan=\"2\">", f);
	if (!cJSON_IsObject(b)) {
		fputs("not reported by the API (yet)</td></tr>\n", f);
		return;
	}
	fprintf(f, "%.0f", num(b, "remaining"));
	if (num(b, "limit") >= 0)
		fprintf(f, " of %.0f", num(b, "limit"));
	fputs(" requests left", f);
	if (num(b, "resets_at") > 0) {
		fputs(", resets ", f);
		relative(f, num(b, "resets_at"), now);
	}
	fputs("</td></tr>\n", f);
}

static void
history_rows(FILE *f, const cJSON *acc)
{
	const cJSON *h = cJSON_GetObjectItemCaseSensitive(acc, "history");
	const cJSON *k;
	double done, total, eta;

	cJSON_ArrayForEach(k, cJSON_GetObjectItemCaseSensitive(h, "kinds")) {
		done = num(k, "days_done");
		total = num(k, "days_total");
		eta = num(k, "eta_s");
		fputs("<tr><th>History: ", f);
		page_escape(f, str(k, "kind") != NULL ? str(k, "kind") : "?");
		fprintf(f, "</th><td><progress value=\"%.0f\" max=\"%.0f\">"
		    "</progress></td><td>%.0f of %.0f days", done,
		    total > 0 ? total : 1, done, total);
		if (done < total && eta >= 0) {
			fputs(", done ", f);
			relative(f, eta, 0);
		} else if (done < total)
			fputs(", pace not known yet", f);
		fputs("</td></tr>\n", f);
	}
}

static void
device_rows(FILE *f, const cJSON *acc, double now)
{
	const cJSON *d;

	cJSON_ArrayForEach(d, cJSON_GetObjectItemCaseSensitive(acc,
	    "devices")) {
		fputs("<tr><th>Device: ", f);
		page_escape(f, str(d, "device") != NULL ? str(d, "device") : "");
		fputs("</th><td>", f);
		if (num(d, "battery_percent") >= 0)
			fprintf(f, "battery %.0f %%", num(d, "battery_percent"));
		fputs("</td><td>last sync ", f);
		when(f, num(d, "last_sync"), now);
		fputs("</td></tr>\n", f);
	}
}

/* The page's last authorization of the account, while it is news. */
static void
authorization_row(FILE *f, const cJSON *acc, double now)
{
	const cJSON *a = cJSON_GetObjectItemCaseSensitive(acc, "authorization");
	const char *state = str(a, "state"), *text = str(a, "text");

	if (state == NULL || (strcmp(state, "running") != 0 &&
	    now - num(a, "at") > 600))
		return;
	fprintf(f, "<tr><th>Authorization</th><td colspan=\"2\" "
	    "class=\"%s\">", strcmp(state, "failed") == 0 ? "bad" : "ok");
	if (strcmp(state, "running") == 0)
		fputs("being completed&hellip;", f);
	else if (strcmp(state, "done") == 0)
		fputs("done: new tokens saved", f);
	else {
		fputs("failed: ", f);
		page_escape(f, text != NULL ? text : "see the log");
	}
	fputs("</td></tr>\n", f);
}

/* 1 when the page should reload itself: history pending, or an
 * authorization being completed. */
static int
reloads(const cJSON *doc)
{
	const cJSON *acc;
	const char *state;

	if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(doc, "backfill")))
		return 1;
	cJSON_ArrayForEach(acc, cJSON_GetObjectItemCaseSensitive(doc,
	    "accounts")) {
		state = str(cJSON_GetObjectItemCaseSensitive(acc,
		    "authorization"), "state");
		if (state != NULL && strcmp(state, "running") == 0)
			return 1;
	}
	return 0;
}

static void
account(FILE *f, const cJSON *acc, double now, const char *csrf)
{
	const char *user = str(acc, "user"), *ready = str(acc, "ready");
	const char *tok = str(cJSON_GetObjectItemCaseSensitive(acc, "token"),
	    "state");

	if (user == NULL || ready == NULL)
		return;
	fputs("<section class=\"account\" id=\"account-", f);
	page_escape(f, user);
	fputs("\"><h2>", f);
	page_escape(f, user);
	fputs(" <small>", f);
	page_escape(f, str(acc, "source") != NULL ? str(acc, "source") : "");
	fprintf(f, " &middot; <span class=\"%s\">", strcmp(ready, "ok") == 0 ?
	    "ok" : "bad");
	page_escape(f, ready);
	fputs("</span></small></h2>\n<table>\n", f);
	authorization_row(f, acc, now);
	token_row(f, acc, now);
	fputs("<tr><th>Last sync</th><td colspan=\"2\">", f);
	when(f, num(acc, "last_success"), now);
	fputs("</td></tr>\n<tr><th>Next sync</th><td colspan=\"2\">", f);
	when(f, num(acc, "next_sync"), now);
	fputs("</td></tr>\n", f);
	error_row(f, acc);
	budget_row(f, acc, now);
	history_rows(f, acc);
	device_rows(f, acc, now);
	fputs("</table>\n", f);
	if (csrf != NULL) {
		fputs("<form method=\"post\" action=\"/authorize\">"
		    "<input type=\"hidden\" name=\"account\" value=\"", f);
		page_escape(f, user);
		fputs("\"><input type=\"hidden\" name=\"csrf\" value=\"", f);
		page_escape(f, csrf);
		fprintf(f, "\"><button type=\"submit\">%s</button></form>\n",
		    tok == NULL || strcmp(tok, "missing") == 0 ? "Authorize" :
		    "Re-authorize");
	}
	fputs("</section>\n", f);
}

char *
page_render(const cJSON *doc, const char *csrf, size_t *len)
{
	const cJSON *acc;
	double now = num(doc, "now");
	char *buf = NULL;
	FILE *f;

	if ((f = open_memstream(&buf, len)) == NULL)
		return NULL;
	fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
	    "<title>SyncBit</title>\n", f);
	if (reloads(doc))
		fprintf(f, "<meta http-equiv=\"refresh\" content=\"%d\">\n",
		    PAGE_REFRESH_S);
	fprintf(f, "<style>\n%s</style></head><body>\n<h1>SyncBit</h1>\n",
	    style);
	cJSON_ArrayForEach(acc, cJSON_GetObjectItemCaseSensitive(doc,
	    "accounts"))
		account(f, acc, now, csrf);
	fputs("<footer>SyncBit ", f);
	page_escape(f, str(doc, "version") != NULL ? str(doc, "version") : "");
	fputs(" &middot; <a href=\"/api/status\">/api/status</a> &middot; "
	    "<a href=\"/metrics\">/metrics</a> &middot; <a href=\"/healthz\">"
	    "/healthz</a> &middot; <a href=\"/readyz\">/readyz</a></footer>\n"
	    "</body></html>\n", f);
	if (fclose(f) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}
