/*
 * helpers.h: what the unit suites share besides CHECK (t.h): fixtures,
 * scratch files and directories, and finding samples in a list.
 *
 * A helper that cannot do its job (a missing fixture, a file it cannot
 * write) exits the run with status 2: that is a broken test, not a
 * failed check.
 */
#ifndef SYNCBIT_TEST_HELPERS_H
#define SYNCBIT_TEST_HELPERS_H

#include <stddef.h>
#include <stdint.h>

#include "sample.h"

/* Contents of tests/fixtures/NAME, NUL-terminated; caller frees. */
char *fixture(const char *name, size_t *len);
/* A fresh empty directory under $TMPDIR; caller removes it with t_rmrf. */
char *t_tmpdir(void);
/* Removes path and, when it is a directory, everything below it. */
void t_rmrf(const char *path);
/* Replaces the file at path with text. */
void t_write_file(const char *path, const char *text);
/* The first 64 KiB of the file at path, NUL-terminated ("" when it is
 * missing); caller frees. */
char *t_slurp(const char *path);

/* a and b equal within 1e-9 relative to b (absolute below 1). */
int t_near(double a, double b);

/* t_find and t_count on any day. */
#define T_ANY_DAY INT32_MIN
/* lvalue0 for samples without a first label. */
#define T_UNLABELLED ""
/*
 * The first sample of metric on day (T_ANY_DAY: any) whose first label
 * value is lvalue0: NULL takes any labels, T_UNLABELLED none. NULL when
 * there is none.
 */
const struct sample *t_find(const struct samples *, const char *metric,
    const char *lvalue0, int32_t day);
/* How many samples t_find's terms match. */
size_t t_count(const struct samples *, const char *metric,
    const char *lvalue0, int32_t day);

#endif
