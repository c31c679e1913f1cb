/*
 * call.c - authenticated calls to the compute API and its pagination.
 *
 * Paths are relative to the project ("zones/z/instances"), to the API base
 * ("projects/debian-cloud/global/images") or absolute URLs.  Listings
 * follow nextPageToken until it is absent; a token seen before ends the
 * listing (a server that repeats itself must not loop the driver).
 */
#include "drivers/gcp/gcp.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "drivers/common/codec.h"
#include "lib/sbuf.h"

#define GCP_MAX_PAGES 1000

static char *gcp_url(const struct gcp_conn *c, const char *path)
{
	char *url = NULL;
	int n;

	if (strncmp(path, "http://", 7) == 0 || strncmp(path, "https://", 8) == 0)
		n = asprintf(&url, "%s", path);
	else if (strncmp(path, "projects/", 9) == 0)
		n = asprintf(&url, "%s%s", c->base, path);
	else
		n = asprintf(&url, "%sprojects/%s/%s", c->base, c->project, path);
	return n < 0 ? NULL : url;
}

int gcp_call(struct gcp_conn *c, const struct drv_ctx *ctx, const char *method, const char *path,
	     const json_t *body, json_t **out, struct drv_error *err)
{
	char *url = gcp_url(c, path);
	int rc;

	if (out)
		*out = NULL;
	if (!url)
		return -ENOMEM;
	/* GETs and DELETEs tried again on a 5xx (bearer_json_idem): a create reads the
	 * firewall and image first, a poll reads the operation. */
	rc = bearer_json_idem(c->auth, ctx, method, url, body, gcp_error, NULL, out, err);
	free(url);
	return rc;
}

/* Call fn for each listed element: items[], or an aggregated {scope: {key: []}}. */
static int list_page(const json_t *doc, const char *key, gcp_item_fn fn, void *arg)
{
	const json_t *items = json_object_get(doc, "items"), *item, *scope;
	const char *name;
	size_t i;
	int rc = 0;

	json_array_foreach(items, i, item) {
		rc = fn(arg, item);
		if (rc)
			return rc;
	}
	json_object_foreach((json_t *)(json_is_object(items) ? items : NULL), name, scope) {
		json_array_foreach(json_object_get(scope, key), i, item) {
			rc = fn(arg, item);
			if (rc)
				return rc;
		}
	}
	return 0;
}

/* path with pageToken=token (encoded) appended; NULL on failure. */
static char *page_path(const char *path, const char *token)
{
	struct sbuf sb = SBUF_INIT;
	int rc = sbuf_addf(&sb, "%s%cpageToken=", path, strchr(path, '?') ? '&' : '?');

	if (rc == 0)
		rc = codec_pct_encode(&sb, token, strlen(token), false);
	if (rc) {
		sbuf_release(&sb);
		return NULL;
	}
	return sbuf_detach(&sb, NULL);
}

/* The next page's path, NULL at the end or when the token repeats. */
static char *next_page(const char *path, const json_t *doc, json_t *seen)
{
	const char *token = json_string_value(json_object_get(doc, "nextPageToken"));

	if (!token || !*token || json_object_get(seen, token))
		return NULL;
	json_object_set_new(seen, token, json_true());
	return page_path(path, token);
}

int gcp_list(struct gcp_conn *c, const struct drv_ctx *ctx, const char *path, const char *key,
	     gcp_item_fn fn, void *arg, struct drv_error *err)
{
	json_t *seen = json_object(), *doc;
	char *cur = NULL, *next;
	int rc = 0, pages;

	for (pages = 0; seen && pages < GCP_MAX_PAGES; pages++) {
		rc = gcp_call(c, ctx, "GET", cur ? cur : path, NULL, &doc, err);
		if (rc == 0)
			rc = list_page(doc, key, fn, arg);
		next = rc ? NULL : next_page(path, doc, seen);
		json_decref(doc);
		free(cur);
		cur = next;
		if (!cur)
			break;
	}
	if (!seen)
		rc = -ENOMEM;
	else if (cur && rc == 0)
		rc = drv_fail(err, EIO, "TooManyPages", "a listing ran past 1000 pages");
	free(cur);
	json_decref(seen);
	return rc;
}
