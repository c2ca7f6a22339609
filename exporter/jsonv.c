/*
 * jsonv: JSON values (see jsonv.h).
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonv.h"

cJSON *
jv_parse(const char *json, size_t len, int object, struct err *err,
    const char *what, ...)
{
	cJSON *root = cJSON_ParseWithLength(json, len);
	char subject[ERR_MSG_MAX];
	va_list ap;

	if (root != NULL && (!object || cJSON_IsObject(root)))
		return root;
	cJSON_Delete(root);
	va_start(ap, what);
	vsnprintf(subject, sizeof(subject), what, ap);
	va_end(ap);
	err_set(err, "%s: invalid JSON", subject);
	return NULL;
}

const cJSON *
jv_get(const cJSON *o, const char *name)
{
	return cJSON_IsObject(o) ? cJSON_GetObjectItemCaseSensitive(o, name) :
	    NULL;
}

int
jv_decimal_text(const char *s, double *out)
{
	const char *p = s;
	char *end;

	if (*p == '-')
		p++;
	if (!isdigit((unsigned char)*p))
		return -1;
	while (isdigit((unsigned char)*p))
		p++;
	if (*p == '.') {
		if (!isdigit((unsigned char)*++p))
			return -1;
		while (isdigit((unsigned char)*p))
			p++;
	}
	if (*p != '\0' || p - s > 64)
		return -1;
	errno = 0;
	*out = strtod(s, &end);
	return *end == '\0' && errno != ERANGE && isfinite(*out) ? 0 : -1;
}

int
jv_decimal(const cJSON *v, double *out)
{
	if (cJSON_IsNumber(v))
		*out = v->valuedouble;
	else if (!cJSON_IsString(v) || v->valuestring == NULL ||
	    jv_decimal_text(v->valuestring, out) == -1)
		return -1;
	*out += 0.0;		/* "-0" is 0 */
	return isfinite(*out) ? 0 : -1;
}

int
jv_proto_number(const cJSON *v, double *out)
{
	const char *s, *p;
	char *end;

	if (cJSON_IsNumber(v)) {
		*out = v->valuedouble;
		return isfinite(*out) ? 0 : -1;
	}
	if (!cJSON_IsString(v) || (s = v->valuestring) == NULL || *s == '\0')
		return -1;
	for (p = s; *p != '\0'; p++)
		if (!isdigit((unsigned char)*p) && strchr("+-.eE", *p) == NULL)
			return -1;
	errno = 0;
	*out = strtod(s, &end);
	return *end != '\0' || errno == ERANGE || !isfinite(*out) ? -1 : 0;
}

void
jv_ident(const cJSON *v, char *out, size_t size)
{
	const char *s = cJSON_GetStringValue(v), *p;

	out[0] = '\0';
	if (s == NULL || strlen(s) >= size)
		return;
	for (p = s; *p != '\0'; p++)
		if (!isalnum((unsigned char)*p) && strchr("_.-", *p) == NULL)
			return;
	memcpy(out, s, strlen(s) + 1);
}

int
jv_next_token(const cJSON *root, char *next, size_t size, struct err *err)
{
	const cJSON *t = jv_get(root, "nextPageToken");
	const char *s = cJSON_GetStringValue(t);

	next[0] = '\0';
	if (t == NULL || cJSON_IsNull(t))
		return 0;
	if (s == NULL)
		return err_set(err, "'nextPageToken' is not a string");
	if (strlen(s) >= size)
		return err_set(err, "'nextPageToken' is longer than %zu bytes",
		    size - 1);
	memcpy(next, s, strlen(s) + 1);
	return 0;
}
