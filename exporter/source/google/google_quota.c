/*
 * google_quota: the Google Cloud project's request quota, shared by every
 * account's source in the process (one OAuth client, one project).
 *
 * Google Health API quotas (research/google-health.md, "Quota"): 300
 * requests a minute per user (each source paces itself at GOOGLE_RPM),
 * and per project 120,000 a minute and 86.4 M a day. The daily one is the
 * tighter in the long run (1,000 a second), so the project's bucket fills
 * at GOOGLE_PROJECT_RPM, below both, with a burst of GOOGLE_PROJECT_BURST.
 * Any thread may call it; the wait happens outside the lock.
 */
#include <math.h>
#include <pthread.h>

#include "google.h"
#include "monotime.h"
#include "quit.h"

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static double tokens = GOOGLE_PROJECT_BURST;
static int64_t last_ms;

long
google_quota_take(void)
{
	const double per_ms = GOOGLE_PROJECT_RPM / 60000.0;
	int64_t now = monotime_ms();
	long wait_ms = 0;

	pthread_mutex_lock(&lock);
	if (last_ms == 0)
		last_ms = now;
	tokens += (double)(now - last_ms) * per_ms;
	if (tokens > GOOGLE_PROJECT_BURST)
		tokens = GOOGLE_PROJECT_BURST;
	last_ms = now;
	tokens -= 1;		/* taken now; a debt is waited off below */
	if (tokens < 0)
		wait_ms = (long)ceil(-tokens / per_ms);
	pthread_mutex_unlock(&lock);
	return wait_ms;
}

int
google_quota_wait(struct err *err)
{
	long ms = google_quota_take();

	if (ms > 0 && quit_sleep(ms))
		return err_kind(err, ERR_STOP, "stopping");
	return 0;
}
