/*
 * google_explain: the user's lines for error answers, and the refusals
 * remembered until restart (see google_explain.h). Collector thread.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "google_explain.h"
#include "google_rollup.h"
#include "log.h"

int
google_once(struct google_memo *g, const char *key)
{
	size_t i;

	for (i = 0; i < g->nonce; i++)
		if (strcmp(g->once[i], key) == 0)
			return 0;
	if (g->nonce < GOOGLE_ONCE_MAX &&
	    (g->once[g->nonce] = strdup(key)) != NULL)
		g->nonce++;
	return 1;
}

void
google_memo_release(struct google_memo *g)
{
	size_t i;

	for (i = 0; i < g->nonce; i++)
		free(g->once[i]);
	memset(g, 0, sizeof(*g));
}

void
google_explain(struct google_memo *g, const char *what, const char *scope,
    const struct google_status *st)
{
	char key[128];

	switch (st->problem) {
	case GOOGLE_NOT_LINKED:
		if (google_once(g, "not-linked"))
			log_error("the Google Account is not linked to Google "
			    "Health: the Fitbit account was not moved to a "
			    "Google Account, or this Google Account has no "
			    "Google Health profile; in the Fitbit app sign in "
			    "with Google (move the account), then run "
			    "'syncbit --authorize' with that Google Account",
			    "status=%s reason=ACCOUNT_NOT_LINKED", st->status);
		return;
	case GOOGLE_SCOPE:
		snprintf(key, sizeof(key), "scope:%s", scope);
		if (google_once(g, key))
			log_warn("a Google Health scope was not granted, the "
			    "metrics that need it are skipped: add the scope "
			    "to the OAuth client (Data access) and run "
			    "'syncbit --authorize' again, ticking every box",
			    "scope=" SCOPE_PREFIX "%s data_type=%s", scope,
			    what);
		return;
	case GOOGLE_UBERMINT:
		if (google_once(g, "ubermint"))
			log_error("Google Health refused the login of a legacy "
			    "Fitbit account: consent was given with a Fitbit "
			    "login, not a Google Account; run 'syncbit "
			    "--authorize' again and sign in with Google (the "
			    "Google Account the Fitbit account was moved to)",
			    "status=%s", st->status);
		return;
	case GOOGLE_DISABLED:
		if (google_once(g, "disabled"))
			log_error("the Google Health API is not enabled in the "
			    "Google Cloud project of GOOGLE_CLIENT_ID: enable "
			    "it (APIs & Services > Library > Google Health "
			    "API), then wait a few minutes",
			    "status=%s reason=%s", st->status, st->reason);
		return;
	case GOOGLE_REVOKED:
		if (google_once(g, "revoked"))
			log_error("Google Health denies access to this "
			    "account's data: remove SyncBit at "
			    "https://myaccount.google.com/connections and run "
			    "'syncbit --authorize' again",
			    "status=%s reason=%s", st->status, st->reason);
		return;
	case GOOGLE_BAD_SCOPES:
		if (google_once(g, "bad-scopes"))
			log_error("the token carries scopes Google Health does "
			    "not accept: run 'syncbit --authorize' again",
			    "status=%s reason=%s", st->status, st->reason);
		return;
	case GOOGLE_OTHER:
		break;
	}
	if (st->code == 429)
		return;		/* quota: the call ends, the caller says so */
	snprintf(key, sizeof(key), "http:%s:%d", what, st->code);
	if (google_once(g, key))
		log_warn(st->code >= 500 ? "Google Health kept failing a "
		    "request, that metric is skipped" : "Google Health refused "
		    "a request, that metric is skipped",
		    "data_type=%s http=%d status=%s reason=%s", what,
		    st->code, st->status[0] ? st->status : "-",
		    st->reason[0] ? st->reason : "-");
}

int
google_refusal(const struct google_status *st)
{
	return (st->code == 400 && st->problem == GOOGLE_OTHER) ||
	    (st->code == 403 && st->problem == GOOGLE_SCOPE) ||
	    st->code == 404 || st->code == 405 || st->code == 501;
}

void
google_refuse(struct google_memo *g, const char *what, const char *op,
    const struct google_status *st)
{
	struct google_refusal *x;

	if (g->nrefused == GOOGLE_REFUSED_MAX)
		return;
	x = &g->refused[g->nrefused++];
	snprintf(x->key, sizeof(x->key), "%s %s", what, op);
	x->code = st->code;
	if (st->problem == GOOGLE_OTHER)	/* else explain() says why */
		log_warn("Google Health refuses this operation on this data "
		    "type, SyncBit does not ask again until restart",
		    "data_type=%s operation=%s http=%d status=%s reason=%s",
		    what, op, st->code, st->status[0] ? st->status : "-",
		    st->reason[0] ? st->reason : "-");
}

int
google_refused(const struct google_memo *g, const char *what,
    const char *op, struct err *err)
{
	char key[96];
	size_t i;

	snprintf(key, sizeof(key), "%s %s", what, op);
	for (i = 0; i < g->nrefused; i++)
		if (strcmp(g->refused[i].key, key) == 0) {
			err_http(err, ERR_HTTP, g->refused[i].code, "Google Health "
			    "refused %s on '%s' before, not asked again",
			    op, what);
			return 1;
		}
	return 0;
}

int
google_answer_error(struct google_memo *g, const char *what, const char *op,
    const char *scope, long status, const char *body, size_t len,
    enum google_problem *problem, struct err *err)
{
	struct google_status st;
	struct err perr = { 0 };
	enum err_kind kind;

	if (google_parse_status(body, len, status, &st, &perr) == -1)
		st.problem = GOOGLE_OTHER;
	st.code = (int)status;	/* the HTTP status is what we act on */
	*problem = st.problem;
	if (google_refusal(&st))
		google_refuse(g, what, op, &st);
	if (st.problem != GOOGLE_OTHER || !google_refusal(&st))
		google_explain(g, what, scope, &st);
	if (st.problem == GOOGLE_NOT_LINKED)
		return err_kind(err, ERR_ACCOUNT, "Google Health: account "
		    "not linked (400 ACCOUNT_NOT_LINKED) for '%s'", what);
	kind = status == 429 ? ERR_RATE : ERR_HTTP;
	return err_http(err, kind, (int)status, "Google Health answered %ld%s%s%s%s for "
	    "'%s'", status, st.status[0] ? " " : "", st.status,
	    st.reason[0] ? " " : "", st.reason, what);
}

int
google_ends_call(enum google_problem problem, const struct err *e)
{
	if (e->kind == ERR_HTTP && e->status == 401)
		return 1;
	switch (e->kind) {
	case ERR_STOP:
	case ERR_AUTH:
	case ERR_RATE:
	case ERR_TRANSIENT:
	case ERR_ACCOUNT:
		return 1;
	default:
		break;
	}
	return problem == GOOGLE_UBERMINT || problem == GOOGLE_DISABLED ||
	    problem == GOOGLE_REVOKED || problem == GOOGLE_BAD_SCOPES;
}

int
google_bad_answer(struct google_memo *g, const char *what,
    const struct err *err)
{
	char key[96], q[ERR_MSG_MAX + 16];

	snprintf(key, sizeof(key), "bad:%s", what);
	if (google_once(g, key))
		log_warn("Google Health sent an answer SyncBit cannot read, "
		    "that metric is skipped", "data_type=%s error=%s", what,
		    log_q(q, sizeof(q), err->msg));
	return -1;
}
