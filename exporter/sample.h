/*
 * sample: values read from a health API, in SPEC's names and units.
 *
 * A source fills a struct samples; the collector stamps, caches and
 * remote-writes them. Metric names and label names are static strings
 * (the names of SPEC); label values are copied. The "user" label is not
 * stored here: whoever renders or writes a sample adds it.
 */
#ifndef SYNCBIT_SAMPLE_H
#define SYNCBIT_SAMPLE_H

#include <stddef.h>
#include <stdint.h>

#define SAMPLE_LABELS 2
#define SAMPLE_LVALUE_MAX 64

struct sample {
	const char *metric;			/* e.g. "fitbit_steps_total" */
	const char *lname[SAMPLE_LABELS];	/* NULL when unused */
	char lvalue[SAMPLE_LABELS][SAMPLE_LVALUE_MAX];
	double value;
	int32_t day;		/* civil day (days since 1970-01-01) it belongs to */
	int64_t ts_ms;		/* UTC ms for remote write; 0 until stamped */
	/* COLLECT's group ("activity", "heart", ...; source.h), set by the
	 * source (samples_tag); NULL: not tagged */
	const char *group;
};

struct samples {
	struct sample *v;
	size_t len;
	size_t cap;
};

void samples_init(struct samples *);
void samples_release(struct samples *);
void samples_clear(struct samples *);	/* len = 0, keeps memory */

/*
 * Append one sample. lname/lvalue pairs: up to SAMPLE_LABELS, terminated by
 * NULL, e.g. samples_add(s, "fitbit_active_minutes", day, 12, "type",
 * "very_active", NULL). A label value longer than SAMPLE_LVALUE_MAX - 1 is
 * an error, not a truncation. Returns 0, or -1 on allocation failure or a
 * too-long value (nothing appended then). The compiler checks that the
 * list ends with NULL (sentinel).
 */
int samples_add(struct samples *, const char *metric, int32_t day,
    double value, ...) __attribute__((sentinel));
int samples_append(struct samples *, const struct sample *);
/* Tag the samples from index `from` on with COLLECT's group (static). */
void samples_tag(struct samples *, size_t from, const char *group);
int samples_extend(struct samples *, const struct samples *);

/*
 * For each sample of from, keep in latest only the newest sample of its
 * series (metric and labels): a later day wins, on the same day a later
 * or equal ts_ms. -1 on allocation failure.
 */
int samples_keep_newest(struct samples *latest, const struct samples *from);

/* Sort by metric, labels, then ts (stable order for output and tests). */
void samples_sort(struct samples *);

#endif
