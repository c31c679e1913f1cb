/*
 * aws_int.h - private to the aws driver (drivers/aws.so): the connection
 * handle and the functions its files share.  Nothing here is exported from
 * the shared object (drivers/common/export.map keeps only the table).
 *
 * Files: aws.c (the table, connect, health, listings), aws_call.c (one
 * signed EC2 Query request), aws_parse.c (XML answers into ABI structs and
 * the two tables), aws_vm.c (instances), aws_net.c (the connection's
 * default security group, subnet and key pairs).
 */
#ifndef BFS_AWS_INT_H
#define BFS_AWS_INT_H

#include <stdbool.h>

#include <libxml/tree.h>

#include "drivers/common/drvmap.h"
#include "drivers/common/http.h"
#include "drivers/common/memo.h"
#include "drivers/common/once.h"
#include "drivers/common/params.h"
#include "drivers/driver.h"

#define AWS_API_VERSION "2016-11-15"
#define AWS_SERVICE "ec2"
#define AWS_DEFAULT_OWNERS "self,amazon,099720109477"	/* yours, Amazon's, Canonical's */
#define AWS_DEFAULT_ENDPOINT "https://ec2.{region}.amazonaws.com/"
#define AWS_PAGE_SIZE 200	/* MaxResults of DescribeInstances (5..1000) */
#define AWS_MAX_PAGES 1000	/* a listing that never ends is an error */

struct aws_conn {
	/* Read-only after connect. */
	char cloud[64];
	char region[64];
	char zone[64];
	char endpoint[512];
	char host[256];			/* Host header value, from endpoint */
	char akid[128];
	char secret[256];		/* wiped on disconnect */
	char token[2048];		/* session token, "" when none; wiped */
	char ssh_key[2048];		/* the spec's default public key, "" when none */
	char image_owners[256];		/* comma-separated Owner.N values */
	char image_filter[256];		/* name pattern for image listings, "" for all */
	struct http_client *http;

	/* The default network: vpc and sg are written by the one net_once step
	 * and read only after once_run() returned 0 (its lock orders them). */
	struct once net_once;
	char vpc[64];
	char sg[64];
	struct memo subnets;		/* zone -> subnet id */
	struct memo keys;		/* key pair name -> "imported" */
	struct memo images;		/* image name -> ami id */
};

extern const struct drvmap_err aws_errors[];
extern const struct drvmap_status aws_statuses[];

/* ---- aws_call.c ------------------------------------------------------------ */

/*
 * Send Action with params (Action and Version are added here) as a signed
 * form POST.  On a 2xx answer *doc is the parsed XML (caller frees with
 * xmlFreeDoc).  Otherwise err is filled from the cloud's error answer via
 * aws_errors and the negative errno returned.
 */
int aws_call(struct aws_conn *c, const struct drv_ctx *ctx, const char *action,
	     struct params *p, xmlDoc **doc, struct drv_error *err);

/* ---- aws_parse.c ----------------------------------------------------------- */

/* The first Errors/Error of an EC2 error answer: code, message, request id ("" when absent). */
int aws_parse_error(const char *body, size_t len, char *code, size_t clen, char *msg,
		    size_t mlen, char *reqid, size_t rlen);
/* One instancesSet item into vm. */
void aws_parse_instance(const xmlNode *item, struct drv_vm *vm);
/* The common status of a state name and state-reason code. */
enum drv_vm_status aws_status(const char *state, const char *reason_code);
/*
 * Every instance of a DescribeInstances or RunInstances answer, through cb.
 * The page's nextToken (or "") into next.  Returns cb's nonzero stop value,
 * 0, or -EIO for an answer of another shape.
 */
int aws_parse_instances(const xmlNode *root, drv_vm_cb cb, void *arg, char *next, size_t len);
/* Instance types (EC2's instanceTypeSet or Eucalyptus' instanceTypeDetails), through cb. */
int aws_parse_types(const xmlNode *root, drv_spec_cb cb, void *arg, char *next, size_t len);
/*
 * The name the tree shows for an image: its EC2 name when that is a valid
 * file name, else the part after its last '/' ("ubuntu/images/hvm-ssd/
 * ubuntu-jammy-..." -> "ubuntu-jammy-..."), else its id.  out may be name.
 */
void aws_image_name(const char *name, const char *id, char *out, size_t len);
/* Images (imagesSet), through cb. */
int aws_parse_images(const xmlNode *root, drv_image_cb cb, void *arg, char *next, size_t len);
/* The price table's on-demand USD/hour for an instance type, < 0 when unknown. */
double aws_price(const char *type, const char **source);

/* ---- aws_vm.c ---------------------------------------------------------------- */

int aws_create_vm(void *conn, const struct drv_ctx *ctx, const struct drv_vm_req *req,
		  struct drv_vm *out, struct drv_error *err);
int aws_get_vm(void *conn, const struct drv_ctx *ctx, const char *csp_id, struct drv_vm *out,
	       struct drv_error *err);
int aws_list_vms(void *conn, const struct drv_ctx *ctx, const struct drv_kv *filter,
		 drv_vm_cb cb, void *arg, struct drv_error *err);
int aws_control_vm(void *conn, const struct drv_ctx *ctx, const char *csp_id,
		   enum drv_action action, struct drv_error *err);
int aws_delete_vm(void *conn, const struct drv_ctx *ctx, const char *csp_id,
		  struct drv_error *err);
int aws_tag_vm(void *conn, const struct drv_ctx *ctx, const char *csp_id,
	       const struct drv_kv *tags, size_t ntags, struct drv_error *err);
/* <prefix>.<n>.<k1>=v1 and, when v2, <prefix>.<n>.<k2>=v2 (EC2's list flattening). */
int aws_pair(struct params *p, const char *prefix, int n, const char *k1, const char *v1,
	     const char *k2, const char *v2);
/* Add TagSpecification.<n> for resource type rtype with the given tags (and Name when name). */
int aws_tag_spec(struct params *p, int n, const char *rtype, const char *name,
		 const struct drv_kv *tags, size_t ntags);

/* ---- aws_net.c --------------------------------------------------------------- */

/*
 * The security group and the subnet of zone that VMs of this connection
 * use, found or created on first use (tagged managed-by=baristafs) and
 * cached.  Thread-safe; concurrent first callers wait for one resolver
 * (drivers/common/once.h).
 */
int aws_net_get(struct aws_conn *c, const struct drv_ctx *ctx, const char *zone, char *sg,
		size_t sglen, char *subnet, size_t snlen, struct drv_error *err);
/* The key pair holding pubkey (imported on first use), its name into name. */
int aws_key_get(struct aws_conn *c, const struct drv_ctx *ctx, const char *pubkey, char *name,
		size_t len, struct drv_error *err);
/* The image id for an image name or id (ami-... passes through). */
int aws_image_id(struct aws_conn *c, const struct drv_ctx *ctx, const char *image, char *id,
		 size_t len, struct drv_error *err);
/* Owner.1..n from the spec's image_owners (comma-separated) into p. */
void aws_owner_params(const struct aws_conn *c, struct params *p);
/* Forget the cached network, keys and images: they are looked up again on next use. */
void aws_forget(struct aws_conn *c);
/* Delete the security group and key pairs this connection created. */
int aws_cleanup(void *conn, const struct drv_ctx *ctx, struct drv_error *err);

#endif
