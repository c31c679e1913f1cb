/*
 * setup.c - what a connection makes for its servers, once, and deletes in
 * cleanup(): a security group open to SSH, Nova key pairs for the public
 * keys it is given, and a Neutron network with a subnet when the project
 * has no single network of its own to use (see our_network; the cloud
 * spec's "network" names one explicitly).
 *
 * Everything is found again by name, "baristafs-<cloud>" (key pairs
 * "baristafs-<cloud>-<hash of the key>"), and described
 * "managed-by=baristafs", so a restarted engine reuses what an earlier one
 * made instead of making it twice, and a set-up interrupted half-way is
 * completed.  The set-up runs once per connection (drivers/common/once.h):
 * the first create does it while concurrent creates wait for it.
 */
#include "drivers/openstack/openstack.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "drivers/common/hash.h"

#define SETUP_DESCRIPTION "managed-by=baristafs"
#define SETUP_CIDR "10.77.0.0/24"

/* ---- finding Neutron resources by name ----------------------------------- */

struct find {
	const char *name;
	char *id;
	size_t size;
};

static int find_item(void *arg, const json_t *item)
{
	struct find *f = arg;
	const char *name = json_string_value(json_object_get(item, "name"));
	const char *id = json_string_value(json_object_get(item, "id"));

	if (!name || !id || strcmp(name, f->name) != 0)
		return 0;
	snprintf(f->id, f->size, "%s", id);
	return 1;
}

/* The id of the `key` resource named `name` under `path`: 0, -ENOENT, or -errno. */
static int find_by_name(struct openstack_conn *c, const struct drv_ctx *ctx, const char *path,
			const char *key, const char *name, char *id, size_t size,
			struct drv_error *err)
{
	struct find f = { name, id, size };
	char url[256];
	int rc;

	snprintf(url, sizeof(url), "%s?name=%s", path, name);
	rc = openstack_list(c, ctx, OPENSTACK_NETWORK, url, key, find_item, &f, err);
	if (rc < 0)
		return rc;
	return rc > 0 ? 0 : -ENOENT;
}

/* POST {key: obj} to path and copy the new resource's id. */
static int neutron_create(struct openstack_conn *c, const struct drv_ctx *ctx, const char *path,
			  const char *key, json_t *obj, char *id, size_t size, struct drv_error *err)
{
	json_t *body = json_pack("{s:o}", key, obj), *doc = NULL;
	const char *got;
	int rc;

	if (!body)
		return -ENOMEM;
	rc = openstack_call(c, ctx, "POST", OPENSTACK_NETWORK, path, body, &doc, err);
	json_decref(body);
	got = json_string_value(json_object_get(json_object_get(doc, key), "id"));
	if (rc == 0 && !got)
		rc = drv_fail(err, EIO, "BadAnswer", "Neutron created a resource without an id");
	if (rc == 0 && id)
		snprintf(id, size, "%s", got);
	json_decref(doc);
	return rc;
}

static void our_name(const struct openstack_conn *c, char *dst, size_t size)
{
	snprintf(dst, size, "baristafs-%s", c->cloud);
}

/* ---- network ------------------------------------------------------------- */

static int has_subnet(void *arg, const json_t *item)
{
	(void)arg;
	(void)item;
	return 1;
}

static int ensure_subnet(struct openstack_conn *c, const struct drv_ctx *ctx, const char *net_id,
			 struct drv_error *err)
{
	char path[160], name[96];
	int rc;

	snprintf(path, sizeof(path), "/v2.0/subnets?network_id=%s", net_id);
	rc = openstack_list(c, ctx, OPENSTACK_NETWORK, path, "subnets", has_subnet, NULL, err);
	if (rc != 0)
		return rc > 0 ? 0 : rc;
	our_name(c, name, sizeof(name));
	return neutron_create(c, ctx, "/v2.0/subnets", "subnet",
			      json_pack("{s:s, s:s, s:i, s:s, s:s}", "network_id", net_id,
					"name", name, "ip_version", 4, "cidr", SETUP_CIDR,
					"description", SETUP_DESCRIPTION),
			      NULL, 0, err);
}

/* The spec's network, by name or id. */
static int named_network(struct openstack_conn *c, const struct drv_ctx *ctx, char *id,
			 size_t size, struct drv_error *err)
{
	char path[192], msg[160];
	json_t *doc;
	int rc = find_by_name(c, ctx, "/v2.0/networks", "networks", c->network, id, size, err);

	if (rc != -ENOENT)
		return rc;
	snprintf(path, sizeof(path), "/v2.0/networks/%s", c->network);
	rc = openstack_call(c, ctx, "GET", OPENSTACK_NETWORK, path, NULL, &doc, err);
	json_decref(doc);
	if (rc == 0)
		snprintf(id, size, "%s", c->network);
	if (rc != -ENOENT)
		return rc;
	snprintf(msg, sizeof(msg), "the cloud has no network named %s", c->network);
	return drv_fail(err, EINVAL, "NetworkNotFound", msg);
}

struct tenant_nets {
	int n;			/* networks that are not external */
	char id[OPENSTACK_ID_MAX];	/* the last of them */
};

static int tenant_item(void *arg, const json_t *net)
{
	struct tenant_nets *t = arg;
	const char *id = json_string_value(json_object_get(net, "id"));

	if (!id || json_is_true(json_object_get(net, "router:external")))
		return 0;
	t->n++;
	snprintf(t->id, sizeof(t->id), "%s", id);
	return 0;
}

/*
 * The network servers join when the spec names none: ours when an earlier
 * run made it; else the project's network when it has exactly one that is
 * not external (what Nova itself would pick, and one that routers already
 * serve); else a network and subnet of our own.
 */
static int our_network(struct openstack_conn *c, const struct drv_ctx *ctx, char *id, size_t size,
		       struct drv_error *err)
{
	struct tenant_nets t = { 0, "" };
	char name[96];
	int rc;

	our_name(c, name, sizeof(name));
	rc = find_by_name(c, ctx, "/v2.0/networks", "networks", name, id, size, err);
	if (rc == 0)
		return ensure_subnet(c, ctx, id, err);
	if (rc != -ENOENT)
		return rc;
	rc = openstack_list(c, ctx, OPENSTACK_NETWORK, "/v2.0/networks", "networks", tenant_item,
			    &t, err);
	if (rc == 0 && t.n == 1) {
		snprintf(id, size, "%s", t.id);
		return 0;
	}
	if (rc == 0)
		rc = neutron_create(c, ctx, "/v2.0/networks", "network",
				    json_pack("{s:s, s:s, s:b}", "name", name, "description",
					      SETUP_DESCRIPTION, "admin_state_up", 1),
				    id, size, err);
	return rc ? rc : ensure_subnet(c, ctx, id, err);
}

/* ---- security group ------------------------------------------------------ */

static int ssh_rule(void *arg, const json_t *rule)
{
	const char *dir = json_string_value(json_object_get(rule, "direction"));
	const char *proto = json_string_value(json_object_get(rule, "protocol"));
	json_int_t lo = json_integer_value(json_object_get(rule, "port_range_min"));
	json_int_t hi = json_integer_value(json_object_get(rule, "port_range_max"));

	(void)arg;
	return dir && proto && strcmp(dir, "ingress") == 0 && strcmp(proto, "tcp") == 0 &&
	       lo <= 22 && hi >= 22;
}

static int ensure_ssh_rule(struct openstack_conn *c, const struct drv_ctx *ctx, const char *sg_id,
			   struct drv_error *err)
{
	char path[160];
	int rc;

	snprintf(path, sizeof(path), "/v2.0/security-group-rules?security_group_id=%s", sg_id);
	rc = openstack_list(c, ctx, OPENSTACK_NETWORK, path, "security_group_rules", ssh_rule, NULL,
			    err);
	if (rc != 0)
		return rc > 0 ? 0 : rc;
	rc = neutron_create(c, ctx, "/v2.0/security-group-rules", "security_group_rule",
			    json_pack("{s:s, s:s, s:s, s:s, s:i, s:i, s:s}", "security_group_id",
				      sg_id, "direction", "ingress", "ethertype", "IPv4", "protocol",
				      "tcp", "port_range_min", 22, "port_range_max", 22,
				      "remote_ip_prefix", "0.0.0.0/0"),
			    NULL, 0, err);
	return rc == -EIO && err->http_status == 409 ? 0 : rc;	/* the rule exists */
}

static int our_secgroup(struct openstack_conn *c, const struct drv_ctx *ctx,
			struct drv_error *err)
{
	char name[96], id[OPENSTACK_ID_MAX];
	int rc;

	our_name(c, name, sizeof(name));
	rc = find_by_name(c, ctx, "/v2.0/security-groups", "security_groups", name, id, sizeof(id),
			  err);
	if (rc == -ENOENT)
		rc = neutron_create(c, ctx, "/v2.0/security-groups", "security_group",
				    json_pack("{s:s, s:s}", "name", name, "description",
					      SETUP_DESCRIPTION),
				    id, sizeof(id), err);
	if (rc == 0)
		rc = ensure_ssh_rule(c, ctx, id, err);
	return rc;
}

/* ---- once per connection ------------------------------------------------- */

static bool has_neutron(struct openstack_conn *c)
{
	bool yes;

	pthread_mutex_lock(&c->lock);
	yes = c->catalog.network[0] != '\0';
	pthread_mutex_unlock(&c->lock);
	return yes;
}

struct setup_step {
	struct openstack_conn *c;
	const struct drv_ctx *ctx;
	struct drv_error *err;
};

/* Keep what a step found, so that a set-up interrupted later resumes after it. */
static void setup_keep(struct openstack_conn *c, char *field, size_t size, const char *value)
{
	pthread_mutex_lock(&c->lock);
	snprintf(field, size, "%s", value);
	pthread_mutex_unlock(&c->lock);
}

static bool setup_has(struct openstack_conn *c, const char *field)
{
	bool yes;

	pthread_mutex_lock(&c->lock);
	yes = field[0] != '\0';
	pthread_mutex_unlock(&c->lock);
	return yes;
}

static int setup_run(struct openstack_conn *c, const struct drv_ctx *ctx, struct drv_error *err)
{
	char net[OPENSTACK_ID_MAX], sg[96];
	int rc = 0;

	if (!has_neutron(c))
		return 0;	/* nova-network era cloud: Nova's defaults apply */
	if (!setup_has(c, c->net_id)) {
		rc = c->network ? named_network(c, ctx, net, sizeof(net), err)
				: our_network(c, ctx, net, sizeof(net), err);
		if (rc == 0)
			setup_keep(c, c->net_id, sizeof(c->net_id), net);
	}
	if (rc == 0 && !setup_has(c, c->sg_name))
		rc = our_secgroup(c, ctx, err);
	if (rc == 0) {
		our_name(c, sg, sizeof(sg));
		setup_keep(c, c->sg_name, sizeof(c->sg_name), sg);
	}
	return rc;
}

static int setup_step(void *arg)
{
	struct setup_step *st = arg;

	return setup_run(st->c, st->ctx, st->err);
}

int openstack_setup_lost(struct openstack_conn *c, struct drv_error *err)
{
	char ours[96];
	bool lost;

	/* By name, not by what is cached: a concurrent create may have cleared that. */
	our_name(c, ours, sizeof(ours));
	pthread_mutex_lock(&c->lock);
	lost = strstr(err->message, ours) || (c->net_id[0] && strstr(err->message, c->net_id));
	if (lost)
		c->net_id[0] = c->sg_name[0] = '\0';
	pthread_mutex_unlock(&c->lock);
	if (!lost)
		return 0;
	once_reset(&c->setup);
	err->retryable = true;
	return 1;
}

int openstack_setup(struct openstack_conn *c, const struct drv_ctx *ctx, struct drv_error *err)
{
	struct setup_step st = { c, ctx, err };
	int rc = once_run(&c->setup, ctx ? ctx->deadline_ms : 0, setup_step, &st);

	if (rc == -ETIMEDOUT && !err->code[0])
		drv_fail(err, ETIMEDOUT, "Timeout", "deadline passed waiting for the network set-up");
	return rc;
}

/* ---- key pairs ----------------------------------------------------------- */

int openstack_keypair(struct openstack_conn *c, const struct drv_ctx *ctx, const char *pubkey,
		      char *name, size_t size, struct drv_error *err)
{
	unsigned char md[HASH_SHA256_LEN];
	json_t *body;
	int rc;

	hash_sha256(pubkey, strlen(pubkey), md);
	snprintf(name, size, "baristafs-%s-%02x%02x%02x%02x%02x%02x", c->cloud, md[0], md[1], md[2],
		 md[3], md[4], md[5]);
	body = json_pack("{s:{s:s, s:s}}", "keypair", "name", name, "public_key", pubkey);
	if (!body)
		return drv_fail(err, EINVAL, "InvalidKey", "the SSH public key is not text");
	rc = openstack_call(c, ctx, "POST", OPENSTACK_COMPUTE, "/os-keypairs", body, NULL, err);
	json_decref(body);
	return rc == -EIO && err->http_status == 409 ? 0 : rc;	/* named by its hash: ours */
}

/* ---- cleanup ------------------------------------------------------------- */

struct key_walk {
	struct openstack_conn *c;
	const struct drv_ctx *ctx;
	struct drv_error *err;
	int rc;
};

static int delete_key(void *arg, const json_t *item)
{
	struct key_walk *w = arg;
	const char *name = json_string_value(json_object_get(json_object_get(item, "keypair"),
							     "name"));
	char prefix[96], path[192];
	int rc;

	snprintf(prefix, sizeof(prefix), "baristafs-%s-", w->c->cloud);
	if (!name || strncmp(name, prefix, strlen(prefix)) != 0)
		return 0;
	snprintf(path, sizeof(path), "/os-keypairs/%s", name);
	rc = openstack_call(w->c, w->ctx, "DELETE", OPENSTACK_COMPUTE, path, NULL, NULL, w->err);
	if (rc && rc != -ENOENT)
		w->rc = rc;
	return 0;
}

/* Delete our `key` resource named baristafs-<cloud> under path, if there is one. */
static int delete_ours(struct openstack_conn *c, const struct drv_ctx *ctx, const char *path,
		       const char *key, struct drv_error *err)
{
	char name[96], id[OPENSTACK_ID_MAX], url[256];
	int rc;

	our_name(c, name, sizeof(name));
	rc = find_by_name(c, ctx, path, key, name, id, sizeof(id), err);
	if (rc)
		return rc == -ENOENT ? 0 : rc;
	snprintf(url, sizeof(url), "%s/%s", path, id);
	rc = openstack_call(c, ctx, "DELETE", OPENSTACK_NETWORK, url, NULL, NULL, err);
	return rc == -ENOENT ? 0 : rc;
}

int openstack_cleanup(void *conn, const struct drv_ctx *ctx, struct drv_error *err)
{
	struct openstack_conn *c = conn;
	struct key_walk w = { c, ctx, err, 0 };
	int rc = openstack_list(c, ctx, OPENSTACK_COMPUTE, "/os-keypairs", "keypairs", delete_key,
				&w, err);

	if (rc == 0)
		rc = w.rc;
	if (rc == 0 && has_neutron(c))
		rc = delete_ours(c, ctx, "/v2.0/security-groups", "security_groups", err);
	if (rc == 0 && has_neutron(c) && !c->network)
		rc = delete_ours(c, ctx, "/v2.0/networks", "networks", err);
	pthread_mutex_lock(&c->lock);
	c->net_id[0] = c->sg_name[0] = '\0';
	pthread_mutex_unlock(&c->lock);
	once_reset(&c->setup);
	return rc;
}
