/*
 * httpc: one HTTP exchange over libcurl, with the limits every call needs.
 *
 * Connect and total timeouts, a cap on the response body (a bigger body is
 * an error, ERR_TOO_LARGE, never a silent truncation) and on its headers
 * (HTTPC_MAX_HEADERS_BYTES), TLS verification on, no redirects followed,
 * the final response's headers looked up case-insensitively through
 * libcurl's curl_easy_header() (valid until the next request on the same
 * struct httpc; afterwards httpc_header() finds nothing). A quit
 * (quit.h) aborts a request in flight unless it must finish. httpc never
 * logs: it returns
 * an err naming the URL's host and what failed. No secret reaches err:
 * the Authorization header and the request body are never quoted.
 * Thread-safe as long as each thread uses its own struct httpc.
 */
#ifndef SYNCBIT_HTTPC_H
#define SYNCBIT_HTTPC_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

#define HTTPC_MAX_HEADERS_BYTES (32 * 1024)

struct httpc;

struct httpc_req {
	const char *method;		/* "GET" (default when NULL), "POST" */
	const char *url;
	const char *bearer;		/* Authorization: Bearer ..., or NULL */
	const char *basic_user;		/* Authorization: Basic, or NULL */
	const char *basic_pass;
	const char *content_type;	/* for body */
	const void *body;
	size_t body_len;
	const char *const *headers;	/* extra "Name: value", NULL-terminated */
	size_t max_body;		/* 0: HTTPC_DEFAULT_MAX_BODY */
	long timeout_s;			/* 0: the httpc default */
	int finish_on_quit;		/* 1: a shutdown does not abort it (a
					 * token refresh the API has acted on);
					 * it still ends within timeout_s */
};

#define HTTPC_DEFAULT_MAX_BODY (8 * 1024 * 1024)

struct httpc_resp {
	long status;		/* 0 when no HTTP answer arrived */
	char *body;		/* NUL-terminated, len bytes */
	size_t len;
	/* whose headers: the struct httpc and which of its transfers */
	const struct httpc *http;
	uint64_t transfer;
};

/* connect_s/total_s: 0 picks 10 s / 60 s. ca_file may be NULL. */
struct httpc *httpc_new(long connect_s, long total_s, const char *user_agent,
    const char *ca_file);
void httpc_free(struct httpc *);

void httpc_resp_init(struct httpc_resp *);
void httpc_resp_release(struct httpc_resp *);

/*
 * Perform req. Returns 0 when an HTTP response arrived (any status: the
 * caller judges it), -1 with err when none did: code ERR_STOP when a quit
 * aborted it, ERR_TRANSIENT otherwise (refused, timed out, TLS failure,
 * a body or headers over the cap, out of memory).
 */
int httpc_do(struct httpc *, const struct httpc_req *, struct httpc_resp *,
    struct err *);

/* Value of the first header name of resp's final response (case-
 * insensitive, curl_easy_header()), without surrounding blanks, copied
 * into buf (cut to size - 1); returns buf, or NULL when absent or when
 * another request was made on resp's struct httpc since. */
const char *httpc_header(const struct httpc_resp *, const char *name,
    char *buf, size_t size);

/* Percent-encode s for a query or form value (curl_easy_escape: all but
 * A-Z a-z 0-9 - . _ ~); curl's own copy is wiped, as s may be a secret.
 * Caller frees (free()). NULL when out of memory. */
char *httpc_escape(const char *s);

#endif
