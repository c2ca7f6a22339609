/*
 * file: capped whole-file reads, atomic replacement, mkdir -p.
 *
 * Any thread. file_write_atomic() guarantees that after a crash at any
 * moment path holds either the complete old or the complete new content,
 * never a mix, and that no temporary file outlives a failed call. A crash
 * between the temporary file and the rename leaves that file behind:
 * file_recover_atomic(), at start-up, finishes or removes it.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "file.h"

/* Two threads replacing the same path must not share a temporary name. */
static atomic_uint tmp_seq;

static int
write_all(int fd, const char *p, size_t len)
{
	ssize_t n;

	while (len > 0) {
		n = write(fd, p, len);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/*
 * Create tmp exclusively. A name that exists already can only be left
 * over from a crashed process that had our pid (containers reuse pid 1),
 * because the sequence number is unique within this process: remove it
 * and try once more.
 */
static int
tmp_create(const char *tmp, mode_t mode)
{
	int fd, flags = O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW;

	fd = open(tmp, flags, mode);
	if (fd == -1 && errno == EEXIST && unlink(tmp) == 0)
		fd = open(tmp, flags, mode);
	return fd;
}

/* fsync the directory holding path, so that the rename itself is durable. */
static int
dir_sync(const char *path)
{
	char dir[PATH_MAX];
	const char *slash = strrchr(path, '/');
	int fd, rc;

	if (slash == NULL)
		snprintf(dir, sizeof(dir), ".");
	else if (slash == path)
		snprintf(dir, sizeof(dir), "/");
	else
		snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return -1;
	rc = fsync(fd);
	/* some file systems cannot sync a directory: nothing more to do */
	if (rc == -1 && (errno == EINVAL || errno == ENOTSUP))
		rc = 0;
	close(fd);
	return rc;
}

int
file_write_atomic(const char *path, const void *data, size_t len,
    mode_t mode, struct err *err)
{
	char tmp[PATH_MAX];
	int fd = -1, n, saved;

	n = snprintf(tmp, sizeof(tmp), "%s.tmp.%ld.%u", path, (long)getpid(),
	    atomic_fetch_add(&tmp_seq, 1));
	if (n < 0 || (size_t)n >= sizeof(tmp))
		return err_sys(err, ENAMETOOLONG, "path '%s' is too long",
		    path);
	if ((fd = tmp_create(tmp, mode)) == -1)
		return err_sys(err, errno, "cannot create '%s': %s", tmp,
		    strerror(errno));
	/* the umask may only have narrowed mode, but a 0600 file must be
	 * exactly 0600 and a 0644 one readable as promised */
	if (fchmod(fd, mode) == -1) {
		err_sys(err, errno, "cannot chmod '%s': %s", tmp,
		    strerror(errno));
		goto remove_tmp;
	}
	if (write_all(fd, data, len) == -1) {
		err_sys(err, errno, "cannot write '%s': %s", tmp,
		    strerror(errno));
		goto remove_tmp;
	}
	if (fsync(fd) == -1) {
		err_sys(err, errno, "cannot fsync '%s': %s", tmp,
		    strerror(errno));
		goto remove_tmp;
	}
	/* close reports delayed write errors on some file systems (NFS) */
	n = close(fd);
	fd = -1;
	if (n == -1) {
		err_sys(err, errno, "cannot close '%s': %s", tmp,
		    strerror(errno));
		goto remove_tmp;
	}
	if (rename(tmp, path) == -1) {
		err_sys(err, errno, "cannot rename '%s' to '%s': %s", tmp,
		    path, strerror(errno));
		goto remove_tmp;
	}
	/* The new content is in place: only its durability is in doubt. */
	if (dir_sync(path) == -1)
		return err_sys(err, errno, "'%s' replaced but its directory "
		    "could not be synced: %s", path, strerror(errno));
	return 0;
remove_tmp:
	saved = errno;
	if (fd != -1)
		close(fd);
	unlink(tmp);
	errno = saved;
	return -1;
}

/* The PID of a temporary name "BASE.tmp.PID.N" of base, else -1. */
static long
tmp_pid(const char *name, const char *base)
{
	size_t n = strlen(base);
	const char *p;
	char *end;
	long pid;

	if (strncmp(name, base, n) != 0 || strncmp(name + n, ".tmp.", 5) != 0)
		return -1;
	p = name + n + 5;
	if (*p < '0' || *p > '9')
		return -1;
	errno = 0;
	pid = strtol(p, &end, 10);
	if (errno != 0 || pid <= 0 || *end != '.' || end[1] == '\0')
		return -1;
	for (p = end + 1; *p != '\0'; p++)
		if (*p < '0' || *p > '9')
			return -1;
	return pid;
}

/* A process with this pid exists (that we may signal or not). */
static int
pid_alive(long pid)
{
	return kill((pid_t)pid, 0) == 0 || errno == EPERM;
}

static int
newer(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec > b->tv_sec ||
	    (a->tv_sec == b->tv_sec && a->tv_nsec > b->tv_nsec);
}

/* 1 when the file at p is complete() (read with a cap of max bytes). */
static int
tmp_complete(const char *p, size_t max, int (*complete)(const char *,
    size_t))
{
	struct err e = { 0 };
	char *buf;
	size_t len;
	int ok;

	if (file_read(p, max, &buf, &len, &e) == -1)
		return 0;
	ok = complete(buf, len);
	explicit_bzero(buf, len);	/* it may hold a token */
	free(buf);
	return ok;
}

int
file_recover_atomic(const char *path, size_t max,
    int (*complete)(const char *, size_t), int *adopted, struct err *err)
{
	char dir[PATH_MAX], p[PATH_MAX], best[PATH_MAX] = "";
	const char *base, *slash = strrchr(path, '/');
	struct timespec floor = { 0, 0 }, best_at = { 0, 0 };
	struct stat st;
	struct dirent *e;
	DIR *d;
	long pid;

	if (adopted != NULL)
		*adopted = 0;
	base = slash != NULL ? slash + 1 : path;
	if (slash == NULL)
		snprintf(dir, sizeof(dir), ".");
	else if (slash == path)
		snprintf(dir, sizeof(dir), "/");
	else
		snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);
	if (stat(path, &st) == 0)
		floor = st.st_mtim;
	if ((d = opendir(dir)) == NULL)
		return err_sys(err, errno, "cannot read directory '%s': %s",
		    dir, strerror(errno));
	while ((e = readdir(d)) != NULL) {
		if ((pid = tmp_pid(e->d_name, base)) == -1 ||
		    (pid != (long)getpid() && pid_alive(pid)))
			continue;	/* not ours to judge: a live writer's */
		if (snprintf(p, sizeof(p), "%s/%s", dir, e->d_name) >=
		    (int)sizeof(p) || lstat(p, &st) == -1 ||
		    !S_ISREG(st.st_mode))
			continue;
		if (complete != NULL && newer(&st.st_mtim, &floor) &&
		    (best[0] == '\0' || newer(&st.st_mtim, &best_at)) &&
		    tmp_complete(p, max, complete)) {
			if (best[0] != '\0')
				unlink(best);
			memcpy(best, p, sizeof(best));
			best_at = st.st_mtim;
			continue;
		}
		unlink(p);
	}
	closedir(d);
	if (best[0] == '\0')
		return 0;
	/* on failure best stays: it may hold the only live token */
	if (rename(best, path) == -1)
		return err_sys(err, errno, "cannot rename '%s' to '%s': %s",
		    best, path, strerror(errno));
	if (adopted != NULL)
		*adopted = 1;
	if (dir_sync(path) == -1)
		return err_sys(err, errno, "'%s' replaced but its directory "
		    "could not be synced: %s", path, strerror(errno));
	return 0;
}

int
file_read(const char *path, size_t max, char **out, size_t *len,
    struct err *err)
{
	char *buf = NULL, *nbuf;
	size_t n = 0, cap = 0;
	ssize_t r;
	int fd;

	*out = NULL;
	*len = 0;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return err_sys(err, errno, "cannot open '%s': %s", path,
		    strerror(errno));
	for (;;) {
		if (n == cap) {
			/* the file may hold a token: never leave a copy
			 * behind in memory given back to malloc */
			cap = cap == 0 ? 4096 : cap * 2;
			if (cap > max + 1)
				cap = max + 1;
			if ((nbuf = malloc(cap + 1)) == NULL) {
				err_sys(err, ENOMEM, "out of memory reading "
				    "'%s'", path);
				goto fail;
			}
			if (buf != NULL) {
				memcpy(nbuf, buf, n);
				explicit_bzero(buf, n);
				free(buf);
			}
			buf = nbuf;
		}
		r = read(fd, buf + n, cap - n);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1) {
			err_sys(err, errno, "cannot read '%s': %s", path,
			    strerror(errno));
			goto fail;
		}
		if (r == 0)
			break;
		n += (size_t)r;
		if (n > max) {
			err_sys(err, EFBIG, "'%s' is larger than %zu bytes",
			    path, max);
			goto fail;
		}
	}
	close(fd);
	buf[n] = '\0';
	*out = buf;
	*len = n;
	return 0;
fail:
	close(fd);
	if (buf != NULL) {
		explicit_bzero(buf, n);
		free(buf);
	}
	return -1;
}

/* mkdir one component; an existing directory is fine, anything else not. */
static int
mkdir_one(const char *path, mode_t mode, struct err *err)
{
	struct stat st;

	if (mkdir(path, mode) == 0)
		return 0;
	if (errno != EEXIST)
		return err_sys(err, errno, "cannot create directory '%s': %s",
		    path, strerror(errno));
	if (stat(path, &st) == -1)
		return err_sys(err, errno, "cannot stat '%s': %s", path,
		    strerror(errno));
	if (!S_ISDIR(st.st_mode))
		return err_sys(err, ENOTDIR, "'%s' exists and is not a "
		    "directory", path);
	return 0;
}

int
file_mkdirs(const char *path, mode_t mode, struct err *err)
{
	char buf[PATH_MAX];
	char *p;
	size_t n = strlen(path);

	if (n == 0)
		return err_set(err, "empty directory path");
	if (n >= sizeof(buf))
		return err_sys(err, ENAMETOOLONG, "path '%s' is too long",
		    path);
	memcpy(buf, path, n + 1);
	while (n > 1 && buf[n - 1] == '/')
		buf[--n] = '\0';
	/* parents get the usual 0755 (narrowed by the umask), as mkdir -p */
	for (p = buf + 1; *p != '\0'; p++) {
		if (*p != '/' || p[-1] == '/')
			continue;
		*p = '\0';
		if (mkdir_one(buf, 0755, err) == -1)
			return -1;
		*p = '/';
	}
	return mkdir_one(buf, mode, err);
}
