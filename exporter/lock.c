/*
 * lock: an exclusive flock() on a file that names its holder (lock.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "lock.h"

/* The holder's pid from the file, 0 when it is not (yet) written. */
static long
holder_pid(int fd)
{
	char buf[32], *end;
	ssize_t n;
	long pid;

	if ((n = pread(fd, buf, sizeof(buf) - 1, 0)) <= 0)
		return 0;
	buf[n] = '\0';
	pid = strtol(buf, &end, 10);
	return end != buf && *end == '\n' && pid > 0 ? pid : 0;
}

static int
refused(int fd, const char *path, struct err *err)
{
	long pid = holder_pid(fd);

	if (pid > 0)
		return err_set(err, "another SyncBit (pid %ld) is using '%s'",
		    pid, path);
	return err_set(err, "another SyncBit is using '%s'", path);
}

int
lock_take(const char *path, struct err *err)
{
	char pid[32];
	int fd, n, e;

	if ((fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) == -1)
		return err_sys(err, errno, "cannot open '%s': %s", path,
		    strerror(errno));
	if (flock(fd, LOCK_EX | LOCK_NB) == -1) {
		e = errno;
		if (e == EWOULDBLOCK)
			refused(fd, path, err);
		else
			err_sys(err, e, "cannot lock '%s': %s", path,
			    strerror(e));
		goto fail;
	}
	n = snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) == -1 || pwrite(fd, pid, (size_t)n, 0) != n) {
		e = errno != 0 ? errno : EIO;
		err_sys(err, e, "cannot write '%s': %s", path, strerror(e));
		goto fail;
	}
	return fd;
fail:
	close(fd);
	return -1;
}

void
lock_release(int fd)
{
	if (fd >= 0)
		close(fd);
}
