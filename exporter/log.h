/*
 * log: logfmt lines to stderr and to DATA_DIR/syncbit.log.
 *
 *   ts=2026-11-29T10:00:00.123Z level=info msg="sync done" steps=8123
 *
 * Thread-safe: any thread may log; a line (at most 4 KiB, cut there) is
 * written whole to each destination under one lock, so lines never
 * interleave. Every registered secret is replaced by "[redacted]" before a
 * line leaves the process, so a token that slips into a message does not
 * reach a file or a terminal; the limits are at log_add_secret(). The
 * key=value part is printf-formatted by the caller; values with spaces
 * must be quoted by the caller (log_q()).
 */
#ifndef SYNCBIT_LOG_H
#define SYNCBIT_LOG_H

#include <stddef.h>

enum log_level { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR };

/* Parse "DEBUG", "info", ... ; returns -1 for an unknown name. */
int log_level_parse(const char *, enum log_level *);

void log_set_level(enum log_level);
/* Also append to path (created 0600). Returns -1 with errno on failure. */
int log_open_file(const char *path);
/* Open log_open_file()'s path again (logrotate moved the file away: new
 * lines go to a new file at the path). Thread-safe: every line lands whole
 * in the old file or the new one. 0 also when no file is open; -1 with
 * errno when the open fails (the old file stays in use). */
int log_reopen(void);
void log_close(void);
/* Never print s: replace it with [redacted]. Copies s; empty strings and
 * strings shorter than 6 characters are ignored. At most 32 are kept: a
 * new one then evicts the oldest that is not pinned. A secret shorter
 * than the mark stays in a line that its mark would push past 4 KiB. */
void log_add_secret(const char *s);
/* Like log_add_secret, but never evicted by newer ones (client secrets,
 * passwords: tokens rotate, these do not); ignored when all 32 are
 * pinned. */
void log_pin_secret(const char *s);
void log_forget_secrets(void);

/* The account this thread works for now (NULL: none): its lines end in
 * user=NAME unless they name a user themselves. Returns the previous one,
 * to put back. The name is borrowed and must outlive the setting. */
const char *log_set_user(const char *user);

void log_msg(enum log_level, const char *msg, const char *kvfmt, ...)
    __attribute__((format(printf, 3, 4)));

#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)
#define log_info(...) log_msg(LOG_INFO, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_WARN, __VA_ARGS__)
#define log_error(...) log_msg(LOG_ERROR, __VA_ARGS__)

/*
 * Render s as a logfmt value into buf: quoted when it is empty or holds a
 * space, '=', '"' or a control character (inside the quotes '"' and '\'
 * are escaped, a newline is \n, other control characters are '?'), as is
 * otherwise; cut to fit size. Returns buf.
 */
const char *log_q(char *buf, size_t size, const char *s);

#endif
