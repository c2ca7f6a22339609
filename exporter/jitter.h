/*
 * jitter: the program's one source of random waits (backoff spread, the
 * wait after a rate window). Not for secrets: oauth uses getrandom(2).
 * xorshift64*, seeded once from the clock and the process id on first
 * use. Any thread: the state is advanced atomically.
 */
#ifndef SYNCBIT_JITTER_H
#define SYNCBIT_JITTER_H

#include <stdint.h>

/* The next 64 random bits. */
uint64_t jitter_next(void);

/* Uniform in [0, n): 0 when n <= 0. */
long jitter_below(long n);

#endif
