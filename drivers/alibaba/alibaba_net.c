/*
 * alibaba_net.c - what a connection's VMs share: the VPC (the account's
 * default, through the VPC API), the VSwitch of each zone, the security
 * group (created in that VPC, SSH open, tagged), imported key pairs and the
 * image ids that image names resolve to.
 *
 * Decision: the VPC API lives on its own endpoint (vpc.{region}.aliyuncs.com,
 * version 2016-04-28).  Where it answers that it does not exist (an
 * endpoint that only speaks ECS, such as an emulator, or an account of the
 * classic network) the driver uses the classic network: a security group
 * without VpcId and no VSwitch.  Any other failure (throttling, refused
 * credential) is an error, never a silent fall-back.
 *
 * ECS allows several security groups with one name, so the group is looked
 * up by name before it is created, and created by one thread only (struct
 * once).  Everything created is tagged managed-by=baristafs and
 * baristafs-id=conn:<cloud>, which is how cleanup() finds it.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "drivers/alibaba/alibaba_int.h"
#include "drivers/common/hash.h"
#include "drivers/common/xmlh.h"

void alibaba_conn_tags(const struct alibaba_conn *c, struct drv_kv tags[2], char *idbuf,
		       size_t len)
{
	snprintf(idbuf, len, "conn:%s", c->cloud);
	tags[0] = (struct drv_kv){ DRV_TAG_MANAGED, DRV_TAG_MANAGED_VALUE };
	tags[1] = (struct drv_kv){ DRV_TAG_ID, idbuf };
}

/*
 * The text at `field` of the first `item` under `set` that matches, into
 * buf.  match is NULL or NULL-terminated (path, value) pairs the item must
 * have (an empty value matches anything): what the driver asked the cloud
 * to filter is checked again, so an answer with more than was asked for
 * never picks the wrong resource.
 */
struct alibaba_pick {
	const char *set;
	const char *item;
	const char *field;
	char *buf;
	size_t len;
	const char *const *match;
};

static int alibaba_pick_first(const xmlNode *root, void *arg)
{
	struct alibaba_pick *pk = arg;

	for (xmlNode *it = xmlh_child(xmlh_child(root, pk->set), pk->item); it;
	     it = xmlh_next(it, pk->item)) {
		if (xmlh_matches(it, pk->match))
			return xmlh_text(it, pk->field, pk->buf, pk->len) == 0 && pk->buf[0]
				       ? 0 : -ENOENT;
	}
	return -ENOENT;
}

/* ---- VPC and VSwitch ------------------------------------------------------------- */

/* The VPC API is not there: an ECS-only endpoint or a classic-network account. */
static bool alibaba_no_vpc_api(int rc, const struct drv_error *err)
{
	return rc == -EOPNOTSUPP || (err && (err->http_status == 404 || err->http_status == 501));
}

static int alibaba_find_vpc(struct alibaba_conn *c, const struct drv_ctx *ctx,
			    struct drv_error *err)
{
	static const char *const dflt[] = { "IsDefault", "true", NULL };
	struct alibaba_pick pk = { "Vpcs", "Vpc", "VpcId", c->vpc, sizeof(c->vpc), dflt };
	struct params p = PARAMS_INIT;
	int rc;

	params_add(&p, "IsDefault", "true");
	rc = alibaba_query(c, ctx, ALIBABA_VPC, "DescribeVpcs", &p, alibaba_pick_first, &pk, err);
	pk.match = NULL;
	if (rc == -ENOENT)	/* no default VPC: any VPC */
		rc = alibaba_query(c, ctx, ALIBABA_VPC, "DescribeVpcs", &p, alibaba_pick_first, &pk,
				   err);
	if (rc && alibaba_no_vpc_api(rc, err)) {
		c->vpc[0] = '\0';	/* the classic network */
		if (err)
			memset(err, 0, sizeof(*err));
		return 0;
	}
	if (rc == -ENOENT)
		rc = drv_fail(err, EIO, "NoVpc", "the account has no VPC in this region");
	return rc;
}

/* The VPC a configured VSwitch belongs to. */
static int alibaba_vswitch_vpc(struct alibaba_conn *c, const struct drv_ctx *ctx,
			       struct drv_error *err)
{
	const char *const match[] = { "VSwitchId", c->vswitch, NULL };
	struct alibaba_pick pk = { "VSwitches", "VSwitch", "VpcId", c->vpc, sizeof(c->vpc), match };
	struct params p = PARAMS_INIT;
	int rc;

	params_add(&p, "VSwitchId", c->vswitch);
	rc = alibaba_query(c, ctx, ALIBABA_VPC, "DescribeVSwitches", &p, alibaba_pick_first, &pk,
			   err);
	if (rc == -ENOENT)
		rc = drv_fail(err, EINVAL, "InvalidVSwitchId.NotExist",
			      "the spec's vswitch_id does not exist");
	return rc;
}

/* Of the VPC's VSwitches in the zone, prefer the default, else the first. */
static int alibaba_pick_vswitch(const xmlNode *root, void *arg)
{
	struct alibaba_pick *pk = arg;
	xmlNode *first = NULL;
	char dflt[8];

	for (xmlNode *it = xmlh_child(xmlh_child(root, "VSwitches"), "VSwitch"); it;
	     it = xmlh_next(it, "VSwitch")) {
		if (!xmlh_matches(it, pk->match))
			continue;
		first = first ? first : it;
		if (xmlh_text(it, "IsDefault", dflt, sizeof(dflt)) == 0 && strcmp(dflt, "true") == 0)
			return xmlh_text(it, "VSwitchId", pk->buf, pk->len) ? -ENOENT : 0;
	}
	return first && xmlh_text(first, "VSwitchId", pk->buf, pk->len) == 0 ? 0 : -ENOENT;
}

static int alibaba_vswitch_for(struct alibaba_conn *c, const struct drv_ctx *ctx,
			       const char *zone, char *vs, size_t len, struct drv_error *err)
{
	const char *const match[] = { "VpcId", c->vpc, "ZoneId", zone, NULL };
	struct alibaba_pick pk = { NULL, NULL, NULL, vs, len, match };
	struct params p = PARAMS_INIT;
	char msg[160];
	int rc;

	vs[0] = '\0';
	if (c->vswitch[0] || !c->vpc[0]) {	/* configured, or the classic network */
		snprintf(vs, len, "%s", c->vswitch);
		return 0;
	}
	if (memo_get(&c->vswitches, zone, vs, len))
		return 0;
	params_add(&p, "VpcId", c->vpc);
	if (*zone)
		params_add(&p, "ZoneId", zone);
	rc = alibaba_query(c, ctx, ALIBABA_VPC, "DescribeVSwitches", &p, alibaba_pick_vswitch, &pk,
			   err);
	if (rc == -ENOENT) {
		snprintf(msg, sizeof(msg), "no VSwitch of %s in zone '%s' (or set vswitch_id)",
			 c->vpc, zone);
		return drv_fail(err, EINVAL, "NoVSwitch", msg);
	}
	if (rc == 0)
		memo_put(&c->vswitches, zone, vs);
	return rc;
}

/* ---- the security group ---------------------------------------------------------- */

static int alibaba_find_sg(struct alibaba_conn *c, const struct drv_ctx *ctx, const char *name,
			   struct drv_error *err)
{
	const char *const match[] = { "SecurityGroupName", name, "VpcId", c->vpc, NULL };
	struct alibaba_pick pk = { "SecurityGroups", "SecurityGroup", "SecurityGroupId", c->sg,
				   sizeof(c->sg), match };
	struct params p = PARAMS_INIT;

	params_add(&p, "SecurityGroupName", name);
	if (c->vpc[0])
		params_add(&p, "VpcId", c->vpc);
	return alibaba_query(c, ctx, ALIBABA_ECS, "DescribeSecurityGroups", &p, alibaba_pick_first,
			     &pk, err);
}

static int alibaba_pick_sg_id(const xmlNode *root, void *arg)
{
	struct alibaba_pick *pk = arg;

	return xmlh_text(root, "SecurityGroupId", pk->buf, pk->len) == 0 && pk->buf[0] ? 0 : -EIO;
}

static int alibaba_create_sg(struct alibaba_conn *c, const struct drv_ctx *ctx,
			     const char *name, struct drv_error *err)
{
	struct alibaba_pick pk = { NULL, NULL, NULL, c->sg, sizeof(c->sg), NULL };
	struct params p = PARAMS_INIT;
	struct drv_kv tags[2];
	char id[96];

	alibaba_conn_tags(c, tags, id, sizeof(id));
	params_add(&p, "SecurityGroupName", name);
	params_add(&p, "Description", "baristafs: VMs of one cloud connection");
	if (c->vpc[0])
		params_add(&p, "VpcId", c->vpc);
	alibaba_tag_params(&p, 1, tags, 2);
	return alibaba_query(c, ctx, ALIBABA_ECS, "CreateSecurityGroup", &p, alibaba_pick_sg_id,
			     &pk, err);
}

static int alibaba_open_ssh(struct alibaba_conn *c, const struct drv_ctx *ctx,
			    struct drv_error *err)
{
	struct params p = PARAMS_INIT;
	int rc;

	params_add(&p, "SecurityGroupId", c->sg);
	params_add(&p, "IpProtocol", "tcp");
	params_add(&p, "PortRange", "22/22");
	params_add(&p, "SourceCidrIp", "0.0.0.0/0");
	rc = alibaba_query(c, ctx, ALIBABA_ECS, "AuthorizeSecurityGroup", &p, NULL, NULL, err);
	return rc == -EEXIST ? 0 : rc;
}

struct alibaba_net_step {
	struct alibaba_conn *c;
	const struct drv_ctx *ctx;
	struct drv_error *err;
};

/* The once step: the VPC (or classic), then the connection's security group. */
static int alibaba_net_resolve(void *arg)
{
	struct alibaba_net_step *st = arg;
	struct alibaba_conn *c = st->c;
	char name[96];
	int rc;

	snprintf(name, sizeof(name), "baristafs-%s", c->cloud);
	rc = c->vswitch[0] ? alibaba_vswitch_vpc(c, st->ctx, st->err)
			   : alibaba_find_vpc(c, st->ctx, st->err);
	if (rc == 0)
		rc = alibaba_find_sg(c, st->ctx, name, st->err);
	if (rc == -ENOENT) {
		rc = alibaba_create_sg(c, st->ctx, name, st->err);
		if (rc == 0)
			rc = alibaba_open_ssh(c, st->ctx, st->err);
	}
	return rc;
}

int alibaba_net_get(struct alibaba_conn *c, const struct drv_ctx *ctx, const char *zone,
		    char *sg, size_t sglen, char *vswitch, size_t vslen, struct drv_error *err)
{
	struct alibaba_net_step st = { c, ctx, err };
	int rc = once_run(&c->net_once, ctx ? ctx->deadline_ms : 0, alibaba_net_resolve, &st);

	if (rc == -ETIMEDOUT && err && !err->code[0])
		drv_fail(err, ETIMEDOUT, "Timeout", "waiting for the network set-up");
	if (rc)
		return rc;
	snprintf(sg, sglen, "%s", c->sg);
	return alibaba_vswitch_for(c, ctx, zone, vswitch, vslen, err);
}

/* ---- key pairs ---------------------------------------------------------------------- */

int alibaba_key_get(struct alibaba_conn *c, const struct drv_ctx *ctx, const char *pubkey,
		    char *name, size_t len, struct drv_error *err)
{
	char hash[HASH_SHA256_HEX_LEN], id[96];
	struct params p = PARAMS_INIT;
	struct drv_kv tags[2];
	int rc;

	/* Named after the key's digest: the same key always maps to the same pair. */
	hash_sha256_hex(pubkey, strlen(pubkey), hash);
	snprintf(name, len, "baristafs-%.16s", hash);
	if (memo_get(&c->keys, name, hash, sizeof(hash)))
		return 0;
	alibaba_conn_tags(c, tags, id, sizeof(id));
	params_add(&p, "KeyPairName", name);
	params_add(&p, "PublicKeyBody", pubkey);
	alibaba_tag_params(&p, 1, tags, 2);
	rc = alibaba_query(c, ctx, ALIBABA_ECS, "ImportKeyPair", &p, NULL, NULL, err);
	if (rc == -EEXIST) {
		rc = 0;	/* imported before */
		if (err)
			memset(err, 0, sizeof(*err));
	}
	if (rc == 0)
		memo_put(&c->keys, name, "imported");
	return rc;
}

/* ---- images ------------------------------------------------------------------------- */

/* The newest image of the answer (CreationTime sorts as text). */
static int alibaba_pick_image(const xmlNode *root, void *arg)
{
	struct alibaba_pick *pk = arg;
	char best[40] = "", when[40];

	for (xmlNode *it = xmlh_child(xmlh_child(root, "Images"), "Image"); it;
	     it = xmlh_next(it, "Image")) {
		if (!xmlh_matches(it, pk->match))
			continue;
		xmlh_text(it, "CreationTime", when, sizeof(when));
		if (pk->buf[0] && strcmp(when, best) <= 0)
			continue;
		snprintf(best, sizeof(best), "%s", when);
		xmlh_text(it, "ImageId", pk->buf, pk->len);
	}
	return pk->buf[0] ? 0 : -ENOENT;
}

static int alibaba_images_by(struct alibaba_conn *c, const struct drv_ctx *ctx,
			     const char *key, const char *image, char *id, size_t len,
			     struct drv_error *err)
{
	const char *const match[] = { key, image, NULL };
	struct alibaba_pick pk = { NULL, NULL, NULL, id, len, match };
	struct params p = PARAMS_INIT;

	id[0] = '\0';
	params_add(&p, key, image);
	params_add(&p, "PageSize", "10");
	return alibaba_query(c, ctx, ALIBABA_ECS, "DescribeImages", &p, alibaba_pick_image, &pk,
			     err);
}

int alibaba_image_id(struct alibaba_conn *c, const struct drv_ctx *ctx, const char *image,
		     char *id, size_t len, struct drv_error *err)
{
	char msg[200];
	int rc;

	if (memo_get(&c->images, image, id, len))
		return 0;
	rc = alibaba_images_by(c, ctx, "ImageId", image, id, len, err);
	if (rc == -ENOENT)
		rc = alibaba_images_by(c, ctx, "ImageName", image, id, len, err);
	if (rc == -ENOENT) {
		snprintf(msg, sizeof(msg), "image '%s' not found", image);
		return drv_fail(err, EINVAL, "InvalidImageId.NotFound", msg);
	}
	if (rc == 0)
		memo_put(&c->images, image, id);
	return rc;
}

/* ---- cleanup ------------------------------------------------------------------------ */

struct alibaba_ids {
	const char *set, *item, *field;
	const char *owner;	/* the value of our baristafs-id tag */
	char ids[16][128];
	unsigned n;
};

/* Only what carries this connection's tags: never someone else's resource. */
static int alibaba_collect_ids(const xmlNode *root, void *arg)
{
	struct alibaba_ids *ids = arg;

	for (xmlNode *it = xmlh_child(xmlh_child(root, ids->set), ids->item); it && ids->n < 16;
	     it = xmlh_next(it, ids->item)) {
		if (!xmlh_has_pair(it, "Tags", "Tag", "TagKey", DRV_TAG_ID, "TagValue", ids->owner) ||
		    !xmlh_has_pair(it, "Tags", "Tag", "TagKey", DRV_TAG_MANAGED, "TagValue",
				   DRV_TAG_MANAGED_VALUE))
			continue;
		if (xmlh_text(it, ids->field, ids->ids[ids->n], sizeof(ids->ids[0])) == 0)
			ids->n++;
	}
	return 0;
}

/* Delete each resource of describe tagged as this connection's. */
static int alibaba_delete_tagged(struct alibaba_conn *c, const struct drv_ctx *ctx,
				 const char *describe, struct alibaba_ids *ids, const char *del,
				 const char *param, bool json_array, struct drv_error *err)
{
	struct params p = PARAMS_INIT;
	struct drv_kv tags[2];
	char id[96], value[160];
	int rc;

	alibaba_conn_tags(c, tags, id, sizeof(id));
	alibaba_tag_params(&p, 1, tags, 2);
	ids->owner = id;
	rc = alibaba_query(c, ctx, ALIBABA_ECS, describe, &p, alibaba_collect_ids, ids, err);
	for (unsigned i = 0; rc == 0 && i < ids->n; i++) {
		if (json_array)	/* DeleteKeyPairs takes KeyPairNames as a JSON array */
			snprintf(value, sizeof(value), "[\"%s\"]", ids->ids[i]);
		else
			snprintf(value, sizeof(value), "%s", ids->ids[i]);
		params_add(&p, param, value);
		rc = alibaba_query(c, ctx, ALIBABA_ECS, del, &p, NULL, NULL, err);
		if (rc == -ENOENT) {
			rc = 0;	/* gone already */
			if (err)
				memset(err, 0, sizeof(*err));
		}
	}
	return rc;
}

int alibaba_cleanup(void *conn, const struct drv_ctx *ctx, struct drv_error *err)
{
	struct alibaba_conn *c = conn;
	struct alibaba_ids sgs = { "SecurityGroups", "SecurityGroup", "SecurityGroupId", NULL,
				   { { 0 } }, 0 };
	struct alibaba_ids keys = { "KeyPairs", "KeyPair", "KeyPairName", NULL, { { 0 } }, 0 };
	int rc;

	rc = alibaba_delete_tagged(c, ctx, "DescribeSecurityGroups", &sgs, "DeleteSecurityGroup",
				   "SecurityGroupId", false, err);
	if (rc == 0)
		rc = alibaba_delete_tagged(c, ctx, "DescribeKeyPairs", &keys, "DeleteKeyPairs",
					   "KeyPairNames", true, err);
	alibaba_forget(c);
	return rc;
}

void alibaba_forget(struct alibaba_conn *c)
{
	once_reset(&c->net_once);
	memo_clear(&c->vswitches);
	memo_clear(&c->keys);
	memo_clear(&c->images);
}
