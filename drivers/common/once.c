/*
 * once.c - a retryable, deadline-aware run-once; see once.h.
 */
#include "drivers/common/once.h"

#include <errno.h>
#include <time.h>

void once_init(struct once *o)
{
	pthread_condattr_t attr;

	pthread_mutex_init(&o->lock, NULL);
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&o->cond, &attr);
	pthread_condattr_destroy(&attr);
	o->done = o->busy = false;
}

void once_release(struct once *o)
{
	pthread_cond_destroy(&o->cond);
	pthread_mutex_destroy(&o->lock);
}

/* Wait while another thread runs the step.  Called with o->lock held. */
static int once_wait(struct once *o, int64_t deadline_ms)
{
	struct timespec ts = { (time_t)(deadline_ms / 1000), (long)(deadline_ms % 1000) * 1000000L };

	while (o->busy && !o->done) {
		if (!deadline_ms)
			pthread_cond_wait(&o->cond, &o->lock);
		else if (pthread_cond_timedwait(&o->cond, &o->lock, &ts) == ETIMEDOUT)
			return -ETIMEDOUT;
	}
	return 0;
}

int once_run(struct once *o, int64_t deadline_ms, int (*fn)(void *arg), void *arg)
{
	int rc;

	pthread_mutex_lock(&o->lock);
	rc = once_wait(o, deadline_ms);
	if (rc || o->done) {
		pthread_mutex_unlock(&o->lock);
		return rc;
	}
	o->busy = true;
	pthread_mutex_unlock(&o->lock);
	rc = fn(arg);
	pthread_mutex_lock(&o->lock);
	o->done = rc == 0;
	o->busy = false;
	pthread_cond_broadcast(&o->cond);
	pthread_mutex_unlock(&o->lock);
	return rc;
}

void once_reset(struct once *o)
{
	pthread_mutex_lock(&o->lock);
	o->done = false;
	pthread_mutex_unlock(&o->lock);
}
