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
 * old or the new content: write path.tmp.PID.N, set to exactly mode (the
 * umask changes nothing), fsync, close, rename over path, fsync the
 * directory. -1 with err (code: the errno) on failure, the temporary file
 * removed; when only the directory fsync failed, path already holds the
 * new content and the -1 says that it may not survive a crash.
 */
int file_write_atomic(const char *path, const void *data, size_t len,
    mode_t mode, struct err *);
/*
 * Finish or clear what a file_write_atomic() of path left behind when its
 * process died between creating path.tmp.PID.N and the rename. Only files
 * whose writer is gone count: PID not running, or our own PID (the caller
 * promises that no write of path is under way in this process). The newest
 * of them that complete() accepts (at most max bytes) and that is newer
 * than path, or path is missing, is renamed over path: the replacement its
 * writer meant. Every other one is removed; complete == NULL removes them
 * all. *adopted (may be NULL) says whether one was renamed over path.
 * -1 with err when the directory cannot be read or the rename fails.
 */
int file_recover_atomic(const char *path, size_t max,
    int (*complete)(const char *buf, size_t len), int *adopted,
    struct err *);
/* Read at most max bytes (more is an error, err.sys EFBIG). *out is
 * NUL-terminated; caller frees. A missing file: -1 with err.sys = ENOENT.
 * Buffers given back while reading are wiped (the file may hold a token). */
int file_read(const char *path, size_t max, char **out, size_t *len,
    struct err *);
/* mkdir -p: the last component with mode, its parents with 0755, both
 * narrowed by the umask as mkdir(2) does. Directories that exist are fine
 * and keep their mode; anything else in the way is ENOTDIR. */
int file_mkdirs(const char *path, mode_t mode, struct err *);

#endif
