/*
 * flight.h - single flight: when several threads need the same piece of
 * network work done (fetch a token, create a connection's default network),
 * one of them does it and the others wait for its result, each bounded by
 * its own deadline.
 *
 * The work runs with no lock held, so STYLE's rule holds: no lock across a
 * network call.  Waiters share the runner's result: its return value and
 * its struct drv_error.  flight_once() additionally remembers success, for
 * set-up done once per connection (flight_reset() forgets it, e.g. after
 * cleanup() deleted what the set-up made).
 *
 * Embedded in the caller's handle: flight_init() / flight_release().
 */
#ifndef BFS_DRV_FLIGHT_H
#define BFS_DRV_FLIGHT_H

#include <pthread.h>
#include <stdbool.h>

#include "drivers/driver.h"

/* The work: one attempt, finished by ctx->deadline_ms; 0 or -errno with err filled. */
typedef int (*flight_fn)(void *arg, const struct drv_ctx *ctx, struct drv_error *err);

struct flight {
	pthread_mutex_t lock;	/* guards the fields below */
	pthread_cond_t done;	/* on CLOCK_MONOTONIC; signalled when a run ends */
	bool running;
	bool ok;		/* flight_once: a run succeeded */
	unsigned long runs;	/* completed runs */
	int rc;			/* result of the last completed run */
	struct drv_error err;
};

void flight_init(struct flight *f);
void flight_release(struct flight *f);

/*
 * Run fn(arg), or when another thread is running it, wait for that run and
 * return its result (err filled from it).  -ETIMEDOUT when ctx's deadline
 * passes while waiting.  ctx may be NULL (no deadline).
 */
int flight_run(struct flight *f, const struct drv_ctx *ctx, flight_fn fn, void *arg,
	       struct drv_error *err);

/* flight_run() until one run succeeds; afterwards 0 at once. */
int flight_once(struct flight *f, const struct drv_ctx *ctx, flight_fn fn, void *arg,
		struct drv_error *err);

/* Forget a success, so that the next flight_once() runs again. */
void flight_reset(struct flight *f);

#endif
