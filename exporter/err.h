/*
 * err: the first error of an operation, as one line of text.
 *
 * Functions that can fail return 0 or -1 and fill a caller's struct err.
 * The first setter wins: later calls keep the original cause, so the
 * message names what failed first. Messages hold no secret: no token, no
 * client secret, no response body of an OAuth endpoint.
 *
 * Besides the message, an error keeps what a caller may act on, each in
 * its own field: the kind of failure, the HTTP status of the answer that
 * caused it, and the errno of a failed system call.
 */
#ifndef SYNCBIT_ERR_H
#define SYNCBIT_ERR_H

#define ERR_MSG_MAX 512

/* Kinds a caller may need to tell apart. */
enum err_kind {
	ERR_NONE = 0,	/* the message says it all */
	ERR_TRANSIENT,	/* network, 5xx, timeout: retry later */
	ERR_AUTH,	/* no usable token: --authorize must run again */
	ERR_RATE,	/* 429 or budget exhausted: wait for the reset */
	ERR_STOP,	/* shutdown was requested while waiting */
	ERR_ACCOUNT,	/* the API has no data of this account at all (the
			 * source's hint says why, e.g. Google's
			 * ACCOUNT_NOT_LINKED) */
	ERR_REFUSED,	/* the remote-write receiver refuses our writes:
			 * its URL, credentials or size limit are wrong */
	ERR_HTTP,	/* the server answered this request with an error:
			 * err.status */
	ERR_SYS,	/* a system call failed: err.sys */
	ERR_TOO_LARGE,	/* the answer is over the caller's cap: asking
			 * again brings the same */
};

struct err {
	int set;
	enum err_kind kind;
	int status;		/* HTTP status of the answer; 0: none */
	int sys;		/* errno of ERR_SYS; 0: none */
	char msg[ERR_MSG_MAX];
};

/* Set the error if none is set yet (kind ERR_NONE); always returns -1. */
int err_set(struct err *, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Like err_set() with a kind. */
int err_kind(struct err *, enum err_kind, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* An HTTP answer: kind (ERR_HTTP, ERR_RATE, ...) and its status. */
int err_http(struct err *, enum err_kind, int status, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* A failed system call: ERR_SYS with errno errnum. */
int err_sys(struct err *, int errnum, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Copy src (all fields) into err if err is not set yet; returns -1. */
int err_copy(struct err *, const struct err *src);
/* 1 when the server refused this request for good: a 4xx answer other
 * than 429 (ERR_HTTP). */
int err_refused(const struct err *);
void err_clear(struct err *);

#endif
