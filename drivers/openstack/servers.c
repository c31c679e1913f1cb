/*
 * servers.c - the VM operations on Nova servers.
 *
 * Idempotent create: Nova has no client token, so every server carries the
 * engine's token in its metadata (baristafs-token) next to the standard
 * tags, and create_vm first asks Nova for servers of that name
 * (GET /servers/detail?name=^<name>$, a regular expression) and answers
 * with the one holding the same token instead of creating another.  Nova
 * writes a server's record before it answers 202, so a create whose answer
 * was lost is found by the retry.
 *
 * Tags live in server metadata; Nova cannot filter on metadata, so
 * list_vms pages through /servers/detail and filters here.
 */
#include "drivers/openstack/openstack.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "drivers/common/codec.h"
#include "lib/sbuf.h"

#define SERVERS_PAGE "/servers/detail?limit=200"

/* ---- reading servers ----------------------------------------------------- */

/* Parse a server and name its flavor and image as a group spec would. */
static int read_server(struct openstack_conn *c, const json_t *server, struct drv_vm *vm)
{
	int rc = openstack_parse_server(server, vm);

	if (rc == 0)
		openstack_names_of(c, vm);
	return rc;
}

int openstack_get_vm(void *conn, const struct drv_ctx *ctx, const char *csp_id, struct drv_vm *out,
		     struct drv_error *err)
{
	struct openstack_conn *c = conn;
	char path[160];
	json_t *doc;
	int rc;

	snprintf(path, sizeof(path), "/servers/%s", csp_id);
	rc = openstack_call(c, ctx, "GET", OPENSTACK_COMPUTE, path, NULL, &doc, err);
	if (rc == 0 && read_server(c, json_object_get(doc, "server"), out) != 0)
		rc = drv_fail(err, EIO, "BadAnswer", "Nova answered a server without an id");
	json_decref(doc);
	return rc;
}

/* Does the server's metadata hold key=value? */
static bool has_meta(const json_t *server, const char *key, const char *value)
{
	const char *v = json_string_value(json_object_get(json_object_get(server, "metadata"), key));

	return v && strcmp(v, value) == 0;
}

struct vm_walk {
	struct openstack_conn *c;
	const char *key, *value;	/* the metadata filter */
	drv_vm_cb cb;
	void *arg;
	struct drv_vm *found;		/* find_token: the first match */
};

static int vm_item(void *arg, const json_t *server)
{
	struct vm_walk *w = arg;
	struct drv_vm vm;

	if (!has_meta(server, w->key, w->value) || read_server(w->c, server, &vm) != 0)
		return 0;
	if (w->found) {
		*w->found = vm;
		return 1;
	}
	return w->cb(w->arg, &vm) ? 1 : 0;
}

int openstack_list_vms(void *conn, const struct drv_ctx *ctx, const struct drv_kv *filter,
		       drv_vm_cb cb, void *arg, struct drv_error *err)
{
	struct vm_walk w = { conn, DRV_TAG_MANAGED, DRV_TAG_MANAGED_VALUE, cb, arg, NULL };
	int rc;

	if (filter) {
		w.key = filter->key;
		w.value = filter->value;
	}
	rc = openstack_list(conn, ctx, OPENSTACK_COMPUTE, SERVERS_PAGE, "servers", vm_item, &w, err);
	return rc > 0 ? 0 : rc;
}

/* A server of this name made with this token: 1 and *out, 0 none, or -errno. */
static int find_token(struct openstack_conn *c, const struct drv_ctx *ctx, const char *name,
		      const char *token, struct drv_vm *out, struct drv_error *err)
{
	struct vm_walk w = { c, OPENSTACK_META_TOKEN, token, NULL, NULL, out };
	char path[192];

	/* ^name$ as a regular expression; the name is [a-z0-9-] (driver.h). */
	snprintf(path, sizeof(path), "/servers/detail?name=%%5E%s%%24", name);
	return openstack_list(c, ctx, OPENSTACK_COMPUTE, path, "servers", vm_item, &w, err);
}

/* ---- create -------------------------------------------------------------- */

static int check_request(const struct drv_vm_req *req, struct drv_error *err)
{
	if (!req->name || !req->spec || !req->image || !req->client_token)
		return drv_fail(err, EINVAL, "MissingParameter",
				"a create needs a name, spec, image and client token");
	for (const char *p = req->name; *p; p++) {
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-'))
			return drv_fail(err, EINVAL, "InvalidParameter",
					"a VM name is [a-z0-9-] only");
	}
	if (strlen(req->name) > 63 || strlen(req->client_token) > 64)
		return drv_fail(err, EINVAL, "InvalidParameter", "VM name or token too long");
	return 0;
}

/* metadata: the request's tags plus our token. */
static json_t *server_metadata(const struct drv_vm_req *req)
{
	json_t *meta = json_object();

	for (size_t i = 0; meta && i < req->ntags; i++)
		json_object_set_new(meta, req->tags[i].key, json_string(req->tags[i].value));
	json_object_set_new(meta, OPENSTACK_META_TOKEN, json_string(req->client_token));
	return meta;
}

/* The optional parts of a server body: zone, user data, key, network, group. */
static int server_options(struct openstack_conn *c, const struct drv_vm_req *req,
			  const char *key_name, json_t *server)
{
	const char *zone = req->zone && *req->zone ? req->zone : c->zone;
	struct sbuf ud = SBUF_INIT;
	int rc = 0;

	if (zone && *zone)
		rc |= json_object_set_new(server, "availability_zone", json_string(zone));
	if (key_name[0])
		rc |= json_object_set_new(server, "key_name", json_string(key_name));
	if (c->net_id[0])
		rc |= json_object_set_new(server, "networks",
					  json_pack("[{s:s}]", "uuid", c->net_id));
	if (c->sg_name[0])
		rc |= json_object_set_new(server, "security_groups",
					  json_pack("[{s:s}]", "name", c->sg_name));
	if (req->user_data && *req->user_data) {	/* Nova wants it in base64 */
		rc |= codec_b64_encode(&ud, req->user_data, strlen(req->user_data));
		rc |= json_object_set_new(server, "user_data", json_string(sbuf_str(&ud)));
		sbuf_release(&ud);
	}
	return rc ? -ENOMEM : 0;
}

static json_t *server_body(struct openstack_conn *c, const struct drv_vm_req *req,
			   const char *flavor, const char *image, const char *key_name)
{
	json_t *server = json_pack("{s:s, s:s, s:s, s:i, s:i, s:o}", "name", req->name,
				   "flavorRef", flavor, "imageRef", image, "min_count", 1,
				   "max_count", 1, "metadata", server_metadata(req));

	if (server && server_options(c, req, key_name, server) != 0) {
		json_decref(server);
		return NULL;
	}
	return server ? json_pack("{s:o}", "server", server) : NULL;
}

/* Everything a create needs before its POST: ids, the network and group, the key. */
static int create_prepare(struct openstack_conn *c, const struct drv_ctx *ctx,
			  const struct drv_vm_req *req, char *flavor, char *image, char *key_name,
			  struct drv_error *err)
{
	const char *pubkey = req->ssh_public_key ? req->ssh_public_key : c->ssh_key;
	int rc = openstack_resolve(c, ctx, true, req->spec, flavor, OPENSTACK_ID_MAX, err);

	if (rc == 0)
		rc = openstack_resolve(c, ctx, false, req->image, image, OPENSTACK_ID_MAX, err);
	if (rc == 0)
		rc = openstack_setup(c, ctx, err);
	key_name[0] = '\0';
	if (rc == 0 && pubkey && *pubkey)
		rc = openstack_keypair(c, ctx, pubkey, key_name, OPENSTACK_ID_MAX, err);
	return rc;
}

int openstack_create_vm(void *conn, const struct drv_ctx *ctx, const struct drv_vm_req *req,
			struct drv_vm *out, struct drv_error *err)
{
	struct openstack_conn *c = conn;
	char flavor[OPENSTACK_ID_MAX], image[OPENSTACK_ID_MAX], key_name[OPENSTACK_ID_MAX];
	json_t *body = NULL, *doc = NULL;
	int rc = check_request(req, err);

	if (rc == 0)
		rc = find_token(c, ctx, req->name, req->client_token, out, err);
	if (rc != 0)
		return rc > 0 ? 0 : rc;		/* found: the earlier create stands */
	rc = create_prepare(c, ctx, req, flavor, image, key_name, err);
	if (rc)
		return rc;
	pthread_mutex_lock(&c->lock);
	body = server_body(c, req, flavor, image, key_name);
	pthread_mutex_unlock(&c->lock);
	if (!body)
		return -ENOMEM;
	rc = openstack_call(c, ctx, "POST", OPENSTACK_COMPUTE, "/servers", body, &doc, err);
	json_decref(body);
	if (rc == -EINVAL || rc == -ENOENT)
		openstack_setup_lost(c, err);
	if (rc == 0 && openstack_parse_server(json_object_get(doc, "server"), out) != 0)
		rc = drv_fail(err, EIO, "BadAnswer", "Nova accepted a server but named no id");
	json_decref(doc);
	if (rc)
		return rc;
	snprintf(out->name, sizeof(out->name), "%s", req->name);
	snprintf(out->status_raw, sizeof(out->status_raw), "BUILD");
	out->status = DRV_VM_CREATING;
	snprintf(out->client_token, sizeof(out->client_token), "%s", req->client_token);
	return 0;
}

/* ---- actions, delete, tags ----------------------------------------------- */

static const struct {
	enum drv_action action;
	const char *body;
	enum drv_vm_status settled;	/* a 409 in this status means done already */
} actions[] = {
	{ DRV_ACT_SUSPEND, "{\"os-stop\": null}", DRV_VM_SUSPENDED },
	{ DRV_ACT_RESUME, "{\"os-start\": null}", DRV_VM_RUNNING },
	{ DRV_ACT_REBOOT, "{\"reboot\": {\"type\": \"SOFT\"}}", DRV_VM_UNDEFINED },
};

/* After a 409: 0 when the server already is where the action leads. */
static int action_settled(struct openstack_conn *c, const struct drv_ctx *ctx, const char *csp_id,
			  enum drv_vm_status settled, struct drv_error *err)
{
	struct drv_error conflict = *err, mine = { 0 };
	struct drv_vm vm;

	if (settled != DRV_VM_UNDEFINED && openstack_get_vm(c, ctx, csp_id, &vm, &mine) == 0 &&
	    vm.status == settled)
		return 0;
	*err = conflict;
	return -EIO;
}

int openstack_control_vm(void *conn, const struct drv_ctx *ctx, const char *csp_id,
			 enum drv_action action, struct drv_error *err)
{
	char path[160];
	json_t *body;
	size_t i;
	int rc;

	for (i = 0; i < sizeof(actions) / sizeof(actions[0]) && actions[i].action != action; i++)
		;
	if (i == sizeof(actions) / sizeof(actions[0]))
		return drv_fail(err, EINVAL, "InvalidAction", "unknown action");
	snprintf(path, sizeof(path), "/servers/%s/action", csp_id);
	body = json_loads(actions[i].body, 0, NULL);
	rc = openstack_call(conn, ctx, "POST", OPENSTACK_COMPUTE, path, body, NULL, err);
	json_decref(body);
	if (rc == -EIO && err->http_status == 409)
		rc = action_settled(conn, ctx, csp_id, actions[i].settled, err);
	return rc;
}

int openstack_delete_vm(void *conn, const struct drv_ctx *ctx, const char *csp_id,
			struct drv_error *err)
{
	char path[160];
	int rc;

	snprintf(path, sizeof(path), "/servers/%s", csp_id);
	rc = openstack_call(conn, ctx, "DELETE", OPENSTACK_COMPUTE, path, NULL, NULL, err);
	return rc == -ENOENT ? 0 : rc;
}

/* The metadata a server keeps whatever the user's tags say. */
static bool standard_key(const char *key)
{
	return strcmp(key, DRV_TAG_ID) == 0 || strcmp(key, DRV_TAG_GROUP) == 0 ||
	       strcmp(key, DRV_TAG_MANAGED) == 0 || strcmp(key, OPENSTACK_META_TOKEN) == 0;
}

int openstack_tag_vm(void *conn, const struct drv_ctx *ctx, const char *csp_id,
		     const struct drv_kv *tags, size_t ntags, struct drv_error *err)
{
	char path[160];
	json_t *doc, *meta, *keep, *v;
	const char *key;
	int rc;

	snprintf(path, sizeof(path), "/servers/%s", csp_id);
	rc = openstack_call(conn, ctx, "GET", OPENSTACK_COMPUTE, path, NULL, &doc, err);
	if (rc)
		return rc;
	keep = json_object();
	json_object_foreach(json_object_get(json_object_get(doc, "server"), "metadata"), key, v) {
		if (standard_key(key))
			json_object_set(keep, key, v);
	}
	for (size_t i = 0; i < ntags; i++) {
		if (!standard_key(tags[i].key))
			json_object_set_new(keep, tags[i].key, json_string(tags[i].value));
	}
	json_decref(doc);
	meta = json_pack("{s:o}", "metadata", keep);
	snprintf(path, sizeof(path), "/servers/%s/metadata", csp_id);	/* replaces it all */
	rc = meta ? openstack_call(conn, ctx, "PUT", OPENSTACK_COMPUTE, path, meta, NULL, err)
		  : -ENOMEM;
	json_decref(meta);
	return rc;
}
