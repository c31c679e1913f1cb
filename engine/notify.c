/*
 * notify.c - change fan-out to the front; see notify.h.
 */
#include "engine/notify.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "lib/idmap.h"

struct notify {
	pthread_mutex_t lock;	/* guards q, n, cap, stopping, cb, arg */
	pthread_cond_t wake;
	struct eng_change *q;
	size_t n, cap;
	bool stopping;
	eng_watch_cb cb;
	void *arg;
	pthread_t thread;
};

/* Merge same-object entries (not removals) in place; returns the new count. */
static size_t merge(struct eng_change *v, size_t n)
{
	struct idmap seen = { 0 };
	size_t m = 0;

	for (size_t i = 0; i < n; i++) {
		struct eng_change *prev = idmap_get(&seen, v[i].id);

		if (prev && !(v[i].flags & ENG_CHG_REMOVED) && !(prev->flags & ENG_CHG_REMOVED)) {
			prev->flags |= v[i].flags;
			continue;
		}
		v[m] = v[i];
		idmap_put(&seen, v[m].id, &v[m]);
		m++;
	}
	idmap_release(&seen);
	return m;
}

static void *dispatch(void *arg)
{
	struct notify *nt = arg;

	pthread_mutex_lock(&nt->lock);
	for (;;) {
		struct eng_change *q;
		size_t n;
		eng_watch_cb cb;
		void *cbarg;

		while (!nt->n && !nt->stopping)
			pthread_cond_wait(&nt->wake, &nt->lock);
		if (!nt->n)
			break;
		q = nt->q;
		n = nt->n;
		cb = nt->cb;
		cbarg = nt->arg;
		nt->q = NULL;
		nt->n = nt->cap = 0;
		pthread_mutex_unlock(&nt->lock);
		n = merge(q, n);
		if (cb)
			cb(cbarg, q, n);
		free(q);
		pthread_mutex_lock(&nt->lock);
	}
	pthread_mutex_unlock(&nt->lock);
	return NULL;
}

struct notify *notify_new(void)
{
	struct notify *nt = calloc(1, sizeof(*nt));

	if (!nt)
		return NULL;
	pthread_mutex_init(&nt->lock, NULL);
	pthread_cond_init(&nt->wake, NULL);
	if (pthread_create(&nt->thread, NULL, dispatch, nt) != 0) {
		free(nt);
		return NULL;
	}
	return nt;
}

void notify_free(struct notify *nt)
{
	if (!nt)
		return;
	pthread_mutex_lock(&nt->lock);
	nt->stopping = true;
	nt->cb = NULL;
	pthread_cond_signal(&nt->wake);
	pthread_mutex_unlock(&nt->lock);
	pthread_join(nt->thread, NULL);
	free(nt->q);
	pthread_cond_destroy(&nt->wake);
	pthread_mutex_destroy(&nt->lock);
	free(nt);
}

void notify_set(struct notify *nt, eng_watch_cb cb, void *arg)
{
	pthread_mutex_lock(&nt->lock);
	nt->cb = cb;
	nt->arg = arg;
	pthread_mutex_unlock(&nt->lock);
}

void notify_post(struct notify *nt, const struct eng_change *c)
{
	pthread_mutex_lock(&nt->lock);
	if (!nt->cb) {
		pthread_mutex_unlock(&nt->lock);
		return;
	}
	if (nt->n == nt->cap) {
		size_t cap = nt->cap ? nt->cap * 2 : 64;
		struct eng_change *q = realloc(nt->q, cap * sizeof(*q));

		if (!q) {
			pthread_mutex_unlock(&nt->lock);
			return;
		}
		nt->q = q;
		nt->cap = cap;
	}
	nt->q[nt->n++] = *c;
	pthread_cond_signal(&nt->wake);
	pthread_mutex_unlock(&nt->lock);
}
