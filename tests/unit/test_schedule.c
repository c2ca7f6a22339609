/*
 * sched, kinds and samples_keep_newest: which kind is read when, how much
 * budget history leaves for the cycles, COLLECT's groups, and the newest
 * value of each series that /metrics shows.
 */
#include <stdint.h>
#include <string.h>

#include "civil.h"
#include "sync/groups.h"
#include "sample.h"
#include "sync/schedule.h"
#include "source/source.h"
#include "helpers.h"
#include "t.h"

#define NOW 1800000000

static void
test_due(void)
{
	struct sched_read never = { 0, 0, 0 };
	struct sched_read read = { NOW - 900, 1000, 0 };
	struct sched_read found = { NOW - 900, 1000, 1 };
	struct sched_read old = { NOW - SCHED_REREAD_S, 1000, 1 };

	/* never read, intraday and devices: every cycle */
	CHECK(sched_due(KIND_WAKE, &never, NOW, 15, 0));
	CHECK(sched_due(KIND_INTRADAY, &found, NOW, 15, 1000));
	CHECK(sched_due(KIND_CURRENT, &found, NOW, 15, 1000));
	/* no device sync since the last read: nothing can be new */
	CHECK(!sched_due(KIND_WAKE, &read, NOW, 7, 1000));
	CHECK(!sched_due(0, &read, NOW, 15, 1000));
	/* a new sync: a wake-day kind without today's value, in the morning */
	CHECK(sched_due(KIND_WAKE, &read, NOW, 7, 2000));
	CHECK(!sched_due(KIND_WAKE, &read, NOW, 15, 2000));
	CHECK(!sched_due(KIND_WAKE, &read, NOW, 3, 2000));
	CHECK(!sched_due(KIND_WAKE, &found, NOW, 7, 2000));
	/* ... and every few hours */
	CHECK(sched_due(KIND_WAKE, &old, NOW, 15, 2000));
	CHECK(sched_due(KIND_SLOW, &old, NOW, 15, 2000));
	CHECK(!sched_due(KIND_SLOW, &read, NOW, 7, 2000));
	/* all-day kinds (AZM): at each new sync */
	CHECK(sched_due(0, &read, NOW, 15, 2000));
	/* unknown sync (no devices): the clock decides */
	CHECK(sched_due(KIND_WAKE, &read, NOW, 7, 0));
	CHECK(!sched_due(KIND_WAKE, &found, NOW, 7, 0));
	CHECK(sched_due(KIND_WAKE, &old, NOW, 20, 0));
}

static void
test_reserve(void)
{
	/* --once: no cycle follows */
	CHECK(sched_reserve(NOW, 0, 900, NOW + 3000, 8) == SCHED_RETRY_MARGIN);
	/* the window resets before the next cycle */
	CHECK(sched_reserve(NOW, NOW + 900, 900, NOW + 600, 8) ==
	    SCHED_RETRY_MARGIN);
	/* one cycle (at +900) before the reset at +1000 */
	CHECK(sched_reserve(NOW, NOW + 900, 900, NOW + 1000, 8) ==
	    9 + SCHED_RETRY_MARGIN);
	/* cycles at +100, +1000, +1900, +2800 before +3600 */
	CHECK(sched_reserve(NOW, NOW + 100, 900, NOW + 3600, 8) ==
	    4 * 9 + SCHED_RETRY_MARGIN);
	/* a cycle due now counts; unmeasured cycles cost a guess */
	CHECK(sched_reserve(NOW, NOW - 5, 900, NOW + 60, 0) ==
	    SCHED_FIRST_CYCLE_COST + 1 + SCHED_RETRY_MARGIN);
}

static void
test_kinds(void)
{
	unsigned m;
	struct err err = { 0 };

	CHECK(groups_parse("", &m, &err) == 0 && m == groups_all());
	CHECK(groups_parse("all", &m, &err) == 0 && m == groups_all());
	CHECK(groups_parse(" sleep, spo2 ,", &m, &err) == 0);
	CHECK(groups_on(m, "sleep") && groups_on(m, "spo2"));
	CHECK(!groups_on(m, "activity") && !groups_on(m, "intraday"));
	CHECK(!groups_on(m, "nonsense"));
	CHECK(m == (groups_mask("sleep") | groups_mask("spo2")));
	CHECK(groups_all() == (1u << 13) - 1);	/* SOURCE_GROUPS: 13 */
	CHECK(groups_on(groups_all(), "exercise"));
	CHECK(groups_parse("sleep,naps", &m, &err) == -1);
	CHECK(strstr(err.msg, "unknown data kind 'naps'") != NULL);
	err_clear(&err);
	CHECK(groups_parse("sleep,a\nb", &m, &err) == -1);
	CHECK(strchr(err.msg, '\n') == NULL);
	CHECK(groups_mask("intraday") != 0 && groups_mask("x") == 0);
}

static void
test_keep_newest(void)
{
	struct samples latest, got;
	const struct sample *s;

	samples_init(&latest);
	samples_init(&got);
	CHECK(samples_add(&got, "fitbit_heart_rate_bpm", 10, 60, NULL) == 0);
	got.v[0].ts_ms = 1000;
	CHECK(samples_add(&got, "fitbit_heart_rate_bpm", 10, 70, NULL) == 0);
	got.v[1].ts_ms = 3000;
	CHECK(samples_add(&got, "fitbit_heart_rate_bpm", 10, 65, NULL) == 0);
	got.v[2].ts_ms = 2000;
	CHECK(samples_add(&got, "fitbit_spo2_percent", 9, 95, "stat", "avg",
	    NULL) == 0);
	CHECK(samples_add(&got, "fitbit_spo2_percent", 9, 91, "stat", "min",
	    NULL) == 0);
	CHECK(samples_keep_newest(&latest, &got) == 0);
	CHECK(latest.len == 3);
	s = t_find(&latest, "fitbit_heart_rate_bpm", NULL, T_ANY_DAY);
	CHECK(s != NULL && s->value == 70 && s->ts_ms == 3000);
	/* an older day does not replace a newer one; a newer day does */
	samples_clear(&got);
	CHECK(samples_add(&got, "fitbit_spo2_percent", 8, 99, "stat", "avg",
	    NULL) == 0);
	CHECK(samples_add(&got, "fitbit_spo2_percent", 11, 97, "stat", "min",
	    NULL) == 0);
	CHECK(samples_keep_newest(&latest, &got) == 0);
	CHECK(latest.len == 3);
	s = t_find(&latest, "fitbit_spo2_percent", "avg", T_ANY_DAY);
	CHECK(s != NULL && s->value == 95 && s->day == 9);
	s = t_find(&latest, "fitbit_spo2_percent", "min", T_ANY_DAY);
	CHECK(s != NULL && s->value == 97 && s->day == 11);
	samples_release(&latest);
	samples_release(&got);
}

/* A cycle at `now` in Berlin (today 2026-12-02, UTC day the same). */
static struct sched_cycle
berlin_cycle(time_t now)
{
	struct sched_cycle cy;

	memset(&cy, 0, sizeof(cy));
	cy.now = now;
	civil_today("Europe/Berlin", now, &cy.today, &(struct err){ 0 });
	cy.utc_today = (int32_t)(now / 86400);
	return cy;
}

static void
test_plan(void)
{
	const int32_t dec2 = civil_from_ymd(2026, 12, 2);
	const time_t noon = 1796212800;	/* 2026-12-02T12:00:00Z */
	struct sched_cycle cy;

	/* no device information: all but the last RECENT_DAYS are final */
	cy = berlin_cycle(noon);
	CHECK(cy.today == dec2);
	sched_plan(&cy, "Europe/Berlin", 0, INT32_MIN, INT32_MIN);
	CHECK(cy.final_day == dec2 - RECENT_DAYS - 1);
	CHECK(cy.final_utc == dec2 - 2);
	CHECK(cy.from == dec2 - RECENT_DAYS);
	CHECK(cy.utc_from == dec2 - 1);

	/* a sync this morning: yesterday is final; re-read from the day
	 * after the last one read once final */
	cy = berlin_cycle(noon);
	sched_plan(&cy, "Europe/Berlin", noon - 4 * 3600, dec2 - 3,
	    dec2 - 3);
	CHECK(cy.final_day == dec2 - 1);
	CHECK(cy.final_utc == dec2 - 1);
	CHECK(cy.from == dec2 - 2);
	CHECK(cy.utc_from == dec2 - 1);	/* never before yesterday (UTC) */

	/* 00:30 in Berlin is 23:30 UTC the day before: the local day
	 * decides the daily kinds, the UTC day the minutes */
	cy = berlin_cycle(noon);
	sched_plan(&cy, "Europe/Berlin", noon - 12 * 3600 - 1800,
	    INT32_MIN, INT32_MIN);
	CHECK(cy.final_day == dec2 - 1);
	CHECK(cy.final_utc == dec2 - 2);

	/* everything read long ago: at most SOURCE_DAYS_MAX days back; a
	 * sync before the last final day read adds nothing */
	cy = berlin_cycle(noon);
	sched_plan(&cy, "Europe/Berlin", noon - 40 * 86400, dec2 - 100,
	    INT32_MIN);
	CHECK(cy.from == dec2 - SOURCE_DAYS_MAX + 1);
	cy = berlin_cycle(noon);
	sched_plan(&cy, "Europe/Berlin", noon - 5 * 86400, dec2 - 2,
	    INT32_MIN);
	CHECK(cy.final_day == dec2 - 6);
	CHECK(cy.from == dec2 - 5);
}

void
suite_schedule(void)
{
	test_plan();
	test_due();
	test_reserve();
	test_kinds();
	test_keep_newest();
}
