/*
 * notify.h - delivers the engine's change notices to the front.
 *
 * The model posts a change (under its lock, cheaply); a dispatcher thread
 * merges the changes that piled up (one entry per object, flags OR-ed;
 * removals kept in order) and calls the watcher with no engine lock held,
 * so the front may call back into the engine (the FUSE front invalidates
 * kernel caches and answers waiting reads from there).
 */
#ifndef BFS_NOTIFY_H
#define BFS_NOTIFY_H

#include "engine/engine.h"

struct notify;

struct notify *notify_new(void);
void notify_free(struct notify *n);
void notify_set(struct notify *n, eng_watch_cb cb, void *arg);
/* Queue a change; any lock may be held (the notify lock is a leaf). */
void notify_post(struct notify *n, const struct eng_change *c);

#endif
