/*
 * quit: the process-wide shutdown request, a flag and a sleep it cuts
 * short. Any thread.
 *
 * main's signal thread calls quit_request() on SIGTERM, SIGINT and
 * SIGQUIT. The long waits (rate-limit resets, retry backoff, the sync
 * interval, backfill pauses) sleep in quit_sleep(), which a request wakes
 * at once. Loops check quit_requested() between steps, and httpc's
 * progress callback aborts a transfer in flight unless the request must
 * finish (libcurl calls it often during a transfer and about once a
 * second when it stalls, so that takes up to a second).
 */
#ifndef SYNCBIT_QUIT_H
#define SYNCBIT_QUIT_H

/* Sets the flag and wakes every quit_sleep(); the flag stays set. */
void quit_request(void);
/* 1 once quit_request() was called (and no quit_reset() since). */
int quit_requested(void);
/* Sleep up to ms (a negative ms: none) on the monotonic clock; returns 1
 * if a quit was requested (before or during), at once when it is. */
int quit_sleep(long ms);
/* Clears a quit request, so that a test can go on after one (only tests
 * call it: the program never takes a quit back). */
void quit_reset(void);

#endif
