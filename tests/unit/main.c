/*
 * The unit-test runner: calls every suite listed in the generated
 * suites.h and prints the summary line CI reads.
 */
#ifndef _DEFAULT_SOURCE
#define _DEFAULT_SOURCE
#endif
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "t.h"

int t_passed;
int t_failed;

#define SUITE(name) void suite_##name(void);
#include "suites.h"
#undef SUITE

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

int
main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
#define SUITE(name) printf("# suite %s\n", #name); suite_##name();
#include "suites.h"
#undef SUITE
	printf("%d passed, %d failed\n", t_passed, t_failed);
	return t_failed == 0 ? 0 : 1;
}
