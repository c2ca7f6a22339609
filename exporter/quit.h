/*
 * quit: the process-wide shutdown request, and sleeps it interrupts.
 *
 * main's signal thread calls quit_request() on SIGTERM, SIGINT and
 * SIGQUIT; every wait in SyncBit (rate-limit resets, backoff, the sync
 * interval) goes through quit_sleep() so that shutdown takes effect
 * within milliseconds.
 */
#ifndef SYNCBIT_QUIT_H
#define SYNCBIT_QUIT_H

void quit_request(void);
int quit_requested(void);
/* Sleep up to ms; returns 1 if a quit was requested (before or during). */
int quit_sleep(long ms);
/* Clears a quit request, so that a test can go on after one. */
void quit_reset(void);

#endif
