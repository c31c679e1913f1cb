/*
 * once.h - run a set-up step once per connection, from whichever worker
 * needs it first, with the others waiting for it instead of repeating it:
 * the default security group and network of a cloud connection.
 *
 * Unlike pthread_once, the step makes network calls and may fail: a
 * failure leaves the step undone for the next caller to try again, and
 * waiters give up at their own deadline.  No lock is held while the step
 * runs.
 */
#ifndef BFS_DRV_ONCE_H
#define BFS_DRV_ONCE_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

struct once {
	pthread_mutex_t lock;	/* guards done, busy */
	pthread_cond_t cond;	/* CLOCK_MONOTONIC; signalled when busy clears */
	bool done;
	bool busy;
};

void once_init(struct once *o);
void once_release(struct once *o);
/*
 * Run fn(arg) unless it has succeeded before; if another thread is running
 * it, wait for that one (until deadline_ms, CLOCK_MONOTONIC, 0 = none) and
 * then return 0 if it succeeded or try again.  Returns fn's result, 0, or
 * -ETIMEDOUT.
 */
int once_run(struct once *o, int64_t deadline_ms, int (*fn)(void *arg), void *arg);
/* Forget that the step ran (after cleanup removed what it made). */
void once_reset(struct once *o);

#endif
