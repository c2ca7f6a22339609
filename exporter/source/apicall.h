/*
 * apicall: the one request loop of every data source. A call is sent
 * with a Bearer token until an answer settles it, under the source's
 * retry policy:
 *
 *   - the token comes from oauth; a 401 the policy calls refreshable
 *     gets one refresh (oauth_refresh_after_401) and one more try;
 *   - a 429 goes to the policy's rate_wait when it has one (a rate
 *     window: wait and try again, not counted as a failure), else it is
 *     an answer like any other;
 *   - an answer the policy calls retryable, or no answer at all, is tried
 *     again up to `retries` times, after Retry-After (when the policy
 *     honours it) or a jittered backoff;
 *   - anything else is final: the policy's fail() turns it into err.
 *
 * Every exchange is counted (stats_count_request, *requests) and logged
 * at debug level by path only (never the query or a body); every retry
 * says its wait at debug level. The token buffers live on the loop's
 * stack and are wiped on every exit. The source keeps its own error
 * bodies: the hooks read them. Runs on the caller's thread.
 */
#ifndef SYNCBIT_APICALL_H
#define SYNCBIT_APICALL_H

#include <stdint.h>

#include "err.h"
#include "httpc.h"

struct oauth;
struct source;

#define APICALL_TOKEN_MAX 4096

enum apicall_jitter {
	APICALL_EXP_PLUS_JITTER,	/* span + [0, jitter_ms) */
	APICALL_FULL_JITTER,		/* floor_ms + [0, span) */
};

/* The wait before retry n (from 0): its span is base_ms << n, at most
 * cap_ms (0: no cap), spread by the jitter. */
struct apicall_backoff {
	enum apicall_jitter jitter;
	long base_ms;
	long cap_ms;
	long jitter_ms;			/* APICALL_EXP_PLUS_JITTER */
	long floor_ms;			/* APICALL_FULL_JITTER */
};

/* The debug lines' names: an exchange, a retry, the key of the call's
 * name in the retry line. */
struct apicall_log {
	const char *event;
	const char *retry_event;
	const char *what_key;
};

/* How a source retries. Each hook gets the ctx of struct apicall; the
 * optional ones may be NULL. */
struct apicall_policy {
	struct apicall_log log;
	int retries;			/* tries after the first */
	struct apicall_backoff backoff;
	long retry_after_max_s;		/* > 0: a retried answer waits its
					 * Retry-After, at most this long */
	/* optional: before every send (a token bucket); -1 with err ends */
	int (*pace)(void *ctx, struct err *err);
	/* optional: after every exchange, r NULL when no answer came: read
	 * the rate headers, return the remaining budget (-1: unknown) that
	 * the exchange's line then says as remaining= */
	int (*budget)(void *ctx, const struct httpc_resp *r);
	/* optional: 401 curable by a new token (NULL: every 401) */
	int (*refreshable)(void *ctx, const struct httpc_resp *r);
	/* optional: the n-th 429 of the call: 0 to try again, -1 with err */
	int (*rate_wait)(void *ctx, const struct httpc_resp *r, int n,
	    struct err *err);
	/* a non-2xx answer that may be tried again */
	int (*retryable)(void *ctx, const struct httpc_resp *r);
	/* a final answer after `tries` tries -> err; returns -1 */
	int (*fail)(void *ctx, const struct httpc_resp *r, int tries,
	    struct err *err);
};

/* Who sends: the source (its clients, API base, request count and
 * account stats: source.h) and its policy. */
struct apicall {
	const struct apicall_policy *policy;
	struct source *src;
	void *ctx;			/* for the hooks */
};

/* Perform req (its bearer is set here) until an answer settles it: 0
 * with a 2xx in r, or -1 with err (ERR_STOP on a quit, ERR_TRANSIENT
 * when no answer came, ERR_TOO_LARGE at once when the answer was over
 * req's cap, else what fail() or rate_wait() said). */
int apicall_perform(const struct apicall *a, const struct httpc_req *req,
    const char *what, struct httpc_resp *r, struct err *err);

/* A header holding a plain count of seconds or requests; -1 when absent
 * or not a number that fits a long. */
long apicall_header_num(const struct httpc_resp *r, const char *name);

#endif
