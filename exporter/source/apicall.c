/* apicall: the request loop of every source (see apicall.h). */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "apicall.h"
#include "source.h"
#include "auth/oauth.h"
#include "jitter.h"
#include "log.h"
#include "monotime.h"
#include "quit.h"
#include "stats.h"

long
apicall_header_num(const struct httpc_resp *r, const char *name)
{
	char buf[32], *end;
	long v;

	if (httpc_header(r, name, buf, sizeof(buf)) == NULL ||
	    !isdigit((unsigned char)buf[0]))
		return -1;
	errno = 0;
	v = strtol(buf, &end, 10);
	return *end == '\0' && errno == 0 ? v : -1;
}

/* The wait before retry n (from 0). */
static long
backoff_ms(const struct apicall_backoff *b, int n)
{
	long span = b->base_ms;

	while (n-- > 0 && (b->cap_ms == 0 || span < b->cap_ms))
		span *= 2;
	if (b->cap_ms > 0 && span > b->cap_ms)
		span = b->cap_ms;
	if (b->jitter == APICALL_FULL_JITTER)
		return b->floor_ms + jitter_below(span);
	return span + jitter_below(b->jitter_ms);
}

/* Retry-After in seconds (an HTTP date is ignored) as ms, or -1. */
static long
retry_after_ms(const struct apicall_policy *p, const struct httpc_resp *r)
{
	long s;

	if (p->retry_after_max_s <= 0 ||
	    (s = apicall_header_num(r, "Retry-After")) <= 0)
		return -1;
	return (s > p->retry_after_max_s ? p->retry_after_max_s : s) * 1000;
}

/* One exchange: counted, its budget read, logged at debug level by path. */
static int
send_once(const struct apicall *a, const struct httpc_req *req,
    struct httpc_resp *r, struct err *err)
{
	const struct apicall_policy *p = a->policy;
	const char *path = req->url + strlen(a->src->api_url);
	const char *method = req->method != NULL ? req->method : "GET";
	int64_t t0 = monotime_ms();
	long status;
	int rc;

	a->src->requests++;
	rc = httpc_do(a->src->http, req, r, err);
	if (rc == -1 && err->kind == ERR_STOP)
		return -1;
	status = rc == 0 ? r->status : 0;
	stats_count_request(a->src->stats, status);
	if (p->budget != NULL)
		log_debug(p->log.event, "method=%s path=%.*s status=%ld "
		    "remaining=%d duration_ms=%lld", method,
		    (int)strcspn(path, "?"), path, status,
		    p->budget(a->ctx, rc == 0 ? r : NULL),
		    (long long)(monotime_ms() - t0));
	else
		log_debug(p->log.event, "method=%s path=%.*s status=%ld "
		    "duration_ms=%lld", method, (int)strcspn(path, "?"), path,
		    status, (long long)(monotime_ms() - t0));
	return rc;
}

/* One call on its way through the loop; wiped when it ends. */
struct run {
	struct httpc_req req;
	int tries;			/* retries so far */
	int limited;			/* 429s given to rate_wait */
	int refreshed;
	char token[APICALL_TOKEN_MAX];
	char used[APICALL_TOKEN_MAX];	/* the token a 401 refused */
};

/*
 * A non-2xx answer: 1 to try again (after *wait ms, -1 for the backoff),
 * 2 to send again at once (a refresh, a rate window waited out), 0 when
 * the call ends (err set).
 */
static int
judge(const struct apicall *a, struct run *run, const struct httpc_resp *r,
    long *wait, struct err *err)
{
	const struct apicall_policy *p = a->policy;

	if (r->status == 429 && p->rate_wait != NULL)
		return p->rate_wait(a->ctx, r, ++run->limited, err) == -1 ?
		    0 : 2;
	if (r->status == 401 && !run->refreshed && (p->refreshable == NULL ||
	    p->refreshable(a->ctx, r))) {
		run->refreshed = 1;
		memcpy(run->used, run->token, sizeof(run->used));
		return oauth_refresh_after_401(a->src->oauth, run->used, run->token,
		    sizeof(run->token), err) == -1 ? 0 : 2;
	}
	if (!p->retryable(a->ctx, r) || run->tries >= p->retries) {
		p->fail(a->ctx, r, run->tries + 1, err);
		return 0;
	}
	*wait = retry_after_ms(p, r);
	return 1;
}

int
apicall_perform(const struct apicall *a, const struct httpc_req *req,
    const char *what, struct httpc_resp *r, struct err *err)
{
	const struct apicall_policy *p = a->policy;
	struct run run;
	struct err e;
	int rc = -1, go;
	long wait;

	memset(&run, 0, sizeof(run));
	run.req = *req;
	run.req.bearer = run.token;
	if (oauth_access_token(a->src->oauth, run.token, sizeof(run.token),
	    err) == -1)
		goto out;
	for (;;) {
		err_clear(&e);
		wait = -1;
		if (p->pace != NULL && p->pace(a->ctx, err) == -1)
			goto out;
		if (send_once(a, &run.req, r, &e) == 0) {
			if (r->status >= 200 && r->status < 300) {
				rc = 0;
				goto out;
			}
			if ((go = judge(a, &run, r, &wait, err)) == 0)
				goto out;
			if (go == 2)
				continue;
		} else if (e.kind == ERR_STOP) {
			err_kind(err, ERR_STOP, "stopping");
			goto out;
		} else if (e.kind == ERR_TOO_LARGE || run.tries >= p->retries) {
			/* the same answer again would be as large */
			err_kind(err, e.kind == ERR_TOO_LARGE ? ERR_TOO_LARGE :
			    ERR_TRANSIENT, "%s", e.msg);
			goto out;
		}
		if (wait < 0)
			wait = backoff_ms(&p->backoff, run.tries);
		log_debug(p->log.retry_event, "%s=%s status=%ld wait_ms=%ld",
		    p->log.what_key, what, e.set ? 0 : r->status, wait);
		run.tries++;
		if (quit_sleep(wait)) {
			err_kind(err, ERR_STOP, "stopping");
			goto out;
		}
	}
out:
	explicit_bzero(&run, sizeof(run));
	return rc;
}
