/*
 * monotime: the program's one monotonic clock, in milliseconds, for
 * pacing, backoff, deadlines and durations (never for timestamps: those
 * are UTC from time(2)). Any thread.
 */
#ifndef SYNCBIT_MONOTIME_H
#define SYNCBIT_MONOTIME_H

#include <stdint.h>

/* Milliseconds of CLOCK_MONOTONIC (since an unspecified start). */
int64_t monotime_ms(void);

#endif
