/*
 * replay: a main for one fuzz harness without libFuzzer (make test).
 *
 *   fuzz_replay/NAME            every file of tests/fuzz/corpus/NAME/ and
 *                               tests/fuzz/crashes/NAME/ (from the root)
 *   fuzz_replay/NAME PATH...    these files, or the files of these dirs
 *
 * Each input runs in a child process, so a crash (a sanitizer report, a
 * harness's abort) fails that input alone and names it; a child that runs
 * longer than TIMEOUT_S seconds fails too. One pass per file; the last
 * line is "N passed, M failed", the exit status 1 when one failed.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef FUZZ_TARGET
#error "FUZZ_TARGET: the harness name, from the Makefile"
#endif
#define TIMEOUT_S 60

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int passed, failed;

/* The whole file in an exact-size buffer (ASan sees reads past it). */
static int
read_all(const char *path, uint8_t **data, size_t *size)
{
	struct stat st;
	FILE *f;
	size_t n;

	if ((f = fopen(path, "rb")) == NULL)
		return -1;
	if (fstat(fileno(f), &st) == -1 || st.st_size < 0) {
		fclose(f);
		return -1;
	}
	*size = (size_t)st.st_size;
	if ((*data = malloc(*size > 0 ? *size : 1)) == NULL) {
		fclose(f);
		return -1;
	}
	n = fread(*data, 1, *size, f);
	fclose(f);
	if (n != *size) {
		free(*data);
		return -1;
	}
	return 0;
}

static void
run_one(const char *path)
{
	uint8_t *data;
	size_t size;
	pid_t pid;
	int status;

	fflush(stdout);
	if ((pid = fork()) == -1) {
		printf("not ok %s: %s: fork: %s\n", FUZZ_TARGET, path,
		    strerror(errno));
		failed++;
		return;
	}
	if (pid == 0) {
		alarm(TIMEOUT_S);
		if (read_all(path, &data, &size) == -1) {
			fprintf(stderr, "replay: cannot read '%s'\n", path);
			exit(3);
		}
		LLVMFuzzerTestOneInput(data, size);
		free(data);
		exit(0);	/* not _exit: LeakSanitizer checks at exit */
	}
	while (waitpid(pid, &status, 0) == -1)
		if (errno != EINTR) {
			status = -1;
			break;
		}
	if (status != -1 && WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		passed++;
		return;
	}
	failed++;
	if (status != -1 && WIFSIGNALED(status))
		printf("not ok %s: %s: signal %d%s\n", FUZZ_TARGET, path,
		    WTERMSIG(status), WTERMSIG(status) == SIGALRM ?
		    " (timeout)" : "");
	else
		printf("not ok %s: %s: exit status %d\n", FUZZ_TARGET, path,
		    status == -1 ? -1 : WEXITSTATUS(status));
}

static int
by_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

/* A file, or every regular file of a directory (missing: nothing). */
static void
run_path(const char *path, int may_miss)
{
	struct dirent **names;
	struct stat st;
	char *file;
	int i, n;

	if (stat(path, &st) == -1) {
		if (may_miss && errno == ENOENT)
			return;
		printf("not ok %s: %s: %s\n", FUZZ_TARGET, path,
		    strerror(errno));
		failed++;
		return;
	}
	if (!S_ISDIR(st.st_mode)) {
		run_one(path);
		return;
	}
	if ((n = scandir(path, &names, NULL, by_name)) == -1) {
		printf("not ok %s: %s: %s\n", FUZZ_TARGET, path,
		    strerror(errno));
		failed++;
		return;
	}
	for (i = 0; i < n; i++) {
		if (names[i]->d_name[0] != '.' &&
		    asprintf(&file, "%s/%s", path, names[i]->d_name) != -1) {
			if (stat(file, &st) == 0 && S_ISREG(st.st_mode))
				run_one(file);
			free(file);
		}
		free(names[i]);
	}
	free(names);
}

int
main(int argc, char **argv)
{
	int i;

	if (argc > 1) {
		for (i = 1; i < argc; i++)
			run_path(argv[i], 0);
	} else {
		run_path("tests/fuzz/corpus/" FUZZ_TARGET, 0);
		run_path("tests/fuzz/crashes/" FUZZ_TARGET, 1);
	}
	printf("%d passed, %d failed\n", passed, failed);
	return failed > 0;
}
