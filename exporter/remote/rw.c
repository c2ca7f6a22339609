/*
 * rw: samples -> Prometheus remote write 1.0 -> VictoriaMetrics (see rw.h).
 *
 * Runs on the collector thread (and in single-threaded commands). Each
 * sample becomes an entry holding its complete label set (__name__, user,
 * its own labels), sorted by name with strcmp and without empty values.
 * Entries are sorted by label set, then time, so one series is one run of
 * entries and its samples are in time order, also across batches. A batch
 * of at most RW_BATCH_SAMPLES entries is packed, snappy block-compressed
 * and POSTed until it is acknowledged or its samples are refused for good
 * (rwstatus.c: what each answer means, as VictoriaMetrics sends it). A
 * batch too big for the receiver is halved until it fits, and later
 * batches keep the smaller size. A receiver that refuses us (credentials,
 * path, ...) fails the write at once: nothing is dropped silently.
 */
#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include <snappy-c.h>

#include "httpc.h"
#include "jitter.h"
#include "log.h"
#include "monotime.h"
#include "quit.h"
#include "remote.pb-c.h"
#include "rw.h"
#include "rwstatus.h"
#include "stats.h"

#define RW_LABELS (SAMPLE_LABELS + 2)	/* + __name__ and user */
#define RW_BODY_LOG 200			/* characters of a body in the log */
#define RW_MAX_RESP (1024 * 1024)
#define RW_RETRY_AFTER_MAX_S 3600

struct rw {
	struct rw_config cfg;
	pthread_mutex_t lock;	/* one write at a time: the workers share rw */
	struct httpc *http;
	size_t batch;		/* samples a request; shrinks on "too big" */
	int problem;		/* rwstatus code of the refusal logged, 0 */
};

/* One sample with its complete, sorted label set. */
struct entry {
	const struct sample *s;
	size_t idx;		/* position in the input: a stable tie-break */
	int nl;
	const char *name[RW_LABELS];
	const char *value[RW_LABELS];
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
	pthread_mutex_init(&rw->lock, NULL);
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
	if (rw != NULL)
		pthread_mutex_destroy(&rw->lock);
	free(rw);
}

/*
 * Fill e from s. A sample that cannot be sent as it is (NaN or infinite
 * value, no metric name, a label name given twice or clashing with
 * __name__/user) is -1: the caller counts it as rejected.
 */
static int
entry_init(struct entry *e, const struct sample *s, size_t idx,
    const char *user)
{
	const char *n, *v;
	int i, j;

	if (!isfinite(s->value) || s->metric == NULL || *s->metric == '\0')
		return -1;
	e->s = s;
	e->idx = idx;
	e->nl = 0;
	e->name[e->nl] = "__name__";
	e->value[e->nl++] = s->metric;
	if (user != NULL && *user != '\0') {
		e->name[e->nl] = "user";
		e->value[e->nl++] = user;
	}
	for (i = 0; i < SAMPLE_LABELS; i++) {
		if (s->lname[i] == NULL || *s->lname[i] == '\0' ||
		    s->lvalue[i][0] == '\0')
			continue;
		e->name[e->nl] = s->lname[i];
		e->value[e->nl++] = s->lvalue[i];
	}
	/* insertion sort: at most RW_LABELS names */
	for (i = 1; i < e->nl; i++) {
		n = e->name[i];
		v = e->value[i];
		for (j = i; j > 0 && strcmp(e->name[j - 1], n) > 0; j--) {
			e->name[j] = e->name[j - 1];
			e->value[j] = e->value[j - 1];
		}
		e->name[j] = n;
		e->value[j] = v;
	}
	for (i = 1; i < e->nl; i++)
		if (strcmp(e->name[i - 1], e->name[i]) == 0)
			return -1;
	return 0;
}

/* Order of label sets; 0 when a and b are the same series. */
static int
cmp_series(const struct entry *a, const struct entry *b)
{
	int i, c;

	for (i = 0; i < a->nl && i < b->nl; i++) {
		if ((c = strcmp(a->name[i], b->name[i])) != 0)
			return c;
		if ((c = strcmp(a->value[i], b->value[i])) != 0)
			return c;
	}
	return a->nl - b->nl;
}

static int
cmp_entry(const void *pa, const void *pb)
{
	const struct entry *a = pa, *b = pb;
	int c;

	if ((c = cmp_series(a, b)) != 0)
		return c;
	if (a->s->ts_ms != b->s->ts_ms)
		return a->s->ts_ms < b->s->ts_ms ? -1 : 1;
	return a->idx < b->idx ? -1 : a->idx > b->idx;
}

/* Sorted entries for the sendable samples of v[0..n); *bad counts the
 * others. Caller frees *out. */
static int
prepare(const struct sample *v, size_t n, const char *user,
    struct entry **out, size_t *nout, size_t *bad, struct err *err)
{
	struct entry *e;
	size_t i, k = 0;

	*out = NULL;
	*nout = *bad = 0;
	if ((e = calloc(n > 0 ? n : 1, sizeof(*e))) == NULL)
		return err_set(err, "out of memory encoding %zu samples", n);
	for (i = 0; i < n; i++) {
		if (entry_init(&e[k], &v[i], i, user) == 0)
			k++;
		else
			(*bad)++;
	}
	if (k > 1)
		qsort(e, k, sizeof(*e), cmp_entry);
	*out = e;
	*nout = k;
	return 0;
}

/*
 * The WriteRequest for e[0..n) (sorted), packed and compressed. The
 * protobuf-c structs borrow the strings of the samples: nothing is copied.
 */
static int
encode_entries(const struct entry *e, size_t n, uint8_t **out,
    size_t *out_len, struct err *err)
{
	Prometheus__WriteRequest wr = PROMETHEUS__WRITE_REQUEST__INIT;
	Prometheus__TimeSeries *ts = NULL, **tsp = NULL;
	Prometheus__Label *lab = NULL, **labp = NULL;
	Prometheus__Sample *smp = NULL, **smpp = NULL;
	uint8_t *pb = NULL, *z = NULL;
	size_t i, nseries = 0, nlab = 0, pblen, zlen;
	int j, rc = -1;

	*out = NULL;
	*out_len = 0;
	for (i = 0; i < n; i++)
		if (i == 0 || cmp_series(&e[i - 1], &e[i]) != 0)
			nseries++;
	ts = calloc(nseries + 1, sizeof(*ts));
	tsp = calloc(nseries + 1, sizeof(*tsp));
	lab = calloc(nseries * RW_LABELS + 1, sizeof(*lab));
	labp = calloc(nseries * RW_LABELS + 1, sizeof(*labp));
	smp = calloc(n + 1, sizeof(*smp));
	smpp = calloc(n + 1, sizeof(*smpp));
	if (ts == NULL || tsp == NULL || lab == NULL || labp == NULL ||
	    smp == NULL || smpp == NULL) {
		err_set(err, "out of memory encoding %zu samples", n);
		goto out;
	}
	nseries = 0;
	for (i = 0; i < n; i++) {
		if (i == 0 || cmp_series(&e[i - 1], &e[i]) != 0) {
			Prometheus__TimeSeries *t = &ts[nseries];

			prometheus__time_series__init(t);
			t->labels = &labp[nlab];
			t->n_labels = (size_t)e[i].nl;
			for (j = 0; j < e[i].nl; j++, nlab++) {
				prometheus__label__init(&lab[nlab]);
				/* pack() only reads them */
				lab[nlab].name = (char *)e[i].name[j];
				lab[nlab].value = (char *)e[i].value[j];
				labp[nlab] = &lab[nlab];
			}
			t->samples = &smpp[i];
			tsp[nseries++] = t;
		}
		prometheus__sample__init(&smp[i]);
		smp[i].value = e[i].s->value;
		smp[i].timestamp = e[i].s->ts_ms;
		smpp[i] = &smp[i];
		tsp[nseries - 1]->n_samples++;
	}
	wr.timeseries = tsp;
	wr.n_timeseries = nseries;

	pblen = prometheus__write_request__get_packed_size(&wr);
	zlen = snappy_max_compressed_length(pblen);
	pb = malloc(pblen + 1);
	z = malloc(zlen + 1);
	if (pb == NULL || z == NULL) {
		err_set(err, "out of memory encoding %zu samples", n);
		goto out;
	}
	if (prometheus__write_request__pack(&wr, pb) != pblen ||
	    snappy_compress((const char *)pb, pblen, (char *)z,
	    &zlen) != SNAPPY_OK) {
		err_set(err, "cannot encode %zu samples", n);
		goto out;
	}
	*out = z;
	*out_len = zlen;
	z = NULL;
	rc = 0;
out:
	free(z);
	free(pb);
	free(smpp);
	free(smp);
	free(labp);
	free(lab);
	free(tsp);
	free(ts);
	return rc;
}

int
rw_encode(const struct sample *v, size_t n, const char *user_label,
    uint8_t **out, size_t *out_len, struct err *err)
{
	struct entry *e;
	size_t ne, bad;
	int rc;

	if (prepare(v, n, user_label, &e, &ne, &bad, err) == -1)
		return -1;
	rc = encode_entries(e, ne, out, out_len, err);
	free(e);
	return rc;
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

/* Encode and post e[0..n), halved until each part fits. */
static int
send_entries(struct rw *rw, const struct entry *e, size_t n, size_t *rej,
    struct err *err)
{
	uint8_t *buf;
	size_t blen, half;
	int r;

	if (encode_entries(e, n, &buf, &blen, err) == -1)
		return -1;
	r = post(rw, buf, blen, n, err);
	free(buf);
	if (r == 1)
		*rej += n;
	if (r != 2)
		return r == -1 ? -1 : 0;
	half = n / 2;
	if (half < rw->batch) {
		rw->batch = half;
		log_info("remote write batch too big, splitting",
		    "samples=%zu bytes=%zu batch=%zu", n, blen, half);
	}
	if (send_entries(rw, e, half, rej, err) == -1)
		return -1;
	return send_entries(rw, e + half, n - half, rej, err);
}

int
rw_write(struct rw *rw, const char *user, const struct samples *s,
    size_t *rejected, struct err *err)
{
	struct entry *e = NULL;
	size_t n, bad, off, len, rej = 0;
	int rc = -1;

	pthread_mutex_lock(&rw->lock);
	if (prepare(s->v, s->len, user != NULL ? user : rw->cfg.user_label,
	    &e, &n, &bad, err) == -1)
		goto out;
	if (bad > 0) {
		atomic_fetch_add(&stats_get()->rw_rejected, bad);
		log_warn("samples not sent: value not finite or bad labels",
		    "count=%zu", bad);
		rej = bad;
	}
	for (off = 0; off < n; off += len) {
		len = n - off < rw->batch ? n - off : rw->batch;
		if (send_entries(rw, e + off, len, &rej, err) == -1)
			goto out;
	}
	rc = 0;
out:
	pthread_mutex_unlock(&rw->lock);
	if (rejected != NULL)
		*rejected = rej;
	free(e);
	return rc;
}
