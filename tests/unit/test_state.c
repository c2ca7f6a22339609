/*
 * state: sync_state.json round trips, cursors, fingerprints of recent
 * days, and files that must be refused rather than guessed at.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "civil.h"
#include "file.h"
#include "sync/state.h"
#include "helpers.h"
#include "t.h"

static void
test_round_trip(void)
{
	char *dir = t_tmpdir(), path[1024], *text;
	struct state a, b;
	struct err err = { 0 };
	struct stat st;
	int32_t d = civil_from_ymd(2026, 11, 27);

	snprintf(path, sizeof(path), "%s/sync_state.json", dir);
	state_init(&a);
	CHECK(state_set_next(&a, "steps", civil_from_ymd(2024, 1, 1)) == 0);
	CHECK(state_set_next(&a, "heart", civil_from_ymd(2025, 6, 30)) == 0);
	state_recent_set(&a, "", d - 1, 0x9f1c000000000001ULL, d - 7);
	state_recent_set(&a, "", d, 0xffffffffffffffffULL, d - 7);
	state_recent_set(&a, "", d - 2, 0, d - 7);
	state_recent_set(&a, "sleep", d - 1, 7, d - 7);
	CHECK(state_set_next(&a, "heart_intraday", d - 1) == 0);
	CHECK(state_set_lo(&a, "heart_intraday", d - 30) == 0);
	CHECK(state_set_lo(&a, "nothing", d) == -1);
	CHECK(state_save(path, &a, &err) == 0);
	CHECK(!err.set);
	CHECK(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600);

	text = t_slurp(path);
	CHECK(strstr(text, "\"next\":\t\"2024-01-01\"") != NULL);
	CHECK(strstr(text, "\"2026-11-27\":\t\"ffffffffffffffff\"") != NULL);
	CHECK(strstr(text, "\"2026-11-25\":\t\"0000000000000000\"") != NULL);
	CHECK(strstr(text, "\"2026-11-26/sleep\":\t\"0000000000000007\"") !=
	    NULL);
	CHECK(strstr(text, "\"lo\":\t\"2026-10-28\"") != NULL);
	free(text);

	memset(&b, 0x55, sizeof(b));
	CHECK(state_load(path, &b, &err) == 0);
	CHECK(b.nkinds == 3 && b.nrecent == 4);
	CHECK(state_lo(&b, "heart_intraday", -1) == d - 30);
	CHECK(state_lo(&b, "steps", -1) == -1);		/* unset */
	CHECK(state_recent_same(&b, "sleep", d - 1, 7));
	CHECK(!state_recent_same(&b, "sleep", d - 1, 0x9f1c000000000001ULL));
	CHECK(!state_recent_same(&b, "hrv", d - 1, 7));
	CHECK(state_next(&b, "steps", -1) == civil_from_ymd(2024, 1, 1));
	CHECK(state_next(&b, "heart", -1) == civil_from_ymd(2025, 6, 30));
	CHECK(state_recent_same(&b, "", d - 1, 0x9f1c000000000001ULL));
	CHECK(state_recent_same(&b, "", d, 0xffffffffffffffffULL));
	CHECK(state_recent_same(&b, "", d - 2, 0));
	CHECK(b.recent[0].day == d - 2 && b.recent[3].day == d);

	/* a save over an existing file replaces it */
	CHECK(state_set_next(&b, "steps", civil_from_ymd(2024, 3, 1)) == 0);
	CHECK(state_save(path, &b, &err) == 0);
	CHECK(state_load(path, &a, &err) == 0);
	CHECK(state_next(&a, "steps", -1) == civil_from_ymd(2024, 3, 1));

	/* an empty state survives too */
	state_init(&a);
	CHECK(state_save(path, &a, &err) == 0);
	CHECK(state_load(path, &b, &err) == 0);
	CHECK(b.nkinds == 0 && b.nrecent == 0);
	t_rmrf(dir);
	free(dir);
}

static void
test_missing_and_unwritable(void)
{
	char *dir = t_tmpdir(), path[1024];
	struct state st;
	struct err err = { 0 };

	snprintf(path, sizeof(path), "%s/sync_state.json", dir);
	memset(&st, 0x55, sizeof(st));
	CHECK(state_load(path, &st, &err) == 0);
	CHECK(!err.set && st.nkinds == 0 && st.nrecent == 0);

	snprintf(path, sizeof(path), "%s/no/such/dir/sync_state.json", dir);
	CHECK(state_save(path, &st, &err) == -1);
	CHECK(strstr(err.msg, "no/such/dir") != NULL);
	t_rmrf(dir);
	free(dir);
}

static void
test_cursors(void)
{
	struct state st;
	char name[64];
	int i;

	state_init(&st);
	CHECK(state_next(&st, "steps", 42) == 42);
	CHECK(state_set_next(&st, "steps", 100) == 0);
	CHECK(state_set_next(&st, "steps", 101) == 0);
	CHECK(st.nkinds == 1 && state_next(&st, "steps", 42) == 101);
	CHECK(state_set_next(&st, "", 1) == -1);
	CHECK(state_set_next(&st,
	    "a-name-that-is-far-too-long-for-the-fixed-slot-x", 1) == -1);
	for (i = 1; i < STATE_KINDS_MAX; i++) {
		snprintf(name, sizeof(name), "kind%d", i);
		CHECK(state_set_next(&st, name, i) == 0);
	}
	CHECK(st.nkinds == STATE_KINDS_MAX);
	CHECK(state_set_next(&st, "one-too-many", 1) == -1);
	CHECK(state_set_next(&st, "kind7", 70) == 0);	/* update still works */
	CHECK(state_next(&st, "kind7", 0) == 70);
}

static void
day_samples(struct samples *s, double steps, const char *zone)
{
	samples_add(s, "fitbit_steps_total", 20000, steps, NULL);
	samples_add(s, "fitbit_active_minutes", 20000, 12, "type",
	    "very_active", NULL);
	samples_add(s, "fitbit_heart_rate_zone_minutes", 20000, 30, "zone",
	    zone, NULL);
	samples_add(s, "fitbit_resting_heart_rate_bpm", 20000, 58, NULL);
}

static void
test_fingerprint(void)
{
	struct samples a, b;
	struct sample tmp;
	uint64_t fa;

	samples_init(&a);
	samples_init(&b);
	CHECK(state_fingerprint(&a) == state_fingerprint(&b));

	day_samples(&a, 8123, "cardio");
	fa = state_fingerprint(&a);
	CHECK(fa != state_fingerprint(&b));

	/* same values, another order */
	samples_extend(&b, &a);
	tmp = b.v[0];
	b.v[0] = b.v[3];
	b.v[3] = tmp;
	tmp = b.v[1];
	b.v[1] = b.v[2];
	b.v[2] = tmp;
	CHECK(state_fingerprint(&b) == fa);

	/* one value changed */
	samples_clear(&b);
	day_samples(&b, 8124, "cardio");
	CHECK(state_fingerprint(&b) != fa);
	/* a label value changed */
	samples_clear(&b);
	day_samples(&b, 8123, "peak");
	CHECK(state_fingerprint(&b) != fa);
	/* one sample more (a duplicate) */
	samples_clear(&b);
	day_samples(&b, 8123, "cardio");
	samples_add(&b, "fitbit_resting_heart_rate_bpm", 20000, 58, NULL);
	CHECK(state_fingerprint(&b) != fa);
	/* two values swapped between series */
	samples_clear(&b);
	day_samples(&b, 12, "cardio");
	b.v[1].value = 8123;
	CHECK(state_fingerprint(&b) != fa);
	/* -0.0 and 0.0 are the same value */
	samples_clear(&a);
	samples_clear(&b);
	samples_add(&a, "fitbit_floors_total", 20000, 0.0, NULL);
	samples_add(&b, "fitbit_floors_total", 20000, -0.0, NULL);
	CHECK(state_fingerprint(&a) == state_fingerprint(&b));
	samples_release(&a);
	samples_release(&b);
}

static void
test_recent(void)
{
	struct state st;
	int32_t d = 20000, i;

	state_init(&st);
	CHECK(!state_recent_same(&st, "", d, 1));
	state_recent_set(&st, "", d, 1, d - 7);
	CHECK(state_recent_same(&st, "", d, 1));
	CHECK(!state_recent_same(&st, "", d, 2));
	state_recent_set(&st, "", d, 2, d - 7);		/* update in place */
	CHECK(st.nrecent == 1 && state_recent_same(&st, "", d, 2));
	state_recent_set(&st, "", d + 1, 3, d - 7);
	state_recent_set(&st, "", d + 9, 4, d + 2);		/* drops d, d + 1 */
	CHECK(st.nrecent == 1 && state_recent_same(&st, "", d + 9, 4));
	state_recent_set(&st, "", d, 5, d + 2);		/* older than oldest */
	CHECK(st.nrecent == 1 && !state_recent_same(&st, "", d, 5));

	/* full: the oldest day goes */
	state_init(&st);
	for (i = 0; i < STATE_RECENT_MAX + 3; i++)
		state_recent_set(&st, "", d + i, (uint64_t)i, 0);
	CHECK(st.nrecent == STATE_RECENT_MAX);
	CHECK(!state_recent_same(&st, "", d + 2, 2));
	CHECK(state_recent_same(&st, "", d + 3, 3));
	CHECK(state_recent_same(&st, "", d + STATE_RECENT_MAX + 2,
	    STATE_RECENT_MAX + 2));
	for (i = 1; i < (int32_t)st.nrecent; i++)
		CHECK(st.recent[i - 1].day < st.recent[i].day);
}

static const struct {
	const char *json;
	const char *why;
} corrupt[] = {
	{ "", "not valid JSON (at byte 0)" },
	{ "{\"version\":1,\"kinds\":{\"steps\":{\"next\":\"2024-",
	    "not valid JSON" },
	{ "{\"version\":1} trailing", "not valid JSON (at byte 14)" },
	{ "[]", "the top level is not an object" },
	{ "{\"version\":\"1\"}", "'version' is not a number" },
	{ "{\"version\":2}", "'version' is not 1" },
	{ "{\"kinds\":{}}", "'version' is missing" },
	{ "{\"version\":1,\"kinds\":[]}", "'kinds' is not an object" },
	{ "{\"version\":1,\"recent\":null}", "'recent' is not an object" },
	{ "{\"version\":1,\"kinds\":{\"steps\":{\"next\":\"2024-02-30\"}}}",
	    "'next' of kind 'steps' is not a YYYY-MM-DD date" },
	{ "{\"version\":1,\"kinds\":{\"steps\":{\"next\":20240101}}}",
	    "'next' of kind 'steps' is not a YYYY-MM-DD date" },
	{ "{\"version\":1,\"kinds\":{\"steps\":{\"next\":\"24-01-01\"}}}",
	    "'next' of kind 'steps' is not a YYYY-MM-DD date" },
	{ "{\"version\":1,\"kinds\":{\"steps\":{}}}",
	    "kind 'steps' must hold only 'next' (and 'lo')" },
	{ "{\"version\":1,\"kinds\":{\"steps\":{\"next\":\"2024-01-01\","
	    "\"x\":1}}}", "kind 'steps' must hold only 'next' (and 'lo')" },
	{ "{\"version\":1,\"kinds\":{\"steps\":\"2024-01-01\"}}",
	    "kind 'steps' is not an object" },
	{ "{\"version\":1,\"kinds\":{\"a\\nb\":{\"next\":\"2024-01-01\"}}}",
	    "kind name 'a?b' is invalid" },
	{ "{\"version\":1,\"kinds\":{\"s\":{\"next\":\"2024-01-01\"},"
	    "\"s\":{\"next\":\"2024-01-02\"}}}", "kind 's' appears twice" },
	{ "{\"version\":1,\"recent\":{\"2024-13-01\":\"0123456789abcdef\"}}",
	    "recent key '2024-13-01' is not YYYY-MM-DD[/kind]" },
	{ "{\"version\":1,\"recent\":{\"2024-01-01/\":\"0123456789abcdef\"}}",
	    "recent key '2024-01-01/' is not YYYY-MM-DD[/kind]" },
	{ "{\"version\":1,\"recent\":{\"2024-01-01x\":\"0123456789abcdef\"}}",
	    "recent key '2024-01-01x' is not YYYY-MM-DD[/kind]" },
	{ "{\"version\":1,\"kinds\":{\"s\":{\"next\":\"2024-01-01\","
	    "\"lo\":\"x\"}}}", "'lo' of kind 's' is not a YYYY-MM-DD date" },
	{ "{\"version\":1,\"kinds\":{\"s\":{\"lo\":\"2024-01-01\"}}}",
	    "kind 's' must hold only 'next' (and 'lo')" },
	{ "{\"version\":1,\"recent\":{\"2024-01-01\":\"0123\"}}",
	    "fingerprint of recent key '2024-01-01' is not 16" },
	{ "{\"version\":1,\"recent\":{\"2024-01-01\":\"0123456789abcdeg\"}}",
	    "fingerprint of recent key '2024-01-01' is not 16" },
	{ "{\"version\":1,\"recent\":{\"2024-01-01\":12}}",
	    "fingerprint of recent key '2024-01-01' is not 16" },
	{ "{\"version\":1,\"recent\":{\"2024-01-01\":\"0123456789abcdef\","
	    "\"2024-01-01\":\"0123456789abcdef\"}}",
	    "recent key '2024-01-01' appears twice" },
	{ "{\"version\":1,\"extra\":true}", "unknown key 'extra'" },
};

static void
test_corrupt(void)
{
	static const char sorted_in[] = " \n{\"version\":1,\"recent\":{"
	    "\"2024-01-03\":\"0000000000000003\","
	    "\"2024-01-01\":\"0000000000000001\"}}\n";
	char *dir = t_tmpdir(), path[1024], want[1100];
	struct state st;
	struct err err;
	size_t i;
	int ok;

	for (i = 0; i < sizeof(corrupt) / sizeof(corrupt[0]); i++) {
		memset(&err, 0, sizeof(err));
		state_init(&st);
		st.nkinds = 1;		/* must survive a failed parse */
		ok = state_parse(corrupt[i].json, strlen(corrupt[i].json), &st,
		    &err) == -1 && st.nkinds == 1 &&
		    strncmp(err.msg, "corrupt sync state ", 19) == 0 &&
		    strstr(err.msg, corrupt[i].why) != NULL &&
		    strchr(err.msg, '\n') == NULL;
		if (!ok)
			printf("# case %zu: '%s'\n", i, err.msg);
		CHECK(ok);
	}

	/* whitespace around the object is fine; a valid recent list is
	 * sorted on the way in */
	memset(&err, 0, sizeof(err));
	CHECK(state_parse(sorted_in, strlen(sorted_in), &st, &err) == 0);
	CHECK(st.nrecent == 2 && st.recent[0].day < st.recent[1].day);

	/* through a file: the message names it */
	snprintf(path, sizeof(path), "%s/sync_state.json", dir);
	CHECK(file_write_atomic(path, "{\"version\":1,\"kinds\":{", 22, 0600,
	    &err) == 0);
	memset(&err, 0, sizeof(err));
	CHECK(state_load(path, &st, &err) == -1);
	snprintf(want, sizeof(want), "corrupt sync state '%s': not valid JSON",
	    path);
	CHECK(strncmp(err.msg, want, strlen(want)) == 0);
	t_rmrf(dir);
	free(dir);
}

void
suite_state(void)
{
	test_round_trip();
	test_missing_and_unwritable();
	test_cursors();
	test_fingerprint();
	test_recent();
	test_corrupt();
}
