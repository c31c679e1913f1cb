/*
 * alibaba.c - the Alibaba Cloud ECS driver: its table, connections, health
 * and the catalogue listings.
 *
 * Spec keys: region (required), zone, endpoint (default
 * https://ecs.{region}.aliyuncs.com/), vpc_endpoint (default
 * https://vpc.{region}.aliyuncs.com/, or the ECS endpoint when that is
 * overridden), ca_file, ssh_key, vswitch_id (use this VSwitch and its VPC
 * instead of the default VPC's), bandwidth_out_mbps (InternetMaxBandwidthOut,
 * default 5: a public IP; 0: none).  Credential keys: access_key_id,
 * access_key_secret.
 *
 * Prices come from ECS's own DescribePrice, one call per instance type; if
 * the first such call is refused or fails, the remaining types report an
 * unknown price instead of hammering the API (the listing itself still
 * succeeds).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "drivers/alibaba/alibaba_int.h"
#include "drivers/common/conf.h"
#include "drivers/common/xmlh.h"

static int alibaba_endpoints(struct alibaba_conn *c, const char *ecs, const char *vpc,
			     struct drv_error *err)
{
	int rc = conf_endpoint(ecs, ALIBABA_DEFAULT_ENDPOINT, c->region, c->endpoint,
			       sizeof(c->endpoint), err);

	/* An overridden ECS endpoint (an emulator, a private cloud) also serves VPC. */
	if (rc == 0)
		rc = conf_endpoint(*vpc ? vpc : *ecs ? c->endpoint : NULL,
				   ALIBABA_DEFAULT_VPC_ENDPOINT, c->region, c->vpc_endpoint,
				   sizeof(c->vpc_endpoint), err);
	return rc;
}

static int alibaba_read_spec(struct alibaba_conn *c, const json_t *spec, struct drv_error *err)
{
	char ecs[512], vpc[512], ca[512];
	int rc;

	rc = conf_str(spec, "spec", "region", true, c->region, sizeof(c->region), err);
	rc = rc ? rc : conf_str(spec, "spec", "zone", false, c->zone, sizeof(c->zone), err);
	rc = rc ? rc : conf_str(spec, "spec", "endpoint", false, ecs, sizeof(ecs), err);
	rc = rc ? rc : conf_str(spec, "spec", "vpc_endpoint", false, vpc, sizeof(vpc), err);
	rc = rc ? rc : conf_str(spec, "spec", "ca_file", false, ca, sizeof(ca), err);
	rc = rc ? rc : conf_str(spec, "spec", "ssh_key", false, c->ssh_key, sizeof(c->ssh_key), err);
	rc = rc ? rc : conf_str(spec, "spec", "vswitch_id", false, c->vswitch, sizeof(c->vswitch),
				err);
	rc = rc ? rc : conf_str(spec, "spec", "bandwidth_out_mbps", false, c->bandwidth,
				sizeof(c->bandwidth), err);
	rc = rc ? rc : alibaba_endpoints(c, ecs, vpc, err);
	if (rc == 0 && !c->bandwidth[0])
		snprintf(c->bandwidth, sizeof(c->bandwidth), "%s", ALIBABA_DEFAULT_BANDWIDTH);
	if (rc == 0) {
		struct http_client_opts o = { .ca_file = ca[0] ? ca : NULL,
					      .pool = conf_pool(spec) };

		rc = http_client_new(&o, &c->http, err);
	}
	return rc;
}

static void alibaba_disconnect(void *conn)
{
	struct alibaba_conn *c = conn;

	if (!c)
		return;
	http_client_free(c->http);
	once_release(&c->net_once);
	memo_release(&c->vswitches);
	memo_release(&c->keys);
	memo_release(&c->images);
	OPENSSL_cleanse(c, sizeof(*c));
	free(c);
}

static int alibaba_connect(const struct drv_config *cfg, void **conn, struct drv_error *err)
{
	struct alibaba_conn *c = calloc(1, sizeof(*c));
	int rc;

	if (!c)
		return -ENOMEM;
	once_init(&c->net_once);
	memo_init(&c->vswitches);
	memo_init(&c->keys);
	memo_init(&c->images);
	snprintf(c->cloud, sizeof(c->cloud), "%s", cfg->cloud ? cfg->cloud : "alibaba");
	/* No credential yet is allowed: calls answer -EACCES until one is given. */
	rc = !cfg->credential ? 0 : conf_str(cfg->credential, "credential", "access_key_id", true,
					     c->akid, sizeof(c->akid), err);
	rc = rc || !cfg->credential ? rc : conf_str(cfg->credential, "credential",
						    "access_key_secret", true, c->secret,
						    sizeof(c->secret), err);
	rc = rc ? rc : alibaba_read_spec(c, cfg->spec, err);
	if (rc) {
		alibaba_disconnect(c);
		return rc;
	}
	*conn = c;
	return 0;
}

/* DescribeZones of the region: cheap, signed, and proves the region answers. */
static int alibaba_health(void *conn, const struct drv_ctx *ctx, struct drv_error *err)
{
	struct params p = PARAMS_INIT;

	return alibaba_query(conn, ctx, ALIBABA_ECS, "DescribeZones", &p, NULL, NULL, err);
}

/* ---- instance types and their prices ------------------------------------------------ */

struct alibaba_specs {
	struct alibaba_conn *c;
	const struct drv_ctx *ctx;
	drv_spec_cb cb;
	void *arg;
	bool no_prices;		/* DescribePrice failed once: stop asking */
};

struct alibaba_price {
	double usd;
	char *source;
	size_t len;
};

static int alibaba_price_answer(const xmlNode *root, void *arg)
{
	struct alibaba_price *pr = arg;

	return alibaba_parse_price(root, &pr->usd, pr->source, pr->len);
}

static void alibaba_price(struct alibaba_specs *st, struct drv_spec_info *s)
{
	struct alibaba_price pr = { -1.0, s->price_source, sizeof(s->price_source) };
	struct params p = PARAMS_INIT;
	struct drv_error ignored = { 0 };

	if (st->no_prices)
		return;
	params_add(&p, "ResourceType", "instance");
	params_add(&p, "InstanceType", s->name);
	params_add(&p, "PriceUnit", "Hour");
	if (st->c->zone[0])
		params_add(&p, "ZoneId", st->c->zone);
	if (alibaba_query(st->c, st->ctx, ALIBABA_ECS, "DescribePrice", &p, alibaba_price_answer,
			  &pr, &ignored) != 0) {
		st->no_prices = true;
		snprintf(s->price_source, sizeof(s->price_source), "unknown");
		return;
	}
	s->price_usd_per_hour = pr.usd;
}

static int alibaba_priced(void *arg, const struct drv_spec_info *spec)
{
	struct alibaba_specs *st = arg;
	struct drv_spec_info s = *spec;

	alibaba_price(st, &s);
	return st->cb(st->arg, &s);
}

/* One DescribeInstanceTypes page and where its NextToken goes. */
struct alibaba_types_page {
	struct alibaba_specs *st;
	char *next;
	size_t len;
};

static int alibaba_types_answer(const xmlNode *root, void *arg)
{
	struct alibaba_types_page *a = arg;
	int rc = alibaba_parse_types(root, alibaba_priced, a->st, a->next, a->len);

	return rc > 0 ? 1 : rc;
}

static int alibaba_list_specs(void *conn, const struct drv_ctx *ctx, drv_spec_cb cb, void *arg,
			      struct drv_error *err)
{
	struct alibaba_specs st = { conn, ctx, cb, arg, false };
	char token[512] = "";
	struct alibaba_types_page a = { &st, token, sizeof(token) };
	int rc;

	for (int page = 0; page < ALIBABA_MAX_PAGES; page++) {
		struct params p = PARAMS_INIT;

		if (token[0])
			params_add(&p, "NextToken", token);
		rc = alibaba_query(conn, ctx, ALIBABA_ECS, "DescribeInstanceTypes", &p,
				   alibaba_types_answer, &a, err);
		if (rc == -EIO && err && !err->code[0])
			rc = drv_fail(err, EIO, "MalformedAnswer", "unexpected DescribeInstanceTypes");
		if (rc || !token[0])
			return rc > 0 ? 0 : rc;
	}
	return drv_fail(err, EIO, "PaginationLoop", "the listing does not end");
}

/* ---- images ------------------------------------------------------------------------ */

struct alibaba_image_page {
	drv_image_cb cb;
	void *arg;
	int count;
	long long total;
	int stopped;
};

static int alibaba_images_answer(const xmlNode *root, void *arg)
{
	struct alibaba_image_page *pg = arg;
	int rc = alibaba_parse_images(root, pg->cb, pg->arg, &pg->count, &pg->total);

	pg->stopped = rc > 0;
	return rc > 0 ? 0 : rc;
}

static int alibaba_list_images(void *conn, const struct drv_ctx *ctx, drv_image_cb cb,
			       void *arg, struct drv_error *err)
{
	long long seen = 0;
	int rc;

	for (int page = 1; page <= ALIBABA_MAX_PAGES; page++) {
		struct alibaba_image_page pg = { cb, arg, 0, 0, 0 };
		struct params p = PARAMS_INIT;

		params_addf(&p, "PageNumber", "%d", page);
		params_addf(&p, "PageSize", "%d", ALIBABA_PAGE_SIZE);
		rc = alibaba_query(conn, ctx, ALIBABA_ECS, "DescribeImages", &p,
				   alibaba_images_answer, &pg, err);
		if (rc == -EIO && err && !err->code[0])
			rc = drv_fail(err, EIO, "MalformedAnswer", "unexpected DescribeImages answer");
		seen += pg.count;
		if (rc || pg.stopped || pg.count == 0 || seen >= pg.total)
			return rc;
	}
	return drv_fail(err, EIO, "PaginationLoop", "the listing does not end");
}

__attribute__((visibility("default"))) const struct drv_ops baristafs_driver = {
	.abi_version = DRV_ABI_VERSION,
	.size = sizeof(struct drv_ops),
	.name = "alibaba",
	.caps = DRV_CAP_SUSPEND | DRV_CAP_REBOOT | DRV_CAP_TAGS | DRV_CAP_USER_DATA |
		DRV_CAP_IDEMPOTENT | DRV_CAP_PRICES | DRV_CAP_SSH_KEY | DRV_CAP_CREDENTIAL,
	.connect = alibaba_connect,
	.disconnect = alibaba_disconnect,
	.health = alibaba_health,
	.list_specs = alibaba_list_specs,
	.list_images = alibaba_list_images,
	.create_vm = alibaba_create_vm,
	.get_vm = alibaba_get_vm,
	.list_vms = alibaba_list_vms,
	.control_vm = alibaba_control_vm,
	.delete_vm = alibaba_delete_vm,
	.tag_vm = alibaba_tag_vm,
	.cleanup = alibaba_cleanup,
};
