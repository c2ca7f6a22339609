/*
 * rw: samples -> Prometheus remote write 1.0 -> VictoriaMetrics (see rw.h).
 *
 * The fleet's workers write through one rw. Writes that arrive while a
 * request is in flight queue up, and the next writer to find rw idle
 * becomes the leader: it sends everything queued as one stream of
 * entries (rw_entry.c), so the accounts of a household share requests
 * (a group commit). Every writer waits until its own samples are settled
 * and learns its own outcome.
 *
 * A batch of at most rw->batch entries is packed, snappy block-compressed
 * and POSTed until it is acknowledged or its samples are refused for good
 * (rwstatus.c: what each answer means, as VictoriaMetrics sends it). A
 * refused batch that mixes accounts is resent one account at a time, so
 * that one account's bad samples never cost another's. A batch too big
 * for the receiver is halved until it fits, and later batches keep the
 * smaller size. A receiver that refuses us (credentials, path, ...) fails
 * every write not yet settled at once: nothing is dropped silently.
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "httpc.h"
#include "jitter.h"
#include "log.h"
#include "monotime.h"
#include "quit.h"
#include "rw.h"
#include "rw_entry.h"
#include "rwstatus.h"
#include "stats.h"

#define RW_BODY_LOG 200			/* characters of a body in the log */
#define RW_MAX_RESP (1024 * 1024)
#define RW_RETRY_AFTER_MAX_S 3600

/* One rw_write() call, on its caller's stack, queued until settled. */
struct rw_job {
	const char *user;
	const struct samples *s;
	size_t entries;		/* its sendable samples */
	size_t settled;		/* of those: acknowledged or refused for good */
	size_t rejected;	/* not sendable or refused for good */
	int failed;		/* some were not delivered: err says why */
	int done;
	struct err err;
	struct rw_job *next;
};

struct rw {
	struct rw_config cfg;
	pthread_mutex_t lock;	/* guards queue, tail and busy */
	pthread_cond_t idle;	/* a leader finished */
	struct rw_job *queue, **tail;
	int busy;		/* a leader is sending */
	/* the leader's, one leader at a time */
	struct httpc *http;
	size_t batch;		/* samples a request; shrinks on "too big" */
	int problem;		/* rwstatus code of the refusal logged, 0 */
};

struct rw *
rw_new(const struct rw_config *cfg, struct httpc *http)
{
	struct rw *rw;

	if (cfg->endpoint == NULL || http == NULL)
		return NULL;
	if ((rw = calloc(1, sizeof(*rw))) == NULL)
		return NULL;
	rw->cfg = *cfg;
	rw->http = http;
	rw->batch = RW_BATCH_SAMPLES;
	rw->tail = &rw->queue;
	pthread_mutex_init(&rw->lock, NULL);
	pthread_cond_init(&rw->idle, NULL);
	if (rw->cfg.backoff_min_ms <= 0)
		rw->cfg.backoff_min_ms = 500;
	if (rw->cfg.backoff_max_ms <= 0)
		rw->cfg.backoff_max_ms = 5 * 60 * 1000;
	if (rw->cfg.backoff_max_ms < rw->cfg.backoff_min_ms)
		rw->cfg.backoff_max_ms = rw->cfg.backoff_min_ms;
	return rw;
}

void
rw_free(struct rw *rw)
{
	if (rw != NULL) {
		pthread_cond_destroy(&rw->idle);
		pthread_mutex_destroy(&rw->lock);
	}
	free(rw);
}

/* Retry-After in seconds (the HTTP-date form is not used by VM): -1 when
 * absent or not a plain number. */
static long
retry_after_ms(const struct httpc_resp *resp)
{
	char buf[32];
	const char *p;
	long s = 0;

	if (resp->status == 0 ||
	    httpc_header(resp, "Retry-After", buf, sizeof(buf)) == NULL ||
	    buf[0] == '\0')
		return -1;
	for (p = buf; *p != '\0'; p++) {
		if (*p < '0' || *p > '9')
			return -1;
		if (s < RW_RETRY_AFTER_MAX_S)
			s = s * 10 + (*p - '0');
	}
	if (s > RW_RETRY_AFTER_MAX_S)
		s = RW_RETRY_AFTER_MAX_S;
	return s * 1000;
}

/* Full jitter: uniform in [0, min(max, min * 2^(attempt-1))]. */
static long
backoff_ms(struct rw *rw, unsigned attempt)
{
	long cap = rw->cfg.backoff_min_ms;
	unsigned i;

	for (i = 1; i < attempt && cap < rw->cfg.backoff_max_ms; i++)
		cap *= 2;
	if (cap > rw->cfg.backoff_max_ms)
		cap = rw->cfg.backoff_max_ms;
	return (long)(jitter_next() % ((uint64_t)cap + 1));
}

/*
 * At most RW_BODY_LOG printable ASCII characters of body, control and
 * other bytes dropped, "..." when more followed: enough to see what VM
 * objected to, too little to carry a whole echoed request.
 */
static void
body_excerpt(const char *body, size_t len, char *out, size_t size)
{
	size_t i, o = 0, max = size - 4;

	if (max > RW_BODY_LOG)
		max = RW_BODY_LOG;
	for (i = 0; i < len; i++) {
		if (body[i] < 0x20 || body[i] > 0x7e)
			continue;
		if (o == max) {
			memcpy(out + o, "...", 3);
			o += 3;
			break;
		}
		out[o++] = body[i];
	}
	out[o] = '\0';
}

static void
log_retry(const struct httpc_resp *resp, const struct err *e,
    unsigned attempt, long delay, size_t n)
{
	char text[RW_BODY_LOG + 4], q[2 * RW_BODY_LOG + 16];

	if (resp->status == 0) {
		log_warn("remote write failed, will retry",
		    "attempt=%u error=%s delay_ms=%ld samples=%zu", attempt,
		    log_q(q, sizeof(q), e->msg), delay, n);
		return;
	}
	body_excerpt(resp->body, resp->len, text, sizeof(text));
	log_warn("remote write failed, will retry",
	    "attempt=%u status=%ld body=%s delay_ms=%ld samples=%zu", attempt,
	    resp->status, log_q(q, sizeof(q), text), delay, n);
}

/* The receiver refuses us: one line per distinct problem says what to
 * fix, /readyz says it until a write goes through. */
static int
refused(struct rw *rw, const struct httpc_resp *resp, int problem, size_t n,
    struct err *err)
{
	const char *hint = rwstatus_hint(problem);
	char text[RW_BODY_LOG + 4], q[2 * RW_BODY_LOG + 16];

	if (problem != rw->problem) {
		body_excerpt(resp->body, resp->len, text, sizeof(text));
		log_error(hint, "status=%ld body=%s samples=%zu", resp->status,
		    log_q(q, sizeof(q), text), n);
		rw->problem = problem;
	}
	atomic_store(&stats_get()->rw_refused, problem);
	return err_kind(err, ERR_REFUSED, "%s", hint);
}

static void
accepted(struct rw *rw, size_t n, unsigned attempt)
{
	atomic_fetch_add(&stats_get()->rw_sent, n);
	if (attempt > 1)
		log_info("remote write delivered", "attempts=%u samples=%zu",
		    attempt, n);
	if (rw->problem != 0)
		log_info("VictoriaMetrics accepts our writes", "samples=%zu",
		    n);
	rw->problem = 0;
	atomic_store(&stats_get()->rw_refused, 0);
}

/*
 * POST one compressed batch of n samples until it is settled. Returns 0
 * when acknowledged, 1 when its samples are refused for good, 2 when it
 * is too big (n > 1: the caller splits it), -1 with err: ERR_STOP on quit,
 * ERR_TRANSIENT after give_up_ms, ERR_REFUSED when the receiver refuses
 * us (also for a single sample too big).
 */
static int
post(struct rw *rw, const uint8_t *body, size_t len, size_t n,
    struct err *err)
{
	static const char *const headers[] = {
		"Content-Encoding: snappy",
		"X-Prometheus-Remote-Write-Version: 0.1.0",
		"Expect:",	/* no 100-continue round trip */
		NULL,
	};
	struct stats *st = stats_get();
	struct httpc_req req;
	struct httpc_resp resp;
	struct err e;
	char text[RW_BODY_LOG + 4], q[2 * RW_BODY_LOG + 16];
	unsigned attempt;
	long delay;
	int rc;
	enum rw_verdict v;
	int64_t t0;
	long waited;

	memset(&req, 0, sizeof(req));
	req.method = "POST";
	req.url = rw->cfg.endpoint;
	req.content_type = "application/x-protobuf";
	req.body = body;
	req.body_len = len;
	req.headers = headers;
	req.max_body = RW_MAX_RESP;
	if (rw->cfg.user != NULL && *rw->cfg.user != '\0') {
		req.basic_user = rw->cfg.user;
		req.basic_pass = rw->cfg.password;
	}
	httpc_resp_init(&resp);
	t0 = monotime_ms();
	for (attempt = 1;; attempt++) {
		memset(&e, 0, sizeof(e));
		if (httpc_do(rw->http, &req, &resp, &e) == -1 &&
		    (e.kind == ERR_STOP || quit_requested())) {
			rc = err_kind(err, ERR_STOP, "remote write stopped: "
			    "shutting down");
			break;
		}
		v = rwstatus_classify(resp.status, resp.body, resp.len);
		if (v == RW_ACK) {
			accepted(rw, n, attempt);
			rc = 0;
			break;
		}
		if (v == RW_TOO_BIG && n > 1) {
			rc = 2;
			break;
		}
		if (v == RW_TOO_BIG || v == RW_REFUSED) {
			rc = refused(rw, &resp, v == RW_TOO_BIG ?
			    RWSTATUS_SAMPLE : rwstatus_problem(resp.status), n,
			    err);
			break;
		}
		if (v == RW_REJECTED) {
			atomic_fetch_add(&st->rw_rejected, n);
			body_excerpt(resp.body, resp.len, text, sizeof(text));
			log_warn("remote write rejected",
			    "status=%ld body=%s samples=%zu", resp.status,
			    log_q(q, sizeof(q), text), n);
			rc = 1;
			break;
		}
		atomic_fetch_add(&st->rw_retried, n);
		if ((delay = retry_after_ms(&resp)) < 0)
			delay = backoff_ms(rw, attempt);
		/* 1, 2, 4, 8, ...: a long outage costs a few lines */
		if ((attempt & (attempt - 1)) == 0)
			log_retry(&resp, &e, attempt, delay, n);
		waited = (long)(monotime_ms() - t0);
		if (rw->cfg.give_up_ms > 0 &&
		    waited + delay > rw->cfg.give_up_ms) {
			rc = err_kind(err, ERR_TRANSIENT, "VictoriaMetrics did "
			    "not acknowledge within %ld s; will retry later",
			    rw->cfg.give_up_ms / 1000);
			break;
		}
		if (quit_sleep(delay)) {
			rc = err_kind(err, ERR_STOP, "remote write stopped: "
			    "shutting down");
			break;
		}
	}
	httpc_resp_release(&resp);
	return rc;
}

/* e[0..n) is acknowledged (rejected == 0) or refused for good. */
static void
settle(const struct rw_entry *e, size_t n, int rejected)
{
	size_t i;

	for (i = 0; i < n; i++) {
		e[i].job->settled++;
		if (rejected)
			e[i].job->rejected++;
	}
}

static int send_entries(struct rw *, const struct rw_entry *, size_t,
    struct err *);

/* Resend refused e[0..n) one account at a time. */
static int
send_per_user(struct rw *rw, const struct rw_entry *e, size_t n,
    struct err *err)
{
	size_t i, from = 0;

	for (i = 1; i <= n; i++) {
		if (i < n && strcmp(e[i].user, e[from].user) == 0)
			continue;
		if (send_entries(rw, e + from, i - from, err) == -1)
			return -1;
		from = i;
	}
	return 0;
}

/* Encode and post e[0..n), halved until each part fits. */
static int
send_entries(struct rw *rw, const struct rw_entry *e, size_t n,
    struct err *err)
{
	uint8_t *buf;
	size_t blen, half;
	int r;

	if (rw_entries_encode(e, n, &buf, &blen, err) == -1)
		return -1;
	r = post(rw, buf, blen, n, err);
	free(buf);
	if (r == 1 && rw_entries_mixed(e, n))
		return send_per_user(rw, e, n, err);
	if (r == 0 || r == 1)
		settle(e, n, r == 1);
	if (r != 2)
		return r == -1 ? -1 : 0;
	half = n / 2;
	if (half < rw->batch) {
		rw->batch = half;
		log_info("remote write batch too big, splitting",
		    "samples=%zu bytes=%zu batch=%zu", n, blen, half);
	}
	if (send_entries(rw, e, half, err) == -1)
		return -1;
	return send_entries(rw, e + half, n - half, err);
}

static void
fail_unsettled(struct rw_job *jobs, const struct err *err)
{
	struct rw_job *j;

	for (j = jobs; j != NULL; j = j->next) {
		if (j->settled < j->entries) {
			j->failed = 1;
			err_copy(&j->err, err);
		}
	}
}

/* The leader: send the samples of every queued write as one stream. */
static void
deliver(struct rw *rw, struct rw_job *jobs)
{
	struct rw_entry *e;
	struct rw_job *j;
	struct err err;
	size_t n = 0, ne = 0, bad, off, len;
	char q[96];
	const char *prev;

	memset(&err, 0, sizeof(err));
	/* the lines of a shared batch are no one account's */
	prev = log_set_user(NULL);
	for (j = jobs; j != NULL; j = j->next)
		n += j->s->len;
	if ((e = calloc(n > 0 ? n : 1, sizeof(*e))) == NULL) {
		err_set(&err, "out of memory encoding %zu samples", n);
		for (j = jobs; j != NULL; j = j->next)
			j->entries = j->s->len;
		fail_unsettled(jobs, &err);
		log_set_user(prev);
		return;
	}
	for (j = jobs; j != NULL; j = j->next) {
		bad = 0;
		rw_entries_add(e, &ne, j->s->v, j->s->len, j->user, j, &bad);
		j->entries = j->s->len - bad;
		j->rejected = bad;
		if (bad == 0)
			continue;
		atomic_fetch_add(&stats_get()->rw_rejected, bad);
		log_warn("samples not sent: value not finite or bad labels",
		    "user=%s count=%zu", log_q(q, sizeof(q), j->user), bad);
	}
	rw_entries_sort(e, ne);
	for (off = 0; off < ne; off += len) {
		len = ne - off < rw->batch ? ne - off : rw->batch;
		if (send_entries(rw, e + off, len, &err) == -1) {
			fail_unsettled(jobs, &err);
			break;
		}
	}
	free(e);
	log_set_user(prev);
}

size_t
rw_waiting(struct rw *rw)
{
	struct rw_job *j;
	size_t n = 0;

	pthread_mutex_lock(&rw->lock);
	for (j = rw->queue; j != NULL; j = j->next)
		n++;
	pthread_mutex_unlock(&rw->lock);
	return n;
}

int
rw_write(struct rw *rw, const char *user, const struct samples *s,
    size_t *rejected, struct err *err)
{
	struct rw_job job, *jobs, *j, *next;

	memset(&job, 0, sizeof(job));
	job.user = user != NULL ? user : rw->cfg.user_label;
	if (job.user == NULL)
		job.user = "";
	job.s = s;
	pthread_mutex_lock(&rw->lock);
	*rw->tail = &job;
	rw->tail = &job.next;
	while (!job.done) {
		if (rw->busy) {
			pthread_cond_wait(&rw->idle, &rw->lock);
			continue;
		}
		jobs = rw->queue;
		rw->queue = NULL;
		rw->tail = &rw->queue;
		rw->busy = 1;
		pthread_mutex_unlock(&rw->lock);
		deliver(rw, jobs);
		pthread_mutex_lock(&rw->lock);
		for (j = jobs; j != NULL; j = next) {
			next = j->next;
			j->done = 1;
		}
		rw->busy = 0;
		pthread_cond_broadcast(&rw->idle);
	}
	pthread_mutex_unlock(&rw->lock);
	if (rejected != NULL)
		*rejected = job.rejected;
	if (!job.failed)
		return 0;
	err_copy(err, &job.err);
	return -1;
}
