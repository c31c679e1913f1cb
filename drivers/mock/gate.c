/*
 * gate.c - what happens to every mock API call before and after the cloud
 * acts on it: network latency, the caller's deadline, throttling and
 * injected server errors.
 *
 * A call is modelled as a request that travels for half of latency_ms, is
 * handled, and an answer that travels for the other half.  A deadline that
 * falls in the first half means the cloud never saw the request; one that
 * falls in the second half means the cloud acted but the answer was lost,
 * which is exactly the case client tokens exist for.  Either way the caller
 * waits until its deadline, not longer, and gets -ETIMEDOUT.
 *
 * Throttling is a token bucket per connection (`rate` per second, `burst`
 * deep), checked when the request arrives; a throttled request does not use
 * a token and is answered with the time until one is available.  The lock
 * guards the bucket and the random state only; sleeps happen outside it.
 */
#include "drivers/mock/mock_int.h"
#include "lib/clock.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

int mock_gate_init(struct mock_gate *g, const struct mock_settings *s)
{
	memset(g, 0, sizeof(*g));
	g->tokens = (double)s->burst;
	g->refill_ms = clock_mono_ms();
	g->rng = mock_mix64(s->seed ^ 0x67617465ull) | 1;	/* xorshift needs nonzero */
	return -pthread_mutex_init(&g->lock, NULL);
}

void mock_gate_release(struct mock_gate *g)
{
	pthread_mutex_destroy(&g->lock);
}

static double next_unit(struct mock_gate *g)
{
	g->rng ^= g->rng << 13;
	g->rng ^= g->rng >> 7;
	g->rng ^= g->rng << 17;
	return (double)(g->rng >> 11) * 0x1p-53;
}

static int fail_call(const struct mock_call *call, struct drv_error *err, int errnum,
		     int http, const char *code, const char *msg)
{
	if (!err)
		return -errnum;
	memset(err, 0, sizeof(*err));
	err->http_status = http;
	err->retryable = true;
	snprintf(err->request_id, sizeof(err->request_id), "%s", call->request_id);
	return drv_fail(err, errnum, code, msg);
}

static int timed_out(const struct mock_settings *s, const struct mock_call *call,
		     struct drv_error *err)
{
	char msg[128];

	snprintf(msg, sizeof(msg), "mock: no answer before the deadline (latency_ms %" PRId64 ")",
		 s->latency_ms);
	return fail_call(call, err, ETIMEDOUT, 0, "RequestTimeout", msg);
}

/* Sleep until `until` (monotonic ms) or the deadline; false when the deadline cut it. */
static bool wait_until(const struct mock_call *call, int64_t until)
{
	bool cut = call->deadline_ms > 0 && until > call->deadline_ms;
	int64_t now = clock_mono_ms();

	if (cut)
		until = call->deadline_ms;
	if (until > now)
		clock_sleep_ms(until - now);
	return !cut;
}

/* Take a token, or answer -EAGAIN with the wait until one is there.  Locked. */
static int throttle(struct mock_gate *g, const struct mock_settings *s,
		    const struct mock_call *call, struct drv_error *err)
{
	int64_t now = clock_mono_ms();
	char msg[128];
	int rc;

	if (s->rate <= 0)
		return 0;
	g->tokens += (double)(now - g->refill_ms) * s->rate / 1000.0;
	if (g->tokens > (double)s->burst)
		g->tokens = (double)s->burst;
	g->refill_ms = now;
	if (g->tokens >= 1.0) {
		g->tokens -= 1.0;
		return 0;
	}
	snprintf(msg, sizeof(msg), "Rate exceeded: more than %g requests per second (burst %" PRId64 ")",
		 s->rate, s->burst);
	rc = fail_call(call, err, EAGAIN, 429, "Throttling", msg);
	if (err)
		err->retry_after_ms = (int)ceil((1.0 - g->tokens) * 1000.0 / s->rate);
	return rc;
}

int mock_gate_enter(struct mock_gate *g, const struct mock_settings *s,
		    const struct drv_ctx *ctx, struct mock_call *call, struct drv_error *err)
{
	uint64_t n;
	int rc = 0;

	call->start_ms = clock_mono_ms();
	call->deadline_ms = ctx && ctx->deadline_ms > 0 ? ctx->deadline_ms : 0;
	pthread_mutex_lock(&g->lock);
	n = ++g->requests;
	pthread_mutex_unlock(&g->lock);
	snprintf(call->request_id, sizeof(call->request_id), "req-%016" PRIx64,
		 mock_mix64(n ^ s->seed));
	if (call->deadline_ms && call->start_ms >= call->deadline_ms)
		return timed_out(s, call, err);
	if (!wait_until(call, call->start_ms + s->latency_ms / 2))
		return timed_out(s, call, err);
	pthread_mutex_lock(&g->lock);
	rc = throttle(g, s, call, err);
	if (!rc && s->error_rate > 0 && next_unit(g) < s->error_rate)
		rc = fail_call(call, err, EIO, 500, "InternalError",
			       "An internal error has occurred");
	pthread_mutex_unlock(&g->lock);
	return rc;
}

int mock_gate_leave(const struct mock_settings *s, const struct mock_call *call, int rc,
		    struct drv_error *err)
{
	if (!wait_until(call, call->start_ms + s->latency_ms))
		return timed_out(s, call, err);
	if (call->deadline_ms && clock_mono_ms() > call->deadline_ms)
		return timed_out(s, call, err);
	if (rc && err)
		snprintf(err->request_id, sizeof(err->request_id), "%s", call->request_id);
	return rc;
}
