/*
 * dotenv: the .env file format -> KEY=value pairs, handed to a callback.
 *
 * Lines: KEY=value, an optional "export ", '...' (literal) or "..."
 * (knows \" \\ \n, other backslashes stay) quotes, # comments (a whole
 * line, or after whitespace in an unquoted value). KEY is
 * [A-Za-z_][A-Za-z0-9_]*. Which keys matter is the caller's business:
 * config.c uses this for ./.env and --env-file.
 *
 * A line may hold a secret, so nothing of it ever reaches a message:
 * errors name the line number and a fixed reason ("line 3: unterminated
 * quote"). Every buffer that held the text is wiped before it is freed.
 */
#ifndef SYNCBIT_DOTENV_H
#define SYNCBIT_DOTENV_H

#include <stddef.h>
#include <stdio.h>

#include "err.h"

#define DOTENV_FILE_MAX (1024 * 1024)	/* bytes dotenv_read() takes */

/*
 * Parse text[0..len) and call set(arg, key, value) for each pair, in file
 * order; key and value are borrowed for the call only. NUL bytes are an
 * error, so the text needs no terminator. Returns 0, or -1 with err:
 * "line N: expected KEY=value", "line N: NUL byte in the line", "line N:
 * unterminated quote", "line N: unexpected text after the closing quote",
 * or "line N: out of memory" when set() returned -1 (that stops the parse).
 */
int dotenv_parse(const char *text, size_t len,
    int (*set)(void *arg, const char *key, const char *value), void *arg,
    struct err *);

/*
 * Read the open file f whole (at most DOTENV_FILE_MAX bytes) and parse it
 * as dotenv_parse() does; name is the file's name for messages. Does not
 * close f. Returns 0, or -1 with err: "cannot read 'NAME': why", "'NAME'
 * is larger than N bytes", "'NAME' line N: why", "out of memory".
 */
int dotenv_read(FILE *f, const char *name,
    int (*set)(void *arg, const char *key, const char *value), void *arg,
    struct err *);

#endif
