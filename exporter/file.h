/*
 * file: whole-file reads with a cap, and atomic replacement.
 */
#ifndef SYNCBIT_FILE_H
#define SYNCBIT_FILE_H

#include <stddef.h>
#include <sys/types.h>

#include "err.h"

/*
 * Replace path with data so that a crash at any moment leaves either the
 * old or the new content: write path.tmp.PID created with mode (umask
 * does not widen it), fsync, rename over path, fsync the directory.
 */
int file_write_atomic(const char *path, const void *data, size_t len,
    mode_t mode, struct err *);
/* Read at most max bytes (more is an error). *out is NUL-terminated; caller
 * frees. A missing file: -1 with err.code = ENOENT. */
int file_read(const char *path, size_t max, char **out, size_t *len,
    struct err *);
/* mkdir -p with mode for the last component; existing dirs are fine. */
int file_mkdirs(const char *path, mode_t mode, struct err *);

#endif
