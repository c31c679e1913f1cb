/*
 * aws_vm.c - EC2 instances: RunInstances (idempotent by ClientToken),
 * DescribeInstances (by id, or by tag with NextToken pagination),
 * Start/Stop/Reboot/TerminateInstances, and tag replacement.
 *
 * RunInstances with a ClientToken seen before returns the original
 * reservation, so a create retried after a timeout or a crash never makes
 * a second instance; the token is the engine's (derived from the VM id
 * and attempt).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "drivers/aws/aws_int.h"
#include "drivers/common/codec.h"
#include "drivers/common/xmlh.h"

#define AWS_MAX_USER_DATA (16u << 10)	/* EC2's limit before base64 */
#define AWS_MAX_TOKEN 64

static bool aws_standard_tag(const char *key)
{
	return strcmp(key, DRV_TAG_ID) == 0 || strcmp(key, DRV_TAG_GROUP) == 0 ||
	       strcmp(key, DRV_TAG_MANAGED) == 0 || strcmp(key, "Name") == 0;
}

int aws_tag_spec(struct params *p, int n, const char *rtype, const char *name,
		 const struct drv_kv *tags, size_t ntags)
{
	char prefix[48];
	int rc, k = 0;

	snprintf(prefix, sizeof(prefix), "TagSpecification.%d.ResourceType", n);
	rc = params_add(p, prefix, rtype);
	snprintf(prefix, sizeof(prefix), "TagSpecification.%d.Tag", n);
	if (rc == 0 && name)
		rc = aws_pair(p, prefix, ++k, "Key", "Name", "Value", name);
	for (size_t i = 0; rc == 0 && i < ntags; i++)
		rc = aws_pair(p, prefix, ++k, "Key", tags[i].key, "Value", tags[i].value);
	return rc;
}

static int aws_first_vm(void *arg, const struct drv_vm *vm)
{
	*(struct drv_vm *)arg = *vm;
	return 1;
}

static int aws_check_req(const struct drv_vm_req *req, struct drv_error *err)
{
	if (!req || !req->name || !req->spec || !req->image || !*req->spec || !*req->image)
		return drv_fail(err, EINVAL, "MissingParameter", "name, spec and image are required");
	if (!req->client_token || !*req->client_token ||
	    strlen(req->client_token) > AWS_MAX_TOKEN)
		return drv_fail(err, EINVAL, "InvalidParameterValue",
				"client token must be 1 to 64 characters");
	if (req->user_data && strlen(req->user_data) > AWS_MAX_USER_DATA)
		return drv_fail(err, EINVAL, "InvalidParameterValue", "user data exceeds 16 KiB");
	return 0;
}

/* What RunInstances needs beyond the request: image id, network, key. */
struct aws_launch {
	char ami[64];
	char sg[64];
	char subnet[64];
	char key[64];
};

static int aws_prepare(struct aws_conn *c, const struct drv_ctx *ctx,
		       const struct drv_vm_req *req, const char *zone, struct aws_launch *l,
		       struct drv_error *err)
{
	const char *pub = req->ssh_public_key && *req->ssh_public_key ? req->ssh_public_key
								      : c->ssh_key;
	int rc;

	rc = aws_image_id(c, ctx, req->image, l->ami, sizeof(l->ami), err);
	if (rc == 0)
		rc = aws_net_get(c, ctx, zone, l->sg, sizeof(l->sg), l->subnet, sizeof(l->subnet),
				 err);
	if (rc == 0 && *pub)
		rc = aws_key_get(c, ctx, pub, l->key, sizeof(l->key), err);
	return rc;
}

static int aws_run_params(const struct drv_vm_req *req, const char *zone,
			  const struct aws_launch *l, struct params *p)
{
	struct sbuf ud = SBUF_INIT;
	int rc;

	rc = params_add(p, "ImageId", l->ami);
	rc = rc ? rc : params_add(p, "InstanceType", req->spec);
	rc = rc ? rc : params_add(p, "MinCount", "1");
	rc = rc ? rc : params_add(p, "MaxCount", "1");
	rc = rc ? rc : params_add(p, "ClientToken", req->client_token);
	rc = rc ? rc : params_add(p, "SubnetId", l->subnet);
	rc = rc ? rc : params_add(p, "SecurityGroupId.1", l->sg);
	if (rc == 0 && *zone)
		rc = params_add(p, "Placement.AvailabilityZone", zone);
	if (rc == 0 && l->key[0])
		rc = params_add(p, "KeyName", l->key);
	if (rc == 0 && req->user_data && *req->user_data)
		rc = codec_b64_encode(&ud, req->user_data, strlen(req->user_data));
	if (rc == 0 && ud.len)
		rc = params_add(p, "UserData", ud.buf);
	rc = rc ? rc : aws_tag_spec(p, 1, "instance", req->name, req->tags, req->ntags);
	rc = rc ? rc : aws_tag_spec(p, 2, "volume", req->name, req->tags, req->ntags);
	sbuf_release(&ud);
	return rc;
}

/*
 * Something the connection cached is gone from the cloud (someone deleted
 * the security group, a subnet, a key pair it imported):
 * forget the caches and make the failure retryable, so that the retry
 * looks them up, or creates them, again.
 */
static int aws_stale_cache(struct aws_conn *c, int rc, struct drv_error *err)
{
	static const char *const stale[] = { "InvalidGroup.NotFound", "InvalidSubnetID.NotFound",
					     "InvalidKeyPair.NotFound", NULL };

	if (rc && drvmap_code_in(err, stale)) {
		aws_forget(c);
		err->retryable = true;
		return -EIO;
	}
	return rc;
}

int aws_create_vm(void *conn, const struct drv_ctx *ctx, const struct drv_vm_req *req,
		  struct drv_vm *out, struct drv_error *err)
{
	struct aws_conn *c = conn;
	struct aws_launch l = { 0 };
	struct params p = PARAMS_INIT;
	const char *zone;
	xmlDoc *doc = NULL;
	int rc = aws_check_req(req, err);

	if (rc)
		return rc;
	zone = req->zone && *req->zone ? req->zone : c->zone;
	rc = aws_prepare(c, ctx, req, zone, &l, err);
	if (rc)
		return rc;
	rc = aws_run_params(req, zone, &l, &p);
	if (rc) {
		params_release(&p);
		return drv_fail(err, -rc, "RequestTooLarge", "the request could not be built");
	}
	memset(out, 0, sizeof(*out));
	rc = aws_stale_cache(c, aws_call(c, ctx, "RunInstances", &p, &doc, err), err);
	if (rc == 0 && aws_parse_instances(xmlh_root(doc), aws_first_vm, out, NULL, 0) != 1)
		rc = drv_fail(err, EIO, "MalformedAnswer", "RunInstances returned no instance");
	xmlFreeDoc(doc);
	params_release(&p);
	return rc;
}

int aws_get_vm(void *conn, const struct drv_ctx *ctx, const char *csp_id, struct drv_vm *out,
	       struct drv_error *err)
{
	struct params p = PARAMS_INIT;
	xmlDoc *doc = NULL;
	int rc;

	if (!csp_id || !*csp_id)
		return drv_fail(err, EINVAL, "MissingParameter", "no instance id");
	memset(out, 0, sizeof(*out));
	rc = params_add(&p, "InstanceId.1", csp_id);
	rc = rc ? drv_fail(err, ENOMEM, "NoMemory", "out of memory")
		: aws_call(conn, ctx, "DescribeInstances", &p, &doc, err);
	if (rc == 0 && aws_parse_instances(xmlh_root(doc), aws_first_vm, out, NULL, 0) != 1)
		rc = drv_fail(err, ENOENT, "InvalidInstanceID.NotFound",
			      "the instance does not exist");
	xmlFreeDoc(doc);
	params_release(&p);
	return rc;
}

static int aws_list_params(struct params *p, const struct drv_kv *filter, const char *token)
{
	const char *key = filter ? filter->key : DRV_TAG_MANAGED;
	const char *value = filter ? filter->value : DRV_TAG_MANAGED_VALUE;
	int rc;

	rc = params_addf(p, "Filter.1.Name", "tag:%s", key);
	rc = rc ? rc : params_add(p, "Filter.1.Value.1", value);
	rc = rc ? rc : params_addf(p, "MaxResults", "%d", AWS_PAGE_SIZE);
	if (rc == 0 && *token)
		rc = params_add(p, "NextToken", token);
	return rc;
}

/* One page: the next token into token ("" at the end).  1 when cb stopped. */
static int aws_list_page(struct aws_conn *c, const struct drv_ctx *ctx,
			 const struct drv_kv *filter, char *token, size_t len, drv_vm_cb cb,
			 void *arg, struct drv_error *err)
{
	struct params p = PARAMS_INIT;
	xmlDoc *doc = NULL;
	int rc = aws_list_params(&p, filter, token);

	if (rc)
		rc = drv_fail(err, -rc, "RequestTooLarge", "the request could not be built");
	else
		rc = aws_call(c, ctx, "DescribeInstances", &p, &doc, err);
	if (rc == 0) {
		rc = aws_parse_instances(xmlh_root(doc), cb, arg, token, len);
		if (rc < 0)
			rc = drv_fail(err, EIO, "MalformedAnswer", "unexpected DescribeInstances answer");
		else if (rc > 0)
			rc = 1;
	}
	xmlFreeDoc(doc);
	params_release(&p);
	return rc;
}

int aws_list_vms(void *conn, const struct drv_ctx *ctx, const struct drv_kv *filter,
		 drv_vm_cb cb, void *arg, struct drv_error *err)
{
	char token[1024] = "", prev[1024];
	int rc;

	if (filter && (!filter->key || !filter->value))
		return drv_fail(err, EINVAL, "MissingParameter", "a tag filter needs key and value");
	for (int page = 0; page < AWS_MAX_PAGES; page++) {
		snprintf(prev, sizeof(prev), "%s", token);
		rc = aws_list_page(conn, ctx, filter, token, sizeof(token), cb, arg, err);
		if (rc)
			return rc > 0 ? 0 : rc;
		if (!token[0])
			return 0;
		if (strcmp(token, prev) == 0)
			break;
	}
	return drv_fail(err, EIO, "PaginationLoop", "DescribeInstances pagination does not end");
}

static int aws_instance_call(struct aws_conn *c, const struct drv_ctx *ctx, const char *action,
			     const char *csp_id, struct drv_error *err)
{
	struct params p = PARAMS_INIT;
	xmlDoc *doc = NULL;
	int rc;

	if (!csp_id || !*csp_id)
		return drv_fail(err, EINVAL, "MissingParameter", "no instance id");
	rc = params_add(&p, "InstanceId.1", csp_id);
	rc = rc ? drv_fail(err, ENOMEM, "NoMemory", "out of memory")
		: aws_call(c, ctx, action, &p, &doc, err);
	xmlFreeDoc(doc);
	params_release(&p);
	return rc;
}

int aws_control_vm(void *conn, const struct drv_ctx *ctx, const char *csp_id,
		   enum drv_action action, struct drv_error *err)
{
	switch (action) {
	case DRV_ACT_SUSPEND:
		return aws_instance_call(conn, ctx, "StopInstances", csp_id, err);
	case DRV_ACT_RESUME:
		return aws_instance_call(conn, ctx, "StartInstances", csp_id, err);
	case DRV_ACT_REBOOT:
		return aws_instance_call(conn, ctx, "RebootInstances", csp_id, err);
	}
	return drv_fail(err, EINVAL, "InvalidAction", "unknown action");
}

int aws_delete_vm(void *conn, const struct drv_ctx *ctx, const char *csp_id,
		  struct drv_error *err)
{
	int rc = aws_instance_call(conn, ctx, "TerminateInstances", csp_id, err);

	if (rc == -ENOENT) {
		if (err)
			memset(err, 0, sizeof(*err));
		return 0;	/* already gone */
	}
	return rc;
}

/* ---- tags ---------------------------------------------------------------------- */

static bool aws_kv_has(const struct drv_kv *tags, size_t n, const char *key)
{
	for (size_t i = 0; i < n; i++) {
		if (strcmp(tags[i].key, key) == 0)
			return true;
	}
	return false;
}

int aws_pair(struct params *p, const char *prefix, int n, const char *k1, const char *v1,
	     const char *k2, const char *v2)
{
	char name[96];
	int rc;

	snprintf(name, sizeof(name), "%s.%d.%s", prefix, n, k1);
	rc = params_add(p, name, v1);
	snprintf(name, sizeof(name), "%s.%d.%s", prefix, n, k2);
	if (rc == 0 && v2)
		rc = params_add(p, name, v2);
	return rc;
}

/* Tag.<n>.Key (and .Value when value) into p. */
static int aws_tag_param(struct params *p, int n, const char *key, const char *value)
{
	return aws_pair(p, "Tag", n, "Key", key, "Value", value);
}

/* DeleteTags params for the user tags the instance has and the new set lacks. */
static int aws_stale_tags(struct aws_conn *c, const struct drv_ctx *ctx, const char *csp_id,
			  const struct drv_kv *tags, size_t ntags, struct params *del,
			  struct drv_error *err)
{
	struct params p = PARAMS_INIT;
	xmlDoc *doc = NULL;
	xmlNode *set;
	char key[128];
	int rc, n = 0;

	rc = params_add(&p, "InstanceId.1", csp_id);
	rc = rc ? drv_fail(err, ENOMEM, "NoMemory", "out of memory")
		: aws_call(c, ctx, "DescribeInstances", &p, &doc, err);
	set = xmlh_path(xmlh_root(doc), "reservationSet/item/instancesSet/item/tagSet");
	if (rc == 0 && !xmlh_path(xmlh_root(doc), "reservationSet/item/instancesSet/item"))
		rc = drv_fail(err, ENOENT, "InvalidInstanceID.NotFound",
			      "the instance does not exist");
	for (xmlNode *t = xmlh_child(set, "item"); rc == 0 && t; t = xmlh_next(t, "item")) {
		xmlh_text(t, "key", key, sizeof(key));
		if (!aws_standard_tag(key) && !aws_kv_has(tags, ntags, key))
			rc = aws_tag_param(del, ++n, key, NULL);
	}
	xmlFreeDoc(doc);
	params_release(&p);
	return rc;
}

/* Run action (DeleteTags, CreateTags) on csp_id with the Tag.N params in p. */
static int aws_tags_call(struct aws_conn *c, const struct drv_ctx *ctx, const char *action,
			 const char *csp_id, struct params *p, struct drv_error *err)
{
	xmlDoc *doc = NULL;
	int rc;

	if (p->n == 0)
		return 0;
	if (params_add(p, "ResourceId.1", csp_id))
		return drv_fail(err, ENOMEM, "NoMemory", "out of memory");
	rc = aws_call(c, ctx, action, p, &doc, err);
	xmlFreeDoc(doc);
	return rc;
}

int aws_tag_vm(void *conn, const struct drv_ctx *ctx, const char *csp_id,
	       const struct drv_kv *tags, size_t ntags, struct drv_error *err)
{
	struct params del = PARAMS_INIT, add = PARAMS_INIT;
	int rc = 0, n = 0;

	if (!csp_id || !*csp_id)
		return drv_fail(err, EINVAL, "MissingParameter", "no instance id");
	for (size_t i = 0; rc == 0 && i < ntags; i++) {
		if (!aws_standard_tag(tags[i].key))
			rc = aws_tag_param(&add, ++n, tags[i].key, tags[i].value);
	}
	if (rc)
		rc = drv_fail(err, -rc, "RequestTooLarge", "the request could not be built");
	if (rc == 0)
		rc = aws_stale_tags(conn, ctx, csp_id, tags, ntags, &del, err);
	if (rc == 0)
		rc = aws_tags_call(conn, ctx, "DeleteTags", csp_id, &del, err);
	if (rc == 0)
		rc = aws_tags_call(conn, ctx, "CreateTags", csp_id, &add, err);
	params_release(&del);
	params_release(&add);
	return rc;
}
