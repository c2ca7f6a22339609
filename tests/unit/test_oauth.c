/*
 * oauth: SHA-256 and base64url vectors, PKCE (RFC 7636 appendix B),
 * random verifier and state, the callback's state check, token-endpoint
 * bodies, the token file, the service's no-request paths, and when the
 * service refreshes (a fake token endpoint and a fake clock).
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <microhttpd.h>

#include "b64.h"
#include "err.h"
#include "file.h"
#include "httpc.h"
#include "auth/oauth.h"
#include "auth/oauth_private.h"
#include "sha256.h"
#include "stats.h"
#include "helpers.h"
#include "t.h"

static void
hex(const uint8_t *d, size_t n, char *out)
{
	size_t i;

	for (i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", d[i]);
}

static int
sha_is(const char *msg, const char *want)
{
	uint8_t d[SHA256_LEN];
	char h[2 * SHA256_LEN + 1];

	sha256_digest(msg, strlen(msg), d);
	hex(d, sizeof(d), h);
	return strcmp(h, want) == 0;
}

static void
test_sha256(void)
{
	static const char *ml = "abcdefghbcdefghicdefghijdefghijkefghijkl"
	    "fghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrst"
	    "nopqrstu";
	struct sha256 c;
	uint8_t d[SHA256_LEN], d2[SHA256_LEN];
	char h[2 * SHA256_LEN + 1], block[1000];
	int i;

	CHECK(sha_is("abc", "ba7816bf8f01cfea414140de5dae2223"
	    "b00361a396177a9cb410ff61f20015ad"));
	CHECK(sha_is("", "e3b0c44298fc1c149afbf4c8996fb924"
	    "27ae41e4649b934ca495991b7852b855"));
	CHECK(sha_is("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
	    "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"));
	CHECK(sha_is(ml, "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51"
	    "afac45037afee9d1"));

	/* one million 'a', fed in pieces that straddle block boundaries */
	memset(block, 'a', sizeof(block));
	sha256_init(&c);
	for (i = 0; i < 1000; i++) {
		sha256_update(&c, block, 7);
		sha256_update(&c, block, 993);
	}
	sha256_final(&c, d);
	hex(d, sizeof(d), h);
	CHECK(strcmp(h, "cdc76e5c9914fb9281a1c7e284d73e67"
	    "f1809a48a497200e046d39ccc7112cd0") == 0);

	/* 55 and 56 bytes: the padding edge */
	sha256_digest(block, 55, d);
	sha256_init(&c);
	for (i = 0; i < 55; i++)
		sha256_update(&c, "a", 1);
	sha256_final(&c, d2);
	CHECK(memcmp(d, d2, sizeof(d)) == 0);
	hex(d, sizeof(d), h);
	CHECK(strcmp(h, "9f4390f8d30c2dd92ec9f095b65e2b9a"
	    "e9b0a925a5258e241c9f1e910f734318") == 0);
	sha256_digest(block, 56, d);
	hex(d, sizeof(d), h);
	CHECK(strcmp(h, "b35439a4ac6f0948b6d6f9e3c6af0f5f"
	    "590ce20f1bde7090ef7970686ec6738a") == 0);
}

static void
test_b64url(void)
{
	char out[16];
	static const unsigned char bytes[] = { 0xfb, 0xff, 0xbf };

	CHECK(b64_url_encode("", 0, out, sizeof(out)) == 0 && out[0] == '\0');
	CHECK(b64_url_encode("f", 1, out, sizeof(out)) == 0 &&
	    strcmp(out, "Zg") == 0);
	CHECK(b64_url_encode("fo", 2, out, sizeof(out)) == 0 &&
	    strcmp(out, "Zm8") == 0);
	CHECK(b64_url_encode("foo", 3, out, sizeof(out)) == 0 &&
	    strcmp(out, "Zm9v") == 0);
	CHECK(b64_url_encode("foobar", 6, out, sizeof(out)) == 0 &&
	    strcmp(out, "Zm9vYmFy") == 0);
	CHECK(b64_url_encode(bytes, 3, out, sizeof(out)) == 0 &&
	    strcmp(out, "-_-_") == 0);
	CHECK(b64_url_encode("foo", 3, out, 4) == -1 && out[0] == '\0');
	CHECK(b64_url_encode("foo", 3, out, 5) == 0);
}

static int
all_in(const char *s, const char *set)
{
	return s[strspn(s, set)] == '\0';
}

static void
test_pkce(void)
{
	static const char unreserved[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789-._~";
	char v1[OAUTH_VERIFIER_LEN + 1], v2[OAUTH_VERIFIER_LEN + 1];
	char ch[44], s1[33], s2[33];
	struct err err = { 0 };

	/* RFC 7636 appendix B (checked against the RFC text and hashlib) */
	oauth_pkce_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk", ch);
	CHECK(strcmp(ch, "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM") == 0);

	CHECK(oauth_pkce_verifier(v1, &err) == 0);
	CHECK(oauth_pkce_verifier(v2, &err) == 0);
	CHECK(strlen(v1) == OAUTH_VERIFIER_LEN && strlen(v2) == 64);
	CHECK(OAUTH_VERIFIER_LEN >= 43 && OAUTH_VERIFIER_LEN <= 128);
	CHECK(all_in(v1, unreserved) && all_in(v2, unreserved));
	CHECK(strcmp(v1, v2) != 0);
	oauth_pkce_challenge(v1, ch);
	CHECK(strlen(ch) == 43 && all_in(ch, unreserved) &&
	    strchr(ch, '=') == NULL);

	CHECK(oauth_random_state(s1, &err) == 0);
	CHECK(oauth_random_state(s2, &err) == 0);
	CHECK(strlen(s1) == 32 && strlen(s2) == 32);
	CHECK(all_in(s1, unreserved) && strchr(s1, '.') == NULL &&
	    strchr(s1, '~') == NULL);
	CHECK(strcmp(s1, s2) != 0);
	CHECK(!err.set);
}

static void
test_callback_parse(void)
{
	static const char st[] = "Zx9_-state-0123456789abcdefghijk";
	static const char *const stray[] = { "abc%", "abc%4", "a%4&x=1",
	    "%g0" };
	char code[64], q[256];
	struct err err = { 0 };
	size_t i;

	snprintf(q, sizeof(q), "code=4%%2F0AbC+d&state=%s", st);
	CHECK(oauth_callback_parse(q, st, code, sizeof(code), &err) == 0);
	CHECK(strcmp(code, "4/0AbC d") == 0);

	/* Fitbit appends #_=_; a leading '?' is fine */
	snprintf(q, sizeof(q), "?state=%s&code=abc123#_=_", st);
	CHECK(oauth_callback_parse(q, st, code, sizeof(code), &err) == 0);
	CHECK(strcmp(code, "abc123") == 0);

	CHECK(oauth_callback_parse("code=abc&state=Zx9_-state-0123456789"
	    "abcdefghijx", st, code, sizeof(code), &err) == -1);
	CHECK(err.status == 400 && strcmp(err.msg, "state mismatch") == 0);
	err_clear(&err);
	CHECK(oauth_callback_parse("code=abc", st, code, sizeof(code),
	    &err) == -1);
	CHECK(strcmp(err.msg, "state mismatch") == 0);
	err_clear(&err);
	/* two states: ambiguous, refused */
	snprintf(q, sizeof(q), "code=abc&state=%s&state=%s", st, st);
	CHECK(oauth_callback_parse(q, st, code, sizeof(code), &err) == -1);
	CHECK(strcmp(err.msg, "state mismatch") == 0);
	err_clear(&err);

	snprintf(q, sizeof(q), "state=%s", st);
	CHECK(oauth_callback_parse(q, st, code, sizeof(code), &err) == -1);
	CHECK(err.status == 400 && strcmp(err.msg, "missing 'code'") == 0);
	err_clear(&err);
	snprintf(q, sizeof(q), "state=%s&code=", st);
	CHECK(oauth_callback_parse(q, st, code, sizeof(code), &err) == -1);
	CHECK(strcmp(err.msg, "missing 'code'") == 0);
	err_clear(&err);

	snprintf(q, sizeof(q), "error=access_denied&state=%s", st);
	CHECK(oauth_callback_parse(q, st, code, sizeof(code), &err) == -1);
	CHECK(err.kind == ERR_AUTH);
	CHECK(strstr(err.msg, "denied by the user") != NULL);
	CHECK(strstr(err.msg, "access_denied") != NULL);
	err_clear(&err);
	/* a NUL must not cut the state (or the code) short */
	snprintf(q, sizeof(q), "code=abc&state=%s%%00junk", st);
	CHECK(oauth_callback_parse(q, st, code, sizeof(code), &err) == -1);
	CHECK(err.status == 400);
	err_clear(&err);
	snprintf(q, sizeof(q), "code=abc%%00def&state=%s", st);
	CHECK(oauth_callback_parse(q, st, code, sizeof(code), &err) == -1);
	CHECK(err.status == 400);
	err_clear(&err);
	/* a forged denial without our state does not end the flow */
	CHECK(oauth_callback_parse("error=access_denied&state=nope", st, code,
	    sizeof(code), &err) == -1);
	CHECK(err.status == 400);
	err_clear(&err);

	snprintf(q, sizeof(q), "state=%s&code=%%zz", st);
	CHECK(oauth_callback_parse(q, st, code, sizeof(code), &err) == -1);
	CHECK(strcmp(err.msg, "malformed query") == 0);
	err_clear(&err);
	snprintf(q, sizeof(q), "state=%s&code=0123456789", st);
	CHECK(oauth_callback_parse(q, st, code, 8, &err) == -1);
	CHECK(strstr(err.msg, "too long") != NULL);
	err_clear(&err);
	/* a stray '%' at the end or before the next pair, "%4" cut short */
	for (i = 0; i < sizeof(stray) / sizeof(stray[0]); i++) {
		snprintf(q, sizeof(q), "state=%s&code=%s", st, stray[i]);
		CHECK(oauth_callback_parse(q, st, code, sizeof(code),
		    &err) == -1);
		CHECK(strcmp(err.msg, "malformed query") == 0);
		err_clear(&err);
	}
	/* an encoded key; "%2B" is '+', '+' is ' ' */
	snprintf(q, sizeof(q), "st%%61te=%s&code=a%%2Bb+c%%7e", st);
	CHECK(oauth_callback_parse(q, st, code, sizeof(code), &err) == 0);
	CHECK(strcmp(code, "a+b c~") == 0);
	/* empty pairs and keys without '=' are ignored */
	snprintf(q, sizeof(q), "&&x&state=%s&=&code=abc&", st);
	CHECK(oauth_callback_parse(q, st, code, sizeof(code), &err) == 0);
	CHECK(strcmp(code, "abc") == 0);
	CHECK(!err.set);
}

/* Form values as the token endpoint gets them (httpc_escape). */
static void
test_form_add(void)
{
	char *form = strdup("grant_type=x");

	CHECK(form != NULL);
	CHECK(oauth_form_add(&form, "v", "a b/~._-+%&=\xc3\xbcZ9") == 0);
	CHECK(strcmp(form, "grant_type=x&v=a%20b%2F~._-%2B%25%26%3D%C3%BCZ9")
	    == 0);
	CHECK(oauth_form_add(&form, "e", "") == 0);
	CHECK(strcmp(form + strlen(form) - 3, "&e=") == 0);
	free(form);
}

/* The redirect URI the listener serves (oauth_redirect_parse, curl_url). */
static void
test_redirect_parse(void)
{
	static const struct {
		const char *uri;
		int http, loopback, port;
		const char *host, *path;
	} good[] = {
		{ "http://localhost:8080/callback", 1, 1, 8080, "localhost",
		    "/callback" },
		{ "http://127.0.0.1:8080", 1, 1, 8080, "127.0.0.1", "/" },
		{ "HTTP://LocalHost/a/../cb?x=1#f", 1, 1, 80, NULL, "/a/../cb" },
		{ "http://[::1]:9000/cb", 1, 1, 9000, "::1", "/cb" },
		{ "https://example.com/cb", 0, 0, 443, "example.com", "/cb" },
		{ "http://192.168.1.5:8080/cb", 1, 0, 8080, "192.168.1.5", "/cb" },
	};
	static const struct {
		const char *uri, *msg;
	} bad[] = {
		{ "ftp://localhost/cb", "FITBIT_REDIRECT_URI 'ftp://localhost/cb' "
		    "is not an http(s) URL" },
		{ "localhost:8080/cb", "is not an http(s) URL" },
		{ "http://user@localhost/cb", "FITBIT_REDIRECT_URI must not hold "
		    "a user name" },
		{ "http://u:pw@localhost/cb", "must not hold a user name" },
		{ "http://localhost:99999/cb", "FITBIT_REDIRECT_URI has a bad port" },
		{ "http://localhost:0/cb", "has a bad port" },
		{ "http://localhost:8x/cb", "has a bad port" },
		{ "http://:8080/cb", "FITBIT_REDIRECT_URI has a bad host" },
	};
	struct oauth_provider p = { .name = "fitbit" };
	struct oauth_redirect r;
	struct err err = { 0 };
	size_t i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		p.redirect_uri = good[i].uri;
		CHECK(oauth_redirect_parse(&p, &r, &err) == 0);
		CHECK(r.http == good[i].http && r.loopback == good[i].loopback);
		CHECK(r.port == good[i].port);
		CHECK(good[i].host == NULL || strcmp(r.host, good[i].host) == 0);
		CHECK(strcmp(r.path, good[i].path) == 0);
		if (err.set)
			fprintf(stderr, "# %s: %s\n", good[i].uri, err.msg);
		err_clear(&err);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		p.redirect_uri = bad[i].uri;
		CHECK(oauth_redirect_parse(&p, &r, &err) == -1);
		CHECK(strstr(err.msg, bad[i].msg) != NULL);
		if (strstr(err.msg, bad[i].msg) == NULL)
			fprintf(stderr, "# %s: %s\n", bad[i].uri, err.msg);
		err_clear(&err);
	}
}

static void
test_tokens_from_json(void)
{
	struct oauth_tokens t;
	struct err err = { 0 };
	char *body;
	size_t len;

	body = fixture("oauth_fitbit_token.json", &len);
	CHECK(oauth_tokens_from_json(body, len, 1000, NULL, &t, &err) == 0);
	CHECK(strcmp(t.access_token, "eyJhbGciOiJIUzI1NiJ9.fitbit-access-"
	    "token-fixture") == 0);
	CHECK(strncmp(t.refresh_token, "c643a63c", 8) == 0);
	CHECK(t.expires_at == 1000 + 28800);
	CHECK(strcmp(t.user_id, "26FWFL") == 0);
	CHECK(strncmp(t.scope, "activity heartrate", 18) == 0);
	free(body);

	/* Google: no refresh_token in a refresh answer keeps the old one */
	body = fixture("oauth_google_token_norefresh.json", &len);
	CHECK(oauth_tokens_from_json(body, len, 50, "1//old-refresh", &t,
	    &err) == 0);
	CHECK(strcmp(t.refresh_token, "1//old-refresh") == 0);
	CHECK(strcmp(t.access_token, "ya29.a0-google-access-token-fixture")
	    == 0);
	CHECK(t.expires_at == 50 + 3599 && t.user_id[0] == '\0');
	/* ... and without an old one it is an error */
	CHECK(oauth_tokens_from_json(body, len, 50, NULL, &t, &err) == -1);
	CHECK(strstr(err.msg, "missing 'refresh_token'") != NULL);
	CHECK(t.access_token[0] == '\0');	/* wiped */
	free(body);
	err_clear(&err);

	/* a rotated refresh token wins over the old one */
	body = "{\"access_token\":\"a-new-one\",\"refresh_token\":\"r-new\","
	    "\"expires_in\":\"3600\"}";
	CHECK(oauth_tokens_from_json(body, strlen(body), 0, "r-old", &t,
	    &err) == 0);
	CHECK(strcmp(t.refresh_token, "r-new") == 0 && t.expires_at == 3600);

	body = "{\"refresh_token\":\"SECRET-refresh-xyz\",\"expires_in\":60}";
	CHECK(oauth_tokens_from_json(body, strlen(body), 0, NULL, &t,
	    &err) == -1);
	CHECK(strstr(err.msg, "missing 'access_token'") != NULL);
	CHECK(strstr(err.msg, "SECRET") == NULL);
	err_clear(&err);
	body = "{\"access_token\":\"a\",\"refresh_token\":\"r\","
	    "\"expires_in\":\"soon\"}";
	CHECK(oauth_tokens_from_json(body, strlen(body), 0, NULL, &t,
	    &err) == -1);
	CHECK(strstr(err.msg, "'expires_in'") != NULL);
	err_clear(&err);
	body = "{\"access_token\":42,\"refresh_token\":\"r\"}";
	CHECK(oauth_tokens_from_json(body, strlen(body), 0, NULL, &t,
	    &err) == -1);
	CHECK(strstr(err.msg, "'access_token' is not a string") != NULL);
	err_clear(&err);
	body = "<html>502</html>";
	CHECK(oauth_tokens_from_json(body, strlen(body), 0, NULL, &t,
	    &err) == -1);
	CHECK(strstr(err.msg, "not a JSON object") != NULL);
	/* no expires_in: an hour, refreshed early anyway */
	body = "{\"access_token\":\"a\",\"refresh_token\":\"r\"}";
	CHECK(oauth_tokens_from_json(body, strlen(body), 10, NULL, &t,
	    NULL) == 0 && t.expires_at == 3610);
}

static int
put(const char *path, const char *s)
{
	struct err err = { 0 };

	return file_write_atomic(path, s, strlen(s), 0600, &err) == 0;
}

/* The token file as the service would read it (file_read, then
 * oauth_tokens_parse); missing: -1 with err.sys ENOENT. */
static int
tokens_load(const char *path, struct oauth_tokens *t, struct err *err)
{
	char *buf;
	size_t len;
	int rc;

	memset(t, 0, sizeof(*t));
	if (file_read(path, OAUTH_MAX_BODY, &buf, &len, err) == -1)
		return -1;
	rc = oauth_tokens_parse(path, buf, len, t, err);
	explicit_bzero(buf, len);
	free(buf);
	return rc;
}

static void
fill(struct oauth_tokens *t, const char *access, int64_t exp)
{
	memset(t, 0, sizeof(*t));
	snprintf(t->access_token, sizeof(t->access_token), "%s", access);
	snprintf(t->refresh_token, sizeof(t->refresh_token), "refresh-%s",
	    access);
	t->expires_at = exp;
	snprintf(t->scope, sizeof(t->scope), "activity sleep");
	snprintf(t->user_id, sizeof(t->user_id), "26FWFL");
}

static void
test_token_file(void)
{
	char *dir = t_tmpdir(), path[1024];
	struct oauth_tokens t, u;
	struct err err = { 0 };
	struct stat st;
	mode_t old = umask(0);

	snprintf(path, sizeof(path), "%s/fitbit_tokens.json", dir);
	CHECK(tokens_load(path, &u, &err) == -1 && err.sys == ENOENT);
	err_clear(&err);
	fill(&t, "access-\"quoted\"\\-1", 1800000000);
	CHECK(oauth_tokens_save(path, &t, &err) == 0);
	CHECK(stat(path, &st) == 0 && (st.st_mode & 07777) == 0600);
	umask(old);
	CHECK(tokens_load(path, &u, &err) == 0);
	CHECK(memcmp(&t, &u, sizeof(t)) == 0);
	oauth_tokens_wipe(&u);
	CHECK(u.access_token[0] == '\0' && u.expires_at == 0);

	/* truncated: a clear line naming the file, never its content */
	CHECK(put(path, "{\"access_token\":\"SECRET-at-1234\",\"refresh_tok"));
	CHECK(tokens_load(path, &u, &err) == -1);
	CHECK(err.kind == ERR_AUTH && strstr(err.msg, path) != NULL);
	CHECK(strstr(err.msg, "SECRET") == NULL);
	CHECK(strstr(err.msg, "--authorize") != NULL);
	CHECK(strchr(err.msg, '\n') == NULL);
	err_clear(&err);
	CHECK(put(path, "{\"access_token\":\"SECRET-at-1234\",\"expires_at\":5}"));
	CHECK(tokens_load(path, &u, &err) == -1);
	CHECK(strstr(err.msg, "missing 'refresh_token'") != NULL);
	CHECK(strstr(err.msg, "SECRET") == NULL);
	err_clear(&err);
	CHECK(put(path, "{\"access_token\":\"a\",\"refresh_token\":\"r\","
	    "\"expires_at\":\"x\"}"));
	CHECK(tokens_load(path, &u, &err) == -1);
	CHECK(strstr(err.msg, "'expires_at'") != NULL);
	t_rmrf(dir);
	free(dir);
}

static struct oauth_provider
provider(const char *path)
{
	struct oauth_provider p;

	memset(&p, 0, sizeof(p));
	p.name = "fitbit";
	p.auth_url = "http://127.0.0.1:9/authorize";
	p.token_url = "http://127.0.0.1:9/token";
	p.client_id = "23ABCD";
	p.client_secret = "client-secret-for-tests";
	p.redirect_uri = "http://localhost:8080/callback";
	p.scopes = "activity sleep";
	p.basic_auth = 1;
	p.token_path = path;
	p.invalid_grant_hint = "run 'syncbit --authorize' again";
	return p;
}

/* The scopes the service holds (struct oauth, oauth_private.h). */
static void
scope_of(struct oauth *o, char *buf, size_t size)
{
	pthread_mutex_lock(&o->lock);
	snprintf(buf, size, "%.*s", (int)size - 1, o->tok.scope);
	pthread_mutex_unlock(&o->lock);
}

/* Expiry of the service's access token (0 when none). */
static int64_t
expires_of(struct oauth *o)
{
	int64_t t;

	pthread_mutex_lock(&o->lock);
	t = o->tok.expires_at;
	pthread_mutex_unlock(&o->lock);
	return t;
}

/*
 * The paths that must not reach the token endpoint. http is NULL: any
 * request would crash the test, which is the point.
 */
static void
test_service_without_requests(void)
{
	char *dir = t_tmpdir(), path[1024], buf[128], scope[64];
	struct oauth_provider p;
	struct oauth_tokens t;
	struct oauth *o;
	struct err err = { 0 };
	time_t now = time(NULL);

	snprintf(path, sizeof(path), "%s/fitbit_tokens.json", dir);
	p = provider(path);
	o = oauth_new(&p, NULL);
	CHECK(o != NULL && oauth_state(o) == OAUTH_NO_TOKEN);
	CHECK(expires_of(o) == 0);
	CHECK(oauth_access_token(o, buf, sizeof(buf), &err) == -1);
	CHECK(err.kind == ERR_AUTH && strstr(err.msg, "--authorize") != NULL);
	err_clear(&err);

	/* --authorize ran meanwhile: the new file is picked up */
	fill(&t, "access-one", now + 3600);
	CHECK(oauth_tokens_save(path, &t, &err) == 0);
	CHECK(oauth_access_token(o, buf, sizeof(buf), &err) == 0);
	CHECK(strcmp(buf, "access-one") == 0);
	CHECK(oauth_state(o) == OAUTH_OK);
	CHECK(expires_of(o) == now + 3600);
	CHECK(atomic_load(&stats_account(0)->token_expiry) == now + 3600);
	scope_of(o, scope, sizeof(scope));
	CHECK(strcmp(scope, "activity sleep") == 0);
	CHECK(oauth_access_token(o, buf, 5, &err) == -1);	/* too small */
	err_clear(&err);

	/* another caller refreshed since "access-old" was handed out */
	CHECK(oauth_refresh_after_401(o, "access-old", buf, sizeof(buf),
	    &err) == 0);
	CHECK(strcmp(buf, "access-one") == 0);

	/* the status page's new pair is installed at once, under the lock a
	 * refresh holds: in memory even when the file goes away after */
	fill(&t, "access-two", now + 7200);
	CHECK(oauth_install(o, &t, &err) == 0);
	CHECK(unlink(path) == 0);
	CHECK(oauth_access_token(o, buf, sizeof(buf), &err) == 0);
	CHECK(strcmp(buf, "access-two") == 0);
	CHECK(expires_of(o) == now + 7200);
	/* a save that fails keeps the pair in use */
	fill(&t, "access-three", now + 9000);
	CHECK(rmdir(dir) == 0);
	CHECK(oauth_install(o, &t, &err) == -1 && err.set);
	err_clear(&err);
	CHECK(mkdir(dir, 0700) == 0);
	CHECK(oauth_access_token(o, buf, sizeof(buf), &err) == 0);
	CHECK(strcmp(buf, "access-two") == 0);
	fill(&t, "access-one", now + 3600);
	CHECK(oauth_tokens_save(path, &t, &err) == 0);
	oauth_free(o);

	/* loaded at start; a corrupt file is NO_TOKEN with the file named */
	o = oauth_new(&p, NULL);
	CHECK(oauth_state(o) == OAUTH_OK);
	CHECK(oauth_access_token(o, buf, sizeof(buf), &err) == 0);
	oauth_free(o);
	CHECK(put(path, "{\"access"));
	o = oauth_new(&p, NULL);
	CHECK(oauth_state(o) == OAUTH_NO_TOKEN);
	CHECK(oauth_access_token(o, buf, sizeof(buf), &err) == -1);
	CHECK(err.kind == ERR_AUTH && strstr(err.msg, path) != NULL);
	oauth_free(o);
	oauth_free(NULL);
	t_rmrf(dir);
	free(dir);
}

/*
 * A token endpoint that answers every refresh the way Fitbit documents it
 * (access_token, expires_in, refresh_token, scope, token_type, user_id),
 * with tokens that live 120 s, and counts the requests.
 */
static atomic_int token_posts;

static enum MHD_Result
token_endpoint(void *cls, struct MHD_Connection *c, const char *url,
    const char *method, const char *version, const char *data, size_t *size,
    void **con_cls)
{
	struct MHD_Response *resp;
	enum MHD_Result ret;
	char body[256];
	int n;

	(void)cls, (void)url, (void)method, (void)version, (void)data;
	if (*con_cls == NULL) {
		*con_cls = c;
		return MHD_YES;
	}
	if (*size > 0) {
		*size = 0;
		return MHD_YES;
	}
	n = atomic_fetch_add(&token_posts, 1) + 1;
	snprintf(body, sizeof(body), "{\"access_token\":\"access-%d\","
	    "\"expires_in\":120,\"refresh_token\":\"refresh-%d\","
	    "\"scope\":\"activity sleep\",\"token_type\":\"Bearer\","
	    "\"user_id\":\"26FWFL\"}", n, n);
	resp = MHD_create_response_from_buffer(strlen(body), body,
	    MHD_RESPMEM_MUST_COPY);
	if (resp == NULL)
		return MHD_NO;
	ret = MHD_queue_response(c, 200, resp);
	MHD_destroy_response(resp);
	return ret;
}

static time_t fake_now;

static time_t
fake_clock(void)
{
	return fake_now;
}

static int
get_token(struct oauth *o, char *buf, size_t size)
{
	struct err err = { 0 };

	return oauth_access_token(o, buf, size, &err);
}

static void
test_refresh_ahead(void)
{
	char *dir = t_tmpdir(), path[1024], url[64], buf[128];
	struct sockaddr_in sin;
	const union MHD_DaemonInfo *info;
	struct MHD_Daemon *d;
	struct oauth_provider p;
	struct oauth_tokens t;
	struct httpc *h;
	struct oauth *o;
	struct err err = { 0 };
	time_t t0 = time(NULL);
	int i, ok = 1;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	d = MHD_start_daemon(MHD_USE_AUTO_INTERNAL_THREAD, 0, NULL, NULL,
	    token_endpoint, NULL, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sin,
	    MHD_OPTION_END);
	CHECK(d != NULL);
	if (d == NULL)
		return;
	info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/token", info->port);
	snprintf(path, sizeof(path), "%s/fitbit_tokens.json", dir);
	p = provider(path);
	p.token_url = url;
	h = httpc_new(5, 10, "syncbit-test", NULL);
	oauth_set_clock(fake_clock);
	atomic_store(&token_posts, 0);

	/* a token granted at t0 with expires_in=120 */
	fill(&t, "access-0", t0 + 120);
	t.lifetime = 120;
	CHECK(oauth_tokens_save(path, &t, &err) == 0);
	o = oauth_new(&p, h);
	for (i = 0; i < 10; i++) {	/* 10 requests over 50 s */
		fake_now = t0 + 5 * (i + 1);
		ok &= get_token(o, buf, sizeof(buf)) == 0 &&
		    strcmp(buf, "access-0") == 0;
	}
	CHECK(ok);
	CHECK(atomic_load(&token_posts) == 0);
	fake_now = t0 + 61;		/* 59 s left: half its lifetime */
	CHECK(get_token(o, buf, sizeof(buf)) == 0);
	CHECK(strcmp(buf, "access-1") == 0 && atomic_load(&token_posts) == 1);
	CHECK(expires_of(o) == t0 + 61 + 120);
	for (i = 0; i < 10; i++) {
		fake_now = t0 + 62 + 5 * i;
		CHECK(get_token(o, buf, sizeof(buf)) == 0);
	}
	CHECK(atomic_load(&token_posts) == 1);

	/* a 401 refreshes at once, inside the minute */
	CHECK(oauth_refresh_after_401(o, "access-1", buf, sizeof(buf),
	    &err) == 0);
	CHECK(strcmp(buf, "access-2") == 0 && atomic_load(&token_posts) == 2);
	oauth_free(o);

	/* a restart: the file says the 60 s token was issued 35 s ago */
	fill(&t, "access-9", t0 + 25);
	t.lifetime = 60;
	CHECK(oauth_tokens_save(path, &t, &err) == 0);
	fake_now = t0;
	o = oauth_new(&p, h);
	CHECK(get_token(o, buf, sizeof(buf)) == 0);
	CHECK(strcmp(buf, "access-9") == 0 && atomic_load(&token_posts) == 2);
	fake_now = t0 + 26;		/* expired: refreshed whatever the gap */
	CHECK(get_token(o, buf, sizeof(buf)) == 0);
	CHECK(strcmp(buf, "access-3") == 0 && atomic_load(&token_posts) == 3);
	oauth_free(o);

	/* an older file without expires_in: 300 s ahead, then the gap */
	fill(&t, "access-old", t0 + 200);
	CHECK(oauth_tokens_save(path, &t, &err) == 0);
	fake_now = t0;
	o = oauth_new(&p, h);
	CHECK(get_token(o, buf, sizeof(buf)) == 0);
	CHECK(strcmp(buf, "access-4") == 0 && atomic_load(&token_posts) == 4);
	fake_now = t0 + 59;
	CHECK(get_token(o, buf, sizeof(buf)) == 0);
	CHECK(atomic_load(&token_posts) == 4);
	CHECK(tokens_load(path, &t, &err) == 0 && t.lifetime == 120);
	oauth_free(o);

	oauth_set_clock(NULL);
	httpc_free(h);
	MHD_stop_daemon(d);
	t_rmrf(dir);
	free(dir);
}

void
suite_oauth(void)
{
	int saved = dup(STDERR_FILENO), devnull = open("/dev/null", O_WRONLY);

	/* oauth_new() logs the missing and the corrupt file: expected here */
	dup2(devnull, STDERR_FILENO);
	test_service_without_requests();
	test_refresh_ahead();
	dup2(saved, STDERR_FILENO);
	close(saved);
	close(devnull);
	test_sha256();
	test_b64url();
	test_pkce();
	test_callback_parse();
	test_redirect_parse();
	test_form_add();
	test_tokens_from_json();
	test_token_file();
}
