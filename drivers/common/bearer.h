/*
 * bearer.h - a cached access token, and the authenticated request that
 * uses it, for the clouds that issue tokens: Keystone (X-Auth-Token),
 * Google OAuth2 and Azure AD (Authorization: Bearer).
 *
 * A cache holds one token and its expiry.  bearer_get() hands out a copy
 * of a token that stays valid for a while yet (the refresh margin: 5
 * minutes, or a fifth of the token's lifetime when that is shorter), so a
 * token is replaced before it expires.  When there is none, exactly one
 * caller fetches a new one through the driver's fetch function and the
 * others wait for that fetch (each bounded by its own deadline): no lock is
 * held across the network, and twenty workers starting at once make one
 * token request, not twenty.  When that fetch fails, the callers that
 * waited for it get its error instead of each trying again.
 *
 * A 401 answer means the token was revoked or expired early: bearer_do()
 * drops the token it used (only that one: a newer token another thread
 * fetched meanwhile is kept), fetches a new one and repeats the request
 * once.  That repeat is authentication, not a retry: the engine's wrapper
 * still owns retries.
 *
 * Secrets: tokens are never logged and never copied into struct drv_error.
 * Thread-safe; the cache's lock is never held while fetching.
 */
#ifndef BFS_DRV_BEARER_H
#define BFS_DRV_BEARER_H

#include <stdint.h>

#include <jansson.h>

#include "drivers/common/http.h"
#include "drivers/driver.h"

struct bearer;

/* What a fetch produces. */
struct bearer_token {
	char *value;		/* malloc'd by the fetch; the cache takes ownership */
	int64_t expires_ms;	/* unix milliseconds; 0: unknown (kept one hour) */
};

/*
 * Get a new token from the cloud: one attempt, finished by ctx->deadline_ms.
 * 0 and *out filled, or a negative errno with err filled (never with the
 * credential in it).  Called with no lock held, from one thread at a time.
 */
typedef int (*bearer_fetch_fn)(void *arg, const struct drv_ctx *ctx, struct bearer_token *out,
			       struct drv_error *err);

struct bearer_opts {
	bearer_fetch_fn fetch;
	void *arg;		/* passed to fetch; borrowed for the cache's life */
	const char *ca_file;	/* NULL or "": the system's CAs only (http.h) */
	unsigned pool;		/* idle HTTP handles kept (conf_pool); 0: http.h's default */
	const char *header;	/* "Authorization" or "X-Auth-Token" (copied) */
	const char *scheme;	/* "Bearer", or NULL: the header carries the bare token */
	int64_t margin_ms;	/* 0: 5 minutes */
	int64_t (*now_ms)(void); /* unix ms; NULL: clock_wall_ms (tests inject a clock) */
};

/*
 * Make a cache and the HTTP client of the connection (which it owns).
 * 0 and *out (caller frees with bearer_free), -EINVAL (bad options or
 * ca_file, err says why), -ENOMEM.
 */
int bearer_new(const struct bearer_opts *opts, struct bearer **out, struct drv_error *err);
/* Free a cache and its client; NULL is a no-op.  No call may be in flight. */
void bearer_free(struct bearer *b);
/* The connection's HTTP client (borrowed for the cache's life), for the fetch and plain calls. */
struct http_client *bearer_http(const struct bearer *b);

/*
 * A valid token: 0 with *token (caller frees) and *gen (the token's
 * generation, for bearer_invalidate), or the fetch's error.  -ETIMEDOUT when
 * the deadline passes while waiting for another caller's fetch.
 */
int bearer_get(struct bearer *b, const struct drv_ctx *ctx, char **token, unsigned *gen,
	       struct drv_error *err);

/* Drop the token of generation gen, if it is still the cached one. */
void bearer_invalidate(struct bearer *b, unsigned gen);

/*
 * http_do() with the token added in the cache's header; on a 401 answer,
 * invalidate, fetch and repeat once.  Returns what http_do() or the fetch
 * returned; resp holds the last answer (released by the caller).  The
 * request's deadline is ctx->deadline_ms (req->deadline_ms when ctx is NULL).
 */
int bearer_do(struct bearer *b, const struct drv_ctx *ctx, const struct http_request *req,
	      struct http_response *resp, struct drv_error *err);

/* A driver's error table: an answer of status >= 300 to -errno and err. */
typedef int (*bearer_error_fn)(int http_status, const char *body, size_t len,
			       struct drv_error *err);

/*
 * A JSON call with bearer_do(): `body` (may be NULL) sent as
 * application/json, an answer below 300 parsed into *out (new reference,
 * NULL when the answer is empty; out may be NULL), an answer of 300 or more
 * mapped by `map`, with the Retry-After header and the cloud's request id
 * (x-ms-request-id, X-Openstack-Request-Id, X-Compute-Request-Id) added to
 * err.  resp (may be NULL) receives the answer for its headers; the caller
 * releases it.  0 or -errno.
 */
int bearer_json(struct bearer *b, const struct drv_ctx *ctx, const char *method, const char *url,
		const json_t *body, bearer_error_fn map, struct http_response *resp, json_t **out,
		struct drv_error *err);

/*
 * bearer_json(), with an idempotent method (GET, PUT, DELETE, HEAD) that
 * fails retryably (5xx, 429, transport) tried again, up to BEARER_TRIES in
 * all, after Retry-After or 100 ms doubling (at most 2 s), within the
 * deadline: what the clouds' own SDKs do for one request of an operation
 * that takes several (a poll, a lookup before a create), so that one 5xx
 * does not fail the whole operation.  Other methods are tried once.
 */
#define BEARER_TRIES 3
int bearer_json_idem(struct bearer *b, const struct drv_ctx *ctx, const char *method,
		     const char *url, const json_t *body, bearer_error_fn map,
		     struct http_response *resp, json_t **out, struct drv_error *err);

#endif
