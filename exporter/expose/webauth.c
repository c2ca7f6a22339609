/*
 * webauth: the page's authorization guard and its pending flows (see
 * webauth.h).
 */
#include <netinet/in.h>
#include <string.h>

#include "webauth.h"

int
webauth_init(struct webauth *w, const char *password, struct err *err)
{
	memset(w, 0, sizeof(*w));
	if (password != NULL && *password != '\0') {
		sha256_digest(password, strlen(password), w->password);
		w->have_password = 1;
	}
	return oauth_random_state(w->csrf, err);
}

void
webauth_release(struct webauth *w)
{
	explicit_bzero(w, sizeof(*w));
}

int
webauth_loopback(const struct sockaddr *sa)
{
	const struct sockaddr_in6 *s6;
	const uint8_t *b;

	if (sa == NULL)
		return 0;
	if (sa->sa_family == AF_INET)
		return (ntohl(((const struct sockaddr_in *)(const void *)sa)->
		    sin_addr.s_addr) >> 24) == 127;
	if (sa->sa_family != AF_INET6)
		return 0;
	s6 = (const struct sockaddr_in6 *)(const void *)sa;
	if (IN6_IS_ADDR_LOOPBACK(&s6->sin6_addr))
		return 1;
	b = s6->sin6_addr.s6_addr;
	return IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr) && b[12] == 127;
}

/* Digests compared without an early exit: neither the password nor its
 * length shows in the time taken. */
static int
password_ok(const struct webauth *w, const char *pass)
{
	uint8_t got[SHA256_LEN];
	unsigned char d = 0;
	size_t i;

	sha256_digest(pass, strlen(pass), got);
	for (i = 0; i < SHA256_LEN; i++)
		d |= got[i] ^ w->password[i];
	explicit_bzero(got, sizeof(got));
	return d == 0;
}

enum webauth_verdict
webauth_check(struct webauth *w, const struct sockaddr *sa, int forwarded,
    const char *pass, int64_t now)
{
	if (!forwarded && webauth_loopback(sa))
		return WEBAUTH_OK;
	if (!w->have_password)
		return WEBAUTH_REMOTE;
	if (now - w->fail_window >= 60) {
		w->fail_window = now;
		w->fails = 0;
	}
	if (w->fails >= WEBAUTH_FAILS_MAX)
		return WEBAUTH_LIMITED;
	if (pass != NULL && password_ok(w, pass))
		return WEBAUTH_OK;
	if (pass != NULL)
		w->fails++;
	return WEBAUTH_DENIED;
}

int
webauth_csrf_ok(const struct webauth *w, const char *given)
{
	return given != NULL && oauth_same_secret(given, w->csrf);
}

struct webauth_pending *
webauth_add(struct webauth *w, size_t account, int64_t now)
{
	struct webauth_pending *e = &w->pend[0];
	size_t i;

	for (i = 0; i < WEBAUTH_PENDING_MAX; i++) {
		if (w->pend[i].expires <= now) {
			e = &w->pend[i];	/* free or expired */
			break;
		}
		if (w->pend[i].expires < e->expires)
			e = &w->pend[i];
	}
	explicit_bzero(e, sizeof(*e));
	e->account = account;
	e->expires = now + WEBAUTH_STATE_TTL_S;
	return e;
}

void
webauth_drop(struct webauth_pending *e)
{
	explicit_bzero(e, sizeof(*e));
}

int
webauth_take(struct webauth *w, const char *state, int64_t now,
    struct webauth_pending *out)
{
	size_t i;
	int found = -1;

	if (state == NULL || *state == '\0')
		return -1;
	for (i = 0; i < WEBAUTH_PENDING_MAX; i++) {
		if (w->pend[i].expires == 0 ||
		    !oauth_same_secret(state, w->pend[i].p.state))
			continue;
		if (w->pend[i].expires > now) {
			*out = w->pend[i];
			found = 0;
		}
		webauth_drop(&w->pend[i]);	/* single use, even late */
	}
	return found;
}
