/*
 * webauth: who may authorize from the status page, and the pending
 * authorizations.
 *
 * /authorize and /callback answer loopback clients (127.0.0.0/8, ::1,
 * ::ffff:127.x; kubectl port-forward and docker -p 127.0.0.1:... arrive
 * so) without a forwarding header; others only with ADMIN_PASSWORD
 * (HTTP basic auth, any user name; compared as SHA-256 digests without an
 * early exit, never logged). Failed logins are limited to
 * WEBAUTH_FAILS_MAX a minute for the whole process, then 429 until the
 * minute ends.
 *
 * The Authorize button's POST carries a CSRF token (random per process,
 * in the page only). A pending authorization is bound to one account,
 * expires after WEBAUTH_STATE_TTL_S and is taken at most once: its state
 * is forgotten at the first callback that names it, whatever the outcome.
 * Used by the server's one thread only: no lock.
 */
#ifndef SYNCBIT_WEBAUTH_H
#define SYNCBIT_WEBAUTH_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "auth/oauth.h"
#include "err.h"
#include "sha256.h"

#define WEBAUTH_PENDING_MAX 16
#define WEBAUTH_STATE_TTL_S 600
#define WEBAUTH_FAILS_MAX 5

struct webauth_pending {
	struct oauth_pending p;
	size_t account;
	int64_t expires;		/* monotonic s; 0: free */
};

struct webauth {
	char csrf[33];
	int have_password;
	uint8_t password[SHA256_LEN];	/* its digest */
	struct webauth_pending pend[WEBAUTH_PENDING_MAX];
	int64_t fail_window;		/* monotonic s the minute began */
	int fails;
};

enum webauth_verdict {
	WEBAUTH_OK,
	WEBAUTH_REMOTE,		/* 403: not loopback, no password set */
	WEBAUTH_DENIED,		/* 401: ask for the password */
	WEBAUTH_LIMITED,	/* 429: too many failed logins */
};

/* password: ADMIN_PASSWORD, "" or NULL for none. */
int webauth_init(struct webauth *, const char *password, struct err *);
void webauth_release(struct webauth *);	/* wipes */

/* 1 when sa is a loopback address. */
int webauth_loopback(const struct sockaddr *sa);
/* May this client authorize? forwarded: the request has a Forwarded or
 * X-Forwarded-For header (a proxy: the address says nothing). pass: the
 * basic-auth password given, or NULL. now: monotonic s. */
enum webauth_verdict webauth_check(struct webauth *, const struct sockaddr *,
    int forwarded, const char *pass, int64_t now);
/* 1 when given is this process' CSRF token. */
int webauth_csrf_ok(const struct webauth *, const char *given);

/* A slot for a new authorization of account, valid from now (the oldest
 * is reused when all are taken); fill its p with oauth_page_begin. */
struct webauth_pending *webauth_add(struct webauth *, size_t account,
    int64_t now);
/* Forget slot e (oauth_page_begin failed). */
void webauth_drop(struct webauth_pending *);
/* The pending authorization of state, moved to *out and forgotten: 0;
 * -1 when no fresh one has it (forged, replayed or expired). */
int webauth_take(struct webauth *, const char *state, int64_t now,
    struct webauth_pending *out);

#endif
