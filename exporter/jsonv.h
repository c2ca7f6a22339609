/*
 * jsonv: parsing the APIs' JSON answers and reading values out of them
 * (cJSON), shared by the sources and their parsers.
 *
 * Both APIs send some numbers as strings: the legacy Fitbit API its time
 * series values ("2504"), Google proto3's int64 ("112"). strtod alone
 * would also take "0x1f", "inf" and "nan"; these do not.
 */
#ifndef SYNCBIT_JSONV_H
#define SYNCBIT_JSONV_H

#include <stddef.h>

#include <cJSON.h>

#include "err.h"

/* json -> its root (the caller cJSON_Delete()s it), or NULL with err
 * "<what>: invalid JSON", what a printf format ("day '%s'"). object: a
 * root that is not an object is invalid JSON too (Google's answers;
 * Fitbit's parsers name the member they miss instead). */
cJSON *jv_parse(const char *json, size_t len, int object, struct err *err,
    const char *what, ...) __attribute__((format(printf, 5, 6)));
/* o[name] when o is an object, else NULL. */
const cJSON *jv_get(const cJSON *o, const char *name);
/* Fitbit: a JSON number, or a string of plain decimal digits with an
 * optional '-' and one '.' ("6.12"; not "1.", ".5", "1e3"), at most 64
 * bytes; finite; "-0" is 0. -1 otherwise. */
int jv_decimal(const cJSON *v, double *out);
/* The same digits rule for text ("44" of a "44-48"): finite, -1
 * otherwise; unlike jv_decimal, "-0" stays -0. */
int jv_decimal_text(const char *s, double *out);
/* Google (proto3): a JSON number, or a string of digits, '+', '-', '.',
 * 'e', 'E' that strtod reads whole; finite. -1 otherwise. */
int jv_proto_number(const cJSON *v, double *out);
/* v when it is a string of [A-Za-z0-9_.-] shorter than size (an error
 * type or status, safe to print), else "". */
void jv_ident(const cJSON *v, char *out, size_t size);
/* root.nextPageToken -> next ("" when absent or null); -1 with err when it
 * is not a string or does not fit in size. */
int jv_next_token(const cJSON *root, char *next, size_t size,
    struct err *err);

#endif
