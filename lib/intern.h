/*
 * intern.h - shared immutable strings.
 *
 * Thousands of VMs name the same few clouds, specs and images: an intern
 * table keeps one copy of each, reference counted.  Not thread-safe: the
 * owner's lock guards the table (the engine's model lock).
 */
#ifndef BFS_INTERN_H
#define BFS_INTERN_H

#include "lib/idmap.h"

struct intern {
	struct idmap by_hash;	/* hash → chain of entries with that hash */
};

/* The shared copy of s with one more reference, or NULL (s NULL, ENOMEM). */
const char *intern_get(struct intern *t, const char *s);
/* Drop one reference to a string intern_get returned (NULL is a no-op). */
void intern_put(struct intern *t, const char *s);
/* Free the table; every string must have been put. */
void intern_release(struct intern *t);

#endif
