/*
 * oauth_callback: the check of one OAuth redirect (see oauth.h and
 * oauth_flow.c): its query decoded into struct oauth_cbargs, then exactly
 * our state, once, and one code that fits. oauth_flow_offer() records
 * the first answer that settles the flow; the listener's thread and the
 * main thread (a pasted URL) both offer theirs.
 *
 * No function here logs or quotes a state or a code.
 */
#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "oauth_private.h"

int
oauth_same_secret(const char *a, const char *b)
{
	size_t i, n = strlen(b);
	unsigned char d = 0;

	if (strlen(a) != n)
		return 0;
	for (i = 0; i < n; i++)
		d |= (unsigned char)(a[i] ^ b[i]);
	return d == 0;
}

void
oauth_cbargs_add(struct oauth_cbargs *a, const char *key,
    const char *value)
{
	size_t n, i;

	if (value == NULL)
		value = "";
	n = strlen(value);
	if (strcmp(key, "state") == 0) {
		a->nstate++;
		/* too long: cannot be ours, and "" never matches */
		snprintf(a->state, sizeof(a->state), "%s",
		    n < sizeof(a->state) ? value : "");
	} else if (strcmp(key, "code") == 0) {
		a->ncode++;
		a->code_long = n >= sizeof(a->code);
		snprintf(a->code, sizeof(a->code), "%s",
		    a->code_long ? "" : value);
	} else if (strcmp(key, "error") == 0) {
		a->nerror++;
		/* it ends up in messages: keep the harmless characters */
		for (i = 0; i < n && i + 1 < sizeof(a->error); i++)
			a->error[i] = (value[i] >= 'a' && value[i] <= 'z') ||
			    value[i] == '_' ? value[i] : '?';
		a->error[i] = '\0';
	}
}

/*
 * 0 and the code when the callback carries our state and a code. -1
 * otherwise: err.kind ERR_AUTH when the flow is over (the user or the
 * server said no), 400 when the request is to be ignored.
 */
static int
cbargs_check(const struct oauth_cbargs *a, const char *state, char *code,
    size_t size, struct err *err)
{
	if (a->nstate != 1 || !oauth_same_secret(a->state, state))
		return err_http(err, ERR_HTTP, 400, "state mismatch");
	if (a->nerror > 0) {
		if (strcmp(a->error, "access_denied") == 0)
			return err_kind(err, ERR_AUTH, "authorization denied "
			    "by the user (access_denied)");
		return err_kind(err, ERR_AUTH, "authorization failed: %s",
		    a->error[0] != '\0' ? a->error : "unknown error");
	}
	if (a->ncode != 1 || a->code[0] == '\0')
		return err_http(err, ERR_HTTP, 400, a->code_long ? "'code' is too long" :
		    a->ncode > 1 ? "more than one 'code'" : "missing 'code'");
	if (strlen(a->code) >= size)
		return err_http(err, ERR_HTTP, 400, "'code' is too long");
	strcpy(code, a->code);
	return 0;
}

/* Wipe (it may be the code) and free a decoded string. */
static void
decoded_free(char **s)
{
	if (*s != NULL) {
		explicit_bzero(*s, strlen(*s));
		curl_free(*s);
		*s = NULL;
	}
}

/*
 * Decode application/x-www-form-urlencoded s[0..n) into *out (decoded_free)
 * with curl_easy_unescape, after turning '+' into ' ' ("%2B" stays '+').
 * curl passes a stray '%' through ("%zz", "%4") and decodes "%00" to a NUL
 * that would cut the value short ("state=S%00x" would compare equal to
 * S): both are malformed here.
 */
static int
form_decode(const char *s, size_t n, char **out, struct err *err)
{
	char plus[OAUTH_QUERY_MAX];
	size_t i;
	int len;

	for (i = 0; i < n; i++)
		if (s[i] == '%' && (i + 2 >= n ||
		    !isxdigit((unsigned char)s[i + 1]) ||
		    !isxdigit((unsigned char)s[i + 2])))
			return err_http(err, ERR_HTTP, 400, "malformed query");
	for (i = 0; i < n; i++)
		plus[i] = s[i] == '+' ? ' ' : s[i];
	plus[n] = '\0';		/* n 0: curl takes strlen */
	/* the handle is ignored since curl 7.82.0 */
	*out = curl_easy_unescape(NULL, plus, (int)n, &len);
	explicit_bzero(plus, n);
	if (*out == NULL)
		return err_http(err, ERR_HTTP, 400, "out of memory");
	if (strlen(*out) != (size_t)len) {
		explicit_bzero(*out, (size_t)len);
		curl_free(*out);
		*out = NULL;
		return err_http(err, ERR_HTTP, 400, "malformed query");
	}
	return 0;
}

int
oauth_cbargs_parse(const char *query, struct oauth_cbargs *a,
    struct err *err)
{
	const char *p, *amp, *eq, *end;
	char *key = NULL, *value = NULL;
	int rc = -1;

	memset(a, 0, sizeof(*a));
	if (*query == '?')
		query++;
	end = query + strcspn(query, "#");
	if ((size_t)(end - query) >= OAUTH_QUERY_MAX)
		return err_http(err, ERR_HTTP, 400, "query is too long");
	for (p = query; p < end; p = amp + 1) {
		if ((amp = memchr(p, '&', (size_t)(end - p))) == NULL)
			amp = end;
		if ((eq = memchr(p, '=', (size_t)(amp - p))) == NULL)
			eq = amp;
		if (form_decode(p, (size_t)(eq - p), &key, err) == -1 ||
		    form_decode(eq + (eq < amp), (size_t)(amp - eq) -
		    (eq < amp), &value, err) == -1)
			goto out;
		oauth_cbargs_add(a, key, value);
		decoded_free(&key);
		decoded_free(&value);
	}
	rc = 0;
out:
	decoded_free(&key);
	decoded_free(&value);
	return rc;
}

int
oauth_callback_parse(const char *query, const char *state, char *code,
    size_t size, struct err *err)
{
	struct oauth_cbargs a;
	int rc;

	rc = oauth_cbargs_parse(query, &a, err);
	if (rc == 0)
		rc = cbargs_check(&a, state, code, size, err);
	explicit_bzero(&a, sizeof(a));
	return rc;
}

int
oauth_flow_offer(struct oauth_flow *f, const struct oauth_cbargs *a,
    struct err *why)
{
	int rc = -1;

	pthread_mutex_lock(&f->lock);
	if (f->done) {
		err_http(why, ERR_HTTP, 409, "this authorization is complete already");
		goto out;
	}
	rc = cbargs_check(a, f->state, f->code, sizeof(f->code), why);
	if (rc == 0 || why->kind == ERR_AUTH) {
		f->done = 1;
		if (rc == -1)
			err_copy(&f->err, why);
	}
out:
	pthread_mutex_unlock(&f->lock);
	return rc;
}
