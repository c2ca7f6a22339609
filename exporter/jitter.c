/* jitter: one xorshift64* for every wait (see jitter.h). */
#include <stdatomic.h>
#include <time.h>
#include <unistd.h>

#include "jitter.h"

static _Atomic uint64_t state;	/* 0: not seeded yet */

static uint64_t
seed(void)
{
	struct timespec now;
	uint64_t s;

	clock_gettime(CLOCK_MONOTONIC, &now);
	s = ((uint64_t)now.tv_sec << 30) ^ (uint64_t)now.tv_nsec ^
	    ((uint64_t)getpid() << 40) ^ (uint64_t)time(NULL);
	return s != 0 ? s : 0x9e3779b97f4a7c15ULL;
}

uint64_t
jitter_next(void)
{
	uint64_t old = atomic_load(&state), x;

	do {
		x = old != 0 ? old : seed();
		x ^= x >> 12;		/* never 0 from a non-zero state */
		x ^= x << 25;
		x ^= x >> 27;
	} while (!atomic_compare_exchange_weak(&state, &old, x));
	return x * 0x2545f4914f6cdd1dULL;
}

long
jitter_below(long n)
{
	return n > 0 ? (long)(jitter_next() % (uint64_t)n) : 0;
}
