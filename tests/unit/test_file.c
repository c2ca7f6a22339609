/*
 * file: atomic replacement (mode, no leftovers, old content kept on
 * failure), capped reads, mkdir -p.
 */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "file.h"
#include "t.h"

/* Entries in dir other than . and .. */
static int
entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	if (d == NULL)
		return -1;
	while ((e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			n++;
	closedir(d);
	return n;
}

static int
has_content(const char *path, const char *want)
{
	struct err err = { 0 };
	char *buf;
	size_t len;
	int ok;

	if (file_read(path, 4096, &buf, &len, &err) == -1)
		return 0;
	ok = len == strlen(want) && memcmp(buf, want, len) == 0;
	free(buf);
	return ok;
}

static void
test_write_mode_and_replace(void)
{
	char *dir = t_tmpdir(), path[1024];
	struct err err = { 0 };
	struct stat st;
	mode_t old = umask(0);

	snprintf(path, sizeof(path), "%s/tokens.json", dir);
	CHECK(file_write_atomic(path, "first", 5, 0600, &err) == 0);
	CHECK(stat(path, &st) == 0 && (st.st_mode & 07777) == 0600);
	CHECK(has_content(path, "first"));

	/* a strict umask does not narrow what the caller asked for */
	umask(077);
	CHECK(file_write_atomic(path, "second!", 7, 0644, &err) == 0);
	CHECK(stat(path, &st) == 0 && (st.st_mode & 07777) == 0644);
	CHECK(has_content(path, "second!"));
	CHECK(file_write_atomic(path, "", 0, 0600, &err) == 0);
	CHECK(has_content(path, ""));
	CHECK(!err.set);
	CHECK(entries(dir) == 1);	/* no temporary file left */
	umask(old);
	t_rmrf(dir);
	free(dir);
}

/* A write that fails half-way (RLIMIT_FSIZE works even for root). */
static void
test_write_failure_keeps_old(void)
{
	char *dir = t_tmpdir(), path[1024], big[8192];
	struct err err = { 0 };
	struct rlimit saved, small;
	void (*oldsig)(int);

	snprintf(path, sizeof(path), "%s/state.json", dir);
	CHECK(file_write_atomic(path, "old content", 11, 0600, &err) == 0);
	memset(big, 'x', sizeof(big));
	getrlimit(RLIMIT_FSIZE, &saved);
	small = saved;
	small.rlim_cur = 1024;
	oldsig = signal(SIGXFSZ, SIG_IGN);
	CHECK(setrlimit(RLIMIT_FSIZE, &small) == 0);
	CHECK(file_write_atomic(path, big, sizeof(big), 0600, &err) == -1);
	setrlimit(RLIMIT_FSIZE, &saved);
	signal(SIGXFSZ, oldsig);
	CHECK(err.set && err.code == EFBIG);
	CHECK(strstr(err.msg, "cannot write") != NULL);
	CHECK(has_content(path, "old content"));
	CHECK(entries(dir) == 1);

	/* rename onto a directory fails after the write: tmp still goes */
	err_clear(&err);
	snprintf(path, sizeof(path), "%s/adir", dir);
	CHECK(mkdir(path, 0700) == 0);
	CHECK(file_write_atomic(path, "x", 1, 0600, &err) == -1);
	CHECK(strstr(err.msg, "cannot rename") != NULL);
	CHECK(entries(dir) == 2);

	/* a directory we may not write into (root may: skip then) */
	if (geteuid() != 0) {
		err_clear(&err);
		chmod(dir, 0500);
		snprintf(path, sizeof(path), "%s/state.json", dir);
		CHECK(file_write_atomic(path, "new", 3, 0600, &err) == -1);
		CHECK(err.code == EACCES);
		chmod(dir, 0700);
		CHECK(has_content(path, "old content"));
		CHECK(entries(dir) == 2);
	}
	t_rmrf(dir);
	free(dir);
}

static void
test_read(void)
{
	char *dir = t_tmpdir(), path[1024], *buf = NULL;
	struct err err = { 0 };
	size_t len = 0;

	snprintf(path, sizeof(path), "%s/f", dir);
	CHECK(file_read(path, 100, &buf, &len, &err) == -1);
	CHECK(err.code == ENOENT && buf == NULL);
	CHECK(strstr(err.msg, path) != NULL);
	err_clear(&err);
	CHECK(file_write_atomic(path, "0123456789", 10, 0600, &err) == 0);
	CHECK(file_read(path, 10, &buf, &len, &err) == 0);
	CHECK(len == 10 && buf != NULL && buf[10] == '\0' &&
	    strcmp(buf, "0123456789") == 0);
	free(buf);
	buf = NULL;
	CHECK(file_read(path, 9, &buf, &len, &err) == -1);
	CHECK(err.code == EFBIG && buf == NULL);
	CHECK(strstr(err.msg, "larger than 9 bytes") != NULL);
	t_rmrf(dir);
	free(dir);
}

static void
test_mkdirs(void)
{
	char *dir = t_tmpdir(), path[1024], file[1100];
	struct err err = { 0 };
	struct stat st;

	snprintf(path, sizeof(path), "%s/a/b//c/", dir);
	CHECK(file_mkdirs(path, 0700, &err) == 0);
	snprintf(path, sizeof(path), "%s/a/b/c", dir);
	CHECK(stat(path, &st) == 0 && S_ISDIR(st.st_mode) &&
	    (st.st_mode & 0777) == 0700);
	CHECK(file_mkdirs(path, 0700, &err) == 0);	/* exists: fine */
	snprintf(file, sizeof(file), "%s/plain", path);
	CHECK(file_write_atomic(file, "x", 1, 0600, &err) == 0);
	snprintf(file, sizeof(file), "%s/plain/sub", path);
	CHECK(file_mkdirs(file, 0700, &err) == -1);
	CHECK(err.code == ENOTDIR);
	t_rmrf(dir);
	free(dir);
}

void
suite_file(void)
{
	test_write_mode_and_replace();
	test_write_failure_keeps_old();
	test_read();
	test_mkdirs();
}
