/*
 * quit: one flag and one condition variable (on CLOCK_MONOTONIC, so a
 * clock step neither stretches nor cuts a sleep); quit_sleep() waits on
 * the condition so that quit_request() wakes every sleeper at once.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <time.h>

#include "quit.h"

static pthread_mutex_t quit_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t quit_cond;
static pthread_once_t quit_once = PTHREAD_ONCE_INIT;
static atomic_int quit_flag;

static void
quit_setup(void)
{
	pthread_condattr_t attr;

	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&quit_cond, &attr);
	pthread_condattr_destroy(&attr);
}

void
quit_request(void)
{
	pthread_once(&quit_once, quit_setup);
	pthread_mutex_lock(&quit_lock);
	atomic_store(&quit_flag, 1);
	pthread_cond_broadcast(&quit_cond);
	pthread_mutex_unlock(&quit_lock);
}

int
quit_requested(void)
{
	return atomic_load(&quit_flag);
}

int
quit_sleep(long ms)
{
	struct timespec until;
	int rc = 0;

	pthread_once(&quit_once, quit_setup);
	if (ms < 0)
		ms = 0;
	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_sec += ms / 1000;
	until.tv_nsec += (ms % 1000) * 1000000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&quit_lock);
	while (!atomic_load(&quit_flag) && rc != ETIMEDOUT)
		rc = pthread_cond_timedwait(&quit_cond, &quit_lock, &until);
	pthread_mutex_unlock(&quit_lock);
	return atomic_load(&quit_flag);
}

void
quit_reset(void)
{
	atomic_store(&quit_flag, 0);
}
