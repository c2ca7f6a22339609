/*
 * rw: Prometheus remote write 1.0 to VictoriaMetrics.
 *
 * Samples become a WriteRequest (protobuf-c, proto/remote.proto): one
 * TimeSeries per label set, labels sorted by name with strcmp, empty label
 * values omitted, NaN never sent, samples of a series in time order. The
 * body is snappy block-compressed and POSTed with the four headers of the
 * spec. Batches are bounded (RW_BATCH_SAMPLES).
 *
 * Delivery: 2xx is done. 5xx, 429, timeouts and refused connections are
 * retried with exponential backoff and jitter until they succeed or a quit
 * is requested (or cfg.give_up_ms passes): nothing is dropped. Any other 4xx is permanent: the samples
 * are counted as rejected, a short secret-free part of the body is logged,
 * and rw_write goes on with the next batch. Counters in stats: rw_sent,
 * rw_retried, rw_rejected. Runs on the collector thread.
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
 * either acknowledged (2xx) or rejected for good (4xx other than 429);
 * *rejected (may be NULL) counts the latter. Returns -1 with err ERR_STOP
 * when a quit interrupted the retries: the caller must not record those
 * samples as sent. With give_up_ms: -1 with ERR_TRANSIENT after it.
 */
int rw_write(struct rw *, const struct samples *, size_t *rejected,
    struct err *);

/* Exported for tests and benchmarks: the snappy-compressed WriteRequest
 * for samples[0..n). Caller frees *out. */
int rw_encode(const struct sample *, size_t n, const char *user_label,
    uint8_t **out, size_t *out_len, struct err *);

#endif
