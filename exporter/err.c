/*
 * err: first-error-wins messages (see err.h).
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "err.h"

static int
err_vset(struct err *err, int code, const char *fmt, va_list ap)
{
	if (err == NULL || err->set)
		return -1;
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	err->code = code;
	err->set = 1;
	return -1;
}

int
err_set(struct err *err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	err_vset(err, 0, fmt, ap);
	va_end(ap);
	return -1;
}

int
err_setc(struct err *err, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	err_vset(err, code, fmt, ap);
	va_end(ap);
	return -1;
}

void
err_clear(struct err *err)
{
	memset(err, 0, sizeof(*err));
}
