/*
 * fuzz_google_json: every parser of a Google Health API answer (google.h,
 * google_parse.h), and its text values (durations, RFC 3339 times).
 *
 * Input: [parser] [range] JSON...
 *   parser  byte % NPARSERS, the table below (seed.sh uses the same order);
 *   range   from = 2026-11-19 - (range & 15), to = from + (range >> 4) * 3;
 *           the status parser takes its HTTP status from range % 6.
 * List parsers (rhr, minutes, sleep, lists, devices, activity levels) also
 * take a second page: the bytes after the first NUL, parsed into the same
 * samples (activity levels: the same sums), as google.c does with the
 * pages of one range. The fifth rollup slot (activity-level, list-only
 * since google-live.md) is google_activity.h's list parser, in
 * Europe/Berlin.
 */
#include "fuzz.h"
#include "source/google/google.h"
#include "source/google/google_activity.h"
#include "source/google/google_parse.h"

/* Not in parse_stubs.c: linked only once google_parse.c exists. */
#pragma weak civil_parse_rfc3339

#define NEXT_SIZE 256

enum {
	P_STATUS, P_SETTINGS, P_PROFILE, P_ROLLUP, P_LEVELS = P_ROLLUP + 4,
	P_ROLLUP_BAD = P_ROLLUP + 9,
	P_RHR, P_MIN_HEART, P_MIN_STEPS, P_SLEEP, P_LIST, P_LIST_BAD =
	P_LIST + 8, P_DEVICES, P_DURATION, P_TIME, NPARSERS
};

static const char *const rollups[9] = {
	"steps", "distance", "floors", "altitude", "activity-level",
	"time-in-heart-rate-zone", "total-calories",
	"calories-in-heart-rate-zone", "active-zone-minutes",
};

static const char *const lists[8] = {
	"daily-oxygen-saturation", "daily-heart-rate-variability",
	"daily-respiratory-rate", "daily-sleep-temperature-derivations",
	"daily-vo2-max", "daily-resting-heart-rate", "weight", "body-fat",
};

struct call {
	int p;
	int range;		/* the range byte */
	int32_t from, to;
	char next[NEXT_SIZE];
};

static int64_t
floor_div(int64_t a, int64_t b)
{
	return a / b - (a % b != 0 && (a < 0) != (b < 0));
}

/* One page of a list parser. */
static int
page(struct call *c, const char *json, size_t len, struct samples *s,
    struct err *err)
{
	int p = c->p;

	if (p == P_RHR)
		return google_parse_rhr(json, len, c->from, c->to, s, c->next,
		    sizeof(c->next), err);
	if (p == P_MIN_HEART || p == P_MIN_STEPS)
		return google_parse_minutes(p == P_MIN_HEART ? "heart-rate" :
		    "steps", json, len, s, c->next, sizeof(c->next), err);
	if (p == P_SLEEP)
		return google_parse_sleep(json, len, c->from, c->to, s,
		    c->next, sizeof(c->next), err);
	if (p == P_DEVICES)
		return google_parse_devices(json, len, c->from, s, c->next,
		    sizeof(c->next), err);
	return google_parse_list(p == P_LIST_BAD ? "no-such-type" :
	    lists[p - P_LIST], json, len, c->from, c->to, s, c->next,
	    sizeof(c->next), err);
}

/* activity-level: both pages into one sum, then the days' samples. */
static int
levels(struct call *c, const char *json, size_t len, struct samples *s,
    struct err *err)
{
	const char *nul = memchr(json, '\0', len);
	size_t n1 = nul != NULL ? (size_t)(nul - json) : len, i;
	struct google_levels lv;
	int rc;

	if (google_levels_init(&lv, "Europe/Berlin", c->from, c->to,
	    err) == -1)
		return -1;
	rc = google_parse_levels(json, n1, &lv, c->next, sizeof(c->next), err);
	FUZZ_CHECK(fuzz_terminated(c->next, sizeof(c->next)));
	if (rc == 0 && nul != NULL)
		rc = google_parse_levels(nul + 1, len - n1 - 1, &lv, c->next,
		    sizeof(c->next), err);
	if (rc == -1)
		FUZZ_CHECK(c->next[0] == '\0');
	if (rc == 0)
		rc = google_levels_samples(&lv, s, err);
	google_levels_release(&lv);
	FUZZ_CHECK(rc == -1 || s->len % GOOGLE_LEVELS == 0);
	for (i = 0; rc == 0 && i < s->len; i++)
		FUZZ_CHECK(s->v[i].value >= 0 && s->v[i].ts_ms == 0);
	return rc;
}

static int
pages(struct call *c, const char *json, size_t len, struct samples *s,
    struct err *err)
{
	const char *nul = memchr(json, '\0', len);
	size_t n1 = nul != NULL ? (size_t)(nul - json) : len, base;
	struct err e2 = { 0 };
	int rc;

	rc = page(c, json, n1, s, err);
	FUZZ_CHECK(fuzz_terminated(c->next, sizeof(c->next)));
	if (rc == -1)
		FUZZ_CHECK(c->next[0] == '\0');	/* no page to follow */
	if (rc == -1 || nul == NULL)
		return rc;
	base = s->len;
	if (page(c, nul + 1, len - n1 - 1, s, &e2) == -1) {
		fuzz_check_err(&e2);
		FUZZ_CHECK(s->len == base && c->next[0] == '\0');
	} else
		FUZZ_CHECK(fuzz_terminated(c->next, sizeof(c->next)));
	return 0;
}

static void
check_status(const struct google_status *st, int rc)
{
	if (rc != 0)
		return;
	FUZZ_CHECK(fuzz_ident(st->status, sizeof(st->status)));
	FUZZ_CHECK(fuzz_ident(st->reason, sizeof(st->reason)));
	FUZZ_CHECK(st->problem >= GOOGLE_OTHER &&
	    st->problem <= GOOGLE_BAD_SCOPES);
}

/* "YYYY-MM-DDTHH:MM:SSZ" computed here, for civil_parse_rfc3339 to agree. */
static int
simple_time(const char *t, int64_t *ms)
{
	static const char shape[] = "dddd-dd-ddTdd:dd:ddZ";
	int y, mo, d, h, mi, s, y2, mo2, d2;
	size_t i;

	if (strlen(t) != sizeof(shape) - 1)
		return -2;
	for (i = 0; shape[i] != '\0'; i++)
		if (shape[i] == 'd' ? t[i] < '0' || t[i] > '9' :
		    t[i] != shape[i])
			return -2;
	if (sscanf(t, "%4d-%2d-%2dT%2d:%2d:%2d", &y, &mo, &d, &h, &mi, &s) !=
	    6)
		return -2;
	if (s == 60)
		return -2;	/* a leap second: either answer is fine */
	if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 ||
	    s > 59)
		return -1;
	civil_to_ymd(civil_from_ymd(y, mo, d), &y2, &mo2, &d2);
	if (y2 != y || mo2 != mo || d2 != d)
		return -1;
	*ms = ((int64_t)civil_from_ymd(y, mo, d) * 86400 + h * 3600 +
	    mi * 60 + s) * 1000;
	return 0;
}

static void
text_values(int p, const char *json, size_t len)
{
	char *t = fuzz_strndup((const uint8_t *)json, len);
	int64_t ms, want = 0;
	double secs;
	int rc, ref;

	if (p == P_DURATION) {
		if (google_duration(t, &secs) == 0)
			FUZZ_CHECK(isfinite(secs) && secs >= 0);
	} else if (civil_parse_rfc3339 != NULL) {
		rc = civil_parse_rfc3339(t, &ms);
		FUZZ_CHECK(rc == 0 || rc == -1);
		ref = simple_time(t, &want);
		if (ref != -2)
			FUZZ_CHECK(rc == ref);
		if (ref == 0)
			FUZZ_CHECK(ms == want);
	}
	free(t);
}

static int
dispatch(struct call *c, const char *json, size_t len, struct samples *s,
    struct err *err)
{
	static const long http[] = { 400, 401, 403, 404, 429, 500 };
	struct google_status st;
	struct profile pr;
	int rc;

	switch (c->p) {
	case P_STATUS:
		rc = google_parse_status(json, len, http[c->range % 6], &st,
		    err);
		check_status(&st, rc);
		return rc;
	case P_SETTINGS:
		memset(&pr, 0x55, sizeof(pr));
		rc = google_parse_settings(json, len, &pr, err);
		if (rc == 0)
			FUZZ_CHECK(fuzz_terminated(pr.zone, sizeof(pr.zone)) &&
			    civil_zone_valid(pr.zone));
		return rc;
	case P_PROFILE:
		memset(&pr, 0x55, sizeof(pr));
		rc = google_parse_profile(json, len, &pr, err);
		if (rc == 0)
			FUZZ_CHECK(pr.member_since == -1 ||
			    pr.member_since >= 0);
		return rc;
	case P_ROLLUP_BAD:
		rc = google_parse_rollup("no-such-type", json, len, c->from,
		    c->to, s, err);
		FUZZ_CHECK(rc == -1);
		return rc;
	case P_DURATION:
	case P_TIME:
		text_values(c->p, json, len);
		return 0;
	case P_LEVELS:
		return levels(c, json, len, s, err);
	default:
		if (c->p >= P_ROLLUP && c->p < P_ROLLUP + 9)
			return google_parse_rollup(rollups[c->p - P_ROLLUP],
			    json, len, c->from, c->to, s, err);
		return pages(c, json, len, s, err);
	}
}

/* One main sleep per wake day (google_parse.h: the longest session): a
 * day with any sleep sample has exactly one duration, and no sample of the
 * day comes before it (google_parse.c keeps a session's samples together,
 * duration first; one before it is left over from a replaced session). */
static void
check_sleep(const struct samples *s)
{
	static const char dur[] = "fitbit_sleep_duration_seconds";
	size_t i, j, n, at;

	for (i = 0; i < s->len; i++) {
		for (j = 0, n = 0, at = 0; j < s->len; j++)
			if (s->v[j].day == s->v[i].day &&
			    strcmp(s->v[j].metric, dur) == 0) {
				n++;
				at = j;
			}
		FUZZ_CHECK(n == 1);
		FUZZ_CHECK(at <= i);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct err err = { 0 };
	struct samples s;
	struct call c;
	char *json;
	size_t i;
	int rc;

	if (size < 2)
		return 0;
	memset(&c, 0, sizeof(c));
	c.p = data[0] % NPARSERS;
	c.range = data[1];
	c.from = civil_from_ymd(2026, 11, 19) - (data[1] & 15);
	c.to = c.from + (data[1] >> 4) * 3;
	json = fuzz_dup(data + 2, size - 2);
	samples_init(&s);
	rc = dispatch(&c, json, size - 2, &s, &err);
	FUZZ_CHECK(rc == 0 || rc == -1);
	if (rc == -1) {
		fuzz_check_err(&err);
		FUZZ_CHECK(s.len == 0);
	}
	fuzz_check_samples(&s, 0, c.p == P_MIN_HEART || c.p == P_MIN_STEPS ||
	    c.p == P_DEVICES ? FUZZ_ANY : FUZZ_DAILY, c.from, c.to,
	    (c.p >= P_ROLLUP && c.p < P_ROLLUP + 9) || c.p == P_RHR);
	for (i = 0; i < s.len; i++) {
		if (c.p == P_DEVICES)
			FUZZ_CHECK(s.v[i].day == c.from);
		else if (c.p == P_SLEEP)	/* hypnogram: the wake day too */
			FUZZ_CHECK(s.v[i].day >= c.from && s.v[i].day <= c.to);
		else if (s.v[i].ts_ms != 0)	/* a minute: its UTC day */
			FUZZ_CHECK(s.v[i].day ==
			    floor_div(s.v[i].ts_ms, 86400000));
	}
	if (c.p == P_SLEEP)
		check_sleep(&s);
	samples_release(&s);
	free(json);
	return 0;
}
