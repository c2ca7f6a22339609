/*
 * oauth_flow: `syncbit --authorize`, the authorization-code flow with
 * PKCE (S256) and state (see oauth.h).
 *
 * The main thread prints the authorization URL, then waits for the code
 * from either of two places: the loopback listener on the redirect URI's
 * host:port (oauth_listener.c, its own thread), or a redirected URL
 * pasted on stdin (headless hosts, pods). Both go through the same check
 * (oauth_callback.c): exactly our state, once; the first answer with it
 * settles the flow, anything else is refused and the wait goes on. Then
 * the code is exchanged and the tokens saved (0600, atomically).
 *
 * The code, the verifier and the tokens are wiped before returning and
 * never printed.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>

#include "expose/mhd_guard.h"
#include "httpc.h"
#include "log.h"
#include "oauth_private.h"
#include "quit.h"

#define TICK_MS		250

extern char **environ;

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

char *
oauth_authorize_url(const struct oauth_provider *p, const char *state,
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
paste_lines(struct oauth_flow *f, char *buf, size_t *len)
{
	struct oauth_cbargs a;
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
		    (oauth_cbargs_parse(q != NULL ? q : line, &a, &why) == -1 ||
		    oauth_flow_offer(f, &a, &why) == -1) && why.kind != ERR_AUTH)
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
flow_done(struct oauth_flow *f)
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
flow_wait(struct oauth_flow *f, int listening, int timeout_s, struct err *err)
{
	struct timespec t0;
	struct pollfd pfd = { .fd = STDIN_FILENO, .events = POLLIN };
	char buf[OAUTH_QUERY_MAX + 1024];
	size_t len = 0;
	ssize_t n;
	long left;
	int use_stdin = fcntl(STDIN_FILENO, F_GETFL) != -1, rc = -1;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (!flow_done(f)) {
		if (quit_requested()) {
			err_kind(err, ERR_STOP, "stopping");
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
	rc = f->err.set ? err_copy(err, &f->err) : 0;
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

int
oauth_exchange(const struct oauth_provider *p, struct httpc *h, const char *code,
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
		return err_kind(err, ERR_AUTH, "%s refused the authorization "
		    "code (invalid_grant): a code works once and for 10 "
		    "minutes, and the redirect URI must match the app's; run "
		    "'syncbit --authorize' again", p->name);
	if (rc == -1)
		return err_copy(err, &e);
	return 0;
}

int
oauth_authorize(const struct oauth_provider *p, struct httpc *h,
    int bind_all, int timeout_s, struct err *err)
{
	struct oauth_flow f;
	struct oauth_redirect r;
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
	if (oauth_redirect_parse(p, &r, err) == -1 ||
	    oauth_pkce_verifier(verifier, err) == -1 ||
	    oauth_random_state(state, err) == -1)
		goto out;
	oauth_pkce_challenge(verifier, challenge);
	log_add_secret(p->client_secret);
	log_add_secret(verifier);
	if ((url = oauth_authorize_url(p, state, challenge)) == NULL) {
		err_set(err, "out of memory");
		goto out;
	}
	f.path = r.path;
	f.state = state;
	oauth_env_name(p, "REDIRECT_URI", var, sizeof(var));
	if (r.http && (r.loopback || bind_all)) {
		if ((d = oauth_listen_start(&f, &r, bind_all, err)) == NULL)
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
	if ((rc = oauth_exchange(p, h, f.code, verifier, &t, err)) == -1)
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
