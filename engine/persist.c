/*
 * persist.c - batched write-behind of records; see persist.h.
 */
#include "engine/persist.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct persist {
	pthread_mutex_t lock;	/* guards the fields below */
	pthread_cond_t wake;	/* the writer: work or stop */
	pthread_cond_t done;	/* waiters: a batch was written */
	char **keys;		/* dirty keys, owned, may repeat */
	size_t n, cap;
	uint64_t marked;	/* generation of the last mark */
	uint64_t written;	/* every mark up to this one is stored */
	int error;		/* the last batch's result */
	uint64_t records, batches;
	bool stopping;
	pthread_t thread;
	struct store *store;
	pthread_mutex_t *model_lock;
	persist_ser_fn ser;
	void *arg;
};

static int cmp_key(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Serialise keys (sorted, unique) under the model lock into ops. */
static size_t build_ops(struct persist *p, char **keys, size_t n, struct store_op *ops,
			struct sbuf *vals)
{
	size_t m = 0;

	pthread_mutex_lock(p->model_lock);
	for (size_t i = 0; i < n; i++) {
		if (i && strcmp(keys[i], keys[i - 1]) == 0)
			continue;
		vals[m] = (struct sbuf)SBUF_INIT;
		ops[m].key = keys[i];
		if (p->ser(p->arg, keys[i], &vals[m]) == 0) {
			ops[m].val = sbuf_str(&vals[m]);
			ops[m].len = vals[m].len;
		} else {
			ops[m].val = NULL;
			ops[m].len = 0;
		}
		m++;
	}
	pthread_mutex_unlock(p->model_lock);
	return m;
}

static int write_batch(struct persist *p, char **keys, size_t n)
{
	struct store_op *ops = calloc(n, sizeof(*ops));
	struct sbuf *vals = calloc(n, sizeof(*vals));
	struct sbuf err = SBUF_INIT;
	size_t m = 0;
	int rc = -ENOMEM;

	if (ops && vals) {
		qsort(keys, n, sizeof(*keys), cmp_key);
		m = build_ops(p, keys, n, ops, vals);
		rc = store_write(p->store, ops, m, &err);
		if (rc)
			fprintf(stderr, "baristafs: %s\n", sbuf_str(&err));
	}
	for (size_t i = 0; vals && i < m; i++)
		sbuf_release(&vals[i]);
	sbuf_release(&err);
	free(vals);
	free(ops);
	pthread_mutex_lock(&p->lock);
	p->records += m;
	p->batches++;
	pthread_mutex_unlock(&p->lock);
	return rc;
}

static void *writer(void *arg)
{
	struct persist *p = arg;

	pthread_mutex_lock(&p->lock);
	for (;;) {
		char **keys;
		size_t n;
		uint64_t gen;
		int rc;

		while (!p->n && !p->stopping)
			pthread_cond_wait(&p->wake, &p->lock);
		if (!p->n)
			break;
		keys = p->keys;
		n = p->n;
		gen = p->marked;
		p->keys = NULL;
		p->n = p->cap = 0;
		pthread_mutex_unlock(&p->lock);
		rc = write_batch(p, keys, n);
		for (size_t i = 0; i < n; i++)
			free(keys[i]);
		free(keys);
		pthread_mutex_lock(&p->lock);
		p->written = gen;
		p->error = rc;
		pthread_cond_broadcast(&p->done);
	}
	pthread_mutex_unlock(&p->lock);
	return NULL;
}

struct persist *persist_new(struct store *s, pthread_mutex_t *model_lock, persist_ser_fn fn,
			    void *arg)
{
	struct persist *p = calloc(1, sizeof(*p));

	if (!p)
		return NULL;
	p->store = s;
	p->model_lock = model_lock;
	p->ser = fn;
	p->arg = arg;
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->wake, NULL);
	pthread_cond_init(&p->done, NULL);
	if (pthread_create(&p->thread, NULL, writer, p) != 0) {
		free(p);
		return NULL;
	}
	return p;
}

void persist_free(struct persist *p)
{
	if (!p)
		return;
	pthread_mutex_lock(&p->lock);
	p->stopping = true;
	pthread_cond_signal(&p->wake);
	pthread_mutex_unlock(&p->lock);
	pthread_join(p->thread, NULL);
	pthread_cond_destroy(&p->wake);
	pthread_cond_destroy(&p->done);
	pthread_mutex_destroy(&p->lock);
	free(p);
}

uint64_t persist_mark(struct persist *p, const char *key)
{
	char *k = strdup(key);
	uint64_t gen;

	pthread_mutex_lock(&p->lock);
	if (k && p->n == p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 64;
		char **v = realloc(p->keys, cap * sizeof(*v));

		if (v) {
			p->keys = v;
			p->cap = cap;
		}
	}
	if (k && p->n < p->cap)
		p->keys[p->n++] = k;
	else
		free(k);
	gen = ++p->marked;
	pthread_cond_signal(&p->wake);
	pthread_mutex_unlock(&p->lock);
	return gen;
}

int persist_wait(struct persist *p, uint64_t gen)
{
	int rc;

	pthread_mutex_lock(&p->lock);
	while (p->written < gen && !(p->stopping && !p->n))
		pthread_cond_wait(&p->done, &p->lock);
	rc = p->written >= gen ? p->error : -ESHUTDOWN;
	pthread_mutex_unlock(&p->lock);
	return rc;
}

int persist_flush(struct persist *p)
{
	uint64_t gen;

	pthread_mutex_lock(&p->lock);
	gen = p->marked;
	pthread_mutex_unlock(&p->lock);
	return persist_wait(p, gen);
}

void persist_counts(struct persist *p, uint64_t *records, uint64_t *batches)
{
	pthread_mutex_lock(&p->lock);
	*records = p->records;
	*batches = p->batches;
	pthread_mutex_unlock(&p->lock);
}
