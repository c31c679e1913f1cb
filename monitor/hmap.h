/*
 * hmap.h - a small hash map from byte-string keys to pointers.
 *
 * Chained buckets, a power-of-two table that doubles at load 1, keys
 * copied in, values borrowed (the map never frees them).  Not thread-safe:
 * the owner locks.  Keys here are VM ids and SHA-256 digests of tokens,
 * neither chosen by a remote peer, so a plain FNV-1a hash is enough.
 */
#ifndef BFS_HMAP_H
#define BFS_HMAP_H

#include <stddef.h>

struct hmap;

/* NULL when out of memory.  hmap_free(NULL) is a no-op. */
struct hmap *hmap_new(void);
void hmap_free(struct hmap *m);

/* 0, -EEXIST (the key is there; nothing changed) or -ENOMEM. */
int hmap_put(struct hmap *m, const void *key, size_t klen, void *val);
/* The value, or NULL. */
void *hmap_get(const struct hmap *m, const void *key, size_t klen);
/* Remove the key; returns its value, or NULL when absent. */
void *hmap_del(struct hmap *m, const void *key, size_t klen);
size_t hmap_count(const struct hmap *m);
/* Call fn for every entry in no particular order; fn must not change m. */
void hmap_each(const struct hmap *m, void (*fn)(void *ctx, void *val), void *ctx);

#endif
