/*
 * net.c - the network side of Azure VMs, which ARM makes the client build
 * itself (clouds.md: "Creating a VM takes several PUTs"):
 *
 *   once per connection   resource group (only when absent), a network
 *                         security group open to SSH, a virtual network
 *                         with one subnet behind that group;
 *   per VM                a static public IP and a NIC, each PUT and
 *                         waited for before the VM's PUT references it;
 *   after a VM            its NIC, public IP and OS disk, which deleting a
 *                         VM leaves behind.
 *
 * Every PUT is by name, so repeating it after a crash or a timeout is safe.
 * Resources carry managed-by=baristafs and baristafs-cloud=<cloud>, which
 * is how cleanup() recognises what this connection made (the resource
 * group is deleted only when this connection made it and it is empty).
 */
#include "drivers/azure/azure.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "drivers/common/jsonh.h"

#define NET_VNET_CIDR "10.78.0.0/16"
#define NET_SUBNET_CIDR "10.78.0.0/18"
#define NET_ID_MAX 512

/* "/subscriptions/<s>/resourceGroups/<g>/providers/<rest>" */
static void arm_id(const struct azure_conn *c, const char *rest, char *dst, size_t size)
{
	char path[NET_ID_MAX];

	snprintf(path, sizeof(path), "providers/%s", rest);
	dst[0] = '/';
	azure_group_path(c, path, dst + 1, size - 1);
}

/* The connection's tags, plus `extra` (borrowed) when given; new reference. */
static json_t *our_tags(const struct azure_conn *c, const json_t *extra)
{
	json_t *tags = extra ? json_deep_copy(extra) : json_object();

	json_object_set_new(tags, DRV_TAG_MANAGED, json_string(DRV_TAG_MANAGED_VALUE));
	json_object_set_new(tags, AZURE_TAG_CLOUD, json_string(c->cloud));
	return tags;
}

/* PUT a resource under our group and wait for it. */
static int put_wait(struct azure_conn *c, const struct drv_ctx *ctx, const char *rest,
		    const char *api, json_t *body, struct drv_error *err)
{
	struct http_response resp = HTTP_RESPONSE_INIT;
	char path[NET_ID_MAX], prov[NET_ID_MAX];
	int rc;

	if (!body)
		return -ENOMEM;
	snprintf(prov, sizeof(prov), "providers/%s", rest);
	azure_group_path(c, prov, path, sizeof(path));
	rc = azure_call(c, ctx, "PUT", path, api, body, &resp, NULL, err);
	if (rc == 0)
		rc = azure_wait(c, ctx, &resp, path, api, err);
	http_response_release(&resp);
	json_decref(body);
	return rc;
}

/* DELETE a resource under our group and wait until it is gone; absent is fine. */
static int delete_wait(struct azure_conn *c, const struct drv_ctx *ctx, const char *path,
		       const char *api, struct drv_error *err)
{
	struct http_response resp = HTTP_RESPONSE_INIT;
	int rc = azure_call(c, ctx, "DELETE", path, api, NULL, &resp, NULL, err);

	if (rc == 0)
		rc = azure_wait(c, ctx, &resp, NULL, api, err);
	http_response_release(&resp);
	return rc == -ENOENT ? 0 : rc;
}

static int delete_ours(struct azure_conn *c, const struct drv_ctx *ctx, const char *rest,
		       const char *api, struct drv_error *err)
{
	char path[NET_ID_MAX], prov[NET_ID_MAX];

	snprintf(prov, sizeof(prov), "providers/%s", rest);
	azure_group_path(c, prov, path, sizeof(path));
	return delete_wait(c, ctx, path, api, err);
}

/* ---- once per connection ------------------------------------------------------ */

static int ensure_group(struct azure_conn *c, const struct drv_ctx *ctx, struct drv_error *err)
{
	struct http_response resp = HTTP_RESPONSE_INIT;
	char path[256];
	json_t *body;
	int rc;

	snprintf(path, sizeof(path), "subscriptions/%s/resourcegroups/%s", c->subscription,
		 c->group);
	rc = azure_call(c, ctx, "GET", path, AZURE_API_RESOURCES, NULL, NULL, NULL, err);
	if (rc != -ENOENT)
		return rc;
	body = json_pack("{s:s, s:o}", "location", c->location, "tags", our_tags(c, NULL));
	if (!body)
		return -ENOMEM;
	rc = azure_call(c, ctx, "PUT", path, AZURE_API_RESOURCES, body, &resp, NULL, err);
	if (rc == 0)
		rc = azure_wait(c, ctx, &resp, path, AZURE_API_RESOURCES, err);
	http_response_release(&resp);
	json_decref(body);
	return rc;
}

static int ensure_nsg(struct azure_conn *c, const struct drv_ctx *ctx, struct drv_error *err)
{
	char rest[256];

	snprintf(rest, sizeof(rest), "Microsoft.Network/networkSecurityGroups/%s-nsg", c->prefix);
	return put_wait(c, ctx, rest, AZURE_API_NETWORK,
			json_pack("{s:s, s:o, s:{s:[{s:s, s:{s:s, s:s, s:s, s:s, s:s, s:s, s:i,"
				  " s:s}}]}}",
				  "location", c->location, "tags", our_tags(c, NULL),
				  "properties", "securityRules", "name", "ssh", "properties",
				  "protocol", "Tcp", "sourcePortRange", "*",
				  "destinationPortRange", "22", "sourceAddressPrefix", "*",
				  "destinationAddressPrefix", "*", "access", "Allow",
				  "priority", 1000, "direction", "Inbound"),
			err);
}

static int ensure_vnet(struct azure_conn *c, const struct drv_ctx *ctx, struct drv_error *err)
{
	char rest[256], nsg[NET_ID_MAX];

	snprintf(rest, sizeof(rest), "Microsoft.Network/networkSecurityGroups/%s-nsg", c->prefix);
	arm_id(c, rest, nsg, sizeof(nsg));
	snprintf(rest, sizeof(rest), "Microsoft.Network/virtualNetworks/%s-vnet", c->prefix);
	return put_wait(c, ctx, rest, AZURE_API_NETWORK,
			json_pack("{s:s, s:o, s:{s:{s:[s]}, s:[{s:s, s:{s:s, s:{s:s}}}]}}",
				  "location", c->location, "tags", our_tags(c, NULL),
				  "properties", "addressSpace", "addressPrefixes", NET_VNET_CIDR,
				  "subnets", "name", "default", "properties",
				  "addressPrefix", NET_SUBNET_CIDR,
				  "networkSecurityGroup", "id", nsg),
			err);
}

struct setup_step {
	struct azure_conn *c;
	const struct drv_ctx *ctx;
	struct drv_error *err;
};

static int setup_step(void *arg)
{
	struct setup_step *st = arg;
	int rc = ensure_group(st->c, st->ctx, st->err);

	if (rc == 0)
		rc = ensure_nsg(st->c, st->ctx, st->err);
	if (rc == 0)
		rc = ensure_vnet(st->c, st->ctx, st->err);
	return rc;
}

int azure_setup_lost(struct azure_conn *c, struct drv_error *err)
{
	char group[128];

	snprintf(group, sizeof(group), "'%s'", c->group);
	if (!strstr(err->message, c->prefix) && !strstr(err->message, group))
		return 0;
	once_reset(&c->setup);
	pthread_mutex_lock(&c->lock);
	json_object_clear(c->networks);
	pthread_mutex_unlock(&c->lock);
	err->retryable = true;
	return 1;
}

int azure_setup(struct azure_conn *c, const struct drv_ctx *ctx, struct drv_error *err)
{
	struct setup_step st = { c, ctx, err };
	int rc = once_run(&c->setup, ctx ? ctx->deadline_ms : 0, setup_step, &st);

	if (rc == -ETIMEDOUT && !err->code[0])
		drv_fail(err, ETIMEDOUT, "Timeout", "deadline passed waiting for the network set-up");
	return rc;
}

/* ---- per VM --------------------------------------------------------------------- */

static int vm_public_ip(struct azure_conn *c, const struct drv_ctx *ctx, const char *vm,
			const json_t *tags, struct drv_error *err)
{
	char rest[256];
	json_t *body = json_pack("{s:s, s:o, s:{s:s}, s:{s:s, s:s}}", "location", c->location,
				 "tags", our_tags(c, tags), "sku", "name", "Standard",
				 "properties", "publicIPAllocationMethod", "Static",
				 "publicIPAddressVersion", "IPv4");

	if (body && c->zone[0])
		json_object_set_new(body, "zones", json_pack("[s]", c->zone));
	snprintf(rest, sizeof(rest), "Microsoft.Network/publicIPAddresses/%s-ip", vm);
	return put_wait(c, ctx, rest, AZURE_API_NETWORK, body, err);
}

int azure_vm_network(struct azure_conn *c, const struct drv_ctx *ctx, const char *vm,
		     const json_t *tags, char *nic_id, size_t size, struct drv_error *err)
{
	char rest[256], subnet[NET_ID_MAX], pip[NET_ID_MAX];
	int rc = vm_public_ip(c, ctx, vm, tags, err);

	if (rc)
		return rc;
	snprintf(rest, sizeof(rest), "Microsoft.Network/virtualNetworks/%s-vnet/subnets/default",
		 c->prefix);
	arm_id(c, rest, subnet, sizeof(subnet));
	snprintf(rest, sizeof(rest), "Microsoft.Network/publicIPAddresses/%s-ip", vm);
	arm_id(c, rest, pip, sizeof(pip));
	snprintf(rest, sizeof(rest), "Microsoft.Network/networkInterfaces/%s-nic", vm);
	arm_id(c, rest, nic_id, size);
	return put_wait(c, ctx, rest, AZURE_API_NETWORK,
			json_pack("{s:s, s:o, s:{s:[{s:s, s:{s:{s:s}, s:s, s:{s:s}}}]}}",
				  "location", c->location, "tags", our_tags(c, tags),
				  "properties", "ipConfigurations", "name", "ipconfig1",
				  "properties", "subnet", "id", subnet,
				  "privateIPAllocationMethod", "Dynamic",
				  "publicIPAddress", "id", pip),
			err);
}

int azure_vm_leftovers(struct azure_conn *c, const struct drv_ctx *ctx, const char *vm,
		       struct drv_error *err)
{
	static const struct {
		const char *type, *suffix, *api;
	} parts[] = {	/* the NIC first: it holds the public IP */
		{ "Microsoft.Network/networkInterfaces", "-nic", AZURE_API_NETWORK },
		{ "Microsoft.Network/publicIPAddresses", "-ip", AZURE_API_NETWORK },
		{ "Microsoft.Compute/disks", "-osdisk", AZURE_API_COMPUTE },
	};
	char rest[256];
	int rc = 0;

	for (size_t i = 0; rc == 0 && i < sizeof(parts) / sizeof(parts[0]); i++) {
		snprintf(rest, sizeof(rest), "%s/%s%s", parts[i].type, vm, parts[i].suffix);
		rc = delete_ours(c, ctx, rest, parts[i].api, err);
	}
	return rc;
}

int azure_vm_addresses(struct azure_conn *c, const struct drv_ctx *ctx, const char *nic_id,
		       struct drv_vm *vm, struct drv_error *err)
{
	char path[NET_ID_MAX + 64], pip_id[NET_ID_MAX];
	json_t *doc = NULL;
	int rc;

	snprintf(path, sizeof(path), "%s?$expand=ipConfigurations/publicIPAddress", nic_id + 1);
	rc = azure_call(c, ctx, "GET", path, AZURE_API_NETWORK, NULL, NULL, &doc, err);
	if (rc == 0)
		azure_parse_nic(doc, vm->private_ip, sizeof(vm->private_ip), pip_id, sizeof(pip_id),
				vm->public_ip, sizeof(vm->public_ip));
	json_decref(doc);
	if (rc || vm->public_ip[0] || !pip_id[0])
		return rc;
	rc = azure_call(c, ctx, "GET", pip_id + 1, AZURE_API_NETWORK, NULL, NULL, &doc, err);
	if (rc == 0)
		jsonh_copy(vm->public_ip, sizeof(vm->public_ip),
			   jsonh_str(json_object_get(doc, "properties"), "ipAddress"));
	json_decref(doc);
	return rc;
}

/* ---- cleanup -------------------------------------------------------------------- */

struct sweep {
	struct azure_conn *c;
	const struct drv_ctx *ctx;
	const char *api;
	const char *attached;	/* the property that says it is in use */
	struct drv_error *err;
	int rc;
};

/* Delete one of our NICs or public IPs that nothing uses any more (a crash's leftover). */
static int sweep_item(void *arg, const json_t *item)
{
	struct sweep *s = arg;
	const json_t *tags = json_object_get(item, "tags");
	const char *cloud = jsonh_str(tags, AZURE_TAG_CLOUD), *id = jsonh_str(item, "id");
	int rc;

	if (!id || !cloud || strcmp(cloud, s->c->cloud) != 0 ||
	    json_object_get(json_object_get(item, "properties"), s->attached))
		return 0;
	rc = delete_wait(s->c, s->ctx, id + (id[0] == '/'), s->api, s->err);
	if (rc && !s->rc)
		s->rc = rc;
	return 0;
}

static int sweep(struct azure_conn *c, const struct drv_ctx *ctx, const char *type,
		 const char *attached, struct drv_error *err)
{
	struct sweep s = { c, ctx, AZURE_API_NETWORK, attached, err, 0 };
	char path[NET_ID_MAX], prov[160];
	int rc;

	snprintf(prov, sizeof(prov), "providers/Microsoft.Network/%s", type);
	azure_group_path(c, prov, path, sizeof(path));
	rc = azure_list(c, ctx, path, AZURE_API_NETWORK, sweep_item, &s, err);
	if (rc == -ENOENT)
		return 0;
	return rc ? rc : s.rc;
}

static int count_item(void *arg, const json_t *item)
{
	(void)item;
	(*(size_t *)arg)++;
	return 0;
}

static bool group_is_ours(const struct azure_conn *c, const json_t *group)
{
	const json_t *tags = json_object_get(group, "tags");
	const char *cloud = jsonh_str(tags, AZURE_TAG_CLOUD);

	return jsonh_str(tags, DRV_TAG_MANAGED) && cloud && strcmp(cloud, c->cloud) == 0;
}

/* Delete the resource group when this connection made it and it is empty now. */
static int delete_group(struct azure_conn *c, const struct drv_ctx *ctx, struct drv_error *err)
{
	char path[256], list[320];
	json_t *doc = NULL;
	size_t n = 0;
	bool ours;
	int rc;

	snprintf(path, sizeof(path), "subscriptions/%s/resourcegroups/%s", c->subscription,
		 c->group);
	rc = azure_call(c, ctx, "GET", path, AZURE_API_RESOURCES, NULL, NULL, &doc, err);
	ours = rc == 0 && group_is_ours(c, doc);
	json_decref(doc);
	if (rc == -ENOENT)
		return 0;
	if (rc || !ours)
		return rc;
	snprintf(list, sizeof(list), "%s/resources", path);
	rc = azure_list(c, ctx, list, AZURE_API_RESOURCES, count_item, &n, err);
	if (rc == -ENOENT)
		return 0;	/* what the group holds cannot be listed: keep it */
	if (rc || n)
		return rc;
	return delete_wait(c, ctx, path, AZURE_API_RESOURCES, err);
}

int azure_net_cleanup(struct azure_conn *c, const struct drv_ctx *ctx, struct drv_error *err)
{
	char rest[256];
	int rc = sweep(c, ctx, "networkInterfaces", "virtualMachine", err);

	if (rc == 0)
		rc = sweep(c, ctx, "publicIPAddresses", "ipConfiguration", err);
	snprintf(rest, sizeof(rest), "Microsoft.Network/virtualNetworks/%s-vnet", c->prefix);
	if (rc == 0)
		rc = delete_ours(c, ctx, rest, AZURE_API_NETWORK, err);
	snprintf(rest, sizeof(rest), "Microsoft.Network/networkSecurityGroups/%s-nsg", c->prefix);
	if (rc == 0)
		rc = delete_ours(c, ctx, rest, AZURE_API_NETWORK, err);
	if (rc == 0)
		rc = delete_group(c, ctx, err);
	once_reset(&c->setup);
	return rc;
}
