/*
 * gcp.h - private interface between the files of the Google Compute Engine
 * driver (drivers/gcp.so, which exports only baristafs_driver).
 *
 * parse.c    compute v1 answers (instances, operations, machine types,
 *            images, errors) into the ABI's structs; the status table, the
 *            error tables (HTTP answers and operation errors), prices.
 *            Pure functions, unit-tested over the recorded fixtures, fuzzed.
 * auth.c     the service-account JWT-bearer exchange behind the token cache.
 * call.c     authenticated calls to the compute API, pagination.
 * gcp.c      connect, health, the catalog, the firewall rule, the table.
 * vms.c      the VM operations.
 *
 * A VM's csp_id is "<zone>/<name>": instance names are unique per zone and
 * the zone is needed to address the instance.
 */
#ifndef BFS_DRIVERS_GCP_H
#define BFS_DRIVERS_GCP_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#include "drivers/common/bearer.h"
#include "drivers/common/once.h"
#include "drivers/common/http.h"
#include "drivers/driver.h"

/* Metadata items a VM carries besides its labels (exact values; labels are sanitized). */
#define GCP_META_TOKEN "baristafs-token"
#define GCP_META_IMAGE "baristafs-image"

#define GCP_SCOPE "https://www.googleapis.com/auth/compute"
#define GCP_DEFAULT_BASE "https://compute.googleapis.com/compute/v1/"
#define GCP_DEFAULT_TOKEN_URI "https://oauth2.googleapis.com/token"

/* A zone operation, as far as the driver reads it. */
struct gcp_op {
	char name[128];
	char zone[64];
	char status[16];	/* PENDING RUNNING DONE */
	char target[128];	/* the target's name (last segment of targetLink) */
	char error_code[64];	/* first error's code, "" when none */
	char error_message[256];
	int http_error;		/* httpErrorStatusCode, 0 when none */
};

struct jwt_key;

struct gcp_conn {
	/* Set by connect, read-only afterwards. */
	char cloud[64];
	char project[128];
	char zone[64], region[64];
	char base[512];		/* compute base URL ending in '/' */
	char token_uri[512];
	char client_email[256];
	char key_id[128];	/* private_key_id, the JWT's kid; "" when none */
	char network[192];	/* "global/networks/<n>": spec "network", default "default" */
	char tag[64];		/* network tag of our VMs, target of our firewall rule */
	char ssh_key[2048];	/* spec "ssh_key", "" when none */
	struct jwt_key *key;	/* the service account's private key */
	json_t *image_projects;	/* array of projects whose images are offered */
	struct bearer *auth;	/* token cache and HTTP client */
	struct once setup;	/* the SSH firewall rule */

	pthread_mutex_t lock;	/* guards the two maps */
	json_t *inserts;	/* csp_id -> insert operation name, until the VM shows */
	json_t *images;		/* image name -> "projects/p/global/images/n" */
};

/* ---- parse.c ------------------------------------------------------------- */

/* The last '/'-separated segment of a URL or path (borrowed from s; "" for NULL). */
const char *gcp_last_segment(const char *s);

/* Fill *vm from an instance (compute#instance).  0, or -EIO without name or zone. */
int gcp_parse_instance(const json_t *inst, struct drv_vm *vm);
/* The value of a metadata item of an instance (borrowed), or NULL. */
const char *gcp_metadata(const json_t *inst, const char *key);

/* Fill *op from a compute#operation.  0, or -EIO without a name. */
int gcp_parse_operation(const json_t *doc, struct gcp_op *op);

/*
 * Fill *spec from a machine type: vCPUs, memory, accelerators, arch (the
 * Arm families t2a, c4a), and the price from the shipped table.  0, or -EIO.
 */
int gcp_parse_machine_type(const json_t *mt, struct drv_spec_info *spec);

/*
 * Fill *img from an image; path gets "projects/<p>/global/images/<name>".
 * 0; 1 when the image is not offered (not READY, or deprecated/obsolete/
 * deleted); -EIO when malformed.
 */
int gcp_parse_image(const json_t *image, struct drv_image_info *img, char *path, size_t size);

enum drv_vm_status gcp_status(const char *status);

/* An HTTP error answer (compute API or token endpoint) to -errno and err. */
int gcp_error(int http_status, const char *body, size_t len, struct drv_error *err);
/* A DONE operation's error to -errno and err (0 when it has none). */
int gcp_op_error(const struct gcp_op *op, struct drv_error *err);

/* RFC 3339 with any UTC offset ("2013-12-13T10:45:23.351-08:00") to unix seconds; 0 or -EINVAL. */
int gcp_time(const char *s, int64_t *unix_s);

/* A label key or value: lowercase [a-z0-9_-], other bytes '_', at most 63. */
void gcp_label(const char *in, char *out, size_t size);

/* A requestId (a UUID) derived from seed, so that a retry sends the same one. */
void gcp_request_id(const char *seed, char out[37]);

/* Shipped price of a machine type in USD per hour, or -1 (see parse.c). */
double gcp_price(const char *machine_type, int vcpus, double mem_gib);
extern const char gcp_price_source[];

/* ---- auth.c -------------------------------------------------------------- */

/* The signed JWT assertion for the connection at unix time now (caller frees). */
int gcp_assertion(const struct gcp_conn *c, int64_t now, char **out, struct drv_error *err);
/* The bearer fetch: JWT-bearer exchange at the token URI. */
int gcp_token_fetch(void *arg, const struct drv_ctx *ctx, struct bearer_token *out,
		    struct drv_error *err);

/* ---- call.c -------------------------------------------------------------- */

/*
 * One authenticated call.  `path` is relative to the project
 * ("zones/us-central1-a/instances") or absolute ("projects/..." or a URL
 * with a scheme).  body as JSON when not NULL; *out (may be NULL) the
 * parsed answer.  0 or -errno through gcp_error().
 */
int gcp_call(struct gcp_conn *c, const struct drv_ctx *ctx, const char *method, const char *path,
	     const json_t *body, json_t **out, struct drv_error *err);

typedef int (*gcp_item_fn)(void *arg, const json_t *item);

/*
 * GET path and the pages after it (pageToken), calling fn for each element
 * of items (an array, or for aggregated lists an object of
 * {"<scope>": {"<key>": [...]}}).  A repeated token ends the listing.
 */
int gcp_list(struct gcp_conn *c, const struct drv_ctx *ctx, const char *path, const char *key,
	     gcp_item_fn fn, void *arg, struct drv_error *err);

/* ---- gcp.c --------------------------------------------------------------- */

/*
 * The image path ("projects/p/global/images/n") a group spec's image names:
 * a path or URL as given, an image name from a listing, or an image family
 * in our projects.  0, -EINVAL when there is none, -errno.
 */
int gcp_image_path(struct gcp_conn *c, const struct drv_ctx *ctx, const char *image, char *path,
		   size_t size, struct drv_error *err);
/* Make the connection's SSH firewall rule once. */
int gcp_setup(struct gcp_conn *c, const struct drv_ctx *ctx, struct drv_error *err);

/* ---- vms.c --------------------------------------------------------------- */

int gcp_create_vm(void *conn, const struct drv_ctx *ctx, const struct drv_vm_req *req,
		  struct drv_vm *out, struct drv_error *err);
int gcp_get_vm(void *conn, const struct drv_ctx *ctx, const char *csp_id, struct drv_vm *out,
	       struct drv_error *err);
int gcp_list_vms(void *conn, const struct drv_ctx *ctx, const struct drv_kv *filter, drv_vm_cb cb,
		 void *arg, struct drv_error *err);
int gcp_control_vm(void *conn, const struct drv_ctx *ctx, const char *csp_id,
		   enum drv_action action, struct drv_error *err);
int gcp_delete_vm(void *conn, const struct drv_ctx *ctx, const char *csp_id,
		  struct drv_error *err);
int gcp_tag_vm(void *conn, const struct drv_ctx *ctx, const char *csp_id,
	       const struct drv_kv *tags, size_t ntags, struct drv_error *err);

#endif
