/*
 * fuzz_fitbit_json: every parser of a legacy Fitbit Web API answer
 * (fitbit.h, fitbit_parse.h).
 *
 * Input: [parser] [range] JSON...
 *   parser  byte % NPARSERS, the table below (seed.sh uses the same order);
 *   range   from = 2026-11-19 - (range & 15), to = from + (range >> 4) * 3
 *           (the fixtures' days); intraday and single-day parsers use from.
 * Series and sleep calls also take a second page: the bytes after the
 * first NUL of the JSON, parsed into the same samples.
 */
#include "fuzz.h"
#include "source/fitbit/fitbit.h"
#include "source/fitbit/fitbit_parse.h"

/* Not in parse_stubs.c: linked only once fitbit_parse.c exists. */
#pragma weak fitbit_vo2max_value

enum {
	P_PROFILE, P_DAY, P_SERIES, P_HEART = P_SERIES + 9, P_ERROR,
	P_INTRA_HEART, P_INTRA_STEPS, P_SLEEP, P_SPO2, P_HRV, P_BR, P_TEMP,
	P_VO2, P_AZM, P_WEIGHT, P_FAT, P_DEVICES, P_VO2_TEXT, P_SERIES_BAD,
	NPARSERS
};

static const char *const resources[9] = {
	"steps", "distance", "calories", "floors", "elevation",
	"minutesSedentary", "minutesLightlyActive", "minutesFairlyActive",
	"minutesVeryActive",
};

typedef int (*range_fn)(const char *, size_t, int32_t, int32_t,
    struct samples *, struct err *);

static void
check_profile(const struct profile *p, int rc)
{
	if (rc != 0)
		return;
	FUZZ_CHECK(fuzz_terminated(p->zone, sizeof(p->zone)));
	FUZZ_CHECK(p->zone[0] != '\0' && civil_zone_valid(p->zone));
	FUZZ_CHECK(p->member_since == -1 || p->member_since >= 0);
}

static void
check_error(const struct fitbit_error *fe, int rc)
{
	if (rc != 0)
		return;
	FUZZ_CHECK(fuzz_ident(fe->type, sizeof(fe->type)));
	FUZZ_CHECK(fuzz_ident(fe->status, sizeof(fe->status)));
	FUZZ_CHECK(fe->google == 0 || fe->google == 1);
}

/* One page of a range parser; two when a NUL splits the input. */
static int
pages(range_fn fn, const char *json, size_t len, int32_t from, int32_t to,
    struct samples *s, struct err *err)
{
	const char *nul = memchr(json, '\0', len);
	size_t n1 = nul != NULL ? (size_t)(nul - json) : len, base;
	int rc;

	rc = fn(json, n1, from, to, s, err);
	if (rc == -1 || nul == NULL)
		return rc;
	base = s->len;
	rc = fn(nul + 1, len - n1 - 1, from, to, s, err);
	if (rc == -1)
		FUZZ_CHECK(s->len == base);
	return 0;
}

static int
series(const char *json, size_t len, int32_t from, int32_t to,
    struct samples *s, struct err *err, const char *resource)
{
	const char *nul = memchr(json, '\0', len);
	size_t n1 = nul != NULL ? (size_t)(nul - json) : len, base;
	int rc;

	rc = fitbit_parse_series(json, n1, resource, from, to, s, err);
	if (rc == -1 || nul == NULL)
		return rc;
	base = s->len;
	rc = fitbit_parse_series(nul + 1, len - n1 - 1, resource, from, to, s,
	    err);
	if (rc == -1)
		FUZZ_CHECK(s->len == base);
	return 0;
}

static int
sleep_pages(const char *json, size_t len, int32_t from, int32_t to,
    struct samples *s, struct err *err)
{
	return fitbit_parse_sleep(json, len, from, to, "Europe/Berlin", s, err);
}

static void
vo2_text(const char *json, size_t len)
{
	char *s = fuzz_strndup((const uint8_t *)json, len);
	double v;

	if (fitbit_vo2max_value != NULL && fitbit_vo2max_value(s, &v) == 0)
		FUZZ_CHECK(isfinite(v));
	free(s);
}

static int
dispatch(int p, const char *json, size_t len, int32_t from, int32_t to,
    struct samples *s, struct err *err)
{
	static const range_fn ranges[] = {
		[P_SPO2] = fitbit_parse_spo2, [P_HRV] = fitbit_parse_hrv,
		[P_BR] = fitbit_parse_br, [P_TEMP] = fitbit_parse_skin_temp,
		[P_VO2] = fitbit_parse_vo2max, [P_AZM] = fitbit_parse_azm,
		[P_WEIGHT] = fitbit_parse_weight, [P_FAT] = fitbit_parse_fat,
	};
	struct fitbit_error fe;
	struct profile pr;
	int rc;

	if (p >= P_SERIES && p < P_SERIES + 9)
		return series(json, len, from, to, s, err,
		    resources[p - P_SERIES]);
	switch (p) {
	case P_PROFILE:
		memset(&pr, 0x55, sizeof(pr));
		rc = fitbit_parse_profile(json, len, &pr, err);
		check_profile(&pr, rc);
		return rc;
	case P_DAY:
		return fitbit_parse_day(json, len, from, s, err);
	case P_HEART:
		return pages(fitbit_parse_heart, json, len, from, to, s, err);
	case P_ERROR:
		rc = fitbit_parse_error(json, len, &fe, err);
		check_error(&fe, rc);
		return rc;
	case P_INTRA_HEART:
	case P_INTRA_STEPS:
		rc = fitbit_parse_intraday(json, len, p == P_INTRA_HEART ?
		    "heart" : "steps", from, s, err);
		FUZZ_CHECK(rc == 0 || rc == -1 || rc == FITBIT_NO_INTRADAY);
		return rc == FITBIT_NO_INTRADAY ? 0 : rc;
	case P_SLEEP:
		return pages(sleep_pages, json, len, from, to, s, err);
	case P_DEVICES:
		return fitbit_parse_devices(json, len, from, "Europe/Berlin", s,
		    err);
	case P_VO2_TEXT:
		vo2_text(json, len);
		return 0;
	case P_SERIES_BAD:
		rc = fitbit_parse_series(json, len, "nosuchseries", from, to, s,
		    err);
		FUZZ_CHECK(rc == -1);
		return rc;
	default:
		return pages(ranges[p], json, len, from, to, s, err);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int32_t base = civil_from_ymd(2026, 11, 19), from, to;
	struct err err = { 0 };
	struct samples s;
	char *json;
	size_t i;
	int p, rc;

	if (size < 2)
		return 0;
	p = data[0] % NPARSERS;
	from = base - (data[1] & 15);
	to = from + (data[1] >> 4) * 3;
	json = fuzz_dup(data + 2, size - 2);
	samples_init(&s);
	rc = dispatch(p, json, size - 2, from, to, &s, &err);
	FUZZ_CHECK(rc == 0 || rc == -1);
	if (rc == -1) {
		fuzz_check_err(&err);
		FUZZ_CHECK(s.len == 0);
	}
	fuzz_check_samples(&s, 0, p == P_DAY || p == P_DEVICES ||
	    p == P_INTRA_HEART || p == P_INTRA_STEPS ? FUZZ_ANY : FUZZ_DAILY,
	    from, to, 1);
	if (p == P_DAY || p == P_DEVICES)
		for (i = 0; i < s.len; i++)
			FUZZ_CHECK(s.v[i].day == from);
	if (p == P_SLEEP)	/* the hypnogram too: its wake day */
		for (i = 0; i < s.len; i++)
			FUZZ_CHECK(s.v[i].day >= from && s.v[i].day <= to);
	if (p == P_INTRA_HEART || p == P_INTRA_STEPS)
		for (i = 0; i < s.len; i++) {
			/* at D + "HH:MM:SS", D the UTC day asked for */
			FUZZ_CHECK(s.v[i].day == from);
			FUZZ_CHECK(s.v[i].ts_ms >= (int64_t)from * 86400000 &&
			    s.v[i].ts_ms < (int64_t)(from + 1) * 86400000);
		}
	samples_release(&s);
	free(json);
	return 0;
}
