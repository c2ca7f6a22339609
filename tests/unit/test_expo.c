/*
 * expo: exposition text, escaping, self-metrics before the first sync.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "expose/cache.h"
#include "expose/expo.h"
#include "expose/metrics.h"
#include "t.h"

static const struct expo_info info = { "alice", "0.1.0", "fitbit" };

static void
test_empty(void)
{
	char *text;
	size_t len = 0, n, i;
	const struct metric_family *fam = metrics_fitbit(&n);
	char want[256];

	stats_reset();
	text = expo_render(NULL, stats_get(), &info, &len);
	CHECK(text != NULL);
	CHECK(len == strlen(text));
	CHECK(len > 0 && text[len - 1] == '\n');
	for (i = 0; i < n; i++) {
		snprintf(want, sizeof(want), "# TYPE %s %s\n", fam[i].name,
		    fam[i].type);
		CHECK(strstr(text, want) != NULL);
	}
	CHECK(strstr(text, "syncbit_last_sync_success 0\n") != NULL);
	CHECK(strstr(text, "syncbit_last_sync_timestamp_seconds 0\n") != NULL);
	CHECK(strstr(text, "syncbit_backfill_days_pending 0\n") != NULL);
	CHECK(strstr(text, "syncbit_remote_write_samples_total{result=\"sent\"}"
	    " 0\n") != NULL);
	CHECK(strstr(text, "syncbit_remote_write_samples_total{result="
	    "\"rejected\"} 0\n") != NULL);
	CHECK(strstr(text, "syncbit_build_info{source=\"fitbit\",version="
	    "\"0.1.0\"} 1\n") != NULL);
	CHECK(strstr(text, "syncbit_api_requests_total{code=\"200\"} 0\n") !=
	    NULL);
	/* no timestamps: every sample line has exactly one space */
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
	atomic_store(&stats_get()->api_requests[200], 7);
	atomic_store(&stats_get()->api_requests[0], 2);
	text = expo_render(snap, stats_get(), &info, &len);
	CHECK(text != NULL);
	CHECK(strstr(text, "fitbit_steps_total{user=\"alice\"} 8123\n") != NULL);
	CHECK(strstr(text, "fitbit_distance_km{user=\"alice\"} 6.12\n") != NULL);
	CHECK(strstr(text, "fitbit_active_minutes{type=\"very_active\","
	    "user=\"alice\"} 12\n") != NULL);
	CHECK(strstr(text, "fitbit_heart_rate_zone_calories{zone=\"fat_burn\","
	    "user=\"alice\"} 240.34\n") != NULL);
	CHECK(strstr(text, "fitbit_resting_heart_rate_bpm{user=\"alice\"} "
	    "NaN\n") != NULL);
	CHECK(strstr(text, "syncbit_api_requests_total{code=\"200\"} 7\n") !=
	    NULL);
	CHECK(strstr(text, "syncbit_api_requests_total{code=\"error\"} 2\n") !=
	    NULL);
	/* the family header comes before its first sample */
	CHECK(strstr(text, "# TYPE fitbit_steps_total counter\n") <
	    strstr(text, "fitbit_steps_total{"));
	/* values rendered once into the snapshot: the same page */
	snap->text = expo_render_values(snap, info.user, &snap->text_len);
	CHECK(snap->text != NULL && snap->text_len == strlen(snap->text));
	CHECK(snap->text != NULL && strstr(snap->text, "syncbit_") == NULL);
	cached = expo_render(snap, stats_get(), &info, &clen);
	CHECK(cached != NULL && clen == len && strcmp(cached, text) == 0);
	free(cached);
	free(text);
	snapshot_release(snap);		/* frees snap->text */
	stats_reset();
}

static void
test_escape(void)
{
	char out[64];
	struct expo_info odd = { "a\"b\\c\nd", "0.1.0", "fitbit" };
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
	text = expo_render(snap, stats_get(), &odd, &len);
	CHECK(strstr(text, "fitbit_steps_total{user=\"a\\\"b\\\\c\\nd\"} 1\n") !=
	    NULL);
	free(text);
	snapshot_release(snap);
}

void
suite_expo(void)
{
	test_empty();
	test_values();
	test_escape();
}
