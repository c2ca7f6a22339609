/*
 * The helpers every unit suite may use (helpers.h): one copy each,
 * linked into build/unit_tests next to the suites and the runner.
 */
#ifndef _DEFAULT_SOURCE
#define _DEFAULT_SOURCE
#endif
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "helpers.h"

#define SLURP_MAX (1 << 16)

char *
fixture(const char *name, size_t *len)
{
	char path[1024];
	FILE *f;
	char *buf;
	long n;

	snprintf(path, sizeof(path), "tests/fixtures/%s", name);
	if ((f = fopen(path, "rb")) == NULL) {
		fprintf(stderr, "fixture '%s' missing\n", path);
		exit(2);
	}
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	if ((buf = malloc(n + 1)) == NULL || fread(buf, 1, n, f) != (size_t)n) {
		fprintf(stderr, "fixture '%s' unreadable\n", path);
		exit(2);
	}
	buf[n] = '\0';
	fclose(f);
	if (len != NULL)
		*len = (size_t)n;
	return buf;
}

char *
t_tmpdir(void)
{
	const char *base = getenv("TMPDIR");
	char tmpl[1024];

	snprintf(tmpl, sizeof(tmpl), "%s/syncbit-unit-XXXXXX",
	    base != NULL ? base : "/tmp");
	if (mkdtemp(tmpl) == NULL) {
		perror("mkdtemp");
		exit(2);
	}
	return strdup(tmpl);
}

void
t_rmrf(const char *path)
{
	DIR *d;
	struct dirent *e;
	char sub[2048];
	struct stat st;

	if (lstat(path, &st) == -1)
		return;
	if (S_ISDIR(st.st_mode) && (d = opendir(path)) != NULL) {
		while ((e = readdir(d)) != NULL) {
			if (strcmp(e->d_name, ".") == 0 ||
			    strcmp(e->d_name, "..") == 0)
				continue;
			snprintf(sub, sizeof(sub), "%s/%s", path, e->d_name);
			t_rmrf(sub);
		}
		closedir(d);
		rmdir(path);
	} else
		unlink(path);
}

void
t_write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	if (f == NULL) {
		perror(path);
		exit(2);
	}
	fputs(text, f);
	fclose(f);
}

char *
t_slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf = calloc(1, SLURP_MAX);
	size_t n;

	if (buf == NULL) {
		perror("calloc");
		exit(2);
	}
	if (f != NULL) {
		n = fread(buf, 1, SLURP_MAX - 1, f);
		buf[n] = '\0';
		fclose(f);
	}
	return buf;
}

int
t_near(double a, double b)
{
	return fabs(a - b) <= 1e-9 * (fabs(b) > 1 ? fabs(b) : 1);
}

static int
matches(const struct sample *x, const char *metric, const char *lvalue0,
    int32_t day)
{
	if (strcmp(x->metric, metric) != 0)
		return 0;
	if (day != T_ANY_DAY && x->day != day)
		return 0;
	if (lvalue0 == NULL)
		return 1;
	if (lvalue0[0] == '\0')
		return x->lname[0] == NULL;
	return strcmp(x->lvalue[0], lvalue0) == 0;
}

const struct sample *
t_find(const struct samples *s, const char *metric, const char *lvalue0,
    int32_t day)
{
	size_t i;

	for (i = 0; i < s->len; i++)
		if (matches(&s->v[i], metric, lvalue0, day))
			return &s->v[i];
	return NULL;
}

size_t
t_count(const struct samples *s, const char *metric, const char *lvalue0,
    int32_t day)
{
	size_t i, n = 0;

	for (i = 0; i < s->len; i++)
		n += matches(&s->v[i], metric, lvalue0, day);
	return n;
}
