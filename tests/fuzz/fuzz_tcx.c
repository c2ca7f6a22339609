/*
 * fuzz_tcx: tcx_parse (tcx.h), libxml2's streaming reader as SyncBit
 * configures it, then tcx_samples.
 *
 * Input: the TCX document, as received (no NUL added).
 *
 * Promises checked: a failure leaves an empty route and one terminated
 * line of printable ASCII; a success holds at most TCX_MAX_POINTS points,
 * strictly ascending in time from 1970 on, positions inside [-90, 90] x
 * [-180, 180], altitudes inside [TCX_ALT_MIN, TCX_ALT_MAX], heart rates
 * inside [1, 255], positions counted right; the samples are one per value
 * at the point's instant, labelled session.
 */
#include "fuzz.h"
#include "source/tcx.h"

#define SESSION "2026-11-19T07:41:40Z"

static void
check_route(const struct tcx_route *rt)
{
	const struct tcx_point *p;
	size_t i, pos = 0;

	FUZZ_CHECK(rt->len <= TCX_MAX_POINTS && rt->len <= rt->cap);
	for (i = 0; i < rt->len; i++) {
		p = &rt->v[i];
		FUZZ_CHECK(p->ts_ms >= 0);
		FUZZ_CHECK(i == 0 || rt->v[i - 1].ts_ms < p->ts_ms);
		if (p->has & TCX_HAS_POSITION) {
			pos++;
			FUZZ_CHECK(p->lat >= -90 && p->lat <= 90);
			FUZZ_CHECK(p->lon >= -180 && p->lon <= 180);
		}
		if (p->has & TCX_HAS_ALTITUDE)
			FUZZ_CHECK(p->alt_m >= TCX_ALT_MIN &&
			    p->alt_m <= TCX_ALT_MAX);
		if (p->has & TCX_HAS_HEART_RATE)
			FUZZ_CHECK(p->hr_bpm >= 1 && p->hr_bpm <= 255);
	}
	FUZZ_CHECK(pos == rt->positions);
}

static void
check_samples(const struct tcx_route *rt, const struct samples *s)
{
	size_t i, want = 0;

	for (i = 0; i < rt->len; i++)
		want += 2 * ((rt->v[i].has & TCX_HAS_POSITION) != 0) +
		    ((rt->v[i].has & TCX_HAS_ALTITUDE) != 0) +
		    ((rt->v[i].has & TCX_HAS_HEART_RATE) != 0);
	FUZZ_CHECK(s->len == want);
	fuzz_check_samples(s, 0, FUZZ_ANY, 0, 0, 0);
	for (i = 0; i < s->len; i++) {
		FUZZ_CHECK(strcmp(s->v[i].lname[0], TCX_LABEL_SESSION) == 0);
		FUZZ_CHECK(strcmp(s->v[i].lvalue[0], SESSION) == 0);
		FUZZ_CHECK(s->v[i].ts_ms >= 0);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tcx_route rt;
	struct samples s;
	struct err err = { 0 };
	char *doc = fuzz_dup(data, size);
	size_t i;

	if (tcx_parse(doc, size, &rt, &err) == -1) {
		fuzz_check_err(&err);
		FUZZ_CHECK(rt.len == 0 && rt.v == NULL);
		for (i = 0; err.msg[i] != '\0'; i++)
			FUZZ_CHECK(err.msg[i] >= 0x20 && err.msg[i] < 0x7f);
	} else {
		check_route(&rt);
		samples_init(&s);
		if (tcx_samples(&rt, SESSION, &s, &err) == 0)
			check_samples(&rt, &s);
		samples_release(&s);
	}
	tcx_route_release(&rt);
	free(doc);
	return 0;
}
