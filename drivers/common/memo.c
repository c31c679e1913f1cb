/*
 * memo.c - fixed-size name -> value memo; see memo.h.
 */
#include "drivers/common/memo.h"

#include <stdio.h>
#include <string.h>

void memo_init(struct memo *m)
{
	memset(m, 0, sizeof(*m));
	pthread_mutex_init(&m->lock, NULL);
}

void memo_release(struct memo *m)
{
	pthread_mutex_destroy(&m->lock);
}

/* The slot of key or -1.  Called with m->lock held. */
static int memo_find(const struct memo *m, const char *key)
{
	for (unsigned i = 0; i < m->n; i++) {
		if (strcmp(m->slot[i].key, key) == 0)
			return (int)i;
	}
	return -1;
}

bool memo_get(struct memo *m, const char *key, char *value, size_t len)
{
	bool hit = false;
	int i;

	pthread_mutex_lock(&m->lock);
	i = memo_find(m, key);
	if (i >= 0 && strlen(m->slot[i].value) < len) {
		memcpy(value, m->slot[i].value, strlen(m->slot[i].value) + 1);
		hit = true;
	}
	pthread_mutex_unlock(&m->lock);
	return hit;
}

void memo_put(struct memo *m, const char *key, const char *value)
{
	int i;

	if (strlen(key) >= MEMO_KEY_MAX || strlen(value) >= MEMO_VALUE_MAX)
		return;
	pthread_mutex_lock(&m->lock);
	i = memo_find(m, key);
	if (i < 0 && m->n < MEMO_SLOTS)
		i = (int)m->n++;
	if (i < 0) {
		i = (int)m->next;
		m->next = (m->next + 1) % MEMO_SLOTS;
	}
	snprintf(m->slot[i].key, MEMO_KEY_MAX, "%s", key);
	snprintf(m->slot[i].value, MEMO_VALUE_MAX, "%s", value);
	pthread_mutex_unlock(&m->lock);
}

void memo_clear(struct memo *m)
{
	pthread_mutex_lock(&m->lock);
	m->n = m->next = 0;
	pthread_mutex_unlock(&m->lock);
}
