/*
 * t.h: the unit-test harness. CHECK() counts; a failure prints
 * "not ok file:line: expr". Each tests/unit/test_NAME.c defines
 * void suite_NAME(void); the runner calls every suite and prints
 * "N passed, M failed". The helpers the suites share (fixtures, scratch
 * files, finding samples) are in unit/helpers.h.
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

#endif
