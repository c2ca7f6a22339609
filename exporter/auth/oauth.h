/*
 * oauth: provider-neutral OAuth2 for a single user: the authorization-code
 * flow with PKCE (S256) and state, refresh, and the token file.
 *
 * The token file (DATA_DIR/fitbit_tokens.json or google_tokens.json) is
 * created 0600 and only ever replaced atomically (file_write_atomic). A
 * refreshed pair is on disk before the new access token is handed out, so
 * a single-use refresh token can never be lost. One refresh at a time:
 * struct oauth serialises refreshes on a mutex and re-reads the file first.
 * No function here logs a token, a code or a token-endpoint body.
 */
#ifndef SYNCBIT_OAUTH_H
#define SYNCBIT_OAUTH_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "err.h"

struct httpc;

struct stats_account;

struct oauth_provider {
	const char *name;		/* "fitbit", "google": for messages */
	const char *auth_url;
	const char *token_url;
	const char *client_id;
	const char *client_secret;
	const char *redirect_uri;
	const char *scopes;		/* space-separated */
	int basic_auth;			/* 1: Basic header; 0: id+secret in body */
	const char *extra_params;	/* appended to the authorize URL, or NULL */
	const char *token_path;		/* full path of the token file */
	/* one line telling the user what to do when refresh says invalid_grant */
	const char *invalid_grant_hint;
	struct stats_account *stats;	/* its token expiry; NULL: the first */
};

struct oauth_tokens {
	char access_token[4096];
	char refresh_token[4096];
	int64_t expires_at;		/* UTC seconds */
	int64_t lifetime;		/* s the token was granted for (expires_in); 0: unknown */
	char scope[2048];
	char user_id[128];
};

/* --- PKCE and helpers (pure; exported for tests) --- */
#define OAUTH_VERIFIER_LEN 64
/* Random verifier of OAUTH_VERIFIER_LEN unreserved characters (CSPRNG). */
int oauth_pkce_verifier(char out[OAUTH_VERIFIER_LEN + 1], struct err *);
/* base64url(SHA-256(verifier)) without padding: 43 characters. */
void oauth_pkce_challenge(const char *verifier, char out[44]);
/* Random state: 32 url-safe characters. */
int oauth_random_state(char out[33], struct err *);

/* 1 when a and b are equal, compared without an early exit (only their
 * lengths may show): timing tells nothing about a state or a token. */
int oauth_same_secret(const char *a, const char *b);

/* Token file: JSON {access_token, refresh_token, expires_at, scope, user_id}
 * and "expires_in", the granted lifetime (absent in older files). */
int oauth_tokens_save(const char *path, const struct oauth_tokens *,
    struct err *);
/* Parse a token-endpoint success body (expires_in relative to now). A body
 * without refresh_token keeps old_refresh (Google does not always rotate). */
int oauth_tokens_from_json(const char *body, size_t len, time_t now,
    const char *old_refresh, struct oauth_tokens *, struct err *);
/* Wipe secrets (explicit_bzero). */
void oauth_tokens_wipe(struct oauth_tokens *);

/* --- the running service --- */
struct oauth;

enum oauth_state {
	OAUTH_OK,
	OAUTH_NO_TOKEN,		/* no token file: run --authorize */
	OAUTH_INVALID_GRANT,	/* refresh refused: run --authorize */
};

/* Loads the token file if present. Does not take ownership of prov
 * strings: they must outlive the struct oauth. */
struct oauth *oauth_new(const struct oauth_provider *, struct httpc *);
/* The client later refreshes use (a fleet worker lends its own). */
void oauth_use_http(struct oauth *, struct httpc *);
void oauth_free(struct oauth *);

enum oauth_state oauth_state(struct oauth *);
/* Take the token file over when it changed (the page or --authorize
 * wrote a new pair; a missing file changes nothing), then the state. */
enum oauth_state oauth_recheck(struct oauth *);
/* Save a new pair to the token file and take it over, under the lock a
 * refresh holds: a refresh of the old grant either ends before (the new
 * pair replaces its answer) or starts after (it refreshes the new one),
 * so it never overwrites the new pair. */
int oauth_install(struct oauth *, const struct oauth_tokens *, struct err *);

/*
 * A usable access token in buf: refreshes first when it expires within
 * min(OAUTH_REFRESH_AHEAD, half its lifetime) seconds, but not within
 * OAUTH_REFRESH_GAP seconds of the token's issue or the last refresh
 * unless it has expired (a short-lived token is not refreshed before every
 * request; a 401 still refreshes at once). Transient refresh failures (5xx, network)
 * are retried with backoff up to a few attempts, then err ERR_TRANSIENT.
 * invalid_grant: err ERR_AUTH, state OAUTH_INVALID_GRANT, and no further
 * request is made until the token file changes (a new --authorize).
 */
#define OAUTH_REFRESH_AHEAD 300
#define OAUTH_REFRESH_GAP 60
int oauth_access_token(struct oauth *, char *buf, size_t size, struct err *);
/* The API said 401 expired/invalid token for `used`: refresh unless
 * another caller already did, then hand out the new one. */
int oauth_refresh_after_401(struct oauth *, const char *used, char *buf,
    size_t size, struct err *);

/*
 * --authorize: print the URL on stdout, listen on the redirect URI's
 * host:port (bind_all: listen on all interfaces, for containers), also
 * accept the redirected URL pasted on stdin, check state, exchange the
 * code, save the tokens. timeout_s bounds the wait. Returns 0 or -1.
 */
int oauth_authorize(const struct oauth_provider *, struct httpc *,
    int bind_all, int timeout_s, struct err *);

/*
 * Authorizing from the status page (expose/webauth.c): the same flow as
 * --authorize, its callback on the running service's /callback.
 * oauth_page_begin makes a fresh state and PKCE verifier into *pend and
 * returns the authorization URL for redirect_uri (malloc'd; NULL with
 * err). oauth_page_finish takes the callback's code (or its error) for
 * pend, exchanges it and installs the tokens in the account's struct
 * oauth (oauth_install; NULL: only saved to prov's token file, taken over
 * at the account's next turn);
 * *expires_at: the new access token's expiry. pend is wiped either way.
 */
struct oauth_pending {
	char state[33];
	char verifier[OAUTH_VERIFIER_LEN + 1];
	char redirect_uri[512];
};
char *oauth_page_begin(const struct oauth_provider *, const char *redirect_uri,
    struct oauth_pending *pend, struct err *);
int oauth_page_finish(const struct oauth_provider *, struct oauth *,
    struct httpc *, struct oauth_pending *pend, const char *code,
    const char *error, int64_t *expires_at, struct err *);

/* Exported for tests: the code of a callback query string when state
 * matches; -1 with a reason otherwise ("access_denied", "state mismatch"). */
int oauth_callback_parse(const char *query, const char *state, char *code,
    size_t size, struct err *);

#endif
