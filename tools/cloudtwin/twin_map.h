/*
 * twin_map.h - a string-keyed hash map of borrowed pointers.
 *
 * cloudtwin keeps tens of thousands of VMs, idempotency tokens and
 * operations per process; lookups by id must not be linear.  The map owns
 * copies of its keys, never its values: the caller frees values (usually
 * after twin_map_del or while walking with twin_map_next before
 * twin_map_release).  Open addressing with linear probing and tombstones;
 * it grows at 70% load.  Not thread-safe: the owner's lock guards it.
 */
#ifndef TWIN_MAP_H
#define TWIN_MAP_H

#include <stddef.h>

struct twin_map_slot;

struct twin_map {
	struct twin_map_slot *slots;
	size_t cap;	/* power of two, or 0 */
	size_t used;	/* live entries */
	size_t dead;	/* tombstones */
};

#define TWIN_MAP_INIT { 0 }

/* Insert or replace.  0 or -ENOMEM.  The previous value (if any) is
 * stored in *old when old is not NULL. */
int twin_map_put(struct twin_map *m, const char *key, void *val, void **old);
/* The value for key, or NULL. */
void *twin_map_get(const struct twin_map *m, const char *key);
/* Remove key; returns its value or NULL. */
void *twin_map_del(struct twin_map *m, const char *key);
size_t twin_map_count(const struct twin_map *m);
/* Iterate: start with *pos = 0; returns the next value (and its key in
 * *key when not NULL) or NULL at the end.  The map must not change while
 * iterating, except through twin_map_del of the entry just returned. */
void *twin_map_next(const struct twin_map *m, size_t *pos, const char **key);
/* Free the table and the keys (not the values). */
void twin_map_release(struct twin_map *m);

#endif
