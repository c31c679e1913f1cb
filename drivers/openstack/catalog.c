/*
 * catalog.c - flavors and images: list_specs, list_images, and the mapping
 * between the names a group spec uses and Nova's and Glance's ids.
 *
 * Flavor and image names are made into tree names (openstack_slug), and
 * two images whose names collide get the first eight characters of their
 * id appended, so every name maps to exactly one id.  The mapping is kept
 * per connection from the last listing, and a name that is not in it makes
 * create_vm list again once before it gives up with EINVAL.
 *
 * Prices: OpenStack has no price API.  A flavor's price is the cloud
 * spec's own ("prices": {"<flavor>": usd_per_hour}) when the operator gave
 * one, otherwise an estimate at a public reference rate, stated in
 * price_source (see PRICE_* below).
 */
#include "drivers/openstack/openstack.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

/*
 * Reference rates: Google Compute Engine E2 on-demand, us-central1, as
 * published on cloud.google.com/compute/vm-instance-pricing (2024-06).
 */
#define PRICE_USD_PER_VCPU_HOUR 0.021811
#define PRICE_USD_PER_GIB_HOUR 0.002923
#define PRICE_SOURCE "estimate at GCE E2 us-central1 rates, 2024-06"

/* Remember name -> id under the lock; on a clash with another id, the name gets "-<id8>". */
static void remember(json_t *map, char *name, size_t size, const char *id)
{
	const char *have = json_string_value(json_object_get(map, name));

	if (have && strcmp(have, id) != 0) {
		size_t n = strlen(name);

		snprintf(name + n, size - n, "-%.8s", id);
		openstack_slug(name, name, size);
	}
	json_object_set_new(map, name, json_string(id));
}

/* The id `name` stands for (a name we listed, or an id itself); 0 or -ENOENT. */
static int lookup(struct openstack_conn *c, bool flavor, const char *name, char *id, size_t size)
{
	json_t *map, *v;
	const char *key, *found = NULL;

	pthread_mutex_lock(&c->lock);
	map = flavor ? c->flavors : c->images;
	found = json_string_value(json_object_get(map, name));
	json_object_foreach(map, key, v) {
		if (!found && strcmp(json_string_value(v), name) == 0)
			found = name;
	}
	if (found)
		snprintf(id, size, "%s", found);
	pthread_mutex_unlock(&c->lock);
	return found ? 0 : -ENOENT;
}

/* The listed name of the id in dst, copied over it when known.  Called under lock. */
static void name_of(json_t *map, char *dst, size_t size)
{
	const char *key;
	json_t *v;

	json_object_foreach(map, key, v) {
		if (dst[0] && strcmp(json_string_value(v), dst) == 0) {
			snprintf(dst, size, "%s", key);
			return;
		}
	}
}

void openstack_names_of(struct openstack_conn *c, struct drv_vm *vm)
{
	pthread_mutex_lock(&c->lock);
	name_of(c->flavors, vm->spec, sizeof(vm->spec));
	name_of(c->images, vm->image, sizeof(vm->image));
	pthread_mutex_unlock(&c->lock);
}

/* ---- flavors ------------------------------------------------------------- */

struct spec_walk {
	struct openstack_conn *c;
	drv_spec_cb cb;		/* NULL: only remember */
	void *arg;
};

static void flavor_price(const struct openstack_conn *c, struct drv_spec_info *spec)
{
	const json_t *p = json_object_get(c->prices, spec->name);

	if (json_is_number(p)) {
		spec->price_usd_per_hour = json_number_value(p);
		snprintf(spec->price_source, sizeof(spec->price_source), "cloud spec");
		return;
	}
	spec->price_usd_per_hour = spec->vcpus * PRICE_USD_PER_VCPU_HOUR +
				   spec->mem_gib * PRICE_USD_PER_GIB_HOUR;
	snprintf(spec->price_source, sizeof(spec->price_source), "%s", PRICE_SOURCE);
}

static int spec_item(void *arg, const json_t *flavor)
{
	struct spec_walk *w = arg;
	struct drv_spec_info spec;
	char id[OPENSTACK_ID_MAX];

	if (openstack_parse_flavor(flavor, &spec, id, sizeof(id)) != 0)
		return 0;	/* disabled or unreadable: not offered */
	pthread_mutex_lock(&w->c->lock);
	remember(w->c->flavors, spec.name, sizeof(spec.name), id);
	pthread_mutex_unlock(&w->c->lock);
	flavor_price(w->c, &spec);
	return w->cb ? w->cb(w->arg, &spec) : 0;
}

int openstack_list_specs(void *conn, const struct drv_ctx *ctx, drv_spec_cb cb, void *arg,
			 struct drv_error *err)
{
	struct spec_walk w = { conn, cb, arg };
	int rc = openstack_list(conn, ctx, OPENSTACK_COMPUTE, "/flavors/detail?limit=200", "flavors",
				spec_item, &w, err);

	return rc > 0 ? 0 : rc;
}

/* ---- images -------------------------------------------------------------- */

struct image_walk {
	struct openstack_conn *c;
	drv_image_cb cb;	/* NULL: only remember */
	void *arg;
};

static int image_item(void *arg, const json_t *image)
{
	struct image_walk *w = arg;
	struct drv_image_info img;

	if (openstack_parse_image(image, &img) != 0)
		return 0;	/* not active or unreadable: not offered */
	pthread_mutex_lock(&w->c->lock);
	remember(w->c->images, img.name, sizeof(img.name), img.id);
	pthread_mutex_unlock(&w->c->lock);
	return w->cb ? w->cb(w->arg, &img) : 0;
}

int openstack_list_images(void *conn, const struct drv_ctx *ctx, drv_image_cb cb, void *arg,
			  struct drv_error *err)
{
	struct image_walk w = { conn, cb, arg };
	int rc = openstack_list(conn, ctx, OPENSTACK_IMAGE, "/v2/images?limit=200", "images",
				image_item, &w, err);

	return rc > 0 ? 0 : rc;
}

/* ---- names to ids -------------------------------------------------------- */

int openstack_resolve(struct openstack_conn *c, const struct drv_ctx *ctx, bool flavor,
		      const char *name, char *id, size_t size, struct drv_error *err)
{
	char msg[192];
	int rc;

	if (lookup(c, flavor, name, id, size) == 0)
		return 0;
	rc = flavor ? openstack_list_specs(c, ctx, NULL, NULL, err)
		    : openstack_list_images(c, ctx, NULL, NULL, err);
	if (rc)
		return rc;
	if (lookup(c, flavor, name, id, size) == 0)
		return 0;
	snprintf(msg, sizeof(msg), "the cloud has no %s named %s", flavor ? "flavor" : "active image",
		 name);
	return drv_fail(err, EINVAL, flavor ? "UnknownSpec" : "UnknownImage", msg);
}
