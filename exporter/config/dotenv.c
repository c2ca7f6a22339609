/*
 * dotenv: .env text -> KEY=value pairs (the syntax is in dotenv.h).
 *
 * Called by config.c once at start-up, before any thread starts; no
 * state. A line is parsed into one scratch buffer (key and value), wiped
 * after each line, so a secret value never outlives its callback; the
 * file's text is wiped too before it is freed.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "dotenv.h"

static int
is_ws(char c)
{
	return c == ' ' || c == '\t';
}

static int
is_key_char(char c, int first)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_' ||
	    (!first && c >= '0' && c <= '9');
}

static const char *
skip_ws(const char *s, const char *e)
{
	while (s < e && is_ws(*s))
		s++;
	return s;
}

/* Unquoted: trimmed, and " #comment" (a '#' after whitespace) dropped. */
static void
env_plain(const char *s, const char *e, char *val)
{
	const char *p;

	for (p = s; p < e; p++)
		if (*p == '#' && is_ws(p[-1]))	/* p[-1] is at worst '=' */
			break;
	while (p > s && is_ws(p[-1]))
		p--;
	memcpy(val, s, (size_t)(p - s));
	val[p - s] = '\0';
}

/* '...' is literal; "..." knows \" \\ \n, other backslashes stay. */
static int
env_quoted(const char *s, const char *e, char *val, const char **why)
{
	char q = *s++;

	for (; s < e && *s != q; s++) {
		if (q == '"' && *s == '\\' && s + 1 < e &&
		    (s[1] == '"' || s[1] == '\\' || s[1] == 'n')) {
			s++;
			*val++ = *s == 'n' ? '\n' : *s;
		} else
			*val++ = *s;
	}
	*val = '\0';
	if (s == e) {
		*why = "unterminated quote";
		return -1;
	}
	s = skip_ws(s + 1, e);
	if (s < e && *s != '#') {
		*why = "unexpected text after the closing quote";
		return -1;
	}
	return 0;
}

/* One line [s, e): 0 blank or comment, 1 a pair in key and val, -1 with
 * *why. Nothing of the line goes into *why: it may hold a secret. */
static int
env_line(const char *s, const char *e, char *key, char *val,
    const char **why)
{
	const char *k;

	*why = "expected KEY=value";
	if (e > s && e[-1] == '\r')
		e--;
	if (memchr(s, '\0', (size_t)(e - s)) != NULL) {
		*why = "NUL byte in the line";
		return -1;
	}
	s = skip_ws(s, e);
	if (s == e || *s == '#')
		return 0;
	if (e - s > 7 && strncmp(s, "export", 6) == 0 && is_ws(s[6]))
		s = skip_ws(s + 6, e);
	for (k = s; s < e && is_key_char(*s, s == k); s++)
		;
	if (s == k)
		return -1;
	memcpy(key, k, (size_t)(s - k));
	key[s - k] = '\0';
	s = skip_ws(s, e);
	if (s == e || *s != '=')
		return -1;
	s = skip_ws(s + 1, e);
	if (s < e && (*s == '\'' || *s == '"'))
		return env_quoted(s, e, val, why) == -1 ? -1 : 1;
	env_plain(s, e, val);
	return 1;
}

int
dotenv_parse(const char *text, size_t len,
    int (*set)(void *arg, const char *key, const char *value), void *arg,
    struct err *err)
{
	const char *p = text, *end = text + len, *eol, *why;
	char *scratch, *val;
	size_t n;
	int line, r, rc = 0;

	/* a line of n bytes: key and value get n + 1 bytes each */
	if ((scratch = malloc(2 * (len + 1))) == NULL)
		return err_set(err, "out of memory");
	for (line = 1; p < end && rc == 0; line++, p = eol + 1) {
		if ((eol = memchr(p, '\n', (size_t)(end - p))) == NULL)
			eol = end;
		n = (size_t)(eol - p);
		val = scratch + n + 1;
		r = env_line(p, eol, scratch, val, &why);
		if (r == -1)
			rc = err_set(err, "line %d: %s", line, why);
		else if (r == 1 && set(arg, scratch, val) == -1)
			rc = err_set(err, "line %d: out of memory", line);
		explicit_bzero(scratch, 2 * (n + 1));
	}
	free(scratch);
	return rc;
}

int
dotenv_read(FILE *f, const char *name,
    int (*set)(void *arg, const char *key, const char *value), void *arg,
    struct err *err)
{
	struct err perr = { 0 };
	char *buf;
	size_t len;
	int rc = -1;

	if ((buf = malloc(DOTENV_FILE_MAX + 1)) == NULL)
		return err_set(err, "out of memory");
	len = fread(buf, 1, DOTENV_FILE_MAX + 1, f);
	if (ferror(f))
		err_set(err, "cannot read '%s': %s", name, strerror(errno));
	else if (len > DOTENV_FILE_MAX)
		err_set(err, "'%s' is larger than %d bytes", name,
		    DOTENV_FILE_MAX);
	else if (dotenv_parse(buf, len, set, arg, &perr) == -1)
		err_set(err, "'%s' %s", name, perr.msg);
	else
		rc = 0;
	explicit_bzero(buf, len);
	free(buf);
	return rc;
}
