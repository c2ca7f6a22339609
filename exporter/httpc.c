/*
 * httpc: libcurl easy handles with SyncBit's limits (see httpc.h).
 *
 * One struct httpc per thread; the handle is reused so connections stay
 * alive between calls. Bodies are capped while they arrive: the write
 * callback refuses the byte that would cross the cap, so a hostile or
 * broken server cannot make us allocate without bound.
 */
#include <ctype.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#include "httpc.h"
#include "quit.h"

struct httpc {
	CURL *curl;
	uint64_t transfers;		/* httpc_do() calls: whose headers curl
					 * holds (httpc_header) */
	long connect_s;
	long total_s;
	char *user_agent;
	char *ca_file;
};

struct sink {
	char *buf;
	size_t len;
	size_t cap;		/* bytes allowed */
	int over;
};

/* The bytes of the current response's header block, against the cap
 * (curl keeps the headers themselves: curl_easy_header). */
struct head_count {
	size_t len;
	size_t cap;
	int over;
};

static pthread_once_t global_once = PTHREAD_ONCE_INIT;

static void
global_init(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
}

struct httpc *
httpc_new(long connect_s, long total_s, const char *user_agent,
    const char *ca_file)
{
	struct httpc *h;

	pthread_once(&global_once, global_init);
	if ((h = calloc(1, sizeof(*h))) == NULL)
		return NULL;
	h->connect_s = connect_s > 0 ? connect_s : 10;
	h->total_s = total_s > 0 ? total_s : 60;
	h->user_agent = strdup(user_agent != NULL ? user_agent : "syncbit");
	h->ca_file = ca_file != NULL && *ca_file != '\0' ? strdup(ca_file) :
	    NULL;
	h->curl = curl_easy_init();
	if (h->curl == NULL || h->user_agent == NULL) {
		httpc_free(h);
		return NULL;
	}
	return h;
}

void
httpc_free(struct httpc *h)
{
	if (h == NULL)
		return;
	if (h->curl != NULL)
		curl_easy_cleanup(h->curl);
	free(h->user_agent);
	free(h->ca_file);
	free(h);
}

void
httpc_resp_init(struct httpc_resp *r)
{
	memset(r, 0, sizeof(*r));
}

void
httpc_resp_release(struct httpc_resp *r)
{
	free(r->body);
	httpc_resp_init(r);
}

static int
sink_add(struct sink *s, const char *data, size_t n)
{
	char *buf;
	size_t cap;

	if (s->len + n > s->cap) {
		s->over = 1;
		return -1;
	}
	cap = 1024;
	while (cap < s->len + n + 1)
		cap *= 2;
	if ((buf = realloc(s->buf, cap)) == NULL)
		return -1;
	s->buf = buf;
	memcpy(s->buf + s->len, data, n);
	s->len += n;
	s->buf[s->len] = '\0';
	return 0;
}

static size_t
on_body(char *data, size_t size, size_t nmemb, void *arg)
{
	size_t n = size * nmemb;

	if (sink_add(arg, data, n) == -1)
		return 0;	/* curl aborts with CURLE_WRITE_ERROR */
	return n;
}

/* Abort a transfer in flight when shutdown is requested, unless it must
 * finish (arg: its struct httpc_req). */
static int
on_progress(void *arg, curl_off_t dltotal, curl_off_t dlnow,
    curl_off_t ultotal, curl_off_t ulnow)
{
	const struct httpc_req *req = arg;

	(void)dltotal;
	(void)dlnow;
	(void)ultotal;
	(void)ulnow;
	return !req->finish_on_quit && quit_requested();
}

static size_t
on_header(char *data, size_t size, size_t nmemb, void *arg)
{
	struct head_count *hc = arg;
	size_t n = size * nmemb;

	/* A new status line (redirect or 100-continue) starts a new block. */
	if (n > 5 && strncmp(data, "HTTP/", 5) == 0)
		hc->len = 0;
	if (hc->len + n > hc->cap) {
		hc->over = 1;
		return 0;	/* curl aborts the transfer */
	}
	hc->len += n;
	return n;
}

/* scheme://host[:port] of url, for messages: never a path or a query. */
static void
url_origin(const char *url, char *out, size_t size)
{
	const char *p = strstr(url, "://");
	size_t n;

	p = p != NULL ? p + 3 : url;
	n = strcspn(p, "/?#");
	snprintf(out, size, "%.*s%.*s", (int)(p - url), url, (int)n, p);
	/* drop user:pass@ if present */
	if ((p = strchr(out, '@')) != NULL) {
		char tmp[256];

		snprintf(tmp, sizeof(tmp), "%s", p + 1);
		snprintf(out, size, "%s", tmp);
	}
}

int
httpc_do(struct httpc *h, const struct httpc_req *req,
    struct httpc_resp *resp, struct err *err)
{
	struct curl_slist *hdrs = NULL;
	struct sink body = { 0 };
	struct head_count head = { 0 };
	char errbuf[CURL_ERROR_SIZE] = "", origin[256], *auth = NULL;
	const char *const *hp;
	CURLcode rc;
	int ret = -1;
	CURL *c = h->curl;

	httpc_resp_release(resp);
	curl_easy_reset(c);
	h->transfers++;
	body.cap = req->max_body > 0 ? req->max_body : HTTPC_DEFAULT_MAX_BODY;
	head.cap = HTTPC_MAX_HEADERS_BYTES;
	url_origin(req->url, origin, sizeof(origin));

	curl_easy_setopt(c, CURLOPT_URL, req->url);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, h->connect_s);
	curl_easy_setopt(c, CURLOPT_TIMEOUT,
	    req->timeout_s > 0 ? req->timeout_s : h->total_s);
	curl_easy_setopt(c, CURLOPT_USERAGENT, h->user_agent);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
	if (h->ca_file != NULL)
		curl_easy_setopt(c, CURLOPT_CAINFO, h->ca_file);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &body);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, &head);
	curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
	curl_easy_setopt(c, CURLOPT_XFERINFODATA, (void *)req);
	if (req->body != NULL || (req->method != NULL &&
	    strcmp(req->method, "POST") == 0)) {
		curl_easy_setopt(c, CURLOPT_POST, 1L);
		curl_easy_setopt(c, CURLOPT_POSTFIELDS,
		    req->body != NULL ? req->body : "");
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE,
		    (curl_off_t)req->body_len);
	}
	if (req->method != NULL && strcmp(req->method, "HEAD") == 0)
		curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
	else if (req->method != NULL && strcmp(req->method, "GET") != 0 &&
	    strcmp(req->method, "POST") != 0)
		curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, req->method);
	if (req->content_type != NULL) {
		char ct[256];

		snprintf(ct, sizeof(ct), "Content-Type: %s", req->content_type);
		hdrs = curl_slist_append(hdrs, ct);
	}
	if (req->bearer != NULL) {
		size_t n = strlen(req->bearer) + 32;

		if ((auth = malloc(n)) == NULL) {
			err_kind(err, ERR_TRANSIENT, "out of memory");
			goto out;
		}
		snprintf(auth, n, "Authorization: Bearer %s", req->bearer);
		hdrs = curl_slist_append(hdrs, auth);
	}
	if (req->basic_user != NULL) {
		curl_easy_setopt(c, CURLOPT_HTTPAUTH, CURLAUTH_BASIC);
		curl_easy_setopt(c, CURLOPT_USERNAME, req->basic_user);
		curl_easy_setopt(c, CURLOPT_PASSWORD,
		    req->basic_pass != NULL ? req->basic_pass : "");
	}
	for (hp = req->headers; hp != NULL && *hp != NULL; hp++)
		hdrs = curl_slist_append(hdrs, *hp);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);

	rc = curl_easy_perform(c);
	if (rc != CURLE_OK) {
		if (rc == CURLE_ABORTED_BY_CALLBACK)
			err_kind(err, ERR_STOP, "request to '%s' stopped: "
			    "shutting down", origin);
		else if (body.over)
			err_kind(err, ERR_TOO_LARGE,
			    "answer from '%s' is larger than %zu bytes",
			    origin, body.cap);
		else if (head.over)
			err_kind(err, ERR_TRANSIENT, "answer from '%s' has "
			    "headers larger than %zu bytes", origin, head.cap);
		else
			err_kind(err, ERR_TRANSIENT, "request to '%s' failed: %s",
			    origin, errbuf[0] != '\0' ? errbuf :
			    curl_easy_strerror(rc));
		goto out;
	}
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &resp->status);
	resp->body = body.buf != NULL ? body.buf : strdup("");
	resp->len = body.len;
	resp->http = h;
	resp->transfer = h->transfers;
	body.buf = NULL;
	if (resp->body == NULL) {
		httpc_resp_release(resp);
		err_kind(err, ERR_TRANSIENT, "out of memory");
		goto out;
	}
	ret = 0;
out:
	/* The Authorization header must not linger in freed memory. */
	if (auth != NULL) {
		explicit_bzero(auth, strlen(auth));
		free(auth);
	}
	curl_slist_free_all(hdrs);
	free(body.buf);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, NULL);
	return ret;
}

const char *
httpc_header(const struct httpc_resp *r, const char *name, char *buf,
    size_t size)
{
	struct curl_header *hh;
	const char *v;
	size_t vlen;

	/* curl holds the headers of the handle's last transfer only */
	if (r->http == NULL || r->transfer != r->http->transfers ||
	    curl_easy_header(r->http->curl, name, 0, CURLH_HEADER, -1,
	    &hh) != CURLHE_OK || size == 0)
		return NULL;
	for (v = hh->value; *v == ' ' || *v == '\t'; v++)
		;
	vlen = strlen(v);
	while (vlen > 0 && isspace((unsigned char)v[vlen - 1]))
		vlen--;
	if (vlen >= size)
		vlen = size - 1;
	memcpy(buf, v, vlen);
	buf[vlen] = '\0';
	return buf;
}

char *
httpc_escape(const char *s)
{
	char *esc, *out;

	/* the handle is ignored since curl 7.82.0 */
	if ((esc = curl_easy_escape(NULL, s, 0)) == NULL)
		return NULL;
	out = strdup(esc);	/* freed with free(), as before */
	explicit_bzero(esc, strlen(esc));	/* it may be a secret */
	curl_free(esc);
	return out;
}
