/*
 * call.c - ARM calls: api-version on every relative path, long-running
 * operations, nextLink paging.
 *
 * Long-running operations are waited for inside the call that started
 * them, up to the call's deadline: ARM answers 201/202 with
 * Azure-AsyncOperation (preferred) or Location, and Retry-After says how
 * long to wait between polls (honoured, within [AZURE_POLL_MIN_MS,
 * AZURE_POLL_MAX_MS]).  Running out of deadline is -ETIMEDOUT, retryable:
 * every call that waits is idempotent (PUT by name, DELETE, POST actions),
 * so the engine's retry resumes the wait rather than repeating the work.
 *
 * GET, PUT and DELETE that fail retryably (5xx, 429, transport) are
 * tried again (bearer_json_idem), as azure-core's RetryPolicy does;
 * POST actions are left to the engine.
 *
 * nextLink is followed verbatim (it is absolute and carries api-version
 * and $skiptoken); a link seen before ends the listing.
 */
#include "drivers/azure/azure.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "drivers/common/jsonh.h"
#include "lib/clock.h"

#define AZURE_POLL_MIN_MS 200
#define AZURE_POLL_DEFAULT_MS 1000
#define AZURE_POLL_MAX_MS 10000
#define AZURE_MAX_PAGES 1000

static bool absolute(const char *path)
{
	return strncmp(path, "http://", 7) == 0 || strncmp(path, "https://", 8) == 0;
}

int azure_call(struct azure_conn *c, const struct drv_ctx *ctx, const char *method,
	       const char *path, const char *api, const json_t *body,
	       struct http_response *resp, json_t **out, struct drv_error *err)
{
	char *url;
	int n, rc;

	if (absolute(path))
		n = asprintf(&url, "%s", path);
	else
		n = asprintf(&url, "%s%s%capi-version=%s", c->arm, path, strchr(path, '?') ? '&' : '?',
			     api);
	if (n < 0)
		return -ENOMEM;
	rc = bearer_json_idem(c->auth, ctx, method, url, body, azure_error, resp, out, err);
	free(url);
	return rc;
}

void azure_group_path(const struct azure_conn *c, const char *rest, char *dst, size_t size)
{
	snprintf(dst, size, "subscriptions/%s/resourceGroups/%s/%s", c->subscription, c->group,
		 rest);
}

/* ---- long-running operations ------------------------------------------------- */

/* Where to poll, copied from the first answer. */
struct poll {
	char url[1024];
	enum { POLL_ASYNC, POLL_LOCATION, POLL_RESOURCE } kind;
	int delay_ms;
};

static int clamp_delay(int ms)
{
	if (ms <= 0)
		return AZURE_POLL_DEFAULT_MS;
	if (ms < AZURE_POLL_MIN_MS)
		return AZURE_POLL_MIN_MS;
	return ms > AZURE_POLL_MAX_MS ? AZURE_POLL_MAX_MS : ms;
}

/* The provisioning state of a resource answer (borrowed), or NULL. */
static const char *provisioning(const json_t *doc)
{
	return jsonh_str(json_object_get(doc, "properties"), "provisioningState");
}

static bool terminal_ok(const char *state)
{
	return !state || strcasecmp(state, "Succeeded") == 0;
}

static bool failed(const char *state)
{
	return state && (strcasecmp(state, "Failed") == 0 || strcasecmp(state, "Canceled") == 0);
}

/* A failed operation or resource: its error object, or the bare state. */
static int op_failed(const json_t *doc, const char *state, long status, struct drv_error *err)
{
	const json_t *e = json_object_get(doc, "error");

	if (!jsonh_str(e, "code"))
		return drv_fail(err, EIO, state, "the operation ended without success");
	return azure_error_object(e, (int)status, err);
}

/* Read one poll answer: 0 running, 1 done, -errno failed (err filled). */
static int poll_read(const struct poll *p, const struct http_response *resp, const json_t *doc,
		     struct drv_error *err)
{
	const char *st = p->kind == POLL_ASYNC ? jsonh_str(doc, "status") : provisioning(doc);

	if (p->kind == POLL_LOCATION)
		return resp->status == 202 ? 0 : 1;
	if (failed(st))
		return op_failed(doc, st, resp->status, err);
	if (p->kind == POLL_ASYNC)
		return st && strcasecmp(st, "Succeeded") == 0;
	return terminal_ok(st);
}

/* One poll: 0 running, 1 done, or -errno. */
static int poll_once(struct azure_conn *c, const struct drv_ctx *ctx, struct poll *p,
		     const char *api, struct drv_error *err)
{
	struct http_response resp = HTTP_RESPONSE_INIT;
	json_t *doc = NULL;
	int rc = azure_call(c, ctx, "GET", p->url, api, NULL, &resp, &doc, err);

	if (rc == -ENOENT && p->kind != POLL_ASYNC)
		rc = 1;		/* polling a deleted resource: gone is done */
	else if (rc == 0)
		rc = poll_read(p, &resp, doc, err);
	else if (err->retryable)
		rc = 0;		/* a poll that failed tells nothing: poll again, as SDKs do */
	p->delay_ms = clamp_delay(http_retry_after_ms(&resp));
	json_decref(doc);
	http_response_release(&resp);
	return rc;
}

/* Decide from the first answer whether and where to poll: 1 nothing to wait for, 0 poll. */
static int poll_start(const struct http_response *resp, const char *resource, struct poll *p,
		      struct drv_error *err)
{
	const char *async = http_response_header(resp, "Azure-AsyncOperation");
	const char *loc = http_response_header(resp, "Location");
	json_t *doc = resp->body.len ? json_loadb(resp->body.buf, resp->body.len, 0, NULL) : NULL;
	const char *state = provisioning(doc);
	int rc = 0;

	p->delay_ms = clamp_delay(http_retry_after_ms(resp));
	if (async || loc) {
		p->kind = async ? POLL_ASYNC : POLL_LOCATION;
		snprintf(p->url, sizeof(p->url), "%s", async ? async : loc);
	} else if (resp->status == 204 || terminal_ok(state) || !resource) {
		rc = 1;
	} else if (failed(state)) {
		rc = op_failed(doc, state, resp->status, err);
	} else {
		p->kind = POLL_RESOURCE;
		snprintf(p->url, sizeof(p->url), "%s", resource);
	}
	json_decref(doc);
	return rc;
}

int azure_wait(struct azure_conn *c, const struct drv_ctx *ctx, const struct http_response *resp,
	       const char *resource, const char *api, struct drv_error *err)
{
	int64_t deadline = ctx ? ctx->deadline_ms : 0;
	struct poll p;
	int rc = poll_start(resp, resource, &p, err);

	while (rc == 0) {
		if (deadline && clock_mono_ms() + p.delay_ms >= deadline) {
			rc = drv_fail(err, ETIMEDOUT, "OperationPending",
				      "the operation was still running at the deadline");
			if (err)
				err->retryable = true;
			break;
		}
		clock_sleep_ms(p.delay_ms);
		rc = poll_once(c, ctx, &p, api, err);
	}
	return rc < 0 ? rc : 0;
}

/* ---- paging -------------------------------------------------------------------- */

static int list_page(const json_t *doc, azure_item_fn fn, void *arg, struct drv_error *err)
{
	const json_t *items = json_object_get(doc, "value"), *item;
	size_t i;
	int rc;

	if (!json_is_array(items))
		return drv_fail(err, EIO, "BadAnswer", "a listing answer lacks its value array");
	json_array_foreach(items, i, item) {
		rc = fn(arg, item);
		if (rc)
			return rc;
	}
	return 0;
}

int azure_list(struct azure_conn *c, const struct drv_ctx *ctx, const char *path, const char *api,
	       azure_item_fn fn, void *arg, struct drv_error *err)
{
	json_t *seen = json_object(), *doc = NULL;
	char *cur = strdup(path);
	const char *next;
	int rc = -ENOMEM, pages;

	for (pages = 0; cur && seen && pages < AZURE_MAX_PAGES; pages++) {
		rc = azure_call(c, ctx, "GET", cur, api, NULL, NULL, &doc, err);
		if (rc == 0)
			rc = list_page(doc, fn, arg, err);
		next = rc ? NULL : jsonh_str(doc, "nextLink");
		free(cur);
		cur = next && *next && !json_object_get(seen, next) ? strdup(next) : NULL;
		if (cur)
			json_object_set_new(seen, cur, json_true());
		json_decref(doc);
		if (!cur)
			break;
	}
	if (cur && rc == 0)
		rc = drv_fail(err, EIO, "TooManyPages", "a listing ran past 1000 pages");
	free(cur);
	json_decref(seen);
	return rc;
}
