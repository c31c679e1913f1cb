/*
 * idmap.h - a hash map from nonzero 64-bit ids to pointers.
 *
 * Open addressing with linear probing and backward-shift deletion, so a
 * lookup never walks tombstones.  The map does not own the values.  Not
 * thread-safe: the owner's lock guards it.
 */
#ifndef BFS_IDMAP_H
#define BFS_IDMAP_H

#include <stddef.h>
#include <stdint.h>

struct idmap_slot {
	uint64_t id;	/* 0 = empty */
	void *val;
};

struct idmap {
	struct idmap_slot *slots;
	size_t cap;	/* a power of two, or 0 */
	size_t n;
};

/* 0 or -ENOMEM.  Replaces the value of an existing id. */
int idmap_put(struct idmap *m, uint64_t id, void *val);
/* The value, or NULL. */
void *idmap_get(const struct idmap *m, uint64_t id);
/* Removes id; returns its value or NULL. */
void *idmap_del(struct idmap *m, uint64_t id);
void idmap_release(struct idmap *m);

#endif
