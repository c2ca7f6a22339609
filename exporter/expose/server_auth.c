/*
 * server_auth: the status page's Authorize (see server.h, webauth.h).
 *
 * POST /authorize (account, csrf) from a client webauth lets in starts
 * the account's OAuth flow (oauth_page_begin) and sends the browser to
 * the provider (303). The provider sends it back to GET /callback, where
 * the state names a pending authorization: the browser goes back to /
 * (303) at once, and a thread of its own exchanges the code, saves the
 * tokens (oauth_page_finish) and wakes the account, so that a slow or
 * failing token endpoint never holds up /metrics or the probes. One
 * exchange at a time (it borrows the server's HTTP client); the page
 * shows its outcome. Nothing here logs a state, a code, a token or a
 * password.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "mhd_guard.h"
#include "monotime.h"
#include "page.h"
#include "server_impl.h"
#include "stats.h"

#define FORM_MAX 4096

static const char remote_line[] =
    "authorizing is open to loopback clients only: run 'kubectl "
    "port-forward deploy/syncbit 9877' (or 'ssh -L 9877:127.0.0.1:9877 "
    "HOST') and open http://127.0.0.1:9877/, or set ADMIN_PASSWORD\n";

/* The form of one POST /authorize. */
struct server_form {
	struct MHD_PostProcessor *pp;
	char account[STATS_USER_MAX];
	char csrf[64];
	size_t got;
	int bad;		/* a field or the body too long */
};

void
server_form_free(void *form)
{
	struct server_form *f = form;

	if (f->pp != NULL)
		MHD_destroy_post_processor(f->pp);
	explicit_bzero(f, sizeof(*f));
	free(f);
}

static int64_t
now_s(void)
{
	return monotime_ms() / 1000;
}

/* A small HTML answer: title and text escaped, a link back to /. */
static enum MHD_Result
reply_page(struct MHD_Connection *conn, unsigned int status,
    const char *title, const char *text)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	if ((f = open_memstream(&buf, &len)) == NULL)
		return MHD_NO;
	fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
	    "<title>SyncBit</title></head><body>\n<h1>", f);
	page_escape(f, title);
	fputs("</h1>\n<p>", f);
	page_escape(f, text);
	fputs("</p>\n<p><a href=\"/\">Back to the status page</a></p>\n"
	    "</body></html>\n", f);
	if (fclose(f) != 0) {
		free(buf);
		return MHD_NO;
	}
	return server_reply(conn, status, "text/html; charset=utf-8", buf, len,
	    MHD_RESPMEM_MUST_FREE);
}

static enum MHD_Result
see_other(struct MHD_Connection *conn, const char *location)
{
	static const char body[] = "see other\n";
	struct MHD_Response *r;
	enum MHD_Result ret;

	r = MHD_create_response_from_buffer(sizeof(body) - 1, (void *)body,
	    MHD_RESPMEM_PERSISTENT);
	if (r == NULL)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_LOCATION, location);
	MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
	ret = MHD_queue_response(conn, MHD_HTTP_SEE_OTHER, r);
	MHD_destroy_response(r);
	return ret;
}

/* "localhost", "127.x.y.z" or "[::1]", then ":port" or nothing. */
static int
loopback_host(const char *host)
{
	size_t n;

	if (strncmp(host, "localhost", 9) == 0)
		n = 9;
	else if (strncmp(host, "[::1]", 5) == 0)
		n = 5;
	else if (strncmp(host, "127.", 4) == 0)
		n = 4 + strspn(host + 4, "0123456789.");
	else
		return 0;
	if (host[n] == '\0')
		return 1;
	return host[n] == ':' && host[n + 1] != '\0' &&
	    strspn(host + n + 1, "0123456789") == strlen(host + n + 1);
}

/* 1 when this client may authorize; else 0 and the answer in *ret. A
 * loopback client that names another host (a DNS rebinding page in the
 * user's own browser, a proxy without a forwarding header) needs the
 * password as a remote one does. */
static int
allowed(struct server *srv, struct MHD_Connection *conn, enum MHD_Result *ret)
{
	const union MHD_ConnectionInfo *ci;
	struct MHD_Response *r;
	const char *host;
	char *user, *pass = NULL;
	enum webauth_verdict v;
	int fwd;

	ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	host = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
	    MHD_HTTP_HEADER_HOST);
	fwd = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
	    "X-Forwarded-For") != NULL || MHD_lookup_connection_value(conn,
	    MHD_HEADER_KIND, "Forwarded") != NULL || host == NULL ||
	    !loopback_host(host);
	user = MHD_basic_auth_get_username_password(conn, &pass);
	v = webauth_check(&srv->wa, ci != NULL ? ci->client_addr : NULL, fwd,
	    pass, now_s());
	if (pass != NULL) {
		explicit_bzero(pass, strlen(pass));
		MHD_free(pass);
	}
	MHD_free(user);
	switch (v) {
	case WEBAUTH_OK:
		return 1;
	case WEBAUTH_REMOTE:
		*ret = server_reply_text(conn, MHD_HTTP_FORBIDDEN, remote_line);
		return 0;
	case WEBAUTH_LIMITED:
		*ret = server_reply_text(conn, MHD_HTTP_TOO_MANY_REQUESTS,
		    "too many failed logins: try again in a minute\n");
		return 0;
	default:
		break;
	}
	if (pass != NULL && mhd_guard_log_allowed(srv->guard))
		log_warn("failed admin login on the status page", NULL);
	r = MHD_create_response_from_buffer(strlen("password required\n"),
	    (void *)"password required\n", MHD_RESPMEM_PERSISTENT);
	*ret = r == NULL ? MHD_NO : MHD_queue_basic_auth_fail_response(conn,
	    "SyncBit", r);
	if (r != NULL)
		MHD_destroy_response(r);
	return 0;
}

static enum MHD_Result
on_field(void *cls, enum MHD_ValueKind kind, const char *key,
    const char *filename, const char *content_type,
    const char *transfer_encoding, const char *data, uint64_t off,
    size_t size)
{
	struct server_form *f = cls;
	char *dst;
	size_t cap;

	(void)kind;
	(void)filename;
	(void)content_type;
	(void)transfer_encoding;
	if (strcmp(key, "account") == 0) {
		dst = f->account;
		cap = sizeof(f->account);
	} else if (strcmp(key, "csrf") == 0) {
		dst = f->csrf;
		cap = sizeof(f->csrf);
	} else
		return MHD_YES;
	if (off + size >= cap) {
		f->bad = 1;
		return MHD_YES;
	}
	memcpy(dst + off, data, size);
	dst[off + size] = '\0';
	return MHD_YES;
}

/* Where the provider sends the browser back: this page's own loopback
 * address as the browser knows it (port-forwards change the port), else
 * (a proxy) the configured redirect URI. */
static void
redirect_uri(struct MHD_Connection *conn, const struct oauth_provider *prov,
    char *out, size_t size)
{
	const char *host = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
	    MHD_HTTP_HEADER_HOST);

	if (host != NULL && strlen(host) < 64 && loopback_host(host))
		snprintf(out, size, "http://%s/callback", host);
	else
		snprintf(out, size, "%s", prov->redirect_uri);
}

static enum MHD_Result
start(struct server *srv, struct MHD_Connection *conn, struct server_form *f)
{
	const struct server_account *sa = NULL;
	struct webauth_pending *e;
	struct err err = { 0 };
	char redirect[512], *url;
	enum MHD_Result ret;
	size_t i;

	if (f->bad || !webauth_csrf_ok(&srv->wa, f->csrf))
		return server_reply_text(conn, MHD_HTTP_FORBIDDEN, "the form's "
		    "CSRF token is missing or stale: reload the status page "
		    "and press the button again\n");
	for (i = 0; i < srv->cfg.naccounts && sa == NULL; i++)
		if (strcmp(srv->cfg.accounts[i].user, f->account) == 0 &&
		    srv->cfg.accounts[i].prov != NULL)
			sa = &srv->cfg.accounts[i];
	if (sa == NULL)
		return server_reply_text(conn, MHD_HTTP_NOT_FOUND,
		    "no such account\n");
	redirect_uri(conn, sa->prov, redirect, sizeof(redirect));
	e = webauth_add(&srv->wa, (size_t)(sa - srv->cfg.accounts), now_s());
	if ((url = oauth_page_begin(sa->prov, redirect, &e->p, &err)) == NULL) {
		webauth_drop(e);
		return reply_page(conn, MHD_HTTP_INTERNAL_SERVER_ERROR,
		    "Cannot start the authorization", err.msg);
	}
	log_info("authorization started on the status page", "user=%s "
	    "redirect_uri=%s", sa->user, redirect);
	ret = see_other(conn, url);
	free(url);
	return ret;
}

enum MHD_Result
server_authorize(struct server *srv, struct MHD_Connection *conn,
    const char *upload_data, size_t *upload_size, void **con_cls)
{
	struct server_form *f = *con_cls;
	enum MHD_Result ret;

	if (f == NULL) {	/* the headers: may this client? */
		if (!allowed(srv, conn, &ret)) {
			mhd_guard_busy(conn);
			return ret;
		}
		if ((f = calloc(1, sizeof(*f))) == NULL)
			return MHD_NO;
		*con_cls = f;
		f->pp = MHD_create_post_processor(conn, 1024, on_field, f);
		if (f->pp == NULL) {
			mhd_guard_busy(conn);
			return server_reply_text(conn,
			    MHD_HTTP_UNSUPPORTED_MEDIA_TYPE, "expected a form "
			    "(application/x-www-form-urlencoded)\n");
		}
		return MHD_YES;
	}
	if (*upload_size != 0) {
		f->got += *upload_size;
		if (f->got > FORM_MAX)
			f->bad = 1;
		else if (!f->bad && MHD_post_process(f->pp, upload_data,
		    *upload_size) != MHD_YES)
			f->bad = 1;
		*upload_size = 0;
		return MHD_YES;
	}
	mhd_guard_busy(conn);
	return start(srv, conn, f);
}

/* One code to exchange, on its own thread. */
struct job {
	struct server *srv;
	struct webauth_pending pend;
	char code[1024 * 2];
	char error[64];
	int has_code, has_error;
};

static void
outcome(struct server *srv, size_t account, int state, const char *text)
{
	struct server_outcome *o = &srv->outcomes[account];

	pthread_mutex_lock(&srv->lock);
	o->state = state;
	o->at = (int64_t)time(NULL);
	snprintf(o->text, sizeof(o->text), "%s", text);
	pthread_mutex_unlock(&srv->lock);
}

static void *
run_job(void *arg)
{
	struct job *j = arg;
	struct server *srv = j->srv;
	const struct server_account *sa = &srv->cfg.accounts[j->pend.account];
	struct err err = { 0 };
	char q[ERR_MSG_MAX + 16];
	int64_t exp = 0;

	if (oauth_page_finish(sa->prov, sa->oauth, srv->cfg.http, &j->pend.p,
	    j->has_code ? j->code : NULL, j->has_error ? j->error : NULL,
	    &exp, &err) == 0) {
		log_info("authorized on the status page", "user=%s "
		    "expires_at=%lld", sa->user, (long long)exp);
		outcome(srv, j->pend.account, API_AUTH_DONE, "");
		if (sa->authorized != NULL)
			sa->authorized(sa->arg);
	} else {
		log_warn("authorization on the status page failed", "user=%s "
		    "error=%s", sa->user, log_q(q, sizeof(q), err.msg));
		outcome(srv, j->pend.account, API_AUTH_FAILED, err.msg);
	}
	explicit_bzero(j, sizeof(*j));
	free(j);
	pthread_mutex_lock(&srv->lock);
	srv->job = 0;
	pthread_cond_broadcast(&srv->idle);
	pthread_mutex_unlock(&srv->lock);
	return NULL;
}

void
server_jobs_wait(struct server *srv)
{
	pthread_mutex_lock(&srv->lock);
	while (srv->job)
		pthread_cond_wait(&srv->idle, &srv->lock);
	pthread_mutex_unlock(&srv->lock);
}

/* Copy a callback parameter; 0 when it is absent or too long. */
static int
param(struct MHD_Connection *conn, const char *name, char *out, size_t size)
{
	const char *v = MHD_lookup_connection_value(conn,
	    MHD_GET_ARGUMENT_KIND, name);

	if (v == NULL || strlen(v) >= size)
		return 0;
	memcpy(out, v, strlen(v) + 1);
	return 1;
}

/* Start j's exchange: -1 when a thread cannot start (j is freed). */
static int
job_start(struct server *srv, struct job *j)
{
	pthread_attr_t attr;
	pthread_t t;
	int rc;

	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_mutex_lock(&srv->lock);
	srv->job = 1;
	srv->outcomes[j->pend.account].state = API_AUTH_RUNNING;
	srv->outcomes[j->pend.account].at = (int64_t)time(NULL);
	rc = pthread_create(&t, &attr, run_job, j);
	if (rc != 0) {
		srv->job = 0;
		srv->outcomes[j->pend.account].state = API_AUTH_FAILED;
		snprintf(srv->outcomes[j->pend.account].text,
		    sizeof(srv->outcomes[0].text), "cannot start a thread");
	}
	pthread_mutex_unlock(&srv->lock);
	pthread_attr_destroy(&attr);
	if (rc != 0) {
		explicit_bzero(j, sizeof(*j));
		free(j);
	}
	return rc == 0 ? 0 : -1;
}

enum MHD_Result
server_callback(struct server *srv, struct MHD_Connection *conn)
{
	struct job *j;
	enum MHD_Result ret;
	int busy;

	if (!allowed(srv, conn, &ret))
		return ret;
	pthread_mutex_lock(&srv->lock);
	busy = srv->job;
	pthread_mutex_unlock(&srv->lock);
	if (busy)	/* the state stays: a reload in a moment works */
		return reply_page(conn, MHD_HTTP_SERVICE_UNAVAILABLE, "Busy",
		    "Another authorization is being completed: reload this "
		    "page in a few seconds.");
	if ((j = calloc(1, sizeof(*j))) == NULL)
		return MHD_NO;
	j->srv = srv;
	if (webauth_take(&srv->wa, MHD_lookup_connection_value(conn,
	    MHD_GET_ARGUMENT_KIND, "state"), now_s(), &j->pend) == -1) {
		free(j);
		if (mhd_guard_log_allowed(srv->guard))
			log_warn("refused a callback: unknown, used or expired "
			    "state", NULL);
		return reply_page(conn, MHD_HTTP_BAD_REQUEST, "Unknown "
		    "authorization", "This authorization is unknown, used "
		    "already or older than 10 minutes: press Authorize on the "
		    "status page again.");
	}
	j->has_code = param(conn, "code", j->code, sizeof(j->code));
	j->has_error = param(conn, "error", j->error, sizeof(j->error));
	if (job_start(srv, j) == -1)
		return reply_page(conn, MHD_HTTP_INTERNAL_SERVER_ERROR,
		    "Not authorized", "cannot start a thread");
	return see_other(conn, "/");
}
