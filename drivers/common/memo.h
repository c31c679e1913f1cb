/*
 * memo.h - a small thread-safe memo of name -> value strings, for what a
 * driver looks up once and reuses: image ids by name, subnets by zone, key
 * pairs known to exist.  Fixed capacity; when full the oldest entry is
 * forgotten (a driver can always look it up again).  Values longer than
 * MEMO_VALUE_MAX are not stored.
 */
#ifndef BFS_DRV_MEMO_H
#define BFS_DRV_MEMO_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

#define MEMO_SLOTS 32
#define MEMO_KEY_MAX 160
#define MEMO_VALUE_MAX 160

struct memo {
	pthread_mutex_t lock;	/* guards everything below */
	struct {
		char key[MEMO_KEY_MAX];
		char value[MEMO_VALUE_MAX];
	} slot[MEMO_SLOTS];
	unsigned n;		/* slots in use */
	unsigned next;		/* the slot replaced when full */
};

void memo_init(struct memo *m);
void memo_release(struct memo *m);
/* Copy key's value into value (len bytes); false when unknown or it does not fit. */
bool memo_get(struct memo *m, const char *key, char *value, size_t len);
/* Remember key -> value (replacing an older value of key). */
void memo_put(struct memo *m, const char *key, const char *value);
/* Forget everything. */
void memo_clear(struct memo *m);

#endif
