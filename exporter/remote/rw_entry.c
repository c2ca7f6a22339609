/*
 * rw_entry: samples -> sorted remote-write entries -> a packed,
 * snappy-compressed WriteRequest (see rw_entry.h).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <snappy-c.h>

#include "remote.pb-c.h"
#include "rw.h"
#include "rw_entry.h"

/*
 * Fill e from s. A sample that cannot be sent as it is (NaN or infinite
 * value, no metric name, a label name given twice or clashing with
 * __name__/user) is -1: the caller counts it as rejected.
 */
static int
entry_init(struct rw_entry *e, const struct sample *s, size_t idx,
    const char *user, struct rw_job *job)
{
	const char *n, *v;
	int i, j;

	if (!isfinite(s->value) || s->metric == NULL || *s->metric == '\0')
		return -1;
	e->s = s;
	e->job = job;
	e->user = user != NULL ? user : "";
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
cmp_series(const struct rw_entry *a, const struct rw_entry *b)
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
	const struct rw_entry *a = pa, *b = pb;
	int c;

	if ((c = strcmp(a->user, b->user)) != 0)
		return c;
	if ((c = cmp_series(a, b)) != 0)
		return c;
	if (a->s->ts_ms != b->s->ts_ms)
		return a->s->ts_ms < b->s->ts_ms ? -1 : 1;
	return a->idx < b->idx ? -1 : a->idx > b->idx;
}

void
rw_entries_add(struct rw_entry *e, size_t *ne, const struct sample *v,
    size_t n, const char *user, struct rw_job *job, size_t *bad)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (entry_init(&e[*ne], &v[i], *ne, user, job) == 0)
			(*ne)++;
		else
			(*bad)++;
	}
}

void
rw_entries_sort(struct rw_entry *e, size_t n)
{
	if (n > 1)
		qsort(e, n, sizeof(*e), cmp_entry);
}

int
rw_entries_mixed(const struct rw_entry *e, size_t n)
{
	return n > 1 && strcmp(e[0].user, e[n - 1].user) != 0;
}

int
rw_entries_encode(const struct rw_entry *e, size_t n, uint8_t **out,
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
	struct rw_entry *e;
	size_t ne = 0, bad = 0;
	int rc;

	*out = NULL;
	*out_len = 0;
	if ((e = calloc(n > 0 ? n : 1, sizeof(*e))) == NULL)
		return err_set(err, "out of memory encoding %zu samples", n);
	rw_entries_add(e, &ne, v, n, user_label, NULL, &bad);
	rw_entries_sort(e, ne);
	rc = rw_entries_encode(e, ne, out, out_len, err);
	free(e);
	return rc;
}
