/*
 * wpool.h - the engine's operation workers.
 *
 * A fixed set of threads runs tasks from lanes.  Each cloud has a lane
 * whose `limit` bounds how many of its tasks run at once; workers take
 * lanes round-robin, so a slow or throttled cloud occupies at most its
 * limit and never starves the others (DESIGN.md section 5: all clouds at
 * once, bounded per cloud).  A task can be delayed to a monotonic time
 * (polling, backoff).  Thread-safe; the pool's lock is a leaf and no task
 * runs under it.
 */
#ifndef BFS_WPOOL_H
#define BFS_WPOOL_H

#include <stdbool.h>
#include <stdint.h>

struct wpool;
struct wlane;

/* A task; `arg` is the task's own.  `cancelled` is true when the pool shuts
 * down before the task could run: free arg and return. */
typedef void (*wpool_fn)(void *arg, bool cancelled);

struct wpool *wpool_new(int threads);
/* Stop: running tasks finish, queued and delayed ones are called cancelled. */
void wpool_free(struct wpool *p);
/* A lane running at most limit tasks at once; NULL on ENOMEM. */
struct wlane *wpool_lane_new(struct wpool *p, int limit);
void wpool_lane_set_limit(struct wpool *p, struct wlane *l, int limit);
/* Retire a lane: its queued tasks still run; it is freed once idle. */
void wpool_lane_retire(struct wpool *p, struct wlane *l);
/* Queue fn(arg) on lane (NULL: the general lane, unbounded) to run at
 * when_ms (CLOCK_MONOTONIC; 0 = now).  0 or -ENOMEM (arg stays the
 * caller's).  During shutdown the task is queued and later cancelled. */
int wpool_submit(struct wpool *p, struct wlane *l, int64_t when_ms, wpool_fn fn, void *arg);
/* Tasks queued or running (for system/stats). */
void wpool_counts(struct wpool *p, unsigned *queued, unsigned *running, unsigned *delayed);

#endif
