/*
 * wpool.c - worker threads over per-cloud lanes; see wpool.h.
 *
 * Layout: every lane has a FIFO of ready tasks; delayed tasks wait in one
 * binary min-heap ordered by due time.  A worker moves due tasks to their
 * lanes, then scans the lanes from a rotating start for one that has work
 * and spare capacity.  The scan is O(lanes), fine for hundreds of clouds.
 */
#include "engine/wpool.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/clock.h"

struct task {
	struct task *next;
	struct wlane *lane;
	int64_t when;
	wpool_fn fn;
	void *arg;
};

struct wlane {
	struct task *head, *tail;
	unsigned queued;
	int running;
	int limit;		/* <= 0: unbounded */
	unsigned pending;	/* delayed tasks that will land here */
	bool retired;
};

struct wpool {
	pthread_mutex_t lock;	/* guards everything below */
	pthread_cond_t work;
	pthread_t *threads;
	int nthreads;
	bool stopping;
	struct wlane **lanes;	/* lanes[0] is the general lane */
	size_t nlanes, lanes_cap, rr;
	struct task **heap;	/* delayed tasks, min-heap by when */
	size_t nheap, heap_cap;
	unsigned running;
};

static void heap_swap(struct task **h, size_t a, size_t b)
{
	struct task *t = h[a];

	h[a] = h[b];
	h[b] = t;
}

static int heap_push(struct wpool *p, struct task *t)
{
	size_t i;

	if (p->nheap == p->heap_cap) {
		size_t cap = p->heap_cap ? p->heap_cap * 2 : 64;
		struct task **h = realloc(p->heap, cap * sizeof(*h));

		if (!h)
			return -ENOMEM;
		p->heap = h;
		p->heap_cap = cap;
	}
	i = p->nheap++;
	p->heap[i] = t;
	while (i && p->heap[(i - 1) / 2]->when > p->heap[i]->when) {
		heap_swap(p->heap, i, (i - 1) / 2);
		i = (i - 1) / 2;
	}
	return 0;
}

static struct task *heap_pop(struct wpool *p)
{
	struct task *top = p->heap[0];
	size_t i = 0;

	p->heap[0] = p->heap[--p->nheap];
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;

		if (l < p->nheap && p->heap[l]->when < p->heap[m]->when)
			m = l;
		if (r < p->nheap && p->heap[r]->when < p->heap[m]->when)
			m = r;
		if (m == i)
			break;
		heap_swap(p->heap, i, m);
		i = m;
	}
	return top;
}

static void lane_push(struct wlane *l, struct task *t)
{
	t->next = NULL;
	if (l->tail)
		l->tail->next = t;
	else
		l->head = t;
	l->tail = t;
	l->queued++;
}

static struct task *lane_pop(struct wlane *l)
{
	struct task *t = l->head;

	l->head = t->next;
	if (!l->head)
		l->tail = NULL;
	l->queued--;
	return t;
}

static bool lane_ready(const struct wlane *l)
{
	return l->head && (l->limit <= 0 || l->running < l->limit);
}

/* Move due delayed tasks to their lanes; returns the next due time or 0. */
static int64_t promote_due(struct wpool *p, int64_t now)
{
	while (p->nheap && p->heap[0]->when <= now) {
		struct task *t = heap_pop(p);

		t->lane->pending--;
		lane_push(t->lane, t);
	}
	return p->nheap ? p->heap[0]->when : 0;
}

static struct task *pick(struct wpool *p)
{
	for (size_t k = 0; k < p->nlanes; k++) {
		size_t i = (p->rr + k) % p->nlanes;
		struct wlane *l = p->lanes[i];

		if (lane_ready(l)) {
			p->rr = (i + 1) % p->nlanes;
			l->running++;
			return lane_pop(l);
		}
	}
	return NULL;
}

/* Free retired lanes that have nothing left.  Lock held. */
static void reap_lanes(struct wpool *p)
{
	for (size_t i = 1; i < p->nlanes;) {
		struct wlane *l = p->lanes[i];

		if (l->retired && !l->head && !l->running && !l->pending) {
			p->lanes[i] = p->lanes[--p->nlanes];
			free(l);
			continue;
		}
		i++;
	}
}

static void wait_until(struct wpool *p, int64_t due)
{
	struct timespec ts;

	if (!due) {
		pthread_cond_wait(&p->work, &p->lock);
		return;
	}
	ts.tv_sec = due / 1000;
	ts.tv_nsec = (due % 1000) * 1000000;
	pthread_cond_timedwait(&p->work, &p->lock, &ts);
}

static void *worker(void *arg)
{
	struct wpool *p = arg;

	pthread_mutex_lock(&p->lock);
	while (!p->stopping) {
		int64_t due = promote_due(p, clock_mono_ms());
		struct task *t = pick(p);

		if (!t) {
			wait_until(p, due);
			continue;
		}
		p->running++;
		pthread_mutex_unlock(&p->lock);
		t->fn(t->arg, false);
		pthread_mutex_lock(&p->lock);
		p->running--;
		t->lane->running--;
		if (t->lane->retired)
			reap_lanes(p);
		free(t);
		pthread_cond_broadcast(&p->work);
	}
	pthread_mutex_unlock(&p->lock);
	return NULL;
}

static struct wlane *lane_add(struct wpool *p, int limit)
{
	struct wlane *l = calloc(1, sizeof(*l));

	if (!l)
		return NULL;
	l->limit = limit;
	if (p->nlanes == p->lanes_cap) {
		size_t cap = p->lanes_cap ? p->lanes_cap * 2 : 16;
		struct wlane **v = realloc(p->lanes, cap * sizeof(*v));

		if (!v) {
			free(l);
			return NULL;
		}
		p->lanes = v;
		p->lanes_cap = cap;
	}
	p->lanes[p->nlanes++] = l;
	return l;
}

struct wpool *wpool_new(int threads)
{
	struct wpool *p = calloc(1, sizeof(*p));
	pthread_condattr_t ca;
	pthread_attr_t ta;

	if (!p)
		return NULL;
	pthread_mutex_init(&p->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&p->work, &ca);
	pthread_condattr_destroy(&ca);
	if (!lane_add(p, 0))
		goto out_free;
	p->threads = calloc((size_t)threads, sizeof(*p->threads));
	if (!p->threads)
		goto out_free;
	pthread_attr_init(&ta);
	pthread_attr_setstacksize(&ta, 512u << 10);
	for (int i = 0; i < threads; i++) {
		if (pthread_create(&p->threads[i], &ta, worker, p) != 0)
			break;
		p->nthreads++;
	}
	pthread_attr_destroy(&ta);
	if (p->nthreads == 0)
		goto out_free;
	return p;

out_free:
	wpool_free(p);
	return NULL;
}

static void cancel_task(struct task *t)
{
	t->fn(t->arg, true);
	free(t);
}

void wpool_free(struct wpool *p)
{
	if (!p)
		return;
	pthread_mutex_lock(&p->lock);
	p->stopping = true;
	pthread_cond_broadcast(&p->work);
	pthread_mutex_unlock(&p->lock);
	for (int i = 0; i < p->nthreads; i++)
		pthread_join(p->threads[i], NULL);
	while (p->nheap)
		cancel_task(heap_pop(p));
	for (size_t i = 0; i < p->nlanes; i++) {
		while (p->lanes[i]->head)
			cancel_task(lane_pop(p->lanes[i]));
		free(p->lanes[i]);
	}
	free(p->lanes);
	free(p->heap);
	free(p->threads);
	pthread_cond_destroy(&p->work);
	pthread_mutex_destroy(&p->lock);
	free(p);
}

struct wlane *wpool_lane_new(struct wpool *p, int limit)
{
	struct wlane *l;

	pthread_mutex_lock(&p->lock);
	l = lane_add(p, limit);
	pthread_mutex_unlock(&p->lock);
	return l;
}

void wpool_lane_set_limit(struct wpool *p, struct wlane *l, int limit)
{
	pthread_mutex_lock(&p->lock);
	l->limit = limit;
	pthread_cond_broadcast(&p->work);
	pthread_mutex_unlock(&p->lock);
}

void wpool_lane_retire(struct wpool *p, struct wlane *l)
{
	pthread_mutex_lock(&p->lock);
	l->retired = true;
	reap_lanes(p);
	pthread_mutex_unlock(&p->lock);
}

int wpool_submit(struct wpool *p, struct wlane *l, int64_t when_ms, wpool_fn fn, void *arg)
{
	struct task *t = calloc(1, sizeof(*t));
	int rc = 0;

	if (!t)
		return -ENOMEM;
	t->fn = fn;
	t->arg = arg;
	t->when = when_ms;
	pthread_mutex_lock(&p->lock);
	t->lane = l ? l : p->lanes[0];
	/* While stopping, tasks are still queued: wpool_free() cancels them
	 * once the workers are gone, so no caller ever runs a task itself. */
	if (when_ms > clock_mono_ms()) {
		rc = heap_push(p, t);
		if (!rc)
			t->lane->pending++;
	} else {
		lane_push(t->lane, t);
	}
	if (!rc)
		pthread_cond_broadcast(&p->work);
	pthread_mutex_unlock(&p->lock);
	if (rc)
		free(t);
	return rc;
}

void wpool_counts(struct wpool *p, unsigned *queued, unsigned *running, unsigned *delayed)
{
	pthread_mutex_lock(&p->lock);
	*queued = 0;
	for (size_t i = 0; i < p->nlanes; i++)
		*queued += p->lanes[i]->queued;
	*running = p->running;
	*delayed = (unsigned)p->nheap;
	pthread_mutex_unlock(&p->lock);
}
