/*
 * openstack.h - private interface between the files of the OpenStack driver
 * (drivers/openstack.so).  Nothing here is exported from the shared object:
 * the folder is compiled with hidden visibility and only baristafs_driver
 * is public (see Module.mk).
 *
 * parse.c     JSON answers of Keystone v3, Nova, Glance v2 and Neutron into
 *             the ABI's structs, the status table and the error table.  Pure
 *             functions: no network, no clock, no locks (unit-tested over
 *             the recorded fixtures, fuzzed).
 * keystone.c  the token fetch (Keystone v3 password auth) and the catalog.
 * call.c      authenticated JSON calls to the services, and pagination.
 * catalog.c   flavors and images, their names to ids and back (cached per
 *             connection), prices.
 * setup.c     the connection's default network, security group and key
 *             pair: made once, reused, deleted by cleanup().
 * openstack.c connect and the operations table.
 */
#ifndef BFS_DRIVERS_OPENSTACK_H
#define BFS_DRIVERS_OPENSTACK_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#include "drivers/common/bearer.h"
#include "drivers/common/once.h"
#include "drivers/common/http.h"
#include "drivers/driver.h"

/* Metadata keys a server carries besides the standard tags. */
#define OPENSTACK_META_TOKEN "baristafs-token"

#define OPENSTACK_URL_MAX 512
#define OPENSTACK_ID_MAX 96

/* The public endpoints of one region, from a token's catalog. */
struct openstack_catalog {
	char compute[OPENSTACK_URL_MAX];	/* Nova, e.g. http://h:8774/v2.1 */
	char image[OPENSTACK_URL_MAX];		/* Glance root without /v2, e.g. http://h:9292 */
	char network[OPENSTACK_URL_MAX];	/* Neutron root without /v2.0, e.g. http://h:9696 */
};

/* What a Keystone v3 token answer says (the token itself is a header). */
struct openstack_token_info {
	int64_t expires_ms;	/* unix milliseconds; 0 when the answer had none */
	char project_id[96];
	struct openstack_catalog catalog;
};

enum openstack_service {
	OPENSTACK_COMPUTE,	/* paths relative to the Nova endpoint */
	OPENSTACK_IMAGE,	/* relative to the Glance root: "/v2/images" */
	OPENSTACK_NETWORK,	/* relative to the Neutron root: "/v2.0/networks" */
};

/* One connection (drv_ops.connect's handle). */
struct openstack_conn {
	/* Set by connect, read-only afterwards. */
	char *cloud;		/* the cloud folder's name: names our resources */
	char *auth_url;		/* .../v3/auth/tokens */
	char *username, *password, *project, *domain;	/* password wiped on free */
	char *region;		/* "" for any */
	char *interface;	/* catalog interface, "public" */
	char *zone;		/* default availability zone, "" for Nova's */
	char *network;		/* spec "network": a network to use instead of ours */
	char *ssh_key;		/* spec "ssh_key", or NULL */
	json_t *prices;		/* spec "prices" (flavor -> USD/h), or NULL */
	struct bearer *auth;	/* X-Auth-Token cache and HTTP client; its fetch fills `catalog` */
	struct once setup;	/* the default network, security group */

	pthread_mutex_t lock;	/* guards everything below */
	struct openstack_catalog catalog;
	json_t *flavors;	/* slug -> id, from the last flavor listing */
	json_t *images;		/* slug -> id, from the last image listing */
	char net_id[OPENSTACK_ID_MAX];	/* after setup: the network servers join */
	char sg_name[OPENSTACK_ID_MAX];	/* after setup: our security group */
};

/* keystone.c: the bearer fetch (arg is the connection); stores the catalog. */
int openstack_keystone_fetch(void *arg, const struct drv_ctx *ctx, struct bearer_token *out,
			     struct drv_error *err);
/* The Keystone v3 password-auth body for the connection (new reference). */
json_t *openstack_keystone_body(const struct openstack_conn *c);
/* "<endpoint>/auth/tokens" from the spec's Keystone URL (with or without /v3). */
char *openstack_keystone_url(const char *endpoint);

/*
 * call.c: one authenticated call.  `path` is relative to the service's
 * root (or an absolute URL); `body` is sent as JSON when not NULL; *out
 * (may be NULL) gets the parsed answer, a new reference or NULL when the
 * answer is empty.  Error answers go through openstack_error() and the
 * Retry-After header.  0 or -errno.
 */
int openstack_call(struct openstack_conn *c, const struct drv_ctx *ctx, const char *method,
		   enum openstack_service svc, const char *path, const json_t *body, json_t **out,
		   struct drv_error *err);

/* Called for each element of a listing; nonzero stops it (and is returned). */
typedef int (*openstack_item_fn)(void *arg, const json_t *item);

/*
 * GET `path` and every following page (Nova and Neutron `<key>_links`,
 * Glance `next`), calling fn for each element of the answer's `key` array.
 * A next link that repeats an earlier page ends the listing.  0, fn's
 * nonzero value, or -errno.
 */
int openstack_list(struct openstack_conn *c, const struct drv_ctx *ctx, enum openstack_service svc,
		   const char *path, const char *key, openstack_item_fn fn, void *arg,
		   struct drv_error *err);

/* catalog.c: list_specs and list_images, and names to ids (see catalog.c). */
int openstack_list_specs(void *conn, const struct drv_ctx *ctx, drv_spec_cb cb, void *arg,
			 struct drv_error *err);
int openstack_list_images(void *conn, const struct drv_ctx *ctx, drv_image_cb cb, void *arg,
			  struct drv_error *err);
/*
 * The id of a group spec's flavor (flavor true) or image name, or of an id
 * given as is; lists again once when unknown.  0, -EINVAL (unknown), -errno.
 */
int openstack_resolve(struct openstack_conn *c, const struct drv_ctx *ctx, bool flavor,
		      const char *name, char *id, size_t size, struct drv_error *err);
/* Replace a server's flavor and image ids by their names where known (no network). */
void openstack_names_of(struct openstack_conn *c, struct drv_vm *vm);

/* servers.c: the VM operations of the table. */
int openstack_create_vm(void *conn, const struct drv_ctx *ctx, const struct drv_vm_req *req,
			struct drv_vm *out, struct drv_error *err);
int openstack_get_vm(void *conn, const struct drv_ctx *ctx, const char *csp_id, struct drv_vm *out,
		     struct drv_error *err);
int openstack_list_vms(void *conn, const struct drv_ctx *ctx, const struct drv_kv *filter,
		       drv_vm_cb cb, void *arg, struct drv_error *err);
int openstack_control_vm(void *conn, const struct drv_ctx *ctx, const char *csp_id,
			 enum drv_action action, struct drv_error *err);
int openstack_delete_vm(void *conn, const struct drv_ctx *ctx, const char *csp_id,
			struct drv_error *err);
int openstack_tag_vm(void *conn, const struct drv_ctx *ctx, const char *csp_id,
		     const struct drv_kv *tags, size_t ntags, struct drv_error *err);

/* setup.c */
int openstack_setup(struct openstack_conn *c, const struct drv_ctx *ctx, struct drv_error *err);
/*
 * After a refused create: when the refusal names the network or security
 * group the set-up made (deleted behind our back), forget the set-up so the
 * next attempt makes them again, and mark err retryable.  1 when so, else 0.
 */
int openstack_setup_lost(struct openstack_conn *c, struct drv_error *err);
int openstack_keypair(struct openstack_conn *c, const struct drv_ctx *ctx, const char *pubkey,
		      char *name, size_t size, struct drv_error *err);
int openstack_cleanup(void *conn, const struct drv_ctx *ctx, struct drv_error *err);

/*
 * Parse a Keystone v3 token body (`{"token": {...}}`): expiry, project and the
 * endpoints of `interface` ("public") in `region` (NULL or "": the first of
 * each type).  Compute and image are required, network is optional.
 * 0, or -EIO with err filled when the body is not a token or lacks a service.
 */
int openstack_parse_token(const json_t *body, const char *region, const char *interface,
			  struct openstack_token_info *out, struct drv_error *err);

/*
 * Fill *vm from one Nova server object (any microversion from 2.1: ids as
 * strings or numbers, flavor as {id} or embedded {original_name}, image as
 * {id} or "" for boot from volume).  Returns 0, or -EIO when the object has
 * no id.  Flavor and image are reported as ids; the caller maps them to names.
 */
int openstack_parse_server(const json_t *server, struct drv_vm *vm);

/*
 * Fill *spec and id (the flavor's id, a string or a number in the answer)
 * from one Nova flavor: name made a tree name, vcpus, ram MiB, GPUs from
 * the resources:VGPU and pci_passthrough:alias extra specs, arch from
 * hw:cpu_arch / capabilities:cpu_arch.  The price is left unknown (-1).
 * Returns 0, 1 when the flavor is disabled (skip it), -EIO when malformed.
 */
int openstack_parse_flavor(const json_t *flavor, struct drv_spec_info *spec, char *id,
			   size_t idsize);

/*
 * Fill *img from one Glance v2 image.  name is the image's name made into a
 * tree name (lowercase, [a-z0-9._-]); id the Glance id.  Returns 0, 1 when the
 * image is not usable (status other than active), -EIO when malformed.
 */
int openstack_parse_image(const json_t *image, struct drv_image_info *img);

/*
 * The next page of a listing: Nova's `<key>_links` [{"rel": "next", "href"}],
 * Glance's `next` (relative to the image root) and Neutron's `<key>_links`.
 * Borrowed from body; NULL on the last page.
 */
const char *openstack_next_link(const json_t *body, const char *key);

/* Map Nova's status and task_state (either may be NULL) to the common status. */
enum drv_vm_status openstack_status(const char *status, const char *task_state);

/*
 * Map an error answer of Keystone, Nova, Glance or Neutron to a negative
 * errno and fill err (code = the fault name or Neutron type, message, HTTP
 * status, retryable, retry_after_ms from the body's retryAfter; the caller
 * adds a Retry-After header).  body may be NULL or not JSON.
 */
int openstack_error(int http_status, const char *body, size_t len, struct drv_error *err);

/*
 * Make `name` a tree name into dst (lowercase; runs of characters outside
 * [a-z0-9._-] become one '-'; leading and trailing '-' '.' '_' dropped; at
 * most NAME_MAX_LEN).  "" when nothing is left.
 */
void openstack_slug(const char *name, char *dst, size_t size);

#endif
