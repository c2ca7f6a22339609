/*
 * rw: what goes over the wire. Encoded requests are decoded again
 * (snappy_uncompress + protobuf-c unpack) and compared with the input;
 * a libmicrohttpd server on 127.0.0.1:0 answers a scripted sequence and
 * records every request it got: headers and body.
 */
#include <fcntl.h>
#include <math.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <microhttpd.h>
#include <snappy-c.h>

#include "httpc.h"
#include "log.h"
#include "quit.h"
#include "remote.pb-c.h"
#include "remote/rw.h"
#include "remote/rwstatus.h"
#include "stats.h"
#include "helpers.h"
#include "rwfake.h"
#include "t.h"

#define RWF_MAX_REQS 64
#define RWF_KEY_MAX 256

static void
mixed_samples(struct samples *s)
{
	rwf_add(s, "fitbit_steps_total", 300, 3000, NULL, NULL, NULL, NULL);
	rwf_add(s, "fitbit_steps_total", 100, 1000, NULL, NULL, NULL, NULL);
	rwf_add(s, "fitbit_steps_total", NAN, 4000, NULL, NULL, NULL, NULL);
	rwf_add(s, "fitbit_steps_total", 200, 2000, NULL, NULL, NULL, NULL);
	rwf_add(s, "fitbit_active_minutes", 12, 1000, "type", "very_active",
	    NULL, NULL);
	/* an empty value is no label: same series as no label at all */
	rwf_add(s, "fitbit_active_minutes", 5, 2000, "type", "", NULL, NULL);
	rwf_add(s, "fitbit_active_minutes", 6, 1000, NULL, NULL, NULL, NULL);
	rwf_add(s, "fitbit_active_minutes", INFINITY, 3000, NULL, NULL, NULL,
	    NULL);
	rwf_add(s, "fitbit_active_minutes", -INFINITY, 3000, "type", "x", NULL,
	    NULL);
	/* 'A' (0x41) sorts before '_' (0x5f) */
	rwf_add(s, "fitbit_vo2max", 46, 5000, "Alpha", "x", NULL, NULL);
	/* the same label set in either slot order is one series */
	rwf_add(s, "fitbit_device_battery_percent", 80, 2000, "device",
	    "Charge 6", "type", "TRACKER");
	rwf_add(s, "fitbit_device_battery_percent", 90, 1000, "type", "TRACKER",
	    "device", "Charge 6");
}

static const Prometheus__TimeSeries *
find_series(const Prometheus__WriteRequest *wr, const char *metric,
    const char *lname)
{
	const Prometheus__TimeSeries *t;
	size_t i, j;
	int name_ok, label_ok;

	for (i = 0; i < wr->n_timeseries; i++) {
		t = wr->timeseries[i];
		name_ok = 0;
		label_ok = lname == NULL;
		for (j = 0; j < t->n_labels; j++) {
			if (strcmp(t->labels[j]->name, "__name__") == 0 &&
			    strcmp(t->labels[j]->value, metric) == 0)
				name_ok = 1;
			if (lname != NULL &&
			    strcmp(t->labels[j]->name, lname) == 0)
				label_ok = 1;
		}
		if (name_ok && label_ok)
			return t;
	}
	return NULL;
}

static void
test_encode(void)
{
	struct samples s;
	struct err err = { 0 };
	Prometheus__WriteRequest *wr;
	const Prometheus__TimeSeries *t;
	struct rwf_rec recs[64];
	size_t nrecs = 0, len = 0;
	uint8_t *z = NULL;

	samples_init(&s);
	mixed_samples(&s);
	CHECK(rw_encode(s.v, s.len, "me", &z, &len, &err) == 0);
	CHECK(z != NULL && len > 0);
	wr = rwf_decode(z, len);
	CHECK(wr != NULL);
	if (wr == NULL)
		goto out;
	/* steps, active{type}, active{}, vo2max{Alpha}, battery */
	CHECK(wr->n_timeseries == 5);
	CHECK(rwf_collect(wr, recs, &nrecs, 64) == 0);
	CHECK(nrecs == 9);	/* NaN, +Inf, -Inf dropped */
	CHECK(rwf_same_samples(recs, nrecs, s.v, s.len, "me"));

	t = find_series(wr, "fitbit_vo2max", NULL);
	CHECK(t != NULL && t->n_labels == 3 &&
	    strcmp(t->labels[0]->name, "Alpha") == 0 &&
	    strcmp(t->labels[1]->name, "__name__") == 0 &&
	    strcmp(t->labels[2]->name, "user") == 0 &&
	    strcmp(t->labels[2]->value, "me") == 0);
	t = find_series(wr, "fitbit_steps_total", NULL);
	CHECK(t != NULL && t->n_samples == 3 &&
	    t->samples[0]->timestamp == 1000 && t->samples[0]->value == 100 &&
	    t->samples[2]->timestamp == 3000 && t->samples[2]->value == 300);
	t = find_series(wr, "fitbit_device_battery_percent", NULL);
	CHECK(t != NULL && t->n_labels == 4 && t->n_samples == 2 &&
	    strcmp(t->labels[1]->name, "device") == 0 &&
	    strcmp(t->labels[2]->name, "type") == 0 &&
	    t->samples[0]->value == 90);
	t = find_series(wr, "fitbit_active_minutes", "type");
	CHECK(t != NULL && t->n_samples == 1 && t->n_labels == 3);
	prometheus__write_request__free_unpacked(wr, NULL);
out:
	free(z);
	samples_release(&s);
}

static void
test_encode_edges(void)
{
	struct samples s;
	struct err err = { 0 };
	Prometheus__WriteRequest *wr;
	struct rwf_rec recs[8];
	size_t nrecs = 0, len = 0;
	uint8_t *z = NULL;

	/* nothing to send is an empty request, not an error */
	CHECK(rw_encode(NULL, 0, "me", &z, &len, &err) == 0);
	wr = z != NULL ? rwf_decode(z, len) : NULL;
	CHECK(wr != NULL && wr->n_timeseries == 0);
	if (wr != NULL)
		prometheus__write_request__free_unpacked(wr, NULL);
	free(z);

	/* an empty user label is omitted; a label clashing with it dropped */
	samples_init(&s);
	rwf_add(&s, "fitbit_weight_kg", 71.5, 1000, NULL, NULL, NULL, NULL);
	rwf_add(&s, "fitbit_weight_kg", 72, 2000, "user", "other", NULL, NULL);
	z = NULL;
	CHECK(rw_encode(s.v, s.len, "", &z, &len, &err) == 0);
	wr = z != NULL ? rwf_decode(z, len) : NULL;
	CHECK(wr != NULL && wr->n_timeseries == 2);
	if (wr != NULL) {
		CHECK(rwf_collect(wr, recs, &nrecs, 8) == 0);
		CHECK(rwf_same_samples(recs, nrecs, s.v, s.len, ""));
		prometheus__write_request__free_unpacked(wr, NULL);
	}
	free(z);
	z = NULL;
	CHECK(rw_encode(s.v, s.len, "me", &z, &len, &err) == 0);
	wr = z != NULL ? rwf_decode(z, len) : NULL;
	CHECK(wr != NULL && wr->n_timeseries == 1 &&
	    wr->timeseries[0]->n_samples == 1 &&
	    wr->timeseries[0]->samples[0]->value == 71.5);
	if (wr != NULL)
		prometheus__write_request__free_unpacked(wr, NULL);
	free(z);
	samples_release(&s);
}

static void
test_retry_then_ok(struct rwf_env *env)
{
	static const struct rwf_step script[] = {
		{ 503, NULL, "busy", 0, 0, 0 },
		{ 429, "0", "slow down", 0, 0, 0 },
		{ 204, NULL, "", 0, 0, 0 },
	};
	struct rwf f;
	struct samples s;
	struct rw *rw;
	struct err err = { 0 };
	struct stats *st = stats_get();
	size_t rejected = 99, i;
	char *log;

	stats_reset();
	samples_init(&s);
	mixed_samples(&s);
	CHECK(rwf_start(&f, script, 3) == 0);
	rw = rwf_rw(env, &f, "user", "pass");
	CHECK(rw != NULL);
	if (rw == NULL)
		goto out;
	CHECK(rw_write(rw, NULL, &s, &rejected, &err) == 0);
	CHECK(!err.set);
	CHECK(rejected == 3);			/* NaN and two infinities */
	CHECK(f.nreq == 3);
	for (i = 0; i < 3; i++) {
		CHECK(rwf_request_ok(&f.got[i]));
		/* base64("user:pass") */
		CHECK(f.got[i].auth != NULL &&
		    strcmp(f.got[i].auth, "Basic dXNlcjpwYXNz") == 0);
		CHECK(rwf_bodies_equal(&f, i, i + 1, &s, "me"));
	}
	CHECK(atomic_load(&st->rw_sent) == 9);
	CHECK(atomic_load(&st->rw_retried) == 18);
	CHECK(atomic_load(&st->rw_rejected) == 3);
	log = t_slurp(env->log);
	CHECK(strstr(log, "attempt=1 status=503 body=busy") != NULL);
	CHECK(strstr(log, "attempt=2 status=429 body=\"slow down\" "
	    "delay_ms=0") != NULL);
	CHECK(strstr(log, "msg=\"remote write delivered\" attempts=3") !=
	    NULL);
	free(log);
out:
	rw_free(rw);
	rwf_stop(&f);
	samples_release(&s);
}

/* Retry-After wins over the backoff: with a backoff of seconds, the
 * logged delay of "Retry-After: 0" is 0. */
static void
test_retry_after(struct rwf_env *env)
{
	static const struct rwf_step script[] = {
		{ 503, "0", "", 0, 0, 0 },
		{ 204, NULL, "", 0, 0, 0 },
	};
	struct rwf f;
	struct samples s;
	struct rw *rw;
	struct err err = { 0 };
	char *log;

	stats_reset();
	samples_init(&s);
	rwf_add(&s, "fitbit_weight_kg", 71.5, 1000, NULL, NULL, NULL, NULL);
	CHECK(rwf_start(&f, script, 2) == 0);
	rw = rwf_rw_backoff(env, &f, NULL, NULL, 3000);
	CHECK(rw != NULL);
	if (rw == NULL)
		goto out;
	CHECK(rw_write(rw, NULL, &s, NULL, &err) == 0);
	CHECK(f.nreq == 2);
	CHECK(atomic_load(&stats_get()->rw_retried) == 1);
	log = t_slurp(env->log);
	CHECK(strstr(log, "attempt=1 status=503 body=\"\" delay_ms=0 "
	    "samples=1\n") != NULL);
	free(log);
out:
	rw_free(rw);
	rwf_stop(&f);
	samples_release(&s);
}

/* With give_up_ms, a receiver that stays down fails the write (so the
 * service can go on) instead of blocking it forever; nothing is counted
 * as sent or rejected. */
static void
test_give_up(struct rwf_env *env)
{
	static const struct rwf_step script[] = {
		{ 503, NULL, "", 0, 0, 0 },
	};
	struct rwf f;
	struct samples s;
	struct rw *rw;
	struct err err = { 0 };
	struct rw_config cfg;
	char url[128];
	size_t rejected = 99;

	stats_reset();
	samples_init(&s);
	rwf_add(&s, "fitbit_weight_kg", 71.5, 1000, NULL, NULL, NULL, NULL);
	CHECK(rwf_start(&f, script, 1) == 0);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/api/v1/write", f.port);
	memset(&cfg, 0, sizeof(cfg));
	cfg.endpoint = url;
	cfg.user_label = "me";
	cfg.backoff_min_ms = 5;
	cfg.backoff_max_ms = 20;
	cfg.give_up_ms = 100;
	rw = rw_new(&cfg, env->http);
	CHECK(rw != NULL);
	if (rw == NULL)
		goto out;
	CHECK(rw_write(rw, NULL, &s, &rejected, &err) == -1);
	CHECK(err.kind == ERR_TRANSIENT);
	CHECK(f.nreq >= 2);
	CHECK(atomic_load(&stats_get()->rw_sent) == 0);
	CHECK(atomic_load(&stats_get()->rw_rejected) == 0);
out:
	rw_free(rw);
	rwf_stop(&f);
	samples_release(&s);
}

static void
test_rejected(struct rwf_env *env)
{
	static char body[600];
	static const struct rwf_step script[] = {
		{ 400, NULL, body, 0, 0, 0 },
	};
	struct rwf f;
	struct samples s;
	struct rw *rw;
	struct err err = { 0 };
	size_t rejected = 0;
	char *log, *line, *v, *end;

	snprintf(body, sizeof(body), "cannot parse\r\n\x01 sample: %0250d "
	    "Authorization: Bearer SECRET-TOKEN-0123456789", 7);
	stats_reset();
	samples_init(&s);
	mixed_samples(&s);
	CHECK(rwf_start(&f, script, 1) == 0);
	rw = rwf_rw(env, &f, NULL, NULL);
	CHECK(rw != NULL);
	if (rw == NULL)
		goto out;
	CHECK(rw_write(rw, NULL, &s, &rejected, &err) == 0);
	CHECK(rejected == s.len);
	CHECK(f.nreq == 1);			/* a 400 is not retried */
	CHECK(rwf_request_ok(&f.got[0]) && f.got[0].auth == NULL);
	CHECK(atomic_load(&stats_get()->rw_rejected) == s.len);
	CHECK(atomic_load(&stats_get()->rw_sent) == 0);
	CHECK(atomic_load(&stats_get()->rw_retried) == 0);
	log = t_slurp(env->log);
	line = strstr(log, "msg=\"remote write rejected\" status=400 body=\""
	    "cannot parse sample: 0000");
	CHECK(line != NULL);
	CHECK(strstr(log, "SECRET-TOKEN") == NULL);
	CHECK(strchr(log, '\r') == NULL && strchr(log, '\1') == NULL);
	if (line != NULL) {
		v = strstr(line, "body=\"") + 6;
		end = strchr(v, '"');
		CHECK(end != NULL && end - v <= 203 &&
		    strncmp(end - 3, "...", 3) == 0);
		CHECK(strstr(line, "samples=9\n") != NULL);
	}
	free(log);
out:
	rw_free(rw);
	rwf_stop(&f);
	samples_release(&s);
}

static void
test_batches(struct rwf_env *env)
{
	static const struct rwf_step script[] = {
		{ 204, NULL, "", 0, 0, 0 },
	};
	struct rwf f;
	struct samples s;
	struct rw *rw;
	struct err err = { 0 };
	Prometheus__WriteRequest *wr;
	size_t n = 2 * RW_BATCH_SAMPLES + 7, i, rejected = 1;
	int64_t last = -1;
	int ordered = 1, sizes = 1;

	stats_reset();
	samples_init(&s);
	for (i = n; i > 0; i--)		/* newest first */
		rwf_add(&s, "fitbit_heart_rate_bpm", (double)(60 + i % 50),
		    1700000000000LL + (int64_t)i * 60000, NULL, NULL, NULL,
		    NULL);
	CHECK(rwf_start(&f, script, 1) == 0);
	rw = rwf_rw(env, &f, "", "");
	CHECK(rw != NULL);
	if (rw == NULL)
		goto out;
	CHECK(rw_write(rw, NULL, &s, &rejected, &err) == 0);
	CHECK(rejected == 0);
	CHECK(f.nreq == 3);
	CHECK(atomic_load(&stats_get()->rw_sent) == n);
	CHECK(rwf_bodies_equal(&f, 0, 3, &s, "me"));
	for (i = 0; i < 3 && i < f.nreq; i++) {
		CHECK(rwf_request_ok(&f.got[i]) && f.got[i].auth == NULL);
		if ((wr = rwf_decode(f.got[i].body, f.got[i].len)) == NULL) {
			sizes = 0;
			continue;
		}
		/* batches follow each other in time too */
		if (wr->n_timeseries != 1 || wr->timeseries[0]->n_samples !=
		    (i < 2 ? RW_BATCH_SAMPLES : 7u))
			sizes = 0;
		else if (wr->timeseries[0]->samples[0]->timestamp <= last)
			ordered = 0;
		else
			last = wr->timeseries[0]->samples[
			    wr->timeseries[0]->n_samples - 1]->timestamp;
		prometheus__write_request__free_unpacked(wr, NULL);
	}
	CHECK(sizes);
	CHECK(ordered);
out:
	rw_free(rw);
	rwf_stop(&f);
	samples_release(&s);
}

static void
test_no_answer_then_ok(struct rwf_env *env)
{
	static const struct rwf_step script[] = {
		{ 0, NULL, "", 1, 0, 0 },		/* connection closed */
		{ 200, NULL, "", 0, 0, 0 },
	};
	struct rwf f;
	struct samples s;
	struct rw *rw;
	struct err err = { 0 };

	stats_reset();
	samples_init(&s);
	rwf_add(&s, "fitbit_weight_kg", 71.5, 1000, NULL, NULL, NULL, NULL);
	CHECK(rwf_start(&f, script, 2) == 0);
	rw = rwf_rw(env, &f, NULL, NULL);
	CHECK(rw != NULL);
	if (rw == NULL)
		goto out;
	CHECK(rw_write(rw, NULL, &s, NULL, &err) == 0);
	CHECK(f.nreq >= 2);
	CHECK(atomic_load(&stats_get()->rw_sent) == 1);
	CHECK(rwf_bodies_equal(&f, f.nreq - 1, f.nreq, &s, "me"));
out:
	rw_free(rw);
	rwf_stop(&f);
	samples_release(&s);
}

static void
test_quit_stops_retries(struct rwf_env *env)
{
	static const struct rwf_step script[] = {
		{ 503, NULL, "", 0, 0, 0 },
		{ 503, NULL, "", 0, 1, 0 },
		{ 503, NULL, "", 0, 0, 0 },
	};
	struct rwf f;
	struct samples s;
	struct rw *rw;
	struct err err = { 0 };

	stats_reset();
	samples_init(&s);
	rwf_add(&s, "fitbit_weight_kg", 71.5, 1000, NULL, NULL, NULL, NULL);
	CHECK(rwf_start(&f, script, 3) == 0);
	rw = rwf_rw(env, &f, NULL, NULL);
	CHECK(rw != NULL);
	if (rw == NULL)
		goto out;
	CHECK(rw_write(rw, NULL, &s, NULL, &err) == -1);
	CHECK(err.kind == ERR_STOP);
	CHECK(f.nreq == 2);
	CHECK(atomic_load(&stats_get()->rw_sent) == 0);
out:
	quit_reset();
	rw_free(rw);
	rwf_stop(&f);
	samples_release(&s);
}

static size_t
count(const char *hay, const char *needle)
{
	size_t n = 0;

	while (hay != NULL && (hay = strstr(hay, needle)) != NULL) {
		n++;
		hay += strlen(needle);
	}
	return n;
}

/*
 * A wrong password is no delivery: the write fails at once (no retry, not
 * counted as rejected), err says what to fix, /readyz says it too; one log
 * line however often it happens; a write that goes through clears it.
 */
static void
test_refused_then_accepted(struct rwf_env *env)
{
	static const struct rwf_step script[] = {
		{ 401, NULL, "\n", 0, 0, 0 },	/* VM's body for -httpAuth.* */
		{ 401, NULL, "\n", 0, 0, 0 },
		{ 204, NULL, "", 0, 0, 0 },
	};
	const char *hint = "VictoriaMetrics refuses our writes: 401, "
	    "check VICTORIA_USER/VICTORIA_PASSWORD";
	struct stats *st = stats_get();
	struct rwf f;
	struct samples s;
	struct rw *rw;
	struct err err = { 0 };
	size_t rejected = 99, skip;
	const char *reason = NULL;
	char *log;

	log = t_slurp(env->log);		/* earlier tests' lines */
	skip = log != NULL ? strlen(log) : 0;
	free(log);
	stats_reset();
	atomic_store(&stats_account(0)->ready, READY_OK);
	samples_init(&s);
	mixed_samples(&s);
	CHECK(rwf_start(&f, script, 3) == 0);
	rw = rwf_rw(env, &f, "writer", "wrong-pass-42");
	CHECK(rw != NULL);
	if (rw == NULL)
		goto out;
	CHECK(rw_write(rw, NULL, &s, &rejected, &err) == -1);
	CHECK(err.kind == ERR_REFUSED);
	CHECK(strcmp(err.msg, hint) == 0);
	CHECK(f.nreq == 1);
	CHECK(rejected == 3);			/* only NaN and infinities */
	CHECK(atomic_load(&st->rw_rejected) == 3);
	CHECK(atomic_load(&st->rw_sent) == 0);
	CHECK(atomic_load(&st->rw_retried) == 0);
	CHECK(atomic_load(&st->rw_refused) == 401);
	CHECK(stats_ready(0, &reason) == 0 && strcmp(reason, hint) == 0);
	err_clear(&err);
	CHECK(rw_write(rw, NULL, &s, NULL, &err) == -1 && err.kind == ERR_REFUSED);
	CHECK(f.nreq == 2);
	err_clear(&err);
	CHECK(rw_write(rw, NULL, &s, NULL, &err) == 0);
	CHECK(f.nreq == 3 && rwf_bodies_equal(&f, 2, 3, &s, "me"));
	CHECK(atomic_load(&st->rw_sent) == 9);
	CHECK(atomic_load(&st->rw_refused) == 0);
	CHECK(stats_ready(0, &reason) == 1 && strcmp(reason, "ok") == 0);
	log = t_slurp(env->log);
	CHECK(log != NULL && strlen(log) >= skip);
	if (log != NULL && strlen(log) >= skip) {
		CHECK(count(log + skip, "level=error msg=\"VictoriaMetrics "
		    "refuses our writes: 401, check VICTORIA_USER/"
		    "VICTORIA_PASSWORD\" status=401 body=\"\" samples=9\n") ==
		    1);
		CHECK(count(log + skip, "msg=\"VictoriaMetrics accepts our "
		    "writes\"") == 1);
		CHECK(strstr(log, "wrong-pass-42") == NULL);
		CHECK(strstr(log + skip, "remote write rejected") == NULL);
	}
	free(log);
out:
	rw_free(rw);
	rwf_stop(&f);
	samples_release(&s);
	stats_reset();
}

/* Each refusal of the endpoint, with what it tells the user to fix. */
static void
test_refusals(struct rwf_env *env)
{
	static const struct {
		unsigned status;
		const char *body, *hint;
	} cases[] = {
		{ 403, "forbidden", "VictoriaMetrics refuses our writes: 403, "
		    "check that VICTORIA_USER may write to VICTORIA_ENDPOINT" },
		{ 404, "404 page not found", "VictoriaMetrics refuses our "
		    "writes: 404, check the VICTORIA_ENDPOINT path "
		    "(/api/v1/write)" },
		/* the body of the real victoria-metrics for /api/v1/wirte */
		{ 400, "remoteAddr: \"127.0.0.1:60322\"; requestURI: "
		    "/api/v1/wirte; unsupported path requested: "
		    "\"/api/v1/wirte\"\n", "VictoriaMetrics refuses our writes: "
		    "400 unsupported path, check the VICTORIA_ENDPOINT path "
		    "(/api/v1/write)" },
		{ 405, "", "VictoriaMetrics refuses our writes: 405, "
		    "VICTORIA_ENDPOINT is not a remote-write URL "
		    "(/api/v1/write)" },
		{ 301, "", "VictoriaMetrics refuses our writes: a redirect, "
		    "set VICTORIA_ENDPOINT to the final URL" },
		{ 418, "", "VictoriaMetrics refuses our writes: see the log "
		    "line with its status, check VICTORIA_ENDPOINT" },
	};
	struct rwf_step script[1] = { { 0, NULL, "", 0, 0, 0 } };
	struct rwf f;
	struct samples s;
	struct rw *rw;
	struct err err;
	size_t i, rejected;

	samples_init(&s);
	rwf_add(&s, "fitbit_weight_kg", 71.5, 1000, NULL, NULL, NULL, NULL);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		stats_reset();
		script[0].status = cases[i].status;
		script[0].body = cases[i].body;
		if (rwf_start(&f, script, 1) != 0) {
			CHECK(0);
			continue;
		}
		rw = rwf_rw(env, &f, NULL, NULL);
		memset(&err, 0, sizeof(err));
		rejected = 99;
		CHECK(rw != NULL && rw_write(rw, NULL, &s, &rejected, &err) == -1);
		CHECK(err.kind == ERR_REFUSED);
		CHECK(strcmp(err.msg, cases[i].hint) == 0);
		CHECK(f.nreq == 1 && rejected == 0);
		CHECK(atomic_load(&stats_get()->rw_rejected) == 0);
		rw_free(rw);
		rwf_stop(&f);
	}
	samples_release(&s);
	stats_reset();
}

/*
 * A batch over the receiver's limit is halved until every part fits; each
 * sample arrives once; the next write starts at the smaller size. Both
 * answers: 413, and the real victoria-metrics' 400 "too big packed
 * request" (-maxInsertRequestSize).
 */
static void
test_too_big_split(struct rwf_env *env, unsigned status, const char *body)
{
	static const struct rwf_step script[] = {
		{ 204, NULL, "", 0, 0, 0 },
	};
	struct rwf f;
	struct samples s;
	struct rw *rw;
	struct err err = { 0 };
	struct rwf_rec *recs;
	Prometheus__WriteRequest *wr;
	uint8_t *z;
	size_t i, zlen, max = 0, nrecs = 0, rejected = 99, first, big = 0;
	int ok = 1;

	stats_reset();
	samples_init(&s);
	for (i = 0; i < 40; i++)
		rwf_add(&s, "fitbit_heart_rate_bpm", 60, 1700000000000LL +
		    (int64_t)i * 60000, NULL, NULL, NULL, NULL);
	/* the limit: the biggest of the four quarters, less than a half */
	for (i = 0; i < 4; i++) {
		CHECK(rw_encode(s.v + 10 * i, 10, "me", &z, &zlen, &err) == 0);
		if (zlen > max)
			max = zlen;
		free(z);
	}
	CHECK(rw_encode(s.v, 20, "me", &z, &zlen, &err) == 0);
	CHECK(zlen > max);
	free(z);
	recs = calloc(s.len + 1, sizeof(*recs));
	CHECK(rwf_start(&f, script, 1) == 0);
	rwf_limit(&f, max, status, body);
	rw = rwf_rw(env, &f, NULL, NULL);
	CHECK(rw != NULL && recs != NULL);
	if (rw == NULL || recs == NULL)
		goto out;
	CHECK(rw_write(rw, NULL, &s, &rejected, &err) == 0);
	CHECK(!err.set && rejected == 0);
	CHECK(f.nreq == 7);	/* 40 big, 20 big, 10, 10, 20 big, 10, 10 */
	for (i = 0; i < f.nreq && i < RWF_MAX_REQS; i++) {
		CHECK(rwf_request_ok(&f.got[i]));
		if (f.got[i].status != 204) {
			big++;
			continue;
		}
		if ((wr = rwf_decode(f.got[i].body, f.got[i].len)) == NULL) {
			ok = 0;
			continue;
		}
		ok = ok && rwf_collect(wr, recs, &nrecs, s.len) == 0;
		prometheus__write_request__free_unpacked(wr, NULL);
	}
	CHECK(big == 3);
	CHECK(ok && rwf_same_samples(recs, nrecs, s.v, s.len, "me"));
	CHECK(atomic_load(&stats_get()->rw_sent) == 40);
	CHECK(atomic_load(&stats_get()->rw_rejected) == 0);
	/* the next write uses the size that fitted: no refusal at all */
	first = f.nreq;
	CHECK(rw_write(rw, NULL, &s, NULL, &err) == 0);
	CHECK(f.nreq - first == 4);
	for (i = first; i < f.nreq && i < RWF_MAX_REQS; i++)
		CHECK(f.got[i].status == 204);
out:
	free(recs);
	rw_free(rw);
	rwf_stop(&f);
	samples_release(&s);
}

/* A single sample still too big is a config error, not a drop. */
static void
test_one_sample_too_big(struct rwf_env *env)
{
	static const struct rwf_step script[] = {
		{ 204, NULL, "", 0, 0, 0 },
	};
	struct rwf f;
	struct samples s;
	struct rw *rw;
	struct err err = { 0 };
	size_t rejected = 99;

	stats_reset();
	samples_init(&s);
	rwf_add(&s, "fitbit_weight_kg", 71.5, 1000, NULL, NULL, NULL, NULL);
	rwf_add(&s, "fitbit_weight_kg", 71.7, 2000, NULL, NULL, NULL, NULL);
	CHECK(rwf_start(&f, script, 1) == 0);
	rwf_limit(&f, 1, 413, "request entity too large");
	rw = rwf_rw(env, &f, NULL, NULL);
	CHECK(rw != NULL);
	if (rw == NULL)
		goto out;
	CHECK(rw_write(rw, NULL, &s, &rejected, &err) == -1);
	CHECK(err.kind == ERR_REFUSED);
	CHECK(strcmp(err.msg, "VictoriaMetrics refuses our writes: one sample "
	    "is too big for it, raise its -maxInsertRequestSize") == 0);
	CHECK(f.nreq == 2);		/* the pair, then its first half */
	CHECK(rejected == 0);
	CHECK(atomic_load(&stats_get()->rw_rejected) == 0);
	CHECK(atomic_load(&stats_get()->rw_sent) == 0);
	CHECK(atomic_load(&stats_get()->rw_refused) == RWSTATUS_SAMPLE);
out:
	rw_free(rw);
	rwf_stop(&f);
	samples_release(&s);
	stats_reset();
}

void
suite_rw(void)
{
	struct rwf_env env;

	test_encode();
	test_encode_edges();

	rwf_env_open(&env);

	test_retry_then_ok(&env);
	test_retry_after(&env);
	test_give_up(&env);
	test_rejected(&env);
	test_batches(&env);
	test_refused_then_accepted(&env);
	test_refusals(&env);
	test_too_big_split(&env, 413, "request entity too large");
	test_too_big_split(&env, 400, "remoteAddr: \"127.0.0.1:60356\"; "
	    "requestURI: /api/v1/write; too big packed request; mustn't "
	    "exceed `-maxInsertRequestSize=200` bytes");
	test_one_sample_too_big(&env);
	httpc_free(env.http);	/* a fresh connection: no curl-side retry */
	env.http = httpc_new(2, 10, "syncbit/" SYNCBIT_VERSION, NULL);
	test_no_answer_then_ok(&env);
	test_quit_stops_retries(&env);

	rwf_env_close(&env);
}
