/*
 * webauth: loopback addresses, the admin password and its failure limit,
 * the CSRF token, and pending authorizations: bound to their account,
 * single use, expired after 10 minutes, forged states refused.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

#include "expose/webauth.h"
#include "t.h"

/* An IPv4 or IPv6 address (by its colons) in *ss, as a sockaddr. */
static struct sockaddr *
addr(const char *ip, struct sockaddr_storage *ss)
{
	struct sockaddr_in *a4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (strchr(ip, ':') != NULL) {
		a6->sin6_family = AF_INET6;
		inet_pton(AF_INET6, ip, &a6->sin6_addr);
	} else {
		a4->sin_family = AF_INET;
		inet_pton(AF_INET, ip, &a4->sin_addr);
	}
	return (struct sockaddr *)ss;
}

static void
test_loopback(void)
{
	static const char *yes[] = { "127.0.0.1", "127.45.6.7", "::1",
	    "::ffff:127.0.0.1" };
	static const char *no[] = { "10.0.0.1", "128.0.0.1",
	    "::ffff:192.168.1.1", "fe80::1", "::" };
	struct sockaddr_storage ss;
	size_t i;

	for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++)
		CHECK(webauth_loopback(addr(yes[i], &ss)));
	for (i = 0; i < sizeof(no) / sizeof(no[0]); i++)
		CHECK(!webauth_loopback(addr(no[i], &ss)));
	CHECK(!webauth_loopback(NULL));
}

static void
test_check(void)
{
	struct webauth w;
	struct err err = { 0 };
	struct sockaddr_storage lo, far;
	struct sockaddr *l = addr("127.0.0.1", &lo), *r = addr("192.0.2.7", &far);
	int i;

	CHECK(webauth_init(&w, NULL, &err) == 0);
	CHECK(webauth_check(&w, l, 0, NULL, 100) == WEBAUTH_OK);
	/* a proxy in front: the loopback address says nothing */
	CHECK(webauth_check(&w, l, 1, NULL, 100) == WEBAUTH_REMOTE);
	CHECK(webauth_check(&w, r, 0, "anything", 100) == WEBAUTH_REMOTE);
	webauth_release(&w);

	CHECK(webauth_init(&w, "s3cret pass", &err) == 0);
	CHECK(webauth_check(&w, l, 0, NULL, 100) == WEBAUTH_OK);
	CHECK(webauth_check(&w, r, 0, NULL, 100) == WEBAUTH_DENIED);
	CHECK(webauth_check(&w, r, 0, "s3cret pass", 100) == WEBAUTH_OK);
	CHECK(webauth_check(&w, r, 0, "s3cret pas", 100) == WEBAUTH_DENIED);
	CHECK(webauth_check(&w, r, 0, "s3cret pass ", 100) == WEBAUTH_DENIED);
	CHECK(webauth_check(&w, r, 0, "", 100) == WEBAUTH_DENIED);
	for (i = 0; i < WEBAUTH_FAILS_MAX - 3; i++)
		CHECK(webauth_check(&w, r, 0, "wrong", 101) == WEBAUTH_DENIED);
	/* the limit: even the right password waits for the minute's end */
	CHECK(webauth_check(&w, r, 0, "s3cret pass", 102) == WEBAUTH_LIMITED);
	CHECK(webauth_check(&w, l, 0, NULL, 102) == WEBAUTH_OK);
	CHECK(webauth_check(&w, r, 0, "s3cret pass", 160) == WEBAUTH_OK);
	webauth_release(&w);
}

static void
test_csrf(void)
{
	struct webauth w, w2;
	struct err err = { 0 };
	char copy[64];

	CHECK(webauth_init(&w, NULL, &err) == 0);
	CHECK(webauth_init(&w2, NULL, &err) == 0);
	CHECK(strlen(w.csrf) == 32);
	CHECK(strcmp(w.csrf, w2.csrf) != 0);
	snprintf(copy, sizeof(copy), "%s", w.csrf);
	CHECK(webauth_csrf_ok(&w, copy));
	CHECK(!webauth_csrf_ok(&w, NULL));
	CHECK(!webauth_csrf_ok(&w, ""));
	CHECK(!webauth_csrf_ok(&w, w2.csrf));
	copy[31] = '\0';
	CHECK(!webauth_csrf_ok(&w, copy));
	webauth_release(&w);
	webauth_release(&w2);
}

static void
test_pending(void)
{
	struct webauth w;
	struct webauth_pending *e, out;
	struct err err = { 0 };
	char a[33], b[33];
	int i;

	CHECK(webauth_init(&w, NULL, &err) == 0);
	e = webauth_add(&w, 1, 1000);
	snprintf(e->p.state, sizeof(e->p.state), "stateAAAAAAAAAAAAAAAAAAAAAAAAAAA");
	snprintf(a, sizeof(a), "%s", e->p.state);
	e = webauth_add(&w, 0, 1000);
	snprintf(e->p.state, sizeof(e->p.state), "stateBBBBBBBBBBBBBBBBBBBBBBBBBBB");
	snprintf(b, sizeof(b), "%s", e->p.state);
	/* forged */
	CHECK(webauth_take(&w, "stateCCCCCCCCCCCCCCCCCCCCCCCCCCC", 1001, &out) == -1);
	CHECK(webauth_take(&w, "", 1001, &out) == -1);
	CHECK(webauth_take(&w, NULL, 1001, &out) == -1);
	CHECK(webauth_take(&w, "stateAAAA", 1001, &out) == -1);
	/* bound to its account, once */
	CHECK(webauth_take(&w, a, 1001, &out) == 0 && out.account == 1);
	CHECK(webauth_take(&w, a, 1001, &out) == -1);
	/* expired after 10 minutes, and forgotten then too */
	CHECK(webauth_take(&w, b, 1000 + WEBAUTH_STATE_TTL_S, &out) == -1);
	CHECK(webauth_take(&w, b, 1001, &out) == -1);
	/* a full table reuses the oldest slot */
	for (i = 0; i < WEBAUTH_PENDING_MAX + 1; i++) {
		e = webauth_add(&w, (size_t)i, 2000 + i);
		snprintf(e->p.state, sizeof(e->p.state), "s%031d", i);
	}
	CHECK(webauth_take(&w, "s0000000000000000000000000000000", 2100,
	    &out) == -1);
	CHECK(webauth_take(&w, "s0000000000000000000000000000016", 2100,
	    &out) == 0 && out.account == 16);
	webauth_release(&w);
}

void
suite_webauth(void)
{
	test_loopback();
	test_check();
	test_csrf();
	test_pending();
}
