/*
 * flight.c - single flight with deadlines; see flight.h.
 *
 * A waiter remembers how many runs had completed when it started waiting
 * and waits until that count moves: then the run it waited for is over and
 * f->rc / f->err are that run's result (read under the lock, before any
 * later run can overwrite them, because a later run needs the lock to
 * finish).
 */
#include "drivers/common/flight.h"

#include <errno.h>
#include <time.h>

void flight_init(struct flight *f)
{
	pthread_condattr_t ca;

	*f = (struct flight){ .running = false };
	pthread_mutex_init(&f->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&f->done, &ca);
	pthread_condattr_destroy(&ca);
}

void flight_release(struct flight *f)
{
	pthread_mutex_destroy(&f->lock);
	pthread_cond_destroy(&f->done);
}

/* Wait for the running flight to land.  Called under lock. */
static int flight_wait(struct flight *f, const struct drv_ctx *ctx, struct drv_error *err)
{
	unsigned long seen = f->runs;
	int64_t deadline = ctx ? ctx->deadline_ms : 0;

	while (f->runs == seen) {
		struct timespec ts = { deadline / 1000, (deadline % 1000) * 1000000L };
		int rc = deadline ? pthread_cond_timedwait(&f->done, &f->lock, &ts)
				  : pthread_cond_wait(&f->done, &f->lock);

		if (rc == ETIMEDOUT && f->runs == seen) {
			drv_fail(err, ETIMEDOUT, "Timeout", "deadline passed waiting for another call");
			if (err)
				err->retryable = true;
			return -ETIMEDOUT;
		}
	}
	if (f->rc && err)
		*err = f->err;
	return f->rc;
}

/* Run fn with the lock released; publish its result.  Called under lock. */
static int flight_fly(struct flight *f, const struct drv_ctx *ctx, flight_fn fn, void *arg,
		      struct drv_error *err)
{
	struct drv_error mine = { 0 };
	int rc;

	f->running = true;
	pthread_mutex_unlock(&f->lock);
	rc = fn(arg, ctx, &mine);
	pthread_mutex_lock(&f->lock);
	f->running = false;
	f->runs++;
	f->rc = rc;
	f->err = mine;
	pthread_cond_broadcast(&f->done);
	if (rc && err)
		*err = mine;
	return rc;
}

int flight_run(struct flight *f, const struct drv_ctx *ctx, flight_fn fn, void *arg,
	       struct drv_error *err)
{
	int rc;

	pthread_mutex_lock(&f->lock);
	if (f->running)
		rc = flight_wait(f, ctx, err);
	else
		rc = flight_fly(f, ctx, fn, arg, err);
	pthread_mutex_unlock(&f->lock);
	return rc;
}

int flight_once(struct flight *f, const struct drv_ctx *ctx, flight_fn fn, void *arg,
		struct drv_error *err)
{
	int rc = 0;

	pthread_mutex_lock(&f->lock);
	while (!f->ok && rc == 0) {
		if (f->running) {
			rc = flight_wait(f, ctx, err);
			continue;	/* the run we waited for may have set ok */
		}
		rc = flight_fly(f, ctx, fn, arg, err);
		f->ok = rc == 0;
	}
	pthread_mutex_unlock(&f->lock);
	return rc;
}

void flight_reset(struct flight *f)
{
	pthread_mutex_lock(&f->lock);
	f->ok = false;
	pthread_mutex_unlock(&f->lock);
}
