/*
 * fuzz_exercise: the workout parsers of both sources and the samples they
 * lead to -- google_parse_exercise (google_exercise.h) and
 * fitbit_parse_exercise (fitbit_parse.h), then exercise_samples
 * (exercise.h).
 *
 * Input: [parser] [range] JSON...
 *   parser  byte % 2: 0 Google's exercise list page, 1 the legacy
 *           activities/list.json page (zone Europe/Berlin);
 *   range   from = 2026-03-29 - (range & 15), to = from + (range >> 4) * 3.
 * A NUL splits the JSON into two pages parsed into the same list, as the
 * sources do with the pages of one range.
 *
 * Promises checked: a failed page adds nothing and leaves next empty;
 * the legacy next is a bare query (no '/', '?', '#', space or quote); every sample is an exercise metric with a finite value >= 0, an
 * activity label of the bounded set, a zone only on the zone metric, the
 * day of its session in [from, to]; no two samples share metric, labels
 * and instant (the collision rule).
 */
#include "fuzz.h"
#include "source/exercise.h"
#include "source/fitbit/fitbit_parse.h"
#include "source/google/google_exercise.h"

#define NEXT_SIZE 256

static const char *const labels[] = {
	"run", "walk", "outdoor_bike", "bike", "treadmill", "swim", "weights",
	"strength", "yoga", "hiit", "hike", "pilates", "elliptical", "workout",
	"sport", "other", NULL,
};

static int
known(const char *label)
{
	int i;

	for (i = 0; labels[i] != NULL; i++)
		if (strcmp(labels[i], label) == 0)
			return 1;
	return 0;
}

static int
page(int p, const char *json, size_t len, int32_t from, int32_t to,
    struct exercise_list *l, struct err *err)
{
	char next[NEXT_SIZE];
	size_t base = l->len;
	int rc;

	if (p == 0) {
		rc = google_parse_exercise(json, len, from, to, l, next,
		    sizeof(next), err);
		FUZZ_CHECK(fuzz_terminated(next, sizeof(next)));
	} else {
		rc = fitbit_parse_exercise(json, len, from, to, "Europe/Berlin",
		    l, next, sizeof(next), err);
		FUZZ_CHECK(fuzz_terminated(next, sizeof(next)));
		FUZZ_CHECK(strpbrk(next, " #/?\"\\") == NULL);
	}
	if (rc == -1)
		FUZZ_CHECK(next[0] == '\0');
	if (rc == -1) {
		fuzz_check_err(err);
		FUZZ_CHECK(l->len == base);
	}
	return rc;
}

static void
check(const struct samples *s, int32_t from, int32_t to)
{
	const struct sample *x, *y;
	size_t i, j;

	fuzz_check_samples(s, 0, FUZZ_DAILY, from, to, 1);
	for (i = 0; i < s->len; i++) {
		x = &s->v[i];
		FUZZ_CHECK(strncmp(x->metric, "fitbit_exercise_", 16) == 0);
		FUZZ_CHECK(x->day >= from && x->day <= to && x->ts_ms != 0);
		FUZZ_CHECK(x->lname[0] != NULL &&
		    strcmp(x->lname[0], "activity") == 0 && known(x->lvalue[0]));
		FUZZ_CHECK((x->lname[1] != NULL) == (strcmp(x->metric,
		    "fitbit_exercise_heart_rate_zone_seconds") == 0));
		for (j = 0; j < i && s->len < 2000; j++) {
			y = &s->v[j];
			FUZZ_CHECK(!(y->ts_ms == x->ts_ms &&
			    strcmp(y->metric, x->metric) == 0 &&
			    strcmp(y->lvalue[1], x->lvalue[1]) == 0));
		}
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct exercise_list l;
	struct samples s;
	struct err err = { 0 };
	const char *json, *nul;
	char *buf;
	size_t len, n1;
	int32_t from, to;
	int p, rc;

	if (size < 2)
		return 0;
	p = data[0] % 2;
	from = civil_from_ymd(2026, 3, 29) - (data[1] & 15);
	to = from + (data[1] >> 4) * 3;
	buf = fuzz_dup(data + 2, size - 2);
	json = buf;
	len = size - 2;
	nul = memchr(json, '\0', len);
	n1 = nul != NULL ? (size_t)(nul - json) : len;
	exercise_list_init(&l);
	samples_init(&s);
	rc = page(p, json, n1, from, to, &l, &err);
	if (rc == 0 && nul != NULL) {
		err_clear(&err);
		rc = page(p, nul + 1, len - n1 - 1, from, to, &l, &err);
	}
	if (rc == 0 && exercise_samples(&l, &s, &err) == 0)
		check(&s, from, to);
	samples_release(&s);
	exercise_list_release(&l);
	free(buf);
	return 0;
}
