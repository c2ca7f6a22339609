/*
 * t.h: the unit-test harness. CHECK() counts; a failure prints
 * "not ok file:line: expr". Each tests/unit/test_NAME.c defines
 * void suite_NAME(void); the runner calls every suite and prints
 * "N passed, M failed".
 */
#ifndef SYNCBIT_T_H
#define SYNCBIT_T_H

#include <stddef.h>
#include <stdio.h>

extern int t_passed;
extern int t_failed;

#define CHECK(e) do {							\
	if (e)								\
		t_passed++;						\
	else {								\
		t_failed++;						\
		printf("not ok %s:%d: %s\n", __FILE__, __LINE__, #e);	\
	}								\
} while (0)

/* Contents of tests/fixtures/NAME, NUL-terminated; caller frees. Aborts
 * the run when the fixture is missing (a test bug, not a failure). */
char *fixture(const char *name, size_t *len);
/* A fresh empty directory under $TMPDIR; caller removes it with t_rmrf. */
char *t_tmpdir(void);
void t_rmrf(const char *path);

#endif
