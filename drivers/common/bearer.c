/*
 * bearer.c - cached access tokens with single-flight refresh; see bearer.h.
 *
 * `lock` guards the cached token and the refresh state.  A caller that
 * finds no usable token either starts a fetch (`fetching`) and runs it
 * with the lock released, or, when one is running, waits on `done` until
 * `fetches` moves past the count it saw, then takes that fetch's token or
 * its error.  The condition variable runs on CLOCK_MONOTONIC so that the
 * wait honours ctx->deadline_ms.
 */
#include "drivers/common/bearer.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/clock.h"

#define BEARER_DEFAULT_MARGIN_MS (5 * 60 * 1000)
#define BEARER_UNKNOWN_TTL_MS (60 * 60 * 1000)
#define BEARER_MAX_HEADERS 24
#define BEARER_RETRY_MAX_PAUSE_MS 2000

struct bearer {
	struct http_client *http;
	bearer_fetch_fn fetch;
	void *arg;
	char *header;
	char *scheme;
	int64_t margin_ms;
	int64_t (*now_ms)(void);

	pthread_mutex_t lock;	/* guards everything below */
	pthread_cond_t done;	/* signalled when a fetch ends */
	char *token;		/* NULL when none */
	int64_t fetched_ms, expires_ms;
	unsigned gen;		/* generation of `token` */
	bool fetching;
	unsigned long fetches;	/* completed fetches */
	int last_rc;		/* result of the last completed fetch */
	struct drv_error last_err;
};

int bearer_new(const struct bearer_opts *opts, struct bearer **out, struct drv_error *err)
{
	struct http_client_opts ho = { .ca_file = opts ? opts->ca_file : NULL,
				       .pool = opts ? opts->pool : 0 };
	pthread_condattr_t ca;
	struct bearer *b;
	int rc;

	if (!opts || !opts->fetch || !opts->header)
		return drv_fail(err, EINVAL, "BadOptions", "a token cache needs a fetch and a header");
	if (ho.ca_file && !*ho.ca_file)
		ho.ca_file = NULL;
	b = calloc(1, sizeof(*b));
	if (!b)
		return -ENOMEM;
	rc = http_client_new(&ho, &b->http, err);
	b->header = strdup(opts->header);
	b->scheme = opts->scheme ? strdup(opts->scheme) : NULL;
	if (rc == 0 && (!b->header || (opts->scheme && !b->scheme)))
		rc = -ENOMEM;
	if (rc) {
		http_client_free(b->http);
		free(b->header);
		free(b->scheme);
		free(b);
		return rc;
	}
	b->fetch = opts->fetch;
	b->arg = opts->arg;
	b->margin_ms = opts->margin_ms > 0 ? opts->margin_ms : BEARER_DEFAULT_MARGIN_MS;
	b->now_ms = opts->now_ms ? opts->now_ms : clock_wall_ms;
	pthread_mutex_init(&b->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&b->done, &ca);
	pthread_condattr_destroy(&ca);
	*out = b;
	return 0;
}

void bearer_free(struct bearer *b)
{
	if (!b)
		return;
	pthread_cond_destroy(&b->done);
	pthread_mutex_destroy(&b->lock);
	http_client_free(b->http);
	free(b->token);
	free(b->header);
	free(b->scheme);
	free(b);
}

struct http_client *bearer_http(const struct bearer *b)
{
	return b->http;
}

/* Is the cached token good for a while yet?  Called under lock. */
static bool bearer_usable(const struct bearer *b)
{
	int64_t margin = b->margin_ms;

	if (!b->token)
		return false;
	if ((b->expires_ms - b->fetched_ms) / 5 < margin)
		margin = (b->expires_ms - b->fetched_ms) / 5;
	return b->now_ms() < b->expires_ms - margin;
}

/* Hand out a copy of the cached token.  Called under lock. */
static int bearer_copy(const struct bearer *b, char **token, unsigned *gen)
{
	*token = strdup(b->token);
	if (!*token)
		return -ENOMEM;
	if (gen)
		*gen = b->gen;
	return 0;
}

/* Wait for the running fetch to end and take its outcome.  Called under lock. */
static int bearer_wait(struct bearer *b, const struct drv_ctx *ctx, struct drv_error *err)
{
	int64_t deadline = ctx ? ctx->deadline_ms : 0;
	unsigned long seen = b->fetches;

	while (b->fetches == seen) {
		struct timespec ts = { deadline / 1000, (deadline % 1000) * 1000000L };
		int rc = deadline ? pthread_cond_timedwait(&b->done, &b->lock, &ts)
				  : pthread_cond_wait(&b->done, &b->lock);

		if (rc == ETIMEDOUT && b->fetches == seen) {
			drv_fail(err, ETIMEDOUT, "Timeout", "deadline passed waiting for a token");
			if (err)
				err->retryable = true;
			return -ETIMEDOUT;
		}
	}
	if (b->last_rc && err)
		*err = b->last_err;
	return b->last_rc;
}

/* Fetch with the lock released and store what comes back.  Called under lock. */
static int bearer_refresh(struct bearer *b, const struct drv_ctx *ctx, struct drv_error *err)
{
	struct bearer_token t = { 0 };
	struct drv_error mine = { 0 };
	int rc;

	b->fetching = true;
	pthread_mutex_unlock(&b->lock);
	rc = b->fetch(b->arg, ctx, &t, &mine);
	if (rc == 0 && !t.value)
		rc = drv_fail(&mine, EIO, "BadToken", "the token service answered no token");
	pthread_mutex_lock(&b->lock);
	b->fetching = false;
	b->fetches++;
	b->last_rc = rc;
	b->last_err = mine;
	if (rc == 0) {
		free(b->token);
		b->token = t.value;
		b->fetched_ms = b->now_ms();
		b->expires_ms = t.expires_ms ? t.expires_ms : b->fetched_ms + BEARER_UNKNOWN_TTL_MS;
		b->gen++;
	} else if (err) {
		*err = mine;
	}
	pthread_cond_broadcast(&b->done);
	return rc;
}

int bearer_get(struct bearer *b, const struct drv_ctx *ctx, char **token, unsigned *gen,
	       struct drv_error *err)
{
	int rc = 0;

	*token = NULL;
	pthread_mutex_lock(&b->lock);
	/* Twice at most: a token invalidated while this caller waited is fetched again. */
	for (int round = 0; rc == 0 && !bearer_usable(b) && round < 2; round++)
		rc = b->fetching ? bearer_wait(b, ctx, err) : bearer_refresh(b, ctx, err);
	/* A token unusable the moment it arrives: the clock or the cloud is off. */
	if (rc == 0 && !bearer_usable(b))
		rc = drv_fail(err, EIO, "BadToken", "the token service answered an expired token");
	if (rc == 0)
		rc = bearer_copy(b, token, gen);
	pthread_mutex_unlock(&b->lock);
	return rc;
}

void bearer_invalidate(struct bearer *b, unsigned gen)
{
	pthread_mutex_lock(&b->lock);
	if (b->token && b->gen == gen) {
		free(b->token);
		b->token = NULL;
	}
	pthread_mutex_unlock(&b->lock);
}

/* One request with the token in the cache's header, by ctx's deadline. */
static int bearer_send(struct bearer *b, const struct drv_ctx *ctx, const struct http_request *req,
		       const char *token, struct http_response *resp, struct drv_error *err)
{
	struct http_header hdrs[BEARER_MAX_HEADERS];
	struct http_request r = *req;
	char *value = NULL;
	int rc;

	if (req->nheaders >= BEARER_MAX_HEADERS)
		return drv_fail(err, EINVAL, "BadRequest", "too many request headers");
	if (b->scheme && asprintf(&value, "%s %s", b->scheme, token) < 0)
		return -ENOMEM;
	memcpy(hdrs, req->headers, req->nheaders * sizeof(hdrs[0]));
	hdrs[req->nheaders].name = b->header;
	hdrs[req->nheaders].value = value ? value : token;
	r.headers = hdrs;
	r.nheaders = req->nheaders + 1;
	if (ctx)
		r.deadline_ms = ctx->deadline_ms;
	rc = http_do(b->http, &r, resp, err);
	free(value);
	return rc;
}

int bearer_do(struct bearer *b, const struct drv_ctx *ctx, const struct http_request *req,
	      struct http_response *resp, struct drv_error *err)
{
	char *token;
	unsigned gen;
	int rc;

	for (int attempt = 0;; attempt++) {
		rc = bearer_get(b, ctx, &token, &gen, err);
		if (rc)
			return rc;
		rc = bearer_send(b, ctx, req, token, resp, err);
		free(token);
		if (rc || resp->status != 401 || attempt > 0)
			return rc;
		bearer_invalidate(b, gen);
		http_response_release(resp);
	}
}

/* ---- JSON calls ---------------------------------------------------------- */

static const char *const bearer_request_ids[] = {
	"x-ms-request-id", "X-Openstack-Request-Id", "X-Compute-Request-Id",
};

static int bearer_failed(const struct http_response *resp, bearer_error_fn map,
			 struct drv_error *err)
{
	struct drv_error mine = { 0 };
	int rc;

	if (!err)
		err = &mine;
	rc = map((int)resp->status, resp->body.buf, resp->body.len, err);
	if (!err->retry_after_ms)
		err->retry_after_ms = http_retry_after_ms(resp);
	for (size_t i = 0; !err->request_id[0] && i < 3; i++) {
		const char *id = http_response_header(resp, bearer_request_ids[i]);

		if (id)
			snprintf(err->request_id, sizeof(err->request_id), "%s", id);
	}
	return rc;
}

static int bearer_parse(const struct http_response *resp, json_t **out, struct drv_error *err)
{
	if (!out || resp->body.len == 0)
		return 0;
	*out = json_loadb(resp->body.buf, resp->body.len, 0, NULL);
	if (!*out)
		return drv_fail(err, EIO, "BadAnswer", "the cloud answered JSON that does not parse");
	return 0;
}

int bearer_json(struct bearer *b, const struct drv_ctx *ctx, const char *method, const char *url,
		const json_t *body, bearer_error_fn map, struct http_response *resp, json_t **out,
		struct drv_error *err)
{
	static const struct http_header hdrs[] = {
		{ "Accept", "application/json" }, { "Content-Type", "application/json" },
	};
	struct http_response own = HTTP_RESPONSE_INIT;
	struct http_request req = { .method = method, .url = url, .headers = hdrs,
				    .nheaders = body ? 2 : 1 };
	char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
	int rc;

	if (out)
		*out = NULL;
	if (body && !text)
		return -ENOMEM;
	if (!resp)
		resp = &own;
	req.body = text;
	req.body_len = text ? strlen(text) : 0;
	rc = bearer_do(b, ctx, &req, resp, err);
	if (rc == 0 && resp->status >= 300)
		rc = bearer_failed(resp, map, err);
	else if (rc == 0)
		rc = bearer_parse(resp, out, err);
	http_response_release(&own);
	free(text);
	return rc;
}

static bool bearer_idempotent(const char *method)
{
	return !strcmp(method, "GET") || !strcmp(method, "PUT") || !strcmp(method, "DELETE") ||
	       !strcmp(method, "HEAD");
}

int bearer_json_idem(struct bearer *b, const struct drv_ctx *ctx, const char *method,
		     const char *url, const json_t *body, bearer_error_fn map,
		     struct http_response *resp, json_t **out, struct drv_error *err)
{
	struct drv_error local = { 0 };
	struct drv_error *e = err ? err : &local;
	int64_t deadline = ctx ? ctx->deadline_ms : 0, pause;
	int tries = bearer_idempotent(method) ? BEARER_TRIES : 1, rc;

	for (int n = 1;; n++) {
		rc = bearer_json(b, ctx, method, url, body, map, resp, out, e);
		if (rc == 0 || !e->retryable || n >= tries)
			return rc;
		pause = e->retry_after_ms > 0 ? e->retry_after_ms : 100LL << (n - 1);
		if (pause > BEARER_RETRY_MAX_PAUSE_MS)
			pause = BEARER_RETRY_MAX_PAUSE_MS;
		if (deadline && clock_mono_ms() + pause >= deadline)
			return rc;
		clock_sleep_ms(pause);
		if (resp) {
			http_response_release(resp);
			*resp = (struct http_response)HTTP_RESPONSE_INIT;
		}
		memset(e, 0, sizeof(*e));
	}
}
