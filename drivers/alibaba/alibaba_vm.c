/*
 * alibaba_vm.c - ECS instances: RunInstances (idempotent by ClientToken;
 * the instance starts by itself), DescribeInstances (by a JSON-array
 * InstanceIds, or by tag with PageNumber/PageSize), Start/Stop/Reboot,
 * DeleteInstance with Force, and tag replacement.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "drivers/alibaba/alibaba_int.h"
#include "drivers/common/codec.h"
#include "drivers/common/xmlh.h"

#define ALIBABA_MAX_USER_DATA (16u << 10)	/* before base64 */
#define ALIBABA_MAX_TOKEN 64
#define ALIBABA_MAX_TAGS 20

static bool alibaba_standard_tag(const char *key)
{
	return strcmp(key, DRV_TAG_ID) == 0 || strcmp(key, DRV_TAG_GROUP) == 0 ||
	       strcmp(key, DRV_TAG_MANAGED) == 0;
}

static int alibaba_check_req(const struct drv_vm_req *req, struct drv_error *err)
{
	if (!req || !req->name || !req->spec || !req->image || !*req->spec || !*req->image)
		return drv_fail(err, EINVAL, "MissingParameter", "name, spec and image are required");
	if (!req->client_token || !*req->client_token ||
	    strlen(req->client_token) > ALIBABA_MAX_TOKEN)
		return drv_fail(err, EINVAL, "InvalidParameter",
				"client token must be 1 to 64 characters");
	if (req->user_data && strlen(req->user_data) > ALIBABA_MAX_USER_DATA)
		return drv_fail(err, EINVAL, "InvalidUserData.SizeExceeded",
				"user data exceeds 16 KiB");
	if (req->ntags > ALIBABA_MAX_TAGS)
		return drv_fail(err, EINVAL, "InvalidTagCount", "at most 20 tags");
	return 0;
}

/* What RunInstances needs beyond the request. */
struct alibaba_launch {
	char image[160];
	char sg[64];
	char vswitch[64];
	char key[64];
};

static int alibaba_prepare(struct alibaba_conn *c, const struct drv_ctx *ctx,
			   const struct drv_vm_req *req, const char *zone,
			   struct alibaba_launch *l, struct drv_error *err)
{
	const char *pub = req->ssh_public_key && *req->ssh_public_key ? req->ssh_public_key
								      : c->ssh_key;
	int rc;

	rc = alibaba_image_id(c, ctx, req->image, l->image, sizeof(l->image), err);
	if (rc == 0)
		rc = alibaba_net_get(c, ctx, zone, l->sg, sizeof(l->sg), l->vswitch,
				     sizeof(l->vswitch), err);
	if (rc == 0 && *pub)
		rc = alibaba_key_get(c, ctx, pub, l->key, sizeof(l->key), err);
	return rc;
}

static int alibaba_run_params(const struct alibaba_conn *c, const struct drv_vm_req *req,
			      const char *zone, const struct alibaba_launch *l, struct params *p)
{
	struct sbuf ud = SBUF_INIT;
	int rc;

	rc = params_add(p, "ImageId", l->image);
	rc = rc ? rc : params_add(p, "InstanceType", req->spec);
	rc = rc ? rc : params_add(p, "SecurityGroupId", l->sg);
	rc = rc ? rc : params_add(p, "InstanceName", req->name);
	rc = rc ? rc : params_add(p, "HostName", req->name);
	rc = rc ? rc : params_add(p, "Amount", "1");
	rc = rc ? rc : params_add(p, "ClientToken", req->client_token);
	rc = rc ? rc : params_add(p, "InstanceChargeType", "PostPaid");
	rc = rc ? rc : params_add(p, "InternetChargeType", "PayByTraffic");
	rc = rc ? rc : params_add(p, "InternetMaxBandwidthOut", c->bandwidth);
	if (rc == 0 && l->vswitch[0])
		rc = params_add(p, "VSwitchId", l->vswitch);
	if (rc == 0 && *zone)
		rc = params_add(p, "ZoneId", zone);
	if (rc == 0 && l->key[0])
		rc = params_add(p, "KeyPairName", l->key);
	if (rc == 0 && req->user_data && *req->user_data)
		rc = codec_b64_encode(&ud, req->user_data, strlen(req->user_data));
	if (rc == 0 && ud.len)
		rc = params_add(p, "UserData", ud.buf);
	rc = rc ? rc : alibaba_tag_params(p, 1, req->tags, req->ntags);
	sbuf_release(&ud);
	return rc;
}

static void alibaba_created(const struct drv_vm_req *req, const char *zone, const char *id,
			    struct drv_vm *out)
{
	memset(out, 0, sizeof(*out));
	snprintf(out->csp_id, sizeof(out->csp_id), "%s", id);
	snprintf(out->name, sizeof(out->name), "%s", req->name);
	snprintf(out->status_raw, sizeof(out->status_raw), "Pending");
	out->status = DRV_VM_CREATING;
	snprintf(out->spec, sizeof(out->spec), "%s", req->spec);
	snprintf(out->image, sizeof(out->image), "%s", req->image);
	snprintf(out->zone, sizeof(out->zone), "%s", zone);
	snprintf(out->client_token, sizeof(out->client_token), "%s", req->client_token);
	for (size_t i = 0; i < req->ntags; i++) {
		if (strcmp(req->tags[i].key, DRV_TAG_ID) == 0)
			snprintf(out->baristafs_id, sizeof(out->baristafs_id), "%s",
				 req->tags[i].value);
	}
}

/*
 * Something the connection cached is gone from the cloud (the security
 * group, the VSwitch, a key pair): forget the caches and make
 * the failure retryable, so that the retry looks them up again.
 */
static int alibaba_stale_cache(struct alibaba_conn *c, int rc, struct drv_error *err)
{
	static const char *const stale[] = { "InvalidSecurityGroupId.NotFound",
					     "InvalidVSwitchId.NotExist",
					     "InvalidKeyPairName.NotFound", NULL };

	if (rc && drvmap_code_in(err, stale)) {
		alibaba_forget(c);
		err->retryable = true;
		return -EIO;
	}
	return rc;
}

static int alibaba_run_answer(const xmlNode *root, void *arg)
{
	char *id = arg;

	return alibaba_parse_run(root, id, 128);
}

int alibaba_create_vm(void *conn, const struct drv_ctx *ctx, const struct drv_vm_req *req,
		      struct drv_vm *out, struct drv_error *err)
{
	struct alibaba_conn *c = conn;
	struct alibaba_launch l = { 0 };
	struct params p = PARAMS_INIT;
	char id[128];
	const char *zone;
	int rc = alibaba_check_req(req, err);

	if (rc)
		return rc;
	zone = req->zone && *req->zone ? req->zone : c->zone;
	rc = alibaba_prepare(c, ctx, req, zone, &l, err);
	if (rc)
		return rc;
	rc = alibaba_run_params(c, req, zone, &l, &p);
	if (rc) {
		params_release(&p);
		return drv_fail(err, -rc, "RequestTooLarge", "the request could not be built");
	}
	/* The answer holds only the id: the first status is Pending, no extra call. */
	rc = alibaba_query(c, ctx, ALIBABA_ECS, "RunInstances", &p, alibaba_run_answer, id, err);
	rc = alibaba_stale_cache(c, rc, err);
	if (rc == -EIO && err && !err->code[0])
		drv_fail(err, EIO, "MalformedAnswer", "RunInstances returned no instance id");
	if (rc == 0)
		alibaba_created(req, zone, id, out);
	return rc;
}

/* ---- reading -------------------------------------------------------------------- */

static int alibaba_first_vm(void *arg, const struct drv_vm *vm)
{
	*(struct drv_vm *)arg = *vm;
	return 1;
}

struct alibaba_page {
	drv_vm_cb cb;
	void *arg;
	int count;
	long long total;
	int stopped;
};

static int alibaba_page_answer(const xmlNode *root, void *arg)
{
	struct alibaba_page *pg = arg;
	int rc = alibaba_parse_instances(root, pg->cb, pg->arg, &pg->count, &pg->total);

	if (rc > 0) {
		pg->stopped = 1;
		return 0;
	}
	return rc;
}

static int alibaba_describe(struct alibaba_conn *c, const struct drv_ctx *ctx,
			    struct params *p, struct alibaba_page *pg, struct drv_error *err)
{
	int rc = alibaba_query(c, ctx, ALIBABA_ECS, "DescribeInstances", p, alibaba_page_answer,
			       pg, err);

	if (rc == -EIO && err && !err->code[0])
		rc = drv_fail(err, EIO, "MalformedAnswer", "unexpected DescribeInstances answer");
	return rc;
}

int alibaba_get_vm(void *conn, const struct drv_ctx *ctx, const char *csp_id,
		   struct drv_vm *out, struct drv_error *err)
{
	struct alibaba_page pg = { alibaba_first_vm, out, 0, 0, 0 };
	struct params p = PARAMS_INIT;
	int rc;

	if (!csp_id || !*csp_id)
		return drv_fail(err, EINVAL, "MissingParameter", "no instance id");
	memset(out, 0, sizeof(*out));
	if (params_addf(&p, "InstanceIds", "[\"%s\"]", csp_id))
		return drv_fail(err, ENOMEM, "NoMemory", "out of memory");
	rc = alibaba_describe(conn, ctx, &p, &pg, err);
	if (rc == 0 && !pg.stopped)
		rc = drv_fail(err, ENOENT, "InvalidInstanceId.NotFound",
			      "the instance does not exist");
	return rc;
}

int alibaba_list_vms(void *conn, const struct drv_ctx *ctx, const struct drv_kv *filter,
		     drv_vm_cb cb, void *arg, struct drv_error *err)
{
	struct drv_kv tag = { DRV_TAG_MANAGED, DRV_TAG_MANAGED_VALUE };
	long long seen = 0;
	int rc;

	if (filter && (!filter->key || !filter->value))
		return drv_fail(err, EINVAL, "MissingParameter", "a tag filter needs key and value");
	for (int page = 1; page <= ALIBABA_MAX_PAGES; page++) {
		struct alibaba_page pg = { cb, arg, 0, 0, 0 };
		struct params p = PARAMS_INIT;

		alibaba_tag_params(&p, 1, filter ? filter : &tag, 1);
		params_addf(&p, "PageNumber", "%d", page);
		params_addf(&p, "PageSize", "%d", ALIBABA_PAGE_SIZE);
		rc = alibaba_describe(conn, ctx, &p, &pg, err);
		seen += pg.count;
		if (rc || pg.stopped || pg.count == 0 || seen >= pg.total)
			return rc;
	}
	return drv_fail(err, EIO, "PaginationLoop", "DescribeInstances pagination does not end");
}

/* ---- actions -------------------------------------------------------------------- */

static int alibaba_instance_call(struct alibaba_conn *c, const struct drv_ctx *ctx,
				 const char *action, const char *csp_id, const char *flag,
				 struct drv_error *err)
{
	struct params p = PARAMS_INIT;

	if (!csp_id || !*csp_id)
		return drv_fail(err, EINVAL, "MissingParameter", "no instance id");
	params_add(&p, "InstanceId", csp_id);
	if (flag)
		params_add(&p, flag, strcmp(flag, "Force") == 0 ? "true" : "false");
	return alibaba_query(c, ctx, ALIBABA_ECS, action, &p, NULL, NULL, err);
}

int alibaba_control_vm(void *conn, const struct drv_ctx *ctx, const char *csp_id,
		       enum drv_action action, struct drv_error *err)
{
	switch (action) {
	case DRV_ACT_SUSPEND:
		return alibaba_instance_call(conn, ctx, "StopInstance", csp_id, "ForceStop", err);
	case DRV_ACT_RESUME:
		return alibaba_instance_call(conn, ctx, "StartInstance", csp_id, NULL, err);
	case DRV_ACT_REBOOT:
		return alibaba_instance_call(conn, ctx, "RebootInstance", csp_id, "ForceStop", err);
	}
	return drv_fail(err, EINVAL, "InvalidAction", "unknown action");
}

int alibaba_delete_vm(void *conn, const struct drv_ctx *ctx, const char *csp_id,
		      struct drv_error *err)
{
	/* Force: a running instance is stopped and released in one call. */
	int rc = alibaba_instance_call(conn, ctx, "DeleteInstance", csp_id, "Force", err);

	if (rc == -ENOENT) {
		if (err)
			memset(err, 0, sizeof(*err));
		return 0;	/* already gone */
	}
	return rc;
}

/* ---- tags ------------------------------------------------------------------------ */

struct alibaba_stale {
	const struct drv_kv *keep;
	size_t nkeep;
	struct params *del;
	int found;
};

static bool alibaba_kv_has(const struct drv_kv *tags, size_t n, const char *key)
{
	for (size_t i = 0; i < n; i++) {
		if (strcmp(tags[i].key, key) == 0)
			return true;
	}
	return false;
}

/* TagKey.N of the user tags the instance has and the new set lacks. */
static int alibaba_stale_answer(const xmlNode *root, void *arg)
{
	struct alibaba_stale *st = arg;
	xmlNode *inst = xmlh_child(xmlh_child(root, "Instances"), "Instance");
	char key[128], name[32];
	int n = 0, rc = 0;

	st->found = inst != NULL;
	for (xmlNode *t = xmlh_child(xmlh_child(inst, "Tags"), "Tag"); t && rc == 0;
	     t = xmlh_next(t, "Tag")) {
		xmlh_text(t, "TagKey", key, sizeof(key));
		if (alibaba_standard_tag(key) || alibaba_kv_has(st->keep, st->nkeep, key))
			continue;
		snprintf(name, sizeof(name), "TagKey.%d", ++n);
		rc = params_add(st->del, name, key);
	}
	return rc;
}

static int alibaba_tags_call(struct alibaba_conn *c, const struct drv_ctx *ctx,
			     const char *action, const char *csp_id, struct params *p,
			     struct drv_error *err)
{
	if (p->n == 0)
		return 0;
	params_add(p, "ResourceType", "instance");
	params_add(p, "ResourceId.1", csp_id);
	return alibaba_query(c, ctx, ALIBABA_ECS, action, p, NULL, NULL, err);
}

int alibaba_tag_vm(void *conn, const struct drv_ctx *ctx, const char *csp_id,
		   const struct drv_kv *tags, size_t ntags, struct drv_error *err)
{
	struct params q = PARAMS_INIT, del = PARAMS_INIT, add = PARAMS_INIT;
	struct alibaba_stale st = { tags, ntags, &del, 0 };
	int rc = 0, n = 0;

	if (!csp_id || !*csp_id)
		return drv_fail(err, EINVAL, "MissingParameter", "no instance id");
	for (size_t i = 0; rc == 0 && i < ntags; i++) {
		if (!alibaba_standard_tag(tags[i].key))
			rc = alibaba_tag_params(&add, ++n, &tags[i], 1);
	}
	params_addf(&q, "InstanceIds", "[\"%s\"]", csp_id);
	rc = rc ? drv_fail(err, -rc, "RequestTooLarge", "the request could not be built")
		: alibaba_query(conn, ctx, ALIBABA_ECS, "DescribeInstances", &q,
				alibaba_stale_answer, &st, err);
	if (rc == 0 && !st.found)
		rc = drv_fail(err, ENOENT, "InvalidInstanceId.NotFound",
			      "the instance does not exist");
	if (rc == 0)
		rc = alibaba_tags_call(conn, ctx, "UntagResources", csp_id, &del, err);
	if (rc == 0)
		rc = alibaba_tags_call(conn, ctx, "TagResources", csp_id, &add, err);
	params_release(&q);
	params_release(&del);
	params_release(&add);
	return rc;
}
