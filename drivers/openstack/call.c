/*
 * call.c - authenticated JSON calls to Nova, Glance and Neutron, and the
 * pagination they share.
 *
 * The service roots come from the catalog that arrives with each token, so
 * a call first makes sure a token (and with it the catalog) exists.  Next
 * links are not followed verbatim: Nova writes its own idea of its public
 * URL into them, which behind a proxy is not the catalog's.  The driver
 * keeps its request path and takes only the link's query (the marker), and
 * a next link that carries no marker, or one already seen, ends the
 * listing (Glance has been seen to point `next` back at the first page).
 */
#include "drivers/openstack/openstack.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "drivers/common/bearer.h"
#include "drivers/common/http.h"

#define OPENSTACK_MAX_PAGES 1000

/* Copy the service's root URL; fetches a token first when no catalog came yet. */
static int service_root(struct openstack_conn *c, const struct drv_ctx *ctx,
			enum openstack_service svc, char *root, struct drv_error *err)
{
	char *token;
	int rc;

	for (int round = 0; round < 2; round++) {
		pthread_mutex_lock(&c->lock);
		if (svc == OPENSTACK_COMPUTE)
			memcpy(root, c->catalog.compute, OPENSTACK_URL_MAX);
		else if (svc == OPENSTACK_IMAGE)
			memcpy(root, c->catalog.image, OPENSTACK_URL_MAX);
		else
			memcpy(root, c->catalog.network, OPENSTACK_URL_MAX);
		pthread_mutex_unlock(&c->lock);
		if (root[0] || round > 0)
			break;
		rc = bearer_get(c->auth, ctx, &token, NULL, err);
		free(token);
		if (rc)
			return rc;
	}
	if (!root[0])
		return drv_fail(err, EOPNOTSUPP, "EndpointNotFound",
				"the catalog has no network (Neutron) endpoint");
	return 0;
}

int openstack_call(struct openstack_conn *c, const struct drv_ctx *ctx, const char *method,
		   enum openstack_service svc, const char *path, const json_t *body, json_t **out,
		   struct drv_error *err)
{
	bool absolute = strncmp(path, "http://", 7) == 0 || strncmp(path, "https://", 8) == 0;
	char root[OPENSTACK_URL_MAX] = "", *url;
	int rc = 0;

	if (out)
		*out = NULL;
	if (!absolute)
		rc = service_root(c, ctx, svc, root, err);
	if (rc)
		return rc;
	if (asprintf(&url, "%s%s", root, path) < 0)
		return -ENOMEM;
	/* GET, PUT, DELETE tried again on a 5xx (bearer_json_idem): a create is a
	 * lookup by tag and then the POST, a poll several listings. */
	rc = bearer_json_idem(c->auth, ctx, method, url, body, openstack_error, NULL, out, err);
	free(url);
	return rc;
}

/* ---- pagination ---------------------------------------------------------- */

/*
 * The next request path: our path with the next link's query.  NULL (and
 * the listing ends) when the link has no marker or repeats a page.
 */
static char *next_path(const char *path, const char *next, json_t *seen)
{
	const char *query = next ? strchr(next, '?') : NULL;
	size_t base = strcspn(path, "?");
	json_t *v;
	size_t i;
	char *out;

	if (!query || !strstr(query, "marker="))
		return NULL;
	json_array_foreach(seen, i, v) {
		if (strcmp(json_string_value(v), query) == 0)
			return NULL;
	}
	if (json_array_append_new(seen, json_string(query)) != 0)
		return NULL;
	if (asprintf(&out, "%.*s%s", (int)base, path, query) < 0)
		return NULL;
	return out;
}

/* Call fn for each element of doc[key]; fn's nonzero value stops. */
static int list_page(const json_t *doc, const char *key, openstack_item_fn fn, void *arg,
		     struct drv_error *err)
{
	const json_t *items = json_object_get(doc, key), *item;
	size_t i;
	int rc;

	if (!json_is_array(items))
		return drv_fail(err, EIO, "BadAnswer", "a listing answer lacks its array");
	json_array_foreach(items, i, item) {
		rc = fn(arg, item);
		if (rc)
			return rc;
	}
	return 0;
}

int openstack_list(struct openstack_conn *c, const struct drv_ctx *ctx, enum openstack_service svc,
		   const char *path, const char *key, openstack_item_fn fn, void *arg,
		   struct drv_error *err)
{
	json_t *seen = json_array(), *doc;
	char *cur = strdup(path), *next;
	int rc = -ENOMEM, pages;

	for (pages = 0; cur && seen && pages < OPENSTACK_MAX_PAGES; pages++) {
		rc = openstack_call(c, ctx, "GET", svc, cur, NULL, &doc, err);
		if (rc == 0)
			rc = list_page(doc, key, fn, arg, err);
		next = rc ? NULL : next_path(cur, openstack_next_link(doc, key), seen);
		json_decref(doc);
		free(cur);
		cur = next;
		if (!cur)
			break;
	}
	if (cur && rc == 0)
		rc = drv_fail(err, EIO, "TooManyPages", "a listing ran past 1000 pages");
	free(cur);
	json_decref(seen);
	return rc;
}
