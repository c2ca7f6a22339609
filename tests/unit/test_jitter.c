/*
 * jitter: the one source of random waits stays in its bounds, moves, and
 * is shared by threads without losing its state.
 */
#include <pthread.h>

#include "jitter.h"
#include "t.h"

static void
test_bounds(void)
{
	int i, out = 0, low = 0, high = 0;
	long v;

	CHECK(jitter_below(0) == 0);
	CHECK(jitter_below(-5) == 0);
	CHECK(jitter_below(1) == 0);
	for (i = 0; i < 10000; i++) {
		v = jitter_below(250);
		out += v < 0 || v >= 250;
		low += v < 125;
		high += v >= 125;
	}
	CHECK(out == 0);
	CHECK(low > 4000 && high > 4000);	/* roughly uniform */
	CHECK(jitter_next() != jitter_next());
}

static void *
draw(void *arg)
{
	int i, *zeros = arg;

	for (i = 0; i < 20000; i++)
		*zeros += jitter_next() == 0;
	return NULL;
}

static void
test_threads(void)
{
	pthread_t t[4];
	int zeros[4] = { 0 }, i;

	for (i = 0; i < 4; i++)
		CHECK(pthread_create(&t[i], NULL, draw, &zeros[i]) == 0);
	for (i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	CHECK(zeros[0] + zeros[1] + zeros[2] + zeros[3] == 0);
	CHECK(jitter_next() != 0);
}

void
suite_jitter(void)
{
	test_bounds();
	test_threads();
}
