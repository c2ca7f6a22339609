/*
 * oauth_page: the authorization-code flow started from the status page
 * (see oauth.h): PKCE S256 and state as in --authorize (oauth_flow.c),
 * the redirect to the running service. The state check is the caller's
 * (expose/webauth.c keeps the pending authorizations); this file makes
 * the URL, exchanges the code and saves the tokens. Nothing here logs or
 * quotes a code, a verifier or a token.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "oauth_private.h"

char *
oauth_page_begin(const struct oauth_provider *prov, const char *redirect_uri,
    struct oauth_pending *pend, struct err *err)
{
	struct oauth_provider p = *prov;
	char challenge[44];
	char *url;

	memset(pend, 0, sizeof(*pend));
	if ((size_t)snprintf(pend->redirect_uri, sizeof(pend->redirect_uri),
	    "%s", redirect_uri) >= sizeof(pend->redirect_uri)) {
		err_set(err, "redirect URI too long");
		return NULL;
	}
	if (oauth_pkce_verifier(pend->verifier, err) == -1 ||
	    oauth_random_state(pend->state, err) == -1)
		return NULL;
	oauth_pkce_challenge(pend->verifier, challenge);
	log_add_secret(pend->verifier);
	p.redirect_uri = pend->redirect_uri;
	if ((url = oauth_authorize_url(&p, pend->state, challenge)) == NULL)
		err_set(err, "out of memory");
	return url;
}

int
oauth_page_finish(const struct oauth_provider *prov, struct oauth *o,
    struct httpc *h, struct oauth_pending *pend, const char *code,
    const char *error, int64_t *expires_at, struct err *err)
{
	struct oauth_provider p = *prov;
	struct oauth_tokens t;
	int rc = -1;

	memset(&t, 0, sizeof(t));
	p.redirect_uri = pend->redirect_uri;
	if (error != NULL) {
		err_kind(err, ERR_AUTH, "%s", strcmp(error, "access_denied") ==
		    0 ? "authorization denied by the user (access_denied)" :
		    "the provider refused the authorization");
		goto out;
	}
	if (code == NULL || *code == '\0' || strlen(code) >= OAUTH_CODE_MAX) {
		err_http(err, ERR_HTTP, 400, "missing or too long 'code'");
		goto out;
	}
	log_add_secret(code);
	if (oauth_exchange(&p, h, code, pend->verifier, &t, err) == -1)
		goto out;
	log_add_secret(t.access_token);
	log_add_secret(t.refresh_token);
	if ((o != NULL ? oauth_install(o, &t, err) :
	    oauth_tokens_save(p.token_path, &t, err)) == -1)
		goto out;
	*expires_at = t.expires_at;
	rc = 0;
out:
	oauth_tokens_wipe(&t);
	explicit_bzero(pend, sizeof(*pend));
	return rc;
}
