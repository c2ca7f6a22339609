/*
 * The unit-test runner: calls every suite listed in the generated
 * suites.h and prints the summary line CI reads. The helpers the suites
 * share are in helpers.c.
 */
#ifndef _DEFAULT_SOURCE
#define _DEFAULT_SOURCE
#endif
#include <stdio.h>
#include <string.h>

#include "t.h"

int t_passed;
int t_failed;

#define SUITE(name) void suite_##name(void);
#include "suites.h"
#undef SUITE

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
