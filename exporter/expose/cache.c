/*
 * cache: one published snapshot, swapped under a mutex (see cache.h).
 *
 * Only the pointer swap and the reference increment happen under the lock;
 * rendering happens outside it, so a slow scrape never delays the
 * collector and a publish never waits for a scrape.
 */
#include <pthread.h>
#include <stdlib.h>

#include "cache.h"

struct cache {
	pthread_mutex_t lock;
	struct snapshot *current;
	struct status *status;
};

struct snapshot *
snapshot_new(struct samples *values, int64_t built_at)
{
	struct snapshot *s;

	if ((s = calloc(1, sizeof(*s))) == NULL)
		return NULL;
	atomic_init(&s->refs, 1);
	s->values = *values;
	samples_init(values);
	s->built_at = built_at;
	return s;
}

void
snapshot_release(struct snapshot *s)
{
	if (s == NULL)
		return;
	if (atomic_fetch_sub(&s->refs, 1) == 1) {
		samples_release(&s->values);
		free(s->text);
		free(s);
	}
}

struct cache *
cache_new(void)
{
	struct cache *c;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		return NULL;
	pthread_mutex_init(&c->lock, NULL);
	return c;
}

void
cache_free(struct cache *c)
{
	if (c == NULL)
		return;
	snapshot_release(c->current);
	status_release(c->status);
	pthread_mutex_destroy(&c->lock);
	free(c);
}

struct snapshot *
cache_acquire(struct cache *c)
{
	struct snapshot *s;

	pthread_mutex_lock(&c->lock);
	s = c->current;
	if (s != NULL)
		atomic_fetch_add(&s->refs, 1);	/* under the lock */
	pthread_mutex_unlock(&c->lock);
	return s;
}

void
cache_publish(struct cache *c, struct snapshot *next)
{
	struct snapshot *old;

	pthread_mutex_lock(&c->lock);
	old = c->current;
	c->current = next;
	pthread_mutex_unlock(&c->lock);
	snapshot_release(old);	/* freed by its last reader */
}

struct status *
status_new(void)
{
	struct status *s;

	if ((s = calloc(1, sizeof(*s))) == NULL)
		return NULL;
	atomic_init(&s->refs, 1);
	return s;
}

void
status_release(struct status *s)
{
	if (s != NULL && atomic_fetch_sub(&s->refs, 1) == 1)
		free(s);
}

struct status *
cache_acquire_status(struct cache *c)
{
	struct status *s;

	pthread_mutex_lock(&c->lock);
	if ((s = c->status) != NULL)
		atomic_fetch_add(&s->refs, 1);
	pthread_mutex_unlock(&c->lock);
	return s;
}

void
cache_publish_status(struct cache *c, struct status *next)
{
	struct status *old;

	pthread_mutex_lock(&c->lock);
	old = c->status;
	c->status = next;
	pthread_mutex_unlock(&c->lock);
	status_release(old);
}
