/*
 * monotime: CLOCK_MONOTONIC in milliseconds, for pacing, backoff,
 * deadlines and durations (never for timestamps: those are UTC from
 * time(2)). Any thread. Condition-variable deadlines (quit, mhd_guard)
 * and --authorize's wait (auth/oauth_flow.c) read CLOCK_MONOTONIC
 * themselves, as a struct timespec.
 */
#ifndef SYNCBIT_MONOTIME_H
#define SYNCBIT_MONOTIME_H

#include <stdint.h>

/* Milliseconds of CLOCK_MONOTONIC (since an unspecified start). */
int64_t monotime_ms(void);

#endif
