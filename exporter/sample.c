/*
 * sample: a growable array of samples (see sample.h).
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "sample.h"

void
samples_init(struct samples *s)
{
	memset(s, 0, sizeof(*s));
}

void
samples_release(struct samples *s)
{
	free(s->v);
	samples_init(s);
}

void
samples_clear(struct samples *s)
{
	s->len = 0;
}

static int
grow(struct samples *s, size_t need)
{
	struct sample *v;
	size_t cap;

	if (need <= s->cap)
		return 0;
	cap = s->cap == 0 ? 64 : s->cap;
	while (cap < need)
		cap *= 2;
	if ((v = realloc(s->v, cap * sizeof(*v))) == NULL)
		return -1;
	s->v = v;
	s->cap = cap;
	return 0;
}

void
samples_tag(struct samples *s, size_t from, const char *group)
{
	for (; from < s->len; from++)
		s->v[from].group = group;
}

int
samples_append(struct samples *s, const struct sample *one)
{
	if (grow(s, s->len + 1) == -1)
		return -1;
	s->v[s->len++] = *one;
	return 0;
}

int
samples_extend(struct samples *s, const struct samples *more)
{
	if (more->len == 0)
		return 0;
	if (grow(s, s->len + more->len) == -1)
		return -1;
	memcpy(s->v + s->len, more->v, more->len * sizeof(*more->v));
	s->len += more->len;
	return 0;
}

int
samples_add(struct samples *s, const char *metric, int32_t day, double value,
    ...)
{
	struct sample one;
	const char *name, *val;
	va_list ap;
	int i, rc = 0;

	memset(&one, 0, sizeof(one));
	one.metric = metric;
	one.day = day;
	one.value = value;
	va_start(ap, value);
	for (i = 0; (name = va_arg(ap, const char *)) != NULL; i++) {
		val = va_arg(ap, const char *);
		if (i == SAMPLE_LABELS || strlen(val) >= SAMPLE_LVALUE_MAX) {
			rc = -1;
			break;
		}
		one.lname[i] = name;
		memcpy(one.lvalue[i], val, strlen(val) + 1);
	}
	va_end(ap);
	if (rc == -1)
		return -1;
	return samples_append(s, &one);
}

static int
cmp_sample(const void *a, const void *b)
{
	const struct sample *x = a, *y = b;
	int i, c;

	if ((c = strcmp(x->metric, y->metric)) != 0)
		return c;
	for (i = 0; i < SAMPLE_LABELS; i++) {
		if ((c = strcmp(x->lname[i] ? x->lname[i] : "",
		    y->lname[i] ? y->lname[i] : "")) != 0)
			return c;
		if ((c = strcmp(x->lvalue[i], y->lvalue[i])) != 0)
			return c;
	}
	if (x->ts_ms != y->ts_ms)
		return x->ts_ms < y->ts_ms ? -1 : 1;
	return x->day < y->day ? -1 : x->day > y->day;
}

void
samples_sort(struct samples *s)
{
	if (s->len > 1)
		qsort(s->v, s->len, sizeof(*s->v), cmp_sample);
}

static int
same_series(const struct sample *a, const struct sample *b)
{
	int i;

	if (strcmp(a->metric, b->metric) != 0)
		return 0;
	for (i = 0; i < SAMPLE_LABELS; i++) {
		if ((a->lname[i] == NULL) != (b->lname[i] == NULL))
			return 0;
		if (a->lname[i] != NULL && (strcmp(a->lname[i],
		    b->lname[i]) != 0 || strcmp(a->lvalue[i],
		    b->lvalue[i]) != 0))
			return 0;
	}
	return 1;
}

int
samples_keep_newest(struct samples *latest, const struct samples *from)
{
	const struct sample *s;
	struct sample *l;
	size_t i, j;

	for (i = 0; i < from->len; i++) {
		s = &from->v[i];
		for (j = 0; j < latest->len; j++)
			if (same_series(&latest->v[j], s))
				break;
		if (j == latest->len) {
			if (samples_append(latest, s) == -1)
				return -1;
			continue;
		}
		l = &latest->v[j];
		if (s->day > l->day || (s->day == l->day && s->ts_ms >= l->ts_ms))
			*l = *s;
	}
	return 0;
}
