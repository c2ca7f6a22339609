/*
 * err: first-error-wins messages (see err.h).
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "err.h"

static int
err_vset(struct err *err, enum err_kind kind, int status, int sys,
    const char *fmt, va_list ap)
{
	if (err == NULL || err->set)
		return -1;
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	err->kind = kind;
	err->status = status;
	err->sys = sys;
	err->set = 1;
	return -1;
}

int
err_set(struct err *err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	err_vset(err, ERR_NONE, 0, 0, fmt, ap);
	va_end(ap);
	return -1;
}

int
err_kind(struct err *err, enum err_kind kind, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	err_vset(err, kind, 0, 0, fmt, ap);
	va_end(ap);
	return -1;
}

int
err_http(struct err *err, enum err_kind kind, int status, const char *fmt,
    ...)
{
	va_list ap;

	va_start(ap, fmt);
	err_vset(err, kind, status, 0, fmt, ap);
	va_end(ap);
	return -1;
}

int
err_sys(struct err *err, int errnum, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	err_vset(err, ERR_SYS, 0, errnum, fmt, ap);
	va_end(ap);
	return -1;
}

int
err_copy(struct err *err, const struct err *src)
{
	if (err != NULL && !err->set && src != err)
		*err = *src;
	return -1;
}

int
err_refused(const struct err *err)
{
	return err->kind == ERR_HTTP && err->status >= 400 &&
	    err->status < 500 && err->status != 429;
}

void
err_clear(struct err *err)
{
	memset(err, 0, sizeof(*err));
}
