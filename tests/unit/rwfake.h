/*
 * rwfake: the remote-write tests' tools (test_rw.c, test_rw_batch.c):
 * decoding requests and comparing them with the input samples, and a
 * scripted libmicrohttpd receiver on 127.0.0.1:0 that records every
 * request it got.
 */
#ifndef SYNCBIT_TEST_RWFAKE_H
#define SYNCBIT_TEST_RWFAKE_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include <microhttpd.h>

#include "httpc.h"
#include "remote.pb-c.h"
#include "remote/rw.h"
#include "sample.h"

#define RWF_MAX_REQS 64
#define RWF_KEY_MAX 256

/* One sample as "name\2value\1name\2value\1..." (labels in order). */
struct rwf_rec {
	char key[RWF_KEY_MAX];
	int64_t ts;
	double value;
};

struct rwf_step {
	unsigned status;
	const char *retry_after;	/* NULL: no header */
	const char *body;
	int drop;			/* close without answering */
	int quit;			/* quit_request() while answering */
	int hold;			/* answer only after rwf_release() */
};

struct rwf_got {
	char *ce, *ct, *ver, *ua, *auth, *expect, *url, *method;
	uint8_t *body;
	size_t len;
	unsigned status;		/* what the fake answered */
};

struct rwf {
	struct MHD_Daemon *d;
	pthread_mutex_t lock;
	pthread_cond_t release;
	int released;
	const struct rwf_step *script;
	size_t nscript;		/* the last step repeats */
	size_t nreq;
	struct rwf_got got[RWF_MAX_REQS];
	int port;
	/* > 0: a body longer than this gets big_status/big_body instead of
	 * the script (VictoriaMetrics' -maxInsertRequestSize) */
	size_t max_len;
	unsigned big_status;
	const char *big_body;
};

struct rwf_env {
	char *dir;
	char log[1024];
	int saved_stderr, devnull;
	struct httpc *http;
};

/* A temporary directory, the log in it at info level, stderr to
 * /dev/null and a fresh HTTP client; rwf_env_close undoes all of it. */
void rwf_env_open(struct rwf_env *env);
void rwf_env_close(struct rwf_env *env);

/* The WriteRequest in a snappy-compressed body, NULL when it is not. */
Prometheus__WriteRequest *rwf_decode(const uint8_t *z, size_t zlen);
/* Check the spec's invariants on wr and append its samples to recs;
 * returns the failures. */
int rwf_collect(const Prometheus__WriteRequest *wr, struct rwf_rec *recs,
    size_t *nrecs, size_t cap);
/* 1 when got[0..ngot) are exactly the finite samples of in[0..n), each
 * under user label user. */
int rwf_same_samples(struct rwf_rec *got, size_t ngot,
    const struct sample *in, size_t n, const char *user);
void rwf_add(struct samples *s, const char *metric, double v, int64_t ts,
    const char *n0, const char *v0, const char *n1, const char *v1);

/* The receiver answers script[i] to request i (the last step repeats). */
int rwf_start(struct rwf *f, const struct rwf_step *script, size_t n);
void rwf_stop(struct rwf *f);
/* Let the held requests answer. */
void rwf_release(struct rwf *f);
/* The requests received so far. */
size_t rwf_requests(struct rwf *f);
void rwf_limit(struct rwf *f, size_t max_len, unsigned status,
    const char *body);
/* Every request a remote-write sender must send, whatever the answer. */
int rwf_request_ok(const struct rwf_got *g);
/* Decoded bodies of requests [from, to) equal the input samples. */
int rwf_bodies_equal(struct rwf *f, size_t from, size_t to,
    const struct samples *s, const char *user);
/* An rw writing to f with user label "me". */
struct rw *rwf_rw_backoff(struct rwf_env *env, struct rwf *f,
    const char *user, const char *pass, long backoff_ms);
struct rw *rwf_rw(struct rwf_env *env, struct rwf *f, const char *user,
    const char *pass);

#endif
