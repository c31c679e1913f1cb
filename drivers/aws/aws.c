/*
 * aws.c - the AWS EC2 driver: its table, connections, health and the
 * catalogue listings (instance types with the shipped price table, and
 * images).
 *
 * Spec keys: region (required), zone, endpoint (default
 * https://ec2.{region}.amazonaws.com/), ca_file, ssh_key (a default
 * OpenSSH public key), image_owners (Owner values for image listings and
 * name look-ups, comma-separated; default "self,amazon,099720109477", that
 * is your own, Amazon's and Canonical's), image_filter (an EC2 name
 * pattern such as "ubuntu/images/hvm-ssd/ubuntu-jammy-*" that narrows the
 * listing, which is otherwise very long on the real cloud).  Credential keys:
 * access_key_id, secret_access_key, session_token (optional).
 *
 * connect() makes no network call.  The secret and token live only in the
 * connection and are wiped by disconnect().
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "drivers/aws/aws_int.h"
#include "drivers/common/conf.h"
#include "drivers/common/xmlh.h"

static int aws_read_spec(struct aws_conn *c, const json_t *spec, struct drv_error *err)
{
	char endpoint[512], ca[512];
	int rc;

	rc = conf_str(spec, "spec", "region", true, c->region, sizeof(c->region), err);
	rc = rc ? rc : conf_str(spec, "spec", "zone", false, c->zone, sizeof(c->zone), err);
	rc = rc ? rc : conf_str(spec, "spec", "endpoint", false, endpoint, sizeof(endpoint), err);
	rc = rc ? rc : conf_str(spec, "spec", "ca_file", false, ca, sizeof(ca), err);
	rc = rc ? rc : conf_str(spec, "spec", "ssh_key", false, c->ssh_key, sizeof(c->ssh_key), err);
	rc = rc ? rc : conf_str(spec, "spec", "image_owners", false, c->image_owners,
				sizeof(c->image_owners), err);
	rc = rc ? rc : conf_endpoint(endpoint, AWS_DEFAULT_ENDPOINT, c->region, c->endpoint,
				     sizeof(c->endpoint), err);
	if (rc == 0 && http_url_split(c->endpoint, c->host, sizeof(c->host), NULL, 0, NULL, 0))
		rc = drv_fail(err, EINVAL, "InvalidParameter", "endpoint is not a valid URL");
	rc = rc ? rc : conf_str(spec, "spec", "image_filter", false, c->image_filter,
				sizeof(c->image_filter), err);
	if (rc == 0 && !c->image_owners[0])
		snprintf(c->image_owners, sizeof(c->image_owners), "%s", AWS_DEFAULT_OWNERS);
	if (rc == 0) {
		struct http_client_opts o = { .ca_file = ca[0] ? ca : NULL,
					      .pool = conf_pool(spec) };

		rc = http_client_new(&o, &c->http, err);
	}
	return rc;
}

/* No credential yet is allowed: connect succeeds and calls answer -EACCES (driver.h). */
static int aws_read_credential(struct aws_conn *c, const json_t *cred, struct drv_error *err)
{
	int rc;

	if (!cred)
		return 0;
	rc = conf_str(cred, "credential", "access_key_id", true, c->akid, sizeof(c->akid), err);
	rc = rc ? rc : conf_str(cred, "credential", "secret_access_key", true, c->secret,
				sizeof(c->secret), err);
	return rc ? rc : conf_str(cred, "credential", "session_token", false, c->token,
				  sizeof(c->token), err);
}

static void aws_disconnect(void *conn)
{
	struct aws_conn *c = conn;

	if (!c)
		return;
	http_client_free(c->http);
	once_release(&c->net_once);
	memo_release(&c->subnets);
	memo_release(&c->keys);
	memo_release(&c->images);
	OPENSSL_cleanse(c, sizeof(*c));
	free(c);
}

static int aws_connect(const struct drv_config *cfg, void **conn, struct drv_error *err)
{
	struct aws_conn *c = calloc(1, sizeof(*c));
	int rc;

	if (!c)
		return -ENOMEM;
	once_init(&c->net_once);
	memo_init(&c->subnets);
	memo_init(&c->keys);
	memo_init(&c->images);
	snprintf(c->cloud, sizeof(c->cloud), "%s", cfg->cloud ? cfg->cloud : "aws");
	rc = aws_read_credential(c, cfg->credential, err);
	if (rc == 0)
		rc = aws_read_spec(c, cfg->spec, err);
	if (rc) {
		aws_disconnect(c);
		return rc;
	}
	*conn = c;
	return 0;
}

/* DescribeAvailabilityZones: cheap, signed, and proves the region answers. */
static int aws_health(void *conn, const struct drv_ctx *ctx, struct drv_error *err)
{
	struct params p = PARAMS_INIT;
	xmlDoc *doc = NULL;
	int rc = aws_call(conn, ctx, "DescribeAvailabilityZones", &p, &doc, err);

	xmlFreeDoc(doc);
	params_release(&p);
	return rc;
}

/* A paginated Describe* listing; parse() reads one page and its nextToken. */
typedef int (*aws_page_fn)(const xmlNode *root, void *cb, void *arg, char *next, size_t len);

static int aws_paged(struct aws_conn *c, const struct drv_ctx *ctx, const char *action,
		     const struct params *extra, aws_page_fn parse, void *cb, void *arg,
		     struct drv_error *err)
{
	char token[1024] = "";
	int rc = 0;

	for (int page = 0; page < AWS_MAX_PAGES; page++) {
		struct params p = PARAMS_INIT;
		xmlDoc *doc = NULL;

		for (size_t i = 0; i < extra->n; i++)
			params_add(&p, extra->v[i].name, extra->v[i].value);
		if (token[0])
			params_add(&p, "NextToken", token);
		rc = aws_call(c, ctx, action, &p, &doc, err);
		if (rc == 0)
			rc = parse(xmlh_root(doc), cb, arg, token, sizeof(token));
		xmlFreeDoc(doc);
		params_release(&p);
		if (rc < 0 && err && !err->code[0])
			rc = drv_fail(err, EIO, "MalformedAnswer", "unexpected answer");
		if (rc || !token[0])
			return rc > 0 ? 0 : rc;
	}
	return drv_fail(err, EIO, "PaginationLoop", "the listing does not end");
}

static int aws_types_page(const xmlNode *root, void *cb, void *arg, char *next, size_t len)
{
	return aws_parse_types(root, (drv_spec_cb)cb, arg, next, len);
}

static int aws_images_page(const xmlNode *root, void *cb, void *arg, char *next, size_t len)
{
	return aws_parse_images(root, (drv_image_cb)cb, arg, next, len);
}

static int aws_list_specs(void *conn, const struct drv_ctx *ctx, drv_spec_cb cb, void *arg,
			  struct drv_error *err)
{
	struct params extra = PARAMS_INIT;
	int rc;

	params_add(&extra, "MaxResults", "100");
	rc = aws_paged(conn, ctx, "DescribeInstanceTypes", &extra, aws_types_page, (void *)cb,
		       arg, err);
	params_release(&extra);
	return rc;
}

static int aws_list_images(void *conn, const struct drv_ctx *ctx, drv_image_cb cb, void *arg,
			   struct drv_error *err)
{
	struct aws_conn *c = conn;
	struct params owners = PARAMS_INIT;
	int rc;

	aws_owner_params(c, &owners);
	params_add(&owners, "MaxResults", "1000");
	if (c->image_filter[0]) {
		params_add(&owners, "Filter.1.Name", "name");
		params_add(&owners, "Filter.1.Value.1", c->image_filter);
	}
	rc = aws_paged(conn, ctx, "DescribeImages", &owners, aws_images_page, (void *)cb, arg, err);
	params_release(&owners);
	return rc;
}

__attribute__((visibility("default"))) const struct drv_ops baristafs_driver = {
	.abi_version = DRV_ABI_VERSION,
	.size = sizeof(struct drv_ops),
	.name = "aws",
	.caps = DRV_CAP_SUSPEND | DRV_CAP_REBOOT | DRV_CAP_TAGS | DRV_CAP_USER_DATA |
		DRV_CAP_IDEMPOTENT | DRV_CAP_PRICES | DRV_CAP_SSH_KEY | DRV_CAP_CREDENTIAL,
	.connect = aws_connect,
	.disconnect = aws_disconnect,
	.health = aws_health,
	.list_specs = aws_list_specs,
	.list_images = aws_list_images,
	.create_vm = aws_create_vm,
	.get_vm = aws_get_vm,
	.list_vms = aws_list_vms,
	.control_vm = aws_control_vm,
	.delete_vm = aws_delete_vm,
	.tag_vm = aws_tag_vm,
	.cleanup = aws_cleanup,
};
