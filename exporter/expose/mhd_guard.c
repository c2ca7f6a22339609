/*
 * mhd_guard: request deadline, NUL-safe unescaping and rate-limited
 * libmicrohttpd messages (see mhd_guard.h).
 *
 * Every connection has an entry in a list under g->lock, created and
 * removed by libmicrohttpd's connection notifications. libmicrohttpd
 * announces MHD_CONNECTION_NOTIFY_CLOSED before it closes the socket, and
 * the watchdog aborts a connection only under the lock, on an entry still
 * in the list: it can never hit a descriptor number reused by a later
 * connection or file.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "mhd_guard.h"
#include "monotime.h"

#define TICK_MS		250
#define LOG_WINDOW_MS	60000
#define LOG_PER_WINDOW	10
#define CUT_LOG_MS	10000	/* at most one line about cuts this often */
#define RECUT_MS	1000

struct track {
	struct track *prev, *next;
	struct mhd_guard *g;
	MHD_socket fd;
	int64_t since_ms;	/* when the awaited request began to be due */
	int busy;		/* its headers are in: being answered */
	int64_t cut_ms;		/* when it was aborted; 0: not yet */
};

struct mhd_guard {
	pthread_mutex_t lock;
	pthread_cond_t cv;
	pthread_t thread;
	int stopping;
	char name[32];
	int64_t deadline_ms;
	struct track *head;
	unsigned long cut_total, cut_unlogged;
	int64_t cut_logged_at;	/* 0: never */
	/* the log rate limit */
	int64_t window_start;
	unsigned int window_lines;
	unsigned long suppressed;
};


/* Start a new window when the current one is over; the number of lines
 * suppressed in the old one goes to *flushed. Caller holds g->lock. */
static void
window_roll(struct mhd_guard *g, int64_t now, unsigned long *flushed)
{
	*flushed = 0;
	if (now - g->window_start < LOG_WINDOW_MS)
		return;
	g->window_start = now;
	g->window_lines = 0;
	*flushed = g->suppressed;
	g->suppressed = 0;
}

/* Caller holds g->lock. 1 when a line may be written now. */
static int
log_slot(struct mhd_guard *g, int64_t now, unsigned long *flushed)
{
	window_roll(g, now, flushed);
	if (g->window_lines >= LOG_PER_WINDOW) {
		g->suppressed++;
		return 0;
	}
	g->window_lines++;
	return 1;
}

static void
log_flushed(const struct mhd_guard *g, unsigned long n)
{
	if (n > 0)
		log_warn("messages suppressed", "server=\"%s\" count=%lu "
		    "window_s=%d", g->name, n, LOG_WINDOW_MS / 1000);
}

int
mhd_guard_log_allowed(struct mhd_guard *g)
{
	unsigned long flushed;
	int ok;

	pthread_mutex_lock(&g->lock);
	ok = log_slot(g, monotime_ms(), &flushed);
	pthread_mutex_unlock(&g->lock);
	log_flushed(g, flushed);
	return ok;
}

void
mhd_guard_log(void *cls, const char *fmt, va_list ap)
{
	struct mhd_guard *g = cls;
	char msg[512], q[600];
	size_t n;

	if (!mhd_guard_log_allowed(g))
		return;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	n = strlen(msg);
	while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == '\r'))
		msg[--n] = '\0';
	log_warn(g->name, "detail=%s", log_q(q, sizeof(q), msg));
}

/*
 * Abort a TCP connection that libmicrohttpd owns, from another thread.
 * connect(AF_UNSPEC) disconnects the socket: the peer gets a reset, the
 * unread bytes are dropped and the next read fails (ECONNRESET).
 * shutdown(2) then marks it shut both ways (it answers ENOTCONN, but does
 * so), so that poll reports it readable: libmicrohttpd waits for readable
 * while a request comes in, and a disconnect alone reports only an error
 * and a hang-up, which it can leave unread until its idle timeout. Neither
 * call alone will do: after shutdown(2) alone, a client that keeps
 * sending still has its bytes read, and never looks finished.
 *
 * syscall(2), not the libc wrappers: ThreadSanitizer would take those for
 * writes to a descriptor that libmicrohttpd's thread reads, a race only
 * in its model (the kernel orders the calls).
 */
static void
cut(MHD_socket fd)
{
	struct sockaddr sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_family = AF_UNSPEC;
	(void)syscall(SYS_connect, fd, &sa, (socklen_t)sizeof(sa));
	(void)syscall(SYS_shutdown, fd, SHUT_RDWR);
}

/* Abort the connections past their deadline. Caller holds g->lock. */
static void
sweep(struct mhd_guard *g, int64_t now)
{
	struct track *t;

	for (t = g->head; t != NULL; t = t->next) {
		if (t->busy || now - t->since_ms < g->deadline_ms)
			continue;
		if (t->cut_ms != 0) {
			/* aborted, and libmicrohttpd has not closed it yet:
			 * say it again, a fresh wake-up. In its epoll mode,
			 * under load, libmicrohttpd 0.9.75 was seen to let the
			 * first one pass and wait for its idle timeout (which
			 * a slowloris never reaches); our servers use poll,
			 * where this was not seen: a safety net */
			if (now - t->cut_ms >= RECUT_MS) {
				cut(t->fd);
				t->cut_ms = now;
			}
			continue;
		}
		cut(t->fd);
		t->cut_ms = now;
		g->cut_total++;
		g->cut_unlogged++;
	}
}

static void *
watchdog(void *arg)
{
	struct mhd_guard *g = arg;
	struct timespec ts;
	unsigned long cut, flushed;
	int64_t now;
	int say;

	pthread_mutex_lock(&g->lock);
	while (!g->stopping) {
		clock_gettime(CLOCK_MONOTONIC, &ts);
		ts.tv_nsec += TICK_MS * 1000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&g->cv, &g->lock, &ts);
		if (g->stopping)
			break;
		now = monotime_ms();
		sweep(g, now);
		cut = g->cut_unlogged;
		window_roll(g, now, &flushed);
		/* cuts have their own budget: the noise of an attack must not
		 * hide the line that says what was done about it */
		say = cut > 0 && (g->cut_logged_at == 0 ||
		    now - g->cut_logged_at >= CUT_LOG_MS);
		if (say) {
			g->cut_logged_at = now;
			g->cut_unlogged = 0;
		}
		pthread_mutex_unlock(&g->lock);
		log_flushed(g, flushed);
		if (say)
			log_warn("closed connections that sent no complete "
			    "request in time", "server=\"%s\" count=%lu "
			    "deadline_s=%lld", g->name, cut,
			    (long long)(g->deadline_ms / 1000));
		pthread_mutex_lock(&g->lock);
	}
	pthread_mutex_unlock(&g->lock);
	return NULL;
}

struct mhd_guard *
mhd_guard_new(const char *name, unsigned int deadline_s, struct err *err)
{
	struct mhd_guard *g;
	pthread_condattr_t ca;
	int rc;

	if ((g = calloc(1, sizeof(*g))) == NULL) {
		err_set(err, "out of memory");
		return NULL;
	}
	snprintf(g->name, sizeof(g->name), "%s", name);
	g->deadline_ms = (int64_t)(deadline_s > 0 ? deadline_s : 15) * 1000;
	g->window_start = monotime_ms();
	pthread_mutex_init(&g->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&g->cv, &ca);
	pthread_condattr_destroy(&ca);
	if ((rc = pthread_create(&g->thread, NULL, watchdog, g)) != 0) {
		err_set(err, "cannot start the %s watchdog: %s", name,
		    strerror(rc));
		pthread_cond_destroy(&g->cv);
		pthread_mutex_destroy(&g->lock);
		free(g);
		return NULL;
	}
	return g;
}

void
mhd_guard_free(struct mhd_guard *g)
{
	struct track *t, *next;

	if (g == NULL)
		return;
	pthread_mutex_lock(&g->lock);
	g->stopping = 1;
	pthread_cond_signal(&g->cv);
	pthread_mutex_unlock(&g->lock);
	pthread_join(g->thread, NULL);
	/* none left after MHD_stop_daemon(); free any all the same */
	for (t = g->head; t != NULL; t = next) {
		next = t->next;
		free(t);
	}
	pthread_cond_destroy(&g->cv);
	pthread_mutex_destroy(&g->lock);
	free(g);
}

void
mhd_guard_on_connection(void *cls, struct MHD_Connection *conn,
    void **socket_context, enum MHD_ConnectionNotificationCode code)
{
	struct mhd_guard *g = cls;
	const union MHD_ConnectionInfo *ci;
	struct track *t;

	if (code == MHD_CONNECTION_NOTIFY_STARTED) {
		*socket_context = NULL;
		ci = MHD_get_connection_info(conn,
		    MHD_CONNECTION_INFO_CONNECTION_FD);
		if (ci == NULL || (t = calloc(1, sizeof(*t))) == NULL)
			return;		/* untracked: the idle timeout only */
		t->g = g;
		t->fd = ci->connect_fd;
		pthread_mutex_lock(&g->lock);
		t->since_ms = monotime_ms();
		t->next = g->head;
		if (g->head != NULL)
			g->head->prev = t;
		g->head = t;
		pthread_mutex_unlock(&g->lock);
		*socket_context = t;
		return;
	}
	if (code != MHD_CONNECTION_NOTIFY_CLOSED ||
	    (t = *socket_context) == NULL)
		return;
	pthread_mutex_lock(&g->lock);
	if (t->prev != NULL)
		t->prev->next = t->next;
	else
		g->head = t->next;
	if (t->next != NULL)
		t->next->prev = t->prev;
	pthread_mutex_unlock(&g->lock);
	free(t);
	*socket_context = NULL;
}

static struct track *
track_of(struct MHD_Connection *conn)
{
	const union MHD_ConnectionInfo *ci;

	ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	return ci != NULL ? ci->socket_context : NULL;
}

void
mhd_guard_busy(struct MHD_Connection *conn)
{
	struct track *t = track_of(conn);

	if (t == NULL)
		return;
	pthread_mutex_lock(&t->g->lock);
	t->busy = 1;
	pthread_mutex_unlock(&t->g->lock);
}

void
mhd_guard_on_completed(void *cls, struct MHD_Connection *conn,
    void **con_cls, enum MHD_RequestTerminationCode toe)
{
	struct track *t = track_of(conn);

	(void)cls;
	(void)con_cls;
	(void)toe;
	if (t == NULL)
		return;
	/* a kept-alive connection now owes the next request */
	pthread_mutex_lock(&t->g->lock);
	t->busy = 0;
	t->since_ms = monotime_ms();
	pthread_mutex_unlock(&t->g->lock);
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

size_t
mhd_guard_unescape(void *cls, struct MHD_Connection *conn, char *s)
{
	char *r = s, *w = s;
	int hi, lo;

	(void)cls;
	(void)conn;
	while (*r != '\0') {
		if (r[0] == '%' && (hi = hexval((unsigned char)r[1])) >= 0 &&
		    (lo = hexval((unsigned char)r[2])) >= 0 &&
		    (hi | lo) != 0) {
			*w++ = (char)(hi << 4 | lo);
			r += 3;
		} else
			*w++ = *r++;
	}
	*w = '\0';
	return (size_t)(w - s);
}
