/*
 * oauth_listener: the loopback HTTP server of --authorize (see
 * oauth_flow.c): a libmicrohttpd daemon on the redirect URI's host:port,
 * in its own thread, that hands each GET on the redirect path to
 * oauth_flow_offer() and answers with a small page. It logs no request
 * line (the code is in it). Where to listen comes from the redirect URI,
 * read with curl_url() (oauth_redirect_parse).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include <curl/curl.h>
#include <microhttpd.h>

#include "expose/mhd_guard.h"
#include "log.h"
#include "oauth_private.h"

#define REQUEST_DEADLINE_S 10	/* for a complete request (mhd_guard.h) */

static const char page_ok[] =
    "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">"
    "<title>SyncBit</title></head><body>\n"
    "<h1>SyncBit received the authorization</h1>\n"
    "<p>You can close this tab; the terminal shows the result.</p>\n"
    "</body></html>\n";

static enum MHD_Result
reply(struct MHD_Connection *conn, unsigned int status, const char *title,
    const char *text)
{
	struct MHD_Response *r;
	enum MHD_Result ret;
	char page[1024];
	int n;

	if (status == MHD_HTTP_OK && text == NULL)
		n = snprintf(page, sizeof(page), "%s", page_ok);
	else
		n = snprintf(page, sizeof(page), "<!DOCTYPE html>\n<html><head>"
		    "<meta charset=\"utf-8\"><title>SyncBit: %s</title></head>"
		    "<body>\n<h1>%s</h1>\n<p>%s</p>\n</body></html>\n", title,
		    title, text);
	if (n < 0 || (size_t)n >= sizeof(page))
		return MHD_NO;
	r = MHD_create_response_from_buffer((size_t)n, page,
	    MHD_RESPMEM_MUST_COPY);
	if (r == NULL)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
	    "text/html; charset=utf-8");
	MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
	MHD_add_response_header(r, "Content-Security-Policy",
	    "default-src 'none'");
	ret = MHD_queue_response(conn, status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result
on_arg(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
	(void)kind;
	if (key != NULL)
		oauth_cbargs_add(cls, key, value);
	return MHD_YES;
}

static enum MHD_Result
on_request(void *cls, struct MHD_Connection *conn, const char *url,
    const char *method, const char *version, const char *upload_data,
    size_t *upload_size, void **con_cls)
{
	struct oauth_flow *f = cls;
	struct oauth_cbargs a;
	struct err why = { 0 };
	enum MHD_Result ret;
	char text[ERR_MSG_MAX + 128];

	(void)version;
	(void)upload_data;
	/* Other methods: refused with the headers only, the body unread. */
	if (strcmp(method, MHD_HTTP_METHOD_GET) != 0) {
		mhd_guard_busy(conn);
		return reply(conn, MHD_HTTP_METHOD_NOT_ALLOWED,
		    "method not allowed", "Only GET is served here.");
	}
	if (*con_cls == NULL) {		/* headers only: answer next time */
		*con_cls = f;
		return MHD_YES;
	}
	if (*upload_size != 0) {
		*upload_size = 0;
		return MHD_YES;
	}
	mhd_guard_busy(conn);
	if (strcmp(url, f->path) != 0)
		return reply(conn, MHD_HTTP_NOT_FOUND, "not found",
		    "SyncBit waits for the OAuth redirect on another path.");
	memset(&a, 0, sizeof(a));
	MHD_get_connection_values(conn, MHD_GET_ARGUMENT_KIND, on_arg, &a);
	if (oauth_flow_offer(f, &a, &why) == 0)
		ret = reply(conn, MHD_HTTP_OK, "authorized", NULL);
	else if (why.kind == ERR_AUTH) {
		snprintf(text, sizeof(text), "SyncBit was not authorized: %s. "
		    "Run <code>syncbit --authorize</code> again to retry.",
		    why.msg);
		ret = reply(conn, MHD_HTTP_FORBIDDEN, "not authorized", text);
	} else if (why.status == 409)
		ret = reply(conn, MHD_HTTP_OK, "done", "This authorization is "
		    "complete already; you can close this tab.");
	else {
		if (mhd_guard_log_allowed(f->guard))
			log_warn("ignored a callback", "reason=\"%s\"",
			    why.msg);
		snprintf(text, sizeof(text), "This is not the answer SyncBit "
		    "is waiting for (%s). Open the URL that <code>syncbit "
		    "--authorize</code> printed, in this browser.", why.msg);
		ret = reply(conn, MHD_HTTP_BAD_REQUEST, "bad request", text);
	}
	explicit_bzero(&a, sizeof(a));
	return ret;
}

static int
loopback_host(const char *host)
{
	struct in_addr a4;
	struct in6_addr a6;

	if (strcasecmp(host, "localhost") == 0)
		return 1;
	if (inet_pton(AF_INET, host, &a4) == 1)
		return (ntohl(a4.s_addr) >> 24) == 127;
	return inet_pton(AF_INET6, host, &a6) == 1 &&
	    IN6_IS_ADDR_LOOPBACK(&a6);
}

/* What the failure of curl_url_set() says about a redirect URI. */
static int
url_refused(CURLUcode uc, const char *var, const char *u, struct err *err)
{
	switch (uc) {
	case CURLUE_BAD_PORT_NUMBER:
		return err_set(err, "%s has a bad port", var);
	case CURLUE_BAD_HOSTNAME:
	case CURLUE_BAD_IPV6:
	case CURLUE_NO_HOST:
		return err_set(err, "%s has a bad host", var);
	case CURLUE_BAD_LOGIN:
	case CURLUE_BAD_USER:
	case CURLUE_BAD_PASSWORD:
		return err_set(err, "%s must not hold a user name", var);
	case CURLUE_OUT_OF_MEMORY:
		return err_set(err, "out of memory");
	default:
		return err_set(err, "%s '%s' is not an http(s) URL", var, u);
	}
}

/* The pieces of u that r holds, once curl_url() has parsed it. */
static int
url_pieces(CURLU *h, struct oauth_redirect *r, const char *var,
    struct err *err)
{
	char *user = NULL, *host = NULL, *port = NULL, *path = NULL, *end;
	const char *h0;
	size_t n;
	long pn;
	int rc = -1;

	if (curl_url_get(h, CURLUPART_USER, &user, 0) == CURLUE_OK ||
	    curl_url_get(h, CURLUPART_PASSWORD, &user, 0) == CURLUE_OK) {
		err_set(err, "%s must not hold a user name", var);
		goto out;
	}
	if (curl_url_get(h, CURLUPART_HOST, &host, 0) != CURLUE_OK ||
	    curl_url_get(h, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) !=
	    CURLUE_OK || curl_url_get(h, CURLUPART_PATH, &path, 0) !=
	    CURLUE_OK) {
		err_set(err, "out of memory");
		goto out;
	}
	h0 = host;
	n = strlen(host);
	if (n > 2 && host[0] == '[' && host[n - 1] == ']') {	/* IPv6 */
		h0++;
		n -= 2;
	}
	if (n == 0 || n >= sizeof(r->host)) {
		err_set(err, "%s has a bad host", var);
		goto out;
	}
	memcpy(r->host, h0, n);
	errno = 0;
	pn = strtol(port, &end, 10);
	if (*end != '\0' || errno != 0 || pn < 1 || pn > 65535) {
		err_set(err, "%s has a bad port", var);
		goto out;
	}
	r->port = (int)pn;
	if (strlen(path) >= sizeof(r->path)) {
		err_set(err, "%s has a path that is too long", var);
		goto out;
	}
	snprintf(r->path, sizeof(r->path), "%s", path);	/* "/" when none */
	r->loopback = loopback_host(r->host);
	rc = 0;
out:
	curl_free(user);
	curl_free(host);
	curl_free(port);
	curl_free(path);
	return rc;
}

int
oauth_redirect_parse(const struct oauth_provider *p, struct oauth_redirect *r,
    struct err *err)
{
	const char *u = p->redirect_uri;
	char var[64], *scheme = NULL;
	CURLUcode uc;
	CURLU *h;
	int rc = -1;

	oauth_env_name(p, "REDIRECT_URI", var, sizeof(var));
	memset(r, 0, sizeof(*r));
	if ((h = curl_url()) == NULL)
		return err_set(err, "out of memory");
	/* the path as written: the listener compares it byte for byte */
	if ((uc = curl_url_set(h, CURLUPART_URL, u, CURLU_PATH_AS_IS)) !=
	    CURLUE_OK) {
		url_refused(uc, var, u, err);
		goto out;
	}
	if (curl_url_get(h, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    (strcmp(scheme, "http") != 0 && strcmp(scheme, "https") != 0)) {
		err_set(err, "%s '%s' is not an http(s) URL", var, u);
		goto out;
	}
	r->http = strcmp(scheme, "http") == 0;
	rc = url_pieces(h, r, var, err);
out:
	curl_free(scheme);
	curl_url_cleanup(h);
	return rc;
}

struct MHD_Daemon *
oauth_listen_start(struct oauth_flow *f, const struct oauth_redirect *r,
    int bind_all, struct err *err)
{
	struct sockaddr_storage ss;
	struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
	/* poll(2), as the /metrics server (server.c says why) */
	unsigned int flags = MHD_USE_POLL_INTERNAL_THREAD;
	struct MHD_Daemon *d;
	char addr[300];

	memset(&ss, 0, sizeof(ss));
	s4->sin_family = AF_INET;
	s4->sin_port = htons((uint16_t)r->port);
	if (bind_all)
		s4->sin_addr.s_addr = htonl(INADDR_ANY);
	else if (inet_pton(AF_INET6, r->host, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)r->port);
		flags |= MHD_USE_IPv6;
	} else if (inet_pton(AF_INET, r->host, &s4->sin_addr) != 1)
		s4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);	/* localhost */
	if (ss.ss_family == AF_INET6)
		snprintf(addr, sizeof(addr), "[%s]:%d", r->host, r->port);
	else
		snprintf(addr, sizeof(addr), "%s:%d", inet_ntoa(s4->sin_addr),
		    r->port);
	if ((f->guard = mhd_guard_new("callback listener",
	    REQUEST_DEADLINE_S, err)) == NULL)
		return NULL;
	errno = 0;
	d = MHD_start_daemon(flags, 0, NULL, NULL, on_request, f,
	    MHD_GUARD_OPTIONS(f->guard),
	    MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)10,
	    MHD_OPTION_CONNECTION_LIMIT, (unsigned int)16,
	    MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)32768,
	    MHD_OPTION_END);
	if (d == NULL) {
		err_set(err, "cannot listen on %s for the OAuth callback: %s",
		    addr, errno != 0 ? strerror(errno) :
		    "address in use or not available");
		mhd_guard_free(f->guard);
		f->guard = NULL;
		return NULL;
	}
	if (bind_all)
		log_warn("callback listener on all interfaces (--listen-all)",
		    "address=%s path=%s", addr, r->path);
	else
		log_info("callback listener", "address=%s path=%s", addr,
		    r->path);
	return d;
}
