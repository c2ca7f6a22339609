/*
 * rw: Prometheus remote write 1.0 to VictoriaMetrics.
 *
 * Samples become a WriteRequest (protobuf-c, proto/remote.proto): one
 * TimeSeries per label set, labels sorted by name with strcmp, empty label
 * values omitted, NaN never sent, samples of a series in time order. The
 * body is snappy block-compressed and POSTed with the four headers of the
 * spec. Batches are bounded (RW_BATCH_SAMPLES) and shared by the
 * accounts whose writes meet (rw_write).
 *
 * Delivery (rwstatus.h classifies the answers):
 * - 2xx is done.
 * - 5xx, 429, 408, timeouts and refused connections are retried with
 *   exponential backoff and jitter until they succeed or a quit is
 *   requested (or cfg.give_up_ms passes): nothing is dropped.
 * - A 400 that refuses the samples themselves is final: they are counted
 *   as rejected, a short secret-free part of the body is logged, and
 *   rw_write goes on with the next batch.
 * - Too big (413, or VictoriaMetrics' 400 "too big packed request"): the
 *   batch is halved until it fits; later batches keep the smaller size.
 * - Anything else (401, 403, 404, 405, VictoriaMetrics' 400 "unsupported
 *   path requested", a redirect, one sample still too big) is a refusal
 *   of the endpoint, not of the samples: rw_write fails at once with
 *   ERR_REFUSED and a message saying what to fix; the caller keeps the
 *   days pending and tries again next cycle. One log line per distinct
 *   problem, stats rw_refused (-> /readyz) until a write succeeds again.
 * Counters in stats: rw_sent, rw_retried, rw_rejected. Runs on the
 * collector thread.
 */
#ifndef SYNCBIT_RW_H
#define SYNCBIT_RW_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "sample.h"

#define RW_BATCH_SAMPLES 5000

struct rw;
struct httpc;

struct rw_config {
	const char *endpoint;
	const char *user;		/* basic auth, NULL or "" for none */
	const char *password;
	const char *user_label;		/* value of the "user" label */
	long backoff_min_ms;		/* 0: 500 ms */
	long backoff_max_ms;		/* 0: 5 min */
	/* > 0: stop retrying a batch after this long and fail with
	 * ERR_TRANSIENT (the service, so that a long outage of
	 * VictoriaMetrics does not freeze today's values; the unsent days
	 * stay pending in sync_state.json). 0: retry until acknowledged. */
	long give_up_ms;
};

/* Strings in cfg must outlive the struct rw. */
struct rw *rw_new(const struct rw_config *, struct httpc *);
void rw_free(struct rw *);

/*
 * Send every sample (ts_ms must be set). Returns 0 when each batch was
 * either acknowledged (2xx) or its samples rejected for good (400);
 * *rejected (may be NULL) counts the latter. Returns -1 when some were
 * not delivered, and the caller must not record any of them as sent:
 * err ERR_STOP when a quit interrupted the retries, ERR_REFUSED when the
 * receiver refuses us (the message says what to fix), ERR_TRANSIENT when
 * give_up_ms passed. user: the user label of the account whose samples
 * these are (NULL: cfg.user_label). Thread-safe: the fleet's workers
 * write through one rw, and writes that meet while a request is in
 * flight share the next requests (their samples are batched across
 * accounts); each caller still gets its own outcome and rejected count.
 */
int rw_write(struct rw *, const char *user, const struct samples *,
    size_t *rejected, struct err *);

/* The writes queued behind the one being sent (for tests). */
size_t rw_waiting(struct rw *);

/* Exported for tests and benchmarks: the snappy-compressed WriteRequest
 * for samples[0..n). Caller frees *out. */
int rw_encode(const struct sample *, size_t n, const char *user_label,
    uint8_t **out, size_t *out_len, struct err *);

#endif
