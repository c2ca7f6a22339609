/*
 * lock: one holder per file, the refused one told the holder's pid; the
 * lock dies with its process. The holder is a fork()ed child.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lock.h"
#include "helpers.h"
#include "t.h"

/* A child that takes the lock on path, tells the parent through ready,
 * and holds it until go is closed. */
static pid_t
holder(const char *path, int *go_w)
{
	int ready[2], go[2];
	struct err err = { 0 };
	char c = 0;
	pid_t pid;

	if (pipe(ready) == -1 || pipe(go) == -1)
		return -1;
	if ((pid = fork()) == 0) {
		close(ready[0]);
		close(go[1]);
		c = lock_take(path, &err) >= 0 ? 'y' : 'n';
		if (write(ready[1], &c, 1) != 1)
			_exit(2);
		(void)read(go[0], &c, 1);	/* EOF: the parent is done */
		_exit(0);
	}
	close(ready[1]);
	close(go[0]);
	if (pid == -1 || read(ready[0], &c, 1) != 1 || c != 'y')
		pid = -1;
	close(ready[0]);
	*go_w = go[1];
	return pid;
}

static void
test_lock_between_processes(void)
{
	char *tmp = t_tmpdir(), path[512], want[600], *text;
	struct err err = { 0 };
	struct stat st;
	int go = -1, fd, status;
	pid_t pid;

	snprintf(path, sizeof(path), "%s/syncbit.lock", tmp);
	pid = holder(path, &go);
	CHECK(pid > 0);
	CHECK(lock_take(path, &err) == -1);
	snprintf(want, sizeof(want), "another SyncBit (pid %ld) is using '%s'",
	    (long)pid, path);
	if (strcmp(err.msg, want) != 0)
		printf("# got '%s'\n", err.msg);
	CHECK(strcmp(err.msg, want) == 0);
	close(go);
	CHECK(waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
	    WEXITSTATUS(status) == 0);
	/* the holder is gone: the lock is ours, with our pid */
	err_clear(&err);
	fd = lock_take(path, &err);
	CHECK(fd >= 0 && !err.set);
	text = t_slurp(path);
	snprintf(want, sizeof(want), "%ld\n", (long)getpid());
	CHECK(text != NULL && strcmp(text, want) == 0);
	free(text);
	CHECK(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600);
	/* a second descriptor in the same process is refused too */
	CHECK(lock_take(path, &err) == -1);
	snprintf(want, sizeof(want), "another SyncBit (pid %ld) is using '%s'",
	    (long)getpid(), path);
	CHECK(strcmp(err.msg, want) == 0);
	lock_release(fd);
	err_clear(&err);
	fd = lock_take(path, &err);
	CHECK(fd >= 0);
	lock_release(fd);
	lock_release(-1);	/* does nothing */
	t_rmrf(tmp);
	free(tmp);
}

static void
test_lock_errors(void)
{
	char *tmp = t_tmpdir(), path[512], want[600];
	struct err err = { 0 };

	snprintf(path, sizeof(path), "%s/missing/syncbit.lock", tmp);
	CHECK(lock_take(path, &err) == -1);
	snprintf(want, sizeof(want), "cannot open '%s': %s", path,
	    strerror(ENOENT));
	CHECK(strcmp(err.msg, want) == 0);
	CHECK(err.kind == ERR_SYS && err.sys == ENOENT);
	if (geteuid() != 0) {	/* root writes anywhere */
		snprintf(path, sizeof(path), "%s/ro", tmp);
		CHECK(mkdir(path, 0500) == 0);
		strcat(path, "/syncbit.lock");
		err_clear(&err);
		CHECK(lock_take(path, &err) == -1);
		snprintf(want, sizeof(want), "cannot open '%s': %s", path,
		    strerror(EACCES));
		CHECK(strcmp(err.msg, want) == 0);
	}
	t_rmrf(tmp);
	free(tmp);
}

void
suite_lock(void)
{
	test_lock_between_processes();
	test_lock_errors();
}
