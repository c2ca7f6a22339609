/*
 * oauth_authorize: `syncbit --authorize`, the authorization-code flow with
 * PKCE (S256) and state (see oauth.h).
 *
 * The main thread prints the authorization URL, then waits for the code
 * from either of two places: a libmicrohttpd listener on the redirect
 * URI's host:port (its own thread), or a redirected URL pasted on stdin
 * (headless hosts, pods). Both go through the same check: exactly our
 * state, once; the first answer with it settles the flow, anything else
 * is refused and the wait goes on. Then the code is exchanged and the
 * tokens saved (0600, atomically).
 *
 * The code, the verifier and the tokens are wiped before returning and
 * never printed; the listener logs no request line (the code is in it).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>

#include "httpc.h"
#include "log.h"
#include "mhd_guard.h"
#include "oauth_private.h"
#include "quit.h"

#define CODE_MAX	2048	/* Google's codes are ~75 characters */
#define QUERY_MAX	8192
#define TICK_MS		250
#define REQUEST_DEADLINE_S 10	/* for a complete request (mhd_guard.h) */

extern char **environ;

/* The pieces of the redirect URI that the listener needs. */
struct redirect {
	int http;		/* 0: https, no listener possible */
	int loopback;
	char host[256];		/* without [] */
	int port;
	char path[1024];
};

/* One callback's parameters, decoded. Counts catch repeated keys. */
struct cbargs {
	char state[64];
	char code[CODE_MAX];
	char error[64];
	int nstate, ncode, nerror, code_long;
};

/* Shared by the main thread and the listener's thread, under lock. */
struct flow {
	pthread_mutex_t lock;
	const char *path;
	const char *state;
	struct mhd_guard *guard;	/* the listener's; set before it starts */
	int done;		/* a code or a final error arrived */
	char code[CODE_MAX];
	struct err err;		/* the final error when done without code */
};

/* --- the callback check --- */

/* Compare without an early exit, so timing tells nothing about state. */
static int
same_secret(const char *a, const char *b)
{
	size_t i, n = strlen(b);
	unsigned char d = 0;

	if (strlen(a) != n)
		return 0;
	for (i = 0; i < n; i++)
		d |= (unsigned char)(a[i] ^ b[i]);
	return d == 0;
}

static void
cbargs_add(struct cbargs *a, const char *key, const char *value)
{
	size_t n, i;

	if (value == NULL)
		value = "";
	n = strlen(value);
	if (strcmp(key, "state") == 0) {
		a->nstate++;
		/* too long: cannot be ours, and "" never matches */
		snprintf(a->state, sizeof(a->state), "%s",
		    n < sizeof(a->state) ? value : "");
	} else if (strcmp(key, "code") == 0) {
		a->ncode++;
		a->code_long = n >= sizeof(a->code);
		snprintf(a->code, sizeof(a->code), "%s",
		    a->code_long ? "" : value);
	} else if (strcmp(key, "error") == 0) {
		a->nerror++;
		/* it ends up in messages: keep the harmless characters */
		for (i = 0; i < n && i + 1 < sizeof(a->error); i++)
			a->error[i] = (value[i] >= 'a' && value[i] <= 'z') ||
			    value[i] == '_' ? value[i] : '?';
		a->error[i] = '\0';
	}
}

/*
 * 0 and the code when the callback carries our state and a code. -1
 * otherwise: err.code ERR_AUTH when the flow is over (the user or the
 * server said no), 400 when the request is to be ignored.
 */
static int
cbargs_check(const struct cbargs *a, const char *state, char *code,
    size_t size, struct err *err)
{
	if (a->nstate != 1 || !same_secret(a->state, state))
		return err_setc(err, 400, "state mismatch");
	if (a->nerror > 0) {
		if (strcmp(a->error, "access_denied") == 0)
			return err_setc(err, ERR_AUTH, "authorization denied "
			    "by the user (access_denied)");
		return err_setc(err, ERR_AUTH, "authorization failed: %s",
		    a->error[0] != '\0' ? a->error : "unknown error");
	}
	if (a->ncode != 1 || a->code[0] == '\0')
		return err_setc(err, 400, a->code_long ? "'code' is too long" :
		    a->ncode > 1 ? "more than one 'code'" : "missing 'code'");
	if (strlen(a->code) >= size)
		return err_setc(err, 400, "'code' is too long");
	strcpy(code, a->code);
	return 0;
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

/* Decode application/x-www-form-urlencoded s[0..n) into out, in place.
 * "%00" is malformed: the NUL would cut the value short ("state=S%00x"
 * would compare equal to S). */
static int
form_decode(const char *s, size_t n, char *out)
{
	size_t i, o = 0;
	int hi, lo;

	for (i = 0; i < n; i++) {
		if (s[i] == '+')
			out[o++] = ' ';
		else if (s[i] != '%')
			out[o++] = s[i];
		else {
			if (i + 2 >= n || (hi = hexval(s[i + 1])) < 0 ||
			    (lo = hexval(s[i + 2])) < 0 || (hi | lo) == 0)
				return -1;
			out[o++] = (char)(hi << 4 | lo);
			i += 2;
		}
	}
	out[o] = '\0';
	return 0;
}

/* Split a query (leading '?' and a '#fragment' allowed) into a. */
static int
query_parse(const char *query, struct cbargs *a, struct err *err)
{
	char key[QUERY_MAX], value[QUERY_MAX];
	const char *p, *amp, *eq, *end;
	int rc = -1;

	memset(a, 0, sizeof(*a));
	if (*query == '?')
		query++;
	end = query + strcspn(query, "#");
	if ((size_t)(end - query) >= QUERY_MAX)
		return err_setc(err, 400, "query is too long");
	for (p = query; p < end; p = amp + 1) {
		if ((amp = memchr(p, '&', (size_t)(end - p))) == NULL)
			amp = end;
		if ((eq = memchr(p, '=', (size_t)(amp - p))) == NULL)
			eq = amp;
		if (form_decode(p, (size_t)(eq - p), key) == -1 ||
		    form_decode(eq + (eq < amp), (size_t)(amp - eq) -
		    (eq < amp), value) == -1) {
			err_setc(err, 400, "malformed query");
			goto out;
		}
		cbargs_add(a, key, value);
	}
	rc = 0;
out:
	explicit_bzero(value, sizeof(value));
	return rc;
}

int
oauth_callback_parse(const char *query, const char *state, char *code,
    size_t size, struct err *err)
{
	struct cbargs a;
	int rc;

	rc = query_parse(query, &a, err);
	if (rc == 0)
		rc = cbargs_check(&a, state, code, size, err);
	explicit_bzero(&a, sizeof(a));
	return rc;
}

/* Record the outcome of one callback; 0 done with code, -1 otherwise. */
static int
flow_offer(struct flow *f, const struct cbargs *a, struct err *why)
{
	int rc = -1;

	pthread_mutex_lock(&f->lock);
	if (f->done) {
		err_setc(why, 409, "this authorization is complete already");
		goto out;
	}
	rc = cbargs_check(a, f->state, f->code, sizeof(f->code), why);
	if (rc == 0 || why->code == ERR_AUTH) {
		f->done = 1;
		if (rc == -1)
			err_setc(&f->err, why->code, "%s", why->msg);
	}
out:
	pthread_mutex_unlock(&f->lock);
	return rc;
}

/* --- the listener --- */

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
		cbargs_add(cls, key, value);
	return MHD_YES;
}

static enum MHD_Result
on_request(void *cls, struct MHD_Connection *conn, const char *url,
    const char *method, const char *version, const char *upload_data,
    size_t *upload_size, void **con_cls)
{
	struct flow *f = cls;
	struct cbargs a;
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
	if (flow_offer(f, &a, &why) == 0)
		ret = reply(conn, MHD_HTTP_OK, "authorized", NULL);
	else if (why.code == ERR_AUTH) {
		snprintf(text, sizeof(text), "SyncBit was not authorized: %s. "
		    "Run <code>syncbit --authorize</code> again to retry.",
		    why.msg);
		ret = reply(conn, MHD_HTTP_FORBIDDEN, "not authorized", text);
	} else if (why.code == 409)
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

/* http[s]://host[:port][/path][?query]; no user info. */
static int
redirect_parse(const struct oauth_provider *p, struct redirect *r,
    struct err *err)
{
	const char *u = p->redirect_uri, *h, *e, *port = NULL;
	char var[64], *end;
	long n;

	oauth_env_name(p, "REDIRECT_URI", var, sizeof(var));
	memset(r, 0, sizeof(*r));
	if (strncasecmp(u, "http://", 7) == 0) {
		r->http = 1;
		h = u + 7;
	} else if (strncasecmp(u, "https://", 8) == 0)
		h = u + 8;
	else
		return err_set(err, "%s '%s' is not an http(s) URL", var, u);
	e = h + strcspn(h, "/?#");
	if (memchr(h, '@', (size_t)(e - h)) != NULL)
		return err_set(err, "%s must not hold a user name", var);
	if (*h == '[') {
		const char *rb = memchr(h, ']', (size_t)(e - h));

		if (rb == NULL || (size_t)(rb - h - 1) >= sizeof(r->host))
			return err_set(err, "%s has a bad host", var);
		memcpy(r->host, h + 1, (size_t)(rb - h - 1));
		if (rb[1] == ':')
			port = rb + 2;
	} else {
		const char *colon = memchr(h, ':', (size_t)(e - h));
		const char *he = colon != NULL ? colon : e;

		if (he == h || (size_t)(he - h) >= sizeof(r->host))
			return err_set(err, "%s has a bad host", var);
		memcpy(r->host, h, (size_t)(he - h));
		if (colon != NULL)
			port = colon + 1;
	}
	r->port = r->http ? 80 : 443;
	if (port != NULL) {
		errno = 0;
		n = strtol(port, &end, 10);
		if (end != e || port == e || errno != 0 || n < 1 || n > 65535)
			return err_set(err, "%s has a bad port", var);
		r->port = (int)n;
	}
	n = (long)strcspn(e, "?#");
	if (*e != '/')
		snprintf(r->path, sizeof(r->path), "/");
	else if ((size_t)n >= sizeof(r->path))
		return err_set(err, "%s has a path that is too long", var);
	else
		snprintf(r->path, sizeof(r->path), "%.*s", (int)n, e);
	r->loopback = loopback_host(r->host);
	return 0;
}

/* Listen where the browser will be sent. NULL with err when impossible. */
static struct MHD_Daemon *
listen_start(struct flow *f, const struct redirect *r, int bind_all,
    struct err *err)
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

/* --- the terminal --- */

/* Only where a desktop session can show a browser; failures are fine. */
static pid_t
browser_open(const char *url)
{
	posix_spawn_file_actions_t fa;
	char *argv[] = { "xdg-open", (char *)url, NULL };
	pid_t pid = -1;

	if (getenv("DISPLAY") == NULL && getenv("WAYLAND_DISPLAY") == NULL)
		return -1;
	if (posix_spawn_file_actions_init(&fa) != 0)
		return -1;
	/* it must not read the pasted URL from our stdin */
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	if (posix_spawnp(&pid, "xdg-open", &fa, NULL, argv, environ) != 0)
		pid = -1;
	posix_spawn_file_actions_destroy(&fa);
	return pid;
}

static char *
authorize_url(const struct oauth_provider *p, const char *state,
    const char *challenge)
{
	const char *names[] = { "client_id", "response_type", "redirect_uri",
	    "scope", "state", "code_challenge", "code_challenge_method" };
	const char *values[] = { p->client_id, "code", p->redirect_uri,
	    p->scopes, state, challenge, "S256" };
	char *url = NULL, *esc;
	size_t i, len = 0;
	FILE *f;
	int bad = 0;

	if ((f = open_memstream(&url, &len)) == NULL)
		return NULL;
	fputs(p->auth_url, f);
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if ((esc = httpc_escape(values[i])) == NULL) {
			bad = 1;
			break;
		}
		fprintf(f, "%c%s=%s", i > 0 || strchr(p->auth_url, '?') !=
		    NULL ? '&' : '?', names[i], esc);
		free(esc);
	}
	/* a provider constant, encoded already */
	if (p->extra_params != NULL && *p->extra_params != '\0')
		fprintf(f, "&%s", p->extra_params);
	if (fclose(f) != 0 || bad) {
		free(url);
		return NULL;
	}
	return url;
}

/* Try each complete line of stdin as a pasted redirect. */
static void
paste_lines(struct flow *f, char *buf, size_t *len)
{
	struct cbargs a;
	struct err why;
	char *nl, *line, *q, *end;

	while ((nl = memchr(buf, '\n', *len)) != NULL) {
		*nl = '\0';
		line = buf + strspn(buf, " \t\r");
		end = line + strlen(line);
		while (end > line && strchr(" \t\r", end[-1]) != NULL)
			*--end = '\0';
		/* a whole URL, or only its query */
		q = strchr(line, '?');
		err_clear(&why);
		if (*line != '\0' &&
		    (query_parse(q != NULL ? q : line, &a, &why) == -1 ||
		    flow_offer(f, &a, &why) == -1) && why.code != ERR_AUTH)
			fprintf(stderr, "syncbit: that is not the redirect of "
			    "this authorization (%s); paste the whole URL from "
			    "the browser's address bar\n", why.msg);
		explicit_bzero(&a, sizeof(a));
		explicit_bzero(buf, (size_t)(nl + 1 - buf));
		*len -= (size_t)(nl + 1 - buf);
		memmove(buf, nl + 1, *len);
	}
}

static int
flow_done(struct flow *f)
{
	int done;

	pthread_mutex_lock(&f->lock);
	done = f->done;
	pthread_mutex_unlock(&f->lock);
	return done;
}

static long
ms_since(const struct timespec *t0)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (now.tv_sec - t0->tv_sec) * 1000L +
	    (now.tv_nsec - t0->tv_nsec) / 1000000L;
}

/* Until the flow is done: poll stdin for a pasted URL, bounded by time. */
static int
flow_wait(struct flow *f, int listening, int timeout_s, struct err *err)
{
	struct timespec t0;
	struct pollfd pfd = { .fd = STDIN_FILENO, .events = POLLIN };
	char buf[QUERY_MAX + 1024];
	size_t len = 0;
	ssize_t n;
	long left;
	int use_stdin = fcntl(STDIN_FILENO, F_GETFL) != -1, rc = -1;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (!flow_done(f)) {
		if (quit_requested()) {
			err_setc(err, ERR_STOP, "stopping");
			goto out;
		}
		if (!listening && !use_stdin) {
			err_set(err, "stdin is closed and no callback listener "
			    "runs: nothing can bring the code");
			goto out;
		}
		left = (long)timeout_s * 1000 - ms_since(&t0);
		if (left <= 0) {
			err_set(err, "timed out after %d s waiting for the "
			    "callback", timeout_s);
			goto out;
		}
		if (left > TICK_MS)
			left = TICK_MS;
		if (!use_stdin) {
			quit_sleep(left);
			continue;
		}
		if (poll(&pfd, 1, (int)left) <= 0)
			continue;
		if (pfd.revents & POLLNVAL) {
			use_stdin = 0;
			continue;
		}
		n = read(STDIN_FILENO, buf + len, sizeof(buf) - 1 - len);
		if (n == -1 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n <= 0) {
			use_stdin = 0;	/* EOF: only the listener is left */
			continue;
		}
		len += (size_t)n;
		if (len == sizeof(buf) - 1 && memchr(buf, '\n', len) == NULL) {
			fprintf(stderr, "syncbit: pasted line too long, "
			    "ignored\n");
			len = 0;
		}
		paste_lines(f, buf, &len);
	}
	pthread_mutex_lock(&f->lock);
	rc = f->err.set ? err_setc(err, f->err.code, "%s", f->err.msg) : 0;
	pthread_mutex_unlock(&f->lock);
out:
	explicit_bzero(buf, sizeof(buf));
	return rc;
}

/* --- after the callback --- */

/* Users may untick scopes: say which, once, rather than fail later. */
static void
scopes_check(const struct oauth_provider *p, const char *granted)
{
	char want[2048], missing[2048] = "", *tok, *save = NULL;
	const char *g;
	size_t n, o = 0;

	if (*granted == '\0')
		return;		/* the answer did not say: assume all */
	snprintf(want, sizeof(want), "%s", p->scopes);
	for (tok = strtok_r(want, " ", &save); tok != NULL;
	    tok = strtok_r(NULL, " ", &save)) {
		n = strlen(tok);
		for (g = strstr(granted, tok); g != NULL;
		    g = strstr(g + 1, tok))
			if ((g == granted || g[-1] == ' ') &&
			    (g[n] == '\0' || g[n] == ' '))
				break;
		if (g == NULL && o + n + 2 < sizeof(missing))
			o += (size_t)snprintf(missing + o, sizeof(missing) - o,
			    "%s%s", o > 0 ? " " : "", tok);
	}
	if (o > 0)
		fprintf(stderr, "syncbit: warning: scopes not granted: %s; "
		    "their metrics stay missing until --authorize runs again "
		    "and they are allowed\n", missing);
}

static int
exchange(const struct oauth_provider *p, struct httpc *h, const char *code,
    const char *verifier, struct oauth_tokens *t, struct err *err)
{
	enum oauth_refusal why;
	struct err e = { 0 };
	char *form;
	int rc;

	if ((form = strdup("grant_type=authorization_code")) == NULL ||
	    oauth_form_add(&form, "code", code) == -1 ||
	    oauth_form_add(&form, "redirect_uri", p->redirect_uri) == -1 ||
	    oauth_form_add(&form, "code_verifier", verifier) == -1) {
		free(form);
		return err_set(err, "out of memory");
	}
	rc = oauth_token_post(p, h, form, NULL, t, &why, &e);
	explicit_bzero(form, strlen(form));
	free(form);
	if (rc == -1 && why == OAUTH_REFUSED_GRANT)
		return err_setc(err, ERR_AUTH, "%s refused the authorization "
		    "code (invalid_grant): a code works once and for 10 "
		    "minutes, and the redirect URI must match the app's; run "
		    "'syncbit --authorize' again", p->name);
	if (rc == -1)
		return err_setc(err, e.code, "%s", e.msg);
	return 0;
}

int
oauth_authorize(const struct oauth_provider *p, struct httpc *h,
    int bind_all, int timeout_s, struct err *err)
{
	struct flow f;
	struct redirect r;
	struct oauth_tokens t;
	struct MHD_Daemon *d = NULL;
	char verifier[OAUTH_VERIFIER_LEN + 1], challenge[44], state[33];
	char var[64], *url = NULL, when[32];
	pid_t browser = -1;
	time_t exp;
	struct tm tm;
	int rc = -1;

	memset(&f, 0, sizeof(f));
	memset(&t, 0, sizeof(t));
	pthread_mutex_init(&f.lock, NULL);
	if (redirect_parse(p, &r, err) == -1 ||
	    oauth_pkce_verifier(verifier, err) == -1 ||
	    oauth_random_state(state, err) == -1)
		goto out;
	oauth_pkce_challenge(verifier, challenge);
	log_add_secret(p->client_secret);
	log_add_secret(verifier);
	if ((url = authorize_url(p, state, challenge)) == NULL) {
		err_set(err, "out of memory");
		goto out;
	}
	f.path = r.path;
	f.state = state;
	oauth_env_name(p, "REDIRECT_URI", var, sizeof(var));
	if (r.http && (r.loopback || bind_all)) {
		if ((d = listen_start(&f, &r, bind_all, err)) == NULL)
			goto out;
	} else
		fprintf(stderr, "syncbit: %s '%s' is not a loopback http URL, "
		    "so SyncBit cannot receive the redirect itself%s\n", var,
		    p->redirect_uri, r.http ? " (--listen-all would listen "
		    "on all interfaces)" : "");
	fprintf(stderr, "Open this URL in a browser and allow SyncBit to read "
	    "your %s data:\n", p->name);
	printf("%s\n", url);
	fflush(stdout);
	fprintf(stderr, "Waiting up to %d s for the browser's redirect%s. "
	    "Without a browser here, open the URL elsewhere, then paste the "
	    "address the browser ends up on (even an error page) here and "
	    "press Enter.\n", timeout_s, d != NULL ? "" : " (paste only)");
	browser = browser_open(url);
	rc = flow_wait(&f, d != NULL, timeout_s, err);
	if (d != NULL) {
		MHD_stop_daemon(d);
		d = NULL;
	}
	mhd_guard_free(f.guard);
	f.guard = NULL;
	if (rc == -1)
		goto out;
	log_add_secret(f.code);
	if ((rc = exchange(p, h, f.code, verifier, &t, err)) == -1)
		goto out;
	log_add_secret(t.access_token);
	log_add_secret(t.refresh_token);
	if (oauth_tokens_save(p->token_path, &t, err) == -1) {
		rc = -1;
		goto out;
	}
	scopes_check(p, t.scope);
	exp = (time_t)t.expires_at;
	gmtime_r(&exp, &tm);
	strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", &tm);
	printf("authorized: %s tokens saved to '%s' (access token valid until "
	    "%s UTC)\n", p->name, p->token_path, when);
	fflush(stdout);
out:
	if (d != NULL)
		MHD_stop_daemon(d);
	mhd_guard_free(f.guard);
	if (browser > 0)
		waitpid(browser, NULL, WNOHANG);
	free(url);
	oauth_tokens_wipe(&t);
	explicit_bzero(verifier, sizeof(verifier));
	explicit_bzero(state, sizeof(state));
	explicit_bzero(f.code, sizeof(f.code));
	pthread_mutex_destroy(&f.lock);
	return rc;
}
