/*
 * aws_net.c - what a connection's VMs share: the security group (in the
 * account's default VPC, SSH open), the subnet of each zone, the imported
 * key pairs, and the image ids that image names resolve to.
 *
 * Each is found or created on first use and cached in the connection.
 * Creation is idempotent on its own: a security group or key pair that
 * already exists (a previous run, a crash between create and cache)
 * answers Duplicate and is looked up instead.  Everything created is
 * tagged managed-by=baristafs and baristafs-id=conn:<cloud>, which is how
 * cleanup() finds it again.
 *
 * Locking: the security group is resolved by one thread at a time
 * (struct once, the others waiting until their deadline); subnets, keys
 * and images are idempotent look-ups kept in memos, which may race
 * harmlessly.  No lock is held across a call.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "drivers/aws/aws_int.h"
#include "drivers/common/codec.h"
#include "drivers/common/hash.h"
#include "drivers/common/xmlh.h"

/* Call action and hand the answer's root to fn; fn's result is returned. */
typedef int (*aws_doc_fn)(const xmlNode *root, void *arg);

static int aws_query(struct aws_conn *c, const struct drv_ctx *ctx, const char *action,
		     struct params *p, aws_doc_fn fn, void *arg, struct drv_error *err)
{
	xmlDoc *doc = NULL;
	int rc = aws_call(c, ctx, action, p, &doc, err);

	if (rc == 0 && fn)
		rc = fn(xmlh_root(doc), arg);
	xmlFreeDoc(doc);
	params_release(p);
	return rc;
}

/* Filter.<n>.Name=name, Filter.<n>.Value.1=value */
static int aws_filter(struct params *p, int n, const char *name, const char *value)
{
	return aws_pair(p, "Filter", n, "Name", name, "Value.1", value);
}

static int aws_conn_tags(const struct aws_conn *c, struct drv_kv tags[2], char *idbuf,
			 size_t len)
{
	snprintf(idbuf, len, "conn:%s", c->cloud);
	tags[0] = (struct drv_kv){ DRV_TAG_MANAGED, DRV_TAG_MANAGED_VALUE };
	tags[1] = (struct drv_kv){ DRV_TAG_ID, idbuf };
	return 2;
}

/*
 * Copy the text at path of the first `item` of set that matches into the
 * buffer.  match is NULL or NULL-terminated (path, value) pairs the item
 * must have; an empty value matches anything.  The driver checks what it
 * asked the cloud to filter, so an answer with more than it asked for
 * (an emulator that ignores a filter) never picks the wrong resource.
 */
struct aws_pick {
	const char *set;
	const char *path;
	char *buf;
	size_t len;
	const char *const *match;
};

static int aws_pick_first(const xmlNode *root, void *arg)
{
	struct aws_pick *pk = arg;

	for (xmlNode *it = xmlh_child(xmlh_child(root, pk->set), "item"); it;
	     it = xmlh_next(it, "item")) {
		if (xmlh_matches(it, pk->match))
			return xmlh_text(it, pk->path, pk->buf, pk->len) == 0 && pk->buf[0] ? 0
											     : -ENOENT;
	}
	return -ENOENT;
}

/* ---- VPC and security group ------------------------------------------------------ */

static int aws_find_vpc(struct aws_conn *c, const struct drv_ctx *ctx, char *vpc, size_t len,
			struct drv_error *err)
{
	static const char *const dflt[] = { "isDefault", "true", NULL };
	struct aws_pick pk = { "vpcSet", "vpcId", vpc, len, dflt };
	struct params p = PARAMS_INIT;
	int rc;

	aws_filter(&p, 1, "isDefault", "true");
	rc = aws_query(c, ctx, "DescribeVpcs", &p, aws_pick_first, &pk, err);
	if (rc != -ENOENT)
		return rc;
	pk.match = NULL;
	rc = aws_query(c, ctx, "DescribeVpcs", &p, aws_pick_first, &pk, err);	/* any VPC */
	if (rc == -ENOENT)
		rc = drv_fail(err, EIO, "NoVpc",
			      "the account has no VPC in this region (aws ec2 create-default-vpc)");
	return rc;
}

static int aws_find_sg(struct aws_conn *c, const struct drv_ctx *ctx, const char *vpc,
		       const char *name, char *sg, size_t len, struct drv_error *err)
{
	const char *const match[] = { "groupName", name, "vpcId", vpc, NULL };
	struct aws_pick pk = { "securityGroupInfo", "groupId", sg, len, match };
	struct params p = PARAMS_INIT;

	aws_filter(&p, 1, "group-name", name);
	aws_filter(&p, 2, "vpc-id", vpc);
	return aws_query(c, ctx, "DescribeSecurityGroups", &p, aws_pick_first, &pk, err);
}

static int aws_pick_group_id(const xmlNode *root, void *arg)
{
	struct aws_pick *pk = arg;

	return xmlh_text(root, "groupId", pk->buf, pk->len) == 0 && pk->buf[0] ? 0 : -EIO;
}

static int aws_create_sg(struct aws_conn *c, const struct drv_ctx *ctx, const char *vpc,
			 const char *name, char *sg, size_t len, struct drv_error *err)
{
	struct aws_pick pk = { NULL, NULL, sg, len, NULL };
	struct params p = PARAMS_INIT;
	struct drv_kv tags[2];
	char id[96];
	int rc;

	params_add(&p, "GroupName", name);
	params_add(&p, "GroupDescription", "baristafs: VMs of one cloud connection");
	params_add(&p, "VpcId", vpc);
	aws_tag_spec(&p, 1, "security-group", name, tags,
		     (size_t)aws_conn_tags(c, tags, id, sizeof(id)));
	rc = aws_query(c, ctx, "CreateSecurityGroup", &p, aws_pick_group_id, &pk, err);
	if (rc == -EEXIST)
		rc = aws_find_sg(c, ctx, vpc, name, sg, len, err);
	return rc;
}

static int aws_open_ssh(struct aws_conn *c, const struct drv_ctx *ctx, const char *sg,
			struct drv_error *err)
{
	struct params p = PARAMS_INIT;
	int rc;

	params_add(&p, "GroupId", sg);
	params_add(&p, "IpPermissions.1.IpProtocol", "tcp");
	params_add(&p, "IpPermissions.1.FromPort", "22");
	params_add(&p, "IpPermissions.1.ToPort", "22");
	params_add(&p, "IpPermissions.1.IpRanges.1.CidrIp", "0.0.0.0/0");
	rc = aws_query(c, ctx, "AuthorizeSecurityGroupIngress", &p, NULL, NULL, err);
	return rc == -EEXIST ? 0 : rc;	/* the rule is there already */
}

struct aws_net_step {
	struct aws_conn *c;
	const struct drv_ctx *ctx;
	struct drv_error *err;
};

/* The once step: find the VPC and the connection's security group, or create it. */
static int aws_net_resolve(void *arg)
{
	struct aws_net_step *st = arg;
	struct aws_conn *c = st->c;
	char name[96];
	int rc;

	snprintf(name, sizeof(name), "baristafs-%s", c->cloud);
	rc = aws_find_vpc(c, st->ctx, c->vpc, sizeof(c->vpc), st->err);
	if (rc == 0)
		rc = aws_find_sg(c, st->ctx, c->vpc, name, c->sg, sizeof(c->sg), st->err);
	if (rc == -ENOENT) {
		rc = aws_create_sg(c, st->ctx, c->vpc, name, c->sg, sizeof(c->sg), st->err);
		if (rc == 0)
			rc = aws_open_ssh(c, st->ctx, c->sg, st->err);
	}
	return rc;
}

/* ---- subnets --------------------------------------------------------------------- */

/* Of the VPC's subnets in the zone, prefer the zone's default, else the first. */
static int aws_pick_subnet(const xmlNode *root, void *arg)
{
	struct aws_pick *pk = arg;
	xmlNode *set = xmlh_child(root, "subnetSet"), *first = NULL;
	char dflt[8];

	for (xmlNode *it = xmlh_child(set, "item"); it; it = xmlh_next(it, "item")) {
		if (!xmlh_matches(it, pk->match))
			continue;
		first = first ? first : it;
		if (xmlh_text(it, "defaultForAz", dflt, sizeof(dflt)) == 0 &&
		    strcmp(dflt, "true") == 0)
			return xmlh_text(it, "subnetId", pk->buf, pk->len) ? -ENOENT : 0;
	}
	return first && xmlh_text(first, "subnetId", pk->buf, pk->len) == 0 ? 0 : -ENOENT;
}

static int aws_subnet_for(struct aws_conn *c, const struct drv_ctx *ctx, const char *vpc,
			  const char *zone, char *subnet, size_t len, struct drv_error *err)
{
	const char *const match[] = { "vpcId", vpc, "availabilityZone", zone, NULL };
	struct aws_pick pk = { NULL, NULL, subnet, len, match };
	struct params p = PARAMS_INIT;
	char msg[160];
	int rc;

	if (memo_get(&c->subnets, zone, subnet, len))
		return 0;
	aws_filter(&p, 1, "vpc-id", vpc);
	if (*zone)
		aws_filter(&p, 2, "availabilityZone", zone);
	rc = aws_query(c, ctx, "DescribeSubnets", &p, aws_pick_subnet, &pk, err);
	if (rc == -ENOENT) {
		snprintf(msg, sizeof(msg), "no subnet of %s in zone '%s'", vpc, zone);
		return drv_fail(err, EINVAL, "NoSubnet", msg);
	}
	if (rc == 0)
		memo_put(&c->subnets, zone, subnet);
	return rc;
}

int aws_net_get(struct aws_conn *c, const struct drv_ctx *ctx, const char *zone, char *sg,
		size_t sglen, char *subnet, size_t snlen, struct drv_error *err)
{
	struct aws_net_step st = { c, ctx, err };
	int rc = once_run(&c->net_once, ctx ? ctx->deadline_ms : 0, aws_net_resolve, &st);

	if (rc == -ETIMEDOUT && err && !err->code[0])
		drv_fail(err, ETIMEDOUT, "Timeout", "waiting for the network set-up");
	if (rc)
		return rc;
	snprintf(sg, sglen, "%s", c->sg);
	return aws_subnet_for(c, ctx, c->vpc, zone, subnet, snlen, err);
}

/* ---- key pairs ------------------------------------------------------------------- */

static int aws_import_key(struct aws_conn *c, const struct drv_ctx *ctx, const char *name,
			  const char *pubkey, struct drv_error *err)
{
	struct params p = PARAMS_INIT;
	struct sbuf material = SBUF_INIT;
	struct drv_kv tags[2];
	char id[96];
	int rc;

	rc = codec_b64_encode(&material, pubkey, strlen(pubkey));
	if (rc) {
		sbuf_release(&material);
		return drv_fail(err, -rc, "InvalidKeyPair.Format", "the public key is too large");
	}
	params_add(&p, "KeyName", name);
	params_add(&p, "PublicKeyMaterial", material.buf);
	aws_tag_spec(&p, 1, "key-pair", NULL, tags, (size_t)aws_conn_tags(c, tags, id, sizeof(id)));
	rc = aws_query(c, ctx, "ImportKeyPair", &p, NULL, NULL, err);
	sbuf_release(&material);
	if (rc == -EEXIST && err)
		memset(err, 0, sizeof(*err));
	return rc == -EEXIST ? 0 : rc;
}

int aws_key_get(struct aws_conn *c, const struct drv_ctx *ctx, const char *pubkey, char *name,
		size_t len, struct drv_error *err)
{
	char hash[HASH_SHA256_HEX_LEN];
	int rc;

	/* Named after the key's digest: the same key always maps to the same pair. */
	hash_sha256_hex(pubkey, strlen(pubkey), hash);
	snprintf(name, len, "baristafs-%.16s", hash);
	if (memo_get(&c->keys, name, hash, sizeof(hash)))
		return 0;
	rc = aws_import_key(c, ctx, name, pubkey, err);
	if (rc == 0)
		memo_put(&c->keys, name, "imported");
	return rc;
}

/* ---- images ----------------------------------------------------------------------- */

/* Is this the image the tree calls `want` (its full name or its tree name)? */
static bool aws_image_is(const xmlNode *it, const char *want)
{
	char name[256], id[64], shown[128];

	if (xmlh_text(it, "name", name, sizeof(name)) != 0)
		return false;
	if (strcmp(name, want) == 0)
		return true;
	xmlh_text(it, "imageId", id, sizeof(id));
	aws_image_name(name, id, shown, sizeof(shown));
	return strcmp(shown, want) == 0;
}

/* The newest available image of the answer named so (creationDate sorts as text). */
static int aws_pick_image(const xmlNode *root, void *arg)
{
	struct aws_pick *pk = arg;
	xmlNode *set = xmlh_child(root, "imagesSet");
	char best[40] = "", when[40], state[32];

	for (xmlNode *it = xmlh_child(set, "item"); it; it = xmlh_next(it, "item")) {
		if (!aws_image_is(it, pk->match[1]))
			continue;
		if (xmlh_text(it, "imageState", state, sizeof(state)) == 0 &&
		    strcmp(state, "available") != 0)
			continue;
		xmlh_text(it, "creationDate", when, sizeof(when));
		if (pk->buf[0] && strcmp(when, best) <= 0)
			continue;
		snprintf(best, sizeof(best), "%s", when);
		xmlh_text(it, "imageId", pk->buf, pk->len);
	}
	return pk->buf[0] ? 0 : -ENOENT;
}

void aws_owner_params(const struct aws_conn *c, struct params *p)
{
	const char *s = c->image_owners;
	char key[24];
	int n = 0;

	while (*s) {
		size_t len = strcspn(s, ",");
		char owner[64];

		if (len && len < sizeof(owner)) {
			snprintf(owner, sizeof(owner), "%.*s", (int)len, s);
			snprintf(key, sizeof(key), "Owner.%d", ++n);
			params_add(p, key, owner);
		}
		s += len + (s[len] == ',');
	}
}

int aws_image_id(struct aws_conn *c, const struct drv_ctx *ctx, const char *image, char *id,
		 size_t len, struct drv_error *err)
{
	const char *const match[] = { "name", image, NULL };
	struct aws_pick pk = { NULL, NULL, id, len, match };
	struct params p = PARAMS_INIT;
	char msg[200];
	int rc;

	id[0] = '\0';
	if (strncmp(image, "ami-", 4) == 0) {
		snprintf(id, len, "%s", image);
		return 0;
	}
	if (memo_get(&c->images, image, id, len))
		return 0;
	aws_filter(&p, 1, "name", image);
	aws_owner_params(c, &p);
	rc = aws_query(c, ctx, "DescribeImages", &p, aws_pick_image, &pk, err);
	if (rc == -ENOENT && !strchr(image, '/')) {
		/* The tree's short name: the end of a path-like EC2 name. */
		char pattern[160];

		snprintf(pattern, sizeof(pattern), "*/%s", image);
		aws_filter(&p, 1, "name", pattern);
		aws_owner_params(c, &p);
		rc = aws_query(c, ctx, "DescribeImages", &p, aws_pick_image, &pk, err);
	}
	if (rc == -ENOENT) {
		snprintf(msg, sizeof(msg), "image '%s' not found", image);
		return drv_fail(err, EINVAL, "InvalidAMIID.NotFound", msg);
	}
	if (rc == 0)
		memo_put(&c->images, image, id);
	return rc;
}

/* ---- cleanup ---------------------------------------------------------------------- */

/* The ids (at path of each item of set) of this connection's tagged resources. */
struct aws_ids {
	const char *set;
	const char *path;
	const char *owner;	/* the value of our baristafs-id tag */
	char ids[16][128];
	unsigned n;
};

/* Only what carries this connection's tag: never someone else's resource. */
static int aws_collect_ids(const xmlNode *root, void *arg)
{
	struct aws_ids *ids = arg;
	xmlNode *set = xmlh_child(root, ids->set);

	for (xmlNode *it = xmlh_child(set, "item"); it && ids->n < 16; it = xmlh_next(it, "item")) {
		if (!xmlh_has_pair(it, "tagSet", "item", "key", DRV_TAG_ID, "value", ids->owner) ||
		    !xmlh_has_pair(it, "tagSet", "item", "key", DRV_TAG_MANAGED, "value",
				   DRV_TAG_MANAGED_VALUE))
			continue;
		if (xmlh_text(it, ids->path, ids->ids[ids->n], sizeof(ids->ids[0])) == 0)
			ids->n++;
	}
	return 0;
}

static int aws_delete_tagged(struct aws_conn *c, const struct drv_ctx *ctx, const char *describe,
			     struct aws_ids *ids, const char *del, const char *param,
			     struct drv_error *err)
{
	struct params p = PARAMS_INIT;
	char id[96];
	int rc;

	snprintf(id, sizeof(id), "conn:%s", c->cloud);
	ids->owner = id;
	aws_filter(&p, 1, "tag:" DRV_TAG_MANAGED, DRV_TAG_MANAGED_VALUE);
	aws_filter(&p, 2, "tag:" DRV_TAG_ID, id);
	rc = aws_query(c, ctx, describe, &p, aws_collect_ids, ids, err);
	for (unsigned i = 0; rc == 0 && i < ids->n; i++) {
		params_add(&p, param, ids->ids[i]);
		rc = aws_query(c, ctx, del, &p, NULL, NULL, err);
		if (rc == -ENOENT) {
			rc = 0;	/* gone already */
			if (err)
				memset(err, 0, sizeof(*err));
		}
	}
	return rc;
}

int aws_cleanup(void *conn, const struct drv_ctx *ctx, struct drv_error *err)
{
	struct aws_conn *c = conn;
	struct aws_ids sgs = { "securityGroupInfo", "groupId", NULL, { { 0 } }, 0 };
	struct aws_ids keys = { "keySet", "keyName", NULL, { { 0 } }, 0 };
	int rc;

	rc = aws_delete_tagged(c, ctx, "DescribeSecurityGroups", &sgs, "DeleteSecurityGroup",
			       "GroupId", err);
	if (rc == 0)
		rc = aws_delete_tagged(c, ctx, "DescribeKeyPairs", &keys, "DeleteKeyPair",
				       "KeyName", err);
	aws_forget(c);
	return rc;
}

void aws_forget(struct aws_conn *c)
{
	once_reset(&c->net_once);
	memo_clear(&c->subnets);
	memo_clear(&c->keys);
	memo_clear(&c->images);
}
