/*
 * server: libmicrohttpd routes (see server.h).
 *
 * One internal polling thread: a handler only acquires the current
 * snapshot, renders it outside the cache lock, and releases it, so one
 * thread keeps up with any scrape rate we expect. The thread uses poll(2),
 * not epoll: with epoll (edge-triggered), libmicrohttpd 0.9.75 was seen to
 * leave accepted connections with a complete request unanswered until
 * their timeout during a flood of a few hundred connections; poll over at
 * most 128 descriptors costs nothing.
 *
 * Hostile clients: 32 KiB per connection (a longer request line or header
 * block is answered 414/431), at most 64 connections per address, and
 * mhd_guard's deadline for a complete request (a body included), so that
 * slow clients (slowloris) from a few addresses cannot hold every slot.
 */
#include <arpa/inet.h>
#include <netdb.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>

#include "api_status.h"
#include "log.h"
#include "mhd_guard.h"
#include "page.h"
#include "server_impl.h"
#include "stats.h"

/* A request's line and headers come in one packet from any scraper: 10 s
 * is ample, and bounds how long slow clients can hold a slot. */
#define REQUEST_DEADLINE_S	10

enum MHD_Result
server_reply(struct MHD_Connection *conn, unsigned int status,
    const char *type, void *body, size_t len, enum MHD_ResponseMemoryMode mode)
{
	struct MHD_Response *r;
	enum MHD_Result ret;

	r = MHD_create_response_from_buffer(len, body, mode);
	if (r == NULL) {
		if (mode == MHD_RESPMEM_MUST_FREE)
			free(body);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	if (strncmp(type, "text/html", 9) == 0) {
		MHD_add_response_header(r, "Content-Security-Policy",
		    "default-src 'none'; style-src 'unsafe-inline'; "
		    "form-action 'self' https: http:; frame-ancestors 'none'");
		MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
	}
	if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
		MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
	ret = MHD_queue_response(conn, status, r);
	MHD_destroy_response(r);
	return ret;
}

enum MHD_Result
server_reply_text(struct MHD_Connection *conn, unsigned int status,
    const char *text)
{
	return server_reply(conn, status, "text/plain; charset=utf-8", (void *)text,
	    strlen(text), MHD_RESPMEM_MUST_COPY);
}

static enum MHD_Result
serve_metrics(struct server *srv, struct MHD_Connection *conn)
{
	const struct server_account *sa = srv->cfg.accounts;
	struct expo_account *acc;
	char *body = NULL;
	size_t i, n = srv->cfg.naccounts, len = 0;

	if ((acc = calloc(n > 0 ? n : 1, sizeof(*acc))) != NULL) {
		for (i = 0; i < n; i++) {
			acc[i].user = sa[i].user;
			acc[i].snap = sa[i].cache != NULL ?
			    cache_acquire(sa[i].cache) : NULL;
			acc[i].st = sa[i].st;
		}
		body = expo_render(acc, n, stats_get(), &srv->cfg.info, &len);
		for (i = 0; i < n; i++)
			snapshot_release((struct snapshot *)acc[i].snap);
		free(acc);
	}
	if (body == NULL)
		return server_reply_text(conn, MHD_HTTP_INTERNAL_SERVER_ERROR,
		    "out of memory\n");
	return server_reply(conn, MHD_HTTP_OK,
	    "text/plain; version=0.0.4; charset=utf-8", body, len,
	    MHD_RESPMEM_MUST_FREE);
}

/* The status document of every account, from their published snapshots
 * and statuses only; NULL when out of memory. */
static cJSON *
status_doc(struct server *srv)
{
	const struct server_account *sa = srv->cfg.accounts;
	struct server_outcome *out;
	struct api_account *acc;
	size_t i, n = srv->cfg.naccounts;
	cJSON *doc = NULL;

	acc = calloc(n > 0 ? n : 1, sizeof(*acc));
	out = calloc(n > 0 ? n : 1, sizeof(*out));
	if (acc == NULL || out == NULL)
		goto out;
	pthread_mutex_lock(&srv->lock);
	memcpy(out, srv->outcomes, n * sizeof(*out));
	pthread_mutex_unlock(&srv->lock);
	for (i = 0; i < n; i++) {
		acc[i].auth = out[i].state;
		acc[i].auth_text = out[i].text;
		acc[i].auth_at = out[i].at;
		acc[i].user = sa[i].user;
		acc[i].source = srv->cfg.info.source;
		acc[i].running = sa[i].cache != NULL;
		if (sa[i].cache != NULL) {
			acc[i].snap = cache_acquire(sa[i].cache);
			acc[i].status = cache_acquire_status(sa[i].cache);
		}
	}
	doc = api_status_build(acc, n, srv->cfg.info.version,
	    (int64_t)time(NULL));
	for (i = 0; i < n; i++) {
		snapshot_release((struct snapshot *)acc[i].snap);
		status_release((struct status *)acc[i].status);
	}
out:
	free(out);
	free(acc);
	return doc;
}

/* /api/status (html 0) or the page at / (html 1). */
static enum MHD_Result
serve_status(struct server *srv, struct MHD_Connection *conn, int html)
{
	cJSON *doc = status_doc(srv);
	char *body = NULL;
	size_t len = 0;

	if (doc != NULL && html)
		body = page_render(doc, srv->wa.csrf, &len);
	else if (doc != NULL && (body = cJSON_PrintUnformatted(doc)) != NULL)
		len = strlen(body);
	cJSON_Delete(doc);
	if (body == NULL)
		return server_reply_text(conn, MHD_HTTP_INTERNAL_SERVER_ERROR,
		    "out of memory\n");
	return server_reply(conn, MHD_HTTP_OK, html ? "text/html; charset=utf-8" :
	    "application/json", body, len, MHD_RESPMEM_MUST_FREE);
}

static enum MHD_Result
serve_readyz(struct MHD_Connection *conn)
{
	const char *reason;
	char text[256];
	int ok;

	ok = stats_ready((int64_t)time(NULL), &reason);
	snprintf(text, sizeof(text), "%s\n", reason);
	return server_reply_text(conn, ok ? MHD_HTTP_OK : MHD_HTTP_SERVICE_UNAVAILABLE,
	    text);
}

static enum MHD_Result
handle(void *cls, struct MHD_Connection *conn, const char *url,
    const char *method, const char *version, const char *upload_data,
    size_t *upload_size, void **con_cls)
{
	struct server *srv = cls;

	(void)version;
	if (strcmp(method, MHD_HTTP_METHOD_POST) == 0 &&
	    strcmp(url, "/authorize") == 0)
		return server_authorize(srv, conn, upload_data, upload_size,
		    con_cls);
	/* Other methods are refused at the first call, with the headers
	 * only: their body is never read (the connection closes after the
	 * answer). GET and HEAD are answered at the next call, once any
	 * body is dropped: an early answer would end keep-alive. */
	if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 &&
	    strcmp(method, MHD_HTTP_METHOD_HEAD) != 0) {
		mhd_guard_busy(conn);
		return server_reply_text(conn, MHD_HTTP_METHOD_NOT_ALLOWED,
		    "method not allowed\n");
	}
	if (*con_cls == NULL) {
		*con_cls = srv;
		return MHD_YES;
	}
	if (*upload_size != 0) {
		*upload_size = 0;	/* discard any body */
		return MHD_YES;
	}
	/* the request is complete (a body, too): no deadline from here */
	mhd_guard_busy(conn);
	if (strcmp(url, "/metrics") == 0)
		return serve_metrics(srv, conn);
	if (strcmp(url, "/healthz") == 0)
		return server_reply_text(conn, MHD_HTTP_OK, "ok\n");
	if (strcmp(url, "/readyz") == 0)
		return serve_readyz(conn);
	if (strcmp(url, "/callback") == 0)
		return server_callback(srv, conn);
	if (strcmp(url, "/api/status") == 0)
		return serve_status(srv, conn, 0);
	if (strcmp(url, "/") == 0)
		return serve_status(srv, conn, 1);
	return server_reply_text(conn, MHD_HTTP_NOT_FOUND, "not found\n");
}

/* mhd_guard's bookkeeping, then the form of a POST /authorize. */
static void
completed(void *cls, struct MHD_Connection *conn, void **con_cls,
    enum MHD_RequestTerminationCode toe)
{
	struct server *srv = cls;

	mhd_guard_on_completed(srv->guard, conn, con_cls, toe);
	if (*con_cls != NULL && *con_cls != srv)
		server_form_free(*con_cls);
	*con_cls = NULL;
}

static int
resolve(const char *host, int port, struct sockaddr_storage *ss,
    socklen_t *sslen, struct err *err)
{
	struct addrinfo hints, *res = NULL;
	char portstr[16];
	int rc;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	snprintf(portstr, sizeof(portstr), "%d", port);
	if (host != NULL && (*host == '\0' || strcmp(host, "0.0.0.0") == 0))
		host = "0.0.0.0";
	rc = getaddrinfo(host, portstr, &hints, &res);
	if (rc != 0 || res == NULL)
		return err_set(err, "LISTEN_ADDRESS: cannot resolve '%s': %s",
		    host, gai_strerror(rc));
	memcpy(ss, res->ai_addr, res->ai_addrlen);
	*sslen = res->ai_addrlen;
	freeaddrinfo(res);
	return 0;
}

/* What server_start made besides the daemon and the guard. */
static void
server_free(struct server *srv)
{
	webauth_release(&srv->wa);
	pthread_cond_destroy(&srv->idle);
	pthread_mutex_destroy(&srv->lock);
	free(srv->outcomes);
	free(srv);
}

struct server *
server_start(const struct server_config *cfg, struct err *err)
{
	struct server *srv;
	struct sockaddr_storage ss;
	socklen_t sslen;
	const union MHD_DaemonInfo *info;
	unsigned int flags = MHD_USE_POLL_INTERNAL_THREAD | MHD_USE_ITC |
	    MHD_USE_ERROR_LOG;

	if (resolve(cfg->host, cfg->port, &ss, &sslen, err) == -1)
		return NULL;
	if (ss.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	if ((srv = calloc(1, sizeof(*srv))) == NULL) {
		err_set(err, "out of memory");
		return NULL;
	}
	srv->cfg = *cfg;
	if ((srv->outcomes = calloc(cfg->naccounts > 0 ? cfg->naccounts : 1,
	    sizeof(*srv->outcomes))) == NULL) {
		free(srv);
		err_set(err, "out of memory");
		return NULL;
	}
	if (webauth_init(&srv->wa, cfg->admin_password, err) == -1) {
		free(srv->outcomes);
		free(srv);
		return NULL;
	}
	pthread_mutex_init(&srv->lock, NULL);
	pthread_cond_init(&srv->idle, NULL);
	if ((srv->guard = mhd_guard_new("http server", cfg->timeout_s > 0 &&
	    cfg->timeout_s < REQUEST_DEADLINE_S ? cfg->timeout_s :
	    REQUEST_DEADLINE_S, err)) == NULL) {
		server_free(srv);
		return NULL;
	}
	srv->mhd = MHD_start_daemon(flags, 0, NULL, NULL, handle, srv,
	    MHD_OPTION_EXTERNAL_LOGGER, mhd_guard_log, srv->guard,
	    MHD_OPTION_NOTIFY_CONNECTION, mhd_guard_on_connection, srv->guard,
	    MHD_OPTION_NOTIFY_COMPLETED, completed, srv,
	    MHD_OPTION_UNESCAPE_CALLBACK, mhd_guard_unescape, srv->guard,
	    MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
	    MHD_OPTION_CONNECTION_TIMEOUT,
	    (unsigned int)(cfg->timeout_s > 0 ? cfg->timeout_s : 15),
	    MHD_OPTION_CONNECTION_LIMIT,
	    (unsigned int)(cfg->max_connections > 0 ? cfg->max_connections :
	    128),
	    MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned int)64,
	    MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)32768,
	    MHD_OPTION_END);
	if (srv->mhd == NULL) {
		err_set(err, "LISTEN_ADDRESS: cannot listen on '%s:%d' "
		    "(address in use or not available)",
		    cfg->host, cfg->port);
		mhd_guard_free(srv->guard);
		server_free(srv);
		return NULL;
	}
	info = MHD_get_daemon_info(srv->mhd, MHD_DAEMON_INFO_BIND_PORT);
	srv->port = info != NULL ? info->port : cfg->port;
	return srv;
}

int
server_port(const struct server *srv)
{
	return srv->port;
}

void
server_stop(struct server *srv)
{
	MHD_socket s;

	if (srv == NULL)
		return;
	s = MHD_quiesce_daemon(srv->mhd);
	MHD_stop_daemon(srv->mhd);
	if (s != MHD_INVALID_SOCKET)
		close(s);
	mhd_guard_free(srv->guard);
	server_jobs_wait(srv);	/* an exchange ends soon after a quit */
	server_free(srv);
}
