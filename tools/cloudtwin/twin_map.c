/*
 * twin_map.c - string-keyed open-addressing hash map; see twin_map.h.
 */
#include "tools/cloudtwin/twin_map.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define TOMBSTONE ((char *)&twin_map_tombstone)

static const char twin_map_tombstone;

struct twin_map_slot {
	char *key;	/* NULL empty, TOMBSTONE deleted, else owned */
	void *val;
};

/* FNV-1a, 64 bits: keys are short ids, not attacker-chosen in bulk. */
static uint64_t map_hash(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ull;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 0x100000001b3ull;
	return h;
}

static int slot_live(const struct twin_map_slot *s)
{
	return s->key && s->key != TOMBSTONE;
}

/* The slot holding key, or NULL. */
static struct twin_map_slot *map_find(const struct twin_map *m, const char *key)
{
	size_t mask, i;

	if (!m->cap)
		return NULL;
	mask = m->cap - 1;
	for (i = map_hash(key) & mask;; i = (i + 1) & mask) {
		struct twin_map_slot *s = &m->slots[i];

		if (!s->key)
			return NULL;
		if (s->key != TOMBSTONE && strcmp(s->key, key) == 0)
			return s;
	}
}

/* Place an owned key into a table known to have room and not to hold it. */
static void map_place(struct twin_map_slot *slots, size_t cap, char *key, void *val)
{
	size_t mask = cap - 1, i;

	for (i = map_hash(key) & mask; slot_live(&slots[i]); i = (i + 1) & mask)
		;
	slots[i].key = key;
	slots[i].val = val;
}

static int map_resize(struct twin_map *m, size_t cap)
{
	struct twin_map_slot *slots = calloc(cap, sizeof(*slots));
	size_t i;

	if (!slots)
		return -ENOMEM;
	for (i = 0; i < m->cap; i++) {
		if (slot_live(&m->slots[i]))
			map_place(slots, cap, m->slots[i].key, m->slots[i].val);
	}
	free(m->slots);
	m->slots = slots;
	m->cap = cap;
	m->dead = 0;
	return 0;
}

int twin_map_put(struct twin_map *m, const char *key, void *val, void **old)
{
	struct twin_map_slot *s = map_find(m, key);
	char *copy;
	int rc;

	if (old)
		*old = s ? s->val : NULL;
	if (s) {
		s->val = val;
		return 0;
	}
	if ((m->used + m->dead + 1) * 10 >= m->cap * 7) {
		rc = map_resize(m, m->cap ? (m->used * 2 >= m->cap ? m->cap * 2 : m->cap) : 16);
		if (rc)
			return rc;
	}
	copy = strdup(key);
	if (!copy)
		return -ENOMEM;
	map_place(m->slots, m->cap, copy, val);
	m->used++;
	return 0;
}

void *twin_map_get(const struct twin_map *m, const char *key)
{
	struct twin_map_slot *s = map_find(m, key);

	return s ? s->val : NULL;
}

void *twin_map_del(struct twin_map *m, const char *key)
{
	struct twin_map_slot *s = map_find(m, key);
	void *val;

	if (!s)
		return NULL;
	val = s->val;
	free(s->key);
	s->key = TOMBSTONE;
	s->val = NULL;
	m->used--;
	m->dead++;
	return val;
}

size_t twin_map_count(const struct twin_map *m)
{
	return m->used;
}

void *twin_map_next(const struct twin_map *m, size_t *pos, const char **key)
{
	for (; *pos < m->cap; (*pos)++) {
		const struct twin_map_slot *s = &m->slots[*pos];

		if (!slot_live(s))
			continue;
		(*pos)++;
		if (key)
			*key = s->key;
		return s->val;
	}
	return NULL;
}

void twin_map_release(struct twin_map *m)
{
	for (size_t i = 0; i < m->cap; i++) {
		if (slot_live(&m->slots[i]))
			free(m->slots[i].key);
	}
	free(m->slots);
	memset(m, 0, sizeof(*m));
}
