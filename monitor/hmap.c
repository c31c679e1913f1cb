/*
 * hmap.c - hash map from byte strings to pointers; see hmap.h.
 */
#include "monitor/hmap.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct entry {
	struct entry *next;
	uint64_t hash;
	void *val;
	size_t klen;
	unsigned char key[];
};

struct hmap {
	struct entry **buckets;
	size_t nbuckets;	/* a power of two */
	size_t count;
};

static uint64_t hash_bytes(const void *p, size_t n)
{
	const unsigned char *b = p;
	uint64_t h = 0xcbf29ce484222325ull;

	for (size_t i = 0; i < n; i++) {
		h ^= b[i];
		h *= 0x100000001b3ull;
	}
	return h ^ (h >> 29);
}

struct hmap *hmap_new(void)
{
	struct hmap *m = calloc(1, sizeof(*m));

	if (!m)
		return NULL;
	m->nbuckets = 64;
	m->buckets = calloc(m->nbuckets, sizeof(*m->buckets));
	if (!m->buckets) {
		free(m);
		return NULL;
	}
	return m;
}

void hmap_free(struct hmap *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < m->nbuckets; i++) {
		struct entry *e = m->buckets[i], *next;

		for (; e; e = next) {
			next = e->next;
			free(e);
		}
	}
	free(m->buckets);
	free(m);
}

static struct entry **find(const struct hmap *m, const void *key, size_t klen, uint64_t h)
{
	struct entry **pp = &m->buckets[h & (m->nbuckets - 1)];

	for (; *pp; pp = &(*pp)->next) {
		if ((*pp)->hash == h && (*pp)->klen == klen && memcmp((*pp)->key, key, klen) == 0)
			break;
	}
	return pp;
}

static void grow(struct hmap *m)
{
	size_t n = m->nbuckets * 2;
	struct entry **b = calloc(n, sizeof(*b));

	if (!b)
		return;	/* keep the longer chains; still correct */
	for (size_t i = 0; i < m->nbuckets; i++) {
		struct entry *e = m->buckets[i], *next;

		for (; e; e = next) {
			next = e->next;
			e->next = b[e->hash & (n - 1)];
			b[e->hash & (n - 1)] = e;
		}
	}
	free(m->buckets);
	m->buckets = b;
	m->nbuckets = n;
}

int hmap_put(struct hmap *m, const void *key, size_t klen, void *val)
{
	uint64_t h = hash_bytes(key, klen);
	struct entry **pp = find(m, key, klen, h), *e;

	if (*pp)
		return -EEXIST;
	e = malloc(sizeof(*e) + klen);
	if (!e)
		return -ENOMEM;
	e->hash = h;
	e->val = val;
	e->klen = klen;
	memcpy(e->key, key, klen);
	e->next = NULL;
	*pp = e;
	if (++m->count > m->nbuckets)
		grow(m);
	return 0;
}

void *hmap_get(const struct hmap *m, const void *key, size_t klen)
{
	struct entry *e = *find(m, key, klen, hash_bytes(key, klen));

	return e ? e->val : NULL;
}

void *hmap_del(struct hmap *m, const void *key, size_t klen)
{
	struct entry **pp = find(m, key, klen, hash_bytes(key, klen)), *e = *pp;
	void *val;

	if (!e)
		return NULL;
	*pp = e->next;
	val = e->val;
	free(e);
	m->count--;
	return val;
}

size_t hmap_count(const struct hmap *m)
{
	return m->count;
}

void hmap_each(const struct hmap *m, void (*fn)(void *ctx, void *val), void *ctx)
{
	for (size_t i = 0; i < m->nbuckets; i++) {
		for (struct entry *e = m->buckets[i]; e; e = e->next)
			fn(ctx, e->val);
	}
}
