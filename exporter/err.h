/*
 * err: the first error of an operation, as one line of text.
 *
 * Functions that can fail return 0 or -1 and fill a caller's struct err.
 * The first err_set() wins: later calls keep the original cause, so the
 * message names what failed first. Messages hold no secret: no token, no
 * client secret, no response body of an OAuth endpoint.
 */
#ifndef SYNCBIT_ERR_H
#define SYNCBIT_ERR_H

#define ERR_MSG_MAX 512

struct err {
	int set;
	int code;		/* optional: an HTTP status or an ERR_* kind */
	char msg[ERR_MSG_MAX];
};

/* Kinds a caller may need to tell apart (err.code when not an HTTP status). */
#define ERR_TRANSIENT	1000	/* network, 5xx, timeout: retry later */
#define ERR_AUTH	1001	/* no usable token: --authorize must run again */
#define ERR_RATE	1002	/* 429 or budget exhausted: wait for the reset */
#define ERR_STOP	1003	/* shutdown was requested while waiting */
#define ERR_NOT_LINKED	1004	/* Google: the account has no Google Health data */
#define ERR_REFUSED	1005	/* the remote-write receiver refuses our writes:
				 * its URL, credentials or size limit are wrong */

/* Set the error if none is set yet; always returns -1. */
int err_set(struct err *, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Like err_set() and also records a code. */
int err_setc(struct err *, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void err_clear(struct err *);

#endif
