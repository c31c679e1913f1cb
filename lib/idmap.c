/*
 * idmap.c - id → pointer hash map; see idmap.h.
 */
#include "lib/idmap.h"

#include <errno.h>
#include <stdlib.h>

static size_t slot_of(uint64_t id, size_t cap)
{
	id ^= id >> 33;
	id *= 0xff51afd7ed558ccdull;
	id ^= id >> 33;
	return (size_t)id & (cap - 1);
}

static int idmap_resize(struct idmap *m, size_t cap)
{
	struct idmap_slot *old = m->slots;
	size_t oldcap = m->cap, i;

	m->slots = calloc(cap, sizeof(*m->slots));
	if (!m->slots) {
		m->slots = old;
		return -ENOMEM;
	}
	m->cap = cap;
	m->n = 0;
	for (i = 0; i < oldcap; i++) {
		if (old[i].id)
			idmap_put(m, old[i].id, old[i].val);
	}
	free(old);
	return 0;
}

int idmap_put(struct idmap *m, uint64_t id, void *val)
{
	size_t i;

	if ((m->n + 1) * 4 > m->cap * 3) {
		int rc = idmap_resize(m, m->cap ? m->cap * 2 : 64);

		if (rc)
			return rc;
	}
	for (i = slot_of(id, m->cap); m->slots[i].id; i = (i + 1) & (m->cap - 1)) {
		if (m->slots[i].id == id) {
			m->slots[i].val = val;
			return 0;
		}
	}
	m->slots[i].id = id;
	m->slots[i].val = val;
	m->n++;
	return 0;
}

void *idmap_get(const struct idmap *m, uint64_t id)
{
	size_t i;

	if (!m->cap || !id)
		return NULL;
	for (i = slot_of(id, m->cap); m->slots[i].id; i = (i + 1) & (m->cap - 1)) {
		if (m->slots[i].id == id)
			return m->slots[i].val;
	}
	return NULL;
}

void *idmap_del(struct idmap *m, uint64_t id)
{
	size_t i, j, home;
	void *val;

	if (!m->cap || !id)
		return NULL;
	for (i = slot_of(id, m->cap); m->slots[i].id != id; i = (i + 1) & (m->cap - 1)) {
		if (!m->slots[i].id)
			return NULL;
	}
	val = m->slots[i].val;
	/* Backward shift: move later members of the probe run into the hole. */
	for (j = (i + 1) & (m->cap - 1); m->slots[j].id; j = (j + 1) & (m->cap - 1)) {
		home = slot_of(m->slots[j].id, m->cap);
		if (((j - home) & (m->cap - 1)) >= ((j - i) & (m->cap - 1))) {
			m->slots[i] = m->slots[j];
			i = j;
		}
	}
	m->slots[i].id = 0;
	m->slots[i].val = NULL;
	m->n--;
	return val;
}

void idmap_release(struct idmap *m)
{
	free(m->slots);
	m->slots = NULL;
	m->cap = m->n = 0;
}
