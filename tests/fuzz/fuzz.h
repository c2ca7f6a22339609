/*
 * fuzz.h: what the fuzz targets share.
 *
 * Each tests/fuzz/fuzz_NAME.c defines LLVMFuzzerTestOneInput. It is linked
 * twice: with libFuzzer (clang, `make fuzz`) and with replay.c (the normal
 * compiler, `make test`), which feeds it every file of
 * tests/fuzz/corpus/NAME/ and tests/fuzz/crashes/NAME/.
 *
 * A harness calls a parser and then checks what the parser's header
 * promises (FUZZ_CHECK): a broken promise aborts, like a sanitizer report,
 * so libFuzzer keeps the input as a crash. Inputs are handed to parsers
 * exactly as received (no NUL added) unless the parser takes a C string.
 */
#ifndef SYNCBIT_FUZZ_H
#define SYNCBIT_FUZZ_H

#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "civil.h"
#include "err.h"
#include "sample.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_CHECK(expr) do {						\
	if (!(expr)) {							\
		fprintf(stderr, "fuzz: %s:%d: broken promise: %s\n",	\
		    __FILE__, __LINE__, #expr);				\
		abort();						\
	}								\
} while (0)

/* A NUL-terminated copy of data[0..size) (caller frees). */
static inline char *
fuzz_strndup(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	if (s == NULL)
		abort();
	memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

/* An exact-size copy, so ASan sees any read past the end. */
static inline char *
fuzz_dup(const uint8_t *data, size_t size)
{
	char *s = malloc(size > 0 ? size : 1);

	if (s == NULL)
		abort();
	memcpy(s, data, size);
	return s;
}

/* s[0..size) holds a NUL, so it is a C string that fits. */
static inline int
fuzz_terminated(const char *s, size_t size)
{
	return memchr(s, '\0', size) != NULL;
}

/* An identifier a parser may print: [A-Za-z0-9_.-]*. */
static inline int
fuzz_ident(const char *s, size_t size)
{
	size_t i;

	if (!fuzz_terminated(s, size))
		return 0;
	for (i = 0; s[i] != '\0'; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= 'A' && s[i] <= 'Z') ||
		    (s[i] >= '0' && s[i] <= '9') || s[i] == '_' ||
		    s[i] == '.' || s[i] == '-'))
			return 0;
	return 1;
}

/* An error after a failure: set, one terminated line. */
static inline void
fuzz_check_err(const struct err *err)
{
	FUZZ_CHECK(err->set);
	FUZZ_CHECK(fuzz_terminated(err->msg, sizeof(err->msg)));
	FUZZ_CHECK(err->msg[0] != '\0');
}

/* How samples[base..] must relate to the request. */
enum fuzz_days {
	FUZZ_DAILY,	/* day in [from, to] */
	FUZZ_ANY,	/* no promise on the day */
};

/* Every sample a parser appended: a named metric, labels that fit,
 * a finite value; signed only where signed says so. */
static inline void
fuzz_check_samples(const struct samples *s, size_t base, enum fuzz_days how,
    int32_t from, int32_t to, int nonneg)
{
	const struct sample *x;
	size_t i;
	int l;

	FUZZ_CHECK(s->len >= base && s->len <= s->cap);
	for (i = base; i < s->len; i++) {
		x = &s->v[i];
		FUZZ_CHECK(x->metric != NULL && strncmp(x->metric, "fitbit_",
		    7) == 0);
		FUZZ_CHECK(isfinite(x->value));
		if (nonneg && strcmp(x->metric,
		    "fitbit_skin_temperature_deviation_celsius") != 0)
			FUZZ_CHECK(x->value >= 0);
		for (l = 0; l < SAMPLE_LABELS; l++) {
			FUZZ_CHECK(fuzz_terminated(x->lvalue[l],
			    SAMPLE_LVALUE_MAX));
			if (x->lname[l] == NULL)
				FUZZ_CHECK(x->lvalue[l][0] == '\0');
		}
		if (how == FUZZ_DAILY && x->ts_ms == 0)
			FUZZ_CHECK(x->day >= from && x->day <= to);
	}
}

#endif
