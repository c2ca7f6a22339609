/*
 * rwfake: see rwfake.h.
 */
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <unistd.h>
#include <snappy-c.h>

#include "httpc.h"
#include "log.h"
#include "quit.h"
#include "stats.h"
#include "helpers.h"
#include "t.h"
#include "rwfake.h"

/* ---- decoding and comparing ---------------------------------------- */

Prometheus__WriteRequest *
rwf_decode(const uint8_t *z, size_t zlen)
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


static int
cmp_rec(const void *pa, const void *pb)
{
	const struct rwf_rec *a = pa, *b = pb;
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

	snprintf(key + n, RWF_KEY_MAX - n, "%s\2%s\1", name, value);
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
rec_from_sample(struct rwf_rec *r, const struct sample *s, const char *user)
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
int
rwf_collect(const Prometheus__WriteRequest *wr, struct rwf_rec *recs, size_t *nrecs,
    size_t cap)
{
	const Prometheus__TimeSeries *t;
	size_t i, j, k;
	char key[RWF_KEY_MAX], *seen;
	int bad = 0;

	seen = calloc(wr->n_timeseries + 1, RWF_KEY_MAX);
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
			if (strcmp(seen + k * RWF_KEY_MAX, key) == 0)
				bad++;
		memcpy(seen + i * RWF_KEY_MAX, key, RWF_KEY_MAX);
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
			memcpy(recs[*nrecs].key, key, RWF_KEY_MAX);
			recs[*nrecs].ts = t->samples[j]->timestamp;
			recs[*nrecs].value = t->samples[j]->value;
			(*nrecs)++;
		}
	}
	free(seen);
	return bad;
}

/* 1 when the decoded samples are exactly the finite input samples. */
int
rwf_same_samples(struct rwf_rec *got, size_t ngot, const struct sample *in, size_t n,
    const char *user)
{
	struct rwf_rec *want = calloc(n + 1, sizeof(*want));
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

void
rwf_add(struct samples *s, const char *metric, double v, int64_t ts,
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

/* ---- a scripted remote-write receiver -------------------------------- */




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
	struct rwf *f = cls;
	struct upload *u = *con_cls;
	struct MHD_Response *resp;
	const struct rwf_step *st;
	struct rwf_got *g;
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
	if (i < RWF_MAX_REQS) {
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
	while (st->hold && !f->released)
		pthread_cond_wait(&f->release, &f->lock);
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

int
rwf_start(struct rwf *f, const struct rwf_step *script, size_t n)
{
	struct sockaddr_in sin;
	const union MHD_DaemonInfo *info;

	memset(f, 0, sizeof(*f));
	pthread_mutex_init(&f->lock, NULL);
	pthread_cond_init(&f->release, NULL);
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

void
rwf_release(struct rwf *f)
{
	pthread_mutex_lock(&f->lock);
	f->released = 1;
	pthread_cond_broadcast(&f->release);
	pthread_mutex_unlock(&f->lock);
}

size_t
rwf_requests(struct rwf *f)
{
	size_t n;

	pthread_mutex_lock(&f->lock);
	n = f->nreq;
	pthread_mutex_unlock(&f->lock);
	return n;
}

void
rwf_stop(struct rwf *f)
{
	size_t i;

	rwf_release(f);		/* a held request must not block the stop */
	if (f->d != NULL)
		MHD_stop_daemon(f->d);
	for (i = 0; i < RWF_MAX_REQS; i++) {
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
	pthread_cond_destroy(&f->release);
	pthread_mutex_destroy(&f->lock);
}

/* Bodies over max_len get status/body (under the lock: the fake's
 * thread reads them). */
void
rwf_limit(struct rwf *f, size_t max_len, unsigned status, const char *body)
{
	pthread_mutex_lock(&f->lock);
	f->max_len = max_len;
	f->big_status = status;
	f->big_body = body;
	pthread_mutex_unlock(&f->lock);
}

/* Every request a remote-write sender must send, whatever the answer. */
int
rwf_request_ok(const struct rwf_got *g)
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
int
rwf_bodies_equal(struct rwf *f, size_t from, size_t to, const struct samples *s,
    const char *user)
{
	Prometheus__WriteRequest *wr;
	struct rwf_rec *recs = calloc(s->len + 1, sizeof(*recs));
	size_t i, nrecs = 0;
	int ok = recs != NULL;

	for (i = from; ok && i < to && i < RWF_MAX_REQS; i++) {
		if ((wr = rwf_decode(f->got[i].body, f->got[i].len)) == NULL) {
			ok = 0;
			break;
		}
		ok = rwf_collect(wr, recs, &nrecs, s->len) == 0;
		prometheus__write_request__free_unpacked(wr, NULL);
	}
	ok = ok && rwf_same_samples(recs, nrecs, s->v, s->len, user);
	free(recs);
	return ok;
}


struct rw *
rwf_rw_backoff(struct rwf_env *env, struct rwf *f, const char *user,
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

struct rw *
rwf_rw(struct rwf_env *env, struct rwf *f, const char *user, const char *pass)
{
	return rwf_rw_backoff(env, f, user, pass, 2);
}

void
rwf_env_open(struct rwf_env *env)
{
	env->devnull = open("/dev/null", O_WRONLY);
	env->dir = t_tmpdir();
	snprintf(env->log, sizeof(env->log), "%s/syncbit.log", env->dir);
	env->http = httpc_new(2, 10, "syncbit/" SYNCBIT_VERSION, NULL);
	env->saved_stderr = dup(STDERR_FILENO);
	dup2(env->devnull, STDERR_FILENO);
	log_set_level(LOG_INFO);
	CHECK(log_open_file(env->log) == 0);
}

void
rwf_env_close(struct rwf_env *env)
{
	log_close();
	dup2(env->saved_stderr, STDERR_FILENO);
	close(env->saved_stderr);
	close(env->devnull);
	httpc_free(env->http);
	stats_reset();
	t_rmrf(env->dir);
	free(env->dir);
}
