/*
 * azure.c - the Azure driver: connect, health, the catalog (VM sizes and
 * marketplace images), cleanup, and the operations table (the only symbol
 * drivers/azure.so exports).
 *
 * Cloud spec: "region" (required: the ARM location, e.g. eastus), "zone"
 * (an availability zone, "1".."3", optional), "endpoint" (ARM base,
 * default https://management.azure.com/), "auth_endpoint" (AAD host base,
 * default https://login.microsoftonline.com/), "ca_file", and "ssh_key".
 * Credential: tenant_id, client_id, client_secret, subscription_id,
 * resource_group (made when absent, and deleted by cleanup when this
 * connection made it and it is empty).  Without a credential, connect()
 * succeeds and every call answers EACCES until one is given.
 *
 * connect() makes no network call.
 */
#include "drivers/azure/azure.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "drivers/common/conf.h"
#include "drivers/common/jsonh.h"

/* ---- connect ------------------------------------------------------------------- */

static int read_credential(struct azure_conn *c, const json_t *cred, struct drv_error *err)
{
	static const struct {
		const char *key;
		size_t offset, size;
	} keys[] = {
#define KEY(k, f) { k, offsetof(struct azure_conn, f), sizeof(((struct azure_conn *)0)->f) }
		KEY("tenant_id", tenant), KEY("client_id", client_id),
		KEY("client_secret", client_secret), KEY("subscription_id", subscription),
		KEY("resource_group", group),
#undef KEY
	};
	int rc = 0;

	if (!cred)
		return 0;	/* not given yet: calls answer EACCES (auth.c) */
	for (size_t i = 0; rc == 0 && i < sizeof(keys) / sizeof(keys[0]); i++)
		rc = conf_str(cred, "credential", keys[i].key, true, (char *)c + keys[i].offset,
			      keys[i].size, err);
	return rc;
}

static int read_spec(struct azure_conn *c, const json_t *spec, struct drv_error *err)
{
	char arm[sizeof(c->arm)], aad[sizeof(c->aad)];
	int rc = conf_str(spec, "spec", "region", true, c->location, sizeof(c->location), err);

	if (rc == 0)
		rc = conf_str(spec, "spec", "zone", false, c->zone, sizeof(c->zone), err);
	if (rc == 0)
		rc = conf_str(spec, "spec", "endpoint", false, arm, sizeof(arm), err);
	if (rc == 0)
		rc = conf_endpoint(arm, AZURE_DEFAULT_ARM, c->location, c->arm, sizeof(c->arm), err);
	if (rc == 0)
		rc = conf_str(spec, "spec", "auth_endpoint", false, aad, sizeof(aad), err);
	if (rc == 0)
		rc = conf_endpoint(aad, AZURE_DEFAULT_AAD, c->location, c->aad, sizeof(c->aad), err);
	if (rc == 0)
		rc = conf_str(spec, "spec", "ssh_key", false, c->ssh_key, sizeof(c->ssh_key), err);
	return rc;
}

static void conn_free(struct azure_conn *c)
{
	if (!c)
		return;
	bearer_free(c->auth);
	json_decref(c->sizes);
	json_decref(c->networks);
	json_decref(c->addresses);
	once_release(&c->setup);
	pthread_mutex_destroy(&c->lock);
	OPENSSL_cleanse(c->client_secret, sizeof(c->client_secret));
	free(c);
}

static int azure_connect(const struct drv_config *cfg, void **conn, struct drv_error *err)
{
	struct azure_conn *c = calloc(1, sizeof(*c));
	struct bearer_opts bo = {
		.fetch = azure_token_fetch, .arg = c, .header = "Authorization", .scheme = "Bearer",
		.ca_file = json_string_value(json_object_get(cfg->spec, "ca_file")),
		.pool = conf_pool(cfg->spec),
	};
	int rc;

	if (!c)
		return -ENOMEM;
	pthread_mutex_init(&c->lock, NULL);
	once_init(&c->setup);
	snprintf(c->cloud, sizeof(c->cloud), "%s", cfg->cloud ? cfg->cloud : "default");
	snprintf(c->prefix, sizeof(c->prefix), "baristafs-%s", c->cloud);
	c->sizes = json_object();
	c->networks = json_object();
	c->addresses = json_object();
	rc = c->sizes && c->networks && c->addresses ? read_spec(c, cfg->spec, err) : -ENOMEM;
	if (rc == 0)
		rc = read_credential(c, cfg->credential, err);
	if (rc == 0)
		rc = bearer_new(&bo, &c->auth, err);
	if (rc) {
		conn_free(c);
		return rc;
	}
	*conn = c;
	return 0;
}

static void azure_disconnect(void *conn)
{
	conn_free(conn);
}

struct sub_find {
	const char *id;
	bool found;
};

static int sub_item(void *arg, const json_t *sub)
{
	struct sub_find *f = arg;
	const char *id = jsonh_str(sub, "subscriptionId");

	f->found |= id && strcasecmp(id, f->id) == 0;
	return f->found;
}

/* The token, and the subscription among those the application may see. */
static int azure_health(void *conn, const struct drv_ctx *ctx, struct drv_error *err)
{
	struct azure_conn *c = conn;
	struct sub_find f = { c->subscription, false };
	char msg[160];
	int rc = azure_list(c, ctx, "subscriptions", AZURE_API_RESOURCES, sub_item, &f, err);

	if (rc < 0)
		return rc;
	if (f.found)
		return 0;
	snprintf(msg, sizeof(msg), "the application cannot see subscription %s", c->subscription);
	return drv_fail(err, EACCES, "SubscriptionNotFound", msg);
}

/* ---- sizes -------------------------------------------------------------------- */

struct spec_walk {
	struct azure_conn *c;
	drv_spec_cb cb;
	void *arg;
};

static int spec_item(void *arg, const json_t *size)
{
	struct spec_walk *w = arg;
	struct drv_spec_info spec;

	if (azure_parse_size(size, &spec) != 0)
		return 0;
	pthread_mutex_lock(&w->c->lock);
	json_object_set_new(w->c->sizes, spec.name, json_string(jsonh_str(size, "name")));
	pthread_mutex_unlock(&w->c->lock);
	return w->cb(w->arg, &spec);
}

static int azure_list_specs(void *conn, const struct drv_ctx *ctx, drv_spec_cb cb, void *arg,
			    struct drv_error *err)
{
	struct azure_conn *c = conn;
	struct spec_walk w = { c, cb, arg };
	char path[256];
	int rc;

	snprintf(path, sizeof(path), "subscriptions/%s/providers/Microsoft.Compute/locations/%s/vmSizes",
		 c->subscription, c->location);
	rc = azure_list(c, ctx, path, AZURE_API_COMPUTE, spec_item, &w, err);
	return rc > 0 ? 0 : rc;
}

static int no_spec(void *arg, const struct drv_spec_info *spec)
{
	(void)arg;
	(void)spec;
	return 0;
}

static const char *cached_size(struct azure_conn *c, const char *spec, char *dst, size_t size)
{
	const char *real;

	pthread_mutex_lock(&c->lock);
	real = jsonh_str(c->sizes, spec);
	if (real)
		jsonh_copy(dst, size, real);
	pthread_mutex_unlock(&c->lock);
	return real ? dst : NULL;
}

int azure_size_name(struct azure_conn *c, const struct drv_ctx *ctx, const char *spec, char *dst,
		    size_t size, struct drv_error *err)
{
	char lowered[AZURE_SIZE_MAX], msg[160];
	size_t n = 0;
	int rc;

	for (; spec[n] && n + 1 < sizeof(lowered); n++)
		lowered[n] = (char)tolower((unsigned char)spec[n]);
	lowered[n] = '\0';
	if (cached_size(c, lowered, dst, size))
		return 0;
	rc = azure_list_specs(c, ctx, no_spec, NULL, err);
	if (rc)
		return rc;
	if (cached_size(c, lowered, dst, size))
		return 0;
	snprintf(msg, sizeof(msg), "location %s has no VM size %s", c->location, spec);
	return drv_fail(err, EINVAL, "UnknownSpec", msg);
}

/* ---- images -------------------------------------------------------------------- */

/*
 * Does the location have a version of this marketplace image?  1, 0, or
 * -errno.  A check that fails transiently counts as offered: these are
 * well-known images, and one lost answer among eight must not empty the
 * catalog (a create of an absent one still fails, with EINVAL).
 */
static int image_offered(struct azure_conn *c, const struct drv_ctx *ctx,
			 const struct azure_image *img, struct drv_error *err)
{
	char path[512];
	json_t *doc = NULL;
	int rc;

	snprintf(path, sizeof(path),
		 "subscriptions/%s/providers/Microsoft.Compute/locations/%s/publishers/%s/"
		 "artifacttypes/vmimage/offers/%s/skus/%s/versions?$top=1",
		 c->subscription, c->location, img->publisher, img->offer, img->sku);
	rc = azure_call(c, ctx, "GET", path, AZURE_API_COMPUTE, NULL, NULL, &doc, err);
	if (rc == 0)
		rc = json_array_size(doc) > 0;
	json_decref(doc);
	if (rc < 0 && err->retryable && rc != -ETIMEDOUT)
		return 1;
	return rc == -ENOENT ? 0 : rc;
}

static int azure_list_images(void *conn, const struct drv_ctx *ctx, drv_image_cb cb, void *arg,
			     struct drv_error *err)
{
	struct drv_image_info info;
	int rc;

	for (const struct azure_image *a = azure_images; a->name; a++) {
		rc = image_offered(conn, ctx, a, err);
		if (rc < 0)
			return rc;
		if (rc == 0)
			continue;
		memset(&info, 0, sizeof(info));
		jsonh_copy(info.name, sizeof(info.name), a->name);
		snprintf(info.id, sizeof(info.id), "%s:%s:%s:latest", a->publisher, a->offer, a->sku);
		jsonh_copy(info.os, sizeof(info.os), a->os);
		jsonh_copy(info.arch, sizeof(info.arch), a->arch);
		snprintf(info.description, sizeof(info.description), "%s %s %s", a->publisher,
			 a->offer, a->sku);
		if (cb(arg, &info))
			return 0;
	}
	return 0;
}

static int azure_cleanup(void *conn, const struct drv_ctx *ctx, struct drv_error *err)
{
	return azure_net_cleanup(conn, ctx, err);
}

__attribute__((visibility("default"))) const struct drv_ops baristafs_driver = {
	.abi_version = DRV_ABI_VERSION,
	.size = sizeof(struct drv_ops),
	.name = "azure",
	.caps = DRV_CAP_SUSPEND | DRV_CAP_REBOOT | DRV_CAP_TAGS | DRV_CAP_USER_DATA |
		DRV_CAP_IDEMPOTENT | DRV_CAP_PRICES | DRV_CAP_SSH_KEY | DRV_CAP_CREDENTIAL,
	.connect = azure_connect,
	.disconnect = azure_disconnect,
	.health = azure_health,
	.list_specs = azure_list_specs,
	.list_images = azure_list_images,
	.create_vm = azure_create_vm,
	.get_vm = azure_get_vm,
	.list_vms = azure_list_vms,
	.control_vm = azure_control_vm,
	.delete_vm = azure_delete_vm,
	.tag_vm = azure_tag_vm,
	.cleanup = azure_cleanup,
};
