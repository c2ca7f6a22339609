/*
 * oauth: the running service's access token (see oauth.h). PKCE, the token
 * file and the token endpoint are in oauth_token.c, the --authorize flow
 * in oauth_flow.c (the callback's check in oauth_callback.c, its listener
 * in oauth_listener.c).
 *
 * Threads: struct oauth may be used from any thread; one mutex serialises
 * everything that touches the tokens, and is held across a whole refresh
 * so that two callers never spend the same single-use refresh token.
 * oauth_state() reads an atomic and never waits.
 * The HTTP requests use the struct httpc given to oauth_new(): a caller
 * must not use that httpc in another thread at the same time.
 *
 * The token file is the source of truth. Before a refresh, and while no
 * usable token exists, the file is read again and taken over when its
 * content changed (another process refreshed, or the user ran
 * --authorize): that is what lifts OAUTH_INVALID_GRANT.
 *
 * A refreshed pair that cannot be saved: the old refresh token is already
 * spent (Fitbit rotates it on every use), so dropping the new pair would
 * lose the authorization for certain. We keep and use it in memory, log an
 * error naming the file, retry the save before each use (at most once a
 * minute) and a last time in oauth_free(). If the process ends before a
 * save works, --authorize must run again; the log has said so. If the file
 * changes meanwhile (another writer, a new --authorize), the file wins.
 *
 * A crash after the temporary file of a save and before its rename: the
 * next oauth_new() finishes that save (file_recover_atomic()).
 *
 * Secrets: every token and the client secret are registered with
 * log_add_secret(); buffers that held them are wiped before being freed;
 * no message quotes a token, a code or a token-endpoint body.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "file.h"
#include "log.h"
#include "oauth_private.h"
#include "sha256.h"
#include "stats.h"

#define REFRESH_COOLDOWN	60	/* s after a refresh failed transiently */
#define SAVE_RETRY_EVERY	60	/* s between saves of an unsaved pair */
#define STILL_VALID_MIN		30	/* s left for a token to be worth using */

/* --- the running service --- */

static void
adopt(struct oauth *o, const struct oauth_tokens *t)
{
	log_add_secret(t->access_token);
	log_add_secret(t->refresh_token);
	oauth_tokens_wipe(&o->tok);
	o->tok = *t;
	atomic_store(&o->state, OAUTH_OK);
	atomic_store(&stats_or_first(o->prov.stats)->token_expiry,
	    t->expires_at);
}

/*
 * Take the token file over when its content changed since we last read or
 * wrote it. *changed says whether it did. -1: missing (err.sys ENOENT)
 * or unusable; the tokens in memory stay as they were.
 */
static int
disk_load(struct oauth *o, int *changed, struct err *err)
{
	struct oauth_tokens t;
	uint8_t hash[SHA256_LEN];
	char *buf;
	size_t len;
	int rc = -1;

	*changed = 0;
	memset(&t, 0, sizeof(t));
	if (file_read(o->prov.token_path, OAUTH_MAX_BODY, &buf, &len,
	    err) == -1)
		return -1;
	sha256_digest(buf, len, hash);
	if (o->have_disk && memcmp(hash, o->disk, sizeof(hash)) == 0) {
		rc = 0;
		goto out;
	}
	if (oauth_tokens_parse(o->prov.token_path, buf, len, &t, err) == -1)
		goto out;
	if (o->unsaved)
		log_warn("token file changed on disk: using it instead of the "
		    "unsaved tokens", "path=%s", o->prov.token_path);
	adopt(o, &t);
	memcpy(o->disk, hash, sizeof(hash));
	o->have_disk = 1;
	o->unsaved = 0;
	o->client_bad = 0;
	o->refresh_retry_at = 0;
	*changed = 1;
	rc = 0;
out:
	oauth_tokens_wipe(&t);
	explicit_bzero(buf, len);
	free(buf);
	return rc;
}

/* An unsaved pair: try again, loudly, at most once a minute. */
static void
save_retry(struct oauth *o, time_t now)
{
	struct err e = { 0 };
	char q[ERR_MSG_MAX + 16];

	if (!o->unsaved || now < o->save_retry_at)
		return;
	if (oauth_tokens_write(o->prov.token_path, &o->tok, o->disk, &e) == 0) {
		o->have_disk = 1;
		o->unsaved = 0;
		log_info("token file saved", "path=%s", o->prov.token_path);
		return;
	}
	o->save_retry_at = now + SAVE_RETRY_EVERY;
	log_error("tokens still not saved: if SyncBit stops now, run "
	    "'syncbit --authorize' again", "error=%s",
	    log_q(q, sizeof(q), e.msg));
}

static int
refresh_locked(struct oauth *o, time_t now, struct err *err)
{
	struct oauth_tokens t;
	enum oauth_refusal why;
	struct err e = { 0 };
	char *form, q[ERR_MSG_MAX + 16];
	int rc = -1;

	if ((form = strdup("grant_type=refresh_token")) == NULL ||
	    oauth_form_add(&form, "refresh_token", o->tok.refresh_token) == -1) {
		free(form);
		return err_kind(err, ERR_TRANSIENT, "out of memory");
	}
	rc = oauth_token_post(&o->prov, o->http, form, o->tok.refresh_token,
	    &t, &why, &e);
	explicit_bzero(form, strlen(form));
	free(form);
	if (rc == -1) {
		if (why == OAUTH_REFUSED_GRANT) {
			atomic_store(&o->state, OAUTH_INVALID_GRANT);
			return err_kind(err, ERR_AUTH, "%s",
			    o->prov.invalid_grant_hint != NULL ?
			    o->prov.invalid_grant_hint : e.msg);
		}
		if (why == OAUTH_REFUSED_CLIENT) {
			o->client_bad = 1;
			atomic_store(&o->state, OAUTH_INVALID_GRANT);
		} else if (e.kind != ERR_STOP)
			o->refresh_retry_at = now + REFRESH_COOLDOWN;
		return err_copy(err, &e);
	}
	/* on disk before anyone uses it: the old refresh token is spent */
	if (oauth_tokens_write(o->prov.token_path, &t, o->disk, &e) == 0) {
		o->have_disk = 1;
		o->unsaved = 0;
	} else {
		o->unsaved = 1;
		o->save_retry_at = now + SAVE_RETRY_EVERY;
		log_error("token refresh worked but the new tokens could not "
		    "be saved; they are kept in memory only and the save is "
		    "retried; if SyncBit stops first, run 'syncbit "
		    "--authorize' again", "error=%s",
		    log_q(q, sizeof(q), e.msg));
	}
	adopt(o, &t);
	oauth_tokens_wipe(&t);
	o->refreshed_at = now;
	log_info("access token refreshed", "provider=%s expires_at=%lld",
	    o->prov.name, (long long)o->tok.expires_at);
	return 0;
}

/* Why no token request may be made now: no token, or a refusal. */
static int
blocked(struct oauth *o, const struct err *load, struct err *err)
{
	char id[64], secret[64];

	if (atomic_load(&o->state) == OAUTH_NO_TOKEN) {
		if (load->set && load->sys != ENOENT)
			return err_kind(err, ERR_AUTH, "%s", load->msg);
		return err_kind(err, ERR_AUTH, "no token file '%s': run "
		    "'syncbit --authorize'", o->prov.token_path);
	}
	if (o->client_bad) {
		oauth_env_name(&o->prov, "CLIENT_ID", id, sizeof(id));
		oauth_env_name(&o->prov, "CLIENT_SECRET", secret,
		    sizeof(secret));
		return err_kind(err, ERR_AUTH, "%s rejected the client: check "
		    "%s and %s, then restart", o->prov.name, id, secret);
	}
	return err_kind(err, ERR_AUTH, "%s", o->prov.invalid_grant_hint !=
	    NULL ? o->prov.invalid_grant_hint : "refresh token refused "
	    "(invalid_grant): run 'syncbit --authorize' again");
}

/* Without a usable pair, only a changed token file helps. */
static int
unblock(struct oauth *o, struct err *err)
{
	struct err load = { 0 };
	int changed = 0;

	if (atomic_load(&o->state) == OAUTH_OK)
		return 0;
	if (disk_load(o, &changed, &load) == 0 && changed)
		return 0;
	return blocked(o, &load, err);
}

/*
 * A refresh is due min(OAUTH_REFRESH_AHEAD, lifetime / 2) s before expiry,
 * and not within OAUTH_REFRESH_GAP s of the token's issue (known from the
 * file's expires_in, so it holds across restarts) or our last refresh. A
 * token that has expired is due at once: a request with it could only
 * earn the 401 that would ask for the refresh anyway.
 */
static int
refresh_due(const struct oauth *o, time_t now)
{
	const struct oauth_tokens *t = &o->tok;
	int64_t ahead = OAUTH_REFRESH_AHEAD, left = t->expires_at - now;
	int64_t last = o->refreshed_at;

	if (t->lifetime > 0 && t->lifetime / 2 < ahead)
		ahead = t->lifetime / 2;
	if (left > ahead)
		return 0;
	if (left <= 0)
		return 1;
	if (t->lifetime > 0 && t->expires_at - t->lifetime > last)
		last = t->expires_at - t->lifetime;
	return now - last >= OAUTH_REFRESH_GAP;
}

/* Make o->tok usable for a while: refresh it when it is due. */
static int
fresh_locked(struct oauth *o, time_t now, struct err *err)
{
	struct err e = { 0 };
	char q[ERR_MSG_MAX + 16];
	int changed, cooling;

	save_retry(o, now);
	if (unblock(o, err) == -1)
		return -1;
	if (!refresh_due(o, now))
		return 0;
	/* another process may have refreshed already */
	if (disk_load(o, &changed, &e) == -1)
		log_warn("cannot re-read the token file before a refresh",
		    "error=%s", log_q(q, sizeof(q), e.msg));
	else if (changed && !refresh_due(o, now))
		return 0;
	err_clear(&e);
	cooling = now < o->refresh_retry_at;
	if (o->client_bad)
		return blocked(o, &e, err);
	if (cooling)
		err_kind(&e, ERR_TRANSIENT, "token refresh failed less than "
		    "%d s ago", REFRESH_COOLDOWN);
	else if (refresh_locked(o, now, &e) == 0)
		return 0;
	/* a failed refresh ahead of time: the token still works a while */
	if ((e.kind == ERR_TRANSIENT || e.kind == ERR_TOO_LARGE) &&
	    o->tok.expires_at - now > STILL_VALID_MIN) {
		if (!cooling)
			log_warn("token refresh failed; the current token is "
			    "used until it expires", "error=%s expires_at=%lld",
			    log_q(q, sizeof(q), e.msg),
			    (long long)o->tok.expires_at);
		return 0;
	}
	return err_copy(err, &e);
}

static int
token_copy(const struct oauth *o, char *buf, size_t size, struct err *err)
{
	size_t n = strlen(o->tok.access_token);

	if (n >= size)
		return err_set(err, "access token longer than %zu bytes",
		    size - 1);
	memcpy(buf, o->tok.access_token, n + 1);
	return 0;
}

int
oauth_access_token(struct oauth *o, char *buf, size_t size, struct err *err)
{
	int rc;

	pthread_mutex_lock(&o->lock);
	rc = fresh_locked(o, oauth_now(), err);
	if (rc == 0)
		rc = token_copy(o, buf, size, err);
	pthread_mutex_unlock(&o->lock);
	return rc;
}

int
oauth_refresh_after_401(struct oauth *o, const char *used, char *buf,
    size_t size, struct err *err)
{
	time_t now = oauth_now();
	struct err e = { 0 };
	int changed, rc = -1;

	pthread_mutex_lock(&o->lock);
	save_retry(o, now);
	if (unblock(o, err) == -1)
		goto out;
	/* someone refreshed since `used` was handed out: no new request */
	if (strcmp(o->tok.access_token, used) != 0 ||
	    (disk_load(o, &changed, &e) == 0 && changed &&
	    strcmp(o->tok.access_token, used) != 0)) {
		rc = fresh_locked(o, now, err);
		goto copy;
	}
	if (o->client_bad) {
		rc = blocked(o, &e, err);
		goto out;
	}
	if (now < o->refresh_retry_at) {
		rc = err_kind(err, ERR_TRANSIENT, "token refresh failed less "
		    "than %d s ago", REFRESH_COOLDOWN);
		goto out;
	}
	rc = refresh_locked(o, now, err);
copy:
	if (rc == 0)
		rc = token_copy(o, buf, size, err);
out:
	pthread_mutex_unlock(&o->lock);
	return rc;
}

/* file_recover_atomic(): a complete token file? */
static int
tokens_complete(const char *buf, size_t len)
{
	struct oauth_tokens t;
	struct err e = { 0 };
	int ok = oauth_tokens_parse("", buf, len, &t, &e) == 0;

	oauth_tokens_wipe(&t);
	return ok;
}

/*
 * A crash between writing a refreshed pair to its temporary file and the
 * rename leaves the spent refresh token in the token file and the live one
 * next to it: finish that save before anything reads the file.
 */
static void
recover_save(const struct oauth_provider *prov)
{
	struct err e = { 0 };
	char q[ERR_MSG_MAX + 16];
	int adopted = 0;

	if (file_recover_atomic(prov->token_path, OAUTH_MAX_BODY,
	    tokens_complete, &adopted, &e) == -1) {
		if (e.sys != ENOENT)
			log_warn("cannot finish or clear an interrupted save of "
			    "the token file", "error=%s",
			    log_q(q, sizeof(q), e.msg));
	} else if (adopted)
		log_warn("token file: finished a save a crash had interrupted",
		    "path=%s", prov->token_path);
}

void
oauth_use_http(struct oauth *o, struct httpc *http)
{
	pthread_mutex_lock(&o->lock);
	o->http = http;
	pthread_mutex_unlock(&o->lock);
}

struct oauth *
oauth_new(const struct oauth_provider *prov, struct httpc *http)
{
	struct oauth *o;
	struct err e = { 0 };
	char q[ERR_MSG_MAX + 16];
	int changed;

	if ((o = calloc(1, sizeof(*o))) == NULL)
		return NULL;
	o->prov = *prov;
	o->http = http;
	pthread_mutex_init(&o->lock, NULL);
	atomic_store(&o->state, OAUTH_NO_TOKEN);
	log_add_secret(prov->client_secret);
	recover_save(prov);
	if (disk_load(o, &changed, &e) == -1) {
		if (e.sys == ENOENT)
			log_warn("no token file: run 'syncbit --authorize'",
			    "path=%s", prov->token_path);
		else
			log_error("token file unusable", "error=%s",
			    log_q(q, sizeof(q), e.msg));
	}
	return o;
}

void
oauth_free(struct oauth *o)
{
	if (o == NULL)
		return;
	if (o->unsaved) {
		o->save_retry_at = 0;
		save_retry(o, oauth_now());
	}
	pthread_mutex_destroy(&o->lock);
	explicit_bzero(o, sizeof(*o));
	free(o);
}

enum oauth_state
oauth_state(struct oauth *o)
{
	return (enum oauth_state)atomic_load(&o->state);
}

int
oauth_install(struct oauth *o, const struct oauth_tokens *t, struct err *err)
{
	int changed, rc;

	pthread_mutex_lock(&o->lock);
	rc = oauth_tokens_save(o->prov.token_path, t, err);
	if (rc == 0)
		rc = disk_load(o, &changed, err);
	pthread_mutex_unlock(&o->lock);
	return rc;
}

enum oauth_state
oauth_recheck(struct oauth *o)
{
	struct err e = { 0 };
	int changed;

	pthread_mutex_lock(&o->lock);
	(void)disk_load(o, &changed, &e);	/* missing: keep what we have */
	pthread_mutex_unlock(&o->lock);
	return oauth_state(o);
}
