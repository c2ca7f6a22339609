/*
 * file: atomic replacement (mode, no leftovers, old content kept on
 * failure), what a crashed replacement left (finished or removed), capped
 * reads, mkdir -p.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "file.h"
#include "helpers.h"
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

/*
 * file_write_atomic(path, text) as a user without write permission: the
 * process itself when it is not root, else a child that dropped to
 * nobody (65534). The child's errno comes back as err.sys.
 */
static int
write_unprivileged(const char *path, const char *text, struct err *err)
{
	int status, code;
	pid_t pid;

	if (geteuid() != 0)
		return file_write_atomic(path, text, strlen(text), 0600, err);
	if ((pid = fork()) == -1)
		return err_set(err, "fork failed");
	if (pid == 0) {
		if (setgid(65534) == -1 || setuid(65534) == -1)
			_exit(255);
		_exit(file_write_atomic(path, text, strlen(text), 0600,
		    err) == 0 ? 0 : err->sys > 0 && err->sys < 255 ?
		    err->sys : 254);
	}
	if (waitpid(pid, &status, 0) == -1 || !WIFEXITED(status))
		return err_set(err, "the unprivileged child failed");
	code = WEXITSTATUS(status);
	if (code == 0)
		return 0;
	err_sys(err, code, "write as nobody failed (%d)", code);
	return -1;
}

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
	CHECK(err.set && err.sys == EFBIG);
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

	/* a directory we may not write into: as root, in a child that gave
	 * up root (root could write anywhere) */
	err_clear(&err);
	chmod(dir, 0555);
	snprintf(path, sizeof(path), "%s/state.json", dir);
	CHECK(write_unprivileged(path, "new", &err) == -1);
	CHECK(err.sys == EACCES);
	chmod(dir, 0700);
	CHECK(has_content(path, "old content"));
	CHECK(entries(dir) == 2);
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
	CHECK(err.sys == ENOENT && buf == NULL);
	CHECK(strstr(err.msg, path) != NULL);
	err_clear(&err);
	CHECK(file_write_atomic(path, "0123456789", 10, 0600, &err) == 0);
	CHECK(file_read(path, 10, &buf, &len, &err) == 0);
	CHECK(len == 10 && buf != NULL && buf[10] == '\0' &&
	    strcmp(buf, "0123456789") == 0);
	free(buf);
	buf = NULL;
	CHECK(file_read(path, 9, &buf, &len, &err) == -1);
	CHECK(err.sys == EFBIG && buf == NULL);
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
	CHECK(err.sys == ENOTDIR);
	t_rmrf(dir);
	free(dir);
}

/* A pid no process has: a child that has exited and been reaped. */
static long
dead_pid(void)
{
	pid_t pid = fork();

	if (pid == 0)
		_exit(0);
	waitpid(pid, NULL, 0);
	return (long)pid;
}

/* Write name in dir with content, its mtime age seconds in the past. */
static void
put(const char *dir, const char *name, const char *content, int age)
{
	char p[1200];
	struct timespec ts[2];

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	t_write_file(p, content);
	clock_gettime(CLOCK_REALTIME, &ts[0]);
	ts[0].tv_sec -= age;
	ts[1] = ts[0];
	utimensat(AT_FDCWD, p, ts, 0);
}

static int
there(const char *dir, const char *name)
{
	char p[1200];

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	return access(p, F_OK) == 0;
}

/* "complete" for the tests: a JSON-ish object, closed. */
static int
closed(const char *buf, size_t len)
{
	return len >= 2 && buf[0] == '{' && buf[len - 1] == '}';
}

static void
test_recover(void)
{
	char *dir = t_tmpdir(), path[1024], a[128], b[128], c[128], d[128];
	char live[128];
	struct err err = { 0 };
	long dead = dead_pid();
	int adopted = -1;

	snprintf(path, sizeof(path), "%s/tokens.json", dir);
	put(dir, "tokens.json", "{spent}", 60);
	/* killed between the temporary file and the rename: the newest
	 * complete leftover newer than the file is what its writer meant */
	snprintf(a, sizeof(a), "tokens.json.tmp.%ld.0", dead);
	put(dir, a, "{live}", 10);
	snprintf(b, sizeof(b), "tokens.json.tmp.%ld.1", dead);
	put(dir, b, "{older than the file}", 120);
	snprintf(c, sizeof(c), "tokens.json.tmp.%ld.2", dead);
	put(dir, c, "{half writ", 5);		/* newest, but cut short */
	snprintf(d, sizeof(d), "tokens.json.tmp.%ld.3", dead);
	put(dir, d, "{older leftover}", 30);
	/* a live writer's (our parent's pid) and names not of the scheme */
	snprintf(live, sizeof(live), "tokens.json.tmp.%ld.0", (long)getppid());
	put(dir, live, "{in progress}", 0);
	put(dir, "tokens.json.tmp.x.0", "{x}", 0);
	put(dir, "other.json.tmp.1.0", "{o}", 0);
	CHECK(file_recover_atomic(path, 4096, closed, &adopted, &err) == 0);
	CHECK(!err.set && adopted == 1);
	CHECK(has_content(path, "{live}"));
	CHECK(!there(dir, a) && !there(dir, b) && !there(dir, c) &&
	    !there(dir, d));
	CHECK(there(dir, live) && there(dir, "tokens.json.tmp.x.0") &&
	    there(dir, "other.json.tmp.1.0"));
	/* nothing newer: leftovers go, the file stays */
	put(dir, a, "{stale}", 3600);
	CHECK(file_recover_atomic(path, 4096, closed, &adopted, &err) == 0);
	CHECK(adopted == 0 && has_content(path, "{live}") && !there(dir, a));
	/* our own pid counts as gone (a restart in a container is pid 1 again) */
	snprintf(a, sizeof(a), "tokens.json.tmp.%ld.7", (long)getpid());
	put(dir, a, "{mine, newer}", 0);
	CHECK(file_recover_atomic(path, 4096, closed, &adopted, &err) == 0);
	CHECK(adopted == 1 && has_content(path, "{mine, newer}"));
	/* no file yet: a complete leftover becomes it; no checker: all go */
	unlink(path);
	put(dir, a, "{first}", 0);
	CHECK(file_recover_atomic(path, 4096, closed, &adopted, &err) == 0);
	CHECK(adopted == 1 && has_content(path, "{first}"));
	put(dir, a, "{dropped}", 0);
	CHECK(file_recover_atomic(path, 4096, NULL, &adopted, &err) == 0);
	CHECK(adopted == 0 && has_content(path, "{first}") && !there(dir, a));
	/* a missing directory */
	snprintf(path, sizeof(path), "%s/nodir/tokens.json", dir);
	CHECK(file_recover_atomic(path, 4096, closed, NULL, &err) == -1);
	CHECK(err.sys == ENOENT);
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
	test_recover();
}
