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
#include "t.h"

#define MAX_REQS 64
#define KEY_MAX 256

/* ---- decoding and comparing ---------------------------------------- */

static Prometheus__WriteRequest *
decode(const uint8_t *z, size_t zlen)
{
	Prometheus__WriteRequest *wr = NULL;
	size_t n;
	char *raw;

	if (snappy_uncompressed_length((const char *)z, zlen, &n) != SNAPPY_OK)
		return NULL;
	if ((raw = malloc(n + 1)) == NULL)
		return NULL;
	if (snappy_uncompress((const char *)z, zlen, raw, &n) == SNAPPY_OK)
		wr = prometheus__write_request__unpack(NULL, n,
		    (const uint8_t *)raw);
	free(raw);
	return wr;
}

/* One sample as "name\2value\1name\2value\1..." (labels in order). */
struct rec {
	char key[KEY_MAX];
	int64_t ts;
	double value;
};

static int
cmp_rec(const void *pa, const void *pb)
{
	const struct rec *a = pa, *b = pb;
	int c = strcmp(a->key, b->key);

	if (c != 0)
		return c;
	if (a->ts != b->ts)
		return a->ts < b->ts ? -1 : 1;
	return a->value < b->value ? -1 : a->value > b->value;
}

static void
key_add(char *key, const char *name, const char *value)
{
	size_t n = strlen(key);

	snprintf(key + n, KEY_MAX - n, "%s\2%s\1", name, value);
}

struct pair {
	const char *name, *value;
};

static int
cmp_pair(const void *pa, const void *pb)
{
	return strcmp(((const struct pair *)pa)->name,
	    ((const struct pair *)pb)->name);
}

/* The record an input sample should become, independently of rw.c. */
static void
rec_from_sample(struct rec *r, const struct sample *s, const char *user)
{
	struct pair p[SAMPLE_LABELS + 2];
	size_t n = 0, i;

	p[n].name = "__name__";
	p[n++].value = s->metric;
	if (user != NULL && *user != '\0') {
		p[n].name = "user";
		p[n++].value = user;
	}
	for (i = 0; i < SAMPLE_LABELS; i++) {
		if (s->lname[i] != NULL && s->lvalue[i][0] != '\0') {
			p[n].name = s->lname[i];
			p[n++].value = s->lvalue[i];
		}
	}
	qsort(p, n, sizeof(*p), cmp_pair);
	r->key[0] = '\0';
	for (i = 0; i < n; i++)
		key_add(r->key, p[i].name, p[i].value);
	r->ts = s->ts_ms;
	r->value = s->value;
}

/*
 * Check the invariants of the spec on each request (labels sorted and
 * unique, no empty name or value, one series per label set, samples in
 * time order) and append its samples to recs. Returns the failures.
 */
static int
collect(const Prometheus__WriteRequest *wr, struct rec *recs, size_t *nrecs,
    size_t cap)
{
	const Prometheus__TimeSeries *t;
	size_t i, j, k;
	char key[KEY_MAX], *seen;
	int bad = 0;

	seen = calloc(wr->n_timeseries + 1, KEY_MAX);
	for (i = 0; i < wr->n_timeseries; i++) {
		t = wr->timeseries[i];
		key[0] = '\0';
		for (j = 0; j < t->n_labels; j++) {
			if (t->labels[j]->name[0] == '\0' ||
			    t->labels[j]->value[0] == '\0')
				bad++;
			if (j > 0 && strcmp(t->labels[j - 1]->name,
			    t->labels[j]->name) >= 0)
				bad++;
			key_add(key, t->labels[j]->name, t->labels[j]->value);
		}
		for (k = 0; k < i; k++)
			if (strcmp(seen + k * KEY_MAX, key) == 0)
				bad++;
		memcpy(seen + i * KEY_MAX, key, KEY_MAX);
		if (t->n_samples == 0)
			bad++;
		for (j = 0; j < t->n_samples; j++) {
			if (j > 0 && t->samples[j - 1]->timestamp >
			    t->samples[j]->timestamp)
				bad++;
			if (*nrecs == cap) {
				bad++;
				continue;
			}
			memcpy(recs[*nrecs].key, key, KEY_MAX);
			recs[*nrecs].ts = t->samples[j]->timestamp;
			recs[*nrecs].value = t->samples[j]->value;
			(*nrecs)++;
		}
	}
	free(seen);
	return bad;
}

/* 1 when the decoded samples are exactly the finite input samples. */
static int
same_samples(struct rec *got, size_t ngot, const struct sample *in, size_t n,
    const char *user)
{
	struct rec *want = calloc(n + 1, sizeof(*want));
	size_t i, nwant = 0;
	int same;

	for (i = 0; i < n; i++)
		if (isfinite(in[i].value))
			rec_from_sample(&want[nwant++], &in[i], user);
	qsort(want, nwant, sizeof(*want), cmp_rec);
	qsort(got, ngot, sizeof(*got), cmp_rec);
	same = nwant == ngot;
	for (i = 0; same && i < ngot; i++)
		same = cmp_rec(&want[i], &got[i]) == 0;
	free(want);
	return same;
}

/* ---- encoding ------------------------------------------------------- */

static void
add(struct samples *s, const char *metric, double v, int64_t ts,
    const char *n0, const char *v0, const char *n1, const char *v1)
{
	struct sample one;

	memset(&one, 0, sizeof(one));
	one.metric = metric;
	one.value = v;
	one.ts_ms = ts;
	one.lname[0] = n0;
	one.lname[1] = n1;
	if (v0 != NULL)
		snprintf(one.lvalue[0], SAMPLE_LVALUE_MAX, "%s", v0);
	if (v1 != NULL)
		snprintf(one.lvalue[1], SAMPLE_LVALUE_MAX, "%s", v1);
	samples_append(s, &one);
}

static void
mixed_samples(struct samples *s)
{
	add(s, "fitbit_steps_total", 300, 3000, NULL, NULL, NULL, NULL);
	add(s, "fitbit_steps_total", 100, 1000, NULL, NULL, NULL, NULL);
	add(s, "fitbit_steps_total", NAN, 4000, NULL, NULL, NULL, NULL);
	add(s, "fitbit_steps_total", 200, 2000, NULL, NULL, NULL, NULL);
	add(s, "fitbit_active_minutes", 12, 1000, "type", "very_active",
	    NULL, NULL);
	/* an empty value is no label: same series as no label at all */
	add(s, "fitbit_active_minutes", 5, 2000, "type", "", NULL, NULL);
	add(s, "fitbit_active_minutes", 6, 1000, NULL, NULL, NULL, NULL);
	add(s, "fitbit_active_minutes", INFINITY, 3000, NULL, NULL, NULL,
	    NULL);
	add(s, "fitbit_active_minutes", -INFINITY, 3000, "type", "x", NULL,
	    NULL);
	/* 'A' (0x41) sorts before '_' (0x5f) */
	add(s, "fitbit_vo2max", 46, 5000, "Alpha", "x", NULL, NULL);
	/* the same label set in either slot order is one series */
	add(s, "fitbit_device_battery_percent", 80, 2000, "device",
	    "Charge 6", "type", "TRACKER");
	add(s, "fitbit_device_battery_percent", 90, 1000, "type", "TRACKER",
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
	struct rec recs[64];
	size_t nrecs = 0, len = 0;
	uint8_t *z = NULL;

	samples_init(&s);
	mixed_samples(&s);
	CHECK(rw_encode(s.v, s.len, "me", &z, &len, &err) == 0);
	CHECK(z != NULL && len > 0);
	wr = decode(z, len);
	CHECK(wr != NULL);
	if (wr == NULL)
		goto out;
	/* steps, active{type}, active{}, vo2max{Alpha}, battery */
	CHECK(wr->n_timeseries == 5);
	CHECK(collect(wr, recs, &nrecs, 64) == 0);
	CHECK(nrecs == 9);	/* NaN, +Inf, -Inf dropped */
	CHECK(same_samples(recs, nrecs, s.v, s.len, "me"));

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
	struct rec recs[8];
	size_t nrecs = 0, len = 0;
	uint8_t *z = NULL;

	/* nothing to send is an empty request, not an error */
	CHECK(rw_encode(NULL, 0, "me", &z, &len, &err) == 0);
	wr = z != NULL ? decode(z, len) : NULL;
	CHECK(wr != NULL && wr->n_timeseries == 0);
	if (wr != NULL)
		prometheus__write_request__free_unpacked(wr, NULL);
	free(z);

	/* an empty user label is omitted; a label clashing with it dropped */
	samples_init(&s);
	add(&s, "fitbit_weight_kg", 71.5, 1000, NULL, NULL, NULL, NULL);
	add(&s, "fitbit_weight_kg", 72, 2000, "user", "other", NULL, NULL);
	z = NULL;
	CHECK(rw_encode(s.v, s.len, "", &z, &len, &err) == 0);
	wr = z != NULL ? decode(z, len) : NULL;
	CHECK(wr != NULL && wr->n_timeseries == 2);
	if (wr != NULL) {
		CHECK(collect(wr, recs, &nrecs, 8) == 0);
		CHECK(same_samples(recs, nrecs, s.v, s.len, ""));
		prometheus__write_request__free_unpacked(wr, NULL);
	}
	free(z);
	z = NULL;
	CHECK(rw_encode(s.v, s.len, "me", &z, &len, &err) == 0);
	wr = z != NULL ? decode(z, len) : NULL;
	CHECK(wr != NULL && wr->n_timeseries == 1 &&
	    wr->timeseries[0]->n_samples == 1 &&
	    wr->timeseries[0]->samples[0]->value == 71.5);
	if (wr != NULL)
		prometheus__write_request__free_unpacked(wr, NULL);
	free(z);
	samples_release(&s);
}

/* ---- a scripted remote-write receiver -------------------------------- */

struct step {
	unsigned status;
	const char *retry_after;	/* NULL: no header */
	const char *body;
	int drop;			/* close without answering */
	int quit;			/* quit_request() while answering */
};

struct got {
	char *ce, *ct, *ver, *ua, *auth, *expect, *url, *method;
	uint8_t *body;
	size_t len;
	unsigned status;		/* what the fake answered */
};

struct fake {
	struct MHD_Daemon *d;
	pthread_mutex_t lock;
	const struct step *script;
	size_t nscript;		/* the last step repeats */
	size_t nreq;
	struct got got[MAX_REQS];
	int port;
	/* > 0: a body longer than this gets big_status/big_body instead of
	 * the script (VictoriaMetrics' -maxInsertRequestSize) */
	size_t max_len;
	unsigned big_status;
	const char *big_body;
};

struct upload {
	uint8_t *buf;
	size_t len;
};

static char *
hdr(struct MHD_Connection *c, const char *name)
{
	const char *v = MHD_lookup_connection_value(c, MHD_HEADER_KIND, name);

	return v != NULL ? strdup(v) : NULL;
}

static enum MHD_Result
handle(void *cls, struct MHD_Connection *c, const char *url,
    const char *method, const char *version, const char *data, size_t *size,
    void **con_cls)
{
	struct fake *f = cls;
	struct upload *u = *con_cls;
	struct MHD_Response *resp;
	const struct step *st;
	struct got *g;
	enum MHD_Result ret;
	size_t i;
	uint8_t *nb;
	unsigned status;
	const char *text;

	(void)version;
	if (u == NULL) {
		*con_cls = calloc(1, sizeof(*u));
		return *con_cls != NULL ? MHD_YES : MHD_NO;
	}
	if (*size > 0) {
		if ((nb = realloc(u->buf, u->len + *size)) == NULL)
			return MHD_NO;
		memcpy(nb + u->len, data, *size);
		u->buf = nb;
		u->len += *size;
		*size = 0;
		return MHD_YES;
	}
	pthread_mutex_lock(&f->lock);
	i = f->nreq++;
	st = &f->script[i < f->nscript ? i : f->nscript - 1];
	status = st->status;
	text = st->body;
	if (f->max_len > 0 && u->len > f->max_len) {
		status = f->big_status;
		text = f->big_body;
	}
	if (i < MAX_REQS) {
		g = &f->got[i];
		g->ce = hdr(c, "Content-Encoding");
		g->ct = hdr(c, "Content-Type");
		g->ver = hdr(c, "X-Prometheus-Remote-Write-Version");
		g->ua = hdr(c, "User-Agent");
		g->auth = hdr(c, "Authorization");
		g->expect = hdr(c, "Expect");
		g->url = strdup(url);
		g->method = strdup(method);
		g->body = u->buf;
		g->len = u->len;
		g->status = status;
		u->buf = NULL;
	}
	pthread_mutex_unlock(&f->lock);
	if (st->quit)
		quit_request();
	if (st->drop)
		return MHD_NO;
	resp = MHD_create_response_from_buffer(strlen(text), (void *)text,
	    MHD_RESPMEM_MUST_COPY);
	if (resp == NULL)
		return MHD_NO;
	if (st->retry_after != NULL)
		MHD_add_response_header(resp, "Retry-After", st->retry_after);
	ret = MHD_queue_response(c, status, resp);
	MHD_destroy_response(resp);
	return ret;
}

static void
done(void *cls, struct MHD_Connection *c, void **con_cls,
    enum MHD_RequestTerminationCode toe)
{
	struct upload *u = *con_cls;

	(void)cls;
	(void)c;
	(void)toe;
	if (u != NULL) {
		free(u->buf);
		free(u);
		*con_cls = NULL;
	}
}

static int
fake_start(struct fake *f, const struct step *script, size_t n)
{
	struct sockaddr_in sin;
	const union MHD_DaemonInfo *info;

	memset(f, 0, sizeof(*f));
	pthread_mutex_init(&f->lock, NULL);
	f->script = script;
	f->nscript = n;
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	f->d = MHD_start_daemon(MHD_USE_AUTO_INTERNAL_THREAD, 0, NULL, NULL,
	    handle, f, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sin,
	    MHD_OPTION_NOTIFY_COMPLETED, done, NULL,
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)10, MHD_OPTION_END);
	if (f->d == NULL)
		return -1;
	info = MHD_get_daemon_info(f->d, MHD_DAEMON_INFO_BIND_PORT);
	f->port = info != NULL ? info->port : 0;
	return f->port > 0 ? 0 : -1;
}

static void
fake_stop(struct fake *f)
{
	size_t i;

	if (f->d != NULL)
		MHD_stop_daemon(f->d);
	for (i = 0; i < MAX_REQS; i++) {
		free(f->got[i].ce);
		free(f->got[i].ct);
		free(f->got[i].ver);
		free(f->got[i].ua);
		free(f->got[i].auth);
		free(f->got[i].expect);
		free(f->got[i].url);
		free(f->got[i].method);
		free(f->got[i].body);
	}
	pthread_mutex_destroy(&f->lock);
}

/* Bodies over max_len get status/body (under the lock: the fake's
 * thread reads them). */
static void
fake_limit(struct fake *f, size_t max_len, unsigned status, const char *body)
{
	pthread_mutex_lock(&f->lock);
	f->max_len = max_len;
	f->big_status = status;
	f->big_body = body;
	pthread_mutex_unlock(&f->lock);
}

/* Every request a remote-write sender must send, whatever the answer. */
static int
request_ok(const struct got *g)
{
	return g->method != NULL && strcmp(g->method, "POST") == 0 &&
	    g->url != NULL && strcmp(g->url, "/api/v1/write") == 0 &&
	    g->ce != NULL && strcmp(g->ce, "snappy") == 0 &&
	    g->ct != NULL && strcmp(g->ct, "application/x-protobuf") == 0 &&
	    g->ver != NULL && strcmp(g->ver, "0.1.0") == 0 &&
	    g->ua != NULL && strncmp(g->ua, "syncbit/", 8) == 0 &&
	    g->expect == NULL;
}

/* Decoded bodies of requests [from, to) equal the input samples. */
static int
bodies_equal(struct fake *f, size_t from, size_t to, const struct samples *s,
    const char *user)
{
	Prometheus__WriteRequest *wr;
	struct rec *recs = calloc(s->len + 1, sizeof(*recs));
	size_t i, nrecs = 0;
	int ok = recs != NULL;

	for (i = from; ok && i < to && i < MAX_REQS; i++) {
		if ((wr = decode(f->got[i].body, f->got[i].len)) == NULL) {
			ok = 0;
			break;
		}
		ok = collect(wr, recs, &nrecs, s->len) == 0;
		prometheus__write_request__free_unpacked(wr, NULL);
	}
	ok = ok && same_samples(recs, nrecs, s->v, s->len, user);
	free(recs);
	return ok;
}

struct env {
	char *dir;
	char log[1024];
	int saved_stderr;
	struct httpc *http;
};

static struct rw *
rw_backoff(struct env *env, struct fake *f, const char *user,
    const char *pass, long backoff_ms)
{
	static char url[128];
	struct rw_config cfg;

	snprintf(url, sizeof(url), "http://127.0.0.1:%d/api/v1/write",
	    f->port);
	memset(&cfg, 0, sizeof(cfg));
	cfg.endpoint = url;
	cfg.user = user;
	cfg.password = pass;
	cfg.user_label = "me";
	cfg.backoff_min_ms = backoff_ms;
	cfg.backoff_max_ms = 4 * backoff_ms;
	return rw_new(&cfg, env->http);
}

static struct rw *
rw_for(struct env *env, struct fake *f, const char *user, const char *pass)
{
	return rw_backoff(env, f, user, pass, 2);
}

static void
test_retry_then_ok(struct env *env)
{
	static const struct step script[] = {
		{ 503, NULL, "busy", 0, 0 },
		{ 429, "0", "slow down", 0, 0 },
		{ 204, NULL, "", 0, 0 },
	};
	struct fake f;
	struct samples s;
	struct rw *rw;
	struct err err = { 0 };
	struct stats *st = stats_get();
	size_t rejected = 99, i;
	char *log;

	stats_reset();
	samples_init(&s);
	mixed_samples(&s);
	CHECK(fake_start(&f, script, 3) == 0);
	rw = rw_for(env, &f, "user", "pass");
	CHECK(rw != NULL);
	if (rw == NULL)
		goto out;
	CHECK(rw_write(rw, NULL, &s, &rejected, &err) == 0);
	CHECK(!err.set);
	CHECK(rejected == 3);			/* NaN and two infinities */
	CHECK(f.nreq == 3);
	for (i = 0; i < 3; i++) {
		CHECK(request_ok(&f.got[i]));
		/* base64("user:pass") */
		CHECK(f.got[i].auth != NULL &&
		    strcmp(f.got[i].auth, "Basic dXNlcjpwYXNz") == 0);
		CHECK(bodies_equal(&f, i, i + 1, &s, "me"));
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
	fake_stop(&f);
	samples_release(&s);
}

/* Retry-After wins over the backoff: with a backoff of seconds, the
 * logged delay of "Retry-After: 0" is 0. */
static void
test_retry_after(struct env *env)
{
	static const struct step script[] = {
		{ 503, "0", "", 0, 0 },
		{ 204, NULL, "", 0, 0 },
	};
	struct fake f;
	struct samples s;
	struct rw *rw;
	struct err err = { 0 };
	char *log;

	stats_reset();
	samples_init(&s);
	add(&s, "fitbit_weight_kg", 71.5, 1000, NULL, NULL, NULL, NULL);
	CHECK(fake_start(&f, script, 2) == 0);
	rw = rw_backoff(env, &f, NULL, NULL, 3000);
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
	fake_stop(&f);
	samples_release(&s);
}

/* With give_up_ms, a receiver that stays down fails the write (so the
 * service can go on) instead of blocking it forever; nothing is counted
 * as sent or rejected. */
static void
test_give_up(struct env *env)
{
	static const struct step script[] = {
		{ 503, NULL, "", 0, 0 },
	};
	struct fake f;
	struct samples s;
	struct rw *rw;
	struct err err = { 0 };
	struct rw_config cfg;
	char url[128];
	size_t rejected = 99;

	stats_reset();
	samples_init(&s);
	add(&s, "fitbit_weight_kg", 71.5, 1000, NULL, NULL, NULL, NULL);
	CHECK(fake_start(&f, script, 1) == 0);
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
	fake_stop(&f);
	samples_release(&s);
}

static void
test_rejected(struct env *env)
{
	static char body[600];
	static const struct step script[] = {
		{ 400, NULL, body, 0, 0 },
	};
	struct fake f;
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
	CHECK(fake_start(&f, script, 1) == 0);
	rw = rw_for(env, &f, NULL, NULL);
	CHECK(rw != NULL);
	if (rw == NULL)
		goto out;
	CHECK(rw_write(rw, NULL, &s, &rejected, &err) == 0);
	CHECK(rejected == s.len);
	CHECK(f.nreq == 1);			/* a 400 is not retried */
	CHECK(request_ok(&f.got[0]) && f.got[0].auth == NULL);
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
	fake_stop(&f);
	samples_release(&s);
}

static void
test_batches(struct env *env)
{
	static const struct step script[] = {
		{ 204, NULL, "", 0, 0 },
	};
	struct fake f;
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
		add(&s, "fitbit_heart_rate_bpm", (double)(60 + i % 50),
		    1700000000000LL + (int64_t)i * 60000, NULL, NULL, NULL,
		    NULL);
	CHECK(fake_start(&f, script, 1) == 0);
	rw = rw_for(env, &f, "", "");
	CHECK(rw != NULL);
	if (rw == NULL)
		goto out;
	CHECK(rw_write(rw, NULL, &s, &rejected, &err) == 0);
	CHECK(rejected == 0);
	CHECK(f.nreq == 3);
	CHECK(atomic_load(&stats_get()->rw_sent) == n);
	CHECK(bodies_equal(&f, 0, 3, &s, "me"));
	for (i = 0; i < 3 && i < f.nreq; i++) {
		CHECK(request_ok(&f.got[i]) && f.got[i].auth == NULL);
		if ((wr = decode(f.got[i].body, f.got[i].len)) == NULL) {
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
	fake_stop(&f);
	samples_release(&s);
}

static void
test_no_answer_then_ok(struct env *env)
{
	static const struct step script[] = {
		{ 0, NULL, "", 1, 0 },		/* connection closed */
		{ 200, NULL, "", 0, 0 },
	};
	struct fake f;
	struct samples s;
	struct rw *rw;
	struct err err = { 0 };

	stats_reset();
	samples_init(&s);
	add(&s, "fitbit_weight_kg", 71.5, 1000, NULL, NULL, NULL, NULL);
	CHECK(fake_start(&f, script, 2) == 0);
	rw = rw_for(env, &f, NULL, NULL);
	CHECK(rw != NULL);
	if (rw == NULL)
		goto out;
	CHECK(rw_write(rw, NULL, &s, NULL, &err) == 0);
	CHECK(f.nreq >= 2);
	CHECK(atomic_load(&stats_get()->rw_sent) == 1);
	CHECK(bodies_equal(&f, f.nreq - 1, f.nreq, &s, "me"));
out:
	rw_free(rw);
	fake_stop(&f);
	samples_release(&s);
}

static void
test_quit_stops_retries(struct env *env)
{
	static const struct step script[] = {
		{ 503, NULL, "", 0, 0 },
		{ 503, NULL, "", 0, 1 },
		{ 503, NULL, "", 0, 0 },
	};
	struct fake f;
	struct samples s;
	struct rw *rw;
	struct err err = { 0 };

	stats_reset();
	samples_init(&s);
	add(&s, "fitbit_weight_kg", 71.5, 1000, NULL, NULL, NULL, NULL);
	CHECK(fake_start(&f, script, 3) == 0);
	rw = rw_for(env, &f, NULL, NULL);
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
	fake_stop(&f);
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
test_refused_then_accepted(struct env *env)
{
	static const struct step script[] = {
		{ 401, NULL, "\n", 0, 0 },	/* VM's body for -httpAuth.* */
		{ 401, NULL, "\n", 0, 0 },
		{ 204, NULL, "", 0, 0 },
	};
	const char *hint = "VictoriaMetrics refuses our writes: 401, "
	    "check VICTORIA_USER/VICTORIA_PASSWORD";
	struct stats *st = stats_get();
	struct fake f;
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
	CHECK(fake_start(&f, script, 3) == 0);
	rw = rw_for(env, &f, "writer", "wrong-pass-42");
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
	CHECK(f.nreq == 3 && bodies_equal(&f, 2, 3, &s, "me"));
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
	fake_stop(&f);
	samples_release(&s);
	stats_reset();
}

/* Each refusal of the endpoint, with what it tells the user to fix. */
static void
test_refusals(struct env *env)
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
	struct step script[1] = { { 0, NULL, "", 0, 0 } };
	struct fake f;
	struct samples s;
	struct rw *rw;
	struct err err;
	size_t i, rejected;

	samples_init(&s);
	add(&s, "fitbit_weight_kg", 71.5, 1000, NULL, NULL, NULL, NULL);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		stats_reset();
		script[0].status = cases[i].status;
		script[0].body = cases[i].body;
		if (fake_start(&f, script, 1) != 0) {
			CHECK(0);
			continue;
		}
		rw = rw_for(env, &f, NULL, NULL);
		memset(&err, 0, sizeof(err));
		rejected = 99;
		CHECK(rw != NULL && rw_write(rw, NULL, &s, &rejected, &err) == -1);
		CHECK(err.kind == ERR_REFUSED);
		CHECK(strcmp(err.msg, cases[i].hint) == 0);
		CHECK(f.nreq == 1 && rejected == 0);
		CHECK(atomic_load(&stats_get()->rw_rejected) == 0);
		rw_free(rw);
		fake_stop(&f);
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
test_too_big_split(struct env *env, unsigned status, const char *body)
{
	static const struct step script[] = {
		{ 204, NULL, "", 0, 0 },
	};
	struct fake f;
	struct samples s;
	struct rw *rw;
	struct err err = { 0 };
	struct rec *recs;
	Prometheus__WriteRequest *wr;
	uint8_t *z;
	size_t i, zlen, max = 0, nrecs = 0, rejected = 99, first, big = 0;
	int ok = 1;

	stats_reset();
	samples_init(&s);
	for (i = 0; i < 40; i++)
		add(&s, "fitbit_heart_rate_bpm", 60, 1700000000000LL +
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
	CHECK(fake_start(&f, script, 1) == 0);
	fake_limit(&f, max, status, body);
	rw = rw_for(env, &f, NULL, NULL);
	CHECK(rw != NULL && recs != NULL);
	if (rw == NULL || recs == NULL)
		goto out;
	CHECK(rw_write(rw, NULL, &s, &rejected, &err) == 0);
	CHECK(!err.set && rejected == 0);
	CHECK(f.nreq == 7);	/* 40 big, 20 big, 10, 10, 20 big, 10, 10 */
	for (i = 0; i < f.nreq && i < MAX_REQS; i++) {
		CHECK(request_ok(&f.got[i]));
		if (f.got[i].status != 204) {
			big++;
			continue;
		}
		if ((wr = decode(f.got[i].body, f.got[i].len)) == NULL) {
			ok = 0;
			continue;
		}
		ok = ok && collect(wr, recs, &nrecs, s.len) == 0;
		prometheus__write_request__free_unpacked(wr, NULL);
	}
	CHECK(big == 3);
	CHECK(ok && same_samples(recs, nrecs, s.v, s.len, "me"));
	CHECK(atomic_load(&stats_get()->rw_sent) == 40);
	CHECK(atomic_load(&stats_get()->rw_rejected) == 0);
	/* the next write uses the size that fitted: no refusal at all */
	first = f.nreq;
	CHECK(rw_write(rw, NULL, &s, NULL, &err) == 0);
	CHECK(f.nreq - first == 4);
	for (i = first; i < f.nreq && i < MAX_REQS; i++)
		CHECK(f.got[i].status == 204);
out:
	free(recs);
	rw_free(rw);
	fake_stop(&f);
	samples_release(&s);
}

/* A single sample still too big is a config error, not a drop. */
static void
test_one_sample_too_big(struct env *env)
{
	static const struct step script[] = {
		{ 204, NULL, "", 0, 0 },
	};
	struct fake f;
	struct samples s;
	struct rw *rw;
	struct err err = { 0 };
	size_t rejected = 99;

	stats_reset();
	samples_init(&s);
	add(&s, "fitbit_weight_kg", 71.5, 1000, NULL, NULL, NULL, NULL);
	add(&s, "fitbit_weight_kg", 71.7, 2000, NULL, NULL, NULL, NULL);
	CHECK(fake_start(&f, script, 1) == 0);
	fake_limit(&f, 1, 413, "request entity too large");
	rw = rw_for(env, &f, NULL, NULL);
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
	fake_stop(&f);
	samples_release(&s);
	stats_reset();
}

void
suite_rw(void)
{
	struct env env;
	int devnull = open("/dev/null", O_WRONLY);

	test_encode();
	test_encode_edges();

	env.dir = t_tmpdir();
	snprintf(env.log, sizeof(env.log), "%s/syncbit.log", env.dir);
	env.http = httpc_new(2, 10, "syncbit/" SYNCBIT_VERSION, NULL);
	env.saved_stderr = dup(STDERR_FILENO);
	dup2(devnull, STDERR_FILENO);
	log_set_level(LOG_INFO);
	CHECK(log_open_file(env.log) == 0);

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

	log_close();
	dup2(env.saved_stderr, STDERR_FILENO);
	close(env.saved_stderr);
	close(devnull);
	httpc_free(env.http);
	stats_reset();
	t_rmrf(env.dir);
	free(env.dir);
}
