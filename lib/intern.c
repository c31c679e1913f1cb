/*
 * intern.c - shared immutable strings; see intern.h.
 *
 * An entry is a header followed by the string, so the string's address
 * finds its entry without a lookup; entries whose hashes collide are
 * chained.
 */
#include "lib/intern.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct entry {
	struct entry *next;	/* same hash */
	uint64_t hash;
	unsigned refs;
	char str[];
};

static uint64_t hash_str(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ull;

	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 0x100000001b3ull;
	}
	return h | 1; /* idmap keys are nonzero */
}

const char *intern_get(struct intern *t, const char *s)
{
	uint64_t h;
	struct entry *head, *e;
	size_t n;

	if (!s)
		return NULL;
	h = hash_str(s);
	head = idmap_get(&t->by_hash, h);
	for (e = head; e; e = e->next) {
		if (strcmp(e->str, s) == 0) {
			e->refs++;
			return e->str;
		}
	}
	n = strlen(s);
	e = malloc(sizeof(*e) + n + 1);
	if (!e)
		return NULL;
	e->next = head;
	e->hash = h;
	e->refs = 1;
	memcpy(e->str, s, n + 1);
	if (idmap_put(&t->by_hash, h, e) != 0) {
		free(e);
		return NULL;
	}
	return e->str;
}

void intern_put(struct intern *t, const char *s)
{
	struct entry *e;

	if (!s)
		return;
	e = (struct entry *)(void *)(s - offsetof(struct entry, str));
	if (--e->refs)
		return;
	for (struct entry *head = idmap_get(&t->by_hash, e->hash), *prev = NULL; head;
	     prev = head, head = head->next) {
		if (head != e)
			continue;
		if (prev)
			prev->next = e->next;
		else if (e->next)
			idmap_put(&t->by_hash, e->hash, e->next);
		else
			idmap_del(&t->by_hash, e->hash);
		break;
	}
	free(e);
}

void intern_release(struct intern *t)
{
	idmap_release(&t->by_hash);
}
