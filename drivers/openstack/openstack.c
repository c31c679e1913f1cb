/*
 * openstack.c - the OpenStack driver: connect, health and the operations
 * table (the only symbol drivers/openstack.so exports).
 *
 * Cloud spec: "endpoint" is the Keystone v3 URL (required; everything else
 * comes from the token's catalog), "region" picks the catalog's region,
 * "zone" the default availability zone, "ca_file" a CA to trust, plus the
 * driver's own optional keys: "network" (an existing network to attach
 * servers to instead of the connection's own), "interface" (catalog
 * interface, default "public"), "ssh_key" (a public key for every server)
 * and "prices" ({"<flavor>": usd_per_hour}).
 * Credential: username, password, project, domain (default "Default", used
 * for both the user's and the project's domain).  Without one, connect()
 * succeeds and every call answers EACCES until it is given.
 *
 * connect() makes no network call; the first operation authenticates.
 */
#include "drivers/openstack/openstack.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "drivers/common/conf.h"

/* A copy of o[key] when it is a non-empty string, else of def (may be NULL). */
static int dup_key(const json_t *o, const char *key, const char *def, char **out)
{
	const char *v = json_string_value(json_object_get(o, key));

	if (!v || !*v)
		v = def;
	*out = v ? strdup(v) : NULL;
	return v && !*out ? -ENOMEM : 0;
}

static void conn_free(struct openstack_conn *c)
{
	if (!c)
		return;
	bearer_free(c->auth);
	if (c->password)
		OPENSSL_cleanse(c->password, strlen(c->password));
	free(c->password);
	free(c->cloud);
	free(c->auth_url);
	free(c->username);
	free(c->project);
	free(c->domain);
	free(c->region);
	free(c->interface);
	free(c->zone);
	free(c->network);
	free(c->ssh_key);
	json_decref(c->prices);
	json_decref(c->flavors);
	json_decref(c->images);
	once_release(&c->setup);
	pthread_mutex_destroy(&c->lock);
	free(c);
}

static int read_spec(struct openstack_conn *c, const json_t *spec, struct drv_error *err)
{
	const char *endpoint = json_string_value(json_object_get(spec, "endpoint"));
	const json_t *prices = json_object_get(spec, "prices");
	int rc = 0;

	if (!endpoint || !*endpoint)
		return drv_fail(err, EINVAL, "MissingParameter",
				"openstack: the spec needs endpoint, the Keystone v3 URL");
	if (prices && !json_is_object(prices))
		return drv_fail(err, EINVAL, "InvalidParameter",
				"openstack: prices must be an object of flavor: usd_per_hour");
	c->auth_url = openstack_keystone_url(endpoint);
	c->prices = prices ? json_deep_copy(prices) : json_object();
	rc |= dup_key(spec, "region", "", &c->region);
	rc |= dup_key(spec, "zone", "", &c->zone);
	rc |= dup_key(spec, "interface", "public", &c->interface);
	rc |= dup_key(spec, "network", NULL, &c->network);
	rc |= dup_key(spec, "ssh_key", NULL, &c->ssh_key);
	return rc || !c->auth_url || !c->prices ? -ENOMEM : 0;
}

static int read_credential(struct openstack_conn *c, const json_t *cred, struct drv_error *err)
{
	int rc = 0;

	if (!cred)
		return 0;	/* not given yet: calls answer EACCES (keystone.c) */
	rc |= dup_key(cred, "username", NULL, &c->username);
	rc |= dup_key(cred, "password", NULL, &c->password);
	rc |= dup_key(cred, "project", NULL, &c->project);
	rc |= dup_key(cred, "domain", "Default", &c->domain);
	if (rc)
		return -ENOMEM;
	if (!c->username || !c->password || !c->project)
		return drv_fail(err, EINVAL, "MissingCredential",
				"openstack: the credential needs username, password and project");
	return 0;
}

static int conn_tools(struct openstack_conn *c, const json_t *spec, struct drv_error *err)
{
	struct bearer_opts bo = {
		.fetch = openstack_keystone_fetch, .arg = c, .header = "X-Auth-Token",
		.ca_file = json_string_value(json_object_get(spec, "ca_file")),
		.pool = conf_pool(spec),
	};

	c->flavors = json_object();
	c->images = json_object();
	if (!c->flavors || !c->images)
		return -ENOMEM;
	return bearer_new(&bo, &c->auth, err);
}

static int openstack_connect(const struct drv_config *cfg, void **conn, struct drv_error *err)
{
	struct openstack_conn *c = calloc(1, sizeof(*c));
	int rc;

	if (!c)
		return -ENOMEM;
	pthread_mutex_init(&c->lock, NULL);
	once_init(&c->setup);
	c->cloud = strdup(cfg->cloud ? cfg->cloud : "default");
	rc = c->cloud ? read_spec(c, cfg->spec, err) : -ENOMEM;
	if (rc == 0)
		rc = read_credential(c, cfg->credential, err);
	if (rc == 0)
		rc = conn_tools(c, cfg->spec, err);
	if (rc) {
		conn_free(c);
		return rc;
	}
	*conn = c;
	return 0;
}

static void openstack_disconnect(void *conn)
{
	conn_free(conn);
}

/* Authenticate (when no token is cached) and read one flavor. */
static int openstack_health(void *conn, const struct drv_ctx *ctx, struct drv_error *err)
{
	return openstack_call(conn, ctx, "GET", OPENSTACK_COMPUTE, "/flavors?limit=1", NULL, NULL,
			      err);
}

__attribute__((visibility("default"))) const struct drv_ops baristafs_driver = {
	.abi_version = DRV_ABI_VERSION,
	.size = sizeof(struct drv_ops),
	.name = "openstack",
	.caps = DRV_CAP_SUSPEND | DRV_CAP_REBOOT | DRV_CAP_TAGS | DRV_CAP_USER_DATA |
		DRV_CAP_IDEMPOTENT | DRV_CAP_PRICES | DRV_CAP_SSH_KEY | DRV_CAP_CREDENTIAL,
	.connect = openstack_connect,
	.disconnect = openstack_disconnect,
	.health = openstack_health,
	.list_specs = openstack_list_specs,
	.list_images = openstack_list_images,
	.create_vm = openstack_create_vm,
	.get_vm = openstack_get_vm,
	.list_vms = openstack_list_vms,
	.control_vm = openstack_control_vm,
	.delete_vm = openstack_delete_vm,
	.tag_vm = openstack_tag_vm,
	.cleanup = openstack_cleanup,
};
