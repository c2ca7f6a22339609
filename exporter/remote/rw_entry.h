/*
 * rw_entry: the samples of one or more writes as remote-write entries
 * (internal to remote/). Each entry holds one sample with its complete
 * label set (__name__, user, its own labels), sorted by name with strcmp
 * and without empty values, and the write it came from. Sorted, the
 * entries of one account are one run, and within it the entries of one
 * series are one run in time order, so a series' samples stay in time
 * order across batches.
 */
#ifndef SYNCBIT_RW_ENTRY_H
#define SYNCBIT_RW_ENTRY_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "sample.h"

#define RW_LABELS (SAMPLE_LABELS + 2)	/* + __name__ and user */

struct rw_job;

struct rw_entry {
	const struct sample *s;
	struct rw_job *job;	/* the write it belongs to */
	const char *user;	/* its user label, "" for none */
	size_t idx;		/* position in the input: a stable tie-break */
	int nl;
	const char *name[RW_LABELS];
	const char *value[RW_LABELS];
};

/*
 * Append the sendable samples of v[0..n) to e (from e[*ne] on; room for
 * n more) under user label user, owned by job; *bad counts the others
 * (NaN or infinite value, no metric name, a label name given twice or
 * clashing with __name__/user).
 */
void rw_entries_add(struct rw_entry *e, size_t *ne, const struct sample *v,
    size_t n, const char *user, struct rw_job *job, size_t *bad);

/* Sort e[0..n): by user, then label set, then time, then input order. */
void rw_entries_sort(struct rw_entry *e, size_t n);

/* 1 when e[0..n) (sorted) holds the samples of more than one user. */
int rw_entries_mixed(const struct rw_entry *e, size_t n);

/* The snappy-compressed WriteRequest for e[0..n) (sorted). The
 * protobuf-c structs borrow the strings of the samples. Caller frees
 * *out. */
int rw_entries_encode(const struct rw_entry *e, size_t n, uint8_t **out,
    size_t *out_len, struct err *);

#endif
