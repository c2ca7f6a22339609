/*
 * expo: exposition text, escaping, self-metrics before the first sync,
 * and several accounts on one page (each family once).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "expose/cache.h"
#include "expose/expo.h"
#include "expose/metrics.h"
#include "t.h"

static const struct expo_info info = { "0.1.0", "fitbit" };

/* One account "alice" with snapshot snap. */
static char *
render_one(const char *user, const struct snapshot *snap, size_t *len)
{
	struct expo_account acc = { user, snap, stats_account(0) };

	return expo_render(&acc, 1, stats_get(), &info, len);
}

/* How often needle occurs in text. */
static size_t
count(const char *text, const char *needle)
{
	size_t n = 0;

	for (; (text = strstr(text, needle)) != NULL; text++)
		n++;
	return n;
}

static void
test_empty(void)
{
	char *text;
	size_t len = 0, n, i;
	const struct metric_family *fam = metrics_fitbit(&n);
	char want[256];

	stats_reset();
	text = render_one("alice", NULL, &len);
	CHECK(text != NULL);
	CHECK(len == strlen(text));
	CHECK(len > 0 && text[len - 1] == '\n');
	for (i = 0; i < n; i++) {
		snprintf(want, sizeof(want), "# TYPE %s %s\n", fam[i].name,
		    fam[i].type);
		CHECK(strstr(text, want) != NULL);
	}
	/* an account's own numbers carry its user label */
	CHECK(strstr(text, "syncbit_last_sync_success{user=\"alice\"} 0\n") !=
	    NULL);
	CHECK(strstr(text, "syncbit_last_sync_timestamp_seconds"
	    "{user=\"alice\"} 0\n") != NULL);
	CHECK(strstr(text, "syncbit_backfill_days_pending{user=\"alice\"} 0\n")
	    != NULL);
	CHECK(strstr(text, "syncbit_rate_limit_remaining{user=\"alice\"} -1\n")
	    != NULL);
	CHECK(strstr(text, "syncbit_token_expiry_timestamp_seconds"
	    "{user=\"alice\"} 0\n") != NULL);
	CHECK(strstr(text, "syncbit_account_ready{reason=\"starting\","
	    "user=\"alice\"} 0\n") != NULL);
	CHECK(strstr(text, "syncbit_remote_write_samples_total{result=\"sent\"}"
	    " 0\n") != NULL);
	CHECK(strstr(text, "syncbit_remote_write_samples_total{result="
	    "\"rejected\"} 0\n") != NULL);
	CHECK(strstr(text, "\nsyncbit_remote_write_refused 0\n") != NULL);
	CHECK(strstr(text, "syncbit_build_info{source=\"fitbit\",version="
	    "\"0.1.0\"} 1\n") != NULL);
	CHECK(strstr(text, "syncbit_api_requests_total{code=\"200\","
	    "user=\"alice\"} 0\n") != NULL);
	CHECK(strstr(text, "fitbit_steps_total{") == NULL);
	free(text);
}

static void
test_values(void)
{
	struct samples s;
	struct snapshot *snap;
	char *text, *cached;
	size_t len, clen;

	stats_reset();
	samples_init(&s);
	samples_add(&s, "fitbit_steps_total", 1, 8123, NULL);
	samples_add(&s, "fitbit_distance_km", 1, 6.12, NULL);
	samples_add(&s, "fitbit_active_minutes", 1, 12, "type", "very_active",
	    NULL);
	samples_add(&s, "fitbit_heart_rate_zone_calories", 1, 240.34, "zone",
	    "fat_burn", NULL);
	samples_add(&s, "fitbit_resting_heart_rate_bpm", 1, NAN, NULL);
	snap = snapshot_new(&s, 0);
	CHECK(s.len == 0);
	atomic_store(&stats_account(0)->api_requests[200], 7);
	atomic_store(&stats_account(0)->api_requests[0], 2);
	atomic_store(&stats_account(0)->ready, READY_OK);
	text = render_one("alice", snap, &len);
	CHECK(text != NULL);
	CHECK(strstr(text, "fitbit_steps_total{user=\"alice\"} 8123\n") != NULL);
	CHECK(strstr(text, "fitbit_distance_km{user=\"alice\"} 6.12\n") != NULL);
	CHECK(strstr(text, "fitbit_active_minutes{type=\"very_active\","
	    "user=\"alice\"} 12\n") != NULL);
	CHECK(strstr(text, "fitbit_heart_rate_zone_calories{zone=\"fat_burn\","
	    "user=\"alice\"} 240.34\n") != NULL);
	CHECK(strstr(text, "fitbit_resting_heart_rate_bpm{user=\"alice\"} "
	    "NaN\n") != NULL);
	CHECK(strstr(text, "syncbit_api_requests_total{code=\"200\","
	    "user=\"alice\"} 7\n") != NULL);
	CHECK(strstr(text, "syncbit_api_requests_total{code=\"error\","
	    "user=\"alice\"} 2\n") != NULL);
	CHECK(strstr(text, "syncbit_account_ready{reason=\"ok\","
	    "user=\"alice\"} 1\n") != NULL);
	/* the family header comes before its first sample */
	CHECK(strstr(text, "# TYPE fitbit_steps_total counter\n") <
	    strstr(text, "fitbit_steps_total{"));
	/* values rendered once into the snapshot: the same page */
	CHECK(expo_prerender(snap, "alice") == 0);
	CHECK(snap->text != NULL && snap->text_len == strlen(snap->text));
	CHECK(snap->text != NULL && strstr(snap->text, "syncbit_") == NULL);
	CHECK(snap->text != NULL && strstr(snap->text, "# TYPE") == NULL);
	cached = render_one("alice", snap, &clen);
	CHECK(cached != NULL && clen == len && strcmp(cached, text) == 0);
	free(cached);
	free(text);
	snapshot_release(snap);		/* frees snap->text */
	stats_reset();
}

/* Three accounts: each family's HELP and TYPE once, every account's
 * samples under it, each account's own numbers under its label. */
static void
test_accounts(void)
{
	static const char *const users[] = { "alice", "bob", "carol" };
	struct expo_account acc[3];
	struct snapshot *snap[3];
	struct samples s;
	char *text, want[128];
	const char *steps_type, *p;
	size_t len, i;

	CHECK(stats_accounts(3, users) == 0);
	for (i = 0; i < 3; i++) {
		samples_init(&s);
		samples_add(&s, "fitbit_steps_total", 1, 1000.0 * (double)(i + 1),
		    NULL);
		samples_add(&s, "fitbit_resting_heart_rate_bpm", 1,
		    50.0 + (double)i, NULL);
		snap[i] = snapshot_new(&s, 0);
		if (i != 1)		/* bob's comes unrendered */
			CHECK(expo_prerender(snap[i], users[i]) == 0);
		acc[i].user = users[i];
		acc[i].snap = snap[i];
		acc[i].st = stats_account(i);
	}
	atomic_store(&stats_account(1)->ready, READY_INVALID_GRANT);
	text = expo_render(acc, 3, stats_get(), &info, &len);
	CHECK(text != NULL);
	CHECK(count(text, "# TYPE fitbit_steps_total counter\n") == 1);
	CHECK(count(text, "# TYPE syncbit_last_sync_success gauge\n") == 1);
	steps_type = strstr(text, "# TYPE fitbit_steps_total counter\n");
	for (i = 0; i < 3; i++) {
		snprintf(want, sizeof(want), "fitbit_steps_total{user=\"%s\"} "
		    "%zu\n", users[i], 1000 * (i + 1));
		p = strstr(text, want);
		CHECK(p != NULL && p > steps_type);
		/* all of a family's lines before the next family's header */
		CHECK(p != NULL && strstr(steps_type + 1, "# TYPE") > p);
		snprintf(want, sizeof(want), "syncbit_last_sync_success"
		    "{user=\"%s\"} 0\n", users[i]);
		CHECK(strstr(text, want) != NULL);
	}
	CHECK(strstr(text, "syncbit_account_ready{reason=\"invalid_grant\","
	    "user=\"bob\"} 0\n") != NULL);
	free(text);
	for (i = 0; i < 3; i++)
		snapshot_release(snap[i]);
	CHECK(stats_accounts(1, users) == 0);
	stats_reset();
}

static void
test_escape(void)
{
	char out[64];
	struct samples s;
	struct snapshot *snap;
	char *text;
	size_t len;

	CHECK(expo_escape_label("plain", out, sizeof(out)) == 0);
	CHECK(strcmp(out, "plain") == 0);
	CHECK(expo_escape_label("a\"b\\c\nd", out, sizeof(out)) == 0);
	CHECK(strcmp(out, "a\\\"b\\\\c\\nd") == 0);
	CHECK(expo_escape_label("\"\"\"", out, 6) == -1);
	CHECK(expo_escape_label("", out, 1) == 0 && out[0] == '\0');

	samples_init(&s);
	samples_add(&s, "fitbit_steps_total", 1, 1, NULL);
	snap = snapshot_new(&s, 0);
	text = render_one("a\"b\\c\nd", snap, &len);
	CHECK(strstr(text, "fitbit_steps_total{user=\"a\\\"b\\\\c\\nd\"} 1\n") !=
	    NULL);
	CHECK(strstr(text, "syncbit_last_sync_success{user=\"a\\\"b\\\\c\\nd\"}"
	    " 0\n") != NULL);
	free(text);
	snapshot_release(snap);
}

void
suite_expo(void)
{
	test_empty();
	test_values();
	test_accounts();
	test_escape();
}
