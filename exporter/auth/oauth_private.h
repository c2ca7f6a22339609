/*
 * oauth_private.h: what oauth.c (the service), oauth_token.c (PKCE, the
 * token file and endpoint) and --authorize (oauth_flow.c, the flow;
 * oauth_callback.c, the redirect's check; oauth_listener.c, the loopback
 * listener) share. Not for other modules: use oauth.h.
 */
#ifndef SYNCBIT_OAUTH_PRIVATE_H
#define SYNCBIT_OAUTH_PRIVATE_H

#include <pthread.h>
#include <stdint.h>
#include <time.h>

#include "oauth.h"
#include "sha256.h"

/* Cap on a token-endpoint answer and on the token file. */
#define OAUTH_MAX_BODY (64 * 1024)
/* Tries of one token request; waits 1, 2, 4, 8 s between them. */
#define OAUTH_TRIES 5

/* The running service (oauth.c); tests read it to check its state. */
struct oauth {
	struct oauth_provider prov;	/* a copy; its strings are borrowed */
	struct httpc *http;
	pthread_mutex_t lock;
	struct oauth_tokens tok;	/* under lock */
	uint8_t disk[SHA256_LEN];	/* file content as last read/written */
	int have_disk;
	int unsaved;			/* tok is newer than the file */
	int client_bad;			/* invalid_client: stop asking */
	time_t save_retry_at;
	time_t refresh_retry_at;
	time_t refreshed_at;		/* our last refresh (0: none yet) */
	_Atomic int state;		/* enum oauth_state */
};

/* Why the token endpoint refused a request, for the caller's policy. */
enum oauth_refusal {
	OAUTH_REFUSED_NONE,	/* no refusal: success or a transient error */
	OAUTH_REFUSED_GRANT,	/* invalid_grant: the code or token is dead */
	OAUTH_REFUSED_CLIENT,	/* invalid_client: wrong id or secret */
	OAUTH_REFUSED_OTHER,	/* another 4xx: retrying will not help */
};

/*
 * POST form (the grant's own fields, values already percent-encoded) to
 * prov->token_url with the client credentials, retrying transient
 * failures (no answer, 429, 5xx) with backoff. On success out holds the
 * tokens; old_refresh is kept when the answer has no refresh_token.
 * On failure: err.kind ERR_TRANSIENT, ERR_STOP or ERR_AUTH, and *why.
 * Nothing secret reaches err: the body is parsed for the error name only.
 */
int oauth_token_post(const struct oauth_provider *, struct httpc *,
    const char *form, const char *old_refresh, struct oauth_tokens *out,
    enum oauth_refusal *why, struct err *);

/* Write t to path (0600, atomically); hash, unless NULL, gets the digest
 * of what was written, even when a late step (directory fsync) failed. */
int oauth_tokens_write(const char *path, const struct oauth_tokens *,
    uint8_t hash[SHA256_LEN], struct err *);
/* Parse the token file's content; errors name path, never the content. */
int oauth_tokens_parse(const char *path, const char *buf, size_t len,
    struct oauth_tokens *, struct err *);

/* Append "&name=value" to the malloc'd *form, value percent-encoded; the
 * old string is wiped and freed. -1 when out of memory (*form unchanged). */
int oauth_form_add(char **form, const char *name, const char *value);

/* "FITBIT_REDIRECT_URI" from prov->name "fitbit" and "REDIRECT_URI". */
void oauth_env_name(const struct oauth_provider *, const char *suffix,
    char *buf, size_t size);

/* The clock every token decision uses: time(NULL) unless a test set its
 * own (oauth_set_clock(NULL) goes back to time(NULL)). */
time_t oauth_now(void);
void oauth_set_clock(time_t (*now)(void));

/* --- --authorize and the page (oauth_page.c) --- */

/* The authorization URL (PKCE S256) for p->redirect_uri, malloc'd; NULL
 * when out of memory. */
char *oauth_authorize_url(const struct oauth_provider *, const char *state,
    const char *challenge);
/* Exchange code (with verifier and p->redirect_uri) for tokens in t. */
int oauth_exchange(const struct oauth_provider *, struct httpc *,
    const char *code, const char *verifier, struct oauth_tokens *t,
    struct err *);

#define OAUTH_CODE_MAX	2048	/* Google's codes are ~75 characters */
#define OAUTH_QUERY_MAX	8192

struct mhd_guard;
struct MHD_Daemon;

/* One callback's parameters, decoded. Counts catch repeated keys. */
struct oauth_cbargs {
	char state[64];
	char code[OAUTH_CODE_MAX];
	char error[64];
	int nstate, ncode, nerror, code_long;
};

/* One --authorize wait, shared by the main thread and the listener's
 * thread, under lock. */
struct oauth_flow {
	pthread_mutex_t lock;
	const char *path;
	const char *state;
	struct mhd_guard *guard;	/* the listener's; set before it starts */
	int done;		/* a code or a final error arrived */
	char code[OAUTH_CODE_MAX];
	struct err err;		/* the final error when done without code */
};

/* The pieces of the redirect URI that the listener needs. */
struct oauth_redirect {
	int http;		/* 0: https, no listener possible */
	int loopback;
	char host[256];		/* without [] */
	int port;
	char path[1024];
};

/* Record one decoded parameter (key "state", "code" or "error"; others
 * are ignored). value NULL is "". */
void oauth_cbargs_add(struct oauth_cbargs *, const char *key,
    const char *value);
/* Split and decode a query (leading '?' and a '#fragment' allowed) into
 * a; -1 with err code 400 when it is malformed or too long. */
int oauth_cbargs_parse(const char *query, struct oauth_cbargs *,
    struct err *);
/* Record the outcome of one callback: 0 done with the code in f->code;
 * -1 otherwise with why (ERR_AUTH: the flow is over; 409: it was over
 * already; 400: ignored). */
int oauth_flow_offer(struct oauth_flow *, const struct oauth_cbargs *,
    struct err *why);

/* Parse prov->redirect_uri: http[s]://host[:port][/path][?query], no
 * user info. Errors name the variable (FITBIT_REDIRECT_URI). */
int oauth_redirect_parse(const struct oauth_provider *,
    struct oauth_redirect *, struct err *);
/* Listen where the browser will be sent (bind_all: on all interfaces);
 * sets f->guard. NULL with err when impossible. Stop with
 * MHD_stop_daemon, then mhd_guard_free(f->guard). */
struct MHD_Daemon *oauth_listen_start(struct oauth_flow *,
    const struct oauth_redirect *, int bind_all, struct err *);

#endif
