/*
 * source: what every source shares (see source.h): the newest device
 * sync it has seen, from the samples of its devices kind.
 */
#include <string.h>

#include "source.h"

void
source_note_sync(struct source *src, const struct samples *s, size_t from)
{
	size_t i;

	for (i = from; i < s->len; i++)
		if (strcmp(s->v[i].metric,
		    "fitbit_device_last_sync_timestamp_seconds") == 0 &&
		    s->v[i].value > (double)src->last_sync)
			src->last_sync = (int64_t)s->v[i].value;
}

int64_t
source_last_sync(struct source *src)
{
	return src->last_sync;
}
