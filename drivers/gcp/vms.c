/*
 * vms.c - the VM operations on GCE instances.
 *
 * Idempotent create: every insert carries a requestId derived from the
 * engine's client token, so a retry within GCE's hour of memory gets the
 * first insert's operation back instead of a second VM; later, the
 * instance name (unique per zone) answers alreadyExists and the driver
 * checks the token in the instance's metadata.
 *
 * An insert is accepted before it is done: quota and capacity failures
 * come later, in the operation, and the instance then never appears.  The
 * connection remembers each insert's operation until its instance shows,
 * so get_vm can tell "Failed: Quota 'CPUS' exceeded" from "gone".
 *
 * Tags are labels (sanitized to GCE's alphabet, filterable by the API) and
 * metadata items (exact values): list_vms filters on the label and checks
 * the exact value.
 */
#include "drivers/gcp/gcp.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "drivers/common/codec.h"
#include "drivers/common/hash.h"
#include "lib/sbuf.h"

#define GCP_SSH_USER "baristafs"

struct gcp_ref {
	char zone[64];
	char name[64];
};

/* Split a csp_id "<zone>/<name>"; -EINVAL when it is not one. */
static int parse_ref(const char *csp_id, struct gcp_ref *ref, struct drv_error *err)
{
	const char *slash = strchr(csp_id, '/');
	size_t zlen = slash ? (size_t)(slash - csp_id) : 0;

	if (!slash || !zlen || zlen >= sizeof(ref->zone) || strchr(slash + 1, '/') ||
	    !slash[1] || strlen(slash + 1) >= sizeof(ref->name))
		return drv_fail(err, EINVAL, "InvalidParameter", "a GCE csp_id is <zone>/<name>");
	memcpy(ref->zone, csp_id, zlen);
	ref->zone[zlen] = '\0';
	snprintf(ref->name, sizeof(ref->name), "%s", slash + 1);
	return 0;
}

/* The requestId of an action: stable across the engine's retries of one operation. */
static void action_request_id(const struct drv_ctx *ctx, const char *what, const char *csp_id,
			      char id[37])
{
	char seed[384];

	if (!ctx || !ctx->op_id || !*ctx->op_id) {
		hash_uuid4(id);
		return;
	}
	snprintf(seed, sizeof(seed), "%s:%s:%s", ctx->op_id, what, csp_id);
	gcp_request_id(seed, id);
}

/* ---- inserts in flight ----------------------------------------------------- */

static void insert_remember(struct gcp_conn *c, const char *csp_id, const char *op)
{
	pthread_mutex_lock(&c->lock);
	json_object_set_new(c->inserts, csp_id, json_string(op));
	pthread_mutex_unlock(&c->lock);
}

static void insert_forget(struct gcp_conn *c, const char *csp_id)
{
	pthread_mutex_lock(&c->lock);
	json_object_del(c->inserts, csp_id);
	pthread_mutex_unlock(&c->lock);
}

static int insert_op(struct gcp_conn *c, const char *csp_id, char *op, size_t size)
{
	const char *v;

	pthread_mutex_lock(&c->lock);
	v = json_string_value(json_object_get(c->inserts, csp_id));
	if (v)
		snprintf(op, size, "%s", v);
	pthread_mutex_unlock(&c->lock);
	return v ? 0 : -ENOENT;
}

/*
 * A VM we asked for that does not exist (yet): Creating while its insert
 * runs, Failed with the operation's error when it failed, -ENOENT when its
 * insert is unknown or succeeded (the VM was deleted since).
 */
static int vm_from_insert(struct gcp_conn *c, const struct drv_ctx *ctx, const struct gcp_ref *ref,
			  const char *csp_id, struct drv_vm *out, struct drv_error *err)
{
	struct drv_error op_err = { 0 };
	char opname[128], path[256];
	struct gcp_op op;
	json_t *doc;
	int rc;

	if (insert_op(c, csp_id, opname, sizeof(opname)) != 0)
		return -ENOENT;
	snprintf(path, sizeof(path), "zones/%s/operations/%s", ref->zone, opname);
	rc = gcp_call(c, ctx, "GET", path, NULL, &doc, err);
	if (rc == 0 && gcp_parse_operation(doc, &op) != 0)
		rc = drv_fail(err, EIO, "BadAnswer", "the operation answer has no name");
	json_decref(doc);
	if (rc == -ENOENT)
		insert_forget(c, csp_id);	/* operations expire */
	if (rc)
		return rc;
	memset(out, 0, sizeof(*out));
	snprintf(out->csp_id, sizeof(out->csp_id), "%s", csp_id);
	snprintf(out->name, sizeof(out->name), "%s", ref->name);
	snprintf(out->zone, sizeof(out->zone), "%s", ref->zone);
	if (strcmp(op.status, "DONE") != 0) {
		snprintf(out->status_raw, sizeof(out->status_raw), "PROVISIONING");
		out->status = DRV_VM_CREATING;
		return 0;
	}
	if (gcp_op_error(&op, &op_err) == 0) {
		insert_forget(c, csp_id);
		return -ENOENT;
	}
	snprintf(out->status_raw, sizeof(out->status_raw), "%.47s", op.error_code);
	snprintf(out->reason, sizeof(out->reason), "%s", op.error_message);
	out->status = DRV_VM_FAILED;
	return 0;
}

/* ---- get, list ------------------------------------------------------------- */

static int get_instance(struct gcp_conn *c, const struct drv_ctx *ctx, const struct gcp_ref *ref,
			json_t **doc, struct drv_error *err)
{
	char path[192];

	snprintf(path, sizeof(path), "zones/%s/instances/%s", ref->zone, ref->name);
	return gcp_call(c, ctx, "GET", path, NULL, doc, err);
}

int gcp_get_vm(void *conn, const struct drv_ctx *ctx, const char *csp_id, struct drv_vm *out,
	       struct drv_error *err)
{
	struct gcp_conn *c = conn;
	struct gcp_ref ref;
	json_t *doc = NULL;
	int rc = parse_ref(csp_id, &ref, err);

	if (rc == 0)
		rc = get_instance(c, ctx, &ref, &doc, err);
	if (rc == 0 && gcp_parse_instance(doc, out) != 0)
		rc = drv_fail(err, EIO, "BadAnswer", "an instance answer without name or zone");
	json_decref(doc);
	if (rc == 0)
		insert_forget(c, csp_id);
	else if (rc == -ENOENT)
		rc = vm_from_insert(c, ctx, &ref, csp_id, out, err);
	return rc;
}

struct vm_walk {
	const char *key, *value;	/* the tag filter */
	drv_vm_cb cb;
	void *arg;
};

/* Does the instance carry tag key=value (exactly, by its metadata, or by its label)? */
static bool has_tag(const json_t *inst, const char *key, const char *value)
{
	const char *exact = gcp_metadata(inst, key);
	char lkey[64], lval[64];
	const char *label;

	if (exact)
		return strcmp(exact, value) == 0;
	gcp_label(key, lkey, sizeof(lkey));
	gcp_label(value, lval, sizeof(lval));
	label = json_string_value(json_object_get(json_object_get(inst, "labels"), lkey));
	return label && strcmp(label, lval) == 0;
}

static int vm_item(void *arg, const json_t *inst)
{
	struct vm_walk *w = arg;
	struct drv_vm vm;

	if (!has_tag(inst, w->key, w->value) || gcp_parse_instance(inst, &vm) != 0)
		return 0;
	return w->cb(w->arg, &vm) ? 1 : 0;
}

/* "<prefix>?maxResults=500&filter=labels.<key> = "<value>"" (encoded). */
static char *list_path(const char *prefix, const char *key, const char *value)
{
	struct sbuf sb = SBUF_INIT;
	char lkey[64], lval[64], filter[160];
	int rc;

	gcp_label(key, lkey, sizeof(lkey));
	gcp_label(value, lval, sizeof(lval));
	snprintf(filter, sizeof(filter), "labels.%s = \"%s\"", lkey, lval);
	rc = sbuf_addf(&sb, "%s?maxResults=500&filter=", prefix);
	if (rc == 0)
		rc = codec_pct_encode(&sb, filter, strlen(filter), false);
	if (rc) {
		sbuf_release(&sb);
		return NULL;
	}
	return sbuf_detach(&sb, NULL);
}

int gcp_list_vms(void *conn, const struct drv_ctx *ctx, const struct drv_kv *filter, drv_vm_cb cb,
		 void *arg, struct drv_error *err)
{
	struct gcp_conn *c = conn;
	struct vm_walk w = { DRV_TAG_MANAGED, DRV_TAG_MANAGED_VALUE, cb, arg };
	char zone_prefix[128];
	char *path;
	int rc;

	if (filter) {
		w.key = filter->key;
		w.value = filter->value;
	}
	path = list_path("aggregated/instances", w.key, w.value);
	rc = path ? gcp_list(c, ctx, path, "instances", vm_item, &w, err) : -ENOMEM;
	free(path);
	if (rc != -ENOENT)
		return rc > 0 ? 0 : rc;
	/* No aggregated listing here: the default zone's. */
	snprintf(zone_prefix, sizeof(zone_prefix), "zones/%s/instances", c->zone);
	path = list_path(zone_prefix, w.key, w.value);
	rc = path ? gcp_list(c, ctx, path, "instances", vm_item, &w, err) : -ENOMEM;
	free(path);
	return rc > 0 ? 0 : rc;
}

/* ---- create ---------------------------------------------------------------- */

static int add_item(json_t *items, const char *key, const char *value)
{
	return json_array_append_new(items, json_pack("{s:s, s:s}", "key", key, "value", value));
}

/* Metadata items: the tags exactly, our token and image name, user data, the SSH key. */
static json_t *vm_metadata(const struct gcp_conn *c, const struct drv_vm_req *req)
{
	const char *pubkey = req->ssh_public_key ? req->ssh_public_key : c->ssh_key;
	json_t *items = json_array();
	char key[64], *ssh = NULL;
	int rc = items ? 0 : -1;

	for (size_t i = 0; rc == 0 && i < req->ntags; i++) {
		gcp_label(req->tags[i].key, key, sizeof(key));
		rc = add_item(items, key, req->tags[i].value);
	}
	rc |= add_item(items, GCP_META_TOKEN, req->client_token);
	rc |= add_item(items, GCP_META_IMAGE, req->image);
	if (req->user_data && *req->user_data)
		rc |= add_item(items, "user-data", req->user_data);
	if (pubkey && *pubkey && asprintf(&ssh, "%s:%s", GCP_SSH_USER, pubkey) > 0)
		rc |= add_item(items, "ssh-keys", ssh);
	free(ssh);
	if (rc) {
		json_decref(items);
		return NULL;
	}
	return json_pack("{s:o}", "items", items);
}

static json_t *vm_labels(const struct drv_kv *tags, size_t ntags)
{
	json_t *labels = json_object();
	char key[64], value[64];

	for (size_t i = 0; labels && i < ntags; i++) {
		gcp_label(tags[i].key, key, sizeof(key));
		gcp_label(tags[i].value, value, sizeof(value));
		json_object_set_new(labels, key, json_string(value));
	}
	return labels;
}

static json_t *vm_body(const struct gcp_conn *c, const struct drv_vm_req *req, const char *zone,
		       const char *image)
{
	char machine[192];

	snprintf(machine, sizeof(machine), "zones/%s/machineTypes/%s", zone, req->spec);
	return json_pack("{s:s, s:s, s:[{s:b, s:b, s:{s:s}}], s:[{s:s, s:[{s:s, s:s}]}],"
			 " s:{s:[s]}, s:o, s:o}",
			 "name", req->name, "machineType", machine,
			 "disks", "boot", 1, "autoDelete", 1, "initializeParams", "sourceImage", image,
			 "networkInterfaces", "network", c->network, "accessConfigs",
			 "name", "External NAT", "type", "ONE_TO_ONE_NAT",
			 "tags", "items", c->tag,
			 "labels", vm_labels(req->tags, req->ntags),
			 "metadata", vm_metadata(c, req));
}

/* A name taken: ours when the instance there carries this create's token. */
static int create_exists(struct gcp_conn *c, const struct drv_ctx *ctx, const struct gcp_ref *ref,
			 const char *token, struct drv_vm *out, struct drv_error *err)
{
	struct drv_error conflict = *err, mine = { 0 };
	json_t *doc = NULL;
	int rc = get_instance(c, ctx, ref, &doc, &mine);

	if (rc == 0 && gcp_parse_instance(doc, out) == 0 && strcmp(out->client_token, token) == 0) {
		json_decref(doc);
		return 0;
	}
	json_decref(doc);
	*err = conflict;
	return -EIO;
}

/* Read the insert's operation: accepted (remember it) or failed already. */
static int create_accepted(struct gcp_conn *c, const json_t *doc, const struct gcp_ref *ref,
			   struct drv_vm *out, struct drv_error *err)
{
	struct gcp_op op;
	int rc;

	if (gcp_parse_operation(doc, &op) != 0)
		return drv_fail(err, EIO, "BadAnswer", "the insert answer is not an operation");
	rc = gcp_op_error(&op, err);
	if (rc)
		return rc;
	memset(out, 0, sizeof(*out));
	snprintf(out->csp_id, sizeof(out->csp_id), "%s/%s", ref->zone, ref->name);
	snprintf(out->name, sizeof(out->name), "%s", ref->name);
	snprintf(out->zone, sizeof(out->zone), "%s", ref->zone);
	snprintf(out->status_raw, sizeof(out->status_raw), "PROVISIONING");
	out->status = DRV_VM_CREATING;
	if (strcmp(op.status, "DONE") != 0)
		insert_remember(c, out->csp_id, op.name);
	return 0;
}

int gcp_create_vm(void *conn, const struct drv_ctx *ctx, const struct drv_vm_req *req,
		  struct drv_vm *out, struct drv_error *err)
{
	struct gcp_conn *c = conn;
	struct gcp_ref ref;
	char image[256], path[256], rid[37];
	json_t *body, *doc = NULL;
	int rc;

	if (!req->name || !req->spec || !req->image || !req->client_token)
		return drv_fail(err, EINVAL, "MissingParameter",
				"a create needs a name, spec, image and client token");
	snprintf(ref.zone, sizeof(ref.zone), "%s", req->zone && *req->zone ? req->zone : c->zone);
	snprintf(ref.name, sizeof(ref.name), "%s", req->name);
	rc = gcp_setup(c, ctx, err);
	if (rc == 0)
		rc = gcp_image_path(c, ctx, req->image, image, sizeof(image), err);
	if (rc)
		return rc;
	body = vm_body(c, req, ref.zone, image);
	if (!body)
		return -ENOMEM;
	gcp_request_id(req->client_token, rid);
	snprintf(path, sizeof(path), "zones/%s/instances?requestId=%s", ref.zone, rid);
	rc = gcp_call(c, ctx, "POST", path, body, &doc, err);
	json_decref(body);
	if (rc == 0)
		rc = create_accepted(c, doc, &ref, out, err);
	else if (rc == -EIO && err->http_status == 409)
		rc = create_exists(c, ctx, &ref, req->client_token, out, err);
	json_decref(doc);
	return rc;
}

/* ---- actions, delete, labels ---------------------------------------------- */

/* POST or DELETE that answers an operation; a DONE operation's error is the result. */
static int vm_operation(struct gcp_conn *c, const struct drv_ctx *ctx, const char *method,
			const char *path, const json_t *body, struct drv_error *err)
{
	struct gcp_op op;
	json_t *doc = NULL;
	int rc = gcp_call(c, ctx, method, path, body, &doc, err);

	if (rc == 0 && gcp_parse_operation(doc, &op) == 0)
		rc = gcp_op_error(&op, err);
	json_decref(doc);
	return rc;
}

int gcp_control_vm(void *conn, const struct drv_ctx *ctx, const char *csp_id,
		   enum drv_action action, struct drv_error *err)
{
	static const char *const verbs[] = {
		[DRV_ACT_SUSPEND] = "stop", [DRV_ACT_RESUME] = "start", [DRV_ACT_REBOOT] = "reset",
	};
	struct gcp_ref ref;
	char path[256], rid[37];
	int rc = parse_ref(csp_id, &ref, err);

	if (rc)
		return rc;
	if (action < DRV_ACT_SUSPEND || action > DRV_ACT_REBOOT)
		return drv_fail(err, EINVAL, "InvalidAction", "unknown action");
	action_request_id(ctx, verbs[action], csp_id, rid);
	snprintf(path, sizeof(path), "zones/%s/instances/%s/%s?requestId=%s", ref.zone, ref.name,
		 verbs[action], rid);
	return vm_operation(conn, ctx, "POST", path, NULL, err);
}

int gcp_delete_vm(void *conn, const struct drv_ctx *ctx, const char *csp_id,
		  struct drv_error *err)
{
	struct gcp_ref ref;
	char path[256], rid[37];
	int rc = parse_ref(csp_id, &ref, err);

	if (rc)
		return rc;
	action_request_id(ctx, "delete", csp_id, rid);
	snprintf(path, sizeof(path), "zones/%s/instances/%s?requestId=%s", ref.zone, ref.name, rid);
	rc = vm_operation(conn, ctx, "DELETE", path, NULL, err);
	insert_forget(conn, csp_id);
	return rc == -ENOENT ? 0 : rc;
}

static bool standard_label(const char *key)
{
	return strcmp(key, DRV_TAG_ID) == 0 || strcmp(key, DRV_TAG_GROUP) == 0 ||
	       strcmp(key, DRV_TAG_MANAGED) == 0;
}

/* The instance's standard labels plus the user's tags. */
static json_t *new_labels(const json_t *inst, const struct drv_kv *tags, size_t ntags)
{
	json_t *labels = vm_labels(tags, ntags), *v;
	const char *key;

	json_object_foreach(json_object_get(inst, "labels"), key, v) {
		if (labels && standard_label(key))
			json_object_set(labels, key, v);
	}
	return labels;
}

int gcp_tag_vm(void *conn, const struct drv_ctx *ctx, const char *csp_id,
	       const struct drv_kv *tags, size_t ntags, struct drv_error *err)
{
	struct gcp_ref ref;
	char path[256], rid[37];
	json_t *inst = NULL, *body;
	int rc = parse_ref(csp_id, &ref, err);

	if (rc == 0)
		rc = get_instance(conn, ctx, &ref, &inst, err);
	if (rc)
		return rc;
	body = json_pack("{s:o, s:O?}", "labels", new_labels(inst, tags, ntags), "labelFingerprint",
			 json_object_get(inst, "labelFingerprint"));
	json_decref(inst);
	if (!body)
		return -ENOMEM;
	action_request_id(ctx, "setLabels", csp_id, rid);
	snprintf(path, sizeof(path), "zones/%s/instances/%s/setLabels?requestId=%s", ref.zone,
		 ref.name, rid);
	rc = vm_operation(conn, ctx, "POST", path, body, err);
	json_decref(body);
	return rc;
}
