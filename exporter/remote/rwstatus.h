/*
 * rwstatus: what an answer of a remote-write receiver means for the
 * samples of the batch, and what to tell the user when it refuses them.
 *
 * Only a refusal of the samples themselves is final (400, see below). A
 * refusal of the endpoint (credentials, path, method, size, any other 4xx
 * or a redirect) is a configuration error: nothing of the batch counts as
 * delivered, the caller keeps it pending and says what to fix. Pure
 * functions, any thread.
 */
#ifndef SYNCBIT_RWSTATUS_H
#define SYNCBIT_RWSTATUS_H

#include <stddef.h>

enum rw_verdict {
	RW_ACK,		/* 2xx: delivered */
	RW_RETRY,	/* no answer, 408, 429, 5xx: the same batch again */
	RW_TOO_BIG,	/* 413, or VM's 400 "too big ... request": split */
	RW_REJECTED,	/* any other 400: the samples are refused for good */
	RW_REFUSED,	/* the endpoint refuses us: fix the config */
};

/* "Problem" codes for rwstatus_hint(): the HTTP status, except these. */
#define RWSTATUS_PATH	400	/* 400 "unsupported path requested" */
#define RWSTATUS_SAMPLE	413	/* one sample alone is too big */

/* The verdict for status (0: no HTTP answer) and body[0..len). */
enum rw_verdict rwstatus_classify(long status, const char *body, size_t len);

/* The problem code of a refusal: RWSTATUS_PATH for a 400, else status. */
int rwstatus_problem(long status);

/* One line saying what to fix, for the log and /readyz: a static string,
 * "VictoriaMetrics refuses our writes: 401, check VICTORIA_USER/...". */
const char *rwstatus_hint(int problem);

#endif
