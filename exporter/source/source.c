/*
 * source: what every source shares (see source.h): the common part of
 * struct source (API base, OAuth, HTTP, the request count), and the newest
 * device sync it has seen, from the samples of its devices kind.
 */
#include <stdlib.h>
#include <string.h>

#include "driver.h"
#include "route.h"
#include "source.h"
#include "stats.h"

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

int
source_init(struct source *src, const struct source_ops *ops,
    const struct source_kind *kinds, size_t nkinds,
    const struct source_settings *set)
{
	const char *url = set->api_url != NULL ? set->api_url : "";
	size_t n = strlen(url);

	while (n > 0 && url[n - 1] == '/')
		n--;
	if ((src->api_url = strndup(url, n)) == NULL)
		return -1;
	if ((src->routes = routes_new(set->routes_days)) == NULL) {
		free(src->api_url);
		src->api_url = NULL;
		return -1;
	}
	src->ops = ops;
	src->oauth = set->oauth;
	src->http = set->http;
	src->requests = 0;
	src->stats = stats_or_first(set->stats);
	src->last_sync = 0;
	src->kinds = kinds;
	src->nkinds = nkinds;
	return 0;
}

void
source_release(struct source *src)
{
	free(src->api_url);
	src->api_url = NULL;
	routes_free(src->routes);
	src->routes = NULL;
}

uint64_t
source_requests(struct source *src)
{
	return src->requests;
}

const struct source_kind *
source_kinds(struct source *src, size_t *n)
{
	*n = src->nkinds;
	return src->kinds;
}

const void *
source_table_find(const void *table, size_t n, size_t size,
    const char *name)
{
	const char *e = table;
	const char *key;
	size_t i;

	for (i = 0; i < n; i++, e += size) {
		memcpy(&key, e, sizeof(key));
		if (key != NULL && strcmp(key, name) == 0)
			return e;
	}
	return NULL;
}
