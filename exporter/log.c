/*
 * log: logfmt lines to stderr and syncbit.log (see log.h).
 *
 * Any thread may log. A line is built in a local buffer, scrubbed of every
 * registered secret, then written with one write(2) per destination under
 * a mutex, so lines never interleave.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

#define LOG_LINE_MAX 4096
#define LOG_SECRETS_MAX 32

static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static enum log_level log_min = LOG_INFO;
static int log_fd = -1;
static char *log_path;		/* for log_reopen(); under log_lock */
static char *secrets[LOG_SECRETS_MAX];
static size_t nsecrets;
static size_t npinned;	/* secrets[0..npinned) are never forgotten */

static const char *level_names[] = { "debug", "info", "warn", "error" };

int
log_level_parse(const char *s, enum log_level *out)
{
	static const char *alt[] = { "DEBUG", "INFO", "WARN", "ERROR" };
	size_t i;

	for (i = 0; i < sizeof(alt) / sizeof(alt[0]); i++) {
		if (strcasecmp(s, alt[i]) == 0) {
			*out = (enum log_level)i;
			return 0;
		}
	}
	if (strcasecmp(s, "WARNING") == 0) {
		*out = LOG_WARN;
		return 0;
	}
	return -1;
}

void
log_set_level(enum log_level l)
{
	pthread_mutex_lock(&log_lock);
	log_min = l;
	pthread_mutex_unlock(&log_lock);
}

int
log_open_file(const char *path)
{
	char *copy;
	int fd;

	if ((copy = strdup(path)) == NULL)
		return -1;
	fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (fd == -1) {
		free(copy);
		return -1;
	}
	pthread_mutex_lock(&log_lock);
	if (log_fd != -1)
		close(log_fd);
	log_fd = fd;
	free(log_path);
	log_path = copy;
	pthread_mutex_unlock(&log_lock);
	return 0;
}

/*
 * The new file is opened before the lock is taken and swapped in under
 * it: a line is written whole to the old file or whole to the new one,
 * and no writer waits for the open.
 */
int
log_reopen(void)
{
	char *path = NULL;
	int fd, saved;

	pthread_mutex_lock(&log_lock);
	if (log_path != NULL)
		path = strdup(log_path);
	pthread_mutex_unlock(&log_lock);
	if (path == NULL)
		return 0;	/* no file: nothing to reopen */
	fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	saved = errno;
	free(path);
	if (fd == -1) {
		errno = saved;
		return -1;
	}
	pthread_mutex_lock(&log_lock);
	if (log_fd != -1)
		close(log_fd);
	log_fd = fd;
	pthread_mutex_unlock(&log_lock);
	return 0;
}

void
log_close(void)
{
	pthread_mutex_lock(&log_lock);
	if (log_fd != -1)
		close(log_fd);
	log_fd = -1;
	free(log_path);
	log_path = NULL;
	pthread_mutex_unlock(&log_lock);
}

static void
add_secret(const char *s, int pin)
{
	size_t i;
	char *copy;

	if (s == NULL || strlen(s) < 6)
		return;
	pthread_mutex_lock(&log_lock);
	for (i = 0; i < nsecrets; i++)
		if (strcmp(secrets[i], s) == 0)
			goto out;
	if (nsecrets == LOG_SECRETS_MAX) {
		if (npinned == LOG_SECRETS_MAX)
			goto out;
		/* forget the oldest rotated token, never a pinned secret */
		explicit_bzero(secrets[npinned], strlen(secrets[npinned]));
		free(secrets[npinned]);
		memmove(secrets + npinned, secrets + npinned + 1,
		    (nsecrets - npinned - 1) * sizeof(*secrets));
		nsecrets--;
	}
	if ((copy = strdup(s)) == NULL)
		goto out;
	if (pin) {
		memmove(secrets + npinned + 1, secrets + npinned,
		    (nsecrets - npinned) * sizeof(*secrets));
		secrets[npinned++] = copy;
	} else
		secrets[nsecrets] = copy;
	nsecrets++;
out:
	pthread_mutex_unlock(&log_lock);
}

void
log_add_secret(const char *s)
{
	add_secret(s, 0);
}

void
log_pin_secret(const char *s)
{
	add_secret(s, 1);
}

void
log_forget_secrets(void)
{
	size_t i;

	pthread_mutex_lock(&log_lock);
	for (i = 0; i < nsecrets; i++) {
		explicit_bzero(secrets[i], strlen(secrets[i]));
		free(secrets[i]);
	}
	nsecrets = 0;
	npinned = 0;
	pthread_mutex_unlock(&log_lock);
}

/* Replace every registered secret in line (in place). Caller holds lock. */
static void
scrub(char *line, size_t size)
{
	static const char mark[] = "[redacted]";
	size_t i, slen, mlen = sizeof(mark) - 1, len;
	char *p;

	for (i = 0; i < nsecrets; i++) {
		slen = strlen(secrets[i]);
		while ((p = strstr(line, secrets[i])) != NULL) {
			len = strlen(line);
			if (len - slen + mlen >= size) {
				/* no room to grow: the line ends here (it is
				 * at the cap anyway), the secret never stays */
				*p = '\0';
				if ((size_t)(p - line) + mlen < size)
					memcpy(p, mark, mlen + 1);
				break;
			}
			memmove(p + mlen, p + slen, len - (p - line) - slen + 1);
			memcpy(p, mark, mlen);
		}
	}
}

const char *
log_q(char *buf, size_t size, const char *s)
{
	size_t o = 0;
	int quote = (*s == '\0');
	const unsigned char *p;

	for (p = (const unsigned char *)s; *p != '\0'; p++)
		if (*p <= ' ' || *p == '=' || *p == '"' || *p == 0x7f)
			quote = 1;
	if (size == 0)
		return buf;
	if (!quote) {
		snprintf(buf, size, "%s", s);
		return buf;
	}
	if (o + 1 < size)
		buf[o++] = '"';
	for (p = (const unsigned char *)s; *p != '\0' && o + 3 < size; p++) {
		if (*p == '"' || *p == '\\') {
			buf[o++] = '\\';
			buf[o++] = (char)*p;
		} else if (*p == '\n') {
			buf[o++] = '\\';
			buf[o++] = 'n';
		} else if (*p < ' ' || *p == 0x7f)
			buf[o++] = '?';
		else
			buf[o++] = (char)*p;
	}
	if (o + 1 < size)
		buf[o++] = '"';
	buf[o] = '\0';
	return buf;
}

static void
write_all(int fd, const char *s, size_t len)
{
	ssize_t n;

	while (len > 0) {
		n = write(fd, s, len);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			return;
		}
		s += n;
		len -= (size_t)n;
	}
}

static _Thread_local const char *log_user;

const char *
log_set_user(const char *user)
{
	const char *prev = log_user;

	log_user = user;
	return prev;
}

/* 1 when the fields kv name a user already. */
static int
names_user(const char *kv)
{
	const char *p;

	for (p = kv; (p = strstr(p, "user=")) != NULL; p++)
		if (p == kv || p[-1] == ' ')
			return 1;
	return 0;
}

void
log_msg(enum log_level level, const char *msg, const char *kvfmt, ...)
{
	char line[LOG_LINE_MAX], qmsg[1024];
	struct timespec ts;
	struct tm tm;
	size_t n, kv;
	va_list ap;

	if (level < log_min)
		return;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	n = (size_t)snprintf(line, sizeof(line),
	    "ts=%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ level=%s msg=%s",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	    tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000, level_names[level],
	    log_q(qmsg, sizeof(qmsg), msg));
	kv = n;
	if (kvfmt != NULL && *kvfmt != '\0' && n + 2 < sizeof(line)) {
		line[n++] = ' ';
		va_start(ap, kvfmt);
		vsnprintf(line + n, sizeof(line) - n, kvfmt, ap);
		va_end(ap);
	}
	n = strlen(line);
	if (log_user != NULL && !names_user(line + kv))
		n += (size_t)snprintf(line + n, sizeof(line) - n, " user=%s",
		    log_q(qmsg, sizeof(qmsg), log_user));
	if (n + 1 >= sizeof(line))
		n = sizeof(line) - 2;
	line[n++] = '\n';
	line[n] = '\0';

	pthread_mutex_lock(&log_lock);
	scrub(line, sizeof(line));
	n = strlen(line);
	write_all(STDERR_FILENO, line, n);
	if (log_fd != -1)
		write_all(log_fd, line, n);
	pthread_mutex_unlock(&log_lock);
}
