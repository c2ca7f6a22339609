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

/* Runs suite `name` (all when filter is NULL); 1 when it ran. */
static int
run_suite(const char *name, void (*fn)(void), const char *filter)
{
	int p = t_passed, f = t_failed;

	if (filter != NULL && strcmp(filter, name) != 0)
		return 0;
	printf("# suite %s\n", name);
	fn();
	if (t_failed == f)
		printf("ok - unit.%s (%d checks)\n", name, t_passed - p);
	else
		printf("not ok - unit.%s (%d of %d checks failed)\n", name,
		    t_failed - f, t_passed - p + t_failed - f);
	return 1;
}

/* unit_tests [SUITE]: every suite, or the one named (make check SUITE=). */
int
main(int argc, char **argv)
{
	const char *filter = argc > 1 && argv[1][0] != '\0' ? argv[1] : NULL;
	int suites = 0;

	setvbuf(stdout, NULL, _IOLBF, 0);
#define SUITE(name) suites += run_suite(#name, suite_##name, filter);
#include "suites.h"
#undef SUITE
	if (suites == 0) {
		fprintf(stderr, "unit_tests: no suite '%s' (tests/unit/test_%s.c)"
		    "\n", filter, filter);
		return 2;
	}
	printf("# %d suites, %d checks\n", suites, t_passed + t_failed);
	printf("%d passed, %d failed\n", t_passed, t_failed);
	return t_failed == 0 ? 0 : 1;
}
