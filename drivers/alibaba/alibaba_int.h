/*
 * alibaba_int.h - private to the alibaba driver (drivers/alibaba.so): the
 * connection handle and the functions its files share.  Nothing here is
 * exported (drivers/common/export.map keeps only the table).
 *
 * Files: alibaba.c (the table, connect, health, listings), alibaba_call.c
 * (one V2-signed RPC request to ECS or VPC), alibaba_parse.c (XML answers
 * into ABI structs), alibaba_tables.c (statuses, errors), alibaba_vm.c
 * (instances), alibaba_net.c (VPC, VSwitch, security group, key pairs,
 * image names).
 */
#ifndef BFS_ALIBABA_INT_H
#define BFS_ALIBABA_INT_H

#include <stdbool.h>

#include <libxml/tree.h>

#include "drivers/common/drvmap.h"
#include "drivers/common/http.h"
#include "drivers/common/memo.h"
#include "drivers/common/once.h"
#include "drivers/common/params.h"
#include "drivers/driver.h"

#define ALIBABA_ECS_VERSION "2014-05-26"
#define ALIBABA_VPC_VERSION "2016-04-28"
#define ALIBABA_DEFAULT_ENDPOINT "https://ecs.{region}.aliyuncs.com/"
#define ALIBABA_DEFAULT_VPC_ENDPOINT "https://vpc.{region}.aliyuncs.com/"
#define ALIBABA_PAGE_SIZE 100	/* PageSize, at most 100 */
#define ALIBABA_MAX_PAGES 1000
#define ALIBABA_DEFAULT_BANDWIDTH "5"	/* InternetMaxBandwidthOut, Mbit/s: a public IP */

enum alibaba_api {
	ALIBABA_ECS,
	ALIBABA_VPC,
};

struct alibaba_conn {
	/* Read-only after connect. */
	char cloud[64];
	char region[64];
	char zone[64];
	char endpoint[512];
	char vpc_endpoint[512];
	char akid[128];
	char secret[256];		/* wiped on disconnect */
	char ssh_key[2048];		/* the spec's default public key, "" when none */
	char vswitch[64];		/* the spec's vswitch_id, "" to look one up */
	char bandwidth[16];		/* InternetMaxBandwidthOut */
	struct http_client *http;

	/* The default network, written by the net_once step and read after
	 * once_run() returned 0.  vpc "" means the classic network. */
	struct once net_once;
	char vpc[64];
	char sg[64];
	struct memo vswitches;		/* zone -> vswitch id */
	struct memo keys;		/* key pair name -> "imported" */
	struct memo images;		/* image name -> image id */
};

extern const struct drvmap_err alibaba_errors[];
extern const struct drvmap_status alibaba_statuses[];

/* ---- alibaba_call.c ---------------------------------------------------------- */

/*
 * Send Action to the ECS or VPC API with p (the common parameters, RegionId
 * and the V2 signature are added here) as a signed form POST.  On success
 * *doc is the parsed XML (caller frees).  Otherwise err is filled through
 * alibaba_errors and the negative errno returned.
 */
int alibaba_call(struct alibaba_conn *c, const struct drv_ctx *ctx, enum alibaba_api api,
		 const char *action, struct params *p, xmlDoc **doc, struct drv_error *err);
/* The same, handing the answer's root to fn and releasing p and the answer. */
typedef int (*alibaba_doc_fn)(const xmlNode *root, void *arg);
int alibaba_query(struct alibaba_conn *c, const struct drv_ctx *ctx, enum alibaba_api api,
		  const char *action, struct params *p, alibaba_doc_fn fn, void *arg,
		  struct drv_error *err);
/* Tag.<n>.Key / Tag.<n>.Value for each tag, numbered from first. */
int alibaba_tag_params(struct params *p, int first, const struct drv_kv *tags, size_t ntags);

/* ---- alibaba_parse.c --------------------------------------------------------- */

/* The Error answer: code, message, request id ("" when absent).  0 or -ENOENT. */
int alibaba_parse_error(const char *body, size_t len, char *code, size_t clen, char *msg,
			size_t mlen, char *reqid, size_t rlen);
/* One Instances/Instance element into vm. */
void alibaba_parse_instance(const xmlNode *inst, struct drv_vm *vm);
/*
 * Every instance of a DescribeInstances page through cb; *count gets the
 * number on this page and *total the TotalCount.  Returns cb's nonzero
 * stop value, 0, or -EIO for an answer of another shape.
 */
int alibaba_parse_instances(const xmlNode *root, drv_vm_cb cb, void *arg, int *count,
			    long long *total);
/* RunInstances: the first InstanceIdSets/InstanceIdSet into id.  0 or -EIO. */
int alibaba_parse_run(const xmlNode *root, char *id, size_t len);
/* Instance types through cb (price left unknown); the NextToken, if any, into next. */
int alibaba_parse_types(const xmlNode *root, drv_spec_cb cb, void *arg, char *next,
			size_t len);
/* DescribePrice: the trade price per hour in USD, and its source.  0 or -ENOENT. */
int alibaba_parse_price(const xmlNode *root, double *usd, char *source, size_t len);
/* Images of a DescribeImages page through cb; *count and *total as for instances. */
int alibaba_parse_images(const xmlNode *root, drv_image_cb cb, void *arg, int *count,
			 long long *total);
/* "2015-12-27T07:35Z" or with seconds, into unix seconds; 0 when unparsable. */
int64_t alibaba_parse_time(const char *s);

/* ---- alibaba_vm.c -------------------------------------------------------------- */

int alibaba_create_vm(void *conn, const struct drv_ctx *ctx, const struct drv_vm_req *req,
		      struct drv_vm *out, struct drv_error *err);
int alibaba_get_vm(void *conn, const struct drv_ctx *ctx, const char *csp_id,
		   struct drv_vm *out, struct drv_error *err);
int alibaba_list_vms(void *conn, const struct drv_ctx *ctx, const struct drv_kv *filter,
		     drv_vm_cb cb, void *arg, struct drv_error *err);
int alibaba_control_vm(void *conn, const struct drv_ctx *ctx, const char *csp_id,
		       enum drv_action action, struct drv_error *err);
int alibaba_delete_vm(void *conn, const struct drv_ctx *ctx, const char *csp_id,
		      struct drv_error *err);
int alibaba_tag_vm(void *conn, const struct drv_ctx *ctx, const char *csp_id,
		   const struct drv_kv *tags, size_t ntags, struct drv_error *err);

/* ---- alibaba_net.c ----------------------------------------------------------------- */

/*
 * The security group and the VSwitch of zone ("" in the classic network)
 * that VMs of this connection use: found, or the group created (tagged),
 * on first use, then cached.  Thread-safe.
 */
int alibaba_net_get(struct alibaba_conn *c, const struct drv_ctx *ctx, const char *zone,
		    char *sg, size_t sglen, char *vswitch, size_t vslen, struct drv_error *err);
/* The key pair holding pubkey (imported on first use), its name into name. */
int alibaba_key_get(struct alibaba_conn *c, const struct drv_ctx *ctx, const char *pubkey,
		    char *name, size_t len, struct drv_error *err);
/* The image id for an image id or name. */
int alibaba_image_id(struct alibaba_conn *c, const struct drv_ctx *ctx, const char *image,
		     char *id, size_t len, struct drv_error *err);
/* Forget the cached network, keys and images: they are looked up again on next use. */
void alibaba_forget(struct alibaba_conn *c);
/* Delete the security group and key pairs this connection created. */
int alibaba_cleanup(void *conn, const struct drv_ctx *ctx, struct drv_error *err);
/* The tags this connection puts on what it creates for itself. */
void alibaba_conn_tags(const struct alibaba_conn *c, struct drv_kv tags[2], char *idbuf,
		       size_t len);

#endif
