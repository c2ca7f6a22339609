/*
 * lock: one process per file. An exclusive flock() that lives as long as
 * its descriptor, so a crash or kill -9 frees it with the process; the
 * file holds the holder's pid, for the message of the one refused.
 */
#ifndef SYNCBIT_LOCK_H
#define SYNCBIT_LOCK_H

#include "err.h"

/*
 * Take the lock on path (created 0600 when missing; its directory must
 * exist) without waiting, and write our pid into it. Returns the open
 * descriptor that holds the lock (close-on-exec), or -1 with one line in
 * err: "another SyncBit (pid 1234) is using '/data/syncbit.lock'" when
 * another descriptor holds it (in this process too), else the path and
 * the errno (ERR_SYS).
 */
int lock_take(const char *path, struct err *);

/* Give the lock back: close fd; -1 does nothing. The file stays. */
void lock_release(int fd);

#endif
