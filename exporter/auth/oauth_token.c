/*
 * oauth_token: PKCE values, the token file, and requests to the token
 * endpoint (see oauth.h, oauth_private.h). Any thread; no shared state.
 *
 * Every buffer and cJSON tree that held a token, a code or a secret is
 * wiped before it is freed. Messages name fields and files, never values,
 * and never quote a token-endpoint body (Fitbit's error messages echo the
 * refresh token back).
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdatomic.h>
#include <sys/random.h>

#include <cjson/cJSON.h>

#include "b64.h"
#include "file.h"
#include "httpc.h"
#include "log.h"
#include "oauth_private.h"
#include "quit.h"
#include "sha256.h"

#define EXPIRES_IN_DEFAULT	3600	/* when the answer has no expires_in */
#define EXPIRES_IN_MAX		(366L * 86400)

/* --- random values and PKCE --- */

static int
random_fill(void *buf, size_t len, struct err *err)
{
	uint8_t *p = buf;
	ssize_t n;

	while (len > 0) {
		n = getrandom(p, len, 0);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			return err_set(err, "getrandom failed: %s",
			    strerror(errno));
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int
oauth_pkce_verifier(char out[OAUTH_VERIFIER_LEN + 1], struct err *err)
{
	/* RFC 7636 4.1: the unreserved characters */
	static const char set[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789-._~";
	const unsigned nset = sizeof(set) - 1;
	uint8_t rnd[96];
	size_t i, o = 0;
	int rc = -1;

	while (o < OAUTH_VERIFIER_LEN) {
		if (random_fill(rnd, sizeof(rnd), err) == -1)
			goto out;
		/* bytes at or above the largest multiple of nset would make
		 * the first characters likelier: skip them */
		for (i = 0; i < sizeof(rnd) && o < OAUTH_VERIFIER_LEN; i++)
			if (rnd[i] < 256 / nset * nset)
				out[o++] = set[rnd[i] % nset];
	}
	rc = 0;
out:
	out[rc == 0 ? o : 0] = '\0';
	explicit_bzero(rnd, sizeof(rnd));
	return rc;
}

void
oauth_pkce_challenge(const char *verifier, char out[44])
{
	uint8_t digest[SHA256_LEN];

	sha256_digest(verifier, strlen(verifier), digest);
	b64_url_encode(digest, sizeof(digest), out, 44);
	explicit_bzero(digest, sizeof(digest));
}

int
oauth_random_state(char out[33], struct err *err)
{
	uint8_t rnd[24];	/* 192 bits: exactly 32 base64url characters */
	int rc;

	out[0] = '\0';
	rc = random_fill(rnd, sizeof(rnd), err);
	if (rc == 0)
		b64_url_encode(rnd, sizeof(rnd), out, 33);
	explicit_bzero(rnd, sizeof(rnd));
	return rc;
}

void
oauth_env_name(const struct oauth_provider *p, const char *suffix, char *buf,
    size_t size)
{
	size_t i, o = 0;

	for (i = 0; p->name[i] != '\0' && o + 1 < size; i++)
		buf[o++] = (char)toupper((unsigned char)p->name[i]);
	snprintf(buf + o, size - o, "_%s", suffix);
}

/* --- token JSON --- */

/* Free a cJSON tree after wiping its strings: it may hold tokens. */
static void
json_wipe(cJSON *n)
{
	for (; n != NULL; n = n->next) {
		if (cJSON_IsString(n) && n->valuestring != NULL)
			explicit_bzero(n->valuestring, strlen(n->valuestring));
		json_wipe(n->child);
	}
}

static void
json_free(cJSON *root)
{
	if (root == NULL)
		return;
	json_wipe(root);
	cJSON_Delete(root);
}

/* Copy string member name into buf; absent is an error when required. */
static int
str_field(const cJSON *obj, const char *name, int required, char *buf,
    size_t size, struct err *err)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, name);
	size_t n;

	buf[0] = '\0';
	if (v == NULL || cJSON_IsNull(v)) {
		if (required)
			return err_set(err, "missing '%s'", name);
		return 0;
	}
	if (!cJSON_IsString(v) || v->valuestring == NULL)
		return err_set(err, "'%s' is not a string", name);
	n = strlen(v->valuestring);
	if (required && n == 0)
		return err_set(err, "'%s' is empty", name);
	if (n >= size)
		return err_set(err, "'%s' is longer than %zu bytes", name,
		    size - 1);
	memcpy(buf, v->valuestring, n + 1);
	return 0;
}

static time_t (*_Atomic test_clock)(void);

time_t
oauth_now(void)
{
	time_t (*now)(void) = atomic_load(&test_clock);

	return now != NULL ? now() : time(NULL);
}

void
oauth_set_clock(time_t (*now)(void))
{
	atomic_store(&test_clock, now);
}

void
oauth_tokens_wipe(struct oauth_tokens *t)
{
	explicit_bzero(t, sizeof(*t));
}

/* expires_in as a number or a numeric string (seen in the wild). */
static int
expires_in(const cJSON *root, long *out, struct err *err)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(root, "expires_in");
	char *end;
	double d;

	*out = EXPIRES_IN_DEFAULT;
	if (v == NULL || cJSON_IsNull(v))
		return 0;
	if (cJSON_IsNumber(v))
		d = v->valuedouble;
	else if (cJSON_IsString(v) && v->valuestring != NULL) {
		errno = 0;
		d = strtod(v->valuestring, &end);
		if (errno != 0 || end == v->valuestring || *end != '\0')
			return err_set(err, "'expires_in' is not a number");
	} else
		return err_set(err, "'expires_in' is not a number");
	if (!(d >= 1 && d <= EXPIRES_IN_MAX))	/* < 1 s: expired on arrival */
		return err_set(err, "'expires_in' is out of range");
	*out = (long)d;
	return 0;
}

int
oauth_tokens_from_json(const char *body, size_t len, time_t now,
    const char *old_refresh, struct oauth_tokens *t, struct err *err)
{
	cJSON *root;
	struct err e = { 0 };
	long ttl;
	int rc = -1;

	memset(t, 0, sizeof(*t));
	root = cJSON_ParseWithLength(body, len);
	if (!cJSON_IsObject(root)) {
		err_set(&e, "not a JSON object");
		goto out;
	}
	if (str_field(root, "access_token", 1, t->access_token,
	    sizeof(t->access_token), &e) == -1 ||
	    str_field(root, "refresh_token", 0, t->refresh_token,
	    sizeof(t->refresh_token), &e) == -1 ||
	    str_field(root, "scope", 0, t->scope, sizeof(t->scope), &e) == -1 ||
	    str_field(root, "user_id", 0, t->user_id, sizeof(t->user_id),
	    &e) == -1 ||
	    expires_in(root, &ttl, &e) == -1)
		goto out;
	/* Google rotates refresh tokens only sometimes: keep the old one */
	if (t->refresh_token[0] == '\0') {
		if (old_refresh == NULL || *old_refresh == '\0') {
			err_set(&e, "missing 'refresh_token'");
			goto out;
		}
		if (strlen(old_refresh) >= sizeof(t->refresh_token)) {
			err_set(&e, "old refresh token is too long");
			goto out;
		}
		strcpy(t->refresh_token, old_refresh);
	}
	t->expires_at = (int64_t)now + ttl;
	t->lifetime = ttl;
	rc = 0;
out:
	if (rc == -1) {
		err_set(err, "token response unusable: %s", e.msg);
		oauth_tokens_wipe(t);
	}
	json_free(root);
	return rc;
}

/* The token file's content, or NULL when out of memory. cJSON_free() it
 * after wiping. */
static char *
tokens_json(const struct oauth_tokens *t)
{
	cJSON *root;
	char *s = NULL;

	if ((root = cJSON_CreateObject()) == NULL)
		return NULL;
	if (cJSON_AddStringToObject(root, "access_token",
	    t->access_token) != NULL &&
	    cJSON_AddStringToObject(root, "refresh_token",
	    t->refresh_token) != NULL &&
	    cJSON_AddNumberToObject(root, "expires_at",
	    (double)t->expires_at) != NULL &&
	    (t->lifetime <= 0 || cJSON_AddNumberToObject(root, "expires_in",
	    (double)t->lifetime) != NULL) &&
	    cJSON_AddStringToObject(root, "scope", t->scope) != NULL &&
	    cJSON_AddStringToObject(root, "user_id", t->user_id) != NULL)
		s = cJSON_Print(root);
	json_free(root);
	return s;
}

int
oauth_tokens_write(const char *path, const struct oauth_tokens *t,
    uint8_t hash[SHA256_LEN], struct err *err)
{
	char *s;
	size_t len;
	int rc;

	if ((s = tokens_json(t)) == NULL)
		return err_set(err, "out of memory saving '%s'", path);
	len = strlen(s);
	rc = file_write_atomic(path, s, len, 0600, err);
	if (hash != NULL)
		sha256_digest(s, len, hash);
	explicit_bzero(s, len);
	cJSON_free(s);
	return rc;
}

int
oauth_tokens_save(const char *path, const struct oauth_tokens *t,
    struct err *err)
{
	return oauth_tokens_write(path, t, NULL, err);
}

int
oauth_tokens_parse(const char *path, const char *buf, size_t len,
    struct oauth_tokens *t, struct err *err)
{
	cJSON *root;
	const cJSON *v;
	struct err e = { 0 };
	int rc = -1;

	memset(t, 0, sizeof(*t));
	root = cJSON_ParseWithLength(buf, len);
	if (!cJSON_IsObject(root)) {
		err_set(&e, "not a JSON object (damaged or truncated)");
		goto out;
	}
	if (str_field(root, "access_token", 1, t->access_token,
	    sizeof(t->access_token), &e) == -1 ||
	    str_field(root, "refresh_token", 1, t->refresh_token,
	    sizeof(t->refresh_token), &e) == -1 ||
	    str_field(root, "scope", 0, t->scope, sizeof(t->scope), &e) == -1 ||
	    str_field(root, "user_id", 0, t->user_id, sizeof(t->user_id),
	    &e) == -1)
		goto out;
	v = cJSON_GetObjectItemCaseSensitive(root, "expires_at");
	if (!cJSON_IsNumber(v) || !(v->valuedouble >= 0 &&
	    v->valuedouble < 9007199254740992.0)) {
		err_set(&e, "no valid 'expires_at'");
		goto out;
	}
	t->expires_at = (int64_t)v->valuedouble;
	/* the granted lifetime; optional (older files), never fatal */
	v = cJSON_GetObjectItemCaseSensitive(root, "expires_in");
	if (cJSON_IsNumber(v) && v->valuedouble >= 1 &&
	    v->valuedouble <= EXPIRES_IN_MAX)
		t->lifetime = (int64_t)v->valuedouble;
	rc = 0;
out:
	if (rc == -1) {
		err_kind(err, ERR_AUTH, "token file '%s' is unusable: %s; run "
		    "'syncbit --authorize' again", path, e.msg);
		oauth_tokens_wipe(t);
	}
	json_free(root);
	return rc;
}

/* --- the token endpoint --- */

/*
 * The OAuth error name of a refusal: RFC 6749 {"error":"invalid_grant"} or
 * Fitbit's {"errors":[{"errorType":"invalid_grant","message":...}]}. Only
 * the name is read, and only its harmless characters: Fitbit's message
 * quotes the refresh token.
 */
static void
error_name(const char *body, size_t len, char *out, size_t size)
{
	cJSON *root = cJSON_ParseWithLength(body, len);
	const cJSON *v, *first;
	const char *s;
	size_t o = 0;

	out[0] = '\0';
	if (root == NULL)
		return;
	v = cJSON_GetObjectItemCaseSensitive(root, "error");
	if (!cJSON_IsString(v)) {
		first = cJSON_GetArrayItem(
		    cJSON_GetObjectItemCaseSensitive(root, "errors"), 0);
		v = cJSON_GetObjectItemCaseSensitive(first, "errorType");
	}
	if (cJSON_IsString(v) && v->valuestring != NULL)
		for (s = v->valuestring; *s != '\0' && o + 1 < size; s++) {
			if (!isalnum((unsigned char)*s) && *s != '_' &&
			    *s != '-' && *s != '.')
				break;
			out[o++] = *s;
		}
	out[o] = '\0';
	json_free(root);
}

static int
refusal(const struct oauth_provider *p, long status, const char *name,
    enum oauth_refusal *why, struct err *err)
{
	char id[64], secret[64];

	if (strcmp(name, "invalid_grant") == 0) {
		*why = OAUTH_REFUSED_GRANT;
		return err_kind(err, ERR_AUTH, "%s token endpoint refused the "
		    "grant (invalid_grant)", p->name);
	}
	/* RFC 6749 5.2: a 401 from the token endpoint is client auth */
	if (strcmp(name, "invalid_client") == 0 ||
	    strcmp(name, "unauthorized_client") == 0 ||
	    (status == 401 && name[0] == '\0')) {
		*why = OAUTH_REFUSED_CLIENT;
		oauth_env_name(p, "CLIENT_ID", id, sizeof(id));
		oauth_env_name(p, "CLIENT_SECRET", secret, sizeof(secret));
		return err_kind(err, ERR_AUTH, "%s token endpoint rejected the "
		    "client (HTTP %ld %s): check %s and %s", p->name, status,
		    name[0] != '\0' ? name : "unauthorized", id, secret);
	}
	*why = OAUTH_REFUSED_OTHER;
	return err_kind(err, ERR_AUTH, "%s token endpoint refused the "
	    "request: HTTP %ld%s%s", p->name, status, name[0] != '\0' ? " " : "",
	    name);
}

int
oauth_form_add(char **form, const char *name, const char *value)
{
	char *esc, *s;
	size_t n;

	if ((esc = httpc_escape(value)) == NULL)
		return -1;
	n = strlen(*form) + strlen(name) + strlen(esc) + 3;
	if ((s = malloc(n)) != NULL)
		snprintf(s, n, "%s&%s=%s", *form, name, esc);
	explicit_bzero(esc, strlen(esc));
	free(esc);
	if (s == NULL)
		return -1;
	explicit_bzero(*form, strlen(*form));
	free(*form);
	*form = s;
	return 0;
}

static void
resp_wipe(struct httpc_resp *r)
{
	if (r->body != NULL)
		explicit_bzero(r->body, r->len);
	httpc_resp_release(r);
}

/* One POST; 1: retry, 0: settled (rc in *rc). */
static int
token_try(const struct oauth_provider *p, struct httpc *h,
    const struct httpc_req *req, const char *old_refresh,
    struct oauth_tokens *out, enum oauth_refusal *why, int *rc,
    struct err *last, struct err *err)
{
	struct httpc_resp resp;
	char name[64];
	int retry = 0;

	httpc_resp_init(&resp);
	if (httpc_do(h, req, &resp, last) == -1) {
		if (last->kind == ERR_STOP)
			err_kind(err, ERR_STOP, "%s", last->msg);
		else
			retry = 1;
		goto out;
	}
	if (resp.status >= 200 && resp.status < 300) {
		*rc = oauth_tokens_from_json(resp.body, resp.len, oauth_now(),
		    old_refresh, out, last);
		if (*rc == -1)
			err_kind(err, ERR_TRANSIENT, "%s token endpoint: %s",
			    p->name, last->msg);
		goto out;
	}
	if (resp.status == 429 || resp.status >= 500) {
		err_kind(last, ERR_TRANSIENT, "%s token endpoint answered "
		    "HTTP %ld", p->name, resp.status);
		retry = 1;
		goto out;
	}
	error_name(resp.body, resp.len, name, sizeof(name));
	refusal(p, resp.status, name, why, err);
out:
	resp_wipe(&resp);
	return retry;
}

int
oauth_token_post(const struct oauth_provider *p, struct httpc *h,
    const char *form, const char *old_refresh, struct oauth_tokens *out,
    enum oauth_refusal *why, struct err *err)
{
	static const char *const headers[] = { "Accept: application/json",
	    NULL };
	struct httpc_req req;
	struct err last;
	char *body;
	int try, rc = -1;

	*why = OAUTH_REFUSED_NONE;
	memset(out, 0, sizeof(*out));
	if ((body = strdup(form)) == NULL ||
	    (!p->basic_auth && (oauth_form_add(&body, "client_id",
	    p->client_id) == -1 || oauth_form_add(&body, "client_secret",
	    p->client_secret) == -1))) {
		free(body);
		return err_kind(err, ERR_TRANSIENT, "out of memory");
	}
	memset(&req, 0, sizeof(req));
	req.method = "POST";
	req.url = p->token_url;
	req.content_type = "application/x-www-form-urlencoded";
	req.body = body;
	req.body_len = strlen(body);
	req.headers = headers;
	req.max_body = OAUTH_MAX_BODY;
	req.timeout_s = 30;
	/* the API rotates the refresh token before it answers: a shutdown
	 * must not throw that answer away */
	req.finish_on_quit = 1;
	if (p->basic_auth) {
		req.basic_user = p->client_id;
		req.basic_pass = p->client_secret;
	}
	for (try = 1;; try++) {
		err_clear(&last);
		if (!token_try(p, h, &req, old_refresh, out, why, &rc, &last,
		    err))
			break;
		if (try == OAUTH_TRIES) {
			err_kind(err, ERR_TRANSIENT, "%s (%d tries)", last.msg,
			    OAUTH_TRIES);
			break;
		}
		log_debug("token request failed, retrying", "provider=%s "
		    "try=%d", p->name, try);
		if (quit_sleep(1000L << (try - 1))) {
			err_kind(err, ERR_STOP, "stopping");
			break;
		}
	}
	explicit_bzero(body, strlen(body));
	free(body);
	return rc;
}
