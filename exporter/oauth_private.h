/*
 * oauth_private.h: what oauth.c (the service), oauth_token.c (PKCE, the
 * token file and endpoint) and oauth_authorize.c (--authorize) share.
 * Not for other modules: use oauth.h.
 */
#ifndef SYNCBIT_OAUTH_PRIVATE_H
#define SYNCBIT_OAUTH_PRIVATE_H

#include <stdint.h>
#include <time.h>

#include "oauth.h"
#include "sha256.h"

/* Cap on a token-endpoint answer and on the token file. */
#define OAUTH_MAX_BODY (64 * 1024)
/* Tries of one token request; waits 1, 2, 4, 8 s between them. */
#define OAUTH_TRIES 5

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
 * On failure: err.code ERR_TRANSIENT, ERR_STOP or ERR_AUTH, and *why.
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

#endif
